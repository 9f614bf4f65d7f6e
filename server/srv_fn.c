/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The function runner: one thread runs an event loop (libuv) of its own that holds every
 * instance. Invocations arrive from other threads through a queue and an async wake-up and
 * leave through their done() callback; each is handed to an idle instance of its function or
 * waits for one being started, up to the function's concurrency. The loop watches each
 * instance's Runtime API listener and connections (srv_fn_rapi.c), reads its output from a
 * pipe into its log stream (api_fnlog_*, in the engine's format), times its invocation with a
 * timer of its own (and, idle, its reaping), and learns that its process ended from a pidfd
 * (or SIGCHLD): processes are srv_fn_proc.c's, unpacking code srv_fn_code.c's (a thread of its
 * own).
 * Nothing here blocks on a function.
 */
#include "srv_fn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_fs.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "srv_fn_int.h"
#include "srv_fn_runtimes.h"

/* ---- finishing invocations ---- */

void srv_fn_finish(api_invocation_t *inv, api_outcome_t outcome, kv_slice_t data)
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

void srv_fn_finish_error(api_invocation_t *inv, const char *type, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kv_buf_t json;
    kv_buf_init(&json, 64 * 1024);
    api_fn_error_json(&json, kv_slice_str(msg), type);
    srv_fn_finish(inv, API_INV_FN_ERROR, kv_buf_slice(&json));
    kv_buf_dispose(&json);
}

/* ---- an instance's log: what CloudWatch Logs would keep, one stream per instance ---- */

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

static void log_event(inst_t *in, const char *text, size_t len)
{
    api_fnlog_write(&in->log, kv_now_ms(), text, len);
}

/* One line of the runner's own (START, END, REPORT, a timeout): to the log stream, and to the
 * tail of inv's output (LogType Tail shows them, as Lambda's does) when inv is given. */
static void log_eventf(inst_t *in, api_invocation_t *inv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void log_eventf(inst_t *in, api_invocation_t *inv, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    size_t len = (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 2;
    log_event(in, line, len);
    if (inv) {
        if (inv->log.len && inv->log.p[inv->log.len - 1] != '\n')
            tail_append(&inv->log, (const uint8_t *)"\n", 1, LOG_TAIL);
        line[len] = '\n';
        tail_append(&inv->log, (const uint8_t *)line, len + 1, LOG_TAIL);
    }
}

/* The instance's output, split into events at newlines. */
static void log_output(inst_t *in, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n' || in->partial.len + 1 >= API_FNLOG_LINE_MAX) {
            log_event(in, (const char *)in->partial.p, in->partial.len);
            kv_buf_reset(&in->partial);
            if (p[i] == '\n')
                continue;
        }
        kv_buf_append_byte(&in->partial, p[i]);
    }
}

/* Does the function's SystemLogLevel let platform records of level lvl ("DEBUG", "INFO",
 * "WARN") through? (Text: Lambda writes every line.) */
static bool sys_level_on(const api_invocation_t *inv, const char *lvl)
{
    static const char *const order[] = {"DEBUG", "INFO", "WARN"};
    if (!inv->log_json || !inv->sys_log_level || !inv->sys_log_level[0])
        return true;
    int want = 1, have = 1;
    for (int i = 0; i < 3; i++) {
        if (strcmp(lvl, order[i]) == 0)
            want = i;
        if (strcmp(inv->sys_log_level, order[i]) == 0)
            have = i;
    }
    return want >= have;
}

/* The time of a JSON platform record: "2026-12-04T10:00:00.123Z". */
static void record_time(char out[32])
{
    kv_time_fmt_iso(kv_now_ms(), out);
}

/* Lambda's END and REPORT lines (JSON: a platform.report record; CloudWatch gets no
 * runtimeDone) for the invocation ending now; status is Lambda's ("success", "failure",
 * "timeout"). */
static void log_report(inst_t *in, api_invocation_t *inv, const char *status)
{
    if (in->partial.len) {
        log_event(in, (const char *)in->partial.p, in->partial.len);
        kv_buf_reset(&in->partial);
    }
    uint64_t ns = kv_now_mono_ns() - in->begun_ns;
    uint64_t billed = (ns + 999999) / 1000000;
    bool cold = in->cold;
    in->cold = false;
    if (inv->log_json && !sys_level_on(inv, "INFO")) /* filtered out: nothing to measure */
        return;
    long hwm_kb = 0;
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)in->pid);
    FILE *st = fopen(path, "re");
    while (st && fgets(line, sizeof(line), st))
        if (sscanf(line, "VmHWM: %ld kB", &hwm_kb) == 1)
            break;
    if (st)
        fclose(st);
    if (inv->log_json) {
        char t[32], init[64] = "";
        record_time(t);
        if (cold)
            snprintf(init, sizeof(init), ",\"initDurationMs\":%.3f", (double)in->init_ns / 1e6);
        log_eventf(
            in, inv,
            "{\"time\":\"%s\",\"type\":\"platform.report\",\"record\":{"
            "\"requestId\":\"%s\",\"metrics\":{\"durationMs\":%.3f,\"billedDurationMs\":%llu,"
            "\"memorySizeMB\":%u,\"maxMemoryUsedMB\":%ld%s},\"status\":\"%s\"}}",
            t, inv->request_id, (double)ns / 1e6, (unsigned long long)(billed ? billed : 1),
            inv->memory_mb, (hwm_kb + 1023) / 1024, init, status);
        return;
    }
    log_eventf(in, inv, "END RequestId: %s", inv->request_id);
    char init[64] = "";
    if (cold) /* Lambda reports a cold start's init on its first invocation */
        snprintf(init, sizeof(init), "\tInit Duration: %.2f ms", (double)in->init_ns / 1e6);
    log_eventf(in, inv,
               "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %llu ms\t"
               "Memory Size: %u MB\tMax Memory Used: %ld MB%s",
               inv->request_id, (double)ns / 1e6, (unsigned long long)(billed ? billed : 1),
               inv->memory_mb, (hwm_kb + 1023) / 1024, init);
}

