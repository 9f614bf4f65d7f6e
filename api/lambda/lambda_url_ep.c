/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The function URL endpoint: a service of its own (lambda_url_service) that claims, before
 * every other protocol, requests whose Host is <url-id>.lambda-url.<region>.localhost[:port]
 * and requests under /lambda-url/<url-id>/ (the path form, for clients that cannot set a
 * Host). AuthType NONE is served unsigned (an Authorization header goes to the function);
 * AWS_IAM needs a SigV4 signature of service lambda. A browser's preflight is answered from
 * the URL's Cors settings without invoking the function. Every other request becomes a payload
 * format 2.0 event, invoked synchronously (the response is held as Invoke holds it), and the
 * function's result is mapped back to an HTTP response as Lambda maps it.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../codec/api_json_r.h"
#include "base/kv_b64.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "lambda_inv.h"
#include "lambda_url.h"

#define URL_BODY_MAX  6291456u    /* a synchronous invocation's request payload */
#define URL_EVENT_MAX (12u << 20) /* the event: a base64 body and the request's headers */
#define URL_PATH_FORM "/lambda-url/"
#define URL_HOST_MID  ".lambda-url."
#define URL_HOST_TLD  ".localhost"

enum { OP_INVOKE = 0, OP_INVOKE_IAM, OP_PREFLIGHT, OP_MISSING };

static const api_op_desc_t url_ops[] = {
    {.name = "InvokeFunctionUrl", .flags = API_OPF_UNSIGNED},
    {.name = "InvokeFunctionUrlIam", .flags = 0},
    {.name = "FunctionUrlPreflight", .flags = API_OPF_UNSIGNED},
    {.name = "FunctionUrlUnknown", .flags = API_OPF_UNSIGNED},
};

/* ---- claiming ---- */

static bool id_ok(kv_slice_t id)
{
    if (id.len != LAMBDA_URL_ID_LEN)
        return false;
    for (size_t i = 0; i < id.len; i++)
        if (!((id.p[i] >= 'a' && id.p[i] <= 'z') || (id.p[i] >= '0' && id.p[i] <= '9')))
            return false;
    return true;
}

/* The url-id and the function's raw path of a function URL request; false when the request is
 * not one. *by_host: named by its Host (else by the path form). */
static bool url_of(const api_req_t *req, kv_slice_t *id, kv_slice_t *path, bool *by_host)
{
    *by_host = true;
    kv_slice_t h = api_req_header(req, "host");
    /* <url-id>.lambda-url.<region>.localhost[:port] */
    size_t mid = sizeof(URL_HOST_MID) - 1, tld = sizeof(URL_HOST_TLD) - 1;
    if (h.len > LAMBDA_URL_ID_LEN + mid + tld &&
        kv_slice_eq_nocase(kv_slice(h.p + LAMBDA_URL_ID_LEN, mid), URL_HOST_MID)) {
        kv_slice_t rest = kv_slice(h.p + LAMBDA_URL_ID_LEN + mid, h.len - LAMBDA_URL_ID_LEN - mid);
        const uint8_t *colon = memchr(rest.p, ':', rest.len);
        size_t end = colon ? (size_t)(colon - rest.p) : rest.len;
        bool ok = end > tld && kv_slice_eq_nocase(kv_slice(rest.p + end - tld, tld), URL_HOST_TLD);
        for (size_t i = 0; ok && i < end - tld; i++) /* the region */
            ok = isalnum(rest.p[i]) || rest.p[i] == '-';
        for (size_t i = end + 1; ok && colon && i < rest.len; i++) /* the port */
            ok = rest.p[i] >= '0' && rest.p[i] <= '9';
        if (ok && id_ok(kv_slice(h.p, LAMBDA_URL_ID_LEN))) {
            *id = kv_slice(h.p, LAMBDA_URL_ID_LEN);
            *path = req->path.len ? req->path : KV_SLICE_LIT("/");
            return true;
        }
    }
    /* /lambda-url/<url-id>[/path] */
    *by_host = false;
    size_t pl = sizeof(URL_PATH_FORM) - 1;
    kv_slice_t p = req->path;
    if (p.len < pl + LAMBDA_URL_ID_LEN || !kv_slice_starts_with(p, URL_PATH_FORM) ||
        !id_ok(kv_slice(p.p + pl, LAMBDA_URL_ID_LEN)))
        return false;
    kv_slice_t rest = kv_slice(p.p + pl + LAMBDA_URL_ID_LEN, p.len - pl - LAMBDA_URL_ID_LEN);
    if (rest.len && rest.p[0] != '/')
        return false;
    *id = kv_slice(p.p + pl, LAMBDA_URL_ID_LEN);
    *path = rest.len ? rest : KV_SLICE_LIT("/");
    return true;
}

