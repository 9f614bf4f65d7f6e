/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engine: typed storage operations over RocksDB. This is the only engine
 * header the api layer includes. The engine knows nothing of HTTP, JSON or
 * XML; every function is safe to call from any thread.
 */
#ifndef ENG_H
#define ENG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_err.h"
#include "base/kv_slice.h"
#include "eng_item.h"

typedef struct eng eng_t;

/** Durability modes (--fsync). */
typedef enum eng_fsync {
    ENG_FSYNC_NONE = 0,   /* no WAL: a crash loses recent writes; clean shutdown flushes */
    ENG_FSYNC_BATCH = 1,  /* WAL written before the ack (survives kill -9), synced every few ms */
    ENG_FSYNC_ALWAYS = 2, /* WAL synced before the ack, one fsync shared by concurrent writers */
} eng_fsync_t;

#define ENG_RESERVE_AUTO UINT64_MAX /* 2% of the file system, within [16 MiB, 1 GiB] */

typedef enum eng_space_state {
    ENG_SPACE_OK = 0, /* every write accepted */
    ENG_SPACE_LOW,    /* under the reserve: only writes that delete something are accepted */
    ENG_SPACE_FULL,   /* under the floor (a quarter of the reserve): every write refused */
} eng_space_state_t;

typedef struct eng_space {
    uint64_t avail;     /* free bytes of the data directory's file system at the last look */
    uint64_t reserve;   /* what plain writes leave free */
    uint64_t memtables; /* bytes that the next flushes will write */
    uint64_t headroom;  /* bytes compactions may write before they free any */
    eng_space_state_t state;
    uint64_t refused;   /* writes refused for want of space, since start */
    uint64_t io_errors; /* writes RocksDB failed, since start */
} eng_space_t;

typedef struct eng_opts {
    const char *dir;
    eng_fsync_t fsync;
    unsigned batch_sync_ms; /* background WAL sync period in batch mode; 0 = default */
    uint64_t disk_reserve;  /* free bytes plain writes leave; 0 = no guard, or ENG_RESERVE_AUTO */
} eng_opts_t;

/**
 * Open the database under opts->dir (created if missing) and start the syncer.
 * @return 0, KV_ELOCKED if another process has the directory, KV_EIO.
 * Caller owns *out; close with eng_close().
 */
int eng_open(const eng_opts_t *opts, eng_t **out);
/** Stop the syncer (releasing every waiter), sync, close RocksDB. Accepts NULL. */
void eng_close(eng_t *e);
eng_fsync_t eng_fsync_mode(const eng_t *e);

/** Called on the syncer thread once the writes it waited for are durable. */
typedef void (*eng_synced_cb)(void *arg, int status);
/**
 * Group commit: call cb(arg, 0) on the syncer thread after one WAL sync that
 * covers every write committed before this call. Many waiters share one sync.
 */
void eng_sync_after(eng_t *e, eng_synced_cb cb, void *arg);
/**
 * On a thread that called eng_wal_defer_thread (a server loop), eng_sync_after does not wake
 * the syncer: the loop calls eng_sync_kick() once at the end of each turn, so that a sync
 * starts with every answer of the turn queued (a sync already running takes them when it ends).
 */
void eng_sync_kick(eng_t *e);

/**
 * The WAL buffer. Writes reach the WAL in the OS (and survive the process) when the buffer
 * is flushed. A thread that calls eng_wal_defer_thread (a server loop) leaves its writes in
 * the buffer and must not let anything it wrote or read leave the process while
 * eng_wal_pending() — it calls eng_wal_flush() once per loop turn, then answers. Every other
 * thread needs nothing: its writes flush at once, and its reads flush what they may have seen.
 */
void eng_wal_defer_thread(void);
bool eng_wal_pending(eng_t *e);
/** @return 0, or KV_ENOSPACE / KV_EIO: the buffered writes are not durable (do not answer). */
int eng_wal_flush(eng_t *e);

/** Called on the writer's thread after each commit, with RocksDB's sequence. */
typedef void (*eng_commit_cb)(void *arg, uint64_t seq);
/** Register a commit notifier (at most 16). @return 0 or KV_ETOOBIG. */
int eng_notifier_add(eng_t *e, eng_commit_cb cb, void *arg);
/** Latest committed sequence number. */
uint64_t eng_seq(eng_t *e);

typedef struct eng_stats {
    uint64_t writes;         /* committed write batches */
    uint64_t wal_syncs;      /* WAL fsyncs done by the syncer */
    uint64_t estimate_keys;  /* rocksdb.estimate-num-keys, all CFs */
    uint64_t live_sst_bytes; /* rocksdb.live-sst-files-size */
    uint64_t memtable_bytes; /* rocksdb.cur-size-all-mem-tables */
    uint64_t block_cache_bytes;
    uint64_t pending_compaction_bytes;
} eng_stats_t;
void eng_stats_get(eng_t *e, eng_stats_t *out);
/** The free-space guard's figures (eng_rocks.h): what /health and /metrics show. */
void eng_space_get(eng_t *e, eng_space_t *out);
/** Whether a plain write of about `bytes` would be accepted now (checked before a large body
 * is read, so an upload that cannot fit is refused before it is sent). */
bool eng_space_room(eng_t *e, uint64_t bytes);
/** How many writes the guard refused on the calling thread so far (the api layer turns an
 * internal error that followed a refusal into its protocol's throttling error). */
uint64_t eng_space_refusals(void);
/** Called with each non-zero RocksDB ticker ("rocksdb.block.cache.hit") and its count. */
typedef void (*eng_ticker_cb)(void *arg, kv_slice_t name, uint64_t value);
void eng_stats_tickers(eng_t *e, eng_ticker_cb cb, void *arg);

/* ---- tables ---------------------------------------------------------- */

#define ENG_TABLE_NAME_MAX 255
#define ENG_MAX_TAGS       50

typedef enum eng_billing {
    ENG_BILLING_PROVISIONED = 0,
    ENG_BILLING_PAY_PER_REQUEST = 1,
} eng_billing_t;

typedef enum eng_stream_view {
    ENG_STREAM_NONE = 0,
    ENG_STREAM_KEYS_ONLY,
    ENG_STREAM_NEW_IMAGE,
    ENG_STREAM_OLD_IMAGE,
    ENG_STREAM_NEW_AND_OLD_IMAGES,
} eng_stream_view_t;

typedef struct eng_attr_def {
    const char *name;
    eng_scalar_t type;
} eng_attr_def_t;

typedef struct eng_tag {
    const char *key;
    const char *value;
} eng_tag_t;

typedef enum eng_projection {
    ENG_PROJ_ALL = 0,   /* every attribute */
    ENG_PROJ_KEYS_ONLY, /* the table's and the index's keys */
    ENG_PROJ_INCLUDE,   /* those and the named non-key attributes */
} eng_projection_t;

#define ENG_MAX_GSI        20
#define ENG_MAX_LSI        5
#define ENG_MAX_NONKEY     100 /* NonKeyAttributes summed over a table's indexes */
#define ENG_INDEX_NAME_MAX 255
#define ENG_INDEX_KEYS_MAX 4 /* HASH (and RANGE) attributes of a GSI's multi-attribute key */

/**
 * A secondary index. Its entries live in the items CF under the table's id and the index's
 * id (1..255): u32 table, u8 index, u64 xxh3(index pk), index pk, index sk, then the table's
 * own pk and sk (so entries with equal index keys stay distinct), holding the projected item.
 * Entries are written in the same batch as the item they come from.
 */
typedef struct eng_index {
    const char *name;
    uint8_t id;
    bool global;   /* a GSI (else an LSI: the table's partition key, its own sort key) */
    bool creating; /* a GSI being backfilled (IndexStatus CREATING) */
    const char *hash_key;
    eng_scalar_t hash_type;
    const char *range_key; /* NULL for a hash-only GSI */
    eng_scalar_t range_type;
    eng_projection_t proj;
    const char **include; /* INCLUDE's non-key attributes */
    size_t n_include;
    uint64_t rcu, wcu; /* a provisioned GSI's throughput */
    int64_t created_ms;
    uint64_t item_count, size_bytes; /* filled in by a describe, not stored */

    /* issue 17, package M: a GSI's multi-attribute key: the HASH and RANGE attributes after
     * hash_key and range_key, in KeySchema order (both counts 0 for a one-attribute key; see
     * eng_index_hash_at / eng_index_range_at) */
    eng_attr_def_t hash_more[ENG_INDEX_KEYS_MAX - 1];
    eng_attr_def_t range_more[ENG_INDEX_KEYS_MAX - 1];
    uint8_t n_hash_more, n_range_more;
} eng_index_t;

/** A table definition. Strings and arrays live in the arena that produced it. */
typedef struct eng_table {
    const char *name;
    uint32_t id;
    char uuid[37];
    int64_t created_ms;
    const char *hash_key;
    eng_scalar_t hash_type;
    const char *range_key; /* NULL for a hash-only table */
    eng_scalar_t range_type;
    eng_attr_def_t *attrs;
    size_t n_attrs;
    eng_billing_t billing;
    uint64_t rcu, wcu;
    bool stream_enabled;
    eng_stream_view_t stream_view;
    int64_t stream_created_ms;
    eng_tag_t *tags;
    size_t n_tags;
    uint64_t item_count;
    uint64_t size_bytes;
    bool pitr; /* point-in-time recovery (continuous backups) enabled */
    int64_t pitr_since_ms;
    const char *ttl_attr; /* Time to Live attribute, NULL when TTL is off */
    uint32_t stream_id;   /* the current stream's id (0: none) */
    uint32_t pitr_log_id; /* the point-in-time-recovery change log's id (0: none) */
    eng_index_t *indexes; /* GSIs and LSIs */
    size_t n_indexes;
    uint8_t last_index_id; /* the newest index id handed out (ids are not reused soon) */
    uint64_t gen;          /* the catalog generation this copy was read at */

    /* issue 16, package K: SSESpecification's KMS key ARN (NULL: the AWS owned key) */
    const char *sse_kms_arn;
} eng_table_t;

/**
 * Create a table. The caller fills the definition; id, uuid and created_ms
 * are set here. @return 0, KV_EEXIST, KV_EIO.
 */
