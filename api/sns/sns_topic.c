/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SNS topics: CreateTopic (standard and FIFO, idempotent as SNS is), DeleteTopic, ListTopics,
 * Get/SetTopicAttributes with SNS's checks, and the tagging operations.
 */
#include <stdio.h>
#include <string.h>

#include "authz/pol.h"
#include "base/kv_time.h"
#include "sns_int.h"

/* The attributes a topic keeps as set (FifoTopic is the record's flag). */
static const char *const SETTABLE[] = {
    "DisplayName",
    "Policy",
    "DeliveryPolicy",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "ContentBasedDeduplication",
    "ArchivePolicy",
    "FifoThroughputScope",
    "DataProtectionPolicy",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseSuccessFeedbackSampleRate",
    "FirehoseFailureFeedbackRoleArn",
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
};
#define N_SETTABLE (sizeof(SETTABLE) / sizeof(SETTABLE[0]))

static bool settable(const char *name)
{
    for (size_t i = 0; i < N_SETTABLE; i++)
        if (strcmp(SETTABLE[i], name) == 0)
            return true;
    return false;
}

static bool is_json_object(kv_arena_t *a, kv_slice_t text)
{
    api_json_t *doc;
    const char *err;
    return api_json_parse(a, text, &doc, &err) == 0 && api_json_type(doc) == API_J_OBJ;
}

/* Check one attribute of a topic (fifo: the topic's kind). @return 0 or -1 (refused). */
static int check_attr(sns_call_t *c, bool fifo, const char *name, kv_slice_t v)
{
    if (!settable(name))
        return sns_invalid(c->resp, "AttributeName");
    if (strcmp(name, "Policy") == 0 && !is_json_object(c->a, v))
        return sns_invalid(c->resp, "Policy Error: null");
    if (strcmp(name, "Policy") == 0) {
        /* issue 15 (package L2): the policy language's grammar, as a resource policy */
        const char *err = NULL;
        pol_t *p = pol_parse(v, POL_RESOURCE, c->a, &err);
        if (p == NULL)
            return sns_invalid(c->resp, "Policy Error: %s", err ? err : "null");
        pol_free(p);
    }
    if ((strcmp(name, "DeliveryPolicy") == 0 || strcmp(name, "ArchivePolicy") == 0 ||
         strcmp(name, "DataProtectionPolicy") == 0) &&
        v.len && !is_json_object(c->a, v))
        return sns_invalid(c->resp, "%s: failed to parse JSON", name);
    if (strcmp(name, "DisplayName") == 0 && v.len > 100)
        return sns_invalid(c->resp, "DisplayName");
    if (strcmp(name, "SignatureVersion") == 0 && !kv_slice_eq_str(v, "1") &&
        !kv_slice_eq_str(v, "2"))
        return sns_invalid(c->resp, "SignatureVersion");
    if (strcmp(name, "TracingConfig") == 0 && !kv_slice_eq_str(v, "Active") &&
        !kv_slice_eq_str(v, "PassThrough"))
        return sns_invalid(c->resp, "Attribute TracingConfig");
    if (strcmp(name, "ContentBasedDeduplication") == 0) {
        if (!fifo)
            return sns_invalid(c->resp, "ContentBasedDeduplication Reason: Content based "
                                        "deduplication can only be set for FIFO topics");
        if (!kv_slice_eq_str(v, "true") && !kv_slice_eq_str(v, "false"))
            return sns_invalid(c->resp,
                               "ContentBasedDeduplication Reason: Invalid value [%.*s] "
                               "for ContentBasedDeduplication",
                               (int)v.len, (const char *)v.p);
    }
    if (strcmp(name, "FifoThroughputScope") == 0 &&
        (!fifo || (!kv_slice_eq_str(v, "Topic") && !kv_slice_eq_str(v, "MessageGroup"))))
        return sns_invalid(c->resp, "FifoThroughputScope");
    return 0;
}

/* Set key to value in the list (p, *n, room for cap); an empty value of DisplayName and the
 * policies removes it. */
