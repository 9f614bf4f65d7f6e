/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Signature Version 2 as S3 applies it (the legacy "Authorization: AWS key:signature"
 * header and AWSAccessKeyId/Expires/Signature presigned URLs): pure parsing, S3's
 * string-to-sign and HMAC-SHA1 signing. No request state: the api layer verifies with these
 * functions (api/api_auth_v2.c) and tests sign with the same ones.
 */
#ifndef SIGV2_H
#define SIGV2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth/sigv4.h"
#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"

#define SIGV2_SIG_LEN     28  /* base64 of a 20-byte HMAC-SHA1 */
#define SIGV2_MAX_AMZ     512 /* x-amz-* headers (and, presigned, query parameters) signed */
#define SIGV2_MAX_SUBRES  256 /* sub-resource parameters in the canonical resource */
#define SIGV2_MAX_SKEW_S  (15 * 60)
#define SIGV2_MAX_EXPIRES 253402300799ull /* 9999-12-31T23:59:59Z */
#define SIGV2_HEADER_PFX  "AWS "

/** The credentials of a SigV2 request. Slices borrow the header, or live in the arena given
 * to sigv2_parse_query (decoded). */
typedef struct sigv2_auth {
    kv_slice_t access_key;
    kv_slice_t signature; /* base64, as the client computed it */
    kv_slice_t expires;   /* query form: seconds since the epoch, as sent */
    kv_slice_t token;     /* query form: x-amz-security-token, when present */
    bool query;           /* from the query string (a presigned URL) */
} sigv2_auth_t;

/** Why a SigV2 header or query could not be parsed. */
typedef enum sigv2_err {
    SIGV2_OK = 0,
    SIGV2_E_HEADER, /* "AWS " not followed by <AccessKeyId>:<Signature> */
    SIGV2_E_QUERY,  /* AWSAccessKeyId, Signature and Expires not all present */
} sigv2_err_t;

/** True when an Authorization header value is SigV2's ("AWS " and anything after it). */
bool sigv2_is_header(kv_slice_t hdr);
/** True when a raw query string names AWSAccessKeyId or Signature (query authentication). */
bool sigv2_is_query(kv_slice_t raw_query);
/** Parse "AWS <AccessKeyId>:<Signature>". */
sigv2_err_t sigv2_parse_header(kv_slice_t hdr, sigv2_auth_t *out);
/** Parse AWSAccessKeyId, Signature, Expires and x-amz-security-token from a raw query
 * (percent-decoded into a; a '+' stays a '+'). */
sigv2_err_t sigv2_parse_query(kv_slice_t raw_query, kv_arena_t *a, sigv2_auth_t *out);

/** What the string to sign is built from. */
typedef struct sigv2_req {
    kv_slice_t method;
    kv_slice_t raw_path;  /* as sent, still percent-encoded */
    kv_slice_t raw_query; /* as sent, without '?' */
    const sigv4_hdr_t *hdrs;
    size_t n_hdrs;
    kv_slice_t vhost_bucket; /* the bucket a virtual-hosted request's Host names; empty: path
                                style (the path holds the bucket) */
    bool query_auth;         /* presigned: Expires is the date, and x-amz-* query parameters
                                are signed as headers */
    kv_slice_t expires;      /* query_auth: the Expires value */
    bool raw_values;         /* sub-resource values as sent rather than decoded (some clients
                                sign them so) */
} sigv2_req_t;

/** True when s3_name is one of the query parameters S3 signs in the canonical resource. */
bool sigv2_is_subresource(kv_slice_t name);
/**
 * Append S3's StringToSign for r to out: Verb \n Content-MD5 \n Content-Type \n Date (empty
 * when x-amz-date is sent; Expires for query_auth) \n CanonicalizedAmzHeaders
 * CanonicalizedResource. Temporary arrays come from a.
 * @return false when the request has more x-amz-* names or sub-resources than the limits.
 */
bool sigv2_string_to_sign(kv_buf_t *out, const sigv2_req_t *r, kv_arena_t *a);
/** Base64(HMAC-SHA1(secret, sts)) into out[SIGV2_SIG_LEN + 1] (NUL-terminated). */
void sigv2_sign(kv_slice_t secret, kv_slice_t sts, char out[SIGV2_SIG_LEN + 1]);
/** Constant-time comparison of the signature computed for sts with the one provided. */
bool sigv2_verify(kv_slice_t secret, kv_slice_t sts, kv_slice_t provided);
/**
 * Parse a SigV2 Date or x-amz-date value: RFC 1123 ("Tue, 27 Mar 2007 19:36:42 GMT", with the
 * weekday optional, a one- or two-digit day, and GMT, UT, UTC, Z or a +hhmm/-hhmm offset) or
 * SigV4's basic ISO form ("20070327T193642Z"). @return false when malformed.
 */
bool sigv2_parse_date(kv_slice_t s, time_t *out);
/** The S3 error extra <StringToSignBytes>: each byte of sts as two lower-case hex digits,
 * separated by spaces. */
void sigv2_sts_bytes(kv_buf_t *out, kv_slice_t sts);

#endif
