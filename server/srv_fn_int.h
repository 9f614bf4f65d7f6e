/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the function runner's files only: srv_fn.c (the runner: queue,
 * instances, dispatch, its event loop), srv_fn_proc.c (processes: spawning into namespaces,
 * killing, reaping, who holds a socket), srv_fn_rapi.c (the Runtime API server) and
 * srv_fn_code.c (unpacking code, off the loop). Everything here but the unpacker runs on the
 * runner's thread.
 */
#ifndef SRV_FN_INT_H
#define SRV_FN_INT_H

#include <llhttp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <uv.h>

#include "api.h"
#include "base/kv_buf.h"
#include "srv_fn.h"

#define MAX_INSTANCES     256
#define MAX_CONNS         4 /* Runtime API connections per instance */
#define IDLE_REAP_MS      (5 * 60 * 1000)
#define LOG_TAIL          4096
#define RT_BODY_MAX       (6u << 20)
#define RT_URL_MAX        1024
#define RT_WQ_HIGH        (1u << 20) /* stop reading a runtime above this many unsent bytes */
#define RT_WQ_LOW         (64u << 10)
#define RT_PENDING_MAX    (RT_BODY_MAX + (64u << 10)) /* bytes held while parked on GET next */
#define CODE_UID          65534 /* owns unpacked code when the server runs as root (nobody) */
#define TMP_MB            512 /* an instance's temporary space: Lambda's default ephemeral storage */
#define ACCEPTS_MAX       16  /* connections accepted per listener per turn */
#define SRV_FN_LAYERS_MAX 5   /* layers of a function */
#define INIT_LIMIT_MS     10000 /* Lambda's init phase (an on-demand function's) */
#define CREDS_MARGIN_S                                                   \
    2 /* an instance takes an invocation only if its credentials outlast \
         the invocation's timeout by this much */

typedef struct queued {
    api_invocation_t *inv;
    int64_t enqueued_ms;
    struct queued *next;
    bool init_retry; /* its instance's init timed out: the next one inits within it */
} queued_t;

typedef struct inst inst_t;

/* A Runtime API connection (a stream handle over a TCP socket; a pipe in the fuzz target). */
typedef struct rt_conn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    srv_fn_t *f;
    inst_t *in; /* NULL once closing */
    llhttp_t parser;
    kv_buf_t url, body;
    kv_buf_t pending; /* bytes read while parked on GET next, fed after the answer */
    bool complete, bad, closing, reading;
    struct rt_conn *next;
} rt_conn_t;

struct inst {
    srv_fn_t *f;
    int id;
    pid_t pid;
    char fn[72];
    uint32_t code_id;
    char config[40];
    int listen_fd, port;
    int pidfd;          /* readable once the process has ended (-1: SIGCHLD tells) */
    uv_poll_t listener; /* on listen_fd */
    uv_poll_t exited;   /* on pidfd */
    uv_pipe_t out;      /* its stdout and stderr */
    uv_timer_t timer;   /* the invocation's deadline, or while idle the idle reap */
    bool has_listener, has_exited, has_out, has_timer;
    int handles;                   /* handles not yet closed: the instance is freed at 0 */
    api_fnlog_t log;               /* its log stream */
    kv_buf_t partial;              /* output after the last newline */
    int64_t begun_ms;              /* the current invocation's start */
    uint64_t spawned_ns, begun_ns; /* monotonic: the instance's start, the invocation's */
    uint64_t init_ns;              /* from its start to its first invocation */
    bool cold;                     /* its first invocation has not reported yet */
    rt_conn_t *conns;
    rt_conn_t *waiting_next; /* parked on GET .../next */
    api_invocation_t *cur;
    int64_t deadline_ms, idle_since_ms;
    dev_t ns_dev; /* its PID namespace (st_dev, st_ino of /proc/<pid>/ns/pid) */
    ino_t ns_ino;
    bool started, dead, reaped, released;
    int exit_status;
    struct inst *next;
    char version[16]; /* the function version it runs (package D) */
    /* Package B: credentials and the init limit */
    int64_t creds_expires;    /* its credentials' expiry (Unix seconds): retired before */
    bool signaled;            /* its process ended by a signal (exit_status: 128 + it) */
    bool init_in_invoke;      /* its init runs in an invocation (retried after a timeout) */
    int64_t init_deadline_ms; /* its init ends by then (first GET next) or it is killed */
    int slot; /* its sandbox slot (uid, hostname, cgroup), 1..MAX_INSTANCES; 0: none */
    const char *rt_warning; /* its runtime runs on another version: said in every START line */
    /* Package H: the layer set it runs with, its directory under run/ ("": none) */
    char opt[64];
};

/* A code package being unpacked by the unpacker thread (under lock). */
typedef struct unpack_job {
    uint32_t code_id;
    int state; /* UNPACK_* */
    char zip[4200];
    struct unpack_job *next;
    /* layer sets (package D): unpacked in order into run/<name> ("opt-<id>-<id>...") */
    char name[64]; /* its directory under run/ ("<code id>" for code) */
    char layers[SRV_FN_LAYERS_MAX][4200];
    int n_layers;
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
    char data_dir[4096];
    char dir[4200]; /* <data dir>/functions */
    pthread_t thread;
    pthread_mutex_t lock;
    uv_loop_t loop;
    uv_async_t wake;     /* invocations queued, or stop */
    uv_async_t unpacked; /* the unpacker finished a job */
    uv_timer_t pass;     /* a dispatch pass, run once after the callbacks that asked for it */
    uv_signal_t sigchld; /* reaping without pidfds */
    bool has_sigchld;
    queued_t *incoming, **incoming_tail; /* from request threads, under lock */
    queued_t *waiting, **waiting_tail;   /* the runner's own */
    inst_t *insts;
    int next_id;
    bool stop;      /* under lock: no invocation is taken */
    bool quit;      /* under lock: the loop ends */
    bool reap_soon; /* look for ended children on the next pass */
    llhttp_settings_t settings;
    uint8_t rbuf[65536]; /* reads of the loop (one at a time) */
    /* The sandbox (srv_fn_proc.c). */
    char sdk_dir[4096];     /* host dir bound read-only at /var/runtime/node_modules ("": none) */
    char extra_ro[8][4096]; /* host paths bound read-only at the same path in every sandbox */
    int n_extra_ro;
    struct fn_sandbox *sandbox; /* what srv_fn_proc_init prepared once */
    char spawn_error[320];      /* package F: why the last srv_fn_proc_spawn failed ("": unsaid) */
};

