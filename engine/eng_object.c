/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 objects: metadata in the objects CF under (bucket id, escaped key), bytes
 * in the blobs CF under (data id, chunk number) in 1 MiB chunks. A put makes
 * the new metadata current and deletes the old bytes in one batch; readers
 * read at a snapshot taken before they look the metadata up, so an overwrite
 * never shows them a mix of old and new.
 *
 * Versions: the key's latest version (object or delete marker) is the record at
 * (bucket id, escaped key); older ones sit at (bucket id, escaped key, ~version),
 * right after it and newest first, so a listing of current objects skips them and
 * a listing of versions reads them in S3's order. A version's bytes belong to it
 * alone; removing it removes them.
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

#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "eng_int.h"
#include "eng_tlv.h"

enum {
    O_SIZE = 1,
    O_ETAG,
    O_MTIME,
    O_CTYPE,
    O_CENC,
    O_CDISP,
    O_CLANG,
    O_CACHE,
    O_EXPIRES,
    O_CLASS,
    O_CK_ALGO,
    O_CK_VALUE,
    O_META,
    O_DATA,
    O_SEG,     /* multipart: varint data id, varint size; one per part, in order */
    O_TAG,     /* an object tag: varint key length, key, value */
    O_VERSION, /* the version number; absent in records written before versioning */
    O_NULLVER, /* flag: the version id is "null" */
    O_DMARKER, /* flag: a delete marker */
    O_SHARED,  /* flag: its bytes may be named by other records too (a copy): counted */
};

#define OBJ_REC_VERSION 1

static void obj_key(kv_buf_t *k, uint32_t bucket_id, kv_slice_t key)
{
    eng_key_put_u32(k, bucket_id);
    eng_key_put_bytes(k, key);
}

/* A noncurrent version's record key: its object key, then the inverted version number. */
static void ver_key(kv_buf_t *k, const kv_buf_t *okey, uint64_t version)
{
    kv_buf_append(k, okey->p, okey->len);
    eng_key_put_u64(k, ~version);
}

static void blob_key(kv_buf_t *k, uint64_t data_id, uint32_t chunk)
{
    eng_key_put_u64(k, data_id);
    eng_key_put_u32(k, chunk);
}

/* A chunk is stored as its bytes and their XXH3-64 (8 bytes, little-endian), checked on
 * every read: bit rot is an error, never bytes served. */
#define CHUNK_SEAL 8

static void seal_chunk(kv_buf_t *b)
{
    uint64_t h = kv_xxh3(b->p, b->len);
    uint8_t t[CHUNK_SEAL];
    for (int i = 0; i < CHUNK_SEAL; i++)
        t[i] = (uint8_t)(h >> (8 * i));
    kv_buf_append(b, t, sizeof(t));
}

