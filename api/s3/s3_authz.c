/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 authorization (issue 15, package S): the IAM action, resource ARN and condition keys of
 * every S3 operation as the Service Authorization Reference lists them, the bucket's policy as
 * the resource policy, Block Public Access's RestrictPublicBuckets, the ACL verdict, and S3's
 * refusal message. The account root passes with one comparison; everyone else is evaluated
 * (api_authorize), and an operation this file does not map is refused (fail closed).
 */
#include <stdio.h>
#include <string.h>

#include "../codec/api_json_r.h"
#include "authz/pol.h"
#include "s3_access.h"
#include "s3_authz.h"
#include "s3_int.h"

#define S3_ARN_PRE "arn:aws:s3:::"

static bool is_root(const api_principal_t *p)
{
    return p->kind == API_PR_ROOT || p->kind == API_PR_ROOT_SESSION;
}

/* ---- condition keys ---- */

static void key_add(s3_azq_t *q, kv_arena_t *a, const char *name, kv_slice_t v)
{
    if (q->n == S3_AZ_KEYS_MAX)
        return;
    kv_slice_t *vs = kv_arena_alloc(a, sizeof(*vs));
    *vs = v;
    q->keys[q->n++] = (api_ckey_t){name, vs, 1};
}

/* A header's value as key name, when the request has it. */
static void key_header(s3_azq_t *q, api_req_t *req, const char *key, const char *header)
{
    if (api_req_has_header(req, header))
        key_add(q, req->arena, key, kv_slice_trim(api_req_header(req, header)));
}

/* Tags as s3:RequestObjectTag/<k> and s3:RequestObjectTagKeys (or ExistingObjectTag). */
static void key_tags(s3_azq_t *q, kv_arena_t *a, const char *pre, const eng_tag_t *t, size_t n,
                     bool keys)
{
    if (n > S3_OBJ_TAGS_MAX)
        n = S3_OBJ_TAGS_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(pre) + strlen(t[i].key) + 1;
        char *name = kv_arena_alloc(a, len);
        snprintf(name, len, "%s%s", pre, t[i].key);
        key_add(q, a, name, kv_slice_str(t[i].value));
    }
    if (keys && n && q->n < S3_AZ_KEYS_MAX) {
        kv_slice_t *vs = kv_arena_alloc(a, n * sizeof(*vs));
        for (size_t i = 0; i < n; i++)
            vs[i] = kv_slice_str(t[i].key);
        q->keys[q->n++] = (api_ckey_t){"s3:RequestObjectTagKeys", vs, n};
    }
}

/* The keys every S3 request has. */
static void key_common(s3_azq_t *q, api_req_t *req)
{
    api_state_t *st = req->_st;
    key_add(q, req->arena, "s3:signatureversion",
            st->sigv2 ? KV_SLICE_LIT("AWS") : KV_SLICE_LIT("AWS4-HMAC-SHA256"));
    if (st->principal.kind != API_PR_ANON || st->authed)
        key_add(q, req->arena, "s3:authType",
                st->op == S3_OP_post_object ? KV_SLICE_LIT("POST")
                : st->presigned             ? KV_SLICE_LIT("REST-QUERY-STRING")
                                            : KV_SLICE_LIT("REST-HEADER"));
    key_add(q, req->arena, "s3:ResourceAccount", KV_SLICE_LIT(API_ACCOUNT_ID));
    key_header(q, req, "s3:x-amz-content-sha256", "x-amz-content-sha256");
    key_header(q, req, "s3:x-amz-acl", "x-amz-acl");
    key_header(q, req, "s3:x-amz-grant-read", "x-amz-grant-read");
    key_header(q, req, "s3:x-amz-grant-write", "x-amz-grant-write");
    key_header(q, req, "s3:x-amz-grant-read-acp", "x-amz-grant-read-acp");
    key_header(q, req, "s3:x-amz-grant-write-acp", "x-amz-grant-write-acp");
    key_header(q, req, "s3:x-amz-grant-full-control", "x-amz-grant-full-control");
    key_header(q, req, "s3:x-amz-copy-source", "x-amz-copy-source");
    key_header(q, req, "s3:x-amz-metadata-directive", "x-amz-metadata-directive");
    key_header(q, req, "s3:x-amz-server-side-encryption", "x-amz-server-side-encryption");
    key_header(q, req, "s3:x-amz-server-side-encryption-aws-kms-key-id", /* issue 16, E */
               "x-amz-server-side-encryption-aws-kms-key-id");
    key_header(q, req, "s3:x-amz-storage-class", "x-amz-storage-class");
    key_header(q, req, "s3:object-lock-mode", "x-amz-object-lock-mode");
    kv_slice_t v;
    if (api_req_query(req, "versionId", &v))
        key_add(q, req->arena, "s3:versionid", v);
}

