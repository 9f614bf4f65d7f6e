/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM (issue 15, package I): the query-protocol service (credential scope "iam"), its entities
 * stored under the catalog kind 'I' (iam_store.c), the operations on users, groups, roles,
 * access keys, inline and managed policies (iam_users.c, iam_roles.c, iam_policies.c), the
 * account-wide ones and the simulator (iam_account.c), and what the rest of the api layer asks
 * it (api_iam.h, iam_principal.c).
 */
#ifndef IAM_INT_H
#define IAM_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "../api_arn.h"
#include "../api_iam.h"
#include "../api_int.h"
#include "../codec/api_json_r.h"
#include "../codec/api_query.h"
#include "../codec/api_xw.h"

#define IAM_NS         "https://iam.amazonaws.com/doc/2010-05-08/"
#define IAM_ARN_PREFIX "arn:aws:iam::" API_ACCOUNT_ID ":"
#define IAM_AWS_POLICY "arn:aws:iam::aws:policy"
#define IAM_PAGE_MAX   1000 /* MaxItems */
#define IAM_PAGE_DEF   100
#define IAM_KEYS_MAX   2      /* access keys per user */
#define IAM_ATTACH_MAX 10     /* managed policies attached to one user, group or role */
#define IAM_GROUPS_MAX 10     /* groups a user is in */
#define IAM_VERSIONS   5      /* versions of a managed policy */
#define IAM_TAGS_MAX   50     /* tags of a user, role or policy */
#define IAM_PATH_MAX   512    /* a path's length */
#define IAM_SCAN_MAX   100000 /* records one operation looks at (a bound on every scan) */

/* XX(WireName, c_name): every operation; the wire name is its IAM action's name too. */
#define IAM_OP_MAP(XX)                                                    \
    XX(CreateUser, create_user)                                           \
    XX(GetUser, get_user)                                                 \
    XX(ListUsers, list_users)                                             \
    XX(UpdateUser, update_user)                                           \
    XX(DeleteUser, delete_user)                                           \
    XX(TagUser, tag_user)                                                 \
    XX(UntagUser, untag_user)                                             \
    XX(ListUserTags, list_user_tags)                                      \
    XX(CreateGroup, create_group)                                         \
    XX(GetGroup, get_group)                                               \
    XX(ListGroups, list_groups)                                           \
    XX(UpdateGroup, update_group)                                         \
    XX(DeleteGroup, delete_group)                                         \
    XX(AddUserToGroup, add_user_to_group)                                 \
    XX(RemoveUserFromGroup, remove_user_from_group)                       \
    XX(ListGroupsForUser, list_groups_for_user)                           \
    XX(CreateRole, create_role)                                           \
    XX(GetRole, get_role)                                                 \
    XX(ListRoles, list_roles)                                             \
    XX(UpdateRole, update_role)                                           \
    XX(UpdateRoleDescription, update_role_description)                    \
    XX(UpdateAssumeRolePolicy, update_assume_role_policy)                 \
    XX(DeleteRole, delete_role)                                           \
    XX(TagRole, tag_role)                                                 \
    XX(UntagRole, untag_role)                                             \
    XX(ListRoleTags, list_role_tags)                                      \
    XX(PutUserPermissionsBoundary, put_user_permissions_boundary)         \
    XX(DeleteUserPermissionsBoundary, delete_user_permissions_boundary)   \
    XX(PutRolePermissionsBoundary, put_role_permissions_boundary)         \
    XX(DeleteRolePermissionsBoundary, delete_role_permissions_boundary)   \
    XX(CreateAccessKey, create_access_key)                                \
    XX(ListAccessKeys, list_access_keys)                                  \
    XX(UpdateAccessKey, update_access_key)                                \
    XX(DeleteAccessKey, delete_access_key)                                \
    XX(GetAccessKeyLastUsed, get_access_key_last_used)                    \
    XX(PutUserPolicy, put_user_policy)                                    \
    XX(GetUserPolicy, get_user_policy)                                    \
    XX(DeleteUserPolicy, delete_user_policy)                              \
    XX(ListUserPolicies, list_user_policies)                              \
    XX(PutGroupPolicy, put_group_policy)                                  \
    XX(GetGroupPolicy, get_group_policy)                                  \
    XX(DeleteGroupPolicy, delete_group_policy)                            \
    XX(ListGroupPolicies, list_group_policies)                            \
    XX(PutRolePolicy, put_role_policy)                                    \
    XX(GetRolePolicy, get_role_policy)                                    \
    XX(DeleteRolePolicy, delete_role_policy)                              \
    XX(ListRolePolicies, list_role_policies)                              \
    XX(CreatePolicy, create_policy)                                       \
    XX(GetPolicy, get_policy)                                             \
    XX(DeletePolicy, delete_policy)                                       \
    XX(ListPolicies, list_policies)                                       \
    XX(CreatePolicyVersion, create_policy_version)                        \
    XX(GetPolicyVersion, get_policy_version)                              \
    XX(ListPolicyVersions, list_policy_versions)                          \
    XX(DeletePolicyVersion, delete_policy_version)                        \
    XX(SetDefaultPolicyVersion, set_default_policy_version)               \
    XX(AttachUserPolicy, attach_user_policy)                              \
    XX(DetachUserPolicy, detach_user_policy)                              \
    XX(ListAttachedUserPolicies, list_attached_user_policies)             \
    XX(AttachGroupPolicy, attach_group_policy)                            \
    XX(DetachGroupPolicy, detach_group_policy)                            \
    XX(ListAttachedGroupPolicies, list_attached_group_policies)           \
    XX(AttachRolePolicy, attach_role_policy)                              \
    XX(DetachRolePolicy, detach_role_policy)                              \
    XX(ListAttachedRolePolicies, list_attached_role_policies)             \
    XX(ListEntitiesForPolicy, list_entities_for_policy)                   \
    XX(TagPolicy, tag_policy)                                             \
    XX(UntagPolicy, untag_policy)                                         \
    XX(ListPolicyTags, list_policy_tags)                                  \
    XX(GetAccountAuthorizationDetails, get_account_authorization_details) \
    XX(GetAccountSummary, get_account_summary)                            \
    XX(SimulatePrincipalPolicy, simulate_principal_policy)                \
    XX(SimulateCustomPolicy, simulate_custom_policy)

