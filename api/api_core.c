/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request lifecycle: routing to a service of the table (api_services.c) and its operation, the
 * body sink, the final dispatch through the service's hooks, and the ops endpoints. No protocol
 * is named here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "api_int.h"
#include "auth/sigv2.h"
#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "codec/api_inflate.h" /* issue 17, package H */
#include "codec/api_json_r.h"
#include "codec/api_jw.h"

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
    api_session_keys(ctx->secret_key, &ctx->session_keys);
    ctx->creds_lifetime_s = API_CREDS_LIFETIME_S;
    ctx->sigv2_off = cfg->no_sigv2;      /* issue 15, package V */
    ctx->encrypt_all = cfg->encrypt_all; /* issue 16, package E */
    ctx->start_ms = kv_now_ms();
    ctx->start_mono_ns = kv_now_mono_ns();
    api__unauth_init(ctx);
    api__metrics_init(ctx);
    ctx->data_dir = kv_strdup(cfg->data_dir);
    char why[512];
    if (api__master_key_load(ctx, cfg->master_key_file, why, sizeof(why)) < 0) {
        KV_LOG_ERROR("%s", why);
        api_close(ctx);
        return KV_EINVAL;
    }
    ctx->svc_state = kv_calloc(api_n_services, sizeof(*ctx->svc_state));
    for (size_t i = 0; i < api_n_services; i++) {
        const api_service_t *svc = api_services[i];
        if (svc->init && (rc = svc->init(ctx, cfg, &ctx->svc_state[i])) < 0) {
            api_close(ctx);
            return rc;
        }
    }
    api_sched_init(ctx);
    api_sched_set_period(ctx, "lifecycle", cfg->sweep_interval_ms);
    *out = ctx;
    return 0;
}

