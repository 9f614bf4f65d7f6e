/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multi-attribute GSI keys (issue 17, package M) in the engine: the catalog keeps every key
 * attribute across a reopen; index entries sort by the RANGE attributes left to right (S and B
 * by unsigned bytes, N numerically) whatever the values' lengths, zero bytes or spellings; a
 * Query with equalities on a prefix of them and one condition on the next returns exactly the
 * matching entries, in order both ways; an item missing any key attribute is not indexed.
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
#include "eng.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/stratus-mk-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
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
    eng_opts_t o = {.dir = dir, .fsync = ENG_FSYNC_NONE};
    eng_t *e = NULL;
    assert_int_equal(eng_open(&o, &e), 0);
    return e;
}

/* Values the items draw from: strings with shared prefixes and zero bytes, numbers with
 * negatives, decimals and several spellings of one value, binaries with 00 and FF. */
static const kv_slice_t SV[] = {KV_SLICE_LIT("a"),      KV_SLICE_LIT("ab"), KV_SLICE_LIT("a\0"),
                                KV_SLICE_LIT("a\0\0b"), KV_SLICE_LIT("b"),  KV_SLICE_LIT("\xff"),
                                KV_SLICE_LIT("\x01")};
static const char *const NV[] = {"-100", "-1.5", "-1",  "-0.001", "0",   "0.25",
                                 "1",    "1.0",  "2.5", "10",     "1E2", "99999"};
static const kv_slice_t BV[] = {KV_SLICE_LIT("\0"),       KV_SLICE_LIT("\0\0"),
                                KV_SLICE_LIT("\x01"),     KV_SLICE_LIT("\x7f"),
                                KV_SLICE_LIT("\x80\x00"), KV_SLICE_LIT("\xff")};
#define NS  (sizeof(SV) / sizeof(*SV))
#define NN  (sizeof(NV) / sizeof(*NV))
#define NB  (sizeof(BV) / sizeof(*BV))
#define NIT 400

typedef struct {
    int s, n, b; /* indexes into SV, NV, BV; -1: the attribute is missing */
    int h2;      /* the second HASH attribute: 0 or 1 */
    char pk[16];
} row_t;

static row_t rows[NIT];

static int num_cmp(const char *x, const char *y)
{
    eng_num_t a, b;
    assert_int_equal(eng_num_parse(kv_slice_str(x), &a), ENG_NUM_OK);
    assert_int_equal(eng_num_parse(kv_slice_str(y), &b), ENG_NUM_OK);
    return eng_num_cmp(&a, &b);
}

/* DynamoDB's order of (s, n, b), then the table key (pk) for ties. */
static int row_cmp(const void *pa, const void *pb)
{
    const row_t *x = pa, *y = pb;
    bool xi = x->s >= 0 && x->n >= 0 && x->b >= 0, yi = y->s >= 0 && y->n >= 0 && y->b >= 0;
    if (!xi || !yi) /* not in the index: anywhere, consistently */
        return xi != yi ? (xi ? -1 : 1) : strcmp(x->pk, y->pk);
    int c = kv_slice_cmp(SV[x->s], SV[y->s]);
    if (c == 0)
        c = num_cmp(NV[x->n], NV[y->n]);
    if (c == 0)
        c = kv_slice_cmp(BV[x->b], BV[y->b]);
    return c ? c : strcmp(x->pk, y->pk);
}

static eng_av_t *av(kv_arena_t *a, eng_av_type_t t, kv_slice_t v)
{
    eng_av_t *x = kv_arena_calloc(a, 1, sizeof(*x));
    x->t = t;
    x->u.s = v;
    return x;
}

static eng_item_t *item_of(kv_arena_t *a, const row_t *r)
{
    eng_item_t *it = kv_arena_calloc(a, 1, sizeof(*it));
    it->attrs = kv_arena_calloc(a, 6, sizeof(eng_attr_t));
    it->attrs[it->n++] = (eng_attr_t){KV_SLICE_LIT("pk"), av(a, ENG_AV_S, kv_slice_str(r->pk))};
    it->attrs[it->n++] = (eng_attr_t){KV_SLICE_LIT("h1"), av(a, ENG_AV_S, KV_SLICE_LIT("H"))};
    it->attrs[it->n++] =
        (eng_attr_t){KV_SLICE_LIT("h2"), av(a, ENG_AV_N, kv_slice_str(r->h2 ? "7" : "7.5"))};
    if (r->s >= 0)
        it->attrs[it->n++] = (eng_attr_t){KV_SLICE_LIT("rs"), av(a, ENG_AV_S, SV[r->s])};
    if (r->n >= 0)
        it->attrs[it->n++] =
            (eng_attr_t){KV_SLICE_LIT("rn"), av(a, ENG_AV_N, kv_slice_str(NV[r->n]))};
    if (r->b >= 0)
        it->attrs[it->n++] = (eng_attr_t){KV_SLICE_LIT("rb"), av(a, ENG_AV_B, BV[r->b])};
    return it;
}

