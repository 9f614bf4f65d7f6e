/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SNS authorization (issue 15, package L2): each operation's IAM action and resource (the
 * topic's ARN, a subscription's topic, "*" for ListTopics and ListSubscriptions), its condition
 * keys (aws:RequestTag, aws:TagKeys, aws:ResourceTag) and the topic's access policy (its Policy
 * attribute, else the default policy every topic has) as its resource policy; and
 * api_sns_policy for the senders (api_msg_permitted).
 */
#include <string.h>

#include "api_msg.h"
#include "api_msg_authz.h"
#include "sns_int.h"

const char *sns_default_policy(api_ctx_t *ctx, kv_arena_t *a, const char *arn)
{
    (void)ctx;
    return kv_arena_printf(
        a,
        "{\"Version\":\"2008-10-17\",\"Id\":\"__default_policy_ID\",\"Statement\":[{\"Sid\":"
        "\"__default_statement_ID\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
        "\"Action\":[\"SNS:GetTopicAttributes\",\"SNS:SetTopicAttributes\","
        "\"SNS:AddPermission\",\"SNS:RemovePermission\",\"SNS:DeleteTopic\",\"SNS:Subscribe\","
        "\"SNS:ListSubscriptionsByTopic\",\"SNS:Publish\"],\"Resource\":\"%s\",\"Condition\":"
        "{\"StringEquals\":{\"AWS:SourceOwner\":\"%s\"}}}]}",
        arn, API_ACCOUNT_ID);
}

/* The topic's policy text (its Policy attribute or the default) and tags into ks; false when
 * there is no such topic. */
static bool topic_facts(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, kv_slice_t *policy,
                        msg_keys_t *ks)
{
    eng_sns_topic_t *t;
    if (eng_sns_topic_get(ctx->eng, name, a, &t) != 0)
        return false;
    const char *p = sns_attr(t->attrs, t->n_attrs, "Policy");
    if (p == NULL || *p == 0)
        p = sns_default_policy(ctx, a, sns_topic_arn(ctx, a, t->name));
    *policy = kv_slice_str(p);
    for (size_t i = 0; ks && i < t->n_tags && i < 64; i++)
        msg_keys_resource_tag(ks, kv_slice_str(t->tags[i].key), kv_slice_str(t->tags[i].value));
    return true;
}

/* Tags a request sets (CreateTopic's and TagResource's Tags: a list of Key/Value) or removes
 * (UntagResource's TagKeys). @return whether it names any. */
static bool request_tags(msg_keys_t *ks, int op, const api_json_t *in)
{
    size_t before = ks->n;
    if (op == SNS_OP_untag_resource) {
        const api_json_t *keys = api_json_get(in, "TagKeys");
        size_t n = keys && api_json_type(keys) == API_J_ARR ? api_json_len(keys) : 0;
        for (size_t i = 0; i < n && i < 64; i++)
            msg_keys_add(ks, "aws:TagKeys", api_json_str(api_json_at(keys, i)));
        return ks->n > before;
    }
    const api_json_t *tags = api_json_get(in, "Tags");
    size_t n = tags && api_json_type(tags) == API_J_ARR ? api_json_len(tags) : 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        const api_json_t *t = api_json_at(tags, i);
        msg_keys_request_tag(ks, sns_str(t, "Key"), sns_str(t, "Value"));
    }
    return ks->n > before;
}

int sns_authorize(sns_call_t *c, int op)
{
    if (msg_root(c->req))
        return msg_authorize_root(c->ctx, c->req, c->resp);
    const char *action = op == SNS_OP_publish_batch ? "sns:Publish" : NULL;
    kv_slice_t topic = KV_SLICE_NULL; /* the topic's name */
    switch (op) {
    case SNS_OP_list_topics:
    case SNS_OP_list_subscriptions:
        return msg_authorize(c->ctx, c->req, c->resp, action, KV_SLICE_LIT("*"), KV_SLICE_NULL,
                             NULL);
    case SNS_OP_create_topic:
        topic = sns_str(c->in, "Name");
        break;
    case SNS_OP_unsubscribe:
    case SNS_OP_get_subscription_attributes:
    case SNS_OP_set_subscription_attributes: {
        kv_slice_t id;
        if (!sns_sub_parts(sns_str(c->in, "SubscriptionArn"), &topic, &id))
            return 0; /* the operation refuses it */
        break;
    }
    case SNS_OP_tag_resource:
    case SNS_OP_untag_resource:
    case SNS_OP_list_tags_for_resource:
        if (!sns_topic_name(sns_str(c->in, "ResourceArn"), &topic))
            return 0;
        break;
    case SNS_OP_publish: {
        kv_slice_t arn = sns_str(c->in, "TopicArn");
        if (arn.p == NULL)
            arn = sns_str(c->in, "TargetArn");
        if (arn.p == NULL) /* a phone number: no resource */
            return msg_authorize(c->ctx, c->req, c->resp, action, KV_SLICE_LIT("*"), KV_SLICE_NULL,
                                 NULL);
        if (!sns_topic_name(arn, &topic))
            return 0;
        break;
    }
    default:
        if (!sns_topic_name(sns_str(c->in, "TopicArn"), &topic))
            return 0;
        break;
    }
    if (topic.len == 0 || topic.len > 256)
        return 0;
    msg_keys_t ks = {.a = c->a};
    kv_slice_t policy = KV_SLICE_NULL;
    const char *name = kv_arena_strndup(c->a, topic.p, topic.len);
    topic_facts(c->ctx, c->a, kv_slice_str(name), &policy, &ks);
    bool tagged = false;
    if (op == SNS_OP_create_topic || op == SNS_OP_tag_resource || op == SNS_OP_untag_resource)
        tagged = request_tags(&ks, op, c->in);
    kv_slice_t arn = kv_slice_str(sns_topic_arn(c->ctx, c->a, name));
    if (msg_authorize(c->ctx, c->req, c->resp, action, arn, policy, &ks) < 0)
        return -1;
    /* tagging a topic as it is created needs sns:TagResource too */
    if (op == SNS_OP_create_topic && tagged)
        return msg_authorize(c->ctx, c->req, c->resp, "sns:TagResource", arn, policy, &ks);
    return 0;
}

int api_sns_policy(api_ctx_t *ctx, kv_slice_t topic_arn, kv_arena_t *a, kv_slice_t *policy)
{
    kv_slice_t name;
    *policy = KV_SLICE_NULL;
    if (!sns_topic_name(topic_arn, &name))
        return KV_ENOTFOUND;
    return topic_facts(ctx, a, name, policy, NULL) ? 0 : KV_ENOTFOUND;
}
