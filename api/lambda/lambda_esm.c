/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event source mappings at work: for each enabled mapping, the stream records after its
 * checkpoint are filtered (Lambda's event-filtering patterns), batched (BatchSize,
 * MaximumBatchingWindowInSeconds) and given to the function as Lambda's DynamoDB event; the
 * checkpoint (state CF) advances only after the function succeeded, so a crash replays the
 * batch: at-least-once, in order. Failures are retried (MaximumRetryAttempts,
 * MaximumRecordAgeInSeconds), halved (BisectBatchOnFunctionError) or partly retried
 * (ReportBatchItemFailures); a batch given up goes to the on-failure function. Two scheduler
 * jobs do the work, "esm" (mappings) and "s3-events" (bucket notifications), woken by the
 * engine's commit notifier: there is no polling interval. Each mapping and each bucket is a
 * state machine: a step starts its invocations and returns, the runner's completion kicks the
 * job, and the next step looks at the outcome; a slow function holds only its own.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api_msg.h"
#include "../codec/api_json_r.h"
#include "../codec/api_pattern.h"
#include "../ddb/ddb_int.h"
#include "../s3/s3_int.h"
#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "lambda_int.h"
#include "lambda_inv.h"

#define ESM_BYTES (5u << 20) /* a batch's records, under the 6 MB payload limit */

/* What the jobs remember between steps, per mapping (or bucket) id. The job alone adds, changes
 * and removes slots; the API threads read a mapping's last result under the table's lock. */
typedef struct flight flight_t;
typedef struct slot {
    char uuid[40];
    int attempts;
    size_t next_target; /* a bucket's event (cur_seq): the destinations already done */
    uint64_t cur_seq;
    size_t limit; /* a bisected batch's size; 0: BatchSize */
    int64_t retry_at_ms;
    atomic_int result; /* esm_result_t: LastProcessingResult */
    bool seen;         /* in the latest listing */
    flight_t *fl;      /* the invocations started and not yet looked at */
} slot_t;

typedef enum esm_result {
    ESM_RESULT_NONE, /* no batch yet */
    ESM_RESULT_OK,
    ESM_RESULT_FAILED,
} esm_result_t;

/* An open-addressing table of slot pointers; at most half full. */
struct esm_slots {
    pthread_mutex_t lock;
    slot_t **tab;
    size_t cap, n;
};

static void flight_free(flight_t *fl);
static bool flight_free_if_idle(slot_t *s);

static size_t slot_hash(const char *uuid)
{
    return (size_t)kv_xxh3(uuid, strlen(uuid));
}

/* The slot of uuid, or NULL (caller holds the lock, or is the job). */
static slot_t *slot_find(esm_slots_t *t, const char *uuid)
{
    if (t->cap == 0)
        return NULL;
    for (size_t i = slot_hash(uuid) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (t->tab[i] == NULL)
            return NULL;
        if (strcmp(t->tab[i]->uuid, uuid) == 0)
            return t->tab[i];
    }
}

static void slot_insert(slot_t **tab, size_t cap, slot_t *s)
{
    size_t i = slot_hash(s->uuid) & (cap - 1);
    while (tab[i])
        i = (i + 1) & (cap - 1);
    tab[i] = s;
}

/* Rebuild the table with room for want slots (caller holds the lock); with only_seen, the slots
 * not seen in the latest listing are freed unless invocations of theirs are still running. */
static void slot_rebuild(esm_slots_t *t, size_t want, bool only_seen)
{
    size_t cap = 64;
    while (cap < 2 * want)
        cap *= 2;
    slot_t **tab = kv_calloc(cap, sizeof(*tab));
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++) {
        slot_t *s = t->tab[i];
        if (s == NULL)
            continue;
        if (only_seen && !s->seen && (s->fl == NULL || flight_free_if_idle(s))) {
            kv_free(s);
            continue;
        }
        slot_insert(tab, cap, s);
        n++;
    }
    kv_free(t->tab);
    t->tab = tab;
    t->cap = cap;
    t->n = n;
}

/* The slot of uuid, made when new. Only the job. */
static slot_t *slot_of(esm_slots_t *t, const char *uuid)
{
    slot_t *s = slot_find(t, uuid);
    if (s == NULL) {
        s = kv_calloc(1, sizeof(*s));
        snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
        atomic_init(&s->result, ESM_RESULT_NONE);
        s->seen = true;
        pthread_mutex_lock(&t->lock);
        if (2 * (t->n + 1) > t->cap)
            slot_rebuild(t, t->n + 1, false);
        slot_insert(t->tab, t->cap, s);
        t->n++;
        pthread_mutex_unlock(&t->lock);
    }
    return s;
}

