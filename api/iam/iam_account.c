/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM's account-wide operations (issue 15, package I): GetAccountAuthorizationDetails (every
 * user, group, role and policy with its policies, paged), GetAccountSummary, and the policy
 * simulator (SimulatePrincipalPolicy, SimulateCustomPolicy) evaluating documents with pol.h as
 * authorization does.
 */
#include <stdio.h>
#include <string.h>

#include "authz/pol.h"
#include "iam_int.h"

/* ---- GetAccountAuthorizationDetails ---- */

static void xml_inline(iam_call_t *c, const char *list, char kind, kv_slice_t name)
{
    iam_rec_t *r;
    size_t n;
    api_xw_open(&c->w, list);
    if (iam_collect(c->ctx, c->a, iam_k_of(c->a, 'i', kind, name), KV_SLICE_NULL, 0, &r, &n,
                    NULL) == 0)
        for (size_t i = 0; i < n; i++) {
            api_xw_open(&c->w, "member");
            api_xw_elem(&c->w, "PolicyName", r[i].key);
            api_xw_elem(&c->w, "PolicyDocument", iam_urlencode(c->a, r[i].val));
            api_xw_close(&c->w, "member");
        }
    api_xw_close(&c->w, list);
}

static void xml_attached(iam_call_t *c, char kind, kv_slice_t name)
{
    iam_rec_t *r;
    size_t n;
    api_xw_open(&c->w, "AttachedManagedPolicies");
    if (iam_collect(c->ctx, c->a, iam_k_of(c->a, 'a', kind, name), KV_SLICE_NULL, 0, &r, &n,
                    NULL) == 0)
        for (size_t i = 0; i < n; i++) {
            kv_slice_t path, pname;
            const char *an;
            if (iam_aws_policy(r[i].key, &an, NULL))
                pname = kv_slice_str(an);
            else if (!iam_policy_arn_parts(r[i].key, &path, &pname))
                continue;
            api_xw_open(&c->w, "member");
            api_xw_elem(&c->w, "PolicyName", pname);
            api_xw_elem(&c->w, "PolicyArn", r[i].key);
            api_xw_close(&c->w, "member");
        }
    api_xw_close(&c->w, "AttachedManagedPolicies");
}

static void xml_boundary(iam_call_t *c, kv_slice_t arn)
{
    if (arn.len == 0)
        return;
    api_xw_open(&c->w, "PermissionsBoundary");
    api_xw_elem_str(&c->w, "PermissionsBoundaryType", "PermissionsBoundaryPolicy");
    api_xw_elem(&c->w, "PermissionsBoundaryArn", arn);
    api_xw_close(&c->w, "PermissionsBoundary");
}

