/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 routing and decoding: bucket and key from the path (path-style) or the
 * Host header (virtual-hosted style, bucket.localhost), the operation from
 * the method and sub-resource query, and each operation's typed input.
 */
#include <string.h>

#include "base/kv_b64.h"
#include "s3_int.h"

/* Query parameters that never select a sub-resource. */
static bool is_plain_param(kv_slice_t k)
{
    return kv_slice_starts_with(k, "X-Amz-") || kv_slice_starts_with(k, "x-amz-") ||
           kv_slice_starts_with(k, "x-id");
}

/* True when the query has a parameter name outside the plain set (or name given). */
static bool has_param(kv_slice_t q, const char *name)
{
    kv_slice_t k, v;
    while (sigv4_query_next(&q, &k, &v, NULL)) {
        if (is_plain_param(k))
            continue;
        if (name == NULL || kv_slice_eq_str(k, name))
            return true;
    }
    return false;
}

/* A GET on a bucket lists it unless a sub-resource other than listing parameters is named. */
static bool has_other_param(kv_slice_t q)
{
    static const char *const listing[] = {
        "list-type",   "prefix",        "delimiter",   "max-keys", "continuation-token",
        "start-after", "encoding-type", "fetch-owner", "marker",   "expected-bucket-owner",
        NULL};
    kv_slice_t k, v;
    while (sigv4_query_next(&q, &k, &v, NULL)) {
        if (is_plain_param(k))
            continue;
        bool ok = false;
        for (size_t i = 0; listing[i]; i++)
            ok |= kv_slice_eq_str(k, listing[i]);
        if (!ok)
            return true;
    }
    return false;
}

/* ---- routes: rows walked in order, the first that matches names the operation ---- */

/** Where a request's path points. */
typedef enum s3_level { S3_AT_ANY = 0, S3_AT_SERVICE, S3_AT_BUCKET, S3_AT_OBJECT } s3_level_t;

/** What the query may hold besides the row's own parameter. */
typedef enum s3_query {
    S3_Q_ANY = 0, /* anything */
    S3_Q_NONE,    /* no sub-resource at all */
    S3_Q_LISTING, /* listing parameters only (prefix, delimiter, ...) */
} s3_query_t;

/** One route: every condition given must hold (a condition left out holds). */
typedef struct s3_route_row {
    const char *method;              /* NULL: any */
    s3_level_t level;                /* S3_AT_ANY: any */
    s3_query_t query;                /* the query as a whole */
    const char *param, *param2;      /* sub-resources the query names */
    const char *no_param;            /* one it must not name */
    const char *header, *header_pre; /* a request header present (whose value starts with
                                        header_pre, when given) */
    const char *no_header;           /* a header that must be absent */
    int op;                          /* S3_OP_not_implemented: the walk ends unanswered */
} s3_route_row_t;

#define COPY_SRC "x-amz-copy-source"

