/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STS's operations (issue 15, package T): AssumeRole (the trust policy evaluated as the role's
 * resource policy, as AWS does within one account; session policies, policy ARNs, session tags
 * and transitive keys, source identity, external id, role chaining's one hour), GetSessionToken,
 * GetCallerIdentity and GetAccessKeyInfo. Each answers with a version 2 session token
 * (auth/api_session.h) that carries the whole session.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/kv_time.h"
#include "sts_int.h"

/* ---- input helpers ---- */

static kv_slice_t str_of(const api_json_t *in, const char *key, bool *present)
{
    const api_json_t *v = in ? api_json_get(in, key) : NULL;
    if (present)
        *present = v != NULL && api_json_type(v) == API_J_STR;
    if (v == NULL || api_json_type(v) != API_J_STR)
        return kv_slice("", 0);
    kv_slice_t s = api_json_str(v);
    return s.p ? s : kv_slice("", 0);
}

/* AWS's ValidationError: "1 validation error detected: Value 'v' at 'field' failed to satisfy
 * constraint: Member must ...". @return -1. */
static int invalid(sts_call_t *c, kv_slice_t v, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int invalid(sts_call_t *c, kv_slice_t v, const char *field, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (v.p == NULL)
        return api_refuse(c->resp, API_E_STS_VALIDATION,
                          "1 validation error detected: Value null at '%s' failed to satisfy "
                          "constraint: %s",
                          field, why);
    return api_refuse(c->resp, API_E_STS_VALIDATION,
                      "1 validation error detected: Value '%.*s' at '%s' failed to satisfy "
                      "constraint: %s",
                      (int)(v.len > 256 ? 256 : v.len), (const char *)v.p, field, why);
}

/* [\w+=,.@-] (and extra characters) */
static bool name_chars(kv_slice_t s, const char *extra)
{
    for (size_t i = 0; i < s.len; i++) {
        uint8_t ch = s.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || strchr("+=,.@-", ch) || (extra && strchr(extra, ch))) ||
            ch == 0)
            return false;
    }
    return true;
}

/* A string member with a length range and a character class (NULL extra and no class check
 * when cls is false). @return 0, or -1 answered. */
static int check_name(sts_call_t *c, kv_slice_t v, const char *field, size_t min, size_t max,
                      bool cls, const char *extra, const char *pattern)
{
    if (v.len < min)
        return invalid(c, v, field, "Member must have length greater than or equal to %zu", min);
    if (v.len > max)
        return invalid(c, v, field, "Member must have length less than or equal to %zu", max);
    if (cls && !name_chars(v, extra))
        return invalid(c, v, field, "Member must satisfy regular expression pattern: %s", pattern);
    return 0;
}

/* DurationSeconds (absent: dflt) within [STS_MIN_S, max_model]. @return 0, or -1 answered. */
static int duration_in(sts_call_t *c, int64_t max_model, int64_t dflt, int64_t *out)
{
    const api_json_t *v = api_json_get(c->in, "DurationSeconds");
    *out = dflt;
    if (v == NULL)
        return 0;
    int64_t d;
    if (!api_json_int(v, &d))
        return api_refuse(c->resp, API_E_STS_VALIDATION, "Invalid value for DurationSeconds");
    char text[24];
    snprintf(text, sizeof(text), "%lld", (long long)d);
    if (d < STS_MIN_S)
        return invalid(c, kv_slice_str(text), "durationSeconds",
                       "Member must have value greater than or equal to %d", STS_MIN_S);
    if (d > max_model)
        return invalid(c, kv_slice_str(text), "durationSeconds",
                       "Member must have value less than or equal to %lld", (long long)max_model);
    *out = d;
    return 0;
}

/* ---- the caller ---- */

/* The caller's own session token, verified again (its transitive tags and source identity
 * carry over into a chained session). @return true for a session. */
static bool caller_session(sts_call_t *c, uint8_t *bin, api_session_principal_t *sp)
{
    const api_state_t *st = c->req->_st;
    if (!st->session)
        return false;
    char sk[API_SESSION_SK_LEN + 1];
    api_session_result_t r =
        api_session_verify(&c->ctx->session_keys, st->auth.access_key, st->session_token,
                           (int64_t)time(NULL), sk, bin, sp);
    OPENSSL_cleanse(sk, sizeof(sk));
    return r == API_SESSION_OK;
}

