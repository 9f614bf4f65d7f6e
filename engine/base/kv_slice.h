/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Borrowed bytes: pointer and length, not NUL-terminated, never freed by the
 * callee. Each use documents how long the bytes stay valid.
 */
#ifndef KV_SLICE_H
#define KV_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct kv_slice {
    const uint8_t *p;
    size_t len;
} kv_slice_t;

#define KV_SLICE_NULL ((kv_slice_t){NULL, 0})
/** A slice over a string literal. */
#define KV_SLICE_LIT(s) ((kv_slice_t){(const uint8_t *)("" s), sizeof(s) - 1})

static inline kv_slice_t kv_slice(const void *p, size_t len)
{
    kv_slice_t s = {(const uint8_t *)p, len};
    return s;
}

static inline kv_slice_t kv_slice_str(const char *s)
{
    return kv_slice(s, s ? strlen(s) : 0);
}

static inline bool kv_slice_eq(kv_slice_t a, kv_slice_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool kv_slice_eq_str(kv_slice_t a, const char *s)
{
    return kv_slice_eq(a, kv_slice_str(s));
}

/** Case-insensitive ASCII comparison. */
/** ASCII case-insensitive equality of two slices. */
bool kv_slice_eq_nocase_slice(kv_slice_t a, kv_slice_t b);
bool kv_slice_eq_nocase(kv_slice_t a, const char *s);
/** True if a starts with the string prefix. */
bool kv_slice_starts_with(kv_slice_t a, const char *prefix);
/** Byte-order comparison: <0, 0, >0 like memcmp, shorter prefix first. */
int kv_slice_cmp(kv_slice_t a, kv_slice_t b);
/** Strip leading and trailing spaces and tabs. */
kv_slice_t kv_slice_trim(kv_slice_t a);
/** Parse an unsigned decimal; false on junk, empty input or overflow. */
bool kv_slice_to_u64(kv_slice_t a, uint64_t *out);

#endif