/* Any Host of a URL's shape is the endpoint's (an unknown url-id is its 403, never an S3
 * virtual host); the path form only names a URL that exists, so that a bucket named
 * "lambda-url" keeps its keys. */
static bool url_claim(api_ctx_t *ctx, const api_req_t *req)
{
    kv_slice_t id, path;
    bool by_host;
    if (!url_of(req, &id, &path, &by_host))
        return false;
    if (by_host)
        return true;
    kv_arena_t *a = kv_arena_new(1024);
    eng_fnurl_t *u;
    bool found = eng_fnurl_get(ctx->eng, id, a, &u) == 0;
    kv_arena_free(a);
    return found;
}

/* The request's URL configuration (NULL: none). */
static eng_fnurl_t *url_load(api_ctx_t *ctx, api_req_t *req, kv_slice_t *path)
{
    kv_slice_t id;
    bool by_host;
    eng_fnurl_t *u = NULL;
    if (!url_of(req, &id, path, &by_host) || eng_fnurl_get(ctx->eng, id, req->arena, &u) < 0)
        return NULL;
    return u;
}

static bool is_preflight(api_req_t *req, const eng_fnurl_t *u, lambda_cors_t *c)
{
    if (!kv_slice_eq_str(req->method, "OPTIONS"))
        return false;
    lambda_cors_read(req->arena, u->cors, c);
    return c->on && api_req_has_header(req, "origin") &&
           api_req_has_header(req, "access-control-request-method");
}

static int url_route(api_ctx_t *ctx, api_req_t *req)
{
    kv_slice_t path;
    eng_fnurl_t *u = url_load(ctx, req, &path);
    if (u == NULL)
        return OP_MISSING;
    lambda_cors_t c;
    if (is_preflight(req, u, &c))
        return OP_PREFLIGHT;
    return strcmp(u->auth_type, "AWS_IAM") == 0 ? OP_INVOKE_IAM : OP_INVOKE;
}

static uint64_t url_body_limit(const api_req_t *req)
{
    (void)req;
    return URL_BODY_MAX;
}

/* A body sent without a signature (AuthType NONE, anyone may send one) is held within the
 * unauthenticated-body budget, as bodies whose signature is not checked yet are: many large
 * anonymous bodies at once are throttled (429) instead of filling the memory. */
static int url_body_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    (void)resp;
    if (req->_st->anonymous)
        req->_st->payload = API_PAYLOAD_COMPUTE;
    return 0;
}

/* ---- responses ---- */

/* Lambda's own answer: {"Message": msg}. */
static void message(api_resp_t *resp, int status, const char *msg)
{
    kv_buf_reset(&resp->body);
    resp->status = status;
    kv_buf_printf(&resp->body, "{\"Message\":\"%s\"}", msg);
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
}

static void join_header(api_resp_t *resp, const char *name, const char **list, size_t n)
{
    if (n == 0)
        return;
    kv_buf_t b;
    kv_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < n; i++) {
        if (i)
            kv_buf_append(&b, ",", 1);
        kv_buf_append(&b, list[i], strlen(list[i]));
    }
    api_resp_header(resp, name, kv_buf_slice(&b));
    kv_buf_dispose(&b);
}

