/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the S3 object files only: eng_blob.c (bytes: blob writer and reader,
 * data-id reference counts, the reclaimer), eng_object.c (object records: put, get, delete,
 * versions, listing) and eng_upload.c (multipart uploads).
 */
#ifndef ENG_OBJ_INT_H
#define ENG_OBJ_INT_H

#include "eng_int.h"

/* A chunk is stored as its bytes and their XXH3-64 (8 bytes, little-endian), checked on
 * every read: bit rot is an error, never bytes served. */
#define ENG_CHUNK_SEAL 8
/* Issue 16: an encrypted chunk is its AES-256-GCM ciphertext and 16-byte tag instead (the nonce
 * is the data id and the chunk number; the tag checks the bytes, so no xxh3 seal). */
#define ENG_CHUNK_TAG 16
/* The most a chunk's stored form adds to its bytes. */
#define ENG_CHUNK_TAIL 16

/*
 * Shared bytes. A copy names the source's byte runs instead of copying them; both records
 * carry O_SHARED, and each run's count of extra names lives at (data id, SHARE_CHUNK) in the
 * blobs CF, inside the run's own key range (deleting the run deletes its count). Releasing a
 * shared record's bytes decrements the count, or deletes the run when no other name is left.
 * Counts change only under e->share_lock, held from the read to the commit; it is taken after
 * the key locks, never before. Unshared records (nearly all) never touch it.
 */
#define SHARE_CHUNK UINT32_MAX

/** An open blob writer: its chunks are written as they fill; the last one may join the
 * batch of the record that names the bytes (eng_object_put_blob). */

struct eng_blob_writer {
    eng_t *e;
    uint64_t data_id;
    uint32_t chunk;
    uint64_t size;
    bool noted;    /* its writer note is written (with its first chunk) */
    bool unlogged; /* chunks written without the WAL wait for a flush of the blobs CF */
    kv_buf_t buf;
    struct kv_aead *aead; /* issue 16: the data key's cipher (NULL: plain chunks) */
};

/** One byte run's count of extra names, as a write changes it. */
typedef struct {
    uint64_t d;
    uint64_t base; /* the stored count */
    int64_t delta;
    bool dropped; /* the run is deleted in this batch */
} eng_ref_slot_t;

/* One object write: its batch and the counts it changes. */
typedef struct {
    eng_t *e;
    eng_batch_t *b;
    bool locked;
    eng_ref_slot_t *refs;
    size_t n_refs, cap;
    eng_spend_t log; /* the bucket's event records (none unless notifications are on) */
} eng_otxn_t;

/* The record key, value and decoded version of one lookup. */
typedef struct {
    kv_buf_t k, v;
    eng_object_t *o;
} eng_found_t;

/* ---- keys (eng_blob.c) ---- */

/** An object's record key: bucket id, escaped key. */
void eng__obj_key(kv_buf_t *k, uint32_t bucket_id, kv_slice_t key);
/** A noncurrent version's record key: its object key, then the inverted version number. */
void eng__ver_key(kv_buf_t *k, const kv_buf_t *okey, uint64_t version);
/** A chunk's key in the blobs CF: data id, chunk number. */
void eng__blob_key(kv_buf_t *k, uint64_t data_id, uint32_t chunk);
/** The striped lock serialising writers of one object key (encoded as eng__obj_key). */
pthread_mutex_t *eng__obj_lock(eng_t *e, const kv_buf_t *okey);

/* ---- bytes (eng_blob.c) ---- */

/** Append the seal (ENG_CHUNK_SEAL bytes) of the chunk in b. */
void eng__seal_chunk(kv_buf_t *b);
/** The writer's buffered chunk in its stored form: sealed, or encrypted under its key.
 * @return 0 or KV_EINTERNAL. */
int eng__close_chunk(eng_blob_writer_t *w);
/** Make w's chunks written without the WAL durable (a flush of the blobs CF), before a record
 * names them. Blocks: on a worker thread. @return 0 or KV_EIO. */
int eng__writer_sync(eng_blob_writer_t *w);
/** Free a writer whose bytes are named or dropped (its key wiped). */
void eng__writer_free(eng_blob_writer_t *w);
/** Check and strip the seal. @return 0 or KV_ECORRUPT. */
int eng__unseal_chunk(kv_buf_t *b);
/** Add the deletion of data_id's writer note to b (the bytes are named or dropped in b). */
void eng__writer_done(eng_batch_t *b, uint64_t data_id);
/** Add the deletion of data_id's whole byte run (one range tombstone) to b. */
void eng__delete_data(eng_batch_t *b, uint64_t data_id);
/** Queue the range of data_id (about `bytes` long, deleted in a committed batch) for a
 * compaction. */
void eng__reclaim_note(eng_t *e, uint64_t data_id, uint64_t bytes);
/** Drop bytes nothing names (a failed or abandoned write) and their writer note, in a batch of
 * their own; the reclaimer then frees their disk. */
void eng__drop_data(eng_t *e, uint64_t data_id, uint64_t bytes);

/* ---- one object write and its reference counts (eng_blob.c) ---- */

/** Start a write: a new batch, no counts touched. */
void eng__otxn_init(eng_otxn_t *t, eng_t *e);
/** Take the share lock (once) before reading a count. */
void eng__otxn_lock(eng_otxn_t *t);
/** Free the batch and counts, releasing the share lock if still held. */
void eng__otxn_dispose(eng_otxn_t *t);
/** o's record goes away: its bytes go too, unless another record still names them. */
int eng__release_bytes(eng_otxn_t *t, const eng_object_t *o);
/** One more record names o's bytes. @return 0, KV_EBUSY (they are being dropped). */
int eng__share_bytes(eng_otxn_t *t, const eng_object_t *o);
/** Write the changed counts into the batch, commit it, release the share lock. */
int eng__otxn_commit(eng_otxn_t *t);

/* ---- object records (eng_object.c) ---- */

/** Append a record's value. */
void eng__object_encode(const eng_object_t *o, kv_buf_t *b);
/** Decode the record of key (the object key, not the record key) into arena a.
 * @return 0 or KV_ECORRUPT. */
int eng__object_decode(kv_slice_t key, kv_slice_t in, kv_arena_t *a, eng_object_t **out);
/** A conditional write's verdict against the current version prev (NULL: absent). */
int eng__obj_check_cond(const eng_obj_cond_t *cond, const eng_object_t *prev,
                        const eng_object_t *o);
/** An empty lookup; dispose with eng__found_dispose. */
void eng__found_init(eng_found_t *f);
void eng__found_dispose(eng_found_t *f);
/** The current version of the key encoded as okey, at snapshot snap (NULL: now).
 * @return 0 with f filled, KV_ENOTFOUND, or an I/O error. */
int eng__find_current(eng_t *e, eng_snap_t *snap, const kv_buf_t *okey, kv_slice_t key,
                      kv_arena_t *a, eng_found_t *f);
/** The version ref names: the current record when it matches, else a noncurrent one. */
int eng__find_version(eng_t *e, eng_snap_t *snap, const kv_buf_t *okey, kv_slice_t key,
                      const eng_vref_t *ref, kv_arena_t *a, eng_found_t *f);
/** Make o the current version of okey in t's batch, replacing or keeping prev (raw record
 * prev_raw) as mode says; enc is scratch for the encoding. */
int eng__obj_install(eng_otxn_t *t, const kv_buf_t *okey, kv_slice_t prev_raw,
                     const eng_object_t *prev, eng_object_t *o, eng_versioning_t mode,
                     kv_arena_t *a, kv_buf_t *enc);

#endif
