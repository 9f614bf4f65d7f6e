/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SigV4 authentication of every request, with each protocol's own errors.
 * Everything the headers allow is checked in api__auth_begin, before the body
 * is read; the payload hash, deferred signatures (DynamoDB signs the body
 * hash without sending it), aws-chunked trailers, Content-MD5 and flexible
 * checksums are checked in api__auth_finish.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "api_iam.h"
#include "api_int.h"
#include "base/kv_alloc.h"
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "codec/api_xw.h"

/* Signing keys cached per thread by (access key, secret, date, region, service): two
 * principals never share one, and a key whose secret changed (a new session of the same
 * id cannot exist, but a reconfigured server could) misses. */
#define KEY_AK_MAX 128
#define KEY_SK_MAX 128
typedef struct key_slot {
    char date[9];
    char region[32];
    char service[32];
    uint8_t ak_len, sk_len;
    char ak[KEY_AK_MAX];
    char sk[KEY_SK_MAX];
    uint8_t key[32];
} key_slot_t;

#define KEY_SLOTS 8
static _Thread_local key_slot_t key_cache[KEY_SLOTS];
static _Thread_local unsigned key_next;

static bool slot_eq(const char *s, kv_slice_t v)
{
    return strlen(s) == v.len && memcmp(s, v.p, v.len) == 0;
}

/* The signing key of the request's credentials: the configured secret for the configured key,
 * else the secret check_credentials resolved (an IAM user's, a session's). */
static void signing_key(api_ctx_t *ctx, const api_state_t *st, uint8_t out[32])
{
    const sigv4_auth_t *a = &st->auth;
    kv_slice_t ak = a->access_key;
    kv_slice_t sk =
        kv_slice_str(st->principal.kind == API_PR_ROOT ? ctx->secret_key : st->session_secret);
    for (int i = 0; i < KEY_SLOTS; i++) {
        key_slot_t *k = &key_cache[i];
        if (k->ak_len == ak.len && k->sk_len == sk.len && ak.len &&
            memcmp(k->ak, ak.p, ak.len) == 0 && CRYPTO_memcmp(k->sk, sk.p, sk.len) == 0 &&
            slot_eq(k->date, a->date) && slot_eq(k->region, a->region) &&
            slot_eq(k->service, a->service)) {
            memcpy(out, k->key, 32);
            return;
        }
    }
    sigv4_signing_key(sk, a->date, a->region, a->service, out);
    if (a->date.len < 9 && a->region.len < 32 && a->service.len < 32 && ak.len <= KEY_AK_MAX &&
        sk.len <= KEY_SK_MAX) {
        key_slot_t *k = &key_cache[key_next++ % KEY_SLOTS];
        memcpy(k->date, a->date.p, a->date.len);
        k->date[a->date.len] = 0;
        memcpy(k->region, a->region.p, a->region.len);
        k->region[a->region.len] = 0;
        memcpy(k->service, a->service.p, a->service.len);
        k->service[a->service.len] = 0;
        k->ak_len = (uint8_t)ak.len;
        memcpy(k->ak, ak.p, ak.len);
        k->sk_len = (uint8_t)sk.len;
        memcpy(k->sk, sk.p, sk.len);
        memcpy(k->key, out, 32);
    }
}

static bool s3_sigv4(const api_state_t *st)
{
    return (st->svc->flags & API_SVC_S3_SIGV4) != 0;
}

static int deny(api_resp_t *resp, api_err_t e, const char *msg)
{
    if (msg)
        api_fail(resp, e, "%s", msg);
    else
        api_fail(resp, e, NULL);
    return API_RESPOND;
}

static void s3_extra(api_req_t *req, const char *tag, kv_slice_t v)
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

/* Compute the signature over the canonical request built with canonical_uri. */
static bool try_sig(api_req_t *req, kv_slice_t canonical_uri, kv_slice_t payload, kv_buf_t *creq,
                    kv_buf_t *sts)
{
    api_state_t *st = req->_st;
    uint8_t cq_mem[512];
    kv_buf_t cq;
    kv_buf_init_on(&cq, cq_mem, sizeof(cq_mem), 1 << 20);
    kv_buf_reset(creq);
    kv_buf_reset(sts);
    bool ok = sigv4_canonical_query(&cq, req->query, req->arena) &&
              sigv4_canonical_request(creq, req->method, canonical_uri, kv_buf_slice(&cq),
                                      st->auth.signed_headers, req->hdrs, req->n_hdrs, payload);
    kv_buf_dispose(&cq);
    if (!ok)
        return false;
    sigv4_string_to_sign(sts, st->amz_date, st->auth.scope, kv_buf_slice(creq));
    char sig[65];
    sigv4_hmac_hex(st->key, kv_buf_slice(sts), sig);
    return sigv4_sig_eq(kv_slice(sig, 64), st->auth.signature);
}