/* After a listing that marked the live ids seen: forget the others (deleted), and start the
 * next listing unseen. */
static void slot_sweep(esm_slots_t *t)
{
    pthread_mutex_lock(&t->lock);
    slot_rebuild(t, t->n, true);
    for (size_t i = 0; i < t->cap; i++)
        if (t->tab[i])
            t->tab[i]->seen = false;
    pthread_mutex_unlock(&t->lock);
}

static void slots_mark(esm_slots_t *t, const char *uuid)
{
    slot_t *s = slot_find(t, uuid);
    if (s)
        s->seen = true;
}

static esm_slots_t *slots_new(void)
{
    esm_slots_t *t = kv_calloc(1, sizeof(*t));
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

/* Free every slot (lambda_fini: the runner finished every invocation). */
static void slots_free(esm_slots_t *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->tab[i]) {
            if (t->tab[i]->fl)
                flight_free(t->tab[i]->fl);
            kv_free(t->tab[i]);
        }
    kv_free(t->tab);
    pthread_mutex_destroy(&t->lock);
    kv_free(t);
}

const char *api_esm_last_result(api_ctx_t *ctx, const char *uuid)
{
    esm_t *e = esm_of(ctx);
    pthread_mutex_lock(&e->maps->lock);
    slot_t *s = slot_find(e->maps, uuid);
    int r = s ? atomic_load(&s->result) : ESM_RESULT_NONE;
    pthread_mutex_unlock(&e->maps->lock);
    return r == ESM_RESULT_OK       ? "OK"
           : r == ESM_RESULT_FAILED ? "PROBLEM: Function call failed"
                                    : "No records processed";
}

/* ---- waking ---- */

int lambda_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state)
{
    (void)ctx, (void)cfg;
    esm_t *e = kv_calloc(1, sizeof(*e));
    e->maps = slots_new();
    e->buckets = slots_new();
    atomic_init(&e->map_gen, 1); /* the first step lists the mappings */
    atomic_init(&e->s3_gen, 1);  /* and the buckets */
    e->map_wait = -1;
    kv_buf_init(&e->s3_names, 64u << 20);
    pthread_mutex_init(&e->aq_lock, NULL);
    *state = e;
    return 0;
}

void lambda_fini(void *state)
{
    esm_t *e = state;
    lambda_async_free(e);
    lambda_esm_sqs_free(e);
    slots_free(e->maps);
    slots_free(e->buckets);
    if (e->map_arena)
        kv_arena_free(e->map_arena);
    kv_free(e->map_list);
    kv_buf_dispose(&e->s3_names);
    pthread_mutex_destroy(&e->aq_lock);
    kv_free(e);
}

void api_esm_kick(api_ctx_t *ctx)
{
    esm_t *e = esm_of(ctx);
    atomic_fetch_add(&e->map_gen, 1);
    api_sched_kick(ctx, "esm");
}

void api_esm_kick_buckets(api_ctx_t *ctx)
{
    esm_t *e = esm_of(ctx);
    atomic_fetch_add(&e->s3_gen, 1);
    api_sched_kick(ctx, "s3-events");
}

/* ---- one batch ---- */

/* A function run on one event: started by a step, finished on the runner's thread, looked at by
 * a later step. */
typedef struct job {
    flight_t *fl;        /* the batch it belongs to; NULL: nobody waits (it frees itself) */
    atomic_bool started; /* the runner took it: done() will be called */
    kv_arena_t *a;       /* the invocation's own: its strings and its copy of the event */
    api_invocation_t inv;
} job_t;

#define ESM_LANES 10 /* ParallelizationFactor's largest value */

/* A lane of a window: the batch one concurrent invocation gets. */
typedef struct lane {
    kv_buf_t ev;
    api_jw_t w;
    size_t n;
    uint64_t first; /* its first record's number */
    job_t job;
} lane_t;

/* The invocations a step started for one mapping (its lanes) or one bucket (one lane), with
 * what the step that looks at their outcome needs. Freed by the job once left is 0: the runner
 * calls done() once per started invocation, also at shutdown, and done() never touches the
 * flight after its decrement. */
struct flight {
    api_ctx_t *ctx;
    const char *job_name; /* the job to kick when the last one finished */
    atomic_int left;      /* invocations still running */
    size_t nl;
    lane_t *lanes;
    /* a mapping's window */
    uint64_t ckpt, first_seq, last_seq;
    int64_t first_time_ms;
    size_t used;
    /* a bucket's event */
    uint64_t seq;
    size_t target;
    char invoked[400]; /* the qualified ARN invoked ("": the function's own) */
};

