/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Slow operations off the loop thread (server/srv_work.c and its use in
 * srv_conn.c), against a fake api layer defined here: GET /slow is flagged
 * slow (api_offload) and its api_handle waits for the test to open a gate.
 * With one loop thread, a request on another connection is answered while
 * the slow one still runs; pipelined requests after a slow one answer in
 * order (also when the slow one is then held for a durable sync); a client
 * that leaves during a slow request neither crashes nor leaks its
 * connection; a graceful stop waits for the running job.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/kv_alloc.h"
#include "base/kv_time.h"
#include "fake_api.h"
#include "srv_int.h"

/* ---- the gate a slow request waits at (bounded: it opens by itself after 5 s) ---- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static atomic_int slow_running;      /* slow handlers inside api_handle now */
static atomic_int slow_finished;     /* slow handlers that have returned */
static atomic_int hold_wrong_thread; /* api_resp_hold called off the loop thread */
static pthread_t loop_thread;        /* the thread that ran a fast api_handle */
static atomic_bool loop_thread_known;
static atomic_int slow_on_loop; /* slow handlers that ran on the loop thread */

static void gate_set(bool open)
{
    pthread_mutex_lock(&gate_lock);
    gate_open = open;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

static void gate_wait(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&gate_lock);
    while (!gate_open)
        if (pthread_cond_timedwait(&gate_cond, &gate_lock, &until) != 0)
            break;
    pthread_mutex_unlock(&gate_lock);
}

/* ---- a fake api layer ---- */

int api_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint64_t *limit)
{
    (void)ctx, (void)req, (void)resp;
    *limit = 1 << 20;
    return API_CONTINUE;
}

bool api_offload(const api_req_t *req)
{
    return kv_slice_starts_with(req->path, "/slow");
}

/* /slow?id=N[&hold]: waits at the gate, answers "slow-N" (held for a "sync" with hold);
 * anything else answers "fast" at once. */
void api_handle(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    if (!kv_slice_starts_with(req->path, "/slow")) {
        if (!atomic_load(&loop_thread_known)) {
            loop_thread = pthread_self();
            atomic_store(&loop_thread_known, true);
        }
        if (kv_slice_starts_with(req->query, "write=")) {
            /* A write into the WAL buffer: its answer names it. */
            atomic_store(&fake_api_wal_pending, 1);
            kv_buf_append(&resp->body, req->query.p + 6, req->query.len - 6);
            return;
        }
        kv_buf_append_str(&resp->body, "fast");
        return;
    }
    if (atomic_load(&loop_thread_known) && pthread_equal(pthread_self(), loop_thread))
        atomic_fetch_add(&slow_on_loop, 1);
    atomic_fetch_add(&slow_running, 1);
    gate_wait();
    /* Work in the request's arena, as a real execute stage does. */
    char *id = kv_arena_strndup(req->arena, (const char *)req->query.p, req->query.len);
    char *amp = strchr(id, '&');
    if (amp) {
        *amp = 0;
        resp->durable = strcmp(amp + 1, "hold") == 0;
    }
    kv_buf_printf(&resp->body, "slow-%s", id + 3);
    atomic_fetch_sub(&slow_running, 1);
    atomic_fetch_add(&slow_finished, 1);
}

typedef struct hold_arg {
    api_released_cb cb;
    void *arg;
} hold_arg_t;

static void *hold_main(void *p)
{
    hold_arg_t h = *(hold_arg_t *)p;
    kv_free(p);
    usleep(30 * 1000);
    h.cb(h.arg, 0);
    return NULL;
}

/* A "durable sync" for a response marked durable: released 30 ms later from another thread. */
bool api_resp_hold(api_ctx_t *ctx, api_resp_t *resp, api_released_cb cb, void *arg)
{
    (void)ctx;
    if (atomic_load(&loop_thread_known) && !pthread_equal(pthread_self(), loop_thread))
        atomic_fetch_add(&hold_wrong_thread, 1);
    if (!resp->durable)
        return false;
    hold_arg_t *h = kv_calloc(1, sizeof(*h));
    h->cb = cb;
    h->arg = arg;
    pthread_t t;
    if (pthread_create(&t, NULL, hold_main, h) != 0)
        abort();
    pthread_detach(t);
    return true;
}