static int verify_signature(api_req_t *req, api_resp_t *resp, kv_slice_t payload)
{
    api_state_t *st = req->_st;
    uint8_t creq_mem[2048], sts_mem[256], uri_mem[256];
    kv_buf_t creq, sts, uri;
    kv_buf_init_on(&creq, creq_mem, sizeof(creq_mem), 1 << 20);
    kv_buf_init_on(&sts, sts_mem, sizeof(sts_mem), 4096);
    kv_buf_init_on(&uri, uri_mem, sizeof(uri_mem), 64 * 1024);
    sigv4_canonical_uri(&uri, req->path, s3_sigv4(st));
    bool ok = try_sig(req, kv_buf_slice(&uri), payload, &creq, &sts);
    if (!ok && s3_sigv4(st)) {
        /* Some S3 clients canonicalise the decoded path with AWS's own encoding. */
        kv_buf_t dec, alt, c2, s2;
        kv_buf_init(&dec, req->path.len + 1);
        kv_buf_init(&alt, req->path.len * 3 + 1);
        kv_buf_init(&c2, 1 << 20);
        kv_buf_init(&s2, 4096);
        if (sigv4_uri_decode(&dec, req->path)) {
            sigv4_uri_encode(&alt, kv_buf_slice(&dec), false);
            ok = try_sig(req, kv_buf_slice(&alt), payload, &c2, &s2);
        }
        kv_buf_dispose(&dec);
        kv_buf_dispose(&alt);
        kv_buf_dispose(&c2);
        kv_buf_dispose(&s2);
    }
    int rc = 0;
    if (!ok) {
        if (s3_sigv4(st)) {
            api_fail(resp, API_E_S3_SIG_MISMATCH, NULL);
            s3_extra(req, "AWSAccessKeyId", st->auth.access_key);
            s3_extra(req, "StringToSign", kv_buf_slice(&sts));
            s3_extra(req, "SignatureProvided", st->auth.signature);
            s3_extra(req, "CanonicalRequest", kv_buf_slice(&creq));
        } else if (st->svc->flags & API_SVC_SIG_TERSE) {
            api_fail(resp, API_E_DDB_INVALID_SIGNATURE, NULL);
        } else {
            api_fail(resp, API_E_DDB_INVALID_SIGNATURE,
                     "The request signature we calculated does not match the signature you "
                     "provided. Check your AWS Secret Access Key and signing method. Consult "
                     "the service documentation for details.\n\nThe Canonical String for this "
                     "request should have been\n'%.*s'\n\nThe String-to-Sign should have "
                     "been\n'%.*s'\n",
                     (int)creq.len, (const char *)creq.p, (int)sts.len, (const char *)sts.p);
        }
        rc = API_RESPOND;
    } else {
        st->sig_verified = true;
    }
    kv_buf_dispose(&creq);
    kv_buf_dispose(&sts);
    kv_buf_dispose(&uri);
    return rc;
}

static int parse_failure(api_req_t *req, api_resp_t *resp, sigv4_parse_err_t e, bool presigned)
{
    api_state_t *st = req->_st;
    if (s3_sigv4(st)) {
        if (presigned)
            return deny(resp, API_E_S3_AUTH_QUERY_ERROR, NULL);
        if (e == SIGV4_E_ALGORITHM)
            return deny(resp, API_E_S3_INVALID_REQUEST,
                        "The authorization mechanism you have provided is not supported. Please "
                        "use AWS4-HMAC-SHA256.");
        return deny(resp, API_E_S3_AUTH_MALFORMED,
                    e == SIGV4_E_CREDENTIAL
                        ? "The authorization header is malformed; the Credential is mal-formed; "
                          "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
                        : "The authorization header is malformed; incorrect number of elements.");
    }
    static const char *why[] = {
        "",
        ("Authorization header requires 'Credential' parameter. Authorization header requires "
         "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."),
        "Authorization header requires 'Credential' parameter.",
        "Authorization header requires 'SignedHeaders' parameter.",
        "Authorization header requires 'Signature' parameter.",
    };
    return deny(resp, API_E_DDB_INCOMPLETE_SIGNATURE, why[e]);
}

