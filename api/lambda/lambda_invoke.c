/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Invoke: a synchronous invocation holds its response until the runner finished it
 * (lambda_hold); an Event invocation is answered at once and, once the runner finished it,
 * queued for the async-invoke job, which retries it after an error (MaximumRetryAttempts,
 * MaximumEventAgeInSeconds) and sends its record to the destination for its outcome (a function
 * here, a bucket here, or an SQS queue, SNS topic or EventBridge bus here through
 * api_msg_deliver). Every invocation is built by lambda_inv_fill.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../api_msg.h"
#include "../codec/api_json_r.h"
#include "../s3/s3_int.h"
#include "base/kv_alloc.h"
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "lambda_int.h"
#include "lambda_inv.h"

#define ASYNC_PAYLOAD_MAX  262144 /* an Event invocation's payload */
#define CLIENT_CONTEXT_MAX 3583   /* bytes of base64 */

enum { P_WAITING = 0, P_HELD, P_DONE };

/* An invocation on its way: its own arena holds everything the runner reads. */
typedef struct pending {
    lambda_handoff_t hand; /* first: lambda_hold finds it at resp->_pending */
    api_invocation_t inv;
    kv_arena_t *a;
    api_ctx_t *ctx;
    api_req_t *req;   /* NULL for an Event invocation */
    api_resp_t *resp; /* ... */
    bool tail;
    int attempts_left; /* Event: retries after an error */
    int attempts;      /* Event: runs so far */
    int64_t queued_ms, max_age_ms;
    const char *on_success, *on_failure; /* Event: destinations (in a) */
    struct pending *next;                /* Event: in the async-invoke job's queue */
    /* Event: a record whose queue, topic or bus destination was busy (esm_t.dq_head) */
    const char *dest, *condition;
    int dest_tries;
    int64_t dest_at_ms;
} pending_t;

static void pending_free(pending_t *p)
{
    kv_buf_dispose(&p->inv.result);
    kv_buf_dispose(&p->inv.log);
    kv_arena_t *a = p->a;
    kv_free(p);
    kv_arena_free(a);
}

/* The synchronous response of a finished invocation (on the runner's thread). */
static void finish_sync(pending_t *p)
{
    api_invocation_t *inv = &p->inv;
    api_resp_t *resp = p->resp;
    if (inv->outcome == API_INV_FAILED) {
        api_refuse(resp, API_E_LAMBDA_SERVICE, "%.*s", (int)inv->result.len,
                   (const char *)inv->result.p);
    } else {
        resp->status = 200;
        kv_buf_append_slice(&resp->body, kv_buf_slice(&inv->result));
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
        api_resp_header(resp, "X-Amz-Executed-Version",
                        kv_slice_str(inv->version ? inv->version : "$LATEST"));
        if (inv->outcome == API_INV_FN_ERROR)
            api_resp_header(resp, "X-Amz-Function-Error", KV_SLICE_LIT("Unhandled"));
        if (p->tail) {
            kv_buf_t b;
            kv_buf_init(&b, 8192);
            kv_b64_encode(&b, inv->log.p, inv->log.len);
            api_resp_header(resp, "X-Amz-Log-Result",
                            kv_arena_dup(p->req->arena, kv_buf_slice(&b)));
            kv_buf_dispose(&b);
        }
    }
    api__finish(p->ctx, p->req, resp);
}

/* Free an invocation that never reached the runner. */
static void pending_free_or(pending_t *p, bool async)
{
    if (async) {
        pending_free(p);
    } else {
        kv_buf_dispose(&p->inv.result);
        kv_buf_dispose(&p->inv.log);
        kv_arena_free(p->a);
    }
}

static pending_t *pending_new(api_ctx_t *ctx, const eng_function_t *f, kv_slice_t payload,
                              const char *rid, api_req_t *req);

void lambda_record_begin(api_jw_t *w, const char *when, const char *request_id)
{
    api_jw_obj_begin(w);
    api_jw_kstr(w, "version", "1.0");
    api_jw_kstr(w, "timestamp", when);
    api_jw_key(w, "requestContext");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "requestId", request_id);
}

void lambda_record_response(api_jw_t *w, bool fn_error)
{
    lambda_record_response_v(w, fn_error, "$LATEST");
}

void lambda_record_response_v(api_jw_t *w, bool fn_error, const char *version)
{
    api_jw_key(w, "responseContext");
    api_jw_obj_begin(w);
    api_jw_ku64(w, "statusCode", 200);
    api_jw_kstr(w, "executedVersion", version ? version : "$LATEST");
    if (fn_error)
        api_jw_kstr(w, "functionError", "Unhandled");
    api_jw_obj_end(w);
}

