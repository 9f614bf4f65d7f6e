/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stratus-bench: a libuv load generator in the spirit of redis-benchmark.
 * N keep-alive connections each send one request at a time; the request is
 * signed once with client/ (the server still verifies the signature on every
 * request), so the client spends a few microseconds per request and measures
 * the server, not itself. Bounded by duration and by request count.
 *
 *   stratus-bench --port P [--host H] [--connections N] [--duration S] [--requests N]
 *                 [--workload
 * listtables|headbucket|invoke|putitem|getitem|query|gsiquery|txn4|streamput| s3put|s3get|get|
 * sqssend|sqsrecvdel|sqslongpoll]
 *                 [--path /p] [--queue NAME] [--rounds N]
 *                 [--server-pid PID[,PID]]
 *                 [--label NAME] [--access-key K] [--secret-key S] [--region R]
 *                 [--expected-interval-us N]
 *
 * Prints one line: label, requests/s, latency percentiles, errors, and CPU per
 * request for the client (user and kernel time apart: the client's own work is
 * the user part; the kernel part is the socket calls any client pays) and,
 * with --server-pid, for the server from /proc.
 *
 * A connection waits for each answer before it sends again, so a server that
 * stalls is asked less and the stall hides in few samples (coordinated
 * omission). With --expected-interval-us N, each latency L also counts the
 * requests the connection would have sent meanwhile (L-N, L-2N, ... down to
 * N, as HdrHistogram does), and a request still unanswered when the run ends
 * counts with its age; the line then adds co_p99_us, co_p999_us and max_us.
 *
 * SQS (the AWS JSON 1.0 protocol, X-Amz-Target AmazonSQS.*), on the queue --queue (created if
 * needed, default bench-q):
 *  - sqssend: SendMessage of ~100-byte bodies, pre-signed;
 *  - sqsrecvdel: each connection loops ReceiveMessage (one message, no wait) then DeleteMessage
 *    with the receipt handle from that answer (signed when the answer arrives). requests counts
 *    both; the line adds pairs (receive+delete done) and empty_receives (answers without a
 *    message: the queue ran dry);
 *  - sqslongpoll: --rounds N (default 200, at most 120 s in all) rounds on two connections: A
 *    waits in ReceiveMessage (WaitTimeSeconds=20) on the empty queue; after 20 ms B sends a
 *    message; each round's figure is the time from B's answer arriving to A's answer arriving
 *    (negative when A's came first), from the kernel's receive stamps of the two answers
 *    (SO_TIMESTAMPNS; this process's own clock reads when the kernel gives none). Prints its
 *    own line of percentiles.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "base/kv_alloc.h"
#include "base/kv_time.h"
#include "cli.h"

#define MAX_CONNS    4096
#define MAX_SAMPLES  (20u * 1000 * 1000)
#define MAX_DURATION 600

typedef struct bconn {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    kv_buf_t in;
    uint64_t sent_ns;
    bool busy;
    struct bench *b;
    int phase;    /* sqsrecvdel: 0 the next request is a receive, 1 a delete */
    kv_buf_t own; /* sqsrecvdel: this connection's signed DeleteMessage */
} bconn_t;

#define POOL_MAX 4096 /* distinct pre-signed requests a workload cycles through */

typedef struct bench {
    uv_loop_t *loop;
    uv_timer_t timer;
    kv_buf_t req;   /* the single request, or unused when pool is set */
    kv_buf_t *pool; /* distinct requests (random keys), each signed once */
    size_t n_pool, next;
    bool head;
    uint64_t max_requests;
    uint64_t started, done, errors;
    uint32_t *lat_us;
    size_t n_lat;
    uint64_t co_interval_us; /* 0: no correction */
    uint32_t *co_us;         /* latencies with the coordinated-omission correction */
    size_t n_co;
    uint32_t max_us;
    bool stopping;
    int open;
    uint64_t t0, t1;
    bool recvdel;          /* the sqsrecvdel workload */
    const cli_creds_t *cr; /* to sign each DeleteMessage */
    const char *hostport;
    const char *queue_url; /* raw JSON string contents */
    uint64_t pairs, empty;
    uint64_t reconnects; /* answers with Connection: close (the next request reconnects) */
} bench_t;

static void send_one(bconn_t *c);
static void sqs_after(bconn_t *c, const cli_resp_t *r);

/* One latency, and with the correction the requests a stalled connection did not send. */
static void record(bench_t *b, uint64_t us)
{
    if (us > UINT32_MAX)
        us = UINT32_MAX;
    if (us > b->max_us)
        b->max_us = (uint32_t)us;
    if (b->n_lat < MAX_SAMPLES)
        b->lat_us[b->n_lat++] = (uint32_t)us;
    if (!b->co_interval_us)
        return;
    if (b->n_co < MAX_SAMPLES)
        b->co_us[b->n_co++] = (uint32_t)us;
    for (uint64_t v = us; v >= 2 * b->co_interval_us && b->n_co < MAX_SAMPLES;) {
        v -= b->co_interval_us;
        b->co_us[b->n_co++] = (uint32_t)v;
    }
}

static void on_close(uv_handle_t *h)
{
    bconn_t *c = h->data;
    c->b->open--;
}

static void stop_all(bench_t *b, bconn_t *conns, int n)
{
    if (b->stopping)
        return;
    b->stopping = true;
    b->t1 = kv_now_mono_ns();
    if (b->co_interval_us) /* unanswered requests count with their age so far */
        for (int i = 0; i < n; i++)
            if (conns[i].busy)
                record(b, (b->t1 - conns[i].sent_ns) / 1000);
    uv_timer_stop(&b->timer);
    uv_close((uv_handle_t *)&b->timer, NULL);
    for (int i = 0; i < n; i++)
        if (!uv_is_closing((uv_handle_t *)&conns[i].tcp))
            uv_close((uv_handle_t *)&conns[i].tcp, on_close);
}

static bconn_t *g_conns;
static int g_nconns;
static struct sockaddr_storage g_addr;
static void conn_open(bconn_t *c);

/* Does the response end its connection (Connection: close)? */
static bool resp_closes(const cli_resp_t *r)
{
    kv_slice_t v = cli_resp_header(r, "Connection");
    return v.len == 5 && strncasecmp((const char *)v.p, "close", 5) == 0;
}

/* A connection the server closed after an answer: open it again and go on (a client such as
 * an SDK does the same); while stopping, it just counts as closed. */
static void on_close_reconnect(uv_handle_t *h)
{
    bconn_t *c = h->data;
    if (c->b->stopping) {
        c->b->open--;
        return;
    }
    c->in.len = 0;
    conn_open(c);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    bconn_t *c = h->data;
    (void)hint;
    kv_buf_reserve(&c->in, 65536);
    *buf = uv_buf_init((char *)c->in.p + c->in.len, 65536);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    bconn_t *c = s->data;
    bench_t *b = c->b;
    (void)buf;
    if (n < 0) {
        b->errors++;
        if (!uv_is_closing((uv_handle_t *)s))
            uv_close((uv_handle_t *)s, on_close);
        if (b->open <= 1)
            stop_all(b, g_conns, g_nconns);
        return;
    }
    c->in.len += (size_t)n;
    for (;;) {
        cli_resp_t r;
        int rc = cli_resp_parse(kv_buf_slice(&c->in), b->head, &r);
        if (rc == 0)
            return;
        if (rc < 0) {
            b->errors++;
            stop_all(b, g_conns, g_nconns);
            return;
        }
        uint64_t now = kv_now_mono_ns();
        if (r.status >= 400)
            b->errors++;
        record(b, (now - c->sent_ns) / 1000);
        b->done++;
        if (b->recvdel)
            sqs_after(c, &r);
        bool closes = resp_closes(&r);
        memmove(c->in.p, c->in.p + r.consumed, c->in.len - r.consumed);
        c->in.len -= r.consumed;
        c->busy = false;
        if (b->stopping)
            return;
        if (b->done >= b->max_requests) {
            stop_all(b, g_conns, g_nconns);
            return;
        }
        if (closes) {
            b->reconnects++;
            uv_read_stop(s);
            uv_close((uv_handle_t *)s, on_close_reconnect);
            return;
        }
        send_one(c);
    }
}

static void on_written(uv_write_t *w, int status)
{
    bconn_t *c = w->data;
    if (status < 0)
        c->b->errors++;
}

static void send_one(bconn_t *c)
{
    bench_t *b = c->b;
    if (b->started >= b->max_requests || b->stopping)
        return;
    b->started++;
    c->busy = true;
    c->sent_ns = kv_now_mono_ns();
    const kv_buf_t *rq = b->recvdel && c->phase == 1 ? &c->own
                         : b->n_pool                 ? &b->pool[b->next++ % b->n_pool]
                                                     : &b->req;
    uv_buf_t buf = uv_buf_init((char *)rq->p, (unsigned)rq->len);
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &buf, 1, on_written) < 0)
        b->errors++;
}

