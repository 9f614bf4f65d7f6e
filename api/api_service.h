/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The service table's types (DESIGN.md section 2). Each protocol (DynamoDB, Streams, S3,
 * Lambda, Logs, and later ones) exports one api_service_t from its own folder; api_core walks
 * the table (api_services.c) and names no protocol. The scheduler (api_sched.c) runs the
 * jobs the descriptors list, on the one services thread.
 */
#ifndef API_SERVICE_H
#define API_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "api.h"

/* ---- operations ---- */

/** Operation flags (api_op_desc_t.flags). */
enum {
    API_OPF_SLOW = 1u << 0,   /* execute on the worker pool, never on a loop thread */
    API_OPF_STREAM = 1u << 1, /* the body streams into the blob store (PutObject) */
    API_OPF_ANON = 1u << 2,   /* may be served without a header signature */
};

/** One row of a protocol's operation table. */
typedef struct api_op_desc {
    const char *name; /* wire name ("PutItem"); metrics, the access log and fuzz targets */
    uint32_t flags;   /* API_OPF_* */
} api_op_desc_t;

/* ---- background jobs ---- */

/**
 * A background job: one bounded step per run, keeping its own cursor between runs. run() does
 * at most `budget` units of work (items, records, objects: the job's own unit) and returns the
 * milliseconds until it wants to run again: 0 for "more work is waiting, run me again soon"
 * (the scheduler interleaves other jobs first), a period, INT_MAX for "after my period" (the
 * job's period_ms or its --job-interval; 0: as soon as the others had their turn), or -1 for
 * "only when woken" (by a commit when on_commit is set, or by api_sched_kick). A job never
 * blocks on another job or on a function: it starts work and is kicked when the work completes.
 * Until the service table lands, state is NULL: a job reaches its module's state through ctx.
 */
typedef struct api_job {
    const char *name;   /* "ttl", "backfill", "stream-trim", "esm", ...; also its flag name */
    unsigned period_ms; /* default: the longest it sleeps when it returns a longer wait (0:
                           no bound); --job-interval NAME=MS overrides it */
    bool on_commit;     /* an engine commit wakes it */
    int (*run)(api_ctx_t *ctx, void *state, unsigned budget);
} api_job_t;

/** Wake the named job soon (from any thread; cheap, coalesced). Unknown names are ignored. */
void api_sched_kick(api_ctx_t *ctx, const char *job);
/** Whether commits wake an on_commit job (on at the start): a job with nothing to watch (no
 * mapping, no notified bucket) turns it off, so writes cost the services thread nothing. */
void api_sched_listen(api_ctx_t *ctx, const char *job, bool on);

#endif
