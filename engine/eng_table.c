/* SPDX-License-Identifier: Apache-2.0 */
/* DynamoDB table definitions in the catalog CF, as TLV records. */
#include <stdio.h>
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "eng_int.h"
#include "eng_tlv.h"

enum {
    T_NAME = 1,
    T_ID,
    T_UUID,
    T_CREATED,
    T_HASH_KEY,
    T_HASH_TYPE,
    T_RANGE_KEY,
    T_RANGE_TYPE,
    T_ATTR,
    T_BILLING,
    T_RCU,
    T_WCU,
    T_STREAM_ENABLED,
    T_STREAM_VIEW,
    T_STREAM_CREATED,
    T_TAG,
    T_PITR,       /* point-in-time recovery enabled */
    T_PITR_SINCE, /* when it was enabled (ms) */
    T_TTL_ATTR,   /* the Time to Live attribute */
    T_INDEX,      /* a secondary index: a nested record of I_ fields */
    T_LAST_INDEX, /* the newest index id handed out */
    T_STREAM_ID,  /* the current stream */
    T_PITR_LOG,   /* the point-in-time-recovery change log */
    T_SSE_KMS,    /* issue 16, package K: the KMS key of SSESpecification */
};

enum {
    I_NAME = 1,
    I_ID,
    I_GLOBAL,
    I_CREATING,
    I_HASH_KEY,
    I_HASH_TYPE,
    I_RANGE_KEY,
    I_RANGE_TYPE,
    I_PROJ,
    I_INCLUDE,
    I_RCU,
    I_WCU,
    I_CREATED,
    I_KEY_MORE, /* issue 17, package M: a further key attribute: u8 0 (HASH) or 1 (RANGE), u8 type,
                   the name; in KeySchema order */
};

static void encode_index(const eng_index_t *ix, kv_buf_t *b)
{
    kv_buf_t r;
    kv_buf_init(&r, 1 << 16);
    eng_tlv_put_str(&r, I_NAME, ix->name);
    eng_tlv_put_u64(&r, I_ID, ix->id);
    eng_tlv_put_u64(&r, I_GLOBAL, ix->global);
    eng_tlv_put_u64(&r, I_CREATING, ix->creating);
    eng_tlv_put_str(&r, I_HASH_KEY, ix->hash_key);
    eng_tlv_put_u64(&r, I_HASH_TYPE, ix->hash_type);
    if (ix->range_key) {
        eng_tlv_put_str(&r, I_RANGE_KEY, ix->range_key);
        eng_tlv_put_u64(&r, I_RANGE_TYPE, ix->range_type);
    }
    eng_tlv_put_u64(&r, I_PROJ, ix->proj);
    for (size_t i = 0; i < ix->n_include; i++)
        eng_tlv_put_str(&r, I_INCLUDE, ix->include[i]);
    eng_tlv_put_u64(&r, I_RCU, ix->rcu);
    eng_tlv_put_u64(&r, I_WCU, ix->wcu);
    eng_tlv_put_u64(&r, I_CREATED, (uint64_t)ix->created_ms);
    for (int range = 0; range < 2; range++) {
        const eng_attr_def_t *more = range ? ix->range_more : ix->hash_more;
        for (size_t i = 0; i < (range ? ix->n_range_more : ix->n_hash_more); i++) {
            uint8_t m[300];
            kv_buf_t f;
            kv_buf_init_on(&f, m, sizeof(m), 4096);
            kv_buf_append_byte(&f, (uint8_t)range);
            kv_buf_append_byte(&f, (uint8_t)more[i].type);
            kv_buf_append_str(&f, more[i].name);
            eng_tlv_put(&r, I_KEY_MORE, kv_buf_slice(&f));
            kv_buf_dispose(&f);
        }
    }
    if (kv_buf_failed(&r))
        b->failed = true;
    else
        eng_tlv_put(b, T_INDEX, kv_buf_slice(&r));
    kv_buf_dispose(&r);
}

