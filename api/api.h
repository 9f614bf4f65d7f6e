/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The only api/ header that server/ includes. The server turns bytes into an
 * api_req_t and calls, in order, on the connection's loop thread:
 *
 *   api_begin()   when the headers are complete: routing, authentication of
 *                 everything but the payload, and the body limit. It may
 *                 answer at once (API_RESPOND) so a bad request is refused
 *                 before its body is read.
 *   api_body()    for each body fragment (already de-chunked by HTTP):
 *                 aws-chunked decoding, signatures, hashes, limits.
 *   api_handle()  when the message is complete: decode -> execute -> encode.
 *                 It runs on a worker thread instead when api_offload() says
 *                 so (operations flagged slow); the steps around it stay on
 *                 the loop thread.
 *   api_resp_hold() if the response waits for a durable sync (group commit).
 *   api_done()    after the response is written: metrics and the access log.
 */
#ifndef API_H
#define API_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/api_session.h"
#include "auth/sigv4.h"
#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"

typedef struct api_ctx api_ctx_t;
typedef sigv4_hdr_t api_hdr_t;

/* Initial room for response headers; the list doubles in the request arena as needed. */
#define API_RESP_HDRS_INIT 32
#define API_RESP_BODY_MAX  (64u << 20)

typedef struct api_cfg {
    const char *data_dir;
    int fsync;              /* 0 none, 1 batch, 2 always */
    unsigned batch_sync_ms; /* 0 = default */
    const char *region;
    const char *access_key;
    const char *secret_key;
    int64_t lifecycle_day_ms;    /* 0 = 86400000 */
    unsigned sweep_interval_ms;  /* the lifecycle job's period; 0 = every scheduler step */
    int64_t stream_keep_ms;      /* stream record retention; 0 = 24 hours */
    int64_t stream_shard_ms;     /* how long a stream shard stays open; 0 = 4 hours */
    int64_t disk_reserve;        /* free bytes plain writes leave; 0 = automatic, -1 = no guard */
    bool no_sigv2;               /* issue 15, package V: refuse S3's Signature Version 2 */
    const char *master_key_file; /* issue 16: NULL: <data-dir>/STRATUS-MASTER-KEY, created */
    bool encrypt_all;            /* issue 16, package E: SSE-S3 unless a request says otherwise */
} api_cfg_t;

typedef struct api_state api_state_t;

/** One HTTP request as the server saw it. All slices live in arena. */
typedef struct api_req {
    kv_arena_t *arena;
    kv_slice_t method;
    kv_slice_t path;  /* raw, still percent-encoded */
    kv_slice_t query; /* raw, without '?' */
    api_hdr_t *hdrs;
    size_t n_hdrs;
    int64_t content_length; /* -1 when absent (chunked or no body) */
    bool tls;
    uint64_t start_ns;
    kv_slice_t peer; /* client address text */
    /* set by api_begin */
    uint32_t body_deadline_ms; /* nonzero: the body is read before its signature is checked
                                  and must arrive whole within this; 0: the usual timeouts */
    /* internal */
    api_state_t *_st;
} api_req_t;

/**
 * A response body produced in pieces (large objects). The server pulls one
 * chunk at a time and asks for the next only after the previous one has been
 * written to the socket, so a connection holds at most one chunk in memory
 * whatever the body size. Called on the connection's loop thread.
 */
typedef struct api_body_src {
    /** Write up to cap bytes into buf. @return bytes written (>0), 0 at the end, <0 on error. */
    int64_t (*read)(void *arg, uint8_t *buf, size_t cap);
    /** Release the source; called exactly once, also when the client went away. */
    void (*close)(void *arg);
    void *arg;
    uint64_t length; /* the exact Content-Length */
} api_body_src_t;

