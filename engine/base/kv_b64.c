/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 codec used for checksums, binary attributes and request ids. */
#include "kv_b64.h"

#include "kv_alloc.h"

static const char enc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void kv_b64_encode(kv_buf_t *out, const uint8_t *p, size_t n)
{
    size_t olen;
    if (!kv_size_mul((n + 2) / 3, 4, &olen) || !kv_buf_reserve(out, olen))
        return;
    uint8_t *o = out->p + out->len;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = (uint8_t)enc[v >> 18];
        *o++ = (uint8_t)enc[(v >> 12) & 63];
        *o++ = (uint8_t)enc[(v >> 6) & 63];
        *o++ = (uint8_t)enc[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = (uint8_t)enc[v >> 18];
        *o++ = (uint8_t)enc[(v >> 12) & 63];
        *o++ = i + 1 < n ? (uint8_t)enc[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    out->len += olen;
}

static int dec(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

bool kv_b64_decode(kv_buf_t *out, kv_slice_t in)
{
    if (in.len % 4)
        return false;
    for (size_t i = 0; i < in.len; i += 4) {
        int a = dec(in.p[i]), b = dec(in.p[i + 1]);
        bool last = i + 4 == in.len;
        int c = (last && in.p[i + 2] == '=') ? -2 : dec(in.p[i + 2]);
        int d = (last && in.p[i + 3] == '=') ? -2 : dec(in.p[i + 3]);
        if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2))
            return false;
        kv_buf_append_byte(out, (uint8_t)(a << 2 | b >> 4));
        if (c >= 0)
            kv_buf_append_byte(out, (uint8_t)((b & 15) << 4 | c >> 2));
        if (d >= 0)
            kv_buf_append_byte(out, (uint8_t)((c & 3) << 6 | d));
    }
    return !kv_buf_failed(out);
}
