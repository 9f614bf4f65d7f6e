/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Object tags: the x-amz-tagging header on writes, Get/Put/DeleteObjectTagging, and the
 * x-amz-tagging-count header on reads. Tags live in the object's metadata record; changing
 * them rewrites that record and leaves the bytes (and Last-Modified) alone.
 */
#include <string.h>

#include "../auth/sigv4.h"
#include "s3_int.h"

/* UTF-8 characters in s (tag limits count characters, not bytes). */
static size_t utf8_chars(kv_slice_t s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++)
        n += (s.p[i] & 0xC0) != 0x80;
    return n;
}

static int check_tags(api_resp_t *resp, const eng_tag_t *tags, size_t n, size_t max)
{
    if (n > max) {
        if (max == S3_OBJ_TAGS_MAX)
            api_fail(resp, API_E_S3_BAD_REQUEST, "Object tags cannot be greater than 10");
        else
            api_fail(resp, API_E_S3_INVALID_TAG, "Bucket tag count cannot be greater than 50");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        kv_slice_t k = kv_slice_str(tags[i].key), v = kv_slice_str(tags[i].value);
        if (k.len == 0 || utf8_chars(k) > 128) {
            api_fail(resp, API_E_S3_INVALID_TAG, "The TagKey you have provided is invalid");
            return -1;
        }
        if (utf8_chars(v) > 256) {
            api_fail(resp, API_E_S3_INVALID_TAG, "The TagValue you have provided is invalid");
            return -1;
        }
        if (kv_slice_starts_with(k, "aws:")) {
            api_fail(resp, API_E_S3_INVALID_TAG, "Your TagKey cannot be prefixed with aws:");
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(tags[j].key, tags[i].key) == 0) {
                api_fail(resp, API_E_S3_INVALID_TAG,
                         "Cannot provide multiple Tags with the same key");
                return -1;
            }
    }
    return 0;
}

static int tags_from_doc(api_req_t *req, api_resp_t *resp, kv_slice_t doc, s3_tagging_in_t *out,
                         size_t max);

static const char *decoded(api_req_t *req, kv_slice_t raw)
{
    kv_slice_t v;
    return api_form_decode(req->arena, raw, &v) ? kv_arena_strndup(req->arena, v.p, v.len) : NULL;
}

int s3_tags_from_header(api_req_t *req, api_resp_t *resp, eng_tag_t **tags, size_t *n)
{
    *tags = NULL;
    *n = 0;
    kv_slice_t h = api_req_header(req, "x-amz-tagging");
    if (h.len == 0)
        return 0;
    size_t cap = 1;
    for (size_t i = 0; i < h.len; i++)
        cap += h.p[i] == '&';
    if (cap > S3_OBJ_TAGS_MAX) {
        api_fail(resp, API_E_S3_BAD_REQUEST, "Object tags cannot be greater than 10");
        return -1;
    }
    *tags = kv_arena_calloc(req->arena, cap, sizeof(**tags));
    kv_slice_t q = h, k, v;
    while (sigv4_query_next(&q, &k, &v, NULL)) {
        const char *dk = decoded(req, k), *dv = decoded(req, v);
        if (dk == NULL || dv == NULL || *n == cap) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "The header 'x-amz-tagging' shall be "
                     "encoded as UTF-8 then URLEncoded URL query "
                     "parameters without tag name duplicates.");
            return -1;
        }
        (*tags)[*n].key = dk;
        (*tags)[(*n)++].value = dv;
    }
    return check_tags(resp, *tags, *n, S3_OBJ_TAGS_MAX);
}

static int tagging_in(api_req_t *req, api_resp_t *resp, s3_tagging_in_t *out)
{
    memset(out, 0, sizeof(*out));
    if (s3_object_ref(req, resp, &out->bucket, &out->key) < 0)
        return -1;
    return 0;
}

int s3_decode_get_object_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 s3_tagging_in_t *out)
{
    (void)ctx;
    return tagging_in(req, resp, out);
}

int s3_decode_delete_object_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    s3_tagging_in_t *out)
{
    (void)ctx;
    return tagging_in(req, resp, out);
}

static int tags_from_xml(api_req_t *req, api_resp_t *resp, s3_tagging_in_t *out, size_t max)
{
    return tags_from_doc(req, resp, kv_buf_slice(&req->_st->body), out, max);
}

/* issue 16, package R: POST Object's tagging field */
int s3_tags_from_xml(api_req_t *req, api_resp_t *resp, kv_slice_t doc, eng_tag_t **tags, size_t *n)
{
    s3_tagging_in_t t = {0};
    int rc = tags_from_doc(req, resp, doc, &t, S3_OBJ_TAGS_MAX);
    *tags = t.tags;
    *n = t.n_tags;
    return rc;
}

