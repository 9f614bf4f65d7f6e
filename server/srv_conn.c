/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One HTTP/1.1 connection: llhttp parsing with limits checked inside the
 * callbacks (before anything is allocated), keep-alive and pipelining with
 * responses in order, Expect: 100-continue, timeouts, backpressure, and the
 * hand-off of held responses (group commit) back from the syncer thread.
 *
 * Requests are processed inline on the loop thread, so responses leave in
 * request order. When a response must wait for a durable sync, the parser is
 * paused (HPE_PAUSED) and the bytes after that request wait in c->pending
 * until the response is released. An operation flagged slow (api_offload)
 * waits the same way while a worker thread runs its api_handle; the worker
 * posts the connection back to its loop, which then goes on as after an
 * inline api_handle (hold for durability, or write).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "srv_int.h"

/* A response on its way out: owns the request's arena and the body. */
typedef struct srv_wreq {
    uv_write_t w;
    srv_conn_t *c;
    kv_arena_t *arena;
    api_req_t req;
    api_resp_t resp;
    bool has_api;
    kv_buf_t cipher;
    uint64_t bytes_in;
    uint64_t bytes_out;
    uv_buf_t bufs[2]; /* an answer waiting for the WAL flush: what it will write */
    unsigned nbufs;
    struct srv_wreq *def_next;
} srv_wreq_t;

static llhttp_settings_t g_settings;
static pthread_once_t g_settings_once = PTHREAD_ONCE_INIT;

static void on_close(uv_handle_t *h);
static int feed(srv_conn_t *c, const uint8_t *p, size_t n);

/* Every status the api and server layers send (api_err.h, S3 conditional and
 * range answers, Lambda's 202/429, redirects), with its RFC 9110/6585 phrase. */
const char *srv_reason(int st)
{
    switch (st) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    case 507:
        return "Insufficient Storage";
    default:
        return "Unknown";
    }
}

static void on_timer(uv_timer_t *t);

/*
 * A connection's timeout is a deadline; its timer is moved only when the deadline comes
 * earlier than the timer is armed for. A later deadline (the idle timeout after each answer)
 * leaves the timer where it is, and when it fires early it re-arms for what is left: a busy
 * keep-alive connection costs no timer operation per request.
 */
static void timer_arm(srv_conn_t *c, uint64_t now)
{
    c->timer_due = c->deadline;
    uv_timer_start(&c->timer, on_timer, c->deadline - now, 0);
}

static void timer_set(srv_conn_t *c, unsigned ms)
{
    if (c->closing)
        return;
    if (ms == 0) {
        c->deadline = c->timer_due = 0;
        uv_timer_stop(&c->timer);
        return;
    }
    uint64_t now = uv_now(&c->loop->loop);
    c->deadline = now + ms;
    if (c->timer_due == 0 || c->timer_due > c->deadline)
        timer_arm(c, now);
}

static void read_start(srv_conn_t *c);
static void read_stop(srv_conn_t *c);
static void stream_start(srv_conn_t *c, struct srv_wreq *wr, kv_slice_t head);

static void write_done(srv_conn_t *c)
{
    c->writes_pending--;
    c->writes_completed++;
    if (c->closing)
        return;
    if (c->close_after && c->writes_pending == 0) {
        srv_conn_close(c);
        return;
    }
    if (!c->reading && !c->held && !c->stream && c->pending.len == 0 && !c->close_after &&
        uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) < SRV_WQ_LOW)
        read_start(c);
}

static void on_write(uv_write_t *w, int status)
{
    srv_wreq_t *wr = w->data;
    srv_conn_t *c = wr->c;
    srv_loop_t *l = c->loop;
    (void)status;
    if (wr->has_api) {
        api_done(l->srv->api, &wr->req, &wr->resp, wr->bytes_in, wr->bytes_out);
        api_resp_dispose(&wr->resp);
    }
    kv_buf_dispose(&wr->cipher);
    kv_arena_t *a = wr->arena;
    srv_arena_put(l, a); /* frees wr too: it lives in the arena */
    write_done(c);
}

/*
 * A response on a connection with nothing queued is written at once, from here: when the
 * socket takes it whole (the usual case), it is done without a write request, its callback
 * and the poll-mask change libuv makes when its write queue drains (one epoll_ctl per
 * response). What the socket does not take goes out through uv_write; bufs/n are advanced
 * past the bytes written. @return whether the response is done (wr is gone).
 */
static bool try_write(srv_conn_t *c, srv_wreq_t *wr, uv_buf_t *bufs, unsigned *n)
{
    int w = uv_try_write((uv_stream_t *)&c->tcp, bufs, *n);
    if (w <= 0)
        return false; /* UV_EAGAIN, or an error uv_write reports again */
    size_t left = (size_t)w;
    unsigned i = 0;
    while (i < *n && left >= bufs[i].len)
        left -= bufs[i++].len;
    if (i == *n) {
        srv_loop_t *l = c->loop;
        c->writes_pending--;
        api_done(l->srv->api, &wr->req, &wr->resp, wr->bytes_in, wr->bytes_out);
        api_resp_dispose(&wr->resp);
        srv_arena_put(l, wr->arena); /* frees wr too */
        c->writes_completed++;
        return true;
    }
    bufs[i].base += left;
    bufs[i].len -= left;
    memmove(bufs, bufs + i, (*n - i) * sizeof(*bufs));
    *n -= i;
    return false;
}

/* An answer that never reaches the socket (its connection is gone, or the WAL write it
 * waited for failed): account for it and free it. */
