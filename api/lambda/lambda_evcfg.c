/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A function's settings for asynchronous invocations (Put/Update/Get/Delete/
 * ListFunctionEventInvokeConfig(s)): the retries, the largest event age and the destinations
 * for success and failure (a function here, or on failure a bucket here), one set per qualifier
 * ($LATEST, a version, an alias), kept as a small JSON document in $LATEST's record: $LATEST's
 * members at the top (LastModified marks them present), the other qualifiers' documents as
 * strings under "Qualifiers". lambda_invoke.c reads the invoked qualifier's for every Event
 * invocation (lambda_target_pick).
 */
#include <stdio.h>
#include <string.h>

#include "../api_msg.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "lambda_int.h"

#define ASYNC_AGE_MIN 60
#define STORE_MAX     (512u << 10) /* every qualifier's settings of a function, stored */

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

static void evcfg_fields(api_jw_t *w, const evcfg_t *c)
{
    if (c->retries >= 0)
        api_jw_ku64(w, "MaximumRetryAttempts", (uint64_t)c->retries);
    if (c->max_age_s >= 0)
        api_jw_ku64(w, "MaximumEventAgeInSeconds", (uint64_t)c->max_age_s);
    if (c->on_success)
        api_jw_kstr(w, "OnSuccess", c->on_success);
    if (c->on_failure)
        api_jw_kstr(w, "OnFailure", c->on_failure);
    api_jw_ku64(w, "LastModified", (uint64_t)c->modified_ms);
}

static const char *evcfg_write(kv_arena_t *a, const evcfg_t *c)
{
    kv_buf_t b;
    kv_buf_init(&b, 8192);
    api_jw_t w;
    api_jw_init(&w, &b);
    api_jw_obj_begin(&w);
    evcfg_fields(&w, c);
    api_jw_obj_end(&w);
    const char *out = kv_arena_strndup(a, b.p, b.len);
    kv_buf_dispose(&b);
    return out;
}

static bool is_latest(const char *qual)
{
    return qual == NULL || strcmp(qual, "$LATEST") == 0;
}

/* The stored document's root object, or NULL. */
static const api_json_t *store_root(kv_arena_t *a, const char *doc)
{
    api_json_t *root;
    const char *err;
    if (doc == NULL || api_json_parse(a, kv_slice_str(doc), &root, &err) < 0 ||
        api_json_type(root) != API_J_OBJ)
        return NULL;
    return root;
}

const char *lambda_evcfg_doc(kv_arena_t *a, const eng_function_t *latest, const char *qual)
{
    const api_json_t *root = store_root(a, latest->event_config);
    if (root == NULL)
        return NULL;
    if (is_latest(qual))
        return api_json_get(root, "LastModified") ? latest->event_config : NULL;
    const api_json_t *qs = api_json_get(root, "Qualifiers");
    const api_json_t *v = qs ? api_json_get(qs, qual) : NULL;
    if (v == NULL || api_json_type(v) != API_J_STR)
        return NULL;
    return kv_arena_strndup(a, api_json_str(v).p, api_json_str(v).len);
}

/* The stored document with qualifier qual's settings replaced by doc (NULL: removed) into *out
 * (NULL when no qualifier has any left). @return -1: it would pass STORE_MAX bytes */
static int store_set(kv_arena_t *a, const char *stored, const char *qual, const char *doc,
                     const char **out)
{
    const api_json_t *root = store_root(a, stored);
    const api_json_t *qs = root ? api_json_get(root, "Qualifiers") : NULL;
    const char *latest_doc = is_latest(qual)                              ? doc
                             : root && api_json_get(root, "LastModified") ? stored
                                                                          : NULL;
    kv_buf_t b;
    kv_buf_init(&b, STORE_MAX);
    api_jw_t w;
    api_jw_init(&w, &b);
    api_jw_obj_begin(&w);
    if (latest_doc) {
        evcfg_t c;
        lambda_evcfg_read(a, latest_doc, &c);
        evcfg_fields(&w, &c);
    }
    bool any = latest_doc != NULL, opened = false;
    void *it = NULL;
    const char *key;
    api_json_t *val;
    while (qs && api_json_next(qs, &it, &key, &val)) {
        if (!is_latest(qual) && strcmp(key, qual) == 0)
            continue;
        if (!opened)
            api_jw_key(&w, "Qualifiers"), api_jw_obj_begin(&w), opened = true;
        api_jw_key(&w, key);
        api_jw_str(&w, api_json_str(val));
        any = true;
    }
    if (!is_latest(qual) && doc) {
        if (!opened)
            api_jw_key(&w, "Qualifiers"), api_jw_obj_begin(&w), opened = true;
        api_jw_kstr(&w, qual, doc);
        any = true;
    }
    if (opened)
        api_jw_obj_end(&w);
    api_jw_obj_end(&w);
    int rc = kv_buf_failed(&b) ? -1 : 0;
    *out = any && rc == 0 ? kv_arena_strndup(a, b.p, b.len) : NULL;
    kv_buf_dispose(&b);
    return rc;
}

