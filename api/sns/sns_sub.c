/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SNS subscriptions: Subscribe (sqs, lambda, http, https; idempotent; http(s) pending until
 * confirmed), Unsubscribe, ConfirmSubscription, ListSubscriptions(ByTopic),
 * Get/SetSubscriptionAttributes, and filter policies: SNS's checks (5 keys, 150
 * combinations, no nesting with the MessageAttributes scope) over the shared pattern matcher.
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codec/api_pattern.h"
#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "sns_int.h"

#define FILTER_MAX_KEYS   5
#define FILTER_MAX_COMBOS 150
#define FILTER_MAX_LEN    (256 * 1024)

static const char *const SUB_ATTRS[] = {
    "DeliveryPolicy", "FilterPolicy",        "FilterPolicyScope", "RawMessageDelivery",
    "RedrivePolicy",  "SubscriptionRoleArn", "ReplayPolicy",
};

/* ---- filter policies ---- */

/* Count leaf keys into *keys and return the policy's combinations (values multiplied across
 * keys, alternatives of $or added); NULL reason when it fits, else SNS's. */
static const char *walk(const api_json_t *o, bool attrs_scope, int depth, size_t *keys,
                        size_t *combos)
{
    if (depth > API_PAT_MAX_DEPTH)
        return "Filter policy is too complex";
    size_t prod = 1;
    void *it = NULL;
    const char *k;
    api_json_t *v;
    while (api_json_next(o, &it, &k, &v)) {
        size_t c = 0;
        if (strcmp(k, "$or") == 0 && api_json_type(v) == API_J_ARR) {
            for (size_t i = 0; i < api_json_len(v); i++) {
                size_t sub = 0;
                const api_json_t *alt = api_json_at(v, i);
                if (api_json_type(alt) != API_J_OBJ)
                    return "$or must be an array of objects";
                const char *why = walk(alt, attrs_scope, depth + 1, keys, &sub);
                if (why)
                    return why;
                c += sub;
            }
        } else if (api_json_type(v) == API_J_ARR) {
            (*keys)++;
            c = api_json_len(v);
        } else if (api_json_type(v) == API_J_OBJ) {
            if (attrs_scope)
                return "Filter policy scope MessageAttributes does not support nested filter "
                       "policy";
            const char *why = walk(v, attrs_scope, depth + 1, keys, &c);
            if (why)
                return why;
        } else {
            return "Filter policy values must be arrays";
        }
        if (c == 0)
            c = 1;
        prod = prod * c > FILTER_MAX_COMBOS * 16 ? FILTER_MAX_COMBOS * 16 : prod * c;
    }
    *combos = prod;
    return NULL;
}

const char *sns_filter_check(kv_arena_t *a, kv_slice_t policy, bool body_scope)
{
    if (policy.len > FILTER_MAX_LEN)
        return "Filter policy is too long";
    api_json_t *doc;
    const char *err;
    if (api_json_parse(a, policy, &doc, &err) < 0 || api_json_type(doc) != API_J_OBJ)
        return kv_arena_printf(a, "failed to parse JSON. %s", err ? err : "");
    size_t keys = 0, combos = 0;
    const char *why = walk(doc, !body_scope, 0, &keys, &combos);
    if (why)
        return why;
    if (keys > FILTER_MAX_KEYS)
        return "Filter policy can not have more than 5 keys";
    if (combos > FILTER_MAX_COMBOS)
        return "Filter policy is too complex";
    api_pattern_t *p;
    if (api_pattern_compile(a, policy, 0, &p, &err) < 0)
        return kv_arena_printf(a, "%s", err ? err : "Invalid filter policy");
    return NULL;
}

/* Write a Number attribute's value as canonical JSON: SNS takes "+5", "007", "5." and ".5",
 * which JSON does not. An integer within 2^53 as an integer, else the double that reads back
 * the same. false when it is no finite number (the caller writes it as a string). */