static void drop_wreq(srv_conn_t *c, srv_wreq_t *wr)
{
    c->writes_pending--;
    if (wr->has_api) {
        api_done(c->loop->srv->api, &wr->req, &wr->resp, wr->bytes_in, 0);
        api_resp_dispose(&wr->resp);
    }
    kv_buf_dispose(&wr->cipher);
    srv_arena_put(c->loop, wr->arena);
}

static void submit_now(srv_conn_t *c, srv_wreq_t *wr, uv_buf_t *bufs, unsigned n);

/* ---- answers after the loop turn's WAL write ----
 * A loop thread's writes stay in RocksDB's WAL buffer until srv_conn_flush_deferred, which
 * runs once per loop turn (before and after polling) and hands them to the OS in one
 * write(2). Until then no answer leaves (one could name a write that a crash would lose):
 * it waits on its connection, in order. */

static void def_unlink(srv_conn_t *c)
{
    srv_loop_t *l = c->loop;
    if (c->def_prev)
        c->def_prev->def_next = c->def_next;
    else
        l->def_conns = c->def_next;
    if (c->def_next)
        c->def_next->def_prev = c->def_prev;
    c->def_prev = c->def_next = NULL;
    c->def_linked = false;
}

static void defer_wreq(srv_conn_t *c, srv_wreq_t *wr, uv_buf_t *bufs, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        wr->bufs[i] = bufs[i];
    wr->nbufs = n;
    wr->def_next = NULL;
    if (c->def_tail)
        c->def_tail->def_next = wr;
    else
        c->def_head = wr;
    c->def_tail = wr;
    if (!c->def_linked) {
        srv_loop_t *l = c->loop;
        c->def_prev = NULL;
        c->def_next = l->def_conns;
        if (l->def_conns)
            l->def_conns->def_prev = c;
        l->def_conns = c;
        c->def_linked = true;
    }
}

/* The connection closes: its waiting answers go nowhere. */
static void def_drop_all(srv_conn_t *c)
{
    if (c->def_linked)
        def_unlink(c);
    srv_wreq_t *wr = c->def_head;
    c->def_head = c->def_tail = NULL;
    while (wr) {
        srv_wreq_t *next = wr->def_next;
        drop_wreq(c, wr);
        wr = next;
    }
}

/* Send (or, when the WAL write failed, drop) the answers waiting on c, in order. */
static void def_release(srv_conn_t *c, bool failed)
{
    if (c->def_linked)
        def_unlink(c);
    srv_wreq_t *wr = c->def_head;
    c->def_head = c->def_tail = NULL;
    while (wr) {
        srv_wreq_t *next = wr->def_next;
        if (failed || c->closing)
            drop_wreq(c, wr);
        else
            submit_now(c, wr, wr->bufs, wr->nbufs);
        wr = next;
    }
}

/* After a flush that succeeded: c's waiting answers go now. */
static void def_send(srv_conn_t *c)
{
    if (c->def_head)
        def_release(c, false);
}

void srv_conn_flush_deferred(srv_loop_t *l)
{
    if (l->def_conns == NULL)
        return;
    int rc = api_wal_flush(l->srv->api);
    srv_conn_t *c;
    while ((c = l->def_conns) != NULL) {
        def_release(c, rc < 0);
        if (rc < 0 && !c->closing) {
            /* Not durable: the client must not take it as done (as after a failed sync). */
            KV_LOG_ERROR("wal write failed; dropping connection %s", c->peer);
            srv_conn_close(c);
        }
    }
}

/* Queue bytes for the socket; takes the arena (which holds wr). */
static void submit(srv_conn_t *c, srv_wreq_t *wr, uv_buf_t *bufs, unsigned n)
{
    wr->c = c;
    wr->w.data = wr;
    c->writes_pending++;
    if (c->def_head || api_wal_pending(c->loop->srv->api)) {
        defer_wreq(c, wr, bufs, n);
        return;
    }
    submit_now(c, wr, bufs, n);
}

static void submit_now(srv_conn_t *c, srv_wreq_t *wr, uv_buf_t *bufs, unsigned n)
{
    int rc;
    if (c->tls) {
        kv_buf_init(&wr->cipher, SIZE_MAX);
        for (unsigned i = 0; i < n; i++)
            if (srv_tls_write(c->tls, (const uint8_t *)bufs[i].base, bufs[i].len, &wr->cipher) < 0)
                c->close_after = true;
        uv_buf_t cb = uv_buf_init((char *)wr->cipher.p, (unsigned)wr->cipher.len);
        rc = uv_write(&wr->w, (uv_stream_t *)&c->tcp, &cb, 1, on_write);
    } else {
        if (wr->has_api && c->writes_pending == 1 && !c->close_after && try_write(c, wr, bufs, &n))
            return;
        rc = uv_write(&wr->w, (uv_stream_t *)&c->tcp, bufs, n, on_write);
    }
    if (rc < 0) {
        /* The socket is gone; account for the request and drop the connection. */
        drop_wreq(c, wr);
        srv_conn_close(c);
        return;
    }
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > SRV_WQ_HIGH)
        read_stop(c);
}

