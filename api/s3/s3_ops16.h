/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16's S3 operations, one macro per package, each listed once: XX(WireName, c_name).
 * They join S3_OP_MAP (s3_ops.h). Each package's routes are in s3_decode.c's s3_routes16, its
 * authorization in s3_authz.c, its typed inputs and outputs in its own header.
 */
#ifndef S3_OPS16_H
#define S3_OPS16_H

/* package E: encryption (Put/Get/DeleteBucketEncryption) */
#define S3_OPS_16E(XX)                             \
    XX(PutBucketEncryption, put_bucket_encryption) \
    XX(GetBucketEncryption, get_bucket_encryption) \
    XX(DeleteBucketEncryption, delete_bucket_encryption)

/* package L: Object Lock */
#define S3_OPS_16L(XX)

/* package C: checksums and completion (no new operation so far) */
#define S3_OPS_16C(XX)

/* package G: access logging */
#define S3_OPS_16G(XX)

/* package W: static websites */
#define S3_OPS_16W(XX)

/* package R: the remaining configurations */
#define S3_OPS_16R(XX)

#define S3_OPS_16(XX) \
    S3_OPS_16E(XX) S3_OPS_16L(XX) S3_OPS_16C(XX) S3_OPS_16G(XX) S3_OPS_16W(XX) S3_OPS_16R(XX)

#endif
