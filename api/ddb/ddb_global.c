/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API shape infrastructure tools expect (issue 17, package S), for a server with one
 * region: global tables (version 2017.11.29: CreateGlobalTable, DescribeGlobalTable,
 * DescribeGlobalTableSettings, UpdateGlobalTable, UpdateGlobalTableSettings, ListGlobalTables)
 * answered as a region where none exists; UpdateTable's ReplicaUpdates and the replica auto
 * scaling operations refused (there is no other region to replicate to); Kinesis streaming
 * destinations described as none (there is no Kinesis here, so no stream ARN names one); and
 * contributor insights, whose setting is stored (the export/import record store, key 'C' +
 * table + NUL + index) and reported consistently, with no CloudWatch rules behind it; and
 * point-in-time recovery's period (RecoveryPeriodInDays, key 'P' + table), read by
 * ddb_backups.c.
 */
#include <stdio.h>
#include <string.h>

#include "../authz/api_authz.h"
#include "base/kv_time.h"
#include "ddb_int.h"

#define NAME_MIN       3
#define NAME_MAX       255
#define STREAM_ARN_MIN 37
#define STREAM_ARN_MAX 1024
#define CI_PAGE_MAX    100
#define CI_KIND        'C'
#define CI_UUID_LEN    36
#define CI_VAL_LEN     (9 + CI_UUID_LEN) /* flags byte, updated_ms, the table's uuid */

static int clip(kv_slice_t s)
{
    return (int)(s.len > 300 ? 300 : s.len);
}

