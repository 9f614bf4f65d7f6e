/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 objects: PutObject (the body streams into the blob store as it arrives),
 * GetObject and HeadObject (Range, RFC 7232 conditional headers, response-*
 * overrides; the body is pulled chunk by chunk from a snapshot), DeleteObject,
 * and ListObjects v1/v2 from a bounded iterator. Decode, execute and encode
 * stages per operation, as elsewhere.
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_aead.h"
#include "base/kv_b64.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "s3_authz.h"
#include "s3_int.h"

int s3_engine_fail(api_resp_t *resp, int rc)
{
    KV_LOG_ERROR("s3: engine error %s", kv_err_name(rc));
    api_fail(resp, API_E_S3_INTERNAL, NULL);
    return -1;
}

int s3_bucket_id(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name, uint32_t *id)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, name, &b) < 0)
        return -1;
    *id = b->id;
    return 0;
}

/* ---- PutObject ---- */

int s3_object_ref(api_req_t *req, api_resp_t *resp, kv_slice_t *bucket, kv_slice_t *key)
{
    *bucket = req->_st->bucket;
    *key = req->_st->key_name;
    if (key->len > ENG_OBJ_KEY_MAX) {
        api_fail(resp, API_E_S3_KEY_TOO_LONG, NULL);
        return -1;
    }
    return 0;
}

int s3_begin_body(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    kv_slice_t b, k;
    if (s3_object_ref(req, resp, &b, &k) < 0)
        return API_RESPOND;
    eng_bucket_t *bk;
    if (s3_bucket_find(ctx, req, resp, st->bucket, &bk) < 0)
        return API_RESPOND;
    st->bucket_id = bk->id;
    st->versioning = bk->versioning;
    st->log_id = bk->log_id;
    if (st->op == S3_OP_upload_part && s3_upload_part_begin(ctx, req, resp) < 0)
        return API_RESPOND;
    /* issue 15, package A: the new object's ACL, refused before its bytes are read */
    if (st->op == S3_OP_put_object && s3_acl_for_object(ctx, req, resp, bk, &st->s3_acl) < 0)
        return API_RESPOND;
    /* issue 16, package L: the new version's Object Lock, refused before its bytes are read */
    if (st->op == S3_OP_put_object && s3_lock_put_begin(req, resp, bk) < 0)
        return API_RESPOND;
    st->blob = eng_blob_writer_new(ctx->eng);
    if (s3_sse_begin_body(ctx, req, resp, bk) < 0) /* issue 16, package E: the writer's key */
        return API_RESPOND;
    api_ck_init(&st->etag_md5, API_CK_MD5);
    st->etag_on = true;
    return 0;
}

int s3_decode_put_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_put_object_in_t *out)
{
    (void)ctx, (void)resp;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->key = req->_st->key_name;
    return 0;
}

static const char *hdr(api_req_t *req, const char *name)
{
    kv_slice_t v = api_req_header(req, name);
    return v.len ? kv_arena_strndup(req->arena, v.p, v.len) : NULL;
}

/* Content-Encoding without the transport token aws-chunked. */
static const char *content_encoding(api_req_t *req)
{
    return s3_content_encoding_in(req->arena, api_req_header(req, "content-encoding"));
}

int s3_write_cond(api_req_t *req, api_resp_t *resp, eng_obj_cond_t *cond)
{
    /* Conditional writes: If-None-Match takes only "*"; If-Match takes one ETag. */
    memset(cond, 0, sizeof(*cond));
    kv_slice_t inm = kv_slice_trim(api_req_header(req, "if-none-match"));
    if (inm.len) {
        if (!kv_slice_eq_str(inm, "*")) {
            api_fail(resp, API_E_S3_NOT_IMPLEMENTED, "If-None-Match on a write accepts only *");
            return -1;
        }
        cond->if_absent = true;
    }
    kv_slice_t im = kv_slice_trim(api_req_header(req, "if-match"));
    if (im.len >= 2 && im.p[0] == '"' && im.p[im.len - 1] == '"')
        im = kv_slice(im.p + 1, im.len - 2);
    if (im.len)
        cond->if_match = kv_arena_strndup(req->arena, im.p, im.len);
    return 0;
}

int s3_write_cond_fail(api_resp_t *resp, int rc)
{
    if (rc == KV_ECONDFAIL)
        api_fail(resp, API_E_S3_PRECONDITION, NULL);
    else if (rc == KV_ELOCKED) /* issue 16, package L: a version Object Lock keeps */
        api_fail(resp, API_E_S3_LOCK_PROTECTED, NULL);
    else if (rc == KV_ENOTFOUND)
        api_fail(resp, API_E_S3_NO_SUCH_KEY, NULL);
    else
        return s3_engine_fail(resp, rc);
    return -1;
}

int s3_object_headers_in(api_req_t *req, api_resp_t *resp, eng_object_t *o)
{
    o->content_type = hdr(req, "content-type");
    o->content_encoding = content_encoding(req);
    o->content_disposition = hdr(req, "content-disposition");
    o->content_language = hdr(req, "content-language");
    o->cache_control = hdr(req, "cache-control");
    o->expires = hdr(req, "expires");
    o->storage_class = hdr(req, "x-amz-storage-class");
    /* issue 16, package W */
    if (s3_website_redirect_in(req, resp, api_req_header(req, "x-amz-website-redirect-location"),
                               &o->website_redirect) < 0)
        return -1;
    if (o->storage_class) {
        static const char *const classes[] = {
            "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
            "GLACIER",  "DEEP_ARCHIVE",       "GLACIER_IR",  "OUTPOSTS",   "EXPRESS_ONEZONE",
            NULL};
        bool ok = false;
        for (size_t i = 0; classes[i]; i++)
            ok |= strcmp(o->storage_class, classes[i]) == 0;
        if (!ok) {
            api_fail(resp, API_E_S3_INVALID_STORAGE_CLASS, NULL);
            return -1;
        }
    }
    size_t meta_bytes = 0;
    o->meta = kv_arena_calloc(req->arena, req->n_hdrs + 1, sizeof(*o->meta));
    for (size_t i = 0; i < req->n_hdrs; i++) {
        kv_slice_t n = req->hdrs[i].name;
        if (n.len <= 11 || !kv_slice_eq_nocase(kv_slice(n.p, 11), "x-amz-meta-"))
            continue;
        char *name = kv_arena_strndup(req->arena, n.p + 11, n.len - 11);
        for (char *c = name; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c + 32); /* metadata names come back lowercase */
        o->meta[o->n_meta].key = name;
        o->meta[o->n_meta].value =
            kv_arena_strndup(req->arena, req->hdrs[i].value.p, req->hdrs[i].value.len);
        meta_bytes += n.len - 11 + req->hdrs[i].value.len;
        o->n_meta++;
    }
    if (meta_bytes > ENG_OBJ_META_MAX) {
        api_fail(resp, API_E_S3_METADATA_TOO_LARGE, NULL);
        return -1;
    }
    return s3_tags_from_header(req, resp, &o->tags, &o->n_tags);
}

