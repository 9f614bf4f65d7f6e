/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM's service row (issue 15, package I): the query protocol (credential scope "iam", Action
 * and Version=2010-05-08 in the form body or a GET's query), the one input shape of its
 * operations, dispatch, the XML error document, and the helpers every operation uses (name
 * and path validation, ids, ARNs, pagination, authorization of the operation).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "iam_int.h"
#include "sts/sts_int.h" /* sts_query_finish: the query protocols answer alike */

/* ---- the input shape (one for every operation: each reads its own members) ---- */

static const api_qshape_t tag_f[] = {{.name = "Key"}, {.name = "Value"}};
static const api_qshape_t tag_shape = {.kind = API_Q_STRUCT, .fields = tag_f, .n_fields = 2};
static const api_qshape_t ctx_f[] = {
    {.name = "ContextKeyName"},
    {.name = "ContextKeyValues", .kind = API_Q_LIST},
    {.name = "ContextKeyType"},
};
static const api_qshape_t ctx_entry = {.kind = API_Q_STRUCT, .fields = ctx_f, .n_fields = 3};
static const api_qshape_t input_f[] = {
    {.name = "UserName"},
    {.name = "GroupName"},
    {.name = "RoleName"},
    {.name = "PolicyName"},
    {.name = "PolicyArn"},
    {.name = "PolicyDocument"},
    {.name = "Path"},
    {.name = "PathPrefix"},
    {.name = "NewPath"},
    {.name = "NewUserName"},
    {.name = "NewGroupName"},
    {.name = "Marker"},
    {.name = "MaxItems", .kind = API_Q_INT},
    {.name = "Tags", .kind = API_Q_LIST, .elem = &tag_shape},
    {.name = "TagKeys", .kind = API_Q_LIST},
    {.name = "AccessKeyId"},
    {.name = "Status"},
    {.name = "AssumeRolePolicyDocument"},
    {.name = "Description"},
    {.name = "MaxSessionDuration", .kind = API_Q_INT},
    {.name = "PermissionsBoundary"},
    {.name = "VersionId"},
    {.name = "SetAsDefault", .kind = API_Q_BOOL},
    {.name = "Scope"},
    {.name = "OnlyAttached", .kind = API_Q_BOOL},
    {.name = "PolicyUsageFilter"},
    {.name = "EntityFilter"},
    {.name = "Filter", .kind = API_Q_LIST},
    {.name = "ActionNames", .kind = API_Q_LIST},
    {.name = "ResourceArns", .kind = API_Q_LIST},
    {.name = "ContextEntries", .kind = API_Q_LIST, .elem = &ctx_entry},
    {.name = "PolicySourceArn"},
    {.name = "PolicyInputList", .kind = API_Q_LIST},
    {.name = "PermissionsBoundaryPolicyInputList", .kind = API_Q_LIST},
    {.name = "CallerArn"},
    {.name = "ResourcePolicy"},
    {.name = "ResourceOwner"},
};
static const api_qshape_t iam_input = {
    .kind = API_Q_STRUCT, .fields = input_f, .n_fields = sizeof(input_f) / sizeof(input_f[0])};

/* ---- helpers ---- */

iam_state_t *iam_state(api_ctx_t *ctx)
{
    return api_service_state(ctx, &iam_service);
}

void iam_bump(iam_state_t *st)
{
    if (st)
        atomic_fetch_add(&st->gen, 1);
}

kv_slice_t iam_str(const iam_call_t *c, const char *key)
{
    const api_json_t *v = c->in ? api_json_get(c->in, key) : NULL;
    if (v == NULL || api_json_type(v) != API_J_STR)
        return KV_SLICE_NULL;
    kv_slice_t s = api_json_str(v);
    if (s.p == NULL)
        s = kv_slice("", 0);
    return s;
}

int iam_validation(iam_call_t *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    api_fail(c->resp, API_E_IAM_VALIDATION, "%s", msg);
    return -1;
}

