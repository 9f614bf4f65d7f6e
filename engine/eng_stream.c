/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Table streams and point-in-time-recovery logs: records in the streams CF under
 * (u32 stream id, u32 shard, u64 sequence number), written in the batch of the change they
 * describe; stream definitions in the catalog; reading, walking back, trimming.
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_time.h"
#include "eng_int.h"
#include "eng_tlv.h"

enum { R_EVENT = 1, R_TIME, R_SERVICE, R_KEYS, R_OLD, R_NEW, R_SIZE };
enum {
    C_TABLE = 1,
    C_TABLE_ID,
    C_CREATED,
    C_DISABLED,
    C_VIEW,
    C_HASH_KEY,
    C_HASH_TYPE,
    C_RANGE_KEY,
    C_RANGE_TYPE,
    C_PITR,
    C_BUCKET,
};

#define REC_KEY_LEN 16

static void rec_key(kv_buf_t *k, uint32_t id, uint64_t seq)
{
    eng_key_put_u32(k, id);
    eng_key_put_u32(k, 0); /* shard */
    eng_key_put_u64(k, seq);
}

/* ---- writing ---- */

void eng__spend_init(eng_spend_t *p)
{
    kv_buf_init(&p->buf, 64u << 20);
    p->n = 0;
}

void eng__spend_dispose(eng_spend_t *p)
{
    kv_buf_dispose(&p->buf);
    p->n = 0;
}

bool eng__needs_old(const eng_table_t *t)
{
    return t && (t->n_indexes || t->stream_id || t->pitr_log_id);
}

static void put_item(kv_buf_t *b, uint8_t tag, const eng_item_t *it)
{
    kv_buf_t v;
    kv_buf_init(&v, 2 * ENG_ITEM_MAX_BYTES + 65536);
    eng_item_encode(it, &v);
    eng_tlv_put(b, tag, kv_buf_slice(&v));
    kv_buf_dispose(&v);
}

static void note_one(eng_spend_t *p, uint32_t id, eng_stream_view_t view, const eng_table_t *t,
                     const eng_item_t *old, const eng_item_t *nu, bool service)
{
    const eng_item_t *src = nu ? nu : old;
    eng_attr_t ka[2];
    eng_item_t keys = {ka, 0};
    const char *names[2] = {t->hash_key, t->range_key};
    for (int i = 0; i < 2 && names[i]; i++) {
        eng_av_t *v = eng_item_get_attr(src, kv_slice_str(names[i]));
        if (v)
            ka[keys.n++] = (eng_attr_t){kv_slice_str(names[i]), v};
    }
    bool want_old = view == ENG_STREAM_OLD_IMAGE || view == ENG_STREAM_NEW_AND_OLD_IMAGES;
    bool want_new = view == ENG_STREAM_NEW_IMAGE || view == ENG_STREAM_NEW_AND_OLD_IMAGES;
    kv_buf_t v;
    kv_buf_init(&v, 4 * ENG_ITEM_MAX_BYTES + 65536);
    eng_tlv_put_u64(&v, R_EVENT, old == NULL ? ENG_EV_INSERT : nu ? ENG_EV_MODIFY : ENG_EV_REMOVE);
    eng_tlv_put_u64(&v, R_TIME, (uint64_t)kv_now_ms());
    if (service)
        eng_tlv_put_u64(&v, R_SERVICE, 1);
    put_item(&v, R_KEYS, &keys);
    size_t size = eng_item_size(&keys);
    if (want_old && old) {
        put_item(&v, R_OLD, old);
        size += eng_item_size(old);
    }
    if (want_new && nu) {
        put_item(&v, R_NEW, nu);
        size += eng_item_size(nu);
    }
    eng_tlv_put_u64(&v, R_SIZE, size);
    uint8_t hdr[8];
    kv_buf_t h;
    kv_buf_init_on(&h, hdr, sizeof(hdr), sizeof(hdr));
    eng_key_put_u32(&h, id);
    eng_key_put_u32(&h, (uint32_t)v.len);
    kv_buf_append_slice(&p->buf, kv_buf_slice(&h));
    kv_buf_append_slice(&p->buf, kv_buf_slice(&v));
    p->n++;
    kv_buf_dispose(&v);
}

void eng__stream_note(eng_spend_t *p, const eng_table_t *t, kv_slice_t key, const eng_item_t *old,
                      const eng_item_t *nu, bool service)
{
    (void)key;
    if (t == NULL || (t->stream_id == 0 && t->pitr_log_id == 0) || (old == NULL && nu == NULL))
        return;
    if (old && nu) {
        /* A write that changes nothing makes no record. */
        eng_av_t mo = {ENG_AV_M, old->n, {.m = old->attrs}};
        eng_av_t mn = {ENG_AV_M, nu->n, {.m = nu->attrs}};
        if (eng_av_equal(&mo, &mn))
            return;
    }
    if (t->stream_id)
        note_one(p, t->stream_id, t->stream_view, t, old, nu, service);
    if (t->pitr_log_id)
        note_one(p, t->pitr_log_id, ENG_STREAM_OLD_IMAGE, t, old, nu, service);
}

