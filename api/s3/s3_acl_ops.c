/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ACL operations (Get/PutBucketAcl, Get/PutObjectAcl, per version) and Object Ownership's
 * (Put/Get/DeleteBucketOwnershipControls) (issue 15, package A). With ACLs disabled
 * (BucketOwnerEnforced, a new bucket's default) reads answer the owner's FULL_CONTROL and
 * writes accept only that; otherwise the ACL given by a canned name, grant headers or an
 * AccessControlPolicy body is stored (s3_acl.h's encoding), Block Public Access permitting.
 */
#include <string.h>

#include "s3_int.h"

/* ---- Put*Acl: the ACL of the request ---- */

static int acl_put_in(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_acl_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->key = req->_st->key_name;
    out->ver.kind = ENG_VREF_CURRENT;
    out->acl = kv_arena_alloc(req->arena, sizeof(*out->acl));
    if (s3_acl_from_request(ctx, req, resp, out->acl, &out->has) < 0)
        return -1;
    kv_slice_t body = kv_buf_slice(&req->_st->body);
    if (body.len && out->has) {
        api_fail(resp, API_E_S3_UNEXPECTED_CONTENT, NULL);
        return -1;
    }
    if (body.len) {
        char owner[65];
        s3_owner_id(ctx, owner);
        const char *msg;
        api_err_t e = s3_acl_xml(req->arena, body, owner, out->acl, &msg);
        if (e != API_E_NONE) {
            if (msg)
                api_fail(resp, e, "%s", msg);
            else
                api_fail(resp, e, NULL);
            return -1;
        }
        out->has = true;
    }
    if (!out->has) {
        api_fail(resp, API_E_S3_MISSING_SECURITY_HEADER, NULL);
        return -1;
    }
    return 0;
}

/* May acl be set on bucket b? -1 with S3's error set; *store false when ACLs are disabled
 * (the owner's full control, accepted and not stored). */
static int acl_put_allowed(api_ctx_t *ctx, api_resp_t *resp, const eng_bucket_t *b,
                           const s3_acl_t *acl, bool *store)
{
    *store = false;
    if (s3_ownership(b, NULL) == S3_OWN_ENFORCED) {
        if (s3_acl_owner_only(acl))
            return 0;
        api_fail(resp, API_E_S3_ACL_NOT_SUPPORTED, NULL);
        return -1;
    }
    if (s3_acl_is_public(acl)) {
        s3_pab_t pab;
        s3_pab_effective(ctx, b, &pab);
        if (pab.block_public_acls) {
            api_fail(resp, API_E_S3_ACCESS_DENIED, NULL);
            return -1;
        }
    }
    *store = true;
    return 0;
}

static kv_slice_t acl_enc(kv_arena_t *a, const s3_acl_t *acl)
{
    kv_buf_t enc;
    kv_buf_init(&enc, 1 + 2 * acl->n);
    s3_acl_encode(acl, &enc);
    kv_slice_t r = kv_arena_dup(a, kv_buf_slice(&enc));
    kv_buf_dispose(&enc);
    return r;
}

int s3_decode_put_bucket_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_acl_in_t *out)
{
    return acl_put_in(ctx, req, resp, out);
}

int s3_decode_put_object_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_acl_in_t *out)
{
    if (acl_put_in(ctx, req, resp, out) < 0)
        return -1;
    return s3_version_query(req, resp, &out->ver);
}

int s3_exec_put_bucket_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_acl_in_t *in,
                           s3_acl_out_t *out)
{
    (void)out;
    eng_bucket_t *b;
    bool store;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0 ||
        acl_put_allowed(ctx, resp, b, in->acl, &store) < 0)
        return -1;
    if (!store)
        return 0;
    return s3_bucket_written(
        resp, eng_bucket_set_doc(ctx->eng, in->bucket, ENG_BDOC_ACL, acl_enc(req->arena, in->acl)));
}

int s3_exec_put_object_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_acl_in_t *in,
                           s3_acl_out_t *out)
{
    (void)out;
    eng_bucket_t *b;
    eng_object_t *o;
    bool store;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0 ||
        s3_open_version(ctx, req, resp, b, in->key, &o, NULL) < 0 ||
        acl_put_allowed(ctx, resp, b, in->acl, &store) < 0)
        return -1;
    if (!store)
        return 0;
    int rc = eng_object_set_acl(ctx->eng, b->id, in->key, &in->ver, acl_enc(req->arena, in->acl));
    if (rc == KV_ENOTFOUND) {
        api_fail(resp,
                 in->ver.kind == ENG_VREF_CURRENT ? API_E_S3_NO_SUCH_KEY : API_E_S3_NO_SUCH_VERSION,
                 NULL);
        return -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    resp->durable = true;
    return 0;
}

