/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 access control's pieces below the wire (issue 15, package S): the account settings'
 * storage (engine/eng_account.c: put, replace, read back after reopening, delete, limits) and
 * the PublicAccessBlockConfiguration reader (s3_pab_parse).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_err.h"
#include "eng.h"
#include "s3/s3_authz.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/stratus-acct-XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static eng_t *open_eng(void)
{
    eng_opts_t o = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
    eng_t *e = NULL;
    assert_int_equal(eng_open(&o, &e), 0);
    return e;
}

static void test_account_settings(void **state)
{
    (void)state;
    eng_t *e = open_eng();
    kv_arena_t *a = kv_arena_new(1024);
    kv_slice_t v;
    assert_int_equal(eng_account_get(e, KV_SLICE_LIT("s3-pab"), a, &v), KV_ENOTFOUND);
    assert_int_equal(eng_account_put(e, KV_SLICE_LIT("s3-pab"), KV_SLICE_LIT("one")), 0);
    assert_int_equal(eng_account_put(e, KV_SLICE_LIT("s3-pab"), KV_SLICE_LIT("second")), 0);
    assert_int_equal(eng_account_put(e, KV_SLICE_LIT("other"), KV_SLICE_LIT("x")), 0);
    /* A bucket of the same name is another kind of record. */
    eng_bucket_t b = {.name = "s3-pab"};
    assert_int_equal(eng_bucket_create(e, &b), 0);
    eng_close(e);

    e = open_eng();
    assert_int_equal(eng_account_get(e, KV_SLICE_LIT("s3-pab"), a, &v), 0);
    assert_true(kv_slice_eq_str(v, "second"));
    assert_int_equal(eng_account_get(e, KV_SLICE_LIT("other"), a, &v), 0);
    assert_true(kv_slice_eq_str(v, "x"));
    assert_int_equal(eng_account_delete(e, KV_SLICE_LIT("s3-pab")), 0);
    assert_int_equal(eng_account_get(e, KV_SLICE_LIT("s3-pab"), a, &v), KV_ENOTFOUND);
    assert_int_equal(eng_account_delete(e, KV_SLICE_LIT("s3-pab")), 0); /* already gone */
    assert_int_equal(eng_account_get(e, KV_SLICE_LIT("other"), a, &v), 0);
    eng_bucket_t *got;
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("s3-pab"), a, &got), 0);

    /* Limits: a value over ENG_ACCOUNT_SETTING_MAX and an empty name are refused. */
    size_t big = ENG_ACCOUNT_SETTING_MAX + 1;
    char *p = calloc(1, big);
    assert_non_null(p);
    assert_int_equal(eng_account_put(e, KV_SLICE_LIT("big"), kv_slice(p, big)), KV_EINVAL);
    assert_int_equal(eng_account_put(e, KV_SLICE_LIT("big"), kv_slice(p, big - 1)), 0);
    free(p);
    assert_int_equal(eng_account_put(e, KV_SLICE_NULL, KV_SLICE_LIT("x")), KV_EINVAL);
    kv_arena_free(a);
    eng_close(e);
}

static void test_pab_parse(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    s3_pab_t p;
    assert_int_equal(s3_pab_parse(a, kv_slice_str(s3_pab_default_xml), &p), 0);
    assert_true(p.block_public_acls && p.ignore_public_acls && p.block_public_policy &&
                p.restrict_public_buckets);
    assert_int_equal(
        s3_pab_parse(a,
                     KV_SLICE_LIT("<PublicAccessBlockConfiguration><BlockPublicPolicy> TRUE "
                                  "</BlockPublicPolicy><IgnorePublicAcls>false</IgnorePublicAcls>"
                                  "</PublicAccessBlockConfiguration>"),
                     &p),
        0);
    assert_true(p.block_public_policy);
    assert_false(p.block_public_acls || p.ignore_public_acls || p.restrict_public_buckets);
    assert_int_equal(s3_pab_parse(a, KV_SLICE_LIT("<PublicAccessBlockConfiguration/>"), &p), 0);
    assert_false(p.block_public_acls || p.block_public_policy);
    static const char *const bad[] = {
        "",
        "not xml",
        "<Other/>",
        "<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>"
        "</PublicAccessBlockConfiguration>",
        "<PublicAccessBlockConfiguration><Unknown>true</Unknown></PublicAccessBlockConfiguration>",
        "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(s3_pab_parse(a, kv_slice_str(bad[i]), &p), -1);
    kv_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_account_settings, setup, teardown),
        cmocka_unit_test(test_pab_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