void api_close(api_ctx_t *ctx)
{
    if (ctx == NULL)
        return;
    /* The runner has finished every invocation: nothing calls back into the jobs' state. */
    eng_close(ctx->eng);
    api_sched_free(ctx); /* after the engine: its commit notifier is the scheduler's */
    for (size_t i = 0; ctx->svc_state && i < api_n_services; i++)
        if (api_services[i]->fini && ctx->svc_state[i])
            api_services[i]->fini(ctx->svc_state[i]);
    kv_free(ctx->svc_state);
    api__metrics_dispose(ctx);
    api__unauth_dispose(ctx);
    kv_free(ctx->region);
    kv_free(ctx->data_dir);
    kv_free(ctx->access_key);
    if (ctx->secret_key) {
        memset(ctx->secret_key, 0, strlen(ctx->secret_key));
        kv_free(ctx->secret_key);
    }
    memset(&ctx->session_keys, 0, sizeof(ctx->session_keys));
    memset(ctx->master_key, 0, sizeof(ctx->master_key));
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
    /* A value never ends the header: CR, LF and other controls but tab become spaces (the
     * operations refuse such input first; this is the last line against response splitting). */
    uint8_t *p = kv_arena_alloc(resp->_arena, value.len + 1);
    for (size_t i = 0; i < value.len; i++) {
        uint8_t c = value.p[i];
        p[i] = (c < 0x20 && c != '\t') || c == 0x7f ? ' ' : c;
    }
    p[value.len] = 0;
    resp->hdrs[resp->n_hdrs].value = kv_slice(p, value.len);
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
    api_err_t busy = API_E_NONE;
    for (size_t i = 0; e != API_E_NONE && busy == API_E_NONE && i < api_n_services; i++)
        if (api_services[i]->err_internal == e)
            busy = api_services[i]->err_throttle;
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

const char *api_err_ns(api_err_t e)
{
    static const char *const ns[] = {"",
#define XX(name, st, n, code, msg) n,
                                     API_ERR_MAP(XX)
#undef XX
    };
    return ns[e];
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
    if (st->svc->ids == API_IDS_S3) {
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
    } else if (st->svc->ids == API_IDS_UUID) {
        kv_uuid4(st->request_id);
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

static bool in_list(const char *const *list, kv_slice_t s)
{
    for (size_t i = 0; list && list[i]; i++)
        if (kv_slice_eq_str(s, list[i]))
            return true;
    return false;
}

static bool prefixed(kv_slice_t s, const char *prefix)
{
    return prefix && kv_slice_starts_with(s, prefix);
}

/* The service that claims a signed request, in the phases api_service.h describes. */
static const api_service_t *claim(const api_req_t *req, kv_slice_t scope, kv_slice_t target)
{
    const api_service_t *first = NULL;
    for (size_t i = 0; scope.len && i < api_n_services; i++) {
        const api_service_t *svc = api_services[i];
        if (!in_list(svc->scopes, scope))
            continue;
        if (prefixed(target, svc->target_prefix))
            return svc;
        if (first == NULL)
            first = svc;
    }
    if (first)
        return first;
    if (target.len) {
        for (size_t i = 0; i < api_n_services; i++)
            if (prefixed(target, api_services[i]->target_prefix))
                return api_services[i];
        for (size_t i = 0; i < api_n_services; i++)
            if (api_services[i]->flags & API_SVC_ANY_TARGET)
                return api_services[i];
    }
    for (size_t i = 0; i < api_n_services; i++)
        for (const char *const *p = api_services[i]->path_prefixes; p && *p; p++)
            if (kv_slice_starts_with(req->path, *p))
                return api_services[i];
    for (size_t i = 0; i < api_n_services; i++)
        if (api_services[i]->flags & API_SVC_FALLBACK)
            return api_services[i];
    return api_services[0];
}

/* The service serving an unsigned GET of this path, or NULL. */
static const api_service_t *claim_open(const api_req_t *req, int *op)
{
    for (size_t i = 0; i < api_n_services; i++) {
        const char *const *p = api_services[i]->open_paths;
        for (int j = 0; p && p[j]; j++)
            if (kv_slice_eq_str(req->path, p[j])) {
                *op = j;
                return api_services[i];
            }
    }
    return NULL;
}

/* The operation the service's row names: by its own router, or by the X-Amz-Target name. */
static int route_op(api_ctx_t *ctx, api_req_t *req, const api_service_t *svc, kv_slice_t target)
{
    if (svc->route)
        return svc->route(ctx, req);
    if (!prefixed(target, svc->target_prefix))
        return API_OP_NONE;
    size_t pl = strlen(svc->target_prefix);
    return api_op_named(svc, kv_slice(target.p + pl, target.len - pl));
}

int api_op_named(const api_service_t *svc, kv_slice_t name)
{
    for (size_t i = 0; i < svc->n_ops; i++)
        if (kv_slice_eq_str(name, svc->ops[i].name))
            return (int)i;
    return API_OP_NONE;
}

static uint32_t op_flags(const api_state_t *st)
{
    return st->op >= 0 && (size_t)st->op < st->svc->n_ops ? st->svc->ops[st->op].flags : 0;
}

/* Encode a recorded error and add the service's response headers. */
static void finish_resp(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    st->finish_ns = kv_now_mono_ns(); /* issue 16, package G: the turn-around time */
    if (kv_slice_eq_str(req->method, "HEAD"))
        resp->no_body = true;
    if (st->svc->finish)
        st->svc->finish(ctx, req, resp);
    api__authz_check_done(ctx, req, resp);
}

/* A body over the service's limit. */
static void fail_too_large(api_resp_t *resp, const api_state_t *st, int64_t declared)
{
    api_err_t e =
        op_flags(st) & API_OPF_STREAM ? st->svc->err_stream_large : st->svc->err_too_large;
    if (!st->svc->too_large_sized)
        api_fail(resp, e, NULL);
    else if (declared >= 0)
        api_fail(resp, e, "Request size %lld exceeded %llu bytes", (long long)declared,
                 (unsigned long long)st->body_limit);
    else
        api_fail(resp, e, "Request size exceeded %llu bytes", (unsigned long long)st->body_limit);
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
        HDR("x-amz-security-token", security_token)
        HDR("content-encoding", content_encoding) /* issue 17, package H */
        HDR("origin", origin)
        if (n.len > 15 && kv_slice_eq_nocase(kv_slice(n.p, 15), "x-amz-checksum-"))
            st->h.checksum = true;
    }
#undef HDR
}

static void state_cleanup(void *arg)
{
    api_state_t *st = arg;
    eng_blob_writer_abort(st->blob); /* a body that never became an object */
    api_inflate_free(st->inflate);   /* issue 17, package H */
    api__unauth_release(st);
    api_ck_dispose(&st->etag_md5);
    kv_buf_dispose(&st->body);
    api_ck_dispose(&st->sha);
    api_ck_dispose(&st->md5);
    api_ck_dispose(&st->ck);
    api_ck_dispose(&st->s3_ck);
    if (st->chunked_on)
        sigv4_chunked_dispose(st->chunked);
    memset(st->session_secret, 0, sizeof(st->session_secret));
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
    /* A SigV2 presigned URL (issue 15, package V) is signed too, when SigV2 is on. */
    bool v2_query =
        api__sigv2_on(ctx) && !sigv4_is_presigned(req->query) && sigv2_is_query(req->query);
    bool has_auth = st->h.authorization.len || sigv4_is_presigned(req->query) || v2_query;
    st->op = API_OP_NONE;
    const api_service_t *first = NULL; /* a service claiming the request before the others */
    for (size_t i = 0; first == NULL && i < api_n_services; i++)
        if (api_services[i]->claim && api_services[i]->claim(ctx, req))
            first = api_services[i];
    if (first == NULL && !has_auth && kv_slice_eq_str(req->method, "GET") &&
        (st->svc = claim_open(req, &st->op)) != NULL) {
        st->open = true;
        make_ids(st);
        return API_CONTINUE;
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
    st->svc = first ? first : claim(req, service, st->target);
    make_ids(st);
    st->op = route_op(ctx, req, st->svc, st->target);
    /* A browser's CORS preflight carries no credentials (a presigned URL's query signs the
     * request that follows, not the OPTIONS): it is answered from the bucket's CORS rules
     * alone. POST Object signs its policy instead, checked as the form is read. */
    uint32_t flags = op_flags(st);
    st->anonymous = (flags & API_OPF_UNSIGNED) || (!has_auth && (flags & API_OPF_ANON));

    if (!st->anonymous && api__auth_begin(ctx, req, resp) == API_RESPOND) {
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }

    if (flags & API_OPF_REFUSED) {
        /* Refuse before reading a body we cannot use. */
        st->svc->dispatch(ctx, req, resp);
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    st->body_limit = st->svc->body_limit ? st->svc->body_limit(req) : st->svc->body_max;
    if (req->content_length > 0 && (uint64_t)req->content_length > st->body_limit) {
        fail_too_large(resp, st, req->content_length);
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    if (st->svc->inflate && st->h.content_encoding.len) { /* issue 17, package H */
        api_coding_t coding = api_coding_of(st->h.content_encoding);
        if (coding != API_CODING_IDENTITY && coding != API_CODING_UNSUPPORTED)
            st->inflate = api_inflate_new(coding);
        st->inflate_bad = coding != API_CODING_IDENTITY && st->inflate == NULL;
    }
    if (st->svc->body_begin && st->svc->body_begin(ctx, req, resp) == API_RESPOND) {
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    /* A large body that the disk could not take is refused before it is sent. */
    uint64_t declared = st->chunked_on && st->chunked->expect_decoded >= 0
                            ? (uint64_t)st->chunked->expect_decoded
                        : req->content_length > 0 ? (uint64_t)req->content_length
                                                  : 0;
    if (declared >= API_SPACE_CHECK_MIN && !(flags & API_OPF_FREES) &&
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
        if (st->s3_ck_on) /* issue 16, package C */
            api_ck_update(&st->s3_ck, p, n);
        return eng_blob_write(st->blob, p, n) < 0 ? -2 : 0;
    }
    kv_buf_append(&st->body, p, n);
    return kv_buf_failed(&st->body) ? -1 : 0;
}

/* A body the sink refused (sunk < 0): the blob store failed, or the body is over the limit. */
static void sink_fail(api_resp_t *resp, const api_state_t *st, int sunk)
{
    if (sunk == -2)
        api_fail(resp, st->svc->err_internal, NULL); /* the blob store failed */
    else if (!st->svc->too_large_sized)
        api_fail(resp, st->svc->err_too_large, NULL);
    else
        api_fail(resp, st->svc->err_too_large, "Request size exceeded %llu bytes",
                 (unsigned long long)st->body_limit);
}

/* Issue 17, package H: a compressed body's decompressed runs. What is held before the signature
 * is checked is the decompressed body, so that is what the unauthenticated budget is charged. */
typedef struct inflate_arg {
    api_ctx_t *ctx;
    api_req_t *req;
    api_resp_t *resp;
} inflate_arg_t;

#define INFLATE_REFUSED (-3) /* the unauthenticated budget is spent: resp has the error */

static int inflate_sink(void *arg, const uint8_t *p, size_t n)
{
    inflate_arg_t *a = arg;
    api_state_t *st = a->req->_st;
    if (st->payload == API_PAYLOAD_COMPUTE && !st->sig_verified &&
        api__unauth_charge(a->ctx, a->req, a->resp, n) == API_RESPOND)
        return INFLATE_REFUSED;
    return body_sink(st, p, n);
}

/* Decompress the next bytes of the body. A coding we do not have or a stream that is not valid
 * is answered after authentication (api_handle): until then the body is only hashed. */
static int inflate_body(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const uint8_t *p,
                        size_t n)
{
    api_state_t *st = req->_st;
    if (st->inflate_bad)
        return API_CONTINUE;
    inflate_arg_t a = {ctx, req, resp};
    int rc = api_inflate_feed(st->inflate, p, n, inflate_sink, &a);
    if (rc == 0)
        return API_CONTINUE;
    if (rc == API_INFLATE_E_DATA) {
        st->inflate_bad = true;
        return API_CONTINUE;
    }
    if (rc != INFLATE_REFUSED)
        sink_fail(resp, st, rc);
    finish_resp(ctx, req, resp);
    return API_RESPOND;
}

int api_body(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const uint8_t *p, size_t n)
{
    api_state_t *st = req->_st;
    st->body_raw += n;
    if (st->svc->body_feed) {
        /* A body the service reads itself (a form upload streaming into the blob store). */
        int fed = st->svc->body_feed(req, resp, p, n);
        if (fed < 0) {
            finish_resp(ctx, req, resp);
            return API_RESPOND;
        }
        if (fed == 0)
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
    if (st->inflate || st->inflate_bad) /* issue 17, package H */
        return inflate_body(ctx, req, resp, p, n);
    if (st->payload == API_PAYLOAD_COMPUTE && !st->sig_verified &&
        api__unauth_charge(ctx, req, resp, n) == API_RESPOND) {
        finish_resp(ctx, req, resp);
        return API_RESPOND;
    }
    int sunk = body_sink(st, p, n);
    if (sunk < 0) {
        sink_fail(resp, st, sunk);
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

static void ops_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    if (req->_st->op == 0) {
        ops_health(ctx, resp);
    } else {
        api__metrics_render(ctx, &resp->body);
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("text/plain; version=0.0.4"));
    }
}

static const char *const ops_paths[] = {"/health", "/metrics", NULL};
static const api_op_desc_t ops_ops[] = {{.name = "Health"}, {.name = "Metrics"}};

const api_service_t api_ops_service = {
    .name = "ops",
    .open_paths = ops_paths,
    .ops = ops_ops,
    .n_ops = sizeof(ops_ops) / sizeof(ops_ops[0]),
    .dispatch = ops_dispatch,
    .ids = API_IDS_AMZN,
    .err_too_large = API_E_DDB_TOO_LARGE,
    .err_stream_large = API_E_DDB_TOO_LARGE,
    .err_throttle = API_E_DDB_THROTTLING,
    .too_large_sized = true,
};

bool api_offload(const api_req_t *req)
{
    const api_state_t *st = req->_st;
    if (!st || !st->svc || st->open)
        return false;
    /* An object whose chunks skipped the WAL (past its first 8 MiB) waits for a flush of its
     * bytes before it commits: off the loop. */
    return (op_flags(st) & API_OPF_SLOW) || eng_blob_writer_pending(st->blob);
}

void api_handle(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    st->handle_ns = kv_now_mono_ns();
    if (st->open) {
        st->svc->dispatch(ctx, req, resp);
        finish_resp(ctx, req, resp);
        return;
    }
    /* The free-space guard's refusal count is per thread: an operation that runs on the worker
     * pool counts from here (a refusal while its body streamed in was answered then). */
    if (api_offload(req))
        st->refusals_at = eng_space_refusals();
    if (!st->anonymous && api__auth_finish(ctx, req, resp) == API_RESPOND) {
        finish_resp(ctx, req, resp);
        return;
    }
    /* Issue 17, package H: a coding we do not have, or a compressed body that is not valid or
     * ended early, is DynamoDB's InternalServerError (its answer, observed). */
    if (st->inflate_bad || (st->inflate && api_inflate_end(st->inflate) < 0)) {
        api_fail(resp, st->svc->err_internal, NULL);
        finish_resp(ctx, req, resp);
        return;
    }
    st->svc->dispatch(ctx, req, resp);
    if (resp->_pending)
        return; /* finished when the function has run */
    finish_resp(ctx, req, resp);
}

void api_resp_abandon(api_ctx_t *ctx, api_resp_t *resp)
{
    const api_service_t *svc = resp->_st ? resp->_st->svc : NULL;
    if (resp->_pending && svc && svc->abandon)
        svc->abandon(ctx, resp);
}

void api_quiesce(api_ctx_t *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < api_n_services; i++)
        if (api_services[i]->stopping && ctx->svc_state && ctx->svc_state[i])
            api_services[i]->stopping(ctx->svc_state[i]);
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

void api_set_port(api_ctx_t *ctx, int port, bool tls)
{
    atomic_store(&ctx->port, tls ? -port : port);
}

int api_port(api_ctx_t *ctx, bool *tls)
{
    int p = atomic_load(&ctx->port);
    if (tls)
        *tls = p < 0;
    return p < 0 ? -p : p;
}

void api_set_runtime_check(api_ctx_t *ctx, api_runtime_check_fn fn)
{
    ctx->runtime_check = fn;
}

const char *api_runtime_unavailable(api_ctx_t *ctx, const char *runtime)
{
    return ctx->runtime_check ? ctx->runtime_check(runtime) : NULL;
}

void api_function_identity(api_ctx_t *ctx, const char **access_key, const char **secret_key,
                           const char **region)
{
    *access_key = ctx->access_key;
    *secret_key = ctx->secret_key;
    *region = ctx->region;
}

int api_function_credentials(api_ctx_t *ctx, const char *function_arn, const char *role_arn,
                             api_creds_t *out)
{
    return api__fn_session_mint(ctx, function_arn, role_arn, out); /* issue 15, package T */
}

void api_set_credential_lifetime(api_ctx_t *ctx, int64_t seconds)
{
    ctx->creds_lifetime_s = seconds > 0 ? seconds : API_CREDS_LIFETIME_S;
}

int64_t api_credential_lifetime(const api_ctx_t *ctx)
{
    return ctx->creds_lifetime_s;
}

const char *api_data_dir(api_ctx_t *ctx)
{
    return ctx->data_dir;
}

bool api_resp_hold(api_ctx_t *ctx, api_resp_t *resp, api_released_cb cb, void *arg)
{
    if (resp->_pending) {
        const api_service_t *svc = resp->_st ? resp->_st->svc : NULL;
        return svc && svc->hold && svc->hold(resp, cb, arg);
    }
    if (!resp->durable || eng_fsync_mode(ctx->eng) != ENG_FSYNC_ALWAYS)
        return false;
    eng_sync_after(ctx->eng, cb, arg);
    return true;
}

void api_sync_kick(api_ctx_t *ctx)
{
    eng_sync_kick(ctx->eng);
}

void api_wal_defer_thread(void)
{
    eng_wal_defer_thread();
}

bool api_wal_pending(api_ctx_t *ctx)
{
    return eng_wal_pending(ctx->eng);
}

int api_wal_flush(api_ctx_t *ctx)
{
    return eng_wal_flush(ctx->eng);
}

void api_done(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint64_t bytes_in,
              uint64_t bytes_out)
{
    api_state_t *st = req->_st;
    uint64_t dur = kv_now_mono_ns() - req->start_ns;
    const api_service_t *svc = st ? st->svc : NULL;
    int op = st ? st->op : API_OP_NONE;
    api__metrics_record(ctx, svc, op, resp->status, dur, bytes_in, bytes_out);
    if (svc && svc->done)
        svc->done(ctx, req, resp, bytes_out); /* issue 16, package G */
    KV_LOG_INFO("access %.*s \"%.*s %.*s%s%.*s\" %d in=%llu out=%llu us=%llu op=%s id=%s",
                (int)req->peer.len, (const char *)req->peer.p, (int)req->method.len,
                (const char *)req->method.p, (int)req->path.len, (const char *)req->path.p,
                req->query.len ? "?" : "", (int)(req->query.len > 200 ? 200 : req->query.len),
                (const char *)req->query.p, resp->status, (unsigned long long)bytes_in,
                (unsigned long long)bytes_out, (unsigned long long)(dur / 1000),
                api_op_name(svc, op), st ? st->request_id : "-");
}

/* The AWS JSON 1.1 protocol's error body ({"__type", "message"}) and its headers: the finish hook
 * of the services that speak it (EventBridge, KMS). */
void api_json11_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
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
    api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(req->_st->request_id));
}
