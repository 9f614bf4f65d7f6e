/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB resource tags (TagResource, UntagResource, ListTagsOfResource) and the account
 * questions SDKs ask (DescribeLimits, DescribeEndpoints).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/kv_log.h"
#include "base/kv_time.h"
#include "ddb_int.h"

#define TAGS_MAX 50

/* arn:aws:dynamodb:REGION:ACCOUNT:table/NAME -> NAME. */
static int decode_arn(ddb_dec_t *d, const api_json_t *in, kv_slice_t *table)
{
    kv_slice_t arn = KV_SLICE_NULL;
    if (!ddb_opt_str(d, in, "ResourceArn", &arn)) {
        ddb_dec_violation(d, "Value null at 'resourceArn' failed to satisfy constraint: Member "
                             "must not be null");
        return ddb_dec_finish(d);
    }
    if (ddb_dec_finish(d) < 0)
        return -1;
    static const char prefix[] = "arn:aws:dynamodb:";
    const uint8_t *t = NULL;
    for (size_t i = 0; arn.len > 7 && i + 7 <= arn.len; i++)
        if (memcmp(arn.p + i, ":table/", 7) == 0) {
            t = arn.p + i + 7;
            break;
        }
    kv_slice_t name = t ? kv_slice(t, arn.len - (size_t)(t - arn.p)) : KV_SLICE_NULL;
    if (!kv_slice_starts_with(arn, prefix) || name.len < 3 || name.len > 255 ||
        memchr(name.p, '/', name.len)) {
        api_fail(d->resp, API_E_DDB_VALIDATION,
                 "Invalid TableArn: Invalid ResourceArn provided "
                 "as input %.*s",
                 (int)(arn.len > 300 ? 300 : arn.len), (const char *)arn.p);
        return -1;
    }
    *table = name;
    return 0;
}

int ddb_decode_tag_resource(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!ddb_opt_kind(d, in, "Tags", API_J_ARR))
        ddb_dec_violation(d, "Value null at 'tags' failed to satisfy constraint: Member must not "
                             "be null");
    ddb_decode_tags(d, in, "Tags", &out->tags, &out->n_tags);
    return decode_arn(d, in, &out->table);
}

int ddb_decode_untag_resource(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    memset(out, 0, sizeof(*out));
    const api_json_t *keys = ddb_opt_kind(d, in, "TagKeys", API_J_ARR);
    if (keys == NULL)
        ddb_dec_violation(d, "Value null at 'tagKeys' failed to satisfy constraint: Member must "
                             "not be null");
    size_t n = keys ? api_json_len(keys) : 0;
    out->keys = kv_arena_calloc(d->a, n ? n : 1, sizeof(*out->keys));
    for (size_t i = 0; i < n; i++) {
        const api_json_t *k = api_json_at(keys, i);
        if (api_json_type(k) != API_J_STR) {
            ddb_dec_serial(d, "Unexpected value type in payload");
            break;
        }
        out->keys[out->n_keys++] = api_json_str(k);
    }
    return decode_arn(d, in, &out->table);
}

int ddb_decode_list_tags_of_resource(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    memset(out, 0, sizeof(*out));
    return decode_arn(d, in, &out->table);
}

int ddb_decode_describe_limits(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    (void)in;
    memset(out, 0, sizeof(*out));
    return ddb_dec_finish(d);
}

int ddb_decode_describe_endpoints(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    (void)in;
    memset(out, 0, sizeof(*out));
    return ddb_dec_finish(d);
}

static int table_of(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                    eng_table_t **t)
{
    int rc = eng_table_get(ctx->eng, name, req->arena, t);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
                 "Requested resource not found: ResourceArn: arn:aws:dynamodb:%s:" API_ACCOUNT_ID
                 ":table/%.*s not found",
                 ctx->region, (int)name.len, (const char *)name.p);
        return -1;
    }
    if (rc < 0) {
        KV_LOG_ERROR("dynamodb: engine error %s", kv_err_name(rc));
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
        return -1;
    }
    return 0;
}

/* Store the merged tag set. */
static int store_tags(api_ctx_t *ctx, api_resp_t *resp, const eng_table_t *t, const eng_tag_t *tags,
                      size_t n)
{
    int rc = eng_table_set_tags(ctx->eng, kv_slice_str(t->name), tags, n);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND, "Requested resource not found");
        return -1;
    }
    if (rc < 0) {
        KV_LOG_ERROR("dynamodb: engine error %s", kv_err_name(rc));
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
        return -1;
    }
    resp->durable = true;
    return 0;
}

