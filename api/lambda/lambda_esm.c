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

#define ESM_BYTES      (5u << 20) /* a batch's records, under the 6 MB payload limit */
#define ESM_WAIT_GUARD 5000       /* ms past the function's timeout */

/* What the consumer remembers between steps, per mapping (or bucket) id. The consumer thread
 * alone adds and changes slots; the API threads read last results under slot_lock. */
typedef struct slot {
    char uuid[40];
    int attempts;
    size_t next_target; /* a bucket's event: the destinations already done */
    size_t limit;       /* a bisected batch's size; 0: BatchSize */
    int64_t retry_at_ms;
    atomic_int result; /* esm_result_t: LastProcessingResult */
    bool seen;         /* stepped in the current pass */
} slot_t;

typedef enum esm_result {
    ESM_RESULT_NONE, /* no batch yet */
    ESM_RESULT_OK,
    ESM_RESULT_FAILED,
} esm_result_t;

/* An open-addressing table of slot pointers; at most half full. */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static slot_t **slots;
static size_t slot_cap, slot_n;

static size_t slot_hash(const char *uuid)
{
    return (size_t)kv_xxh3(uuid, strlen(uuid));
}

/* The slot of uuid, or NULL (caller holds slot_lock, or is the consumer thread). */
static slot_t *slot_find(const char *uuid)
{
    if (slot_cap == 0)
        return NULL;
    for (size_t i = slot_hash(uuid) & (slot_cap - 1);; i = (i + 1) & (slot_cap - 1)) {
        if (slots[i] == NULL)
            return NULL;
        if (strcmp(slots[i]->uuid, uuid) == 0)
            return slots[i];
    }
}

static void slot_insert(slot_t **tab, size_t cap, slot_t *s)
{
    size_t i = slot_hash(s->uuid) & (cap - 1);
    while (tab[i])
        i = (i + 1) & (cap - 1);
    tab[i] = s;
}

/* Rebuild the table with room for want slots (caller holds slot_lock); with only_seen, the
 * slots not stepped in this pass are freed, and the others start the next pass unseen. */
static void slot_rebuild(size_t want, bool only_seen)
{
    size_t cap = 64;
    while (cap < 2 * want)
        cap *= 2;
    slot_t **tab = kv_calloc(cap, sizeof(*tab));
    size_t n = 0;
    for (size_t i = 0; i < slot_cap; i++) {
        slot_t *s = slots[i];
        if (s == NULL)
            continue;
        if (only_seen && !s->seen) {
            kv_free(s);
            continue;
        }
        s->seen = false;
        slot_insert(tab, cap, s);
        n++;
    }
    kv_free(slots);
    slots = tab;
    slot_cap = cap;
    slot_n = n;
}

/* The slot of uuid, made when new; marked seen in this pass. Only the consumer thread. */
static slot_t *slot_of(const char *uuid)
{
    slot_t *s = slot_find(uuid);
    if (s == NULL) {
        s = kv_calloc(1, sizeof(*s));
        snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
        atomic_init(&s->result, ESM_RESULT_NONE);
        pthread_mutex_lock(&slot_lock);
        if (2 * (slot_n + 1) > slot_cap)
            slot_rebuild(slot_n + 1, false);
        slot_insert(slots, slot_cap, s);
        slot_n++;
        pthread_mutex_unlock(&slot_lock);
    }
    s->seen = true;
    return s;
}

/* At the end of a pass: forget the ids not stepped in it (deleted or disabled). */
static void slot_sweep(void)
{
    size_t live = 0;
    for (size_t i = 0; i < slot_cap; i++)
        live += slots[i] && slots[i]->seen;
    pthread_mutex_lock(&slot_lock);
    slot_rebuild(live, true);
    pthread_mutex_unlock(&slot_lock);
}

