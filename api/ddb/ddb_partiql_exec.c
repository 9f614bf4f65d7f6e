/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: each PartiQL statement is
 * parsed into the typed inputs of an ordinary operation (Query or Scan, PutItem with a
 * not-exists condition, UpdateItem, DeleteItem, GetItem, the transactions) and run by it, so
 * every PartiQL write reaches indexes, TTL and streams exactly as the API's own writes do.
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_b64.h"
#include "ddb_int.h"
#include "ddb_partiql.h"

#define NEXT_TOKEN_MAX 32768

/* ---- decode ---- */

static void decode_stmt(ddb_dec_t *d, const api_json_t *o, const char *path, ddb_pq_stmt_in_t *s)
{
    memset(s, 0, sizeof(*s));
    if (!ddb_opt_str(d, o, "Statement", &s->text))
        ddb_dec_violation(d,
                          "Value null at '%sstatement' failed to satisfy constraint: Member must "
                          "not be null",
                          path);
    else if (s->text.len == 0 || s->text.len > DDB_PQ_MAX_LEN)
        ddb_dec_violation(
            d,
            "Value '%.*s' at '%sstatement' failed to satisfy constraint: Member "
            "must have length %s",
            (int)(s->text.len > 100 ? 100 : s->text.len), (const char *)s->text.p, path,
            s->text.len ? "less than or equal to 8192" : "greater than or equal to 1");
    const api_json_t *ps = ddb_opt_kind(d, o, "Parameters", API_J_ARR);
    if (ps) {
        size_t n = api_json_len(ps);
        if (n == 0)
            ddb_dec_violation(d,
                              "Value '[]' at '%sparameters' failed to satisfy constraint: Member "
                              "must have length greater than or equal to 1",
                              path);
        if (n > DDB_PQ_MAX_PARAMS)
            n = DDB_PQ_MAX_PARAMS + 1; /* refused as a count mismatch */
        s->params = kv_arena_calloc(d->a, n + 1, sizeof(*s->params));
        for (size_t i = 0; i < n && i < api_json_len(ps); i++) {
            if (ddb_av_decode(d, api_json_at(ps, i), 0, &s->params[i]) < 0)
                return;
            s->n_params++;
        }
    }
    ddb_opt_bool(d, o, "ConsistentRead", &s->consistent);
    kv_slice_t rv;
    if (ddb_opt_str(d, o, "ReturnValuesOnConditionCheckFailure", &rv)) {
        if (kv_slice_eq_str(rv, "ALL_OLD"))
            s->rv_on_fail = true;
        else if (!kv_slice_eq_str(rv, "NONE"))
            ddb_dec_violation(d,
                              "Value '%.*s' at '%sreturnValuesOnConditionCheckFailure' failed to "
                              "satisfy constraint: Member must satisfy enum value set: [ALL_OLD, "
                              "NONE]",
                              (int)(rv.len > 64 ? 64 : rv.len), (const char *)rv.p, path);
    }
}

