/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The import's readers (issue 17, package I): the Ion text reader (every DynamoDB type, Ion's
 * number, string and blob forms, comments, version markers, the record scanner across lines,
 * and what it refuses) and the CSV record splitter (RFC 4180 quoting).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_alloc.h"
#include "ddb/ddb_int.h"
#include "ddb/ddb_ion.h"

static eng_av_t *attr(eng_item_t *it, const char *name)
{
    eng_av_t *v = eng_item_get_attr(it, kv_slice_str(name));
    assert_non_null(v);
    return v;
}

static void assert_slice(kv_slice_t s, const char *want, size_t n)
{
    assert_int_equal(s.len, n);
    assert_memory_equal(s.p, want, n);
}

static int ion(kv_arena_t *a, const char *text, eng_item_t **it, char *err)
{
    return ddb_ion_read_item(a, kv_slice_str(text), it, err, 256);
}

static void test_ion_types(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    eng_item_t *it;
    char err[256];
    const char *text =
        "$ion_1_0 /* c */ {Item:{s:\"h\\u00e9\\x41\\U0001F600\", 'q n':'''ab''' '''cd''', "
        "n1:1., n2:-12.50d0, n3:0x1F, n4:1_000, n5:2.5e3, b:{{ AAE= }}, c:{{\"xy\"}}, t:true, "
        "f:false, z:null, zs:null.string, l:[1., \"a\", [], {}], m:{\"k\":{}}, "
        "ss:$dynamodb_SS::[\"a\",\"b\"], ns:$dynamodb_NS::[1.,2.], bs:$dynamodb_BS::[{{YQ==}}],"
        "}} // end\n";
    assert_int_equal(ion(a, text, &it, err), 1);
    assert_slice(attr(it, "s")->u.s,
                 "h\xc3\xa9"
                 "A\xf0\x9f\x98\x80",
                 8);
    assert_slice(attr(it, "q n")->u.s, "abcd", 4);
    assert_slice(attr(it, "n1")->u.s, "1", 1);
    assert_slice(attr(it, "n2")->u.s, "-12.5", 5);
    assert_slice(attr(it, "n3")->u.s, "31", 2);
    assert_slice(attr(it, "n4")->u.s, "1000", 4);
    assert_slice(attr(it, "n5")->u.s, "2500", 4);
    assert_int_equal(attr(it, "b")->t, ENG_AV_B);
    assert_slice(attr(it, "b")->u.s, "\x00\x01", 2);
    assert_slice(attr(it, "c")->u.s, "xy", 2);
    assert_true(attr(it, "t")->u.b);
    assert_int_equal(attr(it, "f")->t, ENG_AV_BOOL);
    assert_int_equal(attr(it, "z")->t, ENG_AV_NULL);
    assert_int_equal(attr(it, "zs")->t, ENG_AV_NULL);
    assert_int_equal(attr(it, "l")->t, ENG_AV_L);
    assert_int_equal(attr(it, "l")->n, 4);
    assert_int_equal(attr(it, "m")->t, ENG_AV_M);
    assert_int_equal(attr(it, "ss")->t, ENG_AV_SS);
    assert_int_equal(attr(it, "ns")->t, ENG_AV_NS);
    assert_int_equal(attr(it, "bs")->t, ENG_AV_BS);
    assert_int_equal(ion(a, "$ion_1_0 // only a marker\n", &it, err), 0);
    assert_int_equal(ion(a, "", &it, err), 0);
    kv_arena_free(a);
}

static void test_ion_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{Item:{a:2007-01-01T}}",
        "{Item:{a:(x y)}}",
        "{Item:{a:sym}}",
        "{Item:{a:nan}}",
        "{Item:{a:\"open}}",
        "{Item:{a:1,}",
        "{Item:{a:$dynamodb_SS::[]}}",
        "{Item:{a:$dynamodb_SS::[\"x\",\"x\"]}}",
        "{Item:{a:$dynamodb_NS::[\"x\"]}}",
        "{NotItem:{a:1}}",
        "{Item:{a:1}} {Item:{a:2}}",
        "[1]",
        "{Item:{a:{{!!}}}}",
        "{Item:{a:1e999999}}",
        "{Item:{a:\"\\ud800\"}}",
        "{Item:{a:other::1}}",
        "/* open",
    };
    kv_arena_t *a = kv_arena_new(4096);
    eng_item_t *it;
    char err[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ion(a, bad[i], &it, err) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_true(err[0] != 0);
    }
    /* nesting beyond DynamoDB's 32 levels */
    char deep[400] = "{Item:{a:";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    for (int i = 0; i < 40; i++)
        strcat(deep, "]");
    strcat(deep, "}}");
    assert_int_equal(ion(a, deep, &it, err), -1);
    kv_arena_free(a);
}

static void test_ion_scan(void **state)
{
    (void)state;
    ddb_ion_scan_t s = {0};
    assert_true(ddb_ion_scan_line(&s, KV_SLICE_LIT("$ion_1_0 {Item:{a:1}}")));
    assert_false(ddb_ion_scan_line(&s, KV_SLICE_LIT("{Item:{a:\"}\", // }")));
    assert_false(ddb_ion_scan_line(&s, KV_SLICE_LIT("b:'''x")));
    assert_false(ddb_ion_scan_line(&s, KV_SLICE_LIT("}}''' /* ")));
    assert_false(ddb_ion_scan_line(&s, KV_SLICE_LIT("}} */ }")));
    assert_true(ddb_ion_scan_line(&s, KV_SLICE_LIT("}")));
    /* base64's / and + are no comment (an export writes {{//8=}} for 0xFF 0xFF) */
    memset(&s, 0, sizeof(s));
    assert_true(ddb_ion_scan_line(&s, KV_SLICE_LIT("$ion_1_0 {Item:{b:{{//8=}},c:{{/*+/}}}}")));
    assert_false(ddb_ion_scan_line(&s, KV_SLICE_LIT("{Item:{b:{{ //8=")));
    assert_false(ddb_ion_scan_line(&s, KV_SLICE_LIT("/w== }}, c:{{ \"}}\" }}, d:{{'''}}")));
    assert_false(ddb_ion_scan_line(&s, KV_SLICE_LIT("}}''' }}")));
    assert_true(ddb_ion_scan_line(&s, KV_SLICE_LIT("}}")));
}

