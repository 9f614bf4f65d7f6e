/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS's request members (issue 16, package K): how the operations read their JSON members
 * (KMS's validation messages, bounds checked before anything is decoded), resolve and read the
 * key a member names, authorize, and refuse a key in the wrong state.
 */
#include <stdlib.h>
#include <string.h>

#include "base/kv_b64.h"
#include "kms_int.h"

/* A KMS "day" in ms: 86400000, or STRATUS_KMS_DAY_MS (tests: deletion and rotation dates). */
int64_t kms_day_ms(void)
{
    const char *s = getenv("STRATUS_KMS_DAY_MS");
    long long v = s ? strtoll(s, NULL, 10) : 0;
    return v >= 10 && v <= KMS_DAY_MS ? v : KMS_DAY_MS;
}

const char *kms_jstr(kv_arena_t *a, const api_json_t *o, const char *k)
{
    kv_slice_t s = api_json_str(api_json_get(o, k));
    return kv_arena_strndup(a, s.p ? (const char *)s.p : "", s.len);
}

/* KMS's member names in validation messages are lowerCamelCase. */
static const char *member(kv_arena_t *a, const char *name)
{
    char *m = kv_arena_strndup(a, name, strlen(name));
    if (m[0] >= 'A' && m[0] <= 'Z')
        m[0] = (char)(m[0] - 'A' + 'a');
    return m;
}

/* KMS's validation message: value is "" or " null", must the constraint ("not be null"). */
static int invalid(kms_rq_t *o, const char *value, const char *name, const char *must)
{
    return api_refuse(o->resp, API_E_KMS_VALIDATION,
                      "1 validation error detected: Value%s at '%s' failed to satisfy constraint: "
                      "Member must %s",
                      value, member(o->a, name), must);
}

static const char *length_must(kv_arena_t *a, size_t n, size_t min, size_t max)
{
    return n < min ? kv_arena_printf(a, "have length greater than or equal to %zu", min)
                   : kv_arena_printf(a, "have length less than or equal to %zu", max);
}

/* A string member: absent (not required: *out empty, 0), or a string of min..max characters.
 * @return 0 or -1 (refused). */
int kms_arg_str(kms_rq_t *o, const char *name, bool required, size_t min, size_t max,
                kv_slice_t *out)
{
    const api_json_t *v = api_json_get(o->in, name);
    *out = KV_SLICE_NULL;
    if (kms_jt(v) == API_J_NULL) {
        if (!required)
            return 0;
        return invalid(o, " null", name, "not be null");
    }
    if (kms_jt(v) != API_J_STR)
        return api_refuse(o->resp, API_E_KMS_SERIALIZATION, "%s must be a string", name);
    kv_slice_t s = api_json_str(v);
    if (s.len < min || s.len > max)
        return invalid(o, "", name, length_must(o->a, s.len, min, max));
    *out = s;
    return 0;
}

/* An integer member in lo..hi (absent: def, or -1 when def < 0). */
int kms_arg_int(kms_rq_t *o, const char *name, int64_t lo, int64_t hi, int64_t def, int64_t *out)
{
    const api_json_t *v = api_json_get(o->in, name);
    *out = def;
    if (kms_jt(v) == API_J_NULL)
        return 0;
    int64_t n;
    if (!api_json_int(v, &n))
        return api_refuse(o->resp, API_E_KMS_SERIALIZATION, "%s must be an integer", name);
    if (n < lo || n > hi)
        return api_refuse(o->resp, API_E_KMS_VALIDATION,
                          "1 validation error detected: Value '%lld' at '%s' failed to satisfy "
                          "constraint: Member must have value %s than or equal to %lld",
                          (long long)n, member(o->a, name), n < lo ? "greater" : "less",
                          (long long)(n < lo ? lo : hi));
    *out = n;
    return 0;
}

/* A blob member (base64 in JSON), decoded: min..max bytes. */
int kms_arg_blob(kms_rq_t *o, const char *name, bool required, size_t min, size_t max,
                 kv_buf_t *out)
{
    kv_slice_t s;
    if (kms_arg_str(o, name, required, 0, (max + 2) / 3 * 4 + 4, &s) < 0)
        return -1;
    if (s.p == NULL)
        return 0;
    if (!kv_b64_decode(out, s))
        return api_refuse(o->resp, API_E_KMS_SERIALIZATION, "%s is not valid base64", name);
    if (out->len < min || out->len > max)
        return invalid(o, "", name, length_must(o->a, out->len, min, max));
    return 0;
}

void kms_jw_b64(api_jw_t *w, const char *key, const uint8_t *p, size_t n)
{
    kv_buf_t b;
    kv_buf_init(&b, KMS_BLOB_MAX * 2);
    kv_b64_encode(&b, p, n);
    api_jw_key(w, key);
    api_jw_str(w, kv_buf_slice(&b));
    kv_buf_dispose(&b);
}

int kms_internal(kms_rq_t *o, int rc)
{
    return api_refuse(o->resp, API_E_KMS_INTERNAL, "An internal error occurred (%s).",
                      kv_err_name(rc));
}

/* The key a member names (name: "KeyId", ...): resolved and read; aliases only where the
 * operation takes them. */
int kms_arg_key(kms_rq_t *o, const char *name, bool aliases, kms_key_t **out)
{
    kv_slice_t in;
    if (kms_arg_str(o, name, true, 1, 2048, &in) < 0)
        return -1;
    char id[KMS_ID_LEN + 1];
    kv_slice_t alias;
    int rc = kms_resolve(o->ctx, o->a, in, aliases, id, &alias);
    if (rc == 0)
        rc = kms_key_load(o->ctx, o->a, kv_slice(id, KMS_ID_LEN), out);
    if (rc == KV_EINVAL)
        return api_refuse(o->resp, API_E_KMS_NOT_FOUND, "Invalid keyId '%.*s'",
                          (int)(in.len > 256 ? 256 : in.len), (const char *)in.p);
    if (rc == KV_ENOTFOUND && alias.len)
        return api_refuse(o->resp, API_E_KMS_NOT_FOUND, "Alias %s is not found.",
                          kms_alias_arn(o->ctx, o->a, alias));
    if (rc == KV_ENOTFOUND)
        return api_refuse(o->resp, API_E_KMS_NOT_FOUND, "Key '%s' does not exist",
                          kms_key_arn(o->ctx, o->a, id));
    return rc < 0 ? kms_internal(o, rc) : 0;
}

int kms_authz_op(kms_rq_t *o, const char *action, const kms_key_t *k, const api_json_t *context)
{
    kms_az_t az = {.action = action,
                   .key = k,
                   .resource = k ? KV_SLICE_NULL : KV_SLICE_LIT("*"),
                   .context = context};
    return kms_authorize(o->ctx, o->req, o->resp, &az);
}

/* Refuse a key pending deletion (every operation but the describing ones and
 * CancelKeyDeletion) and, with enabled, a disabled one. */
int kms_need_state(kms_rq_t *o, const kms_key_t *k, bool enabled)
{
    if (k->state == KMS_PENDING_DELETION)
        return api_refuse(o->resp, API_E_KMS_INVALID_STATE, "%s is pending deletion.", k->arn);
    if (enabled && k->state == KMS_DISABLED)
        return api_refuse(o->resp, API_E_KMS_DISABLED, "%s is disabled.", k->arn);
    return 0;
}

int kms_not_aws(kms_rq_t *o, const kms_key_t *k)
{
    if (k->aws_managed)
        return api_refuse(o->resp, API_E_KMS_UNSUPPORTED,
                          "%s is an AWS managed key: this operation is not supported on it.",
                          k->arn);
    return 0;
}

/* EncryptionContext (or name): parsed and canonical. */
int kms_arg_context(kms_rq_t *o, const char *name, const api_json_t **ctx, kv_buf_t *canon)
{
    *ctx = api_json_get(o->in, name);
    const char *why = NULL;
    if (kms_jt(*ctx) != API_J_NULL && kms_jt(*ctx) != API_J_OBJ)
        return api_refuse(o->resp, API_E_KMS_SERIALIZATION, "%s must be a map", name);
    if (kms_ctx_canon(o->a, *ctx, canon, &why) < 0)
        return api_refuse(o->resp, API_E_KMS_VALIDATION, "%s", why);
    return 0;
}

int kms_arg_grant_tokens(kms_rq_t *o)
{
    const api_json_t *t = api_json_get(o->in, "GrantTokens");
    if (kms_jt(t) == API_J_NULL)
        return 0;
    if (kms_jt(t) != API_J_ARR)
        return api_refuse(o->resp, API_E_KMS_SERIALIZATION, "GrantTokens must be a list");
    size_t n = api_json_len(t);
    if (n > KMS_GRANT_TOKENS)
        return api_refuse(o->resp, API_E_KMS_VALIDATION,
                          "1 validation error detected: Value at 'grantTokens' failed to satisfy "
                          "constraint: Member must have length less than or equal to 10");
    for (size_t i = 0; i < n; i++) {
        kv_slice_t s = api_json_str(api_json_at(t, i));
        if (s.len == 0 || s.len > 8192)
            return api_refuse(o->resp, API_E_KMS_INVALID_GRANT_TOKEN, "Invalid grant token");
    }
    return 0;
}

int kms_arg_algorithm(kms_rq_t *o, const char *name)
{
    kv_slice_t a;
    if (kms_arg_str(o, name, false, 1, 64, &a) < 0)
        return -1;
    if (a.p && !kv_slice_eq_str(a, "SYMMETRIC_DEFAULT"))
        return api_refuse(o->resp, API_E_KMS_INVALID_KEY_USAGE,
                          "The encryption algorithm %.*s is not compatible with the type of key: "
                          "a SYMMETRIC_DEFAULT key supports SYMMETRIC_DEFAULT only.",
                          (int)(a.len > 64 ? 64 : a.len), (const char *)a.p);
    return 0;
}

/* Listing: Limit (1..1000, default 100) and Marker. */
int kms_arg_page(kms_rq_t *o, int64_t *limit, kv_slice_t *marker)
{
    if (kms_arg_int(o, "Limit", 1, KMS_LIST_MAX, 100, limit) < 0 ||
        kms_arg_str(o, "Marker", false, 1, 1024, marker) < 0)
        return -1;
    return 0;
}