static bool number_json(api_jw_t *w, kv_slice_t v)
{
    char buf[64], out[40];
    if (v.len == 0 || v.len >= sizeof(buf))
        return false;
    memcpy(buf, v.p, v.len);
    buf[v.len] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (end != buf + v.len || !isfinite(d))
        return false;
    if (d == floor(d) && fabs(d) < 9007199254740992.0)
        snprintf(out, sizeof(out), "%.0f", d == 0 ? 0.0 : d);
    else
        snprintf(out, sizeof(out), "%.17g", d);
    api_jw_raw(w, kv_slice_str(out));
    return true;
}

/* Is s well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF)? */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                     : c >= 0xE0 && c <= 0xEF ? 3
                     : c >= 0xF0 && c <= 0xF4 ? 4
                                              : 0;
        if (len == 0 || i + len > n)
            return false;
        uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += len;
    }
    return true;
}

void sns_filter_attrs_doc(kv_buf_t *out, kv_arena_t *a, const eng_sns_attr_t *attrs, size_t n_attrs)
{
    api_jw_t w;
    api_jw_init(&w, out);
    api_jw_obj_begin(&w);
    for (size_t i = 0; i < n_attrs; i++) {
        const char *t = attrs[i].type;
        if (strncmp(t, "Binary", 6) == 0)
            continue;
        bool dup = false; /* the first of a name (a map has no duplicates; other services') */
        for (size_t k = 0; k < i && !dup; k++)
            dup = strcmp(attrs[k].name, attrs[i].name) == 0;
        /* SNS's checks let no such attribute through; other callers' are left out too */
        if (dup || !utf8_valid((const uint8_t *)attrs[i].name, strlen(attrs[i].name)) ||
            !utf8_valid(attrs[i].value.p, attrs[i].value.len))
            continue;
        api_jw_key(&w, attrs[i].name);
        if (strncmp(t, "Number", 6) == 0 && number_json(&w, attrs[i].value))
            continue;
        if (strcmp(t, "String.Array") == 0) {
            /* re-written from its parse: only a valid array of scalars goes in as an array */
            api_json_t *arr;
            const char *err;
            if (api_json_parse(a, attrs[i].value, &arr, &err) == 0 &&
                api_json_type(arr) == API_J_ARR) {
                api_jw_arr_begin(&w);
                for (size_t k = 0; k < api_json_len(arr); k++) {
                    const api_json_t *e = api_json_at(arr, k);
                    double d;
                    int64_t iv;
                    switch (api_json_type(e)) {
                    case API_J_STR:
                        api_jw_str(&w, api_json_str(e));
                        break;
                    case API_J_INT:
                        if (api_json_int(e, &iv))
                            api_jw_i64(&w, iv);
                        else
                            api_jw_null(&w);
                        break;
                    case API_J_REAL:
                        if (api_json_num(e, &d) && isfinite(d)) {
                            char nb[40];
                            snprintf(nb, sizeof(nb), "%.17g", d);
                            api_jw_raw(&w, kv_slice_str(nb));
                        } else {
                            api_jw_null(&w);
                        }
                        break;
                    case API_J_BOOL:
                        api_jw_bool(&w, api_json_bool(e));
                        break;
                    default:
                        api_jw_null(&w);
                    }
                }
                api_jw_arr_end(&w);
                continue;
            }
        }
        api_jw_str(&w, attrs[i].value);
    }
    api_jw_obj_end(&w);
}

/*
 * Compiled filter policies, shared by every publish: keyed by the policy's text (a changed
 * policy is another key, so nothing needs invalidating), FCACHE_SLOTS entries found by hash
 * within FCACHE_PROBE slots; an entry in use (refs) is never evicted, the least recently used
 * of the probed ones otherwise. Policies past FCACHE_TEXT_MAX bytes are compiled per use.
 */
#define FCACHE_SLOTS    256
#define FCACHE_PROBE    8
#define FCACHE_TEXT_MAX 16384

typedef struct fcache_ent {
    uint64_t hash, used;
    char *text; /* NULL: free */
    kv_arena_t *a;
    api_pattern_t *p; /* NULL: the policy does not compile */
    unsigned refs;
} fcache_ent_t;

