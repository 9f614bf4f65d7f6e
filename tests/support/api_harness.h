/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drive the api layer without sockets: raw HTTP request bytes are split into
 * an api_req_t and pushed through api_begin/api_body/api_handle against an
 * engine on a temporary directory (the h2o loopback idea). Used by unit tests
 * and fuzz targets.
 */
#ifndef API_HARNESS_H
#define API_HARNESS_H

#include "api.h"
#include "base/kv_buf.h"
#include "cli.h"

typedef struct harness {
    api_ctx_t *ctx;
    char dir[64];
    cli_creds_t creds;
} harness_t;

int harness_open(harness_t *h, const char *region);
void harness_close(harness_t *h);
/** Run raw request bytes; returns the HTTP status and appends the body to out (may be NULL). */
int harness_run(harness_t *h, kv_slice_t raw, kv_buf_t *out);
/** Sign and run a DynamoDB operation. */
int harness_ddb(harness_t *h, const char *op, kv_slice_t json, kv_buf_t *out);
/** Sign and run a JSON request of another service ("lambda", "logs"): method and path (with
 * its query), an X-Amz-Target when target is not NULL. */
int harness_json(harness_t *h, const char *service, const char *method, const char *path,
                 const char *query, const char *target, kv_slice_t json, kv_buf_t *out);
/** Sign and run an S3 request. */
int harness_s3(harness_t *h, const char *method, const char *path, const char *query,
               kv_slice_t body, kv_buf_t *out);
/** harness_s3 with extra headers: name, value pairs ending with NULL (empty values skipped).
 * @return the HTTP status, or -1 when the request could not be signed. */
int harness_s3_hdrs(harness_t *h, const char *method, const char *path, const char *query,
                    kv_slice_t body, const char *const *hdrs, kv_buf_t *out);
/** Sign and run a query-protocol request (issue 14: SNS): POST / with a form body. */
int harness_form(harness_t *h, const char *service, kv_slice_t form, kv_buf_t *out);

#endif
