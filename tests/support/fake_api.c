/* SPDX-License-Identifier: Apache-2.0 */
/* The fake api layer's shared parts (see fake_api.h). */
#include "fake_api.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cmocka.h>

atomic_int fake_api_conns;
atomic_int fake_api_wal_pending, fake_api_wal_flushes, fake_api_wal_fail;

void api_wal_defer_thread(void)
{
}

void api_sync_kick(api_ctx_t *ctx)
{
    (void)ctx;
}

bool api_wal_pending(api_ctx_t *ctx)
{
    (void)ctx;
    return atomic_load(&fake_api_wal_pending) != 0;
}

int api_wal_flush(api_ctx_t *ctx)
{
    (void)ctx;
    atomic_fetch_add(&fake_api_wal_flushes, 1);
    if (atomic_load(&fake_api_wal_fail))
        return -1;
    atomic_store(&fake_api_wal_pending, 0);
    return 0;
}

void api_resp_init(api_resp_t *resp, const api_req_t *req)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    kv_buf_init(&resp->body, 1 << 20);
    resp->_arena = req->arena;
}

void api_resp_dispose(api_resp_t *resp)
{
    kv_buf_dispose(&resp->body);
    if (resp->src.read)
        resp->src.close(resp->src.arg);
    resp->src.read = NULL;
}

int api_body(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const uint8_t *p, size_t n)
{
    (void)ctx, (void)req, (void)resp, (void)p, (void)n;
    return API_CONTINUE;
}

void api_done(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint64_t in, uint64_t out)
{
    (void)ctx, (void)req, (void)resp, (void)in, (void)out;
}

void api_resp_abandon(api_ctx_t *ctx, api_resp_t *resp)
{
    (void)ctx, (void)resp;
}

void api_count_http_error(api_ctx_t *ctx, int status)
{
    (void)ctx, (void)status;
}

void api_count_conn(api_ctx_t *ctx, int delta)
{
    (void)ctx;
    atomic_fetch_add(&fake_api_conns, delta);
}

void api_count_conn_limit(api_ctx_t *ctx, int64_t limit)
{
    (void)ctx, (void)limit;
}

void api_count_conn_shed(api_ctx_t *ctx, bool refused)
{
    (void)ctx, (void)refused;
}

int fake_api_connect(int port, int recv_timeout_s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    if (recv_timeout_s) {
        struct timeval tv = {recv_timeout_s, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    return fd;
}
