/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM roles (issue 15, package I): create with a trust policy, read, list by path, update
 * (description, maximum session duration, trust policy), delete, tags, and the permissions
 * boundaries of users and roles.
 */
#include <string.h>

#include "base/kv_time.h"
#include "iam_int.h"

/* Store a changed entity (its key does not move). @return 0 or -1 answered. */
static int save(iam_call_t *c, const iam_ent_t *e)
{
    iam_tx_t t = {.a = c->a};
    iam_tx_put(&t, iam_k_ent(c->a, e->kind, e->name), iam_ent_encode(c->a, e));
    return iam_tx_commit(c, &t);
}

/* Load the entity named by member, authorize, then apply change under the write lock (the
 * entity is read again there, so concurrent changes are not lost). */
static int modify(iam_call_t *c, char kind, const char *member,
                  int (*change)(iam_call_t *c, iam_ent_t *e, void *arg), void *arg)
{
    kv_slice_t name;
    iam_ent_t e;
    if (iam_name(c, member, kind == IAM_GROUP ? 128 : 64, true, &name) ||
        iam_load_authz(c, kind, name, &e))
        return -1;
    pthread_mutex_lock(&c->st->lock);
    int rc = iam_ent_get(c->ctx, c->a, kind, name, &e);
    if (rc)
        rc = rc == KV_ENOTFOUND ? iam_no_such(c, kind, name) : iam_fail_rc(c, rc);
    if (rc == 0)
        rc = change(c, &e, arg);
    if (rc == 0)
        rc = save(c, &e);
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

int iam_create_role(iam_call_t *c)
{
    return iam__create_ent(c, IAM_ROLE, "RoleName", 64, "AROA");
}

int iam_get_role(iam_call_t *c)
{
    kv_slice_t name;
    iam_ent_t e;
    if (iam_name(c, "RoleName", 64, true, &name) || iam_load_authz(c, IAM_ROLE, name, &e))
        return -1;
    api_xw_open(&c->w, "Role");
    iam_xml_ent(c, &e, true);
    api_xw_close(&c->w, "Role");
    return 0;
}

int iam_list_roles(iam_call_t *c)
{
    return iam__list_ents(c, IAM_ROLE, "Roles");
}

typedef struct upd {
    kv_slice_t desc;
    bool has_desc;
    int64_t max;
} upd_t;

static int change_role(iam_call_t *c, iam_ent_t *e, void *arg)
{
    (void)c;
    upd_t *u = arg;
    if (u->has_desc)
        e->desc = u->desc;
    if (u->max)
        e->max_session_s = u->max;
    return 0;
}

static int role_update_args(iam_call_t *c, upd_t *u)
{
    memset(u, 0, sizeof(*u));
    u->desc = iam_str(c, "Description");
    u->has_desc = u->desc.p != NULL;
    if (u->desc.len > 1000)
        return iam_validation(c, "1 validation error detected: Value at 'description' failed to "
                                 "satisfy constraint: Member must have length less than or equal "
                                 "to 1000");
    const api_json_t *ms = api_json_get(c->in, "MaxSessionDuration");
    int64_t m;
    if (ms && api_json_int(ms, &m)) {
        if (m < 3600 || m > 43200)
            return iam_validation(c,
                                  "1 validation error detected: Value '%lld' at "
                                  "'maxSessionDuration' failed to satisfy constraint: Member "
                                  "must have value %s",
                                  (long long)m,
                                  m < 3600 ? "greater than or equal to 3600"
                                           : "less than or equal to 43200");
        u->max = m;
    }
    return 0;
}

int iam_update_role(iam_call_t *c)
{
    upd_t u;
    if (role_update_args(c, &u))
        return -1;
    return modify(c, IAM_ROLE, "RoleName", change_role, &u);
}

int iam_update_role_description(iam_call_t *c)
{
    upd_t u;
    if (role_update_args(c, &u))
        return -1;
    if (!u.has_desc)
        return iam_validation(c, "1 validation error detected: Value null at 'description' "
                                 "failed to satisfy constraint: Member must not be null");
    u.max = 0;
    if (modify(c, IAM_ROLE, "RoleName", change_role, &u))
        return -1;
    iam_ent_t e;
    if (iam_ent_get(c->ctx, c->a, IAM_ROLE, iam_str(c, "RoleName"), &e) == 0) {
        api_xw_open(&c->w, "Role");
        iam_xml_ent(c, &e, true);
        api_xw_close(&c->w, "Role");
    }
    return 0;
}

static int change_trust(iam_call_t *c, iam_ent_t *e, void *arg)
{
    (void)c;
    e->trust = *(kv_slice_t *)arg;
    return 0;
}

int iam_update_assume_role_policy(iam_call_t *c)
{
    kv_slice_t doc = iam_str(c, "PolicyDocument");
    if (doc.p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'policyDocument' "
                                 "failed to satisfy constraint: Member must not be null");
    kv_slice_t name;
    iam_ent_t e;
    if (iam_name(c, "RoleName", 64, true, &name) || iam_load_authz(c, IAM_ROLE, name, &e))
        return -1;
    if (iam_policy_check(c, doc, 2, 2048))
        return -1;
    return modify(c, IAM_ROLE, "RoleName", change_trust, &doc);
}

int iam_delete_role(iam_call_t *c)
{
    return iam__delete_ent(c, IAM_ROLE, "RoleName", 64);
}

int iam_tag_role(iam_call_t *c)
{
    return iam__tag_named(c, IAM_ROLE, "RoleName", false);
}

int iam_untag_role(iam_call_t *c)
{
    return iam__tag_named(c, IAM_ROLE, "RoleName", true);
}

int iam_list_role_tags(iam_call_t *c)
{
    kv_slice_t name;
    iam_ent_t e;
    if (iam_name(c, "RoleName", 64, true, &name) || iam_load_authz(c, IAM_ROLE, name, &e))
        return -1;
    iam_xml_tags(c, "Tags", e.tags, e.n_tags, true);
    api_xw_elem_str(&c->w, "IsTruncated", "false");
    return 0;
}

/* ---- permissions boundaries ---- */

static int change_boundary(iam_call_t *c, iam_ent_t *e, void *arg)
{
    (void)c;
    e->boundary = *(kv_slice_t *)arg;
    return 0;
}

static int put_boundary(iam_call_t *c, char kind, const char *member)
{
    kv_slice_t arn;
    if (iam_str(c, "PermissionsBoundary").p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at "
                                 "'permissionsBoundary' failed to satisfy constraint: Member must "
                                 "not be null");
    if (iam_boundary_arg(c, &arn))
        return -1;
    return modify(c, kind, member, change_boundary, &arn);
}

static int delete_boundary(iam_call_t *c, char kind, const char *member)
{
    kv_slice_t none = KV_SLICE_NULL;
    return modify(c, kind, member, change_boundary, &none);
}

int iam_put_user_permissions_boundary(iam_call_t *c)
{
    return put_boundary(c, IAM_USER, "UserName");
}

int iam_delete_user_permissions_boundary(iam_call_t *c)
{
    return delete_boundary(c, IAM_USER, "UserName");
}

int iam_put_role_permissions_boundary(iam_call_t *c)
{
    return put_boundary(c, IAM_ROLE, "RoleName");
}

int iam_delete_role_permissions_boundary(iam_call_t *c)
{
    return delete_boundary(c, IAM_ROLE, "RoleName");
}
