/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Publish and PublishBatch, and api_sns_publish / api_sns_exists for the other services: SNS's
 * checks (size counting attributes, Subject, MessageStructure json, message attributes, FIFO
 * group and deduplication), then one write batch holding a delivery record per confirmed
 * subscription whose filter policy takes the message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api_msg.h"
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "sns_int.h"

#define SNS_ATTRS_MAX 100 /* message attributes of one message (a bound of ours) */
#define SNS_BATCH_MAX 10

/* One message to publish, checked. */
typedef struct pub {
    kv_slice_t body;
    kv_slice_t subject; /* p NULL: none */
    bool structure;     /* MessageStructure json: body is the per-protocol document */
    eng_sns_attr_t *attrs;
    size_t n_attrs;
    kv_slice_t group, dedup; /* p NULL: none */
} pub_t;

/* A refusal: its error, SNS's message (in the arena) and a static reason for other services. */
typedef struct refusal {
    api_err_t err;
    const char *msg;
    const char *why;
} refusal_t;

static int refuse(refusal_t *r, api_err_t e, const char *why, const char *msg)
{
    r->err = e;
    r->why = why;
    r->msg = msg;
    return -1;
}

static bool attr_name_ok(kv_slice_t n)
{
    if (n.len == 0 || n.len > 256 || n.p[0] == '.' || n.p[n.len - 1] == '.')
        return false;
    if (kv_slice_starts_with(n, "AWS.") || kv_slice_starts_with(n, "Amazon."))
        return false;
    for (size_t i = 0; i < n.len; i++) {
        uint8_t c = n.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
        if (c == '.' && i && n.p[i - 1] == '.')
            return false;
    }
    return true;
}

/* A number as SNS takes it: an optional sign, digits, an optional fraction and exponent. */
static bool number_ok(kv_slice_t v)
{
    char buf[64];
    if (v.len == 0 || v.len >= sizeof(buf))
        return false;
    memcpy(buf, v.p, v.len);
    buf[v.len] = 0;
    size_t i = buf[0] == '-' || buf[0] == '+' ? 1 : 0, digits = 0;
    while (buf[i] >= '0' && buf[i] <= '9')
        i++, digits++;
    if (buf[i] == '.') {
        i++;
        while (buf[i] >= '0' && buf[i] <= '9')
            i++, digits++;
    }
    if (digits == 0)
        return false;
    if (buf[i] == 'e' || buf[i] == 'E') {
        i++;
        if (buf[i] == '-' || buf[i] == '+')
            i++;
        if (buf[i] < '0' || buf[i] > '9')
            return false;
        while (buf[i] >= '0' && buf[i] <= '9')
            i++;
    }
    return buf[i] == 0 && isfinite(strtod(buf, NULL));
}

/* Check the attributes of p (already read into p->attrs). */
static int check_attrs(kv_arena_t *a, pub_t *p, refusal_t *r)
{
    if (p->n_attrs > SNS_ATTRS_MAX)
        return refuse(r, API_E_SNS_PARAM_VALUE, "too many message attributes",
                      kv_arena_printf(a,
                                      "Number of message attributes [%zu] exceeds the "
                                      "allowed maximum [100].",
                                      p->n_attrs));
    for (size_t i = 0; i < p->n_attrs; i++) {
        eng_sns_attr_t *at = &p->attrs[i];
        const char *t = at->type;
        if (!attr_name_ok(kv_slice_str(at->name)))
            return refuse(
                r, API_E_SNS_PARAM_VALUE, "invalid message attribute name",
                kv_arena_printf(a, "The message attribute name '%s' is invalid.", at->name));
        bool str = strncmp(t, "String", 6) == 0 && (t[6] == 0 || t[6] == '.');
        bool num = strncmp(t, "Number", 6) == 0 && (t[6] == 0 || t[6] == '.');
        bool bin = strncmp(t, "Binary", 6) == 0 && (t[6] == 0 || t[6] == '.');
        if ((!str && !num && !bin) || strlen(t) > 256)
            return refuse(r, API_E_SNS_PARAM_VALUE, "invalid message attribute type",
                          kv_arena_printf(a,
                                          "The message attribute '%s' has an invalid message "
                                          "attribute type, the set of supported type prefixes "
                                          "is Binary, Number, and String.",
                                          at->name));
        if (at->value.len == 0)
            return refuse(r, API_E_SNS_PARAM_VALUE, "empty message attribute value",
                          kv_arena_printf(a,
                                          "The message attribute '%s' must contain non-empty "
                                          "message attribute value for message attribute type "
                                          "'%s'.",
                                          at->name, t));
        if (num && !number_ok(at->value))
            return refuse(r, API_E_SNS_PARAM_VALUE, "message attribute is not a number",
                          kv_arena_printf(a,
                                          "Could not cast message attribute '%s' value to "
                                          "number.",
                                          at->name));
        if (strcmp(t, "String.Array") == 0) {
            api_json_t *doc;
            const char *err;
            bool ok =
                api_json_parse(a, at->value, &doc, &err) == 0 && api_json_type(doc) == API_J_ARR;
            for (size_t k = 0; ok && k < api_json_len(doc); k++) {
                api_json_type_t jt = api_json_type(api_json_at(doc, k));
                ok = jt != API_J_ARR && jt != API_J_OBJ;
            }
            if (!ok)
                return refuse(r, API_E_SNS_PARAM_VALUE, "invalid String.Array attribute",
                              kv_arena_printf(a,
                                              "The message attribute '%s' has an invalid "
                                              "String.Array value.",
                                              at->name));
        }
    }
    return 0;
}

