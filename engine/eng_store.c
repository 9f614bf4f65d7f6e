/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Item storage in the items CF: keys, point reads, atomic read-modify-write
 * under striped locks, and bounded range iteration for Query and Scan.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "eng_int.h"

static int put_key_value(kv_buf_t *b, eng_scalar_t type, const eng_av_t *v)
{
    eng_av_type_t want =
        type == ENG_SCALAR_S ? ENG_AV_S : (type == ENG_SCALAR_N ? ENG_AV_N : ENG_AV_B);
    if (v == NULL || v->t != want)
        return KV_EINVAL;
    return eng_key_put_scalar(b, type, v->u.s, NULL);
}

int eng_item_partition_prefix(const eng_table_t *t, const eng_av_t *pk, kv_arena_t *a,
                              kv_slice_t *out)
{
    uint8_t mem[256];
    kv_buf_t pkb, k;
    kv_buf_init_on(&pkb, mem, sizeof(mem), 4 * ENG_KEY_MAX_PK + 16);
    int rc = put_key_value(&pkb, t->hash_type, pk);
    if (rc == 0) {
        kv_buf_init(&k, 4 * ENG_KEY_MAX_PK + 64);
        eng_key_item(&k, t->id, 0, kv_buf_slice(&pkb), KV_SLICE_NULL);
        *out = kv_arena_dup(a, kv_buf_slice(&k));
        kv_buf_dispose(&k);
    }
    kv_buf_dispose(&pkb);
    return rc;
}

int eng_item_key(const eng_table_t *t, const eng_av_t *pk, const eng_av_t *sk, kv_arena_t *a,
                 kv_slice_t *out)
{
    uint8_t m1[256], m2[256];
    kv_buf_t pkb, skb;
    kv_buf_init_on(&pkb, m1, sizeof(m1), 4 * ENG_KEY_MAX_PK + 16);
    kv_buf_init_on(&skb, m2, sizeof(m2), 4 * ENG_KEY_MAX_SK + 16);
    int rc = put_key_value(&pkb, t->hash_type, pk);
    if (rc == 0 && t->range_key)
        rc = put_key_value(&skb, t->range_type, sk);
    if (rc == 0) {
        kv_buf_t k;
        kv_buf_init(&k, 4 * (ENG_KEY_MAX_PK + ENG_KEY_MAX_SK) + 64);
        eng_key_item(&k, t->id, 0, kv_buf_slice(&pkb), kv_buf_slice(&skb));
        *out = kv_arena_dup(a, kv_buf_slice(&k));
        kv_buf_dispose(&k);
    }
    kv_buf_dispose(&pkb);
    kv_buf_dispose(&skb);
    return rc;
}

static int read_item_at(eng_t *e, eng_snap_t *snap, kv_slice_t key, kv_arena_t *a, eng_item_t **out)
{
    kv_buf_t v;
    kv_buf_init(&v, 2 * ENG_ITEM_MAX_BYTES + 65536);
    int rc = eng_rocks_get_at(e->rocks, snap, ENG_CF_ITEMS, key, &v);
    if (rc == 0)
        rc = eng_item_decode(kv_arena_dup(a, kv_buf_slice(&v)), a, out);
    kv_buf_dispose(&v);
    return rc;
}

static int read_item(eng_t *e, kv_slice_t key, kv_arena_t *a, eng_item_t **out)
{
    return read_item_at(e, NULL, key, a, out);
}

int eng_item_get(eng_t *e, kv_slice_t key, kv_arena_t *a, eng_item_t **out)
{
    return read_item(e, key, a, out);
}

/* Take an item's lock stripe for a single-item write: wait for other single writes (they
 * hold it for microseconds), but refuse (KV_EBUSY) when a transaction holds this item. */
static int lock_item(eng_t *e, kv_slice_t key, pthread_mutex_t **out)
{
    uint64_t h = kv_xxh3(key.p, key.len);
    size_t i = h % ENG_ITEM_LOCKS;
    pthread_mutex_t *lock = &e->item_locks[i];
    if (pthread_mutex_trylock(lock) != 0) {
        uint64_t held = atomic_load(&e->txn_items[i]);
        if (held == 1 || (held != 0 && held == (h | 2)))
            return KV_EBUSY;
        pthread_mutex_lock(lock);
    }
    *out = lock;
    return 0;
}