static void on_connect(uv_connect_t *r, int status)
{
    bconn_t *c = r->data;
    if (c->b->stopping)
        return;
    if (status < 0) {
        fprintf(stderr, "stratus-bench: connect: %s\n", uv_strerror(status));
        c->b->errors++;
        stop_all(c->b, g_conns, g_nconns);
        return;
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    send_one(c);
}

/* Open (or open again) one connection; on_connect sends its first request. */
static void conn_open(bconn_t *c)
{
    uv_tcp_init(c->b->loop, &c->tcp);
    c->tcp.data = c;
    uv_tcp_nodelay(&c->tcp, 1);
    c->creq.data = c;
    uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&g_addr, on_connect);
}

static void on_timer(uv_timer_t *t)
{
    stop_all(t->data, g_conns, g_nconns);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* utime+stime of the given pids, in microseconds. */
static uint64_t proc_cpu_us(const char *pids)
{
    uint64_t total = 0;
    long hz = sysconf(_SC_CLK_TCK);
    char list[1024];
    snprintf(list, sizeof(list), "%s", pids);
    for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        char path[64], buf[4096];
        snprintf(path, sizeof(path), "/proc/%s/stat", p);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        char *q = strrchr(buf, ')');
        if (q == NULL)
            continue;
        unsigned long ut = 0, st = 0;
        /* Fields after ")": state(3) ... utime(14) stime(15). */
        if (sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
            total += (uint64_t)(ut + st) * 1000000u / (uint64_t)hz;
    }
    return total;
}

/* This process's user and system CPU time, in microseconds. */
static void self_cpu_us(uint64_t *user, uint64_t *sys)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec;
    *sys = (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

/* Build a signed DynamoDB request. */
static void ddb_req(const cli_creds_t *cr, const char *hostport, const char *op, const char *json,
                    kv_buf_t *out)
{
    char target[96];
    snprintf(target, sizeof(target), "DynamoDB_20120810.%s", op);
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/";
    r.host = hostport;
    r.service = "dynamodb";
    r.payload = CLI_PAYLOAD_NONE;
    r.body = kv_slice_str(json);
    cli_req_header(&r, "X-Amz-Target", target);
    cli_req_header(&r, "Content-Type", "application/x-amz-json-1.0");
    kv_buf_reset(out);
    if (cli_build(cr, &r, out) < 0)
        abort();
}

/* One blocking request for set-up; returns the status and the body in *raw. */
static int setup_call(const char *host, int port, const cli_creds_t *cr, const char *hostport,
                      const char *op, const char *json, kv_buf_t *raw)
{
    kv_buf_t req;
    kv_buf_init(&req, 1 << 20);
    ddb_req(cr, hostport, op, json, &req);
    int fd = cli_connect(host, port);
    cli_resp_t resp;
    int st = -1;
    if (fd >= 0 && cli_roundtrip(fd, kv_buf_slice(&req), false, raw, &resp) == 0)
        st = resp.status;
    if (fd >= 0)
        close(fd);
    kv_buf_dispose(&req);
    return st;
}

/* Create a table if needed and wait until it (and any index) is ACTIVE (bounded). */
static int setup_table_as(const char *host, int port, const cli_creds_t *cr, const char *hostport,
                          const char *name, const char *create)
{
    kv_buf_t raw;
    kv_buf_init(&raw, 64u << 20);
    setup_call(host, port, cr, hostport, "CreateTable", create, &raw);
    char describe[128];
    snprintf(describe, sizeof(describe), "{\"TableName\":\"%s\"}", name);
    int ok = -1;
    for (int i = 0; i < 200 && ok < 0; i++) {
        if (setup_call(host, port, cr, hostport, "DescribeTable", describe, &raw) == 200 &&
            memmem(raw.p, raw.len, "\"ACTIVE\"", 8) && !memmem(raw.p, raw.len, "CREATING", 8))
            ok = 0;
        else
            usleep(50 * 1000);
    }
    kv_buf_dispose(&raw);
    return ok;
}

/* The bench table: pk S, sk N. */
static int setup_table(const char *host, int port, const cli_creds_t *cr, const char *hostport)
{
    return setup_table_as(
        host, port, cr, hostport, "bench",
        "{\"TableName\":\"bench\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"
        "\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
        "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
        "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],"
        "\"BillingMode\":\"PAY_PER_REQUEST\"}");
}

/* The JSON of item i: ~100 bytes, keys spread over many partitions. */
static void item_json(char *out, size_t cap, const char *op, size_t i)
{
    if (strcmp(op, "PutItem") == 0)
        snprintf(out, cap,
                 "{\"TableName\":\"bench\",\"Item\":{\"pk\":{\"S\":\"user-%08zx\"},\"sk\":{\"N\":"
                 "\"%zu\"},\"name\":{\"S\":\"benchmark-item-%06zu\"},\"count\":{\"N\":\"%zu\"},"
                 "\"flag\":{\"BOOL\":true},\"pad\":{\"S\":\"0123456789abcdef0123\"}}}",
                 (i * 2654435761u) & 0xffffffffu, i, i, i * 7);
    else
        snprintf(out, cap,
                 "{\"TableName\":\"bench\",\"Key\":{\"pk\":{\"S\":\"user-%08zx\"},\"sk\":{\"N\":"
                 "\"%zu\"}}}",
                 (i * 2654435761u) & 0xffffffffu, i);
}

/* Build a signed SQS request (AWS JSON 1.0, as current SDKs send). */
static void sqs_req(const cli_creds_t *cr, const char *hostport, const char *op, const char *json,
                    kv_buf_t *out)
{
    char target[96];
    snprintf(target, sizeof(target), "AmazonSQS.%s", op);
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/";
    r.host = hostport;
    r.service = "sqs";
    r.payload = CLI_PAYLOAD_NONE;
    r.body = kv_slice_str(json);
    cli_req_header(&r, "X-Amz-Target", target);
    cli_req_header(&r, "Content-Type", "application/x-amz-json-1.0");
    kv_buf_reset(out);
    if (cli_build(cr, &r, out) < 0)
        abort();
}

/*
 * The contents of the first JSON string member "name" in s, still escaped (so they can be put
 * back into a JSON string as they are); an empty slice when there is none.
 */
static kv_slice_t json_str(kv_slice_t s, const char *name)
{
    char key[64];
    int k = snprintf(key, sizeof(key), "\"%s\"", name);
    const uint8_t *p = memmem(s.p, s.len, key, (size_t)k), *end = s.p + s.len;
    if (p == NULL)
        return KV_SLICE_NULL;
    p += k;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ':'))
        p++;
    if (p >= end || *p != '"')
        return KV_SLICE_NULL;
    const uint8_t *v = ++p;
    for (; p < end && *p != '"'; p++)
        if (*p == '\\')
            p++;
    if (p >= end)
        return KV_SLICE_NULL;
    return kv_slice(v, (size_t)(p - v));
}

