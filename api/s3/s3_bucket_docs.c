/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bucket configuration documents: policy (JSON), CORS and lifecycle (XML). Each is
 * validated on PUT as S3 validates it, stored as sent in the bucket's record, returned as
 * stored on GET, and removed on DELETE. CORS is also enforced here: preflight OPTIONS
 * requests are answered from the rules, and responses to requests carrying an Origin get
 * the Access-Control-* headers of the first matching rule. The policy is enforced by
 * s3_authz.c (issue 15).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../codec/api_json_r.h"
#include "s3_authz.h"
#include "s3_int.h"

#define S3_POLICY_MAX     (20u * 1024) /* S3's bucket policy size limit */
#define S3_CORS_RULES_MAX 100
#define S3_LC_RULES_MAX   1000

static const struct {
    int put, get, del;
    eng_bucket_doc_t which;
    api_err_t none;
} kinds[] = {
    {S3_OP_put_bucket_policy, S3_OP_get_bucket_policy, S3_OP_delete_bucket_policy, ENG_BDOC_POLICY,
     API_E_S3_NO_SUCH_POLICY},
    {S3_OP_put_bucket_cors, S3_OP_get_bucket_cors, S3_OP_delete_bucket_cors, ENG_BDOC_CORS,
     API_E_S3_NO_SUCH_CORS},
    {S3_OP_put_bucket_lifecycle, S3_OP_get_bucket_lifecycle, S3_OP_delete_bucket_lifecycle,
     ENG_BDOC_LIFECYCLE, API_E_S3_NO_SUCH_LIFECYCLE},
};

static size_t kind_of(int op)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
        if (kinds[i].put == op || kinds[i].get == op || kinds[i].del == op)
            return i;
    return 0;
}

/* ---- validation ---- */

static int validate_policy(api_req_t *req, api_resp_t *resp, kv_slice_t doc)
{
    api_json_t *root;
    const char *err;
    if (doc.len > S3_POLICY_MAX) {
        api_fail(resp, API_E_S3_MALFORMED_POLICY,
                 "Policy exceeds the maximum allowed document "
                 "size.");
        return -1;
    }
    kv_slice_t t = kv_slice_trim(doc);
    if (t.len == 0 || t.p[0] != '{' || api_json_parse(req->arena, t, &root, &err) < 0 ||
        api_json_type(root) != API_J_OBJ) {
        api_fail(resp, API_E_S3_MALFORMED_POLICY,
                 "Policies must be valid JSON and the first byte must be '{'");
        return -1;
    }
    api_json_t *st = api_json_get(root, "Statement");
    if (st == NULL || (api_json_type(st) != API_J_ARR && api_json_type(st) != API_J_OBJ) ||
        (api_json_type(st) == API_J_ARR && api_json_len(st) == 0)) {
        api_fail(resp, API_E_S3_MALFORMED_POLICY, "Missing required field Statement");
        return -1;
    }
    return 0;
}

static size_t count_char(kv_slice_t s, uint8_t c)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++)
        n += s.p[i] == c;
    return n;
}

static int validate_cors(api_req_t *req, api_resp_t *resp, api_xnode_t *root)
{
    (void)req;
    size_t rules = 0;
    for (api_xnode_t *r = root->child; r; r = r->next) {
        if (strcmp(r->name, "CORSRule") != 0)
            continue;
        if (++rules > S3_CORS_RULES_MAX) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
        size_t origins = 0, methods = 0;
        for (api_xnode_t *f = r->child; f; f = f->next) {
            kv_slice_t v = kv_slice_trim(f->text);
            if (strcmp(f->name, "AllowedOrigin") == 0) {
                origins++;
                if (count_char(v, '*') > 1) {
                    api_fail(resp, API_E_S3_INVALID_REQUEST,
                             "AllowedOrigin \"%.*s\" can not have more than one wildcard.",
                             (int)v.len, (const char *)v.p);
                    return -1;
                }
            } else if (strcmp(f->name, "AllowedMethod") == 0) {
                methods++;
                static const char *const ok[] = {"GET", "PUT", "HEAD", "POST", "DELETE", NULL};
                bool good = false;
                for (size_t i = 0; ok[i]; i++)
                    good |= kv_slice_eq_str(v, ok[i]);
                if (!good) {
                    api_fail(resp, API_E_S3_INVALID_REQUEST,
                             "Found unsupported HTTP method in CORS config. Unsupported method "
                             "is %.*s",
                             (int)v.len, (const char *)v.p);
                    return -1;
                }
            } else if (strcmp(f->name, "AllowedHeader") == 0 && count_char(v, '*') > 1) {
                api_fail(resp, API_E_S3_INVALID_REQUEST,
                         "AllowedHeader \"%.*s\" can not have more than one wildcard.", (int)v.len,
                         (const char *)v.p);
                return -1;
            } else if (strcmp(f->name, "MaxAgeSeconds") == 0) {
                uint64_t n;
                if (!kv_slice_to_u64(v, &n) || n > INT32_MAX) {
                    api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
                    return -1;
                }
            }
        }
        if (origins == 0 || methods == 0) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
    }
    if (rules == 0) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    return 0;
}

