/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 17, package E: the Ion text writer of DynamoDB's ION exports: decimals in DynamoDB's
 * form (103. 6d2 12.5 0.05 1d-10 0.), strings and quoted symbols escaped, blobs, the annotated
 * sets, nested lists and structs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "ddb/ddb_ion.h"

static void num_is(const char *text, const char *ion)
{
    eng_num_t n;
    assert_int_equal(eng_num_parse(kv_slice_str(text), &n), ENG_NUM_OK);
    kv_buf_t b;
    kv_buf_init(&b, 1024);
    ddb_ion_write_decimal(&b, &n);
    kv_buf_append_byte(&b, 0);
    assert_string_equal((const char *)b.p, ion);
    kv_buf_dispose(&b);
}

static void test_decimals(void **state)
{
    (void)state;
    num_is("103", "103.");
    num_is("600", "6d2");
    num_is("2000", "2d3");
    num_is("12.5", "12.5");
    num_is("0.05", "0.05");
    num_is("0.000001", "0.000001");
    num_is("0.0000001", "1d-7");
    num_is("1E-10", "1d-10");
    num_is("-7", "-7.");
    num_is("-0.125", "-0.125");
    num_is("0", "0.");
    num_is("1E+125", "1d125");
    num_is("1E-130", "1d-130");
    num_is("12345678901234567890123456789012345678", "12345678901234567890123456789012345678.");
    num_is("1.5E+3", "15d2");
}

static void sym_is(const char *name, const char *ion)
{
    kv_buf_t b;
    kv_buf_init(&b, 1024);
    ddb_ion_write_symbol(&b, kv_slice_str(name));
    kv_buf_append_byte(&b, 0);
    assert_string_equal((const char *)b.p, ion);
    kv_buf_dispose(&b);
}

static void test_symbols_and_strings(void **state)
{
    (void)state;
    sym_is("Item", "Item");
    sym_is("a_b9", "a_b9");
    sym_is("null", "'null'");
    sym_is("true", "'true'");
    sym_is("nan", "'nan'");
    sym_is("1abc", "'1abc'");
    sym_is("a-b", "'a-b'");
    sym_is("$dynamodb_SS", "'$dynamodb_SS'");
    sym_is("it's", "'it\\'s'");
    sym_is("", "''");
    kv_buf_t b;
    kv_buf_init(&b, 1024);
    ddb_ion_write_string(&b, kv_slice("q\"b\\n\nt\t\x01\x7f\0\xc3\xbc", 13));
    kv_buf_append_byte(&b, 0);
    assert_string_equal((const char *)b.p, "\"q\\\"b\\\\n\\nt\\t\\x01\\x7f\\0\xc3\xbc\"");
    kv_buf_dispose(&b);
}

static void test_item(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    eng_av_t *s = kv_arena_calloc(a, 1, sizeof(*s)), *n = kv_arena_calloc(a, 1, sizeof(*n));
    s->t = ENG_AV_S, s->u.s = kv_slice_str("v");
    n->t = ENG_AV_N, n->u.s = kv_slice_str("400");
    eng_av_t *bin = kv_arena_calloc(a, 1, sizeof(*bin));
    bin->t = ENG_AV_B, bin->u.s = kv_slice("\x00\x01\xff", 3);
    eng_av_t *ss = kv_arena_calloc(a, 1, sizeof(*ss));
    kv_slice_t ssv[2] = {kv_slice_str("a"), kv_slice_str("b")};
    ss->t = ENG_AV_SS, ss->n = 2, ss->u.set = ssv;
    eng_av_t *ns = kv_arena_calloc(a, 1, sizeof(*ns));
    kv_slice_t nsv[2] = {kv_slice_str("1"), kv_slice_str("2.5")};
    ns->t = ENG_AV_NS, ns->n = 2, ns->u.set = nsv;
    eng_av_t *bs = kv_arena_calloc(a, 1, sizeof(*bs));
    kv_slice_t bsv[1] = {kv_slice_str("hi")};
    bs->t = ENG_AV_BS, bs->n = 1, bs->u.set = bsv;
    eng_av_t *nul = kv_arena_calloc(a, 1, sizeof(*nul)), *t = kv_arena_calloc(a, 1, sizeof(*t));
    nul->t = ENG_AV_NULL;
    t->t = ENG_AV_BOOL, t->u.b = true;
    eng_av_t *l = kv_arena_calloc(a, 1, sizeof(*l));
    eng_av_t *lv[3] = {n, nul, t};
    l->t = ENG_AV_L, l->n = 3, l->u.l = lv;
    eng_av_t *m = kv_arena_calloc(a, 1, sizeof(*m));
    eng_attr_t mv[2] = {{kv_slice_str("in ner"), s}, {kv_slice_str("x"), l}};
    m->t = ENG_AV_M, m->n = 2, m->u.m = mv;
    eng_av_t *em = kv_arena_calloc(a, 1, sizeof(*em));
    em->t = ENG_AV_M;
    eng_attr_t attrs[] = {{kv_slice_str("pk"), s},  {kv_slice_str("b"), bin},
                          {kv_slice_str("ss"), ss}, {kv_slice_str("ns"), ns},
                          {kv_slice_str("bs"), bs}, {kv_slice_str("m"), m},
                          {kv_slice_str("e"), em}};
    eng_item_t it = {attrs, sizeof(attrs) / sizeof(attrs[0])};
    kv_buf_t b;
    kv_buf_init(&b, 4096);
    ddb_ion_write_item(&b, &it);
    kv_buf_append_byte(&b, 0);
    assert_string_equal((const char *)b.p, "{pk:\"v\",b:{{AAH/}},ss:$dynamodb_SS::[\"a\",\"b\"],"
                                           "ns:$dynamodb_NS::[1.,2.5],bs:$dynamodb_BS::[{{aGk=}}],"
                                           "m:{'in ner':\"v\",x:[4d2,null,true]},e:{}}");
    kv_buf_dispose(&b);
    kv_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimals),
        cmocka_unit_test(test_symbols_and_strings),
        cmocka_unit_test(test_item),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