static bool name_chars_ok(kv_slice_t n)
{
    for (size_t i = 0; i < n.len; i++) {
        uint8_t c = n.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* A GlobalTableName or IndexName member (3..255 of [a-zA-Z0-9_.-]). @return whether present. */
static bool opt_name(ddb_dec_t *d, const api_json_t *in, const char *key, const char *member,
                     bool required, kv_slice_t *out)
{
    *out = KV_SLICE_NULL;
    if (!ddb_opt_str(d, in, key, out)) {
        if (required)
            ddb_dec_violation(d,
                              "Value null at '%s' failed to satisfy constraint: Member must "
                              "not be null",
                              member);
        return false;
    }
    if (out->len < NAME_MIN || out->len > NAME_MAX)
        ddb_dec_violation(d,
                          "Value '%.*s' at '%s' failed to satisfy constraint: Member must have "
                          "length %s",
                          clip(*out), (const char *)out->p, member,
                          out->len < NAME_MIN ? "greater than or equal to 3"
                                              : "less than or equal to 255");
    if (!name_chars_ok(*out))
        ddb_dec_violation(d,
                          "Value '%.*s' at '%s' failed to satisfy constraint: Member must "
                          "satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                          clip(*out), (const char *)out->p, member);
    return true;
}

static void need_table(ddb_dec_t *d, const api_json_t *in, ddb_shape_in_t *out)
{
    bool has = ddb_opt_str(d, in, "TableName", &out->table);
    ddb_check_table_name(d, &out->table, has, "tableName");
}

/* The RegionName of each element of list (an array of objects, each under `wrap` when given:
 * ReplicaUpdates' Create/Update/Delete). */
static void regions(ddb_dec_t *d, const api_json_t *list, bool wrapped, ddb_shape_in_t *out)
{
    size_t n = api_json_len(list);
    if (n > DDB_SHAPE_REGIONS_MAX)
        n = DDB_SHAPE_REGIONS_MAX;
    out->regions = kv_arena_calloc(d->a, n + 1, sizeof(*out->regions));
    for (size_t i = 0; i < n && !d->serialization; i++) {
        const api_json_t *e = api_json_at(list, i);
        if (api_json_type(e) != API_J_OBJ) {
            ddb_dec_serial(d, "Expected structure");
            return;
        }
        if (wrapped) {
            const api_json_t *w = ddb_opt_kind(d, e, "Create", API_J_OBJ);
            if (w == NULL)
                w = ddb_opt_kind(d, e, "Update", API_J_OBJ);
            if (w == NULL)
                w = ddb_opt_kind(d, e, "Delete", API_J_OBJ);
            if (w == NULL)
                continue;
            e = w;
        }
        kv_slice_t r;
        if (ddb_opt_str(d, e, "RegionName", &r))
            out->regions[out->n_regions++] = r;
    }
}

/* ---- decode ---- */

int ddb_decode_create_global_table(ddb_dec_t *d, const api_json_t *in, ddb_shape_in_t *out)
{
    memset(out, 0, sizeof(*out));
    opt_name(d, in, "GlobalTableName", "globalTableName", true, &out->gt);
    const api_json_t *g = ddb_opt_kind(d, in, "ReplicationGroup", API_J_ARR);
    if (g == NULL)
        ddb_dec_violation(d, "Value null at 'replicationGroup' failed to satisfy constraint: "
                             "Member must not be null");
    else
        regions(d, g, false, out);
    return ddb_dec_finish(d);
}

static int decode_gt(ddb_dec_t *d, const api_json_t *in, ddb_shape_in_t *out)
{
    memset(out, 0, sizeof(*out));
    opt_name(d, in, "GlobalTableName", "globalTableName", true, &out->gt);
    return ddb_dec_finish(d);
}

int ddb_decode_describe_global_table(ddb_dec_t *d, const api_json_t *in, ddb_shape_in_t *out)
{
    return decode_gt(d, in, out);
}

int ddb_decode_describe_global_table_settings(ddb_dec_t *d, const api_json_t *in,
                                              ddb_shape_in_t *out)
{
    return decode_gt(d, in, out);
}

int ddb_decode_update_global_table(ddb_dec_t *d, const api_json_t *in, ddb_shape_in_t *out)
{
    memset(out, 0, sizeof(*out));
    opt_name(d, in, "GlobalTableName", "globalTableName", true, &out->gt);
    const api_json_t *u = ddb_opt_kind(d, in, "ReplicaUpdates", API_J_ARR);
    if (u == NULL)
        ddb_dec_violation(d, "Value null at 'replicaUpdates' failed to satisfy constraint: "
                             "Member must not be null");
    else
        regions(d, u, true, out);
    return ddb_dec_finish(d);
}

int ddb_decode_update_global_table_settings(ddb_dec_t *d, const api_json_t *in, ddb_shape_in_t *out)
{
    return decode_gt(d, in, out);
}

int ddb_decode_list_global_tables(ddb_dec_t *d, const api_json_t *in, ddb_shape_in_t *out)
{
    memset(out, 0, sizeof(*out));
    opt_name(d, in, "ExclusiveStartGlobalTableName", "exclusiveStartGlobalTableName", false,
             &out->gt);
    if (ddb_opt_int(d, in, "Limit", &out->limit) && out->limit < 1)
        ddb_dec_violation(d,
                          "Value '%lld' at 'limit' failed to satisfy constraint: Member must "
                          "have value greater than or equal to 1",
                          (long long)out->limit);
    ddb_opt_str(d, in, "RegionName", &out->arn);
    return ddb_dec_finish(d);
}

int ddb_decode_describe_table_replica_auto_scaling(ddb_dec_t *d, const api_json_t *in,
                                                   ddb_shape_in_t *out)
{
    memset(out, 0, sizeof(*out));
    need_table(d, in, out);
    return ddb_dec_finish(d);
}

int ddb_decode_update_table_replica_auto_scaling(ddb_dec_t *d, const api_json_t *in,
                                                 ddb_shape_in_t *out)
{
    memset(out, 0, sizeof(*out));
    need_table(d, in, out);
    const api_json_t *u = ddb_opt_kind(d, in, "ReplicaUpdates", API_J_ARR);
    out->has_replicas = u != NULL;
    if (u)
        regions(d, u, false, out);
    ddb_opt_kind(d, in, "GlobalSecondaryIndexUpdates", API_J_ARR);
    ddb_opt_kind(d, in, "ProvisionedWriteCapacityAutoScalingUpdate", API_J_OBJ);
    return ddb_dec_finish(d);
}

static int decode_ci_target(ddb_dec_t *d, const api_json_t *in, ddb_shape_in_t *out)
{
    memset(out, 0, sizeof(*out));
    need_table(d, in, out);
    opt_name(d, in, "IndexName", "indexName", false, &out->index);
    return 0;
}

int ddb_decode_describe_contributor_insights(ddb_dec_t *d, const api_json_t *in,
                                             ddb_shape_in_t *out)
{
    decode_ci_target(d, in, out);
    return ddb_dec_finish(d);
}

int ddb_decode_list_contributor_insights(ddb_dec_t *d, const api_json_t *in, ddb_shape_in_t *out)
{
    memset(out, 0, sizeof(*out));
    if (ddb_opt_str(d, in, "TableName", &out->table))
        ddb_check_table_name(d, &out->table, true, "tableName");
    ddb_opt_str(d, in, "NextToken", &out->next);
    if (ddb_opt_int(d, in, "MaxResults", &out->limit) && out->limit > CI_PAGE_MAX)
        ddb_dec_violation(d,
                          "Value '%lld' at 'maxResults' failed to satisfy constraint: Member "
                          "must have value less than or equal to 100",
                          (long long)out->limit);
    return ddb_dec_finish(d);
}

int ddb_decode_update_contributor_insights(ddb_dec_t *d, const api_json_t *in, ddb_shape_in_t *out)
{
    decode_ci_target(d, in, out);
    kv_slice_t a, m;
    if (!ddb_opt_str(d, in, "ContributorInsightsAction", &a))
        ddb_dec_violation(d, "Value null at 'contributorInsightsAction' failed to satisfy "
                             "constraint: Member must not be null");
    else if (kv_slice_eq_str(a, "ENABLE"))
        out->enable = true;
    else if (!kv_slice_eq_str(a, "DISABLE"))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'contributorInsightsAction' failed to satisfy "
                          "constraint: Member must satisfy enum value set: [ENABLE, DISABLE]",
                          clip(a), (const char *)a.p);
    if (ddb_opt_str(d, in, "ContributorInsightsMode", &m)) {
        if (kv_slice_eq_str(m, "THROTTLED_KEYS"))
            out->throttled_only = true;
        else if (!kv_slice_eq_str(m, "ACCESSED_AND_THROTTLED_KEYS"))
            ddb_dec_violation(d,
                              "Value '%.*s' at 'contributorInsightsMode' failed to satisfy "
                              "constraint: Member must satisfy enum value set: "
                              "[ACCESSED_AND_THROTTLED_KEYS, THROTTLED_KEYS]",
                              clip(m), (const char *)m.p);
    }
    return ddb_dec_finish(d);
}

int ddb_decode_describe_kinesis_streaming_destination(ddb_dec_t *d, const api_json_t *in,
                                                      ddb_shape_in_t *out)
{
    memset(out, 0, sizeof(*out));
    need_table(d, in, out);
    return ddb_dec_finish(d);
}

static int decode_kinesis(ddb_dec_t *d, const api_json_t *in, ddb_shape_in_t *out,
                          const char *config)
{
    memset(out, 0, sizeof(*out));
    need_table(d, in, out);
    if (!ddb_opt_str(d, in, "StreamArn", &out->arn))
        ddb_dec_violation(d, "Value null at 'streamArn' failed to satisfy constraint: Member "
                             "must not be null");
    else if (out->arn.len < STREAM_ARN_MIN || out->arn.len > STREAM_ARN_MAX)
        ddb_dec_violation(d,
                          "Value '%.*s' at 'streamArn' failed to satisfy constraint: Member "
                          "must have length %s",
                          clip(out->arn), (const char *)out->arn.p,
                          out->arn.len < STREAM_ARN_MIN ? "greater than or equal to 37"
                                                        : "less than or equal to 1024");
    ddb_opt_kind(d, in, config, API_J_OBJ);
    return ddb_dec_finish(d);
}

int ddb_decode_enable_kinesis_streaming_destination(ddb_dec_t *d, const api_json_t *in,
                                                    ddb_shape_in_t *out)
{
    return decode_kinesis(d, in, out, "EnableKinesisStreamingConfiguration");
}

int ddb_decode_disable_kinesis_streaming_destination(ddb_dec_t *d, const api_json_t *in,
                                                     ddb_shape_in_t *out)
{
    return decode_kinesis(d, in, out, "EnableKinesisStreamingConfiguration");
}

int ddb_decode_update_kinesis_streaming_destination(ddb_dec_t *d, const api_json_t *in,
                                                    ddb_shape_in_t *out)
{
    return decode_kinesis(d, in, out, "UpdateKinesisStreamingConfiguration");
}

/* ---- authorization: the IAM action on the resource the service authorization reference
 * lists (a global table's ARN has no region) ---- */

static int ask(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *action,
               const char *resource)
{
    api_authz_t q = {.action = action, .resource = kv_slice_str(resource)};
    return api_authorize(ctx, req, resp, &q) == 0 ? 0 : -1;
}

static int ask_gt(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *action,
                  const ddb_shape_in_t *in)
{
    return ask(ctx, req, resp, action,
               api_arn_new(req->arena, "dynamodb", "", "global-table/%.*s", (int)in->gt.len,
                           (const char *)in->gt.p));
}

/* The table's ARN, or its index's when the request names one. */
static int ask_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *action,
                     const ddb_shape_in_t *in)
{
    const char *arn =
        in->index.len ? api_arn_new(req->arena, "dynamodb", ctx->region, "table/%.*s/index/%.*s",
                                    (int)in->table.len, (const char *)in->table.p,
                                    (int)in->index.len, (const char *)in->index.p)
                      : api_arn_new(req->arena, "dynamodb", ctx->region, "table/%.*s",
                                    (int)in->table.len, (const char *)in->table.p);
    return ask(ctx, req, resp, action, arn);
}

#define AUTHZ(name, Action, how)                                                               \
    int ddb_authz_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_shape_in_t *in) \
    {                                                                                          \
        return how(ctx, req, resp, "dynamodb:" #Action, in);                                   \
    }
static int ask_star(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *action,
                    const ddb_shape_in_t *in)
{
    (void)in;
    return ask(ctx, req, resp, action, "*");
}
AUTHZ(create_global_table, CreateGlobalTable, ask_gt)
AUTHZ(describe_global_table, DescribeGlobalTable, ask_gt)
AUTHZ(describe_global_table_settings, DescribeGlobalTableSettings, ask_gt)
AUTHZ(update_global_table, UpdateGlobalTable, ask_gt)
AUTHZ(update_global_table_settings, UpdateGlobalTableSettings, ask_gt)
AUTHZ(list_global_tables, ListGlobalTables, ask_star)
AUTHZ(describe_table_replica_auto_scaling, DescribeTableReplicaAutoScaling, ask_table)
AUTHZ(update_table_replica_auto_scaling, UpdateTableReplicaAutoScaling, ask_table)
AUTHZ(describe_contributor_insights, DescribeContributorInsights, ask_table)
AUTHZ(list_contributor_insights, ListContributorInsights, ask_star)
AUTHZ(update_contributor_insights, UpdateContributorInsights, ask_table)
AUTHZ(describe_kinesis_streaming_destination, DescribeKinesisStreamingDestination, ask_table)
AUTHZ(enable_kinesis_streaming_destination, EnableKinesisStreamingDestination, ask_table)
AUTHZ(disable_kinesis_streaming_destination, DisableKinesisStreamingDestination, ask_table)
AUTHZ(update_kinesis_streaming_destination, UpdateKinesisStreamingDestination, ask_table)
#undef AUTHZ

/* ---- execute ---- */

static int table_not_found(api_resp_t *resp, kv_slice_t name)
{
    api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
             "Requested resource not found: Table: %.*s not found", clip(name),
             (const char *)name.p);
    return -1;
}

