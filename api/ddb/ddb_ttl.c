/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's Time to Live: the setting (UpdateTimeToLive, DescribeTimeToLive) and the ttl job
 * that deletes the items whose expiry has passed, through the normal delete path.
 */
#include <limits.h>
#include <string.h>

#include "base/kv_log.h"
#include "base/kv_time.h"
#include "ddb_int.h"

int ddb_decode_update_time_to_live(ddb_dec_t *d, const api_json_t *in, ddb_ttl_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->table = ddb_opt_table(d, in, "TableName", true);
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
    out->table = ddb_opt_table(d, in, "TableName", true);
    return ddb_dec_finish(d);
}

int ddb_exec_update_time_to_live(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 const ddb_ttl_in_t *in, ddb_ttl_out_t *out)
{
    eng_table_t *t;
    if (ddb_resource_table(ctx, req, resp, in->table, &t) < 0)
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
    return ddb_resource_table(ctx, req, resp, in->table, &out->t);
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