static void job_dispose(job_t *j)
{
    kv_buf_dispose(&j->inv.result);
    kv_buf_dispose(&j->inv.log);
    if (j->a)
        kv_arena_free(j->a);
}

static void on_done(api_invocation_t *inv)
{
    job_t *j = inv->done_arg;
    flight_t *fl = j->fl;
    if (fl == NULL) { /* an on-failure destination: nothing waits for it */
        job_dispose(j);
        kv_free(j);
        return;
    }
    api_ctx_t *ctx = fl->ctx;
    const char *name = fl->job_name;
    if (atomic_fetch_sub(&fl->left, 1) == 1) /* fl may be freed from here on */
        api_sched_kick(ctx, name);
}

/* Start f on event (the job keeps its own copy). @return whether the runner took it. */
static bool job_start(api_ctx_t *ctx, const eng_function_t *f, kv_slice_t event, job_t *j,
                      flight_t *fl)
{
    memset(j, 0, sizeof(*j));
    j->fl = fl;
    atomic_init(&j->started, false);
    if (ctx->invoke == NULL || f->reserved == 0)
        return false;
    j->a = kv_arena_new(event.len + 16384);
    api_invocation_t *inv = &j->inv;
    lambda_inv_fill(ctx, f, event, NULL, j->a, inv);
    if (fl && fl->invoked[0])
        inv->invoked_arn = kv_arena_strndup(j->a, fl->invoked, strlen(fl->invoked));
    inv->done = on_done;
    inv->done_arg = j;
    atomic_store(&j->started, true);
    if (ctx->invoke(ctx->runner, inv) == 0)
        return true;
    atomic_store(&j->started, false);
    return false;
}

/* The outcome of a finished job; its result is appended to result (when given). */
static api_outcome_t job_outcome(job_t *j, kv_buf_t *result)
{
    if (!atomic_load(&j->started))
        return API_INV_FAILED;
    if (result)
        kv_buf_append_slice(result, kv_buf_slice(&j->inv.result));
    return j->inv.outcome;
}

static flight_t *flight_new(api_ctx_t *ctx, const char *job_name, size_t nl)
{
    flight_t *fl = kv_calloc(1, sizeof(*fl));
    fl->ctx = ctx;
    fl->job_name = job_name;
    atomic_init(&fl->left, 0);
    fl->nl = nl;
    fl->lanes = kv_calloc(nl, sizeof(*fl->lanes));
    return fl;
}

/* Start the lanes that hold records (their events complete); those the runner did not take
 * count as failed. When left is 0 afterwards, nothing will kick: the caller steps again. */
static void flight_start(api_ctx_t *ctx, flight_t *fl, const eng_function_t *f)
{
    int want = 0;
    for (size_t l = 0; l < fl->nl; l++)
        want += fl->lanes[l].n > 0;
    atomic_store(&fl->left, want + 1); /* + 1: the starter's own hold */
    for (size_t l = 0; l < fl->nl; l++)
        if (fl->lanes[l].n &&
            !job_start(ctx, f, kv_buf_slice(&fl->lanes[l].ev), &fl->lanes[l].job, fl))
            atomic_fetch_sub(&fl->left, 1);
    atomic_fetch_sub(&fl->left, 1);
}

static void flight_free(flight_t *fl)
{
    for (size_t l = 0; l < fl->nl; l++) {
        kv_buf_dispose(&fl->lanes[l].ev);
        if (fl->lanes[l].n)
            job_dispose(&fl->lanes[l].job);
    }
    kv_free(fl->lanes);
    kv_free(fl);
}

static bool flight_free_if_idle(slot_t *s)
{
    if (atomic_load(&s->fl->left) > 0)
        return false;
    flight_free(s->fl);
    s->fl = NULL;
    return true;
}

/* The function an ARN names (with a qualifier: the version it names now). */
static int function_of(api_ctx_t *ctx, const char *arn, kv_arena_t *a, eng_function_t **f)
{
    kv_slice_t name;
    if (arn == NULL || !lambda_arn_function(kv_slice_str(arn), &name))
        return KV_ENOTFOUND;
    const char *end = (const char *)name.p + name.len;
    return lambda_qual_pick(ctx, a, name, kv_slice_str(*end == ':' ? end + 1 : ""), f);
}

/* Hand a batch given up on to the on-failure destination: a function (run as Lambda does,
 * asynchronously to the batch), a bucket (the record stored as an object), or an SQS queue, SNS
 * topic or EventBridge bus (the record as the message, api_msg_deliver). */
