/* SPDX-License-Identifier: Apache-2.0 */
/* Declarations shared by the engine's .c files only. */
#ifndef ENG_INT_H
#define ENG_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "eng.h"
#include "eng_keys.h"
#include "eng_rocks.h"

#define ENG_MAX_NOTIFIERS  16
#define ENG_ITEM_LOCKS     1024        /* striped per-item locks for read-modify-write */
#define ENG_TCACHE_SLOTS   256         /* cached table definitions */
#define ENG_BCACHE_SLOTS   64          /* cached bucket records (issue 18) */
#define ENG_BCACHE_REC_MAX (64u << 10) /* larger records (big policies) are read each time */

/* A catalog record cached by name (tables, buckets): valid while its cache's generation is
 * the one it was read under. */
#define ENG_RCACHE_NAME_MAX 255
typedef struct eng_rcache_ent {
    char name[ENG_RCACHE_NAME_MAX + 1];
    uint64_t gen;
    uint8_t *rec;
    size_t rec_len;
} eng_rcache_ent_t;

/* Catalog key kinds (first byte of a catalog key). */
#define ENG_CAT_COUNTER  'C'
#define ENG_CAT_TABLE    'T'
#define ENG_CAT_BUCKET   'B'
#define ENG_CAT_UPLOAD   'U' /* multipart upload: bucket id, upload id */
#define ENG_CAT_PART     'P' /* its parts: upload id, part number */
#define ENG_CAT_BACKUP   'K' /* table backups: backup id */
#define ENG_CAT_STREAM   'R' /* table streams and PITR logs: u32 stream id */
#define ENG_CAT_FUNCTION 'F' /* Lambda functions: name */
#define ENG_CAT_MAPPING  'M' /* event source mappings: uuid */
#define ENG_CAT_VERSION  'V' /* function versions: name, 0, u32 version */
#define ENG_CAT_ALIAS    'A' /* function aliases: function name, 0, alias name */
#define ENG_CAT_LAYER    'Y' /* layer versions: name, 0, u32 version (0: the counter) */
#define ENG_CAT_FNURL    'W' /* function URL configurations: url-id */
#define ENG_CAT_QUEUE    'Q' /* SQS queues: name (issue 14, package Q) */
#define ENG_STATE_QMSG   'Q' /* state CF: SQS: u32 queue id, u64 seq, u8 part; id only: seq HWM */
#define ENG_STATE_QDEDUP 'D' /* state CF: SQS deduplication entries: u32 queue id, key */
/* EventBridge (issue 14, package E): buses ('G' + name), rules ('L' + bus + name); the same
 * kinds in the state CF: delivery records ('G' + u64 id), next fire times ('L' + bus + name). */
#define ENG_CAT_EVBUS  'G'
#define ENG_CAT_EVRULE 'L'
/* issue 15, package S: account-level settings ('X' + name: S3's account public access
 * block, "s3-pab"), each one opaque value. */
#define ENG_CAT_ACCOUNT 'X'
/* DynamoDB's exports and imports (issue 17; eng_ddbio.c, eng_import.c): 'E' + a sub-kind and id */
#define ENG_CAT_DDBIO 'E'

/* Stream records of one commit, noted while its batch is built and given their sequence
 * numbers at the commit (eng__write_logged). Allocates nothing when no table streams. */
typedef struct eng_spend {
    kv_buf_t buf; /* per record: u32 stream id, u32 value length, value */
    size_t n;
} eng_spend_t;

typedef struct eng_waiter {
    struct eng_waiter *next;
    eng_synced_cb cb;
    void *arg;
} eng_waiter_t;

struct eng {
    eng_rocks_t *rocks;
    eng_fsync_t fsync;
    unsigned batch_sync_ms;

    /* Catalog changes (create/delete) are serialised; reads are not. */
    pthread_mutex_t cat_lock;
    uint32_t next_id;

    /* Syncer thread: group commit and periodic WAL sync. */
    pthread_t syncer;
    pthread_t spacer; /* looks at the free space (eng_rocks_space_tick) */
    pthread_cond_t space_cond;
    bool spacer_on;
    pthread_mutex_t sync_lock;
    pthread_cond_t sync_cond;
    eng_waiter_t *waiters;
    eng_waiter_t **waiters_tail;
    bool stopping;
    atomic_uint_fast64_t dirty; /* writes since the last sync */

    pthread_mutex_t item_locks[ENG_ITEM_LOCKS];
    /* Stripes a transaction holds: the XXH3 of its one item there, or 1 for several; 0 when
     * none. A single-item write that meets its item held by a transaction is a conflict. */
    atomic_uint_fast64_t txn_items[ENG_ITEM_LOCKS];
    pthread_mutex_t share_lock; /* counts of shared object bytes (eng_object.c) */

