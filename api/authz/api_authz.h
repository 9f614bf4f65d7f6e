/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authorization: the one step between authentication and execution (DESIGN.md sections 2 and
 * 6). Authentication leaves a principal on the request (api_principal); every operation of
 * every protocol then asks api_authorize whether that principal may perform its IAM action on
 * its resource, giving the request's condition keys and the resource's own policy (a bucket
 * policy, a function policy, a queue policy) when it has one. The decision follows AWS's policy
 * evaluation logic (pol.h): an explicit deny anywhere wins; otherwise an allow from an identity
 * policy or a resource policy, limited by the permissions boundary and the session policies.
 *
 * The configured key pair is the account's root: it is allowed everything without evaluating
 * a policy (its cost is one comparison), so nothing changes for a user who never creates a
 * principal. A refusal is answered with the protocol's own access-denied error (each service
 * descriptor's err_denied) and AWS's message, e.g. "User: arn:aws:iam::000000000000:user/ci is
 * not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:
 * 000000000000:table/orders because no identity-based policy allows the dynamodb:PutItem
 * action".
 */
#ifndef API_AUTHZ_H
#define API_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "base/kv_arena.h"
#include "base/kv_slice.h"

struct pol;     /* one compiled policy document (pol.h) */
struct pol_set; /* several, evaluated together (pol.h) */

/** Who signed the request. */
typedef enum api_pr_kind {
    API_PR_ANON = 0,     /* no signature at all (S3 only: public buckets and objects); a zeroed
                            principal is this one, the least privileged */
    API_PR_ROOT,         /* the configured key pair: the account root, allowed everything */
    API_PR_USER,         /* an IAM user's access key */
    API_PR_ROLE,         /* a role session: AssumeRole, or a function's execution role */
    API_PR_USER_SESSION, /* GetSessionToken of an IAM user (the user's own permissions) */
    API_PR_ROOT_SESSION, /* GetSessionToken of the root: still the root */
    API_PR_SERVICE,      /* an AWS service principal acting inside the server ("s3.amazonaws.com"
                            invoking a function for a bucket notification) */
} api_pr_kind_t;

/** A key and its values (a tag, a condition key's values). */
typedef struct api_kv {
    kv_slice_t key, value;
} api_kv_t;

/**
 * The principal of a request (in the request arena, or a cache's memory that outlives it).
 * The policies are compiled and cached by IAM; the request holds a reference through
 * api_principal's owner and never frees them.
 */
typedef struct api_principal {
    api_pr_kind_t kind;
    kv_slice_t arn;        /* aws:PrincipalArn for users and the root; the session's ARN
                              (arn:aws:sts::000000000000:assumed-role/R/S) for a role session */
    kv_slice_t role_arn;   /* a role session's role (arn:aws:iam::000000000000:role/R): its
                              aws:PrincipalArn */
    kv_slice_t id;         /* aws:userid: AIDA... (user), AROA...:session (role), the account id
                              (root) */
    kv_slice_t name;       /* aws:username (users only), a role session's name otherwise */
    kv_slice_t service;    /* API_PR_SERVICE: "s3.amazonaws.com" */
    kv_slice_t access_key; /* the access key id that signed (for the audit and last-used) */
    kv_slice_t source_identity; /* sts:SourceIdentity (AssumeRole's SourceIdentity) */
    const api_kv_t *tags;       /* aws:PrincipalTag/<k>: the user's or role's tags, a session's tags
                                   taking precedence */
    size_t n_tags;
    const struct pol_set *identity; /* identity policies: inline, attached, the groups' */
    const struct pol *boundary;     /* the permissions boundary, or NULL */
    const struct pol_set *session;  /* session policies (AssumeRole's Policy and PolicyArns), or
                                       NULL: no session policy limits the session */
    int64_t expires;                /* a session's expiry (Unix seconds), 0 for long-term keys */
} api_principal_t;

/** The request's principal (never NULL once authentication has run: the root, an IAM
 * principal, or API_PR_ANON). */
const api_principal_t *api_principal(const api_req_t *req);

/** A request condition key and its values (several: a multivalued key, for ForAnyValue: and
 * ForAllValues:). Names are as policies write them ("s3:prefix", "dynamodb:LeadingKeys",
 * "aws:RequestTag/env"), compared without regard to case as IAM does. */
typedef struct api_ckey {
    const char *name;
    const kv_slice_t *values;
    size_t n;
} api_ckey_t;

