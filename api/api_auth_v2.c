/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signature Version 2 for S3 (issue 15, package V): the legacy "Authorization: AWS key:sig"
 * header and AWSAccessKeyId/Expires/Signature presigned URLs, verified with S3's string to sign
 * (auth/sigv2.h) and answered with S3's errors. When SigV2 is on and S3 claimed the request,
 * api__auth_begin hands it here, then checks Content-MD5 and flexible checksums as for SigV4. The
 * body is not hashed: SigV2 does not sign it.
 */
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "auth/sigv2.h"
#include "base/kv_time.h"
#include "codec/api_xw.h"

bool api__sigv2_on(const api_ctx_t *ctx)
{
    return !ctx->sigv2_off;
}

bool api__sigv2_request(const api_ctx_t *ctx, const api_req_t *req)
{
    const api_state_t *st = req->_st;
    if (!api__sigv2_on(ctx) || !(st->svc->flags & API_SVC_S3_SIGV4))
        return false;
    if (st->h.authorization.len)
        return sigv2_is_header(st->h.authorization);
    return !st->presigned && sigv2_is_query(req->query);
}

/* An element appended to the S3 error's XML. */
static void extra(api_req_t *req, const char *tag, kv_slice_t v)
{
    api_state_t *st = req->_st;
    kv_buf_t b;
    kv_buf_init(&b, 1 << 20);
    kv_buf_append_slice(&b, st->s3_extra);
    api_xw_t w = {&b, false};
    api_xw_elem(&w, tag, v);
    st->s3_extra = kv_arena_dup(req->arena, kv_buf_slice(&b));
    kv_buf_dispose(&b);
}

static int refuse(api_resp_t *resp, api_err_t e, const char *msg)
{
    api_fail(resp, e, "%s", msg);
    return API_RESPOND;
}

/* "2007-03-29T03:40:20Z", as S3 writes Expires and ServerTime of an expired URL. */
static void extra_time(api_req_t *req, const char *tag, time_t t)
{
    char iso[25];
    kv_time_fmt_iso((int64_t)t * 1000, iso);
    iso[19] = 'Z';
    extra(req, tag, kv_slice(iso, 20));
}

/*
 * Who signs: the configured key without a session token (one comparison: the account root), or
 * any other key through api__auth_key (an IAM user's, or a session key with its token), whose
 * principal becomes the request's. Into *secret the key that signed.
 */
static int credentials(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t ak,
                       kv_slice_t tok, kv_slice_t *secret)
{
    api_state_t *st = req->_st;
    st->session_token = tok;
    if (kv_slice_eq_str(ak, ctx->access_key) && tok.len == 0) {
        api__principal_root(ctx, &st->principal);
        *secret = kv_slice_str(ctx->secret_key);
        return 0;
    }
    if (api__auth_key(ctx, req, resp, ak, tok, st->session_secret) == API_RESPOND)
        return API_RESPOND;
    *secret = kv_slice_str(api__auth_secret(ctx, req, st->session_secret));
    return 0;
}

/* Expires (query form), or the Date / x-amz-date header within 15 minutes of now. */
static int check_time(api_req_t *req, api_resp_t *resp, const sigv2_auth_t *a)
{
    api_state_t *st = req->_st;
    time_t now = time(NULL), t;
    if (a->query) {
        uint64_t exp;
        if (!kv_slice_to_u64(a->expires, &exp) || exp > SIGV2_MAX_EXPIRES) {
            api_fail(resp, API_E_S3_ACCESS_DENIED,
                     "Invalid date (should be seconds since epoch): %.*s", (int)a->expires.len,
                     (const char *)a->expires.p);
            return API_RESPOND;
        }
        if ((int64_t)now > (int64_t)exp) {
            api_fail(resp, API_E_S3_ACCESS_DENIED, "Request has expired");
            extra_time(req, "Expires", (time_t)exp);
            extra_time(req, "ServerTime", now);
            return API_RESPOND;
        }
        return 0;
    }
    kv_slice_t d = st->h.amz_date.len ? st->h.amz_date : st->h.date;
    if (d.len == 0 || !sigv2_parse_date(d, &t))
        return refuse(resp, API_E_S3_ACCESS_DENIED,
                      "AWS authentication requires a valid Date or x-amz-date header");
    long skew = (long)(t - now);
    if (skew > SIGV2_MAX_SKEW_S || skew < -SIGV2_MAX_SKEW_S) {
        api_fail(resp, API_E_S3_TIME_SKEWED, NULL);
        char iso[25];
        extra(req, "RequestTime", kv_slice_trim(d));
        kv_time_fmt_iso((int64_t)now * 1000, iso);
        extra(req, "ServerTime", kv_slice(iso, 24));
        extra(req, "MaxAllowedSkewMilliseconds", KV_SLICE_LIT("900000"));
        return API_RESPOND;
    }
    return 0;
}

/* The signature over S3's string to sign. Sub-resource values are tried decoded (as AWS
 * documents), then as sent (as some SDKs sign them); a path-style bucket ("/bucket") also as
 * "/bucket/", the resource botocore signs for it. Each variant names the same resource. */
