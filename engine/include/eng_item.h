/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Items: the typed attribute-value model, its compact binary form, DynamoDB's
 * size rules, and storage with per-item atomic read-modify-write.
 */
#ifndef ENG_ITEM_H
#define ENG_ITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"

#define ENG_ITEM_MAX_BYTES (400 * 1024) /* DynamoDB's item size limit */
#define ENG_AV_MAX_DEPTH   32           /* nesting of maps and lists */
#define ENG_KEY_MAX_PK     2048         /* partition key value bytes */
#define ENG_KEY_MAX_SK     1024         /* sort key value bytes */

/* ---- numbers and key scalar types (the key encoding itself is the engine's own) ---- */

#define ENG_NUM_MAX_DIGITS 38
#define ENG_NUM_MIN_EXP    (-129) /* 0.1e-129 == 1E-130 */
#define ENG_NUM_MAX_EXP    126    /* 0.999..e126 < 1E126 */
#define ENG_NUM_MAX_TEXT   4096   /* longest numeric string accepted for parsing */

/** Scalar types that can form a key. */
typedef enum eng_scalar {
    ENG_SCALAR_S = 1,
    ENG_SCALAR_N = 2,
    ENG_SCALAR_B = 3,
} eng_scalar_t;

/** A DynamoDB number: sign * 0.d[0]d[1]...d[n-1] * 10^exp, normalised (no
 * leading or trailing zero digits; zero has sign 0 and no digits). */
typedef struct eng_num {
    int8_t sign;
    int16_t exp;
    uint8_t n_digits;
    uint8_t d[ENG_NUM_MAX_DIGITS];
} eng_num_t;

/** Why a numeric string was refused. */
typedef enum eng_num_status {
    ENG_NUM_OK = 0,
    ENG_NUM_SYNTAX,    /* not a number */
    ENG_NUM_PRECISION, /* more than 38 significant digits */
    ENG_NUM_OVERFLOW,  /* magnitude too large */
    ENG_NUM_UNDERFLOW, /* magnitude too small */
} eng_num_status_t;

/** Parse and normalise a DynamoDB number ("-1.5E+3", "0010", ".5"). */
eng_num_status_t eng_num_parse(kv_slice_t text, eng_num_t *out);
/** Append the canonical decimal text ("1", "-0.05", "1500"), as DynamoDB returns it. */
void eng_num_format(const eng_num_t *n, kv_buf_t *out);
/**
 * Exact decimal a + b (or a - b when subtract). @return ENG_NUM_OK, or
 * ENG_NUM_PRECISION / OVERFLOW / UNDERFLOW when the result does not fit.
 */
eng_num_status_t eng_num_add(const eng_num_t *a, const eng_num_t *b, bool subtract, eng_num_t *out);
/** Numeric comparison: <0, 0, >0. */
int eng_num_cmp(const eng_num_t *a, const eng_num_t *b);

typedef enum eng_av_type {
    ENG_AV_S = 1,
    ENG_AV_N,
    ENG_AV_B,
    ENG_AV_BOOL,
    ENG_AV_NULL,
    ENG_AV_M,
    ENG_AV_L,
    ENG_AV_SS,
    ENG_AV_NS,
    ENG_AV_BS,
} eng_av_type_t;

typedef struct eng_av eng_av_t;

/** A named attribute (a map entry or a top-level item attribute). */
typedef struct eng_attr {
    kv_slice_t name;
    eng_av_t *v;
} eng_attr_t;

/**
 * An attribute value. S holds UTF-8, N the canonical decimal text, B raw bytes;
 * sets hold their members (numbers canonical). Memory lives in an arena.
 */
struct eng_av {
    eng_av_type_t t;
    size_t n; /* members of M, L, or a set */
    union {
        kv_slice_t s;    /* S, N, B */
        bool b;          /* BOOL */
        eng_attr_t *m;   /* M */
        eng_av_t **l;    /* L */
        kv_slice_t *set; /* SS, NS, BS */
    } u;
};

/** An item is a top-level map. */
typedef struct eng_item {
    eng_attr_t *attrs;
    size_t n;
} eng_item_t;

/** DynamoDB's size of a value (without a name), and of a whole item. */
size_t eng_av_size(const eng_av_t *v);
size_t eng_item_size(const eng_item_t *it);
/** Attribute by name, or NULL. */
eng_av_t *eng_item_get_attr(const eng_item_t *it, kv_slice_t name);
/** Structural equality (numbers compared numerically, sets as sets). */
bool eng_av_equal(const eng_av_t *a, const eng_av_t *b);
/*
 * Sets, in O(n log n): members ordered bytewise (SS, BS) or by value (NS), sorted once and
 * then searched, so no set operation compares every member with every other.
 */
/** The members of set s sorted, in arena a (s itself keeps its order). */
kv_slice_t *eng_set_sorted(kv_arena_t *a, const eng_av_t *s);
/** Whether sorted (n members of a set of type t, from eng_set_sorted) holds x: O(log n). */
bool eng_set_find(eng_av_type_t t, const kv_slice_t *sorted, size_t n, kv_slice_t x);
/** Whether set s holds a member twice (numbers by value). */
bool eng_set_has_dups(const eng_av_t *s);
/** Deep copy into arena a. */
eng_av_t *eng_av_dup(kv_arena_t *a, const eng_av_t *v);

/** Append the binary form of an item. */
void eng_item_encode(const eng_item_t *it, kv_buf_t *out);
/** Decode an item into arena a. @return 0 or KV_ECORRUPT. */
int eng_item_decode(kv_slice_t in, kv_arena_t *a, eng_item_t **out);

#endif