int eng_table_create(eng_t *e, eng_table_t *t);
/** Store nt's settings (billing, throughput, stream, PITR, TTL, each index's throughput) into
 * the table named nt->name, keeping its identity, schema and tags.
 * @return 0, KV_ENOTFOUND, KV_EIO. */
int eng_table_update(eng_t *e, const eng_table_t *nt);
/** Replace a table's tags. @return 0, KV_ENOTFOUND, KV_ETOOBIG, KV_EIO. */
int eng_table_set_tags(eng_t *e, kv_slice_t name, const eng_tag_t *tags, size_t n);
/** Add a GSI (ix's id, created_ms and creating are set here; it starts CREATING until
 * eng_index_backfill completes), adding the definitions of its key attributes.
 * @return 0, KV_ENOTFOUND, KV_EEXIST (an index of that name), KV_ETOOBIG (no index id free),
 * KV_EIO. */
int eng_table_add_index(eng_t *e, kv_slice_t table, const eng_index_t *ix);
/** Remove an index and (with one range tombstone) its entries. @return 0, KV_ENOTFOUND. */
int eng_table_drop_index(eng_t *e, kv_slice_t table, kv_slice_t index);
/** Write the entries of a CREATING index for every item already in the table (each item
 * under its lock, so concurrent writes are never lost), then mark the index ACTIVE.
 * @return 0, KV_ENOTFOUND (table or index gone meanwhile), KV_EIO. */
int eng_index_backfill(eng_t *e, kv_slice_t table, uint8_t index_id);
/** One bounded part of eng_index_backfill: the items after the key in *after (empty: from the
 * start), at most max_items of them (0: all); *after is left at the last item written.
 * @return 1 when items remain, 0 when the index is now ACTIVE, KV_ENOTFOUND, KV_EIO. */
int eng_index_backfill_step(eng_t *e, kv_slice_t table, uint8_t index_id, kv_buf_t *after,
                            size_t max_items);
/** An index by name, or NULL. */
const eng_index_t *eng_index_find(const eng_table_t *t, kv_slice_t name);
/** Entries and bytes stored for the table (index NULL) or one index, counted up to limit
 * entries. @return 0 or an I/O error. */
int eng_index_stats(eng_t *e, const eng_table_t *t, const eng_index_t *ix, uint64_t limit,
                    uint64_t *count, uint64_t *bytes);

/** Look a table up. *out lives in arena a. @return 0, KV_ENOTFOUND, KV_EIO, KV_ECORRUPT. */
int eng_table_get(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_table_t **out);
/**
 * Delete a table and (with one range tombstone) its items. *old_out (may be
 * NULL) receives the definition as it was. @return 0, KV_ENOTFOUND, KV_EIO.
 */
int eng_table_delete(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_table_t **old_out);
/**
 * Table names in order, strictly after start_after (empty: from the start),
 * at most limit of them. *more is true when names remain after the last one.
 */
int eng_table_list(eng_t *e, kv_slice_t start_after, size_t limit, kv_arena_t *a,
                   const char ***names_out, size_t *n_out, bool *more);

/* ---- table backups ---------------------------------------------------- */

typedef struct eng_backup {
    const char *id; /* "<13-digit ms>-<8 hex>", as in a DynamoDB backup ARN */
    const char *name;
    const char *table; /* the source table's name */
    eng_table_t *def;  /* its definition when the backup was taken */
    int64_t created_ms;
    uint64_t size_bytes;
} eng_backup_t;

/** Back a table up (a RocksDB checkpoint). @return 0, KV_ENOTFOUND (no such table), KV_EIO. */
int eng_backup_create(eng_t *e, kv_slice_t table, const char *name, kv_arena_t *a,
                      eng_backup_t **out);
/** @return 0, KV_ENOTFOUND. */
int eng_backup_get(eng_t *e, kv_slice_t id, kv_arena_t *a, eng_backup_t **out);
/** Backups in id (creation) order after `after`, at most limit. */
int eng_backup_list(eng_t *e, kv_slice_t after, size_t limit, kv_arena_t *a, eng_backup_t **out,
                    size_t *n, bool *more);
/** @return 0, KV_ENOTFOUND. */
int eng_backup_delete(eng_t *e, kv_slice_t id);
/** A new table `target` holding the backup's items. @return 0, KV_ENOTFOUND (no backup),
 * KV_EEXIST (target exists), KV_EIO. */
int eng_backup_restore(eng_t *e, kv_slice_t id, const char *target, kv_arena_t *a,
                       eng_table_t **out);

/** A new table `target` holding source's items as they were at at_ms (from its PITR log);
 * its indexes are rebuilt by the backfill. @return 0, KV_ENOTFOUND (no source), KV_EINVAL
 * (PITR off), KV_EEXIST (target exists), KV_EIO. */
int eng_pitr_restore(eng_t *e, kv_slice_t source, const char *target, int64_t at_ms, kv_arena_t *a,
                     eng_table_t **out);

/* ---- items ----------------------------------------------------------- */

/**
 * The RocksDB key of an item of table t, from its key attribute values (sk is
 * NULL for a hash-only table). Values must already have the schema's types.
 * @return 0, or KV_EINVAL for a value that cannot be a key. *out is in arena a.
 */
int eng_item_key(const eng_table_t *t, const eng_av_t *pk, const eng_av_t *sk, kv_arena_t *a,
                 kv_slice_t *out);
/** Read one item. @return 0, KV_ENOTFOUND, KV_EIO, KV_ECORRUPT. *out lives in arena a. */
int eng_item_get(eng_t *e, kv_slice_t key, kv_arena_t *a, eng_item_t **out);

typedef enum eng_rmw {
    ENG_RMW_NONE = 0,   /* leave the item as it is */
    ENG_RMW_PUT = 1,    /* store *new_item */
    ENG_RMW_DELETE = 2, /* delete the item */
} eng_rmw_t;

/**
 * Decides a read-modify-write: old is the current item (NULL when absent).
 * @return an eng_rmw_t, or a negative KV_E* code (e.g. KV_ECONDFAIL) to abort.
 */
typedef int (*eng_rmw_cb)(void *arg, const eng_item_t *old, eng_item_t **new_item);
/**
 * Atomic read-modify-write of one item: the item's lock is held from the read
 * to the commit, so concurrent updates of one item serialise and updates of
 * different items run in parallel. *old_out (may be NULL) gets the item as it
 * was. @return 0 (with *written telling whether a write happened), the
 * callback's negative code, KV_ETOOBIG, or KV_EIO.
 */
int eng_item_rmw(eng_t *e, const eng_table_t *t, kv_slice_t key, kv_arena_t *a, eng_rmw_cb cb,
                 void *arg, eng_item_t **old_out, bool *written);

/** Read items at one snapshot; out[i] is NULL for an absent item. @return 0 or KV_EIO. */
int eng_item_get_many(eng_t *e, const kv_slice_t *keys, size_t n, kv_arena_t *a, eng_item_t **out);

/** One item of a transaction: its key and decision (as eng_item_rmw's); filled in: the item
 * as it was, the new item, and the decision (an eng_rmw_t, a negative code, or KV_EBUSY for
 * an item another writer held). */
typedef struct eng_txn_op {
    const eng_table_t *t;
    kv_slice_t key;
    eng_rmw_cb cb;
    void *arg;
    eng_item_t *old, *nu;
    int rc;
} eng_txn_op_t;
/**
 * All-or-nothing read-modify-write of distinct items: every item's lock is held from the
 * reads to the commit, and every change goes in one batch. @return 0 (committed),
 * KV_ECONDFAIL (a decision refused: see each op's rc; nothing written), KV_EBUSY (an item's
 * lock stayed taken: a conflict, nothing written), or an I/O error.
 */
int eng_item_txn(eng_t *e, eng_txn_op_t *ops, size_t n, kv_arena_t *a);

/**
 * Unconditional put (item != NULL) or delete under the item's lock, without
 * reading the old item (for writes that need neither a condition nor the old
 * value). @return 0, KV_ETOOBIG or KV_EIO.
 */
int eng_item_write(eng_t *e, const eng_table_t *t, kv_slice_t key, const eng_item_t *item);

/* Time to Live: every write of an item of a table with TTL on keeps an expiry index entry
 * (state CF: table id, expiry seconds, item key) in the same batch, so expired items are
 * found without scanning the table. */
/** Turn TTL on (attr, with every existing item indexed) or off (attr NULL, index dropped). */
int eng_ttl_set(eng_t *e, const eng_table_t *t, const char *attr);
/** Index entries of table t due at now_s (expiry <= now_s), at most limit: their item keys
 * and expiries (in arena a). */
int eng_ttl_due(eng_t *e, const eng_table_t *t, int64_t now_s, size_t limit, kv_arena_t *a,
                kv_slice_t **keys, uint64_t **secs, size_t *n);
/** Drop one index entry (the item changed or is gone). */
int eng_ttl_forget(eng_t *e, const eng_table_t *t, uint64_t secs, kv_slice_t key);
/** The expiry (epoch seconds) an item carries under attr; false when none counts. */
bool eng_ttl_of(const char *attr, const eng_item_t *it, uint64_t *secs);

/*
 * Reading a table or an index in key order (Query and Scan). The caller says what to read in
 * typed values; only the engine turns that into key bounds. Items come in key order: within a
 * partition by sort key (DynamoDB's order), across partitions in the engine's own order.
 */

/** A Query's condition on the sort key (of the table, or of the index read). */
typedef enum eng_sk_op {
    ENG_SK_NONE = 0, /* the whole partition */
    ENG_SK_EQ,
    ENG_SK_LT,
    ENG_SK_LE,
    ENG_SK_GT,
    ENG_SK_GE,
    ENG_SK_BETWEEN, /* sk1 <= sk <= sk2 */
    ENG_SK_BEGINS,  /* begins_with(sk, sk1): S and B only */
} eng_sk_op_t;