    /* The reclaimer thread (eng_object.c): compacts the chunk ranges of dropped bytes (aborted
     * writers, a previous run's uncommitted ones, aborted uploads) so their disk is freed. */
    pthread_t reclaimer;
    bool reclaimer_on;
    bool reclaim_stop;
    bool reclaim_flush; /* flush every CF first (after open dropped a previous run's bytes) */
    bool reclaim_whole; /* compact the whole blobs CF (after open dropped a previous run's
                           bytes: their chunks share blob files that ranges miss) */
    pthread_mutex_t reclaim_lock;
    pthread_cond_t reclaim_cond;
    uint64_t *reclaim_ids;  /* data ids whose ranges wait for a compaction */
    uint64_t reclaim_bytes; /* dropped since the last flush of every CF */
    size_t n_reclaim, cap_reclaim;
    atomic_uint_fast64_t n_reclaimed; /* ranges compacted so far */
    char *dir;                        /* the data directory (backups live in dir/backups) */

    /* Encoded table records by name, valid while cat_gen is unchanged (create/delete bump it). */
    pthread_rwlock_t tcache_lock;
    atomic_uint_fast64_t cat_gen;
    eng_rcache_ent_t tcache[ENG_TCACHE_SLOTS];

    /* Issue 18: encoded bucket records by name, valid while bucket_gen is unchanged (every
     * bucket write bumps it, under cat_lock, after its commit): an S3 request's bucket lookup
     * without a RocksDB read. */
    pthread_rwlock_t bcache_lock;
    atomic_uint_fast64_t bucket_gen;
    eng_rcache_ent_t bcache[ENG_BCACHE_SLOTS];

    eng_commit_cb notify_cb[ENG_MAX_NOTIFIERS];
    void *notify_arg[ENG_MAX_NOTIFIERS];
    atomic_int n_notify;

    atomic_uint_fast64_t n_writes;
    atomic_uint_fast64_t n_syncs;
    atomic_uint_fast64_t last_version; /* the newest S3 object version number handed out */

    pthread_mutex_t stream_lock; /* held from a stream record's number to its commit */
    uint64_t stream_seq;         /* the last stream sequence number handed out */
    int64_t shard_ms;            /* a stream's shard rolls over when this period ends */
    struct {
        uint32_t id;
        int64_t start;
    } shard_seen[256]; /* under stream_lock: the shard a stream's marker was last written for */

    /* issue 14, SNS (eng_sns.c): message and delivery numbers, below a reserved mark kept in
     * the store (state 'N' 0 'H') before any number under it is handed out */
    pthread_mutex_t sns_lock;
    uint64_t sns_next, sns_reserved; /* sns_reserved 0: not read yet */
};

void eng__spend_init(eng_spend_t *p);
void eng__spend_dispose(eng_spend_t *p);
/** Note the stream records (the table's stream, its PITR log) of an item's change from old to
 * nu (NULL: absent). No record for a change that changes nothing. */
void eng__stream_note(eng_spend_t *p, const eng_table_t *t, kv_slice_t key, const eng_item_t *old,
                      const eng_item_t *nu, bool service);
/** Commit b with the noted records appended (numbered under the stream lock). */
int eng__write_logged(eng_t *e, eng_batch_t *b, eng_spend_t *p);
/** Whether writes to t must read the old item (indexes, streams). */
bool eng__needs_old(const eng_table_t *t);
/** A new stream of table t (caller holds cat_lock): its catalog record goes into b. */
uint32_t eng__stream_create(eng_t *e, eng_batch_t *b, const eng_table_t *t, bool pitr);
/** A new event log for bucket name (caller holds cat_lock): its catalog record goes into b. */
uint32_t eng__stream_create_bucket(eng_t *e, eng_batch_t *b, const char *name, uint32_t bucket_id);
/** Note an object event in a bucket's event log. */
void eng__log_object_event(eng_spend_t *p, uint32_t log_id, const char *event,
                           const eng_object_t *o, bool versioned);
/** Mark a stream disabled (caller holds cat_lock). */
void eng__stream_disable(eng_t *e, eng_batch_t *b, uint32_t id);
/** Find the last sequence number in use (at open). */
int eng__stream_init(eng_t *e);

/** Keep every secondary index of t in step with an item's change from old to nu (NULL:
 * absent); nu_enc is nu's encoding when the caller has it. Adds to batch b. */
void eng__index_update(eng_batch_t *b, const eng_table_t *t, kv_slice_t key, const eng_item_t *old,
                       const eng_item_t *nu, kv_slice_t nu_enc);
