/* SPDX-License-Identifier: Apache-2.0 */
/* DynamoDB dispatch and the execute stage: typed inputs -> engine calls -> typed outputs. */
#include <string.h>
#include <zlib.h>

#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "ddb_int.h"

#define DDB_COUNT_MAX 200000 /* entries counted per table or index by DescribeTable */

/* Map an unexpected engine error to InternalServerError. */
static int engine_fail(api_resp_t *resp, int rc)
{
    KV_LOG_ERROR("dynamodb: engine error %s", kv_err_name(rc));
    api_fail(resp, API_E_DDB_INTERNAL, NULL);
    return -1;
}

static int not_found(api_resp_t *resp, kv_slice_t name)
{
    api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
             "Requested resource not found: Table: %.*s not found", (int)name.len,
             (const char *)name.p);
    return -1;
}

int ddb_exec_create_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const ddb_create_table_in_t *in, ddb_create_table_out_t *out)
{
    eng_table_t *t = kv_arena_alloc(req->arena, sizeof(*t));
    *t = in->t;
    if (ddb_sse_apply(ctx, req, resp, &in->sse, t) < 0) /* issue 16, package K */
        return -1;
    int rc = eng_table_create(ctx->eng, t);
    if (rc == KV_EEXIST) {
        api_fail(resp, API_E_DDB_RESOURCE_IN_USE, "Table already exists: %s", t->name);
        return -1;
    }
    if (rc < 0)
        return engine_fail(resp, rc);
    resp->durable = true;
    out->t = t;
    out->status = "ACTIVE";
    return 0;
}

int ddb_exec_describe_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            const ddb_describe_table_in_t *in, ddb_describe_table_out_t *out)
{
    int rc = eng_table_get(ctx->eng, in->name, req->arena, &out->t);
    if (rc == KV_ENOTFOUND)
        return not_found(resp, in->name);
    if (rc < 0)
        return engine_fail(resp, rc);
    /* DynamoDB refreshes these every few hours; here they are counted, up to a bound that
     * keeps a describe of a big table cheap. */
    eng_table_t *t = out->t;
    rc = eng_index_stats(ctx->eng, t, NULL, DDB_COUNT_MAX, &t->item_count, &t->size_bytes);
    for (size_t i = 0; rc == 0 && i < t->n_indexes; i++)
        rc = eng_index_stats(ctx->eng, t, &t->indexes[i], DDB_COUNT_MAX, &t->indexes[i].item_count,
                             &t->indexes[i].size_bytes);
    if (rc < 0)
        return engine_fail(resp, rc);
    out->status = ddb_imp_busy(ctx, t->id) ? "CREATING" : "ACTIVE"; /* issue 17, I: imports */
    return 0;
}

int ddb_exec_delete_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const ddb_delete_table_in_t *in, ddb_delete_table_out_t *out)
{
    eng_table_t *cur; /* issue 17, package I: a table being imported stays */
    if (eng_table_get(ctx->eng, in->name, req->arena, &cur) == 0 && ddb_imp_busy(ctx, cur->id))
        return api_refuse(resp, API_E_DDB_RESOURCE_IN_USE,
                          "Attempt to change a resource which is still in use: Table is being "
                          "created: %.*s",
                          (int)in->name.len, (const char *)in->name.p);
    int rc = eng_table_delete(ctx->eng, in->name, req->arena, &out->t);
    if (rc == KV_ENOTFOUND)
        return not_found(resp, in->name);
    if (rc < 0)
        return engine_fail(resp, rc);
    resp->durable = true;
    out->status = "DELETING";
    return 0;
}

int ddb_exec_list_tables(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                         const ddb_list_tables_in_t *in, ddb_list_tables_out_t *out)
{
    int rc = eng_table_list(ctx->eng, in->start, in->limit, req->arena, &out->names, &out->n,
                            &out->more);
    if (rc < 0)
        return engine_fail(resp, rc);
    return 0;
}

static int limit_exceeded(api_resp_t *resp, const char *msg)
{
    api_fail(resp, API_E_DDB_LIMIT_EXCEEDED, "%s", msg);
    return -1;
}

