/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS (issue 16, package K): the service descriptor and its operations over symmetric
 * (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT) keys: lifecycle (create, describe, list, enable,
 * disable, scheduled deletion), aliases, Encrypt/Decrypt/ReEncrypt, data keys, random bytes,
 * rotation (yearly or on demand: a new material version, the old ones still decrypt), the key
 * policy, grants and tags. Every change of a key is one write batch under the service's lock;
 * the kms job deletes keys whose deletion date has passed and rotates keys that are due.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "authz/pol.h"
#include "base/kv_alloc.h"
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "kms_int.h"

kms_state_t *kms_state(api_ctx_t *ctx)
{
    return api_service_state(ctx, &kms_service);
}

/* A KMS "day" in ms: 86400000, or STRATUS_KMS_DAY_MS (tests: deletion and rotation dates). */
static int64_t day_ms(void)
{
    const char *s = getenv("STRATUS_KMS_DAY_MS");
    long long v = s ? strtoll(s, NULL, 10) : 0;
    return v >= 10 && v <= KMS_DAY_MS ? v : KMS_DAY_MS;
}

typedef struct op {
    api_ctx_t *ctx;
    api_req_t *req;
    api_resp_t *resp;
    const api_json_t *in;
    api_jw_t *w;
    kv_arena_t *a;
    kms_state_t *s;
} op_t;

static const char *jstr(kv_arena_t *a, const api_json_t *o, const char *k)
{
    kv_slice_t s = api_json_str(api_json_get(o, k));
    return kv_arena_strndup(a, s.p ? (const char *)s.p : "", s.len);
}

static api_json_type_t jt(const api_json_t *v)
{
    return v ? api_json_type(v) : API_J_NULL;
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
static int invalid(op_t *o, const char *value, const char *name, const char *must)
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
static int str_arg(op_t *o, const char *name, bool required, size_t min, size_t max,
                   kv_slice_t *out)
{
    const api_json_t *v = api_json_get(o->in, name);
    *out = KV_SLICE_NULL;
    if (jt(v) == API_J_NULL) {
        if (!required)
            return 0;
        return invalid(o, " null", name, "not be null");
    }
    if (jt(v) != API_J_STR)
        return api_refuse(o->resp, API_E_KMS_SERIALIZATION, "%s must be a string", name);
    kv_slice_t s = api_json_str(v);
    if (s.len < min || s.len > max)
        return invalid(o, "", name, length_must(o->a, s.len, min, max));
    *out = s;
    return 0;
}

/* An integer member in lo..hi (absent: def, or -1 when def < 0). */
static int int_arg(op_t *o, const char *name, int64_t lo, int64_t hi, int64_t def, int64_t *out)
{
    const api_json_t *v = api_json_get(o->in, name);
    *out = def;
    if (jt(v) == API_J_NULL)
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
static int blob_arg(op_t *o, const char *name, bool required, size_t min, size_t max, kv_buf_t *out)
{
    kv_slice_t s;
    if (str_arg(o, name, required, 0, (max + 2) / 3 * 4 + 4, &s) < 0)
        return -1;
    if (s.p == NULL)
        return 0;
    if (!kv_b64_decode(out, s))
        return api_refuse(o->resp, API_E_KMS_SERIALIZATION, "%s is not valid base64", name);
    if (out->len < min || out->len > max)
        return invalid(o, "", name, length_must(o->a, out->len, min, max));
    return 0;
}

static void jw_b64(api_jw_t *w, const char *key, const uint8_t *p, size_t n)
{
    kv_buf_t b;
    kv_buf_init(&b, KMS_BLOB_MAX * 2);
    kv_b64_encode(&b, p, n);
    api_jw_key(w, key);
    api_jw_str(w, kv_buf_slice(&b));
    kv_buf_dispose(&b);
}

static int internal(op_t *o, int rc)
{
    return api_refuse(o->resp, API_E_KMS_INTERNAL, "An internal error occurred (%s).",
                      kv_err_name(rc));
}

/* The key a member names (name: "KeyId", ...): resolved and read; aliases only where the
 * operation takes them. */
static int key_arg(op_t *o, const char *name, bool aliases, kms_key_t **out)
{
    kv_slice_t in;
    if (str_arg(o, name, true, 1, 2048, &in) < 0)
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
    return rc < 0 ? internal(o, rc) : 0;
}

static int authz(op_t *o, const char *action, const kms_key_t *k, const api_json_t *context)
{
    kms_az_t az = {.action = action,
                   .key = k,
                   .resource = k ? KV_SLICE_NULL : KV_SLICE_LIT("*"),
                   .context = context};
    return kms_authorize(o->ctx, o->req, o->resp, &az);
}

/* Refuse a key pending deletion (every operation but the describing ones and
 * CancelKeyDeletion) and, with enabled, a disabled one. */
static int need_state(op_t *o, const kms_key_t *k, bool enabled)
{
    if (k->state == KMS_PENDING_DELETION)
        return api_refuse(o->resp, API_E_KMS_INVALID_STATE, "%s is pending deletion.", k->arn);
    if (enabled && k->state == KMS_DISABLED)
        return api_refuse(o->resp, API_E_KMS_DISABLED, "%s is disabled.", k->arn);
    return 0;
}

static int not_aws(op_t *o, const kms_key_t *k)
{
    if (k->aws_managed)
        return api_refuse(o->resp, API_E_KMS_UNSUPPORTED,
                          "%s is an AWS managed key: this operation is not supported on it.",
                          k->arn);
    return 0;
}

static const char *state_name(kms_key_state_t s)
{
    return s == KMS_DISABLED           ? "Disabled"
           : s == KMS_PENDING_DELETION ? "PendingDeletion"
                                       : "Enabled";
}

static void jw_metadata(op_t *o, const kms_key_t *k)
{
    api_jw_t *w = o->w;
    api_jw_key(w, "KeyMetadata");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "AWSAccountId", API_ACCOUNT_ID);
    api_jw_kstr(w, "KeyId", k->id);
    api_jw_kstr(w, "Arn", k->arn);
    api_jw_key(w, "CreationDate");
    api_jw_epoch_ms(w, k->created_ms);
    api_jw_kbool(w, "Enabled", k->state == KMS_ENABLED);
    api_jw_kstr(w, "Description", k->desc);
    api_jw_kstr(w, "KeyUsage", "ENCRYPT_DECRYPT");
    api_jw_kstr(w, "KeyState", state_name(k->state));
    if (k->state == KMS_PENDING_DELETION) {
        api_jw_key(w, "DeletionDate");
        api_jw_epoch_ms(w, k->deletion_ms);
        api_jw_ku64(w, "PendingDeletionWindowInDays", k->pending_days);
    }
    api_jw_kstr(w, "Origin", "AWS_KMS");
    api_jw_kstr(w, "KeyManager", k->aws_managed ? "AWS" : "CUSTOMER");
    api_jw_kstr(w, "CustomerMasterKeySpec", "SYMMETRIC_DEFAULT");
    api_jw_kstr(w, "KeySpec", "SYMMETRIC_DEFAULT");
    api_jw_key(w, "EncryptionAlgorithms");
    api_jw_arr_begin(w);
    api_jw_cstr(w, "SYMMETRIC_DEFAULT");
    api_jw_arr_end(w);
    api_jw_kbool(w, "MultiRegion", false);
    api_jw_obj_end(w);
}

/* ---- tags ---- */

/* Tags ([{TagKey, TagValue}]) merged into k (replacing values of existing keys). */
static int tags_apply(op_t *o, kms_key_t *k, const api_json_t *tags)
{
    if (jt(tags) == API_J_NULL)
        return 0;
    if (jt(tags) != API_J_ARR)
        return api_refuse(o->resp, API_E_KMS_SERIALIZATION, "Tags must be a list");
    size_t n = api_json_len(tags);
    if (n > KMS_TAGS_MAX)
        return api_refuse(o->resp, API_E_KMS_TAG, "Too many tags: at most %d.", KMS_TAGS_MAX);
    api_kv_t *t = kv_arena_calloc(o->a, k->n_tags + n + 1, sizeof(*t));
    if (k->n_tags)
        memcpy(t, k->tags, k->n_tags * sizeof(*t));
    size_t have = k->n_tags;
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = api_json_at(tags, i);
        const api_json_t *kj = api_json_get(e, "TagKey"), *vj = api_json_get(e, "TagValue");
        if (jt(kj) != API_J_STR || jt(vj) != API_J_STR)
            return api_refuse(o->resp, API_E_KMS_VALIDATION,
                              "1 validation error detected: Value null at 'tags.%zu.member' "
                              "failed to satisfy constraint: Member must not be null",
                              i + 1);
        kv_slice_t key = api_json_str(kj), val = api_json_str(vj);
        if (key.len == 0 || key.len > KMS_TAG_KEY_MAX || val.len > KMS_TAG_VALUE_MAX)
            return api_refuse(o->resp, API_E_KMS_VALIDATION,
                              "1 validation error detected: Value at 'tags.%zu.member' failed "
                              "to satisfy constraint: Member must have length less than or equal "
                              "to %d",
                              i + 1,
                              key.len > KMS_TAG_KEY_MAX ? KMS_TAG_KEY_MAX : KMS_TAG_VALUE_MAX);
        if (kv_slice_starts_with(key, "aws:"))
            return api_refuse(o->resp, API_E_KMS_TAG, "Tags beginning with aws: are reserved");
        size_t j = 0;
        while (j < have && !kv_slice_eq(t[j].key, key))
            j++;
        t[j] = (api_kv_t){key, val};
        if (j == have)
            have++;
    }
    if (have > KMS_TAGS_MAX)
        return api_refuse(o->resp, API_E_KMS_LIMIT, "The key would have more than %d tags.",
                          KMS_TAGS_MAX);
    k->tags = t;
    k->n_tags = have;
    return 0;
}