static void expiration(api_xw_t *w, int64_t t)
{
    char iso[25];
    kv_time_fmt_iso(t * 1000, iso);
    iso[19] = 'Z';
    iso[20] = 0;
    api_xw_elem_str(w, "Expiration", iso);
}

static void credentials(api_xw_t *w, const api_creds_t *cr)
{
    api_xw_open(w, "Credentials");
    api_xw_elem_str(w, "AccessKeyId", cr->access_key);
    api_xw_elem_str(w, "SecretAccessKey", cr->secret_key);
    api_xw_elem_str(w, "SessionToken", cr->token);
    expiration(w, cr->expires);
    api_xw_close(w, "Credentials");
}

/* ---- the trust policy ---- */

/* Condition keys of an AssumeRole: the request's (sts:ExternalId, sts:RoleSessionName,
 * sts:SourceIdentity, aws:RequestTag/<k>, aws:TagKeys, sts:TransitiveTagKeys) and the
 * caller's for the trust policy's own evaluation. */
typedef struct keyset {
    api_ckey_t k[8 + 2 * API_SESSION_TAGS_MAX + 64]; /* 64: the role's own tags */
    pol_val_t v[8 + 2 * API_SESSION_TAGS_MAX + 64];
    size_t nk, nv;
} keyset_t;

static void key_add(kv_arena_t *a, keyset_t *ks, const char *name, const kv_slice_t *vals, size_t n)
{
    if (n == 0 || ks->nk >= sizeof(ks->k) / sizeof(ks->k[0]) ||
        ks->nv >= sizeof(ks->v) / sizeof(ks->v[0]))
        return;
    kv_slice_t *copy = kv_arena_calloc(a, n, sizeof(*copy));
    memcpy(copy, vals, n * sizeof(*copy));
    ks->k[ks->nk++] = (api_ckey_t){name, copy, n};
    ks->v[ks->nv++] = (pol_val_t){name, copy, n};
}

static void key_one(kv_arena_t *a, keyset_t *ks, const char *name, kv_slice_t v, bool always)
{
    if (v.len || always)
        key_add(a, ks, name, &v, 1);
}

/* The client's address without the ":port" the server appends to it (aws:SourceIp). */
static kv_slice_t peer_ip(kv_slice_t peer)
{
    for (size_t i = peer.len; i > 0; i--)
        if (peer.p[i - 1] == ':')
            return kv_slice(peer.p, i - 1);
    return peer;
}

/*
 * May the caller perform action (sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity) on the
 * role? The trust policy must allow the caller (evaluated with the caller's global condition
 * keys and the request's); then the decision is api_authorize's with the trust policy as the
 * role's resource policy: within the one account, a trust policy naming the caller itself (the
 * user's ARN, the session's ARN) suffices on its own, one naming only the account delegates to
 * the caller's identity policies, which must allow the action too, and explicit denies anywhere
 * refuse. The root needs only the trust policy.
 */
static bool trust_allows(sts_call_t *c, const api_iam_role_t *role, const pol_t *trust,
                         const char *action, const keyset_t *ks)
{
    const api_principal_t *p = api_principal(c->req);
    const pol_val_t *g = NULL;
    size_t ng = api_authz_global_keys(c->ctx, p, peer_ip(c->req->peer), c->req->tls, c->a, &g);
    const pol_val_t *lists[2] = {g, ks->v};
    size_t ns[2] = {ng, ks->nv};
    pol_ctx_t pc = {
        .action = kv_slice_str(action),
        .resource = role->arn,
        .principal_arn = p->arn,
        .principal_role = p->kind == API_PR_ROLE ? p->role_arn : KV_SLICE_NULL,
        .vals = lists,
        .n_vals = ns,
        .n_lists = 2,
    };
    if (pol_eval(trust, &pc) != POL_ALLOW)
        return false;
    api_authz_t az = {
        .action = action,
        .resource = role->arn,
        .keys = ks->k,
        .n_keys = ks->nk,
        .res = {.policy = trust, .owner_arn = KV_SLICE_LIT("arn:aws:iam::" API_ACCOUNT_ID ":root")},
        .flags = API_AZ_QUIET,
    };
    return api_authorize(c->ctx, c->req, c->resp, &az) == 0;
}