bool iam_name_ok(kv_slice_t name, size_t max)
{
    if (name.len == 0 || name.len > max)
        return false;
    for (size_t i = 0; i < name.len; i++) {
        uint8_t ch = name.p[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || strchr("_+=,.@-", ch) != NULL;
        if (!ok || ch == 0)
            return false;
    }
    return true;
}

bool iam_path_ok(kv_slice_t path)
{
    if (path.len == 0 || path.len > IAM_PATH_MAX || path.p[0] != '/' || path.p[path.len - 1] != '/')
        return false;
    for (size_t i = 0; i < path.len; i++)
        if (path.p[i] < 0x21 || path.p[i] > 0x7e)
            return false;
    return true;
}

/* The lower-camel name AWS's validation messages give a member. */
static const char *camel(kv_arena_t *a, const char *member)
{
    char *s = kv_arena_strndup(a, member, strlen(member));
    if (s[0] >= 'A' && s[0] <= 'Z')
        s[0] = (char)(s[0] - 'A' + 'a');
    return s;
}

int iam_name(iam_call_t *c, const char *member, int max, bool required, kv_slice_t *out)
{
    kv_slice_t s = iam_str(c, member);
    *out = s;
    if (s.p == NULL) {
        if (!required)
            return 0;
        return iam_validation(c,
                              "1 validation error detected: Value null at '%s' failed to "
                              "satisfy constraint: Member must not be null",
                              camel(c->a, member));
    }
    if (s.len == 0 || s.len > (size_t)max)
        return iam_validation(c,
                              "1 validation error detected: Value '%.*s' at '%s' failed to "
                              "satisfy constraint: Member must have length %s %d",
                              (int)(s.len > 256 ? 256 : s.len), (const char *)s.p,
                              camel(c->a, member),
                              s.len == 0 ? "greater than or equal to" : "less than or equal to",
                              s.len == 0 ? 1 : max);
    if (!iam_name_ok(s, (size_t)max))
        return iam_validation(c,
                              "1 validation error detected: Value '%.*s' at '%s' failed to "
                              "satisfy constraint: Member must satisfy regular expression "
                              "pattern: [\\w+=,.@-]+",
                              (int)s.len, (const char *)s.p, camel(c->a, member));
    return 0;
}

int iam_path(iam_call_t *c, const char *member, bool prefix, kv_slice_t *out)
{
    kv_slice_t s = iam_str(c, member);
    if (s.p == NULL) {
        *out = KV_SLICE_LIT("/");
        return 0;
    }
    *out = s;
    bool ok;
    if (prefix) { /* a prefix: "/" then printable ASCII, need not end with "/" */
        ok = s.len >= 1 && s.len <= IAM_PATH_MAX && s.p[0] == '/';
        for (size_t i = 0; ok && i < s.len; i++)
            ok = s.p[i] >= 0x21 && s.p[i] <= 0x7e;
    } else {
        ok = iam_path_ok(s);
    }
    if (!ok) {
        if (s.len > IAM_PATH_MAX)
            return iam_validation(c,
                                  "1 validation error detected: Value '%.*s' at '%s' failed to "
                                  "satisfy constraint: Member must have length less than or "
                                  "equal to %d",
                                  64, (const char *)s.p, camel(c->a, member), IAM_PATH_MAX);
        return iam_validation(c,
                              "The specified value for %s is invalid. It must begin and end "
                              "with / and contain only alphanumeric characters and/or / "
                              "characters.",
                              camel(c->a, member));
    }
    return 0;
}

void iam_new_id(const char *prefix, size_t n, char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"; /* 32 symbols: no bias */
    size_t pl = strlen(prefix);
    memcpy(out, prefix, pl);
    uint8_t r[64];
    if (n > sizeof(r))
        n = sizeof(r);
    kv_random(r, n);
    for (size_t i = 0; i < n; i++)
        out[pl + i] = al[r[i] & 31];
    out[pl + n] = 0;
}

void iam_new_secret(char out[41])
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t r[40];
    kv_random(r, sizeof(r));
    for (size_t i = 0; i < 40; i++)
        out[i] = al[r[i] & 63];
    out[40] = 0;
}

static const char *kind_type(char kind)
{
    switch (kind) {
    case IAM_USER:
        return "user";
    case IAM_GROUP:
        return "group";
    case IAM_ROLE:
        return "role";
    default:
        return "policy";
    }
}

const char *iam_arn(kv_arena_t *a, char kind, kv_slice_t path, kv_slice_t name)
{
    return kv_arena_printf(a, IAM_ARN_PREFIX "%s%.*s%.*s", kind_type(kind), (int)path.len,
                           (const char *)path.p, (int)name.len, (const char *)name.p);
}

