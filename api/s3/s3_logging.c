/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PutBucketLogging and GetBucketLogging (issue 16, package G): the BucketLoggingStatus
 * document, validated as S3 validates it (the target must exist in the source's region, take
 * no Object Lock default retention and no Requester Pays, and grants need ACLs on), and
 * stored in the bucket's record (ENG_BDOC_LOGGING) in a compact form that the request path
 * reads without an XML parse. Records and their delivery: s3_alog.c.
 */
#include <string.h>

#include "s3_authz.h"
#include "s3_int.h"

/* The stored form: "G1", the key format as a digit, then u16 length and bytes of the target,
 * the prefix, the number of grants (u16), and the grants' XML to the end. */
#define LOG_DOC_MAGIC "G1"

/* ---- the document ---- */

static bool only_child(const api_xnode_t *n, const char *name, api_xnode_t **out)
{
    *out = NULL;
    for (api_xnode_t *c = n->child; c; c = c->next) {
        if (strcmp(c->name, name) != 0 || *out)
            return false;
        *out = c;
    }
    return *out != NULL;
}

static bool parse_format(const api_xnode_t *n, s3_logfmt_t *fmt)
{
    api_xnode_t *c;
    if (n->child == NULL || n->child->next)
        return false;
    c = n->child;
    if (strcmp(c->name, "SimplePrefix") == 0) {
        *fmt = S3_LOGFMT_SIMPLE;
        return c->child == NULL && kv_slice_trim(c->text).len == 0;
    }
    if (strcmp(c->name, "PartitionedPrefix") != 0)
        return false;
    *fmt = S3_LOGFMT_DELIVERY;
    if (c->child == NULL)
        return kv_slice_trim(c->text).len == 0;
    api_xnode_t *src;
    if (!only_child(c, "PartitionDateSource", &src))
        return false;
    kv_slice_t v = kv_slice_trim(src->text);
    if (kv_slice_eq_str(v, "EventTime"))
        *fmt = S3_LOGFMT_EVENT;
    else if (!kv_slice_eq_str(v, "DeliveryTime"))
        return false;
    return true;
}

static const char *const log_groups[] = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "http://acs.amazonaws.com/groups/s3/LogDelivery",
    NULL,
};

/* One Grant into its canonical XML in g. */
static bool parse_grant(const api_xnode_t *n, kv_buf_t *g)
{
    api_xnode_t *grantee = NULL, *perm = NULL;
    for (api_xnode_t *c = n->child; c; c = c->next) {
        api_xnode_t **slot = strcmp(c->name, "Grantee") == 0      ? &grantee
                             : strcmp(c->name, "Permission") == 0 ? &perm
                                                                  : NULL;
        if (slot == NULL || *slot)
            return false;
        *slot = c;
    }
    if (grantee == NULL || perm == NULL)
        return false;
    kv_slice_t p = kv_slice_trim(perm->text);
    if (!kv_slice_eq_str(p, "FULL_CONTROL") && !kv_slice_eq_str(p, "READ") &&
        !kv_slice_eq_str(p, "WRITE"))
        return false;
    api_xnode_t *id = NULL, *email = NULL, *uri = NULL, *display = NULL;
    for (api_xnode_t *c = grantee->child; c; c = c->next) {
        api_xnode_t **slot = strcmp(c->name, "ID") == 0             ? &id
                             : strcmp(c->name, "EmailAddress") == 0 ? &email
                             : strcmp(c->name, "URI") == 0          ? &uri
                             : strcmp(c->name, "DisplayName") == 0  ? &display
                                                                    : NULL;
        if (slot == NULL || *slot)
            return false;
        *slot = c;
    }
    if ((id != NULL) + (email != NULL) + (uri != NULL) != 1)
        return false;
    const char *type = id ? "CanonicalUser" : email ? "AmazonCustomerByEmail" : "Group";
    kv_slice_t v = kv_slice_trim((id ? id : email ? email : uri)->text);
    if (v.len == 0 || v.len > 1024)
        return false;
    if (uri) {
        bool known = false;
        for (size_t i = 0; log_groups[i]; i++)
            known |= kv_slice_eq_str(v, log_groups[i]);
        if (!known)
            return false;
    }
    kv_buf_printf(g,
                  "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                  "xsi:type=\"%s\">",
                  type);
    const char *tag = id ? "ID" : email ? "EmailAddress" : "URI";
    kv_buf_printf(g, "<%s>", tag);
    api_xml_escape(g, v);
    kv_buf_printf(g, "</%s>", tag);
    if (display && kv_slice_trim(display->text).len <= 1024) {
        kv_buf_append_str(g, "<DisplayName>");
        api_xml_escape(g, kv_slice_trim(display->text));
        kv_buf_append_str(g, "</DisplayName>");
    }
    kv_buf_append_str(g, "</Grantee><Permission>");
    kv_buf_append_slice(g, p);
    kv_buf_append_str(g, "</Permission></Grant>");
    return true;
}