/* Check and strip the seal. @return 0 or KV_ECORRUPT. */
static int unseal_chunk(kv_buf_t *b)
{
    if (b->len < CHUNK_SEAL)
        return KV_ECORRUPT;
    size_t n = b->len - CHUNK_SEAL;
    uint64_t h = 0;
    for (int i = CHUNK_SEAL - 1; i >= 0; i--)
        h = h << 8 | b->p[n + (size_t)i];
    if (h != kv_xxh3(b->p, n))
        return KV_ECORRUPT;
    b->len = n;
    return 0;
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
static void writer_done(eng_batch_t *b, uint64_t data_id)
{
    uint8_t km[16];
    kv_buf_t k;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    writer_key(&k, data_id);
    eng_batch_delete(b, ENG_CF_STATE, kv_buf_slice(&k));
}

struct eng_blob_writer {
    eng_t *e;
    uint64_t data_id;
    uint32_t chunk;
    uint64_t size;
    bool noted; /* its writer note is written (with its first chunk) */
    kv_buf_t buf;
};

eng_blob_writer_t *eng_blob_writer_new(eng_t *e)
{
    eng_blob_writer_t *w = kv_calloc(1, sizeof(*w));
    w->e = e;
    kv_random(&w->data_id, sizeof(w->data_id)); /* 64 random bits: collisions are negligible */
    kv_buf_init(&w->buf, ENG_BLOB_CHUNK + CHUNK_SEAL);
    return w;
}

static int flush_chunk(eng_blob_writer_t *w)
{
    if (w->buf.len == 0)
        return 0;
    uint8_t km[16];
    kv_buf_t k;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    blob_key(&k, w->data_id, w->chunk);
    seal_chunk(&w->buf);
    eng_batch_t *b = eng_batch_new(w->e->rocks);
    eng_batch_put(b, ENG_CF_BLOBS, kv_buf_slice(&k), kv_buf_slice(&w->buf));
    if (!w->noted) {
        /* The first chunk carries the note that finds it again should the writer die. */
        kv_buf_reset(&k);
        writer_key(&k, w->data_id);
        eng_batch_put(b, ENG_CF_STATE, kv_buf_slice(&k), KV_SLICE_NULL);
    }
    /* Chunks are invisible until the metadata that names them commits. */
    int rc = eng_rocks_write(w->e->rocks, b);
    eng_batch_free(b);
    if (rc == 0)
        w->noted = true;
    w->chunk++;
    kv_buf_reset(&w->buf);
    return rc;
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

static void drop_data(eng_t *e, uint64_t data_id, uint64_t bytes);

int eng_blob_writer_finish(eng_blob_writer_t *w, uint64_t *data_id, uint64_t *size)
{
    int rc = flush_chunk(w);
    if (rc < 0 && w->noted)
        drop_data(w->e, w->data_id, w->size); /* no caller names bytes that are not whole */
    *data_id = w->data_id;
    *size = w->size;
    kv_buf_dispose(&w->buf);
    kv_free(w);
    return rc;
}

static void data_range(kv_buf_t *lo, kv_buf_t *hi, uint64_t data_id);

static void delete_data(eng_batch_t *b, uint64_t data_id)
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
    if (o->delete_marker)
        return;
    if (o->n_segs == 0)
        delete_data(b, o->data_id);
    for (size_t i = 0; i < o->n_segs; i++)
        delete_data(b, o->segs[i].data_id);
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
static void reclaim_note(eng_t *e, uint64_t data_id, uint64_t bytes)
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
    blob_key(lo, data_id, 0);
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
        bool flush = e->reclaim_flush;
        e->reclaim_ids = NULL;
        e->n_reclaim = e->cap_reclaim = 0;
        e->reclaim_flush = false;
        pthread_mutex_unlock(&e->reclaim_lock);
        /* After a restart the WAL that held the dropped chunks is only released once every CF
         * it holds writes of is flushed. */
        if (flush)
            eng_rocks_flush_all(e->rocks);
        if (n > RECLAIM_MAX_RANGES) {
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
        delete_data(b, id);
        eng_batch_delete(b, ENG_CF_STATE, k);
        reclaim_note(e, id, 0);
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
    e->reclaim_flush = n > 0; /* their sizes are unknown: flush anyway */
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
static void drop_data(eng_t *e, uint64_t data_id, uint64_t bytes)
{
    eng_batch_t *b = eng_batch_new(e->rocks);
    delete_data(b, data_id);
    writer_done(b, data_id);
    if (eng_rocks_write(e->rocks, b) == 0)
        reclaim_note(e, data_id, bytes);
    eng_batch_free(b);
}

/*
 * Shared bytes. A copy names the source's byte runs instead of copying them; both records
 * carry O_SHARED, and each run's count of extra names lives at (data id, SHARE_CHUNK) in the
 * blobs CF, inside the run's own key range (deleting the run deletes its count). Releasing a
 * shared record's bytes decrements the count, or deletes the run when no other name is left.
 * Counts change only under e->share_lock, held from the read to the commit; it is taken after
 * the key locks, never before. Unshared records (nearly all) never touch it.
 */
#define SHARE_CHUNK UINT32_MAX

typedef struct {
    uint64_t d;
    uint64_t base; /* the stored count */
    int64_t delta;
    bool dropped; /* the run is deleted in this batch */
} ref_slot_t;

/* One object write: its batch and the counts it changes. */
typedef struct {
    eng_t *e;
    eng_batch_t *b;
    bool locked;
    ref_slot_t *refs;
    size_t n_refs, cap;
    eng_spend_t log; /* the bucket's event records (none unless notifications are on) */
} txn_t;

static void txn_init(txn_t *t, eng_t *e)
{
    memset(t, 0, sizeof(*t));
    t->e = e;
    t->b = eng_batch_new(e->rocks);
}

static void txn_lock(txn_t *t)
{
    if (!t->locked) {
        pthread_mutex_lock(&t->e->share_lock);
        t->locked = true;
    }
}

static void txn_dispose(txn_t *t)
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
    blob_key(k, d, SHARE_CHUNK);
}

/* The slot of run d, its stored count read on first use. */
static int ref_slot(txn_t *t, uint64_t d, ref_slot_t **out)
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
    ref_slot_t *s = &t->refs[t->n_refs++];
    *s = (ref_slot_t){.d = d, .base = base};
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
    return o->delete_marker ? 0 : o->n_segs ? o->n_segs : 1;
}

/* o's record goes away: its bytes go too, unless another record still names them. */
static int release_bytes(txn_t *t, const eng_object_t *o)
{
    if (!o->shared) {
        delete_object_data(t->b, o);
        return 0;
    }
    txn_lock(t);
    for (size_t i = 0; i < runs_of(o); i++) {
        ref_slot_t *s;
        int rc = ref_slot(t, run_of(o, i), &s);
        if (rc < 0)
            return rc;
        if ((int64_t)s->base + s->delta > 0) {
            s->delta--;
        } else if (!s->dropped) {
            delete_data(t->b, s->d);
            s->dropped = true;
        }
    }
    return 0;
}

/* One more record names o's bytes. */
static int share_bytes(txn_t *t, const eng_object_t *o)
{
    txn_lock(t);
    for (size_t i = 0; i < runs_of(o); i++) {
        ref_slot_t *s;
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
static int txn_commit(txn_t *t)
{
    for (size_t i = 0; i < t->n_refs; i++) {
        ref_slot_t *s = &t->refs[i];
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

/* The striped lock serialising writers of one object key (encoded as obj_key). */
static pthread_mutex_t *lock_of(eng_t *e, const kv_buf_t *obj_key)
{
    return &e->item_locks[kv_xxh3(obj_key->p, obj_key->len) % ENG_ITEM_LOCKS];
}

void eng_blob_writer_abort(eng_blob_writer_t *w)
{
    if (w == NULL)
        return;
    if (w->chunk > 0 || w->noted)
        drop_data(w->e, w->data_id, w->size);
    kv_buf_dispose(&w->buf);
    kv_free(w);
}

/* ---- metadata records ---- */

static void encode_object(const eng_object_t *o, kv_buf_t *b)
{
    kv_buf_append_byte(b, OBJ_REC_VERSION);
    eng_tlv_put_u64(b, O_VERSION, o->version);
    if (o->null_version)
        eng_tlv_put(b, O_NULLVER, KV_SLICE_LIT("1"));
    if (o->shared)
        eng_tlv_put(b, O_SHARED, KV_SLICE_LIT("1"));
    if (o->delete_marker) {
        eng_tlv_put(b, O_DMARKER, KV_SLICE_LIT("1"));
        eng_tlv_put_u64(b, O_MTIME, (uint64_t)o->mtime_ms);
        return;
    }
    eng_tlv_put_u64(b, O_SIZE, o->size);
    eng_tlv_put_str(b, O_ETAG, o->etag);
    eng_tlv_put_u64(b, O_MTIME, (uint64_t)o->mtime_ms);
    eng_tlv_put_str(b, O_CTYPE, o->content_type);
    eng_tlv_put_str(b, O_CENC, o->content_encoding);
    eng_tlv_put_str(b, O_CDISP, o->content_disposition);
    eng_tlv_put_str(b, O_CLANG, o->content_language);
    eng_tlv_put_str(b, O_CACHE, o->cache_control);
    eng_tlv_put_str(b, O_EXPIRES, o->expires);
    eng_tlv_put_str(b, O_CLASS, o->storage_class);
    eng_tlv_put_str(b, O_CK_ALGO, o->checksum_algo);
    eng_tlv_put_str(b, O_CK_VALUE, o->checksum_value);
    for (size_t i = 0; i < o->n_meta + o->n_tags; i++) {
        const eng_tag_t *t = i < o->n_meta ? &o->meta[i] : &o->tags[i - o->n_meta];
        uint8_t mm[64];
        kv_buf_t m;
        kv_buf_init_on(&m, mm, sizeof(mm), 64 * 1024);
        size_t kl = strlen(t->key);
        eng_tlv_put_varint(&m, kl);
        kv_buf_append(&m, t->key, kl);
        kv_buf_append_str(&m, t->value);
        eng_tlv_put(b, i < o->n_meta ? O_META : O_TAG, kv_buf_slice(&m));
        kv_buf_dispose(&m);
    }
    if (o->n_segs == 0)
        eng_tlv_put_u64(b, O_DATA, o->data_id);
    for (size_t i = 0; i < o->n_segs; i++) {
        uint8_t sm[24];
        kv_buf_t sb;
        kv_buf_init_on(&sb, sm, sizeof(sm), sizeof(sm));
        eng_tlv_put_varint(&sb, o->segs[i].data_id);
        eng_tlv_put_varint(&sb, o->segs[i].size);
        eng_tlv_put_varint(&sb, o->segs[i].part);
        eng_tlv_put(b, O_SEG, kv_buf_slice(&sb));
    }
}

static int decode_object(kv_slice_t key, kv_slice_t in, kv_arena_t *a, eng_object_t **out)
{
    if (in.len < 1 || in.p[0] != OBJ_REC_VERSION)
        return KV_ECORRUPT;
    in.p++;
    in.len--;
    eng_object_t *o = kv_arena_calloc(a, 1, sizeof(*o));
    o->key = kv_arena_dup(a, key);
    size_t n_meta = 0, n_segs = 0, n_tags = 0;
    kv_slice_t scan = in, v;
    uint8_t tag;
    int rc;
    while ((rc = eng_tlv_next(&scan, &tag, &v)) == 1) {
        n_meta += tag == O_META;
        n_segs += tag == O_SEG;
        n_tags += tag == O_TAG;
    }
    if (rc < 0)
        return rc;
    o->meta = kv_arena_calloc(a, n_meta ? n_meta : 1, sizeof(*o->meta));
    if (n_segs)
        o->segs = kv_arena_calloc(a, n_segs, sizeof(*o->segs));
    if (n_tags)
        o->tags = kv_arena_calloc(a, n_tags, sizeof(*o->tags));
    uint64_t u;
    bool has_version = false;
    const char **strs[] = {NULL,
                           NULL,
                           &o->etag,
                           NULL,
                           &o->content_type,
                           &o->content_encoding,
                           &o->content_disposition,
                           &o->content_language,
                           &o->cache_control,
                           &o->expires,
                           &o->storage_class,
                           &o->checksum_algo,
                           &o->checksum_value};
    while ((rc = eng_tlv_next(&in, &tag, &v)) == 1) {
        if (tag == O_SIZE && eng_tlv_u64(v, &u))
            o->size = u;
        else if (tag == O_MTIME && eng_tlv_u64(v, &u))
            o->mtime_ms = (int64_t)u;
        else if (tag == O_DATA && eng_tlv_u64(v, &u))
            o->data_id = u;
        else if (tag == O_VERSION && eng_tlv_u64(v, &u)) {
            o->version = u;
            has_version = true;
        } else if (tag == O_NULLVER)
            o->null_version = true;
        else if (tag == O_DMARKER)
            o->delete_marker = true;
        else if (tag == O_SHARED)
            o->shared = true;
        else if (tag == O_SEG) {
            kv_slice_t sv = v;
            eng_seg_t *g = &o->segs[o->n_segs];
            uint64_t part = 0;
            if (o->n_segs >= n_segs || !eng_tlv_get_varint(&sv, &g->data_id) ||
                !eng_tlv_get_varint(&sv, &g->size) ||
                (sv.len && (!eng_tlv_get_varint(&sv, &part) || part > UINT32_MAX)))
                return KV_ECORRUPT;
            g->part = (uint32_t)part;
            o->n_segs++;
        } else if (tag < sizeof(strs) / sizeof(*strs) && strs[tag])
            *strs[tag] = kv_arena_strndup(a, v.p, v.len);
        else if (tag == O_META || tag == O_TAG) {
            kv_slice_t s = v;
            uint64_t kl;
            if (!eng_tlv_get_varint(&s, &kl) || kl > s.len)
                return KV_ECORRUPT;
            eng_tag_t *t = tag == O_META ? &o->meta[o->n_meta++] : &o->tags[o->n_tags++];
            t->key = kv_arena_strndup(a, s.p, (size_t)kl);
            t->value = kv_arena_strndup(a, s.p + kl, s.len - (size_t)kl);
        }
    }
    if (rc < 0)
        return rc;
    if (!has_version)
        o->null_version = true; /* written before versioning existed */
    *out = o;
    return 0;
}

/* Do a and b name the same byte runs? */
static bool same_bytes(const eng_object_t *a, const eng_object_t *b)
{
    if (a == NULL || a->n_segs != b->n_segs)
        return false;
    if (a->n_segs == 0)
        return a->data_id == b->data_id;
    for (size_t i = 0; i < a->n_segs; i++)
        if (a->segs[i].data_id != b->segs[i].data_id || a->segs[i].size != b->segs[i].size)
            return false;
    return true;
}

/* A conditional write's verdict against the current version prev (NULL: absent). */
static int check_cond(const eng_obj_cond_t *cond, const eng_object_t *prev, const eng_object_t *o)
{
    if (cond == NULL)
        return 0;
    if (prev && prev->delete_marker)
        prev = NULL; /* a key whose latest version is a delete marker has no object */
    if (cond->if_absent && prev)
        return KV_ECONDFAIL;
    if (cond->if_match && prev == NULL)
        return KV_ENOTFOUND;
    if (cond->if_match && strcmp(prev->etag, cond->if_match) != 0)
        return KV_ECONDFAIL;
    if (cond->same_data && cond->versioning != ENG_VERSIONING_OFF)
        return KV_EINVAL;
    if (cond->same_data && !same_bytes(prev, o))
        return KV_EBUSY;
    return 0;
}

/* A fresh version number: the time in ms shifted left 16, kept strictly increasing. */
static uint64_t next_version(eng_t *e)
{
    uint64_t now = (uint64_t)kv_now_ms() << 16, last = atomic_load(&e->last_version), v;
    do
        v = now > last ? now : last + 1;
    while (!atomic_compare_exchange_weak(&e->last_version, &last, v));
    return v;
}

/* The record key, value and decoded version of one lookup. */
typedef struct {
    kv_buf_t k, v;
    eng_object_t *o;
} found_t;

static void found_init(found_t *f)
{
    kv_buf_init(&f->k, 4 * ENG_OBJ_KEY_MAX + 32);
    kv_buf_init(&f->v, 64 * 1024);
    f->o = NULL;
}

static void found_dispose(found_t *f)
{
    kv_buf_dispose(&f->k);
    kv_buf_dispose(&f->v);
}

/* Does version o answer ref (NULL: the current one)? */
static bool vref_match(const eng_vref_t *ref, const eng_object_t *o)
{
    if (ref == NULL || ref->kind == ENG_VREF_CURRENT)
        return true;
    if (ref->kind == ENG_VREF_NULL)
        return o->null_version;
    return !o->null_version && o->version == ref->id;
}

/*
 * The noncurrent version of the key encoded as okey that ref names (ref NULL: the newest
 * one), read at snapshot snap (NULL: now). @return 0 with f filled, KV_ENOTFOUND.
 */
static int find_noncurrent(eng_t *e, eng_snap_t *snap, const kv_buf_t *okey, kv_slice_t key,
                           const eng_vref_t *ref, kv_arena_t *a, found_t *f)
{
    kv_buf_reset(&f->k);
    kv_buf_reset(&f->v);
    if (ref && ref->kind == ENG_VREF_ID) {
        ver_key(&f->k, okey, ref->id);
        int rc = eng_rocks_get_at(e->rocks, snap, ENG_CF_OBJECTS, kv_buf_slice(&f->k), &f->v);
        if (rc == 0)
            rc = decode_object(key, kv_buf_slice(&f->v), a, &f->o);
        return rc == 0 && !vref_match(ref, f->o) ? KV_ENOTFOUND : rc;
    }
    /* The newest, or the null version (at most one): walk the key's versions. */
    eng_riter_t *it = eng_riter_new_at(e->rocks, snap, ENG_CF_OBJECTS);
    int rc = KV_ENOTFOUND;
    for (eng_riter_seek(it, kv_slice(okey->p, okey->len)); eng_riter_valid(it);
         eng_riter_next(it)) {
        kv_slice_t rk = eng_riter_key(it);
        if (rk.len < okey->len || memcmp(rk.p, okey->p, okey->len) != 0)
            break;
        if (rk.len != okey->len + 8)
            continue; /* the current record */
        rc = decode_object(key, eng_riter_value(it), a, &f->o);
        if (rc < 0 || ref == NULL || f->o->null_version) {
            if (rc == 0) {
                kv_buf_append_slice(&f->k, rk);
                kv_buf_append_slice(&f->v, eng_riter_value(it));
            }
            break;
        }
        rc = KV_ENOTFOUND;
    }
    if (rc == KV_ENOTFOUND && eng_riter_status(it) < 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc;
}

/* The current version of the key encoded as okey, at snapshot snap. */
static int find_current(eng_t *e, eng_snap_t *snap, const kv_buf_t *okey, kv_slice_t key,
                        kv_arena_t *a, found_t *f)
{
    kv_buf_reset(&f->k);
    kv_buf_reset(&f->v);
    kv_buf_append(&f->k, okey->p, okey->len);
    int rc = eng_rocks_get_at(e->rocks, snap, ENG_CF_OBJECTS, kv_buf_slice(&f->k), &f->v);
    if (rc == 0 && decode_object(key, kv_buf_slice(&f->v), a, &f->o) < 0)
        rc = KV_ECORRUPT;
    return rc;
}

/* The version ref names: the current record when it matches, else a noncurrent one. */
static int find_version(eng_t *e, eng_snap_t *snap, const kv_buf_t *okey, kv_slice_t key,
                        const eng_vref_t *ref, kv_arena_t *a, found_t *f)
{
    int rc = find_current(e, snap, okey, key, a, f);
    if (rc == 0 && vref_match(ref, f->o)) {
        f->o->noncurrent = false;
        return 0;
    }
    if ((rc < 0 && rc != KV_ENOTFOUND) || ref == NULL || ref->kind == ENG_VREF_CURRENT)
        return rc;
    rc = find_noncurrent(e, snap, okey, key, ref, a, f);
    if (rc == 0)
        f->o->noncurrent = true;
    return rc;
}

/*
 * Make o the current version of the key encoded as okey (in batch b, under the key's lock):
 * the previous current version prev (raw record prev_raw) becomes noncurrent or is replaced,
 * as the versioning state says; a suspended bucket's noncurrent null version goes too.
 */
/* Does installing a version under mode replace prev (rather than keep it as noncurrent)? */
static bool replaces(const eng_object_t *prev, eng_versioning_t mode)
{
    return prev && mode != ENG_VERSIONING_ENABLED && prev->null_version;
}

static int install(txn_t *t, const kv_buf_t *okey, kv_slice_t prev_raw, const eng_object_t *prev,
                   eng_object_t *o, eng_versioning_t mode, kv_arena_t *a, kv_buf_t *enc)
{
    eng_t *e = t->e;
    eng_batch_t *b = t->b;
    o->version = next_version(e);
    o->null_version = mode != ENG_VERSIONING_ENABLED;
    int rc = 0;
    if (prev && !replaces(prev, mode)) {
        uint8_t km[4 * ENG_OBJ_KEY_MAX + 32];
        kv_buf_t vk;
        kv_buf_init_on(&vk, km, sizeof(km), sizeof(km));
        ver_key(&vk, okey, prev->version);
        eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(&vk), prev_raw);
        kv_buf_dispose(&vk);
    } else if (prev && !same_bytes(prev, o)) {
        rc = release_bytes(t, prev);
    }
    if (rc == 0 && mode == ENG_VERSIONING_SUSPENDED) {
        found_t nv;
        found_init(&nv);
        eng_vref_t null_ref = {.kind = ENG_VREF_NULL};
        rc = find_noncurrent(e, NULL, okey, o->key, &null_ref, a, &nv);
        if (rc == 0) {
            rc = release_bytes(t, nv.o);
            eng_batch_delete(b, ENG_CF_OBJECTS, kv_buf_slice(&nv.k));
        }
        found_dispose(&nv);
        if (rc == KV_ENOTFOUND)
            rc = 0;
    }
    if (rc < 0)
        return rc;
    kv_buf_reset(enc);
    encode_object(o, enc);
    if (kv_buf_failed(enc))
        return KV_ETOOBIG;
    eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(okey), kv_buf_slice(enc));
    eng__log_object_event(&t->log, o->log_id, o->event, o, mode != ENG_VERSIONING_OFF);
    return 0;
}

/* Put o; when w is set, its unwritten last chunk joins the metadata's batch (one WAL write
 * for an object of up to one chunk). */
static int object_put(eng_t *e, uint32_t bucket_id, eng_object_t *o, const eng_obj_cond_t *cond,
                      eng_blob_writer_t *w)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&v, 64 * 1024);
    obj_key(&k, bucket_id, o->key);
    pthread_mutex_t *lock = lock_of(e, &k);
    pthread_mutex_lock(lock);
    txn_t t;
    txn_init(&t, e);
    uint8_t tm[16];
    kv_buf_t tk;
    kv_buf_init_on(&tk, tm, sizeof(tm), sizeof(tm));
    if (w && w->buf.len) {
        blob_key(&tk, w->data_id, w->chunk);
        seal_chunk(&w->buf);
        eng_batch_put(t.b, ENG_CF_BLOBS, kv_buf_slice(&tk), kv_buf_slice(&w->buf));
    }
    /* The new bytes are named in this batch: their writer note goes with it. */
    if (w ? w->noted : !(cond && cond->same_data) && !o->delete_marker && o->n_segs == 0)
        writer_done(t.b, o->data_id);
    kv_arena_t *a = kv_arena_new(1024);
    found_t cur;
    found_init(&cur);
    int rc = find_current(e, NULL, &k, o->key, a, &cur);
    if (rc == 0 || rc == KV_ENOTFOUND)
        rc = check_cond(cond, cur.o, o);
    if (rc == 0 && cond && cond->same_data)
        o->shared = cur.o->shared; /* the same bytes, named as before */
    if (rc == 0)
        rc = install(&t, &k, kv_buf_slice(&cur.v), cur.o, o,
                     cond ? cond->versioning : ENG_VERSIONING_OFF, a, &v);
    if (rc == 0)
        rc = txn_commit(&t);
    txn_dispose(&t);
    pthread_mutex_unlock(lock);
    /* Nothing names the new bytes: drop them, don't leak (unless none reached the store: a
     * writer's only chunk was in the batch that failed). */
    if (rc < 0 && !(cond && cond->same_data) && (w == NULL || w->noted))
        drop_data(e, o->data_id, o->size);
    found_dispose(&cur);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_object_put(eng_t *e, uint32_t bucket_id, eng_object_t *o, const eng_obj_cond_t *cond)
{
    return object_put(e, bucket_id, o, cond, NULL);
}

int eng_object_put_blob(eng_t *e, uint32_t bucket_id, eng_object_t *o, const eng_obj_cond_t *cond,
                        eng_blob_writer_t *w)
{
    o->data_id = w->data_id;
    o->size = w->size;
    o->n_segs = 0;
    int rc = object_put(e, bucket_id, o, cond, w);
    kv_buf_dispose(&w->buf);
    kv_free(w);
    return rc;
}

/* One key's write: its encoded key, a value buffer, an arena, a lookup, its lock (held from
 * begin to end). */
typedef struct {
    kv_buf_t k, v;
    kv_arena_t *a;
    found_t f;
    pthread_mutex_t *lock;
} keyop_t;

static void keyop_begin(keyop_t *op, eng_t *e, uint32_t bucket_id, kv_slice_t key)
{
    kv_buf_init(&op->k, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&op->v, 64 * 1024);
    obj_key(&op->k, bucket_id, key);
    op->a = kv_arena_new(1024);
    found_init(&op->f);
    op->lock = lock_of(e, &op->k);
    pthread_mutex_lock(op->lock);
}

static void keyop_end(keyop_t *op)
{
    pthread_mutex_unlock(op->lock);
    found_dispose(&op->f);
    kv_arena_free(op->a);
    kv_buf_dispose(&op->k);
    kv_buf_dispose(&op->v);
}

int eng_object_copy(eng_t *e, uint32_t src_bucket, kv_slice_t src_key, const eng_vref_t *src_ref,
                    uint64_t src_version, uint32_t dst_bucket, eng_object_t *o,
                    const eng_obj_cond_t *cond)
{
    eng_versioning_t mode = cond ? cond->versioning : ENG_VERSIONING_OFF;
    kv_buf_t sk, dk, v, sv;
    kv_buf_init(&sk, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&dk, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&v, 64 * 1024);
    kv_buf_init(&sv, 64 * 1024);
    obj_key(&sk, src_bucket, src_key);
    obj_key(&dk, dst_bucket, o->key);
    /* Both keys' locks, in address order (two opposite copies cannot deadlock), then the
     * share lock (txn_lock) as every writer takes it: after its key lock. */
    pthread_mutex_t *l1 = lock_of(e, &sk), *l2 = lock_of(e, &dk);
    if (l1 > l2) {
        pthread_mutex_t *x = l1;
        l1 = l2;
        l2 = x;
    }
    pthread_mutex_lock(l1);
    if (l2 != l1)
        pthread_mutex_lock(l2);
    txn_t t;
    txn_init(&t, e);
    txn_lock(&t);
    kv_arena_t *a = kv_arena_new(4096);
    found_t src, cur;
    found_init(&src);
    found_init(&cur);
    int rc = find_version(e, NULL, &sk, src_key, src_ref, a, &src);
    if (rc == KV_ENOTFOUND || (rc == 0 && (src.o->delete_marker || src.o->version != src_version)))
        rc = KV_EBUSY; /* gone or replaced since the caller read it */
    if (rc == 0) {
        rc = find_current(e, NULL, &dk, o->key, a, &cur);
        if (rc == KV_ENOTFOUND)
            rc = 0;
    }
    bool cur_is_src = rc == 0 && cur.o && kv_slice_eq(kv_buf_slice(&cur.k), kv_buf_slice(&src.k));
    if (rc == 0 && cur_is_src && replaces(cur.o, mode))
        rc = KV_EINVAL; /* the source itself would be replaced: not a copy */
    if (rc == 0)
        rc = check_cond(cond, cur.o, o);
    if (rc == 0 && !src.o->shared) {
        /* From now on the source's bytes are counted. */
        src.o->shared = true;
        encode_object(src.o, &sv);
        eng_batch_put(t.b, ENG_CF_OBJECTS, kv_buf_slice(&src.k), kv_buf_slice(&sv));
        if (cur_is_src) { /* the record install moves aside must carry the flag too */
            kv_buf_reset(&cur.v);
            kv_buf_append_slice(&cur.v, kv_buf_slice(&sv));
            cur.o->shared = true;
        }
    }
    if (rc == 0) {
        o->data_id = src.o->data_id;
        o->segs = src.o->segs;
        o->n_segs = src.o->n_segs;
        o->size = src.o->size;
        o->shared = true;
        o->delete_marker = false;
        rc = share_bytes(&t, src.o);
    }
    if (rc == 0)
        rc = install(&t, &dk, kv_buf_slice(&cur.v), cur.o, o, mode, a, &v);
    if (rc == 0 && kv_buf_failed(&sv))
        rc = KV_ETOOBIG;
    if (rc == 0)
        rc = txn_commit(&t);
    txn_dispose(&t);
    if (l2 != l1)
        pthread_mutex_unlock(l2);
    pthread_mutex_unlock(l1);
    /* o's segments pointed into a. */
    o->segs = NULL;
    o->n_segs = 0;
    found_dispose(&src);
    found_dispose(&cur);
    kv_arena_free(a);
    kv_buf_dispose(&sk);
    kv_buf_dispose(&dk);
    kv_buf_dispose(&v);
    kv_buf_dispose(&sv);
    return rc;
}

/* Remove the version f found (under the key's lock); a removed current version's place is
 * taken by the newest noncurrent one. */
static int remove_version(txn_t *t, const kv_buf_t *okey, kv_slice_t key, const found_t *f,
                          kv_arena_t *a)
{
    eng_t *e = t->e;
    eng_batch_t *b = t->b;
    int rc = release_bytes(t, f->o);
    if (rc < 0)
        return rc;
    if (f->o->noncurrent) {
        eng_batch_delete(b, ENG_CF_OBJECTS, kv_buf_slice(&f->k));
        return 0;
    }
    found_t next;
    found_init(&next);
    rc = find_noncurrent(e, NULL, okey, key, NULL, a, &next);
    if (rc == 0) {
        eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(okey), kv_buf_slice(&next.v));
        eng_batch_delete(b, ENG_CF_OBJECTS, kv_buf_slice(&next.k));
    } else if (rc == KV_ENOTFOUND) {
        eng_batch_delete(b, ENG_CF_OBJECTS, kv_buf_slice(okey));
        rc = 0;
    }
    found_dispose(&next);
    return rc;
}

int eng_object_delete(eng_t *e, uint32_t bucket_id, kv_slice_t key, eng_versioning_t mode,
                      const eng_vref_t *ref, eng_del_result_t *res)
{
    return eng_object_delete_logged(e, bucket_id, key, mode, ref, res, 0, NULL);
}

int eng_object_delete_logged(eng_t *e, uint32_t bucket_id, kv_slice_t key, eng_versioning_t mode,
                             const eng_vref_t *ref, eng_del_result_t *res, uint32_t log_id,
                             const char *family)
{
    char event[64];
    eng_del_result_t dummy;
    if (res == NULL)
        res = &dummy;
    memset(res, 0, sizeof(*res));
    if (ref && ref->kind == ENG_VREF_CURRENT)
        ref = NULL;
    keyop_t op;
    keyop_begin(&op, e, bucket_id, key);
    kv_buf_t *k = &op.k, *v = &op.v;
    kv_arena_t *a = op.a;
    found_t *f = &op.f;
    txn_t t;
    txn_init(&t, e);
    int rc;
    if (ref == NULL && mode != ENG_VERSIONING_OFF) {
        /* A delete marker becomes the current version. */
        rc = find_current(e, NULL, k, key, a, f);
        snprintf(event, sizeof(event), "%s:DeleteMarkerCreated", family ? family : "");
        eng_object_t marker = {.key = key,
                               .delete_marker = true,
                               .mtime_ms = kv_now_ms(),
                               .log_id = family ? log_id : 0,
                               .event = event};
        if (rc == 0 || rc == KV_ENOTFOUND)
            rc = install(&t, k, kv_buf_slice(&f->v), rc == 0 ? f->o : NULL, &marker, mode, a, v);
        if (rc == 0) {
            res->found = res->delete_marker = true;
            res->null_version = marker.null_version;
            res->version = marker.version;
        }
    } else {
        rc = find_version(e, NULL, k, key, ref, a, f);
        if (rc == 0) {
            res->found = true;
            res->delete_marker = f->o->delete_marker;
            res->null_version = f->o->null_version;
            res->version = f->o->version;
            rc = remove_version(&t, k, key, f, a);
            if (rc == 0 && family) {
                snprintf(event, sizeof(event), "%s:Delete", family);
                eng__log_object_event(&t.log, log_id, event, f->o, mode != ENG_VERSIONING_OFF);
            }
        }
    }
    if (rc == 0 && res->found)
        rc = txn_commit(&t);
    if (rc == KV_ENOTFOUND)
        rc = 0;
    txn_dispose(&t);
    keyop_end(&op);
    return rc;
}

int eng_object_set_tags(eng_t *e, uint32_t bucket_id, kv_slice_t key, const eng_vref_t *ref,
                        const eng_tag_t *tags, size_t n)
{
    keyop_t op;
    keyop_begin(&op, e, bucket_id, key);
    found_t *f = &op.f;
    int rc = find_version(e, NULL, &op.k, key, ref, op.a, f);
    if (rc == 0 && f->o->delete_marker)
        rc = KV_ENOTFOUND;
    if (rc == 0) {
        f->o->tags = (eng_tag_t *)(uintptr_t)tags;
        f->o->n_tags = n;
        encode_object(f->o, &op.v);
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(&f->k), kv_buf_slice(&op.v));
        rc = kv_buf_failed(&op.v) ? KV_ETOOBIG : eng__write(e, b);
        eng_batch_free(b);
    }
    keyop_end(&op);
    return rc;
}

/* ---- multipart uploads ---- */

/* Catalog records: 'U' bucket id, escaped key, upload id -> key + object prototype (in key
 * order, for ListMultipartUploads); 'P' upload id, part number -> part. Part bytes live in
 * blobs like any object's. */
enum { P_SIZE = 1, P_DATA, P_ETAG, P_MTIME };

static void upload_key(kv_buf_t *k, uint32_t bucket_id, kv_slice_t key, uint64_t upload_id)
{
    kv_buf_append_byte(k, ENG_CAT_UPLOAD);
    eng_key_put_u32(k, bucket_id);
    eng_key_put_bytes(k, key);
    eng_key_put_u64(k, upload_id);
}

static void part_key(kv_buf_t *k, uint64_t upload_id, uint32_t number)
{
    kv_buf_append_byte(k, ENG_CAT_PART);
    eng_key_put_u64(k, upload_id);
    eng_key_put_u32(k, number);
}

static pthread_mutex_t *key_lock(eng_t *e, uint32_t bucket_id, kv_slice_t key)
{
    kv_buf_t k;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    obj_key(&k, bucket_id, key);
    pthread_mutex_t *l = lock_of(e, &k);
    kv_buf_dispose(&k);
    return l;
}

int eng_upload_create(eng_t *e, uint32_t bucket_id, const eng_object_t *proto, uint64_t *upload_id)
{
    kv_random(upload_id, sizeof(*upload_id));
    kv_buf_t k, v;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 32);
    kv_buf_init(&v, 4096);
    upload_key(&k, bucket_id, proto->key, *upload_id);
    eng_tlv_put_varint(&v, proto->key.len);
    kv_buf_append_slice(&v, proto->key);
    encode_object(proto, &v);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
    int rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
    eng_batch_free(b);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

static int decode_upload(kv_slice_t v, kv_arena_t *a, eng_object_t **proto)
{
    uint64_t kl;
    if (!eng_tlv_get_varint(&v, &kl) || kl > v.len || kl > ENG_OBJ_KEY_MAX)
        return KV_ECORRUPT;
    kv_slice_t key = kv_slice(v.p, (size_t)kl);
    return decode_object(key, kv_slice(v.p + kl, v.len - (size_t)kl), a, proto);
}

int eng_upload_get(eng_t *e, uint32_t bucket_id, kv_slice_t key, uint64_t upload_id, kv_arena_t *a,
                   eng_object_t **proto)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 32);
    kv_buf_init(&v, 4096);
    upload_key(&k, bucket_id, key, upload_id);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0)
        rc = decode_upload(kv_buf_slice(&v), a, proto);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