/* CreateQueue name (idempotent) and copy its QueueUrl into url. @return 0 or -1. */
static int sqs_setup_queue(const char *host, int port, const cli_creds_t *cr, const char *hostport,
                           const char *name, char *url, size_t cap)
{
    char json[256];
    snprintf(json, sizeof(json), "{\"QueueName\":\"%s\"}", name);
    kv_buf_t req, raw;
    kv_buf_init(&req, 1 << 20);
    kv_buf_init(&raw, 1 << 20);
    sqs_req(cr, hostport, "CreateQueue", json, &req);
    int fd = cli_connect(host, port), rc = -1;
    cli_resp_t resp;
    if (fd >= 0 && cli_roundtrip(fd, kv_buf_slice(&req), false, &raw, &resp) == 0) {
        kv_slice_t u = json_str(resp.body, "QueueUrl");
        if (resp.status == 200 && u.len > 0 && u.len < cap) {
            memcpy(url, u.p, u.len);
            url[u.len] = 0;
            rc = 0;
        } else {
            fprintf(stderr, "stratus-bench: CreateQueue %s: %d %.*s\n", name, resp.status,
                    (int)resp.body.len, (const char *)resp.body.p);
        }
    }
    if (fd >= 0)
        close(fd);
    kv_buf_dispose(&req);
    kv_buf_dispose(&raw);
    return rc;
}