/* GlobalSecondaryIndexUpdates: one Create or Delete per call (as DynamoDB allows), any number
 * of throughput Updates. A created index is backfilled by the services thread. */
static int gsi_updates(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                       const ddb_update_table_in_t *in, eng_table_t *cur,
                       ddb_update_table_out_t *out)
{
    size_t online = 0;
    for (size_t i = 0; i < in->n_gsi; i++) {
        const ddb_gsi_update_t *g = &in->gsi[i];
        online += g->kind != DDB_GSI_UPDATE;
        for (size_t j = 0; j < i; j++)
            if (kv_slice_eq(in->gsi[j].name, g->name)) {
                api_fail(resp, API_E_DDB_VALIDATION,
                         "One or more parameter values were invalid: Only one global secondary "
                         "index update per index is allowed simultaneously. Index: %.*s",
                         (int)g->name.len, (const char *)g->name.p);
                return -1;
            }
    }
    if (online > 1)
        return limit_exceeded(resp, "Subscriber limit exceeded: Only 1 online index can be "
                                    "created or deleted simultaneously per table");
    eng_table_t *t = kv_arena_alloc(req->arena, sizeof(*t));
    *t = *cur;
    t->indexes = kv_arena_calloc(req->arena, cur->n_indexes + 1, sizeof(*t->indexes));
    memcpy(t->indexes, cur->indexes, cur->n_indexes * sizeof(*t->indexes));
    bool changed_settings = false;
    const char *status = "ACTIVE";
    for (size_t i = 0; i < in->n_gsi; i++) {
        const ddb_gsi_update_t *g = &in->gsi[i];
        eng_index_t *ix = (eng_index_t *)(uintptr_t)eng_index_find(t, g->name);
        if (g->kind == DDB_GSI_CREATE) {
            if (ix) {
                api_fail(resp, API_E_DDB_VALIDATION,
                         "Attempting to create an index which already exists");
                return -1;
            }
            for (size_t k = 0; k < cur->n_indexes; k++)
                if (cur->indexes[k].creating)
                    return limit_exceeded(resp, "Subscriber limit exceeded: Only 1 online index "
                                                "can be created or deleted simultaneously per "
                                                "table");
            size_t n_gsi = 0;
            for (size_t k = 0; k < cur->n_indexes; k++)
                n_gsi += cur->indexes[k].global;
            if (n_gsi >= ENG_MAX_GSI)
                return limit_exceeded(resp, "One or more parameter values were invalid: "
                                            "GlobalSecondaryIndex count exceeds the per-table "
                                            "limit of 20");
            /* The new keys' types come from the request's AttributeDefinitions. */
            eng_table_t def = *cur;
            def.attrs = in->attrs;
            def.n_attrs = in->n_attrs;
            ddb_dec_t d = {.req = req, .resp = resp, .a = req->arena};
            ddb_index_in_t idx = g->idx;
            if (in->n_attrs == 0) {
                api_fail(resp, API_E_DDB_VALIDATION,
                         "One or more parameter values were invalid: AttributeDefinitions is not "
                         "specified for index: %s",
                         idx.ix.name);
                return -1;
            }
            if (ddb_index_check_update(&d, &def, &idx) < 0)
                return -1;
            /* A key attribute already defined keeps its type. */
            for (size_t k = 0; k < cur->n_attrs; k++) {
                const char *nm = cur->attrs[k].name;
                bool clash = false;
                size_t nh = eng_index_n_hash(&idx.ix); /* issue 17, package M: every key */
                for (size_t j = 0; j < nh + eng_index_n_range(&idx.ix); j++) {
                    eng_attr_def_t a = j < nh ? eng_index_hash_at(&idx.ix, j)
                                              : eng_index_range_at(&idx.ix, j - nh);
                    clash |= strcmp(nm, a.name) == 0 && cur->attrs[k].type != a.type;
                }
                if (clash) {
                    api_fail(resp, API_E_DDB_VALIDATION,
                             "One or more parameter values were invalid: Attribute %s is "
                             "already defined with a different type",
                             nm);
                    return -1;
                }
            }
            int rc = eng_table_add_index(ctx->eng, in->name, &idx.ix);
            if (rc == KV_EEXIST) {
                api_fail(resp, API_E_DDB_VALIDATION,
                         "Attempting to create an index which already exists");
                return -1;
            }
            if (rc == KV_ETOOBIG)
                return limit_exceeded(resp, "Too many index changes on this table");
            if (rc < 0)
                return engine_fail(resp, rc);
            api_sched_kick(ctx, "backfill");
            status = "UPDATING";
        } else if (ix == NULL || !ix->global) {
            if (ix)
                api_fail(resp, API_E_DDB_VALIDATION,
                         "Cannot %s an index that is not a GlobalSecondaryIndex: %.*s",
                         g->kind == DDB_GSI_DELETE ? "delete" : "update", (int)g->name.len,
                         (const char *)g->name.p);
            else
                api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
                         "Requested resource not found: Index: %.*s", (int)g->name.len,
                         (const char *)g->name.p);
            return -1;
        } else if (g->kind == DDB_GSI_DELETE) {
            int rc = eng_table_drop_index(ctx->eng, in->name, g->name);
            if (rc == KV_ENOTFOUND) {
                api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
                         "Requested resource not found: Index: %.*s", (int)g->name.len,
                         (const char *)g->name.p);
                return -1;
            }
            if (rc < 0)
                return engine_fail(resp, rc);
            api_sched_kick(ctx, "backfill");
            status = "UPDATING";
        } else {
            if (!g->idx.has_pt) {
                api_fail(resp, API_E_DDB_VALIDATION,
                         "One or more parameter values were invalid: Both ReadCapacityUnits and "
                         "WriteCapacityUnits must be specified for index: %s",
                         ix->name);
                return -1;
            }
            if (t->billing == ENG_BILLING_PAY_PER_REQUEST) {
                api_fail(resp, API_E_DDB_VALIDATION,
                         "One or more parameter values were invalid: Neither ReadCapacityUnits "
                         "nor WriteCapacityUnits can be specified for index: %s when BillingMode "
                         "is PAY_PER_REQUEST",
                         ix->name);
                return -1;
            }
            ix->rcu = g->idx.ix.rcu;
            ix->wcu = g->idx.ix.wcu;
            changed_settings = true;
        }
    }
    if (changed_settings) {
        int rc = eng_table_update(ctx->eng, t);
        if (rc < 0)
            return rc == KV_ENOTFOUND ? not_found(resp, in->name) : engine_fail(resp, rc);
    }
    int rc = eng_table_get(ctx->eng, in->name, req->arena, &out->t);
    if (rc < 0)
        return rc == KV_ENOTFOUND ? not_found(resp, in->name) : engine_fail(resp, rc);
    resp->durable = true;
    out->status = status;
    return 0;
}

