/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS authorization (issue 16, package K): the key policy is the key's resource policy with
 * KMS's rule. Unlike other services, an IAM policy alone never opens a key: the key policy must
 * allow, either naming the principal (enough alone) or delegating to the account (then an
 * identity policy must allow too, within the boundary and session policies); a grant for the
 * principal allows its operations; an explicit deny anywhere refuses. Requests carry
 * kms:CallerAccount, kms:ViaService (when another service calls, api_kms.h) and the
 * kms:EncryptionContext:<key> / kms:EncryptionContextKeys condition keys.
 */
#include <string.h>

#include "api_msg_authz.h"
#include "authz/pol.h"
#include "kms_int.h"

/* The client's address without the ":port" the server appends to it. */
static kv_slice_t peer_ip(kv_slice_t peer)
{
    for (size_t i = peer.len; i > 0; i--)
        if (peer.p[i - 1] == ':')
            return kv_slice(peer.p, i - 1);
    return peer;
}

/* Does the request's context satisfy a grant constraint (subset: every constraint pair is in
 * the context; equals: the same pairs)? */
static bool ctx_satisfies(const api_json_t *c, const api_json_t *ctx, bool equals)
{
    if (c == NULL || api_json_type(c) != API_J_OBJ)
        return true;
    size_t have = ctx && api_json_type(ctx) == API_J_OBJ ? api_json_len(ctx) : 0;
    if (equals && have != api_json_len(c))
        return false;
    void *it = NULL;
    const char *k;
    api_json_t *v;
    while (api_json_next(c, &it, &k, &v)) {
        const api_json_t *got = have ? api_json_get(ctx, k) : NULL;
        if (got == NULL || api_json_type(got) != API_J_STR ||
            !kv_slice_eq(api_json_str(got), api_json_str(v)))
            return false;
    }
    return true;
}

static bool is_crypto(const char *op)
{
    static const char *const ops[] = {"Encrypt",         "Decrypt",
                                      "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                                      "ReEncryptFrom",   "ReEncryptTo"};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(op, ops[i]) == 0)
            return true;
    return false;
}

/* Is grant g no wider than parent (its operations among parent's, parent's constraints kept)?
 * A grant that allows CreateGrant allows making only such grants, as in KMS. */
static bool no_wider(const kms_grant_t *parent, const kms_grant_t *g)
{
    for (size_t i = 0; i < g->n_ops; i++) {
        bool have = false;
        for (size_t j = 0; j < parent->n_ops && !have; j++)
            have = strcmp(g->ops[i], parent->ops[j]) == 0;
        if (!have)
            return false;
    }
    if (parent->ctx_equals &&
        (g->ctx_equals == NULL || !ctx_satisfies(parent->ctx_equals, g->ctx_equals, true)))
        return false;
    if (parent->ctx_subset &&
        !(g->ctx_subset && ctx_satisfies(parent->ctx_subset, g->ctx_subset, false)) &&
        !(g->ctx_equals && ctx_satisfies(parent->ctx_subset, g->ctx_equals, false)))
        return false;
    return true;
}

bool kms_principal_is(const api_principal_t *p, const char *arn)
{
    kv_slice_t a = kv_slice_str(arn ? arn : "");
    return a.len && (kv_slice_eq(a, p->arn) || (p->role_arn.len && kv_slice_eq(a, p->role_arn)));
}

/* A grant of the key for this principal that allows the action ("kms:<Op>"). */
static bool granted(api_ctx_t *ctx, api_req_t *req, const kms_az_t *az, const api_principal_t *p)
{
    if (az->key == NULL || strncmp(az->action, "kms:", 4) != 0)
        return false;
    const char *op = az->action + 4;
    kms_grant_t *g;
    size_t n;
    if (kms_grants_load(ctx, req->arena, az->key->id, &g, &n) < 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!kms_principal_is(p, g[i].grantee))
            continue;
        for (size_t j = 0; j < g[i].n_ops; j++) {
            /* RetireGrant is a grant's own (kms_op_end_grant): not the key's other grants */
            if (strcmp(g[i].ops[j], op) != 0 || strcmp(op, "RetireGrant") == 0)
                continue;
            if (az->made && !no_wider(&g[i], az->made))
                continue;
            if (is_crypto(op) && (!ctx_satisfies(g[i].ctx_subset, az->context, false) ||
                                  !ctx_satisfies(g[i].ctx_equals, az->context, true)))
                continue;
            return true;
        }
    }
    return false;
}