/** How a resource-based policy was found (api_authz_t.resource_policy). */
typedef struct api_res_policy {
    const struct pol *policy; /* compiled (pol_cached), or NULL: the resource has none */
    kv_slice_t owner_arn;     /* the account that owns the resource ("arn:aws:iam::000000000000:
                                 root"): every resource here is the one account's */
} api_res_policy_t;

/** What ACLs (S3) say about the request, computed by the service (api_authz_t.acl). */
typedef enum api_acl_verdict {
    API_ACL_NONE = 0, /* no ACL applies (disabled: BucketOwnerEnforced) or it grants nothing */
    API_ACL_ALLOW,    /* an ACL grant allows the action to this principal */
} api_acl_verdict_t;

/** One question: may the request's principal perform action on resource? */
typedef struct api_authz {
    const char *action;     /* "dynamodb:PutItem"; NULL: the operation's declared action */
    kv_slice_t resource;    /* its ARN; "*" for actions without a resource (ListTables) */
    const api_ckey_t *keys; /* request condition keys beyond the global ones */
    size_t n_keys;
    api_res_policy_t res; /* the resource's policy, if any */
    api_acl_verdict_t acl;
    uint32_t flags; /* API_AZ_* */
} api_authz_t;

enum {
    /* The resource policy of a public resource is ignored for principals outside the account
     * and anonymous ones (S3 RestrictPublicBuckets). */
    API_AZ_RESTRICT_PUBLIC = 1u << 0,
    /* Do not record a refusal on resp (the caller tries something else, or filters). */
    API_AZ_QUIET = 1u << 1,
};

/** The outcome of one evaluation. */
typedef enum api_decision {
    API_ALLOW = 0,
    API_DENY_IMPLICIT,          /* no identity-based policy allows the action */
    API_DENY_EXPLICIT_ID,       /* with an explicit deny in an identity-based policy */
    API_DENY_EXPLICIT_RES,      /* with an explicit deny in a resource-based policy */
    API_DENY_BOUNDARY,          /* because no permissions boundary allows the action */
    API_DENY_EXPLICIT_BOUNDARY, /* with an explicit deny in a permissions boundary */
    API_DENY_SESSION,           /* because no session policy allows the action */
    API_DENY_EXPLICIT_SESSION,  /* with an explicit deny in a session policy */
} api_decision_t;

/**
 * Authorize one action of the request (an operation may ask several: CopyObject asks
 * s3:GetObject on its source and s3:PutObject on its target; TransactWriteItems asks each
 * action on each table). The global condition keys (aws:SourceIp, aws:SecureTransport,
 * aws:CurrentTime, aws:EpochTime, aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
 * aws:PrincipalTag/KEY, aws:username, aws:userid, aws:SourceIdentity, aws:TokenIssueTime,
 * aws:MultiFactorAuthPresent, aws:ViaAWSService) come from the request and its principal.
 * Marks the request authorized (api__finish checks that every answered request of a
 * non-root principal was).
 * @return 0 when allowed; API_RESPOND with the protocol's access-denied error and AWS's
 *         message recorded on resp when refused (nothing recorded with API_AZ_QUIET).
 */
int api_authorize(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_authz_t *az);

/**
 * The same decision for a principal outside any request (a function's execution role reading
 * its event source, a service principal invoking a function, SimulatePrincipalPolicy).
 * source_ip may be empty. msg (may be NULL) receives AWS's refusal message in arena a.
 */
api_decision_t api_decide(api_ctx_t *ctx, const api_principal_t *p, const api_authz_t *az,
                          kv_slice_t source_ip, bool secure, kv_arena_t *a, const char **msg);

/** AWS's refusal message for a decision ("User: <arn> is not authorized to perform: <action>
 * on resource: <arn> because ..."), in arena a. */
const char *api_denied_msg(kv_arena_t *a, const api_principal_t *p, const char *action,
                           kv_slice_t resource, api_decision_t d);

/** The operation's declared IAM action ("<iam prefix>:<name>" unless its row names one). */
const char *api_op_action(const api_req_t *req);

/* ---- Added by issue 15, package P ---- */

struct pol_val; /* a condition key and its values (pol.h's pol_val_t) */
/** The global condition keys api_decide evaluates p's request with (aws:SourceIp: source_ip,
 * an address without a port; aws:SecureTransport, aws:CurrentTime, aws:EpochTime,
 * aws:RequestedRegion, aws:PrincipalArn/Account/Type/Tag/..., aws:username, aws:userid), in
 * arena a: for IAM's simulator and for tests. @return how many (*out in a). */
size_t api_authz_global_keys(api_ctx_t *ctx, const api_principal_t *p, kv_slice_t source_ip,
                             bool secure, kv_arena_t *a, const struct pol_val **out);

#endif