static eng_table_t *make_table(eng_t *e, kv_arena_t *a)
{
    static eng_attr_def_t attrs[] = {{"pk", ENG_SCALAR_S}, {"h1", ENG_SCALAR_S},
                                     {"h2", ENG_SCALAR_N}, {"rs", ENG_SCALAR_S},
                                     {"rn", ENG_SCALAR_N}, {"rb", ENG_SCALAR_B}};
    eng_index_t ix = {.name = "mk",
                      .global = true,
                      .hash_key = "h1",
                      .hash_type = ENG_SCALAR_S,
                      .range_key = "rs",
                      .range_type = ENG_SCALAR_S,
                      .proj = ENG_PROJ_KEYS_ONLY};
    ix.hash_more[ix.n_hash_more++] = (eng_attr_def_t){"h2", ENG_SCALAR_N};
    ix.range_more[ix.n_range_more++] = (eng_attr_def_t){"rn", ENG_SCALAR_N};
    ix.range_more[ix.n_range_more++] = (eng_attr_def_t){"rb", ENG_SCALAR_B};
    eng_table_t def = {.name = "mkt",
                       .hash_key = "pk",
                       .hash_type = ENG_SCALAR_S,
                       .attrs = attrs,
                       .n_attrs = 6,
                       .billing = ENG_BILLING_PAY_PER_REQUEST,
                       .indexes = &ix,
                       .n_indexes = 1};
    assert_int_equal(eng_table_create(e, &def), 0);
    eng_table_t *t;
    assert_int_equal(eng_table_get(e, kv_slice_str("mkt"), a, &t), 0);
    return t;
}

static void check_schema(const eng_index_t *g)
{
    assert_non_null(g);
    assert_true(eng_index_multi(g));
    assert_int_equal(eng_index_n_hash(g), 2);
    assert_int_equal(eng_index_n_range(g), 3);
    assert_string_equal(eng_index_hash_at(g, 0).name, "h1");
    assert_string_equal(eng_index_hash_at(g, 1).name, "h2");
    assert_int_equal(eng_index_hash_at(g, 1).type, ENG_SCALAR_N);
    assert_string_equal(eng_index_range_at(g, 0).name, "rs");
    assert_string_equal(eng_index_range_at(g, 1).name, "rn");
    assert_string_equal(eng_index_range_at(g, 2).name, "rb");
    assert_int_equal(eng_index_range_at(g, 2).type, ENG_SCALAR_B);
    assert_true(eng_index_has_key(g, KV_SLICE_LIT("rb")));
    assert_false(eng_index_has_key(g, KV_SLICE_LIT("pk")));
}

/* Read what spec selects; pks in order into out. @return the count. */
static size_t read_all(eng_t *e, const eng_read_spec_t *spec, kv_arena_t *a, const char **out)
{
    eng_cursor_t *c;
    eng_read_err_t why;
    assert_int_equal(eng_cursor_open(e, spec, &c, &why), 0);
    size_t n = 0;
    eng_item_t *it;
    int rc;
    while ((rc = eng_cursor_next(c, a, &it)) == 1) {
        assert_true(n < NIT);
        const eng_av_t *pk = eng_item_get_attr(it, KV_SLICE_LIT("pk"));
        assert_non_null(pk);
        out[n++] = kv_arena_strndup(a, pk->u.s.p, pk->u.s.len);
        assert_non_null(eng_item_get_attr(it, KV_SLICE_LIT("rb"))); /* KEYS_ONLY: every key */
    }
    assert_int_equal(rc, 0);
    eng_cursor_close(c);
    return n;
}