static int assume_denied(sts_call_t *c, kv_slice_t role_arn)
{
    const api_principal_t *p = api_principal(c->req);
    return api_refuse(c->resp, API_E_STS_ACCESS_DENIED,
                      "User: %.*s is not authorized to perform: sts:AssumeRole on resource: %.*s",
                      (int)p->arn.len, (const char *)p->arn.p,
                      (int)(role_arn.len > 2048 ? 2048 : role_arn.len), (const char *)role_arn.p);
}

/* ---- AssumeRole ---- */

/* Tag keys: [\p{L}\p{Z}\p{N}_.:/=+\-@]+, values the same with *; bytes from 0x80 on are
 * letters of some script here (UTF-8 was checked by the query decoder). */
static bool tag_chars(kv_slice_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        uint8_t ch = s.p[i];
        if (!(ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || (ch && strchr(" _.:/=+-@", ch))))
            return false;
    }
    return true;
}

static bool key_eq_nocase(kv_slice_t a, kv_slice_t b)
{
    return a.len == b.len && strncasecmp((const char *)a.p, (const char *)b.p, a.len) == 0;
}

/* Tags and TransitiveTagKeys into sp (after the transitive tags sp inherited). */
static int tags_in(sts_call_t *c, api_session_principal_t *sp, size_t inherited)
{
    const api_json_t *tags = api_json_get(c->in, "Tags");
    size_t n = tags && api_json_type(tags) == API_J_ARR ? api_json_len(tags) : 0;
    if (n > API_SESSION_TAGS_MAX)
        return invalid(c, KV_SLICE_LIT("[...]"), "tags",
                       "Member must have length less than or equal to %d", API_SESSION_TAGS_MAX);
    if (sp->n_tags + n > API_SESSION_TAGS_MAX)
        return api_refuse(c->resp, API_E_STS_INVALID_PARAM,
                          "The number of session tags, with the transitive tags of the calling "
                          "session, cannot exceed %d.",
                          API_SESSION_TAGS_MAX);
    for (size_t i = 0; i < n; i++) {
        const api_json_t *t = api_json_at(tags, i);
        bool hk = false, hv = false;
        kv_slice_t k = str_of(t, "Key", &hk), v = str_of(t, "Value", &hv);
        if (!hk)
            return invalid(c, KV_SLICE_NULL, "tags.member.key", "Member must not be null");
        if (!hv)
            return invalid(c, KV_SLICE_NULL, "tags.member.value", "Member must not be null");
        if (check_name(c, k, "tags.member.key", 1, STS_TAG_KEY_MAX, false, NULL, NULL) < 0 ||
            check_name(c, v, "tags.member.value", 0, STS_TAG_VAL_MAX, false, NULL, NULL) < 0)
            return -1;
        if (!tag_chars(k))
            return invalid(c, k, "tags.member.key",
                           "Member must satisfy regular expression pattern: "
                           "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+");
        if (!tag_chars(v))
            return invalid(c, v, "tags.member.value",
                           "Member must satisfy regular expression pattern: "
                           "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");
        for (size_t j = 0; j < sp->n_tags; j++) {
            if (!key_eq_nocase(sp->tags[j].key, k))
                continue;
            if (j < inherited)
                return api_refuse(c->resp, API_E_STS_INVALID_PARAM,
                                  "One of the specified session tags conflicts with a "
                                  "transitive session tag of the calling session: %.*s",
                                  (int)k.len, (const char *)k.p);
            return api_refuse(c->resp, API_E_STS_INVALID_PARAM,
                              "Duplicate tag keys found. Please note that Tag keys are case "
                              "insensitive.");
        }
        sp->tags[sp->n_tags++] = (api_session_tag_t){k, v};
    }
    const api_json_t *tk = api_json_get(c->in, "TransitiveTagKeys");
    size_t nt = tk && api_json_type(tk) == API_J_ARR ? api_json_len(tk) : 0;
    if (nt > API_SESSION_TAGS_MAX)
        return invalid(c, KV_SLICE_LIT("[...]"), "transitiveTagKeys",
                       "Member must have length less than or equal to %d", API_SESSION_TAGS_MAX);
    for (size_t i = 0; i < nt; i++) {
        const api_json_t *e = api_json_at(tk, i);
        kv_slice_t k = api_json_type(e) == API_J_STR ? api_json_str(e) : kv_slice("", 0);
        if (check_name(c, k, "transitiveTagKeys.member", 1, STS_TAG_KEY_MAX, false, NULL, NULL) < 0)
            return -1;
        bool found = false;
        for (size_t j = inherited; j < sp->n_tags && !found; j++)
            found = key_eq_nocase(sp->tags[j].key, k);
        if (!found)
            return api_refuse(c->resp, API_E_STS_INVALID_PARAM,
                              "The specified transitive tag key must be included in the "
                              "requested tags.");
        bool dup = false;
        for (size_t j = 0; j < sp->n_transitive && !dup; j++)
            dup = key_eq_nocase(sp->transitive[j], k);
        if (!dup && sp->n_transitive < API_SESSION_TAGS_MAX)
            sp->transitive[sp->n_transitive++] = k;
    }
    return 0;
}

