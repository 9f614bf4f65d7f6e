/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 object bytes: the blobs CF under (data id, chunk number) in 1 MiB sealed chunks. The blob
 * writer and reader, the reference counts of byte runs that several records share (copies),
 * dropping bytes nothing names, and the reclaimer that frees their disk.
 *
 * Bytes that lose their writer: a writer's chunks are written before the record that
 * names them commits. Its data id is noted in the state CF in its first chunk's batch, and
 * the note goes in the batch that names the bytes (or drops them); a note found at open
 * belongs to a writer of a previous run that died (server killed) and its bytes are
 * dropped. Dropped ranges are then compacted by the reclaimer thread, so the disk they held
 * is freed, not only the keys hidden.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/kv_aead.h"
#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "eng_obj_int.h"

void eng__obj_key(kv_buf_t *k, uint32_t bucket_id, kv_slice_t key)
{
    eng_key_put_u32(k, bucket_id);
    eng_key_put_bytes(k, key);
}

/* A noncurrent version's record key: its object key, then the inverted version number. */
void eng__ver_key(kv_buf_t *k, const kv_buf_t *okey, uint64_t version)
{
    kv_buf_append(k, okey->p, okey->len);
    eng_key_put_u64(k, ~version);
}

void eng__blob_key(kv_buf_t *k, uint64_t data_id, uint32_t chunk)
{
    eng_key_put_u64(k, data_id);
    eng_key_put_u32(k, chunk);
}

void eng__seal_chunk(kv_buf_t *b)
{
    uint64_t h = kv_xxh3(b->p, b->len);
    uint8_t t[ENG_CHUNK_SEAL];
    for (int i = 0; i < ENG_CHUNK_SEAL; i++)
        t[i] = (uint8_t)(h >> (8 * i));
    kv_buf_append(b, t, sizeof(t));
}

/* Check and strip the seal. @return 0 or KV_ECORRUPT. */
int eng__unseal_chunk(kv_buf_t *b)
{
    if (b->len < ENG_CHUNK_SEAL)
        return KV_ECORRUPT;
    size_t n = b->len - ENG_CHUNK_SEAL;
    uint64_t h = 0;
    for (int i = ENG_CHUNK_SEAL - 1; i >= 0; i--)
        h = h << 8 | b->p[n + (size_t)i];
    if (h != kv_xxh3(b->p, n))
        return KV_ECORRUPT;
    b->len = n;
    return 0;
}

/* ---- encrypted chunks (issue 16) ---- */

/* A chunk's nonce: its data id and chunk number, little-endian. Unique under a data key: a
 * key encrypts the runs of one object (or one upload's parts), each under its own random
 * data id, and a run's chunk numbers count up. */
static void chunk_nonce(uint8_t n[KV_AEAD_NONCE_LEN], uint64_t data_id, uint32_t chunk)
{
    for (int i = 0; i < 8; i++)
        n[i] = (uint8_t)(data_id >> (8 * i));
    for (int i = 0; i < 4; i++)
        n[8 + i] = (uint8_t)(chunk >> (8 * i));
}

int eng__close_chunk(eng_blob_writer_t *w)
{
    if (w->aead == NULL) {
        eng__seal_chunk(&w->buf);
        return 0;
    }
    uint8_t nonce[KV_AEAD_NONCE_LEN], tag[ENG_CHUNK_TAG];
    chunk_nonce(nonce, w->data_id, w->chunk);
    if (kv_aead_seal(w->aead, nonce, w->buf.p, w->buf.len, tag) < 0) {
        kv_wipe(w->buf.p, w->buf.len);
        return KV_EINTERNAL;
    }
    kv_buf_append(&w->buf, tag, sizeof(tag));
    return 0;
}

/* Decrypt and check the stored chunk in b (of run data_id) in place. @return 0, KV_ECORRUPT. */
static int open_chunk(kv_aead_t *a, kv_buf_t *b, uint64_t data_id, uint32_t chunk)
{
    if (b->len < ENG_CHUNK_TAG)
        return KV_ECORRUPT;
    size_t n = b->len - ENG_CHUNK_TAG;
    uint8_t nonce[KV_AEAD_NONCE_LEN];
    chunk_nonce(nonce, data_id, chunk);
    if (kv_aead_open(a, nonce, b->p, n, b->p + n) < 0)
        return KV_ECORRUPT;
    b->len = n;
    return 0;
}