static void detail(iam_call_t *c, const iam_ent_t *e)
{
    api_xw_t *w = &c->w;
    const char *arn = iam_arn(c->a, e->kind, e->path, e->name);
    if (e->kind == IAM_POLICY) {
        iam_xml_ent(c, e, false);
        iam_rec_t *r;
        size_t n;
        api_xw_open(w, "PolicyVersionList");
        if (iam_collect(c->ctx, c->a, iam_k_version(c->a, e->name, 0), KV_SLICE_NULL, 0, &r, &n,
                        NULL) == 0)
            for (size_t i = 0; i < n; i++) {
                if (r[i].key.len != 4)
                    continue;
                uint32_t v = ((uint32_t)r[i].key.p[0] << 24) | ((uint32_t)r[i].key.p[1] << 16) |
                             ((uint32_t)r[i].key.p[2] << 8) | r[i].key.p[3];
                kv_slice_t doc;
                int64_t created = 0;
                if (iam_ver_decode(r[i].val, c->a, &doc, &created))
                    continue;
                char id[16];
                snprintf(id, sizeof(id), "v%u", v);
                api_xw_open(w, "member");
                api_xw_elem(w, "Document", iam_urlencode(c->a, doc));
                api_xw_elem_str(w, "VersionId", id);
                api_xw_elem_str(w, "IsDefaultVersion", v == e->default_ver ? "true" : "false");
                iam_xml_date(c, "CreateDate", created);
                api_xw_close(w, "member");
            }
        api_xw_close(w, "PolicyVersionList");
        return;
    }
    const char *W = e->kind == IAM_USER ? "User" : e->kind == IAM_GROUP ? "Group" : "Role";
    char tag[32];
    api_xw_elem(w, "Path", e->path);
    snprintf(tag, sizeof(tag), "%sName", W);
    api_xw_elem(w, tag, e->name);
    snprintf(tag, sizeof(tag), "%sId", W);
    api_xw_elem(w, tag, e->id);
    api_xw_elem_str(w, "Arn", arn);
    iam_xml_date(c, "CreateDate", e->created_ms);
    if (e->kind == IAM_ROLE) {
        api_xw_elem(w, "AssumeRolePolicyDocument", iam_urlencode(c->a, e->trust));
        api_xw_open(w, "InstanceProfileList");
        api_xw_close(w, "InstanceProfileList");
    }
    snprintf(tag, sizeof(tag), "%sPolicyList", W);
    xml_inline(c, tag, e->kind, e->name);
    if (e->kind == IAM_USER) {
        iam_rec_t *r;
        size_t n;
        api_xw_open(w, "GroupList");
        if (iam_collect(c->ctx, c->a, iam_k_of(c->a, 'm', 0, e->name), KV_SLICE_NULL, 0, &r, &n,
                        NULL) == 0)
            for (size_t i = 0; i < n; i++) {
                iam_ent_t g;
                if (iam_ent_get(c->ctx, c->a, IAM_GROUP, r[i].key, &g) == 0)
                    api_xw_elem(w, "member", g.name);
            }
        api_xw_close(w, "GroupList");
    }
    xml_attached(c, e->kind, e->name);
    if (e->kind != IAM_GROUP) {
        xml_boundary(c, e->boundary);
        iam_xml_tags(c, "Tags", e->tags, e->n_tags, false);
    }
    if (e->kind == IAM_ROLE) {
        api_xw_open(w, "RoleLastUsed");
        api_xw_close(w, "RoleLastUsed");
    }
}