/* ---- the server: one loop thread ---- */

static srv_t srv;
static srv_config_t cfg;
static bool stopped;

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    char *argv[] = {"stratusd", "--listen",  "127.0.0.1:0", "--threads",
                    "1",        "--workers", "2",           NULL};
    if (srv_config_parse(7, argv, &cfg) != 0)
        return -1;
    srv.cfg = &cfg;
    return srv_start(&srv);
}

static int teardown(void **state)
{
    (void)state;
    if (!stopped)
        srv_stop(&srv);
    return 0;
}

static void send_all(int fd, const char *s)
{
    assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Read one response within ms; its body goes to body (NUL-terminated). @return 0, or -1 if
 * none came in time (or the connection closed first). */
static int read_resp(int fd, int ms, char *body, size_t cap)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char head[4096];
    size_t n = 0;
    while (n < sizeof(head) - 1) {
        if (recv(fd, head + n, 1, 0) != 1)
            return -1;
        n++;
        if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    head[n] = 0;
    assert_true(strncmp(head, "HTTP/1.1 200", 12) == 0);
    char *cl = strstr(head, "Content-Length: ");
    assert_non_null(cl);
    size_t len = strtoul(cl + 16, NULL, 10);
    assert_true(len < cap);
    size_t got = 0;
    while (got < len) {
        ssize_t r = recv(fd, body + got, len - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    body[len] = 0;
    return 0;
}

/* Wait (bounded) until *v == want. */
static bool wait_for(atomic_int *v, int want, int ms)
{
    for (int i = 0; i < ms / 5 && atomic_load(v) != want; i++)
        usleep(5000);
    return atomic_load(v) == want;
}

static void learn_loop_thread(void)
{
    int fd = fake_api_connect(srv.port, 3);
    char body[64];
    send_all(fd, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(read_resp(fd, 2000, body, sizeof(body)), 0);
    assert_string_equal(body, "fast");
    close(fd);
    assert_true(atomic_load(&loop_thread_known));
}

static void test_other_connection_answered(void **state)
{
    (void)state;
    learn_loop_thread();
    gate_set(false);
    int a = fake_api_connect(srv.port, 3), b = fake_api_connect(srv.port, 3);
    send_all(a, "GET /slow?id=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(wait_for(&slow_running, 1, 2000));
    /* The only loop thread is free: another connection's request is answered at once, while
     * the slow one is still running (inline, it would wait for the gate). */
    char body[64];
    uint64_t t0 = kv_now_mono_ns();
    for (int i = 0; i < 5; i++) {
        send_all(b, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_int_equal(read_resp(b, 1000, body, sizeof(body)), 0);
        assert_string_equal(body, "fast");
    }
    assert_true(kv_now_mono_ns() - t0 < 3000000000ull); /* the gate opens by itself at 5 s */
    assert_int_equal(atomic_load(&slow_running), 1);
    assert_int_equal(atomic_load(&slow_on_loop), 0);
    gate_set(true);
    assert_int_equal(read_resp(a, 3000, body, sizeof(body)), 0);
    assert_string_equal(body, "slow-1");
    /* Keep-alive goes on after the slow response. */
    send_all(a, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(read_resp(a, 1000, body, sizeof(body)), 0);
    assert_string_equal(body, "fast");
    close(a);
    close(b);
}

static void test_pipelined_in_order(void **state)
{
    (void)state;
    gate_set(false);
    int fd = fake_api_connect(srv.port, 3);
    /* Sent at once; the slow ones wait at the gate while the rest arrives. */
    send_all(fd, "GET /slow?id=2 HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /slow?id=3&hold HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /slow?id=4 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(wait_for(&slow_running, 1, 2000));
    usleep(100 * 1000);
    /* Nothing after the slow request has been handled or answered. */
    assert_int_equal(atomic_load(&slow_running), 1);
    char body[64];
    assert_int_equal(read_resp(fd, 100, body, sizeof(body)), -1);
    gate_set(true);
    static const char *const want[] = {"slow-2", "fast", "slow-3", "fast", "slow-4"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(read_resp(fd, 3000, body, sizeof(body)), 0);
        assert_string_equal(body, want[i]);
    }
    assert_int_equal(atomic_load(&hold_wrong_thread), 0);
    close(fd);
}

static void test_client_leaves_during_slow(void **state)
{
    (void)state;
    gate_set(false);
    assert_true(wait_for(&fake_api_conns, 0, 2000));
    int base = atomic_load(&slow_finished);
    int fd = fake_api_connect(srv.port, 3);
    send_all(fd, "GET /slow?id=5 HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(wait_for(&slow_running, 1, 2000));
    close(fd);
    usleep(50 * 1000);
    gate_set(true);
    /* The work finishes, then the connection goes (its answer has nowhere to go). */
    assert_true(wait_for(&slow_finished, base + 1, 3000));
    assert_true(wait_for(&fake_api_conns, 0, 3000));
    /* And the loop serves on. */
    int b = fake_api_connect(srv.port, 3);
    char body[64];
    send_all(b, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(read_resp(b, 1000, body, sizeof(body)), 0);
    close(b);
}

static void *stop_main(void *arg)
{
    (void)arg;
    srv_stop(&srv);
    return NULL;
}

static void test_stop_waits_for_job(void **state)
{
    (void)state;
    gate_set(false);
    int fd = fake_api_connect(srv.port, 3);
    send_all(fd, "GET /slow?id=6 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(wait_for(&slow_running, 1, 2000));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stop_main, NULL), 0);
    stopped = true;
    usleep(100 * 1000);
    gate_set(true);
    /* The running request is answered (and the connection closed) before the loop ends. */
    char body[64];
    assert_int_equal(read_resp(fd, 3000, body, sizeof(body)), 0);
    assert_string_equal(body, "slow-6");
    pthread_join(t, NULL);
    close(fd);
}

/* Answers that may name a write wait for the loop turn's WAL flush: pipelined writes share
 * one flush and leave in order, with the plain answers between them; a connection with an
 * answer waiting keeps its order even if the buffer was flushed meanwhile. */
static void test_answers_after_wal_flush(void **state)
{
    (void)state;
    int fd = fake_api_connect(srv.port, 3);
    int base = atomic_load(&fake_api_wal_flushes);
    send_all(fd, "GET /fast?write=a HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /fast?write=b HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /fast?write=c HTTP/1.1\r\nHost: x\r\n\r\n");
    static const char *const want[] = {"a", "fast", "b", "c"};
    char body[64];
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(read_resp(fd, 2000, body, sizeof(body)), 0);
        assert_string_equal(body, want[i]);
    }
    int flushes = atomic_load(&fake_api_wal_flushes) - base;
    assert_true(flushes >= 1 && flushes <= 3); /* one per loop turn, not one per write */
    assert_int_equal(atomic_load(&fake_api_wal_pending), 0);
    /* Nothing pending: a plain answer goes at once, without a flush. */
    base = atomic_load(&fake_api_wal_flushes);
    send_all(fd, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(read_resp(fd, 2000, body, sizeof(body)), 0);
    assert_int_equal(atomic_load(&fake_api_wal_flushes), base);
    close(fd);
}

/* A WAL write that fails: the answers that waited for it never leave (the client must not
 * take the write as done); the connection closes and the loop serves on. */
static void test_failed_wal_flush_drops_answers(void **state)
{
    (void)state;
    int fd = fake_api_connect(srv.port, 3);
    atomic_store(&fake_api_wal_fail, 1);
    send_all(fd, "GET /fast?write=lost HTTP/1.1\r\nHost: x\r\n\r\n");
    char body[64];
    assert_int_equal(read_resp(fd, 1000, body, sizeof(body)), -1);
    atomic_store(&fake_api_wal_fail, 0);
    atomic_store(&fake_api_wal_pending, 0);
    close(fd);
    int b = fake_api_connect(srv.port, 3);
    send_all(b, "GET /fast?write=kept HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(read_resp(b, 2000, body, sizeof(body)), 0);
    assert_string_equal(body, "kept");
    close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_other_connection_answered),
        cmocka_unit_test(test_pipelined_in_order),
        cmocka_unit_test(test_client_leaves_during_slow),
        cmocka_unit_test(test_answers_after_wal_flush),
        cmocka_unit_test(test_failed_wal_flush_drops_answers),
        cmocka_unit_test(test_stop_waits_for_job),
    };
    return cmocka_run_group_tests_name("srv_work", tests, setup, teardown);
}