static int parse_enabled(kv_arena_t *a, const api_xnode_t *le, s3_logging_t *out)
{
    api_xnode_t *tb = NULL, *tp = NULL, *tg = NULL, *tf = NULL;
    for (api_xnode_t *c = le->child; c; c = c->next) {
        api_xnode_t **slot = strcmp(c->name, "TargetBucket") == 0            ? &tb
                             : strcmp(c->name, "TargetPrefix") == 0          ? &tp
                             : strcmp(c->name, "TargetGrants") == 0          ? &tg
                             : strcmp(c->name, "TargetObjectKeyFormat") == 0 ? &tf
                                                                             : NULL;
        if (slot == NULL || *slot)
            return -1;
        *slot = c;
    }
    if (tb == NULL || tp == NULL || tb->child || tp->child)
        return -1;
    out->enabled = true;
    out->target = kv_slice_trim(tb->text);
    out->prefix = tp->text; /* the prefix as sent: spaces are part of keys */
    if (out->target.len == 0 || out->target.len > 255 || out->prefix.len > S3_LOG_PREFIX_MAX)
        return -1;
    if (tf && !parse_format(tf, &out->fmt))
        return -1;
    if (tg) {
        kv_buf_t g;
        kv_buf_init(&g, 1u << 20);
        int rc = 0;
        for (api_xnode_t *c = tg->child; c && rc == 0; c = c->next)
            if (strcmp(c->name, "Grant") != 0 || ++out->n_grants > S3_LOG_GRANTS_MAX ||
                !parse_grant(c, &g))
                rc = -1;
        if (rc == 0 && !kv_buf_failed(&g))
            out->grants = kv_arena_dup(a, kv_buf_slice(&g));
        else
            rc = -1;
        kv_buf_dispose(&g);
        return rc;
    }
    return 0;
}

int s3_logging_parse(kv_arena_t *a, kv_slice_t xml, s3_logging_t *out)
{
    memset(out, 0, sizeof(*out));
    api_xnode_t *root;
    if (api_xml_parse(a, xml, &root) < 0 || strcmp(root->name, "BucketLoggingStatus") != 0)
        return -1;
    api_xnode_t *le = NULL;
    for (api_xnode_t *c = root->child; c; c = c->next) {
        if (strcmp(c->name, "LoggingEnabled") != 0 || le)
            return -1;
        le = c;
    }
    return le ? parse_enabled(a, le, out) : 0;
}

static void put_u16(kv_buf_t *b, size_t v)
{
    kv_buf_append_byte(b, (uint8_t)(v >> 8));
    kv_buf_append_byte(b, (uint8_t)v);
}

