/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PutBucketNotificationConfiguration and GetBucketNotificationConfiguration: Lambda function,
 * SQS queue and SNS topic destinations (they must exist; a queue or topic gets S3's
 * s3:TestEvent message when the configuration is put), S3's event names, prefix and suffix
 * filters and the overlap rule, and EventBridgeConfiguration (every event to the default bus).
 * The configuration is stored in a canonical form with every Id filled in. Also what the
 * s3-events job sends to queues, topics and the bus (s3_notify_send).
 */
#include <stdio.h>
#include <string.h>

#include "../api_msg.h"
#include "../codec/api_jw.h"
#include "../codec/api_xw.h"
#include "../lambda/lambda_int.h"
#include "auth/sigv4.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "s3_int.h"

#define NOTIFY_MAX 100 /* destinations in one configuration */

static const char *const EVENTS[] = {
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*",
    "s3:IntelligentTiering",
    "s3:LifecycleTransition",
};

typedef struct dest {
    kv_slice_t id, arn, prefix, suffix;
    kv_slice_t events[sizeof(EVENTS) / sizeof(EVENTS[0])];
    size_t n_events;
    int kind; /* s3_notify_kind_t */
} dest_t;

/* Per kind: the configuration's element, its ARN element (as stored and shown), and the
 * other names the ARN element is accepted under. */
static const struct {
    const char *conf, *arn, *alias;
} KINDS[] = {
    [S3_NOTIFY_FUNCTION] = {"CloudFunctionConfiguration", "CloudFunction", "LambdaFunctionArn"},
    [S3_NOTIFY_QUEUE] = {"QueueConfiguration", "Queue", "QueueArn"},
    [S3_NOTIFY_TOPIC] = {"TopicConfiguration", "Topic", "TopicArn"},
};

static int invalid(api_resp_t *resp, const char *msg)
{
    api_fail(resp, API_E_S3_INVALID_ARGUMENT, "%s", msg);
    return -1;
}

/* Do two event names cover a common event ("s3:ObjectCreated:*" covers ":Put")? */
static bool events_meet(kv_slice_t a, kv_slice_t b)
{
    if (kv_slice_eq(a, b))
        return true;
    kv_slice_t wild = a.len && a.p[a.len - 1] == '*' ? a : b;
    kv_slice_t other = wild.p == a.p ? b : a;
    if (wild.len == 0 || wild.p[wild.len - 1] != '*')
        return false;
    return other.len >= wild.len - 1 && memcmp(other.p, wild.p, wild.len - 1) == 0;
}

/* Can one key pass both filters? Prefixes (suffixes) meet when one starts (ends) the other. */
static bool affix_meet(kv_slice_t a, kv_slice_t b, bool suffix)
{
    size_t n = a.len < b.len ? a.len : b.len;
    if (suffix)
        return memcmp(a.p + a.len - n, b.p + b.len - n, n) == 0;
    return memcmp(a.p, b.p, n) == 0;
}

static bool overlap(const dest_t *x, const dest_t *y)
{
    bool ev = false;
    for (size_t i = 0; i < x->n_events && !ev; i++)
        for (size_t j = 0; j < y->n_events && !ev; j++)
            ev = events_meet(x->events[i], y->events[j]);
    return ev && affix_meet(x->prefix, y->prefix, false) && affix_meet(x->suffix, y->suffix, true);
}

static bool is_fifo(kv_slice_t arn)
{
    return arn.len >= 5 && memcmp(arn.p + arn.len - 5, ".fifo", 5) == 0;
}

/* Does the destination of kind exist here (a queue or topic: not a FIFO one, which S3 does not
 * deliver to)? */
static bool dest_exists(api_ctx_t *ctx, api_req_t *req, int kind, kv_slice_t arn_text)
{
    api_arn_t arn;
    kv_slice_t fname;
    eng_function_t *fn;
    if (kind != S3_NOTIFY_FUNCTION)
        return !is_fifo(arn_text) && (kind == S3_NOTIFY_QUEUE ? api_sqs_exists(ctx, arn_text)
                                                              : api_sns_exists(ctx, arn_text));
    /* A function this server has (a qualified ARN: its version or alias is looked up when the
     * event is delivered). */
    return api_arn_parse(arn_text, &arn) && api_arn_name(&arn, "function:", &fname) &&
           eng_function_get(ctx->eng, fname, req->arena, &fn) == 0;
}

