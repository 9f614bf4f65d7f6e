/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Function instances as processes, each in a sandbox shaped as Lambda's execution
 * environment. An instance is started by clone (sharing the runner's memory until execve: no
 * page tables copied) into new mount, PID, IPC and UTS namespaces (and a user namespace when
 * the server is not root); the network is shared, so that it reaches Stratus on loopback.
 *
 * Its file system is a fresh tmpfs made its root (pivot_root, the old root detached) holding
 * only: its code read-only at /var/task, its layers read-only at /opt, the runtimes read-only
 * at /var/runtime (the Node SDK at /var/runtime/node_modules, /node_modules pointing there),
 * the system directories (/usr, /bin, /sbin, /lib, /lib64, /etc: those there are, symbolic
 * links kept as links) read-only, a minimal /dev, /proc of its own PID namespace and a
 * private /tmp tmpfs of the function's EphemeralStorage size; the root itself is read-only.
 * Not the data directory, not other functions' code: the server's own paths (data directory,
 * key files) are covered wherever a bound directory would show them. Its hostname is
 * "169.254.<slot>". Where namespaces cannot be had no instance starts, unless the operator
 * chose --insecure-no-sandbox (host paths then; as root still the instance's own uid).
 *
 * As root, each live instance has a uid and gid of its own (SANDBOX_ID_BASE + its slot), so
 * that instances cannot signal or read each other and RLIMIT_NPROC counts per instance;
 * without root, the user namespace maps the server's uid to Lambda's sbx_user1051 (993:990).
 * Supplementary groups are dropped, no_new_privs set, and, last before execve, a seccomp
 * filter (built once with libseccomp, exported as BPF: the child may only make system calls)
 * refuses ptrace, mount, namespaces, bpf, kexec, modules, keyrings and the like with EPERM.
 *
 * Limits: memory (MemorySize), process count and CPU weight (1769 MB = one vCPU) by a control
 * group per instance where cgroup v2 is delegated to the server, else by rlimits (RLIMIT_DATA,
 * RLIMIT_NPROC per instance uid) and a nice value.
 *
 * The instance is the init of its PID namespace (every process it starts dies with it) and
 * dies with the runner (PR_SET_PDEATHSIG).
 *
 * The Runtime API is bound to its instance: runtimes only know host:port, so every accepted
 * connection's peer socket is looked up (sock_diag: the 4-tuple gives the socket's inode)
 * and accepted only if a process of the instance's PID namespace holds that socket. Any
 * other local process that finds the port is disconnected before it is read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_log.h"
#include "srv_fn_int.h"
#include "srv_fn_runtimes.h"

#define SANDBOX_ID_BASE 990000 /* as root, an instance's uid and gid: this + its slot */
#define SANDBOX_UID     993    /* in a user namespace: Lambda's sbx_user1051 */
#define SANDBOX_GID     990
#define SANDBOX_NPROC   1024 /* processes and threads of an instance (Lambda's limit) */
#define VCPU_MB         1769 /* MemorySize worth one vCPU */
#define ROOT_OPTS       "size=1m,nr_inodes=256,mode=0755" /* the root tmpfs: mount points */
#define SHM_OPTS        "size=64m,nr_inodes=1024,mode=1777"
#define N_SYS           6
#define N_HIDE          8 /* the data and functions directories, key and TLS files */

/* What srv_fn_proc_init prepares once. */
struct fn_sandbox {
    struct {
        char name[8];   /* "usr", "bin", ... */
        char link[256]; /* a symbolic link's target; "" for a directory */
        bool present;
    } sys[N_SYS];
    struct sock_fprog seccomp; /* filter NULL: none could be built */
    char cgroup[4400];         /* the instances' cgroup v2 parent; "": rlimits */
    bool slots[MAX_INSTANCES + 1];
    char hide[N_HIDE][PATH_MAX]; /* the server's own paths, covered where a bind shows them */
    int n_hide;
    bool nproc_per_ns;   /* RLIMIT_NPROC counts per user namespace (Linux 5.14) */
    bool refused_logged; /* "no namespaces, no --insecure-no-sandbox" said once */
};

/* From the command line (srv_fn_sandbox_configure), before the runner starts. */
static bool insecure_no_sandbox;
static char hidden_cfg[N_HIDE - 2][PATH_MAX];
static size_t n_hidden_cfg;

void srv_fn_sandbox_configure(bool insecure, const char *const *hidden, size_t n)
{
    insecure_no_sandbox = insecure;
    n_hidden_cfg = 0;
    for (size_t i = 0; i < n && n_hidden_cfg < N_HIDE - 2; i++)
        if (hidden[i] && hidden[i][0])
            snprintf(hidden_cfg[n_hidden_cfg++], PATH_MAX, "%s", hidden[i]);
}

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

/* ---- prepared once ---- */

/* The seccomp program: everything allowed but what a function has no use for and a sandbox
 * escape would (EPERM, as Lambda's filter answers); clone3 answers ENOSYS (its flags are in
 * memory a filter cannot read: runtimes fall back to clone, whose namespace flags are
 * refused). Another architecture's system calls (i386 on x86_64) kill the process. */