/* s3:prefix (empty when absent, as S3 evaluates it), s3:delimiter, s3:max-keys. */
static void key_listing(s3_azq_t *q, api_req_t *req, const char *max_name)
{
    kv_slice_t v;
    key_add(q, req->arena, "s3:prefix", api_req_query(req, "prefix", &v) ? v : KV_SLICE_LIT(""));
    if (api_req_query(req, "delimiter", &v))
        key_add(q, req->arena, "s3:delimiter", v);
    if (max_name && api_req_query(req, max_name, &v))
        key_add(q, req->arena, "s3:max-keys", v);
}

static bool has_acl_headers(api_req_t *req)
{
    static const char *const h[] = {"x-amz-acl",
                                    "x-amz-grant-read",
                                    "x-amz-grant-write",
                                    "x-amz-grant-read-acp",
                                    "x-amz-grant-write-acp",
                                    "x-amz-grant-full-control",
                                    NULL};
    for (size_t i = 0; h[i]; i++)
        if (api_req_has_header(req, h[i]))
            return true;
    return false;
}

/* ---- the ACL verdict (package A's s3_acl_check) ---- */

static api_acl_verdict_t acl_verdict(api_ctx_t *ctx, const eng_bucket_t *b, const eng_object_t *o,
                                     const api_principal_t *p, const char *action,
                                     bool ignore_public)
{
    return s3_acl_check(ctx, b, o, p, action, ignore_public); /* package A (s3_acl.c) */
}

/* ---- one check ---- */

kv_slice_t s3_arn(kv_arena_t *a, kv_slice_t bucket, kv_slice_t key)
{
    if (bucket.len == 0)
        return KV_SLICE_LIT("*");
    /* As "%.*s" printed them: up to a NUL byte. */
    bool slash = key.len > 0;
    const uint8_t *z = memchr(bucket.p, 0, bucket.len);
    if (z)
        bucket.len = (size_t)(z - bucket.p);
    if (key.len && (z = memchr(key.p, 0, key.len)) != NULL)
        key.len = (size_t)(z - key.p);
    size_t pre = sizeof(S3_ARN_PRE) - 1;
    size_t n = pre + bucket.len + (slash ? 1 + key.len : 0);
    char *s = kv_arena_alloc(a, n + 1);
    memcpy(s, S3_ARN_PRE, pre);
    memcpy(s + pre, bucket.p, bucket.len);
    if (slash) {
        s[pre + bucket.len] = '/';
        memcpy(s + pre + bucket.len + 1, key.p, key.len);
    }
    s[n] = 0;
    return kv_slice(s, n);
}

const pol_t *s3_bucket_policy(api_req_t *req, const eng_bucket_t *b)
{
    if (b == NULL || b->docs[ENG_BDOC_POLICY].len == 0)
        return NULL;
    const char *err = NULL;
    return pol_cached(b->docs[ENG_BDOC_POLICY], POL_RESOURCE, req->arena, &err);
}

bool s3_policy_is_public(const pol_t *p)
{
    return p && pol_is_public(p);
}

bool s3_policy_public(api_req_t *req, kv_slice_t text)
{
    eng_bucket_t b = {.docs[ENG_BDOC_POLICY] = text};
    return s3_policy_is_public(s3_bucket_policy(req, &b));
}

/* S3's refusal: "Access Denied" for anonymous callers; AWS's explicit message otherwise, the
 * resource quoted as S3 quotes it. */
static void refuse(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_authz_t *az)
{
    const api_principal_t *p = &req->_st->principal;
    if (p->kind == API_PR_ANON) {
        api_fail(resp, API_E_S3_ACCESS_DENIED, NULL);
        return;
    }
    api_decision_t d = api_decide(ctx, p, az, req->peer, req->tls, req->arena, NULL);
    if (d == API_ALLOW)
        d = API_DENY_IMPLICIT;
    size_t n = az->resource.len + 3;
    char *quoted = kv_arena_alloc(req->arena, n);
    snprintf(quoted, n, "\"%.*s\"", (int)az->resource.len, (const char *)az->resource.p);
    api_fail(resp, API_E_S3_ACCESS_DENIED, "%s",
             api_denied_msg(req->arena, p, az->action, kv_slice_str(quoted), d));
}

/* Could the object decide: a policy evaluated for this principal that may test
 * s3:ExistingObjectTag, or an ACL check that reads the object's ACL? */
static bool object_matters(const api_state_t *st, const pol_t *bucket_policy, const eng_bucket_t *b,
                           const char *action)
{
    const api_principal_t *p = &st->principal;
    return s3_acl_wants_object(b, action) || pol_mentions_obj_tags(bucket_policy) ||
           pol_set_mentions_obj_tags(p->identity) || pol_mentions_obj_tags(p->boundary) ||
           pol_set_mentions_obj_tags(p->session);
}