/* A bodiless response from the HTTP layer itself (limits, timeouts, bad syntax). */
static void send_plain(srv_conn_t *c, int status)
{
    if (c->closing)
        return;
    api_count_http_error(c->loop->srv->api, status);
    kv_arena_t *a = srv_arena_get(c->loop);
    srv_wreq_t *wr = kv_arena_calloc(a, 1, sizeof(*wr));
    wr->arena = a;
    char *head = kv_arena_printf(a,
                                 "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: Stratus/" STRATUS_VERSION
                                 "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                                 status, srv_reason(status), srv_loop_date(c->loop));
    uv_buf_t b = uv_buf_init(head, (unsigned)strlen(head));
    c->close_after = true;
    read_stop(c);
    submit(c, wr, &b, 1);
    timer_set(c, c->loop->srv->cfg->idle_timeout_ms); /* closes it if never read */
}

/* ---- bodies pulled from a source, one chunk in flight ---- */

static void resume_parsing(srv_conn_t *c);

static void stream_finish(srv_conn_t *c, bool ok)
{
    srv_wreq_t *wr = c->stream;
    c->stream = NULL;
    if (!ok)
        c->close_after = true;
    api_done(c->loop->srv->api, &wr->req, &wr->resp, wr->bytes_in, wr->bytes_out);
    api_resp_dispose(&wr->resp); /* closes the source */
    srv_arena_put(c->loop, wr->arena);
    write_done(c);
    timer_set(c, c->loop->srv->cfg->idle_timeout_ms);
    if (!c->closing && !c->close_after)
        resume_parsing(c);
}

static void stream_pump(srv_conn_t *c);

static void on_stream_write(uv_write_t *w, int status)
{
    srv_conn_t *c = w->data;
    if (status < 0 || c->closing) {
        stream_finish(c, false);
        return;
    }
    c->writes_completed++;
    stream_pump(c);
}

/* Pull the next chunk and write it; finish at the end of the body. */
static void stream_pump(srv_conn_t *c)
{
    srv_wreq_t *wr = c->stream;
    api_body_src_t *src = &wr->resp.src;
    if (c->stream_left == 0) {
        stream_finish(c, true);
        return;
    }
    size_t cap = c->stream_left < SRV_STREAM_CHUNK ? (size_t)c->stream_left : SRV_STREAM_CHUNK;
    kv_buf_reset(&c->stream_buf);
    kv_buf_reserve(&c->stream_buf, cap);
    int64_t n = src->read(src->arg, c->stream_buf.p, cap);
    if (n <= 0 || (uint64_t)n > cap) {
        /* An error, or a body shorter than announced: the client must see a cut. */
        stream_finish(c, false);
        return;
    }
    c->stream_left -= (uint64_t)n;
    wr->bytes_out += (uint64_t)n;
    uv_buf_t b = uv_buf_init((char *)c->stream_buf.p, (unsigned)n);
    kv_buf_t cipher;
    if (c->tls) {
        kv_buf_init(&cipher, SIZE_MAX);
        if (srv_tls_write(c->tls, c->stream_buf.p, (size_t)n, &cipher) < 0) {
            kv_buf_dispose(&cipher);
            stream_finish(c, false);
            return;
        }
        /* The plaintext buffer is free again; send the ciphertext from it. */
        kv_buf_dispose(&c->stream_buf);
        c->stream_buf = cipher;
        b = uv_buf_init((char *)c->stream_buf.p, (unsigned)c->stream_buf.len);
    }
    c->stream_w.data = c;
    if (uv_write(&c->stream_w, (uv_stream_t *)&c->tcp, &b, 1, on_stream_write) < 0)
        stream_finish(c, false);
}

static void on_stream_head(uv_write_t *w, int status)
{
    srv_conn_t *c = w->data;
    if (status < 0 || c->closing) {
        stream_finish(c, false);
        return;
    }
    stream_pump(c);
}

static void stream_start(srv_conn_t *c, srv_wreq_t *wr, kv_slice_t head)
{
    wr->c = c;
    c->stream = wr;
    c->stream_left = wr->resp.src.length;
    c->writes_pending++;
    read_stop(c); /* pipelined requests wait until the body is out */
    uv_buf_t b = uv_buf_init((char *)(uintptr_t)head.p, (unsigned)head.len);
    kv_buf_t cipher;
    if (c->tls) {
        kv_buf_init(&cipher, SIZE_MAX);
        srv_tls_write(c->tls, head.p, head.len, &cipher);
        kv_buf_dispose(&c->stream_buf);
        c->stream_buf = cipher;
        b = uv_buf_init((char *)c->stream_buf.p, (unsigned)c->stream_buf.len);
    }
    c->stream_w.data = c;
    if (uv_write(&c->stream_w, (uv_stream_t *)&c->tcp, &b, 1, on_stream_head) < 0)
        stream_finish(c, false);
}

/* Write the current request's response; the request's arena moves to the write. */
static void send_response(srv_conn_t *c)
{
    kv_arena_t *a = c->arena;
    srv_wreq_t *wr = kv_arena_calloc(a, 1, sizeof(*wr));
    wr->arena = a;
    wr->req = c->req;
    wr->resp = c->resp;
    wr->has_api = true;
    c->arena = NULL;
    c->resp_live = false;
    api_resp_t *r = &wr->resp;
    if (c->close_after || c->loop->stopping)
        r->close = true;
    if (r->close)
        c->close_after = true;
    /* The head is built without printf: this runs for every request. */
    uint8_t hmem[1024];
    kv_buf_t h;
    kv_buf_init_on(&h, hmem, sizeof(hmem), 64 * 1024);
    kv_buf_append_str(&h, "HTTP/1.1 ");
    kv_buf_append_u64(&h, (uint64_t)r->status);
    kv_buf_append_byte(&h, ' ');
    kv_buf_append_str(&h, srv_reason(r->status));
    kv_buf_append_str(&h, "\r\nDate: ");
    kv_buf_append_str(&h, srv_loop_date(c->loop));
    kv_buf_append_str(&h, "\r\nServer: Stratus/" STRATUS_VERSION "\r\n");
    bool streaming = r->src.read != NULL;
    if (r->status != 204 && r->status != 304) {
        kv_buf_append_str(&h, "Content-Length: ");
        kv_buf_append_u64(&h, streaming ? r->src.length : r->body.len);
        kv_buf_append_str(&h, "\r\n");
    }
    for (size_t i = 0; i < r->n_hdrs; i++) {
        kv_buf_append_slice(&h, r->hdrs[i].name);
        kv_buf_append(&h, ": ", 2);
        kv_buf_append_slice(&h, r->hdrs[i].value);
        kv_buf_append(&h, "\r\n", 2);
    }
    if (r->close)
        kv_buf_append_str(&h, "Connection: close\r\n");
    kv_buf_append(&h, "\r\n", 2);
    kv_slice_t hs = kv_arena_dup(a, kv_buf_slice(&h));
    kv_buf_dispose(&h);
    uv_buf_t bufs[2];
    unsigned n = 1;
    bufs[0] = uv_buf_init((char *)(uintptr_t)hs.p, (unsigned)hs.len);
    if (r->body.len && !r->no_body && r->status != 204 && r->status != 304)
        bufs[n++] = uv_buf_init((char *)r->body.p, (unsigned)r->body.len);
    wr->bytes_in = c->bytes_in;
    wr->bytes_out = hs.len + (n == 2 ? r->body.len : 0);
    c->bytes_in = 0;
    if (r->close)
        read_stop(c);
    if (streaming && !r->no_body && r->status != 204 && r->status != 304) {
        /* A streamed body is rare and long: hand the WAL to the OS now rather than wait, and
         * send this connection's answers that waited for it first (they come before it). */
        if ((api_wal_pending(c->loop->srv->api) || c->def_head) &&
            api_wal_flush(c->loop->srv->api) < 0) {
            KV_LOG_ERROR("wal write failed; dropping connection %s", c->peer);
            srv_conn_close(c); /* drops the waiting answers too */
        } else {
            def_send(c);
        }
        if (c->closing) { /* this answer goes nowhere either */
            c->writes_pending++;
            wr->c = c;
            drop_wreq(c, wr);
            return;
        }
        stream_start(c, wr, hs);
        return;
    }
    submit(c, wr, bufs, n);
}

/* ---- the loop's connections, most recently active first ---- */

static void conn_link(srv_conn_t *c)
{
    srv_loop_t *l = c->loop;
    c->prev = NULL;
    c->next = l->conns;
    if (l->conns)
        l->conns->prev = c;
    else
        l->conns_tail = c;
    l->conns = c;
}

static void conn_unlink(srv_conn_t *c)
{
    srv_loop_t *l = c->loop;
    if (c->prev)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->conns_tail = c->prev;
    c->prev = c->next = NULL;
}

/* Idle: a keep-alive connection between requests, with nothing queued or held. */
static bool conn_idle(const srv_conn_t *c)
{
    return !c->closing && c->phase == SRV_IDLE && c->writes_pending == 0 && !c->held &&
           !c->stream && c->pending.len == 0;
}

bool srv_conn_close_idle(srv_loop_t *l)
{
    for (srv_conn_t *c = l->conns_tail; c; c = c->prev)
        if (conn_idle(c)) {
            KV_LOG_DEBUG("http: closing idle connection %s at the connection limit", c->peer);
            srv_conn_close(c);
            api_count_conn_shed(l->srv->api, false);
            return true;
        }
    return false;
}

/* Over the limit with nothing idle: accept the connection to tell the client, then close. */
static void refuse(srv_loop_t *l, uv_stream_t *server)
{
    uv_tcp_t *t = kv_calloc(1, sizeof(*t));
    uv_tcp_init(&l->loop, t);
    if (uv_accept(server, (uv_stream_t *)t) == 0) {
        char msg[256];
        int n = snprintf(
            msg, sizeof(msg),
            "HTTP/1.1 503 Service Unavailable\r\nDate: %s\r\nServer: Stratus/" STRATUS_VERSION
            "\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            srv_loop_date(l));
        uv_buf_t b = uv_buf_init(msg, (unsigned)n);
        uv_try_write((uv_stream_t *)t, &b, 1); /* a fresh socket's buffer takes it whole */
    }
    uv_close((uv_handle_t *)t, (uv_close_cb)kv_free);
    api_count_conn_shed(l->srv->api, true);
}

/* ---- llhttp callbacks ---- */

static int on_message_begin(llhttp_t *p)
{
    srv_conn_t *c = p->data;
    c->phase = SRV_HEADERS;
    if (c->prev) {
        conn_unlink(c); /* the longest idle connections stay at the tail */
        conn_link(c);
    }
    c->arena = srv_arena_get(c->loop);
    kv_buf_reset(&c->hbuf);
    c->n_hdrs = 0;
    c->url_len = 0;
    c->in_value = false;
    c->answered = false;
    c->body_bytes = 0;
    c->body_limit = 0;
    c->http_err = 0;
    c->chunk_ext = 0;
    c->ext_bytes = 0;
    memset(&c->req, 0, sizeof(c->req));
    c->req.start_ns = kv_now_mono_ns();
    timer_set(c, c->loop->srv->cfg->header_timeout_ms);
    return 0;
}

static int append_hdr(srv_conn_t *c, const char *at, size_t len)
{
    if (c->hbuf.len + len > c->loop->srv->cfg->max_header_bytes) {
        c->http_err = 431;
        return HPE_USER;
    }
    kv_buf_append(&c->hbuf, at, len);
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    srv_conn_t *c = p->data;
    c->url_len += (uint32_t)len;
    return append_hdr(c, at, len);
}

/* llhttp reads a request line without a version as HTTP/0.9 (major 0, minor 9 are set just
 * before this callback); refuse it rather than guess. */
static int on_url_complete(llhttp_t *p)
{
    if (p->http_major == 0 && p->http_minor == 9)
        return HPE_USER;
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    srv_conn_t *c = p->data;
    if (c->in_value || c->n_hdrs == 0) {
        if (c->n_hdrs >= c->loop->srv->cfg->max_headers) {
            c->http_err = 431;
            return HPE_USER;
        }
        srv_hoff_t *h = &c->hoff[c->n_hdrs++];
        h->no = (uint32_t)c->hbuf.len;
        h->nl = 0;
        h->vo = h->vl = 0;
        c->in_value = false;
    }
    c->hoff[c->n_hdrs - 1].nl += (uint32_t)len;
    return append_hdr(c, at, len);
}

/*
 * llhttp joins an obsolete folded line (CRLF then SP or HT) to the value before it. A
 * proxy may read that line differently, so it is refused: a value's bytes never follow
 * LF and blanks unless a fold is between them. The bytes before `at` are in this read, or
 * were at the end of the one before (c->tail_lf).
 */
static bool after_fold(const srv_conn_t *c, const char *at)
{
    const uint8_t *q = (const uint8_t *)at;
    while (q > c->exec_p && (q[-1] == ' ' || q[-1] == '\t'))
        q--;
    return q > c->exec_p ? q[-1] == '\n' : c->tail_lf;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    srv_conn_t *c = p->data;
    srv_hoff_t *h = &c->hoff[c->n_hdrs - 1];
    if (len > 0 && after_fold(c, at)) /* (an empty value's span may start on the next line) */
        return HPE_USER;
    if (!c->in_value) {
        c->in_value = true;
        h->vo = (uint32_t)c->hbuf.len;
        h->vl = 0;
    }
    h->vl += (uint32_t)len;
    return append_hdr(c, at, len);
}

static bool has_body(llhttp_t *p)
{
    return (p->flags & F_CHUNKED) || ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0);
}

static bool expects_continue(const api_req_t *r)
{
    for (size_t i = 0; i < r->n_hdrs; i++)
        if (kv_slice_eq_nocase(r->hdrs[i].name, "expect") &&
            kv_slice_eq_nocase(kv_slice_trim(r->hdrs[i].value), "100-continue"))
            return true;
    return false;
}

static int on_headers_complete(llhttp_t *p)
{
    srv_conn_t *c = p->data;
    srv_loop_t *l = c->loop;
    api_req_t *r = &c->req;
    if (p->http_major != 1)
        return HPE_USER;
    /* Copy the header text into the arena: it must outlive pipelined requests. */
    kv_slice_t text = kv_arena_dup(c->arena, kv_buf_slice(&c->hbuf));
    r->arena = c->arena;
    r->method = kv_slice_str(llhttp_method_name((llhttp_method_t)llhttp_get_method(p)));
    kv_slice_t url = kv_slice(text.p, c->url_len);
    const uint8_t *q = memchr(url.p, '?', url.len);
    r->path = q ? kv_slice(url.p, (size_t)(q - url.p)) : url;
    r->query = q ? kv_slice(q + 1, url.len - r->path.len - 1) : KV_SLICE_NULL;
    r->hdrs = kv_arena_calloc(c->arena, c->n_hdrs ? c->n_hdrs : 1, sizeof(*r->hdrs));
    for (size_t i = 0; i < c->n_hdrs; i++) {
        r->hdrs[i].name = kv_slice(text.p + c->hoff[i].no, c->hoff[i].nl);
        r->hdrs[i].value = kv_slice(text.p + c->hoff[i].vo, c->hoff[i].vl);
    }
    r->n_hdrs = c->n_hdrs;
    r->content_length = (p->flags & F_CONTENT_LENGTH) ? (int64_t)p->content_length : -1;
    r->tls = c->tls != NULL;
    r->peer = kv_slice_str(c->peer);
    api_resp_init(&c->resp, r);
    c->resp_live = true;
    uint64_t limit = 0;
    bool body = has_body(p);
    /* 100 Continue goes out even for an empty body: botocore, told a final status first,
     * keeps that status line for the connection's next response and misreads it. */
    bool expect = expects_continue(r);
    if (api_begin(l->srv->api, r, &c->resp, &limit) == API_RESPOND) {
        c->answered = true;
        /* A small body of known length is skipped so the connection can go on;
         * otherwise the body is not read and the stream cannot continue. A chunked body's
         * end is unknown (the client may still be sending it), so the connection closes
         * at once instead of idling to a timeout. A client that asked for 100-continue may
         * never send the body after a final status (RFC 9110 section 10.1.1), so the next
         * bytes are not known to be a request: close. */
        bool skip = !expect && !(p->flags & F_CHUNKED) && r->content_length <= SRV_SKIP_BODY_MAX;
        if (body && !skip)
            c->close_after = true;
        send_response(c);
        return body && !skip ? -1 : 0;
    }
    c->body_limit = limit;
    c->phase = SRV_BODY;
    if (expect) {
        kv_arena_t *a = srv_arena_get(l);
        srv_wreq_t *wr = kv_arena_calloc(a, 1, sizeof(*wr));
        wr->arena = a;
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        uv_buf_t b = uv_buf_init((char *)(uintptr_t)cont, sizeof(cont) - 1);
        submit(c, wr, &b, 1);
    }
    if (body) {
        /* A body read before its signature is checked gets one deadline in all, never
         * extended by the bytes that trickle in (api_begin sets it). */
        unsigned ms = l->srv->cfg->body_timeout_ms;
        if (r->body_deadline_ms && r->body_deadline_ms < ms)
            ms = r->body_deadline_ms;
        timer_set(c, ms);
    }
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    srv_conn_t *c = p->data;
    c->body_bytes += len;
    if (c->answered) {
        /* Skipping the body of a request already answered, up to a bound. */
        if (c->body_bytes <= SRV_SKIP_BODY_MAX)
            return 0;
        c->close_after = true;
        return HPE_USER;
    }
    if (c->body_bytes > c->body_limit) {
        c->http_err = 413;
        return HPE_USER;
    }
    if (api_body(c->loop->srv->api, &c->req, &c->resp, (const uint8_t *)at, len) == API_RESPOND) {
        c->answered = true;
        c->close_after = true;
        send_response(c);
        return HPE_USER;
    }
    if (!c->req.body_deadline_ms)
        timer_set(c, c->loop->srv->cfg->body_timeout_ms);
    return 0;
}

static int on_chunk_header(llhttp_t *p)
{
    srv_conn_t *c = p->data;
    c->chunk_ext = 0;
    return 0;
}

/* Chunk extensions are ignored, but read: bound them per chunk, and over the body to its
 * size (so that they cannot stand in for it) plus one chunk's worth. */
static int on_chunk_ext(llhttp_t *p, const char *at, size_t len)
{
    srv_conn_t *c = p->data;
    (void)at;
    c->chunk_ext += (uint32_t)len;
    c->ext_bytes += len;
    if (c->chunk_ext > SRV_CHUNK_EXT_MAX || c->ext_bytes > c->body_bytes + SRV_CHUNK_EXT_MAX)
        return HPE_USER;
    return 0;
}

static void on_released(void *arg, int status);
static void work_run(srv_job_t *job);

static int on_message_complete(llhttp_t *p)
{
    srv_conn_t *c = p->data;
    srv_loop_t *l = c->loop;
    c->phase = SRV_IDLE;
    if (!llhttp_should_keep_alive(p))
        c->close_after = true;
    if (!c->answered && api_offload(&c->req)) {
        /* Held until the worker is done: nothing more is read or parsed, and the request,
         * its arena and the response belong to the worker meanwhile. */
        c->held = true;
        c->offloaded = true;
        l->n_jobs++;
        timer_set(c, 0);
        c->job.run = work_run;
        srv_work_submit(l->srv->work, &c->job);
        return HPE_PAUSED;
    }
    if (!c->answered) {
        api_handle(l->srv->api, &c->req, &c->resp);
        if (api_resp_hold(l->srv->api, &c->resp, on_released, c)) {
            c->held = true;
            timer_set(c, 0);
            return HPE_PAUSED;
        }
        send_response(c);
    }
    timer_set(c, l->srv->cfg->idle_timeout_ms);
    return c->close_after || c->stream ? HPE_PAUSED : 0;
}

static void settings_init(void)
{
    llhttp_settings_init(&g_settings);
    g_settings.on_message_begin = on_message_begin;
    g_settings.on_url = on_url;
    g_settings.on_url_complete = on_url_complete;
    g_settings.on_header_field = on_header_field;
    g_settings.on_header_value = on_header_value;
    g_settings.on_headers_complete = on_headers_complete;
    g_settings.on_body = on_body;
    g_settings.on_chunk_header = on_chunk_header;
    g_settings.on_chunk_extension_name = on_chunk_ext;
    g_settings.on_chunk_extension_value = on_chunk_ext;
    g_settings.on_message_complete = on_message_complete;
}

/* ---- reading ---- */

static int feed(srv_conn_t *c, const uint8_t *p, size_t n)
{
    if (c->closing || n == 0)
        return 0;
    if (c->held || c->stream || c->close_after || c->pending.len) {
        if (c->close_after)
            return 0; /* nothing after a closing response is parsed */
        kv_buf_append(&c->pending, p, n);
        if (kv_buf_failed(&c->pending)) {
            srv_conn_close(c);
            return -1;
        }
        read_stop(c);
        return 0;
    }
    c->exec_p = p;
    llhttp_errno_t e = llhttp_execute(&c->parser, (const char *)p, n);
    const uint8_t *q = p + n;
    while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
        q--;
    if (q > p)
        c->tail_lf = q[-1] == '\n';
    if (e == HPE_OK)
        return 0;
    if (e == HPE_PAUSED) {
        const uint8_t *pos = (const uint8_t *)llhttp_get_error_pos(&c->parser);
        size_t used = pos ? (size_t)(pos - p) : n;
        if (c->close_after) {
            read_stop(c);
            if (c->writes_pending == 0 && !c->held)
                srv_conn_close(c);
            return 0;
        }
        if (used < n) {
            kv_buf_append(&c->pending, p + used, n - used);
            if (kv_buf_failed(&c->pending)) {
                srv_conn_close(c);
                return -1;
            }
        }
        /* A response held for an event (a long poll) keeps reading, so that the client's
         * going away is seen (api_resp_abandon); bytes it sends meanwhile wait in pending. */
        if (c->held && !c->offloaded && c->resp._pending && c->pending.len == 0)
            read_start(c);
        else
            read_stop(c);
        return 0;
    }
    /* A parse error or a refusal from a callback. */
    if (c->answered) {
        read_stop(c);
        if (c->writes_pending == 0)
            srv_conn_close(c);
        return -1;
    }
    int status = c->http_err ? c->http_err : 400;
    if (c->resp_live) {
        api_resp_dispose(&c->resp);
        c->resp_live = false;
    }
    KV_LOG_DEBUG("http: %s from %s (%s)", llhttp_errno_name(e), c->peer,
                 llhttp_get_error_reason(&c->parser));
    send_plain(c, status);
    return -1;
}

static int tls_plain(void *arg, const uint8_t *p, size_t n)
{
    return feed(arg, p, n) < 0 ? -1 : 0;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    srv_conn_t *c = h->data;
    (void)hint;
    *buf = uv_buf_init((char *)c->loop->rbuf, SRV_READ_BUF);
}

static void flush_tls(srv_conn_t *c, kv_buf_t *out)
{
    if (out->len == 0)
        return;
    kv_arena_t *a = srv_arena_get(c->loop);
    srv_wreq_t *wr = kv_arena_calloc(a, 1, sizeof(*wr));
    wr->arena = a;
    wr->cipher = *out; /* ownership moves to the write */
    kv_buf_init(out, SIZE_MAX);
    wr->c = c;
    wr->w.data = wr;
    c->writes_pending++;
    uv_buf_t b = uv_buf_init((char *)wr->cipher.p, (unsigned)wr->cipher.len);
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
        c->writes_pending--;
        kv_buf_dispose(&wr->cipher);
        srv_arena_put(c->loop, a);
        srv_conn_close(c);
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    srv_conn_t *c = s->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        /* EOF or error: finish queued writes of a held/pending response, then close. */
        read_stop(c);
        if (c->writes_pending == 0 && !c->held) {
            srv_conn_close(c);
        } else {
            c->close_after = true;
            /* a response held for an event (a long poll) gives up: its release closes us */
            if (c->held && !c->offloaded)
                api_resp_abandon(c->loop->srv->api, &c->resp);
        }
        return;
    }
    c->bytes_in += (uint64_t)nread;
    if (c->tls) {
        kv_buf_t out;
        kv_buf_init(&out, SIZE_MAX);
        int rc =
            srv_tls_feed(c->tls, (const uint8_t *)buf->base, (size_t)nread, tls_plain, c, &out);
        if (!c->closing)
            flush_tls(c, &out);
        kv_buf_dispose(&out);
        if (rc < 0 && !c->closing && !c->close_after)
            srv_conn_close(c);
        return;
    }
    feed(c, (const uint8_t *)buf->base, (size_t)nread);
}

