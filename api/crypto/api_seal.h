/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16 (contract; package E implements, package K uses): the server's master key and the
 * one sealing primitive every key at rest goes through.
 *
 * The master key is 32 random bytes in a file the server creates with mode 0600 beside the
 * database (<data-dir>/STRATUS-MASTER-KEY) or names with --master-key-file; api_open loads it
 * (refusing a file of another size or readable by group/other) before any service starts.
 * Function instances never see it (the runner hides the file like the data directory).
 */
#ifndef API_SEAL_H
#define API_SEAL_H

#include <stdint.h>

#include "../api_int.h"

#define API_MASTER_KEY_LEN 32
/** A sealed value's overhead: a version byte, a 12-byte nonce and a 16-byte tag. */
#define API_SEAL_OVERHEAD (1 + 12 + 16)

/**
 * Seal plain under the master key (AES-256-GCM, a random nonce), appending
 * version | nonce | ciphertext | tag to out. aad names the purpose and owner (for example
 * "sse-s3" or "kms:<key id>"): a value sealed for one purpose never opens for another.
 */
void api_seal(const api_ctx_t *ctx, kv_slice_t aad, kv_slice_t plain, kv_buf_t *out);
/** Open a value api_seal made with the same aad, appending the plaintext to plain.
 * @return 0, or -1 (forged, truncated, another purpose, another master key). */
int api_unseal(const api_ctx_t *ctx, kv_slice_t aad, kv_slice_t sealed, kv_buf_t *plain);

#endif