/* Is action one of names (a NULL-terminated list)? */
static bool action_in(const char *action, const char *const *names)
{
    for (size_t i = 0; action && names[i]; i++)
        if (strcmp(action, names[i]) == 0)
            return true;
    return false;
}

int iam_authz(iam_call_t *c, char kind, kv_slice_t path, kv_slice_t name)
{
    api_authz_t az = {.resource = KV_SLICE_LIT("*")};
    if (kind)
        az.resource = kv_slice_str(iam_arn(c->a, kind, path.len ? path : KV_SLICE_LIT("/"), name));
    /* IAM's own condition keys of the request, as AWS gives them: iam:PolicyARN of the
     * attachments (the guardrail "never attach AdministratorAccess" denies on it) and
     * iam:PermissionsBoundary of the operations that set a boundary. */
    static const char *const attach_ops[] = {"iam:AttachUserPolicy",
                                             "iam:AttachGroupPolicy",
                                             "iam:AttachRolePolicy",
                                             "iam:DetachUserPolicy",
                                             "iam:DetachGroupPolicy",
                                             "iam:DetachRolePolicy",
                                             NULL};
    static const char *const boundary_ops[] = {"iam:CreateUser", "iam:CreateRole",
                                               "iam:PutUserPermissionsBoundary",
                                               "iam:PutRolePermissionsBoundary", NULL};
    /* aws:RequestTag/<k> and aws:TagKeys of the operations that tag, aws:TagKeys of those that
     * untag, aws:ResourceTag/<k> of an existing user, role or policy (ABAC on IAM itself). */
    static const char *const tag_ops[] = {"iam:CreateUser",
                                          "iam:CreateRole",
                                          "iam:CreatePolicy",
                                          "iam:TagUser",
                                          "iam:TagRole",
                                          "iam:TagPolicy",
                                          NULL};
    static const char *const untag_ops[] = {"iam:UntagUser", "iam:UntagRole", "iam:UntagPolicy",
                                            NULL};
    const char *action = api_op_action(c->req);
    const api_json_t *tags = action_in(action, tag_ops) ? api_json_get(c->in, "Tags") : NULL;
    const api_json_t *untag = action_in(action, untag_ops) ? api_json_get(c->in, "TagKeys") : NULL;
    size_t n_req = tags && api_json_type(tags) == API_J_ARR ? api_json_len(tags) : 0;
    size_t n_untag = untag && api_json_type(untag) == API_J_ARR ? api_json_len(untag) : 0;
    if (n_req > IAM_TAGS_MAX)
        n_req = IAM_TAGS_MAX; /* the operation refuses more */
    if (n_untag > IAM_TAGS_MAX)
        n_untag = IAM_TAGS_MAX;
    iam_ent_t ent;
    bool has_ent = (kind == IAM_USER || kind == IAM_ROLE || kind == IAM_POLICY) && name.len &&
                   iam_ent_get(c->ctx, c->a, kind, name, &ent) == 0;
    size_t n_res = has_ent ? ent.n_tags : 0;
    size_t cap = 3 + n_req + n_res;
    api_ckey_t *keys = kv_arena_alloc(c->a, cap * sizeof(*keys));
    kv_slice_t *vals = kv_arena_alloc(c->a, cap * sizeof(*vals)); /* one value per key */
    kv_slice_t *tag_keys = kv_arena_alloc(c->a, (n_req + n_untag + 1) * sizeof(*tag_keys));
    size_t n = 0, n_keys = 0;
    if (action_in(action, attach_ops) && (vals[n] = iam_str(c, "PolicyArn")).len) {
        keys[n] = (api_ckey_t){"iam:PolicyARN", &vals[n], 1};
        n++;
    }
    if (action_in(action, boundary_ops) && (vals[n] = iam_str(c, "PermissionsBoundary")).len) {
        keys[n] = (api_ckey_t){"iam:PermissionsBoundary", &vals[n], 1};
        n++;
    }
    for (size_t i = 0; i < n_res; i++) {
        vals[n] = ent.tags[i].value;
        keys[n] =
            (api_ckey_t){kv_arena_printf(c->a, "aws:ResourceTag/%.*s", (int)ent.tags[i].key.len,
                                         (const char *)ent.tags[i].key.p),
                         &vals[n], 1};
        n++;
    }
    for (size_t i = 0; i < n_req; i++) {
        const api_json_t *t = api_json_at(tags, i);
        const api_json_t *k = t ? api_json_get(t, "Key") : NULL;
        const api_json_t *v = t ? api_json_get(t, "Value") : NULL;
        kv_slice_t ks = k && api_json_type(k) == API_J_STR ? api_json_str(k) : KV_SLICE_NULL;
        if (ks.len == 0)
            continue;
        tag_keys[n_keys++] = ks;
        vals[n] = v && api_json_type(v) == API_J_STR ? api_json_str(v) : kv_slice("", 0);
        keys[n] = (api_ckey_t){
            kv_arena_printf(c->a, "aws:RequestTag/%.*s", (int)ks.len, (const char *)ks.p), &vals[n],
            1};
        n++;
    }
    for (size_t i = 0; i < n_untag; i++) {
        const api_json_t *k = api_json_at(untag, i);
        if (k && api_json_type(k) == API_J_STR)
            tag_keys[n_keys++] = api_json_str(k);
    }
    if (n_keys)
        keys[n++] = (api_ckey_t){"aws:TagKeys", tag_keys, n_keys};
    az.keys = keys;
    az.n_keys = n;
    return api_authorize(c->ctx, c->req, c->resp, &az) == 0 ? 0 : -1;
}