void lambda_evcfg_forget(api_ctx_t *ctx, kv_slice_t name, const char *qual)
{
    kv_arena_t *a = kv_arena_new(8192);
    eng_function_t *f;
    if (eng_function_get(ctx->eng, name, a, &f) == 0 && lambda_evcfg_doc(a, f, qual)) {
        int rc = store_set(a, f->event_config, qual, NULL, &f->event_config) < 0
                     ? KV_ETOOBIG
                     : eng_function_put(ctx->eng, f, KV_SLICE_NULL, ENG_FN_UPDATE);
        if (rc < 0)
            KV_LOG_WARN("lambda: the asynchronous settings of %s:%s stay: %s", f->name, qual,
                        kv_err_name(rc));
    }
    kv_arena_free(a);
}

static void evcfg_encode(api_ctx_t *ctx, const char *fn, const char *qual, const evcfg_t *c,
                         api_jw_t *w)
{
    char arn[300], when[40];
    api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%s:%s", fn,
                  qual ? qual : "$LATEST");
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
    } else if (api_msg_is_target(dest)) { /* an SQS queue, SNS topic or EventBridge bus */
        rc = api_msg_exists(ctx, dest) ? 0 : KV_ENOTFOUND;
    }
    if (rc == 0)
        return 0;
    return api_refuse(
        resp, API_E_LAMBDA_INVALID_PARAM,
        "The destination ARN %.*s is invalid: this server delivers to a Lambda function, an "
        "SQS queue, an SNS topic or an EventBridge event bus it has%s.",
        (int)(dest.len > 300 ? 300 : dest.len), (const char *)dest.p,
        failure ? ", or a bucket it has" : "");
}

/* ListFunctionEventInvokeConfigs: every qualifier's settings, $LATEST's first. */
static int evcfg_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_function_t *f,
                      api_jw_t *w)
{
    lambda_respond_json(resp, 200);
    api_jw_obj_begin(w);
    api_jw_key(w, "FunctionEventInvokeConfigs");
    api_jw_arr_begin(w);
    evcfg_t c;
    const char *doc = lambda_evcfg_doc(req->arena, f, NULL);
    if (doc) {
        lambda_evcfg_read(req->arena, doc, &c);
        evcfg_encode(ctx, f->name, NULL, &c, w);
    }
    const api_json_t *root = store_root(req->arena, f->event_config);
    const api_json_t *qs = root ? api_json_get(root, "Qualifiers") : NULL;
    void *it = NULL;
    const char *key;
    api_json_t *val;
    while (qs && api_json_next(qs, &it, &key, &val)) {
        lambda_evcfg_read(req->arena, lambda_dup_str(req, api_json_str(val)), &c);
        evcfg_encode(ctx, f->name, key, &c, w);
    }
    api_jw_arr_end(w);
    api_jw_obj_end(w);
    return 0;
}

int lambda_op_event_config(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, int op,
                           api_jw_t *w)
{
    lambda_target_t t;
    if (lambda_target(ctx, req, resp, raw, &t) < 0)
        return -1;
    eng_function_t *f = t.latest;
    if (op == LAMBDA_OP_list_function_event_invoke_configs)
        return evcfg_list(ctx, req, resp, f, w);
    const char *qual = is_latest(t.qual) ? NULL : t.qual;
    const char *doc = lambda_evcfg_doc(req->arena, f, qual);
    evcfg_t c;
    lambda_evcfg_read(req->arena, doc, &c);
    if ((op == LAMBDA_OP_get_function_event_invoke_config ||
         op == LAMBDA_OP_delete_function_event_invoke_config) &&
        doc == NULL) {
        char arn[400];
        if (qual)
            api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%s:%s", f->name, qual);
        else
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
            if (check_destination(ctx, req, resp, api_json_str(d), i == 1) < 0 ||
                lambda_dest_role_check(
                    ctx, req, resp, /* the role may send to it (issue 15) */
                    kv_slice_str(qual ? kv_arena_printf(req->arena, "%s:%s", f->name, qual)
                                      : f->name),
                    lambda_dup_str(req, api_json_str(d))) < 0)
                return -1;
            *dst[i] = lambda_dup_str(req, api_json_str(d));
        }
        c.modified_ms = kv_now_ms();
        if (store_set(req->arena, f->event_config, qual, evcfg_write(req->arena, &c),
                      &f->event_config) < 0)
            return lambda_engine_fail(resp, KV_ETOOBIG);
    } else if (op == LAMBDA_OP_delete_function_event_invoke_config &&
               store_set(req->arena, f->event_config, qual, NULL, &f->event_config) < 0) {
        return lambda_engine_fail(resp, KV_ETOOBIG);
    }
    if (op != LAMBDA_OP_get_function_event_invoke_config && lambda_fn_save(ctx, resp, f) < 0)
        return -1;
    if (op == LAMBDA_OP_delete_function_event_invoke_config) {
        resp->status = 204;
        return 0;
    }
    lambda_respond_json(resp, 200);
    evcfg_encode(ctx, f->name, qual, &c, w);
    return 0;
}
