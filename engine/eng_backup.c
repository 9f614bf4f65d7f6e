/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Table backups. A backup is a RocksDB checkpoint (hard links to the database's files, so a
 * backup of a large table costs almost nothing and is consistent) in dir/backups/<id>, plus a
 * catalog record: its name, the source table's name and record, and when it was taken.
 * Restoring copies the source table's items out of the checkpoint into a new table id, then
 * makes the table visible with one catalog write.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "eng_int.h"
#include "eng_tlv.h"

enum { K_NAME = 1, K_TABLE, K_CREATED, K_TABLE_REC, K_SIZE };

#define BACKUP_REC_VERSION 1
#define BACKUP_REC_MAX     (2u << 20)

static void backup_dir(const eng_t *e, kv_slice_t id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/backups/%.*s", e->dir, (int)id.len, (const char *)id.p);
}

/* Remove a checkpoint directory (files only, no subdirectories). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        char path[4096];
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* A K_TABLE_REC value: the source table's record. */
static int decode_def(kv_slice_t v, kv_arena_t *a, void *dst)
{
    return eng__table_decode(v, a, (eng_table_t **)dst);
}

static const eng_tlv_field_t backup_fields[] = {
    ENG_TLV_ROW(K_NAME, ENG_TLV_STR, eng_backup_t, name),
    ENG_TLV_ROW(K_TABLE, ENG_TLV_STR, eng_backup_t, table),
    ENG_TLV_ROW(K_CREATED, ENG_TLV_I64, eng_backup_t, created_ms),
    ENG_TLV_ROW(K_TABLE_REC, ENG_TLV_FN, eng_backup_t, def, .required = true, .fn = decode_def),
    ENG_TLV_ROW(K_SIZE, ENG_TLV_U64, eng_backup_t, size_bytes),
};

static int decode_backup(kv_slice_t id, kv_slice_t in, kv_arena_t *a, eng_backup_t *b)
{
    memset(b, 0, sizeof(*b));
    if (in.len < 1 || in.p[0] != BACKUP_REC_VERSION)
        return KV_ECORRUPT;
    b->id = kv_arena_strndup(a, id.p, id.len);
    return eng_tlv_decode(kv_slice(in.p + 1, in.len - 1), backup_fields,
                          sizeof(backup_fields) / sizeof(*backup_fields), a, b);
}

int eng_backup_create(eng_t *e, kv_slice_t table, const char *name, kv_arena_t *a,
                      eng_backup_t **out)
{
    kv_buf_t k, v, rec;
    kv_buf_init(&k, 1024);
    kv_buf_init(&v, BACKUP_REC_MAX);
    kv_buf_init(&rec, 1 << 20);
    eng__cat_key(&k, ENG_CAT_TABLE, table);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &rec);
    char id[32], dir[4096], parent[4096];
    int64_t now = kv_now_ms();
    uint32_t rnd;
    kv_random(&rnd, sizeof(rnd));
    snprintf(id, sizeof(id), "%013lld-%08x", (long long)now, rnd);
    if (rc == 0) {
        snprintf(parent, sizeof(parent), "%s/backups", e->dir);
        if (mkdir(parent, 0755) < 0 && errno != EEXIST)
            rc = KV_EIO;
    }
    backup_dir(e, kv_slice_str(id), dir, sizeof(dir));
    if (rc == 0)
        rc = eng_rocks_checkpoint(e->rocks, dir);
    if (rc == 0) {
        kv_buf_append_byte(&v, BACKUP_REC_VERSION);
        eng_tlv_put_str(&v, K_NAME, name);
        eng_tlv_put(&v, K_TABLE, table);
        eng_tlv_put_u64(&v, K_CREATED, (uint64_t)now);
        eng_tlv_put(&v, K_TABLE_REC, kv_buf_slice(&rec));
        kv_buf_reset(&k);
        eng__cat_key(&k, ENG_CAT_BACKUP, kv_slice_str(id));
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
        rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
        eng_batch_free(b);
        if (rc < 0)
            remove_dir(dir);
    }
    if (rc == 0) {
        eng_backup_t *bk = kv_arena_alloc(a, sizeof(*bk));
        rc = decode_backup(kv_slice_str(id), kv_buf_slice(&v), a, bk);
        if (rc == 0)
            *out = bk;
    }
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    kv_buf_dispose(&rec);
    return rc;
}

int eng_backup_get(eng_t *e, kv_slice_t id, kv_arena_t *a, eng_backup_t **out)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 256);
    kv_buf_init(&v, BACKUP_REC_MAX);
    eng__cat_key(&k, ENG_CAT_BACKUP, id);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0) {
        eng_backup_t *bk = kv_arena_alloc(a, sizeof(*bk));
        rc = decode_backup(id, kv_buf_slice(&v), a, bk);
        if (rc == 0)
            *out = bk;
    }
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

typedef struct backup_page {
    kv_arena_t *a;
    eng_backup_t *out;
} backup_page_t;