/* Policy and PolicyArns into sp, validated. @return 0, or -1 answered. */
static int session_policies_in(sts_call_t *c, api_session_principal_t *sp)
{
    bool has = false;
    kv_slice_t pol = str_of(c->in, "Policy", &has);
    if (has) {
        if (check_name(c, pol, "policy", 1, STS_POLICY_MAX, false, NULL, NULL) < 0)
            return -1;
        const char *err = NULL;
        if (pol_cached(pol, POL_IDENTITY, c->a, &err) == NULL)
            return api_refuse(c->resp, API_E_STS_MALFORMED_POLICY, "%s",
                              err ? err : "Syntax errors in policy.");
        sp->policy = pol;
    }
    const api_json_t *arns = api_json_get(c->in, "PolicyArns");
    size_t n = arns && api_json_type(arns) == API_J_ARR ? api_json_len(arns) : 0;
    if (n > API_SESSION_ARNS_MAX)
        return invalid(c, KV_SLICE_LIT("[...]"), "policyArns",
                       "Member must have length less than or equal to %d", API_SESSION_ARNS_MAX);
    for (size_t i = 0; i < n; i++) {
        kv_slice_t arn = str_of(api_json_at(arns, i), "arn", NULL);
        if (check_name(c, arn, "policyArns.member.arn", STS_ARN_MIN, STS_ARN_MAX, false, NULL,
                       NULL) < 0)
            return -1;
        kv_slice_t text;
        if (sts_managed_policy(c->ctx, arn, c->a, &text) != 0)
            return api_refuse(c->resp, API_E_STS_INVALID_PARAM,
                              "The policy %.*s does not exist or is not attachable.", (int)arn.len,
                              (const char *)arn.p);
        sp->policy_arns[sp->n_policy_arns++] = arn;
    }
    return 0;
}