static int decode_part(kv_slice_t k, kv_slice_t v, kv_arena_t *a, eng_part_t *p)
{
    memset(p, 0, sizeof(*p));
    kv_slice_t ks = kv_slice(k.p + 1, k.len - 1);
    uint64_t up;
    if (k.len < 1 || eng_key_get_u64(&ks, &up) < 0 || eng_key_get_u32(&ks, &p->number) < 0)
        return KV_ECORRUPT;
    uint8_t tag;
    kv_slice_t val;
    uint64_t u;
    int rc;
    while ((rc = eng_tlv_next(&v, &tag, &val)) == 1) {
        if (tag == P_SIZE && eng_tlv_u64(val, &u))
            p->size = u;
        else if (tag == P_DATA && eng_tlv_u64(val, &u))
            p->data_id = u;
        else if (tag == P_MTIME && eng_tlv_u64(val, &u))
            p->mtime_ms = (int64_t)u;
        else if (tag == P_ETAG)
            p->etag = kv_arena_strndup(a, val.p, val.len);
    }
    return rc < 0 ? rc : (p->etag ? 0 : KV_ECORRUPT);
}

int eng_upload_put_part(eng_t *e, uint32_t bucket_id, uint64_t upload_id, kv_slice_t key,
                        const eng_part_t *part)
{
    kv_buf_t uk, pk, v, old;
    kv_buf_init(&uk, 4 * ENG_OBJ_KEY_MAX + 32);
    kv_buf_init(&pk, 32);
    kv_buf_init(&v, 128);
    kv_buf_init(&old, 4096);
    upload_key(&uk, bucket_id, key, upload_id);
    part_key(&pk, upload_id, part->number);
    eng_tlv_put_u64(&v, P_SIZE, part->size);
    eng_tlv_put_u64(&v, P_DATA, part->data_id);
    eng_tlv_put_str(&v, P_ETAG, part->etag);
    eng_tlv_put_u64(&v, P_MTIME, (uint64_t)part->mtime_ms);
    pthread_mutex_t *lock = key_lock(e, bucket_id, key);
    pthread_mutex_lock(lock);
    eng_batch_t *b = eng_batch_new(e->rocks);
    /* The upload must still exist (its record is keyed by the object key). */
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&uk), &old);
    if (rc == 0) {
        kv_buf_reset(&old);
        int prc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&pk), &old);
        if (prc == 0) {
            kv_arena_t *a = kv_arena_new(256);
            eng_part_t prev;
            if (decode_part(kv_buf_slice(&pk), kv_buf_slice(&old), a, &prev) == 0 &&
                prev.data_id != part->data_id)
                delete_data(b, prev.data_id);
            kv_arena_free(a);
        } else if (prc != KV_ENOTFOUND) {
            rc = prc;
        }
    }
    if (rc == 0) {
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&pk), kv_buf_slice(&v));
        writer_done(b, part->data_id); /* the part names its bytes from now on */
        rc = eng__write(e, b);
    }
    pthread_mutex_unlock(lock);
    eng_batch_free(b);
    if (rc < 0)
        drop_data(e, part->data_id, part->size);
    kv_buf_dispose(&uk);
    kv_buf_dispose(&pk);
    kv_buf_dispose(&v);
    kv_buf_dispose(&old);
    return rc;
}

