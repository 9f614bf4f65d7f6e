/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS's request checks that need more than one member at a time (issue 17, package V2):
 * AttributesToGet naming an attribute twice, and an ExclusiveStartKey outside what a Query's
 * key condition reads.
 */
#include <stdlib.h>
#include <string.h>

#include "ddb_int.h"

static int slice_cmp(const void *a, const void *b)
{
    return kv_slice_cmp(*(const kv_slice_t *)a, *(const kv_slice_t *)b);
}

bool ddb_names_dup(kv_arena_t *a, const ddb_projection_t *p, kv_slice_t *dup)
{
    if (p->n < 2)
        return false;
    if (p->n <= 16) { /* a few names: report the first repeated one, in request order */
        for (size_t i = 1; i < p->n; i++)
            for (size_t j = 0; j < i; j++)
                if (kv_slice_eq(p->paths[i].e[0].name, p->paths[j].e[0].name)) {
                    *dup = p->paths[i].e[0].name;
                    return true;
                }
        return false;
    }
    kv_slice_t *s = kv_arena_alloc(a, p->n * sizeof(*s));
    for (size_t i = 0; i < p->n; i++)
        s[i] = p->paths[i].e[0].name;
    qsort(s, p->n, sizeof(*s), slice_cmp);
    for (size_t i = 1; i < p->n; i++)
        if (kv_slice_eq(s[i], s[i - 1])) {
            *dup = s[i];
            return true;
        }
    return false;
}

/* Key values of one type in DynamoDB's order: numbers by value, strings and binaries by
 * unsigned bytes. */
static int key_cmp(const eng_av_t *a, const eng_av_t *b)
{
    if (a->t == ENG_AV_N) {
        eng_num_t x, y;
        if (eng_num_parse(a->u.s, &x) == ENG_NUM_OK && eng_num_parse(b->u.s, &y) == ENG_NUM_OK)
            return eng_num_cmp(&x, &y);
    }
    return kv_slice_cmp(a->u.s, b->u.s);
}

static bool sk_matches(const eng_read_spec_t *rs, const eng_av_t *v)
{
    int c = key_cmp(v, rs->sk1);
    switch (rs->sk_op) {
    case ENG_SK_EQ:
        return c == 0;
    case ENG_SK_LT:
        return c < 0;
    case ENG_SK_LE:
        return c <= 0;
    case ENG_SK_GT:
        return c > 0;
    case ENG_SK_GE:
        return c >= 0;
    case ENG_SK_BETWEEN:
        return c >= 0 && key_cmp(v, rs->sk2) <= 0;
    case ENG_SK_BEGINS:
        return v->u.s.len >= rs->sk1->u.s.len &&
               memcmp(v->u.s.p, rs->sk1->u.s.p, rs->sk1->u.s.len) == 0;
    default:
        return true;
    }
}

int ddb_start_in_query(api_resp_t *resp, const eng_read_spec_t *rs, const char *hash_key,
                       const char *range_key)
{
    if (rs->pk == NULL || rs->start == NULL)
        return 0;
    const eng_av_t *hv = eng_item_get_attr(rs->start, kv_slice_str(hash_key));
    const eng_av_t *sv = range_key ? eng_item_get_attr(rs->start, kv_slice_str(range_key)) : NULL;
    bool same_partition = hv && hv->t == rs->pk->t && key_cmp(hv, rs->pk) == 0;
    if (rs->sk_op == ENG_SK_NONE) {
        if (same_partition)
            return 0;
        api_fail(resp, API_E_DDB_VALIDATION,
                 "The provided starting key is outside query boundaries based on provided "
                 "conditions");
        return -1;
    }
    if (sv == NULL || sv->t != rs->sk1->t || !sk_matches(rs, sv)) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "The provided starting key does not match the range key predicate");
        return -1;
    }
    if (!same_partition) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "The query can return at most one row and cannot be restarted");
        return -1;
    }
    return 0;
}
