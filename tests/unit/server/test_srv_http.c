/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP glue (server/): an in-process stratusd on loopback, driven with raw
 * bytes: keep-alive and pipelining order, chunked bodies, Expect:
 * 100-continue, limits answered before allocation, HTTP/1.0, malformed input,
 * and the response headers every reply carries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_buf.h"
#include "cli.h"
#include "srv_harness.h"

static int count(const kv_buf_t *b, const char *needle)
{
    int n = 0;
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= b->len; i++)
        if (memcmp(b->p + i, needle, nl) == 0)
            n++;
    return n;
}

static void exchange(const char *req, kv_buf_t *out)
{
    kv_buf_reset(out);
    assert_int_equal(srv_harness_exchange(req, strlen(req), out, 3000), 0);
    kv_buf_append_byte(out, 0);
    out->len--;
}

static void test_keepalive_pipelining(void **state)
{
    (void)state;
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
             "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
             "Content-Length: 2\r\n\r\n{}"
             "GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
             &out);
    assert_int_equal(count(&out, "HTTP/1.1 "), 4);
    const char *p = (const char *)out.p;
    const char *a = strstr(p, "\"status\":\"ok\"");
    const char *b = strstr(p, "stratus_requests_total");
    const char *c = strstr(p, "MissingAuthenticationTokenException");
    const char *d = a ? strstr(a + 1, "\"status\":\"ok\"") : NULL;
    assert_true(a && b && c && d && a < b && b < c && c < d);
    /* Every response carries Date, Server and Content-Length. */
    assert_int_equal(count(&out, "\r\nDate: "), 4);
    assert_int_equal(count(&out, "\r\nServer: Stratus/"), 4);
    assert_int_equal(count(&out, "\r\nContent-Length: "), 4);
    assert_int_equal(count(&out, "x-amzn-RequestId: "), 1);
    assert_int_equal(count(&out, "x-amz-crc32: "), 1);
    kv_buf_dispose(&out);
}

static void test_chunked_and_expect(void **state)
{
    (void)state;
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    exchange("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
             "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n1\r\n}\r\n0\r\n\r\n"
             "GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
             &out);
    assert_int_equal(count(&out, "HTTP/1.1 400"), 1);
    assert_int_equal(count(&out, "HTTP/1.1 200"), 1);
    /* A signed request with Expect gets 100 Continue before its final answer. */
    char hp[64];
    snprintf(hp, sizeof(hp), "127.0.0.1:%d", srv_harness_port());
    cli_creds_t cr = {"test", "test", "us-east-1"};
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = "PUT";
    r.path = "/expect-unit";
    r.host = hp;
    r.service = "s3";
    r.body = KV_SLICE_LIT("<CreateBucketConfiguration/>");
    cli_req_header(&r, "Expect", "100-continue");
    kv_buf_t req;
    kv_buf_init(&req, 1 << 20);
    assert_int_equal(cli_build(&cr, &r, &req), 0);
    kv_buf_append_byte(&req, 0);
    exchange((char *)req.p, &out);
    assert_true(strncmp((char *)out.p, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", 37) == 0);
    assert_int_equal(count(&out, "x-amz-request-id: "), 1);
    assert_int_equal(count(&out, "x-amz-id-2: "), 1);
    kv_buf_dispose(&req);
    kv_buf_dispose(&out);
}

static void test_limits(void **state)
{
    (void)state;
    kv_buf_t out, big;
    kv_buf_init(&out, 1 << 20);
    kv_buf_init(&big, 1 << 20);
    kv_buf_append_str(&big, "GET /health HTTP/1.1\r\nHost: x\r\nX-Long: ");
    for (int i = 0; i < 40000; i++)
        kv_buf_append_byte(&big, 'a');
    kv_buf_append_str(&big, "\r\n\r\n");
    kv_buf_append_byte(&big, 0);
    exchange((char *)big.p, &out);
    assert_true(strncmp((char *)out.p, "HTTP/1.1 431", 12) == 0);
    assert_non_null(strstr((char *)out.p, "Connection: close"));
    kv_buf_reset(&big);
    kv_buf_append_str(&big, "GET /health HTTP/1.1\r\n");
    for (int i = 0; i < 200; i++)
        kv_buf_printf(&big, "H%d: v\r\n", i);
    kv_buf_append_str(&big, "\r\n");
    kv_buf_append_byte(&big, 0);
    exchange((char *)big.p, &out);
    assert_true(strncmp((char *)out.p, "HTTP/1.1 431", 12) == 0);
    /* A body larger than DynamoDB's 16 MB limit is refused from Content-Length alone. */
    exchange("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
             "Authorization: AWS4-HMAC-SHA256 Credential=test/20990101/us-east-1/dynamodb/"
             "aws4_request, SignedHeaders=host, Signature="
             "0000000000000000000000000000000000000000000000000000000000000000\r\n"
             "Content-Length: 99999999\r\n\r\n",
             &out);
    assert_true(strncmp((char *)out.p, "HTTP/1.1 4", 10) == 0);
    exchange("BREW /pot HTCPCP/1.0\r\n\r\n", &out);
    assert_true(strncmp((char *)out.p, "HTTP/1.1 400", 12) == 0);
    exchange("GET /health HTTP/1.0\r\n\r\n", &out);
    assert_true(strncmp((char *)out.p, "HTTP/1.1 200", 12) == 0);
    assert_non_null(strstr((char *)out.p, "Connection: close"));
    kv_buf_dispose(&big);
    kv_buf_dispose(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalive_pipelining),
        cmocka_unit_test(test_chunked_and_expect),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests_name("srv_http", tests, NULL, NULL);
}