void s3_logging_encode(const s3_logging_t *c, kv_buf_t *out)
{
    kv_buf_append_str(out, LOG_DOC_MAGIC);
    kv_buf_append_byte(out, (uint8_t)('0' + c->fmt));
    put_u16(out, c->target.len);
    kv_buf_append_slice(out, c->target);
    put_u16(out, c->prefix.len);
    kv_buf_append_slice(out, c->prefix);
    put_u16(out, c->n_grants);
    kv_buf_append_slice(out, c->grants);
}

static bool get_u16(kv_slice_t *in, size_t *v)
{
    if (in->len < 2)
        return false;
    *v = (size_t)in->p[0] << 8 | in->p[1];
    in->p += 2, in->len -= 2;
    return true;
}

static bool get_bytes(kv_slice_t *in, kv_slice_t *out)
{
    size_t n;
    if (!get_u16(in, &n) || n > in->len)
        return false;
    *out = kv_slice(in->p, n);
    in->p += n, in->len -= n;
    return true;
}

int s3_logging_decode(kv_slice_t doc, s3_logging_t *out)
{
    memset(out, 0, sizeof(*out));
    if (doc.len == 0)
        return 0;
    if (doc.len < 3 || memcmp(doc.p, LOG_DOC_MAGIC, 2) != 0 || doc.p[2] < '0' ||
        doc.p[2] > '0' + S3_LOGFMT_DELIVERY)
        return -1;
    out->fmt = (s3_logfmt_t)(doc.p[2] - '0');
    kv_slice_t in = kv_slice(doc.p + 3, doc.len - 3);
    if (!get_bytes(&in, &out->target) || !get_bytes(&in, &out->prefix) ||
        !get_u16(&in, &out->n_grants) || out->target.len == 0)
        return -1;
    out->grants = in;
    out->enabled = true;
    return 0;
}

void s3_logging_xml(const s3_logging_t *c, kv_buf_t *out)
{
    api_xw_t w;
    api_xw_begin(&w, out, "BucketLoggingStatus", true);
    if (c->enabled) {
        api_xw_open(&w, "LoggingEnabled");
        api_xw_elem(&w, "TargetBucket", c->target);
        api_xw_elem(&w, "TargetPrefix", c->prefix);
        if (c->n_grants) {
            api_xw_open(&w, "TargetGrants");
            kv_buf_append_slice(out, c->grants);
            api_xw_close(&w, "TargetGrants");
        }
        if (c->fmt != S3_LOGFMT_DEFAULT) {
            api_xw_open(&w, "TargetObjectKeyFormat");
            if (c->fmt == S3_LOGFMT_SIMPLE) {
                kv_buf_append_str(out, "<SimplePrefix/>");
            } else {
                api_xw_open(&w, "PartitionedPrefix");
                api_xw_elem_str(&w, "PartitionDateSource",
                                c->fmt == S3_LOGFMT_EVENT ? "EventTime" : "DeliveryTime");
                api_xw_close(&w, "PartitionedPrefix");
            }
            api_xw_close(&w, "TargetObjectKeyFormat");
        }
        api_xw_close(&w, "LoggingEnabled");
    }
    api_xw_close(&w, "BucketLoggingStatus");
}

/* ---- the operations ---- */

int s3_decode_put_bucket_logging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 s3_logging_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    if (s3_logging_parse(req->arena, kv_buf_slice(&req->_st->body), &out->cfg) < 0)
        return api_refuse(resp, API_E_S3_MALFORMED_XML, NULL);
    return 0;
}

int s3_decode_get_bucket_logging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 s3_logging_in_t *out)
{
    (void)ctx, (void)resp;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    return 0;
}

static const char *region_of(const eng_bucket_t *b)
{
    return b->region && b->region[0] ? b->region : "us-east-1";
}

/* Does a stored document name s (package L's and R's documents are S3's XML)? */
static bool contains(kv_slice_t hay, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= hay.len; i++)
        if (memcmp(hay.p + i, s, n) == 0)
            return true;
    return false;
}

