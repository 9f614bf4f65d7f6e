/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda Runtime API, one server per instance on the runner's loop: its listener
 * (127.0.0.1, an ephemeral port) is watched by the loop, connections are non-blocking
 * streams speaking plain HTTP/1.1 (llhttp). GET .../next parks until an invocation is handed
 * to the instance, POST .../response or .../error ends it, POST .../init/error fails the
 * invocation the instance was started for. A connection whose answers are not read stops
 * being read (its unsent bytes stay bounded).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "srv_fn_int.h"

typedef struct rt_write {
    uv_write_t req;
    rt_conn_t *c;
    size_t len;
    char data[];
} rt_write_t;

static void conn_reading(rt_conn_t *c);

static void on_write(uv_write_t *req, int status)
{
    rt_write_t *w = (rt_write_t *)req;
    rt_conn_t *c = w->c;
    kv_free(w);
    if (c->closing)
        return;
    if (status < 0) {
        srv_fn_rapi_close(c);
        return;
    }
    conn_reading(c);
}

static void rt_send(rt_conn_t *c, int status, const char *reason, const char *extra,
                    kv_slice_t body)
{
    if (c->closing || c->bad)
        return;
    char head[10240]; /* extra holds at most 8 KB */
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%sContent-Length: "
                     "%zu\r\n\r\n",
                     status, reason, extra ? extra : "", body.len);
    if (n < 0 || (size_t)n >= sizeof(head)) {
        c->bad = true; /* cannot happen with the callers' bounds; never send a cut head */
        return;
    }
    rt_write_t *w = kv_malloc(sizeof(*w) + (size_t)n + body.len);
    w->c = c;
    w->len = (size_t)n + body.len;
    memcpy(w->data, head, (size_t)n);
    if (body.len)
        memcpy(w->data + n, body.p, body.len);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
    if (uv_write(&w->req, &c->h.stream, &b, 1, on_write) < 0) {
        kv_free(w);
        c->bad = true;
    }
}

static void conn_reset(rt_conn_t *c)
{
    llhttp_init(&c->parser, HTTP_REQUEST, &c->f->settings);
    c->parser.data = c;
    kv_buf_reset(&c->url);
    kv_buf_reset(&c->body);
    c->body.failed = false;
    c->complete = false;
}

void srv_fn_rapi_deliver(inst_t *in, api_invocation_t *inv)
{
    rt_conn_t *c = in->waiting_next;
    in->waiting_next = NULL;
    srv_fn_begin(in, inv);
    char extra[8192]; /* the client context takes at most 2.7 KB */
    int n = snprintf(extra, sizeof(extra),
                     "Lambda-Runtime-Aws-Request-Id: %s\r\nLambda-Runtime-Deadline-Ms: %lld\r\n"
                     "Lambda-Runtime-Invoked-Function-Arn: %s\r\nLambda-Runtime-Trace-Id: "
                     "Root=1-%08llx-%s;Sampled=0\r\n",
                     inv->request_id, (long long)in->deadline_ms,
                     inv->invoked_arn ? inv->invoked_arn : inv->arn,
                     (unsigned long long)(in->begun_ms / 1000), inv->request_id);
    if (inv->client_context && n > 0 && (size_t)n < sizeof(extra))
        snprintf(extra + n, sizeof(extra) - (size_t)n, "Lambda-Runtime-Client-Context: %s\r\n",
                 inv->client_context);
    rt_send(c, 200, "OK", extra, inv->payload);
    conn_reset(c); /* the connection may carry the runtime's next request (keep-alive) */
    if (c->bad)
        srv_fn_rapi_close(c);
    else if (c->pending.len)
        srv_fn_kick(in->f); /* what it sent while parked is read next */
    else
        conn_reading(c);
}

