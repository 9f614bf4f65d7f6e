/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's exports to S3 (issue 17, package E): ExportTableToPointInTime, DescribeExport,
 * ListExports, and the job that writes an export into a Stratus bucket as DynamoDB writes it:
 * <S3Prefix>/AWSDynamoDB/<ExportId>/ holding _started, data/<name>.json.gz (or .ion.gz) files,
 * manifest-files.json (one line per data file: itemCount, md5Checksum, etag, dataFileS3Key),
 * manifest-summary.json, and the .md5 file (base64 MD5) of each manifest.
 *
 * An export is a record (eng_ddbio, key 'X' + export id; its value the JSON below) that the job
 * advances in bounded steps: first the table is staged as it was at the export time (the PITR
 * log undone, eng_export_stage) under an id no table names; then each step writes one data file
 * of at most EXP_FILE_ITEMS items from the staged items after the record's cursor and stores
 * the new cursor; the last step writes the manifests, marks the export COMPLETED and drops the
 * staged range. A data file's name is derived from the export id and its number, so a step
 * redone after a crash rewrites the same object: after kill -9 the export continues where its
 * record says and ends with exactly the table's items. An incremental export stages the table at
 * ExportToTime and the keys changed in its window (each with its last write time), and writes
 * for each changed key its Keys, NewImage (absent: deleted) and, with NEW_AND_OLD_IMAGES, the
 * OldImage (the item as it was at ExportFromTime).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../api_arn.h"
#include "../auth/api_cksum.h"
#include "../authz/api_authz.h"
#include "../crypto/api_seal.h"
#include "../kms/api_kms.h"
#include "../s3/s3_sse.h"
#include "base/kv_aead.h"
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "ddb_int.h"
#include "ddb_ion.h"

#define EXP_FILE_ITEMS 10000               /* items per data file at most */
#define EXP_FILE_BYTES (8u << 20)          /* and about this many bytes of stored items */
#define EXP_TOKEN_MS   (8LL * 3600 * 1000) /* a ClientToken is remembered 8 hours */
#define EXP_PITR_DAYS  35

static const char *const FORMATS[] = {"DYNAMODB_JSON", "ION"};
static const char *const TYPES[] = {"", "FULL_EXPORT", "INCREMENTAL_EXPORT"};
static const char *const VIEWS[] = {"NEW_AND_OLD_IMAGES", "NEW_IMAGE"};

/* ---- the record ---- */

static void rec_key(kv_buf_t *k, kv_slice_t id)
{
    kv_buf_append_byte(k, 'X');
    kv_buf_append_slice(k, id);
}

static void ki64(api_jw_t *w, const char *k, int64_t v)
{
    api_jw_key(w, k);
    api_jw_i64(w, v);
}

static void rec_encode(const ddb_export_t *x, kv_buf_t *out)
{
    api_jw_t w;
    api_jw_init(&w, out);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "id", x->id);
    api_jw_kstr(&w, "table", x->table);
    api_jw_kstr(&w, "table_id", x->table_id);
    api_jw_kstr(&w, "bucket", x->bucket);
    ddb_s3io_kstr_opt(&w, "owner", x->owner);
    ddb_s3io_kstr_opt(&w, "prefix", x->prefix);
    ddb_s3io_kstr_opt(&w, "sse", x->sse);
    ddb_s3io_kstr_opt(&w, "kms", x->kms);
    api_jw_kstr(&w, "token", x->token);
    ki64(&w, "format", x->format);
    ki64(&w, "type", x->type);
    ki64(&w, "view", x->view);
    ki64(&w, "export_ms", x->export_ms);
    ki64(&w, "from_ms", x->from_ms);
    ki64(&w, "to_ms", x->to_ms);
    ki64(&w, "start_ms", x->start_ms);
    ki64(&w, "end_ms", x->end_ms);
    api_jw_kstr(&w, "status", x->status);
    ddb_s3io_kstr_opt(&w, "fail_code", x->fail_code);
    ddb_s3io_kstr_opt(&w, "fail_msg", x->fail_msg);
    api_jw_ku64(&w, "items", x->items);
    api_jw_ku64(&w, "billed", x->billed);
    api_jw_ku64(&w, "files", x->files);
    api_jw_ku64(&w, "stage", x->stage);
    api_jw_ku64(&w, "stage2", x->stage2);
    api_jw_ku64(&w, "stage3", x->stage3);
    ki64(&w, "phase", x->phase);
    api_jw_kbool(&w, "s3_denied", x->s3_denied);
    ddb_s3io_kstr_opt(&w, "kms_arn", x->kms_arn);
    ddb_s3io_kstr_opt(&w, "kms_blob", x->kms_blob);
    ddb_s3io_kstr_opt(&w, "kms_dk", x->kms_dk);
    api_jw_ku64(&w, "hash", x->hash);
    kv_buf_t b64;
    kv_buf_init(&b64, 8192);
    kv_b64_encode(&b64, x->after.p, x->after.len);
    api_jw_key(&w, "after");
    api_jw_str(&w, kv_buf_slice(&b64));
    kv_buf_dispose(&b64);
    api_jw_obj_end(&w);
}

static int rec_decode(kv_arena_t *a, kv_slice_t val, ddb_export_t *x)
{
    api_json_t *o;
    const char *err;
    memset(x, 0, sizeof(*x));
    if (api_json_parse(a, val, &o, &err) < 0 || api_json_type(o) != API_J_OBJ)
        return KV_ECORRUPT;
    const char *id = ddb_s3io_jstr(a, o, "id");
    if (id == NULL || strlen(id) >= sizeof(x->id))
        return KV_ECORRUPT;
    memcpy(x->id, id, strlen(id) + 1);
    x->table = ddb_s3io_jstr(a, o, "table");
    x->table_id = ddb_s3io_jstr(a, o, "table_id");
    x->bucket = ddb_s3io_jstr(a, o, "bucket");
    x->owner = ddb_s3io_jstr(a, o, "owner");
    x->prefix = ddb_s3io_jstr(a, o, "prefix");
    x->sse = ddb_s3io_jstr(a, o, "sse");
    x->kms = ddb_s3io_jstr(a, o, "kms");
    x->token = ddb_s3io_jstr(a, o, "token");
    x->status = ddb_s3io_jstr(a, o, "status");
    x->fail_code = ddb_s3io_jstr(a, o, "fail_code");
    x->fail_msg = ddb_s3io_jstr(a, o, "fail_msg");
    if (!x->table || !x->table_id || !x->bucket || !x->token || !x->status)
        return KV_ECORRUPT;
    int64_t type = ddb_s3io_jint(o, "type");
    x->format = (int)(ddb_s3io_jint(o, "format") & 1);
    x->type = type >= 0 && type <= 2 ? (int)type : 1;
    x->view = (int)(ddb_s3io_jint(o, "view") & 1);
    x->export_ms = ddb_s3io_jint(o, "export_ms");
    x->from_ms = ddb_s3io_jint(o, "from_ms");
    x->to_ms = ddb_s3io_jint(o, "to_ms");
    x->start_ms = ddb_s3io_jint(o, "start_ms");
    x->end_ms = ddb_s3io_jint(o, "end_ms");
    x->items = (uint64_t)ddb_s3io_jint(o, "items");
    x->billed = (uint64_t)ddb_s3io_jint(o, "billed");
    x->files = (uint64_t)ddb_s3io_jint(o, "files");
    x->stage = (uint32_t)ddb_s3io_jint(o, "stage");
    x->stage2 = (uint32_t)ddb_s3io_jint(o, "stage2");
    x->stage3 = (uint32_t)ddb_s3io_jint(o, "stage3");
    x->phase = (int)ddb_s3io_jint(o, "phase");
    const api_json_t *den = api_json_get(o, "s3_denied");
    x->s3_denied = den && api_json_type(den) == API_J_BOOL && api_json_bool(den);
    x->kms_arn = ddb_s3io_jstr(a, o, "kms_arn");
    x->kms_blob = ddb_s3io_jstr(a, o, "kms_blob");
    x->kms_dk = ddb_s3io_jstr(a, o, "kms_dk");
    x->hash = (uint64_t)ddb_s3io_jint(o, "hash");
    const char *after = ddb_s3io_jstr(a, o, "after");
    if (after && after[0]) {
        kv_buf_t raw;
        kv_buf_init(&raw, 8192);
        if (kv_b64_decode(&raw, kv_slice_str(after)))
            x->after = kv_arena_dup(a, kv_buf_slice(&raw));
        kv_buf_dispose(&raw);
    }
    return 0;
}

