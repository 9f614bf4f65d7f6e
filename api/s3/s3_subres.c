/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GetObjectAttributes. (Object Lock, once answered here from fixed policy: s3_lock.c, issue 16;
 * ACLs: s3_acl_ops.c.)
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_time.h"
#include "s3_int.h"

/* ---- GetObjectAttributes ---- */

int s3_decode_get_object_attributes(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    s3_get_object_attributes_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->key = req->_st->key_name;
    /* x-amz-object-attributes: a comma-separated list (SDKs may also repeat the header). */
    bool any = false;
    for (size_t i = 0; i < req->n_hdrs; i++) {
        if (!kv_slice_eq_nocase(req->hdrs[i].name, "x-amz-object-attributes"))
            continue;
        kv_slice_t list = req->hdrs[i].value;
        while (list.len) {
            const uint8_t *c = memchr(list.p, ',', list.len);
            kv_slice_t a = kv_slice_trim(kv_slice(list.p, c ? (size_t)(c - list.p) : list.len));
            list = c ? kv_slice(c + 1, list.len - (size_t)(c - list.p) - 1) : KV_SLICE_NULL;
            if (kv_slice_eq_str(a, "ETag"))
                out->etag = true;
            else if (kv_slice_eq_str(a, "Checksum"))
                out->checksum = true;
            else if (kv_slice_eq_str(a, "ObjectParts"))
                out->parts = true;
            else if (kv_slice_eq_str(a, "StorageClass"))
                out->storage_class = true;
            else if (kv_slice_eq_str(a, "ObjectSize"))
                out->size = true;
            else {
                api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Invalid attribute name specified.");
                return -1;
            }
            any = true;
        }
    }
    if (!any) {
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "Missing required header for this request: x-amz-object-attributes");
        return -1;
    }
    return s3_ck_attr_decode(req, resp, out); /* issue 16: the parts' page */
}

int s3_exec_get_object_attributes(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_get_object_attributes_in_t *in,
                                  s3_get_object_attributes_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0 ||
        s3_open_version(ctx, req, resp, b, in->key, &out->o, NULL) < 0 ||
        s3_sse_read(ctx, req, resp, in->bucket, out->o, NULL, false) < 0) /* issue 16, E */
        return -1;
    out->in = in;
    return 0;
}

void s3_encode_get_object_attributes(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_get_object_attributes_out_t *out)
{
    (void)ctx, (void)req;
    const s3_get_object_attributes_in_t *in = out->in;
    const eng_object_t *o = out->o;
    char date[30];
    kv_time_fmt_http((time_t)(o->mtime_ms / 1000), date);
    api_resp_header(resp, "Last-Modified", kv_slice_str(date));
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "GetObjectAttributesResponse", true);
    if (in->etag)
        api_xw_elem_str(&w, "ETag", o->etag); /* without quotes, as S3 returns it here */
    if (in->checksum)                         /* issue 16: with ChecksumType */
        s3_ck_attr_checksum(&w, o);
    if (in->parts) /* issue 16: the parts, a page at a time */
        s3_ck_attr_parts(&w, in, o);
    if (in->storage_class)
        api_xw_elem_str(&w, "StorageClass", o->storage_class ? o->storage_class : "STANDARD");
    if (in->size)
        api_xw_elem_u64(&w, "ObjectSize", o->size);
    api_xw_close(&w, "GetObjectAttributesResponse");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}