/* ---- Time to Live expiry index: state CF, 'X' table id, expiry seconds, item key ---- */

#define TTL_TAG 'X'

bool eng_ttl_of(const char *attr, const eng_item_t *it, uint64_t *secs)
{
    if (attr == NULL || it == NULL)
        return false;
    eng_av_t *v = eng_item_get_attr(it, kv_slice_str(attr));
    if (v == NULL || v->t != ENG_AV_N || v->u.s.len == 0 || v->u.s.len > 60 || v->u.s.p[0] == '-')
        return false;
    char num[64];
    memcpy(num, v->u.s.p, v->u.s.len);
    num[v->u.s.len] = 0;
    double d = strtod(num, NULL);
    if (!(d >= 0) || d > 1e15) /* epoch seconds; anything else is not an expiry */
        return false;
    *secs = (uint64_t)d;
    return true;
}

static void ttl_key(kv_buf_t *k, uint32_t table_id, uint64_t secs, kv_slice_t key)
{
    kv_buf_append_byte(k, TTL_TAG);
    eng_key_put_u32(k, table_id);
    eng_key_put_u64(k, secs);
    kv_buf_append_slice(k, key);
}

/* Keep the index in step with an item's change from old to nu (NULL: absent or unknown). */
static void ttl_index(eng_batch_t *b, const eng_table_t *t, kv_slice_t key, const eng_item_t *old,
                      const eng_item_t *nu)
{
    if (t == NULL || t->ttl_attr == NULL)
        return;
    uint64_t o = 0, n = 0;
    bool ho = eng_ttl_of(t->ttl_attr, old, &o), hn = eng_ttl_of(t->ttl_attr, nu, &n);
    if (ho && hn && o == n)
        return;
    kv_buf_t k;
    kv_buf_init(&k, 4 * (ENG_KEY_MAX_PK + ENG_KEY_MAX_SK) + 96);
    if (ho) {
        ttl_key(&k, t->id, o, key);
        eng_batch_delete(b, ENG_CF_STATE, kv_buf_slice(&k));
    }
    if (hn) {
        kv_buf_reset(&k);
        ttl_key(&k, t->id, n, key);
        eng_batch_put(b, ENG_CF_STATE, kv_buf_slice(&k), KV_SLICE_NULL);
    }
    kv_buf_dispose(&k);
}

void eng__ttl_drop(eng_batch_t *b, uint32_t table_id)
{
    uint8_t lm[8], hm[8];
    kv_buf_t lo, hi;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    kv_buf_append_byte(&lo, TTL_TAG);
    eng_key_put_u32(&lo, table_id);
    kv_buf_append_byte(&hi, TTL_TAG);
    eng_key_put_u32(&hi, table_id + 1);
    eng_batch_delete_range(b, ENG_CF_STATE, kv_buf_slice(&lo), kv_buf_slice(&hi));
}

int eng_ttl_set(eng_t *e, const eng_table_t *t, const char *attr)
{
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng__ttl_drop(b, t->id);
    int rc = eng_rocks_write(e->rocks, b);
    eng_batch_free(b);
    if (rc < 0 || attr == NULL)
        return rc;
    /* Index the items already there (new writes index themselves once the table record
     * names the attribute, which the caller stores next). */
    eng_table_t tt = *t;
    tt.ttl_attr = attr;
    uint8_t lm[8], hm[8];
    kv_buf_t lo, hi;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    eng_key_table_prefix(&lo, t->id);
    eng_key_table_prefix(&hi, t->id + 1);
    eng_range_t *r;
    rc = eng_range_open(e, kv_buf_slice(&lo), kv_buf_slice(&hi), false, &r);
    if (rc < 0)
        return rc;
    kv_arena_t *a = kv_arena_new(65536);
    b = eng_batch_new(e->rocks);
    size_t in_batch = 0;
    for (;;) {
        kv_slice_t key;
        eng_item_t *it;
        rc = eng_range_next(r, a, &key, &it);
        if (rc <= 0)
            break;
        ttl_index(b, &tt, key, NULL, it);
        if (++in_batch == 1000) {
            rc = eng_rocks_write(e->rocks, b);
            eng_batch_free(b);
            b = eng_batch_new(e->rocks);
            kv_arena_reset(a);
            in_batch = 0;
            if (rc < 0)
                break;
        }
    }
    if (rc == 0)
        rc = eng_rocks_write(e->rocks, b);
    eng_batch_free(b);
    eng_range_close(r);
    kv_arena_free(a);
    return rc;
}

