/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda service's front: the router (method and REST path under /2015-03-31/ and the other
 * dated prefixes to an operation and the function or mapping it names), the body limits, the
 * dispatch to the operations' files, the request helpers they share, the REST JSON error body
 * (finish) and the lambda_service descriptor the service table lists.
 */
#include <string.h>

#include "base/kv_log.h"
#include "lambda_int.h"
#include "lambda_url.h"

#define LIST_MAX 10000 /* MaxItems */

/* ---- routing ---- */

/* One path segment from the front of *p (after a '/'), URL-decoded. */
static kv_slice_t segment(api_req_t *req, kv_slice_t *p)
{
    if (p->len && p->p[0] == '/') {
        p->p++;
        p->len--;
    }
    const uint8_t *slash = memchr(p->p, '/', p->len);
    kv_slice_t raw = kv_slice(p->p, slash ? (size_t)(slash - p->p) : p->len), out;
    *p = slash ? kv_slice(slash, p->len - (size_t)(slash - p->p)) : KV_SLICE_NULL;
    if (!api_form_decode(req->arena, raw, &out))
        out = raw;
    return out;
}

/* Layers (/2018-10-31/layers...), tags (/2017-03-31/tags/<arn>), account settings. */
static int route_more(api_req_t *req, kv_slice_t p, kv_slice_t *name, kv_slice_t *part,
                      kv_slice_t *part2)
{
    kv_slice_t m = req->method;
    static const char layers[] = "/2018-10-31/layers";
    static const char tags[] = "/2017-03-31/tags/";
    if (kv_slice_starts_with(p, "/2016-08-19/account-settings"))
        return kv_slice_eq_str(m, "GET") ? LAMBDA_OP_get_account_settings : API_OP_NONE;
    if (kv_slice_starts_with(p, tags)) {
        kv_slice_t rest = kv_slice(p.p + sizeof(tags) - 1, p.len - (sizeof(tags) - 1));
        if (!api_form_decode(req->arena, rest, name))
            *name = rest;
        return kv_slice_eq_str(m, "GET")      ? LAMBDA_OP_list_tags
               : kv_slice_eq_str(m, "POST")   ? LAMBDA_OP_tag_resource
               : kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_untag_resource
                                              : API_OP_NONE;
    }
    if (!kv_slice_starts_with(p, layers))
        return API_OP_NONE;
    p = kv_slice(p.p + sizeof(layers) - 1, p.len - (sizeof(layers) - 1));
    if (p.len == 0 || kv_slice_eq_str(p, "/")) {
        kv_slice_t find;
        if (api_req_query(req, "find", &find) && kv_slice_eq_str(find, "LayerVersion"))
            return kv_slice_eq_str(m, "GET") ? LAMBDA_OP_get_layer_version_by_arn : API_OP_NONE;
        return kv_slice_eq_str(m, "GET") ? LAMBDA_OP_list_layers : API_OP_NONE;
    }
    *name = segment(req, &p);
    kv_slice_t versions = segment(req, &p);
    if (!kv_slice_eq_str(versions, "versions"))
        return API_OP_NONE;
    if (p.len == 0)
        return kv_slice_eq_str(m, "POST")  ? LAMBDA_OP_publish_layer_version
               : kv_slice_eq_str(m, "GET") ? LAMBDA_OP_list_layer_versions
                                           : API_OP_NONE;
    *part = segment(req, &p);
    if (p.len == 0)
        return kv_slice_eq_str(m, "GET")      ? LAMBDA_OP_get_layer_version
               : kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_delete_layer_version
                                              : API_OP_NONE;
    if (!kv_slice_eq_str(segment(req, &p), "policy"))
        return API_OP_NONE;
    if (p.len == 0)
        return kv_slice_eq_str(m, "POST")  ? LAMBDA_OP_add_layer_version_permission
               : kv_slice_eq_str(m, "GET") ? LAMBDA_OP_get_layer_version_policy
                                           : API_OP_NONE;
    *part2 = segment(req, &p);
    return p.len == 0 && kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_remove_layer_version_permission
                                                      : API_OP_NONE;
}

