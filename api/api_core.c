/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request lifecycle: routing to a protocol and operation, the body sink, the
 * final dispatch, protocol response headers, and the ops endpoints.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "api_int.h"
#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "codec/api_json_r.h"
#include "codec/api_jw.h"

static const char *const op_names[API_OP__COUNT] = {"Unknown", "Health", "Metrics",
#define XX(Name, name) #Name,
                                                    DDB_OP_MAP(XX)
#undef XX
#define XX(Name, name) #Name,
                                                        STREAMS_OP_MAP(XX)
#undef XX
#define XX(Name, name) #Name,
                                                            S3_OP_MAP(XX)
#undef XX
#define XX(Name, name) #Name,
                                                                LAMBDA_OP_MAP(XX)
#undef XX
#define XX(Name, name) #Name,
                                                                    LOGS_OP_MAP(XX)
#undef XX
};

const char *api_op_name(api_op_t op)
{
    return (unsigned)op < API_OP__COUNT ? op_names[op] : "Unknown";
}

void api_global_init(void)
{
    api_json_global_init();
}

int api_open(const api_cfg_t *cfg, api_ctx_t **out)
{
    eng_opts_t eo = {cfg->data_dir, (eng_fsync_t)cfg->fsync, cfg->batch_sync_ms,
                     cfg->disk_reserve == 0  ? ENG_RESERVE_AUTO
                     : cfg->disk_reserve < 0 ? 0
                                             : (uint64_t)cfg->disk_reserve};
    eng_t *eng;
    int rc = eng_open(&eo, &eng);
    if (rc < 0)
        return rc;
    api_ctx_t *ctx = kv_calloc(1, sizeof(*ctx));
    ctx->eng = eng;
    ctx->region = kv_strdup(cfg->region);
    ctx->access_key = kv_strdup(cfg->access_key);
    ctx->secret_key = kv_strdup(cfg->secret_key);
    ctx->start_ms = kv_now_ms();
    ctx->start_mono_ns = kv_now_mono_ns();
    ctx->lifecycle_day_ms = cfg->lifecycle_day_ms > 0 ? cfg->lifecycle_day_ms : 86400000;
    pthread_mutex_init(&ctx->txn_lock, NULL);
    api__unauth_init(ctx);
    ctx->stream_keep_ms = cfg->stream_keep_ms > 0 ? cfg->stream_keep_ms : 86400000;
    ctx->stream_shard_ms = cfg->stream_shard_ms > 0 ? cfg->stream_shard_ms : 4 * 3600 * 1000;
    eng_stream_set_shard_ms(ctx->eng, ctx->stream_shard_ms);
    ctx->data_dir = kv_strdup(cfg->data_dir);
    api_esm_init(ctx);
    ddb_bg_init(ctx);
    s3_bg_init(ctx);
    api_sched_init(ctx);
    api_sched_set_period(ctx, "lifecycle", cfg->sweep_interval_ms);
    kv_random(&ctx->iter_key, sizeof(ctx->iter_key));
    *out = ctx;
    return 0;
}

void api_close(api_ctx_t *ctx)
{
    if (ctx == NULL)
        return;
    /* The runner has finished every invocation: nothing calls back into the jobs' state. */
    api_esm_free(ctx);
    ddb_bg_free(ctx);
    s3_bg_free(ctx);
    eng_close(ctx->eng);
    api_sched_free(ctx); /* after the engine: its commit notifier is the scheduler's */
    pthread_mutex_destroy(&ctx->txn_lock);
    api__unauth_dispose(ctx);
    kv_free(ctx->region);
    kv_free(ctx->data_dir);
    kv_free(ctx->access_key);
    if (ctx->secret_key) {
        memset(ctx->secret_key, 0, strlen(ctx->secret_key));
        kv_free(ctx->secret_key);
    }
    kv_free(ctx);
}

/* ---- request and response helpers ---- */

kv_slice_t api_req_header(const api_req_t *req, const char *name)
{
    for (size_t i = 0; i < req->n_hdrs; i++)
        if (kv_slice_eq_nocase(req->hdrs[i].name, name))
            return req->hdrs[i].value;
    return KV_SLICE_NULL;
}

bool api_req_has_header(const api_req_t *req, const char *name)
{
    for (size_t i = 0; i < req->n_hdrs; i++)
        if (kv_slice_eq_nocase(req->hdrs[i].name, name))
            return true;
    return false;
}

