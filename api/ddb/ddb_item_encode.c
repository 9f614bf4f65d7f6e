/* SPDX-License-Identifier: Apache-2.0 */
/* Encode stage of the item operations, in DynamoDB's response shapes. */
#include <stdio.h>

#include "ddb_int.h"

static void units(api_jw_t *w, double u)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%.1f", u);
    if (u != (double)(long long)u)
        n = snprintf(tmp, sizeof(tmp), "%g", u);
    api_jw_raw(w, kv_slice(tmp, (size_t)n));
}

void ddb_capacity_obj(api_jw_t *w, kv_slice_t table, double u, ddb_rcc_t rcc)
{
    api_jw_obj_begin(w);
    api_jw_key(w, "TableName");
    api_jw_str(w, table);
    api_jw_key(w, "CapacityUnits");
    units(w, u);
    if (rcc == DDB_RCC_INDEXES) {
        api_jw_key(w, "Table");
        api_jw_obj_begin(w);
        api_jw_key(w, "CapacityUnits");
        units(w, u);
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
}

static void encode_item_out(const ddb_item_out_t *out, const char *key, api_jw_t *w)
{
    api_jw_obj_begin(w);
    if (out->item) {
        api_jw_key(w, key);
        ddb_item_encode(w, out->item);
    }
    if (out->rcc != DDB_RCC_NONE) {
        api_jw_key(w, "ConsumedCapacity");
        ddb_capacity_obj(w, out->table, out->units, out->rcc);
    }
    api_jw_obj_end(w);
}

void ddb_encode_put_item(api_ctx_t *ctx, api_req_t *req, const ddb_put_item_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    encode_item_out(out, "Attributes", w);
}

void ddb_encode_delete_item(api_ctx_t *ctx, api_req_t *req, const ddb_delete_item_out_t *out,
                            api_jw_t *w)
{
    (void)ctx, (void)req;
    encode_item_out(out, "Attributes", w);
}

void ddb_encode_update_item(api_ctx_t *ctx, api_req_t *req, const ddb_update_item_out_t *out,
                            api_jw_t *w)
{
    (void)ctx, (void)req;
    encode_item_out(out, "Attributes", w);
}

void ddb_encode_get_item(api_ctx_t *ctx, api_req_t *req, const ddb_get_item_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    encode_item_out(out, "Item", w);
}

static void encode_many(const ddb_query_out_t *out, api_jw_t *w)
{
    api_jw_obj_begin(w);
    if (!out->count_only) {
        api_jw_key(w, "Items");
        api_jw_arr_begin(w);
        for (size_t i = 0; i < out->n; i++)
            ddb_item_encode(w, out->items[i]);
        api_jw_arr_end(w);
    }
    api_jw_ku64(w, "Count", out->n);
    api_jw_ku64(w, "ScannedCount", out->scanned);
    if (out->last_key) {
        api_jw_key(w, "LastEvaluatedKey");
        ddb_item_encode(w, out->last_key);
    }
    if (out->rcc != DDB_RCC_NONE) {
        api_jw_key(w, "ConsumedCapacity");
        ddb_capacity_obj(w, out->table, out->units, out->rcc);
    }
    api_jw_obj_end(w);
}

void ddb_encode_query(api_ctx_t *ctx, api_req_t *req, const ddb_query_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    encode_many(out, w);
}

void ddb_encode_scan(api_ctx_t *ctx, api_req_t *req, const ddb_scan_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    encode_many(out, w);
}

static void batch_capacity(const ddb_batch_in_t *out, api_jw_t *w)
{
    if (out->rcc == DDB_RCC_NONE)
        return;
    api_jw_key(w, "ConsumedCapacity");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->n; i++)
        ddb_capacity_obj(w, out->t[i].table, out->t[i].units, out->rcc);
    api_jw_arr_end(w);
}

void ddb_encode_batch_get_item(api_ctx_t *ctx, api_req_t *req, const ddb_batch_get_item_out_t *out,
                               api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "Responses");
    api_jw_obj_begin(w);
    for (size_t i = 0; i < out->n; i++) {
        api_jw_key_slice(w, out->t[i].table);
        api_jw_arr_begin(w);
        for (size_t k = 0; k < out->t[i].n_found; k++)
            ddb_item_encode(w, out->t[i].found[k]);
        api_jw_arr_end(w);
    }
    api_jw_obj_end(w);
    api_jw_key(w, "UnprocessedKeys");
    api_jw_obj_begin(w);
    for (size_t i = 0; i < out->n; i++) {
        const ddb_batch_table_t *t = &out->t[i];
        if (t->first_unprocessed >= t->n)
            continue;
        /* AWS's shape: the table's KeysAndAttributes with only the keys left. */
        api_jw_key_slice(w, t->table);
        api_jw_obj_begin(w);
        api_jw_key(w, "Keys");
        api_jw_arr_begin(w);
        for (size_t k = t->first_unprocessed; k < t->n; k++)
            ddb_item_encode(w, t->keys[k]);
        api_jw_arr_end(w);
        static const char *const echo[] = {"ProjectionExpression", "ConsistentRead", NULL};
        for (size_t e = 0; echo[e]; e++) {
            const api_json_t *v = api_json_get(t->spec, echo[e]);
            if (v && api_json_type(v) == API_J_STR) {
                api_jw_key(w, echo[e]);
                api_jw_str(w, api_json_str(v));
            } else if (v && api_json_type(v) == API_J_BOOL) {
                api_jw_kbool(w, echo[e], api_json_bool(v));
            }
        }
        const api_json_t *names = api_json_get(t->spec, "ExpressionAttributeNames");
        if (names && api_json_type(names) == API_J_OBJ) {
            api_jw_key(w, "ExpressionAttributeNames");
            api_jw_obj_begin(w);
            void *it = NULL;
            const char *k;
            api_json_t *v;
            while (api_json_next(names, &it, &k, &v)) {
                api_jw_key(w, k);
                api_jw_str(w, api_json_str(v));
            }
            api_jw_obj_end(w);
        }
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
    batch_capacity(out, w);
    api_jw_obj_end(w);
}

void ddb_encode_batch_write_item(api_ctx_t *ctx, api_req_t *req,
                                 const ddb_batch_write_item_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "UnprocessedItems");
    api_jw_obj_begin(w);
    api_jw_obj_end(w);
    batch_capacity(out, w);
    api_jw_obj_end(w);
}

static void txn_capacity(const ddb_transact_out_t *out, api_jw_t *w)
{
    if (out->rcc == DDB_RCC_NONE)
        return;
    api_jw_key(w, "ConsumedCapacity");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->n_tables; i++)
        ddb_capacity_obj(w, out->tables[i], out->units[i], out->rcc);
    api_jw_arr_end(w);
}

void ddb_encode_transact_write_items(api_ctx_t *ctx, api_req_t *req, const ddb_transact_out_t *out,
                                     api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    txn_capacity(out, w);
    api_jw_obj_end(w);
}

void ddb_encode_transact_get_items(api_ctx_t *ctx, api_req_t *req, const ddb_transact_out_t *out,
                                   api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "Responses");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->n; i++) {
        api_jw_obj_begin(w);
        if (out->items[i]) {
            api_jw_key(w, "Item");
            ddb_item_encode(w, out->items[i]);
        }
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    txn_capacity(out, w);
    api_jw_obj_end(w);
}
