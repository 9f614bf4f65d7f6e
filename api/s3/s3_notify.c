/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PutBucketNotificationConfiguration and GetBucketNotificationConfiguration: Lambda function
 * destinations (the functions must exist), S3's event names, prefix and suffix filters and the
 * overlap rule. The configuration is stored in a canonical form with every Id filled in.
 */
#include <stdio.h>
#include <string.h>

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
} dest_t;

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

static int parse_dest(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_xnode_t *c, dest_t *d)
{
    memset(d, 0, sizeof(*d));
    for (api_xnode_t *n = c->child; n; n = n->next) {
        kv_slice_t text = kv_slice_trim(n->text);
        if (strcmp(n->name, "Id") == 0) {
            d->id = text;
        } else if (strcmp(n->name, "CloudFunction") == 0 ||
                   strcmp(n->name, "LambdaFunctionArn") == 0) {
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
    /* The destination must be a function this server has (a qualified ARN: its version or
     * alias is looked up when the event is delivered). */
    api_arn_t arn;
    kv_slice_t fname;
    eng_function_t *fn;
    if (!api_arn_parse(d->arn, &arn) || !api_arn_name(&arn, "function:", &fname) ||
        eng_function_get(ctx->eng, fname, req->arena, &fn) < 0)
        return invalid(resp, "Unable to validate the following destination configurations");
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
        if (strcmp(c->name, "CloudFunctionConfiguration") == 0 ||
            strcmp(c->name, "LambdaFunctionConfiguration") == 0) {
            if (n == NOTIFY_MAX)
                return invalid(resp, "Too many notification configurations");
            if (parse_dest(ctx, req, resp, c, &ds[n]) < 0)
                return -1;
            for (size_t j = 0; j < n; j++)
                if (overlap(&ds[j], &ds[n]))
                    return invalid(resp, "Configurations overlap. Configurations on the same "
                                         "bucket cannot share a common event type.");
            n++;
        } else if (strcmp(c->name, "TopicConfiguration") == 0 ||
                   strcmp(c->name, "QueueConfiguration") == 0) {
            /* No SNS or SQS here: such a destination cannot be validated. */
            return invalid(resp, "Unable to validate the following destination configurations");
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
        api_xw_open(&w, "CloudFunctionConfiguration");
        api_xw_elem(&w, "Id", ds[i].id);
        api_xw_elem(&w, "CloudFunction", ds[i].arn);
        for (size_t e = 0; e < ds[i].n_events; e++)
            api_xw_elem(&w, "Event", ds[i].events[e]);
        if (ds[i].prefix.len || ds[i].suffix.len) {
            api_xw_open(&w, "Filter");
            api_xw_open(&w, "S3Key");
            const char *names[2] = {"prefix", "suffix"};
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
        api_xw_close(&w, "CloudFunctionConfiguration");
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

int s3_exec_put_bucket_notification(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_bdoc_in_t *in, s3_bdoc_out_t *out)
{
    (void)out;
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
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
    for (api_xnode_t *c = root->child; c; c = c->next) {
        if (strcmp(c->name, "CloudFunctionConfiguration") != 0)
            continue;
        s3_notify_target_t *t = &ts[*n];
        memset(t, 0, sizeof(*t));
        for (api_xnode_t *f = c->child; f; f = f->next) {
            kv_slice_t text = kv_slice_trim(f->text);
            if (strcmp(f->name, "Id") == 0) {
                t->id = kv_arena_strndup(a, text.p, text.len);
            } else if (strcmp(f->name, "CloudFunction") == 0) {
                t->arn = kv_arena_strndup(a, text.p, text.len);
            } else if (strcmp(f->name, "Event") == 0 && t->n_events < S3_NOTIFY_EVENTS) {
                t->events[t->n_events++] = text;
            } else if (strcmp(f->name, "Filter") == 0) {
                api_xnode_t *key = api_xml_child(f, "S3Key");
                for (api_xnode_t *r = key ? key->child : NULL; r; r = r->next) {
                    api_xnode_t *nm = api_xml_child(r, "Name"), *val = api_xml_child(r, "Value");
                    if (nm == NULL || val == NULL)
                        continue;
                    if (kv_slice_eq_str(kv_slice_trim(nm->text), "prefix"))
                        t->prefix = val->text;
                    else if (kv_slice_eq_str(kv_slice_trim(nm->text), "suffix"))
                        t->suffix = val->text;
                }
            }
        }
        if (t->arn && t->n_events)
            (*n)++;
    }
    *out = ts;
    return 0;
}

bool s3_notify_match(const s3_notify_target_t *t, kv_slice_t event, kv_slice_t key)
{
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
    api_jw_key(w, "key");
    api_jw_str(w, kv_buf_slice(&key));
    kv_slice_t size = img_attr(r->new_img, "size"), etag = img_attr(r->new_img, "eTag");
    kv_slice_t ver = img_attr(r->new_img, "versionId");
    if (size.len) {
        uint64_t v = 0;
        for (size_t i = 0; i < size.len && size.p[i] >= '0' && size.p[i] <= '9'; i++)
            v = v * 10 + (uint64_t)(size.p[i] - '0');
        api_jw_ku64(w, "size", v);
    }
    if (etag.len) {
        api_jw_key(w, "eTag");
        api_jw_str(w, etag);
    }
    if (ver.len) {
        api_jw_key(w, "versionId");
        api_jw_str(w, ver);
    }
    api_jw_kstr(w, "sequencer", seq);
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