/* Issue 15 (package L2): does a queue's or topic's policy refuse S3 sending for this bucket?
 * Then the configuration is invalid, as S3 answers it: the destination in ArgumentName, why in
 * ArgumentValue. */
static bool dest_refused(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int kind, kv_slice_t arn)
{
    if (kind != S3_NOTIFY_QUEUE && kind != S3_NOTIFY_TOPIC)
        return false;
    kv_slice_t bucket = req->_st->bucket;
    const char *src =
        kv_arena_printf(req->arena, "arn:aws:s3:::%.*s", (int)bucket.len, (const char *)bucket.p);
    if (api_msg_permitted(ctx, arn, "s3.amazonaws.com",
                          kind == S3_NOTIFY_QUEUE ? "sqs:SendMessage" : "sns:Publish",
                          kv_slice_str(src), req->arena, NULL))
        return false;
    kv_buf_t x;
    kv_buf_init(&x, 1024);
    api_xw_t w = {&x, false};
    api_xw_elem(&w, "ArgumentName", arn);
    api_xw_elem_str(&w, "ArgumentValue",
                    kind == S3_NOTIFY_QUEUE ? "Permissions on the destination queue do not allow "
                                              "S3 to publish notifications from this bucket"
                                            : "Permissions on the destination topic do not allow "
                                              "S3 to publish notifications from this bucket");
    req->_st->s3_extra = kv_arena_dup(req->arena, kv_buf_slice(&x));
    kv_buf_dispose(&x);
    invalid(resp, "Unable to validate the following destination configurations");
    return true;
}

/* Does the function policy refuse s3.amazonaws.com invoking the function for this bucket (issue
 * 15)? S3 answers InvalidArgument naming the destination (ArgumentName1/ArgumentValue1). */
static bool fn_refused(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t arn)
{
    const char *fn = kv_arena_strndup(req->arena, arn.p, arn.len);
    const char *bucket = kv_arena_strndup(req->arena, req->_st->bucket.p, req->_st->bucket.len);
    if (lambda_s3_may_invoke(ctx, fn, bucket, req->arena))
        return false;
    invalid(resp, "Unable to validate the following destination configurations");
    kv_buf_t x;
    kv_buf_init(&x, 4096);
    api_xw_t w;
    memset(&w, 0, sizeof(w));
    w.out = &x; /* elements inside the error document */
    api_xw_elem(&w, "ArgumentName1", arn);
    char *v = kv_arena_printf(req->arena, "Not authorized to invoke function [%s]", fn);
    api_xw_elem_str(&w, "ArgumentValue1", v);
    req->_st->s3_extra = kv_arena_dup(req->arena, kv_buf_slice(&x));
    kv_buf_dispose(&x);
    return true;
}

/* x-amz-skip-destination-validation: true — destinations are neither checked nor sent the
 * test message (those that do not exist are skipped at delivery). */
static bool skip_validation(const api_req_t *req)
{
    return kv_slice_eq_nocase(api_req_header(req, "x-amz-skip-destination-validation"), "true");
}