int ddb_decode_execute_statement(ddb_dec_t *d, const api_json_t *in, ddb_pq_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->s = kv_arena_calloc(d->a, 1, sizeof(*out->s));
    out->n = 1;
    decode_stmt(d, in, "", out->s);
    if (ddb_opt_int(d, in, "Limit", &out->limit) && out->limit < 1)
        ddb_dec_violation(d,
                          "Value '%lld' at 'limit' failed to satisfy constraint: Member must "
                          "have value greater than or equal to 1",
                          (long long)out->limit);
    ddb_decode_rcc(d, in, &out->rcc);
    kv_slice_t tok;
    bool has_tok = ddb_opt_str(d, in, "NextToken", &tok);
    if (has_tok && (tok.len == 0 || tok.len > NEXT_TOKEN_MAX))
        ddb_dec_violation(d,
                          "Value at 'nextToken' failed to satisfy constraint: Member must have "
                          "length %s",
                          tok.len ? "less than or equal to 32768" : "greater than or equal to 1");
    if (ddb_dec_finish(d) < 0)
        return -1;
    if (has_tok) {
        /* The token is the base64 of the LastEvaluatedKey's JSON. */
        kv_buf_t raw;
        kv_buf_init(&raw, NEXT_TOKEN_MAX);
        api_json_t *root = NULL;
        const char *err = NULL;
        bool ok = kv_b64_decode(&raw, tok) &&
                  api_json_parse(d->a, kv_arena_dup(d->a, kv_buf_slice(&raw)), &root, &err) == 0 &&
                  api_json_type(root) == API_J_OBJ;
        kv_buf_dispose(&raw);
        if (!ok || ddb_item_decode(d, root, &out->start) < 0 || ddb_dec_finish(d) < 0) {
            d->serialization = false;
            api_fail(d->resp, API_E_DDB_VALIDATION, "Invalid NextToken");
            return -1;
        }
    }
    return 0;
}

static int decode_list(ddb_dec_t *d, const api_json_t *in, const char *key, const char *member,
                       size_t max, ddb_pq_in_t *out)
{
    memset(out, 0, sizeof(*out));
    const api_json_t *arr = ddb_opt_kind(d, in, key, API_J_ARR);
    size_t n = arr ? api_json_len(arr) : 0;
    if (arr == NULL)
        ddb_dec_violation(d,
                          "Value null at '%s' failed to satisfy constraint: Member must not be "
                          "null",
                          member);
    else if (n == 0 || n > max)
        ddb_dec_violation(d,
                          "Value '[...]' at '%s' failed to satisfy constraint: Member must have "
                          "length %s %zu",
                          member, n ? "less than or equal to" : "greater than or equal to",
                          n ? max : (size_t)1);
    if (n > max)
        n = 0;
    out->s = kv_arena_calloc(d->a, n + 1, sizeof(*out->s));
    for (size_t i = 0; i < n && !d->serialization; i++) {
        const api_json_t *o = api_json_at(arr, i);
        if (api_json_type(o) != API_J_OBJ) {
            ddb_dec_serial(d, "Expected a statement object");
            break;
        }
        char path[64];
        snprintf(path, sizeof(path), "%s.%zu.member.", member, i + 1);
        decode_stmt(d, o, path, &out->s[out->n++]);
    }
    ddb_decode_rcc(d, in, &out->rcc);
    return 0;
}

int ddb_decode_batch_execute_statement(ddb_dec_t *d, const api_json_t *in, ddb_pq_in_t *out)
{
    decode_list(d, in, "Statements", "statements", DDB_PQ_BATCH_MAX, out);
    return ddb_dec_finish(d);
}

int ddb_decode_execute_transaction(ddb_dec_t *d, const api_json_t *in, ddb_pq_in_t *out)
{
    decode_list(d, in, "TransactStatements", "transactStatements", DDB_TXN_MAX, out);
    if (ddb_opt_str(d, in, "ClientRequestToken", &out->token) &&
        (out->token.len == 0 || out->token.len > 36))
        ddb_dec_violation(
            d,
            "Value '%.*s' at 'clientRequestToken' failed to satisfy constraint: "
            "Member must have length %s",
            (int)(out->token.len > 64 ? 64 : out->token.len), (const char *)out->token.p,
            out->token.len ? "less than or equal to 36" : "greater than or equal to 1");
    return ddb_dec_finish(d);
}

/* ---- translation ---- */

static int parse(api_req_t *req, api_resp_t *resp, const ddb_pq_stmt_in_t *s, ddb_pq_t *q)
{
    const char *err;
    if (ddb_pq_parse(req->arena, s->text, s->params, s->n_params, q, &err) < 0) {
        api_fail(resp, API_E_DDB_VALIDATION, "%s", err);
        return -1;
    }
    return 0;
}