int s3_authz_check(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *action,
                   kv_slice_t bucket, kv_slice_t key, const eng_vref_t *ver, const s3_azq_t *extra,
                   unsigned flags)
{
    api_state_t *st = req->_st;
    api_authz_t az = {.action = action};
    if (is_root(&st->principal))
        return api_authorize(ctx, req, resp, &az); /* the root: allowed, no lookup */
    az.resource = s3_arn(req->arena, bucket, key);
    s3_azq_t *q = kv_arena_calloc(req->arena, 1, sizeof(*q));
    if (extra)
        *q = *extra;
    key_common(q, req);
    eng_bucket_t *b = NULL;
    eng_object_t *o = NULL;
    if (bucket.len && eng_bucket_get(ctx->eng, bucket, req->arena, &b) != 0)
        b = NULL; /* no bucket: identity policies alone (the operation answers NoSuchBucket) */
    else if (b && kv_slice_eq(bucket, st->bucket))
        st->s3_authz_bucket = b;
    /* issue 16, package R: a Requester Pays bucket refuses anonymous requests */
    if (b && st->principal.kind == API_PR_ANON && s3_requester_pays(b)) {
        if (!(flags & S3_AZ_QUIET))
            api_fail(resp, API_E_S3_ACCESS_DENIED, NULL);
        return API_RESPOND;
    }
    s3_pab_t pab;
    s3_pab_effective(ctx, b, &pab);
    if (b) {
        az.res.policy = s3_bucket_policy(req, b);
        az.res.owner_arn = KV_SLICE_LIT("arn:aws:iam::" API_ACCOUNT_ID ":root");
        if (pab.restrict_public_buckets && s3_policy_is_public(az.res.policy))
            az.flags |= API_AZ_RESTRICT_PUBLIC;
        /* The object is read only when its tags or its ACL could decide. */
        if ((flags & S3_AZ_EXISTING) && key.len && object_matters(st, az.res.policy, b, action) &&
            eng_object_open(ctx->eng, b->id, key, ver && ver->kind != ENG_VREF_CURRENT ? ver : NULL,
                            req->arena, &o, NULL) == 0 &&
            !o->delete_marker)
            key_tags(q, req->arena, "s3:ExistingObjectTag/", o->tags, o->n_tags, false);
        else
            o = NULL;
    }
    az.acl = acl_verdict(ctx, b, o, &st->principal, action, pab.ignore_public_acls);
    az.keys = q->keys;
    az.n_keys = q->n;
    az.flags |= API_AZ_QUIET;
    if (api_authorize(ctx, req, resp, &az) == 0)
        return 0;
    if (!(flags & S3_AZ_QUIET))
        refuse(ctx, req, resp, &az);
    return API_RESPOND;
}

/* ---- operations ---- */

/* versionId as a reference (CURRENT when absent or malformed: the operation reports it). */
static eng_vref_t query_version(api_req_t *req, bool *has)
{
    eng_vref_t v = {.kind = ENG_VREF_CURRENT};
    kv_slice_t s;
    *has = api_req_query(req, "versionId", &s);
    if (*has && !s3_version_parse(s, &v))
        v.kind = ENG_VREF_CURRENT;
    return v;
}

/* The actions a write of an object needs besides s3:PutObject: tagging, ACL headers. */
static int object_write(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t bucket,
                        kv_slice_t key)
{
    s3_azq_t q = {0};
    if (api_req_has_header(req, "x-amz-tagging")) {
        eng_tag_t *tags;
        size_t n;
        if (s3_tags_from_header(req, resp, &tags, &n) < 0)
            return API_RESPOND;
        key_tags(&q, req->arena, "s3:RequestObjectTag/", tags, n, true);
    }
    if (s3_authz_check(ctx, req, resp, "s3:PutObject", bucket, key, NULL, &q, 0) != 0)
        return API_RESPOND;
    if (api_req_has_header(req, "x-amz-tagging") &&
        s3_authz_check(ctx, req, resp, "s3:PutObjectTagging", bucket, key, NULL, &q, 0) != 0)
        return API_RESPOND;
    if (has_acl_headers(req) &&
        s3_authz_check(ctx, req, resp, "s3:PutObjectAcl", bucket, key, NULL, &q, 0) != 0)
        return API_RESPOND;
    /* issue 16, package L: a write that sets its own Object Lock */
    s3_lock_azq(req, req->_st->op, NULL, &q);
    if ((api_req_has_header(req, "x-amz-object-lock-mode") ||
         api_req_has_header(req, "x-amz-object-lock-retain-until-date")) &&
        s3_authz_check(ctx, req, resp, "s3:PutObjectRetention", bucket, key, NULL, &q, 0) != 0)
        return API_RESPOND;
    if (api_req_has_header(req, "x-amz-object-lock-legal-hold") &&
        s3_authz_check(ctx, req, resp, "s3:PutObjectLegalHold", bucket, key, NULL, &q, 0) != 0)
        return API_RESPOND;
    return 0;
}

