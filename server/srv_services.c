/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_services.h"

#include <time.h>

#include "base/kv_log.h"

static void *services_main(void *arg)
{
    srv_services_t *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += s->interval_ms / 1000;
        until.tv_nsec += (long)(s->interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!s->stop && pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
            ;
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->lock);
        api_services_tick(s->api);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int srv_services_start(srv_services_t *s, api_ctx_t *api, unsigned interval_ms)
{
    s->api = api;
    s->interval_ms = interval_ms;
    s->stop = false;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->lock, NULL);
    if (pthread_create(&s->thread, NULL, services_main, s) != 0) {
        KV_LOG_ERROR("cannot start the services thread");
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        return -1;
    }
    s->running = true;
    return 0;
}

void srv_services_stop(srv_services_t *s)
{
    if (!s->running)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    s->running = false;
}