int s3_body_digests(api_req_t *req, eng_object_t *o)
{
    api_state_t *st = req->_st;
    /* The checksum the client sent (header or trailer), already verified. */
    if (st->ck_algo) {
        o->checksum_algo = api_ck_name(st->ck_algo);
        o->checksum_value = kv_arena_strndup(req->arena, st->ck_want.p, st->ck_want.len);
    } else if (st->chunked && sigv4_chunked_trailer_value(st->chunked)) {
        o->checksum_algo = api_ck_name(st->chunked->trailer_algo);
        o->checksum_value =
            kv_arena_printf(req->arena, "%s", sigv4_chunked_trailer_value(st->chunked));
    }
    uint8_t md5[API_CK_MAX];
    api_ck_final(&st->etag_md5, md5);
    kv_buf_t etag;
    kv_buf_init(&etag, 64);
    kv_buf_append_hex(&etag, md5, 16);
    o->etag = kv_arena_strndup(req->arena, etag.p, etag.len);
    kv_buf_dispose(&etag);
    if (st->s3_etag_keyed) /* issue 16: SSE-C and SSE-KMS bodies have opaque ETags */
        o->etag = s3_sse_etag(req->arena, st->s3_etag_key, o->etag);
    o->mtime_ms = kv_now_ms();
    return 0;
}

int s3_exec_put_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                       const s3_put_object_in_t *in, s3_put_object_out_t *out)
{
    api_state_t *st = req->_st;
    eng_obj_cond_t cond;
    eng_object_t *o = kv_arena_calloc(req->arena, 1, sizeof(*o));
    o->key = in->key;
    if (s3_write_cond(req, resp, &cond) < 0 || s3_object_headers_in(req, resp, o) < 0)
        return -1;
    s3_body_digests(req, o);
    cond.versioning = st->versioning;
    o->log_id = st->log_id;
    o->event = "ObjectCreated:Put";
    o->acl = st->s3_acl;       /* issue 15, package A */
    s3_lock_put_apply(req, o); /* issue 16, package L */
    if (st->s3_sse)
        s3_sse_fields(o, st->s3_sse); /* issue 16, package E */
    int rc = eng_object_put_blob(ctx->eng, st->bucket_id, o, &cond, st->blob);
    st->blob = NULL;
    if (rc < 0)
        return s3_write_cond_fail(resp, rc);
    resp->durable = true;
    out->o = o;
    out->versioning = st->versioning;
    return 0;
}

void s3_checksum_header(api_resp_t *resp, const eng_object_t *o)
{
    if (o->checksum_algo == NULL)
        return;
    char name[40];
    snprintf(name, sizeof(name), "x-amz-checksum-%s", o->checksum_algo);
    for (char *c = name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    /* Response header names must outlive this call: keep them in the arena. */
    char *n = kv_arena_strndup(resp->_arena, name, strlen(name));
    api_resp_header(resp, n, kv_slice_str(o->checksum_value));
}

void s3_encode_put_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const s3_put_object_out_t *out)
{
    (void)ctx, (void)req;
    api_resp_headerf(resp, "ETag", "\"%s\"", out->o->etag);
    s3_checksum_header(resp, out->o);
    s3_sse_headers(resp, out->o); /* issue 16, package E */
    if (out->o->checksum_algo)    /* issue 16: one PUT's checksum covers the whole object */
        api_resp_header(resp, "x-amz-checksum-type", KV_SLICE_LIT("FULL_OBJECT"));
    s3_version_header(resp, out->versioning, out->o->null_version, out->o->version);
}

/* ---- GetObject / HeadObject ---- */

/* Parse "bytes=a-b", "bytes=a-" or "bytes=-n"; anything else is ignored, as S3 does. */
static void parse_range(kv_slice_t v, s3_object_in_t *in)
{
    if (!kv_slice_starts_with(v, "bytes="))
        return;
    kv_slice_t r = kv_slice(v.p + 6, v.len - 6);
    const uint8_t *dash = memchr(r.p, '-', r.len);
    if (dash == NULL || memchr(r.p, ',', r.len))
        return;
    kv_slice_t a = kv_slice(r.p, (size_t)(dash - r.p));
    kv_slice_t b = kv_slice(dash + 1, r.len - a.len - 1);
    uint64_t x = 0, y = 0;
    if (a.len == 0) {
        if (!kv_slice_to_u64(b, &y))
            return;
        in->suffix = true;
        in->range_hi = y;
    } else {
        if (!kv_slice_to_u64(a, &x) || (b.len && (!kv_slice_to_u64(b, &y) || y < x)))
            return;
        in->range_lo = x;
        in->range_hi = y;
        in->open_end = b.len == 0;
    }
    in->has_range = true;
}

static int decode_get(api_req_t *req, api_resp_t *resp, s3_object_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->key = req->_st->key_name;
    kv_slice_t r = api_req_header(req, "range"), v;
    if (r.len)
        parse_range(kv_slice_trim(r), out);
    if (api_req_query(req, "partNumber", &v)) {
        uint64_t n;
        if (!kv_slice_to_u64(v, &n) || n < 1 || n > ENG_MPU_MAX_PARTS) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "Part number must be an integer between 1 and 10000, inclusive");
            s3_ck_part_extra(req, "ArgumentName", KV_SLICE_LIT("partNumber"), "ArgumentValue", v);
            return -1;
        }
        if (r.len) {
            api_fail(resp, API_E_S3_INVALID_REQUEST,
                     "Cannot specify both Range header and partNumber query parameter");
            return -1;
        }
        out->part = (uint32_t)n;
    }
    return 0;
}

int s3_decode_get_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_get_object_in_t *out)
{
    (void)ctx;
    return decode_get(req, resp, out);
}

int s3_decode_head_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          s3_head_object_in_t *out)
{
    (void)ctx;
    return decode_get(req, resp, out);
}

/* Does an If-Match / If-None-Match list name this ETag ("*" names any)? */
static bool etag_listed(kv_slice_t list, const char *etag)
{
    size_t el = strlen(etag);
    while (list.len) {
        const uint8_t *c = memchr(list.p, ',', list.len);
        kv_slice_t tok = kv_slice_trim(kv_slice(list.p, c ? (size_t)(c - list.p) : list.len));
        list = c ? kv_slice(c + 1, list.len - (size_t)(c - list.p) - 1) : KV_SLICE_NULL;
        if (kv_slice_starts_with(tok, "W/"))
            tok = kv_slice(tok.p + 2, tok.len - 2);
        if (tok.len >= 2 && tok.p[0] == '"' && tok.p[tok.len - 1] == '"')
            tok = kv_slice(tok.p + 1, tok.len - 2);
        if (kv_slice_eq_str(tok, "*") || (tok.len == el && memcmp(tok.p, etag, el) == 0))
            return true;
    }
    return false;
}

/* RFC 7232 section 6 order: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since. */
static int conditions(api_req_t *req, api_resp_t *resp, const eng_object_t *o, bool copy)
{
    time_t mtime = (time_t)(o->mtime_ms / 1000), t;
    kv_slice_t im = api_req_header(req, copy ? "x-amz-copy-source-if-match" : "if-match");
    kv_slice_t ius =
        api_req_header(req, copy ? "x-amz-copy-source-if-unmodified-since" : "if-unmodified-since");
    kv_slice_t inm =
        api_req_header(req, copy ? "x-amz-copy-source-if-none-match" : "if-none-match");
    kv_slice_t ims =
        api_req_header(req, copy ? "x-amz-copy-source-if-modified-since" : "if-modified-since");
    /* A copy answers every failed condition with 412; a read says 304 for the "none" ones. */
    int not_modified = copy ? API_E_S3_PRECONDITION : API_E_S3_NOT_MODIFIED;
    if (im.len && !etag_listed(im, o->etag)) {
        api_fail(resp, API_E_S3_PRECONDITION, NULL);
        return -1;
    }
    if (!im.len && ius.len && kv_time_parse_http(kv_slice_trim(ius), &t) && mtime > t) {
        api_fail(resp, API_E_S3_PRECONDITION, NULL);
        return -1;
    }
    if (inm.len && etag_listed(inm, o->etag)) {
        api_fail(resp, not_modified, NULL);
        return -1;
    }
    if (!inm.len && ims.len && kv_time_parse_http(kv_slice_trim(ims), &t) && mtime <= t) {
        api_fail(resp, not_modified, NULL);
        return -1;
    }
    return 0;
}

