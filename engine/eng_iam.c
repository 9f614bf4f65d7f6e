/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM's storage (issue 15, package I): records under the catalog kind 'I'. The layout of the
 * keys after 'I' belongs to api/iam (iam_store.c); here they are read, scanned by prefix and
 * written in one batch per logical change.
 */
#include <string.h>

#include "eng_int.h"
#include "eng_rocks.h"

#define ENG_CAT_IAM 'I' /* issue 15, package I: IAM entities (api/iam/iam_store.c) */

int eng_iam_get(eng_t *e, kv_slice_t key, kv_arena_t *a, kv_slice_t *val)
{
    if (key.len > ENG_IAM_KEY_MAX)
        return KV_ENOTFOUND;
    return eng__kind_get(e, ENG_CAT_IAM, ENG_IAM_VAL_MAX, key, a, val);
}

int eng_iam_scan(eng_t *e, kv_slice_t prefix, kv_slice_t after, size_t limit,
                 int (*take)(void *arg, kv_slice_t suffix, kv_slice_t val), void *arg)
{
    if (prefix.len + after.len > ENG_IAM_KEY_MAX)
        return 0;
    return eng__kind_scan(e, ENG_CAT_IAM, prefix, after, limit, take, arg);
}

int eng_iam_write(eng_t *e, const eng_iam_op_t *ops, size_t n)
{
    return eng__kind_write(e, ENG_CAT_IAM, ENG_IAM_KEY_MAX, ENG_IAM_VAL_MAX, ops, n);
}
