/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event source mappings' API (Create/Get/List/Update/DeleteEventSourceMapping): a mapping
 * ties a DynamoDB stream or an SQS queue to a function with its batching, filtering, retry and
 * on-failure settings, kept by the engine; each change wakes the esm job, which delivers the
 * records (lambda_esm.c, lambda_esm_sqs.c). SQS mappings are validated as Lambda validates
 * them (sqs_check).
 */
#include <stdio.h>
#include <string.h>

#include "../api_msg.h"
#include "../codec/api_pattern.h"
#include "../ddb/ddb_int.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "lambda_int.h"

#define ESM_BATCH_MAX 10000

static void encode_filters(const eng_mapping_t *m, api_jw_t *w)
{
    if (m->n_patterns == 0)
        return;
    api_jw_key(w, "FilterCriteria");
    api_jw_obj_begin(w);
    api_jw_key(w, "Filters");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < m->n_patterns; i++) {
        api_jw_obj_begin(w);
        api_jw_kstr(w, "Pattern", m->patterns[i]);
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}

static void encode_modified(const eng_mapping_t *m, api_jw_t *w)
{
    char t[32];
    int n = snprintf(t, sizeof(t), "%lld.%03lld", (long long)(m->modified_ms / 1000),
                     (long long)(m->modified_ms % 1000));
    api_jw_key(w, "LastModified");
    api_jw_raw(w, kv_slice(t, (size_t)n));
}