int eng_blob_writer_set_key(eng_blob_writer_t *w, const uint8_t key[ENG_DATA_KEY_LEN])
{
    if (w->aead || w->size || w->chunk)
        return KV_EINVAL;
    w->aead = kv_aead_new(key);
    return w->aead ? 0 : KV_ENOMEM;
}

/* ---- blob writer ---- */

/* An open writer's note: state CF, 'W' + data id -> empty. */
#define WRITER_TAG 'W'

static void writer_key(kv_buf_t *k, uint64_t data_id)
{
    kv_buf_append_byte(k, WRITER_TAG);
    eng_key_put_u64(k, data_id);
}

/* Add the deletion of data_id's writer note to b (the bytes are named or dropped in b). */
void eng__writer_done(eng_batch_t *b, uint64_t data_id)
{
    uint8_t km[16];
    kv_buf_t k;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    writer_key(&k, data_id);
    eng_batch_delete(b, ENG_CF_STATE, kv_buf_slice(&k));
}

eng_blob_writer_t *eng_blob_writer_new(eng_t *e)
{
    eng_blob_writer_t *w = kv_calloc(1, sizeof(*w));
    w->e = e;
    w->data_id = kv_random_u64(); /* 64 random bits: collisions are negligible */
    kv_buf_init(&w->buf, ENG_BLOB_CHUNK + ENG_CHUNK_TAIL);
    return w;
}

void eng__writer_free(eng_blob_writer_t *w)
{
    if (w->aead)
        kv_wipe(w->buf.p, w->buf.len); /* plaintext never lingers in freed memory */
    kv_aead_free(w->aead);
    kv_buf_dispose(&w->buf);
    kv_free(w);
}

/* Chunks numbered from here skip the WAL; an object of up to this many chunks (plus its last,
 * in the metadata's batch) goes through the WAL as a whole and waits for no flush. A flush
 * switches the memtable and opens a new WAL file, which holds every writer of the database
 * (and the item lock stripes they hold: transactions give up after about 2 ms) for a moment:
 * one per large object, not one per object of a few MiB. */
#define UNLOGGED_FROM 8

static int flush_chunk(eng_blob_writer_t *w)
{
    if (w->buf.len == 0)
        return 0;
    uint8_t km[16];
    kv_buf_t k;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    eng__blob_key(&k, w->data_id, w->chunk);
    int rc = eng__close_chunk(w);
    if (rc < 0)
        return rc;
    eng_batch_t *b = eng_batch_new(w->e->rocks);
    eng_batch_put(b, ENG_CF_BLOBS, kv_buf_slice(&k), kv_buf_slice(&w->buf));
    /* Chunks are invisible until the metadata that names them commits. */
    if (!w->noted) {
        /* The first chunk carries the note that finds it again should the writer die, through
         * the WAL, before any chunk that skips it. */
        kv_buf_reset(&k);
        writer_key(&k, w->data_id);
        eng_batch_put(b, ENG_CF_STATE, kv_buf_slice(&k), KV_SLICE_NULL);
        rc = eng_rocks_write(w->e->rocks, b);
    } else if (w->chunk >= UNLOGGED_FROM && eng_rocks_logged(w->e->rocks)) {
        /* Chunks past the first few skip the WAL: their bytes reach the disk once, when the
         * blobs CF's memtable is flushed into a blob file, which eng__writer_sync waits for before
         * a record names them. A crash before that loses them, and the note (in the WAL before
         * them) drops whatever was flushed at the next open. */
        rc = eng_rocks_write_unlogged(w->e->rocks, b);
        w->unlogged = true;
    } else {
        rc = eng_rocks_write(w->e->rocks, b); /* a first chunk, or --fsync none (no WAL) */
    }
    eng_batch_free(b);
    if (rc == 0)
        w->noted = true;
    w->chunk++;
    kv_buf_reset(&w->buf);
    return rc;
}

int eng__writer_sync(eng_blob_writer_t *w)
{
    if (!w->unlogged)
        return 0;
    int rc = eng_rocks_flush_cf(w->e->rocks, ENG_CF_BLOBS);
    if (rc == 0)
        w->unlogged = false;
    return rc;
}

bool eng_blob_writer_pending(const eng_blob_writer_t *w)
{
    return w && w->unlogged;
}