/* The marker of a stream's shard: state CF, 'H' + stream id + period start -> first number. */
static void shard_key(kv_buf_t *k, uint32_t id, int64_t start)
{
    kv_buf_append_byte(k, 'H');
    eng_key_put_u32(k, id);
    eng_key_put_u64(k, (uint64_t)start);
}

void eng_stream_set_shard_ms(eng_t *e, int64_t ms)
{
    pthread_mutex_lock(&e->stream_lock);
    e->shard_ms = ms > 0 ? ms : 0;
    pthread_mutex_unlock(&e->stream_lock);
}

/* The first record of a stream in a new period opens a shard: its marker joins the batch
 * (caller holds stream_lock). */
static void shard_mark(eng_t *e, eng_batch_t *b, uint32_t id, uint64_t seq, int64_t now)
{
    int64_t period = e->shard_ms ? e->shard_ms : 4 * 3600 * 1000;
    int64_t start = now / period * period;
    size_t slot = id % (sizeof(e->shard_seen) / sizeof(e->shard_seen[0]));
    if (e->shard_seen[slot].id == id && e->shard_seen[slot].start >= start)
        return;
    uint8_t km[16], vm[16];
    kv_buf_t k, v;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    kv_buf_init_on(&v, vm, sizeof(vm), sizeof(vm));
    shard_key(&k, id, start);
    if (eng_rocks_get(e->rocks, ENG_CF_STATE, kv_buf_slice(&k), &v) == KV_ENOTFOUND) {
        kv_buf_reset(&v);
        eng_key_put_u64(&v, seq);
        eng_batch_put(b, ENG_CF_STATE, kv_buf_slice(&k), kv_buf_slice(&v));
    }
    e->shard_seen[slot].id = id;
    e->shard_seen[slot].start = start;
}

int eng__write_logged(eng_t *e, eng_batch_t *b, eng_spend_t *p)
{
    if (p == NULL || p->n == 0)
        return eng__write(e, b);
    if (kv_buf_failed(&p->buf))
        return KV_ETOOBIG;
    uint8_t km[REC_KEY_LEN];
    kv_buf_t k;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    /* Numbers are handed out and committed under one lock: records become visible in number
     * order, so a reader that has seen n will never find a smaller one appear later. */
    pthread_mutex_lock(&e->stream_lock);
    int64_t now = kv_now_ms();
    kv_slice_t s = kv_buf_slice(&p->buf);
    while (s.len >= 8) {
        uint32_t id, len;
        eng_key_get_u32(&s, &id);
        eng_key_get_u32(&s, &len);
        kv_buf_reset(&k);
        shard_mark(e, b, id, e->stream_seq + 1, now);
        rec_key(&k, id, ++e->stream_seq);
        eng_batch_put(b, ENG_CF_STREAMS, kv_buf_slice(&k), kv_slice(s.p, len));
        s.p += len;
        s.len -= len;
    }
    int rc = eng__write(e, b);
    if (rc < 0) /* the markers in b may not have been written */
        memset(e->shard_seen, 0, sizeof(e->shard_seen));
    pthread_mutex_unlock(&e->stream_lock);
    return rc;
}

/* ---- catalog ---- */

static void cat_key(kv_buf_t *k, uint32_t id)
{
    kv_buf_append_byte(k, ENG_CAT_STREAM);
    eng_key_put_u32(k, id);
}

static void encode_stream(const eng_stream_t *s, kv_buf_t *v)
{
    eng_tlv_put_str(v, C_TABLE, s->table);
    eng_tlv_put_u64(v, C_TABLE_ID, s->table_id);
    eng_tlv_put_u64(v, C_CREATED, (uint64_t)s->created_ms);
    eng_tlv_put_u64(v, C_DISABLED, (uint64_t)s->disabled_ms);
    eng_tlv_put_u64(v, C_VIEW, s->view);
    eng_tlv_put_str(v, C_HASH_KEY, s->hash_key);
    eng_tlv_put_u64(v, C_HASH_TYPE, s->hash_type);
    if (s->range_key) {
        eng_tlv_put_str(v, C_RANGE_KEY, s->range_key);
        eng_tlv_put_u64(v, C_RANGE_TYPE, s->range_type);
    }
    eng_tlv_put_u64(v, C_PITR, s->pitr);
    if (s->bucket)
        eng_tlv_put_u64(v, C_BUCKET, 1);
}

