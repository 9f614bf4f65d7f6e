/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Execute stage of the item operations: key checks against the table schema,
 * conditional writes as atomic read-modify-writes in the engine, Query and
 * Scan as bounded range iterations with DynamoDB's paging rules.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "ddb_int.h"

#define DDB_PAGE_BYTES  (1u << 20)  /* Query/Scan read at most 1 MB per page */
#define DDB_BATCH_BYTES (16u << 20) /* BatchGetItem response limit */

static int engine_fail(api_resp_t *resp, int rc)
{
    if (rc == KV_EBUSY) { /* the item is part of a transaction in flight */
        api_fail(resp, API_E_DDB_TXN_CONFLICT, "Transaction is ongoing for the item");
        return -1;
    }
    KV_LOG_ERROR("dynamodb: engine error %s", kv_err_name(rc));
    api_fail(resp, API_E_DDB_INTERNAL, NULL);
    return -1;
}

static int get_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                     eng_table_t **t)
{
    int rc = eng_table_get(ctx->eng, name, req->arena, t);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND, "Requested resource not found");
        return -1;
    }
    return rc < 0 ? engine_fail(resp, rc) : 0;
}

static const char *type_name(eng_av_type_t t)
{
    static const char *n[] = {"", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"};
    return n[t];
}

static eng_av_type_t scalar_av(eng_scalar_t s)
{
    return s == ENG_SCALAR_S ? ENG_AV_S : (s == ENG_SCALAR_N ? ENG_AV_N : ENG_AV_B);
}

static int check_one_key(api_resp_t *resp, const char *name, eng_scalar_t type, const eng_av_t *v,
                         bool exact, size_t max)
{
    if (v == NULL) {
        if (exact)
            api_fail(resp, API_E_DDB_VALIDATION,
                     "The provided key element does not match the schema");
        else
            api_fail(resp, API_E_DDB_VALIDATION,
                     "One or more parameter values were invalid: Missing the key %s in the item",
                     name);
        return -1;
    }
    if (v->t != scalar_av(type)) {
        if (exact)
            api_fail(resp, API_E_DDB_VALIDATION,
                     "The provided key element does not match the schema");
        else
            api_fail(resp, API_E_DDB_VALIDATION,
                     "One or more parameter values were invalid: Type mismatch for key %s "
                     "expected: %s actual: %s",
                     name, type_name(scalar_av(type)), type_name(v->t));
        return -1;
    }
    if (v->t != ENG_AV_N && v->u.s.len == 0) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "One or more parameter values are not valid. The AttributeValue for a key "
                 "attribute cannot contain an empty %s value. Key: %s",
                 v->t == ENG_AV_S ? "string" : "binary", name);
        return -1;
    }
    if (v->u.s.len > max) {
        if (max == ENG_KEY_MAX_PK)
            api_fail(resp, API_E_DDB_VALIDATION,
                     "One or more parameter values were invalid: Size of hashkey has exceeded the "
                     "maximum size limit of2048 bytes");
        else
            api_fail(resp, API_E_DDB_VALIDATION,
                     "One or more parameter values were invalid: Aggregated size of all range "
                     "keys has exceeded the size limit of 1024 bytes");
        return -1;
    }
    return 0;
}

/* Check an item's (or Key's) key attributes and compute its storage key. */
static int item_key(api_req_t *req, api_resp_t *resp, const eng_table_t *t, const eng_item_t *it,
                    bool exact, kv_slice_t *key)
{
    const eng_av_t *pk = eng_item_get_attr(it, kv_slice_str(t->hash_key));
    const eng_av_t *sk = t->range_key ? eng_item_get_attr(it, kv_slice_str(t->range_key)) : NULL;
    if (exact && it->n != (t->range_key ? 2u : 1u)) {
        api_fail(resp, API_E_DDB_VALIDATION, "The provided key element does not match the schema");
        return -1;
    }
    if (check_one_key(resp, t->hash_key, t->hash_type, pk, exact, ENG_KEY_MAX_PK) < 0)
        return -1;
    if (t->range_key &&
        check_one_key(resp, t->range_key, t->range_type, sk, exact, ENG_KEY_MAX_SK) < 0)
        return -1;
    if (eng_item_key(t, pk, sk, req->arena, key) < 0) {
        api_fail(resp, API_E_DDB_VALIDATION, "The provided key element does not match the schema");
        return -1;
    }
    return 0;
}

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