/** t, or its current definition (in arena a) when the catalog changed since t was read. */
const eng_table_t *eng__table_fresh(eng_t *e, const eng_table_t *t, kv_arena_t *a);
/** Mark a backfilled index ACTIVE. @return 0, KV_ENOTFOUND. */
int eng__index_mark_active(eng_t *e, kv_slice_t table, uint8_t index_id);
/** Delete a table's whole expiry index (in batch b). */
void eng__ttl_drop(eng_batch_t *b, uint32_t table_id);
/** A stored table record, decoded into arena a. */
int eng__table_decode(kv_slice_t rec, kv_arena_t *a, eng_table_t **out);
/** Create table t under a preallocated id (RestoreTableFromBackup). @return 0, KV_EEXIST. */
int eng__table_install(eng_t *e, eng_table_t *t, uint32_t id);
/** Items of table t as they were at at_ms (its PITR log undone), written under new_id (an id
 * no table names) with base keys only (issue 17: restores and exports). @return 0 or KV_EIO. */
int eng__pitr_stage(eng_t *e, const eng_table_t *t, int64_t at_ms, uint32_t new_id);
/** The next catalog id into *id, committed on its own (caller must not hold cat_lock).
 * @return 0, or the write's error (KV_EIO, KV_ENOSPACE): then *id is 0 and no id is used. */
int eng__take_id(eng_t *e, uint32_t *id);

/** Commit one logical write (a batch) and wake notifiers. @return 0 or KV_EIO. */
int eng__write(eng_t *e, eng_batch_t *b);
/** Allocate the next catalog id (caller holds cat_lock); the counter is put into b. */
uint32_t eng__next_id(eng_t *e, eng_batch_t *b);
/** Add the deletion of every multipart upload of a bucket (records and bytes) to b. */
int eng__drop_bucket_uploads(eng_t *e, eng_batch_t *b, uint32_t bucket_id);
/** At open, before any writer starts: drop the bytes of every blob writer a previous run left
 * uncommitted, then start the reclaimer thread. @return 0 or KV_EIO. */
int eng__blob_recover(eng_t *e);
/** Stop the reclaimer (ending a compaction it runs); before RocksDB closes. */
void eng__blob_stop(eng_t *e);
/** Add the deletion of the URL configurations of function name to b (eng_fnurl.c): those of
 * qualifier qual, or every one when qual is empty. */
int eng__fnurl_drop(eng_t *e, eng_batch_t *b, kv_slice_t name, kv_slice_t qual);
/** Build a catalog key: kind byte + name. */
/** The record cached in ent for name at gen, copied into a: true, or false (a miss). */
bool eng__rcache_get(pthread_rwlock_t *lock, const eng_rcache_ent_t *ent, kv_slice_t name,
                     uint64_t gen, kv_arena_t *a, kv_slice_t *rec);
/** Cache rec for name, read under gen (stale at once if the generation moved meanwhile). */
void eng__rcache_put(pthread_rwlock_t *lock, eng_rcache_ent_t *ent, kv_slice_t name, uint64_t gen,
                     kv_slice_t rec);
void eng__cat_key(kv_buf_t *k, char kind, kv_slice_t name);
/* A catalog kind whose key layout belongs to the api layer (IAM 'I', KMS 'J'): read one record
 * (copied into a), scan by prefix after `after`, write ops in one batch (eng_catrec.c). */
int eng__kind_get(eng_t *e, char kind, size_t val_max, kv_slice_t key, kv_arena_t *a,
                  kv_slice_t *val);
int eng__kind_scan(eng_t *e, char kind, kv_slice_t prefix, kv_slice_t after, size_t limit,
                   int (*take)(void *arg, kv_slice_t suffix, kv_slice_t val), void *arg);
int eng__kind_write(eng_t *e, char kind, size_t key_max, size_t val_max, const eng_cat_op_t *ops,
                    size_t n);
/** Largest catalog record eng__rec_* read (1 MiB). */
#define ENG_REC_MAX (1u << 20)
/** Encode record rec (the caller's type) into b. */
typedef void (*eng_rec_encode_fn)(const void *rec, kv_buf_t *b);
/** Add to the batch deleting a record (caller holds cat_lock). @return 0 or a KV_ error. */
typedef int (*eng_rec_also_fn)(eng_t *e, eng_batch_t *b, const void *arg);
/**
 * Store rec (encoded by enc) at catalog key; the caller holds cat_lock. Mode ENG_FN_CREATE:
 * KV_EEXIST if the key holds a record; any other mode: KV_ENOTFOUND if it does not.
 * @return 0, KV_EEXIST, KV_ENOTFOUND, KV_ETOOBIG (encoded record over ENG_REC_MAX) or KV_EIO.
 */
