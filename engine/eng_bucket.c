/* SPDX-License-Identifier: Apache-2.0 */
/* S3 bucket definitions in the catalog CF, as TLV records. */
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "eng_int.h"
#include "eng_tlv.h"

enum { B_NAME = 1, B_ID, B_CREATED, B_REGION, B_HAS_TAGS, B_TAG, B_VERSIONING, B_LOG, B_DOC0 = 16 };

#define BUCKET_REC_VERSION 1
#define BUCKET_REC_MAX     (4u << 20) /* tags and configuration documents included */

static const eng_tlv_field_t bucket_fields[] = {
    ENG_TLV_ROW(B_NAME, ENG_TLV_STR, eng_bucket_t, name, .required = true),
    ENG_TLV_ROW(B_ID, ENG_TLV_U32, eng_bucket_t, id),
    ENG_TLV_ROW(B_CREATED, ENG_TLV_I64, eng_bucket_t, created_ms),
    ENG_TLV_ROW(B_REGION, ENG_TLV_STR, eng_bucket_t, region),
    ENG_TLV_ROW(B_HAS_TAGS, ENG_TLV_FLAG, eng_bucket_t, has_tags),
    ENG_TLV_LIST_ROW(B_TAG, ENG_TLV_PAIR_LIST, eng_bucket_t, tags, n_tags),
    ENG_TLV_ROW(B_VERSIONING, ENG_TLV_ENUM, eng_bucket_t, versioning,
                .max = ENG_VERSIONING_SUSPENDED),
    ENG_TLV_ROW(B_LOG, ENG_TLV_U32, eng_bucket_t, log_id),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_POLICY, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_POLICY]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_CORS, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_CORS]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_LIFECYCLE, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_LIFECYCLE]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_NOTIFY, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_NOTIFY]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_PAB, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_PAB]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_OWNERSHIP, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_OWNERSHIP]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_ACL, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_ACL]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_ENCRYPTION, ENG_TLV_BYTES, eng_bucket_t,
                docs[ENG_BDOC_ENCRYPTION]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_OBJECT_LOCK, ENG_TLV_BYTES, eng_bucket_t,
                docs[ENG_BDOC_OBJECT_LOCK]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_LOGGING, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_LOGGING]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_WEBSITE, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_WEBSITE]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_REQUEST_PAYMENT, ENG_TLV_BYTES, eng_bucket_t,
                docs[ENG_BDOC_REQUEST_PAYMENT]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_ACCELERATE, ENG_TLV_BYTES, eng_bucket_t,
                docs[ENG_BDOC_ACCELERATE]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_TIERING, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_TIERING]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_INVENTORY, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_INVENTORY]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_ANALYTICS, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_ANALYTICS]),
    ENG_TLV_ROW(B_DOC0 + ENG_BDOC_METRICS, ENG_TLV_BYTES, eng_bucket_t, docs[ENG_BDOC_METRICS]),
};
_Static_assert(ENG_BDOC_N == 17, "a row per bucket document");

static int decode_bucket(kv_slice_t in, kv_arena_t *ar, eng_bucket_t *b)
{
    memset(b, 0, sizeof(*b));
    if (in.len < 1 || in.p[0] != BUCKET_REC_VERSION)
        return KV_ECORRUPT;
    return eng_tlv_decode(kv_slice(in.p + 1, in.len - 1), bucket_fields,
                          sizeof(bucket_fields) / sizeof(*bucket_fields), ar, b);
}

static void encode_bucket(const eng_bucket_t *bk, kv_buf_t *v)
{
    kv_buf_append_byte(v, BUCKET_REC_VERSION);
    eng_tlv_put_str(v, B_NAME, bk->name);
    eng_tlv_put_u64(v, B_ID, bk->id);
    eng_tlv_put_u64(v, B_CREATED, (uint64_t)bk->created_ms);
    if (bk->log_id)
        eng_tlv_put_u64(v, B_LOG, bk->log_id);
    if (bk->region && bk->region[0])
        eng_tlv_put_str(v, B_REGION, bk->region);
    if (bk->has_tags)
        eng_tlv_put(v, B_HAS_TAGS, KV_SLICE_LIT("1"));
    for (size_t i = 0; i < bk->n_tags; i++) {
        kv_buf_t t;
        kv_buf_init(&t, 64 * 1024);
        size_t kl = strlen(bk->tags[i].key);
        eng_tlv_put_varint(&t, kl);
        kv_buf_append(&t, bk->tags[i].key, kl);
        kv_buf_append_str(&t, bk->tags[i].value);
        eng_tlv_put(v, B_TAG, kv_buf_slice(&t));
        kv_buf_dispose(&t);
    }
    if (bk->versioning != ENG_VERSIONING_OFF)
        eng_tlv_put_u64(v, B_VERSIONING, bk->versioning);
    for (int i = 0; i < ENG_BDOC_N; i++)
        if (bk->docs[i].len)
            eng_tlv_put(v, (uint8_t)(B_DOC0 + i), bk->docs[i]);
}