/** What a cursor reads: a Query (pk set) or a Scan (pk NULL). */
typedef struct eng_read_spec {
    const eng_table_t *t;
    const eng_index_t *ix;     /* NULL: the table itself */
    const eng_av_t *pk;        /* Query: the partition key's value; NULL: a Scan */
    eng_sk_op_t sk_op;         /* Query: the sort-key condition */
    const eng_av_t *sk1, *sk2; /* its operands (sk2: BETWEEN's upper bound) */
    bool reverse;              /* Query: descending sort-key order */
    uint32_t segment;          /* Scan: parallel-scan segment `segment` of total_segments */
    uint32_t total_segments;   /* 0 or 1: the whole table or index */
    const eng_item_t *start;   /* ExclusiveStartKey: the table's key attributes (and, reading an
                                  index, the index's); reading resumes after it. NULL: none */

    /* issue 17, package M: a Query of a multi-attribute key: the values of the index's further
     * HASH attributes (n_hash_more of them, in order), and equalities on its first n_sk_eq
     * RANGE attributes; sk_op then applies to RANGE attribute n_sk_eq (0-based). */
    const eng_av_t *pk_more[ENG_INDEX_KEYS_MAX - 1];
    const eng_av_t *sk_eq[ENG_INDEX_KEYS_MAX - 1];
    uint8_t n_sk_eq;
} eng_read_spec_t;

/** Why eng_cursor_open refused a spec (it returns KV_EINVAL). */
typedef enum eng_read_err {
    ENG_READ_OK = 0,
    ENG_READ_BAD_PK,      /* the partition key value is not a key value of the schema's type */
    ENG_READ_BAD_SK,      /* a sort-key operand is not of the sort key's type (or N in BEGINS) */
    ENG_READ_BAD_BETWEEN, /* BETWEEN's lower bound is above its upper bound */
    ENG_READ_BAD_START,   /* the start key is not a key of the table (or of the index) */
    ENG_READ_BAD_SEGMENT, /* a parallel Scan's start key is of another segment */
} eng_read_err_t;

typedef struct eng_cursor eng_cursor_t;
/**
 * Open a cursor over what spec names (spec and what it points to may go after the call).
 * Memory stays bounded: items are read one at a time from one RocksDB iterator.
 * @return 0 with *out (close with eng_cursor_close), or KV_EINVAL with *why set.
 */
int eng_cursor_open(eng_t *e, const eng_read_spec_t *spec, eng_cursor_t **out, eng_read_err_t *why);
/** Next item: 1 with *item in arena a, 0 at the end, or a negative KV_E* code. */
int eng_cursor_next(eng_cursor_t *c, kv_arena_t *a, eng_item_t **item);
/** Accepts NULL. */
void eng_cursor_close(eng_cursor_t *c);

/* ---- streams ---------------------------------------------------------- */

/* A table's stream: records in the streams CF under (stream id, shard, sequence number), one
 * per item change, appended in the change's own batch. Sequence numbers come from one counter
 * taken under a lock held through the commit, so a reader never sees a gap fill in later. */

typedef enum eng_event { ENG_EV_INSERT = 1, ENG_EV_MODIFY, ENG_EV_REMOVE } eng_event_t;

typedef struct eng_stream {
    uint32_t id;
    uint32_t table_id;
    const char *table;
    int64_t created_ms;  /* its label */
    int64_t disabled_ms; /* 0 while the table still writes to it */
    eng_stream_view_t view;
    const char *hash_key;
    eng_scalar_t hash_type;
    const char *range_key;
    eng_scalar_t range_type;
    bool pitr;   /* a point-in-time-recovery log, not a user stream */
    bool bucket; /* a bucket's event log (table: the bucket's name; listed with the rest) */
} eng_stream_t;

typedef struct eng_srec {
    uint64_t seq;
    eng_event_t event;
    int64_t time_ms;
    bool service; /* written by DynamoDB itself (a TTL expiry) */
    eng_item_t *keys, *old_img, *new_img;
    size_t size_bytes;
} eng_srec_t;

/** How long a stream shard stays open (DynamoDB rolls shards over about every 4 hours). */
void eng_stream_set_shard_ms(eng_t *e, int64_t ms);
/** A shard of a stream: records from first on, until the next shard's first. */
typedef struct eng_shard {
    int64_t start_ms; /* the start of the period it covers */
    uint64_t first;
} eng_shard_t;
/** The shards stream id has records in, oldest first (a stream written before shards were
 * recorded has one from its creation), and those a reader was shown (eng_stream_layout). */
int eng_stream_shards(eng_t *e, uint32_t id, kv_arena_t *a, eng_shard_t **out, size_t *n);
/** A stream's shards with its bounds (as eng_stream_bounds gives them), all from one read. */
typedef struct eng_stream_layout {
    eng_shard_t *shards; /* oldest first */
    size_t n;
    uint64_t first, last, trimmed;
} eng_stream_layout_t;
/**
 * The shards and bounds of stream id, read at one snapshot so that they agree whatever is
 * written meanwhile. With now_ms > 0, when the stream's last shard began in an earlier period
 * than now_ms's, the current period's shard is opened first (from the next number), so that
 * the shard a reader is shown stays listed, closed, after its period ends, records or not.
 */
int eng_stream_layout(eng_t *e, uint32_t id, int64_t now_ms, kv_arena_t *a,
                      eng_stream_layout_t *out);
/** A stream by id. @return 0, KV_ENOTFOUND. */
int eng_stream_get(eng_t *e, uint32_t id, kv_arena_t *a, eng_stream_t **out);
/** User streams in id order after `after`, at most limit. */
int eng_stream_list(eng_t *e, uint32_t after, size_t limit, kv_arena_t *a, eng_stream_t **out,
                    size_t *n, bool *more);
/** The first and last sequence numbers a stream holds (*first > *last when it is empty:
 * *first is then the next number any stream will get), and the last number trimmed from it
 * (0: none): a reader positioned at or before that has lost records. */
int eng_stream_bounds(eng_t *e, uint32_t id, uint64_t *first, uint64_t *last, uint64_t *trimmed);
/** Records from sequence number `from` on, at most limit and about max_bytes. */
int eng_stream_read(eng_t *e, uint32_t id, uint64_t from, size_t limit, size_t max_bytes,
                    kv_arena_t *a, eng_srec_t **out, size_t *n);
/** Records of a stream in reverse, newest first, down to (not including) time since_ms:
 * cb(arg, rec) for each; a non-zero return stops. */
int eng_stream_walk_back(eng_t *e, uint32_t id, int64_t since_ms, kv_arena_t *a,
                         int (*cb)(void *arg, const eng_srec_t *r), void *arg);
/** Drop records older than keep_ms (user streams) or pitr_keep_ms (PITR logs), and streams
 * disabled longer than keep_ms ago. */
int eng_stream_trim(eng_t *e, int64_t now_ms, int64_t keep_ms, int64_t pitr_keep_ms);
/** Like eng_item_rmw, with the change's stream record marked as DynamoDB's own (TTL). */
int eng_item_rmw_service(eng_t *e, const eng_table_t *t, kv_slice_t key, kv_arena_t *a,
                         eng_rmw_cb cb, void *arg, bool *written);

/* ---- functions ------------------------------------------------------- */

/** A Lambda function's definition. Strings live in the arena that produced it. */
typedef struct eng_function {
    const char *name;
    uint32_t id;
    const char *runtime, *role, *handler, *description, *arch;
    uint32_t timeout_s, memory_mb;
    eng_tag_t *env; /* Environment.Variables */
    size_t n_env;
    eng_tag_t *tags;
    size_t n_tags;
    int64_t created_ms, modified_ms;
    uint64_t code_size;
    char code_sha256[48]; /* base64 of the zip's SHA-256 */
    uint32_t code_id;     /* names <data dir>/functions/<code_id>.zip */
    char revision[40];
    int32_t reserved;         /* reserved concurrency; -1: none */
    const char *event_config; /* asynchronous invocation settings (Lambda's JSON); NULL: none */
    /* Versions, layers and the resource policy (issue 13, package D; TLV tags 30..34). */
    uint32_t version;      /* 0: $LATEST; n: published version n (immutable code and config) */
    uint32_t last_version; /* $LATEST: the highest version published so far */
    char pub_revision[40]; /* $LATEST: its revision when it was last published */
    const char **layers;   /* layer version ARNs, in order (at most 5) */
    size_t n_layers;
    const char **statements; /* resource policy statements (JSON texts) of this version */
    size_t n_statements;
    uint32_t ephemeral_mb; /* EphemeralStorage.Size: its /tmp in MB (0: 512, Lambda's default) */
    /* LoggingConfig (TLV tags 50..53); NULL: Lambda's default (Text, /aws/lambda/<name>) */
    const char *log_format;    /* "Text" or "JSON" */
    const char *app_log_level; /* TRACE|DEBUG|INFO|WARN|ERROR|FATAL (JSON only) */
    const char *sys_log_level; /* DEBUG|INFO|WARN (JSON only) */
    const char *log_group;     /* a custom log group */
    /* The code's unzipped size (issue 13, package H; TLV tag 35); 0: not recorded (a function
     * stored before it was). */
    uint64_t unzipped_size;
} eng_function_t;

enum { ENG_FN_CREATE = 0, ENG_FN_UPDATE = 1 };
/** Create (mode ENG_FN_CREATE: KV_EEXIST if it exists) or update (KV_ENOTFOUND if it does not)
 * a function; zip.p non-NULL stores new code (synced to disk before the record commits),
 * otherwise the code stays. id, code_id (and, on update, created_ms) are set here. */
int eng_function_put(eng_t *e, eng_function_t *f, kv_slice_t zip, int mode);
/** @return 0, KV_ENOTFOUND. */
int eng_function_get(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_function_t **out);
/** @return 0, KV_ENOTFOUND. The code file goes too. */
int eng_function_delete(eng_t *e, kv_slice_t name);
/** Functions in name order after `after`, at most limit. */
int eng_function_list(eng_t *e, kv_slice_t after, size_t limit, kv_arena_t *a, eng_function_t **out,
                      size_t *n, bool *more);
