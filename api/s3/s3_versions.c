/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 versioning: the bucket's state (PutBucketVersioning, GetBucketVersioning), version ids
 * on the wire, opening the version a request names, and ListObjectVersions. The engine keeps
 * the versions (eng_object.c); this file speaks S3 about them.
 *
 * A version id is the engine's 64-bit version number as 16 lowercase hex digits, or "null"
 * for the version written while versioning was off or suspended.
 */
#include <string.h>

#include "base/kv_time.h"
#include "s3_int.h"

int s3_bucket_find(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                   eng_bucket_t **b)
{
    int rc = eng_bucket_get(ctx->eng, name, req->arena, b);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_S3_NO_SUCH_BUCKET, NULL);
        return -1;
    }
    return rc < 0 ? s3_engine_fail(resp, rc) : 0;
}

int s3_bucket_find_read(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                        eng_bucket_t **b)
{
    eng_bucket_t *memo = req->_st->s3_authz_bucket;
    if (memo && kv_slice_eq(name, req->_st->bucket)) {
        *b = memo;
        return 0;
    }
    return s3_bucket_find(ctx, req, resp, name, b);
}

int s3_bucket_written(api_resp_t *resp, int rc)
{
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_S3_NO_SUCH_BUCKET, NULL);
        return -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    resp->durable = true;
    return 0;
}

const char *s3_version_id(kv_arena_t *a, bool null_version, uint64_t version)
{
    return null_version ? "null" : kv_arena_printf(a, "%016llx", (unsigned long long)version);
}

bool s3_version_parse(kv_slice_t v, eng_vref_t *ref)
{
    if (kv_slice_eq_str(v, "null")) {
        *ref = (eng_vref_t){.kind = ENG_VREF_NULL};
        return true;
    }
    if (v.len != 16)
        return false;
    uint64_t id = 0;
    for (size_t i = 0; i < v.len; i++) {
        uint8_t c = v.p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        id = id << 4 | (uint64_t)d;
    }
    *ref = (eng_vref_t){.kind = ENG_VREF_ID, .id = id};
    return true;
}

int s3_version_query(api_req_t *req, api_resp_t *resp, eng_vref_t *ref)
{
    kv_slice_t v;
    *ref = (eng_vref_t){.kind = ENG_VREF_CURRENT};
    if (!api_req_query(req, "versionId", &v))
        return 0;
    if (v.len == 0 || !s3_version_parse(v, ref)) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Invalid version id specified");
        return -1;
    }
    return 0;
}

void s3_version_header(api_resp_t *resp, eng_versioning_t state, bool null_version,
                       uint64_t version)
{
    /* A bucket that never had versioning shows no version ids at all. */
    if (null_version && state == ENG_VERSIONING_OFF)
        return;
    api_resp_header(resp, "x-amz-version-id",
                    kv_slice_str(s3_version_id(resp->_arena, null_version, version)));
}

int s3_open_version(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
                    kv_slice_t key, eng_object_t **o, eng_object_reader_t **r)
{
    eng_vref_t ref;
    if (s3_version_query(req, resp, &ref) < 0)
        return -1;
    int rc = eng_object_open(ctx->eng, b->id, key, &ref, req->arena, o, r);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp,
                 ref.kind == ENG_VREF_CURRENT ? API_E_S3_NO_SUCH_KEY : API_E_S3_NO_SUCH_VERSION,
                 NULL);
        return -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    s3_version_header(resp, b->versioning, (*o)->null_version, (*o)->version);
    if ((*o)->delete_marker) {
        /* The latest version is a delete marker: the key reads as absent. Named by id, a
         * marker is a thing that can only be deleted. */
        api_resp_header(resp, "x-amz-delete-marker", KV_SLICE_LIT("true"));
        if (ref.kind == ENG_VREF_CURRENT) {
            api_fail(resp, API_E_S3_NO_SUCH_KEY, NULL);
        } else {
            api_resp_header(resp, "Allow", KV_SLICE_LIT("DELETE"));
            api_fail(resp, API_E_S3_METHOD_NOT_ALLOWED, NULL);
        }
        return -1;
    }
    return 0;
}