static int table_of(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                    eng_table_t **t)
{
    int rc = eng_table_get(ctx->eng, name, req->arena, t);
    if (rc == 0 && ddb_imp_busy(ctx, (*t)->id)) /* issue 17, I: being imported (CREATING) */
        rc = KV_ENOTFOUND;
    if (rc == 0)
        return 0;
    if (rc == KV_ENOTFOUND)
        api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND, "Requested resource not found");
    else
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
    return -1;
}

static ddb_operand_t *path_of(kv_arena_t *a, const char *name)
{
    ddb_operand_t *o = kv_arena_calloc(a, 1, sizeof(*o));
    o->kind = DDB_OP_PATH;
    o->path.e = kv_arena_calloc(a, 1, sizeof(ddb_path_elem_t));
    o->path.e[0].name = kv_slice_str(name);
    o->path.n = 1;
    return o;
}

static ddb_cond_t *cond_of(kv_arena_t *a, ddb_cond_kind_t k, ddb_cond_t *l, ddb_cond_t *r,
                           const char *attr)
{
    ddb_cond_t *c = kv_arena_calloc(a, 1, sizeof(*c));
    c->kind = k;
    c->l = l;
    c->r = r;
    if (attr)
        c->a = path_of(a, attr);
    return c;
}

static bool is_attr(const ddb_operand_t *o, const char *name)
{
    return name && o->kind == DDB_OP_PATH && o->path.n == 1 && !o->path.e[0].is_index &&
           kv_slice_eq_str(o->path.e[0].name, name);
}

static eng_av_type_t scalar_av(eng_scalar_t s)
{
    return s == ENG_SCALAR_S ? ENG_AV_S : (s == ENG_SCALAR_N ? ENG_AV_N : ENG_AV_B);
}

/* `name = value` (either way round) among the conjuncts, as a key condition with the path on
 * the left; NULL when there is none of the key's type. */
static ddb_cond_t *key_eq(kv_arena_t *a, const ddb_cond_t **cj, size_t n, const char *name,
                          eng_scalar_t type)
{
    for (size_t i = 0; i < n; i++) {
        const ddb_cond_t *c = cj[i];
        if (c->kind != DDB_C_CMP || c->cmp != DDB_EQ)
            continue;
        const ddb_operand_t *p = is_attr(c->a, name) ? c->a : is_attr(c->b, name) ? c->b : NULL;
        const ddb_operand_t *v = p == c->a ? c->b : c->a;
        if (p && v->kind == DDB_OP_VALUE && v->value->t == scalar_av(type)) {
            ddb_cond_t *k = kv_arena_calloc(a, 1, sizeof(*k));
            *k = *c;
            k->a = (ddb_operand_t *)(uintptr_t)p;
            k->b = (ddb_operand_t *)(uintptr_t)v;
            return k;
        }
    }
    return NULL;
}

/* A sort-key condition usable as a key condition (path on the left, values of its type). */
static const ddb_cond_t *sort_cond(const ddb_cond_t **cj, size_t n, const char *name,
                                   eng_scalar_t type)
{
    for (size_t i = 0; name && i < n; i++) {
        const ddb_cond_t *c = cj[i];
        bool shape = (c->kind == DDB_C_CMP && c->cmp != DDB_NE) || c->kind == DDB_C_BETWEEN ||
                     (c->kind == DDB_C_BEGINS && type != ENG_SCALAR_N);
        if (!shape || !is_attr(c->a, name) || c->b->kind != DDB_OP_VALUE ||
            c->b->value->t != scalar_av(type))
            continue;
        if (c->c && (c->c->kind != DDB_OP_VALUE || c->c->value->t != scalar_av(type)))
            continue;
        return c;
    }
    return NULL;
}

/* Issue 17, package M: the key condition of a SELECT on a multi-attribute index: equalities on
 * every HASH attribute, then on the longest left-to-right run of RANGE attributes, then a
 * condition on the next one if there is one (every condition still filters). NULL: a Scan. */