/* A copy's source: s3:GetObject (s3:GetObjectVersion for a named version) on it. */
static int copy_source(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    kv_slice_t sb, sk;
    eng_vref_t sv;
    if (s3_copy_source(req, resp, &sb, &sk, &sv) < 0)
        return API_RESPOND;
    return s3_authz_check(ctx, req, resp,
                          sv.kind == ENG_VREF_CURRENT ? "s3:GetObject" : "s3:GetObjectVersion", sb,
                          sk, &sv, NULL, S3_AZ_EXISTING);
}

/* An operation on an existing object: the plain action, or its Version variant. */
static int object_op(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *plain,
                     const char *versioned, unsigned flags)
{
    api_state_t *st = req->_st;
    bool has;
    eng_vref_t v = query_version(req, &has);
    return s3_authz_check(ctx, req, resp, has && versioned ? versioned : plain, st->bucket,
                          st->key_name, &v, NULL, flags);
}

static int bucket_op(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *action)
{
    return s3_authz_check(ctx, req, resp, action, req->_st->bucket, KV_SLICE_NULL, NULL, NULL, 0);
}

int s3_authz_op(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const void *in)
{
    api_state_t *st = req->_st;
    if (is_root(&st->principal)) {
        st->authorized = true;
        return 0;
    }
    /* The streaming writes were authorized before their body (s3_body_begin, in NULL). */
    if (in && (st->op == S3_OP_put_object || st->op == S3_OP_upload_part))
        return 0;
    s3_azq_t q = {0};
    kv_slice_t bucket = st->bucket;
    switch (st->op) {
    case S3_OP_list_buckets:
        return s3_authz_check(ctx, req, resp, "s3:ListAllMyBuckets", KV_SLICE_NULL, KV_SLICE_NULL,
                              NULL, NULL, 0);
    case S3_OP_create_bucket:
        if (bucket_op(ctx, req, resp, "s3:CreateBucket") != 0)
            return API_RESPOND;
        /* issue 15, package A: choosing the Object Ownership at creation */
        if (api_req_has_header(req, "x-amz-object-ownership") &&
            bucket_op(ctx, req, resp, "s3:PutBucketOwnershipControls") != 0)
            return API_RESPOND;
        /* issue 16, package L: creating a bucket with Object Lock (versioning comes with it) */
        if (kv_slice_eq_nocase(
                kv_slice_trim(api_req_header(req, "x-amz-bucket-object-lock-enabled")), "true") &&
            (bucket_op(ctx, req, resp, "s3:PutBucketObjectLockConfiguration") != 0 ||
             bucket_op(ctx, req, resp, "s3:PutBucketVersioning") != 0))
            return API_RESPOND;
        return has_acl_headers(req) ? bucket_op(ctx, req, resp, "s3:PutBucketAcl") : 0;
    case S3_OP_head_bucket:
        return bucket_op(ctx, req, resp, "s3:ListBucket");
    case S3_OP_list_objects:
        key_listing(&q, req, "max-keys");
        return s3_authz_check(ctx, req, resp, "s3:ListBucket", bucket, KV_SLICE_NULL, NULL, &q, 0);
    case S3_OP_list_object_versions:
        key_listing(&q, req, "max-keys");
        return s3_authz_check(ctx, req, resp, "s3:ListBucketVersions", bucket, KV_SLICE_NULL, NULL,
                              &q, 0);
    case S3_OP_list_multipart_uploads:
        key_listing(&q, req, "max-uploads");
        return s3_authz_check(ctx, req, resp, "s3:ListBucketMultipartUploads", bucket,
                              KV_SLICE_NULL, NULL, &q, 0);
    case S3_OP_delete_bucket:
        return bucket_op(ctx, req, resp, "s3:DeleteBucket");
    case S3_OP_get_bucket_location:
        return bucket_op(ctx, req, resp, "s3:GetBucketLocation");
    case S3_OP_put_object:
    case S3_OP_create_multipart_upload:
        return object_write(ctx, req, resp, bucket, st->key_name);
    case S3_OP_upload_part:
    case S3_OP_complete_multipart_upload:
        return s3_authz_check(ctx, req, resp, "s3:PutObject", bucket, st->key_name, NULL, NULL, 0);
    case S3_OP_copy_object:
    case S3_OP_upload_part_copy:
        if (copy_source(ctx, req, resp) != 0)
            return API_RESPOND;
        if (st->op == S3_OP_upload_part_copy)
            return s3_authz_check(ctx, req, resp, "s3:PutObject", bucket, st->key_name, NULL, NULL,
                                  0);
        return object_write(ctx, req, resp, bucket, st->key_name);
    case S3_OP_get_object:
    case S3_OP_head_object:
        return object_op(ctx, req, resp, "s3:GetObject", "s3:GetObjectVersion", S3_AZ_EXISTING);
    case S3_OP_delete_object: {
        /* issue 16, package R: a delete conditional on an ETag reads it: s3:GetObject too */
        const s3_delete_object_in_t *d = in;
        if (d && d->del_cond && d->del_cond->if_match && strcmp(d->del_cond->if_match, "*") != 0 &&
            object_op(ctx, req, resp, "s3:GetObject", "s3:GetObjectVersion", S3_AZ_EXISTING) != 0)
            return API_RESPOND;
        return object_op(ctx, req, resp, "s3:DeleteObject", "s3:DeleteObjectVersion", 0);
    }
    case S3_OP_delete_objects:
        return 0; /* each key is authorized as it is deleted (s3_authz_delete_key) */
    case S3_OP_get_object_acl:
        return object_op(ctx, req, resp, "s3:GetObjectAcl", "s3:GetObjectVersionAcl",
                         S3_AZ_EXISTING);
    case S3_OP_put_object_acl:
        return object_op(ctx, req, resp, "s3:PutObjectAcl", "s3:PutObjectVersionAcl",
                         S3_AZ_EXISTING);
    case S3_OP_get_object_tagging:
        return object_op(ctx, req, resp, "s3:GetObjectTagging", "s3:GetObjectVersionTagging",
                         S3_AZ_EXISTING);
    case S3_OP_put_object_tagging: {
        const s3_tagging_in_t *t = in;
        bool has;
        eng_vref_t v = query_version(req, &has);
        if (t)
            key_tags(&q, req->arena, "s3:RequestObjectTag/", t->tags, t->n_tags, true);
        return s3_authz_check(ctx, req, resp,
                              has ? "s3:PutObjectVersionTagging" : "s3:PutObjectTagging", bucket,
                              st->key_name, &v, &q, S3_AZ_EXISTING);
    }
    case S3_OP_delete_object_tagging:
        return object_op(ctx, req, resp, "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging",
                         S3_AZ_EXISTING);
    case S3_OP_get_object_attributes:
        return object_op(ctx, req, resp, "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes",
                         S3_AZ_EXISTING);
    case S3_OP_abort_multipart_upload:
        return s3_authz_check(ctx, req, resp, "s3:AbortMultipartUpload", bucket, st->key_name, NULL,
                              NULL, 0);
    case S3_OP_list_parts:
        return s3_authz_check(ctx, req, resp, "s3:ListMultipartUploadParts", bucket, st->key_name,
                              NULL, NULL, 0);
    case S3_OP_get_bucket_acl:
        return bucket_op(ctx, req, resp, "s3:GetBucketAcl");
    case S3_OP_put_bucket_acl:
        return bucket_op(ctx, req, resp, "s3:PutBucketAcl");
    case S3_OP_get_bucket_versioning:
        return bucket_op(ctx, req, resp, "s3:GetBucketVersioning");
    case S3_OP_put_bucket_versioning:
        return bucket_op(ctx, req, resp, "s3:PutBucketVersioning");
    case S3_OP_get_object_lock_configuration:
        return bucket_op(ctx, req, resp, "s3:GetBucketObjectLockConfiguration");
    case S3_OP_get_bucket_tagging:
        return bucket_op(ctx, req, resp, "s3:GetBucketTagging");
    case S3_OP_put_bucket_tagging:
    case S3_OP_delete_bucket_tagging:
        return bucket_op(ctx, req, resp, "s3:PutBucketTagging");
    case S3_OP_put_bucket_policy:
        return bucket_op(ctx, req, resp, "s3:PutBucketPolicy");
    case S3_OP_get_bucket_policy:
        return bucket_op(ctx, req, resp, "s3:GetBucketPolicy");
    case S3_OP_delete_bucket_policy:
        return bucket_op(ctx, req, resp, "s3:DeleteBucketPolicy");
    case S3_OP_get_bucket_policy_status:
        return bucket_op(ctx, req, resp, "s3:GetBucketPolicyStatus");
    case S3_OP_put_bucket_cors:
    case S3_OP_delete_bucket_cors:
        return bucket_op(ctx, req, resp, "s3:PutBucketCORS");
    case S3_OP_get_bucket_cors:
        return bucket_op(ctx, req, resp, "s3:GetBucketCORS");
    case S3_OP_put_bucket_lifecycle:
    case S3_OP_delete_bucket_lifecycle:
        return bucket_op(ctx, req, resp, "s3:PutLifecycleConfiguration");
    case S3_OP_get_bucket_lifecycle:
        return bucket_op(ctx, req, resp, "s3:GetLifecycleConfiguration");
    case S3_OP_put_bucket_notification:
        return bucket_op(ctx, req, resp, "s3:PutBucketNotification");
    case S3_OP_get_bucket_notification:
        return bucket_op(ctx, req, resp, "s3:GetBucketNotification");
    case S3_OP_put_public_access_block:
    case S3_OP_delete_public_access_block:
        return bucket_op(ctx, req, resp, "s3:PutBucketPublicAccessBlock");
    case S3_OP_get_public_access_block:
        return bucket_op(ctx, req, resp, "s3:GetBucketPublicAccessBlock");
    case S3_OP_put_account_pab:
    case S3_OP_delete_account_pab:
        return s3_authz_check(ctx, req, resp, "s3:PutAccountPublicAccessBlock", KV_SLICE_NULL,
                              KV_SLICE_NULL, NULL, NULL, 0);
    case S3_OP_get_account_pab:
        return s3_authz_check(ctx, req, resp, "s3:GetAccountPublicAccessBlock", KV_SLICE_NULL,
                              KV_SLICE_NULL, NULL, NULL, 0);
    /* issue 15, package A: Object Ownership */
    case S3_OP_put_bucket_ownership:
    case S3_OP_delete_bucket_ownership:
        return bucket_op(ctx, req, resp, "s3:PutBucketOwnershipControls");
    case S3_OP_get_bucket_ownership:
        return bucket_op(ctx, req, resp, "s3:GetBucketOwnershipControls");
        /* issue 16, package E: encryption */
    case S3_OP_put_bucket_encryption:
    case S3_OP_delete_bucket_encryption:
        return bucket_op(ctx, req, resp, "s3:PutEncryptionConfiguration");
    case S3_OP_get_bucket_encryption:
        return bucket_op(ctx, req, resp, "s3:GetEncryptionConfiguration");

        /* issue 16, package L: Object Lock */
    case S3_OP_put_object_lock_configuration:
        return bucket_op(ctx, req, resp, "s3:PutBucketObjectLockConfiguration");
    case S3_OP_put_object_retention:
    case S3_OP_put_object_legal_hold: {
        bool has;
        eng_vref_t v = query_version(req, &has);
        if (in)
            s3_lock_azq(req, st->op, in, &q);
        return s3_authz_check(ctx, req, resp,
                              st->op == S3_OP_put_object_retention ? "s3:PutObjectRetention"
                                                                   : "s3:PutObjectLegalHold",
                              bucket, st->key_name, &v, &q, S3_AZ_EXISTING);
    }
    case S3_OP_get_object_retention:
        return object_op(ctx, req, resp, "s3:GetObjectRetention", NULL, S3_AZ_EXISTING);
    case S3_OP_get_object_legal_hold:
        return object_op(ctx, req, resp, "s3:GetObjectLegalHold", NULL, S3_AZ_EXISTING);

        /* issue 16, package C: checksums */

        /* issue 16, package G: access logging */
    case S3_OP_put_bucket_logging:
        return bucket_op(ctx, req, resp, "s3:PutBucketLogging");
    case S3_OP_get_bucket_logging:
        return bucket_op(ctx, req, resp, "s3:GetBucketLogging");

        /* issue 16, package W: static websites */
    case S3_OP_put_bucket_website:
        return bucket_op(ctx, req, resp, "s3:PutBucketWebsite");
    case S3_OP_get_bucket_website:
        return bucket_op(ctx, req, resp, "s3:GetBucketWebsite");
    case S3_OP_delete_bucket_website:
        return bucket_op(ctx, req, resp, "s3:DeleteBucketWebsite");
    case S3_OP_website_get:
        return 0; /* every object it reads is authorized as the anonymous principal's
                     s3:GetObject (s3_website_ep.c) */
    case S3_OP_website_refused:
        return 0; /* never answered with success */

        /* issue 16, package R: the remaining configurations (Delete and List need the Put and
         * Get actions, as S3 documents them) */
    case S3_OP_put_bucket_request_payment:
        return bucket_op(ctx, req, resp, "s3:PutBucketRequestPayment");
    case S3_OP_get_bucket_request_payment:
        return bucket_op(ctx, req, resp, "s3:GetBucketRequestPayment");
    case S3_OP_put_bucket_accelerate:
        return bucket_op(ctx, req, resp, "s3:PutAccelerateConfiguration");
    case S3_OP_get_bucket_accelerate:
        return bucket_op(ctx, req, resp, "s3:GetAccelerateConfiguration");
    case S3_OP_put_bucket_tiering:
    case S3_OP_delete_bucket_tiering:
        return bucket_op(ctx, req, resp, "s3:PutIntelligentTieringConfiguration");
    case S3_OP_get_bucket_tiering:
    case S3_OP_list_bucket_tiering:
        return bucket_op(ctx, req, resp, "s3:GetIntelligentTieringConfiguration");
    case S3_OP_put_bucket_inventory:
    case S3_OP_delete_bucket_inventory:
        return bucket_op(ctx, req, resp, "s3:PutInventoryConfiguration");
    case S3_OP_get_bucket_inventory:
    case S3_OP_list_bucket_inventory:
        return bucket_op(ctx, req, resp, "s3:GetInventoryConfiguration");
    case S3_OP_put_bucket_analytics:
    case S3_OP_delete_bucket_analytics:
        return bucket_op(ctx, req, resp, "s3:PutAnalyticsConfiguration");
    case S3_OP_get_bucket_analytics:
    case S3_OP_list_bucket_analytics:
        return bucket_op(ctx, req, resp, "s3:GetAnalyticsConfiguration");
    case S3_OP_put_bucket_metrics:
    case S3_OP_delete_bucket_metrics:
        return bucket_op(ctx, req, resp, "s3:PutMetricsConfiguration");
    case S3_OP_get_bucket_metrics:
    case S3_OP_list_bucket_metrics:
        return bucket_op(ctx, req, resp, "s3:GetMetricsConfiguration");

    case S3_OP_preflight:
    case S3_OP_not_implemented:
        return 0; /* never answered with success: nothing to authorize */
    case S3_OP_post_object:
        return 0; /* the form's signer is authorized as the form is read (s3_post.c) */
    default:
        /* An operation without a mapping is refused to everyone but the root. */
        api_fail(resp, API_E_S3_ACCESS_DENIED, NULL);
        return API_RESPOND;
    }
}

