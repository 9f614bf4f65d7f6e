/* SPDX-License-Identifier: Apache-2.0 */
/* The Lambda and CloudWatch Logs services: what their files share (the descriptors, the entry
 * points, the operations the router dispatches to, the request helpers, the background jobs and
 * their state). lambda_api.c routes; lambda_fn.c manages functions; lambda_invoke.c invokes;
 * lambda_evcfg.c keeps the asynchronous settings; lambda_mapping.c is the event source mappings'
 * API and lambda_esm.c their delivery; lambda_logs.c is CloudWatch Logs. */
#ifndef LAMBDA_INT_H
#define LAMBDA_INT_H

#include "../api_int.h"
#include "../codec/api_json_r.h"
#include "lambda_ops.h"

/** Lambda (REST JSON under /2015-03-31/ and friends; the lambda credential scope). */
extern const api_service_t lambda_service;
/** CloudWatch Logs (X-Amz-Target Logs_20140328.<op>; the logs credential scope). */
extern const api_service_t logs_service;

/** The Lambda API's function management. */
void lambda_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** The CloudWatch Logs API over function logs. */
void logs_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** The hand-back of a synchronous response that waits for an invocation: the FIRST member of
 * what resp->_pending points to (lambda_hold finds it there). */
typedef struct lambda_handoff {
    pthread_mutex_t lock;
    int state; /* waiting, held (cb is set) or done */
    api_released_cb cb;
    void *cb_arg;
} lambda_handoff_t;
/** A handoff waiting for its invocation. */
void lambda_handoff_init(lambda_handoff_t *h);
/** Hold a response that waits for an invocation (see api_resp_hold): false when it is done. */
bool lambda_hold(api_resp_t *resp, api_released_cb cb, void *arg);
/** The response of inv is complete (on the runner's thread): dispose of inv's buffers and free
 * arena a, then hand the response back to its connection (now if it is held, else when it asks).
 * h may be freed once this returns. */
void lambda_handoff_done(lambda_handoff_t *h, api_invocation_t *inv, kv_arena_t *a);
/** The Lambda operation a request's method and path name (API_OP_NONE: none). */
int lambda_route(api_ctx_t *ctx, api_req_t *req);
/** The largest body a Lambda request may have (a base64 zip for code uploads). */
uint64_t lambda_body_limit(const api_req_t *req);

/* ---- the request helpers every operation uses (lambda_api.c) ---- */

/** The request's JSON object body ("{}" when empty), or NULL (an InvalidRequestContent
 * refusal is recorded). */
const api_json_t *lambda_body_json(api_req_t *req, api_resp_t *resp);
/** The JSON error body of both services: {key: value, "message": the refusal's message}. */
void lambda_error_body(api_resp_t *resp, const char *key, const char *value);
/** Write member key as a JSON object of the n name/value pairs p (Tags, Variables). */
void lambda_jw_map(api_jw_t *w, const char *key, const eng_tag_t *p, size_t n);
/** A JSON response with status. */
void lambda_respond_json(api_resp_t *resp, int status);
/** Refuse for an engine error rc (a full disk throttles; the rest are internal). @return -1 */
int lambda_engine_fail(api_resp_t *resp, int rc);
/** Refuse with PreconditionFailedException: the RevisionId given is not the latest; api names
 * the call that reads the latest. @return -1 */
int lambda_refuse_revision(api_resp_t *resp, const char *api);
/** Check a RevisionId given (want; empty: none) against the latest rev.
 * @return 0, or lambda_refuse_revision() when they differ. */
int lambda_revision_check(api_resp_t *resp, kv_slice_t want, const char *rev, const char *api);
/** A Description member (a string of up to 256 bytes) into *out (the request's arena), left as
 * it is when absent. @return 0, or -1 with a ValidationException. */
int lambda_description_in(api_req_t *req, api_resp_t *resp, const api_json_t *in, const char **out);
/** The string member key of object in (empty when absent or not a string). */
kv_slice_t lambda_str_member(const api_json_t *in, const char *key);
/** s copied into the request's arena (NUL-terminated). */
const char *lambda_dup_str(api_req_t *req, kv_slice_t s);
/** The List operations' MaxItems query parameter (1..10000), into *limit when given. */
int lambda_max_items(api_req_t *req, api_resp_t *resp, size_t *limit);
/** The integer member key of in, between lo and hi (member names it in the refusal).
 * @return 1 when given, 0 when absent, -1 refused */