/** An event source mapping: a function fed from a table stream or an SQS queue. */
typedef enum eng_start {
    ENG_START_TRIM_HORIZON = 1,
    ENG_START_LATEST,
    ENG_START_AT_TIMESTAMP
} eng_start_t;
/** What a mapping reads (issue 14: SQS queues besides table streams). */
typedef enum eng_source {
    ENG_SOURCE_STREAM = 0, /* a DynamoDB table stream (stream_id) */
    ENG_SOURCE_SQS,        /* an SQS queue (source_arn), standard or FIFO */
} eng_source_t;
typedef struct eng_mapping {
    char uuid[40];
    const char *function;   /* the function's name */
    const char *source_arn; /* the stream's ARN, as given */
    uint32_t stream_id;
    uint32_t batch_size, window_s, parallel;
    eng_start_t start;
    int64_t start_ms;      /* AT_TIMESTAMP */
    const char **patterns; /* FilterCriteria patterns (JSON texts) */
    size_t n_patterns;
    int32_t max_retries; /* -1: until the record expires */
    int32_t max_age_s;   /* -1: no limit */
    bool bisect, report_failures, enabled;
    const char *on_failure; /* DestinationConfig.OnFailure.Destination, or NULL */
    int64_t modified_ms;
    /* SQS sources (issue 14, package W2) */
    eng_source_t source;      /* what source_arn names: a table stream or an SQS queue */
    uint32_t max_concurrency; /* ScalingConfig.MaximumConcurrency (2..1000; 0: not set) */
} eng_mapping_t;
/** Store a mapping (mode ENG_FN_CREATE: KV_EEXIST if its uuid exists; ENG_FN_UPDATE:
 * KV_ENOTFOUND if not). */
int eng_mapping_put(eng_t *e, const eng_mapping_t *m, int mode);
int eng_mapping_get(eng_t *e, kv_slice_t uuid, kv_arena_t *a, eng_mapping_t **out);
int eng_mapping_delete(eng_t *e, kv_slice_t uuid);
/** The last stream sequence number a mapping has processed. @return 0, KV_ENOTFOUND. */
int eng_mapping_checkpoint(eng_t *e, kv_slice_t uuid, uint64_t *seq);
int eng_mapping_set_checkpoint(eng_t *e, kv_slice_t uuid, uint64_t seq);
/** Mappings in uuid order after `after`, at most limit. */
int eng_mapping_list(eng_t *e, kv_slice_t after, size_t limit, kv_arena_t *a, eng_mapping_t **out,
                     size_t *n, bool *more);
/** The path of a function's zip. */
void eng_function_code_path(eng_t *e, uint32_t code_id, char *out, size_t cap);

/* ---- function versions, aliases and layers (catalog kinds 'V', 'A', 'Y') ---- */

/**
 * Publish $LATEST of function name as a new version (its record in *out, arena a): refused
 * with KV_ECONDFAIL when revision (non-empty) is not $LATEST's. When neither code nor
 * configuration changed since the last version published, that version is returned (*created
 * false). description (NULL: $LATEST's) is the version's. @return 0, KV_ENOTFOUND.
 */
int eng_version_publish(eng_t *e, kv_slice_t name, const char *revision, const char *description,
                        kv_arena_t *a, eng_function_t **out, bool *created);
/** Version n of a function. @return 0, KV_ENOTFOUND. */
int eng_version_get(eng_t *e, kv_slice_t name, uint32_t n, kv_arena_t *a, eng_function_t **out);
/** Versions of a function after version `after` (0: from the first), at most limit. */
int eng_version_list(eng_t *e, kv_slice_t name, uint32_t after, size_t limit, kv_arena_t *a,
                     eng_function_t **out, size_t *n, bool *more);
/** Delete version n (its code file too when nothing else runs it). KV_EBUSY when an alias
 * routes to it. @return 0, KV_ENOTFOUND, KV_EBUSY. */
int eng_version_delete(eng_t *e, kv_slice_t name, uint32_t n);
/** Replace the policy statements of version n (the rest of the version is immutable). */
int eng_version_set_policy(eng_t *e, kv_slice_t name, uint32_t n, const char **statements,
                           size_t n_statements);

/** A function alias: a name for one version, or two with a weight. */
typedef struct eng_alias {
    const char *function, *name, *description;
    uint32_t version;       /* its FunctionVersion (0: $LATEST) */
    uint32_t extra_version; /* RoutingConfig's additional version (0: none) */
    double extra_weight;    /* the share of invocations routed to it, 0..1 */
    char revision[40];
    const char **statements; /* its resource policy statements */
    size_t n_statements;
} eng_alias_t;
/** Store an alias (mode ENG_FN_CREATE: KV_EEXIST if it exists; ENG_FN_UPDATE: KV_ENOTFOUND
 * if not); KV_ENOTFOUND too when the function is gone. */
int eng_alias_put(eng_t *e, const eng_alias_t *al, int mode);
int eng_alias_get(eng_t *e, kv_slice_t function, kv_slice_t name, kv_arena_t *a, eng_alias_t **out);
/** Delete an alias and its function URL configuration. */
int eng_alias_delete(eng_t *e, kv_slice_t function, kv_slice_t name);
/** A function's aliases in name order after `after`, at most limit. */
int eng_alias_list(eng_t *e, kv_slice_t function, kv_slice_t after, size_t limit, kv_arena_t *a,
                   eng_alias_t **out, size_t *n, bool *more);

/** A layer version: a zip unpacked under /opt of the functions that name it. */
typedef struct eng_layer {
    const char *name;
    uint32_t version;
    const char *description, *license;
    const char **runtimes, **archs; /* CompatibleRuntimes, CompatibleArchitectures */
    size_t n_runtimes, n_archs;
    int64_t created_ms;
    uint64_t code_size, unzipped_size;
    char code_sha256[48];
    uint32_t code_id;        /* its zip: eng_function_code_path */
    const char **statements; /* its permission statements (JSON texts) */
    size_t n_statements;
    bool deleted; /* deleted while functions named it: kept for them, hidden from the API */
} eng_layer_t;
/** Publish a new version of layer l->name with zip (l->version, code_id and created_ms are
 * set here). */
int eng_layer_publish(eng_t *e, eng_layer_t *l, kv_slice_t zip);
int eng_layer_get(eng_t *e, kv_slice_t name, uint32_t version, kv_arena_t *a, eng_layer_t **out);
/** Replace a layer version's permission statements. */
int eng_layer_set_policy(eng_t *e, kv_slice_t name, uint32_t version, const char **statements,
                         size_t n_statements);
/** Delete a layer version. As on Lambda, the functions that name it keep it: then it is only
 * marked deleted (eng_layer_get still finds it, with deleted set). @return 0, KV_ENOTFOUND. */
int eng_layer_delete(eng_t *e, kv_slice_t name, uint32_t version);
/** Layer versions in (name, version) order after (after, after_version), at most limit; name
 * (non-empty) restricts them to one layer. */
int eng_layer_list(eng_t *e, kv_slice_t name, kv_slice_t after, uint32_t after_version,
                   size_t limit, kv_arena_t *a, eng_layer_t **out, size_t *n, bool *more);
/* Function logs: eng_fnlog.h. */

/* ---- buckets --------------------------------------------------------- */

/** A bucket's versioning state: OFF until first enabled, then ENABLED or SUSPENDED. */
typedef enum eng_versioning {
    ENG_VERSIONING_OFF = 0,
    ENG_VERSIONING_ENABLED,
    ENG_VERSIONING_SUSPENDED,
} eng_versioning_t;

/** Bucket configuration documents, stored as the api layer hands them over. */
typedef enum eng_bucket_doc {
    ENG_BDOC_POLICY = 0, /* JSON bucket policy */
    ENG_BDOC_CORS,       /* CORSConfiguration XML */
    ENG_BDOC_LIFECYCLE,  /* LifecycleConfiguration XML */
    ENG_BDOC_NOTIFY,     /* NotificationConfiguration XML */
    ENG_BDOC_PAB,        /* issue 15: PublicAccessBlockConfiguration XML */
    ENG_BDOC_OWNERSHIP,  /* issue 15: OwnershipControls XML (none: BucketOwnerEnforced) */
    ENG_BDOC_ACL,        /* issue 15: the bucket's ACL (api/s3/s3_acl.c's encoding) */
    /* issue 16 */
    ENG_BDOC_ENCRYPTION,      /* package E: ServerSideEncryptionConfiguration */
    ENG_BDOC_OBJECT_LOCK,     /* package L: ObjectLockConfiguration (present: lock enabled) */
    ENG_BDOC_LOGGING,         /* package G: BucketLoggingStatus */
    ENG_BDOC_WEBSITE,         /* package W: WebsiteConfiguration */
    ENG_BDOC_REQUEST_PAYMENT, /* package R: RequestPaymentConfiguration */
    ENG_BDOC_ACCELERATE,      /* package R: AccelerateConfiguration */
    ENG_BDOC_TIERING,         /* package R: every IntelligentTieringConfiguration, by id */
    ENG_BDOC_INVENTORY,       /* package R: every InventoryConfiguration, by id */
    ENG_BDOC_ANALYTICS,       /* package R: every AnalyticsConfiguration, by id */
    ENG_BDOC_METRICS,         /* package R: every MetricsConfiguration, by id */
    ENG_BDOC_N
} eng_bucket_doc_t;

typedef struct eng_bucket {
    const char *name;
    uint32_t id;
    int64_t created_ms;
    const char *region; /* LocationConstraint; NULL or "" for us-east-1 */
    bool has_tags;      /* a tag set was stored (it may be empty) */
    eng_tag_t *tags;
    size_t n_tags;
    eng_versioning_t versioning;
    kv_slice_t docs[ENG_BDOC_N]; /* empty when not set */
    uint32_t log_id; /* the event log kept while notifications are configured (0: none) */
} eng_bucket_t;

/** Create a bucket; id and created_ms are set here. @return 0, KV_EEXIST, KV_EIO. */
int eng_bucket_create(eng_t *e, eng_bucket_t *b);
/** @return 0, KV_ENOTFOUND, KV_EIO, KV_ECORRUPT. */
int eng_bucket_get(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_bucket_t **out);
/** Replace a bucket's tag set (has_tags false removes it). @return 0, KV_ENOTFOUND, KV_EIO. */
int eng_bucket_set_tags(eng_t *e, kv_slice_t name, bool has_tags, const eng_tag_t *tags, size_t n);
/** Set the versioning state (never back to OFF). @return 0, KV_ENOTFOUND, KV_EIO; KV_ELOCKED
 * (issue 16): not ENABLED while Object Lock is on. */
int eng_bucket_set_versioning(eng_t *e, kv_slice_t name, eng_versioning_t v);
/** Store (or, with an empty doc, remove) a configuration document. @return as above;
 * KV_ELOCKED (issue 16): ENG_BDOC_OBJECT_LOCK set while versioning is not ENABLED, or
 * removed. */
int eng_bucket_set_doc(eng_t *e, kv_slice_t name, eng_bucket_doc_t which, kv_slice_t doc);
/** issue 16, package R: eng_bucket_set_doc only while the stored document is still `expect`
 * (empty: none), for a read-modify-write of a document; KV_ECONDFAIL when it changed. */
