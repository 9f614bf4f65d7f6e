/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key codec: table-driven number parsing/formatting cases, and property tests
 * (round trip; byte order of encodings equals the logical order) over
 * thousands of random values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "base/kv_err.h"
#include "eng_keys.h"

typedef struct num_case {
    const char *in;
    const char *canon; /* NULL: refused */
    eng_num_status_t st;
} num_case_t;

static const num_case_t cases[] = {
    {"0", "0", ENG_NUM_OK},
    {"-0", "0", ENG_NUM_OK},
    {"+0", "0", ENG_NUM_OK},
    {"0.000", "0", ENG_NUM_OK},
    {"0E10", "0", ENG_NUM_OK},
    {"000", "0", ENG_NUM_OK},
    {"1", "1", ENG_NUM_OK},
    {"1.0", "1", ENG_NUM_OK},
    {"10E-1", "1", ENG_NUM_OK},
    {"0.1e1", "1", ENG_NUM_OK},
    {"+1", "1", ENG_NUM_OK},
    {"001.000", "1", ENG_NUM_OK},
    {"-1", "-1", ENG_NUM_OK},
    {"-1.50", "-1.5", ENG_NUM_OK},
    {".5", "0.5", ENG_NUM_OK},
    {"5.", "5", ENG_NUM_OK},
    {"1e2", "100", ENG_NUM_OK},
    {"1E+2", "100", ENG_NUM_OK},
    {"1.5E3", "1500", ENG_NUM_OK},
    {"-2.5e-3", "-0.0025", ENG_NUM_OK},
    {"123.456", "123.456", ENG_NUM_OK},
    {"0.000123", "0.000123", ENG_NUM_OK},
    {"100", "100", ENG_NUM_OK},
    {"1000000", "1000000", ENG_NUM_OK},
    {"12345678901234567890123456789012345678", "12345678901234567890123456789012345678",
     ENG_NUM_OK},
    {"-12345678901234567890123456789012345678", "-12345678901234567890123456789012345678",
     ENG_NUM_OK},
    {"0.12345678901234567890123456789012345678", "0.12345678901234567890123456789012345678",
     ENG_NUM_OK},
    {"123456789012345678901234567890123456780", "123456789012345678901234567890123456780",
     ENG_NUM_OK},
    {"1.2345678901234567890123456789012345678E10", "12345678901.234567890123456789012345678",
     ENG_NUM_OK},
    {"1E-130", NULL, ENG_NUM_OK},
    {"9.9999999999999999999999999999999999999E+125", NULL, ENG_NUM_OK},
    {"1E125", NULL, ENG_NUM_OK},
    {"-1E125", NULL, ENG_NUM_OK},
    {"1E126", NULL, ENG_NUM_OVERFLOW},
    {"-1E126", NULL, ENG_NUM_OVERFLOW},
    {"10E125", NULL, ENG_NUM_OVERFLOW},
    {"1E-131", NULL, ENG_NUM_UNDERFLOW},
    {"0.1E-130", NULL, ENG_NUM_UNDERFLOW},
    {"-1E-131", NULL, ENG_NUM_UNDERFLOW},
    {"1E999999999999", NULL, ENG_NUM_OVERFLOW},
    {"1E-999999999999", NULL, ENG_NUM_UNDERFLOW},
    {"0E999999999999", "0", ENG_NUM_OK},
    {"123456789012345678901234567890123456789", NULL, ENG_NUM_PRECISION},
    {"1.23456789012345678901234567890123456789", NULL, ENG_NUM_PRECISION},
    {"0.000000000000000000000000000000000000000000001234567890123456789012345678901234567891", NULL,
     ENG_NUM_PRECISION},
    {"", NULL, ENG_NUM_SYNTAX},
    {"+", NULL, ENG_NUM_SYNTAX},
    {"-", NULL, ENG_NUM_SYNTAX},
    {".", NULL, ENG_NUM_SYNTAX},
    {"e5", NULL, ENG_NUM_SYNTAX},
    {"1e", NULL, ENG_NUM_SYNTAX},
    {"1e+", NULL, ENG_NUM_SYNTAX},
    {"1.2.3", NULL, ENG_NUM_SYNTAX},
    {"1,5", NULL, ENG_NUM_SYNTAX},
    {" 1", NULL, ENG_NUM_SYNTAX},
    {"1 ", NULL, ENG_NUM_SYNTAX},
    {"0x10", NULL, ENG_NUM_SYNTAX},
    {"NaN", NULL, ENG_NUM_SYNTAX},
    {"Infinity", NULL, ENG_NUM_SYNTAX},
    {"--1", NULL, ENG_NUM_SYNTAX},
    {"1e5.5", NULL, ENG_NUM_SYNTAX},
    {"1ee5", NULL, ENG_NUM_SYNTAX},
    {"١", NULL, ENG_NUM_SYNTAX},
};

