/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 ACLs and Object Ownership (issue 15, package A; s3_acl.c, s3_acl_ops.c): a bucket's
 * ObjectOwnership, ACLs parsed from canned names, grant headers and AccessControlPolicy
 * bodies, their stored encoding, and what they grant (s3_acl_check of s3_access.h).
 *
 * The stored encoding of an ACL (the object record's `acl` slice, the bucket document
 * ENG_BDOC_ACL) is '1' (the format) followed by two bytes per grant, in the order given: the
 * permission (S3_ACLP_*) and the grantee (S3_ACLG_*). Every grantee is one of a few kinds
 * because the server has one account: the owner (the account's canonical id, whatever
 * credentials are configured), AllUsers, AuthenticatedUsers, LogDelivery, or EC2 (aws-exec-
 * read). An empty slice is the default ACL: the owner's FULL_CONTROL alone.
 */
#ifndef S3_ACL_H
#define S3_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "api_err.h"
#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"
#include "eng.h"

#define S3_ACL_GRANTS_MAX 100 /* S3's limit on the grants of one ACL */

/** Permissions (stored as these letters). */
enum {
    S3_ACLP_READ = 'R',
    S3_ACLP_WRITE = 'W',
    S3_ACLP_READ_ACP = 'r',
    S3_ACLP_WRITE_ACP = 'w',
    S3_ACLP_FULL = 'F',
};

/** Grantees (stored as these letters). */
enum {
    S3_ACLG_OWNER = 'O', /* the account (its canonical id) */
    S3_ACLG_ALL = 'A',   /* http://acs.amazonaws.com/groups/global/AllUsers */
    S3_ACLG_AUTH = 'U',  /* http://acs.amazonaws.com/groups/global/AuthenticatedUsers */
    S3_ACLG_LOG = 'L',   /* http://acs.amazonaws.com/groups/s3/LogDelivery */
    S3_ACLG_EC2 = 'E',   /* EC2's canonical user (aws-exec-read) */
};

typedef struct s3_grant {
    char perm, grantee;
} s3_grant_t;

/** An ACL: its grants (the owner is always the account). */
typedef struct s3_acl {
    s3_grant_t g[S3_ACL_GRANTS_MAX];
    size_t n;
} s3_acl_t;

/** A bucket's Object Ownership. */
typedef enum s3_ownership {
    S3_OWN_ENFORCED = 0, /* BucketOwnerEnforced: ACLs disabled (the default) */
    S3_OWN_PREFERRED,    /* BucketOwnerPreferred */
    S3_OWN_WRITER,       /* ObjectWriter (also what a bucket without controls behaves as) */
} s3_ownership_t;

/** The stored ownership document that says "no controls" (DeleteBucketOwnershipControls). */
#define S3_OWNERSHIP_NONE "<OwnershipControls/>"

/** b's Object Ownership; *set (may be NULL) false when its controls were deleted (it then
 * behaves as ObjectWriter). A bucket without a stored document is BucketOwnerEnforced. */
s3_ownership_t s3_ownership(const eng_bucket_t *b, bool *set);
/** The wire name of o ("BucketOwnerEnforced", ...). */
const char *s3_ownership_name(s3_ownership_t o);
/** The stored document of o: the OwnershipControls body GetBucketOwnershipControls answers. */
const char *s3_ownership_doc(s3_ownership_t o);
/** Parse a wire name. @return false when it is none of the three. */
bool s3_ownership_parse(kv_slice_t v, s3_ownership_t *out);
/** Parse an OwnershipControls body (one Rule with one ObjectOwnership). -1 when malformed. */
int s3_ownership_xml(kv_arena_t *a, kv_slice_t xml, s3_ownership_t *out);

/** Decode a stored ACL (empty: the owner's FULL_CONTROL). -1 when it is not this format. */
int s3_acl_decode(kv_slice_t enc, s3_acl_t *out);
/** Append acl's encoding to out (nothing for the default ACL). */
void s3_acl_encode(const s3_acl_t *acl, kv_buf_t *out);
/** Does acl grant anything to AllUsers or AuthenticatedUsers (Block Public Access)? */
bool s3_acl_is_public(const s3_acl_t *acl);
/** Is acl the owner's FULL_CONTROL alone (all ACLs disabled accept)? */
bool s3_acl_owner_only(const s3_acl_t *acl);