int eng_bucket_swap_doc(eng_t *e, kv_slice_t name, eng_bucket_doc_t which, kv_slice_t expect,
                        kv_slice_t doc);
/** @return 0, KV_ENOTFOUND, KV_ENOTEMPTY (objects remain), KV_EIO. */
int eng_bucket_delete(eng_t *e, kv_slice_t name);
/** Buckets in name order after start_after, at most limit; *more as for tables. */
int eng_bucket_list(eng_t *e, kv_slice_t start_after, size_t limit, kv_arena_t *a,
                    eng_bucket_t **out, size_t *n_out, bool *more);

/* ---- objects --------------------------------------------------------- */

#define ENG_BLOB_CHUNK   (1u << 20) /* object bytes are stored in 1 MiB chunks */
#define ENG_OBJ_KEY_MAX  1024
#define ENG_OBJ_META_MAX 2048 /* user metadata bytes (S3's limit) */
/* Issue 18: a plain (unencrypted) single-PUT object of at most this many bytes is kept in its
 * metadata record (one key, one write, one read) instead of a blobs-CF chunk. */
#define ENG_OBJ_INLINE_MAX (8u << 10)

/** Object metadata (strings in the arena that produced it; NULL when absent). */
/** issue 16: how an object's bytes are encrypted. */
typedef enum { ENG_SSE_NONE = 0, ENG_SSE_S3, ENG_SSE_KMS, ENG_SSE_C } eng_sse_t;
/** issue 16: an Object Lock retention mode. */
typedef enum { ENG_LOCK_NONE = 0, ENG_LOCK_GOVERNANCE, ENG_LOCK_COMPLIANCE } eng_lock_mode_t;

typedef struct eng_object {
    kv_slice_t key;
    uint64_t size;
    const char *etag; /* hex MD5, or "<md5>-N" for multipart */
    int64_t mtime_ms;
    const char *content_type;
    const char *content_encoding;
    const char *content_disposition;
    const char *content_language;
    const char *cache_control;
    const char *expires;
    const char *storage_class;
    const char *checksum_algo;  /* "CRC32", ... */
    const char *checksum_value; /* base64 */
    eng_tag_t *meta;            /* x-amz-meta-* without the prefix */
    size_t n_meta;
    eng_tag_t *tags; /* object tags (S3 tagging) */
    size_t n_tags;
    uint64_t data_id;     /* the bytes of a single PUT (n_segs == 0, !inlined) */
    struct eng_seg *segs; /* multipart: the parts' bytes, in order, never copied */
    size_t n_segs;
    uint64_t version;   /* set by writes: orders a key's versions (time-based, unique) */
    bool null_version;  /* its version id is "null" (written while versioning was not on) */
    bool delete_marker; /* a delete marker: no bytes, no headers */
    bool noncurrent;    /* set by readers: not the key's latest version */
    bool shared;        /* its bytes may be named by other records (a copy); they are counted */
    uint32_t log_id;    /* writes: the bucket's event log (0: none) */
    const char *event;  /* writes: the event name logged ("ObjectCreated:Put") */
    kv_slice_t acl;     /* issue 15: its ACL (api/s3/s3_acl.c's encoding); empty: the owner's
                           FULL_CONTROL alone */
    /* issue 16, package E: encryption at rest. The api layer turns sse_key into the data key
     * that the blob reader and writer are given; the engine never sees a key in the clear
     * anywhere else. */
    eng_sse_t sse;
    kv_slice_t sse_key;      /* the wrapped data key (master key, KMS blob, or SSE-C verifier) */
    const char *kms_key_id;  /* ENG_SSE_KMS: the key's ARN */
    const char *kms_context; /* ENG_SSE_KMS: the encryption context (JSON); NULL: none */
    const char *sse_c_md5;   /* ENG_SSE_C: base64 MD5 of the customer key (echoed) */
    bool bucket_key;         /* BucketKeyEnabled (echoed) */
    /* issue 16, package L: Object Lock */
    eng_lock_mode_t lock_mode;
    int64_t lock_until_ms; /* retain-until (with lock_mode) */
    bool legal_hold;
    bool legal_hold_set; /* a hold was set, ON or OFF (GetObjectLegalHold answers it) */
    /* issue 16, package C: checksums */
    const char *checksum_type; /* "COMPOSITE" or "FULL_OBJECT"; NULL: FULL_OBJECT (one PUT) */
    uint64_t upload_id;        /* the multipart upload that made it (0: none) */
    uint64_t parts_hash;       /* and the hash of the part list it was completed with */
    /* issue 16, package W */
    const char *website_redirect; /* x-amz-website-redirect-location; NULL: none */
    /* issue 18: a small object's bytes, kept in its record (no data id, no segments, never
     * shared or encrypted); body is followed in memory by its 8-byte XXH3 seal. */
    bool inlined;
    kv_slice_t body;
} eng_object_t;

/** Which version of a key an operation means. */
typedef enum { ENG_VREF_CURRENT = 0, ENG_VREF_NULL, ENG_VREF_ID } eng_vref_kind_t;
typedef struct eng_vref {
    eng_vref_kind_t kind;
    uint64_t id; /* ENG_VREF_ID: the version number */
} eng_vref_t;

/** One run of an object's bytes: a data id holding size bytes. */
typedef struct eng_seg {
    uint64_t data_id;
    uint64_t size;
    uint32_t part;        /* the part number it was uploaded as (0: unknown) */
    const char *checksum; /* issue 16, package C: the part's checksum (base64, the object's
                             checksum_algo); NULL: none */
} eng_seg_t;

typedef struct eng_blob_writer eng_blob_writer_t;
/** Start writing a new object's bytes under a fresh data id. */
eng_blob_writer_t *eng_blob_writer_new(eng_t *e);
/** Append bytes; full chunks are written as they fill. @return 0 or KV_EIO. */
int eng_blob_write(eng_blob_writer_t *w, const uint8_t *p, size_t n);
/** Whether finishing w (eng_blob_writer_finish, eng_object_put_blob) waits for a flush of the
 * chunks it wrote without the WAL (those past its first 8 MiB): a worker thread's job. */
bool eng_blob_writer_pending(const eng_blob_writer_t *w);
/** Write the last chunk, make the chunks durable (blocks, see eng_blob_writer_pending);
 * *data_id and *size describe the bytes. Frees w. */
int eng_blob_writer_finish(eng_blob_writer_t *w, uint64_t *data_id, uint64_t *size);
/** Drop the bytes written so far (one range tombstone). Frees w; accepts NULL. */
void eng_blob_writer_abort(eng_blob_writer_t *w);
/** issue 16: a data key's length (AES-256). */
#define ENG_DATA_KEY_LEN 32
/**
 * Issue 16: encrypt w's chunks under key (AES-256-GCM, one nonce per chunk from the data id and
 * chunk number; the key is copied and wiped when w is freed). Before the first write only.
 * @return 0, KV_EINVAL (bytes already written, or a key already set).
 */
int eng_blob_writer_set_key(eng_blob_writer_t *w, const uint8_t key[ENG_DATA_KEY_LEN]);

/**
 * Make o (whose bytes are at o->data_id) the current version under its key; o->version and
 * o->null_version are set here. With versioning OFF, or SUSPENDED and a null current
 * version, the previous version is replaced and its bytes deleted in the same batch
 * (readers that opened it keep a snapshot and still read it whole); otherwise it becomes
 * noncurrent. SUSPENDED also replaces a noncurrent null version. If cond is not met
 * (KV_ECONDFAIL, or KV_ENOTFOUND for if_match on an absent key or a delete marker) nothing
 * changes and the new bytes are dropped, as on any failure. @return 0 or a KV_E* code.
 */
typedef struct eng_obj_cond {
    bool if_absent;              /* If-None-Match: * */
    const char *if_match;        /* hex ETag the current object must have */
    bool same_data;              /* o reuses the current object's bytes (a same-key copy): they must
                                    still be current (else KV_EBUSY), and are never dropped here; only
                                    with versioning OFF (else KV_EINVAL: two versions cannot share) */
    eng_versioning_t versioning; /* the bucket's state, read by the caller */
} eng_obj_cond_t;
int eng_object_put(eng_t *e, uint32_t bucket_id, eng_object_t *o, const eng_obj_cond_t *cond);
/** eng_object_put for the bytes of w (o's data id and size are set from it): the last
 * chunk is written in the metadata's batch, so a small object costs one write; a plain
 * object of at most ENG_OBJ_INLINE_MAX bytes goes in the record itself (o->inlined). Frees w. */
int eng_object_put_blob(eng_t *e, uint32_t bucket_id, eng_object_t *o, const eng_obj_cond_t *cond,
                        eng_blob_writer_t *w);
/**
 * Copy without copying bytes: o (in dst_bucket, o->key; its headers set by the caller) names
 * the byte runs of version src_version of src_key, found by src_ref, which both records then
 * share. KV_EBUSY when that version is no longer there (read it again, or copy the bytes);
 * KV_EINVAL when o would replace the source record itself (a same-key copy with versioning
 * off: use eng_object_put with same_data). cond as for eng_object_put (same_data unused).
 */
int eng_object_copy(eng_t *e, uint32_t src_bucket, kv_slice_t src_key, const eng_vref_t *src_ref,
                    uint64_t src_version, uint32_t dst_bucket, eng_object_t *o,
                    const eng_obj_cond_t *cond);
/** What a delete did. */
typedef struct eng_del_result {
    bool found;         /* a version was removed (or a marker added) */
    bool delete_marker; /* the version added or removed is a delete marker */
    bool null_version;  /* ... and its id is "null" */
    uint64_t version;
} eng_del_result_t;
/**
 * Delete: without a version (ref NULL or CURRENT) and versioning OFF, the object and its
 * bytes; ENABLED or SUSPENDED, add a delete marker as the current version. With a version,
 * remove exactly it and its bytes (the newest noncurrent version becomes current when it
 * was current). Deleting what is absent succeeds. res may be NULL.
 */
int eng_object_delete(eng_t *e, uint32_t bucket_id, kv_slice_t key, eng_versioning_t v,
                      const eng_vref_t *ref, eng_del_result_t *res);
