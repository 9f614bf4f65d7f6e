/* SPDX-License-Identifier: Apache-2.0 */
/* The services thread: it runs the api layer's scheduler (every background job) until stop. */
#include "srv_services.h"

#include "base/kv_log.h"

static void *services_main(void *arg)
{
    srv_services_t *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool stop = s->stop;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            break;
        int ms = api_sched_step(s->api);
        if (ms != 0)
            api_sched_wait(s->api, ms);
    }
    return NULL;
}

int srv_services_start(srv_services_t *s, api_ctx_t *api)
{
    s->api = api;
    s->stop = false;
    pthread_mutex_init(&s->lock, NULL);
    if (pthread_create(&s->thread, NULL, services_main, s) != 0) {
        KV_LOG_ERROR("cannot start the services thread");
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
    pthread_mutex_unlock(&s->lock);
    api_sched_stop(s->api); /* ends the wait; the step under way finishes first */
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
    s->running = false;
}