bool s3_iso_date(kv_slice_t v, int64_t *ms)
{
    char buf[40];
    if (v.len < 10 || v.len >= sizeof(buf))
        return false;
    memcpy(buf, v.p, v.len);
    buf[v.len] = 0;
    struct tm tm = {0};
    int n = 0;
    if (sscanf(buf, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
        return false;
    const char *rest = buf + 10;
    if (*rest) {
        int m = 0;
        if (sscanf(rest, "T%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &m) != 3)
            return false;
        rest += m;
        if (*rest == '.')
            for (rest++; *rest >= '0' && *rest <= '9'; rest++)
                ;
        if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0)
            return false;
    }
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ms = (int64_t)timegm(&tm) * 1000;
    return true;
}

/* A positive whole number of days in element tag of n, when present. */
static int days_of(api_resp_t *resp, const api_xnode_t *n, const char *tag, bool *has)
{
    api_xnode_t *d = n ? api_xml_child(n, tag) : NULL;
    *has = d != NULL;
    uint64_t v;
    if (d && (!kv_slice_to_u64(kv_slice_trim(d->text), &v) || v == 0 || v > INT32_MAX)) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT, "'%s' for %s action must be a positive integer",
                 tag, n->name);
        return -1;
    }
    return 0;
}

static int validate_lifecycle(api_req_t *req, api_resp_t *resp, api_xnode_t *root)
{
    (void)req;
    size_t rules = 0;
    for (api_xnode_t *r = root->child; r; r = r->next) {
        if (strcmp(r->name, "Rule") != 0)
            continue;
        if (++rules > S3_LC_RULES_MAX) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
        api_xnode_t *st = api_xml_child(r, "Status");
        kv_slice_t sv = st ? kv_slice_trim(st->text) : KV_SLICE_NULL;
        if (!kv_slice_eq_str(sv, "Enabled") && !kv_slice_eq_str(sv, "Disabled")) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
        api_xnode_t *exp = api_xml_child(r, "Expiration");
        api_xnode_t *nce = api_xml_child(r, "NoncurrentVersionExpiration");
        api_xnode_t *aim = api_xml_child(r, "AbortIncompleteMultipartUpload");
        bool has_days, has_nc, has_aim;
        if (days_of(resp, exp, "Days", &has_days) < 0 ||
            days_of(resp, nce, "NoncurrentDays", &has_nc) < 0 ||
            days_of(resp, aim, "DaysAfterInitiation", &has_aim) < 0)
            return -1;
        api_xnode_t *date = exp ? api_xml_child(exp, "Date") : NULL;
        api_xnode_t *edm = exp ? api_xml_child(exp, "ExpiredObjectDeleteMarker") : NULL;
        int64_t ms;
        if (date && !s3_iso_date(kv_slice_trim(date->text), &ms)) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT, "'Date' must be at midnight GMT");
            return -1;
        }
        if (exp && (int)has_days + (date != NULL) + (edm != NULL) != 1) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
        bool transition = api_xml_child(r, "Transition") != NULL ||
                          api_xml_child(r, "NoncurrentVersionTransition") != NULL;
        if (!exp && !nce && !aim && !transition) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
    }
    if (rules == 0) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    return 0;
}

/* ---- operations ---- */

static int doc_in(api_req_t *req, s3_bdoc_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->kind = kind_of(req->_st->op);
    return 0;
}

#define DOC_DECODE(name)                                                                      \
    int s3_decode_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_bdoc_in_t *out) \
    {                                                                                         \
        (void)ctx, (void)resp;                                                                \
        return doc_in(req, out);                                                              \
    }
