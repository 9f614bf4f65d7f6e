/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Incremental payload checksums: the flexible-checksum algorithms of S3
 * (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) plus MD5 for Content-MD5.
 */
#ifndef API_CKSUM_H
#define API_CKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "base/kv_slice.h"

typedef enum api_ck_algo {
    API_CK_NONE = 0,
    API_CK_CRC32,
    API_CK_CRC32C,
    API_CK_CRC64NVME,
    API_CK_SHA1,
    API_CK_SHA256,
    API_CK_MD5,
} api_ck_algo_t;

typedef struct api_ck {
    api_ck_algo_t algo;
    uint64_t crc;
    void *md; /* EVP_MD_CTX for the hash algorithms */
} api_ck_t;

#define API_CK_MAX 32

/** Start a checksum. Dispose with api_ck_dispose() (also after final). */
void api_ck_init(api_ck_t *c, api_ck_algo_t algo);
void api_ck_update(api_ck_t *c, const void *p, size_t n);
/** Write the digest (big-endian for CRCs) to out; returns its length. */
size_t api_ck_final(api_ck_t *c, uint8_t out[API_CK_MAX]);
void api_ck_dispose(api_ck_t *c);
/** Algorithm named by a header "x-amz-checksum-<algo>" (any case), or API_CK_NONE. */
api_ck_algo_t api_ck_from_header(kv_slice_t name);
/** "CRC32", "CRC32C", ... for messages. */
const char *api_ck_name(api_ck_algo_t algo);
/** One-shot CRC32C and CRC64NVME (exposed for tests). */
uint32_t api_crc32c(uint32_t crc, const void *p, size_t n);
uint64_t api_crc64nvme(uint64_t crc, const void *p, size_t n);

#endif
