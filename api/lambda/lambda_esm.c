/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event source mappings at work: for each enabled mapping, the stream records after its
 * checkpoint are filtered (Lambda's event-filtering patterns), batched (BatchSize,
 * MaximumBatchingWindowInSeconds) and given to the function as Lambda's DynamoDB event; the
 * checkpoint (state CF) advances only after the function succeeded, so a crash replays the
 * batch: at-least-once, in order. Failures are retried (MaximumRetryAttempts,
 * MaximumRecordAgeInSeconds), halved (BisectBatchOnFunctionError) or partly retried
 * (ReportBatchItemFailures); a batch given up goes to the on-failure function. The engine's
 * commit notifier wakes the consumer: there is no polling interval.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api_int.h"
#include "../codec/api_json_r.h"
#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"

#define ESM_SLOTS      256
#define ESM_BYTES      (5u << 20) /* a batch's records, under the 6 MB payload limit */
#define ESM_WAIT_GUARD 5000       /* ms past the function's timeout */

/* What the consumer remembers between steps, per mapping (the consumer thread's alone). */
typedef struct slot {
    char uuid[40];
    int attempts;
    size_t limit; /* a bisected batch's size; 0: BatchSize */
    int64_t retry_at_ms;
} slot_t;

static slot_t slots[ESM_SLOTS];

static slot_t *slot_of(const char *uuid)
{
    size_t h = 0;
    for (const char *c = uuid; *c; c++)
        h = h * 31 + (uint8_t)*c;
    for (size_t i = 0; i < ESM_SLOTS; i++) {
        slot_t *s = &slots[(h + i) % ESM_SLOTS];
        if (s->uuid[0] == 0 || strcmp(s->uuid, uuid) == 0) {
            snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
            return s;
        }
    }
    return &slots[h % ESM_SLOTS];
}

/* ---- waking ---- */

static void on_commit(void *arg, uint64_t seq)
{
    api_ctx_t *ctx = arg;
    (void)seq;
    if (!atomic_load(&ctx->esm_active))
        return;
    pthread_mutex_lock(&ctx->esm_lock);
    ctx->esm_wakes++;
    pthread_cond_signal(&ctx->esm_cond);
    pthread_mutex_unlock(&ctx->esm_lock);
}

void api_esm_init(api_ctx_t *ctx)
{
    pthread_mutex_init(&ctx->esm_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ctx->esm_cond, &ca);
    pthread_condattr_destroy(&ca);
    eng_notifier_add(ctx->eng, on_commit, ctx);
}

void api_esm_wait(api_ctx_t *ctx, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ctx->esm_lock);
    uint64_t seen = ctx->esm_seen;
    while (ctx->esm_wakes == seen && !ctx->esm_stop &&
           pthread_cond_timedwait(&ctx->esm_cond, &ctx->esm_lock, &until) == 0)
        ;
    ctx->esm_seen = ctx->esm_wakes;
    pthread_mutex_unlock(&ctx->esm_lock);
}

void api_esm_kick(api_ctx_t *ctx)
{
    atomic_store(&ctx->esm_active, true);
    pthread_mutex_lock(&ctx->esm_lock);
    ctx->esm_wakes++;
    pthread_cond_signal(&ctx->esm_cond);
    pthread_mutex_unlock(&ctx->esm_lock);
}

void api_esm_stop(api_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->esm_lock);
    ctx->esm_stop = true;
    pthread_cond_broadcast(&ctx->esm_cond);
    pthread_mutex_unlock(&ctx->esm_lock);
}

/* ---- filters: Lambda's event-filtering patterns ---- */

static bool json_equal_scalar(const api_json_t *a, const api_json_t *b)
{
    api_json_type_t ta = api_json_type(a), tb = api_json_type(b);
    double x, y;
    if ((ta == API_J_INT || ta == API_J_REAL) && (tb == API_J_INT || tb == API_J_REAL))
        return api_json_num(a, &x) && api_json_num(b, &y) && x == y;
    if (ta != tb)
        return false;
    if (ta == API_J_STR)
        return kv_slice_eq(api_json_str(a), api_json_str(b));
    if (ta == API_J_BOOL)
        return api_json_bool(a) == api_json_bool(b);
    return ta == API_J_NULL;
}