int eng_upload_parts(eng_t *e, uint64_t upload_id, uint32_t after, size_t limit, kv_arena_t *a,
                     eng_part_t **out, size_t *n, bool *more)
{
    *n = 0;
    *more = false;
    *out = kv_arena_calloc(a, limit ? limit : 1, sizeof(**out));
    kv_buf_t lo;
    kv_buf_init(&lo, 32);
    part_key(&lo, upload_id, after == UINT32_MAX ? after : after + 1);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&lo)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t k = eng_riter_key(it);
        if (k.len != lo.len || memcmp(k.p, lo.p, 9) != 0)
            break; /* another upload's parts, or another record kind */
        if (*n == limit) {
            *more = true;
            break;
        }
        rc = decode_part(k, eng_riter_value(it), a, &(*out)[*n]);
        if (rc < 0)
            break;
        (*n)++;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_buf_dispose(&lo);
    return rc;
}

/* Delete the upload record and every part record; drop the bytes of parts not kept (their
 * data ids appended to dropped, when set, for the reclaimer once b commits). */
static int drop_upload(eng_t *e, eng_batch_t *b, uint32_t bucket_id, kv_slice_t key,
                       uint64_t upload_id, const eng_seg_t *keep, size_t n_keep, kv_buf_t *dropped)
{
    kv_buf_t k;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 32);
    upload_key(&k, bucket_id, key, upload_id);
    eng_batch_delete(b, ENG_CF_CATALOG, kv_buf_slice(&k));
    kv_buf_reset(&k);
    part_key(&k, upload_id, 0);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    kv_arena_t *a = kv_arena_new(1024);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t pk = eng_riter_key(it);
        if (pk.len != k.len || memcmp(pk.p, k.p, 9) != 0)
            break;
        eng_part_t p;
        if (decode_part(pk, eng_riter_value(it), a, &p) == 0) {
            bool kept = false;
            for (size_t i = 0; i < n_keep && !kept; i++)
                kept = keep[i].data_id == p.data_id;
            if (!kept)
                delete_data(b, p.data_id);
            if (!kept && dropped) {
                kv_buf_append(dropped, &p.data_id, sizeof(p.data_id));
                kv_buf_append(dropped, &p.size, sizeof(p.size));
            }
        }
        eng_batch_delete(b, ENG_CF_CATALOG, pk);
    }
    rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    return rc;
}