static int tags_from_doc(api_req_t *req, api_resp_t *resp, kv_slice_t doc, s3_tagging_in_t *out,
                         size_t max)
{
    api_xnode_t *root, *set;
    if (api_xml_parse(req->arena, doc, &root) < 0 || strcmp(root->name, "Tagging") != 0 ||
        (set = api_xml_child(root, "TagSet")) == NULL) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    size_t n = 0;
    for (api_xnode_t *t = set->child; t; t = t->next)
        n += strcmp(t->name, "Tag") == 0;
    if (n > max)
        return check_tags(resp, NULL, n, max); /* refused before allocating */
    out->tags = kv_arena_calloc(req->arena, n ? n : 1, sizeof(*out->tags));
    for (api_xnode_t *t = set->child; t; t = t->next) {
        if (strcmp(t->name, "Tag") != 0)
            continue;
        api_xnode_t *k = api_xml_child(t, "Key"), *v = api_xml_child(t, "Value");
        if (k == NULL || v == NULL) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
        out->tags[out->n_tags].key = kv_arena_strndup(req->arena, k->text.p, k->text.len);
        out->tags[out->n_tags++].value = kv_arena_strndup(req->arena, v->text.p, v->text.len);
    }
    return check_tags(resp, out->tags, out->n_tags, max);
}

int s3_decode_put_object_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 s3_tagging_in_t *out)
{
    (void)ctx;
    if (tagging_in(req, resp, out) < 0)
        return -1;
    return tags_from_xml(req, resp, out, S3_OBJ_TAGS_MAX);
}

/* Read the version, optionally replace its tags (keeping its bytes and Last-Modified). */
static int tagging_exec(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_tagging_in_t *in,
                        s3_tagging_out_t *out, bool write)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0 ||
        s3_open_version(ctx, req, resp, b, in->key, &out->o, NULL) < 0)
        return -1;
    if (!write)
        return 0;
    eng_vref_t ref = {.kind = ENG_VREF_ID, .id = out->o->version};
    if (out->o->null_version)
        ref.kind = ENG_VREF_NULL;
    int rc = eng_object_set_tags(ctx->eng, b->id, in->key, &ref, in->tags, in->n_tags);
    if (rc == KV_ENOTFOUND) { /* removed since it was read */
        api_fail(resp, API_E_S3_NO_SUCH_KEY, NULL);
        return -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    resp->durable = true;
    return 0;
}

int s3_exec_get_object_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_tagging_in_t *in, s3_tagging_out_t *out)
{
    return tagging_exec(ctx, req, resp, in, out, false);
}

int s3_exec_put_object_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_tagging_in_t *in, s3_tagging_out_t *out)
{
    return tagging_exec(ctx, req, resp, in, out, true);
}

int s3_exec_delete_object_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_tagging_in_t *in, s3_tagging_out_t *out)
{
    return tagging_exec(ctx, req, resp, in, out, true); /* in has no tags */
}

void s3_encode_get_object_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_tagging_out_t *out)
{
    (void)ctx, (void)req;
    s3_xml_tagging(resp, out->o->tags, out->o->n_tags);
}

void s3_encode_put_object_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_tagging_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

void s3_encode_delete_object_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_tagging_out_t *out)
{
    (void)ctx, (void)req, (void)out;
    resp->status = 204;
}

/* ---- bucket tagging ---- */

int s3_decode_get_bucket_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 s3_tagging_in_t *out)
{
    (void)ctx;
    return tagging_in(req, resp, out);
}

int s3_decode_delete_bucket_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    s3_tagging_in_t *out)
{
    (void)ctx;
    return tagging_in(req, resp, out);
}

int s3_decode_put_bucket_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 s3_tagging_in_t *out)
{
    (void)ctx;
    if (tagging_in(req, resp, out) < 0)
        return -1;
    return tags_from_xml(req, resp, out, S3_BUCKET_TAGS_MAX);
}

static int bucket_tags_set(api_ctx_t *ctx, api_resp_t *resp, const s3_tagging_in_t *in, bool set)
{
    int rc = eng_bucket_set_tags(ctx->eng, in->bucket, set, in->tags, in->n_tags);
    return s3_bucket_written(resp, rc);
}

int s3_exec_get_bucket_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_tagging_in_t *in, s3_tagging_out_t *out)
{
    int rc = eng_bucket_get(ctx->eng, in->bucket, req->arena, &out->b);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_S3_NO_SUCH_BUCKET, NULL);
        return -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    if (!out->b->has_tags) {
        api_fail(resp, API_E_S3_NO_SUCH_TAG_SET, NULL);
        return -1;
    }
    return 0;
}

int s3_exec_put_bucket_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_tagging_in_t *in, s3_tagging_out_t *out)
{
    (void)req, (void)out;
    return bucket_tags_set(ctx, resp, in, true);
}

int s3_exec_delete_bucket_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_tagging_in_t *in, s3_tagging_out_t *out)
{
    (void)req, (void)out;
    return bucket_tags_set(ctx, resp, in, false);
}

void s3_encode_get_bucket_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_tagging_out_t *out)
{
    (void)ctx, (void)req;
    s3_xml_tagging(resp, out->b->tags, out->b->n_tags);
}

void s3_encode_put_bucket_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_tagging_out_t *out)
{
    (void)ctx, (void)req, (void)out;
    resp->status = 204;
}

void s3_encode_delete_bucket_tagging(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_tagging_out_t *out)
{
    (void)ctx, (void)req, (void)out;
    resp->status = 204;
}
