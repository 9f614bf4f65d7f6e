/* SPDX-License-Identifier: Apache-2.0 */
/*
 * N loop threads, each with its own uv_loop_t and its own SO_REUSEPORT
 * listening socket on the same port; a connection stays on the loop that
 * accepted it. The main thread waits for SIGINT/SIGTERM and then stops the
 * loops gracefully: stop accepting, finish in-flight requests (also those
 * out on the worker pool), close; then the pool is joined.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "srv_int.h"

kv_arena_t *srv_arena_get(srv_loop_t *l)
{
    if (l->n_pool)
        return l->pool[--l->n_pool];
    return kv_arena_new(SRV_ARENA_BLOCK);
}

void srv_arena_put(srv_loop_t *l, kv_arena_t *a)
{
    kv_arena_reset(a);
    if (l->n_pool < SRV_ARENA_POOL)
        l->pool[l->n_pool++] = a;
    else
        kv_arena_free(a);
}

const char *srv_loop_date(srv_loop_t *l)
{
    time_t now = time(NULL);
    if (now != l->date_sec) {
        l->date_sec = now;
        kv_time_fmt_http(now, l->date);
    }
    return l->date;
}

void srv_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rlim_t want = rl.rlim_max;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        KV_LOG_WARN("cannot raise the descriptor limit to %llu: %s", (unsigned long long)want,
                    strerror(errno));
}

/* Client connections may use the descriptor limit less a reserve for storage (RocksDB's
 * files and logs, blobs, function instances): a quarter of it, at least 256, but never
 * more than half. */
static int conn_cap(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 512;
    uint64_t lim = rl.rlim_cur == RLIM_INFINITY ? (uint64_t)1 << 20 : (uint64_t)rl.rlim_cur;
    uint64_t reserve = lim / 4 > SRV_FD_RESERVE_MIN ? lim / 4 : SRV_FD_RESERVE_MIN;
    if (reserve > lim / 2)
        reserve = lim / 2;
    uint64_t cap = lim - reserve;
    return cap > INT32_MAX / 2 ? INT32_MAX / 2 : (int)cap;
}

