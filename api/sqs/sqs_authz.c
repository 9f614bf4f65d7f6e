/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQS authorization (issue 15, package L2): each operation's IAM action and resource (the
 * queue's ARN; "*" for ListQueues), its condition keys (aws:RequestTag, aws:TagKeys,
 * aws:ResourceTag) and the queue's Policy attribute as its resource policy, asked once the
 * request is decoded (JSON and query protocols alike), before the operation runs; and
 * api_sqs_policy for the senders (api_msg_permitted).
 */
#include <string.h>

#include "api_msg_authz.h"
#include "base/kv_b64.h"
#include "sqs_int.h"

/* The IAM action of an operation: the batch operations are their single-message action. */
static const char *op_action(int op)
{
    switch (op) {
    case SQS_OP_send_message_batch:
        return "sqs:SendMessage";
    case SQS_OP_delete_message_batch:
        return "sqs:DeleteMessage";
    case SQS_OP_change_message_visibility_batch:
        return "sqs:ChangeMessageVisibility";
    default:
        return NULL;
    }
}

/* The queue name a request names: QueueName (CreateQueue, GetQueueUrl), a source queue's ARN
 * (message move tasks), or the last segment of QueueUrl. Empty when it names none. */
static kv_slice_t queue_name(kv_arena_t *a, int op, const api_json_t *in)
{
    if (op == SQS_OP_create_queue || op == SQS_OP_get_queue_url)
        return api_json_str(api_json_get(in, "QueueName"));
    if (op == SQS_OP_start_message_move_task || op == SQS_OP_list_message_move_tasks ||
        op == SQS_OP_cancel_message_move_task) {
        kv_slice_t arn = api_json_str(api_json_get(in, "SourceArn"));
        if (op == SQS_OP_cancel_message_move_task) {
            /* the task's source queue, from its handle (base64 of {"taskId", "sourceArn"}, as
             * StartMessageMoveTask makes it), whether or not the task is still known */
            kv_slice_t h = api_json_str(api_json_get(in, "TaskHandle"));
            arn = KV_SLICE_NULL;
            kv_buf_t raw;
            kv_buf_init(&raw, 1024);
            api_json_t *doc;
            const char *err;
            if (h.len && h.len <= 1024 && kv_b64_decode(&raw, h) &&
                api_json_parse(a, kv_buf_slice(&raw), &doc, &err) == 0) {
                kv_slice_t src = api_json_str(api_json_get(doc, "sourceArn"));
                arn = kv_slice_str(kv_arena_strndup(a, src.p, src.len));
            }
            kv_buf_dispose(&raw);
            if (arn.len == 0)
                return KV_SLICE_LIT("*"); /* names no queue: authorized on every resource */
        }
        api_arn_t parts;
        if (!api_arn_parse(arn, &parts) || !kv_slice_eq_str(parts.service, "sqs"))
            return KV_SLICE_NULL;
        return parts.resource;
    }
    kv_slice_t url = api_json_str(api_json_get(in, "QueueUrl"));
    size_t i = url.len;
    while (i > 0 && url.p[i - 1] != '/')
        i--;
    return kv_slice(url.p + i, url.len - i);
}

/* Tags a request sets (CreateQueue's tags, TagQueue's Tags: a map) and removes (UntagQueue's
 * TagKeys: a list). */
static bool request_tags(msg_keys_t *ks, int op, const api_json_t *in)
{
    size_t before = ks->n;
    if (op == SQS_OP_untag_queue) {
        const api_json_t *keys = api_json_get(in, "TagKeys");
        size_t n = api_json_type(keys) == API_J_ARR ? api_json_len(keys) : 0;
        for (size_t i = 0; i < n && i < 64; i++)
            msg_keys_add(ks, "aws:TagKeys", api_json_str(api_json_at(keys, i)));
        return ks->n > before;
    }
    const api_json_t *tags = api_json_get(in, op == SQS_OP_create_queue ? "tags" : "Tags");
    if (!tags && op == SQS_OP_create_queue)
        tags = api_json_get(in, "Tags");
    if (!tags || api_json_type(tags) != API_J_OBJ)
        return false;
    void *it = NULL;
    const char *k;
    api_json_t *v;
    size_t n = 0;
    while (n++ < 64 && api_json_next(tags, &it, &k, &v))
        msg_keys_request_tag(ks, kv_slice_str(k), api_json_str(v));
    return ks->n > before;
}

int sqs_authorize(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, const api_json_t *in)
{
    if (msg_root(req))
        return msg_authorize_root(ctx, req, resp);
    if (op < 0 || op >= SQS_OP__COUNT)
        return 0; /* refused as an unknown action */
    const char *action = op_action(op);
    if (op == SQS_OP_list_queues)
        return msg_authorize(ctx, req, resp, action, KV_SLICE_LIT("*"), KV_SLICE_NULL, NULL);
    kv_arena_t *a = req->arena;
    kv_slice_t name = queue_name(a, op, in);
    if (kv_slice_eq_str(name, "*")) /* a task handle that names no queue */
        return msg_authorize(ctx, req, resp, action, name, KV_SLICE_NULL, NULL);
    if (name.len == 0 || name.len > SQS_NAME_MAX || memchr(name.p, ':', name.len))
        return 0; /* names no queue: the operation refuses it (and answers no success) */
    kv_slice_t arn = kv_slice_str(
        api_arn_new(a, "sqs", ctx->region, "%.*s", (int)name.len, (const char *)name.p));
    msg_keys_t ks = {.a = a};
    kv_slice_t policy = KV_SLICE_NULL;
    sqs_queue_t *q = sqs_queue_get(sqs_state(ctx), name);
    if (q) {
        pthread_mutex_lock(&q->lock);
        if (q->policy)
            policy = kv_slice_str(kv_arena_strndup(a, q->policy, strlen(q->policy)));
        for (size_t i = 0; i < q->n_tags && i < 64; i++)
            msg_keys_resource_tag(
                &ks, kv_slice_str(kv_arena_strndup(a, q->tag_k[i], strlen(q->tag_k[i]))),
                kv_slice_str(kv_arena_strndup(a, q->tag_v[i], strlen(q->tag_v[i]))));
        pthread_mutex_unlock(&q->lock);
        sqs_queue_put(q);
    }
    bool tagged = false;
    if (op == SQS_OP_create_queue || op == SQS_OP_tag_queue || op == SQS_OP_untag_queue)
        tagged = request_tags(&ks, op, in);
    if (msg_authorize(ctx, req, resp, action, arn, policy, &ks) < 0)
        return -1;
    /* tagging a queue as it is created needs sqs:TagQueue too */
    if (op == SQS_OP_create_queue && tagged)
        return msg_authorize(ctx, req, resp, "sqs:TagQueue", arn, policy, &ks);
    return 0;
}

int api_sqs_policy(api_ctx_t *ctx, kv_slice_t queue_arn, kv_arena_t *a, kv_slice_t *policy)
{
    sqs_state_t *s = sqs_state(ctx);
    sqs_queue_t *q = s ? sqs_queue_by_arn(s, queue_arn) : NULL;
    *policy = KV_SLICE_NULL;
    if (q == NULL)
        return KV_ENOTFOUND;
    pthread_mutex_lock(&q->lock);
    if (q->policy)
        *policy = kv_slice_str(kv_arena_strndup(a, q->policy, strlen(q->policy)));
    pthread_mutex_unlock(&q->lock);
    sqs_queue_put(q);
    return 0;
}
