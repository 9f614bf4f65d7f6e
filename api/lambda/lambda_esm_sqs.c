/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event source mappings on SQS queues (issue 14): the esm job's step for a mapping whose source
 * is a queue. It receives messages with api_sqs_consume (invisible for the queue's visibility
 * timeout), passes over those its FilterCriteria reject (deleting them, as Lambda does), fills a
 * batch up to BatchSize and 6 MB within MaximumBatchingWindowInSeconds, and invokes the function
 * with Lambda's SQS event {"Records":[…]}. Up to ScalingConfig.MaximumConcurrency batches (5 when
 * not set) run at once; on a FIFO queue the queue hands out one in-flight batch per message group,
 * so a group's messages stay in order while several groups run. A batch whose function
 * succeeded is deleted (api_sqs_ack); with ReportBatchItemFailures all but the failed items are;
 * a failed batch is left to become visible again after the visibility timeout (the queue's
 * redrive policy moves a message to its dead-letter queue after maxReceiveCount receives). A
 * disabled or deleted mapping receives nothing more; the messages it held and had not yet given
 * to the function become visible at once (api_sqs_nack).
 *
 * Nothing here is durable: the queue is. After kill -9 the messages received and not deleted
 * become visible again: at least once.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api_msg.h"
#include "../codec/api_json_r.h"
#include "../codec/api_pattern.h"
#include "base/kv_alloc.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "lambda_int.h"
#include "lambda_inv.h"

#define SQS_ESM_BYTES       ((6u << 20) - 1024) /* an event's records: under the 6 MB payload */
#define SQS_ESM_CONCURRENCY 5 /* batches at once without MaximumConcurrency (Lambda's start) */

/* A batch: records received and not yet handed over (the mapping's filling batch), or records
 * given to one invocation (in flight). */
typedef struct sbatch {
    kv_arena_t *a; /* its records' copies */
    api_sqs_rec_t *recs;
    size_t n, cap, bytes;
    int64_t first_ms; /* when its first record was received */
    /* in flight */
    api_ctx_t *ctx;
    atomic_bool finished; /* the runner called done */
    bool report_failures;
    kv_arena_t *ia; /* the invocation's strings */
    api_invocation_t inv;
    int64_t started_ms;
    struct sbatch *next;
} sbatch_t;

/* One mapping's state, kept by the job alone. */
typedef struct smap {
    char uuid[40];
    char *queue_arn;
    sbatch_t *filling;
    sbatch_t *flying; /* in flight, newest first */
    size_t n_flying;
    uint64_t pass; /* the pass of the mappings that last stepped it */
    struct smap *next;
} smap_t;

struct esm_sqs {
    smap_t *maps;
    uint64_t pass;
};

static esm_sqs_t *sqs_of(esm_t *e)
{
    if (e->sqs == NULL)
        e->sqs = kv_calloc(1, sizeof(*e->sqs));
    return e->sqs;
}

static sbatch_t *batch_new(void)
{
    sbatch_t *b = kv_calloc(1, sizeof(*b));
    b->a = kv_arena_new(1 << 16);
    atomic_init(&b->finished, false);
    return b;
}

static void batch_free(sbatch_t *b)
{
    if (b == NULL)
        return;
    if (b->ia) {
        kv_buf_dispose(&b->inv.result);
        kv_buf_dispose(&b->inv.log);
        kv_arena_free(b->ia);
    }
    kv_arena_free(b->a);
    kv_free(b->recs);
    kv_free(b);
}

/* Add a copy of r to b. */
static void batch_add(sbatch_t *b, const api_sqs_rec_t *r, int64_t now)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 16;
        b->recs = kv_realloc(b->recs, b->cap * sizeof(*b->recs));
    }
    api_sqs_rec_t *c = &b->recs[b->n++];
    c->json = kv_arena_dup(b->a, r->json);
    c->receipt = kv_arena_dup(b->a, r->receipt);
    c->message_id = kv_arena_dup(b->a, r->message_id);
    c->group_id = kv_arena_dup(b->a, r->group_id);
    if (b->n == 1)
        b->first_ms = now;
    b->bytes += r->json.len + 1;
}

/* ---- filters ---- */