int eng_blob_write(eng_blob_writer_t *w, const uint8_t *p, size_t n)
{
    while (n) {
        size_t room = ENG_BLOB_CHUNK - w->buf.len;
        size_t k = n < room ? n : room;
        kv_buf_append(&w->buf, p, k);
        w->size += k;
        p += k;
        n -= k;
        if (w->buf.len == ENG_BLOB_CHUNK) {
            int rc = flush_chunk(w);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int eng_blob_writer_finish(eng_blob_writer_t *w, uint64_t *data_id, uint64_t *size)
{
    int rc = flush_chunk(w);
    if (rc == 0)
        rc = eng__writer_sync(w);
    if (rc < 0 && w->noted)
        eng__drop_data(w->e, w->data_id, w->size); /* no caller names bytes that are not whole */
    *data_id = w->data_id;
    *size = w->size;
    eng__writer_free(w);
    return rc;
}

static void data_range(kv_buf_t *lo, kv_buf_t *hi, uint64_t data_id);

void eng__delete_data(eng_batch_t *b, uint64_t data_id)
{
    uint8_t lm[16], hm[16];
    kv_buf_t lo, hi;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    data_range(&lo, &hi, data_id);
    eng_batch_delete_range(b, ENG_CF_BLOBS, kv_buf_slice(&lo), kv_buf_slice(&hi));
}

/* Every byte run an object names. */
static void delete_object_data(eng_batch_t *b, const eng_object_t *o)
{
    if (o->delete_marker || o->inlined) /* issue 18: inlined bytes go with their record */
        return;
    if (o->n_segs == 0)
        eng__delete_data(b, o->data_id);
    for (size_t i = 0; i < o->n_segs; i++)
        eng__delete_data(b, o->segs[i].data_id);
}

/* ---- the reclaimer ---- */

/* Past this many ranges at once the reclaimer compacts the whole blobs CF instead. */
#define RECLAIM_MAX_RANGES 256
/* A wakeup waits this long for more ranges, so a burst of aborts costs one memtable flush. */
#define RECLAIM_DELAY_MS 300
/* Once this many dropped bytes are queued, every CF is flushed first: the WAL files that hold
 * them are kept while any CF has unflushed writes in them. */
#define RECLAIM_FLUSH_BYTES (16u << 20)

/* Queue the range of data_id (about `bytes` long, deleted in a committed batch) for a
 * compaction. */
void eng__reclaim_note(eng_t *e, uint64_t data_id, uint64_t bytes)
{
    pthread_mutex_lock(&e->reclaim_lock);
    e->reclaim_bytes += bytes;
    if (e->reclaim_bytes >= RECLAIM_FLUSH_BYTES) {
        e->reclaim_flush = true;
        e->reclaim_bytes = 0;
    }
    if (e->n_reclaim == e->cap_reclaim) {
        e->cap_reclaim = e->cap_reclaim ? 2 * e->cap_reclaim : 16;
        e->reclaim_ids = kv_realloc(e->reclaim_ids, e->cap_reclaim * sizeof(*e->reclaim_ids));
    }
    e->reclaim_ids[e->n_reclaim++] = data_id;
    pthread_cond_signal(&e->reclaim_cond);
    pthread_mutex_unlock(&e->reclaim_lock);
}

/* The key range [lo, hi) of data_id's chunks (and its share count). */
static void data_range(kv_buf_t *lo, kv_buf_t *hi, uint64_t data_id)
{
    eng__blob_key(lo, data_id, 0);
    eng_key_put_u64(hi, data_id + 1);
    if (data_id == UINT64_MAX)
        kv_buf_append(hi, "\xff\xff\xff\xff\xff", 5);
}

static bool reclaim_stopping(eng_t *e)
{
    pthread_mutex_lock(&e->reclaim_lock);
    bool stop = e->reclaim_stop;
    pthread_mutex_unlock(&e->reclaim_lock);
    return stop;
}

/*
 * A range tombstone hides the chunks at once, but their bytes stay in blob files until a
 * compaction drops the keys (a blob file none of whose blobs is named any more is deleted;
 * one that still holds live blobs is left to RocksDB's blob garbage collection).
 */
static void *reclaimer_main(void *arg)
{
    eng_t *e = arg;
    pthread_mutex_lock(&e->reclaim_lock);
    for (;;) {
        while (!e->reclaim_stop && e->n_reclaim == 0)
            pthread_cond_wait(&e->reclaim_cond, &e->reclaim_lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += RECLAIM_DELAY_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!e->reclaim_stop &&
               pthread_cond_timedwait(&e->reclaim_cond, &e->reclaim_lock, &until) != ETIMEDOUT)
            ;
        if (e->reclaim_stop)
            break;
        uint64_t *ids = e->reclaim_ids;
        size_t n = e->n_reclaim;
        bool flush = e->reclaim_flush, whole = e->reclaim_whole;
        e->reclaim_ids = NULL;
        e->n_reclaim = e->cap_reclaim = 0;
        e->reclaim_flush = e->reclaim_whole = false;
        pthread_mutex_unlock(&e->reclaim_lock);
        /* After a restart the WAL that held the dropped chunks is only released once every CF
         * it holds writes of is flushed. */
        if (flush)
            eng_rocks_flush_all(e->rocks);
        if (whole || n > RECLAIM_MAX_RANGES) {
            eng_rocks_compact_range(e->rocks, ENG_CF_BLOBS, KV_SLICE_NULL, KV_SLICE_NULL);
        } else {
            for (size_t i = 0; i < n && !reclaim_stopping(e); i++) {
                uint8_t lm[16], hm[16];
                kv_buf_t lo, hi;
                kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
                kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
                data_range(&lo, &hi, ids[i]);
                eng_rocks_compact_range(e->rocks, ENG_CF_BLOBS, kv_buf_slice(&lo),
                                        kv_buf_slice(&hi));
            }
        }
        kv_free(ids);
        atomic_fetch_add(&e->n_reclaimed, n);
        pthread_mutex_lock(&e->reclaim_lock);
    }
    pthread_mutex_unlock(&e->reclaim_lock);
    return NULL;
}

/* Writer notes dropped per batch at open. */
#define RECOVER_BATCH 1024

int eng__blob_recover(eng_t *e)
{
    pthread_mutex_init(&e->reclaim_lock, NULL);
    pthread_cond_init(&e->reclaim_cond, NULL);
    e->reclaim_stop = false;
    /* Every note is a writer of a previous run (none of this run has started): drop its
     * bytes and the note, a bounded batch at a time. */
    uint8_t pm[1] = {WRITER_TAG};
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STATE);
    eng_batch_t *b = eng_batch_new(e->rocks);
    size_t n = 0, in_batch = 0;
    int rc = 0;
    for (eng_riter_seek(it, kv_slice(pm, 1)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t k = eng_riter_key(it);
        if (k.len == 0 || k.p[0] != WRITER_TAG)
            break;
        kv_slice_t rest = kv_slice(k.p + 1, k.len - 1);
        uint64_t id;
        if (k.len != 9 || eng_key_get_u64(&rest, &id) < 0) {
            eng_batch_delete(b, ENG_CF_STATE, k); /* not a note this code wrote */
            continue;
        }
        eng__delete_data(b, id);
        eng_batch_delete(b, ENG_CF_STATE, k);
        eng__reclaim_note(e, id, 0);
        n++;
        if (++in_batch == RECOVER_BATCH) {
            rc = eng_rocks_write(e->rocks, b);
            eng_batch_free(b);
            b = eng_batch_new(e->rocks);
            in_batch = 0;
            if (rc < 0)
                break;
        }
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    if (rc == 0 && eng_batch_count(b))
        rc = eng_rocks_write(e->rocks, b);
    eng_batch_free(b);
    eng_riter_free(it);
    if (rc == KV_ENOSPACE) { /* the notes stay: the next start drops those bytes */
        KV_LOG_WARN("the disk is full: interrupted object writes are dropped at a later start");
        rc = 0;
        n = 0;
    }
    /* Their sizes are unknown: flush anyway. Interrupted writes interleave their chunks in the
     * same memtables and blob files, which a compaction per range can leave referenced by
     * an SST outside every range: once, at open, the whole (keys-only) blobs CF is compacted. */
    e->reclaim_flush = e->reclaim_whole = n > 0;
    if (rc == 0 && n)
        KV_LOG_WARN("dropped the bytes of %zu object write(s) interrupted before they committed",
                    n);
    if (rc == 0 && pthread_create(&e->reclaimer, NULL, reclaimer_main, e) != 0)
        rc = KV_EINTERNAL;
    e->reclaimer_on = rc == 0;
    return rc;
}

void eng__blob_stop(eng_t *e)
{
    if (e->reclaimer_on) {
        pthread_mutex_lock(&e->reclaim_lock);
        e->reclaim_stop = true;
        pthread_cond_signal(&e->reclaim_cond);
        pthread_mutex_unlock(&e->reclaim_lock);
        eng_rocks_cancel_compactions(e->rocks); /* a compaction running now ends early */
        pthread_join(e->reclaimer, NULL);
        e->reclaimer_on = false;
    }
    kv_free(e->reclaim_ids);
    e->reclaim_ids = NULL;
    e->n_reclaim = e->cap_reclaim = 0;
    pthread_mutex_destroy(&e->reclaim_lock);
    pthread_cond_destroy(&e->reclaim_cond);
}

/* Drop bytes nothing names (a failed or abandoned write) and their writer note, in a batch of
 * their own; the reclaimer then frees their disk. */
void eng__drop_data(eng_t *e, uint64_t data_id, uint64_t bytes)
{
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng__delete_data(b, data_id);
    eng__writer_done(b, data_id);
    if (eng_rocks_write(e->rocks, b) == 0)
        eng__reclaim_note(e, data_id, bytes);
    eng_batch_free(b);
}

void eng__otxn_init(eng_otxn_t *t, eng_t *e)
{
    memset(t, 0, sizeof(*t));
    t->e = e;
    t->b = eng_batch_new(e->rocks);
}

void eng__otxn_lock(eng_otxn_t *t)
{
    if (!t->locked) {
        pthread_mutex_lock(&t->e->share_lock);
        t->locked = true;
    }
}

void eng__otxn_dispose(eng_otxn_t *t)
{
    if (t->locked)
        pthread_mutex_unlock(&t->e->share_lock);
    t->locked = false;
    kv_free(t->refs);
    t->refs = NULL;
    if (t->log.buf.limit)
        eng__spend_dispose(&t->log);
    eng_batch_free(t->b);
    t->b = NULL;
}

static void count_key(kv_buf_t *k, uint64_t d)
{
    eng__blob_key(k, d, SHARE_CHUNK);
}

/* The slot of run d, its stored count read on first use. */
static int ref_slot(eng_otxn_t *t, uint64_t d, eng_ref_slot_t **out)
{
    for (size_t i = 0; i < t->n_refs; i++)
        if (t->refs[i].d == d) {
            *out = &t->refs[i];
            return 0;
        }
    if (t->n_refs == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 8;
        t->refs = kv_realloc(t->refs, t->cap * sizeof(*t->refs));
    }
    uint8_t km[16], vm[16];
    kv_buf_t k, v;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    kv_buf_init_on(&v, vm, sizeof(vm), sizeof(vm));
    count_key(&k, d);
    uint64_t base = 0;
    int rc = eng_rocks_get(t->e->rocks, ENG_CF_BLOBS, kv_buf_slice(&k), &v);
    if (rc == 0) {
        if (v.len != 8)
            return KV_ECORRUPT;
        for (int i = 7; i >= 0; i--)
            base = base << 8 | v.p[i];
    } else if (rc != KV_ENOTFOUND) {
        return rc;
    }
    eng_ref_slot_t *s = &t->refs[t->n_refs++];
    *s = (eng_ref_slot_t){.d = d, .base = base};
    *out = s;
    return 0;
}

/* The byte runs of o, one at a time: run i of n. */
static uint64_t run_of(const eng_object_t *o, size_t i)
{
    return o->n_segs ? o->segs[i].data_id : o->data_id;
}

static size_t runs_of(const eng_object_t *o)
{
    return o->delete_marker || o->inlined ? 0 : o->n_segs ? o->n_segs : 1;
}

/* o's record goes away: its bytes go too, unless another record still names them. */
int eng__release_bytes(eng_otxn_t *t, const eng_object_t *o)
{
    if (!o->shared) {
        delete_object_data(t->b, o);
        return 0;
    }
    eng__otxn_lock(t);
    for (size_t i = 0; i < runs_of(o); i++) {
        eng_ref_slot_t *s;
        int rc = ref_slot(t, run_of(o, i), &s);
        if (rc < 0)
            return rc;
        if ((int64_t)s->base + s->delta > 0) {
            s->delta--;
        } else if (!s->dropped) {
            eng__delete_data(t->b, s->d);
            s->dropped = true;
        }
    }
    return 0;
}

/* One more record names o's bytes. */
int eng__share_bytes(eng_otxn_t *t, const eng_object_t *o)
{
    eng__otxn_lock(t);
    for (size_t i = 0; i < runs_of(o); i++) {
        eng_ref_slot_t *s;
        int rc = ref_slot(t, run_of(o, i), &s);
        if (rc < 0)
            return rc;
        if (s->dropped)
            return KV_EBUSY;
        s->delta++;
    }
    return 0;
}

/* Write the changed counts into the batch, commit it, release the share lock. */
int eng__otxn_commit(eng_otxn_t *t)
{
    for (size_t i = 0; i < t->n_refs; i++) {
        eng_ref_slot_t *s = &t->refs[i];
        if (s->dropped || s->delta == 0)
            continue;
        uint8_t km[16];
        kv_buf_t k;
        kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
        count_key(&k, s->d);
        int64_t n = (int64_t)s->base + s->delta;
        if (n <= 0) {
            eng_batch_delete(t->b, ENG_CF_BLOBS, kv_buf_slice(&k));
        } else {
            uint8_t v[8];
            for (int j = 0; j < 8; j++)
                v[j] = (uint8_t)((uint64_t)n >> (8 * j));
            eng_batch_put(t->b, ENG_CF_BLOBS, kv_buf_slice(&k), kv_slice(v, 8));
        }
    }
    int rc = eng__write_logged(t->e, t->b, &t->log);
    if (t->locked)
        pthread_mutex_unlock(&t->e->share_lock);
    t->locked = false;
    return rc;
}

/* The striped lock serialising writers of one object key (encoded as eng__obj_key). */
pthread_mutex_t *eng__obj_lock(eng_t *e, const kv_buf_t *okey)
{
    return &e->item_locks[kv_xxh3(okey->p, okey->len) % ENG_ITEM_LOCKS];
}

void eng_blob_writer_abort(eng_blob_writer_t *w)
{
    if (w == NULL)
        return;
    if (w->chunk > 0 || w->noted)
        eng__drop_data(w->e, w->data_id, w->size);
    eng__writer_free(w);
}

/* ---- reading ---- */

struct eng_object_reader {
    eng_t *e;
    eng_snap_t *snap;
    eng_seg_t one;   /* a single PUT's bytes */
    eng_seg_t *segs; /* owned, or &one */
    size_t n_segs;
    uint64_t size;
    size_t cur;       /* segment of the last read */
    uint64_t cur_off; /* its offset in the object */
    int64_t cached;   /* chunk number of segment cur held in buf, or -1 */
    kv_buf_t buf;
    bool encrypted;  /* issue 16: its chunks are encrypted: reads need the key */
    kv_aead_t *aead; /* ... and the data key's cipher, once given */
};

int eng_object_open(eng_t *e, uint32_t bucket_id, kv_slice_t key, const eng_vref_t *ref,
                    kv_arena_t *a, eng_object_t **meta, eng_object_reader_t **reader)
{
    eng_snap_t *snap = eng_rocks_snapshot(e->rocks);
    kv_buf_t k;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    eng__obj_key(&k, bucket_id, key);
    eng_found_t f;
    eng__found_init(&f);
    int rc = eng__find_version(e, snap, &k, key, ref, a, &f);
    if (rc == 0)
        *meta = f.o;
    eng__found_dispose(&f);
    kv_buf_dispose(&k);
    if (rc < 0 || reader == NULL || (*meta)->delete_marker) {
        if (reader)
            *reader = NULL;
        eng_rocks_snapshot_release(e->rocks, snap);
        return rc;
    }
    eng_object_reader_t *r = kv_calloc(1, sizeof(*r));
    r->e = e;
    r->snap = snap;
    eng_object_t *m = *meta;
    if (m->inlined) {
        /* Issue 18: the bytes came with the record: the reader holds them (checked against
         * their seal, as a chunk is) and needs no snapshot. */
        eng_rocks_snapshot_release(e->rocks, snap);
        r->snap = NULL;
        kv_buf_init(&r->buf, ENG_OBJ_INLINE_MAX + ENG_CHUNK_SEAL);
        kv_buf_append(&r->buf, m->body.p, m->body.len + ENG_CHUNK_SEAL);
        int rc2 = kv_buf_failed(&r->buf) ? KV_ENOMEM : eng__unseal_chunk(&r->buf);
        if (rc2 == 0 && (r->buf.len != m->size || m->sse != ENG_SSE_NONE))
            rc2 = KV_ECORRUPT;
        if (rc2 < 0) {
            kv_buf_dispose(&r->buf);
            kv_free(r);
            *reader = NULL;
            return rc2;
        }
        r->one.size = m->size;
        r->segs = &r->one;
        r->n_segs = 1;
        r->size = m->size;
        r->cached = 0; /* chunk 0 of its one segment, in buf */
        *reader = r;
        return 0;
    }
    r->one.data_id = m->data_id;
    r->one.size = m->size;
    r->segs = &r->one;
    if (m->n_segs) { /* owned copy: the reader may outlive the arena */
        r->segs = kv_calloc(m->n_segs, sizeof(*r->segs));
        memcpy(r->segs, m->segs, m->n_segs * sizeof(*r->segs));
    }
    r->n_segs = m->n_segs ? m->n_segs : 1;
    r->size = m->size;
    r->cached = -1;
    r->encrypted = m->sse != ENG_SSE_NONE;
    kv_buf_init(&r->buf, ENG_BLOB_CHUNK + ENG_CHUNK_TAIL);
    *reader = r;
    return 0;
}

int eng_object_reader_set_key(eng_object_reader_t *r, const uint8_t key[ENG_DATA_KEY_LEN])
{
    if (!r->encrypted || r->aead)
        return KV_EINVAL;
    r->aead = kv_aead_new(key);
    return r->aead ? 0 : KV_ENOMEM;
}

int64_t eng_object_read(eng_object_reader_t *r, uint64_t offset, uint8_t *buf, size_t cap)
{
    if (r->encrypted && r->aead == NULL)
        return KV_EINVAL; /* an encrypted object's bytes are never read without its key */
    if (offset >= r->size)
        return 0;
    /* Find the segment holding offset; reads are mostly sequential, so start from cur. */
    if (offset < r->cur_off) {
        r->cur = 0;
        r->cur_off = 0;
        r->cached = -1;
    }
    while (r->cur < r->n_segs && offset >= r->cur_off + r->segs[r->cur].size) {
        r->cur_off += r->segs[r->cur].size;
        r->cur++;
        r->cached = -1;
    }
    if (r->cur == r->n_segs)
        return KV_ECORRUPT;
    const eng_seg_t *g = &r->segs[r->cur];
    uint64_t rel = offset - r->cur_off;
    int64_t chunk = (int64_t)(rel / ENG_BLOB_CHUNK);
    if (chunk != r->cached) {
        uint8_t km[16];
        kv_buf_t k;
        kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
        eng__blob_key(&k, g->data_id, (uint32_t)chunk);
        kv_buf_reset(&r->buf);
        int rc = eng_rocks_get_self_checked(r->e->rocks, r->snap, ENG_CF_BLOBS, kv_buf_slice(&k),
                                            &r->buf);
        if (rc == 0)
            rc = r->aead ? open_chunk(r->aead, &r->buf, g->data_id, (uint32_t)chunk)
                         : eng__unseal_chunk(&r->buf);
        if (rc < 0) {
            r->cached = -1;
            return rc == KV_ENOTFOUND ? KV_ECORRUPT : rc;
        }
        r->cached = chunk;
    }
    size_t in = (size_t)(rel % ENG_BLOB_CHUNK);
    if (in >= r->buf.len)
        return KV_ECORRUPT;
    size_t n = r->buf.len - in;
    if (n > cap)
        n = cap;
    if (n > g->size - rel)
        n = (size_t)(g->size - rel);
    memcpy(buf, r->buf.p + in, n);
    return (int64_t)n;
}

void eng_object_close(eng_object_reader_t *r)
{
    if (r == NULL)
        return;
    if (r->snap)
        eng_rocks_snapshot_release(r->e->rocks, r->snap);
    if (r->aead)
        kv_wipe(r->buf.p, r->buf.len);
    kv_aead_free(r->aead);
    kv_buf_dispose(&r->buf);
    if (r->segs != &r->one)
        kv_free(r->segs);
    kv_free(r);
}
