/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Function URL configurations: Create/Get/Update/Delete/ListFunctionUrlConfigs under
 * /2021-10-31/functions/<name>/url(s), with AuthType, Cors and InvokeMode checked as Lambda
 * checks them. A URL is stored by its url-id (eng_fnurl_*), which is derived from the region,
 * the function and the qualifier, so that a function's URL stays the same across restarts and
 * re-creations. The URL names the server's own port: http://<url-id>.lambda-url.<region>.
 * localhost:<port>/.
 */
#include <stdio.h>
#include <string.h>

#include "../auth/api_cksum.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "lambda_url.h"

#define URL_LIST_MAX  50 /* ListFunctionUrlConfigs' MaxItems */
#define CORS_LIST_MAX 100
#define CORS_HDR_MAX  1024
#define CORS_ORIG_MAX 253
#define CORS_AGE_MAX  86400

void lambda_url_id(api_ctx_t *ctx, const char *fn, const char *qual, char *out)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    api_ck_t ck;
    api_ck_init(&ck, API_CK_SHA256);
    api_ck_update(&ck, ctx->region, strlen(ctx->region) + 1);
    api_ck_update(&ck, fn, strlen(fn) + 1);
    api_ck_update(&ck, qual, strlen(qual));
    uint8_t d[API_CK_MAX];
    api_ck_final(&ck, d);
    api_ck_dispose(&ck);
    for (int i = 0; i < LAMBDA_URL_ID_LEN; i++)
        out[i] = alnum[d[i] % 36];
    out[LAMBDA_URL_ID_LEN] = 0;
}

/* ---- Cors ---- */

static const char **str_list(kv_arena_t *a, const api_json_t *v, size_t *n)
{
    *n = v && api_json_type(v) == API_J_ARR ? api_json_len(v) : 0;
    const char **out = kv_arena_calloc(a, *n + 1, sizeof(*out));
    for (size_t i = 0; i < *n; i++) {
        kv_slice_t s = api_json_str(api_json_at(v, i));
        out[i] = kv_arena_strndup(a, s.p, s.len);
    }
    return out;
}

void lambda_cors_read(kv_arena_t *a, const char *doc, lambda_cors_t *c)
{
    memset(c, 0, sizeof(*c));
    c->max_age = -1;
    api_json_t *root;
    const char *err;
    if (doc == NULL || api_json_parse(a, kv_slice_str(doc), &root, &err) < 0 ||
        api_json_type(root) != API_J_OBJ)
        return;
    c->on = true;
    const api_json_t *v = api_json_get(root, "AllowCredentials");
    c->credentials = v && api_json_bool(v);
    c->headers = str_list(a, api_json_get(root, "AllowHeaders"), &c->n_headers);
    c->methods = str_list(a, api_json_get(root, "AllowMethods"), &c->n_methods);
    c->origins = str_list(a, api_json_get(root, "AllowOrigins"), &c->n_origins);
    c->expose = str_list(a, api_json_get(root, "ExposeHeaders"), &c->n_expose);
    int64_t age;
    if ((v = api_json_get(root, "MaxAge")) != NULL && api_json_int(v, &age))
        c->max_age = age;
}

/* A list member of Cors: at most max strings of lo..hi bytes without control characters,
 * written to w under key. */
