/* SPDX-License-Identifier: Apache-2.0 */
/* Hashes used below the api layer: xxh3 for partition spreading, MD5 for ETags. */
#ifndef KV_HASH_H
#define KV_HASH_H

#include <stddef.h>
#include <stdint.h>

/** 64-bit XXH3 of p[0..n). */
uint64_t kv_xxh3(const void *p, size_t n);
/** XXH3-64 with a seed (a keyed check value; not a cryptographic MAC). */
uint64_t kv_xxh3_seed(const void *p, size_t n, uint64_t seed);
/** MD5 digest of p[0..n) into out[16]. */
void kv_md5(const void *p, size_t n, uint8_t out[16]);
/** Fill out with n cryptographically random bytes. */
void kv_random(void *out, size_t n);
/** 64 random bits for an identifier, from a per-thread pool of kv_random's output (fork-safe;
 * not for keys). */
uint64_t kv_random_u64(void);
/** A random (version 4) UUID, lower-case hex with dashes, into out[37]. */
void kv_uuid4(char out[37]);

#endif