/* Copy a parsed JSON value to w (depth: what the parser allowed). */
static void json_copy(api_jw_t *w, const api_json_t *v)
{
    switch (api_json_type(v)) {
    case API_J_NULL:
        api_jw_null(w);
        break;
    case API_J_BOOL:
        api_jw_bool(w, api_json_bool(v));
        break;
    case API_J_INT: {
        int64_t i = 0;
        api_json_int(v, &i);
        api_jw_i64(w, i);
        break;
    }
    case API_J_REAL: {
        double d = 0;
        char t[40];
        api_json_num(v, &d);
        int n = snprintf(t, sizeof(t), "%.17g", d);
        api_jw_raw(w, kv_slice(t, (size_t)n));
        break;
    }
    case API_J_STR:
        api_jw_str(w, api_json_str(v));
        break;
    case API_J_ARR:
        api_jw_arr_begin(w);
        for (size_t i = 0; i < api_json_len(v); i++)
            json_copy(w, api_json_at(v, i));
        api_jw_arr_end(w);
        break;
    case API_J_OBJ: {
        api_jw_obj_begin(w);
        void *it = NULL;
        const char *k;
        api_json_t *m;
        while (api_json_next(v, &it, &k, &m)) {
            api_jw_key(w, k);
            json_copy(w, m);
        }
        api_jw_obj_end(w);
        break;
    }
    }
}

/* Does record r pass one of the patterns? The record is matched as Lambda documents: its body
 * as JSON when it parses as JSON, else as the string it is. */
static bool record_passes(api_pattern_t *const *pats, size_t np, const api_sqs_rec_t *r,
                          kv_arena_t *a, kv_buf_t *tmp)
{
    api_json_t *rec, *body = NULL, *doc;
    const char *err;
    if (api_json_parse(a, r->json, &rec, &err) < 0)
        return false;
    const api_json_t *b = api_json_get(rec, "body");
    if (b && api_json_type(b) == API_J_STR && api_json_parse(a, api_json_str(b), &body, &err) < 0)
        body = NULL;
    doc = rec;
    if (body) { /* the record again, its body a JSON value */
        kv_buf_reset(tmp);
        api_jw_t w;
        api_jw_init(&w, tmp);
        api_jw_obj_begin(&w);
        void *it = NULL;
        const char *k;
        api_json_t *m;
        while (api_json_next(rec, &it, &k, &m)) {
            api_jw_key(&w, k);
            json_copy(&w, strcmp(k, "body") == 0 ? body : m);
        }
        api_jw_obj_end(&w);
        if (!api_jw_ok(&w) || api_json_parse(a, kv_buf_slice(tmp), &doc, &err) < 0)
            doc = rec;
    }
    for (size_t p = 0; p < np; p++)
        if (pats[p] && api_pattern_match(pats[p], doc))
            return true;
    return false;
}

/* ---- one batch's invocation and its outcome ---- */

static void on_done(api_invocation_t *inv)
{
    sbatch_t *b = inv->done_arg;
    api_ctx_t *ctx = b->ctx;
    atomic_store(&b->finished, true); /* b may be freed from here on */
    api_sched_kick(ctx, "esm");
}

static int slice_cmp(const void *x, const void *y)
{
    return kv_slice_cmp(*(const kv_slice_t *)x, *(const kv_slice_t *)y);
}

static bool id_in(const kv_slice_t *ids, size_t n, kv_slice_t id)
{
    return n && bsearch(&id, ids, n, sizeof(*ids), slice_cmp) != NULL;
}

/*
 * The items a ReportBatchItemFailures response names, sorted, into *failed (arena a). As Lambda
 * documents: no response, null, {} or an empty or null batchItemFailures is a full success; a
 * response that is not JSON, or an item whose itemIdentifier is missing, empty, not a string or
 * not a message of the batch, fails the whole batch. @return false: the whole batch failed
 */
