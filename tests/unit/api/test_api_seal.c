/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The master key and sealing (issue 16): a sealed value opens only with its purpose and master
 * key, whole; the key file is created 0600 and refused when others can read it, when it is not
 * 32 bytes, or when it is not a regular file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_int.h"
#include "crypto/api_seal.h"

static char dir[] = "/tmp/stratus-seal-XXXXXX";

static void load(api_ctx_t *ctx, const char *file, int want)
{
    char err[512] = "";
    memset(ctx, 0, sizeof(*ctx));
    ctx->data_dir = dir;
    int rc = api__master_key_load(ctx, file, err, sizeof(err));
    if (rc != want)
        fail_msg("load(%s) = %d (%s)", file ? file : "default", rc, err);
}

static void test_seal_roundtrip_and_forgery(void **state)
{
    (void)state;
    api_ctx_t ctx;
    load(&ctx, NULL, 0);
    kv_buf_t s, p;
    kv_buf_init(&s, 1 << 20);
    kv_buf_init(&p, 1 << 20);
    api_seal(&ctx, KV_SLICE_LIT("sse-s3"), KV_SLICE_LIT("thirty-two bytes of a data key!!"), &s);
    assert_int_equal(s.len, API_SEAL_OVERHEAD + 32);
    assert_int_equal(api_unseal(&ctx, KV_SLICE_LIT("sse-s3"), kv_buf_slice(&s), &p), 0);
    assert_memory_equal(p.p, "thirty-two bytes of a data key!!", 32);
    /* another purpose, a flipped bit anywhere, a truncation: refused, nothing appended */
    kv_buf_reset(&p);
    assert_int_equal(api_unseal(&ctx, KV_SLICE_LIT("kms:x"), kv_buf_slice(&s), &p), -1);
    for (size_t i = 0; i < s.len; i++) {
        s.p[i] ^= 0x20;
        assert_int_equal(api_unseal(&ctx, KV_SLICE_LIT("sse-s3"), kv_buf_slice(&s), &p), -1);
        s.p[i] ^= 0x20;
    }
    assert_int_equal(api_unseal(&ctx, KV_SLICE_LIT("sse-s3"), kv_slice(s.p, s.len - 1), &p), -1);
    assert_int_equal(api_unseal(&ctx, KV_SLICE_LIT("sse-s3"), kv_slice(s.p, 5), &p), -1);
    assert_int_equal(p.len, 0);
    /* two seals of one value differ (random nonces); both open */
    kv_buf_t s2;
    kv_buf_init(&s2, 1 << 20);
    api_seal(&ctx, KV_SLICE_LIT("sse-s3"), KV_SLICE_LIT("thirty-two bytes of a data key!!"), &s2);
    assert_true(s2.len == s.len && memcmp(s2.p, s.p, s.len) != 0);
    /* the same file loaded again opens it; another key does not */
    api_ctx_t again, other;
    load(&again, NULL, 0);
    assert_int_equal(api_unseal(&again, KV_SLICE_LIT("sse-s3"), kv_buf_slice(&s2), &p), 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/other-key", dir);
    FILE *f = fopen(path, "w");
    fwrite("0123456789abcdef0123456789abcdef", 1, 32, f);
    fclose(f);
    chmod(path, 0600);
    load(&other, path, 0);
    kv_buf_reset(&p);
    assert_int_equal(api_unseal(&other, KV_SLICE_LIT("sse-s3"), kv_buf_slice(&s), &p), -1);
    /* an empty value seals too */
    kv_buf_reset(&s);
    api_seal(&ctx, KV_SLICE_LIT("a"), KV_SLICE_NULL, &s);
    assert_int_equal(api_unseal(&ctx, KV_SLICE_LIT("a"), kv_buf_slice(&s), &p), 0);
    assert_int_equal(p.len, 0);
    kv_buf_dispose(&s);
    kv_buf_dispose(&s2);
    kv_buf_dispose(&p);
}

static void test_key_file_rules(void **state)
{
    (void)state;
    api_ctx_t ctx;
    char path[256];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/STRATUS-MASTER-KEY", dir);
    load(&ctx, NULL, 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 32);
    chmod(path, 0640); /* readable by the group: refused, never rewritten */
    load(&ctx, NULL, -1);
    chmod(path, 0600);
    snprintf(path, sizeof(path), "%s/short", dir);
    FILE *f = fopen(path, "w");
    fwrite("short", 1, 5, f);
    fclose(f);
    chmod(path, 0600);
    load(&ctx, path, -1);
    load(&ctx, dir, -1); /* a directory */
    snprintf(path, sizeof(path), "%s/absent", dir);
    load(&ctx, path, -1); /* a named file is never created */
}

int main(void)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_roundtrip_and_forgery),
        cmocka_unit_test(test_key_file_rules),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
