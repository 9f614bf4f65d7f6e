/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The only file that includes <rocksdb/c.h>. Every call that can fail starts
 * with `char *err = NULL`; on error the text is logged once, freed with
 * rocksdb_free and mapped to a KV_E* code.
 */
#include "eng_rocks.h"

#include <errno.h>
#include <fcntl.h>
#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_err.h"
#include "base/kv_log.h"
#include "base/kv_time.h"

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
    rocksdb_writeoptions_t *sync_wopts;  /* the sync marker's write: sync=1 */
    rocksdb_writeoptions_t *nowal_wopts; /* object chunks made durable by a flush instead */
    bool wal;
    /* The WAL is written to the OS by eng_rocks_flush_wal (manual_wal_flush), not by each
     * write: a loop thread's writes of one loop turn leave in one write(2). Counts of the
     * deferring threads' writes, and of those handed to the OS (see eng_rocks_wal_pending). */
    atomic_uint_fast64_t wal_written, wal_flushed;

    /* The free-space guard (see eng_rocks_space_tick). Writes read these without a lock. */
    char *dir;
    uint64_t reserve, floor;       /* plain writes keep reserve free; space-freeing ones, floor */
    bool reserve_set;              /* configured, not derived from the file system's size */
    atomic_int_fast64_t avail;     /* free bytes at the last look */
    atomic_int_fast64_t memtables; /* bytes in memtables (still to be written at a flush) */
    atomic_int_fast64_t written;   /* bytes admitted since the last look */
    atomic_int_fast64_t headroom;  /* what compactions may write before they free anything */
    uint64_t fs_total;             /* the file system's size */
    char *ballast;                 /* a file of ballast_size bytes kept while there is room */
    uint64_t ballast_size;         /* (the memtable size: what RocksDB needs to resume) */
    bool ballast_on;
    atomic_uint_fast64_t frees; /* batches that deleted something, since start */
    uint64_t frees_compacted;   /* the count at the last compaction for space */
    uint64_t refused_compacted; /* refusals at the last compaction for space */
    int64_t last_compact_ns;
    atomic_int space_state;       /* eng_space_state_t */
    atomic_bool out_of_space;     /* RocksDB met ENOSPC; plain writes wait for a look */
    atomic_uint_fast64_t refused; /* writes refused so far */
    atomic_uint_fast64_t io_errors;
    int64_t last_flush_ns;
};

struct eng_batch {
    rocksdb_writebatch_t *wb;
    eng_rocks_t *r;
    bool frees; /* holds a deletion: may use the reserve */
};

struct eng_riter {
    rocksdb_iterator_t *it;
};

static int write_failed(eng_rocks_t *r, char *err);
static void after_read(eng_rocks_t *r);

static int fail(const char *what, char *err)
{
    int rc = KV_EIO;
    if (strstr(err, "lock") || strstr(err, "LOCK"))
        rc = KV_ELOCKED;
    else if (strstr(err, "Corruption"))
        rc = KV_ECORRUPT;
    else if (strstr(err, "No space") || strstr(err, "NoSpace"))
        rc = KV_ENOSPACE;
    KV_LOG_ERROR("rocksdb %s: %s", what, err);
    rocksdb_free(err);
    return rc;
}

/* Options RocksDB's C API has no setter for. */
static rocksdb_options_t *options_from_string(rocksdb_options_t *base, const char *text)
{
    char *err = NULL;
    rocksdb_options_t *o = rocksdb_options_create();
    rocksdb_get_options_from_string(base, text, o, &err);
    if (err) {
        KV_LOG_WARN("rocksdb options \"%s\": %s", text, err);
        rocksdb_free(err);
        rocksdb_options_destroy(o);
        return base;
    }
    rocksdb_options_destroy(base);
    return o;
}

/* The items and objects CFs, read by point lookups on every request, keep smaller memtables:
 * a lookup walks the skiplist from the top, and its cache misses grow with the memtable
 * (bench/machine.py: GetItem 30 -> 27 us and PutItem 44 -> 37 us of server CPU per request
 * in steady state, 64 -> 16 MiB; 8 MiB gained little more and flushes twice as often). */
#define POINT_CF_MEMTABLE (16u << 20)