static int get_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                     eng_table_t **t)
{
    int rc = eng_table_get(ctx->eng, name, req->arena, t);
    if (rc == KV_ENOTFOUND)
        return table_not_found(resp, name);
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    return 0;
}

static int gt_not_found(api_resp_t *resp, kv_slice_t name)
{
    api_fail(resp, API_E_DDB_GLOBAL_TABLE_NOT_FOUND,
             "Global table not found: Global table with name: '%.*s' does not exist.", clip(name),
             (const char *)name.p);
    return -1;
}

int ddb_exec_create_global_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 const ddb_shape_in_t *in, ddb_shape_out_t *out)
{
    (void)out;
    /* Each replica's table must exist in its region: this server has one region, so a replica
     * named anywhere else is a table not found there. */
    bool here = false;
    for (size_t i = 0; i < in->n_regions; i++) {
        kv_slice_t r = in->regions[i];
        if (!kv_slice_eq_str(r, ctx->region)) {
            api_fail(resp, API_E_DDB_TABLE_NOT_FOUND,
                     "Table not found: Table: '%.*s' not found in region: '%.*s'.", clip(in->gt),
                     (const char *)in->gt.p, clip(r), (const char *)r.p);
            return -1;
        }
        here = true;
    }
    eng_table_t *t;
    int rc = eng_table_get(ctx->eng, in->gt, req->arena, &t);
    if (rc == KV_ENOTFOUND || !here) {
        api_fail(resp, API_E_DDB_TABLE_NOT_FOUND,
                 "Table not found: Table: '%.*s' not found in region: '%s'.", clip(in->gt),
                 (const char *)in->gt.p, ctx->region);
        return -1;
    }
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    api_fail(resp, API_E_DDB_VALIDATION,
             "One or more parameter values were invalid: A global table needs replicas in at "
             "least two regions; this server has the single region %s",
             ctx->region);
    return -1;
}

