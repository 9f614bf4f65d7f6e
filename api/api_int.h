/* SPDX-License-Identifier: Apache-2.0 */
/* Declarations shared by the api layer's .c files only. */
#ifndef API_INT_H
#define API_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "api.h"
#include "api_arn.h"
#include "api_err.h"
#include "api_service.h"
#include "auth/api_cksum.h"
#include "auth/sigv4.h"
#include "auth/sigv4_chunked.h"
#include "authz/api_authz.h"
#include "codec/api_jw.h"
#include "eng.h"

/* Bodies read before their signature is checked (no x-amz-content-sha256: the signature
 * covers a hash of the whole body). Their memory is bounded in all and per client address;
 * one request alone may pass the per-address bound (a large function upload). */
#define API_UNAUTH_MAX_DEFAULT      (128u << 20)
#define API_UNAUTH_PEER_MAX_DEFAULT (16u << 20)
#define API_UNAUTH_BUCKETS          256
#define API_UNAUTH_BASE_MS          10000u       /* the deadline of such a body: this, */
#define API_UNAUTH_MIN_RATE         (512u << 10) /* plus its length at this many bytes/s */

/* ---- metrics ---- */
#define API_N_STATUS 20
#define API_N_LAT    17
/* Counters per operation (row 0: requests no row names, then each service's rows in table
 * order) and per service (row 0: none, then the table's services); sized at api_open. */
typedef struct api_metrics {
    size_t n_ops, n_svcs;
    size_t *op_base; /* per service: the row of its first operation */
    atomic_uint_fast64_t (*req)[API_N_STATUS];
    atomic_uint_fast64_t (*lat)[API_N_LAT + 1];
    atomic_uint_fast64_t *lat_sum_us;
    atomic_uint_fast64_t *lat_count;
    atomic_uint_fast64_t *bytes_in;
    atomic_uint_fast64_t *bytes_out;
    atomic_uint_fast64_t http_errors[API_N_STATUS];
    atomic_int_fast64_t conns;
    atomic_uint_fast64_t conns_total;
    atomic_int_fast64_t conns_limit;
    atomic_uint_fast64_t conns_idle_closed;
    atomic_uint_fast64_t conns_refused;
    atomic_uint_fast64_t authz_unchecked; /* issue 15: answered without api_authorize */
    atomic_uint_fast64_t msg_denied;      /* issue 15 (L2): deliveries of a service principal that a
                                             queue's, topic's or bus's policy refused */
    /* issue 16, package G: S3 access-log records journaled, dropped (a source over its bound,
     * or its target gone) and log objects delivered */
    atomic_uint_fast64_t s3_alog_records, s3_alog_dropped, s3_alog_objects;
} api_metrics_t;

struct api_ctx {
    eng_t *eng;
    char *region;
    char *access_key;
    char *secret_key;
    int64_t start_ms;
    uint64_t start_mono_ns;
    char *data_dir;
    api_invoke_fn invoke; /* the server's function runner */
    void *runner;
    void *sched; /* the scheduler (api_sched.c) */
    api_metrics_t m;
    void **svc_state; /* per service of the table: what its init made */
    /* The unauthenticated-body budget (api_auth.c): bytes held in all and per address. */
    pthread_mutex_t unauth_lock;
    uint64_t unauth_max, unauth_peer_max;
    uint64_t unauth_total;
    struct api_peer_use *unauth_peers[API_UNAUTH_BUCKETS];
    atomic_int port; /* the server's listening port, negative with TLS (api_set_port) */
    /* Session credentials (api_session.h): the keys derived from secret_key, and the lifetime
     * of minted credentials in seconds. */
    api_session_keys_t session_keys;
    int64_t creds_lifetime_s;
    api_runtime_check_fn runtime_check; /* the runner's: can a runtime run here (issue 13) */
    bool sigv2_off;         /* issue 15, package V: S3's Signature Version 2 refused (--no-sigv2) */
    uint8_t master_key[32]; /* issue 16: the master key (api/crypto/api_seal.h) */
    bool encrypt_all;       /* issue 16, package E: SSE-S3 for every object (--encrypt-all) */
};