/* ---- keys ---- */

static void op_create_key(op_t *o)
{
    kv_slice_t desc, policy, usage, spec, cmk_spec, origin;
    if (str_arg(o, "Description", false, 0, KMS_DESC_MAX, &desc) < 0 ||
        str_arg(o, "Policy", false, 1, KMS_POLICY_MAX, &policy) < 0 ||
        str_arg(o, "KeyUsage", false, 1, 64, &usage) < 0 ||
        str_arg(o, "KeySpec", false, 1, 64, &spec) < 0 ||
        str_arg(o, "CustomerMasterKeySpec", false, 1, 64, &cmk_spec) < 0 ||
        str_arg(o, "Origin", false, 1, 64, &origin) < 0)
        return;
    if (authz(o, "kms:CreateKey", NULL, NULL) < 0)
        return;
    if (usage.p && !kv_slice_eq_str(usage, "ENCRYPT_DECRYPT")) {
        static const char *const usages[] = {"SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"};
        for (size_t i = 0; i < 3; i++)
            if (kv_slice_eq_str(usage, usages[i])) {
                api_fail(o->resp, API_E_KMS_UNSUPPORTED,
                         "KeyUsage %s is not supported by this server: only SYMMETRIC_DEFAULT "
                         "keys for ENCRYPT_DECRYPT are.",
                         usages[i]);
                return;
            }
        api_fail(o->resp, API_E_KMS_VALIDATION,
                 "1 validation error detected: Value '%.*s' at 'keyUsage' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [ENCRYPT_DECRYPT, SIGN_VERIFY, "
                 "GENERATE_VERIFY_MAC, KEY_AGREEMENT]",
                 (int)(usage.len > 64 ? 64 : usage.len), (const char *)usage.p);
        return;
    }
    if (spec.p && cmk_spec.p) {
        api_fail(o->resp, API_E_KMS_VALIDATION,
                 "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
                 "CustomerMasterKeySpec parameter is deprecated. Use KeySpec only.");
        return;
    }
    kv_slice_t ks = spec.p ? spec : cmk_spec;
    if (ks.p && !kv_slice_eq_str(ks, "SYMMETRIC_DEFAULT")) {
        api_fail(o->resp, API_E_KMS_UNSUPPORTED,
                 "KeySpec %.*s is not supported by this server: only SYMMETRIC_DEFAULT is.",
                 (int)ks.len, (const char *)ks.p);
        return;
    }
    if (origin.p && !kv_slice_eq_str(origin, "AWS_KMS")) {
        api_fail(o->resp, API_E_KMS_UNSUPPORTED,
                 "Origin %.*s is not supported by this server: only AWS_KMS is.", (int)origin.len,
                 (const char *)origin.p);
        return;
    }
    if (api_json_bool(api_json_get(o->in, "MultiRegion"))) {
        api_fail(o->resp, API_E_KMS_UNSUPPORTED,
                 "Multi-Region keys are not supported by this server.");
        return;
    }
    if (jt(api_json_get(o->in, "XksKeyId")) != API_J_NULL ||
        jt(api_json_get(o->in, "CustomKeyStoreId")) != API_J_NULL) {
        api_fail(o->resp, API_E_KMS_UNSUPPORTED, "Custom key stores are not supported.");
        return;
    }
    const char *why = NULL;
    if (policy.p && pol_parse(policy, POL_RESOURCE, o->a, &why) == NULL) {
        api_fail(o->resp, API_E_KMS_MALFORMED_POLICY, "%s",
                 why ? why
                     : "The new key policy will not allow you to update the key policy in "
                       "the future.");
        return;
    }
    kms_key_t *k =
        kms_key_new(o->ctx, o->a, policy.p ? kv_arena_strndup(o->a, policy.p, policy.len) : NULL);
    k->desc = kv_arena_strndup(o->a, desc.p ? (const char *)desc.p : "", desc.len);
    if (tags_apply(o, k, api_json_get(o->in, "Tags")) < 0)
        return;
    int rc = kms_key_store(o->ctx, o->a, k, NULL, 0);
    if (rc < 0) {
        internal(o, rc);
        return;
    }
    api_jw_obj_begin(o->w);
    jw_metadata(o, k);
    api_jw_obj_end(o->w);
}

static void op_describe_key(op_t *o)
{
    kms_key_t *k;
    if (key_arg(o, "KeyId", true, &k) < 0 || authz(o, "kms:DescribeKey", k, NULL) < 0)
        return;
    api_jw_obj_begin(o->w);
    jw_metadata(o, k);
    api_jw_obj_end(o->w);
}

/* Listing: Limit (1..1000, default 100) and Marker. */
static int page_args(op_t *o, int64_t *limit, kv_slice_t *marker)
{
    if (int_arg(o, "Limit", 1, KMS_LIST_MAX, 100, limit) < 0 ||
        str_arg(o, "Marker", false, 1, 1024, marker) < 0)
        return -1;
    return 0;
}

typedef struct list_keys {
    op_t *o;
    size_t n, limit;
    kv_slice_t last;
    bool more;
} list_keys_t;

static int list_keys_take(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    (void)val;
    list_keys_t *l = arg;
    if (!kms_is_key_id(suffix))
        return 0;
    if (l->n == l->limit) {
        l->more = true;
        return 1;
    }
    api_jw_obj_begin(l->o->w);
    api_jw_key(l->o->w, "KeyId");
    api_jw_str(l->o->w, suffix);
    char id[KMS_ID_LEN + 1];
    memcpy(id, suffix.p, KMS_ID_LEN);
    id[KMS_ID_LEN] = 0;
    api_jw_kstr(l->o->w, "KeyArn", kms_key_arn(l->o->ctx, l->o->a, id));
    api_jw_obj_end(l->o->w);
    l->last = kv_arena_dup(l->o->a, suffix);
    l->n++;
    return 0;
}

static void op_list_keys(op_t *o)
{
    int64_t limit;
    kv_slice_t marker;
    if (page_args(o, &limit, &marker) < 0 || authz(o, "kms:ListKeys", NULL, NULL) < 0)
        return;
    if (marker.p && !kms_is_key_id(marker)) {
        api_fail(o->resp, API_E_KMS_INVALID_MARKER, "Invalid marker");
        return;
    }
    list_keys_t l = {o, 0, (size_t)limit, KV_SLICE_NULL, false};
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, "Keys");
    api_jw_arr_begin(o->w);
    int rc = eng_kms_scan(o->ctx->eng, KV_SLICE_LIT("k"), marker.p ? marker : KV_SLICE_NULL, 0,
                          list_keys_take, &l);
    api_jw_arr_end(o->w);
    if (rc < 0) {
        internal(o, rc);
        return;
    }
    if (l.more) {
        api_jw_key(o->w, "NextMarker");
        api_jw_str(o->w, l.last);
    }
    api_jw_kbool(o->w, "Truncated", l.more);
    api_jw_obj_end(o->w);
}

