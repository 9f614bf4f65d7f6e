/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_msg_deliver: one entry point for the services that hand a JSON document to a queue, a
 * topic or an event bus (S3 notifications, Lambda destinations). It picks the service by the
 * ARN and, for a bus, wraps the document in an EventBridge event.
 */
#include <string.h>

#include "api_int.h"
#include "api_msg.h"
#include "base/kv_hash.h"
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