static int preconditions(api_req_t *req, api_resp_t *resp, const eng_object_t *o)
{
    return conditions(req, resp, o, false);
}

/* The response-* query parameters and the headers they override. */
static const struct {
    const char *param, *header;
    size_t off;
} over[] = {
    {"response-content-type", "Content-Type", offsetof(eng_object_t, content_type)},
    {"response-content-encoding", "Content-Encoding", offsetof(eng_object_t, content_encoding)},
    {"response-content-disposition", "Content-Disposition",
     offsetof(eng_object_t, content_disposition)},
    {"response-content-language", "Content-Language", offsetof(eng_object_t, content_language)},
    {"response-cache-control", "Cache-Control", offsetof(eng_object_t, cache_control)},
    {"response-expires", "Expires", offsetof(eng_object_t, expires)},
};

/* response-* parameters as S3 takes them: only in signed requests (an anonymous GET's are
 * refused), and (decoded from the query) never holding a control character, which would
 * split the answer's headers. The website endpoint ignores them. @return 0 or -1. */
static int overrides_ok(api_req_t *req, api_resp_t *resp)
{
    if (req->_st->op == S3_OP_website_get)
        return 0;
    for (size_t i = 0; i < sizeof(over) / sizeof(*over); i++) {
        kv_slice_t v;
        if (!api_req_query(req, over[i].param, &v))
            continue;
        if (req->_st->principal.kind == API_PR_ANON) {
            api_fail(resp, API_E_S3_INVALID_REQUEST,
                     "Request specific response headers cannot be used for anonymous GET "
                     "requests.");
            return -1;
        }
        for (size_t j = 0; j < v.len; j++)
            if ((v.p[j] < 0x20 && v.p[j] != '\t') || v.p[j] == 0x7f) {
                api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Invalid value for %s", over[i].param);
                return -1;
            }
    }
    return 0;
}

static int exec_get(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_object_in_t *in,
                    s3_object_out_t *out, bool body)
{
    if (overrides_ok(req, resp) < 0)
        return -1;
    eng_bucket_t *b;
    if (s3_bucket_find_read(ctx, req, resp, in->bucket, &b) < 0 ||
        s3_open_version(ctx, req, resp, b, in->key, &out->o, body ? &out->reader : NULL) < 0)
        return -1;
    /* issue 16, package E: the object's key (SSE-C: the request's, checked) */
    if (s3_sse_read(ctx, req, resp, in->bucket, out->o, out->reader, false) < 0 ||
        preconditions(req, resp, out->o) < 0) {
        eng_object_close(out->reader);
        out->reader = NULL;
        return -1;
    }
    uint64_t size = out->o->size;
    out->off = 0;
    out->len = size;
    if (in->part) {
        /* A part of a multipart object; a single-PUT object is one part. */
        const eng_object_t *o = out->o;
        uint64_t off = 0;
        size_t i = 0;
        while (i < o->n_segs && o->segs[i].part != in->part)
            off += o->segs[i++].size;
        bool found = o->n_segs ? i < o->n_segs : in->part == 1;
        if (!found) {
            eng_object_close(out->reader);
            out->reader = NULL;
            api_fail(resp, API_E_S3_INVALID_PART_NUMBER, NULL);
            char cnt[24], num[24]; /* issue 16: as S3 details it */
            snprintf(cnt, sizeof(cnt), "%zu", o->n_segs ? o->n_segs : 1);
            snprintf(num, sizeof(num), "%u", (unsigned)in->part);
            s3_ck_part_extra(req, "ActualPartCount", kv_slice_str(cnt), "PartNumberRequested",
                             kv_slice_str(num));
            return -1;
        }
        out->part_checksum = o->n_segs ? o->segs[i].checksum : o->checksum_value;
        if (o->n_segs) {
            out->off = off;
            out->len = o->segs[i].size;
        }
        out->partial = out->len > 0; /* an empty object has no byte range to name */
        out->parts_count = o->n_segs ? o->n_segs : 1;
        return 0;
    }
    if (in->has_range) {
        uint64_t lo = in->range_lo, hi = in->range_hi;
        if (in->suffix) {
            lo = in->range_hi >= size ? 0 : size - in->range_hi;
            hi = size ? size - 1 : 0;
        } else if (in->open_end || hi >= size) {
            hi = size ? size - 1 : 0;
        }
        if (size == 0 || lo >= size || (in->suffix && in->range_hi == 0)) {
            eng_object_close(out->reader);
            out->reader = NULL;
            api_fail(resp, API_E_S3_INVALID_RANGE, NULL);
            kv_buf_t x;
            kv_buf_init(&x, 256);
            kv_buf_printf(
                &x,
                "<RangeRequested>%.*s</RangeRequested><ActualObjectSize>%llu</ActualObjectSize>",
                (int)api_req_header(req, "range").len, (const char *)api_req_header(req, "range").p,
                (unsigned long long)size);
            req->_st->s3_extra = kv_arena_dup(req->arena, kv_buf_slice(&x));
            kv_buf_dispose(&x);
            return -1;
        }
        out->off = lo;
        out->len = hi - lo + 1;
        out->partial = true;
    }
    return 0;
}

int s3_exec_get_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                       const s3_get_object_in_t *in, s3_get_object_out_t *out)
{
    if (exec_get(ctx, req, resp, in, out, true) < 0)
        return -1;
    if (out->len > S3_INLINE_MAX || !kv_buf_reserve(&resp->body, (size_t)out->len))
        return 0; /* streamed by the encoder */
    /* A small body is read now, straight into the response, and sent with the headers:
     * one write, no streaming pass. */
    kv_buf_t *b = &resp->body;
    uint64_t done = 0;
    while (done < out->len) {
        int64_t n = eng_object_read(out->reader, out->off + done, b->p + b->len, out->len - done);
        if (n <= 0) {
            eng_object_close(out->reader);
            out->reader = NULL;
            kv_buf_reset(b);
            return s3_engine_fail(resp, n < 0 ? (int)n : KV_ECORRUPT);
        }
        b->len += (size_t)n;
        done += (uint64_t)n;
    }
    eng_object_close(out->reader);
    out->reader = NULL;
    return 0;
}

int s3_exec_head_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                        const s3_head_object_in_t *in, s3_head_object_out_t *out)
{
    return exec_get(ctx, req, resp, in, out, false);
}

typedef struct body_src {
    eng_object_reader_t *r;
    uint64_t off, left;
} body_src_t;

static int64_t src_read(void *arg, uint8_t *buf, size_t cap)
{
    body_src_t *s = arg;
    if (s->left == 0)
        return 0;
    if (cap > s->left)
        cap = (size_t)s->left;
    int64_t n = eng_object_read(s->r, s->off, buf, cap);
    if (n > 0) {
        s->off += (uint64_t)n;
        s->left -= (uint64_t)n;
    }
    return n;
}