int sts_assume_role(sts_call_t *c)
{
    const api_principal_t *p = api_principal(c->req);
    bool has_arn = false, has_name = false, has_si = false, has_ext = false;
    kv_slice_t role_arn = str_of(c->in, "RoleArn", &has_arn);
    kv_slice_t name = str_of(c->in, "RoleSessionName", &has_name);
    if (!has_arn)
        return invalid(c, KV_SLICE_NULL, "roleArn", "Member must not be null");
    if (!has_name)
        return invalid(c, KV_SLICE_NULL, "roleSessionName", "Member must not be null");
    if (check_name(c, role_arn, "roleArn", STS_ARN_MIN, STS_ARN_MAX, false, NULL, NULL) < 0 ||
        check_name(c, name, "roleSessionName", 2, API_SESSION_NAME_MAX, true, NULL,
                   "[\\w+=,.@-]*") < 0)
        return -1;
    kv_slice_t si = str_of(c->in, "SourceIdentity", &has_si);
    if (has_si && check_name(c, si, "sourceIdentity", 2, API_SESSION_NAME_MAX, true, NULL,
                             "[\\w+=,.@-]*") < 0)
        return -1;
    if (has_si && si.len >= 4 && strncasecmp((const char *)si.p, "aws:", 4) == 0)
        return api_refuse(c->resp, API_E_STS_VALIDATION,
                          "SourceIdentity cannot start with the reserved prefix \"aws:\"");
    kv_slice_t ext = str_of(c->in, "ExternalId", &has_ext);
    if (has_ext && check_name(c, ext, "externalId", 2, 1224, true, ":/", "[\\w+=,.@:\\/-]*") < 0)
        return -1;
    bool chained = p->kind == API_PR_ROLE;
    int64_t dur;
    if (duration_in(c, 43200, 3600, &dur) < 0)
        return -1;
    if (chained && dur > STS_CHAIN_MAX_S)
        return api_refuse(c->resp, API_E_STS_VALIDATION,
                          "The requested DurationSeconds exceeds the 1 hour session limit for "
                          "roles assumed by role chaining.");

    api_session_principal_t *sp = kv_arena_calloc(c->a, 1, sizeof(*sp));
    sp->kind = API_SESSION_ROLE;
    sp->flags = chained ? API_SESSION_F_CHAINED : 0;
    sp->name = name;
    /* A chained session keeps the calling session's transitive tags and source identity. */
    uint8_t *bin = kv_arena_alloc(c->a, API_SESSION_BIN_MAX);
    api_session_principal_t *caller = kv_arena_calloc(c->a, 1, sizeof(*caller));
    size_t inherited = 0;
    if (chained && caller_session(c, bin, caller)) {
        for (size_t i = 0; i < caller->n_transitive; i++) {
            for (size_t j = 0; j < caller->n_tags; j++)
                if (key_eq_nocase(caller->tags[j].key, caller->transitive[i]) &&
                    sp->n_tags < API_SESSION_TAGS_MAX) {
                    sp->tags[sp->n_tags++] = caller->tags[j];
                    break;
                }
            sp->transitive[sp->n_transitive++] = caller->transitive[i];
        }
        inherited = sp->n_tags;
        if (caller->source_identity.len) {
            if (has_si && !kv_slice_eq(si, caller->source_identity))
                return api_refuse(c->resp, API_E_STS_ACCESS_DENIED,
                                  "The source identity of a role session cannot be changed in "
                                  "a role chain.");
            si = caller->source_identity;
        }
    }
    sp->source_identity = si;
    if (tags_in(c, sp, inherited) < 0 || session_policies_in(c, sp) < 0)
        return -1;

    api_iam_role_t role;
    if (api_iam_role(c->ctx, role_arn, c->a, &role) != 0 || !kv_slice_eq(role.arn, role_arn))
        return assume_denied(c, role_arn);
    const char *err = NULL;
    const pol_t *trust = pol_cached(role.trust_policy, POL_TRUST, c->a, &err);
    if (trust == NULL)
        return assume_denied(c, role_arn);

    /* The request's condition keys, and the role's tags as aws:ResourceTag/<k> (a Deny on a
     * tagged role must keep it from being assumed). */
    keyset_t *ks = kv_arena_calloc(c->a, 1, sizeof(*ks));
    api_principal_t rp;
    memset(&rp, 0, sizeof(rp));
    rp.kind = API_PR_ROLE;
    rp.role_arn = role.arn;
    if (api_iam_load(c->ctx, &rp, c->a) == 0)
        for (size_t i = 0; i < rp.n_tags && i < 64; i++)
            key_add(c->a, ks,
                    kv_arena_printf(c->a, "aws:ResourceTag/%.*s", (int)rp.tags[i].key.len,
                                    (const char *)rp.tags[i].key.p),
                    &rp.tags[i].value, 1);
    key_one(c->a, ks, "sts:RoleSessionName", name, true);
    if (has_ext)
        key_one(c->a, ks, "sts:ExternalId", ext, true);
    if (has_si)
        key_one(c->a, ks, "sts:SourceIdentity", si, true);
    size_t nreq = sp->n_tags - inherited;
    if (nreq) {
        kv_slice_t *keys = kv_arena_calloc(c->a, nreq, sizeof(*keys));
        for (size_t i = 0; i < nreq; i++) {
            api_session_tag_t *t = &sp->tags[inherited + i];
            keys[i] = t->key;
            char *kn = kv_arena_printf(c->a, "aws:RequestTag/%.*s", (int)t->key.len,
                                       (const char *)t->key.p);
            key_add(c->a, ks, kn, &t->value, 1);
        }
        key_add(c->a, ks, "aws:TagKeys", keys, nreq);
    }
    if (sp->n_transitive > 0)
        key_add(c->a, ks, "sts:TransitiveTagKeys", sp->transitive, sp->n_transitive);

    if (!trust_allows(c, &role, trust, "sts:AssumeRole", ks))
        return assume_denied(c, role_arn);
    if (nreq && !trust_allows(c, &role, trust, "sts:TagSession", ks))
        return api_refuse(c->resp, API_E_STS_ACCESS_DENIED,
                          "User: %.*s is not authorized to perform: sts:TagSession on resource: "
                          "%.*s",
                          (int)p->arn.len, (const char *)p->arn.p, (int)role.arn.len,
                          (const char *)role.arn.p);
    if (has_si && !trust_allows(c, &role, trust, "sts:SetSourceIdentity", ks))
        return api_refuse(c->resp, API_E_STS_ACCESS_DENIED,
                          "User: %.*s is not authorized to perform: sts:SetSourceIdentity on "
                          "resource: %.*s",
                          (int)p->arn.len, (const char *)p->arn.p, (int)role.arn.len,
                          (const char *)role.arn.p);
    if (dur > role.max_session_s)
        return api_refuse(c->resp, API_E_STS_VALIDATION,
                          "The requested DurationSeconds exceeds the MaxSessionDuration set for "
                          "this role.");

    size_t packed = api_session_packed_size(sp);
    unsigned pct = (unsigned)((packed * 100 + API_SESSION_PACKED_MAX - 1) / API_SESSION_PACKED_MAX);
    if (packed > API_SESSION_PACKED_MAX)
        return api_refuse(c->resp, API_E_STS_PACKED_TOO_LARGE,
                          "Packed policy consumes %u%% of allotted space, please use smaller "
                          "policy.",
                          pct);
    int64_t now = (int64_t)time(NULL);
    sp->issued = now;
    sp->expires = now + dur;
    sp->role_arn = role.arn;
    sp->role_id = role.id;
    api_creds_t *cr = kv_arena_alloc(c->a, sizeof(*cr));
    int rc = api_session_mint(&c->ctx->session_keys, sp, cr);
    if (rc == -2)
        return api_refuse(c->resp, API_E_STS_PACKED_TOO_LARGE,
                          "Packed policy consumes %u%% of allotted space, please use smaller "
                          "policy.",
                          pct);
    if (rc != 0)
        return api_refuse(c->resp, API_E_STS_VALIDATION,
                          "The role's ARN or id is too long for a session.");
    api_xw_t *w = &c->w;
    api_xw_open(w, "Credentials");
    api_xw_elem_str(w, "AccessKeyId", cr->access_key);
    api_xw_elem_str(w, "SecretAccessKey", cr->secret_key);
    api_xw_elem_str(w, "SessionToken", cr->token);
    expiration(w, cr->expires);
    api_xw_close(w, "Credentials");
    OPENSSL_cleanse(cr, sizeof(*cr));
    api_xw_open(w, "AssumedRoleUser");
    kv_slice_t sarn = sts_session_arn(c->a, role.arn, name);
    api_xw_elem(w, "Arn", sarn);
    char *rid = kv_arena_printf(c->a, "%.*s:%.*s", (int)role.id.len, (const char *)role.id.p,
                                (int)name.len, (const char *)name.p);
    api_xw_elem_str(w, "AssumedRoleId", rid);
    api_xw_close(w, "AssumedRoleUser");
    if (sp->policy.len || sp->n_policy_arns || sp->n_tags)
        api_xw_elem_u64(w, "PackedPolicySize", pct);
    if (si.len)
        api_xw_elem(w, "SourceIdentity", si);
    return 0;
}