static double write_units(size_t bytes)
{
    double u = ceil((double)bytes / 1024.0);
    return u < 1 ? 1 : u;
}

static double read_units(size_t bytes, bool consistent)
{
    double u = ceil((double)bytes / 4096.0);
    if (u < 1)
        u = 1;
    return consistent ? u : u / 2;
}

static int item_too_big(api_resp_t *resp, const eng_item_t *it, const char *msg)
{
    if (eng_item_size(it) <= ENG_ITEM_MAX_BYTES)
        return 0;
    api_fail(resp, API_E_DDB_VALIDATION, "%s", msg);
    return -1;
}

/* An item's secondary index keys must have the index's types (an item without them is just
 * not in the index). */
static int index_keys_ok(api_resp_t *resp, const eng_table_t *t, const eng_item_t *it)
{
    char msg[1024];
    if (t->n_indexes == 0 || !ddb_index_item_error(t, it, msg, sizeof(msg)))
        return 0;
    api_fail(resp, API_E_DDB_VALIDATION, "%s", msg);
    return -1;
}

/* The item of a failed condition, for ReturnValuesOnConditionCheckFailure. */
static void cond_failed(api_req_t *req, api_resp_t *resp, const ddb_item_common_t *c,
                        const eng_item_t *old)
{
    api_fail(resp, API_E_DDB_COND_FAILED, NULL);
    if (c->rv_on_fail && old) {
        kv_buf_t b;
        kv_buf_init(&b, 4u << 20);
        api_jw_t w;
        api_jw_init(&w, &b);
        kv_buf_append_str(&b, "\"Item\":");
        ddb_item_encode(&w, old);
        req->_st->ddb_extra = kv_arena_dup(req->arena, kv_buf_slice(&b));
        kv_buf_dispose(&b);
    }
}

/* ---- single-item writes ---- */

typedef struct rmw_ctx {
    const ddb_item_common_t *c;
    ddb_expr_env_t *env;
    const eng_table_t *t;
    eng_item_t *put;            /* PutItem */
    const ddb_update_t *update; /* UpdateItem */
    const eng_item_t *key;
    bool del;
    bool check; /* a transaction's ConditionCheck: the condition only */
    bool too_big;
    eng_item_t *result;
    char msg[512]; /* why an updated item's index key was refused */
} rmw_ctx_t;

static int on_rmw(void *arg, const eng_item_t *old, eng_item_t **nu)
{
    rmw_ctx_t *x = arg;
    if (x->c->cond && !ddb_cond_eval(x->c->cond, old))
        return KV_ECONDFAIL;
    if (x->check)
        return ENG_RMW_NONE;
    if (x->del)
        return old ? ENG_RMW_DELETE : ENG_RMW_NONE;
    if (x->put) {
        *nu = x->result = x->put;
        return ENG_RMW_PUT;
    }
    /* UpdateItem */
    if (x->update == NULL) {
        if (old) {
            x->result = (eng_item_t *)(uintptr_t)old;
            return ENG_RMW_NONE;
        }
        *nu = x->result = (eng_item_t *)(uintptr_t)x->key;
        return ENG_RMW_PUT;
    }
    eng_item_t *r;
    if (ddb_update_apply(x->env, x->update, old, x->key, &r) < 0)
        return KV_EINVAL;
    if (eng_item_size(r) > ENG_ITEM_MAX_BYTES) {
        x->too_big = true;
        return KV_ETOOBIG;
    }
    if (x->t->n_indexes && ddb_index_item_error(x->t, r, x->msg, sizeof(x->msg))) {
        x->env->error = x->msg;
        return KV_EINVAL;
    }
    *nu = x->result = r;
    return ENG_RMW_PUT;
}

/* The common outcomes of a conditional single-item write. @return 0 or -1 (resp filled). */
static int rmw_outcome(api_req_t *req, api_resp_t *resp, const ddb_item_common_t *c, int rc,
                       const eng_item_t *old, bool written)
{
    if (rc == KV_ECONDFAIL) {
        cond_failed(req, resp, c, old);
        return -1;
    }
    if (rc < 0)
        return engine_fail(resp, rc);
    resp->durable = written;
    return 0;
}

