/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block Public Access (issue 15, package S): a bucket's PublicAccessBlockConfiguration (stored
 * in its record, ENG_BDOC_PAB; a new bucket gets all four settings on, as S3 gives them since
 * 2023), the account's (S3 Control's /v20180820/configuration/publicAccessBlock, stored under
 * the engine's account settings and cached here), the settings in effect for a bucket
 * (s3_pab_effective, also what ACLs apply), and GetBucketPolicyStatus.
 */
#include <stdio.h>
#include <string.h>

#include "s3_authz.h"
#include "s3_int.h"

#define S3_PAB_LOADED  0x10u
#define S3_PAB_SETTING "s3-pab"

static const char *const names[4] = {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                     "RestrictPublicBuckets"};

const char s3_pab_default_xml[] =
    "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>"
    "<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true"
    "</RestrictPublicBuckets></PublicAccessBlockConfiguration>";

static bool *field(s3_pab_t *p, int i)
{
    switch (i) {
    case 0:
        return &p->block_public_acls;
    case 1:
        return &p->ignore_public_acls;
    case 2:
        return &p->block_public_policy;
    default:
        return &p->restrict_public_buckets;
    }
}

static unsigned pab_bits(s3_pab_t p)
{
    unsigned b = 0;
    for (int i = 0; i < 4; i++)
        b |= *field(&p, i) ? 1u << i : 0;
    return b;
}

static s3_pab_t pab_from_bits(unsigned b)
{
    s3_pab_t p = {0};
    for (int i = 0; i < 4; i++)
        *field(&p, i) = (b >> i) & 1u;
    return p;
}

int s3_pab_parse(kv_arena_t *a, kv_slice_t xml, s3_pab_t *out)
{
    memset(out, 0, sizeof(*out));
    api_xnode_t *root;
    if (api_xml_parse(a, xml, &root) < 0 || strcmp(root->name, "PublicAccessBlockConfiguration"))
        return -1;
    for (api_xnode_t *c = root->child; c; c = c->next) {
        int i = 0;
        while (i < 4 && strcmp(c->name, names[i]) != 0)
            i++;
        if (i == 4)
            return -1;
        kv_slice_t v = kv_slice_trim(c->text);
        if (kv_slice_eq_nocase(v, "true"))
            *field(out, i) = true;
        else if (!kv_slice_eq_nocase(v, "false"))
            return -1;
    }
    return 0;
}

/* The canonical document of p (what is stored, and answered on Get). */
static void pab_xml(kv_buf_t *b, s3_pab_t p, bool ns)
{
    api_xw_t w;
    api_xw_begin(&w, b, "PublicAccessBlockConfiguration", ns);
    for (int i = 0; i < 4; i++)
        api_xw_elem_str(&w, names[i], *field(&p, i) ? "true" : "false");
    api_xw_close(&w, "PublicAccessBlockConfiguration");
}

/* A stored document's settings: only this file writes them, so a setting is on exactly when
 * its element holds "true" (read without an arena: A's ACL checks call this too). */
static s3_pab_t pab_stored(kv_slice_t doc)
{
    static const char *const on[4] = {"<BlockPublicAcls>true</", "<IgnorePublicAcls>true</",
                                      "<BlockPublicPolicy>true</", "<RestrictPublicBuckets>true</"};
    s3_pab_t p = {0};
    for (int i = 0; i < 4; i++)
        *field(&p, i) = doc.len && memmem(doc.p, doc.len, on[i], strlen(on[i])) != NULL;
    return p;
}

static unsigned account_bits(api_ctx_t *ctx)
{
    s3_state_t *s = s3_state(ctx);
    unsigned v = atomic_load_explicit(&s->acct_pab, memory_order_acquire);
    if (v & S3_PAB_LOADED)
        return v & 0xfu;
    kv_arena_t *a = kv_arena_new(1024);
    kv_slice_t doc;
    int rc = eng_account_get(ctx->eng, KV_SLICE_LIT(S3_PAB_SETTING), a, &doc);
    unsigned bits = rc == 0 ? pab_bits(pab_stored(doc)) : 0;
    kv_arena_free(a);
    if (rc == 0 || rc == KV_ENOTFOUND)
        atomic_store_explicit(&s->acct_pab, bits | S3_PAB_LOADED, memory_order_release);
    else
        bits = 0xfu; /* unreadable: block everything public (fail closed) */
    return bits;
}

void s3_pab_effective(api_ctx_t *ctx, const eng_bucket_t *b, s3_pab_t *out)
{
    unsigned bits = account_bits(ctx);
    if (b && b->docs[ENG_BDOC_PAB].len)
        bits |= pab_bits(pab_stored(b->docs[ENG_BDOC_PAB]));
    *out = pab_from_bits(bits);
}

/* ---- decoding ---- */

static int pab_body(api_req_t *req, api_resp_t *resp, s3_pab_t *out)
{
    if (s3_pab_parse(req->arena, kv_buf_slice(&req->_st->body), out) < 0) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    return 0;
}

/* S3 Control names the account in x-amz-account-id: only this one's exists here. */
static int account_in(api_req_t *req, api_resp_t *resp)
{
    kv_slice_t id = kv_slice_trim(api_req_header(req, "x-amz-account-id"));
    if (!kv_slice_eq_str(id, API_ACCOUNT_ID)) {
        api_fail(resp, API_E_S3_ACCESS_DENIED, NULL);
        return -1;
    }
    return 0;
}