/* Lambda's invocation record of a finished asynchronous invocation, for a destination. */
static void invocation_record(api_ctx_t *ctx, const api_invocation_t *inv, int attempts,
                              const char *condition, kv_buf_t *out)
{
    char when[25];
    kv_time_fmt_iso(kv_now_ms(), when);
    api_jw_t w;
    api_jw_init(&w, out);
    lambda_record_begin(&w, when, inv->request_id);
    char arn[300];
    api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%s:%s", inv->function,
                  inv->version ? inv->version : "$LATEST");
    api_jw_kstr(&w, "functionArn", arn);
    api_jw_kstr(&w, "condition", condition);
    api_jw_ku64(&w, "approximateInvokeCount", (uint64_t)attempts);
    api_jw_obj_end(&w);
    /* The payloads as JSON when they are, else as strings. */
    kv_arena_t *a = kv_arena_new(4096);
    kv_slice_t docs[2] = {inv->payload, kv_buf_slice(&inv->result)};
    const char *keys[2] = {"requestPayload", "responsePayload"};
    for (int i = 0; i < 2; i++) {
        api_json_t *root;
        const char *err;
        if (i == 1)
            lambda_record_response_v(&w, inv->outcome != API_INV_OK, inv->version);
        if (docs[i].len == 0)
            continue;
        api_jw_key(&w, keys[i]);
        if (api_json_parse(a, docs[i], &root, &err) == 0)
            api_jw_raw(&w, docs[i]);
        else
            api_jw_str(&w, docs[i]);
    }
    kv_arena_free(a);
    api_jw_obj_end(&w);
}

#define DEST_TRIES 100 /* sends of a record to a busy queue, topic or bus: about 15 minutes */

/* Whether rc from a queue, topic or bus destination means "busy: send again later". */
static bool dest_busy(int rc)
{
    return rc < 0 && rc != KV_ENOTFOUND && rc != KV_EINVAL;
}

int lambda_async_destination(api_ctx_t *ctx, const api_invocation_t *inv, int attempts,
                             const char *dest, const char *condition)
{
    /* Lambda sends as the function's execution role (issue 15): refused for good when the role
     * may not (sqs:SendMessage, sns:Publish, events:PutEvents, lambda:InvokeFunction). */
    kv_arena_t *ra = kv_arena_new(16384);
    bool may = lambda_fn_role_may_send(ctx, inv->role, inv->function, kv_slice_str(dest), ra);
    kv_arena_free(ra);
    if (!may) {
        KV_LOG_WARN("lambda: %s record of %s not delivered to %s: its execution role may not "
                    "send to it",
                    condition, inv->function, dest);
        return KV_EINVAL;
    }
    kv_buf_t rec;
    kv_buf_init(&rec, 16u << 20);
    invocation_record(ctx, inv, attempts, condition, &rec);
    kv_slice_t name;
    int rc = KV_ENOTFOUND;
    if (lambda_arn_bucket(kv_slice_str(dest), &name)) {
        /* aws/lambda/async/<function>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid> */
        char when[25], key[512], id[40];
        kv_time_fmt_iso(kv_now_ms(), when);
        when[19] = 0;
        when[13] = when[16] = '.';
        kv_uuid4(id);
        snprintf(key, sizeof(key), "aws/lambda/async/%s/%.4s/%.2s/%.2s/%s-%s", inv->function, when,
                 when + 5, when + 8, when, id);
        rc = s3_put_record(ctx, name, kv_slice_str(key), kv_buf_slice(&rec));
    } else if (lambda_arn_function(kv_slice_str(dest), &name)) {
        kv_arena_t *a = kv_arena_new(4096);
        eng_function_t *f;
        /* a qualified ARN runs the version it names now */
        const char *end = (const char *)name.p + name.len;
        rc = lambda_qual_pick(ctx, a, name, kv_slice_str(*end == ':' ? end + 1 : ""), &f);
        if (rc == 0) {
            pending_t *d = pending_new(ctx, f, kv_buf_slice(&rec), NULL, NULL);
            d->attempts_left = 0; /* a destination's own failure is not chased further */
            d->on_success = d->on_failure = NULL;
            rc = f->reserved == 0 || ctx->invoke(ctx->runner, &d->inv) < 0 ? KV_EBUSY : 0;
            if (rc < 0)
                pending_free(d);
        }
        kv_arena_free(a);
    } else if (api_msg_is_target(kv_slice_str(dest))) {
        /* EventBridge: the record is the detail of Lambda's event, its resource the function */
        char arn[300];
        const char *why = NULL;
        api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%s:%s", inv->function,
                      inv->version ? inv->version : "$LATEST");
        rc = api_msg_deliver(ctx, kv_slice_str(dest), kv_buf_slice(&rec), "lambda",
                             strcmp(condition, "Success") == 0
                                 ? "Lambda Function Invocation Result - Success"
                                 : "Lambda Function Invocation Result - Failure",
                             kv_slice_str(arn), &why);
        if (dest_busy(rc)) {
            kv_buf_dispose(&rec);
            return rc; /* busy: the caller may send it again later */
        }
        if (rc < 0 && why)
            KV_LOG_WARN("lambda: %s record of %s refused by %s: %s", condition, inv->function, dest,
                        why);
    }
    if (rc < 0)
        KV_LOG_WARN("lambda: %s record of %s not delivered to %s: %s", condition, inv->function,
                    dest, kv_err_name(rc));
    kv_buf_dispose(&rec);
    return rc;
}