void srv_fn_output(inst_t *in, const uint8_t *p, size_t n)
{
    if (in->cur)
        tail_append(&in->cur->log, p, n, LOG_TAIL);
    log_output(in, p, n);
    KV_LOG_DEBUG("lambda %s/%d: %.*s", in->fn, in->id, (int)(n > 2000 ? 2000 : n), p);
}

/* ---- invocations on an instance ---- */

static void on_inst_timer(uv_timer_t *t);

void srv_fn_idle(inst_t *in)
{
    in->idle_since_ms = kv_now_ms();
    if (!in->has_timer || in->cur)
        return;
    if (!in->started) { /* still in its init: limited on its own */
        int64_t left = in->init_deadline_ms - in->idle_since_ms;
        uv_timer_start(&in->timer, on_inst_timer, left > 0 ? (uint64_t)left : 0, 0);
        return;
    }
    uv_timer_start(&in->timer, on_inst_timer, IDLE_REAP_MS + 1, 0);
}

void srv_fn_begin(inst_t *in, api_invocation_t *inv)
{
    int64_t now = kv_now_ms();
    in->cur = inv;
    in->deadline_ms = now + (int64_t)inv->timeout_s * 1000;
    in->begun_ms = now;
    in->begun_ns = kv_now_mono_ns();
    if (in->cold) /* the runtime asked for its first invocation: its init is over */
        in->init_ns = in->begun_ns - in->spawned_ns;
    if (in->cold && in->init_in_invoke) /* a retried init ran within the invocation's time */
        in->deadline_ms -= (int64_t)(in->init_ns / 1000000);
    kv_buf_reset(&inv->log);
    if (!inv->log_json) {
        log_eventf(in, inv, "START RequestId: %s Version: %s%s%s", inv->request_id,
                   inv->version ? inv->version : "$LATEST", in->rt_warning ? " " : "",
                   in->rt_warning ? in->rt_warning : "");
    } else if (sys_level_on(inv, "INFO")) {
        char t[32];
        record_time(t);
        log_eventf(in, inv,
                   "{\"time\":\"%s\",\"type\":\"platform.start\",\"record\":{\"requestId\":"
                   "\"%s\",\"functionArn\":\"%s\",\"version\":\"%s\"}}",
                   t, inv->request_id, inv->invoked_arn ? inv->invoked_arn : inv->arn,
                   inv->version ? inv->version : "$LATEST");
    }
    if (in->has_timer)
        uv_timer_start(&in->timer, on_inst_timer,
                       in->deadline_ms > now ? (uint64_t)(in->deadline_ms - now) : 0, 0);
}

void srv_fn_complete(inst_t *in, api_outcome_t outcome, kv_slice_t data)
{
    api_invocation_t *inv = in->cur;
    in->cur = NULL;
    srv_fn_idle(in);
    log_report(in, inv, outcome == API_INV_OK ? "success" : "failure");
    srv_fn_finish(inv, outcome, data);
}

/* The invocation past its deadline: the instance is killed, the invocation times out. */
static void timed_out(inst_t *in, int64_t now)
{
    api_invocation_t *inv = in->cur;
    in->cur = NULL;
    char when[32];
    kv_time_fmt_iso(now, when);
    if (!inv->log_json)
        log_eventf(in, inv, "%s %s Task timed out after %u.00 seconds", when, inv->request_id,
                   inv->timeout_s);
    log_report(in, inv, "timeout");
    srv_fn_proc_kill(in);
    srv_fn_finish_error(inv, NULL, "%s %s Task timed out after %u.00 seconds", when,
                        inv->request_id, inv->timeout_s);
}

static queued_t *waiting_for(srv_fn_t *f, const inst_t *in, bool retry);