static int parse_dest(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_xnode_t *c, int kind,
                      dest_t *d)
{
    memset(d, 0, sizeof(*d));
    d->kind = kind;
    for (api_xnode_t *n = c->child; n; n = n->next) {
        kv_slice_t text = kv_slice_trim(n->text);
        if (strcmp(n->name, "Id") == 0) {
            d->id = text;
        } else if (strcmp(n->name, KINDS[kind].arn) == 0 ||
                   strcmp(n->name, KINDS[kind].alias) == 0) {
            d->arn = text;
        } else if (strcmp(n->name, "Event") == 0) {
            bool known = false;
            for (size_t i = 0; i < sizeof(EVENTS) / sizeof(EVENTS[0]); i++)
                known |= kv_slice_eq_str(text, EVENTS[i]);
            if (!known)
                return invalid(resp, "The event is not supported for notifications");
            if (d->n_events == sizeof(d->events) / sizeof(d->events[0]))
                return invalid(resp, "Too many events in one configuration");
            d->events[d->n_events++] = text;
        } else if (strcmp(n->name, "Filter") == 0) {
            api_xnode_t *key = api_xml_child(n, "S3Key");
            for (api_xnode_t *r = key ? key->child : NULL; r; r = r->next) {
                api_xnode_t *nm = api_xml_child(r, "Name"), *val = api_xml_child(r, "Value");
                kv_slice_t name = nm ? kv_slice_trim(nm->text) : KV_SLICE_NULL;
                kv_slice_t *slot = kv_slice_eq_nocase(name, "prefix")   ? &d->prefix
                                   : kv_slice_eq_nocase(name, "suffix") ? &d->suffix
                                                                        : NULL;
                if (slot == NULL || val == NULL)
                    return invalid(resp, "filter rule name must be either prefix or suffix");
                if (slot->p)
                    return invalid(resp, "Cannot specify more than one prefix rule in a filter.");
                *slot = kv_arena_dup(req->arena, val->text);
                if (slot->p == NULL)
                    *slot = kv_slice((const uint8_t *)"", 0);
            }
        }
    }
    if (d->n_events == 0 || d->arn.len == 0) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    if (!skip_validation(req) && !dest_exists(ctx, req, kind, d->arn))
        return invalid(resp, "Unable to validate the following destination configurations");
    if (!skip_validation(req) && dest_refused(ctx, req, resp, kind, d->arn))
        return -1; /* issue 15 (package L2) */
    if (!skip_validation(req) && kind == S3_NOTIFY_FUNCTION && fn_refused(ctx, req, resp, d->arn))
        return -1;
    if (d->id.len == 0) {
        char id[40];
        uint64_t r;
        kv_random(&r, sizeof(r));
        snprintf(id, sizeof(id), "%016llx", (unsigned long long)r);
        d->id = kv_arena_dup(req->arena, kv_slice_str(id));
    }
    if (d->prefix.p == NULL)
        d->prefix = kv_slice((const uint8_t *)"", 0);
    if (d->suffix.p == NULL)
        d->suffix = kv_slice((const uint8_t *)"", 0);
    return 0;
}

int s3_decode_put_bucket_notification(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                      s3_bdoc_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    api_xnode_t *root;
    if (api_xml_parse(req->arena, kv_buf_slice(&req->_st->body), &root) < 0 ||
        strcmp(root->name, "NotificationConfiguration") != 0) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    dest_t *ds = kv_arena_calloc(req->arena, NOTIFY_MAX, sizeof(*ds));
    size_t n = 0;
    bool eventbridge = false;
    for (api_xnode_t *c = root->child; c; c = c->next) {
        int kind = strcmp(c->name, "CloudFunctionConfiguration") == 0 ||
                           strcmp(c->name, "LambdaFunctionConfiguration") == 0
                       ? S3_NOTIFY_FUNCTION
                   : strcmp(c->name, "QueueConfiguration") == 0 ? S3_NOTIFY_QUEUE
                   : strcmp(c->name, "TopicConfiguration") == 0 ? S3_NOTIFY_TOPIC
                                                                : -1;
        if (kind >= 0) {
            if (n == NOTIFY_MAX)
                return invalid(resp, "Too many notification configurations");
            if (parse_dest(ctx, req, resp, c, kind, &ds[n]) < 0)
                return -1;
            for (size_t j = 0; j < n; j++)
                if (overlap(&ds[j], &ds[n]))
                    return invalid(resp, "Configurations overlap. Configurations on the same "
                                         "bucket cannot share a common event type.");
            n++;
        } else if (strcmp(c->name, "EventBridgeConfiguration") == 0) {
            eventbridge = true;
        }
    }
    /* The stored form: canonical, every destination with its Id. */
    kv_buf_t doc;
    kv_buf_init(&doc, API_S3_XML_MAX * 2);
    api_xw_t w;
    api_xw_begin(&w, &doc, "NotificationConfiguration", true);
    for (size_t i = 0; i < n; i++) {
        const char *conf = KINDS[ds[i].kind].conf;
        api_xw_open(&w, conf);
        api_xw_elem(&w, "Id", ds[i].id);
        api_xw_elem(&w, KINDS[ds[i].kind].arn, ds[i].arn);
        for (size_t e = 0; e < ds[i].n_events; e++)
            api_xw_elem(&w, "Event", ds[i].events[e]);
        if (ds[i].prefix.len || ds[i].suffix.len) {
            api_xw_open(&w, "Filter");
            api_xw_open(&w, "S3Key");
            const char *names[2] = {"Prefix", "Suffix"}; /* as S3 shows them */
            kv_slice_t vals[2] = {ds[i].prefix, ds[i].suffix};
            for (int k = 0; k < 2; k++) {
                if (vals[k].len == 0)
                    continue;
                api_xw_open(&w, "FilterRule");
                api_xw_elem_str(&w, "Name", names[k]);
                api_xw_elem(&w, "Value", vals[k]);
                api_xw_close(&w, "FilterRule");
            }
            api_xw_close(&w, "S3Key");
            api_xw_close(&w, "Filter");
        }
        api_xw_close(&w, conf);
    }
    if (eventbridge) {
        api_xw_open(&w, "EventBridgeConfiguration");
        api_xw_close(&w, "EventBridgeConfiguration");
    }
    api_xw_close(&w, "NotificationConfiguration");
    out->doc = n || eventbridge ? kv_arena_dup(req->arena, kv_buf_slice(&doc)) : KV_SLICE_NULL;
    kv_buf_dispose(&doc);
    return 0;
}

