/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_msg_deliver: one entry point for the services that hand a JSON document to a queue, a
 * topic or an event bus (S3 notifications, Lambda destinations). It picks the service by the
 * ARN and, for a bus, wraps the document in an EventBridge event. api_msg_permitted: whether
 * an AWS service principal may send to a queue, a topic or a bus (issue 15, package L2).
 */
#include <string.h>

#include "api_int.h"
#include "api_msg.h"
#include "authz/pol.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "codec/api_json_r.h"
#include "codec/api_jw.h"

typedef enum { MSG_NONE, MSG_SQS, MSG_SNS, MSG_EVENTS } msg_kind_t;

static msg_kind_t kind_of(kv_slice_t arn)
{
    api_arn_t a;
    if (!api_arn_parse(arn, &a))
        return MSG_NONE;
    if (kv_slice_eq_str(a.service, "sqs"))
        return MSG_SQS;
    if (kv_slice_eq_str(a.service, "sns"))
        return MSG_SNS;
    kv_slice_t bus;
    if (kv_slice_eq_str(a.service, "events") && api_arn_after(&a, "event-bus/", &bus))
        return MSG_EVENTS;
    return MSG_NONE;
}

bool api_msg_is_target(kv_slice_t arn)
{
    return kind_of(arn) != MSG_NONE;
}

bool api_msg_exists(api_ctx_t *ctx, kv_slice_t arn)
{
    switch (kind_of(arn)) {
    case MSG_SQS:
        return api_sqs_exists(ctx, arn);
    case MSG_SNS:
        return api_sns_exists(ctx, arn);
    case MSG_EVENTS:
        return api_events_exists(ctx, arn);
    default:
        return false;
    }
}

/* The EventBridge event around detail (a JSON object). */
static int event_of(api_ctx_t *ctx, kv_slice_t detail, const char *source, const char *type,
                    kv_slice_t resource, kv_buf_t *out, const char **why)
{
    kv_arena_t *a = kv_arena_new(detail.len + 1024);
    api_json_t *root;
    const char *err;
    bool obj = api_json_parse(a, detail, &root, &err) == 0 && api_json_type(root) == API_J_OBJ;
    kv_arena_free(a);
    if (!obj) {
        if (why)
            *why = "the event's detail is not a JSON object";
        return KV_EINVAL;
    }
    char id[37], when[25];
    kv_uuid4(id);
    kv_time_fmt_iso(kv_now_ms(), when);
    memcpy(when + 19, "Z", 2); /* EventBridge's time has whole seconds */
    api_jw_t w;
    api_jw_init(&w, out);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "version", "0");
    api_jw_kstr(&w, "id", id);
    api_jw_kstr(&w, "detail-type", type ? type : "");
    api_jw_kstr(&w, "source", source ? source : "");
    api_jw_kstr(&w, "account", API_ACCOUNT_ID);
    api_jw_kstr(&w, "time", when);
    api_jw_kstr(&w, "region", ctx->region);
    api_jw_key(&w, "resources");
    api_jw_arr_begin(&w);
    if (resource.len)
        api_jw_str(&w, resource);
    api_jw_arr_end(&w);
    api_jw_key(&w, "detail");
    api_jw_raw(&w, detail);
    api_jw_obj_end(&w);
    return api_jw_ok(&w) ? 0 : KV_ENOMEM;
}