const char *api_esm_last_result(const char *uuid)
{
    pthread_mutex_lock(&slot_lock);
    slot_t *s = slot_find(uuid);
    int r = s ? atomic_load(&s->result) : ESM_RESULT_NONE;
    pthread_mutex_unlock(&slot_lock);
    return r == ESM_RESULT_OK       ? "OK"
           : r == ESM_RESULT_FAILED ? "PROBLEM: Function call failed"
                                    : "No records processed";
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
    ctx->s3_scan_gen = UINT64_MAX; /* the first step looks at the buckets */
    kv_buf_init(&ctx->s3_names, 64u << 20);
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

/* A function run on one event: started, then waited for (several run at once). */
typedef struct job {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done, started;
    api_invocation_t inv;
    char arn[256], code[4400], rid[40], rev[40];
    const char **env;
    char **owned;
    size_t n_env;
} job_t;

static void on_done(api_invocation_t *inv)
{
    job_t *j = inv->done_arg;
    pthread_mutex_lock(&j->lock);
    j->done = true;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

/* Start f on event (which must outlive the job). */
static void job_start(api_ctx_t *ctx, const eng_function_t *f, kv_slice_t event, job_t *j)
{
    memset(j, 0, sizeof(*j));
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    kv_buf_init(&j->inv.result, 6u << 20);
    kv_buf_init(&j->inv.log, 4096);
    if (ctx->invoke == NULL || f->reserved == 0)
        return;
    snprintf(j->arn, sizeof(j->arn), "arn:aws:lambda:%s:" API_ACCOUNT_ID ":function:%s",
             ctx->region, f->name);
    eng_function_code_path(ctx->eng, f->code_id, j->code, sizeof(j->code));
    uint8_t r[16];
    kv_random(r, sizeof(r));
    snprintf(j->rid, sizeof(j->rid),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
             r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
             r[15]);
    j->n_env = f->n_env;
    j->env = kv_calloc(f->n_env + 1, sizeof(*j->env));
    j->owned = kv_calloc(f->n_env + 1, sizeof(*j->owned));
    for (size_t i = 0; i < f->n_env; i++) {
        size_t n = strlen(f->env[i].key) + strlen(f->env[i].value) + 2;
        j->owned[i] = kv_malloc(n);
        snprintf(j->owned[i], n, "%s=%s", f->env[i].key, f->env[i].value);
        j->env[i] = j->owned[i];
    }
    api_invocation_t *inv = &j->inv;
    inv->function = f->name;
    inv->arn = j->arn;
    inv->code_id = f->code_id;
    snprintf(j->rev, sizeof(j->rev), "%s", f->revision);
    inv->config = j->rev;
    inv->code_path = j->code;
    inv->runtime = f->runtime;
    inv->handler = f->handler ? f->handler : "";
    inv->timeout_s = f->timeout_s;
    inv->memory_mb = f->memory_mb;
    inv->env = j->env;
    inv->n_env = f->n_env;
    inv->concurrency = f->reserved >= 0 ? f->reserved : 10;
    inv->request_id = j->rid;
    inv->payload = event;
    inv->done = on_done;
    inv->done_arg = j;
    j->started = ctx->invoke(ctx->runner, inv) == 0;
}

/* Wait for a started job; its result is appended to result (when given). @return the outcome
 * (API_INV_FAILED when it could not be run). */
static api_outcome_t job_wait(job_t *j, kv_buf_t *result)
{
    api_outcome_t out = API_INV_FAILED;
    if (j->started) {
        pthread_mutex_lock(&j->lock);
        while (!j->done)
            pthread_cond_wait(&j->cond, &j->lock); /* the runner always finishes, timeouts too */
        pthread_mutex_unlock(&j->lock);
        out = j->inv.outcome;
        if (result)
            kv_buf_append_slice(result, kv_buf_slice(&j->inv.result));
    }
    kv_buf_dispose(&j->inv.result);
    kv_buf_dispose(&j->inv.log);
    for (size_t i = 0; i < j->n_env; i++)
        kv_free(j->owned[i]);
    kv_free(j->owned);
    kv_free(j->env);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->cond);
    return out;
}

/* Run the function on one event and wait for it. */
static api_outcome_t invoke_sync(api_ctx_t *ctx, const eng_function_t *f, kv_slice_t event,
                                 kv_buf_t *result)
{
    job_t *j = kv_malloc(sizeof(*j));
    job_start(ctx, f, event, j);
    api_outcome_t o = job_wait(j, result);
    kv_free(j);
    return o;
}

/* The function an ARN names. */
static int function_of(api_ctx_t *ctx, const char *arn, kv_arena_t *a, eng_function_t **f)
{
    const char *fn = arn ? strstr(arn, ":function:") : NULL;
    if (fn == NULL)
        return KV_ENOTFOUND;
    fn += 10;
    const char *end = strchr(fn, ':'); /* a qualifier */
    return eng_function_get(
        ctx->eng, kv_slice((const uint8_t *)fn, end ? (size_t)(end - fn) : strlen(fn)), a, f);
}

/* Hand a batch given up on to the on-failure destination: a function (run as Lambda does,
 * asynchronously to the batch) or a bucket (the record stored as an object). */
static void send_failure(api_ctx_t *ctx, const eng_mapping_t *m, const eng_stream_t *s,
                         const eng_srec_t *first, const eng_srec_t *last, size_t n, kv_arena_t *a)
{
    if (m->on_failure == NULL) {
        KV_LOG_WARN("lambda: mapping %s gave up on %zu records (%llu..%llu)", m->uuid, n,
                    (unsigned long long)first->seq, (unsigned long long)last->seq);
        return;
    }
    char when[25], shard[48], seq[24];
    kv_time_fmt_iso(kv_now_ms(), when);
    int64_t period = ctx->stream_shard_ms > 0 ? ctx->stream_shard_ms : 4 * 3600 * 1000;
    snprintf(shard, sizeof(shard), "shardId-%020llu-%08x",
             (unsigned long long)(first->time_ms / period * period), s->id);
    /* The record is written with the JSON writer: no field is trusted to need no escaping, and
     * none is cut short. */
    kv_buf_t rec;
    kv_buf_init(&rec, 1u << 20);
    api_jw_t w;
    api_jw_init(&w, &rec);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "version", "1.0");
    api_jw_kstr(&w, "timestamp", when);
    api_jw_key(&w, "requestContext");
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "requestId", m->uuid);
    api_jw_kstr(&w, "condition", "RetryAttemptsExhausted");
    api_jw_kstr(&w, "functionArn",
                kv_arena_printf(a, "arn:aws:lambda:%s:" API_ACCOUNT_ID ":function:%s", ctx->region,
                                m->function));
    api_jw_key(&w, "approximateInvokeCount");
    api_jw_i64(&w, slot_of(m->uuid)->attempts);
    api_jw_obj_end(&w);
    api_jw_key(&w, "responseContext");
    api_jw_obj_begin(&w);
    api_jw_ku64(&w, "statusCode", 200);
    api_jw_kstr(&w, "executedVersion", "$LATEST");
    api_jw_kstr(&w, "functionError", "Unhandled");
    api_jw_obj_end(&w);
    api_jw_key(&w, "DDBStreamBatchInfo");
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "shardId", shard);
    snprintf(seq, sizeof(seq), "%021llu", (unsigned long long)first->seq);
    api_jw_kstr(&w, "startSequenceNumber", seq);
    snprintf(seq, sizeof(seq), "%021llu", (unsigned long long)last->seq);
    api_jw_kstr(&w, "endSequenceNumber", seq);
    api_jw_kstr(&w, "approximateArrivalOfFirstRecord", when);
    api_jw_ku64(&w, "batchSize", n);
    api_jw_kstr(&w, "streamArn", m->source_arn);
    api_jw_obj_end(&w);
    api_jw_obj_end(&w);
    if (!api_jw_ok(&w)) {
        KV_LOG_WARN("lambda: mapping %s: the on-failure record could not be written", m->uuid);
        kv_buf_dispose(&rec);
        return;
    }
    kv_slice_t doc = kv_arena_dup(a, kv_buf_slice(&rec));
    kv_buf_dispose(&rec);
    static const char bmark[] = "arn:aws:s3:::";
    if (strncmp(m->on_failure, bmark, sizeof(bmark) - 1) == 0) {
        /* aws/lambda/<mapping>/<shard>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random> */
        char key[512], t[25];
        uint64_t r;
        kv_random(&r, sizeof(r));
        memcpy(t, when, sizeof(t));
        t[19] = 0;
        t[13] = t[16] = '.';
        snprintf(key, sizeof(key), "aws/lambda/%s/%s/%.4s/%.2s/%.2s/%s-%016llx", m->uuid, shard, t,
                 t + 5, t + 8, t, (unsigned long long)r);
        int rc = s3_put_record(ctx, kv_slice_str(m->on_failure + sizeof(bmark) - 1),
                               kv_slice_str(key), doc);
        if (rc < 0)
            KV_LOG_WARN("lambda: mapping %s: on-failure bucket %s: %s", m->uuid, m->on_failure,
                        kv_err_name(rc));
        return;
    }
    eng_function_t *f;
    if (function_of(ctx, m->on_failure, a, &f) < 0) {
        KV_LOG_WARN("lambda: mapping %s: on-failure destination %s is not a function here", m->uuid,
                    m->on_failure);
        return;
    }
    kv_buf_t result;
    kv_buf_init(&result, 6u << 20);
    invoke_sync(ctx, f, doc, &result);
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

