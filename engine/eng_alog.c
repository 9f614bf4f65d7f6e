/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S3 access-log journal and its delivery (issue 16, package G; see eng_alog.h): records in
 * the state CF under 'J', and the write that turns a run of them into an object of the target
 * bucket while deleting them, in one batch.
 */
#include "eng_alog.h"

#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_err.h"
#include "base/kv_time.h"
#include "eng_obj_int.h"

#define ENG_STATE_ALOG 'J' /* state CF: access-log records: escaped source bucket, u64 seq */

/* The newest sequence handed out in this process: the time in ms shifted left 16, kept
 * strictly increasing (a restart starts past every earlier one unless the clock went back). */
static atomic_uint_fast64_t alog_last;

static uint64_t next_seq(void)
{
    uint64_t now = (uint64_t)kv_now_ms() << 16, last = atomic_load(&alog_last), v;
    do
        v = now > last ? now : last + 1;
    while (!atomic_compare_exchange_weak(&alog_last, &last, v));
    return v;
}

/* 'J' + escaped source name: the prefix of every record of one source. */
static void source_prefix(kv_buf_t *k, kv_slice_t source)
{
    kv_buf_append_byte(k, ENG_STATE_ALOG);
    eng_key_put_bytes(k, source);
}

static void put_u32(kv_buf_t *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    kv_buf_append(b, p, 4);
}

int eng_alog_append(eng_t *e, kv_slice_t source, eng_alog_rec_t *r)
{
    if (r->head.len > ENG_ALOG_HEAD_MAX || r->line.len > ENG_ALOG_LINE_MAX || source.len == 0 ||
        source.len > 255)
        return KV_ETOOBIG;
    r->seq = next_seq();
    uint8_t km[2 * 256 + 16];
    kv_buf_t k, v;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    source_prefix(&k, source);
    eng_key_put_u64(&k, r->seq);
    kv_buf_init(&v, 16 + ENG_ALOG_HEAD_MAX + ENG_ALOG_LINE_MAX);
    eng_key_put_u64(&v, (uint64_t)r->time_ms);
    put_u32(&v, (uint32_t)r->head.len);
    kv_buf_append_slice(&v, r->head);
    kv_buf_append_slice(&v, r->line);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_put(b, ENG_CF_STATE, kv_buf_slice(&k), kv_buf_slice(&v));
    int rc = eng__write(e, b);
    eng_batch_free(b);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

/* Decode a record's value (its slices borrow from v). */
static int decode_rec(kv_slice_t v, eng_alog_rec_t *r)
{
    uint64_t t;
    if (eng_key_get_u64(&v, &t) < 0 || v.len < 4)
        return KV_ECORRUPT;
    uint32_t hl = (uint32_t)v.p[0] << 24 | (uint32_t)v.p[1] << 16 | (uint32_t)v.p[2] << 8 | v.p[3];
    v.p += 4, v.len -= 4;
    if (hl > v.len)
        return KV_ECORRUPT;
    r->time_ms = (int64_t)t;
    r->head = kv_slice(v.p, hl);
    r->line = kv_slice(v.p + hl, v.len - hl);
    return 0;
}

/* Decode the key's sequence after the source prefix of length plen. */
static int decode_seq(kv_slice_t key, size_t plen, uint64_t *seq)
{
    kv_slice_t s = kv_slice(key.p + plen, key.len - plen);
    return eng_key_get_u64(&s, seq) < 0 || s.len != 0 ? KV_ECORRUPT : 0;
}

int eng_alog_next_source(eng_t *e, kv_slice_t after, kv_arena_t *a, kv_slice_t *out)
{
    kv_buf_t k;
    kv_buf_init(&k, 2 * 256 + 16);
    kv_buf_append_byte(&k, ENG_STATE_ALOG);
    if (after.len) {
        /* Past every record of `after`: its escaped name ends 00 01; the next name's bytes
         * compare above 00 01 followed by anything (no escaped name continues with 00 01). */
        eng_key_put_bytes(&k, after);
        kv_buf_append_byte(&k, 0xFF);
    }
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STATE);
    eng_riter_seek(it, kv_buf_slice(&k));
    int rc = KV_ENOTFOUND;
    if (eng_riter_valid(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len && key.p[0] == ENG_STATE_ALOG) {
            kv_slice_t in = kv_slice(key.p + 1, key.len - 1);
            kv_buf_t name;
            kv_buf_init(&name, 1024);
            rc = eng_key_get_bytes(&in, &name) < 0 ? KV_ECORRUPT : 0;
            if (rc == 0)
                *out = kv_arena_dup(a, kv_buf_slice(&name));
            kv_buf_dispose(&name);
        }
    } else if (eng_riter_status(it) < 0) {
        rc = KV_EIO;
    }
    eng_riter_free(it);
    kv_buf_dispose(&k);
    return rc;
}

