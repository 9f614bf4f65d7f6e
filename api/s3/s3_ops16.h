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

/* package L: Object Lock (GetObjectLockConfiguration is in S3_OP_MAP) */
#define S3_OPS_16L(XX)                                            \
    XX(PutObjectLockConfiguration, put_object_lock_configuration) \
    XX(PutObjectRetention, put_object_retention)                  \
    XX(GetObjectRetention, get_object_retention)                  \
    XX(PutObjectLegalHold, put_object_legal_hold)                 \
    XX(GetObjectLegalHold, get_object_legal_hold)

/* package C: checksums and completion (no new operation so far) */
#define S3_OPS_16C(XX)

/* package G: access logging */
#define S3_OPS_16G(XX)                       \
    XX(PutBucketLogging, put_bucket_logging) \
    XX(GetBucketLogging, get_bucket_logging)

/* package W: static websites; WebsiteGetObject and WebsiteMethodNotAllowed are the website
 * endpoint's (anonymous GET/HEAD, and every other method refused) */
#define S3_OPS_16W(XX)                             \
    XX(PutBucketWebsite, put_bucket_website)       \
    XX(GetBucketWebsite, get_bucket_website)       \
    XX(DeleteBucketWebsite, delete_bucket_website) \
    XX(WebsiteGetObject, website_get)              \
    XX(WebsiteMethodNotAllowed, website_refused)

/* package R: the remaining configurations */
#define S3_OPS_16R(XX)                                                     \
    XX(PutBucketRequestPayment, put_bucket_request_payment)                \
    XX(GetBucketRequestPayment, get_bucket_request_payment)                \
    XX(PutBucketAccelerateConfiguration, put_bucket_accelerate)            \
    XX(GetBucketAccelerateConfiguration, get_bucket_accelerate)            \
    XX(PutBucketIntelligentTieringConfiguration, put_bucket_tiering)       \
    XX(GetBucketIntelligentTieringConfiguration, get_bucket_tiering)       \
    XX(DeleteBucketIntelligentTieringConfiguration, delete_bucket_tiering) \
    XX(ListBucketIntelligentTieringConfigurations, list_bucket_tiering)    \
    XX(PutBucketInventoryConfiguration, put_bucket_inventory)              \
    XX(GetBucketInventoryConfiguration, get_bucket_inventory)              \
    XX(DeleteBucketInventoryConfiguration, delete_bucket_inventory)        \
    XX(ListBucketInventoryConfigurations, list_bucket_inventory)           \
    XX(PutBucketAnalyticsConfiguration, put_bucket_analytics)              \
    XX(GetBucketAnalyticsConfiguration, get_bucket_analytics)              \
    XX(DeleteBucketAnalyticsConfiguration, delete_bucket_analytics)        \
    XX(ListBucketAnalyticsConfigurations, list_bucket_analytics)           \
    XX(PutBucketMetricsConfiguration, put_bucket_metrics)                  \
    XX(GetBucketMetricsConfiguration, get_bucket_metrics)                  \
    XX(DeleteBucketMetricsConfiguration, delete_bucket_metrics)            \
    XX(ListBucketMetricsConfigurations, list_bucket_metrics)

#define S3_OPS_16(XX) \
    S3_OPS_16E(XX) S3_OPS_16L(XX) S3_OPS_16C(XX) S3_OPS_16G(XX) S3_OPS_16W(XX) S3_OPS_16R(XX)

#endif