/* Send a finished asynchronous invocation's record to its destination (async-invoke job).
 * @return 0, or KV_EBUSY when a queue, topic or bus should get it again later. */
static int send_destination(pending_t *p, const char *dest, const char *condition)
{
    int rc = lambda_async_destination(p->ctx, &p->inv, p->attempts, dest, condition);
    if (!dest_busy(rc) || !api_msg_is_target(kv_slice_str(dest)))
        return 0;
    if (++p->dest_tries < DEST_TRIES) {
        KV_LOG_INFO("lambda: %s record of %s: destination %s busy (%s), sent again later",
                    condition, p->inv.function, dest, kv_err_name(rc));
        return KV_EBUSY;
    }
    KV_LOG_WARN("lambda: %s record of %s not delivered to %s: %s", condition, p->inv.function, dest,
                kv_err_name(rc));
    return 0;
}

/* Keep p for another send of its record later (esm_t.dq_head). */
static void dest_later(pending_t *p, const char *dest, const char *condition)
{
    esm_t *e = esm_of(p->ctx);
    p->dest = dest;
    p->condition = condition;
    int64_t back = 200 * (int64_t)p->dest_tries;
    p->dest_at_ms = kv_now_ms() + (back > 10000 ? 10000 : back);
    p->next = e->dq_head;
    e->dq_head = p;
}

/* Send the records that are due again; @return ms until the next is due, -1: none left. */
static int dest_retry(esm_t *e)
{
    int64_t now = kv_now_ms(), next = -1;
    pending_t *keep = NULL, *p = e->dq_head;
    e->dq_head = NULL;
    while (p) {
        pending_t *n = p->next;
        if (p->dest_at_ms <= now && send_destination(p, p->dest, p->condition) == 0) {
            pending_free(p);
        } else {
            if (p->dest_at_ms <= now) { /* busy again */
                int64_t back = 200 * (int64_t)p->dest_tries;
                p->dest_at_ms = now + (back > 10000 ? 10000 : back);
            }
            p->next = keep;
            keep = p;
            if (next < 0 || p->dest_at_ms - now < next)
                next = p->dest_at_ms - now;
        }
        p = n;
    }
    e->dq_head = keep;
    return (int)next;
}

/* A finished Event invocation (async-invoke job): retried after an error (twice by default)
 * while the event is young enough, then its record goes to the destination for its outcome. */
static void async_finished(pending_t *p)
{
    api_invocation_t *inv = &p->inv;
    p->attempts++;
    bool expired = kv_now_ms() - p->queued_ms > p->max_age_ms;
    if (inv->outcome != API_INV_OK && !expired && p->attempts_left-- > 0) {
        kv_buf_reset(&inv->result);
        kv_buf_reset(&inv->log);
        if (p->ctx->invoke(p->ctx->runner, inv) == 0)
            return;
    }
    if (inv->outcome != API_INV_OK)
        KV_LOG_WARN("lambda: asynchronous invocation %s of %s failed: %.*s", inv->request_id,
                    inv->function, (int)(inv->result.len > 300 ? 300 : inv->result.len),
                    (const char *)inv->result.p);
    const char *dest = inv->outcome == API_INV_OK ? p->on_success : p->on_failure;
    const char *cond = inv->outcome == API_INV_OK ? "Success"
                       : expired                  ? "EventAgeExceeded"
                                                  : "RetriesExhausted";
    if (dest && send_destination(p, dest, cond) == KV_EBUSY) {
        dest_later(p, dest, cond);
        return;
    }
    pending_free(p);
}