/* How a runtime's process ended, as Lambda words it ("exit status 1", "signal: killed"). */
static const char *exit_text(const inst_t *in, char *buf, size_t cap)
{
    static const char *const names[] = {
        [SIGHUP] = "hangup",
        [SIGINT] = "interrupt",
        [SIGQUIT] = "quit",
        [SIGILL] = "illegal instruction",
        [SIGTRAP] = "trace/breakpoint trap",
        [SIGABRT] = "aborted",
        [SIGBUS] = "bus error",
        [SIGFPE] = "floating point exception",
        [SIGKILL] = "killed",
        [SIGUSR1] = "user defined signal 1",
        [SIGSEGV] = "segmentation fault",
        [SIGUSR2] = "user defined signal 2",
        [SIGPIPE] = "broken pipe",
        [SIGALRM] = "alarm clock",
        [SIGTERM] = "terminated",
        [SIGXCPU] = "CPU time limit exceeded",
        [SIGXFSZ] = "file size limit exceeded",
        [SIGSYS] = "bad system call",
    };
    int sig = in->exit_status - 128;
    if (!in->signaled)
        snprintf(buf, cap, "exit status %d", in->exit_status);
    else if (sig > 0 && (size_t)sig < sizeof(names) / sizeof(names[0]) && names[sig])
        snprintf(buf, cap, "signal: %s", names[sig]);
    else
        snprintf(buf, cap, "signal: signal %d", sig);
    return buf;
}

/* Init past its limit. Lambda's: an init over its 10 s is logged and retried once within the
 * first invocation, under the function's timeout (which then covers init and handler); a
 * retried init past that times the invocation out. */
static void init_timed_out(inst_t *in, int64_t now)
{
    srv_fn_t *f = in->f;
    double ms = (double)(kv_now_mono_ns() - in->spawned_ns) / 1e6;
    log_eventf(in, NULL, "INIT_REPORT Init Duration: %.2f ms\tPhase: %s\tStatus: timeout", ms,
               in->init_in_invoke ? "invoke" : "init");
    queued_t *q = waiting_for(f, in, in->init_in_invoke);
    if (!in->init_in_invoke) {
        if (q)
            q->init_retry = true;
        srv_fn_proc_kill(in);
        srv_fn_kick(f);
        return;
    }
    srv_fn_proc_kill(in);
    if (q) {
        api_invocation_t *inv = q->inv;
        for (queued_t **pp = &f->waiting; *pp; pp = &(*pp)->next) {
            if (*pp == q) {
                *pp = q->next;
                break;
            }
        }
        f->waiting_tail = &f->waiting;
        while (*f->waiting_tail)
            f->waiting_tail = &(*f->waiting_tail)->next;
        kv_free(q);
        char when[32];
        kv_time_fmt_iso(now, when);
        log_eventf(in, inv, "%s %s Task timed out after %u.00 seconds", when, inv->request_id,
                   inv->timeout_s);
        srv_fn_finish_error(inv, NULL, "%s %s Task timed out after %u.00 seconds", when,
                            inv->request_id, inv->timeout_s);
    }
    srv_fn_kick(f);
}

/* The deadline of the current invocation, the limit of an init, or while idle the idle reap.
 * (The loop's clock may lag the wall clock: a timer that fires early is started again for
 * what is left.) */
static void on_inst_timer(uv_timer_t *t)
{
    inst_t *in = t->data;
    if (in->dead)
        return;
    int64_t now = kv_now_ms();
    if (in->cur) {
        if (now < in->deadline_ms)
            uv_timer_start(t, on_inst_timer, (uint64_t)(in->deadline_ms - now), 0);
        else
            timed_out(in, now);
        return;
    }
    if (!in->started) {
        if (now < in->init_deadline_ms)
            uv_timer_start(t, on_inst_timer, (uint64_t)(in->init_deadline_ms - now), 0);
        else
            init_timed_out(in, now);
        return;
    }
    if (now - in->idle_since_ms > IDLE_REAP_MS)
        srv_fn_proc_kill(in);
    else
        uv_timer_start(t, on_inst_timer, (uint64_t)(IDLE_REAP_MS + 1 - (now - in->idle_since_ms)),
                       0);
}

static void drain_output(inst_t *in);

/* Lambda's INIT_REPORT line (JSON: a platform.initReport record) after a failed init of type
 * `type`, after what the runtime printed before it. */
static void log_init_report(inst_t *in, const api_invocation_t *inv, const char *type)
{
    drain_output(in);
    if (in->partial.len) {
        log_event(in, (const char *)in->partial.p, in->partial.len);
        kv_buf_reset(&in->partial);
    }
    double ms = (double)(kv_now_mono_ns() - in->spawned_ns) / 1e6;
    if (!inv || !inv->log_json) {
        log_eventf(in, NULL,
                   "INIT_REPORT Init Duration: %.2f ms\tPhase: %s\tStatus: error\t"
                   "Error Type: %s",
                   ms, in->init_in_invoke ? "invoke" : "init", type);
        return;
    }
    if (!sys_level_on(inv, "INFO")) /* an INFO record, as every platform record here */
        return;
    char t[32];
    record_time(t);
    log_eventf(in, NULL,
               "{\"time\":\"%s\",\"type\":\"platform.initReport\",\"record\":{"
               "\"initializationType\":\"on-demand\",\"phase\":\"%s\",\"status\":\"error\","
               "\"errorType\":\"%s\",\"metrics\":{\"durationMs\":%.3f}}}",
               t, in->init_in_invoke ? "invoke" : "init", type, ms);
}

