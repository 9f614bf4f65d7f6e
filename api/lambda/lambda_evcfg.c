/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A function's settings for asynchronous invocations (Put/Update/Get/Delete/
 * ListFunctionEventInvokeConfig(s)): the retries, the largest event age and the destinations
 * for success and failure (a function here, or on failure a bucket here), kept as a small JSON
 * document in the function's record; lambda_invoke.c reads them for every Event invocation.
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_time.h"
#include "lambda_int.h"

#define ASYNC_AGE_MIN 60

void lambda_evcfg_read(kv_arena_t *a, const char *doc, evcfg_t *c)
{
    *c = (evcfg_t){.retries = -1, .max_age_s = -1};
    api_json_t *root;
    const char *err;
    if (doc == NULL || api_json_parse(a, kv_slice_str(doc), &root, &err) < 0 ||
        api_json_type(root) != API_J_OBJ)
        return;
    const api_json_t *v;
    if ((v = api_json_get(root, "MaximumRetryAttempts")) && !api_json_int(v, &c->retries))
        c->retries = -1;
    if ((v = api_json_get(root, "MaximumEventAgeInSeconds")) && !api_json_int(v, &c->max_age_s))
        c->max_age_s = -1;
    if ((v = api_json_get(root, "LastModified")) && !api_json_int(v, &c->modified_ms))
        c->modified_ms = 0;
    const char **dst[2] = {&c->on_success, &c->on_failure};
    const char *names[2] = {"OnSuccess", "OnFailure"};
    for (int i = 0; i < 2; i++)
        if ((v = api_json_get(root, names[i])) && api_json_type(v) == API_J_STR)
            *dst[i] = kv_arena_strndup(a, api_json_str(v).p, api_json_str(v).len);
}

static const char *evcfg_write(kv_arena_t *a, const evcfg_t *c)
{
    kv_buf_t b;
    kv_buf_init(&b, 8192);
    api_jw_t w;
    api_jw_init(&w, &b);
    api_jw_obj_begin(&w);
    if (c->retries >= 0)
        api_jw_ku64(&w, "MaximumRetryAttempts", (uint64_t)c->retries);
    if (c->max_age_s >= 0)
        api_jw_ku64(&w, "MaximumEventAgeInSeconds", (uint64_t)c->max_age_s);
    if (c->on_success)
        api_jw_kstr(&w, "OnSuccess", c->on_success);
    if (c->on_failure)
        api_jw_kstr(&w, "OnFailure", c->on_failure);
    api_jw_ku64(&w, "LastModified", (uint64_t)c->modified_ms);
    api_jw_obj_end(&w);
    const char *out = kv_arena_strndup(a, b.p, b.len);
    kv_buf_dispose(&b);
    return out;
}

