/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authorization helpers shared by SQS, SNS and EventBridge (api_msg_authz.h): condition keys
 * and resource policies for api_authorize.
 */
#include "api_msg_authz.h"

#include <string.h>

#include "api_arn.h"
#include "api_int.h"
#include "authz/pol.h"

void msg_keys_add(msg_keys_t *ks, const char *name, kv_slice_t value)
{
    for (size_t i = 0; i < ks->n; i++) {
        api_ckey_t *c = &ks->k[i];
        if (strcmp(c->name, name) != 0)
            continue;
        kv_slice_t *v = kv_arena_alloc(ks->a, (c->n + 1) * sizeof(*v));
        memcpy(v, c->values, c->n * sizeof(*v));
        v[c->n] = value;
        c->values = v;
        c->n++;
        return;
    }
    if (ks->n >= MSG_KEYS_MAX)
        return;
    kv_slice_t *v = kv_arena_alloc(ks->a, sizeof(*v));
    *v = value;
    ks->k[ks->n++] = (api_ckey_t){kv_arena_strndup(ks->a, name, strlen(name)), v, 1};
}

void msg_keys_request_tag(msg_keys_t *ks, kv_slice_t k, kv_slice_t v)
{
    msg_keys_add(ks, kv_arena_printf(ks->a, "aws:RequestTag/%.*s", (int)k.len, (const char *)k.p),
                 v);
    msg_keys_add(ks, "aws:TagKeys", k);
}

void msg_keys_resource_tag(msg_keys_t *ks, kv_slice_t k, kv_slice_t v)
{
    msg_keys_add(ks, kv_arena_printf(ks->a, "aws:ResourceTag/%.*s", (int)k.len, (const char *)k.p),
                 v);
}

api_res_policy_t msg_res_policy(kv_slice_t text, kv_arena_t *a)
{
    api_res_policy_t r = {.owner_arn = KV_SLICE_LIT("arn:aws:iam::" API_ACCOUNT_ID ":root")};
    const char *err = NULL;
    if (text.len)
        r.policy = pol_cached(text, POL_RESOURCE, a, &err);
    return r;
}

int msg_authorize(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *action,
                  kv_slice_t resource, kv_slice_t policy, const msg_keys_t *ks)
{
    api_authz_t az;
    memset(&az, 0, sizeof(az));
    az.action = action;
    az.resource = resource;
    if (ks) {
        az.keys = ks->k;
        az.n_keys = ks->n;
    }
    /* the root is allowed without evaluating anything: no policy is compiled for it */
    if (!msg_root(req))
        az.res = msg_res_policy(policy, req->arena);
    return api_authorize(ctx, req, resp, &az) == 0 ? 0 : -1;
}

int msg_authorize_root(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_authz_t az;
    memset(&az, 0, sizeof(az));
    az.resource = KV_SLICE_LIT("*");
    return api_authorize(ctx, req, resp, &az) == 0 ? 0 : -1;
}
