/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP glue (server/): an in-process stratusd on loopback, driven with raw
 * bytes: keep-alive and pipelining order, chunked bodies, Expect:
 * 100-continue, limits answered before allocation, HTTP/1.0, malformed input,
 * the response headers every reply carries, and slow operations run on the
 * worker pool answering in order.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/kv_buf.h"
#include "base/kv_time.h"
#include "cli.h"
#include "srv_harness.h"
#include "srv_int.h"

static int count(const kv_buf_t *b, const char *needle)
{
    int n = 0;
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= b->len; i++)
        if (memcmp(b->p + i, needle, nl) == 0)
            n++;
    return n;
}

static void exchange_within(const char *req, kv_buf_t *out, int quiet_ms)
{
    kv_buf_reset(out);
    assert_int_equal(srv_harness_exchange(req, strlen(req), out, quiet_ms), 0);
    kv_buf_append_byte(out, 0);
    out->len--;
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
    /* Answered before its chunked body was read: the body's end is unknown, so the
     * connection closes and the pipelined request is not read as one. */
    exchange("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
             "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n1\r\n}\r\n0\r\n\r\n"
             "GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
             &out);
    assert_int_equal(count(&out, "HTTP/1.1 400"), 1);
    assert_int_equal(count(&out, "HTTP/1.1 200"), 0);
    assert_non_null(strstr((char *)out.p, "Connection: close"));
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
    for (int i = 0; i < 300; i++)
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

/* A signed DynamoDB ListTables whose body "{}" is framed by the given chunked bytes,
 * followed by a pipelined GET /health. */
static void signed_chunked(const char *frames, kv_buf_t *req)
{
    char hp[64];
    snprintf(hp, sizeof(hp), "127.0.0.1:%d", srv_harness_port());
    cli_creds_t cr = {"test", "test", "us-east-1"};
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/";
    r.host = hp;
    r.service = "dynamodb";
    r.payload = CLI_PAYLOAD_NONE;
    r.body = KV_SLICE_LIT("{}");
    cli_req_header(&r, "X-Amz-Target", "DynamoDB_20120810.ListTables");
    cli_req_header(&r, "Content-Type", "application/x-amz-json-1.0");
    kv_buf_t plain;
    kv_buf_init(&plain, 1 << 20);
    assert_int_equal(cli_build(&cr, &r, &plain), 0);
    kv_buf_append_byte(&plain, 0);
    const char *p = (const char *)plain.p;
    const char *cl = strstr(p, "Content-Length: 2\r\n\r\n{}");
    assert_non_null(cl);
    kv_buf_reset(req);
    kv_buf_append(req, p, (size_t)(cl - p));
    kv_buf_append_str(req, "Transfer-Encoding: chunked\r\n\r\n");
    kv_buf_append_str(req, frames);
    kv_buf_append_str(req, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    kv_buf_append_byte(req, 0);
    kv_buf_dispose(&plain);
}

/* A refusal from the HTTP layer: one 400 that closes, and nothing after it is served. */
static void assert_refused(const kv_buf_t *out)
{
    assert_true(strncmp((const char *)out->p, "HTTP/1.1 400", 12) == 0);
    assert_non_null(strstr((const char *)out->p, "Connection: close"));
    assert_int_equal(count(out, "HTTP/1.1 "), 1);
}

/* Like exchange, with a pause between two parts so that the server reads them apart. */
static void exchange_split(const char *a, const char *b, kv_buf_t *out)
{
    kv_buf_reset(out);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)srv_harness_port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(send(fd, a, strlen(a), MSG_NOSIGNAL), (ssize_t)strlen(a));
    usleep(100 * 1000);
    send(fd, b, strlen(b), MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 3000) <= 0)
            break;
        char buf[4096];
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        if (r <= 0)
            break;
        kv_buf_append(out, buf, (size_t)r);
    }
    close(fd);
    kv_buf_append_byte(out, 0);
    out->len--;
}

