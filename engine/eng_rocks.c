/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The only file that includes <rocksdb/c.h>. Every call that can fail starts
 * with `char *err = NULL`; on error the text is logged once, freed with
 * rocksdb_free and mapped to a KV_E* code.
 */
#include "eng_rocks.h"

#include <rocksdb/c.h>
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_err.h"
#include "base/kv_log.h"

static const char *const cf_names[ENG_CF__COUNT] = {
    "default", "catalog", "items", "objects", "blobs", "streams", "state",
};

struct eng_rocks {
    rocksdb_t *db;
    rocksdb_options_t *db_opts;
    rocksdb_options_t *cf_opts[ENG_CF__COUNT];
    rocksdb_column_family_handle_t *cf[ENG_CF__COUNT];
    rocksdb_readoptions_t *ropts;
    rocksdb_writeoptions_t *wopts;
    rocksdb_cache_t *cache;
    rocksdb_block_based_table_options_t *bbto;
    bool wal;
};

struct eng_batch {
    rocksdb_writebatch_t *wb;
    eng_rocks_t *r;
};

struct eng_riter {
    rocksdb_iterator_t *it;
};

static int fail(const char *what, char *err)
{
    int rc = KV_EIO;
    if (strstr(err, "lock") || strstr(err, "LOCK"))
        rc = KV_ELOCKED;
    else if (strstr(err, "Corruption"))
        rc = KV_ECORRUPT;
    KV_LOG_ERROR("rocksdb %s: %s", what, err);
    rocksdb_free(err);
    return rc;
}

int eng_rocks_open(const char *dir, bool wal, eng_rocks_t **out)
{
    char *err = NULL;
    eng_rocks_t *r = kv_calloc(1, sizeof(*r));
    r->wal = wal;
    r->cache = rocksdb_cache_create_lru(64u << 20);
    r->bbto = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(r->bbto, r->cache);
    rocksdb_block_based_options_set_filter_policy(r->bbto,
                                                  rocksdb_filterpolicy_create_bloom_full(10));
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(r->bbto, 1);

    r->db_opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->db_opts, 1);
    rocksdb_options_set_create_missing_column_families(r->db_opts, 1);
    rocksdb_options_increase_parallelism(r->db_opts, 2);
    rocksdb_options_set_info_log_level(r->db_opts, 2 /* WARN */);
    rocksdb_options_set_keep_log_file_num(r->db_opts, 4);
    rocksdb_options_set_max_log_file_size(r->db_opts, 8u << 20);
    rocksdb_options_enable_statistics(r->db_opts);

    const rocksdb_options_t *cfo[ENG_CF__COUNT];
    for (int i = 0; i < ENG_CF__COUNT; i++) {
        rocksdb_options_t *o = rocksdb_options_create_copy(r->db_opts);
        rocksdb_options_set_block_based_table_factory(o, r->bbto);
        rocksdb_options_set_compression(o, rocksdb_lz4_compression);
        if (i == ENG_CF_BLOBS) {
            /* Object bytes: values go to blob files, keys stay in the LSM. */
            rocksdb_options_set_enable_blob_files(o, 1);
            rocksdb_options_set_min_blob_size(o, 1024);
            rocksdb_options_set_enable_blob_gc(o, 1);
            rocksdb_options_set_compression(o, rocksdb_no_compression);
        }
        r->cf_opts[i] = o;
        cfo[i] = o;
    }
    r->db =
        rocksdb_open_column_families(r->db_opts, dir, ENG_CF__COUNT, cf_names, cfo, r->cf, &err);
    if (err) {
        int rc = fail("open", err);
        r->db = NULL;
        eng_rocks_close(r);
        return rc;
    }
    r->ropts = rocksdb_readoptions_create();
    r->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(r->wopts, 0);
    if (!wal)
        rocksdb_writeoptions_disable_WAL(r->wopts, 1);
    *out = r;
    return 0;
}

void eng_rocks_close(eng_rocks_t *r)
{
    if (r == NULL)
        return;
    if (r->db) {
        if (!r->wal) {
            /* Without a WAL the memtables are the only copy: flush them. */
            char *err = NULL;
            rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
            rocksdb_flushoptions_set_wait(fo, 1);
            for (int i = 0; i < ENG_CF__COUNT; i++) {
                rocksdb_flush_cf(r->db, fo, r->cf[i], &err);
                if (err) {
                    fail("flush", err);
                    err = NULL;
                }
            }
            rocksdb_flushoptions_destroy(fo);
        }
        for (int i = 0; i < ENG_CF__COUNT; i++)
            if (r->cf[i])
                rocksdb_column_family_handle_destroy(r->cf[i]);
        rocksdb_close(r->db);
    }
    if (r->ropts)
        rocksdb_readoptions_destroy(r->ropts);
    if (r->wopts)
        rocksdb_writeoptions_destroy(r->wopts);
    for (int i = 0; i < ENG_CF__COUNT; i++)
        if (r->cf_opts[i])
            rocksdb_options_destroy(r->cf_opts[i]);
    if (r->db_opts)
        rocksdb_options_destroy(r->db_opts);
    if (r->bbto)
        rocksdb_block_based_options_destroy(r->bbto);
    if (r->cache)
        rocksdb_cache_destroy(r->cache);
    kv_free(r);
}