int ddb_exec_tag_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_meta_in_t *in,
                          ddb_meta_out_t *out)
{
    eng_table_t *t;
    if (table_of(ctx, req, resp, in->table, &t) < 0)
        return -1;
    /* New values replace old ones of the same key; the rest are added. */
    eng_tag_t *all = kv_arena_calloc(req->arena, t->n_tags + in->n_tags + 1, sizeof(*all));
    size_t n = 0;
    for (size_t i = 0; i < t->n_tags; i++) {
        bool replaced = false;
        for (size_t j = 0; j < in->n_tags && !replaced; j++)
            replaced = strcmp(t->tags[i].key, in->tags[j].key) == 0;
        if (!replaced)
            all[n++] = t->tags[i];
    }
    for (size_t j = 0; j < in->n_tags; j++) {
        bool dup = false;
        for (size_t k = j + 1; k < in->n_tags && !dup; k++)
            dup = strcmp(in->tags[j].key, in->tags[k].key) == 0;
        if (!dup) /* the last of a repeated key wins */
            all[n++] = in->tags[j];
    }
    for (size_t i = 0; i < n; i++)
        if (strncmp(all[i].key, "aws:", 4) == 0 && i >= t->n_tags) {
            api_fail(resp, API_E_DDB_VALIDATION, "Invalid tag key: aws: is a reserved prefix");
            return -1;
        }
    if (n > TAGS_MAX) {
        api_fail(resp, API_E_DDB_LIMIT_EXCEEDED,
                 "One or more parameter values were invalid: The number of tags on a resource "
                 "cannot exceed %d",
                 TAGS_MAX);
        return -1;
    }
    out->t = t;
    return store_tags(ctx, resp, t, all, n);
}

int ddb_exec_untag_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            const ddb_meta_in_t *in, ddb_meta_out_t *out)
{
    eng_table_t *t;
    if (table_of(ctx, req, resp, in->table, &t) < 0)
        return -1;
    eng_tag_t *keep = kv_arena_calloc(req->arena, t->n_tags + 1, sizeof(*keep));
    size_t n = 0;
    for (size_t i = 0; i < t->n_tags; i++) {
        bool gone = false;
        for (size_t j = 0; j < in->n_keys && !gone; j++)
            gone = kv_slice_eq_str(in->keys[j], t->tags[i].key);
        if (!gone)
            keep[n++] = t->tags[i];
    }
    out->t = t;
    return store_tags(ctx, resp, t, keep, n);
}

int ddb_exec_list_tags_of_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   const ddb_meta_in_t *in, ddb_meta_out_t *out)
{
    return table_of(ctx, req, resp, in->table, &out->t);
}

int ddb_exec_describe_limits(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             const ddb_meta_in_t *in, ddb_meta_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)in, (void)out;
    return 0;
}

int ddb_exec_describe_endpoints(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                const ddb_meta_in_t *in, ddb_meta_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)in, (void)out;
    return 0;
}

static void empty(api_jw_t *w)
{
    api_jw_obj_begin(w);
    api_jw_obj_end(w);
}

void ddb_encode_tag_resource(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req, (void)out;
    empty(w);
}

void ddb_encode_untag_resource(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out,
                               api_jw_t *w)
{
    (void)ctx, (void)req, (void)out;
    empty(w);
}

void ddb_encode_list_tags_of_resource(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out,
                                      api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "Tags");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->t->n_tags; i++) {
        api_jw_obj_begin(w);
        api_jw_kstr(w, "Key", out->t->tags[i].key);
        api_jw_kstr(w, "Value", out->t->tags[i].value);
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}

/* The account limits DynamoDB reports for a new account (on-demand quotas). */
void ddb_encode_describe_limits(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out,
                                api_jw_t *w)
{
    (void)ctx, (void)req, (void)out;
    api_jw_obj_begin(w);
    api_jw_ku64(w, "AccountMaxReadCapacityUnits", 80000);
    api_jw_ku64(w, "AccountMaxWriteCapacityUnits", 80000);
    api_jw_ku64(w, "TableMaxReadCapacityUnits", 40000);
    api_jw_ku64(w, "TableMaxWriteCapacityUnits", 40000);
    api_jw_obj_end(w);
}

