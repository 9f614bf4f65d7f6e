/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's single-item writes (PutItem, UpdateItem, DeleteItem): conditional writes as
 * atomic read-modify-writes in the engine, with what they share: the read-modify-write step
 * (also run by batches and transactions), a failed condition's item
 * (ReturnValuesOnConditionCheckFailure) and the ReturnValues of each operation.
 */
#include "ddb_int.h"

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

/* Whether update u only removes (REMOVE, DELETE from a set): on a missing item it creates
 * nothing. */
static bool removes_only(const ddb_update_t *u)
{
    for (size_t i = 0; i < u->n; i++)
        if (u->acts[i].kind == DDB_ACT_SET || u->acts[i].kind == DDB_ACT_ADD)
            return false;
    return u->n > 0;
}

int ddb_item_rmw(void *arg, const eng_item_t *old, eng_item_t **nu)
{
    ddb_rmw_t *x = arg;
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
    if (old == NULL && removes_only(x->update)) {
        /* Only removals on an item that does not exist: DynamoDB creates no item and writes
         * no stream record (issue 17, package S). */
        x->result = NULL;
        return ENG_RMW_NONE;
    }
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

/* Run the conditional single-item write x on the item at key, with DynamoDB's refusals (an
 * UpdateItem's invalid or too big result, a failed condition). @return 0 or -1 (resp filled). */
static int rmw_run(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t key, ddb_rmw_t *x,
                   eng_item_t **old)
{
    bool written;
    int rc = eng_item_rmw(ctx->eng, x->t, key, req->arena, ddb_item_rmw, x, old, &written);
    if (rc == KV_EINVAL && x->env) {
        api_fail(resp, API_E_DDB_VALIDATION, "%s",
                 x->env->error ? x->env->error : "Invalid update");
        return -1;
    }
    if (rc == KV_ETOOBIG && x->too_big) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "Item size to update has exceeded the maximum allowed size");
        return -1;
    }
    if (rc == KV_ECONDFAIL) {
        cond_failed(req, resp, x->c, *old);
        return -1;
    }
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    resp->durable = written;
    return 0;
}

int ddb_exec_put_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_put_item_in_t *in,
                      ddb_put_item_out_t *out)
{
    eng_table_t *t;
    kv_slice_t key;
    if (ddb_get_table(ctx, req, resp, in->c.table, &t) < 0 ||
        ddb_item_key(req, resp, t, in->item, false, &key) < 0 ||
        ddb_item_too_big(resp, in->item, "Item size has exceeded the maximum allowed size") < 0 ||
        ddb_index_keys_ok(resp, t, in->item) < 0)
        return -1;
    if (in->c.cond == NULL && in->c.rv == DDB_RV_NONE && in->c.rcc == DDB_RCC_NONE) {
        /* Nothing needs the old item: write without reading it. */
        int wrc = eng_item_write(ctx->eng, t, key, in->item);
        if (wrc < 0)
            return ddb_engine_fail(resp, wrc);
        resp->durable = true;
        ddb_item_units(out, &in->c, ddb_write_units(eng_item_size(in->item)));
        return 0;
    }
    ddb_rmw_t x = {.c = &in->c, .t = t, .put = in->item};
    eng_item_t *old;
    if (rmw_run(ctx, req, resp, key, &x, &old) < 0)
        return -1;
    out->item = in->c.rv == DDB_RV_ALL_OLD ? old : NULL;
    size_t sz = eng_item_size(in->item), osz = old ? eng_item_size(old) : 0;
    ddb_item_units(out, &in->c, ddb_write_units(sz > osz ? sz : osz));
    return 0;
}

int ddb_exec_delete_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                         const ddb_delete_item_in_t *in, ddb_delete_item_out_t *out)
{
    eng_table_t *t;
    kv_slice_t key;
    if (ddb_key_target(ctx, req, resp, in, &t, &key) < 0)
        return -1;
    ddb_rmw_t x = {.c = &in->c, .t = t, .del = true};
    eng_item_t *old;
    if (rmw_run(ctx, req, resp, key, &x, &old) < 0)
        return -1;
    out->item = in->c.rv == DDB_RV_ALL_OLD ? old : NULL;
    ddb_item_units(out, &in->c, ddb_write_units(old ? eng_item_size(old) : 0));
    return 0;
}

/* An update may not touch the key attributes. */
int ddb_updates_key(api_resp_t *resp, const eng_table_t *t, const ddb_update_t *u)
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
    if (ddb_key_target(ctx, req, resp, in, &t, &key) < 0)
        return -1;
    if (ddb_updates_key(resp, t, in->update) < 0)
        return -1;
    ddb_expr_env_t env = in->c.env;
    env.error = NULL;
    ddb_rmw_t x = {.c = &in->c, .env = &env, .t = t, .update = in->update, .key = in->key};
    eng_item_t *old;
    if (rmw_run(ctx, req, resp, key, &x, &old) < 0)
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
    ddb_item_units(out, &in->c, ddb_write_units(sz > osz ? sz : osz));
    return 0;
}