static void test_ion_lob_slashes(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    eng_item_t *it;
    char err[256];
    assert_int_equal(ion(a,
                         "$ion_1_0 {Item:{b:{{//8=}},c:{{ /+/+ }},d:{{\n//\n8=}},"
                         "bs:$dynamodb_BS::[{{/w==}},{{}}]}}",
                         &it, err),
                     1);
    assert_slice(attr(it, "b")->u.s, "\xff\xff", 2);
    assert_slice(attr(it, "c")->u.s, "\xff\xef\xfe", 3);
    assert_slice(attr(it, "d")->u.s, "\xff\xff", 2);
    assert_int_equal(attr(it, "bs")->t, ENG_AV_BS);
    /* a comment is no lob content */
    assert_int_equal(ion(a, "$ion_1_0 {Item:{b:{{ // c\n AAE= }}}}", &it, err), -1);
    kv_arena_free(a);
}

static void test_csv(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    kv_slice_t f[8];
    assert_int_equal(ddb_csv_split(a, KV_SLICE_LIT("a,b,c\n"), ',', f, 8), 3);
    assert_slice(f[2], "c", 1);
    assert_int_equal(ddb_csv_split(a, KV_SLICE_LIT("\"x,\"\"y\"\"\",,\"l1\nl2\"\r\n"), ',', f, 8),
                     3);
    assert_slice(f[0], "x,\"y\"", 5);
    assert_int_equal(f[1].len, 0);
    assert_slice(f[2], "l1\nl2", 5);
    assert_int_equal(ddb_csv_split(a, KV_SLICE_LIT("a;b"), ';', f, 8), 2);
    assert_int_equal(ddb_csv_split(a, KV_SLICE_LIT("\"open"), ',', f, 8), -1);
    assert_int_equal(ddb_csv_split(a, KV_SLICE_LIT("\"a\"b"), ',', f, 8), -1);
    assert_int_equal(ddb_csv_split(a, KV_SLICE_LIT("a\"b"), ',', f, 8), -1);
    assert_int_equal(ddb_csv_split(a, KV_SLICE_LIT("1,2,3"), ',', f, 2), -1);
    bool q = false;
    assert_false(ddb_csv_scan_line(&q, KV_SLICE_LIT("1,\"two")));
    assert_true(ddb_csv_scan_line(&q, KV_SLICE_LIT("lines\",\"\"\"\"")));
    kv_arena_free(a);
}

/* A record of many quoted fields before a long one: the split's memory stays linear in the
 * record (each quoted field once took a buffer as long as the rest of the record). */
static void test_csv_memory(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    size_t nq = 4000, tail = 1u << 20;
    size_t len = nq * 3 + tail;
    char *rec = kv_malloc(len);
    for (size_t i = 0; i < nq; i++)
        memcpy(rec + 3 * i, "\"\",", 3);
    memset(rec + 3 * nq, 'x', tail);
    kv_slice_t *f = kv_calloc(DDB_CSV_MAX_FIELDS, sizeof(*f));
    assert_int_equal(ddb_csv_split(a, kv_slice(rec, len), ',', f, DDB_CSV_MAX_FIELDS), (int)nq + 1);
    assert_int_equal(f[0].len, 0);
    assert_int_equal(f[nq].len, tail);
    assert_true(kv_arena_used(a) < 4 * len);
    kv_free(f);
    kv_free(rec);
    kv_arena_free(a);
}

/* Ion text is UTF-8: a string, a field name or a CSV record that is not is refused, and an
 * item may not name an attribute twice. */
static void test_ion_utf8_dups(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    eng_item_t *it;
    char err[256];
    assert_int_equal(ion(a, "{Item:{k:\"a\xff\"}}", &it, err), -1);
    assert_int_equal(ion(a, "{Item:{k:\"\xc3\"}}", &it, err), -1);
    assert_int_equal(ion(a, "{Item:{'\xed\xa0\x80':\"a\"}}", &it, err), -1);
    assert_int_equal(ion(a, "{Item:{k:\"\xc3\xa9\xf0\x9f\x98\x80\"}}", &it, err), 1);
    assert_int_equal(ion(a, "{Item:{k:\"a\", k:\"b\"}}", &it, err), -1);
    assert_int_equal(ion(a, "{Item:{k:\"a\", m:{x:1, y:2, x:3}}}", &it, err), -1);
    assert_int_equal(ion(a, "{Item:{k:\"a\", m:{x:1, y:2}, l:[{x:1}, {x:2}]}}", &it, err), 1);
    assert_true(ddb_utf8_valid(KV_SLICE_LIT("ok \xc3\xa9")));
    assert_false(ddb_utf8_valid(KV_SLICE_LIT("\xc0\x80")));         /* overlong */
    assert_false(ddb_utf8_valid(KV_SLICE_LIT("\xf4\x90\x80\x80"))); /* past U+10FFFF */
    kv_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ion_types),       cmocka_unit_test(test_ion_refused),
        cmocka_unit_test(test_ion_scan),        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_memory),      cmocka_unit_test(test_ion_utf8_dups),
        cmocka_unit_test(test_ion_lob_slashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