/* The fields of an index record (a T_INDEX value). */
static const eng_tlv_field_t index_fields[] = {
    ENG_TLV_ROW(I_NAME, ENG_TLV_STR, eng_index_t, name, .required = true),
    ENG_TLV_ROW(I_ID, ENG_TLV_U8, eng_index_t, id),
    ENG_TLV_ROW(I_GLOBAL, ENG_TLV_BOOL, eng_index_t, global),
    ENG_TLV_ROW(I_CREATING, ENG_TLV_BOOL, eng_index_t, creating),
    ENG_TLV_ROW(I_HASH_KEY, ENG_TLV_STR, eng_index_t, hash_key, .required = true),
    ENG_TLV_ROW(I_HASH_TYPE, ENG_TLV_ENUM, eng_index_t, hash_type, .max = ENG_SCALAR_B),
    ENG_TLV_ROW(I_RANGE_KEY, ENG_TLV_STR, eng_index_t, range_key),
    ENG_TLV_ROW(I_RANGE_TYPE, ENG_TLV_ENUM, eng_index_t, range_type, .max = ENG_SCALAR_B),
    ENG_TLV_ROW(I_PROJ, ENG_TLV_ENUM, eng_index_t, proj, .max = ENG_PROJ_INCLUDE),
    ENG_TLV_LIST_ROW(I_INCLUDE, ENG_TLV_STR_LIST, eng_index_t, include, n_include),
    ENG_TLV_ROW(I_RCU, ENG_TLV_U64, eng_index_t, rcu),
    ENG_TLV_ROW(I_WCU, ENG_TLV_U64, eng_index_t, wcu),
    ENG_TLV_ROW(I_CREATED, ENG_TLV_I64, eng_index_t, created_ms),
};

/* The I_KEY_MORE fields of an index record (eng_tlv_decode skips them as unknown): a
 * multi-attribute key's further attributes. A record written before them has none. */
static int decode_keys_more(kv_slice_t in, kv_arena_t *ar, eng_index_t *ix)
{
    uint8_t tag;
    kv_slice_t v;
    int rc;
    while ((rc = eng_tlv_next(&in, &tag, &v)) == 1) {
        if (tag != I_KEY_MORE)
            continue;
        if (v.len < 3 || v.p[0] > 1 || v.p[1] < ENG_SCALAR_S || v.p[1] > ENG_SCALAR_B)
            return KV_ECORRUPT;
        bool range = v.p[0] == 1;
        uint8_t *n = range ? &ix->n_range_more : &ix->n_hash_more;
        if (*n == ENG_INDEX_KEYS_MAX - 1 || (range && ix->range_key == NULL))
            return KV_ECORRUPT;
        eng_attr_def_t *d = range ? &ix->range_more[*n] : &ix->hash_more[*n];
        d->type = (eng_scalar_t)v.p[1];
        d->name = kv_arena_strndup(ar, v.p + 2, v.len - 2);
        (*n)++;
    }
    return rc;
}

static int decode_index(kv_slice_t in, kv_arena_t *ar, void *dst)
{
    eng_index_t *ix = dst;
    int rc = eng_tlv_decode(in, index_fields, sizeof(index_fields) / sizeof(*index_fields), ar, ix);
    if (rc == 0)
        rc = decode_keys_more(in, ar, ix);
    return rc < 0 || ix->id == 0 ? KV_ECORRUPT : 0; /* id 0 is the table's own */
}

/* A T_ATTR value: the type byte, then the name. */
static int decode_attr(kv_slice_t v, kv_arena_t *ar, void *dst)
{
    eng_attr_def_t *d = dst;
    if (v.len < 1 || v.p[0] < ENG_SCALAR_S || v.p[0] > ENG_SCALAR_B)
        return KV_ECORRUPT;
    d->type = (eng_scalar_t)v.p[0];
    d->name = kv_arena_strndup(ar, v.p + 1, v.len - 1);
    return 0;
}