/* Send S3's message (an event's, or the test event) to a queue or topic target. */
static int send_message(api_ctx_t *ctx, const s3_notify_target_t *t, kv_slice_t body,
                        const char **why)
{
    kv_slice_t arn = kv_slice_str(t->arn);
    if (t->kind == S3_NOTIFY_QUEUE)
        return api_msg_deliver(ctx, arn, body, NULL, NULL, KV_SLICE_NULL, why);
    api_msg_t m;
    memset(&m, 0, sizeof(m));
    m.body = body;
    m.subject = KV_SLICE_LIT("Amazon S3 Notification");
    return api_sns_publish(ctx, arn, &m, NULL, why);
}

int s3_exec_put_bucket_notification(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_bdoc_in_t *in, s3_bdoc_out_t *out)
{
    (void)out;
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    /* S3 validates a queue or topic destination by sending it the s3:TestEvent message; one
     * that does not take it makes the configuration invalid. */
    s3_notify_target_t *ts;
    size_t nt = 0;
    if (in->doc.len && !skip_validation(req) &&
        s3_notify_targets(req->arena, in->doc, &ts, &nt) == 0) {
        char when[25], rid[24];
        kv_time_fmt_iso(kv_now_ms(), when);
        uint64_t r;
        kv_random(&r, sizeof(r));
        snprintf(rid, sizeof(rid), "%016llX", (unsigned long long)r);
        kv_buf_t msg;
        kv_buf_init(&msg, 4096);
        api_jw_t w;
        api_jw_init(&w, &msg);
        api_jw_obj_begin(&w);
        api_jw_kstr(&w, "Service", "Amazon S3");
        api_jw_kstr(&w, "Event", "s3:TestEvent");
        api_jw_kstr(&w, "Time", when);
        api_jw_kstr(&w, "Bucket", b->name);
        api_jw_kstr(&w, "RequestId", rid);
        api_jw_kstr(&w, "HostId", rid);
        api_jw_obj_end(&w);
        int rc = 0;
        for (size_t i = 0; i < nt && rc == 0; i++) {
            bool again = false; /* one test message per queue or topic */
            for (size_t j = 0; j < i && !again; j++)
                again = ts[j].arn && ts[i].arn && strcmp(ts[j].arn, ts[i].arn) == 0;
            if (!again && (ts[i].kind == S3_NOTIFY_QUEUE || ts[i].kind == S3_NOTIFY_TOPIC))
                rc = send_message(ctx, &ts[i], kv_buf_slice(&msg), NULL);
        }
        kv_buf_dispose(&msg);
        if (rc < 0)
            return invalid(resp, "Unable to validate the following destination configurations");
    }
    /* An empty configuration turns notifications off. */
    int rc = eng_bucket_set_doc(ctx->eng, in->bucket, ENG_BDOC_NOTIFY, in->doc);
    if (rc == 0) /* the s3-events job delivers this bucket's events from now on */
        api_esm_kick_buckets(ctx);
    return s3_bucket_written(resp, rc);
}