/** issue 16: load (creating it first when file is NULL: <data-dir>/STRATUS-MASTER-KEY) the master
 * key into ctx->master_key. @return 0, or -1 with the reason in err. */
int api__master_key_load(api_ctx_t *ctx, const char *file, char *err, size_t cap);

/** The server's listening port (0: not told), and into *tls (may be NULL) whether it speaks
 * TLS. */
int api_port(api_ctx_t *ctx, bool *tls);

typedef enum api_payload {
    API_PAYLOAD_NONE = 0,
    API_PAYLOAD_UNSIGNED,  /* UNSIGNED-PAYLOAD */
    API_PAYLOAD_HASH,      /* x-amz-content-sha256 is a hash: compare at the end */
    API_PAYLOAD_COMPUTE,   /* no header: hash the body, then verify the signature */
    API_PAYLOAD_STREAMING, /* aws-chunked */
} api_payload_t;

/** Per-request state between api_begin and api_done (lives in the arena). */
struct api_state {
    const api_service_t *svc; /* the service that claimed the request */
    int op;                   /* its operation index, or API_OP_NONE */
    bool open;                /* an open path (served unsigned, no body) */
    uint64_t refusals_at;     /* eng_space_refusals() when the request began (or, for an
                                 offloaded operation, when api_handle began) */
    char request_id[40];
    char id2[80];

    /* authentication */
    bool authed; /* credentials present */
    bool presigned;
    bool sig_verified;
    sigv4_auth_t auth;
    kv_slice_t amz_date;
    uint8_t key[32];
    api_payload_t payload;
    kv_slice_t content_sha256; /* header value */
    bool hashing;
    api_ck_t sha;
    bool md5_on;
    api_ck_t md5;
    kv_slice_t md5_want; /* base64 */
    api_ck_algo_t ck_algo;
    api_ck_t ck;
    kv_slice_t ck_want; /* base64 from x-amz-checksum-<algo> header */
    bool chunked_on;
    sigv4_chunked_t *chunked; /* in the arena, only for aws-chunked bodies */
    api_ctx_t *ctx;
    struct api_peer_use *unauth_peer; /* the budget entry of the client's address */
    uint64_t unauth_held;             /* body bytes charged to the budget */

    /* body */
    kv_buf_t body;
    uint64_t body_limit;
    uint64_t body_raw;

    /* well-known request headers, found in one pass by api_begin */
    struct {
        kv_slice_t authorization, target, amz_date, date, content_sha256, content_md5,
            decoded_length, trailer, host, security_token;
        bool checksum; /* some x-amz-checksum-* header is present */

        kv_slice_t content_encoding, origin; /* issue 17, package H */
    } h;
    sigv4_parse_err_t auth_err; /* result of parsing h.authorization */

    /* routing details */
    kv_slice_t target;   /* X-Amz-Target operation name */
    kv_slice_t bucket;   /* S3: decoded bucket name */
    kv_slice_t key_name; /* S3: decoded object key */
    bool virtual_host;
    kv_slice_t s3_extra;  /* pre-escaped XML elements appended to an S3 error */
    kv_slice_t ddb_extra; /* JSON members appended to a DynamoDB error ("Item":{...}) */