/* One change to a bucket record: fields of ch replace the stored ones as `what` says. */
enum { SET_TAGS, SET_VERSIONING, SET_DOC };
typedef struct {
    int what;
    bool has_tags;
    const eng_tag_t *tags;
    size_t n;
    eng_versioning_t versioning;
    eng_bucket_doc_t doc;
    kv_slice_t value;
    const kv_slice_t *expect; /* SET_DOC: the document must still be this one */
} bucket_change_t;

static int bucket_modify(eng_t *e, kv_slice_t name, const bucket_change_t *ch)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 512);
    kv_buf_init(&v, BUCKET_REC_MAX);
    kv_arena_t *a = kv_arena_new(1024);
    eng__cat_key(&k, ENG_CAT_BUCKET, name);
    pthread_mutex_lock(&e->cat_lock);
    eng_bucket_t bk;
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0)
        rc = decode_bucket(kv_buf_slice(&v), a, &bk);
    if (rc == 0 && ch->expect && !kv_slice_eq(bk.docs[ch->doc], *ch->expect))
        rc = KV_ECONDFAIL;
    /* issue 16, package L: Object Lock needs versioning Enabled, and stays once on. */
    if (rc == 0 && bk.docs[ENG_BDOC_OBJECT_LOCK].len &&
        ((ch->what == SET_VERSIONING && ch->versioning != ENG_VERSIONING_ENABLED) ||
         (ch->what == SET_DOC && ch->doc == ENG_BDOC_OBJECT_LOCK && ch->value.len == 0)))
        rc = KV_ELOCKED;
    if (rc == 0 && ch->what == SET_DOC && ch->doc == ENG_BDOC_OBJECT_LOCK &&
        bk.versioning != ENG_VERSIONING_ENABLED)
        rc = KV_ELOCKED;
    if (rc == 0) {
        if (ch->what == SET_TAGS) {
            bk.has_tags = ch->has_tags;
            bk.tags = (eng_tag_t *)(uintptr_t)ch->tags;
            bk.n_tags = ch->has_tags ? ch->n : 0;
        } else if (ch->what == SET_VERSIONING) {
            bk.versioning = ch->versioning;
        } else {
            bk.docs[ch->doc] = ch->value;
        }
        eng_batch_t *b = eng_batch_new(e->rocks);
        if (ch->what == SET_DOC && ch->doc == ENG_BDOC_NOTIFY) {
            /* Notifications configured: object changes are logged (in their own batches). */
            if (ch->value.len && !bk.log_id)
                bk.log_id = eng__stream_create_bucket(e, b, bk.name, bk.id);
            else if (!ch->value.len && bk.log_id) {
                eng__stream_disable(e, b, bk.log_id);
                bk.log_id = 0;
            }
        }
        kv_buf_reset(&v);
        encode_bucket(&bk, &v);
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
        rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
        eng_batch_free(b);
    }
    atomic_fetch_add(&e->bucket_gen, 1); /* cached bucket records are stale */
    pthread_mutex_unlock(&e->cat_lock);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_bucket_set_tags(eng_t *e, kv_slice_t name, bool has_tags, const eng_tag_t *tags, size_t n)
{
    bucket_change_t ch = {.what = SET_TAGS, .has_tags = has_tags, .tags = tags, .n = n};
    return bucket_modify(e, name, &ch);
}

int eng_bucket_set_versioning(eng_t *e, kv_slice_t name, eng_versioning_t v)
{
    bucket_change_t ch = {.what = SET_VERSIONING, .versioning = v};
    return bucket_modify(e, name, &ch);
}

int eng_bucket_set_doc(eng_t *e, kv_slice_t name, eng_bucket_doc_t which, kv_slice_t doc)
{
    if ((unsigned)which >= ENG_BDOC_N)
        return KV_EINVAL;
    bucket_change_t ch = {.what = SET_DOC, .doc = which, .value = doc};
    return bucket_modify(e, name, &ch);
}

int eng_bucket_swap_doc(eng_t *e, kv_slice_t name, eng_bucket_doc_t which, kv_slice_t expect,
                        kv_slice_t doc)
{
    if ((unsigned)which >= ENG_BDOC_N)
        return KV_EINVAL;
    bucket_change_t ch = {.what = SET_DOC, .doc = which, .value = doc, .expect = &expect};
    return bucket_modify(e, name, &ch);
}