/** The response the api layer produced. Headers and strings live in the request arena. */
typedef struct api_resp {
    int status;
    api_hdr_t *hdrs; /* in the request arena; grows by doubling, never drops a header */
    size_t n_hdrs;
    size_t cap_hdrs;
    kv_buf_t body;      /* owned; the server disposes it after writing */
    api_body_src_t src; /* used instead of body when src.read is set */
    bool no_body;       /* HEAD: send Content-Length but no bytes */
    bool close;         /* close the connection after this response */
    bool durable;       /* a write was committed: hold until it is durable (always mode) */
    /* internal */
    int _err;         /* api_err_t recorded by api_fail, encoded at the end */
    const char *_msg; /* its message, in the arena */
    kv_arena_t *_arena;
    api_state_t *_st;
    void *_pending; /* a function invocation this response waits for */
} api_resp_t;

enum { API_CONTINUE = 0, API_RESPOND = 1 };

/** Process-wide setup before any thread starts (JSON hash seed, allocators). */
void api_global_init(void);
/**
 * Open the engine and build the shared context.
 * @return 0, KV_ELOCKED (data dir in use), KV_EIO. Caller owns *out.
 */
int api_open(const api_cfg_t *cfg, api_ctx_t **out);
/**
 * Bound the memory of request bodies read before their signature is checked (DynamoDB,
 * Lambda and Logs requests without x-amz-content-sha256): total bytes, and bytes per client
 * address. 0 keeps a default (128 MiB, 16 MiB). Call before requests are served.
 */
void api_set_unauth_budget(api_ctx_t *ctx, uint64_t total, uint64_t per_peer);
/** The server is stopping (before its loops stop): each service answers the responses it
 * holds for events (SQS long polls) at once. Accepts NULL. */
void api_quiesce(api_ctx_t *ctx);
/** Close the engine (after every loop has stopped). Accepts NULL. */
void api_close(api_ctx_t *ctx);
/* ---- background jobs (api_sched.c) ----
 * One services thread runs every background job (TTL, index backfill, stream trimming, S3
 * lifecycle, event source mappings, bucket notifications, asynchronous invocations):
 *     for (;;) { int ms = api_sched_step(ctx); if (ms != 0) api_sched_wait(ctx, ms); }
 * until api_sched_stop. */
/** Run each due job one bounded step. @return ms until the next job is due (0: at once), -1
 * when none is (only a wake-up starts one). Services thread only. */
int api_sched_step(api_ctx_t *ctx);
/** Sleep up to ms (-1: without a bound) or until a commit, a kick or stop wakes a job. */
void api_sched_wait(api_ctx_t *ctx, int ms);
/** End every wait (before the services thread is joined). */
void api_sched_stop(api_ctx_t *ctx);
/** Set a job's period ("ttl", "lifecycle", "backfill", ...; see --job-interval).
 * @return 0, or -1 for an unknown job name. */
int api_sched_set_period(api_ctx_t *ctx, const char *job, unsigned ms);

/** Prepare an empty 200 response bound to req. */
void api_resp_init(api_resp_t *resp, const api_req_t *req);
/** Free the body buffer. */
void api_resp_dispose(api_resp_t *resp);

/**
 * Headers are complete. @return API_CONTINUE with *body_limit set (read the
 * body, then call api_body/api_handle), or API_RESPOND with resp filled.
 */