static void send_failure(api_ctx_t *ctx, const eng_mapping_t *m, const eng_stream_t *s,
                         const flight_t *fl, int attempts, kv_arena_t *a)
{
    size_t n = fl->used;
    if (m->on_failure == NULL) {
        KV_LOG_WARN("lambda: mapping %s gave up on %zu records (%llu..%llu)", m->uuid, n,
                    (unsigned long long)fl->first_seq, (unsigned long long)fl->last_seq);
        return;
    }
    /* Sent as the function's execution role (issue 15). */
    const char *colon = strchr(m->function, ':');
    kv_slice_t fname =
        kv_slice(m->function, colon ? (size_t)(colon - m->function) : strlen(m->function));
    eng_function_t *src;
    if (lambda_qual_pick(ctx, a, fname, kv_slice_str(colon ? colon + 1 : ""), &src) < 0 ||
        !lambda_fn_role_may_send(ctx, src->role, src->name, kv_slice_str(m->on_failure), a)) {
        KV_LOG_WARN("lambda: mapping %s: its function's execution role may not send to %s", m->uuid,
                    m->on_failure);
        return;
    }
    char when[25], shard[48], seq[24];
    kv_time_fmt_iso(kv_now_ms(), when);
    int64_t period = ddb_stream_shard_ms(ctx);
    snprintf(shard, sizeof(shard), "shardId-%020llu-%08x",
             (unsigned long long)(fl->first_time_ms / period * period), s->id);
    /* The record is written with the JSON writer: no field is trusted to need no escaping, and
     * none is cut short. */
    kv_buf_t rec;
    kv_buf_init(&rec, 1u << 20);
    api_jw_t w;
    api_jw_init(&w, &rec);
    lambda_record_begin(&w, when, m->uuid);
    api_jw_kstr(&w, "condition", "RetryAttemptsExhausted");
    api_jw_kstr(&w, "functionArn",
                api_arn_new(a, "lambda", ctx->region, "function:%s", m->function));
    api_jw_key(&w, "approximateInvokeCount");
    api_jw_i64(&w, attempts);
    api_jw_obj_end(&w);
    lambda_record_response(&w, true);
    api_jw_key(&w, "DDBStreamBatchInfo");
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "shardId", shard);
    snprintf(seq, sizeof(seq), "%021llu", (unsigned long long)fl->first_seq);
    api_jw_kstr(&w, "startSequenceNumber", seq);
    snprintf(seq, sizeof(seq), "%021llu", (unsigned long long)fl->last_seq);
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
    kv_slice_t bucket;
    if (lambda_arn_bucket(kv_slice_str(m->on_failure), &bucket)) {
        /* aws/lambda/<mapping>/<shard>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random> */
        char key[512], t[25];
        uint64_t r;
        kv_random(&r, sizeof(r));
        memcpy(t, when, sizeof(t));
        t[19] = 0;
        t[13] = t[16] = '.';
        snprintf(key, sizeof(key), "aws/lambda/%s/%s/%.4s/%.2s/%.2s/%s-%016llx", m->uuid, shard, t,
                 t + 5, t + 8, t, (unsigned long long)r);
        int rc = s3_put_record(ctx, bucket, kv_slice_str(key), doc);
        if (rc < 0)
            KV_LOG_WARN("lambda: mapping %s: on-failure bucket %s: %s", m->uuid, m->on_failure,
                        kv_err_name(rc));
        return;
    }
    if (api_msg_is_target(kv_slice_str(m->on_failure))) { /* a queue, a topic or a bus */
        const char *why = NULL;
        int rc = api_msg_deliver(
            ctx, kv_slice_str(m->on_failure), doc, "lambda",
            "Lambda Function Invocation Result - Failure",
            kv_slice_str(api_arn_new(a, "lambda", ctx->region, "function:%s", m->function)), &why);
        if (rc < 0)
            KV_LOG_WARN("lambda: mapping %s: on-failure destination %s: %s%s%s", m->uuid,
                        m->on_failure, kv_err_name(rc), why ? ": " : "", why ? why : "");
        return;
    }
    eng_function_t *f;
    if (function_of(ctx, m->on_failure, a, &f) < 0) {
        KV_LOG_WARN("lambda: mapping %s: on-failure destination %s is not a function here", m->uuid,
                    m->on_failure);
        return;
    }
    /* Run as Lambda does, asynchronously: the job owns a copy and frees itself when done. */
    job_t *j = kv_malloc(sizeof(*j));
    if (!job_start(ctx, f, doc, j, NULL)) {
        KV_LOG_WARN("lambda: mapping %s: on-failure function %s could not run", m->uuid, f->name);
        job_dispose(j);
        kv_free(j);
    }
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