bool api_req_query(const api_req_t *req, const char *name, kv_slice_t *out)
{
    kv_slice_t q = req->query, k, raw;
    while (sigv4_query_next(&q, &k, &raw, NULL)) {
        if (!kv_slice_eq_str(k, name))
            continue;
        if (!api_form_decode(req->arena, raw, out))
            *out = raw;
        return true;
    }
    return false;
}

bool api_form_decode(kv_arena_t *a, kv_slice_t raw, kv_slice_t *out)
{
    /* A literal '+' is a space (form encoding); "%2B" is a plus. */
    kv_slice_t plus = kv_arena_dup(a, raw);
    for (size_t j = 0; j < plus.len; j++)
        if (plus.p[j] == '+')
            ((uint8_t *)(uintptr_t)plus.p)[j] = ' ';
    kv_buf_t d;
    kv_buf_init(&d, raw.len + 1);
    bool ok = sigv4_uri_decode(&d, plus);
    if (ok)
        *out = kv_arena_dup(a, kv_buf_slice(&d));
    kv_buf_dispose(&d);
    return ok;
}

void api_resp_header(api_resp_t *resp, const char *name, kv_slice_t value)
{
    if (resp->n_hdrs == resp->cap_hdrs) {
        size_t cap = resp->cap_hdrs ? resp->cap_hdrs * 2 : API_RESP_HDRS_INIT;
        api_hdr_t *h = kv_arena_calloc(resp->_arena, cap, sizeof(*h));
        if (resp->n_hdrs)
            memcpy(h, resp->hdrs, resp->n_hdrs * sizeof(*h));
        resp->hdrs = h;
        resp->cap_hdrs = cap;
    }
    resp->hdrs[resp->n_hdrs].name = kv_slice_str(name);
    resp->hdrs[resp->n_hdrs].value = kv_arena_dup(resp->_arena, value);
    resp->n_hdrs++;
}

void api_resp_headerf(api_resp_t *resp, const char *name, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    api_resp_header(resp, name,
                    kv_slice(tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1));
}

static bool resp_has_header(const api_resp_t *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_hdrs; i++)
        if (kv_slice_eq_nocase(resp->hdrs[i].name, name))
            return true;
    return false;
}

void api_resp_init(api_resp_t *resp, const api_req_t *req)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    kv_buf_init(&resp->body, API_RESP_BODY_MAX);
    resp->_arena = req->arena;
    resp->_st = req->_st;
}

void api_resp_dispose(api_resp_t *resp)
{
    kv_buf_dispose(&resp->body);
    if (resp->src.read && resp->src.close)
        resp->src.close(resp->src.arg);
    resp->src.read = NULL;
}

#define API_DISK_FULL_MSG                                                                   \
    "The server's disk is nearly full: writes are refused until space is freed (reads and " \
    "deletes still work)."

#define API_SPACE_CHECK_MIN (1u << 20) /* bodies from this size are checked against the disk */

