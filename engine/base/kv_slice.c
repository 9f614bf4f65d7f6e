/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers over borrowed byte ranges. */
#include "kv_slice.h"

static inline uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

bool kv_slice_eq_nocase_slice(kv_slice_t a, kv_slice_t b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++)
        if (lower(a.p[i]) != lower(b.p[i]))
            return false;
    return true;
}

bool kv_slice_eq_nocase(kv_slice_t a, const char *s)
{
    /* One pass, no strlen: header lookups call this for every header of every request, and
     * most comparisons end at the first byte. */
    size_t i = 0;
    for (; i < a.len; i++)
        if (s[i] == 0 || lower(a.p[i]) != lower((uint8_t)s[i]))
            return false;
    return s[i] == 0;
}

bool kv_slice_starts_with(kv_slice_t a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.len >= n && memcmp(a.p, prefix, n) == 0;
}

int kv_slice_cmp(kv_slice_t a, kv_slice_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c != 0)
        return c;
    return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);
}

kv_slice_t kv_slice_trim(kv_slice_t a)
{
    while (a.len && (a.p[0] == ' ' || a.p[0] == '\t')) {
        a.p++;
        a.len--;
    }
    while (a.len && (a.p[a.len - 1] == ' ' || a.p[a.len - 1] == '\t'))
        a.len--;
    return a;
}

bool kv_slice_to_u64(kv_slice_t a, uint64_t *out)
{
    uint64_t v = 0;
    if (a.len == 0 || a.len > 20)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        if (a.p[i] < '0' || a.p[i] > '9')
            return false;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, a.p[i] - '0', &v))
            return false;
    }
    *out = v;
    return true;
}
