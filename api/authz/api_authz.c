/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authorization (api_authz.h): the request's principal, the operation's declared action, and
 * the decision for one action on one resource.
 */
#include "authz/api_authz.h"

#include <stdio.h>
#include <string.h>

#include "api_arn.h"
#include "api_int.h"
#include "base/kv_log.h"

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
    default:
        snprintf(tail, sizeof(tail), "because no identity-based policy allows the %s action",
                 action);
        break;
    }
    kv_slice_t who = p->kind == API_PR_ANON ? KV_SLICE_LIT("anonymous") : p->arn;
    const char *kind = p->kind == API_PR_ANON ? "" : "User: ";
    int n = snprintf(NULL, 0, "%s%.*s is not authorized to perform: %s on resource: %.*s %s", kind,
                     (int)who.len, (const char *)who.p, action, (int)resource.len,
                     (const char *)resource.p, tail);
    char *s = kv_arena_alloc(a, (size_t)n + 1);
    snprintf(s, (size_t)n + 1, "%s%.*s is not authorized to perform: %s on resource: %.*s %s", kind,
             (int)who.len, (const char *)who.p, action, (int)resource.len, (const char *)resource.p,
             tail);
    return s;
}

api_decision_t api_decide(api_ctx_t *ctx, const api_principal_t *p, const api_authz_t *az,
                          kv_slice_t source_ip, bool secure, kv_arena_t *a, const char **msg)
{
    (void)ctx;
    (void)source_ip;
    (void)secure;
    if (is_root(p))
        return API_ALLOW;
    /* The evaluator (pol.h) decides for every other principal (issue 15, package P). */
    api_decision_t d = API_DENY_IMPLICIT;
    if (msg)
        *msg = api_denied_msg(a, p, az->action ? az->action : "", az->resource, d);
    return d;
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
    api_decision_t d = api_decide(ctx, &st->principal, &q, req->peer, req->tls, req->arena,
                                  (az->flags & API_AZ_QUIET) ? NULL : &msg);
    if (d == API_ALLOW)
        return 0;
    if (!(az->flags & API_AZ_QUIET))
        api_fail(resp, st->svc->err_denied, "%s", msg);
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
