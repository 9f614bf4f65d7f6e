/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS grants (issue 16, package K): CreateGrant (idempotent by Name and grantee), ListGrants,
 * ListRetirableGrants, RetireGrant (by token, or key and grant id; the retiring principal may)
 * and RevokeGrant. A grant gives its grantee the listed operations on the key, within its
 * encryption context constraints (kms_authz.c); grant tokens are accepted (grants take effect
 * at once here).
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "kms_int.h"

static const char *const grant_ops[] = {
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
};

static bool principal_ok(kv_slice_t p)
{
    return p.len > 0 && p.len <= 256;
}

static void jw_grant(kms_rq_t *o, const kms_grant_t *g)
{
    api_jw_t *w = o->w;
    api_jw_obj_begin(w);
    api_jw_kstr(w, "KeyId", kms_key_arn(o->ctx, o->a, g->key_id));
    api_jw_kstr(w, "GrantId", g->id);
    if (g->name && *g->name)
        api_jw_kstr(w, "Name", g->name);
    api_jw_key(w, "CreationDate");
    api_jw_epoch_ms(w, g->created_ms);
    api_jw_kstr(w, "GranteePrincipal", g->grantee);
    if (g->retiring && *g->retiring)
        api_jw_kstr(w, "RetiringPrincipal", g->retiring);
    api_jw_kstr(w, "IssuingAccount", "arn:aws:iam::" API_ACCOUNT_ID ":root");
    api_jw_key(w, "Operations");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < g->n_ops; i++)
        api_jw_cstr(w, g->ops[i]);
    api_jw_arr_end(w);
    if (g->ctx_equals || g->ctx_subset) {
        api_jw_key(w, "Constraints");
        api_jw_obj_begin(w);
        kv_buf_t d;
        kv_buf_init(&d, ENG_KMS_VAL_MAX);
        if (g->ctx_equals && api_json_dump(g->ctx_equals, &d)) {
            api_jw_key(w, "EncryptionContextEquals");
            api_jw_raw(w, kv_buf_slice(&d));
        }
        kv_buf_reset(&d);
        if (g->ctx_subset && api_json_dump(g->ctx_subset, &d)) {
            api_jw_key(w, "EncryptionContextSubset");
            api_jw_raw(w, kv_buf_slice(&d));
        }
        kv_buf_dispose(&d);
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
}

/* A grant token: base64 of "<key id>:<grant id>". */
static const char *grant_token(kv_arena_t *a, const char *key_id, const char *grant_id)
{
    kv_buf_t b;
    kv_buf_init(&b, 1024);
    const char *t = kv_arena_printf(a, "%s:%s", key_id, grant_id);
    kv_b64_encode(&b, (const uint8_t *)t, strlen(t));
    const char *out = kv_arena_strndup(a, b.p, b.len);
    kv_buf_dispose(&b);
    return out;
}

/* The constraint object name of Constraints: a map of strings, or NULL. */
static int constraint_arg(kms_rq_t *o, const api_json_t *c, const char *name,
                          const api_json_t **out)
{
    *out = NULL;
    const api_json_t *v = c ? api_json_get(c, name) : NULL;
    if (kms_jt(v) == API_J_NULL)
        return 0;
    kv_buf_t canon;
    kv_buf_init(&canon, KMS_CTX_MAX * 2);
    const char *why = NULL;
    int rc = kms_ctx_canon(o->a, v, &canon, &why);
    kv_buf_dispose(&canon);
    if (rc < 0)
        return api_refuse(o->resp, API_E_KMS_VALIDATION, "%s: %s", name, why);
    *out = v;
    return 0;
}

