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