int iam_page_args(iam_call_t *c, size_t *max, kv_slice_t *marker)
{
    *max = IAM_PAGE_DEF;
    const api_json_t *v = api_json_get(c->in, "MaxItems");
    int64_t m;
    if (v && api_json_int(v, &m)) {
        if (m < 1 || m > IAM_PAGE_MAX)
            return iam_validation(c,
                                  "1 validation error detected: Value '%lld' at 'maxItems' "
                                  "failed to satisfy constraint: Member must have value %s %d",
                                  (long long)m,
                                  m < 1 ? "greater than or equal to" : "less than or equal to",
                                  m < 1 ? 1 : IAM_PAGE_MAX);
        *max = (size_t)m;
    }
    kv_slice_t mk = iam_str(c, "Marker");
    *marker = KV_SLICE_NULL;
    if (mk.p == NULL)
        return 0;
    /* a marker is the hex of the last key suffix answered */
    if (mk.len == 0 || mk.len % 2 || mk.len > 2 * ENG_IAM_KEY_MAX)
        return iam_validation(c, "Invalid Marker.");
    uint8_t *p = kv_arena_alloc(c->a, mk.len / 2);
    for (size_t i = 0; i < mk.len / 2; i++) {
        int hv = 0;
        for (int j = 0; j < 2; j++) {
            uint8_t ch = mk.p[2 * i + (size_t)j];
            int d = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
            if (d < 0)
                return iam_validation(c, "Invalid Marker.");
            hv = hv * 16 + d;
        }
        p[i] = (uint8_t)hv;
    }
    *marker = kv_slice(p, mk.len / 2);
    return 0;
}

void iam_page_end(iam_call_t *c, bool truncated, kv_slice_t last)
{
    api_xw_elem_str(&c->w, "IsTruncated", truncated ? "true" : "false");
    if (truncated) {
        kv_buf_t b;
        kv_buf_init(&b, 2 * ENG_IAM_KEY_MAX + 1);
        kv_buf_append_hex(&b, last.p, last.len);
        api_xw_elem(&c->w, "Marker", kv_buf_slice(&b));
        kv_buf_dispose(&b);
    }
}

void iam_xml_date(iam_call_t *c, const char *tag, int64_t ms)
{
    char iso[25];
    kv_time_fmt_iso(ms, iso);
    /* IAM's dates have whole seconds: 2026-12-04T13:55:42Z */
    char out[21];
    memcpy(out, iso, 19);
    out[19] = 'Z';
    out[20] = 0;
    api_xw_elem_str(&c->w, tag, out);
}

void iam_xml_tags(iam_call_t *c, const char *tagname, const api_kv_t *t, size_t n, bool empty)
{
    if (n == 0 && !empty)
        return;
    api_xw_open(&c->w, tagname);
    for (size_t i = 0; i < n; i++) {
        api_xw_open(&c->w, "member");
        api_xw_elem(&c->w, "Key", t[i].key);
        api_xw_elem(&c->w, "Value", t[i].value);
        api_xw_close(&c->w, "member");
    }
    api_xw_close(&c->w, tagname);
}