int ddb_exec_update_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const ddb_update_table_in_t *in, ddb_update_table_out_t *out)
{
    eng_table_t *cur;
    int rc = eng_table_get(ctx->eng, in->name, req->arena, &cur);
    if (rc == KV_ENOTFOUND)
        return not_found(resp, in->name);
    if (rc < 0)
        return engine_fail(resp, rc);
    if (in->replica_updates && ddb_replica_updates(ctx, req, resp, cur, in->replica_updates) < 0)
        return -1; /* issue 17, package S */
    const ddb_settings_t *st = &in->st;
    if (in->has_gsi_updates) {
        if (!st->has_billing && !st->has_pt && !st->has_stream && !st->sse.has)
            return gsi_updates(ctx, req, resp, in, cur, out);
        /* Settings first, then the index changes against the updated table. */
        ddb_update_table_in_t settings = *in;
        settings.has_gsi_updates = false;
        if (ddb_exec_update_table(ctx, req, resp, &settings, out) < 0)
            return -1;
        rc = eng_table_get(ctx->eng, in->name, req->arena, &cur);
        if (rc < 0)
            return engine_fail(resp, rc);
        return gsi_updates(ctx, req, resp, in, cur, out);
    }
    if (!st->has_billing && !st->has_pt && !st->has_stream && !st->sse.has) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                 "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required");
        return -1;
    }
    eng_table_t *t = kv_arena_alloc(req->arena, sizeof(*t));
    *t = *cur;
    eng_billing_t billing = st->has_billing ? st->billing : cur->billing;
    if (billing == ENG_BILLING_PAY_PER_REQUEST && st->has_pt) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                 "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
        return -1;
    }
    if (billing == ENG_BILLING_PROVISIONED && cur->billing == ENG_BILLING_PAY_PER_REQUEST &&
        !st->has_pt) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "One or more parameter values were invalid: ProvisionedThroughput must be "
                 "specified when BillingMode is PROVISIONED");
        return -1;
    }
    if (st->has_pt && billing == ENG_BILLING_PROVISIONED && !st->has_billing && !st->has_stream &&
        (uint64_t)st->rcu == cur->rcu && (uint64_t)st->wcu == cur->wcu) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "The provisioned throughput for the table will not change. The requested value "
                 "equals the current value. Current ReadCapacityUnits provisioned for the table: "
                 "%llu. Requested ReadCapacityUnits: %lld. Current WriteCapacityUnits "
                 "provisioned for the table: %llu. Requested WriteCapacityUnits: %lld. Refer to "
                 "the Amazon DynamoDB Developer Guide for current limits and how to request "
                 "higher limits.",
                 (unsigned long long)cur->rcu, (long long)st->rcu, (unsigned long long)cur->wcu,
                 (long long)st->wcu);
        return -1;
    }
    t->billing = billing;
    if (billing == ENG_BILLING_PAY_PER_REQUEST) {
        t->rcu = t->wcu = 0;
    } else if (st->has_pt) {
        t->rcu = (uint64_t)st->rcu;
        t->wcu = (uint64_t)st->wcu;
    }
    if (st->has_stream) {
        if (st->enabled && !st->has_view) {
            api_fail(resp, API_E_DDB_VALIDATION,
                     "One or more parameter values were invalid: You must specify a "
                     "StreamViewType when enabling a stream");
            return -1;
        }
        if (!st->enabled && st->has_view) {
            api_fail(resp, API_E_DDB_VALIDATION,
                     "One or more parameter values were invalid: If stream is being disabled, "
                     "then UpdateViewType must not be specified");
            return -1;
        }
        if (st->enabled && cur->stream_enabled) {
            api_fail(resp, API_E_DDB_VALIDATION,
                     "Table already has an enabled stream: TableName: %s", cur->name);
            return -1;
        }
        if (!st->enabled && !cur->stream_enabled) {
            api_fail(resp, API_E_DDB_VALIDATION, "Table has no stream to disable: TableName: %s",
                     cur->name);
            return -1;
        }
        t->stream_enabled = st->enabled;
        t->stream_view = st->enabled ? st->view : ENG_STREAM_NONE;
        if (st->enabled)
            t->stream_created_ms = kv_now_ms(); /* a new stream, with a new label */
    }
    if (st->sse.has && ddb_sse_apply(ctx, req, resp, &st->sse, t) < 0) /* issue 16, package K */
        return -1;
    rc = eng_table_update(ctx->eng, t);
    if (rc == KV_ENOTFOUND)
        return not_found(resp, in->name);
    if (rc < 0)
        return engine_fail(resp, rc);
    resp->durable = true;
    out->t = t;
    out->status = "ACTIVE"; /* the change is complete when the call returns */
    return 0;
}