int kms_authorize(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const kms_az_t *az)
{
    msg_keys_t ks = {.a = req->arena};
    msg_keys_add(&ks, "kms:CallerAccount", KV_SLICE_LIT(API_ACCOUNT_ID));
    if (az->via_service)
        msg_keys_add(&ks, "kms:ViaService", kv_slice_str(az->via_service));
    if (az->context && api_json_type(az->context) == API_J_OBJ) {
        void *it = NULL;
        const char *k;
        api_json_t *v;
        size_t n = 0;
        while (api_json_next(az->context, &it, &k, &v) && n++ < KMS_CTX_PAIRS) {
            msg_keys_add(&ks, kv_arena_printf(req->arena, "kms:EncryptionContext:%s", k),
                         api_json_str(v));
            msg_keys_add(&ks, "kms:EncryptionContextKeys", kv_slice_str(k));
        }
    }
    for (size_t i = 0; i < az->n_extra; i++)
        for (size_t j = 0; j < az->extra[i].n; j++)
            msg_keys_add(&ks, az->extra[i].name, az->extra[i].values[j]);
    if (az->key)
        for (size_t i = 0; i < az->key->n_tags && i < KMS_TAGS_MAX; i++)
            msg_keys_resource_tag(&ks, az->key->tags[i].key, az->key->tags[i].value);

    api_authz_t q;
    memset(&q, 0, sizeof(q));
    q.action = az->action;
    q.resource = az->key ? kv_slice_str(az->key->arn) : az->resource;
    q.keys = ks.k;
    q.n_keys = ks.n;
    /* The root is allowed without evaluating anything (the default key policy names the
     * account; a key policy cannot lock the root out here). */
    if (msg_root(req))
        return api_authorize(ctx, req, resp, &q) == 0 ? 0 : -1;
    q.res = msg_res_policy(az->key ? kv_slice_str(az->key->policy) : KV_SLICE_NULL, req->arena);
    const api_principal_t *p = api_principal(req);
    api_state_t *st = req->_st;
    st->authorized = true; /* this is the request's check */
    kv_slice_t ip = peer_ip(req->peer);
    api_decision_t d = api_decide(ctx, p, &q, ip, req->tls, req->arena, NULL);
    bool explicit_deny = d == API_DENY_EXPLICIT_ID || d == API_DENY_EXPLICIT_RES ||
                         d == API_DENY_EXPLICIT_BOUNDARY || d == API_DENY_EXPLICIT_SESSION;
    if (!explicit_deny && az->key) {
        /* Does the key policy allow at all (naming the principal or the account)? */
        pol_effect_t res = POL_NONE;
        if (q.res.policy) {
            const pol_val_t *g;
            size_t ng = api_authz_global_keys(ctx, p, ip, req->tls, req->arena, &g);
            pol_val_t *rk = kv_arena_calloc(req->arena, ks.n ? ks.n : 1, sizeof(*rk));
            for (size_t i = 0; i < ks.n; i++)
                rk[i] = (pol_val_t){ks.k[i].name, ks.k[i].values, ks.k[i].n};
            const pol_val_t *lists[2] = {g, rk};
            size_t lens[2] = {ng, ks.n};
            bool anon = p->kind == API_PR_ANON;
            pol_ctx_t c = {
                .action = kv_slice_str(az->action),
                .resource = q.resource,
                .principal_arn = anon ? KV_SLICE_LIT("*") : p->arn,
                .principal_role = p->kind == API_PR_ROLE ? p->role_arn : KV_SLICE_NULL,
                .principal_service = p->kind == API_PR_SERVICE ? p->service : KV_SLICE_NULL,
                .anonymous = anon,
                .vals = lists,
                .n_vals = lens,
                .n_lists = 2,
            };
            unsigned by = 0;
            res = pol_eval_by(q.res.policy, &c, &by);
        }
        if (res == POL_ALLOW && d == API_ALLOW)
            return 0;
        if (az->by_grant || granted(ctx, req, az, p))
            return 0;
        if (res != POL_ALLOW)
            d = API_DENY_NO_RESOURCE;
        else if (d == API_ALLOW)
            d = API_DENY_IMPLICIT;
    } else if (d == API_ALLOW) {
        return 0;
    }
    const char *msg = api_denied_msg(req->arena, p, az->action, q.resource, d);
    api_fail(resp, st->svc ? st->svc->err_denied : API_E_KMS_ACCESS_DENIED, "%s", msg);
    return -1;
}
