/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM users, groups and access keys (issue 15, package I): create, read, list by path,
 * rename, delete (refused while anything still hangs off the entity, as IAM refuses), tags,
 * group membership, and the two access keys a user may have.
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_time.h"
#include "iam_int.h"

/* ---- shared by every entity kind ---- */

static const char *kind_word(char kind)
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

static const char *kind_Word(char kind)
{
    switch (kind) {
    case IAM_USER:
        return "User";
    case IAM_GROUP:
        return "Group";
    case IAM_ROLE:
        return "Role";
    default:
        return "Policy";
    }
}

int iam_no_such(iam_call_t *c, char kind, kv_slice_t name)
{
    if (kind == IAM_POLICY)
        return api_refuse(c->resp, API_E_IAM_NO_SUCH_ENTITY, "Policy %.*s was not found.",
                          (int)name.len, (const char *)name.p);
    return api_refuse(c->resp, API_E_IAM_NO_SUCH_ENTITY, "The %s with name %.*s cannot be found.",
                      kind_word(kind), (int)name.len, (const char *)name.p);
}

int iam_load_authz(iam_call_t *c, char kind, kv_slice_t name, iam_ent_t *e)
{
    int rc = iam_ent_get(c->ctx, c->a, kind, name, e);
    if (rc && rc != KV_ENOTFOUND)
        return iam_fail_rc(c, rc);
    if (iam_authz(c, kind, rc == 0 ? e->path : KV_SLICE_LIT("/"), rc == 0 ? e->name : name))
        return -1;
    if (rc == KV_ENOTFOUND)
        return iam_no_such(c, kind, name);
    return 0;
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

void iam_xml_ent(iam_call_t *c, const iam_ent_t *e, bool full)
{
    api_xw_t *w = &c->w;
    const char *W = kind_Word(e->kind);
    char tag[32];
    const char *arn = iam_arn(c->a, e->kind, e->path, e->name);
    if (e->kind == IAM_POLICY) {
        api_xw_elem(w, "PolicyName", e->name);
        api_xw_elem(w, "PolicyId", e->id);
        api_xw_elem_str(w, "Arn", arn);
        api_xw_elem(w, "Path", e->path);
        char v[16];
        snprintf(v, sizeof(v), "v%u", e->default_ver);
        api_xw_elem_str(w, "DefaultVersionId", v);
        size_t n = 0;
        iam_count(c->ctx, iam_k_attached(c->a, kv_slice_str(arn), 0, KV_SLICE_NULL), &n);
        api_xw_elem_u64(w, "AttachmentCount", n);
        api_xw_elem_u64(w, "PermissionsBoundaryUsageCount", 0);
        api_xw_elem_str(w, "IsAttachable", "true");
        if (full && e->desc.len)
            api_xw_elem(w, "Description", e->desc);
        iam_xml_date(c, "CreateDate", e->created_ms);
        iam_xml_date(c, "UpdateDate", e->updated_ms ? e->updated_ms : e->created_ms);
        if (full)
            iam_xml_tags(c, "Tags", e->tags, e->n_tags, false);
        return;
    }
    api_xw_elem(w, "Path", e->path);
    snprintf(tag, sizeof(tag), "%sName", W);
    api_xw_elem(w, tag, e->name);
    snprintf(tag, sizeof(tag), "%sId", W);
    api_xw_elem(w, tag, e->id);
    api_xw_elem_str(w, "Arn", arn);
    iam_xml_date(c, "CreateDate", e->created_ms);
    if (e->kind == IAM_ROLE) {
        if (e->trust.len)
            api_xw_elem(w, "AssumeRolePolicyDocument", iam_urlencode(c->a, e->trust));
        if (e->desc.len)
            api_xw_elem(w, "Description", e->desc);
        api_xw_elem_u64(w, "MaxSessionDuration", (uint64_t)e->max_session_s);
    }
    if (full && e->kind != IAM_GROUP) {
        xml_boundary(c, e->boundary);
        iam_xml_tags(c, "Tags", e->tags, e->n_tags, false);
    }
    if (full && e->kind == IAM_ROLE) {
        api_xw_open(w, "RoleLastUsed");
        if (e->last_used_ms) {
            iam_xml_date(c, "LastUsedDate", e->last_used_ms);
            api_xw_elem(w, "Region", e->last_region);
        }
        api_xw_close(w, "RoleLastUsed");
    }
}

/* The boundary member: a managed policy ARN that exists. @return 0 or -1 answered. */
int iam_boundary_arg(iam_call_t *c, kv_slice_t *out)
{
    kv_slice_t arn = iam_str(c, "PermissionsBoundary");
    *out = arn;
    if (arn.p == NULL)
        return 0;
    if (arn.len < 20 || arn.len > 2048)
        return iam_validation(c,
                              "1 validation error detected: Value '%.*s' at "
                              "'permissionsBoundary' failed to satisfy constraint: Member "
                              "must have length between 20 and 2048",
                              (int)(arn.len > 64 ? 64 : arn.len), (const char *)arn.p);
    kv_slice_t doc;
    int rc = iam_policy_doc(c->ctx, c->a, arn, &doc);
    if (rc == KV_ENOTFOUND)
        return api_refuse(c->resp, API_E_IAM_NO_SUCH_ENTITY,
                          "Scope ARN: %.*s does not exist or is not attachable.", (int)arn.len,
                          (const char *)arn.p);
    if (rc)
        return iam_fail_rc(c, rc);
    return 0;
}

/* Create a user, group or role from the request (name member, path, tags; roles: trust,
 * description, max session). */
int iam__create_ent(iam_call_t *c, char kind, const char *member, int max, const char *idp)
{
    kv_slice_t name, path;
    if (iam_name(c, member, max, true, &name) || iam_path(c, "Path", false, &path))
        return -1;
    iam_ent_t e = {.kind = kind, .name = name, .path = path, .created_ms = kv_now_ms()};
    if (kind != IAM_GROUP) {
        if (iam_tags_in(c, &e.tags, &e.n_tags) || iam_boundary_arg(c, &e.boundary))
            return -1;
    }
    if (kind == IAM_ROLE) {
        e.trust = iam_str(c, "AssumeRolePolicyDocument");
        if (e.trust.p == NULL)
            return iam_validation(c, "1 validation error detected: Value null at "
                                     "'assumeRolePolicyDocument' failed to satisfy constraint: "
                                     "Member must not be null");
        e.desc = iam_str(c, "Description");
        if (e.desc.len > 1000)
            return iam_validation(c, "1 validation error detected: Value at 'description' "
                                     "failed to satisfy constraint: Member must have length less "
                                     "than or equal to 1000");
        e.max_session_s = 3600;
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
            e.max_session_s = m;
        }
    }
    if (iam_authz(c, kind, path, name))
        return -1;
    if (kind == IAM_ROLE && iam_policy_check(c, e.trust, 2, 2048))
        return -1;
    char id[32];
    iam_new_id(idp, 17, id);
    e.id = kv_slice_str(id);
    pthread_mutex_lock(&c->st->lock);
    iam_ent_t old;
    int rc = iam_ent_get(c->ctx, c->a, kind, name, &old);
    if (rc == 0) {
        pthread_mutex_unlock(&c->st->lock);
        return api_refuse(c->resp, API_E_IAM_ENTITY_EXISTS, "%s with name %.*s already exists.",
                          kind_Word(kind), (int)old.name.len, (const char *)old.name.p);
    }
    if (rc != KV_ENOTFOUND) {
        pthread_mutex_unlock(&c->st->lock);
        return iam_fail_rc(c, rc);
    }
    iam_tx_t t = {.a = c->a};
    iam_tx_put(&t, iam_k_ent(c->a, kind, name), iam_ent_encode(c->a, &e));
    iam_tx_put(&t, iam_k_path(c->a, kind, path, name), IAM_EMPTY);
    rc = iam_tx_commit(c, &t);
    pthread_mutex_unlock(&c->st->lock);
    if (rc)
        return -1;
    api_xw_open(&c->w, kind_Word(kind));
    iam_xml_ent(c, &e, kind != IAM_GROUP);
    api_xw_close(&c->w, kind_Word(kind));
    return 0;
}

