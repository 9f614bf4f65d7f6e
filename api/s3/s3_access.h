/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 access control shared by the authorization of S3 operations (s3_authz.c, package S) and
 * ACLs with object ownership (s3_acl.c, package A): Block Public Access in effect for a bucket,
 * and what a bucket's or object's ACL grants (issue 15).
 */
#ifndef S3_ACCESS_H
#define S3_ACCESS_H

#include <stdbool.h>

#include "api.h"
#include "authz/api_authz.h"
#include "eng.h"

/** Block Public Access settings. */
typedef struct s3_pab {
    bool block_public_acls, ignore_public_acls, block_public_policy, restrict_public_buckets;
} s3_pab_t;

/** The settings in effect for bucket b (NULL: the account's alone): the bucket's own OR'd with
 * the account's (S3 Control's PutPublicAccessBlock). Implemented by S (s3_authz.c). */
void s3_pab_effective(api_ctx_t *ctx, const eng_bucket_t *b, s3_pab_t *out);

/**
 * What the ACLs say about principal p performing action ("s3:GetObject", "s3:ListBucket",
 * "s3:PutObject", "s3:GetObjectAcl", ...) on bucket b, or on object o of b when o is not NULL:
 * API_ACL_ALLOW when a grant gives the permission the action needs to the principal: to AllUsers
 * (anyone, anonymous included), to AuthenticatedUsers (a signed request), or — for the root only
 * — to the account's canonical id (S3 delegates a grant to the owner's account to the account's
 * IAM policies, so it allows no IAM user or role by itself); API_ACL_NONE
 * when ACLs are disabled (BucketOwnerEnforced) or grant nothing. With ignore_public, grants to
 * AllUsers and AuthenticatedUsers count for nothing (IgnorePublicAcls). Implemented by A
 * (s3_acl.c).
 */
api_acl_verdict_t s3_acl_check(api_ctx_t *ctx, const eng_bucket_t *b, const eng_object_t *o,
                               const api_principal_t *p, const char *action, bool ignore_public);

/** Would s3_acl_check of action on bucket b look at the object's ACL (ACLs enabled and an
 * object-level permission)? When not, authorization need not read the object. (s3_acl.c) */
bool s3_acl_wants_object(const eng_bucket_t *b, const char *action);

#endif