static const eng_tlv_field_t stream_fields[] = {
    ENG_TLV_ROW(C_TABLE, ENG_TLV_STR, eng_stream_t, table, .required = true),
    ENG_TLV_ROW(C_TABLE_ID, ENG_TLV_U32, eng_stream_t, table_id),
    ENG_TLV_ROW(C_CREATED, ENG_TLV_I64, eng_stream_t, created_ms),
    ENG_TLV_ROW(C_DISABLED, ENG_TLV_I64, eng_stream_t, disabled_ms),
    ENG_TLV_ROW(C_VIEW, ENG_TLV_ENUM, eng_stream_t, view, .max = ENG_STREAM_NEW_AND_OLD_IMAGES),
    ENG_TLV_ROW(C_HASH_KEY, ENG_TLV_STR, eng_stream_t, hash_key, .required = true),
    ENG_TLV_ROW(C_HASH_TYPE, ENG_TLV_ENUM, eng_stream_t, hash_type, .max = ENG_SCALAR_B),
    ENG_TLV_ROW(C_RANGE_KEY, ENG_TLV_STR, eng_stream_t, range_key),
    ENG_TLV_ROW(C_RANGE_TYPE, ENG_TLV_ENUM, eng_stream_t, range_type, .max = ENG_SCALAR_B),
    ENG_TLV_ROW(C_PITR, ENG_TLV_BOOL, eng_stream_t, pitr),
    ENG_TLV_ROW(C_BUCKET, ENG_TLV_BOOL, eng_stream_t, bucket),
};

static int decode_stream(kv_slice_t in, uint32_t id, kv_arena_t *a, eng_stream_t **out)
{
    eng_stream_t *s = kv_arena_calloc(a, 1, sizeof(*s));
    s->id = id;
    int rc =
        eng_tlv_decode(in, stream_fields, sizeof(stream_fields) / sizeof(*stream_fields), a, s);
    if (rc < 0)
        return rc;
    *out = s;
    return 0;
}

/* A stream's catalog record, into b. */
static void put_stream(eng_batch_t *b, const eng_stream_t *s)
{
    uint8_t km[8];
    kv_buf_t k, v;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    kv_buf_init(&v, 4096);
    cat_key(&k, s->id);
    encode_stream(s, &v);
    eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
    kv_buf_dispose(&v);
}

uint32_t eng__stream_create(eng_t *e, eng_batch_t *b, const eng_table_t *t, bool pitr)
{
    uint32_t id = eng__next_id(e, b);
    eng_stream_t s = {.id = id,
                      .table_id = t->id,
                      .table = t->name,
                      .created_ms = pitr ? kv_now_ms() : t->stream_created_ms,
                      .view = pitr ? ENG_STREAM_OLD_IMAGE : t->stream_view,
                      .hash_key = t->hash_key,
                      .hash_type = t->hash_type,
                      .range_key = t->range_key,
                      .range_type = t->range_type,
                      .pitr = pitr};
    put_stream(b, &s);
    return id;
}

uint32_t eng__stream_create_bucket(eng_t *e, eng_batch_t *b, const char *name, uint32_t bucket_id)
{
    uint32_t id = eng__next_id(e, b);
    eng_stream_t s = {.id = id,
                      .table_id = bucket_id,
                      .table = name,
                      .created_ms = kv_now_ms(),
                      .view = ENG_STREAM_NEW_IMAGE,
                      .hash_key = "key",
                      .hash_type = ENG_SCALAR_S,
                      .bucket = true};
    put_stream(b, &s);
    return id;
}