static void read_start(srv_conn_t *c)
{
    if (c->reading || c->closing)
        return;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
        c->reading = true;
}

static void read_stop(srv_conn_t *c)
{
    if (!c->reading)
        return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
}

static void on_timer(uv_timer_t *t)
{
    srv_conn_t *c = t->data;
    c->timer_due = 0;
    if (c->closing || c->held || c->deadline == 0)
        return;
    uint64_t now = uv_now(&c->loop->loop);
    if (now < c->deadline) { /* the deadline moved on since the timer was armed */
        timer_arm(c, now);
        return;
    }
    c->deadline = 0;
    if (c->writes_pending > 0) {
        /* Responses are queued: give the client another period as long as it reads them.
         * A client that stopped reading would otherwise pin the connection forever. */
        if (c->writes_completed == c->writes_seen) {
            KV_LOG_DEBUG("http: write stall from %s", c->peer);
            srv_conn_close(c);
            return;
        }
        c->writes_seen = c->writes_completed;
        timer_set(c, c->loop->srv->cfg->idle_timeout_ms);
        return;
    }
    if (c->phase == SRV_IDLE) {
        srv_conn_close(c);
        return;
    }
    KV_LOG_DEBUG("http: %s timeout from %s", c->phase == SRV_HEADERS ? "header" : "body", c->peer);
    if (c->resp_live && !c->answered) {
        api_resp_dispose(&c->resp);
        c->resp_live = false;
    }
    if (c->answered)
        srv_conn_close(c);
    else
        send_plain(c, 408);
}

