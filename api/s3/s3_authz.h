/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 authorization (issue 15, package S; s3_authz.c): each operation's IAM action, resource and
 * condition keys, the bucket policy, Block Public Access (s3_pab.c) and the ACL verdict, asked
 * of api_authorize through one helper.
 */
#ifndef S3_AUTHZ_H
#define S3_AUTHZ_H

#include "authz/api_authz.h"
#include "authz/pol.h"
#include "s3_access.h"
#include "s3_int.h"

#define S3_AZ_KEYS_MAX 48 /* condition keys of one check (10 tags twice, headers, listing) */

/** Request condition keys of one check, beyond those every S3 request has. */
typedef struct s3_azq {
    api_ckey_t keys[S3_AZ_KEYS_MAX];
    size_t n;
} s3_azq_t;

enum {
    S3_AZ_EXISTING = 1u << 0, /* the object exists: its tags are s3:ExistingObjectTag/<k> */
    S3_AZ_QUIET = 1u << 1,    /* refused: nothing recorded on resp */
};

/** arn:aws:s3:::bucket[/key] in arena a ("*" without a bucket). */
kv_slice_t s3_arn(kv_arena_t *a, kv_slice_t bucket, kv_slice_t key);
/** The compiled bucket policy of b (pol_cached), or NULL when it has none. */
const pol_t *s3_bucket_policy(api_req_t *req, const eng_bucket_t *b);

/**
 * May the request's principal perform action on bucket (and key; ver: which version the
 * object's tags are read from)? The root passes at once; anyone else is evaluated against the
 * identity policies, the bucket's policy (RestrictPublicBuckets applied) and the ACL verdict.
 * @return 0 when allowed; API_RESPOND with S3's AccessDenied recorded (unless S3_AZ_QUIET).
 */
int s3_authz_check(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *action,
                   kv_slice_t bucket, kv_slice_t key, const eng_vref_t *ver, const s3_azq_t *extra,
                   unsigned flags);
/** Authorize the routed operation (in: its decoded input, or NULL before decoding: the
 * streaming operations). Unmapped operations are refused. @return 0 or API_RESPOND. */
int s3_authz_op(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const void *in);
/** DeleteObjects: may this key be deleted? (Quiet: the caller reports AccessDenied for the
 * key.) @return 0 or API_RESPOND. */
int s3_authz_delete_key(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t key,
                        bool versioned);
/** After an operation answered NoSuchKey or NoSuchVersion: a caller without s3:ListBucket on
 * the bucket gets AccessDenied instead, as S3 answers. */
void s3_authz_not_found(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);

/** S3's own checks of a bucket policy for bucket (its resources name the bucket, its actions
 * are S3's and apply to them), then the policy language's (pol_parse, POL_RESOURCE): -1 with
 * MalformedPolicy and AWS's message set. */
int s3_policy_validate(api_req_t *req, api_resp_t *resp, kv_slice_t bucket, kv_slice_t doc);
/** BlockPublicPolicy: a public policy for bucket b is refused (AccessDenied, -1). */
int s3_policy_block_check(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
                          kv_slice_t doc);

/* ---- Block Public Access and the policy status (s3_pab.c) ---- */
/** The all-on configuration S3 gives a new bucket (XML, as stored in ENG_BDOC_PAB). */
extern const char s3_pab_default_xml[];
/** Parse a PublicAccessBlockConfiguration document. @return 0, or -1 when malformed. */
int s3_pab_parse(kv_arena_t *a, kv_slice_t xml, s3_pab_t *out);
/** Is a compiled bucket policy public (pol_is_public; false for NULL)? */
bool s3_policy_is_public(const pol_t *p);
/** Is the bucket policy text public? */
bool s3_policy_public(api_req_t *req, kv_slice_t text);

#endif
