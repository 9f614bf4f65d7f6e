/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 operations, each listed once: XX(WireName, c_name). The router picks a
 * row from the method, the bucket/key split and the sub-resource query.
 */
#ifndef S3_OPS_H
#define S3_OPS_H

#include "s3_ops16.h" /* issue 16: each package's operations */

#define S3_OP_MAP(XX)                                               \
    XX(ListBuckets, list_buckets)                                   \
    XX(CreateBucket, create_bucket)                                 \
    XX(HeadBucket, head_bucket)                                     \
    XX(DeleteBucket, delete_bucket)                                 \
    XX(GetBucketLocation, get_bucket_location)                      \
    XX(ListObjects, list_objects)                                   \
    XX(PutObject, put_object)                                       \
    XX(GetObject, get_object)                                       \
    XX(HeadObject, head_object)                                     \
    XX(DeleteObject, delete_object)                                 \
    XX(DeleteObjects, delete_objects)                               \
    XX(CopyObject, copy_object)                                     \
    XX(GetBucketAcl, get_bucket_acl)                                \
    XX(PutBucketAcl, put_bucket_acl)                                \
    XX(GetObjectAcl, get_object_acl)                                \
    XX(PutObjectAcl, put_object_acl)                                \
    XX(GetBucketVersioning, get_bucket_versioning)                  \
    XX(PutBucketVersioning, put_bucket_versioning)                  \
    XX(ListObjectVersions, list_object_versions)                    \
    XX(GetObjectLockConfiguration, get_object_lock_configuration)   \
    XX(GetObjectTagging, get_object_tagging)                        \
    XX(PutObjectTagging, put_object_tagging)                        \
    XX(DeleteObjectTagging, delete_object_tagging)                  \
    XX(GetBucketTagging, get_bucket_tagging)                        \
    XX(PutBucketTagging, put_bucket_tagging)                        \
    XX(DeleteBucketTagging, delete_bucket_tagging)                  \
    XX(GetObjectAttributes, get_object_attributes)                  \
    XX(CreateMultipartUpload, create_multipart_upload)              \
    XX(UploadPart, upload_part)                                     \
    XX(UploadPartCopy, upload_part_copy)                            \
    XX(CompleteMultipartUpload, complete_multipart_upload)          \
    XX(AbortMultipartUpload, abort_multipart_upload)                \
    XX(ListParts, list_parts)                                       \
    XX(ListMultipartUploads, list_multipart_uploads)                \
    XX(PutBucketPolicy, put_bucket_policy)                          \
    XX(GetBucketPolicy, get_bucket_policy)                          \
    XX(DeleteBucketPolicy, delete_bucket_policy)                    \
    XX(PutBucketCors, put_bucket_cors)                              \
    XX(GetBucketCors, get_bucket_cors)                              \
    XX(DeleteBucketCors, delete_bucket_cors)                        \
    XX(PutBucketLifecycleConfiguration, put_bucket_lifecycle)       \
    XX(GetBucketLifecycleConfiguration, get_bucket_lifecycle)       \
    XX(DeleteBucketLifecycle, delete_bucket_lifecycle)              \
    XX(PutBucketNotificationConfiguration, put_bucket_notification) \
    XX(GetBucketNotificationConfiguration, get_bucket_notification) \
    XX(Preflight, preflight)                                        \
    XX(PostObject, post_object)                                     \
    XX(NotImplemented, not_implemented)                             \
    /* issue 15, package S: policy status, Block Public Access */   \
    XX(GetBucketPolicyStatus, get_bucket_policy_status)             \
    XX(PutPublicAccessBlock, put_public_access_block)               \
    XX(GetPublicAccessBlock, get_public_access_block)               \
    XX(DeletePublicAccessBlock, delete_public_access_block)         \
    XX(PutAccountPublicAccessBlock, put_account_pab)                \
    XX(GetAccountPublicAccessBlock, get_account_pab)                \
    XX(DeleteAccountPublicAccessBlock, delete_account_pab)          \
    /* issue 15, package A: Object Ownership */                     \
    XX(PutBucketOwnershipControls, put_bucket_ownership)            \
    XX(GetBucketOwnershipControls, get_bucket_ownership)            \
    XX(DeleteBucketOwnershipControls, delete_bucket_ownership)      \
    S3_OPS_16(XX)

/** s3_op_t: an operation's index in the service's table (api_service_t.ops). */
typedef enum {
#define XX(Name, name) S3_OP_##name,
    S3_OP_MAP(XX)
#undef XX
        S3_OP__COUNT
} s3_op_t;

#endif
