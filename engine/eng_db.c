/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Engine lifetime, the commit path and the syncer thread.
 *
 * Durability: every write enters RocksDB with the WAL on and sync off, which
 * puts it in the OS page cache before the write returns, so an acknowledged
 * write survives kill -9 in batch and always modes. In always mode the api
 * layer holds the response until eng_sync_after() reports that one fsync of
 * the WAL covers it; the syncer takes every waiter queued so far, syncs once
 * and releases them all (group commit). In batch mode the syncer also syncs
 * the WAL every batch_sync_ms while writes arrive, bounding what a power loss
 * can take.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/kv_alloc.h"
#include "base/kv_log.h"
#include "eng_int.h"

#define ENG_BATCH_SYNC_MS_DEFAULT 100

/* This (loop) thread queued a waiter since its last eng_sync_kick. */
static __thread bool tl_kick;

static void *syncer_main(void *arg)
{
    eng_t *e = arg;
    pthread_mutex_lock(&e->sync_lock);
    for (;;) {
        while (!e->stopping && e->waiters == NULL) {
            if (e->fsync == ENG_FSYNC_BATCH && atomic_load(&e->dirty)) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)e->batch_sync_ms * 1000000u;
                ts.tv_sec += (time_t)(ns / 1000000000u);
                ts.tv_nsec = (long)(ns % 1000000000u);
                if (pthread_cond_timedwait(&e->sync_cond, &e->sync_lock, &ts) == ETIMEDOUT)
                    break;
            } else {
                pthread_cond_wait(&e->sync_cond, &e->sync_lock);
            }
        }
        eng_waiter_t *batch = e->waiters;
        e->waiters = NULL;
        e->waiters_tail = &e->waiters;
        bool stop = e->stopping;
        pthread_mutex_unlock(&e->sync_lock);

        int rc = 0;
        if (batch || atomic_load(&e->dirty)) {
            atomic_store(&e->dirty, 0);
            rc = eng_rocks_sync_wal(e->rocks);
            atomic_fetch_add(&e->n_syncs, 1);
        }
        while (batch) {
            eng_waiter_t *w = batch;
            batch = w->next;
            w->cb(w->arg, rc);
            kv_free(w);
        }
        pthread_mutex_lock(&e->sync_lock);
        if (stop && e->waiters == NULL)
            break;
    }
    pthread_mutex_unlock(&e->sync_lock);
    return NULL;
}

#define ENG_SPACE_TICK_MS 200

static void *spacer_main(void *arg)
{
    eng_t *e = arg;
    pthread_mutex_lock(&e->sync_lock);
    while (!e->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + ENG_SPACE_TICK_MS * 1000000u;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        if (pthread_cond_timedwait(&e->space_cond, &e->sync_lock, &ts) != ETIMEDOUT)
            continue;
        pthread_mutex_unlock(&e->sync_lock);
        eng_rocks_space_tick(e->rocks);
        if (eng_rocks_space_compact(e->rocks))
            eng_rocks_space_tick(e->rocks);
        pthread_mutex_lock(&e->sync_lock);
    }
    pthread_mutex_unlock(&e->sync_lock);
    return NULL;
}

void eng_space_get(eng_t *e, eng_space_t *out)
{
    eng_rocks_space_get(e->rocks, out);
}

bool eng_space_room(eng_t *e, uint64_t bytes)
{
    return eng_rocks_space_room(e->rocks, bytes);
}