static ddb_cond_t *multi_key_cond(kv_arena_t *a, const eng_index_t *ix, const ddb_cond_t **cj,
                                  size_t n)
{
    ddb_cond_t *kc = NULL;
    for (size_t k = 0; k < eng_index_n_hash(ix); k++) {
        eng_attr_def_t h = eng_index_hash_at(ix, k);
        ddb_cond_t *e = key_eq(a, cj, n, h.name, h.type);
        if (e == NULL)
            return NULL;
        kc = kc ? cond_of(a, DDB_C_AND, kc, e, NULL) : e;
    }
    for (size_t k = 0; k < eng_index_n_range(ix); k++) {
        eng_attr_def_t r = eng_index_range_at(ix, k);
        ddb_cond_t *e = key_eq(a, cj, n, r.name, r.type);
        const ddb_cond_t *c = e ? e : sort_cond(cj, n, r.name, r.type);
        if (c)
            kc = cond_of(a, DDB_C_AND, kc, (ddb_cond_t *)(uintptr_t)c, NULL);
        if (e == NULL)
            break;
    }
    return kc;
}

/* The item key a write's WHERE names: an equality on every key attribute. */
static int where_key(api_req_t *req, api_resp_t *resp, const eng_table_t *t, const ddb_pq_t *q,
                     eng_item_t **key)
{
    const ddb_cond_t *cj[64];
    size_t n = ddb_pq_conjuncts(q->where, cj, 64);
    ddb_cond_t *h = key_eq(req->arena, cj, n, t->hash_key, t->hash_type);
    ddb_cond_t *r = t->range_key ? key_eq(req->arena, cj, n, t->range_key, t->range_type) : NULL;
    if (h == NULL || (t->range_key && r == NULL)) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "Where clause does not contain a mandatory equality on all key attributes");
        return -1;
    }
    eng_item_t *k = kv_arena_calloc(req->arena, 1, sizeof(*k));
    k->attrs = kv_arena_calloc(req->arena, 2, sizeof(eng_attr_t));
    k->attrs[k->n++] = (eng_attr_t){kv_slice_str(t->hash_key), (eng_av_t *)(uintptr_t)h->b->value};
    if (r)
        k->attrs[k->n++] =
            (eng_attr_t){kv_slice_str(t->range_key), (eng_av_t *)(uintptr_t)r->b->value};
    *key = k;
    return 0;
}

static void common(api_req_t *req, ddb_item_common_t *c, kv_slice_t table, ddb_rcc_t rcc)
{
    memset(c, 0, sizeof(*c));
    c->table = table;
    c->rcc = rcc;
    ddb_expr_env_init(&c->env, req->arena, NULL, NULL);
}

static void one_item(api_req_t *req, ddb_pq_result_t *r, const eng_item_t *it)
{
    r->has_items = true;
    r->items = kv_arena_calloc(req->arena, 1, sizeof(*r->items));
    if (it)
        r->items[r->n++] = it;
}