DOC_DECODE(get_bucket_policy)
DOC_DECODE(delete_bucket_policy)
DOC_DECODE(get_bucket_cors)
DOC_DECODE(delete_bucket_cors)
DOC_DECODE(get_bucket_lifecycle)
DOC_DECODE(delete_bucket_lifecycle)

static int decode_put(api_req_t *req, api_resp_t *resp, s3_bdoc_in_t *out, const char *root_name,
                      int (*validate)(api_req_t *, api_resp_t *, api_xnode_t *))
{
    doc_in(req, out);
    out->doc = kv_buf_slice(&req->_st->body);
    api_xnode_t *root;
    if (api_xml_parse(req->arena, out->doc, &root) < 0 || strcmp(root->name, root_name) != 0) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    return validate(req, resp, root);
}

int s3_decode_put_bucket_policy(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_bdoc_in_t *out)
{
    (void)ctx;
    doc_in(req, out);
    out->doc = kv_buf_slice(&req->_st->body);
    return validate_policy(req, resp, out->doc);
}

int s3_decode_put_bucket_cors(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_bdoc_in_t *out)
{
    (void)ctx;
    return decode_put(req, resp, out, "CORSConfiguration", validate_cors);
}

int s3_decode_put_bucket_lifecycle(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   s3_bdoc_in_t *out)
{
    (void)ctx;
    return decode_put(req, resp, out, "LifecycleConfiguration", validate_lifecycle);
}

/* Store (PUT) or remove (DELETE: an empty document) a document. */
static int doc_set(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_bdoc_in_t *in)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    /* A policy's S3 checks (issue 15), then Block Public Access: a public policy is refused
     * while BlockPublicPolicy is on. */
    if (kinds[in->kind].which == ENG_BDOC_POLICY && in->doc.len &&
        (s3_policy_validate(req, resp, in->bucket, in->doc) < 0 ||
         s3_policy_block_check(ctx, req, resp, b, in->doc) < 0))
        return -1;
    int rc = eng_bucket_set_doc(ctx->eng, in->bucket, kinds[in->kind].which, in->doc);
    if (rc == 0 && kinds[in->kind].which == ENG_BDOC_LIFECYCLE)
        s3_lifecycle_changed(ctx);
    return s3_bucket_written(resp, rc);
}

static int doc_get(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_bdoc_in_t *in,
                   s3_bdoc_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    out->doc = b->docs[kinds[in->kind].which];
    if (out->doc.len == 0) {
        api_fail(resp, kinds[in->kind].none, NULL);
        return -1;
    }
    out->json = in->kind == 0;
    return 0;
}

#define DOC_EXEC(name, fn)                                                                       \
    int s3_exec_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_bdoc_in_t *in, \
                       s3_bdoc_out_t *out)                                                       \
    {                                                                                            \
        (void)out;                                                                               \
        return fn;                                                                               \
    }
DOC_EXEC(put_bucket_policy, doc_set(ctx, req, resp, in))
DOC_EXEC(delete_bucket_policy, doc_set(ctx, req, resp, in))
DOC_EXEC(put_bucket_cors, doc_set(ctx, req, resp, in))
DOC_EXEC(delete_bucket_cors, doc_set(ctx, req, resp, in))
DOC_EXEC(put_bucket_lifecycle, doc_set(ctx, req, resp, in))
DOC_EXEC(delete_bucket_lifecycle, doc_set(ctx, req, resp, in))
DOC_EXEC(get_bucket_policy, doc_get(ctx, req, resp, in, out))
DOC_EXEC(get_bucket_cors, doc_get(ctx, req, resp, in, out))
DOC_EXEC(get_bucket_lifecycle, doc_get(ctx, req, resp, in, out))

static void encode_get(api_resp_t *resp, const s3_bdoc_out_t *out)
{
    kv_buf_append_slice(&resp->body, out->doc);
    api_resp_header(resp, "Content-Type",
                    out->json ? KV_SLICE_LIT("application/json") : KV_SLICE_LIT("application/xml"));
}

#define DOC_ENCODE(name, body)                                              \
    void s3_encode_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, \
                          const s3_bdoc_out_t *out)                         \
    {                                                                       \
        (void)ctx, (void)req, (void)out;                                    \
        body;                                                               \
    }
