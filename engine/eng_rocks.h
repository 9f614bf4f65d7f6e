/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The storage boundary: thin int-returning wrappers over the RocksDB C API.
 * This header exposes no RocksDB types; eng_rocks.c is the only file that
 * includes <rocksdb/c.h>. All functions are thread-safe (RocksDB handles are).
 */
#ifndef ENG_ROCKS_H
#define ENG_ROCKS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kv_buf.h"
#include "base/kv_slice.h"
#include "eng.h"

/** Column families (DESIGN.md section 4). */
typedef enum eng_cf {
    ENG_CF_DEFAULT = 0, /* required by RocksDB; unused */
    ENG_CF_CATALOG,
    ENG_CF_ITEMS,
    ENG_CF_OBJECTS,
    ENG_CF_BLOBS,
    ENG_CF_STREAMS,
    ENG_CF_STATE,
    ENG_CF__COUNT
} eng_cf_t;

typedef struct eng_rocks eng_rocks_t;
typedef struct eng_batch eng_batch_t;
typedef struct eng_riter eng_riter_t;

/**
 * Open (creating if missing) the database under dir with every column family. Plain writes
 * keep `reserve` bytes of the file system free (0: no guard; ENG_RESERVE_AUTO).
 * @return 0, KV_ELOCKED when another process holds the lock, or KV_EIO.
 * Caller owns *out; close with eng_rocks_close().
 */
int eng_rocks_open(const char *dir, bool wal, uint64_t reserve, eng_rocks_t **out);

/** Look at the free space again and flush memtables that it could soon not hold. Called
 * every few hundred milliseconds from one thread (and once at open). */
void eng_rocks_space_tick(eng_rocks_t *r);
/** While writes are refused and deletions came since the last time, compact the object bytes
 * so what was deleted leaves the disk (blocks while it runs). @return whether it did. */
bool eng_rocks_space_compact(eng_rocks_t *r);
void eng_rocks_space_get(eng_rocks_t *r, eng_space_t *out);
/** Whether a plain write of about `bytes` would be accepted now. */
bool eng_rocks_space_room(eng_rocks_t *r, uint64_t bytes);
/** Flush memtables when the WAL is off, then close. Accepts NULL. */
void eng_rocks_close(eng_rocks_t *r);

/** Point read. @return 0 with the value appended to out, KV_ENOTFOUND, or KV_EIO. */
int eng_rocks_get(eng_rocks_t *r, eng_cf_t cf, kv_slice_t key, kv_buf_t *out);

/** New empty write batch for r; free with eng_batch_free(). */
eng_batch_t *eng_batch_new(eng_rocks_t *r);
/** Accepts NULL. */
void eng_batch_free(eng_batch_t *b);
/** Number of operations in the batch. */
size_t eng_batch_count(eng_batch_t *b);
void eng_batch_put(eng_batch_t *b, eng_cf_t cf, kv_slice_t key, kv_slice_t val);
void eng_batch_delete(eng_batch_t *b, eng_cf_t cf, kv_slice_t key);
/** Delete [begin, end) in one tombstone. */
void eng_batch_delete_range(eng_batch_t *b, eng_cf_t cf, kv_slice_t begin, kv_slice_t end);
/** Apply the batch atomically (no sync; durability is the syncer's job). @return 0 or KV_EIO. */
int eng_rocks_write(eng_rocks_t *r, eng_batch_t *b);
/**
 * Apply the batch without the WAL: a crash loses it until its memtable is flushed. Only for
 * writes that eng_rocks_flush_cf makes durable before anything names them (object chunks,
 * whose writer note went through the WAL first). @return 0 or KV_EIO / KV_ENOSPACE.
 */
int eng_rocks_write_unlogged(eng_rocks_t *r, eng_batch_t *b);
/** Whether plain writes go through the WAL (false under --fsync none). */
bool eng_rocks_logged(const eng_rocks_t *r);
/** Flush cf's memtable and wait: every write to cf before the call is in synced files.
 * Blocks (a disk write and its syncs): never on a loop thread. @return 0 or KV_EIO. */
