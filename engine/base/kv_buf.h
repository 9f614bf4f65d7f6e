/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Growable byte buffer with a hard cap and a sticky failure flag: encoders
 * append without checking each call, then test kv_buf_failed() once.
 */
#ifndef KV_BUF_H
#define KV_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv_slice.h"

typedef struct kv_buf {
    uint8_t *p;
    size_t len;
    size_t cap;   /* allocated */
    size_t limit; /* hard cap; appends beyond it fail */
    bool failed;
    bool borrowed; /* p is caller memory (kv_buf_init_on); moved to the heap on growth */
} kv_buf_t;

/** Initialise an empty buffer that may grow to limit bytes. Dispose with kv_buf_dispose(). */
void kv_buf_init(kv_buf_t *b, size_t limit);
/**
 * Initialise over caller memory mem[0..cap) (typically on the stack), growing
 * onto the heap only if more than cap bytes are needed. Dispose as usual.
 */
void kv_buf_init_on(kv_buf_t *b, void *mem, size_t cap, size_t limit);
/** Free the storage; the buffer is empty and usable again. */
void kv_buf_dispose(kv_buf_t *b);
/** Forget the contents (keeps storage and clears the failure flag). */
void kv_buf_reset(kv_buf_t *b);
/** Make room for n more bytes; false (and failed) if that would exceed the limit. */
bool kv_buf_reserve(kv_buf_t *b, size_t n);
void kv_buf_append(kv_buf_t *b, const void *p, size_t n);
void kv_buf_append_slice(kv_buf_t *b, kv_slice_t s);
void kv_buf_append_str(kv_buf_t *b, const char *s);
void kv_buf_append_byte(kv_buf_t *b, uint8_t c);
void kv_buf_printf(kv_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kv_buf_append_u64(kv_buf_t *b, uint64_t v);
/** Append n bytes as lowercase hex. */
void kv_buf_append_hex(kv_buf_t *b, const uint8_t *p, size_t n);
static inline bool kv_buf_failed(const kv_buf_t *b)
{
    return b->failed;
}
static inline kv_slice_t kv_buf_slice(const kv_buf_t *b)
{
    return kv_slice(b->p, b->len);
}

#endif
