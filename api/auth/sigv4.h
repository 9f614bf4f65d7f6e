/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Signature Version 4: pure canonicalisation, signing and parsing. The
 * server verifies with these functions and client/ signs with the same ones,
 * so the two can never disagree about a canonical request.
 */
#ifndef SIGV4_H
#define SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"

#define SIGV4_ALGO             "AWS4-HMAC-SHA256"
#define SIGV4_MAX_SIGNED_HDRS  200
#define SIGV4_MAX_QUERY_PARAMS 256
#define SIGV4_MAX_SKEW_S       (15 * 60)
#define SIGV4_DDB_MAX_SKEW_S   (5 * 60) /* DynamoDB's window, as its messages say */
#define SIGV4_MAX_PRESIGN_S    604800
#define SIGV4_EMPTY_SHA256     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/** One HTTP header as borrowed bytes. */
typedef struct sigv4_hdr {
    kv_slice_t name;
    kv_slice_t value;
} sigv4_hdr_t;

/** Parsed credential and signature fields (Authorization header or presigned query). */
typedef struct sigv4_auth {
    kv_slice_t access_key;
    kv_slice_t date; /* YYYYMMDD from the scope */
    kv_slice_t region;
    kv_slice_t service;
    kv_slice_t scope;          /* date/region/service/aws4_request */
    kv_slice_t signed_headers; /* "host;x-amz-date" */
    kv_slice_t signature;      /* 64 hex */
    /* presigned only */
    kv_slice_t amz_date;
    kv_slice_t expires;
    kv_slice_t content_sha256;
} sigv4_auth_t;

/** Why an Authorization header or presigned query could not be parsed. */
typedef enum sigv4_parse_err {
    SIGV4_OK = 0,
    SIGV4_E_ALGORITHM,   /* not AWS4-HMAC-SHA256 */
    SIGV4_E_CREDENTIAL,  /* Credential missing or not key/date/region/service/aws4_request */
    SIGV4_E_SIGNED_HDRS, /* SignedHeaders missing */
    SIGV4_E_SIGNATURE,   /* Signature missing or not 64 hex */
} sigv4_parse_err_t;

/** Parse "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...". Slices borrow hdr. */
sigv4_parse_err_t sigv4_parse_header(kv_slice_t hdr, sigv4_auth_t *out);
/** Parse the X-Amz-* parameters of a presigned URL's raw query (values are percent-decoded into a).
 */
sigv4_parse_err_t sigv4_parse_query(kv_slice_t raw_query, kv_arena_t *a, sigv4_auth_t *out);
/** True when the raw query carries X-Amz-Algorithm (a presigned request). */
bool sigv4_is_presigned(kv_slice_t raw_query);

/**
 * Iterate the parameters of a raw query string: each call takes the next
 * "k=v" (or bare "k", whose value is then empty) from the front of *q.
 * Slices borrow the query and are still percent-encoded; *has_eq tells "k="
 * from "k". @return false when no parameter is left.
 */
bool sigv4_query_next(kv_slice_t *q, kv_slice_t *k, kv_slice_t *v, bool *has_eq);

/** Percent-encode with AWS's rules (unreserved A-Z a-z 0-9 - _ . ~ kept; '/' kept unless
 * encode_slash). */
void sigv4_uri_encode(kv_buf_t *out, kv_slice_t in, bool encode_slash);
/** Percent-decode; '+' is kept as '+'. @return false on a malformed escape. */
bool sigv4_uri_decode(kv_buf_t *out, kv_slice_t in);

/**
 * Canonical URI. For S3 (raw=true) the path is used as sent; for other
 * services each segment is normalised and encoded again, as the SDKs do.
 */
void sigv4_canonical_uri(kv_buf_t *out, kv_slice_t raw_path, bool raw);
/** Canonical query string: pairs decoded, re-encoded, sorted; X-Amz-Signature left out. */
bool sigv4_canonical_query(kv_buf_t *out, kv_slice_t raw_query, kv_arena_t *a);
/**
 * Canonical headers block ("name:value\n" for each signed header) from the
 * request headers. @return false when a signed header is missing.
 */
bool sigv4_canonical_headers(kv_buf_t *out, kv_slice_t signed_headers, const sigv4_hdr_t *hdrs,
                             size_t n_hdrs);
/** True when name (any case) is one of the ';'-separated names of signed_headers. */
bool sigv4_is_signed(kv_slice_t signed_headers, kv_slice_t name);
/**
 * The headers SigV4 requires to be signed that signed_headers leaves out: host (whether
 * sent or not) and every x-amz-* header of the request, except the one named skip (NULL:
 * none). Their names, lower-cased and each once, are appended to out joined by ", " (out may
 * be NULL). @return how many.
 */
size_t sigv4_unsigned_headers(kv_slice_t signed_headers, const sigv4_hdr_t *hdrs, size_t n_hdrs,
                              const char *skip, kv_buf_t *out);
/** The whole canonical request. @return false when a signed header is missing. */
bool sigv4_canonical_request(kv_buf_t *out, kv_slice_t method, kv_slice_t canonical_uri,
                             kv_slice_t canonical_query, kv_slice_t signed_headers,
                             const sigv4_hdr_t *hdrs, size_t n_hdrs, kv_slice_t payload_hash);
/** "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical request)>". */
void sigv4_string_to_sign(kv_buf_t *out, kv_slice_t amz_date, kv_slice_t scope,
                          kv_slice_t canonical_request);
/** Derive the signing key for (secret, date, region, service). */
void sigv4_signing_key(kv_slice_t secret, kv_slice_t date, kv_slice_t region, kv_slice_t service,
                       uint8_t key[32]);
/** HMAC-SHA256(key, msg) into out[32]. */
void sigv4_hmac(const void *key, size_t key_len, kv_slice_t msg, uint8_t out[32]);
/** hex(HMAC-SHA256(key, msg)) into out[65]. */
void sigv4_hmac_hex(const uint8_t key[32], kv_slice_t msg, char out[65]);
/** hex(SHA-256(data)) into out[65]. */
void sigv4_sha256_hex(kv_slice_t data, char out[65]);
/** Constant-time comparison of two signatures. */
bool sigv4_sig_eq(kv_slice_t a, kv_slice_t b);
/**
 * Signature of one aws-chunked chunk:
 * HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" date "\n" scope "\n" prev "\n" hash("") "\n" chunk_hash).
 */
void sigv4_chunk_signature(const uint8_t key[32], kv_slice_t amz_date, kv_slice_t scope,
                           kv_slice_t prev_sig, kv_slice_t chunk_sha256_hex, char out[65]);
/** Signature of trailing headers (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER). */
void sigv4_trailer_signature(const uint8_t key[32], kv_slice_t amz_date, kv_slice_t scope,
                             kv_slice_t prev_sig, kv_slice_t trailer_sha256_hex, char out[65]);

#endif