kv_slice_t iam_urlencode(kv_arena_t *a, kv_slice_t s)
{
    static const char hex[] = "0123456789ABCDEF";
    uint8_t *p = kv_arena_alloc(a, s.len * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t ch = s.p[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            p[o++] = ch;
        } else {
            p[o++] = '%';
            p[o++] = (uint8_t)hex[ch >> 4];
            p[o++] = (uint8_t)hex[ch & 15];
        }
    }
    return kv_slice(p, o);
}

int iam_tags_in(iam_call_t *c, api_kv_t **t, size_t *n)
{
    *t = NULL;
    *n = 0;
    const api_json_t *v = api_json_get(c->in, "Tags");
    if (v == NULL)
        return 0;
    size_t len = api_json_len(v);
    if (len > IAM_TAGS_MAX)
        return iam_validation(c,
                              "1 validation error detected: Value at 'tags' failed to satisfy "
                              "constraint: Member must have length less than or equal to %d",
                              IAM_TAGS_MAX);
    api_kv_t *out = kv_arena_calloc(c->a, len ? len : 1, sizeof(*out));
    for (size_t i = 0; i < len; i++) {
        const api_json_t *e = api_json_at(v, i);
        const api_json_t *k = e ? api_json_get(e, "Key") : NULL;
        const api_json_t *val = e ? api_json_get(e, "Value") : NULL;
        kv_slice_t ks = k && api_json_type(k) == API_J_STR ? api_json_str(k) : KV_SLICE_NULL;
        kv_slice_t vs = val && api_json_type(val) == API_J_STR ? api_json_str(val) : KV_SLICE_NULL;
        if (ks.len == 0 || ks.len > 128)
            return iam_validation(c,
                                  "1 validation error detected: Value at 'tags.%zu.member.key' "
                                  "failed to satisfy constraint: Member must have length "
                                  "between 1 and 128",
                                  i + 1);
        if (vs.p == NULL)
            vs = kv_slice("", 0);
        if (vs.len > 256)
            return iam_validation(c,
                                  "1 validation error detected: Value at "
                                  "'tags.%zu.member.value' failed to satisfy constraint: "
                                  "Member must have length less than or equal to 256",
                                  i + 1);
        for (size_t j = 0; j < i; j++)
            if (kv_slice_eq(iam_lname(c->a, out[j].key), iam_lname(c->a, ks)))
                return api_refuse(c->resp, API_E_IAM_INVALID_INPUT,
                                  "Duplicate tag keys found. Please note that Tag keys are "
                                  "case insensitive.");
        out[i].key = ks;
        out[i].value = vs;
    }
    *t = out;
    *n = len;
    return 0;
}

int iam_fail_rc(iam_call_t *c, int rc)
{
    api_fail(c->resp, API_E_IAM_SERVICE_FAILURE, "%s", kv_err_str(rc));
    return -1;
}

/* ---- dispatch ---- */

static const api_op_desc_t iam_ops[IAM_OP__COUNT] = {
#define XX(Name, cname) {.name = #Name, .flags = 0},
    IAM_OP_MAP(XX)
#undef XX
};

typedef int (*iam_fn)(iam_call_t *c);
static const iam_fn iam_fns[IAM_OP__COUNT] = {
#define XX(Name, name) iam_##name,
    IAM_OP_MAP(XX)
#undef XX
};