/* The endpoint is the one the request came to. */
void ddb_encode_describe_endpoints(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out,
                                   api_jw_t *w)
{
    (void)ctx, (void)out;
    api_jw_obj_begin(w);
    api_jw_key(w, "Endpoints");
    api_jw_arr_begin(w);
    api_jw_obj_begin(w);
    api_jw_key(w, "Address");
    api_jw_str(w, api_req_header(req, "host"));
    api_jw_ku64(w, "CachePeriodInMinutes", 1440);
    api_jw_obj_end(w);
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}

/* ---- backups ---- */

/* ...:table/NAME/backup/ID -> ID (13 digits, '-', 8 hex). */
static int decode_backup_arn(ddb_dec_t *d, const api_json_t *in, const char *member, kv_slice_t *id,
                             bool required)
{
    kv_slice_t arn = KV_SLICE_NULL;
    if (!ddb_opt_str(d, in, member, &arn)) {
        if (required)
            ddb_dec_violation(d, "Value null at 'backupArn' failed to satisfy constraint: Member "
                                 "must not be null");
        return 0;
    }
    static const char mark[] = "/backup/";
    for (size_t i = 0; i + 8 <= arn.len; i++)
        if (memcmp(arn.p + i, mark, 8) == 0) {
            kv_slice_t v = kv_slice(arn.p + i + 8, arn.len - i - 8);
            bool ok = v.len == 22 && v.p[13] == '-';
            for (size_t j = 0; ok && j < v.len; j++)
                ok = j == 13 || (v.p[j] >= '0' && v.p[j] <= '9') ||
                     (j > 13 && v.p[j] >= 'a' && v.p[j] <= 'f');
            if (ok) {
                *id = v;
                return 0;
            }
        }
    ddb_dec_violation(d, "Invalid BackupArn: %.*s", (int)(arn.len > 300 ? 300 : arn.len),
                      (const char *)arn.p);
    return -1;
}

static kv_slice_t opt_table(ddb_dec_t *d, const api_json_t *in, const char *member, bool required)
{
    kv_slice_t t = KV_SLICE_NULL;
    if (!ddb_opt_str(d, in, member, &t) && required)
        ddb_dec_violation(d,
                          "Value null at '%s' failed to satisfy constraint: Member must not "
                          "be null",
                          strcmp(member, "TableName") == 0 ? "tableName" : "targetTableName");
    else if (t.len && (t.len < 3 || t.len > 255))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'tableName' failed to satisfy constraint: Member "
                          "must have length between 3 and 255",
                          (int)(t.len > 300 ? 300 : t.len), (const char *)t.p);
    return t;
}

int ddb_decode_create_backup(ddb_dec_t *d, const api_json_t *in, ddb_backup_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->table = opt_table(d, in, "TableName", true);
    kv_slice_t name = KV_SLICE_NULL;
    if (!ddb_opt_str(d, in, "BackupName", &name))
        ddb_dec_violation(d, "Value null at 'backupName' failed to satisfy constraint: Member "
                             "must not be null");
    else if (name.len < 3 || name.len > 255)
        ddb_dec_violation(d,
                          "Value '%.*s' at 'backupName' failed to satisfy constraint: Member "
                          "must have length between 3 and 255",
                          (int)(name.len > 300 ? 300 : name.len), (const char *)name.p);
    out->name = kv_arena_strndup(d->a, name.p, name.len);
    return ddb_dec_finish(d);
}

int ddb_decode_describe_backup(ddb_dec_t *d, const api_json_t *in, ddb_backup_in_t *out)
{
    memset(out, 0, sizeof(*out));
    decode_backup_arn(d, in, "BackupArn", &out->id, true);
    return ddb_dec_finish(d);
}

int ddb_decode_delete_backup(ddb_dec_t *d, const api_json_t *in, ddb_backup_in_t *out)
{
    return ddb_decode_describe_backup(d, in, out);
}

int ddb_decode_list_backups(ddb_dec_t *d, const api_json_t *in, ddb_backup_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->table = opt_table(d, in, "TableName", false);
    int64_t limit = 100;
    if (ddb_opt_int(d, in, "Limit", &limit) && (limit < 1 || limit > 100))
        ddb_dec_violation(d,
                          "Value '%lld' at 'limit' failed to satisfy constraint: Member must "
                          "have value between 1 and 100",
                          (long long)limit);
    out->limit = (size_t)(limit < 1 ? 1 : limit > 100 ? 100 : limit);
    decode_backup_arn(d, in, "ExclusiveStartBackupArn", &out->after, false);
    return ddb_dec_finish(d);
}