void ddb_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    if (st->svc == &ddb_service && st->op == DDB_OP_PREFLIGHT) { /* issue 17, package H */
        ddb_cors_preflight(ctx, req, resp);
        return;
    }
    if (st->op == API_OP_NONE) {
        /* An operation this server does not have: a principal not allowed its action hears
         * AccessDeniedException first, as from DynamoDB (issue 15, package D). */
        if (!ddb_authz_skip(req) && ddb_authz_unknown(ctx, req, resp) < 0)
            return;
        api_fail(resp, API_E_DDB_UNKNOWN_OP, NULL);
        return;
    }
    kv_slice_t body = kv_buf_slice(&st->body);
    if (body.len == 0)
        body = KV_SLICE_LIT("{}");
    api_json_t *root;
    const char *err = NULL;
    int prc = api_json_parse(req->arena, body, &root, &err);
    if (prc == KV_ETOOBIG) {
        api_fail(resp, API_E_DDB_TOO_LARGE, "%s", err);
        return;
    }
    if (prc < 0) {
        api_fail(resp, API_E_DDB_SERIALIZATION, "%s", err ? err : "Malformed JSON");
        return;
    }
    if (api_json_type(root) != API_J_OBJ) {
        api_fail(resp, API_E_DDB_SERIALIZATION,
                 api_json_type(root) == API_J_ARR ? "Start of list found where not expected"
                                                  : "Expected a JSON object");
        return;
    }
    ddb_dec_t d;
    memset(&d, 0, sizeof(d));
    d.req = req;
    d.resp = resp;
    d.a = req->arena;
    kv_buf_init(&d.errors, 64 * 1024);
    api_jw_t w;
    /* DynamoDB's and Streams' rows share the one switch: Streams' indexes follow DynamoDB's. */
    int op = st->svc == &streams_service ? DDB_OP__COUNT + st->op : st->op;
    switch (op) {
#define CASE(OP, name)                                                                         \
    case OP: {                                                                                 \
        ddb_##name##_in_t in;                                                                  \
        ddb_##name##_out_t out;                                                                \
        memset(&out, 0, sizeof(out));                                                          \
        int drc = ddb_decode_##name(&d, root, &in);                                            \
        if (drc < 0 && !resp->_err && ddb_dec_finish(&d) == 0)                                 \
            api_fail(resp, API_E_DDB_VALIDATION, NULL);                                        \
        if (drc == 0 && (ddb_authz_skip(req) || ddb_authz_##name(ctx, req, resp, &in) == 0) && \
            ddb_exec_##name(ctx, req, resp, &in, &out) == 0) {                                 \
            api_jw_init(&w, &resp->body);                                                      \
            ddb_encode_##name(ctx, req, &out, &w);                                             \
            if (!api_jw_ok(&w))                                                                \
                api_fail(resp, API_E_DDB_INTERNAL, NULL);                                      \
        }                                                                                      \
        break;                                                                                 \
    }
#define XX(Name, name) CASE(DDB_OP_##name, name)
        DDB_OP_MAP(XX)
#undef XX
#define XX(Name, name) CASE(DDB_OP__COUNT + STREAMS_OP_##name, name)
        STREAMS_OP_MAP(XX)
#undef XX
#undef CASE
    default:
        api_fail(resp, API_E_DDB_UNKNOWN_OP, NULL);
    }
    kv_buf_dispose(&d.errors);
}