/* Issue 16's routes, walked before s3_routes: one block per package. */
static const s3_route_row_t s3_routes16[] = {
    /* package E: encryption */
    {.method = "", .op = S3_OP_not_implemented}, /* a row no request matches (the table is never
                                                   empty) */
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "encryption",
     .op = S3_OP_put_bucket_encryption},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "encryption",
     .op = S3_OP_get_bucket_encryption},
    {.method = "DELETE",
     .level = S3_AT_BUCKET,
     .param = "encryption",
     .op = S3_OP_delete_bucket_encryption},

    /* package L: Object Lock */
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "object-lock",
     .op = S3_OP_put_object_lock_configuration},
    {.method = "PUT",
     .level = S3_AT_OBJECT,
     .param = "retention",
     .op = S3_OP_put_object_retention},
    {.method = "GET",
     .level = S3_AT_OBJECT,
     .param = "retention",
     .op = S3_OP_get_object_retention},
    {.method = "PUT",
     .level = S3_AT_OBJECT,
     .param = "legal-hold",
     .op = S3_OP_put_object_legal_hold},
    {.method = "GET",
     .level = S3_AT_OBJECT,
     .param = "legal-hold",
     .op = S3_OP_get_object_legal_hold},

    /* package C: checksums */

    /* package G: access logging */
    {.method = "PUT", .level = S3_AT_BUCKET, .param = "logging", .op = S3_OP_put_bucket_logging},
    {.method = "GET", .level = S3_AT_BUCKET, .param = "logging", .op = S3_OP_get_bucket_logging},

    /* package W: static websites (the website endpoint's own requests: s3_website_route) */
    {.method = "PUT", .level = S3_AT_BUCKET, .param = "website", .op = S3_OP_put_bucket_website},
    {.method = "GET", .level = S3_AT_BUCKET, .param = "website", .op = S3_OP_get_bucket_website},
    {.method = "DELETE",
     .level = S3_AT_BUCKET,
     .param = "website",
     .op = S3_OP_delete_bucket_website},

    /* package R: the remaining configurations */
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "requestPayment",
     .op = S3_OP_put_bucket_request_payment},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "requestPayment",
     .op = S3_OP_get_bucket_request_payment},
    {.level = S3_AT_BUCKET, .param = "requestPayment", .op = S3_OP_not_implemented},
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "accelerate",
     .op = S3_OP_put_bucket_accelerate},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "accelerate",
     .op = S3_OP_get_bucket_accelerate},
    {.level = S3_AT_BUCKET, .param = "accelerate", .op = S3_OP_not_implemented},
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "intelligent-tiering",
     .op = S3_OP_put_bucket_tiering},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "intelligent-tiering",
     .param2 = "id",
     .op = S3_OP_get_bucket_tiering},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "intelligent-tiering",
     .op = S3_OP_list_bucket_tiering},
    {.method = "DELETE",
     .level = S3_AT_BUCKET,
     .param = "intelligent-tiering",
     .op = S3_OP_delete_bucket_tiering},
    {.level = S3_AT_BUCKET, .param = "intelligent-tiering", .op = S3_OP_not_implemented},
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "inventory",
     .op = S3_OP_put_bucket_inventory},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "inventory",
     .param2 = "id",
     .op = S3_OP_get_bucket_inventory},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "inventory",
     .op = S3_OP_list_bucket_inventory},
    {.method = "DELETE",
     .level = S3_AT_BUCKET,
     .param = "inventory",
     .op = S3_OP_delete_bucket_inventory},
    {.level = S3_AT_BUCKET, .param = "inventory", .op = S3_OP_not_implemented},
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "analytics",
     .op = S3_OP_put_bucket_analytics},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "analytics",
     .param2 = "id",
     .op = S3_OP_get_bucket_analytics},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "analytics",
     .op = S3_OP_list_bucket_analytics},
    {.method = "DELETE",
     .level = S3_AT_BUCKET,
     .param = "analytics",
     .op = S3_OP_delete_bucket_analytics},
    {.level = S3_AT_BUCKET, .param = "analytics", .op = S3_OP_not_implemented},
    {.method = "PUT", .level = S3_AT_BUCKET, .param = "metrics", .op = S3_OP_put_bucket_metrics},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "metrics",
     .param2 = "id",
     .op = S3_OP_get_bucket_metrics},
    {.method = "GET", .level = S3_AT_BUCKET, .param = "metrics", .op = S3_OP_list_bucket_metrics},
    {.method = "DELETE",
     .level = S3_AT_BUCKET,
     .param = "metrics",
     .op = S3_OP_delete_bucket_metrics},
    {.level = S3_AT_BUCKET, .param = "metrics", .op = S3_OP_not_implemented},
};