/* The message attributes of a request's map (name -> DataType, StringValue, BinaryValue). */
static int read_attrs(kv_arena_t *a, const api_json_t *map, pub_t *p, refusal_t *r)
{
    size_t n = map ? api_json_len(map) : 0;
    p->attrs = kv_arena_calloc(a, n + 1, sizeof(*p->attrs));
    p->n_attrs = 0;
    void *it = NULL;
    const char *k;
    api_json_t *v;
    while (map && api_json_next(map, &it, &k, &v)) {
        eng_sns_attr_t *at = &p->attrs[p->n_attrs++];
        at->name = k;
        kv_slice_t dt = sns_str(v, "DataType");
        if (dt.p == NULL || dt.len == 0)
            return refuse(r, API_E_SNS_PARAM_VALUE, "message attribute without a type",
                          kv_arena_printf(a,
                                          "The message attribute '%s' must contain a "
                                          "DataType.",
                                          k));
        at->type = kv_arena_strndup(a, dt.p, dt.len);
        kv_slice_t sv = sns_str(v, "StringValue"), bv = sns_str(v, "BinaryValue");
        if (kv_slice_starts_with(dt, "Binary")) {
            if (bv.p == NULL)
                return refuse(r, API_E_SNS_PARAM_VALUE, "binary attribute without BinaryValue",
                              kv_arena_printf(a,
                                              "The message attribute '%s' with type 'Binary' "
                                              "must use field 'Binary'.",
                                              k));
            kv_buf_t b;
            kv_buf_init(&b, bv.len + 4);
            bool ok = kv_b64_decode(&b, bv);
            at->value = kv_arena_dup(a, kv_buf_slice(&b));
            kv_buf_dispose(&b);
            if (!ok)
                return refuse(r, API_E_SNS_PARAM_VALUE, "invalid base64",
                              kv_arena_printf(a,
                                              "The message attribute '%s' has an invalid "
                                              "binary value.",
                                              k));
        } else {
            if (sv.p == NULL && bv.p)
                return refuse(r, API_E_SNS_PARAM_VALUE, "string attribute without StringValue",
                              kv_arena_printf(a,
                                              "The message attribute '%s' with type '%s' "
                                              "must use field 'String'.",
                                              k, at->type));
            at->value = sv.p ? sv : kv_slice("", 0);
        }
    }
    return check_attrs(a, p, r);
}

static bool subject_ok(kv_slice_t s)
{
    if (s.len == 0 || s.len > 100 || s.p[0] == ' ')
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < 0x20 || s.p[i] > 0x7E)
            return false;
    return true;
}

static bool group_ok(kv_slice_t g)
{
    if (g.len == 0 || g.len > 128)
        return false;
    for (size_t i = 0; i < g.len; i++)
        if (g.p[i] < 0x21 || g.p[i] > 0x7E)
            return false;
    return true;
}