static int check_dates(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    (void)ctx;
    time_t now = time(NULL), t;
    char buf[17];
    if (st->presigned) {
        uint64_t exp;
        if (!kv_time_parse_amz(st->auth.amz_date, &t))
            return deny(resp,
                        s3_sigv4(st) ? API_E_S3_AUTH_QUERY_ERROR : API_E_DDB_INCOMPLETE_SIGNATURE,
                        "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
        if (!kv_slice_to_u64(st->auth.expires, &exp))
            return deny(resp,
                        s3_sigv4(st) ? API_E_S3_AUTH_QUERY_ERROR : API_E_DDB_INCOMPLETE_SIGNATURE,
                        "X-Amz-Expires should be a number");
        if (exp > SIGV4_MAX_PRESIGN_S)
            return deny(resp,
                        s3_sigv4(st) ? API_E_S3_AUTH_QUERY_ERROR : API_E_DDB_INCOMPLETE_SIGNATURE,
                        "X-Amz-Expires must be less than a week (in seconds) that is 604800");
        if (now > t + (time_t)exp) {
            if (!s3_sigv4(st))
                return deny(resp, API_E_DDB_INVALID_SIGNATURE, "Signature expired");
            api_fail(resp, API_E_S3_ACCESS_DENIED, "Request has expired");
            s3_extra(req, "X-Amz-Expires", st->auth.expires);
            kv_time_fmt_amz(t + (time_t)exp, buf);
            char iso[25];
            kv_time_fmt_iso((int64_t)(t + (time_t)exp) * 1000, iso);
            s3_extra(req, "Expires", kv_slice(iso, 19));
            kv_time_fmt_iso((int64_t)now * 1000, iso);
            s3_extra(req, "ServerTime", kv_slice(iso, 19));
            return API_RESPOND;
        }
        if (t > now + SIGV4_MAX_SKEW_S)
            return deny(resp, s3_sigv4(st) ? API_E_S3_ACCESS_DENIED : API_E_DDB_INVALID_SIGNATURE,
                        "Request is not valid yet");
        st->amz_date = st->auth.amz_date;
    } else {
        kv_slice_t d = st->h.amz_date;
        if (d.len) {
            if (!kv_time_parse_amz(d, &t))
                d = KV_SLICE_NULL;
        } else {
            kv_slice_t hd = st->h.date;
            if (hd.len && kv_time_parse_http(hd, &t)) {
                kv_time_fmt_amz(t, buf);
                d = kv_arena_dup(req->arena, kv_slice(buf, 16));
            }
        }
        if (d.len == 0) {
            if (s3_sigv4(st))
                return deny(resp, API_E_S3_ACCESS_DENIED,
                            "AWS authentication requires a valid Date or x-amz-date header");
            return deny(resp, API_E_DDB_INCOMPLETE_SIGNATURE,
                        "Authorization header requires existence of either a 'X-Amz-Date' or a "
                        "'Date' header.");
        }
        st->amz_date = d;
        long skew = (long)(t - now);
        long max_skew = st->svc->sig_skew_s ? (long)st->svc->sig_skew_s : SIGV4_MAX_SKEW_S;
        if (skew > max_skew || skew < -max_skew) {
            if (s3_sigv4(st)) {
                api_fail(resp, API_E_S3_TIME_SKEWED, NULL);
                char iso[25];
                kv_time_fmt_iso((int64_t)t * 1000, iso);
                s3_extra(req, "RequestTime", kv_slice(iso, 24));
                kv_time_fmt_iso((int64_t)now * 1000, iso);
                s3_extra(req, "ServerTime", kv_slice(iso, 24));
                s3_extra(req, "MaxAllowedSkewMilliseconds", KV_SLICE_LIT("900000"));
                return API_RESPOND;
            }
            char nowb[17], lim[17];
            kv_time_fmt_amz(now, nowb);
            kv_time_fmt_amz(skew < 0 ? now - max_skew : now + max_skew, lim);
            if (skew < 0)
                api_fail(resp, API_E_DDB_INVALID_SIGNATURE,
                         "Signature expired: %.*s is now earlier than %s (%s - %ld min.)",
                         (int)d.len, (const char *)d.p, lim, nowb, max_skew / 60);
            else
                api_fail(resp, API_E_DDB_INVALID_SIGNATURE,
                         "Signature not yet current: %.*s is still later than %s (%s + %ld min.)",
                         (int)d.len, (const char *)d.p, lim, nowb, max_skew / 60);
            return API_RESPOND;
        }
    }
    if (st->amz_date.len < 8 || memcmp(st->amz_date.p, st->auth.date.p, 8) != 0) {
        if (s3_sigv4(st))
            return deny(resp, API_E_S3_AUTH_MALFORMED,
                        "The authorization header is malformed; Invalid credential date. Date is "
                        "not the same as X-Amz-Date.");
        api_fail(resp, API_E_DDB_INVALID_SIGNATURE,
                 "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                 "from HTTP: '%.*s' != '%.8s', from '%.*s'.",
                 (int)st->auth.date.len, (const char *)st->auth.date.p,
                 (const char *)st->amz_date.p, (int)st->amz_date.len, (const char *)st->amz_date.p);
        return API_RESPOND;
    }
    return 0;
}

/*
 * Refuse a request that leaves host or an x-amz-* header out of its signature: such a header
 * could be added or changed by anyone replaying the request (a copy source, a target, user
 * metadata). With header authentication x-amz-content-sha256 may stay out, as S3 allows: its
 * value is the payload line of the canonical request, so the signature covers it anyway.
 */
static int check_signed_headers(api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    const char *skip = st->presigned ? NULL : "x-amz-content-sha256";
    kv_slice_t sh = st->auth.signed_headers;
    if (sigv4_unsigned_headers(sh, req->hdrs, req->n_hdrs, skip, NULL) == 0)
        return 0;
    if (s3_sigv4(st)) {
        kv_buf_t names;
        kv_buf_init(&names, 64 * 1024);
        sigv4_unsigned_headers(sh, req->hdrs, req->n_hdrs, skip, &names);
        api_fail(resp, API_E_S3_ACCESS_DENIED,
                 "There were headers present in the request which were not signed");
        s3_extra(req, "HeadersNotSigned", kv_buf_slice(&names));
        kv_buf_dispose(&names);
        return API_RESPOND;
    }
    if (!sigv4_is_signed(sh, KV_SLICE_LIT("host")))
        return deny(resp, API_E_DDB_INVALID_SIGNATURE,
                    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    for (size_t i = 0; i < req->n_hdrs; i++) {
        kv_slice_t n = req->hdrs[i].name;
        if (sigv4_unsigned_headers(sh, &req->hdrs[i], 1, skip, NULL) > 0) {
            api_fail(resp, API_E_DDB_INVALID_SIGNATURE,
                     "'%.*s' must be a 'SignedHeader' in the AWS Authorization.", (int)n.len,
                     (const char *)n.p);
            return API_RESPOND;
        }
    }
    return deny(resp, API_E_DDB_INVALID_SIGNATURE, NULL);
}

/* Lambda answers credentials it does not accept with 403 (DynamoDB and Logs with 400). */
static void lambda_forbidden(const api_state_t *st, api_resp_t *resp)
{
    if (strcmp(st->svc->name, "lambda") == 0)
        resp->status = 403;
}

/* A refused session token: InvalidToken or ExpiredToken (S3, with the token as sent), else
 * UnrecognizedClientException or ExpiredTokenException. */
static int token_refusal(api_req_t *req, api_resp_t *resp, bool expired)
{
    api_state_t *st = req->_st;
    if (s3_sigv4(st)) {
        api_fail(resp, expired ? API_E_S3_EXPIRED_TOKEN : API_E_S3_INVALID_TOKEN, NULL);
        if (st->session_token.len <= API_SESSION_TEXT_MAX)
            s3_extra(req, "Token-0", st->session_token);
        return API_RESPOND;
    }
    deny(resp, expired ? API_E_DDB_EXPIRED_TOKEN : API_E_DDB_UNRECOGNIZED_CLIENT, NULL);
    lambda_forbidden(st, resp);
    return API_RESPOND;
}

static int unknown_key(api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    if (s3_sigv4(st)) {
        api_fail(resp, API_E_S3_INVALID_ACCESS_KEY, NULL);
        s3_extra(req, "AWSAccessKeyId", st->auth.access_key);
        return API_RESPOND;
    }
    deny(resp, API_E_DDB_UNRECOGNIZED_CLIENT, NULL);
    lambda_forbidden(st, resp);
    return API_RESPOND;
}

/* The service an access key's last use is recorded for (GetAccessKeyLastUsed's ServiceName). */
static const char *key_service(const api_state_t *st)
{
    return st->svc && st->svc->iam_prefix ? st->svc->iam_prefix : "";
}

int api__auth_key(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t ak, kv_slice_t tok,
                  char secret[API_SESSION_SK_LEN + 1])
{
    api_state_t *st = req->_st;
    memset(secret, 0, API_SESSION_SK_LEN + 1);
    if (kv_slice_eq_str(ak, ctx->access_key)) {
        if (tok.len)
            return token_refusal(req, resp, false);
        api__principal_root(ctx, &st->principal);
        size_t n = strlen(ctx->secret_key);
        memcpy(secret, ctx->secret_key, n < API_SESSION_SK_LEN ? n : API_SESSION_SK_LEN);
        return 0; /* api__auth_secret gives the whole configured secret */
    }
    if (api_session_is_session_key(ak)) {
        if (tok.len == 0) /* a session key means nothing without its token */
            return unknown_key(req, resp);
        uint8_t *bin = kv_arena_alloc(req->arena, API_SESSION_BIN_MAX);
        api_session_principal_t *sp = kv_arena_alloc(req->arena, sizeof(*sp));
        api_session_result_t r =
            api_session_verify(&ctx->session_keys, ak, tok, (int64_t)time(NULL), secret, bin, sp);
        if (r != API_SESSION_OK) {
            memset(secret, 0, API_SESSION_SK_LEN + 1);
            return token_refusal(req, resp, r == API_SESSION_EXPIRED);
        }
        if (api__session_principal(ctx, sp, ak, req->arena, &st->principal) != 0) {
            /* the user of a GetSessionToken session is gone */
            memset(secret, 0, API_SESSION_SK_LEN + 1);
            return token_refusal(req, resp, false);
        }
        st->session = true;
        return 0;
    }
    if (tok.len) /* a long-term key comes without a token */
        return token_refusal(req, resp, false);
    if (api_iam_key(ctx, ak, req->arena, secret, &st->principal) != 0) {
        memset(secret, 0, API_SESSION_SK_LEN + 1);
        memset(&st->principal, 0, sizeof(st->principal));
        return unknown_key(req, resp);
    }
    st->principal.kind = API_PR_USER;
    if (st->principal.access_key.len == 0)
        st->principal.access_key = kv_arena_dup(req->arena, ak);
    return 0; /* recorded as used once the signature is verified (api__auth_key_used) */
}

void api__auth_key_used(api_ctx_t *ctx, const api_req_t *req)
{
    const api_state_t *st = req->_st;
    if (st->principal.kind == API_PR_USER && st->principal.access_key.len)
        api_iam_key_used(ctx, st->principal.access_key, key_service(st));
}

const char *api__auth_secret(api_ctx_t *ctx, const api_req_t *req, const char *secret)
{
    return req->_st->principal.kind == API_PR_ROOT ? ctx->secret_key : secret;
}

/*
 * Who signs: the server's own access key (which must come without a session token: one
 * comparison, and it is the account root), an IAM user's access key (its secret signs, its
 * principal is the request's), or a session key (ASIA...) with the X-Amz-Security-Token it was
 * minted with (a header, which check_signed_headers then requires signed, or a presigned URL's
 * query parameter): the session's secret key, derived from its token, signs the request, and
 * the principal the token names is the request's.
 */
static int check_credentials(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    kv_slice_t ak = st->auth.access_key, tok = st->h.security_token, q;
    if (st->presigned && api_req_query(req, "X-Amz-Security-Token", &q))
        tok = q;
    st->session_token = tok;
    if (kv_slice_eq_str(ak, ctx->access_key) && tok.len == 0) {
        api__principal_root(ctx, &st->principal);
        return 0;
    }
    return api__auth_key(ctx, req, resp, ak, tok, st->session_secret);
}

static int setup_streaming(api_req_t *req, api_resp_t *resp, kv_slice_t mode_s)
{
    api_state_t *st = req->_st;
    sigv4_ch_mode_t mode;
    if (kv_slice_eq_str(mode_s, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"))
        mode = SIGV4_CH_SIGNED;
    else if (kv_slice_eq_str(mode_s, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"))
        mode = SIGV4_CH_SIGNED_TRAILER;
    else if (kv_slice_eq_str(mode_s, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"))
        mode = SIGV4_CH_UNSIGNED_TRAILER;
    else
        return deny(resp, API_E_S3_NOT_IMPLEMENTED,
                    "The x-amz-content-sha256 streaming mode is not implemented");
    int64_t decoded = -1;
    kv_slice_t dl = st->h.decoded_length;
    uint64_t v;
    if (dl.len) {
        if (!kv_slice_to_u64(dl, &v) || v > INT64_MAX)
            return deny(resp, API_E_S3_INVALID_ARGUMENT,
                        "x-amz-decoded-content-length is not a valid number");
        decoded = (int64_t)v;
    } else if (mode == SIGV4_CH_SIGNED) {
        return deny(resp, API_E_S3_INVALID_REQUEST,
                    "Missing required header for this request: x-amz-decoded-content-length");
    }
    api_ck_algo_t talgo = API_CK_NONE;
    kv_slice_t tr = st->h.trailer;
    if (tr.len) {
        talgo = api_ck_from_header(kv_slice_trim(tr));
        if (talgo == API_CK_NONE || mode == SIGV4_CH_SIGNED)
            return deny(resp, API_E_S3_INVALID_REQUEST,
                        "The value specified in the x-amz-trailer header is not supported");
    } else if (mode != SIGV4_CH_SIGNED) {
        return deny(resp, API_E_S3_INVALID_REQUEST,
                    "Missing required header for this request: x-amz-trailer");
    }
    st->chunked = kv_arena_alloc(req->arena, sizeof(*st->chunked));
    sigv4_chunked_init(st->chunked, mode, st->key, st->amz_date, st->auth.scope, st->auth.signature,
                       talgo, decoded);
    st->chunked_on = true;
    return 0;
}

static int setup_checksums(api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    kv_slice_t md5 = st->h.content_md5;
    if (md5.len) {
        uint8_t tmp[64];
        kv_buf_t b = {tmp, 0, sizeof(tmp), sizeof(tmp), false, true};
        if (!kv_b64_decode(&b, kv_slice_trim(md5)) || b.len != 16) {
            if (s3_sigv4(st))
                return deny(resp, API_E_S3_INVALID_DIGEST, NULL);
        } else {
            st->md5_on = true;
            st->md5_want = kv_slice_trim(md5);
            api_ck_init(&st->md5, API_CK_MD5);
        }
    }
    if (!s3_sigv4(st) || !st->h.checksum)
        return 0;
    if (st->op >= 0 && (size_t)st->op < st->svc->n_ops &&
        (st->svc->ops[st->op].flags & API_OPF_CKSUM))
        return 0; /* issue 16: the operation reads the header itself */
    for (size_t i = 0; i < req->n_hdrs; i++) {
        api_ck_algo_t a = api_ck_from_header(req->hdrs[i].name);
        if (a == API_CK_NONE)
            continue;
        if (st->ck_algo)
            return deny(resp, API_E_S3_INVALID_REQUEST,
                        "Expecting a single x-amz-checksum- header. Multiple checksum Types are "
                        "not allowed.");
        st->ck_algo = a;
        st->ck_want = kv_slice_trim(req->hdrs[i].value);
        api_ck_init(&st->ck, a);
    }
    return 0;
}

int api__auth_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    if (api__sigv2_request(ctx, req)) { /* S3's Signature Version 2 (issue 15, package V) */
        if (api__auth_sigv2(ctx, req, resp) == API_RESPOND)
            return API_RESPOND;
        return setup_checksums(req, resp);
    }
    /* api_begin parsed the credentials already (they name the service). */
    if (st->h.authorization.len) {
        if (st->auth_err != SIGV4_OK)
            return parse_failure(req, resp, st->auth_err, false);
    } else if (st->presigned) {
        if (st->auth_err != SIGV4_OK)
            return parse_failure(req, resp, st->auth_err, true);
    } else {
        kv_slice_t v;
        if (s3_sigv4(st) && api_req_query(req, "AWSAccessKeyId", &v) &&
            api_req_query(req, "Signature", &v))
            return deny(resp, API_E_S3_INVALID_REQUEST,
                        "The authorization mechanism you have provided is not supported. Please "
                        "use AWS4-HMAC-SHA256.");
        if (s3_sigv4(st)) {
            /* S3 without any signature (issue 15, package S): the anonymous principal, allowed
             * only what a bucket policy or an ACL makes public (s3_authz.c decides). */
            memset(&st->principal, 0, sizeof(st->principal));
            st->payload = API_PAYLOAD_UNSIGNED;
            return setup_checksums(req, resp);
        }
        return deny(resp, API_E_DDB_MISSING_AUTH, NULL);
    }
    st->authed = true;
    if (check_credentials(ctx, req, resp) == API_RESPOND)
        return API_RESPOND;
    if (check_dates(ctx, req, resp) == API_RESPOND)
        return API_RESPOND;
    if (check_signed_headers(req, resp) == API_RESPOND)
        return API_RESPOND;
    signing_key(ctx, st, st->key);

    kv_slice_t payload;
    if (st->presigned) {
        payload = st->auth.content_sha256.len ? st->auth.content_sha256
                                              : KV_SLICE_LIT("UNSIGNED-PAYLOAD");
        st->payload = s3_sigv4(st) ? API_PAYLOAD_UNSIGNED : API_PAYLOAD_COMPUTE;
    } else {
        payload = st->h.content_sha256;
        st->content_sha256 = payload;
        if (payload.len == 0) {
            if (s3_sigv4(st))
                return deny(resp, API_E_S3_INVALID_REQUEST,
                            "Missing required header for this request: x-amz-content-sha256");
            st->payload = API_PAYLOAD_COMPUTE;
        } else if (kv_slice_eq_str(payload, "UNSIGNED-PAYLOAD")) {
            st->payload = API_PAYLOAD_UNSIGNED;
        } else if (kv_slice_starts_with(payload, "STREAMING-")) {
            st->payload = API_PAYLOAD_STREAMING;
        } else if (payload.len == 64) {
            st->payload = API_PAYLOAD_HASH;
        } else if (s3_sigv4(st)) {
            return deny(resp, API_E_S3_INVALID_ARGUMENT,
                        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                        "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.");
        } else {
            st->payload = API_PAYLOAD_HASH;
        }
    }
    if (st->payload != API_PAYLOAD_COMPUTE) {
        if (verify_signature(req, resp, payload) == API_RESPOND)
            return API_RESPOND;
        api__auth_key_used(ctx, req);
    }
    if (st->payload == API_PAYLOAD_HASH || st->payload == API_PAYLOAD_COMPUTE) {
        st->hashing = true;
        api_ck_init(&st->sha, API_CK_SHA256);
    }
    if (st->payload == API_PAYLOAD_STREAMING && setup_streaming(req, resp, payload) == API_RESPOND)
        return API_RESPOND;
    return setup_checksums(req, resp);
}

static bool b64_matches(api_ck_t *ck, kv_slice_t want)
{
    uint8_t d[API_CK_MAX], tmp[64];
    size_t n = api_ck_final(ck, d);
    kv_buf_t b = {tmp, 0, sizeof(tmp), sizeof(tmp), false, true};
    kv_b64_encode(&b, d, n);
    return kv_slice_eq(kv_buf_slice(&b), want);
}

int api__auth_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    if (st->chunked_on) {
        switch (sigv4_chunked_finish(st->chunked)) {
        case SIGV4_CH_OK:
            break;
        case SIGV4_CH_E_SIGNATURE:
            return deny(resp, API_E_S3_SIG_MISMATCH, NULL);
        case SIGV4_CH_E_CHECKSUM:
            api_fail(resp, API_E_S3_BAD_DIGEST,
                     "The %s you specified did not match the calculated checksum.",
                     api_ck_name(st->chunked->trailer_algo));
            return API_RESPOND;
        case SIGV4_CH_E_TRAILER:
            return deny(resp, API_E_S3_INVALID_REQUEST,
                        "The trailing checksum header is missing or does not match "
                        "x-amz-trailer");
        default:
            return deny(resp, API_E_S3_INCOMPLETE_BODY, NULL);
        }
    }
    if (st->hashing) {
        uint8_t d[API_CK_MAX];
        char hx[65];
        static const char digits[] = "0123456789abcdef";
        api_ck_final(&st->sha, d);
        for (int i = 0; i < 32; i++) {
            hx[2 * i] = digits[d[i] >> 4];
            hx[2 * i + 1] = digits[d[i] & 15];
        }
        hx[64] = 0;
        if (st->payload == API_PAYLOAD_COMPUTE) {
            if (verify_signature(req, resp, kv_slice(hx, 64)) == API_RESPOND)
                return API_RESPOND;
            api__auth_key_used(ctx, req);
            api__unauth_release(st); /* the body is authenticated now */
        } else if (!kv_slice_eq(kv_slice(hx, 64), st->content_sha256)) {
            if (s3_sigv4(st)) {
                api_fail(resp, API_E_S3_SHA256_MISMATCH, NULL);
                s3_extra(req, "ClientComputedContentSHA256", st->content_sha256);
                s3_extra(req, "S3ComputedContentSHA256", kv_slice(hx, 64));
                return API_RESPOND;
            }
            return deny(resp, API_E_DDB_INVALID_SIGNATURE,
                        "The provided x-amz-content-sha256 header does not match what was "
                        "computed.");
        }
    }
    if (st->md5_on && !b64_matches(&st->md5, st->md5_want))
        return deny(resp, s3_sigv4(st) ? API_E_S3_BAD_DIGEST : API_E_DDB_VALIDATION, NULL);
    if (st->ck_algo && !b64_matches(&st->ck, st->ck_want)) {
        api_fail(resp, API_E_S3_BAD_DIGEST,
                 "The %s you specified did not match the calculated checksum.",
                 api_ck_name(st->ck_algo));
        return API_RESPOND;
    }
    return 0;
}

/* ---- the unauthenticated-body budget ----
 * A DynamoDB, Lambda or Logs request without x-amz-content-sha256 signs a hash of its whole
 * body, so the body is held in memory before anything proves who sent it: anyone who knows an
 * access key id could otherwise park large bodies on many connections. The bytes such bodies
 * hold are counted in all and per client address (an IPv6 client by its /64), under a lock
 * since every loop thread charges the same budget. */

#define PEER_KEY_MAX 48

typedef struct api_peer_use {
    struct api_peer_use *next;
    uint64_t bytes; /* held by this address's unauthenticated bodies */
    uint32_t reqs;  /* its requests holding an entry */
    uint8_t key_len;
    uint8_t key[PEER_KEY_MAX];
} api_peer_use_t;

void api__unauth_init(api_ctx_t *ctx)
{
    pthread_mutex_init(&ctx->unauth_lock, NULL);
    ctx->unauth_max = API_UNAUTH_MAX_DEFAULT;
    ctx->unauth_peer_max = API_UNAUTH_PEER_MAX_DEFAULT;
}

void api__unauth_dispose(api_ctx_t *ctx)
{
    for (size_t i = 0; i < API_UNAUTH_BUCKETS; i++) {
        while (ctx->unauth_peers[i]) {
            api_peer_use_t *e = ctx->unauth_peers[i];
            ctx->unauth_peers[i] = e->next;
            kv_free(e);
        }
    }
    pthread_mutex_destroy(&ctx->unauth_lock);
}

void api_set_unauth_budget(api_ctx_t *ctx, uint64_t total, uint64_t per_peer)
{
    ctx->unauth_max = total ? total : API_UNAUTH_MAX_DEFAULT;
    ctx->unauth_peer_max = per_peer ? per_peer : API_UNAUTH_PEER_MAX_DEFAULT;
}

/* The client's address without its port; an IPv6 address (not IPv4-mapped) by its /64, since
 * one host commonly holds a whole /64. */
static size_t peer_key(kv_slice_t peer, uint8_t key[PEER_KEY_MAX])
{
    /* The server writes "address:port". */
    size_t n = peer.len;
    while (n > 0 && peer.p[n - 1] >= '0' && peer.p[n - 1] <= '9')
        n--;
    size_t tl = n > 1 && n < peer.len && peer.p[n - 1] == ':' ? n - 1 : peer.len;
    char text[PEER_KEY_MAX];
    if (tl > sizeof(text) - 1)
        tl = sizeof(text) - 1;
    memcpy(text, peer.p, tl);
    text[tl] = 0;
    struct in6_addr a6;
    if (inet_pton(AF_INET6, text, &a6) == 1) {
        bool mapped = IN6_IS_ADDR_V4MAPPED(&a6);
        key[0] = 6;
        memcpy(key + 1, a6.s6_addr, mapped ? 16 : 8);
        return mapped ? 17 : 9;
    }
    key[0] = 4;
    memcpy(key + 1, text, tl < PEER_KEY_MAX - 1 ? tl : PEER_KEY_MAX - 1);
    return 1 + (tl < PEER_KEY_MAX - 1 ? tl : PEER_KEY_MAX - 1);
}

api_err_t api__throttle_err(const api_state_t *st)
{
    return st->svc->err_throttle;
}

int api__unauth_charge(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, size_t n)
{
    api_state_t *st = req->_st;
    bool ok;
    pthread_mutex_lock(&ctx->unauth_lock);
    api_peer_use_t *e = st->unauth_peer;
    if (e == NULL) {
        uint8_t key[PEER_KEY_MAX];
        size_t kl = peer_key(req->peer, key);
        uint64_t h = kv_xxh3(key, kl) % API_UNAUTH_BUCKETS;
        for (e = ctx->unauth_peers[h]; e; e = e->next)
            if (e->key_len == kl && memcmp(e->key, key, kl) == 0)
                break;
        if (e == NULL) {
            e = kv_calloc(1, sizeof(*e));
            e->key_len = (uint8_t)kl;
            memcpy(e->key, key, kl);
            e->next = ctx->unauth_peers[h];
            ctx->unauth_peers[h] = e;
        }
        e->reqs++;
        st->unauth_peer = e;
        st->ctx = ctx;
    }
    /* Past the per-address bound only while this request holds all the address holds. */
    ok = ctx->unauth_total + n <= ctx->unauth_max &&
         (e->bytes + n <= ctx->unauth_peer_max || e->bytes == st->unauth_held);
    if (ok) {
        e->bytes += n;
        ctx->unauth_total += n;
        st->unauth_held += n;
    }
    pthread_mutex_unlock(&ctx->unauth_lock);
    if (ok)
        return 0;
    api_err_t err = api__throttle_err(st);
    if (err == API_E_DDB_THROTTLING || err == API_E_LOGS_THROTTLING)
        api_fail(resp, err,
                 "Too many unauthenticated request bytes are in flight; send "
                 "x-amz-content-sha256 or retry later.");
    else
        api_fail(resp, err, NULL);
    resp->close = true;
    return API_RESPOND;
}

void api__unauth_release(api_state_t *st)
{
    api_peer_use_t *e = st->unauth_peer;
    if (e == NULL)
        return;
    api_ctx_t *ctx = st->ctx;
    pthread_mutex_lock(&ctx->unauth_lock);
    ctx->unauth_total -= st->unauth_held;
    e->bytes -= st->unauth_held;
    if (--e->reqs == 0) {
        uint64_t h = kv_xxh3(e->key, e->key_len) % API_UNAUTH_BUCKETS;
        api_peer_use_t **pp = &ctx->unauth_peers[h];
        while (*pp != e)
            pp = &(*pp)->next;
        *pp = e->next;
        kv_free(e);
    }
    pthread_mutex_unlock(&ctx->unauth_lock);
    st->unauth_peer = NULL;
    st->unauth_held = 0;
}