int api_msg_deliver(api_ctx_t *ctx, kv_slice_t arn, kv_slice_t body, const char *ev_source,
                    const char *ev_detail_type, kv_slice_t ev_resource, const char **why)
{
    msg_kind_t k = kind_of(arn);
    if (k == MSG_NONE) {
        if (why)
            *why = "not the ARN of a queue, a topic or an event bus";
        return KV_EINVAL;
    }
    if (k != MSG_EVENTS) {
        api_msg_t m;
        memset(&m, 0, sizeof(m));
        m.body = body;
        if (k == MSG_SQS)
            return api_sqs_send(ctx, arn, &m, NULL, why);
        return api_sns_publish(ctx, arn, &m, NULL, why);
    }
    kv_buf_t ev;
    kv_buf_init(&ev, body.len + 4096);
    int rc = event_of(ctx, body, ev_source, ev_detail_type, ev_resource, &ev, why);
    if (rc == 0)
        rc =
            kv_buf_failed(&ev) ? KV_ENOMEM : api_events_put(ctx, arn, kv_buf_slice(&ev), NULL, why);
    kv_buf_dispose(&ev);
    return rc;
}

/* ---- service principals (issue 15, package L2) ---- */

bool api_msg_permitted(api_ctx_t *ctx, kv_slice_t target, const char *service, const char *action,
                       kv_slice_t source_arn, kv_arena_t *a, const char **why)
{
    kv_slice_t policy = KV_SLICE_NULL;
    int rc;
    switch (kind_of(target)) {
    case MSG_SQS:
        rc = api_sqs_policy(ctx, target, a, &policy);
        break;
    case MSG_SNS:
        rc = api_sns_policy(ctx, target, a, &policy);
        break;
    case MSG_EVENTS:
        rc = api_events_policy(ctx, target, a, &policy);
        break;
    default:
        /* a function's policy is Lambda's to evaluate (package L1); nothing else takes
         * messages from a service */
        if (why)
            *why = "not a queue, a topic or an event bus";
        return false;
    }
    if (rc != 0) {
        if (why)
            *why = "the destination does not exist";
        return false;
    }
    const char *err = NULL;
    const pol_t *p = policy.len ? pol_cached(policy, POL_RESOURCE, a, &err) : NULL;
    if (p == NULL) {
        /* only a resource policy can allow a service principal */
        if (why)
            *why = kv_arena_printf(a, "the resource policy of %.*s does not allow %s to perform %s",
                                   (int)target.len, (const char *)target.p, service, action);
        return false;
    }
    api_principal_t pr;
    memset(&pr, 0, sizeof(pr));
    pr.kind = API_PR_SERVICE;
    pr.service = kv_slice_str(service);
    pr.arn = pr.service;
    kv_slice_t *src = kv_arena_alloc(a, 2 * sizeof(*src));
    src[0] = source_arn;
    src[1] = KV_SLICE_LIT(API_ACCOUNT_ID);
    api_ckey_t keys[2] = {{"aws:SourceArn", &src[0], 1}, {"aws:SourceAccount", &src[1], 1}};
    api_authz_t az;
    memset(&az, 0, sizeof(az));
    az.action = action;
    az.resource = target;
    az.keys = keys;
    az.n_keys = source_arn.len ? 2 : 1;
    if (!source_arn.len)
        keys[0] = keys[1];
    az.res.policy = p;
    az.res.owner_arn = KV_SLICE_LIT("arn:aws:iam::" API_ACCOUNT_ID ":root");
    const char *msg = NULL;
    api_decision_t d = api_decide(ctx, &pr, &az, KV_SLICE_NULL, false, a, &msg);
    if (d == API_ALLOW)
        return true;
    if (why)
        *why = msg ? msg : "refused by the resource policy";
    return false;
}

bool api_msg_deliverable(api_ctx_t *ctx, kv_slice_t target, const char *service, const char *action,
                         kv_slice_t source_arn, kv_arena_t *a, const char **why)
{
    const char *reason = NULL;
    if (api_msg_permitted(ctx, target, service, action, source_arn, a, &reason))
        return true;
    atomic_fetch_add_explicit(&ctx->m.msg_denied, 1, memory_order_relaxed);
    KV_LOG_WARN("%s: %s to %.*s for %.*s refused: %s", service, action, (int)target.len,
                (const char *)target.p, (int)source_arn.len, (const char *)source_arn.p,
                reason ? reason : "refused");
    if (why)
        *why = reason;
    return false;
}