/* The outcome of a mapping's finished window: the checkpoint moves past the window only when
 * every lane succeeded, or up to the first record any lane failed on; else a retry, a bisection,
 * or the on-failure destination. @return ms until it wants another step (0: now). */
static int finish_mapping(api_ctx_t *ctx, const eng_mapping_t *m, slot_t *sl, kv_arena_t *a)
{
    flight_t *fl = sl->fl;
    sl->fl = NULL;
    kv_slice_t uuid = kv_slice_str(m->uuid);
    api_outcome_t worst = API_INV_OK;
    uint64_t failed = 0; /* the first record a lane failed on */
    kv_buf_t result;
    kv_buf_init(&result, 6u << 20);
    for (size_t l = 0; l < fl->nl; l++) {
        if (fl->lanes[l].n == 0)
            continue;
        kv_buf_reset(&result);
        api_outcome_t o = job_outcome(&fl->lanes[l].job, &result);
        uint64_t lf = o != API_INV_OK      ? fl->lanes[l].first
                      : m->report_failures ? first_failure(a, kv_buf_slice(&result))
                                           : 0;
        if (o != API_INV_OK)
            worst = o;
        if (lf && (failed == 0 || lf < failed))
            failed = lf;
    }
    kv_buf_dispose(&result);
    bool ok = worst == API_INV_OK && failed == 0;
    atomic_store(&sl->result, ok ? ESM_RESULT_OK : ESM_RESULT_FAILED);
    int wait = 0;
    uint64_t ckpt = fl->ckpt, last = fl->last_seq;
    if (ok) {
        /* Done: only now does the checkpoint move. */
        eng_mapping_set_checkpoint(ctx->eng, uuid, last);
        sl->attempts = 0;
        sl->limit = 0;
        goto out;
    }
    if (failed > ckpt + 1 && failed <= last) /* the records before the first failure are done */
        eng_mapping_set_checkpoint(ctx->eng, uuid, failed - 1);
    sl->attempts++;
    if (m->bisect && fl->used > 1 && worst != API_INV_OK) {
        sl->limit = fl->used / 2; /* retry the first half alone */
        goto out;
    }
    if (m->max_retries >= 0 && sl->attempts > m->max_retries) {
        eng_stream_t *s;
        if (eng_stream_get(ctx->eng, m->stream_id, a, &s) == 0)
            send_failure(ctx, m, s, fl, sl->attempts, a);
        eng_mapping_set_checkpoint(ctx->eng, uuid, last);
        sl->attempts = 0;
        sl->limit = 0;
        goto out;
    }
    int64_t now = kv_now_ms();
    sl->retry_at_ms = now + (sl->attempts < 10 ? 100 * sl->attempts : 1000);
    wait = (int)(sl->retry_at_ms - now);
out:
    flight_free(fl);
    return wait;
}

/*
 * Work on one mapping: a window of records after the checkpoint is cut into ParallelizationFactor
 * lanes by partition key (a key's records stay in one lane, in order; a lane holds at most
 * BatchSize), and the lanes are started at once; a later step, kicked when the last finished,
 * looks at their outcome (finish_mapping). A mapping whose function is slow holds only itself.
 * @return ms until it wants another step (0: now), -1 when idle or waiting for its invocations.
 */