/* ---- lifetime ---- */

void srv_conn_accept(srv_loop_t *l, uv_stream_t *server)
{
    /* Keep descriptors for storage: at the limit, the longest idle connection makes room,
     * or the new one is refused. The slot is taken first so that loops cannot overshoot. */
    int was = atomic_fetch_add(&l->srv->n_conns, 1);
    if (was >= l->srv->max_conns && !srv_conn_close_idle(l)) {
        /* Nothing idle on this loop: the idle connections may be on the others. Within a small
         * margin over the limit the connection is taken and the other loops shed theirs. */
        if (was >= l->srv->max_conns + l->srv->max_conns / 8 + 8) {
            atomic_fetch_sub(&l->srv->n_conns, 1);
            KV_LOG_DEBUG("http: refusing a connection at the limit of %d", l->srv->max_conns);
            refuse(l, server);
            return;
        }
        for (int i = 0; i < l->srv->n_loops; i++)
            if (&l->srv->loops[i] != l)
                uv_async_send(&l->srv->loops[i].wake);
    }
    srv_conn_t *c = kv_calloc(1, sizeof(*c));
    c->loop = l;
    uv_tcp_init(&l->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        atomic_fetch_sub(&l->srv->n_conns, 1);
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)kv_free);
        return;
    }
    uv_timer_init(&l->loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 2;
    uv_tcp_nodelay(&c->tcp, 1);
    pthread_once(&g_settings_once, settings_init); /* N loop threads race here */
    llhttp_init(&c->parser, HTTP_REQUEST, &g_settings);
    /* No leniency (these are llhttp's defaults; the rest is LLHTTP_STRICT_MODE and the
     * checks in the callbacks). */
    llhttp_set_lenient_headers(&c->parser, 0);
    llhttp_set_lenient_chunked_length(&c->parser, 0);
    llhttp_set_lenient_keep_alive(&c->parser, 0);
    llhttp_set_lenient_transfer_encoding(&c->parser, 0);
    c->parser.data = c;
    kv_buf_init(&c->hbuf, l->srv->cfg->max_header_bytes);
    kv_buf_init(&c->pending, 64u << 20);
    kv_buf_init(&c->stream_buf, SIZE_MAX);
    c->hoff = kv_calloc(l->srv->cfg->max_headers, sizeof(*c->hoff));
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        char ip[INET6_ADDRSTRLEN] = "?";
        int port = 0;
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
            port = ntohs(a->sin6_port);
        }
        snprintf(c->peer, sizeof(c->peer), "%s:%d", ip, port);
    }
    if (l->srv->tls)
        c->tls = srv_tls_new(l->srv->tls);
    conn_link(c);
    api_count_conn(l->srv->api, 1);
    timer_set(c, l->srv->cfg->idle_timeout_ms);
    read_start(c);
}