#define ESM_LANES 10 /* ParallelizationFactor's largest value */

/* A lane of a window: the batch one concurrent invocation gets. */
typedef struct lane {
    kv_buf_t ev;
    api_jw_t w;
    size_t n;
    uint64_t first; /* its first record's number */
    job_t job;
} lane_t;

/*
 * Work on one mapping: a window of records after the checkpoint is cut into ParallelizationFactor
 * lanes by partition key (a key's records stay in one lane, in order; a lane holds at most
 * BatchSize), the lanes run at once, and the checkpoint moves past the window only when all
 * succeeded — or up to the first record any lane failed on. @return ms until it wants another
 * step (0: now), -1 when idle.
 */
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
    size_t nl = m->parallel >= 1 && m->parallel <= ESM_LANES ? m->parallel : 1;
    size_t per_lane = m->batch_size ? m->batch_size : 100;
    size_t limit = sl->limit ? sl->limit : per_lane * nl; /* a bisected window is smaller */
    if (per_lane > limit)
        per_lane = limit;
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
    lane_t *lanes = kv_calloc(nl, sizeof(*lanes));
    for (size_t l = 0; l < nl; l++) {
        kv_buf_init(&lanes[l].ev, 6u << 20);
        api_jw_init(&lanes[l].w, &lanes[l].ev);
        api_jw_obj_begin(&lanes[l].w);
        api_jw_key(&lanes[l].w, "Records");
        api_jw_arr_begin(&lanes[l].w);
    }
    size_t sent = 0, used = 0; /* the window: recs[0, used) */
    kv_buf_t one;
    kv_buf_init(&one, 2u << 20);
    kv_buf_t key;
    kv_buf_init(&key, 4096);
    for (; used < n; used++) {
        eng_srec_t *r = &recs[used];
        size_t l = 0;
        if (nl > 1) { /* the lane of the record's partition key */
            kv_buf_reset(&key);
            eng_item_encode(r->keys, &key);
            l = kv_xxh3(key.p, key.len) % nl;
        }
        if (lanes[l].n == per_lane)
            break; /* the lane is full: the window ends here */
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
        api_jw_raw(&lanes[l].w, kv_buf_slice(&one));
        if (lanes[l].n++ == 0)
            lanes[l].first = r->seq;
        sent++;
    }
    kv_buf_dispose(&one);
    kv_buf_dispose(&key);
    uint64_t last = recs[used - 1].seq;
    bool ok = true;
    api_outcome_t worst = API_INV_OK;
    uint64_t failed = 0; /* the first record a lane failed on */
    if (sent) {
        for (size_t l = 0; l < nl; l++) {
            api_jw_arr_end(&lanes[l].w);
            api_jw_obj_end(&lanes[l].w);
            if (lanes[l].n)
                job_start(ctx, f, kv_buf_slice(&lanes[l].ev), &lanes[l].job);
        }
        kv_buf_t result;
        kv_buf_init(&result, 6u << 20);
        for (size_t l = 0; l < nl; l++) {
            if (lanes[l].n == 0)
                continue;
            kv_buf_reset(&result);
            api_outcome_t o = job_wait(&lanes[l].job, &result);
            uint64_t lf = o != API_INV_OK      ? lanes[l].first
                          : m->report_failures ? first_failure(a, kv_buf_slice(&result))
                                               : 0;
            if (o != API_INV_OK)
                worst = o;
            if (lf && (failed == 0 || lf < failed))
                failed = lf;
        }
        kv_buf_dispose(&result);
        ok = worst == API_INV_OK && failed == 0;
        atomic_store(&sl->result, ok ? ESM_RESULT_OK : ESM_RESULT_FAILED);
    }
    for (size_t l = 0; l < nl; l++)
        kv_buf_dispose(&lanes[l].ev);
    kv_free(lanes);
    if (ok) {
        /* Done (or nothing for the function): only now does the checkpoint move. */
        eng_mapping_set_checkpoint(ctx->eng, uuid, last);
        sl->attempts = 0;
        sl->limit = 0;
        wait = 0;
        goto out;
    }
    if (failed > ckpt + 1 && failed <= last) /* the records before the first failure are done */
        eng_mapping_set_checkpoint(ctx->eng, uuid, failed - 1);
    sl->attempts++;
    if (m->bisect && used > 1 && worst != API_INV_OK) {
        sl->limit = used / 2; /* retry the first half alone */
        wait = 0;
        goto out;
    }
    if (m->max_retries >= 0 && sl->attempts > m->max_retries) {
        send_failure(ctx, m, s, &recs[0], &recs[used - 1], used, a);
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

/* ---- S3 event notifications: a bucket's event log to its destinations ---- */

#define S3_EVENT_RETRIES 2 /* S3 invokes asynchronously: Lambda retries twice */

/* Deliver a bucket's logged events, one at a time, to the destinations they match; the
 * checkpoint moves past an event once every destination took it (or gave up after the
 * retries). @return ms until another step is wanted (0: now), -1 when idle. */
static int step_bucket(api_ctx_t *ctx, const eng_bucket_t *b)
{
    char id[40];
    snprintf(id, sizeof(id), "s3:%u", b->log_id);
    int64_t now = kv_now_ms();
    slot_t *sl = slot_of(id);
    if (now < sl->retry_at_ms)
        return (int)(sl->retry_at_ms - now);
    kv_arena_t *a = kv_arena_new(1 << 16);
    kv_slice_t ck = kv_slice_str(id);
    uint64_t ckpt = 0;
    if (eng_mapping_checkpoint(ctx->eng, ck, &ckpt) == KV_ENOTFOUND)
        ckpt = 0;
    s3_notify_target_t *ts = NULL;
    size_t nt = 0;
    eng_srec_t *recs;
    size_t n = 0;
    int wait = -1;
    if (s3_notify_targets(a, b->docs[ENG_BDOC_NOTIFY], &ts, &nt) < 0 ||
        eng_stream_read(ctx->eng, b->log_id, ckpt + 1, 64, ESM_BYTES, a, &recs, &n) < 0)
        n = 0;
    kv_buf_t ev;
    kv_buf_init(&ev, 1u << 20);
    for (size_t i = 0; i < n; i++) {
        eng_srec_t *r = &recs[i];
        kv_slice_t name = s3_event_name(r), key = s3_event_key(r);
        for (size_t t = sl->next_target; t < nt; t++) {
            eng_function_t *f;
            if (!s3_notify_match(&ts[t], name, key))
                continue;
            if (function_of(ctx, ts[t].arn, a, &f) < 0) {
                KV_LOG_WARN("s3: bucket %s: notification destination %s is gone", b->name,
                            ts[t].arn);
                continue;
            }
            kv_buf_reset(&ev);
            api_jw_t w;
            api_jw_init(&w, &ev);
            api_jw_obj_begin(&w);
            api_jw_key(&w, "Records");
            api_jw_arr_begin(&w);
            s3_encode_event(ctx, b->name, r, ts[t].id, &w);
            api_jw_arr_end(&w);
            api_jw_obj_end(&w);
            kv_buf_t result;
            kv_buf_init(&result, 6u << 20);
            api_outcome_t o = invoke_sync(ctx, f, kv_buf_slice(&ev), &result);
            kv_buf_dispose(&result);
            if (o != API_INV_OK && sl->attempts < S3_EVENT_RETRIES) {
                sl->attempts++;
                sl->next_target = t; /* the destinations before it are done */
                sl->retry_at_ms = now + 200 * sl->attempts;
                wait = (int)(sl->retry_at_ms - now);
                goto out;
            }
            if (o != API_INV_OK)
                KV_LOG_WARN("s3: bucket %s: %.*s of %.*s not delivered to %s", b->name,
                            (int)name.len, (const char *)name.p, (int)key.len, (const char *)key.p,
                            ts[t].arn);
            sl->attempts = 0;
        }
        sl->next_target = 0;
        sl->attempts = 0;
        eng_mapping_set_checkpoint(ctx->eng, ck, r->seq);
        wait = 0;
    }
out:
    kv_buf_dispose(&ev);
    kv_arena_free(a);
    return wait;
}

/* The names of the buckets whose notifications are on, listed again only when a notification
 * configuration was put since the last listing. */
static void list_notified(api_ctx_t *ctx)
{
    uint64_t gen = atomic_load(&ctx->s3_gen);
    if (gen == ctx->s3_scan_gen)
        return;
    kv_buf_reset(&ctx->s3_names);
    kv_arena_t *a = kv_arena_new(1 << 16);
    kv_buf_t last; /* the name to list after (the arena is reset between pages) */
    kv_buf_init(&last, 256);
    eng_bucket_t *list;
    size_t n;
    bool more;
    int rc = 0;
    do {
        kv_arena_reset(a);
        rc = eng_bucket_list(ctx->eng, last.len ? kv_buf_slice(&last) : KV_SLICE_NULL, 100, a,
                             &list, &n, &more);
        if (rc < 0)
            break;
        for (size_t i = 0; i < n; i++) {
            if (list[i].log_id == 0 || list[i].docs[ENG_BDOC_NOTIFY].len == 0)
                continue;
            kv_buf_append_str(&ctx->s3_names, list[i].name);
            kv_buf_append_byte(&ctx->s3_names, 0);
        }
        if (n) {
            kv_buf_reset(&last);
            kv_buf_append_str(&last, list[n - 1].name);
        }
    } while (more && n);
    kv_buf_dispose(&last);
    kv_arena_free(a);
    if (rc == 0 && !kv_buf_failed(&ctx->s3_names))
        ctx->s3_scan_gen = gen;
}

/* Step every bucket whose notifications are on. @return as step_bucket, *active the count. */
static int step_buckets(api_ctx_t *ctx, size_t *active)
{
    list_notified(ctx);
    kv_arena_t *a = kv_arena_new(1 << 16);
    int wait = -1;
    const char *p = (const char *)ctx->s3_names.p, *end = p + ctx->s3_names.len;
    for (; p && p < end; p += strlen(p) + 1) {
        eng_bucket_t *b;
        kv_arena_reset(a);
        if (eng_bucket_get(ctx->eng, kv_slice_str(p), a, &b) < 0 || b->log_id == 0 ||
            b->docs[ENG_BDOC_NOTIFY].len == 0)
            continue; /* deleted, or switched off since the listing */
        (*active)++;
        int w = step_bucket(ctx, b);
        if (w >= 0 && (wait < 0 || w < wait))
            wait = w;
    }
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
    bool listed = false; /* every mapping was listed: the slots not seen can go */
    do {
        if (eng_mapping_list(ctx->eng, after, 100, a, &list, &n, &more) < 0)
            break;
        listed = !more || n == 0;
        for (size_t i = 0; i < n; i++) {
            if (!list[i].enabled) { /* a disabled mapping keeps its state */
                slot_t *sl = slot_find(list[i].uuid);
                if (sl)
                    sl->seen = true;
                continue;
            }
            active++;
            int w = step_mapping(ctx, &list[i]);
            if (w >= 0 && (wait < 0 || w < wait))
                wait = w;
        }
        if (n)
            after = kv_slice_str(list[n - 1].uuid);
    } while (more && n);
    size_t buckets = 0;
    int bw = step_buckets(ctx, &buckets);
    if (bw >= 0 && (wait < 0 || bw < wait))
        wait = bw;
    active += buckets;
    if (listed) /* a listing that failed part way saw only some mappings */
        slot_sweep();
    atomic_store(&ctx->esm_active, active > 0);
    kv_arena_free(a);
    return wait;
}

void api_fn_error_json(kv_buf_t *out, kv_slice_t msg, const char *type)
{
    api_jw_t w;
    api_jw_init(&w, out);
    api_jw_obj_begin(&w);
    api_jw_key(&w, "errorMessage");
    api_jw_str(&w, msg);
    if (type)
        api_jw_kstr(&w, "errorType", type);
    api_jw_obj_end(&w);
}