int eng__rec_put_locked(eng_t *e, kv_slice_t key, int mode, eng_rec_encode_fn enc, const void *rec);
/** eng__rec_put_locked() taking cat_lock itself. */
int eng__rec_put(eng_t *e, kv_slice_t key, int mode, eng_rec_encode_fn enc, const void *rec);
/** Read the catalog record at key into *out (copied into arena a).
 * @return 0, KV_ENOTFOUND or KV_EIO. */
int eng__rec_get(eng_t *e, kv_slice_t key, kv_arena_t *a, kv_slice_t *out);
/** Delete the catalog record at key under cat_lock, with what also (may be NULL) adds to the
 * same batch. @return 0, KV_ENOTFOUND, also's error or KV_EIO. */
int eng__rec_delete(eng_t *e, kv_slice_t key, eng_rec_also_fn also, const void *arg);
/** Append pairs p[0..n) to b, one field tag each: varint key length, key, value (what
 * ENG_TLV_PAIR_LIST decodes). */
void eng__put_pairs(kv_buf_t *b, uint8_t tag, const eng_tag_t *p, size_t n);
/** Take one record of a catalog page: its name (the key after the kind byte) and value, as the
 * i-th result. @return 0 or a KV_ error, which ends the page. */
typedef int (*eng_cat_take_fn)(void *arg, size_t i, kv_slice_t name, kv_slice_t value);
/**
 * One page of a catalog kind in name order: the records after `after` (all when empty), at
 * most limit of them, each given to take; *more says whether others follow.
 * @return 0 or a KV_ error (take's, or the read's).
 */
int eng__cat_page(eng_t *e, char kind, kv_slice_t after, size_t limit, eng_cat_take_fn take,
                  void *arg, size_t *n, bool *more);

/* ---- item keys and raw key ranges (outside the engine, reads go through eng_cursor_t) ---- */

/** The encoded partition-key prefix of an item key (table, index, hash, pk). */
int eng_item_partition_prefix(const eng_table_t *t, const eng_av_t *pk, kv_arena_t *a,
                              kv_slice_t *out);
/** The index entry key of item it (which must carry the table's and the index's keys) into
 * arena a. @return 0, or KV_ENOTFOUND when the item has no valid index key (not in the index). */
int eng_index_key(const eng_table_t *t, const eng_index_t *ix, const eng_item_t *it, kv_arena_t *a,
                  kv_slice_t *out);
/** The partition prefix of index ix for partition-key value pk (and, for a multi-attribute
 * key, pk_more: the values of its further HASH attributes). */
int eng_index_partition_prefix(const eng_table_t *t, const eng_index_t *ix, const eng_av_t *pk,
                               const eng_av_t *const *pk_more, kv_arena_t *a, kv_slice_t *out);

typedef struct eng_range eng_range_t;
/**
 * Iterate items with keys in [lo, hi), ascending or descending. The caller
 * owns *out; close with eng_range_close(). Memory stays bounded: items are
 * read one at a time from a RocksDB iterator.
 */
int eng_range_open(eng_t *e, kv_slice_t lo, kv_slice_t hi, bool reverse, eng_range_t **out);
/** Position after (before, when reverse) key instead of at the range's start. */
void eng_range_seek_after(eng_range_t *r, kv_slice_t key);
/**
 * Next item. @return 1 with *key, *item (in arena a) and *raw_len (stored
 * bytes), 0 at the end of the range, or a negative KV_E* code.
 */
int eng_range_next(eng_range_t *r, kv_arena_t *a, kv_slice_t *key, eng_item_t **item);
void eng_range_close(eng_range_t *r);

/* ---- function records, code files, versions (eng_function.c, eng_fnver.c) ---- */
void eng__function_encode(const eng_function_t *f, kv_buf_t *b);
int eng__function_decode(kv_slice_t in, kv_arena_t *a, eng_function_t **out);
/** Read and decode the function (or version) record at catalog key into arena a.
 * @return 0, KV_ENOTFOUND, KV_ECORRUPT or KV_EIO. */
int eng__function_read(eng_t *e, kv_slice_t key, kv_arena_t *a, eng_function_t **out);
/** Write a code zip (synced) as <functions>/<code_id>.zip. @return 0, KV_EIO, KV_ENOSPACE. */
int eng__code_write(eng_t *e, uint32_t code_id, kv_slice_t zip);
/** Remove a code zip. */
void eng__code_drop(eng_t *e, uint32_t code_id);
/** Does a published version of function name run code code_id? (caller holds cat_lock) */
bool eng__code_in_versions(eng_t *e, kv_slice_t name, uint32_t code_id);
/** Add the deletion of every version and alias of function name to b; the versions' code ids
 * into *codes (arena a). (caller holds cat_lock) */
int eng__versions_drop(eng_t *e, eng_batch_t *b, kv_slice_t name, kv_arena_t *a, uint32_t **codes,
                       size_t *n);

#endif