#define GT_MISSING(name)                                                  \
    int ddb_exec_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, \
                        const ddb_shape_in_t *in, ddb_shape_out_t *out)   \
    {                                                                     \
        (void)ctx, (void)req, (void)out;                                  \
        return gt_not_found(resp, in->gt);                                \
    }
GT_MISSING(describe_global_table)
GT_MISSING(describe_global_table_settings)
GT_MISSING(update_global_table)
GT_MISSING(update_global_table_settings)
#undef GT_MISSING

int ddb_exec_list_global_tables(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                const ddb_shape_in_t *in, ddb_shape_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)in, (void)out;
    return 0; /* no global table exists in any region */
}

int ddb_exec_describe_table_replica_auto_scaling(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                                 const ddb_shape_in_t *in, ddb_shape_out_t *out)
{
    return get_table(ctx, req, resp, in->table, &out->t);
}

int ddb_exec_update_table_replica_auto_scaling(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                               const ddb_shape_in_t *in, ddb_shape_out_t *out)
{
    if (get_table(ctx, req, resp, in->table, &out->t) < 0)
        return -1;
    for (size_t i = 0; i < in->n_regions; i++)
        if (!kv_slice_eq_str(in->regions[i], ctx->region)) {
            api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
                     "Requested resource not found: Replica: %.*s not found", clip(in->regions[i]),
                     (const char *)in->regions[i].p);
            return -1;
        }
    api_fail(resp, API_E_DDB_VALIDATION,
             "One or more parameter values were invalid: Table %s is not a global table: replica "
             "auto scaling applies only to global tables (version 2019.11.21)",
             out->t->name);
    return -1;
}