static void rt_request(inst_t *in, rt_conn_t *c)
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
        srv_fn_idle(in);
        srv_fn_kick(in->f);
        return;
    }
    if (strcmp(m, "POST") == 0 && kv_slice_eq_str(rest, "init/error")) {
        /* The instance cannot start: the invocation that is waiting for one gets its error. */
        srv_fn_init_error(in, kv_buf_slice(&c->body));
        rt_send(c, 202, "Accepted", NULL, KV_SLICE_LIT("{\"status\":\"OK\"}"));
        srv_fn_proc_kill(in);
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
                srv_fn_complete(in, API_INV_FN_ERROR,
                                KV_SLICE_LIT("{\"errorMessage\":\"Response payload size exceeded "
                                             "maximum allowed payload size (6291556 bytes).\","
                                             "\"errorType\":\"Function.ResponseSizeTooLarge\"}"));
            else
                srv_fn_complete(in, ok ? API_INV_OK : API_INV_FN_ERROR, b);
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

void srv_fn_rapi_settings(llhttp_settings_t *s)
{
    llhttp_settings_init(s);
    s->on_url = on_url;
    s->on_body = on_body;
    s->on_message_complete = on_complete;
}

/* Bytes that arrive while the connection is parked on GET next wait for its answer. */
static void hold(rt_conn_t *c, const char *p, size_t n)
{
    kv_buf_append(&c->pending, p, n);
    if (kv_buf_failed(&c->pending))
        srv_fn_rapi_close(c);
}

void srv_fn_rapi_feed(inst_t *in, rt_conn_t *c, const char *p, size_t n)
{
    while (n) {
        if (in->waiting_next == c) {
            hold(c, p, n);
            return;
        }
        llhttp_errno_t e = llhttp_execute(&c->parser, p, n);
        if (e == HPE_PAUSED && c->complete) {
            const char *stop = llhttp_get_error_pos(&c->parser);
            size_t used = stop && stop >= p && stop <= p + n ? (size_t)(stop - p) : n;
            rt_request(in, c);
            if (c->bad) {
                srv_fn_rapi_close(c);
                return;
            }
            if (c->closing || c->in != in)
                return;
            p += used;
            n -= used;
            if (in->waiting_next != c)
                conn_reset(c);
            continue;
        }
        if (e != HPE_OK) {
            rt_send(c, 400, "Bad Request", "Connection: close\r\n", KV_SLICE_LIT("{}"));
            srv_fn_rapi_close(c);
        }
        return;
    }
    conn_reading(c);
}

void srv_fn_rapi_feed_pending(srv_fn_t *f)
{
    /* Each feed empties a connection's bytes or parks it again; rescan after each (a feed may
     * close connections). Bounded: every connection is fed at most once per pass. */
    for (int round = 0; round < MAX_INSTANCES * MAX_CONNS; round++) {
        rt_conn_t *todo = NULL;
        inst_t *owner = NULL;
        for (inst_t *in = f->insts; in && !todo; in = in->next)
            for (rt_conn_t *c = in->conns; c && !todo; c = c->next)
                if (c->pending.len && in->waiting_next != c) {
                    todo = c;
                    owner = in;
                }
        if (todo == NULL)
            return;
        kv_buf_t bytes = todo->pending;
        kv_buf_init(&todo->pending, RT_PENDING_MAX);
        srv_fn_rapi_feed(owner, todo, (const char *)bytes.p, bytes.len);
        kv_buf_dispose(&bytes);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    rt_conn_t *c = h->data;
    *buf = uv_buf_init((char *)c->f->rbuf, sizeof(c->f->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    rt_conn_t *c = s->data;
    if (n == 0 || c->closing)
        return;
    if (n < 0) {
        srv_fn_rapi_close(c);
        return;
    }
    srv_fn_rapi_feed(c->in, c, buf->base, (size_t)n);
}

/* Read while its unsent answers are few (a runtime that does not read them stops being
 * read; its instance's deadline ends it). */
static void conn_reading(rt_conn_t *c)
{
    if (c->closing)
        return;
    size_t queued = uv_stream_get_write_queue_size(&c->h.stream);
    if (c->reading && queued > RT_WQ_HIGH) {
        uv_read_stop(&c->h.stream);
        c->reading = false;
    } else if (!c->reading && queued <= RT_WQ_LOW) {
        c->reading = uv_read_start(&c->h.stream, on_alloc, on_read) == 0;
    }
}

static void on_conn_closed(uv_handle_t *h)
{
    rt_conn_t *c = h->data;
    kv_buf_dispose(&c->url);
    kv_buf_dispose(&c->body);
    kv_buf_dispose(&c->pending);
    kv_free(c);
}

void srv_fn_rapi_close(rt_conn_t *c)
{
    if (c->closing)
        return;
    inst_t *in = c->in;
    for (rt_conn_t **pp = &in->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    if (in->waiting_next == c)
        in->waiting_next = NULL;
    c->in = NULL;
    c->closing = true;
    uv_close(&c->h.handle, on_conn_closed);
}

rt_conn_t *srv_fn_rapi_adopt(inst_t *in, rt_conn_t *c)
{
    c->f = in->f;
    c->in = in;
    c->h.handle.data = c;
    kv_buf_init(&c->url, RT_URL_MAX);
    kv_buf_init(&c->body, RT_BODY_MAX);
    kv_buf_init(&c->pending, RT_PENDING_MAX);
    conn_reset(c);
    c->next = in->conns;
    in->conns = c;
    conn_reading(c);
    return c;
}

/* Take a connection from the listener if it comes from the instance; close it unread if not.
 * @return false when none was waiting. */
static bool accept_one(inst_t *in)
{
    srv_fn_t *f = in->f;
    int fd = accept4(in->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return false;
    if (!srv_fn_proc_peer_ok(f, in, fd)) {
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
    rt_conn_t *c = kv_calloc(1, sizeof(*c));
    if (uv_tcp_init(&f->loop, &c->h.tcp) < 0) {
        kv_free(c);
        close(fd);
        return true;
    }
    if (uv_tcp_open(&c->h.tcp, fd) < 0) {
        close(fd);
        c->h.handle.data = c;
        uv_close(&c->h.handle, (uv_close_cb)kv_free);
        return true;
    }
    srv_fn_rapi_adopt(in, c);
    return true;
}

void srv_fn_rapi_accept(inst_t *in)
{
    for (int k = 0; k < ACCEPTS_MAX && !in->dead && accept_one(in); k++)
        ;
}
