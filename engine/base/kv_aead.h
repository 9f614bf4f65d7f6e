/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AES-256-GCM under one key, for the encrypted object chunks of issue 16 (OpenSSL EVP: AES-NI
 * where the CPU has it). The key schedule is made once per key and reused for every chunk;
 * each call takes a 12-byte nonce that must never repeat under the key.
 */
#ifndef KV_AEAD_H
#define KV_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define KV_AEAD_KEY_LEN   32
#define KV_AEAD_NONCE_LEN 12
#define KV_AEAD_TAG_LEN   16

typedef struct kv_aead kv_aead_t;

/** A context for key (copied; wiped by kv_aead_free). @return NULL when out of memory. */
kv_aead_t *kv_aead_new(const uint8_t key[KV_AEAD_KEY_LEN]);
/** Encrypt p[0..n) in place, writing the tag. @return 0 or -1. */
int kv_aead_seal(kv_aead_t *a, const uint8_t nonce[KV_AEAD_NONCE_LEN], uint8_t *p, size_t n,
                 uint8_t tag[KV_AEAD_TAG_LEN]);
/** Decrypt p[0..n) in place and check tag. @return 0, or -1 (forged, corrupt, another key:
 * p is then wiped). */
int kv_aead_open(kv_aead_t *a, const uint8_t nonce[KV_AEAD_NONCE_LEN], uint8_t *p, size_t n,
                 const uint8_t tag[KV_AEAD_TAG_LEN]);
/** Wipe and free; accepts NULL. */
void kv_aead_free(kv_aead_t *a);
/** Wipe n bytes in a way the compiler keeps. */
void kv_wipe(void *p, size_t n);

#endif