/* The Access-Control-Allow-Origin value for origin, or NULL when the settings allow it not. */
static const char *allowed_origin(api_req_t *req, const lambda_cors_t *c, kv_slice_t origin)
{
    for (size_t i = 0; c->on && origin.len && i < c->n_origins; i++) {
        if (strcmp(c->origins[i], "*") == 0)
            return c->credentials ? lambda_dup_str(req, origin) : "*";
        if (kv_slice_eq_nocase(origin, c->origins[i]))
            return lambda_dup_str(req, origin);
    }
    return NULL;
}

/* The CORS headers of a response to a request from origin (none when it is not allowed). */
static void cors_headers(api_req_t *req, api_resp_t *resp, const lambda_cors_t *c,
                         kv_slice_t origin, bool preflight)
{
    const char *allow = allowed_origin(req, c, origin);
    if (allow == NULL)
        return;
    api_resp_header(resp, "Access-Control-Allow-Origin", kv_slice_str(allow));
    if (c->credentials)
        api_resp_header(resp, "Access-Control-Allow-Credentials", KV_SLICE_LIT("true"));
    if (preflight) {
        join_header(resp, "Access-Control-Allow-Methods", c->methods, c->n_methods);
        join_header(resp, "Access-Control-Allow-Headers", c->headers, c->n_headers);
        if (c->max_age >= 0)
            api_resp_headerf(resp, "Access-Control-Max-Age", "%lld", (long long)c->max_age);
    } else {
        join_header(resp, "Access-Control-Expose-Headers", c->expose, c->n_expose);
    }
    api_resp_header(resp, "Vary", KV_SLICE_LIT("Origin"));
}

/* ---- the event ---- */

static bool utf8_ok(kv_slice_t s)
{
    for (size_t i = 0; i < s.len;) {
        uint8_t c = s.p[i];
        size_t n = c < 0x80                ? 0
                   : c >= 0xc2 && c < 0xe0 ? 1
                   : c >= 0xe0 && c < 0xf0 ? 2
                   : c >= 0xf0 && c < 0xf5 ? 3
                                           : 9;
        if (n == 9 || i + n >= s.len + (n == 0))
            return false;
        for (size_t k = 1; k <= n; k++)
            if ((s.p[i + k] & 0xc0) != 0x80)
                return false;
        i += n + 1;
    }
    return true;
}

/* Text bodies travel as strings, the rest in base64 (as Lambda decides from Content-Type). */
static bool text_type(kv_slice_t ct)
{
    static const char *const text[] = {"text/", "application/json", "application/javascript",
                                       "application/xml", "application/ld+json"};
    for (size_t i = 0; i < sizeof(text) / sizeof(*text); i++)
        if (ct.len >= strlen(text[i]) &&
            kv_slice_eq_nocase(kv_slice(ct.p, strlen(text[i])), text[i]))
            return true;
    const uint8_t *semi = memchr(ct.p, ';', ct.len);
    kv_slice_t base = kv_slice(ct.p, semi ? (size_t)(semi - ct.p) : ct.len);
    while (base.len && base.p[base.len - 1] == ' ')
        base.len--;
    return (base.len > 5 && kv_slice_eq_nocase(kv_slice(base.p + base.len - 5, 5), "+json")) ||
           (base.len > 4 && kv_slice_eq_nocase(kv_slice(base.p + base.len - 4, 4), "+xml"));
}

static kv_slice_t lower(api_req_t *req, kv_slice_t s)
{
    kv_slice_t d = kv_arena_dup(req->arena, s);
    for (size_t i = 0; i < d.len; i++)
        ((uint8_t *)(uintptr_t)d.p)[i] = (uint8_t)tolower(d.p[i]);
    return d;
}

static bool same_name(kv_slice_t a, kv_slice_t b)
{
    return a.len == b.len && strncasecmp((const char *)a.p, (const char *)b.p, a.len) == 0;
}