void eng__log_object_event(eng_spend_t *p, uint32_t log_id, const char *event,
                           const eng_object_t *o, bool versioned)
{
    if (log_id == 0 || event == NULL)
        return;
    char num[32], ver[32];
    snprintf(num, sizeof(num), "%llu", (unsigned long long)o->size);
    if (o->null_version)
        snprintf(ver, sizeof(ver), "null");
    else
        snprintf(ver, sizeof(ver), "%016llx", (unsigned long long)o->version);
    eng_av_t vk = {.t = ENG_AV_S, .u.s = o->key}, ve = {.t = ENG_AV_S, .u.s = kv_slice_str(event)};
    eng_av_t vs = {.t = ENG_AV_N, .u.s = kv_slice_str(num)};
    eng_av_t vt = {.t = ENG_AV_S, .u.s = kv_slice_str(o->etag ? o->etag : "")};
    eng_av_t vv = {.t = ENG_AV_S, .u.s = kv_slice_str(ver)};
    eng_attr_t ka[1] = {{KV_SLICE_LIT("key"), &vk}};
    eng_attr_t ia[5] = {{KV_SLICE_LIT("eTag"), &vt},
                        {KV_SLICE_LIT("eventName"), &ve},
                        {KV_SLICE_LIT("key"), &vk},
                        {KV_SLICE_LIT("size"), &vs},
                        {KV_SLICE_LIT("versionId"), &vv}};
    /* Removals carry no size or ETag (as S3's events); unversioned buckets no version id. */
    bool created = strncmp(event, "ObjectCreated", 13) == 0;
    eng_attr_t img_a[5];
    size_t n = 0;
    for (size_t i = 0; i < 5; i++) {
        bool is_data = i == 0 || i == 3, is_ver = i == 4;
        if ((is_data && !created) || (is_ver && !versioned))
            continue;
        img_a[n++] = ia[i];
    }
    eng_item_t keys = {ka, 1}, img = {img_a, n};
    kv_buf_t v;
    kv_buf_init(&v, 64 * 1024);
    eng_tlv_put_u64(&v, R_EVENT, ENG_EV_INSERT);
    eng_tlv_put_u64(&v, R_TIME, (uint64_t)kv_now_ms());
    put_item(&v, R_KEYS, &keys);
    put_item(&v, R_NEW, &img);
    eng_tlv_put_u64(&v, R_SIZE, eng_item_size(&img));
    uint8_t hdr[8];
    kv_buf_t h;
    kv_buf_init_on(&h, hdr, sizeof(hdr), sizeof(hdr));
    eng_key_put_u32(&h, log_id);
    eng_key_put_u32(&h, (uint32_t)v.len);
    if (p->buf.limit == 0)
        eng__spend_init(p);
    kv_buf_append_slice(&p->buf, kv_buf_slice(&h));
    kv_buf_append_slice(&p->buf, kv_buf_slice(&v));
    p->n++;
    kv_buf_dispose(&v);
}

void eng__stream_disable(eng_t *e, eng_batch_t *b, uint32_t id)
{
    kv_arena_t *a = kv_arena_new(1024);
    eng_stream_t *s;
    if (eng_stream_get(e, id, a, &s) == 0) {
        uint8_t km[8];
        kv_buf_t k, v;
        kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
        kv_buf_init(&v, 4096);
        cat_key(&k, id);
        s->disabled_ms = kv_now_ms();
        encode_stream(s, &v);
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
        kv_buf_dispose(&v);
    }
    kv_arena_free(a);
}

/* The last marker of stream id, as RocksDB holds it now: its period's start (-1: none). */
static int last_marker(eng_t *e, uint32_t id, int64_t *start)
{
    uint8_t hm[16];
    kv_buf_t hi;
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    kv_buf_append_byte(&hi, 'H');
    eng_key_put_u32(&hi, id + 1);
    *start = -1;
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STATE);
    eng_riter_seek_before(it, kv_buf_slice(&hi));
    if (eng_riter_valid(it)) {
        kv_slice_t k = eng_riter_key(it);
        kv_slice_t ks = kv_slice(k.p + 1, k.len - 1);
        uint32_t kid;
        uint64_t v;
        if (k.len == 13 && k.p[0] == 'H' && eng_key_get_u32(&ks, &kid) == 0 && kid == id &&
            eng_key_get_u64(&ks, &v) == 0)
            *start = (int64_t)v;
    }
    int rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc;
}

/* A reader at now_ms found the stream's last shard in an earlier period: open the current
 * period's shard, from the next number, so that the shard the reader is shown stays in the
 * list when its period ends, closed, even if no record ever comes in it (as DynamoDB keeps a
 * shard that rolled over idle). Caller holds stream_lock (records are numbered under it).
 * A write refused (a full disk) is no error: the reader shows the shard without its marker. */
static int shard_open_now(eng_t *e, uint32_t id, int64_t now_ms)
{
    int64_t period = e->shard_ms ? e->shard_ms : 4 * 3600 * 1000;
    int64_t start = now_ms / period * period, last;
    int rc = last_marker(e, id, &last);
    if (rc < 0 || last >= start)
        return rc;
    uint8_t km[16], vm[8];
    kv_buf_t k, v;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    kv_buf_init_on(&v, vm, sizeof(vm), sizeof(vm));
    shard_key(&k, id, start);
    eng_key_put_u64(&v, e->stream_seq + 1);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_put(b, ENG_CF_STATE, kv_buf_slice(&k), kv_buf_slice(&v));
    if (eng__write(e, b) == 0) {
        size_t slot = id % (sizeof(e->shard_seen) / sizeof(e->shard_seen[0]));
        e->shard_seen[slot].id = id;
        e->shard_seen[slot].start = start;
    }
    eng_batch_free(b);
    return 0;
}