static pthread_mutex_t fcache_lock = PTHREAD_MUTEX_INITIALIZER;
static fcache_ent_t fcache[FCACHE_SLOTS];
static uint64_t fcache_clock;

/* The compiled policy (NULL when it does not compile); *ent to give back (NULL: not cached,
 * compiled in a). */
static const api_pattern_t *fcache_get(kv_arena_t *a, const char *policy, fcache_ent_t **ent)
{
    size_t len = strlen(policy);
    api_pattern_t *p = NULL;
    const char *err;
    *ent = NULL;
    if (len > FCACHE_TEXT_MAX)
        return api_pattern_compile(a, kv_slice(policy, len), 0, &p, &err) < 0 ? NULL : p;
    uint64_t h = kv_xxh3(policy, len);
    pthread_mutex_lock(&fcache_lock);
    fcache_ent_t *victim = NULL;
    for (size_t i = 0; i < FCACHE_PROBE; i++) {
        fcache_ent_t *e = &fcache[(h + i) % FCACHE_SLOTS];
        if (e->text && e->hash == h && strcmp(e->text, policy) == 0) {
            e->refs++;
            e->used = ++fcache_clock;
            pthread_mutex_unlock(&fcache_lock);
            *ent = e;
            return e->p;
        }
        if (e->refs == 0 &&
            (victim == NULL || (victim->text && (!e->text || e->used < victim->used))))
            victim = e;
    }
    if (victim == NULL) { /* every probed entry in use: compiled for this call only */
        pthread_mutex_unlock(&fcache_lock);
        return api_pattern_compile(a, kv_slice(policy, len), 0, &p, &err) < 0 ? NULL : p;
    }
    if (victim->text) {
        kv_free(victim->text);
        kv_arena_free(victim->a);
    }
    /* compiled under the lock: a policy is at most FCACHE_TEXT_MAX bytes */
    victim->a = kv_arena_new(4 * len + 4096);
    victim->p = api_pattern_compile(victim->a, kv_slice(policy, len), 0, &p, &err) < 0 ? NULL : p;
    victim->text = kv_strdup(policy);
    victim->hash = h;
    victim->used = ++fcache_clock;
    victim->refs = 1;
    pthread_mutex_unlock(&fcache_lock);
    *ent = victim;
    return victim->p;
}

static void fcache_put(fcache_ent_t *e)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&fcache_lock);
    e->refs--;
    pthread_mutex_unlock(&fcache_lock);
}

bool sns_filter_match(kv_arena_t *a, const eng_sns_sub_t *s, sns_filter_in_t *in, kv_slice_t body)
{
    const char *policy = sns_attr(s->attrs, s->n_attrs, "FilterPolicy");
    if (policy == NULL || policy[0] == 0)
        return true;
    const char *scope = sns_attr(s->attrs, s->n_attrs, "FilterPolicyScope");
    const char *err;
    const api_json_t *doc;
    if (scope && strcmp(scope, "MessageBody") == 0) {
        /* parsed once per distinct body (MessageStructure gives one per protocol) */
        if (in->body_doc == NULL || in->body_p != body.p || in->body_len != body.len) {
            in->body_p = body.p;
            in->body_len = body.len;
            in->body_ok = api_json_parse(a, body, &in->body_doc, &err) == 0 &&
                          api_json_type(in->body_doc) == API_J_OBJ;
            if (!in->body_ok)
                in->body_doc = NULL;
        }
        doc = in->body_doc;
    } else {
        /* the attributes as a document, built once per message: String a string, Number a
         * number, String.Array its array; Binary attributes take no part */
        if (!in->attrs_done) {
            in->attrs_done = true;
            kv_buf_t b;
            kv_buf_init(&b, 4u << 20);
            sns_filter_attrs_doc(&b, a, in->attrs, in->n_attrs);
            err = NULL;
            if (kv_buf_failed(&b) ||
                api_json_parse(a, kv_buf_slice(&b), &in->attrs_doc, &err) < 0) {
                KV_LOG_WARN("sns: a message's attribute document does not parse: %s",
                            err ? err : "too large");
                in->attrs_doc = NULL;
            }
            kv_buf_dispose(&b);
        }
        doc = in->attrs_doc;
    }
    if (doc == NULL)
        return false;
    fcache_ent_t *ent;
    const api_pattern_t *p = fcache_get(a, policy, &ent);
    bool ok = p && api_pattern_match(p, doc);
    fcache_put(ent);
    return ok;
}