/* "headers": lower-case names, repeated ones joined by commas; the cookies go to "cookies". */
static void event_headers(api_req_t *req, api_jw_t *w, const char *source_ip, int port)
{
    api_jw_key(w, "headers");
    api_jw_obj_begin(w);
    bool fwd_for = false, fwd_proto = false, fwd_port = false;
    for (size_t i = 0; i < req->n_hdrs; i++) {
        kv_slice_t n = req->hdrs[i].name;
        bool seen = kv_slice_eq_nocase(n, "cookie");
        for (size_t j = 0; !seen && j < i; j++)
            seen = same_name(n, req->hdrs[j].name);
        if (seen)
            continue;
        fwd_for |= kv_slice_eq_nocase(n, "x-forwarded-for");
        fwd_proto |= kv_slice_eq_nocase(n, "x-forwarded-proto");
        fwd_port |= kv_slice_eq_nocase(n, "x-forwarded-port");
        kv_buf_t v;
        kv_buf_init(&v, URL_EVENT_MAX);
        for (size_t j = i; j < req->n_hdrs; j++) {
            if (!same_name(n, req->hdrs[j].name))
                continue;
            if (v.len)
                kv_buf_append(&v, ",", 1);
            kv_buf_append_slice(&v, req->hdrs[j].value);
        }
        api_jw_key_slice(w, lower(req, n));
        api_jw_str(w, kv_buf_slice(&v));
        kv_buf_dispose(&v);
    }
    if (!fwd_for)
        api_jw_kstr(w, "x-forwarded-for", source_ip);
    if (!fwd_proto)
        api_jw_kstr(w, "x-forwarded-proto", req->tls ? "https" : "http");
    if (!fwd_port) {
        char p[16];
        snprintf(p, sizeof(p), "%d", port);
        api_jw_kstr(w, "x-forwarded-port", p);
    }
    api_jw_obj_end(w);
}

static void event_cookies(api_req_t *req, api_jw_t *w)
{
    bool any = false;
    for (size_t i = 0; i < req->n_hdrs; i++) {
        if (!kv_slice_eq_nocase(req->hdrs[i].name, "cookie"))
            continue;
        kv_slice_t v = req->hdrs[i].value;
        size_t at = 0;
        while (at < v.len) {
            const uint8_t *semi = memchr(v.p + at, ';', v.len - at);
            size_t end = semi ? (size_t)(semi - v.p) : v.len;
            kv_slice_t c = kv_slice(v.p + at, end - at);
            while (c.len && c.p[0] == ' ')
                c = kv_slice(c.p + 1, c.len - 1);
            while (c.len && c.p[c.len - 1] == ' ')
                c.len--;
            if (c.len) {
                if (!any) {
                    api_jw_key(w, "cookies");
                    api_jw_arr_begin(w);
                    any = true;
                }
                api_jw_str(w, c);
            }
            at = end + 1;
        }
    }
    if (any)
        api_jw_arr_end(w);
}

/* "queryStringParameters": decoded, repeated keys' values joined by commas. */
static void event_query(api_req_t *req, api_jw_t *w)
{
    if (req->query.len == 0)
        return;
    size_t n = 0, cap = 0;
    kv_slice_t q = req->query, k, raw;
    while (sigv4_query_next(&q, &k, &raw, NULL))
        cap++;
    kv_slice_t *keys = kv_arena_calloc(req->arena, cap + 1, sizeof(*keys));
    kv_slice_t *vals = kv_arena_calloc(req->arena, cap + 1, sizeof(*vals));
    q = req->query;
    while (n < cap && sigv4_query_next(&q, &k, &raw, NULL)) {
        if (!api_form_decode(req->arena, k, &keys[n]))
            keys[n] = k;
        if (!api_form_decode(req->arena, raw, &vals[n]))
            vals[n] = raw;
        n++;
    }
    api_jw_key(w, "queryStringParameters");
    api_jw_obj_begin(w);
    for (size_t i = 0; i < n; i++) {
        bool earlier = keys[i].len == 0;
        for (size_t j = 0; !earlier && j < i; j++)
            earlier = kv_slice_eq(keys[j], keys[i]);
        if (earlier)
            continue;
        kv_buf_t v;
        kv_buf_init(&v, URL_EVENT_MAX);
        kv_buf_append_slice(&v, vals[i]);
        for (size_t j = i + 1; j < n; j++) {
            if (!kv_slice_eq(keys[j], keys[i]))
                continue;
            kv_buf_append(&v, ",", 1);
            kv_buf_append_slice(&v, vals[j]);
        }
        api_jw_key_slice(w, keys[i]);
        api_jw_str(w, kv_buf_slice(&v));
        kv_buf_dispose(&v);
    }
    api_jw_obj_end(w);
}