/* The shard markers of stream id at snap, oldest first. */
static int read_markers(eng_t *e, eng_snap_t *snap, uint32_t id, kv_arena_t *a, eng_shard_t **out,
                        size_t *n)
{
    uint8_t lm[16], hm[16];
    kv_buf_t lo, hi;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    kv_buf_append_byte(&lo, 'H');
    eng_key_put_u32(&lo, id);
    kv_buf_append_byte(&hi, 'H');
    eng_key_put_u32(&hi, id + 1);
    size_t cap = 8, cnt = 0;
    eng_shard_t *sh = kv_arena_calloc(a, cap, sizeof(*sh));
    eng_riter_t *it = eng_riter_new_at(e->rocks, snap, ENG_CF_STATE);
    for (eng_riter_seek(it, kv_buf_slice(&lo)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t k = eng_riter_key(it), v = eng_riter_value(it);
        if (kv_slice_cmp(k, kv_buf_slice(&hi)) >= 0)
            break;
        if (k.len != 13 || v.len != 8)
            continue;
        if (cnt == cap) {
            eng_shard_t *bigger = kv_arena_calloc(a, cap * 2, sizeof(*sh));
            memcpy(bigger, sh, cap * sizeof(*sh));
            sh = bigger;
            cap *= 2;
        }
        kv_slice_t ks = kv_slice(k.p + 5, 8);
        uint64_t start;
        eng_key_get_u64(&ks, &start);
        sh[cnt].start_ms = (int64_t)start;
        eng_key_get_u64(&v, &sh[cnt].first);
        cnt++;
    }
    int rc = eng_riter_status(it);
    eng_riter_free(it);
    *out = sh;
    *n = cnt;
    return rc;
}

static int read_bounds(eng_t *e, eng_snap_t *snap, uint32_t id, uint64_t next, uint64_t *first,
                       uint64_t *last, uint64_t *trimmed);

int eng_stream_layout(eng_t *e, uint32_t id, int64_t now_ms, kv_arena_t *a,
                      eng_stream_layout_t *out)
{
    memset(out, 0, sizeof(*out));
    /* Records and markers are committed under stream_lock: a snapshot taken under it holds
     * every number up to stream_seq, and the markers of their shards. */
    pthread_mutex_lock(&e->stream_lock);
    int rc = now_ms > 0 ? shard_open_now(e, id, now_ms) : 0;
    eng_snap_t *snap = eng_rocks_snapshot(e->rocks);
    uint64_t next = e->stream_seq + 1;
    pthread_mutex_unlock(&e->stream_lock);
    eng_shard_t *sh = NULL;
    size_t cnt = 0;
    if (rc == 0)
        rc = read_markers(e, snap, id, a, &sh, &cnt);
    if (rc == 0)
        rc = read_bounds(e, snap, id, next, &out->first, &out->last, &out->trimmed);
    eng_rocks_snapshot_release(e->rocks, snap);
    if (rc < 0)
        return rc;
    /* Records from before shards were marked belong to a shard from the stream's creation. */
    if (out->first <= out->last && (cnt == 0 || out->first < sh[0].first)) {
        eng_stream_t *s;
        int64_t created = eng_stream_get(e, id, a, &s) == 0 ? s->created_ms : 0;
        eng_shard_t *all = kv_arena_calloc(a, cnt + 1, sizeof(*all));
        all[0].start_ms = cnt && created >= sh[0].start_ms ? sh[0].start_ms - 1 : created;
        all[0].first = out->first;
        memcpy(all + 1, sh, cnt * sizeof(*sh));
        sh = all;
        cnt++;
    }
    out->shards = sh;
    out->n = cnt;
    return 0;
}

int eng_stream_shards(eng_t *e, uint32_t id, kv_arena_t *a, eng_shard_t **out, size_t *n)
{
    eng_stream_layout_t v;
    int rc = eng_stream_layout(e, id, 0, a, &v);
    *out = v.shards;
    *n = v.n;
    return rc;
}

int eng_stream_get(eng_t *e, uint32_t id, kv_arena_t *a, eng_stream_t **out)
{
    uint8_t km[8];
    kv_buf_t k, v;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    kv_buf_init(&v, 1 << 16);
    cat_key(&k, id);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0)
        rc = decode_stream(kv_arena_dup(a, kv_buf_slice(&v)), id, a, out);
    kv_buf_dispose(&v);
    return rc;
}