/* Check p for topic t. */
static int check(kv_arena_t *a, const eng_sns_topic_t *t, pub_t *p, refusal_t *r)
{
    if (p->body.p == NULL || p->body.len == 0)
        return refuse(r, API_E_SNS_INVALID_PARAM, "empty message",
                      "Invalid parameter: Empty message");
    size_t size = p->body.len;
    for (size_t i = 0; i < p->n_attrs; i++)
        size += strlen(p->attrs[i].name) + strlen(p->attrs[i].type) + p->attrs[i].value.len;
    if (size > SNS_MSG_MAX)
        return refuse(r, API_E_SNS_INVALID_PARAM, "message too long",
                      "Invalid parameter: Message too long");
    if (p->subject.p && !subject_ok(p->subject))
        return refuse(r, API_E_SNS_INVALID_PARAM, "invalid subject", "Invalid parameter: Subject");
    if (p->structure) {
        api_json_t *doc;
        const char *err;
        if (api_json_parse(a, p->body, &doc, &err) < 0 || api_json_type(doc) != API_J_OBJ)
            return refuse(r, API_E_SNS_INVALID_PARAM, "message structure: not JSON",
                          "Invalid parameter: Message Structure - JSON message body failed to "
                          "parse");
        const api_json_t *def = api_json_get(doc, "default");
        if (def == NULL || api_json_type(def) != API_J_STR)
            return refuse(r, API_E_SNS_INVALID_PARAM, "message structure: no default",
                          "Invalid parameter: Message Structure - No default entry in JSON "
                          "message body");
        void *it = NULL;
        const char *k;
        api_json_t *v;
        while (api_json_next(doc, &it, &k, &v))
            if (api_json_type(v) != API_J_STR)
                return refuse(r, API_E_SNS_INVALID_PARAM, "message structure: not a string",
                              kv_arena_printf(a,
                                              "Invalid parameter: Message Structure - "
                                              "Protocol %s value is not a string",
                                              k));
    }
    if (t->fifo) {
        if (p->group.p == NULL)
            return refuse(r, API_E_SNS_INVALID_PARAM, "FIFO topic: MessageGroupId required",
                          "Invalid parameter: The MessageGroupId parameter is required for FIFO "
                          "topics");
        if (!group_ok(p->group))
            return refuse(r, API_E_SNS_INVALID_PARAM, "invalid MessageGroupId",
                          "Invalid parameter: MessageGroupId Reason: MessageGroupId can only "
                          "include alphanumeric and punctuation characters. 1 to 128 in length.");
        const char *cbd = sns_attr(t->attrs, t->n_attrs, "ContentBasedDeduplication");
        if (p->dedup.p == NULL && !(cbd && strcmp(cbd, "true") == 0))
            return refuse(r, API_E_SNS_INVALID_PARAM, "FIFO topic: deduplication id required",
                          "Invalid parameter: The topic should either have "
                          "ContentBasedDeduplication enabled or MessageDeduplicationId provided "
                          "explicitly");
        if (p->dedup.p && !group_ok(p->dedup))
            return refuse(r, API_E_SNS_INVALID_PARAM, "invalid MessageDeduplicationId",
                          "Invalid parameter: MessageDeduplicationId Reason: "
                          "MessageDeduplicationId can only include alphanumeric and punctuation "
                          "characters. 1 to 128 in length.");
    } else if (p->dedup.p) {
        return refuse(r, API_E_SNS_INVALID_PARAM, "deduplication id on a standard topic",
                      "Invalid parameter: MessageDeduplicationId Reason: The request includes "
                      "MessageDeduplicationId parameter that is not valid for this topic type");
    }
    return 0;
}

/* The message a subscription's protocol gets (MessageStructure json: its key or "default"),
 * from the document doc parsed once per message. */
static kv_slice_t body_for(const pub_t *p, const api_json_t *doc, const char *proto)
{
    if (!p->structure || doc == NULL)
        return p->body;
    const api_json_t *v = api_json_get(doc, proto);
    if (v == NULL || api_json_type(v) != API_J_STR)
        v = api_json_get(doc, "default");
    return api_json_str(v);
}

#define SUBS_PAGE 1000 /* subscriptions read at a time */

/*
 * Publish p (checked) to t: the message once and a delivery per confirmed subscription that
 * takes it, in one batch. The message id into id (37 bytes), the FIFO sequence number into
 * *seq. Every subscription is looked at, a page at a time.
 */