/** The same, logging the deletion to the bucket's event log log_id (0: none) under the event
 * family `family` ("ObjectRemoved" or "LifecycleExpiration"; ":Delete" or
 * ":DeleteMarkerCreated" is added). */
int eng_object_delete_logged(eng_t *e, uint32_t bucket_id, kv_slice_t key, eng_versioning_t v,
                             const eng_vref_t *ref, eng_del_result_t *res, uint32_t log_id,
                             const char *family);
/** issue 16, package R: a conditional delete's conditions, checked under the key's lock
 * against the version the delete names (the current one when none is named). */
typedef struct eng_del_cond {
    const char *if_match; /* hex ETag, or "*" (it must exist); NULL: no ETag condition */
    bool has_size;
    uint64_t size;
    bool has_mtime;
    int64_t mtime_s;        /* Last-Modified, in whole seconds */
    bool bypass_governance; /* issue 16, package L: x-amz-bypass-governance-retention, allowed */
} eng_del_cond_t;
/** eng_object_delete_logged when cond (NULL: none) holds: KV_ECONDFAIL when it does not,
 * KV_ENOTFOUND when cond->if_match is set and there is no such version (or it is a delete
 * marker); nothing changes on either. */
int eng_object_delete_if(eng_t *e, uint32_t bucket_id, kv_slice_t key, eng_versioning_t v,
                         const eng_vref_t *ref, const eng_del_cond_t *cond, eng_del_result_t *res,
                         uint32_t log_id, const char *family);
/** Replace the tags of one version (ref NULL: current), keeping its bytes and times.
 * @return 0, KV_ENOTFOUND (no such version, or a delete marker). */
int eng_object_set_tags(eng_t *e, uint32_t bucket_id, kv_slice_t key, const eng_vref_t *ref,
                        const eng_tag_t *tags, size_t n);

/* ---- issue 16, package L: Object Lock (eng_objlock.c) ---- */
/** Is version o protected from deletion or replacement at now_ms: a legal hold, or a
 * retention in force (COMPLIANCE always; GOVERNANCE unless bypass_governance)? Every
 * removal of a version in eng_object.c asks this under the key's lock (KV_ELOCKED). */
bool eng_object_lock_holds(const eng_object_t *o, int64_t now_ms, bool bypass_governance);
/** May o's retention become (mode, until_ms) (mode NONE: removed) at now_ms? While one is in
 * force it may only be kept or extended (GOVERNANCE may become COMPLIANCE); GOVERNANCE may
 * be shortened or removed with bypass_governance; COMPLIANCE never. @return 0, KV_ELOCKED. */
int eng_lock_retention_check(const eng_object_t *o, eng_lock_mode_t mode, int64_t until_ms,
                             int64_t now_ms, bool bypass_governance);
/** A change of one version's lock: its retention, its legal hold, or both. */
typedef struct eng_lock_set {
    bool retention;       /* set mode and until_ms */
    eng_lock_mode_t mode; /* ENG_LOCK_NONE: remove the retention */
    int64_t until_ms;
    bool legal_hold; /* set hold */
    bool hold;
    bool bypass_governance; /* x-amz-bypass-governance-retention, authorized */
} eng_lock_set_t;
/** Change the lock of one version (ref NULL: current) in place, judged against the stored
 * record under the key's lock. @return 0, KV_ENOTFOUND, KV_EINVAL (a delete marker),
 * KV_ELOCKED (eng_lock_retention_check refused). */
int eng_object_set_lock(eng_t *e, uint32_t bucket_id, kv_slice_t key, const eng_vref_t *ref,
                        const eng_lock_set_t *set, int64_t now_ms);
/** eng_object_delete_logged with Object Lock's bypass: a version under GOVERNANCE retention
 * may be removed when bypass_governance (the caller authorized it). KV_ELOCKED: refused. */
int eng_object_delete_ex(eng_t *e, uint32_t bucket_id, kv_slice_t key, eng_versioning_t v,
                         const eng_vref_t *ref, eng_del_result_t *res, uint32_t log_id,
                         const char *family, bool bypass_governance);

/* ---- multipart uploads: catalog records, parts' bytes in blobs ---- */

#define ENG_MPU_MAX_PARTS 10000
#define ENG_MPU_MIN_PART  (5u << 20) /* every part but the last */

typedef struct eng_part {
    uint32_t number;
    uint64_t size;
    uint64_t data_id;
    const char *etag; /* hex MD5 */
    int64_t mtime_ms;
    const char *checksum; /* issue 16, package C: base64, of the upload's checksum algorithm;
                             NULL: none */
} eng_part_t;

/** Start an upload of proto->key with proto's headers and metadata; *upload_id is random. */
int eng_upload_create(eng_t *e, uint32_t bucket_id, const eng_object_t *proto, uint64_t *upload_id);
/** The upload's object prototype (in arena a). @return 0, KV_ENOTFOUND. */
int eng_upload_get(eng_t *e, uint32_t bucket_id, kv_slice_t key, uint64_t upload_id, kv_arena_t *a,
                   eng_object_t **proto);
/** Record a part (replacing one with its number); its bytes are dropped on any failure.
 * @return 0, KV_ENOTFOUND (no such upload for this key). */
int eng_upload_put_part(eng_t *e, uint32_t bucket_id, uint64_t upload_id, kv_slice_t key,
                        const eng_part_t *part);
/** Parts in number order after part number `after`, at most limit (in arena a). */
int eng_upload_parts(eng_t *e, uint64_t upload_id, uint32_t after, size_t limit, kv_arena_t *a,
                     eng_part_t **out, size_t *n, bool *more);
/** Why a completion was refused (with KV_EINVAL). */
typedef enum { ENG_MPU_INVALID_PART = 1, ENG_MPU_TOO_SMALL } eng_mpu_err_t;
/**
 * Complete an upload: the n parts named (ascending numbers, ETags checked) become o's
 * segments (each keeping its part's checksum), with no byte copied; o's size is set; other parts'
 * bytes, the upload records and the replaced object's bytes go in the same batch. @return 0,
 * KV_ENOTFOUND (no upload), KV_EINVAL (*why, *bad_index), KV_ECONDFAIL (cond), or an I/O error.
 */
int eng_upload_complete(eng_t *e, uint32_t bucket_id, uint64_t upload_id, const uint32_t *numbers,
                        const char *const *etags, size_t n, eng_object_t *o,
                        const eng_obj_cond_t *cond, eng_mpu_err_t *why, size_t *bad_index);
typedef struct eng_upload {
    uint64_t upload_id;
    eng_object_t *proto; /* key, headers, mtime = initiation time */
} eng_upload_t;
/** A bucket's uploads in (key, upload id) order from key `from` (after upload after_id of it
 * when non-zero), at most limit, in arena a. */
int eng_upload_list(eng_t *e, uint32_t bucket_id, kv_slice_t from, uint64_t after_id, size_t limit,
                    kv_arena_t *a, eng_upload_t **out, size_t *n, bool *more);
/** Abort an upload and drop its parts' bytes. @return 0, KV_ENOTFOUND. */
int eng_upload_abort(eng_t *e, uint32_t bucket_id, uint64_t upload_id, kv_slice_t key);

typedef struct eng_object_reader eng_object_reader_t;
/**
 * Open a version (ref NULL: the current one) for reading at a snapshot: *meta (in arena a)
 * and, when reader is not NULL and the version is not a delete marker, a reader of its
 * bytes. @return 0, KV_ENOTFOUND, KV_EIO.
 */
int eng_object_open(eng_t *e, uint32_t bucket_id, kv_slice_t key, const eng_vref_t *ref,
                    kv_arena_t *a, eng_object_t **meta, eng_object_reader_t **reader);
/**
 * Issue 16: the data key of an encrypted version (meta->sse set), before the first read; reads
 * of an encrypted version without it fail with KV_EINVAL, and a chunk that does not open under
 * it (another key, tampered) with KV_ECORRUPT. @return 0, KV_EINVAL (a plain version, or a key
 * already given).
 */
int eng_object_reader_set_key(eng_object_reader_t *r, const uint8_t key[ENG_DATA_KEY_LEN]);
/** Read up to cap bytes at offset. @return bytes read (0 at the end) or a negative KV_E*. */
int64_t eng_object_read(eng_object_reader_t *r, uint64_t offset, uint8_t *buf, size_t cap);
void eng_object_close(eng_object_reader_t *r);

typedef struct eng_obj_iter eng_obj_iter_t;
/** Iterate a bucket's objects in key order from the first key >= from: current versions
 * that are not delete markers, or with all_versions every version of each key, newest
 * first (noncurrent ones flagged). */
eng_obj_iter_t *eng_obj_iter_new(eng_t *e, uint32_t bucket_id, kv_slice_t from, bool all_versions);
/** Reposition at the first key >= from. */
void eng_obj_iter_seek(eng_obj_iter_t *it, kv_slice_t from);
/** Next object: 1 with *meta in arena a, 0 at the end, or a negative KV_E*. */
int eng_obj_iter_next(eng_obj_iter_t *it, kv_arena_t *a, eng_object_t **meta);
void eng_obj_iter_free(eng_obj_iter_t *it);

/* ---- function URLs ---------------------------------------------------- */

/** A function URL's configuration (CreateFunctionUrlConfig), keyed by its url-id. Strings live
 * in the arena that produced it. */
typedef struct eng_fnurl {
    char url_id[40];         /* 32 lower-case letters and digits (the api layer names it) */
    const char *function;    /* the function's name */
    const char *qualifier;   /* "$LATEST" or an alias name */
    const char *auth_type;   /* "NONE" or "AWS_IAM" */
    const char *invoke_mode; /* "BUFFERED" or "RESPONSE_STREAM" */
    const char *cors;        /* the Cors object as Lambda's JSON; NULL: none */
    int64_t created_ms, modified_ms;
} eng_fnurl_t;
/** Store a URL configuration (mode ENG_FN_CREATE: KV_EEXIST if its url-id exists;
 * ENG_FN_UPDATE: KV_ENOTFOUND if not). */
int eng_fnurl_put(eng_t *e, const eng_fnurl_t *u, int mode);
/** @return 0, KV_ENOTFOUND. */
int eng_fnurl_get(eng_t *e, kv_slice_t url_id, kv_arena_t *a, eng_fnurl_t **out);
/** @return 0, KV_ENOTFOUND. */
int eng_fnurl_delete(eng_t *e, kv_slice_t url_id);
/** A function's URL configurations in url-id order after `after`, at most limit.
 * eng_function_delete deletes a function's URLs with it. */
