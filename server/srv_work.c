/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The worker pool (srv_work.h): N threads taking jobs from one FIFO under a
 * mutex. A job reports its own completion (a connection posts itself back to
 * its loop), so the pool knows nothing of HTTP.
 */
#include "srv_work.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_log.h"

#define SRV_WORK_MAX  64
#define SRV_WORK_NICE 19 /* where SCHED_IDLE is refused */

struct srv_work {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    srv_job_t *head, *tail;
    int queued;  /* in the FIFO */
    int running; /* taken by a thread, not finished */
    bool stopping;
    int n;
    pthread_t threads[SRV_WORK_MAX];
};

static void *worker_main(void *arg)
{
    srv_work_t *w = arg;
    /* A slow operation takes the CPU the loop threads leave, rather than delaying their
     * requests: under SCHED_IDLE a loop thread that wakes preempts the worker at once (a nice
     * value only lowers the worker's share). Linux schedules each thread on its own. */
    struct sched_param sp = {0};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0 &&
        setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), SRV_WORK_NICE) != 0)
        KV_LOG_DEBUG("worker: cannot lower its priority");
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->head == NULL && !w->stopping)
            pthread_cond_wait(&w->cond, &w->lock);
        srv_job_t *job = w->head;
        if (job == NULL)
            break; /* stopping, and nothing left */
        w->head = job->next;
        if (w->head == NULL)
            w->tail = NULL;
        job->next = NULL;
        w->queued--;
        w->running++;
        pthread_mutex_unlock(&w->lock);
        job->run(job);
        pthread_mutex_lock(&w->lock);
        w->running--;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

srv_work_t *srv_work_start(int n)
{
    if (n < 1)
        n = 1;
    if (n > SRV_WORK_MAX)
        n = SRV_WORK_MAX;
    srv_work_t *w = kv_calloc(1, sizeof(*w));
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    for (int i = 0; i < n; i++) {
        if (pthread_create(&w->threads[i], NULL, worker_main, w) != 0) {
            KV_LOG_ERROR("cannot start worker thread %d", i);
            srv_work_stop(w);
            return NULL;
        }
        w->n++;
    }
    return w;
}

void srv_work_submit(srv_work_t *w, srv_job_t *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    w->queued++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int srv_work_busy(srv_work_t *w)
{
    pthread_mutex_lock(&w->lock);
    int n = w->queued + w->running;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void srv_work_stop(srv_work_t *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    kv_free(w);
}