/* Read-modify-write of one key under the lock: load (KeyId only), authorize, change, store. */
typedef int (*key_change_fn)(op_t *o, kms_key_t *k);

static void key_update(op_t *o, const char *action, key_change_fn change, bool metadata)
{
    pthread_mutex_lock(&o->s->lock);
    kms_key_t *k;
    int rc;
    if (key_arg(o, "KeyId", false, &k) < 0 || authz(o, action, k, NULL) < 0 || change(o, k) < 0)
        goto out;
    rc = kms_key_store(o->ctx, o->a, k, NULL, 0);
    if (rc < 0) {
        internal(o, rc);
        goto out;
    }
    api_jw_obj_begin(o->w);
    if (metadata)
        api_jw_kstr(o->w, "KeyId", k->arn);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}

static int ch_enable(op_t *o, kms_key_t *k)
{
    if (need_state(o, k, false) < 0 || not_aws(o, k) < 0)
        return -1;
    k->state = KMS_ENABLED;
    return 0;
}

static int ch_disable(op_t *o, kms_key_t *k)
{
    if (need_state(o, k, false) < 0 || not_aws(o, k) < 0)
        return -1;
    k->state = KMS_DISABLED;
    return 0;
}

static int ch_cancel_deletion(op_t *o, kms_key_t *k)
{
    if (k->state != KMS_PENDING_DELETION)
        return api_refuse(o->resp, API_E_KMS_INVALID_STATE, "%s is not pending deletion.", k->arn);
    k->state = KMS_DISABLED;
    k->deletion_ms = 0;
    k->pending_days = 0;
    return 0;
}

static int ch_description(op_t *o, kms_key_t *k)
{
    kv_slice_t d;
    if (str_arg(o, "Description", true, 0, KMS_DESC_MAX, &d) < 0 || need_state(o, k, false) < 0 ||
        not_aws(o, k) < 0)
        return -1;
    k->desc = kv_arena_strndup(o->a, d.p, d.len);
    return 0;
}

static void op_schedule_deletion(op_t *o)
{
    int64_t days;
    if (int_arg(o, "PendingWindowInDays", 7, 30, 30, &days) < 0)
        return;
    pthread_mutex_lock(&o->s->lock);
    kms_key_t *k;
    int rc;
    if (key_arg(o, "KeyId", false, &k) < 0 || authz(o, "kms:ScheduleKeyDeletion", k, NULL) < 0 ||
        need_state(o, k, false) < 0 || not_aws(o, k) < 0)
        goto out;
    k->state = KMS_PENDING_DELETION;
    k->pending_days = (uint32_t)days;
    k->deletion_ms = kv_now_ms() + days * day_ms();
    rc = kms_key_store(o->ctx, o->a, k, NULL, 0);
    if (rc < 0) {
        internal(o, rc);
        goto out;
    }
    api_sched_kick(o->ctx, "kms");
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "KeyId", k->arn);
    api_jw_key(o->w, "DeletionDate");
    api_jw_epoch_ms(o->w, k->deletion_ms);
    api_jw_kstr(o->w, "KeyState", "PendingDeletion");
    api_jw_ku64(o->w, "PendingWindowInDays", (uint64_t)days);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}

/* ---- aliases ---- */

