/* SPDX-License-Identifier: Apache-2.0 */
/* Typed inputs and outputs of the S3 operations, shared by the s3_ files. */
#ifndef S3_INT_H
#define S3_INT_H

#include "../api_int.h"
#include "../codec/api_xml_r.h"
#include "../codec/api_xw.h"

#define S3_MAX_BUCKETS_PAGE 10000

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
    kv_slice_t *prefixes;
    size_t n_prefixes;
    bool truncated;
    kv_slice_t next; /* last key or common prefix returned */
} s3_list_objects_out_t;

typedef struct s3_object_in {
    kv_slice_t bucket, key;
    /* GET/HEAD */
    bool has_range;
    uint64_t range_lo, range_hi; /* inclusive, resolved against the size in exec */
    bool suffix;                 /* bytes=-n */
    bool open_end;               /* bytes=a- */
} s3_object_in_t;

typedef struct s3_object_out {
    eng_object_t *o;
    eng_object_reader_t *reader;
    uint64_t off, len;
    bool partial;
} s3_object_out_t;

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
} s3_delete_objects_in_t;

typedef struct s3_delete_objects_out {
    const s3_delete_objects_in_t *in;
    const char **err_code; /* per key: NULL when deleted */
    const char **err_msg;
} s3_delete_objects_out_t;

/** S3's canonical owner id for the configured credentials. */
void s3_owner_id(api_ctx_t *ctx, char out[65]);

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

#endif