static void test_num_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        eng_num_t n;
        eng_num_status_t st = eng_num_parse(kv_slice_str(cases[i].in), &n);
        if (st != cases[i].st)
            fail_msg("case %zu '%s': status %d, want %d", i, cases[i].in, st, cases[i].st);
        if (st == ENG_NUM_OK && cases[i].canon) {
            kv_buf_t b;
            kv_buf_init(&b, 4096);
            eng_num_format(&n, &b);
            kv_buf_append_byte(&b, 0);
            assert_string_equal((char *)b.p, cases[i].canon);
            kv_buf_dispose(&b);
        }
    }
}

static void enc(const char *s, kv_buf_t *b)
{
    eng_num_t n;
    kv_buf_reset(b);
    assert_int_equal(eng_num_parse(kv_slice_str(s), &n), ENG_NUM_OK);
    eng_num_encode(&n, b);
}

static void test_num_spellings_equal(void **state)
{
    (void)state;
    static const char *same[][6] = {
        {"1", "1.0", "10E-1", "0.1e1", "+1", "001.000"},
        {"-250", "-2.5e2", "-250.000", "-0.25E3", "-2500e-1", "-250"},
        {"0", "-0", "0.0", "0e-5", "+0.00", "00"},
        {"0.001", "1e-3", "1E-3", "0.0010", "10e-4", ".001"},
    };
    kv_buf_t a, b;
    kv_buf_init(&a, 256);
    kv_buf_init(&b, 256);
    for (size_t g = 0; g < 4; g++)
        for (size_t i = 1; i < 6; i++) {
            enc(same[g][0], &a);
            enc(same[g][i], &b);
            assert_int_equal(a.len, b.len);
            assert_memory_equal(a.p, b.p, a.len);
        }
    kv_buf_dispose(&a);
    kv_buf_dispose(&b);
}

static int sgn(double x)
{
    return (x > 0) - (x < 0);
}

static int memsgn(const kv_buf_t *a, const kv_buf_t *b)
{
    int c = kv_slice_cmp(kv_buf_slice(a), kv_buf_slice(b));
    return (c > 0) - (c < 0);
}

/* A random number text with up to 15 significant digits in a random spelling. */
static void rand_num(char *out, size_t cap)
{
    int nd = 1 + rand() % 15;
    char digits[32];
    for (int i = 0; i < nd; i++)
        digits[i] = (char)('0' + rand() % 10);
    digits[nd] = 0;
    int exp = rand() % 80 - 40;
    const char *sign = rand() % 2 ? "-" : (rand() % 4 ? "" : "+");
    switch (rand() % 3) {
    case 0:
        snprintf(out, cap, "%s%se%d", sign, digits, exp);
        break;
    case 1:
        snprintf(out, cap, "%s0.%sE%+d", sign, digits, exp);
        break;
    default:
        snprintf(out, cap, "%s%s", sign, digits);
    }
}

static void test_num_order_property(void **state)
{
    (void)state;
    srand(12345);
    kv_buf_t a, b;
    kv_buf_init(&a, 256);
    kv_buf_init(&b, 256);
    for (int i = 0; i < 20000; i++) {
        char x[64], y[64];
        rand_num(x, sizeof(x));
        rand_num(y, sizeof(y));
        double dx = strtod(x, NULL), dy = strtod(y, NULL);
        enc(x, &a);
        enc(y, &b);
        if (memsgn(&a, &b) != sgn(dx - dy))
            fail_msg("order of %s and %s", x, y);
        eng_num_t nx, ny;
        eng_num_parse(kv_slice_str(x), &nx);
        eng_num_parse(kv_slice_str(y), &ny);
        int c = eng_num_cmp(&nx, &ny);
        assert_int_equal((c > 0) - (c < 0), sgn(dx - dy));
    }
    kv_buf_dispose(&a);
    kv_buf_dispose(&b);
}