/* A mapping on an SQS queue, with the members Lambda shows for one (no stream settings). */
static void encode_sqs_mapping(const eng_mapping_t *m, const char *arn, const char *state,
                               api_jw_t *w)
{
    api_jw_obj_begin(w);
    api_jw_kstr(w, "UUID", m->uuid);
    api_jw_ku64(w, "BatchSize", m->batch_size);
    api_jw_ku64(w, "MaximumBatchingWindowInSeconds", m->window_s);
    api_jw_kstr(w, "EventSourceArn", m->source_arn);
    encode_filters(m, w);
    api_jw_kstr(w, "FunctionArn", arn);
    encode_modified(m, w);
    api_jw_kstr(w, "State", state ? state : m->enabled ? "Enabled" : "Disabled");
    api_jw_kstr(w, "StateTransitionReason", "USER_INITIATED");
    api_jw_key(w, "FunctionResponseTypes");
    api_jw_arr_begin(w);
    if (m->report_failures)
        api_jw_cstr(w, "ReportBatchItemFailures");
    api_jw_arr_end(w);
    if (m->max_concurrency) {
        api_jw_key(w, "ScalingConfig");
        api_jw_obj_begin(w);
        api_jw_ku64(w, "MaximumConcurrency", m->max_concurrency);
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
}

static void encode_mapping(api_ctx_t *ctx, const eng_mapping_t *m, const char *state, api_jw_t *w)
{
    char arn[256];
    lambda_fn_arn(ctx, m->function, arn, sizeof(arn));
    if (m->source == ENG_SOURCE_SQS) {
        encode_sqs_mapping(m, arn, state, w);
        return;
    }
    api_jw_obj_begin(w);
    api_jw_kstr(w, "UUID", m->uuid);
    api_jw_ku64(w, "BatchSize", m->batch_size);
    api_jw_ku64(w, "MaximumBatchingWindowInSeconds", m->window_s);
    api_jw_ku64(w, "ParallelizationFactor", m->parallel);
    api_jw_kstr(w, "EventSourceArn", m->source_arn);
    api_jw_kstr(w, "FunctionArn", arn);
    encode_modified(m, w);
    char t[32];
    int n;
    api_jw_kstr(w, "LastProcessingResult", api_esm_last_result(ctx, m->uuid));
    api_jw_kstr(w, "State", state ? state : m->enabled ? "Enabled" : "Disabled");
    api_jw_kstr(w, "StateTransitionReason", "User action");
    api_jw_kstr(w, "StartingPosition",
                m->start == ENG_START_TRIM_HORIZON ? "TRIM_HORIZON"
                : m->start == ENG_START_LATEST     ? "LATEST"
                                                   : "AT_TIMESTAMP");
    if (m->start == ENG_START_AT_TIMESTAMP) {
        n = snprintf(t, sizeof(t), "%lld.%03lld", (long long)(m->start_ms / 1000),
                     (long long)(m->start_ms % 1000));
        api_jw_key(w, "StartingPositionTimestamp");
        api_jw_raw(w, kv_slice(t, (size_t)n));
    }
    encode_filters(m, w);
    api_jw_key(w, "DestinationConfig");
    api_jw_obj_begin(w);
    api_jw_key(w, "OnFailure");
    api_jw_obj_begin(w);
    if (m->on_failure)
        api_jw_kstr(w, "Destination", m->on_failure);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
    api_jw_key(w, "MaximumRecordAgeInSeconds");
    n = snprintf(t, sizeof(t), "%d", m->max_age_s);
    api_jw_raw(w, kv_slice(t, (size_t)n));
    api_jw_kbool(w, "BisectBatchOnFunctionError", m->bisect);
    api_jw_key(w, "MaximumRetryAttempts");
    n = snprintf(t, sizeof(t), "%d", m->max_retries);
    api_jw_raw(w, kv_slice(t, (size_t)n));
    api_jw_ku64(w, "TumblingWindowInSeconds", 0);
    api_jw_key(w, "FunctionResponseTypes");
    api_jw_arr_begin(w);
    if (m->report_failures)
        api_jw_cstr(w, "ReportBatchItemFailures");
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}

static int apply_mapping(api_req_t *req, api_resp_t *resp, const api_json_t *in, eng_mapping_t *m)
{
    int64_t v;
    int r;
    if ((r = lambda_int_in(resp, in, "BatchSize", "batchSize", 1, ESM_BATCH_MAX, &v)) < 0)
        return -1;
    if (r)
        m->batch_size = (uint32_t)v;
    if ((r = lambda_int_in(resp, in, "MaximumBatchingWindowInSeconds",
                           "maximumBatchingWindowInSeconds", 0, 300, &v)) < 0)
        return -1;
    if (r)
        m->window_s = (uint32_t)v;
    if ((r = lambda_int_in(resp, in, "ParallelizationFactor", "parallelizationFactor", 1, 10, &v)) <
        0)
        return -1;
    if (r)
        m->parallel = (uint32_t)v;
    if ((r = lambda_int_in(resp, in, "MaximumRetryAttempts", "maximumRetryAttempts", -1, 10000,
                           &v)) < 0)
        return -1;
    if (r)
        m->max_retries = (int32_t)v;
    if ((r = lambda_int_in(resp, in, "MaximumRecordAgeInSeconds", "maximumRecordAgeInSeconds", -1,
                           604800, &v)) < 0)
        return -1;
    if (r) {
        if (v >= 0 && v < 60)
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "MaximumRecordAgeInSeconds must be -1 or between 60 and 604800");
        m->max_age_s = (int32_t)v;
    }
    const api_json_t *b;
    if ((b = api_json_get(in, "BisectBatchOnFunctionError")))
        m->bisect = api_json_bool(b);
    if ((b = api_json_get(in, "Enabled")))
        m->enabled = api_json_bool(b);
    const api_json_t *types = api_json_get(in, "FunctionResponseTypes");
    if (types && api_json_type(types) == API_J_ARR) {
        m->report_failures = false;
        for (size_t i = 0; i < api_json_len(types); i++) {
            const api_json_t *t = api_json_at(types, i);
            if (api_json_type(t) != API_J_STR ||
                !kv_slice_eq_str(api_json_str(t), "ReportBatchItemFailures"))
                return api_refuse(
                    resp, API_E_LAMBDA_VALIDATION,
                    "1 validation error detected: Value at 'functionResponseTypes' "
                    "failed to satisfy constraint: Member must satisfy enum value set: "
                    "[ReportBatchItemFailures]");
            m->report_failures = true;
        }
    }
    const api_json_t *fc = api_json_get(in, "FilterCriteria");
    const api_json_t *filters = fc ? api_json_get(fc, "Filters") : NULL;
    if (fc) {
        size_t n = filters && api_json_type(filters) == API_J_ARR ? api_json_len(filters) : 0;
        if (n > 5)
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "The number of filters exceeds the limit of 5");
        m->patterns = kv_arena_calloc(req->arena, n + 1, sizeof(*m->patterns));
        m->n_patterns = 0;
        for (size_t i = 0; i < n; i++) {
            const api_json_t *p = api_json_get(api_json_at(filters, i), "Pattern");
            api_pattern_t *compiled; /* Lambda refuses what EventBridge's validator refuses */
            const char *err;
            if (p == NULL || api_json_type(p) != API_J_STR ||
                api_pattern_compile(req->arena, api_json_str(p), API_PAT_NUMSTR, &compiled, &err) <
                    0)
                return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                                  "Invalid filter pattern definition.");
            m->patterns[m->n_patterns++] = lambda_dup_str(req, api_json_str(p));
        }
    }
    const api_json_t *dc = api_json_get(in, "DestinationConfig");
    const api_json_t *of = dc ? api_json_get(dc, "OnFailure") : NULL;
    const api_json_t *dest = of ? api_json_get(of, "Destination") : NULL;
    if (of) {
        m->on_failure = NULL;
        if (dest && api_json_type(dest) == API_J_STR && api_json_str(dest).len) {
            if (!kv_slice_starts_with(api_json_str(dest), "arn:"))
                return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                                  "The destination ARN is not valid");
            m->on_failure = lambda_dup_str(req, api_json_str(dest));
        }
    }
    return 0;
}