static int commit(api_ctx_t *ctx, kv_arena_t *a, const eng_sns_topic_t *t, const pub_t *p,
                  char id[37], uint64_t *seq)
{
    kv_uuid4(id);
    api_json_t *doc = NULL;
    const char *err;
    if (p->structure && api_json_parse(a, p->body, &doc, &err) < 0)
        doc = NULL;
    sns_filter_in_t fin = {.attrs = p->attrs, .n_attrs = p->n_attrs};
    size_t cap = 64, nd = 0;
    const char **ids = kv_arena_calloc(a, cap, sizeof(*ids));
    kv_arena_t *pa = kv_arena_new(1 << 16); /* one page of subscriptions at a time */
    kv_buf_t after;
    kv_buf_init(&after, 1024);
    bool more = true;
    int rc = 0;
    /* Subscribe keeps a topic to SNS_SUBS_SCAN subscriptions: the bound is never reached */
    for (size_t pages = 0; more && pages < SNS_SUBS_SCAN / SUBS_PAGE + 2; pages++) {
        eng_sns_sub_t *subs;
        size_t n;
        kv_arena_reset(pa);
        rc = eng_sns_sub_list(ctx->eng, kv_slice_str(t->name), kv_buf_slice(&after), SUBS_PAGE, pa,
                              &subs, &n, &more);
        if (rc < 0)
            break;
        for (size_t i = 0; i < n; i++) {
            if (subs[i].pending)
                continue;
            if (!sns_filter_match(pa, &subs[i], &fin, body_for(p, doc, subs[i].protocol)))
                continue;
            if (nd == cap) {
                const char **x = kv_arena_calloc(a, cap * 2, sizeof(*x));
                memcpy(x, ids, cap * sizeof(*x));
                ids = x;
                cap *= 2;
            }
            ids[nd++] = kv_arena_strndup(a, subs[i].id, strlen(subs[i].id));
        }
        if (n) {
            kv_buf_reset(&after);
            kv_buf_printf(&after, "%s:%s", t->name, subs[n - 1].id);
        }
        /* the attribute and body documents live in pa: built again for the next page */
        fin = (sns_filter_in_t){.attrs = p->attrs, .n_attrs = p->n_attrs};
    }
    kv_buf_dispose(&after);
    kv_arena_free(pa);
    if (rc == 0 && more)
        rc = KV_ETOOBIG; /* refused rather than delivered to some subscriptions only */
    if (rc < 0)
        return rc;
    eng_sns_msg_t m = {
        .topic = t->name,
        .msg_id = id,
        .body = p->body,
        .structure = p->structure,
        .subject = p->subject.p ? kv_arena_strndup(a, p->subject.p, p->subject.len) : NULL,
        /* a standard topic takes a MessageGroupId but keeps no order: none is delivered */
        .group = t->fifo && p->group.p ? kv_arena_strndup(a, p->group.p, p->group.len) : NULL,
        .ts_ms = kv_now_ms(),
        .attrs = p->attrs,
        .n_attrs = p->n_attrs,
        .sig_version = sns_sig_version(t),
    };
    if (t->fifo) {
        if (p->dedup.p) {
            m.dedup = kv_arena_strndup(a, p->dedup.p, p->dedup.len);
        } else { /* content-based: SHA-256 of the message */
            char hex[65];
            sigv4_sha256_hex(p->body, hex);
            m.dedup = kv_arena_strndup(a, hex, 64);
        }
    }
    const char *dup = NULL;
    rc = eng_sns_publish(ctx->eng, &m, ids, nd, SNS_DEDUP_MS, a, &dup);
    *seq = m.seq;
    if (rc == KV_EEXIST && dup) { /* a duplicate within 5 minutes: the first one's id */
        snprintf(id, 37, "%s", dup);
        rc = 0;
    } else if (rc == 0 && nd) {
        api_sched_kick(ctx, "sns-deliver");
    }
    return rc;
}

