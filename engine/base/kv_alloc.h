/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation wrappers. They abort on out-of-memory, so callers never test for
 * NULL; this is safe only because every size that comes from the network is
 * checked against a named limit before it reaches an allocation.
 */
#ifndef KV_ALLOC_H
#define KV_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/** malloc that aborts on failure. Free with kv_free(). */
void *kv_malloc(size_t n);
/** calloc that aborts on failure (and on n*size overflow). */
void *kv_calloc(size_t n, size_t size);
/** realloc that aborts on failure. */
void *kv_realloc(void *p, size_t n);
/** Copy of s[0..n) plus a NUL. Caller owns the result. */
char *kv_strndup(const char *s, size_t n);
/** Copy of a NUL-terminated string. Caller owns the result. */
char *kv_strdup(const char *s);
/** free; accepts NULL. */
void kv_free(void *p);

/** *out = a + b; returns false on overflow. */
static inline bool kv_size_add(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}
/** *out = a * b; returns false on overflow. */
static inline bool kv_size_mul(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

#endif
