/* SPDX-License-Identifier: Apache-2.0 */
/* xxHash and OpenSSL behind project names. */
#include "kv_hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
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

/* Issue 18: RAND_bytes costs ~3 us a call (OpenSSL's DRBG locks, a getpid for fork
 * detection), as much as a 4 KiB PUT's memtable insert. Identifiers (data and upload ids) are
 * taken from a per-thread pool of its output, refilled 64 at a time; a fork empties every pool
 * (a child never repeats its parent's ids). Keys and salts still call kv_random. */
#define ID_POOL 64
static atomic_uint id_gen = 1;
static pthread_once_t id_once = PTHREAD_ONCE_INIT;

static void id_forked(void)
{
    atomic_fetch_add(&id_gen, 1);
}

static void id_init(void)
{
    pthread_atfork(NULL, NULL, id_forked);
}

uint64_t kv_random_u64(void)
{
    static _Thread_local uint64_t pool[ID_POOL];
    static _Thread_local unsigned left, gen;
    unsigned g = atomic_load_explicit(&id_gen, memory_order_relaxed);
    if (left == 0 || gen != g) {
        pthread_once(&id_once, id_init);
        kv_random(pool, sizeof(pool));
        left = ID_POOL;
        gen = g;
    }
    uint64_t v = pool[--left];
    pool[left] = 0;
    return v;
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