int eng_rocks_flush_cf(eng_rocks_t *r, eng_cf_t cf);
/** Sync the WAL to stable storage. @return 0 or KV_EIO. Blocks: never on a loop thread. */
int eng_rocks_sync_wal(eng_rocks_t *r);
/** Did this thread call eng_rocks_defer_wal_thread (a server loop)? */
bool eng_rocks_thread_defers(void);
/* The WAL buffer: see eng_rocks.c. */
void eng_rocks_defer_wal_thread(void);
bool eng_rocks_wal_pending(eng_rocks_t *r);
int eng_rocks_flush_wal(eng_rocks_t *r);
/** Latest committed sequence number. */
uint64_t eng_rocks_seq(eng_rocks_t *r);
/** An integer property ("rocksdb.estimate-num-keys") of a CF, or of all when cf < 0. */
bool eng_rocks_property(eng_rocks_t *r, int cf, const char *name, uint64_t *out);

/** Called for each RocksDB ticker (cumulative counter) with its name and value. */
typedef void (*eng_rocks_ticker_cb)(void *arg, kv_slice_t name, uint64_t value);
/** Report every non-zero RocksDB statistics ticker. */
void eng_rocks_tickers(eng_rocks_t *r, eng_rocks_ticker_cb cb, void *arg);

typedef struct eng_snap eng_snap_t;
/** A consistent read view; release with eng_rocks_snapshot_release(). */
eng_snap_t *eng_rocks_snapshot(eng_rocks_t *r);
void eng_rocks_snapshot_release(eng_rocks_t *r, eng_snap_t *s);
/** Point read at a snapshot (NULL: latest). Same results as eng_rocks_get(). */
int eng_rocks_get_at(eng_rocks_t *r, eng_snap_t *s, eng_cf_t cf, kv_slice_t key, kv_buf_t *out);
/** eng_rocks_get_at without RocksDB's checksum checks, for values that carry their own
 * (object chunks: RocksDB's blob CRC32C is software-only in Debian's portable build and
 * costs more than the rest of a large GET). */
int eng_rocks_get_self_checked(eng_rocks_t *r, eng_snap_t *s, eng_cf_t cf, kv_slice_t key,
                               kv_buf_t *out);

/** Compact the keys of cf in [begin, end) (an empty slice: from the first / to the last key)
 * down to the last level, so deleted values (and blob files only they used) are freed.
 * Blocks while it runs; eng_rocks_cancel_compactions() ends it early. */
void eng_rocks_compact_range(eng_rocks_t *r, eng_cf_t cf, kv_slice_t begin, kv_slice_t end);
/** Stop manual compactions running now and refuse new ones (before close). */
void eng_rocks_cancel_compactions(eng_rocks_t *r);
/** Flush every CF's memtable and wait (the WAL files they held can go). */
void eng_rocks_flush_all(eng_rocks_t *r);

/** A consistent copy of the database in dir (hard links to its files; dir must not exist). */
int eng_rocks_checkpoint(eng_rocks_t *r, const char *dir);
/** Iterator over one CF; free with eng_riter_free(). */
eng_riter_t *eng_riter_new(eng_rocks_t *r, eng_cf_t cf);
/** Iterator reading at snapshot s (NULL: an implicit snapshot taken now). */
eng_riter_t *eng_riter_new_at(eng_rocks_t *r, eng_snap_t *s, eng_cf_t cf);
void eng_riter_free(eng_riter_t *it);
void eng_riter_seek(eng_riter_t *it, kv_slice_t key);
/** Position at the last key strictly before key. */
void eng_riter_seek_before(eng_riter_t *it, kv_slice_t key);
/** Position at the last key of the CF. */
void eng_riter_seek_last(eng_riter_t *it);
void eng_riter_prev(eng_riter_t *it);
bool eng_riter_valid(eng_riter_t *it);
void eng_riter_next(eng_riter_t *it);
/** Borrowed; valid until the iterator moves or is freed. */
kv_slice_t eng_riter_key(eng_riter_t *it);
kv_slice_t eng_riter_value(eng_riter_t *it);
/** 0, or KV_EIO when iteration stopped on an error. */
int eng_riter_status(eng_riter_t *it);

#endif