static void set_units(ddb_item_out_t *out, const ddb_item_common_t *c, double units)
{
    out->units = units;
    out->table = c->table;
    out->rcc = c->rcc;
}

int ddb_exec_put_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_put_item_in_t *in,
                      ddb_put_item_out_t *out)
{
    eng_table_t *t;
    kv_slice_t key;
    if (get_table(ctx, req, resp, in->c.table, &t) < 0 ||
        item_key(req, resp, t, in->item, false, &key) < 0 ||
        item_too_big(resp, in->item, "Item size has exceeded the maximum allowed size") < 0 ||
        index_keys_ok(resp, t, in->item) < 0)
        return -1;
    if (in->c.cond == NULL && in->c.rv == DDB_RV_NONE && in->c.rcc == DDB_RCC_NONE) {
        /* Nothing needs the old item: write without reading it. */
        int wrc = eng_item_write(ctx->eng, t, key, in->item);
        if (wrc < 0)
            return engine_fail(resp, wrc);
        resp->durable = true;
        set_units(out, &in->c, write_units(eng_item_size(in->item)));
        return 0;
    }
    rmw_ctx_t x = {.c = &in->c, .t = t, .put = in->item};
    eng_item_t *old;
    bool written;
    int rc = eng_item_rmw(ctx->eng, t, key, req->arena, on_rmw, &x, &old, &written);
    if (rmw_outcome(req, resp, &in->c, rc, old, written) < 0)
        return -1;
    out->item = in->c.rv == DDB_RV_ALL_OLD ? old : NULL;
    size_t sz = eng_item_size(in->item), osz = old ? eng_item_size(old) : 0;
    set_units(out, &in->c, write_units(sz > osz ? sz : osz));
    return 0;
}

int ddb_exec_delete_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                         const ddb_delete_item_in_t *in, ddb_delete_item_out_t *out)
{
    eng_table_t *t;
    kv_slice_t key;
    if (get_table(ctx, req, resp, in->c.table, &t) < 0 ||
        item_key(req, resp, t, in->key, true, &key) < 0)
        return -1;
    rmw_ctx_t x = {.c = &in->c, .t = t, .del = true};
    eng_item_t *old;
    bool written;
    int rc = eng_item_rmw(ctx->eng, t, key, req->arena, on_rmw, &x, &old, &written);
    if (rmw_outcome(req, resp, &in->c, rc, old, written) < 0)
        return -1;
    out->item = in->c.rv == DDB_RV_ALL_OLD ? old : NULL;
    set_units(out, &in->c, write_units(old ? eng_item_size(old) : 0));
    return 0;
}

/* An update may not touch the key attributes. */
static int updates_key(api_resp_t *resp, const eng_table_t *t, const ddb_update_t *u)
{
    for (size_t i = 0; u && i < u->n; i++) {
        kv_slice_t top = u->acts[i].path.e[0].name;
        if (kv_slice_eq_str(top, t->hash_key) ||
            (t->range_key && kv_slice_eq_str(top, t->range_key))) {
            api_fail(resp, API_E_DDB_VALIDATION,
                     "One or more parameter values were invalid: Cannot update attribute %.*s. "
                     "This attribute is part of the key",
                     (int)top.len, (const char *)top.p);
            return -1;
        }
    }
    return 0;
}

/* The paths an update touched, as a projection (for UPDATED_OLD / UPDATED_NEW). */
static ddb_projection_t *updated_paths(kv_arena_t *a, const ddb_update_t *u)
{
    ddb_projection_t *p = kv_arena_calloc(a, 1, sizeof(*p));
    p->paths = kv_arena_calloc(a, u->n + 1, sizeof(ddb_path_t));
    for (size_t i = 0; i < u->n; i++)
        p->paths[p->n++] = u->acts[i].path;
    return p;
}

