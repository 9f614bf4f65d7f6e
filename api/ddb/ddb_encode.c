/* SPDX-License-Identifier: Apache-2.0 */
/* Typed outputs -> DynamoDB JSON, in the exact shapes the service returns. */
#include <stdio.h>
#include <string.h>

#include "base/kv_time.h"
#include "ddb_int.h"

static const char *scalar_name(eng_scalar_t t)
{
    return t == ENG_SCALAR_N ? "N" : (t == ENG_SCALAR_B ? "B" : "S");
}

static const char *view_name(eng_stream_view_t v)
{
    switch (v) {
    case ENG_STREAM_KEYS_ONLY:
        return "KEYS_ONLY";
    case ENG_STREAM_NEW_IMAGE:
        return "NEW_IMAGE";
    case ENG_STREAM_OLD_IMAGE:
        return "OLD_IMAGE";
    default:
        return "NEW_AND_OLD_IMAGES";
    }
}

void ddb_encode_key_schema(api_jw_t *w, const char *hash, const char *range)
{
    api_jw_key(w, "KeySchema");
    api_jw_arr_begin(w);
    api_jw_obj_begin(w);
    api_jw_kstr(w, "AttributeName", hash);
    api_jw_kstr(w, "KeyType", "HASH");
    api_jw_obj_end(w);
    if (range) {
        api_jw_obj_begin(w);
        api_jw_kstr(w, "AttributeName", range);
        api_jw_kstr(w, "KeyType", "RANGE");
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
}

void ddb_encode_table(api_ctx_t *ctx, const eng_table_t *t, const char *status, api_jw_t *w)
{
    ddb_encode_table_open(ctx, t, status, w);
    api_jw_obj_end(w);
}

void ddb_encode_table_open(api_ctx_t *ctx, const eng_table_t *t, const char *status, api_jw_t *w)
{
    char arn[512];
    api_arn_write(arn, sizeof(arn), "dynamodb", ctx->region, "table/%s", t->name);
    api_jw_obj_begin(w);
    api_jw_key(w, "AttributeDefinitions");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < t->n_attrs; i++) {
        api_jw_obj_begin(w);
        api_jw_kstr(w, "AttributeName", t->attrs[i].name);
        api_jw_kstr(w, "AttributeType", scalar_name(t->attrs[i].type));
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    api_jw_kstr(w, "TableName", t->name);
    ddb_encode_key_schema(w, t->hash_key, t->range_key);
    api_jw_kstr(w, "TableStatus", status);
    api_jw_key(w, "CreationDateTime");
    api_jw_epoch_ms(w, t->created_ms);
    api_jw_key(w, "ProvisionedThroughput");
    api_jw_obj_begin(w);
    api_jw_ku64(w, "NumberOfDecreasesToday", 0);
    api_jw_ku64(w, "ReadCapacityUnits", t->rcu);
    api_jw_ku64(w, "WriteCapacityUnits", t->wcu);
    api_jw_obj_end(w);
    api_jw_ku64(w, "TableSizeBytes", t->size_bytes);
    api_jw_ku64(w, "ItemCount", t->item_count);
    api_jw_kstr(w, "TableArn", arn);
    api_jw_kstr(w, "TableId", t->uuid);
    api_jw_key(w, "BillingModeSummary");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "BillingMode",
                t->billing == ENG_BILLING_PAY_PER_REQUEST ? "PAY_PER_REQUEST" : "PROVISIONED");
    if (t->billing == ENG_BILLING_PAY_PER_REQUEST) {
        api_jw_key(w, "LastUpdateToPayPerRequestDateTime");
        api_jw_epoch_ms(w, t->created_ms);
    }
    api_jw_obj_end(w);
    ddb_encode_indexes(t, arn, w);
    if (t->stream_enabled) {
        char label[25];
        ddb_stream_label(t->stream_created_ms, label);
        api_jw_key(w, "StreamSpecification");
        api_jw_obj_begin(w);
        api_jw_kbool(w, "StreamEnabled", true);
        api_jw_kstr(w, "StreamViewType", view_name(t->stream_view));
        api_jw_obj_end(w);
        api_jw_kstr(w, "LatestStreamLabel", label);
        char sarn[600];
        api_arn_write(sarn, sizeof(sarn), "dynamodb", ctx->region, "table/%s/stream/%s", t->name,
                      label);
        api_jw_kstr(w, "LatestStreamArn", sarn);
    }
    ddb_sse_encode(t, w); /* issue 16, package K */
    api_jw_kbool(w, "DeletionProtectionEnabled", false);
}

static void encode_table_wrapper(api_ctx_t *ctx, const ddb_table_out_t *out, const char *key,
                                 api_jw_t *w)
{
    api_jw_obj_begin(w);
    api_jw_key(w, key);
    ddb_encode_table(ctx, out->t, out->status, w);
    api_jw_obj_end(w);
}

void ddb_encode_create_table(api_ctx_t *ctx, api_req_t *req, const ddb_create_table_out_t *out,
                             api_jw_t *w)
{
    (void)req;
    encode_table_wrapper(ctx, out, "TableDescription", w);
}

void ddb_encode_delete_table(api_ctx_t *ctx, api_req_t *req, const ddb_delete_table_out_t *out,
                             api_jw_t *w)
{
    (void)req;
    encode_table_wrapper(ctx, out, "TableDescription", w);
}

void ddb_encode_describe_table(api_ctx_t *ctx, api_req_t *req, const ddb_describe_table_out_t *out,
                               api_jw_t *w)
{
    (void)req;
    encode_table_wrapper(ctx, out, "Table", w);
}

void ddb_encode_list_tables(api_ctx_t *ctx, api_req_t *req, const ddb_list_tables_out_t *out,
                            api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "TableNames");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->n; i++)
        api_jw_cstr(w, out->names[i]);
    api_jw_arr_end(w);
    if (out->more && out->n)
        api_jw_kstr(w, "LastEvaluatedTableName", out->names[out->n - 1]);
    api_jw_obj_end(w);
}

void ddb_encode_error(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    static const char *const ns[] = {"",
#define XX(name, st, nsp, code, msg) nsp,
                                     API_ERR_MAP(XX)
#undef XX
    };
    (void)ctx;
    kv_buf_reset(&resp->body);
    api_jw_t w;
    api_jw_init(&w, &resp->body);
    char type[160];
    snprintf(type, sizeof(type), "%s%s", ns[resp->_err], api_err_code((api_err_t)resp->_err));
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "__type", type);
    if (resp->_msg && resp->_msg[0])
        api_jw_kstr(&w, "message", resp->_msg);
    if (req->_st->ddb_extra.len) {
        kv_buf_append_byte(&resp->body, ',');
        kv_buf_append_slice(&resp->body, req->_st->ddb_extra);
    }
    api_jw_obj_end(&w);
}

void ddb_encode_update_table(api_ctx_t *ctx, api_req_t *req, const ddb_update_table_out_t *out,
                             api_jw_t *w)
{
    (void)req;
    encode_table_wrapper(ctx, out, "TableDescription", w);
}