/* ---- the services ---- */

/* The restores copy a whole table: they run on the worker pool. */
#define DDB_FLAGS(op)                                                                          \
    ((op) == DDB_OP_restore_table_from_backup || (op) == DDB_OP_restore_table_to_point_in_time \
         ? API_OPF_SLOW                                                                        \
         : 0u)

static const api_op_desc_t ddb_ops[] = {
#define XX(Name, cname) {.name = #Name, .flags = DDB_FLAGS(DDB_OP_##cname)},
    DDB_OP_MAP(XX)
#undef XX
    /* issue 17, package H: a browser's CORS preflight (DDB_OP_PREFLIGHT), never authenticated */
    {.name = "Preflight", .flags = API_OPF_UNSIGNED},
};

static const api_op_desc_t streams_ops[] = {
#define XX(Name, cname) {.name = #Name, .flags = 0},
    STREAMS_OP_MAP(XX)
#undef XX
};

static int ddb_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state)
{
    (void)ctx, (void)cfg;
    ddb_state_t *ds = kv_calloc(1, sizeof(*ds));
    pthread_mutex_init(&ds->txn_lock, NULL);
    ds->bg = ddb_bg_new();
    /* issue 17, package E (export): its state set up below */
    atomic_init(&ds->exp_pending, true); /* exports a restart interrupted */

    /* issue 17, package I (import): its state set up below */
    ds->imp = ddb_imp_new(ctx);

    *state = ds;
    return 0;
}

