/* SPDX-License-Identifier: Apache-2.0 */
/* Bump allocator with a block list and cleanup callbacks. */
#include "kv_arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv_alloc.h"

typedef struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    /* data follows, 16-aligned */
} arena_block_t;

typedef struct arena_cleanup {
    struct arena_cleanup *next;
    kv_arena_cleanup_cb fn;
    void *arg;
} arena_cleanup_t;

struct kv_arena {
    arena_block_t *head;  /* current block */
    arena_block_t *first; /* kept across resets */
    arena_cleanup_t *cleanups;
    size_t block_size;
    size_t total;
};

#define BLOCK_HDR ((sizeof(arena_block_t) + 15) & ~(size_t)15)

static arena_block_t *block_new(size_t size)
{
    arena_block_t *b = kv_malloc(BLOCK_HDR + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

kv_arena_t *kv_arena_new(size_t block_size)
{
    kv_arena_t *a = kv_calloc(1, sizeof(*a));
    a->block_size = block_size < 256 ? 256 : block_size;
    a->first = a->head = block_new(a->block_size);
    return a;
}

static void run_cleanups(kv_arena_t *a)
{
    while (a->cleanups) {
        arena_cleanup_t *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->arg);
    }
}

void kv_arena_reset(kv_arena_t *a)
{
    run_cleanups(a);
    arena_block_t *b = a->head;
    while (b && b != a->first) {
        arena_block_t *n = b->next;
        kv_free(b);
        b = n;
    }
    a->head = a->first;
    a->first->next = NULL;
    a->first->used = 0;
    a->total = 0;
}

void kv_arena_free(kv_arena_t *a)
{
    if (a == NULL)
        return;
    kv_arena_reset(a);
    kv_free(a->first);
    kv_free(a);
}

void *kv_arena_alloc(kv_arena_t *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n)
        abort();
    arena_block_t *b = a->head;
    if (b->size - b->used < need) {
        size_t sz = need > a->block_size ? need : a->block_size;
        /* Grow block size geometrically for requests that allocate a lot. */
        if (a->total > sz * 4 && sz < (1u << 20))
            sz = a->total / 2 > need ? a->total / 2 : need;
        arena_block_t *nb = block_new(sz);
        nb->next = b;
        a->head = nb;
        b = nb;
    }
    void *p = (uint8_t *)b + BLOCK_HDR + b->used;
    b->used += need;
    a->total += need;
    return p;
}

void *kv_arena_calloc(kv_arena_t *a, size_t n, size_t size)
{
    size_t total;
    if (!kv_size_mul(n, size, &total))
        abort();
    void *p = kv_arena_alloc(a, total);
    memset(p, 0, total);
    return p;
}

char *kv_arena_strndup(kv_arena_t *a, const void *p, size_t n)
{
    char *s = kv_arena_alloc(a, n + 1);
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

kv_slice_t kv_arena_dup(kv_arena_t *a, kv_slice_t s)
{
    return kv_slice(kv_arena_strndup(a, s.p, s.len), s.len);
}

char *kv_arena_vprintf(kv_arena_t *a, const char *fmt, va_list ap)
{
    char tmp[256];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    if (n < 0) {
        va_end(again);
        return kv_arena_strndup(a, "", 0);
    }
    if ((size_t)n < sizeof(tmp)) {
        va_end(again);
        return kv_arena_strndup(a, tmp, (size_t)n);
    }
    char *s = kv_arena_alloc(a, (size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, again);
    va_end(again);
    return s;
}

char *kv_arena_printf(kv_arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = kv_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return s;
}

void kv_arena_on_destroy(kv_arena_t *a, kv_arena_cleanup_cb fn, void *arg)
{
    arena_cleanup_t *c = kv_arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
}

size_t kv_arena_used(const kv_arena_t *a)
{
    return a->total;
}
