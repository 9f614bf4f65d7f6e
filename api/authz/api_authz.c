/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authorization (api_authz.h): the request's principal, the operation's declared action, and
 * the decision for one action on one resource: AWS's policy evaluation logic within one
 * account over the principal's identity policies, the resource's policy, the permissions
 * boundary and the session policies (pol.h evaluates each), with the global condition keys
 * built from the request and its principal.
 */
#include "authz/api_authz.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_arn.h"
#include "api_int.h"
#include "authz/pol.h"
#include "base/kv_log.h"
#include "base/kv_time.h"

void api__principal_root(api_ctx_t *ctx, api_principal_t *p)
{
    (void)ctx;
    memset(p, 0, sizeof(*p));
    p->kind = API_PR_ROOT;
    p->arn = KV_SLICE_LIT("arn:aws:iam::" API_ACCOUNT_ID ":root");
    p->id = KV_SLICE_LIT(API_ACCOUNT_ID);
}

const api_principal_t *api_principal(const api_req_t *req)
{
    return &req->_st->principal;
}

static bool is_root(const api_principal_t *p)
{
    return p->kind == API_PR_ROOT || p->kind == API_PR_ROOT_SESSION;
}

const char *api_op_action(const api_req_t *req)
{
    const api_state_t *st = req->_st;
    const api_service_t *svc = st->svc;
    if (!svc || st->op < 0 || (size_t)st->op >= svc->n_ops)
        return NULL;
    const api_op_desc_t *d = &svc->ops[st->op];
    if (d->action)
        return d->action;
    const char *pre = svc->iam_prefix ? svc->iam_prefix : svc->name;
    size_t n = strlen(pre) + 1 + strlen(d->name) + 1;
    char *s = kv_arena_alloc(req->arena, n);
    snprintf(s, n, "%s:%s", pre, d->name);
    return s;
}

const char *api_denied_msg(kv_arena_t *a, const api_principal_t *p, const char *action,
                           kv_slice_t resource, api_decision_t d)
{
    char tail[512];
    switch (d) {
    case API_DENY_EXPLICIT_ID:
        snprintf(tail, sizeof(tail), "with an explicit deny in an identity-based policy");
        break;
    case API_DENY_EXPLICIT_RES:
        snprintf(tail, sizeof(tail), "with an explicit deny in a resource-based policy");
        break;
    case API_DENY_BOUNDARY:
        snprintf(tail, sizeof(tail), "because no permissions boundary allows the %s action",
                 action);
        break;
    case API_DENY_EXPLICIT_BOUNDARY:
        snprintf(tail, sizeof(tail), "with an explicit deny in a permissions boundary");
        break;
    case API_DENY_SESSION:
        snprintf(tail, sizeof(tail), "because no session policy allows the %s action", action);
        break;
    case API_DENY_EXPLICIT_SESSION:
        snprintf(tail, sizeof(tail), "with an explicit deny in a session policy");
        break;
    case API_DENY_NO_RESOURCE:
        snprintf(tail, sizeof(tail), "because no resource-based policy allows the %s action",
                 action);
        break;
    default:
        /* Anonymous and service principals have no identity: only a resource could allow. */
        snprintf(tail, sizeof(tail), "because no %s policy allows the %s action",
                 p->kind == API_PR_ANON || p->kind == API_PR_SERVICE ? "resource-based"
                                                                     : "identity-based",
                 action);
        break;
    }
    kv_slice_t who = p->kind == API_PR_ANON      ? KV_SLICE_LIT("anonymous")
                     : p->kind == API_PR_SERVICE ? p->service
                                                 : p->arn;
    const char *kind = p->kind == API_PR_ANON || p->kind == API_PR_SERVICE ? "" : "User: ";
    int n = snprintf(NULL, 0, "%s%.*s is not authorized to perform: %s on resource: %.*s %s", kind,
                     (int)who.len, (const char *)who.p, action, (int)resource.len,
                     (const char *)resource.p, tail);
    char *s = kv_arena_alloc(a, (size_t)n + 1);
    snprintf(s, (size_t)n + 1, "%s%.*s is not authorized to perform: %s on resource: %.*s %s", kind,
             (int)who.len, (const char *)who.p, action, (int)resource.len, (const char *)resource.p,
             tail);
    return s;
}

