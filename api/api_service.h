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
#include "api_err.h"

/* ---- operations ---- */

/** Operation flags (api_op_desc_t.flags). */
enum {
    API_OPF_SLOW = 1u << 0,     /* execute on the worker pool, never on a loop thread */
    API_OPF_STREAM = 1u << 1,   /* the body streams into the blob store (PutObject) */
    API_OPF_ANON = 1u << 2,     /* may be served without a header signature */
    API_OPF_UNSIGNED = 1u << 3, /* never authenticated, credentials or not (CORS preflight) */
    API_OPF_REFUSED = 1u << 4,  /* refused before its body is read: dispatch answers the
                                   protocol's NotImplemented */
    API_OPF_FREES = 1u << 5,    /* frees space: a large body is taken when the disk is full */
    API_OPF_CKSUM = 1u << 6,    /* x-amz-checksum-* is the checksum of the object it makes, not
                                   of its body (CompleteMultipartUpload; issue 16) */
};

/** One row of a protocol's operation table. */
typedef struct api_op_desc {
    const char *name; /* wire name ("PutItem"); metrics, the access log and fuzz targets */
    uint32_t flags;   /* API_OPF_* */
    const char
        *action; /* its IAM action ("s3:GetObject"); NULL: "<iam_prefix>:<name>" (issue 15) */
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
 * state is the job's service's (what its init made).
 */
typedef struct api_job {
    const char *name;   /* "ttl", "backfill", "stream-trim", "esm", ...; also its flag name */
    unsigned period_ms; /* default: the longest it sleeps when it returns a longer wait (0:
                           no bound); --job-interval NAME=MS overrides it */
    bool on_commit;     /* an engine commit wakes it */
    int (*run)(api_ctx_t *ctx, void *state, unsigned budget);
} api_job_t;

/* ---- services ---- */

/** The operation index of a request no row names (an unknown X-Amz-Target, a Lambda path). */
#define API_OP_NONE (-1)

/** Service flags (api_service_t.flags). */
enum {
    API_SVC_ANY_TARGET = 1u << 0, /* claims an X-Amz-Target no other prefix claims */
    API_SVC_FALLBACK = 1u << 1,   /* claims what nothing else claims */
    API_SVC_S3_SIGV4 = 1u << 2,   /* SigV4 as S3 applies it: single-encoded paths, unsigned and
                                     aws-chunked payloads, checksums, S3's authentication errors */
    API_SVC_SIG_TERSE = 1u << 3,  /* a signature mismatch answers AWS's sentence alone, without
                                     the canonical strings (DynamoDB, issue 17) */
};

/** How a service's request ids look. */
typedef enum api_id_style {
    API_IDS_AMZN = 0, /* 32 upper-case letters and digits (x-amzn-RequestId) */
    API_IDS_S3,       /* 16 hex digits, and a 76-character x-amz-id-2 */
    API_IDS_UUID,     /* a random UUID (Lambda's x-amzn-RequestId, an Invoke's invocation id) */
} api_id_style_t;

/**
 * One protocol: how it claims a request, its operations, and the hooks the request path calls.
 * api_begin offers a request to the services in this order, each phase walking the table in
 * order: a service's claim hook; an unsigned GET of an open path; the credential scope's service
 * (among several services sharing the scope, the first whose X-Amz-Target prefix matches, else the
 * first); the X-Amz-Target prefix (a target no prefix claims goes to the API_SVC_ANY_TARGET
 * service); the path prefix; the API_SVC_FALLBACK service.
 */
typedef struct api_service {
    const char *name; /* the api label of metrics ("dynamodb") */
    uint32_t flags;   /* API_SVC_* */
    /* claiming */
    const char *const *open_paths;    /* exact paths served to a GET without credentials */
    const char *const *scopes;        /* credential-scope service names; NULL-terminated */
    const char *target_prefix;        /* X-Amz-Target prefix ("DynamoDB_20120810.") */
    const char *const *path_prefixes; /* path prefixes ("/2015-03-31/"); NULL-terminated */
    /* operations: (service, index) names one */
    const api_op_desc_t *ops;
    size_t n_ops;
    /** The request's operation index or API_OP_NONE. NULL: the row named by the X-Amz-Target
     * after target_prefix, or (open paths) by the open path's position. */
    int (*route)(api_ctx_t *ctx, api_req_t *req);
    /** The largest body the routed operation takes. NULL: body_max. */
    uint64_t (*body_limit)(const api_req_t *req);
    uint64_t body_max;
    /** Headers are in and the body fits: open what the body streams into. 0 or API_RESPOND
     * with resp's error set. NULL: nothing to open. */
    int (*body_begin)(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
    /** Body bytes the service reads itself (a form upload): 0 taken, 1 not the service's
     * (the usual sink takes them), -1 with resp's error set. NULL: always 1. */
    int (*body_feed)(api_req_t *req, api_resp_t *resp, const uint8_t *p, size_t n);
    /** Run the routed operation (resp->_pending: it finishes later, through api__finish). */
    void (*dispatch)(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
    /** Hold a response dispatch left pending (resp->_pending): cb runs when it is ready.
     * NULL: the service leaves none pending. */
    bool (*hold)(api_resp_t *resp, api_released_cb cb, void *arg);
    /** Encode a recorded error and add the protocol's response headers. NULL: nothing. */
    void (*finish)(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
    api_id_style_t ids;
    /* the protocol's own errors */
    api_err_t err_internal;     /* its internal error: becomes err_throttle after a refused
                                   write (the disk is full) */
    api_err_t err_throttle;     /* SlowDown, ThrottlingException, ... */
    api_err_t err_too_large;    /* a body over the limit */
    api_err_t err_stream_large; /* over the limit for an API_OPF_STREAM operation */
    bool too_large_sized;       /* err_too_large's message names the sizes */
    /* background work */
    const api_job_t *jobs;
    size_t n_jobs;
    /** Set up the service's own state (api_open). 0 or a KV_ error. NULL: no state. */
    int (*init)(api_ctx_t *ctx, const api_cfg_t *cfg, void **state);
    /** Release it (api_close, after the engine has closed). */
    void (*fini)(void *state);
    /** Claim a request before every other phase, by its Host or path (a function URL's
     * <url-id>.lambda-url.<region>.localhost). May do a point read. NULL: never. */
    bool (*claim)(api_ctx_t *ctx, const api_req_t *req);
    /** The server stops taking requests (api_quiesce): answer what dispatch left pending
     * (held long polls) now, as the loops are about to stop. NULL: nothing to do. (Issue 14.) */
    void (*stopping)(void *state);
    /** The client of a response dispatch left pending went away (api_resp_abandon): give up
     * waiting, taking nothing for it (an SQS long poll). NULL: it completes as usual. */
    void (*abandon)(api_ctx_t *ctx, api_resp_t *resp);
    /** The response is written (api_done, loop or worker thread): bytes_out sent. NULL:
     * nothing. (Issue 16, package G: S3's server access log.) */
    void (*done)(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint64_t bytes_out);
    /* authorization (issue 15, api_authz.h) */
    const char *iam_prefix; /* the IAM service prefix of its actions ("dynamodb", "s3") */
    api_err_t err_denied;   /* its access-denied error (AccessDeniedException, AccessDenied) */
    /** Issue 17, package H: a body sent with Content-Encoding gzip or deflate is decompressed as
     * it arrives, body_max applying to the decompressed bytes; another coding, or a stream that
     * is not valid, is refused with err_internal once the signature is verified (DynamoDB). */
    bool inflate;
    /** Issue 17, package V2: how far a request's date may stand from the server's clock, in
     * seconds (DynamoDB's 5 minutes); 0: SigV4's 15 minutes. */
    unsigned sig_skew_s;
} api_service_t;

/** The table (api_services.c): every service, in routing and metrics order. */
extern const api_service_t *const api_services[];
extern const size_t api_n_services;

/** The index of svc's operation row whose wire name is name, or API_OP_NONE. */
int api_op_named(const api_service_t *svc, kv_slice_t name);
/** A service's position in api_services, or -1. */
int api_service_index(const api_service_t *svc);
/** The state a service's init made (NULL when it has none). */
void *api_service_state(api_ctx_t *ctx, const api_service_t *svc);

/** Wake the named job soon (from any thread; cheap, coalesced). Unknown names are ignored. */
void api_sched_kick(api_ctx_t *ctx, const char *job);
/** Whether commits wake an on_commit job (on at the start): a job with nothing to watch (no
 * mapping, no notified bucket) turns it off, so writes cost the services thread nothing. */
void api_sched_listen(api_ctx_t *ctx, const char *job, bool on);

/** The AWS JSON 1.1 protocol's error body ({"__type", "message"}) and headers, for a service's
 * finish hook. */
void api_json11_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);

#endif