static int build_seccomp(struct sock_fprog *out)
{
    static const char *const refused[] = {"ptrace",
                                          "process_vm_readv",
                                          "process_vm_writev",
                                          "mount",
                                          "umount2",
                                          "umount",
                                          "pivot_root",
                                          "move_mount",
                                          "fsopen",
                                          "fsmount",
                                          "fsconfig",
                                          "fspick",
                                          "open_tree",
                                          "mount_setattr",
                                          "bpf",
                                          "kexec_load",
                                          "kexec_file_load",
                                          "init_module",
                                          "finit_module",
                                          "delete_module",
                                          "add_key",
                                          "request_key",
                                          "keyctl",
                                          "perf_event_open",
                                          "reboot",
                                          "swapon",
                                          "swapoff",
                                          "setns",
                                          "userfaultfd",
                                          "acct",
                                          "quotactl",
                                          "quotactl_fd",
                                          "settimeofday",
                                          "clock_settime",
                                          "clock_adjtime",
                                          "adjtimex",
                                          "sethostname",
                                          "setdomainname",
                                          "chroot",
                                          "open_by_handle_at",
                                          "name_to_handle_at",
                                          "lookup_dcookie",
                                          "iopl",
                                          "ioperm",
                                          "vhangup",
                                          "syslog"};
    static const unsigned long ns_flags[] = {CLONE_NEWNS,     CLONE_NEWUSER, CLONE_NEWPID,
                                             CLONE_NEWNET,    CLONE_NEWIPC,  CLONE_NEWUTS,
                                             CLONE_NEWCGROUP, 0x00000080 /* CLONE_NEWTIME */};
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        int nr = seccomp_syscall_resolve_name(refused[i]);
        if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) < 0)
            rc = -1;
    }
    for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i])) < 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i])) < 0)
            rc = -1;
    }
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0)
        rc = -1;
    /* Faking a terminal's input, or the console's selection: the command is an unsigned int,
     * whatever the register's upper half holds. */
    static const unsigned long ioctls[] = {0x5412 /* TIOCSTI */, 0x541C /* TIOCLINUX */};
    for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                             SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFul, ioctls[i])) < 0)
            rc = -1;
    int fd = rc == 0 ? memfd_create("seccomp", MFD_CLOEXEC) : -1;
    if (fd >= 0 && seccomp_export_bpf(ctx, fd) == 0) {
        off_t len = lseek(fd, 0, SEEK_END);
        if (len > 0 && len % sizeof(struct sock_filter) == 0 &&
            len / sizeof(struct sock_filter) <= BPF_MAXINSNS) {
            struct sock_filter *prog = kv_malloc((size_t)len);
            if (pread(fd, prog, (size_t)len, 0) == len) {
                out->filter = prog;
                out->len = (unsigned short)(len / sizeof(struct sock_filter));
            } else {
                kv_free(prog);
            }
        }
    }
    if (fd >= 0)
        close(fd);
    seccomp_release(ctx);
    return out->filter ? 0 : -1;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int err = errno;
    close(fd);
    errno = err; /* the write's (EBUSY: a group holding processes passes no controller) */
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Is cgroup v2 delegated to us: the unified hierarchy at /sys/fs/cgroup with memory, pids and
 * cpu, and our own group able to pass them down? Then out is the instances' parent group,
 * <our group>/stratus-fn. A group holding processes cannot pass controllers down (unless it
 * is the root): the server then first moves itself into <our group>/stratus-server, as a
 * service given a delegated group (systemd's Delegate=yes) does. */
static bool cgroup_v2(char *out, size_t cap)
{
    char line[4096], own[4096] = "";
    FILE *fp = fopen("/proc/self/cgroup", "re");
    bool v2only = true;
    while (fp && fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, "0::", 3) == 0)
            snprintf(own, sizeof(own), "%s", line + 3);
        else
            v2only = false;
    }
    if (fp)
        fclose(fp);
    FILE *cf = fopen("/sys/fs/cgroup/cgroup.controllers", "re");
    char ctl[512] = "";
    if (cf) {
        if (!fgets(ctl, sizeof(ctl), cf))
            ctl[0] = 0;
        fclose(cf);
    }
    if (!v2only || !own[0] || !strstr(ctl, "memory") || !strstr(ctl, "pids") || !strstr(ctl, "cpu"))
        return false;
    char base[4200], path[4500];
    snprintf(base, sizeof(base), "/sys/fs/cgroup%s", strcmp(own, "/") == 0 ? "" : own);
    snprintf(path, sizeof(path), "%s/cgroup.subtree_control", base);
    if (write_file(path, "+memory +pids +cpu") < 0) {
        if (errno != EBUSY)
            return false;
        char leaf[4300];
        snprintf(leaf, sizeof(leaf), "%s/stratus-server", base);
        if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
            return false;
        snprintf(leaf, sizeof(leaf), "%s/stratus-server/cgroup.procs", base);
        if (write_file(leaf, "0") < 0 || write_file(path, "+memory +pids +cpu") < 0)
            return false;
    }
    snprintf(out, cap, "%s/stratus-fn", base);
    if (mkdir(out, 0755) < 0 && errno != EEXIST)
        return false;
    snprintf(path, sizeof(path), "%s/cgroup.subtree_control", out);
    if (write_file(path, "+memory +pids +cpu") < 0) {
        rmdir(out);
        return false;
    }
    return true;
}

