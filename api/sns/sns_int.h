/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SNS (issue 14): the query protocol's operations on topics and subscriptions, Publish, and
 * the "sns-deliver" job that hands each committed delivery to its subscription's endpoint.
 */
#ifndef SNS_INT_H
#define SNS_INT_H

#include <stdatomic.h>

#include "../api_int.h"
#include "../codec/api_json_r.h"
#include "../codec/api_query.h"
#include "../codec/api_xw.h"
#include "eng_sns.h"

#define SNS_NS        "http://sns.amazonaws.com/doc/2010-03-31/"
#define SNS_MSG_MAX   262144 /* a message with its attributes (and a batch's total) */
#define SNS_PAGE      100    /* ListTopics, ListSubscriptions(ByTopic) */
#define SNS_TAGS_MAX  50
#define SNS_DEDUP_MS  (5 * 60 * 1000)
#define SNS_SUBS_SCAN 100000 /* subscriptions of one topic looked at by Subscribe, Publish */

/* XX(WireName, c_name) */
#define SNS_OP_MAP(XX)                                         \
    XX(CreateTopic, create_topic)                              \
    XX(DeleteTopic, delete_topic)                              \
    XX(ListTopics, list_topics)                                \
    XX(GetTopicAttributes, get_topic_attributes)               \
    XX(SetTopicAttributes, set_topic_attributes)               \
    XX(Subscribe, subscribe)                                   \
    XX(Unsubscribe, unsubscribe)                               \
    XX(ConfirmSubscription, confirm_subscription)              \
    XX(ListSubscriptions, list_subscriptions)                  \
    XX(ListSubscriptionsByTopic, list_subscriptions_by_topic)  \
    XX(GetSubscriptionAttributes, get_subscription_attributes) \
    XX(SetSubscriptionAttributes, set_subscription_attributes) \
    XX(Publish, publish)                                       \
    XX(PublishBatch, publish_batch)                            \
    XX(TagResource, tag_resource)                              \
    XX(UntagResource, untag_resource)                          \
    XX(ListTagsForResource, list_tags_for_resource)

typedef enum sns_op {
#define XX(Name, name) SNS_OP_##name,
    SNS_OP_MAP(XX)
#undef XX
        SNS_OP__COUNT
} sns_op_t;

extern const api_service_t sns_service;

/** One request being served: its input document and the response's XML writer. */
typedef struct sns_call {
    api_ctx_t *ctx;
    api_req_t *req;
    api_resp_t *resp;
    kv_arena_t *a;
    const api_json_t *in;
    api_xw_t w;
} sns_call_t;