static int load_counter(eng_t *e)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 64);
    kv_buf_init(&v, 64);
    eng__cat_key(&k, ENG_CAT_COUNTER, KV_SLICE_LIT("ids"));
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    e->next_id = 1;
    if (rc == 0) {
        kv_slice_t s = kv_buf_slice(&v);
        uint32_t id;
        rc = eng_key_get_u32(&s, &id);
        if (rc == 0)
            e->next_id = id;
    } else if (rc == KV_ENOTFOUND) {
        rc = 0;
    }
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_open(const eng_opts_t *opts, eng_t **out)
{
    if (mkdir(opts->dir, 0755) < 0 && errno != EEXIST) {
        KV_LOG_ERROR("cannot create data directory %s: %s", opts->dir, strerror(errno));
        return KV_EIO;
    }
    eng_t *e = kv_calloc(1, sizeof(*e));
    e->dir = kv_strdup(opts->dir);
    e->fsync = opts->fsync;
    e->batch_sync_ms = opts->batch_sync_ms ? opts->batch_sync_ms : ENG_BATCH_SYNC_MS_DEFAULT;
    int rc =
        eng_rocks_open(opts->dir, opts->fsync != ENG_FSYNC_NONE, opts->disk_reserve, &e->rocks);
    if (rc < 0) {
        kv_free(e->dir);
        kv_free(e);
        return rc;
    }
    rc = load_counter(e);
    if (rc < 0) {
        eng_rocks_close(e->rocks);
        kv_free(e->dir);
        kv_free(e);
        return rc;
    }
    rc = eng__stream_init(e);
    if (rc < 0) {
        eng_rocks_close(e->rocks);
        kv_free(e->dir);
        kv_free(e);
        return rc;
    }
    pthread_mutex_init(&e->cat_lock, NULL);
    pthread_mutex_init(&e->sns_lock, NULL); /* issue 14: SNS numbers */
    pthread_mutex_init(&e->share_lock, NULL);
    for (int i = 0; i < ENG_ITEM_LOCKS; i++)
        pthread_mutex_init(&e->item_locks[i], NULL);
    pthread_rwlock_init(&e->tcache_lock, NULL);
    atomic_store(&e->cat_gen, 1);
    pthread_rwlock_init(&e->bcache_lock, NULL);
    atomic_store(&e->bucket_gen, 1);
    pthread_mutex_init(&e->sync_lock, NULL);
    pthread_cond_init(&e->sync_cond, NULL);
    pthread_cond_init(&e->space_cond, NULL);
    e->waiters_tail = &e->waiters;
    rc = eng__blob_recover(e);
    if (rc < 0 || pthread_create(&e->syncer, NULL, syncer_main, e) != 0) {
        eng__blob_stop(e);
        eng_rocks_close(e->rocks);
        kv_free(e->dir);
        kv_free(e);
        return rc < 0 ? rc : KV_EINTERNAL;
    }
    if (pthread_create(&e->spacer, NULL, spacer_main, e) != 0)
        KV_LOG_WARN("no free-space watcher thread: the disk is looked at only at open");
    else
        e->spacer_on = true;
    *out = e;
    return 0;
}

void eng_close(eng_t *e)
{
    if (e == NULL)
        return;
    eng__blob_stop(e);
    pthread_mutex_lock(&e->sync_lock);
    e->stopping = true;
    pthread_cond_signal(&e->sync_cond);
    pthread_cond_signal(&e->space_cond);
    pthread_mutex_unlock(&e->sync_lock);
    pthread_join(e->syncer, NULL);
    if (e->spacer_on)
        pthread_join(e->spacer, NULL);
    eng_rocks_sync_wal(e->rocks);
    eng_rocks_close(e->rocks);
    pthread_mutex_destroy(&e->cat_lock);
    pthread_mutex_destroy(&e->sns_lock);
    pthread_mutex_destroy(&e->share_lock);
    for (int i = 0; i < ENG_ITEM_LOCKS; i++)
        pthread_mutex_destroy(&e->item_locks[i]);
    for (int i = 0; i < ENG_TCACHE_SLOTS; i++)
        kv_free(e->tcache[i].rec);
    pthread_rwlock_destroy(&e->tcache_lock);
    for (int i = 0; i < ENG_BCACHE_SLOTS; i++)
        kv_free(e->bcache[i].rec);
    pthread_rwlock_destroy(&e->bcache_lock);
    pthread_mutex_destroy(&e->sync_lock);
    pthread_cond_destroy(&e->sync_cond);
    pthread_cond_destroy(&e->space_cond);
    kv_free(e->dir);
    kv_free(e);
}

eng_fsync_t eng_fsync_mode(const eng_t *e)
{
    return e->fsync;
}

void eng_sync_after(eng_t *e, eng_synced_cb cb, void *arg)
{
    eng_waiter_t *w = kv_malloc(sizeof(*w));
    w->next = NULL;
    w->cb = cb;
    w->arg = arg;
    pthread_mutex_lock(&e->sync_lock);
    if (e->stopping) {
        pthread_mutex_unlock(&e->sync_lock);
        kv_free(w);
        cb(arg, eng_rocks_sync_wal(e->rocks));
        return;
    }
    *e->waiters_tail = w;
    e->waiters_tail = &w->next;
    pthread_mutex_unlock(&e->sync_lock);
    /* A loop kicks the syncer once at the end of its turn (eng_sync_kick): waking it here
     * would start a sync with this one answer (the syncer shares the loop's core) and leave
     * the rest of the turn's answers for the next sync. */
    if (eng_rocks_thread_defers())
        tl_kick = true;
    else
        pthread_cond_signal(&e->sync_cond);
}

void eng_sync_kick(eng_t *e)
{
    if (!tl_kick)
        return;
    tl_kick = false;
    pthread_cond_signal(&e->sync_cond);
}

void eng_wal_defer_thread(void)
{
    eng_rocks_defer_wal_thread();
}