static void src_close(void *arg)
{
    body_src_t *s = arg;
    eng_object_close(s->r);
    s->r = NULL;
}

static void object_headers(api_req_t *req, api_resp_t *resp, const s3_object_out_t *out)
{
    const eng_object_t *o = out->o;
    char date[30];
    kv_time_fmt_http((time_t)(o->mtime_ms / 1000), date);
    api_resp_header(resp, "Last-Modified", kv_slice_str(date));
    api_resp_headerf(resp, "ETag", "\"%s\"", o->etag);
    api_resp_header(resp, "Accept-Ranges", KV_SLICE_LIT("bytes"));
    if (o->n_tags)
        api_resp_headerf(resp, "x-amz-tagging-count", "%zu", o->n_tags);
    /* response-* query parameters override the stored headers (not on the website endpoint,
     * whose requests are anonymous: checked by exec_get). */
    bool overrides = req->_st->op != S3_OP_website_get;
    for (size_t i = 0; i < sizeof(over) / sizeof(*over); i++) {
        kv_slice_t v;
        const char *stored = *(const char *const *)((const char *)o + over[i].off);
        if (overrides && api_req_query(req, over[i].param, &v))
            api_resp_header(resp, over[i].header, v);
        else if (stored)
            api_resp_header(resp, over[i].header, kv_slice_str(stored));
        else if (i == 0)
            api_resp_header(resp, "Content-Type", KV_SLICE_LIT("binary/octet-stream"));
    }
    if (o->storage_class && strcmp(o->storage_class, "STANDARD") != 0)
        api_resp_header(resp, "x-amz-storage-class", kv_slice_str(o->storage_class));
    if (o->website_redirect) /* issue 16, package W */
        api_resp_header(resp, "x-amz-website-redirect-location", kv_slice_str(o->website_redirect));
    s3_sse_headers(resp, o); /* issue 16, package E */
    for (size_t i = 0; i < o->n_meta; i++) {
        char *n = kv_arena_printf(resp->_arena, "x-amz-meta-%s", o->meta[i].key);
        api_resp_header(resp, n, kv_slice_str(s3_meta_out(resp->_arena, o->meta[i].value)));
    }
    /* issue 16: the checksum of what is sent: the object's, a part's, none for a range */
    kv_slice_t mode = api_req_header(req, "x-amz-checksum-mode");
    if (kv_slice_eq_nocase(mode, "ENABLED") && (out->parts_count || !out->partial))
        s3_ck_headers(resp, o->checksum_algo,
                      out->parts_count ? out->part_checksum : o->checksum_value, s3_ck_type(o));
    if (out->parts_count)
        api_resp_headerf(resp, "x-amz-mp-parts-count", "%zu", out->parts_count);
    if (out->partial) {
        resp->status = 206;
        api_resp_headerf(
            resp, "Content-Range", "bytes %llu-%llu/%llu", (unsigned long long)out->off,
            (unsigned long long)(out->off + out->len - 1), (unsigned long long)o->size);
    }
}

void s3_encode_get_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const s3_get_object_out_t *out)
{
    object_headers(req, resp, out);
    s3_lock_headers_out(ctx, req, resp, out->o); /* issue 16, package L */
    if (out->reader == NULL)
        return; /* the body was read into resp->body by exec */
    body_src_t *s = kv_arena_calloc(req->arena, 1, sizeof(*s));
    s->r = out->reader;
    s->off = out->off;
    s->left = out->len;
    resp->src = (api_body_src_t){src_read, src_close, s, out->len};
}

void s3_encode_head_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           const s3_head_object_out_t *out)
{
    object_headers(req, resp, out);
    s3_lock_headers_out(ctx, req, resp, out->o); /* issue 16, package L */
    /* HEAD reports the length it would send; the server writes no body. */
    resp->src = (api_body_src_t){src_read, NULL, NULL, out->len};
}

/* ---- DeleteObject ---- */

int s3_decode_delete_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            s3_delete_object_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->key = req->_st->key_name;
    if (s3_delete_cond_headers(req, resp, &out->del_cond) < 0) /* issue 16, package R */
        return -1;
    return s3_version_query(req, resp, &out->ver);
}

int s3_exec_delete_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const s3_delete_object_in_t *in, s3_delete_object_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    /* issue 16, package L: a version Object Lock keeps stays (GOVERNANCE: unless bypassed);
     * package R: the request's conditions */
    eng_del_cond_t c = in->del_cond ? *in->del_cond : (eng_del_cond_t){0};
    c.bypass_governance =
        in->ver.kind != ENG_VREF_CURRENT && s3_lock_bypass(ctx, req, resp, in->key);
    int rc = eng_object_delete_if(ctx->eng, b->id, in->key, b->versioning, &in->ver, &c, &out->del,
                                  b->log_id, "ObjectRemoved");
    if (rc == KV_ELOCKED)
        return s3_lock_refused(resp);
    if (rc < 0)
        return s3_write_cond_fail(resp, rc); /* 412 for a condition, 404 for If-Match */
    out->versioning = b->versioning;
    resp->durable = true;
    return 0;
}

void s3_encode_delete_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             const s3_delete_object_out_t *out)
{
    (void)ctx, (void)req;
    resp->status = 204;
    if (!out->del.found)
        return;
    if (out->del.delete_marker)
        api_resp_header(resp, "x-amz-delete-marker", KV_SLICE_LIT("true"));
    s3_version_header(resp, out->versioning, out->del.null_version, out->del.version);
}

/* ---- ListObjects v1 and v2 ---- */

int s3_decode_list_objects(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           s3_list_objects_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->max_keys = S3_LIST_MAX;
    kv_slice_t v;
    out->v2 = api_req_query(req, "list-type", &v) && kv_slice_eq_str(v, "2");
    api_req_query(req, "prefix", &out->prefix);
    out->has_delim = api_req_query(req, "delimiter", &out->delimiter) && out->delimiter.len;
    if (s3_list_query(req, resp, "max-keys", &out->max_keys, &out->url) < 0)
        return -1;
    out->fetch_owner =
        !out->v2 || (api_req_query(req, "fetch-owner", &v) && kv_slice_eq_str(v, "true"));
    if (out->v2) {
        out->has_start_after = api_req_query(req, "start-after", &out->start_after);
        if (api_req_query(req, "continuation-token", &out->token)) {
            out->has_token = true;
            kv_buf_t b;
            kv_buf_init(&b, out->token.len + 4);
            if (!kv_b64_decode(&b, out->token)) {
                kv_buf_dispose(&b);
                api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                         "The continuation token provided is incorrect");
                return -1;
            }
            out->after = kv_arena_dup(req->arena, kv_buf_slice(&b));
            kv_buf_dispose(&b);
        } else if (out->has_start_after) {
            out->after = out->start_after;
        }
    } else if (api_req_query(req, "marker", &out->marker)) {
        out->after = out->marker;
    }
    return 0;
}

/* The smallest string greater than every string that starts with s. */
kv_slice_t s3_key_successor(kv_arena_t *a, kv_slice_t s)
{
    kv_slice_t c = kv_arena_dup(a, s);
    uint8_t *p = (uint8_t *)(uintptr_t)c.p;
    while (c.len && p[c.len - 1] == 0xFF)
        c.len--;
    if (c.len)
        p[c.len - 1]++;
    return c;
}

