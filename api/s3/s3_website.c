/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Static website configuration (issue 16, package W): PutBucketWebsite validates a
 * WebsiteConfiguration as S3 does (IndexDocument, ErrorDocument, RedirectAllRequestsTo, up to
 * 50 RoutingRules) and stores it re-rendered in one canonical form (ENG_BDOC_WEBSITE), which
 * GetBucketWebsite returns and the website endpoint (s3_website_ep.c) parses again;
 * DeleteBucketWebsite removes it. Also the x-amz-website-redirect-location of object writes.
 */
#include <stdio.h>
#include <string.h>

#include "s3_int.h"

#define WEB_VALUE_MAX 1024 /* bytes of a key, prefix or host name in a configuration */

/* ---- parsing ---- */

static int refuse(s3_web_err_t *err, api_err_t e, const char *msg)
{
    err->e = e;
    err->msg = msg;
    err->arg_name = err->arg_value = NULL;
    return -1;
}

static int malformed(s3_web_err_t *err)
{
    return refuse(err, API_E_S3_MALFORMED_XML, NULL);
}

static int invalid_arg(s3_web_err_t *err, const char *msg, const char *name, const char *value)
{
    refuse(err, API_E_S3_INVALID_ARGUMENT, msg);
    err->arg_name = name;
    err->arg_value = value;
    return -1;
}

/*
 * Sort n's children into found[] by their names in allowed[] (NULL-terminated, at most 8): an
 * element of another name, one given twice, or one that should hold text but holds elements is
 * malformed. Names in allowed[] starting with '+' hold elements, the others text.
 */
static int children(const api_xnode_t *n, const char *const *allowed, const api_xnode_t **found)
{
    size_t k = 0;
    while (allowed[k])
        found[k++] = NULL;
    for (const api_xnode_t *c = n->child; c; c = c->next) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i] + (allowed[i][0] == '+'), c->name) != 0)
            i++;
        if (allowed[i] == NULL || found[i] || (allowed[i][0] != '+' && c->child))
            return -1;
        found[i] = c;
    }
    return 0;
}

/* A protocol, when given, is http or https. */
static int protocol_of(const api_xnode_t *n, kv_slice_t *out, bool *has, s3_web_err_t *err)
{
    *has = n != NULL;
    if (n == NULL)
        return 0;
    *out = kv_slice_trim(n->text);
    if (kv_slice_eq_str(*out, "http") || kv_slice_eq_str(*out, "https"))
        return 0;
    return refuse(err, API_E_S3_INVALID_REQUEST,
                  "Invalid protocol, protocol can be http or https. If not defined the protocol "
                  "will be selected automatically.");
}

/* A host name goes into a Location header: printable, no spaces, slashes or control bytes. */
static bool host_ok(kv_slice_t h)
{
    if (h.len == 0 || h.len > 255)
        return false;
    for (size_t i = 0; i < h.len; i++)
        if (h.p[i] <= 0x20 || h.p[i] >= 0x7f || h.p[i] == '/' || h.p[i] == '\\')
            return false;
    return true;
}

static int host_of(const api_xnode_t *n, kv_slice_t *out, bool *has, s3_web_err_t *err)
{
    *has = n != NULL;
    if (n == NULL)
        return 0;
    *out = kv_slice_trim(n->text);
    return host_ok(*out) ? 0 : malformed(err);
}

/* A status code element: digits only. */
static bool code_of(const api_xnode_t *n, uint64_t *v)
{
    kv_slice_t t = kv_slice_trim(n->text);
    return t.len > 0 && t.len <= 3 && kv_slice_to_u64(t, v);
}