int iam_get_account_authorization_details(iam_call_t *c)
{
    size_t max;
    kv_slice_t marker;
    if (iam_page_args(c, &max, &marker))
        return -1;
    /* Filter: which lists (none: all) */
    bool want[4] = {false, false, false, false}; /* users, groups, roles, local policies */
    bool want_aws = false;
    const api_json_t *f = api_json_get(c->in, "Filter");
    size_t nf = f ? api_json_len(f) : 0;
    for (size_t i = 0; i < nf; i++) {
        const api_json_t *x = api_json_at(f, i);
        kv_slice_t s = x && api_json_type(x) == API_J_STR ? api_json_str(x) : KV_SLICE_NULL;
        if (kv_slice_eq_str(s, "User"))
            want[0] = true;
        else if (kv_slice_eq_str(s, "Group"))
            want[1] = true;
        else if (kv_slice_eq_str(s, "Role"))
            want[2] = true;
        else if (kv_slice_eq_str(s, "LocalManagedPolicy"))
            want[3] = true;
        else if (kv_slice_eq_str(s, "AWSManagedPolicy"))
            want_aws = true;
        else
            return iam_validation(c,
                                  "1 validation error detected: Value '[%.*s]' at 'filter' "
                                  "failed to satisfy constraint: Member must satisfy "
                                  "constraint: [Member must satisfy enum value set: [User, "
                                  "Role, LocalManagedPolicy, Group, AWSManagedPolicy]]",
                                  (int)(s.len > 64 ? 64 : s.len), s.p ? (const char *)s.p : "");
    }
    if (nf == 0)
        want[0] = want[1] = want[2] = want[3] = want_aws = true;
    if (iam_authz(c, 0, KV_SLICE_NULL, KV_SLICE_NULL))
        return -1;
    static const char kinds[] = {IAM_USER, IAM_GROUP, IAM_ROLE, IAM_POLICY};
    static const char *const lists[] = {"UserDetailList", "GroupDetailList", "RoleDetailList",
                                        "Policies"};
    /* the marker: the list's index, then the path index suffix of the last one answered */
    size_t from = 0;
    kv_slice_t after = KV_SLICE_NULL;
    if (marker.len) {
        if (marker.p[0] > 3)
            return iam_validation(c, "Invalid Marker.");
        from = marker.p[0];
        after = kv_slice(marker.p + 1, marker.len - 1);
    }
    size_t left = max;
    bool more = false;
    uint8_t *last = kv_arena_alloc(c->a, ENG_IAM_KEY_MAX + 1);
    size_t last_len = 0;
    for (size_t k = 0; k < 4; k++) {
        api_xw_open(&c->w, lists[k]);
        if (want[k] && k >= from && !more && left == 0) { /* the page is full: does one follow? */
            iam_rec_t *r;
            size_t n;
            uint8_t pre[2] = {'p', (uint8_t)kinds[k]};
            int rc = iam_collect(c->ctx, c->a, kv_slice(pre, 2), k == from ? after : KV_SLICE_NULL,
                                 1, &r, &n, NULL);
            if (rc)
                return iam_fail_rc(c, rc);
            more = n > 0;
        } else if (want[k] && k >= from && !more) {
            iam_rec_t *r;
            size_t n;
            bool lmore;
            uint8_t pre[2] = {'p', (uint8_t)kinds[k]};
            int rc = iam_collect(c->ctx, c->a, kv_slice(pre, 2), k == from ? after : KV_SLICE_NULL,
                                 left, &r, &n, &lmore);
            if (rc)
                return iam_fail_rc(c, rc);
            for (size_t i = 0; i < n; i++) {
                kv_slice_t full = r[i].key;
                const uint8_t *slash = NULL;
                for (size_t j = 0; j < full.len; j++)
                    if (full.p[j] == '/')
                        slash = full.p + j;
                kv_slice_t nm =
                    slash ? kv_slice(slash + 1, full.len - (size_t)(slash + 1 - full.p)) : full;
                iam_ent_t e;
                if (iam_ent_get(c->ctx, c->a, kinds[k], nm, &e) == 0) {
                    api_xw_open(&c->w, "member");
                    detail(c, &e);
                    api_xw_close(&c->w, "member");
                }
                last[0] = (uint8_t)k;
                if (full.len <= ENG_IAM_KEY_MAX) {
                    memcpy(last + 1, full.p, full.len);
                    last_len = 1 + full.len;
                }
            }
            left -= n;
            if (lmore)
                more = true;
        }
        api_xw_close(&c->w, lists[k]);
    }
    (void)want_aws; /* AWS managed policies are listed only when attached, as IAM does */
    iam_page_end(c, more, kv_slice(last, last_len));
    return 0;
}

/* ---- GetAccountSummary ---- */

static void entry(iam_call_t *c, const char *k, uint64_t v)
{
    api_xw_open(&c->w, "entry");
    api_xw_elem_str(&c->w, "key", k);
    api_xw_elem_u64(&c->w, "value", v);
    api_xw_close(&c->w, "entry");
}