static const s3_route_row_t s3_routes[] = {
    /* CORS preflight, on any bucket or object path */
    {.method = "OPTIONS", .op = S3_OP_preflight},
    {.method = "GET", .level = S3_AT_SERVICE, .op = S3_OP_list_buckets},
    {.level = S3_AT_SERVICE, .op = S3_OP_not_implemented},
    /* objects: multipart uploads */
    {.method = "POST",
     .level = S3_AT_OBJECT,
     .param = "uploads",
     .no_param = "uploadId",
     .op = S3_OP_create_multipart_upload},
    {.method = "PUT",
     .level = S3_AT_OBJECT,
     .param = "uploadId",
     .param2 = "partNumber",
     .no_header = COPY_SRC,
     .op = S3_OP_upload_part},
    {.method = "PUT",
     .level = S3_AT_OBJECT,
     .param = "uploadId",
     .param2 = "partNumber",
     .op = S3_OP_upload_part_copy},
    {.method = "POST",
     .level = S3_AT_OBJECT,
     .param = "uploadId",
     .op = S3_OP_complete_multipart_upload},
    {.method = "DELETE",
     .level = S3_AT_OBJECT,
     .param = "uploadId",
     .op = S3_OP_abort_multipart_upload},
    {.method = "GET", .level = S3_AT_OBJECT, .param = "uploadId", .op = S3_OP_list_parts},
    /* objects: sub-resources */
    {.method = "GET", .level = S3_AT_OBJECT, .param = "tagging", .op = S3_OP_get_object_tagging},
    {.method = "PUT", .level = S3_AT_OBJECT, .param = "tagging", .op = S3_OP_put_object_tagging},
    {.method = "DELETE",
     .level = S3_AT_OBJECT,
     .param = "tagging",
     .op = S3_OP_delete_object_tagging},
    {.level = S3_AT_OBJECT, .param = "tagging", .op = S3_OP_not_implemented},
    {.method = "GET",
     .level = S3_AT_OBJECT,
     .param = "attributes",
     .op = S3_OP_get_object_attributes},
    {.method = "GET", .level = S3_AT_OBJECT, .param = "acl", .op = S3_OP_get_object_acl},
    {.method = "PUT", .level = S3_AT_OBJECT, .param = "acl", .op = S3_OP_put_object_acl},
    {.method = "PUT",
     .level = S3_AT_OBJECT,
     .no_param = "partNumber",
     .header = COPY_SRC,
     .op = S3_OP_copy_object},
    /* every other object sub-resource, and a copy otherwise addressed */
    {.level = S3_AT_OBJECT, .param = "acl", .op = S3_OP_not_implemented},
    {.level = S3_AT_OBJECT, .param = "uploads", .op = S3_OP_not_implemented},
    {.level = S3_AT_OBJECT, .param = "uploadId", .op = S3_OP_not_implemented},
    {.level = S3_AT_OBJECT, .param = "attributes", .op = S3_OP_not_implemented},
    {.level = S3_AT_OBJECT, .param = "retention", .op = S3_OP_not_implemented},
    {.level = S3_AT_OBJECT, .param = "legal-hold", .op = S3_OP_not_implemented},
    {.level = S3_AT_OBJECT, .param = "restore", .op = S3_OP_not_implemented},
    {.level = S3_AT_OBJECT, .param = "select", .op = S3_OP_not_implemented},
    {.level = S3_AT_OBJECT, .header = COPY_SRC, .op = S3_OP_not_implemented},
    /* objects */
    {.method = "PUT", .level = S3_AT_OBJECT, .op = S3_OP_put_object},
    {.method = "GET", .level = S3_AT_OBJECT, .op = S3_OP_get_object},
    {.method = "HEAD", .level = S3_AT_OBJECT, .op = S3_OP_head_object},
    {.method = "DELETE", .level = S3_AT_OBJECT, .op = S3_OP_delete_object},
    {.level = S3_AT_OBJECT, .op = S3_OP_not_implemented},
    /* buckets */
    {.method = "PUT", .level = S3_AT_BUCKET, .query = S3_Q_NONE, .op = S3_OP_create_bucket},
    {.method = "HEAD", .level = S3_AT_BUCKET, .query = S3_Q_NONE, .op = S3_OP_head_bucket},
    {.method = "DELETE", .level = S3_AT_BUCKET, .query = S3_Q_NONE, .op = S3_OP_delete_bucket},
    {.method = "GET", .level = S3_AT_BUCKET, .param = "location", .op = S3_OP_get_bucket_location},
    {.method = "GET", .level = S3_AT_BUCKET, .query = S3_Q_LISTING, .op = S3_OP_list_objects},
    {.method = "GET", .level = S3_AT_BUCKET, .param = "tagging", .op = S3_OP_get_bucket_tagging},
    {.method = "PUT", .level = S3_AT_BUCKET, .param = "tagging", .op = S3_OP_put_bucket_tagging},
    {.method = "DELETE",
     .level = S3_AT_BUCKET,
     .param = "tagging",
     .op = S3_OP_delete_bucket_tagging},
    {.method = "GET", .level = S3_AT_BUCKET, .param = "acl", .op = S3_OP_get_bucket_acl},
    {.method = "PUT", .level = S3_AT_BUCKET, .param = "acl", .op = S3_OP_put_bucket_acl},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "versioning",
     .op = S3_OP_get_bucket_versioning},
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "versioning",
     .op = S3_OP_put_bucket_versioning},
    {.method = "GET", .level = S3_AT_BUCKET, .param = "versions", .op = S3_OP_list_object_versions},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "object-lock",
     .op = S3_OP_get_object_lock_configuration},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "uploads",
     .op = S3_OP_list_multipart_uploads},
    {.method = "POST", .level = S3_AT_BUCKET, .param = "delete", .op = S3_OP_delete_objects},
    {.method = "POST",
     .level = S3_AT_BUCKET,
     .query = S3_Q_LISTING,
     .header = "content-type",
     .header_pre = "multipart/form-data",
     .op = S3_OP_post_object},
    /* issue 15, package S: the policy status, Block Public Access */
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "policyStatus",
     .op = S3_OP_get_bucket_policy_status},
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "publicAccessBlock",
     .op = S3_OP_put_public_access_block},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "publicAccessBlock",
     .op = S3_OP_get_public_access_block},
    {.method = "DELETE",
     .level = S3_AT_BUCKET,
     .param = "publicAccessBlock",
     .op = S3_OP_delete_public_access_block},
    /* issue 15, package A: Object Ownership */
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "ownershipControls",
     .op = S3_OP_put_bucket_ownership},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "ownershipControls",
     .op = S3_OP_get_bucket_ownership},
    {.method = "DELETE",
     .level = S3_AT_BUCKET,
     .param = "ownershipControls",
     .op = S3_OP_delete_bucket_ownership},
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "policy",
     .no_param = "policyStatus",
     .op = S3_OP_put_bucket_policy},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "policy",
     .no_param = "policyStatus",
     .op = S3_OP_get_bucket_policy},
    {.method = "DELETE",
     .level = S3_AT_BUCKET,
     .param = "policy",
     .no_param = "policyStatus",
     .op = S3_OP_delete_bucket_policy},
    {.level = S3_AT_BUCKET,
     .param = "policy",
     .no_param = "policyStatus",
     .op = S3_OP_not_implemented},
    {.method = "PUT", .level = S3_AT_BUCKET, .param = "cors", .op = S3_OP_put_bucket_cors},
    {.method = "GET", .level = S3_AT_BUCKET, .param = "cors", .op = S3_OP_get_bucket_cors},
    {.method = "DELETE", .level = S3_AT_BUCKET, .param = "cors", .op = S3_OP_delete_bucket_cors},
    {.level = S3_AT_BUCKET, .param = "cors", .op = S3_OP_not_implemented},
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "notification",
     .op = S3_OP_put_bucket_notification},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "notification",
     .op = S3_OP_get_bucket_notification},
    {.level = S3_AT_BUCKET, .param = "notification", .op = S3_OP_not_implemented},
    {.method = "PUT",
     .level = S3_AT_BUCKET,
     .param = "lifecycle",
     .op = S3_OP_put_bucket_lifecycle},
    {.method = "GET",
     .level = S3_AT_BUCKET,
     .param = "lifecycle",
     .op = S3_OP_get_bucket_lifecycle},
    {.method = "DELETE",
     .level = S3_AT_BUCKET,
     .param = "lifecycle",
     .op = S3_OP_delete_bucket_lifecycle},
};