/* The same for an init the runtime reported failed (its error document, body). */
static void log_init_error(inst_t *in, const api_invocation_t *inv, kv_slice_t body)
{
    char type[128] = "Runtime.Unknown";
    const uint8_t *at = body.len ? memmem(body.p, body.len, "\"errorType\"", 11) : NULL;
    if (at) { /* the error document's errorType: "errorType": "<letters, digits, dots>" */
        size_t i = (size_t)(at - body.p) + 11, n = 0;
        while (i < body.len && (body.p[i] == ' ' || body.p[i] == ':' || body.p[i] == '"'))
            i++;
        while (i < body.len && n + 1 < sizeof(type) && body.p[i] != '"' && body.p[i] != '\\')
            type[n++] = (char)body.p[i++];
        type[n] = 0;
    }
    log_init_report(in, inv, type);
}

static bool fits(const inst_t *in, const api_invocation_t *inv);

void srv_fn_init_error(inst_t *in, kv_slice_t body)
{
    srv_fn_t *f = in->f;
    const api_invocation_t *first = NULL;
    for (queued_t *q = f->waiting; q && !first; q = q->next)
        if (fits(in, q->inv))
            first = q->inv;
    log_init_error(in, first, body);
    for (queued_t **pp = &f->waiting; *pp; pp = &(*pp)->next) {
        if (!fits(in, (*pp)->inv))
            continue;
        queued_t *q = *pp;
        *pp = q->next;
        if (*pp == NULL)
            f->waiting_tail = pp;
        srv_fn_finish(q->inv, API_INV_FN_ERROR,
                      body.len ? body : KV_SLICE_LIT("{\"errorType\":\"Runtime.Unknown\"}"));
        kv_free(q);
        break;
    }
}

/* The invocation waiting for in's init: the first of its function's (whose init is retried
 * when retry). */
static queued_t *waiting_for(srv_fn_t *f, const inst_t *in, bool retry)
{
    for (queued_t *q = f->waiting; q; q = q->next)
        if (fits(in, q->inv) && (!retry || q->init_retry))
            return q;
    return NULL;
}

/* An instance that ended before asking for work: the invocation waiting for it fails, with
 * Runtime.ExitError as Lambda's (an init that exits without calling /init/error). */
static void fail_starter(srv_fn_t *f, inst_t *in)
{
    for (queued_t **pp = &f->waiting; *pp; pp = &(*pp)->next) {
        if (!fits(in, (*pp)->inv) || (in->init_in_invoke && !(*pp)->init_retry))
            continue;
        queued_t *q = *pp;
        *pp = q->next;
        if (*pp == NULL)
            f->waiting_tail = pp;
        char how[64];
        if (!in->signaled && (in->exit_status == 127 || in->exit_status == 126)) {
            log_init_report(in, q->inv, "Runtime.InvalidEntrypoint");
            srv_fn_finish_error(q->inv, "Runtime.InvalidEntrypoint",
                                "RequestId: %s Error: Couldn't find valid bootstrap(s): "
                                "[bootstrap]",
                                q->inv->request_id);
        } else {
            exit_text(in, how, sizeof(how));
            log_init_report(in, q->inv, "Runtime.ExitError");
            log_eventf(in, q->inv, "RequestId: %s Error: Runtime exited with error: %s",
                       q->inv->request_id, how);
            log_eventf(in, q->inv, "Runtime.ExitError");
            srv_fn_finish_error(q->inv, "Runtime.ExitError",
                                "RequestId: %s Error: Runtime exited with error: %s",
                                q->inv->request_id, how);
        }
        kv_free(q);
        return;
    }
}

/* ---- instances: start, watch, let go ---- */

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

/* The last of an instance's handles is closed: its memory and descriptors go. */
static void inst_free(inst_t *in)
{
    if (in->listen_fd >= 0)
        close(in->listen_fd);
    if (in->pidfd >= 0)
        close(in->pidfd);
    api_fnlog_close(&in->log);
    kv_buf_dispose(&in->partial);
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s/tmp/%d", in->f->dir, in->id);
    srv_fn_rmtree(tmp);
    srv_fn_proc_release(in);
    kv_free(in);
}

static void on_inst_handle_closed(uv_handle_t *h)
{
    inst_t *in = h->data;
    if (--in->handles == 0)
        inst_free(in);
}

static void inst_close_handle(bool *has, uv_handle_t *h)
{
    if (!*has)
        return;
    *has = false;
    uv_close(h, on_inst_handle_closed);
}

/* What is left in the output pipe of an ended instance, read now (its last lines are part of
 * its log and of its invocation's tail). */
