/* SPDX-License-Identifier: Apache-2.0 */
/* kv_buf_t: capped growable buffer (curl dynbuf style). */
#include "kv_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kv_alloc.h"

void kv_buf_init(kv_buf_t *b, size_t limit)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->limit = limit;
    b->failed = false;
    b->borrowed = false;
}

void kv_buf_init_on(kv_buf_t *b, void *mem, size_t cap, size_t limit)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap < limit ? cap : limit;
    b->limit = limit;
    b->failed = false;
    b->borrowed = true;
}

void kv_buf_dispose(kv_buf_t *b)
{
    if (!b->borrowed)
        kv_free(b->p);
    b->borrowed = false;
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = false;
}

void kv_buf_reset(kv_buf_t *b)
{
    b->len = 0;
    b->failed = false;
}

bool kv_buf_reserve(kv_buf_t *b, size_t n)
{
    size_t need;
    if (b->failed)
        return false;
    if (!kv_size_add(b->len, n, &need) || need > b->limit) {
        b->failed = true;
        return false;
    }
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->limit)
        cap = b->limit;
    if (b->borrowed) {
        uint8_t *np = kv_malloc(cap);
        if (b->len)
            memcpy(np, b->p, b->len);
        b->p = np;
        b->borrowed = false;
    } else {
        b->p = kv_realloc(b->p, cap);
    }
    b->cap = cap;
    return true;
}

void kv_buf_append(kv_buf_t *b, const void *p, size_t n)
{
    if (n == 0 || !kv_buf_reserve(b, n))
        return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void kv_buf_append_slice(kv_buf_t *b, kv_slice_t s)
{
    kv_buf_append(b, s.p, s.len);
}

void kv_buf_append_str(kv_buf_t *b, const char *s)
{
    kv_buf_append(b, s, strlen(s));
}

void kv_buf_append_byte(kv_buf_t *b, uint8_t c)
{
    if (!kv_buf_reserve(b, 1))
        return;
    b->p[b->len++] = c;
}

void kv_buf_printf(kv_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    char tmp[512];
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof(tmp)) {
        kv_buf_append(b, tmp, (size_t)n);
        return;
    }
    if (!kv_buf_reserve(b, (size_t)n + 1))
        return;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void kv_buf_append_u64(kv_buf_t *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    kv_buf_append(b, tmp + i, sizeof(tmp) - i);
}

void kv_buf_append_hex(kv_buf_t *b, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    size_t need;
    if (!kv_size_mul(n, 2, &need) || !kv_buf_reserve(b, need))
        return;
    for (size_t i = 0; i < n; i++) {
        b->p[b->len++] = (uint8_t)hx[p[i] >> 4];
        b->p[b->len++] = (uint8_t)hx[p[i] & 15];
    }
}