/* Whether row r (in partition h2 = 1) matches: equalities on the first neq RANGE attributes
 * equal to ref's, then op on attribute neq against value v (index into that attribute's
 * values), v2 for BETWEEN. */
static bool matches(const row_t *r, const row_t *ref, int neq, eng_sk_op_t op, int v, int v2)
{
    if (r->s < 0 || r->n < 0 || r->b < 0 || r->h2 != 1)
        return false;
    int c[3] = {kv_slice_cmp(SV[r->s], SV[ref->s]), num_cmp(NV[r->n], NV[ref->n]),
                kv_slice_cmp(BV[r->b], BV[ref->b])};
    for (int i = 0; i < neq; i++)
        if (c[i] != 0)
            return false;
    if (op == ENG_SK_NONE)
        return true;
    int x = neq == 0   ? kv_slice_cmp(SV[r->s], SV[v])
            : neq == 1 ? num_cmp(NV[r->n], NV[v])
                       : kv_slice_cmp(BV[r->b], BV[v]);
    switch (op) {
    case ENG_SK_EQ:
        return x == 0;
    case ENG_SK_LT:
        return x < 0;
    case ENG_SK_LE:
        return x <= 0;
    case ENG_SK_GT:
        return x > 0;
    case ENG_SK_GE:
        return x >= 0;
    case ENG_SK_BETWEEN: {
        int y = neq == 0   ? kv_slice_cmp(SV[r->s], SV[v2])
                : neq == 1 ? num_cmp(NV[r->n], NV[v2])
                           : kv_slice_cmp(BV[r->b], BV[v2]);
        return x >= 0 && y <= 0;
    }
    default: { /* BEGINS */
        kv_slice_t have = neq == 0 ? SV[r->s] : BV[r->b];
        kv_slice_t pre = neq == 0 ? SV[v] : BV[v];
        return have.len >= pre.len && memcmp(have.p, pre.p, pre.len) == 0;
    }
    }
}