static void drain_output(inst_t *in)
{
    uv_os_fd_t fd;
    if (!in->has_out || uv_fileno((uv_handle_t *)&in->out, &fd) < 0)
        return;
    for (int k = 0; k < 64; k++) { /* a pipe holds 64 KiB by default: bounded */
        ssize_t n = read(fd, in->f->rbuf, sizeof(in->f->rbuf));
        if (n <= 0)
            break;
        srv_fn_output(in, in->f->rbuf, (size_t)n);
    }
}

/* Let an instance go (dead and reaped, off the list): its handles close, then it is freed. */
static void inst_release(inst_t *in)
{
    in->released = true;
    while (in->conns)
        srv_fn_rapi_close(in->conns);
    drain_output(in);
    inst_close_handle(&in->has_listener, (uv_handle_t *)&in->listener);
    inst_close_handle(&in->has_exited, (uv_handle_t *)&in->exited);
    inst_close_handle(&in->has_out, (uv_handle_t *)&in->out);
    inst_close_handle(&in->has_timer, (uv_handle_t *)&in->timer);
    if (in->handles == 0)
        inst_free(in);
}

/* Child processes that ended: their invocation fails; their instance goes. */
static void reap(srv_fn_t *f)
{
    bool sweep = false;
    for (inst_t **pp = &f->insts; *pp;) {
        inst_t *in = *pp;
        if (!in->reaped) {
            int st;
            if (waitpid(in->pid, &st, WNOHANG) == in->pid) {
                in->reaped = true;
                in->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                in->signaled = WIFSIGNALED(st);
                drain_output(in);
                if (!in->dead && !in->started)
                    fail_starter(f, in);
                in->dead = true;
            }
        }
        if (in->dead && in->cur) {
            api_invocation_t *inv = in->cur;
            in->cur = NULL;
            char how[64];
            exit_text(in, how, sizeof(how));
            log_eventf(in, inv, "RequestId: %s Error: Runtime exited with error: %s",
                       inv->request_id, how);
            log_eventf(in, inv, "Runtime.ExitError");
            log_report(in, inv, "failure");
            srv_fn_finish_error(inv, "Runtime.ExitError",
                                "RequestId: %s Error: Runtime exited with error: %s",
                                inv->request_id, how);
        }
        if (in->dead && in->reaped) {
            *pp = in->next;
            sweep |= in->opt[0] != 0;
            inst_release(in);
            continue;
        }
        pp = &in->next;
    }
    if (sweep) /* the last instance of a layer set may have gone */
        srv_fn_opt_sweep(f);
    srv_fn_kick(f); /* a slot may be free */
}

static void on_exited(uv_poll_t *p, int status, int events)
{
    (void)status, (void)events;
    inst_t *in = p->data;
    uv_poll_stop(p); /* readable from now on: reap() finds it ended */
    reap(in->f);
}

static void on_sigchld(uv_signal_t *s, int signum)
{
    (void)signum;
    reap(s->data);
}

/* Without pidfds, SIGCHLD says a child ended. */
static void watch_sigchld(srv_fn_t *f)
{
    f->sigchld.data = f;
    if (uv_signal_init(&f->loop, &f->sigchld) == 0) {
        f->has_sigchld = true;
        uv_signal_start(&f->sigchld, on_sigchld, SIGCHLD);
    }
}

static void on_listener(uv_poll_t *p, int status, int events)
{
    (void)status, (void)events;
    inst_t *in = p->data;
    if (in->dead) { /* killed: nothing more is accepted (and a waiting peer wakes us no more) */
        uv_poll_stop(p);
        return;
    }
    srv_fn_rapi_accept(in);
}

static void on_out_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    inst_t *in = h->data;
    *buf = uv_buf_init((char *)in->f->rbuf, sizeof(in->f->rbuf));
}

static void on_out(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    inst_t *in = s->data;
    if (n > 0)
        srv_fn_output(in, (const uint8_t *)buf->base, (size_t)n);
    else if (n < 0) /* the process is gone (or closed its output) */
        inst_close_handle(&in->has_out, (uv_handle_t *)&in->out);
}

static const char *runtime_program(const api_invocation_t *inv, char *prog, size_t cap,
                                   char *script, size_t scap, const char **warning)
{
    *warning = NULL;
    if (strncmp(inv->runtime, "provided", 8) == 0) {
        snprintf(prog, cap, "/var/task/bootstrap");
        return NULL;
    }
    bool py = strncmp(inv->runtime, "python", 6) == 0;
    const char *path = srv_fn_runtime_program(inv->runtime, warning);
    if (path == NULL)
        return py ? "no Python interpreter is installed on this server"
                  : "no Node.js interpreter is installed on this server";
    snprintf(prog, cap, "%s", path);
    snprintf(script, scap, "/var/runtime/%s", py ? "python_bootstrap.py" : "node_bootstrap.js");
    return NULL;
}