/* The operation of a request, the function (or layer, or resource) name in its path and the
 * parts after it (URL-decoded). */
static int route(api_req_t *req, kv_slice_t *name, kv_slice_t *part, kv_slice_t *part2)
{
    kv_slice_t p = req->path, m = req->method;
    *part = *part2 = KV_SLICE_NULL;
    int more = route_more(req, p, name, part, part2);
    if (more != API_OP_NONE)
        return more;
    static const char esm[] = "/2015-03-31/event-source-mappings";
    if (kv_slice_starts_with(p, esm)) {
        kv_slice_t rest = kv_slice(p.p + sizeof(esm) - 1, p.len - (sizeof(esm) - 1));
        if (rest.len && rest.p[0] == '/') {
            rest.p++;
            rest.len--;
        }
        *name = rest;
        if (rest.len == 0)
            return kv_slice_eq_str(m, "POST")  ? LAMBDA_OP_create_event_source_mapping
                   : kv_slice_eq_str(m, "GET") ? LAMBDA_OP_list_event_source_mappings
                                               : API_OP_NONE;
        return kv_slice_eq_str(m, "GET")      ? LAMBDA_OP_get_event_source_mapping
               : kv_slice_eq_str(m, "PUT")    ? LAMBDA_OP_update_event_source_mapping
               : kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_delete_event_source_mapping
                                              : API_OP_NONE;
    }
    static const char *const dates[] = {"/2015-03-31/functions", "/2017-10-31/functions",
                                        "/2019-09-30/functions", "/2019-09-25/functions",
                                        "/2021-10-31/functions"};
    int date = -1;
    for (int i = 0; i < 5; i++)
        if (kv_slice_starts_with(p, dates[i]))
            date = i;
    if (date < 0)
        return API_OP_NONE;
    p = kv_slice(p.p + strlen(dates[date]), p.len - strlen(dates[date]));
    if (p.len && p.p[0] == '/') {
        p.p++;
        p.len--;
    }
    if (p.len == 0)
        return date == 0 && kv_slice_eq_str(m, "POST")  ? LAMBDA_OP_create_function
               : date == 0 && kv_slice_eq_str(m, "GET") ? LAMBDA_OP_list_functions
                                                        : API_OP_NONE;
    const uint8_t *slash = memchr(p.p, '/', p.len);
    kv_slice_t raw = kv_slice(p.p, slash ? (size_t)(slash - p.p) : p.len);
    kv_slice_t rest = slash ? kv_slice(slash, p.len - (size_t)(slash - p.p)) : KV_SLICE_NULL;
    if (!api_form_decode(req->arena, raw, name))
        *name = raw;
    if (rest.len == 0)
        return date != 0                      ? API_OP_NONE
               : kv_slice_eq_str(m, "GET")    ? LAMBDA_OP_get_function
               : kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_delete_function
                                              : API_OP_NONE;
    if (kv_slice_eq_str(rest, "/configuration") && date == 0)
        return kv_slice_eq_str(m, "GET")   ? LAMBDA_OP_get_function_configuration
               : kv_slice_eq_str(m, "PUT") ? LAMBDA_OP_update_function_configuration
                                           : API_OP_NONE;
    if (kv_slice_eq_str(rest, "/code") && date == 0 && kv_slice_eq_str(m, "PUT"))
        return LAMBDA_OP_update_function_code;
    if (kv_slice_eq_str(rest, "/invocations") && date == 0 && kv_slice_eq_str(m, "POST"))
        return LAMBDA_OP_invoke;
    if (kv_slice_eq_str(rest, "/event-invoke-config") && date == 3)
        return kv_slice_eq_str(m, "PUT")      ? LAMBDA_OP_put_function_event_invoke_config
               : kv_slice_eq_str(m, "POST")   ? LAMBDA_OP_update_function_event_invoke_config
               : kv_slice_eq_str(m, "GET")    ? LAMBDA_OP_get_function_event_invoke_config
               : kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_delete_function_event_invoke_config
                                              : API_OP_NONE;
    if (kv_slice_eq_str(rest, "/event-invoke-config/list") && date == 3 &&
        kv_slice_eq_str(m, "GET"))
        return LAMBDA_OP_list_function_event_invoke_configs;
    if (date == 0 && (kv_slice_eq_str(rest, "/versions") || kv_slice_eq_str(rest, "/aliases") ||
                      kv_slice_eq_str(rest, "/policy")))
        return kv_slice_eq_str(m, "POST")  ? (rest.p[1] == 'v'   ? LAMBDA_OP_publish_version
                                              : rest.p[1] == 'a' ? LAMBDA_OP_create_alias
                                                                 : LAMBDA_OP_add_permission)
               : kv_slice_eq_str(m, "GET") ? (rest.p[1] == 'v' ? LAMBDA_OP_list_versions_by_function
                                              : rest.p[1] == 'a' ? LAMBDA_OP_list_aliases
                                                                 : LAMBDA_OP_get_policy)
                                           : API_OP_NONE;
    if (date == 0 && kv_slice_starts_with(rest, "/aliases/")) {
        kv_slice_t r = kv_slice(rest.p + 8, rest.len - 8);
        *part = segment(req, &r);
        if (r.len)
            return API_OP_NONE;
        return kv_slice_eq_str(m, "GET")      ? LAMBDA_OP_get_alias
               : kv_slice_eq_str(m, "PUT")    ? LAMBDA_OP_update_alias
               : kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_delete_alias
                                              : API_OP_NONE;
    }
    if (date == 0 && kv_slice_starts_with(rest, "/policy/")) {
        kv_slice_t r = kv_slice(rest.p + 7, rest.len - 7);
        *part = segment(req, &r);
        return r.len == 0 && kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_remove_permission
                                                          : API_OP_NONE;
    }
    if (kv_slice_eq_str(rest, "/url") && date == 4) /* function URLs (lambda_url.c) */
        return kv_slice_eq_str(m, "POST")     ? LAMBDA_OP_create_function_url_config
               : kv_slice_eq_str(m, "GET")    ? LAMBDA_OP_get_function_url_config
               : kv_slice_eq_str(m, "PUT")    ? LAMBDA_OP_update_function_url_config
               : kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_delete_function_url_config
                                              : API_OP_NONE;
    if (kv_slice_eq_str(rest, "/urls") && date == 4 && kv_slice_eq_str(m, "GET"))
        return LAMBDA_OP_list_function_url_configs;
    if (kv_slice_eq_str(rest, "/concurrency")) {
        if (date == 1 && kv_slice_eq_str(m, "PUT"))
            return LAMBDA_OP_put_function_concurrency;
        if (date == 1 && kv_slice_eq_str(m, "DELETE"))
            return LAMBDA_OP_delete_function_concurrency;
        if (date == 2 && kv_slice_eq_str(m, "GET"))
            return LAMBDA_OP_get_function_concurrency;
    }
    return API_OP_NONE;
}

