/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's batches: BatchGetItem (its response limited to 16 MB, the rest returned as
 * UnprocessedKeys) and BatchWriteItem (every request checked before anything is written).
 */
#include <string.h>

#include "ddb_int.h"

#define DDB_BATCH_BYTES (16u << 20) /* BatchGetItem response limit */

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
        if (ddb_get_table(ctx, req, resp, bt->table, &t) < 0)
            return -1;
        kv_slice_t *keys = kv_arena_calloc(req->arena, bt->n, sizeof(*keys));
        for (size_t k = 0; k < bt->n; k++) {
            if (ddb_item_key(req, resp, t, bt->keys[k], true, &keys[k]) < 0)
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
                return ddb_engine_fail(resp, rc);
            size_t sz = eng_item_size(it);
            if (bytes + sz > DDB_BATCH_BYTES && bytes > 0) {
                /* The response is full: this key and the rest go back as UnprocessedKeys. */
                bt->first_unprocessed = k;
                break;
            }
            bytes += sz;
            bt->units += ddb_read_units(sz, bt->c.consistent);
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
        if (ddb_get_table(ctx, req, resp, bt->table, &tables[i]) < 0)
            return -1;
        keys[i] = kv_arena_calloc(req->arena, bt->n, sizeof(kv_slice_t));
        for (size_t k = 0; k < bt->n; k++) {
            if (ddb_item_key(req, resp, tables[i], bt->keys[k], !bt->is_put[k], &keys[i][k]) < 0)
                return -1;
            if (bt->is_put[k] && (ddb_item_too_big(resp, bt->keys[k],
                                                   "Item size has exceeded the maximum allowed "
                                                   "size") < 0 ||
                                  ddb_index_keys_ok(resp, tables[i], bt->keys[k]) < 0))
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
            ddb_rmw_t x = {.c = &none,
                           .t = tables[i],
                           .put = bt->is_put[k] ? bt->keys[k] : NULL,
                           .del = !bt->is_put[k]};
            eng_item_t *old;
            bool written;
            int rc = eng_item_rmw(ctx->eng, tables[i], keys[i][k], req->arena, ddb_item_rmw, &x,
                                  &old, &written);
            if (rc < 0)
                return ddb_engine_fail(resp, rc);
            resp->durable |= written;
            size_t sz = bt->is_put[k] ? eng_item_size(bt->keys[k]) : 0;
            size_t osz = old ? eng_item_size(old) : 0;
            bt->units += ddb_write_units(sz > osz ? sz : osz);
        }
    }
    return 0;
}