/* The topic a Publish names (TopicArn or TargetArn). */
static int target_of(sns_call_t *c, const api_json_t *in, eng_sns_topic_t **t)
{
    kv_slice_t arn = sns_str(in, "TopicArn"), target = sns_str(in, "TargetArn"), name;
    kv_slice_t phone = sns_str(in, "PhoneNumber");
    if ((arn.p != NULL) + (target.p != NULL) + (phone.p != NULL) > 1)
        return sns_invalid(c->resp, "TopicArn or TargetArn Reason: Only one of TopicArn, "
                                    "TargetArn or PhoneNumber may be specified");
    if (phone.p)
        return sns_invalid(c->resp, "PhoneNumber Reason: SMS messages are not delivered by this "
                                    "server");
    if (target.p)
        arn = target;
    if (arn.p == NULL)
        return sns_invalid(c->resp,
                           "TopicArn or TargetArn Reason: no value for required parameter");
    if (!sns_topic_name(arn, &name))
        return sns_invalid(c->resp, "TopicArn");
    return sns_topic_load(c, name, t);
}

/* Read a Publish (or a batch entry) from its document. */
static int read_pub(sns_call_t *c, const api_json_t *in, pub_t *p, refusal_t *r)
{
    memset(p, 0, sizeof(*p));
    p->body = sns_str(in, "Message");
    p->subject = sns_str(in, "Subject");
    kv_slice_t ms = sns_str(in, "MessageStructure");
    if (ms.p && !kv_slice_eq_str(ms, "json"))
        return refuse(r, API_E_SNS_INVALID_PARAM, "invalid MessageStructure",
                      "Invalid parameter: MessageStructure");
    p->structure = ms.p != NULL;
    p->group = sns_str(in, "MessageGroupId");
    p->dedup = sns_str(in, "MessageDeduplicationId");
    return read_attrs(c->a, api_json_get(in, "MessageAttributes"), p, r);
}

static void seq_text(char out[24], uint64_t seq)
{
    snprintf(out, 24, "%020llu", (unsigned long long)seq);
}

int sns_publish(sns_call_t *c)
{
    eng_sns_topic_t *t;
    if (target_of(c, c->in, &t) < 0)
        return -1;
    pub_t p;
    refusal_t r;
    if (read_pub(c, c->in, &p, &r) < 0 || check(c->a, t, &p, &r) < 0) {
        api_fail(c->resp, r.err, "%s", r.msg);
        return -1;
    }
    char id[37];
    uint64_t seq = 0;
    int rc = commit(c->ctx, c->a, t, &p, id, &seq);
    if (rc < 0) {
        api_fail(c->resp, rc == KV_ENOSPACE ? API_E_SNS_THROTTLED : API_E_SNS_INTERNAL, NULL);
        return -1;
    }
    c->resp->durable = true;
    api_xw_elem_str(&c->w, "MessageId", id);
    if (t->fifo) {
        char s[24];
        seq_text(s, seq);
        api_xw_elem_str(&c->w, "SequenceNumber", s);
    }
    return 0;
}