static bool alias_chars_ok(kv_slice_t n)
{
    for (size_t i = 0; i < n.len; i++) {
        uint8_t c = n.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ':' || c == '/' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* AliasName as CreateAlias, UpdateAlias and DeleteAlias take it. */
static int alias_arg(op_t *o, bool creating, kv_slice_t *name)
{
    if (str_arg(o, "AliasName", true, 1, KMS_ALIAS_MAX, name) < 0)
        return -1;
    if (!alias_chars_ok(*name))
        return api_refuse(o->resp, API_E_KMS_VALIDATION,
                          "1 validation error detected: Value '%.*s' at 'aliasName' failed to "
                          "satisfy constraint: Member must satisfy regular expression pattern: "
                          "^[a-zA-Z0-9:/_-]+$",
                          (int)name->len, (const char *)name->p);
    if (!kv_slice_starts_with(*name, "alias/") || name->len == 6)
        return api_refuse(o->resp, API_E_KMS_VALIDATION,
                          "Alias must start with the prefix \"alias/\". Please see "
                          "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
    if (kv_slice_starts_with(*name, "alias/aws/") && creating)
        return api_refuse(o->resp, API_E_KMS_NOT_AUTHORIZED,
                          "Aliases that begin with alias/aws/ are reserved for AWS managed keys.");
    if (kv_slice_starts_with(*name, "alias/aws/"))
        return api_refuse(o->resp, API_E_KMS_NOT_AUTHORIZED,
                          "Cannot change or delete the AWS managed alias %.*s.", (int)name->len,
                          (const char *)name->p);
    return 0;
}

/* The alias's own authorization: its action on the alias ARN (identity policies). */
static int authz_alias(op_t *o, const char *action, kv_slice_t name)
{
    kms_az_t az = {.action = action, .resource = kv_slice_str(kms_alias_arn(o->ctx, o->a, name))};
    return kms_authorize(o->ctx, o->req, o->resp, &az);
}

/* TargetKeyId: a key id or key ARN (never an alias), of a customer managed key. */
static int target_arg(op_t *o, kms_key_t **k)
{
    kv_slice_t in = api_json_str(api_json_get(o->in, "TargetKeyId"));
    if (kv_slice_starts_with(in, "alias/") ||
        (kv_slice_starts_with(in, "arn:") && memmem(in.p, in.len, ":alias/", 7)))
        return api_refuse(o->resp, API_E_KMS_VALIDATION, "Aliases must refer to keys. Not aliases");
    if (key_arg(o, "TargetKeyId", false, k) < 0)
        return -1;
    if ((*k)->aws_managed)
        return api_refuse(o->resp, API_E_KMS_NOT_AUTHORIZED,
                          "An alias cannot name an AWS managed key.");
    return need_state(o, *k, false);
}

static void op_create_alias(op_t *o)
{
    kv_slice_t name;
    if (alias_arg(o, true, &name) < 0)
        return;
    pthread_mutex_lock(&o->s->lock);
    kms_key_t *k;
    char old[KMS_ID_LEN + 1];
    if (target_arg(o, &k) < 0 || authz_alias(o, "kms:CreateAlias", name) < 0 ||
        authz(o, "kms:CreateAlias", k, NULL) < 0)
        goto out;
    int rc = kms_alias_get(o->ctx, o->a, name, old, NULL, NULL);
    if (rc == 0) {
        api_fail(o->resp, API_E_KMS_ALREADY_EXISTS, "An alias with the name %s already exists",
                 kms_alias_arn(o->ctx, o->a, name));
        goto out;
    }
    if (rc != KV_ENOTFOUND) {
        internal(o, rc);
        goto out;
    }
    eng_kms_op_t ops[2];
    int64_t now = kv_now_ms();
    kms_alias_put_ops(o->a, name, k->id, now, now, ops);
    rc = eng_kms_write(o->ctx->eng, ops, 2);
    if (rc < 0) {
        internal(o, rc);
        goto out;
    }
    api_jw_obj_begin(o->w);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}

static void op_update_alias(op_t *o)
{
    kv_slice_t name;
    if (alias_arg(o, false, &name) < 0)
        return;
    pthread_mutex_lock(&o->s->lock);
    kms_key_t *k, *ok;
    char old[KMS_ID_LEN + 1];
    int64_t created;
    int rc = kms_alias_get(o->ctx, o->a, name, old, &created, NULL);
    if (rc == KV_ENOTFOUND) {
        authz_alias(o, "kms:UpdateAlias", name);
        if (!o->resp->_err)
            api_fail(o->resp, API_E_KMS_NOT_FOUND, "Alias %s is not found.",
                     kms_alias_arn(o->ctx, o->a, name));
        goto out;
    }
    if (rc < 0) {
        internal(o, rc);
        goto out;
    }
    if (target_arg(o, &k) < 0 || authz_alias(o, "kms:UpdateAlias", name) < 0 ||
        authz(o, "kms:UpdateAlias", k, NULL) < 0)
        goto out;
    if (kms_key_load(o->ctx, o->a, kv_slice(old, KMS_ID_LEN), &ok) == 0 &&
        authz(o, "kms:UpdateAlias", ok, NULL) < 0)
        goto out;
    eng_kms_op_t ops[4];
    kms_alias_del_ops(o->a, name, old, ops);
    kms_alias_put_ops(o->a, name, k->id, created, kv_now_ms(), ops + 2);
    /* one batch: the old index entry and the alias go, the alias and its entry are put (a
     * later op on the same key wins) */
    rc = eng_kms_write(o->ctx->eng, ops, 4);
    if (rc < 0) {
        internal(o, rc);
        goto out;
    }
    api_jw_obj_begin(o->w);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}

static void op_delete_alias(op_t *o)
{
    kv_slice_t name;
    if (alias_arg(o, false, &name) < 0)
        return;
    pthread_mutex_lock(&o->s->lock);
    char id[KMS_ID_LEN + 1];
    kms_key_t *k;
    int rc = kms_alias_get(o->ctx, o->a, name, id, NULL, NULL);
    if (authz_alias(o, "kms:DeleteAlias", name) < 0)
        goto out;
    if (rc == KV_ENOTFOUND) {
        api_fail(o->resp, API_E_KMS_NOT_FOUND, "Alias %s is not found.",
                 kms_alias_arn(o->ctx, o->a, name));
        goto out;
    }
    if (rc < 0) {
        internal(o, rc);
        goto out;
    }
    if (kms_key_load(o->ctx, o->a, kv_slice(id, KMS_ID_LEN), &k) == 0 &&
        authz(o, "kms:DeleteAlias", k, NULL) < 0)
        goto out;
    eng_kms_op_t ops[2];
    kms_alias_del_ops(o->a, name, id, ops);
    rc = eng_kms_write(o->ctx->eng, ops, 2);
    if (rc < 0) {
        internal(o, rc);
        goto out;
    }
    api_jw_obj_begin(o->w);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}

typedef struct alias_ent {
    kv_slice_t name;
    const char *target; /* NULL: an AWS managed alias whose key is not made yet */
    int64_t created, updated;
} alias_ent_t;

typedef struct alias_list {
    op_t *o;
    alias_ent_t *e;
    size_t n, cap;
    bool by_key; /* scanning 'r' <id>/ (the values are empty: the alias is read) */
} alias_list_t;

static int alias_take(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    alias_list_t *l = arg;
    if (l->n == l->cap)
        return 1;
    kv_slice_t name = suffix;
    alias_ent_t *e = &l->e[l->n];
    e->name = kv_arena_dup(l->o->a, name);
    char id[KMS_ID_LEN + 1];
    if (l->by_key) {
        if (kms_alias_get(l->o->ctx, l->o->a, e->name, id, &e->created, &e->updated) < 0)
            return 0;
    } else {
        api_json_t *j;
        const char *err;
        if (api_json_parse(l->o->a, kv_arena_dup(l->o->a, val), &j, &err) < 0)
            return 0;
        kv_slice_t k = api_json_str(api_json_get(j, "k"));
        if (!kms_is_key_id(k))
            return 0;
        memcpy(id, k.p, KMS_ID_LEN);
        id[KMS_ID_LEN] = 0;
        api_json_int(api_json_get(j, "c"), &e->created);
        api_json_int(api_json_get(j, "u"), &e->updated);
    }
    e->target = kv_arena_strndup(l->o->a, id, KMS_ID_LEN);
    l->n++;
    return 0;
}

static int alias_cmp(const void *a, const void *b)
{
    return kv_slice_cmp(((const alias_ent_t *)a)->name, ((const alias_ent_t *)b)->name);
}

static void op_list_aliases(op_t *o)
{
    int64_t limit;
    kv_slice_t marker;
    kms_key_t *k = NULL;
    if (page_args(o, &limit, &marker) < 0)
        return;
    if (jt(api_json_get(o->in, "KeyId")) != API_J_NULL && key_arg(o, "KeyId", false, &k) < 0)
        return;
    if (authz(o, "kms:ListAliases", NULL, NULL) < 0)
        return;
    const char *const *aws;
    size_t n_aws = k ? 0 : kms_aws_aliases(&aws);
    alias_list_t l = {o, NULL, 0, (size_t)limit + 1, k != NULL};
    l.e = kv_arena_calloc(o->a, l.cap + n_aws, sizeof(*l.e));
    int rc;
    if (k) {
        kv_slice_t prefix = kv_slice_str(kv_arena_printf(o->a, "r%s/", k->id));
        rc =
            eng_kms_scan(o->ctx->eng, prefix, marker.p ? marker : KV_SLICE_NULL, 0, alias_take, &l);
    } else {
        rc = eng_kms_scan(o->ctx->eng, KV_SLICE_LIT("a"), marker.p ? marker : KV_SLICE_NULL, 0,
                          alias_take, &l);
        /* the AWS managed aliases whose keys are not made yet */
        size_t stored = l.n;
        for (size_t i = 0; i < n_aws; i++) {
            kv_slice_t nm = kv_slice_str(aws[i]);
            if (marker.p && kv_slice_cmp(nm, marker) <= 0)
                continue;
            bool have = false;
            for (size_t j = 0; j < stored && !have; j++)
                have = kv_slice_eq(l.e[j].name, nm);
            char id[KMS_ID_LEN + 1];
            if (!have && kms_alias_get(o->ctx, o->a, nm, id, NULL, NULL) == KV_ENOTFOUND)
                l.e[l.n++] = (alias_ent_t){nm, NULL, 0, 0};
        }
        qsort(l.e, l.n, sizeof(*l.e), alias_cmp);
    }
    if (rc < 0) {
        internal(o, rc);
        return;
    }
    bool more = l.n > (size_t)limit;
    size_t n = more ? (size_t)limit : l.n;
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, "Aliases");
    api_jw_arr_begin(o->w);
    for (size_t i = 0; i < n; i++) {
        api_jw_obj_begin(o->w);
        api_jw_key(o->w, "AliasName");
        api_jw_str(o->w, l.e[i].name);
        api_jw_kstr(o->w, "AliasArn", kms_alias_arn(o->ctx, o->a, l.e[i].name));
        if (l.e[i].target) {
            api_jw_kstr(o->w, "TargetKeyId", l.e[i].target);
            api_jw_key(o->w, "CreationDate");
            api_jw_epoch_ms(o->w, l.e[i].created);
            api_jw_key(o->w, "LastUpdatedDate");
            api_jw_epoch_ms(o->w, l.e[i].updated);
        }
        api_jw_obj_end(o->w);
    }
    api_jw_arr_end(o->w);
    if (more) {
        api_jw_key(o->w, "NextMarker");
        api_jw_str(o->w, l.e[n - 1].name);
    }
    api_jw_kbool(o->w, "Truncated", more);
    api_jw_obj_end(o->w);
}

/* ---- cryptography ---- */

/* EncryptionContext (or name): parsed and canonical. */
static int context_arg(op_t *o, const char *name, const api_json_t **ctx, kv_buf_t *canon)
{
    *ctx = api_json_get(o->in, name);
    const char *why = NULL;
    if (jt(*ctx) != API_J_NULL && jt(*ctx) != API_J_OBJ)
        return api_refuse(o->resp, API_E_KMS_SERIALIZATION, "%s must be a map", name);
    if (kms_ctx_canon(o->a, *ctx, canon, &why) < 0)
        return api_refuse(o->resp, API_E_KMS_VALIDATION, "%s", why);
    return 0;
}

static int grant_tokens_arg(op_t *o)
{
    const api_json_t *t = api_json_get(o->in, "GrantTokens");
    if (jt(t) == API_J_NULL)
        return 0;
    if (jt(t) != API_J_ARR)
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

static int algorithm_arg(op_t *o, const char *name)
{
    kv_slice_t a;
    if (str_arg(o, name, false, 1, 64, &a) < 0)
        return -1;
    if (a.p && !kv_slice_eq_str(a, "SYMMETRIC_DEFAULT"))
        return api_refuse(o->resp, API_E_KMS_INVALID_KEY_USAGE,
                          "The encryption algorithm %.*s is not compatible with the type of key: "
                          "a SYMMETRIC_DEFAULT key supports SYMMETRIC_DEFAULT only.",
                          (int)(a.len > 64 ? 64 : a.len), (const char *)a.p);
    return 0;
}

/* Seal plain under k's current material into a blob. */
static int seal(op_t *o, const kms_key_t *k, kv_slice_t canon, kv_slice_t plain, kv_buf_t *blob)
{
    uint8_t mat[KMS_MAT_LEN];
    const kms_mat_t *cur = &k->mats[k->n_mats - 1];
    if (kms_key_material(o->ctx, k, cur->v, mat) < 0)
        return api_refuse(o->resp, API_E_KMS_INTERNAL, "The key material could not be read.");
    kms_blob_seal(mat, k->id, cur->v, canon, plain, blob);
    OPENSSL_cleanse(mat, sizeof(mat));
    return 0;
}

/* Open a blob: the key it names (checked against want when not NULL), authorized for action,
 * enabled; plaintext appended to plain. */
static int unseal(op_t *o, kv_slice_t blob, const kms_key_t *want, const char *action,
                  const api_json_t *ctx, kv_slice_t canon, kms_key_t **key, kv_buf_t *plain)
{
    kms_blob_t b;
    if (!kms_blob_parse(blob, &b))
        return api_refuse(o->resp, API_E_KMS_INVALID_CIPHERTEXT, "%s", "");
    if (want && strcmp(want->id, b.key_id) != 0)
        return api_refuse(o->resp, API_E_KMS_INCORRECT_KEY,
                          "The key ID in the request does not identify a KMS key that can "
                          "perform this operation.");
    kms_key_t *k;
    int rc = kms_key_load(o->ctx, o->a, kv_slice_str(b.key_id), &k);
    if (rc == KV_ENOTFOUND)
        return api_refuse(o->resp, API_E_KMS_NOT_FOUND, "Key '%s' does not exist",
                          kms_key_arn(o->ctx, o->a, b.key_id));
    if (rc < 0)
        return internal(o, rc);
    if (authz(o, action, k, ctx) < 0 || need_state(o, k, true) < 0)
        return -1;
    uint8_t mat[KMS_MAT_LEN];
    rc = kms_key_material(o->ctx, k, b.version, mat);
    if (rc == 0)
        rc = kms_blob_open(mat, &b, canon, plain);
    OPENSSL_cleanse(mat, sizeof(mat));
    if (rc < 0)
        return api_refuse(o->resp, API_E_KMS_INVALID_CIPHERTEXT, "%s", "");
    *key = k;
    return 0;
}

static void op_encrypt(op_t *o)
{
    kms_key_t *k;
    const api_json_t *ctx;
    kv_buf_t plain, canon, blob;
    kv_buf_init(&plain, KMS_PLAIN_MAX + 8);
    kv_buf_init(&canon, KMS_CTX_MAX * 2);
    kv_buf_init(&blob, KMS_BLOB_MAX);
    if (key_arg(o, "KeyId", true, &k) < 0 ||
        blob_arg(o, "Plaintext", true, 1, KMS_PLAIN_MAX, &plain) < 0 ||
        context_arg(o, "EncryptionContext", &ctx, &canon) < 0 || grant_tokens_arg(o) < 0 ||
        algorithm_arg(o, "EncryptionAlgorithm") < 0 || authz(o, "kms:Encrypt", k, ctx) < 0 ||
        need_state(o, k, true) < 0 ||
        seal(o, k, kv_buf_slice(&canon), kv_buf_slice(&plain), &blob) < 0)
        goto out;
    api_jw_obj_begin(o->w);
    jw_b64(o->w, "CiphertextBlob", blob.p, blob.len);
    api_jw_kstr(o->w, "KeyId", k->arn);
    api_jw_kstr(o->w, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    api_jw_obj_end(o->w);
out:
    if (plain.p)
        OPENSSL_cleanse(plain.p, plain.len);
    kv_buf_dispose(&plain);
    kv_buf_dispose(&canon);
    kv_buf_dispose(&blob);
}

static void op_decrypt(op_t *o)
{
    kms_key_t *want = NULL, *k;
    const api_json_t *ctx;
    kv_buf_t blob, canon, plain;
    kv_buf_init(&blob, KMS_BLOB_MAX);
    kv_buf_init(&canon, KMS_CTX_MAX * 2);
    kv_buf_init(&plain, KMS_BLOB_MAX);
    if (blob_arg(o, "CiphertextBlob", true, 1, KMS_BLOB_MAX, &blob) < 0 ||
        context_arg(o, "EncryptionContext", &ctx, &canon) < 0 || grant_tokens_arg(o) < 0 ||
        algorithm_arg(o, "EncryptionAlgorithm") < 0 ||
        (jt(api_json_get(o->in, "KeyId")) != API_J_NULL && key_arg(o, "KeyId", true, &want) < 0) ||
        unseal(o, kv_buf_slice(&blob), want, "kms:Decrypt", ctx, kv_buf_slice(&canon), &k, &plain) <
            0)
        goto out;
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "KeyId", k->arn);
    jw_b64(o->w, "Plaintext", plain.p, plain.len);
    api_jw_kstr(o->w, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    api_jw_obj_end(o->w);
out:
    if (plain.p)
        OPENSSL_cleanse(plain.p, plain.len);
    kv_buf_dispose(&plain);
    kv_buf_dispose(&canon);
    kv_buf_dispose(&blob);
}

static void op_re_encrypt(op_t *o)
{
    kms_key_t *want = NULL, *src, *dst;
    const api_json_t *sctx, *dctx;
    kv_buf_t blob, scanon, dcanon, plain, out;
    kv_buf_init(&blob, KMS_BLOB_MAX);
    kv_buf_init(&scanon, KMS_CTX_MAX * 2);
    kv_buf_init(&dcanon, KMS_CTX_MAX * 2);
    kv_buf_init(&plain, KMS_BLOB_MAX);
    kv_buf_init(&out, KMS_BLOB_MAX);
    if (blob_arg(o, "CiphertextBlob", true, 1, KMS_BLOB_MAX, &blob) < 0 ||
        context_arg(o, "SourceEncryptionContext", &sctx, &scanon) < 0 ||
        context_arg(o, "DestinationEncryptionContext", &dctx, &dcanon) < 0 ||
        grant_tokens_arg(o) < 0 || algorithm_arg(o, "SourceEncryptionAlgorithm") < 0 ||
        algorithm_arg(o, "DestinationEncryptionAlgorithm") < 0 ||
        (jt(api_json_get(o->in, "SourceKeyId")) != API_J_NULL &&
         key_arg(o, "SourceKeyId", true, &want) < 0) ||
        key_arg(o, "DestinationKeyId", true, &dst) < 0 ||
        unseal(o, kv_buf_slice(&blob), want, "kms:ReEncryptFrom", sctx, kv_buf_slice(&scanon), &src,
               &plain) < 0 ||
        authz(o, "kms:ReEncryptTo", dst, dctx) < 0 || need_state(o, dst, true) < 0 ||
        seal(o, dst, kv_buf_slice(&dcanon), kv_buf_slice(&plain), &out) < 0)
        goto done;
    api_jw_obj_begin(o->w);
    jw_b64(o->w, "CiphertextBlob", out.p, out.len);
    api_jw_kstr(o->w, "SourceKeyId", src->arn);
    api_jw_kstr(o->w, "KeyId", dst->arn);
    api_jw_kstr(o->w, "SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    api_jw_kstr(o->w, "DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    api_jw_obj_end(o->w);
done:
    if (plain.p)
        OPENSSL_cleanse(plain.p, plain.len);
    kv_buf_dispose(&plain);
    kv_buf_dispose(&out);
    kv_buf_dispose(&scanon);
    kv_buf_dispose(&dcanon);
    kv_buf_dispose(&blob);
}

static void op_generate_data_key(op_t *o, bool with_plain)
{
    kms_key_t *k;
    const api_json_t *ctx;
    kv_slice_t spec;
    int64_t nbytes;
    kv_buf_t canon, blob;
    kv_buf_init(&canon, KMS_CTX_MAX * 2);
    kv_buf_init(&blob, KMS_BLOB_MAX);
    uint8_t plain[KMS_RANDOM_MAX];
    size_t n = 0;
    if (key_arg(o, "KeyId", true, &k) < 0 || str_arg(o, "KeySpec", false, 1, 16, &spec) < 0 ||
        int_arg(o, "NumberOfBytes", 1, KMS_RANDOM_MAX, -1, &nbytes) < 0 ||
        context_arg(o, "EncryptionContext", &ctx, &canon) < 0 || grant_tokens_arg(o) < 0)
        goto out;
    if (spec.p && nbytes >= 0) {
        api_fail(o->resp, API_E_KMS_VALIDATION,
                 "Please specify either number of bytes or key spec.");
        goto out;
    }
    if (spec.p) {
        if (!kv_slice_eq_str(spec, "AES_256") && !kv_slice_eq_str(spec, "AES_128")) {
            api_fail(o->resp, API_E_KMS_VALIDATION,
                     "1 validation error detected: Value '%.*s' at 'keySpec' failed to satisfy "
                     "constraint: Member must satisfy enum value set: [AES_256, AES_128]",
                     (int)spec.len, (const char *)spec.p);
            goto out;
        }
        n = kv_slice_eq_str(spec, "AES_256") ? 32 : 16;
    } else if (nbytes >= 0) {
        n = (size_t)nbytes;
    } else {
        api_fail(o->resp, API_E_KMS_VALIDATION,
                 "Please specify either number of bytes or key spec.");
        goto out;
    }
    if (authz(o, with_plain ? "kms:GenerateDataKey" : "kms:GenerateDataKeyWithoutPlaintext", k,
              ctx) < 0 ||
        need_state(o, k, true) < 0)
        goto out;
    kv_random(plain, n);
    if (seal(o, k, kv_buf_slice(&canon), kv_slice(plain, n), &blob) < 0)
        goto out;
    api_jw_obj_begin(o->w);
    jw_b64(o->w, "CiphertextBlob", blob.p, blob.len);
    if (with_plain)
        jw_b64(o->w, "Plaintext", plain, n);
    api_jw_kstr(o->w, "KeyId", k->arn);
    api_jw_obj_end(o->w);
out:
    OPENSSL_cleanse(plain, sizeof(plain));
    kv_buf_dispose(&canon);
    kv_buf_dispose(&blob);
}

static void op_generate_random(op_t *o)
{
    int64_t n;
    if (int_arg(o, "NumberOfBytes", 1, KMS_RANDOM_MAX, -1, &n) < 0)
        return;
    if (jt(api_json_get(o->in, "CustomKeyStoreId")) != API_J_NULL) {
        api_fail(o->resp, API_E_KMS_UNSUPPORTED, "Custom key stores are not supported.");
        return;
    }
    if (authz(o, "kms:GenerateRandom", NULL, NULL) < 0)
        return;
    if (n < 0) {
        api_fail(o->resp, API_E_KMS_VALIDATION,
                 "1 validation error detected: Value null at 'numberOfBytes' failed to satisfy "
                 "constraint: Member must not be null");
        return;
    }
    uint8_t b[KMS_RANDOM_MAX];
    kv_random(b, (size_t)n);
    api_jw_obj_begin(o->w);
    jw_b64(o->w, "Plaintext", b, (size_t)n);
    api_jw_obj_end(o->w);
    OPENSSL_cleanse(b, sizeof(b));
}

/* ---- rotation ---- */

static int ch_rotation_on(op_t *o, kms_key_t *k)
{
    int64_t days;
    if (int_arg(o, "RotationPeriodInDays", 90, 2560, 365, &days) < 0 ||
        need_state(o, k, true) < 0 || not_aws(o, k) < 0)
        return -1;
    k->rotation = true;
    k->rotation_days = (uint32_t)days;
    k->next_rotation_ms = kv_now_ms() + days * day_ms();
    return 0;
}

static int ch_rotation_off(op_t *o, kms_key_t *k)
{
    if (need_state(o, k, true) < 0 || not_aws(o, k) < 0)
        return -1;
    k->rotation = false;
    k->next_rotation_ms = 0;
    return 0;
}

static void op_rotation_status(op_t *o)
{
    kms_key_t *k;
    if (key_arg(o, "KeyId", false, &k) < 0 || authz(o, "kms:GetKeyRotationStatus", k, NULL) < 0 ||
        need_state(o, k, false) < 0)
        return;
    api_jw_obj_begin(o->w);
    api_jw_kbool(o->w, "KeyRotationEnabled", k->rotation);
    api_jw_kstr(o->w, "KeyId", k->arn);
    if (k->rotation) {
        api_jw_ku64(o->w, "RotationPeriodInDays", k->rotation_days);
        api_jw_key(o->w, "NextRotationDate");
        api_jw_epoch_ms(o->w, k->next_rotation_ms);
    }
    api_jw_obj_end(o->w);
}

static int ch_rotate_now(op_t *o, kms_key_t *k)
{
    if (need_state(o, k, true) < 0 || not_aws(o, k) < 0)
        return -1;
    size_t on_demand = 0;
    for (size_t i = 0; i < k->n_mats; i++)
        on_demand += k->mats[i].on_demand;
    if (on_demand >= 10 || k->n_mats >= KMS_MATS_MAX)
        return api_refuse(o->resp, API_E_KMS_LIMIT,
                          "The key %s has reached its quota of on-demand rotations.", k->arn);
    kms_key_add_material(o->ctx, o->a, k, true);
    return 0;
}

static void op_list_rotations(op_t *o)
{
    kms_key_t *k;
    int64_t limit;
    kv_slice_t marker;
    if (page_args(o, &limit, &marker) < 0 || key_arg(o, "KeyId", false, &k) < 0 ||
        authz(o, "kms:ListKeyRotations", k, NULL) < 0 || need_state(o, k, false) < 0)
        return;
    uint64_t from = 1;
    if (marker.p && (!kv_slice_to_u64(marker, &from) || from < 1)) {
        api_fail(o->resp, API_E_KMS_INVALID_MARKER, "Invalid marker");
        return;
    }
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, "Rotations");
    api_jw_arr_begin(o->w);
    size_t n = 0;
    bool more = false;
    size_t i = (size_t)from;
    for (; i < k->n_mats; i++) { /* material 0 is the original: not a rotation */
        if (n == (size_t)limit) {
            more = true;
            break;
        }
        api_jw_obj_begin(o->w);
        api_jw_kstr(o->w, "KeyId", k->arn);
        api_jw_key(o->w, "RotationDate");
        api_jw_epoch_ms(o->w, k->mats[i].ms);
        api_jw_kstr(o->w, "RotationType", k->mats[i].on_demand ? "ON_DEMAND" : "AUTOMATIC");
        api_jw_obj_end(o->w);
        n++;
    }
    api_jw_arr_end(o->w);
    if (more)
        api_jw_kstr(o->w, "NextMarker", kv_arena_printf(o->a, "%zu", i));
    api_jw_kbool(o->w, "Truncated", more);
    api_jw_obj_end(o->w);
}

/* ---- the key policy ---- */

static int policy_name_arg(op_t *o, bool required)
{
    kv_slice_t n;
    if (str_arg(o, "PolicyName", required, 1, 128, &n) < 0)
        return -1;
    if (n.p && !kv_slice_eq_str(n, "default"))
        return api_refuse(o->resp, API_E_KMS_NOT_FOUND, "No such policy exists");
    return 0;
}

static void op_get_policy(op_t *o)
{
    kms_key_t *k;
    if (key_arg(o, "KeyId", false, &k) < 0 || authz(o, "kms:GetKeyPolicy", k, NULL) < 0 ||
        policy_name_arg(o, false) < 0 || need_state(o, k, false) < 0)
        return;
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "Policy", k->policy);
    api_jw_kstr(o->w, "PolicyName", "default");
    api_jw_obj_end(o->w);
}

static int ch_policy(op_t *o, kms_key_t *k)
{
    kv_slice_t p;
    if (policy_name_arg(o, false) < 0 || str_arg(o, "Policy", true, 1, KMS_POLICY_MAX, &p) < 0 ||
        need_state(o, k, false) < 0 || not_aws(o, k) < 0)
        return -1;
    const char *why = NULL;
    if (pol_parse(p, POL_RESOURCE, o->a, &why) == NULL)
        return api_refuse(o->resp, API_E_KMS_MALFORMED_POLICY, "%s",
                          why ? why : "The policy is not valid.");
    k->policy = kv_arena_strndup(o->a, p.p, p.len);
    return 0;
}

static void op_list_policies(op_t *o)
{
    kms_key_t *k;
    int64_t limit;
    kv_slice_t marker;
    if (page_args(o, &limit, &marker) < 0 || key_arg(o, "KeyId", false, &k) < 0 ||
        authz(o, "kms:ListKeyPolicies", k, NULL) < 0 || need_state(o, k, false) < 0)
        return;
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, "PolicyNames");
    api_jw_arr_begin(o->w);
    api_jw_cstr(o->w, "default");
    api_jw_arr_end(o->w);
    api_jw_kbool(o->w, "Truncated", false);
    api_jw_obj_end(o->w);
}

/* ---- tags ---- */

static int ch_tag(op_t *o, kms_key_t *k)
{
    if (need_state(o, k, false) < 0 || not_aws(o, k) < 0)
        return -1;
    if (jt(api_json_get(o->in, "Tags")) != API_J_ARR)
        return api_refuse(o->resp, API_E_KMS_VALIDATION,
                          "1 validation error detected: Value null at 'tags' failed to satisfy "
                          "constraint: Member must not be null");
    return tags_apply(o, k, api_json_get(o->in, "Tags"));
}

static int ch_untag(op_t *o, kms_key_t *k)
{
    if (need_state(o, k, false) < 0 || not_aws(o, k) < 0)
        return -1;
    const api_json_t *keys = api_json_get(o->in, "TagKeys");
    if (jt(keys) != API_J_ARR)
        return api_refuse(o->resp, API_E_KMS_VALIDATION,
                          "1 validation error detected: Value null at 'tagKeys' failed to "
                          "satisfy constraint: Member must not be null");
    size_t n = api_json_len(keys), m = 0;
    if (n > KMS_TAGS_MAX)
        return api_refuse(o->resp, API_E_KMS_TAG, "Too many tag keys: at most %d.", KMS_TAGS_MAX);
    for (size_t i = 0; i < k->n_tags; i++) {
        bool drop = false;
        for (size_t j = 0; j < n && !drop; j++)
            drop = kv_slice_eq(k->tags[i].key, api_json_str(api_json_at(keys, j)));
        if (!drop)
            k->tags[m++] = k->tags[i];
    }
    k->n_tags = m;
    return 0;
}

static void op_list_tags(op_t *o)
{
    kms_key_t *k;
    int64_t limit;
    kv_slice_t marker;
    if (int_arg(o, "Limit", 1, 50, 50, &limit) < 0 ||
        str_arg(o, "Marker", false, 1, 1024, &marker) < 0 || key_arg(o, "KeyId", false, &k) < 0 ||
        authz(o, "kms:ListResourceTags", k, NULL) < 0 || need_state(o, k, false) < 0)
        return;
    uint64_t from = 0;
    if (marker.p && !kv_slice_to_u64(marker, &from)) {
        api_fail(o->resp, API_E_KMS_INVALID_MARKER, "Invalid marker");
        return;
    }
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, "Tags");
    api_jw_arr_begin(o->w);
    size_t i = (size_t)from, n = 0;
    for (; i < k->n_tags && n < (size_t)limit; i++, n++) {
        api_jw_obj_begin(o->w);
        api_jw_key(o->w, "TagKey");
        api_jw_str(o->w, k->tags[i].key);
        api_jw_key(o->w, "TagValue");
        api_jw_str(o->w, k->tags[i].value);
        api_jw_obj_end(o->w);
    }
    api_jw_arr_end(o->w);
    bool more = i < k->n_tags;
    if (more)
        api_jw_kstr(o->w, "NextMarker", kv_arena_printf(o->a, "%zu", i));
    api_jw_kbool(o->w, "Truncated", more);
    api_jw_obj_end(o->w);
}

/* ---- grants ---- */

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

static void jw_grant(op_t *o, const kms_grant_t *g)
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
static int constraint_arg(op_t *o, const api_json_t *c, const char *name, const api_json_t **out)
{
    *out = NULL;
    const api_json_t *v = c ? api_json_get(c, name) : NULL;
    if (jt(v) == API_J_NULL)
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

static void op_create_grant(op_t *o)
{
    kv_slice_t grantee, retiring, name;
    if (str_arg(o, "GranteePrincipal", true, 1, 256, &grantee) < 0 ||
        str_arg(o, "RetiringPrincipal", false, 1, 256, &retiring) < 0 ||
        str_arg(o, "Name", false, 1, 256, &name) < 0 || grant_tokens_arg(o) < 0)
        return;
    const api_json_t *ops = api_json_get(o->in, "Operations");
    if (jt(ops) != API_J_ARR || api_json_len(ops) == 0) {
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
    if (jt(cons) != API_J_NULL && jt(cons) != API_J_OBJ) {
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
    if (key_arg(o, "KeyId", false, &k) < 0 || authz(o, "kms:CreateGrant", k, NULL) < 0 ||
        need_state(o, k, false) < 0)
        goto out;
    rc = kms_grants_load(o->ctx, o->a, k->id, &have, &n_have);
    if (rc < 0) {
        internal(o, rc);
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
        internal(o, rc);
        goto out;
    }
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "GrantToken", grant_token(o->a, k->id, id));
    api_jw_kstr(o->w, "GrantId", id);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}

static void op_list_grants(op_t *o)
{
    int64_t limit;
    kv_slice_t marker, gid, grantee;
    kms_key_t *k;
    if (page_args(o, &limit, &marker) < 0 || str_arg(o, "GrantId", false, 1, 128, &gid) < 0 ||
        str_arg(o, "GranteePrincipal", false, 1, 256, &grantee) < 0 ||
        key_arg(o, "KeyId", false, &k) < 0 || authz(o, "kms:ListGrants", k, NULL) < 0 ||
        need_state(o, k, false) < 0)
        return;
    kms_grant_t *g;
    size_t n;
    int rc = kms_grants_load(o->ctx, o->a, k->id, &g, &n);
    if (rc < 0) {
        internal(o, rc);
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
    op_t *o;
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
        .id = jstr(r->o->a, j, "id"),
        .name = jstr(r->o->a, j, "n"),
        .grantee = jstr(r->o->a, j, "g"),
        .retiring = jstr(r->o->a, j, "r"),
        .ctx_equals = api_json_get(j, "ce"),
        .ctx_subset = api_json_get(j, "cs"),
    };
    api_json_int(api_json_get(j, "c"), &g.created_ms);
    const api_json_t *ops = api_json_get(j, "o");
    size_t n = jt(ops) == API_J_ARR ? api_json_len(ops) : 0;
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

static void op_list_retirable(op_t *o)
{
    int64_t limit;
    kv_slice_t marker, who;
    if (page_args(o, &limit, &marker) < 0 ||
        str_arg(o, "RetiringPrincipal", true, 1, 256, &who) < 0 ||
        authz(o, "kms:ListRetirableGrants", NULL, NULL) < 0)
        return;
    retirable_t r = {o, who, (size_t)limit, 0, false, KV_SLICE_NULL};
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, "Grants");
    api_jw_arr_begin(o->w);
    int rc = eng_kms_scan(o->ctx->eng, KV_SLICE_LIT("g"), marker.p ? marker : KV_SLICE_NULL, 0,
                          retirable_take, &r);
    api_jw_arr_end(o->w);
    if (rc < 0) {
        internal(o, rc);
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
static void op_end_grant(op_t *o, bool retire)
{
    kv_slice_t token, gid;
    if (str_arg(o, "GrantToken", false, 1, 8192, &token) < 0 ||
        str_arg(o, "GrantId", !retire, 1, 128, &gid) < 0)
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
            internal(o, rc);
            goto out;
        }
    } else if (key_arg(o, "KeyId", false, &k) < 0) {
        goto out;
    }
    if (authz(o, retire ? "kms:RetireGrant" : "kms:RevokeGrant", k, NULL) < 0 ||
        need_state(o, k, false) < 0)
        goto out;
    kms_grant_t *g;
    size_t n;
    rc = kms_grants_load(o->ctx, o->a, k->id, &g, &n);
    if (rc < 0) {
        internal(o, rc);
        goto out;
    }
    size_t i = 0;
    while (i < n && !kv_slice_eq_str(gid, g[i].id))
        i++;
    if (i == n) {
        api_fail(o->resp, API_E_KMS_NOT_FOUND, "Grant ID %.*s not found",
                 (int)(gid.len > 128 ? 128 : gid.len), (const char *)gid.p);
        goto out;
    }
    eng_kms_op_t op = {kms_grant_key(o->a, k->id, g[i].id), KV_SLICE_NULL};
    rc = eng_kms_write(o->ctx->eng, &op, 1);
    if (rc < 0) {
        internal(o, rc);
        goto out;
    }
    api_jw_obj_begin(o->w);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}

/* ---- the service ---- */

static void kms_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    kv_slice_t body = kv_buf_slice(&req->_st->body);
    api_json_t *in;
    const char *err = NULL;
    if (body.len == 0)
        body = KV_SLICE_LIT("{}");
    if (api_json_parse(req->arena, body, &in, &err) < 0 || jt(in) != API_J_OBJ) {
        api_refuse(resp, API_E_KMS_SERIALIZATION, "%s", err ? err : "Expected a JSON object");
        return;
    }
    resp->status = 200;
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-amz-json-1.1"));
    api_jw_t w;
    api_jw_init(&w, &resp->body);
    op_t o = {ctx, req, resp, in, &w, req->arena, kms_state(ctx)};
    switch ((kms_op_t)req->_st->op) {
    case KMS_OP_create_key:
        op_create_key(&o);
        break;
    case KMS_OP_describe_key:
        op_describe_key(&o);
        break;
    case KMS_OP_list_keys:
        op_list_keys(&o);
        break;
    case KMS_OP_enable_key:
        key_update(&o, "kms:EnableKey", ch_enable, false);
        break;
    case KMS_OP_disable_key:
        key_update(&o, "kms:DisableKey", ch_disable, false);
        break;
    case KMS_OP_schedule_key_deletion:
        op_schedule_deletion(&o);
        break;
    case KMS_OP_cancel_key_deletion:
        key_update(&o, "kms:CancelKeyDeletion", ch_cancel_deletion, true);
        break;
    case KMS_OP_update_key_description:
        key_update(&o, "kms:UpdateKeyDescription", ch_description, false);
        break;
    case KMS_OP_create_alias:
        op_create_alias(&o);
        break;
    case KMS_OP_list_aliases:
        op_list_aliases(&o);
        break;
    case KMS_OP_update_alias:
        op_update_alias(&o);
        break;
    case KMS_OP_delete_alias:
        op_delete_alias(&o);
        break;
    case KMS_OP_encrypt:
        op_encrypt(&o);
        break;
    case KMS_OP_decrypt:
        op_decrypt(&o);
        break;
    case KMS_OP_re_encrypt:
        op_re_encrypt(&o);
        break;
    case KMS_OP_generate_data_key:
        op_generate_data_key(&o, true);
        break;
    case KMS_OP_generate_data_key_no_plain:
        op_generate_data_key(&o, false);
        break;
    case KMS_OP_generate_random:
        op_generate_random(&o);
        break;
    case KMS_OP_enable_key_rotation:
        key_update(&o, "kms:EnableKeyRotation", ch_rotation_on, false);
        break;
    case KMS_OP_disable_key_rotation:
        key_update(&o, "kms:DisableKeyRotation", ch_rotation_off, false);
        break;
    case KMS_OP_get_key_rotation_status:
        op_rotation_status(&o);
        break;
    case KMS_OP_rotate_key_on_demand:
        key_update(&o, "kms:RotateKeyOnDemand", ch_rotate_now, true);
        break;
    case KMS_OP_list_key_rotations:
        op_list_rotations(&o);
        break;
    case KMS_OP_get_key_policy:
        op_get_policy(&o);
        break;
    case KMS_OP_put_key_policy:
        key_update(&o, "kms:PutKeyPolicy", ch_policy, false);
        break;
    case KMS_OP_list_key_policies:
        op_list_policies(&o);
        break;
    case KMS_OP_create_grant:
        op_create_grant(&o);
        break;
    case KMS_OP_list_grants:
        op_list_grants(&o);
        break;
    case KMS_OP_list_retirable_grants:
        op_list_retirable(&o);
        break;
    case KMS_OP_retire_grant:
        op_end_grant(&o, true);
        break;
    case KMS_OP_revoke_grant:
        op_end_grant(&o, false);
        break;
    case KMS_OP_tag_resource:
        key_update(&o, "kms:TagResource", ch_tag, false);
        break;
    case KMS_OP_untag_resource:
        key_update(&o, "kms:UntagResource", ch_untag, false);
        break;
    case KMS_OP_list_resource_tags:
        op_list_tags(&o);
        break;
    default: {
        kv_slice_t t = req->_st->target;
        api_refuse(resp, API_E_KMS_UNKNOWN_OP, "Operation %.*s is not supported by this server",
                   (int)(t.len > 64 ? 64 : t.len), (const char *)t.p);
    }
    }
    if (!resp->_err && !api_jw_ok(&w))
        api_refuse(resp, API_E_KMS_INTERNAL, "The response was too large");
}

static const api_op_desc_t kms_ops[] = {
#define XX(Name, cname) {.name = #Name, .flags = 0},
    KMS_OP_MAP(XX)
#undef XX
};

/* The JSON 1.1 protocol's error body and its headers. */
static void kms_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    if (resp->_err) {
        kv_buf_reset(&resp->body);
        api_jw_t w;
        api_jw_init(&w, &resp->body);
        api_jw_obj_begin(&w);
        api_jw_kstr(&w, "__type", api_err_code(resp->_err));
        api_jw_kstr(&w, "message", resp->_msg ? resp->_msg : "");
        api_jw_obj_end(&w);
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-amz-json-1.1"));
    }
    api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(req->_st->request_id));
}

