/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's SSESpecification (issue 16, package K): CreateTable and UpdateTable name a KMS key
 * of this server's KMS (KMSMasterKeyId: a key id, key ARN, alias or alias ARN; absent: the AWS
 * managed key alias/aws/dynamodb, made on first use) or the AWS owned key (Enabled false);
 * the key's ARN is stored with the table and DescribeTable answers SSEDescription for it.
 * Items are not encrypted with it: the key is validated and reported, as the API shows it.
 */
#include <string.h>

#include "ddb_int.h"
#include "kms/api_kms.h"

void ddb_sse_decode(ddb_dec_t *d, const api_json_t *in, ddb_sse_in_t *out)
{
    memset(out, 0, sizeof(*out));
    const api_json_t *s = ddb_opt_kind(d, in, "SSESpecification", API_J_OBJ);
    if (s == NULL)
        return;
    out->has = true;
    bool enabled = false, has_enabled = ddb_opt_bool(d, s, "Enabled", &enabled);
    kv_slice_t type = KV_SLICE_NULL, key = KV_SLICE_NULL;
    bool has_type = ddb_opt_str(d, s, "SSEType", &type);
    bool has_key = ddb_opt_str(d, s, "KMSMasterKeyId", &key);
    if (has_type && !kv_slice_eq_str(type, "AES256") && !kv_slice_eq_str(type, "KMS"))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'sSESpecification.sSEType' failed to satisfy "
                          "constraint: Member must satisfy enum value set: [AES256, KMS]",
                          (int)(type.len > 100 ? 100 : type.len), (const char *)type.p);
    if (has_key && (key.len == 0 || key.len > 2048))
        ddb_dec_violation(d, "Value at 'sSESpecification.kMSMasterKeyId' failed to satisfy "
                             "constraint: Member must have length less than or equal to 2048");
    out->enabled = has_enabled ? enabled : has_type && kv_slice_eq_str(type, "KMS");
    out->key = has_key ? key : KV_SLICE_NULL;
    /* what ddb_sse_apply refuses: a key without SSEType KMS, AES256 */
    out->type_ok = !has_type || kv_slice_eq_str(type, "KMS");
    out->key_without_kms = has_key && !(has_type && kv_slice_eq_str(type, "KMS"));
}

int ddb_sse_apply(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_sse_in_t *in,
                  eng_table_t *t)
{
    if (!in->has)
        return 0;
    if (!in->enabled) {
        if (in->key.len)
            return api_refuse(resp, API_E_DDB_VALIDATION,
                              "One or more parameter values were invalid: KMSMasterKeyId can only "
                              "be specified when SSE is enabled");
        t->sse_kms_arn = NULL; /* the AWS owned key */
        return 0;
    }
    if (!in->type_ok)
        return api_refuse(resp, API_E_DDB_VALIDATION,
                          "One or more parameter values were invalid: The only valid SSEType is "
                          "KMS");
    if (in->key_without_kms)
        return api_refuse(resp, API_E_DDB_VALIDATION,
                          "SSEType KMS is required if KMSMasterKeyId is specified");
    const char *key = in->key.len ? kv_arena_strndup(req->arena, in->key.p, in->key.len) : NULL;
    const char *arn;
    if (api_kms_resolve(ctx, req, resp, "dynamodb", key, &arn) < 0)
        return -1;
    t->sse_kms_arn = arn;
    return 0;
}

void ddb_sse_encode(const eng_table_t *t, api_jw_t *w)
{
    if (t->sse_kms_arn == NULL)
        return;
    api_jw_key(w, "SSEDescription");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "Status", "ENABLED");
    api_jw_kstr(w, "SSEType", "KMS");
    api_jw_kstr(w, "KMSMasterKeyArn", t->sse_kms_arn);
    api_jw_obj_end(w);
}