void kms_op_create_grant(kms_rq_t *o)
{
    kv_slice_t grantee, retiring, name;
    if (kms_arg_str(o, "GranteePrincipal", true, 1, 256, &grantee) < 0 ||
        kms_arg_str(o, "RetiringPrincipal", false, 1, 256, &retiring) < 0 ||
        kms_arg_str(o, "Name", false, 1, 256, &name) < 0 || kms_arg_grant_tokens(o) < 0)
        return;
    const api_json_t *ops = api_json_get(o->in, "Operations");
    if (kms_jt(ops) != API_J_ARR || api_json_len(ops) == 0) {
        api_fail(o->resp, API_E_KMS_VALIDATION,
                 "1 validation error detected: Value null at 'operations' failed to satisfy "
                 "constraint: Member must not be null");
        return;
    }
    size_t n_ops = api_json_len(ops);
    if (n_ops > sizeof(grant_ops) / sizeof(grant_ops[0])) {
        api_fail(o->resp, API_E_KMS_VALIDATION, "Too many grant operations");
        return;
    }
    const char **gops = kv_arena_calloc(o->a, n_ops, sizeof(*gops));
    for (size_t i = 0; i < n_ops; i++) {
        kv_slice_t s = api_json_str(api_json_at(ops, i));
        gops[i] = NULL;
        for (size_t j = 0; j < sizeof(grant_ops) / sizeof(grant_ops[0]); j++)
            if (kv_slice_eq_str(s, grant_ops[j]))
                gops[i] = grant_ops[j];
        if (gops[i] == NULL) {
            api_fail(o->resp, API_E_KMS_VALIDATION,
                     "1 validation error detected: Value '[%.*s]' at 'operations' failed to "
                     "satisfy constraint: Member must satisfy constraint: [Member must satisfy "
                     "enum value set: [Decrypt, Encrypt, GenerateDataKey, "
                     "GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, Sign, Verify, "
                     "GetPublicKey, CreateGrant, RetireGrant, DescribeKey, GenerateDataKeyPair, "
                     "GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, "
                     "DeriveSharedSecret]]",
                     (int)(s.len > 64 ? 64 : s.len), s.p ? (const char *)s.p : "");
            return;
        }
    }
    const api_json_t *cons = api_json_get(o->in, "Constraints");
    if (kms_jt(cons) != API_J_NULL && kms_jt(cons) != API_J_OBJ) {
        api_fail(o->resp, API_E_KMS_SERIALIZATION, "Constraints must be a structure");
        return;
    }
    kms_grant_t g = {.grantee = kv_arena_strndup(o->a, grantee.p, grantee.len),
                     .retiring = retiring.p ? kv_arena_strndup(o->a, retiring.p, retiring.len) : "",
                     .name = name.p ? kv_arena_strndup(o->a, name.p, name.len) : "",
                     .ops = gops,
                     .n_ops = n_ops,
                     .created_ms = kv_now_ms()};
    if (constraint_arg(o, cons, "EncryptionContextEquals", &g.ctx_equals) < 0 ||
        constraint_arg(o, cons, "EncryptionContextSubset", &g.ctx_subset) < 0)
        return;
    if (!principal_ok(grantee)) {
        api_fail(o->resp, API_E_KMS_VALIDATION, "Invalid grantee principal");
        return;
    }
    pthread_mutex_lock(&o->s->lock);
    kms_key_t *k;
    kms_grant_t *have;
    size_t n_have;
    int rc;
    kms_az_t az = {.action = "kms:CreateGrant", .made = &g};
    if (kms_arg_key(o, "KeyId", false, &k) < 0)
        goto out;
    az.key = k;
    if (kms_authorize(o->ctx, o->req, o->resp, &az) < 0 || kms_need_state(o, k, false) < 0)
        goto out;
    rc = kms_grants_load(o->ctx, o->a, k->id, &have, &n_have);
    if (rc < 0) {
        kms_internal(o, rc);
        goto out;
    }
    /* A repeated request with the same name and grantee answers the same grant. */
    for (size_t i = 0; name.p && i < n_have; i++)
        if (strcmp(have[i].name, g.name) == 0 && strcmp(have[i].grantee, g.grantee) == 0) {
            api_jw_obj_begin(o->w);
            api_jw_kstr(o->w, "GrantToken", grant_token(o->a, k->id, have[i].id));
            api_jw_kstr(o->w, "GrantId", have[i].id);
            api_jw_obj_end(o->w);
            goto out;
        }
    if (n_have >= KMS_GRANTS_MAX) {
        api_fail(o->resp, API_E_KMS_LIMIT, "The key %s has reached its quota of %d grants.", k->arn,
                 KMS_GRANTS_MAX);
        goto out;
    }
    uint8_t r[32];
    kv_random(r, sizeof(r));
    char *id = kv_arena_alloc(o->a, 65);
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(id + 2 * i, 3, "%02x", r[i]);
    g.id = id;
    g.key_id = k->id;
    kv_slice_t val = kms_grant_encode(o->a, &g);
    eng_kms_op_t op = {kms_grant_key(o->a, k->id, id), val};
    rc = val.p ? eng_kms_write(o->ctx->eng, &op, 1) : KV_ETOOBIG;
    if (rc < 0) {
        kms_internal(o, rc);
        goto out;
    }
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "GrantToken", grant_token(o->a, k->id, id));
    api_jw_kstr(o->w, "GrantId", id);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}

