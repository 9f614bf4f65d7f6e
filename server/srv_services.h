/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The services thread: background work that is not a request (DESIGN.md section 3). It runs
 * the api layer's scheduler (api_sched_step / api_sched_wait): TTL, index backfill, stream
 * trimming, S3 lifecycle, event source mappings, bucket notifications, asynchronous invocations.
 */
#ifndef SRV_SERVICES_H
#define SRV_SERVICES_H

#include <pthread.h>
#include <stdbool.h>

#include "api.h"

typedef struct srv_services {
    api_ctx_t *api;
    pthread_t thread;
    pthread_mutex_t lock;
    bool stop;
    bool running;
} srv_services_t;

/** Start the thread. @return 0 or -1. */
int srv_services_start(srv_services_t *s, api_ctx_t *api);
/** Stop it and wait for the current job step to finish. Safe when never started. */
void srv_services_stop(srv_services_t *s);

#endif