static int step_mapping(api_ctx_t *ctx, esm_slots_t *slots, const eng_mapping_t *m)
{
    slot_t *sl = slot_of(slots, m->uuid);
    if (sl->fl && atomic_load(&sl->fl->left) > 0)
        return -1; /* its invocations are running: the last one to finish kicks */
    kv_arena_t *a = kv_arena_new(1 << 16);
    int wait = -1;
    if (sl->fl) {
        wait = finish_mapping(ctx, m, sl, a);
        goto out;
    }
    int64_t now = kv_now_ms();
    if (now < sl->retry_at_ms) {
        wait = (int)(sl->retry_at_ms - now);
        goto out;
    }
    eng_function_t *f;
    eng_stream_t *s;
    kv_slice_t uuid = kv_slice_str(m->uuid);
    uint64_t ckpt = 0;
    /* "name" or "name:qualifier": each batch runs the version the qualifier names now (an
     * alias's weights pick one per batch) */
    const char *colon = strchr(m->function, ':');
    kv_slice_t fname =
        colon ? kv_slice(m->function, (size_t)(colon - m->function)) : kv_slice_str(m->function);
    if (lambda_qual_pick(ctx, a, fname, kv_slice_str(colon ? colon + 1 : ""), &f) < 0 ||
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
    /* Filters are EventBridge patterns (api_pattern.c); DynamoDB numbers arrive as strings. */
    api_pattern_t **pats = kv_arena_calloc(a, m->n_patterns + 1, sizeof(*pats));
    for (size_t i = 0; i < m->n_patterns; i++) {
        const char *err;
        if (api_pattern_compile(a, kv_slice_str(m->patterns[i]), API_PAT_NUMSTR, &pats[i], &err) <
            0)
            pats[i] = NULL;
    }
    flight_t *fl = flight_new(ctx, "esm", nl);
    lane_t *lanes = fl->lanes;
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
                keep = pats[p] && api_pattern_match(pats[p], doc);
        if (!keep)
            continue;
        api_jw_raw(&lanes[l].w, kv_buf_slice(&one));
        if (lanes[l].n++ == 0)
            lanes[l].first = r->seq;
        sent++;
    }
    kv_buf_dispose(&one);
    kv_buf_dispose(&key);
    fl->ckpt = ckpt;
    fl->used = used;
    fl->first_seq = recs[0].seq;
    fl->first_time_ms = recs[0].time_ms;
    fl->last_seq = recs[used - 1].seq;
    if (sent == 0) {
        /* Nothing for the function: the checkpoint moves past the window. */
        eng_mapping_set_checkpoint(ctx->eng, uuid, fl->last_seq);
        sl->attempts = 0;
        sl->limit = 0;
        flight_free(fl);
        wait = 0;
        goto out;
    }
    for (size_t l = 0; l < nl; l++) {
        api_jw_arr_end(&lanes[l].w);
        api_jw_obj_end(&lanes[l].w);
    }
    sl->fl = fl;
    if (strchr(m->function, ':'))
        api_arn_write(fl->invoked, sizeof(fl->invoked), "lambda", ctx->region, "function:%s",
                      m->function);
    flight_start(ctx, fl, f);
    wait = atomic_load(&fl->left) == 0 ? 0 : -1; /* else the last one to finish kicks */
out:
    kv_arena_free(a);
    return wait;
}

/* ---- S3 event notifications: a bucket's event log to its destinations ---- */

#define S3_EVENT_RETRIES 2   /* S3 invokes asynchronously: Lambda retries twice */
#define S3_SEND_RETRIES  100 /* a queue, topic or bus that is throttled: about 15 minutes */

/* Deliver a bucket's logged events, one at a time, to the destinations they match; the
 * checkpoint moves past an event once every destination took it (or gave up after the
 * retries). A step starts one invocation and returns; the step after it finished goes on.
 * @return ms until another step is wanted (0: now), -1 when idle or waiting. */
