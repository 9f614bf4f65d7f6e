/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The static website endpoint (issue 16, package W). A request whose Host is
 * <bucket>.s3-website.localhost, <bucket>.s3-website-<region>.localhost or
 * <bucket>.s3-website.<region>.localhost (any port), or whose path is /_website/<bucket>/<key>,
 * is claimed by S3 and served as S3's website endpoints serve it: GET and HEAD only, never
 * authenticated, reading only what the anonymous principal may read (s3:GetObject under the
 * bucket policy, ACLs and Block Public Access: s3_authz_check), the index document for "/" and
 * "dir/", a 302 from "dir" to "dir/", RedirectAllRequestsTo, routing rules (before the read on
 * the key, after it on the error), x-amz-website-redirect-location, the ErrorDocument with the
 * error's status, and S3's HTML error pages. The object itself goes out through GetObject's
 * own decode, execute and encode stages (Range, conditional requests, streaming).
 */
#include <string.h>

#include "base/kv_log.h"
#include "s3_authz.h"
#include "s3_int.h"

/* An error's default message (the table's). */
static const char *err_msg(api_err_t e)
{
    static const char *const msgs[] = {"",
#define XX(name, st, ns, code, msg) msg,
                                       API_ERR_MAP(XX)
#undef XX
    };
    return msgs[e];
}

static bool has_prefix(kv_slice_t s, kv_slice_t pre)
{
    return s.len >= pre.len && (pre.len == 0 || memcmp(s.p, pre.p, pre.len) == 0);
}

/* ---- which requests are the endpoint's ---- */

typedef struct web_target {
    kv_slice_t bucket, key; /* as sent (the path's are still percent-encoded) */
    bool path_form;
} web_target_t;

static bool region_chars(kv_slice_t r)
{
    if (r.len == 0)
        return false;
    for (size_t i = 0; i < r.len; i++) {
        uint8_t c = r.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
    }
    return true;
}

/* The bucket of a website Host (port stripped): <bucket>.s3-website[(-|.)<region>].localhost. */
static bool website_host(kv_slice_t host, kv_slice_t *bucket)
{
    static const char tld[] = ".localhost", mid[] = ".s3-website";
    size_t tl = sizeof(tld) - 1, ml = sizeof(mid) - 1;
    if (host.len <= tl + ml || !kv_slice_eq_nocase(kv_slice(host.p + host.len - tl, tl), tld))
        return false;
    kv_slice_t h = kv_slice(host.p, host.len - tl);
    /* The rightmost ".s3-website" whose rest is a region form (bucket names may hold dots). */
    for (size_t i = h.len - ml + 1; i-- > 1;) {
        if (!kv_slice_eq_nocase(kv_slice(h.p + i, ml), mid))
            continue;
        kv_slice_t rest = kv_slice(h.p + i + ml, h.len - i - ml);
        if (rest.len == 0 || ((rest.p[0] == '-' || rest.p[0] == '.') &&
                              region_chars(kv_slice(rest.p + 1, rest.len - 1)))) {
            *bucket = kv_slice(h.p, i);
            return true;
        }
    }
    return false;
}

static kv_slice_t host_name(const api_req_t *req)
{
    kv_slice_t host = api_req_header(req, "host");
    if (host.len && host.p[0] != '[') {
        const uint8_t *c = memchr(host.p, ':', host.len);
        if (c)
            host.len = (size_t)(c - host.p);
    }
    return host;
}

/* Is host a virtual-hosted REST bucket's, as s3_route decides (<bucket>[.s3].localhost)? Its
 * paths are keys: the path form is not taken there. */
static bool rest_vhost(kv_slice_t host)
{
    static const char tld[] = ".localhost";
    size_t tl = sizeof(tld) - 1;
    if (host.len <= tl || !kv_slice_eq_nocase(kv_slice(host.p + host.len - tl, tl), tld))
        return false;
    kv_slice_t b = kv_slice(host.p, host.len - tl);
    if (b.len > 3 && kv_slice_eq_nocase(kv_slice(b.p + b.len - 3, 3), ".s3"))
        b.len -= 3;
    return !kv_slice_eq_nocase(b, "s3");
}

