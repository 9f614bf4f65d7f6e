/* SPDX-License-Identifier: Apache-2.0 */
/* S3 dispatch and the execute stage for buckets. */
#include <string.h>

#include "base/kv_log.h"
#include "s3_authz.h"
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
    /* Block Public Access is on for a new bucket, as S3 creates them since April 2023. */
    b->docs[ENG_BDOC_PAB] = kv_slice_str(s3_pab_default_xml);
    /* issue 15, package A: x-amz-object-ownership and the ACL headers */
    if (s3_acl_create_bucket(ctx, req, resp, b) < 0)
        return -1;
    /* issue 16, package L: x-amz-bucket-object-lock-enabled */
    if (s3_lock_create_bucket(req, resp, b) < 0)
        return -1;
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
#define XX(Name, name)                                                                             \
    case S3_OP_##name: {                                                                           \
        s3_##name##_in_t in;                                                                       \
        s3_##name##_out_t out;                                                                     \
        memset(&out, 0, sizeof(out));                                                              \
        if (s3_decode_##name(ctx, req, resp, &in) == 0 && s3_authz_op(ctx, req, resp, &in) == 0 && \
            s3_exec_##name(ctx, req, resp, &in, &out) == 0) {                                      \
            s3_encode_##name(ctx, req, resp, &out);                                                \
            s3_request_charged(ctx, req, resp); /* issue 16, package R */                          \
        } else                                                                                     \
            s3_authz_not_found(ctx, req, resp);                                                    \
        break;                                                                                     \
    }
        S3_OP_MAP(XX)
#undef XX
    default:
        api_fail(resp, API_E_S3_NOT_IMPLEMENTED, NULL);
    }
}

/* ---- the service ---- */

/* Copies of multipart sources copy bytes: they run on the worker pool. PutObject and
 * UploadPart stream into the blob store; CORS preflights carry no credentials; POST Object
 * signs its policy instead; DeleteObjects frees space. */
#define S3_FLAGS(op)                                                                \
    ((op) == S3_OP_copy_object || (op) == S3_OP_upload_part_copy ? API_OPF_SLOW     \
     : (op) == S3_OP_put_object || (op) == S3_OP_upload_part     ? API_OPF_STREAM   \
     : (op) == S3_OP_preflight                                   ? API_OPF_UNSIGNED \
     : (op) == S3_OP_post_object                                 ? API_OPF_ANON     \
     : (op) == S3_OP_delete_objects                              ? API_OPF_FREES    \
     : (op) == S3_OP_complete_multipart_upload                   ? API_OPF_CKSUM    \
     : (op) == S3_OP_not_implemented                             ? API_OPF_REFUSED  \
                                                                 : S3_FLAGS16W(op))

/* issue 16, package W: the website endpoint is never authenticated (each read is authorized as
 * the anonymous principal's), and refuses other methods before their body */
#define S3_FLAGS16W(op)                                                   \
    ((op) == S3_OP_website_get       ? API_OPF_UNSIGNED                   \
     : (op) == S3_OP_website_refused ? API_OPF_UNSIGNED | API_OPF_REFUSED \
                                     : 0u)

static const api_op_desc_t s3_ops[] = {
#define XX(Name, cname) {.name = #Name, .flags = S3_FLAGS(S3_OP_##cname)},
    S3_OP_MAP(XX)
#undef XX
};

/* Open what the body streams into: the blob writer, or POST Object's form reader. */
static int s3_body_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    /* Authorized before a byte is stored (issue 15): a refused upload streams nowhere. */
    if (st->op == S3_OP_put_object || st->op == S3_OP_upload_part)
        return s3_authz_op(ctx, req, resp, NULL) != 0 ? API_RESPOND : s3_begin_body(ctx, req, resp);
    if (st->op == S3_OP_post_object && st->anonymous && s3_post_begin(ctx, req, resp) < 0)
        return API_RESPOND;
    return 0;
}

/* A form upload's bytes: fields, then the file streaming into the blob store. */
static int s3_body_feed(api_req_t *req, api_resp_t *resp, const uint8_t *p, size_t n)
{
    if (req->_st->post == NULL)
        return 1;
    return s3_post_feed(req, resp, p, n) < 0 ? -1 : 0;
}

/* The XML error body, CORS, and the request ids. */
static void s3_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    if (resp->_err && s3_website_op(req->_st->op))
        s3_website_error_page(ctx, req, resp); /* issue 16, package W: HTML */
    else if (resp->_err)
        s3_encode_error(ctx, req, resp);
    s3_cors_response(ctx, req, resp);
    api_resp_header(resp, "x-amz-request-id", kv_slice_str(req->_st->request_id));
    api_resp_header(resp, "x-amz-id-2", kv_slice_str(req->_st->id2));
}

static const char *const s3_scopes[] = {"s3", NULL};

const api_service_t s3_service = {
    .name = "s3",
    .flags = API_SVC_FALLBACK | API_SVC_S3_SIGV4,
    .scopes = s3_scopes,
    .ops = s3_ops,
    .n_ops = S3_OP__COUNT,
    .route = s3_route,
    .body_limit = s3_body_limit,
    .body_begin = s3_body_begin,
    .body_feed = s3_body_feed,
    .dispatch = s3_dispatch,
    .finish = s3_finish,
    .done = s3_alog_done, /* issue 16, package G */
    .ids = API_IDS_S3,
    .err_internal = API_E_S3_INTERNAL,
    .err_throttle = API_E_S3_SLOW_DOWN,
    .iam_prefix = "s3",
    .err_denied = API_E_S3_ACCESS_DENIED,
    .err_too_large = API_E_S3_TOO_LARGE,
    .err_stream_large = API_E_S3_ENTITY_TOO_LARGE,
    .jobs = s3_jobs,
    .n_jobs = S3_N_JOBS,
    .init = s3_init,
    .fini = s3_fini,
    .claim = s3_website_claim, /* issue 16, package W: the website endpoint */
};