static bool s3_row_matches(const s3_route_row_t *r, const api_req_t *req, s3_level_t level)
{
    if (r->level != S3_AT_ANY && r->level != level)
        return false;
    if (r->method && !kv_slice_eq_str(req->method, r->method))
        return false;
    if ((r->query == S3_Q_NONE && has_param(req->query, NULL)) ||
        (r->query == S3_Q_LISTING && has_other_param(req->query)))
        return false;
    if ((r->param && !has_param(req->query, r->param)) ||
        (r->param2 && !has_param(req->query, r->param2)) ||
        (r->no_param && has_param(req->query, r->no_param)))
        return false;
    if (r->header) {
        if (!api_req_has_header(req, r->header))
            return false;
        if (r->header_pre && !kv_slice_starts_with(api_req_header(req, r->header), r->header_pre))
            return false;
    }
    return !(r->no_header && api_req_has_header(req, r->no_header));
}

/* The first row a request matches; none: not implemented. */
static int s3_route_op(const api_req_t *req, s3_level_t level)
{
    for (size_t i = 0; i < sizeof(s3_routes16) / sizeof(s3_routes16[0]); i++)
        if (s3_row_matches(&s3_routes16[i], req, level))
            return s3_routes16[i].op;
    for (size_t i = 0; i < sizeof(s3_routes) / sizeof(s3_routes[0]); i++)
        if (s3_row_matches(&s3_routes[i], req, level))
            return s3_routes[i].op;
    return S3_OP_not_implemented;
}