int ddb_decode_restore_table_from_backup(ddb_dec_t *d, const api_json_t *in, ddb_backup_in_t *out)
{
    memset(out, 0, sizeof(*out));
    kv_slice_t t = opt_table(d, in, "TargetTableName", true);
    out->name = kv_arena_strndup(d->a, t.p, t.len);
    decode_backup_arn(d, in, "BackupArn", &out->id, true);
    return ddb_dec_finish(d);
}

int ddb_decode_restore_table_to_point_in_time(ddb_dec_t *d, const api_json_t *in,
                                              ddb_backup_in_t *out)
{
    memset(out, 0, sizeof(*out));
    kv_slice_t t = opt_table(d, in, "TargetTableName", true);
    out->name = kv_arena_strndup(d->a, t.p, t.len);
    kv_slice_t src = KV_SLICE_NULL, arn = KV_SLICE_NULL;
    bool has_src = ddb_opt_str(d, in, "SourceTableName", &src);
    bool has_arn = ddb_opt_str(d, in, "SourceTableArn", &arn);
    ddb_opt_bool(d, in, "UseLatestRestorableTime", &out->latest);
    const api_json_t *when = api_json_get(in, "RestoreDateTime");
    double secs = 0;
    bool has_time = when && api_json_type(when) != API_J_NULL;
    if (has_time && !api_json_num(when, &secs))
        ddb_dec_serial(d, "Expected a timestamp (epoch seconds)");
    if (ddb_dec_finish(d) < 0)
        return -1;
    if (has_src == has_arn)
        return ddb_dec_fail(d, "Invalid Request: Must provide exactly one of: sourceTableArn, "
                               "sourceTableName");
    if (has_arn) {
        ddb_check_table_name(d, &arn, true, "sourceTableArn");
        if (ddb_dec_finish(d) < 0)
            return -1;
        src = arn;
    }
    if (has_time == out->latest)
        return ddb_dec_fail(d, "Invalid Request: Either one of RestoreDateTime or "
                               "UseLatestRestorableTime must be specified, but not both");
    out->table = src;
    out->at_ms = (int64_t)(secs * 1000.0);
    return 0;
}

static int backup_fail(api_resp_t *resp, int rc, const char *what)
{
    if (rc == KV_ENOTFOUND)
        api_fail(resp, API_E_DDB_BACKUP_NOT_FOUND, "Backup not found: %s", what);
    else {
        KV_LOG_ERROR("dynamodb: backup: %s", kv_err_name(rc));
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
    }
    return -1;
}

int ddb_exec_create_backup(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           const ddb_backup_in_t *in, ddb_backup_out_t *out)
{
    int rc = eng_backup_create(ctx->eng, in->table, in->name, req->arena, &out->b);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_TABLE_NOT_FOUND, "Table not found: %.*s", (int)in->table.len,
                 (const char *)in->table.p);
        return -1;
    }
    if (rc < 0)
        return backup_fail(resp, rc, in->name);
    resp->durable = true;
    return 0;
}

int ddb_exec_describe_backup(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             const ddb_backup_in_t *in, ddb_backup_out_t *out)
{
    int rc = eng_backup_get(ctx->eng, in->id, req->arena, &out->b);
    return rc < 0 ? backup_fail(resp, rc, kv_arena_strndup(req->arena, in->id.p, in->id.len)) : 0;
}

int ddb_exec_delete_backup(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           const ddb_backup_in_t *in, ddb_backup_out_t *out)
{
    if (ddb_exec_describe_backup(ctx, req, resp, in, out) < 0)
        return -1;
    int rc = eng_backup_delete(ctx->eng, in->id);
    if (rc < 0)
        return backup_fail(resp, rc, kv_arena_strndup(req->arena, in->id.p, in->id.len));
    out->deleted = true;
    resp->durable = true;
    return 0;
}

