/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multipart checksums (api/s3/s3_cksum.c, issue 16 package C): combining CRC32, CRC32C and
 * CRC64NVME of consecutive runs equals the one-shot CRC of the whole for random splits (empty
 * runs included); the full-object and composite checksums of parts from their base64
 * checksums; the algorithms' names, lengths and types; the part-list hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_b64.h"
#include "base/kv_buf.h"
#include "s3/s3_int.h"

static uint64_t one_shot(api_ck_algo_t a, const uint8_t *p, size_t n)
{
    api_ck_t ck;
    api_ck_init(&ck, a);
    api_ck_update(&ck, p, n);
    uint8_t d[API_CK_MAX];
    api_ck_final(&ck, d);
    api_ck_dispose(&ck);
    return s3_ck_crc_value(a, d);
}

/* xorshift: reproducible test data and split points */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const api_ck_algo_t crcs[] = {API_CK_CRC32, API_CK_CRC32C, API_CK_CRC64NVME};

static void test_check_values(void **state)
{
    (void)state;
    /* The catalogue check values over "123456789". */
    const uint8_t *s = (const uint8_t *)"123456789";
    assert_int_equal(one_shot(API_CK_CRC32, s, 9), 0xCBF43926u);
    assert_int_equal(one_shot(API_CK_CRC32C, s, 9), 0xE3069283u);
    assert_true(one_shot(API_CK_CRC64NVME, s, 9) == 0xAE8B14860A799888ull);
}

static void test_combine_two(void **state)
{
    (void)state;
    size_t n = 70000;
    uint8_t *buf = malloc(n);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)next();
    for (size_t k = 0; k < 3; k++) {
        api_ck_algo_t a = crcs[k];
        uint64_t whole = one_shot(a, buf, n);
        /* every kind of split: empty halves, one byte, random points */
        size_t cuts[] = {0, 1, 2, 7, 8, 4096, n - 1, n, (size_t)(next() % n), (size_t)(next() % n)};
        for (size_t c = 0; c < sizeof(cuts) / sizeof(*cuts); c++) {
            size_t m = cuts[c];
            uint64_t x = one_shot(a, buf, m), y = one_shot(a, buf + m, n - m);
            assert_true(s3_crc_combine(a, x, y, n - m) == whole);
        }
    }
    /* Not a CRC: nothing to combine. */
    assert_int_equal(s3_crc_combine(API_CK_SHA256, 1, 2, 3), 0);
    free(buf);
}

static void test_combine_many(void **state)
{
    (void)state;
    size_t n = 200000;
    uint8_t *buf = malloc(n);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)next();
    for (int round = 0; round < 20; round++) {
        for (size_t k = 0; k < 3; k++) {
            api_ck_algo_t a = crcs[k];
            size_t at = 0;
            uint64_t acc = 0;
            bool first = true;
            while (at < n) {
                size_t len = (size_t)(next() % 30000);
                if (len > n - at)
                    len = n - at;
                uint64_t c = one_shot(a, buf + at, len);
                acc = first ? c : s3_crc_combine(a, acc, c, len);
                first = false;
                at += len;
            }
            assert_true(acc == one_shot(a, buf, n));
        }
    }
    free(buf);
}

static void test_combine_large_length(void **state)
{
    (void)state;
    /* A run of 5 GiB of zero bytes: combining with its CRC equals extending through it. Check
     * the identity crc(A||Z||B) two ways with Z long, computed by doubling. */
    for (size_t k = 0; k < 3; k++) {
        api_ck_algo_t a = crcs[k];
        uint8_t zeros[4096] = {0};
        uint64_t z = one_shot(a, zeros, sizeof(zeros)); /* 4 KiB of zeros */
        uint64_t len = sizeof(zeros);
        while (len < ((uint64_t)5 << 30)) {
            z = s3_crc_combine(a, z, z, len);
            len *= 2;
        }
        uint64_t x = one_shot(a, (const uint8_t *)"abc", 3);
        uint64_t y = one_shot(a, (const uint8_t *)"xyz", 3);
        uint64_t left = s3_crc_combine(a, s3_crc_combine(a, x, z, len), y, 3);
        uint64_t zy = s3_crc_combine(a, z, y, 3);
        uint64_t right = s3_crc_combine(a, x, zy, len + 3);
        assert_true(left == right);
    }
}

static const char *b64(kv_arena_t *ar, const uint8_t *d, size_t n)
{
    kv_buf_t b;
    kv_buf_init(&b, 64);
    kv_b64_encode(&b, d, n);
    const char *s = kv_arena_strndup(ar, b.p, b.len);
    kv_buf_dispose(&b);
    return s;
}

static const char *digest_b64(kv_arena_t *ar, api_ck_algo_t a, const uint8_t *p, size_t n)
{
    api_ck_t ck;
    api_ck_init(&ck, a);
    api_ck_update(&ck, p, n);
    uint8_t d[API_CK_MAX];
    size_t dn = api_ck_final(&ck, d);
    api_ck_dispose(&ck);
    return b64(ar, d, dn);
}