void s3_encode_put_bucket_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              const s3_acl_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

void s3_encode_put_object_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              const s3_acl_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

/* ---- Get*Acl ---- */

static int acl_get_in(api_req_t *req, s3_acl_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->key = req->_st->key_name;
    return 0;
}

int s3_decode_get_bucket_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_acl_in_t *out)
{
    (void)ctx, (void)resp;
    return acl_get_in(req, out);
}

int s3_decode_get_object_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_acl_in_t *out)
{
    (void)ctx, (void)resp;
    return acl_get_in(req, out);
}

/* The stored ACL doc of b (or of its object) as it applies: NULL with ACLs disabled. */
static int acl_get(api_req_t *req, api_resp_t *resp, const eng_bucket_t *b, kv_slice_t enc,
                   s3_acl_out_t *out)
{
    out->acl = NULL;
    if (s3_ownership(b, NULL) == S3_OWN_ENFORCED)
        return 0;
    s3_acl_t *acl = kv_arena_alloc(req->arena, sizeof(*acl));
    if (s3_acl_decode(enc, acl) < 0) {
        api_fail(resp, API_E_S3_INTERNAL, NULL);
        return -1;
    }
    out->acl = acl;
    return 0;
}

int s3_exec_get_bucket_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_acl_in_t *in,
                           s3_acl_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    return acl_get(req, resp, b, b->docs[ENG_BDOC_ACL], out);
}

int s3_exec_get_object_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_acl_in_t *in,
                           s3_acl_out_t *out)
{
    eng_bucket_t *b;
    eng_object_t *o;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0 ||
        s3_open_version(ctx, req, resp, b, in->key, &o, NULL) < 0)
        return -1;
    return acl_get(req, resp, b, o->acl, out);
}

void s3_encode_get_bucket_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              const s3_acl_out_t *out)
{
    (void)req;
    s3_acl_render(ctx, resp, out->acl);
}

void s3_encode_get_object_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              const s3_acl_out_t *out)
{
    (void)req;
    s3_acl_render(ctx, resp, out->acl);
}

/* ---- OwnershipControls ---- */

int s3_decode_put_bucket_ownership(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   s3_own_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    if (s3_ownership_xml(req->arena, kv_buf_slice(&req->_st->body), &out->own) < 0) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    return 0;
}

int s3_decode_get_bucket_ownership(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   s3_own_in_t *out)
{
    (void)ctx, (void)resp;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    return 0;
}

int s3_decode_delete_bucket_ownership(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                      s3_own_in_t *out)
{
    return s3_decode_get_bucket_ownership(ctx, req, resp, out);
}

int s3_exec_put_bucket_ownership(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 const s3_own_in_t *in, s3_own_out_t *out)
{
    (void)out;
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    if (in->own == S3_OWN_ENFORCED && s3_ownership(b, NULL) != S3_OWN_ENFORCED) {
        /* ACLs cannot be disabled while the bucket's ACL grants beyond its owner. */
        s3_acl_t acl;
        bool others = s3_acl_decode(b->docs[ENG_BDOC_ACL], &acl) < 0;
        for (size_t i = 0; i < acl.n; i++)
            others |= acl.g[i].grantee != S3_ACLG_OWNER;
        if (others) {
            api_fail(resp, API_E_S3_ACL_OWNERSHIP, NULL);
            return -1;
        }
    }
    return s3_bucket_written(resp, eng_bucket_set_doc(ctx->eng, in->bucket, ENG_BDOC_OWNERSHIP,
                                                      kv_slice_str(s3_ownership_doc(in->own))));
}

int s3_exec_get_bucket_ownership(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 const s3_own_in_t *in, s3_own_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    bool set;
    out->own = s3_ownership(b, &set);
    if (!set) {
        api_fail(resp, API_E_S3_NO_OWNERSHIP, NULL);
        return -1;
    }
    return 0;
}

int s3_exec_delete_bucket_ownership(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_own_in_t *in, s3_own_out_t *out)
{
    (void)req, (void)out;
    return s3_bucket_written(resp, eng_bucket_set_doc(ctx->eng, in->bucket, ENG_BDOC_OWNERSHIP,
                                                      KV_SLICE_LIT(S3_OWNERSHIP_NONE)));
}

void s3_encode_put_bucket_ownership(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_own_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

void s3_encode_get_bucket_ownership(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_own_out_t *out)
{
    (void)ctx, (void)req;
    kv_buf_append_str(&resp->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    kv_buf_append_str(&resp->body, s3_ownership_doc(out->own));
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

void s3_encode_delete_bucket_ownership(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       const s3_own_out_t *out)
{
    (void)ctx, (void)req, (void)out;
    resp->status = 204;
}