static int kms_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state)
{
    (void)ctx;
    (void)cfg;
    kms_state_t *s = kv_calloc(1, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    *state = s;
    return 0;
}

static void kms_fini(void *state)
{
    kms_state_t *s = state;
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->lock);
    kv_free(s);
}

/* ---- the kms job: deletions and automatic rotations that are due ---- */

typedef struct due {
    api_ctx_t *ctx;
    kv_arena_t *a;
    int64_t now;
    unsigned left;
    char last[KMS_ID_LEN + 1];
} due_t;

static int due_take(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    (void)val;
    due_t *d = arg;
    if (!kms_is_key_id(suffix))
        return 0;
    memcpy(d->last, suffix.p, KMS_ID_LEN);
    d->last[KMS_ID_LEN] = 0;
    if (d->left-- == 0)
        return 1;
    kms_key_t *k;
    /* a key past its deletion date goes as it is read */
    if (kms_key_load(d->ctx, d->a, suffix, &k) == 0 && k->rotation && k->next_rotation_ms &&
        k->next_rotation_ms <= d->now && k->state == KMS_ENABLED && k->n_mats < KMS_MATS_MAX) {
        kms_key_add_material(d->ctx, d->a, k, false);
        k->next_rotation_ms = d->now + (int64_t)k->rotation_days * day_ms();
        kms_key_store(d->ctx, d->a, k, NULL, 0);
    }
    return 0;
}

