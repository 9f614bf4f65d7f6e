/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON reader (api/codec/api_json_r.c, issue 18: decoded into the request's arena): every
 * value type; escapes, surrogate pairs and \u0000 (in a value, not in a key); invalid UTF-8
 * and stray control bytes refused; integers to int64_t's limits and one past; reals and
 * overflow; a repeated key keeps its first place and its last value, in small objects and in
 * large ones (sorted index); lookups in a large object; the depth limit; the memory budget;
 * a scalar at the top and trailing bytes refused; and the compact text api_json_dump writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_err.h"
#include "codec/api_json_r.h"

static kv_arena_t *A;

static int setup(void **state)
{
    (void)state;
    A = kv_arena_new(4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kv_arena_free(A);
    return 0;
}

static api_json_t *parse_ok(const char *text)
{
    api_json_t *v = NULL;
    const char *err = NULL;
    int rc = api_json_parse(A, kv_slice(text, strlen(text)), &v, &err);
    if (rc != 0)
        fail_msg("parse of %s failed: %s", text, err ? err : "?");
    return v;
}

static int parse_rc(const void *text, size_t n)
{
    api_json_t *v = NULL;
    const char *err = NULL;
    int rc = api_json_parse(A, kv_slice(text, n), &v, &err);
    if (rc != 0)
        assert_non_null(err);
    return rc;
}

#define BAD(lit) assert_int_equal(parse_rc(lit, sizeof(lit) - 1), KV_EINVAL)

static void test_types(void **state)
{
    (void)state;
    api_json_t *v = parse_ok(" {\"s\":\"x\", \"i\":-42, \"r\":2.5e1, \"t\":true, \"f\":false, "
                             "\"n\":null, \"a\":[1,[],{}], \"o\":{\"k\":\"v\"}} ");
    assert_int_equal(api_json_type(v), API_J_OBJ);
    assert_int_equal(api_json_len(v), 8);
    assert_true(kv_slice_eq_str(api_json_str(api_json_get(v, "s")), "x"));
    int64_t i;
    assert_true(api_json_int(api_json_get(v, "i"), &i));
    assert_int_equal(i, -42);
    double d;
    assert_int_equal(api_json_type(api_json_get(v, "r")), API_J_REAL);
    assert_true(api_json_num(api_json_get(v, "r"), &d));
    assert_true(d == 25.0);
    assert_true(api_json_int(api_json_get(v, "r"), &i)); /* an integral real */
    assert_int_equal(i, 25);
    assert_true(api_json_bool(api_json_get(v, "t")));
    assert_false(api_json_bool(api_json_get(v, "f")));
    assert_int_equal(api_json_type(api_json_get(v, "f")), API_J_BOOL);
    assert_int_equal(api_json_type(api_json_get(v, "n")), API_J_NULL);
    api_json_t *a = api_json_get(v, "a");
    assert_int_equal(api_json_len(a), 3);
    assert_int_equal(api_json_type(api_json_at(a, 1)), API_J_ARR);
    assert_int_equal(api_json_type(api_json_at(a, 2)), API_J_OBJ);
    assert_null(api_json_at(a, 3));
    assert_null(api_json_get(v, "missing"));
    assert_null(api_json_get(a, "s")); /* not an object */
    assert_int_equal(api_json_str(api_json_get(v, "i")).len, 0);
    /* iteration in document order */
    void *it = NULL;
    const char *k;
    api_json_t *val;
    const char *want[] = {"s", "i", "r", "t", "f", "n", "a", "o"};
    for (size_t n = 0; n < 8; n++) {
        assert_true(api_json_next(v, &it, &k, &val));
        assert_string_equal(k, want[n]);
    }
    assert_false(api_json_next(v, &it, &k, &val));
    assert_int_equal(api_json_type(parse_ok("[]")), API_J_ARR);
}

static void test_strings(void **state)
{
    (void)state;
    api_json_t *v = parse_ok("[\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\\ud83d\\ude00\", "
                             "\"nul\\u0000here\", \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]");
    kv_slice_t s = api_json_str(api_json_at(v, 0));
    assert_int_equal(s.len, 9);
    assert_memory_equal(s.p, "a\"\\/\b\f\n\r\t", 9);
    s = api_json_str(api_json_at(v, 1));
    assert_int_equal(s.len, 2 + 3 + 4);
    assert_memory_equal(s.p, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
    s = api_json_str(api_json_at(v, 2));
    assert_int_equal(s.len, 8);
    assert_memory_equal(s.p, "nul\0here", 8);
    s = api_json_str(api_json_at(v, 3));
    assert_int_equal(s.len, 9);
    BAD("{\"a\\u0000b\":1}");      /* NUL in a key */
    BAD("[\"\\ud83d\"]");          /* lone high surrogate */
    BAD("[\"\\ude00\"]");          /* lone low surrogate */
    BAD("[\"\\ud83d\\u0041\"]");   /* high surrogate, then no low one */
    BAD("[\"\\x\"]");              /* unknown escape */
    BAD("[\"\\u12G4\"]");          /* bad hex */
    BAD("[\"tab\there\"]");        /* a raw control byte */
    BAD("[\"\xc3\"]");             /* cut-short sequence */
    BAD("[\"\xc0\xaf\"]");         /* overlong */
    BAD("[\"\xed\xa0\x80\"]");     /* an encoded surrogate */
    BAD("[\"\xf4\x90\x80\x80\"]"); /* past U+10FFFF */
    BAD("[\"\xff\"]");
    BAD("[\"open");
    BAD("[\"\\");
}

static void test_numbers(void **state)
{
    (void)state;
    api_json_t *v = parse_ok("[9223372036854775807, -9223372036854775808, -0, 0.5, 1E2, 1e-400]");
    int64_t i;
    assert_true(api_json_int(api_json_at(v, 0), &i));
    assert_true(i == INT64_MAX);
    assert_true(api_json_int(api_json_at(v, 1), &i));
    assert_true(i == INT64_MIN);
    assert_true(api_json_int(api_json_at(v, 2), &i));
    assert_int_equal(i, 0);
    assert_false(api_json_int(api_json_at(v, 3), &i));
    double d;
    assert_true(api_json_num(api_json_at(v, 4), &d) && d == 100.0);
    assert_true(api_json_num(api_json_at(v, 5), &d) && d == 0.0); /* underflow is 0 */
    BAD("[9223372036854775808]");
    BAD("[-9223372036854775809]");
    BAD("[1e400]");
    BAD("[01]");
    BAD("[1.]");
    BAD("[.5]");
    BAD("[1e]");
    BAD("[-]");
    BAD("[+1]");
    BAD("[0x10]");
    BAD("[tru]");
    BAD("[nul]");
    BAD("[truex]");
    /* a number token longer than the reader's stack buffer */
    char big[200] = "[";
    memset(big + 1, '1', 100);
    memcpy(big + 101, ".5]", 4);
    v = parse_ok(big);
    assert_true(api_json_num(api_json_at(v, 0), &d) && d > 1e99);
}

static void test_repeated_keys(void **state)
{
    (void)state;
    api_json_t *v = parse_ok("{\"a\":1,\"b\":2,\"a\":3}");
    assert_int_equal(api_json_len(v), 2);
    int64_t i;
    assert_true(api_json_int(api_json_get(v, "a"), &i));
    assert_int_equal(i, 3);
    void *it = NULL;
    const char *k;
    api_json_t *val;
    assert_true(api_json_next(v, &it, &k, &val));
    assert_string_equal(k, "a"); /* the first place */
    assert_true(api_json_int(val, &i));
    assert_int_equal(i, 3); /* the last value */
    /* a large object: a sorted index, repeats anywhere */
    kv_buf_t t;
    kv_buf_init(&t, 1 << 20);
    kv_buf_append_byte(&t, '{');
    for (int n = 0; n < 500; n++)
        kv_buf_printf(&t, "%s\"k%03d\":%d", n ? "," : "", n % 300, n);
    kv_buf_append_str(&t, "}");
    kv_buf_append_byte(&t, 0);
    v = parse_ok((const char *)t.p);
    assert_int_equal(api_json_len(v), 300);
    for (int n = 0; n < 300; n++) {
        char key[16];
        snprintf(key, sizeof(key), "k%03d", n);
        assert_true(api_json_int(api_json_get(v, key), &i));
        assert_int_equal(i, n < 200 ? n + 300 : n); /* 0..199 repeat at 300..499 */
    }
    assert_null(api_json_get(v, "k300"));
    assert_null(api_json_get(v, ""));
    it = NULL;
    for (int n = 0; n < 300; n++) {
        char key[16];
        snprintf(key, sizeof(key), "k%03d", n);
        assert_true(api_json_next(v, &it, &k, &val));
        assert_string_equal(k, key);
    }
    kv_buf_dispose(&t);
}

static void test_structure(void **state)
{
    (void)state;
    BAD("\"top\"");
    BAD("42");
    BAD("");
    BAD("   ");
    BAD("{} x");
    BAD("{}{}");
    BAD("{\"a\" 1}");
    BAD("{\"a\":1,}");
    BAD("{a:1}");
    BAD("[1,]");
    BAD("[1 2]");
    BAD("[");
    BAD("{");
    BAD("{\"a\":");
    assert_non_null(parse_ok("\t\r\n{ \"a\" : [ 1 , 2 ] }\n"));
    /* depth: 101 levels of arrays are fine, a value at level 101 is not */
    char deep[260];
    memset(deep, '[', 101);
    memset(deep + 101, ']', 101);
    deep[202] = 0;
    assert_non_null(parse_ok(deep));
    memset(deep, '[', 101);
    deep[101] = '1';
    memset(deep + 102, ']', 101);
    deep[203] = 0;
    assert_int_equal(parse_rc(deep, strlen(deep)), KV_EINVAL);
}

static void test_budget(void **state)
{
    (void)state;
    /* 16 MiB of one-byte values: far over the budget, refused before it is built */
    size_t n = 16u << 20;
    char *t = malloc(n);
    t[0] = '[';
    for (size_t i = 1; i + 1 < n; i += 2) {
        t[i] = '1';
        t[i + 1] = ',';
    }
    t[n - 2] = '1';
    t[n - 1] = ']';
    assert_int_equal(parse_rc(t, n), KV_ETOOBIG);
    free(t);
}

static void dump_is(const char *text, const char *want)
{
    api_json_t *v = parse_ok(text);
    kv_buf_t b;
    kv_buf_init(&b, 1 << 20);
    assert_true(api_json_dump(v, &b));
    kv_buf_append_byte(&b, 0);
    assert_string_equal((const char *)b.p, want);
    kv_buf_dispose(&b);
}

static void test_dump(void **state)
{
    (void)state;
    dump_is(" { \"b\" : [1, -2, true, false, null], \"a\" : {} } ",
            "{\"b\":[1,-2,true,false,null],\"a\":{}}");
    dump_is("[1.0, 2.5, 1e5, 1.5e-7, 1e100, 0.1]",
            "[1.0,2.5,100000.0,1.4999999999999999e-7,1e100,0.10000000000000001]");
    dump_is("[\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\\u0000\\u00e9\"]",
            "[\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001F\\u0000\xc3\xa9\"]");
    dump_is("{\"k\":1,\"k\":2}", "{\"k\":2}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
    };
    return cmocka_run_group_tests_name("api_json", tests, NULL, NULL);
}