/* ---- attributes ---- */

static bool is_raw_capable(const char *proto)
{
    return strcmp(proto, "sqs") == 0 || strcmp(proto, "http") == 0 || strcmp(proto, "https") == 0 ||
           strcmp(proto, "firehose") == 0;
}

/* Check one subscription attribute (against the others already in s). 0 or -1. */
static int check_sub_attr(sns_call_t *c, const eng_sns_sub_t *s, const char *name, kv_slice_t v)
{
    size_t i = 0, n = sizeof(SUB_ATTRS) / sizeof(SUB_ATTRS[0]);
    while (i < n && strcmp(SUB_ATTRS[i], name) != 0)
        i++;
    if (i == n)
        return sns_invalid(c->resp, "AttributeName");
    if (strcmp(name, "RawMessageDelivery") == 0) {
        if (!kv_slice_eq_nocase(v, "true") && !kv_slice_eq_nocase(v, "false"))
            return sns_invalid(c->resp,
                               "RawMessageDelivery: Invalid value [%.*s]. Must be true "
                               "or false.",
                               (int)v.len, (const char *)v.p);
        if (!is_raw_capable(s->protocol))
            return sns_invalid(c->resp,
                               "Attributes Reason: Delivery protocol [%s] does not "
                               "support raw message delivery.",
                               s->protocol);
    } else if (strcmp(name, "FilterPolicyScope") == 0) {
        if (!kv_slice_eq_str(v, "MessageAttributes") && !kv_slice_eq_str(v, "MessageBody"))
            return sns_invalid(c->resp, "FilterPolicyScope: Invalid filter policy scope: %.*s",
                               (int)v.len, (const char *)v.p);
        const char *fp = sns_attr(s->attrs, s->n_attrs, "FilterPolicy");
        const char *why = fp && fp[0] ? sns_filter_check(c->a, kv_slice_str(fp),
                                                         kv_slice_eq_str(v, "MessageBody"))
                                      : NULL;
        if (why)
            return sns_invalid(c->resp, "FilterPolicy: %s", why);
    } else if (strcmp(name, "FilterPolicy") == 0 && v.len) {
        const char *scope = sns_attr(s->attrs, s->n_attrs, "FilterPolicyScope");
        const char *why = sns_filter_check(c->a, v, scope && strcmp(scope, "MessageBody") == 0);
        if (why)
            return sns_invalid(c->resp, "FilterPolicy: %s", why);
    } else if ((strcmp(name, "RedrivePolicy") == 0 || strcmp(name, "DeliveryPolicy") == 0) &&
               v.len) {
        api_json_t *doc;
        const char *err;
        if (api_json_parse(c->a, v, &doc, &err) < 0 || api_json_type(doc) != API_J_OBJ)
            return sns_invalid(c->resp, "%s: failed to parse JSON", name);
        if (strcmp(name, "RedrivePolicy") == 0) {
            kv_slice_t dlq = sns_str(doc, "deadLetterTargetArn");
            api_arn_t arn;
            if (dlq.p == NULL || !api_arn_parse(dlq, &arn) || !kv_slice_eq_str(arn.service, "sqs"))
                return sns_invalid(c->resp, "RedrivePolicy: deadLetterTargetArn is an invalid "
                                            "arn");
        }
    }
    return 0;
}

