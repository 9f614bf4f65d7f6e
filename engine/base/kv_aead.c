/* SPDX-License-Identifier: Apache-2.0 */
/* AES-256-GCM under one key (issue 16): see kv_aead.h. */
#include "kv_aead.h"

#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "kv_alloc.h"

struct kv_aead {
    EVP_CIPHER_CTX *enc, *dec; /* key schedules made once, a new nonce per call */
};

void kv_wipe(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}

kv_aead_t *kv_aead_new(const uint8_t key[KV_AEAD_KEY_LEN])
{
    kv_aead_t *a = kv_calloc(1, sizeof(*a));
    a->enc = EVP_CIPHER_CTX_new();
    a->dec = EVP_CIPHER_CTX_new();
    if (a->enc == NULL || a->dec == NULL ||
        EVP_EncryptInit_ex(a->enc, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
        EVP_DecryptInit_ex(a->dec, EVP_aes_256_gcm(), NULL, key, NULL) != 1) {
        kv_aead_free(a);
        return NULL;
    }
    return a;
}

int kv_aead_seal(kv_aead_t *a, const uint8_t nonce[KV_AEAD_NONCE_LEN], uint8_t *p, size_t n,
                 uint8_t tag[KV_AEAD_TAG_LEN])
{
    int len = 0;
    if (n > INT_MAX || EVP_EncryptInit_ex(a->enc, NULL, NULL, NULL, nonce) != 1 ||
        (n && EVP_EncryptUpdate(a->enc, p, &len, p, (int)n) != 1) ||
        EVP_EncryptFinal_ex(a->enc, p + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(a->enc, EVP_CTRL_GCM_GET_TAG, KV_AEAD_TAG_LEN, tag) != 1)
        return -1;
    return 0;
}

int kv_aead_open(kv_aead_t *a, const uint8_t nonce[KV_AEAD_NONCE_LEN], uint8_t *p, size_t n,
                 const uint8_t tag[KV_AEAD_TAG_LEN])
{
    int len = 0;
    uint8_t t[KV_AEAD_TAG_LEN];
    for (size_t i = 0; i < sizeof(t); i++)
        t[i] = tag[i];
    if (n > INT_MAX || EVP_DecryptInit_ex(a->dec, NULL, NULL, NULL, nonce) != 1 ||
        (n && EVP_DecryptUpdate(a->dec, p, &len, p, (int)n) != 1) ||
        EVP_CIPHER_CTX_ctrl(a->dec, EVP_CTRL_GCM_SET_TAG, KV_AEAD_TAG_LEN, t) != 1 ||
        EVP_DecryptFinal_ex(a->dec, p + len, &len) != 1) {
        kv_wipe(p, n); /* never hand out bytes that failed authentication */
        return -1;
    }
    return 0;
}

void kv_aead_free(kv_aead_t *a)
{
    if (a == NULL)
        return;
    EVP_CIPHER_CTX_free(a->enc); /* EVP_CIPHER_CTX_free cleanses the key schedule */
    EVP_CIPHER_CTX_free(a->dec);
    kv_free(a);
}