static int cors_list(api_resp_t *resp, const api_json_t *cors, const char *key, const char *member,
                     size_t max, size_t lo, size_t hi, bool methods, api_jw_t *w)
{
    const api_json_t *v = api_json_get(cors, key);
    if (v == NULL || api_json_type(v) == API_J_NULL)
        return 0;
    if (api_json_type(v) != API_J_ARR)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value at 'cors.%s' failed to satisfy "
                          "constraint: Member must be a list",
                          member);
    size_t n = api_json_len(v);
    if (n > max)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value at 'cors.%s' failed to satisfy "
                          "constraint: Member must have length less than or equal to %zu",
                          member, max);
    api_jw_key(w, key);
    api_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = api_json_at(v, i);
        kv_slice_t s = api_json_str(e);
        bool ok = api_json_type(e) == API_J_STR && s.len >= lo && s.len <= hi;
        for (size_t j = 0; ok && j < s.len; j++)
            ok = s.p[j] >= 0x20 && s.p[j] != 0x7f;
        if (!ok)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value at 'cors.%s' failed to satisfy "
                              "constraint: Member must satisfy constraint: [Member must have "
                              "length less than or equal to %zu, Member must have length greater "
                              "than or equal to %zu, Member must satisfy regular expression "
                              "pattern: .*]",
                              member, hi, lo);
        if (methods) {
            static const char *const known[] = {"GET",   "PUT",    "HEAD", "POST",
                                                "PATCH", "DELETE", "*"};
            bool found = false;
            for (size_t k = 0; !found && k < sizeof(known) / sizeof(*known); k++)
                found = kv_slice_eq_nocase(s, known[k]);
            if (!found)
                return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                                  "Invalid CORS AllowMethods value: %.*s. Allowed values are GET, "
                                  "PUT, HEAD, POST, PATCH, DELETE and *.",
                                  (int)s.len, (const char *)s.p);
        }
        api_jw_str(w, s);
    }
    api_jw_arr_end(w);
    return 0;
}

/* Check a Cors object and write its canonical JSON into out. */
static int cors_check(api_resp_t *resp, const api_json_t *cors, kv_buf_t *out)
{
    if (api_json_type(cors) != API_J_OBJ)
        return api_refuse(resp, API_E_LAMBDA_INVALID_REQUEST,
                          "Could not parse request body into json: Cors must be an object");
    api_jw_t w;
    api_jw_init(&w, out);
    api_jw_obj_begin(&w);
    const api_json_t *v = api_json_get(cors, "AllowCredentials");
    if (v && api_json_type(v) != API_J_NULL) {
        if (api_json_type(v) != API_J_BOOL)
            return api_refuse(resp, API_E_LAMBDA_INVALID_REQUEST,
                              "Could not parse request body into json: AllowCredentials must be "
                              "a boolean");
        api_jw_kbool(&w, "AllowCredentials", api_json_bool(v));
    }
    if (cors_list(resp, cors, "AllowHeaders", "allowHeaders", CORS_LIST_MAX, 0, CORS_HDR_MAX, false,
                  &w) < 0 ||
        cors_list(resp, cors, "AllowMethods", "allowMethods", 6, 0, 6, true, &w) < 0 ||
        cors_list(resp, cors, "AllowOrigins", "allowOrigins", CORS_LIST_MAX, 1, CORS_ORIG_MAX,
                  false, &w) < 0 ||
        cors_list(resp, cors, "ExposeHeaders", "exposeHeaders", CORS_LIST_MAX, 0, CORS_HDR_MAX,
                  false, &w) < 0)
        return -1;
    int64_t age = 0;
    v = api_json_get(cors, "MaxAge");
    if (v && api_json_type(v) != API_J_NULL) {
        if (lambda_int_in(resp, cors, "MaxAge", "cors.maxAge", 0, CORS_AGE_MAX, &age) < 0)
            return -1;
        api_jw_ku64(&w, "MaxAge", (uint64_t)age);
    }
    api_jw_obj_end(&w);
    return 0;
}

/* ---- the operations ---- */

/* The Qualifier query parameter: none (or $LATEST) is the unqualified URL; an alias name is
 * checked against the pattern Lambda applies (a version number is refused by it, as on
 * Lambda), then must name an alias of the function. */