int eng_bucket_create(eng_t *e, eng_bucket_t *bk)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 512);
    kv_buf_init(&v, BUCKET_REC_MAX);
    eng__cat_key(&k, ENG_CAT_BUCKET, kv_slice_str(bk->name));
    pthread_mutex_lock(&e->cat_lock);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0)
        rc = KV_EEXIST;
    if (rc == KV_ENOTFOUND) {
        kv_buf_reset(&v);
        eng_batch_t *b = eng_batch_new(e->rocks);
        bk->id = eng__next_id(e, b);
        bk->created_ms = kv_now_ms();
        encode_bucket(bk, &v);
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
        rc = eng__write(e, b);
        eng_batch_free(b);
    }
    atomic_fetch_add(&e->bucket_gen, 1); /* cached bucket records are stale */
    pthread_mutex_unlock(&e->cat_lock);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

static eng_rcache_ent_t *bcache_slot(eng_t *e, kv_slice_t name)
{
    return &e->bcache[kv_xxh3(name.p, name.len) % ENG_BCACHE_SLOTS];
}

int eng_bucket_get(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_bucket_t **out)
{
    /* Issue 18: every S3 request looks its bucket up: serve it from the cache when current
     * (a bucket write bumps bucket_gen after its commit, before its answer). */
    uint64_t gen = atomic_load(&e->bucket_gen);
    eng_rcache_ent_t *ent = name.len ? bcache_slot(e, name) : NULL;
    kv_slice_t rec;
    if (ent && eng__rcache_get(&e->bcache_lock, ent, name, gen, a, &rec)) {
        eng_bucket_t *b = kv_arena_alloc(a, sizeof(*b));
        int rc = decode_bucket(rec, a, b);
        if (rc == 0)
            *out = b;
        return rc;
    }
    kv_buf_t k, v;
    kv_buf_init(&k, 512);
    kv_buf_init(&v, BUCKET_REC_MAX);
    eng__cat_key(&k, ENG_CAT_BUCKET, name);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0) {
        eng_bucket_t *b = kv_arena_alloc(a, sizeof(*b));
        rc = decode_bucket(kv_buf_slice(&v), a, b);
        if (rc == 0)
            *out = b;
    }
    /* (stale at once if a bucket write committed meanwhile) */
    if (rc == 0 && ent && v.len <= ENG_BCACHE_REC_MAX)
        eng__rcache_put(&e->bcache_lock, ent, name, gen, kv_buf_slice(&v));
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

/* True when the objects CF holds any key of this bucket. */
static int bucket_has_objects(eng_t *e, uint32_t id, bool *has)
{
    uint8_t kb[4];
    kv_buf_t k = {kb, 0, sizeof(kb), sizeof(kb), false, true};
    eng_key_put_u32(&k, id);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_OBJECTS);
    eng_riter_seek(it, kv_buf_slice(&k));
    *has = false;
    if (eng_riter_valid(it)) {
        kv_slice_t key = eng_riter_key(it);
        *has = key.len >= 4 && memcmp(key.p, kb, 4) == 0;
    }
    int rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc;
}

int eng_bucket_delete(eng_t *e, kv_slice_t name)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 512);
    kv_buf_init(&v, BUCKET_REC_MAX);
    kv_arena_t *a = kv_arena_new(1024);
    eng__cat_key(&k, ENG_CAT_BUCKET, name);
    pthread_mutex_lock(&e->cat_lock);
    eng_bucket_t bk;
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0)
        rc = decode_bucket(kv_buf_slice(&v), a, &bk);
    bool has = false;
    if (rc == 0)
        rc = bucket_has_objects(e, bk.id, &has);
    if (rc == 0 && has)
        rc = KV_ENOTEMPTY;
    if (rc == 0) {
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_delete(b, ENG_CF_CATALOG, kv_buf_slice(&k));
        if (bk.log_id)
            eng__stream_disable(e, b, bk.log_id);
        /* S3 deletes a bucket with uploads in progress; they go with it. */
        rc = eng__drop_bucket_uploads(e, b, bk.id);
        if (rc == 0)
            rc = eng__write(e, b);
        eng_batch_free(b);
    }
    atomic_fetch_add(&e->bucket_gen, 1); /* cached bucket records are stale */
    pthread_mutex_unlock(&e->cat_lock);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

typedef struct bucket_page {
    kv_arena_t *a;
    eng_bucket_t *out;
} bucket_page_t;

static int take_bucket(void *arg, size_t i, kv_slice_t name, kv_slice_t value)
{
    bucket_page_t *p = arg;
    (void)name;
    return decode_bucket(value, p->a, &p->out[i]);
}

int eng_bucket_list(eng_t *e, kv_slice_t start_after, size_t limit, kv_arena_t *a,
                    eng_bucket_t **out, size_t *n_out, bool *more)
{
    bucket_page_t p = {a, kv_arena_calloc(a, limit ? limit : 1, sizeof(**out))};
    *out = p.out;
    return eng__cat_page(e, ENG_CAT_BUCKET, start_after, limit, take_bucket, &p, n_out, more);
}
