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

void s3_route(api_ctx_t *ctx, api_req_t *req)
{
    api_state_t *st = req->_st;
    (void)ctx;
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
    kv_slice_t m = req->method;
    bool sub = has_param(req->query, NULL);
    st->op = API_OP_S3_not_implemented;
    if (kv_slice_eq_str(m, "OPTIONS")) {
        st->op = API_OP_S3_preflight; /* CORS, on any bucket or object path */
        return;
    }
    if (st->bucket.len == 0) {
        if (kv_slice_eq_str(m, "GET"))
            st->op = API_OP_S3_list_buckets;
        return;
    }
    if (st->key_name.len) {
        /* Object operations; sub-resources (tagging, acl, uploads...) come later. */
        bool upload = has_param(req->query, "uploadId");
        if (kv_slice_eq_str(m, "POST") && has_param(req->query, "uploads") && !upload)
            st->op = API_OP_S3_create_multipart_upload;
        else if (upload && kv_slice_eq_str(m, "PUT") && has_param(req->query, "partNumber") &&
                 !api_req_has_header(req, "x-amz-copy-source"))
            st->op = API_OP_S3_upload_part;
        else if (upload && kv_slice_eq_str(m, "PUT") && has_param(req->query, "partNumber"))
            st->op = API_OP_S3_upload_part_copy;
        else if (upload && kv_slice_eq_str(m, "POST"))
            st->op = API_OP_S3_complete_multipart_upload;
        else if (upload && kv_slice_eq_str(m, "DELETE"))
            st->op = API_OP_S3_abort_multipart_upload;
        else if (upload && kv_slice_eq_str(m, "GET"))
            st->op = API_OP_S3_list_parts;
        if (st->op != API_OP_S3_not_implemented)
            return;
        if (has_param(req->query, "tagging")) {
            if (kv_slice_eq_str(m, "GET"))
                st->op = API_OP_S3_get_object_tagging;
            else if (kv_slice_eq_str(m, "PUT"))
                st->op = API_OP_S3_put_object_tagging;
            else if (kv_slice_eq_str(m, "DELETE"))
                st->op = API_OP_S3_delete_object_tagging;
            return;
        }
        if (has_param(req->query, "attributes") && kv_slice_eq_str(m, "GET")) {
            st->op = API_OP_S3_get_object_attributes;
            return;
        }
        if (has_param(req->query, "acl") && kv_slice_eq_str(m, "GET")) {
            st->op = API_OP_S3_get_object_acl;
            return;
        }
        if (has_param(req->query, "acl") && kv_slice_eq_str(m, "PUT")) {
            st->op = API_OP_S3_put_object_acl;
            return;
        }
        bool copy = api_req_has_header(req, "x-amz-copy-source");
        if (copy && kv_slice_eq_str(m, "PUT") && !has_param(req->query, "tagging") &&
            !has_param(req->query, "acl") && !has_param(req->query, "partNumber")) {
            st->op = API_OP_S3_copy_object;
            return;
        }
        bool obj_sub = has_param(req->query, "tagging") || has_param(req->query, "acl") ||
                       has_param(req->query, "uploads") || has_param(req->query, "uploadId") ||
                       has_param(req->query, "attributes") || has_param(req->query, "retention") ||
                       has_param(req->query, "legal-hold") || has_param(req->query, "restore") ||
                       has_param(req->query, "select");
        if (obj_sub || copy)
            return;
        if (kv_slice_eq_str(m, "PUT"))
            st->op = API_OP_S3_put_object;
        else if (kv_slice_eq_str(m, "GET"))
            st->op = API_OP_S3_get_object;
        else if (kv_slice_eq_str(m, "HEAD"))
            st->op = API_OP_S3_head_object;
        else if (kv_slice_eq_str(m, "DELETE"))
            st->op = API_OP_S3_delete_object;
        return;
    }
    if (kv_slice_eq_str(m, "PUT") && !sub)
        st->op = API_OP_S3_create_bucket;
    else if (kv_slice_eq_str(m, "HEAD") && !sub)
        st->op = API_OP_S3_head_bucket;
    else if (kv_slice_eq_str(m, "DELETE") && !sub)
        st->op = API_OP_S3_delete_bucket;
    else if (kv_slice_eq_str(m, "GET") && has_param(req->query, "location"))
        st->op = API_OP_S3_get_bucket_location;
    else if (kv_slice_eq_str(m, "GET") && !has_other_param(req->query))
        st->op = API_OP_S3_list_objects;
    else if (kv_slice_eq_str(m, "GET") && has_param(req->query, "tagging"))
        st->op = API_OP_S3_get_bucket_tagging;
    else if (kv_slice_eq_str(m, "PUT") && has_param(req->query, "tagging"))
        st->op = API_OP_S3_put_bucket_tagging;
    else if (kv_slice_eq_str(m, "DELETE") && has_param(req->query, "tagging"))
        st->op = API_OP_S3_delete_bucket_tagging;
    else if (kv_slice_eq_str(m, "GET") && has_param(req->query, "acl"))
        st->op = API_OP_S3_get_bucket_acl;
    else if (kv_slice_eq_str(m, "PUT") && has_param(req->query, "acl"))
        st->op = API_OP_S3_put_bucket_acl;
    else if (kv_slice_eq_str(m, "GET") && has_param(req->query, "versioning"))
        st->op = API_OP_S3_get_bucket_versioning;
    else if (kv_slice_eq_str(m, "PUT") && has_param(req->query, "versioning"))
        st->op = API_OP_S3_put_bucket_versioning;
    else if (kv_slice_eq_str(m, "GET") && has_param(req->query, "versions"))
        st->op = API_OP_S3_list_object_versions;
    else if (kv_slice_eq_str(m, "GET") && has_param(req->query, "object-lock"))
        st->op = API_OP_S3_get_object_lock_configuration;
    else if (kv_slice_eq_str(m, "GET") && has_param(req->query, "uploads"))
        st->op = API_OP_S3_list_multipart_uploads;
    else if (kv_slice_eq_str(m, "POST") && has_param(req->query, "delete"))
        st->op = API_OP_S3_delete_objects;
    else if (kv_slice_eq_str(m, "POST") && !has_other_param(req->query) &&
             kv_slice_starts_with(api_req_header(req, "content-type"), "multipart/form-data"))
        st->op = API_OP_S3_post_object;
    else if (has_param(req->query, "policy") && !has_param(req->query, "policyStatus"))
        st->op = kv_slice_eq_str(m, "PUT")      ? API_OP_S3_put_bucket_policy
                 : kv_slice_eq_str(m, "GET")    ? API_OP_S3_get_bucket_policy
                 : kv_slice_eq_str(m, "DELETE") ? API_OP_S3_delete_bucket_policy
                                                : API_OP_S3_not_implemented;
    else if (has_param(req->query, "cors"))
        st->op = kv_slice_eq_str(m, "PUT")      ? API_OP_S3_put_bucket_cors
                 : kv_slice_eq_str(m, "GET")    ? API_OP_S3_get_bucket_cors
                 : kv_slice_eq_str(m, "DELETE") ? API_OP_S3_delete_bucket_cors
                                                : API_OP_S3_not_implemented;
    else if (has_param(req->query, "notification"))
        st->op = kv_slice_eq_str(m, "PUT")   ? API_OP_S3_put_bucket_notification
                 : kv_slice_eq_str(m, "GET") ? API_OP_S3_get_bucket_notification
                                             : API_OP_S3_not_implemented;
    else if (has_param(req->query, "lifecycle"))
        st->op = kv_slice_eq_str(m, "PUT")      ? API_OP_S3_put_bucket_lifecycle
                 : kv_slice_eq_str(m, "GET")    ? API_OP_S3_get_bucket_lifecycle
                 : kv_slice_eq_str(m, "DELETE") ? API_OP_S3_delete_bucket_lifecycle
                                                : API_OP_S3_not_implemented;
}