/** A canned ACL by name into *out. @return false for an unknown name. */
bool s3_acl_canned(kv_slice_t name, s3_acl_t *out);
/**
 * Add the grants of one x-amz-grant-* header value (perm: S3_ACLP_*) to acl: a comma-separated
 * list of id="...", uri="..." or emailAddress="..." grantees. owner is the account's canonical
 * id. @return API_E_NONE, or the error (*msg: its message, NULL for the default).
 */
api_err_t s3_acl_grant_header(kv_slice_t value, char perm, const char *owner, s3_acl_t *acl,
                              const char **msg);
/** Parse an AccessControlPolicy body into acl (allocations in a). @return as above. */
api_err_t s3_acl_xml(kv_arena_t *a, kv_slice_t xml, const char *owner, s3_acl_t *acl,
                     const char **msg);

/**
 * The ACL a request's headers give (x-amz-acl or x-amz-grant-*): *has false when it names
 * none. With both a canned ACL and grants: InvalidRequest. -1 with the error set on resp.
 */
int s3_acl_from_request(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_acl_t *acl, bool *has);
/**
 * The ACL of a new object in bucket b from the request's headers, checked against b's
 * ownership (ACLs disabled: only the owner's full control, else AccessControlListNotSupported)
 * and BlockPublicAcls (AccessDenied); its encoding in *out (empty: the default). -1 with the
 * error set on resp.
 */
int s3_acl_for_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
                      kv_slice_t *out);
/** POST Object's acl form field (a canned ACL), checked and encoded as s3_acl_for_object. */
int s3_acl_for_post(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
                    kv_slice_t canned, kv_slice_t *out);
/**
 * CreateBucket's x-amz-object-ownership and ACL headers: the ownership document and ACL to
 * store on the new bucket b (b->docs), or -1 with S3's error set (InvalidArgument,
 * InvalidBucketAclWithObjectOwnership, InvalidBucketAclWithBlockPublicAccessError).
 */
int s3_acl_create_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, eng_bucket_t *b);

/** The GetBucketAcl / GetObjectAcl body of acl (NULL: the owner's FULL_CONTROL alone). */
void s3_acl_render(api_ctx_t *ctx, api_resp_t *resp, const s3_acl_t *acl);

/* ---- Get/PutBucketAcl, Get/PutObjectAcl (s3_acl_ops.c) ---- */
typedef struct s3_acl_in {
    kv_slice_t bucket, key;
    eng_vref_t ver; /* PutObjectAcl: versionId (CURRENT when absent) */
    bool has;       /* Put: an ACL was given (headers or body) */
    s3_acl_t *acl;  /* Put: the ACL given */
} s3_acl_in_t;
typedef struct s3_acl_out {
    const s3_acl_t *acl; /* Get: the ACL (NULL: the owner's FULL_CONTROL alone) */
} s3_acl_out_t;
typedef s3_acl_in_t s3_get_bucket_acl_in_t;
typedef s3_acl_in_t s3_put_bucket_acl_in_t;
typedef s3_acl_in_t s3_get_object_acl_in_t;
typedef s3_acl_in_t s3_put_object_acl_in_t;
typedef s3_acl_out_t s3_get_bucket_acl_out_t;
typedef s3_acl_out_t s3_put_bucket_acl_out_t;
typedef s3_acl_out_t s3_get_object_acl_out_t;
typedef s3_acl_out_t s3_put_object_acl_out_t;

/* ---- Put/Get/DeleteBucketOwnershipControls (s3_acl_ops.c) ---- */
typedef struct s3_own_in {
    kv_slice_t bucket;
    s3_ownership_t own; /* Put */
} s3_own_in_t;
typedef struct s3_own_out {
    s3_ownership_t own; /* Get */
} s3_own_out_t;
typedef s3_own_in_t s3_put_bucket_ownership_in_t;
typedef s3_own_in_t s3_get_bucket_ownership_in_t;
typedef s3_own_in_t s3_delete_bucket_ownership_in_t;
typedef s3_own_out_t s3_put_bucket_ownership_out_t;
typedef s3_own_out_t s3_get_bucket_ownership_out_t;
typedef s3_own_out_t s3_delete_bucket_ownership_out_t;

#endif
