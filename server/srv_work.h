/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The worker pool: a few threads that run the execute stage of operations
 * flagged slow (api_offload), so that a loop thread never waits for them.
 */
#ifndef SRV_WORK_H
#define SRV_WORK_H

typedef struct srv_work srv_work_t;

/** One piece of work, embedded in its owner (no allocation per job). */
typedef struct srv_job {
    /** Called once on a worker thread; the owner posts its own completion. */
    void (*run)(struct srv_job *job);
    struct srv_job *next; /* the queue's link */
} srv_job_t;

/** Start n worker threads (n < 1 is taken as 1). @return the pool, or NULL (logged). */
srv_work_t *srv_work_start(int n);
/**
 * Queue a job (any thread). Jobs start in the order they were queued. The queue is a
 * FIFO without its own bound: each connection has at most one job queued or running,
 * so it holds at most as many jobs as there are connections.
 */
void srv_work_submit(srv_work_t *w, srv_job_t *job);
/** Jobs queued or running now (for tests and metrics). */
int srv_work_busy(srv_work_t *w);
/** Let queued and running jobs finish, then join the threads and free the pool. Accepts NULL. */
void srv_work_stop(srv_work_t *w);

#endif