/* ---- The request context's global condition keys ---- */

/* aws:CurrentTime and aws:EpochTime change once a second: each thread keeps its last text. */
typedef struct az_clock {
    int64_t sec;
    char iso[32];
    char epoch[24];
} az_clock_t;

static _Thread_local az_clock_t az_clock = {-1, {0}, {0}};

static const az_clock_t *clock_now(void)
{
    int64_t ms = kv_now_ms();
    if (ms / 1000 != az_clock.sec) {
        az_clock.sec = ms / 1000;
        time_t t = (time_t)az_clock.sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(az_clock.iso, sizeof(az_clock.iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(az_clock.epoch, sizeof(az_clock.epoch), "%lld", (long long)az_clock.sec);
    }
    return &az_clock;
}

#define AZ_MAX_GLOBAL 24
#define AZ_MAX_TAGS   64 /* IAM allows 50 tags on a principal */

/** The global keys of principal p, in arena a (sized for its tags). */
typedef struct az_keys {
    pol_val_t *v;
    kv_slice_t *s;
    size_t n, cap;
} az_keys_t;

static void keys_init(az_keys_t *k, const api_principal_t *p, kv_arena_t *a)
{
    k->cap = AZ_MAX_GLOBAL + (p->n_tags < AZ_MAX_TAGS ? p->n_tags : AZ_MAX_TAGS);
    k->v = kv_arena_alloc(a, k->cap * sizeof(*k->v));
    k->s = kv_arena_alloc(a, k->cap * sizeof(*k->s));
    k->n = 0;
}

static void key1(az_keys_t *k, const char *name, kv_slice_t value)
{
    if (k->n >= k->cap)
        return;
    k->s[k->n] = value;
    k->v[k->n] = (pol_val_t){name, &k->s[k->n], 1};
    k->n++;
}

static const char *principal_type(api_pr_kind_t kind)
{
    switch (kind) {
    case API_PR_ROOT:
    case API_PR_ROOT_SESSION:
        return "Account";
    case API_PR_USER:
    case API_PR_USER_SESSION:
        return "User";
    case API_PR_ROLE:
        return "AssumedRole";
    case API_PR_ANON:
        return "Anonymous";
    default:
        return NULL;
    }
}

static void global_keys(az_keys_t *k, api_ctx_t *ctx, const api_principal_t *p,
                        kv_slice_t source_ip, bool secure, kv_arena_t *a)
{
    const az_clock_t *clk = clock_now();
    keys_init(k, p, a);
    if (source_ip.len)
        key1(k, "aws:SourceIp", source_ip);
    key1(k, "aws:SecureTransport", secure ? KV_SLICE_LIT("true") : KV_SLICE_LIT("false"));
    key1(k, "aws:CurrentTime", kv_slice_str(clk->iso));
    key1(k, "aws:EpochTime", kv_slice_str(clk->epoch));
    const char *region = ctx && ctx->region ? ctx->region : "us-east-1";
    key1(k, "aws:RequestedRegion", kv_slice_str(region));
    key1(k, "aws:ViaAWSService", KV_SLICE_LIT("false"));
    bool service = p->kind == API_PR_SERVICE;
    key1(k, "aws:PrincipalIsAWSService", service ? KV_SLICE_LIT("true") : KV_SLICE_LIT("false"));
    if (service) {
        key1(k, "aws:PrincipalServiceName", p->service);
        return;
    }
    const char *type = principal_type(p->kind);
    if (type)
        key1(k, "aws:PrincipalType", kv_slice_str(type));
    if (p->kind == API_PR_ANON) {
        key1(k, "aws:userid", KV_SLICE_LIT("anonymous"));
        return;
    }
    key1(k, "aws:PrincipalAccount", KV_SLICE_LIT(API_ACCOUNT_ID));
    key1(k, "aws:PrincipalArn", p->kind == API_PR_ROLE && p->role_arn.len ? p->role_arn : p->arn);
    if (p->id.len)
        key1(k, "aws:userid", p->id);
    if ((p->kind == API_PR_USER || p->kind == API_PR_USER_SESSION) && p->name.len)
        key1(k, "aws:username", p->name);
    if (p->source_identity.len)
        key1(k, "aws:SourceIdentity", p->source_identity);
    if (p->kind == API_PR_ROLE || p->kind == API_PR_USER_SESSION || p->kind == API_PR_ROOT_SESSION)
        key1(k, "aws:MultiFactorAuthPresent", KV_SLICE_LIT("false"));
    for (size_t i = 0; i < p->n_tags && i < AZ_MAX_TAGS; i++) {
        kv_slice_t tk = p->tags[i].key;
        char *name = kv_arena_alloc(a, 17 + tk.len + 1);
        memcpy(name, "aws:PrincipalTag/", 17);
        memcpy(name + 17, tk.p, tk.len);
        name[17 + tk.len] = 0;
        key1(k, name, p->tags[i].value);
    }
}

size_t api_authz_global_keys(api_ctx_t *ctx, const api_principal_t *p, kv_slice_t source_ip,
                             bool secure, kv_arena_t *a, const struct pol_val **out)
{
    az_keys_t k;
    global_keys(&k, ctx, p, source_ip, secure, a);
    *out = k.v;
    return k.n;
}

static int pol_kind_of(const pol_t *p)
{
    return p ? (int)pol_kind(p) : -1;
}

api_decision_t api_decide(api_ctx_t *ctx, const api_principal_t *p, const api_authz_t *az,
                          kv_slice_t source_ip, bool secure, kv_arena_t *a, const char **msg)
{
    if (is_root(p))
        return API_ALLOW;
    const char *action = az->action ? az->action : "";
    az_keys_t keys, *k = &keys;
    global_keys(k, ctx, p, source_ip, secure, a);
    /* The request's own keys: api_ckey_t and pol_val_t are the same shape, copied to be sure. */
    pol_val_t *rk = NULL;
    size_t n_rk = az->n_keys;
    if (n_rk) {
        rk = kv_arena_alloc(a, n_rk * sizeof(*rk));
        for (size_t i = 0; i < n_rk; i++)
            rk[i] = (pol_val_t){az->keys[i].name, az->keys[i].values, az->keys[i].n};
    }
    const pol_val_t *lists[2] = {k->v, rk};
    size_t lens[2] = {k->n, n_rk};
    bool anon = p->kind == API_PR_ANON;
    pol_memo_t memo;
    memo.built = false;
    pol_ctx_t c = {
        .action = kv_slice_str(action),
        .resource = az->resource.len ? az->resource : KV_SLICE_LIT("*"),
        .principal_arn = anon ? KV_SLICE_LIT("*") : p->arn,
        .principal_role = p->kind == API_PR_ROLE ? p->role_arn : KV_SLICE_NULL,
        .principal_service = p->kind == API_PR_SERVICE ? p->service : KV_SLICE_NULL,
        .anonymous = anon,
        .vals = lists,
        .n_vals = lens,
        .n_lists = 2,
        .memo = &memo,
    };
    bool iam = p->kind == API_PR_USER || p->kind == API_PR_USER_SESSION || p->kind == API_PR_ROLE;

    /* An explicit deny anywhere wins. */
    pol_effect_t id = iam && p->identity ? pol_set_eval(p->identity, &c) : POL_NONE;
    unsigned by = 0;
    pol_effect_t res = az->res.policy ? pol_eval_by(az->res.policy, &c, &by) : POL_NONE;
    pol_effect_t bnd = iam && p->boundary ? pol_eval(p->boundary, &c) : POL_NONE;
    pol_effect_t ses = iam && p->session ? pol_set_eval(p->session, &c) : POL_NONE;
    api_decision_t d = API_ALLOW;
    if (id == POL_DENY)
        d = API_DENY_EXPLICIT_ID;
    else if (res == POL_DENY)
        d = API_DENY_EXPLICIT_RES;
    else if (bnd == POL_DENY)
        d = API_DENY_EXPLICIT_BOUNDARY;
    else if (ses == POL_DENY)
        d = API_DENY_EXPLICIT_SESSION;
    else {
        /* S3 RestrictPublicBuckets: a public policy grants nothing to anonymous callers. */
        if (res == POL_ALLOW && anon && (az->flags & API_AZ_RESTRICT_PUBLIC) &&
            pol_is_public(az->res.policy))
            res = POL_NONE;
        bool res_self = (res == POL_ALLOW && (by & POL_BY_SELF)) || az->acl == API_ACL_ALLOW;
        /* Naming a session's role allows within the session policies and the boundary; naming
         * the account delegates to the identity policies (they must allow on their own). */
        bool res_role = res == POL_ALLOW && (by & POL_BY_ROLE);
        if (pol_kind_of(az->res.policy) == POL_TRUST && res != POL_ALLOW) {
            /* A role is assumed only when its trust policy allows it. */
            d = API_DENY_NO_RESOURCE;
        } else if (!iam) {
            /* Anonymous and service principals: only the resource (policy or ACL) grants. */
            d = res_self ? API_ALLOW : API_DENY_IMPLICIT;
        } else if (res_self) {
            /* A resource policy naming the user or the session itself is enough alone. */
            d = API_ALLOW;
        } else if (id != POL_ALLOW && !res_role) {
            d = API_DENY_IMPLICIT;
        } else if (p->boundary && bnd != POL_ALLOW) {
            d = API_DENY_BOUNDARY;
        } else if (p->session && ses != POL_ALLOW) {
            d = API_DENY_SESSION;
        }
    }
    if (d != API_ALLOW && msg)
        *msg = api_denied_msg(a, p, action, c.resource, d);
    return d;
}

/* The client's address without the ":port" the server appends to it. */
static kv_slice_t peer_ip(kv_slice_t peer)
{
    for (size_t i = peer.len; i > 0; i--)
        if (peer.p[i - 1] == ':')
            return kv_slice(peer.p, i - 1);
    return peer;
}

int api_authorize(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_authz_t *az)
{
    api_state_t *st = req->_st;
    st->authorized = true;
    if (is_root(&st->principal))
        return 0;
    api_authz_t q = *az;
    if (!q.action)
        q.action = api_op_action(req);
    const char *msg = NULL;
    api_decision_t d = api_decide(ctx, &st->principal, &q, peer_ip(req->peer), req->tls, req->arena,
                                  (az->flags & API_AZ_QUIET) ? NULL : &msg);
    if (d == API_ALLOW)
        return 0;
    if (!(az->flags & API_AZ_QUIET))
        api_fail(resp, st->svc ? st->svc->err_denied : API_E_S3_ACCESS_DENIED, "%s", msg);
    return API_RESPOND;
}

void api__authz_check_done(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    const api_state_t *st = req->_st;
    if (st->open || st->authorized || is_root(&st->principal) || resp->_err != 0)
        return;
    if (st->svc && st->op >= 0 && (size_t)st->op < st->svc->n_ops &&
        (st->svc->ops[st->op].flags & API_OPF_UNSIGNED))
        return;
    atomic_fetch_add_explicit(&ctx->m.authz_unchecked, 1, memory_order_relaxed);
    KV_LOG_ERROR("authorization: %s %s answered without a check", st->svc ? st->svc->name : "?",
                 st->svc && st->op >= 0 ? st->svc->ops[st->op].name : "?");
}