int iam_get_account_summary(iam_call_t *c)
{
    if (iam_authz(c, 0, KV_SLICE_NULL, KV_SLICE_NULL))
        return -1;
    size_t users = 0, groups = 0, roles = 0, policies = 0, versions = 0;
    uint8_t pu[2] = {'p', IAM_USER}, pg[2] = {'p', IAM_GROUP}, pr[2] = {'p', IAM_ROLE},
            pp[2] = {'p', IAM_POLICY}, pv[1] = {'v'};
    if (iam_count(c->ctx, kv_slice(pu, 2), &users) || iam_count(c->ctx, kv_slice(pg, 2), &groups) ||
        iam_count(c->ctx, kv_slice(pr, 2), &roles) ||
        iam_count(c->ctx, kv_slice(pp, 2), &policies) ||
        iam_count(c->ctx, kv_slice(pv, 1), &versions))
        return iam_fail_rc(c, KV_EIO);
    api_xw_open(&c->w, "SummaryMap");
    entry(c, "Users", users);
    entry(c, "UsersQuota", 5000);
    entry(c, "Groups", groups);
    entry(c, "GroupsQuota", 300);
    entry(c, "Roles", roles);
    entry(c, "RolesQuota", 1000);
    entry(c, "Policies", policies);
    entry(c, "PoliciesQuota", 1500);
    entry(c, "PolicyVersionsInUse", versions);
    entry(c, "PolicyVersionsInUseQuota", 10000);
    entry(c, "VersionsPerPolicyQuota", IAM_VERSIONS);
    entry(c, "AccessKeysPerUserQuota", IAM_KEYS_MAX);
    entry(c, "AttachedPoliciesPerUserQuota", IAM_ATTACH_MAX);
    entry(c, "AttachedPoliciesPerGroupQuota", IAM_ATTACH_MAX);
    entry(c, "AttachedPoliciesPerRoleQuota", IAM_ATTACH_MAX);
    entry(c, "GroupsPerUserQuota", IAM_GROUPS_MAX);
    entry(c, "PolicySizeQuota", POL_MAX_MANAGED);
    entry(c, "UserPolicySizeQuota", POL_MAX_USER_INL);
    entry(c, "GroupPolicySizeQuota", POL_MAX_GROUP_INL);
    entry(c, "RolePolicySizeQuota", POL_MAX_ROLE_INL);
    entry(c, "AssumeRolePolicySizeQuota", POL_MAX_TRUST);
    entry(c, "MFADevices", 0);
    entry(c, "MFADevicesInUse", 0);
    entry(c, "AccountMFAEnabled", 0);
    entry(c, "AccountAccessKeysPresent", 0);
    entry(c, "AccountSigningCertificatesPresent", 0);
    entry(c, "ServerCertificates", 0);
    entry(c, "ServerCertificatesQuota", 20);
    entry(c, "InstanceProfiles", 0);
    entry(c, "InstanceProfilesQuota", 1000);
    entry(c, "Providers", 0);
    api_xw_close(&c->w, "SummaryMap");
    return 0;
}

/* ---- the simulator ---- */

#define SIM_POLICIES 64 /* documents one simulation evaluates */
#define SIM_ACTIONS  1000
#define SIM_KEYS     100

typedef struct sim_pol {
    pol_t *p;
    kv_slice_t id;    /* SourcePolicyId */
    const char *type; /* SourcePolicyType */
    int role;         /* 0 identity, 1 boundary, 2 resource */
} sim_pol_t;

typedef struct sim {
    iam_call_t *c;
    sim_pol_t pols[SIM_POLICIES];
    size_t n;
    pol_val_t vals[SIM_KEYS];
    size_t n_vals;
    kv_slice_t principal_arn;
    bool has_boundary;
    /* the condition keys the evaluated documents test (MissingContextValues) */
    kv_slice_t keys[SIM_KEYS];
    size_t n_keys;
} sim_t;

static void sim_free(void *arg)
{
    sim_t *s = arg;
    for (size_t i = 0; i < s->n; i++)
        pol_free(s->pols[i].p);
    s->n = 0;
}

/* Parse doc as one of the simulation's documents. @return 0 or -1 answered. */
static int sim_add(sim_t *s, kv_slice_t doc, kv_slice_t id, const char *type, int role)
{
    iam_call_t *c = s->c;
    if (s->n == SIM_POLICIES)
        return api_refuse(c->resp, API_E_IAM_LIMIT, "Too many policies to simulate.");
    const char *err = NULL;
    pol_t *p = pol_parse(doc, role == 2 ? POL_RESOURCE : POL_IDENTITY, c->a, &err);
    if (p == NULL)
        return api_refuse(c->resp, API_E_IAM_MALFORMED_POLICY, "%s",
                          err ? err : "Syntax errors in policy.");
    s->pols[s->n].p = p;
    s->pols[s->n].id = id;
    s->pols[s->n].type = type;
    s->pols[s->n].role = role;
    s->n++;
    if (role == 1)
        s->has_boundary = true;
    return 0;
}

/* The documents of a principal (its inline and attached, its groups' for a user). */
static int sim_principal_docs(sim_t *s, char kind, kv_slice_t name, const char *inl_type)
{
    iam_call_t *c = s->c;
    iam_rec_t *r;
    size_t n;
    int rc =
        iam_collect(c->ctx, c->a, iam_k_of(c->a, 'i', kind, name), KV_SLICE_NULL, 0, &r, &n, NULL);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (sim_add(s, r[i].val, r[i].key, inl_type, 0))
            return -1;
    if (rc == 0)
        rc = iam_collect(c->ctx, c->a, iam_k_of(c->a, 'a', kind, name), KV_SLICE_NULL, 0, &r, &n,
                         NULL);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        kv_slice_t doc, path, pname;
        const char *an;
        bool aws = iam_aws_policy(r[i].key, &an, NULL) != NULL;
        if (aws)
            pname = kv_slice_str(an);
        else if (!iam_policy_arn_parts(r[i].key, &path, &pname))
            continue;
        if (iam_policy_doc(c->ctx, c->a, r[i].key, &doc) != 0)
            continue;
        if (sim_add(s, doc, pname, aws ? "aws-managed" : "user-managed", 0))
            return -1;
    }
    return rc ? iam_fail_rc(c, rc) : 0;
}