static kv_slice_t decode(api_req_t *req, kv_slice_t raw)
{
    kv_buf_t b;
    kv_buf_init(&b, raw.len + 1);
    /* A bad %-escape leaves the text as sent, copied (and so NUL-terminated) like a decoded one:
     * no caller gets a slice of the request's path. */
    kv_slice_t out = kv_arena_dup(req->arena, sigv4_uri_decode(&b, raw) ? kv_buf_slice(&b) : raw);
    kv_buf_dispose(&b);
    return out;
}

/* S3 Control's account-level public access block (issue 15, package S): its path, with the
 * account named in x-amz-account-id (whatever host prefix the SDK added). */
static int s3_control_op(const api_req_t *req)
{
    if (!kv_slice_eq_str(req->path, "/v20180820/configuration/publicAccessBlock") ||
        !api_req_has_header(req, "x-amz-account-id") || req->query.len)
        return -1;
    if (kv_slice_eq_str(req->method, "PUT"))
        return S3_OP_put_account_pab;
    if (kv_slice_eq_str(req->method, "GET"))
        return S3_OP_get_account_pab;
    if (kv_slice_eq_str(req->method, "DELETE"))
        return S3_OP_delete_account_pab;
    return S3_OP_not_implemented;
}

int s3_route(api_ctx_t *ctx, api_req_t *req)
{
    api_state_t *st = req->_st;
    (void)ctx;
    int control = s3_control_op(req);
    if (control >= 0)
        return control;
    int web = s3_website_route(req); /* issue 16, package W: the website endpoint */
    if (web >= 0)
        return web;
    kv_slice_t host = api_req_header(req, "host");
    /* Strip the port (IPv6 literals are never virtual hosts). */
    if (host.len && host.p[0] != '[') {
        const uint8_t *c = memchr(host.p, ':', host.len);
        if (c)
            host.len = (size_t)(c - host.p);
    }
    kv_slice_t path = req->path;
    if (path.len && path.p[0] == '/') {
        path.p++;
        path.len--;
    }
    static const char suffix[] = ".localhost";
    size_t sl = sizeof(suffix) - 1;
    if (host.len > sl && kv_slice_eq_nocase(kv_slice(host.p + host.len - sl, sl), suffix)) {
        kv_slice_t b = kv_slice(host.p, host.len - sl);
        if (b.len > 3 && kv_slice_eq_nocase(kv_slice(b.p + b.len - 3, 3), ".s3"))
            b.len -= 3;
        if (!kv_slice_eq_nocase(b, "s3")) {
            st->virtual_host = true;
            st->bucket = b;
            st->key_name = decode(req, path);
        }
    }
    if (!st->virtual_host) {
        const uint8_t *slash = memchr(path.p, '/', path.len);
        if (slash) {
            st->bucket = decode(req, kv_slice(path.p, (size_t)(slash - path.p)));
            st->key_name =
                decode(req, kv_slice(slash + 1, path.len - (size_t)(slash - path.p) - 1));
        } else {
            st->bucket = decode(req, path);
        }
    }
    return s3_route_op(req, st->bucket.len == 0 ? S3_AT_SERVICE
                            : st->key_name.len  ? S3_AT_OBJECT
                                                : S3_AT_BUCKET);
}

