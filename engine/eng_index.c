/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secondary indexes: computing an item's entries, keeping them in step with every item write
 * (in the write's own batch), backfilling a new GSI, and counting entries.
 */
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "eng_int.h"

#define BASE_KEY_HEAD 13 /* u32 table id, u8 index id, u64 hash */
/* An entry key: up to 4 HASH and 4 RANGE values (each escaped: at most twice its size plus a
 * terminator), then the table's own key. */
#define KEY_CAP ((ENG_INDEX_KEYS_MAX + 1) * (2 * ENG_KEY_MAX_PK + 2 * ENG_KEY_MAX_SK + 8) + 64)

static eng_av_type_t scalar_av(eng_scalar_t s)
{
    return s == ENG_SCALAR_S ? ENG_AV_S : (s == ENG_SCALAR_N ? ENG_AV_N : ENG_AV_B);
}

/* Append one index key value; false when the item has none that can be a key (then the item
 * is not in the index: a sparse index). */
static bool put_index_value(kv_buf_t *b, const eng_item_t *it, const char *name, eng_scalar_t type)
{
    const eng_av_t *v = eng_item_get_attr(it, kv_slice_str(name));
    if (v == NULL || v->t != scalar_av(type) || (v->t != ENG_AV_N && v->u.s.len == 0))
        return false;
    return eng_key_put_scalar(b, type, v->u.s, NULL) == 0;
}

/* The entry key of item it (base key `key`) in index ix. @return false when not in the index. */
static bool entry_key(const eng_table_t *t, const eng_index_t *ix, kv_slice_t key,
                      const eng_item_t *it, kv_buf_t *out)
{
    if (it == NULL || key.len < BASE_KEY_HEAD)
        return false;
    uint8_t m1[256], m2[512];
    kv_buf_t pk, rest;
    kv_buf_init_on(&pk, m1, sizeof(m1), KEY_CAP);
    kv_buf_init_on(&rest, m2, sizeof(m2), KEY_CAP);
    bool in = put_index_value(&pk, it, ix->hash_key, ix->hash_type) &&
              (ix->range_key == NULL || put_index_value(&rest, it, ix->range_key, ix->range_type));
    /* A multi-attribute key: the further values follow, each self-delimiting. */
    for (size_t i = 0; in && i < ix->n_hash_more; i++)
        in = put_index_value(&pk, it, ix->hash_more[i].name, ix->hash_more[i].type);
    for (size_t i = 0; in && i < ix->n_range_more; i++)
        in = put_index_value(&rest, it, ix->range_more[i].name, ix->range_more[i].type);
    if (in) {
        /* The table's own key makes entries with equal index keys distinct. */
        kv_buf_append(&rest, key.p + BASE_KEY_HEAD, key.len - BASE_KEY_HEAD);
        kv_buf_reset(out);
        eng_key_item(out, t->id, ix->id, kv_buf_slice(&pk), kv_buf_slice(&rest));
        in = !kv_buf_failed(out) && !kv_buf_failed(&pk) && !kv_buf_failed(&rest);
    }
    kv_buf_dispose(&pk);
    kv_buf_dispose(&rest);
    return in;
}

static bool named(const char *name, kv_slice_t n)
{
    return name && kv_slice_eq_str(n, name);
}

/* The projected item of an entry (enc: the whole item's encoding, used for ALL). */
static void entry_value(const eng_table_t *t, const eng_index_t *ix, const eng_item_t *it,
                        kv_slice_t enc, kv_buf_t *out)
{
    kv_buf_reset(out);
    if (ix->proj == ENG_PROJ_ALL && enc.p) {
        kv_buf_append_slice(out, enc);
        return;
    }
    if (ix->proj == ENG_PROJ_ALL) {
        eng_item_encode(it, out);
        return;
    }
    eng_attr_t stack[16];
    eng_attr_t *keep = it->n <= 16 ? stack : kv_malloc(it->n * sizeof(*keep));
    eng_item_t p = {keep, 0};
    for (size_t i = 0; i < it->n; i++) {
        kv_slice_t n = it->attrs[i].name;
        bool k = named(t->hash_key, n) || named(t->range_key, n) || eng_index_has_key(ix, n);
        for (size_t j = 0; !k && ix->proj == ENG_PROJ_INCLUDE && j < ix->n_include; j++)
            k = named(ix->include[j], n);
        if (k)
            keep[p.n++] = it->attrs[i];
    }
    eng_item_encode(&p, out);
    if (keep != stack)
        kv_free(keep);
}

void eng__index_update(eng_batch_t *b, const eng_table_t *t, kv_slice_t key, const eng_item_t *old,
                       const eng_item_t *nu, kv_slice_t nu_enc)
{
    if (t == NULL || t->n_indexes == 0)
        return;
    kv_buf_t ok, nk, v;
    kv_buf_init(&ok, KEY_CAP);
    kv_buf_init(&nk, KEY_CAP);
    kv_buf_init(&v, 2 * ENG_ITEM_MAX_BYTES + 65536);
    for (size_t i = 0; i < t->n_indexes; i++) {
        const eng_index_t *ix = &t->indexes[i];
        bool ho = entry_key(t, ix, key, old, &ok);
        bool hn = entry_key(t, ix, key, nu, &nk);
        bool same = ho && hn && kv_slice_eq(kv_buf_slice(&ok), kv_buf_slice(&nk));
        if (ho && !same)
            eng_batch_delete(b, ENG_CF_ITEMS, kv_buf_slice(&ok));
        if (hn && !(same && ix->proj == ENG_PROJ_KEYS_ONLY)) {
            entry_value(t, ix, nu, nu_enc, &v);
            eng_batch_put(b, ENG_CF_ITEMS, kv_buf_slice(&nk), kv_buf_slice(&v));
        }
    }
    kv_buf_dispose(&ok);
    kv_buf_dispose(&nk);
    kv_buf_dispose(&v);
}

const eng_table_t *eng__table_fresh(eng_t *e, const eng_table_t *t, kv_arena_t *a)
{
    if (t == NULL || t->gen == atomic_load(&e->cat_gen))
        return t;
    /* The catalog changed since t was read (an index added or dropped, TTL switched):
     * maintain what the table is now. */
    eng_table_t *nt;
    if (eng_table_get(e, kv_slice_str(t->name), a, &nt) == 0 && nt->id == t->id)
        return nt;
    return t;
}

int eng_index_key(const eng_table_t *t, const eng_index_t *ix, const eng_item_t *it, kv_arena_t *a,
                  kv_slice_t *out)
{
    const eng_av_t *pk = eng_item_get_attr(it, kv_slice_str(t->hash_key));
    const eng_av_t *sk = t->range_key ? eng_item_get_attr(it, kv_slice_str(t->range_key)) : NULL;
    kv_slice_t base;
    if (pk == NULL || (t->range_key && sk == NULL) || eng_item_key(t, pk, sk, a, &base) < 0)
        return KV_ENOTFOUND;
    kv_buf_t k;
    kv_buf_init(&k, KEY_CAP);
    bool in = entry_key(t, ix, base, it, &k);
    if (in)
        *out = kv_arena_dup(a, kv_buf_slice(&k));
    kv_buf_dispose(&k);
    return in ? 0 : KV_ENOTFOUND;
}

bool eng_index_has_key(const eng_index_t *ix, kv_slice_t name)
{
    if (named(ix->hash_key, name) || named(ix->range_key, name))
        return true;
    for (size_t i = 0; i < ix->n_hash_more; i++)
        if (named(ix->hash_more[i].name, name))
            return true;
    for (size_t i = 0; i < ix->n_range_more; i++)
        if (named(ix->range_more[i].name, name))
            return true;
    return false;
}

int eng_index_partition_prefix(const eng_table_t *t, const eng_index_t *ix, const eng_av_t *pk,
                               const eng_av_t *const *pk_more, kv_arena_t *a, kv_slice_t *out)
{
    if (pk == NULL || pk->t != scalar_av(ix->hash_type))
        return KV_EINVAL;
    uint8_t m1[256];
    kv_buf_t pkb, k;
    kv_buf_init_on(&pkb, m1, sizeof(m1), KEY_CAP);
    int rc = eng_key_put_scalar(&pkb, ix->hash_type, pk->u.s, NULL);
    for (size_t i = 0; rc == 0 && i < ix->n_hash_more; i++) {
        const eng_av_t *v = pk_more[i];
        eng_scalar_t ty = ix->hash_more[i].type;
        rc = v && v->t == scalar_av(ty) ? eng_key_put_scalar(&pkb, ty, v->u.s, NULL) : KV_EINVAL;
    }
    if (rc == 0) {
        kv_buf_init(&k, KEY_CAP);
        eng_key_item(&k, t->id, ix->id, kv_buf_slice(&pkb), KV_SLICE_NULL);
        *out = kv_arena_dup(a, kv_buf_slice(&k));
        kv_buf_dispose(&k);
    }
    kv_buf_dispose(&pkb);
    return rc;
}

/* ---- backfill ---- */

#define BACKFILL_GROUP 64 /* items written per batch */

typedef struct {
    size_t stripe[BACKFILL_GROUP];
    size_t n;
    uint64_t held[ENG_ITEM_LOCKS / 64];
} stripes_t;

static void stripes_release(eng_t *e, stripes_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        pthread_mutex_unlock(&e->item_locks[s->stripe[i]]);
        s->held[s->stripe[i] / 64] = 0;
    }
    s->n = 0;
}