/* The payload format 2.0 event of the request. */
static void build_event(api_ctx_t *ctx, api_req_t *req, const eng_fnurl_t *u, kv_slice_t path,
                        bool iam, kv_buf_t *out)
{
    api_state_t *st = req->_st;
    char domain[128], source_ip[64], when[40];
    snprintf(domain, sizeof(domain), "%s.lambda-url.%s.localhost", u->url_id, ctx->region);
    /* the peer is "address:port" */
    kv_slice_t peer = req->peer;
    const uint8_t *colon = peer.len ? memrchr(peer.p, ':', peer.len) : NULL;
    snprintf(source_ip, sizeof(source_ip), "%.*s",
             (int)(colon ? (size_t)(colon - peer.p) : peer.len), (const char *)peer.p);
    int64_t now = kv_now_ms();
    time_t t = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
    kv_slice_t decoded = path; /* '+' stays itself in a path */
    kv_buf_t dp;
    kv_buf_init(&dp, path.len + 1);
    if (sigv4_uri_decode(&dp, path))
        decoded = kv_arena_dup(req->arena, kv_buf_slice(&dp));
    kv_buf_dispose(&dp);

    api_jw_t w;
    api_jw_init(&w, out);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "version", "2.0");
    api_jw_kstr(&w, "routeKey", "$default");
    api_jw_key(&w, "rawPath");
    api_jw_str(&w, path);
    api_jw_key(&w, "rawQueryString");
    api_jw_str(&w, req->query);
    event_cookies(req, &w);
    event_headers(req, &w, source_ip, api_port(ctx, NULL));
    event_query(req, &w);
    api_jw_key(&w, "requestContext");
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "accountId", iam ? API_ACCOUNT_ID : "anonymous");
    api_jw_kstr(&w, "apiId", u->url_id);
    if (iam) {
        api_jw_key(&w, "authorizer");
        api_jw_obj_begin(&w);
        api_jw_key(&w, "iam");
        api_jw_obj_begin(&w);
        api_jw_key(&w, "accessKey");
        api_jw_str(&w, st->auth.access_key);
        api_jw_kstr(&w, "accountId", API_ACCOUNT_ID);
        api_jw_kstr(&w, "callerId", API_ACCOUNT_ID);
        api_jw_key(&w, "cognitoIdentity");
        api_jw_null(&w);
        api_jw_key(&w, "principalOrgId");
        api_jw_null(&w);
        api_jw_kstr(&w, "userArn", "arn:aws:iam::" API_ACCOUNT_ID ":root");
        api_jw_kstr(&w, "userId", API_ACCOUNT_ID);
        api_jw_obj_end(&w);
        api_jw_obj_end(&w);
    }
    api_jw_kstr(&w, "domainName", domain);
    api_jw_kstr(&w, "domainPrefix", u->url_id);
    api_jw_key(&w, "http");
    api_jw_obj_begin(&w);
    api_jw_key(&w, "method");
    api_jw_str(&w, req->method);
    api_jw_key(&w, "path");
    api_jw_str(&w, decoded);
    api_jw_kstr(&w, "protocol", "HTTP/1.1");
    api_jw_kstr(&w, "sourceIp", source_ip);
    api_jw_key(&w, "userAgent");
    api_jw_str(&w, api_req_header(req, "user-agent"));
    api_jw_obj_end(&w);
    api_jw_kstr(&w, "requestId", st->request_id);
    api_jw_kstr(&w, "routeKey", "$default");
    api_jw_kstr(&w, "stage", "$default");
    api_jw_kstr(&w, "time", when);
    api_jw_key(&w, "timeEpoch");
    api_jw_i64(&w, now);
    api_jw_obj_end(&w);
    kv_slice_t body = kv_buf_slice(&st->body);
    bool b64 = false;
    if (body.len) {
        b64 = !text_type(api_req_header(req, "content-type")) || !utf8_ok(body);
        api_jw_key(&w, "body");
        if (b64) {
            kv_buf_t e;
            kv_buf_init(&e, URL_EVENT_MAX);
            kv_b64_encode(&e, body.p, body.len);
            api_jw_str(&w, kv_buf_slice(&e));
            kv_buf_dispose(&e);
        } else {
            api_jw_str(&w, body);
        }
    }
    api_jw_key(&w, "pathParameters");
    api_jw_null(&w);
    api_jw_kbool(&w, "isBase64Encoded", b64);
    api_jw_key(&w, "stageVariables");
    api_jw_null(&w);
    api_jw_obj_end(&w);
}