int eng_stream_list(eng_t *e, uint32_t after, size_t limit, kv_arena_t *a, eng_stream_t **out,
                    size_t *n, bool *more)
{
    *n = 0;
    *more = false;
    *out = kv_arena_calloc(a, limit ? limit : 1, sizeof(**out));
    uint8_t km[8];
    kv_buf_t k;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    cat_key(&k, after + 1);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len != 5 || key.p[0] != ENG_CAT_STREAM)
            break;
        kv_slice_t rest = kv_slice(key.p + 1, 4);
        uint32_t id;
        eng_key_get_u32(&rest, &id);
        eng_stream_t *s;
        rc = decode_stream(kv_arena_dup(a, eng_riter_value(it)), id, a, &s);
        if (rc < 0)
            break;
        if (s->pitr)
            continue;
        if (*n == limit) {
            *more = true;
            break;
        }
        (*out)[(*n)++] = *s;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc;
}

/* ---- reading ---- */

int eng__stream_init(eng_t *e)
{
    /* The largest number in use is the last record of some stream: look at each. */
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STREAMS);
    uint8_t km[8];
    kv_buf_t k;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    uint64_t max = 0;
    eng_riter_seek(it, KV_SLICE_LIT(""));
    while (eng_riter_valid(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len != REC_KEY_LEN)
            break;
        kv_slice_t s = key;
        uint32_t id;
        eng_key_get_u32(&s, &id);
        /* The stream's last record. */
        kv_buf_reset(&k);
        eng_key_put_u32(&k, id + 1);
        eng_riter_seek_before(it, kv_buf_slice(&k));
        if (eng_riter_valid(it) && eng_riter_key(it).len == REC_KEY_LEN) {
            kv_slice_t r = kv_slice(eng_riter_key(it).p + 8, 8);
            uint64_t seq;
            eng_key_get_u64(&r, &seq);
            if (seq > max)
                max = seq;
        }
        if (id == UINT32_MAX)
            break;
        eng_riter_seek(it, kv_buf_slice(&k));
    }
    int rc = eng_riter_status(it);
    eng_riter_free(it);
    e->stream_seq = max;
    pthread_mutex_init(&e->stream_lock, NULL);
    return rc;
}

/* R_KEYS, R_OLD, R_NEW: an item image. */
static int decode_image(kv_slice_t v, kv_arena_t *a, void *dst)
{
    return eng_item_decode(v, a, (eng_item_t **)dst);
}

static const eng_tlv_field_t rec_fields[] = {
    ENG_TLV_ROW(R_EVENT, ENG_TLV_ENUM, eng_srec_t, event, .max = ENG_EV_REMOVE),
    ENG_TLV_ROW(R_TIME, ENG_TLV_I64, eng_srec_t, time_ms),
    ENG_TLV_ROW(R_SERVICE, ENG_TLV_BOOL, eng_srec_t, service),
    ENG_TLV_ROW(R_KEYS, ENG_TLV_FN, eng_srec_t, keys, .required = true, .fn = decode_image),
    ENG_TLV_ROW(R_OLD, ENG_TLV_FN, eng_srec_t, old_img, .fn = decode_image),
    ENG_TLV_ROW(R_NEW, ENG_TLV_FN, eng_srec_t, new_img, .fn = decode_image),
    ENG_TLV_ROW(R_SIZE, ENG_TLV_U64, eng_srec_t, size_bytes),
};
_Static_assert(sizeof(size_t) == sizeof(uint64_t), "R_SIZE is decoded as a u64");

static int decode_rec(kv_slice_t key, kv_slice_t val, kv_arena_t *a, eng_srec_t *r)
{
    memset(r, 0, sizeof(*r));
    kv_slice_t ks = kv_slice(key.p + 8, 8);
    if (key.len != REC_KEY_LEN || eng_key_get_u64(&ks, &r->seq) < 0)
        return KV_ECORRUPT;
    return eng_tlv_decode(kv_arena_dup(a, val), rec_fields,
                          sizeof(rec_fields) / sizeof(*rec_fields), a, r);
}

/* State CF: 'T', stream id -> the last sequence number trimmed. */
static void trim_key(kv_buf_t *k, uint32_t id)
{
    kv_buf_append_byte(k, 'T');
    eng_key_put_u32(k, id);
}