static int step_bucket(api_ctx_t *ctx, esm_slots_t *slots, const eng_bucket_t *b)
{
    char id[40];
    snprintf(id, sizeof(id), "s3:%u", b->log_id);
    slot_t *sl = slot_of(slots, id);
    sl->seen = true;
    int64_t now = kv_now_ms();
    if (sl->fl) {
        flight_t *fl = sl->fl;
        if (atomic_load(&fl->left) > 0)
            return -1;
        api_outcome_t o = job_outcome(&fl->lanes[0].job, NULL);
        uint64_t seq = fl->seq;
        size_t t = fl->target;
        sl->fl = NULL;
        flight_free(fl);
        sl->cur_seq = seq;
        if (o != API_INV_OK && sl->attempts < S3_EVENT_RETRIES) {
            sl->attempts++;
            sl->next_target = t; /* the destinations before it are done */
            sl->retry_at_ms = now + 200 * sl->attempts;
            return (int)(sl->retry_at_ms - now);
        }
        if (o != API_INV_OK)
            KV_LOG_WARN("s3: bucket %s: event %llu not delivered to its destination %zu", b->name,
                        (unsigned long long)seq, t + 1);
        sl->attempts = 0;
        sl->next_target = t + 1;
    }
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
    for (size_t i = 0; i < n; i++) {
        eng_srec_t *r = &recs[i];
        if (sl->cur_seq != r->seq) { /* next_target counts for the event it was set on */
            sl->cur_seq = r->seq;
            sl->next_target = 0;
            sl->attempts = 0;
        }
        kv_slice_t name = s3_event_name(r), key = s3_event_key(r);
        for (size_t t = sl->next_target; t < nt; t++) {
            eng_function_t *f;
            if (!s3_notify_match(&ts[t], name, key))
                continue;
            if (ts[t].kind != S3_NOTIFY_FUNCTION) {
                /* A queue, topic or the bus: sent (and committed) here, at once. */
                const char *why = NULL;
                int rc = s3_notify_send(ctx, b->name, b->log_id, r, &ts[t], &why);
                if (rc == 0 || rc == KV_ENOTFOUND || rc == KV_EINVAL ||
                    sl->attempts >= S3_SEND_RETRIES) {
                    if (rc < 0)
                        KV_LOG_WARN("s3: bucket %s: event %llu not delivered to %s: %s%s%s",
                                    b->name, (unsigned long long)r->seq,
                                    ts[t].arn ? ts[t].arn : "the default event bus",
                                    kv_err_name(rc), why ? ": " : "", why ? why : "");
                    sl->attempts = 0;
                    sl->next_target = t + 1;
                    continue;
                }
                /* Throttled or the disk is full: this event again later, from here. */
                if (sl->attempts == 0)
                    KV_LOG_INFO("s3: bucket %s: %s busy (%s), event %llu sent again later", b->name,
                                ts[t].arn ? ts[t].arn : "the default event bus", kv_err_name(rc),
                                (unsigned long long)r->seq);
                sl->attempts++;
                sl->next_target = t;
                int64_t back = 200 * (int64_t)sl->attempts;
                sl->retry_at_ms = now + (back > 10000 ? 10000 : back);
                wait = (int)(sl->retry_at_ms - now);
                goto out;
            }
            /* s3.amazonaws.com may invoke it only as the function policy allows (issue 15):
             * refused, it fails as a failed invocation does (retried, then given up). */
            if (!lambda_s3_may_invoke(ctx, ts[t].arn, b->name, a)) {
                if (sl->attempts < S3_EVENT_RETRIES) {
                    sl->attempts++;
                    sl->next_target = t;
                    sl->retry_at_ms = now + 200 * sl->attempts;
                    wait = (int)(sl->retry_at_ms - now);
                    goto out;
                }
                KV_LOG_WARN("s3: bucket %s: event %llu not delivered to %s: the function policy "
                            "does not allow s3.amazonaws.com to invoke it",
                            b->name, (unsigned long long)r->seq, ts[t].arn);
                sl->attempts = 0;
                continue;
            }
            if (function_of(ctx, ts[t].arn, a, &f) < 0) {
                KV_LOG_WARN("s3: bucket %s: notification destination %s is gone", b->name,
                            ts[t].arn);
                continue;
            }
            flight_t *fl = flight_new(ctx, "s3-events", 1);
            kv_buf_init(&fl->lanes[0].ev, 1u << 20);
            api_jw_t w;
            api_jw_init(&w, &fl->lanes[0].ev);
            api_jw_obj_begin(&w);
            api_jw_key(&w, "Records");
            api_jw_arr_begin(&w);
            s3_encode_event(ctx, b->name, r, ts[t].id, &w);
            api_jw_arr_end(&w);
            api_jw_obj_end(&w);
            fl->lanes[0].n = 1;
            fl->seq = r->seq;
            fl->target = t;
            sl->fl = fl;
            kv_slice_t fn;
            if (lambda_arn_function(kv_slice_str(ts[t].arn), &fn) &&
                ((const char *)fn.p)[fn.len] == ':') /* a qualified ARN: the context shows it */
                snprintf(fl->invoked, sizeof(fl->invoked), "%s", ts[t].arn);
            flight_start(ctx, fl, f);
            wait = atomic_load(&fl->left) == 0 ? 0 : -1;
            goto out;
        }
        sl->next_target = 0;
        sl->attempts = 0;
        eng_mapping_set_checkpoint(ctx->eng, ck, r->seq);
        wait = 0;
    }
out:
    kv_arena_free(a);
    return wait;
}

/* The names of the buckets whose notifications are on, listed again only when a notification
 * configuration was put since the last listing. */
static void list_notified(api_ctx_t *ctx, esm_t *e)
{
    uint64_t gen = atomic_load(&e->s3_gen);
    if (gen == e->s3_scan_gen)
        return;
    kv_buf_reset(&e->s3_names);
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
            kv_buf_append_str(&e->s3_names, list[i].name);
            kv_buf_append_byte(&e->s3_names, 0);
        }
        if (n) {
            kv_buf_reset(&last);
            kv_buf_append_str(&last, list[n - 1].name);
        }
    } while (more && n);
    kv_buf_dispose(&last);
    kv_arena_free(a);
    if (rc == 0 && !kv_buf_failed(&e->s3_names))
        e->s3_scan_gen = gen;
}

/* The s3-events job: a step for every bucket whose notifications are on. Each starts at most
 * one invocation, so the pass is bounded by the buckets; the list is cached. */