DOC_ENCODE(put_bucket_policy, resp->status = 204)
DOC_ENCODE(delete_bucket_policy, resp->status = 204)
DOC_ENCODE(put_bucket_cors, (void)resp)
DOC_ENCODE(delete_bucket_cors, resp->status = 204)
DOC_ENCODE(put_bucket_lifecycle, (void)resp)
DOC_ENCODE(delete_bucket_lifecycle, resp->status = 204)
DOC_ENCODE(get_bucket_policy, encode_get(resp, out))
DOC_ENCODE(get_bucket_cors, encode_get(resp, out))
DOC_ENCODE(get_bucket_lifecycle, encode_get(resp, out))

/* ---- CORS enforcement ---- */

static bool same_chars(const uint8_t *a, const uint8_t *b, size_t n, bool nocase)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t x = a[i], y = b[i];
        if (nocase) {
            x = (uint8_t)(x >= 'A' && x <= 'Z' ? x + 32 : x);
            y = (uint8_t)(y >= 'A' && y <= 'Z' ? y + 32 : y);
        }
        if (x != y)
            return false;
    }
    return true;
}

/* Does pattern (at most one '*', matching any run of characters) match s? */
static bool wild_match(kv_slice_t pat, kv_slice_t s, bool nocase)
{
    const uint8_t *star = memchr(pat.p, '*', pat.len);
    if (star == NULL)
        return pat.len == s.len && same_chars(pat.p, s.p, s.len, nocase);
    size_t pre = (size_t)(star - pat.p), suf = pat.len - pre - 1;
    return s.len >= pre + suf && same_chars(pat.p, s.p, pre, nocase) &&
           same_chars(star + 1, s.p + s.len - suf, suf, nocase);
}

static bool rule_has(const api_xnode_t *r, const char *tag, kv_slice_t v, bool wild, bool nocase)
{
    for (api_xnode_t *f = r->child; f; f = f->next) {
        if (strcmp(f->name, tag) != 0)
            continue;
        kv_slice_t t = kv_slice_trim(f->text);
        if (wild ? wild_match(t, v, nocase) : kv_slice_eq(t, v))
            return true;
    }
    return false;
}

/* Every header named in a comma-separated Access-Control-Request-Headers is allowed. */
static bool headers_allowed(const api_xnode_t *r, kv_slice_t list)
{
    while (list.len) {
        const uint8_t *c = memchr(list.p, ',', list.len);
        kv_slice_t h = kv_slice_trim(kv_slice(list.p, c ? (size_t)(c - list.p) : list.len));
        list = c ? kv_slice(c + 1, list.len - (size_t)(c - list.p) - 1) : KV_SLICE_NULL;
        if (h.len && !rule_has(r, "AllowedHeader", h, true, true))
            return false;
    }
    return true;
}

/* The first rule of a stored CORS document allowing origin, method and headers. */
static const api_xnode_t *cors_rule(kv_arena_t *a, kv_slice_t doc, kv_slice_t origin,
                                    kv_slice_t method, kv_slice_t req_headers)
{
    api_xnode_t *root;
    if (doc.len == 0 || api_xml_parse(a, doc, &root) < 0)
        return NULL;
    for (api_xnode_t *r = root->child; r; r = r->next)
        if (strcmp(r->name, "CORSRule") == 0 && rule_has(r, "AllowedOrigin", origin, true, false) &&
            rule_has(r, "AllowedMethod", method, false, false) && headers_allowed(r, req_headers))
            return r;
    return NULL;
}

/* A rule's values for tag joined with ", " (NULL when there are none). */
static const char *joined(kv_arena_t *a, const api_xnode_t *r, const char *tag)
{
    kv_buf_t b;
    kv_buf_init(&b, 64 * 1024);
    for (api_xnode_t *f = r->child; f; f = f->next)
        if (strcmp(f->name, tag) == 0) {
            if (b.len)
                kv_buf_append_str(&b, ", ");
            kv_buf_append_slice(&b, kv_slice_trim(f->text));
        }
    const char *s = b.len ? kv_arena_strndup(a, b.p, b.len) : NULL;
    kv_buf_dispose(&b);
    return s;
}