/* Watch a started instance's listener, exit, output and time on the loop. */
static void inst_watch(srv_fn_t *f, inst_t *in, int out_fd)
{
    in->listener.data = in->exited.data = in->out.data = in->timer.data = in;
    if (uv_poll_init(&f->loop, &in->listener, in->listen_fd) == 0) {
        in->has_listener = true;
        in->handles++;
        uv_poll_start(&in->listener, UV_READABLE, on_listener);
    }
    if (in->pidfd >= 0 && uv_poll_init(&f->loop, &in->exited, in->pidfd) == 0) {
        in->has_exited = true;
        in->handles++;
        uv_poll_start(&in->exited, UV_READABLE, on_exited);
    }
    if (uv_pipe_init(&f->loop, &in->out, 0) == 0) {
        in->has_out = true;
        in->handles++;
        if (uv_pipe_open(&in->out, out_fd) == 0)
            uv_read_start((uv_stream_t *)&in->out, on_out_alloc, on_out);
        else
            close(out_fd);
    } else {
        close(out_fd);
    }
    uv_timer_init(&f->loop, &in->timer);
    in->has_timer = true;
    in->handles++;
    srv_fn_idle(in);
}

static inst_t *inst_spawn(srv_fn_t *f, api_invocation_t *inv, bool init_in_invoke, const char **why)
{
    char root[4200], prog[4400], script[4400] = "", opt[4200];
    int ready = srv_fn_code_ready(f, inv, root, sizeof(root));
    if (ready > 0)
        ready = srv_fn_opt_ready(f, inv, opt, sizeof(opt));
    if (ready <= 0) {
        *why = ready < 0 ? "the function's code could not be unpacked" : NULL; /* NULL: wait */
        return NULL;
    }
    const char *warning;
    const char *missing =
        runtime_program(inv, prog, sizeof(prog), script, sizeof(script), &warning);
    if (missing) {
        *why = missing;
        return NULL;
    }
    inst_t *in = kv_calloc(1, sizeof(*in));
    in->spawned_ns = kv_now_mono_ns();
    in->cold = true;
    in->init_in_invoke = init_in_invoke;
    in->init_deadline_ms =
        kv_now_ms() + (init_in_invoke ? (int64_t)inv->timeout_s * 1000 : INIT_LIMIT_MS);
    in->f = f;
    in->id = ++f->next_id;
    in->pidfd = -1;
    api_fnlog_open(f->api, inv->log_group, inv->version, &in->log);
    kv_buf_init(&in->partial, API_FNLOG_LINE_MAX);
    if (inv->log_json && sys_level_on(inv, "INFO")) { /* Text writes no INIT_START (yet) */
        char t[32];
        record_time(t);
        log_eventf(in, NULL,
                   "{\"time\":\"%s\",\"type\":\"platform.initStart\",\"record\":{"
                   "\"initializationType\":\"on-demand\",\"phase\":\"init\",\"functionName\":"
                   "\"%s\",\"functionVersion\":\"%s\",\"instanceId\":\"%.11s%s%s\","
                   "\"instanceMaxMemory\":%llu}}",
                   t, inv->function, inv->version ? inv->version : "$LATEST", in->log.stream,
                   inv->function, strlen(in->log.stream) > 11 ? in->log.stream + 11 : "",
                   (unsigned long long)inv->memory_mb << 20);
    }
    snprintf(in->fn, sizeof(in->fn), "%s", inv->function);
    in->rt_warning = warning;
    in->code_id = inv->code_id;
    snprintf(in->config, sizeof(in->config), "%s", inv->config ? inv->config : "");
    snprintf(in->version, sizeof(in->version), "%s", inv->version ? inv->version : "$LATEST");
    const char *set = opt[0] ? strrchr(opt, '/') : NULL;
    snprintf(in->opt, sizeof(in->opt), "%s", set ? set + 1 : "");
    in->listen_fd = listen_loopback(&in->port);
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s/tmp/%d", f->dir, in->id);
    int logp[2] = {-1, -1};
    bool ok = in->listen_fd >= 0 && kv_mkdirs(tmp) == 0 && pipe2(logp, O_CLOEXEC) == 0;
    *why = "no resources to start an instance";
    if (ok) {
        ok = srv_fn_proc_spawn(f, in, inv, root, prog, script, tmp, opt[0] ? opt : NULL, logp[1]) ==
             0;
        close(logp[1]);
        if (!ok) {
            close(logp[0]);
            *why = f->spawn_error[0] ? f->spawn_error : "the instance could not be started";
        }
    }
    if (!ok) {
        if (in->listen_fd >= 0)
            close(in->listen_fd);
        api_fnlog_close(&in->log);
        kv_buf_dispose(&in->partial);
        kv_free(in);
        return NULL;
    }
    in->pidfd = (int)syscall(SYS_pidfd_open, in->pid, 0);
    if (in->pidfd < 0 && !f->has_sigchld) {
        watch_sigchld(f);
        f->reap_soon = true; /* it may have ended before SIGCHLD was watched */
        srv_fn_kick(f);
    }
    inst_watch(f, in, logp[0]);
    in->next = f->insts;
    f->insts = in;
    KV_LOG_DEBUG("lambda: started instance %d of %s (pid %d, port %d)", in->id, in->fn,
                 (int)in->pid, in->port);
    return in;
}