static void set_pair(kv_arena_t *a, eng_tag_t *p, size_t *n, const char *key, kv_slice_t value)
{
    size_t i = 0;
    while (i < *n && strcmp(p[i].key, key) != 0)
        i++;
    if (i == *n)
        p[(*n)++].key = kv_arena_strndup(a, key, strlen(key));
    p[i].value = kv_arena_strndup(a, value.p, value.len);
}

/* Tags from the request's Tags list into (out, n): SNS's key and value limits. */
static int read_tags(sns_call_t *c, eng_tag_t **out, size_t *n)
{
    const api_json_t *list = api_json_get(c->in, "Tags");
    size_t len = list ? api_json_len(list) : 0;
    *out = kv_arena_calloc(c->a, len + SNS_TAGS_MAX + 1, sizeof(eng_tag_t));
    *n = 0;
    for (size_t i = 0; i < len; i++) {
        const api_json_t *t = api_json_at(list, i);
        kv_slice_t k = sns_str(t, "Key"), v = sns_str(t, "Value");
        if (k.p == NULL || k.len == 0 || k.len > 128)
            return sns_invalid(c->resp, "Tags Reason: Tag key must be between 1 and 128 "
                                        "characters long");
        if (v.p == NULL)
            v = kv_slice("", 0);
        if (v.len > 256)
            return sns_invalid(c->resp, "Tags Reason: Tag value must be at most 256 characters "
                                        "long");
        if (kv_slice_starts_with(k, "aws:"))
            return sns_invalid(c->resp, "Tags Reason: Tag keys must not start with aws:");
        char *key = kv_arena_strndup(c->a, k.p, k.len);
        set_pair(c->a, *out, n, key, v);
    }
    return 0;
}

static bool pairs_equal(const eng_tag_t *a, size_t na, const eng_tag_t *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        const char *v = sns_attr(b, nb, a[i].key);
        if (v == NULL || strcmp(v, a[i].value) != 0)
            return false;
    }
    return true;
}

static bool name_ok(kv_slice_t n, bool *fifo)
{
    *fifo = n.len > 5 && memcmp(n.p + n.len - 5, ".fifo", 5) == 0;
    size_t len = *fifo ? n.len - 5 : n.len;
    if (n.len == 0 || n.len > 256)
        return false;
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = n.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return false;
    }
    return len > 0;
}

