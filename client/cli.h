/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stratus C client library: builds SigV4-signed HTTP/1.1 requests with the
 * very canonicalisation code the server verifies with (api/auth/sigv4.c), and
 * parses HTTP/1.1 responses incrementally. Used by the `stratus` CLI, by
 * stratus-bench and by tests.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "auth/sigv4.h"
#include "base/kv_buf.h"

#define CLI_MAX_HDRS 64

typedef struct cli_creds {
    const char *access_key;
    const char *secret_key;
    const char *region;
} cli_creds_t;

typedef enum cli_payload {
    CLI_PAYLOAD_SIGNED = 0, /* x-amz-content-sha256: hex(sha256(body)) */
    CLI_PAYLOAD_NONE,       /* no x-amz-content-sha256 header (DynamoDB SDK style) */
    CLI_PAYLOAD_UNSIGNED,   /* UNSIGNED-PAYLOAD */
    CLI_PAYLOAD_CHUNKED,    /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
    CLI_PAYLOAD_TRAILER,    /* STREAMING-UNSIGNED-PAYLOAD-TRAILER with x-amz-checksum-crc32 */
} cli_payload_t;

typedef struct cli_req {
    const char *method;
    const char *path;  /* raw (already percent-encoded) */
    const char *query; /* raw, without '?', may be NULL */
    const char *host;  /* Host header */
    const char *service;
    sigv4_hdr_t hdrs[CLI_MAX_HDRS];
    size_t n_hdrs;
    kv_slice_t body;
    cli_payload_t payload;
    size_t chunk_size; /* for the chunked modes; 0 = 64 KiB */
    time_t now;        /* 0 = current time */
    bool tamper_chunk; /* tests: corrupt one chunk signature */
} cli_req_t;

/** Add a header to a request (strings are borrowed). */
void cli_req_header(cli_req_t *r, const char *name, const char *value);
/** Serialise the signed request (head and body) into out. @return 0 or -1. */
int cli_build(const cli_creds_t *c, const cli_req_t *r, kv_buf_t *out);
/**
 * Presign method+path for host: appends "path?X-Amz-...&X-Amz-Signature=..." to out.
 * @return 0 or -1.
 */
int cli_presign(const cli_creds_t *c, const char *method, const char *host, const char *path,
                const char *service, unsigned expires, time_t now, kv_buf_t *out);

typedef struct cli_resp {
    int status;
    sigv4_hdr_t hdrs[CLI_MAX_HDRS];
    size_t n_hdrs;
    kv_slice_t body;
    size_t consumed; /* bytes of input this response used */
} cli_resp_t;

/**
 * Parse one response from the front of data. Slices borrow data.
 * @return 1 complete, 0 incomplete, -1 malformed. head_request: no body expected.
 */
int cli_resp_parse(kv_slice_t data, bool head_request, cli_resp_t *out);
/** Header value of a parsed response, or an empty slice. */
kv_slice_t cli_resp_header(const cli_resp_t *r, const char *name);

/** Blocking connect to host:port. @return fd or -1. */
int cli_connect(const char *host, int port);
/**
 * Send req bytes and read one response into raw (which the response borrows).
 * @return 0 or -1.
 */
int cli_roundtrip(int fd, kv_slice_t req, bool head_request, kv_buf_t *raw, cli_resp_t *out);

/** `stratus iam ...` (cli_iam.c): argv after "iam". @return the exit status, 2 for bad usage. */
int cli_iam_main(const cli_creds_t *cr, const char *host, int port, const char *hostport, int argc,
                 char **argv);

#endif