int s3_decode_put_public_access_block(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                      s3_pab_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    return pab_body(req, resp, &out->pab);
}

int s3_decode_put_account_pab(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_pab_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    return account_in(req, resp) < 0 ? -1 : pab_body(req, resp, &out->pab);
}

#define BUCKET_DECODE(name)                                                                  \
    int s3_decode_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_pab_in_t *out) \
    {                                                                                        \
        (void)ctx, (void)resp;                                                               \
        memset(out, 0, sizeof(*out));                                                        \
        out->bucket = req->_st->bucket;                                                      \
        return 0;                                                                            \
    }
BUCKET_DECODE(get_bucket_policy_status)
BUCKET_DECODE(get_public_access_block)
BUCKET_DECODE(delete_public_access_block)
#undef BUCKET_DECODE

#define ACCOUNT_DECODE(name)                                                                 \
    int s3_decode_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_pab_in_t *out) \
    {                                                                                        \
        (void)ctx;                                                                           \
        memset(out, 0, sizeof(*out));                                                        \
        return account_in(req, resp);                                                        \
    }
ACCOUNT_DECODE(get_account_pab)
ACCOUNT_DECODE(delete_account_pab)
#undef ACCOUNT_DECODE

/* ---- execution ---- */

int s3_exec_get_bucket_policy_status(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_pab_in_t *in, s3_pab_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    if (b->docs[ENG_BDOC_POLICY].len == 0) {
        api_fail(resp, API_E_S3_NO_SUCH_POLICY, NULL);
        return -1;
    }
    out->is_public = s3_policy_public(req, b->docs[ENG_BDOC_POLICY]);
    return 0;
}

int s3_exec_put_public_access_block(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_pab_in_t *in, s3_pab_out_t *out)
{
    (void)out;
    kv_buf_t x;
    kv_buf_init(&x, 1024);
    pab_xml(&x, in->pab, true);
    kv_slice_t doc = kv_arena_dup(req->arena, kv_buf_slice(&x));
    kv_buf_dispose(&x);
    return s3_bucket_written(resp, eng_bucket_set_doc(ctx->eng, in->bucket, ENG_BDOC_PAB, doc));
}

int s3_exec_get_public_access_block(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_pab_in_t *in, s3_pab_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    if (b->docs[ENG_BDOC_PAB].len == 0) {
        api_fail(resp, API_E_S3_NO_SUCH_PAB, NULL);
        return -1;
    }
    out->pab = pab_stored(b->docs[ENG_BDOC_PAB]);
    return 0;
}

int s3_exec_delete_public_access_block(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       const s3_pab_in_t *in, s3_pab_out_t *out)
{
    (void)req, (void)out;
    return s3_bucket_written(resp,
                             eng_bucket_set_doc(ctx->eng, in->bucket, ENG_BDOC_PAB, KV_SLICE_NULL));
}

static int account_written(api_ctx_t *ctx, api_resp_t *resp, int rc, s3_pab_t now)
{
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    atomic_store_explicit(&s3_state(ctx)->acct_pab, pab_bits(now) | S3_PAB_LOADED,
                          memory_order_release);
    resp->durable = true;
    return 0;
}

int s3_exec_put_account_pab(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_pab_in_t *in,
                            s3_pab_out_t *out)
{
    (void)req, (void)out;
    kv_buf_t x;
    kv_buf_init(&x, 1024);
    pab_xml(&x, in->pab, false);
    int rc = eng_account_put(ctx->eng, KV_SLICE_LIT(S3_PAB_SETTING), kv_buf_slice(&x));
    kv_buf_dispose(&x);
    return account_written(ctx, resp, rc, in->pab);
}

int s3_exec_get_account_pab(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_pab_in_t *in,
                            s3_pab_out_t *out)
{
    (void)in;
    kv_slice_t doc;
    int rc = eng_account_get(ctx->eng, KV_SLICE_LIT(S3_PAB_SETTING), req->arena, &doc);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_S3_NO_SUCH_PAB, NULL);
        return -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    out->pab = pab_stored(doc);
    return 0;
}

int s3_exec_delete_account_pab(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_pab_in_t *in, s3_pab_out_t *out)
{
    (void)req, (void)in, (void)out;
    s3_pab_t none = {0};
    return account_written(ctx, resp, eng_account_delete(ctx->eng, KV_SLICE_LIT(S3_PAB_SETTING)),
                           none);
}

/* ---- encoding ---- */

void s3_encode_get_bucket_policy_status(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                        const s3_pab_out_t *out)
{
    (void)ctx, (void)req;
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "PolicyStatus", true);
    api_xw_elem_str(&w, "IsPublic", out->is_public ? "true" : "false");
    api_xw_close(&w, "PolicyStatus");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

static void encode_pab(api_resp_t *resp, const s3_pab_out_t *out, bool ns)
{
    pab_xml(&resp->body, out->pab, ns);
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

void s3_encode_get_public_access_block(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       const s3_pab_out_t *out)
{
    (void)ctx, (void)req;
    encode_pab(resp, out, true);
}

void s3_encode_get_account_pab(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_pab_out_t *out)
{
    (void)ctx, (void)req;
    encode_pab(resp, out, false);
}

void s3_encode_put_public_access_block(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       const s3_pab_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

void s3_encode_delete_public_access_block(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                          const s3_pab_out_t *out)
{
    (void)ctx, (void)req, (void)out;
    resp->status = 204;
}

void s3_encode_put_account_pab(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_pab_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

void s3_encode_delete_account_pab(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_pab_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}