void s3_encode_put_bucket_notification(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       const s3_bdoc_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

int s3_decode_get_bucket_notification(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                      s3_bdoc_in_t *out)
{
    (void)ctx, (void)resp;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    return 0;
}

int s3_exec_get_bucket_notification(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_bdoc_in_t *in, s3_bdoc_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    out->doc = b->docs[ENG_BDOC_NOTIFY];
    return 0;
}

void s3_encode_get_bucket_notification(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       const s3_bdoc_out_t *out)
{
    (void)ctx, (void)req;
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
    if (out->doc.len) {
        kv_buf_append_slice(&resp->body, out->doc);
        return;
    }
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "NotificationConfiguration", true);
    api_xw_close(&w, "NotificationConfiguration");
}

/* ---- delivery: which destinations an event goes to, and S3's event record ---- */

int s3_notify_targets(kv_arena_t *a, kv_slice_t doc, s3_notify_target_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    api_xnode_t *root;
    if (doc.len == 0 || api_xml_parse(a, doc, &root) < 0)
        return -1;
    size_t count = 0;
    for (api_xnode_t *c = root->child; c; c = c->next)
        count++;
    s3_notify_target_t *ts = kv_arena_calloc(a, count ? count : 1, sizeof(*ts));
    bool bus = false;
    for (api_xnode_t *c = root->child; c; c = c->next) {
        int kind = -1;
        for (int k = 0; k < (int)(sizeof(KINDS) / sizeof(KINDS[0])); k++)
            if (strcmp(c->name, KINDS[k].conf) == 0)
                kind = k;
        bus |= strcmp(c->name, "EventBridgeConfiguration") == 0;
        if (kind < 0)
            continue;
        s3_notify_target_t *t = &ts[*n];
        memset(t, 0, sizeof(*t));
        t->kind = kind;
        for (api_xnode_t *f = c->child; f; f = f->next) {
            kv_slice_t text = kv_slice_trim(f->text);
            if (strcmp(f->name, "Id") == 0) {
                t->id = kv_arena_strndup(a, text.p, text.len);
            } else if (strcmp(f->name, KINDS[kind].arn) == 0) {
                t->arn = kv_arena_strndup(a, text.p, text.len);
            } else if (strcmp(f->name, "Event") == 0 && t->n_events < S3_NOTIFY_EVENTS) {
                t->events[t->n_events++] = text;
            } else if (strcmp(f->name, "Filter") == 0) {
                api_xnode_t *key = api_xml_child(f, "S3Key");
                for (api_xnode_t *r = key ? key->child : NULL; r; r = r->next) {
                    api_xnode_t *nm = api_xml_child(r, "Name"), *val = api_xml_child(r, "Value");
                    if (nm == NULL || val == NULL)
                        continue;
                    if (kv_slice_eq_nocase(kv_slice_trim(nm->text), "prefix"))
                        t->prefix = val->text;
                    else if (kv_slice_eq_nocase(kv_slice_trim(nm->text), "suffix"))
                        t->suffix = val->text;
                }
            }
        }
        if (t->arn && t->n_events)
            (*n)++;
    }
    if (bus) { /* last: the bus gets every event, after the configured destinations */
        memset(&ts[*n], 0, sizeof(ts[*n]));
        ts[(*n)++].kind = S3_NOTIFY_BUS;
    }
    *out = ts;
    return 0;
}