/* ---- dispatch ---- */

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
        int64_t now_s = (int64_t)time(NULL);
        for (inst_t *in = f->insts; in && !idle; in = in->next) {
            if (in->dead || !in->waiting_next || in->cur || !fits(in, inv))
                continue;
            /* An instance never outlives its credentials: it retires before they could
             * expire under an invocation. */
            if (in->creds_expires - now_s < (int64_t)inv->timeout_s + CREDS_MARGIN_S)
                srv_fn_proc_kill(in);
            else
                idle = in;
        }
        /* Idle instances of the function's old code or configuration will not be used again
         * (those of other versions may). */
        for (inst_t *in = f->insts; in && !idle; in = in->next)
            if (!in->dead && in->waiting_next && !in->cur && !fits(in, inv) &&
                strcmp(in->fn, inv->function) == 0 &&
                strcmp(in->version, inv->version ? inv->version : "$LATEST") == 0)
                srv_fn_proc_kill(in);
        if (idle) {
            *pp = q->next;
            kv_free(q);
            srv_fn_rapi_deliver(idle, inv);
            continue;
        }
        /* Earlier invocations of this function waiting too claim the instances starting. */
        int ahead = 0;
        for (queued_t *o = f->waiting; o != q; o = o->next)
            ahead += strcmp(o->inv->function, inv->function) == 0;
        int starting, total = count_for(f, inv, &starting);
        /* The function's versions share its concurrency: when they fill it, an idle instance
         * of another version (or configuration) makes room. */
        for (inst_t *in = f->insts; in && starting <= ahead && total >= inv->concurrency;
             in = in->next)
            if (!in->dead && in->waiting_next && !in->cur && !fits(in, inv) &&
                strcmp(in->fn, inv->function) == 0) {
                srv_fn_proc_kill(in);
                total--;
            }
        if (starting <= ahead && total < inv->concurrency) {
            int all = 0;
            for (inst_t *in = f->insts; in; in = in->next)
                all += !in->dead;
            const char *why = "too many instances are running";
            if (all >= MAX_INSTANCES || (inst_spawn(f, inv, q->init_retry, &why) == NULL && why)) {
                *pp = q->next;
                kv_free(q);
                srv_fn_finish(inv, API_INV_FAILED, kv_slice_str(why));
                continue;
            }
        }
        pp = &q->next;
    }
    f->waiting_tail = pp;
    srv_fn_code_drop_failed(f);
}

/* One pass after the callbacks that asked for it: bytes runtimes sent while parked are
 * read, then waiting invocations go to instances. */
static void on_pass(uv_timer_t *t)
{
    srv_fn_t *f = t->data;
    if (f->reap_soon) {
        f->reap_soon = false;
        reap(f);
    }
    srv_fn_rapi_feed_pending(f);
    dispatch(f);
}

void srv_fn_kick(srv_fn_t *f)
{
    if (!uv_is_closing((uv_handle_t *)&f->pass) && !uv_is_active((uv_handle_t *)&f->pass))
        uv_timer_start(&f->pass, on_pass, 0, 0);
}

/* ---- the loop ---- */

/* Stopping: every instance goes, every invocation fails, every handle closes. */
static void shutdown_runner(srv_fn_t *f)
{
    for (inst_t *in = f->insts; in; in = in->next)
        srv_fn_proc_kill(in);
    for (inst_t *in = f->insts; in; in = in->next) {
        if (in->cur) {
            api_invocation_t *inv = in->cur;
            in->cur = NULL;
            srv_fn_finish(inv, API_INV_FAILED, KV_SLICE_LIT("The server is stopping"));
        }
    }
    for (queued_t *q = f->waiting; q;) {
        queued_t *next = q->next;
        srv_fn_finish(q->inv, API_INV_FAILED, KV_SLICE_LIT("The server is stopping"));
        kv_free(q);
        q = next;
    }
    f->waiting = NULL;
    f->waiting_tail = &f->waiting;
    while (f->insts) {
        inst_t *in = f->insts;
        f->insts = in->next;
        if (!in->reaped)
            waitpid(in->pid, NULL, 0); /* killed above: it ends now */
        in->reaped = true;
        inst_release(in);
    }
    uv_close((uv_handle_t *)&f->wake, NULL);
    uv_close((uv_handle_t *)&f->unpacked, NULL);
    uv_close((uv_handle_t *)&f->pass, NULL);
    if (f->has_sigchld)
        uv_close((uv_handle_t *)&f->sigchld, NULL);
    f->has_sigchld = false;
}

/* New invocations join the queue; a stop ends the loop. */
static void on_wake(uv_async_t *a)
{
    srv_fn_t *f = a->data;
    pthread_mutex_lock(&f->lock);
    bool quit = f->quit;
    if (f->incoming) {
        *f->waiting_tail = f->incoming;
        f->waiting_tail = f->incoming_tail;
        f->incoming = NULL;
        f->incoming_tail = &f->incoming;
    }
    pthread_mutex_unlock(&f->lock);
    if (quit) {
        shutdown_runner(f);
        return;
    }
    srv_fn_kick(f);
}