int eng_ttl_due(eng_t *e, const eng_table_t *t, int64_t now_s, size_t limit, kv_arena_t *a,
                kv_slice_t **keys, uint64_t **secs, size_t *n)
{
    *n = 0;
    *keys = kv_arena_calloc(a, limit ? limit : 1, sizeof(**keys));
    *secs = kv_arena_calloc(a, limit ? limit : 1, sizeof(**secs));
    uint8_t pm[8];
    kv_buf_t p;
    kv_buf_init_on(&p, pm, sizeof(pm), sizeof(pm));
    kv_buf_append_byte(&p, TTL_TAG);
    eng_key_put_u32(&p, t->id);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STATE);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&p)); eng_riter_valid(it) && *n < limit;
         eng_riter_next(it)) {
        kv_slice_t k = eng_riter_key(it);
        if (k.len < p.len + 8 || memcmp(k.p, p.p, p.len) != 0)
            break;
        kv_slice_t rest = kv_slice(k.p + p.len, k.len - p.len);
        uint64_t s;
        if (eng_key_get_u64(&rest, &s) < 0) {
            rc = KV_ECORRUPT;
            break;
        }
        if ((int64_t)s > now_s)
            break; /* in expiry order: the rest is not due */
        (*keys)[*n] = kv_arena_dup(a, rest);
        (*secs)[(*n)++] = s;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc;
}

int eng_ttl_forget(eng_t *e, const eng_table_t *t, uint64_t secs, kv_slice_t key)
{
    kv_buf_t k;
    kv_buf_init(&k, 4 * (ENG_KEY_MAX_PK + ENG_KEY_MAX_SK) + 96);
    ttl_key(&k, t->id, secs, key);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_delete(b, ENG_CF_STATE, kv_buf_slice(&k));
    int rc = eng_rocks_write(e->rocks, b);
    eng_batch_free(b);
    kv_buf_dispose(&k);
    return rc;
}

int eng_item_get_many(eng_t *e, const kv_slice_t *keys, size_t n, kv_arena_t *a, eng_item_t **out)
{
    eng_snap_t *snap = eng_rocks_snapshot(e->rocks);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = read_item_at(e, snap, keys[i], a, &out[i]);
        if (rc == KV_ENOTFOUND) {
            out[i] = NULL;
            rc = 0;
        }
    }
    eng_rocks_snapshot_release(e->rocks, snap);
    return rc;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

#define TXN_LOCK_TRIES 40 /* about 2 ms of waiting for items another writer holds */