/* srv_fn.c */
/** Ask for a dispatch pass (waiting invocations to instances) once the current callback is
 * done. */
void srv_fn_kick(srv_fn_t *f);
/** End an invocation: its result (over 6 MB: ResponseSizeTooLarge), then done(). */
void srv_fn_finish(api_invocation_t *inv, api_outcome_t outcome, kv_slice_t data);
/** End an invocation with a function error of type (NULL: none) and a message. */
void srv_fn_finish_error(api_invocation_t *inv, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** An invocation handed to in begins: its deadline starts, its START line is logged. */
void srv_fn_begin(inst_t *in, api_invocation_t *inv);
/** The current invocation of in ended with a runtime's answer. */
void srv_fn_complete(inst_t *in, api_outcome_t outcome, kv_slice_t data);
/** in waits for work from now (GET next, or just started): its idle reap is rearmed. */
void srv_fn_idle(inst_t *in);
/** Runtime API: the instance cannot start; the invocation waiting for it gets body. */
void srv_fn_init_error(inst_t *in, kv_slice_t body);
/** Process the output of an instance (its log, the invocation's tail). */
void srv_fn_output(inst_t *in, const uint8_t *p, size_t n);
/** The settings of every Runtime API parser (srv_fn_rapi.c). */
void srv_fn_rapi_settings(llhttp_settings_t *s);

/* srv_fn_rapi.c */
/** Take the connections waiting on in's listener (those of other processes are refused). */
void srv_fn_rapi_accept(inst_t *in);
/** Adopt a connected stream (initialised by the caller on f's loop) for in. */
rt_conn_t *srv_fn_rapi_adopt(inst_t *in, rt_conn_t *c);
/** Feed bytes a runtime sent; each complete request is answered in turn. */
void srv_fn_rapi_feed(inst_t *in, rt_conn_t *c, const char *p, size_t n);
/** Answer in's parked GET next with inv. */
void srv_fn_rapi_deliver(inst_t *in, api_invocation_t *inv);
/** Feed the bytes held while a connection was parked (after its answer). */
void srv_fn_rapi_feed_pending(srv_fn_t *f);
/** Close a connection (its memory goes once its handle is closed). */
void srv_fn_rapi_close(rt_conn_t *c);

/* srv_fn_proc.c */
/** Prepare the sandbox once at the runner's start (system directories, the seccomp program,
 * the limits' mechanism: cgroup v2 or rlimits, logged). @return 0 or -1. */
int srv_fn_proc_init(srv_fn_t *f);
/** Release what srv_fn_proc_init prepared. */
void srv_fn_proc_fini(srv_fn_t *f);
/** Start in's process for inv in its sandbox: code (host path root) at /var/task, program prog
 * and script (its argument, or "") as paths inside the sandbox (/var/task/..., /var/runtime/...,
 * system paths), host directory tmp as the mount point of its root, opt (a host directory, or
 * NULL for an empty /opt) at /opt, output to out_fd. Sets in->pid, slot and namespace.
 * @return 0, or -1 (errno). */
int srv_fn_proc_spawn(srv_fn_t *f, inst_t *in, const api_invocation_t *inv, const char *root,
                      char *prog, char *script, const char *tmp, const char *opt, int out_fd);
/** An instance's process is gone (reaped): its slot and control group go. */
void srv_fn_proc_release(inst_t *in);
/** Kill in and every process it started (idempotent); marks it dead. */
void srv_fn_proc_kill(inst_t *in);
/** Is the peer of Runtime API connection fd a process of in? */
bool srv_fn_proc_peer_ok(srv_fn_t *f, const inst_t *in, int fd);
/** Find an interpreter: /usr/local/bin, /usr/bin, /bin. */
bool srv_fn_proc_find_program(const char *name, char *out, size_t cap);

/* srv_fn_code.c */
/** Is the code of inv unpacked? 1: yes (root holds its path); 0: not yet, an unpack is under
 * way (f->unpacked is sent when it ends); -1: it cannot be. */
int srv_fn_code_ready(srv_fn_t *f, const api_invocation_t *inv, char *root, size_t cap);
/** The same for inv's layers, unpacked in order into one directory cached by the layer set
 * (opt: its path; "" when inv has no layers). */
int srv_fn_opt_ready(srv_fn_t *f, const api_invocation_t *inv, char *opt, size_t cap);
/** Remove the unpacked layer sets (run/opt-*) that no instance runs with, no unpack is making
 * and no function or version names any longer (api_lambda_layers_used). Runner thread. */
void srv_fn_opt_sweep(srv_fn_t *f);
/** Forget failed unpacks (a later invocation tries again). */
void srv_fn_code_drop_failed(srv_fn_t *f);
/** Start and stop the unpacker thread. @return 0 or -1. */
int srv_fn_code_start(srv_fn_t *f);
void srv_fn_code_stop(srv_fn_t *f);
/** rm -rf, in process. */
void srv_fn_rmtree(const char *path);

#endif