static int read_bounds(eng_t *e, eng_snap_t *snap, uint32_t id, uint64_t next, uint64_t *first,
                       uint64_t *last, uint64_t *trimmed)
{
    uint8_t tm[8], vm[16];
    kv_buf_t tk, tv;
    kv_buf_init_on(&tk, tm, sizeof(tm), sizeof(tm));
    kv_buf_init_on(&tv, vm, sizeof(vm), sizeof(vm));
    trim_key(&tk, id);
    *trimmed = 0;
    int g = eng_rocks_get_at(e->rocks, snap, ENG_CF_STATE, kv_buf_slice(&tk), &tv);
    if (g == 0) {
        kv_slice_t s = kv_buf_slice(&tv);
        eng_key_get_u64(&s, trimmed);
    } else if (g != KV_ENOTFOUND) {
        return g;
    }
    uint8_t lm[REC_KEY_LEN], hm[8];
    kv_buf_t lo, hi;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    eng_key_put_u32(&lo, id);
    eng_key_put_u32(&hi, id + 1);
    eng_riter_t *it = eng_riter_new_at(e->rocks, snap, ENG_CF_STREAMS);
    *first = next;
    *last = next - 1;
    eng_riter_seek(it, kv_buf_slice(&lo));
    if (eng_riter_valid(it) && kv_slice_cmp(eng_riter_key(it), kv_buf_slice(&hi)) < 0) {
        kv_slice_t r = kv_slice(eng_riter_key(it).p + 8, 8);
        eng_key_get_u64(&r, first);
        eng_riter_seek_before(it, kv_buf_slice(&hi));
        if (eng_riter_valid(it)) {
            r = kv_slice(eng_riter_key(it).p + 8, 8);
            eng_key_get_u64(&r, last);
        }
    }
    int rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc;
}

int eng_stream_bounds(eng_t *e, uint32_t id, uint64_t *first, uint64_t *last, uint64_t *trimmed)
{
    /* The next number and the records from one view (see eng_stream_layout). */
    pthread_mutex_lock(&e->stream_lock);
    eng_snap_t *snap = eng_rocks_snapshot(e->rocks);
    uint64_t next = e->stream_seq + 1;
    pthread_mutex_unlock(&e->stream_lock);
    int rc = read_bounds(e, snap, id, next, first, last, trimmed);
    eng_rocks_snapshot_release(e->rocks, snap);
    return rc;
}

int eng_stream_read(eng_t *e, uint32_t id, uint64_t from, size_t limit, size_t max_bytes,
                    kv_arena_t *a, eng_srec_t **out, size_t *n)
{
    *n = 0;
    *out = kv_arena_calloc(a, limit ? limit : 1, sizeof(**out));
    uint8_t lm[REC_KEY_LEN];
    kv_buf_t lo;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    rec_key(&lo, id, from);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STREAMS);
    size_t bytes = 0;
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&lo)); eng_riter_valid(it) && *n < limit;
         eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len != REC_KEY_LEN || memcmp(key.p, lo.p, 8) != 0)
            break;
        kv_slice_t val = eng_riter_value(it);
        if (*n && bytes + val.len > max_bytes)
            break;
        rc = decode_rec(key, val, a, &(*out)[*n]);
        if (rc < 0)
            break;
        bytes += val.len;
        (*n)++;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc;
}

int eng_stream_walk_back(eng_t *e, uint32_t id, int64_t since_ms, kv_arena_t *a,
                         int (*cb)(void *arg, const eng_srec_t *r), void *arg)
{
    uint8_t hm[8];
    kv_buf_t hi;
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    eng_key_put_u32(&hi, id + 1);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STREAMS);
    int rc = 0;
    for (eng_riter_seek_before(it, kv_buf_slice(&hi)); eng_riter_valid(it); eng_riter_prev(it)) {
        kv_slice_t key = eng_riter_key(it);
        kv_slice_t ks = key;
        uint32_t kid;
        if (key.len != REC_KEY_LEN || eng_key_get_u32(&ks, &kid) < 0 || kid != id)
            break;
        eng_srec_t r;
        rc = decode_rec(key, eng_riter_value(it), a, &r);
        if (rc < 0 || r.time_ms <= since_ms)
            break;
        if ((rc = cb(arg, &r)) != 0)
            break;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc;
}