int eng_upload_complete(eng_t *e, uint32_t bucket_id, uint64_t upload_id, const uint32_t *numbers,
                        const char *const *etags, size_t n, eng_object_t *o,
                        const eng_obj_cond_t *cond, eng_mpu_err_t *why, size_t *bad_index)
{
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_t k, v, pk, pv;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&v, 64 * 1024);
    kv_buf_init(&pk, 32);
    kv_buf_init(&pv, 256);
    obj_key(&k, bucket_id, o->key);
    pthread_mutex_t *lock = lock_of(e, &k);
    pthread_mutex_lock(lock);
    txn_t t;
    txn_init(&t, e);
    eng_object_t *proto;
    int rc = eng_upload_get(e, bucket_id, o->key, upload_id, a, &proto);
    /* The named parts, read under the key's lock so a concurrent UploadPart cannot swap one. */
    size_t small = SIZE_MAX;
    o->segs = n ? kv_arena_calloc(a, n, sizeof(*o->segs)) : NULL;
    o->n_segs = 0;
    o->size = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        kv_buf_reset(&pk);
        kv_buf_reset(&pv);
        part_key(&pk, upload_id, numbers[i]);
        eng_part_t p;
        rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&pk), &pv);
        if (rc == 0)
            rc = decode_part(kv_buf_slice(&pk), kv_buf_slice(&pv), a, &p);
        if (rc == KV_ENOTFOUND || (rc == 0 && strcmp(p.etag, etags[i]) != 0)) {
            *why = ENG_MPU_INVALID_PART;
            *bad_index = i;
            rc = KV_EINVAL;
        } else if (rc == 0 && i + 1 < n && p.size < ENG_MPU_MIN_PART && small == SIZE_MAX) {
            small = i; /* reported once every part is known to exist */
        }
        if (rc == 0) {
            o->segs[o->n_segs].data_id = p.data_id;
            o->segs[o->n_segs].size = p.size;
            o->segs[o->n_segs].part = p.number;
            o->n_segs++;
            o->size += p.size;
        }
    }
    if (rc == 0 && small != SIZE_MAX) {
        *why = ENG_MPU_TOO_SMALL;
        *bad_index = small;
        rc = KV_EINVAL;
    }
    found_t cur;
    found_init(&cur);
    if (rc == 0) {
        rc = find_current(e, NULL, &k, o->key, a, &cur);
        if (rc == KV_ENOTFOUND)
            rc = 0;
    }
    if (rc == 0)
        rc = check_cond(cond, cur.o, o);
    if (rc == 0 && o->n_segs == 0)
        rc = KV_EINVAL; /* the caller checks for an empty part list first */
    if (rc == 0)
        rc = drop_upload(e, t.b, bucket_id, o->key, upload_id, o->segs, o->n_segs, NULL);
    if (rc == 0)
        rc = install(&t, &k, kv_buf_slice(&cur.v), cur.o, o,
                     cond ? cond->versioning : ENG_VERSIONING_OFF, a, &v);
    if (rc == 0)
        rc = txn_commit(&t);
    found_dispose(&cur);
    pthread_mutex_unlock(lock);
    txn_dispose(&t);
    /* o->segs pointed into a: leave o without them (the caller only needs size). */
    o->segs = NULL;
    o->n_segs = 0;
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    kv_buf_dispose(&pk);
    kv_buf_dispose(&pv);
    return rc;
}

