/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SNS's service row: the query protocol (credential scope "sns"; Action in the form body or a
 * GET's query), the one input shape of its operations, dispatch, the XML error document, and
 * the two open paths an HTTP endpoint uses without credentials (the signing certificate, and
 * ConfirmSubscription / Unsubscribe links).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sns_int.h"

/* ---- the input shape (one for every operation: each reads its own members) ---- */

static const api_qshape_t tag_f[] = {{.name = "Key"}, {.name = "Value"}};
static const api_qshape_t tag = {.kind = API_Q_STRUCT, .fields = tag_f, .n_fields = 2};
static const api_qshape_t mav_f[] = {
    {.name = "DataType"}, {.name = "StringValue"}, {.name = "BinaryValue"}};
static const api_qshape_t mav = {.kind = API_Q_STRUCT, .fields = mav_f, .n_fields = 3};
#define MSG_ATTRS                                                                       \
    {                                                                                   \
        .name = "MessageAttributes", .kind = API_Q_MAP, .item = "Name", .val = "Value", \
        .elem = &mav                                                                    \
    }
static const api_qshape_t entry_f[] = {
    {.name = "Id"},
    {.name = "Message"},
    {.name = "Subject"},
    {.name = "MessageStructure"},
    MSG_ATTRS,
    {.name = "MessageDeduplicationId"},
    {.name = "MessageGroupId"},
};
static const api_qshape_t entry = {
    .kind = API_Q_STRUCT, .fields = entry_f, .n_fields = sizeof(entry_f) / sizeof(entry_f[0])};
static const api_qshape_t input_f[] = {
    {.name = "Name"},
    {.name = "Attributes", .kind = API_Q_MAP},
    {.name = "Tags", .kind = API_Q_LIST, .elem = &tag},
    {.name = "TagKeys", .kind = API_Q_LIST},
    {.name = "TopicArn"},
    {.name = "TargetArn"},
    {.name = "PhoneNumber"},
    {.name = "ResourceArn"},
    {.name = "SubscriptionArn"},
    {.name = "NextToken"},
    {.name = "AttributeName"},
    {.name = "AttributeValue"},
    {.name = "Protocol"},
    {.name = "Endpoint"},
    {.name = "ReturnSubscriptionArn", .kind = API_Q_BOOL},
    {.name = "Token"},
    {.name = "AuthenticateOnUnsubscribe"},
    {.name = "Message"},
    {.name = "Subject"},
    {.name = "MessageStructure"},
    MSG_ATTRS,
    {.name = "MessageDeduplicationId"},
    {.name = "MessageGroupId"},
    {.name = "PublishBatchRequestEntries", .kind = API_Q_LIST, .elem = &entry},
    {.name = "DataProtectionPolicy"},
};
static const api_qshape_t sns_input = {
    .kind = API_Q_STRUCT, .fields = input_f, .n_fields = sizeof(input_f) / sizeof(input_f[0])};

/* ---- helpers ---- */

int sns_invalid(api_resp_t *resp, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    api_fail(resp, API_E_SNS_INVALID_PARAM, "Invalid parameter: %s", msg);
    return -1;
}

kv_slice_t sns_str(const api_json_t *in, const char *key)
{
    const api_json_t *v = in ? api_json_get(in, key) : NULL;
    if (v == NULL || api_json_type(v) != API_J_STR)
        return KV_SLICE_NULL;
    kv_slice_t s = api_json_str(v);
    if (s.p == NULL)
        s = kv_slice("", 0);
    return s;
}

bool sns_topic_name(kv_slice_t arn, kv_slice_t *name)
{
    api_arn_t a;
    if (!api_arn_parse(arn, &a) || !kv_slice_eq_str(a.service, "sns") ||
        !kv_slice_eq_str(a.account, API_ACCOUNT_ID) || a.resource.len == 0 ||
        memchr(a.resource.p, ':', a.resource.len))
        return false;
    *name = a.resource;
    return true;
}

const char *sns_topic_arn(api_ctx_t *ctx, kv_arena_t *a, const char *name)
{
    return api_arn_new(a, "sns", ctx->region, "%s", name);
}

const char *sns_sub_arn(api_ctx_t *ctx, kv_arena_t *a, const char *topic, const char *id)
{
    return api_arn_new(a, "sns", ctx->region, "%s:%s", topic, id);
}

bool sns_sub_parts(kv_slice_t arn, kv_slice_t *topic, kv_slice_t *id)
{
    api_arn_t a;
    if (!api_arn_parse(arn, &a) || !kv_slice_eq_str(a.service, "sns") ||
        !kv_slice_eq_str(a.account, API_ACCOUNT_ID))
        return false;
    const uint8_t *colon = memchr(a.resource.p, ':', a.resource.len);
    if (colon == NULL)
        return false;
    *topic = kv_slice(a.resource.p, (size_t)(colon - a.resource.p));
    *id = kv_slice(colon + 1, a.resource.len - topic->len - 1);
    return topic->len > 0 && id->len > 0 && id->len <= 64 && !memchr(id->p, ':', id->len);
}

const char *sns_attr(const eng_tag_t *p, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].key, key) == 0)
            return p[i].value;
    return NULL;
}

uint8_t sns_sig_version(const eng_sns_topic_t *t)
{
    const char *sv = t ? sns_attr(t->attrs, t->n_attrs, "SignatureVersion") : NULL;
    return sv && strcmp(sv, "2") == 0 ? 2 : 1;
}

