/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The api layer without sockets: golden request/response pairs from
 * tests/data/ plus targeted cases, through api_begin/api_body/api_handle.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "api_harness.h"
#include "base/kv_alloc.h"
#include "cli.h"

static harness_t H;

static int setup(void **state)
{
    (void)state;
    return harness_open(&H, "us-east-1");
}

static int teardown(void **state)
{
    (void)state;
    harness_close(&H);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    kv_buf_t b;
    kv_buf_init(&b, 1 << 24);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        kv_buf_append(&b, tmp, n);
    fclose(f);
    kv_buf_append_byte(&b, 0);
    *len = b.len - 1;
    return (char *)b.p;
}

/*
 * Golden files tests/data/ddb/NNN-name.txt:
 *   line 1: operation, line 2: expected status, line 3: a substring the
 *   response body must contain, rest: the JSON request body.
 */
static void test_ddb_golden(void **state)
{
    (void)state;
    const char *dir = STRATUS_SOURCE_DIR "/tests/data/ddb";
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    assert_true(n > 2);
    int ran = 0;
    for (int i = 0; i < n; i++) {
        if (list[i]->d_name[0] == '.') {
            free(list[i]);
            continue;
        }
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        size_t len;
        char *text = slurp(path, &len);
        assert_non_null(text);
        char *l1 = text, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
        char *body = strchr(l3, '\n') + 1;
        l2[-1] = l3[-1] = body[-1] = 0;
        kv_buf_t out;
        kv_buf_init(&out, 1 << 20);
        int st = harness_ddb(&H, l1, kv_slice_str(body), &out);
        kv_buf_append_byte(&out, 0);
        if (st != atoi(l2) || strstr((char *)out.p, l3) == NULL)
            fail_msg("%s: status %d body %s; want %s containing %s", list[i]->d_name, st,
                     (char *)out.p, l2, l3);
        kv_buf_dispose(&out);
        kv_free(text);
        free(list[i]);
        ran++;
    }
    free(list);
    assert_true(ran > 2);
}

