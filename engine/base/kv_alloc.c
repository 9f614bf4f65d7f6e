/* SPDX-License-Identifier: Apache-2.0 */
/* The only file that calls malloc/free directly. */
#include "kv_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "stratus: out of memory allocating %zu bytes\n", n);
    abort();
}

void *kv_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *kv_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *kv_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

char *kv_strndup(const char *s, size_t n)
{
    char *p = kv_malloc(n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *kv_strdup(const char *s)
{
    return kv_strndup(s, strlen(s));
}

void kv_free(void *p)
{
    free(p);
}