static int redirect_of(kv_arena_t *a, const api_xnode_t *n, s3_web_redirect_t *to,
                       s3_web_err_t *err)
{
    static const char *const names[] = {
        "HostName", "HttpRedirectCode", "Protocol", "ReplaceKeyPrefixWith", "ReplaceKeyWith", NULL};
    const api_xnode_t *f[5];
    if (children(n, names, f) < 0 || n->child == NULL)
        return malformed(err);
    if (host_of(f[0], &to->host, &to->has_host, err) < 0 ||
        protocol_of(f[2], &to->protocol, &to->has_protocol, err) < 0)
        return -1;
    if (f[1]) {
        uint64_t c;
        if (!code_of(f[1], &c))
            return malformed(err);
        if (c < 301 || c > 399) {
            kv_slice_t t = kv_slice_trim(f[1]->text);
            return refuse(err, API_E_S3_INVALID_REQUEST,
                          kv_arena_printf(a,
                                          "The provided HTTP redirect code (%.*s) is not valid. "
                                          "Valid codes are 3XX except 300.",
                                          (int)t.len, (const char *)t.p));
        }
        to->code = (unsigned)c;
    }
    if (f[3] && f[4])
        return refuse(err, API_E_S3_INVALID_REQUEST,
                      "You can only define ReplaceKeyPrefix or ReplaceKey but not both.");
    to->has_replace_prefix = f[3] != NULL;
    to->has_replace_key = f[4] != NULL;
    if (f[3])
        to->replace_prefix = f[3]->text;
    if (f[4])
        to->replace_key = f[4]->text;
    if (to->replace_prefix.len > WEB_VALUE_MAX || to->replace_key.len > WEB_VALUE_MAX)
        return malformed(err);
    return 0;
}

static int rule_of(kv_arena_t *a, const api_xnode_t *n, s3_web_rule_t *r, s3_web_err_t *err)
{
    static const char *const names[] = {"+Condition", "+Redirect", NULL};
    const api_xnode_t *f[2];
    if (children(n, names, f) < 0 || f[1] == NULL)
        return malformed(err);
    if (f[0]) {
        static const char *const conds[] = {"KeyPrefixEquals", "HttpErrorCodeReturnedEquals", NULL};
        const api_xnode_t *c[2];
        if (children(f[0], conds, c) < 0)
            return malformed(err);
        if (c[0] == NULL && c[1] == NULL)
            return refuse(err, API_E_S3_INVALID_REQUEST,
                          "Condition cannot be empty. To redirect all requests without a "
                          "condition, the condition element shouldn't be present.");
        if (c[0]) {
            r->has_prefix = true;
            r->prefix = c[0]->text;
            if (r->prefix.len > WEB_VALUE_MAX)
                return malformed(err);
        }
        if (c[1]) {
            uint64_t v;
            if (!code_of(c[1], &v))
                return malformed(err);
            if (v < 400 || v > 599) {
                kv_slice_t t = kv_slice_trim(c[1]->text);
                return refuse(err, API_E_S3_INVALID_REQUEST,
                              kv_arena_printf(a,
                                              "The provided HTTP error code (%.*s) is not valid. "
                                              "Valid codes are 4XX or 5XX.",
                                              (int)t.len, (const char *)t.p));
            }
            r->error_code = (unsigned)v;
        }
    }
    return redirect_of(a, f[1], &r->to, err);
}