static void evcfg_encode(api_ctx_t *ctx, const eng_function_t *f, const evcfg_t *c, api_jw_t *w)
{
    char arn[300], when[40];
    api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%s:$LATEST", f->name);
    api_jw_obj_begin(w);
    snprintf(when, sizeof(when), "%lld.%03d", (long long)(c->modified_ms / 1000),
             (int)(c->modified_ms % 1000));
    api_jw_key(w, "LastModified");
    api_jw_raw(w, kv_slice_str(when));
    api_jw_kstr(w, "FunctionArn", arn);
    if (c->retries >= 0)
        api_jw_ku64(w, "MaximumRetryAttempts", (uint64_t)c->retries);
    if (c->max_age_s >= 0)
        api_jw_ku64(w, "MaximumEventAgeInSeconds", (uint64_t)c->max_age_s);
    api_jw_key(w, "DestinationConfig");
    api_jw_obj_begin(w);
    const char *dst[2] = {c->on_success, c->on_failure};
    const char *names[2] = {"OnSuccess", "OnFailure"};
    for (int i = 0; i < 2; i++) {
        api_jw_key(w, names[i]);
        api_jw_obj_begin(w);
        if (dst[i])
            api_jw_kstr(w, "Destination", dst[i]);
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
    api_jw_obj_end(w);
}

/* Is dest a destination this server can deliver to: a function here, or (on failure) a bucket
 * here? */
static int check_destination(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t dest,
                             bool failure)
{
    kv_slice_t name;
    int rc = KV_ENOTFOUND;
    if (lambda_arn_function(dest, &name)) {
        eng_function_t *fn;
        rc = eng_function_get(ctx->eng, name, req->arena, &fn);
    } else if (failure && lambda_arn_bucket(dest, &name)) {
        eng_bucket_t *b;
        rc = eng_bucket_get(ctx->eng, name, req->arena, &b);
    }
    if (rc == 0)
        return 0;
    return api_refuse(
        resp, API_E_LAMBDA_INVALID_PARAM,
        "The destination ARN %.*s is invalid: this server delivers to a Lambda function "
        "it has%s.",
        (int)(dest.len > 300 ? 300 : dest.len), (const char *)dest.p,
        failure ? ", or a bucket it has" : "");
}

int lambda_op_event_config(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, int op,
                           api_jw_t *w)
{
    eng_function_t *f;
    if (lambda_load_fn(ctx, req, resp, raw, &f) < 0)
        return -1;
    kv_slice_t qual = KV_SLICE_NULL;
    api_req_query(req, "Qualifier", &qual);
    if (qual.len && !kv_slice_eq_str(qual, "$LATEST"))
        return api_refuse(resp, API_E_LAMBDA_NOT_FOUND, "Function not found: %.*s:%.*s",
                          (int)strlen(f->name), f->name, (int)(qual.len > 64 ? 64 : qual.len),
                          (const char *)qual.p);
    evcfg_t c;
    lambda_evcfg_read(req->arena, f->event_config, &c);
    if (op == LAMBDA_OP_list_function_event_invoke_configs) {
        lambda_respond_json(resp, 200);
        api_jw_obj_begin(w);
        api_jw_key(w, "FunctionEventInvokeConfigs");
        api_jw_arr_begin(w);
        if (f->event_config)
            evcfg_encode(ctx, f, &c, w);
        api_jw_arr_end(w);
        api_jw_obj_end(w);
        return 0;
    }
    if ((op == LAMBDA_OP_get_function_event_invoke_config ||
         op == LAMBDA_OP_delete_function_event_invoke_config) &&
        f->event_config == NULL) {
        char arn[256];
        lambda_fn_arn(ctx, f->name, arn, sizeof(arn));
        return api_refuse(resp, API_E_LAMBDA_NOT_FOUND,
                          "The function %s doesn't have an EventInvokeConfig", arn);
    }
    if (op == LAMBDA_OP_put_function_event_invoke_config ||
        op == LAMBDA_OP_update_function_event_invoke_config) {
        const api_json_t *in = lambda_body_json(req, resp);
        if (in == NULL)
            return -1;
        if (op == LAMBDA_OP_put_function_event_invoke_config)
            c = (evcfg_t){.retries = -1, .max_age_s = -1};
        int64_t v;
        int r;
        if ((r = lambda_int_in(resp, in, "MaximumRetryAttempts", "maximumRetryAttempts", 0,
                               LAMBDA_ASYNC_RETRIES, &v)) < 0)
            return -1;
        if (r)
            c.retries = v;
        if ((r = lambda_int_in(resp, in, "MaximumEventAgeInSeconds", "maximumEventAgeInSeconds",
                               ASYNC_AGE_MIN, LAMBDA_ASYNC_AGE_MAX, &v)) < 0)
            return -1;
        if (r)
            c.max_age_s = v;
        const api_json_t *dc = api_json_get(in, "DestinationConfig");
        const char *names[2] = {"OnSuccess", "OnFailure"};
        const char **dst[2] = {&c.on_success, &c.on_failure};
        for (int i = 0; dc && i < 2; i++) {
            const api_json_t *o = api_json_get(dc, names[i]);
            const api_json_t *d = o ? api_json_get(o, "Destination") : NULL;
            if (o == NULL)
                continue;
            *dst[i] = NULL;
            if (d == NULL || api_json_type(d) != API_J_STR || api_json_str(d).len == 0)
                continue;
            if (check_destination(ctx, req, resp, api_json_str(d), i == 1) < 0)
                return -1;
            *dst[i] = lambda_dup_str(req, api_json_str(d));
        }
        c.modified_ms = kv_now_ms();
        f->event_config = evcfg_write(req->arena, &c);
    } else if (op == LAMBDA_OP_delete_function_event_invoke_config) {
        f->event_config = NULL;
    }
    if (op != LAMBDA_OP_get_function_event_invoke_config && lambda_fn_save(ctx, resp, f) < 0)
        return -1;
    if (op == LAMBDA_OP_delete_function_event_invoke_config) {
        resp->status = 204;
        return 0;
    }
    lambda_respond_json(resp, 200);
    evcfg_encode(ctx, f, &c, w);
    return 0;
}