int s3_authz_delete_key(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t key,
                        bool versioned)
{
    if (is_root(&req->_st->principal)) {
        req->_st->authorized = true;
        return 0;
    }
    return s3_authz_check(ctx, req, resp, versioned ? "s3:DeleteObjectVersion" : "s3:DeleteObject",
                          req->_st->bucket, key, NULL, NULL, S3_AZ_QUIET);
}

void s3_authz_not_found(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    if (is_root(&st->principal) ||
        (resp->_err != API_E_S3_NO_SUCH_KEY && resp->_err != API_E_S3_NO_SUCH_VERSION))
        return;
    /* S3 tells whether a key exists only to a caller that may list the bucket. */
    if (s3_authz_check(ctx, req, resp, "s3:ListBucket", st->bucket, KV_SLICE_NULL, NULL, NULL,
                       S3_AZ_QUIET) == 0)
        return;
    st->s3_extra = KV_SLICE_NULL;
    api_fail(resp, API_E_S3_ACCESS_DENIED, NULL);
}

/* ---- bucket policies: S3's own checks, Block Public Policy ---- */

#define S3_POL_VALUES_MAX 512 /* values of one statement element checked (the text is <= 20 KB) */

/* A string or an array of strings; the count (0 when absent), -1 when of another type. */
static int str_list(const api_json_t *v, kv_slice_t *out, size_t cap)
{
    if (v == NULL)
        return 0;
    if (api_json_type(v) == API_J_STR) {
        out[0] = api_json_str(v);
        return 1;
    }
    if (api_json_type(v) != API_J_ARR)
        return -1;
    size_t n = api_json_len(v);
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = api_json_at(v, i);
        if (api_json_type(e) != API_J_STR)
            return -1;
        out[i] = api_json_str(e);
    }
    return (int)n;
}