int eng_rocks_get(eng_rocks_t *r, eng_cf_t cf, kv_slice_t key, kv_buf_t *out)
{
    return eng_rocks_get_at(r, NULL, cf, key, out);
}

struct eng_snap {
    const rocksdb_snapshot_t *snap;
    rocksdb_readoptions_t *ro;
    rocksdb_readoptions_t *ro_trusted; /* the same view without RocksDB's checksum checks */
};

eng_snap_t *eng_rocks_snapshot(eng_rocks_t *r)
{
    eng_snap_t *s = kv_malloc(sizeof(*s));
    s->snap = rocksdb_create_snapshot(r->db);
    s->ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_snapshot(s->ro, s->snap);
    s->ro_trusted = rocksdb_readoptions_create();
    rocksdb_readoptions_set_snapshot(s->ro_trusted, s->snap);
    rocksdb_readoptions_set_verify_checksums(s->ro_trusted, 0);
    return s;
}

void eng_rocks_snapshot_release(eng_rocks_t *r, eng_snap_t *s)
{
    if (s == NULL)
        return;
    rocksdb_readoptions_destroy(s->ro);
    rocksdb_readoptions_destroy(s->ro_trusted);
    rocksdb_release_snapshot(r->db, s->snap);
    kv_free(s);
}

static int get_with(eng_rocks_t *r, rocksdb_readoptions_t *ro, eng_cf_t cf, kv_slice_t key,
                    kv_buf_t *out);

int eng_rocks_get_at(eng_rocks_t *r, eng_snap_t *s, eng_cf_t cf, kv_slice_t key, kv_buf_t *out)
{
    return get_with(r, s ? s->ro : r->ropts, cf, key, out);
}

int eng_rocks_get_self_checked(eng_rocks_t *r, eng_snap_t *s, eng_cf_t cf, kv_slice_t key,
                               kv_buf_t *out)
{
    return get_with(r, s->ro_trusted, cf, key, out);
}

static int get_with(eng_rocks_t *r, rocksdb_readoptions_t *ro, eng_cf_t cf, kv_slice_t key,
                    kv_buf_t *out)
{
    char *err = NULL;
    rocksdb_pinnableslice_t *ps =
        rocksdb_get_pinned_cf(r->db, ro, r->cf[cf], (const char *)key.p, key.len, &err);
    if (err)
        return fail("get", err);
    if (ps == NULL)
        return KV_ENOTFOUND;
    size_t n;
    const char *v = rocksdb_pinnableslice_value(ps, &n);
    kv_buf_append(out, v, n);
    rocksdb_pinnableslice_destroy(ps);
    return kv_buf_failed(out) ? KV_ETOOBIG : 0;
}

eng_batch_t *eng_batch_new(eng_rocks_t *r)
{
    eng_batch_t *b = kv_malloc(sizeof(*b));
    b->wb = rocksdb_writebatch_create();
    b->r = r;
    return b;
}

void eng_batch_free(eng_batch_t *b)
{
    if (b == NULL)
        return;
    rocksdb_writebatch_destroy(b->wb);
    kv_free(b);
}

size_t eng_batch_count(eng_batch_t *b)
{
    return (size_t)rocksdb_writebatch_count(b->wb);
}

void eng_batch_put(eng_batch_t *b, eng_cf_t cf, kv_slice_t key, kv_slice_t val)
{
    rocksdb_writebatch_put_cf(b->wb, b->r->cf[cf], (const char *)key.p, key.len,
                              (const char *)val.p, val.len);
}

void eng_batch_delete(eng_batch_t *b, eng_cf_t cf, kv_slice_t key)
{
    rocksdb_writebatch_delete_cf(b->wb, b->r->cf[cf], (const char *)key.p, key.len);
}

void eng_batch_delete_range(eng_batch_t *b, eng_cf_t cf, kv_slice_t begin, kv_slice_t end)
{
    rocksdb_writebatch_delete_range_cf(b->wb, b->r->cf[cf], (const char *)begin.p, begin.len,
                                       (const char *)end.p, end.len);
}

int eng_rocks_write(eng_rocks_t *r, eng_batch_t *b)
{
    char *err = NULL;
    rocksdb_write(r->db, r->wopts, b->wb, &err);
    if (err)
        return fail("write", err);
    return 0;
}

int eng_rocks_sync_wal(eng_rocks_t *r)
{
    char *err = NULL;
    if (!r->wal)
        return 0;
    rocksdb_flush_wal(r->db, 1, &err);
    if (err)
        return fail("sync wal", err);
    return 0;
}