int ddb_replica_updates(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_table_t *t,
                        const api_json_t *updates)
{
    (void)req;
    size_t n = api_json_len(updates);
    for (size_t i = 0; i < n && i < DDB_SHAPE_REGIONS_MAX; i++) {
        const api_json_t *e = api_json_at(updates, i);
        static const char *const kinds[] = {"Create", "Update", "Delete"};
        for (size_t k = 0; k < 3; k++) {
            const api_json_t *w = api_json_type(e) == API_J_OBJ ? api_json_get(e, kinds[k]) : NULL;
            const api_json_t *rn =
                w && api_json_type(w) == API_J_OBJ ? api_json_get(w, "RegionName") : NULL;
            if (rn == NULL || api_json_type(rn) != API_J_STR)
                continue;
            kv_slice_t r = api_json_str(rn);
            if (kv_slice_eq_str(r, ctx->region)) {
                api_fail(resp, API_E_DDB_VALIDATION,
                         "Cannot add, delete, or update the local region through "
                         "ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable as "
                         "required.");
                return -1;
            }
            if (k == 0)
                api_fail(resp, API_E_DDB_VALIDATION,
                         "One or more parameter values were invalid: Region %.*s is not "
                         "available: this server has the single region %s",
                         clip(r), (const char *)r.p, ctx->region);
            else
                api_fail(resp, API_E_DDB_VALIDATION,
                         "One or more parameter values were invalid: Table %s has no replica in "
                         "region %.*s",
                         t->name, clip(r), (const char *)r.p);
            return -1;
        }
    }
    return 0;
}

/* ---- contributor insights: the setting's record ---- */

static kv_slice_t ci_key(kv_arena_t *a, kv_slice_t table, kv_slice_t index)
{
    size_t n = 1 + table.len + 1 + index.len;
    uint8_t *k = kv_arena_alloc(a, n);
    k[0] = CI_KIND;
    memcpy(k + 1, table.p, table.len);
    k[1 + table.len] = 0;
    if (index.len)
        memcpy(k + 2 + table.len, index.p, index.len);
    return kv_slice(k, n);
}

static void put_i64(uint8_t *p, int64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)((uint64_t)v >> (8 * i));
}

static int64_t get_i64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return (int64_t)v;
}

/* Decode a record into ci when it belongs to table t as it is now (its uuid: a record left by a
 * deleted table of the same name is not this table's). @return whether it does. */
static bool ci_decode(kv_slice_t val, const eng_table_t *t, ddb_ci_t *ci)
{
    if (val.len != CI_VAL_LEN || strlen(t->uuid) != CI_UUID_LEN ||
        memcmp(val.p + 9, t->uuid, CI_UUID_LEN) != 0)
        return false;
    ci->enabled = val.p[0] & 1;
    ci->throttled_only = (val.p[0] & 2) != 0;
    ci->updated_ms = get_i64(val.p + 1);
    return true;
}

/* The index of t that contributor insights can name (a global secondary index). */
static const eng_index_t *ci_index(const eng_table_t *t, kv_slice_t name)
{
    for (size_t i = 0; i < t->n_indexes; i++)
        if (t->indexes[i].global && kv_slice_eq_str(name, t->indexes[i].name))
            return &t->indexes[i];
    return NULL;
}

static int ci_target(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_shape_in_t *in,
                     ddb_shape_out_t *out)
{
    out->in = in;
    if (get_table(ctx, req, resp, in->table, &out->t) < 0)
        return -1;
    out->ci.table = out->t->name;
    if (in->index.len) {
        const eng_index_t *ix = ci_index(out->t, in->index);
        if (ix == NULL) {
            api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
                     "Requested resource not found: Index: %.*s not found", clip(in->index),
                     (const char *)in->index.p);
            return -1;
        }
        out->ci.index = ix->name;
    }
    kv_slice_t val;
    int rc = eng_ddbio_get(ctx->eng, ci_key(req->arena, kv_slice_str(out->t->name), in->index),
                           req->arena, &val);
    if (rc < 0 && rc != KV_ENOTFOUND)
        return ddb_engine_fail(resp, rc);
    if (rc == 0)
        ci_decode(val, out->t, &out->ci);
    return 0;
}

int ddb_exec_describe_contributor_insights(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                           const ddb_shape_in_t *in, ddb_shape_out_t *out)
{
    return ci_target(ctx, req, resp, in, out);
}