/* Set (or, with an empty value, remove) an attribute of s. */
static void put_sub_attr(kv_arena_t *a, eng_sns_sub_t *s, const char *name, kv_slice_t v)
{
    eng_tag_t *p = kv_arena_calloc(a, s->n_attrs + 1, sizeof(*p));
    size_t n = 0;
    for (size_t i = 0; i < s->n_attrs; i++)
        if (strcmp(s->attrs[i].key, name) != 0)
            p[n++] = s->attrs[i];
    if (v.len) {
        p[n].key = kv_arena_strndup(a, name, strlen(name));
        p[n].value = kv_arena_strndup(a, v.p, v.len);
        if (strcmp(name, "RawMessageDelivery") == 0)
            p[n].value = kv_slice_eq_nocase(v, "true") ? "true" : "false";
        n++;
    }
    s->attrs = p;
    s->n_attrs = n;
}

/* ---- operations ---- */

/* Queue the SubscriptionConfirmation request of a pending HTTP(S) subscription (the delivery
 * job posts it, retried by the subscription's policy). */
static void send_confirmation(sns_call_t *c, const eng_sns_sub_t *s)
{
    char id[37];
    kv_uuid4(id);
    const char *msg = kv_arena_printf(c->a,
                                      "You have chosen to subscribe to the topic %s.\nTo confirm "
                                      "the subscription, visit the SubscribeURL included in this "
                                      "message.",
                                      sns_topic_arn(c->ctx, c->a, s->topic));
    eng_sns_msg_t m = {.topic = s->topic,
                       .msg_id = id,
                       .body = kv_slice_str(msg),
                       .ts_ms = kv_now_ms(),
                       .kind = ENG_SNS_CONFIRMATION};
    const char *dup;
    const char *sub = s->id;
    if (eng_sns_publish(c->ctx->eng, &m, &sub, 1, 0, c->a, &dup) < 0)
        KV_LOG_WARN("sns: the confirmation request of %s:%s could not be queued", s->topic, s->id);
    else
        api_sched_kick(c->ctx, "sns-deliver");
}

static int topic_of(sns_call_t *c, eng_sns_topic_t **t)
{
    kv_slice_t arn = sns_str(c->in, "TopicArn"), name;
    if (arn.p == NULL || !sns_topic_name(arn, &name))
        return sns_invalid(c->resp, "TopicArn");
    return sns_topic_load(c, name, t);
}

static int endpoint_ok(sns_call_t *c, const char *proto, kv_slice_t ep, bool fifo)
{
    static const char *const elsewhere[] = {"email", "email-json", "sms", "application",
                                            "firehose"};
    bool here = strcmp(proto, "sqs") == 0 || strcmp(proto, "lambda") == 0 ||
                strcmp(proto, "http") == 0 || strcmp(proto, "https") == 0;
    if (!here) {
        for (size_t i = 0; i < sizeof(elsewhere) / sizeof(elsewhere[0]); i++)
            if (strcmp(proto, elsewhere[i]) == 0)
                return sns_invalid(c->resp,
                                   "Protocol Reason: %s subscriptions are not "
                                   "delivered by this server (sqs, lambda, http and "
                                   "https are)",
                                   proto);
        return sns_invalid(c->resp, "Amazon SNS does not support this protocol string: %s", proto);
    }
    if (fifo && strcmp(proto, "sqs") != 0)
        return sns_invalid(c->resp, "Invalid protocol type: %s", proto);
    api_arn_t arn;
    if (strcmp(proto, "sqs") == 0 &&
        (!api_arn_parse(ep, &arn) || !kv_slice_eq_str(arn.service, "sqs") || !arn.resource.len))
        return sns_invalid(c->resp, "SQS endpoint ARN");
    if (strcmp(proto, "lambda") == 0 &&
        (!api_arn_parse(ep, &arn) || !kv_slice_eq_str(arn.service, "lambda") ||
         !kv_slice_starts_with(arn.resource, "function:")))
        return sns_invalid(c->resp, "Lambda endpoint ARN");
    if ((strcmp(proto, "http") == 0 && !kv_slice_starts_with(ep, "http://")) ||
        (strcmp(proto, "https") == 0 && !kv_slice_starts_with(ep, "https://")))
        return sns_invalid(c->resp, "Endpoint must match the specified protocol");
    return 0;
}