uint64_t eng_rocks_seq(eng_rocks_t *r)
{
    return rocksdb_get_latest_sequence_number(r->db);
}

bool eng_rocks_property(eng_rocks_t *r, int cf, const char *name, uint64_t *out)
{
    if (cf < 0) {
        uint64_t sum = 0, v;
        for (int i = 0; i < ENG_CF__COUNT; i++)
            if (rocksdb_property_int_cf(r->db, r->cf[i], name, &v) == 0)
                sum += v;
        *out = sum;
        return true;
    }
    return rocksdb_property_int_cf(r->db, r->cf[cf], name, out) == 0;
}

void eng_rocks_tickers(eng_rocks_t *r, eng_rocks_ticker_cb cb, void *arg)
{
    /* The C API offers the statistics as text: "rocksdb.name COUNT : 12" per ticker,
     * followed by histogram lines ("P50 : ...") that are skipped. */
    char *text = rocksdb_options_statistics_get_string(r->db_opts);
    if (text == NULL)
        return;
    kv_slice_t all = kv_slice_str(text);
    while (all.len) {
        const uint8_t *nl = memchr(all.p, '\n', all.len);
        kv_slice_t line = kv_slice(all.p, nl ? (size_t)(nl - all.p) : all.len);
        all.p += line.len + (nl ? 1 : 0);
        all.len -= line.len + (nl ? 1 : 0);
        static const char marker[] = " COUNT : ";
        for (size_t i = 0; i + sizeof(marker) - 1 <= line.len; i++) {
            if (memcmp(line.p + i, marker, sizeof(marker) - 1) != 0)
                continue;
            uint64_t v;
            kv_slice_t num =
                kv_slice(line.p + i + sizeof(marker) - 1, line.len - i - (sizeof(marker) - 1));
            if (kv_slice_to_u64(num, &v) && v > 0)
                cb(arg, kv_slice(line.p, i), v);
            break;
        }
    }
    rocksdb_free(text);
}

int eng_rocks_checkpoint(eng_rocks_t *r, const char *dir)
{
    char *err = NULL;
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(r->db, &err);
    if (err)
        return fail("checkpoint", err);
    /* 0: flush the memtables first, so the checkpoint needs no WAL replay. */
    rocksdb_checkpoint_create(cp, dir, 0, &err);
    rocksdb_checkpoint_object_destroy(cp);
    return err ? fail("checkpoint", err) : 0;
}

eng_riter_t *eng_riter_new(eng_rocks_t *r, eng_cf_t cf)
{
    return eng_riter_new_at(r, NULL, cf);
}

eng_riter_t *eng_riter_new_at(eng_rocks_t *r, eng_snap_t *s, eng_cf_t cf)
{
    eng_riter_t *it = kv_malloc(sizeof(*it));
    it->it = rocksdb_create_iterator_cf(r->db, s ? s->ro : r->ropts, r->cf[cf]);
    return it;
}

void eng_riter_free(eng_riter_t *it)
{
    if (it == NULL)
        return;
    rocksdb_iter_destroy(it->it);
    kv_free(it);
}

void eng_riter_seek(eng_riter_t *it, kv_slice_t key)
{
    rocksdb_iter_seek(it->it, (const char *)key.p, key.len);
}

void eng_riter_seek_before(eng_riter_t *it, kv_slice_t key)
{
    /* SeekForPrev lands on key itself when present; step back once more then. */
    rocksdb_iter_seek_for_prev(it->it, (const char *)key.p, key.len);
    if (rocksdb_iter_valid(it->it)) {
        size_t n;
        const char *k = rocksdb_iter_key(it->it, &n);
        if (n == key.len && memcmp(k, key.p, n) == 0)
            rocksdb_iter_prev(it->it);
    }
}

void eng_riter_seek_last(eng_riter_t *it)
{
    rocksdb_iter_seek_to_last(it->it);
}

void eng_riter_prev(eng_riter_t *it)
{
    rocksdb_iter_prev(it->it);
}

bool eng_riter_valid(eng_riter_t *it)
{
    return rocksdb_iter_valid(it->it) != 0;
}

void eng_riter_next(eng_riter_t *it)
{
    rocksdb_iter_next(it->it);
}

kv_slice_t eng_riter_key(eng_riter_t *it)
{
    size_t n;
    const char *k = rocksdb_iter_key(it->it, &n);
    return kv_slice(k, n);
}

kv_slice_t eng_riter_value(eng_riter_t *it)
{
    size_t n;
    const char *v = rocksdb_iter_value(it->it, &n);
    return kv_slice(v, n);
}

int eng_riter_status(eng_riter_t *it)
{
    char *err = NULL;
    rocksdb_iter_get_error(it->it, &err);
    if (err)
        return fail("iterate", err);
    return 0;
}