    /* S3 PutObject: the body streams into the blob store instead of st->body */
    eng_blob_writer_t *blob;
    api_ck_t etag_md5;
    bool etag_on;
    uint32_t bucket_id;
    eng_versioning_t versioning; /* the bucket's, read with its id */
    uint32_t log_id;             /* the bucket's event log (0: none) */
    bool anonymous;              /* served without a header signature (CORS preflight, POST
                                    Object, which signs its policy instead) */
    struct s3_post *post;        /* POST Object: the form being read */
    /* Session credentials: the request's X-Amz-Security-Token (header or presigned query),
     * and the session's secret key once the token is verified. */
    kv_slice_t session_token;
    bool session;
    char session_secret[API_SESSION_SK_LEN + 1];
    /* Authorization (issue 15): who signed (set by authentication: the root until an IAM
     * principal or API_PR_ANON says otherwise), and whether api_authorize allowed something. */
    api_principal_t principal;
    bool authorized;
    bool sigv2; /* signed with Signature Version 2 (S3's legacy header or query string) */
    /* Issue 15, package L1: a Lambda request's JSON body, parsed once (lambda_body_json) by
     * its authorization and then its operation. */
    const struct api_json *lambda_body;
    kv_slice_t s3_acl; /* issue 15, package A: PutObject's ACL, checked before its body */
    /* issue 16, package L: PutObject's Object Lock, decided before its body */
    uint8_t s3_lock_mode; /* eng_lock_mode_t */
    uint8_t s3_lock_hold; /* 0: none, 1: ON, 2: OFF */
    int64_t s3_lock_until_ms;
    /* issue 16, package C: an UploadPart's checksum computed as its body streams (a
     * FULL_OBJECT upload's algorithm, when the client sent none) */
    bool s3_ck_on;
    api_ck_t s3_ck;
    /* S3: the record of the request's bucket as its authorization read it (NULL: not read),
     * reused by GetObject and HeadObject (s3_bucket_find_read) instead of a second read. */
    eng_bucket_t *s3_authz_bucket;
    /* issue 16, package G: when api_handle began (the request was whole) and when the response
     * was ready (finish), in kv_now_mono_ns; 0: not reached */
    uint64_t handle_ns, finish_ns;
    /* issue 16, package E: PutObject's new encryption, or UploadPart's upload prototype */
    eng_object_t *s3_sse;
    uint8_t s3_etag_key[32]; /* issue 16: an SSE-C or SSE-KMS body's ETag key (s3_sse.h) */
    bool s3_etag_keyed;
    /* issue 17, package H: the body's decompressor (svc->inflate and a Content-Encoding), and
     * whether the coding is unsupported or the stream invalid (refused after authentication) */
    struct api_inflate *inflate;
    bool inflate_bad;
};

/* api_auth.c */
/** Authenticate the request as far as the headers allow. 0 or API_RESPOND (resp filled). */
int api__auth_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** The service's throttling error (SlowDown, TooManyRequestsException, ThrottlingException). */
api_err_t api__throttle_err(const api_state_t *st);
/** After the body: payload hash, deferred signature, checksums. 0 or API_RESPOND. */
int api__auth_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** Set up and tear down the unauthenticated-body budget (api_open, api_close). */
void api__unauth_init(api_ctx_t *ctx);
void api__unauth_dispose(api_ctx_t *ctx);
/** Charge n more body bytes read before the signature is checked. 0, or API_RESPOND with the
 * protocol's throttling error in resp when the budget is spent. */
int api__unauth_charge(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, size_t n);
/** Give back what the request holds (signature verified, or the request is over). */
void api__unauth_release(api_state_t *st);

/* authz/api_authz.c */
/** Make p the account root. */
void api__principal_root(api_ctx_t *ctx, api_principal_t *p);
/** A non-root principal's request answered without any api_authorize (a missing check):
 * counted (stratus_authz_unchecked_total) and logged. */
void api__authz_check_done(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);

/* api_core.c */
/** Header lookup (case-insensitive); KV_SLICE_NULL when absent. */
kv_slice_t api_req_header(const api_req_t *req, const char *name);
bool api_req_has_header(const api_req_t *req, const char *name);
/** Add a response header (name must be static; value is copied into the arena). */
void api_resp_header(api_resp_t *resp, const char *name, kv_slice_t value);
void api_resp_headerf(api_resp_t *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** The request's query parameter (decoded into the arena), or false when absent. */
bool api_req_query(const api_req_t *req, const char *name, kv_slice_t *out);
/** Decode one form-encoded value ('+' is a space, %XX a byte) into arena a.
 * @return false when a %-escape is malformed. */
bool api_form_decode(kv_arena_t *a, kv_slice_t raw, kv_slice_t *out);

/** Encode a recorded error and add the service's headers (deferred responses finish late). */
void api__finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);

/* api_metrics.c */
/** Size the counters from the service table (api_open); release them (api_close). */
void api__metrics_init(api_ctx_t *ctx);
void api__metrics_dispose(api_ctx_t *ctx);
/** Count one request of svc's operation op (svc NULL or op API_OP_NONE: no row names it). */
void api__metrics_record(api_ctx_t *ctx, const api_service_t *svc, int op, int status,
                         uint64_t dur_ns, uint64_t bytes_in, uint64_t bytes_out);
