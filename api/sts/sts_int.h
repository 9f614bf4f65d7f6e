/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STS (issue 15, package T): the query protocol's operations (AssumeRole, GetCallerIdentity,
 * GetSessionToken, GetAccessKeyInfo), minting version 2 session tokens (auth/api_session.h),
 * and turning a verified token back into the request's principal (sts_principal.c).
 */
#ifndef STS_INT_H
#define STS_INT_H

#include "../api_iam.h"
#include "../api_int.h"
#include "../authz/pol.h"
#include "../codec/api_json_r.h"
#include "../codec/api_query.h"
#include "../codec/api_xw.h"

#define STS_NS          "https://sts.amazonaws.com/doc/2011-06-15/"
#define STS_VERSION     "2011-06-15"
#define STS_MIN_S       900    /* every session lasts at least this */
#define STS_CHAIN_MAX_S 3600   /* a role session assuming a role */
#define STS_USER_MAX_S  129600 /* GetSessionToken of a user */
#define STS_ROOT_MAX_S  3600   /* GetSessionToken of the root */
#define STS_POLICY_MAX  2048   /* a session policy's plaintext */
#define STS_ARN_MIN     20     /* RoleArn, PolicyArns' arn */
#define STS_ARN_MAX     2048
#define STS_TAG_KEY_MAX 128
#define STS_TAG_VAL_MAX 256

/* XX(WireName, c_name) */
#define STS_OP_MAP(XX)                         \
    XX(AssumeRole, assume_role)                \
    XX(GetCallerIdentity, get_caller_identity) \
    XX(GetSessionToken, get_session_token)     \
    XX(GetAccessKeyInfo, get_access_key_info)

typedef enum sts_op {
#define XX(Name, name) STS_OP_##name,
    STS_OP_MAP(XX)
#undef XX
        STS_OP__COUNT
} sts_op_t;

extern const api_service_t sts_service;

/** One request being served: its input document and the response's XML writer. */
typedef struct sts_call {
    api_ctx_t *ctx;
    api_req_t *req;
    api_resp_t *resp;
    kv_arena_t *a;
    const api_json_t *in;
    api_xw_t w;
} sts_call_t;

#define XX(Name, name) int sts_##name(sts_call_t *c);
STS_OP_MAP(XX)
#undef XX

/** The text of the default version of the managed policy arn (a customer managed policy of
 * this account or an AWS managed one), in a. @return 0 or KV_ENOTFOUND. */
int sts_managed_policy(api_ctx_t *ctx, kv_slice_t arn, kv_arena_t *a, kv_slice_t *text);

/** The ARN of a role session: arn:aws:sts::000000000000:assumed-role/<role name>/<session>, in
 * a (the role's path is left out, as AWS does). */
kv_slice_t sts_session_arn(kv_arena_t *a, kv_slice_t role_arn, kv_slice_t session);

/** Finish a query-protocol answer (STS's, IAM's): an error becomes the error document in
 * namespace xmlns, the authentication layer's errors mapped to the query protocols' codes
 * (InvalidClientTokenId, ExpiredToken, SignatureDoesNotMatch, MissingAuthenticationToken, ...);
 * every answer gets its x-amzn-RequestId. */
void sts_query_finish(api_req_t *req, api_resp_t *resp, const char *xmlns);

#endif