int lambda_int_in(api_resp_t *resp, const api_json_t *in, const char *key, const char *member,
                  int64_t lo, int64_t hi, int64_t *out);

/* ---- functions: names, ARNs, loading (lambda_fn.c) ---- */

/** Write the ARN of function name into out (cap bytes). */
void lambda_fn_arn(api_ctx_t *ctx, const char *name, char *out, size_t cap);
/** The function a destination ARN names (arn:aws:lambda:<region>:<account>:function:<name>
 * with an optional qualifier), into *name. @return false when it names no function */
bool lambda_arn_function(kv_slice_t arn, kv_slice_t *name);
/** The bucket a destination ARN names (arn:aws:s3:::<bucket>), into *bucket. */
bool lambda_arn_bucket(kv_slice_t arn, kv_slice_t *bucket);
/** A FunctionName (a name, a partial ARN or an ARN, $LATEST qualifier only): the bare name.
 * @return -1 refused */
int lambda_resolve_name(api_resp_t *resp, kv_slice_t in, kv_slice_t *out);
/** Refuse: function name was not found. @return -1 */
int lambda_not_found(api_ctx_t *ctx, api_resp_t *resp, kv_slice_t name);
/** The function raw (a FunctionName) names, in the request's arena. @return -1 refused */
int lambda_load_fn(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw,
                   eng_function_t **f);

/** Store f's changed settings (its code unchanged). @return -1 refused */
int lambda_fn_save(api_ctx_t *ctx, api_resp_t *resp, eng_function_t *f);
/** The log group function f's instances write to (its LoggingConfig's LogGroup, else
 * "/aws/lambda/<name>"). */
void lambda_fn_log_group(const eng_function_t *f, char *out, size_t cap);

/* ---- the invocation records destinations get (lambda_invoke.c) ---- */

/** Begin a record: {"version", "timestamp": when, "requestContext": {"requestId", ... (the
 * caller adds the rest of requestContext and closes it). */
void lambda_record_begin(api_jw_t *w, const char *when, const char *request_id);
/** The record's "responseContext" (statusCode 200, $LATEST, "functionError" with fn_error). */
void lambda_record_response(api_jw_t *w, bool fn_error);
/** The same with the version that ran. */
void lambda_record_response_v(api_jw_t *w, bool fn_error, const char *version);

/* ---- the operations (each records its response; @return 0, or -1 refused) ---- */

int lambda_op_create(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w);
int lambda_op_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w);
/** GetFunction (whole) or GetFunctionConfiguration. */
int lambda_op_get(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, bool whole,
                  api_jw_t *w);
/** UpdateFunctionCode (code) or UpdateFunctionConfiguration. */
int lambda_op_update(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, bool code,
                     api_jw_t *w);
int lambda_op_delete(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw);
/** Put/Get/DeleteFunctionConcurrency (op says which). */
int lambda_op_concurrency(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, int op,
                          api_jw_t *w);
/** Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s) (lambda_evcfg.c). */
int lambda_op_event_config(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, int op,
                           api_jw_t *w);
/** CreateEventSourceMapping (lambda_mapping.c). */
int lambda_op_esm_create(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w);
int lambda_op_esm_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w);
/** Get/Update/DeleteEventSourceMapping of uuid. */
int lambda_op_esm(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t uuid, int op,
                  api_jw_t *w);
/** Invoke (lambda_invoke.c). */
int lambda_op_invoke(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw);

/* ---- versions, aliases, permissions, tags, account settings (lambda_version.c); layers
 * (lambda_layer.c) ---- */

/** What a FunctionName with its qualifier (name:qualifier, a qualified ARN, or ?Qualifier=)
 * names: $LATEST, a version, or an alias (f is then the alias's first version). */
