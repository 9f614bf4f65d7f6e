/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS's ciphertext blob and encryption context (issue 16, package K): the input is a blob to
 * parse and open under a fixed material (it never opens unless the tag is right: a forged one
 * must not), and, read as JSON, an encryption context to canonicalize. A blob sealed from the
 * input must open again, whole.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kms/kms_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t mat[KMS_MAT_LEN];
    memset(mat, 0x5a, sizeof(mat));
    kv_slice_t in = kv_slice(data, size);
    kv_buf_t plain, canon, blob;
    kv_buf_init(&plain, 1 << 16);
    kv_buf_init(&canon, 1 << 16);
    kv_buf_init(&blob, 1 << 16);
    kms_blob_t b;
    if (kms_blob_parse(in, &b)) {
        if (b.ct.len + KMS_BLOB_OVERHEAD != size || b.version == 0)
            abort();
        kms_blob_open(mat, &b, KV_SLICE_NULL, &plain);
    }
    kv_arena_t *a = kv_arena_new(4096);
    api_json_t *j;
    const char *err, *why = NULL;
    if (api_json_parse(a, in, &j, &err) == 0 && kms_ctx_canon(a, j, &canon, &why) == 0) {
        /* sealed with that context, the input opens again with it, and only with it */
        kv_slice_t p = kv_slice(data, size > KMS_PLAIN_MAX ? KMS_PLAIN_MAX : size);
        kms_blob_seal(mat, "0123abcd-0000-4000-8000-0123456789ab", 1, kv_buf_slice(&canon), p,
                      &blob);
        kv_buf_reset(&plain);
        if (!kms_blob_parse(kv_buf_slice(&blob), &b) == (p.len > 0))
            abort();
        if (p.len > 0) {
            if (kms_blob_open(mat, &b, kv_buf_slice(&canon), &plain) != 0 || plain.len != p.len ||
                memcmp(plain.p, p.p, p.len) != 0)
                abort();
            if (canon.len && kms_blob_open(mat, &b, KV_SLICE_NULL, &plain) == 0)
                abort();
        }
    }
    kv_arena_free(a);
    kv_buf_dispose(&plain);
    kv_buf_dispose(&canon);
    kv_buf_dispose(&blob);
    return 0;
}