int eng_index_backfill_step(eng_t *e, kv_slice_t table, uint8_t index_id, kv_buf_t *after,
                            size_t max_items)
{
    kv_arena_t *ta = kv_arena_new(4096);
    eng_table_t *t;
    int rc = eng_table_get(e, table, ta, &t);
    const eng_index_t *ix = NULL;
    for (size_t i = 0; rc == 0 && i < t->n_indexes; i++)
        if (t->indexes[i].id == index_id)
            ix = &t->indexes[i];
    if (rc == 0 && ix == NULL)
        rc = KV_ENOTFOUND;
    if (rc < 0) {
        kv_arena_free(ta);
        return rc;
    }
    /* Every writer that takes an item's lock from now on sees the index (eng__table_fresh),
     * so each item read under its lock here is either indexed by its own writer later or
     * indexed here: none is missed, whatever runs concurrently. */
    uint8_t lm[8], hm[8];
    kv_buf_t lo, hi, k, v, cur;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    eng_key_put_u32(&lo, t->id);
    kv_buf_append_byte(&lo, 0);
    eng_key_put_u32(&hi, t->id);
    kv_buf_append_byte(&hi, 1);
    kv_buf_init(&k, KEY_CAP);
    kv_buf_init(&v, 2 * ENG_ITEM_MAX_BYTES + 65536);
    kv_buf_init(&cur, 2 * ENG_ITEM_MAX_BYTES + 65536);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_ITEMS);
    kv_arena_t *a = kv_arena_new(65536);
    stripes_t *s = kv_calloc(1, sizeof(*s));
    eng_batch_t *b = eng_batch_new(e->rocks);
    size_t in_batch = 0;
    /* Resuming past `after`: the items before it were indexed by an earlier step, and those
     * written since were indexed by their writers. */
    size_t visited = 0;
    bool more = false;
    eng_riter_seek(it, after->len ? kv_buf_slice(after) : kv_buf_slice(&lo));
    if (after->len && eng_riter_valid(it) && kv_slice_eq(eng_riter_key(it), kv_buf_slice(after)))
        eng_riter_next(it);
    for (; rc == 0 && eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (kv_slice_cmp(key, kv_buf_slice(&hi)) >= 0)
            break;
        if (max_items && visited == max_items) {
            more = true;
            break;
        }
        visited++;
        kv_buf_reset(after);
        kv_buf_append_slice(after, key);
        size_t st = kv_xxh3(key.p, key.len) % ENG_ITEM_LOCKS;
        if (!(s->held[st / 64] & (1ull << (st % 64)))) {
            pthread_mutex_lock(&e->item_locks[st]);
            s->held[st / 64] |= 1ull << (st % 64);
            s->stripe[s->n++] = st;
        }
        kv_buf_reset(&cur);
        int g = eng_rocks_get(e->rocks, ENG_CF_ITEMS, key, &cur);
        eng_item_t *item;
        if (g == 0 && eng_item_decode(kv_arena_dup(a, kv_buf_slice(&cur)), a, &item) == 0 &&
            entry_key(t, ix, key, item, &k)) {
            entry_value(t, ix, item, kv_buf_slice(&cur), &v);
            eng_batch_put(b, ENG_CF_ITEMS, kv_buf_slice(&k), kv_buf_slice(&v));
        } else if (g < 0 && g != KV_ENOTFOUND) {
            rc = g;
        }
        if (++in_batch == BACKFILL_GROUP || s->n == BACKFILL_GROUP) {
            if (rc == 0)
                rc = eng__write(e, b);
            stripes_release(e, s);
            eng_batch_free(b);
            b = eng_batch_new(e->rocks);
            kv_arena_reset(a);
            in_batch = 0;
        }
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    if (rc == 0)
        rc = eng__write(e, b);
    stripes_release(e, s);
    eng_batch_free(b);
    eng_riter_free(it);
    kv_free(s);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    kv_buf_dispose(&cur);
    if (rc == 0 && !more)
        rc = eng__index_mark_active(e, table, index_id);
    kv_arena_free(ta);
    return rc < 0 ? rc : more ? 1 : 0;
}

