/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's reads: GetItem, and Query and Scan as bounded range reads of a table or an index
 * with DynamoDB's key conditions, paging (Limit, the 1 MB page, LastEvaluatedKey) and filters.
 */
#include <string.h>

#include "ddb_int.h"

#define DDB_PAGE_BYTES (1u << 20) /* Query/Scan read at most 1 MB per page */

/* The key attributes of an item (for LastEvaluatedKey). */
static eng_item_t *key_of(kv_arena_t *a, const eng_table_t *t, const eng_item_t *it)
{
    eng_item_t *k = kv_arena_calloc(a, 1, sizeof(*k));
    k->attrs = kv_arena_calloc(a, 2, sizeof(eng_attr_t));
    const char *names[2] = {t->hash_key, t->range_key};
    for (int i = 0; i < 2 && names[i]; i++) {
        eng_av_t *v = eng_item_get_attr(it, kv_slice_str(names[i]));
        if (v) {
            k->attrs[k->n].name = kv_slice_str(names[i]);
            k->attrs[k->n].v = v;
            k->n++;
        }
    }
    return k;
}

int ddb_exec_get_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_get_item_in_t *in,
                      ddb_get_item_out_t *out)
{
    eng_table_t *t;
    kv_slice_t key;
    if (ddb_key_target(ctx, req, resp, in, &t, &key) < 0)
        return -1;
    eng_item_t *it = NULL;
    int rc = eng_item_get(ctx->eng, key, req->arena, &it);
    if (rc < 0 && rc != KV_ENOTFOUND)
        return ddb_engine_fail(resp, rc);
    out->read = true;
    if (rc == 0)
        out->item = in->c.proj ? ddb_project(req->arena, it, in->c.proj) : it;
    ddb_item_units(out, &in->c, ddb_read_units(rc == 0 ? eng_item_size(it) : 0, in->c.consistent));
    return 0;
}

static int bad_key_cond(api_resp_t *resp, const char *msg)
{
    api_fail(resp, API_E_DDB_VALIDATION, "%s", msg);
    return -1;
}

/* The key schema a Query or Scan reads: the table's, or an index's. */
typedef struct schema {
    const char *hash_key;
    eng_scalar_t hash_type;
    const char *range_key;
    eng_scalar_t range_type;
} schema_t;

static void schema_of(const eng_table_t *t, const eng_index_t *ix, schema_t *s)
{
    s->hash_key = ix ? ix->hash_key : t->hash_key;
    s->hash_type = ix ? ix->hash_type : t->hash_type;
    s->range_key = ix ? ix->range_key : t->range_key;
    s->range_type = ix ? ix->range_type : t->range_type;
}

static int bad_start(api_resp_t *resp)
{
    api_fail(resp, API_E_DDB_VALIDATION,
             "The provided starting key is invalid: The provided key element does not match the "
             "schema");
    return -1;
}

static int bad_between(api_resp_t *resp)
{
    return bad_key_cond(resp, "Invalid KeyConditionExpression: The BETWEEN operator requires "
                              "upper bound to be greater than or equal to lower bound");
}

/* DynamoDB's order of two key values of one type: numbers by value, strings and binaries by
 * unsigned bytes. */
static int key_value_cmp(const eng_av_t *a, const eng_av_t *b)
{
    if (a->t == ENG_AV_N) {
        eng_num_t x, y;
        if (eng_num_parse(a->u.s, &x) == ENG_NUM_OK && eng_num_parse(b->u.s, &y) == ENG_NUM_OK)
            return eng_num_cmp(&x, &y);
    }
    return kv_slice_cmp(a->u.s, b->u.s);
}

/* What a key condition reads: pk = :v [AND sk-condition], as the engine's read spec (the
 * engine turns it into key bounds). Refusals are DynamoDB's, in its order. */