_Static_assert(sizeof(eng_tag_t) == sizeof(eng_tlv_pair_t) &&
                   offsetof(eng_tag_t, value) == offsetof(eng_tlv_pair_t, value),
               "tags are decoded as eng_tlv_pair_t");

#define TABLE_REC_VERSION 1

static void encode_table(const eng_table_t *t, kv_buf_t *b)
{
    kv_buf_append_byte(b, TABLE_REC_VERSION);
    eng_tlv_put_str(b, T_NAME, t->name);
    eng_tlv_put_u64(b, T_ID, t->id);
    eng_tlv_put_str(b, T_UUID, t->uuid);
    eng_tlv_put_u64(b, T_CREATED, (uint64_t)t->created_ms);
    eng_tlv_put_str(b, T_HASH_KEY, t->hash_key);
    eng_tlv_put_u64(b, T_HASH_TYPE, t->hash_type);
    if (t->range_key) {
        eng_tlv_put_str(b, T_RANGE_KEY, t->range_key);
        eng_tlv_put_u64(b, T_RANGE_TYPE, t->range_type);
    }
    for (size_t i = 0; i < t->n_attrs; i++) {
        kv_buf_t a;
        kv_buf_init(&a, 4096);
        kv_buf_append_byte(&a, (uint8_t)t->attrs[i].type);
        kv_buf_append_str(&a, t->attrs[i].name);
        eng_tlv_put(b, T_ATTR, kv_buf_slice(&a));
        kv_buf_dispose(&a);
    }
    eng_tlv_put_u64(b, T_BILLING, t->billing);
    eng_tlv_put_u64(b, T_RCU, t->rcu);
    eng_tlv_put_u64(b, T_WCU, t->wcu);
    eng_tlv_put_u64(b, T_STREAM_ENABLED, t->stream_enabled);
    eng_tlv_put_u64(b, T_STREAM_VIEW, t->stream_view);
    eng_tlv_put_u64(b, T_STREAM_CREATED, (uint64_t)t->stream_created_ms);
    if (t->ttl_attr)
        eng_tlv_put_str(b, T_TTL_ATTR, t->ttl_attr);
    if (t->pitr) {
        eng_tlv_put_u64(b, T_PITR, 1);
        eng_tlv_put_u64(b, T_PITR_SINCE, (uint64_t)t->pitr_since_ms);
    }
    for (size_t i = 0; i < t->n_indexes; i++)
        encode_index(&t->indexes[i], b);
    if (t->last_index_id)
        eng_tlv_put_u64(b, T_LAST_INDEX, t->last_index_id);
    if (t->stream_id)
        eng_tlv_put_u64(b, T_STREAM_ID, t->stream_id);
    if (t->pitr_log_id)
        eng_tlv_put_u64(b, T_PITR_LOG, t->pitr_log_id);
    if (t->sse_kms_arn)
        eng_tlv_put_str(b, T_SSE_KMS, t->sse_kms_arn);
    for (size_t i = 0; i < t->n_tags; i++) {
        kv_buf_t a;
        kv_buf_init(&a, 1024);
        size_t kl = strlen(t->tags[i].key);
        eng_tlv_put_varint(&a, kl);
        kv_buf_append(&a, t->tags[i].key, kl);
        kv_buf_append_str(&a, t->tags[i].value);
        eng_tlv_put(b, T_TAG, kv_buf_slice(&a));
        kv_buf_dispose(&a);
    }
}