/* A DeleteMessage of the receipt handle h (still JSON-escaped), signed now, into out. */
static void sqs_delete_req(const cli_creds_t *cr, const char *hostport, const char *queue_url,
                           kv_slice_t h, kv_buf_t *out)
{
    char json[4096];
    snprintf(json, sizeof(json), "{\"QueueUrl\":\"%s\",\"ReceiptHandle\":\"%.*s\"}", queue_url,
             (int)h.len, (const char *)h.p);
    sqs_req(cr, hostport, "DeleteMessage", json, out);
}

/* sqsrecvdel: after a receive's answer, delete its message next (or receive again when the
 * answer had none); after a delete's answer, receive again. */
static void sqs_after(bconn_t *c, const cli_resp_t *r)
{
    bench_t *b = c->b;
    if (c->phase == 1) {
        c->phase = 0;
        b->pairs++;
        return;
    }
    kv_slice_t h = r->status == 200 ? json_str(r->body, "ReceiptHandle") : KV_SLICE_NULL;
    if (h.len == 0 || h.len > 2048) {
        b->empty++;
        return;
    }
    sqs_delete_req(b->cr, b->hostport, b->queue_url, h, &c->own);
    c->phase = 1;
}

/* Read from fd into buf until one response is complete or the deadline passes (blocking with
 * poll). @return 1 complete (*out filled), 0 deadline, -1 error. */
static int read_resp_until(int fd, kv_buf_t *buf, cli_resp_t *out, uint64_t deadline_ns)
{
    for (;;) {
        int rc = cli_resp_parse(kv_buf_slice(buf), false, out);
        if (rc != 0)
            return rc;
        uint64_t now = kv_now_mono_ns();
        if (now >= deadline_ns)
            return 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ms = (int)((deadline_ns - now + 999999) / 1000000);
        if (poll(&p, 1, ms) < 0)
            return -1;
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        if (!kv_buf_reserve(buf, 65536))
            return -1;
        ssize_t n = read(fd, buf->p + buf->len, 65536);
        if (n <= 0)
            return -1;
        buf->len += (size_t)n;
    }
}

/* Drop the first response (consumed bytes) from buf. */
static void buf_consume(kv_buf_t *buf, size_t n)
{
    memmove(buf->p, buf->p + n, buf->len - n);
    buf->len -= n;
}

/* cli_connect with TCP_NODELAY and the kernel's receive stamps (SO_TIMESTAMPNS). @return fd
 * or -1. */
static int connect_nodelay(const char *host, int port)
{
    int fd = cli_connect(host, port), one = 1;
    if (fd >= 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
    }
    return fd;
}

/*
 * read() that also gives the time (CLOCK_REALTIME, ns) the kernel received the data read (for
 * TCP, of the last segment read), or 0 when the kernel gave none: the order two answers
 * arrived in, whatever order one wake-up of this process reads them in.
 */
static ssize_t read_stamped(int fd, void *p, size_t n, uint64_t *rx_ns)
{
    struct iovec iov = {.iov_base = p, .iov_len = n};
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl)};
    ssize_t got = recvmsg(fd, &m, 0);
    *rx_ns = 0;
    for (struct cmsghdr *c = got > 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            *rx_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        }
    return got;
}

/* After response r read on *fd (from in, when given: its bytes are dropped): when the server
 * closes the connection after it, connect again. @return 0 or -1. */