/* ---- GetSessionToken ---- */

int sts_get_session_token(sts_call_t *c)
{
    api_state_t *st = c->req->_st;
    const api_principal_t *p = api_principal(c->req);
    int64_t dur;
    if (duration_in(c, STS_USER_MAX_S, 43200, &dur) < 0)
        return -1;
    bool has_code = false;
    kv_slice_t serial = str_of(c->in, "SerialNumber", NULL);
    kv_slice_t code = str_of(c->in, "TokenCode", &has_code);
    if (serial.len &&
        check_name(c, serial, "serialNumber", 9, 256, true, ":/", "[\\w+=/:,.@-]*") < 0)
        return -1;
    if (has_code && (code.len != 6 || !name_chars(code, NULL)))
        return invalid(c, code, "tokenCode",
                       "Member must satisfy regular expression pattern: "
                       "[\\d]*");
    /* GetSessionToken needs no permission (AWS: it authenticates, policies cannot control it);
     * the principal is checked here instead. */
    st->authorized = true;
    if (p->kind != API_PR_ROOT && p->kind != API_PR_USER)
        return api_refuse(c->resp, API_E_STS_ACCESS_DENIED,
                          "Cannot call GetSessionToken with session credentials");
    if (serial.len || has_code) /* no MFA device exists to check a code against */
        return api_refuse(c->resp, API_E_STS_ACCESS_DENIED,
                          "MultiFactorAuthentication failed, unable to validate MFA code. "
                          "Please verify your MFA serial number is valid and associated with "
                          "this user.");
    api_session_principal_t sp = {.kind = API_SESSION_ROOT};
    if (p->kind == API_PR_USER) {
        sp.kind = API_SESSION_USER;
        sp.name = p->name;
        sp.role_id = p->id; /* the user's unique id: a user recreated under the name is another */
    } else if (dur > STS_ROOT_MAX_S) {
        dur = STS_ROOT_MAX_S; /* AWS: the root's sessions default to one hour at most */
    }
    int64_t now = (int64_t)time(NULL);
    sp.issued = now;
    sp.expires = now + dur;
    api_creds_t *cr = kv_arena_alloc(c->a, sizeof(*cr));
    if (api_session_mint(&c->ctx->session_keys, &sp, cr) != 0)
        return api_refuse(c->resp, API_E_STS_INTERNAL, "The user's name is too long");
    credentials(&c->w, cr);
    OPENSSL_cleanse(cr, sizeof(*cr));
    return 0;
}

