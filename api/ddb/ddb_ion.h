/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Amazon Ion text for DynamoDB's ION export and import format (issue 17): one top-level value
 * per item, `$ion_1_0 {Item:{...}}` in a full export's data files; numbers are Ion decimals,
 * binary values blobs, the set types are lists annotated `$dynamodb_SS::`, `$dynamodb_NS::`,
 * `$dynamodb_BS::`. The writer belongs to package E (ddb_ion_w.c), the reader to package I
 * (ddb_ion_r.c); each keeps to its own section below.
 */
#ifndef DDB_ION_H
#define DDB_ION_H

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"
#include "eng_item.h"

/* ---- the writer (package E): its declarations below ---- */
/** An item as an Ion struct ({name:value,...}). */
void ddb_ion_write_item(kv_buf_t *out, const eng_item_t *it);
/** One attribute value as DynamoDB's ION export writes it. */
void ddb_ion_write_av(kv_buf_t *out, const eng_av_t *v);
/** A field name: an identifier where Ion allows one, else a quoted symbol. */
void ddb_ion_write_symbol(kv_buf_t *out, kv_slice_t name);
/** An Ion string (UTF-8 kept; quote, backslash and control bytes escaped). */
void ddb_ion_write_string(kv_buf_t *out, kv_slice_t s);
/** A number as an Ion decimal in DynamoDB's form (103. 6d2 12.5 0.05 1d-10 0.). */
void ddb_ion_write_decimal(kv_buf_t *out, const eng_num_t *n);

/* ---- the reader (package I): its declarations below ---- */

/** Nesting DynamoDB allows in an item (and so the reader). */
#define DDB_ION_MAX_DEPTH 32

/** Where a record of Ion text ends: the state of a scan across lines (zero it to start). */
typedef struct ddb_ion_scan {
    uint32_t depth; /* open {, [, ( */
    uint8_t in;     /* 0 plain, 1 block comment, 2 long string, 3 lob ({{ }}) */
    uint8_t lob;    /* a long string inside a lob (a clob) returns to 3 */
} ddb_ion_scan_t;
/** Scan one more line of a record (without its newline). @return true when the record is
 * complete at the line's end (no container, long string or block comment open). */
bool ddb_ion_scan_line(ddb_ion_scan_t *s, kv_slice_t line);

/**
 * Read a record of Ion text as DynamoDB's ION import reads it: optional version markers
 * (`$ion_1_0`), comments and whitespace around one struct `{Item:{...}}` whose Item holds the
 * attributes: decimals, ints and floats are N, strings S, blobs and clobs B, booleans BOOL,
 * nulls NULL, structs M, lists L, lists annotated `$dynamodb_SS::`, `$dynamodb_NS::`,
 * `$dynamodb_BS::` the sets. Numbers are normalised as DynamoDB stores them; sets must be
 * non-empty without duplicates; nesting stops at DDB_ION_MAX_DEPTH.
 * @return 1 with *out (in arena a), 0 when the text holds no value, -1 with a message in err.
 */
int ddb_ion_read_item(kv_arena_t *a, kv_slice_t text, eng_item_t **out, char *err, size_t cap);
/** Whether s is well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF), as DynamoDB's strings and Ion text must be. O(n). */
bool ddb_utf8_valid(kv_slice_t s);

#endif