int lambda_route(api_ctx_t *ctx, api_req_t *req)
{
    (void)ctx;
    kv_slice_t name, part, part2;
    return route(req, &name, &part, &part2);
}

uint64_t lambda_body_limit(const api_req_t *req)
{
    int op = req->_st->op;
    /* A base64 zip of up to 50 MB travels inside the JSON; a synchronous payload is 6 MB. */
    return op == LAMBDA_OP_create_function || op == LAMBDA_OP_update_function_code ||
                   op == LAMBDA_OP_publish_layer_version
               ? 69905067u
           : op == LAMBDA_OP_invoke ? 6291456u
                                    : 6u << 20;
}

/* ---- the request helpers every operation uses ---- */

int lambda_engine_fail(api_resp_t *resp, int rc)
{
    if (rc == KV_ENOSPACE)
        return api_refuse(resp, API_E_LAMBDA_TOO_MANY,
                          "The server's disk is nearly full: writes are refused until space is "
                          "freed.");
    KV_LOG_ERROR("lambda: engine error %s", kv_err_name(rc));
    return api_refuse(resp, API_E_LAMBDA_SERVICE, "An internal error occurred");
}

int lambda_refuse_revision(api_resp_t *resp, const char *api)
{
    return api_refuse(resp, API_E_LAMBDA_PRECONDITION,
                      "The Revision Id provided does not match the latest Revision Id. Call the "
                      "%s API to retrieve the latest Revision Id",
                      api);
}

