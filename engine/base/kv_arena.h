/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-request arena. Everything derived from one request lives here and is
 * released at once when the arena is reset or freed; nothing is freed one by
 * one. Non-memory resources attach a cleanup with kv_arena_on_destroy().
 */
#ifndef KV_ARENA_H
#define KV_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "kv_slice.h"

typedef struct kv_arena kv_arena_t;
typedef void (*kv_arena_cleanup_cb)(void *arg);

/** New arena whose first block holds block_size bytes. Free with kv_arena_free(). */
kv_arena_t *kv_arena_new(size_t block_size);
/** Run cleanups, then free every block. Accepts NULL. */
void kv_arena_free(kv_arena_t *a);
/** Run cleanups and forget every allocation, keeping the first block for reuse. */
void kv_arena_reset(kv_arena_t *a);
/** n bytes aligned to 16; valid until reset/free. Never NULL. */
void *kv_arena_alloc(kv_arena_t *a, size_t n);
/** Zeroed n*size bytes; aborts on overflow (sizes are checked before this). */
void *kv_arena_calloc(kv_arena_t *a, size_t n, size_t size);
/** NUL-terminated copy of p[0..n). */
char *kv_arena_strndup(kv_arena_t *a, const void *p, size_t n);
/** Copy of a slice's bytes into the arena (plus a hidden NUL). */
kv_slice_t kv_arena_dup(kv_arena_t *a, kv_slice_t s);
/** vprintf into the arena. */
char *kv_arena_vprintf(kv_arena_t *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/** printf into the arena. */
char *kv_arena_printf(kv_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Register fn(arg) to run when the arena is reset or freed (LIFO). */
void kv_arena_on_destroy(kv_arena_t *a, kv_arena_cleanup_cb fn, void *arg);
/** Bytes handed out since the last reset (for limits and tests). */
size_t kv_arena_used(const kv_arena_t *a);

#endif
