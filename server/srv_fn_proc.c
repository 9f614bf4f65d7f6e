/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Function instances as processes. Each is started (clone, sharing the runner's memory until
 * execve) in its function's unpacked code directory with a clean environment holding Lambda's
 * variables.
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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_log.h"
#include "srv_fn_int.h"
#include "srv_fn_runtimes.h"

bool srv_fn_proc_find_program(const char *name, char *out, size_t cap)
{
    static const char *const dirs[] = {"/usr/local/bin", "/usr/bin", "/bin"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(out, cap, "%s/%s", dirs[i], name);
        if (access(out, X_OK) == 0)
            return true;
    }
    return false;
}

/* In a PID namespace the end of its first process ends every other one; without, its process
 * group goes too. */
void srv_fn_proc_kill(inst_t *in)
{
    if (!in->dead && in->pid > 0) {
        kill(in->pid, SIGKILL);
        kill(-in->pid, SIGKILL);
    }
    in->dead = true;
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

int srv_fn_proc_spawn(srv_fn_t *f, inst_t *in, const api_invocation_t *inv, const char *root,
                      char *prog, char *script, const char *tmp, int out_fd)
{
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
    ENV("AWS_LAMBDA_LOG_GROUP_NAME=" API_FNLOG_GROUP_PREFIX "%s", inv->function);
    ENV("AWS_LAMBDA_LOG_STREAM_NAME=%s", in->log.stream);
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
    ne += srv_fn_runtime_env(f, inv, root, envp + ne); /* PYTHONPATH, NODE_PATH */
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
                  .log_fd = out_fd,
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
    if (pid < 0)
        return -1;
    setpgid(pid, pid);
    in->pid = pid;
    char nspath[64];
    struct stat nst;
    snprintf(nspath, sizeof(nspath), "/proc/%d/ns/pid", (int)pid);
    if ((f->ns_flags & CLONE_NEWPID) && stat(nspath, &nst) == 0) {
        in->ns_dev = nst.st_dev;
        in->ns_ino = nst.st_ino;
    }
    return 0;
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
bool srv_fn_proc_peer_ok(srv_fn_t *f, const inst_t *in, int fd)
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