int eng_upload_list(eng_t *e, uint32_t bucket_id, kv_slice_t from, uint64_t after_id, size_t limit,
                    kv_arena_t *a, eng_upload_t **out, size_t *n, bool *more)
{
    *n = 0;
    *more = false;
    *out = kv_arena_calloc(a, limit ? limit : 1, sizeof(**out));
    kv_buf_t k;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 32);
    kv_buf_append_byte(&k, ENG_CAT_UPLOAD);
    eng_key_put_u32(&k, bucket_id);
    size_t plen = k.len;
    eng_key_put_bytes(&k, from);
    if (after_id)
        eng_key_put_u64(&k, after_id); /* then skip that exact record below */
    else
        k.len -= 2; /* the smallest encoding of any key >= from */
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t rk = eng_riter_key(it);
        if (rk.len < plen + 8 || memcmp(rk.p, k.p, plen) != 0)
            break;
        if (after_id && kv_slice_eq(rk, kv_buf_slice(&k)))
            continue;
        if (*n == limit) {
            *more = true;
            break;
        }
        eng_upload_t *u = &(*out)[*n];
        kv_slice_t tail = kv_slice(rk.p + rk.len - 8, 8);
        if (eng_key_get_u64(&tail, &u->upload_id) < 0) {
            rc = KV_ECORRUPT;
            break;
        }
        rc = decode_upload(eng_riter_value(it), a, &u->proto);
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

