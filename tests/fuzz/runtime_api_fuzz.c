/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda Runtime API as the function runner serves it: bytes a function instance sends
 * (any local process can reach its port) are fed, in the pieces the input chooses, to an
 * instance that has an invocation in flight. The runner's source is included so its
 * connection handling is driven directly, without processes; answers go to a socket pair and
 * are drained.
 */
#include "../../server/srv_fn.c"

static int done_calls;
static void on_done(api_invocation_t *inv)
{
    (void)inv;
    done_calls++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static srv_fn_t f;
    static int ready;
    if (!ready) {
        llhttp_settings_init(&f.settings);
        f.settings.on_url = on_url;
        f.settings.on_body = on_body;
        f.settings.on_message_complete = on_complete;
        f.waiting_tail = &f.waiting;
        f.incoming_tail = &f.incoming;
        signal(SIGPIPE, SIG_IGN);
        ready = 1;
    }
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        abort();
    fcntl(sp[1], F_SETFL, O_NONBLOCK);
    int big = 8 << 20;
    setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    /* An instance with an invocation in flight (request id "rid"), no process, no log file. */
    inst_t *in = kv_calloc(1, sizeof(*in));
    in->pid = -1;
    in->listen_fd = in->log_fd = in->logfile = -1;
    snprintf(in->fn, sizeof(in->fn), "fz");
    kv_buf_init(&in->partial, LOG_LINE_MAX);
    api_invocation_t inv = {.function = "fz",
                            .arn = "arn:aws:lambda:us-east-1:0:function:fz",
                            .request_id = "rid",
                            .timeout_s = 3,
                            .done = on_done};
    kv_buf_init(&inv.result, 6u << 20);
    kv_buf_init(&inv.log, 4096);
    in->cur = &inv;
    rt_conn_t *c = kv_calloc(1, sizeof(*c));
    c->fd = sp[0];
    kv_buf_init(&c->url, RT_URL_MAX);
    kv_buf_init(&c->body, RT_BODY_MAX);
    kv_buf_init(&c->hdr, 256);
    c->settings = &f.settings;
    conn_reset(c);
    in->conns = c;
    /* The first byte sets the piece size. */
    size_t piece = size ? (size_t)data[0] % 64 + 1 : 1;
    const uint8_t *p = size ? data + 1 : data;
    size_t left = size ? size - 1 : 0;
    char sink[65536];
    while (left && in->conns) {
        size_t k = left < piece ? left : piece;
        conn_feed(&f, in, in->conns, (const char *)p, k);
        p += k;
        left -= k;
        while (read(sp[1], sink, sizeof(sink)) > 0)
            ;
        if (in->waiting_next && in->cur == NULL) /* a GET next after the answer: give it one */
            deliver(in, in->waiting_next, &inv);
    }
    while (in->conns)
        conn_close(in, in->conns);
    kv_buf_dispose(&in->partial);
    kv_free(in);
    kv_buf_dispose(&inv.result);
    kv_buf_dispose(&inv.log);
    close(sp[1]);
    return 0;
}