void sns_xml_map(api_xw_t *w, const char *name, const eng_tag_t *p, size_t n)
{
    api_xw_open(w, name);
    for (size_t i = 0; i < n; i++) {
        api_xw_open(w, "entry");
        api_xw_elem_str(w, "key", p[i].key);
        api_xw_elem_str(w, "value", p[i].value);
        api_xw_close(w, "entry");
    }
    api_xw_close(w, name);
}

/* ---- dispatch ---- */

#define SNS_OP_CERT   SNS_OP__COUNT /* GET of the signing certificate (an open path) */
#define SNS_N_ROWS    (SNS_OP__COUNT + 1)
#define SNS_CERT_PATH "/sns/SimpleNotificationService-stratus.pem"
#define SNS_LINK_PATH "/sns/"

static const api_op_desc_t sns_ops[SNS_N_ROWS] = {
#define XX(Name, cname) {.name = #Name, .flags = 0},
    SNS_OP_MAP(XX)
#undef XX
        {.name = "GetSigningCertificate", .flags = API_OPF_ANON},
};

typedef int (*sns_fn)(sns_call_t *c);
static const sns_fn sns_fns[SNS_OP__COUNT] = {
#define XX(Name, name) sns_##name,
    SNS_OP_MAP(XX)
#undef XX
};

/* Which operations have a <Result> element. */
static bool has_result(int op)
{
    return op != SNS_OP_delete_topic && op != SNS_OP_set_topic_attributes &&
           op != SNS_OP_unsubscribe && op != SNS_OP_set_subscription_attributes;
}

static int route(api_ctx_t *ctx, api_req_t *req)
{
    (void)ctx, (void)req;
    return API_OP_NONE; /* the Action is in the body: dispatch names the row */
}

static void run_op(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t form, bool open)
{
    api_state_t *st = req->_st;
    api_query_t q;
    const char *err = NULL;
    int rc = api_query_parse(req->arena, form, &q, &err);
    if (rc) {
        api_fail(resp, API_E_SNS_MALFORMED, "%s", err);
        return;
    }
    int op = -1;
    for (int i = 0; i < SNS_OP__COUNT && q.has_action; i++)
        if (kv_slice_eq_str(q.action, sns_ops[i].name))
            op = i;
    if (op < 0) {
        api_fail(resp, API_E_SNS_INVALID_ACTION, "Unrecognized action %.*s", (int)q.action.len,
                 (const char *)q.action.p);
        return;
    }
    st->op = op;
    if (open && op != SNS_OP_confirm_subscription && op != SNS_OP_unsubscribe) {
        api_fail(resp, API_E_SNS_MISSING_AUTH, NULL);
        return;
    }
    api_json_t *in;
    rc = api_query_decode(req->arena, &q, &sns_input, &in, &err);
    if (rc) {
        sns_invalid(resp, "%s", err);
        return;
    }
    sns_call_t c = {.ctx = ctx, .req = req, .resp = resp, .a = req->arena, .in = in};
    /* issue 15 (package L2): the operation's action on its topic, once decoded (the open
     * links of ConfirmSubscription and Unsubscribe carry their token instead) */
    if (!open && sns_authorize(&c, op) < 0)
        return;
    const char *name = sns_ops[op].name;
    api_query_resp_begin(&c.w, &resp->body, name, SNS_NS, has_result(op));
    if (sns_fns[op](&c) < 0)
        return;
    api_query_resp_end(&c.w, name, has_result(op), kv_slice_str(st->request_id));
    if (kv_buf_failed(&resp->body))
        api_fail(resp, API_E_SNS_INTERNAL, "The response was too large");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("text/xml"));
}

static void sns_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    if (st->open) {
        if (kv_slice_eq_str(req->path, SNS_CERT_PATH)) {
            st->op = SNS_OP_CERT;
            kv_slice_t pem = sns_cert_pem(ctx);
            if (pem.len == 0) {
                api_fail(resp, API_E_SNS_NOT_FOUND, "No signing certificate");
                return;
            }
            kv_buf_append_slice(&resp->body, pem);
            api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-x509-ca-cert"));
            return;
        }
        run_op(ctx, req, resp, req->query, true);
        return;
    }
    bool get = kv_slice_eq_str(req->method, "GET");
    run_op(ctx, req, resp, get ? req->query : kv_buf_slice(&st->body), false);
}

/* The query protocol's error document and the request id header. */
static void sns_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    if (resp->_err) {
        api_query_error(&resp->body, SNS_NS, resp->status, kv_slice_str(api_err_code(resp->_err)),
                        resp->_msg, kv_slice_str(req->_st->request_id));
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("text/xml"));
    }
    api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(req->_st->request_id));
}

static const char *const sns_scopes[] = {"sns", NULL};
static const char *const sns_open[] = {SNS_CERT_PATH, SNS_LINK_PATH, NULL};
static const api_job_t sns_jobs[] = {{"sns-deliver", 0, true, sns_deliver_run}};

const api_service_t sns_service = {
    .name = "sns",
    .open_paths = sns_open,
    .scopes = sns_scopes,
    .ops = sns_ops,
    .n_ops = SNS_N_ROWS,
    .route = route,
    .body_max = 2u << 20, /* 256 KB of message, percent-encoded */
    .dispatch = sns_dispatch,
    .finish = sns_finish,
    .ids = API_IDS_UUID,
    .err_internal = API_E_SNS_INTERNAL,
    .err_throttle = API_E_SNS_THROTTLED,
    .iam_prefix = "sns",
    .err_denied = API_E_SNS_AUTH_ERROR,
    .err_too_large = API_E_SNS_TOO_LARGE,
    .err_stream_large = API_E_SNS_TOO_LARGE,
    .jobs = sns_jobs,
    .n_jobs = 1,
    .init = sns_init,
    .fini = sns_fini,
};
