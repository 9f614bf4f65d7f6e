/* SPDX-License-Identifier: Apache-2.0 */
/* The one builder of a function invocation (Invoke, asynchronous invocations, event source
 * mappings and bucket notifications all hand the runner the same thing). */
#ifndef LAMBDA_INV_H
#define LAMBDA_INV_H

#include "api.h"
#include "eng.h"

/**
 * Fill inv to run f on payload: the function's name, ARN, code, configuration revision,
 * runtime, handler, limits, environment ("NAME=value") and concurrency, the request id (an
 * Invoke's own; NULL: a new one), and
 * empty result (up to 6 MB) and log-tail buffers; the version f is ($LATEST or a number), the
 * invoked ARN (unqualified: set invoked_arn after for a qualified call) and f's layers' zips. Every
 * string is copied into arena a, which must outlive the invocation; the caller sets done and
 * done_arg, and disposes inv->result and inv->log when the invocation is over.
 */
void lambda_inv_fill(api_ctx_t *ctx, const eng_function_t *f, kv_slice_t payload,
                     const char *request_id, kv_arena_t *a, api_invocation_t *inv);

#endif