int lambda_s3_events_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)state, (void)budget;
    esm_t *e = esm_of(ctx);
    uint64_t gen = e->s3_scan_gen;
    list_notified(ctx, e);
    bool relisted = gen != e->s3_scan_gen;
    kv_arena_t *a = kv_arena_new(1 << 16);
    int wait = -1;
    const char *p = (const char *)e->s3_names.p, *end = p + e->s3_names.len;
    for (; p && p < end; p += strlen(p) + 1) {
        eng_bucket_t *b;
        kv_arena_reset(a);
        if (eng_bucket_get(ctx->eng, kv_slice_str(p), a, &b) < 0 || b->log_id == 0 ||
            b->docs[ENG_BDOC_NOTIFY].len == 0)
            continue; /* deleted, or switched off since the listing */
        int w = step_bucket(ctx, e->buckets, b);
        if (w >= 0 && (wait < 0 || w < wait))
            wait = w;
    }
    kv_arena_free(a);
    if (relisted) /* the buckets not stepped in this pass are no longer notified */
        slot_sweep(e->buckets);
    bool active = e->s3_names.len > 0;
    api_sched_listen(ctx, "s3-events", active);
    /* Idle with buckets to watch: a look now and then as well (as commits wake it). */
    return wait < 0 && active ? INT_MAX : wait;
}

/* List the mappings again (a mapping was created, changed or deleted). */
static void list_mappings(api_ctx_t *ctx, esm_t *e)
{
    uint64_t gen = atomic_load(&e->map_gen);
    if (gen == e->map_scan_gen)
        return;
    kv_arena_t *a = kv_arena_new(1 << 16);
    eng_mapping_t *all = NULL, *list;
    size_t n_all = 0, n;
    bool more, listed = false;
    kv_slice_t after = KV_SLICE_NULL;
    do {
        if (eng_mapping_list(ctx->eng, after, 100, a, &list, &n, &more) < 0)
            break;
        listed = !more || n == 0;
        all = kv_realloc(all, (n_all + n + 1) * sizeof(*all));
        memcpy(all + n_all, list, n * sizeof(*all));
        n_all += n;
        if (n)
            after = kv_slice_str(list[n - 1].uuid);
    } while (more && n);
    if (!listed) { /* keep the old list; try again at the next step */
        kv_free(all);
        kv_arena_free(a);
        return;
    }
    if (e->map_arena)
        kv_arena_free(e->map_arena);
    kv_free(e->map_list);
    e->map_arena = a;
    e->map_list = all;
    e->n_maps = n_all;
    e->map_cursor = 0;
    e->map_wait = -1;
    e->map_scan_gen = gen;
    e->n_enabled = 0;
    for (size_t i = 0; i < n_all; i++) { /* disabled mappings keep their state too */
        slots_mark(e->maps, all[i].uuid);
        e->n_enabled += all[i].enabled;
    }
    slot_sweep(e->maps);
    api_sched_listen(ctx, "esm", e->n_enabled > 0);
}

/* The esm job: a step for each enabled mapping, budget of them per run (a cursor goes round the
 * cached list). */
int lambda_esm_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)state;
    esm_t *e = esm_of(ctx);
    list_mappings(ctx, e);
    for (unsigned k = 0; k < budget && e->map_cursor < e->n_maps; k++) {
        const eng_mapping_t *m = &e->map_list[e->map_cursor++];
        if (!m->enabled && m->source != ENG_SOURCE_SQS)
            continue; /* a disabled mapping keeps its state */
        int w = m->source == ENG_SOURCE_SQS ? lambda_esm_sqs_step(ctx, m) /* issue 14 */
                                            : step_mapping(ctx, e->maps, m);
        if (w >= 0 && (e->map_wait < 0 || w < e->map_wait))
            e->map_wait = w;
    }
    if (e->map_cursor < e->n_maps)
        return 0; /* the rest of the pass */
    /* the batches in flight of SQS mappings deleted since (issue 14) */
    lambda_esm_sqs_pass_end(ctx);
    int wait = e->map_wait;
    e->map_cursor = 0;
    e->map_wait = -1;
    /* Idle with mappings to watch: a look now and then as well (as commits wake it). */
    return wait < 0 && e->n_enabled ? INT_MAX : wait;
}

const api_job_t lambda_jobs[LAMBDA_N_JOBS] = {
    {"esm", 1000, true, lambda_esm_run},
    {"s3-events", 1000, true, lambda_s3_events_run},
    {"async-invoke", 1000, false, lambda_async_run},
};

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
