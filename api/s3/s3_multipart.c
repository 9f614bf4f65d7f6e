/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 multipart uploads: CreateMultipartUpload, UploadPart (the body streams into
 * chunks like a PutObject), CompleteMultipartUpload (the parts become the object's
 * segments; no byte is copied), AbortMultipartUpload and ListParts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/kv_aead.h"
#include "base/kv_b64.h"
#include "base/kv_time.h"
#include "s3_int.h"

/* Upload ids are 16 hex digits of a random 64-bit id. */
static bool parse_upload_id(kv_slice_t v, uint64_t *id)
{
    if (v.len != 16)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < 16; i++) {
        uint8_t c = v.p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        x = x << 4 | (uint64_t)d;
    }
    *id = x;
    return true;
}

static int mpu_in(api_req_t *req, api_resp_t *resp, s3_mpu_in_t *out, bool need_upload)
{
    memset(out, 0, sizeof(*out));
    if (s3_object_ref(req, resp, &out->bucket, &out->key) < 0)
        return -1;
    kv_slice_t v;
    if (need_upload &&
        (!api_req_query(req, "uploadId", &v) || !parse_upload_id(v, &out->upload_id))) {
        api_fail(resp, API_E_S3_NO_SUCH_UPLOAD, NULL);
        return -1;
    }
    return 0;
}

static int part_number(api_req_t *req, api_resp_t *resp, uint32_t *out)
{
    kv_slice_t v;
    uint64_t n;
    if (!api_req_query(req, "partNumber", &v) || !kv_slice_to_u64(v, &n) || n < 1 ||
        n > ENG_MPU_MAX_PARTS) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                 "Part number must be an integer between 1 and 10000, inclusive");
        return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

/* ---- CreateMultipartUpload ---- */

int s3_decode_create_multipart_upload(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                      s3_mpu_in_t *out)
{
    (void)ctx;
    return mpu_in(req, resp, out, false);
}

int s3_exec_create_multipart_upload(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_mpu_in_t *in, s3_mpu_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    uint32_t bid = b->id;
    eng_object_t *o = kv_arena_calloc(req->arena, 1, sizeof(*o));
    o->key = in->key;
    o->etag = "";
    o->mtime_ms = kv_now_ms();
    /* issue 15, package A: the ACL the completed object will have */
    if (s3_object_headers_in(req, resp, o) < 0 || s3_acl_for_object(ctx, req, resp, b, &o->acl) < 0)
        return -1;
    /* issue 16, package L: the lock the completed object will have (a default at completion) */
    if (s3_lock_for_write(req, resp, b, o, false) < 0)
        return -1;
    /* issue 16, package E: the object's encryption, kept in the upload for its parts */
    s3_sse_ask_t ask;
    s3_sse_ask_headers(req, &ask);
    uint8_t dk[S3_SSE_KEY_LEN];
    int enc = s3_sse_new(ctx, req, resp, b, &ask, NULL, o, dk);
    kv_wipe(dk, sizeof(dk));
    if (enc < 0)
        return -1;
    /* The checksum algorithm and type the parts will carry, if the client named one. */
    if (s3_ck_create(req, resp, o) < 0)
        return -1;
    out->in = in;
    out->o = o;
    int rc = eng_upload_create(ctx->eng, bid, o, &out->upload_id);
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    resp->durable = true;
    return 0;
}

void s3_encode_create_multipart_upload(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       const s3_mpu_out_t *out)
{
    (void)ctx, (void)req;
    char id[17];
    snprintf(id, sizeof(id), "%016" PRIx64, out->upload_id);
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "InitiateMultipartUploadResult", true);
    api_xw_elem(&w, "Bucket", out->in->bucket);
    api_xw_elem(&w, "Key", out->in->key);
    api_xw_elem_str(&w, "UploadId", id);
    api_xw_close(&w, "InitiateMultipartUploadResult");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
    if (out->o->checksum_algo) {
        api_resp_header(resp, "x-amz-checksum-algorithm", kv_slice_str(out->o->checksum_algo));
        api_resp_header(resp, "x-amz-checksum-type", kv_slice_str(s3_ck_type(out->o)));
    }
    s3_sse_headers(resp, out->o); /* issue 16, package E */
}