static bool failed_items(const sbatch_t *b, kv_arena_t *a, kv_slice_t **failed, size_t *nf)
{
    *failed = NULL;
    *nf = 0;
    kv_slice_t res = kv_buf_slice(&b->inv.result);
    size_t i = 0;
    while (i < res.len &&
           (res.p[i] == ' ' || res.p[i] == '\n' || res.p[i] == '\r' || res.p[i] == '\t'))
        i++;
    if (i == res.len)
        return true;
    api_json_t *root;
    const char *err;
    if (api_json_parse(a, res, &root, &err) < 0)
        return false;
    const api_json_t *list = api_json_get(root, "batchItemFailures");
    if (list == NULL || api_json_type(list) == API_J_NULL)
        return true;
    if (api_json_type(list) != API_J_ARR)
        return false;
    size_t n = api_json_len(list);
    if (n > b->n)
        return false;
    kv_slice_t *ids = kv_arena_calloc(a, b->n + 1, sizeof(*ids));
    for (size_t k = 0; k < b->n; k++)
        ids[k] = b->recs[k].message_id;
    qsort(ids, b->n, sizeof(*ids), slice_cmp);
    kv_slice_t *f = kv_arena_calloc(a, n + 1, sizeof(*f));
    for (size_t k = 0; k < n; k++) {
        const api_json_t *id = api_json_get(api_json_at(list, k), "itemIdentifier");
        if (id == NULL || api_json_type(id) != API_J_STR || api_json_str(id).len == 0 ||
            !id_in(ids, b->n, api_json_str(id)))
            return false;
        f[k] = api_json_str(id);
    }
    qsort(f, n, sizeof(*f), slice_cmp);
    *failed = f;
    *nf = n;
    return true;
}

/* A finished batch: delete what the function took. */
static void batch_finish(api_ctx_t *ctx, const char *queue_arn, const char *uuid, sbatch_t *b)
{
    kv_slice_t q = kv_slice_str(queue_arn);
    if (b->inv.outcome != API_INV_OK) {
        KV_LOG_DEBUG("lambda: mapping %s: a batch of %zu messages failed; they return after the "
                     "visibility timeout",
                     uuid, b->n);
        return;
    }
    kv_arena_t *a = kv_arena_new(1 << 14);
    kv_slice_t *failed = NULL;
    size_t nf = 0;
    if (b->report_failures && !failed_items(b, a, &failed, &nf)) {
        KV_LOG_DEBUG("lambda: mapping %s: an invalid batchItemFailures response fails the batch",
                     uuid);
        kv_arena_free(a);
        return;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (id_in(failed, nf, b->recs[i].message_id))
            continue;
        int rc = api_sqs_ack(ctx, q, b->recs[i].receipt);
        if (rc < 0 && rc != KV_ENOTFOUND)
            KV_LOG_WARN("lambda: mapping %s: deleting a message: %s", uuid, kv_err_name(rc));
    }
    kv_arena_free(a);
}

/* Hand the first records of the filling batch (as many as fit in an event) to f. The records
 * left stay in the filling batch. @return false when the runner did not take it (the batch
 * failed: its messages return after the visibility timeout) */
static bool batch_launch(api_ctx_t *ctx, const eng_mapping_t *m, smap_t *sm,
                         const eng_function_t *f)
{
    sbatch_t *fill = sm->filling, *b = batch_new();
    kv_buf_t ev;
    kv_buf_init(&ev, 6u << 20);
    api_jw_t w;
    api_jw_init(&w, &ev);
    api_jw_obj_begin(&w);
    api_jw_key(&w, "Records");
    api_jw_arr_begin(&w);
    size_t take = 0, bytes = 0;
    for (; take < fill->n; take++) {
        size_t len = fill->recs[take].json.len + 1;
        if (take && bytes + len > SQS_ESM_BYTES)
            break;
        bytes += len;
        api_jw_raw(&w, fill->recs[take].json);
        batch_add(b, &fill->recs[take], fill->first_ms);
    }
    api_jw_arr_end(&w);
    api_jw_obj_end(&w);
    b->first_ms = fill->first_ms;
    /* the filling batch keeps the rest, copied to a fresh arena (so that it never grows past
     * what it holds) */
    size_t left = fill->n - take;
    kv_arena_t *old = fill->a;
    api_sqs_rec_t *rest = fill->recs;
    fill->a = kv_arena_new(1 << 16);
    fill->recs = NULL;
    fill->n = fill->cap = fill->bytes = 0;
    for (size_t i = 0; i < left; i++)
        batch_add(fill, &rest[take + i], b->first_ms);
    kv_free(rest);
    kv_arena_free(old);
    b->ctx = ctx;
    b->report_failures = m->report_failures;
    b->started_ms = kv_now_ms();
    bool ok = api_jw_ok(&w);
    if (ok) {
        b->ia = kv_arena_new(ev.len + 16384);
        lambda_inv_fill(ctx, f, kv_buf_slice(&ev), NULL, b->ia, &b->inv);
        if (strchr(m->function, ':'))
            b->inv.invoked_arn =
                api_arn_new(b->ia, "lambda", ctx->region, "function:%s", m->function);
        b->inv.done = on_done;
        b->inv.done_arg = b;
        b->next = sm->flying; /* before the call: done may come at once */
        sm->flying = b;
        sm->n_flying++;
        if (ctx->invoke(ctx->runner, &b->inv) < 0) {
            sm->flying = b->next;
            sm->n_flying--;
            ok = false;
        }
    }
    kv_buf_dispose(&ev);
    if (!ok) {
        KV_LOG_DEBUG("lambda: mapping %s: function %s could not run a batch", m->uuid, f->name);
        batch_free(b);
    }
    return ok;
}

