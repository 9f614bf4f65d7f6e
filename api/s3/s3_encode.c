/* SPDX-License-Identifier: Apache-2.0 */
/* Typed outputs -> S3 XML and headers, and the S3 error document. */
#include <string.h>

#include "auth/sigv4.h"
#include "base/kv_b64.h"
#include "base/kv_time.h"
#include "s3_int.h"

static void xml_resp(api_resp_t *resp)
{
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

static const char *bucket_region(api_ctx_t *ctx, const eng_bucket_t *b)
{
    (void)ctx;
    return b->region && b->region[0] ? b->region : "us-east-1";
}

void s3_encode_create_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             const s3_create_bucket_out_t *out)
{
    (void)ctx, (void)req;
    api_resp_headerf(resp, "Location", "/%s", out->b->name);
}

void s3_encode_head_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           const s3_head_bucket_out_t *out)
{
    (void)req;
    api_resp_header(resp, "x-amz-bucket-region", kv_slice_str(bucket_region(ctx, out->b)));
    api_resp_header(resp, "x-amz-access-point-alias", KV_SLICE_LIT("false"));
}

void s3_encode_delete_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             const s3_delete_bucket_out_t *out)
{
    (void)ctx, (void)req, (void)out;
    resp->status = 204;
}

void s3_encode_not_implemented(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const s3_not_implemented_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

void s3_encode_get_bucket_location(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   const s3_get_bucket_location_out_t *out)
{
    (void)ctx, (void)req;
    kv_buf_append_str(&resp->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (out->b->region && out->b->region[0]) {
        api_xw_t w = {&resp->body, false};
        kv_buf_append_str(&resp->body, "<LocationConstraint xmlns=\"" API_XW_S3_NS "\">");
        api_xml_escape(w.out, kv_slice_str(out->b->region));
        kv_buf_append_str(&resp->body, "</LocationConstraint>");
    } else {
        kv_buf_append_str(&resp->body, "<LocationConstraint xmlns=\"" API_XW_S3_NS "\"/>");
    }
    xml_resp(resp);
}

void s3_owner_id(api_ctx_t *ctx, char out[65])
{
    sigv4_sha256_hex(kv_slice_str(ctx->access_key), out);
}

void s3_xml_owner(api_xw_t *w, const char *tag, const char *owner)
{
    api_xw_open(w, tag);
    api_xw_elem_str(w, "ID", owner);
    api_xw_elem_str(w, "DisplayName", "stratus");
    api_xw_close(w, tag);
}

void s3_xml_tagging(api_resp_t *resp, const eng_tag_t *tags, size_t n)
{
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "Tagging", true);
    api_xw_open(&w, "TagSet");
    for (size_t i = 0; i < n; i++) {
        api_xw_open(&w, "Tag");
        api_xw_elem_str(&w, "Key", tags[i].key);
        api_xw_elem_str(&w, "Value", tags[i].value);
        api_xw_close(&w, "Tag");
    }
    api_xw_close(&w, "TagSet");
    api_xw_close(&w, "Tagging");
    xml_resp(resp);
}

void s3_encode_list_buckets(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            const s3_list_buckets_out_t *out)
{
    const s3_list_buckets_in_t *in = NULL;
    (void)in;
    api_xw_t w;
    char owner[65], date[25];
    s3_owner_id(ctx, owner);
    api_xw_begin(&w, &resp->body, "ListAllMyBucketsResult", true);
    s3_xml_owner(&w, "Owner", owner);
    api_xw_open(&w, "Buckets");
    for (size_t i = 0; i < out->n; i++) {
        api_xw_open(&w, "Bucket");
        api_xw_elem_str(&w, "Name", out->b[i].name);
        kv_time_fmt_iso(out->b[i].created_ms, date);
        api_xw_elem_str(&w, "CreationDate", date);
        api_xw_elem_str(&w, "BucketRegion", bucket_region(ctx, &out->b[i]));
        api_xw_close(&w, "Bucket");
    }
    api_xw_close(&w, "Buckets");
    if (out->more && out->n) {
        kv_buf_t tok;
        kv_buf_init(&tok, 256);
        const char *last = out->b[out->n - 1].name;
        kv_b64_encode(&tok, (const uint8_t *)last, strlen(last));
        api_xw_elem(&w, "ContinuationToken", kv_buf_slice(&tok));
        kv_buf_dispose(&tok);
    }
    kv_slice_t prefix;
    if (api_req_query(req, "prefix", &prefix))
        api_xw_elem(&w, "Prefix", prefix);
    api_xw_close(&w, "ListAllMyBucketsResult");
    xml_resp(resp);
}

void s3_encode_error(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    (void)ctx;
    kv_buf_reset(&resp->body);
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "Error", false);
    api_xw_elem_str(&w, "Code", api_err_code((api_err_t)resp->_err));
    api_xw_elem_str(&w, "Message", resp->_msg ? resp->_msg : "");
    if (st->bucket.len &&
        (resp->_err == API_E_S3_NO_SUCH_BUCKET || resp->_err == API_E_S3_BUCKET_OWNED ||
         resp->_err == API_E_S3_BUCKET_NOT_EMPTY || resp->_err == API_E_S3_INVALID_BUCKET_NAME ||
         resp->_err == API_E_S3_NO_SUCH_WEBSITE)) /* issue 16, package W */
        api_xw_elem(&w, "BucketName", st->bucket);
    kv_buf_append_slice(&resp->body, st->s3_extra);
    api_xw_elem(&w, "Resource", req->path);
    api_xw_elem_str(&w, "RequestId", st->request_id);
    api_xw_elem_str(&w, "HostId", st->id2);
    api_xw_close(&w, "Error");
    xml_resp(resp);
}

void s3_xml_key(api_xw_t *w, const char *tag, kv_slice_t v, bool url)
{
    w->url_encode = url;
    api_xw_elem(w, tag, v);
    w->url_encode = false;
}

int s3_list_query(api_req_t *req, api_resp_t *resp, const char *max_name, size_t *max, bool *url)
{
    kv_slice_t v;
    if (api_req_query(req, "encoding-type", &v)) {
        if (!kv_slice_eq_str(v, "url")) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "Invalid Encoding Method specified in Request");
            return -1;
        }
        *url = true;
    }
    if (api_req_query(req, max_name, &v)) {
        uint64_t n;
        if (!kv_slice_to_u64(v, &n)) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "Provided %s not an integer or within integer range", max_name);
            return -1;
        }
        *max = n < S3_LIST_MAX ? (size_t)n : S3_LIST_MAX;
    }
    return 0;
}