int eng__drop_bucket_uploads(eng_t *e, eng_batch_t *b, uint32_t bucket_id)
{
    kv_buf_t k;
    kv_buf_init(&k, 16);
    kv_buf_append_byte(&k, ENG_CAT_UPLOAD);
    eng_key_put_u32(&k, bucket_id);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    kv_arena_t *a = kv_arena_new(4096);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); rc == 0 && eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t rk = eng_riter_key(it);
        if (rk.len < k.len + 8 || memcmp(rk.p, k.p, k.len) != 0)
            break;
        kv_slice_t tail = kv_slice(rk.p + rk.len - 8, 8);
        uint64_t id;
        eng_object_t *proto;
        rc = eng_key_get_u64(&tail, &id);
        if (rc == 0)
            rc = decode_upload(eng_riter_value(it), a, &proto);
        if (rc == 0)
            rc = drop_upload(e, b, bucket_id, proto->key, id, NULL, 0, NULL);
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    return rc;
}

int eng_upload_abort(eng_t *e, uint32_t bucket_id, uint64_t upload_id, kv_slice_t key)
{
    pthread_mutex_t *lock = key_lock(e, bucket_id, key);
    pthread_mutex_lock(lock);
    kv_arena_t *a = kv_arena_new(1024);
    eng_object_t *proto;
    int rc = eng_upload_get(e, bucket_id, key, upload_id, a, &proto);
    eng_batch_t *b = eng_batch_new(e->rocks);
    kv_buf_t dropped;
    kv_buf_init(&dropped, (size_t)1 << 20); /* 16 bytes a part, 10,000 parts at most */
    if (rc == 0)
        rc = drop_upload(e, b, bucket_id, key, upload_id, NULL, 0, &dropped);
    if (rc == 0)
        rc = eng__write(e, b);
    pthread_mutex_unlock(lock);
    /* The parts' bytes are gone; free their disk in the background. */
    for (size_t i = 0; rc == 0 && i + 16 <= dropped.len; i += 16) {
        uint64_t id, size;
        memcpy(&id, dropped.p + i, 8);
        memcpy(&size, dropped.p + i + 8, 8);
        reclaim_note(e, id, size);
    }
    kv_buf_dispose(&dropped);
    eng_batch_free(b);
    kv_arena_free(a);
    return rc;
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
};