typedef struct lambda_target {
    kv_slice_t name;        /* the bare function name */
    const char *qual;       /* the qualifier as given (NULL: none) */
    eng_function_t *latest; /* $LATEST */
    eng_function_t *f;      /* the version the qualifier names */
    eng_alias_t *alias;     /* the alias it names, or NULL */
} lambda_target_t;
/** Split a FunctionName into the bare name and its qualifier (empty: none). @return -1 refused */
int lambda_split_name(api_resp_t *resp, kv_slice_t in, kv_slice_t *out, kv_slice_t *qual);
/** Resolve raw (and the request's Qualifier query parameter) into *t, in the request's arena.
 * @return -1 refused */
int lambda_target(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw,
                  lambda_target_t *t);
/** Load function name ($LATEST into *latest) and what qualifier qual (empty or $LATEST, a
 * version, an alias) names: the version into *f (an alias's own version) and the alias into
 * *alias (NULL: none), in arena a. @return 0, KV_ENOTFOUND (*latest NULL: no function) */
int lambda_qual_load(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, kv_slice_t qual,
                     eng_function_t **latest, eng_function_t **f, eng_alias_t **alias);
/** The version an invocation of function name with qualifier qual runs (for the callers that
 * have no request: URLs, mappings), in arena a: an alias's weight picks one per call; its
 * reserved concurrency is the function's and its event_config the qualifier's. @return 0,
 * KV_ENOTFOUND */
int lambda_qual_pick(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, kv_slice_t qual,
                     eng_function_t **f);
/** The version an invocation of t runs: an alias with a routing weight picks one per call (with
 * the function's reserved concurrency and the qualifier's asynchronous settings). */
int lambda_target_pick(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, lambda_target_t *t,
                       eng_function_t **f);
/** A function's configuration as Lambda returns it (qual: the qualifier its ARN carries). */
void lambda_encode_config(api_ctx_t *ctx, const eng_function_t *f, const char *qual, api_jw_t *w);
/** A Code object's zip (base64 ZipFile or S3Bucket/S3Key), checked; its unzipped size into
 * *unzipped when not NULL. @return -1 refused */
int lambda_load_code(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *code,
                     kv_slice_t *zip, uint64_t *unzipped);
/** The base64 SHA-256 of a zip. */
void lambda_code_sha(kv_slice_t zip, char out[48]);
/** Publish f ($LATEST, just stored) as a version and answer with its configuration. */
int lambda_publish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_function_t *f,
                   const char *description, int status, api_jw_t *w);
/** DeleteFunction of version qual. */
int lambda_delete_version(api_ctx_t *ctx, api_resp_t *resp, kv_slice_t name, kv_slice_t qual);
/** A Tags object into *tags (the request's arena; AWS's limits). @return -1 refused */
int lambda_tags_in(api_req_t *req, api_resp_t *resp, const api_json_t *in, eng_tag_t **tags,
                   size_t *n);
/** The Layers member of a CreateFunction/UpdateFunctionConfiguration into f. @return -1 */
int lambda_apply_layers(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                        eng_function_t *f);
/** Does f's code (unzipped_size) with its layers fit Lambda's 262 144 000 bytes unzipped?
 * @return -1 refused */
int lambda_layers_fit(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_function_t *f);
/** A layer version ARN's name and version. */
bool lambda_layer_arn_parse(kv_slice_t arn, kv_slice_t *name, uint32_t *version);
/** The operations of lambda_version.c (parts: the path's parts after the function name). */
int lambda_op_version(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, kv_slice_t raw,
                      kv_slice_t part, api_jw_t *w);
/** The layer operations (lambda_layer.c): layer name, version and statement id from the path. */
int lambda_op_layer(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, kv_slice_t name,
                    kv_slice_t version, kv_slice_t sid, api_jw_t *w);
/** Build one policy statement and add it to *list (refusing a duplicate Sid and a document over
 * limit bytes). resource is the statement's Resource. @return -1 refused */
int lambda_policy_add(api_req_t *req, api_resp_t *resp, const api_json_t *in, const char *resource,
                      bool layer, const char ***list, size_t *n, size_t limit, const char **added);
/** Remove statement sid from *list. @return -1 refused (not found) */
int lambda_policy_remove(api_req_t *req, api_resp_t *resp, kv_slice_t sid, const char ***list,
                         size_t *n);
/** A policy document of the statements. */
void lambda_policy_doc(const char *const *list, size_t n, kv_buf_t *out);
/** Reply 200 with a policy (its n statements) and its revision: {"Policy", "RevisionId"}. */
void lambda_policy_reply(api_resp_t *resp, const char *const *list, size_t n, const char *rev,
                         api_jw_t *w);