/* ---- UploadPart ---- */

/* The upload a part request names must exist, for this key. */
static int upload_exists(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint32_t bid,
                         const s3_mpu_in_t *in, eng_object_t **proto_out)
{
    eng_object_t *proto;
    int rc = eng_upload_get(ctx->eng, bid, in->key, in->upload_id, req->arena, &proto);
    if (proto_out) /* issue 16, package E: its encryption */
        *proto_out = rc == 0 ? proto : NULL;
    if (rc == KV_ENOTFOUND || (rc == 0 && !kv_slice_eq(proto->key, in->key))) {
        api_fail(resp, API_E_S3_NO_SUCH_UPLOAD, NULL);
        return -1;
    }
    return rc < 0 ? s3_engine_fail(resp, rc) : 0;
}

/* Record a part whose bytes are stored (rc: how storing them went). */
static int store_part(api_ctx_t *ctx, api_resp_t *resp, uint32_t bid, const s3_mpu_in_t *in,
                      const eng_part_t *p, int rc)
{
    if (rc == 0)
        rc = eng_upload_put_part(ctx->eng, bid, in->upload_id, in->key, p);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_S3_NO_SUCH_UPLOAD, NULL);
        return -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    resp->durable = true;
    return 0;
}

int s3_upload_part_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    s3_mpu_in_t in;
    if (mpu_in(req, resp, &in, true) < 0 || part_number(req, resp, &in.part) < 0 ||
        upload_exists(ctx, req, resp, req->_st->bucket_id, &in, &req->_st->s3_sse) < 0)
        return -1;
    return s3_ck_part_begin(req, resp, req->_st->s3_sse); /* issue 16: the part's checksum */
}

int s3_decode_upload_part(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_mpu_in_t *out)
{
    (void)ctx;
    if (mpu_in(req, resp, out, true) < 0)
        return -1;
    return part_number(req, resp, &out->part);
}

int s3_exec_upload_part(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_mpu_in_t *in,
                        s3_mpu_out_t *out)
{
    eng_object_t *o = kv_arena_calloc(req->arena, 1, sizeof(*o)), *proto;
    s3_body_digests(req, o);
    int rc = eng_blob_writer_finish(req->_st->blob, &o->data_id, &o->size);
    req->_st->blob = NULL;
    eng_part_t p = {.number = in->part,
                    .size = o->size,
                    .data_id = o->data_id,
                    .etag = o->etag,
                    .mtime_ms = o->mtime_ms};
    /* issue 16: the part keeps its checksum of the upload's algorithm */
    if (rc == 0 && eng_upload_get(ctx->eng, req->_st->bucket_id, in->key, in->upload_id, req->arena,
                                  &proto) == 0) {
        p.checksum = s3_ck_part_value(req, proto, o);
        if (p.checksum && o->checksum_algo == NULL) { /* computed here: answered too */
            o->checksum_algo = proto->checksum_algo;
            o->checksum_value = p.checksum;
        }
    }
    if (store_part(ctx, resp, req->_st->bucket_id, in, &p, rc) < 0)
        return -1;
    out->o = o;
    return 0;
}

void s3_encode_upload_part(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           const s3_mpu_out_t *out)
{
    (void)ctx, (void)req;
    api_resp_headerf(resp, "ETag", "\"%s\"", out->o->etag);
    s3_checksum_header(resp, out->o);
    s3_sse_headers(resp, req->_st->s3_sse); /* issue 16, package E: the upload's */
}

/* ---- UploadPartCopy ---- */

