/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 server access logs (issue 16, package G): the journal of records waiting for delivery,
 * and their delivery as one object of a target bucket. A record is one state-CF key,
 * 'J' + escaped source bucket name + u64 sequence, whose value is u64 event time (ms), u32
 * head length, the head (an opaque group header the api layer writes: where the record goes)
 * and the line. A delivery writes the object and deletes the records it holds in one batch,
 * so a record is delivered once: a crash before the commit leaves them all journaled, after
 * it none. Sequences are time-based (microseconds, strictly increasing in the process), so a
 * source's records are read back in the order they were journaled.
 */
#ifndef ENG_ALOG_H
#define ENG_ALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eng.h"

/** The longest head and line the journal keeps (longer ones are refused with KV_ETOOBIG). */
#define ENG_ALOG_HEAD_MAX 2048
#define ENG_ALOG_LINE_MAX (64u * 1024)

/** One journaled record. Slices borrow from the arena (or the caller) that holds them. */
typedef struct eng_alog_rec {
    uint64_t seq;    /* set by eng_alog_append and the readers */
    int64_t time_ms; /* when the request was received */
    kv_slice_t head; /* opaque to the engine: records with equal heads may share an object */
    kv_slice_t line; /* the record's text, without a newline */
} eng_alog_rec_t;

/** Journal r for source bucket `source` (r->seq is set). Any thread.
 * @return 0, KV_ETOOBIG (head or line too long), KV_EIO. */
int eng_alog_append(eng_t *e, kv_slice_t source, eng_alog_rec_t *r);

/** The first source bucket name after `after` (empty: from the start) that has journaled
 * records, into *out (in arena a). @return 0, KV_ENOTFOUND (none), KV_EIO, KV_ECORRUPT. */
int eng_alog_next_source(eng_t *e, kv_slice_t after, kv_arena_t *a, kv_slice_t *out);

/** The oldest journaled record of source (slices in arena a).
 * @return 0, KV_ENOTFOUND, KV_EIO, KV_ECORRUPT. */
int eng_alog_first(eng_t *e, kv_slice_t source, kv_arena_t *a, eng_alog_rec_t *out);

/** Decides, for each record of a source in journal order, whether it joins the object being
 * built; the first false ends the object. Called on the caller's thread. eng_alog_deliver
 * then calls it once more with r NULL (its return ignored), before o is written. */
typedef bool (*eng_alog_take_cb)(void *arg, const eng_alog_rec_t *r);

/**
 * Deliver a run of source's oldest records: every record take accepts, in order, becomes a
 * line (its text and "\n") of o's bytes; o (its key, headers and event log set by the caller)
 * is put in bucket target_id as eng_object_put would (versioning as given), and the records
 * are deleted in the same batch. Nothing is written when take accepts none (*n_out 0).
 * key: o's data key (its bytes encrypted under it, o's encryption fields set by the caller),
 * or NULL for plain bytes.
 * @return 0 with *n_out the records delivered, or a KV_E* code (then nothing changed).
 */
int eng_alog_deliver(eng_t *e, kv_slice_t source, eng_alog_take_cb take, void *arg,
                     uint32_t target_id, eng_object_t *o, eng_versioning_t versioning,
                     const uint8_t *key, size_t *n_out);

/** Delete the run of source's oldest records that take accepts, delivering nothing (their
 * target is gone). @return 0 with *n_out the records dropped, or a KV_E* code. */
int eng_alog_drop(eng_t *e, kv_slice_t source, eng_alog_take_cb take, void *arg, size_t *n_out);

#endif
