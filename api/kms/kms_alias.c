/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS aliases (issue 16, package K): CreateAlias, UpdateAlias, DeleteAlias and ListAliases.
 * An alias names a customer managed key ("alias/" + [a-zA-Z0-9:/_-]); alias/aws/ is reserved
 * for the AWS managed keys, listed before their keys exist and made on first use. Each change
 * writes the alias and its key's index entry in one batch, under the service's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "base/kv_time.h"
#include "kms_int.h"

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
static int alias_arg(kms_rq_t *o, bool creating, kv_slice_t *name)
{
    if (kms_arg_str(o, "AliasName", true, 1, KMS_ALIAS_MAX, name) < 0)
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
static int authz_alias(kms_rq_t *o, const char *action, kv_slice_t name)
{
    kms_az_t az = {.action = action, .resource = kv_slice_str(kms_alias_arn(o->ctx, o->a, name))};
    return kms_authorize(o->ctx, o->req, o->resp, &az);
}

/* TargetKeyId: a key id or key ARN (never an alias), of a customer managed key. */
static int target_arg(kms_rq_t *o, kms_key_t **k)
{
    kv_slice_t in = api_json_str(api_json_get(o->in, "TargetKeyId"));
    if (kv_slice_starts_with(in, "alias/") ||
        (kv_slice_starts_with(in, "arn:") && memmem(in.p, in.len, ":alias/", 7)))
        return api_refuse(o->resp, API_E_KMS_VALIDATION, "Aliases must refer to keys. Not aliases");
    if (kms_arg_key(o, "TargetKeyId", false, k) < 0)
        return -1;
    if ((*k)->aws_managed)
        return api_refuse(o->resp, API_E_KMS_NOT_AUTHORIZED,
                          "An alias cannot name an AWS managed key.");
    return kms_need_state(o, *k, false);
}

void kms_op_create_alias(kms_rq_t *o)
{
    kv_slice_t name;
    if (alias_arg(o, true, &name) < 0)
        return;
    pthread_mutex_lock(&o->s->lock);
    kms_key_t *k;
    char old[KMS_ID_LEN + 1];
    if (target_arg(o, &k) < 0 || authz_alias(o, "kms:CreateAlias", name) < 0 ||
        kms_authz_op(o, "kms:CreateAlias", k, NULL) < 0)
        goto out;
    int rc = kms_alias_get(o->ctx, o->a, name, old, NULL, NULL);
    if (rc == 0) {
        api_fail(o->resp, API_E_KMS_ALREADY_EXISTS, "An alias with the name %s already exists",
                 kms_alias_arn(o->ctx, o->a, name));
        goto out;
    }
    if (rc != KV_ENOTFOUND) {
        kms_internal(o, rc);
        goto out;
    }
    eng_kms_op_t ops[2];
    int64_t now = kv_now_ms();
    kms_alias_put_ops(o->a, name, k->id, now, now, ops);
    rc = eng_kms_write(o->ctx->eng, ops, 2);
    if (rc < 0) {
        kms_internal(o, rc);
        goto out;
    }
    api_jw_obj_begin(o->w);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}

void kms_op_update_alias(kms_rq_t *o)
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
        kms_internal(o, rc);
        goto out;
    }
    if (target_arg(o, &k) < 0 || authz_alias(o, "kms:UpdateAlias", name) < 0 ||
        kms_authz_op(o, "kms:UpdateAlias", k, NULL) < 0)
        goto out;
    if (kms_key_load(o->ctx, o->a, kv_slice(old, KMS_ID_LEN), &ok) == 0 &&
        kms_authz_op(o, "kms:UpdateAlias", ok, NULL) < 0)
        goto out;
    eng_kms_op_t ops[4];
    kms_alias_del_ops(o->a, name, old, ops);
    kms_alias_put_ops(o->a, name, k->id, created, kv_now_ms(), ops + 2);
    /* one batch: the old index entry and the alias go, the alias and its entry are put (a
     * later op on the same key wins) */
    rc = eng_kms_write(o->ctx->eng, ops, 4);
    if (rc < 0) {
        kms_internal(o, rc);
        goto out;
    }
    api_jw_obj_begin(o->w);
    api_jw_obj_end(o->w);
out:
    pthread_mutex_unlock(&o->s->lock);
}

void kms_op_delete_alias(kms_rq_t *o)
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
        kms_internal(o, rc);
        goto out;
    }
    if (kms_key_load(o->ctx, o->a, kv_slice(id, KMS_ID_LEN), &k) == 0 &&
        kms_authz_op(o, "kms:DeleteAlias", k, NULL) < 0)
        goto out;
    eng_kms_op_t ops[2];
    kms_alias_del_ops(o->a, name, id, ops);
    rc = eng_kms_write(o->ctx->eng, ops, 2);
    if (rc < 0) {
        kms_internal(o, rc);
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
    kms_rq_t *o;
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

void kms_op_list_aliases(kms_rq_t *o)
{
    int64_t limit;
    kv_slice_t marker;
    kms_key_t *k = NULL;
    if (kms_arg_page(o, &limit, &marker) < 0)
        return;
    if (kms_jt(api_json_get(o->in, "KeyId")) != API_J_NULL &&
        kms_arg_key(o, "KeyId", false, &k) < 0)
        return;
    if (kms_authz_op(o, "kms:ListAliases", NULL, NULL) < 0)
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
        kms_internal(o, rc);
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