int ddb_exec_list_backups(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const ddb_backup_in_t *in, ddb_backup_out_t *out)
{
    /* Pages of the catalog, filtered by table, until the page is full or none are left. */
    out->list = kv_arena_calloc(req->arena, in->limit, sizeof(*out->list));
    kv_slice_t after = in->after;
    for (;;) {
        eng_backup_t *page;
        size_t n;
        bool more;
        int rc = eng_backup_list(ctx->eng, after, 100, req->arena, &page, &n, &more);
        if (rc < 0)
            return backup_fail(resp, rc, "list");
        for (size_t i = 0; i < n; i++) {
            if (in->table.len && !kv_slice_eq_str(in->table, page[i].table))
                continue;
            if (out->n == in->limit) {
                out->more = true;
                return 0;
            }
            out->list[out->n++] = page[i];
        }
        if (!more || n == 0)
            return 0;
        after = kv_slice_str(page[n - 1].id);
    }
}

int ddb_exec_restore_table_from_backup(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       const ddb_backup_in_t *in, ddb_backup_out_t *out)
{
    int rc = eng_backup_restore(ctx->eng, in->id, in->name, req->arena, &out->t);
    if (rc == 0) { /* its indexes are rebuilt from the restored items; its TTL holds */
        api_sched_kick(ctx, "backfill");
        ddb_ttl_changed(ctx);
    }
    if (rc == KV_EEXIST) {
        api_fail(resp, API_E_DDB_TABLE_EXISTS, "Table already exists: %s", in->name);
        return -1;
    }
    if (rc < 0)
        return backup_fail(resp, rc, kv_arena_strndup(req->arena, in->id.p, in->id.len));
    resp->durable = true;
    return 0;
}

int ddb_exec_restore_table_to_point_in_time(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                            const ddb_backup_in_t *in, ddb_backup_out_t *out)
{
    eng_table_t *src;
    int rc = eng_table_get(ctx->eng, in->table, req->arena, &src);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_TABLE_NOT_FOUND, "Table not found: %.*s", (int)in->table.len,
                 (const char *)in->table.p);
        return -1;
    }
    if (rc < 0)
        return backup_fail(resp, rc, "");
    if (!src->pitr) {
        api_fail(resp, API_E_DDB_PITR_UNAVAILABLE,
                 "Point in time recovery is not enabled for table '%s'", src->name);
        return -1;
    }
    /* Restorable: from when recovery was enabled (at most 35 days back) until now. */
    int64_t now = kv_now_ms(), earliest = src->pitr_since_ms;
    if (earliest < now - 35LL * 86400 * 1000)
        earliest = now - 35LL * 86400 * 1000;
    int64_t at = in->latest ? now : in->at_ms;
    if (at < earliest || at > now) {
        api_fail(resp, API_E_DDB_INVALID_RESTORE_TIME,
                 "Invalid restore time specified: RestoreDateTime must be between %lld and %lld",
                 (long long)(earliest / 1000), (long long)(now / 1000));
        return -1;
    }
    rc = eng_pitr_restore(ctx->eng, in->table, in->name, at, req->arena, &out->t);
    if (rc == 0) { /* its indexes are rebuilt from the restored items; its TTL holds */
        api_sched_kick(ctx, "backfill");
        ddb_ttl_changed(ctx);
    }
    if (rc == KV_EEXIST) {
        api_fail(resp, API_E_DDB_TABLE_EXISTS, "Table already exists: %s", in->name);
        return -1;
    }
    if (rc == KV_EINVAL) {
        api_fail(resp, API_E_DDB_PITR_UNAVAILABLE,
                 "Point in time recovery is not enabled for table '%s'", src->name);
        return -1;
    }
    if (rc < 0)
        return backup_fail(resp, rc, "");
    out->b = kv_arena_calloc(req->arena, 1, sizeof(*out->b));
    out->b->table = src->name;
    out->b->created_ms = at;
    resp->durable = true;
    return 0;
}

static void backup_arn(api_ctx_t *ctx, const eng_backup_t *b, char *out, size_t cap)
{
    snprintf(out, cap, "arn:aws:dynamodb:%s:" API_ACCOUNT_ID ":table/%s/backup/%s", ctx->region,
             b->table, b->id);
}

static void backup_details(api_ctx_t *ctx, const eng_backup_t *b, const char *status, api_jw_t *w)
{
    char arn[700];
    backup_arn(ctx, b, arn, sizeof(arn));
    api_jw_obj_begin(w);
    api_jw_kstr(w, "BackupArn", arn);
    api_jw_kstr(w, "BackupName", b->name);
    api_jw_ku64(w, "BackupSizeBytes", b->size_bytes);
    api_jw_kstr(w, "BackupStatus", status);
    api_jw_kstr(w, "BackupType", "USER");
    api_jw_key(w, "BackupCreationDateTime");
    api_jw_epoch_ms(w, b->created_ms);
    api_jw_obj_end(w);
}