int eng_object_open(eng_t *e, uint32_t bucket_id, kv_slice_t key, const eng_vref_t *ref,
                    kv_arena_t *a, eng_object_t **meta, eng_object_reader_t **reader)
{
    eng_snap_t *snap = eng_rocks_snapshot(e->rocks);
    kv_buf_t k;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    obj_key(&k, bucket_id, key);
    found_t f;
    found_init(&f);
    int rc = find_version(e, snap, &k, key, ref, a, &f);
    if (rc == 0)
        *meta = f.o;
    found_dispose(&f);
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
    kv_buf_init(&r->buf, ENG_BLOB_CHUNK + CHUNK_SEAL);
    *reader = r;
    return 0;
}

int64_t eng_object_read(eng_object_reader_t *r, uint64_t offset, uint8_t *buf, size_t cap)
{
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
        blob_key(&k, g->data_id, (uint32_t)chunk);
        kv_buf_reset(&r->buf);
        int rc = eng_rocks_get_self_checked(r->e->rocks, r->snap, ENG_CF_BLOBS, kv_buf_slice(&k),
                                            &r->buf);
        if (rc == 0)
            rc = unseal_chunk(&r->buf);
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
    eng_rocks_snapshot_release(r->e->rocks, r->snap);
    kv_buf_dispose(&r->buf);
    if (r->segs != &r->one)
        kv_free(r->segs);
    kv_free(r);
}

/* ---- listing ---- */

struct eng_obj_iter {
    eng_riter_t *it;
    uint32_t bucket_id;
    bool started;
    bool all_versions;
};

eng_obj_iter_t *eng_obj_iter_new(eng_t *e, uint32_t bucket_id, kv_slice_t from, bool all_versions)
{
    eng_obj_iter_t *it = kv_calloc(1, sizeof(*it));
    it->it = eng_riter_new(e->rocks, ENG_CF_OBJECTS);
    it->bucket_id = bucket_id;
    it->all_versions = all_versions;
    eng_obj_iter_seek(it, from);
    return it;
}

void eng_obj_iter_seek(eng_obj_iter_t *it, kv_slice_t from)
{
    kv_buf_t k;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 64);
    eng_key_put_u32(&k, it->bucket_id);
    /* Escaped bytes without the terminator: the smallest encoding of any key >= from. */
    eng_key_put_bytes(&k, from);
    k.len -= 2;
    eng_riter_seek(it->it, kv_buf_slice(&k));
    kv_buf_dispose(&k);
    it->started = false;
}

int eng_obj_iter_next(eng_obj_iter_t *it, kv_arena_t *a, eng_object_t **meta)
{
    kv_buf_t name;
    kv_buf_init(&name, 4 * ENG_OBJ_KEY_MAX);
    int rc = 0;
    for (;;) {
        if (it->started)
            eng_riter_next(it->it);
        it->started = true;
        if (!eng_riter_valid(it->it)) {
            rc = eng_riter_status(it->it);
            break;
        }
        kv_slice_t rest = eng_riter_key(it->it);
        uint32_t b;
        if (eng_key_get_u32(&rest, &b) < 0 || b != it->bucket_id)
            break;
        kv_buf_reset(&name);
        rc = eng_key_get_bytes(&rest, &name);
        if (rc < 0)
            break;
        bool noncurrent = rest.len > 0;
        if (noncurrent && !it->all_versions)
            continue;
        rc = decode_object(kv_buf_slice(&name), eng_riter_value(it->it), a, meta);
        if (rc < 0)
            break;
        if ((*meta)->delete_marker && !it->all_versions)
            continue;
        (*meta)->noncurrent = noncurrent;
        rc = 1;
        break;
    }
    kv_buf_dispose(&name);
    return rc;
}

void eng_obj_iter_free(eng_obj_iter_t *it)
{
    if (it == NULL)
        return;
    eng_riter_free(it->it);
    kv_free(it);
}