int s3_decode_upload_part_copy(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_mpu_in_t *out)
{
    (void)ctx;
    if (mpu_in(req, resp, out, true) < 0 || part_number(req, resp, &out->part) < 0 ||
        s3_copy_source(req, resp, &out->src_bucket, &out->src_key, &out->src_ver) < 0)
        return -1;
    kv_slice_t r = kv_slice_trim(api_req_header(req, "x-amz-copy-source-range"));
    if (r.len == 0)
        return 0;
    /* bytes=first-last, both given: the whole-object forms of GET are not accepted here. */
    const uint8_t *dash = memchr(r.p, '-', r.len);
    uint64_t lo, hi;
    if (!kv_slice_starts_with(r, "bytes=") || dash == NULL ||
        !kv_slice_to_u64(kv_slice(r.p + 6, (size_t)(dash - r.p) - 6), &lo) ||
        !kv_slice_to_u64(kv_slice(dash + 1, r.len - (size_t)(dash - r.p) - 1), &hi) || hi < lo) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                 "The x-amz-copy-source-range value must be of the form bytes=first-last where "
                 "first and last are the zero-based offsets of the first and last bytes to copy");
        return -1;
    }
    out->has_range = true;
    out->range_lo = lo;
    out->range_hi = hi;
    return 0;
}

int s3_exec_upload_part_copy(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             const s3_mpu_in_t *in, s3_mpu_out_t *out)
{
    eng_bucket_t *db, *sb;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &db) < 0)
        return -1;
    eng_object_t *proto;
    if (upload_exists(ctx, req, resp, db->id, in, &proto) < 0)
        return -1;
    /* issue 16, package E: the part is written under the upload's data key */
    s3_sse_ask_t ask;
    s3_sse_ask_headers(req, &ask);
    uint8_t dk[S3_SSE_KEY_LEN];
    int enc = s3_sse_open(ctx, req, resp, in->bucket, proto, &ask, dk);
    if (enc < 0)
        return -1;
    eng_object_t *src;
    eng_object_reader_t *r;
    if (s3_open_copy_source(ctx, req, resp, in->src_bucket, in->src_key, &in->src_ver, &sb, &src,
                            &r) < 0) {
        kv_wipe(dk, sizeof(dk));
        return -1;
    }
    uint64_t off = 0, len = src->size;
    if (in->has_range) {
        if (in->range_hi >= src->size) {
            kv_wipe(dk, sizeof(dk));
            eng_object_close(r);
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "Range specified is not valid for source object of size: %llu",
                     (unsigned long long)src->size);
            return -1;
        }
        off = in->range_lo;
        len = in->range_hi - in->range_lo + 1;
    }
    if (len > S3_COPY_MAX) {
        kv_wipe(dk, sizeof(dk));
        eng_object_close(r);
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "The specified copy source is larger than the maximum allowable size for a copy "
                 "source: 5368709120");
        return -1;
    }
    /* The part's bytes are its own: a copy, chunk by chunk, at the reader's snapshot. */
    eng_blob_writer_t *w;
    const char *md5;
    api_ck_t ck; /* issue 16: the part's checksum of the upload's algorithm */
    api_ck_init(&ck, proto->checksum_algo ? s3_ck_named(kv_slice_str(proto->checksum_algo))
                                          : API_CK_NONE);
    int rc = s3_copy_bytes(ctx, req, r, off, len, enc > 0 ? dk : NULL, &w, &md5, &ck);
    if (rc == 0 && enc > 0 && s3_sse_etag_opaque(proto)) { /* issue 16: an opaque ETag */
        uint8_t ek[S3_SSE_KEY_LEN];
        s3_sse_etag_key(dk, ek);
        md5 = s3_sse_etag(req->arena, ek, md5);
    }
    kv_wipe(dk, sizeof(dk));
    eng_object_close(r);
    eng_part_t p = {.number = in->part, .etag = md5, .mtime_ms = kv_now_ms()};
    if (rc == 0 && ck.algo) {
        uint8_t d[API_CK_MAX];
        size_t dn = api_ck_final(&ck, d);
        kv_buf_t b64;
        kv_buf_init(&b64, 64);
        kv_b64_encode(&b64, d, dn);
        p.checksum = kv_arena_strndup(req->arena, b64.p, b64.len);
        kv_buf_dispose(&b64);
    }
    api_ck_dispose(&ck);
    if (rc == 0)
        rc = eng_blob_writer_finish(w, &p.data_id, &p.size);
    if (store_part(ctx, resp, db->id, in, &p, rc) < 0)
        return -1;
    out->o = kv_arena_calloc(req->arena, 1, sizeof(*out->o));
    out->o->etag = md5;
    out->o->mtime_ms = p.mtime_ms;
    out->o->checksum_algo = p.checksum ? proto->checksum_algo : NULL;
    out->o->checksum_value = p.checksum;
    out->src = src;
    out->src_versioning = sb->versioning;
    out->proto = proto;
    return 0;
}