int lambda_revision_check(api_resp_t *resp, kv_slice_t want, const char *rev, const char *api)
{
    return want.len && !kv_slice_eq_str(want, rev) ? lambda_refuse_revision(resp, api) : 0;
}

kv_slice_t lambda_str_member(const api_json_t *in, const char *key)
{
    const api_json_t *v = in ? api_json_get(in, key) : NULL;
    return v && api_json_type(v) == API_J_STR ? api_json_str(v) : KV_SLICE_NULL;
}

/* Lambda's limit of a Description: 256 bytes. */
int lambda_description_in(api_req_t *req, api_resp_t *resp, const api_json_t *in, const char **out)
{
    const api_json_t *d = api_json_get(in, "Description");
    if (d == NULL || api_json_type(d) != API_J_STR)
        return 0;
    if (api_json_str(d).len > 256)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value at 'description' failed to "
                          "satisfy constraint: Member must have length less than or equal to 256");
    *out = lambda_dup_str(req, api_json_str(d));
    return 0;
}

const char *lambda_dup_str(api_req_t *req, kv_slice_t s)
{
    return kv_arena_strndup(req->arena, s.p, s.len);
}

void lambda_respond_json(api_resp_t *resp, int status)
{
    resp->status = status;
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
}

const api_json_t *lambda_body_json(api_req_t *req, api_resp_t *resp)
{
    if (req->_st->lambda_body) /* parsed once: authorization read it first (issue 15) */
        return req->_st->lambda_body;
    kv_slice_t body = kv_buf_slice(&req->_st->body);
    api_json_t *root;
    const char *err = NULL;
    if (body.len == 0)
        body = KV_SLICE_LIT("{}");
    if (api_json_parse(req->arena, body, &root, &err) < 0 || api_json_type(root) != API_J_OBJ) {
        api_refuse(resp, API_E_LAMBDA_INVALID_REQUEST, "Could not parse request body into json: %s",
                   err ? err : "expected a JSON object");
        return NULL;
    }
    req->_st->lambda_body = root;
    return root;
}

/* The MaxItems query parameter of the List operations (1..10000), into *limit when given. */
int lambda_max_items(api_req_t *req, api_resp_t *resp, size_t *limit)
{
    kv_slice_t max;
    if (!api_req_query(req, "MaxItems", &max))
        return 0;
    long v = 0;
    bool ok = max.len > 0 && max.len < 7;
    for (size_t i = 0; ok && i < max.len; i++) {
        ok = max.p[i] >= '0' && max.p[i] <= '9';
        v = v * 10 + (max.p[i] - '0');
    }
    if (!ok || v < 1 || v > LIST_MAX)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value at 'maxItems' failed to satisfy "
                          "constraint: Member must have value between 1 and 10000");
    *limit = (size_t)v;
    return 0;
}

int lambda_int_in(api_resp_t *resp, const api_json_t *in, const char *key, const char *member,
                  int64_t lo, int64_t hi, int64_t *out)
{
    const api_json_t *v = api_json_get(in, key);
    if (v == NULL)
        return 0;
    if (!api_json_int(v, out) || *out < lo || *out > hi)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value '%lld' at '%s' failed to satisfy "
                          "constraint: Member must have value between %lld and %lld",
                          (long long)*out, member, (long long)lo, (long long)hi);
    return 1;
}

/* ---- dispatch ---- */