/* ---- the invocation ---- */

/* A URL request's invocation: in the request's arena; what the runner reads in a. */
typedef struct url_pending {
    lambda_handoff_t hand; /* first: lambda_hold finds it at resp->_pending */
    api_invocation_t inv;
    kv_arena_t *a;
    api_ctx_t *ctx;
    api_req_t *req;
    api_resp_t *resp;
    lambda_cors_t cors;
    kv_slice_t origin;
} url_pending_t;

static bool token_ok(kv_slice_t s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] <= 0x20 || s.p[i] >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", s.p[i]))
            return false;
    return true;
}

static bool value_ok(kv_slice_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if ((s.p[i] < 0x20 && s.p[i] != '\t') || s.p[i] == 0x7f)
            return false;
    return true;
}

/* Headers the server writes itself, or that Lambda's CORS settings own. */
static bool dropped_header(kv_slice_t n, bool cors)
{
    static const char *const own[] = {"content-length", "transfer-encoding", "connection",
                                      "keep-alive",     "upgrade",           "date"};
    for (size_t i = 0; i < sizeof(own) / sizeof(*own); i++)
        if (kv_slice_eq_nocase(n, own[i]))
            return true;
    return cors && n.len > 15 && kv_slice_eq_nocase(kv_slice(n.p, 15), "access-control-");
}

/* The HTTP response of a function's result, as Lambda maps payload format 2.0. @return false
 * when the result cannot be mapped (a 502). */