static int run_select(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_pq_in_t *in,
                      const ddb_pq_stmt_in_t *s, const ddb_pq_t *q, ddb_pq_result_t *r)
{
    eng_table_t *t;
    if (table_of(ctx, req, resp, q->table, &t) < 0)
        return -1;
    const eng_index_t *ix = q->index.len ? eng_index_find(t, q->index) : NULL;
    if (q->index.len && ix == NULL) {
        api_fail(resp, API_E_DDB_VALIDATION, "The table does not have the specified index: %.*s",
                 (int)q->index.len, (const char *)q->index.p);
        return -1;
    }
    const char *hk = ix ? ix->hash_key : t->hash_key, *rk = ix ? ix->range_key : t->range_key;
    eng_scalar_t ht = ix ? ix->hash_type : t->hash_type, rt = ix ? ix->range_type : t->range_type;
    const ddb_cond_t *cj[64];
    size_t n = ddb_pq_conjuncts(q->where, cj, 64);
    ddb_query_in_t qi;
    memset(&qi, 0, sizeof(qi));
    common(req, &qi.c, q->table, in->rcc);
    qi.c.proj = q->proj;
    qi.c.consistent = s->consistent;
    qi.filter = q->where; /* every condition, the key's included, filters */
    qi.filter_keys_ok = true;
    qi.start = in->start;
    qi.limit = in->limit;
    qi.forward = !q->desc;
    qi.index = q->index;
    qi.select = q->proj ? DDB_SEL_SPECIFIC : ix ? DDB_SEL_PROJECTED : DDB_SEL_ALL;
    bool multi = ix && eng_index_multi(ix);
    ddb_cond_t *pk =
        multi ? multi_key_cond(req->arena, ix, cj, n) : key_eq(req->arena, cj, n, hk, ht);
    if (q->has_order && (pk == NULL || rk == NULL || !kv_slice_eq_str(q->order_key, rk))) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "Must have WHERE clause in the statement when using ORDER BY clause with an "
                 "equality on the partition key, and ORDER BY the sort key");
        return -1;
    }
    ddb_query_out_t out;
    memset(&out, 0, sizeof(out));
    int rc;
    if (pk) {
        const ddb_cond_t *sk = multi ? NULL : sort_cond(cj, n, rk, rt);
        qi.key_cond =
            sk ? cond_of(req->arena, DDB_C_AND, pk, (ddb_cond_t *)(uintptr_t)sk, NULL) : pk;
        rc = ddb_exec_query(ctx, req, resp, &qi, &out);
    } else {
        rc = ddb_exec_scan(ctx, req, resp, &qi, &out);
    }
    if (rc < 0)
        return -1;
    r->has_items = true;
    r->items = out.items;
    r->n = out.n;
    r->last_key = out.last_key;
    r->units = out.units;
    r->read = true;
    return 0;
}

static ddb_rv_t returning(ddb_pq_returning_t rv)
{
    switch (rv) {
    case DDB_PQ_RET_ALL_OLD:
        return DDB_RV_ALL_OLD;
    case DDB_PQ_RET_MODIFIED_OLD:
        return DDB_RV_UPDATED_OLD;
    case DDB_PQ_RET_ALL_NEW:
        return DDB_RV_ALL_NEW;
    case DDB_PQ_RET_MODIFIED_NEW:
        return DDB_RV_UPDATED_NEW;
    default:
        return DDB_RV_NONE;
    }
}

/* The statement as a transaction action (or a plain write's input). */
static int to_action(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_pq_stmt_in_t *s,
                     const ddb_pq_t *q, ddb_rcc_t rcc, ddb_tx_action_t *act)
{
    eng_table_t *t;
    memset(act, 0, sizeof(*act));
    if (q->index.len) {
        api_fail(resp, API_E_DDB_VALIDATION, "Writes to an index are not supported");
        return -1;
    }
    if (table_of(ctx, req, resp, q->table, &t) < 0)
        return -1;
    kv_arena_t *a = req->arena;
    if (q->kind == DDB_PQ_INSERT) {
        act->kind = DDB_TX_PUT;
        act->insert = true;
        common(req, &act->put.c, q->table, rcc);
        act->put.c.cond = cond_of(a, DDB_C_NOT_EXISTS, NULL, NULL, t->hash_key);
        act->put.item = q->item;
        return 0;
    }
    ddb_key_in_t *k = &act->key;
    common(req, &k->c, q->table, rcc);
    k->c.rv_on_fail = s->rv_on_fail;
    k->c.rv = returning(q->returning);
    if (where_key(req, resp, t, q, &k->key) < 0)
        return -1;
    ddb_cond_t *exists = cond_of(a, DDB_C_EXISTS, NULL, NULL, t->hash_key);
    switch (q->kind) {
    case DDB_PQ_UPDATE: /* the item must exist and match */
        act->kind = DDB_TX_UPDATE;
        k->update = q->update;
        k->c.cond = cond_of(a, DDB_C_AND, exists, q->where, NULL);
        break;
    case DDB_PQ_DELETE: /* an absent item is no error; a present one must match */
        act->kind = DDB_TX_DELETE;
        k->c.cond = cond_of(a, DDB_C_OR, cond_of(a, DDB_C_NOT_EXISTS, NULL, NULL, t->hash_key),
                            q->where, NULL);
        break;
    case DDB_PQ_EXISTS:
        act->kind = DDB_TX_CHECK;
        k->c.cond = cond_of(a, DDB_C_AND, exists, q->where, NULL);
        break;
    default: /* a SELECT by key */
        act->kind = DDB_TX_GET;
        k->c.proj = q->proj;
        k->c.consistent = s->consistent;
        k->c.rv = DDB_RV_NONE;
    }
    return 0;
}