static void backup_description(api_ctx_t *ctx, const eng_backup_t *b, const char *status,
                               api_jw_t *w)
{
    api_jw_obj_begin(w);
    api_jw_key(w, "BackupDescription");
    api_jw_obj_begin(w);
    api_jw_key(w, "BackupDetails");
    backup_details(ctx, b, status, w);
    api_jw_key(w, "SourceTableDetails");
    /* The table as it was: the same shape as a TableDescription's core. */
    ddb_encode_table(ctx, b->def, "ACTIVE", w);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
}

void ddb_encode_create_backup(api_ctx_t *ctx, api_req_t *req, const ddb_backup_out_t *out,
                              api_jw_t *w)
{
    (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "BackupDetails");
    backup_details(ctx, out->b, "AVAILABLE", w);
    api_jw_obj_end(w);
}

void ddb_encode_describe_backup(api_ctx_t *ctx, api_req_t *req, const ddb_backup_out_t *out,
                                api_jw_t *w)
{
    (void)req;
    backup_description(ctx, out->b, "AVAILABLE", w);
}

void ddb_encode_delete_backup(api_ctx_t *ctx, api_req_t *req, const ddb_backup_out_t *out,
                              api_jw_t *w)
{
    (void)req;
    backup_description(ctx, out->b, "DELETED", w);
}

void ddb_encode_list_backups(api_ctx_t *ctx, api_req_t *req, const ddb_backup_out_t *out,
                             api_jw_t *w)
{
    (void)req;
    char arn[700];
    api_jw_obj_begin(w);
    api_jw_key(w, "BackupSummaries");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->n; i++) {
        const eng_backup_t *b = &out->list[i];
        backup_arn(ctx, b, arn, sizeof(arn));
        api_jw_obj_begin(w);
        api_jw_kstr(w, "TableName", b->table);
        api_jw_kstr(w, "TableId", b->def->uuid);
        char tarn[600];
        snprintf(tarn, sizeof(tarn), "arn:aws:dynamodb:%s:" API_ACCOUNT_ID ":table/%s", ctx->region,
                 b->table);
        api_jw_kstr(w, "TableArn", tarn);
        api_jw_kstr(w, "BackupArn", arn);
        api_jw_kstr(w, "BackupName", b->name);
        api_jw_key(w, "BackupCreationDateTime");
        api_jw_epoch_ms(w, b->created_ms);
        api_jw_kstr(w, "BackupStatus", "AVAILABLE");
        api_jw_kstr(w, "BackupType", "USER");
        api_jw_ku64(w, "BackupSizeBytes", b->size_bytes);
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    if (out->more) {
        backup_arn(ctx, &out->list[out->n - 1], arn, sizeof(arn));
        api_jw_kstr(w, "LastEvaluatedBackupArn", arn);
    }
    api_jw_obj_end(w);
}

void ddb_encode_restore_table_from_backup(api_ctx_t *ctx, api_req_t *req,
                                          const ddb_backup_out_t *out, api_jw_t *w)
{
    (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "TableDescription");
    ddb_encode_table(ctx, out->t, "ACTIVE", w);
    api_jw_obj_end(w);
}

void ddb_encode_restore_table_to_point_in_time(api_ctx_t *ctx, api_req_t *req,
                                               const ddb_backup_out_t *out, api_jw_t *w)
{
    (void)req;
    char arn[600];
    snprintf(arn, sizeof(arn), "arn:aws:dynamodb:%s:" API_ACCOUNT_ID ":table/%s", ctx->region,
             out->b->table);
    api_jw_obj_begin(w);
    api_jw_key(w, "TableDescription");
    ddb_encode_table_open(ctx, out->t, "ACTIVE", w);
    api_jw_key(w, "RestoreSummary");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "SourceTableArn", arn);
    api_jw_key(w, "RestoreDateTime");
    api_jw_epoch_ms(w, out->b->created_ms);
    api_jw_kbool(w, "RestoreInProgress", false);
    api_jw_obj_end(w);
    api_jw_obj_end(w); /* the table */
    api_jw_obj_end(w);
}