int eng_fnurl_list(eng_t *e, kv_slice_t function, kv_slice_t after, size_t limit, kv_arena_t *a,
                   eng_fnurl_t **out, size_t *n, bool *more);

/* ---- EventBridge (issue 14, package E) -------------------------------- */
/* Catalog kinds 'G' (event buses: name) and 'L' (rules with their targets: bus, rule name);
 * state CF kinds 'G' (delivery records: u64 id) and 'L' (a scheduled rule's next fire time:
 * bus, rule name). */

/** An event bus. Strings live in the arena that produced it. */
typedef struct eng_evbus {
    const char *name;
    const char *description; /* NULL: none */
    int64_t created_ms, modified_ms;
    eng_tag_t *tags;
    size_t n_tags;
    const char *policy; /* issue 15 (package L2): its resource policy (PutPermission), NULL:
                           none */
} eng_evbus_t;
/** Store a bus (mode ENG_FN_CREATE: KV_EEXIST if it exists; ENG_FN_UPDATE: KV_ENOTFOUND if
 * not). */
int eng_evbus_put(eng_t *e, const eng_evbus_t *b, int mode);
/** @return 0, KV_ENOTFOUND. */
int eng_evbus_get(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_evbus_t **out);
/** Delete a bus that has no rules (its leftover fire times go in the same batch).
 * @return 0, KV_ENOTFOUND, KV_ENOTEMPTY (it has rules). */
int eng_evbus_delete(eng_t *e, kv_slice_t name);
/** Buses in name order after `after` (empty: from the first), at most limit. */
int eng_evbus_list(eng_t *e, kv_slice_t after, size_t limit, kv_arena_t *a, eng_evbus_t **out,
                   size_t *n, bool *more);

/** A rule's State. */
typedef enum eng_evrule_state {
    ENG_EVR_ENABLED = 0,
    ENG_EVR_DISABLED,
    ENG_EVR_ENABLED_CT, /* ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS */
} eng_evrule_state_t;
/** A rule of a bus, with its targets (each the Target object as JSON text, in Id order). */
typedef struct eng_evrule {
    const char *bus, *name;
    const char *pattern;     /* EventPattern; NULL: none */
    const char *schedule;    /* ScheduleExpression; NULL: none */
    const char *description; /* NULL: none */
    const char *role_arn;    /* NULL: none */
    eng_evrule_state_t state;
    int64_t created_ms;
    eng_tag_t *tags;
    size_t n_tags;
    const char **targets;
    size_t n_targets;
} eng_evrule_t;
/** Change a rule in place under the catalog lock: fn gets the rule (exists false: a zeroed one
 * with bus and name set) and returns 0 to store it, 1 to leave it, or a KV_ error. With
 * clear_sched the rule's next fire time is dropped in the same batch (its schedule changed).
 * @return 0, 1, KV_ENOTFOUND when the bus does not exist (fn not called), fn's error. */
typedef int (*eng_evrule_fn)(void *arg, eng_evrule_t *r, bool exists, kv_arena_t *a,
                             bool *clear_sched);
int eng_evrule_modify(eng_t *e, kv_slice_t bus, kv_slice_t name, eng_evrule_fn fn, void *arg);
/** @return 0, KV_ENOTFOUND. */
int eng_evrule_get(eng_t *e, kv_slice_t bus, kv_slice_t name, kv_arena_t *a, eng_evrule_t **out);
/** Delete a rule and its schedule; with refuse_targets KV_ENOTEMPTY while it has targets.
 * @return 0, KV_ENOTFOUND, KV_ENOTEMPTY. */
int eng_evrule_delete(eng_t *e, kv_slice_t bus, kv_slice_t name, bool refuse_targets);
/** A bus's rules in name order after `after`, at most limit (0: all). */
int eng_evrule_list(eng_t *e, kv_slice_t bus, kv_slice_t after, size_t limit, kv_arena_t *a,
                    eng_evrule_t **out, size_t *n, bool *more);

/** One delivery of an event to one rule target (an outbox record in the state CF). */
typedef struct eng_evdel {
    uint64_t id;          /* set by eng_evdel_add */
    const char *bus;      /* the rule's bus */
    const char *rule;     /* the rule's name */
    const char *target;   /* the target (JSON text) as it was when the event matched */
    const char *event;    /* the event (JSON text) */
    uint32_t attempts;    /* failed attempts so far */
    int64_t accepted_ms;  /* when the event was put (MaximumEventAgeInSeconds counts from it) */
    int64_t due_ms;       /* the next attempt's time */
    const char *last_err; /* the last failure's error code (NULL: none) */
    const char *last_msg; /* and its message */
    uint64_t event_id;    /* the event record it shares with the event's other deliveries (0:
                             the event is in the record itself, as older records keep it) */
} eng_evdel_t;
/** Add n delivery records of one event in one batch: the event (JSON text) is stored ONCE
 * (state 'G' + u64 event id + 'E', with its count of deliveries at 'G' + id + 'N') and each
 * record refers to it (event_id; d[i].event is ignored and left NULL; the ids are set). With
 * sched_name non-empty the same batch sets that rule's next fire time to next_ms (a
 * schedule's fire). */
int eng_evdel_add(eng_t *e, kv_slice_t event, eng_evdel_t *d, size_t n, kv_slice_t sched_bus,
                  kv_slice_t sched_name, int64_t next_ms);
/** Delivery records with ids after `after`, at most limit, in id order. Their event is NULL
 * when it is in a shared event record (eng_evdel_event loads it). */
int eng_evdel_scan(eng_t *e, uint64_t after, size_t limit, kv_arena_t *a, eng_evdel_t **out,
                   size_t *n);
/** Load d's event into d->event (in a) when it is not there yet. @return 0, KV_ENOTFOUND. */
int eng_evdel_event(eng_t *e, eng_evdel_t *d, kv_arena_t *a);
/** Rewrite a delivery record (after a failed attempt). */
int eng_evdel_update(eng_t *e, const eng_evdel_t *d);
/** Delete a delivery record (delivered or given up); the batch deletes its event record too
 * when it was the event's last delivery. */
int eng_evdel_delete(eng_t *e, const eng_evdel_t *d);
/** A scheduled rule's next fire time. @return 0, KV_ENOTFOUND (none yet). */
int eng_evsched_get(eng_t *e, kv_slice_t bus, kv_slice_t name, int64_t *next_ms);
/** Set it (the first time a schedule is seen). */
int eng_evsched_set(eng_t *e, kv_slice_t bus, kv_slice_t name, int64_t next_ms);

/* ---- SQS queues (issue 14, package Q) -------------------------------------
 * A queue is one catalog record ('Q' + name: the api layer's encoding) naming a u32 id; its
 * messages live in the state CF under 'Q' + id + u64 sequence + part (0: the immutable body
 * record, 1: the mutable delivery state), its deduplication entries under 'D' + id + key. The
 * api layer keeps each queue's index in memory (rebuilt from these at open) and writes every
 * change in one eng_qbatch_t. */

/** A new queue id (committed on its own). @return 0 or KV_EIO. */
int eng_queue_new_id(eng_t *e, uint32_t *id);
/** Store queue name's record (mode ENG_FN_CREATE: KV_EEXIST if it exists; ENG_FN_UPDATE:
 * KV_ENOTFOUND if not). */
int eng_queue_put(eng_t *e, kv_slice_t name, kv_slice_t rec, int mode);
/** Delete queue name's record and, in the same batch, every message and deduplication entry
 * of queue id (range tombstones). @return 0, KV_ENOTFOUND, KV_EIO. */
int eng_queue_delete(eng_t *e, kv_slice_t name, uint32_t id);
/** Every queue record, in name order: take(arg, name, record); a negative return stops. */
int eng_queue_each(eng_t *e, int (*take)(void *arg, kv_slice_t name, kv_slice_t rec), void *arg);
/** Every message record of queue id in sequence order: take(arg, seq, part, value). */
int eng_queue_msgs_each(eng_t *e, uint32_t id,
                        int (*take)(void *arg, uint64_t seq, int part, kv_slice_t val), void *arg);
/** Every deduplication entry of queue id: take(arg, key, value). */
int eng_queue_dedup_each(eng_t *e, uint32_t id,
                         int (*take)(void *arg, kv_slice_t key, kv_slice_t val), void *arg);
/** Read one message part (appended to out). @return 0, KV_ENOTFOUND, KV_EIO. */
int eng_queue_msg_get(eng_t *e, uint32_t id, uint64_t seq, int part, kv_buf_t *out);
/** One logical change of queues' messages: puts and deletes, committed in one write batch. */
typedef struct eng_qbatch eng_qbatch_t;
eng_qbatch_t *eng_qbatch_new(eng_t *e);
void eng_qbatch_msg_put(eng_qbatch_t *b, uint32_t id, uint64_t seq, int part, kv_slice_t val);
/** Delete both parts of a message. */
void eng_qbatch_msg_del(eng_qbatch_t *b, uint32_t id, uint64_t seq);
void eng_qbatch_dedup_put(eng_qbatch_t *b, uint32_t id, kv_slice_t key, kv_slice_t val);
void eng_qbatch_dedup_del(eng_qbatch_t *b, uint32_t id, kv_slice_t key);
/** The queue's sequence high-water mark: the highest sequence ever given to a message of queue
 * id ('Q' + id, kept by a purge, dropped with the queue). @return 0, KV_ENOTFOUND, KV_ECORRUPT,
 * KV_EIO. */
int eng_queue_seq_get(eng_t *e, uint32_t id, uint64_t *hwm);
/** Store it (in the batch that writes the messages with sequences up to hwm). */
void eng_qbatch_seq_put(eng_qbatch_t *b, uint32_t id, uint64_t hwm);
/** Delete every message of queue id (PurgeQueue); the high-water mark stays. */
void eng_qbatch_msgs_clear(eng_qbatch_t *b, uint32_t id);
/** Commit (nothing to commit: 0) and free the batch. @return 0, KV_ENOSPACE, KV_EIO. */
int eng_qbatch_commit(eng_qbatch_t *b);
/** Free without committing. Accepts NULL. */
void eng_qbatch_free(eng_qbatch_t *b);