static int take_backup(void *arg, size_t i, kv_slice_t id, kv_slice_t value)
{
    backup_page_t *p = arg;
    return decode_backup(id, value, p->a, &p->out[i]);
}

int eng_backup_list(eng_t *e, kv_slice_t after, size_t limit, kv_arena_t *a, eng_backup_t **out,
                    size_t *n, bool *more)
{
    backup_page_t p = {a, kv_arena_calloc(a, limit ? limit : 1, sizeof(**out))};
    *out = p.out;
    return eng__cat_page(e, ENG_CAT_BACKUP, after, limit, take_backup, &p, n, more);
}

int eng_backup_delete(eng_t *e, kv_slice_t id)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 256);
    kv_buf_init(&v, BACKUP_REC_MAX);
    eng__cat_key(&k, ENG_CAT_BACKUP, id);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0) {
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_delete(b, ENG_CF_CATALOG, kv_buf_slice(&k));
        rc = eng__write(e, b);
        eng_batch_free(b);
    }
    if (rc == 0) {
        char dir[4096];
        backup_dir(e, id, dir, sizeof(dir));
        remove_dir(dir);
    }
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

/* Copy the items of table old_id in src into table new_id here, in batches (with their index
 * entries unless base_only). */
static int copy_items(eng_t *e, eng_rocks_t *src, eng_snap_t *snap, uint32_t old_id,
                      uint32_t new_id, bool base_only, uint64_t *count)
{
    uint8_t lm[8], hm[8], om[8], nm[8];
    kv_buf_t lo, hi, op, np;
    kv_buf_init_on(&lo, lm, sizeof(lm), sizeof(lm));
    kv_buf_init_on(&hi, hm, sizeof(hm), sizeof(hm));
    kv_buf_init_on(&op, om, sizeof(om), sizeof(om));
    kv_buf_init_on(&np, nm, sizeof(nm), sizeof(nm));
    eng_key_table_prefix(&lo, old_id);
    if (base_only) {
        eng_key_table_prefix(&hi, old_id);
        kv_buf_append_byte(&hi, 1); /* index 0: the items themselves */
    } else {
        eng_key_table_prefix(&hi, old_id + 1);
    }
    eng_key_table_prefix(&np, new_id);
    kv_buf_t key;
    kv_buf_init(&key, 1 << 16);
    eng_riter_t *it =
        snap ? eng_riter_new_at(src, snap, ENG_CF_ITEMS) : eng_riter_new(src, ENG_CF_ITEMS);
    eng_batch_t *b = eng_batch_new(e->rocks);
    size_t in_batch = 0;
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&lo)); rc == 0 && eng_riter_valid(it);
         eng_riter_next(it)) {
        kv_slice_t k = eng_riter_key(it);
        if (kv_slice_cmp(k, kv_buf_slice(&hi)) >= 0)
            break;
        kv_buf_reset(&key);
        kv_buf_append_slice(&key, kv_buf_slice(&np));
        kv_buf_append(&key, k.p + lo.len, k.len - lo.len);
        eng_batch_put(b, ENG_CF_ITEMS, kv_buf_slice(&key), eng_riter_value(it));
        (*count)++;
        if (++in_batch == 1000) {
            rc = eng_rocks_write(e->rocks, b);
            eng_batch_free(b);
            b = eng_batch_new(e->rocks);
            in_batch = 0;
        }
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    if (rc == 0 && in_batch)
        rc = eng_rocks_write(e->rocks, b);
    eng_batch_free(b);
    eng_riter_free(it);
    kv_buf_dispose(&key);
    return rc;
}

int eng_backup_restore(eng_t *e, kv_slice_t id, const char *target, kv_arena_t *a,
                       eng_table_t **out)
{
    eng_backup_t *bk;
    int rc = eng_backup_get(e, id, a, &bk);
    if (rc < 0)
        return rc;
    eng_table_t *cur;
    rc = eng_table_get(e, kv_slice_str(target), a, &cur);
    if (rc == 0)
        return KV_EEXIST;
    if (rc != KV_ENOTFOUND)
        return rc;
    char dir[4096];
    backup_dir(e, id, dir, sizeof(dir));
    eng_rocks_t *src;
    rc = eng_rocks_open(dir, false, 0, &src);
    if (rc < 0)
        return rc;
    /* The items go in under a fresh id no table names yet; one catalog write then makes the
     * table appear whole. (Ids are never reused; a crash in between leaves unnamed items.) */
    uint32_t new_id;
    rc = eng__take_id(e, &new_id);
    if (rc < 0) {
        eng_rocks_close(src);
        return rc;
    }
    uint64_t count = 0;
    rc = copy_items(e, src, NULL, bk->def->id, new_id, false, &count);
    eng_rocks_close(src);
    if (rc < 0)
        return rc;
    eng_table_t *t = kv_arena_alloc(a, sizeof(*t));
    *t = *bk->def;
    t->name = kv_arena_strndup(a, target, strlen(target));
    t->stream_enabled = false; /* a restored table starts without a stream */
    t->stream_view = ENG_STREAM_NONE;
    t->pitr = false;
    t->ttl_attr = NULL; /* as in DynamoDB, TTL is not restored */
    rc = eng__table_install(e, t, new_id);
    if (rc == 0)
        *out = t;
    return rc;
}