/** InvalidParameter with "Invalid parameter: " before the formatted reason. @return -1. */
int sns_invalid(api_resp_t *resp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** A string member of the input (p NULL when absent or not a string). */
kv_slice_t sns_str(const api_json_t *in, const char *key);
/** The topic name of a topic ARN of this account. */
bool sns_topic_name(kv_slice_t arn, kv_slice_t *name);
/** Topic name into *t (in c->a). @return 0, or -1 answered: NotFound ("Topic does not exist")
 * or InternalError. */
int sns_topic_load(sns_call_t *c, kv_slice_t name, eng_sns_topic_t **t);
/** A topic's ARN, in a. */
const char *sns_topic_arn(api_ctx_t *ctx, kv_arena_t *a, const char *name);
/** A subscription's ARN (its topic's ARN, ':', its id), in a. */
const char *sns_sub_arn(api_ctx_t *ctx, kv_arena_t *a, const char *topic, const char *id);
/** The topic and id of a subscription ARN. */
bool sns_sub_parts(kv_slice_t arn, kv_slice_t *topic, kv_slice_t *id);
/** A name/value list's value of key (NULL: none). */
const char *sns_attr(const eng_tag_t *p, size_t n, const char *key);
/** The SignatureVersion topic t signs with (1 or 2; 1 when t is NULL). A message keeps the one
 * its topic had when it was published. */
uint8_t sns_sig_version(const eng_sns_topic_t *t);
/** Write <name><entry><key/><value/></entry>...</name>. */
void sns_xml_map(api_xw_t *w, const char *name, const eng_tag_t *p, size_t n);

/* operations (sns_topic.c, sns_sub.c, sns_pub.c) */
int sns_create_topic(sns_call_t *c);
int sns_delete_topic(sns_call_t *c);
int sns_list_topics(sns_call_t *c);
int sns_get_topic_attributes(sns_call_t *c);
int sns_set_topic_attributes(sns_call_t *c);
int sns_tag_resource(sns_call_t *c);
int sns_untag_resource(sns_call_t *c);
int sns_list_tags_for_resource(sns_call_t *c);
int sns_subscribe(sns_call_t *c);
int sns_unsubscribe(sns_call_t *c);
int sns_confirm_subscription(sns_call_t *c);
int sns_list_subscriptions(sns_call_t *c);
int sns_list_subscriptions_by_topic(sns_call_t *c);
int sns_get_subscription_attributes(sns_call_t *c);
int sns_set_subscription_attributes(sns_call_t *c);
int sns_publish(sns_call_t *c);
int sns_publish_batch(sns_call_t *c);

/**
 * Check a subscription's FilterPolicy for scope ("MessageAttributes" or "MessageBody") as SNS
 * does. @return NULL when valid, else SNS's reason (in a).
 */
const char *sns_filter_check(kv_arena_t *a, kv_slice_t policy, bool body_scope);
/** A message as filter policies see it: its attributes, and the documents built from them
 * (and its body) the first time a policy needs them. Zero it, then set attrs / n_attrs. */
typedef struct sns_filter_in {
    const eng_sns_attr_t *attrs;
    size_t n_attrs;
    bool attrs_done;
    api_json_t *attrs_doc; /* NULL: none (it did not parse: no attributes policy matches) */
    const uint8_t *body_p; /* the body body_doc was parsed from */
    size_t body_len;
    bool body_ok;
    api_json_t *body_doc;
} sns_filter_in_t;

/** The attributes document MessageAttributes-scope policies match: {name: value} with String
 * values as strings, Number values as canonical JSON numbers, String.Array values as arrays
 * (as strings when not a valid array), Binary ones left out. Always valid JSON. */
void sns_filter_attrs_doc(kv_buf_t *out, kv_arena_t *a, const eng_sns_attr_t *attrs,
                          size_t n_attrs);
/** Does message in (its body for this subscription's protocol: body) pass subscription s's
 * filter policy? */
bool sns_filter_match(kv_arena_t *a, const eng_sns_sub_t *s, sns_filter_in_t *in, kv_slice_t body);

/* ---- the delivery job (sns_deliver.c) ---- */

/** The service's state: the delivery job's cursor and its deliveries in flight. */
typedef struct sns_state sns_state_t;
int sns_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state);
void sns_fini(void *state);
int sns_deliver_run(api_ctx_t *ctx, void *state, unsigned budget);
/** Sign a notification's canonical string (SignatureVersion 1: SHA1, 2: SHA256) into out
 * (base64). @return false without a key. */
bool sns_sign(api_ctx_t *ctx, int version, kv_slice_t canonical, kv_buf_t *out);
/** The PEM certificate SigningCertURL serves (NULL: none). */
kv_slice_t sns_cert_pem(api_ctx_t *ctx);

/* sns_authz.c (issue 15, package L2) */
/** Authorize the decoded operation op: its action, the topic's ARN and access policy, tag
 * keys. @return 0 allowed (or naming no topic: the operation refuses it), -1 refused with the
 * error set. */
int sns_authorize(sns_call_t *c, int op);
/** The access policy a topic has when none was set (AWS's default topic policy), in a. */
const char *sns_default_policy(api_ctx_t *ctx, kv_arena_t *a, const char *arn);

#endif