static const eng_tlv_field_t table_fields[] = {
    ENG_TLV_ROW(T_NAME, ENG_TLV_STR, eng_table_t, name, .required = true),
    ENG_TLV_ROW(T_ID, ENG_TLV_U32, eng_table_t, id),
    ENG_TLV_ROW(T_UUID, ENG_TLV_CHARS, eng_table_t, uuid, .size = 37, .len = 36),
    ENG_TLV_ROW(T_CREATED, ENG_TLV_I64, eng_table_t, created_ms),
    ENG_TLV_ROW(T_HASH_KEY, ENG_TLV_STR, eng_table_t, hash_key, .required = true),
    ENG_TLV_ROW(T_HASH_TYPE, ENG_TLV_ENUM, eng_table_t, hash_type, .max = ENG_SCALAR_B),
    ENG_TLV_ROW(T_RANGE_KEY, ENG_TLV_STR, eng_table_t, range_key),
    ENG_TLV_ROW(T_RANGE_TYPE, ENG_TLV_ENUM, eng_table_t, range_type, .max = ENG_SCALAR_B),
    ENG_TLV_LIST_ROW(T_ATTR, ENG_TLV_LIST, eng_table_t, attrs, n_attrs,
                     .size = sizeof(eng_attr_def_t), .fn = decode_attr),
    ENG_TLV_ROW(T_BILLING, ENG_TLV_ENUM, eng_table_t, billing, .max = ENG_BILLING_PAY_PER_REQUEST),
    ENG_TLV_ROW(T_RCU, ENG_TLV_U64, eng_table_t, rcu),
    ENG_TLV_ROW(T_WCU, ENG_TLV_U64, eng_table_t, wcu),
    ENG_TLV_ROW(T_STREAM_ENABLED, ENG_TLV_BOOL, eng_table_t, stream_enabled),
    ENG_TLV_ROW(T_STREAM_VIEW, ENG_TLV_ENUM, eng_table_t, stream_view,
                .max = ENG_STREAM_NEW_AND_OLD_IMAGES),
    ENG_TLV_ROW(T_STREAM_CREATED, ENG_TLV_I64, eng_table_t, stream_created_ms),
    ENG_TLV_LIST_ROW(T_TAG, ENG_TLV_PAIR_LIST, eng_table_t, tags, n_tags),
    ENG_TLV_ROW(T_PITR, ENG_TLV_BOOL, eng_table_t, pitr),
    ENG_TLV_ROW(T_PITR_SINCE, ENG_TLV_I64, eng_table_t, pitr_since_ms),
    ENG_TLV_ROW(T_TTL_ATTR, ENG_TLV_STR, eng_table_t, ttl_attr),
    /* One spare slot: eng_table_add_index appends in place. */
    ENG_TLV_LIST_ROW(T_INDEX, ENG_TLV_LIST, eng_table_t, indexes, n_indexes,
                     .size = sizeof(eng_index_t), .fn = decode_index, .spare = 1),
    ENG_TLV_ROW(T_LAST_INDEX, ENG_TLV_U8, eng_table_t, last_index_id),
    ENG_TLV_ROW(T_STREAM_ID, ENG_TLV_U32, eng_table_t, stream_id),
    ENG_TLV_ROW(T_PITR_LOG, ENG_TLV_U32, eng_table_t, pitr_log_id),
    ENG_TLV_ROW(T_SSE_KMS, ENG_TLV_STR, eng_table_t, sse_kms_arn),
};

static int decode_table(kv_slice_t in, kv_arena_t *ar, eng_table_t **out)
{
    if (in.len < 1 || in.p[0] != TABLE_REC_VERSION)
        return KV_ECORRUPT;
    eng_table_t *t = kv_arena_calloc(ar, 1, sizeof(*t));
    int rc = eng_tlv_decode(kv_slice(in.p + 1, in.len - 1), table_fields,
                            sizeof(table_fields) / sizeof(*table_fields), ar, t);
    if (rc < 0)
        return rc;
    *out = t;
    return 0;
}

