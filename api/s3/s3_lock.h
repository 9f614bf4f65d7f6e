/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 16, package L: Object Lock (typed inputs and outputs, internal interface). */
#ifndef S3_LOCK_H
#define S3_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#define S3_LOCK_MAX_DAYS  36500 /* a default retention of at most 100 years */
#define S3_LOCK_MAX_YEARS 100
#define S3_LOCK_DAY_MS    86400000LL

/** A bucket's ObjectLockConfiguration: enabled (it exists), and its default retention. */
typedef struct s3_lock_conf {
    bool has_rule;
    eng_lock_mode_t mode;
    uint32_t days, years; /* exactly one is non-zero with has_rule */
} s3_lock_conf_t;

/** The Object Lock operations' input. */
typedef struct s3_lock_in {
    kv_slice_t bucket, key;
    s3_lock_conf_t conf;  /* PutObjectLockConfiguration */
    eng_lock_mode_t mode; /* PutObjectRetention (NONE: remove it) */
    int64_t until_ms;
    bool hold; /* PutObjectLegalHold */
} s3_lock_in_t;

typedef struct s3_lock_out {
    s3_lock_conf_t conf; /* GetObjectLockConfiguration */
    eng_object_t *o;     /* Get{ObjectRetention,ObjectLegalHold} */
} s3_lock_out_t;

#define XX(name)                           \
    typedef s3_lock_in_t s3_##name##_in_t; \
    typedef s3_lock_out_t s3_##name##_out_t;
XX(get_object_lock_configuration)
XX(put_object_lock_configuration)
XX(put_object_retention)
XX(get_object_retention)
XX(put_object_legal_hold)
XX(get_object_legal_hold)
#undef XX

/* ---- parsers of untrusted text (pure: fuzzed by s3_lock_fuzz) ---- */

/** An ISO 8601 date-time ("2030-01-02T03:04:05.678Z", "+hh:mm" offsets, a bare date) in ms
 * since the epoch, years 1970 to 9999. */
bool s3_lock_date(kv_slice_t v, int64_t *ms);
/** An ObjectLockConfiguration body. API_E_NONE, or the error with *msg (NULL: its default). */
api_err_t s3_lock_conf_parse(kv_arena_t *a, kv_slice_t xml, s3_lock_conf_t *out, const char **msg);
/** The configuration as S3 returns it (and as it is stored in ENG_BDOC_OBJECT_LOCK). */
void s3_lock_conf_xml(const s3_lock_conf_t *c, kv_buf_t *out);
/** A Retention body: mode and date, or neither (mode NONE: remove the retention). */
api_err_t s3_lock_retention_parse(kv_arena_t *a, kv_slice_t xml, eng_lock_mode_t *mode,
                                  int64_t *until_ms, const char **msg);
/** A LegalHold body (Status ON or OFF). */
api_err_t s3_lock_hold_parse(kv_arena_t *a, kv_slice_t xml, bool *on, const char **msg);
/** The retain-until a default retention gives a version written at now_ms. */
int64_t s3_lock_default_until(const s3_lock_conf_t *c, int64_t now_ms);

/* ---- hooks into the other S3 operations (s3_lock.c) ---- */

/** CreateBucket: x-amz-bucket-object-lock-enabled: true turns versioning on and stores the
 * (rule-less) configuration in b. -1 with the error set. */
int s3_lock_create_bucket(api_req_t *req, api_resp_t *resp, eng_bucket_t *b);
/** PutBucketVersioning: Object Lock refuses anything but Enabled (InvalidBucketState, -1);
 * also the answer to the engine's KV_ELOCKED for a change that raced with it. */
int s3_lock_versioning_check(api_resp_t *resp, const eng_bucket_t *b, eng_versioning_t state);
/**
 * A new version's lock (PutObject, CopyObject, CreateMultipartUpload, POST Object): the
 * x-amz-object-lock-* headers, validated against b, into o (its previous lock fields
 * cleared); without retention headers, b's default retention when with_default. -1 with the
 * error set.
 */
int s3_lock_for_write(api_req_t *req, api_resp_t *resp, const eng_bucket_t *b, eng_object_t *o,
                      bool with_default);
/** POST Object: the same from the form's x-amz-object-lock-* fields (always with the default). */
int s3_lock_for_post(api_req_t *req, api_resp_t *resp, const eng_bucket_t *b, eng_object_t *o,
                     kv_slice_t mode, kv_slice_t until, kv_slice_t hold);
/** CompleteMultipartUpload: b's default retention for an upload created without one. */
void s3_lock_default(const eng_bucket_t *b, eng_object_t *o);
/** PutObject before its body: the lock (s3_lock_for_write), which needs Content-MD5 or a
 * checksum when the headers ask for one, kept in the request state. -1 with the error set. */
int s3_lock_put_begin(api_req_t *req, api_resp_t *resp, const eng_bucket_t *b);
/** PutObject after its body: the lock s3_lock_put_begin decided, into o. */
void s3_lock_put_apply(const api_req_t *req, eng_object_t *o);
/** x-amz-bypass-governance-retention: true, and the principal may s3:BypassGovernanceRetention
 * on the request's object (key; the root may). */
bool s3_lock_bypass(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t key);
/** S3's refusal of a change to a version Object Lock protects (403 AccessDenied). -1. */
int s3_lock_refused(api_resp_t *resp);
/** GetObject/HeadObject: the x-amz-object-lock-* headers of o, for a principal allowed
 * s3:GetObjectRetention (mode, date) and s3:GetObjectLegalHold (hold), as S3 shows them. */
void s3_lock_headers_out(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_object_t *o);
/** Does the lifecycle job leave version o alone (Object Lock protects it at now_ms)? */
bool s3_lock_keeps(const eng_object_t *o, int64_t now_ms);

struct s3_azq;
/** Condition keys of the Object Lock operations (s3:object-lock-*), from their input. */
void s3_lock_azq(api_req_t *req, int op, const s3_lock_in_t *in, struct s3_azq *q);

#endif