/* ---- asynchronous invocation settings (lambda_evcfg.c) ---- */

#define LAMBDA_ASYNC_RETRIES 2     /* retries after an error, by default */
#define LAMBDA_ASYNC_AGE_MAX 21600 /* an event's age, by default and at most */

/** A function's settings for asynchronous invocations; stored as a small JSON document. */
typedef struct evcfg {
    int64_t retries, max_age_s; /* -1: not set (2 and 6 hours apply) */
    const char *on_success, *on_failure;
    int64_t modified_ms;
} evcfg_t;

/** The asynchronous settings doc of qualifier qual (NULL or "$LATEST": the unqualified
 * function's) among those $LATEST's record keeps (NULL: none), in a. */
const char *lambda_evcfg_doc(kv_arena_t *a, const eng_function_t *latest, const char *qual);
/** Forget the asynchronous settings of qualifier qual (a version or an alias being deleted)
 * of function name, as Lambda does. */
void lambda_evcfg_forget(api_ctx_t *ctx, kv_slice_t name, const char *qual);
/** Read a function's stored settings doc (NULL: none) into *c; strings in a. */
void lambda_evcfg_read(kv_arena_t *a, const char *doc, evcfg_t *c);
/** Send the invocation record of finished invocation inv (run attempts times) to destination
 * dest (a function or a bucket here) for condition ("Success", "RetriesExhausted",
 * "EventAgeExceeded"): what Lambda does after an asynchronous invocation; EventBridge's
 * Lambda targets use it too (issue 14). @return 0 or a KV_ error (logged) */
int lambda_async_destination(api_ctx_t *ctx, const api_invocation_t *inv, int attempts,
                             const char *dest, const char *condition);

/* Lambda's background jobs: "esm" (event source mappings), "s3-events" (bucket notifications,
 * lambda_esm.c) and "async-invoke" (Event invocations' retries and destinations,
 * lambda_invoke.c). */
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
    /* Event invocations the runner finished, for the async-invoke job (lambda_invoke.c). */
    pthread_mutex_t aq_lock;
    struct pending *aq_head, *aq_tail;
    /* Mappings on SQS queues (issue 14, package W2): their batches (lambda_esm_sqs.c). */
    struct esm_sqs *sqs;
    /* Records whose queue, topic or bus destination was busy, sent again by the async-invoke
     * job (issue 14; that job's thread alone touches the list). */
    struct pending *dq_head;
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

/* ---- event source mappings on SQS queues (issue 14, package W2) ---- */

typedef struct esm_sqs esm_sqs_t;
/** The esm job's step for mapping m on an SQS queue, enabled or not (lambda_esm_sqs.c): looks
 * at its finished batches, then receives and starts batches while it may. @return ms until it
 * wants another step (0: now), -1 when woken only by a commit or a finished batch */
int lambda_esm_sqs_step(api_ctx_t *ctx, const eng_mapping_t *m);
/** After a pass of the esm job over the mappings: the SQS mappings not stepped in it are
 * deleted; their batches in flight finish, then their state is freed. @return -1 */
int lambda_esm_sqs_pass_end(api_ctx_t *ctx);
/** Free the SQS mappings' state (lambda_fini: the runner finished every invocation). */
void lambda_esm_sqs_free(esm_t *e);

/* ---- authorization (issue 15, package L1; lambda_authz.c) ---- */

struct api_principal;
struct api_res_policy;
/** Authorize Lambda operation op once routed (name, part, part2: the path's parts): its IAM
 * action, resource (qualified when the request is) and condition keys, with the function
 * policy as the resource policy; CreateFunction and UpdateFunctionConfiguration also ask
 * iam:PassRole on their Role. @return 0, or -1 refused (resp records it) */
int lambda_authz(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, kv_slice_t name,
                 kv_slice_t part, kv_slice_t part2);
/** Authorize a CloudWatch Logs operation (in: its decoded body). @return 0 or -1 refused */
int logs_authz(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in);
/** May the request invoke function URL function:qualifier? iam: AuthType AWS_IAM (the signed
 * principal, by identity or function policy); otherwise NONE (the function policy must allow
 * everyone lambda:InvokeFunctionUrl). Records nothing on refusal. @return 0 or -1 */
