/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The function runner. Each instance is a child process started in the function's unpacked
 * code directory with a clean environment holding Lambda's variables; it talks to its own
 * Runtime API listener (127.0.0.1, an ephemeral port) with plain HTTP/1.1: GET .../next
 * waits until an invocation is handed to it, POST .../response or .../error ends it.
 * One thread polls every listener, connection and log pipe; invocations arrive through a
 * queue and a wake pipe and leave through their done() callback. Code is unpacked by a
 * worker thread of its own, so a big zip delays only its own function.
 *
 * Containment. An instance is the init of its own PID namespace (every process it starts
 * dies with it, setsid or not; the init dies with the runner by PR_SET_PDEATHSIG) and has
 * its own mount and IPC namespaces: the functions directory is read-only there and its
 * temporary directory is a tmpfs of bounded size, so it can neither rewrite code nor fill
 * the data directory's disk. Without root, a user namespace maps the server's own uid.
 *
 * The Runtime API is bound to its instance: runtimes only know host:port, so every accepted
 * connection's peer socket is looked up (sock_diag: the 4-tuple gives the socket's inode)
 * and accepted only if a process of the instance's PID namespace holds that socket. Any
 * other local process that finds the port is disconnected before it is read.
 */
#include "srv_fn.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_buf.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "llhttp.h"
#include "srv_fn_runtimes.h"

#define MAX_INSTANCES   256
#define MAX_CONNS       4 /* Runtime API connections per instance */
#define IDLE_REAP_MS    (5 * 60 * 1000)
#define LOG_TAIL        4096
#define RT_BODY_MAX     (6u << 20)
#define RT_URL_MAX      1024
#define RT_SEND_TIMEOUT 2     /* seconds to write a response to a runtime */
#define CODE_UID        65534 /* owns unpacked code when the server runs as root (nobody) */
#define TMP_MB          512 /* an instance's temporary space: Lambda's default ephemeral storage */
#define ACCEPTS_MAX     16  /* connections accepted per listener per turn */

typedef struct queued {
    api_invocation_t *inv;
    int64_t enqueued_ms;
    struct queued *next;
} queued_t;

typedef struct rt_conn {
    int fd;
    llhttp_t parser;
    llhttp_settings_t *settings;
    kv_buf_t url, body, hdr;
    bool in_err_hdr, complete, bad;
    struct rt_conn *next;
} rt_conn_t;

typedef struct inst {
    int id;
    pid_t pid;
    char fn[72];
    uint32_t code_id;
    char config[40];
    int listen_fd, port, log_fd;
    int logfile;      /* its log stream: <dir>/logs/<function>/<YYYYMMDD>-<hex id> */
    uint64_t logged;  /* bytes written there */
    kv_buf_t partial; /* output after the last newline */
    int64_t begun_ms; /* the current invocation's start */
    rt_conn_t *conns;
    rt_conn_t *waiting_next; /* parked on GET .../next */
    api_invocation_t *cur;
    int64_t deadline_ms, idle_since_ms;
    dev_t ns_dev; /* its PID namespace (st_dev, st_ino of /proc/<pid>/ns/pid) */
    ino_t ns_ino;
    bool started, dead, reaped;
    int exit_status;
    struct inst *next;
} inst_t;

/* A code package being unpacked by the unpacker thread (under lock). */
typedef struct unpack_job {
    uint32_t code_id;
    int state; /* UNPACK_* */
    char zip[4200];
    struct unpack_job *next;
} unpack_job_t;

enum { UNPACK_QUEUED, UNPACK_RUNNING, UNPACK_DONE, UNPACK_FAILED };

struct srv_fn {
    pthread_t unpacker;
    bool has_unpacker;
    pthread_cond_t unpack_cond;
    unpack_job_t *jobs;   /* under lock */
    atomic_bool stopping; /* read by the unpacker between entries */
    int ns_flags;         /* namespaces an instance gets (0: none could be made) */
    bool userns;          /* ... including a user namespace (the server is not root) */
    bool root;            /* the server runs as root: code belongs to CODE_UID */
    int self_pidfd;       /* this process, for a starting child to see it is gone */
    int diag_fd;          /* NETLINK_SOCK_DIAG, to find a Runtime API peer's socket */
    uint32_t diag_seq;
    uint64_t tmp_bytes; /* each instance's temporary space */
    api_ctx_t *api;
    int main_port;
    char dir[4096]; /* <data dir>/functions */
    pthread_t thread;
    pthread_mutex_t lock;
    int wake[2];
    queued_t *incoming, **incoming_tail; /* from request threads, under lock */
    queued_t *waiting, **waiting_tail;   /* the runner's own */
    inst_t *insts;
    int next_id;
    bool stop;
    llhttp_settings_t settings;
};

/* ---- small helpers ---- */

static void tail_append(kv_buf_t *b, const uint8_t *p, size_t n, size_t cap)
{
    if (n >= cap) {
        kv_buf_reset(b);
        kv_buf_append(b, p + n - cap, cap);
        return;
    }
    if (b->len + n > cap) {
        size_t drop = b->len + n - cap;
        memmove(b->p, b->p + drop, b->len - drop);
        b->len -= drop;
    }
    kv_buf_append(b, p, n);
}

static int mkdirs(const char *path)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *s = tmp + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* rm -rf, in process (forking a server with a large heap costs tens of milliseconds). */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Unpack a function's zip into out (made complete by a rename), on the unpacker thread,
 * whose working directory is its own (CLONE_FS). As root the files are written with the
 * file system identity of CODE_UID, which holds no capability: no device node, no setuid
 * file owned by root, nothing an instance (or anyone but root) may rewrite. Modes lose
 * their setuid, setgid and sticky bits and group and other write. */
static int unpack(srv_fn_t *f, const char *zip, const char *out, bool as_code_uid)
{
    char tmp[4400];
    snprintf(tmp, sizeof(tmp), "%s.tmp", out);
    remove_tree(tmp);
    if (mkdirs(tmp) < 0)
        return -1;
    struct archive *in = archive_read_new();
    archive_read_support_format_zip(in);
    struct archive *dst = archive_write_disk_new();
    archive_write_disk_set_options(dst, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                            ARCHIVE_EXTRACT_SECURE_SYMLINKS);
    int rc = archive_read_open_filename(in, zip, 1 << 16) == ARCHIVE_OK ? 0 : -1;
    if (rc == 0 && as_code_uid && chown(tmp, CODE_UID, CODE_UID) < 0)
        rc = -1;
    if (rc == 0 && as_code_uid && chdir(tmp) < 0)
        rc = -1;
    if (rc == 0 && as_code_uid) {
        setfsgid(CODE_UID);
        setfsuid(CODE_UID);
        if ((uid_t)setfsuid((uid_t)-1) != CODE_UID)
            rc = -1;
    }
    struct archive_entry *e;
    while (rc == 0) {
        int r = archive_read_next_header(in, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = -1;
            break;
        }
        if (atomic_load(&f->stopping) || !api_zip_entry_ok(e)) {
            if (!atomic_load(&f->stopping))
                KV_LOG_WARN("lambda: code %s: refused entry %s", zip,
                            archive_entry_pathname(e) ? archive_entry_pathname(e) : "(none)");
            rc = -1;
            break;
        }
        mode_t perm = archive_entry_perm(e) & 0755;
        archive_entry_set_perm(e, archive_entry_filetype(e) == AE_IFDIR ? 0755 : perm | 0644);
        if (!as_code_uid) { /* by absolute path */
            char path[8300];
            snprintf(path, sizeof(path), "%s/%s", tmp, archive_entry_pathname(e));
            archive_entry_set_pathname(e, path);
        }
        if (archive_write_header(dst, e) != ARCHIVE_OK) {
            rc = -1;
            break;
        }
        const void *buf;
        size_t n;
        la_int64_t off;
        while ((r = archive_read_data_block(in, &buf, &n, &off)) == ARCHIVE_OK)
            if (archive_write_data_block(dst, buf, n, off) != ARCHIVE_OK) {
                r = ARCHIVE_FATAL;
                break;
            }
        if (r != ARCHIVE_EOF) {
            rc = -1;
            break;
        }
        if (archive_write_finish_entry(dst) != ARCHIVE_OK)
            rc = -1;
    }
    if (archive_write_close(dst) != ARCHIVE_OK) /* directory modes are set here */
        rc = -1;
    if (as_code_uid) {
        setfsuid(0);
        setfsgid(0);
        if (chdir("/") < 0)
            rc = -1;
    }
    archive_read_free(in);
    archive_write_free(dst);
    struct stat st;
    if (rc == 0 && rename(tmp, out) < 0)
        rc = stat(out, &st) == 0 ? 0 : -1;
    if (rc < 0)
        remove_tree(tmp);
    return rc;
}

