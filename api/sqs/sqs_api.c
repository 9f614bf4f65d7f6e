/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQS over the AWS JSON 1.0 protocol (X-Amz-Target AmazonSQS.<Op>; the query protocol's
 * decoding and encoding around the same operations are sqs_query.c): the service row, the
 * queue registry (every queue in memory, loaded at open), and the queue operations (create,
 * URL, list, delete, attributes, tags, dead-letter sources). Each operation decodes its JSON
 * input into C values, executes on the registry and the engine, and encodes its output with
 * the JSON writer; errors carry the query protocol's code in x-amzn-query-error
 * (awsQueryCompatible), from which botocore takes the legacy codes.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "authz/pol.h"
#include "base/kv_alloc.h"
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "sqs_int.h"

/* ---- the registry ---- */

sqs_state_t *sqs_state(api_ctx_t *ctx)
{
    return api_service_state(ctx, &sqs_service);
}

static size_t reg_pos(sqs_state_t *s, kv_slice_t name, bool *found)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = kv_slice_cmp(kv_slice_str(s->q[mid]->name), name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

sqs_queue_t *sqs_queue_get(sqs_state_t *s, kv_slice_t name)
{
    pthread_rwlock_rdlock(&s->lock);
    bool found;
    size_t i = reg_pos(s, name, &found);
    sqs_queue_t *q = found ? s->q[i] : NULL;
    if (q)
        atomic_fetch_add(&q->refs, 1);
    pthread_rwlock_unlock(&s->lock);
    return q;
}

static void queue_free(sqs_queue_t *q)
{
    sqs_index_free(q);
    kv_free(q->policy);
    kv_free(q->redrive);
    kv_free(q->redrive_allow);
    kv_free(q->kms_key);
    kv_free(q->dlq_arn);
    for (size_t i = 0; i < q->n_tags; i++) {
        kv_free(q->tag_k[i]);
        kv_free(q->tag_v[i]);
    }
    kv_free(q->tag_k);
    kv_free(q->tag_v);
    pthread_mutex_destroy(&q->lock);
    pthread_mutex_destroy(&q->set_lock);
    kv_free(q);
}

void sqs_queue_put(sqs_queue_t *q)
{
    if (q && atomic_fetch_sub(&q->refs, 1) == 1)
        queue_free(q);
}

void sqs_queue_arn(api_ctx_t *ctx, const sqs_queue_t *q, char *out, size_t cap)
{
    api_arn_write(out, cap, "sqs", ctx->region, "%s", q->name);
}

sqs_queue_t *sqs_queue_by_arn(sqs_state_t *s, kv_slice_t arn)
{
    api_arn_t a;
    if (!api_arn_parse(arn, &a) || !kv_slice_eq_str(a.service, "sqs") ||
        !kv_slice_eq_str(a.region, s->ctx->region) || !kv_slice_eq_str(a.account, API_ACCOUNT_ID))
        return NULL;
    return sqs_queue_get(s, a.resource);
}

int sqs_refuse(api_resp_t *resp, api_err_t e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = kv_arena_vprintf(resp->_arena, fmt, ap);
    va_end(ap);
    return api_refuse(resp, e, "%s", m);
}

/* ---- settings ---- */

static bool parse_uint(kv_slice_t v, unsigned lo, unsigned hi, unsigned *out)
{
    uint64_t x;
    if (v.len == 0 || v.len > 10 || !kv_slice_to_u64(v, &x) || x < lo || x > hi)
        return false;
    *out = (unsigned)x;
    return true;
}

static bool parse_bool(kv_slice_t v, bool *out)
{
    if (kv_slice_eq_nocase(v, "true"))
        *out = true;
    else if (kv_slice_eq_nocase(v, "false"))
        *out = false;
    else
        return false;
    return true;
}

static char *dup_slice(kv_slice_t v)
{
    return v.len ? kv_strndup((const char *)v.p, v.len) : NULL;
}

static void set_str(char **dst, kv_slice_t v)
{
    kv_free(*dst);
    *dst = dup_slice(v);
}

/* The settings one request changes, applied to a queue's copy before it is stored. */
typedef struct settings {
    unsigned delay_s, max_size, retention_s, wait_s, vis_s, kms_reuse_s;
    bool cbd, sse, dedup_per_group, tput_per_group;
    char *policy, *redrive, *redrive_allow, *kms_key, *dlq_arn;
    unsigned max_receives;
} settings_t;

static void settings_from(settings_t *st, const sqs_queue_t *q)
{
    st->delay_s = q->delay_s;
    st->max_size = q->max_size;
    st->retention_s = q->retention_s;
    st->wait_s = q->wait_s;
    st->vis_s = q->vis_s;
    st->kms_reuse_s = q->kms_reuse_s;
    st->cbd = q->cbd;
    st->sse = q->sse;
    st->dedup_per_group = q->dedup_per_group;
    st->tput_per_group = q->tput_per_group;
    st->policy = q->policy ? kv_strdup(q->policy) : NULL;
    st->redrive = q->redrive ? kv_strdup(q->redrive) : NULL;
    st->redrive_allow = q->redrive_allow ? kv_strdup(q->redrive_allow) : NULL;
    st->kms_key = q->kms_key ? kv_strdup(q->kms_key) : NULL;
    st->dlq_arn = q->dlq_arn ? kv_strdup(q->dlq_arn) : NULL;
    st->max_receives = q->max_receives;
}

static void settings_to(sqs_queue_t *q, settings_t *st)
{
    q->delay_s = st->delay_s;
    q->max_size = st->max_size;
    q->retention_s = st->retention_s;
    q->wait_s = st->wait_s;
    q->vis_s = st->vis_s;
    q->kms_reuse_s = st->kms_reuse_s;
    q->cbd = st->cbd;
    q->sse = st->sse;
    q->dedup_per_group = st->dedup_per_group;
    q->tput_per_group = st->tput_per_group;
    kv_free(q->policy);
    kv_free(q->redrive);
    kv_free(q->redrive_allow);
    kv_free(q->kms_key);
    kv_free(q->dlq_arn);
    q->policy = st->policy;
    q->redrive = st->redrive;
    q->redrive_allow = st->redrive_allow;
    q->kms_key = st->kms_key;
    q->dlq_arn = st->dlq_arn;
    q->max_receives = st->max_receives;
    memset(st, 0, sizeof(*st));
}

static void settings_dispose(settings_t *st)
{
    kv_free(st->policy);
    kv_free(st->redrive);
    kv_free(st->redrive_allow);
    kv_free(st->kms_key);
    kv_free(st->dlq_arn);
    memset(st, 0, sizeof(*st));
}

static void settings_default(settings_t *st)
{
    memset(st, 0, sizeof(*st));
    st->max_size = SQS_MSG_MAX;
    st->retention_s = 345600;
    st->vis_s = 30;
    st->kms_reuse_s = 300;
    st->sse = true;
}

/* Apply one attribute to st. 0, or -1 with the SQS error recorded in resp. */
static int apply_attr(api_ctx_t *ctx, api_resp_t *resp, settings_t *st, bool fifo, bool creating,
                      const char *qname, const char *name, kv_slice_t v)
{
    sqs_state_t *s = sqs_state(ctx);
#define BAD_VALUE() \
    sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE, "Invalid value for the parameter %s.", name)
    if (strcmp(name, "DelaySeconds") == 0)
        return parse_uint(v, 0, 900, &st->delay_s) ? 0 : BAD_VALUE();
    if (strcmp(name, "MaximumMessageSize") == 0)
        return parse_uint(v, 1024, SQS_MSG_MAX, &st->max_size) ? 0 : BAD_VALUE();
    if (strcmp(name, "MessageRetentionPeriod") == 0)
        return parse_uint(v, 60, 1209600, &st->retention_s) ? 0 : BAD_VALUE();
    if (strcmp(name, "ReceiveMessageWaitTimeSeconds") == 0)
        return parse_uint(v, 0, SQS_WAIT_MAX_S, &st->wait_s) ? 0 : BAD_VALUE();
    if (strcmp(name, "VisibilityTimeout") == 0)
        return parse_uint(v, 0, SQS_VIS_MAX_S, &st->vis_s) ? 0 : BAD_VALUE();
    if (strcmp(name, "KmsDataKeyReusePeriodSeconds") == 0)
        return parse_uint(v, 60, 86400, &st->kms_reuse_s) ? 0 : BAD_VALUE();
    if (strcmp(name, "KmsMasterKeyId") == 0) {
        if (v.len > 2048)
            return BAD_VALUE();
        set_str(&st->kms_key, v);
        if (v.len)
            st->sse = false;
        return 0;
    }
    if (strcmp(name, "SqsManagedSseEnabled") == 0) {
        if (!parse_bool(v, &st->sse))
            return BAD_VALUE();
        if (st->sse && st->kms_key)
            return sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE,
                              "Invalid value for the parameter SqsManagedSseEnabled. Reason: You "
                              "can use one type of server-side encryption (SSE) at one time.");
        return 0;
    }
    if (strcmp(name, "Policy") == 0) {
        if (v.len) {
            api_json_t *j;
            const char *err;
            kv_arena_t *a = kv_arena_new(4096);
            bool ok = v.len <= 20480 && api_json_parse(a, v, &j, &err) == 0 &&
                      api_json_type(j) == API_J_OBJ;
            /* issue 15 (package L2): the policy language's grammar, as a resource policy */
            pol_t *p = ok ? pol_parse(v, POL_RESOURCE, a, &err) : NULL;
            ok = p != NULL;
            pol_free(p);
            kv_arena_free(a);
            if (!ok)
                return sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE,
                                  "Invalid value for the parameter Policy.");
        }
        set_str(&st->policy, v);
        return 0;
    }
    if (strcmp(name, "RedrivePolicy") == 0) {
        if (v.len == 0) {
            set_str(&st->redrive, v);
            set_str(&st->dlq_arn, v);
            st->max_receives = 0;
            return 0;
        }
        kv_arena_t *a = kv_arena_new(4096);
        api_json_t *j;
        const char *err;
        int rc = 0;
        if (api_json_parse(a, v, &j, &err) < 0 || api_json_type(j) != API_J_OBJ) {
            rc = sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE,
                            "Invalid value for the parameter RedrivePolicy. Reason: Redrive "
                            "policy is not a valid JSON map.");
            goto out;
        }
        api_json_t *t = api_json_get(j, "deadLetterTargetArn");
        api_json_t *mr = api_json_get(j, "maxReceiveCount");
        int64_t n = 0;
        double d;
        if (!t || api_json_type(t) != API_J_STR || !mr) {
            rc = sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE,
                            "Value %.*s for parameter RedrivePolicy is invalid. Reason: Redrive "
                            "policy does not contain mandatory attribute: %s.",
                            (int)(v.len > 512 ? 512 : v.len), (const char *)v.p,
                            !t ? "deadLetterTargetArn" : "maxReceiveCount");
            goto out;
        }
        if (api_json_type(mr) == API_J_STR) {
            uint64_t x;
            n = kv_slice_to_u64(api_json_str(mr), &x) ? (int64_t)x : -1;
        } else if (!api_json_int(mr, &n)) {
            n = api_json_num(mr, &d) ? -1 : -1;
        }
        if (n < 1 || n > 1000) {
            rc = sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE,
                            "Value %.*s for parameter RedrivePolicy is invalid. Reason: Invalid "
                            "value for maxReceiveCount: %lld, valid values are from 1 to 1000 "
                            "both inclusive.",
                            (int)(v.len > 512 ? 512 : v.len), (const char *)v.p, (long long)n);
            goto out;
        }
        kv_slice_t arn = api_json_str(t);
        sqs_queue_t *dq = sqs_queue_by_arn(s, arn);
        if (!dq) {
            rc = sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE,
                            "Value %.*s for parameter RedrivePolicy is invalid. Reason: Dead "
                            "letter target does not exist.",
                            (int)(v.len > 512 ? 512 : v.len), (const char *)v.p);
            goto out;
        }
        bool same = dq->fifo == fifo;
        bool self = strcmp(dq->name, qname) == 0;
        /* the target's RedriveAllowPolicy */
        bool allowed = true;
        pthread_mutex_lock(&dq->lock);
        if (dq->redrive_allow) {
            char src[256];
            api_arn_write(src, sizeof(src), "sqs", ctx->region, "%s", qname);
            kv_arena_t *b = kv_arena_new(1024);
            api_json_t *ra;
            if (api_json_parse(b, kv_slice_str(dq->redrive_allow), &ra, &err) == 0) {
                kv_slice_t perm = api_json_str(api_json_get(ra, "redrivePermission"));
                if (kv_slice_eq_str(perm, "denyAll")) {
                    allowed = false;
                } else if (kv_slice_eq_str(perm, "byQueue")) {
                    allowed = false;
                    api_json_t *l = api_json_get(ra, "sourceQueueArns");
                    for (size_t i = 0; i < api_json_len(l); i++)
                        if (kv_slice_eq_str(api_json_str(api_json_at(l, i)), src))
                            allowed = true;
                }
            }
            kv_arena_free(b);
        }
        pthread_mutex_unlock(&dq->lock);
        sqs_queue_put(dq);
        if (!same || self) {
            rc = sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE,
                            "Value %.*s for parameter RedrivePolicy is invalid. Reason: %s",
                            (int)(v.len > 512 ? 512 : v.len), (const char *)v.p,
                            self   ? "Dead letter target cannot be the queue itself."
                            : fifo ? "Dead-letter queue must be same type of queue as the source."
                                   : "Dead-letter queue must be same type of queue as the "
                                     "source.");
            goto out;
        }
        if (!allowed) {
            rc = sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE,
                            "Value %.*s for parameter RedrivePolicy is invalid. Reason: Queue "
                            "%.*s does not allow this queue to use it as a dead-letter queue.",
                            (int)(v.len > 512 ? 512 : v.len), (const char *)v.p, (int)arn.len,
                            (const char *)arn.p);
            goto out;
        }
        char norm[600];
        snprintf(norm, sizeof(norm), "{\"deadLetterTargetArn\":\"%.*s\",\"maxReceiveCount\":%lld}",
                 (int)(arn.len > 400 ? 400 : arn.len), (const char *)arn.p, (long long)n);
        set_str(&st->redrive, kv_slice_str(norm));
        set_str(&st->dlq_arn, arn);
        st->max_receives = (unsigned)n;
    out:
        kv_arena_free(a);
        return rc;
    }
    if (strcmp(name, "RedriveAllowPolicy") == 0) {
        if (v.len == 0) {
            set_str(&st->redrive_allow, v);
            return 0;
        }
        kv_arena_t *a = kv_arena_new(4096);
        api_json_t *j;
        const char *err;
        const char *why = NULL;
        if (api_json_parse(a, v, &j, &err) < 0 || api_json_type(j) != API_J_OBJ) {
            why = "Redrive allow policy is not a valid JSON map.";
        } else {
            kv_slice_t perm = api_json_str(api_json_get(j, "redrivePermission"));
            api_json_t *l = api_json_get(j, "sourceQueueArns");
            if (!kv_slice_eq_str(perm, "allowAll") && !kv_slice_eq_str(perm, "denyAll") &&
                !kv_slice_eq_str(perm, "byQueue"))
                why = "Invalid value for redrivePermission. Valid values are allowAll, denyAll "
                      "and byQueue.";
            else if (kv_slice_eq_str(perm, "byQueue") &&
                     (!l || api_json_type(l) != API_J_ARR || api_json_len(l) == 0))
                why = "Amazon SQS can't create the redrive allow policy, as it's in an invalid "
                      "format. For byQueue, sourceQueueArns must be specified.";
            else if (kv_slice_eq_str(perm, "byQueue") && api_json_len(l) > 10)
                why = "Amazon SQS can't create the redrive allow policy, as it's in an invalid "
                      "format. The maximum number of source queue ARNs you can specify is 10.";
            else if (!kv_slice_eq_str(perm, "byQueue") && l)
                why = "Amazon SQS can't create the redrive allow policy, as it's in an invalid "
                      "format. sourceQueueArns can only be specified with byQueue.";
            for (size_t i = 0; !why && l && i < api_json_len(l); i++)
                if (api_json_type(api_json_at(l, i)) != API_J_STR)
                    why = "sourceQueueArns must be a list of queue ARNs.";
        }
        kv_arena_free(a);
        if (why)
            return sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE,
                              "Value %.*s for parameter RedriveAllowPolicy is invalid. Reason: %s",
                              (int)(v.len > 512 ? 512 : v.len), (const char *)v.p, why);
        set_str(&st->redrive_allow, v);
        return 0;
    }
    if (strcmp(name, "FifoQueue") == 0) {
        bool b;
        if (!creating)
            return sqs_refuse(resp, API_E_SQS_BAD_ATTR_NAME, "Unknown Attribute FifoQueue.");
        if (!parse_bool(v, &b) || b != fifo)
            return BAD_VALUE();
        return 0;
    }
    if (fifo && strcmp(name, "ContentBasedDeduplication") == 0)
        return parse_bool(v, &st->cbd) ? 0 : BAD_VALUE();
    if (fifo && strcmp(name, "DeduplicationScope") == 0) {
        if (kv_slice_eq_str(v, "messageGroup"))
            st->dedup_per_group = true;
        else if (kv_slice_eq_str(v, "queue"))
            st->dedup_per_group = false;
        else
            return BAD_VALUE();
        return 0;
    }
    if (fifo && strcmp(name, "FifoThroughputLimit") == 0) {
        if (kv_slice_eq_str(v, "perMessageGroupId"))
            st->tput_per_group = true;
        else if (kv_slice_eq_str(v, "perQueue"))
            st->tput_per_group = false;
        else
            return BAD_VALUE();
        return 0;
    }