static bool has_wild(kv_slice_t v)
{
    return memchr(v.p, '*', v.len) || memchr(v.p, '?', v.len);
}

/* Actions that act on objects (their resource is arn:aws:s3:::bucket/key). */
static bool object_action(kv_slice_t a)
{
    static const char *const pre[] = {"s3:GetObject",
                                      "s3:PutObject",
                                      "s3:DeleteObject",
                                      "s3:AbortMultipartUpload",
                                      "s3:ListMultipartUploadParts",
                                      "s3:RestoreObject",
                                      "s3:ReplicateObject",
                                      "s3:ReplicateDelete",
                                      "s3:ReplicateTags",
                                      "s3:BypassGovernanceRetention",
                                      "s3:ObjectOwnerOverrideToBucketOwner",
                                      NULL};
    for (size_t i = 0; pre[i]; i++) {
        size_t n = strlen(pre[i]);
        if (a.len >= n && kv_slice_eq_nocase(kv_slice(a.p, n), pre[i]))
            return true;
    }
    return false;
}

/* Does a resource's bucket part name this bucket (or may it, with a wildcard)? Sets *object
 * when it names objects, *wild when it may name both. */
static bool resource_ok(kv_slice_t r, kv_slice_t bucket, bool *object, bool *wild)
{
    static const char pre[] = S3_ARN_PRE;
    *object = *wild = false;
    if (kv_slice_eq_str(r, "*")) {
        *wild = true;
        return true;
    }
    if (r.len < sizeof(pre) - 1 || memcmp(r.p, pre, sizeof(pre) - 1) != 0)
        return false;
    kv_slice_t rest = kv_slice(r.p + sizeof(pre) - 1, r.len - (sizeof(pre) - 1));
    const uint8_t *sl = memchr(rest.p, '/', rest.len);
    kv_slice_t bp = sl ? kv_slice(rest.p, (size_t)(sl - rest.p)) : rest;
    *object = sl != NULL;
    if (has_wild(bp)) {
        *wild = true;
        return true;
    }
    return kv_slice_eq(bp, bucket);
}