static int key_spec(api_resp_t *resp, const schema_t *t, const ddb_cond_t *kc, eng_read_spec_t *rs)
{
    const ddb_cond_t *leaf[2] = {kc, NULL};
    if (kc->kind == DDB_C_AND) {
        leaf[0] = kc->l;
        leaf[1] = kc->r;
    }
    const ddb_cond_t *pkc = NULL, *skc = NULL;
    for (int i = 0; i < 2 && leaf[i]; i++) {
        const ddb_cond_t *c = leaf[i];
        if (c->kind == DDB_C_AND || c->kind == DDB_C_OR || c->kind == DDB_C_NOT)
            return bad_key_cond(
                resp, c->kind == DDB_C_AND
                          ? "Conditions can be of length 1 or 2 only"
                          : (c->kind == DDB_C_OR
                                 ? "Invalid operator used in KeyConditionExpression: OR"
                                 : "Invalid operator used in KeyConditionExpression: NOT"));
        if (c->kind != DDB_C_CMP && c->kind != DDB_C_BETWEEN && c->kind != DDB_C_BEGINS)
            return bad_key_cond(resp, "Query key condition not supported");
        if (c->a->kind != DDB_OP_PATH || c->a->path.n != 1 || c->b->kind != DDB_OP_VALUE ||
            (c->c && c->c->kind != DDB_OP_VALUE))
            return bad_key_cond(resp, "Query key condition not supported");
        kv_slice_t name = c->a->path.e[0].name;
        if (kv_slice_eq_str(name, t->hash_key)) {
            if (c->kind != DDB_C_CMP || c->cmp != DDB_EQ)
                return bad_key_cond(resp, "Query key condition not supported");
            pkc = c;
        } else if (t->range_key && kv_slice_eq_str(name, t->range_key) && skc == NULL) {
            if (c->kind == DDB_C_CMP && c->cmp == DDB_NE)
                return bad_key_cond(resp, "Unsupported operator on KeyConditionExpression: "
                                          "operator: <>");
            skc = c;
        } else {
            api_fail(resp, API_E_DDB_VALIDATION, "Query condition missed key schema element: %s",
                     pkc || leaf[1] == NULL ? (t->range_key ? t->range_key : t->hash_key)
                                            : t->hash_key);
            return -1;
        }
    }
    if (pkc == NULL) {
        api_fail(resp, API_E_DDB_VALIDATION, "Query condition missed key schema element: %s",
                 t->hash_key);
        return -1;
    }
    if (pkc->b->value->t != ddb_scalar_av(t->hash_type))
        return bad_key_cond(resp, "One or more parameter values were invalid: Condition parameter "
                                  "type does not match schema type");
    rs->pk = pkc->b->value;
    if (skc == NULL)
        return 0;
    eng_av_type_t skt = ddb_scalar_av(t->range_type);
    const eng_av_t *v1 = skc->b->value, *v2 = skc->c ? skc->c->value : NULL;
    if (v1->t != skt || (v2 && v2->t != skt))
        return bad_key_cond(resp, "One or more parameter values were invalid: Condition parameter "
                                  "type does not match schema type");
    rs->sk1 = v1;
    rs->sk2 = v2;
    if (skc->kind == DDB_C_BEGINS) {
        if (skt == ENG_AV_N)
            return bad_key_cond(resp, "Invalid KeyConditionExpression: Incorrect operand type for "
                                      "operator or function; operator or function: begins_with, "
                                      "operand type: N");
        rs->sk_op = ENG_SK_BEGINS;
    } else if (skc->kind == DDB_C_BETWEEN) {
        if (key_value_cmp(v1, v2) > 0)
            return bad_between(resp);
        rs->sk_op = ENG_SK_BETWEEN;
    } else {
        switch (skc->cmp) {
        case DDB_EQ:
            rs->sk_op = ENG_SK_EQ;
            break;
        case DDB_LT:
            rs->sk_op = ENG_SK_LT;
            break;
        case DDB_LE:
            rs->sk_op = ENG_SK_LE;
            break;
        case DDB_GT:
            rs->sk_op = ENG_SK_GT;
            break;
        default:
            rs->sk_op = ENG_SK_GE; /* GE */
        }
    }
    return 0;
}

/* The key attribute of schema t one of c's own operands names, or NULL. */
static const char *operand_key(const schema_t *t, const ddb_cond_t *c)
{
    const ddb_operand_t *ops[3] = {c->a, c->b, c->c};
    for (size_t i = 0; i < 3 + c->n_list; i++) {
        const ddb_operand_t *o = i < 3 ? ops[i] : c->list[i - 3];
        if (o == NULL || (o->kind != DDB_OP_PATH && o->kind != DDB_OP_SIZE) || o->path.n == 0)
            continue;
        if (kv_slice_eq_str(o->path.e[0].name, t->hash_key))
            return t->hash_key;
        if (t->range_key && kv_slice_eq_str(o->path.e[0].name, t->range_key))
            return t->range_key;
    }
    return NULL;
}

/* The leftmost key attribute of schema t that condition c names, or NULL. AND/OR chains are
 * left-deep (legacy filters: one node per attribute), so the left spine is walked in a loop and
 * only right operands recurse; what is found further down the spine is further left. */
static const char *names_key(const schema_t *t, const ddb_cond_t *c)
{
    const char *found = NULL, *k;
    for (; c; c = c->l) {
        if (c->r && (k = names_key(t, c->r)))
            found = k;
        if ((k = operand_key(t, c)))
            found = k;
    }
    return found;
}