static int reopen_if_closed(int *fd, const cli_resp_t *r, kv_buf_t *in, const char *host, int port)
{
    bool closes = resp_closes(r);
    if (in)
        buf_consume(in, r->consumed);
    if (!closes)
        return 0;
    close(*fd);
    if (in)
        in->len = 0;
    *fd = connect_nodelay(host, port);
    return *fd < 0 ? -1 : 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

#define LONGPOLL_MAX_ROUNDS 100000
#define LONGPOLL_BUDGET_NS  (120ull * 1000 * 1000 * 1000)
#define LONGPOLL_PARK_MS    20

/*
 * sqslongpoll: rounds of (A: ReceiveMessage WaitTimeSeconds=20 on the empty queue; 20 ms later
 * B: SendMessage); each round's figure is A's answer's arrival minus B's answer's arrival, both
 * read by one poll() loop of this process (so on one clock, each stamped when its response is
 * complete). The message is then deleted, so each round starts on an empty queue.
 */
static int sqs_longpoll(const char *host, int port, const cli_creds_t *cr, const char *hostport,
                        const char *queue_url, unsigned rounds, const char *label)
{
    if (rounds == 0 || rounds > LONGPOLL_MAX_ROUNDS)
        rounds = 200;
    int a = connect_nodelay(host, port), bfd = connect_nodelay(host, port);
    if (a < 0 || bfd < 0) {
        fprintf(stderr, "stratus-bench: connect failed\n");
        return 1;
    }
    kv_buf_t rq, sq, ina, inb, del, raw;
    kv_buf_init(&rq, 1 << 20);
    kv_buf_init(&sq, 1 << 20);
    kv_buf_init(&ina, 64u << 20);
    kv_buf_init(&inb, 64u << 20);
    kv_buf_init(&del, 1 << 20);
    kv_buf_init(&raw, 1 << 20);
    int64_t *lat = kv_calloc(rounds, sizeof(int64_t));
    unsigned n = 0, early = 0, errors = 0, first = 0, kstamps = 0;
    char json[2048];
    uint64_t start = kv_now_mono_ns();
    for (unsigned i = 0; i < rounds && kv_now_mono_ns() - start < LONGPOLL_BUDGET_NS; i++) {
        snprintf(json, sizeof(json),
                 "{\"QueueUrl\":\"%s\",\"MaxNumberOfMessages\":1,\"WaitTimeSeconds\":20}",
                 queue_url);
        sqs_req(cr, hostport, "ReceiveMessage", json, &rq);
        snprintf(json, sizeof(json),
                 "{\"QueueUrl\":\"%s\",\"MessageBody\":\"long-poll-round-%06u\"}", queue_url, i);
        sqs_req(cr, hostport, "SendMessage", json, &sq);
        if (write(a, rq.p, rq.len) != (ssize_t)rq.len) {
            errors++;
            break;
        }
        /* Give the receive time to reach the server and wait there: it must not answer. */
        cli_resp_t ra, rb;
        int rc = read_resp_until(a, &ina, &ra, kv_now_mono_ns() + LONGPOLL_PARK_MS * 1000000ull);
        if (rc != 0) {
            if (rc < 0 || ra.status != 200 || json_str(ra.body, "ReceiptHandle").len == 0) {
                fprintf(stderr,
                        "stratus-bench: the long poll answered before any send (status %d): "
                        "WaitTimeSeconds not honoured?\n",
                        rc < 0 ? -1 : ra.status);
                errors++;
                break;
            }
            /* a message left from before: delete it and run the round again */
            early++;
            sqs_delete_req(cr, hostport, queue_url, json_str(ra.body, "ReceiptHandle"), &del);
            if (reopen_if_closed(&a, &ra, &ina, host, port) < 0 ||
                cli_roundtrip(a, kv_buf_slice(&del), false, &raw, &ra) < 0 ||
                reopen_if_closed(&a, &ra, NULL, host, port) < 0)
                break;
            continue;
        }
        if (write(bfd, sq.p, sq.len) != (ssize_t)sq.len) {
            errors++;
            break;
        }
        uint64_t deadline = kv_now_mono_ns() + 25ull * 1000 * 1000 * 1000, ta = 0, tb = 0;
        uint64_t ka = 0, kb = 0; /* the kernel's receive stamps of each answer's last bytes */
        bool done_a = false, done_b = false;
        while ((!done_a || !done_b) && kv_now_mono_ns() < deadline) {
            struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = bfd, .events = POLLIN}};
            if (poll(p, 2, 100) < 0)
                break;
            /* B first: when both are ready in one wake-up, its answer is stamped first (the
             * user-space stamps; the kernel's give the real order) */
            for (int k = 1; k >= 0; k--) {
                bool *done = k ? &done_b : &done_a;
                if (*done || !(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                kv_buf_t *in = k ? &inb : &ina;
                if (!kv_buf_reserve(in, 65536))
                    goto out;
                uint64_t rx = 0;
                ssize_t got = read_stamped(p[k].fd, in->p + in->len, 65536, &rx);
                if (got <= 0)
                    goto out;
                in->len += (size_t)got;
                if (cli_resp_parse(kv_buf_slice(in), false, k ? &rb : &ra) == 1) {
                    *done = true;
                    *(k ? &tb : &ta) = kv_now_mono_ns();
                    *(k ? &kb : &ka) = rx;
                }
            }
        }
        if (!done_a || !done_b || ra.status != 200 || rb.status != 200) {
            fprintf(stderr, "stratus-bench: long-poll round %u: receive %s, send %s\n", i,
                    done_a ? "answered" : "unanswered", done_b ? "answered" : "unanswered");
            errors++;
            break;
        }
        kv_slice_t h = json_str(ra.body, "ReceiptHandle");
        if (h.len == 0) {
            fprintf(stderr, "stratus-bench: long-poll round %u: the receive answered empty\n", i);
            errors++;
            break;
        }
        if (ka && kb) {
            lat[n++] = (int64_t)(ka - kb);
            kstamps++;
        } else {
            lat[n++] = (int64_t)(ta - tb);
        }
        if (lat[n - 1] < 0)
            first++;
        sqs_delete_req(cr, hostport, queue_url, h, &del);
        if (reopen_if_closed(&bfd, &rb, &inb, host, port) < 0 ||
            reopen_if_closed(&a, &ra, &ina, host, port) < 0 ||
            cli_roundtrip(a, kv_buf_slice(&del), false, &raw, &ra) < 0 || ra.status != 200 ||
            reopen_if_closed(&a, &ra, NULL, host, port) < 0) {
            errors++;
            break;
        }
    }
out:
    qsort(lat, n, sizeof(int64_t), cmp_i64);
#define LPCT(p) (n ? (double)lat[(size_t)((double)(n - 1) * (p))] / 1000 : 0.0)
    printf("%s rounds=%u errors=%u early=%u receive_answered_first=%u kernel_stamps=%u "
           "p50_us=%.1f p90_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f\n",
           label ? label : "sqslongpoll", n, errors, early, first, kstamps, LPCT(0.5), LPCT(0.9),
           LPCT(0.99), n ? (double)lat[0] / 1000 : 0.0, n ? (double)lat[n - 1] / 1000 : 0.0);
    close(a);
    close(bfd);
    kv_free(lat);
    kv_buf_dispose(&rq);
    kv_buf_dispose(&sq);
    kv_buf_dispose(&ina);
    kv_buf_dispose(&inb);
    kv_buf_dispose(&del);
    kv_buf_dispose(&raw);
    return n == 0 || errors ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *workload = "listtables", *path = "/", *pids = NULL;
    const char *label = NULL, *queue = "bench-q";
    unsigned rounds = 200;
    int port = 0, nconn = 64;
    double duration = 10;
    uint64_t max_req = 100000000;
    uint64_t co_interval = 0;
    cli_creds_t cr = {"test", "test", "us-east-1"};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (!strcmp(o, "--host"))
            host = v;
        else if (!strcmp(o, "--port"))
            port = (int)strtol(v, NULL, 10);
        else if (!strcmp(o, "--connections"))
            nconn = (int)strtol(v, NULL, 10);
        else if (!strcmp(o, "--duration"))
            duration = atof(v);
        else if (!strcmp(o, "--requests"))
            max_req = strtoull(v, NULL, 10);
        else if (!strcmp(o, "--workload"))
            workload = v;
        else if (!strcmp(o, "--path"))
            path = v;
        else if (!strcmp(o, "--server-pid"))
            pids = v;
        else if (!strcmp(o, "--label"))
            label = v;
        else if (!strcmp(o, "--access-key"))
            cr.access_key = v;
        else if (!strcmp(o, "--secret-key"))
            cr.secret_key = v;
        else if (!strcmp(o, "--region"))
            cr.region = v;
        else if (!strcmp(o, "--queue"))
            queue = v;
        else if (!strcmp(o, "--rounds"))
            rounds = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(o, "--expected-interval-us"))
            co_interval = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "stratus-bench: unknown option %s\n", o);
            return 2;
        }
    }
    if (port <= 0 || nconn < 1 || nconn > MAX_CONNS || duration <= 0 || duration > MAX_DURATION ||
        max_req == 0) {
        fprintf(stderr, "stratus-bench: need --port, 1..%d connections, 0<duration<=%d\n",
                MAX_CONNS, MAX_DURATION);
        return 2;
    }
    char hostport[300];
    snprintf(hostport, sizeof(hostport), "%s:%d", host, port);
    bench_t b;
    memset(&b, 0, sizeof(b));
    kv_buf_init(&b.req, 1 << 20);
    b.max_requests = max_req;
    b.co_interval_us = co_interval;
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.host = hostport;
    if (!strcmp(workload, "listtables")) {
        r.method = "POST";
        r.path = "/";
        r.service = "dynamodb";
        r.payload = CLI_PAYLOAD_NONE;
        cli_req_header(&r, "X-Amz-Target", "DynamoDB_20120810.ListTables");
        cli_req_header(&r, "Content-Type", "application/x-amz-json-1.0");
        r.body = KV_SLICE_LIT("{}");
    } else if (!strcmp(workload, "invoke")) {
        /* Invoke (RequestResponse) of the function whose invocations path is --path. */
        r.method = "POST";
        r.path = path;
        r.service = "lambda";
        r.payload = CLI_PAYLOAD_SIGNED;
        cli_req_header(&r, "Content-Type", "application/json");
        r.body = KV_SLICE_LIT("{\"n\":1}");
    } else if (!strcmp(workload, "headbucket")) {
        r.method = "HEAD";
        r.path = path;
        r.service = "s3";
        r.payload = CLI_PAYLOAD_SIGNED;
        b.head = true;
    } else if (!strcmp(workload, "txn4")) {
        /* TransactWriteItems of 4 puts (of the same ~100-byte items PutItem writes). */
        if (setup_table(host, port, &cr, hostport) < 0) {
            fprintf(stderr, "stratus-bench: cannot create the bench table\n");
            return 1;
        }
        b.pool = kv_calloc(POOL_MAX, sizeof(kv_buf_t));
        b.n_pool = POOL_MAX;
        for (size_t i = 0; i < POOL_MAX; i++) {
            kv_buf_t body;
            kv_buf_init(&body, 1 << 16);
            kv_buf_append_str(&body, "{\"TransactItems\":[");
            for (size_t j = 0; j < 4; j++) {
                char json[512];
                item_json(json, sizeof(json), "PutItem", i * 4 + j);
                /* {"TableName":...,"Item":{...}} is exactly a Put action's body */
                kv_buf_printf(&body, "%s{\"Put\":%s}", j ? "," : "", json);
            }
            kv_buf_append_str(&body, "]}");
            kv_buf_append_byte(&body, 0);
            kv_buf_init(&b.pool[i], 1 << 16);
            ddb_req(&cr, hostport, "TransactWriteItems", (const char *)body.p, &b.pool[i]);
            kv_buf_dispose(&body);
        }
    } else if (!strcmp(workload, "streamput")) {
        /* PutItem of the same items into a table with a NEW_AND_OLD_IMAGES stream. */
        if (setup_table_as(
                host, port, &cr, hostport, "benchstream",
                "{\"TableName\":\"benchstream\",\"KeySchema\":[{\"AttributeName\":\"pk\","
                "\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
                "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
                "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],\"BillingMode\":"
                "\"PAY_PER_REQUEST\",\"StreamSpecification\":{\"StreamEnabled\":true,"
                "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}}") < 0) {
            fprintf(stderr, "stratus-bench: cannot create the stream bench table\n");
            return 1;
        }
        b.pool = kv_calloc(POOL_MAX, sizeof(kv_buf_t));
        b.n_pool = POOL_MAX;
        for (size_t i = 0; i < POOL_MAX; i++) {
            char json[512], *t;
            item_json(json, sizeof(json), "PutItem", i);
            /* the same item, into the streamed table */
            char body[600];
            t = strstr(json, "\"bench\"");
            snprintf(body, sizeof(body), "%.*s\"benchstream\"%s", (int)(t - json), json, t + 7);
            kv_buf_init(&b.pool[i], 1 << 16);
            ddb_req(&cr, hostport, "PutItem", body, &b.pool[i]);
        }
    } else if (!strcmp(workload, "gsiquery")) {
        /* 1000 items (pk S) in 10 groups on a GSI (grp S, ts N, ALL projected); a query reads
         * 10 items of one group. */
        if (setup_table_as(
                host, port, &cr, hostport, "benchgsi",
                "{\"TableName\":\"benchgsi\",\"KeySchema\":[{\"AttributeName\":\"pk\","
                "\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
                "\"AttributeType\":\"S\"},{\"AttributeName\":\"grp\",\"AttributeType\":\"S\"},"
                "{\"AttributeName\":\"ts\",\"AttributeType\":\"N\"}],\"GlobalSecondaryIndexes\":"
                "[{\"IndexName\":\"by_grp\",\"KeySchema\":[{\"AttributeName\":\"grp\","
                "\"KeyType\":\"HASH\"},{\"AttributeName\":\"ts\",\"KeyType\":\"RANGE\"}],"
                "\"Projection\":{\"ProjectionType\":\"ALL\"}}],\"BillingMode\":"
                "\"PAY_PER_REQUEST\"}") < 0) {
            fprintf(stderr, "stratus-bench: cannot create the GSI bench table\n");
            return 1;
        }
        kv_buf_t raw;
        kv_buf_init(&raw, 64u << 20);
        char json[512];
        for (size_t i = 0; i < 1000; i++) {
            snprintf(json, sizeof(json),
                     "{\"TableName\":\"benchgsi\",\"Item\":{\"pk\":{\"S\":\"item-%08zx\"},"
                     "\"grp\":{\"S\":\"group-%zu\"},\"ts\":{\"N\":\"%zu\"},\"v\":{\"S\":"
                     "\"value-%06zu\"}}}",
                     (i * 2654435761u) & 0xffffffffu, i % 10, i, i);
            setup_call(host, port, &cr, hostport, "PutItem", json, &raw);
        }
        kv_buf_dispose(&raw);
        b.pool = kv_calloc(10, sizeof(kv_buf_t));
        b.n_pool = 10;
        for (size_t g = 0; g < 10; g++) {
            snprintf(json, sizeof(json),
                     "{\"TableName\":\"benchgsi\",\"IndexName\":\"by_grp\","
                     "\"KeyConditionExpression\":\"grp = :g AND ts > :t\","
                     "\"ExpressionAttributeValues\":{\":g\":{\"S\":\"group-%zu\"},\":t\":{\"N\":"
                     "\"%zu\"}},\"Limit\":10}",
                     g, g * 50);
            kv_buf_init(&b.pool[g], 1 << 16);
            ddb_req(&cr, hostport, "Query", json, &b.pool[g]);
        }
    } else if (!strcmp(workload, "putitem") || !strcmp(workload, "getitem") ||
               !strcmp(workload, "query")) {
        if (setup_table(host, port, &cr, hostport) < 0) {
            fprintf(stderr, "stratus-bench: cannot create the bench table\n");
            return 1;
        }
        char json[512];
        kv_buf_t raw;
        kv_buf_init(&raw, 64u << 20);
        if (!strcmp(workload, "query")) {
            /* A partition of 100 sort keys; the query reads 10 of them. */
            for (size_t i = 0; i < 100; i++) {
                snprintf(json, sizeof(json),
                         "{\"TableName\":\"bench\",\"Item\":{\"pk\":{\"S\":\"query-partition\"},"
                         "\"sk\":{\"N\":\"%zu\"},\"v\":{\"S\":\"value-%zu\"}}}",
                         i, i);
                setup_call(host, port, &cr, hostport, "PutItem", json, &raw);
            }
            ddb_req(&cr, hostport, "Query",
                    "{\"TableName\":\"bench\",\"KeyConditionExpression\":\"pk = :p\","
                    "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"query-partition\"}},"
                    "\"Limit\":10}",
                    &b.req);
        } else {
            bool get = !strcmp(workload, "getitem");
            b.pool = kv_calloc(POOL_MAX, sizeof(kv_buf_t));
            b.n_pool = POOL_MAX;
            for (size_t i = 0; i < POOL_MAX; i++) {
                kv_buf_init(&b.pool[i], 1 << 16);
                item_json(json, sizeof(json), "PutItem", i);
                if (get) /* the keys a GetItem asks for exist */
                    setup_call(host, port, &cr, hostport, "PutItem", json, &raw);
                else
                    ddb_req(&cr, hostport, "PutItem", json, &b.pool[i]);
                if (get) {
                    item_json(json, sizeof(json), "GetItem", i);
                    ddb_req(&cr, hostport, "GetItem", json, &b.pool[i]);
                }
            }
        }
        kv_buf_dispose(&raw);
    } else if (!strcmp(workload, "s3put") || !strcmp(workload, "s3get")) {
        /* 4 KiB objects in /bench-bucket (created by run.sh), 4096 distinct keys. */
        bool get = !strcmp(workload, "s3get");
        static uint8_t body[4096];
        for (size_t i = 0; i < sizeof(body); i++)
            body[i] = (uint8_t)('a' + i % 26);
        b.pool = kv_calloc(POOL_MAX, sizeof(kv_buf_t));
        b.n_pool = POOL_MAX;
        kv_buf_t raw;
        kv_buf_init(&raw, 1 << 20);
        for (size_t i = 0; i < POOL_MAX; i++) {
            char key[64];
            snprintf(key, sizeof(key), "%s/obj-%05zu", path, i);
            cli_req_t o;
            memset(&o, 0, sizeof(o));
            o.host = hostport;
            o.service = "s3";
            o.path = key;
            o.method = "PUT";
            o.payload = CLI_PAYLOAD_SIGNED;
            o.body = kv_slice(body, sizeof(body));
            kv_buf_init(&b.pool[i], 8192);
            if (get) { /* the objects a GET asks for exist */
                kv_buf_t req;
                kv_buf_init(&req, 16384);
                cli_resp_t resp;
                int fd = cli_connect(host, port);
                if (fd < 0 || cli_build(&cr, &o, &req) < 0 ||
                    cli_roundtrip(fd, kv_buf_slice(&req), false, &raw, &resp) < 0 ||
                    resp.status != 200) {
                    fprintf(stderr, "stratus-bench: cannot put %s\n", key);
                    return 1;
                }
                close(fd);
                kv_buf_dispose(&req);
                o.method = "GET";
                o.body = KV_SLICE_NULL;
            }
            if (cli_build(&cr, &o, &b.pool[i]) < 0)
                return 2;
        }
        kv_buf_dispose(&raw);
    } else if (!strcmp(workload, "sqssend") || !strcmp(workload, "sqsrecvdel") ||
               !strcmp(workload, "sqslongpoll")) {
        static char url[1024];
        if (sqs_setup_queue(host, port, &cr, hostport, queue, url, sizeof(url)) < 0) {
            fprintf(stderr, "stratus-bench: cannot create the queue %s\n", queue);
            return 1;
        }
        if (!strcmp(workload, "sqslongpoll"))
            return sqs_longpoll(host, port, &cr, hostport, url, rounds, label);
        char json[2048];
        if (!strcmp(workload, "sqssend")) {
            /* ~100-byte bodies, distinct per request */
            b.pool = kv_calloc(POOL_MAX, sizeof(kv_buf_t));
            b.n_pool = POOL_MAX;
            for (size_t i = 0; i < POOL_MAX; i++) {
                snprintf(json, sizeof(json),
                         "{\"QueueUrl\":\"%s\",\"MessageBody\":\"{\\\"order\\\":%zu,"
                         "\\\"customer\\\":\\\"user-%08zx\\\",\\\"pad\\\":"
                         "\\\"0123456789abcdef0123456789abcdef0123456789\\\"}\"}",
                         url, i, (i * 2654435761u) & 0xffffffffu);
                kv_buf_init(&b.pool[i], 1 << 16);
                sqs_req(&cr, hostport, "SendMessage", json, &b.pool[i]);
            }
        } else {
            snprintf(json, sizeof(json),
                     "{\"QueueUrl\":\"%s\",\"MaxNumberOfMessages\":1,\"WaitTimeSeconds\":0}", url);
            sqs_req(&cr, hostport, "ReceiveMessage", json, &b.req);
            b.recvdel = true;
            b.cr = &cr;
            b.hostport = hostport;
            b.queue_url = url;
        }
    } else if (!strcmp(workload, "get")) {
        kv_buf_printf(&b.req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, hostport);
    } else {
        fprintf(stderr, "stratus-bench: unknown workload %s\n", workload);
        return 2;
    }
    if (b.req.len == 0 && b.n_pool == 0 && cli_build(&cr, &r, &b.req) < 0)
        return 2;
    b.lat_us = kv_calloc(MAX_SAMPLES, sizeof(uint32_t));
    if (b.co_interval_us)
        b.co_us = kv_calloc(MAX_SAMPLES, sizeof(uint32_t));
    b.loop = uv_default_loop();
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&g_addr) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&g_addr) != 0) {
        fprintf(stderr, "stratus-bench: --host must be a numeric loopback address\n");
        return 2;
    }
    g_conns = kv_calloc((size_t)nconn, sizeof(*g_conns));
    g_nconns = nconn;
    uint64_t scpu0 = pids ? proc_cpu_us(pids) : 0, cu0, cs0, cu1, cs1;
    self_cpu_us(&cu0, &cs0);
    b.t0 = kv_now_mono_ns();
    for (int i = 0; i < nconn; i++) {
        bconn_t *c = &g_conns[i];
        c->b = &b;
        kv_buf_init(&c->in, 64u << 20);
        kv_buf_init(&c->own, 1 << 16);
        b.open++;
        conn_open(c);
    }
    uv_timer_init(b.loop, &b.timer);
    b.timer.data = &b;
    uv_timer_start(&b.timer, on_timer, (uint64_t)(duration * 1000), 0);
    uv_run(b.loop, UV_RUN_DEFAULT);
    uint64_t scpu1 = pids ? proc_cpu_us(pids) : 0;
    self_cpu_us(&cu1, &cs1);
    double secs = (double)(b.t1 - b.t0) / 1e9;
    qsort(b.lat_us, b.n_lat, sizeof(uint32_t), cmp_u32);
