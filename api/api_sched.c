/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scheduler: every background job (api_job_t) runs here, on the one services thread. Each
 * job keeps its next run time; a step runs the due jobs one bounded step each, round-robin (a
 * job with more work waiting runs again only after the others had their turn), and the thread
 * sleeps until the earliest due time, an engine commit (jobs with on_commit), a kick
 * (api_sched_kick, from any thread) or stop.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "api_service.h"
#include "base/kv_alloc.h"
#include "base/kv_log.h"
#include "base/kv_time.h"

#define SCHED_JOBS_MAX 32
#define SCHED_BUDGET   1000 /* units of work (items, records, mappings) per run */
#define SCHED_NEVER    INT64_MAX

typedef struct sched_job {
    const api_job_t *job;
    void *state; /* its service's */
    unsigned period_ms;
    int64_t due_ms;     /* monotonic; SCHED_NEVER: only when woken */
    atomic_bool kicked; /* woken since its last run */
    atomic_bool listen; /* commits wake it (on_commit jobs) */
} sched_job_t;

typedef struct sched {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t wakes, seen; /* under lock */
    bool stop;
    size_t rr; /* the job the next step starts with */
    size_t n;
    sched_job_t jobs[SCHED_JOBS_MAX];
} sched_t;

static int64_t mono_ms(void)
{
    return (int64_t)(kv_now_mono_ns() / 1000000u);
}

static void wake(sched_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->wakes++;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* The engine's commit notifier: wakes the on_commit jobs (once until they ran). */
static void on_commit(void *arg, uint64_t seq)
{
    sched_t *s = arg;
    (void)seq;
    bool any = false;
    for (size_t i = 0; i < s->n; i++)
        if (atomic_load_explicit(&s->jobs[i].listen, memory_order_relaxed) &&
            !atomic_exchange(&s->jobs[i].kicked, true))
            any = true;
    if (any)
        wake(s);
}

void api_sched_init(api_ctx_t *ctx)
{
    sched_t *s = kv_calloc(1, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    for (size_t k = 0; k < api_n_services; k++)
        for (size_t i = 0; i < api_services[k]->n_jobs && s->n < SCHED_JOBS_MAX; i++) {
            sched_job_t *j = &s->jobs[s->n++];
            j->job = &api_services[k]->jobs[i];
            j->state = api_service_state(ctx, api_services[k]);
            j->period_ms = j->job->period_ms;
            j->due_ms = 0; /* every job runs once at the start */
            atomic_init(&j->kicked, false);
            atomic_init(&j->listen, j->job->on_commit);
        }
    ctx->sched = s;
    eng_notifier_add(ctx->eng, on_commit, s);
}

void api_sched_free(api_ctx_t *ctx)
{
    sched_t *s = ctx->sched;
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    kv_free(s);
    ctx->sched = NULL;
}

static sched_job_t *find(sched_t *s, const char *name)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (strcmp(s->jobs[i].job->name, name) == 0)
            return &s->jobs[i];
    return NULL;
}

void api_sched_kick(api_ctx_t *ctx, const char *job)
{
    sched_t *s = ctx->sched;
    sched_job_t *j = find(s, job);
    if (j && !atomic_exchange(&j->kicked, true))
        wake(s);
}

void api_sched_listen(api_ctx_t *ctx, const char *job, bool on)
{
    sched_job_t *j = find(ctx->sched, job);
    if (j && j->job->on_commit)
        atomic_store(&j->listen, on);
}

int api_sched_set_period(api_ctx_t *ctx, const char *job, unsigned ms)
{
    sched_t *s = ctx->sched;
    sched_job_t *j = find(s, job);
    if (j == NULL)
        return -1;
    pthread_mutex_lock(&s->lock);
    j->period_ms = ms;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int api_sched_step(api_ctx_t *ctx)
{
    sched_t *s = ctx->sched;
    size_t n = s->n, start = s->rr;
    for (size_t k = 0; k < n; k++) {
        sched_job_t *j = &s->jobs[(start + k) % n];
        int64_t now = mono_ms();
        bool kicked = atomic_exchange(&j->kicked, false);
        if (!kicked && j->due_ms > now)
            continue;
        pthread_mutex_lock(&s->lock);
        bool stop = s->stop;
        unsigned period = j->period_ms;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            return -1;
        int ms = j->job->run(ctx, j->state, SCHED_BUDGET);
        now = mono_ms();
        if (ms < 0)
            j->due_ms = SCHED_NEVER;
        else if (ms == INT_MAX || (period && (unsigned)ms > period))
            j->due_ms = now + period;
        else
            j->due_ms = now + ms;
    }
    s->rr = n ? (start + 1) % n : 0;
    int64_t now = mono_ms(), next = SCHED_NEVER;
    for (size_t i = 0; i < n; i++) {
        if (atomic_load(&s->jobs[i].kicked))
            return 0;
        if (s->jobs[i].due_ms < next)
            next = s->jobs[i].due_ms;
    }
    if (next == SCHED_NEVER)
        return -1;
    return next <= now ? 0 : next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

void api_sched_wait(api_ctx_t *ctx, int ms)
{
    sched_t *s = ctx->sched;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (ms >= 0) {
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&s->lock);
    uint64_t seen = s->seen;
    while (s->wakes == seen && !s->stop) {
        if (ms < 0)
            pthread_cond_wait(&s->cond, &s->lock);
        else if (pthread_cond_timedwait(&s->cond, &s->lock, &until) != 0)
            break;
    }
    s->seen = s->wakes;
    pthread_mutex_unlock(&s->lock);
}

void api_sched_stop(api_ctx_t *ctx)
{
    sched_t *s = ctx->sched;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}
