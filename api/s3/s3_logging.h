/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16, package G: server access logging (typed inputs and outputs, internal interface).
 * s3_logging.c: Put/GetBucketLogging, the BucketLoggingStatus parser and the stored form.
 * s3_alog.c: one record per request to a bucket with logging on (S3's access-log line),
 * journaled when the response is done (eng_alog.h), and the job that delivers each source
 * bucket's records as objects of its target bucket every flush interval.
 */
#ifndef S3_LOGGING_H
#define S3_LOGGING_H

#include <stdbool.h>
#include <stdint.h>

#include "../api.h"
#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"

#define S3_LOG_GRANTS_MAX 100 /* TargetGrants' Grant elements */
#define S3_LOG_PREFIX_MAX 512 /* TargetPrefix bytes (its keys stay under 1024 bytes) */

/** TargetObjectKeyFormat. */
typedef enum s3_logfmt {
    S3_LOGFMT_DEFAULT = 0, /* none given: simple keys, and GetBucketLogging shows none */
    S3_LOGFMT_SIMPLE,      /* SimplePrefix */
    S3_LOGFMT_EVENT,       /* PartitionedPrefix, PartitionDateSource EventTime */
    S3_LOGFMT_DELIVERY,    /* PartitionedPrefix, PartitionDateSource DeliveryTime */
} s3_logfmt_t;

/** A bucket's logging status (slices in the arena that parsed or decoded it). */
typedef struct s3_logging {
    bool enabled; /* LoggingEnabled present */
    kv_slice_t target, prefix;
    s3_logfmt_t fmt;
    kv_slice_t grants; /* TargetGrants' Grant elements as S3 returns them (XML); empty: none */
    size_t n_grants;
} s3_logging_t;

typedef struct s3_logging_in {
    kv_slice_t bucket;
    s3_logging_t cfg; /* PutBucketLogging */
} s3_logging_in_t;
typedef struct s3_logging_out {
    s3_logging_t cfg; /* GetBucketLogging */
} s3_logging_out_t;
typedef s3_logging_in_t s3_put_bucket_logging_in_t;
typedef s3_logging_in_t s3_get_bucket_logging_in_t;
typedef s3_logging_out_t s3_put_bucket_logging_out_t;
typedef s3_logging_out_t s3_get_bucket_logging_out_t;

/**
 * Parse a BucketLoggingStatus document (PutBucketLogging's body) into out (slices in a).
 * An empty BucketLoggingStatus disables logging. @return 0, or -1 for MalformedXML (bad XML,
 * a wrong root or element, a missing TargetBucket or TargetPrefix, a bad grant or permission,
 * more than S3_LOG_GRANTS_MAX grants, a prefix over S3_LOG_PREFIX_MAX bytes).
 */
int s3_logging_parse(kv_arena_t *a, kv_slice_t xml, s3_logging_t *out);
/** The stored form of an enabled status (ENG_BDOC_LOGGING's value), appended to out. */
void s3_logging_encode(const s3_logging_t *c, kv_buf_t *out);
/** Read a stored form (slices borrow from doc); an empty doc is logging off.
 * @return 0, or -1 when it is not one. */
int s3_logging_decode(kv_slice_t doc, s3_logging_t *out);
/** GetBucketLogging's document for c, appended to out. */
void s3_logging_xml(const s3_logging_t *c, kv_buf_t *out);

/* ---- records (s3_alog.c) ---- */

/** The facts of one request that its access-log line shows ("-" for what is absent: an empty
 * slice, a negative number). */
typedef struct s3_alog_fields {
    kv_slice_t owner;     /* bucket owner's canonical id */
    kv_slice_t bucket;    /* source bucket */
    int64_t time_ms;      /* when the request was received */
    kv_slice_t remote_ip; /* the client address */
    kv_slice_t requester; /* IAM ARN of the signer; empty: anonymous */
    kv_slice_t request_id;
    kv_slice_t operation;                 /* "REST.GET.OBJECT" */
    kv_slice_t key;                       /* raw (decoded) object key; URL-encoded in the line */
    kv_slice_t method, uri, http_version; /* "GET", the raw request-URI, "HTTP/1.1" */
    int status;
    kv_slice_t error_code;
    int64_t bytes_sent, object_size, total_ms, turnaround_ms;
    kv_slice_t referer, user_agent, version_id, host_id;
    kv_slice_t sig_version, cipher, auth_type, host, tls_version;
    kv_slice_t access_point_arn;
    bool acl_required; /* "Yes" */
    bool has_acl_required;
} s3_alog_fields_t;

/** Append f as one S3 server access log line (no newline). Fields are quoted, escaped and
 * bounded as S3 writes them: a quoted field's '"' and '\\' are escaped, control bytes (and an
 * unquoted field's spaces) become \\xHH, and each field is cut where its escaped text would
 * pass S3_ALOG_FIELD_MAX bytes, so a line stays under ENG_ALOG_LINE_MAX. */
void s3_alog_format(const s3_alog_fields_t *f, kv_buf_t *out);
#define S3_ALOG_FIELD_MAX 2048

/** The operation name of an S3 operation row as the log shows it ("REST.PUT.OBJECT"), into
 * buf. */
void s3_alog_operation(int op, kv_slice_t method, char *buf, size_t cap);

/** The S3 key of a log object: `prefix` then, for partitioned formats,
 * "<account>/<region>/<source>/YYYY/mm/DD/", then "YYYY-mm-DD-HH-MM-SS-<unique>". The date of a
 * partitioned key is at_ms's; the time is name_ms's. */
void s3_alog_key(const s3_logging_t *c, kv_slice_t account, kv_slice_t region, kv_slice_t source,
                 int64_t at_ms, int64_t name_ms, uint64_t unique, kv_buf_t *out);

struct s3_alog;
/** Set up and release the access-log state (s3_init, s3_fini). */
struct s3_alog *s3_alog_new(api_ctx_t *ctx);
void s3_alog_free(struct s3_alog *l);
/** A bucket's logging status was stored (on or off): requests start or stop being logged. */
void s3_alog_changed(api_ctx_t *ctx);
/** The service's done hook: journal the record of a finished request to a bucket with
 * logging on. Loop or worker thread. */
void s3_alog_done(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint64_t bytes_out);
/** The delivery job's step (api_job_t.run, job "s3-access-logs"). */
int s3_alog_run(api_ctx_t *ctx, void *state, unsigned budget);
/** Lines at most per log object, and journaled records at most per source bucket (more are
 * dropped and counted). */
#define S3_ALOG_OBJ_LINES   10000
#define S3_ALOG_OBJ_BYTES   (8u << 20)
#define S3_ALOG_PENDING_MAX 200000
#define S3_ALOG_FLUSH_MS    60000 /* the default flush interval (--access-log-flush) */
#define S3_ALOG_JOB         "s3-access-logs"

#endif