static int check_signature(api_req_t *req, api_resp_t *resp, const sigv2_auth_t *a,
                           kv_slice_t secret)
{
    api_state_t *st = req->_st;
    sigv2_req_t r = {
        .method = req->method,
        .raw_path = req->path,
        .raw_query = req->query,
        .hdrs = req->hdrs,
        .n_hdrs = req->n_hdrs,
        .vhost_bucket = st->virtual_host ? st->bucket : KV_SLICE_NULL,
        .query_auth = a->query,
        .expires = a->expires,
    };
    kv_slice_t path = req->path, slash = KV_SLICE_NULL;
    if (!st->virtual_host && st->bucket.len && st->key_name.len == 0 && path.len > 1 &&
        path.p[path.len - 1] != '/') {
        uint8_t *p = kv_arena_alloc(req->arena, path.len + 1);
        memcpy(p, path.p, path.len);
        p[path.len] = '/';
        slash = kv_slice(p, path.len + 1);
    }
    uint8_t mem[1024], mem2[1024];
    kv_buf_t sts, alt;
    kv_buf_init_on(&sts, mem, sizeof(mem), 1 << 20);
    kv_buf_init_on(&alt, mem2, sizeof(mem2), 1 << 20);
    int rc = 0;
    if (!sigv2_string_to_sign(&sts, &r, req->arena)) {
        rc = refuse(resp, API_E_S3_INVALID_REQUEST,
                    "Too many x-amz-* headers or sub-resources to sign with Signature Version 2.");
        goto out;
    }
    bool ok = sigv2_verify(secret, kv_buf_slice(&sts), a->signature);
    for (int v = 1; !ok && v < 4; v++) {
        if ((v & 2) && slash.len == 0)
            break;
        r.raw_values = v & 1;
        r.raw_path = v & 2 ? slash : path;
        kv_buf_reset(&alt);
        if (sigv2_string_to_sign(&alt, &r, req->arena) &&
            !kv_slice_eq(kv_buf_slice(&alt), kv_buf_slice(&sts)))
            ok = sigv2_verify(secret, kv_buf_slice(&alt), a->signature);
    }
    if (!ok) {
        api_fail(resp, API_E_S3_SIG_MISMATCH, NULL);
        extra(req, "AWSAccessKeyId", a->access_key);
        extra(req, "StringToSign", kv_buf_slice(&sts));
        extra(req, "SignatureProvided", a->signature);
        kv_buf_t bytes;
        kv_buf_init(&bytes, 3 << 20);
        sigv2_sts_bytes(&bytes, kv_buf_slice(&sts));
        extra(req, "StringToSignBytes", kv_buf_slice(&bytes));
        kv_buf_dispose(&bytes);
        rc = API_RESPOND;
        goto out;
    }
    st->sig_verified = true;
out:
    kv_buf_dispose(&sts);
    kv_buf_dispose(&alt);
    return rc;
}

/* SigV2 does not sign the body: it is not hashed unless x-amz-content-sha256 names a hash
 * (then checked at the end, as for SigV4); aws-chunked framing has no SigV2 form. */
static int setup_payload(api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    kv_slice_t sha = kv_slice_trim(st->h.content_sha256);
    kv_slice_t enc = api_req_header(req, "content-encoding");
    bool chunked = false;
    for (size_t i = 0; i + 11 <= enc.len && !chunked; i++)
        chunked = kv_slice_eq_nocase(kv_slice(enc.p + i, 11), "aws-chunked");
    if (chunked || kv_slice_starts_with(sha, "STREAMING-"))
        return refuse(resp, API_E_S3_INVALID_REQUEST,
                      "aws-chunked encoding is not supported with Signature Version 2; sign "
                      "the request with AWS4-HMAC-SHA256.");
    if (sha.len == 64) {
        st->payload = API_PAYLOAD_HASH;
        st->content_sha256 = sha;
        st->hashing = true;
        api_ck_init(&st->sha, API_CK_SHA256);
    } else {
        st->payload = API_PAYLOAD_UNSIGNED;
    }
    return 0;
}

int api__auth_sigv2(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    sigv2_auth_t a;
    st->authed = true;
    if (st->h.authorization.len) {
        if (sigv2_parse_header(st->h.authorization, &a) != SIGV2_OK) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature");
            extra(req, "ArgumentName", KV_SLICE_LIT("Authorization"));
            extra(req, "ArgumentValue", st->h.authorization);
            return API_RESPOND;
        }
    } else if (sigv2_parse_query(req->query, req->arena, &a) != SIGV2_OK) {
        return refuse(resp, API_E_S3_ACCESS_DENIED,
                      "Query-string authentication requires the Signature, Expires and "
                      "AWSAccessKeyId parameters");
    } else {
        st->presigned = true;
    }
    memset(&st->auth, 0, sizeof(st->auth)); /* nothing SigV4's parser left behind */
    st->auth.access_key = a.access_key;
    st->auth.signature = a.signature;
    kv_slice_t tok = a.query && a.token.len ? a.token : st->h.security_token;
    kv_slice_t secret;
    if (credentials(ctx, req, resp, a.access_key, tok, &secret) == API_RESPOND)
        return API_RESPOND;
    if (check_time(req, resp, &a) == API_RESPOND)
        return API_RESPOND;
    if (check_signature(req, resp, &a, secret) == API_RESPOND)
        return API_RESPOND;
    api__auth_key_used(ctx, req);
    st->sigv2 = true;
    return setup_payload(req, resp);
}