/* One rule of a value list: a literal, or {"prefix"|"suffix"|"exists"|"anything-but"|
 * "numeric"|"equals-ignore-case": ...}. v is the event's value (NULL: absent). */
static bool rule_match(const api_json_t *rule, const api_json_t *v)
{
    if (api_json_type(rule) != API_J_OBJ)
        return v && json_equal_scalar(rule, v);
    const api_json_t *r;
    if ((r = api_json_get(rule, "exists")))
        return api_json_bool(r) == (v != NULL);
    if (v == NULL)
        return false;
    if ((r = api_json_get(rule, "prefix")) || (r = api_json_get(rule, "suffix"))) {
        bool prefix = api_json_get(rule, "prefix") != NULL;
        if (api_json_type(v) != API_J_STR || api_json_type(r) != API_J_STR)
            return false;
        kv_slice_t s = api_json_str(v), p = api_json_str(r);
        return s.len >= p.len && memcmp(prefix ? s.p : s.p + s.len - p.len, p.p, p.len) == 0;
    }
    if ((r = api_json_get(rule, "equals-ignore-case"))) {
        if (api_json_type(v) != API_J_STR || api_json_type(r) != API_J_STR)
            return false;
        kv_slice_t s = api_json_str(v), p = api_json_str(r);
        if (s.len != p.len)
            return false;
        for (size_t i = 0; i < s.len; i++) {
            uint8_t a = s.p[i], b = p.p[i];
            if (a >= 'A' && a <= 'Z')
                a = (uint8_t)(a + 32);
            if (b >= 'A' && b <= 'Z')
                b = (uint8_t)(b + 32);
            if (a != b)
                return false;
        }
        return true;
    }
    if ((r = api_json_get(rule, "anything-but"))) {
        if (api_json_type(r) == API_J_ARR) {
            for (size_t i = 0; i < api_json_len(r); i++)
                if (json_equal_scalar(api_json_at(r, i), v))
                    return false;
            return true;
        }
        return !json_equal_scalar(r, v);
    }
    if ((r = api_json_get(rule, "numeric")) && api_json_type(r) == API_J_ARR) {
        double x;
        if (api_json_type(v) == API_J_STR) { /* DynamoDB numbers arrive as strings */
            char buf[64];
            kv_slice_t s = api_json_str(v);
            if (s.len >= sizeof(buf))
                return false;
            memcpy(buf, s.p, s.len);
            buf[s.len] = 0;
            char *end;
            x = strtod(buf, &end);
            if (end == buf || *end)
                return false;
        } else if (!api_json_num(v, &x)) {
            return false;
        }
        for (size_t i = 0; i + 1 < api_json_len(r); i += 2) {
            kv_slice_t op = api_json_str(api_json_at(r, i));
            double y;
            if (!api_json_num(api_json_at(r, i + 1), &y))
                return false;
            bool ok = kv_slice_eq_str(op, "=")    ? x == y
                      : kv_slice_eq_str(op, ">")  ? x > y
                      : kv_slice_eq_str(op, ">=") ? x >= y
                      : kv_slice_eq_str(op, "<")  ? x < y
                      : kv_slice_eq_str(op, "<=") ? x <= y
                                                  : false;
            if (!ok)
                return false;
        }
        return true;
    }
    return false;
}