void s3_fold_init(s3_fold_t *f, kv_arena_t *a, kv_slice_t prefix, bool has_delim,
                  kv_slice_t delimiter, kv_slice_t marker, size_t max)
{
    memset(f, 0, sizeof(*f));
    f->prefix = prefix;
    f->has_delim = has_delim && delimiter.len;
    f->delimiter = delimiter;
    f->marker = marker;
    f->max = max;
    f->prefixes = kv_arena_calloc(a, max + 1, sizeof(*f->prefixes));
}

s3_fold_r s3_fold_key(s3_fold_t *f, kv_arena_t *a, kv_slice_t key, kv_slice_t *cp)
{
    *cp = KV_SLICE_NULL;
    if (f->prefix.len &&
        (key.len < f->prefix.len || memcmp(key.p, f->prefix.p, f->prefix.len) != 0))
        return S3_FOLD_END; /* past the prefix: keys are in order */
    if (f->has_delim) {
        kv_slice_t rest = kv_slice(key.p + f->prefix.len, key.len - f->prefix.len);
        for (size_t i = 0; i + f->delimiter.len <= rest.len; i++)
            if (memcmp(rest.p + i, f->delimiter.p, f->delimiter.len) == 0) {
                *cp = kv_slice(key.p, f->prefix.len + i + f->delimiter.len);
                break;
            }
    }
    /* A key under the CommonPrefix just listed, or under one a previous page listed. */
    if (cp->len && ((f->n_prefixes && kv_slice_eq(f->prefixes[f->n_prefixes - 1], *cp)) ||
                    (f->marker.len && kv_slice_cmp(*cp, f->marker) <= 0)))
        return S3_FOLD_ROLLED;
    if (f->count == f->max) {
        f->truncated = f->max > 0; /* max-keys=0: an empty, untruncated answer, as S3 gives */
        return S3_FOLD_END;
    }
    f->count++;
    if (cp->len == 0)
        return S3_FOLD_KEY;
    *cp = kv_arena_dup(a, *cp);
    f->prefixes[f->n_prefixes++] = *cp;
    return S3_FOLD_PREFIX;
}

int s3_exec_list_objects(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                         const s3_list_objects_in_t *in, s3_list_objects_out_t *out)
{
    uint32_t bid;
    if (s3_bucket_id(ctx, req, resp, in->bucket, &bid) < 0)
        return -1;
    out->in = in;
    out->objs = kv_arena_calloc(req->arena, in->max_keys + 1, sizeof(*out->objs));
    s3_fold_t *f = &out->fold;
    s3_fold_init(f, req->arena, in->prefix, in->has_delim, in->delimiter, in->after, in->max_keys);
    kv_slice_t from = kv_slice_cmp(in->after, in->prefix) > 0 ? in->after : in->prefix;
    eng_obj_iter_t *it = eng_obj_iter_new(ctx->eng, bid, from, false);
    int rc;
    for (;;) {
        eng_object_t *o;
        rc = eng_obj_iter_next(it, req->arena, &o);
        if (rc <= 0)
            break;
        if (in->after.len && kv_slice_cmp(o->key, in->after) <= 0)
            continue;
        kv_slice_t cp;
        s3_fold_r r = s3_fold_key(f, req->arena, o->key, &cp);
        if (r == S3_FOLD_END)
            break;
        if (r == S3_FOLD_KEY) {
            out->objs[out->n++] = o;
            out->next = o->key;
            continue;
        }
        if (r == S3_FOLD_PREFIX)
            out->next = cp;
        /* Skip every key under this common prefix. */
        eng_obj_iter_seek(it, s3_key_successor(req->arena, cp));
    }
    eng_obj_iter_free(it);
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    return 0;
}