static int malformed(api_resp_t *resp, const char *msg)
{
    api_fail(resp, API_E_S3_MALFORMED_POLICY, "%s", msg);
    return -1;
}

/* One statement's S3 checks. */
static int statement_ok(api_resp_t *resp, const api_json_t *st, kv_slice_t bucket, kv_slice_t *buf)
{
    if (api_json_type(st) != API_J_OBJ)
        return malformed(resp, "Syntax errors in policy.");
    bool not_action = api_json_get(st, "NotAction") != NULL;
    bool not_res = api_json_get(st, "NotResource") != NULL;
    kv_slice_t *acts = buf, *res = buf + S3_POL_VALUES_MAX;
    int na =
        str_list(api_json_get(st, not_action ? "NotAction" : "Action"), acts, S3_POL_VALUES_MAX);
    int nr =
        str_list(api_json_get(st, not_res ? "NotResource" : "Resource"), res, S3_POL_VALUES_MAX);
    if (na < 0 || nr < 0)
        return malformed(resp, "Syntax errors in policy.");
    if (na == 0)
        return malformed(resp, "Missing required field Action");
    if (nr == 0)
        return malformed(resp, "Missing required field Resource");
    bool any_obj_action = false, any_bucket_action = false;
    for (int i = 0; i < na; i++) {
        kv_slice_t a = acts[i];
        if (!kv_slice_eq_str(a, "*") && (a.len < 4 || !kv_slice_eq_nocase(kv_slice(a.p, 3), "s3:")))
            return malformed(resp, "Policy has invalid action");
        if (has_wild(a))
            any_obj_action = any_bucket_action = true;
        else if (object_action(a))
            any_obj_action = true;
        else
            any_bucket_action = true;
    }
    bool any_obj_res = false, any_bucket_res = false;
    for (int i = 0; i < nr; i++) {
        bool object, wild;
        if (!resource_ok(res[i], bucket, &object, &wild))
            return malformed(resp, "Policy has invalid resource");
        if (wild)
            any_obj_res = any_bucket_res = true;
        else if (object)
            any_obj_res = true;
        else
            any_bucket_res = true;
    }
    if (!not_action && !not_res && !(any_obj_action && any_obj_res) &&
        !(any_bucket_action && any_bucket_res))
        return malformed(resp, "Action does not apply to any resource(s) in statement");
    return 0;
}