/* ---- Time to Live ---- */

int ddb_decode_update_time_to_live(ddb_dec_t *d, const api_json_t *in, ddb_ttl_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->table = opt_table(d, in, "TableName", true);
    const api_json_t *spec = ddb_opt_kind(d, in, "TimeToLiveSpecification", API_J_OBJ);
    kv_slice_t attr = KV_SLICE_NULL;
    if (spec == NULL) {
        ddb_dec_violation(d, "Value null at 'timeToLiveSpecification' failed to satisfy "
                             "constraint: Member must not be null");
    } else {
        if (!ddb_opt_bool(d, spec, "Enabled", &out->enabled))
            ddb_dec_violation(d, "Value null at 'timeToLiveSpecification.enabled' failed to "
                                 "satisfy constraint: Member must not be null");
        if (!ddb_opt_str(d, spec, "AttributeName", &attr))
            ddb_dec_violation(d, "Value null at 'timeToLiveSpecification.attributeName' failed "
                                 "to satisfy constraint: Member must not be null");
        else if (attr.len == 0 || attr.len > 255)
            ddb_dec_violation(d,
                              "Value '%.*s' at 'timeToLiveSpecification.attributeName' failed "
                              "to satisfy constraint: Member must have length between 1 and "
                              "255",
                              (int)(attr.len > 300 ? 300 : attr.len), (const char *)attr.p);
    }
    out->attr = kv_arena_strndup(d->a, attr.p, attr.len);
    return ddb_dec_finish(d);
}

int ddb_decode_describe_time_to_live(ddb_dec_t *d, const api_json_t *in, ddb_ttl_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->table = opt_table(d, in, "TableName", true);
    return ddb_dec_finish(d);
}

int ddb_exec_update_time_to_live(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 const ddb_ttl_in_t *in, ddb_ttl_out_t *out)
{
    eng_table_t *t;
    if (table_of(ctx, req, resp, in->table, &t) < 0)
        return -1;
    out->in = in;
    out->t = t;
    if (in->enabled && t->ttl_attr) {
        api_fail(resp, API_E_DDB_VALIDATION, "TimeToLive is already enabled");
        return -1;
    }
    if (!in->enabled && !t->ttl_attr) {
        api_fail(resp, API_E_DDB_VALIDATION, "TimeToLive is already disabled");
        return -1;
    }
    if (!in->enabled && strcmp(t->ttl_attr, in->attr) != 0) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "TimeToLive is active on a different AttributeName: current AttributeName is %s",
                 t->ttl_attr);
        return -1;
    }
    /* Index what is there (or drop the index), then store the setting: from then on every
     * write keeps the index itself. */
    int rc = eng_ttl_set(ctx->eng, t, in->enabled ? in->attr : NULL);
    if (rc == 0)
        ddb_ttl_changed(ctx);
    if (rc == 0) {
        t->ttl_attr = in->enabled ? in->attr : NULL;
        rc = eng_table_update(ctx->eng, t);
    }
    if (rc < 0) {
        KV_LOG_ERROR("dynamodb: ttl: %s", kv_err_name(rc));
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
        return -1;
    }
    resp->durable = true;
    return 0;
}

int ddb_exec_describe_time_to_live(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   const ddb_ttl_in_t *in, ddb_ttl_out_t *out)
{
    out->in = in;
    return table_of(ctx, req, resp, in->table, &out->t);
}

void ddb_encode_update_time_to_live(api_ctx_t *ctx, api_req_t *req, const ddb_ttl_out_t *out,
                                    api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "TimeToLiveSpecification");
    api_jw_obj_begin(w);
    api_jw_kbool(w, "Enabled", out->in->enabled);
    api_jw_kstr(w, "AttributeName", out->in->attr);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
}

void ddb_encode_describe_time_to_live(api_ctx_t *ctx, api_req_t *req, const ddb_ttl_out_t *out,
                                      api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "TimeToLiveDescription");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "TimeToLiveStatus", out->t->ttl_attr ? "ENABLED" : "DISABLED");
    if (out->t->ttl_attr)
        api_jw_kstr(w, "AttributeName", out->t->ttl_attr);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
}

/* The sweeper's decision for one indexed item: delete it when its expiry has passed (and is
 * not older than five years: DynamoDB leaves those alone). */
typedef struct {
    const char *attr;
    int64_t now_s;
} ttl_sweep_t;