static int sim_list(sim_t *s, const char *member, int role)
{
    const api_json_t *l = api_json_get(s->c->in, member);
    size_t n = l ? api_json_len(l) : 0;
    for (size_t i = 0; i < n; i++) {
        const api_json_t *x = api_json_at(l, i);
        if (!x || api_json_type(x) != API_J_STR)
            continue;
        kv_slice_t id = kv_slice_str(kv_arena_printf(s->c->a, "%s.%zu", member, i + 1));
        if (sim_add(s, api_json_str(x), id, role == 1 ? "permissions boundary" : "IAM Policy",
                    role))
            return -1;
    }
    return 0;
}

static int sim_context(sim_t *s)
{
    iam_call_t *c = s->c;
    const api_json_t *l = api_json_get(c->in, "ContextEntries");
    size_t n = l ? api_json_len(l) : 0;
    if (n > SIM_KEYS)
        return iam_validation(c, "Too many context entries.");
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = api_json_at(l, i);
        const api_json_t *k = e ? api_json_get(e, "ContextKeyName") : NULL;
        const api_json_t *v = e ? api_json_get(e, "ContextKeyValues") : NULL;
        if (!k || api_json_type(k) != API_J_STR || api_json_str(k).len == 0 ||
            api_json_str(k).len > 256)
            return api_refuse(c->resp, API_E_IAM_INVALID_INPUT,
                              "Invalid ContextKeyName in ContextEntries.");
        size_t nv = v ? api_json_len(v) : 0;
        kv_slice_t *vals = kv_arena_calloc(c->a, nv ? nv : 1, sizeof(*vals));
        size_t m = 0;
        for (size_t j = 0; j < nv; j++) {
            const api_json_t *x = api_json_at(v, j);
            if (x && api_json_type(x) == API_J_STR)
                vals[m++] = api_json_str(x);
        }
        kv_slice_t ks = api_json_str(k);
        s->vals[s->n_vals].name = kv_arena_strndup(c->a, ks.p, ks.len);
        s->vals[s->n_vals].values = vals;
        s->vals[s->n_vals].n = m;
        s->n_vals++;
    }
    return 0;
}

static void take_key(void *arg, kv_slice_t name)
{
    sim_t *s = arg;
    for (size_t i = 0; i < s->n_keys; i++)
        if (kv_slice_eq(iam_lname(s->c->a, s->keys[i]), iam_lname(s->c->a, name)))
            return;
    if (s->n_keys < SIM_KEYS)
        s->keys[s->n_keys++] = kv_arena_dup(s->c->a, name);
}