uint64_t s3_body_limit(const api_req_t *req)
{
    if (req->_st->op == S3_OP_put_object || req->_st->op == S3_OP_upload_part)
        return (uint64_t)5 << 30; /* S3's single-PUT and part limit */
    if (req->_st->op == S3_OP_post_object)
        return ((uint64_t)5 << 30) + (1u << 20); /* the file and its form fields */
    if (req->_st->op == S3_OP_complete_multipart_upload)
        return API_S3_DELETE_XML_MAX; /* 10000 parts */
    if (req->_st->op == S3_OP_put_bucket_acl || req->_st->op == S3_OP_put_object_acl ||
        req->_st->op == S3_OP_put_object_tagging || req->_st->op == S3_OP_put_bucket_tagging ||
        req->_st->op == S3_OP_put_bucket_versioning || req->_st->op == S3_OP_put_bucket_cors ||
        req->_st->op == S3_OP_put_bucket_lifecycle ||
        req->_st->op == S3_OP_put_bucket_notification ||
        req->_st->op == S3_OP_put_public_access_block || req->_st->op == S3_OP_put_account_pab ||
        req->_st->op == S3_OP_put_bucket_ownership || /* issue 15, package A */
        s3_cfg_is_put(req->_st->op))                  /* issue 16, package R */
        return API_S3_XML_MAX;
    if (req->_st->op == S3_OP_put_object_lock_configuration || /* issue 16, package L */
        req->_st->op == S3_OP_put_object_retention || req->_st->op == S3_OP_put_object_legal_hold)
        return API_S3_XML_MAX;
    if (req->_st->op == S3_OP_put_bucket_encryption) /* issue 16, package E */
        return API_S3_XML_MAX;
    if (req->_st->op == S3_OP_put_bucket_policy)
        return 64 * 1024;
    if (req->_st->op == S3_OP_put_bucket_website) /* issue 16, package W */
        return API_S3_XML_MAX;                    /* refused above 20 KB with S3's own error */
    if (req->_st->op == S3_OP_delete_objects)
        return API_S3_DELETE_XML_MAX;
    if (req->_st->op == S3_OP_put_bucket_logging) /* issue 16, package G */
        return API_S3_XML_MAX;
    return req->_st->op == S3_OP_create_bucket ? API_S3_XML_MAX : 0;
}