/* Look at the finished batches of sm; m (NULL: the mapping is deleted). */
static void collect(api_ctx_t *ctx, smap_t *sm)
{
    for (sbatch_t **p = &sm->flying; *p;) {
        sbatch_t *b = *p;
        if (!atomic_load(&b->finished)) {
            p = &b->next;
            continue;
        }
        *p = b->next;
        sm->n_flying--;
        batch_finish(ctx, sm->queue_arn, sm->uuid, b);
        batch_free(b);
    }
}

/* Give the filling batch's messages back to the queue at once (the mapping stopped). */
static void give_back(api_ctx_t *ctx, smap_t *sm)
{
    sbatch_t *fill = sm->filling;
    if (fill == NULL)
        return;
    for (size_t i = 0; i < fill->n; i++)
        api_sqs_nack(ctx, kv_slice_str(sm->queue_arn), fill->recs[i].receipt, 0);
    batch_free(fill);
    sm->filling = NULL;
}

static smap_t *smap_of(esm_sqs_t *s, const eng_mapping_t *m)
{
    for (smap_t *sm = s->maps; sm; sm = sm->next)
        if (strcmp(sm->uuid, m->uuid) == 0)
            return sm;
    smap_t *sm = kv_calloc(1, sizeof(*sm));
    snprintf(sm->uuid, sizeof(sm->uuid), "%s", m->uuid);
    sm->queue_arn = kv_strdup(m->source_arn);
    sm->next = s->maps;
    s->maps = sm;
    return sm;
}

static void smap_free(smap_t *sm)
{
    batch_free(sm->filling);
    for (sbatch_t *b = sm->flying, *nx; b; b = nx) {
        nx = b->next;
        batch_free(b);
    }
    kv_free(sm->queue_arn);
    kv_free(sm);
}