uint64_t s3_body_limit(const api_req_t *req)
{
    if (req->_st->op == API_OP_S3_put_object || req->_st->op == API_OP_S3_upload_part)
        return (uint64_t)5 << 30; /* S3's single-PUT and part limit */
    if (req->_st->op == API_OP_S3_post_object)
        return ((uint64_t)5 << 30) + (1u << 20); /* the file and its form fields */
    if (req->_st->op == API_OP_S3_complete_multipart_upload)
        return API_S3_DELETE_XML_MAX; /* 10000 parts */
    if (req->_st->op == API_OP_S3_put_bucket_acl || req->_st->op == API_OP_S3_put_object_acl ||
        req->_st->op == API_OP_S3_put_object_tagging ||
        req->_st->op == API_OP_S3_put_bucket_tagging ||
        req->_st->op == API_OP_S3_put_bucket_versioning ||
        req->_st->op == API_OP_S3_put_bucket_cors ||
        req->_st->op == API_OP_S3_put_bucket_lifecycle ||
        req->_st->op == API_OP_S3_put_bucket_notification)
        return API_S3_XML_MAX;
    if (req->_st->op == API_OP_S3_put_bucket_policy)
        return 64 * 1024; /* refused above 20 KB with S3's own error */
    if (req->_st->op == API_OP_S3_delete_objects)
        return API_S3_DELETE_XML_MAX;
    return req->_st->op == API_OP_S3_create_bucket ? API_S3_XML_MAX : 0;
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