static void test_num_order_38_digits(void **state)
{
    (void)state;
    /* Neighbours at full precision: only the 38th digit differs. */
    static const char *asc[] = {
        "-99999999999999999999999999999999999999E+88",
        "-12345678901234567890123456789012345679",
        "-12345678901234567890123456789012345678",
        "-1E-130",
        "0",
        "1E-130",
        "1.0000000000000000000000000000000000001E-129",
        "0.12345678901234567890123456789012345678",
        "0.12345678901234567890123456789012345679",
        "1",
        "1.0000000000000000000000000000000000001",
        "12345678901234567890123456789012345678",
        "12345678901234567890123456789012345679",
        "99999999999999999999999999999999999999",
        "100000000000000000000000000000000000000",
        "9.9999999999999999999999999999999999999E+125",
    };
    size_t n = sizeof(asc) / sizeof(*asc);
    kv_buf_t a, b;
    kv_buf_init(&a, 256);
    kv_buf_init(&b, 256);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            enc(asc[i], &a);
            enc(asc[j], &b);
            int want = (i > j) - (i < j);
            if (memsgn(&a, &b) != want)
                fail_msg("order of %s and %s", asc[i], asc[j]);
        }
    kv_buf_dispose(&a);
    kv_buf_dispose(&b);
}

static void test_num_round_trip_property(void **state)
{
    (void)state;
    srand(777);
    kv_buf_t e, t, e2;
    kv_buf_init(&e, 256);
    kv_buf_init(&t, 4096);
    kv_buf_init(&e2, 256);
    for (int i = 0; i < 20000; i++) {
        /* Up to 38 digits, exponents across the whole range. */
        char s[128];
        int nd = 1 + rand() % 38;
        int k = 0;
        if (rand() % 2)
            s[k++] = '-';
        s[k++] = (char)('1' + rand() % 9);
        s[k++] = '.';
        for (int d = 1; d < nd; d++)
            s[k++] = (char)('0' + rand() % 10);
        snprintf(s + k, sizeof(s) - (size_t)k, "E%d", rand() % 255 - 130);
        eng_num_t n, m;
        if (eng_num_parse(kv_slice_str(s), &n) != ENG_NUM_OK)
            continue;
        kv_buf_reset(&e);
        eng_num_encode(&n, &e);
        kv_slice_t in = kv_buf_slice(&e);
        assert_int_equal(eng_num_decode(&in, &m), 0);
        assert_int_equal(in.len, 0);
        assert_int_equal(eng_num_cmp(&n, &m), 0);
        kv_buf_reset(&t);
        eng_num_format(&m, &t);
        /* The canonical text parses back to the same encoding. */
        eng_num_t r;
        assert_int_equal(eng_num_parse(kv_buf_slice(&t), &r), ENG_NUM_OK);
        kv_buf_reset(&e2);
        eng_num_encode(&r, &e2);
        assert_int_equal(e.len, e2.len);
        assert_memory_equal(e.p, e2.p, e.len);
    }
    kv_buf_dispose(&e);
    kv_buf_dispose(&t);
    kv_buf_dispose(&e2);
}

static void test_bytes_property(void **state)
{
    (void)state;
    srand(99);
    kv_buf_t a, b, d;
    kv_buf_init(&a, 1024);
    kv_buf_init(&b, 1024);
    kv_buf_init(&d, 1024);
    for (int i = 0; i < 20000; i++) {
        uint8_t x[16], y[16];
        size_t xl = (size_t)(rand() % 8), yl = (size_t)(rand() % 8);
        for (size_t k = 0; k < xl; k++)
            x[k] = (uint8_t)(rand() % 4 == 0 ? 0 : rand() % 256);
        for (size_t k = 0; k < yl; k++)
            y[k] = (uint8_t)(rand() % 4 == 0 ? 0 : rand() % 256);
        kv_buf_reset(&a);
        kv_buf_reset(&b);
        eng_key_put_bytes(&a, kv_slice(x, xl));
        eng_key_put_bytes(&b, kv_slice(y, yl));
        /* A trailing component must not change the order of the first. */
        eng_key_put_bytes(&a, KV_SLICE_LIT("zz"));
        eng_key_put_bytes(&b, KV_SLICE_LIT("\x00"));
        int want = kv_slice_cmp(kv_slice(x, xl), kv_slice(y, yl));
        want = (want > 0) - (want < 0);
        if (want != 0)
            assert_int_equal(memsgn(&a, &b), want);
        kv_slice_t in = kv_buf_slice(&a);
        kv_buf_reset(&d);
        assert_int_equal(eng_key_get_bytes(&in, &d), 0);
        assert_int_equal(d.len, xl);
        if (xl)
            assert_memory_equal(d.p, x, xl);
    }
    kv_buf_dispose(&a);
    kv_buf_dispose(&b);
    kv_buf_dispose(&d);
}