int ddb_exec_update_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                         const ddb_update_item_in_t *in, ddb_update_item_out_t *out)
{
    eng_table_t *t;
    kv_slice_t key;
    if (get_table(ctx, req, resp, in->c.table, &t) < 0 ||
        item_key(req, resp, t, in->key, true, &key) < 0)
        return -1;
    if (updates_key(resp, t, in->update) < 0)
        return -1;
    ddb_expr_env_t env = in->c.env;
    env.error = NULL;
    rmw_ctx_t x = {.c = &in->c, .env = &env, .t = t, .update = in->update, .key = in->key};
    eng_item_t *old;
    bool written;
    int rc = eng_item_rmw(ctx->eng, t, key, req->arena, on_rmw, &x, &old, &written);
    if (rc == KV_EINVAL) {
        api_fail(resp, API_E_DDB_VALIDATION, "%s", env.error ? env.error : "Invalid update");
        return -1;
    }
    if (rc == KV_ETOOBIG && x.too_big) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "Item size to update has exceeded the maximum allowed size");
        return -1;
    }
    if (rmw_outcome(req, resp, &in->c, rc, old, written) < 0)
        return -1;
    switch (in->c.rv) {
    case DDB_RV_ALL_OLD:
        out->item = old;
        break;
    case DDB_RV_ALL_NEW:
        out->item = x.result;
        break;
    case DDB_RV_UPDATED_OLD:
    case DDB_RV_UPDATED_NEW:
        if (in->update) {
            const eng_item_t *src = in->c.rv == DDB_RV_UPDATED_OLD ? old : x.result;
            eng_item_t *p = ddb_project(req->arena, src, updated_paths(req->arena, in->update));
            out->item = p->n ? p : NULL;
        }
        break;
    default:
        break;
    }
    size_t sz = x.result ? eng_item_size(x.result) : 0, osz = old ? eng_item_size(old) : 0;
    set_units(out, &in->c, write_units(sz > osz ? sz : osz));
    return 0;
}

int ddb_exec_get_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_get_item_in_t *in,
                      ddb_get_item_out_t *out)
{
    eng_table_t *t;
    kv_slice_t key;
    if (get_table(ctx, req, resp, in->c.table, &t) < 0 ||
        item_key(req, resp, t, in->key, true, &key) < 0)
        return -1;
    eng_item_t *it = NULL;
    int rc = eng_item_get(ctx->eng, key, req->arena, &it);
    if (rc < 0 && rc != KV_ENOTFOUND)
        return engine_fail(resp, rc);
    out->read = true;
    if (rc == 0)
        out->item = in->c.proj ? ddb_project(req->arena, it, in->c.proj) : it;
    set_units(out, &in->c, read_units(rc == 0 ? eng_item_size(it) : 0, in->c.consistent));
    return 0;
}

/* ---- Query and Scan ---- */

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
    if (pkc->b->value->t != scalar_av(t->hash_type))
        return bad_key_cond(resp, "One or more parameter values were invalid: Condition parameter "
                                  "type does not match schema type");
    rs->pk = pkc->b->value;
    if (skc == NULL)
        return 0;
    eng_av_type_t skt = scalar_av(t->range_type);
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