static bool web_target(const api_req_t *req, web_target_t *t)
{
    memset(t, 0, sizeof(*t));
    kv_slice_t path = req->path, host = host_name(req);
    if (website_host(host, &t->bucket)) {
        t->key = path.len && path.p[0] == '/' ? kv_slice(path.p + 1, path.len - 1) : path;
        return true;
    }
    size_t pl = sizeof(S3_WEB_PATH_FORM) - 1;
    if (path.len <= pl || !kv_slice_starts_with(path, S3_WEB_PATH_FORM) || rest_vhost(host))
        return false;
    kv_slice_t rest = kv_slice(path.p + pl, path.len - pl);
    const uint8_t *slash = memchr(rest.p, '/', rest.len);
    t->bucket = slash ? kv_slice(rest.p, (size_t)(slash - rest.p)) : rest;
    t->key = slash ? kv_slice(slash + 1, rest.len - t->bucket.len - 1) : KV_SLICE_NULL;
    t->path_form = true;
    return t->bucket.len > 0;
}

bool s3_website_claim(api_ctx_t *ctx, const api_req_t *req)
{
    (void)ctx;
    web_target_t t;
    return web_target(req, &t);
}

static kv_slice_t decode(api_req_t *req, kv_slice_t raw)
{
    kv_buf_t b;
    kv_buf_init(&b, raw.len + 1);
    kv_slice_t out = kv_arena_dup(req->arena, sigv4_uri_decode(&b, raw) ? kv_buf_slice(&b) : raw);
    kv_buf_dispose(&b);
    return out;
}

int s3_website_route(api_req_t *req)
{
    web_target_t t;
    if (!web_target(req, &t))
        return -1;
    api_state_t *st = req->_st;
    st->bucket = t.path_form ? decode(req, t.bucket) : kv_arena_dup(req->arena, t.bucket);
    if (!t.path_form) /* a host name's case means nothing; bucket names are lower case */
        for (size_t i = 0; i < st->bucket.len; i++)
            if (st->bucket.p[i] >= 'A' && st->bucket.p[i] <= 'Z')
                ((uint8_t *)(uintptr_t)st->bucket.p)[i] = (uint8_t)(st->bucket.p[i] + 32);
    st->key_name = decode(req, t.key);
    if (kv_slice_eq_str(req->method, "GET") || kv_slice_eq_str(req->method, "HEAD"))
        return S3_OP_website_get;
    if (kv_slice_eq_str(req->method, "OPTIONS"))
        return S3_OP_preflight; /* the bucket's CORS rules answer it, as on the REST endpoint */
    return S3_OP_website_refused;
}

bool s3_website_op(int op)
{
    return op == S3_OP_website_get || op == S3_OP_website_refused;
}

/* ---- decoding ---- */

static void get_in(api_req_t *req, s3_website_get_in_t *out)
{
    memset(out, 0, sizeof(*out));
    web_target_t t;
    web_target(req, &t);
    out->bucket = req->_st->bucket;
    out->key = req->_st->key_name;
    out->head = kv_slice_eq_str(req->method, "HEAD");
    out->host = api_req_header(req, "host");
    if (t.path_form) {
        size_t n = sizeof(S3_WEB_PATH_FORM) - 1 + t.bucket.len;
        out->base = kv_arena_dup(req->arena, kv_slice(req->path.p, n));
    }
}

/* The list items after RequestId's and HostId's: "<li>name: value</li>" (value escaped). */
static void item(kv_buf_t *b, const char *name, kv_slice_t v)
{
    kv_buf_printf(b, "<li>%s: ", name);
    api_xml_escape(b, v);
    kv_buf_append_str(b, "</li>\n");
}

static void ids(kv_buf_t *b, const api_state_t *st)
{
    item(b, "RequestId", kv_slice_str(st->request_id));
    item(b, "HostId", kv_slice_str(st->id2));
}

int s3_decode_website_get(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          s3_website_get_in_t *out)
{
    (void)ctx;
    get_in(req, out);
    if (out->key.len > ENG_OBJ_KEY_MAX) {
        api_fail(resp, API_E_S3_KEY_TOO_LONG, NULL);
        return -1;
    }
    return 0;
}

