/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The api harness with another principal (issue 15, package D): a request signed with the
 * harness's key runs as the given principal once authentication has run, so unit tests and
 * fuzz targets reach authorization without IAM's users and keys.
 */
#ifndef API_HARNESS_AS_H
#define API_HARNESS_AS_H

#include "api_harness.h"
#include "authz/api_authz.h"

/** harness_run, the request's principal replaced by *as (NULL: the root, as signed).
 * @return the HTTP status; the body is appended to out (may be NULL). */
int harness_run_as(harness_t *h, kv_slice_t raw, const api_principal_t *as, kv_buf_t *out);

/** A DynamoDB ("Op") or Streams ("DynamoDBStreams_20120810.Op") request run as *as. */
int harness_ddb_as(harness_t *h, const char *op, kv_slice_t json, const api_principal_t *as,
                   kv_buf_t *out);

#endif
