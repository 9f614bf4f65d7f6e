/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every DynamoDB item operation checks and prices: the table a request names, its key
 * attributes against the table's schema (and the storage key they make), an item's size and
 * secondary index keys, read and write capacity units, and engine errors as DynamoDB's.
 */
#include <math.h>

#include "base/kv_log.h"
#include "ddb_int.h"

int ddb_engine_fail(api_resp_t *resp, int rc)
{
    if (rc == KV_EBUSY) { /* the item is part of a transaction in flight */
        api_fail(resp, API_E_DDB_TXN_CONFLICT, "Transaction is ongoing for the item");
        return -1;
    }
    KV_LOG_ERROR("dynamodb: engine error %s", kv_err_name(rc));
    api_fail(resp, API_E_DDB_INTERNAL, NULL);
    return -1;
}

int ddb_get_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                  eng_table_t **t)
{
    int rc = eng_table_get(ctx->eng, name, req->arena, t);
    if (rc == 0 && ddb_imp_busy(ctx, (*t)->id)) /* issue 17, I: being imported (CREATING) */
        rc = KV_ENOTFOUND;
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND, "Requested resource not found");
        return -1;
    }
    return rc < 0 ? ddb_engine_fail(resp, rc) : 0;
}

static const char *type_name(eng_av_type_t t)
{
    static const char *n[] = {"", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"};
    return n[t];
}

eng_av_type_t ddb_scalar_av(eng_scalar_t s)
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
    if (v->t != ddb_scalar_av(type)) {
        if (exact)
            api_fail(resp, API_E_DDB_VALIDATION,
                     "The provided key element does not match the schema");
        else
            api_fail(resp, API_E_DDB_VALIDATION,
                     "One or more parameter values were invalid: Type mismatch for key %s "
                     "expected: %s actual: %s",
                     name, type_name(ddb_scalar_av(type)), type_name(v->t));
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
int ddb_item_key(api_req_t *req, api_resp_t *resp, const eng_table_t *t, const eng_item_t *it,
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

double ddb_write_units(size_t bytes)
{
    double u = ceil((double)bytes / 1024.0);
    return u < 1 ? 1 : u;
}

double ddb_read_units(size_t bytes, bool consistent)
{
    double u = ceil((double)bytes / 4096.0);
    if (u < 1)
        u = 1;
    return consistent ? u : u / 2;
}

int ddb_item_too_big(api_resp_t *resp, const eng_item_t *it, const char *msg)
{
    if (eng_item_size(it) <= ENG_ITEM_MAX_BYTES)
        return 0;
    api_fail(resp, API_E_DDB_VALIDATION, "%s", msg);
    return -1;
}

/* An item's secondary index keys must have the index's types (an item without them is just
 * not in the index). */
int ddb_index_keys_ok(api_resp_t *resp, const eng_table_t *t, const eng_item_t *it)
{
    char msg[1024];
    if (t->n_indexes == 0 || !ddb_index_item_error(t, it, msg, sizeof(msg)))
        return 0;
    api_fail(resp, API_E_DDB_VALIDATION, "%s", msg);
    return -1;
}

int ddb_key_target(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_key_in_t *in,
                   eng_table_t **t, kv_slice_t *key)
{
    if (ddb_get_table(ctx, req, resp, in->c.table, t) < 0 ||
        ddb_item_key(req, resp, *t, in->key, true, key) < 0)
        return -1;
    return 0;
}

void ddb_item_units(ddb_item_out_t *out, const ddb_item_common_t *c, double units)
{
    out->units = units;
    out->table = c->table;
    out->rcc = c->rcc;
}
