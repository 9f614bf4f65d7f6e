/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 16, package R: the remaining bucket configurations (typed inputs and outputs, internal
 * interface), and the smaller S3 fixes' helpers. */
#ifndef S3_CONFIGS_H
#define S3_CONFIGS_H

/* Included by s3_int.h, after api_int.h (api_ctx_t, api_err_t, eng_bucket_t). */

#define S3_CFG_MAX      1000         /* configurations of one kind per bucket */
#define S3_CFG_PAGE     100          /* configurations per List page */
#define S3_CFG_ID_MAX   64           /* characters of a configuration id */
#define S3_CFG_XML_MAX  (64u * 1024) /* one stored configuration, as canonical XML */
#define S3_CFG_SWAP_MAX 16           /* read-modify-write attempts before OperationAborted */

/** Every configuration operation's input: the bucket, the kind (an index into s3_configs.c's
 * table), the id, and what Put stores. */
typedef struct s3_cfg_in {
    kv_slice_t bucket;
    size_t kind;
    kv_slice_t id;    /* the id query parameter */
    bool list;        /* a Get whose id is empty: S3 answers the listing */
    bool has_token;   /* List: continuation-token sent (echoed) */
    kv_slice_t token; /* as sent */
    kv_slice_t after; /* decoded: the last id of the previous page */
    kv_slice_t value; /* Put: the canonical configuration (inner XML), or Payer / Status */
} s3_cfg_in_t;

typedef struct s3_cfg_out {
    const s3_cfg_in_t *in;
    kv_slice_t value;  /* Get: the stored configuration, or Payer / Status (empty: none) */
    kv_slice_t *items; /* List: the page's configurations */
    size_t n;
    bool more;
    kv_slice_t next; /* List: the last id returned when more */
} s3_cfg_out_t;

#define S3_CFG_OPS(XX)             \
    XX(put_bucket_request_payment) \
    XX(get_bucket_request_payment) \
    XX(put_bucket_accelerate)      \
    XX(get_bucket_accelerate)      \
    XX(put_bucket_tiering)         \
    XX(get_bucket_tiering)         \
    XX(delete_bucket_tiering)      \
    XX(list_bucket_tiering)        \
    XX(put_bucket_inventory)       \
    XX(get_bucket_inventory)       \
    XX(delete_bucket_inventory)    \
    XX(list_bucket_inventory)      \
    XX(put_bucket_analytics)       \
    XX(get_bucket_analytics)       \
    XX(delete_bucket_analytics)    \
    XX(list_bucket_analytics)      \
    XX(put_bucket_metrics)         \
    XX(get_bucket_metrics)         \
    XX(delete_bucket_metrics)      \
    XX(list_bucket_metrics)
#define XX(name)                          \
    typedef s3_cfg_in_t s3_##name##_in_t; \
    typedef s3_cfg_out_t s3_##name##_out_t;
S3_CFG_OPS(XX)
#undef XX

/** Is op one of the configuration Puts (their XML body limit)? */
bool s3_cfg_is_put(int op);

/* ---- the parsers of untrusted configuration text, shared with the fuzz target ---- */

/** The kinds keyed by id. */
typedef enum s3_cfg_kind {
    S3_CFG_TIERING = 0,
    S3_CFG_INVENTORY,
    S3_CFG_ANALYTICS,
    S3_CFG_METRICS,
    S3_CFG_N_KINDS
} s3_cfg_kind_t;

/** An id S3 accepts: 1 to 64 letters, digits, '.', '-' and '_'. */
bool s3_cfg_id_valid(kv_slice_t id);
/**
 * Validate a configuration document of kind k put under id and write its canonical form (the
 * root's children, the text of free-form elements kept as sent) into out. API_E_NONE, or the
 * error with *msg set (NULL: the code's own message).
 */
api_err_t s3_cfg_validate(kv_arena_t *a, s3_cfg_kind_t k, kv_slice_t id, kv_slice_t body,
                          kv_buf_t *out, const char **msg);
/** One stored configuration. */
typedef struct s3_cfg_entry {
    kv_slice_t id, xml;
} s3_cfg_entry_t;
/** A stored document's configurations, in id order (in arena a); -1 when it is corrupt. */
int s3_cfg_decode(kv_arena_t *a, kv_slice_t doc, s3_cfg_entry_t **out, size_t *n);
/** The stored document of n configurations in id order. */
void s3_cfg_encode(kv_buf_t *b, const s3_cfg_entry_t *e, size_t n);

/* ---- Requester Pays ---- */

/** Is the bucket Requester Pays? */
bool s3_requester_pays(const eng_bucket_t *b);
/** After a successful operation: x-amz-request-charged when the requester accepted the charge
 * (x-amz-request-payer: requester) on a Requester Pays bucket. */
void s3_request_charged(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);

/* ---- the smaller fixes (s3_minor.c) ---- */

/** A user metadata value as S3 answers it: as stored when US-ASCII, else RFC 2047 encoded
 * ("=?UTF-8?B?...?=", raw bytes read as UTF-8, or ISO-8859-1 when they are not UTF-8). */
const char *s3_meta_out(kv_arena_t *a, const char *value);
/** Content-Encoding as stored: as sent, the aws-chunked coding taken out (NULL: none left). */
const char *s3_content_encoding_in(kv_arena_t *a, kv_slice_t v);
/** DeleteObject's If-Match, x-amz-if-match-size and x-amz-if-match-last-modified-time (*out
 * NULL when none is sent); -1 with InvalidArgument set. */
int s3_delete_cond_headers(api_req_t *req, api_resp_t *resp, const eng_del_cond_t **out);
/** A DeleteObjects <Object>'s ETag, Size and LastModifiedTime; -1 when one is malformed. */
int s3_delete_cond_xml(kv_arena_t *a, const api_xnode_t *obj, const eng_del_cond_t **out);
/** The code and message of a conditional delete's refusal (KV_ECONDFAIL, KV_ENOTFOUND). */
bool s3_delete_cond_error(int rc, const char **code, const char **msg);
/** Tags of a Tagging XML document, validated as PutObjectTagging's (-1 with the error set). */
int s3_tags_from_xml(api_req_t *req, api_resp_t *resp, kv_slice_t doc, eng_tag_t **tags, size_t *n);

#endif