static bool map_result(url_pending_t *p)
{
    api_req_t *req = p->req;
    api_resp_t *resp = p->resp;
    kv_slice_t result = kv_buf_slice(&p->inv.result);
    api_json_t *root = NULL;
    const char *err;
    bool json = api_json_parse(req->arena, result, &root, &err) == 0;
    const api_json_t *sc =
        json && api_json_type(root) == API_J_OBJ ? api_json_get(root, "statusCode") : NULL;
    if (sc == NULL) {
        /* Any other value: 200, application/json, the value itself as the body. */
        resp->status = 200;
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
        kv_buf_append_slice(&resp->body, result);
        return !kv_buf_failed(&resp->body);
    }
    int64_t status;
    /* a 1xx status would break the response's framing: answered 502 */
    if (!api_json_int(sc, &status) || status < 200 || status > 599)
        return false;
    resp->status = (int)status;
    bool typed = false;
    const api_json_t *h = api_json_get(root, "headers");
    if (h && api_json_type(h) == API_J_OBJ) {
        void *it = NULL;
        const char *k;
        api_json_t *v;
        while (api_json_next(h, &it, &k, &v)) {
            kv_slice_t name = kv_slice_str(k), val;
            char num[64];
            int64_t iv;
            double dv;
            if (api_json_type(v) == API_J_STR) {
                val = api_json_str(v);
            } else if (api_json_type(v) == API_J_INT && api_json_int(v, &iv)) {
                snprintf(num, sizeof(num), "%lld", (long long)iv);
                val = kv_slice_str(num);
            } else if (api_json_type(v) == API_J_REAL && api_json_num(v, &dv)) {
                snprintf(num, sizeof(num), "%g", dv);
                val = kv_slice_str(num);
            } else if (api_json_type(v) == API_J_BOOL) {
                val = kv_slice_str(api_json_bool(v) ? "true" : "false");
            } else {
                continue;
            }
            if (!token_ok(name) || !value_ok(val) || dropped_header(name, p->cors.on))
                continue;
            typed = typed || kv_slice_eq_nocase(name, "content-type");
            /* the name must outlive the document: copy it into the request's arena */
            api_resp_header(resp, lambda_dup_str(req, name), val);
        }
    }
    if (!typed)
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
    const api_json_t *cookies = api_json_get(root, "cookies");
    for (size_t i = 0; cookies && api_json_type(cookies) == API_J_ARR && i < api_json_len(cookies);
         i++) {
        const api_json_t *c = api_json_at(cookies, i);
        if (api_json_type(c) == API_J_STR && value_ok(api_json_str(c)))
            api_resp_header(resp, "Set-Cookie", api_json_str(c));
    }
    const api_json_t *body = api_json_get(root, "body");
    const api_json_t *b64 = api_json_get(root, "isBase64Encoded");
    if (status == 204 || status == 304)
        body = NULL; /* responses that have none */
    if (body && api_json_type(body) == API_J_STR) {
        if (b64 && api_json_bool(b64)) {
            if (!kv_b64_decode(&resp->body, api_json_str(body)))
                return false;
        } else {
            kv_buf_append_slice(&resp->body, api_json_str(body));
        }
    }
    return !kv_buf_failed(&resp->body);
}

/* A finished invocation (on the runner's thread): the response, then its connection. */
static void on_invoked(api_invocation_t *inv)
{
    url_pending_t *p = inv->done_arg;
    api_resp_t *resp = p->resp;
    if (inv->outcome == API_INV_FAILED) {
        message(resp, 500, "Internal Server Error");
    } else if (inv->outcome == API_INV_FN_ERROR || !map_result(p)) {
        /* a function error, a timeout or a result that maps to no response */
        kv_buf_reset(&resp->body);
        resp->n_hdrs = 0;
        resp->status = 502;
        kv_buf_append(&resp->body, "Internal Server Error", 21);
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
    }
    cors_headers(p->req, resp, &p->cors, p->origin, false);
    api__finish(p->ctx, p->req, resp);
    lambda_handoff_done(&p->hand, inv, p->a);
}

