/* SPDX-License-Identifier: Apache-2.0 */
/* The Lambda and CloudWatch Logs services: what lambda.c, lambda_esm.c and lambda_logs.c share
 * (the descriptors, the entry points, the background jobs and their state). */
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

/* Lambda's background jobs: "esm" (event source mappings), "s3-events" (bucket notifications,
 * lambda_esm.c) and "async-invoke" (Event invocations' retries and destinations, lambda.c). */
#define LAMBDA_N_JOBS 3
extern const api_job_t lambda_jobs[LAMBDA_N_JOBS];
int lambda_esm_run(api_ctx_t *ctx, void *state, unsigned budget);
int lambda_s3_events_run(api_ctx_t *ctx, void *state, unsigned budget);
int lambda_async_run(api_ctx_t *ctx, void *state, unsigned budget);

typedef struct esm_slots esm_slots_t;
struct pending;

/* Lambda's state (esm_of): made by lambda_init, freed by lambda_fini (after the runner
 * finished every invocation). */
typedef struct esm {
    esm_slots_t *maps;    /* per mapping: retries, bisection, the batch in flight, result */
    esm_slots_t *buckets; /* per bucket: the event in flight, retries */
    /* The mappings, listed again when one changed (a generation bumped by api_esm_kick). */
    atomic_uint_fast64_t map_gen;
    uint64_t map_scan_gen;
    kv_arena_t *map_arena;
    struct eng_mapping *map_list;
    size_t n_maps, map_cursor;
    size_t n_enabled; /* commits wake the esm job only when some mapping is enabled */
    int map_wait;     /* the least wait the mappings stepped in this pass asked for */
    /* The buckets whose notifications are on, listed again when a configuration was put. */
    atomic_uint_fast64_t s3_gen;
    uint64_t s3_scan_gen;
    kv_buf_t s3_names; /* NUL-terminated names */
    /* Event invocations the runner finished, for the async-invoke job (lambda.c). */
    pthread_mutex_t aq_lock;
    struct pending *aq_head, *aq_tail;
} esm_t;

/** Free the Event invocations still queued (lambda_fini). */
void lambda_async_free(esm_t *e);
/** Set up and release Lambda's state (lambda_service's init and fini). */
int lambda_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state);
void lambda_fini(void *state);
static inline esm_t *esm_of(api_ctx_t *ctx)
{
    return api_service_state(ctx, &lambda_service);
}

/* ---- what Lambda offers the other services ---- */
/** A mapping's LastProcessingResult, as the esm job last saw it (a static string). */
const char *api_esm_last_result(api_ctx_t *ctx, const char *uuid);
/** A mapping changed: list the mappings again and wake the esm job. */
void api_esm_kick(api_ctx_t *ctx);
/** A bucket's notification configuration changed: list the buckets again, wake s3-events. */
void api_esm_kick_buckets(api_ctx_t *ctx);

#endif