static int rec_get(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t id, ddb_export_t *x)
{
    kv_buf_t k;
    kv_buf_init(&k, ENG_DDBIO_KEY_MAX);
    rec_key(&k, id);
    kv_slice_t val;
    int rc = eng_ddbio_get(ctx->eng, kv_buf_slice(&k), a, &val);
    kv_buf_dispose(&k);
    return rc < 0 ? rc : rec_decode(a, val, x);
}

static int rec_put(api_ctx_t *ctx, const ddb_export_t *x)
{
    kv_buf_t k, v;
    kv_buf_init(&k, ENG_DDBIO_KEY_MAX);
    kv_buf_init(&v, ENG_DDBIO_VAL_MAX);
    rec_key(&k, kv_slice_str(x->id));
    rec_encode(x, &v);
    int rc = KV_ETOOBIG;
    if (!kv_buf_failed(&k) && !kv_buf_failed(&v)) {
        eng_cat_op_t op = {.key = kv_buf_slice(&k), .val = kv_buf_slice(&v)};
        rc = eng_ddbio_write(ctx->eng, &op, 1);
    }
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

/* ---- ARNs and keys ---- */

static void export_arn(api_ctx_t *ctx, const ddb_export_t *x, char *out, size_t cap)
{
    api_arn_write(out, cap, "dynamodb", ctx->region, "table/%s/export/%s", x->table, x->id);
}

/* "<prefix>/AWSDynamoDB/<id>/<rest>" (no prefix: "AWSDynamoDB/<id>/<rest>"). */
static void object_key(const ddb_export_t *x, const char *rest, kv_buf_t *out)
{
    kv_buf_reset(out);
    if (x->prefix && x->prefix[0]) {
        kv_buf_append_str(out, x->prefix);
        if (x->prefix[strlen(x->prefix) - 1] != '/')
            kv_buf_append_byte(out, '/');
    }
    kv_buf_printf(out, "AWSDynamoDB/%s/%s", x->id, rest);
}

/* The n-th data file's name: 26 base32 letters from the export id and n (a redone step
 * writes the same object). */
static void data_name(const ddb_export_t *x, uint64_t n, char out[27])
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    uint64_t h1 = kv_xxh3(x->id, strlen(x->id)) ^ (n * 0x9e3779b97f4a7c15ull);
    uint64_t h2 = kv_xxh3(&h1, sizeof(h1)) + n;
    for (int i = 0; i < 26; i++) {
        uint64_t *h = i < 12 ? &h1 : &h2;
        out[i] = b32[*h & 31];
        *h >>= 5;
    }
    out[26] = 0;
}

/* ---- decoding ---- */

static int enum_of(kv_slice_t s, const char *const *vals, int n)
{
    for (int i = 0; i < n; i++)
        if (vals[i][0] && kv_slice_eq_str(s, vals[i]))
            return i;
    return -1;
}

#define CUT(s) (int)((s).len > 300 ? 300 : (s).len), (const char *)(s).p

static bool opt_time(ddb_dec_t *d, const api_json_t *o, const char *k, int64_t *ms)
{
    const api_json_t *v = api_json_get(o, k);
    double secs;
    if (v == NULL || api_json_type(v) == API_J_NULL)
        return false;
    if (!api_json_num(v, &secs)) {
        ddb_dec_serial(d, "Expected a timestamp (epoch seconds)");
        return false;
    }
    *ms = (int64_t)(secs * 1000.0);
    return true;
}

int ddb_decode_export_table_to_point_in_time(ddb_dec_t *d, const api_json_t *in,
                                             ddb_export_table_to_point_in_time_in_t *out)
{
    memset(out, 0, sizeof(*out));
    kv_slice_t s = KV_SLICE_NULL;
    if (!ddb_opt_str(d, in, "TableArn", &out->table_arn))
        ddb_dec_violation(d, "Value null at 'tableArn' failed to satisfy constraint: Member "
                             "must not be null");
    else if (out->table_arn.len < 1 || out->table_arn.len > 1024)
        ddb_dec_violation(d,
                          "Value '%.*s' at 'tableArn' failed to satisfy constraint: Member "
                          "must have length between 1 and 1024",
                          CUT(out->table_arn));
    out->has_time = opt_time(d, in, "ExportTime", &out->export_ms);
    if (ddb_opt_str(d, in, "ClientToken", &out->token) && out->token.len > 0 &&
        memchr(out->token.p, '$', out->token.len))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'clientToken' failed to satisfy constraint: Member "
                          "must satisfy regular expression pattern: ^[^\\$]+$",
                          CUT(out->token));
    if (!ddb_opt_str(d, in, "S3Bucket", &out->bucket))
        ddb_dec_violation(d, "Value null at 's3Bucket' failed to satisfy constraint: Member "
                             "must not be null");
    else if (out->bucket.len > 255)
        ddb_dec_violation(d,
                          "Value '%.*s' at 's3Bucket' failed to satisfy constraint: Member "
                          "must have length less than or equal to 255",
                          CUT(out->bucket));
    else if (!ddb_s3io_bucket_ok(out->bucket))
        ddb_dec_violation(d,
                          "Value '%.*s' at 's3Bucket' failed to satisfy constraint: Member "
                          "must satisfy regular expression pattern: "
                          "^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$",
                          CUT(out->bucket));
    if (ddb_opt_str(d, in, "S3BucketOwner", &out->owner)) {
        bool ok = out->owner.len == 12;
        for (size_t i = 0; ok && i < 12; i++)
            ok = out->owner.p[i] >= '0' && out->owner.p[i] <= '9';
        if (!ok)
            ddb_dec_violation(d,
                              "Value '%.*s' at 's3BucketOwner' failed to satisfy constraint: "
                              "Member must satisfy regular expression pattern: [0-9]{12}",
                              CUT(out->owner));
    }
    if (ddb_opt_str(d, in, "S3Prefix", &out->prefix) && out->prefix.len > 1024)
        ddb_dec_violation(d,
                          "Value '%.*s' at 's3Prefix' failed to satisfy constraint: Member "
                          "must have length less than or equal to 1024",
                          CUT(out->prefix));
    out->sse = -1;
    if (ddb_opt_str(d, in, "S3SseAlgorithm", &s)) {
        out->sse = kv_slice_eq_str(s, "AES256") ? 0 : kv_slice_eq_str(s, "KMS") ? 1 : -2;
        if (out->sse == -2)
            ddb_dec_violation(d,
                              "Value '%.*s' at 's3SseAlgorithm' failed to satisfy constraint: "
                              "Member must satisfy enum value set: [AES256, KMS]",
                              CUT(s));
    }
    if (ddb_opt_str(d, in, "S3SseKmsKeyId", &out->kms) && (out->kms.len < 1 || out->kms.len > 2048))
        ddb_dec_violation(d,
                          "Value '%.*s' at 's3SseKmsKeyId' failed to satisfy constraint: Member "
                          "must have length between 1 and 2048",
                          CUT(out->kms));
    if (ddb_opt_str(d, in, "ExportFormat", &s)) {
        out->format = enum_of(s, FORMATS, 2);
        if (out->format < 0)
            ddb_dec_violation(d,
                              "Value '%.*s' at 'exportFormat' failed to satisfy constraint: "
                              "Member must satisfy enum value set: [DYNAMODB_JSON, ION]",
                              CUT(s));
    }
    if (ddb_opt_str(d, in, "ExportType", &s)) {
        out->type = enum_of(s, TYPES, 3);
        if (out->type < 0)
            ddb_dec_violation(d,
                              "Value '%.*s' at 'exportType' failed to satisfy constraint: "
                              "Member must satisfy enum value set: [FULL_EXPORT, "
                              "INCREMENTAL_EXPORT]",
                              CUT(s));
    }
    const api_json_t *spec = ddb_opt_kind(d, in, "IncrementalExportSpecification", API_J_OBJ);
    if (spec) {
        out->has_spec = true;
        out->has_from = opt_time(d, spec, "ExportFromTime", &out->from_ms);
        out->has_to = opt_time(d, spec, "ExportToTime", &out->to_ms);
        if (ddb_opt_str(d, spec, "ExportViewType", &s)) {
            out->view = enum_of(s, VIEWS, 2);
            if (out->view < 0)
                ddb_dec_violation(d,
                                  "Value '%.*s' at 'incrementalExportSpecification."
                                  "exportViewType' failed to satisfy constraint: Member must "
                                  "satisfy enum value set: [NEW_AND_OLD_IMAGES, NEW_IMAGE]",
                                  CUT(s));
        }
    }
    if (ddb_dec_finish(d) < 0)
        return -1;
    /* The table's name from its ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME). */
    api_arn_t arn;
    kv_slice_t name;
    if (!api_arn_parse(out->table_arn, &arn) || !kv_slice_eq_str(arn.service, "dynamodb") ||
        !api_arn_after(&arn, "table/", &name) || name.len < 3 || name.len > 255 ||
        memchr(name.p, '/', name.len))
        return ddb_dec_fail(d, "Invalid TableArn: %.*s", CUT(out->table_arn));
    out->table = name;
    if (out->type == 2 && !out->has_spec)
        return ddb_dec_fail(d, "IncrementalExportSpecification must be provided for an "
                               "incremental export");
    if (out->type == 2 && out->has_time)
        return ddb_dec_fail(d, "ExportTime is not valid for an incremental export");
    if (out->type == 2 && !out->has_from)
        return ddb_dec_fail(d, "ExportFromTime must be provided for an incremental export");
    return 0;
}

/* arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/export/ID -> ID. */
static int decode_export_arn(ddb_dec_t *d, kv_slice_t arn, kv_slice_t *id)
{
    api_arn_t a;
    kv_slice_t rest;
    const uint8_t *mark = NULL;
    if (api_arn_parse(arn, &a) && kv_slice_eq_str(a.service, "dynamodb") &&
        api_arn_after(&a, "table/", &rest)) {
        static const char m[] = "/export/";
        for (size_t i = 0; i + sizeof(m) - 1 <= rest.len && !mark; i++)
            if (memcmp(rest.p + i, m, sizeof(m) - 1) == 0)
                mark = rest.p + i + sizeof(m) - 1;
        if (mark) {
            *id = kv_slice(mark, rest.len - (size_t)(mark - rest.p));
            bool ok = id->len == 23 && id->p[14] == '-';
            for (size_t j = 0; ok && j < id->len; j++)
                ok = j == 14 || (id->p[j] >= '0' && id->p[j] <= '9') ||
                     (j > 14 && id->p[j] >= 'a' && id->p[j] <= 'f');
            if (ok)
                return 0;
        }
    }
    return ddb_dec_fail(d, "Invalid Export ARN: %.*s", CUT(arn));
}

int ddb_decode_describe_export(ddb_dec_t *d, const api_json_t *in, ddb_describe_export_in_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!ddb_opt_str(d, in, "ExportArn", &out->arn))
        ddb_dec_violation(d, "Value null at 'exportArn' failed to satisfy constraint: Member "
                             "must not be null");
    else if (out->arn.len < 37 || out->arn.len > 1024)
        ddb_dec_violation(d,
                          "Value '%.*s' at 'exportArn' failed to satisfy constraint: Member "
                          "must have length between 37 and 1024",
                          CUT(out->arn));
    if (ddb_dec_finish(d) < 0)
        return -1;
    return decode_export_arn(d, out->arn, &out->id);
}

int ddb_decode_list_exports(ddb_dec_t *d, const api_json_t *in, ddb_list_exports_in_t *out)
{
    memset(out, 0, sizeof(*out));
    int64_t max = 25;
    if (ddb_opt_str(d, in, "TableArn", &out->table_arn) &&
        (out->table_arn.len < 1 || out->table_arn.len > 1024))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'tableArn' failed to satisfy constraint: Member "
                          "must have length between 1 and 1024",
                          CUT(out->table_arn));
    if (ddb_opt_int(d, in, "MaxResults", &max) && (max < 1 || max > 25))
        ddb_dec_violation(d,
                          "Value '%lld' at 'maxResults' failed to satisfy constraint: Member "
                          "must have value %s",
                          (long long)max,
                          max < 1 ? "greater than or equal to 1" : "less than or equal to 25");
    out->max = (size_t)(max < 1 ? 1 : max > 25 ? 25 : max);
    ddb_opt_str(d, in, "NextToken", &out->next);
    if (ddb_dec_finish(d) < 0)
        return -1;
    if (out->table_arn.len) {
        api_arn_t arn;
        kv_slice_t name;
        if (!api_arn_parse(out->table_arn, &arn) || !kv_slice_eq_str(arn.service, "dynamodb") ||
            !api_arn_after(&arn, "table/", &name) || name.len == 0)
            return ddb_dec_fail(d, "Invalid TableArn: %.*s", CUT(out->table_arn));
        out->table = name;
    }
    if (out->next.len) {
        /* NextToken: base64 of the last export ARN listed */
        kv_buf_t raw;
        kv_buf_init(&raw, 2048);
        bool ok =
            kv_b64_decode(&raw, out->next) && kv_slice_starts_with(kv_buf_slice(&raw), "arn:");
        kv_buf_dispose(&raw);
        if (!ok)
            return ddb_dec_fail(d, "Invalid NextToken");
    }
    return 0;
}

/* ---- authorization ---- */

int ddb_authz_export_table_to_point_in_time(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                            ddb_export_table_to_point_in_time_in_t *in)
{
    kv_arena_t *a = req->arena;
    const char *tarn = api_arn_new(a, "dynamodb", ctx->region, "table/%.*s", (int)in->table.len,
                                   (const char *)in->table.p);
    api_authz_t q = {.action = "dynamodb:ExportTableToPointInTime", .resource = kv_slice_str(tarn)};
    if (api_authorize(ctx, req, resp, &q) != 0)
        return -1;
    /* DynamoDB writes the export's objects with the caller's permissions: without
     * s3:PutObject on the destination the export starts and then fails (S3AccessDenied), as
     * it does in AWS, where the S3 request is made on the caller's behalf. */
    bool slash = in->prefix.len && in->prefix.p[in->prefix.len - 1] != '/';
    const char *obj =
        kv_arena_printf(a, "arn:aws:s3:::%.*s/%.*s%sAWSDynamoDB/*", (int)in->bucket.len,
                        (const char *)in->bucket.p, (int)in->prefix.len, (const char *)in->prefix.p,
                        slash ? "/" : ""); /* the objects object_key() names */
    api_authz_t p = {
        .action = "s3:PutObject", .resource = kv_slice_str(obj), .flags = API_AZ_QUIET};
    in->s3_denied = api_authorize(ctx, req, resp, &p) != 0;
    return 0;
}

int ddb_authz_describe_export(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              ddb_describe_export_in_t *in)
{
    /* The export's own ARN (built from its record, so another table's name cannot borrow
     * that table's permissions), else the ARN given. */
    kv_slice_t arn = in->arn;
    ddb_export_t x;
    if (rec_get(ctx, req->arena, in->id, &x) == 0) {
        char *s = kv_arena_alloc(req->arena, 700);
        export_arn(ctx, &x, s, 700);
        arn = kv_slice_str(s);
    }
    api_authz_t q = {.action = "dynamodb:DescribeExport", .resource = arn};
    return api_authorize(ctx, req, resp, &q) == 0 ? 0 : -1;
}

