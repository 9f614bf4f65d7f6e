/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 16, package C: multipart checksums, idempotent completion (typed inputs and outputs,
 * internal interface). */
#ifndef S3_CKSUM_H
#define S3_CKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../auth/api_cksum.h"
#include "base/kv_arena.h"

struct api_req;
struct api_resp;
struct api_xw;
struct eng_object;
struct eng_object_reader;

/* ---- the arithmetic (exposed for the unit tests) ---- */

/**
 * The CRC of A || B from crc(A), crc(B) and len(B), for CRC32, CRC32C and CRC64NVME (all
 * reflected, initial value and final xor all ones): crc(A) carried through len(B) zero bytes
 * by multiplication by x^(8 len(B)) modulo the polynomial (O(log len) products), then xored
 * with crc(B). Any other algorithm: 0.
 */
uint64_t s3_crc_combine(api_ck_algo_t algo, uint64_t crc_a, uint64_t crc_b, uint64_t len_b);
/** The digest length of algo's checksums (4, 8, 20 or 32; 0 for none). */
size_t s3_ck_len(api_ck_algo_t algo);
/** The algorithm named ("CRC32", "crc32c", ... any case), or API_CK_NONE. */
api_ck_algo_t s3_ck_named(kv_slice_t name);
/** Decode a base64 checksum of algo into out; false unless it is exactly s3_ck_len long. */
bool s3_ck_decode(api_ck_algo_t algo, const char *b64, uint8_t out[API_CK_MAX]);
/** A CRC's digest as an integer (big-endian digest bytes). */
uint64_t s3_ck_crc_value(api_ck_algo_t algo, const uint8_t *digest);
/**
 * The checksum of a multipart object from its parts' base64 checksums (n >= 1): COMPOSITE,
 * base64(algo(raw checksum 1 || ... || raw checksum n)) + "-n"; FULL_OBJECT (CRCs only), the
 * CRC of the whole content from the parts' CRCs and sizes. NULL when a part's checksum is
 * missing or malformed, or FULL_OBJECT is asked of a hash. In arena a.
 */
const char *s3_ck_composite(api_ck_algo_t algo, const char *const *parts, size_t n, kv_arena_t *a);
const char *s3_ck_full_object(api_ck_algo_t algo, const char *const *parts, const uint64_t *sizes,
                              size_t n, kv_arena_t *a);
/** The hash of a completion's part list (numbers and ETags) that a repeat must match. */
uint64_t s3_parts_hash(const uint32_t *numbers, const char *const *etags, size_t n);

/** Which checksum types an algorithm allows: S3_CKT_* bits. */
enum { S3_CKT_COMPOSITE = 1, S3_CKT_FULL_OBJECT = 2 };
unsigned s3_ck_types(api_ck_algo_t algo);

/* ---- the operations' hooks (s3_multipart.c, s3_objects.c, s3_subres.c) ---- */

/** CreateMultipartUpload: x-amz-checksum-algorithm and x-amz-checksum-type into the upload's
 * prototype (checksum_algo, checksum_type), validated; -1 with the error set. */
int s3_ck_create(struct api_req *req, struct api_resp *resp, struct eng_object *proto);
/** UploadPart, before its body is read: a part checksum of another algorithm than the
 * upload's, or none for a COMPOSITE upload, is refused; a FULL_OBJECT upload's part sent
 * without one has it computed as the body streams. -1 with the error set. */
int s3_ck_part_begin(struct api_req *req, struct api_resp *resp, const struct eng_object *proto);
/** UploadPart, after its body: the part's checksum (base64) as the client sent it or as it
 * was computed; NULL when the upload has no algorithm. */
const char *s3_ck_part_value(struct api_req *req, const struct eng_object *proto,
                             const struct eng_object *part);
struct api_ctx;
struct api_xnode;
struct s3_mpu_in;
/** CompleteMultipartUpload's body: the ChecksumCRC32, ... element of part i (at most one). */
int s3_ck_complete_part(struct api_req *req, struct api_resp *resp, const struct api_xnode *part,
                        struct s3_mpu_in *in, size_t i);
/**
 * CompleteMultipartUpload, before the engine completes: each named part's checksum in the
 * body checked against the stored one (InvalidPart), required for a COMPOSITE upload; the
 * object's checksum (o->checksum_algo, _value, _type) derived from the stored ones and checked
 * against an x-amz-checksum-<algo> header (BadDigest); the completion's identity
 * (o->upload_id, o->parts_hash). -1 with the error set.
 */
int s3_ck_complete(struct api_ctx *ctx, struct api_req *req, struct api_resp *resp,
                   const struct eng_object *proto, const struct s3_mpu_in *in,
                   struct eng_object *o);
/**
 * A repeated CompleteMultipartUpload whose upload is gone: the version that completion made,
 * when it is still the key's current version (or, versioning on, still one of its versions)
 * and the part list is the same. @return 1 with *out, 0 (none: NoSuchUpload), -1 (error set).
 */
int s3_ck_completed(struct api_ctx *ctx, struct api_req *req, struct api_resp *resp,
                    uint32_t bucket_id, bool versioned, const struct s3_mpu_in *in,
                    struct eng_object **out);

/** An object's or upload's checksum type: its own, else S3's default for what it is (a
 * multipart upload or object: COMPOSITE; one PUT: FULL_OBJECT). */
const char *s3_ck_type(const struct eng_object *o);
/** The base64 checksum of algo over len bytes of reader r from offset 0 (a copy's new
 * checksum); NULL on a read error. */
const char *s3_ck_of_reader(struct api_req *req, struct eng_object_reader *r, uint64_t len,
                            api_ck_algo_t algo);

/** CopyObject's x-amz-checksum-algorithm: the algorithm of a checksum to compute while
 * copying (API_CK_NONE: keep the source's). -1 with the error set. */
int s3_ck_copy_algo(struct api_req *req, struct api_resp *resp, const struct eng_object *src,
                    api_ck_algo_t *algo);
/** Two elements appended to the request's S3 error document (values escaped here). */
void s3_ck_part_extra(struct api_req *req, const char *n1, kv_slice_t v1, const char *n2,
                      kv_slice_t v2);

struct s3_get_object_attributes_in;
/** GetObjectAttributes: x-amz-max-parts and x-amz-part-number-marker. -1 with the error set. */
int s3_ck_attr_decode(struct api_req *req, struct api_resp *resp,
                      struct s3_get_object_attributes_in *in);
/** Its Checksum element (with ChecksumType) and ObjectParts (a multipart object's parts after
 * the marker, at most max_parts, listed when the object has checksums). */
void s3_ck_attr_checksum(struct api_xw *w, const struct eng_object *o);
void s3_ck_attr_parts(struct api_xw *w, const struct s3_get_object_attributes_in *in,
                      const struct eng_object *o);

/** A conditional CompleteMultipartUpload that failed its condition: was that because the key
 * was deleted while the upload was in progress (its current version a delete marker newer
 * than the upload's initiation)? S3 answers that with 409 ConditionalRequestConflict. */
bool s3_ck_cond_conflict(struct api_ctx *ctx, struct api_req *req, uint32_t bucket_id,
                         kv_slice_t key, int64_t initiated_ms);

/** x-amz-checksum-<algo> and (with type) x-amz-checksum-type response headers. */
void s3_ck_headers(struct api_resp *resp, const char *algo, const char *value, const char *type);
/** A <Checksum<ALGO>> element (nothing without a value). */
void s3_ck_xml(struct api_xw *w, const char *algo, const char *value);

#endif