/* Whether every attribute a projection names is in the index's entries. */
static bool projected(const eng_table_t *t, const eng_index_t *ix, const ddb_projection_t *p)
{
    if (ix->proj == ENG_PROJ_ALL)
        return true;
    for (size_t i = 0; i < p->n; i++) {
        kv_slice_t n = p->paths[i].e[0].name;
        bool in = kv_slice_eq_str(n, t->hash_key) ||
                  (t->range_key && kv_slice_eq_str(n, t->range_key)) ||
                  kv_slice_eq_str(n, ix->hash_key) ||
                  (ix->range_key && kv_slice_eq_str(n, ix->range_key));
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
    k->attrs = kv_arena_calloc(a, 4, sizeof(eng_attr_t));
    const char *names[4] = {t->hash_key, t->range_key, ix->hash_key, ix->range_key};
    for (int i = 0; i < 4; i++) {
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
    if (ix ? index_key_of(req->arena, t, ix, start)->n != start->n ||
                 item_key(req, resp, t, start, false, &base) < 0
           : item_key(req, resp, t, start, true, &base) < 0)
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
    eng_cursor_t *r;
    eng_read_err_t why;
    int rc = eng_cursor_open(ctx->eng, rs, &r, &why);
    if (rc < 0) {
        if (rc != KV_EINVAL)
            return engine_fail(resp, rc);
        if (why == ENG_READ_BAD_BETWEEN)
            return bad_between(resp);
        if (why == ENG_READ_BAD_START)
            return bad_start(resp);
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
            return engine_fail(resp, rc);
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
    out->units = read_units(bytes, in->c.consistent);
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
    if (get_table(ctx, req, resp, in->c.table, &t) < 0 || read_index(resp, t, in, &ix) < 0)
        return -1;
    schema_t sc;
    schema_of(t, ix, &sc);
    eng_read_spec_t rs = {.t = t, .ix = ix, .reverse = !in->forward};
    if (key_spec(resp, &sc, in->key_cond, &rs) < 0)
        return -1;
    return read_range(ctx, req, resp, t, in, &rs, out);
}

int ddb_exec_scan(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_scan_in_t *in,
                  ddb_scan_out_t *out)
{
    eng_table_t *t;
    const eng_index_t *ix;
    if (get_table(ctx, req, resp, in->c.table, &t) < 0 || read_index(resp, t, in, &ix) < 0)
        return -1;
    eng_read_spec_t rs = {.t = t,
                          .ix = ix,
                          .segment = (uint32_t)in->segment,
                          .total_segments = (uint32_t)in->total_segments};
    return read_range(ctx, req, resp, t, in, &rs, out);
}

/* ---- batches ---- */

static bool duplicate_key(const kv_slice_t *keys, size_t n, kv_slice_t k)
{
    for (size_t i = 0; i < n; i++)
        if (kv_slice_eq(keys[i], k))
            return true;
    return false;
}

int ddb_exec_batch_get_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            const ddb_batch_get_item_in_t *in, ddb_batch_get_item_out_t *out)
{
    *out = *in;
    size_t bytes = 0;
    for (size_t i = 0; i < in->n; i++) {
        ddb_batch_table_t *bt = &in->t[i];
        eng_table_t *t;
        if (get_table(ctx, req, resp, bt->table, &t) < 0)
            return -1;
        kv_slice_t *keys = kv_arena_calloc(req->arena, bt->n, sizeof(*keys));
        for (size_t k = 0; k < bt->n; k++) {
            if (item_key(req, resp, t, bt->keys[k], true, &keys[k]) < 0)
                return -1;
            if (duplicate_key(keys, k, keys[k])) {
                api_fail(resp, API_E_DDB_VALIDATION,
                         "Provided list of item keys contains duplicates");
                return -1;
            }
        }
        bt->found = kv_arena_calloc(req->arena, bt->n, sizeof(*bt->found));
        bt->first_unprocessed = bt->n;
        for (size_t k = 0; k < bt->n; k++) {
            eng_item_t *it;
            int rc = eng_item_get(ctx->eng, keys[k], req->arena, &it);
            if (rc == KV_ENOTFOUND)
                continue;
            if (rc < 0)
                return engine_fail(resp, rc);
            size_t sz = eng_item_size(it);
            if (bytes + sz > DDB_BATCH_BYTES && bytes > 0) {
                /* The response is full: this key and the rest go back as UnprocessedKeys. */
                bt->first_unprocessed = k;
                break;
            }
            bytes += sz;
            bt->units += read_units(sz, bt->c.consistent);
            bt->found[bt->n_found++] = bt->c.proj ? ddb_project(req->arena, it, bt->c.proj) : it;
        }
    }
    return 0;
}

int ddb_exec_batch_write_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              const ddb_batch_write_item_in_t *in, ddb_batch_write_item_out_t *out)
{
    *out = *in;
    eng_table_t **tables = kv_arena_calloc(req->arena, in->n, sizeof(*tables));
    kv_slice_t **keys = kv_arena_calloc(req->arena, in->n, sizeof(*keys));
    /* Validate everything before writing anything. */
    for (size_t i = 0; i < in->n; i++) {
        ddb_batch_table_t *bt = &in->t[i];
        if (get_table(ctx, req, resp, bt->table, &tables[i]) < 0)
            return -1;
        keys[i] = kv_arena_calloc(req->arena, bt->n, sizeof(kv_slice_t));
        for (size_t k = 0; k < bt->n; k++) {
            if (item_key(req, resp, tables[i], bt->keys[k], !bt->is_put[k], &keys[i][k]) < 0)
                return -1;
            if (bt->is_put[k] && (item_too_big(resp, bt->keys[k],
                                               "Item size has exceeded the maximum allowed "
                                               "size") < 0 ||
                                  index_keys_ok(resp, tables[i], bt->keys[k]) < 0))
                return -1;
            if (duplicate_key(keys[i], k, keys[i][k])) {
                api_fail(resp, API_E_DDB_VALIDATION,
                         "Provided list of item keys contains duplicates");
                return -1;
            }
        }
    }
    for (size_t i = 0; i < in->n; i++) {
        ddb_batch_table_t *bt = &in->t[i];
        for (size_t k = 0; k < bt->n; k++) {
            ddb_item_common_t none;
            memset(&none, 0, sizeof(none));
            rmw_ctx_t x = {.c = &none,
                           .t = tables[i],
                           .put = bt->is_put[k] ? bt->keys[k] : NULL,
                           .del = !bt->is_put[k]};
            eng_item_t *old;
            bool written;
            int rc = eng_item_rmw(ctx->eng, tables[i], keys[i][k], req->arena, on_rmw, &x, &old,
                                  &written);
            if (rc < 0)
                return engine_fail(resp, rc);
            resp->durable |= written;
            size_t sz = bt->is_put[k] ? eng_item_size(bt->keys[k]) : 0;
            size_t osz = old ? eng_item_size(old) : 0;
            bt->units += write_units(sz > osz ? sz : osz);
        }
    }
    return 0;
}

/* ---- transactions ---- */

static const ddb_item_common_t *action_common(const ddb_tx_action_t *a);

/* Transactional reads and writes cost twice their plain price; summed per table. */
static void txn_units(api_req_t *req, const ddb_transact_in_t *in, ddb_transact_out_t *out,
                      const size_t *bytes, bool read)
{
    out->rcc = in->rcc;
    out->read = read;
    if (in->rcc == DDB_RCC_NONE)
        return;
    out->tables = kv_arena_calloc(req->arena, in->n, sizeof(*out->tables));
    out->units = kv_arena_calloc(req->arena, in->n, sizeof(*out->units));
    for (size_t i = 0; i < in->n; i++) {
        kv_slice_t t = action_common(&in->acts[i])->table;
        size_t j = 0;
        while (j < out->n_tables && !kv_slice_eq(out->tables[j], t))
            j++;
        if (j == out->n_tables)
            out->tables[out->n_tables++] = t;
        out->units[j] += 2 * (read ? read_units(bytes[i], true) : write_units(bytes[i]));
    }
}

#define TXN_BYTES_MAX (4u << 20) /* the items a transaction writes, together */
#define TXN_TOKEN_TTL (10 * 60 * 1000)

/* A ClientRequestToken seen in the last ten minutes: 1 (same request: it already happened),
 * -1 (another request with this token), 0 (new). */
static int token_seen(api_ctx_t *ctx, kv_slice_t token, uint64_t hash)
{
    int64_t now = kv_now_ms();
    int seen = 0;
    ddb_state_t *ds = ddb_state(ctx);
    pthread_mutex_lock(&ds->txn_lock);
    for (size_t i = 0; i < DDB_TXN_TOKENS && !seen; i++) {
        const struct ddb_txn_token *t = &ds->txn_tokens[i];
        if (t->expires_ms > now && strlen(t->token) == token.len &&
            memcmp(t->token, token.p, token.len) == 0)
            seen = t->hash == hash ? 1 : -1;
    }
    pthread_mutex_unlock(&ds->txn_lock);
    return seen;
}

static void token_remember(api_ctx_t *ctx, kv_slice_t token, uint64_t hash)
{
    ddb_state_t *ds = ddb_state(ctx);
    pthread_mutex_lock(&ds->txn_lock);
    struct ddb_txn_token *t = &ds->txn_tokens[ds->txn_next++ % DDB_TXN_TOKENS];
    memcpy(t->token, token.p, token.len);
    t->token[token.len] = 0;
    t->hash = hash;
    t->expires_ms = kv_now_ms() + TXN_TOKEN_TTL;
    pthread_mutex_unlock(&ds->txn_lock);
}

/* The key (or, for Put, the item) of an action. */
static const eng_item_t *action_item(const ddb_tx_action_t *a)
{
    return a->kind == DDB_TX_PUT ? a->put.item : a->key.key;
}

static const ddb_item_common_t *action_common(const ddb_tx_action_t *a)
{
    return a->kind == DDB_TX_PUT ? &a->put.c : &a->key.c;
}

/* Every action's table and item key; a repeated item is refused. */
static int action_keys(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                       const ddb_transact_in_t *in, eng_table_t **tables, kv_slice_t *keys)
{
    size_t bytes = 0;
    for (size_t i = 0; i < in->n; i++) {
        const ddb_tx_action_t *a = &in->acts[i];
        if (get_table(ctx, req, resp, action_common(a)->table, &tables[i]) < 0 ||
            item_key(req, resp, tables[i], action_item(a), a->kind != DDB_TX_PUT, &keys[i]) < 0)
            return -1;
        if (a->kind == DDB_TX_PUT) {
            if (item_too_big(resp, a->put.item, "Item size has exceeded the maximum allowed size") <
                    0 ||
                index_keys_ok(resp, tables[i], a->put.item) < 0)
                return -1;
            bytes += eng_item_size(a->put.item);
        }
        for (size_t j = 0; j < i; j++)
            if (kv_slice_eq(keys[i], keys[j])) {
                api_fail(resp, API_E_DDB_VALIDATION,
                         "Transaction request cannot include multiple operations on one item");
                return -1;
            }
    }
    if (bytes > TXN_BYTES_MAX) {
        api_fail(resp, API_E_DDB_VALIDATION, "Transaction request cannot be larger than 4MB");
        return -1;
    }
    return 0;
}

/* TransactionCanceledException with a reason per action, in request order. */
static void cancelled(api_req_t *req, api_resp_t *resp, const ddb_transact_in_t *in,
                      const eng_txn_op_t *ops, const rmw_ctx_t *xs)
{
    kv_buf_t codes, extra;
    kv_buf_init(&codes, 64 * 1024);
    kv_buf_init(&extra, 16u << 20);
    api_jw_t w;
    api_jw_init(&w, &extra);
    kv_buf_append_str(&extra, "\"CancellationReasons\":[");
    for (size_t i = 0; i < in->n; i++) {
        const char *code = "None", *msg = NULL;
        int rc = ops[i].rc;
        if (rc == KV_ECONDFAIL && in->acts[i].insert) {
            code = "DuplicateItem";
            msg = "Duplicate primary key exists in table";
        } else if (rc == KV_ECONDFAIL) {
            code = "ConditionalCheckFailed";
            msg = "The conditional request failed";
        } else if (rc == KV_EBUSY) {
            code = "TransactionConflict";
            msg = "Transaction is ongoing for the item";
        } else if (rc == KV_ETOOBIG || xs[i].too_big) {
            code = "ValidationError";
            msg = "Item size to update has exceeded the maximum allowed size";
        } else if (rc < 0) {
            code = "ValidationError";
            msg = xs[i].env && xs[i].env->error ? xs[i].env->error : "Invalid update";
        }
        if (i)
            kv_buf_append_byte(&extra, ',');
        kv_buf_printf(&codes, "%s%s", i ? ", " : "", code);
        kv_buf_printf(&extra, "{\"Code\":\"%s\"", code);
        if (msg) {
            kv_buf_append_str(&extra, ",\"Message\":");
            api_jw_init(&w, &extra);
            api_jw_cstr(&w, msg); /* escaped */
        }
        if (rc == KV_ECONDFAIL && action_common(&in->acts[i])->rv_on_fail && ops[i].old) {
            kv_buf_append_str(&extra, ",\"Item\":");
            api_jw_init(&w, &extra);
            ddb_item_encode(&w, ops[i].old);
        }
        kv_buf_append_byte(&extra, '}');
    }
    kv_buf_append_byte(&extra, ']');
    api_fail(resp, API_E_DDB_TXN_CANCELED,
             "Transaction cancelled, please refer cancellation reasons for specific reasons [%.*s]",
             (int)codes.len, (const char *)codes.p);
    req->_st->ddb_extra = kv_arena_dup(req->arena, kv_buf_slice(&extra));
    kv_buf_dispose(&codes);
    kv_buf_dispose(&extra);
}

int ddb_exec_transact_write_items(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const ddb_transact_in_t *in, ddb_transact_out_t *out)
{
    uint64_t hash = 0;
    if (in->token.len) {
        kv_slice_t body = kv_buf_slice(&req->_st->body);
        hash = kv_xxh3(body.p, body.len);
        int seen = token_seen(ctx, in->token, hash);
        if (seen > 0)
            return 0; /* done already: the same answer, no second write */
        if (seen < 0) {
            api_fail(resp, API_E_DDB_IDEMPOTENT_MISMATCH, NULL);
            return -1;
        }
    }
    eng_table_t **tables = kv_arena_calloc(req->arena, in->n, sizeof(*tables));
    kv_slice_t *keys = kv_arena_calloc(req->arena, in->n, sizeof(*keys));
    if (action_keys(ctx, req, resp, in, tables, keys) < 0)
        return -1;
    rmw_ctx_t *xs = kv_arena_calloc(req->arena, in->n, sizeof(*xs));
    eng_txn_op_t *ops = kv_arena_calloc(req->arena, in->n, sizeof(*ops));
    for (size_t i = 0; i < in->n; i++) {
        const ddb_tx_action_t *a = &in->acts[i];
        rmw_ctx_t *x = &xs[i];
        x->c = action_common(a);
        x->t = tables[i];
        if (a->kind == DDB_TX_PUT) {
            x->put = a->put.item;
        } else if (a->kind == DDB_TX_UPDATE) {
            if (updates_key(resp, tables[i], a->key.update) < 0)
                return -1;
            ddb_expr_env_t *env = kv_arena_alloc(req->arena, sizeof(*env));
            *env = a->key.c.env;
            env->error = NULL;
            x->env = env;
            x->update = a->key.update;
            x->key = a->key.key;
        } else {
            x->del = a->kind == DDB_TX_DELETE;
            x->check = a->kind == DDB_TX_CHECK;
        }
        ops[i] = (eng_txn_op_t){.t = tables[i], .key = keys[i], .cb = on_rmw, .arg = x};
    }
    int rc = eng_item_txn(ctx->eng, ops, in->n, req->arena);
    if (rc == KV_ECONDFAIL || rc == KV_EBUSY) {
        cancelled(req, resp, in, ops, xs);
        return -1;
    }
    if (rc < 0)
        return engine_fail(resp, rc);
    if (in->token.len)
        token_remember(ctx, in->token, hash);
    size_t *bytes = kv_arena_calloc(req->arena, in->n, sizeof(*bytes));
    for (size_t i = 0; i < in->n; i++) {
        size_t o = ops[i].old ? eng_item_size(ops[i].old) : 0;
        size_t nw = ops[i].nu ? eng_item_size(ops[i].nu) : 0;
        bytes[i] = o > nw ? o : nw;
    }
    txn_units(req, in, out, bytes, false);
    resp->durable = true;
    return 0;
}

int ddb_exec_transact_get_items(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                const ddb_transact_in_t *in, ddb_transact_out_t *out)
{
    eng_table_t **tables = kv_arena_calloc(req->arena, in->n, sizeof(*tables));
    kv_slice_t *keys = kv_arena_calloc(req->arena, in->n, sizeof(*keys));
    if (action_keys(ctx, req, resp, in, tables, keys) < 0)
        return -1;
    eng_item_t **items = kv_arena_calloc(req->arena, in->n, sizeof(*items));
    int rc = eng_item_get_many(ctx->eng, keys, in->n, req->arena, items); /* one snapshot */
    if (rc < 0)
        return engine_fail(resp, rc);
    out->items = kv_arena_calloc(req->arena, in->n, sizeof(*out->items));
    size_t *bytes = kv_arena_calloc(req->arena, in->n, sizeof(*bytes));
    for (size_t i = 0; i < in->n; i++)
        bytes[i] = items[i] ? eng_item_size(items[i]) : 0;
    txn_units(req, in, out, bytes, true);
    for (size_t i = 0; i < in->n; i++) {
        const ddb_projection_t *p = in->acts[i].key.c.proj;
        out->items[i] = items[i] && p ? ddb_project(req->arena, items[i], p) : items[i];
    }
    out->n = in->n;
    return 0;
}