/* ---- point-in-time recovery ---- */

typedef struct undo {
    eng_t *e;
    const eng_table_t *t;
    uint32_t new_id;
    eng_batch_t *b;
    size_t n;
    kv_buf_t v;
} undo_t;

/* Put one record's change back: the item as it was before it (or no item). */
static int undo_one(void *arg, const eng_srec_t *r)
{
    undo_t *u = arg;
    const eng_av_t *pk = eng_item_get_attr(r->keys, kv_slice_str(u->t->hash_key));
    const eng_av_t *sk =
        u->t->range_key ? eng_item_get_attr(r->keys, kv_slice_str(u->t->range_key)) : NULL;
    kv_arena_t *a = kv_arena_new(4096);
    kv_slice_t key;
    int rc = eng_item_key(u->t, pk, sk, a, &key);
    if (rc == 0 && key.len >= 4) {
        uint8_t *k = (uint8_t *)(uintptr_t)key.p;
        k[0] = (uint8_t)(u->new_id >> 24);
        k[1] = (uint8_t)(u->new_id >> 16);
        k[2] = (uint8_t)(u->new_id >> 8);
        k[3] = (uint8_t)u->new_id;
        if (r->old_img) {
            kv_buf_reset(&u->v);
            eng_item_encode(r->old_img, &u->v);
            eng_batch_put(u->b, ENG_CF_ITEMS, key, kv_buf_slice(&u->v));
        } else {
            eng_batch_delete(u->b, ENG_CF_ITEMS, key);
        }
        if (++u->n % 1000 == 0) {
            rc = eng_rocks_write(u->e->rocks, u->b);
            eng_batch_free(u->b);
            u->b = eng_batch_new(u->e->rocks);
        }
    }
    kv_arena_free(a);
    return rc < 0 ? rc : 0;
}

int eng__pitr_stage(eng_t *e, const eng_table_t *t, int64_t at_ms, uint32_t new_id)
{
    /* The table as it is now, then every change after at_ms undone, newest first: each key
     * ends as the old image of its earliest change after at_ms, its state at that time.
     * (A change committed while this runs is undone too: its old image is what was copied.) */
    uint64_t count = 0;
    eng_snap_t *snap = eng_rocks_snapshot(e->rocks);
    int rc = copy_items(e, e->rocks, snap, t->id, new_id, true, &count);
    eng_rocks_snapshot_release(e->rocks, snap);
    if (rc < 0)
        return rc;
    undo_t u = {e, t, new_id, eng_batch_new(e->rocks), 0, {0}};
    kv_buf_init(&u.v, 2 * ENG_ITEM_MAX_BYTES + 65536);
    kv_arena_t *wa = kv_arena_new(65536);
    rc = eng_stream_walk_back(e, t->pitr_log_id, at_ms, wa, undo_one, &u);
    if (rc == 0)
        rc = eng_rocks_write(e->rocks, u.b);
    eng_batch_free(u.b);
    kv_buf_dispose(&u.v);
    kv_arena_free(wa);
    return rc;
}

int eng_pitr_restore(eng_t *e, kv_slice_t source, const char *target, int64_t at_ms, kv_arena_t *a,
                     eng_table_t **out)
{
    eng_table_t *t, *cur;
    int rc = eng_table_get(e, source, a, &t);
    if (rc < 0)
        return rc;
    if (!t->pitr || t->pitr_log_id == 0)
        return KV_EINVAL;
    rc = eng_table_get(e, kv_slice_str(target), a, &cur);
    if (rc == 0)
        return KV_EEXIST;
    if (rc != KV_ENOTFOUND)
        return rc;
    uint32_t new_id;
    rc = eng__take_id(e, &new_id);
    if (rc < 0)
        return rc;
    rc = eng__pitr_stage(e, t, at_ms, new_id);
    if (rc < 0)
        return rc;
    eng_table_t *nt = kv_arena_alloc(a, sizeof(*nt));
    *nt = *t;
    nt->name = kv_arena_strndup(a, target, strlen(target));
    nt->ttl_attr = NULL;
    /* Index entries are rebuilt from the restored items by the backfill. */
    nt->indexes = kv_arena_calloc(a, t->n_indexes + 1, sizeof(*nt->indexes));
    for (size_t i = 0; i < t->n_indexes; i++) {
        nt->indexes[i] = t->indexes[i];
        nt->indexes[i].creating = true;
    }
    rc = eng__table_install(e, nt, new_id);
    if (rc == 0)
        *out = nt;
    return rc;
}
