/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16 (contract; package K implements, package E and DynamoDB use): KMS keys for the
 * other services. S3's SSE-KMS asks for a data key under a customer or AWS managed key and
 * stores the ciphertext blob with the object; a read asks KMS to decrypt it again, so a
 * disabled, deleted or pending-deletion key makes the object unreadable.
 *
 * Each call authorizes the request's principal as AWS does for the calling service (the key
 * policy and IAM policies: kms:GenerateDataKey for a write, kms:Decrypt for a read), with
 * kms:ViaService = "<service>.<region>.amazonaws.com" and the encryption context in the
 * request context. On failure resp holds the calling service's error (S3: the
 * KMS.* codes S3 answers with, or AccessDenied) and -1 is returned.
 */
#ifndef API_KMS_H
#define API_KMS_H

#include <stdint.h>

#include "../api_int.h"

#define API_KMS_DATA_KEY_LEN 32

/**
 * Resolve key_id — a key id, key ARN, "alias/name" or alias ARN; NULL or "" for the AWS
 * managed key "alias/aws/<service>", created on first use as KMS does — to its key ARN (in
 * req->arena), checking that it exists (a key pending deletion or disabled still resolves).
 * @return 0, or -1 with resp's error set (S3: KMS.NotFoundException, 400).
 */
int api_kms_resolve(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *service,
                    const char *key_id, const char **key_arn);
/**
 * A new data key under key_id (as api_kms_resolve takes it): plain gets its 32 bytes, blob
 * (appended) KMS's ciphertext blob binding the key, its material version and context (the
 * encryption context as a JSON object text; empty: none), and *key_arn the key's ARN.
 * @return 0, or -1 with resp's error set (disabled: KMS.DisabledException; pending
 * deletion: KMS.KMSInvalidStateException; not found; not authorized).
 */
int api_kms_generate(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *service,
                     const char *key_id, kv_slice_t context, uint8_t plain[API_KMS_DATA_KEY_LEN],
                     kv_buf_t *blob, const char **key_arn);
/**
 * The data key in a blob api_kms_generate made, with the same context.
 * @return 0, or -1 with resp's error set (as above; a forged blob or another context:
 * KMS.InvalidCiphertextException).
 */
int api_kms_decrypt(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *service,
                    kv_slice_t blob, kv_slice_t context, uint8_t plain[API_KMS_DATA_KEY_LEN],
                    const char **key_arn);

#endif