void s3_encode_list_objects(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            const s3_list_objects_out_t *out)
{
    (void)req;
    const s3_list_objects_in_t *in = out->in;
    api_xw_t w;
    char owner[65], date[25];
    s3_owner_id(ctx, owner);
    api_xw_begin(&w, &resp->body, "ListBucketResult", true);
    api_xw_elem(&w, "Name", in->bucket);
    s3_xml_key(&w, "Prefix", in->prefix, in->url);
    if (in->v2) {
        if (in->has_start_after)
            s3_xml_key(&w, "StartAfter", in->start_after, in->url);
        if (in->has_token)
            api_xw_elem(&w, "ContinuationToken", in->token);
        api_xw_elem_u64(&w, "KeyCount", out->n + out->fold.n_prefixes);
    } else {
        s3_xml_key(&w, "Marker", in->marker, in->url);
    }
    api_xw_elem_u64(&w, "MaxKeys", in->max_keys);
    if (in->has_delim)
        s3_xml_key(&w, "Delimiter", in->delimiter, in->url);
    if (in->url)
        api_xw_elem_str(&w, "EncodingType", "url");
    api_xw_elem_str(&w, "IsTruncated", out->fold.truncated ? "true" : "false");
    if (out->fold.truncated && in->v2) {
        kv_buf_t tok;
        kv_buf_init(&tok, 4 * ENG_OBJ_KEY_MAX);
        kv_b64_encode(&tok, out->next.p, out->next.len);
        api_xw_elem(&w, "NextContinuationToken", kv_buf_slice(&tok));
        kv_buf_dispose(&tok);
    } else if (out->fold.truncated && in->has_delim) {
        s3_xml_key(&w, "NextMarker", out->next, in->url);
    }
    for (size_t i = 0; i < out->n; i++) {
        const eng_object_t *o = out->objs[i];
        api_xw_open(&w, "Contents");
        s3_xml_key(&w, "Key", o->key, in->url);
        kv_time_fmt_iso(o->mtime_ms, date);
        api_xw_elem_str(&w, "LastModified", date);
        char etag[80];
        snprintf(etag, sizeof(etag), "\"%s\"", o->etag);
        api_xw_elem_str(&w, "ETag", etag);
        if (o->checksum_algo) { /* issue 16 */
            api_xw_elem_str(&w, "ChecksumAlgorithm", o->checksum_algo);
            api_xw_elem_str(&w, "ChecksumType", s3_ck_type(o));
        }
        api_xw_elem_u64(&w, "Size", o->size);
        api_xw_elem_str(&w, "StorageClass", o->storage_class ? o->storage_class : "STANDARD");
        if (in->fetch_owner)
            s3_xml_owner(&w, "Owner", owner);
        api_xw_close(&w, "Contents");
    }
    for (size_t i = 0; i < out->fold.n_prefixes; i++) {
        api_xw_open(&w, "CommonPrefixes");
        s3_xml_key(&w, "Prefix", out->fold.prefixes[i], in->url);
        api_xw_close(&w, "CommonPrefixes");
    }
    api_xw_close(&w, "ListBucketResult");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

/* ---- DeleteObjects ---- */

int s3_decode_delete_objects(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             s3_delete_objects_in_t *out)
{
    (void)ctx;
    api_state_t *st = req->_st;
    memset(out, 0, sizeof(*out));
    out->bucket = st->bucket;
    /* S3 requires an integrity check on this request (verified in the body path). */
    if (st->h.content_md5.len == 0 && !st->h.checksum && st->h.trailer.len == 0) {
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "Missing required header for this request: Content-MD5 OR x-amz-checksum-*");
        return -1;
    }
    api_xnode_t *root;
    if (api_xml_parse(req->arena, kv_buf_slice(&st->body), &root) < 0 ||
        strcmp(root->name, "Delete") != 0) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    for (api_xnode_t *n = root->child; n; n = n->next)
        if (strcmp(n->name, "Object") == 0)
            out->n++;
    if (out->n == 0 || out->n > S3_DELETE_MAX) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    api_xnode_t *q = api_xml_child(root, "Quiet");
    if (q) {
        kv_slice_t v = kv_slice_trim(q->text);
        if (kv_slice_eq_str(v, "true"))
            out->quiet = true;
        else if (!kv_slice_eq_str(v, "false")) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
    }
    out->keys = kv_arena_calloc(req->arena, out->n, sizeof(*out->keys));
    out->vids = kv_arena_calloc(req->arena, out->n, sizeof(*out->vids));
    out->conds = kv_arena_calloc(req->arena, out->n, sizeof(*out->conds));
    size_t i = 0;
    for (api_xnode_t *n = root->child; n; n = n->next) {
        if (strcmp(n->name, "Object") != 0)
            continue;
        api_xnode_t *k = api_xml_child(n, "Key");
        if (k == NULL) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
        api_xnode_t *vid = api_xml_child(n, "VersionId");
        if (vid)
            out->vids[i] = kv_slice_trim(vid->text);
        if (s3_delete_cond_xml(req->arena, n, &out->conds[i]) < 0) { /* issue 16, package R */
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
        out->keys[i++] = k->text; /* character data, not trimmed: keys may hold spaces */
    }
    return 0;
}

int s3_exec_delete_objects(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           const s3_delete_objects_in_t *in, s3_delete_objects_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    out->in = in;
    out->versioning = b->versioning;
    out->err_code = kv_arena_calloc(req->arena, in->n, sizeof(*out->err_code));
    out->err_msg = kv_arena_calloc(req->arena, in->n, sizeof(*out->err_msg));
    out->res = kv_arena_calloc(req->arena, in->n, sizeof(*out->res));
    /* Each key is deleted on its own, as S3 does: one failing key does not stop the rest. */
    for (size_t i = 0; i < in->n; i++) {
        if (in->keys[i].len == 0 || in->keys[i].len > ENG_OBJ_KEY_MAX) {
            out->err_code[i] = in->keys[i].len ? "KeyTooLongError" : "UserKeyMustBeSpecified";
            out->err_msg[i] = in->keys[i].len ? "Your key is too long"
                                              : "The DeleteObjects request must contain at least "
                                                "one key";
            continue;
        }
        /* Each key needs s3:DeleteObject (s3:DeleteObjectVersion for a version), issue 15. */
        const eng_del_cond_t *c = in->conds[i]; /* an ETag condition reads it (package R) */
        if (s3_authz_delete_key(ctx, req, resp, in->keys[i], in->vids[i].len != 0) != 0 ||
            (c && c->if_match && strcmp(c->if_match, "*") != 0 &&
             s3_authz_check(ctx, req, resp, "s3:GetObject", in->bucket, in->keys[i], NULL, NULL,
                            S3_AZ_QUIET) != 0)) {
            out->err_code[i] = "AccessDenied";
            out->err_msg[i] = "Access Denied";
            continue;
        }
        eng_vref_t ref = {.kind = ENG_VREF_CURRENT};
        if (in->vids[i].len && !s3_version_parse(in->vids[i], &ref)) {
            out->err_code[i] = "NoSuchVersion";
            out->err_msg[i] = "The specified version does not exist.";
            continue;
        }
        /* issue 16, package L: Object Lock, per key; package R: the key's conditions */
        eng_del_cond_t kc = in->conds[i] ? *in->conds[i] : (eng_del_cond_t){0};
        kc.bypass_governance =
            ref.kind != ENG_VREF_CURRENT && s3_lock_bypass(ctx, req, resp, in->keys[i]);
        int rc = eng_object_delete_if(ctx->eng, b->id, in->keys[i], b->versioning, &ref, &kc,
                                      &out->res[i], b->log_id, "ObjectRemoved");
        if (rc == KV_ELOCKED) {
            out->err_code[i] = "AccessDenied";
            out->err_msg[i] = "Access Denied because object protected by object lock.";
            continue;
        }
        if (rc < 0 && s3_delete_cond_error(rc, &out->err_code[i], &out->err_msg[i]))
            continue;
        if (rc < 0) {
            KV_LOG_ERROR("s3: delete objects: %s", kv_err_name(rc));
            out->err_code[i] = "InternalError";
            out->err_msg[i] = "We encountered an internal error. Please try again.";
        }
    }
    resp->durable = true;
    return 0;
}

void s3_encode_delete_objects(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              const s3_delete_objects_out_t *out)
{
    (void)ctx;
    const s3_delete_objects_in_t *in = out->in;
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "DeleteResult", true);
    for (size_t i = 0; i < in->n; i++) {
        if (out->err_code[i]) {
            api_xw_open(&w, "Error");
            api_xw_elem(&w, "Key", in->keys[i]);
            api_xw_elem_str(&w, "Code", out->err_code[i]);
            api_xw_elem_str(&w, "Message", out->err_msg[i]);
            api_xw_close(&w, "Error");
        } else if (!in->quiet) {
            const eng_del_result_t *r = &out->res[i];
            api_xw_open(&w, "Deleted");
            api_xw_elem(&w, "Key", in->keys[i]);
            if (in->vids[i].len)
                api_xw_elem(&w, "VersionId", in->vids[i]);
            if (r->found && r->delete_marker) {
                api_xw_elem_str(&w, "DeleteMarker", "true");
                if (in->vids[i].len == 0)
                    api_xw_elem_str(&w, "DeleteMarkerVersionId",
                                    s3_version_id(req->arena, r->null_version, r->version));
            }
            api_xw_close(&w, "Deleted");
        }
    }
    api_xw_close(&w, "DeleteResult");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

/* ---- CopyObject ---- */

int s3_copy_source(api_req_t *req, api_resp_t *resp, kv_slice_t *bucket, kv_slice_t *key,
                   eng_vref_t *ver)
{
    /* x-amz-copy-source: [/]bucket/key, URL-encoded; a versionId suffix names a version. */
    *ver = (eng_vref_t){.kind = ENG_VREF_CURRENT};
    kv_slice_t src = kv_slice_trim(api_req_header(req, "x-amz-copy-source"));
    const uint8_t *q = src.len ? memchr(src.p, '?', src.len) : NULL;
    if (q) {
        kv_slice_t rest = kv_slice(q + 1, src.len - (size_t)(q - src.p) - 1);
        if (!kv_slice_starts_with(rest, "versionId=")) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Invalid copy source encoding");
            return -1;
        }
        kv_slice_t v = kv_slice(rest.p + 10, rest.len - 10);
        if (!s3_version_parse(v, ver)) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Invalid version id specified");
            return -1;
        }
        src.len = (size_t)(q - src.p);
    }
    kv_buf_t b;
    kv_buf_init(&b, src.len + 1);
    bool ok = sigv4_uri_decode(&b, src);
    kv_slice_t d = ok ? kv_arena_dup(req->arena, kv_buf_slice(&b)) : KV_SLICE_NULL;
    kv_buf_dispose(&b);
    if (d.len && d.p[0] == '/')
        d = kv_slice(d.p + 1, d.len - 1);
    const uint8_t *slash = d.len ? memchr(d.p, '/', d.len) : NULL;
    if (!ok || slash == NULL || slash == d.p || (size_t)(slash - d.p) + 1 == d.len) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Invalid copy source object key");
        return -1;
    }
    *bucket = kv_slice(d.p, (size_t)(slash - d.p));
    *key = kv_slice(slash + 1, d.len - (size_t)(slash - d.p) - 1);
    if (key->len > ENG_OBJ_KEY_MAX) {
        api_fail(resp, API_E_S3_KEY_TOO_LONG, NULL);
        return -1;
    }
    return 0;
}