int sns_create_topic(sns_call_t *c)
{
    kv_slice_t name = sns_str(c->in, "Name");
    bool fifo_name;
    if (name.p == NULL || !name_ok(name, &fifo_name))
        return sns_invalid(c->resp, "Topic Name");
    const api_json_t *attrs = api_json_get(c->in, "Attributes");
    bool fifo = false;
    size_t na = attrs ? api_json_len(attrs) : 0;
    /* attributes: FifoTopic first (the others' checks depend on it) */
    kv_slice_t ft = sns_str(attrs, "FifoTopic");
    if (ft.p) {
        if (!kv_slice_eq_str(ft, "true") && !kv_slice_eq_str(ft, "false"))
            return sns_invalid(c->resp, "Attributes Reason: FifoTopic must be true or false");
        fifo = kv_slice_eq_str(ft, "true");
    }
    if (fifo != fifo_name)
        return sns_invalid(
            c->resp, "Fifo Topic names must end with .fifo and Standard Topic names must not");
    eng_sns_topic_t t = {.name = kv_arena_strndup(c->a, name.p, name.len), .fifo = fifo};
    t.attrs = kv_arena_calloc(c->a, na + 1, sizeof(eng_tag_t));
    void *it = NULL;
    const char *k;
    api_json_t *v;
    while (attrs && api_json_next(attrs, &it, &k, &v)) {
        if (strcmp(k, "FifoTopic") == 0)
            continue;
        kv_slice_t val = api_json_str(v);
        if (check_attr(c, fifo, k, val) < 0)
            return -1;
        set_pair(c->a, t.attrs, &t.n_attrs, k, val);
    }
    if (read_tags(c, &t.tags, &t.n_tags) < 0)
        return -1;
    if (t.n_tags > SNS_TAGS_MAX) {
        api_fail(c->resp, API_E_SNS_TAG_LIMIT, NULL);
        return -1;
    }
    t.created_ms = kv_now_ms();
    int rc = eng_sns_topic_put(c->ctx->eng, &t, ENG_FN_CREATE);
    if (rc == KV_EEXIST) {
        eng_sns_topic_t *old;
        rc = eng_sns_topic_get(c->ctx->eng, name, c->a, &old);
        if (rc == 0) {
            /* CreateTopic is idempotent: the same attributes (those given) and tags */
            for (size_t i = 0; i < t.n_attrs; i++) {
                const char *ov = sns_attr(old->attrs, old->n_attrs, t.attrs[i].key);
                if (ov == NULL || strcmp(ov, t.attrs[i].value) != 0)
                    return sns_invalid(c->resp, "Attributes Reason: Topic already exists with "
                                                "different attributes");
            }
            if (t.n_tags && !pairs_equal(t.tags, t.n_tags, old->tags, old->n_tags))
                return sns_invalid(c->resp,
                                   "Tags Reason: Topic already exists with different tags");
        }
    } else if (rc == 0) {
        c->resp->durable = true;
    }
    if (rc < 0) {
        api_fail(c->resp, API_E_SNS_INTERNAL, NULL);
        return -1;
    }
    api_xw_elem_str(&c->w, "TopicArn", sns_topic_arn(c->ctx, c->a, t.name));
    return 0;
}

int sns_topic_load(sns_call_t *c, kv_slice_t name, eng_sns_topic_t **t)
{
    int rc = eng_sns_topic_get(c->ctx->eng, name, c->a, t);
    if (rc == KV_ENOTFOUND) {
        api_fail(c->resp, API_E_SNS_NOT_FOUND, "Topic does not exist");
        return -1;
    }
    if (rc < 0) {
        api_fail(c->resp, API_E_SNS_INTERNAL, NULL);
        return -1;
    }
    return 0;
}

/* The topic named by the input's member key (an ARN). NotFound when it is not here. */
static int topic_of(sns_call_t *c, const char *key, eng_sns_topic_t **t)
{
    kv_slice_t arn = sns_str(c->in, key), name;
    if (arn.p == NULL || !sns_topic_name(arn, &name))
        return sns_invalid(c->resp, "%s", key);
    return sns_topic_load(c, name, t);
}

int sns_delete_topic(sns_call_t *c)
{
    kv_slice_t arn = sns_str(c->in, "TopicArn"), name;
    if (arn.p == NULL || !sns_topic_name(arn, &name))
        return sns_invalid(c->resp, "TopicArn");
    int rc = eng_sns_topic_delete(c->ctx->eng, name);
    if (rc < 0 && rc != KV_ENOTFOUND) { /* deleting a topic that is gone succeeds */
        api_fail(c->resp, API_E_SNS_INTERNAL, NULL);
        return -1;
    }
    c->resp->durable = rc == 0;
    return 0;
}

int sns_list_topics(sns_call_t *c)
{
    kv_slice_t after = sns_str(c->in, "NextToken");
    eng_sns_topic_t *ts;
    size_t n;
    bool more;
    if (eng_sns_topic_list(c->ctx->eng, after.p ? after : kv_slice("", 0), SNS_PAGE, c->a, &ts, &n,
                           &more) < 0) {
        api_fail(c->resp, API_E_SNS_INTERNAL, NULL);
        return -1;
    }
    api_xw_open(&c->w, "Topics");
    for (size_t i = 0; i < n; i++) {
        api_xw_open(&c->w, "member");
        api_xw_elem_str(&c->w, "TopicArn", sns_topic_arn(c->ctx, c->a, ts[i].name));
        api_xw_close(&c->w, "member");
    }
    api_xw_close(&c->w, "Topics");
    if (more && n)
        api_xw_elem_str(&c->w, "NextToken", ts[n - 1].name);
    return 0;
}

