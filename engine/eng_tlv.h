/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tag-length-value records for catalog entries: a version byte, then fields
 * (u8 tag, varint length, bytes). Readers skip unknown tags, so new fields can
 * be added without rewriting stored definitions.
 */
#ifndef ENG_TLV_H
#define ENG_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"

void eng_tlv_put_varint(kv_buf_t *b, uint64_t v);
bool eng_tlv_get_varint(kv_slice_t *in, uint64_t *v);
void eng_tlv_put(kv_buf_t *b, uint8_t tag, kv_slice_t v);
void eng_tlv_put_str(kv_buf_t *b, uint8_t tag, const char *s);
void eng_tlv_put_u64(kv_buf_t *b, uint8_t tag, uint64_t v);

/** Read the next field from *in. @return 1 with tag and value, 0 at the end, KV_ECORRUPT. */
int eng_tlv_next(kv_slice_t *in, uint8_t *tag, kv_slice_t *val);
/** Decode a field value written by eng_tlv_put_u64. */
bool eng_tlv_u64(kv_slice_t v, uint64_t *out);

/*
 * Table-driven decoding: every record kind has one descriptor table, a row per field tag
 * saying what the value is and where it goes in the (zeroed) record struct; eng_tlv_decode
 * is the one decoder for all of them. Its one rule for fields that do not fit:
 *   - a field whose value does not decode as its row's kind (a bad or over-long varint, a
 *     number out of the destination's range, an enum past its last value, a malformed pair
 *     or nested record, text too long for a fixed array) makes the whole record
 *     KV_ECORRUPT: a record is decoded whole or refused, never patched with a default;
 *   - a tag no row names is skipped: it is a field a newer version wrote (why the records
 *     are TLV at all), and skipping it loses nothing this version knows;
 *   - a required field that is absent makes the record KV_ECORRUPT; an optional absent
 *     field keeps the zero the struct starts with.
 * A scalar field that occurs twice keeps the last value. List fields append one element
 * per occurrence, into an array sized exactly by a first pass (plus `spare` free slots).
 */
typedef enum eng_tlv_kind {
    ENG_TLV_STR = 1,   /* const char *: a NUL-terminated copy in the arena */
    ENG_TLV_BYTES,     /* kv_slice_t: a copy in the arena */
    ENG_TLV_CHARS,     /* char[size]: the text NUL-terminated; refused at size bytes or more
                          (or, with len set, at any other length than len) */
    ENG_TLV_U64,       /* uint64_t */
    ENG_TLV_I64,       /* int64_t, stored as its two's complement */
    ENG_TLV_U32,       /* uint32_t */
    ENG_TLV_I32,       /* int32_t, stored as (uint64_t)(int64_t) */
    ENG_TLV_U8,        /* uint8_t */
    ENG_TLV_BOOL,      /* bool: the number is not zero */
    ENG_TLV_ENUM,      /* an enum type (int-sized) from 0 to max */
    ENG_TLV_FLAG,      /* bool: set by the field's presence, whatever its value */
    ENG_TLV_FN,        /* fn(value, arena, &field) decodes it */
    ENG_TLV_STR_LIST,  /* const char **, count at n_off: one string per occurrence */
    ENG_TLV_PAIR_LIST, /* eng_tlv_pair_t *, count at n_off: varint key length, key, value */
    ENG_TLV_LIST,      /* elements of size bytes, count at n_off: fn(value, arena, &element) */
} eng_tlv_kind_t;

/** A key-value pair as lists of pairs hold it (the layout of eng_tag_t). */
typedef struct eng_tlv_pair {
    const char *key;
    const char *value;
} eng_tlv_pair_t;

/** Decodes one value into dst. @return 0 or KV_ECORRUPT. */
typedef int (*eng_tlv_fn)(kv_slice_t v, kv_arena_t *a, void *dst);

/** One row of a record's descriptor table. */
typedef struct eng_tlv_field {
    uint8_t tag;
    eng_tlv_kind_t kind;
    bool required;
    size_t off;    /* the destination's offset in the record */
    size_t n_off;  /* lists: the offset of the element count (a size_t) */
    size_t size;   /* CHARS: the array's size; LIST: an element's size */
    size_t len;    /* CHARS: the one length accepted (0: any that fits) */
    uint64_t max;  /* ENUM: the last value accepted */
    size_t spare;  /* lists: free slots allocated after the elements */
    eng_tlv_fn fn; /* FN, LIST */
} eng_tlv_field_t;

#define ENG_TLV_MAX_FIELDS 64 /* rows in one table */

/** A row for field `field` of record type `type`; more designators (.required, .max, ...)
 * may follow. */
#define ENG_TLV_ROW(tag_, kind_, type, field, ...)                                \
    {                                                                             \
        .tag = (tag_), .kind = (kind_), .off = offsetof(type, field), __VA_ARGS__ \
    }
/** A row for a list field whose element count is the field `count`. */
#define ENG_TLV_LIST_ROW(tag_, kind_, type, field, count, ...)        \
    {                                                                 \
        .tag = (tag_), .kind = (kind_), .off = offsetof(type, field), \
        .n_off = offsetof(type, count), __VA_ARGS__                   \
    }

/**
 * Decode the fields of in into rec (a struct that starts zeroed) by the n rows of fields,
 * strings and arrays in arena a, under the rule above. @return 0 or KV_ECORRUPT.
 */
int eng_tlv_decode(kv_slice_t in, const eng_tlv_field_t *fields, size_t n, kv_arena_t *a,
                   void *rec);

#endif
