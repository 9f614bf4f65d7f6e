/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS's storage (issue 16, package K): records under the catalog kind 'J'. The layout of the
 * keys after 'J' belongs to api/kms (kms_store.c): keys, their grants, aliases and the
 * aliases' reverse index; here they are read, scanned by prefix and written in one batch per
 * logical change.
 */
#include <string.h>

#include "eng_int.h"
#include "eng_rocks.h"

#define ENG_CAT_KMS 'J' /* issue 16, package K: KMS keys, grants, aliases (api/kms/kms_store.c) */

int eng_kms_get(eng_t *e, kv_slice_t key, kv_arena_t *a, kv_slice_t *val)
{
    if (key.len == 0 || key.len > ENG_KMS_KEY_MAX)
        return KV_ENOTFOUND;
    kv_buf_t k, v;
    kv_buf_init(&k, key.len + 1);
    kv_buf_init(&v, ENG_KMS_VAL_MAX);
    eng__cat_key(&k, ENG_CAT_KMS, key);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0)
        *val = kv_arena_dup(a, kv_buf_slice(&v));
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_kms_scan(eng_t *e, kv_slice_t prefix, kv_slice_t after, size_t limit,
                 int (*take)(void *arg, kv_slice_t suffix, kv_slice_t val), void *arg)
{
    if (prefix.len + after.len > ENG_KMS_KEY_MAX)
        return 0;
    kv_buf_t k;
    kv_buf_init(&k, 1 + prefix.len + after.len);
    eng__cat_key(&k, ENG_CAT_KMS, prefix);
    size_t plen = k.len;
    kv_buf_append_slice(&k, after);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    size_t n = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len < plen || memcmp(key.p, k.p, plen) != 0)
            break;
        kv_slice_t suffix = kv_slice(key.p + plen, key.len - plen);
        if (after.len && kv_slice_eq(suffix, after))
            continue;
        if (limit && n >= limit)
            break;
        n++;
        rc = take(arg, suffix, eng_riter_value(it));
        if (rc != 0)
            break;
    }
    if (rc == 1)
        rc = 0;
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_buf_dispose(&k);
    return rc;
}

int eng_kms_write(eng_t *e, const eng_kms_op_t *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ops[i].key.len == 0 || ops[i].key.len > ENG_KMS_KEY_MAX ||
            ops[i].val.len > ENG_KMS_VAL_MAX)
            return KV_EINVAL;
    eng_batch_t *b = eng_batch_new(e->rocks);
    kv_buf_t k;
    kv_buf_init(&k, ENG_KMS_KEY_MAX + 1);
    for (size_t i = 0; i < n; i++) {
        kv_buf_reset(&k);
        eng__cat_key(&k, ENG_CAT_KMS, ops[i].key);
        if (ops[i].val.p)
            eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), ops[i].val);
        else
            eng_batch_delete(b, ENG_CF_CATALOG, kv_buf_slice(&k));
    }
    int rc = eng__write(e, b);
    eng_batch_free(b);
    kv_buf_dispose(&k);
    return rc;
}