bool s3_notify_match(const s3_notify_target_t *t, kv_slice_t event, kv_slice_t key)
{
    if (t->kind == S3_NOTIFY_BUS)
        return true;
    char full[96];
    int len = snprintf(full, sizeof(full), "s3:%.*s", (int)event.len, (const char *)event.p);
    if (len <= 3 || (size_t)len >= sizeof(full))
        return false;
    bool ev = false;
    for (size_t i = 0; i < t->n_events && !ev; i++)
        ev = events_meet(t->events[i], kv_slice((const uint8_t *)full, (size_t)len));
    if (!ev)
        return false;
    if (t->prefix.len && (key.len < t->prefix.len || memcmp(key.p, t->prefix.p, t->prefix.len)))
        return false;
    if (t->suffix.len && (key.len < t->suffix.len ||
                          memcmp(key.p + key.len - t->suffix.len, t->suffix.p, t->suffix.len)))
        return false;
    return true;
}

/* The value of a string or number attribute of an event record's image. */
static kv_slice_t img_attr(const eng_item_t *it, const char *name)
{
    for (size_t i = 0; it && i < it->n; i++)
        if (kv_slice_eq_str(it->attrs[i].name, name))
            return it->attrs[i].v->u.s;
    return KV_SLICE_NULL;
}

kv_slice_t s3_event_name(const eng_srec_t *r)
{
    return img_attr(r->new_img, "eventName");
}

kv_slice_t s3_event_key(const eng_srec_t *r)
{
    return img_attr(r->new_img, "key");
}

/* The object's key, size, ETag, version id (under the names given: S3's notifications and
 * EventBridge's events spell them differently) and sequencer, into the open object w. */
static void object_fields(api_jw_t *w, const eng_srec_t *r, kv_slice_t key, const char *etag_name,
                          const char *ver_name, const char *seq)
{
    api_jw_key(w, "key");
    api_jw_str(w, key);
    kv_slice_t size = img_attr(r->new_img, "size"), etag = img_attr(r->new_img, "eTag");
    kv_slice_t ver = img_attr(r->new_img, "versionId");
    if (size.len) {
        uint64_t v = 0;
        for (size_t i = 0; i < size.len && size.p[i] >= '0' && size.p[i] <= '9'; i++)
            v = v * 10 + (uint64_t)(size.p[i] - '0');
        api_jw_ku64(w, "size", v);
    }
    if (etag.len) {
        api_jw_key(w, etag_name);
        api_jw_str(w, etag);
    }
    if (ver.len) {
        api_jw_key(w, ver_name);
        api_jw_str(w, ver);
    }
    api_jw_kstr(w, "sequencer", seq);
}

void s3_encode_event(api_ctx_t *ctx, const char *bucket, const eng_srec_t *r, const char *config_id,
                     api_jw_t *w)
{
    char when[25], seq[24], arn[128];
    kv_time_fmt_iso(r->time_ms, when);
    snprintf(seq, sizeof(seq), "%016llX", (unsigned long long)r->seq);
    api_arn_write(arn, sizeof(arn), "s3", NULL, "%s", bucket);
    /* Keys are URL-encoded as in a form: spaces become '+', slashes stay. */
    kv_buf_t key;
    kv_buf_init(&key, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_t enc;
    kv_buf_init(&enc, 4 * ENG_OBJ_KEY_MAX + 16);
    sigv4_uri_encode(&enc, s3_event_key(r), false);
    for (size_t i = 0; i < enc.len; i++) {
        if (i + 2 < enc.len && enc.p[i] == '%' && enc.p[i + 1] == '2' && enc.p[i + 2] == '0') {
            kv_buf_append_byte(&key, '+');
            i += 2;
        } else {
            kv_buf_append_byte(&key, enc.p[i]);
        }
    }
    kv_buf_dispose(&enc);
    api_jw_obj_begin(w);
    api_jw_kstr(w, "eventVersion", "2.1");
    api_jw_kstr(w, "eventSource", "aws:s3");
    api_jw_kstr(w, "awsRegion", ctx->region);
    api_jw_kstr(w, "eventTime", when);
    api_jw_key(w, "eventName");
    api_jw_str(w, s3_event_name(r));
    api_jw_key(w, "userIdentity");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "principalId", API_ACCOUNT_ID);
    api_jw_obj_end(w);
    api_jw_key(w, "requestParameters");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "sourceIPAddress", "127.0.0.1");
    api_jw_obj_end(w);
    api_jw_key(w, "responseElements");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "x-amz-request-id", seq);
    api_jw_kstr(w, "x-amz-id-2", seq);
    api_jw_obj_end(w);
    api_jw_key(w, "s3");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "s3SchemaVersion", "1.0");
    api_jw_kstr(w, "configurationId", config_id ? config_id : "");
    api_jw_key(w, "bucket");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "name", bucket);
    api_jw_key(w, "ownerIdentity");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "principalId", API_ACCOUNT_ID);
    api_jw_obj_end(w);
    api_jw_kstr(w, "arn", arn);
    api_jw_obj_end(w);
    api_jw_key(w, "object");
    api_jw_obj_begin(w);
    object_fields(w, r, kv_buf_slice(&key), "eTag", "versionId", seq);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
    kv_buf_dispose(&key);
}