int sns_subscribe(sns_call_t *c)
{
    eng_sns_topic_t *t;
    if (topic_of(c, &t) < 0)
        return -1;
    kv_slice_t proto = sns_str(c->in, "Protocol"), ep = sns_str(c->in, "Endpoint");
    if (proto.p == NULL || proto.len == 0 || proto.len > 32)
        return sns_invalid(c->resp, "Protocol");
    if (ep.p == NULL || ep.len == 0 || ep.len > 2048)
        return sns_invalid(c->resp, "Endpoint");
    eng_sns_sub_t s = {.topic = t->name,
                       .protocol = kv_arena_strndup(c->a, proto.p, proto.len),
                       .endpoint = kv_arena_strndup(c->a, ep.p, ep.len)};
    if (endpoint_ok(c, s.protocol, ep, t->fifo) < 0)
        return -1;
    /* attributes at subscribe: FilterPolicyScope before FilterPolicy is checked */
    const api_json_t *attrs = api_json_get(c->in, "Attributes");
    kv_slice_t scope = sns_str(attrs, "FilterPolicyScope");
    if (scope.p && check_sub_attr(c, &s, "FilterPolicyScope", scope) < 0)
        return -1;
    if (scope.p)
        put_sub_attr(c->a, &s, "FilterPolicyScope", scope);
    void *it = NULL;
    const char *k;
    api_json_t *v;
    while (attrs && api_json_next(attrs, &it, &k, &v)) {
        if (strcmp(k, "FilterPolicyScope") == 0)
            continue;
        if (check_sub_attr(c, &s, k, api_json_str(v)) < 0)
            return -1;
        put_sub_attr(c->a, &s, k, api_json_str(v));
    }
    const api_json_t *ret = api_json_get(c->in, "ReturnSubscriptionArn");
    bool want_arn = ret && api_json_bool(ret);
    /* the same endpoint subscribed again: the subscription it has */
    eng_sns_sub_t *subs;
    size_t n;
    bool more;
    if (eng_sns_sub_list(c->ctx->eng, kv_slice_str(t->name), kv_slice("", 0), SNS_SUBS_SCAN, c->a,
                         &subs, &n, &more) < 0) {
        api_fail(c->resp, API_E_SNS_INTERNAL, NULL);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(subs[i].protocol, s.protocol) != 0 || strcmp(subs[i].endpoint, s.endpoint))
            continue;
        for (size_t j = 0; j < s.n_attrs; j++) {
            const char *ov = sns_attr(subs[i].attrs, subs[i].n_attrs, s.attrs[j].key);
            if (ov == NULL || strcmp(ov, s.attrs[j].value) != 0)
                return sns_invalid(c->resp, "Attributes Reason: Subscription already exists "
                                            "with different attributes");
        }
        if (subs[i].pending) /* subscribing again sends the confirmation again */
            send_confirmation(c, &subs[i]);
        api_xw_elem_str(&c->w, "SubscriptionArn",
                        subs[i].pending && !want_arn
                            ? "pending confirmation"
                            : sns_sub_arn(c->ctx, c->a, t->name, subs[i].id));
        return 0;
    }
    if (more || n >= SNS_SUBS_SCAN) /* Publish delivers to every one: their number is bounded */
        return api_refuse(c->resp, API_E_SNS_SUB_LIMIT,
                          "Invalid parameter: Topic %s has the maximum number of subscriptions "
                          "(%d) this server keeps",
                          t->name, SNS_SUBS_SCAN);
    char id[37];
    kv_uuid4(id);
    s.id = kv_arena_strndup(c->a, id, 36);
    s.created_ms = kv_now_ms();
    s.pending = strcmp(s.protocol, "http") == 0 || strcmp(s.protocol, "https") == 0;
    if (s.pending) {
        uint8_t r[64];
        kv_random(r, sizeof(r));
        kv_buf_t tok;
        kv_buf_init(&tok, 256);
        kv_buf_append_hex(&tok, r, sizeof(r));
        s.token = kv_arena_strndup(c->a, tok.p, tok.len);
        kv_buf_dispose(&tok);
    }
    int rc = eng_sns_sub_put(c->ctx->eng, &s, ENG_FN_CREATE);
    if (rc < 0) {
        api_fail(c->resp, rc == KV_ENOTFOUND ? API_E_SNS_NOT_FOUND : API_E_SNS_INTERNAL,
                 rc == KV_ENOTFOUND ? "Topic does not exist" : NULL);
        return -1;
    }
    c->resp->durable = true;
    if (s.pending)
        send_confirmation(c, &s);
    api_xw_elem_str(&c->w, "SubscriptionArn",
                    s.pending && !want_arn ? "pending confirmation"
                                           : sns_sub_arn(c->ctx, c->a, t->name, s.id));
    return 0;
}