#undef BAD_VALUE
    return sqs_refuse(resp, API_E_SQS_BAD_ATTR_NAME, "Unknown Attribute %s.", name);
}

/* Apply the Attributes map of a request. */
static int apply_attrs(api_ctx_t *ctx, api_resp_t *resp, settings_t *st, bool fifo, bool creating,
                       const char *qname, const api_json_t *attrs)
{
    if (!attrs)
        return 0;
    if (api_json_type(attrs) != API_J_OBJ)
        return sqs_refuse(resp, API_E_SQS_SERIALIZATION, "Attributes must be a map");
    void *it = NULL;
    const char *k;
    api_json_t *v;
    while (api_json_next(attrs, &it, &k, &v)) {
        if (api_json_type(v) != API_J_STR)
            return sqs_refuse(resp, API_E_SQS_SERIALIZATION, "Attribute values must be strings");
        if (apply_attr(ctx, resp, st, fifo, creating, qname, k, api_json_str(v)) < 0)
            return -1;
    }
    if (st->tput_per_group && !st->dedup_per_group)
        return sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE,
                          "Invalid value for the parameter FifoThroughputLimit. Reason: "
                          "perMessageGroupId is only available when DeduplicationScope is "
                          "messageGroup.");
    return 0;
}

/* The string value of a queue attribute (settings and counters); NULL when the queue has none. */
static const char *attr_value(api_ctx_t *ctx, sqs_queue_t *q, const char *name, char *buf,
                              size_t cap)
{
#define NUM(x) (snprintf(buf, cap, "%llu", (unsigned long long)(x)), buf)
    if (strcmp(name, "DelaySeconds") == 0)
        return NUM(q->delay_s);
    if (strcmp(name, "MaximumMessageSize") == 0)
        return NUM(q->max_size);
    if (strcmp(name, "MessageRetentionPeriod") == 0)
        return NUM(q->retention_s);
    if (strcmp(name, "ReceiveMessageWaitTimeSeconds") == 0)
        return NUM(q->wait_s);
    if (strcmp(name, "VisibilityTimeout") == 0)
        return NUM(q->vis_s);
    if (strcmp(name, "ApproximateNumberOfMessages") == 0)
        return NUM(sqs_n_visible(q));
    if (strcmp(name, "ApproximateNumberOfMessagesNotVisible") == 0)
        return NUM(q->n_inflight);
    if (strcmp(name, "ApproximateNumberOfMessagesDelayed") == 0)
        return NUM(q->n_delayed);
    if (strcmp(name, "CreatedTimestamp") == 0)
        return NUM(q->created_ms / 1000);
    if (strcmp(name, "LastModifiedTimestamp") == 0)
        return NUM(q->modified_ms / 1000);
    if (strcmp(name, "QueueArn") == 0)
        return sqs_queue_arn(ctx, q, buf, cap), buf;
    if (strcmp(name, "SqsManagedSseEnabled") == 0)
        return q->sse ? "true" : "false";
    if (strcmp(name, "Policy") == 0)
        return q->policy;
    if (strcmp(name, "RedrivePolicy") == 0)
        return q->redrive;
    if (strcmp(name, "RedriveAllowPolicy") == 0)
        return q->redrive_allow;
    if (strcmp(name, "KmsMasterKeyId") == 0)
        return q->kms_key;
    if (strcmp(name, "KmsDataKeyReusePeriodSeconds") == 0)
        return q->kms_key ? NUM(q->kms_reuse_s) : NULL;
    if (q->fifo) {
        if (strcmp(name, "FifoQueue") == 0)
            return "true";
        if (strcmp(name, "ContentBasedDeduplication") == 0)
            return q->cbd ? "true" : "false";
        if (strcmp(name, "DeduplicationScope") == 0)
            return q->dedup_per_group ? "messageGroup" : "queue";
        if (strcmp(name, "FifoThroughputLimit") == 0)
            return q->tput_per_group ? "perMessageGroupId" : "perQueue";
    }
    return NULL;
#undef NUM
}

