/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 16, package E: encryption: SSE-S3, SSE-C, SSE-KMS, bucket default encryption (typed inputs
 * and outputs, internal interface). */
#ifndef S3_SSE_H
#define S3_SSE_H

#include <stdbool.h>
#include <stdint.h>

#include "../api_int.h"
#include "eng.h"

#define S3_SSE_KEY_LEN ENG_DATA_KEY_LEN

/** What a request says about encryption (its headers, or POST Object's form fields); an
 * empty slice: not said. */
typedef struct s3_sse_ask {
    kv_slice_t sse;                 /* x-amz-server-side-encryption */
    kv_slice_t kms_key;             /* ...-aws-kms-key-id */
    kv_slice_t kms_context;         /* ...-context (base64 of a JSON object) */
    kv_slice_t bucket_key;          /* x-amz-server-side-encryption-bucket-key-enabled */
    kv_slice_t c_alg, c_key, c_md5; /* ...-customer-algorithm, -key (base64), -key-MD5 */
} s3_sse_ask_t;

/** The request's own encryption headers. */
void s3_sse_ask_headers(api_req_t *req, s3_sse_ask_t *out);
/** CopyObject's and UploadPartCopy's x-amz-copy-source-server-side-encryption-customer-*. */
void s3_sse_ask_copy_source(api_req_t *req, s3_sse_ask_t *out);
/** Does the request name any encryption for a write? */
bool s3_sse_asked(const s3_sse_ask_t *ask);

/**
 * A new object's (or upload's) encryption: what ask says, else the bucket's default encryption,
 * else SSE-S3 under --encrypt-all. Sets o's sse fields (the wrapped data key in o->sse_key) and
 * the data key in dk. reuse: the data key to wrap instead of a new one (a copy that keeps
 * sharing SSE-S3 bytes). @return 1 (encrypted: dk set), 0 (plain), -1 (resp's error set).
 */
int s3_sse_new(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
               const s3_sse_ask_t *ask, const uint8_t *reuse, eng_object_t *o,
               uint8_t dk[S3_SSE_KEY_LEN]);
/**
 * The data key of a stored object or upload prototype o of bucket: unwrapped (SSE-S3), asked
 * of KMS (SSE-KMS), or derived from the customer key in ask after checking it (SSE-C: S3's
 * errors when missing or wrong). @return 1 (dk set), 0 (a plain object), -1 (resp's error).
 */
int s3_sse_open(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t bucket,
                const eng_object_t *o, const s3_sse_ask_t *ask, uint8_t dk[S3_SSE_KEY_LEN]);
/**
 * A read of o (GetObject, HeadObject, GetObjectAttributes; copy_source: a copy's source with
 * the x-amz-copy-source-… headers): checks the request's encryption headers and gives reader
 * (NULL for metadata only) the key. @return 0 or -1 (resp's error set).
 */
int s3_sse_read(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t bucket,
                const eng_object_t *o, eng_object_reader_t *reader, bool copy_source);
/** The same for a reader outside S3's requests (Lambda code from S3): plain and SSE-S3 objects
 * only. @return 0 or -1. */
int s3_sse_read_internal(api_ctx_t *ctx, kv_slice_t bucket, const eng_object_t *o,
                         eng_object_reader_t *reader);
/** A new object written outside S3's requests (an access log object) into bucket b: SSE-S3
 * when b has default encryption (S3 delivers logs only under SSE-S3) or under --encrypt-all.
 * Sets o's encryption fields (their bytes in arena a) and the data key in dk.
 * @return 1 (encrypted: dk set), 0 (plain), -1 (the key could not be sealed). */
int s3_sse_new_internal(api_ctx_t *ctx, kv_arena_t *a, const eng_bucket_t *b, eng_object_t *o,
                        uint8_t dk[S3_SSE_KEY_LEN]);
/** Issue 17, package E: a new object a DynamoDB export writes into bucket b: with kms_blob
 * (a KMS data key blob under the bucket's ARN as context, kms_arn its key, dk_in its plain
 * key) SSE-KMS with a bucket key; else with sse_s3 SSE-S3; else as s3_sse_new_internal.
 * @return 1 (encrypted: dk set), 0 (plain), -1. */
