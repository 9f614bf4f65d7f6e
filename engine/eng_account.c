/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Account-level settings (issue 15): one opaque value per name under catalog kind 'X' (S3's
 * account public access block, "s3-pab"). The api layer owns each value's encoding.
 */
#include <string.h>

#include "eng_int.h"

static void encode_raw(const void *rec, kv_buf_t *b)
{
    const kv_slice_t *v = rec;
    kv_buf_append(b, v->p, v->len);
}

int eng_account_get(eng_t *e, kv_slice_t name, kv_arena_t *a, kv_slice_t *out)
{
    kv_buf_t k;
    kv_buf_init(&k, 64);
    eng__cat_key(&k, ENG_CAT_ACCOUNT, name);
    int rc = eng__rec_get(e, kv_buf_slice(&k), a, out);
    kv_buf_dispose(&k);
    return rc;
}

int eng_account_put(eng_t *e, kv_slice_t name, kv_slice_t value)
{
    if (value.len > ENG_ACCOUNT_SETTING_MAX || name.len == 0)
        return KV_EINVAL;
    kv_buf_t k;
    kv_buf_init(&k, 64);
    eng__cat_key(&k, ENG_CAT_ACCOUNT, name);
    pthread_mutex_lock(&e->cat_lock);
    int rc = eng__rec_put_locked(e, kv_buf_slice(&k), ENG_FN_CREATE, encode_raw, &value);
    if (rc == KV_EEXIST)
        rc = eng__rec_put_locked(e, kv_buf_slice(&k), ENG_FN_UPDATE, encode_raw, &value);
    pthread_mutex_unlock(&e->cat_lock);
    kv_buf_dispose(&k);
    return rc;
}

int eng_account_delete(eng_t *e, kv_slice_t name)
{
    kv_buf_t k;
    kv_buf_init(&k, 64);
    eng__cat_key(&k, ENG_CAT_ACCOUNT, name);
    int rc = eng__rec_delete(e, kv_buf_slice(&k), NULL, NULL);
    kv_buf_dispose(&k);
    return rc == KV_ENOTFOUND ? 0 : rc;
}