static void conn_free(srv_conn_t *c)
{
    srv_loop_t *l = c->loop;
    if (c->resp_live)
        api_resp_dispose(&c->resp);
    if (c->arena)
        srv_arena_put(l, c->arena);
    kv_buf_dispose(&c->hbuf);
    kv_buf_dispose(&c->pending);
    kv_buf_dispose(&c->stream_buf);
    kv_free(c->hoff);
    srv_tls_free(c->tls);
    kv_free(c);
    srv_loop_conn_gone(l);
}

static void on_close(uv_handle_t *h)
{
    srv_conn_t *c = h->data;
    if (--c->handles_open > 0)
        return;
    if (c->held) {
        c->freed_wait = true; /* the syncer still holds a pointer: free on release */
        return;
    }
    conn_free(c);
}

void srv_conn_close(srv_conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    srv_loop_t *l = c->loop;
    def_drop_all(c);
    conn_unlink(c);
    atomic_fetch_sub(&l->srv->n_conns, 1);
    api_count_conn(l->srv->api, -1);
    uv_close((uv_handle_t *)&c->tcp, on_close);
    uv_close((uv_handle_t *)&c->timer, on_close);
}

/* Syncer thread: queue the connection for its loop. */
static void on_released(void *arg, int status)
{
    srv_conn_t *c = arg;
    srv_loop_t *l = c->loop;
    pthread_mutex_lock(&l->lock);
    c->release_status = status;
    c->next_released = l->released;
    l->released = c;
    pthread_mutex_unlock(&l->lock);
    uv_async_send(&l->wake);
}