int srv_fn_proc_init(srv_fn_t *f)
{
    struct fn_sandbox *sb = kv_calloc(1, sizeof(*sb));
    static const char *const sys[N_SYS] = {"usr", "bin", "sbin", "lib", "lib64", "etc"};
    for (int i = 0; i < N_SYS; i++) {
        char path[16];
        struct stat st;
        snprintf(sb->sys[i].name, sizeof(sb->sys[i].name), "%s", sys[i]);
        snprintf(path, sizeof(path), "/%s", sys[i]);
        if (lstat(path, &st) < 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(path, sb->sys[i].link, sizeof(sb->sys[i].link) - 1);
            sb->sys[i].present = n > 0;
            if (n > 0)
                sb->sys[i].link[n] = 0;
        } else {
            sb->sys[i].present = S_ISDIR(st.st_mode);
        }
    }
    /* The server's own paths: covered wherever a bind (a system directory, a runtime's prefix)
     * would show them to an instance. */
    char real[PATH_MAX];
    if (realpath(f->data_dir, real))
        snprintf(sb->hide[sb->n_hide++], PATH_MAX, "%s", real);
    if (realpath(f->dir, real) && strcmp(real, sb->hide[0]) != 0)
        snprintf(sb->hide[sb->n_hide++], PATH_MAX, "%s", real);
    for (size_t i = 0; i < n_hidden_cfg && sb->n_hide < N_HIDE; i++)
        if (realpath(hidden_cfg[i], real))
            snprintf(sb->hide[sb->n_hide++], PATH_MAX, "%s", real);
    struct utsname un;
    int major = 0, minor = 0;
    sb->nproc_per_ns = uname(&un) == 0 && sscanf(un.release, "%d.%d", &major, &minor) == 2 &&
                       (major > 5 || (major == 5 && minor >= 14));
    if (build_seccomp(&sb->seccomp) < 0)
        KV_LOG_WARN("lambda: no seccomp filter could be built: instances run without one");
    if (cgroup_v2(sb->cgroup, sizeof(sb->cgroup)))
        KV_LOG_INFO("lambda: instance limits by cgroup v2 (%s): memory.max = MemorySize, "
                    "pids.max = %d, cpu.weight proportional to memory",
                    sb->cgroup, SANDBOX_NPROC);
    else
        KV_LOG_INFO("lambda: instance limits by rlimits (no delegated cgroup v2): RLIMIT_DATA = "
                    "MemorySize, RLIMIT_NPROC = %d%s, a nice value proportional to memory, /tmp "
                    "at most max(%d MB, MemorySize) of EphemeralStorage (it is memory)",
                    SANDBOX_NPROC,
                    f->root            ? " per instance uid"
                    : sb->nproc_per_ns ? " per instance user namespace"
                                       : " over the server uid's own processes",
                    TMP_MB);
    f->sandbox = sb;
    return 0;
}

void srv_fn_proc_fini(srv_fn_t *f)
{
    if (f->sandbox == NULL)
        return;
    if (f->sandbox->cgroup[0])
        rmdir(f->sandbox->cgroup);
    kv_free(f->sandbox->seccomp.filter);
    kv_free(f->sandbox);
    f->sandbox = NULL;
}

void srv_fn_proc_release(inst_t *in)
{
    struct fn_sandbox *sb = in->f->sandbox;
    if (sb == NULL || in->slot <= 0)
        return;
    if (sb->cgroup[0]) {
        char path[4500];
        snprintf(path, sizeof(path), "%s/i%d", sb->cgroup, in->slot);
        rmdir(path);
    }
    sb->slots[in->slot] = false;
    in->slot = 0;
}

/* ---- the child ---- */

/* What an instance's process needs between clone and exec (all prepared by the runner). */
typedef struct spawn {
    char *prog;
    char **argv, **envp;
    int log_fd;
    rlim_t mem;
    int nice;
    int parent_pidfd; /* the server: a starting child whose server is gone ends */
    pid_t parent;     /* ... or, without a pidfd, its pid */
    bool ns;          /* in namespaces of its own: the sandbox's file system */
    bool userns;
    bool setid; /* as root: uid and gid become id */
    uid_t id;
    int cgroup_fd; /* its group's cgroup.procs, or -1 */
    const struct fn_sandbox *sb;
    const char *newroot; /* host directory: mount point of its root tmpfs */
    const char *code, *runtimes, *opt, *sdk;
    const char (*extra)[4096];
    int n_extra;
    const char *tmp_opts;
    const char *hostname;
    const char *cwd;
    rlim_t fsize;                  /* without namespaces: no file may outgrow the temporary space */
    const char *uid_map, *gid_map; /* with a user namespace */
    const char *step;              /* set by the child: the sandbox step that failed (NULL: none) */
    int step_errno;                /* ... and its errno */
    rlim_t nproc;                  /* RLIMIT_NPROC (0: none set) */
} spawn_t;

/* Ends the child without exit hooks: it shares the runner's memory (a sanitizer's exit-time
 * leak check there would judge the server's heap). */
static void child_exit(int code)
{
    for (;;)
        syscall(SYS_exit_group, code);
}

/* A sandbox step failed: the runner reads which, and its errno, once the child is gone (the
 * child shares its memory). */
static void child_fail(spawn_t *sp, const char *step)
{
    sp->step_errno = errno;
    sp->step = step;
    child_exit(125);
}

/* Bind src read-only at dst (relative to the new root being built). A user namespace may only
 * keep the flags the kernel locked on the original mount, so those are carried over. */
static int ro_bind(const char *src, const char *dst)
{
    if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
        return -1;
    struct statfs sf;
    unsigned long keep = 0;
    if (statfs(dst, &sf) == 0) {
        keep |= (sf.f_flags & ST_NOEXEC) ? MS_NOEXEC : 0;
        keep |= (sf.f_flags & ST_NOATIME) ? MS_NOATIME : 0;
        keep |= (sf.f_flags & ST_NODIRATIME) ? MS_NODIRATIME : 0;
        keep |= (sf.f_flags & ST_RELATIME) ? MS_RELATIME : 0;
    }
    return mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | keep,
                 NULL);
}

/* mkdir -p of an absolute path under the current directory; a file's own mount point is an
 * empty file. */