/* Whether every attribute a projection names is in the index's entries. */
static bool projected(const eng_table_t *t, const eng_index_t *ix, const ddb_projection_t *p)
{
    if (ix->proj == ENG_PROJ_ALL)
        return true;
    for (size_t i = 0; i < p->n; i++) {
        kv_slice_t n = p->paths[i].e[0].name;
        bool in = kv_slice_eq_str(n, t->hash_key) ||
                  (t->range_key && kv_slice_eq_str(n, t->range_key)) || eng_index_has_key(ix, n);
        for (size_t j = 0; !in && ix->proj == ENG_PROJ_INCLUDE && j < ix->n_include; j++)
            in = kv_slice_eq_str(n, ix->include[j]);
        if (!in)
            return false;
    }
    return true;
}

/* The key attributes of an index entry for LastEvaluatedKey: the table's and the index's. */
static eng_item_t *index_key_of(kv_arena_t *a, const eng_table_t *t, const eng_index_t *ix,
                                const eng_item_t *it)
{
    eng_item_t *k = kv_arena_calloc(a, 1, sizeof(*k));
    k->attrs = kv_arena_calloc(a, 2 + 2 * ENG_INDEX_KEYS_MAX, sizeof(eng_attr_t));
    const char *names[2 + 2 * ENG_INDEX_KEYS_MAX] = {t->hash_key, t->range_key, ix->hash_key,
                                                     ix->range_key};
    int nn = 4;
    for (size_t i = 0; i < ix->n_hash_more; i++) /* issue 17, package M */
        names[nn++] = ix->hash_more[i].name;
    for (size_t i = 0; i < ix->n_range_more; i++)
        names[nn++] = ix->range_more[i].name;
    for (int i = 0; i < nn; i++) {
        if (names[i] == NULL)
            continue;
        bool dup = false;
        for (size_t j = 0; j < k->n; j++)
            dup |= kv_slice_eq_str(k->attrs[j].name, names[i]);
        eng_av_t *v = dup ? NULL : eng_item_get_attr(it, kv_slice_str(names[i]));
        if (v) {
            k->attrs[k->n].name = kv_slice_str(names[i]);
            k->attrs[k->n].v = v;
            k->n++;
        }
    }
    return k;
}

/* Whether ExclusiveStartKey holds exactly the key attributes of the table (and, reading an
 * index, the index's), with values a key can have. The engine places the read after it. */
static int start_ok(api_req_t *req, api_resp_t *resp, const eng_table_t *t, const eng_index_t *ix,
                    const eng_item_t *start)
{
    kv_slice_t base;
    if (ix && (!eng_item_get_attr(start, kv_slice_str(ix->hash_key)) ||
               (ix->range_key && !eng_item_get_attr(start, kv_slice_str(ix->range_key))))) {
        api_fail(resp, API_E_DDB_VALIDATION, "The provided starting key is invalid");
        return -1;
    }
    if (ix ? index_key_of(req->arena, t, ix, start)->n != start->n ||
                 ddb_item_key(req, resp, t, start, false, &base) < 0
           : ddb_item_key(req, resp, t, start, true, &base) < 0)
        return bad_start(resp);
    return 0;
}