static const char *const attr_names[] = {
    "Policy",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "ApproximateNumberOfMessagesDelayed",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
};
#define N_ATTR_NAMES (sizeof(attr_names) / sizeof(attr_names[0]))
/* The attributes a queue record stores (the settable ones). */
static const char *const stored_names[] = {
    "DelaySeconds",           "MaximumMessageSize",
    "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",      "Policy",
    "RedrivePolicy",          "RedriveAllowPolicy",
    "KmsMasterKeyId",         "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",   "ContentBasedDeduplication",
    "DeduplicationScope",     "FifoThroughputLimit",
};

/* ---- the queue record: {"id","fifo","created","modified","attrs":{...},"tags":{...}} ---- */

static void encode_queue(api_ctx_t *ctx, sqs_queue_t *q, kv_buf_t *out)
{
    api_jw_t w;
    api_jw_init(&w, out);
    api_jw_obj_begin(&w);
    api_jw_ku64(&w, "id", q->id);
    api_jw_kbool(&w, "fifo", q->fifo);
    api_jw_ku64(&w, "created", (uint64_t)q->created_ms);
    api_jw_ku64(&w, "modified", (uint64_t)q->modified_ms);
    api_jw_key(&w, "attrs");
    api_jw_obj_begin(&w);
    char buf[256];
    for (size_t i = 0; i < sizeof(stored_names) / sizeof(*stored_names); i++) {
        const char *v = attr_value(ctx, q, stored_names[i], buf, sizeof(buf));
        if (v)
            api_jw_kstr(&w, stored_names[i], v);
    }
    api_jw_obj_end(&w);
    api_jw_key(&w, "tags");
    api_jw_obj_begin(&w);
    for (size_t i = 0; i < q->n_tags; i++)
        api_jw_kstr(&w, q->tag_k[i], q->tag_v[i]);
    api_jw_obj_end(&w);
    api_jw_obj_end(&w);
}

static int store_queue(api_ctx_t *ctx, sqs_queue_t *q, int mode)
{
    kv_buf_t b;
    kv_buf_init(&b, 1u << 20);
    encode_queue(ctx, q, &b);
    int rc = kv_buf_failed(&b)
                 ? KV_ETOOBIG
                 : eng_queue_put(ctx->eng, kv_slice_str(q->name), kv_buf_slice(&b), mode);
    kv_buf_dispose(&b);
    return rc;
}

static sqs_queue_t *queue_new(const char *name, bool fifo)
{
    sqs_queue_t *q = kv_calloc(1, sizeof(*q));
    snprintf(q->name, sizeof(q->name), "%s", name);
    q->fifo = fifo;
    atomic_init(&q->refs, 1);
    pthread_mutex_init(&q->lock, NULL);
    pthread_mutex_init(&q->set_lock, NULL);
    q->timer.by_time = true;
    atomic_init(&q->next_seq, 1);
    return q;
}

static void tags_set(sqs_queue_t *q, kv_slice_t k, kv_slice_t v)
{
    for (size_t i = 0; i < q->n_tags; i++)
        if (kv_slice_eq_str(k, q->tag_k[i])) {
            kv_free(q->tag_v[i]);
            q->tag_v[i] = kv_strndup((const char *)v.p, v.len);
            return;
        }
    q->tag_k = kv_realloc(q->tag_k, (q->n_tags + 1) * sizeof(char *));
    q->tag_v = kv_realloc(q->tag_v, (q->n_tags + 1) * sizeof(char *));
    q->tag_k[q->n_tags] = kv_strndup((const char *)k.p, k.len);
    q->tag_v[q->n_tags] = kv_strndup((const char *)v.p, v.len);
    q->n_tags++;
}