/* Operations whose response has no <Result> element. */
static bool has_result(int op)
{
    static const char *const none[] = {"UpdateUser",
                                       "DeleteUser",
                                       "TagUser",
                                       "UntagUser",
                                       "UpdateGroup",
                                       "DeleteGroup",
                                       "AddUserToGroup",
                                       "RemoveUserFromGroup",
                                       "DeleteRole",
                                       "UpdateAssumeRolePolicy",
                                       "TagRole",
                                       "UntagRole",
                                       "PutUserPermissionsBoundary",
                                       "DeleteUserPermissionsBoundary",
                                       "PutRolePermissionsBoundary",
                                       "DeleteRolePermissionsBoundary",
                                       "UpdateAccessKey",
                                       "DeleteAccessKey",
                                       "PutUserPolicy",
                                       "DeleteUserPolicy",
                                       "PutGroupPolicy",
                                       "DeleteGroupPolicy",
                                       "PutRolePolicy",
                                       "DeleteRolePolicy",
                                       "DeletePolicy",
                                       "DeletePolicyVersion",
                                       "SetDefaultPolicyVersion",
                                       "AttachUserPolicy",
                                       "DetachUserPolicy",
                                       "AttachGroupPolicy",
                                       "DetachGroupPolicy",
                                       "AttachRolePolicy",
                                       "DetachRolePolicy",
                                       "TagPolicy",
                                       "UntagPolicy",
                                       NULL};
    for (size_t i = 0; none[i]; i++)
        if (strcmp(none[i], iam_ops[op].name) == 0)
            return false;
    return true;
}

static int route(api_ctx_t *ctx, api_req_t *req)
{
    (void)ctx, (void)req;
    return API_OP_NONE; /* the Action is in the body: dispatch names the row */
}

static void iam_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    bool get = kv_slice_eq_str(req->method, "GET");
    kv_slice_t form = get ? req->query : kv_buf_slice(&st->body);
    api_query_t q;
    const char *err = NULL;
    int rc = api_query_parse(req->arena, form, &q, &err);
    if (rc) {
        api_fail(resp, API_E_IAM_MALFORMED_QUERY, "%s", err);
        return;
    }
    int op = q.has_action ? api_op_named(st->svc, q.action) : API_OP_NONE;
    if (op < 0) {
        if (!q.has_action)
            api_fail(resp, API_E_IAM_MISSING_ACTION, "Missing Action");
        else
            api_fail(resp, API_E_IAM_INVALID_ACTION,
                     "Could not find operation %.*s for version %.*s",
                     (int)(q.action.len > 128 ? 128 : q.action.len), (const char *)q.action.p,
                     (int)(q.version.len > 32 ? 32 : q.version.len), (const char *)q.version.p);
        return;
    }
    st->op = op;
    if (st->principal.kind == API_PR_USER_SESSION || st->principal.kind == API_PR_ROOT_SESSION) {
        api_fail(resp, API_E_IAM_ACCESS_DENIED,
                 "Cannot call IAM APIs with session credentials obtained from GetSessionToken "
                 "unless MFA authenticated.");
        return;
    }
    api_json_t *in;
    rc = api_query_decode(req->arena, &q, &iam_input, &in, &err);
    if (rc) {
        api_fail(resp, API_E_IAM_VALIDATION, "%s", err);
        return;
    }
    iam_call_t c = {
        .ctx = ctx, .req = req, .resp = resp, .a = req->arena, .in = in, .st = iam_state(ctx)};
    const char *name = iam_ops[op].name;
    api_query_resp_begin(&c.w, &resp->body, name, IAM_NS, has_result(op));
    if (iam_fns[op](&c) < 0)
        return;
    api_query_resp_end(&c.w, name, has_result(op), kv_slice_str(st->request_id));
    if (kv_buf_failed(&resp->body))
        api_fail(resp, API_E_IAM_SERVICE_FAILURE, "The response was too large");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("text/xml"));
}

static void iam_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    sts_query_finish(req, resp, IAM_NS);
}

static const char *const iam_scopes[] = {"iam", NULL};
static const api_job_t iam_jobs[] = {{"iam-keys", 10000, false, iam_used_run}};

const api_service_t iam_service = {
    .name = "iam",
    .scopes = iam_scopes,
    .ops = iam_ops,
    .n_ops = IAM_OP__COUNT,
    .route = route,
    .body_max = 1u << 20,
    .dispatch = iam_dispatch,
    .finish = iam_finish,
    .ids = API_IDS_UUID,
    .err_internal = API_E_IAM_SERVICE_FAILURE,
    .err_throttle = API_E_IAM_THROTTLING,
    .iam_prefix = "iam",
    .err_denied = API_E_IAM_ACCESS_DENIED,
    .err_too_large = API_E_IAM_TOO_LARGE,
    .err_stream_large = API_E_IAM_TOO_LARGE,
    .jobs = iam_jobs,
    .n_jobs = 1,
    .init = iam_init,
    .fini = iam_fini,
};
