/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's transactions: TransactWriteItems (all actions in one engine transaction,
 * cancellation reasons per action, ClientRequestTokens remembered for ten minutes in a ring)
 * and TransactGetItems (one snapshot).
 */
#include <string.h>

#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "ddb_int.h"

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
        out->units[j] += 2 * (read ? ddb_read_units(bytes[i], true) : ddb_write_units(bytes[i]));
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
        if (ddb_get_table(ctx, req, resp, action_common(a)->table, &tables[i]) < 0 ||
            ddb_item_key(req, resp, tables[i], action_item(a), a->kind != DDB_TX_PUT, &keys[i]) < 0)
            return -1;
        if (a->kind == DDB_TX_PUT) {
            if (ddb_item_too_big(resp, a->put.item,
                                 "Item size has exceeded the maximum allowed size") < 0 ||
                ddb_index_keys_ok(resp, tables[i], a->put.item) < 0)
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
        api_fail(resp, API_E_DDB_VALIDATION, "Transaction request cannot be larger than 4 MB");
        return -1;
    }
    return 0;
}

/* TransactionCanceledException with a reason per action, in request order. */
static void cancelled(api_req_t *req, api_resp_t *resp, const ddb_transact_in_t *in,
                      const eng_txn_op_t *ops, const ddb_rmw_t *xs)
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
    ddb_rmw_t *xs = kv_arena_calloc(req->arena, in->n, sizeof(*xs));
    eng_txn_op_t *ops = kv_arena_calloc(req->arena, in->n, sizeof(*ops));
    for (size_t i = 0; i < in->n; i++) {
        const ddb_tx_action_t *a = &in->acts[i];
        ddb_rmw_t *x = &xs[i];
        x->c = action_common(a);
        x->t = tables[i];
        if (a->kind == DDB_TX_PUT) {
            x->put = a->put.item;
        } else if (a->kind == DDB_TX_UPDATE) {
            if (ddb_updates_key(resp, tables[i], a->key.update) < 0)
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
        ops[i] = (eng_txn_op_t){.t = tables[i], .key = keys[i], .cb = ddb_item_rmw, .arg = x};
    }
    int rc = eng_item_txn(ctx->eng, ops, in->n, req->arena);
    if (rc == KV_ECONDFAIL || rc == KV_EBUSY) {
        cancelled(req, resp, in, ops, xs);
        return -1;
    }
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
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
        return ddb_engine_fail(resp, rc);
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