static int make_point(const char *abs, bool file)
{
    char p[4096];
    size_t n = strlen(abs);
    if (n + 2 > sizeof(p) || abs[0] != '/')
        return -1;
    p[0] = '.';
    memcpy(p + 1, abs, n + 1);
    for (size_t i = 2; i <= n; i++) {
        if (p[i] == '/') {
            p[i] = 0;
            mkdir(p, 0755);
            p[i] = '/';
        }
    }
    if (file) {
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
            close(fd);
        return fd >= 0 || errno == EEXIST ? 0 : -1;
    }
    return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* Cover each of the server's own paths (data directory, key files) that a bind shows inside:
 * a directory under an empty read-only tmpfs, a file under /dev/null. Paths are absolute and
 * resolved (realpath) at start; the current directory is the new root. */
static const char *child_cover(const spawn_t *sp)
{
    for (int i = 0; i < sp->sb->n_hide; i++) {
        char dst[4100] = ".";
        struct stat st;
        memcpy(dst + 1, sp->sb->hide[i], strlen(sp->sb->hide[i]) + 1);
        if (lstat(dst, &st) < 0) {
            if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
                continue; /* not visible inside */
            return "cover";
        }
        if (S_ISDIR(st.st_mode)) {
            if (mount("tmpfs", dst, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                      "size=4k,nr_inodes=1,mode=0555") < 0)
                return "cover";
        } else if (mount("/dev/null", dst, NULL, MS_BIND, NULL) < 0) {
            return "cover";
        }
    }
    return NULL;
}

/* The instance's root: a tmpfs on newroot holding Lambda's layout (see the file's head), then
 * made the root with the old one detached, and read-only. @return NULL, or the step that
 * failed (errno set). */
static const char *child_mounts(const spawn_t *sp)
{
    if (sp->userns && (write_file("/proc/self/setgroups", "deny") < 0 ||
                       write_file("/proc/self/uid_map", sp->uid_map) < 0 ||
                       write_file("/proc/self/gid_map", sp->gid_map) < 0))
        return "user namespace map";
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tmpfs", sp->newroot, "tmpfs", MS_NOSUID | MS_NODEV, ROOT_OPTS) < 0 ||
        chdir(sp->newroot) < 0)
        return "root tmpfs";
    static const char *const dirs[] = {"var", "var/task", "var/runtime", "opt",
                                       "tmp", "proc",     "dev",         "dev/shm"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (mkdir(dirs[i], 0755) < 0)
            return "root layout";
    if (ro_bind(sp->code, "var/task") < 0)
        return "bind /var/task";
    if (ro_bind(sp->runtimes, "var/runtime") < 0)
        return "bind /var/runtime";
    if (sp->sdk && (ro_bind(sp->sdk, "var/runtime/node_modules") < 0 ||
                    symlink("/var/runtime/node_modules", "node_modules") < 0))
        return "bind the Node SDK";
    if (sp->opt && ro_bind(sp->opt, "opt") < 0)
        return "bind /opt";
    for (int i = 0; i < N_SYS; i++) {
        const char *name = sp->sb->sys[i].name;
        if (!sp->sb->sys[i].present)
            continue;
        if (sp->sb->sys[i].link[0]) {
            if (symlink(sp->sb->sys[i].link, name) < 0)
                return "system links";
            continue;
        }
        char src[16];
        src[0] = '/';
        memcpy(src + 1, name, strlen(name) + 1);
        if (mkdir(name, 0755) < 0 || ro_bind(src, name) < 0)
            return "bind system directories";
    }
    /* No tty: a terminal reached through /dev/tty could be fed input (TIOCSTI). */
    static const char *const devs[] = {"null", "zero", "full", "random", "urandom"};
    for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
        char src[16] = "/dev/", dst[16] = "dev/";
        memcpy(src + 5, devs[i], strlen(devs[i]) + 1);
        memcpy(dst + 4, devs[i], strlen(devs[i]) + 1);
        int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
            return "devices";
        close(fd);
        if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
            return "devices";
    }
    if (symlink("/proc/self/fd", "dev/fd") < 0 || symlink("/proc/self/fd/0", "dev/stdin") < 0 ||
        symlink("/proc/self/fd/1", "dev/stdout") < 0 ||
        symlink("/proc/self/fd/2", "dev/stderr") < 0 ||
        mount("tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, SHM_OPTS) < 0 ||
        mount("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, sp->tmp_opts) < 0 ||
        mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return "/dev, /tmp and /proc";
    for (int i = 0; i < sp->n_extra; i++) {
        struct stat st;
        if (stat(sp->extra[i], &st) < 0) /* gone from the host: nothing to show */
            continue;
        char dst[4100] = ".";
        memcpy(dst + 1, sp->extra[i], strlen(sp->extra[i]) + 1);
        /* Best effort: a path under a directory already shown (/usr/...) needs no mount of
         * its own, and one that cannot be shown fails later with its runtime's own error. */
        if (make_point(sp->extra[i], !S_ISDIR(st.st_mode)) == 0)
            ro_bind(sp->extra[i], dst);
    }
    const char *step = child_cover(sp); /* after every bind: nothing mounted later shows them */
    if (step)
        return step;
    /* The new root on top of the old, which is then detached from under it. */
    if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        return "pivot_root";
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        return "read-only root";
    return sethostname(sp->hostname, strlen(sp->hostname)) < 0 ? "hostname" : NULL;
}

/* Is the server gone (the child would then never be killed with it)? (In a PID namespace
 * getppid() is 0, hence the pidfd.) */
static bool parent_gone(const spawn_t *sp)
{
    if (sp->parent_pidfd >= 0) {
        struct pollfd p = {sp->parent_pidfd, POLLIN, 0};
        return poll(&p, 1, 0) != 0;
    }
    return !sp->ns && getppid() != sp->parent;
}

/* The child, sharing the runner's memory until execve: system calls only, nothing written but
 * its own stack. The instance dies with stratusd. MemorySize bounds its writable memory
 * (RLIMIT_DATA: heap and private mappings; address-space limits break runtimes that reserve
 * large virtual ranges) unless its control group does. */
static int spawn_child(void *arg)
{
    spawn_t *sp = arg;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (parent_gone(sp))
        child_exit(1);
    if (sp->cgroup_fd >= 0 && write(sp->cgroup_fd, "0", 1) != 1)
        child_fail(sp, "join its control group");
    umask(022); /* its own (no CLONE_FS): not the server's 077 */
    const char *step = sp->ns ? child_mounts(sp) : NULL;
    if (step)
        child_fail(sp, step);
    /* Signals as a fresh process has them: the server's threads block some and ignore
     * SIGPIPE, and both would outlive execve. The raw call: glibc's keeps its own signals. */
    uint64_t none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
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
    /* A session of its own, without a controlling terminal (TIOCSTI into the server's). */
    if (syscall(SYS_setsid) < 0)
        child_fail(sp, "setsid");
    if (chdir(sp->cwd) < 0)
        child_exit(126);
    struct rlimit nofile = {1024, 1024}, core = {0, 0}, data = {sp->mem, sp->mem};
    struct rlimit nproc = {sp->nproc, sp->nproc};
    setrlimit(RLIMIT_NOFILE, &nofile);
    setrlimit(RLIMIT_CORE, &core);
    if (sp->cgroup_fd < 0) {
        setrlimit(RLIMIT_DATA, &data);
        if (sp->nproc && setrlimit(RLIMIT_NPROC, &nproc) < 0)
            child_fail(sp, "RLIMIT_NPROC");
        setpriority(PRIO_PROCESS, 0, sp->nice);
    }
    if (!sp->ns) {
        struct rlimit fsize = {sp->fsize, sp->fsize};
        setrlimit(RLIMIT_FSIZE, &fsize);
    }
    if (sp->setid) {
        /* Raw system calls, as posix_spawn makes them: glibc's wrappers would change every
         * thread's ids (a broadcast under locks the runner's threads share with this child). */
        gid_t g = (gid_t)sp->id;
        if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, g, g, g) < 0 ||
            syscall(SYS_setresuid, sp->id, sp->id, sp->id) < 0)
            child_fail(sp, "set the instance's uid and gid");
        /* A change of credentials clears the parent-death signal: set again, look again. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (parent_gone(sp))
            child_exit(1);
    }
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0)
        dup2(nul, 0);
    dup2(sp->log_fd, 1);
    dup2(sp->log_fd, 2);
    if (close_range(3, ~0U, 0) < 0)
        for (int fd = 3; fd < 4096; fd++)
            close(fd);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_fail(sp, "no_new_privs");
    if (sp->sb && sp->sb->seccomp.filter &&
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &sp->sb->seccomp) < 0)
        child_fail(sp, "seccomp");
    execve(sp->prog, sp->argv, sp->envp);
    child_exit(127);
    return 127;
}

/* ---- spawning ---- */

/* The host directory that stands for /opt without namespaces: the layers' (opt), else one that
 * does not exist (never the host's own /opt). */
static void host_opt(srv_fn_t *f, const char *opt, char *out, size_t cap)
{
    if (opt)
        snprintf(out, cap, "%s", opt);
    else
        snprintf(out, cap, "%s/run/no-layers", f->dir);
}

/* A sandbox path (/var/task/..., /var/runtime/..., /opt/...) as the host sees it, for
 * instances that run without namespaces (--insecure-no-sandbox). */
static void host_path(srv_fn_t *f, const char *root, const char *opt, const char *in, char *out,
                      size_t cap)
{
    char o[4300];
    if (strncmp(in, "/var/task", 9) == 0 && (in[9] == '/' || in[9] == 0)) {
        snprintf(out, cap, "%s%s", root, in + 9);
    } else if (strncmp(in, "/var/runtime", 12) == 0 && (in[12] == '/' || in[12] == 0)) {
        snprintf(out, cap, "%s/runtimes%s", f->dir, in + 12);
    } else if (strncmp(in, "/opt", 4) == 0 && (in[4] == '/' || in[4] == 0)) {
        host_opt(f, opt, o, sizeof(o));
        snprintf(out, cap, "%s%s", o, in + 4);
    } else {
        snprintf(out, cap, "%s", in);
    }
}

/* Without namespaces, as root, instances run as uids of their own that reach their code, the
 * runtimes and their temporary directory by host path: the functions directory and its run/
 * and tmp/ become traversable (0711, not listable), and every directory above them must be.
 * @return true, or false with the reason in f->spawn_error. */
static bool host_paths_reachable(srv_fn_t *f)
{
    static const char *const sub[] = {"", "/run", "/tmp"};
    char p[4400];
    for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", f->dir, sub[i]);
        chmod(p, 0711);
    }
    if (realpath(f->dir, p) == NULL)
        return false;
    for (char *slash; (slash = strrchr(p, '/')) != NULL && slash != p;) {
        *slash = 0;
        struct stat st;
        if (stat(p, &st) < 0 || !(st.st_mode & S_IXOTH)) {
            snprintf(f->spawn_error, sizeof(f->spawn_error),
                     "Without a sandbox (--insecure-no-sandbox) instances run as uids of their "
                     "own: %.200s must be traversable by them (chmod o+x)",
                     p);
            KV_LOG_ERROR("lambda: %s", f->spawn_error);
            return false;
        }
    }
    return true;
}

/* Tasks (processes and threads) whose real uid is uid: what RLIMIT_NPROC counts outside a
 * user namespace of the instance's own (and before Linux 5.14 in one too). */
static rlim_t uid_tasks(uid_t uid)
{
    DIR *d = opendir("/proc");
    rlim_t n = 0;
    struct dirent *de;
    for (int seen = 0; d && (de = readdir(d)) != NULL && seen < 1 << 20; seen++) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%.20s/status", de->d_name);
        FILE *fp = fopen(path, "re");
        unsigned long ruid = ~0ul, threads = 0;
        while (fp && fgets(line, sizeof(line), fp)) {
            if (strncmp(line, "Uid:", 4) == 0)
                sscanf(line + 4, "%lu", &ruid);
            else if (strncmp(line, "Threads:", 8) == 0)
                sscanf(line + 8, "%lu", &threads);
        }
        if (fp)
            fclose(fp);
        if (ruid == (unsigned long)uid)
            n += threads;
    }
    if (d)
        closedir(d);
    return n;
}

/* The environment: the function's variables, then Lambda's own (which win). */
/* Is "NAME=value" one of the variables Lambda alone sets (the runtime's, the credentials)? */
static bool env_lambdas(const char *kv)
{
    static const char *const own[] = {"AWS_LAMBDA_",        "LAMBDA_",
                                      "_HANDLER=",          "_X_AMZN_TRACE_ID=",
                                      "AWS_REGION=",        "AWS_DEFAULT_REGION=",
                                      "AWS_EXECUTION_ENV=", "AWS_ACCESS_KEY=",
                                      "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=",
                                      "AWS_SESSION_TOKEN="};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (strncmp(kv, own[i], strlen(own[i])) == 0)
            return true;
    return false;
}

static char **build_env(srv_fn_t *f, inst_t *in, const api_invocation_t *inv, const char *root,
                        const char *tmp, const char *opt, bool sandboxed)
{
    const char *ak, *sk, *region;
    api_function_identity(f->api, &ak, &sk, &region);
    (void)ak, (void)sk; /* the server's own: never an instance's */
    api_creds_t *creds = kv_calloc(1, sizeof(*creds));
    if (api_function_credentials(f->api, inv->arn, inv->role, creds) < 0) {
        kv_free(creds);
        errno = ENAMETOOLONG;
        return NULL;
    }
    in->creds_expires = creds->expires;
    size_t n_env = inv->n_env + 40;
    char **envp = kv_calloc(n_env + 1, sizeof(char *));
    size_t ne = 0;
    for (size_t i = 0; i < inv->n_env; i++)
        if (!env_lambdas(inv->env[i])) /* refused by the API; a record from before */
            envp[ne++] = kv_strdup(inv->env[i]);
    size_t n_user = ne;
    char b[API_SESSION_TEXT_MAX + 64]; /* the session token is the longest */
#define ENV(...)                             \
    do {                                     \
        snprintf(b, sizeof(b), __VA_ARGS__); \
        envp[ne++] = kv_strdup(b);           \
    } while (0)
    ENV("AWS_LAMBDA_RUNTIME_API=127.0.0.1:%d", in->port);
    ENV("AWS_LAMBDA_FUNCTION_NAME=%s", inv->function);
    ENV("AWS_LAMBDA_FUNCTION_VERSION=%s", inv->version ? inv->version : "$LATEST");
    ENV("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%u", inv->memory_mb);
    ENV("AWS_LAMBDA_LOG_GROUP_NAME=%s", inv->log_group);
    ENV("AWS_LAMBDA_LOG_STREAM_NAME=%s", in->log.stream);
    if (inv->log_json) { /* LoggingConfig JSON: the runtimes' application logs follow it */
        ENV("AWS_LAMBDA_LOG_FORMAT=JSON");
        ENV("AWS_LAMBDA_LOG_LEVEL=%s", inv->app_log_level);
    }
    ENV("AWS_EXECUTION_ENV=AWS_Lambda_%s", inv->runtime);
    ENV("AWS_REGION=%s", region);
    ENV("AWS_DEFAULT_REGION=%s", region);
    ENV("AWS_ACCESS_KEY_ID=%s", creds->access_key);
    ENV("AWS_SECRET_ACCESS_KEY=%s", creds->secret_key);
    ENV("AWS_SESSION_TOKEN=%s", creds->token);
    ENV("AWS_ENDPOINT_URL=http://127.0.0.1:%d", f->main_port);
    ENV("_HANDLER=%s", inv->handler);
    ENV("LAMBDA_TASK_ROOT=%s", sandboxed ? "/var/task" : root);
    if (sandboxed)
        ENV("LAMBDA_RUNTIME_DIR=/var/runtime");
    else
        ENV("LAMBDA_RUNTIME_DIR=%s/runtimes", f->dir);
    ENV("PATH=/usr/local/bin:/usr/bin:/bin");
    ENV("LANG=C.UTF-8");
    ENV("TZ=:UTC");
    ENV("HOME=%s", sandboxed ? "/tmp" : tmp);
    ENV("TMPDIR=%s", sandboxed ? "/tmp" : tmp);
    ENV("PYTHONUNBUFFERED=1");
    ENV("PYTHONDONTWRITEBYTECODE=1");
    char host_o[4300];
    host_opt(f, opt, host_o, sizeof(host_o));
    ne += srv_fn_runtime_env(f, inv, root, sandboxed ? NULL : host_o, envp + ne);
#undef ENV
    /* A variable the function sets itself (PATH, TZ, NODE_PATH, ...) replaces Lambda's default,
     * for every reader (getenv takes the first, Python's os.environ the last). */
    size_t out = n_user;
    for (size_t i = n_user; i < ne; i++) {
        size_t nl = strcspn(envp[i], "=");
        bool mine = false;
        for (size_t j = 0; j < n_user && !mine; j++)
            mine = strncmp(envp[j], envp[i], nl + 1) == 0;
        if (mine)
            kv_free(envp[i]);
        else
            envp[out++] = envp[i];
    }
    envp[out] = NULL;
    explicit_bzero(creds, sizeof(*creds));
    kv_free(creds);
    return envp;
}

static void free_env(char **envp)
{
    if (envp == NULL)
        return;
    for (size_t i = 0; envp[i]; i++)
        kv_free(envp[i]);
    kv_free(envp);
}

/* Its control group: created (or reused) with its limits; the fd of its cgroup.procs, which
 * the child writes itself into. -1: none (rlimits then). */
static int cgroup_open(struct fn_sandbox *sb, int slot, uint32_t mem_mb)
{
    char dir[4500], path[4600], v[32];
    snprintf(dir, sizeof(dir), "%s/i%d", sb->cgroup, slot);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -1;
    snprintf(path, sizeof(path), "%s/memory.max", dir);
    snprintf(v, sizeof(v), "%llu", (unsigned long long)mem_mb << 20);
    int rc = write_file(path, v);
    snprintf(path, sizeof(path), "%s/memory.swap.max", dir);
    write_file(path, "0");
    snprintf(path, sizeof(path), "%s/pids.max", dir);
    snprintf(v, sizeof(v), "%d", SANDBOX_NPROC);
    rc |= write_file(path, v);
    snprintf(path, sizeof(path), "%s/cpu.weight", dir);
    uint64_t w = (uint64_t)mem_mb * 100 / VCPU_MB; /* 100: one vCPU's share */
    snprintf(v, sizeof(v), "%llu", (unsigned long long)(w < 1 ? 1 : w > 10000 ? 10000 : w));
    rc |= write_file(path, v);
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    return rc == 0 ? open(path, O_WRONLY | O_CLOEXEC) : -1;
}

int srv_fn_proc_spawn(srv_fn_t *f, inst_t *in, const api_invocation_t *inv, const char *root,
                      char *prog, char *script, const char *tmp, const char *opt, int out_fd)
{
    struct fn_sandbox *sb = f->sandbox;
    f->spawn_error[0] = 0;
    int slot = 0;
    for (int s = 1; s <= MAX_INSTANCES && !slot; s++)
        if (!sb->slots[s])
            slot = s;
    if (slot == 0) {
        errno = EAGAIN;
        return -1;
    }
    uint32_t mem_mb = inv->memory_mb ? inv->memory_mb : 128;
    uint64_t tmp_bytes = inv->ephemeral_mb ? (uint64_t)inv->ephemeral_mb << 20 : f->tmp_bytes;
    /* Without a control group, the /tmp tmpfs (memory, not counted by RLIMIT_DATA) is at most
     * the larger of the default ephemeral storage and MemorySize. */
    uint64_t tmp_cap = (uint64_t)(mem_mb > TMP_MB ? mem_mb : TMP_MB) << 20;
    if (!sb->cgroup[0] && tmp_bytes > tmp_cap)
        tmp_bytes = tmp_cap;
    bool sandboxed = f->ns_flags != 0;
    char **envp = build_env(f, in, inv, root, tmp, opt, sandboxed);
    if (envp == NULL)
        return -1;
    char hprog[4400], hscript[4400];
    char *argv[3] = {prog, script[0] ? script : NULL, NULL};
    if (!sandboxed) { /* an earlier spawn found that namespaces cannot be had */
        if (f->root && (!host_paths_reachable(f) ||
                        chown(tmp, SANDBOX_ID_BASE + slot, SANDBOX_ID_BASE + slot) < 0)) {
            free_env(envp);
            return -1;
        }
        host_path(f, root, opt, prog, hprog, sizeof(hprog));
        argv[0] = prog = hprog;
        if (argv[1]) {
            host_path(f, root, opt, script, hscript, sizeof(hscript));
            argv[1] = hscript;
        }
    }
    char tmp_opts[160], uid_map[48], gid_map[48], hostname[32], runtimes[4300], sdk[4400];
    uid_t id = f->root ? (uid_t)(SANDBOX_ID_BASE + slot) : (uid_t)SANDBOX_UID;
    snprintf(tmp_opts, sizeof(tmp_opts), "size=%llu,nr_inodes=%llu,mode=0700,uid=%u,gid=%u",
             (unsigned long long)tmp_bytes, (unsigned long long)(tmp_bytes >> 12), (unsigned)id,
             f->root ? (unsigned)id : (unsigned)SANDBOX_GID);
    snprintf(uid_map, sizeof(uid_map), "%u %u 1", SANDBOX_UID, (unsigned)getuid());
    snprintf(gid_map, sizeof(gid_map), "%u %u 1", SANDBOX_GID, (unsigned)getgid());
    snprintf(hostname, sizeof(hostname), "169.254.%d.%d", 1 + slot / 250, 1 + slot % 250);
    snprintf(runtimes, sizeof(runtimes), "%s/runtimes", f->dir);
    if (f->sdk_dir[0]) { /* its mount point in the runtimes directory */
        snprintf(sdk, sizeof(sdk), "%s/node_modules", runtimes);
        mkdir(sdk, 0755);
    }
    /* CPU weight as a nice value when no control group gives it: one vCPU per 1769 MB, each
     * step of nice about 1.25 times less weight; never above the server's own. */
    int nice = 0;
    for (double r = (double)VCPU_MB / mem_mb; r > 1.118 /* rounded: sqrt(1.25) */ && nice < 19;
         r /= 1.25)
        nice++;
    int cg = sb->cgroup[0] ? cgroup_open(sb, slot, mem_mb) : -1;
    /* RLIMIT_NPROC: per instance uid as root, per instance user namespace since Linux 5.14;
     * else it counts the server uid's own tasks, which the instance's bound then adds to. */
    rlim_t nproc = SANDBOX_NPROC;
    if (!f->root && (!sandboxed || !sb->nproc_per_ns))
        nproc += uid_tasks(getuid());
    spawn_t sp = {.prog = prog,
                  .argv = argv,
                  .envp = envp,
                  .log_fd = out_fd,
                  .mem = (rlim_t)mem_mb << 20,
                  .nice = nice,
                  .parent_pidfd = f->self_pidfd,
                  .parent = getpid(),
                  .ns = sandboxed,
                  .userns = f->userns,
                  .setid = f->root, /* with or without namespaces */
                  .id = id,
                  .cgroup_fd = cg,
                  .sb = sb,
                  .newroot = tmp,
                  .code = root,
                  .runtimes = runtimes,
                  .opt = opt,
                  .sdk = f->sdk_dir[0] ? f->sdk_dir : NULL,
                  .extra = (const char(*)[4096])f->extra_ro,
                  .n_extra = f->n_extra_ro < 0   ? 0
                             : f->n_extra_ro > 8 ? 8
                                                 : f->n_extra_ro,
                  .tmp_opts = tmp_opts,
                  .hostname = hostname,
                  .cwd = sandboxed ? "/var/task" : root,
                  .fsize = (rlim_t)tmp_bytes,
                  .uid_map = uid_map,
                  .gid_map = gid_map,
                  .nproc = cg >= 0 ? 0 : nproc};
    /* The child shares our memory until it execs (no page tables copied: fork() of a server
     * with a large heap took tens of milliseconds), on a stack of its own. */
    enum { STACK = 64 * 1024 };
    uint8_t *stack = kv_malloc(STACK);
    pid_t pid =
        clone(spawn_child, stack + STACK, CLONE_VM | CLONE_VFORK | SIGCHLD | f->ns_flags, &sp);
    int err = errno;
    if (pid < 0 && f->ns_flags && (err == ENOSPC || err == EUSERS)) {
        /* The namespaces' count is exhausted for now: this spawn fails, the sandbox stays. */
        snprintf(f->spawn_error, sizeof(f->spawn_error),
                 "The instance's sandbox could not be made now (%s): too many namespaces",
                 strerror(err));
    } else if (pid < 0 && f->ns_flags && (err == EPERM || err == EINVAL || err == ENOSYS) &&
               !insecure_no_sandbox) {
        /* Fail closed: no instance runs outside its sandbox unless the operator said so. */
        if (!sb->refused_logged)
            KV_LOG_ERROR("lambda: instances cannot have namespaces of their own (%s): functions "
                         "do not run (stratusd --insecure-no-sandbox runs them without a "
                         "sandbox)",
                         strerror(err));
        sb->refused_logged = true;
        snprintf(f->spawn_error, sizeof(f->spawn_error),
                 "The function's sandbox cannot be made on this server (namespaces: %s); "
                 "stratusd runs functions without one only with --insecure-no-sandbox",
                 strerror(err));
    } else if (pid < 0 && f->ns_flags && (err == EPERM || err == EINVAL || err == ENOSYS)) {
        KV_LOG_WARN("lambda: instances cannot have namespaces of their own (%s): with "
                    "--insecure-no-sandbox they run without a sandbox's file system, PID "
                    "namespace or a tmpfs for temporary space%s",
                    strerror(err), f->root ? " (as their own uids)" : "");
        f->ns_flags = 0;
        f->userns = false;
        sp.ns = sp.userns = false;
        sp.cwd = root;
        if (f->root && chown(tmp, id, id) < 0)
            KV_LOG_WARN("lambda: cannot give %s to uid %u: %s", tmp, (unsigned)id, strerror(errno));
        if (f->root && !host_paths_reachable(f))
            goto out;
        if (!f->root && cg < 0)
            sp.nproc = SANDBOX_NPROC + uid_tasks(getuid());
        free_env(envp);
        envp = sp.envp = build_env(f, in, inv, root, tmp, opt, false);
        host_path(f, root, opt, prog, hprog, sizeof(hprog));
        argv[0] = sp.prog = hprog;
        if (argv[1]) {
            host_path(f, root, opt, script, hscript, sizeof(hscript));
            argv[1] = hscript;
        }
        pid = clone(spawn_child, stack + STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &sp);
        err = errno;
    }
out:
    if (pid > 0 && sp.step) { /* a sandbox step failed: the child has ended */
        waitpid(pid, NULL, 0);
        KV_LOG_ERROR("lambda: sandbox step %s: %s", sp.step, strerror(sp.step_errno));
        snprintf(f->spawn_error, sizeof(f->spawn_error),
                 "The instance's sandbox could not be set up: step \"%s\" failed (%s)", sp.step,
                 strerror(sp.step_errno));
        pid = -1;
        err = sp.step_errno;
    }
    kv_free(stack);
    free_env(envp);
    if (cg >= 0)
        close(cg);
    if (pid < 0) {
        errno = err;
        return -1;
    }
    sb->slots[slot] = true;
    in->slot = slot;
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
