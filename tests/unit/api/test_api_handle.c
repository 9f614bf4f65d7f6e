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

#include <cmocka.h>

#include "api_harness.h"
#include "base/kv_alloc.h"

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
    assert_int_equal(harness_s3(&H, "GET", "/unit-bucket", "website", KV_SLICE_NULL, &out), 501);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ddb_golden),
        cmocka_unit_test(test_s3_paths),
    };
    return cmocka_run_group_tests_name("api_handle", tests, setup, teardown);
}