void kms_op_list_grants(kms_rq_t *o)
{
    int64_t limit;
    kv_slice_t marker, gid, grantee;
    kms_key_t *k;
    if (kms_arg_page(o, &limit, &marker) < 0 ||
        kms_arg_str(o, "GrantId", false, 1, 128, &gid) < 0 ||
        kms_arg_str(o, "GranteePrincipal", false, 1, 256, &grantee) < 0 ||
        kms_arg_key(o, "KeyId", false, &k) < 0 || kms_authz_op(o, "kms:ListGrants", k, NULL) < 0 ||
        kms_need_state(o, k, false) < 0)
        return;
    kms_grant_t *g;
    size_t n;
    int rc = kms_grants_load(o->ctx, o->a, k->id, &g, &n);
    if (rc < 0) {
        kms_internal(o, rc);
        return;
    }
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, "Grants");
    api_jw_arr_begin(o->w);
    size_t shown = 0;
    const char *last = NULL;
    bool more = false;
    for (size_t i = 0; i < n; i++) {
        if (marker.p && kv_slice_cmp(kv_slice_str(g[i].id), marker) <= 0)
            continue;
        if ((gid.p && !kv_slice_eq_str(gid, g[i].id)) ||
            (grantee.p && !kv_slice_eq_str(grantee, g[i].grantee)))
            continue;
        if (shown == (size_t)limit) {
            more = true;
            break;
        }
        jw_grant(o, &g[i]);
        last = g[i].id;
        shown++;
    }
    api_jw_arr_end(o->w);
    if (more)
        api_jw_kstr(o->w, "NextMarker", last);
    api_jw_kbool(o->w, "Truncated", more);
    api_jw_obj_end(o->w);
}

typedef struct retirable {
    kms_rq_t *o;
    kv_slice_t who;
    size_t limit, n;
    bool more;
    kv_slice_t last;
} retirable_t;

static int retirable_take(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    retirable_t *r = arg;
    api_json_t *j;
    const char *err;
    if (suffix.len <= KMS_ID_LEN + 1 ||
        api_json_parse(r->o->a, kv_arena_dup(r->o->a, val), &j, &err) < 0)
        return 0;
    if (!kv_slice_eq(api_json_str(api_json_get(j, "r")), r->who))
        return 0;
    if (r->n == r->limit) {
        r->more = true;
        return 1;
    }
    kms_grant_t g = {
        .key_id = kv_arena_strndup(r->o->a, suffix.p, KMS_ID_LEN),
        .id = kms_jstr(r->o->a, j, "id"),
        .name = kms_jstr(r->o->a, j, "n"),
        .grantee = kms_jstr(r->o->a, j, "g"),
        .retiring = kms_jstr(r->o->a, j, "r"),
        .ctx_equals = api_json_get(j, "ce"),
        .ctx_subset = api_json_get(j, "cs"),
    };
    api_json_int(api_json_get(j, "c"), &g.created_ms);
    const api_json_t *ops = api_json_get(j, "o");
    size_t n = kms_jt(ops) == API_J_ARR ? api_json_len(ops) : 0;
    g.ops = kv_arena_calloc(r->o->a, n ? n : 1, sizeof(*g.ops));
    for (size_t i = 0; i < n; i++) {
        kv_slice_t s = api_json_str(api_json_at(ops, i));
        g.ops[g.n_ops++] = kv_arena_strndup(r->o->a, s.p ? (const char *)s.p : "", s.len);
    }
    jw_grant(r->o, &g);
    r->last = kv_arena_dup(r->o->a, suffix);
    r->n++;
    return 0;
}