/* List the entities of kind under PathPrefix, a page at a time. */
int iam__list_ents(iam_call_t *c, char kind, const char *wrapper)
{
    kv_slice_t prefix, marker;
    size_t max;
    if (iam_path(c, "PathPrefix", true, &prefix) || iam_page_args(c, &max, &marker))
        return -1;
    if (iam_authz(c, 0, KV_SLICE_NULL, KV_SLICE_NULL))
        return -1;
    uint8_t pk[2] = {'p', (uint8_t)kind};
    kv_slice_t base = kv_slice(pk, 2);
    /* the scan's prefix is 'p' kind + PathPrefix; the marker is the suffix after 'p' kind */
    kv_slice_t scan = iam_k_path(c->a, kind, prefix, KV_SLICE_NULL);
    kv_slice_t after = KV_SLICE_NULL;
    if (marker.len) {
        if (marker.len < prefix.len || memcmp(marker.p, prefix.p, prefix.len) != 0)
            return iam_validation(c, "Invalid Marker.");
        after = kv_slice(marker.p + prefix.len, marker.len - prefix.len);
    }
    (void)base;
    iam_rec_t *r;
    size_t n;
    bool more;
    int rc = iam_collect(c->ctx, c->a, scan, after, max, &r, &n, &more);
    if (rc)
        return iam_fail_rc(c, rc);
    api_xw_open(&c->w, wrapper);
    kv_slice_t last = KV_SLICE_NULL;
    for (size_t i = 0; i < n; i++) {
        /* the name is after the path's last '/' */
        kv_slice_t full = r[i].key; /* the rest of the path and the name */
        const uint8_t *slash = NULL;
        for (size_t j = 0; j < full.len; j++)
            if (full.p[j] == '/')
                slash = full.p + j;
        kv_slice_t nm = slash ? kv_slice(slash + 1, full.len - (size_t)(slash + 1 - full.p)) : full;
        iam_ent_t e;
        if (iam_ent_get(c->ctx, c->a, kind, nm, &e) == 0) {
            api_xw_open(&c->w, "member");
            iam_xml_ent(c, &e, false);
            api_xw_close(&c->w, "member");
        }
        uint8_t *lk = kv_arena_alloc(c->a, prefix.len + full.len);
        memcpy(lk, prefix.p, prefix.len);
        memcpy(lk + prefix.len, full.p, full.len);
        last = kv_slice(lk, prefix.len + full.len);
    }
    api_xw_close(&c->w, wrapper);
    iam_page_end(c, more, last);
    return 0;
}