int eng_alog_first(eng_t *e, kv_slice_t source, kv_arena_t *a, eng_alog_rec_t *out)
{
    kv_buf_t k;
    kv_buf_init(&k, 2 * 256 + 16);
    source_prefix(&k, source);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STATE);
    eng_riter_seek(it, kv_buf_slice(&k));
    int rc = KV_ENOTFOUND;
    if (eng_riter_valid(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len >= k.len && memcmp(key.p, k.p, k.len) == 0) {
            rc = decode_seq(key, k.len, &out->seq);
            if (rc == 0)
                rc = decode_rec(kv_arena_dup(a, eng_riter_value(it)), out);
        }
    } else if (eng_riter_status(it) < 0) {
        rc = KV_EIO;
    }
    eng_riter_free(it);
    kv_buf_dispose(&k);
    return rc;
}

/* Walk source's records in order while take accepts them: each accepted record's key is
 * deleted in b and, when w is set, its line written to w. */
static int take_run(eng_t *e, kv_slice_t source, eng_alog_take_cb take, void *arg, eng_batch_t *b,
                    eng_blob_writer_t *w, size_t *n_out)
{
    kv_buf_t k;
    kv_buf_init(&k, 2 * 256 + 16);
    source_prefix(&k, source);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STATE);
    int rc = 0;
    size_t n = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len < k.len || memcmp(key.p, k.p, k.len) != 0)
            break;
        eng_alog_rec_t r;
        rc = decode_seq(key, k.len, &r.seq);
        if (rc == 0)
            rc = decode_rec(eng_riter_value(it), &r);
        if (rc < 0)
            break;
        if (!take(arg, &r))
            break;
        if (w) {
            rc = eng_blob_write(w, r.line.p, r.line.len);
            if (rc == 0)
                rc = eng_blob_write(w, (const uint8_t *)"\n", 1);
            if (rc < 0)
                break;
        }
        eng_batch_delete(b, ENG_CF_STATE, key);
        n++;
    }
    if (rc == 0 && eng_riter_status(it) < 0)
        rc = KV_EIO;
    eng_riter_free(it);
    kv_buf_dispose(&k);
    *n_out = n;
    return rc;
}

int eng_alog_drop(eng_t *e, kv_slice_t source, eng_alog_take_cb take, void *arg, size_t *n_out)
{
    eng_batch_t *b = eng_batch_new(e->rocks);
    int rc = take_run(e, source, take, arg, b, NULL, n_out);
    if (rc == 0 && *n_out)
        rc = eng__write(e, b);
    eng_batch_free(b);
    if (rc < 0)
        *n_out = 0;
    return rc;
}

/*
 * The object write of eng_object_put (eng_object.c's object_put for a blob writer), with the
 * records' deletions in its batch: the same steps through eng_obj_int.h, so the object is
 * installed exactly as a PUT installs one (versions, replaced bytes, event log).
 */
int eng_alog_deliver(eng_t *e, kv_slice_t source, eng_alog_take_cb take, void *arg,
                     uint32_t target_id, eng_object_t *o, eng_versioning_t versioning,
                     const uint8_t *key, size_t *n_out)
{
    *n_out = 0;
    eng_blob_writer_t *w = eng_blob_writer_new(e);
    int rc = key ? eng_blob_writer_set_key(w, key) : 0;
    if (rc < 0) {
        eng_blob_writer_abort(w);
        return rc;
    }
    eng_otxn_t t;
    eng__otxn_init(&t, e);
    size_t n = 0;
    rc = take_run(e, source, take, arg, t.b, w, &n);
    if (rc < 0 || n == 0) {
        eng__otxn_dispose(&t);
        eng_blob_writer_abort(w);
        return rc;
    }
    take(arg, NULL); /* the run is complete: the caller finishes o's headers (its ETag) */
    o->data_id = w->data_id;
    o->size = w->size;
    o->n_segs = 0;
    o->delete_marker = false;
    kv_buf_t k, v;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&v, 64 * 1024);
    eng__obj_key(&k, target_id, o->key);
    pthread_mutex_t *lock = eng__obj_lock(e, &k);
    pthread_mutex_lock(lock);
    uint8_t tm[16];
    kv_buf_t tk;
    kv_buf_init_on(&tk, tm, sizeof(tm), sizeof(tm));
    if (w->buf.len) {
        eng__blob_key(&tk, w->data_id, w->chunk);
        rc = eng__close_chunk(w); /* sealed, or encrypted under the key */
        eng_batch_put(t.b, ENG_CF_BLOBS, kv_buf_slice(&tk), kv_buf_slice(&w->buf));
    }
    if (w->noted)
        eng__writer_done(t.b, o->data_id);
    kv_arena_t *a = kv_arena_new(1024);
    eng_found_t cur;
    eng__found_init(&cur);
    if (rc == 0)
        rc = eng__find_current(e, NULL, &k, o->key, a, &cur);
    if (rc == 0 || rc == KV_ENOTFOUND)
        rc = eng__obj_install(&t, &k, kv_buf_slice(&cur.v), rc == 0 ? cur.o : NULL, o, versioning,
                              a, &v);
    if (rc == 0)
        rc = eng__otxn_commit(&t);
    eng__otxn_dispose(&t);
    pthread_mutex_unlock(lock);
    if (rc < 0 && w->noted)
        eng__drop_data(e, o->data_id, o->size);
    eng__found_dispose(&cur);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    eng__writer_free(w); /* its key wiped */
    if (rc == 0)
        *n_out = n;
    return rc;
}
