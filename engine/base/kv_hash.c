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

void kv_uuid4(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t r[16];
    kv_random(r, sizeof(r));
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* version 4 */
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80); /* the RFC 4122 variant */
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = 0;
}