/* Memtables are at most 1/32 of the file system (64 MiB on a disk of 2 GiB or more). */
static uint64_t memtable_size(const eng_rocks_t *r)
{
    uint64_t wbs = r->fs_total / 32;
    return wbs < (4u << 20) ? (4u << 20) : wbs > (64u << 20) ? (64u << 20) : wbs;
}

/* ---- the ballast ----
 * A file of two memtables' size that the server keeps in its directory while the disk has
 * room, and deletes when the disk is full to the last byte: to open the database (RocksDB
 * writes a new manifest and log at open), or when RocksDB met a full disk in the background
 * (it resumes by itself only once a memtable's worth of space is free). */

static void ballast_release(eng_rocks_t *r, const char *why)
{
    if (!r->ballast_on)
        return;
    if (unlink(r->ballast) < 0 && errno != ENOENT)
        KV_LOG_WARN("cannot remove %s: %s", r->ballast, strerror(errno));
    r->ballast_on = false;
    KV_LOG_WARN("disk full: released the %llu MiB ballast %s",
                (unsigned long long)(r->ballast_size >> 20), why);
}

static void ballast_make(eng_rocks_t *r)
{
    int fd = open(r->ballast, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    int rc = posix_fallocate(fd, 0, (off_t)r->ballast_size);
    if (rc == 0)
        rc = fsync(fd) < 0 ? errno : 0;
    close(fd);
    if (rc != 0) {
        unlink(r->ballast);
        return;
    }
    r->ballast_on = true;
}

static void ballast_init(eng_rocks_t *r)
{
    size_t n = strlen(r->dir) + sizeof("/STRATUS-BALLAST");
    r->ballast = kv_malloc(n);
    snprintf(r->ballast, n, "%s/STRATUS-BALLAST", r->dir);
    /* RocksDB preallocates a new log of 1.1 memtables at open: the ballast holds two. */
    r->ballast_size = 2 * memtable_size(r);
    struct stat st;
    r->ballast_on = stat(r->ballast, &st) == 0;
    if (r->ballast_on && (uint64_t)st.st_blocks * 512 < r->ballast_size)
        ballast_release(r, "(it was cut short)");
    else if (atomic_load(&r->avail) < (int64_t)(r->ballast_size + (1u << 20))) {
        ballast_release(r, "to open the database");
        eng_rocks_space_tick(r);
    } else if (!r->ballast_on &&
               atomic_load(&r->avail) >= (int64_t)(r->reserve + 2 * r->ballast_size)) {
        ballast_make(r); /* before anything else can fill the disk */
    }
}

int eng_rocks_open(const char *dir, bool wal, uint64_t reserve, eng_rocks_t **out)
{
    char *err = NULL;
    eng_rocks_t *r = kv_calloc(1, sizeof(*r));
    r->wal = wal;
    r->dir = kv_strdup(dir);
    r->reserve = reserve;
    r->reserve_set = reserve != ENG_RESERVE_AUTO;
    eng_rocks_space_tick(r); /* before the first write: the guard knows the disk */
    if (reserve != 0)
        ballast_init(r);
    r->cache = rocksdb_cache_create_lru(64u << 20);
    r->bbto = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(r->bbto, r->cache);
    rocksdb_block_based_options_set_filter_policy(r->bbto,
                                                  rocksdb_filterpolicy_create_bloom_full(10));
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(r->bbto, 1);

    /* A restart on a nearly full disk replays the WAL into memtables instead of writing it out
     * as new files first (which needs as much free space as the WAL holds). A close does not
     * flush either: object chunks written without the WAL would otherwise make it flush every
     * CF; those that something names are flushed already, the others are dropped at the next
     * open (their writer notes), and without a WAL at all eng_rocks_close flushes itself. */
    r->db_opts = options_from_string(rocksdb_options_create(), "avoid_flush_during_recovery=true;"
                                                               "avoid_flush_during_shutdown=true");
    rocksdb_options_set_create_if_missing(r->db_opts, 1);
    rocksdb_options_set_create_missing_column_families(r->db_opts, 1);
    rocksdb_options_increase_parallelism(r->db_opts, 2);
    /* Compactions (the low-priority pool) yield the CPU and the disk to request threads and
     * flushes: a big copy or restore compacts in the background, GetItems answer meanwhile. */
    rocksdb_env_t *env = rocksdb_create_default_env();
    rocksdb_env_lower_thread_pool_cpu_priority(env);
    rocksdb_env_lower_thread_pool_io_priority(env);
    rocksdb_env_destroy(env);
    /* Table and blob files kept open: an eighth of the descriptor limit (the server raises the
     * soft limit to the hard one first and keeps a quarter of it from connections), so that
     * RocksDB never runs out of descriptors to open its next log or table file. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
        rlim_t n = nofile.rlim_cur / 8;
        rocksdb_options_set_max_open_files(r->db_opts, n < 64 ? 64 : n > 8192 ? 8192 : (int)n);
    }
    /* RocksDB's own LOG file gets only its header at open (the options): Debian's RocksDB 7.8
     * asserts when it writes to a log file after a failed write, and on a full disk the LOG's
     * warnings would be that write. Storage errors reach stratusd's log through fail(). */
    rocksdb_options_set_info_log_level(r->db_opts, 5 /* HEADER_LEVEL */);
    rocksdb_options_set_keep_log_file_num(r->db_opts, 4);
    rocksdb_options_set_max_log_file_size(r->db_opts, 8u << 20);
    rocksdb_options_enable_statistics(r->db_opts);
    /* Memtables are at most 1/32 of the file system (64 MiB on a disk of 2 GiB or more): a
     * flush must fit in the free space, and after a background error RocksDB resumes by
     * itself only once a memtable's worth of space is free. */
    uint64_t wbs = memtable_size(r);
    rocksdb_options_set_write_buffer_size(r->db_opts, wbs);
    if (wal)
        rocksdb_options_set_manual_wal_flush(r->db_opts, 1);

    const rocksdb_options_t *cfo[ENG_CF__COUNT];
    for (int i = 0; i < ENG_CF__COUNT; i++) {
        rocksdb_options_t *o = rocksdb_options_create_copy(r->db_opts);
        rocksdb_options_set_block_based_table_factory(o, r->bbto);
        rocksdb_options_set_compression(o, rocksdb_lz4_compression);
        if ((i == ENG_CF_ITEMS || i == ENG_CF_OBJECTS) && wbs > POINT_CF_MEMTABLE)
            rocksdb_options_set_write_buffer_size(o, POINT_CF_MEMTABLE);
        /* Issue 18: a flush leaves the blocks it wrote in the block cache. A PUT reads the
         * record it replaces and a GET the one just written; in a fresh file each was a
         * block-cache miss (pread + LZ4 + cache insert: 12 % of a 4 KiB S3 PUT). */
        if (i == ENG_CF_ITEMS || i == ENG_CF_OBJECTS)
            o = options_from_string(
                o, "block_based_table_factory={prepopulate_block_cache=kFlushOnly}");
        /* Issue 18: the objects CF holds small objects' bytes (O_INLINE): stored as the blobs
         * CF stores object bytes, uncompressed. RocksDB's LZ4 made a stream (a 16 KiB zeroed
         * state) per 4 KiB block at every flush and compaction: one per small object. */
        if (i == ENG_CF_OBJECTS)
            rocksdb_options_set_compression(o, rocksdb_no_compression);
        if (i == ENG_CF_BLOBS) {
            /* Object bytes: values go to blob files, keys stay in the LSM. */
            rocksdb_options_set_enable_blob_files(o, 1);
            rocksdb_options_set_min_blob_size(o, 1024);
            rocksdb_options_set_enable_blob_gc(o, 1);
            /* An old blob file that is mostly garbage (dropped objects and uploads sharing it
             * with live ones) is compacted on purpose, its live blobs moved, its disk freed. */
            rocksdb_options_set_blob_gc_force_threshold(o, 0.5);
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
    r->sync_wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(r->sync_wopts, 1);
    r->nowal_wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(r->nowal_wopts, 0);
    rocksdb_writeoptions_disable_WAL(r->nowal_wopts, 1);
    *out = r;
    return 0;
}

void eng_rocks_close(eng_rocks_t *r)
{
    if (r == NULL)
        return;
    if (r->db) {
        if (r->wal)
            eng_rocks_flush_wal(r);
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
    if (r->sync_wopts)
        rocksdb_writeoptions_destroy(r->sync_wopts);
    if (r->nowal_wopts)
        rocksdb_writeoptions_destroy(r->nowal_wopts);
    kv_free(r->dir);
    kv_free(r->ballast);
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
    after_read(r);
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

/*
 * RocksDB's per-thread perf context counts every step of a read or write by default (a
 * thread-local access each, through __tls_get_addr in a shared library); nothing reads those
 * counts, so each thread that calls in turns them off once (kDisable). The statistics the
 * metrics export are another mechanism and stay on.
 */
static __thread bool tl_perf_off;
static __thread bool tl_defers_wal;

static void perf_off(void)
{
    if (!tl_perf_off) {
        rocksdb_set_perf_level(1 /* kDisable */);
        tl_perf_off = true;
    }
}

/*
 * The WAL buffer (manual_wal_flush). A write enters the memtable and the WAL buffer; the
 * buffer reaches the OS (and survives the process) at eng_rocks_flush_wal. Nothing read may
 * leave the process before the WAL records it read are in the OS:
 *  - a thread that declared itself deferring (a server loop) answers only after a flush:
 *    its writes are counted, and its answers wait while eng_rocks_wal_pending();
 *  - any other thread flushes right after each write, and after each read (a Get, or the
 *    creation of an iterator or snapshot, which sees what was written before it) while
 *    something is pending, so that what it read is in the OS before it acts on it.
 * A sync write (the syncer, --fsync always) writes and syncs the buffer too.
 */
void eng_rocks_defer_wal_thread(void)
{
    tl_defers_wal = true;
}

bool eng_rocks_thread_defers(void)
{
    return tl_defers_wal;
}

bool eng_rocks_wal_pending(eng_rocks_t *r)
{
    return atomic_load(&r->wal_written) != atomic_load(&r->wal_flushed);
}

static void wal_flushed_to(eng_rocks_t *r, uint64_t w)
{
    uint_fast64_t f = atomic_load(&r->wal_flushed);
    while (f < w && !atomic_compare_exchange_weak(&r->wal_flushed, &f, w))
        ;
}

int eng_rocks_flush_wal(eng_rocks_t *r)
{
    if (!r->wal)
        return 0;
    uint64_t w = atomic_load(&r->wal_written);
    char *err = NULL;
    rocksdb_flush_wal(r->db, 0, &err);
    /* Even when it failed: the answers that waited for these writes are dropped by the
     * caller, and later answers (reads on a full disk, say) must not wait on them forever. */
    wal_flushed_to(r, w);
    if (err)
        return write_failed(r, err);
    return 0;
}

static void after_read(eng_rocks_t *r)
{
    if (!tl_defers_wal && r->wal && eng_rocks_wal_pending(r))
        eng_rocks_flush_wal(r); /* a failure is the writers' to report: this read stands */
}

static int get_with(eng_rocks_t *r, rocksdb_readoptions_t *ro, eng_cf_t cf, kv_slice_t key,
                    kv_buf_t *out)
{
    char *err = NULL;
    perf_off();
    rocksdb_pinnableslice_t *ps =
        rocksdb_get_pinned_cf(r->db, ro, r->cf[cf], (const char *)key.p, key.len, &err);
    if (err)
        return fail("get", err);
    after_read(r);
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
    b->frees = false;
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
    b->frees = true;
}

void eng_batch_delete_range(eng_batch_t *b, eng_cf_t cf, kv_slice_t begin, kv_slice_t end)
{
    rocksdb_writebatch_delete_range_cf(b->wb, b->r->cf[cf], (const char *)begin.p, begin.len,
                                       (const char *)end.p, end.len);
    b->frees = true;
}

/* ---- the free-space guard ----
 * Writes are refused (KV_ENOSPACE, each protocol's throttling error) before the disk is full:
 * a plain write must leave `reserve` bytes free after what the memtables will take when they
 * are flushed, a write that deletes something may go down to `floor` (so space can always be
 * freed through the API), and RocksDB itself never meets a full disk in the usual case. The
 * figures are refreshed by eng_rocks_space_tick() every few hundred milliseconds; between two
 * looks each admitted write counts against the last free figure. */

#define SPACE_FREEING_MAX  (1u << 20) /* a deletion's batch larger than this is a plain write */
#define SPACE_FLUSH_GAP_NS 1000000000

static _Thread_local uint64_t refusals_here;

uint64_t eng_space_refusals(void)
{
    return refusals_here;
}

/* Free bytes once the memtables are flushed and running compactions are done. */
static int64_t space_left(eng_rocks_t *r)
{
    return atomic_load(&r->avail) - atomic_load(&r->memtables) - atomic_load(&r->headroom) -
           atomic_load(&r->written);
}

static bool space_admit(eng_rocks_t *r, size_t size, bool frees, bool logged)
{
    if (r->reserve == 0)
        return true;
    bool freeing = frees && size <= SPACE_FREEING_MAX;
    if (!freeing && atomic_load(&r->out_of_space))
        goto refuse;
    /* A deletion is small and lets the next compaction free space: it needs only the floor
     * of what is free now, whatever the memtables and compactions will take later. */
    int64_t left = freeing ? atomic_load(&r->avail) - atomic_load(&r->written) - (int64_t)size
                           : space_left(r) - (int64_t)size;
    if (left < (int64_t)(freeing ? r->floor : r->reserve))
        goto refuse;
    if (frees)
        atomic_fetch_add(&r->frees, 1);
    /* With the WAL the bytes are on disk now and again when their memtable is flushed. */
    atomic_fetch_add(&r->written, (int64_t)size * (logged ? 2 : 1));
    return true;
refuse:
    atomic_fetch_add(&r->refused, 1);
    refusals_here++;
    return false;
}

bool eng_rocks_space_room(eng_rocks_t *r, uint64_t bytes)
{
    if (r->reserve == 0)
        return true;
    int64_t left = space_left(r) - (int64_t)bytes * (r->wal ? 2 : 1);
    return !atomic_load(&r->out_of_space) && left >= (int64_t)r->reserve;
}

void eng_rocks_space_tick(eng_rocks_t *r)
{
    struct statvfs sv;
    if (statvfs(r->dir, &sv) < 0)
        return; /* the directory is not there yet (the first look at open) or unreadable */
    uint64_t total = (uint64_t)sv.f_blocks * sv.f_frsize;
    int64_t avail = (int64_t)((uint64_t)sv.f_bavail * sv.f_frsize);
    if (r->db == NULL) { /* the look at open, before any other thread: the fixed figures */
        r->fs_total = total;
        if (!r->reserve_set) {
            /* 2% of the file system, at least 16 MiB and at most 1 GiB. */
            uint64_t v = total / 50;
            r->reserve = v < (16u << 20) ? (16u << 20) : v > (1u << 30) ? (1u << 30) : v;
        }
        r->floor = r->reserve / 4 < (1u << 20) ? r->reserve / 4 : (1u << 20); /* deletions */
    }
    uint64_t mem = 0, blobs = 0, pending = 0;
    if (r->db) {
        eng_rocks_property(r, -1, "rocksdb.cur-size-all-mem-tables", &mem);
        eng_rocks_property(r, ENG_CF_BLOBS, "rocksdb.total-blob-file-size", &blobs);
        eng_rocks_property(r, -1, "rocksdb.estimate-pending-compaction-bytes", &pending);
    }
    /* Compactions write before they free: blob garbage collection rewrites the live part of
     * the oldest quarter of the blob files (the age cutoff), and a pending compaction its
     * input. Keep room for both so that RocksDB itself never meets a full disk. */
    int64_t headroom = (int64_t)(blobs / 4 + pending);
    atomic_store(&r->avail, avail);
    atomic_store(&r->memtables, (int64_t)mem);
    atomic_store(&r->headroom, headroom);
    atomic_store(&r->written, 0);
    int64_t left = avail - (int64_t)mem - headroom;
    eng_space_state_t st = r->reserve == 0              ? ENG_SPACE_OK
                           : left < (int64_t)r->floor   ? ENG_SPACE_FULL
                           : left < (int64_t)r->reserve ? ENG_SPACE_LOW
                                                        : ENG_SPACE_OK;
    if (st == ENG_SPACE_OK)
        atomic_store(&r->out_of_space, false);
    if (r->db && r->ballast) {
        if (atomic_load(&r->out_of_space))
            ballast_release(r, "so that the storage can resume after a full disk");
        else if (!r->ballast_on && left >= (int64_t)(r->reserve + 2 * r->ballast_size))
            ballast_make(r);
    }
    eng_space_state_t was = (eng_space_state_t)atomic_exchange(&r->space_state, (int)st);
    if (was != st)
        KV_LOG_WARN("disk %s: %lld MiB free, %llu MiB reserved, %llu MiB in memtables",
                    st == ENG_SPACE_OK    ? "has room again, writes accepted"
                    : st == ENG_SPACE_LOW ? "low, plain writes refused"
                                          : "full, every write refused",
                    (long long)(avail >> 20), (unsigned long long)(r->reserve >> 20),
                    (unsigned long long)(mem >> 20));
    /* Memtables that the free space could soon not hold are flushed now, while it can: the
     * flush turns them into table and blob files and lets their WAL files go. */
    int64_t now = (int64_t)kv_now_mono_ns();
    if (r->db && r->reserve && mem >= (1u << 20) &&
        avail - (int64_t)r->reserve < 3 * (int64_t)mem &&
        now - r->last_flush_ns > SPACE_FLUSH_GAP_NS) {
        r->last_flush_ns = now;
        char *err = NULL;
        rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
        rocksdb_flushoptions_set_wait(fo, 0);
        for (int i = 0; i < ENG_CF__COUNT && err == NULL; i++)
            rocksdb_flush_cf(r->db, fo, r->cf[i], &err);
        rocksdb_flushoptions_destroy(fo);
        if (err)
            fail("flush", err);
    }
}

bool eng_rocks_space_compact(eng_rocks_t *r)
{
    /* Deleted objects' bytes leave the disk only when a compaction drops their keys and the
     * blob files they were in: while writes are refused, deletions get one, at most every
     * few seconds. */
    uint64_t frees = atomic_load(&r->frees);
    int64_t now = (int64_t)kv_now_mono_ns();
    uint64_t refused = atomic_load(&r->refused);
    if (r->reserve == 0 ||
        (atomic_load(&r->space_state) == ENG_SPACE_OK && refused == r->refused_compacted) ||
        frees == r->frees_compacted || now - r->last_compact_ns < 5 * (int64_t)SPACE_FLUSH_GAP_NS)
        return false;
    r->frees_compacted = frees;
    r->refused_compacted = refused;
    r->last_compact_ns = now;
    eng_rocks_compact_range(r, ENG_CF_BLOBS, KV_SLICE_NULL, KV_SLICE_NULL);
    return true;
}

void eng_rocks_space_get(eng_rocks_t *r, eng_space_t *out)
{
    out->avail = (uint64_t)(atomic_load(&r->avail) > 0 ? atomic_load(&r->avail) : 0);
    out->reserve = r->reserve;
    out->memtables = (uint64_t)atomic_load(&r->memtables);
    out->headroom = (uint64_t)atomic_load(&r->headroom);
    out->state = (eng_space_state_t)atomic_load(&r->space_state);
    if (out->state == ENG_SPACE_OK && atomic_load(&r->out_of_space))
        out->state = ENG_SPACE_LOW;
    out->refused = atomic_load(&r->refused);
    out->io_errors = atomic_load(&r->io_errors);
}

static int write_failed(eng_rocks_t *r, char *err)
{
    int rc = fail("write", err);
    atomic_fetch_add(&r->io_errors, 1);
    if (rc == KV_ENOSPACE) { /* the disk filled under us: refuse until a look finds room */
        atomic_store(&r->out_of_space, true);
        refusals_here++;
    }
    return rc;
}

int eng_rocks_write(eng_rocks_t *r, eng_batch_t *b)
{
    char *err = NULL;
    size_t size;
    rocksdb_writebatch_data(b->wb, &size);
    if (!space_admit(r, size, b->frees, r->wal))
        return KV_ENOSPACE;
    perf_off();
    rocksdb_write(r->db, r->wopts, b->wb, &err);
    if (err)
        return write_failed(r, err);
    if (!r->wal)
        return 0;
    if (tl_defers_wal) {
        atomic_fetch_add(&r->wal_written, 1);
        return 0;
    }
    return eng_rocks_flush_wal(r);
}

/* A sync write: RocksDB's write path, so a failed write (a full disk) answers its background
 * error instead of touching the failed log again. It holds RocksDB's write queue while it
 * syncs: every other write waits for the fdatasync. */
static int sync_by_write(eng_rocks_t *r)
{
    /* A write with sync on syncs every WAL file written before it (and writes the buffer
     * first). The marker key in the unused default CF is overwritten each time. */
    static const char key[] = "\0sync";
    char *err = NULL;
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    rocksdb_writebatch_put_cf(wb, r->cf[ENG_CF_DEFAULT], key, sizeof(key) - 1, "", 0);
    rocksdb_write(r->db, r->sync_wopts, wb, &err);
    rocksdb_writebatch_destroy(wb);
    if (err)
        return write_failed(r, err);
    return 0;
}

int eng_rocks_write_unlogged(eng_rocks_t *r, eng_batch_t *b)
{
    char *err = NULL;
    size_t size;
    rocksdb_writebatch_data(b->wb, &size);
    if (!space_admit(r, size, b->frees, false))
        return KV_ENOSPACE;
    rocksdb_write(r->db, r->nowal_wopts, b->wb, &err);
    if (err)
        return write_failed(r, err);
    return 0;
}

bool eng_rocks_logged(const eng_rocks_t *r)
{
    return r->wal;
}

int eng_rocks_flush_cf(eng_rocks_t *r, eng_cf_t cf)
{
    /* FlushMemTable with wait: the memtable is switched, and the call returns once it and
     * every older one of cf are in table and blob files, each synced, and the MANIFEST that
     * names them is synced too. */
    char *err = NULL;
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    rocksdb_flush_cf(r->db, fo, r->cf[cf], &err);
    rocksdb_flushoptions_destroy(fo);
    if (err)
        return write_failed(r, err);
    return 0;
}

int eng_rocks_sync_wal(eng_rocks_t *r)
{
    if (!r->wal)
        return 0;
    uint64_t w = atomic_load(&r->wal_written);
    /* FlushWAL(sync) writes the buffer, then syncs every live WAL file outside RocksDB's write
     * queue (SyncWAL): writes go on during the fdatasync, so the server loop never waits for
     * the disk. But Debian's RocksDB 7.8 asserts when it syncs a log whose write failed (the
     * buffer write itself checks and answers the error), so once any write or flush has
     * failed since open, and while the disk is low, the sync is a sync write instead. */
    if (atomic_load(&r->io_errors) == 0 && !atomic_load(&r->out_of_space) &&
        atomic_load(&r->space_state) == ENG_SPACE_OK) {
        char *err = NULL;
        rocksdb_flush_wal(r->db, 1, &err);
        if (err)
            return write_failed(r, err);
    } else {
        int rc = sync_by_write(r);
        if (rc < 0)
            return rc;
    }
    wal_flushed_to(r, w); /* both write the whole buffer first */
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

void eng_rocks_compact_range(eng_rocks_t *r, eng_cf_t cf, kv_slice_t begin, kv_slice_t end)
{
    rocksdb_compactoptions_t *co = rocksdb_compactoptions_create();
    /* Automatic compactions go on meanwhile; the last level is rewritten too (its files
     * may hold the deleted keys), but not files this compaction just wrote. */
    rocksdb_compactoptions_set_exclusive_manual_compaction(co, 0);
    rocksdb_compactoptions_set_bottommost_level_compaction(co, 3 /* kForceOptimized */);
    rocksdb_compact_range_cf_opt(r->db, r->cf[cf], co, begin.len ? (const char *)begin.p : NULL,
                                 begin.len, end.len ? (const char *)end.p : NULL, end.len);
    rocksdb_compactoptions_destroy(co);
}

void eng_rocks_cancel_compactions(eng_rocks_t *r)
{
    rocksdb_disable_manual_compaction(r->db);
}

void eng_rocks_flush_all(eng_rocks_t *r)
{
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    for (int i = 0; i < ENG_CF__COUNT; i++) {
        char *err = NULL;
        rocksdb_flush_cf(r->db, fo, r->cf[i], &err);
        if (err)
            fail("flush", err);
    }
    rocksdb_flushoptions_destroy(fo);
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
    perf_off();
    it->it = rocksdb_create_iterator_cf(r->db, s ? s->ro : r->ropts, r->cf[cf]);
    after_read(r);
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
