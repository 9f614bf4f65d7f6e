/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 objects: metadata in the objects CF under (bucket id, escaped key), bytes
 * in the blobs CF under (data id, chunk number) in 1 MiB chunks. A put makes
 * the new metadata current and deletes the old bytes in one batch; readers
 * read at a snapshot taken before they look the metadata up, so an overwrite
 * never shows them a mix of old and new.
 */
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_hash.h"
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
};

#define OBJ_REC_VERSION 1

static void obj_key(kv_buf_t *k, uint32_t bucket_id, kv_slice_t key)
{
    eng_key_put_u32(k, bucket_id);
    eng_key_put_bytes(k, key);
}

static void blob_key(kv_buf_t *k, uint64_t data_id, uint32_t chunk)
{
    eng_key_put_u64(k, data_id);
    eng_key_put_u32(k, chunk);
}

/* ---- blob writer ---- */

struct eng_blob_writer {
    eng_t *e;
    uint64_t data_id;
    uint32_t chunk;
    uint64_t size;
    kv_buf_t buf;
};

eng_blob_writer_t *eng_blob_writer_new(eng_t *e)
{
    eng_blob_writer_t *w = kv_calloc(1, sizeof(*w));
    w->e = e;
    kv_random(&w->data_id, sizeof(w->data_id)); /* 64 random bits: collisions are negligible */
    kv_buf_init(&w->buf, ENG_BLOB_CHUNK);
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
    eng_batch_t *b = eng_batch_new(w->e->rocks);
    eng_batch_put(b, ENG_CF_BLOBS, kv_buf_slice(&k), kv_buf_slice(&w->buf));
    /* Chunks are invisible until the metadata that names them commits. */
    int rc = eng_rocks_write(w->e->rocks, b);
    eng_batch_free(b);
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

int eng_blob_writer_finish(eng_blob_writer_t *w, uint64_t *data_id, uint64_t *size)
{
    int rc = flush_chunk(w);
    *data_id = w->data_id;
    *size = w->size;
    kv_buf_dispose(&w->buf);
    kv_free(w);
    return rc;
}

static void delete_data(eng_batch_t *b, uint64_t data_id)
{
    uint8_t lm[16], hm[16];
    kv_buf_t lo, hi;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    blob_key(&lo, data_id, 0);
    eng_key_put_u64(&hi, data_id + 1);
    if (data_id == UINT64_MAX)
        kv_buf_append(&hi, "\xff\xff\xff\xff\xff", 5);
    eng_batch_delete_range(b, ENG_CF_BLOBS, kv_buf_slice(&lo), kv_buf_slice(&hi));
}

void eng_blob_writer_abort(eng_blob_writer_t *w)
{
    if (w == NULL)
        return;
    if (w->chunk > 0) {
        eng_batch_t *b = eng_batch_new(w->e->rocks);
        delete_data(b, w->data_id);
        eng_rocks_write(w->e->rocks, b);
        eng_batch_free(b);
    }
    kv_buf_dispose(&w->buf);
    kv_free(w);
}

/* ---- metadata records ---- */

static void encode_object(const eng_object_t *o, kv_buf_t *b)
{
    kv_buf_append_byte(b, OBJ_REC_VERSION);
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
    for (size_t i = 0; i < o->n_meta; i++) {
        uint8_t mm[64];
        kv_buf_t m;
        kv_buf_init_on(&m, mm, sizeof(mm), 64 * 1024);
        size_t kl = strlen(o->meta[i].key);
        eng_tlv_put_varint(&m, kl);
        kv_buf_append(&m, o->meta[i].key, kl);
        kv_buf_append_str(&m, o->meta[i].value);
        eng_tlv_put(b, O_META, kv_buf_slice(&m));
        kv_buf_dispose(&m);
    }
    eng_tlv_put_u64(b, O_DATA, o->data_id);
}

static int decode_object(kv_slice_t key, kv_slice_t in, kv_arena_t *a, eng_object_t **out)
{
    if (in.len < 1 || in.p[0] != OBJ_REC_VERSION)
        return KV_ECORRUPT;
    in.p++;
    in.len--;
    eng_object_t *o = kv_arena_calloc(a, 1, sizeof(*o));
    o->key = kv_arena_dup(a, key);
    size_t n_meta = 0;
    kv_slice_t scan = in, v;
    uint8_t tag;
    int rc;
    while ((rc = eng_tlv_next(&scan, &tag, &v)) == 1)
        n_meta += tag == O_META;
    if (rc < 0)
        return rc;
    o->meta = kv_arena_calloc(a, n_meta ? n_meta : 1, sizeof(*o->meta));
    uint64_t u;
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
        else if (tag < sizeof(strs) / sizeof(*strs) && strs[tag])
            *strs[tag] = kv_arena_strndup(a, v.p, v.len);
        else if (tag == O_META) {
            kv_slice_t s = v;
            uint64_t kl;
            if (!eng_tlv_get_varint(&s, &kl) || kl > s.len)
                return KV_ECORRUPT;
            o->meta[o->n_meta].key = kv_arena_strndup(a, s.p, (size_t)kl);
            o->meta[o->n_meta].value = kv_arena_strndup(a, s.p + kl, s.len - (size_t)kl);
            o->n_meta++;
        }
    }
    if (rc < 0)
        return rc;
    *out = o;
    return 0;
}