static void tags_del(sqs_queue_t *q, kv_slice_t k)
{
    for (size_t i = 0; i < q->n_tags; i++)
        if (kv_slice_eq_str(k, q->tag_k[i])) {
            kv_free(q->tag_k[i]);
            kv_free(q->tag_v[i]);
            q->tag_k[i] = q->tag_k[q->n_tags - 1];
            q->tag_v[i] = q->tag_v[q->n_tags - 1];
            q->n_tags--;
            return;
        }
}

static int load_one(void *arg, kv_slice_t name, kv_slice_t rec)
{
    sqs_state_t *s = arg;
    kv_arena_t *a = kv_arena_new(4096);
    api_json_t *j;
    const char *err;
    int64_t id = 0, c = 0, m = 0;
    if (name.len > SQS_NAME_MAX || api_json_parse(a, rec, &j, &err) < 0 ||
        !api_json_int(api_json_get(j, "id"), &id)) {
        KV_LOG_ERROR("sqs: queue record %.*s is unreadable; skipped", (int)name.len,
                     (const char *)name.p);
        kv_arena_free(a);
        return 0;
    }
    char nm[SQS_NAME_MAX + 1];
    snprintf(nm, sizeof(nm), "%.*s", (int)name.len, (const char *)name.p);
    sqs_queue_t *q = queue_new(nm, api_json_bool(api_json_get(j, "fifo")));
    q->id = (uint32_t)id;
    api_json_int(api_json_get(j, "created"), &c);
    api_json_int(api_json_get(j, "modified"), &m);
    q->created_ms = c;
    q->modified_ms = m;
    settings_t st;
    settings_default(&st);
    api_resp_t dummy;
    memset(&dummy, 0, sizeof(dummy));
    dummy._arena = a;
    void *it = NULL;
    const char *k;
    api_json_t *v;
    api_json_t *attrs = api_json_get(j, "attrs");
    while (api_json_next(attrs, &it, &k, &v)) {
        kv_slice_t val = api_json_str(v);
        if (strcmp(k, "RedrivePolicy") == 0) { /* its target may load later: no check here */
            api_json_t *r;
            if (val.len && api_json_parse(a, val, &r, &err) == 0) {
                int64_t n = 0;
                api_json_int(api_json_get(r, "maxReceiveCount"), &n);
                set_str(&st.redrive, val);
                set_str(&st.dlq_arn, api_json_str(api_json_get(r, "deadLetterTargetArn")));
                st.max_receives = (unsigned)n;
            }
            continue;
        }
        if (apply_attr(s->ctx, &dummy, &st, q->fifo, false, q->name, k, val) < 0)
            KV_LOG_WARN("sqs: queue %s: stored attribute %s refused", q->name, k);
    }
    settings_to(q, &st);
    it = NULL;
    api_json_t *tags = api_json_get(j, "tags");
    while (api_json_next(tags, &it, &k, &v))
        tags_set(q, kv_slice_str(k), api_json_str(v));
    kv_arena_free(a);
    if (sqs_queue_load(s->ctx, q) < 0) {
        KV_LOG_ERROR("sqs: queue %s: its messages could not be read", q->name);
        sqs_queue_put(q);
        return KV_EIO;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->q = kv_realloc(s->q, s->cap * sizeof(*s->q));
    }
    s->q[s->n++] = q; /* in name order */
    return 0;
}

static int sqs_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state)
{
    (void)cfg;
    sqs_state_t *s = kv_calloc(1, sizeof(*s));
    s->ctx = ctx;
    pthread_rwlock_init(&s->lock, NULL);
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->tlock, NULL);
    /* receipts stay valid across restarts: their check key derives from the server's secret */
    kv_buf_t k;
    kv_buf_init(&k, 4096);
    kv_buf_printf(&k, "sqs-receipt\n%s", ctx->secret_key ? ctx->secret_key : "");
    uint64_t h1 = kv_xxh3(k.p, k.len), h2 = kv_xxh3_seed(k.p, k.len, h1);
    kv_buf_dispose(&k);
    memcpy(s->receipt_key, &h1, 8);
    memcpy(s->receipt_key + 8, &h2, 8);
    *state = s;
    /* api_service_state finds s only once init returns: load through s directly */
    int rc = eng_queue_each(ctx->eng, load_one, s);
    return rc < 0 ? rc : 0;
}

static void sqs_fini(void *state)
{
    sqs_state_t *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        sqs_queue_put(s->q[i]);
    kv_free(s->q);
    kv_free(s->wheap);
    kv_free(s->wq);
    for (sqs_task_t *t = s->tasks, *nx; t; t = nx) {
        nx = t->next;
        kv_free(t);
    }
    pthread_mutex_destroy(&s->tlock);
    pthread_rwlock_destroy(&s->lock);
    pthread_mutex_destroy(&s->wlock);
    kv_free(s);
}

/* ---- request helpers ---- */

/* A string member (KV_SLICE_NULL when absent). -1 when present and not a string. */
static int str_member(api_resp_t *resp, const api_json_t *in, const char *name, kv_slice_t *out)
{
    api_json_t *v = api_json_get(in, name);
    *out = KV_SLICE_NULL;
    if (!v || api_json_type(v) == API_J_NULL)
        return 0;
    if (api_json_type(v) != API_J_STR)
        return sqs_refuse(resp, API_E_SQS_SERIALIZATION, "%s must be a string", name);
    *out = api_json_str(v);
    if (out->p == NULL)
        *out = KV_SLICE_LIT("");
    return 1;
}

static bool name_ok(kv_slice_t n, bool *fifo)
{
    *fifo = n.len > 5 && memcmp(n.p + n.len - 5, ".fifo", 5) == 0;
    size_t base = *fifo ? n.len - 5 : n.len;
    if (n.len == 0 || n.len > SQS_NAME_MAX)
        return false;
    for (size_t i = 0; i < base; i++) {
        uint8_t c = n.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return base > 0;
}

/* The queue a QueueUrl names (its last path segment), referenced; NULL with the error set. */
static sqs_queue_t *queue_of(api_ctx_t *ctx, api_resp_t *resp, const api_json_t *in)
{
    kv_slice_t url;
    if (str_member(resp, in, "QueueUrl", &url) < 0)
        return NULL;
    if (url.p == NULL) {
        sqs_refuse(resp, API_E_SQS_MISSING_PARAM,
                   "The request must contain the parameter QueueUrl.");
        return NULL;
    }
    size_t i = url.len;
    while (i > 0 && url.p[i - 1] != '/')
        i--;
    kv_slice_t name = kv_slice(url.p + i, url.len - i);
    sqs_queue_t *q = name.len ? sqs_queue_get(sqs_state(ctx), name) : NULL;
    if (!q)
        sqs_refuse(resp, API_E_SQS_NO_QUEUE, "The specified queue does not exist.");
    return q;
}

sqs_queue_t *sqs_queue_of(api_ctx_t *ctx, api_resp_t *resp, const api_json_t *in);
sqs_queue_t *sqs_queue_of(api_ctx_t *ctx, api_resp_t *resp, const api_json_t *in)
{
    return queue_of(ctx, resp, in);
}

/* The queue's URL: http://<the request's Host>/<account>/<name>. */
void sqs_queue_url(api_req_t *req, const sqs_queue_t *q, kv_buf_t *out);
void sqs_queue_url(api_req_t *req, const sqs_queue_t *q, kv_buf_t *out)
{
    kv_slice_t host = req ? req->_st->h.host : KV_SLICE_NULL;
    if (host.len == 0 || host.len > 255)
        host = KV_SLICE_LIT("localhost");
    kv_buf_printf(out, "%s://%.*s/%s/%s", req && req->tls ? "https" : "http", (int)host.len,
                  (const char *)host.p, API_ACCOUNT_ID, q->name);
}

static void jw_url(api_jw_t *w, api_req_t *req, const sqs_queue_t *q)
{
    kv_buf_t b;
    kv_buf_init(&b, 512);
    sqs_queue_url(req, q, &b);
    api_jw_str(w, kv_buf_slice(&b));
    kv_buf_dispose(&b);
}

/* ---- queue operations ---- */

static bool recently_deleted(sqs_state_t *s, const char *name, int64_t now)
{
    for (size_t i = 0; i < s->n_gone; i++)
        if (strcmp(s->gone[i].name, name) == 0 && now - s->gone[i].at < SQS_DELETE_WAIT_MS)
            return true;
    return false;
}

static int tags_check(api_resp_t *resp, const api_json_t *tags, size_t have)
{
    if (!tags)
        return 0;
    if (api_json_type(tags) != API_J_OBJ)
        return sqs_refuse(resp, API_E_SQS_SERIALIZATION, "Tags must be a map");
    void *it = NULL;
    const char *k;
    api_json_t *v;
    size_t n = 0;
    while (api_json_next(tags, &it, &k, &v)) {
        n++;
        if (api_json_type(v) != API_J_STR)
            return sqs_refuse(resp, API_E_SQS_SERIALIZATION, "Tag values must be strings");
        if (strlen(k) == 0 || strlen(k) > 128 || api_json_str(v).len > 256 ||
            strncmp(k, "aws:", 4) == 0)
            return sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                              "Tag keys must be 1 to 128 characters (not starting with aws:) and "
                              "values at most 256.");
    }
    if (have + n > 50)
        return sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                          "Too many tags added for queue. A queue can have at most 50 tags.");
    return 0;
}

