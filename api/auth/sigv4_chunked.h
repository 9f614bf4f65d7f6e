/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Incremental decoder for aws-chunked request bodies: signed chunks
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) with every chunk signature
 * checked, and unsigned chunks with checksum trailers
 * (STREAMING-UNSIGNED-PAYLOAD-TRAILER). Decoded payload bytes go to a sink as
 * they arrive, so memory stays bounded whatever the body size.
 */
#ifndef SIGV4_CHUNKED_H
#define SIGV4_CHUNKED_H

#include <stdbool.h>
#include <stdint.h>

#include "api_cksum.h"
#include "base/kv_slice.h"

#define SIGV4_CH_LINE_MAX     4096
#define SIGV4_CH_MAX_TRAILERS 8

typedef enum sigv4_ch_mode {
    SIGV4_CH_SIGNED = 1,       /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
    SIGV4_CH_SIGNED_TRAILER,   /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER */
    SIGV4_CH_UNSIGNED_TRAILER, /* STREAMING-UNSIGNED-PAYLOAD-TRAILER */
} sigv4_ch_mode_t;

typedef enum sigv4_ch_err {
    SIGV4_CH_OK = 0,
    SIGV4_CH_E_FORMAT,     /* malformed framing */
    SIGV4_CH_E_SIGNATURE,  /* a chunk or trailer signature does not match */
    SIGV4_CH_E_CHECKSUM,   /* the trailer checksum does not match the payload */
    SIGV4_CH_E_INCOMPLETE, /* body ended early, or decoded length differs */
    SIGV4_CH_E_SINK,       /* the sink refused the data (e.g. too big) */
    SIGV4_CH_E_TRAILER,    /* trailer missing or not the one announced */
} sigv4_ch_err_t;

/** Receives decoded payload bytes; returns 0 to continue. */
typedef int (*sigv4_ch_sink_cb)(void *arg, const uint8_t *p, size_t n);

typedef struct sigv4_chunked {
    sigv4_ch_mode_t mode;
    int state;
    uint8_t key[32];
    char amz_date[17];
    char scope[128];
    char prev_sig[65];
    char want_sig[65];
    uint8_t line[SIGV4_CH_LINE_MAX];
    size_t line_len;
    uint64_t remaining;
    uint64_t decoded;
    int64_t expect_decoded; /* x-amz-decoded-content-length, or -1 */
    api_ck_t chunk_hash;    /* SHA-256 of the current chunk (signed modes) */
    api_ck_algo_t trailer_algo;
    api_ck_t trailer_ck;
    char trailer_value[64];
    bool have_trailer;
    char trailer_sig[65];
    char trailer_canon[256];
    size_t trailer_canon_len;
    sigv4_ch_err_t err;
} sigv4_chunked_t;

/**
 * Start decoding. key/amz_date/scope/seed_sig are needed in signed modes
 * (seed_sig is the request's own signature). trailer_algo is the checksum named
 * by x-amz-trailer (API_CK_NONE when absent).
 */
void sigv4_chunked_init(sigv4_chunked_t *c, sigv4_ch_mode_t mode, const uint8_t key[32],
                        kv_slice_t amz_date, kv_slice_t scope, kv_slice_t seed_sig,
                        api_ck_algo_t trailer_algo, int64_t expect_decoded);
/** Feed body bytes; decoded payload goes to sink. Returns SIGV4_CH_OK or the first error. */
sigv4_ch_err_t sigv4_chunked_feed(sigv4_chunked_t *c, const uint8_t *p, size_t n,
                                  sigv4_ch_sink_cb sink, void *arg);
/** At end of body: check completeness, length and trailer checksum. */
sigv4_ch_err_t sigv4_chunked_finish(sigv4_chunked_t *c);
void sigv4_chunked_dispose(sigv4_chunked_t *c);
/** The trailer checksum's algorithm and base64 value, once finished (for storage). */
const char *sigv4_chunked_trailer_value(const sigv4_chunked_t *c);

#endif