int lambda_async_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)state;
    esm_t *e = esm_of(ctx);
    for (unsigned k = 0; k < budget; k++) {
        pthread_mutex_lock(&e->aq_lock);
        pending_t *p = e->aq_head;
        if (p) {
            e->aq_head = p->next;
            if (e->aq_head == NULL)
                e->aq_tail = NULL;
        }
        pthread_mutex_unlock(&e->aq_lock);
        if (p == NULL) /* until the runner finishes another, or a busy destination's turn */
            return e->dq_head ? dest_retry(e) : -1;
        p->next = NULL;
        async_finished(p);
    }
    return 0;
}

void lambda_async_free(esm_t *e)
{
    size_t n = 0;
    while (e->aq_head) {
        pending_t *p = e->aq_head;
        e->aq_head = p->next;
        pending_free(p);
        n++;
    }
    e->aq_tail = NULL;
    while (e->dq_head) {
        pending_t *p = e->dq_head;
        e->dq_head = p->next;
        KV_LOG_WARN("lambda: %s record of %s not delivered to %s before shutdown", p->condition,
                    p->inv.function, p->dest);
        pending_free(p);
    }
    if (n)
        KV_LOG_WARN("lambda: %zu finished asynchronous invocations not followed up at shutdown", n);
}

static void on_invoked(api_invocation_t *inv)
{
    pending_t *p = inv->done_arg;
    if (p->resp == NULL) {
        /* Event: the retries and destinations run in the async-invoke job, not here. */
        api_ctx_t *ctx = p->ctx;
        esm_t *e = esm_of(ctx);
        p->next = NULL;
        pthread_mutex_lock(&e->aq_lock);
        if (e->aq_tail)
            e->aq_tail->next = p;
        else
            e->aq_head = p;
        e->aq_tail = p;
        pthread_mutex_unlock(&e->aq_lock);
        api_sched_kick(ctx, "async-invoke");
        return;
    }
    finish_sync(p);
    lambda_handoff_done(&p->hand, inv, p->a); /* p itself lives in the request's arena */
}

void lambda_handoff_init(lambda_handoff_t *h)
{
    pthread_mutex_init(&h->lock, NULL);
    h->state = P_WAITING;
}

bool lambda_hold(api_resp_t *resp, api_released_cb cb, void *arg)
{
    lambda_handoff_t *h = resp->_pending;
    pthread_mutex_lock(&h->lock);
    bool hold = h->state != P_DONE;
    if (hold) {
        h->cb = cb;
        h->cb_arg = arg;
        h->state = P_HELD;
    }
    pthread_mutex_unlock(&h->lock);
    return hold;
}

void lambda_handoff_done(lambda_handoff_t *h, api_invocation_t *inv, kv_arena_t *a)
{
    pthread_mutex_lock(&h->lock);
    api_released_cb cb = h->state == P_HELD ? h->cb : NULL;
    void *arg = h->cb_arg;
    h->state = P_DONE;
    pthread_mutex_unlock(&h->lock);
    kv_buf_dispose(&inv->result);
    kv_buf_dispose(&inv->log);
    kv_arena_free(a);
    if (cb)
        cb(arg, 0);
}

/* An invocation of f on payload under request id rid (NULL: a new one), everything the runner
 * reads in its own arena (req NULL: an Event invocation, owned by the runner until it
 * finishes). */
static pending_t *pending_new(api_ctx_t *ctx, const eng_function_t *f, kv_slice_t payload,
                              const char *rid, api_req_t *req)
{
    /* Everything the runner reads goes into the invocation's own arena. */
    kv_arena_t *a = kv_arena_new(payload.len + 16384);
    bool async = req == NULL;
    pending_t *p = async ? kv_calloc(1, sizeof(*p)) : kv_arena_calloc(req->arena, 1, sizeof(*p));
    p->a = a;
    p->ctx = ctx;
    /* Event: the function's asynchronous settings. */
    evcfg_t c;
    lambda_evcfg_read(a, f->event_config, &c);
    p->attempts_left = c.retries >= 0 ? (int)c.retries : LAMBDA_ASYNC_RETRIES;
    p->queued_ms = kv_now_ms();
    p->max_age_ms = (c.max_age_s >= 0 ? c.max_age_s : LAMBDA_ASYNC_AGE_MAX) * 1000;
    p->on_success = c.on_success;
    p->on_failure = c.on_failure;
    lambda_handoff_init(&p->hand);
    api_invocation_t *inv = &p->inv;
    lambda_inv_fill(ctx, f, payload, rid, a, inv);
    inv->done = on_invoked;
    inv->done_arg = p;
    return p;
}