static void test_full_object(void **state)
{
    (void)state;
    kv_arena_t *ar = kv_arena_new(4096);
    uint8_t buf[10000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)next();
    size_t cut[] = {0, 3000, 3001, 9999, 10000};
    for (size_t k = 0; k < 3; k++) {
        api_ck_algo_t a = crcs[k];
        const char *parts[4];
        uint64_t sizes[4];
        for (size_t i = 0; i < 4; i++) {
            parts[i] = digest_b64(ar, a, buf + cut[i], cut[i + 1] - cut[i]);
            sizes[i] = cut[i + 1] - cut[i];
        }
        const char *v = s3_ck_full_object(a, parts, sizes, 4, ar);
        assert_non_null(v);
        assert_string_equal(v, digest_b64(ar, a, buf, sizeof(buf)));
        /* a malformed part checksum: no object checksum */
        parts[2] = "not base64!";
        assert_null(s3_ck_full_object(a, parts, sizes, 4, ar));
        parts[2] = "AAAA"; /* three bytes: the wrong length */
        assert_null(s3_ck_full_object(a, parts, sizes, 4, ar));
    }
    /* Hashes have no full-object form of parts. */
    const char *p[1] = {digest_b64(ar, API_CK_SHA256, buf, 10)};
    uint64_t sz[1] = {10};
    assert_null(s3_ck_full_object(API_CK_SHA256, p, sz, 1, ar));
    kv_arena_free(ar);
}

static void test_composite(void **state)
{
    (void)state;
    kv_arena_t *ar = kv_arena_new(4096);
    const uint8_t *a = (const uint8_t *)"first part", *b = (const uint8_t *)"second";
    api_ck_algo_t algos[] = {API_CK_CRC32, API_CK_CRC32C, API_CK_SHA1, API_CK_SHA256};
    for (size_t k = 0; k < 4; k++) {
        api_ck_algo_t al = algos[k];
        const char *parts[2] = {digest_b64(ar, al, a, 10), digest_b64(ar, al, b, 6)};
        /* the checksum of the raw part checksums, concatenated */
        uint8_t raw[2 * API_CK_MAX];
        assert_true(s3_ck_decode(al, parts[0], raw));
        assert_true(s3_ck_decode(al, parts[1], raw + s3_ck_len(al)));
        const char *want = digest_b64(ar, al, raw, 2 * s3_ck_len(al));
        const char *v = s3_ck_composite(al, parts, 2, ar);
        assert_non_null(v);
        assert_string_equal(v, kv_arena_printf(ar, "%s-2", want));
        const char *one = s3_ck_composite(al, parts, 1, ar);
        assert_non_null(one);
        assert_string_equal(one + strlen(one) - 2, "-1");
    }
    /* CRC64NVME is full-object only. */
    const char *p[1] = {digest_b64(ar, API_CK_CRC64NVME, a, 10)};
    assert_null(s3_ck_composite(API_CK_CRC64NVME, p, 1, ar));
    assert_null(s3_ck_composite(API_CK_CRC32, p, 1, ar)); /* 8 bytes is not a CRC32 */
    assert_null(s3_ck_composite(API_CK_CRC32, p, 0, ar));
    kv_arena_free(ar);
}

static void test_names_and_types(void **state)
{
    (void)state;
    assert_int_equal(s3_ck_named(kv_slice_str("crc32")), API_CK_CRC32);
    assert_int_equal(s3_ck_named(kv_slice_str("CRC32C")), API_CK_CRC32C);
    assert_int_equal(s3_ck_named(kv_slice_str("Crc64Nvme")), API_CK_CRC64NVME);
    assert_int_equal(s3_ck_named(kv_slice_str("SHA256")), API_CK_SHA256);
    assert_int_equal(s3_ck_named(kv_slice_str("MD5")), API_CK_NONE);
    assert_int_equal(s3_ck_named(kv_slice_str("")), API_CK_NONE);
    assert_int_equal(s3_ck_len(API_CK_CRC64NVME), 8);
    assert_int_equal(s3_ck_len(API_CK_SHA1), 20);
    assert_int_equal(s3_ck_types(API_CK_CRC64NVME), S3_CKT_FULL_OBJECT);
    assert_int_equal(s3_ck_types(API_CK_SHA1), S3_CKT_COMPOSITE);
    assert_int_equal(s3_ck_types(API_CK_CRC32C), S3_CKT_COMPOSITE | S3_CKT_FULL_OBJECT);
    assert_int_equal(s3_ck_types(API_CK_NONE), 0);
}

static void test_parts_hash(void **state)
{
    (void)state;
    uint32_t n1[] = {1, 2}, n2[] = {1, 3};
    const char *e1[] = {"aa", "bb"}, *e2[] = {"aa", "bc"}, *e3[] = {"aab", "b"};
    uint64_t h = s3_parts_hash(n1, e1, 2);
    assert_true(h == s3_parts_hash(n1, e1, 2));
    assert_true(h != s3_parts_hash(n2, e1, 2));
    assert_true(h != s3_parts_hash(n1, e2, 2));
    assert_true(h != s3_parts_hash(n1, e3, 2)); /* boundaries count */
    assert_true(h != s3_parts_hash(n1, e1, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_values),    cmocka_unit_test(test_combine_two),
        cmocka_unit_test(test_combine_many),    cmocka_unit_test(test_combine_large_length),
        cmocka_unit_test(test_full_object),     cmocka_unit_test(test_composite),
        cmocka_unit_test(test_names_and_types), cmocka_unit_test(test_parts_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