static bool batch_id_ok(kv_slice_t id)
{
    if (id.len == 0 || id.len > 80)
        return false;
    for (size_t i = 0; i < id.len; i++) {
        uint8_t ch = id.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

int sns_publish_batch(sns_call_t *c)
{
    eng_sns_topic_t *t;
    if (target_of(c, c->in, &t) < 0)
        return -1;
    const api_json_t *list = api_json_get(c->in, "PublishBatchRequestEntries");
    size_t n = list ? api_json_len(list) : 0;
    if (n == 0) {
        api_fail(c->resp, API_E_SNS_BATCH_EMPTY, NULL);
        return -1;
    }
    if (n > SNS_BATCH_MAX) {
        api_fail(c->resp, API_E_SNS_BATCH_TOO_MANY, NULL);
        return -1;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = api_json_at(list, i);
        kv_slice_t id = sns_str(e, "Id");
        if (id.p == NULL || !batch_id_ok(id)) {
            api_fail(c->resp, API_E_SNS_BATCH_ID, NULL);
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if (kv_slice_eq(id, sns_str(api_json_at(list, k), "Id"))) {
                api_fail(c->resp, API_E_SNS_BATCH_DUP, NULL);
                return -1;
            }
        total += sns_str(e, "Message").len;
        const api_json_t *ma = api_json_get(e, "MessageAttributes");
        void *it = NULL;
        const char *k;
        api_json_t *v;
        while (ma && api_json_next(ma, &it, &k, &v)) /* attributes count too */
            total += strlen(k) + sns_str(v, "DataType").len + sns_str(v, "StringValue").len +
                     sns_str(v, "BinaryValue").len * 3 / 4;
    }
    if (total > SNS_MSG_MAX) {
        api_fail(c->resp, API_E_SNS_BATCH_TOO_LONG, NULL);
        return -1;
    }
    /* each entry succeeds or fails on its own */
    kv_buf_t failed;
    kv_buf_init(&failed, 1u << 20);
    api_xw_t fw = {.out = &failed};
    api_xw_open(&c->w, "Successful");
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = api_json_at(list, i);
        kv_slice_t eid = sns_str(e, "Id");
        pub_t p;
        refusal_t r;
        int rc = read_pub(c, e, &p, &r) < 0 || check(c->a, t, &p, &r) < 0 ? -1 : 0;
        char id[37];
        uint64_t seq = 0;
        if (rc == 0) {
            rc = commit(c->ctx, c->a, t, &p, id, &seq);
            if (rc < 0) {
                r.err = API_E_SNS_INTERNAL;
                r.msg = "Internal error";
            }
        }
        if (rc < 0) {
            api_xw_open(&fw, "member");
            api_xw_elem(&fw, "Id", eid);
            api_xw_elem_str(&fw, "Code", api_err_code(r.err));
            api_xw_elem_str(&fw, "Message", r.msg);
            api_xw_elem_str(&fw, "SenderFault", api_err_status(r.err) < 500 ? "true" : "false");
            api_xw_close(&fw, "member");
            continue;
        }
        c->resp->durable = true;
        api_xw_open(&c->w, "member");
        api_xw_elem(&c->w, "Id", eid);
        api_xw_elem_str(&c->w, "MessageId", id);
        if (t->fifo) {
            char s[24];
            seq_text(s, seq);
            api_xw_elem_str(&c->w, "SequenceNumber", s);
        }
        api_xw_close(&c->w, "member");
    }
    api_xw_close(&c->w, "Successful");
    api_xw_open(&c->w, "Failed");
    kv_buf_append_slice(c->w.out, kv_buf_slice(&failed));
    api_xw_close(&c->w, "Failed");
    kv_buf_dispose(&failed);
    return 0;
}

/* ---- for the other services (api_msg.h) ---- */

bool api_sns_exists(api_ctx_t *ctx, kv_slice_t topic_arn)
{
    kv_slice_t name;
    if (!sns_topic_name(topic_arn, &name))
        return false;
    kv_arena_t *a = kv_arena_new(4096);
    eng_sns_topic_t *t;
    bool ok = eng_sns_topic_get(ctx->eng, name, a, &t) == 0;
    kv_arena_free(a);
    return ok;
}

int api_sns_publish(api_ctx_t *ctx, kv_slice_t topic_arn, const api_msg_t *m, kv_buf_t *id_out,
                    const char **why)
{
    kv_slice_t name;
    if (!sns_topic_name(topic_arn, &name))
        return KV_ENOTFOUND;
    kv_arena_t *a = kv_arena_new(m->body.len + 16384);
    eng_sns_topic_t *t;
    int rc = eng_sns_topic_get(ctx->eng, name, a, &t);
    if (rc == 0) {
        pub_t p = {.body = m->body,
                   .subject = m->subject.len ? m->subject : KV_SLICE_NULL,
                   .group = m->group_id.len ? m->group_id : KV_SLICE_NULL,
                   .dedup = m->dedup_id.len ? m->dedup_id : KV_SLICE_NULL};
        p.attrs = kv_arena_calloc(a, m->n_attrs + 1, sizeof(*p.attrs));
        for (size_t i = 0; i < m->n_attrs; i++) {
            p.attrs[i].name = kv_arena_strndup(a, m->attrs[i].name.p, m->attrs[i].name.len);
            p.attrs[i].type =
                kv_arena_strndup(a, m->attrs[i].data_type.p, m->attrs[i].data_type.len);
            p.attrs[i].value = m->attrs[i].value;
        }
        p.n_attrs = m->n_attrs;
        refusal_t r;
        char id[37];
        uint64_t seq;
        if (check_attrs(a, &p, &r) < 0 || check(a, t, &p, &r) < 0) {
            if (why)
                *why = r.why;
            rc = KV_EINVAL;
        } else {
            rc = commit(ctx, a, t, &p, id, &seq);
            if (rc == 0 && id_out)
                kv_buf_append_str(id_out, id);
        }
    }
    kv_arena_free(a);
    return rc;
}