static int qualifier(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *fn,
                     const char **out)
{
    kv_slice_t q;
    *out = "$LATEST";
    if (!api_req_query(req, "Qualifier", &q) || kv_slice_eq_str(q, "$LATEST"))
        return 0;
    bool ok = q.len >= 1 && q.len <= 128, digits = true;
    for (size_t i = 0; ok && i < q.len; i++) {
        uint8_t c = q.p[i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             c == '-' || c == '_';
        digits = digits && c >= '0' && c <= '9';
    }
    if (!ok || digits)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value '%.*s' at 'qualifier' failed to "
                          "satisfy constraint: Member must satisfy regular expression pattern: "
                          "((?!^\\d+$)^[0-9a-zA-Z-_]+$)",
                          (int)(q.len > 128 ? 128 : q.len), (const char *)q.p);
    eng_alias_t *al;
    int rc = eng_alias_get(ctx->eng, kv_slice_str(fn), q, req->arena, &al);
    if (rc == 0) {
        *out = al->name;
        return 0;
    }
    if (rc != KV_ENOTFOUND)
        return lambda_engine_fail(resp, rc);
    char arn[400];
    api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%s:%.*s", fn, (int)q.len,
                  (const char *)q.p);
    return api_refuse(resp, API_E_LAMBDA_NOT_FOUND, "Function not found: %s", arn);
}

static void write_config(api_ctx_t *ctx, const eng_fnurl_t *u, bool modified, api_jw_t *w)
{
    char url[200], arn[400], when[25];
    bool tls;
    int port = api_port(ctx, &tls);
    snprintf(url, sizeof(url), "%s://%s.lambda-url.%s.localhost:%d/", tls ? "https" : "http",
             u->url_id, ctx->region, port);
    if (strcmp(u->qualifier, "$LATEST") == 0)
        api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%s", u->function);
    else
        api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%s:%s", u->function,
                      u->qualifier);
    api_jw_obj_begin(w);
    api_jw_kstr(w, "FunctionUrl", url);
    api_jw_kstr(w, "FunctionArn", arn);
    api_jw_kstr(w, "AuthType", u->auth_type);
    if (u->cors) {
        api_jw_key(w, "Cors");
        api_jw_raw(w, kv_slice_str(u->cors));
    }
    kv_time_fmt_iso(u->created_ms, when);
    api_jw_kstr(w, "CreationTime", when);
    if (modified) {
        kv_time_fmt_iso(u->modified_ms, when);
        api_jw_kstr(w, "LastModifiedTime", when);
    }
    api_jw_kstr(w, "InvokeMode", u->invoke_mode);
    api_jw_obj_end(w);
}

/* An enum member of the body (absent: NULL). @return -1 refused */
static int enum_in(api_resp_t *resp, const api_json_t *in, const char *key, const char *member,
                   const char *a, const char *b, const char **out)
{
    const api_json_t *v = api_json_get(in, key);
    *out = NULL;
    if (v == NULL || api_json_type(v) == API_J_NULL)
        return 0;
    kv_slice_t s = api_json_str(v);
    if (kv_slice_eq_str(s, a))
        *out = a;
    else if (kv_slice_eq_str(s, b))
        *out = b;
    else
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value '%.*s' at '%s' failed to satisfy "
                          "constraint: Member must satisfy enum value set: [%s, %s]",
                          (int)(s.len > 64 ? 64 : s.len), (const char *)s.p, member, a, b);
    return 0;
}

static int url_not_found(api_resp_t *resp)
{
    return api_refuse(resp, API_E_LAMBDA_NOT_FOUND, "The resource you requested does not exist.");
}

