/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multi-attribute keys of global secondary indexes (issue 17, package M): a GSI's KeySchema
 * lists up to four HASH attributes, then up to four RANGE attributes. Here: the KeySchema's
 * checks at CreateTable and UpdateTable, its description, and a Query's key condition on such
 * an index (an equality on every HASH attribute; on the RANGE attributes, equalities on a
 * left-to-right prefix, then at most one condition of any kind on the next one).
 * One-attribute keys keep their own, unchanged paths (ddb_index.c, ddb_item_read.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ddb_int.h"

static int fail(api_resp_t *resp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(api_resp_t *resp, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    api_fail(resp, API_E_DDB_VALIDATION, "%s", msg);
    return -1;
}

/* ---- KeySchema ---- */

bool ddb_multikey_schema(const ddb_index_in_t *in)
{
    if (!in->ix.global || in->n_ks < 2)
        return false;
    return in->n_ks > 2 || kv_slice_eq_str(in->ktype[1], "HASH");
}

int ddb_multikey_check(ddb_dec_t *d, const eng_table_t *t, ddb_index_in_t *in)
{
    eng_index_t *ix = &in->ix;
    size_t n_hash = 0, n_range = 0;
    for (size_t i = 0; i < in->n_ks; i++) {
        for (size_t j = 0; j < i; j++)
            if (kv_slice_eq(in->kname[i], in->kname[j]))
                return fail(d->resp,
                            "Invalid KeySchema: Some KeySchemaElements have the same attribute "
                            "name: %.*s",
                            (int)in->kname[i].len, (const char *)in->kname[i].p);
        bool hash = kv_slice_eq_str(in->ktype[i], "HASH");
        if (i == 0 && !hash)
            return fail(d->resp,
                        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
        if (hash && n_range)
            return fail(d->resp, "Invalid KeySchema: A HASH KeySchemaElement follows a RANGE "
                                 "KeySchemaElement");
        n_hash += hash;
        n_range += !hash;
    }
    if (n_hash > ENG_INDEX_KEYS_MAX || n_range > ENG_INDEX_KEYS_MAX)
        return fail(d->resp,
                    "One or more parameter values were invalid: Index KeySchema has more than "
                    "%d %s key attributes for index: %s",
                    ENG_INDEX_KEYS_MAX, n_hash > ENG_INDEX_KEYS_MAX ? "HASH" : "RANGE", ix->name);
    ix->hash_key = ix->range_key = NULL;
    ix->n_hash_more = ix->n_range_more = 0;
    for (size_t i = 0; i < in->n_ks; i++) {
        eng_attr_def_t a = {NULL, ENG_SCALAR_S};
        for (size_t k = 0; k < t->n_attrs && a.name == NULL; k++)
            if (kv_slice_eq_str(in->kname[i], t->attrs[k].name))
                a = t->attrs[k];
        if (i < n_hash && i == 0) {
            ix->hash_key = a.name;
            ix->hash_type = a.type;
        } else if (i < n_hash) {
            ix->hash_more[ix->n_hash_more++] = a;
        } else if (i == n_hash) {
            ix->range_key = a.name;
            ix->range_type = a.type;
        } else {
            ix->range_more[ix->n_range_more++] = a;
        }
    }
    return 0;
}

void ddb_multikey_encode_key_schema(api_jw_t *w, const eng_index_t *ix)
{
    api_jw_key(w, "KeySchema");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < eng_index_n_hash(ix) + eng_index_n_range(ix); i++) {
        bool hash = i < eng_index_n_hash(ix);
        eng_attr_def_t a =
            hash ? eng_index_hash_at(ix, i) : eng_index_range_at(ix, i - eng_index_n_hash(ix));
        api_jw_obj_begin(w);
        api_jw_kstr(w, "AttributeName", a.name);
        api_jw_kstr(w, "KeyType", hash ? "HASH" : "RANGE");
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
}

/* ---- Query ---- */

#define MAX_LEAVES (2 * ENG_INDEX_KEYS_MAX + 1)

/* The conditions joined by AND, left to right, into leaf (at most cap of them).
 * @return the count, or cap + 1 when there are more. */
static size_t leaves(const ddb_cond_t *c, const ddb_cond_t **leaf, size_t n, size_t cap)
{
    if (n > cap)
        return n;
    if (c->kind == DDB_C_AND) {
        n = leaves(c->l, leaf, n, cap);
        return leaves(c->r, leaf, n, cap);
    }
    if (n < cap)
        leaf[n] = c;
    return n + 1;
}

static int key_value_cmp(const eng_av_t *a, const eng_av_t *b)
{
    if (a->t == ENG_AV_N) {
        eng_num_t x, y;
        if (eng_num_parse(a->u.s, &x) == ENG_NUM_OK && eng_num_parse(b->u.s, &y) == ENG_NUM_OK)
            return eng_num_cmp(&x, &y);
    }
    return kv_slice_cmp(a->u.s, b->u.s);
}

static int type_mismatch(api_resp_t *resp)
{
    return fail(resp, "One or more parameter values were invalid: Condition parameter type does "
                      "not match schema type");
}

int ddb_multikey_spec(api_resp_t *resp, const eng_index_t *ix, const ddb_cond_t *kc,
                      eng_read_spec_t *rs)
{
    const ddb_cond_t *leaf[MAX_LEAVES];
    size_t n = leaves(kc, leaf, 0, MAX_LEAVES);
    if (n > MAX_LEAVES) /* more conditions than key attributes: one is twice or not a key */
        return fail(resp, "Invalid KeyConditionExpression: KeyConditionExpressions must only "
                          "contain one condition per key");
    size_t nh = eng_index_n_hash(ix), nr = eng_index_n_range(ix);
    const ddb_cond_t *hc[ENG_INDEX_KEYS_MAX] = {0}, *rc[ENG_INDEX_KEYS_MAX] = {0};
    bool other = false;
    for (size_t i = 0; i < n; i++) {
        const ddb_cond_t *c = leaf[i];
        if (c->kind == DDB_C_OR || c->kind == DDB_C_NOT)
            return fail(resp, "Invalid operator used in KeyConditionExpression: %s",
                        c->kind == DDB_C_OR ? "OR" : "NOT");
        if ((c->kind != DDB_C_CMP && c->kind != DDB_C_BETWEEN && c->kind != DDB_C_BEGINS) ||
            c->a->kind != DDB_OP_PATH || c->a->path.n != 1 || c->b->kind != DDB_OP_VALUE ||
            (c->c && c->c->kind != DDB_OP_VALUE))
            return fail(resp, "Query key condition not supported");
        kv_slice_t name = c->a->path.e[0].name;
        const ddb_cond_t **slot = NULL;
        eng_scalar_t type = ENG_SCALAR_S;
        bool hash = false;
        for (size_t k = 0; k < nh && slot == NULL; k++)
            if (kv_slice_eq_str(name, eng_index_hash_at(ix, k).name)) {
                slot = &hc[k];
                type = eng_index_hash_at(ix, k).type;
                hash = true;
            }
        for (size_t k = 0; k < nr && slot == NULL; k++)
            if (kv_slice_eq_str(name, eng_index_range_at(ix, k).name)) {
                slot = &rc[k];
                type = eng_index_range_at(ix, k).type;
            }
        if (slot == NULL) {
            other = true;
            continue;
        }
        if (*slot)
            return fail(resp, "Invalid KeyConditionExpression: KeyConditionExpressions must only "
                              "contain one condition per key");
        if (hash && (c->kind != DDB_C_CMP || c->cmp != DDB_EQ))
            return fail(resp, "Query key condition not supported");
        if (c->kind == DDB_C_CMP && c->cmp == DDB_NE)
            return fail(resp, "Unsupported operator on KeyConditionExpression: operator: <>");
        eng_av_type_t want = ddb_scalar_av(type);
        if (c->b->value->t != want || (c->c && c->c->value->t != want))
            return type_mismatch(resp);
        if (c->kind == DDB_C_BEGINS && want == ENG_AV_N)
            return fail(resp, "Invalid KeyConditionExpression: Incorrect operand type for "
                              "operator or function; operator or function: begins_with, operand "
                              "type: N");
        *slot = c;
    }
    for (size_t k = 0; k < nh; k++)
        if (hc[k] == NULL)
            return fail(resp, "Query condition missed key schema element: %s",
                        eng_index_hash_at(ix, k).name);
    if (other)
        return fail(resp, "Query key condition not supported");
    /* RANGE attributes left to right: every one before a conditioned one has an equality. */
    for (size_t later = 1; later < nr; later++) {
        if (rc[later] == NULL)
            continue;
        for (size_t prior = 0; prior < later; prior++)
            if (rc[prior] == NULL || rc[prior]->kind != DDB_C_CMP || rc[prior]->cmp != DDB_EQ)
                return fail(resp,
                            "RANGE key attributes %s must have equality conditions specified "
                            "in the query because a condition is present on key attribute %s",
                            eng_index_range_at(ix, prior).name, eng_index_range_at(ix, later).name);
    }
    rs->pk = hc[0]->b->value;
    for (size_t k = 1; k < nh; k++)
        rs->pk_more[k - 1] = hc[k]->b->value;
    size_t last = 0;
    while (last < nr && rc[last])
        last++;
    if (last == 0)
        return 0; /* the whole partition */
    rs->n_sk_eq = (uint8_t)(last - 1);
    for (size_t k = 0; k + 1 < last; k++)
        rs->sk_eq[k] = rc[k]->b->value;
    const ddb_cond_t *c = rc[last - 1];
    rs->sk1 = c->b->value;
    rs->sk2 = c->c ? c->c->value : NULL;
    if (c->kind == DDB_C_BEGINS) {
        rs->sk_op = ENG_SK_BEGINS;
    } else if (c->kind == DDB_C_BETWEEN) {
        if (key_value_cmp(rs->sk1, rs->sk2) > 0)
            return fail(resp, "Invalid KeyConditionExpression: The BETWEEN operator requires "
                              "upper bound to be greater than or equal to lower bound");
        rs->sk_op = ENG_SK_BETWEEN;
    } else {
        static const eng_sk_op_t ops[] = {[DDB_EQ] = ENG_SK_EQ,
                                          [DDB_LT] = ENG_SK_LT,
                                          [DDB_LE] = ENG_SK_LE,
                                          [DDB_GT] = ENG_SK_GT,
                                          [DDB_GE] = ENG_SK_GE};
        rs->sk_op = ops[c->cmp];
    }
    return 0;
}