static const char DEFAULT_DELIVERY[] =
    "{\"http\":{\"defaultHealthyRetryPolicy\":{\"minDelayTarget\":20,\"maxDelayTarget\":20,"
    "\"numRetries\":3,\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,\"numMinDelayRetries\":0,"
    "\"backoffFunction\":\"linear\"},\"disableSubscriptionOverrides\":false,"
    "\"defaultRequestPolicy\":{\"headerContentType\":\"text/plain; charset=UTF-8\"}}}";

int sns_get_topic_attributes(sns_call_t *c)
{
    eng_sns_topic_t *t;
    if (topic_of(c, "TopicArn", &t) < 0)
        return -1;
    const char *arn = sns_topic_arn(c->ctx, c->a, t->name);
    eng_sns_sub_t *subs;
    size_t n;
    bool more;
    size_t pending = 0, confirmed = 0;
    if (eng_sns_sub_list(c->ctx->eng, kv_slice_str(t->name), kv_slice("", 0), SNS_SUBS_SCAN, c->a,
                         &subs, &n, &more) == 0)
        for (size_t i = 0; i < n; i++)
            subs[i].pending ? pending++ : confirmed++;
    eng_tag_t *out = kv_arena_calloc(c->a, t->n_attrs + 12, sizeof(*out));
    size_t m = 0;
    set_pair(c->a, out, &m, "Policy", kv_slice_str(sns_default_policy(c->ctx, c->a, arn)));
    set_pair(c->a, out, &m, "Owner", kv_slice_str(API_ACCOUNT_ID));
    set_pair(c->a, out, &m, "SubscriptionsPending",
             kv_slice_str(kv_arena_printf(c->a, "%zu", pending)));
    set_pair(c->a, out, &m, "TopicArn", kv_slice_str(arn));
    set_pair(c->a, out, &m, "SubscriptionsConfirmed",
             kv_slice_str(kv_arena_printf(c->a, "%zu", confirmed)));
    set_pair(c->a, out, &m, "DisplayName", kv_slice_str(""));
    set_pair(c->a, out, &m, "SubscriptionsDeleted", kv_slice_str("0"));
    if (t->fifo) {
        set_pair(c->a, out, &m, "FifoTopic", kv_slice_str("true"));
        set_pair(c->a, out, &m, "ContentBasedDeduplication", kv_slice_str("false"));
    }
    const char *dp = sns_attr(t->attrs, t->n_attrs, "DeliveryPolicy");
    set_pair(c->a, out, &m, "EffectiveDeliveryPolicy",
             kv_slice_str(dp && dp[0] ? dp : DEFAULT_DELIVERY));
    for (size_t i = 0; i < t->n_attrs; i++)
        if (t->attrs[i].value[0] || strcmp(t->attrs[i].key, "DisplayName") == 0)
            set_pair(c->a, out, &m, t->attrs[i].key, kv_slice_str(t->attrs[i].value));
    sns_xml_map(&c->w, "Attributes", out, m);
    return 0;
}