static void op_create(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                      api_jw_t *w)
{
    sqs_state_t *s = sqs_state(ctx);
    kv_slice_t name;
    if (str_member(resp, in, "QueueName", &name) < 0)
        return;
    if (name.p == NULL) {
        sqs_refuse(resp, API_E_SQS_MISSING_PARAM,
                   "The request must contain the parameter QueueName.");
        return;
    }
    bool fifo;
    if (!name_ok(name, &fifo)) {
        sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                   "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 "
                   "in length");
        return;
    }
    const api_json_t *attrs = api_json_get(in, "Attributes");
    kv_slice_t fq = api_json_str(api_json_get(attrs, "FifoQueue"));
    bool want_fifo = kv_slice_eq_nocase(fq, "true");
    if (fifo != want_fifo) {
        if (fifo)
            sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                       "Can only include alphanumeric characters, hyphens, or underscores. 1 to "
                       "80 in length");
        else
            sqs_refuse(resp, API_E_SQS_BAD_ATTR_VALUE,
                       "The name of a FIFO queue can only include alphanumeric characters, "
                       "hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in "
                       "length.");
        return;
    }
    const api_json_t *tags = api_json_get(in, "tags");
    if (!tags)
        tags = api_json_get(in, "Tags");
    if (tags_check(resp, tags, 0) < 0)
        return;
    char nm[SQS_NAME_MAX + 1];
    snprintf(nm, sizeof(nm), "%.*s", (int)name.len, (const char *)name.p);
    settings_t st;
    settings_default(&st);
    if (fifo)
        st.dedup_per_group = false;
    if (apply_attrs(ctx, resp, &st, fifo, true, nm, attrs) < 0) {
        settings_dispose(&st);
        return;
    }
    /* an existing queue: the same when every given attribute has its value */
    sqs_queue_t *old = sqs_queue_get(s, name);
    if (old) {
        const char *diff = NULL;
        void *it = NULL;
        const char *k;
        api_json_t *v;
        char buf[256];
        pthread_mutex_lock(&old->lock);
        while (!diff && api_json_next(attrs, &it, &k, &v)) {
            const char *have = attr_value(ctx, old, k, buf, sizeof(buf));
            kv_slice_t want = api_json_str(v);
            if (strcmp(k, "SqsManagedSseEnabled") == 0 || strcmp(k, "FifoQueue") == 0 ||
                strcmp(k, "ContentBasedDeduplication") == 0)
                have = have ? have : "false";
            if (!(have ? kv_slice_eq_nocase(want, have) : want.len == 0))
                diff = k;
        }
        pthread_mutex_unlock(&old->lock);
        settings_dispose(&st);
        if (diff) {
            sqs_refuse(resp, API_E_SQS_NAME_EXISTS,
                       "A queue already exists with the same name and a different value for "
                       "attribute %s",
                       diff);
        } else {
            api_jw_obj_begin(w);
            api_jw_key(w, "QueueUrl");
            jw_url(w, req, old);
            api_jw_obj_end(w);
        }
        sqs_queue_put(old);
        return;
    }
    int64_t now = kv_now_ms();
    pthread_rwlock_wrlock(&s->lock);
    bool gone = recently_deleted(s, nm, now);
    pthread_rwlock_unlock(&s->lock);
    if (gone) {
        settings_dispose(&st);
        sqs_refuse(resp, API_E_SQS_DELETED_RECENTLY,
                   "You must wait 60 seconds after deleting a queue before you can create "
                   "another with the same name.");
        return;
    }
    sqs_queue_t *q = queue_new(nm, fifo);
    settings_to(q, &st);
    q->created_ms = q->modified_ms = now;
    void *it = NULL;
    const char *k;
    api_json_t *v;
    while (api_json_next(tags, &it, &k, &v))
        tags_set(q, kv_slice_str(k), api_json_str(v));
    int rc = eng_queue_new_id(ctx->eng, &q->id);
    if (rc == 0)
        rc = store_queue(ctx, q, ENG_FN_CREATE);
    if (rc == KV_EEXIST) { /* a concurrent create won: answer as for an existing queue */
        sqs_queue_put(q);
        sqs_queue_t *o = sqs_queue_get(s, name);
        if (!o) {
            sqs_refuse(resp, API_E_SQS_NAME_EXISTS, "The queue is being created.");
            return;
        }
        api_jw_obj_begin(w);
        api_jw_key(w, "QueueUrl");
        jw_url(w, req, o);
        api_jw_obj_end(w);
        sqs_queue_put(o);
        return;
    }
    if (rc < 0) {
        sqs_queue_put(q);
        sqs_refuse(resp, API_E_SQS_INTERNAL, "The queue could not be stored");
        return;
    }
    pthread_rwlock_wrlock(&s->lock);
    bool found;
    size_t pos = reg_pos(s, name, &found);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->q = kv_realloc(s->q, s->cap * sizeof(*s->q));
    }
    memmove(s->q + pos + 1, s->q + pos, (s->n - pos) * sizeof(*s->q));
    s->q[pos] = q;
    s->n++;
    pthread_rwlock_unlock(&s->lock);
    api_jw_obj_begin(w);
    api_jw_key(w, "QueueUrl");
    jw_url(w, req, q);
    api_jw_obj_end(w);
}

static void op_get_url(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                       api_jw_t *w)
{
    kv_slice_t name;
    if (str_member(resp, in, "QueueName", &name) < 0)
        return;
    if (name.p == NULL) {
        sqs_refuse(resp, API_E_SQS_MISSING_PARAM,
                   "The request must contain the parameter QueueName.");
        return;
    }
    sqs_queue_t *q = sqs_queue_get(sqs_state(ctx), name);
    if (!q) {
        sqs_refuse(resp, API_E_SQS_NO_QUEUE, "The specified queue does not exist.");
        return;
    }
    api_jw_obj_begin(w);
    api_jw_key(w, "QueueUrl");
    jw_url(w, req, q);
    api_jw_obj_end(w);
    sqs_queue_put(q);
}

/* MaxResults (0: absent) in 1..1000. -1 with the error set. */
static int max_results(api_resp_t *resp, const api_json_t *in, int64_t *out)
{
    api_json_t *v = api_json_get(in, "MaxResults");
    *out = 0;
    if (!v)
        return 0;
    if (!api_json_int(v, out) || *out < 1 || *out > 1000)
        return sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                          "Value %lld for parameter MaxResults is invalid. Reason: MaxResults "
                          "must be an integer between 1 and 1000.",
                          (long long)*out);
    return 0;
}

/* NextToken: base64 of the last name returned. */
static int next_token(api_resp_t *resp, const api_json_t *in, kv_buf_t *after)
{
    kv_slice_t t;
    if (str_member(resp, in, "NextToken", &t) < 0)
        return -1;
    if (t.len == 0)
        return 0;
    if (t.len > 200 || !kv_b64_decode(after, t) || after->len > SQS_NAME_MAX)
        return sqs_refuse(resp, API_E_SQS_BAD_PARAM, "Invalid NextToken value.");
    return 0;
}

static void jw_next_token(api_jw_t *w, const char *name)
{
    kv_buf_t b;
    kv_buf_init(&b, 256);
    kv_b64_encode(&b, (const uint8_t *)name, strlen(name));
    api_jw_key(w, "NextToken");
    api_jw_str(w, kv_buf_slice(&b));
    kv_buf_dispose(&b);
}