int s3_website_parse(kv_arena_t *a, kv_slice_t xml, s3_website_t *out, s3_web_err_t *err)
{
    memset(out, 0, sizeof(*out));
    api_xnode_t *root;
    if (xml.len == 0 || api_xml_parse(a, xml, &root) < 0 ||
        strcmp(root->name, "WebsiteConfiguration") != 0)
        return malformed(err);
    static const char *const top[] = {"+RedirectAllRequestsTo", "+IndexDocument", "+ErrorDocument",
                                      "+RoutingRules", NULL};
    const api_xnode_t *f[4];
    if (children(root, top, f) < 0)
        return malformed(err);
    if (f[0]) {
        if (f[1] || f[2] || f[3])
            return invalid_arg(err,
                               "RedirectAllRequestsTo cannot be provided in conjunction with "
                               "other Routing Rules.",
                               "RedirectAllRequestsTo", "not null");
        static const char *const names[] = {"HostName", "Protocol", NULL};
        const api_xnode_t *r[2];
        bool has_host, has_protocol;
        if (children(f[0], names, r) < 0 || r[0] == NULL)
            return malformed(err);
        if (host_of(r[0], &out->all_host, &has_host, err) < 0 ||
            protocol_of(r[1], &out->all_protocol, &has_protocol, err) < 0)
            return -1;
        if (r[1] == NULL)
            out->all_protocol = KV_SLICE_NULL;
        out->redirect_all = true;
        return 0;
    }
    if (f[1] == NULL)
        return invalid_arg(err,
                           "A value for IndexDocument Suffix must be provided if "
                           "RedirectAllRequestsTo is empty",
                           "IndexDocument", "null");
    static const char *const suffix[] = {"Suffix", NULL};
    const api_xnode_t *s[1];
    if (children(f[1], suffix, s) < 0)
        return malformed(err);
    out->index = s[0] ? s[0]->text : KV_SLICE_NULL;
    if (out->index.len == 0 || out->index.len > WEB_VALUE_MAX ||
        memchr(out->index.p, '/', out->index.len))
        return invalid_arg(err, "The IndexDocument Suffix is not well formed", "IndexDocument",
                           out->index.len ? kv_arena_strndup(a, out->index.p, out->index.len)
                                          : "null");
    if (f[2]) {
        static const char *const key[] = {"Key", NULL};
        const api_xnode_t *k[1];
        if (children(f[2], key, k) < 0 || k[0] == NULL || k[0]->text.len == 0 ||
            k[0]->text.len > WEB_VALUE_MAX)
            return malformed(err);
        out->has_error = true;
        out->error_key = k[0]->text;
    }
    if (f[3]) {
        size_t n = 0;
        for (const api_xnode_t *c = f[3]->child; c; c = c->next) {
            if (strcmp(c->name, "RoutingRule") != 0)
                return malformed(err);
            n++;
        }
        if (n == 0)
            return malformed(err);
        if (n > S3_WEB_RULES_MAX)
            return refuse(err, API_E_S3_INVALID_REQUEST,
                          kv_arena_printf(a,
                                          "%zu routing rules provided, the number of routing "
                                          "rules in a website configuration is limited to 50.",
                                          n));
        out->rules = kv_arena_calloc(a, n, sizeof(*out->rules));
        for (const api_xnode_t *c = f[3]->child; c; c = c->next)
            if (rule_of(a, c, &out->rules[out->n_rules++], err) < 0)
                return -1;
    }
    return 0;
}

/* ---- rendering ---- */

static void elem(api_xw_t *w, bool has, const char *tag, kv_slice_t v)
{
    if (has)
        api_xw_elem(w, tag, v);
}

void s3_website_render(const s3_website_t *web, kv_buf_t *out)
{
    api_xw_t w;
    api_xw_begin(&w, out, "WebsiteConfiguration", true);
    if (web->redirect_all) {
        api_xw_open(&w, "RedirectAllRequestsTo");
        api_xw_elem(&w, "HostName", web->all_host);
        elem(&w, web->all_protocol.len, "Protocol", web->all_protocol);
        api_xw_close(&w, "RedirectAllRequestsTo");
        api_xw_close(&w, "WebsiteConfiguration");
        return;
    }
    api_xw_open(&w, "IndexDocument");
    api_xw_elem(&w, "Suffix", web->index);
    api_xw_close(&w, "IndexDocument");
    if (web->has_error) {
        api_xw_open(&w, "ErrorDocument");
        api_xw_elem(&w, "Key", web->error_key);
        api_xw_close(&w, "ErrorDocument");
    }
    if (web->n_rules)
        api_xw_open(&w, "RoutingRules");
    for (size_t i = 0; i < web->n_rules; i++) {
        const s3_web_rule_t *r = &web->rules[i];
        api_xw_open(&w, "RoutingRule");
        if (r->has_prefix || r->error_code) {
            api_xw_open(&w, "Condition");
            if (r->error_code)
                api_xw_elem_u64(&w, "HttpErrorCodeReturnedEquals", r->error_code);
            elem(&w, r->has_prefix, "KeyPrefixEquals", r->prefix);
            api_xw_close(&w, "Condition");
        }
        api_xw_open(&w, "Redirect");
        elem(&w, r->to.has_host, "HostName", r->to.host);
        if (r->to.code)
            api_xw_elem_u64(&w, "HttpRedirectCode", r->to.code);
        elem(&w, r->to.has_protocol, "Protocol", r->to.protocol);
        elem(&w, r->to.has_replace_prefix, "ReplaceKeyPrefixWith", r->to.replace_prefix);
        elem(&w, r->to.has_replace_key, "ReplaceKeyWith", r->to.replace_key);
        api_xw_close(&w, "Redirect");
        api_xw_close(&w, "RoutingRule");
    }
    if (web->n_rules)
        api_xw_close(&w, "RoutingRules");
    api_xw_close(&w, "WebsiteConfiguration");
}