int eng_table_create(eng_t *e, eng_table_t *t)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 1024);
    kv_buf_init(&v, 1 << 20);
    eng__cat_key(&k, ENG_CAT_TABLE, kv_slice_str(t->name));
    pthread_mutex_lock(&e->cat_lock);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0) {
        rc = KV_EEXIST;
        goto out;
    }
    if (rc != KV_ENOTFOUND)
        goto out;
    kv_buf_reset(&v);
    eng_batch_t *b = eng_batch_new(e->rocks);
    t->id = eng__next_id(e, b);
    kv_uuid4(t->uuid);
    t->created_ms = kv_now_ms();
    for (size_t i = 0; i < t->n_indexes; i++) {
        t->indexes[i].id = (uint8_t)(i + 1);
        t->indexes[i].created_ms = t->created_ms;
        t->indexes[i].creating = false;
    }
    t->last_index_id = (uint8_t)t->n_indexes;
    t->stream_id = t->pitr_log_id = 0;
    if (t->stream_enabled) {
        t->stream_created_ms = t->created_ms;
        t->stream_id = eng__stream_create(e, b, t, false);
    }
    encode_table(t, &v);
    if (kv_buf_failed(&v)) {
        rc = KV_ETOOBIG;
        eng_batch_free(b);
        goto out;
    }
    eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
    rc = eng__write(e, b);
    atomic_fetch_add(&e->cat_gen, 1);
    eng_batch_free(b);
out:
    pthread_mutex_unlock(&e->cat_lock);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

/* Read-modify-write of a table record under the catalog lock: apply(t, arg, b) edits the
 * mutable fields and may add to the batch that stores the record; a negative return aborts. */
static int table_modify(eng_t *e, kv_slice_t name,
                        int (*apply)(eng_t *, eng_table_t *, const void *, eng_batch_t *),
                        const void *arg)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 1024);
    kv_buf_init(&v, 1 << 20);
    kv_arena_t *a = kv_arena_new(4096);
    eng__cat_key(&k, ENG_CAT_TABLE, name);
    pthread_mutex_lock(&e->cat_lock);
    eng_table_t *t = NULL;
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0)
        rc = decode_table(kv_arena_dup(a, kv_buf_slice(&v)), a, &t);
    if (rc == 0) {
        eng_batch_t *b = eng_batch_new(e->rocks);
        rc = apply(e, t, arg, b);
        if (rc == 0) {
            kv_buf_reset(&v);
            encode_table(t, &v);
            eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
            rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
            atomic_fetch_add(&e->cat_gen, 1); /* cached records are stale */
        }
        eng_batch_free(b);
    }
    pthread_mutex_unlock(&e->cat_lock);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

typedef struct {
    const eng_tag_t *tags;
    size_t n;
} tags_arg_t;

static int apply_tags(eng_t *e, eng_table_t *t, const void *arg, eng_batch_t *b)
{
    const tags_arg_t *ta = arg;
    (void)e, (void)b;
    t->tags = (eng_tag_t *)(uintptr_t)ta->tags;
    t->n_tags = ta->n;
    return 0;
}

int eng_table_set_tags(eng_t *e, kv_slice_t name, const eng_tag_t *tags, size_t n)
{
    tags_arg_t ta = {tags, n};
    return table_modify(e, name, apply_tags, &ta);
}

