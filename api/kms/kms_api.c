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
#include <string.h>

#include "authz/pol.h"
#include "base/kv_alloc.h"
#include "base/kv_time.h"
#include "kms_int.h"

kms_state_t *kms_state(api_ctx_t *ctx)
{
    return api_service_state(ctx, &kms_service);
}

static const char *state_name(kms_key_state_t s)
{
    return s == KMS_DISABLED           ? "Disabled"
           : s == KMS_PENDING_DELETION ? "PendingDeletion"
                                       : "Enabled";
}

static void jw_metadata(kms_rq_t *o, const kms_key_t *k)
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
static int tags_apply(kms_rq_t *o, kms_key_t *k, const api_json_t *tags)
{
    if (kms_jt(tags) == API_J_NULL)
        return 0;
    if (kms_jt(tags) != API_J_ARR)
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
        if (kms_jt(kj) != API_J_STR || kms_jt(vj) != API_J_STR)
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

static void op_create_key(kms_rq_t *o)
{
    kv_slice_t desc, policy, usage, spec, cmk_spec, origin;
    if (kms_arg_str(o, "Description", false, 0, KMS_DESC_MAX, &desc) < 0 ||
        kms_arg_str(o, "Policy", false, 1, KMS_POLICY_MAX, &policy) < 0 ||
        kms_arg_str(o, "KeyUsage", false, 1, 64, &usage) < 0 ||
        kms_arg_str(o, "KeySpec", false, 1, 64, &spec) < 0 ||
        kms_arg_str(o, "CustomerMasterKeySpec", false, 1, 64, &cmk_spec) < 0 ||
        kms_arg_str(o, "Origin", false, 1, 64, &origin) < 0)
        return;
    if (kms_authz_op(o, "kms:CreateKey", NULL, NULL) < 0)
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
    if (kms_jt(api_json_get(o->in, "XksKeyId")) != API_J_NULL ||
        kms_jt(api_json_get(o->in, "CustomKeyStoreId")) != API_J_NULL) {
        api_fail(o->resp, API_E_KMS_UNSUPPORTED, "Custom key stores are not supported.");
        return;
    }
    const char *why = NULL;
    pol_t *parsed = policy.p ? pol_parse(policy, POL_RESOURCE, o->a, &why) : NULL;
    if (policy.p && parsed == NULL) {
        api_fail(o->resp, API_E_KMS_MALFORMED_POLICY, "%s",
                 why ? why
                     : "The new key policy will not allow you to update the key policy in "
                       "the future.");
        return;
    }
    pol_free(parsed); /* only checked here: evaluation compiles it through the cache */
    kms_key_t *k =
        kms_key_new(o->ctx, o->a, policy.p ? kv_arena_strndup(o->a, policy.p, policy.len) : NULL);
    k->desc = kv_arena_strndup(o->a, desc.p ? (const char *)desc.p : "", desc.len);
    if (tags_apply(o, k, api_json_get(o->in, "Tags")) < 0)
        return;
    int rc = kms_key_store(o->ctx, o->a, k, NULL, 0);
    if (rc < 0) {
        kms_internal(o, rc);
        return;
    }
    api_jw_obj_begin(o->w);
    jw_metadata(o, k);
    api_jw_obj_end(o->w);
}

static void op_describe_key(kms_rq_t *o)
{
    kms_key_t *k;
    if (kms_arg_key(o, "KeyId", true, &k) < 0 || kms_authz_op(o, "kms:DescribeKey", k, NULL) < 0)
        return;
    api_jw_obj_begin(o->w);
    jw_metadata(o, k);
    api_jw_obj_end(o->w);
}

typedef struct list_keys {
    kms_rq_t *o;
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

static void op_list_keys(kms_rq_t *o)
{
    int64_t limit;
    kv_slice_t marker;
    if (kms_arg_page(o, &limit, &marker) < 0 || kms_authz_op(o, "kms:ListKeys", NULL, NULL) < 0)
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
        kms_internal(o, rc);
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
typedef int (*key_change_fn)(kms_rq_t *o, kms_key_t *k);

static void key_update(kms_rq_t *o, const char *action, key_change_fn change, bool metadata)
{
    pthread_mutex_lock(&o->s->lock);
    kms_key_t *k;
    int rc;
    if (kms_arg_key(o, "KeyId", false, &k) < 0 || kms_authz_op(o, action, k, NULL) < 0 ||
        change(o, k) < 0)
        goto out;
    rc = kms_key_store(o->ctx, o->a, k, NULL, 0);
    if (rc < 0) {
        kms_internal(o, rc);
        goto out;
    }
    api_jw_obj_begin(o->w);
    if (metadata)
        api_jw_kstr(o->w, "KeyId", k->arn);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}

static int ch_enable(kms_rq_t *o, kms_key_t *k)
{
    if (kms_need_state(o, k, false) < 0 || kms_not_aws(o, k) < 0)
        return -1;
    k->state = KMS_ENABLED;
    return 0;
}

static int ch_disable(kms_rq_t *o, kms_key_t *k)
{
    if (kms_need_state(o, k, false) < 0 || kms_not_aws(o, k) < 0)
        return -1;
    k->state = KMS_DISABLED;
    return 0;
}

static int ch_cancel_deletion(kms_rq_t *o, kms_key_t *k)
{
    if (k->state != KMS_PENDING_DELETION)
        return api_refuse(o->resp, API_E_KMS_INVALID_STATE, "%s is not pending deletion.", k->arn);
    k->state = KMS_DISABLED;
    k->deletion_ms = 0;
    k->pending_days = 0;
    return 0;
}

static int ch_description(kms_rq_t *o, kms_key_t *k)
{
    kv_slice_t d;
    if (kms_arg_str(o, "Description", true, 0, KMS_DESC_MAX, &d) < 0 ||
        kms_need_state(o, k, false) < 0 || kms_not_aws(o, k) < 0)
        return -1;
    k->desc = kv_arena_strndup(o->a, d.p, d.len);
    return 0;
}

static void op_schedule_deletion(kms_rq_t *o)
{
    int64_t days;
    if (kms_arg_int(o, "PendingWindowInDays", 7, 30, 30, &days) < 0)
        return;
    pthread_mutex_lock(&o->s->lock);
    kms_key_t *k;
    int rc;
    if (kms_arg_key(o, "KeyId", false, &k) < 0 ||
        kms_authz_op(o, "kms:ScheduleKeyDeletion", k, NULL) < 0 ||
        kms_need_state(o, k, false) < 0 || kms_not_aws(o, k) < 0)
        goto out;
    k->state = KMS_PENDING_DELETION;
    k->pending_days = (uint32_t)days;
    k->deletion_ms = kv_now_ms() + days * kms_day_ms();
    rc = kms_key_store(o->ctx, o->a, k, NULL, 0);
    if (rc < 0) {
        kms_internal(o, rc);
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

/* ---- rotation ---- */

static int ch_rotation_on(kms_rq_t *o, kms_key_t *k)
{
    int64_t days;
    if (kms_arg_int(o, "RotationPeriodInDays", 90, 2560, 365, &days) < 0 ||
        kms_need_state(o, k, true) < 0 || kms_not_aws(o, k) < 0)
        return -1;
    k->rotation = true;
    k->rotation_days = (uint32_t)days;
    k->next_rotation_ms = kv_now_ms() + days * kms_day_ms();
    return 0;
}

static int ch_rotation_off(kms_rq_t *o, kms_key_t *k)
{
    if (kms_need_state(o, k, true) < 0 || kms_not_aws(o, k) < 0)
        return -1;
    k->rotation = false;
    k->next_rotation_ms = 0;
    return 0;
}

static void op_rotation_status(kms_rq_t *o)
{
    kms_key_t *k;
    if (kms_arg_key(o, "KeyId", false, &k) < 0 ||
        kms_authz_op(o, "kms:GetKeyRotationStatus", k, NULL) < 0 || kms_need_state(o, k, false) < 0)
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

static int ch_rotate_now(kms_rq_t *o, kms_key_t *k)
{
    if (kms_need_state(o, k, true) < 0 || kms_not_aws(o, k) < 0)
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

static void op_list_rotations(kms_rq_t *o)
{
    kms_key_t *k;
    int64_t limit;
    kv_slice_t marker;
    if (kms_arg_page(o, &limit, &marker) < 0 || kms_arg_key(o, "KeyId", false, &k) < 0 ||
        kms_authz_op(o, "kms:ListKeyRotations", k, NULL) < 0 || kms_need_state(o, k, false) < 0)
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

static int policy_name_arg(kms_rq_t *o, bool required)
{
    kv_slice_t n;
    if (kms_arg_str(o, "PolicyName", required, 1, 128, &n) < 0)
        return -1;
    if (n.p && !kv_slice_eq_str(n, "default"))
        return api_refuse(o->resp, API_E_KMS_NOT_FOUND, "No such policy exists");
    return 0;
}

static void op_get_policy(kms_rq_t *o)
{
    kms_key_t *k;
    if (kms_arg_key(o, "KeyId", false, &k) < 0 ||
        kms_authz_op(o, "kms:GetKeyPolicy", k, NULL) < 0 || policy_name_arg(o, false) < 0 ||
        kms_need_state(o, k, false) < 0)
        return;
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "Policy", k->policy);
    api_jw_kstr(o->w, "PolicyName", "default");
    api_jw_obj_end(o->w);
}

static int ch_policy(kms_rq_t *o, kms_key_t *k)
{
    kv_slice_t p;
    if (policy_name_arg(o, false) < 0 ||
        kms_arg_str(o, "Policy", true, 1, KMS_POLICY_MAX, &p) < 0 ||
        kms_need_state(o, k, false) < 0 || kms_not_aws(o, k) < 0)
        return -1;
    const char *why = NULL;
    pol_t *parsed = pol_parse(p, POL_RESOURCE, o->a, &why);
    if (parsed == NULL)
        return api_refuse(o->resp, API_E_KMS_MALFORMED_POLICY, "%s",
                          why ? why : "The policy is not valid.");
    pol_free(parsed); /* only checked here: evaluation compiles it through the cache */
    k->policy = kv_arena_strndup(o->a, p.p, p.len);
    return 0;
}

static void op_list_policies(kms_rq_t *o)
{
    kms_key_t *k;
    int64_t limit;
    kv_slice_t marker;
    if (kms_arg_page(o, &limit, &marker) < 0 || kms_arg_key(o, "KeyId", false, &k) < 0 ||
        kms_authz_op(o, "kms:ListKeyPolicies", k, NULL) < 0 || kms_need_state(o, k, false) < 0)
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

static int ch_tag(kms_rq_t *o, kms_key_t *k)
{
    if (kms_need_state(o, k, false) < 0 || kms_not_aws(o, k) < 0)
        return -1;
    if (kms_jt(api_json_get(o->in, "Tags")) != API_J_ARR)
        return api_refuse(o->resp, API_E_KMS_VALIDATION,
                          "1 validation error detected: Value null at 'tags' failed to satisfy "
                          "constraint: Member must not be null");
    return tags_apply(o, k, api_json_get(o->in, "Tags"));
}

static int ch_untag(kms_rq_t *o, kms_key_t *k)
{
    if (kms_need_state(o, k, false) < 0 || kms_not_aws(o, k) < 0)
        return -1;
    const api_json_t *keys = api_json_get(o->in, "TagKeys");
    if (kms_jt(keys) != API_J_ARR)
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

static void op_list_tags(kms_rq_t *o)
{
    kms_key_t *k;
    int64_t limit;
    kv_slice_t marker;
    if (kms_arg_int(o, "Limit", 1, 50, 50, &limit) < 0 ||
        kms_arg_str(o, "Marker", false, 1, 1024, &marker) < 0 ||
        kms_arg_key(o, "KeyId", false, &k) < 0 ||
        kms_authz_op(o, "kms:ListResourceTags", k, NULL) < 0 || kms_need_state(o, k, false) < 0)
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

/* ---- the service ---- */

static void kms_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    kv_slice_t body = kv_buf_slice(&req->_st->body);
    api_json_t *in;
    const char *err = NULL;
    if (body.len == 0)
        body = KV_SLICE_LIT("{}");
    if (api_json_parse(req->arena, body, &in, &err) < 0 || kms_jt(in) != API_J_OBJ) {
        api_refuse(resp, API_E_KMS_SERIALIZATION, "%s", err ? err : "Expected a JSON object");
        return;
    }
    resp->status = 200;
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-amz-json-1.1"));
    api_jw_t w;
    api_jw_init(&w, &resp->body);
    kms_rq_t o = {ctx, req, resp, in, &w, req->arena, kms_state(ctx)};
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
        kms_op_create_alias(&o);
        break;
    case KMS_OP_list_aliases:
        kms_op_list_aliases(&o);
        break;
    case KMS_OP_update_alias:
        kms_op_update_alias(&o);
        break;
    case KMS_OP_delete_alias:
        kms_op_delete_alias(&o);
        break;
    case KMS_OP_encrypt:
        kms_op_encrypt(&o);
        break;
    case KMS_OP_decrypt:
        kms_op_decrypt(&o);
        break;
    case KMS_OP_re_encrypt:
        kms_op_re_encrypt(&o);
        break;
    case KMS_OP_generate_data_key:
        kms_op_generate_data_key(&o, true);
        break;
    case KMS_OP_generate_data_key_no_plain:
        kms_op_generate_data_key(&o, false);
        break;
    case KMS_OP_generate_random:
        kms_op_generate_random(&o);
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
        kms_op_create_grant(&o);
        break;
    case KMS_OP_list_grants:
        kms_op_list_grants(&o);
        break;
    case KMS_OP_list_retirable_grants:
        kms_op_list_retirable(&o);
        break;
    case KMS_OP_retire_grant:
        kms_op_end_grant(&o, true);
        break;
    case KMS_OP_revoke_grant:
        kms_op_end_grant(&o, false);
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
    bool more;
    char last[KMS_ID_LEN + 1];
} due_t;

static int due_take(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    (void)val;
    due_t *d = arg;
    if (!kms_is_key_id(suffix))
        return 0;
    if (d->left == 0) {
        d->more = true; /* the next run starts after the last key this one took */
        return 1;
    }
    d->left--;
    memcpy(d->last, suffix.p, KMS_ID_LEN);
    d->last[KMS_ID_LEN] = 0;
    kms_key_t *k;
    /* a key past its deletion date goes as it is read */
    if (kms_key_load(d->ctx, d->a, suffix, &k) == 0 && k->rotation && k->next_rotation_ms &&
        k->next_rotation_ms <= d->now && k->state == KMS_ENABLED && k->n_mats < KMS_MATS_MAX) {
        kms_key_add_material(d->ctx, d->a, k, false);
        k->next_rotation_ms = d->now + (int64_t)k->rotation_days * kms_day_ms();
        kms_key_store(d->ctx, d->a, k, NULL, 0);
    }
    return 0;
}

static char job_cursor[KMS_ID_LEN + 1]; /* the services thread's: where the next run starts */

static int kms_job_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    kms_state_t *s = state;
    kv_arena_t *a = kv_arena_new(16384);
    due_t d = {ctx, a, kv_now_ms(), budget ? budget : 64, false, {0}};
    pthread_mutex_lock(&s->lock);
    int rc = eng_kms_scan(ctx->eng, KV_SLICE_LIT("k"), kv_slice_str(job_cursor), 0, due_take, &d);
    pthread_mutex_unlock(&s->lock);
    kv_arena_free(a);
    if (rc == 0 && d.more) {
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
    .finish = api_json11_finish,
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