int api_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint64_t *body_limit);
/** A body fragment. @return API_CONTINUE, or API_RESPOND with resp filled (stop reading). */
int api_body(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const uint8_t *p, size_t n);
/** The message is complete: fill resp. */
void api_handle(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** After the body is complete: must api_handle for this request run on the worker pool (its
 * operation is flagged slow)? api_handle may be called from any thread. */
bool api_offload(const api_req_t *req);

/** Called on the syncer thread when the write a held response waited for is durable. */
typedef void (*api_released_cb)(void *arg, int status);
/**
 * If resp must wait for a durable sync, arrange cb(arg) and return true; the
 * callback runs on another thread. Otherwise return false (send now).
 */
bool api_resp_hold(api_ctx_t *ctx, api_resp_t *resp, api_released_cb cb, void *arg);
/** End of a loop turn: start the sync its held answers wait for (see eng_sync_kick). */
void api_sync_kick(api_ctx_t *ctx);

/**
 * Answers after one WAL write per loop turn (see eng_wal_flush): a loop thread calls
 * api_wal_defer_thread once; while api_wal_pending(), an answer may name a write that is not
 * yet in the OS and waits for the turn's api_wal_flush (0, or <0: drop those answers).
 */
void api_wal_defer_thread(void);
bool api_wal_pending(api_ctx_t *ctx);
int api_wal_flush(api_ctx_t *ctx);

/** The connection of a held response closed (EOF while it waited): a response held for an
 * event (an SQS long poll) completes at once without taking anything; others are unaffected.
 * The held callback still runs. Loop thread. (Issue 14.) */
void api_resp_abandon(api_ctx_t *ctx, api_resp_t *resp);

/* ---- functions ----
 * The server runs function instances; the api layer hands it invocations through a runner it
 * registers. An invocation's inputs stay valid until its done() is called, once, on the
 * runner's thread. */
typedef enum api_outcome {
    API_INV_OK = 0,       /* result holds the function's response */
    API_INV_FN_ERROR = 1, /* result holds the error JSON ({"errorMessage", "errorType"}) */
    API_INV_FAILED = 2,   /* the service could not run it: result holds a message */
} api_outcome_t;

typedef struct api_invocation api_invocation_t;
struct api_invocation {
    const char *function; /* name */
    const char *arn;
    uint32_t code_id;   /* instances of other code are never reused for it */
    const char *config; /* nor those of another configuration (the function's revision) */
    const char *code_path;
    const char *runtime, *handler;
    uint32_t timeout_s, memory_mb;
    const char *const *env; /* "NAME=value", the function's variables */
    size_t n_env;
    int concurrency; /* instances at most */
    const char *request_id;
    const char *client_context; /* Invoke's ClientContext as one line of JSON, or NULL */
    kv_slice_t payload;
    api_outcome_t outcome;
    kv_buf_t result;
    kv_buf_t log; /* the instance's output during the invocation (its last 4 KB) */
    void (*done)(api_invocation_t *inv);
    void *done_arg;
    /* Versions and layers (issue 13, package D). */
    const char *version;            /* the version run: "$LATEST" or its number */
    const char *invoked_arn;        /* the ARN as invoked (with its qualifier, if any) */
    const char *const *layer_paths; /* the layers' zips, in order (later ones overwrite) */
    const uint32_t *layer_ids;      /* their code ids (the unpacked set is cached by them) */
    size_t n_layers;
    const char *role;      /* the function's execution role ARN (its credentials' principal) */
    uint32_t ephemeral_mb; /* the size of its /tmp in MB (EphemeralStorage.Size) */
    /* LoggingConfig (package G): the log group its instances write to ("/aws/lambda/<fn>" or
     * the function's LogGroup); JSON records instead of text lines; the levels ("": none, as
     * with Text; else TRACE..FATAL and DEBUG|INFO|WARN). */
    const char *log_group;
    bool log_json;
    const char *app_log_level, *sys_log_level;
};
/** Queue an invocation. @return 0, or -1 when the runner is stopping (done is not called). */
typedef int (*api_invoke_fn)(void *runner, api_invocation_t *inv);
struct archive_entry;
/** May this zip entry (libarchive's) be unpacked into a function's code directory: a regular
 * file, a directory, or a symbolic link staying inside, under a relative name without "..". */
bool api_zip_entry_ok(struct archive_entry *e);
/** Write a function error document, {"errorMessage": msg, "errorType": type} (type may be
 * NULL), to out as JSON with both strings escaped. */
void api_fn_error_json(kv_buf_t *out, kv_slice_t msg, const char *type);
/* Function logs: the runner writes each instance's output as a log stream that the Logs API
 * reads (the format is the engine's, engine/include/eng_fnlog.h). */
typedef struct api_fnlog {
    int fd;           /* -1: none (events are dropped) */
    uint64_t written; /* bytes written */
    char stream[64];  /* its log stream's name (AWS_LAMBDA_LOG_STREAM_NAME) */
} api_fnlog_t;
/** Create a new log stream in log group `group` (a function's, "/aws/lambda/<name>", or its
 * LoggingConfig's LogGroup; made when missing) for an instance of version (NULL: $LATEST).
 * On failure w->fd is -1. @return 0 or -1. */
int api_fnlog_open(api_ctx_t *ctx, const char *group, const char *version, api_fnlog_t *w);
/** Append one event (one line of output, without its newline) at time ts_ms. */
void api_fnlog_write(api_fnlog_t *w, int64_t ts_ms, const char *text, size_t len);
/** Close the stream (accepts one never opened). */
void api_fnlog_close(api_fnlog_t *w);
/** The longest line of output one event holds (a longer line is split). */
#define API_FNLOG_LINE_MAX (256 * 1024)
/** A function's log group is this prefix and its name. */
#define API_FNLOG_GROUP_PREFIX "/aws/lambda/"
/** Register the server's runner (before requests are served). */
void api_set_runner(api_ctx_t *ctx, api_invoke_fn fn, void *runner);
/** Does a function or function version still name the layer set whose zips are code_ids (in
 * order)? true too when it cannot tell (the runner keeps the set's unpacked files then). */
bool api_lambda_layers_used(api_ctx_t *ctx, const uint32_t *code_ids, size_t n);
/** Tell the api layer the server's listening port and whether it speaks TLS (before requests
 * are served): function URLs name them. */
void api_set_port(api_ctx_t *ctx, int port, bool tls);
/** Why runtime cannot run on this server (a message naming the fix), or NULL when it can. */
typedef const char *(*api_runtime_check_fn)(const char *runtime);
/** Register the runner's check of runtimes (before requests are served). */
void api_set_runtime_check(api_ctx_t *ctx, api_runtime_check_fn fn);
/** The registered check's answer for runtime (NULL: it can run, or no runner is registered). */
const char *api_runtime_unavailable(api_ctx_t *ctx, const char *runtime);
/** The region functions get (for their SDKs). The access and secret key are the server's:
 * never give them to a function (api_function_credentials mints the function's own). */
void api_function_identity(api_ctx_t *ctx, const char **access_key, const char **secret_key,
                           const char **region);
/** The default lifetime of a function's temporary credentials (12 hours). */
#define API_CREDS_LIFETIME_S (12 * 3600)
/**
 * Mint temporary credentials (ASIA access key id, secret key, session token) for an instance
 * of the function function_arn running as role_arn (NULL or "": none), valid from now for
 * the server's credential lifetime. Every protocol accepts them until out->expires (Unix
 * seconds). Any thread. @return 0, or -1 when an ARN is too long for a token.
 */
int api_function_credentials(api_ctx_t *ctx, const char *function_arn, const char *role_arn,
                             api_creds_t *out);
/** Set the lifetime of credentials minted from now (seconds; 0: API_CREDS_LIFETIME_S). Before
 * functions run. */
void api_set_credential_lifetime(api_ctx_t *ctx, int64_t seconds);
/** The lifetime of minted credentials, in seconds. */
int64_t api_credential_lifetime(const api_ctx_t *ctx);
/** The data directory (function code and runtimes live under it). */
const char *api_data_dir(api_ctx_t *ctx);

/** After the response is written (or the connection died): metrics and access log. */
void api_done(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint64_t bytes_in,
              uint64_t bytes_out);
/** Count a request the server refused before api_begin (malformed HTTP, limits). */
void api_count_http_error(api_ctx_t *ctx, int status);
/** Note a connection opening (+1) or closing (-1) for the metrics. */
void api_count_conn(api_ctx_t *ctx, int delta);
/** The most connections the server keeps open (from the descriptor limit), for the metrics. */
void api_count_conn_limit(api_ctx_t *ctx, int64_t limit);
/** Note a connection shed at the limit: an idle one closed (refused false) or a new one
 * refused (refused true). */
void api_count_conn_shed(api_ctx_t *ctx, bool refused);

#endif
