/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sessions as principals (issue 15, package T): what a verified version 2 token stands for
 * (a role session with its role's permissions and its session policies, a user's or the root's
 * GetSessionToken session), and the sessions function instances run with (their execution
 * role's, named after the function).
 */
#include <string.h>
#include <time.h>

#include "../iam/iam_int.h" /* iam_policy_doc: a managed policy's default version */
#include "base/kv_log.h"
#include "sts_int.h"

kv_slice_t sts_session_arn(kv_arena_t *a, kv_slice_t role_arn, kv_slice_t session)
{
    /* The role's name: what follows the last '/' of its ARN (its path is left out). */
    size_t i = role_arn.len;
    while (i > 0 && role_arn.p[i - 1] != '/')
        i--;
    kv_slice_t name = kv_slice(role_arn.p + i, role_arn.len - i);
    const char *s =
        kv_arena_printf(a, "arn:aws:sts::%s:assumed-role/%.*s/%.*s", API_ACCOUNT_ID, (int)name.len,
                        (const char *)name.p, (int)session.len, (const char *)session.p);
    return kv_slice_str(s);
}

static void set_free(void *arg)
{
    pol_set_free(arg);
}

/* The session policies of a role session: its Policy and the default versions of its
 * PolicyArns. A policy ARN whose policy is gone contributes nothing (the session may do less,
 * never more). NULL when the session has none. */
static const pol_set_t *session_policies(api_ctx_t *ctx, const api_session_principal_t *s,
                                         kv_arena_t *a)
{
    if (s->policy.len == 0 && s->n_policy_arns == 0)
        return NULL;
    pol_set_t *set = pol_set_new(1 + s->n_policy_arns);
    if (set == NULL)
        return NULL;
    kv_arena_on_destroy(a, set_free, set);
    const char *err = NULL;
    if (s->policy.len) {
        const pol_t *p = pol_cached(s->policy, POL_IDENTITY, a, &err);
        if (p)
            pol_set_add(set, p);
    }
    for (size_t i = 0; i < s->n_policy_arns; i++) {
        kv_slice_t text;
        if (sts_managed_policy(ctx, s->policy_arns[i], a, &text) != 0)
            continue;
        const pol_t *p = pol_cached(text, POL_IDENTITY, a, &err);
        if (p)
            pol_set_add(set, p);
    }
    return set;
}

int api__session_principal(api_ctx_t *ctx, const api_session_principal_t *s, kv_slice_t access_key,
                           kv_arena_t *a, api_principal_t *p)
{
    memset(p, 0, sizeof(*p));
    switch (s->kind) {
    case API_SESSION_ROOT:
        api__principal_root(ctx, p);
        p->kind = API_PR_ROOT_SESSION;
        break;
    case API_SESSION_USER: {
        int rc = api_iam_user(ctx, s->name, a, p);
        if (rc != 0)
            return rc;
        /* The user the session was issued for, not a later user of the same name (its token
         * carries the user's unique id; one without it names no user). */
        if (s->role_id.len == 0 || !kv_slice_eq(s->role_id, p->id))
            return KV_ENOTFOUND;
        p->kind = API_PR_USER_SESSION; /* the user's own permissions, as api_iam_user gave them */
        break;
    }
    case API_SESSION_ROLE: {
        p->kind = API_PR_ROLE;
        p->role_arn = kv_arena_dup(a, s->role_arn);
        p->name = kv_arena_dup(a, s->name);
        p->arn = sts_session_arn(a, s->role_arn, s->name);
        p->id = kv_slice_str(kv_arena_printf(a, "%.*s:%.*s", (int)s->role_id.len,
                                             (const char *)s->role_id.p, (int)s->name.len,
                                             (const char *)s->name.p));
        p->source_identity = kv_arena_dup(a, s->source_identity);
        if (s->n_tags) {
            api_kv_t *t = kv_arena_calloc(a, s->n_tags, sizeof(*t));
            for (size_t i = 0; i < s->n_tags; i++) {
                t[i].key = kv_arena_dup(a, s->tags[i].key);
                t[i].value = kv_arena_dup(a, s->tags[i].value);
            }
            p->tags = t;
            p->n_tags = s->n_tags;
        }
        /* The role's permissions; a role that is gone leaves its sessions none. */
        if (api_iam_load(ctx, p, a) != 0) {
            p->identity = NULL;
            p->boundary = NULL;
        }
        p->session = session_policies(ctx, s, a);
        break;
    }
    default:
        return KV_ENOTFOUND;
    }
    p->access_key = kv_arena_dup(a, access_key);
    p->expires = s->expires;
    return 0;
}

/* The function's name in its ARN (arn:aws:lambda:<region>:<account>:function:<name>[:q]). */
static kv_slice_t function_name(const char *function_arn)
{
    const char *f = strstr(function_arn, ":function:");
    if (f == NULL)
        return kv_slice_str(function_arn);
    f += 10;
    const char *e = strchr(f, ':');
    return kv_slice(f, e ? (size_t)(e - f) : strlen(f));
}

int api__fn_session_mint(api_ctx_t *ctx, const char *function_arn, const char *role_arn,
                         api_creds_t *out)
{
    api_session_principal_t sp;
    memset(&sp, 0, sizeof(sp));
    sp.kind = API_SESSION_ROLE;
    sp.issued = (int64_t)time(NULL);
    sp.expires = sp.issued + ctx->creds_lifetime_s;
    sp.function_arn = kv_slice_str(function_arn);
    sp.name = function_name(function_arn);
    if (sp.name.len > API_SESSION_NAME_MAX)
        sp.name.len = API_SESSION_NAME_MAX;
    sp.role_arn = kv_slice_str(role_arn ? role_arn : "");
    kv_arena_t *a = kv_arena_new(4096);
    api_iam_role_t role;
    if (sp.role_arn.len && api_iam_role(ctx, sp.role_arn, a, &role) == 0) {
        sp.role_arn = role.arn;
        sp.role_id = role.id;
    } else if (sp.role_arn.len) {
        KV_LOG_WARN("function %s: its role %s does not exist: its session has no permissions",
                    function_arn, role_arn);
    }
    int rc = api_session_mint(&ctx->session_keys, &sp, out) == 0 ? 0 : -1;
    kv_arena_free(a);
    return rc;
}

bool api__fn_role_ok(api_ctx_t *ctx, kv_slice_t role_arn, kv_arena_t *a)
{
    api_iam_role_t role;
    if (api_iam_role(ctx, role_arn, a, &role) != 0 || !kv_slice_eq(role.arn, role_arn))
        return false;
    const char *err = NULL;
    const pol_t *trust = pol_cached(role.trust_policy, POL_TRUST, a, &err);
    if (trust == NULL)
        return false;
    /* Lambda assumes the role for this account's functions (a trust policy may pin
     * aws:SourceAccount against the confused deputy). */
    kv_slice_t acct = KV_SLICE_LIT(API_ACCOUNT_ID);
    const pol_val_t vals[] = {{"aws:SourceAccount", &acct, 1}};
    const pol_val_t *lists[1] = {vals};
    size_t ns[1] = {sizeof(vals) / sizeof(vals[0])};
    pol_ctx_t pc = {
        .action = KV_SLICE_LIT("sts:AssumeRole"),
        .resource = role.arn,
        .principal_service = KV_SLICE_LIT("lambda.amazonaws.com"),
        .vals = lists,
        .n_vals = ns,
        .n_lists = 1,
    };
    return pol_eval(trust, &pc) == POL_ALLOW;
}

int sts_managed_policy(api_ctx_t *ctx, kv_slice_t arn, kv_arena_t *a, kv_slice_t *text)
{
    return iam_policy_doc(ctx, a, arn, text) == 0 ? 0 : KV_ENOTFOUND;
}