int ddb_authz_list_exports(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           ddb_list_exports_in_t *in)
{
    (void)in;
    api_authz_t q = {.action = "dynamodb:ListExports", .resource = KV_SLICE_LIT("*")};
    return api_authorize(ctx, req, resp, &q) == 0 ? 0 : -1;
}

/* ---- execution ---- */

typedef struct scan_tok {
    kv_arena_t *a;
    kv_slice_t token;
    int64_t since_ms;
    ddb_export_t *found;
} scan_tok_t;

static int take_token(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    scan_tok_t *s = arg;
    (void)suffix;
    ddb_export_t x;
    if (rec_decode(s->a, val, &x) < 0)
        return 0;
    if (x.start_ms >= s->since_ms && kv_slice_eq_str(s->token, x.token)) {
        s->found = kv_arena_alloc(s->a, sizeof(*s->found));
        *s->found = x;
        return 1;
    }
    return 0;
}

/* The parameters a ClientToken binds (its export's hash). */
static uint64_t params_hash(const ddb_export_table_to_point_in_time_in_t *in)
{
    kv_buf_t b;
    kv_buf_init(&b, 8192);
    kv_buf_printf(&b, "%.*s|%.*s|%.*s|%.*s|%d|%.*s|%d|%d|%d|%lld|%lld|%lld|%d|%d",
                  (int)in->table_arn.len, (const char *)in->table_arn.p, (int)in->bucket.len,
                  (const char *)in->bucket.p, (int)in->owner.len, (const char *)in->owner.p,
                  (int)in->prefix.len, (const char *)in->prefix.p, in->sse, (int)in->kms.len,
                  (const char *)in->kms.p, in->format, in->type, in->view,
                  (long long)(in->has_time ? in->export_ms : -1),
                  (long long)(in->has_from ? in->from_ms : -1),
                  (long long)(in->has_to ? in->to_ms : -1), in->has_spec, in->has_time);
    uint64_t h = kv_xxh3(b.p, b.len);
    kv_buf_dispose(&b);
    return h & 0x7fffffffffffffffull; /* stored as a JSON integer */
}

/* DynamoDB's minute in ms: 60000, or STRATUS_DDB_EXPORT_MINUTE_MS (tests: an incremental
 * export's window is 15 to 1440 of them). */
static int64_t export_minute_ms(void)
{
    const char *s = getenv("STRATUS_DDB_EXPORT_MINUTE_MS");
    long long v = s ? strtoll(s, NULL, 10) : 0;
    return v >= 1 && v <= 60000 ? v : 60000;
}

int ddb_exec_export_table_to_point_in_time(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                           const ddb_export_table_to_point_in_time_in_t *in,
                                           ddb_export_table_to_point_in_time_out_t *out)
{
    kv_arena_t *a = req->arena;
    int64_t now = kv_now_ms();
    uint64_t hash = params_hash(in);
    if (in->token.len) {
        scan_tok_t s = {a, in->token, now - EXP_TOKEN_MS, NULL};
        int rc = eng_ddbio_scan(ctx->eng, KV_SLICE_LIT("X"), KV_SLICE_NULL, 0, take_token, &s);
        if (rc < 0)
            return ddb_engine_fail(resp, rc);
        if (s.found) {
            if (s.found->hash != hash) {
                api_fail(resp, API_E_DDB_EXPORT_CONFLICT,
                         "Duplicate request detected with different parameters for client "
                         "token %.*s",
                         (int)in->token.len, (const char *)in->token.p);
                return -1;
            }
            out->x = s.found;
            return 0;
        }
    }
    eng_table_t *t;
    int rc = eng_table_get(ctx->eng, in->table, a, &t);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_TABLE_NOT_FOUND, "Table not found: %.*s", (int)in->table.len,
                 (const char *)in->table.p);
        return -1;
    }
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    if (!t->pitr) {
        api_fail(resp, API_E_DDB_PITR_UNAVAILABLE,
                 "Point in time recovery is not enabled for table '%s'", t->name);
        return -1;
    }
    int64_t earliest = t->pitr_since_ms;
    if (earliest < now - EXP_PITR_DAYS * 86400LL * 1000)
        earliest = now - EXP_PITR_DAYS * 86400LL * 1000;
    ddb_export_t *x = kv_arena_calloc(a, 1, sizeof(*x));
    x->export_ms = in->has_time ? in->export_ms : now;
    if (in->type == 2) {
        x->from_ms = in->from_ms;
        x->to_ms = in->has_to ? in->to_ms : now;
        if (x->to_ms - x->from_ms < 15 * export_minute_ms()) {
            api_fail(resp, API_E_DDB_INVALID_EXPORT_TIME,
                     "Difference between export period from time and export period to time "
                     "should be at least 15 minutes");
            return -1;
        }
        if (x->to_ms - x->from_ms > 1440 * export_minute_ms()) {
            api_fail(resp, API_E_DDB_INVALID_EXPORT_TIME,
                     "Difference between export period from time and export period to time "
                     "should not exceed 24 hours");
            return -1;
        }
        if (x->from_ms < earliest || x->to_ms > now) {
            api_fail(resp, API_E_DDB_INVALID_EXPORT_TIME,
                     "Export period must be between %lld and %lld", (long long)(earliest / 1000),
                     (long long)(now / 1000));
            return -1;
        }
        x->export_ms = x->to_ms;
    } else if (x->export_ms < earliest || x->export_ms > now) {
        api_fail(resp, API_E_DDB_INVALID_EXPORT_TIME,
                 "Invalid export time specified: ExportTime must be between %lld and %lld",
                 (long long)(earliest / 1000), (long long)(now / 1000));
        return -1;
    }
    uint8_t rnd[4];
    kv_random(rnd, sizeof(rnd));
    snprintf(x->id, sizeof(x->id), "%014lld-%02x%02x%02x%02x", (long long)now, rnd[0], rnd[1],
             rnd[2], rnd[3]);
    x->table = t->name;
    x->table_id = kv_arena_strndup(a, t->uuid, strlen(t->uuid));
    x->bucket = kv_arena_strndup(a, in->bucket.p, in->bucket.len);
    x->owner = in->owner.len ? kv_arena_strndup(a, in->owner.p, in->owner.len) : NULL;
    x->prefix = in->prefix.len ? kv_arena_strndup(a, in->prefix.p, in->prefix.len) : NULL;
    x->sse = in->sse == 0 ? "AES256" : in->sse == 1 ? "KMS" : NULL;
    x->kms = in->kms.len ? kv_arena_strndup(a, in->kms.p, in->kms.len) : NULL;
    if (in->token.len) {
        x->token = kv_arena_strndup(a, in->token.p, in->token.len);
    } else {
        uint8_t u[16];
        kv_random(u, sizeof(u));
        u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
        u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
        x->token = kv_arena_printf(
            a, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
            u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
            u[15]);
    }
    if (in->sse == 1) {
        /* SSE-KMS: one data key for the export's objects, under the bucket's ARN as context (a
         * bucket key), asked of KMS now with the caller's permissions; the job keeps it sealed
         * under the server's master key in the export's record. */
        uint8_t dk[API_KMS_DATA_KEY_LEN];
        kv_buf_t blob, b64, sealed;
        kv_buf_init(&blob, 4096);
        kv_buf_init(&b64, 8192);
        kv_buf_init(&sealed, API_KMS_DATA_KEY_LEN + API_SEAL_OVERHEAD);
        const char *karn = NULL;
        rc = api_kms_generate(ctx, req, resp, "s3", x->kms, s3_sse_bucket_context(a, in->bucket),
                              dk, &blob, &karn);
        if (rc == 0) {
            api_seal(ctx, KV_SLICE_LIT("ddb-export-kms"), kv_slice(dk, sizeof(dk)), &sealed);
            kv_b64_encode(&b64, blob.p, blob.len);
            x->kms_blob = kv_arena_strndup(a, b64.p, b64.len);
            kv_buf_reset(&b64);
            kv_b64_encode(&b64, sealed.p, sealed.len);
            x->kms_dk = kv_arena_strndup(a, b64.p, b64.len);
            x->kms_arn = karn;
        }
        kv_wipe(dk, sizeof(dk));
        kv_buf_dispose(&blob);
        kv_buf_dispose(&b64);
        kv_buf_dispose(&sealed);
        if (rc < 0)
            return -1;
    }
    x->format = in->format;
    x->type = in->type;
    x->view = in->view;
    x->start_ms = now;
    x->status = "IN_PROGRESS";
    x->s3_denied = in->s3_denied;
    x->hash = hash;
    rc = rec_put(ctx, x);
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    atomic_store(&ddb_state(ctx)->exp_pending, true);
    api_sched_kick(ctx, "ddb-export");
    resp->durable = true;
    out->x = x;
    return 0;
}