#define PCT(p) (b.n_lat ? b.lat_us[(size_t)((double)(b.n_lat - 1) * (p))] : 0)
    printf("%s requests=%llu errors=%llu seconds=%.2f rps=%.0f p50_us=%u p90_us=%u p99_us=%u "
           "p999_us=%u client_user_us_per_req=%.2f client_sys_us_per_req=%.2f",
           label ? label : workload, (unsigned long long)b.done, (unsigned long long)b.errors, secs,
           b.done / secs, PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999),
           b.done ? (double)(cu1 - cu0) / (double)b.done : 0.0,
           b.done ? (double)(cs1 - cs0) / (double)b.done : 0.0);
    if (pids)
        printf(" server_cpu_us_per_req=%.2f",
               b.done ? (double)(scpu1 - scpu0) / (double)b.done : 0.0);
    if (b.reconnects)
        printf(" reconnects=%llu", (unsigned long long)b.reconnects);
    if (b.recvdel)
        printf(" pairs=%llu empty_receives=%llu", (unsigned long long)b.pairs,
               (unsigned long long)b.empty);
    if (b.co_interval_us) {
        qsort(b.co_us, b.n_co, sizeof(uint32_t), cmp_u32);
#define CO_PCT(p) (b.n_co ? b.co_us[(size_t)((double)(b.n_co - 1) * (p))] : 0)
        printf(" co_p99_us=%u co_p999_us=%u max_us=%u", CO_PCT(0.99), CO_PCT(0.999), b.max_us);
    }
    printf("\n");
    for (int i = 0; i < nconn; i++) {
        kv_buf_dispose(&g_conns[i].in);
        kv_buf_dispose(&g_conns[i].own);
    }
    kv_free(g_conns);
    kv_free(b.lat_us);
    kv_free(b.co_us);
    kv_buf_dispose(&b.req);
    for (size_t i = 0; i < b.n_pool; i++)
        kv_buf_dispose(&b.pool[i]);
    kv_free(b.pool);
    uv_loop_close(b.loop);
    return b.errors && b.done == 0 ? 1 : 0;
}