/* The function raw names (a name, name:qualifier, an ARN): its name as a mapping keeps it, into
 * *out, and the timeout of the version it names, into *timeout_s. @return -1 refused */
static int function_named(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw,
                          const char **out, uint32_t *timeout_s)
{
    /* A qualified name (name:alias, name:version, a qualified ARN) is kept as "name:qualifier":
     * its batches go to that version or alias, and FunctionArn shows it, as on Lambda. */
    lambda_target_t t;
    if (lambda_target(ctx, req, resp, raw, &t) < 0)
        return -1;
    if (t.qual == NULL || strcmp(t.qual, "$LATEST") == 0)
        *out = t.latest->name;
    else
        *out = kv_arena_printf(req->arena, "%s:%s", t.latest->name, t.qual);
    *timeout_s = t.f ? t.f->timeout_s : t.latest->timeout_s;
    return 0;
}

/* An on-failure destination that is an SQS queue, SNS topic or EventBridge bus must exist here
 * (issue 14). */
static int check_on_failure(api_ctx_t *ctx, api_resp_t *resp, const eng_mapping_t *m)
{
    kv_slice_t d = kv_slice_str(m->on_failure ? m->on_failure : "");
    if (!api_msg_is_target(d) || api_msg_exists(ctx, d))
        return 0;
    return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                      "The provided destination config DestinationConfig(onSuccess=null, "
                      "onFailure=OnFailure(destination=%.*s)) is invalid.",
                      (int)(d.len > 300 ? 300 : d.len), (const char *)d.p);
}

static int function_of(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                       const char **out, uint32_t *timeout_s)
{
    const api_json_t *fn = api_json_get(in, "FunctionName");
    if (fn == NULL || api_json_type(fn) != API_J_STR)
        return api_refuse(
            resp, API_E_LAMBDA_VALIDATION,
            "1 validation error detected: Value null at 'functionName' failed to satisfy "
            "constraint: Member must not be null");
    return function_named(ctx, req, resp, api_json_str(fn), out, timeout_s);
}

/* Is arn an SQS queue's ARN (arn:aws:sqs:<region>:<account>:<name>)? */
static bool sqs_arn(kv_slice_t arn)
{
    return kv_slice_starts_with(arn, "arn:aws:sqs:");
}

/* The members Lambda refuses on an SQS mapping (stream settings). */
static const char *const sqs_refused[] = {
    "StartingPosition",          "StartingPositionTimestamp",  "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "ParallelizationFactor",
    "TumblingWindowInSeconds",   "DestinationConfig",
};