static int on_expired(void *arg, const eng_item_t *old, eng_item_t **nu)
{
    const ttl_sweep_t *x = arg;
    (void)nu;
    uint64_t s;
    if (!eng_ttl_of(x->attr, old, &s) || (int64_t)s > x->now_s ||
        (int64_t)s < x->now_s - 5 * 365 * 86400)
        return ENG_RMW_NONE;
    return ENG_RMW_DELETE;
}

#define TTL_SWEEP_BATCH 1000 /* items per table per sweep */

void ddb_ttl_changed(api_ctx_t *ctx)
{
    ddb_bg_t *g = ddb_bg(ctx);
    atomic_fetch_add(&g->ttl_gen, 1);
}

/* The names of the tables whose TTL is on, listed again only when a TTL setting changed. */
static void list_ttl_tables(api_ctx_t *ctx, ddb_bg_t *g)
{
    uint64_t gen = atomic_load(&g->ttl_gen);
    if (gen == g->ttl_scan_gen)
        return;
    kv_buf_reset(&g->ttl_names);
    kv_arena_t *a = kv_arena_new(65536);
    kv_buf_t after;
    kv_buf_init(&after, 1024);
    int rc = 0;
    for (;;) {
        const char **names;
        size_t n;
        bool more;
        kv_arena_reset(a);
        rc = eng_table_list(ctx->eng, after.len ? kv_buf_slice(&after) : KV_SLICE_NULL, 100, a,
                            &names, &n, &more);
        if (rc < 0)
            break;
        for (size_t i = 0; i < n; i++) {
            eng_table_t *t;
            if (eng_table_get(ctx->eng, kv_slice_str(names[i]), a, &t) < 0 || !t->ttl_attr)
                continue;
            kv_buf_append_str(&g->ttl_names, names[i]);
            kv_buf_append_byte(&g->ttl_names, 0);
        }
        if (!more || n == 0)
            break;
        kv_buf_reset(&after);
        kv_buf_append_str(&after, names[n - 1]);
    }
    kv_buf_dispose(&after);
    kv_arena_free(a);
    g->ttl_pos = 0;
    if (rc == 0 && !kv_buf_failed(&g->ttl_names))
        g->ttl_scan_gen = gen;
}

/* One step of the ttl pass over the tables whose TTL is on (a cached list; a cursor goes round
 * it), until budget expired items were looked at; the pass starts again after the job's period
 * (--ttl-interval). */
int ddb_ttl_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)state;
    ddb_bg_t *g = ddb_bg(ctx);
    list_ttl_tables(ctx, g);
    int64_t now_ms = kv_now_ms();
    kv_arena_t *a = kv_arena_new(65536);
    size_t deleted = 0, looked = 0;
    while (g->ttl_pos < g->ttl_names.len && looked < budget) {
        const char *name = (const char *)g->ttl_names.p + g->ttl_pos;
        g->ttl_pos += strlen(name) + 1;
        eng_table_t *t;
        kv_arena_reset(a);
        if (eng_table_get(ctx->eng, kv_slice_str(name), a, &t) < 0 || !t->ttl_attr)
            continue; /* deleted, or TTL turned off since the listing */
        kv_slice_t *keys;
        uint64_t *secs;
        size_t due;
        if (eng_ttl_due(ctx->eng, t, now_ms / 1000, TTL_SWEEP_BATCH, a, &keys, &secs, &due) < 0)
            continue;
        ttl_sweep_t x = {t->ttl_attr, now_ms / 1000};
        looked += due;
        for (size_t k = 0; k < due; k++) {
            /* Through the normal delete path: the item's lock, its index entry in the same
             * batch. An entry whose item changed or went is just dropped. */
            bool written = false;
            int rc = eng_item_rmw_service(ctx->eng, t, keys[k], a, on_expired, &x, &written);
            if (rc == 0 && written)
                deleted++;
            else if (rc == 0) /* (a held item, KV_EBUSY, waits for the next sweep) */
                eng_ttl_forget(ctx->eng, t, secs[k], keys[k]);
        }
    }
    kv_arena_free(a);
    if (deleted)
        KV_LOG_INFO("ttl: %zu expired items deleted", deleted);
    if (g->ttl_pos < g->ttl_names.len)
        return 0; /* the rest of the pass */
    g->ttl_pos = 0;
    return INT_MAX;
}