int eng_item_txn(eng_t *e, eng_txn_op_t *ops, size_t n, kv_arena_t *a)
{
    /* The items' lock stripes, each once, in ascending order. */
    size_t *st = kv_arena_calloc(a, n ? n : 1, sizeof(*st));
    for (size_t i = 0; i < n; i++)
        st[i] = kv_xxh3(ops[i].key.p, ops[i].key.len) % ENG_ITEM_LOCKS;
    qsort(st, n, sizeof(*st), cmp_size);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || st[m - 1] != st[i])
            st[m++] = st[i];
    /* Take them all or none: a transaction that cannot get an item soon is cancelled with a
     * conflict rather than made to wait behind another writer indefinitely. */
    size_t got = 0;
    for (int attempt = 0; attempt < TXN_LOCK_TRIES; attempt++) {
        for (got = 0; got < m; got++)
            if (pthread_mutex_trylock(&e->item_locks[st[got]]) != 0)
                break;
        if (got == m)
            break;
        size_t busy = st[got];
        while (got > 0)
            pthread_mutex_unlock(&e->item_locks[st[--got]]);
        if (attempt + 1 == TXN_LOCK_TRIES) {
            for (size_t i = 0; i < n; i++)
                ops[i].rc =
                    kv_xxh3(ops[i].key.p, ops[i].key.len) % ENG_ITEM_LOCKS == busy ? KV_EBUSY : 0;
            return KV_EBUSY;
        }
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
    }
    /* Tell single-item writers which items are held (value | 2 keeps it from being 0 or 1). */
    for (size_t i = 0; i < n; i++) {
        uint64_t h = kv_xxh3(ops[i].key.p, ops[i].key.len);
        size_t j = h % ENG_ITEM_LOCKS;
        uint64_t cur = atomic_load(&e->txn_items[j]);
        atomic_store(&e->txn_items[j], cur == 0 ? (h | 2) : 1);
    }
    int rc = 0;
    bool failed = false;
    for (size_t i = 0; i < n; i++)
        ops[i].t = eng__table_fresh(e, ops[i].t, a);
    for (size_t i = 0; i < n && rc == 0; i++) {
        ops[i].old = NULL;
        ops[i].nu = NULL;
        rc = read_item(e, ops[i].key, a, &ops[i].old);
        if (rc == KV_ENOTFOUND) {
            ops[i].old = NULL;
            rc = 0;
        }
        if (rc == 0) {
            ops[i].rc = ops[i].cb(ops[i].arg, ops[i].old, &ops[i].nu);
            failed |= ops[i].rc < 0;
        }
    }
    if (rc == 0 && failed)
        rc = KV_ECONDFAIL; /* each op's rc says why */
    if (rc == 0) {
        eng_batch_t *b = eng_batch_new(e->rocks);
        kv_buf_t v;
        kv_buf_init(&v, 2 * ENG_ITEM_MAX_BYTES + 65536);
        eng_spend_t sp;
        eng__spend_init(&sp);
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (ops[i].rc == ENG_RMW_PUT) {
                kv_buf_reset(&v);
                eng_item_encode(ops[i].nu, &v);
                if (kv_buf_failed(&v))
                    rc = KV_ETOOBIG;
                else
                    eng_batch_put(b, ENG_CF_ITEMS, ops[i].key, kv_buf_slice(&v));
                ttl_index(b, ops[i].t, ops[i].key, ops[i].old, ops[i].nu);
                eng__index_update(b, ops[i].t, ops[i].key, ops[i].old, ops[i].nu, kv_buf_slice(&v));
                eng__stream_note(&sp, ops[i].t, ops[i].key, ops[i].old, ops[i].nu, false);
            } else if (ops[i].rc == ENG_RMW_DELETE) {
                eng_batch_delete(b, ENG_CF_ITEMS, ops[i].key);
                ttl_index(b, ops[i].t, ops[i].key, ops[i].old, NULL);
                eng__index_update(b, ops[i].t, ops[i].key, ops[i].old, NULL, KV_SLICE_NULL);
                eng__stream_note(&sp, ops[i].t, ops[i].key, ops[i].old, NULL, false);
            }
        }
        if (rc == 0)
            rc = eng__write_logged(e, b, &sp); /* every change, or none */
        eng__spend_dispose(&sp);
        kv_buf_dispose(&v);
        eng_batch_free(b);
    }
    for (size_t i = m; i-- > 0;) {
        atomic_store(&e->txn_items[st[i]], 0);
        pthread_mutex_unlock(&e->item_locks[st[i]]);
    }
    return rc;
}

static int rmw(eng_t *e, const eng_table_t *t, kv_slice_t key, kv_arena_t *a, eng_rmw_cb cb,
               void *arg, eng_item_t **old_out, bool *written, bool service)
{
    pthread_mutex_t *lock;
    eng_item_t *old = NULL, *nu = NULL;
    *written = false;
    if (old_out)
        *old_out = NULL;
    int rc = lock_item(e, key, &lock);
    if (rc < 0)
        return rc;
    t = eng__table_fresh(e, t, a);
    rc = read_item(e, key, a, &old);
    if (rc == KV_ENOTFOUND) {
        old = NULL;
        rc = 0;
    }
    if (rc == 0)
        rc = cb(arg, old, &nu);
    if (rc == ENG_RMW_PUT || rc == ENG_RMW_DELETE) {
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_spend_t sp;
        eng__spend_init(&sp);
        if (rc == ENG_RMW_PUT) {
            kv_buf_t v;
            kv_buf_init(&v, 2 * ENG_ITEM_MAX_BYTES + 65536);
            eng_item_encode(nu, &v);
            if (kv_buf_failed(&v)) {
                rc = KV_ETOOBIG;
            } else {
                eng_batch_put(b, ENG_CF_ITEMS, key, kv_buf_slice(&v));
                ttl_index(b, t, key, old, nu);
                eng__index_update(b, t, key, old, nu, kv_buf_slice(&v));
                eng__stream_note(&sp, t, key, old, nu, service);
                rc = 0;
            }
            kv_buf_dispose(&v);
        } else {
            eng_batch_delete(b, ENG_CF_ITEMS, key);
            ttl_index(b, t, key, old, NULL);
            eng__index_update(b, t, key, old, NULL, KV_SLICE_NULL);
            eng__stream_note(&sp, t, key, old, NULL, service);
            rc = 0;
        }
        if (rc == 0) {
            rc = eng__write_logged(e, b, &sp);
            *written = rc == 0;
        }
        eng__spend_dispose(&sp);
        eng_batch_free(b);
    } else if (rc == ENG_RMW_NONE) {
        rc = 0;
    }
    pthread_mutex_unlock(lock);
    if (old_out)
        *old_out = old;
    return rc;
}

