/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the rest of the api layer asks IAM (api/iam): the principal behind an access key, a
 * role's trust policy and permissions, and the generation that changes whenever anything an
 * authorization depends on changes (a policy, an attachment, a group membership, a key's
 * status, a tag), so caches of compiled principals are dropped on the next request after a
 * change. Implemented in api/iam/iam_principal.c.
 */
#ifndef API_IAM_H
#define API_IAM_H

#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "auth/api_session.h"
#include "authz/api_authz.h"

/** The IAM state's generation (atomic; bumped by every IAM write). */
uint64_t api_iam_generation(api_ctx_t *ctx);

/**
 * The IAM user behind a long-term access key (AKIA...): its secret (to verify the signature)
 * and its principal, with its identity policies and boundary compiled (from a per-thread cache
 * checked against the generation: no storage read when nothing changed).
 * @return 0; KV_ENOTFOUND when no user has the key or the key is Inactive.
 */
int api_iam_key(api_ctx_t *ctx, kv_slice_t access_key, kv_arena_t *a,
                char secret[API_SESSION_SK_LEN + 1], api_principal_t *out);

/** Note that access_key was used now, for service in region (GetAccessKeyLastUsed); cheap,
 * written lazily. */
void api_iam_key_used(api_ctx_t *ctx, kv_slice_t access_key, const char *service);

/** A role, as STS and Lambda need it. Slices live in a. */
typedef struct api_iam_role {
    kv_slice_t name, arn, id; /* id: AROA... */
    kv_slice_t trust_policy;  /* the AssumeRolePolicyDocument text */
    int64_t max_session_s;    /* MaxSessionDuration (3600..43200) */
} api_iam_role_t;

/** Look a role up by ARN (arn:aws:iam::000000000000:role/path/name) or name.
 * @return 0 or KV_ENOTFOUND. */
int api_iam_role(api_ctx_t *ctx, kv_slice_t arn_or_name, kv_arena_t *a, api_iam_role_t *out);

/**
 * Fill a role session's or user's permissions into p (identity policies, boundary, tags), by
 * p->kind and the role ARN (API_PR_ROLE) or user name (API_PR_USER, API_PR_USER_SESSION);
 * session tags already in p win over the principal's own tags of the same key.
 * @return 0 or KV_ENOTFOUND (the role or user is gone: its sessions fail).
 */
int api_iam_load(api_ctx_t *ctx, api_principal_t *p, kv_arena_t *a);

/** The user behind a name (GetSessionToken, SimulatePrincipalPolicy). @return 0 or
 * KV_ENOTFOUND. */
int api_iam_user(api_ctx_t *ctx, kv_slice_t name, kv_arena_t *a, api_principal_t *out);

/* issue 15, package I: added */
/** Note that a role was assumed now (GetRole's RoleLastUsed); cheap, written lazily. */
void api_iam_role_used(api_ctx_t *ctx, kv_slice_t role_arn);

#endif
