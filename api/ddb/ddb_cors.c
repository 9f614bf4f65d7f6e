/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CORS on the DynamoDB endpoint (issue 17, package H): browser apps call DynamoDB directly.
 * DynamoDB's endpoint answers a preflight from any origin, echoing the method and headers asked
 * for, and adds Access-Control-Allow-Origin: * and the exposed headers to every response to a
 * request with an Origin, errors included (as recorded from dynamodb.us-east-1.amazonaws.com).
 * The preflight carries no credentials: its answer is built from the request's own headers and
 * reads or changes nothing stored.
 */
#include <string.h>

#include "ddb_int.h"

#define CORS_MAX_AGE "172800"
#define CORS_EXPOSE  "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"

/* Whether the comma-separated list names token (case-insensitive). */
static bool lists(kv_slice_t list, const char *token)
{
    size_t i = 0;
    while (i < list.len) {
        size_t j = i;
        while (j < list.len && list.p[j] != ',')
            j++;
        if (kv_slice_eq_nocase(kv_slice_trim(kv_slice(list.p + i, j - i)), token))
            return true;
        i = j + 1;
    }
    return false;
}

bool ddb_cors_claim(api_ctx_t *ctx, const api_req_t *req)
{
    (void)ctx;
    if (!kv_slice_eq_str(req->method, "OPTIONS") || !kv_slice_eq_str(req->path, "/"))
        return false;
    return lists(api_req_header(req, "access-control-request-headers"), "x-amz-target");
}

int ddb_cors_route(api_ctx_t *ctx, api_req_t *req)
{
    (void)ctx;
    if (kv_slice_eq_str(req->method, "OPTIONS"))
        return DDB_OP_PREFLIGHT;
    kv_slice_t t = req->_st->target;
    size_t pl = sizeof(DDB_TARGET_PREFIX) - 1;
    if (t.len < pl || memcmp(t.p, DDB_TARGET_PREFIX, pl) != 0)
        return API_OP_NONE;
    int op = api_op_named(&ddb_service, kv_slice(t.p + pl, t.len - pl));
    return op == DDB_OP_PREFLIGHT ? API_OP_NONE : op;
}

void ddb_cors_preflight(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    const api_state_t *st = req->_st;
    if (st->h.origin.len == 0) {
        /* Not a CORS request: DynamoDB's answer to an OPTIONS (recorded by dynalite). */
        resp->status = 404;
        kv_buf_append_str(&resp->body, "<UnknownOperationException/>\n");
        return;
    }
    resp->status = 200;
    api_resp_header(resp, "Access-Control-Allow-Origin", KV_SLICE_LIT("*"));
    kv_slice_t hdrs = api_req_header(req, "access-control-request-headers");
    if (hdrs.len)
        api_resp_header(resp, "Access-Control-Allow-Headers", hdrs);
    kv_slice_t method = api_req_header(req, "access-control-request-method");
    if (method.len)
        api_resp_header(resp, "Access-Control-Allow-Methods", method);
    api_resp_header(resp, "Access-Control-Expose-Headers", KV_SLICE_LIT(CORS_EXPOSE));
    api_resp_header(resp, "Access-Control-Max-Age", KV_SLICE_LIT(CORS_MAX_AGE));
}

bool ddb_cors_finish(api_req_t *req, api_resp_t *resp)
{
    const api_state_t *st = req->_st;
    if (st->svc == &ddb_service && st->op == DDB_OP_PREFLIGHT) {
        api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(st->request_id));
        return true;
    }
    if (st->h.origin.len) {
        api_resp_header(resp, "Access-Control-Allow-Origin", KV_SLICE_LIT("*"));
        api_resp_header(resp, "Access-Control-Expose-Headers", KV_SLICE_LIT(CORS_EXPOSE));
    }
    return false;
}
