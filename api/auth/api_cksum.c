/* SPDX-License-Identifier: Apache-2.0 */
/* Checksums: zlib for CRC32, OpenSSL for the hashes, tables for CRC32C/CRC64NVME. */
#include "api_cksum.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <zlib.h>

static uint32_t crc32c_tab[256];
static uint64_t crc64_tab[256];
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

static void make_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        uint64_t d = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            d = (d & 1) ? (d >> 1) ^ 0x9A6C9329AC4BC9B5ull : d >> 1;
        }
        crc32c_tab[i] = c;
        crc64_tab[i] = d;
    }
}

uint32_t api_crc32c(uint32_t crc, const void *p, size_t n)
{
    const uint8_t *b = p;
    pthread_once(&tab_once, make_tables);
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc32c_tab[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

uint64_t api_crc64nvme(uint64_t crc, const void *p, size_t n)
{
    const uint8_t *b = p;
    pthread_once(&tab_once, make_tables);
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc64_tab[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* The digests fetched once (issue 18): EVP_sha256() and friends make every
 * EVP_DigestInit_ex look the provider's implementation up again (EVP_MD_fetch, a lock and a
 * name lookup, ~2 % of a 4 KiB PUT). */
static EVP_MD *g_sha1, *g_sha256, *g_md5;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void fetch_mds(void)
{
    g_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    g_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    if (g_sha1 == NULL || g_sha256 == NULL || g_md5 == NULL)
        abort();
}

void api_ck_init(api_ck_t *c, api_ck_algo_t algo)
{
    c->algo = algo;
    c->crc = 0;
    c->md = NULL;
    const EVP_MD *md = NULL;
    if (algo == API_CK_SHA1 || algo == API_CK_SHA256 || algo == API_CK_MD5) {
        pthread_once(&md_once, fetch_mds);
        md = algo == API_CK_SHA1 ? g_sha1 : algo == API_CK_SHA256 ? g_sha256 : g_md5;
    }
    if (md) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (ctx == NULL || EVP_DigestInit_ex2(ctx, md, NULL) != 1)
            abort();
        c->md = ctx;
    }
}

void api_ck_update(api_ck_t *c, const void *p, size_t n)
{
    switch (c->algo) {
    case API_CK_CRC32: {
        const uint8_t *b = p;
        while (n) {
            uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
            c->crc = crc32((uLong)c->crc, b, k);
            b += k;
            n -= k;
        }
        break;
    }
    case API_CK_CRC32C:
        c->crc = api_crc32c((uint32_t)c->crc, p, n);
        break;
    case API_CK_CRC64NVME:
        c->crc = api_crc64nvme(c->crc, p, n);
        break;
    case API_CK_SHA1:
    case API_CK_SHA256:
    case API_CK_MD5:
        EVP_DigestUpdate(c->md, p, n);
        break;
    default:
        break;
    }
}

size_t api_ck_final(api_ck_t *c, uint8_t out[API_CK_MAX])
{
    switch (c->algo) {
    case API_CK_CRC32:
    case API_CK_CRC32C:
        for (int i = 0; i < 4; i++)
            out[i] = (uint8_t)(c->crc >> (24 - 8 * i));
        return 4;
    case API_CK_CRC64NVME:
        for (int i = 0; i < 8; i++)
            out[i] = (uint8_t)(c->crc >> (56 - 8 * i));
        return 8;
    case API_CK_SHA1:
    case API_CK_SHA256:
    case API_CK_MD5: {
        unsigned int n = 0;
        EVP_DigestFinal_ex(c->md, out, &n);
        return n;
    }
    default:
        return 0;
    }
}

void api_ck_dispose(api_ck_t *c)
{
    if (c->md)
        EVP_MD_CTX_free(c->md);
    c->md = NULL;
}

api_ck_algo_t api_ck_from_header(kv_slice_t name)
{
    if (!(name.len > 15 && kv_slice_eq_nocase(kv_slice(name.p, 15), "x-amz-checksum-")))
        return API_CK_NONE;
    kv_slice_t a = kv_slice(name.p + 15, name.len - 15);
    if (kv_slice_eq_nocase(a, "crc32"))
        return API_CK_CRC32;
    if (kv_slice_eq_nocase(a, "crc32c"))
        return API_CK_CRC32C;
    if (kv_slice_eq_nocase(a, "crc64nvme"))
        return API_CK_CRC64NVME;
    if (kv_slice_eq_nocase(a, "sha1"))
        return API_CK_SHA1;
    if (kv_slice_eq_nocase(a, "sha256"))
        return API_CK_SHA256;
    return API_CK_NONE;
}

const char *api_ck_name(api_ck_algo_t algo)
{
    static const char *names[] = {"", "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "MD5"};
    return (unsigned)algo < 7 ? names[algo] : "";
}