typedef enum iam_op {
#define XX(Name, name) IAM_OP_##name,
    IAM_OP_MAP(XX)
#undef XX
        IAM_OP__COUNT
} iam_op_t;

extern const api_service_t iam_service;

/* Entity kinds: the byte that names them in keys, and in ARNs' resource types. */
#define IAM_USER   'U'
#define IAM_GROUP  'G'
#define IAM_ROLE   'R'
#define IAM_POLICY 'P'

/** One user, group, role or customer managed policy (strings in an arena). */
typedef struct iam_ent {
    char kind;
    kv_slice_t name, id, path;
    int64_t created_ms, updated_ms;
    kv_slice_t desc;       /* roles, policies */
    kv_slice_t trust;      /* roles: the AssumeRolePolicyDocument */
    kv_slice_t boundary;   /* users, roles: the boundary policy's ARN (empty: none) */
    int64_t max_session_s; /* roles */
    uint32_t default_ver;  /* policies: the default version ("v<n>") */
    uint32_t next_ver;     /* policies: the next version number */
    int64_t last_used_ms;  /* roles: RoleLastUsed */
    kv_slice_t last_region;
    api_kv_t *tags;
    size_t n_tags;
} iam_ent_t;

/** An access key's record. */
typedef struct iam_key {
    kv_slice_t id, user, secret; /* user: its user's name */
    bool active;
    int64_t created_ms;
} iam_key_t;

/** The service's state: the write lock (one IAM change at a time: checks and the write are
 * one step), the generation, and the access keys' last use, flushed lazily. */
typedef struct iam_state {
    pthread_mutex_t lock;
    atomic_uint_fast64_t gen;
    pthread_mutex_t used_lock;
    struct iam_used *used; /* pending last-used notes (a small open-addressed table) */
    size_t n_used, cap_used;
} iam_state_t;

/** One request being served: its input document and the response's XML writer. */
typedef struct iam_call {
    api_ctx_t *ctx;
    api_req_t *req;
    api_resp_t *resp;
    kv_arena_t *a;
    const api_json_t *in;
    api_xw_t w;
    iam_state_t *st;
} iam_call_t;

/* ---- helpers (iam_api.c) ---- */