int eng_item_rmw(eng_t *e, const eng_table_t *t, kv_slice_t key, kv_arena_t *a, eng_rmw_cb cb,
                 void *arg, eng_item_t **old_out, bool *written)
{
    return rmw(e, t, key, a, cb, arg, old_out, written, false);
}

int eng_item_rmw_service(eng_t *e, const eng_table_t *t, kv_slice_t key, kv_arena_t *a,
                         eng_rmw_cb cb, void *arg, bool *written)
{
    return rmw(e, t, key, a, cb, arg, NULL, written, true);
}

int eng_item_write(eng_t *e, const eng_table_t *t, kv_slice_t key, const eng_item_t *item)
{
    pthread_mutex_t *lock;
    uint8_t mem[1024];
    kv_buf_t v;
    kv_buf_init_on(&v, mem, sizeof(mem), 2 * ENG_ITEM_MAX_BYTES + 65536);
    if (item) {
        eng_item_encode(item, &v);
        if (kv_buf_failed(&v)) {
            kv_buf_dispose(&v);
            return KV_ETOOBIG;
        }
    }
    if (!eng__needs_old(t) && (t == NULL || t->gen == atomic_load(&e->cat_gen))) {
        /* Nothing depends on the old item: build the batch before taking the lock, which
         * only keeps a concurrent read-modify-write of this item atomic. (A catalog change
         * after the check above is seen by writers that lock after it, as for every write.) */
        eng_batch_t *b = eng_batch_new(e->rocks);
        if (item) {
            eng_batch_put(b, ENG_CF_ITEMS, key, kv_buf_slice(&v));
            ttl_index(b, t, key, NULL, item);
        } else {
            eng_batch_delete(b, ENG_CF_ITEMS, key);
        }
        int rc = lock_item(e, key, &lock);
        bool stale = false;
        if (rc == 0) {
            stale = t && t->gen != atomic_load(&e->cat_gen);
            if (!stale) /* still current under the lock: an index added now waits for it */
                rc = eng__write(e, b);
            pthread_mutex_unlock(lock);
        }
        eng_batch_free(b);
        if (!stale) {
            kv_buf_dispose(&v);
            return rc;
        }
        /* The catalog changed meanwhile (an index added?): the careful path below. */
    }
    /* The lock keeps a concurrent read-modify-write of this item atomic. */
    int rc = lock_item(e, key, &lock);
    if (rc < 0) {
        kv_buf_dispose(&v);
        return rc;
    }
    kv_arena_t *a = NULL;
    if (t && t->gen != atomic_load(&e->cat_gen)) {
        a = kv_arena_new(4096);
        t = eng__table_fresh(e, t, a);
    }
    eng_item_t *old = NULL;
    if (eng__needs_old(t)) {
        /* Index entries and stream records follow the old item: read it (under the lock). */
        if (a == NULL)
            a = kv_arena_new(4096);
        rc = read_item(e, key, a, &old);
        if (rc == KV_ENOTFOUND) {
            old = NULL;
            rc = 0;
        }
    }
    eng_batch_t *b = eng_batch_new(e->rocks);
    if (item) {
        eng_batch_put(b, ENG_CF_ITEMS, key, kv_buf_slice(&v));
        /* The old item is not read for TTL: a stale entry of its old expiry may stay in the
         * index; the sweeper checks the item before it deletes anything. */
        ttl_index(b, t, key, NULL, item);
    } else {
        eng_batch_delete(b, ENG_CF_ITEMS, key);
    }
    eng__index_update(b, t, key, old, item, item ? kv_buf_slice(&v) : KV_SLICE_NULL);
    eng_spend_t sp;
    eng__spend_init(&sp);
    eng__stream_note(&sp, t, key, old, item, false);
    if (rc == 0)
        rc = eng__write_logged(e, b, &sp);
    eng__spend_dispose(&sp);
    pthread_mutex_unlock(lock);
    eng_batch_free(b);
    kv_arena_free(a);
    kv_buf_dispose(&v);
    return rc;
}