static int run_write(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_pq_in_t *in,
                     const ddb_pq_stmt_in_t *s, const ddb_pq_t *q, ddb_pq_result_t *r)
{
    if (q->kind == DDB_PQ_EXISTS) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "EXISTS can only be used as a statement of ExecuteTransaction");
        return -1;
    }
    ddb_tx_action_t act;
    if (to_action(ctx, req, resp, s, q, in->rcc, &act) < 0)
        return -1;
    ddb_item_out_t out;
    memset(&out, 0, sizeof(out));
    int rc;
    switch (act.kind) {
    case DDB_TX_PUT:
        rc = ddb_exec_put_item(ctx, req, resp, &act.put, &out);
        if (rc < 0 && resp->_err == API_E_DDB_COND_FAILED) {
            req->_st->ddb_extra = KV_SLICE_NULL;
            api_fail(resp, API_E_DDB_DUPLICATE_ITEM, NULL);
        }
        break;
    case DDB_TX_UPDATE:
        rc = ddb_exec_update_item(ctx, req, resp, &act.key, &out);
        break;
    case DDB_TX_GET:
        rc = ddb_exec_get_item(ctx, req, resp, &act.key, &out);
        break;
    default:
        rc = ddb_exec_delete_item(ctx, req, resp, &act.key, &out);
    }
    if (rc < 0)
        return -1;
    if (q->returning != DDB_PQ_RET_NONE || act.kind == DDB_TX_GET)
        one_item(req, r, out.item);
    r->units = out.units;
    r->read = out.read;
    return 0;
}

int ddb_exec_execute_statement(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const ddb_pq_in_t *in, ddb_pq_out_t *out)
{
    ddb_pq_t q;
    if (parse(req, resp, &in->s[0], &q) < 0)
        return -1;
    out->r = kv_arena_calloc(req->arena, 1, sizeof(*out->r));
    out->n = 1;
    out->rcc = in->rcc;
    out->r->table = q.table;
    if (q.kind == DDB_PQ_SELECT)
        return run_select(ctx, req, resp, in, &in->s[0], &q, out->r);
    if (in->start || in->limit) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 in->start ? "NextToken can only be used with a SELECT statement"
                           : "Limit can only be used with a SELECT statement");
        return -1;
    }
    return run_write(ctx, req, resp, in, &in->s[0], &q, out->r);
}

static const char *batch_code(int err)
{
    switch (err) {
    case API_E_DDB_COND_FAILED:
        return "ConditionalCheckFailed";
    case API_E_DDB_DUPLICATE_ITEM:
        return "DuplicateItem";
    case API_E_DDB_VALIDATION:
        return "ValidationError";
    case API_E_DDB_RESOURCE_NOT_FOUND:
        return "ResourceNotFound";
    case API_E_DDB_TXN_CONFLICT:
        return "TransactionConflict";
    default:
        return "InternalServerError";
    }
}