static void test_multikey(void **state)
{
    (void)state;
    eng_t *e = open_eng();
    kv_arena_t *a = kv_arena_new(1 << 16);
    eng_table_t *t = make_table(e, a);
    check_schema(eng_index_find(t, KV_SLICE_LIT("mk")));

    srand(17);
    for (int i = 0; i < NIT; i++) {
        row_t *r = &rows[i];
        snprintf(r->pk, sizeof(r->pk), "p%04d", i);
        r->s = rand() % (int)NS;
        r->n = rand() % (int)NN;
        r->b = rand() % (int)NB;
        r->h2 = rand() % 4 != 0;
        if (i % 13 == 0) /* sparse: one key attribute missing */
            *(i % 3 == 0 ? &r->s : i % 3 == 1 ? &r->n : &r->b) = -1;
        eng_item_t *it = item_of(a, r);
        kv_slice_t key;
        assert_int_equal(eng_item_key(t, it->attrs[0].v, NULL, a, &key), 0);
        assert_int_equal(eng_item_write(e, t, key, it), 0);
    }
    /* The catalog keeps the key across a reopen; so do the entries. */
    eng_close(e);
    e = open_eng();
    assert_int_equal(eng_table_get(e, kv_slice_str("mkt"), a, &t), 0);
    const eng_index_t *g = eng_index_find(t, KV_SLICE_LIT("mk"));
    check_schema(g);

    row_t sorted[NIT];
    memcpy(sorted, rows, sizeof(rows));
    qsort(sorted, NIT, sizeof(*sorted), row_cmp);
    eng_av_t hk = {.t = ENG_AV_S, .u.s = KV_SLICE_LIT("H")};
    eng_av_t h2 = {.t = ENG_AV_N, .u.s = KV_SLICE_LIT("7.000")}; /* another spelling of 7 */
    const char **got = kv_arena_calloc(a, NIT, sizeof(char *));
    const char *want[NIT];
    eng_sk_op_t ops[] = {ENG_SK_NONE, ENG_SK_EQ, ENG_SK_LT,      ENG_SK_LE,
                         ENG_SK_GT,   ENG_SK_GE, ENG_SK_BETWEEN, ENG_SK_BEGINS};
    size_t checked = 0;
    for (int trial = 0; trial < 300; trial++) {
        const row_t *ref = &rows[rand() % NIT];
        if (ref->s < 0 || ref->n < 0 || ref->b < 0)
            continue;
        int neq = rand() % 3;
        eng_sk_op_t op = ops[rand() % 8];
        if (op == ENG_SK_NONE)
            neq = 0;
        if (op == ENG_SK_BEGINS && neq == 1)
            op = ENG_SK_GE; /* not on a number */
        int nv = neq == 0 ? (int)NS : neq == 1 ? (int)NN : (int)NB;
        int v = rand() % nv, v2 = rand() % nv;
        if (op == ENG_SK_BETWEEN) {
            int c = neq == 0   ? kv_slice_cmp(SV[v], SV[v2])
                    : neq == 1 ? num_cmp(NV[v], NV[v2])
                               : kv_slice_cmp(BV[v], BV[v2]);
            if (c > 0) {
                int x = v;
                v = v2;
                v2 = x;
            }
        }
        eng_av_t eqs[2] = {{.t = ENG_AV_S, .u.s = SV[ref->s]},
                           {.t = ENG_AV_N, .u.s = kv_slice_str(NV[ref->n])}};
        eng_av_type_t vt = neq == 0 ? ENG_AV_S : neq == 1 ? ENG_AV_N : ENG_AV_B;
        kv_slice_t vs = neq == 0 ? SV[v] : neq == 1 ? kv_slice_str(NV[v]) : BV[v];
        kv_slice_t vs2 = neq == 0 ? SV[v2] : neq == 1 ? kv_slice_str(NV[v2]) : BV[v2];
        eng_av_t o1 = {.t = vt, .u.s = vs}, o2 = {.t = vt, .u.s = vs2};
        for (int reverse = 0; reverse < 2; reverse++) {
            eng_read_spec_t spec = {.t = t, .ix = g, .pk = &hk, .reverse = reverse};
            spec.pk_more[0] = &h2;
            if (op != ENG_SK_NONE) {
                spec.n_sk_eq = (uint8_t)neq;
                spec.sk_eq[0] = &eqs[0];
                spec.sk_eq[1] = &eqs[1];
                spec.sk_op = op;
                spec.sk1 = &o1;
                spec.sk2 = &o2;
            }
            size_t n = read_all(e, &spec, a, got), m = 0;
            for (int i = 0; i < NIT; i++) {
                const row_t *r = &sorted[reverse ? NIT - 1 - i : i];
                if (matches(r, ref, neq, op, v, v2))
                    want[m++] = r->pk;
            }
            assert_int_equal(n, m);
            for (size_t i = 0; i < n; i++)
                assert_string_equal(got[i], want[i]);
            checked += n;
        }
    }
    assert_true(checked > 1000);

    /* The other partition (h2 = 7.5) holds the rest of the complete items. */
    eng_av_t h2b = {.t = ENG_AV_N, .u.s = KV_SLICE_LIT("7.5")};
    eng_read_spec_t all = {.t = t, .ix = g, .pk = &hk};
    all.pk_more[0] = &h2b;
    size_t other = read_all(e, &all, a, got), want_other = 0;
    for (int i = 0; i < NIT; i++)
        want_other += rows[i].h2 == 0 && rows[i].s >= 0 && rows[i].n >= 0 && rows[i].b >= 0;
    assert_int_equal(other, want_other);

    /* A missing or mistyped further HASH value is refused, as are equalities without a
     * condition after them. */
    eng_cursor_t *c;
    eng_read_err_t why;
    all.pk_more[0] = NULL;
    assert_int_equal(eng_cursor_open(e, &all, &c, &why), KV_EINVAL);
    assert_int_equal(why, ENG_READ_BAD_PK);
    all.pk_more[0] = &hk;
    assert_int_equal(eng_cursor_open(e, &all, &c, &why), KV_EINVAL);
    all.pk_more[0] = &h2b;
    all.n_sk_eq = 1;
    all.sk_eq[0] = &hk;
    assert_int_equal(eng_cursor_open(e, &all, &c, &why), KV_EINVAL);
    assert_int_equal(why, ENG_READ_BAD_SK);

    /* Dropping the index keeps only the definitions other keys use. */
    assert_int_equal(eng_table_drop_index(e, kv_slice_str("mkt"), kv_slice_str("mk")), 0);
    assert_int_equal(eng_table_get(e, kv_slice_str("mkt"), a, &t), 0);
    assert_int_equal(t->n_attrs, 1);
    kv_arena_free(a);
    eng_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_multikey, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