int sns_set_topic_attributes(sns_call_t *c)
{
    eng_sns_topic_t *t;
    if (topic_of(c, "TopicArn", &t) < 0)
        return -1;
    kv_slice_t name = sns_str(c->in, "AttributeName"), value = sns_str(c->in, "AttributeValue");
    if (name.p == NULL)
        return sns_invalid(c->resp, "AttributeName");
    if (value.p == NULL)
        value = kv_slice("", 0);
    const char *key = kv_arena_strndup(c->a, name.p, name.len);
    if (strcmp(key, "FifoTopic") == 0)
        return sns_invalid(c->resp, "AttributeName Reason: FifoTopic cannot be changed");
    /* an empty value removes an attribute (DisplayName becomes empty) */
    bool clear = value.len == 0 && strcmp(key, "DisplayName") != 0;
    if (clear ? !settable(key) : check_attr(c, t->fifo, key, value) < 0)
        return clear ? sns_invalid(c->resp, "AttributeName") : -1;
    eng_tag_t *p = kv_arena_calloc(c->a, t->n_attrs + 1, sizeof(*p));
    size_t n = 0;
    for (size_t i = 0; i < t->n_attrs; i++)
        if (strcmp(t->attrs[i].key, key) != 0)
            p[n++] = t->attrs[i];
    if (!clear)
        set_pair(c->a, p, &n, key, value);
    t->attrs = p;
    t->n_attrs = n;
    if (eng_sns_topic_put(c->ctx->eng, t, ENG_FN_UPDATE) < 0) {
        api_fail(c->resp, API_E_SNS_NOT_FOUND, "Topic does not exist");
        return -1;
    }
    c->resp->durable = true;
    return 0;
}

/* ---- tags ---- */

static int tagged_topic(sns_call_t *c, eng_sns_topic_t **t)
{
    kv_slice_t arn = sns_str(c->in, "ResourceArn"), name;
    if (arn.p == NULL || !sns_topic_name(arn, &name) ||
        eng_sns_topic_get(c->ctx->eng, name, c->a, t) < 0) {
        api_fail(c->resp, API_E_SNS_RESOURCE_NOT_FOUND, "Resource does not exist");
        return -1;
    }
    return 0;
}

/* Store t with its changed tags (ResourceNotFound when it is gone). */
static int put_tagged(sns_call_t *c, const eng_sns_topic_t *t)
{
    if (eng_sns_topic_put(c->ctx->eng, t, ENG_FN_UPDATE) < 0) {
        api_fail(c->resp, API_E_SNS_RESOURCE_NOT_FOUND, "Resource does not exist");
        return -1;
    }
    c->resp->durable = true;
    return 0;
}

int sns_tag_resource(sns_call_t *c)
{
    eng_sns_topic_t *t;
    if (tagged_topic(c, &t) < 0)
        return -1;
    eng_tag_t *add;
    size_t na;
    if (read_tags(c, &add, &na) < 0)
        return -1;
    eng_tag_t *p = kv_arena_calloc(c->a, t->n_tags + na + 1, sizeof(*p));
    size_t n = t->n_tags;
    if (n)
        memcpy(p, t->tags, n * sizeof(*p));
    for (size_t i = 0; i < na; i++)
        set_pair(c->a, p, &n, add[i].key, kv_slice_str(add[i].value));
    if (n > SNS_TAGS_MAX) {
        api_fail(c->resp, API_E_SNS_TAG_LIMIT, NULL);
        return -1;
    }
    t->tags = p;
    t->n_tags = n;
    return put_tagged(c, t);
}

int sns_untag_resource(sns_call_t *c)
{
    eng_sns_topic_t *t;
    if (tagged_topic(c, &t) < 0)
        return -1;
    const api_json_t *keys = api_json_get(c->in, "TagKeys");
    size_t n = 0;
    for (size_t i = 0; i < t->n_tags; i++) {
        bool drop = false;
        for (size_t k = 0; keys && k < api_json_len(keys) && !drop; k++)
            drop = kv_slice_eq_str(api_json_str(api_json_at(keys, k)), t->tags[i].key);
        if (!drop)
            t->tags[n++] = t->tags[i];
    }
    t->n_tags = n;
    return put_tagged(c, t);
}

int sns_list_tags_for_resource(sns_call_t *c)
{
    eng_sns_topic_t *t;
    if (tagged_topic(c, &t) < 0)
        return -1;
    api_xw_open(&c->w, "Tags");
    for (size_t i = 0; i < t->n_tags; i++) {
        api_xw_open(&c->w, "member");
        api_xw_elem_str(&c->w, "Key", t->tags[i].key);
        api_xw_elem_str(&c->w, "Value", t->tags[i].value);
        api_xw_close(&c->w, "member");
    }
    api_xw_close(&c->w, "Tags");
    return 0;
}