void s3_encode_upload_part_copy(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                const s3_mpu_out_t *out)
{
    (void)ctx;
    char date[25];
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "CopyPartResult", true);
    kv_time_fmt_iso(out->o->mtime_ms, date);
    api_xw_elem_str(&w, "LastModified", date);
    api_xw_elem_str(&w, "ETag", kv_arena_printf(req->arena, "\"%s\"", out->o->etag));
    s3_ck_xml(&w, out->o->checksum_algo, out->o->checksum_value); /* issue 16 */
    api_xw_close(&w, "CopyPartResult");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
    s3_sse_headers(resp, out->proto); /* issue 16, package E */
    s3_copy_source_header(resp, out->src, out->src_versioning);
}

/* ---- CompleteMultipartUpload ---- */

int s3_decode_complete_multipart_upload(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                        s3_mpu_in_t *out)
{
    (void)ctx;
    if (mpu_in(req, resp, out, true) < 0)
        return -1;
    api_xnode_t *root;
    if (api_xml_parse(req->arena, kv_buf_slice(&req->_st->body), &root) < 0 ||
        strcmp(root->name, "CompleteMultipartUpload") != 0) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    for (api_xnode_t *n = root->child; n; n = n->next)
        out->n += strcmp(n->name, "Part") == 0;
    if (out->n == 0 || out->n > ENG_MPU_MAX_PARTS) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    out->numbers = kv_arena_calloc(req->arena, out->n, sizeof(*out->numbers));
    out->etags = kv_arena_calloc(req->arena, out->n, sizeof(*out->etags));
    size_t i = 0;
    for (api_xnode_t *n = root->child; n; n = n->next) {
        if (strcmp(n->name, "Part") != 0)
            continue;
        api_xnode_t *num = api_xml_child(n, "PartNumber"), *et = api_xml_child(n, "ETag");
        uint64_t v;
        if (num == NULL || et == NULL || !kv_slice_to_u64(kv_slice_trim(num->text), &v) || v < 1 ||
            v > ENG_MPU_MAX_PARTS) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
        kv_slice_t e = kv_slice_trim(et->text);
        if (e.len >= 2 && e.p[0] == '"' && e.p[e.len - 1] == '"')
            e = kv_slice(e.p + 1, e.len - 2);
        out->numbers[i] = (uint32_t)v;
        out->etags[i] = kv_arena_strndup(req->arena, e.p, e.len);
        if (s3_ck_complete_part(req, resp, n, out, i) < 0) /* issue 16: its checksum */
            return -1;
        if (i > 0 && out->numbers[i] <= out->numbers[i - 1]) {
            api_fail(resp, API_E_S3_INVALID_PART_ORDER, NULL);
            return -1;
        }
        i++;
    }
    return 0;
}