void lambda_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    kv_slice_t name = KV_SLICE_NULL, part, part2;
    route(req, &name, &part, &part2);
    int op = req->_st->op; /* api_begin's routing: the same row */
    /* Authorization once the operation and its resource are known (issue 15). */
    if (op >= 0 && op < LAMBDA_OP__COUNT && lambda_authz(ctx, req, resp, op, name, part, part2) < 0)
        return;
    api_jw_t w;
    api_jw_init(&w, &resp->body);
    int rc;
    switch (op) {
    case LAMBDA_OP_create_function:
        rc = lambda_op_create(ctx, req, resp, &w);
        break;
    case LAMBDA_OP_list_functions:
        rc = lambda_op_list(ctx, req, resp, &w);
        break;
    case LAMBDA_OP_get_function:
    case LAMBDA_OP_get_function_configuration:
        rc = lambda_op_get(ctx, req, resp, name, op == LAMBDA_OP_get_function, &w);
        break;
    case LAMBDA_OP_update_function_configuration:
    case LAMBDA_OP_update_function_code:
        rc = lambda_op_update(ctx, req, resp, name, op == LAMBDA_OP_update_function_code, &w);
        break;
    case LAMBDA_OP_delete_function:
        rc = lambda_op_delete(ctx, req, resp, name);
        break;
    case LAMBDA_OP_put_function_concurrency:
    case LAMBDA_OP_get_function_concurrency:
    case LAMBDA_OP_delete_function_concurrency:
        rc = lambda_op_concurrency(ctx, req, resp, name, op, &w);
        break;
    case LAMBDA_OP_create_event_source_mapping:
        rc = lambda_op_esm_create(ctx, req, resp, &w);
        break;
    case LAMBDA_OP_invoke:
        rc = lambda_op_invoke(ctx, req, resp, name);
        break;
    case LAMBDA_OP_put_function_event_invoke_config:
    case LAMBDA_OP_update_function_event_invoke_config:
    case LAMBDA_OP_get_function_event_invoke_config:
    case LAMBDA_OP_delete_function_event_invoke_config:
    case LAMBDA_OP_list_function_event_invoke_configs:
        rc = lambda_op_event_config(ctx, req, resp, name, op, &w);
        break;
    case LAMBDA_OP_list_event_source_mappings:
        rc = lambda_op_esm_list(ctx, req, resp, &w);
        break;
    case LAMBDA_OP_get_event_source_mapping:
    case LAMBDA_OP_update_event_source_mapping:
    case LAMBDA_OP_delete_event_source_mapping:
        rc = lambda_op_esm(ctx, req, resp, name, op, &w);
        break;
    case LAMBDA_OP_publish_version:
    case LAMBDA_OP_list_versions_by_function:
    case LAMBDA_OP_create_alias:
    case LAMBDA_OP_get_alias:
    case LAMBDA_OP_update_alias:
    case LAMBDA_OP_delete_alias:
    case LAMBDA_OP_list_aliases:
    case LAMBDA_OP_add_permission:
    case LAMBDA_OP_remove_permission:
    case LAMBDA_OP_get_policy:
    case LAMBDA_OP_tag_resource:
    case LAMBDA_OP_untag_resource:
    case LAMBDA_OP_list_tags:
    case LAMBDA_OP_get_account_settings:
        rc = lambda_op_version(ctx, req, resp, op, name, part, &w);
        break;
    case LAMBDA_OP_publish_layer_version:
    case LAMBDA_OP_get_layer_version:
    case LAMBDA_OP_get_layer_version_by_arn:
    case LAMBDA_OP_list_layer_versions:
    case LAMBDA_OP_list_layers:
    case LAMBDA_OP_delete_layer_version:
    case LAMBDA_OP_add_layer_version_permission:
    case LAMBDA_OP_remove_layer_version_permission:
    case LAMBDA_OP_get_layer_version_policy:
        rc = lambda_op_layer(ctx, req, resp, op, name, part, part2, &w);
        break;
    case LAMBDA_OP_create_function_url_config:
    case LAMBDA_OP_get_function_url_config:
    case LAMBDA_OP_update_function_url_config:
    case LAMBDA_OP_delete_function_url_config:
    case LAMBDA_OP_list_function_url_configs:
        rc = lambda_op_url(ctx, req, resp, name, op, &w);
        break;
    default:
        api_fail(resp, API_E_LAMBDA_UNKNOWN_OP, "Unknown operation %.*s %.*s", (int)req->method.len,
                 (const char *)req->method.p, (int)req->path.len, (const char *)req->path.p);
        return;
    }
    if (rc == 0 && !api_jw_ok(&w))
        api_refuse(resp, API_E_LAMBDA_SERVICE, "The response was too large");
}