/* Does the event match the pattern? Objects recurse; lists are alternatives. */
static bool pattern_match(const api_json_t *pat, const api_json_t *ev, int depth)
{
    if (depth > 16)
        return false;
    void *it = NULL;
    const char *key;
    api_json_t *want;
    while (api_json_next(pat, &it, &key, &want)) {
        const api_json_t *v = ev && api_json_type(ev) == API_J_OBJ ? api_json_get(ev, key) : NULL;
        if (api_json_type(want) == API_J_OBJ) {
            if (!pattern_match(want, v, depth + 1))
                return false;
        } else if (api_json_type(want) == API_J_ARR) {
            bool any = false;
            for (size_t i = 0; i < api_json_len(want) && !any; i++)
                any = rule_match(api_json_at(want, i), v);
            if (!any)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* ---- one batch ---- */

typedef struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
} waiter_t;

static void on_done(api_invocation_t *inv)
{
    waiter_t *w = inv->done_arg;
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Run the function on one event and wait for it. @return the outcome (API_INV_FAILED when
 * it could not be run). */
static api_outcome_t invoke_sync(api_ctx_t *ctx, const eng_function_t *f, kv_slice_t event,
                                 kv_buf_t *result)
{
    if (ctx->invoke == NULL)
        return API_INV_FAILED;
    char arn[256], code[4400], rid[40];
    snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:" API_ACCOUNT_ID ":function:%s", ctx->region,
             f->name);
    eng_function_code_path(ctx->eng, f->code_id, code, sizeof(code));
    uint8_t r[16];
    kv_random(r, sizeof(r));
    snprintf(rid, sizeof(rid),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
             r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
             r[15]);
    const char **env = kv_calloc(f->n_env + 1, sizeof(*env));
    char **owned = kv_calloc(f->n_env + 1, sizeof(*owned));
    for (size_t i = 0; i < f->n_env; i++) {
        size_t n = strlen(f->env[i].key) + strlen(f->env[i].value) + 2;
        owned[i] = kv_malloc(n);
        snprintf(owned[i], n, "%s=%s", f->env[i].key, f->env[i].value);
        env[i] = owned[i];
    }
    waiter_t w = {.done = false};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    api_invocation_t inv = {.function = f->name,
                            .arn = arn,
                            .code_id = f->code_id,
                            .code_path = code,
                            .runtime = f->runtime,
                            .handler = f->handler ? f->handler : "",
                            .timeout_s = f->timeout_s,
                            .memory_mb = f->memory_mb,
                            .env = env,
                            .n_env = f->n_env,
                            .concurrency = f->reserved >= 0 ? f->reserved : 10,
                            .request_id = rid,
                            .payload = event,
                            .done = on_done,
                            .done_arg = &w};
    kv_buf_init(&inv.result, 6u << 20);
    kv_buf_init(&inv.log, 4096);
    api_outcome_t out = API_INV_FAILED;
    if (f->reserved != 0 && ctx->invoke(ctx->runner, &inv) == 0) {
        pthread_mutex_lock(&w.lock);
        while (!w.done)
            pthread_cond_wait(&w.cond, &w.lock); /* the runner always finishes, timeouts too */
        pthread_mutex_unlock(&w.lock);
        out = inv.outcome;
        kv_buf_append_slice(result, kv_buf_slice(&inv.result));
    }
    kv_buf_dispose(&inv.result);
    kv_buf_dispose(&inv.log);
    for (size_t i = 0; i < f->n_env; i++)
        kv_free(owned[i]);
    kv_free(owned);
    kv_free(env);
    return out;
}

/* Hand a batch given up on to the on-failure function (asynchronously, as Lambda does). */
static void send_failure(api_ctx_t *ctx, const eng_mapping_t *m, const eng_srec_t *first,
                         const eng_srec_t *last, size_t n, kv_arena_t *a)
{
    if (m->on_failure == NULL) {
        KV_LOG_WARN("lambda: mapping %s gave up on %zu records (%llu..%llu)", m->uuid, n,
                    (unsigned long long)first->seq, (unsigned long long)last->seq);
        return;
    }
    const char *fn = strstr(m->on_failure, ":function:");
    eng_function_t *f;
    if (fn == NULL || eng_function_get(ctx->eng, kv_slice_str(fn + 10), a, &f) < 0) {
        KV_LOG_WARN("lambda: mapping %s: on-failure destination %s is not a function here", m->uuid,
                    m->on_failure);
        return;
    }
    char doc[2048];
    snprintf(doc, sizeof(doc),
             "{\"requestContext\":{\"condition\":\"RetryAttemptsExhausted\","
             "\"functionArn\":\"arn:aws:lambda:%s:" API_ACCOUNT_ID ":function:%s\"},"
             "\"DDBStreamBatchInfo\":{\"shardId\":\"shard\",\"startSequenceNumber\":\"%021llu\","
             "\"endSequenceNumber\":\"%021llu\",\"batchSize\":%zu,\"streamArn\":\"%s\"}}",
             ctx->region, m->function, (unsigned long long)first->seq,
             (unsigned long long)last->seq, n, m->source_arn);
    kv_buf_t result;
    kv_buf_init(&result, 6u << 20);
    invoke_sync(ctx, f, kv_slice_str(doc), &result);
    kv_buf_dispose(&result);
}

/* The lowest sequence number a ReportBatchItemFailures response names, or 0. */
static uint64_t first_failure(kv_arena_t *a, kv_slice_t result)
{
    api_json_t *root;
    const char *err;
    if (api_json_parse(a, result, &root, &err) < 0 || api_json_type(root) != API_J_OBJ)
        return 0;
    const api_json_t *list = api_json_get(root, "batchItemFailures");
    uint64_t low = 0;
    for (size_t i = 0; list && api_json_type(list) == API_J_ARR && i < api_json_len(list); i++) {
        const api_json_t *id = api_json_get(api_json_at(list, i), "itemIdentifier");
        if (id == NULL || api_json_type(id) != API_J_STR)
            continue;
        kv_slice_t s = api_json_str(id);
        uint64_t v = 0;
        for (size_t k = 0; k < s.len && s.p[k] >= '0' && s.p[k] <= '9'; k++)
            v = v * 10 + (uint64_t)(s.p[k] - '0');
        if (v && (low == 0 || v < low))
            low = v;
    }
    return low;
}

/* Work on one mapping. @return ms until it wants another step (0: now), -1 when idle. */
static int step_mapping(api_ctx_t *ctx, const eng_mapping_t *m)
{
    int64_t now = kv_now_ms();
    slot_t *sl = slot_of(m->uuid);
    if (now < sl->retry_at_ms)
        return (int)(sl->retry_at_ms - now);
    kv_arena_t *a = kv_arena_new(1 << 16);
    int wait = -1;
    eng_function_t *f;
    eng_stream_t *s;
    kv_slice_t uuid = kv_slice_str(m->uuid);
    uint64_t ckpt = 0;
    if (eng_function_get(ctx->eng, kv_slice_str(m->function), a, &f) < 0 ||
        eng_stream_get(ctx->eng, m->stream_id, a, &s) < 0)
        goto out;
    if (eng_mapping_checkpoint(ctx->eng, uuid, &ckpt) == KV_ENOTFOUND)
        ckpt = 0;
    size_t limit = sl->limit ? sl->limit : m->batch_size;
    eng_srec_t *recs;
    size_t n;
    if (eng_stream_read(ctx->eng, m->stream_id, ckpt + 1, limit, ESM_BYTES, a, &recs, &n) < 0 ||
        n == 0)
        goto out;
    /* Wait for a fuller batch within the batching window. */
    if (n < limit && m->window_s && now - recs[0].time_ms < (int64_t)m->window_s * 1000) {
        wait = (int)((int64_t)m->window_s * 1000 - (now - recs[0].time_ms));
        goto out;
    }
    /* Records too old, before AT_TIMESTAMP, or not matching a filter are passed over. */
    api_json_t **pats = kv_arena_calloc(a, m->n_patterns + 1, sizeof(*pats));
    for (size_t i = 0; i < m->n_patterns; i++) {
        const char *err;
        if (api_json_parse(a, kv_slice_str(m->patterns[i]), &pats[i], &err) < 0)
            pats[i] = NULL;
    }
    kv_buf_t ev;
    kv_buf_init(&ev, 6u << 20);
    api_jw_t w;
    api_jw_init(&w, &ev);
    api_jw_obj_begin(&w);
    api_jw_key(&w, "Records");
    api_jw_arr_begin(&w);
    size_t sent = 0;
    kv_buf_t one;
    kv_buf_init(&one, 2u << 20);
    for (size_t i = 0; i < n; i++) {
        eng_srec_t *r = &recs[i];
        if (m->start == ENG_START_AT_TIMESTAMP && r->time_ms < m->start_ms)
            continue;
        if (m->max_age_s >= 0 && now - r->time_ms > (int64_t)m->max_age_s * 1000)
            continue;
        kv_buf_reset(&one);
        api_jw_t ow;
        api_jw_init(&ow, &one);
        ddb_encode_stream_record(ctx, s, r, m->source_arn, &ow);
        bool keep = m->n_patterns == 0;
        api_json_t *doc = NULL;
        const char *err;
        if (!keep && api_json_parse(a, kv_buf_slice(&one), &doc, &err) == 0)
            for (size_t p = 0; p < m->n_patterns && !keep; p++)
                keep = pats[p] && pattern_match(pats[p], doc, 0);
        if (!keep)
            continue;
        ddb_encode_stream_record(ctx, s, r, m->source_arn, &w);
        sent++;
    }
    api_jw_arr_end(&w);
    api_jw_obj_end(&w);
    kv_buf_dispose(&one);
    uint64_t last = recs[n - 1].seq;
    if (sent == 0) { /* nothing for the function: move on */
        eng_mapping_set_checkpoint(ctx->eng, uuid, last);
        kv_buf_dispose(&ev);
        wait = 0;
        goto out;
    }
    kv_buf_t result;
    kv_buf_init(&result, 6u << 20);
    api_outcome_t o = invoke_sync(ctx, f, kv_buf_slice(&ev), &result);
    kv_buf_dispose(&ev);
    uint64_t failed =
        o == API_INV_OK && m->report_failures ? first_failure(a, kv_buf_slice(&result)) : 0;
    kv_buf_dispose(&result);
    if (o == API_INV_OK && failed == 0) {
        /* Done: only now does the checkpoint move. */
        eng_mapping_set_checkpoint(ctx->eng, uuid, last);
        sl->attempts = 0;
        sl->limit = 0;
        wait = 0;
        goto out;
    }
    if (failed > ckpt + 1 && failed <= last) /* the records before the first failure are done */
        eng_mapping_set_checkpoint(ctx->eng, uuid, failed - 1);
    sl->attempts++;
    if (m->bisect && n > 1 && o != API_INV_OK) {
        sl->limit = n / 2; /* retry the first half alone */
        wait = 0;
        goto out;
    }
    if (m->max_retries >= 0 && sl->attempts > m->max_retries) {
        send_failure(ctx, m, &recs[0], &recs[n - 1], n, a);
        eng_mapping_set_checkpoint(ctx->eng, uuid, last);
        sl->attempts = 0;
        sl->limit = 0;
        wait = 0;
        goto out;
    }
    sl->retry_at_ms = now + (sl->attempts < 10 ? 100 * sl->attempts : 1000);
    wait = (int)(sl->retry_at_ms - now);
out:
    kv_arena_free(a);
    return wait;
}

int api_esm_step(api_ctx_t *ctx)
{
    kv_arena_t *a = kv_arena_new(1 << 16);
    eng_mapping_t *list;
    size_t n;
    bool more;
    kv_slice_t after = KV_SLICE_NULL;
    int wait = -1;
    size_t active = 0;
    do {
        if (eng_mapping_list(ctx->eng, after, 100, a, &list, &n, &more) < 0)
            break;
        for (size_t i = 0; i < n; i++) {
            if (!list[i].enabled)
                continue;
            active++;
            int w = step_mapping(ctx, &list[i]);
            if (w >= 0 && (wait < 0 || w < wait))
                wait = w;
        }
        if (n)
            after = kv_slice_str(list[n - 1].uuid);
    } while (more && n);
    atomic_store(&ctx->esm_active, active > 0);
    kv_arena_free(a);
    return wait;
}