static void test_strict_framing(void **state)
{
    (void)state;
    kv_buf_t out, req;
    kv_buf_init(&out, 1 << 20);
    kv_buf_init(&req, 1 << 20);
    /* The well-formed request and its pipelined successor are both served. */
    signed_chunked("2\r\n{}\r\n0\r\n\r\n", &req);
    exchange((char *)req.p, &out);
    assert_int_equal(count(&out, "HTTP/1.1 200"), 2);
    assert_non_null(strstr((char *)out.p, "TableNames"));
    /* Any two bytes where the CRLF after chunk data belongs. */
    signed_chunked("2\r\n{}XY0\r\n\r\n", &req);
    exchange((char *)req.p, &out);
    assert_refused(&out);
    signed_chunked("2\r\n{}\r\r0\r\n\r\n", &req);
    exchange((char *)req.p, &out);
    assert_refused(&out);
    /* A bare CR in the chunk-size line. */
    signed_chunked("2\rX{}\r\n0\r\n\r\n", &req);
    exchange((char *)req.p, &out);
    assert_refused(&out);
    /* Obsolete line folding, after a value and after an empty one. */
    exchange("GET /health HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\n\r\n", &out);
    assert_refused(&out);
    exchange("GET /health HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n\tb\r\n\r\n", &out);
    assert_refused(&out);
    exchange("GET /health HTTP/1.1\r\nHost: x\r\nX-Fold:\r\n b\r\n\r\n", &out);
    assert_refused(&out);
    exchange("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
             "0\r\n\r\n",
             &out);
    assert_refused(&out);
    /* Whitespace in a header name (what a proxy may read as a different header). */
    exchange("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n"
             "0\r\n\r\n",
             &out);
    assert_refused(&out);
    /* A request line without an HTTP version (HTTP/0.9). */
    exchange("GET /health\r\n\r\n", &out);
    assert_refused(&out);
    exchange("GET /health\r\nHost: x\r\n\r\n", &out);
    assert_refused(&out);
    exchange("GET /health HTTP/2.0\r\nHost: x\r\n\r\n", &out);
    assert_refused(&out);
    /* Folding split across reads is still folding, wherever the split falls. */
    static const char *const splits[][2] = {
        {"GET /health HTTP/1.1\r\nHost: x\r\nX-Fold: a", "\r\n b\r\n\r\n"},
        {"GET /health HTTP/1.1\r\nHost: x\r\nX-Fold: a\r", "\n b\r\n\r\n"},
        {"GET /health HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n", " b\r\n\r\n"},
        {"GET /health HTTP/1.1\r\nHost: x\r\nX-Fold:\r\n", " b\r\n\r\n"},
        {"GET /health HTTP/1.1\r\nHost: x\r\nX-Fold:\r\n ", " b\r\n\r\n"},
    };
    for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
        exchange_split(splits[i][0], splits[i][1], &out);
        assert_refused(&out);
    }
    /* A value split across reads is not folding. */
    exchange_split("GET /health HTTP/1.1\r\nHost: x\r\nX-Split: a", "b c\r\n\r\n", &out);
    assert_true(strncmp((char *)out.p, "HTTP/1.1 200", 12) == 0);
    exchange_split("GET /health HTTP/1.1\r\nHost: x\r\nX-Split:", " b\r\n\r\n", &out);
    assert_true(strncmp((char *)out.p, "HTTP/1.1 200", 12) == 0);
    kv_buf_dispose(&req);
    kv_buf_dispose(&out);
}