static void test_s3_paths(void **state)
{
    (void)state;
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    assert_int_equal(harness_s3(&H, "PUT", "/unit-bucket", NULL, KV_SLICE_NULL, &out), 200);
    assert_int_equal(harness_s3(&H, "HEAD", "/unit-bucket", NULL, KV_SLICE_NULL, &out), 200);
    assert_int_equal(harness_s3(&H, "HEAD", "/nope-bucket", NULL, KV_SLICE_NULL, &out), 404);
    kv_buf_reset(&out);
    assert_int_equal(harness_s3(&H, "GET", "/unit-bucket", "torrent", KV_SLICE_NULL, &out), 501);
    kv_buf_append_byte(&out, 0);
    assert_non_null(strstr((char *)out.p, "<Code>NotImplemented</Code>"));
    kv_buf_reset(&out);
    assert_int_equal(harness_s3(&H, "POST", "/", NULL, KV_SLICE_NULL, &out), 501);
    kv_buf_reset(&out);
    assert_int_equal(harness_s3(&H, "GET", "/", NULL, KV_SLICE_NULL, &out), 200);
    kv_buf_append_byte(&out, 0);
    assert_non_null(strstr((char *)out.p, "<Name>unit-bucket</Name>"));
    /* Query values: "%2B" is a plus, a bare '+' is a space (as the echoed Prefix shows). */
    assert_int_equal(harness_s3(&H, "PUT", "/plus-bucket", NULL, KV_SLICE_NULL, &out), 200);
    kv_buf_reset(&out);
    assert_int_equal(harness_s3(&H, "GET", "/", "prefix=a%2Bb", KV_SLICE_NULL, &out), 200);
    kv_buf_append_byte(&out, 0);
    assert_non_null(strstr((char *)out.p, "<Prefix>a+b</Prefix>"));
    kv_buf_reset(&out);
    assert_int_equal(harness_s3(&H, "GET", "/", "prefix=a+b", KV_SLICE_NULL, &out), 200);
    kv_buf_append_byte(&out, 0);
    assert_non_null(strstr((char *)out.p, "<Prefix>a b</Prefix>"));
    /* A continuation token naming plus-bucket (base64 "cGx1cy1idWNrZXQ=") lists what follows. */
    kv_buf_reset(&out);
    assert_int_equal(
        harness_s3(&H, "GET", "/", "continuation-token=cGx1cy1idWNrZXQ%3D", KV_SLICE_NULL, &out),
        200);
    kv_buf_append_byte(&out, 0);
    assert_null(strstr((char *)out.p, "<Name>plus-bucket</Name>"));
    assert_non_null(strstr((char *)out.p, "<Name>unit-bucket</Name>"));
    assert_int_equal(harness_s3(&H, "GET", "/", "continuation-token=%21%21", KV_SLICE_NULL, &out),
                     400);
    assert_int_equal(harness_s3(&H, "DELETE", "/plus-bucket", NULL, KV_SLICE_NULL, &out), 204);
    assert_int_equal(harness_s3(&H, "DELETE", "/unit-bucket", NULL, KV_SLICE_NULL, &out), 204);
    /* Unsigned and malformed requests. */
    assert_int_equal(harness_run(&H, KV_SLICE_LIT("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), NULL), 403);
    assert_int_equal(harness_run(&H, KV_SLICE_LIT("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"), NULL),
                     200);
    kv_buf_dispose(&out);
}

/* ---- large sets: every set path is O(n log n) ---- */

#define BIG_CEILING_S 5.0 /* the quadratic code took 13.6 s to put a 90 000-member set */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A JSON number set of the numbers lo..hi-1 ("NS":[...]), an extra member when not NULL. */
static void ns_json(kv_buf_t *b, int lo, int hi, const char *extra)
{
    kv_buf_append_str(b, "{\"NS\":[");
    char tmp[32];
    for (int v = lo; v < hi; v++) {
        snprintf(tmp, sizeof(tmp), "%s\"%d\"", v > lo ? "," : "", v);
        kv_buf_append_str(b, tmp);
    }
    if (extra) {
        kv_buf_append_str(b, ",\"");
        kv_buf_append_str(b, extra);
        kv_buf_append_str(b, "\"");
    }
    kv_buf_append_str(b, "]}");
}

/* Run op with the body in req; returns the status, checks the time it took. */
static int timed_ddb(const char *op, kv_buf_t *req, kv_buf_t *out)
{
    out->len = 0;
    double t0 = now_s();
    int st = harness_ddb(&H, op, kv_buf_slice(req), out);
    double took = now_s() - t0;
    if (took >= BIG_CEILING_S)
        fail_msg("%s took %.2f s", op, took);
    return st;
}

static bool body_has(kv_buf_t *out, const char *needle)
{
    kv_buf_append_byte(out, 0);
    out->len--;
    return strstr((const char *)out->p, needle) != NULL;
}

static void test_ddb_large_sets(void **state)
{
    (void)state;
    kv_buf_t req, out;
    kv_buf_init(&req, 1 << 26);
    kv_buf_init(&out, 1 << 26);
    kv_slice_t ct = KV_SLICE_LIT(
        "{\"TableName\":\"sets\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
        "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
        "\"BillingMode\":\"PAY_PER_REQUEST\"}");
    assert_int_equal(harness_ddb(&H, "CreateTable", ct, &out), 200);

    /* 90 000 five-digit numbers fit in 400 KB: stored, quickly. */
    kv_buf_append_str(&req, "{\"TableName\":\"sets\",\"Item\":{\"pk\":{\"S\":\"a\"},\"s\":");
    ns_json(&req, 10000, 100000, NULL);
    kv_buf_append_str(&req, "}}");
    assert_int_equal(timed_ddb("PutItem", &req, &out), 200);

    /* The same with a duplicate (by value) at the end. */
    req.len = 0;
    kv_buf_append_str(&req, "{\"TableName\":\"sets\",\"Item\":{\"pk\":{\"S\":\"b\"},\"s\":");
    ns_json(&req, 10000, 100000, "1.0001E4");
    kv_buf_append_str(&req, "}}");
    assert_int_equal(timed_ddb("PutItem", &req, &out), 400);
    assert_true(body_has(&out, "Input collection [10000, 10001, 10002, 10003, 10004, 10005, "
                               "10006, 10007, 10008, 10009, 10010, 10011, 10012, 10013, 10014, "
                               "10015, 10016, 10017, 10018, 10019] contains duplicates."));

    /* 1.2 MB of numbers: over the item limit, refused before any set work. */
    req.len = 0;
    kv_buf_append_str(&req, "{\"TableName\":\"sets\",\"Item\":{\"pk\":{\"S\":\"c\"},\"s\":");
    ns_json(&req, 100000, 400000, NULL);
    kv_buf_append_str(&req, "}}");
    assert_int_equal(timed_ddb("PutItem", &req, &out), 400);
    assert_true(body_has(&out, "Item size has exceeded the maximum allowed size"));

    /* ADD of a large set to a large set, then DELETE. */
    req.len = 0;
    kv_buf_append_str(&req, "{\"TableName\":\"sets\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                            "\"UpdateExpression\":\"DELETE s :v\",\"ReturnValues\":\"UPDATED_NEW\","
                            "\"ExpressionAttributeValues\":{\":v\":");
    ns_json(&req, 55000, 100000, NULL);
    kv_buf_append_str(&req, "}}");
    assert_int_equal(timed_ddb("UpdateItem", &req, &out), 200);
    assert_true(body_has(&out, "\"54999\"]"));
    assert_false(body_has(&out, "\"55000\""));
    req.len = 0;
    kv_buf_append_str(&req, "{\"TableName\":\"sets\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                            "\"UpdateExpression\":\"ADD s :v\","
                            "\"ExpressionAttributeValues\":{\":v\":");
    ns_json(&req, 50000, 95000, NULL);
    kv_buf_append_str(&req, "}}");
    assert_int_equal(timed_ddb("UpdateItem", &req, &out), 200);

    /* Conditions comparing two large sets (10000..94999 in another order, one spelt
     * differently), and contains(). */
    for (int k = 0; k < 2; k++) {
        req.len = 0;
        kv_buf_append_str(&req, "{\"TableName\":\"sets\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                                "\"UpdateExpression\":\"SET x = :one\","
                                "\"ConditionExpression\":\"s = :v AND contains(s, :c)\","
                                "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"},"
                                "\":c\":{\"N\":\"94999\"},\":v\":");
        ns_json(&req, 50000, 95000, k ? "1" : "1E4");
        req.len -= 2; /* reopen the list */
        char tmp[32];
        for (int v = 49999; v > 10000; v--) {
            snprintf(tmp, sizeof(tmp), ",\"%d\"", v);
            kv_buf_append_str(&req, tmp);
        }
        kv_buf_append_str(&req, "]}}}");
        assert_int_equal(timed_ddb("UpdateItem", &req, &out), k ? 400 : 200);
        if (k)
            assert_true(body_has(&out, "ConditionalCheckFailedException"));
    }
    kv_buf_dispose(&req);
    kv_buf_dispose(&out);
}

/* A request of 16 MB of tiny JSON values decodes within a bounded amount of memory. */
static void test_ddb_request_memory_bounded(void **state)
{
    (void)state;
    kv_buf_t req, out;
    kv_buf_init(&req, 1 << 25);
    kv_buf_init(&out, 1 << 20);
    kv_buf_append_str(&req, "{\"RequestItems\":{\"sets\":{\"Keys\":[");
    while (req.len < 16 * 1024 * 1024 - 64)
        kv_buf_append_str(&req, "{\"pk\":{\"N\":\"1\"}},");
    kv_buf_append_str(&req, "{\"pk\":{\"N\":\"1\"}}]}}}");
    assert_int_equal(harness_ddb(&H, "BatchGetItem", kv_buf_slice(&req), &out), 413);
    assert_true(body_has(&out, "RequestEntityTooLarge"));
    /* Over 100 keys but small enough to decode: DynamoDB's own answer. */
    req.len = 0;
    kv_buf_append_str(&req, "{\"RequestItems\":{\"sets\":{\"Keys\":[");
    for (int i = 0; i < 1000; i++)
        kv_buf_append_str(&req, "{\"pk\":{\"S\":\"1\"}},");
    kv_buf_append_str(&req, "{\"pk\":{\"S\":\"1\"}}]}}}");
    out.len = 0;
    assert_int_equal(harness_ddb(&H, "BatchGetItem", kv_buf_slice(&req), &out), 400);
    assert_true(body_has(&out, "Too many items requested for the BatchGetItem call"));
    kv_buf_dispose(&req);
    kv_buf_dispose(&out);
}

/* ---- bodies read before their signature is checked ---- */

/* A DynamoDB request (no x-amz-content-sha256) whose body has been partly fed. */
typedef struct held {
    kv_arena_t *arena;
    kv_buf_t raw;
    api_req_t req;
    api_resp_t resp;
    kv_slice_t body;
    size_t fed;
    int rc;
} held_t;

/* Sign a PutItem of body_len bytes from peer, run api_begin; fed nothing yet. */
static void held_begin(held_t *h, const char *peer, size_t body_len)
{
    memset(h, 0, sizeof(*h));
    kv_buf_init(&h->raw, 1 << 24);
    uint8_t *body = kv_malloc(body_len);
    memset(body, ' ', body_len);
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/";
    r.host = "127.0.0.1:4566";
    r.service = "dynamodb";
    r.payload = CLI_PAYLOAD_NONE;
    r.body = kv_slice(body, body_len);
    cli_req_header(&r, "X-Amz-Target", "DynamoDB_20120810.PutItem");
    cli_req_header(&r, "Content-Type", "application/x-amz-json-1.0");
    assert_int_equal(cli_build(&H.creds, &r, &h->raw), 0);
    kv_free(body);
    /* Split the head (request line, headers) from the body. */
    h->arena = kv_arena_new(4096);
    kv_slice_t raw = kv_buf_slice(&h->raw);
    const uint8_t *end = memmem(raw.p, raw.len, "\r\n\r\n", 4);
    assert_non_null(end);
    h->body = kv_slice(end + 4, raw.len - (size_t)(end + 4 - raw.p));
    assert_int_equal(h->body.len, body_len);
    api_req_t *q = &h->req;
    q->arena = h->arena;
    q->peer = kv_slice_str(peer);
    q->content_length = (int64_t)body_len;
    q->hdrs = kv_arena_calloc(h->arena, 64, sizeof(*q->hdrs));
    const uint8_t *p = raw.p, *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
    q->method = KV_SLICE_LIT("POST");
    q->path = KV_SLICE_LIT("/");
    for (p = eol + 2; p < end; p = eol + 2) {
        eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
        const uint8_t *c = memchr(p, ':', (size_t)(eol - p));
        q->hdrs[q->n_hdrs].name = kv_slice(p, (size_t)(c - p));
        q->hdrs[q->n_hdrs].value = kv_slice_trim(kv_slice(c + 1, (size_t)(eol - c - 1)));
        q->n_hdrs++;
    }
    api_resp_init(&h->resp, q);
    uint64_t limit;
    h->rc = api_begin(H.ctx, q, &h->resp, &limit);
    assert_int_equal(h->rc, API_CONTINUE);
    assert_true(q->body_deadline_ms >= 10000); /* a deadline in all for this body */
}

/* Feed n more body bytes; the request's status when it was answered, else 0. */
static int held_feed(held_t *h, size_t n)
{
    while (n > 0 && h->rc == API_CONTINUE) {
        size_t k = n < 1000 ? n : 1000;
        h->rc = api_body(H.ctx, &h->req, &h->resp, h->body.p + h->fed, k);
        h->fed += k;
        n -= k;
    }
    return h->rc == API_RESPOND ? h->resp.status : 0;
}

/* The body is complete: verify, decode, execute. @return the status. */
static int held_handle(held_t *h)
{
    assert_int_equal(h->fed, h->body.len);
    api_handle(H.ctx, &h->req, &h->resp);
    return h->resp.status;
}

/* The request is over (answered, or its connection died): what it held is given back. */
static void held_free(held_t *h)
{
    api_resp_dispose(&h->resp);
    kv_arena_free(h->arena);
    kv_buf_dispose(&h->raw);
}

static bool throttled(held_t *h)
{
    kv_buf_append_byte(&h->resp.body, 0);
    return h->rc == API_RESPOND && h->resp.status == 503 &&
           strstr((const char *)h->resp.body.p, "ThrottlingException") != NULL;
}

static void test_unauth_budget(void **state)
{
    (void)state;
    api_set_unauth_budget(H.ctx, 10000, 4000);
    held_t a, b, c, d;
    /* Per address: 3000 + 1500 > 4000 from one address, while another address still fits. */
    held_begin(&a, "10.0.0.1:1000", 5000);
    assert_int_equal(held_feed(&a, 3000), 0);
    held_begin(&b, "10.0.0.1:1001", 5000);
    assert_int_not_equal(held_feed(&b, 1500), 0);
    assert_true(throttled(&b));
    held_free(&b);
    held_begin(&c, "10.0.0.2:1000", 5000);
    assert_int_equal(held_feed(&c, 3000), 0);
    /* A request alone may pass its address's bound (a large upload). */
    assert_int_equal(held_feed(&a, 2000), 0);
    /* The total holds: a 5000 + c 3000 + d 2000 = 10000, one byte more is refused. */
    held_begin(&d, "10.0.0.3:1000", 5000);
    assert_int_equal(held_feed(&d, 2000), 0);
    assert_int_not_equal(held_feed(&d, 1), 0);
    assert_true(throttled(&d));
    held_free(&d);
    /* Finished requests give their bytes back. */
    assert_int_equal(held_handle(&a), 400); /* spaces are not JSON: decoded, so verified */
    held_free(&a);
    assert_int_equal(held_feed(&c, 2000), 0);
    assert_int_equal(held_handle(&c), 400);
    held_free(&c);
    /* An IPv6 client counts by its /64: another address of the same /64 shares the bound. */
    held_t e, f;
    held_begin(&e, "2001:db8::1:1", 4000);
    assert_int_equal(held_feed(&e, 3000), 0);
    held_begin(&f, "2001:db8::2:2", 4000);
    assert_int_not_equal(held_feed(&f, 1500), 0);
    assert_true(throttled(&f));
    held_free(&f);
    held_free(&e); /* a connection that died mid-body */
    /* A verified body is given back at once, before its request is over. */
    held_t g[2];
    held_begin(&g[0], "10.0.0.1:1002", 3900);
    held_begin(&g[1], "10.0.0.1:1003", 3900);
    assert_int_equal(held_feed(&g[0], 3900), 0);
    assert_int_equal(held_handle(&g[0]), 400);
    assert_int_equal(held_feed(&g[1], 3900), 0);
    assert_int_equal(held_handle(&g[1]), 400);
    held_free(&g[0]);
    held_free(&g[1]);
    api_set_unauth_budget(H.ctx, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ddb_golden),     cmocka_unit_test(test_s3_paths),
        cmocka_unit_test(test_ddb_large_sets), cmocka_unit_test(test_ddb_request_memory_bounded),
        cmocka_unit_test(test_unauth_budget),
    };
    return cmocka_run_group_tests_name("api_handle", tests, setup, teardown);
}