int eng_object_put(eng_t *e, uint32_t bucket_id, const eng_object_t *o, const eng_obj_cond_t *cond)
{
    kv_buf_t k, v, old;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&v, 64 * 1024);
    kv_buf_init(&old, 64 * 1024);
    obj_key(&k, bucket_id, o->key);
    encode_object(o, &v);
    pthread_mutex_t *lock = &e->item_locks[kv_xxh3(k.p, k.len) % ENG_ITEM_LOCKS];
    pthread_mutex_lock(lock);
    eng_batch_t *b = eng_batch_new(e->rocks);
    int rc = eng_rocks_get(e->rocks, ENG_CF_OBJECTS, kv_buf_slice(&k), &old);
    kv_arena_t *a = kv_arena_new(1024);
    eng_object_t *prev = NULL;
    if (rc == 0 && decode_object(o->key, kv_buf_slice(&old), a, &prev) < 0)
        rc = KV_ECORRUPT;
    if (rc == 0 || rc == KV_ENOTFOUND) {
        if (cond && cond->if_absent && prev)
            rc = KV_ECONDFAIL;
        else if (cond && cond->if_match &&
                 (prev == NULL || strcmp(prev->etag, cond->if_match) != 0))
            rc = prev ? KV_ECONDFAIL : KV_ENOTFOUND;
        else
            rc = 0;
    }
    if (rc == 0) {
        if (prev && prev->data_id != o->data_id)
            delete_data(b, prev->data_id);
        eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(&k), kv_buf_slice(&v));
        rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
    }
    pthread_mutex_unlock(lock);
    eng_batch_free(b);
    if (rc < 0) {
        /* Nothing names the new bytes: drop them rather than leak them. */
        b = eng_batch_new(e->rocks);
        delete_data(b, o->data_id);
        eng_rocks_write(e->rocks, b);
        eng_batch_free(b);
    }
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    kv_buf_dispose(&old);
    return rc;
}

int eng_object_delete(eng_t *e, uint32_t bucket_id, kv_slice_t key)
{
    kv_buf_t k, old;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&old, 64 * 1024);
    obj_key(&k, bucket_id, key);
    pthread_mutex_t *lock = &e->item_locks[kv_xxh3(k.p, k.len) % ENG_ITEM_LOCKS];
    pthread_mutex_lock(lock);
    int rc = eng_rocks_get(e->rocks, ENG_CF_OBJECTS, kv_buf_slice(&k), &old);
    if (rc == 0) {
        kv_arena_t *a = kv_arena_new(1024);
        eng_object_t *prev;
        eng_batch_t *b = eng_batch_new(e->rocks);
        if (decode_object(key, kv_buf_slice(&old), a, &prev) == 0)
            delete_data(b, prev->data_id);
        eng_batch_delete(b, ENG_CF_OBJECTS, kv_buf_slice(&k));
        rc = eng__write(e, b);
        eng_batch_free(b);
        kv_arena_free(a);
    } else if (rc == KV_ENOTFOUND) {
        rc = 0;
    }
    pthread_mutex_unlock(lock);
    kv_buf_dispose(&k);
    kv_buf_dispose(&old);
    return rc;
}