/* Worker thread: execute the request, then post the connection back to its loop. The
 * connection cannot be freed meanwhile (it is held: see on_close). */
static void work_run(srv_job_t *job)
{
    srv_conn_t *c = (srv_conn_t *)((char *)job - offsetof(srv_conn_t, job));
    srv_loop_t *l = c->loop;
    api_handle(l->srv->api, &c->req, &c->resp);
    pthread_mutex_lock(&l->lock);
    c->next_released = l->released;
    l->released = c;
    pthread_mutex_unlock(&l->lock);
    uv_async_send(&l->wake);
}

void srv_conn_release_pending(srv_loop_t *l)
{
    pthread_mutex_lock(&l->lock);
    srv_conn_t *list = l->released;
    l->released = NULL;
    pthread_mutex_unlock(&l->lock);
    /* The list is LIFO; order across connections does not matter. */
    while (list) {
        srv_conn_t *c = list;
        list = c->next_released;
        c->held = false;
        bool worked = c->offloaded;
        if (worked) {
            c->offloaded = false;
            l->n_jobs--;
        }
        if (c->freed_wait) {
            conn_free(c);
            continue;
        }
        if (c->closing) {
            if (worked)
                srv_loop_conn_gone(l); /* the loop may have waited for this job */
            continue;
        }
        if (worked && api_resp_hold(l->srv->api, &c->resp, on_released, c)) {
            c->held = true; /* now waiting for a durable sync, as after an inline api_handle */
            continue;
        }
        if (!worked && c->release_status < 0) {
            KV_LOG_ERROR("wal sync failed; dropping connection %s", c->peer);
            srv_conn_close(c);
            continue;
        }
        send_response(c);
        timer_set(c, l->srv->cfg->idle_timeout_ms);
        if (c->close_after || c->closing || c->stream)
            continue;
        resume_parsing(c);
    }
}

/* After a held or streamed response: parse what arrived meanwhile, then read again. */
static void resume_parsing(srv_conn_t *c)
{
    llhttp_resume(&c->parser);
    if (c->pending.len) {
        kv_buf_t tmp = c->pending;
        kv_buf_init(&c->pending, 64u << 20);
        feed(c, tmp.p, tmp.len);
        kv_buf_dispose(&tmp);
    }
    if (!c->closing && !c->held && !c->stream && c->pending.len == 0 && !c->close_after)
        read_start(c);
}

void srv_conn_shutdown_all(srv_loop_t *l, bool force)
{
    srv_conn_t *c = l->conns;
    while (c) {
        srv_conn_t *next = c->next;
        if (force || (c->phase == SRV_IDLE && c->writes_pending == 0 && !c->held))
            srv_conn_close(c);
        else
            c->close_after = true;
        c = next;
    }
}