int ddb_exec_update_contributor_insights(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                         const ddb_shape_in_t *in, ddb_shape_out_t *out)
{
    if (ci_target(ctx, req, resp, in, out) < 0)
        return -1;
    out->ci.enabled = in->enable;
    out->ci.throttled_only = in->enable && in->throttled_only;
    out->ci.updated_ms = kv_now_ms();
    uint8_t *v = kv_arena_alloc(req->arena, CI_VAL_LEN);
    v[0] = (uint8_t)((out->ci.enabled ? 1 : 0) | (out->ci.throttled_only ? 2 : 0));
    put_i64(v + 1, out->ci.updated_ms);
    memset(v + 9, 0, CI_UUID_LEN);
    memcpy(v + 9, out->t->uuid, strnlen(out->t->uuid, CI_UUID_LEN));
    eng_cat_op_t op = {.key = ci_key(req->arena, kv_slice_str(out->t->name), in->index),
                       .val = kv_slice(v, CI_VAL_LEN)};
    int rc = eng_ddbio_write(ctx->eng, &op, 1);
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    resp->durable = true;
    return 0;
}

typedef struct ci_scan {
    api_ctx_t *ctx;
    api_req_t *req;
    ddb_shape_out_t *out;
    size_t limit;
    kv_slice_t last; /* the suffix of the last record taken */
    bool more;
    int err;
} ci_scan_t;

static int ci_take(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    ci_scan_t *s = arg;
    /* suffix: table NUL index (after the prefix 'C') */
    const uint8_t *z = memchr(suffix.p, 0, suffix.len);
    if (z == NULL)
        return 0;
    kv_slice_t table = kv_slice(suffix.p, (size_t)(z - suffix.p));
    kv_slice_t index = kv_slice(z + 1, suffix.len - table.len - 1);
    eng_table_t *t;
    int rc = eng_table_get(s->ctx->eng, table, s->req->arena, &t);
    if (rc == KV_ENOTFOUND)
        return 0;
    if (rc < 0) {
        s->err = rc;
        return 1;
    }
    ddb_ci_t ci = {.table = t->name};
    if (!ci_decode(val, t, &ci))
        return 0;
    if (index.len) {
        const eng_index_t *ix = ci_index(t, index);
        if (ix == NULL)
            return 0; /* the index was deleted */
        ci.index = ix->name;
    }
    if (s->out->n == s->limit) {
        s->more = true;
        return 1;
    }
    s->out->list[s->out->n++] = ci;
    /* The scan's key memory lives only for this call: keep a copy for NextToken. */
    uint8_t *k = kv_arena_alloc(s->req->arena, suffix.len);
    memcpy(k, suffix.p, suffix.len);
    s->last = kv_slice(k, suffix.len);
    return 0;
}

int ddb_exec_list_contributor_insights(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       const ddb_shape_in_t *in, ddb_shape_out_t *out)
{
    out->in = in;
    size_t limit = in->limit > 0 ? (size_t)in->limit : CI_PAGE_MAX;
    out->list = kv_arena_calloc(req->arena, limit + 1, sizeof(*out->list));
    if (in->table.len) {
        /* A table: its own setting, then each global secondary index's (DISABLED when never
         * set), on one page. */
        if (get_table(ctx, req, resp, in->table, &out->t) < 0)
            return -1;
        out->list = kv_arena_calloc(req->arena, out->t->n_indexes + 1, sizeof(*out->list));
        for (size_t i = 0; i <= out->t->n_indexes; i++) {
            const eng_index_t *ix = i ? &out->t->indexes[i - 1] : NULL;
            if (ix && !ix->global)
                continue;
            ddb_ci_t ci = {.table = out->t->name, .index = ix ? ix->name : NULL};
            kv_slice_t val;
            int rc = eng_ddbio_get(
                ctx->eng,
                ci_key(req->arena, kv_slice_str(out->t->name), kv_slice_str(ix ? ix->name : "")),
                req->arena, &val);
            if (rc < 0 && rc != KV_ENOTFOUND)
                return ddb_engine_fail(resp, rc);
            if (rc == 0)
                ci_decode(val, out->t, &ci);
            out->list[out->n++] = ci;
        }
        return 0;
    }
    /* Every table's and index's setting ever made, in name order, a page at a time; NextToken
     * is the last record's key (table NUL index) in hexadecimal. */
    kv_slice_t after = KV_SLICE_NULL;
    if (in->next.len) {
        size_t n = in->next.len / 2;
        bool ok = in->next.len % 2 == 0 && n <= ENG_DDBIO_KEY_MAX; /* before allocating */
        uint8_t *b = ok ? kv_arena_alloc(req->arena, n + 1) : NULL;
        for (size_t i = 0; ok && i < n; i++) {
            unsigned v = 0;
            char h[3] = {(char)in->next.p[2 * i], (char)in->next.p[2 * i + 1], 0};
            ok = strspn(h, "0123456789abcdef") == 2 && sscanf(h, "%2x", &v) == 1;
            if (ok)
                b[i] = (uint8_t)v;
        }
        if (!ok) {
            api_fail(resp, API_E_DDB_VALIDATION, "Invalid NextToken");
            return -1;
        }
        after = kv_slice(b, n);
    }
    ci_scan_t s = {.ctx = ctx, .req = req, .out = out, .limit = limit};
    uint8_t kind = CI_KIND;
    int rc = eng_ddbio_scan(ctx->eng, kv_slice(&kind, 1), after, 0, ci_take, &s);
    if (rc == 0 && s.err)
        rc = s.err;
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    if (s.more) {
        char *t = kv_arena_alloc(req->arena, 2 * s.last.len + 1);
        for (size_t i = 0; i < s.last.len; i++)
            snprintf(t + 2 * i, 3, "%02x", s.last.p[i]);
        t[2 * s.last.len] = 0;
        out->next = t;
    }
    return 0;
}