static int open_reserve(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* A connection held in the listener while descriptors ran out: take it once the reserve
 * descriptor can be had again (accepting restarts libuv's watch of the listener). */
static void on_accept_timer(uv_timer_t *t)
{
    srv_loop_t *l = t->data;
    if (l->stopping || !l->accept_held)
        return;
    l->reserve_fd = open_reserve();
    if (l->reserve_fd < 0 && !srv_conn_close_idle(l)) {
        uv_timer_start(&l->accept_timer, on_accept_timer, SRV_ACCEPT_PAUSE_MS, 0);
        return;
    }
    if (l->reserve_fd < 0)
        l->reserve_fd = open_reserve();
    l->accept_held = false;
    KV_LOG_INFO("loop %d: descriptors available again; accepting", l->index);
    srv_conn_accept(l, (uv_stream_t *)&l->listener);
}

static void on_connection(uv_stream_t *server, int status)
{
    srv_loop_t *l = server->data;
    if (l->stopping)
        return;
    if (status == UV_EMFILE || status == UV_ENFILE) {
        /* libuv retries accept at once: free a descriptor so that it does not spin. An idle
         * connection goes first; otherwise the reserve, and the connection that gets its
         * descriptor is held (below) until descriptors come back. (libuv's own spare
         * descriptor usually handles this first, dropping the queued connections.) */
        if (srv_conn_close_idle(l) || l->reserve_fd < 0)
            return;
        KV_LOG_WARN("loop %d: out of descriptors; pausing accepts", l->index);
        close(l->reserve_fd);
        l->reserve_fd = -1;
        return;
    }
    if (status < 0)
        return;
    if (l->reserve_fd < 0) {
        /* Not accepted: libuv stops watching the listener until uv_accept. */
        if (!l->accept_held) {
            l->accept_held = true;
            uv_timer_start(&l->accept_timer, on_accept_timer, SRV_ACCEPT_PAUSE_MS, 0);
        }
        return;
    }
    srv_conn_accept(l, server);
}

static void maybe_finish(srv_loop_t *l)
{
    /* A request out on a worker comes back through wake: keep it open until then. */
    if (!l->stopping || l->conns != NULL || l->n_jobs > 0)
        return;
    if (!uv_is_closing((uv_handle_t *)&l->wake))
        uv_close((uv_handle_t *)&l->wake, NULL);
    if (!uv_is_closing((uv_handle_t *)&l->shutdown_timer))
        uv_close((uv_handle_t *)&l->shutdown_timer, NULL);
    if (!uv_is_closing((uv_handle_t *)&l->accept_timer))
        uv_close((uv_handle_t *)&l->accept_timer, NULL);
    if (!uv_is_closing((uv_handle_t *)&l->wal_prepare))
        uv_close((uv_handle_t *)&l->wal_prepare, NULL);
    if (!uv_is_closing((uv_handle_t *)&l->wal_check))
        uv_close((uv_handle_t *)&l->wal_check, NULL);
}

/* The end of a loop turn (prepare: before the loop sleeps; check: after the reads it woke
 * for): the turn's writes go to the OS in one write, and its held answers' sync starts. */
static void on_wal_prepare(uv_prepare_t *h)
{
    srv_loop_t *l = h->data;
    srv_conn_flush_deferred(l);
    api_sync_kick(l->srv->api);
}

static void on_wal_check(uv_check_t *h)
{
    srv_loop_t *l = h->data;
    srv_conn_flush_deferred(l);
    api_sync_kick(l->srv->api);
}

void srv_loop_conn_gone(srv_loop_t *l)
{
    maybe_finish(l);
}

static void on_shutdown_timer(uv_timer_t *t)
{
    srv_loop_t *l = t->data;
    KV_LOG_WARN("loop %d: connections still busy after %d ms; closing them", l->index,
                SRV_SHUTDOWN_MS);
    srv_conn_shutdown_all(l, true);
}

static void on_wake(uv_async_t *a)
{
    srv_loop_t *l = a->data;
    srv_conn_release_pending(l);
    /* Another loop went over the connection limit with nothing idle: shed idle ones here. */
    while (atomic_load(&l->srv->n_conns) > l->srv->max_conns && srv_conn_close_idle(l))
        ;
    if (atomic_load(&l->srv->stopping) && !l->stopping) {
        l->stopping = true;
        uv_close((uv_handle_t *)&l->listener, NULL);
        srv_conn_shutdown_all(l, false);
        uv_timer_start(&l->shutdown_timer, on_shutdown_timer, SRV_SHUTDOWN_MS, 0);
        maybe_finish(l);
    }
}

static void *loop_main(void *arg)
{
    srv_loop_t *l = arg;
    api_wal_defer_thread(); /* answers wait for the loop turn's WAL write */
    uv_run(&l->loop, UV_RUN_DEFAULT);
    /* Wait for the remaining close callbacks. */
    uv_run(&l->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* Create a listening socket with SO_REUSEPORT bound to host:port. */
static int bind_socket(const char *host, int port, int *fd_out, int *port_out)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc != 0) {
        KV_LOG_ERROR("cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof(ss);
            getsockname(fd, (struct sockaddr *)&ss, &sl);
            *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                       : ((struct sockaddr_in *)&ss)->sin_port);
            break;
        }
        KV_LOG_ERROR("cannot bind %s:%d: %s", host, port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return -1;
    *fd_out = fd;
    return 0;
}

int srv_start(srv_t *s)
{
    s->work = srv_work_start(s->cfg->workers);
    if (s->work == NULL)
        return -1;
    s->loops = kv_calloc((size_t)s->cfg->threads, sizeof(*s->loops));
    s->n_loops = s->cfg->threads;
    s->max_conns = conn_cap();
    atomic_init(&s->n_conns, 0);
    api_count_conn_limit(s->api, s->max_conns);
    KV_LOG_INFO("up to %d client connections", s->max_conns);
    int port = s->cfg->port;
    for (int i = 0; i < s->n_loops; i++) {
        srv_loop_t *l = &s->loops[i];
        l->srv = s;
        l->index = i;
        l->reserve_fd = -1;
        pthread_mutex_init(&l->lock, NULL);
        uv_loop_init(&l->loop);
        int bound;
        if (bind_socket(s->cfg->host, port, &l->listen_fd, &bound) < 0)
            return -1;
        port = bound; /* later loops share the port the first one got */
        uv_tcp_init(&l->loop, &l->listener);
        l->listener.data = l;
        if (uv_tcp_open(&l->listener, l->listen_fd) < 0 ||
            uv_listen((uv_stream_t *)&l->listener, SRV_BACKLOG, on_connection) < 0) {
            KV_LOG_ERROR("cannot listen on %s:%d", s->cfg->host, port);
            return -1;
        }
        uv_async_init(&l->loop, &l->wake, on_wake);
        l->wake.data = l;
        uv_timer_init(&l->loop, &l->shutdown_timer);
        l->shutdown_timer.data = l;
        uv_timer_init(&l->loop, &l->accept_timer);
        l->accept_timer.data = l;
        uv_prepare_init(&l->loop, &l->wal_prepare);
        l->wal_prepare.data = l;
        uv_prepare_start(&l->wal_prepare, on_wal_prepare);
        uv_unref((uv_handle_t *)&l->wal_prepare);
        uv_check_init(&l->loop, &l->wal_check);
        l->wal_check.data = l;
        uv_check_start(&l->wal_check, on_wal_check);
        uv_unref((uv_handle_t *)&l->wal_check);
        l->reserve_fd = open_reserve();
    }
    s->port = port;
    for (int i = 0; i < s->n_loops; i++)
        if (pthread_create(&s->loops[i].thread, NULL, loop_main, &s->loops[i]) != 0)
            return -1;
    return 0;
}

void srv_stop(srv_t *s)
{
    atomic_store(&s->stopping, true);
    for (int i = 0; i < s->n_loops; i++)
        uv_async_send(&s->loops[i].wake);
    for (int i = 0; i < s->n_loops; i++) {
        srv_loop_t *l = &s->loops[i];
        pthread_join(l->thread, NULL);
        uv_loop_close(&l->loop);
        if (l->reserve_fd >= 0)
            close(l->reserve_fd);
        for (int j = 0; j < l->n_pool; j++)
            kv_arena_free(l->pool[j]);
        pthread_mutex_destroy(&l->lock);
    }
    kv_free(s->loops);
    s->loops = NULL;
    /* Every loop waited for its jobs: the pool is idle. */
    srv_work_stop(s->work);
    s->work = NULL;
}