/* Evaluate every action on every resource, writing EvaluationResults. */
static int sim_run(sim_t *s)
{
    iam_call_t *c = s->c;
    const api_json_t *acts = api_json_get(c->in, "ActionNames");
    size_t na = acts ? api_json_len(acts) : 0;
    if (na == 0)
        return iam_validation(c, "1 validation error detected: Value null at 'actionNames' "
                                 "failed to satisfy constraint: Member must not be null");
    if (na > SIM_ACTIONS)
        return iam_validation(c, "Too many actions to simulate.");
    const api_json_t *res = api_json_get(c->in, "ResourceArns");
    size_t nr = res ? api_json_len(res) : 0;
    if (nr > SIM_ACTIONS || na * (nr ? nr : 1) > SIM_ACTIONS)
        return iam_validation(c, "Too many actions and resources to simulate.");
    for (size_t i = 0; i < s->n; i++)
        pol_keys_each(s->pols[i].p, take_key, s);
    const pol_val_t *lists[1] = {s->vals};
    size_t counts[1] = {s->n_vals};
    api_xw_open(&c->w, "EvaluationResults");
    for (size_t i = 0; i < na; i++) {
        const api_json_t *a = api_json_at(acts, i);
        if (!a || api_json_type(a) != API_J_STR)
            continue;
        for (size_t j = 0; j < (nr ? nr : 1); j++) {
            kv_slice_t resource = KV_SLICE_LIT("*");
            if (nr) {
                const api_json_t *r = api_json_at(res, j);
                if (!r || api_json_type(r) != API_J_STR)
                    continue;
                resource = api_json_str(r);
            }
            pol_ctx_t pc = {.action = api_json_str(a),
                            .resource = resource,
                            .principal_arn = s->principal_arn,
                            .vals = lists,
                            .n_vals = counts,
                            .n_lists = 1};
            bool id_allow = false, res_allow = false, deny = false, b_allow = !s->has_boundary;
            int matched[SIM_POLICIES];
            size_t nm = 0;
            for (size_t k = 0; k < s->n; k++) {
                pol_match_info_t info = {0};
                pol_effect_t e = pol_eval_info(s->pols[k].p, &pc, &info);
                if (e == POL_NONE)
                    continue;
                if (e == POL_DENY)
                    deny = true;
                else if (s->pols[k].role == 0)
                    id_allow = true;
                else if (s->pols[k].role == 1)
                    b_allow = true;
                else
                    res_allow = true;
                matched[nm++] = (int)k;
            }
            const char *decision = deny                                   ? "explicitDeny"
                                   : ((id_allow && b_allow) || res_allow) ? "allowed"
                                                                          : "implicitDeny";
            api_xw_open(&c->w, "member");
            api_xw_elem(&c->w, "EvalActionName", api_json_str(a));
            api_xw_elem(&c->w, "EvalResourceName", resource);
            api_xw_elem_str(&c->w, "EvalDecision", decision);
            api_xw_open(&c->w, "MatchedStatements");
            for (size_t k = 0; k < nm; k++) {
                const sim_pol_t *sp = &s->pols[matched[k]];
                api_xw_open(&c->w, "member");
                api_xw_elem(&c->w, "SourcePolicyId", sp->id);
                api_xw_elem_str(&c->w, "SourcePolicyType", sp->type);
                api_xw_close(&c->w, "member");
            }
            api_xw_close(&c->w, "MatchedStatements");
            api_xw_open(&c->w, "MissingContextValues");
            for (size_t k = 0; k < s->n_keys; k++) {
                bool given = false;
                for (size_t m = 0; m < s->n_vals && !given; m++)
                    given = kv_slice_eq(iam_lname(c->a, kv_slice_str(s->vals[m].name)),
                                        iam_lname(c->a, s->keys[k]));
                if (!given)
                    api_xw_elem(&c->w, "member", s->keys[k]);
            }
            api_xw_close(&c->w, "MissingContextValues");
            api_xw_open(&c->w, "OrganizationsDecisionDetail");
            api_xw_elem_str(&c->w, "AllowedByOrganizations", "true");
            api_xw_close(&c->w, "OrganizationsDecisionDetail");
            if (s->has_boundary) {
                api_xw_open(&c->w, "PermissionsBoundaryDecisionDetail");
                api_xw_elem_str(&c->w, "AllowedByPermissionsBoundary", b_allow ? "true" : "false");
                api_xw_close(&c->w, "PermissionsBoundaryDecisionDetail");
            }
            api_xw_close(&c->w, "member");
        }
    }
    api_xw_close(&c->w, "EvaluationResults");
    api_xw_elem_str(&c->w, "IsTruncated", "false");
    return 0;
}

static sim_t *sim_new(iam_call_t *c)
{
    sim_t *s = kv_arena_calloc(c->a, 1, sizeof(*s));
    s->c = c;
    kv_arena_on_destroy(c->a, sim_free, s);
    return s;
}