/* ---- Kinesis streaming destinations: none, and no Kinesis stream to name ---- */

int ddb_exec_describe_kinesis_streaming_destination(api_ctx_t *ctx, api_req_t *req,
                                                    api_resp_t *resp, const ddb_shape_in_t *in,
                                                    ddb_shape_out_t *out)
{
    return get_table(ctx, req, resp, in->table, &out->t);
}

static int no_kinesis(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_shape_in_t *in,
                      ddb_shape_out_t *out)
{
    if (get_table(ctx, req, resp, in->table, &out->t) < 0)
        return -1;
    api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
             "Requested resource not found: Kinesis stream: %.*s not found", clip(in->arn),
             (const char *)in->arn.p);
    return -1;
}

int ddb_exec_enable_kinesis_streaming_destination(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                                  const ddb_shape_in_t *in, ddb_shape_out_t *out)
{
    return no_kinesis(ctx, req, resp, in, out);
}

int ddb_exec_disable_kinesis_streaming_destination(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                                   const ddb_shape_in_t *in, ddb_shape_out_t *out)
{
    return no_kinesis(ctx, req, resp, in, out);
}

int ddb_exec_update_kinesis_streaming_destination(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                                  const ddb_shape_in_t *in, ddb_shape_out_t *out)
{
    return no_kinesis(ctx, req, resp, in, out);
}

/* ---- encode ---- */

static void encode_nothing(api_jw_t *w)
{
    api_jw_obj_begin(w);
    api_jw_obj_end(w);
}

#define ENC_NOTHING(name)                                                              \
    void ddb_encode_##name(api_ctx_t *ctx, api_req_t *req, const ddb_shape_out_t *out, \
                           api_jw_t *w)                                                \
    {                                                                                  \
        (void)ctx, (void)req, (void)out;                                               \
        encode_nothing(w);                                                             \
    }
/* The operations that never succeed here answer an error; their encoders are never reached. */
ENC_NOTHING(create_global_table)
ENC_NOTHING(describe_global_table)
ENC_NOTHING(describe_global_table_settings)
ENC_NOTHING(update_global_table)
ENC_NOTHING(update_global_table_settings)
ENC_NOTHING(update_table_replica_auto_scaling)
ENC_NOTHING(enable_kinesis_streaming_destination)
ENC_NOTHING(disable_kinesis_streaming_destination)
ENC_NOTHING(update_kinesis_streaming_destination)
#undef ENC_NOTHING

void ddb_encode_list_global_tables(api_ctx_t *ctx, api_req_t *req, const ddb_shape_out_t *out,
                                   api_jw_t *w)
{
    (void)ctx, (void)req, (void)out;
    api_jw_obj_begin(w);
    api_jw_key(w, "GlobalTables");
    api_jw_arr_begin(w);
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}

static const char *table_status(const eng_table_t *t)
{
    for (size_t i = 0; i < t->n_indexes; i++)
        if (t->indexes[i].creating)
            return "UPDATING";
    return "ACTIVE";
}

void ddb_encode_describe_table_replica_auto_scaling(api_ctx_t *ctx, api_req_t *req,
                                                    const ddb_shape_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "TableAutoScalingDescription");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "TableName", out->t->name);
    api_jw_kstr(w, "TableStatus", table_status(out->t));
    api_jw_key(w, "Replicas");
    api_jw_arr_begin(w);
    api_jw_arr_end(w);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
}

static const char *ci_mode(const ddb_ci_t *ci)
{
    return ci->throttled_only ? "THROTTLED_KEYS" : "ACCESSED_AND_THROTTLED_KEYS";
}