int eng_stream_trim(eng_t *e, int64_t now_ms, int64_t keep_ms, int64_t pitr_keep_ms)
{
    kv_arena_t *a = kv_arena_new(65536);
    uint32_t after = 0;
    int rc = 0;
    for (;;) {
        /* Every stream, PITR logs included (eng_stream_list leaves those out). */
        uint8_t km[8];
        kv_buf_t k;
        kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
        cat_key(&k, after + 1);
        eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
        eng_riter_seek(it, kv_buf_slice(&k));
        eng_stream_t *s = NULL;
        if (eng_riter_valid(it) && eng_riter_key(it).len == 5 &&
            eng_riter_key(it).p[0] == ENG_CAT_STREAM) {
            kv_slice_t rest = kv_slice(eng_riter_key(it).p + 1, 4);
            uint32_t id;
            eng_key_get_u32(&rest, &id);
            rc = decode_stream(kv_arena_dup(a, eng_riter_value(it)), id, a, &s);
        }
        eng_riter_free(it);
        if (s == NULL || rc < 0)
            break;
        after = s->id;
        int64_t keep = s->pitr ? pitr_keep_ms : keep_ms;
        uint8_t lm[REC_KEY_LEN], hm[REC_KEY_LEN + 8];
        kv_buf_t lo, hi;
        kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
        kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
        eng_key_put_u32(&lo, s->id);
        eng_batch_t *b = eng_batch_new(e->rocks);
        if (s->disabled_ms && s->disabled_ms < now_ms - keep) {
            /* A stream no table writes to, past its retention: gone with its records. */
            eng_key_put_u32(&hi, s->id + 1);
            eng_batch_delete_range(b, ENG_CF_STREAMS, kv_buf_slice(&lo), kv_buf_slice(&hi));
            kv_buf_reset(&k);
            cat_key(&k, s->id);
            eng_batch_delete(b, ENG_CF_CATALOG, kv_buf_slice(&k));
            kv_buf_reset(&k);
            trim_key(&k, s->id);
            eng_batch_delete(b, ENG_CF_STATE, kv_buf_slice(&k));
            uint8_t sl[8], sh[8];
            kv_buf_t slo, shi;
            kv_buf_init_on(&slo, sl, sizeof(sl), sizeof(sl));
            kv_buf_init_on(&shi, sh, sizeof(sh), sizeof(sh));
            kv_buf_append_byte(&slo, 'H');
            eng_key_put_u32(&slo, s->id);
            kv_buf_append_byte(&shi, 'H');
            eng_key_put_u32(&shi, s->id + 1);
            eng_batch_delete_range(b, ENG_CF_STATE, kv_buf_slice(&slo), kv_buf_slice(&shi));
        } else {
            /* Records in number order are in time order: delete up to the first one kept. */
            eng_riter_t *ri = eng_riter_new(e->rocks, ENG_CF_STREAMS);
            kv_arena_t *ra = kv_arena_new(65536);
            size_t dropped = 0;
            for (eng_riter_seek(ri, kv_buf_slice(&lo)); eng_riter_valid(ri); eng_riter_next(ri)) {
                kv_slice_t key = eng_riter_key(ri);
                if (key.len != REC_KEY_LEN || memcmp(key.p, lo.p, 4) != 0)
                    break;
                eng_srec_t r;
                if (decode_rec(key, eng_riter_value(ri), ra, &r) < 0 || r.time_ms >= now_ms - keep)
                    break;
                kv_buf_reset(&hi);
                kv_buf_append_slice(&hi, key);
                dropped++;
                kv_arena_reset(ra);
            }
            eng_riter_free(ri);
            kv_arena_free(ra);
            eng_stream_layout_t v;
            int vrc = eng_stream_layout(e, s->id, 0, a, &v);
            uint64_t kept = v.first; /* the first number a record kept may have */
            if (dropped) {
                kv_slice_t last = kv_slice(hi.p + 8, 8);
                uint64_t seq;
                eng_key_get_u64(&last, &seq);
                kept = seq + 1;
                kv_buf_append_byte(&hi, 0); /* just past the last one dropped */
                eng_batch_delete_range(b, ENG_CF_STREAMS, kv_buf_slice(&lo), kv_buf_slice(&hi));
                uint8_t tm[8], vm[8];
                kv_buf_t tk, tv;
                kv_buf_init_on(&tk, tm, sizeof(tm), sizeof(tm));
                kv_buf_init_on(&tv, vm, sizeof(vm), sizeof(vm));
                trim_key(&tk, s->id);
                eng_key_put_u64(&tv, seq);
                eng_batch_put(b, ENG_CF_STATE, kv_buf_slice(&tk), kv_buf_slice(&tv));
            }
            /* Shards that hold no record kept go: each whose successor starts at or before the
             * first record kept, when records were trimmed from it now or when it closed
             * before the retention began (a shard a reader was shown that no record came
             * in). */
            for (size_t i = 0; vrc == 0 && i + 1 < v.n && v.shards[i + 1].first <= kept &&
                               (dropped || v.shards[i + 1].start_ms <= now_ms - keep);
                 i++) {
                uint8_t km2[16];
                kv_buf_t k2;
                kv_buf_init_on(&k2, km2, sizeof(km2), sizeof(km2));
                shard_key(&k2, s->id, v.shards[i].start_ms);
                eng_batch_delete(b, ENG_CF_STATE, kv_buf_slice(&k2));
            }
        }
        rc = eng_rocks_write(e->rocks, b);
        eng_batch_free(b);
        if (rc < 0)
            break;
    }
    kv_arena_free(a);
    return rc;
}