int s3_open_copy_source(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t bucket,
                        kv_slice_t key, const eng_vref_t *ver, eng_bucket_t **b, eng_object_t **o,
                        eng_object_reader_t **r)
{
    if (s3_bucket_find(ctx, req, resp, bucket, b) < 0)
        return -1;
    int rc = eng_object_open(ctx->eng, (*b)->id, key, ver, req->arena, o, r);
    if (rc == KV_ENOTFOUND || (rc == 0 && (*o)->delete_marker && ver->kind == ENG_VREF_CURRENT)) {
        api_fail(resp, ver->kind ? API_E_S3_NO_SUCH_VERSION : API_E_S3_NO_SUCH_KEY, NULL);
        return -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    if ((*o)->delete_marker) {
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "The source of a copy request may not specifically refer to a delete marker by "
                 "version id.");
        return -1;
    }
    /* issue 16, package E: the source's key (SSE-C: the x-amz-copy-source-… headers) */
    if (s3_sse_read(ctx, req, resp, bucket, *o, *r, true) < 0 ||
        conditions(req, resp, *o, true) < 0) {
        eng_object_close(*r);
        *r = NULL;
        return -1;
    }
    return 0;
}

void s3_copy_source_header(api_resp_t *resp, const eng_object_t *src, eng_versioning_t state)
{
    if (!src->null_version || state != ENG_VERSIONING_OFF)
        api_resp_header(resp, "x-amz-copy-source-version-id",
                        kv_slice_str(s3_version_id(resp->_arena, src->null_version, src->version)));
}

int s3_copy_bytes(api_ctx_t *ctx, api_req_t *req, eng_object_reader_t *r, uint64_t off,
                  uint64_t len, const uint8_t *key, eng_blob_writer_t **w_out, const char **md5_hex,
                  api_ck_t *ck)
{
    eng_blob_writer_t *w = eng_blob_writer_new(ctx->eng);
    if (key) /* issue 16, package E: the target's data key */
        eng_blob_writer_set_key(w, key);
    api_ck_t md5;
    api_ck_init(&md5, API_CK_MD5);
    uint8_t *buf = kv_arena_alloc(req->arena, ENG_BLOB_CHUNK);
    uint64_t done = 0;
    int rc = 0;
    while (rc == 0 && done < len) {
        uint64_t want = len - done < ENG_BLOB_CHUNK ? len - done : ENG_BLOB_CHUNK;
        int64_t n = eng_object_read(r, off + done, buf, (size_t)want);
        if (n <= 0)
            rc = n < 0 ? (int)n : KV_ECORRUPT;
        else {
            api_ck_update(&md5, buf, (size_t)n);
            if (ck)
                api_ck_update(ck, buf, (size_t)n);
            rc = eng_blob_write(w, buf, (size_t)n);
            done += (uint64_t)n;
        }
    }
    uint8_t sum[API_CK_MAX];
    api_ck_final(&md5, sum);
    api_ck_dispose(&md5);
    if (rc < 0) {
        eng_blob_writer_abort(w);
        return rc;
    }
    kv_buf_t e;
    kv_buf_init(&e, 40);
    kv_buf_append_hex(&e, sum, 16);
    *md5_hex = kv_arena_strndup(req->arena, e.p, e.len);
    kv_buf_dispose(&e);
    *w_out = w;
    return 0;
}

int s3_decode_copy_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          s3_copy_object_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    if (s3_object_ref(req, resp, &out->bucket, &out->key) < 0)
        return -1;
    if (s3_copy_source(req, resp, &out->src_bucket, &out->src_key, &out->src_ver) < 0)
        return -1;
    kv_slice_t dir = kv_slice_trim(api_req_header(req, "x-amz-metadata-directive"));
    if (dir.len && !kv_slice_eq_str(dir, "COPY") && !kv_slice_eq_str(dir, "REPLACE")) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Unknown metadata directive.");
        return -1;
    }
    out->replace = kv_slice_eq_str(dir, "REPLACE");
    return 0;
}

