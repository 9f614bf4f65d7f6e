/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What DynamoDB's export (ddb_export.c) and import (ddb_import.c) share: the S3 bucket name
 * rule of their requests, a table's ARN, and the small JSON helpers of their stored records.
 */
#include "ddb_int.h"

bool ddb_s3io_bucket_ok(kv_slice_t s)
{
    /* ^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$ */
    if (s.len < 2)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        bool mid = alnum || c == '.' || c == '-' || c == '_';
        if ((i == 0 || i == s.len - 1) ? !alnum : !mid)
            return false;
    }
    return true;
}

void ddb_s3io_table_arn(api_ctx_t *ctx, const char *table, char *out, size_t cap)
{
    api_arn_write(out, cap, "dynamodb", ctx->region, "table/%s", table);
}

void ddb_s3io_kstr_opt(api_jw_t *w, const char *k, const char *v)
{
    if (v)
        api_jw_kstr(w, k, v);
}

const char *ddb_s3io_jstr(kv_arena_t *a, const api_json_t *o, const char *k)
{
    const api_json_t *v = api_json_get(o, k);
    if (v == NULL || api_json_type(v) != API_J_STR)
        return NULL;
    kv_slice_t s = api_json_str(v);
    return kv_arena_strndup(a, s.p, s.len);
}

int64_t ddb_s3io_jint(const api_json_t *o, const char *k)
{
    int64_t v = 0;
    const api_json_t *j = api_json_get(o, k);
    return j && api_json_int(j, &v) ? v : 0;
}