void api__metrics_render(api_ctx_t *ctx, kv_buf_t *out);
/** The wire name of svc's operation op ("Unknown" when no row names it). */
const char *api_op_name(const api_service_t *svc, int op);
/** The ops endpoints (/health, /metrics). */
extern const api_service_t api_ops_service;

/* api_sched.c */
/** Build the scheduler from the protocols' jobs and register its commit notifier (api_open). */
void api_sched_init(api_ctx_t *ctx);
/** Free it (api_close). */
void api_sched_free(api_ctx_t *ctx);

/* issue 15, package T: authentication of every principal (api_auth.c), function sessions
 * (sts/sts_principal.c) */
/**
 * Resolve any access key (the configured one, an IAM user's, or a session key with its token)
 * to the secret that signs with it, and make its principal the request's (st->principal; a
 * session's st->session too). Answers the protocol's errors: an unknown or inactive key
 * (UnrecognizedClientException, S3's InvalidAccessKeyId, STS's InvalidClientTokenId), an
 * invalid or expired token (InvalidToken/ExpiredToken, UnrecognizedClientException/
 * ExpiredTokenException), the configured key with a token. SigV2 and POST Object call it.
 * @return 0 with secret filled, or API_RESPOND with resp's error set.
 */
int api__auth_key(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t access_key,
                  kv_slice_t token, char secret[API_SESSION_SK_LEN + 1]);
/** Record an IAM user's access key as used (GetAccessKeyLastUsed), once its signature was
 * verified: a request anyone could make with the key id alone records nothing. */
void api__auth_key_used(api_ctx_t *ctx, const api_req_t *req);
/** The secret that signs for the request's principal after api__auth_key filled secret: the
 * configured secret for the configured key (it may be longer than API_SESSION_SK_LEN), else
 * secret itself. */
const char *api__auth_secret(api_ctx_t *ctx, const api_req_t *req, const char *secret);
/**
 * The principal a verified session token names, into p (slices in arena a): a role session
 * with its role's permissions (api_iam_load; none when the role is gone), the session policy
 * and PolicyArns compiled as p->session, the session tags over the role's; a user's
 * GetSessionToken session with the user's permissions; the root's session.
 * @return 0, or KV_ENOTFOUND when the user of a user session is gone (its sessions end).
 */
int api__session_principal(api_ctx_t *ctx, const api_session_principal_t *s, kv_slice_t access_key,
                           kv_arena_t *a, api_principal_t *p);
/** Mint a function instance's credentials: a session of its execution role role_arn named
 * after the function (api_function_credentials). @return 0 or -1 (an ARN too long). */
int api__fn_session_mint(api_ctx_t *ctx, const char *function_arn, const char *role_arn,
                         api_creds_t *out);
/** Can Lambda assume role_arn: does the role exist, and does its trust policy allow the
 * service principal lambda.amazonaws.com to perform sts:AssumeRole (CreateFunction,
 * UpdateFunctionConfiguration)? */
bool api__fn_role_ok(api_ctx_t *ctx, kv_slice_t role_arn, kv_arena_t *a);
/* api_auth_v2.c (issue 15, package V): S3's Signature Version 2 */
/** Whether SigV2 is accepted (on unless --no-sigv2). */
bool api__sigv2_on(const api_ctx_t *ctx);
/** Whether the request is signed with SigV2 and SigV2 may authenticate it: SigV2 is on, S3
 * claimed the request, and its Authorization header ("AWS key:sig") or query (AWSAccessKeyId,
 * Signature) is SigV2's. Elsewhere SigV2 gets each protocol's SigV4-only refusal. */
bool api__sigv2_request(const api_ctx_t *ctx, const api_req_t *req);
/** Authenticate a SigV2 request (header or query form): credentials, Date/Expires, the
 * signature, the payload mode. 0 or API_RESPOND (resp filled with S3's error). Sets st->sigv2,
 * st->authed, st->sig_verified, st->principal, st->presigned (query form), st->auth.access_key
 * and st->auth.signature. */
int api__auth_sigv2(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);

#endif