static int apply_settings(eng_t *e, eng_table_t *t, const void *arg, eng_batch_t *b)
{
    const eng_table_t *nt = arg;
    t->billing = nt->billing;
    t->rcu = nt->rcu;
    t->wcu = nt->wcu;
    /* A stream switched on is a new stream; one switched off stays readable a while. */
    bool new_stream =
        nt->stream_enabled && (!t->stream_enabled || nt->stream_created_ms != t->stream_created_ms);
    if (t->stream_id && (!nt->stream_enabled || new_stream)) {
        eng__stream_disable(e, b, t->stream_id);
        t->stream_id = 0;
    }
    t->stream_enabled = nt->stream_enabled;
    t->stream_view = nt->stream_view;
    t->stream_created_ms = nt->stream_created_ms;
    if (new_stream)
        t->stream_id = eng__stream_create(e, b, t, false);
    if (nt->pitr && !t->pitr_log_id)
        t->pitr_log_id = eng__stream_create(e, b, t, true);
    if (!nt->pitr && t->pitr_log_id) {
        eng__stream_disable(e, b, t->pitr_log_id);
        t->pitr_log_id = 0;
    }
    t->pitr = nt->pitr;
    t->pitr_since_ms = nt->pitr_since_ms;
    t->ttl_attr = nt->ttl_attr;
    t->sse_kms_arn = nt->sse_kms_arn;
    for (size_t i = 0; i < t->n_indexes; i++)
        for (size_t j = 0; j < nt->n_indexes; j++)
            if (nt->indexes[j].id == t->indexes[i].id) {
                t->indexes[i].rcu = nt->indexes[j].rcu;
                t->indexes[i].wcu = nt->indexes[j].wcu;
            }
    return 0;
}

const eng_index_t *eng_index_find(const eng_table_t *t, kv_slice_t name)
{
    for (size_t i = 0; i < t->n_indexes; i++)
        if (kv_slice_eq_str(name, t->indexes[i].name))
            return &t->indexes[i];
    return NULL;
}

/* The next free index id after the last one handed out (ids wrap only after 255 indexes,
 * so a writer holding an old definition cannot put an entry under a reused id soon). */
static uint8_t next_index_id(const eng_table_t *t)
{
    for (unsigned step = 1; step < 256; step++) {
        unsigned id = (t->last_index_id + step) % 256;
        if (id == 0)
            continue;
        bool used = false;
        for (size_t i = 0; i < t->n_indexes; i++)
            used |= t->indexes[i].id == id;
        if (!used)
            return (uint8_t)id;
    }
    return 0;
}

typedef struct {
    const eng_index_t *ix;
    kv_arena_t *a;
} add_index_t;

static bool has_attr(const eng_table_t *t, const char *name)
{
    for (size_t i = 0; i < t->n_attrs; i++)
        if (strcmp(t->attrs[i].name, name) == 0)
            return true;
    return false;
}

static int apply_add_index(eng_t *e, eng_table_t *t, const void *arg, eng_batch_t *b)
{
    const add_index_t *x = arg;
    const eng_index_t *ix = x->ix;
    (void)e, (void)b;
    if (eng_index_find(t, kv_slice_str(ix->name)))
        return KV_EEXIST;
    /* The definitions of the new index's keys join the table's. */
    eng_attr_def_t *attrs =
        kv_arena_calloc(x->a, t->n_attrs + 2 * ENG_INDEX_KEYS_MAX, sizeof(*attrs));
    memcpy(attrs, t->attrs, t->n_attrs * sizeof(*attrs));
    size_t na = t->n_attrs;
    for (size_t k = 0; k < eng_index_n_hash(ix) + eng_index_n_range(ix); k++) {
        eng_attr_def_t d = k < eng_index_n_hash(ix)
                               ? eng_index_hash_at(ix, k)
                               : eng_index_range_at(ix, k - eng_index_n_hash(ix));
        t->attrs = attrs; /* has_attr sees the ones added so far */
        t->n_attrs = na;
        if (!has_attr(t, d.name))
            attrs[na++] = d;
    }
    t->attrs = attrs;
    t->n_attrs = na;
    uint8_t id = next_index_id(t);
    if (id == 0)
        return KV_ETOOBIG;
    eng_index_t *n = &t->indexes[t->n_indexes++]; /* decode_table left a spare slot */
    *n = *ix;
    n->id = id;
    n->creating = true;
    n->created_ms = kv_now_ms();
    t->last_index_id = id;
    return 0;
}

int eng_table_add_index(eng_t *e, kv_slice_t table, const eng_index_t *ix)
{
    add_index_t x = {ix, kv_arena_new(4096)};
    int rc = table_modify(e, table, apply_add_index, &x);
    kv_arena_free(x.a);
    return rc;
}