/* ---- PutBucketVersioning / GetBucketVersioning ---- */

int s3_decode_put_bucket_versioning(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    s3_versioning_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    api_xnode_t *root;
    if (api_xml_parse(req->arena, kv_buf_slice(&req->_st->body), &root) < 0 ||
        strcmp(root->name, "VersioningConfiguration") != 0) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    api_xnode_t *st = api_xml_child(root, "Status"), *mfa = api_xml_child(root, "MfaDelete");
    if (mfa) {
        kv_slice_t m = kv_slice_trim(mfa->text);
        if (kv_slice_eq_str(m, "Enabled")) {
            api_fail(resp, API_E_S3_INVALID_REQUEST,
                     "MFA Delete is not supported: Stratus has no MFA devices");
            return -1;
        }
        if (!kv_slice_eq_str(m, "Disabled")) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
    }
    if (st == NULL)
        return 0; /* no change */
    kv_slice_t s = kv_slice_trim(st->text);
    if (kv_slice_eq_str(s, "Enabled"))
        out->state = ENG_VERSIONING_ENABLED;
    else if (kv_slice_eq_str(s, "Suspended"))
        out->state = ENG_VERSIONING_SUSPENDED;
    else {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    return 0;
}

int s3_decode_get_bucket_versioning(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    s3_versioning_in_t *out)
{
    (void)ctx, (void)resp;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    return 0;
}

int s3_exec_put_bucket_versioning(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_versioning_in_t *in, s3_versioning_out_t *out)
{
    (void)out;
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    if (in->state == ENG_VERSIONING_OFF || in->state == b->versioning)
        return 0;
    if (s3_lock_versioning_check(resp, b, in->state) < 0) /* issue 16, package L */
        return -1;
    /* Suspending a bucket that never had versioning changes nothing S3 shows but the
     * Status; it is stored like any other state. */
    int rc = eng_bucket_set_versioning(ctx->eng, in->bucket, in->state);
    if (rc == KV_ELOCKED) /* Object Lock was turned on meanwhile */
        return s3_lock_versioning_check(resp, NULL, in->state);
    return s3_bucket_written(resp, rc);
}

int s3_exec_get_bucket_versioning(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_versioning_in_t *in, s3_versioning_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    out->state = b->versioning;
    return 0;
}

void s3_encode_put_bucket_versioning(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_versioning_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

void s3_encode_get_bucket_versioning(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_versioning_out_t *out)
{
    (void)ctx, (void)req;
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "VersioningConfiguration", true);
    /* Never enabled: S3 answers an empty configuration, without a Status. */
    if (out->state != ENG_VERSIONING_OFF)
        api_xw_elem_str(&w, "Status",
                        out->state == ENG_VERSIONING_ENABLED ? "Enabled" : "Suspended");
    api_xw_close(&w, "VersioningConfiguration");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

/* ---- ListObjectVersions ---- */

int s3_decode_list_object_versions(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   s3_list_versions_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->max_keys = S3_LIST_MAX;
    api_req_query(req, "prefix", &out->prefix);
    out->has_delim = api_req_query(req, "delimiter", &out->delimiter) && out->delimiter.len;
    api_req_query(req, "key-marker", &out->key_marker);
    if (api_req_query(req, "version-id-marker", &out->vid_marker) && out->vid_marker.len) {
        if (out->key_marker.len == 0) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "A version-id marker cannot be specified without a key marker.");
            return -1;
        }
        if (!s3_version_parse(out->vid_marker, &out->vid)) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Invalid version id specified");
            return -1;
        }
        out->has_vid = true;
    }
    return s3_list_query(req, resp, "max-keys", &out->max_keys, &out->url);
}

static bool same_version(const eng_object_t *o, const eng_vref_t *ref)
{
    return ref->kind == ENG_VREF_NULL ? o->null_version : !o->null_version && o->version == ref->id;
}