/* Create or update: the body's settings over u's. */
static int url_put(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, eng_fnurl_t *u, bool create,
                   api_jw_t *w)
{
    const api_json_t *in = lambda_body_json(req, resp);
    if (in == NULL)
        return -1;
    const char *auth, *mode;
    if (enum_in(resp, in, "AuthType", "authType", "NONE", "AWS_IAM", &auth) < 0 ||
        enum_in(resp, in, "InvokeMode", "invokeMode", "BUFFERED", "RESPONSE_STREAM", &mode) < 0)
        return -1;
    if (create && auth == NULL)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value null at 'authType' failed to "
                          "satisfy constraint: Member must not be null");
    const api_json_t *cors = api_json_get(in, "Cors");
    if (cors && api_json_type(cors) != API_J_NULL) {
        kv_buf_t b;
        kv_buf_init(&b, 1 << 20);
        int rc = cors_check(resp, cors, &b);
        if (rc == 0)
            u->cors = kv_arena_strndup(req->arena, b.p, b.len);
        kv_buf_dispose(&b);
        if (rc < 0)
            return -1;
    }
    if (auth)
        u->auth_type = auth;
    if (mode)
        u->invoke_mode = mode;
    u->modified_ms = kv_now_ms();
    if (create)
        u->created_ms = u->modified_ms;
    int rc = eng_fnurl_put(ctx->eng, u, create ? ENG_FN_CREATE : ENG_FN_UPDATE);
    if (rc == KV_EEXIST) {
        char arn[400];
        api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%s", u->function);
        return api_refuse(resp, API_E_LAMBDA_CONFLICT,
                          "Failed to create function url config for [functionArn = %s]. Error "
                          "message:  FunctionUrlConfig exists for this Lambda function",
                          arn);
    }
    if (rc == KV_ENOTFOUND)
        return url_not_found(resp);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    lambda_respond_json(resp, create ? 201 : 200);
    write_config(ctx, u, !create, w);
    return 0;
}

static int url_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *fn, api_jw_t *w)
{
    size_t limit = URL_LIST_MAX;
    kv_slice_t max, marker = KV_SLICE_NULL;
    if (api_req_query(req, "MaxItems", &max)) {
        long v = 0;
        bool ok = max.len > 0 && max.len < 4;
        for (size_t i = 0; ok && i < max.len; i++) {
            ok = max.p[i] >= '0' && max.p[i] <= '9';
            v = v * 10 + (max.p[i] - '0');
        }
        if (!ok || v < 1 || v > URL_LIST_MAX)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value at 'maxItems' failed to satisfy "
                              "constraint: Member must have value between 1 and 50");
        limit = (size_t)v;
    }
    api_req_query(req, "Marker", &marker);
    eng_fnurl_t *list;
    size_t n;
    bool more;
    int rc =
        eng_fnurl_list(ctx->eng, kv_slice_str(fn), marker, limit, req->arena, &list, &n, &more);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    lambda_respond_json(resp, 200);
    api_jw_obj_begin(w);
    api_jw_key(w, "FunctionUrlConfigs");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        write_config(ctx, &list[i], true, w);
    api_jw_arr_end(w);
    if (more && n)
        api_jw_kstr(w, "NextMarker", list[n - 1].url_id);
    api_jw_obj_end(w);
    return 0;
}

int lambda_op_url(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, int op,
                  api_jw_t *w)
{
    eng_function_t *f;
    if (lambda_load_fn(ctx, req, resp, raw, &f) < 0)
        return -1;
    if (op == LAMBDA_OP_list_function_url_configs)
        return url_list(ctx, req, resp, f->name, w);
    const char *qual;
    if (qualifier(ctx, req, resp, f->name, &qual) < 0)
        return -1;
    char id[LAMBDA_URL_ID_LEN + 1];
    lambda_url_id(ctx, f->name, qual, id);
    if (op == LAMBDA_OP_create_function_url_config) {
        eng_fnurl_t u = {
            .function = f->name, .qualifier = qual, .auth_type = "NONE", .invoke_mode = "BUFFERED"};
        memcpy(u.url_id, id, sizeof(id));
        return url_put(ctx, req, resp, &u, true, w);
    }
    eng_fnurl_t *u;
    int rc = eng_fnurl_get(ctx->eng, kv_slice_str(id), req->arena, &u);
    if (rc == KV_ENOTFOUND)
        return url_not_found(resp);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    switch (op) {
    case LAMBDA_OP_get_function_url_config:
        lambda_respond_json(resp, 200);
        write_config(ctx, u, true, w);
        return 0;
    case LAMBDA_OP_update_function_url_config:
        return url_put(ctx, req, resp, u, false, w);
    default: /* delete */
        rc = eng_fnurl_delete(ctx->eng, kv_slice_str(id));
        if (rc == KV_ENOTFOUND)
            return url_not_found(resp);
        if (rc < 0)
            return lambda_engine_fail(resp, rc);
        resp->status = 204;
        return 0;
    }
}