static void test_chunk_extensions(void **state)
{
    (void)state;
    kv_buf_t out, req, frames;
    kv_buf_init(&out, 1 << 20);
    kv_buf_init(&req, 1 << 20);
    kv_buf_init(&frames, 1 << 20);
    /* Short extensions are allowed (and ignored). */
    signed_chunked("2;flag;name=value\r\n{}\r\n0;x=\"q\"\r\n\r\n", &req);
    exchange((char *)req.p, &out);
    assert_int_equal(count(&out, "HTTP/1.1 200"), 2);
    /* A long one is refused, before the body is read. */
    kv_buf_append_str(&frames, "2;a=");
    for (int i = 0; i < 8192; i++)
        kv_buf_append_byte(&frames, 'v');
    kv_buf_append_str(&frames, "\r\n{}\r\n0\r\n\r\n");
    kv_buf_append_byte(&frames, 0);
    signed_chunked((char *)frames.p, &req);
    exchange((char *)req.p, &out);
    assert_refused(&out);
    /* So is a long name. */
    kv_buf_reset(&frames);
    kv_buf_append_str(&frames, "2;");
    for (int i = 0; i < 8192; i++)
        kv_buf_append_byte(&frames, 'n');
    kv_buf_append_str(&frames, "\r\n{}\r\n0\r\n\r\n");
    kv_buf_append_byte(&frames, 0);
    signed_chunked((char *)frames.p, &req);
    exchange((char *)req.p, &out);
    assert_refused(&out);
    kv_buf_dispose(&frames);
    kv_buf_dispose(&req);
    kv_buf_dispose(&out);
}

/* Send without half-closing; return the ms until the server closes (or timeout_ms). */
static int ms_until_closed(const char *data, int timeout_ms, kv_buf_t *out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)srv_harness_port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    uint64_t t0 = kv_now_mono_ns();
    assert_int_equal(send(fd, data, strlen(data), MSG_NOSIGNAL), (ssize_t)strlen(data));
    int ms = timeout_ms;
    for (;;) {
        int left = timeout_ms - (int)((kv_now_mono_ns() - t0) / 1000000u);
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        char buf[4096];
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        if (r <= 0) {
            ms = (int)((kv_now_mono_ns() - t0) / 1000000u);
            break;
        }
        kv_buf_append(out, buf, (size_t)r);
    }
    close(fd);
    return ms;
}

static void test_early_answer_closes(void **state)
{
    (void)state;
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    /* Refused at its headers while the chunked body is still coming: the server answers and
     * closes at once rather than waiting for a timeout (the harness's is 2 s). */
    int ms = ms_until_closed("POST / HTTP/1.1\r\nHost: x\r\n"
                             "X-Amz-Target: DynamoDB_20120810.ListTables\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
                             1500, &out);
    assert_true(ms < 1000);
    assert_true(out.len >= 12 && strncmp((char *)out.p, "HTTP/1.1 400", 12) == 0);
    assert_non_null(strstr((char *)out.p, "Connection: close"));
    kv_buf_dispose(&out);
}