/* Tag or untag an entity (users, roles, policies: by name for users and roles, ARN for
 * policies). */
static int tag_ent(iam_call_t *c, char kind, iam_ent_t *e, bool untag)
{
    api_kv_t *tags = NULL;
    size_t n = 0;
    const api_json_t *keys = NULL;
    if (untag) {
        keys = api_json_get(c->in, "TagKeys");
        if (keys == NULL)
            return iam_validation(c, "1 validation error detected: Value null at 'tagKeys' failed "
                                     "to satisfy constraint: Member must not be null");
        if (api_json_len(keys) > IAM_TAGS_MAX)
            return iam_validation(c, "1 validation error detected: Value at 'tagKeys' failed to "
                                     "satisfy constraint: Member must have length less than or "
                                     "equal to 50");
    } else if (iam_tags_in(c, &tags, &n)) {
        return -1;
    }
    pthread_mutex_lock(&c->st->lock);
    iam_ent_t cur;
    int rc = iam_ent_get(c->ctx, c->a, kind, e->name, &cur);
    if (rc) {
        pthread_mutex_unlock(&c->st->lock);
        return rc == KV_ENOTFOUND ? iam_no_such(c, kind, e->name) : iam_fail_rc(c, rc);
    }
    size_t cap = cur.n_tags + n;
    api_kv_t *nt = kv_arena_calloc(c->a, cap ? cap : 1, sizeof(*nt));
    size_t m = 0;
    for (size_t i = 0; i < cur.n_tags; i++) {
        bool drop = false;
        for (size_t j = 0; untag && j < api_json_len(keys); j++) {
            const api_json_t *k = api_json_at(keys, j);
            if (k && api_json_type(k) == API_J_STR &&
                kv_slice_eq(iam_lname(c->a, api_json_str(k)), iam_lname(c->a, cur.tags[i].key)))
                drop = true;
        }
        for (size_t j = 0; j < n; j++)
            if (kv_slice_eq(iam_lname(c->a, tags[j].key), iam_lname(c->a, cur.tags[i].key)))
                drop = true;
        if (!drop)
            nt[m++] = cur.tags[i];
    }
    for (size_t j = 0; j < n; j++)
        nt[m++] = tags[j];
    if (m > IAM_TAGS_MAX) {
        pthread_mutex_unlock(&c->st->lock);
        return api_refuse(c->resp, API_E_IAM_LIMIT,
                          "The number of tags has reached the maximum limit.");
    }
    cur.tags = nt;
    cur.n_tags = m;
    iam_tx_t t = {.a = c->a};
    iam_tx_put(&t, iam_k_ent(c->a, kind, cur.name), iam_ent_encode(c->a, &cur));
    rc = iam_tx_commit(c, &t);
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

static int list_tags(iam_call_t *c, const iam_ent_t *e)
{
    iam_xml_tags(c, "Tags", e->tags, e->n_tags, true);
    api_xw_elem_str(&c->w, "IsTruncated", "false");
    return 0;
}

/* A name member of kind, loaded and authorized. */
static int named(iam_call_t *c, char kind, const char *member, int max, iam_ent_t *e)
{
    kv_slice_t name;
    if (iam_name(c, member, max, true, &name))
        return -1;
    return iam_load_authz(c, kind, name, e);
}

/* Refuse deleting an entity while records remain under prefix. */
static int conflict(iam_call_t *c, kv_slice_t prefix, const char *what)
{
    iam_rec_t *r;
    size_t n;
    int rc = iam_collect(c->ctx, c->a, prefix, KV_SLICE_NULL, 1, &r, &n, NULL);
    if (rc)
        return iam_fail_rc(c, rc);
    if (n)
        return api_refuse(c->resp, API_E_IAM_DELETE_CONFLICT,
                          "Cannot delete entity, must %s first.", what);
    return 0;
}

/* Delete a user, group or role once nothing hangs off it. */
int iam__delete_ent(iam_call_t *c, char kind, const char *member, int max)
{
    iam_ent_t e;
    if (named(c, kind, member, max, &e))
        return -1;
    pthread_mutex_lock(&c->st->lock);
    int rc = 0;
    if (kind == IAM_USER)
        rc = conflict(c, iam_k_of(c->a, 'k', 0, e.name), "delete access keys");
    if (!rc)
        rc = conflict(c, iam_k_of(c->a, 'i', kind, e.name), "delete policies");
    if (!rc)
        rc = conflict(c, iam_k_of(c->a, 'a', kind, e.name), "detach all policies");
    if (!rc && kind == IAM_USER)
        rc = conflict(c, iam_k_of(c->a, 'm', 0, e.name), "remove user from all groups");
    if (!rc && kind == IAM_GROUP)
        rc = conflict(c, iam_k_of(c->a, 'M', 0, e.name), "remove users from group");
    if (!rc && kind == IAM_USER && e.boundary.len == 0) {
        /* nothing else: a user's last-used notes go with its keys */
    }
    if (!rc) {
        iam_tx_t t = {.a = c->a};
        iam_tx_del(&t, iam_k_ent(c->a, kind, e.name));
        iam_tx_del(&t, iam_k_path(c->a, kind, e.path, e.name));
        rc = iam_tx_commit(c, &t);
    }
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

/* Move the records under old_prefix to new_prefix (a rename), into t. */
static int move_prefix(iam_call_t *c, iam_tx_t *t, kv_slice_t old_prefix, kv_slice_t new_prefix,
                       iam_rec_t **recs, size_t *n)
{
    int rc = iam_collect(c->ctx, c->a, old_prefix, KV_SLICE_NULL, 64, recs, n, NULL);
    if (rc)
        return rc;
    for (size_t i = 0; i < *n; i++) {
        kv_slice_t s = (*recs)[i].key;
        uint8_t *oldk = kv_arena_alloc(c->a, old_prefix.len + s.len);
        memcpy(oldk, old_prefix.p, old_prefix.len);
        if (s.len)
            memcpy(oldk + old_prefix.len, s.p, s.len);
        uint8_t *newk = kv_arena_alloc(c->a, new_prefix.len + s.len);
        memcpy(newk, new_prefix.p, new_prefix.len);
        if (s.len)
            memcpy(newk + new_prefix.len, s.p, s.len);
        iam_tx_del(t, kv_slice(oldk, old_prefix.len + s.len));
        iam_tx_put(t, kv_slice(newk, new_prefix.len + s.len), (*recs)[i].val);
    }
    return 0;
}

/* UpdateUser / UpdateGroup: a new path and/or name; every record keyed by the name moves. */
static int update_ent(iam_call_t *c, char kind, const char *member, const char *new_member, int max)
{
    iam_ent_t e;
    kv_slice_t nn, np;
    if (iam_name(c, new_member, max, false, &nn))
        return -1;
    if (iam_str(c, "NewPath").p && iam_path(c, "NewPath", false, &np))
        return -1;
    if (named(c, kind, member, max, &e))
        return -1;
    if (iam_str(c, "NewPath").p == NULL)
        np = e.path;
    if (nn.p == NULL)
        nn = e.name;
    pthread_mutex_lock(&c->st->lock);
    iam_ent_t other;
    bool renamed = !kv_slice_eq(iam_lname(c->a, nn), iam_lname(c->a, e.name));
    int rc = renamed ? iam_ent_get(c->ctx, c->a, kind, nn, &other) : KV_ENOTFOUND;
    if (rc == 0) {
        pthread_mutex_unlock(&c->st->lock);
        return api_refuse(c->resp, API_E_IAM_ENTITY_EXISTS, "%s with name %.*s already exists.",
                          kind_Word(kind), (int)nn.len, (const char *)nn.p);
    }
    iam_tx_t t = {.a = c->a};
    iam_ent_t ne = e;
    ne.name = nn;
    ne.path = np;
    iam_tx_del(&t, iam_k_ent(c->a, kind, e.name));
    iam_tx_del(&t, iam_k_path(c->a, kind, e.path, e.name));
    iam_tx_put(&t, iam_k_ent(c->a, kind, nn), iam_ent_encode(c->a, &ne));
    iam_tx_put(&t, iam_k_path(c->a, kind, np, nn), IAM_EMPTY);
    rc = 0;
    if (renamed) {
        iam_rec_t *r;
        size_t n;
        /* inline policies */
        rc = move_prefix(c, &t, iam_k_of(c->a, 'i', kind, e.name), iam_k_of(c->a, 'i', kind, nn),
                         &r, &n);
        /* attachments and their reverse entries */
        if (!rc)
            rc = move_prefix(c, &t, iam_k_of(c->a, 'a', kind, e.name),
                             iam_k_of(c->a, 'a', kind, nn), &r, &n);
        for (size_t i = 0; !rc && i < n; i++) {
            iam_tx_del(&t, iam_k_attached(c->a, r[i].key, kind, e.name));
            iam_tx_put(&t, iam_k_attached(c->a, r[i].key, kind, nn), IAM_EMPTY);
        }
        if (!rc && kind == IAM_USER) {
            rc = move_prefix(c, &t, iam_k_of(c->a, 'm', 0, e.name), iam_k_of(c->a, 'm', 0, nn), &r,
                             &n);
            for (size_t i = 0; !rc && i < n; i++) {
                iam_tx_del(&t, iam_k_members(c->a, r[i].key, e.name));
                iam_tx_put(&t, iam_k_members(c->a, r[i].key, nn), IAM_EMPTY);
            }
            if (!rc)
                rc = move_prefix(c, &t, iam_k_of(c->a, 'k', 0, e.name), iam_k_of(c->a, 'k', 0, nn),
                                 &r, &n);
            for (size_t i = 0; !rc && i < n; i++) {
                kv_slice_t v;
                iam_key_t k;
                if (eng_iam_get(c->ctx->eng, iam_k_key(c->a, r[i].key), c->a, &v) == 0 &&
                    iam_key_decode(v, c->a, &k) == 0) {
                    k.user = nn;
                    iam_tx_put(&t, iam_k_key(c->a, r[i].key), iam_key_encode(c->a, &k));
                }
            }
        }
        if (!rc && kind == IAM_GROUP) {
            rc = move_prefix(c, &t, iam_k_of(c->a, 'M', 0, e.name), iam_k_of(c->a, 'M', 0, nn), &r,
                             &n);
            for (size_t i = 0; !rc && i < n; i++) {
                iam_tx_del(&t, iam_k_member(c->a, r[i].key, e.name));
                iam_tx_put(&t, iam_k_member(c->a, r[i].key, nn), IAM_EMPTY);
            }
        }
    }
    if (rc) {
        pthread_mutex_unlock(&c->st->lock);
        return iam_fail_rc(c, rc);
    }
    rc = iam_tx_commit(c, &t);
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

/* ---- users ---- */

int iam_create_user(iam_call_t *c)
{
    return iam__create_ent(c, IAM_USER, "UserName", 64, "AIDA");
}

int iam_get_user(iam_call_t *c)
{
    kv_slice_t name;
    if (iam_name(c, "UserName", 128, false, &name))
        return -1;
    const api_principal_t *p = api_principal(c->req);
    if (name.p == NULL) { /* the caller */
        if (p->kind == API_PR_USER) {
            name = p->name;
        } else if (p->kind == API_PR_ROOT || p->kind == API_PR_ROOT_SESSION) {
            if (iam_authz(c, IAM_USER, KV_SLICE_LIT("/"), KV_SLICE_NULL))
                return -1;
            iam_ent_t root = {.kind = IAM_USER};
            api_xw_open(&c->w, "User");
            api_xw_elem_str(&c->w, "UserId", API_ACCOUNT_ID);
            api_xw_elem(&c->w, "Arn", p->arn);
            iam_xml_date(c, "CreateDate", 0);
            (void)root;
            api_xw_close(&c->w, "User");
            return 0;
        } else {
            if (iam_authz(c, 0, KV_SLICE_NULL, KV_SLICE_NULL))
                return -1;
            return iam_validation(c, "Must specify userName when calling with non-User "
                                     "credentials");
        }
    }
    iam_ent_t e;
    if (iam_load_authz(c, IAM_USER, name, &e))
        return -1;
    api_xw_open(&c->w, "User");
    iam_xml_ent(c, &e, true);
    api_xw_close(&c->w, "User");
    return 0;
}

int iam_list_users(iam_call_t *c)
{
    return iam__list_ents(c, IAM_USER, "Users");
}

int iam_update_user(iam_call_t *c)
{
    return update_ent(c, IAM_USER, "UserName", "NewUserName", 64);
}

int iam_delete_user(iam_call_t *c)
{
    return iam__delete_ent(c, IAM_USER, "UserName", 64);
}

int iam__tag_named(iam_call_t *c, char kind, const char *member, bool untag)
{
    iam_ent_t e;
    return named(c, kind, member, kind == IAM_GROUP ? 128 : 64, &e) ? -1
                                                                    : tag_ent(c, kind, &e, untag);
}

int iam_tag_user(iam_call_t *c)
{
    iam_ent_t e;
    return named(c, IAM_USER, "UserName", 128, &e) ? -1 : tag_ent(c, IAM_USER, &e, false);
}

int iam_untag_user(iam_call_t *c)
{
    iam_ent_t e;
    return named(c, IAM_USER, "UserName", 128, &e) ? -1 : tag_ent(c, IAM_USER, &e, true);
}

int iam_list_user_tags(iam_call_t *c)
{
    iam_ent_t e;
    return named(c, IAM_USER, "UserName", 128, &e) ? -1 : list_tags(c, &e);
}

/* ---- groups ---- */

int iam_create_group(iam_call_t *c)
{
    return iam__create_ent(c, IAM_GROUP, "GroupName", 128, "AGPA");
}

int iam_get_group(iam_call_t *c)
{
    iam_ent_t g;
    size_t max;
    kv_slice_t marker;
    if (iam_page_args(c, &max, &marker) || named(c, IAM_GROUP, "GroupName", 128, &g))
        return -1;
    api_xw_open(&c->w, "Group");
    iam_xml_ent(c, &g, false);
    api_xw_close(&c->w, "Group");
    iam_rec_t *r;
    size_t n;
    bool more;
    int rc = iam_collect(c->ctx, c->a, iam_k_of(c->a, 'M', 0, g.name), marker, max, &r, &n, &more);
    if (rc)
        return iam_fail_rc(c, rc);
    api_xw_open(&c->w, "Users");
    for (size_t i = 0; i < n; i++) {
        iam_ent_t u;
        if (iam_ent_get(c->ctx, c->a, IAM_USER, r[i].key, &u) == 0) {
            api_xw_open(&c->w, "member");
            iam_xml_ent(c, &u, false);
            api_xw_close(&c->w, "member");
        }
    }
    api_xw_close(&c->w, "Users");
    iam_page_end(c, more, n ? r[n - 1].key : KV_SLICE_NULL);
    return 0;
}

int iam_list_groups(iam_call_t *c)
{
    return iam__list_ents(c, IAM_GROUP, "Groups");
}

int iam_update_group(iam_call_t *c)
{
    return update_ent(c, IAM_GROUP, "GroupName", "NewGroupName", 128);
}

int iam_delete_group(iam_call_t *c)
{
    return iam__delete_ent(c, IAM_GROUP, "GroupName", 128);
}

static int membership(iam_call_t *c, bool add)
{
    kv_slice_t gname, uname;
    if (iam_name(c, "GroupName", 128, true, &gname) || iam_name(c, "UserName", 128, true, &uname))
        return -1;
    iam_ent_t g, u;
    if (iam_load_authz(c, IAM_GROUP, gname, &g))
        return -1;
    int rc = iam_ent_get(c->ctx, c->a, IAM_USER, uname, &u);
    if (rc)
        return rc == KV_ENOTFOUND ? iam_no_such(c, IAM_USER, uname) : iam_fail_rc(c, rc);
    pthread_mutex_lock(&c->st->lock);
    kv_slice_t v;
    rc = eng_iam_get(c->ctx->eng, iam_k_member(c->a, u.name, g.name), c->a, &v);
    bool is = rc == 0;
    rc = 0;
    iam_tx_t t = {.a = c->a};
    if (add && !is) {
        size_t n = 0;
        iam_count(c->ctx, iam_k_of(c->a, 'm', 0, u.name), &n);
        if (n >= IAM_GROUPS_MAX) {
            pthread_mutex_unlock(&c->st->lock);
            return api_refuse(c->resp, API_E_IAM_LIMIT, "Cannot exceed quota for GroupsPerUser: %d",
                              IAM_GROUPS_MAX);
        }
        iam_tx_put(&t, iam_k_member(c->a, u.name, g.name), IAM_EMPTY);
        iam_tx_put(&t, iam_k_members(c->a, g.name, u.name), IAM_EMPTY);
        rc = iam_tx_commit(c, &t);
    } else if (!add) {
        if (!is) {
            pthread_mutex_unlock(&c->st->lock);
            return api_refuse(c->resp, API_E_IAM_NO_SUCH_ENTITY,
                              "The user with name %.*s cannot be found.", (int)uname.len,
                              (const char *)uname.p);
        }
        iam_tx_del(&t, iam_k_member(c->a, u.name, g.name));
        iam_tx_del(&t, iam_k_members(c->a, g.name, u.name));
        rc = iam_tx_commit(c, &t);
    }
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

int iam_add_user_to_group(iam_call_t *c)
{
    return membership(c, true);
}

int iam_remove_user_from_group(iam_call_t *c)
{
    return membership(c, false);
}

int iam_list_groups_for_user(iam_call_t *c)
{
    iam_ent_t u;
    size_t max;
    kv_slice_t marker;
    if (iam_page_args(c, &max, &marker) || named(c, IAM_USER, "UserName", 128, &u))
        return -1;
    iam_rec_t *r;
    size_t n;
    bool more;
    int rc = iam_collect(c->ctx, c->a, iam_k_of(c->a, 'm', 0, u.name), marker, max, &r, &n, &more);
    if (rc)
        return iam_fail_rc(c, rc);
    api_xw_open(&c->w, "Groups");
    for (size_t i = 0; i < n; i++) {
        iam_ent_t g;
        if (iam_ent_get(c->ctx, c->a, IAM_GROUP, r[i].key, &g) == 0) {
            api_xw_open(&c->w, "member");
            iam_xml_ent(c, &g, false);
            api_xw_close(&c->w, "member");
        }
    }
    api_xw_close(&c->w, "Groups");
    iam_page_end(c, more, n ? r[n - 1].key : KV_SLICE_NULL);
    return 0;
}

/* ---- access keys ---- */

/* The user an access key operation names (UserName, or the calling user). */
static int key_user(iam_call_t *c, iam_ent_t *u)
{
    kv_slice_t name;
    if (iam_name(c, "UserName", 128, false, &name))
        return -1;
    const api_principal_t *p = api_principal(c->req);
    if (name.p == NULL) {
        if (p->kind == API_PR_USER)
            name = p->name;
        else {
            if (iam_authz(c, 0, KV_SLICE_NULL, KV_SLICE_NULL))
                return -1;
            return iam_validation(c, "Must specify userName when calling with non-User "
                                     "credentials");
        }
    }
    return iam_load_authz(c, IAM_USER, name, u);
}

static void xml_key_meta(iam_call_t *c, const iam_key_t *k, kv_slice_t user, bool secret)
{
    api_xw_elem(&c->w, "UserName", user);
    api_xw_elem(&c->w, "AccessKeyId", k->id);
    api_xw_elem_str(&c->w, "Status", k->active ? "Active" : "Inactive");
    if (secret)
        api_xw_elem(&c->w, "SecretAccessKey", k->secret);
    iam_xml_date(c, "CreateDate", k->created_ms);
}

int iam_create_access_key(iam_call_t *c)
{
    iam_ent_t u;
    if (key_user(c, &u))
        return -1;
    char id[24], secret[41];
    iam_new_id("AKIA", 16, id);
    iam_new_secret(secret);
    iam_key_t k = {.id = kv_slice_str(id),
                   .user = u.name,
                   .secret = kv_slice_str(secret),
                   .active = true,
                   .created_ms = kv_now_ms()};
    pthread_mutex_lock(&c->st->lock);
    size_t n = 0;
    int rc = iam_count(c->ctx, iam_k_of(c->a, 'k', 0, u.name), &n);
    if (rc == 0 && n >= IAM_KEYS_MAX) {
        pthread_mutex_unlock(&c->st->lock);
        return api_refuse(c->resp, API_E_IAM_LIMIT, "Cannot exceed quota for AccessKeysPerUser: %d",
                          IAM_KEYS_MAX);
    }
    iam_tx_t t = {.a = c->a};
    iam_tx_put(&t, iam_k_key(c->a, k.id), iam_key_encode(c->a, &k));
    iam_tx_put(&t, iam_k_ukey(c->a, u.name, k.id), IAM_EMPTY);
    /* the user's record too: its change is part of the same write */
    iam_tx_put(&t, iam_k_ent(c->a, IAM_USER, u.name), iam_ent_encode(c->a, &u));
    rc = rc ? iam_fail_rc(c, rc) : iam_tx_commit(c, &t);
    pthread_mutex_unlock(&c->st->lock);
    if (rc)
        return -1;
    api_xw_open(&c->w, "AccessKey");
    xml_key_meta(c, &k, u.name, true);
    api_xw_close(&c->w, "AccessKey");
    return 0;
}

int iam_list_access_keys(iam_call_t *c)
{
    iam_ent_t u;
    size_t max;
    kv_slice_t marker;
    if (iam_page_args(c, &max, &marker) || key_user(c, &u))
        return -1;
    iam_rec_t *r;
    size_t n;
    bool more;
    int rc = iam_collect(c->ctx, c->a, iam_k_of(c->a, 'k', 0, u.name), marker, max, &r, &n, &more);
    if (rc)
        return iam_fail_rc(c, rc);
    api_xw_open(&c->w, "AccessKeyMetadata");
    for (size_t i = 0; i < n; i++) {
        kv_slice_t v;
        iam_key_t k;
        if (eng_iam_get(c->ctx->eng, iam_k_key(c->a, r[i].key), c->a, &v) == 0 &&
            iam_key_decode(v, c->a, &k) == 0) {
            api_xw_open(&c->w, "member");
            xml_key_meta(c, &k, u.name, false);
            api_xw_close(&c->w, "member");
        }
    }
    api_xw_close(&c->w, "AccessKeyMetadata");
    iam_page_end(c, more, n ? r[n - 1].key : KV_SLICE_NULL);
    return 0;
}

/* The key AccessKeyId names, of user u. @return 0 or -1 answered. */
static int user_key(iam_call_t *c, const iam_ent_t *u, iam_key_t *k)
{
    kv_slice_t id = iam_str(c, "AccessKeyId");
    if (id.p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'accessKeyId' failed "
                                 "to satisfy constraint: Member must not be null");
    if (id.len < 16 || id.len > 128 || !iam_name_ok(id, 128))
        return iam_validation(c,
                              "1 validation error detected: Value '%.*s' at 'accessKeyId' "
                              "failed to satisfy constraint: Member must satisfy regular "
                              "expression pattern: [\\w]+",
                              (int)(id.len > 128 ? 128 : id.len), (const char *)id.p);
    kv_slice_t v;
    int rc = eng_iam_get(c->ctx->eng, iam_k_key(c->a, id), c->a, &v);
    if (rc == 0)
        rc = iam_key_decode(v, c->a, k);
    if (rc == 0 && !kv_slice_eq(iam_lname(c->a, k->user), iam_lname(c->a, u->name)))
        rc = KV_ENOTFOUND;
    if (rc == KV_ENOTFOUND)
        return api_refuse(c->resp, API_E_IAM_NO_SUCH_ENTITY,
                          "The Access Key with id %.*s cannot be found.", (int)id.len,
                          (const char *)id.p);
    return rc ? iam_fail_rc(c, rc) : 0;
}

int iam_update_access_key(iam_call_t *c)
{
    iam_ent_t u;
    iam_key_t k;
    kv_slice_t status = iam_str(c, "Status");
    if (status.p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'status' failed to "
                                 "satisfy constraint: Member must not be null");
    if (!kv_slice_eq_str(status, "Active") && !kv_slice_eq_str(status, "Inactive"))
        return iam_validation(c,
                              "1 validation error detected: Value '%.*s' at 'status' failed to "
                              "satisfy constraint: Member must satisfy enum value set: "
                              "[Active, Inactive]",
                              (int)(status.len > 64 ? 64 : status.len), (const char *)status.p);
    if (key_user(c, &u))
        return -1;
    pthread_mutex_lock(&c->st->lock);
    int rc = user_key(c, &u, &k);
    if (rc == 0) {
        k.active = kv_slice_eq_str(status, "Active");
        iam_tx_t t = {.a = c->a};
        iam_tx_put(&t, iam_k_key(c->a, k.id), iam_key_encode(c->a, &k));
        rc = iam_tx_commit(c, &t);
    }
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

int iam_delete_access_key(iam_call_t *c)
{
    iam_ent_t u;
    iam_key_t k;
    if (key_user(c, &u))
        return -1;
    pthread_mutex_lock(&c->st->lock);
    int rc = user_key(c, &u, &k);
    if (rc == 0) {
        iam_tx_t t = {.a = c->a};
        iam_tx_del(&t, iam_k_key(c->a, k.id));
        iam_tx_del(&t, iam_k_ukey(c->a, u.name, k.id));
        iam_tx_del(&t, iam_k_used(c->a, k.id));
        rc = iam_tx_commit(c, &t);
    }
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}