/* The subscription the input's SubscriptionArn names. */
static int sub_of(sns_call_t *c, eng_sns_sub_t **s)
{
    kv_slice_t arn = sns_str(c->in, "SubscriptionArn"), topic, id;
    if (arn.p == NULL || !sns_sub_parts(arn, &topic, &id))
        return sns_invalid(c->resp, "SubscriptionArn");
    int rc = eng_sns_sub_get(c->ctx->eng, topic, id, c->a, s);
    if (rc < 0) {
        api_fail(c->resp, rc == KV_ENOTFOUND ? API_E_SNS_NOT_FOUND : API_E_SNS_INTERNAL,
                 rc == KV_ENOTFOUND ? "Subscription does not exist" : NULL);
        return -1;
    }
    return 0;
}

int sns_unsubscribe(sns_call_t *c)
{
    eng_sns_sub_t *s;
    if (sub_of(c, &s) < 0)
        return -1;
    if (eng_sns_sub_delete(c->ctx->eng, kv_slice_str(s->topic), kv_slice_str(s->id)) < 0) {
        api_fail(c->resp, API_E_SNS_NOT_FOUND, "Subscription does not exist");
        return -1;
    }
    c->resp->durable = true;
    return 0;
}

int sns_confirm_subscription(sns_call_t *c)
{
    eng_sns_topic_t *t;
    if (topic_of(c, &t) < 0)
        return -1;
    kv_slice_t token = sns_str(c->in, "Token");
    if (token.p == NULL || token.len == 0)
        return sns_invalid(c->resp, "Token");
    eng_sns_sub_t *subs;
    size_t n;
    bool more;
    if (eng_sns_sub_list(c->ctx->eng, kv_slice_str(t->name), kv_slice("", 0), SNS_SUBS_SCAN, c->a,
                         &subs, &n, &more) < 0) {
        api_fail(c->resp, API_E_SNS_INTERNAL, NULL);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (subs[i].token == NULL || !kv_slice_eq_str(token, subs[i].token))
            continue;
        if (subs[i].pending) {
            subs[i].pending = false;
            if (eng_sns_sub_put(c->ctx->eng, &subs[i], ENG_FN_UPDATE) < 0) {
                api_fail(c->resp, API_E_SNS_NOT_FOUND, "Subscription does not exist");
                return -1;
            }
            c->resp->durable = true;
        }
        api_xw_elem_str(&c->w, "SubscriptionArn", sns_sub_arn(c->ctx, c->a, t->name, subs[i].id));
        return 0;
    }
    return sns_invalid(c->resp, "Token");
}

