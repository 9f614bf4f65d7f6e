/* SPDX-License-Identifier: Apache-2.0 */
/* Amazon Resource Names: writing and splitting (see api_arn.h). */
#include "api_arn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int arn_vwrite(char *out, size_t cap, const char *service, const char *region,
                      const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static int arn_vwrite(char *out, size_t cap, const char *service, const char *region,
                      const char *fmt, va_list ap)
{
    int n = region ? snprintf(out, cap, "arn:aws:%s:%s:" API_ACCOUNT_ID ":", service, region)
                   : snprintf(out, cap, "arn:aws:%s:::", service);
    if (n < 0)
        return n;
    size_t at = (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
    int m = vsnprintf(cap ? out + at : out, cap - at, fmt, ap);
    return m < 0 ? m : n + m;
}

int api_arn_write(char *out, size_t cap, const char *service, const char *region, const char *fmt,
                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = arn_vwrite(out, cap, service, region, fmt, ap);
    va_end(ap);
    return n;
}

const char *api_arn_new(kv_arena_t *a, const char *service, const char *region, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = arn_vwrite(NULL, 0, service, region, fmt, ap);
    va_end(ap);
    if (n < 0)
        return "";
    char *out = kv_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    arn_vwrite(out, (size_t)n + 1, service, region, fmt, ap);
    va_end(ap);
    return out;
}

/* The next ':'-separated field of *s (the rest stays in *s). */
static bool field(kv_slice_t *s, kv_slice_t *out)
{
    const uint8_t *c = s->len ? memchr(s->p, ':', s->len) : NULL;
    if (c == NULL)
        return false;
    *out = kv_slice(s->p, (size_t)(c - s->p));
    *s = kv_slice(c + 1, s->len - out->len - 1);
    return true;
}

bool api_arn_parse(kv_slice_t arn, api_arn_t *out)
{
    kv_slice_t s = arn, arn_word, partition;
    memset(out, 0, sizeof(*out));
    if (!field(&s, &arn_word) || !kv_slice_eq_str(arn_word, "arn") || !field(&s, &partition) ||
        !kv_slice_eq_str(partition, "aws") || !field(&s, &out->service) ||
        !field(&s, &out->region) || !field(&s, &out->account))
        return false;
    out->resource = s;
    return out->service.len > 0 && out->resource.len > 0;
}

bool api_arn_name(const api_arn_t *arn, const char *type, kv_slice_t *name)
{
    size_t tl = strlen(type);
    if (!kv_slice_starts_with(arn->resource, type))
        return false;
    kv_slice_t n = kv_slice(arn->resource.p + tl, arn->resource.len - tl);
    const uint8_t *end = n.len && tl ? memchr(n.p, type[tl - 1], n.len) : NULL;
    if (end)
        n.len = (size_t)(end - n.p);
    *name = n;
    return n.len > 0;
}

bool api_arn_after(const api_arn_t *arn, const char *type, kv_slice_t *rest)
{
    size_t tl = strlen(type);
    if (!kv_slice_starts_with(arn->resource, type))
        return false;
    *rest = kv_slice(arn->resource.p + tl, arn->resource.len - tl);
    return rest->len > 0;
}
