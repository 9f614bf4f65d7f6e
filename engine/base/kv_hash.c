/* SPDX-License-Identifier: Apache-2.0 */
/* xxHash and OpenSSL behind project names. */
#include "kv_hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <xxhash.h>

uint64_t kv_xxh3(const void *p, size_t n)
{
    return (uint64_t)XXH3_64bits(p, n);
}

uint64_t kv_xxh3_seed(const void *p, size_t n, uint64_t seed)
{
    return (uint64_t)XXH3_64bits_withSeed(p, n, seed);
}

void kv_md5(const void *p, size_t n, uint8_t out[16])
{
    unsigned int len = 16;
    if (EVP_Digest(p, n, out, &len, EVP_md5(), NULL) != 1)
        abort();
}

void kv_random(void *out, size_t n)
{
    if (RAND_bytes(out, (int)n) != 1)
        abort();
}