/* ---- reading ---- */

struct eng_object_reader {
    eng_t *e;
    eng_snap_t *snap;
    uint64_t data_id;
    uint64_t size;
    int64_t cached; /* chunk number held in buf, or -1 */
    kv_buf_t buf;
};

int eng_object_open(eng_t *e, uint32_t bucket_id, kv_slice_t key, kv_arena_t *a,
                    eng_object_t **meta, eng_object_reader_t **reader)
{
    eng_snap_t *snap = eng_rocks_snapshot(e->rocks);
    kv_buf_t k, v;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&v, 64 * 1024);
    obj_key(&k, bucket_id, key);
    int rc = eng_rocks_get_at(e->rocks, snap, ENG_CF_OBJECTS, kv_buf_slice(&k), &v);
    if (rc == 0)
        rc = decode_object(key, kv_buf_slice(&v), a, meta);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    if (rc < 0 || reader == NULL) {
        eng_rocks_snapshot_release(e->rocks, snap);
        return rc;
    }
    eng_object_reader_t *r = kv_calloc(1, sizeof(*r));
    r->e = e;
    r->snap = snap;
    r->data_id = (*meta)->data_id;
    r->size = (*meta)->size;
    r->cached = -1;
    kv_buf_init(&r->buf, ENG_BLOB_CHUNK);
    *reader = r;
    return 0;
}

int64_t eng_object_read(eng_object_reader_t *r, uint64_t offset, uint8_t *buf, size_t cap)
{
    if (offset >= r->size)
        return 0;
    int64_t chunk = (int64_t)(offset / ENG_BLOB_CHUNK);
    if (chunk != r->cached) {
        uint8_t km[16];
        kv_buf_t k;
        kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
        blob_key(&k, r->data_id, (uint32_t)chunk);
        kv_buf_reset(&r->buf);
        int rc = eng_rocks_get_at(r->e->rocks, r->snap, ENG_CF_BLOBS, kv_buf_slice(&k), &r->buf);
        if (rc < 0)
            return rc == KV_ENOTFOUND ? KV_ECORRUPT : rc;
        r->cached = chunk;
    }
    size_t in = (size_t)(offset % ENG_BLOB_CHUNK);
    if (in >= r->buf.len)
        return KV_ECORRUPT;
    size_t n = r->buf.len - in;
    if (n > cap)
        n = cap;
    if (n > r->size - offset)
        n = (size_t)(r->size - offset);
    memcpy(buf, r->buf.p + in, n);
    return (int64_t)n;
}

void eng_object_close(eng_object_reader_t *r)
{
    if (r == NULL)
        return;
    eng_rocks_snapshot_release(r->e->rocks, r->snap);
    kv_buf_dispose(&r->buf);
    kv_free(r);
}

/* ---- listing ---- */

struct eng_obj_iter {
    eng_riter_t *it;
    uint32_t bucket_id;
    bool started;
};

eng_obj_iter_t *eng_obj_iter_new(eng_t *e, uint32_t bucket_id, kv_slice_t from)
{
    eng_obj_iter_t *it = kv_calloc(1, sizeof(*it));
    it->it = eng_riter_new(e->rocks, ENG_CF_OBJECTS);
    it->bucket_id = bucket_id;
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
    if (it->started)
        eng_riter_next(it->it);
    it->started = true;
    if (!eng_riter_valid(it->it))
        return eng_riter_status(it->it);
    kv_slice_t k = eng_riter_key(it->it);
    uint32_t b;
    kv_slice_t rest = k;
    if (eng_key_get_u32(&rest, &b) < 0 || b != it->bucket_id)
        return 0;
    kv_buf_t name;
    kv_buf_init(&name, 4 * ENG_OBJ_KEY_MAX);
    int rc = eng_key_get_bytes(&rest, &name);
    if (rc == 0)
        rc = decode_object(kv_buf_slice(&name), eng_riter_value(it->it), a, meta);
    kv_buf_dispose(&name);
    return rc < 0 ? rc : 1;
}

void eng_obj_iter_free(eng_obj_iter_t *it)
{
    if (it == NULL)
        return;
    eng_riter_free(it->it);
    kv_free(it);
}