static void test_item_keys(void **state)
{
    (void)state;
    kv_buf_t pk1, pk2, sk1, sk2, k1, k2;
    kv_buf_init(&pk1, 64);
    kv_buf_init(&pk2, 64);
    kv_buf_init(&sk1, 64);
    kv_buf_init(&sk2, 64);
    kv_buf_init(&k1, 256);
    kv_buf_init(&k2, 256);
    eng_num_status_t why;
    assert_int_equal(eng_key_put_scalar(&pk1, ENG_SCALAR_N, KV_SLICE_LIT("1"), &why), 0);
    assert_int_equal(eng_key_put_scalar(&pk2, ENG_SCALAR_N, KV_SLICE_LIT("10E-1"), &why), 0);
    assert_int_equal(eng_key_put_scalar(&sk1, ENG_SCALAR_S, KV_SLICE_LIT("a"), &why), 0);
    assert_int_equal(eng_key_put_scalar(&sk2, ENG_SCALAR_S, KV_SLICE_LIT("b"), &why), 0);
    eng_key_item(&k1, 7, 0, kv_buf_slice(&pk1), kv_buf_slice(&sk1));
    eng_key_item(&k2, 7, 0, kv_buf_slice(&pk2), kv_buf_slice(&sk2));
    /* Same partition (1 == 10E-1): same 13-byte prefix, sort keys in order. */
    assert_memory_equal(k1.p, k2.p, 13 + pk1.len);
    assert_true(memsgn(&k1, &k2) < 0);
    kv_buf_t bad;
    kv_buf_init(&bad, 64);
    assert_int_equal(eng_key_put_scalar(&bad, ENG_SCALAR_N, KV_SLICE_LIT("1e999"), &why),
                     KV_EINVAL);
    assert_int_equal(why, ENG_NUM_OVERFLOW);
    /* Decode the scalars back. */
    kv_slice_t in = kv_slice(k1.p + 13, k1.len - 13);
    kv_buf_t t;
    kv_buf_init(&t, 64);
    assert_int_equal(eng_key_get_scalar(&in, ENG_SCALAR_N, &t), 0);
    assert_int_equal(t.len, 1);
    assert_int_equal(t.p[0], '1');
    kv_buf_reset(&t);
    assert_int_equal(eng_key_get_scalar(&in, ENG_SCALAR_S, &t), 0);
    assert_int_equal(t.p[0], 'a');
    assert_int_equal(in.len, 0);
    kv_buf_dispose(&t);
    kv_buf_dispose(&bad);
    kv_buf_dispose(&pk1);
    kv_buf_dispose(&pk2);
    kv_buf_dispose(&sk1);
    kv_buf_dispose(&sk2);
    kv_buf_dispose(&k1);
    kv_buf_dispose(&k2);
}

static void test_decode_corrupt(void **state)
{
    (void)state;
    static const uint8_t bad[][4] = {
        {0x09}, {0x03}, {0x03, 0x80}, {0x03, 0x80, 0xB0}, {0x03, 0x80, 0x10, 0x00}};
    static const size_t lens[] = {1, 1, 2, 3, 4};
    for (size_t i = 0; i < 5; i++) {
        eng_num_t n;
        kv_slice_t in = kv_slice(bad[i], lens[i]);
        assert_int_equal(eng_num_decode(&in, &n), KV_ECORRUPT);
    }
    kv_buf_t d;
    kv_buf_init(&d, 64);
    kv_slice_t in = KV_SLICE_LIT("abc");
    assert_int_equal(eng_key_get_bytes(&in, &d), KV_ECORRUPT);
    in = KV_SLICE_LIT("a\x00\x05");
    assert_int_equal(eng_key_get_bytes(&in, &d), KV_ECORRUPT);
    kv_buf_dispose(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num_cases),
        cmocka_unit_test(test_num_spellings_equal),
        cmocka_unit_test(test_num_order_property),
        cmocka_unit_test(test_num_order_38_digits),
        cmocka_unit_test(test_num_round_trip_property),
        cmocka_unit_test(test_bytes_property),
        cmocka_unit_test(test_item_keys),
        cmocka_unit_test(test_decode_corrupt),
    };
    return cmocka_run_group_tests_name("eng_keys", tests, NULL, NULL);
}