int lambda_esm_sqs_step(api_ctx_t *ctx, const eng_mapping_t *m)
{
    esm_sqs_t *s = sqs_of(esm_of(ctx));
    smap_t *sm = smap_of(s, m);
    sm->pass = s->pass;
    collect(ctx, sm);
    if (!m->enabled) {
        give_back(ctx, sm);
        return -1; /* its batches in flight kick when they finish */
    }
    kv_arena_t *a = kv_arena_new(1 << 16);
    int wait = -1;
    eng_function_t *f;
    unsigned vis_s;
    kv_slice_t q = kv_slice_str(sm->queue_arn);
    const char *colon = strchr(m->function, ':');
    kv_slice_t fname =
        colon ? kv_slice(m->function, (size_t)(colon - m->function)) : kv_slice_str(m->function);
    if (api_sqs_info(ctx, q, &vis_s, NULL) < 0 ||
        lambda_qual_pick(ctx, a, fname, kv_slice_str(colon ? colon + 1 : ""), &f) < 0) {
        give_back(ctx, sm); /* the queue or the function is gone: nothing to receive for */
        goto out;
    }
    if (ctx->invoke == NULL || f->reserved == 0) {
        give_back(ctx, sm);
        wait = 1000; /* throttled: receive nothing for it (a look again in a while) */
        goto out;
    }
    api_pattern_t **pats = kv_arena_calloc(a, m->n_patterns + 1, sizeof(*pats));
    for (size_t i = 0; i < m->n_patterns; i++) {
        const char *err;
        if (api_pattern_compile(a, kv_slice_str(m->patterns[i]), 0, &pats[i], &err) < 0)
            pats[i] = NULL;
    }
    size_t max = m->max_concurrency ? m->max_concurrency : SQS_ESM_CONCURRENCY;
    size_t batch = m->batch_size ? m->batch_size : 10;
    /* The batching window, but never so long that the held messages' visibility ends. */
    int64_t window = (int64_t)m->window_s * 1000;
    if (window > (int64_t)vis_s * 500)
        window = (int64_t)vis_s * 500;
    kv_buf_t tmp;
    kv_buf_init(&tmp, 8u << 20);
    kv_arena_t *ra = kv_arena_new(1 << 16);
    /* Each round either launches a batch, or receives into the filling one and stops; bounded
     * by the batches allowed in flight. */
    size_t round = 0;
    for (; round <= max + 1 && sm->n_flying < max; round++) {
        if (sm->filling == NULL)
            sm->filling = batch_new();
        sbatch_t *fill = sm->filling;
        int64_t now = kv_now_ms();
        bool received = false;
        if (fill->n < batch && fill->bytes < SQS_ESM_BYTES) {
            api_sqs_rec_t *recs;
            size_t n = 0;
            int64_t wake = -1;
            kv_arena_reset(ra);
            int rc =
                api_sqs_consume(ctx, q, (unsigned)(batch - fill->n), vis_s, ra, &recs, &n, &wake);
            if (rc < 0) {
                KV_LOG_DEBUG("lambda: mapping %s: receiving: %s", m->uuid, kv_err_name(rc));
                wait = 1000; /* try again in a while */
                break;
            }
            for (size_t i = 0; i < n; i++) {
                if (m->n_patterns && !record_passes(pats, m->n_patterns, &recs[i], ra, &tmp)) {
                    api_sqs_ack(ctx, q, recs[i].receipt); /* filtered out: deleted */
                    continue;
                }
                batch_add(fill, &recs[i], now);
            }
            received = n > 0;
            if (n == 0 && fill->n == 0) {
                /* (0: the queue saw something it could not give yet; look again soon) */
                wait = wake > 0 && wake < INT_MAX ? (int)wake : wake == 0 ? 10 : -1;
                break; /* nothing visible: a send (a commit) or the wake time brings more */
            }
        }
        if (fill->n == 0)
            continue; /* everything received was filtered out: receive again */
        bool full = fill->n >= batch || fill->bytes >= SQS_ESM_BYTES;
        int64_t held = now - fill->first_ms;
        if (!full && held < window) {
            /* wait for more within the window (a send wakes the job earlier) */
            if (received)
                continue;
            wait = (int)(window - held);
            break;
        }
        if (!batch_launch(ctx, m, sm, f)) {
            wait = 1000; /* throttled (or stopping): the next batch a while later */
            break;
        }
    }
    if (round > max + 1)
        wait = 0; /* the rounds ran out with messages to receive: on at the next step */
    kv_arena_free(ra);
    kv_buf_dispose(&tmp);
    if (sm->n_flying >= max)
        wait = -1; /* the next to finish kicks */
out:
    kv_arena_free(a);
    return wait;
}

int lambda_esm_sqs_pass_end(api_ctx_t *ctx)
{
    esm_sqs_t *s = sqs_of(esm_of(ctx));
    for (smap_t **p = &s->maps; *p;) {
        smap_t *sm = *p;
        if (sm->pass == s->pass) {
            p = &sm->next;
            continue;
        }
        /* not stepped in this pass: deleted; its batches in flight still finish */
        collect(ctx, sm);
        give_back(ctx, sm);
        if (sm->n_flying) {
            p = &sm->next;
            continue;
        }
        *p = sm->next;
        smap_free(sm);
    }
    s->pass++;
    return -1;
}

void lambda_esm_sqs_free(esm_t *e)
{
    if (e->sqs == NULL)
        return;
    for (smap_t *sm = e->sqs->maps, *nx; sm; sm = nx) {
        nx = sm->next;
        smap_free(sm);
    }
    kv_free(e->sqs);
    e->sqs = NULL;
}