void ddb_encode_describe_contributor_insights(api_ctx_t *ctx, api_req_t *req,
                                              const ddb_shape_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    const ddb_ci_t *ci = &out->ci;
    api_jw_obj_begin(w);
    api_jw_kstr(w, "TableName", ci->table);
    if (ci->index)
        api_jw_kstr(w, "IndexName", ci->index);
    if (ci->enabled) {
        /* The rule names DynamoDB creates in CloudWatch (none exist here). */
        api_jw_key(w, "ContributorInsightsRuleList");
        api_jw_arr_begin(w);
        static const char *const kinds[] = {"PKC", "SKC", "PKT", "SKT"};
        for (size_t i = 0; i < 4; i++) {
            char rule[600];
            snprintf(rule, sizeof(rule), "DynamoDBContributorInsights-%s-%s%s%s-%lld", kinds[i],
                     ci->table, ci->index ? "-" : "", ci->index ? ci->index : "",
                     (long long)(ci->updated_ms / 1000));
            api_jw_cstr(w, rule);
        }
        api_jw_arr_end(w);
    }
    api_jw_kstr(w, "ContributorInsightsStatus", ci->enabled ? "ENABLED" : "DISABLED");
    if (ci->updated_ms) {
        api_jw_key(w, "LastUpdateDateTime");
        api_jw_epoch_ms(w, ci->updated_ms);
    }
    if (ci->enabled)
        api_jw_kstr(w, "ContributorInsightsMode", ci_mode(ci));
    api_jw_obj_end(w);
}

void ddb_encode_update_contributor_insights(api_ctx_t *ctx, api_req_t *req,
                                            const ddb_shape_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    const ddb_ci_t *ci = &out->ci;
    api_jw_obj_begin(w);
    api_jw_kstr(w, "TableName", ci->table);
    if (ci->index)
        api_jw_kstr(w, "IndexName", ci->index);
    /* The change is complete when the call returns; DynamoDB reports the transition. */
    api_jw_kstr(w, "ContributorInsightsStatus", ci->enabled ? "ENABLING" : "DISABLING");
    if (ci->enabled)
        api_jw_kstr(w, "ContributorInsightsMode", ci_mode(ci));
    api_jw_obj_end(w);
}

void ddb_encode_list_contributor_insights(api_ctx_t *ctx, api_req_t *req,
                                          const ddb_shape_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "ContributorInsightsSummaries");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->n; i++) {
        const ddb_ci_t *ci = &out->list[i];
        api_jw_obj_begin(w);
        api_jw_kstr(w, "TableName", ci->table);
        if (ci->index)
            api_jw_kstr(w, "IndexName", ci->index);
        api_jw_kstr(w, "ContributorInsightsStatus", ci->enabled ? "ENABLED" : "DISABLED");
        if (ci->enabled)
            api_jw_kstr(w, "ContributorInsightsMode", ci_mode(ci));
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    if (out->next)
        api_jw_kstr(w, "NextToken", out->next);
    api_jw_obj_end(w);
}

void ddb_encode_describe_kinesis_streaming_destination(api_ctx_t *ctx, api_req_t *req,
                                                       const ddb_shape_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_kstr(w, "TableName", out->t->name);
    api_jw_key(w, "KinesisDataStreamDestinations");
    api_jw_arr_begin(w);
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}

/* ---- point-in-time recovery's period (RecoveryPeriodInDays): key 'P' + table name, value the
 * days byte and the table's uuid (a deleted table's record is not its successor's) ---- */

#define PITR_KIND    'P'
#define PITR_DEFAULT 35
#define PITR_VAL_LEN (1 + CI_UUID_LEN)

static kv_slice_t pitr_key(kv_arena_t *a, const eng_table_t *t)
{
    size_t n = strlen(t->name);
    uint8_t *k = kv_arena_alloc(a, n + 1);
    k[0] = PITR_KIND;
    memcpy(k + 1, t->name, n);
    return kv_slice(k, n + 1);
}

int ddb_pitr_period(api_ctx_t *ctx, kv_arena_t *a, const eng_table_t *t, int *days)
{
    *days = PITR_DEFAULT;
    kv_slice_t val;
    int rc = eng_ddbio_get(ctx->eng, pitr_key(a, t), a, &val);
    if (rc == KV_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    if (val.len == PITR_VAL_LEN && val.p[0] >= 1 && val.p[0] <= PITR_DEFAULT &&
        strlen(t->uuid) == CI_UUID_LEN && memcmp(val.p + 1, t->uuid, CI_UUID_LEN) == 0)
        *days = val.p[0];
    return 0;
}

int ddb_pitr_period_set(api_ctx_t *ctx, kv_arena_t *a, const eng_table_t *t, int days)
{
    uint8_t *v = kv_arena_alloc(a, PITR_VAL_LEN);
    v[0] = (uint8_t)days;
    memset(v + 1, 0, CI_UUID_LEN);
    memcpy(v + 1, t->uuid, strnlen(t->uuid, CI_UUID_LEN));
    eng_cat_op_t op = {.key = pitr_key(a, t), .val = kv_slice(v, PITR_VAL_LEN)};
    return eng_ddbio_write(ctx->eng, &op, 1);
}