/* ---- IAM (issue 15, package I; eng_iam.c): records under catalog kind 'I' ----
 * The key after 'I' (a sub-kind byte, then names) and the values are api/iam's: users,
 * groups, roles, managed policies and versions, access keys, inline policies, attachments
 * and group memberships, each with its reverse index, so that lookups are point reads and
 * listings are range scans. */

/** Largest IAM key (after 'I') and value. */
#define ENG_IAM_KEY_MAX 2048
#define ENG_IAM_VAL_MAX (256u << 10)

/** Read the IAM record at key into *val (copied into a). @return 0, KV_ENOTFOUND, KV_EIO. */
int eng_iam_get(eng_t *e, kv_slice_t key, kv_arena_t *a, kv_slice_t *val);
/** Visit the IAM records whose keys start with prefix, in key order, after `after` (a key
 * suffix after prefix; empty: from the start): take(arg, suffix, value) returns 0 to go on,
 * 1 to stop, or a KV_ error; at most limit records (0: no bound). @return 0 or an error. */
int eng_iam_scan(eng_t *e, kv_slice_t prefix, kv_slice_t after, size_t limit,
                 int (*take)(void *arg, kv_slice_t suffix, kv_slice_t val), void *arg);
/** One change of an IAM write: a put (val.p non-NULL) or a delete (val.p NULL). */
/** One write of a kind's records: val.p NULL deletes key (IAM's and KMS's stores). */
typedef struct eng_cat_op {
    kv_slice_t key, val;
} eng_cat_op_t;
typedef eng_cat_op_t eng_iam_op_t;
/** Commit ops in one write batch. @return 0, KV_EINVAL (a key or value over the limits),
 * KV_ENOSPACE, KV_EIO. */
int eng_iam_write(eng_t *e, const eng_iam_op_t *ops, size_t n);

/* ---- account-level settings (issue 15, package S): catalog kind 'X' ---- */
/** Maximum size of one account setting's value. */
#define ENG_ACCOUNT_SETTING_MAX 4096
/** Read account setting name (e.g. "s3-pab") into *out (in arena a).
 * @return 0, KV_ENOTFOUND, KV_EIO. */
int eng_account_get(eng_t *e, kv_slice_t name, kv_arena_t *a, kv_slice_t *out);
/** Store (create or replace) account setting name. @return 0, KV_EINVAL (too large), KV_EIO. */
int eng_account_put(eng_t *e, kv_slice_t name, kv_slice_t value);
/** Remove account setting name. @return 0 (also when it was not set) or KV_EIO. */
int eng_account_delete(eng_t *e, kv_slice_t name);

/* ---- issue 15, package A: S3 ACLs ---- */
/** Replace the ACL (eng_object_t.acl; empty: the default) of one version (ref NULL: current),
 * keeping its bytes and times. @return 0, KV_ENOTFOUND (no such version, or a delete marker). */
int eng_object_set_acl(eng_t *e, uint32_t bucket_id, kv_slice_t key, const eng_vref_t *ref,
                       kv_slice_t acl);

/* ---- KMS (issue 16, package K; eng_kms.c): records under catalog kind 'J' ----
 * The key after 'J' (a sub-kind byte, then ids) and the values are api/kms's: keys (with their
 * sealed material versions), grants, aliases and the aliases' index by key. */

/** Largest KMS key (after 'J') and value. */
#define ENG_KMS_KEY_MAX 1024
#define ENG_KMS_VAL_MAX (256u << 10)

/** Read the KMS record at key into *val (copied into a). @return 0, KV_ENOTFOUND, KV_EIO. */
int eng_kms_get(eng_t *e, kv_slice_t key, kv_arena_t *a, kv_slice_t *val);
/** Visit the KMS records whose keys start with prefix, in key order, after `after` (a key
 * suffix; empty: from the start): take(arg, suffix, value) returns 0 to go on, 1 to stop, or a
 * KV_ error; at most limit records (0: no bound). @return 0 or an error. */
int eng_kms_scan(eng_t *e, kv_slice_t prefix, kv_slice_t after, size_t limit,
                 int (*take)(void *arg, kv_slice_t suffix, kv_slice_t val), void *arg);
/** One change of a KMS write: a put (val.p non-NULL) or a delete (val.p NULL). */
typedef eng_cat_op_t eng_kms_op_t;
/** Commit ops in one write batch. @return 0, KV_EINVAL (a key or value over the limits),
 * KV_ENOSPACE, KV_EIO. */
int eng_kms_write(eng_t *e, const eng_kms_op_t *ops, size_t n);

/* ---- DynamoDB exports and imports (issue 17; eng_ddbio.c): catalog kind 'E' ----
 * The key after 'E' ('X' + export id, 'I' + import id) and the values are api/ddb's. */

/** Largest export/import key (after 'E') and value. */
#define ENG_DDBIO_KEY_MAX 1024
#define ENG_DDBIO_VAL_MAX (256u << 10)

/** Read the record at key into *val (copied into a). @return 0, KV_ENOTFOUND, KV_EIO. */
int eng_ddbio_get(eng_t *e, kv_slice_t key, kv_arena_t *a, kv_slice_t *val);
/** Visit the records whose keys start with prefix, in key order, after `after` (a key suffix;
 * empty: from the start): take(arg, suffix, value) returns 0 to go on, 1 to stop, or a KV_
 * error; at most limit records (0: no bound). @return 0 or an error. */
int eng_ddbio_scan(eng_t *e, kv_slice_t prefix, kv_slice_t after, size_t limit,
                   int (*take)(void *arg, kv_slice_t suffix, kv_slice_t val), void *arg);
/** Commit ops (val.p NULL deletes) in one write batch. @return 0, KV_EINVAL (a key or value
 * over the limits), KV_ENOSPACE, KV_EIO. */
int eng_ddbio_write(eng_t *e, const eng_cat_op_t *ops, size_t n);

/* ---- issue 17, package M (multi-attribute index keys): its engine declarations below ---- */

/* A GSI's key has 1..4 HASH attributes (hash_key, then hash_more) and 0..4 RANGE attributes
 * (range_key, then range_more). Its entries' partition part is the concatenation of the HASH
 * values' key encodings (each self-delimiting, so the concatenation is unambiguous), hashed
 * whole; its sort part the concatenation of the RANGE values' encodings, so that entries sort
 * by the first RANGE attribute, then the second, ... and a left-to-right prefix of them is a
 * key prefix. An item missing any of them is not in the index. */

/** Whether ix has more than one HASH or more than one RANGE attribute. */
static inline bool eng_index_multi(const eng_index_t *ix)
{
    return ix->n_hash_more || ix->n_range_more;
}
/** The number of HASH attributes of ix (1..4). */
static inline size_t eng_index_n_hash(const eng_index_t *ix)
{
    return 1u + ix->n_hash_more;
}
/** The number of RANGE attributes of ix (0..4). */
static inline size_t eng_index_n_range(const eng_index_t *ix)
{
    return ix->range_key ? 1u + ix->n_range_more : 0;
}
/** HASH attribute i (< eng_index_n_hash) of ix. */
static inline eng_attr_def_t eng_index_hash_at(const eng_index_t *ix, size_t i)
{
    return i ? ix->hash_more[i - 1] : (eng_attr_def_t){ix->hash_key, ix->hash_type};
}
/** RANGE attribute i (< eng_index_n_range) of ix. */
static inline eng_attr_def_t eng_index_range_at(const eng_index_t *ix, size_t i)
{
    return i ? ix->range_more[i - 1] : (eng_attr_def_t){ix->range_key, ix->range_type};
}
/** Whether name is one of ix's key attributes. */
bool eng_index_has_key(const eng_index_t *ix, kv_slice_t name);

/* ---- issue 17, package S (streams and API shape): its engine declarations below ---- */

/* ---- issue 17, package E (export): its engine declarations below ---- */
/* eng_ddbexp.c: a table frozen at an export's time, under an id no table names */
/** A fresh catalog id for a staging range. @return 0, KV_EIO. */
int eng_export_take_id(eng_t *e, uint32_t *id);
/** Stage table's items as they were at at_ms under stage_id. @return 0, KV_ENOTFOUND,
 * KV_EINVAL (PITR off), KV_EIO. */
int eng_export_stage(eng_t *e, kv_slice_t table, int64_t at_ms, uint32_t stage_id);
/** Stage the keys that changed in [from_ms, to_ms) (from the PITR log), each with its last write
 * time in microseconds (8 bytes big-endian) as its value. @return 0 or as eng_export_stage. */
int eng_export_stage_changes(eng_t *e, kv_slice_t table, int64_t from_ms, int64_t to_ms,
                             uint32_t stage_id);
/** Visit staged entries after the key in *after (empty: from the start), at most max_items and
 * about max_bytes: take(arg, staged key, value) returns 0 or a KV_E* code; *after is left at the
 * last one taken. @return 1 when entries remain, 0 at the end, or an error. */
int eng_export_read(eng_t *e, uint32_t stage_id, kv_buf_t *after, size_t max_items,
                    size_t max_bytes, kv_arena_t *a,
                    int (*take)(void *arg, kv_slice_t key, kv_slice_t val), void *arg);
/** The item at another range's staged key under stage_id. @return 0, KV_ENOTFOUND, KV_EIO. */
int eng_export_get(eng_t *e, uint32_t stage_id, kv_slice_t staged_key, kv_arena_t *a,
                   eng_item_t **out);
/** Drop a staging range (one range tombstone). */
int eng_export_drop(eng_t *e, uint32_t stage_id);

/* ---- issue 17, package I (import): its engine declarations below ---- */

/** One item of an import batch: its storage key (eng_item_key) and the item. */
typedef struct eng_import_item {
    kv_slice_t key;
    const eng_item_t *item;
} eng_import_item_t;
/** Write n items of table t (which nothing else writes: the api layer refuses access to a
 * table being imported) with their index entries, and the import record rec_key (a key after
 * catalog kind 'E', as eng_ddbio_write's) set to rec_val, in one write batch; items sharing a
 * key: the last one wins. No stream record. @return 0, KV_EINVAL (record over the limits),
 * KV_ETOOBIG, KV_ENOSPACE, KV_EIO. */
int eng_import_write(eng_t *e, const eng_table_t *t, const eng_import_item_t *items, size_t n,
                     kv_slice_t rec_key, kv_slice_t rec_val);

#endif