int s3_exec_copy_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                        const s3_copy_object_in_t *in, s3_copy_object_out_t *out)
{
    eng_bucket_t *db, *sb;
    eng_object_t *src;
    eng_object_reader_t *r;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &db) < 0 ||
        s3_open_copy_source(ctx, req, resp, in->src_bucket, in->src_key, &in->src_ver, &sb, &src,
                            &r) < 0)
        return -1;
    uint32_t dst_bid = db->id, src_bid = sb->id;
    int rc;
    out->src = src;
    out->versioning = db->versioning;
    out->src_versioning = sb->versioning;
    bool same_key = src_bid == dst_bid && kv_slice_eq(in->src_key, in->key);
    const char *sc = hdr(req, "x-amz-storage-class");
    s3_sse_ask_t ask; /* issue 16, package E: the copy's encryption */
    s3_sse_ask_headers(req, &ask);
    eng_object_t *o = kv_arena_calloc(req->arena, 1, sizeof(*o));
    rc = 0;
    if (src->size > S3_COPY_MAX) {
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "The specified copy source is larger than the maximum allowable size for a copy "
                 "source: 5368709120");
        rc = -1;
    } else if (same_key && !in->replace && sc == NULL && in->src_ver.kind == ENG_VREF_CURRENT &&
               !api_req_has_header(req, "x-amz-website-redirect-location") && !s3_sse_asked(&ask)) {
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "This copy request is illegal because it is trying to copy an object to itself "
                 "without changing the object's metadata, storage class, website redirect "
                 "location or encryption attributes.");
        rc = -1;
    } else if (in->replace) {
        o->key = in->key;
        rc = s3_object_headers_in(req, resp, o);
    } else {
        *o = *src;
        o->key = in->key;
        /* issue 16, package W: a copy's redirect is the request's, never the source's */
        rc = s3_website_redirect_in(req, resp,
                                    api_req_header(req, "x-amz-website-redirect-location"),
                                    &o->website_redirect);
        if (rc == 0 && sc) { /* the new storage class, validated as a PUT validates it */
            eng_object_t tmp = {0};
            rc = s3_object_headers_in(req, resp, &tmp);
            o->storage_class = tmp.storage_class;
        }
    }
    /* x-amz-tagging-directive: COPY (the default) keeps the source's tags. */
    kv_slice_t td = kv_slice_trim(api_req_header(req, "x-amz-tagging-directive"));
    if (rc == 0 && td.len && !kv_slice_eq_str(td, "COPY") && !kv_slice_eq_str(td, "REPLACE")) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Unknown tagging directive.");
        rc = -1;
    }
    /* issue 15, package A: a copy gets the ACL its request gives (not its source's) */
    if (rc == 0)
        rc = s3_acl_for_object(ctx, req, resp, db, &o->acl);
    if (rc == 0 && kv_slice_eq_str(td, "REPLACE"))
        rc = s3_tags_from_header(req, resp, &o->tags, &o->n_tags);
    else if (rc == 0) {
        o->tags = src->tags;
        o->n_tags = src->n_tags;
    }
    /* issue 16, package L: a copy's lock is its request's (or the bucket's default), never
     * its source's */
    if (rc == 0)
        rc = s3_lock_for_write(req, resp, db, o, true);
    /* issue 16, package E: the copy's encryption. Bytes stay shared when both are plain, or
     * both SSE-S3 (the source's data key sealed again for the copy); otherwise they are copied,
     * decrypted and encrypted again on the way. */
    uint8_t sk[S3_SSE_KEY_LEN], dk[S3_SSE_KEY_LEN];
    int enc = 0;
    if (rc == 0 && src->sse == ENG_SSE_S3) {
        s3_sse_ask_t none = {0};
        rc = s3_sse_open(ctx, req, resp, in->src_bucket, src, &none, sk) < 0 ? -1 : 0;
    }
    if (rc == 0) {
        enc = s3_sse_new(ctx, req, resp, db, &ask, src->sse == ENG_SSE_S3 ? sk : NULL, o, dk);
        rc = enc < 0 ? -1 : 0;
    }
    kv_wipe(sk, sizeof(sk));
    bool share = (src->sse == ENG_SSE_NONE && o->sse == ENG_SSE_NONE) ||
                 (src->sse == ENG_SSE_S3 && o->sse == ENG_SSE_S3);
    if (rc < 0) {
        kv_wipe(dk, sizeof(dk));
        eng_object_close(r);
        return -1;
    }
    /* The bytes are the source's: so are the ETag and checksum. */
    o->etag = src->etag;
    o->checksum_algo = src->checksum_algo;
    o->checksum_value = src->checksum_value;
    o->checksum_type = src->checksum_type; /* issue 16 */
    o->upload_id = 0;
    api_ck_algo_t ck_new = API_CK_NONE; /* x-amz-checksum-algorithm: computed while copying */
    if (s3_ck_copy_algo(req, resp, src, &ck_new) < 0) {
        eng_object_close(r);
        return -1;
    }
    if (ck_new && r) {
        o->checksum_algo = api_ck_name(ck_new);
        o->checksum_value = s3_ck_of_reader(req, r, src->size, ck_new);
        o->checksum_type = "FULL_OBJECT";
        if (o->checksum_value == NULL) {
            eng_object_close(r);
            return s3_engine_fail(resp, KV_EIO);
        }
    }
    o->mtime_ms = kv_now_ms();
    eng_obj_cond_t cond = {.versioning = db->versioning};
    o->log_id = db->log_id;
    o->event = "ObjectCreated:Copy";
    if (share && same_key && db->versioning == ENG_VERSIONING_OFF) {
        /* Only the metadata changes: the record names the same bytes, nothing is copied.
         * (With versioning the old version stays: that is a shared copy, below.) */
        o->data_id = src->data_id;
        o->segs = src->segs;
        o->n_segs = src->n_segs;
        o->size = src->size;
        o->inlined = src->inlined; /* issue 18: or the bytes in its record */
        o->body = src->body;
        eng_object_close(r);
        r = NULL;
        cond.same_data = true;
        rc = eng_object_put(ctx->eng, dst_bid, o, &cond);
        if (rc == KV_EBUSY) {
            kv_wipe(dk, sizeof(dk));
            api_fail(resp, API_E_S3_OPERATION_ABORTED, NULL);
            return -1;
        }
    } else if (share && src->n_segs == 0) {
        /* Another key, or another version: the new record names the source's bytes, which
         * both then share (counted in the engine); nothing is copied. (A multipart source is
         * copied below: S3 gives its copy the MD5 ETag of the whole content.) */
        eng_vref_t ref = {src->null_version ? ENG_VREF_NULL : ENG_VREF_ID, src->version};
        rc = eng_object_copy(ctx->eng, src_bid, in->src_key, &ref, src->version, dst_bid, o, &cond);
        if (rc != KV_EBUSY && rc != KV_EINVAL) {
            eng_object_close(r);
            r = NULL;
        }
    }
    if (r) {
        /* The source changed since it was read, or would be replaced by its own copy: copy
         * the bytes chunk by chunk (bounded memory, at the reader's snapshot). A multipart
         * source becomes a single-part object with an MD5 ETag. */
        eng_blob_writer_t *w;
        const char *md5;
        /* issue 16: a multipart source's copy is one part: its checksum is recomputed whole */
        api_ck_t ck;
        api_ck_algo_t ca = ck_new ? ck_new
                           : src->n_segs && src->checksum_algo
                               ? s3_ck_named(kv_slice_str(src->checksum_algo))
                               : API_CK_NONE;
        api_ck_init(&ck, src->n_segs ? ca : API_CK_NONE);
        rc = s3_copy_bytes(ctx, req, r, 0, src->size, enc > 0 ? dk : NULL, &w, &md5, &ck);
        eng_object_close(r);
        if (rc < 0) {
            api_ck_dispose(&ck);
            kv_wipe(dk, sizeof(dk));
            return s3_engine_fail(resp, rc);
        }
        if (src->n_segs) {
            o->etag = md5;
            o->checksum_algo = o->checksum_value = o->checksum_type = NULL;
            if (ck.algo) {
                o->checksum_type = "FULL_OBJECT";
                uint8_t d[API_CK_MAX];
                size_t dn = api_ck_final(&ck, d);
                kv_buf_t b;
                kv_buf_init(&b, 64);
                kv_b64_encode(&b, d, dn);
                o->checksum_algo = api_ck_name(ck.algo);
                o->checksum_value = kv_arena_strndup(req->arena, b.p, b.len);
                kv_buf_dispose(&b);
            }
        } else if (s3_sse_etag_opaque(src) || s3_sse_etag_opaque(o)) {
            o->etag = md5; /* the source's ETag was opaque, or the copy's must be */
        }
        if (enc > 0 && s3_sse_etag_opaque(o)) {
            uint8_t ek[S3_SSE_KEY_LEN];
            s3_sse_etag_key(dk, ek);
            o->etag = s3_sse_etag(req->arena, ek, o->etag);
        }
        api_ck_dispose(&ck);
        o->segs = NULL;
        o->n_segs = 0;
        rc = eng_object_put_blob(ctx->eng, dst_bid, o, &cond, w);
    }
    kv_wipe(dk, sizeof(dk));
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    resp->durable = true;
    out->o = o;
    return 0;
}

void s3_encode_copy_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           const s3_copy_object_out_t *out)
{
    (void)ctx, (void)req;
    char date[25];
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "CopyObjectResult", true);
    kv_time_fmt_iso(out->o->mtime_ms, date);
    api_xw_elem_str(&w, "LastModified", date);
    api_xw_elem_str(&w, "ETag", kv_arena_printf(req->arena, "\"%s\"", out->o->etag));
    if (out->o->checksum_algo) { /* issue 16 */
        api_xw_elem_str(&w, "ChecksumType", s3_ck_type(out->o));
        s3_ck_xml(&w, out->o->checksum_algo, out->o->checksum_value);
    }
    api_xw_close(&w, "CopyObjectResult");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
    s3_sse_headers(resp, out->o); /* issue 16, package E */
    if (!out->src->null_version || out->src_versioning != ENG_VERSIONING_OFF)
        api_resp_header(
            resp, "x-amz-copy-source-version-id",
            kv_slice_str(s3_version_id(req->arena, out->src->null_version, out->src->version)));
    s3_version_header(resp, out->versioning, out->o->null_version, out->o->version);
}
