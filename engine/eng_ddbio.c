/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's exports and imports (issue 17): their descriptions are records under the catalog
 * kind 'E'. The keys after 'E' (a sub-kind byte: 'X' an export, 'I' an import, then the id)
 * and the values belong to api/ddb (ddb_export.c, ddb_import.c); here they are read, scanned
 * by prefix and written in one batch per change.
 */
#include "eng_int.h"

int eng_ddbio_get(eng_t *e, kv_slice_t key, kv_arena_t *a, kv_slice_t *val)
{
    if (key.len == 0 || key.len > ENG_DDBIO_KEY_MAX)
        return KV_ENOTFOUND;
    return eng__kind_get(e, ENG_CAT_DDBIO, ENG_DDBIO_VAL_MAX, key, a, val);
}

int eng_ddbio_scan(eng_t *e, kv_slice_t prefix, kv_slice_t after, size_t limit,
                   int (*take)(void *arg, kv_slice_t suffix, kv_slice_t val), void *arg)
{
    if (prefix.len + after.len > ENG_DDBIO_KEY_MAX)
        return 0;
    return eng__kind_scan(e, ENG_CAT_DDBIO, prefix, after, limit, take, arg);
}

int eng_ddbio_write(eng_t *e, const eng_cat_op_t *ops, size_t n)
{
    return eng__kind_write(e, ENG_CAT_DDBIO, ENG_DDBIO_KEY_MAX, ENG_DDBIO_VAL_MAX, ops, n);
}