static int read_range(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_table_t *t,
                      const ddb_query_in_t *in, eng_read_spec_t *rs, ddb_query_out_t *out)
{
    const eng_index_t *ix = rs->ix;
    if (in->start && start_ok(req, resp, t, ix, in->start) < 0)
        return -1;
    rs->start = in->start;
    if (in->start && ddb_start_in_query(resp, rs, ix ? ix->hash_key : t->hash_key,
                                        ix ? ix->range_key : t->range_key) < 0)
        return -1;
    eng_cursor_t *r;
    eng_read_err_t why;
    int rc = eng_cursor_open(ctx->eng, rs, &r, &why);
    if (rc < 0) {
        if (rc != KV_EINVAL)
            return ddb_engine_fail(resp, rc);
        if (why == ENG_READ_BAD_BETWEEN)
            return bad_between(resp);
        if (why == ENG_READ_BAD_START)
            return bad_start(resp);
        if (why == ENG_READ_BAD_SEGMENT) {
            api_fail(resp, API_E_DDB_VALIDATION,
                     "The provided Exclusive start key does not map to the provided Segment and "
                     "TotalSegments values.");
            return -1;
        }
        return bad_key_cond(resp, "One or more parameter values were invalid: Condition "
                                  "parameter type does not match schema type");
    }
    /* A local index fetches what it does not project from the table, as DynamoDB does. */
    bool fetch = ix && !ix->global && ix->proj != ENG_PROJ_ALL &&
                 ((in->select == DDB_SEL_ALL && in->has_select) ||
                  (in->c.proj && !projected(t, ix, in->c.proj)));
    size_t cap = 64, bytes = 0;
    out->items = kv_arena_alloc(req->arena, cap * sizeof(*out->items));
    out->count_only = in->select == DDB_SEL_COUNT;
    const eng_item_t *last = NULL;
    bool more = false;
    for (;;) {
        eng_item_t *it;
        rc = eng_cursor_next(r, req->arena, &it);
        if (rc < 0) {
            eng_cursor_close(r);
            return ddb_engine_fail(resp, rc);
        }
        if (rc == 0)
            break;
        last = it;
        if (fetch) {
            kv_slice_t bk;
            eng_item_t *full = NULL;
            const eng_av_t *pk = eng_item_get_attr(it, kv_slice_str(t->hash_key));
            const eng_av_t *skv = eng_item_get_attr(it, kv_slice_str(t->range_key));
            if (eng_item_key(t, pk, skv, req->arena, &bk) == 0 &&
                eng_item_get(ctx->eng, bk, req->arena, &full) == 0)
                it = full;
        }
        out->scanned++;
        bytes += eng_item_size(it);
        if (in->filter == NULL || ddb_cond_eval(in->filter, it)) {
            if (!out->count_only) {
                if (out->n == cap) {
                    const eng_item_t **nu = kv_arena_alloc(req->arena, 2 * cap * sizeof(*nu));
                    memcpy(nu, out->items, cap * sizeof(*nu));
                    out->items = nu;
                    cap *= 2;
                }
                out->items[out->n] = in->c.proj ? ddb_project(req->arena, it, in->c.proj) : it;
            }
            out->n++;
        }
        /* Limit counts items evaluated; the 1 MB page is measured before filtering. */
        if ((in->limit && (int64_t)out->scanned >= in->limit) || bytes >= DDB_PAGE_BYTES) {
            more = true;
            break;
        }
    }
    eng_cursor_close(r);
    if (more && last)
        out->last_key = ix ? index_key_of(req->arena, t, ix, last) : key_of(req->arena, t, last);
    out->units = ddb_read_units(bytes, in->c.consistent);
    out->table = in->c.table;
    out->rcc = in->c.rcc;
    return 0;
}

/* The index a Query or Scan names, with DynamoDB's refusals. */
static int read_index(api_resp_t *resp, const eng_table_t *t, const ddb_query_in_t *in,
                      const eng_index_t **out)
{
    *out = NULL;
    if (in->index.len == 0)
        return 0;
    const eng_index_t *ix = eng_index_find(t, in->index);
    if (ix == NULL) {
        api_fail(resp, API_E_DDB_VALIDATION, "The table does not have the specified index: %.*s",
                 (int)in->index.len, (const char *)in->index.p);
        return -1;
    }
    if (ix->global && in->c.consistent) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "Consistent reads are not supported on global secondary indexes");
        return -1;
    }
    if (ix->global && in->select == DDB_SEL_ALL && in->has_select && ix->proj != ENG_PROJ_ALL) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
                 "supported for global secondary index %s because its projection type is not ALL",
                 ix->name);
        return -1;
    }
    if (ix->creating) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "Cannot read from backfilling global secondary index: %s", ix->name);
        return -1;
    }
    *out = ix;
    return 0;
}

int ddb_exec_query(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_query_in_t *in,
                   ddb_query_out_t *out)
{
    eng_table_t *t;
    const eng_index_t *ix;
    if (ddb_get_table(ctx, req, resp, in->c.table, &t) < 0 || read_index(resp, t, in, &ix) < 0)
        return -1;
    schema_t sc;
    schema_of(t, ix, &sc);
    eng_read_spec_t rs = {.t = t, .ix = ix, .reverse = !in->forward};
    if (ix && eng_index_multi(ix) ? ddb_multikey_spec(resp, ix, in->key_cond, &rs) < 0
                                  : key_spec(resp, &sc, in->key_cond, &rs) < 0)
        return -1;
    /* A Query's filter may not name the key it reads by (the key condition does that). */
    const char *k = in->filter_keys_ok ? NULL : names_key(&sc, in->filter);
    if (k) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "%s can only contain non-primary key attributes: Primary key attribute: %s",
                 in->legacy_filter ? "QueryFilter" : "Filter Expression", k);
        return -1;
    }
    return read_range(ctx, req, resp, t, in, &rs, out);
}

int ddb_exec_scan(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_scan_in_t *in,
                  ddb_scan_out_t *out)
{
    eng_table_t *t;
    const eng_index_t *ix;
    if (ddb_get_table(ctx, req, resp, in->c.table, &t) < 0 || read_index(resp, t, in, &ix) < 0)
        return -1;
    eng_read_spec_t rs = {.t = t,
                          .ix = ix,
                          .segment = (uint32_t)in->segment,
                          .total_segments = (uint32_t)in->total_segments};
    return read_range(ctx, req, resp, t, in, &rs, out);
}