int s3_put_record(api_ctx_t *ctx, kv_slice_t bucket, kv_slice_t key, kv_slice_t body)
{
    kv_arena_t *a = kv_arena_new(4096);
    eng_bucket_t *b;
    int rc = eng_bucket_get(ctx->eng, bucket, a, &b);
    if (rc < 0) {
        kv_arena_free(a);
        return rc;
    }
    api_ck_t md5;
    api_ck_init(&md5, API_CK_MD5);
    api_ck_update(&md5, body.p, body.len);
    uint8_t sum[API_CK_MAX];
    api_ck_final(&md5, sum);
    api_ck_dispose(&md5);
    kv_buf_t etag;
    kv_buf_init(&etag, 64);
    kv_buf_append_hex(&etag, sum, 16);
    eng_object_t o = {.key = key,
                      .etag = kv_arena_strndup(a, etag.p, etag.len),
                      .mtime_ms = kv_now_ms(),
                      .content_type = "application/json",
                      .log_id = b->log_id,
                      .event = "ObjectCreated:Put"};
    kv_buf_dispose(&etag);
    eng_blob_writer_t *w = eng_blob_writer_new(ctx->eng);
    rc = eng_blob_write(w, body.p, body.len);
    if (rc < 0) {
        eng_blob_writer_abort(w);
    } else {
        eng_obj_cond_t cond = {.versioning = b->versioning};
        rc = eng_object_put_blob(ctx->eng, b->id, &o, &cond, w);
    }
    kv_arena_free(a);
    return rc;
}

/* ---- queues, topics and the default event bus (issue 14) ---- */

/* EventBridge's S3 event of one event-log record: "Object Created" or "Object Deleted", the
 * detail field for field as AWS documents it (the key as it is, not URL-encoded). */