struct eng_range {
    eng_riter_t *it;
    kv_buf_t lo, hi;
    bool reverse;
    bool started;      /* the iterator has been positioned */
    bool at_candidate; /* it stands on the next item to return */
};

int eng_range_open(eng_t *e, kv_slice_t lo, kv_slice_t hi, bool reverse, eng_range_t **out)
{
    eng_range_t *r = kv_calloc(1, sizeof(*r));
    r->it = eng_riter_new(e->rocks, ENG_CF_ITEMS);
    kv_buf_init(&r->lo, lo.len + 1);
    kv_buf_init(&r->hi, hi.len + 1);
    kv_buf_append_slice(&r->lo, lo);
    kv_buf_append_slice(&r->hi, hi);
    r->reverse = reverse;
    *out = r;
    return 0;
}

void eng_range_seek_after(eng_range_t *r, kv_slice_t key)
{
    if (r->reverse) {
        eng_riter_seek_before(r->it, key);
    } else {
        eng_riter_seek(r->it, key);
        if (eng_riter_valid(r->it) && kv_slice_eq(eng_riter_key(r->it), key))
            eng_riter_next(r->it);
    }
    r->started = true;
    r->at_candidate = true;
}

int eng_range_next(eng_range_t *r, kv_arena_t *a, kv_slice_t *key, eng_item_t **item)
{
    if (!r->started) {
        if (r->reverse)
            eng_riter_seek_before(r->it, kv_buf_slice(&r->hi));
        else
            eng_riter_seek(r->it, kv_buf_slice(&r->lo));
        r->started = true;
    } else if (!r->at_candidate) {
        /* The previous call left the iterator on the item it returned. */
        if (r->reverse)
            eng_riter_prev(r->it);
        else
            eng_riter_next(r->it);
    }
    r->at_candidate = false;
    if (!eng_riter_valid(r->it))
        return eng_riter_status(r->it);
    kv_slice_t k = eng_riter_key(r->it);
    if (kv_slice_cmp(k, kv_buf_slice(&r->lo)) < 0 || kv_slice_cmp(k, kv_buf_slice(&r->hi)) >= 0)
        return 0;
    *key = kv_arena_dup(a, k);
    int rc = eng_item_decode(kv_arena_dup(a, eng_riter_value(r->it)), a, item);
    return rc < 0 ? rc : 1;
}

void eng_range_close(eng_range_t *r)
{
    if (r == NULL)
        return;
    eng_riter_free(r->it);
    kv_buf_dispose(&r->lo);
    kv_buf_dispose(&r->hi);
    kv_free(r);
}

/* ---- cursors: Query and Scan bounds from typed values ---- */

struct eng_cursor {
    eng_range_t *r;
};

/* The smallest key greater than every key starting with b. */
static void key_succ(kv_buf_t *b)
{
    while (b->len && b->p[b->len - 1] == 0xFF)
        b->len--;
    if (b->len)
        b->p[b->len - 1]++;
}

/* Issue 17, package M: the equalities on the first n_sk_eq RANGE attributes of a
 * multi-attribute key extend both bounds (the encodings are self-delimiting, so a prefix of
 * them selects exactly the entries with those values); the condition that follows applies to
 * RANGE attribute n_sk_eq, whose name and type go to *range_key and *type (NULL: none). */
