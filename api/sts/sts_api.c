/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STS's service row (issue 15, package T): the query protocol (credential scope "sts", Version
 * 2011-06-15; Action in the form body or a GET's query), the one input shape of its
 * operations, dispatch, and the XML error document with STS's own authentication errors
 * (InvalidClientTokenId, ExpiredToken, SignatureDoesNotMatch, MissingAuthenticationToken).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sts_int.h"

/* ---- the input shape (one for every operation: each reads its own members) ---- */

static const api_qshape_t tag_f[] = {{.name = "Key"}, {.name = "Value"}};
static const api_qshape_t tag = {.kind = API_Q_STRUCT, .fields = tag_f, .n_fields = 2};
static const api_qshape_t pda_f[] = {{.name = "arn"}};
static const api_qshape_t pda = {.kind = API_Q_STRUCT, .fields = pda_f, .n_fields = 1};
static const api_qshape_t ctx_f[] = {{.name = "ProviderArn"}, {.name = "ContextAssertion"}};
static const api_qshape_t pctx = {.kind = API_Q_STRUCT, .fields = ctx_f, .n_fields = 2};
static const api_qshape_t input_f[] = {
    {.name = "RoleArn"},
    {.name = "RoleSessionName"},
    {.name = "PolicyArns", .kind = API_Q_LIST, .elem = &pda},
    {.name = "Policy"},
    {.name = "DurationSeconds", .kind = API_Q_INT},
    {.name = "Tags", .kind = API_Q_LIST, .elem = &tag},
    {.name = "TransitiveTagKeys", .kind = API_Q_LIST},
    {.name = "ExternalId"},
    {.name = "SerialNumber"},
    {.name = "TokenCode"},
    {.name = "SourceIdentity"},
    {.name = "ProvidedContexts", .kind = API_Q_LIST, .elem = &pctx},
    {.name = "AccessKeyId"},
};
static const api_qshape_t sts_input = {
    .kind = API_Q_STRUCT, .fields = input_f, .n_fields = sizeof(input_f) / sizeof(input_f[0])};

/* ---- dispatch ---- */

static const api_op_desc_t sts_ops[STS_OP__COUNT] = {
#define XX(Name, cname) {.name = #Name, .flags = 0},
    STS_OP_MAP(XX)
#undef XX
};

typedef int (*sts_fn)(sts_call_t *c);
static const sts_fn sts_fns[STS_OP__COUNT] = {
#define XX(Name, name) sts_##name,
    STS_OP_MAP(XX)
#undef XX
};

static int route(api_ctx_t *ctx, api_req_t *req)
{
    (void)ctx, (void)req;
    return API_OP_NONE; /* the Action is in the body: dispatch names the row */
}

static void run_op(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t form)
{
    api_state_t *st = req->_st;
    api_query_t q;
    const char *err = NULL;
    if (api_query_parse(req->arena, form, &q, &err) != 0) {
        api_fail(resp, API_E_STS_MALFORMED_QUERY, "%s", err);
        return;
    }
    if (!q.has_action) {
        api_fail(resp, API_E_STS_INVALID_ACTION, "Could not find operation for version %.*s",
                 (int)(q.version.len > 32 ? 32 : q.version.len), (const char *)q.version.p);
        return;
    }
    int op = api_op_named(st->svc, q.action);
    if (op < 0 || !kv_slice_eq_str(q.version, STS_VERSION)) {
        api_fail(resp, API_E_STS_INVALID_ACTION, "Could not find operation %.*s for version %.*s",
                 (int)(q.action.len > 64 ? 64 : q.action.len), (const char *)q.action.p,
                 (int)(q.version.len > 32 ? 32 : q.version.len), (const char *)q.version.p);
        return;
    }
    st->op = op;
    api_json_t *in;
    if (api_query_decode(req->arena, &q, &sts_input, &in, &err) != 0) {
        api_fail(resp, API_E_STS_VALIDATION, "%s", err);
        return;
    }
    sts_call_t c = {.ctx = ctx, .req = req, .resp = resp, .a = req->arena, .in = in};
    const char *name = sts_ops[op].name;
    api_query_resp_begin(&c.w, &resp->body, name, STS_NS, true);
    if (sts_fns[op](&c) < 0)
        return;
    api_query_resp_end(&c.w, name, true, kv_slice_str(st->request_id));
    if (kv_buf_failed(&resp->body))
        api_fail(resp, API_E_STS_INTERNAL, "The response was too large");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("text/xml"));
}

static void sts_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    bool get = kv_slice_eq_str(req->method, "GET");
    run_op(ctx, req, resp, get ? req->query : kv_buf_slice(&st->body));
}

/* The authentication layer answers with the JSON protocols' errors; STS (and IAM, whose query
 * protocol answers the same codes) has its own. */
static api_err_t sts_auth_err(api_err_t e)
{
    switch (e) {
    case API_E_DDB_UNRECOGNIZED_CLIENT:
        return API_E_STS_INVALID_CLIENT;
    case API_E_DDB_EXPIRED_TOKEN:
        return API_E_STS_EXPIRED_TOKEN;
    case API_E_DDB_INVALID_SIGNATURE:
        return API_E_STS_SIG_MISMATCH;
    case API_E_DDB_MISSING_AUTH:
        return API_E_STS_MISSING_AUTH;
    case API_E_DDB_INCOMPLETE_SIGNATURE:
        return API_E_STS_INCOMPLETE_SIG;
    case API_E_DDB_VALIDATION:
        return API_E_STS_VALIDATION;
    default:
        return API_E_NONE;
    }
}

void sts_query_finish(api_req_t *req, api_resp_t *resp, const char *xmlns)
{
    if (resp->_err) {
        api_err_t mapped = sts_auth_err((api_err_t)resp->_err);
        if (mapped != API_E_NONE) {
            const char *msg = resp->_msg;
            if (msg && *msg)
                api_fail(resp, mapped, "%s", msg);
            else
                api_fail(resp, mapped, NULL);
        }
        api_query_error(&resp->body, xmlns, resp->status, kv_slice_str(api_err_code(resp->_err)),
                        resp->_msg, kv_slice_str(req->_st->request_id));
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("text/xml"));
    }
    api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(req->_st->request_id));
}

static void sts_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    sts_query_finish(req, resp, STS_NS);
}

static const char *const sts_scopes[] = {"sts", NULL};

const api_service_t sts_service = {
    .name = "sts",
    .scopes = sts_scopes,
    .ops = sts_ops,
    .n_ops = STS_OP__COUNT,
    .route = route,
    .body_max = 256u << 10, /* a 2048-character policy and 50 tags, percent-encoded */
    .dispatch = sts_dispatch,
    .finish = sts_finish,
    .ids = API_IDS_UUID,
    .err_internal = API_E_STS_INTERNAL,
    .err_throttle = API_E_STS_THROTTLING,
    .iam_prefix = "sts",
    .err_denied = API_E_STS_ACCESS_DENIED,
    .err_too_large = API_E_STS_TOO_LARGE,
    .err_stream_large = API_E_STS_TOO_LARGE,
};