int eng_index_backfill(eng_t *e, kv_slice_t table, uint8_t index_id)
{
    kv_buf_t after;
    kv_buf_init(&after, KEY_CAP);
    int rc = eng_index_backfill_step(e, table, index_id, &after, 0);
    kv_buf_dispose(&after);
    return rc;
}

int eng_index_stats(eng_t *e, const eng_table_t *t, const eng_index_t *ix, uint64_t limit,
                    uint64_t *count, uint64_t *bytes)
{
    uint8_t lm[8], hm[8];
    kv_buf_t lo, hi;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    uint8_t id = ix ? ix->id : 0;
    eng_key_put_u32(&lo, t->id);
    kv_buf_append_byte(&lo, id);
    if (id < 255) {
        eng_key_put_u32(&hi, t->id);
        kv_buf_append_byte(&hi, (uint8_t)(id + 1));
    } else {
        eng_key_put_u32(&hi, t->id + 1);
    }
    *count = *bytes = 0;
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_ITEMS);
    for (eng_riter_seek(it, kv_buf_slice(&lo)); eng_riter_valid(it) && *count < limit;
         eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (kv_slice_cmp(key, kv_buf_slice(&hi)) >= 0)
            break;
        (*count)++;
        *bytes += eng_riter_value(it).len;
    }
    int rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc;
}