static int multi_sk_prefix(const eng_read_spec_t *s, kv_buf_t *lo, kv_buf_t *hi, kv_buf_t *tmp,
                           const char **range_key, eng_scalar_t *type)
{
    const eng_index_t *ix = s->ix;
    size_t n = s->n_sk_eq;
    if (ix == NULL || n >= eng_index_n_range(ix))
        return KV_EINVAL;
    for (size_t i = 0; i < n; i++) {
        kv_buf_reset(tmp);
        if (put_key_value(tmp, eng_index_range_at(ix, i).type, s->sk_eq[i]) < 0)
            return KV_EINVAL;
        kv_buf_append_slice(lo, kv_buf_slice(tmp));
        kv_buf_append_slice(hi, kv_buf_slice(tmp));
    }
    kv_buf_reset(tmp);
    eng_attr_def_t next = eng_index_range_at(ix, n);
    *range_key = next.name;
    *type = next.type;
    return 0;
}

/* [lo, hi) of a Query: the partition's prefix, narrowed by the sort-key condition. Index
 * entries carry the table's key after the index's, so bounds on an index's sort key are
 * prefixes (key_succ), never exact keys; a table's sort key ends its key, so the same bounds
 * hold for it. */
static int query_bounds(const eng_read_spec_t *s, kv_buf_t *lo, kv_buf_t *hi, kv_arena_t *a,
                        eng_read_err_t *why)
{
    kv_slice_t prefix;
    if ((s->ix ? eng_index_partition_prefix(s->t, s->ix, s->pk, s->pk_more, a, &prefix)
               : eng_item_partition_prefix(s->t, s->pk, a, &prefix)) < 0) {
        *why = ENG_READ_BAD_PK;
        return KV_EINVAL;
    }
    kv_buf_append_slice(lo, prefix);
    kv_buf_append_slice(hi, prefix);
    if (s->sk_op == ENG_SK_NONE) {
        if (s->n_sk_eq) { /* equalities end with an EQ condition, never without one */
            *why = ENG_READ_BAD_SK;
            return KV_EINVAL;
        }
        key_succ(hi);
        return 0;
    }
    eng_scalar_t type = s->ix ? s->ix->range_type : s->t->range_type;
    const char *range_key = s->ix ? s->ix->range_key : s->t->range_key;
    kv_buf_t e1, e2;
    kv_buf_init(&e1, 4 * ENG_KEY_MAX_SK + 16);
    kv_buf_init(&e2, 4 * ENG_KEY_MAX_SK + 16);
    int rc = 0;
    if (s->n_sk_eq && (rc = multi_sk_prefix(s, lo, hi, &e1, &range_key, &type)) < 0) {
        /* a malformed spec: the API checks the values' types first */
        *why = ENG_READ_BAD_SK;
        goto out;
    }
    if (range_key == NULL || put_key_value(&e1, type, s->sk1) < 0 ||
        (s->sk_op == ENG_SK_BETWEEN && put_key_value(&e2, type, s->sk2) < 0) ||
        (s->sk_op == ENG_SK_BEGINS && type == ENG_SCALAR_N)) {
        *why = ENG_READ_BAD_SK;
        rc = KV_EINVAL;
        goto out;
    }
    switch (s->sk_op) {
    case ENG_SK_BEGINS:
        e1.len -= 2; /* the escaped prefix without its terminator */
        kv_buf_append_slice(lo, kv_buf_slice(&e1));
        kv_buf_reset(hi);
        kv_buf_append_slice(hi, kv_buf_slice(lo));
        key_succ(hi);
        break;
    case ENG_SK_BETWEEN:
        if (kv_slice_cmp(kv_buf_slice(&e1), kv_buf_slice(&e2)) > 0) {
            *why = ENG_READ_BAD_BETWEEN;
            rc = KV_EINVAL;
            break;
        }
        kv_buf_append_slice(lo, kv_buf_slice(&e1));
        kv_buf_append_slice(hi, kv_buf_slice(&e2));
        key_succ(hi);
        break;
    case ENG_SK_EQ:
        kv_buf_append_slice(lo, kv_buf_slice(&e1));
        kv_buf_append_slice(hi, kv_buf_slice(&e1));
        key_succ(hi);
        break;
    case ENG_SK_LT:
        kv_buf_append_slice(hi, kv_buf_slice(&e1));
        break;
    case ENG_SK_LE:
        kv_buf_append_slice(hi, kv_buf_slice(&e1));
        key_succ(hi);
        break;
    case ENG_SK_GT:
        kv_buf_append_slice(lo, kv_buf_slice(&e1));
        key_succ(lo);
        key_succ(hi);
        break;
    default: /* GE */
        kv_buf_append_slice(lo, kv_buf_slice(&e1));
        key_succ(hi);
    }
out:
    kv_buf_dispose(&e1);
    kv_buf_dispose(&e2);
    return rc;
}