static void list_subs(sns_call_t *c, kv_slice_t topic)
{
    kv_slice_t after = sns_str(c->in, "NextToken");
    eng_sns_sub_t *subs;
    size_t n;
    bool more;
    if (eng_sns_sub_list(c->ctx->eng, topic, after.p ? after : kv_slice("", 0), SNS_PAGE, c->a,
                         &subs, &n, &more) < 0) {
        api_fail(c->resp, API_E_SNS_INTERNAL, NULL);
        return;
    }
    api_xw_open(&c->w, "Subscriptions");
    for (size_t i = 0; i < n; i++) {
        api_xw_open(&c->w, "member");
        api_xw_elem_str(&c->w, "SubscriptionArn",
                        subs[i].pending ? "PendingConfirmation"
                                        : sns_sub_arn(c->ctx, c->a, subs[i].topic, subs[i].id));
        api_xw_elem_str(&c->w, "Owner", API_ACCOUNT_ID);
        api_xw_elem_str(&c->w, "Protocol", subs[i].protocol);
        api_xw_elem_str(&c->w, "Endpoint", subs[i].endpoint);
        api_xw_elem_str(&c->w, "TopicArn", sns_topic_arn(c->ctx, c->a, subs[i].topic));
        api_xw_close(&c->w, "member");
    }
    api_xw_close(&c->w, "Subscriptions");
    if (more && n)
        api_xw_elem_str(&c->w, "NextToken",
                        kv_arena_printf(c->a, "%s:%s", subs[n - 1].topic, subs[n - 1].id));
}

int sns_list_subscriptions(sns_call_t *c)
{
    list_subs(c, kv_slice("", 0));
    return c->resp->_err ? -1 : 0;
}

int sns_list_subscriptions_by_topic(sns_call_t *c)
{
    eng_sns_topic_t *t;
    if (topic_of(c, &t) < 0)
        return -1;
    list_subs(c, kv_slice_str(t->name));
    return c->resp->_err ? -1 : 0;
}

int sns_get_subscription_attributes(sns_call_t *c)
{
    eng_sns_sub_t *s;
    if (sub_of(c, &s) < 0)
        return -1;
    eng_tag_t *out = kv_arena_calloc(c->a, s->n_attrs + 12, sizeof(*out));
    size_t m = 0;
#define PUT(k, v) (out[m].key = (k), out[m].value = (v), m++)
    PUT("Owner", API_ACCOUNT_ID);
    PUT("SubscriptionArn", sns_sub_arn(c->ctx, c->a, s->topic, s->id));
    PUT("TopicArn", sns_topic_arn(c->ctx, c->a, s->topic));
    PUT("Protocol", s->protocol);
    PUT("Endpoint", s->endpoint);
    PUT("PendingConfirmation", s->pending ? "true" : "false");
    PUT("ConfirmationWasAuthenticated", s->pending ? "false" : "true");
    if (!sns_attr(s->attrs, s->n_attrs, "RawMessageDelivery"))
        PUT("RawMessageDelivery", "false");
    if (sns_attr(s->attrs, s->n_attrs, "FilterPolicy") &&
        !sns_attr(s->attrs, s->n_attrs, "FilterPolicyScope"))
        PUT("FilterPolicyScope", "MessageAttributes");
    for (size_t i = 0; i < s->n_attrs; i++)
        PUT(s->attrs[i].key, s->attrs[i].value);
#undef PUT
    sns_xml_map(&c->w, "Attributes", out, m);
    return 0;
}

int sns_set_subscription_attributes(sns_call_t *c)
{
    eng_sns_sub_t *s;
    if (sub_of(c, &s) < 0)
        return -1;
    kv_slice_t name = sns_str(c->in, "AttributeName"), value = sns_str(c->in, "AttributeValue");
    if (name.p == NULL)
        return sns_invalid(c->resp, "AttributeName");
    if (value.p == NULL)
        value = kv_slice("", 0);
    const char *key = kv_arena_strndup(c->a, name.p, name.len);
    if (check_sub_attr(c, s, key, value) < 0)
        return -1;
    put_sub_attr(c->a, s, key, value);
    if (eng_sns_sub_put(c->ctx->eng, s, ENG_FN_UPDATE) < 0) {
        api_fail(c->resp, API_E_SNS_NOT_FOUND, "Subscription does not exist");
        return -1;
    }
    c->resp->durable = true;
    return 0;
}