/* ---- x-amz-website-redirect-location ---- */

bool s3_website_redirect_ok(kv_slice_t v)
{
    if (v.len == 0 || v.len > S3_WEB_REDIRECT_MAX)
        return false;
    for (size_t i = 0; i < v.len; i++)
        if (v.p[i] < 0x20 || v.p[i] == 0x7f)
            return false;
    return v.p[0] == '/' || kv_slice_starts_with(v, "http://") ||
           kv_slice_starts_with(v, "https://");
}

int s3_website_redirect_in(api_req_t *req, api_resp_t *resp, kv_slice_t v, const char **out)
{
    *out = NULL;
    if (v.len == 0)
        return 0;
    if (!s3_website_redirect_ok(v)) {
        api_fail(resp, API_E_S3_INVALID_REDIRECT, NULL);
        return -1;
    }
    *out = kv_arena_strndup(req->arena, v.p, v.len);
    return 0;
}

/* ---- Put/Get/DeleteBucketWebsite ---- */

static void website_in(api_req_t *req, s3_website_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
}

int s3_decode_put_bucket_website(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 s3_put_bucket_website_in_t *out)
{
    (void)ctx;
    website_in(req, out);
    s3_website_t w;
    s3_web_err_t err;
    if (s3_website_parse(req->arena, kv_buf_slice(&req->_st->body), &w, &err) < 0) {
        if (err.msg)
            api_fail(resp, err.e, "%s", err.msg);
        else
            api_fail(resp, err.e, NULL);
        if (err.arg_name) {
            kv_buf_t x;
            kv_buf_init(&x, 4096);
            api_xw_t xw = {&x, false};
            api_xw_elem_str(&xw, "ArgumentName", err.arg_name);
            api_xw_elem_str(&xw, "ArgumentValue", err.arg_value);
            req->_st->s3_extra = kv_arena_dup(req->arena, kv_buf_slice(&x));
            kv_buf_dispose(&x);
        }
        return -1;
    }
    kv_buf_t doc;
    kv_buf_init(&doc, 2 * API_S3_XML_MAX);
    s3_website_render(&w, &doc);
    out->doc = kv_arena_dup(req->arena, kv_buf_slice(&doc));
    bool failed = kv_buf_failed(&doc);
    kv_buf_dispose(&doc);
    if (failed) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    return 0;
}

int s3_decode_get_bucket_website(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 s3_get_bucket_website_in_t *out)
{
    (void)ctx, (void)resp;
    website_in(req, out);
    return 0;
}

int s3_decode_delete_bucket_website(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    s3_delete_bucket_website_in_t *out)
{
    (void)ctx, (void)resp;
    website_in(req, out);
    return 0;
}

/* Store the document (DELETE: the empty one) on an existing bucket. */
static int website_set(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_website_in_t *in)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    return s3_bucket_written(resp,
                             eng_bucket_set_doc(ctx->eng, in->bucket, ENG_BDOC_WEBSITE, in->doc));
}

int s3_exec_put_bucket_website(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_put_bucket_website_in_t *in,
                               s3_put_bucket_website_out_t *out)
{
    (void)out;
    return website_set(ctx, req, resp, in);
}

int s3_exec_delete_bucket_website(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_delete_bucket_website_in_t *in,
                                  s3_delete_bucket_website_out_t *out)
{
    (void)out;
    return website_set(ctx, req, resp, in);
}

int s3_exec_get_bucket_website(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_get_bucket_website_in_t *in,
                               s3_get_bucket_website_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    out->doc = b->docs[ENG_BDOC_WEBSITE];
    if (out->doc.len == 0) {
        api_fail(resp, API_E_S3_NO_SUCH_WEBSITE, NULL);
        return -1;
    }
    return 0;
}

void s3_encode_put_bucket_website(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_put_bucket_website_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

void s3_encode_delete_bucket_website(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_delete_bucket_website_out_t *out)
{
    (void)ctx, (void)req, (void)out;
    resp->status = 204;
}

void s3_encode_get_bucket_website(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_get_bucket_website_out_t *out)
{
    (void)ctx, (void)req;
    kv_buf_append_slice(&resp->body, out->doc);
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}
