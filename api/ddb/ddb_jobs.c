/* SPDX-License-Identifier: Apache-2.0 */
/* DynamoDB's background jobs (index backfill, TTL, stream trimming) and their cursors. */
#include "base/kv_alloc.h"
#include "ddb_int.h"

const api_job_t ddb_jobs[DDB_N_JOBS] = {
    {"backfill", 0, false, ddb_backfill_run}, /* paced by --job-interval backfill=MS */
    {"ttl", 1000, false, ddb_ttl_run},        /* --ttl-interval */
    {"stream-trim", 1000, false, ddb_trim_run},
    /* issue 17, package E (export): its jobs below */
    {"ddb-export", 0, false, ddb_export_run}, /* paced by --job-interval ddb-export=MS */

    /* issue 17, package I (import): its jobs below */
    {"import", 1000, false, ddb_import_run}, /* woken by ImportTable */

};

ddb_bg_t *ddb_bg_new(void)
{
    ddb_bg_t *g = kv_calloc(1, sizeof(*g));
    atomic_init(&g->ttl_gen, 1); /* the first step lists the tables */
    kv_buf_init(&g->ttl_names, 64u << 20);
    kv_buf_init(&g->bf_table, 1024);
    kv_buf_init(&g->bf_after, 1u << 16);
    return g;
}

ddb_bg_t *ddb_bg(api_ctx_t *ctx)
{
    return ddb_state(ctx)->bg;
}

void ddb_bg_free(ddb_bg_t *g)
{
    if (g == NULL)
        return;
    kv_buf_dispose(&g->ttl_names);
    kv_buf_dispose(&g->bf_table);
    kv_buf_dispose(&g->bf_after);
    kv_free(g);
}