int lambda_op_invoke(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw)
{
    lambda_target_t t;
    eng_function_t *f;
    if (lambda_target(ctx, req, resp, raw, &t) < 0 ||
        lambda_target_pick(ctx, req, resp, &t, &f) < 0)
        return -1;
    kv_slice_t type = api_req_header(req, "X-Amz-Invocation-Type");
    kv_slice_t log = api_req_header(req, "X-Amz-Log-Type");
    bool async = kv_slice_eq_str(type, "Event");
    if (type.len && !async && !kv_slice_eq_str(type, "RequestResponse") &&
        !kv_slice_eq_str(type, "DryRun"))
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value '%.*s' at 'invocationType' failed to "
                          "satisfy constraint: Member must satisfy enum value set: [Event, "
                          "RequestResponse, DryRun]",
                          (int)(type.len > 64 ? 64 : type.len), (const char *)type.p);
    if (log.len && !kv_slice_eq_str(log, "Tail") && !kv_slice_eq_str(log, "None"))
        return api_refuse(
            resp, API_E_LAMBDA_VALIDATION,
            "1 validation error detected: Value '%.*s' at 'logType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [None, Tail]",
            (int)(log.len > 64 ? 64 : log.len), (const char *)log.p);
    kv_slice_t payload = kv_buf_slice(&req->_st->body);
    if (payload.len == 0)
        payload = KV_SLICE_LIT("{}");
    if (kv_slice_eq_str(type, "DryRun")) {
        resp->status = 204;
        return 0;
    }
    if (async && payload.len > ASYNC_PAYLOAD_MAX)
        return api_refuse(resp, API_E_LAMBDA_TOO_LARGE,
                          "Request must be smaller than %u bytes for the InvokeAsync operation",
                          ASYNC_PAYLOAD_MAX);
    if (ctx->invoke == NULL)
        return api_refuse(resp, API_E_LAMBDA_SERVICE, "Functions cannot run in this process");
    /* ClientContext: up to 3583 bytes of base64 over a JSON object, given to the function's
     * context on synchronous invocations only. */
    kv_slice_t cc_raw = api_req_header(req, "X-Amz-Client-Context");
    kv_slice_t cc = KV_SLICE_NULL;
    if (cc_raw.len) {
        if (cc_raw.len > CLIENT_CONTEXT_MAX)
            return api_refuse(resp, API_E_LAMBDA_INVALID_REQUEST,
                              "Client context must be at most %u bytes of base64-encoded data.",
                              CLIENT_CONTEXT_MAX);
        kv_buf_t d;
        kv_buf_init(&d, cc_raw.len);
        api_json_t *doc = NULL;
        const char *err;
        bool ok = kv_b64_decode(&d, cc_raw) &&
                  api_json_parse(req->arena, kv_buf_slice(&d), &doc, &err) == 0 &&
                  api_json_type(doc) == API_J_OBJ;
        if (ok) {
            /* One header line: bytes a JSON text has outside its strings may be CR or LF. */
            cc = kv_arena_dup(req->arena, kv_buf_slice(&d));
            for (size_t i = 0; i < cc.len; i++)
                if (cc.p[i] == '\r' || cc.p[i] == '\n')
                    ((uint8_t *)(uintptr_t)cc.p)[i] = ' ';
        }
        kv_buf_dispose(&d);
        if (!ok)
            return api_refuse(resp, API_E_LAMBDA_INVALID_REQUEST,
                              "Client context must be a valid Base64-encoded JSON object.");
    }
    /* The invocation runs under the Invoke's request id (the function's aws_request_id), as
     * on Lambda, so that a client can find its log lines. */
    pending_t *p = pending_new(ctx, f, payload, req->_st->request_id, async ? NULL : req);
    p->tail = kv_slice_eq_str(log, "Tail");
    if (t.qual)
        p->inv.invoked_arn =
            api_arn_new(p->a, "lambda", ctx->region, "function:%s:%s", p->inv.function, t.qual);
    if (cc.len && !async)
        p->inv.client_context = kv_arena_strndup(p->a, cc.p, cc.len);
    if (f->reserved == 0)
        return pending_free_or(p, async), api_refuse(resp, API_E_LAMBDA_TOO_MANY, "Rate Exceeded.");
    if (!async) {
        p->req = req;
        p->resp = resp;
        resp->_pending = p;
    }
    if (ctx->invoke(ctx->runner, &p->inv) < 0) {
        resp->_pending = NULL;
        pending_free_or(p, async);
        return api_refuse(resp, API_E_LAMBDA_SERVICE, "The function runner is stopping");
    }
    if (async)
        resp->status = 202;
    return 0;
}
