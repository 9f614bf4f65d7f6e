/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB resource tags: TagResource, UntagResource and ListTagsOfResource, on tables named by
 * their ARN (ResourceArn), with DynamoDB's limits (50 tags, the reserved aws: prefix) and
 * errors.
 */
#include <string.h>

#include "base/kv_log.h"
#include "ddb_int.h"

#define TAGS_MAX 50

/* ResourceArn (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME) -> NAME. */
static int decode_arn(ddb_dec_t *d, const api_json_t *in, kv_slice_t *table)
{
    kv_slice_t arn = KV_SLICE_NULL;
    if (!ddb_opt_str(d, in, "ResourceArn", &arn)) {
        ddb_dec_violation(d, "Value null at 'resourceArn' failed to satisfy constraint: Member "
                             "must not be null");
        return ddb_dec_finish(d);
    }
    if (ddb_dec_finish(d) < 0)
        return -1;
    api_arn_t a;
    kv_slice_t name = KV_SLICE_NULL;
    if (!api_arn_parse(arn, &a) || !kv_slice_eq_str(a.service, "dynamodb") ||
        !api_arn_after(&a, "table/", &name) || name.len < 3 || name.len > 255 ||
        memchr(name.p, '/', name.len)) {
        api_fail(d->resp, API_E_DDB_VALIDATION,
                 "Invalid TableArn: Invalid ResourceArn provided "
                 "as input %.*s",
                 (int)(arn.len > 300 ? 300 : arn.len), (const char *)arn.p);
        return -1;
    }
    *table = name;
    return 0;
}

int ddb_decode_tag_resource(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!ddb_opt_kind(d, in, "Tags", API_J_ARR))
        ddb_dec_violation(d, "Value null at 'tags' failed to satisfy constraint: Member must not "
                             "be null");
    ddb_decode_tags(d, in, "Tags", &out->tags, &out->n_tags);
    return decode_arn(d, in, &out->table);
}

int ddb_decode_untag_resource(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    memset(out, 0, sizeof(*out));
    const api_json_t *keys = ddb_opt_kind(d, in, "TagKeys", API_J_ARR);
    if (keys == NULL)
        ddb_dec_violation(d, "Value null at 'tagKeys' failed to satisfy constraint: Member must "
                             "not be null");
    size_t n = keys ? api_json_len(keys) : 0;
    out->keys = kv_arena_calloc(d->a, n ? n : 1, sizeof(*out->keys));
    for (size_t i = 0; i < n; i++) {
        const api_json_t *k = api_json_at(keys, i);
        if (api_json_type(k) != API_J_STR) {
            ddb_dec_serial(d, "Unexpected value type in payload");
            break;
        }
        out->keys[out->n_keys++] = api_json_str(k);
    }
    return decode_arn(d, in, &out->table);
}

int ddb_decode_list_tags_of_resource(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    memset(out, 0, sizeof(*out));
    return decode_arn(d, in, &out->table);
}

int ddb_resource_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                       eng_table_t **t)
{
    int rc = eng_table_get(ctx->eng, name, req->arena, t);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
                 "Requested resource not found: ResourceArn: %s not found",
                 api_arn_new(req->arena, "dynamodb", ctx->region, "table/%.*s", (int)name.len,
                             (const char *)name.p));
        return -1;
    }
    if (rc < 0) {
        KV_LOG_ERROR("dynamodb: engine error %s", kv_err_name(rc));
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
        return -1;
    }
    return 0;
}

/* Store the merged tag set. */
static int store_tags(api_ctx_t *ctx, api_resp_t *resp, const eng_table_t *t, const eng_tag_t *tags,
                      size_t n)
{
    int rc = eng_table_set_tags(ctx->eng, kv_slice_str(t->name), tags, n);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND, "Requested resource not found");
        return -1;
    }
    if (rc < 0) {
        KV_LOG_ERROR("dynamodb: engine error %s", kv_err_name(rc));
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
        return -1;
    }
    resp->durable = true;
    return 0;
}

int ddb_exec_tag_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_meta_in_t *in,
                          ddb_meta_out_t *out)
{
    eng_table_t *t;
    if (ddb_resource_table(ctx, req, resp, in->table, &t) < 0)
        return -1;
    /* New values replace old ones of the same key; the rest are added. */
    eng_tag_t *all = kv_arena_calloc(req->arena, t->n_tags + in->n_tags + 1, sizeof(*all));
    size_t n = 0;
    for (size_t i = 0; i < t->n_tags; i++) {
        bool replaced = false;
        for (size_t j = 0; j < in->n_tags && !replaced; j++)
            replaced = strcmp(t->tags[i].key, in->tags[j].key) == 0;
        if (!replaced)
            all[n++] = t->tags[i];
    }
    for (size_t j = 0; j < in->n_tags; j++) {
        bool dup = false;
        for (size_t k = j + 1; k < in->n_tags && !dup; k++)
            dup = strcmp(in->tags[j].key, in->tags[k].key) == 0;
        if (!dup) /* the last of a repeated key wins */
            all[n++] = in->tags[j];
    }
    for (size_t i = 0; i < n; i++)
        if (strncmp(all[i].key, "aws:", 4) == 0 && i >= t->n_tags) {
            api_fail(resp, API_E_DDB_VALIDATION, "Invalid tag key: aws: is a reserved prefix");
            return -1;
        }
    if (n > TAGS_MAX) {
        api_fail(resp, API_E_DDB_LIMIT_EXCEEDED,
                 "One or more parameter values were invalid: The number of tags on a resource "
                 "cannot exceed %d",
                 TAGS_MAX);
        return -1;
    }
    out->t = t;
    return store_tags(ctx, resp, t, all, n);
}

int ddb_exec_untag_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            const ddb_meta_in_t *in, ddb_meta_out_t *out)
{
    eng_table_t *t;
    if (ddb_resource_table(ctx, req, resp, in->table, &t) < 0)
        return -1;
    eng_tag_t *keep = kv_arena_calloc(req->arena, t->n_tags + 1, sizeof(*keep));
    size_t n = 0;
    for (size_t i = 0; i < t->n_tags; i++) {
        bool gone = false;
        for (size_t j = 0; j < in->n_keys && !gone; j++)
            gone = kv_slice_eq_str(in->keys[j], t->tags[i].key);
        if (!gone)
            keep[n++] = t->tags[i];
    }
    out->t = t;
    return store_tags(ctx, resp, t, keep, n);
}

int ddb_exec_list_tags_of_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   const ddb_meta_in_t *in, ddb_meta_out_t *out)
{
    return ddb_resource_table(ctx, req, resp, in->table, &out->t);
}

static void empty(api_jw_t *w)
{
    api_jw_obj_begin(w);
    api_jw_obj_end(w);
}

void ddb_encode_tag_resource(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req, (void)out;
    empty(w);
}

void ddb_encode_untag_resource(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out,
                               api_jw_t *w)
{
    (void)ctx, (void)req, (void)out;
    empty(w);
}

void ddb_encode_list_tags_of_resource(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out,
                                      api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "Tags");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->t->n_tags; i++) {
        api_jw_obj_begin(w);
        api_jw_kstr(w, "Key", out->t->tags[i].key);
        api_jw_kstr(w, "Value", out->t->tags[i].value);
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}