/* ---- GetCallerIdentity, GetAccessKeyInfo ---- */

int sts_get_caller_identity(sts_call_t *c)
{
    /* Needs no permission: AWS answers it even when an explicit deny covers it. */
    c->req->_st->authorized = true;
    const api_principal_t *p = api_principal(c->req);
    api_xw_elem(&c->w, "UserId", p->id);
    api_xw_elem_str(&c->w, "Account", API_ACCOUNT_ID);
    api_xw_elem(&c->w, "Arn", p->arn);
    return 0;
}

int sts_get_access_key_info(sts_call_t *c)
{
    bool has = false;
    kv_slice_t ak = str_of(c->in, "AccessKeyId", &has);
    if (!has)
        return invalid(c, KV_SLICE_NULL, "accessKeyId", "Member must not be null");
    if (check_name(c, ak, "accessKeyId", 16, 128, true, "", "[\\w]*") < 0)
        return -1;
    for (size_t i = 0; i < ak.len; i++)
        if (strchr("+=,.@-", ak.p[i]))
            return invalid(c, ak, "accessKeyId",
                           "Member must satisfy regular expression pattern: [\\w]*");
    api_authz_t az = {.resource = KV_SLICE_LIT("*")};
    if (api_authorize(c->ctx, c->req, c->resp, &az) != 0)
        return -1;
    /* Every key this server issues (the configured one, IAM users', sessions') is the one
     * account's; AWS answers the account of any key without checking that it exists. */
    api_xw_elem_str(&c->w, "Account", API_ACCOUNT_ID);
    return 0;
}