static void index_range(kv_buf_t *lo, kv_buf_t *hi, uint32_t table_id, uint8_t index_id)
{
    eng_key_put_u32(lo, table_id);
    kv_buf_append_byte(lo, index_id);
    if (index_id < 255) {
        eng_key_put_u32(hi, table_id);
        kv_buf_append_byte(hi, (uint8_t)(index_id + 1));
    } else {
        eng_key_put_u32(hi, table_id + 1);
    }
}

static int apply_drop_index(eng_t *e, eng_table_t *t, const void *arg, eng_batch_t *b)
{
    const kv_slice_t *name = arg;
    (void)e;
    for (size_t i = 0; i < t->n_indexes; i++) {
        if (!kv_slice_eq_str(*name, t->indexes[i].name))
            continue;
        uint8_t lm[32], hm[32];
        kv_buf_t lo, hi;
        kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
        kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
        index_range(&lo, &hi, t->id, t->indexes[i].id);
        eng_batch_delete_range(b, ENG_CF_ITEMS, kv_buf_slice(&lo), kv_buf_slice(&hi));
        memmove(&t->indexes[i], &t->indexes[i + 1], (t->n_indexes - i - 1) * sizeof(eng_index_t));
        t->n_indexes--;
        /* Attribute definitions no key uses any more go with it. */
        size_t n = 0;
        for (size_t a = 0; a < t->n_attrs; a++) {
            const char *nm = t->attrs[a].name;
            bool used = strcmp(nm, t->hash_key) == 0 || (t->range_key && !strcmp(nm, t->range_key));
            for (size_t j = 0; !used && j < t->n_indexes; j++)
                used = eng_index_has_key(&t->indexes[j], kv_slice_str(nm));
            if (used)
                t->attrs[n++] = t->attrs[a];
        }
        t->n_attrs = n;
        return 0;
    }
    return KV_ENOTFOUND;
}

int eng_table_drop_index(eng_t *e, kv_slice_t table, kv_slice_t index)
{
    return table_modify(e, table, apply_drop_index, &index);
}

static int apply_index_active(eng_t *e, eng_table_t *t, const void *arg, eng_batch_t *b)
{
    uint8_t id = *(const uint8_t *)arg;
    (void)e, (void)b;
    for (size_t i = 0; i < t->n_indexes; i++)
        if (t->indexes[i].id == id) {
            t->indexes[i].creating = false;
            return 0;
        }
    return KV_ENOTFOUND;
}

int eng__index_mark_active(eng_t *e, kv_slice_t table, uint8_t index_id)
{
    return table_modify(e, table, apply_index_active, &index_id);
}

int eng_table_update(eng_t *e, const eng_table_t *nt)
{
    return table_modify(e, kv_slice_str(nt->name), apply_settings, nt);
}

int eng__table_decode(kv_slice_t rec, kv_arena_t *a, eng_table_t **out)
{
    return decode_table(kv_arena_dup(a, rec), a, out);
}

int eng__table_install(eng_t *e, eng_table_t *t, uint32_t id)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 1024);
    kv_buf_init(&v, 1 << 20);
    eng__cat_key(&k, ENG_CAT_TABLE, kv_slice_str(t->name));
    pthread_mutex_lock(&e->cat_lock);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0)
        rc = KV_EEXIST;
    else if (rc == KV_ENOTFOUND) {
        kv_buf_reset(&v);
        t->id = id;
        /* A restored table has no stream and no point-in-time recovery of its own yet. */
        t->stream_enabled = false;
        t->stream_view = ENG_STREAM_NONE;
        t->stream_id = 0;
        t->pitr = false;
        t->pitr_log_id = 0;
        kv_uuid4(t->uuid);
        t->created_ms = kv_now_ms();
        encode_table(t, &v);
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
        rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
        atomic_fetch_add(&e->cat_gen, 1);
        eng_batch_free(b);
    }
    pthread_mutex_unlock(&e->cat_lock);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