void kms_op_list_retirable(kms_rq_t *o)
{
    int64_t limit;
    kv_slice_t marker, who;
    if (kms_arg_page(o, &limit, &marker) < 0 ||
        kms_arg_str(o, "RetiringPrincipal", true, 1, 256, &who) < 0 ||
        kms_authz_op(o, "kms:ListRetirableGrants", NULL, NULL) < 0)
        return;
    retirable_t r = {o, who, (size_t)limit, 0, false, KV_SLICE_NULL};
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, "Grants");
    api_jw_arr_begin(o->w);
    int rc = eng_kms_scan(o->ctx->eng, KV_SLICE_LIT("g"), marker.p ? marker : KV_SLICE_NULL, 0,
                          retirable_take, &r);
    api_jw_arr_end(o->w);
    if (rc < 0) {
        kms_internal(o, rc);
        return;
    }
    if (r.more) {
        api_jw_key(o->w, "NextMarker");
        api_jw_str(o->w, r.last);
    }
    api_jw_kbool(o->w, "Truncated", r.more);
    api_jw_obj_end(o->w);
}

/* RetireGrant (by GrantToken, or KeyId and GrantId) and RevokeGrant (KeyId and GrantId). */
void kms_op_end_grant(kms_rq_t *o, bool retire)
{
    kv_slice_t token, gid;
    if (kms_arg_str(o, "GrantToken", false, 1, 8192, &token) < 0 ||
        kms_arg_str(o, "GrantId", !retire, 1, 128, &gid) < 0)
        return;
    kv_slice_t key_in = api_json_str(api_json_get(o->in, "KeyId"));
    char *tok_key = NULL;
    if (retire && token.p) {
        kv_buf_t b;
        kv_buf_init(&b, 8192);
        bool ok = kv_b64_decode(&b, token) && b.len > KMS_ID_LEN + 1 && b.p[KMS_ID_LEN] == ':';
        if (ok) {
            tok_key = kv_arena_strndup(o->a, b.p, KMS_ID_LEN);
            gid = kv_arena_dup(o->a, kv_slice(b.p + KMS_ID_LEN + 1, b.len - KMS_ID_LEN - 1));
        }
        kv_buf_dispose(&b);
        if (!ok) {
            api_fail(o->resp, API_E_KMS_INVALID_GRANT_TOKEN, "Invalid grant token");
            return;
        }
    } else if (retire && (gid.p == NULL || key_in.len == 0)) {
        api_fail(o->resp, API_E_KMS_VALIDATION,
                 "Either the grant token or both the key ID and the grant ID are required.");
        return;
    }
    pthread_mutex_lock(&o->s->lock);
    kms_key_t *k;
    int rc;
    if (tok_key) {
        rc = kms_key_load(o->ctx, o->a, kv_slice_str(tok_key), &k);
        if (rc == KV_ENOTFOUND) {
            api_fail(o->resp, API_E_KMS_NOT_FOUND, "Key '%s' does not exist",
                     kms_key_arn(o->ctx, o->a, tok_key));
            goto out;
        }
        if (rc < 0) {
            kms_internal(o, rc);
            goto out;
        }
    } else if (kms_arg_key(o, "KeyId", false, &k) < 0) {
        goto out;
    }
    kms_grant_t *g;
    size_t n;
    rc = kms_grants_load(o->ctx, o->a, k->id, &g, &n);
    if (rc < 0) {
        kms_internal(o, rc);
        goto out;
    }
    size_t i = 0;
    while (i < n && !kv_slice_eq_str(gid, g[i].id))
        i++;
    /* A grant's retiring principal may retire it, and its grantee when it grants RetireGrant;
     * otherwise the key policy (and IAM) decide. */
    const api_principal_t *p = api_principal(o->req);
    bool own = false;
    for (size_t j = 0; retire && i < n && j < g[i].n_ops && !own; j++)
        own = strcmp(g[i].ops[j], "RetireGrant") == 0 && kms_principal_is(p, g[i].grantee);
    own |= retire && i < n && kms_principal_is(p, g[i].retiring);
    kms_az_t az = {
        .action = retire ? "kms:RetireGrant" : "kms:RevokeGrant", .key = k, .by_grant = own};
    if (kms_authorize(o->ctx, o->req, o->resp, &az) < 0 || kms_need_state(o, k, false) < 0)
        goto out;
    if (i == n) {
        api_fail(o->resp, API_E_KMS_NOT_FOUND, "Grant ID %.*s not found",
                 (int)(gid.len > 128 ? 128 : gid.len), (const char *)gid.p);
        goto out;
    }
    eng_kms_op_t op = {kms_grant_key(o->a, k->id, g[i].id), KV_SLICE_NULL};
    rc = eng_kms_write(o->ctx->eng, &op, 1);
    if (rc < 0) {
        kms_internal(o, rc);
        goto out;
    }
    api_jw_obj_begin(o->w);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}