int s3_exec_list_object_versions(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 const s3_list_versions_in_t *in, s3_list_versions_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    out->in = in;
    out->versioning = b->versioning;
    out->objs = kv_arena_calloc(req->arena, in->max_keys + 1, sizeof(*out->objs));
    s3_fold_t *f = &out->fold;
    s3_fold_init(f, req->arena, in->prefix, in->has_delim, in->delimiter, in->key_marker,
                 in->max_keys);
    kv_slice_t from = kv_slice_cmp(in->key_marker, in->prefix) > 0 ? in->key_marker : in->prefix;
    eng_obj_iter_t *it = eng_obj_iter_new(ctx->eng, b->id, from, true);
    bool passed = !in->has_vid; /* past the version-id marker of key-marker */
    int rc;
    for (;;) {
        eng_object_t *o;
        rc = eng_obj_iter_next(it, req->arena, &o);
        if (rc <= 0)
            break;
        int c = in->key_marker.len ? kv_slice_cmp(o->key, in->key_marker) : 1;
        if (c < 0 || (c == 0 && !in->has_vid))
            continue;
        if (c == 0 && !passed) {
            passed = same_version(o, &in->vid);
            continue;
        }
        kv_slice_t cp;
        s3_fold_r r = s3_fold_key(f, req->arena, o->key, &cp);
        if (r == S3_FOLD_END)
            break;
        if (r == S3_FOLD_KEY) {
            out->objs[out->n++] = o;
            out->next_key = o->key;
            out->next_vid = s3_version_id(req->arena, o->null_version, o->version);
            continue;
        }
        if (r == S3_FOLD_PREFIX) {
            out->next_key = cp;
            out->next_vid = NULL;
        }
        eng_obj_iter_seek(it, s3_key_successor(req->arena, cp));
    }
    eng_obj_iter_free(it);
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    return 0;
}

void s3_encode_list_object_versions(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_list_versions_out_t *out)
{
    (void)req;
    const s3_list_versions_in_t *in = out->in;
    char owner[65], date[25];
    s3_owner_id(ctx, owner);
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "ListVersionsResult", true);
    api_xw_elem(&w, "Name", in->bucket);
    s3_xml_key(&w, "Prefix", in->prefix, in->url);
    s3_xml_key(&w, "KeyMarker", in->key_marker, in->url);
    api_xw_elem(&w, "VersionIdMarker", in->vid_marker);
    api_xw_elem_u64(&w, "MaxKeys", in->max_keys);
    if (in->has_delim)
        s3_xml_key(&w, "Delimiter", in->delimiter, in->url);
    api_xw_elem_str(&w, "IsTruncated", out->fold.truncated ? "true" : "false");
    if (out->fold.truncated) {
        s3_xml_key(&w, "NextKeyMarker", out->next_key, in->url);
        if (out->next_vid)
            api_xw_elem_str(&w, "NextVersionIdMarker", out->next_vid);
    }
    for (size_t i = 0; i < out->n; i++) {
        const eng_object_t *o = out->objs[i];
        const char *tag = o->delete_marker ? "DeleteMarker" : "Version";
        api_xw_open(&w, tag);
        s3_xml_key(&w, "Key", o->key, in->url);
        api_xw_elem_str(&w, "VersionId", s3_version_id(req->arena, o->null_version, o->version));
        api_xw_elem_str(&w, "IsLatest", o->noncurrent ? "false" : "true");
        kv_time_fmt_iso(o->mtime_ms, date);
        api_xw_elem_str(&w, "LastModified", date);
        if (!o->delete_marker) {
            api_xw_elem_str(&w, "ETag", kv_arena_printf(req->arena, "\"%s\"", o->etag));
            api_xw_elem_u64(&w, "Size", o->size);
            api_xw_elem_str(&w, "StorageClass", o->storage_class ? o->storage_class : "STANDARD");
        }
        s3_xml_owner(&w, "Owner", owner);
        api_xw_close(&w, tag);
    }
    for (size_t i = 0; i < out->fold.n_prefixes; i++) {
        api_xw_open(&w, "CommonPrefixes");
        s3_xml_key(&w, "Prefix", out->fold.prefixes[i], in->url);
        api_xw_close(&w, "CommonPrefixes");
    }
    if (in->url)
        api_xw_elem_str(&w, "EncodingType", "url");
    api_xw_close(&w, "ListVersionsResult");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}