static void url_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    int op = req->_st->op;
    kv_slice_t path;
    eng_fnurl_t *u = op == OP_MISSING ? NULL : url_load(ctx, req, &path);
    if (u == NULL) {
        message(resp, 403, "Forbidden");
        return;
    }
    bool iam = strcmp(u->auth_type, "AWS_IAM") == 0;
    /* A URL's AuthType may have changed since the request was routed. */
    bool refused = op == OP_INVOKE_IAM ? !iam : op == OP_INVOKE ? iam : false;
    /* lambda:InvokeFunctionUrl, first (issue 15): the signer's policies or the function policy
     * (AWS_IAM); the function policy allowing everyone (NONE). */
    if (op != OP_PREFLIGHT &&
        (lambda_url_authz(ctx, req, resp, u->function, u->qualifier, op == OP_INVOKE_IAM) < 0 ||
         refused || (op == OP_INVOKE_IAM && !kv_slice_eq_str(req->_st->auth.service, "lambda")))) {
        message(resp, 403, "Forbidden");
        return;
    }
    lambda_cors_t cors;
    lambda_cors_read(req->arena, u->cors, &cors);
    kv_slice_t origin = api_req_header(req, "origin");
    if (op == OP_PREFLIGHT) {
        resp->status = 200;
        cors_headers(req, resp, &cors, origin, true);
        return;
    }
    /* The URL's qualifier ($LATEST or an alias, whose weights pick a version per request). */
    eng_function_t *f;
    bool qualified = strcmp(u->qualifier, "$LATEST") != 0;
    int rc = lambda_qual_pick(ctx, req->arena, kv_slice_str(u->function),
                              kv_slice_str(qualified ? u->qualifier : ""), &f);
    if (rc < 0) {
        message(resp, rc == KV_ENOTFOUND ? 403 : 500,
                rc == KV_ENOTFOUND ? "Forbidden" : "Internal Server Error");
        return;
    }
    if (f->reserved == 0 || ctx->invoke == NULL) {
        message(resp, f->reserved == 0 ? 429 : 500,
                f->reserved == 0 ? "Rate Exceeded." : "Internal Server Error");
        return;
    }
    kv_buf_t ev;
    kv_buf_init(&ev, URL_EVENT_MAX);
    build_event(ctx, req, u, path, iam, &ev);
    if (kv_buf_failed(&ev)) {
        kv_buf_dispose(&ev);
        message(resp, 413,
                "Request must be smaller than 6291456 bytes for the InvokeFunction "
                "operation");
        return;
    }
    url_pending_t *p = kv_arena_calloc(req->arena, 1, sizeof(*p));
    p->a = kv_arena_new(ev.len + 16384);
    p->ctx = ctx;
    p->req = req;
    p->resp = resp;
    p->cors = cors;
    p->origin = origin;
    lambda_handoff_init(&p->hand);
    lambda_inv_fill(ctx, f, kv_buf_slice(&ev), req->_st->request_id, p->a, &p->inv);
    if (qualified)
        p->inv.invoked_arn =
            api_arn_new(p->a, "lambda", ctx->region, "function:%s:%s", u->function, u->qualifier);
    kv_buf_dispose(&ev);
    p->inv.done = on_invoked;
    p->inv.done_arg = p;
    resp->_pending = p;
    if (ctx->invoke(ctx->runner, &p->inv) < 0) {
        resp->_pending = NULL;
        kv_buf_dispose(&p->inv.result);
        kv_buf_dispose(&p->inv.log);
        kv_arena_free(p->a);
        message(resp, 500, "Internal Server Error");
    }
}

/* Errors the request path recorded (authentication, size, load) in Lambda's URL shape. */
static void url_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    if (resp->_err) {
        int st = resp->status; /* the error stays recorded: a refusal, not an answer (issue 15) */
        if (st == 413)
            message(resp, 413,
                    "Request must be smaller than 6291456 bytes for the InvokeFunction operation");
        else if (st == 429 || st == 503)
            message(resp, 429, "Rate Exceeded.");
        else if (st >= 500)
            message(resp, 500, "Internal Server Error");
        else
            message(resp, 403, "Forbidden");
    }
    api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(req->_st->request_id));
}

const api_service_t lambda_url_service = {
    .name = "lambda-url",
    .ops = url_ops,
    .n_ops = sizeof(url_ops) / sizeof(url_ops[0]),
    .route = url_route,
    .body_limit = url_body_limit,
    .body_begin = url_body_begin,
    .dispatch = url_dispatch,
    .hold = lambda_hold,
    .finish = url_finish,
    .ids = API_IDS_UUID,
    .err_internal = API_E_LAMBDA_SERVICE,
    .err_throttle = API_E_LAMBDA_TOO_MANY,
    .iam_prefix = "lambda",
    .err_denied = API_E_LAMBDA_ACCESS_DENIED,
    .err_too_large = API_E_LAMBDA_TOO_LARGE,
    .err_stream_large = API_E_LAMBDA_TOO_LARGE,
    .claim = url_claim,
};