static void ddb_fini(void *state)
{
    ddb_state_t *ds = state;
    pthread_mutex_destroy(&ds->txn_lock);
    ddb_bg_free(ds->bg);
    /* issue 17, package E (export): its state freed below */

    /* issue 17, package I (import): its state freed below */
    ddb_imp_free(ds->imp);

    kv_free(ds);
}

static int streams_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state)
{
    streams_state_t *ss = kv_calloc(1, sizeof(*ss));
    kv_random(&ss->iter_key, sizeof(ss->iter_key));
    ss->keep_ms = cfg->stream_keep_ms > 0 ? cfg->stream_keep_ms : 86400000;
    ss->shard_ms = cfg->stream_shard_ms > 0 ? cfg->stream_shard_ms : 4 * 3600 * 1000;
    eng_stream_set_shard_ms(ctx->eng, ss->shard_ms);
    *state = ss;
    return 0;
}

static void streams_fini(void *state)
{
    kv_free(state);
}

/* The JSON protocol's error body, and its headers: content type, request id, CRC32. */
static void ddb_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    if (ddb_cors_finish(req, resp)) /* issue 17, package H: the preflight's, or CORS headers */
        return;
    if (resp->_err)
        ddb_encode_error(ctx, req, resp);
    bool typed = false;
    for (size_t i = 0; i < resp->n_hdrs && !typed; i++)
        typed = kv_slice_eq_nocase(resp->hdrs[i].name, "Content-Type");
    if (!typed)
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-amz-json-1.0"));
    api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(req->_st->request_id));
    uint8_t mem[24];
    kv_buf_t v;
    kv_buf_init_on(&v, mem, sizeof(mem), sizeof(mem));
    kv_buf_append_u64(&v, (uint64_t)crc32(0, resp->body.p, (uInt)resp->body.len));
    api_resp_header(resp, "x-amz-crc32", kv_buf_slice(&v));
}

static const char *const ddb_scopes[] = {"dynamodb", "streams.dynamodb", NULL};

#define DDB_SERVICE_COMMON                                                         \
    .scopes = ddb_scopes, .body_max = API_DDB_BODY_MAX, .dispatch = ddb_dispatch,  \
    .finish = ddb_finish, .ids = API_IDS_AMZN, .err_internal = API_E_DDB_INTERNAL, \
    .err_throttle = API_E_DDB_THROTTLING, .err_too_large = API_E_DDB_TOO_LARGE,    \
    .iam_prefix = "dynamodb", .err_denied = API_E_DDB_ACCESS_DENIED,               \
    .err_stream_large = API_E_DDB_TOO_LARGE, .too_large_sized = true,              \
    .inflate = true, /* issue 17, package H: Content-Encoding gzip, deflate */     \
        .sig_skew_s = SIGV4_DDB_MAX_SKEW_S /* issue 17, package V2: DynamoDB's window */

/* The preflight is unauthenticated and reads no body: none is held for it (what it held would
 * be outside the unauthenticated budget, which only bodies waiting for a signature are charged). */
static uint64_t ddb_body_limit(const api_req_t *req)
{
    return req->_st->op == DDB_OP_PREFLIGHT ? 0 : API_DDB_BODY_MAX;
}

const api_service_t ddb_service = {
    .name = "dynamodb",
    DDB_SERVICE_COMMON,
    .body_limit = ddb_body_limit,
    .flags = API_SVC_ANY_TARGET | API_SVC_SIG_TERSE,
    .target_prefix = DDB_TARGET_PREFIX,
    .ops = ddb_ops,
    .n_ops = DDB_OP__COUNT + 1, /* and the preflight (issue 17, package H) */
    .route = ddb_cors_route,
    .claim = ddb_cors_claim,
    .jobs = ddb_jobs,
    .n_jobs = DDB_N_JOBS,
    .init = ddb_init,
    .fini = ddb_fini,
};

const api_service_t streams_service = {
    .name = "dynamodbstreams",
    DDB_SERVICE_COMMON,
    .flags = API_SVC_SIG_TERSE,
    .target_prefix = DDB_STREAMS_PREFIX,
    .ops = streams_ops,
    .n_ops = STREAMS_OP__COUNT,
    .init = streams_init,
    .fini = streams_fini,
};