int s3_policy_validate(api_req_t *req, api_resp_t *resp, kv_slice_t bucket, kv_slice_t doc)
{
    api_json_t *root;
    const char *err = NULL;
    if (api_json_parse(req->arena, kv_slice_trim(doc), &root, &err) < 0 ||
        api_json_type(root) != API_J_OBJ)
        return malformed(resp, "Policies must be valid JSON and the first byte must be '{'");
    const api_json_t *sts = api_json_get(root, "Statement");
    kv_slice_t *buf = kv_arena_alloc(req->arena, 2 * S3_POL_VALUES_MAX * sizeof(*buf));
    if (sts && api_json_type(sts) == API_J_OBJ) {
        if (statement_ok(resp, sts, bucket, buf) < 0)
            return -1;
    } else if (sts) {
        for (size_t i = 0; i < api_json_len(sts); i++)
            if (statement_ok(resp, api_json_at(sts, i), bucket, buf) < 0)
                return -1;
    }
    /* The policy language's own grammar (Principal, Effect, Condition operators, ...). */
    pol_t *p = pol_parse(doc, POL_RESOURCE, req->arena, &err);
    if (p == NULL) {
        /* S3 names the fault without IAM's detail ("Invalid principal in policy"). */
        static const char principal[] = "Invalid principal in policy";
        if (err == NULL)
            err = "Syntax errors in policy.";
        else if (strncmp(err, principal, sizeof(principal) - 1) == 0)
            err = principal;
        return malformed(resp, err);
    }
    pol_free(p);
    return 0;
}

int s3_policy_block_check(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
                          kv_slice_t doc)
{
    s3_pab_t pab;
    s3_pab_effective(ctx, b, &pab);
    if (!pab.block_public_policy || !s3_policy_public(req, doc))
        return 0;
    const api_principal_t *p = &req->_st->principal;
    kv_slice_t who = p->kind == API_PR_ANON ? KV_SLICE_LIT("anonymous") : p->arn;
    api_fail(resp, API_E_S3_ACCESS_DENIED,
             "User: %.*s is not authorized to perform: s3:PutBucketPolicy on resource: "
             "\"" S3_ARN_PRE "%s\" because public policies are blocked by the BlockPublicPolicy "
             "block public access setting.",
             (int)who.len, (const char *)who.p, b->name);
    return -1;
}