int s3_decode_website_refused(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              s3_website_refused_in_t *out)
{
    (void)ctx;
    get_in(req, out);
    kv_buf_t b;
    kv_buf_init(&b, 16384);
    item(&b, "Method", req->method);
    item(&b, "ResourceType", KV_SLICE_LIT("OBJECT"));
    ids(&b, req->_st);
    kv_buf_append_str(&b, "</ul>\n");
    req->_st->s3_extra = kv_arena_dup(req->arena, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    api_resp_header(resp, "Allow", KV_SLICE_LIT("GET, HEAD"));
    api_fail(resp, API_E_S3_METHOD_NOT_ALLOWED, NULL);
    return -1;
}

/* ---- execution ---- */

/* May the anonymous principal read key (s3:GetObject; for the requested key (asked) with a
 * named version, s3:GetObjectVersion with that version's tags as s3:ExistingObjectTag's)? The
 * index and error documents are read current. */
static bool readable(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t bucket,
                     kv_slice_t key, bool asked)
{
    kv_slice_t v;
    bool named = asked && api_req_query(req, "versionId", &v);
    eng_vref_t ver = {.kind = ENG_VREF_CURRENT};
    if (named && !s3_version_parse(v, &ver))
        ver.kind = ENG_VREF_CURRENT; /* GetObject's decode refuses it */
    return s3_authz_check(ctx, req, resp, named ? "s3:GetObjectVersion" : "s3:GetObject", bucket,
                          key, &ver, NULL, S3_AZ_EXISTING | S3_AZ_QUIET) == 0;
}

/* May it list the bucket (else a missing key is AccessDenied, as S3 answers)? */
static bool listable(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t bucket)
{
    return s3_authz_check(ctx, req, resp, "s3:ListBucket", bucket, KV_SLICE_NULL, NULL, NULL,
                          S3_AZ_QUIET) == 0;
}

static kv_slice_t cat(kv_arena_t *a, kv_slice_t x, kv_slice_t y)
{
    uint8_t *p = kv_arena_alloc(a, x.len + y.len + 1);
    if (x.len)
        memcpy(p, x.p, x.len);
    if (y.len)
        memcpy(p + x.len, y.p, y.len);
    p[x.len + y.len] = 0;
    return kv_slice(p, x.len + y.len);
}

static int redirect(api_req_t *req, s3_website_get_out_t *out, int status, kv_buf_t *loc)
{
    out->answer = S3_WEB_REDIRECT;
    out->status = status;
    out->location = kv_arena_dup(req->arena, kv_buf_slice(loc));
    kv_buf_dispose(loc);
    return 0;
}

/* Location of a redirect to key on this site: [proto://host]<base>/<key>. */
static void site_location(const api_req_t *req, const s3_website_get_in_t *in, kv_buf_t *loc,
                          kv_slice_t proto, kv_slice_t host, kv_slice_t key, bool same_site)
{
    if (host.len) {
        kv_buf_append_slice(loc, proto.len  ? proto
                                 : req->tls ? KV_SLICE_LIT("https")
                                            : KV_SLICE_LIT("http"));
        kv_buf_append_str(loc, "://");
        kv_buf_append_slice(loc, host);
    }
    if (same_site)
        kv_buf_append_slice(loc, in->base);
    kv_buf_append_str(loc, "/");
    sigv4_uri_encode(loc, key, false);
}

/* The first routing rule for key: before the read (error 0) the rules without an error
 * condition, after it those whose error condition is the error's status. */
static const s3_web_rule_t *rule_for(const s3_website_t *w, kv_slice_t key, int status)
{
    for (size_t i = 0; i < w->n_rules; i++) {
        const s3_web_rule_t *r = &w->rules[i];
        if ((int)r->error_code != status)
            continue;
        if (r->has_prefix && !has_prefix(key, r->prefix))
            continue;
        return r;
    }
    return NULL;
}

static int rule_redirect(api_req_t *req, const s3_website_get_in_t *in, s3_website_get_out_t *out,
                         const s3_web_rule_t *r)
{
    kv_slice_t key = in->key;
    if (r->to.has_replace_key) {
        key = r->to.replace_key;
    } else if (r->to.has_replace_prefix) {
        size_t cut = r->has_prefix ? r->prefix.len : 0;
        key = cat(req->arena, r->to.replace_prefix, kv_slice(key.p + cut, key.len - cut));
    }
    kv_buf_t loc;
    kv_buf_init(&loc, 16384);
    site_location(req, in, &loc, r->to.has_protocol ? r->to.protocol : KV_SLICE_NULL,
                  r->to.has_host ? r->to.host : in->host, key, !r->to.has_host);
    return redirect(req, out, r->to.code ? (int)r->to.code : 301, &loc);
}

/* S3's HTML page for err (about key, or the bucket), with the page's list items after
 * Message; doc_err: why the custom error document could not be read (API_E_NONE: it was not
 * tried). */
static int web_error(api_req_t *req, s3_website_get_out_t *out, api_err_t err, const char *msg,
                     kv_slice_t key, api_err_t doc_err, kv_slice_t doc_key)
{
    const api_state_t *st = req->_st;
    kv_buf_t b;
    kv_buf_init(&b, 16384);
    if (err == API_E_S3_NO_SUCH_BUCKET || err == API_E_S3_NO_SUCH_WEBSITE)
        item(&b, "BucketName", st->bucket);
    else if (err == API_E_S3_NO_SUCH_KEY)
        item(&b, "Key", key);
    ids(&b, st);
    kv_buf_append_str(&b, "</ul>\n");
    if (doc_err != API_E_NONE) {
        kv_buf_append_str(&b, "<h3>An Error Occurred While Attempting to Retrieve a Custom Error "
                              "Document</h3>\n<ul>\n");
        item(&b, "Code", kv_slice_str(api_err_code(doc_err)));
        item(&b, "Message", kv_slice_str(err_msg(doc_err)));
        if (doc_err == API_E_S3_NO_SUCH_KEY)
            item(&b, "Key", doc_key);
        kv_buf_append_str(&b, "</ul>\n");
    }
    out->answer = S3_WEB_ERROR;
    out->err = err;
    out->msg = msg;
    out->key = key;
    out->extra = kv_arena_dup(req->arena, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    return 0;
}

/* Forget a failed read's answer (its error, headers and body) to answer otherwise. */
static void unanswer(api_req_t *req, api_resp_t *resp, size_t n_hdrs)
{
    resp->_err = 0;
    resp->_msg = NULL;
    resp->status = 200;
    resp->n_hdrs = n_hdrs;
    kv_buf_reset(&resp->body);
    req->_st->s3_extra = KV_SLICE_NULL;
}

/* Open key's current version for the error document (no conditions, no range). */
static api_err_t open_doc(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const s3_website_get_in_t *in, const eng_bucket_t *b, kv_slice_t key,
                          s3_object_out_t *o)
{
    if (!readable(ctx, req, resp, in->bucket, key, false))
        return API_E_S3_ACCESS_DENIED;
    eng_vref_t cur = {.kind = ENG_VREF_CURRENT};
    int rc = eng_object_open(ctx->eng, b->id, key, &cur, req->arena, &o->o,
                             in->head ? NULL : &o->reader);
    if (rc == 0 && o->o->delete_marker) {
        eng_object_close(o->reader);
        o->reader = NULL;
        rc = KV_ENOTFOUND;
    }
    if (rc == KV_ENOTFOUND)
        return listable(ctx, req, resp, in->bucket) ? API_E_S3_NO_SUCH_KEY : API_E_S3_ACCESS_DENIED;
    if (rc < 0) {
        KV_LOG_ERROR("s3 website: engine error %s", kv_err_name(rc));
        return API_E_S3_INTERNAL;
    }
    /* An encrypted document's key, as GetObject gets it (SSE-S3; the others cannot be read
     * here): the reader refuses its bytes without it. */
    size_t n_hdrs = resp->n_hdrs;
    if (s3_sse_read(ctx, req, resp, in->bucket, o->o, o->reader, false) < 0) {
        api_err_t err = (api_err_t)resp->_err;
        unanswer(req, resp, n_hdrs);
        eng_object_close(o->reader);
        o->reader = NULL;
        return err == API_E_NONE ? API_E_S3_INTERNAL : err;
    }
    o->off = 0;
    o->len = o->o->size;
    return API_E_NONE;
}

/* The read of key failed with err: a directory's redirect, an error rule, the error
 * document, or S3's page. */
static int answer_error(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                        const s3_website_get_in_t *in, s3_website_get_out_t *out,
                        const eng_bucket_t *b, const s3_website_t *w, kv_slice_t key, api_err_t err,
                        const char *msg)
{
    if (err == API_E_S3_NO_SUCH_KEY) {
        /* "dir" without its slash: "dir/" when dir/<index> exists and may be read. */
        if (in->key.len && in->key.p[in->key.len - 1] != '/') {
            kv_slice_t idx = cat(req->arena, cat(req->arena, in->key, KV_SLICE_LIT("/")), w->index);
            eng_vref_t cur = {.kind = ENG_VREF_CURRENT};
            eng_object_t *o;
            if (readable(ctx, req, resp, in->bucket, idx, false) &&
                eng_object_open(ctx->eng, b->id, idx, &cur, req->arena, &o, NULL) == 0 &&
                !o->delete_marker) {
                kv_buf_t loc;
                kv_buf_init(&loc, 16384);
                kv_buf_append_slice(&loc, in->base);
                kv_buf_append_str(&loc, "/");
                sigv4_uri_encode(&loc, in->key, false);
                kv_buf_append_str(&loc, "/");
                return redirect(req, out, 302, &loc);
            }
        }
        if (!listable(ctx, req, resp, in->bucket)) {
            err = API_E_S3_ACCESS_DENIED;
            msg = NULL;
        }
    }
    int status = api_err_status(err);
    const s3_web_rule_t *r = rule_for(w, in->key, status);
    if (r)
        return rule_redirect(req, in, out, r);
    api_err_t doc_err = API_E_NONE;
    if (w->has_error && status >= 400 && status < 500) {
        s3_object_out_t *o = kv_arena_calloc(req->arena, 1, sizeof(*o));
        doc_err = open_doc(ctx, req, resp, in, b, w->error_key, o);
        if (doc_err == API_E_NONE) {
            out->answer = S3_WEB_ERROR_DOC;
            out->obj = o;
            out->status = status;
            out->err = err;
            out->msg = msg;
            out->key = key;
            return 0;
        }
    }
    return web_error(req, out, err, msg, key, doc_err, w->error_key);
}

int s3_exec_website_get(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                        const s3_website_get_in_t *in, s3_website_get_out_t *out)
{
    api_state_t *st = req->_st;
    eng_bucket_t *b;
    int rc = eng_bucket_get(ctx->eng, in->bucket, req->arena, &b);
    if (rc == KV_ENOTFOUND)
        return web_error(req, out, API_E_S3_NO_SUCH_BUCKET, NULL, in->key, API_E_NONE,
                         KV_SLICE_NULL);
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    s3_website_t w;
    s3_web_err_t perr;
    if (b->docs[ENG_BDOC_WEBSITE].len == 0)
        return web_error(req, out, API_E_S3_NO_SUCH_WEBSITE, NULL, in->key, API_E_NONE,
                         KV_SLICE_NULL);
    if (s3_website_parse(req->arena, b->docs[ENG_BDOC_WEBSITE], &w, &perr) < 0)
        return s3_engine_fail(resp, KV_ECORRUPT);
    kv_buf_t loc;
    if (w.redirect_all) {
        kv_buf_init(&loc, 16384);
        site_location(req, in, &loc, w.all_protocol, w.all_host, in->key, false);
        return redirect(req, out, 301, &loc);
    }
    const s3_web_rule_t *r = rule_for(&w, in->key, 0);
    if (r)
        return rule_redirect(req, in, out, r);
    kv_slice_t key = in->key;
    if (key.len == 0 || key.p[key.len - 1] == '/')
        key = cat(req->arena, key, w.index);
    if (key.len > ENG_OBJ_KEY_MAX)
        return answer_error(ctx, req, resp, in, out, b, &w, key, API_E_S3_KEY_TOO_LONG, NULL);
    if (!readable(ctx, req, resp, in->bucket, key, true)) {
        /* Refused; but a key that is not there may still be a directory (answer_error). */
        eng_vref_t cur = {.kind = ENG_VREF_CURRENT};
        eng_object_t *o = NULL;
        int orc = eng_object_open(ctx->eng, b->id, key, &cur, req->arena, &o, NULL);
        bool absent = orc == KV_ENOTFOUND || (orc == 0 && o->delete_marker);
        return answer_error(ctx, req, resp, in, out, b, &w, key,
                            absent ? API_E_S3_NO_SUCH_KEY : API_E_S3_ACCESS_DENIED, NULL);
    }
    /* GetObject's own stages read it: Range, partNumber, conditions, a small body inline. */
    size_t n_hdrs = resp->n_hdrs;
    st->key_name = key;
    s3_object_in_t gin;
    s3_object_out_t *o = kv_arena_calloc(req->arena, 1, sizeof(*o));
    rc = s3_decode_get_object(ctx, req, resp, &gin);
    if (rc == 0)
        rc = in->head ? s3_exec_head_object(ctx, req, resp, &gin, o)
                      : s3_exec_get_object(ctx, req, resp, &gin, o);
    if (rc == 0 && o->o->website_redirect == NULL) {
        out->answer = S3_WEB_OBJECT;
        out->obj = o;
        return 0;
    }
    if (rc == 0) {
        /* x-amz-website-redirect-location: a 301 to it (a path stays on this site). */
        eng_object_close(o->reader);
        o->reader = NULL;
        unanswer(req, resp, n_hdrs);
        kv_slice_t to = kv_slice_str(o->o->website_redirect);
        kv_buf_init(&loc, 16384);
        if (to.p[0] == '/')
            kv_buf_append_slice(&loc, in->base);
        kv_buf_append_slice(&loc, to);
        return redirect(req, out, 301, &loc);
    }
    api_err_t err = (api_err_t)resp->_err;
    const char *msg = resp->_msg;
    unanswer(req, resp, n_hdrs);
    if (err == API_E_S3_INTERNAL || err == API_E_S3_SLOW_DOWN) {
        api_fail(resp, err, "%s", msg);
        return -1;
    }
    return answer_error(ctx, req, resp, in, out, b, &w, key, err, msg);
}

int s3_exec_website_refused(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            const s3_website_refused_in_t *in, s3_website_refused_out_t *out)
{
    (void)ctx, (void)req, (void)in, (void)out;
    api_fail(resp, API_E_S3_METHOD_NOT_ALLOWED, NULL);
    return -1;
}

/* ---- encoding ---- */

/* Can v go into a header as it is (a key may hold any byte once its path is decoded)? */
static bool header_safe(kv_slice_t v)
{
    for (size_t i = 0; i < v.len; i++)
        if (v.p[i] < 0x20 || v.p[i] == 0x7f)
            return false;
    return true;
}

static void error_headers(api_resp_t *resp, api_err_t err, const char *msg, kv_slice_t key)
{
    if (msg == NULL || !header_safe(kv_slice_str(msg)))
        msg = err_msg(err);
    api_resp_header(resp, "x-amz-error-code", kv_slice_str(api_err_code(err)));
    api_resp_header(resp, "x-amz-error-message", kv_slice_str(msg));
    if (err == API_E_S3_NO_SUCH_KEY && key.len && header_safe(key))
        api_resp_header(resp, "x-amz-error-detail-Key", key);
}

void s3_encode_website_get(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           const s3_website_get_out_t *out)
{
    switch (out->answer) {
    case S3_WEB_OBJECT:
    case S3_WEB_ERROR_DOC:
        if (kv_slice_eq_str(req->method, "HEAD"))
            s3_encode_head_object(ctx, req, resp, out->obj);
        else
            s3_encode_get_object(ctx, req, resp, out->obj);
        if (out->answer == S3_WEB_ERROR_DOC) {
            resp->status = out->status;
            error_headers(resp, out->err, out->msg, out->key);
        }
        return;
    case S3_WEB_REDIRECT:
        resp->status = out->status;
        api_resp_header(resp, "Location", out->location);
        return;
    case S3_WEB_ERROR:
        if (out->msg)
            api_fail(resp, out->err, "%s", out->msg);
        else
            api_fail(resp, out->err, NULL);
        req->_st->s3_extra = out->extra;
        req->_st->key_name = out->key;
        return;
    }
}

void s3_encode_website_refused(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_website_refused_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

/* The reason phrase of the page's title. */
static const char *reason(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 412:
        return "Precondition Failed";
    case 416:
        return "Requested Range Not Satisfiable";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

void s3_website_error_page(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    api_state_t *st = req->_st;
    kv_buf_t *b = &resp->body;
    kv_buf_reset(b);
    if (resp->status == 304)
        return; /* a conditional GET's answer has no body */
    api_err_t err = (api_err_t)resp->_err;
    const char *msg = resp->_msg ? resp->_msg : err_msg(err);
    kv_buf_printf(b, "<html>\n<head><title>%d %s</title></head>\n<body>\n<h1>%d %s</h1>\n<ul>\n",
                  resp->status, reason(resp->status), resp->status, reason(resp->status));
    item(b, "Code", kv_slice_str(api_err_code(err)));
    item(b, "Message", kv_slice_str(msg));
    /* The items this file prepared (through the closing </ul>), else the ids alone. */
    if (kv_slice_starts_with(st->s3_extra, "<li>")) {
        kv_buf_append_slice(b, st->s3_extra);
    } else {
        ids(b, st);
        kv_buf_append_str(b, "</ul>\n");
    }
    kv_buf_append_str(b, "<hr/>\n</body>\n</html>\n");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("text/html; charset=utf-8"));
    error_headers(resp, err, msg, st->key_name);
}