int iam_simulate_principal_policy(iam_call_t *c)
{
    kv_slice_t src = iam_str(c, "PolicySourceArn");
    if (src.p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'policySourceArn' "
                                 "failed to satisfy constraint: Member must not be null");
    api_arn_t pa;
    if (!api_arn_parse(src, &pa) || !kv_slice_eq_str(pa.service, "iam"))
        return api_refuse(c->resp, API_E_IAM_INVALID_INPUT, "Invalid ARN: %.*s",
                          (int)(src.len > 256 ? 256 : src.len), (const char *)src.p);
    /* the resource: user/..., group/... or role/... */
    char kind = 0;
    kv_slice_t r = pa.resource;
    if (r.len > 5 && memcmp(r.p, "user/", 5) == 0)
        kind = IAM_USER;
    else if (r.len > 6 && memcmp(r.p, "group/", 6) == 0)
        kind = IAM_GROUP;
    else if (r.len > 5 && memcmp(r.p, "role/", 5) == 0)
        kind = IAM_ROLE;
    if (!kind)
        return api_refuse(c->resp, API_E_IAM_INVALID_INPUT, "Invalid ARN: %.*s",
                          (int)(src.len > 256 ? 256 : src.len), (const char *)src.p);
    size_t last = 0;
    for (size_t i = 0; i < r.len; i++)
        if (r.p[i] == '/')
            last = i;
    kv_slice_t name = kv_slice(r.p + last + 1, r.len - last - 1);
    api_authz_t az = {.resource = src};
    if (api_authorize(c->ctx, c->req, c->resp, &az))
        return -1;
    iam_ent_t e;
    int rc = iam_ent_get(c->ctx, c->a, kind, name, &e);
    if (rc == KV_ENOTFOUND ||
        (rc == 0 && !kv_slice_eq_str(src, iam_arn(c->a, kind, e.path, e.name))))
        return iam_no_such(c, kind, name);
    if (rc)
        return iam_fail_rc(c, rc);
    sim_t *s = sim_new(c);
    s->principal_arn = src;
    if (sim_context(s) || sim_list(s, "PolicyInputList", 0) ||
        sim_list(s, "PermissionsBoundaryPolicyInputList", 1))
        return -1;
    const char *itype = kind == IAM_USER ? "user" : kind == IAM_GROUP ? "group" : "role";
    if (sim_principal_docs(s, kind, e.name, itype))
        return -1;
    if (kind == IAM_USER) {
        iam_rec_t *g;
        size_t ng;
        rc = iam_collect(c->ctx, c->a, iam_k_of(c->a, 'm', 0, e.name), KV_SLICE_NULL, 0, &g, &ng,
                         NULL);
        if (rc)
            return iam_fail_rc(c, rc);
        for (size_t i = 0; i < ng; i++)
            if (sim_principal_docs(s, IAM_GROUP, g[i].key, "group"))
                return -1;
    }
    if (e.boundary.len && api_json_get(c->in, "PermissionsBoundaryPolicyInputList") == NULL) {
        kv_slice_t doc;
        if (iam_policy_doc(c->ctx, c->a, e.boundary, &doc) == 0 &&
            sim_add(s, doc, e.boundary, "permissions boundary", 1))
            return -1;
    }
    kv_slice_t rp = iam_str(c, "ResourcePolicy");
    if (rp.p && sim_add(s, rp, KV_SLICE_LIT("ResourcePolicy"), "resource", 2))
        return -1;
    kv_slice_t caller = iam_str(c, "CallerArn");
    if (caller.p)
        s->principal_arn = caller;
    return sim_run(s);
}

int iam_simulate_custom_policy(iam_call_t *c)
{
    if (api_json_get(c->in, "PolicyInputList") == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'policyInputList' "
                                 "failed to satisfy constraint: Member must not be null");
    if (iam_authz(c, 0, KV_SLICE_NULL, KV_SLICE_NULL))
        return -1;
    sim_t *s = sim_new(c);
    kv_slice_t caller = iam_str(c, "CallerArn");
    s->principal_arn = caller.p ? caller : KV_SLICE_LIT(IAM_ARN_PREFIX "root");
    if (sim_context(s) || sim_list(s, "PolicyInputList", 0) ||
        sim_list(s, "PermissionsBoundaryPolicyInputList", 1))
        return -1;
    kv_slice_t rp = iam_str(c, "ResourcePolicy");
    if (rp.p && sim_add(s, rp, KV_SLICE_LIT("ResourcePolicy"), "resource", 2))
        return -1;
    return sim_run(s);
}