/* Refuse the stream settings in an SQS mapping's request. @return -1 refused */
static int sqs_members(api_resp_t *resp, const api_json_t *in)
{
    for (size_t i = 0; i < sizeof(sqs_refused) / sizeof(*sqs_refused); i++) {
        const api_json_t *v = api_json_get(in, sqs_refused[i]);
        if (v == NULL || api_json_type(v) == API_J_NULL)
            continue;
        if (strcmp(sqs_refused[i], "DestinationConfig") == 0) {
            /* an empty OnFailure (what SDKs send for "none") is no destination */
            const api_json_t *of = api_json_get(v, "OnFailure");
            if (lambda_str_member(of ? of : v, "Destination").len == 0)
                continue;
        }
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "%s is not valid for SQS event sources.", sqs_refused[i]);
    }
    return 0;
}

/* Check an SQS mapping's settings as Lambda does, on create and update (in: the request; m:
 * the mapping with the request applied; timeout_s: its function's timeout). Takes
 * ScalingConfig. @return -1 refused */
static int sqs_check(api_ctx_t *ctx, api_resp_t *resp, const api_json_t *in, eng_mapping_t *m,
                     uint32_t timeout_s)
{
    const api_json_t *sc = api_json_get(in, "ScalingConfig");
    if (sc && api_json_type(sc) == API_J_OBJ) {
        int64_t v;
        int r = lambda_int_in(resp, sc, "MaximumConcurrency", "scalingConfig.maximumConcurrency", 2,
                              1000, &v);
        if (r < 0)
            return -1;
        m->max_concurrency = r ? (uint32_t)v : 0; /* {} takes it away */
    }
    kv_slice_t arn = kv_slice_str(m->source_arn);
    bool fifo = arn.len > 5 && memcmp(arn.p + arn.len - 5, ".fifo", 5) == 0;
    if (fifo && m->batch_size > 10)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Batch size for FIFO queues must be between 1 and 10.");
    if (fifo && m->window_s)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Batching window is not supported for FIFO queues.");
    if (m->batch_size > 10 && m->window_s == 0)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Maximum batch window in seconds must be greater than 0 if maximum "
                          "batch size is greater than 10");
    unsigned vis_s;
    if (api_sqs_info(ctx, arn, &vis_s, NULL) < 0)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Error occurred while ReceiveMessage. SQS Error Code: "
                          "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The "
                          "specified queue does not exist for this wsdl version.");
    if (vis_s < timeout_s)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Queue visibility timeout: %u seconds is less than Function timeout: %u "
                          "seconds",
                          vis_s, (unsigned)timeout_s);
    return 0;
}

int lambda_op_esm_create(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w)
{
    const api_json_t *in = lambda_body_json(req, resp);
    if (in == NULL)
        return -1;
    eng_mapping_t m;
    memset(&m, 0, sizeof(m));
    m.batch_size = 100;
    m.parallel = 1;
    m.max_retries = -1;
    m.max_age_s = -1;
    m.enabled = true;
    const api_json_t *src = api_json_get(in, "EventSourceArn");
    if (src == NULL || api_json_type(src) != API_J_STR)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Unrecognized event source, must be a DynamoDB stream ARN");
    uint32_t timeout_s;
    if (function_of(ctx, req, resp, in, &m.function, &timeout_s) < 0)
        return -1;
    kv_slice_t arn = api_json_str(src);
    if (sqs_arn(arn)) { /* an SQS queue: BatchSize 10 by default, no stream settings */
        m.source = ENG_SOURCE_SQS;
        m.batch_size = 10;
        if (arn.len > 256 || !api_sqs_exists(ctx, arn))
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "Error occurred while ReceiveMessage. SQS Error Code: "
                              "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The "
                              "specified queue does not exist for this wsdl version.");
        m.source_arn = lambda_dup_str(req, arn);
        if (sqs_members(resp, in) < 0 || apply_mapping(req, resp, in, &m) < 0 ||
            sqs_check(ctx, resp, in, &m, timeout_s) < 0)
            return -1;
        goto unique;
    }
    eng_stream_t *s;
    if (ddb_stream_by_arn(ctx, req->arena, arn, &s) < 0 || s->disabled_ms)
        return api_refuse(
            resp, API_E_LAMBDA_INVALID_PARAM,
            "Cannot access stream %.*s. Please ensure the role can perform the "
            "GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on "
            "your stream.",
            (int)(arn.len > 300 ? 300 : arn.len), (const char *)arn.p);
    m.source_arn = lambda_dup_str(req, arn);
    m.stream_id = s->id;
    const api_json_t *sp = api_json_get(in, "StartingPosition");
    kv_slice_t pos = sp && api_json_type(sp) == API_J_STR ? api_json_str(sp) : KV_SLICE_NULL;
    if (kv_slice_eq_str(pos, "TRIM_HORIZON"))
        m.start = ENG_START_TRIM_HORIZON;
    else if (kv_slice_eq_str(pos, "LATEST"))
        m.start = ENG_START_LATEST;
    else if (kv_slice_eq_str(pos, "AT_TIMESTAMP"))
        m.start = ENG_START_AT_TIMESTAMP;
    else
        return api_refuse(
            resp, API_E_LAMBDA_INVALID_PARAM,
            "1 validation error detected: Value at 'startingPosition' failed to satisfy "
            "constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, "
            "TRIM_HORIZON] and must not be null for a stream event source");
    if (m.start == ENG_START_AT_TIMESTAMP) {
        const api_json_t *ts = api_json_get(in, "StartingPositionTimestamp");
        double secs;
        if (ts == NULL || !api_json_num(ts, &secs))
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "StartingPositionTimestamp is required for AT_TIMESTAMP");
        m.start_ms = (int64_t)(secs * 1000.0);
    }
    if (apply_mapping(req, resp, in, &m) < 0 || check_on_failure(ctx, resp, &m) < 0)
        return -1;