static void vfail(api_resp_t *resp, api_err_t e, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void vfail(api_resp_t *resp, api_err_t e, const char *fmt, va_list ap)
{
    static const int status[] = {0,
#define XX(name, st, ns, code, msg) st,
                                 API_ERR_MAP(XX)
#undef XX
    };
    static const char *const msgs[] = {"",
#define XX(name, st, ns, code, msg) msg,
                                       API_ERR_MAP(XX)
#undef XX
    };
    /* An internal error after the free-space guard refused a write of this request is the
     * protocol's throttling error: the client backs off and retries once space is freed. */
    api_err_t busy = e == API_E_DDB_INTERNAL     ? API_E_DDB_THROTTLING
                     : e == API_E_S3_INTERNAL    ? API_E_S3_SLOW_DOWN
                     : e == API_E_LAMBDA_SERVICE ? API_E_LAMBDA_TOO_MANY
                     : e == API_E_LOGS_SERVICE   ? API_E_LOGS_THROTTLING
                                                 : API_E_NONE;
    if (busy != API_E_NONE && resp->_st && eng_space_refusals() != resp->_st->refusals_at) {
        e = busy;
        fmt = NULL;
        resp->_msg = API_DISK_FULL_MSG;
        resp->_err = (int)e;
        resp->status = status[e];
        api_resp_header(resp, "Retry-After", KV_SLICE_LIT("1"));
        return;
    }
    resp->_err = (int)e;
    resp->status = status[e];
    if (fmt) {
        resp->_msg = kv_arena_vprintf(resp->_arena, fmt, ap);
    } else {
        resp->_msg = msgs[e];
    }
}

void api_fail(api_resp_t *resp, api_err_t e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(resp, e, fmt, ap);
    va_end(ap);
}

int api_refuse(api_resp_t *resp, api_err_t e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(resp, e, fmt, ap);
    va_end(ap);
    return -1;
}

int api_err_status(api_err_t e)
{
    static const int status[] = {0,
#define XX(name, st, ns, code, msg) st,
                                 API_ERR_MAP(XX)
#undef XX
    };
    return status[e];
}

const char *api_err_code(api_err_t e)
{
    static const char *const codes[] = {"",
#define XX(name, st, ns, code, msg) code,
                                        API_ERR_MAP(XX)
#undef XX
    };
    return codes[e];
}

/* ---- request ids ---- */

static _Thread_local uint64_t rng_state;

static uint64_t rng_next(void)
{
    if (rng_state == 0) {
        kv_random(&rng_state, sizeof(rng_state));
        rng_state |= 1;
    }
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static void make_ids(api_state_t *st)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static const char hexu[] = "0123456789ABCDEF";
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (st->proto == API_PROTO_S3) {
        uint64_t r = rng_next();
        for (int i = 0; i < 16; i++, r >>= 4)
            st->request_id[i] = hexu[r & 15];
        st->request_id[16] = 0;
        for (int i = 0; i < 76; i++) {
            if (i % 10 == 0)
                r = rng_next();
            st->id2[i] = b64[r & 63];
            r >>= 6;
        }
        st->id2[76] = 0;
    } else {
        uint64_t r = 0;
        for (int i = 0; i < 32; i++) {
            if (i % 12 == 0)
                r = rng_next();
            st->request_id[i] = alnum[r % 36];
            r /= 36;
        }
        st->request_id[32] = 0;
    }
}

/* ---- routing ---- */

static api_proto_t pick_proto(const api_req_t *req, kv_slice_t service, kv_slice_t target)
{
    if (kv_slice_eq_str(service, "dynamodb") || kv_slice_eq_str(service, "streams.dynamodb"))
        return kv_slice_starts_with(target, DDB_STREAMS_PREFIX) ? API_PROTO_STREAMS : API_PROTO_DDB;
    if (kv_slice_eq_str(service, "s3"))
        return API_PROTO_S3;
    if (kv_slice_eq_str(service, "lambda"))
        return API_PROTO_LAMBDA;
    if (kv_slice_eq_str(service, "logs") || kv_slice_starts_with(target, LOGS_TARGET_PREFIX))
        return API_PROTO_LOGS;
    if (target.len)
        return kv_slice_starts_with(target, DDB_STREAMS_PREFIX) ? API_PROTO_STREAMS : API_PROTO_DDB;
    if (kv_slice_starts_with(req->path, "/2015-03-31/") ||
        kv_slice_starts_with(req->path, "/2017-10-31/") ||
        kv_slice_starts_with(req->path, "/2019-09-30/") ||
        kv_slice_starts_with(req->path, "/2019-09-25/"))
        return API_PROTO_LAMBDA;
    return API_PROTO_S3;
}

/* The operation an X-Amz-Target names: DynamoDB's or, with its own prefix, DynamoDB Streams'. */
static api_op_t ddb_lookup(kv_slice_t target)
{
    bool streams = kv_slice_starts_with(target, DDB_STREAMS_PREFIX);
    size_t pl = streams ? sizeof(DDB_STREAMS_PREFIX) - 1 : sizeof(DDB_TARGET_PREFIX) - 1;
    if (!streams && !kv_slice_starts_with(target, DDB_TARGET_PREFIX))
        return API_OP_UNKNOWN;
    kv_slice_t name = kv_slice(target.p + pl, target.len - pl);
#define XX(Name, cname)                           \
    if (!streams && kv_slice_eq_str(name, #Name)) \
        return API_OP_DDB_##cname;
    DDB_OP_MAP(XX)
#undef XX
#define XX(Name, cname)                          \
    if (streams && kv_slice_eq_str(name, #Name)) \
        return API_OP_STREAMS_##cname;
    STREAMS_OP_MAP(XX)
#undef XX
    return API_OP_UNKNOWN;
}

/* The operation a CloudWatch Logs X-Amz-Target (Logs_20140328.<op>) names. */
static api_op_t logs_lookup(kv_slice_t target)
{
    size_t pl = sizeof(LOGS_TARGET_PREFIX) - 1;
    if (!kv_slice_starts_with(target, LOGS_TARGET_PREFIX))
        return API_OP_UNKNOWN;
    kv_slice_t name = kv_slice(target.p + pl, target.len - pl);
#define XX(Name, cname)               \
    if (kv_slice_eq_str(name, #Name)) \
        return API_OP_LOGS_##cname;
    LOGS_OP_MAP(XX)
#undef XX
    return API_OP_UNKNOWN;
}

/* Encode a recorded error and add the protocol's response headers. */
static void finish_resp(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    if (kv_slice_eq_str(req->method, "HEAD"))
        resp->no_body = true;
    switch (st->proto) {
    case API_PROTO_DDB:
    case API_PROTO_STREAMS:
        if (resp->_err)
            ddb_encode_error(ctx, req, resp);
        if (!resp_has_header(resp, "Content-Type"))
            api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-amz-json-1.0"));
        api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(st->request_id));
        {
            uint8_t mem[24];
            kv_buf_t v;
            kv_buf_init_on(&v, mem, sizeof(mem), sizeof(mem));
            kv_buf_append_u64(&v, (uint64_t)crc32(0, resp->body.p, (uInt)resp->body.len));
            api_resp_header(resp, "x-amz-crc32", kv_buf_slice(&v));
        }
        break;
    case API_PROTO_S3:
        if (resp->_err)
            s3_encode_error(ctx, req, resp);
        s3_cors_response(ctx, req, resp);
        api_resp_header(resp, "x-amz-request-id", kv_slice_str(st->request_id));
        api_resp_header(resp, "x-amz-id-2", kv_slice_str(st->id2));
        break;
    case API_PROTO_LAMBDA:
        if (resp->_err) {
            kv_buf_reset(&resp->body);
            api_jw_t w;
            api_jw_init(&w, &resp->body);
            api_jw_obj_begin(&w);
            api_jw_kstr(&w, "Type", resp->status >= 500 ? "Service" : "User");
            api_jw_kstr(&w, "message", resp->_msg ? resp->_msg : "");
            api_jw_obj_end(&w);
            api_resp_header(resp, "x-amzn-ErrorType", kv_slice_str(api_err_code(resp->_err)));
            api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
        }
        api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(st->request_id));
        break;
    case API_PROTO_LOGS:
        if (resp->_err) {
            kv_buf_reset(&resp->body);
            api_jw_t w;
            api_jw_init(&w, &resp->body);
            api_jw_obj_begin(&w);
            api_jw_kstr(&w, "__type", api_err_code(resp->_err));
            api_jw_kstr(&w, "message", resp->_msg ? resp->_msg : "");
            api_jw_obj_end(&w);
            api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-amz-json-1.1"));
        }
        api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(st->request_id));
        break;
    default:
        break;
    }
}

/* One pass over the headers for every name the api layer looks at. */
static void index_headers(const api_req_t *req, api_state_t *st)
{
#define HDR(lit, field)                                           \
    if (n.len == sizeof(lit) - 1 && kv_slice_eq_nocase(n, lit)) { \
        st->h.field = req->hdrs[i].value;                         \
        continue;                                                 \
    }
    for (size_t i = 0; i < req->n_hdrs; i++) {
        kv_slice_t n = req->hdrs[i].name;
        if (n.len < 4)
            continue;
        HDR("host", host)
        HDR("date", date)
        HDR("authorization", authorization)
        HDR("x-amz-target", target)
        HDR("x-amz-date", amz_date)
        HDR("x-amz-content-sha256", content_sha256)
        HDR("content-md5", content_md5)
        HDR("x-amz-decoded-content-length", decoded_length)
        HDR("x-amz-trailer", trailer)
        if (n.len > 15 && kv_slice_eq_nocase(kv_slice(n.p, 15), "x-amz-checksum-"))
            st->h.checksum = true;
    }
#undef HDR
}

static void state_cleanup(void *arg)
{
    api_state_t *st = arg;
    eng_blob_writer_abort(st->blob); /* a body that never became an object */
    api__unauth_release(st);
    api_ck_dispose(&st->etag_md5);
    kv_buf_dispose(&st->body);
    api_ck_dispose(&st->sha);
    api_ck_dispose(&st->md5);
    api_ck_dispose(&st->ck);
    if (st->chunked_on)
        sigv4_chunked_dispose(st->chunked);
}

int api_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint64_t *body_limit)
{
    api_state_t *st = kv_arena_calloc(req->arena, 1, sizeof(*st));
    req->_st = st;
    resp->_st = st;
    st->refusals_at = eng_space_refusals();
    kv_buf_init(&st->body, 0);
    kv_arena_on_destroy(req->arena, state_cleanup, st);
    *body_limit = 0;

    index_headers(req, st);
    bool has_auth = st->h.authorization.len || sigv4_is_presigned(req->query);
    if (!has_auth && kv_slice_eq_str(req->method, "GET")) {
        if (kv_slice_eq_str(req->path, "/health") || kv_slice_eq_str(req->path, "/metrics")) {
            st->proto = API_PROTO_OPS;
            st->op = req->path.p[1] == 'h' ? API_OP_HEALTH : API_OP_METRICS;
            make_ids(st);
            return API_CONTINUE;
        }
    }

    /* The credential scope names the service; parse it before verifying. */
    kv_slice_t service = KV_SLICE_NULL;
    if (st->h.authorization.len) {
        st->auth_err = sigv4_parse_header(st->h.authorization, &st->auth);
        if (st->auth_err == SIGV4_OK)
            service = st->auth.service;
    } else if (sigv4_is_presigned(req->query)) {
        st->presigned = true;
        st->auth_err = sigv4_parse_query(req->query, req->arena, &st->auth);
        if (st->auth_err == SIGV4_OK)
            service = st->auth.service;
    }
    st->target = st->h.target;
    st->proto = pick_proto(req, service, st->target);
    make_ids(st);
    if (st->proto == API_PROTO_S3)
        s3_route(ctx, req);
    else if (st->proto == API_PROTO_DDB || st->proto == API_PROTO_STREAMS)
        st->op = ddb_lookup(st->target);
    else if (st->proto == API_PROTO_LAMBDA)
        st->op = lambda_route(req);
    else if (st->proto == API_PROTO_LOGS)
        st->op = logs_lookup(st->target);
    /* A browser's CORS preflight carries no credentials (a presigned URL's query signs the
     * request that follows, not the OPTIONS): it is answered from the bucket's CORS rules
     * alone. POST Object signs its policy instead, checked as the form is read. */
    st->anonymous = st->proto == API_PROTO_S3 && (st->op == API_OP_S3_preflight ||
                                                  (!has_auth && st->op == API_OP_S3_post_object));

    if (!st->anonymous && api__auth_begin(ctx, req, resp) == API_RESPOND) {
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }

    if (st->proto == API_PROTO_S3 && st->op == API_OP_S3_not_implemented) {
        /* Refuse before reading a body we cannot use (PutObject comes later). */
        api_fail(resp, API_E_S3_NOT_IMPLEMENTED, NULL);
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    switch (st->proto) {
    case API_PROTO_DDB:
    case API_PROTO_STREAMS:
        st->body_limit = API_DDB_BODY_MAX;
        break;
    case API_PROTO_S3:
        st->body_limit = s3_body_limit(req);
        break;
    case API_PROTO_LAMBDA:
        st->body_limit = lambda_body_limit(req);
        break;
    case API_PROTO_LOGS:
        st->body_limit = 1u << 20;
        break;
    default:
        st->body_limit = 0;
    }
    if (req->content_length > 0 && (uint64_t)req->content_length > st->body_limit) {
        if (st->proto == API_PROTO_S3 &&
            (st->op == API_OP_S3_put_object || st->op == API_OP_S3_upload_part))
            api_fail(resp, API_E_S3_ENTITY_TOO_LARGE, NULL);
        else if (st->proto == API_PROTO_S3)
            api_fail(resp, API_E_S3_TOO_LARGE, NULL);
        else
            api_fail(resp, API_E_DDB_TOO_LARGE, "Request size %lld exceeded %llu bytes",
                     (long long)req->content_length, (unsigned long long)st->body_limit);
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    if (st->proto == API_PROTO_S3 &&
        (st->op == API_OP_S3_put_object || st->op == API_OP_S3_upload_part) &&
        s3_begin_body(ctx, req, resp) == API_RESPOND) {
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    if (st->proto == API_PROTO_S3 && st->op == API_OP_S3_post_object && st->anonymous &&
        s3_post_begin(ctx, req, resp) < 0) {
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    /* A large body that the disk could not take is refused before it is sent. */
    uint64_t declared = st->chunked_on && st->chunked->expect_decoded >= 0
                            ? (uint64_t)st->chunked->expect_decoded
                        : req->content_length > 0 ? (uint64_t)req->content_length
                                                  : 0;
    if (declared >= API_SPACE_CHECK_MIN && st->op != API_OP_S3_delete_objects &&
        !eng_space_room(ctx->eng, declared)) {
        api_fail(resp, api__throttle_err(st), NULL);
        resp->_msg = API_DISK_FULL_MSG;
        api_resp_header(resp, "Retry-After", KV_SLICE_LIT("1"));
        resp->close = true;
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    st->body.limit = st->body_limit;
    *body_limit = st->body_limit + (st->chunked_on ? st->body_limit / 8 + 65536 : 0);
    if (st->payload == API_PAYLOAD_COMPUTE) {
        /* Read before the signature is checked: the whole body gets one short deadline. */
        uint64_t len = req->content_length >= 0 ? (uint64_t)req->content_length : st->body_limit;
        uint64_t ms = API_UNAUTH_BASE_MS + len * 1000 / API_UNAUTH_MIN_RATE;
        req->body_deadline_ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
    }
    return API_CONTINUE;
}

/* Sink for decoded payload bytes. */
static int body_sink(void *arg, const uint8_t *p, size_t n)
{
    api_state_t *st = arg;
    if (st->md5_on)
        api_ck_update(&st->md5, p, n);
    if (st->ck_algo)
        api_ck_update(&st->ck, p, n);
    if (st->blob) {
        /* Object bytes stream to the blob store; memory stays at one chunk. */
        api_ck_update(&st->etag_md5, p, n);
        return eng_blob_write(st->blob, p, n) < 0 ? -2 : 0;
    }
    kv_buf_append(&st->body, p, n);
    return kv_buf_failed(&st->body) ? -1 : 0;
}

int api_body(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const uint8_t *p, size_t n)
{
    api_state_t *st = req->_st;
    st->body_raw += n;
    if (st->post) {
        /* A form upload: fields, then the file streaming into the blob store. */
        if (s3_post_feed(req, resp, p, n) < 0) {
            finish_resp(ctx, req, resp);
            return API_RESPOND;
        }
        return API_CONTINUE;
    }
    if (st->hashing)
        api_ck_update(&st->sha, p, n);
    if (st->chunked_on) {
        sigv4_ch_err_t e = sigv4_chunked_feed(st->chunked, p, n, body_sink, st);
        if (e == SIGV4_CH_OK)
            return API_CONTINUE;
        if (e == SIGV4_CH_E_SINK)
            api_fail(resp, API_E_S3_TOO_LARGE, NULL);
        else if (e == SIGV4_CH_E_SIGNATURE)
            api_fail(resp, API_E_S3_SIG_MISMATCH, NULL);
        else
            api_fail(resp, API_E_S3_INCOMPLETE_BODY,
                     "The request body is not valid aws-chunked encoding.");
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    if (st->payload == API_PAYLOAD_COMPUTE && !st->sig_verified &&
        api__unauth_charge(ctx, req, resp, n) == API_RESPOND) {
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    int sunk = body_sink(st, p, n);
    if (sunk < 0) {
        if (sunk == -2)
            api_fail(resp, API_E_S3_INTERNAL, NULL);
        else if (st->proto == API_PROTO_S3)
            api_fail(resp, API_E_S3_TOO_LARGE, NULL);
        else
            api_fail(resp, API_E_DDB_TOO_LARGE, "Request size exceeded %llu bytes",
                     (unsigned long long)st->body_limit);
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    return API_CONTINUE;
}

static void ops_health(api_ctx_t *ctx, api_resp_t *resp)
{
    uint64_t up = (kv_now_mono_ns() - ctx->start_mono_ns) / 1000000000u;
    eng_space_t sp;
    eng_space_get(ctx->eng, &sp);
    static const char *const disk[] = {"ok", "low", "full"};
    /* Reads go on whatever the disk; "degraded" says writes are being refused. */
    kv_buf_printf(
        &resp->body,
        "{\"status\":\"%s\",\"version\":\"%s\",\"uptime_seconds\":%llu,"
        "\"disk\":{\"state\":\"%s\",\"free_bytes\":%llu,\"reserve_bytes\":%llu,"
        "\"memtable_bytes\":%llu,\"compaction_headroom_bytes\":%llu,\"writes\":\"%s\"}}\n",
        sp.state == ENG_SPACE_OK ? "ok" : "degraded", STRATUS_VERSION, (unsigned long long)up,
        disk[sp.state], (unsigned long long)sp.avail, (unsigned long long)sp.reserve,
        (unsigned long long)sp.memtables, (unsigned long long)sp.headroom,
        sp.state == ENG_SPACE_OK    ? "accepted"
        : sp.state == ENG_SPACE_LOW ? "deletes only"
                                    : "refused");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
}

void api_handle(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    if (st->proto == API_PROTO_OPS) {
        if (st->op == API_OP_HEALTH) {
            ops_health(ctx, resp);
        } else {
            api__metrics_render(ctx, &resp->body);
            api_resp_header(resp, "Content-Type", KV_SLICE_LIT("text/plain; version=0.0.4"));
        }
        finish_resp(ctx, req, resp);
        return;
    }
    if (!st->anonymous && api__auth_finish(ctx, req, resp) == API_RESPOND) {
        finish_resp(ctx, req, resp);
        return;
    }
    switch (st->proto) {
    case API_PROTO_DDB:
        ddb_dispatch(ctx, req, resp);
        break;
    case API_PROTO_STREAMS:
        ddb_dispatch(ctx, req, resp);
        break;
    case API_PROTO_S3:
        s3_dispatch(ctx, req, resp);
        break;
    case API_PROTO_LAMBDA:
        lambda_dispatch(ctx, req, resp);
        if (resp->_pending)
            return; /* finished when the function has run */
        break;
    case API_PROTO_LOGS:
        logs_dispatch(ctx, req, resp);
        break;
    default:
        api_fail(resp, API_E_LAMBDA_UNKNOWN_OP, "Unknown operation %.*s %.*s", (int)req->method.len,
                 (const char *)req->method.p, (int)req->path.len, (const char *)req->path.p);
        break;
    }
    finish_resp(ctx, req, resp);
}

void api__finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    finish_resp(ctx, req, resp);
}

void api_set_runner(api_ctx_t *ctx, api_invoke_fn fn, void *runner)
{
    ctx->invoke = fn;
    ctx->runner = runner;
}

void api_function_identity(api_ctx_t *ctx, const char **access_key, const char **secret_key,
                           const char **region)
{
    *access_key = ctx->access_key;
    *secret_key = ctx->secret_key;
    *region = ctx->region;
}

const char *api_data_dir(api_ctx_t *ctx)
{
    return ctx->data_dir;
}

bool api_resp_hold(api_ctx_t *ctx, api_resp_t *resp, api_released_cb cb, void *arg)
{
    if (resp->_pending)
        return lambda_hold(resp, cb, arg);
    if (!resp->durable || eng_fsync_mode(ctx->eng) != ENG_FSYNC_ALWAYS)
        return false;
    eng_sync_after(ctx->eng, cb, arg);
    return true;
}

void api_done(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint64_t bytes_in,
              uint64_t bytes_out)
{
    api_state_t *st = req->_st;
    uint64_t dur = kv_now_mono_ns() - req->start_ns;
    api_proto_t proto = st ? st->proto : API_PROTO_NONE;
    api_op_t op = st ? st->op : API_OP_UNKNOWN;
    api__metrics_record(ctx, proto, op, resp->status, dur, bytes_in, bytes_out);
    KV_LOG_INFO("access %.*s \"%.*s %.*s%s%.*s\" %d in=%llu out=%llu us=%llu op=%s id=%s",
                (int)req->peer.len, (const char *)req->peer.p, (int)req->method.len,
                (const char *)req->method.p, (int)req->path.len, (const char *)req->path.p,
                req->query.len ? "?" : "", (int)(req->query.len > 200 ? 200 : req->query.len),
                (const char *)req->query.p, resp->status, (unsigned long long)bytes_in,
                (unsigned long long)bytes_out, (unsigned long long)(dur / 1000), api_op_name(op),
                st ? st->request_id : "-");
}