int ddb_exec_batch_execute_statement(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const ddb_pq_in_t *in, ddb_pq_out_t *out)
{
    out->r = kv_arena_calloc(req->arena, in->n + 1, sizeof(*out->r));
    out->n = in->n;
    out->rcc = in->rcc;
    ddb_pq_t *qs = kv_arena_calloc(req->arena, in->n + 1, sizeof(*qs));
    bool *ok = kv_arena_calloc(req->arena, in->n + 1, sizeof(*ok));
    size_t reads = 0, writes = 0;
    const char *err;
    for (size_t i = 0; i < in->n; i++) {
        ok[i] = ddb_pq_parse(req->arena, in->s[i].text, in->s[i].params, in->s[i].n_params, &qs[i],
                             &err) == 0;
        if (!ok[i]) {
            out->r[i].err_code = "ValidationError";
            out->r[i].err_msg = err;
            continue;
        }
        out->r[i].table = qs[i].table;
        reads += qs[i].kind == DDB_PQ_SELECT;
        writes += qs[i].kind != DDB_PQ_SELECT;
    }
    if (reads && writes) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "Statements in a batch must be either all reads or all writes");
        return -1;
    }
    out->batch_read = reads > 0;
    for (size_t i = 0; i < in->n; i++) {
        if (!ok[i])
            continue;
        if (in->denied && in->denied[i]) { /* refused by authorization (ddb_authz.c) */
            out->r[i].err_code = "AccessDenied";
            out->r[i].err_msg = in->denied[i];
            continue;
        }
        /* Each statement on its own: its failure is its own entry, not the request's. */
        api_resp_t one;
        memset(&one, 0, sizeof(one));
        one._arena = resp->_arena;
        one._st = resp->_st;
        req->_st->ddb_extra = KV_SLICE_NULL;
        ddb_pq_in_t single = *in;
        single.s = &in->s[i];
        single.n = 1;
        single.limit = 0;
        single.start = NULL;
        int rc;
        if (qs[i].kind == DDB_PQ_SELECT) {
            /* A batch read names one item by its whole key: a GetItem. */
            ddb_tx_action_t act;
            rc = to_action(ctx, req, &one, &in->s[i], &qs[i], in->rcc, &act);
            ddb_item_out_t o;
            memset(&o, 0, sizeof(o));
            if (rc == 0 && qs[i].index.len == 0)
                rc = ddb_exec_get_item(ctx, req, &one, &act.key, &o);
            if (rc == 0) {
                out->r[i].has_items = o.item != NULL;
                out->r[i].items = kv_arena_calloc(req->arena, 1, sizeof(*out->r[i].items));
                if (o.item)
                    out->r[i].items[out->r[i].n++] = o.item;
                out->r[i].units = o.units;
                out->r[i].read = true;
            }
        } else {
            rc = run_write(ctx, req, &one, &single, &in->s[i], &qs[i], &out->r[i]);
        }
        resp->durable |= one.durable;
        if (rc < 0) {
            out->r[i].err_code = batch_code(one._err);
            out->r[i].err_msg = one._msg;
            out->r[i].err_item = req->_st->ddb_extra;
        }
        req->_st->ddb_extra = KV_SLICE_NULL;
    }
    return 0;
}

int ddb_exec_execute_transaction(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 const ddb_pq_in_t *in, ddb_pq_out_t *out)
{
    ddb_transact_in_t tin;
    memset(&tin, 0, sizeof(tin));
    tin.acts = kv_arena_calloc(req->arena, in->n + 1, sizeof(*tin.acts));
    tin.n = in->n;
    tin.token = in->token;
    tin.rcc = in->rcc;
    size_t reads = 0;
    for (size_t i = 0; i < in->n; i++) {
        ddb_pq_t q;
        if (parse(req, resp, &in->s[i], &q) < 0 ||
            to_action(ctx, req, resp, &in->s[i], &q, in->rcc, &tin.acts[i]) < 0)
            return -1;
        reads += q.kind == DDB_PQ_SELECT;
    }
    if (reads && reads != in->n) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "Transaction must contain either all reads or all writes");
        return -1;
    }
    out->batch_read = reads > 0;
    out->rcc = in->rcc;
    return reads ? ddb_exec_transact_get_items(ctx, req, resp, &tin, &out->txn)
                 : ddb_exec_transact_write_items(ctx, req, resp, &tin, &out->txn);
}