static eng_rcache_ent_t *tcache_slot(eng_t *e, kv_slice_t name)
{
    return &e->tcache[kv_xxh3(name.p, name.len) % ENG_TCACHE_SLOTS];
}

int eng_table_get(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_table_t **out)
{
    if (name.len == 0 || name.len > ENG_TABLE_NAME_MAX)
        return KV_ENOTFOUND;
    /* Every item operation looks its table up: serve it from the cache when current. */
    uint64_t gen = atomic_load(&e->cat_gen);
    eng_rcache_ent_t *ent = tcache_slot(e, name);
    kv_slice_t rec;
    if (eng__rcache_get(&e->tcache_lock, ent, name, gen, a, &rec)) {
        int rc = decode_table(rec, a, out);
        if (rc == 0)
            (*out)->gen = gen;
        return rc;
    }
    kv_buf_t k, v;
    kv_buf_init(&k, 1024);
    kv_buf_init(&v, 1 << 20);
    eng__cat_key(&k, ENG_CAT_TABLE, name);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0)
        rc = decode_table(kv_arena_dup(a, kv_buf_slice(&v)), a, out);
    if (rc == 0) {
        (*out)->gen = gen;
        /* stale at once if a create or delete happened meanwhile */
        eng__rcache_put(&e->tcache_lock, ent, name, gen, kv_buf_slice(&v));
    }
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_table_delete(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_table_t **old_out)
{
    kv_buf_t k, v, lo, hi;
    kv_buf_init(&k, 1024);
    kv_buf_init(&v, 1 << 20);
    kv_buf_init(&lo, 16);
    kv_buf_init(&hi, 16);
    eng__cat_key(&k, ENG_CAT_TABLE, name);
    pthread_mutex_lock(&e->cat_lock);
    eng_table_t *t = NULL;
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0)
        rc = decode_table(kv_buf_slice(&v), a, &t);
    if (rc == 0) {
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_delete(b, ENG_CF_CATALOG, kv_buf_slice(&k));
        /* Table ids are never reused, so one range tombstone retires the data. */
        eng_key_table_prefix(&lo, t->id);
        eng_key_table_prefix(&hi, t->id + 1);
        eng_batch_delete_range(b, ENG_CF_ITEMS, kv_buf_slice(&lo), kv_buf_slice(&hi));
        eng__ttl_drop(b, t->id); /* and its expiry index */
        if (t->stream_id)        /* its stream stays readable for a while */
            eng__stream_disable(e, b, t->stream_id);
        if (t->pitr_log_id)
            eng__stream_disable(e, b, t->pitr_log_id);
        rc = eng__write(e, b);
        atomic_fetch_add(&e->cat_gen, 1);
        eng_batch_free(b);
    }
    pthread_mutex_unlock(&e->cat_lock);
    if (rc == 0 && old_out)
        *old_out = t;
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    kv_buf_dispose(&lo);
    kv_buf_dispose(&hi);
    return rc;
}

typedef struct name_page {
    kv_arena_t *a;
    const char **names;
} name_page_t;

static int take_name(void *arg, size_t i, kv_slice_t name, kv_slice_t value)
{
    name_page_t *p = arg;
    (void)value;
    p->names[i] = kv_arena_strndup(p->a, name.p, name.len);
    return 0;
}

int eng_table_list(eng_t *e, kv_slice_t start_after, size_t limit, kv_arena_t *a,
                   const char ***names_out, size_t *n_out, bool *more)
{
    name_page_t p = {a, kv_arena_calloc(a, limit ? limit : 1, sizeof(*p.names))};
    *names_out = p.names;
    return eng__cat_page(e, ENG_CAT_TABLE, start_after, limit, take_name, &p, n_out, more);
}
