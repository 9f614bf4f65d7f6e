/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Response bodies pulled from a source (api_body_src_t): the server's part,
 * tested against a fake api layer (this file defines the api_* functions the
 * server calls) so it needs no operation that streams yet. A 256 MiB body is
 * sent in bounded memory (the source may run ahead of the client only by the
 * socket buffers and one chunk), pipelined requests wait their turn, and a
 * client that goes away mid-body closes the source.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "base/kv_alloc.h"
#include "fake_api.h"
#include "srv_int.h"

/* ---- a fake api layer: GET /stream?n=N answers N pattern bytes from a source ---- */

static atomic_ullong produced;
static atomic_int sources_open;
static atomic_int max_cap;

typedef struct fake_src {
    uint64_t left, pos;
} fake_src_t;

static int64_t fake_read(void *arg, uint8_t *buf, size_t cap)
{
    fake_src_t *s = arg;
    if ((int)cap > atomic_load(&max_cap))
        atomic_store(&max_cap, (int)cap);
    size_t n = s->left < cap ? (size_t)s->left : cap;
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)((s->pos + i) % 251);
    s->pos += n;
    s->left -= n;
    atomic_fetch_add(&produced, n);
    return (int64_t)n;
}

static void fake_close(void *arg)
{
    kv_free(arg);
    atomic_fetch_sub(&sources_open, 1);
}

int api_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint64_t *limit)
{
    (void)ctx, (void)req, (void)resp;
    *limit = 1 << 20;
    return API_CONTINUE;
}

void api_handle(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    if (kv_slice_starts_with(req->query, "n=")) {
        fake_src_t *s = kv_calloc(1, sizeof(*s));
        s->left = strtoull((const char *)req->query.p + 2, NULL, 10);
        resp->src = (api_body_src_t){fake_read, fake_close, s, s->left};
        atomic_fetch_add(&sources_open, 1);
    } else {
        if (kv_slice_starts_with(req->query, "write"))
            atomic_store(&fake_api_wal_pending, 1); /* a write in the WAL buffer */
        kv_buf_append_str(&resp->body, "small");
    }
}

bool api_offload(const api_req_t *req)
{
    (void)req;
    return false;
}

bool api_resp_hold(api_ctx_t *ctx, api_resp_t *resp, api_released_cb cb, void *arg)
{
    (void)ctx, (void)resp, (void)cb, (void)arg;
    return false;
}

/* ---- the server ---- */

static srv_t srv;
static srv_config_t cfg;

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    char *argv[] = {"stratusd", "--listen", "127.0.0.1:0", "--threads", "1", NULL};
    if (srv_config_parse(5, argv, &cfg) != 0)
        return -1;
    srv.cfg = &cfg;
    return srv_start(&srv);
}

static int teardown(void **state)
{
    (void)state;
    srv_stop(&srv);
    return 0;
}

/* Read the head of one response; returns its Content-Length. */
static uint64_t read_head(int fd)
{
    char head[4096];
    size_t n = 0;
    while (n < sizeof(head) - 1) {
        ssize_t r = recv(fd, head + n, 1, 0);
        assert_true(r == 1);
        n++;
        if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    head[n] = 0;
    assert_true(strncmp(head, "HTTP/1.1 200", 12) == 0);
    char *cl = strstr(head, "Content-Length: ");
    assert_non_null(cl);
    return strtoull(cl + 16, NULL, 10);
}

static void read_body(int fd, uint64_t len, uint64_t *pos, bool pause)
{
    static uint8_t buf[65536];
    uint64_t got = 0;
    while (got < len) {
        size_t want = len - got < sizeof(buf) ? (size_t)(len - got) : sizeof(buf);
        ssize_t r = recv(fd, buf, want, 0);
        assert_true(r > 0);
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != (uint8_t)((*pos + (uint64_t)i) % 251))
                fail_msg("byte %llu differs", (unsigned long long)(*pos + (uint64_t)i));
        got += (uint64_t)r;
        *pos += (uint64_t)r;
        if (pause && got >= (8u << 20) && got < (8u << 20) + 65536) {
            /* A slow reader: the source must not run ahead by more than the buffers. */
            usleep(300 * 1000);
            uint64_t ahead = atomic_load(&produced) - got;
            if (ahead > (24u << 20))
                fail_msg("source ran %llu bytes ahead of the client", (unsigned long long)ahead);
        }
    }
}

static void test_large_body_bounded(void **state)
{
    (void)state;
    atomic_store(&produced, 0);
    int fd = fake_api_connect(srv.port, 0);
    const char *req = "GET /x?n=268435456 HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    uint64_t len = read_head(fd), pos = 0;
    assert_int_equal(len, 268435456ull);
    read_body(fd, len, &pos, true);
    assert_true(atomic_load(&max_cap) <= SRV_STREAM_CHUNK);
    close(fd);
    for (int i = 0; i < 100 && atomic_load(&sources_open); i++)
        usleep(10000);
    assert_int_equal(atomic_load(&sources_open), 0);
}

static void test_pipelined_after_stream(void **state)
{
    (void)state;
    int fd = fake_api_connect(srv.port, 0);
    const char *req = "GET /x?n=1000000 HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /small HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /x?n=7 HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    uint64_t pos = 0;
    uint64_t len = read_head(fd);
    assert_int_equal(len, 1000000);
    read_body(fd, len, &pos, false);
    assert_int_equal(read_head(fd), 5);
    char small[5];
    assert_int_equal(recv(fd, small, 5, MSG_WAITALL), 5);
    assert_memory_equal(small, "small", 5);
    pos = 0;
    assert_int_equal(read_head(fd), 7);
    read_body(fd, 7, &pos, false);
    close(fd);
}

/* An answer waiting for the loop turn's WAL write, then a streamed one on the same
 * connection: the WAL goes to the OS at once and the waiting answer leaves first. */
static void test_waiting_answer_before_stream(void **state)
{
    (void)state;
    int fd = fake_api_connect(srv.port, 0);
    const char *req = "GET /small?write HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /x?n=5000 HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    assert_int_equal(read_head(fd), 5);
    char small[5];
    assert_int_equal(recv(fd, small, 5, MSG_WAITALL), 5);
    assert_memory_equal(small, "small", 5);
    uint64_t pos = 0;
    assert_int_equal(read_head(fd), 5000);
    read_body(fd, 5000, &pos, false);
    assert_int_equal(atomic_load(&fake_api_wal_pending), 0);
    close(fd);
}

static void test_client_leaves_mid_body(void **state)
{
    (void)state;
    int fd = fake_api_connect(srv.port, 0);
    const char *req = "GET /x?n=1073741824 HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    read_head(fd);
    uint64_t pos = 0;
    read_body(fd, 1 << 20, &pos, false);
    close(fd);
    for (int i = 0; i < 300 && atomic_load(&sources_open); i++)
        usleep(10000);
    assert_int_equal(atomic_load(&sources_open), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_body_bounded),
        cmocka_unit_test(test_pipelined_after_stream),
        cmocka_unit_test(test_waiting_answer_before_stream),
        cmocka_unit_test(test_client_leaves_mid_body),
    };
    return cmocka_run_group_tests_name("srv_stream", tests, setup, teardown);
}