int ddb_exec_describe_export(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             const ddb_describe_export_in_t *in, ddb_describe_export_out_t *out)
{
    ddb_export_t *x = kv_arena_alloc(req->arena, sizeof(*x));
    int rc = rec_get(ctx, req->arena, in->id, x);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_EXPORT_NOT_FOUND, "Export not found: %.*s", CUT(in->arn));
        return -1;
    }
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    out->x = x;
    return 0;
}

typedef struct list_acc {
    api_ctx_t *ctx;
    kv_arena_t *a;
    kv_slice_t table;
    ddb_export_t *all;
    char **arns;
    size_t n, cap;
} list_acc_t;

static int take_list(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    list_acc_t *l = arg;
    (void)suffix;
    ddb_export_t x;
    if (rec_decode(l->a, val, &x) < 0)
        return 0;
    if (l->table.len && !kv_slice_eq_str(l->table, x.table))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        ddb_export_t *all = kv_arena_alloc(l->a, cap * sizeof(*all));
        char **arns = kv_arena_alloc(l->a, cap * sizeof(*arns));
        if (l->n) {
            memcpy(all, l->all, l->n * sizeof(*all));
            memcpy(arns, l->arns, l->n * sizeof(*arns));
        }
        l->all = all, l->arns = arns, l->cap = cap;
    }
    l->arns[l->n] = kv_arena_alloc(l->a, 700);
    export_arn(l->ctx, &x, l->arns[l->n], 700);
    l->all[l->n++] = x;
    return 0;
}

typedef struct arn_ix {
    const char *arn;
    size_t i;
} arn_ix_t;

static int arn_cmp(const void *a, const void *b)
{
    return strcmp(((const arn_ix_t *)a)->arn, ((const arn_ix_t *)b)->arn);
}

int ddb_exec_list_exports(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const ddb_list_exports_in_t *in, ddb_list_exports_out_t *out)
{
    /* Every export (of the table), in ARN order (as DynamoDB lists them); NextToken is the
     * base64 of the last ARN listed. O(n log n) in the exports kept. */
    list_acc_t l = {ctx, req->arena, in->table, NULL, NULL, 0, 0};
    int rc = eng_ddbio_scan(ctx->eng, KV_SLICE_LIT("X"), KV_SLICE_NULL, 0, take_list, &l);
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    arn_ix_t *ix = kv_arena_alloc(req->arena, (l.n + 1) * sizeof(*ix));
    for (size_t i = 0; i < l.n; i++)
        ix[i] = (arn_ix_t){l.arns[i], i};
    qsort(ix, l.n, sizeof(*ix), arn_cmp);
    kv_buf_t after;
    kv_buf_init(&after, 2048);
    if (in->next.len)
        kv_b64_decode(&after, in->next);
    kv_buf_append_byte(&after, 0);
    const char *from = (const char *)after.p;
    out->list = kv_arena_calloc(req->arena, in->max + 1, sizeof(*out->list));
    for (size_t i = 0; i < l.n; i++) {
        if (from[0] && strcmp(ix[i].arn, from) <= 0)
            continue;
        if (out->n == in->max) {
            out->more = true;
            break;
        }
        out->list[out->n++] = l.all[ix[i].i];
    }
    kv_buf_dispose(&after);
    return 0;
}

/* ---- encoding ---- */