/* ---- the service ---- */

/* Code uploads unpack and sync a zip of up to 50 MB: they run on the worker pool. */
#define LAMBDA_FLAGS(op)                                                                       \
    ((op) == LAMBDA_OP_create_function || (op) == LAMBDA_OP_update_function_code ||            \
             (op) == LAMBDA_OP_publish_layer_version || (op) == LAMBDA_OP_get_account_settings \
         ? API_OPF_SLOW                                                                        \
         : 0u)

static const api_op_desc_t lambda_ops[] = {
/* The IAM actions whose names are not the operation's (issue 15). */
#define LAMBDA_ACTION(op)                                                    \
    ((op) == LAMBDA_OP_invoke                     ? "lambda:InvokeFunction"  \
     : (op) == LAMBDA_OP_get_layer_version_by_arn ? "lambda:GetLayerVersion" \
                                                  : NULL)

#define XX(Name, cname)                        \
    {.name = #Name,                            \
     .flags = LAMBDA_FLAGS(LAMBDA_OP_##cname), \
     .action = LAMBDA_ACTION(LAMBDA_OP_##cname)},
    LAMBDA_OP_MAP(XX)
#undef XX
};

void lambda_jw_map(api_jw_t *w, const char *key, const eng_tag_t *p, size_t n)
{
    api_jw_key(w, key);
    api_jw_obj_begin(w);
    for (size_t i = 0; i < n; i++)
        api_jw_kstr(w, p[i].key, p[i].value);
    api_jw_obj_end(w);
}

void lambda_error_body(api_resp_t *resp, const char *key, const char *value)
{
    kv_buf_reset(&resp->body);
    api_jw_t w;
    api_jw_init(&w, &resp->body);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, key, value);
    api_jw_kstr(&w, "message", resp->_msg ? resp->_msg : "");
    api_jw_obj_end(&w);
}

/* The REST JSON protocol's error body and its headers. */
static void lambda_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    if (resp->_err) {
        lambda_error_body(resp, "Type", resp->status >= 500 ? "Service" : "User");
        api_resp_header(resp, "x-amzn-ErrorType", kv_slice_str(api_err_code(resp->_err)));
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
    }
    api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(req->_st->request_id));
}

static const char *const lambda_scopes[] = {"lambda", NULL};
static const char *const lambda_paths[] = {"/2015-03-31/", "/2017-10-31/", "/2019-09-30/",
                                           "/2019-09-25/", "/2018-10-31/", "/2017-03-31/",
                                           "/2016-08-19/", "/2021-10-31/", NULL};

const api_service_t lambda_service = {
    .name = "lambda",
    .scopes = lambda_scopes,
    .path_prefixes = lambda_paths,
    .ops = lambda_ops,
    .n_ops = LAMBDA_OP__COUNT,
    .route = lambda_route,
    .body_limit = lambda_body_limit,
    .dispatch = lambda_dispatch,
    .hold = lambda_hold,
    .finish = lambda_finish,
    .ids = API_IDS_UUID,
    .err_internal = API_E_LAMBDA_SERVICE,
    .err_throttle = API_E_LAMBDA_TOO_MANY,
    .iam_prefix = "lambda",
    .err_denied = API_E_LAMBDA_ACCESS_DENIED,
    .err_too_large = API_E_DDB_TOO_LARGE, /* as the service has always answered */
    .err_stream_large = API_E_DDB_TOO_LARGE,
    .too_large_sized = true,
    .jobs = lambda_jobs,
    .n_jobs = LAMBDA_N_JOBS,
    .init = lambda_init,
    .fini = lambda_fini,
};
