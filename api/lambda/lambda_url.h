/* SPDX-License-Identifier: Apache-2.0 */
/* Function URLs: the configuration API (lambda_url.c) and the URL endpoint (lambda_url_ep.c),
 * and what the two share: url-ids, the URL text, the stored Cors settings. */
#ifndef LAMBDA_URL_H
#define LAMBDA_URL_H

#include "lambda_int.h"

/** The function URL endpoint: requests whose Host is <url-id>.lambda-url.<region>.localhost
 * (any port), or whose path starts /lambda-url/<url-id>/. Claimed before every other service. */
extern const api_service_t lambda_url_service;

/** Create/Get/Update/Delete/ListFunctionUrlConfig(s) of function raw (op says which). */
int lambda_op_url(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, int op,
                  api_jw_t *w);

#define LAMBDA_URL_ID_LEN 32

/** The url-id of function fn's URL for qualifier qual: 32 lower-case letters and digits, the
 * same for the same function, qualifier and region. out holds LAMBDA_URL_ID_LEN + 1 bytes. */
void lambda_url_id(api_ctx_t *ctx, const char *fn, const char *qual, char *out);

/** A URL's Cors settings (read from the stored JSON). */
typedef struct lambda_cors {
    bool on; /* a Cors object was set */
    bool credentials;
    const char **headers, **methods, **origins, **expose;
    size_t n_headers, n_methods, n_origins, n_expose;
    int64_t max_age; /* -1: not set */
} lambda_cors_t;

/** Read the stored Cors JSON doc (NULL: none) into *c, strings in arena a. */
void lambda_cors_read(kv_arena_t *a, const char *doc, lambda_cors_t *c);

#endif