/* Every status the server can send has its standard phrase, never "Unknown". */
static void test_reason_phrases(void **state)
{
    (void)state;
    static const struct {
        int st;
        const char *phrase;
    } want[] = {
        {100, "Continue"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {400, "Bad Request"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {411, "Length Required"},
        {412, "Precondition Failed"},
        {413, "Payload Too Large"},
        {416, "Range Not Satisfiable"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_string_equal(srv_reason(want[i].st), want[i].phrase);
    assert_string_equal(srv_reason(299), "Unknown");
}

/* ---- slow operations (api_offload) through the real api layer, on the worker pool ---- */

/* Append one signed request to out. hdr/val: an extra header (or NULL). */
static void add_signed(kv_buf_t *out, const char *service, const char *method, const char *path,
                       const char *target, const char *body, const char *hdr, const char *val)
{
    char hp[64];
    snprintf(hp, sizeof(hp), "127.0.0.1:%d", srv_harness_port());
    cli_creds_t cr = {"test", "test", "us-east-1"};
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = method;
    r.path = path;
    r.host = hp;
    r.service = service;
    r.body = body ? kv_slice_str(body) : KV_SLICE_NULL;
    if (target) {
        r.payload = CLI_PAYLOAD_NONE;
        cli_req_header(&r, "X-Amz-Target", target);
        cli_req_header(&r, "Content-Type", "application/x-amz-json-1.0");
    }
    if (hdr)
        cli_req_header(&r, hdr, val);
    kv_buf_t one;
    kv_buf_init(&one, 1 << 20);
    assert_int_equal(cli_build(&cr, &r, &one), 0);
    kv_buf_append(out, one.p, one.len);
    kv_buf_dispose(&one);
}

static void add_ddb(kv_buf_t *out, const char *op, const char *json)
{
    char target[96];
    snprintf(target, sizeof(target), "DynamoDB_20120810.%s", op);
    add_signed(out, "dynamodb", "POST", "/", target, json, NULL, NULL);
}

/* Pipelined on one connection: CopyObject and RestoreTableFromBackup run on a worker; the
 * requests around them answer in order, and what they wrote is there. */
static void test_slow_ops_pipelined(void **state)
{
    (void)state;
    kv_buf_t req, out;
    kv_buf_init(&req, 1 << 20);
    kv_buf_init(&out, 1 << 20);
    add_signed(&req, "s3", "PUT", "/slow-unit", NULL, NULL, NULL, NULL);
    add_signed(&req, "s3", "PUT", "/slow-unit/src", NULL, "slow bytes", NULL, NULL);
    add_signed(&req, "s3", "PUT", "/slow-unit/dst", NULL, NULL, "x-amz-copy-source",
               "/slow-unit/src");
    add_signed(&req, "s3", "GET", "/slow-unit/dst", NULL, NULL, NULL, NULL);
    add_ddb(&req, "CreateTable",
            "{\"TableName\":\"slowunit\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"
            "\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":"
            "\"S\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}");
    add_ddb(&req, "PutItem",
            "{\"TableName\":\"slowunit\",\"Item\":{\"pk\":{\"S\":\"k1\"},\"v\":{\"S\":"
            "\"restored-value\"}}}");
    add_ddb(&req, "CreateBackup", "{\"TableName\":\"slowunit\",\"BackupName\":\"backup1\"}");
    kv_buf_append_byte(&req, 0);
    /* A restore under a sanitizer on a busy machine can take seconds before its answer. */
    exchange_within((char *)req.p, &out, 20000);
    assert_int_equal(count(&out, "HTTP/1.1 200 OK"), 7);
    const char *p = (const char *)out.p;
    const char *copy = strstr(p, "<CopyObjectResult");
    const char *got = strstr(p, "slow bytes");
    const char *table = strstr(p, "\"TableDescription\"");
    assert_true(copy && got && table && copy < got && got < table);
    const char *arn = strstr(p, "\"BackupArn\":\"");
    assert_non_null(arn);
    arn += 13;
    const char *end = strchr(arn, '"');
    assert_non_null(end);
    char json[512];
    snprintf(json, sizeof(json), "{\"TargetTableName\":\"slowunit2\",\"BackupArn\":\"%.*s\"}",
             (int)(end - arn), arn);
    kv_buf_reset(&req);
    add_ddb(&req, "RestoreTableFromBackup", json);
    add_ddb(&req, "GetItem", "{\"TableName\":\"slowunit2\",\"Key\":{\"pk\":{\"S\":\"k1\"}}}");
    kv_buf_append_str(&req, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    kv_buf_append_byte(&req, 0);
    /* A restore under a sanitizer on a busy machine can take seconds before its answer. */
    exchange_within((char *)req.p, &out, 20000);
    assert_int_equal(count(&out, "HTTP/1.1 200 OK"), 3);
    p = (const char *)out.p;
    const char *restored = strstr(p, "\"TableName\":\"slowunit2\"");
    const char *item = strstr(p, "restored-value");
    const char *health = strstr(p, "\"status\":\"ok\"");
    assert_true(restored && item && health && restored < item && item < health);
    kv_buf_dispose(&req);
    kv_buf_dispose(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalive_pipelining),
        cmocka_unit_test(test_chunked_and_expect),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_strict_framing),
        cmocka_unit_test(test_chunk_extensions),
        cmocka_unit_test(test_early_answer_closes),
        cmocka_unit_test(test_reason_phrases),
        cmocka_unit_test(test_slow_ops_pipelined),
    };
    return cmocka_run_group_tests_name("srv_http", tests, NULL, NULL);
}
