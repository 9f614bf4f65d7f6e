/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The services thread: background work that is not a request (DESIGN.md section 3). Today it
 * runs the sweepers (S3 lifecycle) every interval; function workers and stream pollers
 * join it with later issues.
 */
#ifndef SRV_SERVICES_H
#define SRV_SERVICES_H

#include <pthread.h>
#include <stdbool.h>

#include "api.h"

typedef struct srv_services {
    api_ctx_t *api;
    unsigned interval_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    bool running;
} srv_services_t;

/** Start the thread. @return 0 or -1. */
int srv_services_start(srv_services_t *s, api_ctx_t *api, unsigned interval_ms);
/** Stop it and wait for the current sweep to finish. Safe when never started. */
void srv_services_stop(srv_services_t *s);

#endif
