/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus metrics: lock-free counters updated on the loop threads, one row per operation of
 * the service table (labels from its rows). */
#include <stdio.h>

#include "api_int.h"
#include "base/kv_alloc.h"
#include "base/kv_time.h"

static const int status_codes[API_N_STATUS - 1] = {200, 204, 206, 304, 307, 400, 403, 404, 405, 408,
                                                   409, 411, 412, 413, 414, 416, 431, 500, 501};
static const double lat_bounds[API_N_LAT] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                             0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                             0.5,     1,      2.5,     5,      10};
static int status_index(int status)
{
    for (int i = 0; i < API_N_STATUS - 1; i++)
        if (status_codes[i] == status)
            return i;
    return API_N_STATUS - 1;
}

void api__metrics_init(api_ctx_t *ctx)
{
    api_metrics_t *m = &ctx->m;
    m->n_svcs = api_n_services + 1; /* row 0: none */
    m->op_base = kv_calloc(api_n_services, sizeof(*m->op_base));
    m->n_ops = 1; /* row 0: Unknown */
    for (size_t i = 0; i < api_n_services; i++) {
        m->op_base[i] = m->n_ops;
        m->n_ops += api_services[i]->n_ops;
    }
    m->req = kv_calloc(m->n_ops, sizeof(*m->req));
    m->lat = kv_calloc(m->n_svcs, sizeof(*m->lat));
    m->lat_sum_us = kv_calloc(m->n_svcs, sizeof(*m->lat_sum_us));
    m->lat_count = kv_calloc(m->n_svcs, sizeof(*m->lat_count));
    m->bytes_in = kv_calloc(m->n_svcs, sizeof(*m->bytes_in));
    m->bytes_out = kv_calloc(m->n_svcs, sizeof(*m->bytes_out));
}

void api__metrics_dispose(api_ctx_t *ctx)
{
    api_metrics_t *m = &ctx->m;
    kv_free(m->op_base);
    kv_free(m->req);
    kv_free(m->lat);
    kv_free(m->lat_sum_us);
    kv_free(m->lat_count);
    kv_free(m->bytes_in);
    kv_free(m->bytes_out);
}

const char *api_op_name(const api_service_t *svc, int op)
{
    return svc && op >= 0 && (size_t)op < svc->n_ops ? svc->ops[op].name : "Unknown";
}

/* The api label of service row p (0: none). */
static const char *svc_name(size_t p)
{
    return p == 0 ? "none" : api_services[p - 1]->name;
}