/* [lo, hi) of a Scan: segment s of n covers partition hashes [s * 2^64 / n, (s + 1) * 2^64 / n)
 * of the table's (or the index's) keys. */
static void scan_bounds(const eng_read_spec_t *s, kv_buf_t *lo, kv_buf_t *hi)
{
    uint32_t table = s->t->id;
    uint8_t id = s->ix ? s->ix->id : 0;
    uint64_t n = s->total_segments ? s->total_segments : 1;
    uint64_t seg = s->segment < n ? s->segment : n - 1;
    unsigned __int128 span = (unsigned __int128)1 << 64;
    eng_key_put_u32(lo, table);
    kv_buf_append_byte(lo, id);
    eng_key_put_u64(lo, (uint64_t)(span * seg / n));
    if (seg + 1 < n) {
        eng_key_put_u32(hi, table);
        kv_buf_append_byte(hi, id);
        eng_key_put_u64(hi, (uint64_t)(span * (seg + 1) / n));
    } else if (id < 255) {
        eng_key_put_u32(hi, table);
        kv_buf_append_byte(hi, (uint8_t)(id + 1)); /* the end of this index */
    } else {
        eng_key_put_u32(hi, table + 1);
    }
}

/* The key a read resumes after: the table's item key, or the index entry's. */
static int start_key(const eng_read_spec_t *s, kv_arena_t *a, kv_slice_t *out)
{
    const eng_item_t *st = s->start;
    if (s->ix)
        return eng_index_key(s->t, s->ix, st, a, out) < 0 ? KV_EINVAL : 0;
    const eng_av_t *pk = eng_item_get_attr(st, kv_slice_str(s->t->hash_key));
    const eng_av_t *sk =
        s->t->range_key ? eng_item_get_attr(st, kv_slice_str(s->t->range_key)) : NULL;
    return eng_item_key(s->t, pk, sk, a, out);
}

int eng_cursor_open(eng_t *e, const eng_read_spec_t *spec, eng_cursor_t **out, eng_read_err_t *why)
{
    *out = NULL;
    *why = ENG_READ_OK;
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_t lo, hi;
    kv_buf_init(&lo, 1 << 16);
    kv_buf_init(&hi, 1 << 16);
    int rc = 0;
    if (spec->pk)
        rc = query_bounds(spec, &lo, &hi, a, why);
    else
        scan_bounds(spec, &lo, &hi);
    kv_slice_t sk = KV_SLICE_NULL;
    if (rc == 0 && spec->start && start_key(spec, a, &sk) < 0) {
        *why = ENG_READ_BAD_START;
        rc = KV_EINVAL;
    }
    if (rc == 0 && spec->start && !spec->pk && spec->total_segments > 1 &&
        (kv_slice_cmp(sk, kv_buf_slice(&lo)) < 0 || kv_slice_cmp(sk, kv_buf_slice(&hi)) >= 0)) {
        *why = ENG_READ_BAD_SEGMENT;
        rc = KV_EINVAL;
    }
    if (rc == 0) {
        eng_cursor_t *c = kv_calloc(1, sizeof(*c));
        rc = eng_range_open(e, kv_buf_slice(&lo), kv_buf_slice(&hi), spec->pk && spec->reverse,
                            &c->r);
        if (rc == 0 && spec->start)
            eng_range_seek_after(c->r, sk);
        if (rc == 0)
            *out = c;
        else
            kv_free(c);
    }
    kv_buf_dispose(&lo);
    kv_buf_dispose(&hi);
    kv_arena_free(a);
    return rc;
}

int eng_cursor_next(eng_cursor_t *c, kv_arena_t *a, eng_item_t **item)
{
    kv_slice_t key;
    return eng_range_next(c->r, a, &key, item);
}

void eng_cursor_close(eng_cursor_t *c)
{
    if (c == NULL)
        return;
    eng_range_close(c->r);
    kv_free(c);
}
