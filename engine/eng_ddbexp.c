/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's exports to S3 (issue 17, package E): the table frozen as it was at a point in
 * time. An export stages the table's items as they were at its export time (the PITR log
 * undone, as RestoreTableToPointInTime does) under an id no table names, so the export job can
 * read them in bounded steps, across restarts, whatever the table does meanwhile; an
 * incremental export also stages the keys its window changed, each with its last write time.
 * The staged ranges are dropped when the export ends.
 */
#include <string.h>

#include "eng_int.h"
#include "eng_keys.h"

int eng_export_take_id(eng_t *e, uint32_t *id)
{
    return eng__take_id(e, id);
}

static int pitr_table(eng_t *e, kv_slice_t table, kv_arena_t *a, eng_table_t **t)
{
    int rc = eng_table_get(e, table, a, t);
    if (rc < 0)
        return rc;
    if (!(*t)->pitr || (*t)->pitr_log_id == 0)
        return KV_EINVAL;
    return 0;
}

int eng_export_stage(eng_t *e, kv_slice_t table, int64_t at_ms, uint32_t stage_id)
{
    kv_arena_t *a = kv_arena_new(4096);
    eng_table_t *t;
    int rc = pitr_table(e, table, a, &t);
    if (rc == 0)
        rc = eng__pitr_stage(e, t, at_ms, stage_id);
    kv_arena_free(a);
    return rc;
}

/* The staged key of an item's keys under id (the item key with the table id replaced). */
static int staged_key(const eng_table_t *t, const eng_item_t *keys, uint32_t id, kv_arena_t *a,
                      kv_slice_t *out)
{
    const eng_av_t *pk = eng_item_get_attr(keys, kv_slice_str(t->hash_key));
    const eng_av_t *sk = t->range_key ? eng_item_get_attr(keys, kv_slice_str(t->range_key)) : NULL;
    int rc = eng_item_key(t, pk, sk, a, out);
    if (rc < 0 || out->len < 4)
        return rc < 0 ? rc : KV_EINVAL;
    uint8_t *k = (uint8_t *)(uintptr_t)out->p;
    k[0] = (uint8_t)(id >> 24);
    k[1] = (uint8_t)(id >> 16);
    k[2] = (uint8_t)(id >> 8);
    k[3] = (uint8_t)id;
    return 0;
}

int eng_export_stage_changes(eng_t *e, kv_slice_t table, int64_t from_ms, int64_t to_ms,
                             uint32_t stage_id)
{
    kv_arena_t *a = kv_arena_new(65536);
    eng_table_t *t;
    int rc = pitr_table(e, table, a, &t);
    uint64_t first = 0, last = 0, trimmed = 0;
    if (rc == 0)
        rc = eng_stream_bounds(e, t->pitr_log_id, &first, &last, &trimmed);
    eng_batch_t *b = eng_batch_new(e->rocks);
    size_t in_batch = 0;
    /* Forward through the log: a key's later change overwrites its earlier time. */
    for (uint64_t seq = first; rc == 0 && seq <= last;) {
        kv_arena_t *pa = kv_arena_new(65536);
        eng_srec_t *recs;
        size_t n = 0;
        rc = eng_stream_read(e, t->pitr_log_id, seq, 256, 4u << 20, pa, &recs, &n);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            seq = recs[i].seq + 1;
            if (recs[i].time_ms < from_ms || recs[i].time_ms >= to_ms)
                continue;
            kv_slice_t key;
            if (staged_key(t, recs[i].keys, stage_id, pa, &key) < 0)
                continue;
            uint8_t v[8];
            uint64_t us = (uint64_t)recs[i].time_ms * 1000;
            for (int j = 0; j < 8; j++)
                v[j] = (uint8_t)(us >> (56 - 8 * j));
            eng_batch_put(b, ENG_CF_ITEMS, key, kv_slice(v, sizeof(v)));
            if (++in_batch == 1000) {
                rc = eng_rocks_write(e->rocks, b);
                eng_batch_free(b);
                b = eng_batch_new(e->rocks);
                in_batch = 0;
            }
        }
        kv_arena_free(pa);
        if (n == 0)
            break;
    }
    if (rc == 0 && in_batch)
        rc = eng_rocks_write(e->rocks, b);
    eng_batch_free(b);
    kv_arena_free(a);
    return rc;
}

int eng_export_read(eng_t *e, uint32_t stage_id, kv_buf_t *after, size_t max_items,
                    size_t max_bytes, kv_arena_t *a,
                    int (*take)(void *arg, kv_slice_t key, kv_slice_t val), void *arg)
{
    uint8_t lm[8], hm[8];
    kv_buf_t lo, hi;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    eng_key_table_prefix(&lo, stage_id);
    eng_key_table_prefix(&hi, stage_id);
    kv_buf_append_byte(&hi, 1);
    (void)a;
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_ITEMS);
    size_t n = 0, bytes = 0;
    int rc = 0, more = 0;
    if (after->len)
        eng_riter_seek(it, kv_buf_slice(after));
    else
        eng_riter_seek(it, kv_buf_slice(&lo));
    if (after->len && eng_riter_valid(it) && kv_slice_eq(eng_riter_key(it), kv_buf_slice(after)))
        eng_riter_next(it);
    for (; eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t k = eng_riter_key(it);
        if (kv_slice_cmp(k, kv_buf_slice(&hi)) >= 0)
            break;
        if (n == max_items || (max_bytes && bytes >= max_bytes)) {
            more = 1;
            break;
        }
        kv_slice_t v = eng_riter_value(it);
        rc = take(arg, k, v);
        if (rc < 0)
            break;
        kv_buf_reset(after);
        kv_buf_append_slice(after, k);
        n++;
        bytes += v.len;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc < 0 ? rc : more;
}

int eng_export_get(eng_t *e, uint32_t stage_id, kv_slice_t staged_key, kv_arena_t *a,
                   eng_item_t **out)
{
    if (staged_key.len < 4)
        return KV_ENOTFOUND;
    kv_buf_t k;
    kv_buf_init(&k, staged_key.len);
    kv_buf_append_slice(&k, staged_key);
    k.p[0] = (uint8_t)(stage_id >> 24);
    k.p[1] = (uint8_t)(stage_id >> 16);
    k.p[2] = (uint8_t)(stage_id >> 8);
    k.p[3] = (uint8_t)stage_id;
    kv_buf_t v;
    kv_buf_init(&v, 2 * ENG_ITEM_MAX_BYTES + 65536);
    int rc = eng_rocks_get(e->rocks, ENG_CF_ITEMS, kv_buf_slice(&k), &v);
    kv_buf_dispose(&k);
    if (rc == 0) /* the item's values point into its bytes: they live in a */
        rc = eng_item_decode(kv_arena_dup(a, kv_buf_slice(&v)), a, out);
    kv_buf_dispose(&v);
    return rc;
}

int eng_export_drop(eng_t *e, uint32_t stage_id)
{
    if (stage_id == 0)
        return 0;
    uint8_t lm[8], hm[8];
    kv_buf_t lo, hi;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    eng_key_table_prefix(&lo, stage_id);
    eng_key_table_prefix(&hi, stage_id + 1);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_delete_range(b, ENG_CF_ITEMS, kv_buf_slice(&lo), kv_buf_slice(&hi));
    int rc = eng_rocks_write(e->rocks, b);
    eng_batch_free(b);
    return rc;
}