static void op_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                    api_jw_t *w, sqs_queue_t *dlq)
{
    sqs_state_t *s = sqs_state(ctx);
    kv_slice_t prefix = KV_SLICE_NULL;
    int64_t max;
    kv_buf_t after;
    kv_buf_init(&after, 256);
    if ((!dlq && str_member(resp, in, "QueueNamePrefix", &prefix) < 0) ||
        max_results(resp, in, &max) < 0 || next_token(resp, in, &after) < 0) {
        kv_buf_dispose(&after);
        return;
    }
    char arn[256] = "";
    if (dlq)
        sqs_queue_arn(ctx, dlq, arn, sizeof(arn));
    size_t limit = max ? (size_t)max : 1000;
    api_jw_obj_begin(w);
    api_jw_key(w, dlq ? "queueUrls" : "QueueUrls");
    api_jw_arr_begin(w);
    size_t n = 0;
    const char *last = NULL;
    bool more = false;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->n; i++) {
        sqs_queue_t *q = s->q[i];
        if (after.len && kv_slice_cmp(kv_slice_str(q->name), kv_buf_slice(&after)) <= 0)
            continue;
        if (prefix.len &&
            (strlen(q->name) < prefix.len || memcmp(q->name, prefix.p, prefix.len) != 0))
            continue;
        if (dlq) {
            pthread_mutex_lock(&q->lock);
            bool src = q->dlq_arn && strcmp(q->dlq_arn, arn) == 0;
            pthread_mutex_unlock(&q->lock);
            if (!src)
                continue;
        }
        if (n == limit) {
            more = true;
            break;
        }
        jw_url(w, req, q);
        last = q->name;
        n++;
    }
    api_jw_arr_end(w);
    if (more && max && last)
        jw_next_token(w, last);
    pthread_rwlock_unlock(&s->lock);
    api_jw_obj_end(w);
    kv_buf_dispose(&after);
    if (n == 0 && !dlq && !more) { /* SQS leaves QueueUrls out when none matches */
        kv_buf_reset(w->out);
        api_jw_init(w, w->out);
        api_jw_obj_begin(w);
        api_jw_obj_end(w);
    }
}

static void op_delete(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                      api_jw_t *w)
{
    (void)req;
    sqs_state_t *s = sqs_state(ctx);
    sqs_queue_t *q = queue_of(ctx, resp, in);
    if (!q)
        return;
    /* under the queue's lock: a writer that found it not deleted (under that lock) committed
     * before the records' delete, and one after it finds it deleted and writes nothing */
    pthread_mutex_lock(&q->lock);
    int rc = eng_queue_delete(ctx->eng, kv_slice_str(q->name), q->id);
    if (rc == 0 || rc == KV_ENOTFOUND)
        atomic_store(&q->deleted, true);
    pthread_mutex_unlock(&q->lock);
    if (rc < 0 && rc != KV_ENOTFOUND) {
        sqs_queue_put(q);
        sqs_refuse(resp, API_E_SQS_INTERNAL, "The queue could not be deleted");
        return;
    }
    pthread_rwlock_wrlock(&s->lock);
    bool found;
    size_t pos = reg_pos(s, kv_slice_str(q->name), &found);
    if (found && s->q[pos] == q) {
        memmove(s->q + pos, s->q + pos + 1, (s->n - pos - 1) * sizeof(*s->q));
        s->n--;
        size_t g = s->n_gone < 64 ? s->n_gone++ : (size_t)(kv_now_ms() % 64);
        snprintf(s->gone[g].name, sizeof(s->gone[g].name), "%s", q->name);
        s->gone[g].at = kv_now_ms();
        sqs_queue_put(q); /* the registry's reference */
    }
    pthread_rwlock_unlock(&s->lock);
    sqs_waiters_flush(ctx, q);
    sqs_queue_put(q);
    api_jw_obj_begin(w);
    api_jw_obj_end(w);
}

static void op_get_attrs(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                         api_jw_t *w)
{
    (void)req;
    sqs_queue_t *q = queue_of(ctx, resp, in);
    if (!q)
        return;
    api_json_t *names = api_json_get(in, "AttributeNames");
    bool want[N_ATTR_NAMES] = {0};
    for (size_t i = 0; i < api_json_len(names); i++) {
        kv_slice_t n = api_json_str(api_json_at(names, i));
        bool known = false;
        if (kv_slice_eq_str(n, "All")) {
            for (size_t j = 0; j < N_ATTR_NAMES; j++)
                want[j] = true;
            known = true;
        }
        for (size_t j = 0; j < N_ATTR_NAMES && !known; j++)
            if (kv_slice_eq_str(n, attr_names[j])) {
                want[j] = known = true;
                if (!q->fifo && (j == 13 || j == 14 || j == 17 || j == 18))
                    known = false;
            }
        if (!known) {
            sqs_refuse(resp, API_E_SQS_BAD_ATTR_NAME, "Unknown Attribute %.*s.",
                       (int)(n.len > 256 ? 256 : n.len), (const char *)n.p);
            sqs_queue_put(q);
            return;
        }
    }
    api_jw_obj_begin(w);
    bool any = false;
    char buf[256];
    pthread_mutex_lock(&q->lock);
    sqs_index_settle(q, kv_now_ms());
    for (size_t j = 0; j < N_ATTR_NAMES; j++) {
        const char *v = want[j] ? attr_value(ctx, q, attr_names[j], buf, sizeof(buf)) : NULL;
        if (!v)
            continue;
        if (!any)
            api_jw_key(w, "Attributes"), api_jw_obj_begin(w);
        any = true;
        api_jw_kstr(w, attr_names[j], v);
    }
    pthread_mutex_unlock(&q->lock);
    if (any)
        api_jw_obj_end(w);
    api_jw_obj_end(w);
    sqs_queue_put(q);
}

static void op_set_attrs(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                         api_jw_t *w)
{
    (void)req;
    sqs_queue_t *q = queue_of(ctx, resp, in);
    if (!q)
        return;
    const api_json_t *attrs = api_json_get(in, "Attributes");
    if (!attrs) {
        sqs_refuse(resp, API_E_SQS_MISSING_PARAM,
                   "The request must contain the parameter Attributes.");
        sqs_queue_put(q);
        return;
    }
    settings_t st;
    /* one change at a time, so that two requests changing different attributes both stay
     * (apply_attrs looks other queues up: q->lock is not held across it) */
    pthread_mutex_lock(&q->set_lock);
    pthread_mutex_lock(&q->lock);
    settings_from(&st, q);
    pthread_mutex_unlock(&q->lock);
    if (apply_attrs(ctx, resp, &st, q->fifo, false, q->name, attrs) < 0) {
        pthread_mutex_unlock(&q->set_lock);
        settings_dispose(&st);
        sqs_queue_put(q);
        return;
    }
    pthread_mutex_lock(&q->lock);
    settings_t old;
    settings_from(&old, q);
    int64_t mod = q->modified_ms;
    settings_to(q, &st);
    q->modified_ms = kv_now_ms();
    int rc = store_queue(ctx, q, ENG_FN_UPDATE);
    if (rc < 0) { /* not stored: keep the old settings */
        settings_to(q, &old);
        q->modified_ms = mod;
    }
    settings_dispose(&old);
    pthread_mutex_unlock(&q->lock);
    pthread_mutex_unlock(&q->set_lock);
    sqs_queue_put(q);
    if (rc < 0)
        sqs_refuse(resp, rc == KV_ENOTFOUND ? API_E_SQS_NO_QUEUE : API_E_SQS_INTERNAL,
                   rc == KV_ENOTFOUND ? "The specified queue does not exist."
                                      : "The attributes could not be stored");
    else
        api_jw_obj_begin(w), api_jw_obj_end(w);
}

