/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One catalog record by key: put (create or update under cat_lock), get (into an arena) and
 * delete, shared by the record kinds that are a single TLV value under their key (mappings,
 * aliases, versions, layers, URL configurations, queues, event buses, SNS topics and
 * subscriptions); and the encoder of the key-value lists (tags, attributes) such records hold.
 */
#include <string.h>

#include "base/kv_alloc.h"
#include "eng_int.h"
#include "eng_rocks.h"
#include "eng_tlv.h"

int eng__rec_put_locked(eng_t *e, kv_slice_t key, int mode, eng_rec_encode_fn enc, const void *rec)
{
    kv_buf_t v;
    kv_buf_init(&v, ENG_REC_MAX);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, key, &v);
    if (mode == ENG_FN_CREATE)
        rc = rc == 0 ? KV_EEXIST : rc == KV_ENOTFOUND ? 0 : rc;
    if (rc == 0) {
        kv_buf_reset(&v);
        enc(rec, &v);
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_put(b, ENG_CF_CATALOG, key, kv_buf_slice(&v));
        rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
        eng_batch_free(b);
    }
    kv_buf_dispose(&v);
    return rc;
}

int eng__rec_put(eng_t *e, kv_slice_t key, int mode, eng_rec_encode_fn enc, const void *rec)
{
    pthread_mutex_lock(&e->cat_lock);
    int rc = eng__rec_put_locked(e, key, mode, enc, rec);
    pthread_mutex_unlock(&e->cat_lock);
    return rc;
}

int eng__rec_get(eng_t *e, kv_slice_t key, kv_arena_t *a, kv_slice_t *out)
{
    kv_buf_t v;
    kv_buf_init(&v, ENG_REC_MAX);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, key, &v);
    if (rc == 0)
        *out = kv_arena_dup(a, kv_buf_slice(&v));
    kv_buf_dispose(&v);
    return rc;
}

int eng__rec_delete(eng_t *e, kv_slice_t key, eng_rec_also_fn also, const void *arg)
{
    kv_buf_t v;
    kv_buf_init(&v, ENG_REC_MAX);
    pthread_mutex_lock(&e->cat_lock);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, key, &v);
    if (rc == 0) {
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_delete(b, ENG_CF_CATALOG, key);
        if (also)
            rc = also(e, b, arg);
        if (rc == 0)
            rc = eng__write(e, b);
        eng_batch_free(b);
    }
    pthread_mutex_unlock(&e->cat_lock);
    kv_buf_dispose(&v);
    return rc;
}

void eng__put_pairs(kv_buf_t *b, uint8_t tag, const eng_tag_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        kv_buf_t a;
        kv_buf_init(&a, ENG_REC_MAX);
        size_t kl = strlen(p[i].key);
        eng_tlv_put_varint(&a, kl);
        kv_buf_append(&a, p[i].key, kl);
        kv_buf_append_str(&a, p[i].value);
        eng_tlv_put(b, tag, kv_buf_slice(&a));
        kv_buf_dispose(&a);
    }
}

/* ---- a catalog kind whose keys the api layer lays out (IAM, KMS) ---- */

int eng__kind_get(eng_t *e, char kind, size_t val_max, kv_slice_t key, kv_arena_t *a,
                  kv_slice_t *val)
{
    kv_buf_t k, v;
    kv_buf_init(&k, key.len + 1);
    kv_buf_init(&v, val_max);
    eng__cat_key(&k, kind, key);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0) {
        uint8_t *p = kv_arena_alloc(a, v.len ? v.len : 1);
        if (v.len)
            memcpy(p, v.p, v.len);
        *val = kv_slice(p, v.len);
    }
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng__kind_scan(eng_t *e, char kind, kv_slice_t prefix, kv_slice_t after, size_t limit,
                   int (*take)(void *arg, kv_slice_t suffix, kv_slice_t val), void *arg)
{
    kv_buf_t k;
    kv_buf_init(&k, 1 + prefix.len + after.len);
    eng__cat_key(&k, kind, prefix);
    size_t plen = k.len;
    kv_buf_append_slice(&k, after);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    size_t n = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len < plen || memcmp(key.p, k.p, plen) != 0)
            break;
        kv_slice_t suffix = kv_slice(key.p + plen, key.len - plen);
        if (after.len && kv_slice_eq(suffix, after))
            continue;
        if (limit && n >= limit)
            break;
        n++;
        rc = take(arg, suffix, eng_riter_value(it));
        if (rc != 0)
            break;
    }
    if (rc == 1)
        rc = 0;
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_buf_dispose(&k);
    return rc;
}

int eng__kind_write(eng_t *e, char kind, size_t key_max, size_t val_max, const eng_cat_op_t *ops,
                    size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ops[i].key.len == 0 || ops[i].key.len > key_max || ops[i].val.len > val_max)
            return KV_EINVAL;
    eng_batch_t *b = eng_batch_new(e->rocks);
    kv_buf_t k;
    kv_buf_init(&k, key_max + 1);
    for (size_t i = 0; i < n; i++) {
        kv_buf_reset(&k);
        eng__cat_key(&k, kind, ops[i].key);
        if (ops[i].val.p)
            eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), ops[i].val);
        else
            eng_batch_delete(b, ENG_CF_CATALOG, kv_buf_slice(&k));
    }
    int rc = eng__write(e, b);
    eng_batch_free(b);
    kv_buf_dispose(&k);
    return rc;
}

/* ---- the record caches (tables, buckets) ---- */

bool eng__rcache_get(pthread_rwlock_t *lock, const eng_rcache_ent_t *ent, kv_slice_t name,
                     uint64_t gen, kv_arena_t *a, kv_slice_t *rec)
{
    if (name.len > ENG_RCACHE_NAME_MAX)
        return false;
    pthread_rwlock_rdlock(lock);
    bool hit = ent->gen == gen && ent->rec && strlen(ent->name) == name.len &&
               memcmp(ent->name, name.p, name.len) == 0;
    if (hit)
        *rec = kv_arena_dup(a, kv_slice(ent->rec, ent->rec_len));
    pthread_rwlock_unlock(lock);
    return hit;
}

void eng__rcache_put(pthread_rwlock_t *lock, eng_rcache_ent_t *ent, kv_slice_t name, uint64_t gen,
                     kv_slice_t rec)
{
    if (name.len > ENG_RCACHE_NAME_MAX)
        return;
    pthread_rwlock_wrlock(lock);
    kv_free(ent->rec);
    ent->rec = kv_malloc(rec.len ? rec.len : 1);
    memcpy(ent->rec, rec.p, rec.len);
    ent->rec_len = rec.len;
    memcpy(ent->name, name.p, name.len);
    ent->name[name.len] = 0;
    ent->gen = gen;
    pthread_rwlock_unlock(lock);
}
