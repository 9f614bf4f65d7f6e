/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM's helpers (issue 15, package I; api/iam): name and path validation as IAM's patterns
 * define them, ids and secrets (prefix, length, alphabet, no repeats), the percent-encoding of
 * policy documents in answers, the characters a document counts against its limits, and the
 * records' encodings (an entity with tags, an access key, a policy version) round-tripping
 * while a truncated record is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_err.h"
#include "iam/iam_int.h"

static void test_names(void **state)
{
    (void)state;
    assert_true(iam_name_ok(KV_SLICE_LIT("alice"), 64));
    assert_true(iam_name_ok(KV_SLICE_LIT("a_b+c=d,e.f@g-h"), 64));
    assert_false(iam_name_ok(KV_SLICE_LIT(""), 64));
    assert_false(iam_name_ok(KV_SLICE_LIT("a b"), 64));
    assert_false(iam_name_ok(KV_SLICE_LIT("a/b"), 64));
    assert_false(iam_name_ok(KV_SLICE_LIT("a:b"), 64));
    assert_false(iam_name_ok(kv_slice("a\0b", 3), 64));
    assert_false(iam_name_ok(KV_SLICE_LIT("caf\xc3\xa9"), 64));
    char n65[66];
    memset(n65, 'x', 65);
    n65[65] = 0;
    assert_false(iam_name_ok(kv_slice_str(n65), 64));
    assert_true(iam_name_ok(kv_slice(n65, 64), 64));
    assert_true(iam_name_ok(kv_slice_str(n65), 128)); /* groups and policies: 128 */
}

static void test_paths(void **state)
{
    (void)state;
    assert_true(iam_path_ok(KV_SLICE_LIT("/")));
    assert_true(iam_path_ok(KV_SLICE_LIT("/a/b-c/")));
    assert_true(iam_path_ok(KV_SLICE_LIT("/!~/")));
    assert_false(iam_path_ok(KV_SLICE_LIT("")));
    assert_false(iam_path_ok(KV_SLICE_LIT("a/")));
    assert_false(iam_path_ok(KV_SLICE_LIT("/a")));
    assert_false(iam_path_ok(KV_SLICE_LIT("/a b/")));
    assert_false(iam_path_ok(KV_SLICE_LIT("/\x7f/")));
    char p[514];
    memset(p, 'a', sizeof(p));
    p[0] = '/';
    p[511] = '/';
    assert_true(iam_path_ok(kv_slice(p, 512)));
    p[512] = '/';
    assert_false(iam_path_ok(kv_slice(p, 513)));
}

static bool upper_alnum(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static void test_ids(void **state)
{
    (void)state;
    char a[32], b[32], s1[41], s2[41];
    iam_new_id("AIDA", 17, a);
    iam_new_id("AIDA", 17, b);
    assert_int_equal(strlen(a), 21);
    assert_memory_equal(a, "AIDA", 4);
    assert_true(upper_alnum(a));
    assert_string_not_equal(a, b);
    iam_new_id("AKIA", 16, a);
    assert_int_equal(strlen(a), 20);
    assert_true(upper_alnum(a));
    iam_new_secret(s1);
    iam_new_secret(s2);
    assert_int_equal(strlen(s1), 40);
    assert_string_not_equal(s1, s2);
    for (size_t i = 0; i < 40; i++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", s1[i]));
}

static void test_encode(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    kv_slice_t e = iam_urlencode(a, KV_SLICE_LIT("{\"A\": \"s3:*\"}~"));
    assert_int_equal(e.len, strlen("%7B%22A%22%3A%20%22s3%3A%2A%22%7D~"));
    assert_memory_equal(e.p, "%7B%22A%22%3A%20%22s3%3A%2A%22%7D~", e.len);
    /* whitespace is not counted; a multi-byte character counts once */
    assert_int_equal(iam_policy_chars(KV_SLICE_LIT("{ \"a\" :\n\t\"\xc3\xa9\" }")), 9);
    kv_arena_free(a);
}

static void test_records(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    api_kv_t tags[2] = {{KV_SLICE_LIT("team"), KV_SLICE_LIT("a")},
                        {KV_SLICE_LIT("x"), KV_SLICE_LIT("")}};
    iam_ent_t e = {.kind = IAM_ROLE,
                   .name = KV_SLICE_LIT("Builder"),
                   .id = KV_SLICE_LIT("AROAABCDEFGHIJKLMNOPQ"),
                   .path = KV_SLICE_LIT("/ci/"),
                   .created_ms = 1700000000123,
                   .trust = KV_SLICE_LIT("{}"),
                   .boundary = KV_SLICE_LIT("arn:aws:iam::aws:policy/AdministratorAccess"),
                   .max_session_s = 7200,
                   .tags = tags,
                   .n_tags = 2};
    kv_slice_t v = iam_ent_encode(a, &e);
    iam_ent_t d;
    assert_int_equal(iam_ent_decode(v, a, &d), 0);
    assert_int_equal(d.kind, IAM_ROLE);
    assert_true(kv_slice_eq(d.name, e.name) && kv_slice_eq(d.path, e.path));
    assert_true(kv_slice_eq(d.boundary, e.boundary) && kv_slice_eq(d.trust, e.trust));
    assert_int_equal(d.created_ms, e.created_ms);
    assert_int_equal(d.max_session_s, 7200);
    assert_int_equal(d.n_tags, 2);
    assert_true(kv_slice_eq(d.tags[1].key, KV_SLICE_LIT("x")) && d.tags[1].value.len == 0);
    assert_int_not_equal(iam_ent_decode(kv_slice(v.p, v.len - 3), a, &d), 0);

    iam_key_t k = {.id = KV_SLICE_LIT("AKIAABCDEFGHIJKLMNOP"),
                   .user = KV_SLICE_LIT("alice"),
                   .secret = KV_SLICE_LIT("s3cr3t"),
                   .active = false,
                   .created_ms = 5};
    iam_key_t kd;
    assert_int_equal(iam_key_decode(iam_key_encode(a, &k), a, &kd), 0);
    assert_false(kd.active);
    assert_true(kv_slice_eq(kd.user, k.user) && kv_slice_eq(kd.secret, k.secret));

    kv_slice_t doc;
    int64_t created;
    assert_int_equal(
        iam_ver_decode(iam_ver_encode(a, KV_SLICE_LIT("{\"a\":1}"), 9), a, &doc, &created), 0);
    assert_true(kv_slice_eq(doc, KV_SLICE_LIT("{\"a\":1}")));
    assert_int_equal(created, 9);
    /* names are keyed without regard to case */
    assert_true(kv_slice_eq(iam_k_ent(a, IAM_USER, KV_SLICE_LIT("Alice")),
                            iam_k_ent(a, IAM_USER, KV_SLICE_LIT("aLICE"))));
    kv_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),  cmocka_unit_test(test_paths),   cmocka_unit_test(test_ids),
        cmocka_unit_test(test_encode), cmocka_unit_test(test_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