/* ---- encode ---- */

static void next_token(api_req_t *req, const eng_item_t *key, api_jw_t *w)
{
    kv_buf_t j, b;
    kv_buf_init(&j, 1 << 20);
    kv_buf_init(&b, 2 << 20);
    api_jw_t jw;
    api_jw_init(&jw, &j);
    ddb_item_encode(&jw, key);
    kv_b64_encode(&b, j.p, j.len);
    api_jw_key(w, "NextToken");
    api_jw_str(w, kv_buf_slice(&b));
    api_jw_key(w, "LastEvaluatedKey");
    ddb_item_encode(w, key);
    kv_buf_dispose(&j);
    kv_buf_dispose(&b);
    (void)req;
}

void ddb_encode_execute_statement(api_ctx_t *ctx, api_req_t *req, const ddb_pq_out_t *out,
                                  api_jw_t *w)
{
    (void)ctx;
    const ddb_pq_result_t *r = &out->r[0];
    api_jw_obj_begin(w);
    if (r->has_items) {
        api_jw_key(w, "Items");
        api_jw_arr_begin(w);
        for (size_t i = 0; i < r->n; i++)
            ddb_item_encode(w, r->items[i]);
        api_jw_arr_end(w);
    }
    if (r->last_key)
        next_token(req, r->last_key, w);
    if (out->rcc != DDB_RCC_NONE) {
        api_jw_key(w, "ConsumedCapacity");
        ddb_capacity_obj(w, r->table, r->units, out->rcc);
    }
    api_jw_obj_end(w);
}

void ddb_encode_batch_execute_statement(api_ctx_t *ctx, api_req_t *req, const ddb_pq_out_t *out,
                                        api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "Responses");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->n; i++) {
        const ddb_pq_result_t *r = &out->r[i];
        api_jw_obj_begin(w);
        if (r->table.len) {
            api_jw_key(w, "TableName");
            api_jw_str(w, r->table);
        }
        if (r->err_code) {
            api_jw_key(w, "Error");
            api_jw_obj_begin(w);
            api_jw_kstr(w, "Code", r->err_code);
            if (r->err_msg)
                api_jw_kstr(w, "Message", r->err_msg);
            if (r->err_item.len) { /* "Item":{...} as the error encoder writes it */
                api_jw_raw(w, KV_SLICE_LIT(","));
                api_jw_raw(w, r->err_item);
            }
            api_jw_obj_end(w);
        } else if (r->n) {
            api_jw_key(w, "Item");
            ddb_item_encode(w, r->items[0]);
        }
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    if (out->rcc != DDB_RCC_NONE) {
        api_jw_key(w, "ConsumedCapacity");
        api_jw_arr_begin(w);
        for (size_t i = 0; i < out->n; i++)
            if (!out->r[i].err_code)
                ddb_capacity_obj(w, out->r[i].table, out->r[i].units, out->rcc);
        api_jw_arr_end(w);
    }
    api_jw_obj_end(w);
}

void ddb_encode_execute_transaction(api_ctx_t *ctx, api_req_t *req, const ddb_pq_out_t *out,
                                    api_jw_t *w)
{
    if (out->batch_read)
        ddb_encode_transact_get_items(ctx, req, &out->txn, w);
    else
        ddb_encode_transact_write_items(ctx, req, &out->txn, w);
}