unique:
    /* The function's execution role must be able to read the source (issue 15). */
    if (lambda_esm_role_check(ctx, req, resp, &m) < 0)
        return -1;
    /* One mapping per function and stream (or queue). */
    eng_mapping_t *all;
    size_t n;
    bool more;
    kv_slice_t after = KV_SLICE_NULL;
    do {
        if (eng_mapping_list(ctx->eng, after, 1000, req->arena, &all, &n, &more) < 0)
            return lambda_engine_fail(resp, KV_EIO);
        for (size_t i = 0; i < n; i++)
            if (strcmp(all[i].function, m.function) == 0 &&
                strcmp(all[i].source_arn, m.source_arn) == 0)
                return api_refuse(
                    resp, API_E_LAMBDA_CONFLICT,
                    "The event source arn (\" %s \") and function (\" %s \") provided "
                    "mapping already exists. Please update or delete the existing "
                    "mapping with UUID %s",
                    m.source_arn, m.function, all[i].uuid);
        if (n)
            after = kv_slice_str(all[n - 1].uuid);
    } while (more && n);
    kv_uuid4(m.uuid);
    m.modified_ms = kv_now_ms();
    int rc = eng_mapping_put(ctx->eng, &m, ENG_FN_CREATE);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    if (m.start == ENG_START_LATEST) { /* from the records after this moment */
        uint64_t first, last, trimmed;
        if (eng_stream_bounds(ctx->eng, m.stream_id, &first, &last, &trimmed) == 0)
            eng_mapping_set_checkpoint(ctx->eng, kv_slice_str(m.uuid), last);
    }
    api_esm_kick(ctx);
    resp->durable = true;
    lambda_respond_json(resp, 202);
    encode_mapping(ctx, &m, "Creating", w);
    return 0;
}

static int load_mapping(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t uuid,
                        eng_mapping_t **m)
{
    int rc =
        uuid.len && uuid.len < 40 ? eng_mapping_get(ctx->eng, uuid, req->arena, m) : KV_ENOTFOUND;
    if (rc == KV_ENOTFOUND)
        return api_refuse(
            resp, API_E_LAMBDA_NOT_FOUND,
            "The resource you requested does not exist. (Service: Lambda, Status Code: "
            "404)");
    return rc < 0 ? lambda_engine_fail(resp, rc) : 0;
}

