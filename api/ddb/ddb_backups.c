/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's backups and restores: on-demand backups (CreateBackup, DescribeBackup, ListBackups,
 * DeleteBackup, RestoreTableFromBackup) with the backup ARNs (table/NAME/backup/ID) they answer
 * with and take, and continuous backups: the point-in-time recovery setting
 * (UpdateContinuousBackups, DescribeContinuousBackups) and RestoreTableToPointInTime.
 */
#include <string.h>

#include "base/kv_log.h"
#include "base/kv_time.h"
#include "ddb_int.h"

/* arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/backup/ID -> ID (13 digits, '-', 8 hex). */
static int decode_backup_arn(ddb_dec_t *d, const api_json_t *in, const char *member, kv_slice_t *id,
                             bool required, kv_slice_t *arn_out)
{
    kv_slice_t arn = KV_SLICE_NULL;
    if (!ddb_opt_str(d, in, member, &arn)) {
        if (required)
            ddb_dec_violation(d, "Value null at 'backupArn' failed to satisfy constraint: Member "
                                 "must not be null");
        return 0;
    }
    static const char mark[] = "/backup/";
    api_arn_t a;
    kv_slice_t rest;
    const uint8_t *slash = NULL; /* after the table's name (which has no '/') */
    if (api_arn_parse(arn, &a) && kv_slice_eq_str(a.service, "dynamodb") &&
        api_arn_after(&a, "table/", &rest))
        slash = memchr(rest.p, '/', rest.len);
    kv_slice_t v = slash ? kv_slice(slash, rest.len - (size_t)(slash - rest.p)) : KV_SLICE_NULL;
    if (arn_out)
        *arn_out = arn;
    if (kv_slice_starts_with(v, mark)) {
        v = kv_slice(v.p + sizeof(mark) - 1, v.len - (sizeof(mark) - 1));
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

int ddb_decode_create_backup(ddb_dec_t *d, const api_json_t *in, ddb_backup_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->table = ddb_opt_table(d, in, "TableName", true);
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
    decode_backup_arn(d, in, "BackupArn", &out->id, true, &out->arn);
    return ddb_dec_finish(d);
}

int ddb_decode_delete_backup(ddb_dec_t *d, const api_json_t *in, ddb_backup_in_t *out)
{
    return ddb_decode_describe_backup(d, in, out);
}

int ddb_decode_list_backups(ddb_dec_t *d, const api_json_t *in, ddb_backup_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->table = ddb_opt_table(d, in, "TableName", false);
    int64_t limit = 100;
    if (ddb_opt_int(d, in, "Limit", &limit) && (limit < 1 || limit > 100))
        ddb_dec_violation(d,
                          "Value '%lld' at 'limit' failed to satisfy constraint: Member must "
                          "have value between 1 and 100",
                          (long long)limit);
    out->limit = (size_t)(limit < 1 ? 1 : limit > 100 ? 100 : limit);
    decode_backup_arn(d, in, "ExclusiveStartBackupArn", &out->after, false, NULL);
    return ddb_dec_finish(d);
}

int ddb_decode_restore_table_from_backup(ddb_dec_t *d, const api_json_t *in, ddb_backup_in_t *out)
{
    memset(out, 0, sizeof(*out));
    kv_slice_t t = ddb_opt_table(d, in, "TargetTableName", true);
    out->name = kv_arena_strndup(d->a, t.p, t.len);
    decode_backup_arn(d, in, "BackupArn", &out->id, true, &out->arn);
    return ddb_dec_finish(d);
}

int ddb_decode_restore_table_to_point_in_time(ddb_dec_t *d, const api_json_t *in,
                                              ddb_backup_in_t *out)
{
    memset(out, 0, sizeof(*out));
    kv_slice_t t = ddb_opt_table(d, in, "TargetTableName", true);
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

static int table_not_found(api_resp_t *resp, kv_slice_t name)
{
    api_fail(resp, API_E_DDB_TABLE_NOT_FOUND, "Table not found: %.*s", (int)name.len,
             (const char *)name.p);
    return -1;
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
    if (rc == KV_ENOTFOUND)
        return table_not_found(resp, in->table);
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

/* The outcome of a restore (rc): a new table's indexes are rebuilt from the restored items and
 * its TTL holds; a name in use is refused. @return rc (KV_EEXIST with resp failed). */
static int restored(api_ctx_t *ctx, api_resp_t *resp, const ddb_backup_in_t *in, int rc)
{
    if (rc == 0) {
        api_sched_kick(ctx, "backfill");
        ddb_ttl_changed(ctx);
        resp->durable = true;
    } else if (rc == KV_EEXIST) {
        api_fail(resp, API_E_DDB_TABLE_EXISTS, "Table already exists: %s", in->name);
    }
    return rc;
}

int ddb_exec_restore_table_from_backup(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       const ddb_backup_in_t *in, ddb_backup_out_t *out)
{
    int rc = restored(ctx, resp, in,
                      eng_backup_restore(ctx->eng, in->id, in->name, req->arena, &out->t));
    if (rc == KV_EEXIST)
        return -1;
    if (rc < 0)
        return backup_fail(resp, rc, kv_arena_strndup(req->arena, in->id.p, in->id.len));
    return 0;
}

int ddb_exec_restore_table_to_point_in_time(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                            const ddb_backup_in_t *in, ddb_backup_out_t *out)
{
    eng_table_t *src;
    int rc = eng_table_get(ctx->eng, in->table, req->arena, &src);
    if (rc == KV_ENOTFOUND)
        return table_not_found(resp, in->table);
    if (rc < 0)
        return backup_fail(resp, rc, "");
    if (!src->pitr) {
        api_fail(resp, API_E_DDB_PITR_UNAVAILABLE,
                 "Point in time recovery is not enabled for table '%s'", src->name);
        return -1;
    }
    /* Restorable: from when recovery was enabled (at most its period back) until now. */
    int days;
    if ((rc = ddb_pitr_period(ctx, req->arena, src, &days)) < 0)
        return backup_fail(resp, rc, "");
    int64_t now = kv_now_ms(), earliest = src->pitr_since_ms;
    if (earliest < now - (int64_t)days * 86400 * 1000)
        earliest = now - (int64_t)days * 86400 * 1000;
    int64_t at = in->latest ? now : in->at_ms;
    if (at < earliest || at > now) {
        api_fail(resp, API_E_DDB_INVALID_RESTORE_TIME,
                 "Invalid restore time specified: RestoreDateTime must be between %lld and %lld",
                 (long long)(earliest / 1000), (long long)(now / 1000));
        return -1;
    }
    rc = restored(ctx, resp, in,
                  eng_pitr_restore(ctx->eng, in->table, in->name, at, req->arena, &out->t));
    if (rc == KV_EEXIST)
        return -1;
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
    return 0;
}

static void backup_arn(api_ctx_t *ctx, const eng_backup_t *b, char *out, size_t cap)
{
    api_arn_write(out, cap, "dynamodb", ctx->region, "table/%s/backup/%s", b->table, b->id);
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
    api_jw_key(w, "SourceTableFeatureDetails"); /* issue 17, package M */
    ddb_encode_feature_details(b->def, w);
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
        api_arn_write(tarn, sizeof(tarn), "dynamodb", ctx->region, "table/%s", b->table);
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
    api_arn_write(arn, sizeof(arn), "dynamodb", ctx->region, "table/%s", out->b->table);
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

/* ---- continuous backups: the point-in-time recovery setting ---- */

static int decode_backups(ddb_dec_t *d, const api_json_t *in, ddb_backups_in_t *out, bool update)
{
    memset(out, 0, sizeof(*out));
    kv_slice_t name = KV_SLICE_NULL;
    bool has = ddb_opt_str(d, in, "TableName", &name);
    ddb_check_table_name(d, &name, has, "tableName");
    if (update) {
        const api_json_t *spec = ddb_opt_kind(d, in, "PointInTimeRecoverySpecification", API_J_OBJ);
        out->has_spec = spec != NULL;
        if (!spec)
            ddb_dec_violation(d, "Value null at 'pointInTimeRecoverySpecification' failed to "
                                 "satisfy constraint: Member must not be null");
        else if (!ddb_opt_bool(d, spec, "PointInTimeRecoveryEnabled", &out->pitr))
            ddb_dec_violation(d, "Value null at "
                                 "'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled' "
                                 "failed to satisfy constraint: Member must not be null");
        /* issue 17, package S: RecoveryPeriodInDays, 1 to 35 */
        if (spec && ddb_opt_int(d, spec, "RecoveryPeriodInDays", &out->period) &&
            (out->period < 1 || out->period > 35))
            ddb_dec_violation(d,
                              "Value '%lld' at "
                              "'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to "
                              "satisfy constraint: Member must have value %s",
                              (long long)out->period,
                              out->period < 1 ? "greater than or equal to 1"
                                              : "less than or equal to 35");
    }
    if (ddb_dec_finish(d) < 0)
        return -1;
    if (update && out->period && !out->pitr)
        return ddb_dec_fail(d, "One or more parameter values were invalid: RecoveryPeriodInDays "
                               "can only be specified when PointInTimeRecoveryEnabled is true");
    out->name = name;
    return 0;
}

int ddb_decode_update_continuous_backups(ddb_dec_t *d, const api_json_t *in, ddb_backups_in_t *out)
{
    return decode_backups(d, in, out, true);
}

int ddb_decode_describe_continuous_backups(ddb_dec_t *d, const api_json_t *in,
                                           ddb_backups_in_t *out)
{
    return decode_backups(d, in, out, false);
}

static int backups_exec(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                        const ddb_backups_in_t *in, ddb_backups_out_t *out, bool update)
{
    eng_table_t *t;
    int rc = eng_table_get(ctx->eng, in->name, req->arena, &t);
    if (rc == KV_ENOTFOUND)
        return table_not_found(resp, in->name);
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    out->t = t;
    if (!update || (t->pitr == in->pitr && !in->period)) {
        rc = t->pitr ? ddb_pitr_period(ctx, req->arena, t, &out->period) : 0;
        return rc < 0 ? ddb_engine_fail(resp, rc) : 0;
    }
    /* Enabling sets the period (35 days unless given); an enabled table may change it. */
    out->period = in->period ? (int)in->period : 35;
    if (in->pitr && (rc = ddb_pitr_period_set(ctx, req->arena, t, out->period)) < 0)
        return ddb_engine_fail(resp, rc);
    if (t->pitr != in->pitr) {
        t->pitr = in->pitr;
        t->pitr_since_ms = in->pitr ? kv_now_ms() : 0;
        rc = eng_table_update(ctx->eng, t);
        if (rc < 0)
            return ddb_engine_fail(resp, rc);
    }
    resp->durable = true;
    return 0;
}

int ddb_exec_update_continuous_backups(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       const ddb_backups_in_t *in, ddb_backups_out_t *out)
{
    return backups_exec(ctx, req, resp, in, out, true);
}

int ddb_exec_describe_continuous_backups(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                         const ddb_backups_in_t *in, ddb_backups_out_t *out)
{
    return backups_exec(ctx, req, resp, in, out, false);
}

static void backups_desc(const ddb_backups_out_t *out, api_jw_t *w)
{
    const eng_table_t *t = out->t;
    api_jw_obj_begin(w);
    api_jw_key(w, "ContinuousBackupsDescription");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "ContinuousBackupsStatus", "ENABLED");
    api_jw_key(w, "PointInTimeRecoveryDescription");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "PointInTimeRecoveryStatus", t->pitr ? "ENABLED" : "DISABLED");
    if (t->pitr) {
        /* The window: since recovery was enabled, at most the period back. */
        int64_t now = kv_now_ms(), earliest = now - (int64_t)out->period * 86400 * 1000;
        api_jw_ku64(w, "RecoveryPeriodInDays", (uint64_t)out->period);
        api_jw_key(w, "EarliestRestorableDateTime");
        api_jw_epoch_ms(w, t->pitr_since_ms > earliest ? t->pitr_since_ms : earliest);
        api_jw_key(w, "LatestRestorableDateTime");
        api_jw_epoch_ms(w, kv_now_ms());
    }
    api_jw_obj_end(w);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
}

void ddb_encode_update_continuous_backups(api_ctx_t *ctx, api_req_t *req,
                                          const ddb_backups_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    backups_desc(out, w);
}

void ddb_encode_describe_continuous_backups(api_ctx_t *ctx, api_req_t *req,
                                            const ddb_backups_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    backups_desc(out, w);
}