int s3_exec_complete_multipart_upload(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                      const s3_mpu_in_t *in, s3_mpu_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    uint32_t bid = b->id;
    eng_obj_cond_t cond;
    if (s3_write_cond(req, resp, &cond) < 0)
        return -1;
    cond.versioning = b->versioning;
    out->versioning = b->versioning;
    out->in = in;
    eng_object_t *o;
    int rc = eng_upload_get(ctx->eng, bid, in->key, in->upload_id, req->arena, &o);
    if (rc == KV_ENOTFOUND || (rc == 0 && !kv_slice_eq(o->key, in->key))) {
        /* issue 16: a repeat of a completion that succeeded answers as it did */
        int again =
            s3_ck_completed(ctx, req, resp, bid, b->versioning != ENG_VERSIONING_OFF, in, &out->o);
        if (again == 0)
            api_fail(resp, API_E_S3_NO_SUCH_UPLOAD, NULL);
        return again == 1 ? 0 : -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    /* issue 16: the parts' checksums, the object's, and what a repeat must match */
    if (s3_ck_complete(ctx, req, resp, o, in, o) < 0)
        return -1;
    int64_t initiated = o->mtime_ms;
    /* The ETag: MD5 of the parts' binary MD5s, then "-N". */
    api_ck_t md5;
    api_ck_init(&md5, API_CK_MD5);
    for (size_t i = 0; i < in->n; i++) {
        uint8_t bin[16];
        const char *h = in->etags[i];
        bool ok = strlen(h) == 32;
        for (size_t j = 0; ok && j < 16; j++) {
            unsigned x;
            ok = sscanf(h + 2 * j, "%2x", &x) == 1;
            bin[j] = (uint8_t)x;
        }
        if (!ok) {
            api_ck_dispose(&md5);
            api_fail(resp, API_E_S3_INVALID_PART, NULL);
            return -1;
        }
        api_ck_update(&md5, bin, 16);
    }
    uint8_t sum[API_CK_MAX];
    api_ck_final(&md5, sum);
    api_ck_dispose(&md5);
    kv_buf_t etag;
    kv_buf_init(&etag, 48);
    kv_buf_append_hex(&etag, sum, 16);
    o->etag = kv_arena_printf(req->arena, "%.*s-%zu", (int)etag.len, (const char *)etag.p, in->n);
    kv_buf_dispose(&etag);
    o->mtime_ms = kv_now_ms();
    eng_mpu_err_t why = 0;
    size_t bad = 0;
    o->log_id = b->log_id;
    o->event = "ObjectCreated:CompleteMultipartUpload";
    s3_lock_default(b, o); /* issue 16, package L: the bucket's default retention, from now */
    rc = eng_upload_complete(ctx->eng, bid, in->upload_id, in->numbers, in->etags, in->n, o, &cond,
                             &why, &bad);
    if (rc == KV_EINVAL) {
        api_fail(resp, why == ENG_MPU_TOO_SMALL ? API_E_S3_ENTITY_TOO_SMALL : API_E_S3_INVALID_PART,
                 NULL);
        return -1;
    }
    if (rc == KV_ENOTFOUND) {
        /* issue 16: the same completion, concurrent, may have won: answer as it did */
        int again =
            s3_ck_completed(ctx, req, resp, bid, b->versioning != ENG_VERSIONING_OFF, in, &out->o);
        if (again != 0)
            return again == 1 ? 0 : -1;
    }
    if (rc == KV_ENOTFOUND && !cond.if_match) {
        api_fail(resp, API_E_S3_NO_SUCH_UPLOAD, NULL);
        return -1;
    }
    if ((rc == KV_ENOTFOUND || rc == KV_ECONDFAIL) &&
        s3_ck_cond_conflict(ctx, req, bid, in->key, initiated)) {
        api_fail(resp, API_E_S3_CONDITIONAL_CONFLICT, NULL); /* issue 16 */
        return -1;
    }
    if (rc < 0)
        return s3_write_cond_fail(resp, rc);
    resp->durable = true;
    out->o = o;
    return 0;
}

void s3_encode_complete_multipart_upload(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                         const s3_mpu_out_t *out)
{
    (void)ctx, (void)req;
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "CompleteMultipartUploadResult", true);
    const char *loc = kv_arena_printf(req->arena, "/%.*s/%.*s", (int)out->in->bucket.len,
                                      (const char *)out->in->bucket.p, (int)out->in->key.len,
                                      (const char *)out->in->key.p);
    api_xw_elem_str(&w, "Location", loc);
    api_xw_elem(&w, "Bucket", out->in->bucket);
    api_xw_elem(&w, "Key", out->in->key);
    api_xw_elem_str(&w, "ETag", kv_arena_printf(req->arena, "\"%s\"", out->o->etag));
    s3_ck_xml(&w, out->o->checksum_algo, out->o->checksum_value); /* issue 16 */
    if (out->o->checksum_algo)
        api_xw_elem_str(&w, "ChecksumType", s3_ck_type(out->o));
    api_xw_close(&w, "CompleteMultipartUploadResult");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
    s3_sse_headers(resp, out->o); /* issue 16, package E */
    s3_version_header(resp, out->versioning, out->o->null_version, out->o->version);
}