static void op_tags(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                    api_jw_t *w, int op)
{
    (void)req;
    sqs_queue_t *q = queue_of(ctx, resp, in);
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    if (op == SQS_OP_list_queue_tags) {
        api_jw_obj_begin(w);
        if (q->n_tags) {
            api_jw_key(w, "Tags");
            api_jw_obj_begin(w);
            for (size_t i = 0; i < q->n_tags; i++)
                api_jw_kstr(w, q->tag_k[i], q->tag_v[i]);
            api_jw_obj_end(w);
        }
        api_jw_obj_end(w);
        goto out;
    }
    if (op == SQS_OP_tag_queue) {
        const api_json_t *tags = api_json_get(in, "Tags");
        if (!tags || api_json_len(tags) == 0) {
            sqs_refuse(resp, API_E_SQS_MISSING_PARAM,
                       "The request must contain the parameter Tags.");
            goto out;
        }
        size_t have = q->n_tags;
        void *it = NULL;
        const char *k;
        api_json_t *v;
        while (api_json_next(tags, &it, &k, &v))
            for (size_t i = 0; i < q->n_tags; i++)
                if (strcmp(k, q->tag_k[i]) == 0)
                    have--;
        if (tags_check(resp, tags, have) < 0)
            goto out;
        it = NULL;
        while (api_json_next(tags, &it, &k, &v))
            tags_set(q, kv_slice_str(k), api_json_str(v));
    } else {
        const api_json_t *keys = api_json_get(in, "TagKeys");
        if (!keys || api_json_type(keys) != API_J_ARR || api_json_len(keys) == 0) {
            sqs_refuse(resp, API_E_SQS_MISSING_PARAM,
                       "The request must contain the parameter TagKeys.");
            goto out;
        }
        for (size_t i = 0; i < api_json_len(keys); i++)
            tags_del(q, api_json_str(api_json_at(keys, i)));
    }
    if (store_queue(ctx, q, ENG_FN_UPDATE) < 0)
        sqs_refuse(resp, API_E_SQS_INTERNAL, "The tags could not be stored");
    else
        api_jw_obj_begin(w), api_jw_obj_end(w);
out:
    pthread_mutex_unlock(&q->lock);
    sqs_queue_put(q);
}

static void op_dlq_sources(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                           api_jw_t *w)
{
    sqs_queue_t *q = queue_of(ctx, resp, in);
    if (!q)
        return;
    op_list(ctx, req, resp, in, w, q);
    sqs_queue_put(q);
}

/* AddPermission/RemovePermission: statements of the queue's Policy, by Label (Sid). */
static void op_permission(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                          api_jw_t *w, bool add)
{
    (void)req;
    sqs_queue_t *q = queue_of(ctx, resp, in);
    if (!q)
        return;
    kv_slice_t label;
    if (str_member(resp, in, "Label", &label) < 0)
        goto out;
    if (label.len == 0 || label.len > 80) {
        sqs_refuse(resp, API_E_SQS_MISSING_PARAM, "The request must contain the parameter Label.");
        goto out;
    }
    api_json_t *ids = api_json_get(in, "AWSAccountIds"), *acts = api_json_get(in, "Actions");
    if (add && (api_json_len(ids) == 0 || api_json_len(acts) == 0)) {
        sqs_refuse(resp, API_E_SQS_MISSING_PARAM,
                   "The request must contain the parameters AWSAccountIds and Actions.");
        goto out;
    }
    pthread_mutex_lock(&q->lock);
    kv_arena_t *a = kv_arena_new(4096);
    api_json_t *pol = NULL;
    const char *err;
    if (q->policy)
        api_json_parse(a, kv_slice_str(q->policy), &pol, &err);
    api_json_t *stmts = api_json_get(pol, "Statement");
    kv_buf_t b;
    kv_buf_init(&b, 1u << 20);
    api_jw_t pw;
    api_jw_init(&pw, &b);
    char arn[256];
    sqs_queue_arn(ctx, q, arn, sizeof(arn));
    api_jw_obj_begin(&pw);
    api_jw_kstr(&pw, "Version", "2012-10-17");
    api_jw_kstr(&pw, "Id", kv_arena_printf(a, "%s/SQSDefaultPolicy", arn));
    api_jw_key(&pw, "Statement");
    api_jw_arr_begin(&pw);
    bool found = false;
    for (size_t i = 0; i < api_json_len(stmts); i++) {
        api_json_t *st = api_json_at(stmts, i);
        if (kv_slice_eq(api_json_str(api_json_get(st, "Sid")), label)) {
            found = true;
            continue;
        }
        /* re-emit the statement as stored */
        const char *sid = kv_arena_strndup(a, api_json_str(api_json_get(st, "Sid")).p,
                                           api_json_str(api_json_get(st, "Sid")).len);
        api_jw_obj_begin(&pw);
        api_jw_kstr(&pw, "Sid", sid);
        void *it = NULL;
        const char *k;
        api_json_t *v;
        while (api_json_next(st, &it, &k, &v)) {
            if (strcmp(k, "Sid") == 0)
                continue;
            api_jw_key(&pw, k);
            if (api_json_type(v) == API_J_STR) {
                api_jw_str(&pw, api_json_str(v));
            } else {
                /* Effect/Principal/Action/Resource written by this code: strings, an object
                 * of a string list, or a list of strings */
                if (api_json_type(v) == API_J_ARR) {
                    api_jw_arr_begin(&pw);
                    for (size_t x = 0; x < api_json_len(v); x++)
                        api_jw_str(&pw, api_json_str(api_json_at(v, x)));
                    api_jw_arr_end(&pw);
                } else if (api_json_type(v) == API_J_OBJ) {
                    api_jw_obj_begin(&pw);
                    void *it2 = NULL;
                    const char *k2;
                    api_json_t *v2;
                    while (api_json_next(v, &it2, &k2, &v2)) {
                        api_jw_key(&pw, k2);
                        if (api_json_type(v2) == API_J_ARR) {
                            api_jw_arr_begin(&pw);
                            for (size_t x = 0; x < api_json_len(v2); x++)
                                api_jw_str(&pw, api_json_str(api_json_at(v2, x)));
                            api_jw_arr_end(&pw);
                        } else {
                            api_jw_str(&pw, api_json_str(v2));
                        }
                    }
                    api_jw_obj_end(&pw);
                } else {
                    api_jw_null(&pw);
                }
            }
        }
        api_jw_obj_end(&pw);
    }
    if (add && found) {
        sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                   "Value %.*s for parameter Label is invalid. Reason: Already exists.",
                   (int)label.len, (const char *)label.p);
    } else if (!add && !found) {
        sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                   "Value %.*s for parameter Label is invalid. Reason: can't find label on "
                   "existing policy.",
                   (int)label.len, (const char *)label.p);
    }
    if (add) {
        api_jw_obj_begin(&pw);
        api_jw_key(&pw, "Sid");
        api_jw_str(&pw, label);
        api_jw_kstr(&pw, "Effect", "Allow");
        api_jw_key(&pw, "Principal");
        api_jw_obj_begin(&pw);
        api_jw_key(&pw, "AWS");
        api_jw_arr_begin(&pw);
        for (size_t i = 0; i < api_json_len(ids); i++)
            api_jw_cstr(&pw, kv_arena_printf(a, "arn:aws:iam::%.*s:root",
                                             (int)api_json_str(api_json_at(ids, i)).len,
                                             (const char *)api_json_str(api_json_at(ids, i)).p));
        api_jw_arr_end(&pw);
        api_jw_obj_end(&pw);
        api_jw_key(&pw, "Action");
        api_jw_arr_begin(&pw);
        for (size_t i = 0; i < api_json_len(acts); i++)
            api_jw_cstr(&pw,
                        kv_arena_printf(a, "SQS:%.*s", (int)api_json_str(api_json_at(acts, i)).len,
                                        (const char *)api_json_str(api_json_at(acts, i)).p));
        api_jw_arr_end(&pw);
        api_jw_kstr(&pw, "Resource", arn);
        api_jw_obj_end(&pw);
    }
    api_jw_arr_end(&pw);
    api_jw_obj_end(&pw);
    if (!resp->_err) {
        char *old = q->policy;
        q->policy = kv_strndup((const char *)b.p, b.len);
        if (store_queue(ctx, q, ENG_FN_UPDATE) < 0) {
            kv_free(q->policy);
            q->policy = old;
            sqs_refuse(resp, API_E_SQS_INTERNAL, "The policy could not be stored");
        } else {
            kv_free(old);
            api_jw_obj_begin(w), api_jw_obj_end(w);
        }
    }
    kv_buf_dispose(&b);
    kv_arena_free(a);
    pthread_mutex_unlock(&q->lock);
out:
    sqs_queue_put(q);
}

/* ---- dispatch ---- */

/* The query protocol: a request that names no X-Amz-Target (sqs_query.c). */
static bool is_query(const api_req_t *req)
{
    return req->_st->target.len == 0;
}