static char job_cursor[KMS_ID_LEN + 1]; /* the services thread's: where the next run starts */

static int kms_job_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    kms_state_t *s = state;
    kv_arena_t *a = kv_arena_new(16384);
    due_t d = {ctx, a, kv_now_ms(), budget ? budget : 64, {0}};
    pthread_mutex_lock(&s->lock);
    int rc = eng_kms_scan(ctx->eng, KV_SLICE_LIT("k"), kv_slice_str(job_cursor), 0, due_take, &d);
    pthread_mutex_unlock(&s->lock);
    kv_arena_free(a);
    bool more = rc == 0 && d.left == (unsigned)-1;
    if (more) {
        memcpy(job_cursor, d.last, sizeof(job_cursor));
        return 0;
    }
    job_cursor[0] = 0;
    return INT_MAX; /* after its period */
}

static const api_job_t kms_jobs[] = {
    {"kms", 60000, false, kms_job_run},
};

static const char *const kms_scopes[] = {"kms", NULL};

const api_service_t kms_service = {
    .name = "kms",
    .scopes = kms_scopes,
    .target_prefix = KMS_TARGET_PREFIX,
    .ops = kms_ops,
    .n_ops = KMS_OP__COUNT,
    .body_max = 256u << 10,
    .dispatch = kms_dispatch,
    .finish = kms_finish,
    .ids = API_IDS_UUID,
    .err_internal = API_E_KMS_INTERNAL,
    .err_throttle = API_E_KMS_THROTTLING,
    .err_too_large = API_E_KMS_VALIDATION,
    .err_stream_large = API_E_KMS_VALIDATION,
    .iam_prefix = "kms",
    .err_denied = API_E_KMS_ACCESS_DENIED,
    .jobs = kms_jobs,
    .n_jobs = sizeof(kms_jobs) / sizeof(kms_jobs[0]),
    .init = kms_init,
    .fini = kms_fini,
};