static void on_unpacked(uv_async_t *a)
{
    srv_fn_kick(a->data);
}

static void *runner_main(void *arg)
{
    srv_fn_t *f = arg;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&f->loop) != 0)
        KV_LOG_WARN("lambda: the runner's loop closed with handles open");
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
    uv_async_send(&f->wake); /* under the lock: the loop closes it only after seeing quit */
    pthread_mutex_unlock(&f->lock);
    return 0;
}

static void fn_free(srv_fn_t *f)
{
    while (f->jobs) {
        unpack_job_t *j = f->jobs;
        f->jobs = j->next;
        kv_free(j);
    }
    if (f->self_pidfd >= 0)
        close(f->self_pidfd);
    if (f->diag_fd >= 0)
        close(f->diag_fd);
    srv_fn_proc_fini(f);
    pthread_cond_destroy(&f->unpack_cond);
    pthread_mutex_destroy(&f->lock);
    kv_free(f);
}

/* The loop's own handles, closed without the thread (start failed). */
static void loop_discard(srv_fn_t *f)
{
    uv_close((uv_handle_t *)&f->wake, NULL);
    uv_close((uv_handle_t *)&f->unpacked, NULL);
    uv_close((uv_handle_t *)&f->pass, NULL);
    if (f->has_sigchld)
        uv_close((uv_handle_t *)&f->sigchld, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_loop_close(&f->loop);
}

srv_fn_t *srv_fn_start(api_ctx_t *api, int main_port)
{
    srv_fn_t *f = kv_calloc(1, sizeof(*f));
    f->api = api;
    f->main_port = main_port;
    snprintf(f->data_dir, sizeof(f->data_dir), "%s", api_data_dir(api));
    snprintf(f->dir, sizeof(f->dir), "%s/functions", f->data_dir);
    char path[4300];
    snprintf(path, sizeof(path), "%s/tmp", f->dir);
    srv_fn_rmtree(path); /* instances of an earlier run */
    snprintf(path, sizeof(path), "%s/run", f->dir);
    srv_fn_rmtree(path);
    /* A test hook: a shorter lifetime of instances' credentials (seconds). */
    const char *life = getenv("STRATUS_FN_CREDENTIAL_SECONDS");
    if (life && atoll(life) > 0)
        api_set_credential_lifetime(api, atoll(life));
    if (kv_mkdirs(f->dir) < 0 || srv_fn_runtimes_init(f) < 0 || uv_loop_init(&f->loop) != 0) {
        KV_LOG_ERROR("lambda: cannot prepare %s", f->dir);
        kv_free(f);
        return NULL;
    }
    /* Containment (see srv_fn_proc.c): as root, namespaces need nothing more; without root a
     * user namespace comes with them, and when neither can be made no instance starts (said
     * once), unless --insecure-no-sandbox lets them run without. */
    f->root = geteuid() == 0;
    f->userns = !f->root;
    f->ns_flags =
        CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | (f->userns ? CLONE_NEWUSER : 0);
    f->tmp_bytes = (uint64_t)TMP_MB << 20;
    f->self_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    srv_fn_proc_init(f);
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
    srv_fn_rapi_settings(&f->settings);
    f->wake.data = f->unpacked.data = f->pass.data = f;
    uv_async_init(&f->loop, &f->wake, on_wake);
    uv_async_init(&f->loop, &f->unpacked, on_unpacked);
    uv_timer_init(&f->loop, &f->pass);
    if (f->self_pidfd < 0)
        watch_sigchld(f);
    signal(SIGPIPE, SIG_IGN);
    if (srv_fn_code_start(f) < 0) {
        loop_discard(f);
        fn_free(f);
        return NULL;
    }
    if (pthread_create(&f->thread, NULL, runner_main, f) != 0) {
        srv_fn_code_stop(f);
        loop_discard(f);
        fn_free(f);
        return NULL;
    }
    api_set_runner(api, runner_invoke, f);
    api_set_runtime_check(api, srv_fn_runtime_unavailable);
    return f;
}

void srv_fn_stop(srv_fn_t *f)
{
    if (f == NULL)
        return;
    atomic_store(&f->stopping, true);
    pthread_mutex_lock(&f->lock);
    f->stop = true; /* no invocation is taken from now on */
    pthread_mutex_unlock(&f->lock);
    /* The unpacker posts to the loop: it ends before the loop does. */
    srv_fn_code_stop(f);
    pthread_mutex_lock(&f->lock);
    f->quit = true;
    uv_async_send(&f->wake);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->thread, NULL);
    /* Anything queued after the loop took its last invocations fails here. */
    for (queued_t *q = f->incoming; q;) {
        queued_t *next = q->next;
        srv_fn_finish(q->inv, API_INV_FAILED, KV_SLICE_LIT("The server is stopping"));
        kv_free(q);
        q = next;
    }
    fn_free(f);
}