static void sqs_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    kv_slice_t body = kv_buf_slice(&req->_st->body);
    api_json_t *in;
    const char *err = NULL;
    if (is_query(req)) {
        if (sqs_query_decode(req, resp, &in) < 0)
            return;
    } else {
        if (body.len == 0)
            body = KV_SLICE_LIT("{}");
        if (api_json_parse(req->arena, body, &in, &err) < 0 || api_json_type(in) != API_J_OBJ) {
            sqs_refuse(resp, API_E_SQS_SERIALIZATION, "%s", err ? err : "Expected a JSON object");
            return;
        }
    }
    int op = req->_st->op;
    /* issue 15 (package L2): the operation's action on its queue, once decoded */
    if (sqs_authorize(ctx, req, resp, op, in) < 0)
        return;
    resp->status = 200;
    api_jw_t w;
    api_jw_init(&w, &resp->body);
    switch (op) {
    case SQS_OP_create_queue:
        op_create(ctx, req, resp, in, &w);
        break;
    case SQS_OP_get_queue_url:
        op_get_url(ctx, req, resp, in, &w);
        break;
    case SQS_OP_list_queues:
        op_list(ctx, req, resp, in, &w, NULL);
        break;
    case SQS_OP_delete_queue:
        op_delete(ctx, req, resp, in, &w);
        break;
    case SQS_OP_get_queue_attributes:
        op_get_attrs(ctx, req, resp, in, &w);
        break;
    case SQS_OP_set_queue_attributes:
        op_set_attrs(ctx, req, resp, in, &w);
        break;
    case SQS_OP_tag_queue:
    case SQS_OP_untag_queue:
    case SQS_OP_list_queue_tags:
        op_tags(ctx, req, resp, in, &w, op);
        break;
    case SQS_OP_list_dead_letter_source_queues:
        op_dlq_sources(ctx, req, resp, in, &w);
        break;
    case SQS_OP_add_permission:
    case SQS_OP_remove_permission:
        op_permission(ctx, req, resp, in, &w, op == SQS_OP_add_permission);
        break;
    case SQS_OP_purge_queue:
        sqs_op_purge(ctx, req, resp, in, &w);
        break;
    case SQS_OP_send_message:
    case SQS_OP_send_message_batch:
        sqs_op_send(ctx, req, resp, in, &w, op == SQS_OP_send_message_batch);
        break;
    case SQS_OP_receive_message:
        sqs_op_receive(ctx, req, resp, in, &w);
        break;
    case SQS_OP_delete_message:
    case SQS_OP_delete_message_batch:
        sqs_op_delete(ctx, req, resp, in, &w, op == SQS_OP_delete_message_batch);
        break;
    case SQS_OP_change_message_visibility:
    case SQS_OP_change_message_visibility_batch:
        sqs_op_visibility(ctx, req, resp, in, &w, op == SQS_OP_change_message_visibility_batch);
        break;
    case SQS_OP_start_message_move_task:
        sqs_op_move_start(ctx, req, resp, in, &w);
        break;
    case SQS_OP_list_message_move_tasks:
        sqs_op_move_list(ctx, req, resp, in, &w);
        break;
    case SQS_OP_cancel_message_move_task:
        sqs_op_move_cancel(ctx, req, resp, in, &w);
        break;
    default: {
        kv_slice_t t = req->_st->target;
        sqs_refuse(resp, API_E_SQS_INVALID_ACTION,
                   "The action %.*s is not valid for this endpoint.",
                   (int)(t.len > 80 ? 80 : t.len), (const char *)t.p);
    }
    }
    if (resp->_pending)
        return; /* answered later; its receive's commit is not held for --fsync always */
    if (!resp->_err && !api_jw_ok(&w))
        sqs_refuse(resp, API_E_SQS_INTERNAL, "The response was too large");
    /* every operation but the reads commits what it acknowledges: with --fsync always, the
     * response waits for the WAL sync */
    if (!resp->_err && op != SQS_OP_get_queue_url && op != SQS_OP_list_queues &&
        op != SQS_OP_get_queue_attributes && op != SQS_OP_list_queue_tags &&
        op != SQS_OP_list_dead_letter_source_queues && op != SQS_OP_list_message_move_tasks)
        resp->durable = true;
}

static const api_op_desc_t sqs_ops[] = {
#define XX(Name, cname) {.name = #Name, .flags = 0},
    SQS_OP_MAP(XX)
#undef XX
};

/* The JSON 1.0 error body ({"__type": "com.amazonaws.sqs#<Code>", "message"}) and the
 * x-amzn-query-error header (<query code>;Sender|Receiver). */
static void sqs_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    if (is_query(req)) {
        sqs_query_finish(req, resp);
    } else if (!resp->_err) {
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-amz-json-1.0"));
    } else {
        api_err_t e = (api_err_t)resp->_err;
        const char *code = api_err_code(e);
        const char *qcode = sqs_query_code(e);
        kv_buf_reset(&resp->body);
        api_jw_t w;
        api_jw_init(&w, &resp->body);
        api_jw_obj_begin(&w);
        api_jw_key(&w, "__type");
        kv_buf_t t;
        kv_buf_init(&t, 256);
        kv_buf_printf(&t, "com.amazonaws.sqs#%s", code);
        api_jw_str(&w, kv_buf_slice(&t));
        kv_buf_dispose(&t);
        api_jw_kstr(&w, "message", resp->_msg ? resp->_msg : "");
        api_jw_obj_end(&w);
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-amz-json-1.0"));
        if (qcode)
            api_resp_headerf(resp, "x-amzn-query-error", "%s;%s", qcode,
                             resp->status >= 500 ? "Receiver" : "Sender");
    }
    api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(req->_st->request_id));
}

static void sqs_stopping(void *state);

/* A query request's form percent-encodes: up to three bytes for each of a batch's 10 MiB. */
static uint64_t sqs_body_limit(const api_req_t *req)
{
    return is_query(req) ? 32u << 20 : 12u << 20;
}

static const api_job_t sqs_jobs[] = {
    {"sqs-wait", 0, false, sqs_wait_run},
    {"sqs-retention", 1000, false, sqs_retention_run},
    {"sqs-move", 1000, false, sqs_move_run},
};

static const char *const sqs_scopes[] = {"sqs", NULL};

const api_service_t sqs_service = {
    .name = "sqs",
    .scopes = sqs_scopes,
    .target_prefix = SQS_TARGET_PREFIX,
    .ops = sqs_ops,
    .n_ops = SQS_OP__COUNT,
    .body_limit = sqs_body_limit,
    .body_max = 12u << 20, /* a batch of ten 1 MiB messages, JSON-escaped */
    .dispatch = sqs_dispatch,
    .hold = sqs_hold,
    .finish = sqs_finish,
    .ids = API_IDS_UUID,
    .err_internal = API_E_SQS_INTERNAL,
    .err_throttle = API_E_SQS_THROTTLED,
    .iam_prefix = "sqs",
    .err_denied = API_E_SQS_ACCESS_DENIED,
    .err_too_large = API_E_SQS_BATCH_TOO_LONG,
    .err_stream_large = API_E_SQS_BATCH_TOO_LONG,
    .jobs = sqs_jobs,
    .n_jobs = sizeof(sqs_jobs) / sizeof(sqs_jobs[0]),
    .init = sqs_init,
    .fini = sqs_fini,
    .stopping = sqs_stopping,
    .abandon = sqs_abandon,
};

/* The server stops taking requests: answer every held receive now. */
static void sqs_stopping(void *state)
{
    sqs_state_t *s = state;
    pthread_rwlock_wrlock(&s->lock);
    atomic_store(&s->stopping, true);
    size_t n = s->n;
    sqs_queue_t **qs = kv_calloc(n ? n : 1, sizeof(*qs));
    for (size_t i = 0; i < n; i++) {
        qs[i] = s->q[i];
        atomic_fetch_add(&qs[i]->refs, 1);
    }
    pthread_rwlock_unlock(&s->lock);
    for (size_t i = 0; i < n; i++) {
        sqs_waiters_flush(s->ctx, qs[i]);
        sqs_queue_put(qs[i]);
    }
    kv_free(qs);
}

/* ---- the cross-service interface (api_msg.h) ---- */

bool api_sqs_exists(api_ctx_t *ctx, kv_slice_t queue_arn)
{
    return api_sqs_info(ctx, queue_arn, NULL, NULL) == 0;
}

int api_sqs_info(api_ctx_t *ctx, kv_slice_t queue_arn, unsigned *vis_s, bool *fifo)
{
    sqs_state_t *s = sqs_state(ctx);
    sqs_queue_t *q = s ? sqs_queue_by_arn(s, queue_arn) : NULL;
    if (q == NULL)
        return KV_ENOTFOUND;
    pthread_mutex_lock(&q->lock);
    if (vis_s)
        *vis_s = q->vis_s;
    if (fifo)
        *fifo = q->fifo;
    pthread_mutex_unlock(&q->lock);
    sqs_queue_put(q);
    return 0;
}
