/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda Runtime API as the function runner serves it: bytes a function instance sends
 * (any local process can reach its port) are fed, in the pieces the input chooses, to an
 * instance that has an invocation in flight. The runner's Runtime API (srv_fn_rapi.c) is
 * driven directly on a loop of the target's own, without processes; answers go to a socket
 * pair and are drained.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "srv_fn_int.h"

static int done_calls;
static void on_done(api_invocation_t *inv)
{
    (void)inv;
    done_calls++;
}

static void drain(uv_loop_t *loop, int fd)
{
    char sink[65536];
    for (int k = 0; k < 64; k++) { /* bounded: the answers to one piece */
        uv_run(loop, UV_RUN_NOWAIT);
        ssize_t n = read(fd, sink, sizeof(sink));
        if (n <= 0)
            break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static srv_fn_t f;
    static int ready;
    if (!ready) {
        uv_loop_init(&f.loop);
        uv_timer_init(&f.loop, &f.pass);
        f.pass.data = &f;
        pthread_mutex_init(&f.lock, NULL);
        srv_fn_rapi_settings(&f.settings);
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
    in->f = &f;
    in->pid = -1;
    in->listen_fd = in->pidfd = in->log.fd = -1;
    snprintf(in->fn, sizeof(in->fn), "fz");
    kv_buf_init(&in->partial, API_FNLOG_LINE_MAX);
    api_invocation_t inv = {.function = "fz",
                            .arn = "arn:aws:lambda:us-east-1:0:function:fz",
                            .request_id = "rid",
                            .timeout_s = 3,
                            .done = on_done};
    kv_buf_init(&inv.result, 6u << 20);
    kv_buf_init(&inv.log, 4096);
    in->cur = &inv;
    f.insts = in;
    rt_conn_t *c = kv_calloc(1, sizeof(*c));
    if (uv_pipe_init(&f.loop, &c->h.pipe, 0) < 0 || uv_pipe_open(&c->h.pipe, sp[0]) < 0)
        abort();
    srv_fn_rapi_adopt(in, c);
    /* The first byte sets the piece size. */
    size_t piece = size ? (size_t)data[0] % 64 + 1 : 1;
    const uint8_t *p = size ? data + 1 : data;
    size_t left = size ? size - 1 : 0;
    while (left && in->conns) {
        size_t k = left < piece ? left : piece;
        srv_fn_rapi_feed(in, in->conns, (const char *)p, k);
        p += k;
        left -= k;
        drain(&f.loop, sp[1]);
        if (in->waiting_next && in->cur == NULL) { /* a GET next after the answer: give it one */
            srv_fn_rapi_deliver(in, &inv);
            drain(&f.loop, sp[1]);
        }
    }
    while (in->conns)
        srv_fn_rapi_close(in->conns);
    f.insts = NULL;
    uv_run(&f.loop, UV_RUN_NOWAIT); /* close callbacks */
    uv_run(&f.loop, UV_RUN_NOWAIT);
    kv_buf_dispose(&in->partial);
    kv_free(in);
    kv_buf_dispose(&inv.result);
    kv_buf_dispose(&inv.log);
    close(sp[1]);
    return 0;
}