/* The target's own refusals: absent, elsewhere, locked by default, paid by requesters. */
static int check_target(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *src,
                        const s3_logging_t *c)
{
    eng_bucket_t *t;
    kv_buf_t x;
    kv_buf_init(&x, 4096);
    kv_buf_append_str(&x, "<TargetBucket>");
    api_xml_escape(&x, c->target);
    kv_buf_append_str(&x, "</TargetBucket>");
    int rc = eng_bucket_get(ctx->eng, c->target, req->arena, &t);
    int out = 0;
    if (rc == KV_ENOTFOUND) {
        out = api_refuse(resp, API_E_S3_INVALID_LOG_TARGET, NULL);
    } else if (rc < 0) {
        out = s3_engine_fail(resp, rc);
    } else if (strcmp(region_of(t), region_of(src)) != 0) {
        kv_buf_printf(&x,
                      "<TargetBucketLocation>%s</TargetBucketLocation>"
                      "<SourceBucketLocation>%s</SourceBucketLocation>",
                      region_of(t), region_of(src));
        out = api_refuse(resp, API_E_S3_CROSS_LOCATION_LOGGING, NULL);
    } else if (contains(t->docs[ENG_BDOC_OBJECT_LOCK], "DefaultRetention")) {
        out = api_refuse(resp, API_E_S3_INVALID_LOG_TARGET,
                         "The target bucket for logging must not have a default Object Lock "
                         "retention period");
    } else if (contains(t->docs[ENG_BDOC_REQUEST_PAYMENT], "Requester")) {
        out = api_refuse(resp, API_E_S3_INVALID_LOG_TARGET,
                         "The target bucket for logging must not have Requester Pays enabled");
    } else if (c->n_grants && s3_ownership(t, NULL) == S3_OWN_ENFORCED) {
        kv_buf_reset(&x);
        out = api_refuse(resp, API_E_S3_ACL_NOT_SUPPORTED,
                         "Target grants not allowed for bucket owner enforced buckets");
    } else {
        kv_buf_reset(&x);
        /* Log objects are written into the target with no request of their own: the principal
         * that configures them must be one that may write there (under the prefix), or a
         * user allowed only its own bucket could fill any other with objects. */
        if (s3_authz_check(ctx, req, resp, "s3:PutObject", c->target, c->prefix, NULL, NULL, 0) !=
            0)
            out = -1;
    }
    if (out < 0 && x.len && !kv_buf_failed(&x))
        req->_st->s3_extra = kv_arena_dup(req->arena, kv_buf_slice(&x));
    kv_buf_dispose(&x);
    return out;
}

int s3_exec_put_bucket_logging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_logging_in_t *in, s3_logging_out_t *out)
{
    (void)out;
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    kv_buf_t doc;
    kv_buf_init(&doc, 1u << 20);
    if (in->cfg.enabled) {
        if (check_target(ctx, req, resp, b, &in->cfg) < 0) {
            kv_buf_dispose(&doc);
            return -1;
        }
        s3_logging_encode(&in->cfg, &doc);
    }
    int rc = kv_buf_failed(&doc)
                 ? KV_ETOOBIG
                 : eng_bucket_set_doc(ctx->eng, in->bucket, ENG_BDOC_LOGGING, kv_buf_slice(&doc));
    kv_buf_dispose(&doc);
    if (s3_bucket_written(resp, rc) < 0)
        return -1;
    s3_alog_changed(ctx);
    return 0;
}

int s3_exec_get_bucket_logging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_logging_in_t *in, s3_logging_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    if (s3_logging_decode(b->docs[ENG_BDOC_LOGGING], &out->cfg) < 0)
        return s3_engine_fail(resp, KV_ECORRUPT);
    return 0;
}

void s3_encode_put_bucket_logging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_logging_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

void s3_encode_get_bucket_logging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_logging_out_t *out)
{
    (void)ctx, (void)req;
    s3_logging_xml(&out->cfg, &resp->body);
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}
