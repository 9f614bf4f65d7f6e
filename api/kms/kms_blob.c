/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS's ciphertext blob and encryption context (kms_int.h): pure functions, no engine.
 *
 * The blob is versioned (its first byte), names the key and the material version that made it
 * (so Decrypt needs no KeyId, and a rotated key still opens its old blobs), and is
 * authenticated: AES-256-GCM under the material with the header and the canonical encryption
 * context as associated data, so a changed byte, another key's material or another context
 * fails the tag (InvalidCiphertextException).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/kv_hash.h"
#include "kms_int.h"

#define NONCE_LEN 12
#define TAG_LEN   16

/* One AES-256-GCM pass: enc 1 seals, 0 opens (tag in/out). @return 0 or -1. */
static int gcm(int enc, const uint8_t key[KMS_MAT_LEN], const uint8_t *nonce, kv_slice_t aad1,
               kv_slice_t aad2, const uint8_t *in, size_t n, uint8_t *out, uint8_t *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0,
        ok = c != NULL && n <= INT32_MAX && aad1.len <= INT32_MAX && aad2.len <= INT32_MAX &&
             EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) == 1 &&
             (aad1.len == 0 || EVP_CipherUpdate(c, NULL, &len, aad1.p, (int)aad1.len) == 1) &&
             (aad2.len == 0 || EVP_CipherUpdate(c, NULL, &len, aad2.p, (int)aad2.len) == 1) &&
             (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n) == 1);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
    if (ok)
        ok = EVP_CipherFinal_ex(c, out + (n ? (size_t)len : 0), &len) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

bool kms_is_key_id(kv_slice_t s)
{
    if (s.len != KMS_ID_LEN)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

bool kms_blob_parse(kv_slice_t blob, kms_blob_t *out)
{
    if (blob.len < KMS_BLOB_OVERHEAD + 1 || blob.len > KMS_BLOB_MAX ||
        blob.p[0] != KMS_BLOB_VERSION)
        return false;
    kv_slice_t id = kv_slice(blob.p + 1, KMS_ID_LEN);
    if (!kms_is_key_id(id))
        return false;
    memcpy(out->key_id, id.p, KMS_ID_LEN);
    out->key_id[KMS_ID_LEN] = 0;
    const uint8_t *v = blob.p + 1 + KMS_ID_LEN;
    out->version = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
    out->nonce = v + 4;
    out->header = kv_slice(blob.p, KMS_BLOB_HDR);
    out->ct = kv_slice(blob.p + KMS_BLOB_HDR, blob.len - KMS_BLOB_OVERHEAD);
    out->tag = blob.p + blob.len - TAG_LEN;
    return out->version >= 1;
}

void kms_blob_seal(const uint8_t mat[KMS_MAT_LEN], const char *key_id, uint32_t ver,
                   kv_slice_t ctx_canon, kv_slice_t plain, kv_buf_t *out)
{
    size_t at = out->len;
    if (!kv_buf_reserve(out, KMS_BLOB_OVERHEAD + plain.len))
        return;
    kv_buf_append_byte(out, KMS_BLOB_VERSION);
    kv_buf_append(out, key_id, KMS_ID_LEN);
    uint8_t v[4] = {(uint8_t)(ver >> 24), (uint8_t)(ver >> 16), (uint8_t)(ver >> 8), (uint8_t)ver};
    kv_buf_append(out, v, sizeof(v));
    uint8_t nonce[NONCE_LEN];
    kv_random(nonce, sizeof(nonce));
    kv_buf_append(out, nonce, sizeof(nonce));
    kv_slice_t hdr = kv_slice(out->p + at, KMS_BLOB_HDR);
    uint8_t tag[TAG_LEN];
    if (gcm(1, mat, nonce, hdr, ctx_canon, plain.p, plain.len, out->p + out->len, tag) < 0) {
        out->len = at;
        out->failed = true;
        return;
    }
    out->len += plain.len;
    kv_buf_append(out, tag, sizeof(tag));
}

int kms_blob_open(const uint8_t mat[KMS_MAT_LEN], const kms_blob_t *b, kv_slice_t ctx_canon,
                  kv_buf_t *plain)
{
    size_t at = plain->len;
    if (!kv_buf_reserve(plain, b->ct.len + 1))
        return -1;
    uint8_t tag[TAG_LEN];
    memcpy(tag, b->tag, TAG_LEN);
    if (gcm(0, mat, b->nonce, b->header, ctx_canon, b->ct.p, b->ct.len, plain->p + at, tag) < 0) {
        OPENSSL_cleanse(plain->p + at, b->ct.len);
        return -1;
    }
    plain->len = at + b->ct.len;
    return 0;
}

/* ---- the encryption context ---- */

typedef struct pair {
    kv_slice_t k, v;
} pair_t;

static int pair_cmp(const void *a, const void *b)
{
    return kv_slice_cmp(((const pair_t *)a)->k, ((const pair_t *)b)->k);
}

static void put_varint(kv_buf_t *b, size_t n)
{
    while (n >= 0x80) {
        kv_buf_append_byte(b, (uint8_t)(n | 0x80));
        n >>= 7;
    }
    kv_buf_append_byte(b, (uint8_t)n);
}

int kms_ctx_canon(kv_arena_t *a, const api_json_t *ctx, kv_buf_t *out, const char **why)
{
    if (ctx == NULL || api_json_type(ctx) == API_J_NULL)
        return 0;
    if (api_json_type(ctx) != API_J_OBJ) {
        *why = "EncryptionContext must be a map of strings";
        return -1;
    }
    size_t n = api_json_len(ctx);
    if (n > KMS_CTX_PAIRS) {
        *why = "The encryption context has too many pairs";
        return -1;
    }
    pair_t *p = kv_arena_calloc(a, n ? n : 1, sizeof(*p));
    size_t i = 0, total = 0;
    void *it = NULL;
    const char *key;
    api_json_t *val;
    while (i < n && api_json_next(ctx, &it, &key, &val)) {
        if (api_json_type(val) != API_J_STR) {
            *why = "EncryptionContext values must be strings";
            return -1;
        }
        p[i].k = kv_slice_str(key);
        p[i].v = api_json_str(val);
        total += p[i].k.len + p[i].v.len + 4;
        if (total > KMS_CTX_MAX) {
            *why = "The encryption context is too large";
            return -1;
        }
        i++;
    }
    qsort(p, i, sizeof(*p), pair_cmp);
    for (size_t j = 0; j < i; j++) {
        put_varint(out, p[j].k.len);
        kv_buf_append_slice(out, p[j].k);
        put_varint(out, p[j].v.len);
        kv_buf_append_slice(out, p[j].v);
    }
    return 0;
}