static void encode_description(api_ctx_t *ctx, const ddb_export_t *x, api_jw_t *w)
{
    char arn[700];
    api_jw_obj_begin(w);
    export_arn(ctx, x, arn, sizeof(arn));
    api_jw_kstr(w, "ExportArn", arn);
    api_jw_kstr(w, "ExportStatus", x->status);
    api_jw_key(w, "StartTime");
    api_jw_epoch_ms(w, x->start_ms);
    if (x->end_ms) {
        api_jw_key(w, "EndTime");
        api_jw_epoch_ms(w, x->end_ms);
    }
    if (strcmp(x->status, "COMPLETED") == 0) {
        kv_buf_t k;
        kv_buf_init(&k, 4096);
        object_key(x, "manifest-summary.json", &k);
        api_jw_key(w, "ExportManifest");
        api_jw_str(w, kv_buf_slice(&k));
        kv_buf_dispose(&k);
    }
    ddb_s3io_table_arn(ctx, x->table, arn, sizeof(arn));
    api_jw_kstr(w, "TableArn", arn);
    api_jw_kstr(w, "TableId", x->table_id);
    api_jw_key(w, "ExportTime");
    api_jw_epoch_ms(w, x->export_ms);
    api_jw_kstr(w, "ClientToken", x->token);
    api_jw_kstr(w, "S3Bucket", x->bucket);
    api_jw_kstr(w, "S3BucketOwner", x->owner ? x->owner : API_ACCOUNT_ID);
    ddb_s3io_kstr_opt(w, "S3Prefix", x->prefix);
    api_jw_kstr(w, "S3SseAlgorithm", x->sse ? x->sse : "AES256");
    ddb_s3io_kstr_opt(w, "S3SseKmsKeyId", x->kms);
    ddb_s3io_kstr_opt(w, "FailureCode", x->fail_code);
    ddb_s3io_kstr_opt(w, "FailureMessage", x->fail_msg);
    api_jw_kstr(w, "ExportFormat", FORMATS[x->format]);
    if (strcmp(x->status, "COMPLETED") == 0) {
        api_jw_ku64(w, "BilledSizeBytes", x->billed);
        api_jw_ku64(w, "ItemCount", x->items);
    }
    if (x->type)
        api_jw_kstr(w, "ExportType", TYPES[x->type]);
    if (x->type == 2) {
        api_jw_key(w, "IncrementalExportSpecification");
        api_jw_obj_begin(w);
        api_jw_key(w, "ExportFromTime");
        api_jw_epoch_ms(w, x->from_ms);
        api_jw_key(w, "ExportToTime");
        api_jw_epoch_ms(w, x->to_ms);
        api_jw_kstr(w, "ExportViewType", VIEWS[x->view]);
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
}

void ddb_encode_export_table_to_point_in_time(api_ctx_t *ctx, api_req_t *req,
                                              const ddb_export_table_to_point_in_time_out_t *out,
                                              api_jw_t *w)
{
    (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "ExportDescription");
    encode_description(ctx, out->x, w);
    api_jw_obj_end(w);
}

void ddb_encode_describe_export(api_ctx_t *ctx, api_req_t *req,
                                const ddb_describe_export_out_t *out, api_jw_t *w)
{
    (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "ExportDescription");
    encode_description(ctx, out->x, w);
    api_jw_obj_end(w);
}

void ddb_encode_list_exports(api_ctx_t *ctx, api_req_t *req, const ddb_list_exports_out_t *out,
                             api_jw_t *w)
{
    (void)req;
    char arn[700];
    api_jw_obj_begin(w);
    api_jw_key(w, "ExportSummaries");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->n; i++) {
        const ddb_export_t *x = &out->list[i];
        api_jw_obj_begin(w);
        export_arn(ctx, x, arn, sizeof(arn));
        api_jw_kstr(w, "ExportArn", arn);
        api_jw_kstr(w, "ExportStatus", x->status);
        api_jw_kstr(w, "ExportType", TYPES[x->type ? x->type : 1]);
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    if (out->more && out->n) {
        export_arn(ctx, &out->list[out->n - 1], arn, sizeof(arn));
        kv_buf_t tok;
        kv_buf_init(&tok, 2048);
        kv_b64_encode(&tok, (const uint8_t *)arn, strlen(arn));
        api_jw_key(w, "NextToken");
        api_jw_str(w, kv_buf_slice(&tok));
        kv_buf_dispose(&tok);
    }
    api_jw_obj_end(w);
}

/* ---- the job ---- */

/* Write body as object key of bucket b (encrypted as the export asks, else as the bucket's new
 * objects are). etag_out (may be NULL, 33 bytes) receives the ETag. @return 0 or a KV_E* code. */
static int put_object(api_ctx_t *ctx, kv_arena_t *a, const ddb_export_t *x, const eng_bucket_t *b,
                      kv_slice_t key, kv_slice_t body, const char *ctype, char *etag_out)
{
    uint8_t sum[API_CK_MAX];
    api_ck_t md5;
    api_ck_init(&md5, API_CK_MD5);
    api_ck_update(&md5, body.p, body.len);
    api_ck_final(&md5, sum);
    api_ck_dispose(&md5);
    kv_buf_t etag;
    kv_buf_init(&etag, 64);
    kv_buf_append_hex(&etag, sum, 16);
    eng_object_t o = {.key = key,
                      .etag = kv_arena_strndup(a, etag.p, etag.len),
                      .mtime_ms = kv_now_ms(),
                      .content_type = ctype,
                      .storage_class = "STANDARD",
                      .log_id = b->log_id,
                      .event = "ObjectCreated:Put"};
    if (etag_out)
        snprintf(etag_out, 33, "%.*s", (int)etag.len, (const char *)etag.p);
    kv_buf_dispose(&etag);
    uint8_t dk[S3_SSE_KEY_LEN], kms_dk[S3_SSE_KEY_LEN];
    kv_slice_t blob = KV_SLICE_NULL;
    bool have_kms = false;
    if (x->kms_blob && x->kms_dk) {
        kv_buf_t raw, plain;
        kv_buf_init(&raw, 8192);
        kv_buf_init(&plain, 64);
        if (kv_b64_decode(&raw, kv_slice_str(x->kms_dk)) &&
            api_unseal(ctx, KV_SLICE_LIT("ddb-export-kms"), kv_buf_slice(&raw), &plain) == 0 &&
            plain.len == S3_SSE_KEY_LEN) {
            memcpy(kms_dk, plain.p, S3_SSE_KEY_LEN);
            kv_buf_reset(&raw);
            have_kms = kv_b64_decode(&raw, kv_slice_str(x->kms_blob));
            blob = kv_arena_dup(a, kv_buf_slice(&raw));
        }
        kv_wipe(plain.p, plain.len);
        kv_buf_dispose(&raw);
        kv_buf_dispose(&plain);
        if (!have_kms)
            return KV_EINTERNAL;
    }
    int enc = s3_sse_new_export(ctx, a, b, &o, x->sse && strcmp(x->sse, "AES256") == 0, blob,
                                x->kms_arn, have_kms ? kms_dk : NULL, dk);
    kv_wipe(kms_dk, sizeof(kms_dk));
    if (enc < 0)
        return KV_EINTERNAL;
    if (enc > 0 && s3_sse_etag_opaque(&o)) { /* S3's ETag of an SSE-KMS object */
        uint8_t ek[S3_SSE_KEY_LEN];
        s3_sse_etag_key(dk, ek);
        o.etag = s3_sse_etag(a, ek, o.etag);
        kv_wipe(ek, sizeof(ek));
        if (etag_out)
            snprintf(etag_out, 33, "%s", o.etag);
    }
    eng_blob_writer_t *w = eng_blob_writer_new(ctx->eng);
    int rc = enc > 0 ? eng_blob_writer_set_key(w, dk) : 0;
    kv_wipe(dk, sizeof(dk));
    if (rc == 0)
        rc = eng_blob_write(w, body.p, body.len);
    if (rc < 0) {
        eng_blob_writer_abort(w);
        return rc;
    }
    eng_obj_cond_t cond = {.versioning = b->versioning};
    return eng_object_put_blob(ctx->eng, b->id, &o, &cond, w);
}

static void b64_md5(kv_slice_t body, kv_buf_t *out)
{
    uint8_t sum[API_CK_MAX];
    api_ck_t md5;
    api_ck_init(&md5, API_CK_MD5);
    api_ck_update(&md5, body.p, body.len);
    api_ck_final(&md5, sum);
    api_ck_dispose(&md5);
    kv_b64_encode(out, sum, 16);
}

/* One data file being filled: its lines, gzip'd at the end. */
typedef struct filler {
    api_ctx_t *ctx;
    const ddb_export_t *x;
    kv_arena_t *a;
    kv_buf_t lines;
    uint64_t items, billed;
} filler_t;

static void put_line_item(filler_t *f, const eng_item_t *it)
{
    if (f->x->format == 1) {
        kv_buf_append_str(&f->lines, "$ion_1_0 {Item:");
        ddb_ion_write_item(&f->lines, it);
        kv_buf_append_str(&f->lines, "}\n");
    } else {
        api_jw_t w;
        api_jw_init(&w, &f->lines);
        api_jw_obj_begin(&w);
        api_jw_key(&w, "Item");
        ddb_item_encode(&w, it);
        api_jw_obj_end(&w);
        kv_buf_append_byte(&f->lines, '\n');
    }
}

static int take_item(void *arg, kv_slice_t key, kv_slice_t val)
{
    filler_t *f = arg;
    (void)key;
    kv_arena_t *a = kv_arena_new(4096);
    eng_item_t *it;
    int rc = eng_item_decode(val, a, &it);
    if (rc == 0) {
        put_line_item(f, it);
        f->items++;
        f->billed += eng_item_size(it);
    }
    kv_arena_free(a);
    return rc;
}

/* The key attributes of item it (a staged changed key's item or image). */
static eng_item_t *keys_of(kv_arena_t *a, const eng_table_t *t, const eng_item_t *it)
{
    eng_item_t *k = kv_arena_calloc(a, 1, sizeof(*k));
    k->attrs = kv_arena_calloc(a, 2, sizeof(*k->attrs));
    const char *names[2] = {t->hash_key, t->range_key};
    for (int i = 0; i < 2; i++) {
        if (!names[i])
            continue;
        eng_av_t *v = eng_item_get_attr(it, kv_slice_str(names[i]));
        if (v)
            k->attrs[k->n++] = (eng_attr_t){kv_slice_str(names[i]), v};
    }
    return k;
}

typedef struct chg {
    filler_t *f;
    const eng_table_t *t;
} chg_t;

static void put_image(filler_t *f, const char *name, const eng_item_t *it)
{
    if (f->x->format == 1) {
        kv_buf_printf(&f->lines, ",%s:", name);
        ddb_ion_write_item(&f->lines, it);
    } else {
        kv_buf_printf(&f->lines, ",\"%s\":", name);
        api_jw_t w;
        api_jw_init(&w, &f->lines);
        ddb_item_encode(&w, it);
    }
}

/* One changed key: its new image (the table at ExportToTime) and old image (at ExportFromTime,
 * staged under stage3). */
static int take_change(void *arg, kv_slice_t key, kv_slice_t val)
{
    chg_t *c = arg;
    filler_t *f = c->f;
    uint64_t us = 0;
    for (size_t i = 0; i < val.len && i < 8; i++)
        us = (us << 8) | val.p[i];
    kv_arena_t *a = kv_arena_new(4096);
    eng_item_t *nu = NULL, *old = NULL;
    int rc = eng_export_get(f->ctx->eng, f->x->stage, key, a, &nu);
    if (rc == KV_ENOTFOUND)
        nu = NULL, rc = 0;
    if (rc == 0) {
        rc = eng_export_get(f->ctx->eng, f->x->stage3, key, a, &old);
        if (rc == KV_ENOTFOUND)
            old = NULL, rc = 0;
    }
    if (rc == 0 && (nu || old)) { /* (an item created and deleted in the window: nothing) */
        const eng_item_t *any = nu ? nu : old;
        eng_item_t *keys = NULL;
        if (any)
            keys = keys_of(a, c->t, any);
        if (keys) {
            if (f->x->format == 1) {
                kv_buf_printf(&f->lines, "$ion_1_0 {Metadata:{WriteTimeMicros:%llu},Keys:",
                              (unsigned long long)us);
                ddb_ion_write_item(&f->lines, keys);
            } else {
                kv_buf_printf(&f->lines, "{\"Metadata\":{\"WriteTimeMicros\":%llu},\"Keys\":",
                              (unsigned long long)us);
                api_jw_t w;
                api_jw_init(&w, &f->lines);
                ddb_item_encode(&w, keys);
            }
            if (nu)
                put_image(f, "NewImage", nu);
            if (old && f->x->view == 0)
                put_image(f, "OldImage", old);
            kv_buf_append_str(&f->lines, "}\n");
            f->items++;
            f->billed +=
                (nu ? eng_item_size(nu) : 0) + (old && f->x->view == 0 ? eng_item_size(old) : 0);
        }
    }
    kv_arena_free(a);
    return rc;
}

static int gzip_buf(kv_slice_t in, kv_buf_t *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return KV_ENOMEM;
    uLong bound = deflateBound(&z, (uLong)in.len);
    kv_buf_reset(out);
    kv_buf_reserve(out, (size_t)bound);
    if (kv_buf_failed(out)) {
        deflateEnd(&z);
        return KV_ENOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)in.p;
    z.avail_in = (uInt)in.len;
    z.next_out = out->p;
    z.avail_out = (uInt)out->cap;
    int zr = deflate(&z, Z_FINISH);
    out->len = z.total_out;
    deflateEnd(&z);
    return zr == Z_STREAM_END ? 0 : KV_EINTERNAL;
}

static void fail_export(ddb_export_t *x, const char *code, const char *msg)
{
    x->status = "FAILED";
    x->fail_code = code;
    x->fail_msg = msg;
    x->end_ms = kv_now_ms();
}

typedef struct find_ip {
    kv_arena_t *a;
    ddb_export_t *x;
} find_ip_t;

static int take_in_progress(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    find_ip_t *f = arg;
    (void)suffix;
    ddb_export_t x;
    if (rec_decode(f->a, val, &x) < 0 || strcmp(x.status, "IN_PROGRESS") != 0)
        return 0;
    f->x = kv_arena_alloc(f->a, sizeof(*f->x));
    *f->x = x;
    return 1;
}

static int take_line(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    (void)suffix;
    kv_buf_t *files = arg;
    kv_buf_append_slice(files, val);
    kv_buf_append_byte(files, '\n');
    return kv_buf_failed(files) ? KV_ETOOBIG : 0;
}

/* Write the manifests and mark x COMPLETED. */
static int finish_export(api_ctx_t *ctx, kv_arena_t *a, ddb_export_t *x, const eng_bucket_t *b)
{
    kv_buf_t files, key, body, md5;
    kv_buf_init(&files, 64u << 20);
    kv_buf_init(&key, 4096);
    kv_buf_init(&body, 1u << 20);
    kv_buf_init(&md5, 64);
    /* manifest-files.json: the data files' lines, kept in 'x' + id + number records */
    kv_buf_t pre;
    kv_buf_init(&pre, 64);
    kv_buf_printf(&pre, "x%s/", x->id);
    int rc = eng_ddbio_scan(ctx->eng, kv_buf_slice(&pre), KV_SLICE_NULL, 0, take_line, &files);
    int64_t now = kv_now_ms();
    if (rc == 0) {
        object_key(x, "manifest-files.json", &key);
        rc = put_object(ctx, a, x, b, kv_buf_slice(&key), kv_buf_slice(&files), "application/json",
                        NULL);
    }
    if (rc == 0) {
        b64_md5(kv_buf_slice(&files), &md5);
        object_key(x, "manifest-files.md5", &key);
        rc = put_object(ctx, a, x, b, kv_buf_slice(&key), kv_buf_slice(&md5), "text/plain", NULL);
    }
    if (rc == 0) {
        char arn[700], tarn[600], ts[25];
        export_arn(ctx, x, arn, sizeof(arn));
        ddb_s3io_table_arn(ctx, x->table, tarn, sizeof(tarn));
        api_jw_t w;
        api_jw_init(&w, &body);
        api_jw_obj_begin(&w);
        api_jw_kstr(&w, "version", x->type == 2 ? "2023-08-01" : "2020-06-30");
        api_jw_kstr(&w, "exportArn", arn);
        kv_time_fmt_iso(x->start_ms, ts);
        api_jw_kstr(&w, "startTime", ts);
        kv_time_fmt_iso(now, ts);
        api_jw_kstr(&w, "endTime", ts);
        api_jw_kstr(&w, "tableArn", tarn);
        api_jw_kstr(&w, "tableId", x->table_id);
        if (x->type == 2) {
            kv_time_fmt_iso(x->from_ms, ts);
            api_jw_kstr(&w, "exportFromTime", ts);
            kv_time_fmt_iso(x->to_ms, ts);
            api_jw_kstr(&w, "exportToTime", ts);
        } else {
            kv_time_fmt_iso(x->export_ms, ts);
            api_jw_kstr(&w, "exportTime", ts);
        }
        api_jw_kstr(&w, "s3Bucket", x->bucket);
        api_jw_key(&w, "s3Prefix");
        if (x->prefix)
            api_jw_cstr(&w, x->prefix);
        else
            api_jw_null(&w);
        api_jw_kstr(&w, "s3SseAlgorithm", x->sse ? x->sse : "AES256");
        api_jw_key(&w, "s3SseKmsKeyId");
        if (x->kms)
            api_jw_cstr(&w, x->kms);
        else
            api_jw_null(&w);
        object_key(x, "manifest-files.json", &key);
        api_jw_key(&w, "manifestFilesS3Key");
        api_jw_str(&w, kv_buf_slice(&key));
        api_jw_ku64(&w, "billedSizeBytes", x->billed);
        api_jw_ku64(&w, "itemCount", x->items);
        api_jw_kstr(&w, "outputFormat", FORMATS[x->format]);
        if (x->type == 2) {
            api_jw_kstr(&w, "outputView", VIEWS[x->view]);
            api_jw_kstr(&w, "exportType", "INCREMENTAL_EXPORT");
        }
        api_jw_obj_end(&w);
        object_key(x, "manifest-summary.json", &key);
        rc = put_object(ctx, a, x, b, kv_buf_slice(&key), kv_buf_slice(&body), "application/json",
                        NULL);
    }
    if (rc == 0) {
        kv_buf_reset(&md5);
        b64_md5(kv_buf_slice(&body), &md5);
        object_key(x, "manifest-summary.md5", &key);
        rc = put_object(ctx, a, x, b, kv_buf_slice(&key), kv_buf_slice(&md5), "text/plain", NULL);
    }
    if (rc == 0) {
        x->status = "COMPLETED";
        x->end_ms = now;
        x->phase = 2;
    }
    kv_buf_dispose(&files);
    kv_buf_dispose(&key);
    kv_buf_dispose(&body);
    kv_buf_dispose(&md5);
    kv_buf_dispose(&pre);
    return rc;
}

/* One step of export x. @return 1 when it has more to do, 0 when it ended, or a KV_E* code. */
static int export_step(api_ctx_t *ctx, kv_arena_t *a, ddb_export_t *x, unsigned budget)
{
    eng_bucket_t *b = NULL;
    int rc = eng_bucket_get(ctx->eng, kv_slice_str(x->bucket), a, &b);
    if (rc == 0 && x->s3_denied) {
        fail_export(x, "S3AccessDenied", "Access Denied");
        return 0;
    }
    if (rc == KV_ENOTFOUND || (rc == 0 && x->owner && strcmp(x->owner, API_ACCOUNT_ID) != 0)) {
        fail_export(x, rc == KV_ENOTFOUND ? "S3NoSuchBucket" : "S3AccessDenied",
                    rc == KV_ENOTFOUND ? "The specified bucket does not exist" : "Access Denied");
        return 0;
    }
    if (rc < 0)
        return rc;
    kv_buf_t key;
    kv_buf_init(&key, 4096);
    if (x->phase == 0) {
        /* Stage the table as it was (a redone stage first drops what a crash left). */
        if (x->stage == 0) {
            rc = eng_export_take_id(ctx->eng, &x->stage);
            if (rc == 0 && x->type == 2)
                rc = eng_export_take_id(ctx->eng, &x->stage2);
            if (rc == 0 && x->type == 2) /* the old images (and a deleted item's keys) */
                rc = eng_export_take_id(ctx->eng, &x->stage3);
            if (rc == 0)
                rc = rec_put(ctx, x);
            if (rc < 0)
                goto out;
        }
        eng_export_drop(ctx->eng, x->stage);
        eng_export_drop(ctx->eng, x->stage2);
        eng_export_drop(ctx->eng, x->stage3);
        object_key(x, "_started", &key);
        rc = put_object(ctx, a, x, b, kv_buf_slice(&key), KV_SLICE_NULL, "binary/octet-stream",
                        NULL);
        kv_slice_t table = kv_slice_str(x->table);
        if (rc == 0)
            rc = eng_export_stage(ctx->eng, table, x->export_ms, x->stage);
        if (rc == 0 && x->type == 2)
            rc = eng_export_stage_changes(ctx->eng, table, x->from_ms, x->to_ms, x->stage2);
        if (rc == 0 && x->type == 2)
            rc = eng_export_stage(ctx->eng, table, x->from_ms, x->stage3);
        if (rc == KV_ENOTFOUND || rc == KV_EINVAL) {
            fail_export(x, "UnknownError",
                        rc == KV_ENOTFOUND ? "Table was deleted during the export"
                                           : "Point in time recovery was disabled during the "
                                             "export");
            rc = 0;
            goto out;
        }
        if (rc == 0) {
            x->phase = 1;
            x->after = KV_SLICE_NULL;
            rc = 1;
        }
        goto out;
    }
    /* One data file from the cursor on. */
    filler_t f = {ctx, x, a, {0}, 0, 0};
    kv_buf_init(&f.lines, 64u << 20);
    kv_buf_t after;
    kv_buf_init(&after, 1u << 16);
    kv_buf_append_slice(&after, x->after);
    size_t max = budget < 100 ? 100 : budget > EXP_FILE_ITEMS ? EXP_FILE_ITEMS : budget;
    int more;
    eng_table_t *t = NULL;
    if (x->type == 2) {
        rc = eng_table_get(ctx->eng, kv_slice_str(x->table), a, &t);
        if (rc < 0) {
            fail_export(x, "UnknownError", "Table was deleted during the export");
            rc = 0;
            kv_buf_dispose(&f.lines);
            kv_buf_dispose(&after);
            goto out;
        }
        chg_t c = {&f, t};
        more =
            eng_export_read(ctx->eng, x->stage2, &after, max, EXP_FILE_BYTES, a, take_change, &c);
    } else {
        more = eng_export_read(ctx->eng, x->stage, &after, max, EXP_FILE_BYTES, a, take_item, &f);
    }
    rc = more < 0 ? more : kv_buf_failed(&f.lines) ? KV_ETOOBIG : 0;
    if (rc == 0 && (f.items > 0 || x->files == 0)) {
        /* the data file, then its manifest line (in 'x' + id + "/" + number) */
        kv_buf_t gz;
        kv_buf_init(&gz, 128u << 20);
        rc = gzip_buf(kv_buf_slice(&f.lines), &gz);
        char name[27], etag[33];
        data_name(x, x->files, name);
        char rest[64];
        snprintf(rest, sizeof(rest), "data/%s.%s.gz", name, x->format == 1 ? "ion" : "json");
        object_key(x, rest, &key);
        if (rc == 0)
            rc = put_object(ctx, a, x, b, kv_buf_slice(&key), kv_buf_slice(&gz),
                            "application/octet-stream", etag);
        if (rc == 0) {
            kv_buf_t line, md5, lk;
            kv_buf_init(&line, 8192);
            kv_buf_init(&md5, 64);
            kv_buf_init(&lk, 256);
            b64_md5(kv_buf_slice(&gz), &md5);
            api_jw_t w;
            api_jw_init(&w, &line);
            api_jw_obj_begin(&w);
            api_jw_ku64(&w, "itemCount", f.items);
            api_jw_key(&w, "md5Checksum");
            api_jw_str(&w, kv_buf_slice(&md5));
            api_jw_kstr(&w, "etag", etag);
            api_jw_key(&w, "dataFileS3Key");
            api_jw_str(&w, kv_buf_slice(&key));
            api_jw_obj_end(&w);
            kv_buf_printf(&lk, "x%s/%08llu", x->id, (unsigned long long)x->files);
            eng_cat_op_t op = {.key = kv_buf_slice(&lk), .val = kv_buf_slice(&line)};
            rc = eng_ddbio_write(ctx->eng, &op, 1);
            kv_buf_dispose(&line);
            kv_buf_dispose(&md5);
            kv_buf_dispose(&lk);
        }
        kv_buf_dispose(&gz);
        if (rc == 0) {
            x->files++;
            x->items += f.items;
            x->billed += f.billed;
            x->after = kv_arena_dup(a, kv_buf_slice(&after));
        }
    }
    kv_buf_dispose(&f.lines);
    kv_buf_dispose(&after);
    if (rc == 0 && more == 0) {
        rc = finish_export(ctx, a, x, b);
        if (rc == 0) {
            eng_export_drop(ctx->eng, x->stage);
            eng_export_drop(ctx->eng, x->stage2);
            eng_export_drop(ctx->eng, x->stage3);
        }
    } else if (rc == 0) {
        rc = 1;
    }
out:
    kv_buf_dispose(&key);
    return rc;
}

int ddb_export_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    ddb_state_t *ds = state;
    if (!atomic_load(&ds->exp_pending))
        return -1;
    kv_arena_t *a = kv_arena_new(65536);
    find_ip_t f = {a, NULL};
    int rc = eng_ddbio_scan(ctx->eng, KV_SLICE_LIT("X"), KV_SLICE_NULL, 0, take_in_progress, &f);
    if (rc < 0 || f.x == NULL) {
        if (rc == 0)
            atomic_store(&ds->exp_pending, false);
        kv_arena_free(a);
        return rc < 0 ? 1000 : -1;
    }
    ddb_export_t *x = f.x;
    rc = export_step(ctx, a, x, budget);
    if (rc == KV_ETOOBIG || rc == KV_EINVAL || rc == KV_ECORRUPT) { /* not worth retrying */
        KV_LOG_ERROR("dynamodb: export %s failed: %s", x->id, kv_err_name(rc));
        fail_export(x, "UnknownError", "The export could not write its data");
        rc = 0;
    }
    if (rc < 0) {
        KV_LOG_ERROR("dynamodb: export %s: %s", x->id, kv_err_name(rc));
        kv_arena_free(a);
        return 1000;
    }
    if (strcmp(x->status, "FAILED") == 0) { /* its staged ranges go with it */
        eng_export_drop(ctx->eng, x->stage);
        eng_export_drop(ctx->eng, x->stage2);
        eng_export_drop(ctx->eng, x->stage3);
    }
    int wr = rec_put(ctx, x);
    if (wr < 0)
        KV_LOG_ERROR("dynamodb: export %s: record: %s", x->id, kv_err_name(wr));
    kv_arena_free(a);
    return INT_MAX; /* the next step (or export): after the job's period */
}