static void cors_headers(api_resp_t *resp, const api_xnode_t *r, kv_slice_t origin,
                         kv_slice_t req_headers, bool preflight)
{
    kv_arena_t *a = resp->_arena;
    bool any = rule_has(r, "AllowedOrigin", KV_SLICE_LIT("*"), false, false);
    api_resp_header(resp, "Access-Control-Allow-Origin", any ? KV_SLICE_LIT("*") : origin);
    if (!any)
        api_resp_header(resp, "Access-Control-Allow-Credentials", KV_SLICE_LIT("true"));
    api_resp_header(resp, "Access-Control-Allow-Methods",
                    kv_slice_str(joined(a, r, "AllowedMethod")));
    if (preflight && req_headers.len) {
        char *h = kv_arena_strndup(a, req_headers.p, req_headers.len);
        for (char *c = h; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c + 32);
        api_resp_header(resp, "Access-Control-Allow-Headers", kv_slice_str(h));
    }
    const char *expose = joined(a, r, "ExposeHeader");
    if (expose)
        api_resp_header(resp, "Access-Control-Expose-Headers", kv_slice_str(expose));
    api_xnode_t *age = api_xml_child(r, "MaxAgeSeconds");
    if (age)
        api_resp_header(resp, "Access-Control-Max-Age", kv_slice_trim(age->text));
    api_resp_header(resp, "Vary",
                    KV_SLICE_LIT("Origin, Access-Control-Request-Headers, "
                                 "Access-Control-Request-Method"));
}

void s3_cors_response(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    kv_slice_t origin = api_req_header(req, "origin");
    if (origin.len == 0 || st->bucket.len == 0 || st->op == S3_OP_preflight ||
        s3_bucket_name_error(st->bucket))
        return;
    eng_bucket_t *b;
    if (eng_bucket_get(ctx->eng, st->bucket, req->arena, &b) < 0)
        return;
    const api_xnode_t *r =
        cors_rule(req->arena, b->docs[ENG_BDOC_CORS], origin, req->method, KV_SLICE_NULL);
    if (r)
        cors_headers(resp, r, origin, KV_SLICE_NULL, false);
}

int s3_decode_preflight(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_bdoc_in_t *out)
{
    (void)ctx;
    doc_in(req, out);
    if (api_req_header(req, "origin").len == 0) {
        api_fail(resp, API_E_S3_BAD_REQUEST,
                 "Insufficient information. Origin request header needed.");
        return -1;
    }
    if (api_req_header(req, "access-control-request-method").len == 0) {
        api_fail(resp, API_E_S3_BAD_REQUEST, "Invalid Access-Control-Request-Method: null");
        return -1;
    }
    return 0;
}

int s3_exec_preflight(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_bdoc_in_t *in,
                      s3_bdoc_out_t *out)
{
    (void)out;
    kv_slice_t origin = api_req_header(req, "origin");
    kv_slice_t method = kv_slice_trim(api_req_header(req, "access-control-request-method"));
    kv_slice_t hdrs = api_req_header(req, "access-control-request-headers");
    if (in->bucket.len == 0) {
        /* The service root (DynamoDB, ListBuckets): allowed from anywhere, as DynamoDB's
         * endpoint allows it; requests still need a valid signature. */
        api_resp_header(resp, "Access-Control-Allow-Origin", origin);
        api_resp_header(resp, "Access-Control-Allow-Methods",
                        KV_SLICE_LIT("GET, PUT, POST, DELETE, HEAD"));
        if (hdrs.len)
            api_resp_header(resp, "Access-Control-Allow-Headers", hdrs);
        api_resp_header(resp, "Access-Control-Expose-Headers",
                        KV_SLICE_LIT("x-amzn-RequestId, x-amz-crc32, x-amz-request-id, ETag"));
        api_resp_header(resp, "Access-Control-Max-Age", KV_SLICE_LIT("86400"));
        return 0;
    }
    eng_bucket_t *b;
    int rc = eng_bucket_get(ctx->eng, in->bucket, req->arena, &b);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_S3_CORS_FORBIDDEN, "CORSResponse: Bucket not found");
        return -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    if (b->docs[ENG_BDOC_CORS].len == 0) {
        api_fail(resp, API_E_S3_CORS_FORBIDDEN,
                 "CORSResponse: CORS is not enabled for this bucket.");
        return -1;
    }
    const api_xnode_t *r = cors_rule(req->arena, b->docs[ENG_BDOC_CORS], origin, method, hdrs);
    if (r == NULL) {
        api_fail(resp, API_E_S3_CORS_FORBIDDEN,
                 "CORSResponse: This CORS request is not allowed. This is usually because the "
                 "evalution of Origin, request method / Access-Control-Request-Method or "
                 "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.");
        return -1;
    }
    cors_headers(resp, r, origin, hdrs, true);
    return 0;
}

void s3_encode_preflight(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_bdoc_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}