/* The unpacker thread: one job at a time, each ending with a wake of the runner. */
static void *unpacker_main(void *arg)
{
    srv_fn_t *f = arg;
    /* Its own working directory and umask: entries are written by relative name, so the
     * data directory's ancestors need not be searchable by CODE_UID. */
    bool as_code_uid = f->root;
    if (as_code_uid && unshare(CLONE_FS) < 0) {
        KV_LOG_WARN("lambda: the unpacker cannot have a working directory of its own (%s): "
                    "code is unpacked as the server's user",
                    strerror(errno));
        as_code_uid = false; /* a shared one: unpack as the server, by absolute path */
    }
    if (as_code_uid)
        umask(022);
    pthread_mutex_lock(&f->lock);
    for (;;) {
        unpack_job_t *j = f->jobs;
        while (j && j->state != UNPACK_QUEUED)
            j = j->next;
        if (j == NULL) {
            if (f->stop)
                break;
            pthread_cond_wait(&f->unpack_cond, &f->lock);
            continue;
        }
        j->state = UNPACK_RUNNING;
        char zip[4200], out[4300];
        snprintf(zip, sizeof(zip), "%s", j->zip);
        snprintf(out, sizeof(out), "%s/run/%u", f->dir, j->code_id);
        pthread_mutex_unlock(&f->lock);
        int64_t t0 = kv_now_ms();
        int rc = unpack(f, zip, out, as_code_uid);
        KV_LOG_DEBUG("lambda: unpacked %s in %lld ms (%s)", zip, (long long)(kv_now_ms() - t0),
                     rc == 0 ? "ok" : "failed");
        pthread_mutex_lock(&f->lock);
        j->state = rc == 0 ? UNPACK_DONE : UNPACK_FAILED;
        char one = 1;
        if (write(f->wake[1], &one, 1) < 0 && errno != EAGAIN)
            KV_LOG_WARN("lambda: cannot wake the runner: %s", strerror(errno));
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

/* Is the code of code_id unpacked? 1: yes (root holds its path); 0: not yet, an unpack is
 * under way; -1: it cannot be. Runner thread. */
static int code_ready(srv_fn_t *f, const api_invocation_t *inv, char *root, size_t cap)
{
    snprintf(root, cap, "%s/run/%u", f->dir, inv->code_id);
    struct stat st;
    if (stat(root, &st) == 0)
        return 1;
    int ready = 0;
    pthread_mutex_lock(&f->lock);
    unpack_job_t **pp = &f->jobs;
    while (*pp && (*pp)->code_id != inv->code_id)
        pp = &(*pp)->next;
    if (*pp == NULL) {
        unpack_job_t *j = kv_calloc(1, sizeof(*j));
        j->code_id = inv->code_id;
        j->state = UNPACK_QUEUED;
        snprintf(j->zip, sizeof(j->zip), "%s", inv->code_path);
        *pp = j;
        pthread_cond_signal(&f->unpack_cond);
    } else if ((*pp)->state == UNPACK_FAILED) {
        ready = -1; /* the job stays until dispatch() has failed every invocation waiting */
    } else if ((*pp)->state == UNPACK_DONE) {
        unpack_job_t *j = *pp;
        *pp = j->next;
        kv_free(j);
        ready = stat(root, &st) == 0 ? 1 : -1;
    }
    pthread_mutex_unlock(&f->lock);
    return ready;
}

/* Forget failed unpacks (a later invocation tries again). */
static void drop_failed_jobs(srv_fn_t *f)
{
    pthread_mutex_lock(&f->lock);
    for (unpack_job_t **pp = &f->jobs; *pp;) {
        unpack_job_t *j = *pp;
        if (j->state == UNPACK_FAILED) {
            *pp = j->next;
            kv_free(j);
            continue;
        }
        pp = &j->next;
    }
    pthread_mutex_unlock(&f->lock);
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static bool find_program(const char *name, char *out, size_t cap)
{
    static const char *const dirs[] = {"/usr/local/bin", "/usr/bin", "/bin"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(out, cap, "%s/%s", dirs[i], name);
        if (access(out, X_OK) == 0)
            return true;
    }
    return false;
}

/* ---- finishing invocations ---- */

static void finish(api_invocation_t *inv, api_outcome_t outcome, kv_slice_t data)
{
    inv->outcome = outcome;
    kv_buf_reset(&inv->result);
    kv_buf_append_slice(&inv->result, data);
    if (kv_buf_failed(&inv->result)) {
        inv->outcome = API_INV_FN_ERROR;
        kv_buf_reset(&inv->result);
        inv->result.failed = false;
        kv_buf_append_str(&inv->result,
                          "{\"errorMessage\":\"Response payload size exceeded maximum allowed "
                          "payload size (6291556 bytes).\",\"errorType\":\"Function."
                          "ResponseSizeTooLarge\"}");
    }
    inv->done(inv);
}

static void finish_error(api_invocation_t *inv, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void finish_error(api_invocation_t *inv, const char *type, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kv_buf_t json;
    kv_buf_init(&json, 64 * 1024);
    api_fn_error_json(&json, kv_slice_str(msg), type);
    finish(inv, API_INV_FN_ERROR, kv_buf_slice(&json));
    kv_buf_dispose(&json);
}

/* ---- instances ---- */

static void conn_close(inst_t *in, rt_conn_t *c)
{
    for (rt_conn_t **pp = &in->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    if (in->waiting_next == c)
        in->waiting_next = NULL;
    close(c->fd);
    kv_buf_dispose(&c->url);
    kv_buf_dispose(&c->body);
    kv_buf_dispose(&c->hdr);
    kv_free(c);
}

/* In a PID namespace the end of its first process ends every other one; without, its process
 * group goes too. */
static void inst_kill(inst_t *in)
{
    if (!in->dead && in->pid > 0) {
        kill(in->pid, SIGKILL);
        kill(-in->pid, SIGKILL);
    }
    in->dead = true;
}

/* Free a dead instance whose process has been reaped. */
static void inst_free(srv_fn_t *f, inst_t *in)
{
    while (in->conns)
        conn_close(in, in->conns);
    if (in->listen_fd >= 0)
        close(in->listen_fd);
    if (in->log_fd >= 0)
        close(in->log_fd);
    if (in->logfile >= 0)
        close(in->logfile);
    kv_buf_dispose(&in->partial);
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s/tmp/%d", f->dir, in->id);
    remove_tree(tmp);
    kv_free(in);
}

/* ---- logs: what CloudWatch Logs would keep, one file per instance ---- */

#define LOG_LINE_MAX   (256 * 1024)
#define LOG_STREAM_MAX (64u << 20) /* a stream stops growing here */

static int log_open(srv_fn_t *f, const char *fn)
{
    char dir[4300], path[4400], day[25];
    snprintf(dir, sizeof(dir), "%s/logs/%s", f->dir, fn);
    if (mkdirs(dir) < 0)
        return -1;
    kv_time_fmt_iso(kv_now_ms(), day);
    uint8_t r[16];
    kv_random(r, sizeof(r));
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    snprintf(path, sizeof(path), "%s/%.4s%.2s%.2s-%s", dir, day, day + 5, day + 8, hex);
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

/* One log event: "<ms>\t<text>\n" (text without newlines). */
static void log_event(inst_t *in, const char *text, size_t len)
{
    if (in->logfile < 0 || in->logged > LOG_STREAM_MAX)
        return;
    char ts[32];
    int tl = snprintf(ts, sizeof(ts), "%lld\t", (long long)kv_now_ms());
    struct iovec v[3] = {{ts, (size_t)tl}, {(char *)(uintptr_t)text, len}, {"\n", 1}};
    ssize_t n = writev(in->logfile, v, 3);
    if (n > 0)
        in->logged += (uint64_t)n;
}

static void log_eventf(inst_t *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_eventf(inst_t *in, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0)
        log_event(in, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* The instance's output, split into events at newlines. */
static void log_output(inst_t *in, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n' || in->partial.len + 1 >= LOG_LINE_MAX) {
            log_event(in, (const char *)in->partial.p, in->partial.len);
            kv_buf_reset(&in->partial);
            if (p[i] == '\n')
                continue;
        }
        kv_buf_append_byte(&in->partial, p[i]);
    }
}

/* Lambda's END and REPORT lines for the invocation ending now. */
static void log_report(inst_t *in, const api_invocation_t *inv)
{
    if (in->partial.len) {
        log_event(in, (const char *)in->partial.p, in->partial.len);
        kv_buf_reset(&in->partial);
    }
    int64_t ms = kv_now_ms() - in->begun_ms;
    long hwm_kb = 0;
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)in->pid);
    FILE *st = fopen(path, "re");
    while (st && fgets(line, sizeof(line), st))
        if (sscanf(line, "VmHWM: %ld kB", &hwm_kb) == 1)
            break;
    if (st)
        fclose(st);
    log_eventf(in, "END RequestId: %s", inv->request_id);
    log_eventf(in,
               "REPORT RequestId: %s\tDuration: %lld.00 ms\tBilled Duration: %lld ms\t"
               "Memory Size: %u MB\tMax Memory Used: %ld MB",
               inv->request_id, (long long)ms, (long long)(ms ? ms : 1), inv->memory_mb,
               (hwm_kb + 1023) / 1024);
}

/* What an instance's process needs between clone and exec (all prepared by the runner). */
typedef struct spawn {
    char *prog;
    char **argv, **envp;
    const char *root;
    int log_fd;
    rlim_t mem, fsize;
    int parent_pidfd; /* the server: a starting child whose server is gone ends */
    pid_t parent;     /* ... or, without a pidfd, its pid */
    bool ns;          /* in namespaces of its own: mount what follows */
    bool userns;
    const char *fndir; /* made read-only */
    const char *tmp;   /* a tmpfs of tmp_opts */
    const char *tmp_opts;
    const char *uid_map, *gid_map; /* with a user namespace */
} spawn_t;

/* Ends the child without exit hooks: it shares the runner's memory (a sanitizer's exit-time
 * leak check there would judge the server's heap). */
static void child_exit(int code)
{
    for (;;)
        syscall(SYS_exit_group, code);
}

static int write_proc(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Its namespaces' view: nothing it mounts is seen outside; the functions directory (code,
 * runtimes, other instances' directories) read-only; its temporary directory a tmpfs that
 * holds at most its ephemeral storage (in memory, not on the data directory's disk); /proc of
 * its own PID namespace. */
static int child_mounts(const spawn_t *sp)
{
    if (sp->userns && (write_proc("/proc/self/setgroups", "deny") < 0 ||
                       write_proc("/proc/self/uid_map", sp->uid_map) < 0 ||
                       write_proc("/proc/self/gid_map", sp->gid_map) < 0))
        return -1;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return -1;
    /* Read-only where the kernel lets us (a user namespace keeps the mount's locked flags). */
    if (mount(sp->fndir, sp->fndir, NULL, MS_BIND | MS_REC, NULL) == 0)
        mount(NULL, sp->fndir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
    if (mount("tmpfs", sp->tmp, "tmpfs", MS_NOSUID | MS_NODEV, sp->tmp_opts) < 0)
        return -1;
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    return 0;
}

/* The child, sharing the runner's memory until execve: system calls only, nothing written but
 * its own stack. The instance dies with stratusd; MemorySize bounds its writable memory
 * (RLIMIT_DATA: heap and private mappings; address-space limits break runtimes that reserve
 * large virtual ranges). */
static int spawn_child(void *arg)
{
    const spawn_t *sp = arg;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* The server may have died before the line above: then nothing would kill us. (In a PID
     * namespace getppid() is 0, hence the pidfd.) */
    if (sp->parent_pidfd >= 0) {
        struct pollfd p = {sp->parent_pidfd, POLLIN, 0};
        if (poll(&p, 1, 0) != 0)
            child_exit(1);
    } else if (!sp->ns && getppid() != sp->parent) {
        child_exit(1);
    }
    if (sp->ns && child_mounts(sp) < 0)
        child_exit(125);
    /* Signals as a fresh process has them: the server's threads block some and ignore
     * SIGPIPE, and both would outlive execve. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Every disposition back to the default, the real-time signals glibc reserves too (an
     * ignored signal is inherited through execve from whoever started stratusd). The raw
     * call: glibc's sigaction refuses its reserved signals. */
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } dfl = {0};
    for (int sig = 1; sig < 65; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
    setpgid(0, 0);
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0)
        dup2(nul, 0);
    dup2(sp->log_fd, 1);
    dup2(sp->log_fd, 2);
    if (close_range(3, ~0U, 0) < 0)
        for (int fd = 3; fd < 4096; fd++)
            close(fd);
    if (chdir(sp->root) < 0)
        child_exit(126);
    struct rlimit nofile = {1024, 1024}, core = {0, 0}, data = {sp->mem, sp->mem};
    setrlimit(RLIMIT_NOFILE, &nofile);
    setrlimit(RLIMIT_DATA, &data);
    setrlimit(RLIMIT_CORE, &core);
    if (!sp->ns) { /* no tmpfs: no file may outgrow the temporary space, at least */
        struct rlimit fsize = {sp->fsize, sp->fsize};
        setrlimit(RLIMIT_FSIZE, &fsize);
    }
    execve(sp->prog, sp->argv, sp->envp);
    child_exit(127);
    return 127;
}

static const char *runtime_program(const api_invocation_t *inv, const char *root, char *prog,
                                   size_t cap, char *script, size_t scap, srv_fn_t *f)
{
    if (strncmp(inv->runtime, "provided", 8) == 0) {
        snprintf(prog, cap, "%s/bootstrap", root);
        return NULL;
    }
    bool py = strncmp(inv->runtime, "python", 6) == 0;
    if (!find_program(py ? "python3" : "node", prog, cap))
        return py ? "python3 is not installed on this server"
                  : "node is not installed on this server";
    snprintf(script, scap, "%s/runtimes/%s", f->dir,
             py ? "python_bootstrap.py" : "node_bootstrap.js");
    return NULL;
}

static inst_t *inst_spawn(srv_fn_t *f, api_invocation_t *inv, const char **why)
{
    char root[4200], prog[4400], script[4400] = "";
    int ready = code_ready(f, inv, root, sizeof(root));
    if (ready <= 0) {
        *why = ready < 0 ? "the function's code could not be unpacked" : NULL; /* NULL: wait */
        return NULL;
    }
    const char *missing = runtime_program(inv, root, prog, sizeof(prog), script, sizeof(script), f);
    if (missing) {
        *why = missing;
        return NULL;
    }
    inst_t *in = kv_calloc(1, sizeof(*in));
    in->id = ++f->next_id;
    in->log_fd = -1;
    in->logfile = log_open(f, inv->function);
    kv_buf_init(&in->partial, LOG_LINE_MAX);
    snprintf(in->fn, sizeof(in->fn), "%s", inv->function);
    in->code_id = inv->code_id;
    snprintf(in->config, sizeof(in->config), "%s", inv->config ? inv->config : "");
    in->listen_fd = listen_loopback(&in->port);
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s/tmp/%d", f->dir, in->id);
    int logp[2] = {-1, -1};
    if (in->listen_fd < 0 || mkdirs(tmp) < 0 || pipe2(logp, O_CLOEXEC) < 0) {
        if (in->listen_fd >= 0)
            close(in->listen_fd);
        if (in->logfile >= 0)
            close(in->logfile);
        kv_buf_dispose(&in->partial);
        kv_free(in);
        *why = "no resources to start an instance";
        return NULL;
    }
    /* The environment: the function's variables, then Lambda's own (which win). */
    const char *ak, *sk, *region;
    api_function_identity(f->api, &ak, &sk, &region);
    size_t n_env = inv->n_env + 32;
    char **envp = kv_calloc(n_env + 1, sizeof(char *));
    size_t ne = 0;
    for (size_t i = 0; i < inv->n_env; i++)
        envp[ne++] = kv_strdup(inv->env[i]);
    char b[4600];
#define ENV(...)                             \
    do {                                     \
        snprintf(b, sizeof(b), __VA_ARGS__); \
        envp[ne++] = kv_strdup(b);           \
    } while (0)
    ENV("AWS_LAMBDA_RUNTIME_API=127.0.0.1:%d", in->port);
    ENV("AWS_LAMBDA_FUNCTION_NAME=%s", inv->function);
    ENV("AWS_LAMBDA_FUNCTION_VERSION=$LATEST");
    ENV("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%u", inv->memory_mb);
    ENV("AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s", inv->function);
    ENV("AWS_LAMBDA_LOG_STREAM_NAME=stratus/%d", in->id);
    ENV("AWS_EXECUTION_ENV=AWS_Lambda_%s", inv->runtime);
    ENV("AWS_REGION=%s", region);
    ENV("AWS_DEFAULT_REGION=%s", region);
    ENV("AWS_ACCESS_KEY_ID=%s", ak);
    ENV("AWS_SECRET_ACCESS_KEY=%s", sk);
    ENV("AWS_ENDPOINT_URL=http://127.0.0.1:%d", f->main_port);
    ENV("_HANDLER=%s", inv->handler);
    ENV("LAMBDA_TASK_ROOT=%s", root);
    ENV("LAMBDA_RUNTIME_DIR=%s/runtimes", f->dir);
    ENV("PATH=/usr/local/bin:/usr/bin:/bin");
    ENV("LANG=C.UTF-8");
    ENV("TZ=:UTC");
    ENV("HOME=%s", tmp);
    ENV("TMPDIR=%s", tmp);
    ENV("PYTHONUNBUFFERED=1");
    ENV("PYTHONDONTWRITEBYTECODE=1");
#undef ENV
    char *argv[3] = {prog, script[0] ? script : NULL, NULL};
    char tmp_opts[96], uid_map[48], gid_map[48];
    snprintf(tmp_opts, sizeof(tmp_opts), "size=%llu,nr_inodes=%llu,mode=0700",
             (unsigned long long)f->tmp_bytes, (unsigned long long)(f->tmp_bytes >> 12));
    snprintf(uid_map, sizeof(uid_map), "%u %u 1", (unsigned)getuid(), (unsigned)getuid());
    snprintf(gid_map, sizeof(gid_map), "%u %u 1", (unsigned)getgid(), (unsigned)getgid());
    spawn_t sp = {.prog = prog,
                  .argv = argv,
                  .envp = envp,
                  .root = root,
                  .log_fd = logp[1],
                  .mem = (rlim_t)(inv->memory_mb ? inv->memory_mb : 128) << 20,
                  .fsize = (rlim_t)f->tmp_bytes,
                  .parent_pidfd = f->self_pidfd,
                  .parent = getpid(),
                  .ns = f->ns_flags != 0,
                  .userns = f->userns,
                  .fndir = f->dir,
                  .tmp = tmp,
                  .tmp_opts = tmp_opts,
                  .uid_map = uid_map,
                  .gid_map = gid_map};
    /* The child shares our memory until it execs (no page tables copied: fork() of a server
     * with a large heap took tens of milliseconds), on a stack of its own. */
    enum { STACK = 64 * 1024 };
    uint8_t *stack = kv_malloc(STACK);
    pid_t pid =
        clone(spawn_child, stack + STACK, CLONE_VM | CLONE_VFORK | SIGCHLD | f->ns_flags, &sp);
    if (pid < 0 && f->ns_flags &&
        (errno == EPERM || errno == EINVAL || errno == ENOSPC || errno == EUSERS ||
         errno == ENOSYS)) {
        KV_LOG_WARN("lambda: instances cannot have namespaces of their own (%s): they run "
                    "without PID namespace, read-only code or a tmpfs for temporary space",
                    strerror(errno));
        f->ns_flags = 0;
        f->userns = false;
        sp.ns = sp.userns = false;
        pid = clone(spawn_child, stack + STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &sp);
    }
    kv_free(stack);
    for (size_t i = 0; i < ne; i++)
        kv_free(envp[i]);
    kv_free(envp);
    close(logp[1]);
    if (pid < 0) {
        close(logp[0]);
        close(in->listen_fd);
        if (in->logfile >= 0)
            close(in->logfile);
        kv_buf_dispose(&in->partial);
        kv_free(in);
        *why = "the instance could not be started";
        return NULL;
    }
    setpgid(pid, pid);
    fcntl(logp[0], F_SETFL, O_NONBLOCK);
    in->pid = pid;
    char nspath[64];
    struct stat nst;
    snprintf(nspath, sizeof(nspath), "/proc/%d/ns/pid", (int)pid);
    if ((f->ns_flags & CLONE_NEWPID) && stat(nspath, &nst) == 0) {
        in->ns_dev = nst.st_dev;
        in->ns_ino = nst.st_ino;
    }
    in->log_fd = logp[0];
    in->idle_since_ms = kv_now_ms();
    in->next = f->insts;
    f->insts = in;
    KV_LOG_DEBUG("lambda: started instance %d of %s (pid %d, port %d)", in->id, in->fn, pid,
                 in->port);
    return in;
}

/* ---- the Runtime API ---- */

static void rt_send(rt_conn_t *c, int status, const char *reason, const char *extra,
                    kv_slice_t body)
{
    char head[2048];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%sContent-Length: "
                     "%zu\r\n\r\n",
                     status, reason, extra ? extra : "", body.len);
    struct iovec iov[2] = {{head, (size_t)n}, {(void *)(uintptr_t)body.p, body.len}};
    size_t total = (size_t)n + body.len, sent = 0;
    while (sent < total) {
        ssize_t w = writev(c->fd, iov, 2);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            c->bad = true;
            return;
        }
        sent += (size_t)w;
        size_t adv = (size_t)w;
        for (int i = 0; i < 2 && adv; i++) {
            size_t k = adv < iov[i].iov_len ? adv : iov[i].iov_len;
            iov[i].iov_base = (uint8_t *)iov[i].iov_base + k;
            iov[i].iov_len -= k;
            adv -= k;
        }
    }
}

static void conn_reset(rt_conn_t *c);

static void deliver(inst_t *in, rt_conn_t *c, api_invocation_t *inv)
{
    int64_t now = kv_now_ms();
    in->cur = inv;
    in->waiting_next = NULL;
    in->deadline_ms = now + (int64_t)inv->timeout_s * 1000;
    in->begun_ms = now;
    kv_buf_reset(&inv->log);
    log_eventf(in, "START RequestId: %s Version: $LATEST", inv->request_id);
    char extra[1024];
    snprintf(extra, sizeof(extra),
             "Lambda-Runtime-Aws-Request-Id: %s\r\nLambda-Runtime-Deadline-Ms: %lld\r\n"
             "Lambda-Runtime-Invoked-Function-Arn: %s\r\nLambda-Runtime-Trace-Id: "
             "Root=1-%08llx-%s;Sampled=0\r\n",
             inv->request_id, (long long)in->deadline_ms, inv->arn,
             (unsigned long long)(now / 1000), inv->request_id);
    rt_send(c, 200, "OK", extra, inv->payload);
    conn_reset(c); /* the connection may carry the runtime's next request (keep-alive) */
}

static void complete(inst_t *in, api_outcome_t outcome, kv_slice_t data)
{
    api_invocation_t *inv = in->cur;
    in->cur = NULL;
    in->idle_since_ms = kv_now_ms();
    log_report(in, inv);
    finish(inv, outcome, data);
}

static void rt_request(srv_fn_t *f, inst_t *in, rt_conn_t *c)
{
    kv_slice_t url = kv_buf_slice(&c->url);
    const char *m = llhttp_method_name(llhttp_get_method(&c->parser));
    static const char base[] = "/2018-06-01/runtime/";
    if (!kv_slice_starts_with(url, base)) {
        rt_send(c, 404, "Not Found", NULL, KV_SLICE_LIT("{\"errorMessage\":\"Not found\"}"));
        return;
    }
    kv_slice_t rest = kv_slice(url.p + sizeof(base) - 1, url.len - (sizeof(base) - 1));
    if (strcmp(m, "GET") == 0 && kv_slice_eq_str(rest, "invocation/next")) {
        in->started = true;
        in->waiting_next = c; /* answered when an invocation is handed to it */
        in->idle_since_ms = kv_now_ms();
        return;
    }
    if (strcmp(m, "POST") == 0 && kv_slice_eq_str(rest, "init/error")) {
        /* The instance cannot start: the invocation that is waiting for one gets its error. */
        for (queued_t **pp = &f->waiting; *pp; pp = &(*pp)->next) {
            if (strcmp((*pp)->inv->function, in->fn) != 0)
                continue;
            queued_t *q = *pp;
            *pp = q->next;
            if (*pp == NULL)
                f->waiting_tail = pp;
            kv_slice_t b = kv_buf_slice(&c->body);
            finish(q->inv, API_INV_FN_ERROR,
                   b.len ? b : KV_SLICE_LIT("{\"errorType\":\"Runtime.Unknown\"}"));
            kv_free(q);
            break;
        }
        rt_send(c, 202, "Accepted", NULL, KV_SLICE_LIT("{\"status\":\"OK\"}"));
        inst_kill(in);
        return;
    }
    /* invocation/<id>/response, invocation/<id>/error */
    static const char inv_prefix[] = "invocation/";
    if (strcmp(m, "POST") == 0 && kv_slice_starts_with(rest, inv_prefix)) {
        kv_slice_t id =
            kv_slice(rest.p + sizeof(inv_prefix) - 1, rest.len - (sizeof(inv_prefix) - 1));
        const uint8_t *slash = memchr(id.p, '/', id.len);
        kv_slice_t what =
            slash ? kv_slice(slash + 1, id.len - (size_t)(slash - id.p) - 1) : KV_SLICE_NULL;
        if (slash)
            id.len = (size_t)(slash - id.p);
        bool ok = kv_slice_eq_str(what, "response"), err = kv_slice_eq_str(what, "error");
        if ((ok || err) && in->cur && kv_slice_eq_str(id, in->cur->request_id)) {
            rt_send(c, 202, "Accepted", NULL, KV_SLICE_LIT("{\"status\":\"OK\"}"));
            kv_slice_t b = kv_buf_slice(&c->body);
            if (err && b.len == 0)
                b = KV_SLICE_LIT("{\"errorType\":\"Unhandled\"}");
            if (c->body.failed) /* over 6 MB */
                complete(in, API_INV_FN_ERROR,
                         KV_SLICE_LIT("{\"errorMessage\":\"Response payload size exceeded "
                                      "maximum allowed payload size (6291556 bytes).\","
                                      "\"errorType\":\"Function.ResponseSizeTooLarge\"}"));
            else
                complete(in, ok ? API_INV_OK : API_INV_FN_ERROR, b);
            return;
        }
        rt_send(c, 400, "Bad Request", NULL,
                KV_SLICE_LIT("{\"errorMessage\":\"Invalid request ID\",\"errorType\":"
                             "\"InvalidRequestID\"}"));
        return;
    }
    rt_send(c, 404, "Not Found", NULL, KV_SLICE_LIT("{\"errorMessage\":\"Not found\"}"));
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    rt_conn_t *c = p->data;
    kv_buf_append(&c->url, at, len);
    return kv_buf_failed(&c->url) ? -1 : 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    rt_conn_t *c = p->data;
    kv_buf_append(&c->body, at, len); /* past the limit: marked failed, read on */
    return 0;
}

static int on_complete(llhttp_t *p)
{
    rt_conn_t *c = p->data;
    c->complete = true;
    return HPE_PAUSED;
}

static void conn_reset(rt_conn_t *c)
{
    llhttp_init(&c->parser, HTTP_REQUEST, c->settings);
    c->parser.data = c;
    kv_buf_reset(&c->url);
    kv_buf_reset(&c->body);
    c->body.failed = false;
    c->complete = false;
}

/* Parse bytes a runtime sent; each complete request is answered in turn (a runtime may send
 * its response and its next GET together). */
static void conn_feed(srv_fn_t *f, inst_t *in, rt_conn_t *c, const char *p, size_t n)
{
    while (n) {
        llhttp_errno_t e = llhttp_execute(&c->parser, p, n);
        if (e == HPE_PAUSED && c->complete) {
            const char *stop = llhttp_get_error_pos(&c->parser);
            size_t used = stop && stop >= p && stop <= p + n ? (size_t)(stop - p) : n;
            rt_request(f, in, c);
            if (c->bad) {
                conn_close(in, c);
                return;
            }
            if (in->waiting_next == c)
                return; /* parked on GET next: nothing more is read from it until answered */
            conn_reset(c);
            p += used;
            n -= used;
            continue;
        }
        if (e != HPE_OK) {
            rt_send(c, 400, "Bad Request", "Connection: close\r\n", KV_SLICE_LIT("{}"));
            conn_close(in, c);
        }
        return;
    }
}

static void conn_read(srv_fn_t *f, inst_t *in, rt_conn_t *c)
{
    uint8_t buf[65536];
    ssize_t n = read(c->fd, buf, sizeof(buf));
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        conn_close(in, c);
        return;
    }
    conn_feed(f, in, c, (const char *)buf, (size_t)n);
}

/* ---- who is at the other end of a Runtime API connection ---- */

/* The same from /proc/net/tcp, for kernels without sock_diag (slower: every socket of the
 * network namespace is listed). Addresses are printed as the bytes of a network-order word. */
static int peer_inode_proc(const struct sockaddr_in *peer, const struct sockaddr_in *self,
                           unsigned long *ino)
{
    FILE *fp = fopen("/proc/net/tcp", "re");
    if (fp == NULL)
        return -1;
    char line[512];
    int rc = -1;
    while (rc < 0 && fgets(line, sizeof(line), fp)) {
        unsigned la, lp, ra, rp, st;
        unsigned long inode;
        if (sscanf(line, " %*u: %8X:%4X %8X:%4X %2X %*X:%*X %*X:%*X %*X %*u %*u %lu", &la, &lp, &ra,
                   &rp, &st, &inode) == 6 &&
            la == peer->sin_addr.s_addr && lp == ntohs(peer->sin_port) &&
            ra == self->sin_addr.s_addr && rp == ntohs(self->sin_port) && inode) {
            *ino = inode;
            rc = 0;
        }
    }
    fclose(fp);
    return rc;
}

/* The inode of the socket at the other end of a loopback TCP connection: sock_diag looks the
 * socket up by its 4-tuple (the peer's address is its source, ours its destination). */
static int peer_inode(srv_fn_t *f, int fd, unsigned long *ino)
{
    struct sockaddr_in peer, self;
    socklen_t pl = sizeof(peer), sl = sizeof(self);
    if (getpeername(fd, (struct sockaddr *)&peer, &pl) < 0 ||
        getsockname(fd, (struct sockaddr *)&self, &sl) < 0 || peer.sin_family != AF_INET)
        return -1;
    if (f->diag_fd < 0)
        return peer_inode_proc(&peer, &self, ino);
    struct {
        struct nlmsghdr nh;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof(req));
    req.nh.nlmsg_len = sizeof(req);
    req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nh.nlmsg_flags = NLM_F_REQUEST;
    req.nh.nlmsg_seq = ++f->diag_seq;
    req.r.sdiag_family = AF_INET;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = ~0u;
    req.r.id.idiag_sport = peer.sin_port;
    req.r.id.idiag_dport = self.sin_port;
    req.r.id.idiag_src[0] = peer.sin_addr.s_addr;
    req.r.id.idiag_dst[0] = self.sin_addr.s_addr;
    req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
    if (sendto(f->diag_fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
        return -1;
    for (int tries = 0; tries < 4; tries++) { /* skip late answers to earlier questions */
        union {
            struct nlmsghdr nh;
            uint8_t b[4096];
        } buf;
        ssize_t n = recv(f->diag_fd, &buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        size_t len = (size_t)n;
        for (struct nlmsghdr *h = &buf.nh; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_seq != req.nh.nlmsg_seq)
                continue;
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
                h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                return -1; /* NLMSG_ERROR: no such socket (it is gone) */
            const struct inet_diag_msg *m = NLMSG_DATA(h);
            *ino = m->idiag_inode;
            return *ino ? 0 : -1;
        }
    }
    return -1;
}

/* Does process pid (under proc, a procfs) have want ("socket:[<inode>]") among its open
 * files? */
static bool holds(const char *proc, int pid, const char *want)
{
    char path[96];
    snprintf(path, sizeof(path), "%s/%d/fd", proc, pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return false;
    bool found = false;
    size_t wl = strlen(want);
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char link[64];
        ssize_t n = readlinkat(dirfd(d), de->d_name, link, sizeof(link));
        found = n == (ssize_t)wl && memcmp(link, want, wl) == 0;
    }
    closedir(d);
    return found;
}

/* Is pid (under proc) one of the instance's processes: in its PID namespace (or, without
 * one, in its process group)? */
static bool member(const inst_t *in, const char *proc, int pid)
{
    char path[96];
    if (in->ns_ino) {
        struct stat st;
        snprintf(path, sizeof(path), "%s/%d/ns/pid", proc, pid);
        return stat(path, &st) == 0 && st.st_ino == in->ns_ino && st.st_dev == in->ns_dev;
    }
    snprintf(path, sizeof(path), "%s/%d/stat", proc, pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char b[512];
    ssize_t n = read(fd, b, sizeof(b) - 1);
    close(fd);
    if (n <= 0)
        return false;
    b[n] = 0;
    const char *p = strrchr(b, ')'); /* "pid (comm) state ppid pgrp ..." */
    int ppid, pgrp;
    char state;
    return p && sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == in->pid;
}

/* Is the peer of a Runtime API connection a process of the instance? Its runtime (the
 * instance's first process) is asked first; its other processes (curl under a shell
 * bootstrap) after, found through the instance's own /proc (its PID namespace's procfs,
 * reached by its root: a walk of its processes only, not of the machine's). A connection
 * whose socket cannot be found (its peer is already gone) is refused. */
static bool peer_in_instance(srv_fn_t *f, const inst_t *in, int fd)
{
    unsigned long ino;
    if (peer_inode(f, fd, &ino) < 0)
        return false;
    char want[48];
    snprintf(want, sizeof(want), "socket:[%lu]", ino);
    if (holds("/proc", (int)in->pid, want))
        return true;
    char proc[64] = "/proc";
    if (in->ns_ino)
        snprintf(proc, sizeof(proc), "/proc/%d/root/proc", (int)in->pid);
    DIR *d = opendir(proc);
    if (d == NULL)
        return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        found = member(in, proc, (int)pid) && holds(proc, (int)pid, want);
    }
    closedir(d);
    return found;
}

/* Take a connection from the listener if it comes from the instance; close it unread if not.
 * @return false when none was waiting. */
static bool conn_accept_one(srv_fn_t *f, inst_t *in)
{
    int fd = accept4(in->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return false;
    if (!peer_in_instance(f, in, fd)) {
        KV_LOG_WARN("lambda %s/%d: a Runtime API connection from outside the instance refused",
                    in->fn, in->id);
        close(fd);
        return true;
    }
    size_t n = 0;
    for (rt_conn_t *c = in->conns; c; c = c->next)
        n++;
    if (n >= MAX_CONNS) {
        close(fd);
        return true;
    }
    struct timeval tv = {RT_SEND_TIMEOUT, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    rt_conn_t *c = kv_calloc(1, sizeof(*c));
    c->fd = fd;
    kv_buf_init(&c->url, RT_URL_MAX);
    kv_buf_init(&c->body, RT_BODY_MAX);
    kv_buf_init(&c->hdr, 256);
    c->settings = &f->settings;
    conn_reset(c);
    c->next = in->conns;
    in->conns = c;
    return true;
}

static void conn_accept(srv_fn_t *f, inst_t *in)
{
    for (int k = 0; k < ACCEPTS_MAX && conn_accept_one(f, in); k++)
        ;
}

/* ---- the loop ---- */

/* May instance in run inv (same function, code and configuration)? */
static bool fits(const inst_t *in, const api_invocation_t *inv)
{
    return in->code_id == inv->code_id && strcmp(in->fn, inv->function) == 0 &&
           strncmp(in->config, inv->config ? inv->config : "", sizeof(in->config) - 1) == 0;
}

static int count_for(srv_fn_t *f, const api_invocation_t *inv, int *starting)
{
    int n = 0;
    *starting = 0;
    for (inst_t *in = f->insts; in; in = in->next) {
        if (in->dead || strcmp(in->fn, inv->function) != 0)
            continue;
        n++;
        if (fits(in, inv) && !in->cur && !in->waiting_next)
            (*starting)++;
    }
    return n;
}

/* Hand waiting invocations to idle instances, starting instances as needed. */
static void dispatch(srv_fn_t *f)
{
    queued_t **pp = &f->waiting;
    while (*pp) {
        queued_t *q = *pp;
        api_invocation_t *inv = q->inv;
        inst_t *idle = NULL;
        for (inst_t *in = f->insts; in && !idle; in = in->next)
            if (!in->dead && in->waiting_next && !in->cur && fits(in, inv))
                idle = in;
        /* Idle instances of the function's old code or configuration will not be used again. */
        for (inst_t *in = f->insts; in && !idle; in = in->next)
            if (!in->dead && in->waiting_next && !in->cur && !fits(in, inv) &&
                strcmp(in->fn, inv->function) == 0)
                inst_kill(in);
        if (idle) {
            *pp = q->next;
            kv_free(q);
            deliver(idle, idle->waiting_next, inv);
            continue;
        }
        /* Earlier invocations of this function waiting too claim the instances starting. */
        int ahead = 0;
        for (queued_t *o = f->waiting; o != q; o = o->next)
            ahead += strcmp(o->inv->function, inv->function) == 0;
        int starting, total = count_for(f, inv, &starting);
        if (starting <= ahead && total < inv->concurrency) {
            int all = 0;
            for (inst_t *in = f->insts; in; in = in->next)
                all += !in->dead;
            const char *why = "too many instances are running";
            if (all >= MAX_INSTANCES || (inst_spawn(f, inv, &why) == NULL && why)) {
                *pp = q->next;
                kv_free(q);
                finish(inv, API_INV_FAILED, kv_slice_str(why));
                continue;
            }
        }
        pp = &q->next;
    }
    f->waiting_tail = pp;
    drop_failed_jobs(f);
}

/* An instance that ended before asking for work: the invocation waiting for it fails. */
static void fail_starter(srv_fn_t *f, inst_t *in)
{
    for (queued_t **pp = &f->waiting; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->inv->function, in->fn) != 0)
            continue;
        queued_t *q = *pp;
        *pp = q->next;
        if (*pp == NULL)
            f->waiting_tail = pp;
        if (in->exit_status == 127 || in->exit_status == 126)
            finish_error(q->inv, "Runtime.InvalidEntrypoint",
                         "RequestId: %s Error: Couldn't find valid bootstrap(s): "
                         "[bootstrap]",
                         q->inv->request_id);
        else
            finish_error(q->inv, "Runtime.ExitError",
                         "RequestId: %s Error: Runtime exited with error: exit status %d",
                         q->inv->request_id, in->exit_status);
        kv_free(q);
        return;
    }
}

/* Child processes that ended: their invocation fails; their instance goes. */
static void reap(srv_fn_t *f)
{
    int64_t now = kv_now_ms();
    for (inst_t **pp = &f->insts; *pp;) {
        inst_t *in = *pp;
        if (!in->reaped) {
            int st;
            if (waitpid(in->pid, &st, WNOHANG) == in->pid) {
                in->reaped = true;
                in->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                if (!in->dead && !in->started)
                    fail_starter(f, in);
                in->dead = true;
            }
        }
        if (in->dead && in->cur) {
            api_invocation_t *inv = in->cur;
            in->cur = NULL;
            finish_error(inv, "Runtime.ExitError",
                         "RequestId: %s Error: Runtime exited with error: exit status %d",
                         inv->request_id, in->exit_status);
        }
        if (in->dead && in->reaped) {
            *pp = in->next;
            inst_free(f, in);
            continue;
        }
        if (!in->dead && !in->cur && now - in->idle_since_ms > IDLE_REAP_MS)
            inst_kill(in);
        pp = &in->next;
    }
}

/* Invocations past their deadline: the instance is killed, the invocation times out. */
static void timeouts(srv_fn_t *f)
{
    int64_t now = kv_now_ms();
    for (inst_t *in = f->insts; in; in = in->next) {
        if (!in->cur || now < in->deadline_ms)
            continue;
        api_invocation_t *inv = in->cur;
        in->cur = NULL;
        char when[32];
        kv_time_fmt_iso(now, when);
        log_eventf(in, "%s %s Task timed out after %u.00 seconds", when, inv->request_id,
                   inv->timeout_s);
        log_report(in, inv);
        inst_kill(in);
        finish_error(inv, NULL, "%s %s Task timed out after %u.00 seconds", when, inv->request_id,
                     inv->timeout_s);
    }
}

static void read_log(inst_t *in)
{
    uint8_t buf[16384];
    for (;;) {
        ssize_t n = read(in->log_fd, buf, sizeof(buf));
        if (n > 0) {
            if (in->cur)
                tail_append(&in->cur->log, buf, (size_t)n, LOG_TAIL);
            log_output(in, buf, (size_t)n);
            KV_LOG_DEBUG("lambda %s/%d: %.*s", in->fn, in->id, (int)(n > 2000 ? 2000 : n), buf);
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            close(in->log_fd); /* the process is gone (or closed its output) */
            in->log_fd = -1;
        }
        return;
    }
}

static void *runner_main(void *arg)
{
    srv_fn_t *f = arg;
    struct pollfd *pfd = kv_calloc(1 + MAX_INSTANCES * (2 + MAX_CONNS), sizeof(*pfd));
    for (;;) {
        /* New invocations join the queue. */
        pthread_mutex_lock(&f->lock);
        bool stop = f->stop;
        if (f->incoming) {
            *f->waiting_tail = f->incoming;
            f->waiting_tail = f->incoming_tail;
            f->incoming = NULL;
            f->incoming_tail = &f->incoming;
        }
        pthread_mutex_unlock(&f->lock);
        if (stop)
            break;
        reap(f);
        timeouts(f);
        dispatch(f);
        size_t n = 0;
        pfd[n++] = (struct pollfd){f->wake[0], POLLIN, 0};
        int64_t now = kv_now_ms(), next = now + 1000;
        for (inst_t *in = f->insts; in; in = in->next) {
            if (in->cur && in->deadline_ms < next)
                next = in->deadline_ms;
            if (in->dead)
                continue;
            pfd[n++] = (struct pollfd){in->listen_fd, POLLIN, 0};
            if (in->log_fd >= 0)
                pfd[n++] = (struct pollfd){in->log_fd, POLLIN, 0};
            for (rt_conn_t *c = in->conns; c; c = c->next)
                pfd[n++] = (struct pollfd){c->fd, POLLIN, 0};
        }
        int wait = next > now ? (int)(next - now) : 0;
        if (poll(pfd, n, wait) < 0 && errno != EINTR)
            break;
        if (pfd[0].revents) {
            char drain[256];
            while (read(f->wake[0], drain, sizeof(drain)) > 0)
                ;
        }
        /* Serve what is ready (the instance list is only changed by reap() above). */
        size_t i = 1;
        for (inst_t *in = f->insts; in && i < n; in = in->next) {
            if (in->dead)
                continue;
            bool acc = pfd[i++].revents != 0;
            bool log = in->log_fd >= 0 && pfd[i++].revents != 0;
            /* Connections were listed in order; collect the ready ones first. */
            rt_conn_t *ready[MAX_CONNS];
            size_t nr = 0;
            for (rt_conn_t *c = in->conns; c && i < n; c = c->next)
                if (pfd[i++].revents && nr < MAX_CONNS)
                    ready[nr++] = c;
            if (log)
                read_log(in);
            for (size_t k = 0; k < nr; k++)
                conn_read(f, in, ready[k]);
            if (acc)
                conn_accept(f, in);
        }
    }
    kv_free(pfd);
    /* Stopping: every instance goes, every invocation fails. */
    for (inst_t *in = f->insts; in; in = in->next)
        inst_kill(in);
    for (inst_t *in = f->insts; in; in = in->next) {
        if (in->cur) {
            api_invocation_t *inv = in->cur;
            in->cur = NULL;
            finish(inv, API_INV_FAILED, KV_SLICE_LIT("The server is stopping"));
        }
    }
    for (queued_t *q = f->waiting; q;) {
        queued_t *next = q->next;
        finish(q->inv, API_INV_FAILED, KV_SLICE_LIT("The server is stopping"));
        kv_free(q);
        q = next;
    }
    f->waiting = NULL;
    while (f->insts) {
        inst_t *in = f->insts;
        f->insts = in->next;
        if (!in->reaped)
            waitpid(in->pid, NULL, 0);
        inst_free(f, in);
    }
    return NULL;
}

static int runner_invoke(void *runner, api_invocation_t *inv)
{
    srv_fn_t *f = runner;
    queued_t *q = kv_calloc(1, sizeof(*q));
    q->inv = inv;
    q->enqueued_ms = kv_now_ms();
    pthread_mutex_lock(&f->lock);
    if (f->stop) {
        pthread_mutex_unlock(&f->lock);
        kv_free(q);
        return -1;
    }
    *f->incoming_tail = q;
    f->incoming_tail = &q->next;
    pthread_mutex_unlock(&f->lock);
    char one = 1;
    if (write(f->wake[1], &one, 1) < 0 && errno != EAGAIN)
        KV_LOG_WARN("lambda: cannot wake the runner: %s", strerror(errno));
    return 0;
}

/* The unpacker leaves its current zip at the next entry. */
static void stop_unpacker(srv_fn_t *f)
{
    if (!f->has_unpacker)
        return;
    atomic_store(&f->stopping, true);
    pthread_mutex_lock(&f->lock);
    f->stop = true;
    pthread_cond_broadcast(&f->unpack_cond);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->unpacker, NULL);
    f->has_unpacker = false;
}

static void fn_free(srv_fn_t *f)
{
    while (f->jobs) {
        unpack_job_t *j = f->jobs;
        f->jobs = j->next;
        kv_free(j);
    }
    close(f->wake[0]);
    close(f->wake[1]);
    if (f->self_pidfd >= 0)
        close(f->self_pidfd);
    if (f->diag_fd >= 0)
        close(f->diag_fd);
    pthread_cond_destroy(&f->unpack_cond);
    pthread_mutex_destroy(&f->lock);
    kv_free(f);
}

srv_fn_t *srv_fn_start(api_ctx_t *api, int main_port)
{
    srv_fn_t *f = kv_calloc(1, sizeof(*f));
    f->api = api;
    f->main_port = main_port;
    snprintf(f->dir, sizeof(f->dir), "%s/functions", api_data_dir(api));
    char path[4300];
    snprintf(path, sizeof(path), "%s/tmp", f->dir);
    remove_tree(path); /* instances of an earlier run */
    snprintf(path, sizeof(path), "%s/run", f->dir);
    remove_tree(path);
    if (mkdirs(f->dir) < 0 || srv_fn_write_runtimes(f->dir) < 0 ||
        pipe2(f->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        KV_LOG_ERROR("lambda: cannot prepare %s", f->dir);
        kv_free(f);
        return NULL;
    }
    /* Containment (see the top of this file): as root, namespaces need nothing more; without
     * root a user namespace comes with them, and when neither can be made inst_spawn() says
     * so once and does without. */
    f->root = geteuid() == 0;
    f->userns = !f->root;
    f->ns_flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | (f->userns ? CLONE_NEWUSER : 0);
    f->tmp_bytes = (uint64_t)TMP_MB << 20;
    f->self_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    f->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (f->diag_fd >= 0) {
        struct timeval tv = {1, 0};
        setsockopt(f->diag_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    } else {
        KV_LOG_WARN("lambda: no sock_diag (%s): Runtime API peers are found in /proc/net/tcp",
                    strerror(errno));
    }
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->unpack_cond, NULL);
    f->incoming_tail = &f->incoming;
    f->waiting_tail = &f->waiting;
    llhttp_settings_init(&f->settings);
    f->settings.on_url = on_url;
    f->settings.on_body = on_body;
    f->settings.on_message_complete = on_complete;
    signal(SIGPIPE, SIG_IGN);
    if (pthread_create(&f->unpacker, NULL, unpacker_main, f) != 0) {
        fn_free(f);
        return NULL;
    }
    f->has_unpacker = true;
    if (pthread_create(&f->thread, NULL, runner_main, f) != 0) {
        stop_unpacker(f);
        fn_free(f);
        return NULL;
    }
    api_set_runner(api, runner_invoke, f);
    return f;
}

void srv_fn_stop(srv_fn_t *f)
{
    if (f == NULL)
        return;
    atomic_store(&f->stopping, true);
    pthread_mutex_lock(&f->lock);
    f->stop = true;
    pthread_mutex_unlock(&f->lock);
    char one = 1;
    if (write(f->wake[1], &one, 1) < 0)
        KV_LOG_WARN("lambda: cannot wake the runner");
    pthread_join(f->thread, NULL);
    stop_unpacker(f);
    /* Anything queued after the thread saw stop fails here. */
    for (queued_t *q = f->incoming; q;) {
        queued_t *next = q->next;
        finish(q->inv, API_INV_FAILED, KV_SLICE_LIT("The server is stopping"));
        kv_free(q);
        q = next;
    }
    fn_free(f);
}