bool eng_wal_pending(eng_t *e)
{
    return eng_rocks_wal_pending(e->rocks);
}

int eng_wal_flush(eng_t *e)
{
    return eng_rocks_flush_wal(e->rocks);
}

int eng_notifier_add(eng_t *e, eng_commit_cb cb, void *arg)
{
    int n = atomic_load(&e->n_notify);
    if (n >= ENG_MAX_NOTIFIERS)
        return KV_ETOOBIG;
    e->notify_cb[n] = cb;
    e->notify_arg[n] = arg;
    atomic_store(&e->n_notify, n + 1);
    return 0;
}

uint64_t eng_seq(eng_t *e)
{
    return eng_rocks_seq(e->rocks);
}

int eng__write(eng_t *e, eng_batch_t *b)
{
    int rc = eng_rocks_write(e->rocks, b);
    if (rc < 0)
        return rc;
    atomic_fetch_add(&e->n_writes, 1);
    if (e->fsync == ENG_FSYNC_BATCH && atomic_fetch_add(&e->dirty, 1) == 0) {
        pthread_mutex_lock(&e->sync_lock);
        pthread_cond_signal(&e->sync_cond);
        pthread_mutex_unlock(&e->sync_lock);
    }
    int n = atomic_load(&e->n_notify);
    if (n) {
        uint64_t seq = eng_rocks_seq(e->rocks);
        for (int i = 0; i < n; i++)
            e->notify_cb[i](e->notify_arg[i], seq);
    }
    return 0;
}

void eng__cat_key(kv_buf_t *k, char kind, kv_slice_t name)
{
    kv_buf_append_byte(k, (uint8_t)kind);
    kv_buf_append_slice(k, name);
}

int eng__cat_page(eng_t *e, char kind, kv_slice_t after, size_t limit, eng_cat_take_fn take,
                  void *arg, size_t *n, bool *more)
{
    *n = 0;
    *more = false;
    kv_buf_t k;
    kv_buf_init(&k, after.len + 1);
    eng__cat_key(&k, kind, after);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len < 1 || key.p[0] != (uint8_t)kind)
            break;
        kv_slice_t name = kv_slice(key.p + 1, key.len - 1);
        if (after.len && kv_slice_eq(name, after)) /* the seek lands on it or past it */
            continue;
        if (*n == limit) {
            *more = true;
            break;
        }
        rc = take(arg, *n, name, eng_riter_value(it));
        if (rc < 0)
            break;
        (*n)++;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_buf_dispose(&k);
    return rc;
}

uint32_t eng__next_id(eng_t *e, eng_batch_t *b)
{
    uint32_t id = e->next_id++;
    uint8_t kb[8], vb[4];
    kv_buf_t k = {kb, 0, sizeof(kb), sizeof(kb), false, true};
    kv_buf_t v = {vb, 0, sizeof(vb), sizeof(vb), false, true};
    eng__cat_key(&k, ENG_CAT_COUNTER, KV_SLICE_LIT("ids"));
    eng_key_put_u32(&v, e->next_id);
    eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
    return id;
}

int eng__take_id(eng_t *e, uint32_t *id)
{
    pthread_mutex_lock(&e->cat_lock);
    eng_batch_t *b = eng_batch_new(e->rocks);
    uint32_t prev = e->next_id;
    *id = eng__next_id(e, b);
    int rc = eng__write(e, b);
    if (rc < 0) { /* not on disk: after a restart the id would be handed out again */
        e->next_id = prev;
        *id = 0;
    }
    eng_batch_free(b);
    pthread_mutex_unlock(&e->cat_lock);
    return rc;
}

void eng_stats_get(eng_t *e, eng_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    out->writes = atomic_load(&e->n_writes);
    out->wal_syncs = atomic_load(&e->n_syncs);
    eng_rocks_property(e->rocks, -1, "rocksdb.estimate-num-keys", &out->estimate_keys);
    eng_rocks_property(e->rocks, -1, "rocksdb.live-sst-files-size", &out->live_sst_bytes);
    eng_rocks_property(e->rocks, -1, "rocksdb.cur-size-all-mem-tables", &out->memtable_bytes);
    eng_rocks_property(e->rocks, ENG_CF_ITEMS, "rocksdb.block-cache-usage",
                       &out->block_cache_bytes);
    eng_rocks_property(e->rocks, -1, "rocksdb.estimate-pending-compaction-bytes",
                       &out->pending_compaction_bytes);
}

void eng_stats_tickers(eng_t *e, eng_ticker_cb cb, void *arg)
{
    eng_rocks_tickers(e->rocks, cb, arg);
}