/* ---- AbortMultipartUpload ---- */

int s3_decode_abort_multipart_upload(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     s3_mpu_in_t *out)
{
    (void)ctx;
    return mpu_in(req, resp, out, true);
}

int s3_exec_abort_multipart_upload(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   const s3_mpu_in_t *in, s3_mpu_out_t *out)
{
    (void)out;
    uint32_t bid;
    if (s3_bucket_id(ctx, req, resp, in->bucket, &bid) < 0)
        return -1;
    int rc = eng_upload_abort(ctx->eng, bid, in->upload_id, in->key);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_S3_NO_SUCH_UPLOAD, NULL);
        return -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    resp->durable = true;
    return 0;
}

void s3_encode_abort_multipart_upload(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                      const s3_mpu_out_t *out)
{
    (void)ctx, (void)req, (void)out;
    resp->status = 204;
}

/* ---- ListParts ---- */

int s3_decode_list_parts(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_mpu_in_t *out)
{
    (void)ctx;
    if (mpu_in(req, resp, out, true) < 0)
        return -1;
    out->max_parts = 1000;
    kv_slice_t v;
    uint64_t n;
    if (api_req_query(req, "max-parts", &v)) {
        if (!kv_slice_to_u64(v, &n)) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "Provided max-parts not an integer or within integer range");
            return -1;
        }
        out->max_parts = n < 1000 ? (size_t)n : 1000;
    }
    if (api_req_query(req, "part-number-marker", &v)) {
        if (!kv_slice_to_u64(v, &n) || n > ENG_MPU_MAX_PARTS) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "Provided part-number-marker not an integer or within integer range");
            return -1;
        }
        out->marker = (uint32_t)n;
    }
    return 0;
}

int s3_exec_list_parts(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_mpu_in_t *in,
                       s3_mpu_out_t *out)
{
    uint32_t bid;
    if (s3_bucket_id(ctx, req, resp, in->bucket, &bid) < 0)
        return -1;
    int rc = eng_upload_get(ctx->eng, bid, in->key, in->upload_id, req->arena, &out->proto);
    if (rc == KV_ENOTFOUND || (rc == 0 && !kv_slice_eq(out->proto->key, in->key))) {
        api_fail(resp, API_E_S3_NO_SUCH_UPLOAD, NULL);
        return -1;
    }
    if (rc == 0)
        rc = eng_upload_parts(ctx->eng, in->upload_id, in->marker, in->max_parts, req->arena,
                              &out->parts, &out->n_parts, &out->more);
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    out->in = in;
    return 0;
}