const char *s3_bucket_name_error(kv_slice_t n)
{
    if (n.len < 3 || n.len > 63)
        return "Bucket name must be between 3 (min) and 63 (max) characters long";
    for (size_t i = 0; i < n.len; i++) {
        uint8_t c = n.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return "Bucket name can consist only of lowercase letters, numbers, periods (.), and "
                   "hyphens (-)";
        if (c == '.' && i + 1 < n.len && n.p[i + 1] == '.')
            return "Bucket name must not contain two adjacent periods";
        if (c == '.' && ((i + 1 < n.len && n.p[i + 1] == '-') || (i > 0 && n.p[i - 1] == '-')))
            return "Bucket name must not contain a period next to a hyphen";
    }
    uint8_t f = n.p[0], l = n.p[n.len - 1];
    if (!((f >= 'a' && f <= 'z') || (f >= '0' && f <= '9')) ||
        !((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')))
        return "Bucket name must begin and end with a letter or number";
    /* Not an IPv4 address. */
    int dots = 0;
    bool digits_only = true;
    for (size_t i = 0; i < n.len; i++) {
        if (n.p[i] == '.')
            dots++;
        else if (n.p[i] < '0' || n.p[i] > '9')
            digits_only = false;
    }
    if (digits_only && dots == 3)
        return "Bucket name must not be formatted as an IP address";
    static const char *bad_prefix[] = {"xn--", "sthree-", "amzn-s3-demo-"};
    static const char *bad_suffix[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"};
    for (size_t i = 0; i < sizeof(bad_prefix) / sizeof(*bad_prefix); i++)
        if (kv_slice_starts_with(n, bad_prefix[i]))
            return "Bucket name uses a reserved prefix";
    for (size_t i = 0; i < sizeof(bad_suffix) / sizeof(*bad_suffix); i++) {
        size_t sl = strlen(bad_suffix[i]);
        if (n.len > sl && memcmp(n.p + n.len - sl, bad_suffix[i], sl) == 0)
            return "Bucket name uses a reserved suffix";
    }
    return NULL;
}

static int bucket_in(api_req_t *req, s3_bucket_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    return 0;
}

int s3_decode_create_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            s3_create_bucket_in_t *out)
{
    bucket_in(req, out);
    (void)ctx;
    if (s3_bucket_name_error(out->bucket)) {
        api_fail(resp, API_E_S3_INVALID_BUCKET_NAME, NULL);
        return -1;
    }
    kv_slice_t body = kv_buf_slice(&req->_st->body);
    if (body.len) {
        api_xnode_t *root;
        if (api_xml_parse(req->arena, body, &root) < 0 ||
            strcmp(root->name, "CreateBucketConfiguration") != 0) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
        api_xnode_t *lc = api_xml_child(root, "LocationConstraint");
        if (lc) {
            kv_slice_t v = kv_slice_trim(lc->text);
            if (v.len == 0 || v.len > 64) {
                api_fail(resp, API_E_S3_INVALID_LOCATION, NULL);
                return -1;
            }
            out->location = kv_arena_strndup(req->arena, v.p, v.len);
        }
    }
    return 0;
}

int s3_decode_head_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          s3_head_bucket_in_t *out)
{
    (void)ctx, (void)resp;
    return bucket_in(req, out);
}

int s3_decode_delete_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            s3_delete_bucket_in_t *out)
{
    (void)ctx, (void)resp;
    return bucket_in(req, out);
}

int s3_decode_get_bucket_location(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  s3_get_bucket_location_in_t *out)
{
    (void)ctx, (void)resp;
    return bucket_in(req, out);
}

int s3_decode_not_implemented(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              s3_not_implemented_in_t *out)
{
    (void)ctx;
    bucket_in(req, out);
    api_fail(resp, API_E_S3_NOT_IMPLEMENTED, NULL);
    return -1;
}

int s3_decode_list_buckets(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           s3_list_buckets_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->max = S3_MAX_BUCKETS_PAGE;
    kv_slice_t v;
    if (api_req_query(req, "max-buckets", &v)) {
        uint64_t n;
        if (!kv_slice_to_u64(v, &n) || n < 1 || n > S3_MAX_BUCKETS_PAGE) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "Argument max-buckets must be an integer between 1 and 10000");
            return -1;
        }
        out->max = (size_t)n;
    }
    if (api_req_query(req, "continuation-token", &v) && v.len) {
        kv_buf_t b;
        kv_buf_init(&b, v.len);
        if (!kv_b64_decode(&b, v)) {
            kv_buf_dispose(&b);
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "The continuation token provided is incorrect");
            return -1;
        }
        out->after = kv_arena_dup(req->arena, kv_buf_slice(&b));
        kv_buf_dispose(&b);
    }
    out->has_prefix = api_req_query(req, "prefix", &out->prefix);
    api_req_query(req, "bucket-region", &out->region);
    return 0;
}