/** A string member of the input (p NULL when absent or not a string). */
kv_slice_t iam_str(const iam_call_t *c, const char *key);
/** ValidationError with AWS's "1 validation error detected: ..." text. @return -1. */
int iam_validation(iam_call_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** A required name member (UserName, RoleName, ...) checked against IAM's pattern and length
 * (member: its wire name; field: the lower-camel name messages use). @return 0 or -1 answered. */
int iam_name(iam_call_t *c, const char *member, int max, bool required, kv_slice_t *out);
/** A path member (Path, PathPrefix, NewPath); "/" when absent. @return 0 or -1 answered. */
int iam_path(iam_call_t *c, const char *member, bool prefix, kv_slice_t *out);
/** Is name a valid IAM name of at most max characters ([\w+=,.@-]+)? */
bool iam_name_ok(kv_slice_t name, size_t max);
/** Is path a valid IAM path ("/" or "/.../", printable ASCII, at most 512)? */
bool iam_path_ok(kv_slice_t path);
/** A new id: prefix (AIDA, AROA, AGPA, ANPA, AKIA) and n upper-case letters and digits from
 * the OpenSSL random generator, into out (length 4 + n + 1). */
void iam_new_id(const char *prefix, size_t n, char *out);
/** A new 40-character secret access key into out[41]. */
void iam_new_secret(char out[41]);
/** An entity's ARN (arn:aws:iam::000000000000:<type>/<path><name>), in c->a. */
const char *iam_arn(kv_arena_t *a, char kind, kv_slice_t path, kv_slice_t name);
/** Authorize the operation on the entity (kind, path, name) ("*" when kind is 0).
 * @return 0 or -1 answered (AccessDenied). */
int iam_authz(iam_call_t *c, char kind, kv_slice_t path, kv_slice_t name);
/** MaxItems and Marker. @return 0 or -1 answered. */
int iam_page_args(iam_call_t *c, size_t *max, kv_slice_t *marker);
/** Write <IsTruncated> and, when truncated, <Marker> (the last key suffix). */
void iam_page_end(iam_call_t *c, bool truncated, kv_slice_t last);
/** ISO 8601 date element. */
void iam_xml_date(iam_call_t *c, const char *tag, int64_t ms);
/** <Tags><member><Key/><Value/></member>...</Tags> (nothing when there are none and !empty). */
void iam_xml_tags(iam_call_t *c, const char *tag, const api_kv_t *t, size_t n, bool empty);
/** Percent-encode text as IAM encodes policy documents in answers (RFC 3986). */
kv_slice_t iam_urlencode(kv_arena_t *a, kv_slice_t text);
/** Read the Tags member into *t / *n, validated (count, key 1..128, value 0..256).
 * @return 0 or -1 answered. */
int iam_tags_in(iam_call_t *c, api_kv_t **t, size_t *n);
/** ServiceFailure for a storage error rc. @return -1. */
int iam_fail_rc(iam_call_t *c, int rc);
/** Bump the generation (after every committed change). */
void iam_bump(iam_state_t *st);
/** The service's state. */
iam_state_t *iam_state(api_ctx_t *ctx);

/* ---- storage (iam_store.c) ---- */

/** Lower-case copy of name (IAM's names are unique without regard to case). */
kv_slice_t iam_lname(kv_arena_t *a, kv_slice_t name);
/** Keys (in arena a): the entity, its path index entry, ... (see iam_store.c). */
kv_slice_t iam_k_ent(kv_arena_t *a, char kind, kv_slice_t name);
kv_slice_t iam_k_path(kv_arena_t *a, char kind, kv_slice_t path, kv_slice_t name);
kv_slice_t iam_k_key(kv_arena_t *a, kv_slice_t key_id);
kv_slice_t iam_k_ukey(kv_arena_t *a, kv_slice_t user, kv_slice_t key_id);
kv_slice_t iam_k_inline(kv_arena_t *a, char kind, kv_slice_t name, kv_slice_t policy);
kv_slice_t iam_k_attach(kv_arena_t *a, char kind, kv_slice_t name, kv_slice_t arn);
kv_slice_t iam_k_attached(kv_arena_t *a, kv_slice_t arn, char kind, kv_slice_t name);
kv_slice_t iam_k_member(kv_arena_t *a, kv_slice_t user, kv_slice_t group);
kv_slice_t iam_k_members(kv_arena_t *a, kv_slice_t group, kv_slice_t user);
kv_slice_t iam_k_version(kv_arena_t *a, kv_slice_t policy, uint32_t v);
kv_slice_t iam_k_used(kv_arena_t *a, kv_slice_t key_id);
/** Prefix of a principal's records of sub-kind sub ('i', 'a'): sub kind lname 0. */
kv_slice_t iam_k_of(kv_arena_t *a, char sub, char kind, kv_slice_t name);

kv_slice_t iam_ent_encode(kv_arena_t *a, const iam_ent_t *e);
int iam_ent_decode(kv_slice_t v, kv_arena_t *a, iam_ent_t *e);
kv_slice_t iam_key_encode(kv_arena_t *a, const iam_key_t *k);
int iam_key_decode(kv_slice_t v, kv_arena_t *a, iam_key_t *k);
/** A policy version's record: its document and creation time. */
kv_slice_t iam_ver_encode(kv_arena_t *a, kv_slice_t doc, int64_t created_ms);
int iam_ver_decode(kv_slice_t v, kv_arena_t *a, kv_slice_t *doc, int64_t *created_ms);

/** Load an entity by name. @return 0, KV_ENOTFOUND, KV_ECORRUPT, KV_EIO. */
int iam_ent_get(api_ctx_t *ctx, kv_arena_t *a, char kind, kv_slice_t name, iam_ent_t *e);
/** Count the records under prefix (at most IAM_SCAN_MAX). */
int iam_count(api_ctx_t *ctx, kv_slice_t prefix, size_t *n);

/** One record of a scan: its key suffix (after the prefix) and value. */
typedef struct iam_rec {
    kv_slice_t key, val;
} iam_rec_t;
/** The records under prefix after `after` (a suffix), at most limit (0: IAM_SCAN_MAX) of
 * them, copied into a; *more (may be NULL) says whether others follow. @return 0 or an error. */
int iam_collect(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t prefix, kv_slice_t after, size_t limit,
                iam_rec_t **out, size_t *n, bool *more);
/** The empty value of index entries. */
#define IAM_EMPTY KV_SLICE_LIT("")

/** A change being built: puts and deletes committed together. */
typedef struct iam_tx {
    eng_iam_op_t ops[64];
    size_t n;
    kv_arena_t *a;
    bool full;
} iam_tx_t;
void iam_tx_put(iam_tx_t *t, kv_slice_t key, kv_slice_t val);
void iam_tx_del(iam_tx_t *t, kv_slice_t key);
/** Commit (and bump the generation). @return 0 or -1 answered (ServiceFailure). */
int iam_tx_commit(iam_call_t *c, iam_tx_t *t);

/** Answer NoSuchEntity for an entity of kind. @return -1. */
int iam_no_such(iam_call_t *c, char kind, kv_slice_t name);
/** Load the named entity of kind for an operation, authorizing it first (the ARN with its
 * path when it exists). @return 0, or -1 answered (AccessDenied, NoSuchEntity, ServiceFailure). */
int iam_load_authz(iam_call_t *c, char kind, kv_slice_t name, iam_ent_t *e);

/* ---- shared by the entity kinds (iam_users.c) ---- */

/** Create a user, group or role from the request (kind's name member and maximum length, its
 * id prefix). */
int iam__create_ent(iam_call_t *c, char kind, const char *member, int max, const char *idp);
/** List the entities of kind under PathPrefix, a page at a time, in <wrapper>. */
int iam__list_ents(iam_call_t *c, char kind, const char *wrapper);
/** Delete the named entity once nothing hangs off it (DeleteConflict otherwise). */
int iam__delete_ent(iam_call_t *c, char kind, const char *member, int max);
/** Tag (or untag) the entity named by member. */
int iam__tag_named(iam_call_t *c, char kind, const char *member, bool untag);
/** The PermissionsBoundary member: a managed policy ARN that exists. @return 0 or -1. */
int iam_boundary_arg(iam_call_t *c, kv_slice_t *out);

/* ---- managed policies (iam_policies.c) ---- */

/** An AWS managed policy by ARN: its document (NULL: not one). */
const char *iam_aws_policy(kv_slice_t arn, const char **name, const char **path);
/** The document of the managed policy at arn (its default version), in a.
 * @return 0, KV_ENOTFOUND, or a storage error. */
int iam_policy_doc(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t arn, kv_slice_t *doc);
/** Split a customer managed policy ARN into path and name. */
bool iam_policy_arn_parts(kv_slice_t arn, kv_slice_t *path, kv_slice_t *name);
/** Validate a policy document of kind (pol.h's kinds: 0 identity, 2 trust) and size max.
 * @return 0 or -1 answered (MalformedPolicyDocument, LimitExceeded). */
int iam_policy_check(iam_call_t *c, kv_slice_t doc, int kind, size_t max);
/** Characters of a document as IAM counts them against its limits (whitespace excluded). */
size_t iam_policy_chars(kv_slice_t doc);
/** Write an entity's XML (<User>, <Group>, <Role>, <Policy> members) into c->w. */
void iam_xml_ent(iam_call_t *c, const iam_ent_t *e, bool full);

/* operations */
#define XX(Name, name) int iam_##name(iam_call_t *c);
IAM_OP_MAP(XX)
#undef XX

/* ---- iam_principal.c ---- */
int iam_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state);
void iam_fini(void *state);
/** The "iam-keys" job: writes the access keys' last use. */
int iam_used_run(api_ctx_t *ctx, void *state, unsigned budget);
/** Build the principal of a user or role entity (compiled policies, tags) into out.
 * @return 0 or an error. */
int iam_principal_of(api_ctx_t *ctx, char kind, kv_slice_t name, kv_arena_t *a,
                     api_principal_t *out);

#endif