static void encode_bus_event(api_ctx_t *ctx, const char *bucket, uint32_t log_id,
                             const eng_srec_t *r, api_jw_t *w)
{
    kv_slice_t name = s3_event_name(r);
    bool created = kv_slice_starts_with(name, "ObjectCreated");
    bool lifecycle = kv_slice_starts_with(name, "LifecycleExpiration");
    const char *colon = name.len ? memchr(name.p, ':', name.len) : NULL;
    kv_slice_t how = colon ? kv_slice((const uint8_t *)colon + 1,
                                      name.len - (size_t)((const uint8_t *)colon + 1 - name.p))
                           : KV_SLICE_NULL;
    const char *reason = lifecycle ? "Lifecycle Expiration" : "DeleteObject";
    if (created)
        reason = kv_slice_eq_str(how, "Post")                      ? "POST Object"
                 : kv_slice_eq_str(how, "Copy")                    ? "CopyObject"
                 : kv_slice_eq_str(how, "CompleteMultipartUpload") ? "CompleteMultipartUpload"
                                                                   : "PutObject";
    char id[40], when[25], seq[24], arn[128];
    /* The same record always makes the same event id: a replay after a crash repeats it. */
    uint64_t h = kv_xxh3_seed(&r->seq, sizeof(r->seq), log_id);
    snprintf(id, sizeof(id), "%08x-%04x-4%03x-8%03x-%012llx", log_id, (unsigned)(h >> 48) & 0xffff,
             (unsigned)(h >> 36) & 0xfff, (unsigned)(h >> 24) & 0xfff,
             (unsigned long long)(r->seq & 0xffffffffffffULL));
    kv_time_fmt_iso(r->time_ms, when);
    memcpy(when + 19, "Z", 2); /* whole seconds, as EventBridge's time */
    snprintf(seq, sizeof(seq), "%016llX", (unsigned long long)r->seq);
    api_arn_write(arn, sizeof(arn), "s3", NULL, "%s", bucket);
    api_jw_obj_begin(w);
    api_jw_kstr(w, "version", "0");
    api_jw_kstr(w, "id", id);
    api_jw_kstr(w, "detail-type", created ? "Object Created" : "Object Deleted");
    api_jw_kstr(w, "source", "aws.s3");
    api_jw_kstr(w, "account", API_ACCOUNT_ID);
    api_jw_kstr(w, "time", when);
    api_jw_kstr(w, "region", ctx->region);
    api_jw_key(w, "resources");
    api_jw_arr_begin(w);
    api_jw_str(w, kv_slice_str(arn));
    api_jw_arr_end(w);
    api_jw_key(w, "detail");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "version", "0");
    api_jw_key(w, "bucket");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "name", bucket);
    api_jw_obj_end(w);
    api_jw_key(w, "object");
    api_jw_obj_begin(w);
    object_fields(w, r, s3_event_key(r), "etag", "version-id", seq);
    api_jw_obj_end(w);
    api_jw_kstr(w, "request-id", seq);
    api_jw_kstr(w, "requester", lifecycle ? "s3.amazonaws.com" : API_ACCOUNT_ID);
    if (!lifecycle)
        api_jw_kstr(w, "source-ip-address", "127.0.0.1");
    api_jw_kstr(w, "reason", reason);
    if (!created)
        api_jw_kstr(w, "deletion-type",
                    kv_slice_eq_str(how, "DeleteMarkerCreated") ? "Delete Marker Created"
                                                                : "Permanently Deleted");
    api_jw_obj_end(w);
    api_jw_obj_end(w);
}

int s3_notify_send(api_ctx_t *ctx, const char *bucket, uint32_t log_id, const eng_srec_t *r,
                   const s3_notify_target_t *t, const char **why)
{
    kv_buf_t doc;
    kv_buf_init(&doc, 1u << 20);
    api_jw_t w;
    api_jw_init(&w, &doc);
    int rc;
    kv_arena_t *pa = kv_arena_new(4096); /* the policy check's */
    if (t->kind == S3_NOTIFY_BUS) {
        encode_bus_event(ctx, bucket, log_id, r, &w);
        char bus[160];
        api_arn_write(bus, sizeof(bus), "events", ctx->region, "event-bus/default");
        rc = api_jw_ok(&w) ? api_events_put(ctx, kv_slice_str(bus), kv_buf_slice(&doc), NULL, why)
                           : KV_ENOMEM;
    } else if (!api_msg_deliverable(ctx, kv_slice_str(t->arn), "s3.amazonaws.com",
                                    t->kind == S3_NOTIFY_QUEUE ? "sqs:SendMessage" : "sns:Publish",
                                    kv_slice_str(kv_arena_printf(pa, "arn:aws:s3:::%s", bucket)),
                                    pa, why)) {
        /* issue 15 (package L2): the policy changed since the configuration was validated: the
         * event is dropped (counted and logged), as S3 drops it */
        rc = KV_EINVAL;
        if (why && *why) /* the reason outlives this call */
            *why = "the destination's policy does not allow S3 to send from this bucket";
    } else {
        api_jw_obj_begin(&w);
        api_jw_key(&w, "Records");
        api_jw_arr_begin(&w);
        s3_encode_event(ctx, bucket, r, t->id, &w);
        api_jw_arr_end(&w);
        api_jw_obj_end(&w);
        rc = api_jw_ok(&w) ? send_message(ctx, t, kv_buf_slice(&doc), why) : KV_ENOMEM;
    }
    kv_buf_dispose(&doc);
    kv_arena_free(pa);
    return rc;
}