int lambda_url_authz(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *function,
                     const char *qualifier, bool iam);
/** arn:aws:lambda:<region>:000000000000:function:<name>[:<qual>] in arena a. */
kv_slice_t lambda_authz_fn_arn(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, kv_slice_t qual);
/** The function policy of name with qualifier qual (empty: the unqualified function's; an alias
 * or version: its own) into *text (empty: none), in a; *latest (may be NULL) gets $LATEST.
 * @return 0, KV_ENOTFOUND */
int lambda_fn_policy(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, kv_slice_t qual,
                     kv_slice_t *text, eng_function_t **latest);
/** A resource policy text compiled (pol_cached; none when empty or unparsable) into *res. */
void lambda_res_policy(kv_arena_t *a, kv_slice_t text, struct api_res_policy *res);
/**
 * May AWS service principal service ("s3.amazonaws.com") perform action on target on behalf
 * of source_arn (aws:SourceArn; aws:SourceAccount is the account), by the target's resource
 * policy text policy alone (a service principal has no identity policy)? Reusable for queues,
 * topics and buses. *why (may be NULL) gets AWS's refusal message, in a.
 */
bool lambda_service_decide(api_ctx_t *ctx, kv_slice_t target, const char *service,
                           const char *action, kv_slice_t source_arn, kv_slice_t policy,
                           kv_arena_t *a, const char **why);
/** lambda_service_decide for lambda:InvokeFunction on function fn_arn (as invoked: qualified
 * or not) with its function policy. */
bool lambda_service_may_invoke(api_ctx_t *ctx, kv_slice_t fn_arn, const char *service,
                               kv_slice_t source_arn, kv_arena_t *a, const char **why);
/** May s3.amazonaws.com invoke function fn_arn for bucket's notifications (aws:SourceArn
 * arn:aws:s3:::bucket)? */
bool lambda_s3_may_invoke(api_ctx_t *ctx, const char *fn_arn, const char *bucket, kv_arena_t *a);
/** May sns.amazonaws.com invoke function fn_arn for topic (its name: aws:SourceArn)? */
bool lambda_sns_may_invoke(api_ctx_t *ctx, const char *fn_arn, const char *topic);
/** May events.amazonaws.com invoke function fn_arn for rule rule_arn (aws:SourceArn)? */
bool lambda_events_may_invoke(api_ctx_t *ctx, kv_slice_t fn_arn, const char *rule_arn);
/** The principal of a function's execution role role_arn (session: the function's name), with
 * its permissions (api_iam_load). @return 0, KV_ENOTFOUND (no such role) */
int lambda_role_principal(api_ctx_t *ctx, const char *role_arn, const char *session, kv_arena_t *a,
                          struct api_principal *p);
/** May a role principal perform action on resource (res_policy: the resource's policy text)? */
bool lambda_role_may(api_ctx_t *ctx, const struct api_principal *role, const char *action,
                     kv_slice_t resource, kv_slice_t res_policy, kv_arena_t *a);
/** May function fn_name's role role_arn send to destination dest (sqs:SendMessage,
 * sns:Publish, events:PutEvents, lambda:InvokeFunction by its ARN; other ARNs: true)? */
bool lambda_fn_role_may_send(api_ctx_t *ctx, const char *role_arn, const char *fn_name,
                             kv_slice_t dest, kv_arena_t *a);
/** PutFunctionEventInvokeConfig and mappings: may function fn (name[:qualifier])'s role send
 * to dest (NULL: none)? Refused with Lambda's InvalidParameterValueException. @return 0, -1 */
int lambda_dest_role_check(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t fn,
                           const char *dest);
/** AddPermission's Principal, SourceAccount, SourceArn, PrincipalOrgID and FunctionUrlAuthType
 * checked as Lambda checks them. @return 0 or -1 refused */
int lambda_permission_check(api_resp_t *resp, const api_json_t *in);
/** Create/UpdateEventSourceMapping: may the function's role read the mapping's source (and
 * send to its on-failure destination)? Refused with Lambda's messages. @return 0, -1 */
int lambda_esm_role_check(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_mapping_t *m);

#endif