void s3_encode_list_parts(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_mpu_out_t *out)
{
    (void)req;
    const s3_mpu_in_t *in = out->in;
    char id[17], owner[65], date[25];
    snprintf(id, sizeof(id), "%016" PRIx64, in->upload_id);
    s3_owner_id(ctx, owner);
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "ListPartsResult", true);
    api_xw_elem(&w, "Bucket", in->bucket);
    api_xw_elem(&w, "Key", in->key);
    api_xw_elem_str(&w, "UploadId", id);
    api_xw_elem_u64(&w, "PartNumberMarker", in->marker);
    if (out->n_parts)
        api_xw_elem_u64(&w, "NextPartNumberMarker", out->parts[out->n_parts - 1].number);
    api_xw_elem_u64(&w, "MaxParts", in->max_parts);
    api_xw_elem_str(&w, "IsTruncated", out->more ? "true" : "false");
    for (size_t i = 0; i < out->n_parts; i++) {
        const eng_part_t *p = &out->parts[i];
        api_xw_open(&w, "Part");
        api_xw_elem_u64(&w, "PartNumber", p->number);
        kv_time_fmt_iso(p->mtime_ms, date);
        api_xw_elem_str(&w, "LastModified", date);
        api_xw_elem_str(&w, "ETag", kv_arena_printf(req->arena, "\"%s\"", p->etag));
        api_xw_elem_u64(&w, "Size", p->size);
        s3_ck_xml(&w, out->proto->checksum_algo, p->checksum); /* issue 16 */
        api_xw_close(&w, "Part");
    }
    s3_xml_owner(&w, "Initiator", owner);
    s3_xml_owner(&w, "Owner", owner);
    const char *sc = out->proto->storage_class;
    api_xw_elem_str(&w, "StorageClass", sc ? sc : "STANDARD");
    if (out->proto->checksum_algo) { /* issue 16 */
        api_xw_elem_str(&w, "ChecksumAlgorithm", out->proto->checksum_algo);
        api_xw_elem_str(&w, "ChecksumType", s3_ck_type(out->proto));
    }
    api_xw_close(&w, "ListPartsResult");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

/* ---- ListMultipartUploads ---- */

int s3_decode_list_multipart_uploads(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     s3_list_multipart_uploads_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->max = 1000;
    api_req_query(req, "prefix", &out->prefix);
    out->has_delim = api_req_query(req, "delimiter", &out->delimiter) && out->delimiter.len;
    api_req_query(req, "key-marker", &out->key_marker);
    if (s3_list_query(req, resp, "max-uploads", &out->max, &out->url) < 0)
        return -1;
    /* upload-id-marker counts only with a key-marker; an unknown one lists nothing of it. */
    if (out->key_marker.len && api_req_query(req, "upload-id-marker", &out->id_marker) &&
        out->id_marker.len && !parse_upload_id(out->id_marker, &out->after_id)) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Invalid uploadId marker");
        return -1;
    }
    return 0;
}

int s3_exec_list_multipart_uploads(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   const s3_list_multipart_uploads_in_t *in,
                                   s3_list_multipart_uploads_out_t *out)
{
    uint32_t bid;
    if (s3_bucket_id(ctx, req, resp, in->bucket, &bid) < 0)
        return -1;
    out->in = in;
    out->ups = kv_arena_calloc(req->arena, in->max + 1, sizeof(*out->ups));
    s3_fold_t *f = &out->fold;
    s3_fold_init(f, req->arena, in->prefix, in->has_delim, in->delimiter, KV_SLICE_NULL, in->max);
    /* Start at the later of the prefix and the marker; past key-marker unless an upload id
     * marker says where inside its uploads to resume. */
    kv_slice_t from = in->prefix;
    uint64_t after = 0;
    if (in->key_marker.len && kv_slice_cmp(in->key_marker, in->prefix) >= 0) {
        from = in->key_marker;
        after = in->after_id;
        if (!after) { /* the smallest key greater than the marker: marker + "\0" */
            uint8_t *p = kv_arena_alloc(req->arena, from.len + 1);
            memcpy(p, from.p, from.len);
            p[from.len] = 0;
            from = kv_slice(p, from.len + 1);
        }
    }
    int rc = 0;
    bool done = false;
    /* Batches of max+1 uploads; at most 64 batches per request keep the work bounded. */
    for (int batch = 0; batch < 64 && !done; batch++) {
        eng_upload_t *ups;
        size_t n;
        bool more;
        rc = eng_upload_list(ctx->eng, bid, from, after, in->max + 1, req->arena, &ups, &n, &more);
        if (rc < 0)
            return s3_engine_fail(resp, rc);
        for (size_t i = 0; i < n && !done; i++) {
            kv_slice_t cp;
            switch (s3_fold_key(f, req->arena, ups[i].proto->key, &cp)) {
            case S3_FOLD_END:
                done = true;
                break;
            case S3_FOLD_KEY:
                out->ups[out->n++] = ups[i];
                out->next_key = ups[i].proto->key;
                out->next_id = ups[i].upload_id;
                break;
            case S3_FOLD_PREFIX:
                out->next_key = cp;
                out->next_id = 0;
                break;
            case S3_FOLD_ROLLED:
                break;
            }
        }
        if (done || !more || n == 0)
            break;
        from = ups[n - 1].proto->key;
        after = ups[n - 1].upload_id;
    }
    return 0;
}

