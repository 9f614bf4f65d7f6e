/* SPDX-License-Identifier: Apache-2.0 */
/* The Lambda and CloudWatch Logs services: what lambda.c and lambda_logs.c share. */
#ifndef LAMBDA_INT_H
#define LAMBDA_INT_H

#include "../api_int.h"
#include "lambda_ops.h"

/** Lambda (REST JSON under /2015-03-31/ and friends; the lambda credential scope). */
extern const api_service_t lambda_service;
/** CloudWatch Logs (X-Amz-Target Logs_20140328.<op>; the logs credential scope). */
extern const api_service_t logs_service;

/** The Lambda API's function management. */
void lambda_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** The CloudWatch Logs API over function logs. */
void logs_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** Hold a response that waits for an invocation (see api_resp_hold). */
bool lambda_hold(api_resp_t *resp, api_released_cb cb, void *arg);
/** The Lambda operation a request's method and path name (API_OP_NONE: none). */
int lambda_route(api_ctx_t *ctx, api_req_t *req);
/** The largest body a Lambda request may have (a base64 zip for code uploads). */
uint64_t lambda_body_limit(const api_req_t *req);

#endif
