/* SPDX-License-Identifier: Apache-2.0 */
/* Typed inputs and outputs of the S3 operations, shared by the s3_ files. */
#ifndef S3_INT_H
#define S3_INT_H

#include "../api_int.h"
#include "../api_service.h"
#include "../codec/api_xml_r.h"
#include "../codec/api_xw.h"
#include "s3_access.h"
#include "s3_acl.h" /* issue 15, package A */
#include "s3_ops.h"
/* issue 16: each package's typed inputs, outputs and internal interfaces */
#include "s3_cksum.h"   /* package C */
#include "s3_configs.h" /* package R */
#include "s3_lock.h"    /* package L */
#include "s3_logging.h" /* package G */
#include "s3_sse.h"     /* package E */
#include "s3_website.h" /* package W */

/* ---- the service (s3_exec.c) ---- */

/** S3 (REST XML): the s3 credential scope, and whatever no other service claims. */
extern const api_service_t s3_service;

/** The operation a request's method, bucket/object level, query and headers name (s3_decode.c);
 * also sets st->bucket and st->key_name. */
int s3_route(api_ctx_t *ctx, api_req_t *req);
/** Run the routed operation. */
void s3_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** Encode the recorded error as S3's XML. */
void s3_encode_error(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** Access-Control-* headers for a request with an Origin, from the bucket's CORS rules. */
void s3_cors_response(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** Body limit for the routed S3 operation. */
uint64_t s3_body_limit(const api_req_t *req);
/**
 * Headers are in for an S3 operation whose body streams (PutObject): check the
 * bucket and key, open the blob writer. @return 0 or API_RESPOND (resp filled).
 */
int s3_begin_body(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
typedef struct s3_post s3_post_t;
/** POST Object, before its body: the bucket and the form reader. -1 with resp's error set. */
int s3_post_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** POST Object body bytes. -1 with resp's error set. */
int s3_post_feed(api_req_t *req, api_resp_t *resp, const uint8_t *p, size_t n);

#define API_S3_XML_MAX        (1u << 20) /* XML bodies of S3 control operations */
#define API_S3_DELETE_XML_MAX (2u << 20) /* DeleteObjects: 1000 keys of up to 1024 bytes */
#define S3_MAX_BUCKETS_PAGE   10000
#define S3_LIST_MAX           1000 /* keys per listing page */

typedef struct s3_list_buckets_in {
    size_t max;
    kv_slice_t after; /* decoded continuation token */
    kv_slice_t prefix;
    bool has_prefix;
    kv_slice_t region;
} s3_list_buckets_in_t;

typedef struct s3_list_buckets_out {
    eng_bucket_t *b;
    size_t n;
    bool more;
} s3_list_buckets_out_t;

typedef struct s3_bucket_in {
    kv_slice_t bucket;
    const char *location; /* CreateBucket: LocationConstraint or NULL */
} s3_bucket_in_t;

typedef struct s3_bucket_out {
    eng_bucket_t *b;
} s3_bucket_out_t;

typedef s3_bucket_in_t s3_create_bucket_in_t;
typedef s3_bucket_in_t s3_head_bucket_in_t;
typedef s3_bucket_in_t s3_delete_bucket_in_t;
typedef s3_bucket_in_t s3_get_bucket_location_in_t;
typedef s3_bucket_in_t s3_not_implemented_in_t;
typedef s3_bucket_out_t s3_create_bucket_out_t;
typedef s3_bucket_out_t s3_head_bucket_out_t;
typedef s3_bucket_out_t s3_delete_bucket_out_t;
typedef s3_bucket_out_t s3_get_bucket_location_out_t;
typedef s3_bucket_out_t s3_not_implemented_out_t;

/**
 * One listing's fold of keys, in key order, into results and CommonPrefixes: the rules that
 * ListObjects(V2), ListObjectVersions and ListMultipartUploads share (prefix, delimiter,
 * max-keys, a marker inside a common prefix). The walker feeds each candidate key to
 * s3_fold_key and acts on the answer.
 */
typedef struct s3_fold {
    kv_slice_t prefix, delimiter, marker; /* marker: CommonPrefixes up to it were listed */
    bool has_delim;
    size_t max, count;
    bool truncated;
    kv_slice_t *prefixes; /* in the arena; max + 1 entries */
    size_t n_prefixes;
} s3_fold_t;

typedef enum s3_fold_r {
    S3_FOLD_END,    /* past the prefix or max reached (truncated set): stop */
    S3_FOLD_KEY,    /* take the key as a result (counted) */
    S3_FOLD_PREFIX, /* the key rolled into a new CommonPrefix (*cp), counted */
    S3_FOLD_ROLLED, /* the key rolled into a CommonPrefix (*cp) listed before: skip it */
} s3_fold_r;

void s3_fold_init(s3_fold_t *f, kv_arena_t *a, kv_slice_t prefix, bool has_delim,
                  kv_slice_t delimiter, kv_slice_t marker, size_t max);
/** Fold one key. *cp is set for S3_FOLD_PREFIX and S3_FOLD_ROLLED (a walker over an ordered
 * iterator may seek to s3_key_successor(*cp) to skip the rest of it). */
s3_fold_r s3_fold_key(s3_fold_t *f, kv_arena_t *a, kv_slice_t key, kv_slice_t *cp);

typedef struct s3_list_objects_in {
    bool v2;
    kv_slice_t bucket, prefix, delimiter, after, token, start_after, marker;
    bool has_delim, url, fetch_owner, has_token, has_start_after;
    size_t max_keys;
} s3_list_objects_in_t;

typedef struct s3_list_objects_out {
    const s3_list_objects_in_t *in;
    eng_object_t **objs;
    size_t n;
    s3_fold_t fold;  /* results' CommonPrefixes, IsTruncated */
    kv_slice_t next; /* last key or common prefix returned */
} s3_list_objects_out_t;

typedef struct s3_object_in {
    kv_slice_t bucket, key;
    /* GET/HEAD */
    bool has_range;
    uint64_t range_lo, range_hi; /* inclusive, resolved against the size in exec */
    bool suffix;                 /* bytes=-n */
    bool open_end;               /* bytes=a- */
    uint32_t part;               /* partNumber (0: absent) */
    eng_vref_t ver;              /* DELETE: versionId */
    /* issue 16, package R: DeleteObject's conditions (NULL: none) */
    const eng_del_cond_t *del_cond;
} s3_object_in_t;

typedef struct s3_object_out {
    eng_object_t *o;
    eng_object_reader_t *reader;
    uint64_t off, len;
    bool partial;
    size_t parts_count;        /* partNumber requests: x-amz-mp-parts-count */
    const char *part_checksum; /* partNumber requests: that part's checksum (issue 16) */
    eng_versioning_t versioning;
    eng_del_result_t del; /* DeleteObject */
} s3_object_out_t;

#define S3_INLINE_MAX (64u * 1024) /* a GET body up to this size is read in exec */

typedef s3_object_in_t s3_put_object_in_t;
typedef s3_object_in_t s3_get_object_in_t;
typedef s3_object_in_t s3_head_object_in_t;
typedef s3_object_in_t s3_delete_object_in_t;
typedef s3_object_out_t s3_put_object_out_t;
typedef s3_object_out_t s3_get_object_out_t;
typedef s3_object_out_t s3_head_object_out_t;
typedef s3_object_out_t s3_delete_object_out_t;

#define S3_DELETE_MAX 1000 /* keys per DeleteObjects request */

typedef struct s3_delete_objects_in {
    kv_slice_t bucket;
    bool quiet;
    size_t n;
    kv_slice_t *keys;
    kv_slice_t *vids; /* VersionId as sent (empty when absent) */
    /* issue 16, package R: each key's conditions (NULL: none) */
    const eng_del_cond_t **conds;
} s3_delete_objects_in_t;

typedef struct s3_delete_objects_out {
    const s3_delete_objects_in_t *in;
    eng_del_result_t *res;
    eng_versioning_t versioning;
    const char **err_code; /* per key: NULL when deleted */
    const char **err_msg;
} s3_delete_objects_out_t;

typedef struct s3_mpu_in {
    kv_slice_t bucket, key;
    uint64_t upload_id;
    uint32_t part; /* UploadPart */
    size_t n;      /* CompleteMultipartUpload: the parts named */
    uint32_t *numbers;
    const char **etags; /* hex, without quotes */
    uint32_t marker;    /* ListParts: part-number-marker */
    size_t max_parts;
    /* UploadPartCopy */
    kv_slice_t src_bucket, src_key;
    eng_vref_t src_ver;
    bool has_range;
    uint64_t range_lo, range_hi; /* inclusive */
    /* issue 16, package C: CompleteMultipartUpload's part checksums (API_CK_NONE, NULL: none) */
    api_ck_algo_t *ck_algos;
    const char **cks;
} s3_mpu_in_t;

typedef struct s3_mpu_out {
    const s3_mpu_in_t *in;
    eng_object_t *o;   /* Put/Complete: the result; UploadPart: the part's checksum carrier */
    const char *etag;  /* quoted */
    eng_part_t *parts; /* ListParts */
    size_t n_parts;
    bool more;
    eng_object_t *proto;
    uint64_t upload_id; /* CreateMultipartUpload */
    eng_versioning_t versioning;
    eng_object_t *src; /* UploadPartCopy: the source version */
    eng_versioning_t src_versioning;
} s3_mpu_out_t;

typedef s3_mpu_in_t s3_create_multipart_upload_in_t;
typedef s3_mpu_in_t s3_upload_part_in_t;
typedef s3_mpu_in_t s3_complete_multipart_upload_in_t;
typedef s3_mpu_in_t s3_abort_multipart_upload_in_t;
typedef s3_mpu_in_t s3_list_parts_in_t;
typedef s3_mpu_in_t s3_upload_part_copy_in_t;
typedef s3_mpu_out_t s3_upload_part_copy_out_t;
typedef s3_mpu_out_t s3_create_multipart_upload_out_t;
typedef s3_mpu_out_t s3_upload_part_out_t;
typedef s3_mpu_out_t s3_complete_multipart_upload_out_t;
typedef s3_mpu_out_t s3_abort_multipart_upload_out_t;
typedef s3_mpu_out_t s3_list_parts_out_t;

typedef struct s3_list_multipart_uploads_in {
    kv_slice_t bucket, prefix, delimiter, key_marker, id_marker;
    bool has_delim, url;
    uint64_t after_id; /* decoded upload-id-marker, 0 when absent */
    size_t max;
} s3_list_multipart_uploads_in_t;

typedef struct s3_list_multipart_uploads_out {
    const s3_list_multipart_uploads_in_t *in;
    eng_upload_t *ups;
    size_t n;
    s3_fold_t fold; /* results' CommonPrefixes, IsTruncated */
    kv_slice_t next_key;
    uint64_t next_id;
} s3_list_multipart_uploads_out_t;

typedef struct s3_copy_object_in {
    kv_slice_t bucket, key;
    kv_slice_t src_bucket, src_key;
    bool replace; /* x-amz-metadata-directive: REPLACE */
    eng_vref_t src_ver;
} s3_copy_object_in_t;

typedef struct s3_copy_object_out {
    eng_object_t *o;
    eng_object_t *src;
    eng_versioning_t versioning, src_versioning;
} s3_copy_object_out_t;

#define S3_COPY_MAX ((uint64_t)5 << 30) /* the largest object CopyObject copies */

/* Sub-resources answered from fixed policy: Object Lock (never configured). */
typedef struct s3_subres_in {
    kv_slice_t bucket, key;
} s3_subres_in_t;
typedef struct s3_subres_out {
    const s3_subres_in_t *in;
} s3_subres_out_t;
/* The ACL operations' types: s3_acl.h (issue 15, package A). */

typedef struct s3_tagging_in {
    kv_slice_t bucket, key;
    eng_tag_t *tags; /* PutObjectTagging */
    size_t n_tags;
} s3_tagging_in_t;
typedef struct s3_tagging_out {
    eng_object_t *o;
    eng_versioning_t versioning;
    eng_bucket_t *b; /* bucket tagging */
} s3_tagging_out_t;
typedef s3_tagging_in_t s3_get_object_tagging_in_t;
typedef s3_tagging_in_t s3_put_object_tagging_in_t;
typedef s3_tagging_in_t s3_delete_object_tagging_in_t;
typedef s3_tagging_out_t s3_get_object_tagging_out_t;
typedef s3_tagging_out_t s3_put_object_tagging_out_t;
typedef s3_tagging_out_t s3_delete_object_tagging_out_t;
typedef s3_tagging_in_t s3_get_bucket_tagging_in_t;
typedef s3_tagging_in_t s3_put_bucket_tagging_in_t;
typedef s3_tagging_in_t s3_delete_bucket_tagging_in_t;
typedef s3_tagging_out_t s3_get_bucket_tagging_out_t;
typedef s3_tagging_out_t s3_put_bucket_tagging_out_t;
typedef s3_tagging_out_t s3_delete_bucket_tagging_out_t;

#define S3_BUCKET_TAGS_MAX 50

#define S3_OBJ_TAGS_MAX    10

/** Tags from an x-amz-tagging header (URL-encoded query form), validated; -1 with the error
 * set. No header: 0 with *n = 0. */
int s3_tags_from_header(api_req_t *req, api_resp_t *resp, eng_tag_t **tags, size_t *n);

typedef struct s3_get_object_attributes_in {
    kv_slice_t bucket, key;
    bool etag, checksum, parts, storage_class, size;
    uint32_t part_marker; /* issue 16: x-amz-part-number-marker */
    size_t max_parts;     /* x-amz-max-parts */
} s3_get_object_attributes_in_t;
typedef struct s3_get_object_attributes_out {
    const s3_get_object_attributes_in_t *in;
    eng_object_t *o;
} s3_get_object_attributes_out_t;

typedef struct s3_versioning_in {
    kv_slice_t bucket;
    eng_versioning_t state; /* PutBucketVersioning: OFF means no change */
} s3_versioning_in_t;
typedef struct s3_versioning_out {
    eng_versioning_t state;
} s3_versioning_out_t;
typedef s3_versioning_in_t s3_put_bucket_versioning_in_t;
typedef s3_versioning_in_t s3_get_bucket_versioning_in_t;
typedef s3_versioning_out_t s3_put_bucket_versioning_out_t;
typedef s3_versioning_out_t s3_get_bucket_versioning_out_t;

typedef struct s3_list_versions_in {
    kv_slice_t bucket, prefix, delimiter, key_marker, vid_marker;
    bool has_delim, url, has_vid;
    eng_vref_t vid;
    size_t max_keys;
} s3_list_versions_in_t;
typedef struct s3_list_versions_out {
    const s3_list_versions_in_t *in;
    eng_versioning_t versioning;
    eng_object_t **objs; /* versions and delete markers, in S3's order */
    size_t n;
    s3_fold_t fold; /* results' CommonPrefixes, IsTruncated */
    kv_slice_t next_key;
    const char *next_vid;
} s3_list_versions_out_t;
typedef s3_list_versions_in_t s3_list_object_versions_in_t;
typedef s3_list_versions_out_t s3_list_object_versions_out_t;

/* Bucket documents (policy, CORS, lifecycle) and the CORS preflight. */
typedef struct s3_bdoc_in {
    kv_slice_t bucket;
    size_t kind;    /* index into the table of document kinds */
    kv_slice_t doc; /* PUT: the validated document */
} s3_bdoc_in_t;
typedef struct s3_bdoc_out {
    kv_slice_t doc;
    bool json;
} s3_bdoc_out_t;
#define XX(name)                           \
    typedef s3_bdoc_in_t s3_##name##_in_t; \
    typedef s3_bdoc_out_t s3_##name##_out_t;
XX(put_bucket_notification)
XX(get_bucket_notification)
XX(put_bucket_policy)
XX(get_bucket_policy)
XX(delete_bucket_policy)
XX(put_bucket_cors)
XX(get_bucket_cors)
XX(delete_bucket_cors)
XX(put_bucket_lifecycle)
XX(get_bucket_lifecycle)
XX(delete_bucket_lifecycle)
XX(preflight)
#undef XX
/* issue 15, package S: the policy status and Block Public Access, of a bucket or (S3 Control)
 * of the account (s3_pab.c). */
typedef struct s3_pab_in {
    kv_slice_t bucket;
    s3_pab_t pab; /* Put */
} s3_pab_in_t;
typedef struct s3_pab_out {
    s3_pab_t pab;   /* Get */
    bool is_public; /* GetBucketPolicyStatus */
} s3_pab_out_t;
#define XX(name)                          \
    typedef s3_pab_in_t s3_##name##_in_t; \
    typedef s3_pab_out_t s3_##name##_out_t;
XX(get_bucket_policy_status)
XX(put_public_access_block)
XX(get_public_access_block)
XX(delete_public_access_block)
XX(put_account_pab)
XX(get_account_pab)
XX(delete_account_pab)
#undef XX
/** An ISO 8601 date or date-time in UTC ("2026-01-01", "2026-01-01T00:00:00.000Z"). */
bool s3_iso_date(kv_slice_t v, int64_t *ms);

typedef struct s3_post_object_in {
    kv_slice_t bucket, key; /* key with ${filename} replaced */
    unsigned status;        /* success_action_status: 200, 201 or 204 */
    kv_slice_t redirect;    /* success_action_redirect */
} s3_post_object_in_t;
typedef struct s3_post_object_out {
    const s3_post_object_in_t *in;
    eng_object_t *o;
    eng_versioning_t versioning;
} s3_post_object_out_t;

/** The bucket record (NoSuchBucket or InternalError set on failure: -1). */
int s3_bucket_find(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                   eng_bucket_t **b);
/** s3_bucket_find of the request's own bucket, answered by the record its authorization read
 * moments ago when it read one: for operations that only read (GetObject, HeadObject). */
int s3_bucket_find_read(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                        eng_bucket_t **b);
/** The answer to a change of a bucket's record: NoSuchBucket, InternalError, or a durable
 * success (0). */
int s3_bucket_written(api_resp_t *resp, int rc);
/** A version id as S3 shows it: "null" or 16 hex digits (in arena a). */
const char *s3_version_id(kv_arena_t *a, bool null_version, uint64_t version);
/** Parse a version id; false when malformed. */
bool s3_version_parse(kv_slice_t v, eng_vref_t *ref);
/** The request's versionId query parameter (CURRENT when absent); -1: InvalidArgument set. */
int s3_version_query(api_req_t *req, api_resp_t *resp, eng_vref_t *ref);
/** x-amz-version-id, unless the bucket never had versioning and the version is null. */
void s3_version_header(api_resp_t *resp, eng_versioning_t state, bool null_version,
                       uint64_t version);
/**
 * Open the version of key the request names (versionId), setting x-amz-version-id. Errors
 * as S3 gives them: NoSuchKey, NoSuchVersion, and for a delete marker NoSuchKey (latest) or
 * MethodNotAllowed (named) with x-amz-delete-marker. r may be NULL (metadata only).
 */
int s3_open_version(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
                    kv_slice_t key, eng_object_t **o, eng_object_reader_t **r);
/** The smallest string greater than every string with prefix s (in arena a). */
kv_slice_t s3_key_successor(kv_arena_t *a, kv_slice_t s);

/** x-amz-copy-source: the source bucket, key and version (-1: InvalidArgument set). */
int s3_copy_source(api_req_t *req, api_resp_t *resp, kv_slice_t *bucket, kv_slice_t *key,
                   eng_vref_t *ver);
/** Open a copy source (not a delete marker) and check the x-amz-copy-source-if-* headers;
 * -1 with the error set (and nothing left open). */
int s3_open_copy_source(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t bucket,
                        kv_slice_t key, const eng_vref_t *ver, eng_bucket_t **b, eng_object_t **o,
                        eng_object_reader_t **r);
/** x-amz-copy-source-version-id, as s3_version_header decides for the source's bucket. */
void s3_copy_source_header(api_resp_t *resp, const eng_object_t *src, eng_versioning_t state);
/** Copy len bytes at off of r into a new blob writer (not finished; encrypted under key unless
 * NULL, issue 16), chunk by chunk in bounded memory; its MD5 in hex, and ck (if not NULL)
 * updated with the bytes (issue 16). @return 0 or a KV_E* code (nothing left behind). */
int s3_copy_bytes(api_ctx_t *ctx, api_req_t *req, eng_object_reader_t *r, uint64_t off,
                  uint64_t len, const uint8_t *key, eng_blob_writer_t **w, const char **md5_hex,
                  api_ck_t *ck);

/** Object headers and x-amz-meta-* of a PUT or CreateMultipartUpload into o (-1: failed). */
int s3_object_headers_in(api_req_t *req, api_resp_t *resp, eng_object_t *o);
/** UploadPart, before its body: the upload must exist (-1 with the error set). */
int s3_upload_part_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** The request's bucket and object key; a key over 1024 bytes is KeyTooLongError (-1). */
int s3_object_ref(api_req_t *req, api_resp_t *resp, kv_slice_t *bucket, kv_slice_t *key);
/** Shared with objects: look a bucket up, setting NoSuchBucket. */
int s3_bucket_id(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name, uint32_t *id);
int s3_engine_fail(api_resp_t *resp, int rc);
/** If-None-Match / If-Match of a write (-1: unsupported form, error set). */
int s3_write_cond(api_req_t *req, api_resp_t *resp, eng_obj_cond_t *cond);
/** The error for a failed conditional write (KV_ECONDFAIL, KV_ENOTFOUND, other). */
int s3_write_cond_fail(api_resp_t *resp, int rc);
/** After a streamed body: checksum, MD5 ETag and mtime into o (the bytes stay in st->blob). */
int s3_body_digests(api_req_t *req, eng_object_t *o);
/** ETag and x-amz-checksum-* response headers of an object or part. */
void s3_checksum_header(api_resp_t *resp, const eng_object_t *o);

/** S3's canonical owner id for the configured credentials. */
void s3_owner_id(api_ctx_t *ctx, char out[65]);
/** <tag><ID>owner</ID><DisplayName>stratus</DisplayName></tag> */
void s3_xml_owner(api_xw_t *w, const char *tag, const char *owner);
/** An element holding a key, URL-encoded when the listing asked for encoding-type=url. */
void s3_xml_key(api_xw_t *w, const char *tag, kv_slice_t v, bool url);
/** A listing's encoding-type and its max-keys (or max-uploads...) parameter, capped at
 * S3_LIST_MAX; -1 with InvalidArgument set. */
int s3_list_query(api_req_t *req, api_resp_t *resp, const char *max_name, size_t *max, bool *url);
/** <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging> as the response body. */
void s3_xml_tagging(api_resp_t *resp, const eng_tag_t *tags, size_t n);

#define XX(Name, name)                                                                             \
    int s3_decode_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_##name##_in_t *out); \
    int s3_exec_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,                           \
                       const s3_##name##_in_t *in, s3_##name##_out_t *out);                        \
    void s3_encode_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,                        \
                          const s3_##name##_out_t *out);
S3_OP_MAP(XX)
#undef XX

/** Why a bucket name is invalid, or NULL when it is valid. */
const char *s3_bucket_name_error(kv_slice_t name);

/* ---- background jobs (s3_lifecycle.c): lifecycle ---- */
/** The jobs' cursors (in S3's state). */
typedef struct s3_bg {
    atomic_uint_fast64_t lc_gen; /* bumped by each lifecycle configuration put or delete */
    uint64_t lc_scan_gen;        /* the lc_gen lc_names was listed at */
    kv_buf_t lc_names;           /* the buckets with lifecycle rules, NUL-terminated names */
    size_t lc_pos;               /* the pass's cursor in lc_names */
} s3_bg_t;
s3_bg_t *s3_bg(api_ctx_t *ctx);

/** S3's own state (s3_service's init). */
typedef struct s3_state {
    s3_bg_t bg;
    int64_t lifecycle_day_ms; /* a lifecycle "day" (86400000 unless a test shortens it) */
    /* issue 15, package S: the account's public access block, cached (s3_pab.c): 0 until
     * read, else S3_PAB_LOADED with the settings' bits */
    atomic_uint acct_pab;
    struct s3_alog *alog; /* issue 16, package G: access logs (s3_alog.c) */
} s3_state_t;
static inline s3_state_t *s3_state(api_ctx_t *ctx)
{
    return api_service_state(ctx, &s3_service);
}
/** A bucket's lifecycle configuration changed: the lifecycle job lists the buckets again. */
void s3_lifecycle_changed(api_ctx_t *ctx);
#define S3_N_JOBS 2 /* lifecycle; issue 16, package G: s3-access-logs */
extern const api_job_t s3_jobs[S3_N_JOBS];
/** Set up and release S3's state (s3_service's init and fini). */
int s3_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state);
void s3_fini(void *state);
/** The lifecycle job's step (api_job_t.run). */
int s3_lifecycle_run(api_ctx_t *ctx, void *state, unsigned budget);

/* ---- what S3 offers the other services (notifications, Lambda's bucket destinations) ---- */
/** One Lambda destination of a bucket's notification configuration. */
#define S3_NOTIFY_EVENTS 24
typedef struct s3_notify_target {
    const char *id, *arn;
    kv_slice_t events[S3_NOTIFY_EVENTS]; /* "s3:ObjectCreated:*", ... */
    size_t n_events;
    kv_slice_t prefix, suffix;
    int kind; /* s3_notify_kind_t (issue 14: queues, topics, the default event bus) */
} s3_notify_target_t;
/** What a notification target is. S3_NOTIFY_BUS is the EventBridgeConfiguration: every event,
 * whatever its name and key, to the default bus (arn NULL, no events or filters). */
typedef enum s3_notify_kind {
    S3_NOTIFY_FUNCTION = 0,
    S3_NOTIFY_QUEUE,
    S3_NOTIFY_TOPIC,
    S3_NOTIFY_BUS,
} s3_notify_kind_t;
/** The destinations of a stored notification configuration. -1 when it cannot be read. */
int s3_notify_targets(kv_arena_t *a, kv_slice_t doc, s3_notify_target_t **out, size_t *n);
/** Does event ("ObjectCreated:Put") on key go to t? */
bool s3_notify_match(const s3_notify_target_t *t, kv_slice_t event, kv_slice_t key);
/** The event name and object key of a bucket event-log record. */
kv_slice_t s3_event_name(const eng_srec_t *r);
kv_slice_t s3_event_key(const eng_srec_t *r);
/** One bucket event-log record as S3's event record (an element of "Records"). */
void s3_encode_event(api_ctx_t *ctx, const char *bucket, const eng_srec_t *r, const char *config_id,
                     api_jw_t *w);
/** Store body (JSON) as an object of an existing bucket, as a PUT would (its notifications
 * too): Lambda's records sent to a bucket destination. */
int s3_put_record(api_ctx_t *ctx, kv_slice_t bucket, kv_slice_t key, kv_slice_t body);
/**
 * Send one bucket event-log record r to a queue, topic or bus target t (issue 14): to a queue
 * or topic S3's event message ({"Records":[...]}, a topic's with the Subject "Amazon S3
 * Notification"), to the default bus EventBridge's S3 event ("Object Created", "Object
 * Deleted"; its id fixed by the record, so a replay sends the same event). Committed when it
 * returns 0; otherwise api_msg.h's error codes (why names a KV_EINVAL).
 */
int s3_notify_send(api_ctx_t *ctx, const char *bucket, uint32_t log_id, const eng_srec_t *r,
                   const s3_notify_target_t *t, const char **why);

#endif
