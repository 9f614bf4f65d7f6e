/* SPDX-License-Identifier: Apache-2.0 */
/* S3 dispatch and the execute stage for buckets. */
#include <string.h>

#include "base/kv_log.h"
#include "s3_int.h"

static int engine_fail(api_resp_t *resp, int rc)
{
    KV_LOG_ERROR("s3: engine error %s", kv_err_name(rc));
    api_fail(resp, API_E_S3_INTERNAL, NULL);
    return -1;
}

static int no_such_bucket(api_resp_t *resp)
{
    api_fail(resp, API_E_S3_NO_SUCH_BUCKET, NULL);
    return -1;
}

static bool is_us_east_1(const char *r)
{
    return r == NULL || r[0] == 0 || strcmp(r, "us-east-1") == 0;
}

int s3_exec_create_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const s3_create_bucket_in_t *in, s3_create_bucket_out_t *out)
{
    const char *lc = in->location;
    /* The us-east-1 (global) endpoint accepts any region but an explicit
     * us-east-1; a regional endpoint accepts only its own region. */
    if (is_us_east_1(ctx->region)) {
        if (lc && strcmp(lc, "us-east-1") == 0) {
            api_fail(resp, API_E_S3_INVALID_LOCATION, NULL);
            return -1;
        }
    } else if (lc == NULL || strcmp(lc, ctx->region) != 0) {
        api_fail(resp, API_E_S3_ILLEGAL_LOCATION,
                 "The %s location constraint is incompatible for the region specific endpoint "
                 "this request was sent to.",
                 lc ? lc : "unspecified");
        return -1;
    }
    eng_bucket_t *b = kv_arena_calloc(req->arena, 1, sizeof(*b));
    b->name = kv_arena_strndup(req->arena, in->bucket.p, in->bucket.len);
    b->region = lc;
    int rc = eng_bucket_create(ctx->eng, b);
    if (rc == KV_EEXIST) {
        if (is_us_east_1(ctx->region)) {
            out->b = b; /* legacy us-east-1 behaviour: 200 for the owner */
            return 0;
        }
        api_fail(resp, API_E_S3_BUCKET_OWNED, NULL);
        return -1;
    }
    if (rc < 0)
        return engine_fail(resp, rc);
    resp->durable = true;
    out->b = b;
    return 0;
}

static int get_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                      eng_bucket_t **out)
{
    int rc = eng_bucket_get(ctx->eng, name, req->arena, out);
    if (rc == KV_ENOTFOUND)
        return no_such_bucket(resp);
    if (rc < 0)
        return engine_fail(resp, rc);
    return 0;
}

int s3_exec_head_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                        const s3_head_bucket_in_t *in, s3_head_bucket_out_t *out)
{
    return get_bucket(ctx, req, resp, in->bucket, &out->b);
}

int s3_exec_get_bucket_location(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                const s3_get_bucket_location_in_t *in,
                                s3_get_bucket_location_out_t *out)
{
    return get_bucket(ctx, req, resp, in->bucket, &out->b);
}

int s3_exec_delete_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const s3_delete_bucket_in_t *in, s3_delete_bucket_out_t *out)
{
    (void)req, (void)out;
    int rc = eng_bucket_delete(ctx->eng, in->bucket);
    if (rc == KV_ENOTFOUND)
        return no_such_bucket(resp);
    if (rc == KV_ENOTEMPTY) {
        api_fail(resp, API_E_S3_BUCKET_NOT_EMPTY, NULL);
        return -1;
    }
    if (rc < 0)
        return engine_fail(resp, rc);
    resp->durable = true;
    return 0;
}

int s3_exec_not_implemented(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            const s3_not_implemented_in_t *in, s3_not_implemented_out_t *out)
{
    (void)ctx, (void)req, (void)in, (void)out;
    api_fail(resp, API_E_S3_NOT_IMPLEMENTED, NULL);
    return -1;
}

int s3_exec_list_buckets(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                         const s3_list_buckets_in_t *in, s3_list_buckets_out_t *out)
{
    /* Page through the catalog, keeping names that match the filters. */
    out->b = kv_arena_calloc(req->arena, in->max, sizeof(*out->b));
    out->n = 0;
    out->more = false;
    kv_slice_t after = in->after;
    if (in->has_prefix && kv_slice_cmp(after, in->prefix) < 0)
        after = KV_SLICE_NULL; /* the scan below skips names before the prefix */
    for (;;) {
        eng_bucket_t *page;
        size_t n;
        bool more;
        int rc = eng_bucket_list(ctx->eng, after, 256, req->arena, &page, &n, &more);
        if (rc < 0)
            return engine_fail(resp, rc);
        for (size_t i = 0; i < n; i++) {
            kv_slice_t name = kv_slice_str(page[i].name);
            after = name;
            /* The prefix is a slice (the raw query text when its %-escapes are bad): compared
             * by length, never read as a C string. */
            if (in->has_prefix &&
                (name.len < in->prefix.len || memcmp(name.p, in->prefix.p, in->prefix.len) != 0))
                continue;
            const char *r = page[i].region && page[i].region[0] ? page[i].region : "us-east-1";
            if (in->region.len && !kv_slice_eq_str(in->region, r))
                continue;
            if (out->n == in->max) {
                out->more = true;
                return 0;
            }
            out->b[out->n++] = page[i];
        }
        if (!more)
            return 0;
    }
}

void s3_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    switch (st->op) {
#define XX(Name, name)                                      \
    case API_OP_S3_##name: {                                \
        s3_##name##_in_t in;                                \
        s3_##name##_out_t out;                              \
        memset(&out, 0, sizeof(out));                       \
        if (s3_decode_##name(ctx, req, resp, &in) == 0 &&   \
            s3_exec_##name(ctx, req, resp, &in, &out) == 0) \
            s3_encode_##name(ctx, req, resp, &out);         \
        break;                                              \
    }
        S3_OP_MAP(XX)
#undef XX
    default:
        api_fail(resp, API_E_S3_NOT_IMPLEMENTED, NULL);
    }
}