void s3_encode_list_multipart_uploads(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                      const s3_list_multipart_uploads_out_t *out)
{
    (void)req;
    const s3_list_multipart_uploads_in_t *in = out->in;
    char owner[65], date[25], id[17];
    s3_owner_id(ctx, owner);
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "ListMultipartUploadsResult", true);
    api_xw_elem(&w, "Bucket", in->bucket);
    w.url_encode = in->url;
    api_xw_elem(&w, "KeyMarker", in->key_marker);
    w.url_encode = false;
    api_xw_elem(&w, "UploadIdMarker", in->id_marker);
    if (out->fold.truncated) {
        w.url_encode = in->url;
        api_xw_elem(&w, "NextKeyMarker", out->next_key);
        w.url_encode = false;
        snprintf(id, sizeof(id), "%016" PRIx64, out->next_id);
        api_xw_elem_str(&w, "NextUploadIdMarker", out->next_id ? id : "");
    }
    w.url_encode = in->url;
    api_xw_elem(&w, "Prefix", in->prefix);
    if (in->has_delim)
        api_xw_elem(&w, "Delimiter", in->delimiter);
    w.url_encode = false;
    if (in->url)
        api_xw_elem_str(&w, "EncodingType", "url");
    api_xw_elem_u64(&w, "MaxUploads", in->max);
    api_xw_elem_str(&w, "IsTruncated", out->fold.truncated ? "true" : "false");
    for (size_t i = 0; i < out->n; i++) {
        const eng_upload_t *u = &out->ups[i];
        api_xw_open(&w, "Upload");
        w.url_encode = in->url;
        api_xw_elem(&w, "Key", u->proto->key);
        w.url_encode = false;
        snprintf(id, sizeof(id), "%016" PRIx64, u->upload_id);
        api_xw_elem_str(&w, "UploadId", id);
        s3_xml_owner(&w, "Initiator", owner);
        s3_xml_owner(&w, "Owner", owner);
        const char *sc = u->proto->storage_class;
        api_xw_elem_str(&w, "StorageClass", sc ? sc : "STANDARD");
        kv_time_fmt_iso(u->proto->mtime_ms, date);
        api_xw_elem_str(&w, "Initiated", date);
        if (u->proto->checksum_algo) { /* issue 16 */
            api_xw_elem_str(&w, "ChecksumAlgorithm", u->proto->checksum_algo);
            api_xw_elem_str(&w, "ChecksumType", s3_ck_type(u->proto));
        }
        api_xw_close(&w, "Upload");
    }
    for (size_t i = 0; i < out->fold.n_prefixes; i++) {
        api_xw_open(&w, "CommonPrefixes");
        w.url_encode = in->url;
        api_xw_elem(&w, "Prefix", out->fold.prefixes[i]);
        w.url_encode = false;
        api_xw_close(&w, "CommonPrefixes");
    }
    api_xw_close(&w, "ListMultipartUploadsResult");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}
