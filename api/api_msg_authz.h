/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authorization helpers shared by SQS, SNS and EventBridge (issue 15, package L2): request
 * condition keys built in the request arena (aws:RequestTag/K, aws:TagKeys,
 * aws:ResourceTag/K, events:source, ...) and a resource policy's compiled form.
 */
#ifndef API_MSG_AUTHZ_H
#define API_MSG_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "authz/api_authz.h"

/** Most distinct keys one request names (tags are at most 50 a request, plus a few). */
#define MSG_KEYS_MAX 128

/** A growing list of request condition keys, in an arena. */
typedef struct msg_keys {
    kv_arena_t *a;
    api_ckey_t k[MSG_KEYS_MAX];
    size_t n;
} msg_keys_t;

/** Add value to the key name (a second value of the same name makes it multivalued); keys
 * past MSG_KEYS_MAX are dropped (the callers' inputs are bounded below it). name is copied. */
void msg_keys_add(msg_keys_t *ks, const char *name, kv_slice_t value);
/** aws:RequestTag/<k> = v for one tag, and k into aws:TagKeys. */
void msg_keys_request_tag(msg_keys_t *ks, kv_slice_t k, kv_slice_t v);
/** aws:ResourceTag/<k> = v. */
void msg_keys_resource_tag(msg_keys_t *ks, kv_slice_t k, kv_slice_t v);

/** The compiled resource policy of text (pol_cached, POL_RESOURCE) for api_authz_t.res, with
 * the account as its owner; a policy that is empty or no longer parses gives none. */
api_res_policy_t msg_res_policy(kv_slice_t text, kv_arena_t *a);

/** Whether the request is the account root's (allowed everything: nothing is looked up). */
static inline bool msg_root(const api_req_t *req)
{
    api_pr_kind_t k = api_principal(req)->kind;
    return k == API_PR_ROOT || k == API_PR_ROOT_SESSION;
}

/** Mark a root request authorized (api_authorize's one comparison). */
int msg_authorize_root(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);

/** Authorize action on resource with the resource's policy text (may be empty) and keys (may
 * be NULL). @return 0 allowed, -1 refused (resp has the service's access-denied error). */
int msg_authorize(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *action,
                  kv_slice_t resource, kv_slice_t policy, const msg_keys_t *ks);

#endif