int lambda_op_esm(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t uuid, int op,
                  api_jw_t *w)
{
    eng_mapping_t *m;
    if (load_mapping(ctx, req, resp, uuid, &m) < 0)
        return -1;
    const char *state = NULL;
    if (op == LAMBDA_OP_update_event_source_mapping) {
        const api_json_t *in = lambda_body_json(req, resp);
        if (in == NULL)
            return -1;
        eng_mapping_t nm = *m;
        uint32_t timeout_s;
        if (api_json_get(in, "FunctionName")
                ? function_of(ctx, req, resp, in, &nm.function, &timeout_s) < 0
                : function_named(ctx, req, resp, kv_slice_str(nm.function), &nm.function,
                                 &timeout_s) < 0)
            return -1;
        if (nm.source == ENG_SOURCE_SQS && sqs_members(resp, in) < 0)
            return -1;
        if (apply_mapping(req, resp, in, &nm) < 0 || check_on_failure(ctx, resp, &nm) < 0)
            return -1;
        if (nm.source == ENG_SOURCE_SQS && sqs_check(ctx, resp, in, &nm, timeout_s) < 0)
            return -1;
        if (lambda_esm_role_check(ctx, req, resp, &nm) < 0) /* issue 15 */
            return -1;
        nm.modified_ms = kv_now_ms();
        int rc = eng_mapping_put(ctx->eng, &nm, ENG_FN_UPDATE);
        if (rc < 0)
            return lambda_engine_fail(resp, rc);
        *m = nm;
        state = "Updating";
        resp->durable = true;
        api_esm_kick(ctx);
    } else if (op == LAMBDA_OP_delete_event_source_mapping) {
        int rc = eng_mapping_delete(ctx->eng, uuid);
        if (rc < 0)
            return lambda_engine_fail(resp, rc);
        state = "Deleting";
        resp->durable = true;
        api_esm_kick(ctx); /* the esm job lists the mappings again: this one is gone */
    }
    lambda_respond_json(resp, op == LAMBDA_OP_get_event_source_mapping ? 200 : 202);
    encode_mapping(ctx, m, state, w);
    return 0;
}

/* Is a mapping's function (name or name:qualifier) function fn (with qualifier fq when not
 * empty)? */
static bool mapping_of(const char *function, kv_slice_t fn, kv_slice_t fq)
{
    const char *colon = strchr(function, ':');
    size_t nl = colon ? (size_t)(colon - function) : strlen(function);
    if (!kv_slice_eq(kv_slice(function, nl), fn))
        return false;
    return fq.len == 0 || (colon && kv_slice_eq_str(fq, colon + 1));
}

int lambda_op_esm_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w)
{
    kv_slice_t marker = KV_SLICE_NULL, fn = KV_SLICE_NULL, src = KV_SLICE_NULL;
    size_t limit = 100;
    api_req_query(req, "Marker", &marker);
    api_req_query(req, "EventSourceArn", &src);
    kv_slice_t fq = KV_SLICE_NULL; /* a qualified FunctionName lists that qualifier's only */
    if (api_req_query(req, "FunctionName", &fn) && lambda_split_name(resp, fn, &fn, &fq) < 0)
        return -1;
    if (kv_slice_eq_str(fq, "$LATEST"))
        fq = KV_SLICE_NULL;
    if (lambda_max_items(req, resp, &limit) < 0)
        return -1;
    lambda_respond_json(resp, 200);
    api_jw_obj_begin(w);
    api_jw_key(w, "EventSourceMappings");
    api_jw_arr_begin(w);
    size_t shown = 0;
    const char *last = NULL;
    bool more = true;
    while (more && shown < limit) {
        eng_mapping_t *list;
        size_t n;
        if (eng_mapping_list(ctx->eng, marker, 1000, req->arena, &list, &n, &more) < 0)
            return lambda_engine_fail(resp, KV_EIO);
        for (size_t i = 0; i < n; i++) {
            marker = kv_slice_str(list[i].uuid);
            if ((fn.len && !mapping_of(list[i].function, fn, fq)) ||
                (src.len && !kv_slice_eq_str(src, list[i].source_arn)))
                continue;
            if (shown == limit) {
                more = true;
                break;
            }
            encode_mapping(ctx, &list[i], NULL, w);
            last = list[i].uuid;
            shown++;
        }
        if (n == 0)
            more = false;
    }
    api_jw_arr_end(w);
    if (more && last)
        api_jw_kstr(w, "NextMarker", last);
    api_jw_obj_end(w);
    return 0;
}
