/* SPDX-License-Identifier: Apache-2.0 */
/* Declarations shared by server/ files only. */
#ifndef SRV_INT_H
#define SRV_INT_H

#include <llhttp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <uv.h>

#include "api.h"
#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "srv_config.h"
#include "srv_tls.h"
#include "srv_work.h"

#define SRV_READ_BUF        (64 * 1024)
#define SRV_ARENA_POOL      64
#define SRV_ARENA_BLOCK     (16 * 1024)
#define SRV_WQ_HIGH         (4u << 20) /* stop reading above this many queued bytes */
#define SRV_WQ_LOW          (1u << 20)
#define SRV_SHUTDOWN_MS     10000
#define SRV_BACKLOG         1024
#define SRV_STREAM_CHUNK    (256 * 1024) /* one chunk in flight per streaming response */
#define SRV_SKIP_BODY_MAX   (64 * 1024)  /* bodies skipped after an early answer */
#define SRV_CHUNK_EXT_MAX   (4 * 1024)   /* chunk-extension bytes per chunk */
#define SRV_FD_RESERVE_MIN  256          /* descriptors kept from connections for storage */
#define SRV_ACCEPT_PAUSE_MS 100          /* retry of a connection held while out of descriptors */

typedef struct srv srv_t;
typedef struct srv_loop srv_loop_t;
typedef struct srv_conn srv_conn_t;

struct srv {
    const srv_config_t *cfg;
    api_ctx_t *api;
    srv_tls_ctx_t *tls;
    srv_loop_t *loops;
    int n_loops;
    int port;
    atomic_bool stopping;
    int max_conns;      /* open connections allowed, below the descriptor limit */
    atomic_int n_conns; /* open connections, all loops */
    srv_work_t *work;   /* runs the execute stage of slow operations */
};

struct srv_loop {
    srv_t *srv;
    int index;
    pthread_t thread;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_async_t wake;
    uv_timer_t shutdown_timer;
    int listen_fd;
    bool stopping;
    pthread_mutex_t lock;
    srv_conn_t *released;     /* conns whose held response is durable, or whose slow operation
                                 has run on a worker (under lock) */
    int n_jobs;               /* this loop's requests out on the worker pool (loop thread) */
    srv_conn_t *conns;        /* every open connection, most recently active first */
    srv_conn_t *def_conns;    /* connections with answers waiting for the WAL flush */
    uv_prepare_t wal_prepare; /* flush the WAL and send those answers before polling ... */
    uv_check_t wal_check;     /* ... and after each poll's callbacks */
    srv_conn_t *conns_tail;
    int reserve_fd;          /* a spare descriptor, given up to get out of EMFILE */
    uv_timer_t accept_timer; /* retries a connection held while descriptors ran out */
    bool accept_held;
    kv_arena_t *pool[SRV_ARENA_POOL];
    int n_pool;
    time_t date_sec;
    char date[30];
    uint8_t rbuf[SRV_READ_BUF];
};

typedef enum srv_phase {
    SRV_IDLE = 0,
    SRV_HEADERS,
    SRV_BODY,
} srv_phase_t;

typedef struct srv_hoff {
    uint32_t no, nl, vo, vl;
} srv_hoff_t;

struct srv_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uint64_t deadline;  /* loop time (ms) the current timeout ends at; 0: none */
    uint64_t timer_due; /* loop time (ms) the timer is armed for; 0: not armed */
    srv_loop_t *loop;
    srv_conn_t *prev, *next;
    srv_conn_t *next_released;
    /* Answers waiting for the loop turn's WAL flush (srv_conn_flush_deferred), in order, and
     * this connection's place in its loop's list of connections with such answers. */
    struct srv_wreq *def_head, *def_tail;
    srv_conn_t *def_prev, *def_next;
    bool def_linked;
    int release_status;
    srv_tls_t *tls;
    llhttp_t parser;
    srv_phase_t phase;

    /* the request being parsed */
    kv_arena_t *arena;
    api_req_t req;
    api_resp_t resp;
    bool resp_live;
    kv_buf_t hbuf;
    srv_hoff_t *hoff;
    size_t n_hdrs;
    uint32_t url_len;
    bool in_value;
    int http_err; /* status for a refusal found inside a parser callback */
    uint64_t body_limit;
    uint64_t body_bytes;
    uint64_t bytes_in;
    bool answered;         /* the response for this request is already written */
    const uint8_t *exec_p; /* start of the bytes being parsed (folding checks) */
    bool tail_lf;          /* the bytes parsed before ended with LF and blanks */
    uint32_t chunk_ext;    /* extension bytes of the current chunk */
    uint64_t ext_bytes;    /* extension bytes of the whole body */

    bool held;               /* response waiting for a durable sync or a worker */
    bool offloaded;          /* held because api_handle runs on a worker (loop thread) */
    srv_job_t job;           /* that run, queued on the pool */
    struct srv_wreq *stream; /* response whose body is being pulled from a source */
    uv_write_t stream_w;
    kv_buf_t stream_buf;
    uint64_t stream_left;
    bool close_after; /* close once queued writes finish */
    bool closing;
    bool reading;
    bool freed_wait;  /* handles closed while held: free when released */
    kv_buf_t pending; /* bytes not yet parsed while paused */
    size_t writes_pending;
    uint64_t writes_completed; /* progress counter, for the write-stall timeout */
    uint64_t writes_seen;
    int handles_open;
    char peer[64];
};

/* srv_conn.c */
void srv_conn_accept(srv_loop_t *l, uv_stream_t *server);
void srv_conn_close(srv_conn_t *c);
/** Close the loop's longest idle connection (no request in progress). @return false if none. */
bool srv_conn_close_idle(srv_loop_t *l);
/** Deliver durable responses queued by the syncer, and responses of slow operations
 * that a worker has executed (loop thread). */
void srv_conn_release_pending(srv_loop_t *l);
/** Hand the loop turn's WAL writes to the OS, then send the answers that waited for them. */
void srv_conn_flush_deferred(srv_loop_t *l);
/** Begin a graceful stop of every connection of the loop. */
void srv_conn_shutdown_all(srv_loop_t *l, bool force);
/** The status line's reason phrase for st ("Unknown" for a status the server never sends). */
const char *srv_reason(int st);

/* srv_loop.c */
kv_arena_t *srv_arena_get(srv_loop_t *l);
void srv_arena_put(srv_loop_t *l, kv_arena_t *a);
const char *srv_loop_date(srv_loop_t *l);
/** Called when a connection is gone; finishes the loop's shutdown when it was the last. */
void srv_loop_conn_gone(srv_loop_t *l);
/** Raise the soft descriptor limit to the hard one (at start, before storage opens). */
void srv_raise_nofile(void);

/**
 * Start the loops listening (binding SO_REUSEPORT sockets) and return once
 * every loop accepts. @return 0 or -1 (message logged).
 */
int srv_start(srv_t *s);
/** Ask every loop to stop gracefully and join them. */
void srv_stop(srv_t *s);

#endif
