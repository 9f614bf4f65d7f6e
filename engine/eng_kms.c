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
    return eng__kind_get(e, ENG_CAT_KMS, ENG_KMS_VAL_MAX, key, a, val);
}

int eng_kms_scan(eng_t *e, kv_slice_t prefix, kv_slice_t after, size_t limit,
                 int (*take)(void *arg, kv_slice_t suffix, kv_slice_t val), void *arg)
{
    if (prefix.len + after.len > ENG_KMS_KEY_MAX)
        return 0;
    return eng__kind_scan(e, ENG_CAT_KMS, prefix, after, limit, take, arg);
}

int eng_kms_write(eng_t *e, const eng_kms_op_t *ops, size_t n)
{
    return eng__kind_write(e, ENG_CAT_KMS, ENG_KMS_KEY_MAX, ENG_KMS_VAL_MAX, ops, n);
}