void api__metrics_record(api_ctx_t *ctx, const api_service_t *svc, int op, int status,
                         uint64_t dur_ns, uint64_t bytes_in, uint64_t bytes_out)
{
    api_metrics_t *m = &ctx->m;
    int ix = svc ? api_service_index(svc) : -1;
    size_t p = ix < 0 ? 0 : (size_t)ix + 1;
    size_t row = ix >= 0 && op >= 0 && (size_t)op < svc->n_ops ? m->op_base[ix] + (size_t)op : 0;
    atomic_fetch_add_explicit(&m->req[row][status_index(status)], 1, memory_order_relaxed);
    double s = (double)dur_ns / 1e9;
    int b = 0;
    while (b < API_N_LAT && s > lat_bounds[b])
        b++;
    atomic_fetch_add_explicit(&m->lat[p][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->lat_sum_us[p], dur_ns / 1000, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->lat_count[p], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->bytes_in[p], bytes_in, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->bytes_out[p], bytes_out, memory_order_relaxed);
}

void api_count_http_error(api_ctx_t *ctx, int status)
{
    atomic_fetch_add_explicit(&ctx->m.http_errors[status_index(status)], 1, memory_order_relaxed);
}

void api_count_conn(api_ctx_t *ctx, int delta)
{
    atomic_fetch_add_explicit(&ctx->m.conns, delta, memory_order_relaxed);
    if (delta > 0)
        atomic_fetch_add_explicit(&ctx->m.conns_total, 1, memory_order_relaxed);
}

void api_count_conn_limit(api_ctx_t *ctx, int64_t limit)
{
    atomic_store_explicit(&ctx->m.conns_limit, limit, memory_order_relaxed);
}

void api_count_conn_shed(api_ctx_t *ctx, bool refused)
{
    atomic_fetch_add_explicit(refused ? &ctx->m.conns_refused : &ctx->m.conns_idle_closed, 1,
                              memory_order_relaxed);
}

static const char *status_label(int i, char tmp[8])
{
    if (i == API_N_STATUS - 1)
        return "other";
    snprintf(tmp, 8, "%d", status_codes[i]);
    return tmp;
}

static void on_ticker(void *arg, kv_slice_t name, uint64_t value)
{
    kv_buf_t *out = arg;
    kv_buf_append_str(out, "stratus_rocksdb_ticker_total{ticker=\"");
    kv_buf_append_slice(out, name);
    kv_buf_append_str(out, "\"} ");
    kv_buf_append_u64(out, value);
    kv_buf_append_byte(out, '\n');
}

void api__metrics_render(api_ctx_t *ctx, kv_buf_t *out)
{
    api_metrics_t *m = &ctx->m;
    char st[8];
    kv_buf_append_str(out, "# HELP stratus_requests_total Requests by API, operation and status.\n"
                           "# TYPE stratus_requests_total counter\n");
    for (size_t row = 0; row < m->n_ops; row++) {
        /* Row 0 counts requests no row names ("none", "Unknown"). */
        size_t p = 0;
        while (p < api_n_services && m->op_base[p] <= row)
            p++;
        const api_service_t *svc = row == 0 ? NULL : api_services[p - 1];
        int op = row == 0 ? API_OP_NONE : (int)(row - m->op_base[p - 1]);
        for (int i = 0; i < API_N_STATUS; i++) {
            uint64_t v = atomic_load_explicit(&m->req[row][i], memory_order_relaxed);
            if (v == 0)
                continue;
            kv_buf_printf(out,
                          "stratus_requests_total{api=\"%s\",operation=\"%s\",status=\"%s\"} "
                          "%llu\n",
                          row == 0 ? "none" : svc->name, api_op_name(svc, op), status_label(i, st),
                          (unsigned long long)v);
        }
    }
    kv_buf_append_str(out, "# HELP stratus_http_errors_total Requests refused by the HTTP layer.\n"
                           "# TYPE stratus_http_errors_total counter\n");
    for (int i = 0; i < API_N_STATUS; i++) {
        uint64_t v = atomic_load_explicit(&m->http_errors[i], memory_order_relaxed);
        if (v)
            kv_buf_printf(out, "stratus_http_errors_total{status=\"%s\"} %llu\n",
                          status_label(i, st), (unsigned long long)v);
    }
    kv_buf_append_str(out, "# HELP stratus_request_duration_seconds Request latency.\n"
                           "# TYPE stratus_request_duration_seconds histogram\n");
    for (size_t p = 1; p < m->n_svcs; p++) {
        uint64_t cum = 0;
        uint64_t count = atomic_load_explicit(&m->lat_count[p], memory_order_relaxed);
        if (count == 0)
            continue;
        for (int b = 0; b <= API_N_LAT; b++) {
            cum += atomic_load_explicit(&m->lat[p][b], memory_order_relaxed);
            if (b < API_N_LAT)
                kv_buf_printf(
                    out, "stratus_request_duration_seconds_bucket{api=\"%s\",le=\"%g\"} %llu\n",
                    svc_name(p), lat_bounds[b], (unsigned long long)cum);
            else
                kv_buf_printf(out,
                              "stratus_request_duration_seconds_bucket{api=\"%s\",le=\"+Inf\"} "
                              "%llu\n",
                              svc_name(p), (unsigned long long)cum);
        }
        kv_buf_printf(out, "stratus_request_duration_seconds_sum{api=\"%s\"} %.6f\n", svc_name(p),
                      (double)atomic_load_explicit(&m->lat_sum_us[p], memory_order_relaxed) / 1e6);
        kv_buf_printf(out, "stratus_request_duration_seconds_count{api=\"%s\"} %llu\n", svc_name(p),
                      (unsigned long long)count);
    }
    kv_buf_append_str(out, "# HELP stratus_bytes_received_total Request bytes by API.\n"
                           "# TYPE stratus_bytes_received_total counter\n");
    for (size_t p = 1; p < m->n_svcs; p++)
        kv_buf_printf(out, "stratus_bytes_received_total{api=\"%s\"} %llu\n", svc_name(p),
                      (unsigned long long)atomic_load(&m->bytes_in[p]));
    kv_buf_append_str(out, "# HELP stratus_bytes_sent_total Response bytes by API.\n"
                           "# TYPE stratus_bytes_sent_total counter\n");
    for (size_t p = 1; p < m->n_svcs; p++)
        kv_buf_printf(out, "stratus_bytes_sent_total{api=\"%s\"} %llu\n", svc_name(p),
                      (unsigned long long)atomic_load(&m->bytes_out[p]));
    kv_buf_printf(out,
                  "# HELP stratus_connections Open client connections.\n"
                  "# TYPE stratus_connections gauge\nstratus_connections %lld\n"
                  "# HELP stratus_connections_total Accepted client connections.\n"
                  "# TYPE stratus_connections_total counter\nstratus_connections_total %llu\n",
                  (long long)atomic_load(&m->conns),
                  (unsigned long long)atomic_load(&m->conns_total));
    kv_buf_printf(out,
                  "# HELP stratus_connections_limit Most open client connections (the rest of "
                  "the descriptor limit is kept for storage).\n"
                  "# TYPE stratus_connections_limit gauge\nstratus_connections_limit %lld\n"
                  "# HELP stratus_connections_shed_total Connections closed at the limit: the "
                  "longest idle, or the new one when none was idle.\n"
                  "# TYPE stratus_connections_shed_total counter\n"
                  "stratus_connections_shed_total{action=\"closed_idle\"} %llu\n"
                  "stratus_connections_shed_total{action=\"refused\"} %llu\n",
                  (long long)atomic_load(&m->conns_limit),
                  (unsigned long long)atomic_load(&m->conns_idle_closed),
                  (unsigned long long)atomic_load(&m->conns_refused));
    kv_buf_printf(out,
                  "# HELP stratus_authz_unchecked_total Requests of a principal other than the "
                  "root answered without an authorization check (a defect).\n"
                  "# TYPE stratus_authz_unchecked_total counter\nstratus_authz_unchecked_total "
                  "%llu\n",
                  (unsigned long long)atomic_load(&m->authz_unchecked));
    kv_buf_printf(out, /* issue 15, package L2 */
                  "# HELP stratus_msg_denied_total Deliveries of an AWS service principal (SNS, "
                  "EventBridge, S3) that the queue's, topic's or bus's policy refused.\n"
                  "# TYPE stratus_msg_denied_total counter\nstratus_msg_denied_total %llu\n",
                  (unsigned long long)atomic_load(&m->msg_denied));
    kv_buf_printf(out, /* issue 16, package G */
                  "# HELP stratus_s3_access_log_records_total S3 server access log records "
                  "journaled.\n"
                  "# TYPE stratus_s3_access_log_records_total counter\n"
                  "stratus_s3_access_log_records_total %llu\n"
                  "# HELP stratus_s3_access_log_dropped_total S3 server access log records "
                  "dropped: their source bucket had too many waiting, or their target bucket "
                  "was gone.\n"
                  "# TYPE stratus_s3_access_log_dropped_total counter\n"
                  "stratus_s3_access_log_dropped_total %llu\n"
                  "# HELP stratus_s3_access_log_objects_total S3 server access log objects "
                  "delivered.\n"
                  "# TYPE stratus_s3_access_log_objects_total counter\n"
                  "stratus_s3_access_log_objects_total %llu\n",
                  (unsigned long long)atomic_load(&m->s3_alog_records),
                  (unsigned long long)atomic_load(&m->s3_alog_dropped),
                  (unsigned long long)atomic_load(&m->s3_alog_objects));
    kv_buf_printf(out,
                  "# HELP stratus_uptime_seconds Seconds since start.\n"
                  "# TYPE stratus_uptime_seconds gauge\nstratus_uptime_seconds %llu\n",
                  (unsigned long long)((kv_now_mono_ns() - ctx->start_mono_ns) / 1000000000u));
    eng_stats_t es;
    eng_stats_get(ctx->eng, &es);
    kv_buf_printf(out,
                  "# TYPE stratus_engine_writes_total counter\nstratus_engine_writes_total %llu\n"
                  "# TYPE stratus_engine_wal_syncs_total counter\n"
                  "stratus_engine_wal_syncs_total %llu\n"
                  "# TYPE stratus_rocksdb_estimate_keys gauge\nstratus_rocksdb_estimate_keys %llu\n"
                  "# TYPE stratus_rocksdb_live_sst_bytes gauge\n"
                  "stratus_rocksdb_live_sst_bytes %llu\n"
                  "# TYPE stratus_rocksdb_memtable_bytes gauge\n"
                  "stratus_rocksdb_memtable_bytes %llu\n"
                  "# TYPE stratus_rocksdb_block_cache_bytes gauge\n"
                  "stratus_rocksdb_block_cache_bytes %llu\n"
                  "# TYPE stratus_rocksdb_pending_compaction_bytes gauge\n"
                  "stratus_rocksdb_pending_compaction_bytes %llu\n",
                  (unsigned long long)es.writes, (unsigned long long)es.wal_syncs,
                  (unsigned long long)es.estimate_keys, (unsigned long long)es.live_sst_bytes,
                  (unsigned long long)es.memtable_bytes, (unsigned long long)es.block_cache_bytes,
                  (unsigned long long)es.pending_compaction_bytes);
    eng_space_t sp;
    eng_space_get(ctx->eng, &sp);
    kv_buf_printf(out,
                  "# HELP stratus_disk_free_bytes Free bytes of the data directory's file system.\n"
                  "# TYPE stratus_disk_free_bytes gauge\nstratus_disk_free_bytes %llu\n"
                  "# HELP stratus_disk_reserve_bytes Free bytes plain writes leave.\n"
                  "# TYPE stratus_disk_reserve_bytes gauge\nstratus_disk_reserve_bytes %llu\n"
                  "# HELP stratus_disk_state 0 writes accepted, 1 only deletes, 2 every write "
                  "refused.\n"
                  "# TYPE stratus_disk_state gauge\nstratus_disk_state %d\n"
                  "# HELP stratus_disk_writes_refused_total Writes refused for want of space.\n"
                  "# TYPE stratus_disk_writes_refused_total counter\n"
                  "stratus_disk_writes_refused_total %llu\n"
                  "# HELP stratus_engine_write_errors_total Writes the storage failed.\n"
                  "# TYPE stratus_engine_write_errors_total counter\n"
                  "stratus_engine_write_errors_total %llu\n",
                  (unsigned long long)sp.avail, (unsigned long long)sp.reserve, (int)sp.state,
                  (unsigned long long)sp.refused, (unsigned long long)sp.io_errors);
    kv_buf_append_str(out, "# HELP stratus_rocksdb_ticker_total RocksDB statistics tickers.\n"
                           "# TYPE stratus_rocksdb_ticker_total counter\n");
    eng_stats_tickers(ctx->eng, on_ticker, out);
}