int s3_sse_new_export(api_ctx_t *ctx, kv_arena_t *a, const eng_bucket_t *b, eng_object_t *o,
                      bool sse_s3, kv_slice_t kms_blob, const char *kms_arn, const uint8_t *dk_in,
                      uint8_t dk[S3_SSE_KEY_LEN]);
/** The KMS encryption context of an object under a bucket key of bucket (its ARN). */
kv_slice_t s3_sse_bucket_context(kv_arena_t *a, kv_slice_t bucket);
/** PutObject and UploadPart, once the body is about to stream: the writer's key and the
 * encryption the response reports (st->s3_sse). @return 0 or -1 (resp's error set). */
int s3_sse_begin_body(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b);
/** POST Object, as its file begins: the same from the form's fields (ask), for object key.
 * @return 0 or -1 (resp's error set). */
int s3_sse_begin_post(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_sse_ask_t *ask,
                      kv_slice_t key);
/**
 * S3 gives an SSE-C or SSE-KMS object (or part) an ETag that is not the MD5 of its plaintext:
 * anyone who may list the bucket would otherwise learn that digest without the key (and it
 * would sit in the clear in the object's record). Stratus uses HMAC-SHA256 of the MD5 (hex)
 * under a key derived from the object's data key, cut to 16 bytes.
 */
bool s3_sse_etag_opaque(const eng_object_t *o);
/** The ETag key of a data key. */
void s3_sse_etag_key(const uint8_t dk[S3_SSE_KEY_LEN], uint8_t ek[S3_SSE_KEY_LEN]);
/** The opaque ETag (32 hex digits, in a) of the MD5 md5_hex under ek. */
const char *s3_sse_etag(kv_arena_t *a, const uint8_t ek[S3_SSE_KEY_LEN], const char *md5_hex);
/** Copy the encryption fields of src into dst. */
void s3_sse_fields(eng_object_t *dst, const eng_object_t *src);
/** The x-amz-server-side-encryption* response headers S3 returns for o (NULL: none). */
void s3_sse_headers(api_resp_t *resp, const eng_object_t *o);

/* ---- Put/Get/DeleteBucketEncryption ---- */

typedef enum { S3_SSE_ALG_NONE = 0, S3_SSE_ALG_AES256, S3_SSE_ALG_KMS } s3_sse_alg_t;

typedef struct s3_bucket_sse {
    s3_sse_alg_t alg;
    const char *kms_key; /* KMSMasterKeyID; NULL: the AWS managed key */
    bool bucket_key;     /* BucketKeyEnabled */
} s3_bucket_sse_t;

/** Parse a ServerSideEncryptionConfiguration document as S3 validates it. @return 0 or -1
 * (resp's error set). */
int s3_sse_config_parse(kv_arena_t *a, api_resp_t *resp, kv_slice_t xml, s3_bucket_sse_t *out);
/** The bucket's default encryption (stored form: ENG_BDOC_ENCRYPTION), false when none. */
bool s3_sse_bucket_default(const eng_bucket_t *b, kv_arena_t *a, s3_bucket_sse_t *out);

typedef struct s3_enc_in {
    kv_slice_t bucket;
    s3_bucket_sse_t cfg; /* Put */
} s3_enc_in_t;
typedef struct s3_enc_out {
    s3_bucket_sse_t cfg; /* Get */
} s3_enc_out_t;
typedef s3_enc_in_t s3_put_bucket_encryption_in_t;
typedef s3_enc_in_t s3_get_bucket_encryption_in_t;
typedef s3_enc_in_t s3_delete_bucket_encryption_in_t;
typedef s3_enc_out_t s3_put_bucket_encryption_out_t;
typedef s3_enc_out_t s3_get_bucket_encryption_out_t;
typedef s3_enc_out_t s3_delete_bucket_encryption_out_t;

#endif
