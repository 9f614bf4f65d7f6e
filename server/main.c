/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stratusd: parse flags, open the engine (through the api layer), start the
 * loop threads, then wait for SIGINT/SIGTERM and shut down cleanly.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/kv_err.h"
#include "base/kv_log.h"
#include "srv_fn.h"
#include "srv_fn_runtimes.h"
#include "srv_int.h"
#include "srv_services.h"

static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

/*
 * The data directory holds every table, object and function: private to the server's user.
 * A new one is made 0700 (and what the server creates is 0600, by the umask set in main); an
 * existing one that others can enter is used, with a warning. @return 0 or -1 (reported).
 */
static int prepare_data_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) < 0) {
        if (errno != ENOENT || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
            fprintf(stderr, "stratusd: cannot create the data directory %s: %s\n", dir,
                    strerror(errno));
            return -1;
        }
        if (chmod(dir, 0700) < 0) { /* 0700 whatever the umask */
            fprintf(stderr, "stratusd: cannot chmod the data directory %s: %s\n", dir,
                    strerror(errno));
            return -1;
        }
        return 0;
    }
    if (S_ISDIR(st.st_mode) && (st.st_mode & (S_IRWXG | S_IRWXO)))
        KV_LOG_WARN("the data directory %s is open to other users (mode %04o): they may read "
                    "every table, object and function; chmod 700 it",
                    dir, (unsigned)(st.st_mode & 07777));
    return 0;
}

int main(int argc, char **argv)
{
    /* Files the server creates (database, function code, logs) are its user's alone. */
    umask(077);
    srv_config_t cfg;
    int rc = srv_config_parse(argc, argv, &cfg);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    kv_log_set_level((kv_log_level_t)cfg.log_level);
    if (prepare_data_dir(cfg.data_dir) < 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);

    /* Block the stop signals in every thread; the main thread waits for them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    /* Before storage opens: RocksDB, blobs and functions share the limit with clients. */
    srv_raise_nofile();
    api_global_init();
    srv_t srv;
    memset(&srv, 0, sizeof(srv));
    srv.cfg = &cfg;
    if (cfg.tls_cert) {
        srv.tls = srv_tls_ctx_new(cfg.tls_cert, cfg.tls_key);
        if (srv.tls == NULL) {
            fprintf(stderr, "stratusd: cannot load TLS certificate or key\n");
            return 1;
        }
    }
    api_cfg_t acfg = {cfg.data_dir,
                      cfg.fsync,
                      cfg.batch_sync_ms,
                      cfg.region,
                      cfg.access_key,
                      cfg.secret_key,
                      (int64_t)cfg.lifecycle_day_s * 1000,
                      cfg.sweep_interval_ms,
                      (int64_t)cfg.stream_retention_s * 1000,
                      (int64_t)cfg.stream_shard_s * 1000,
                      cfg.disk_reserve,
                      cfg.no_sigv2, /* issue 15, package V */
                      cfg.master_key_file,
                      cfg.encrypt_all}; /* issue 16, package E */
    rc = api_open(&acfg, &srv.api);
    if (rc == KV_ELOCKED) {
        fprintf(stderr,
                "stratusd: the data directory %s is in use by another stratusd (RocksDB lock "
                "held); stop it or choose another --data-dir\n",
                cfg.data_dir);
        srv_tls_ctx_free(srv.tls);
        return 1;
    }
    if (rc < 0) {
        fprintf(stderr, "stratusd: cannot open the database in %s: %s\n", cfg.data_dir,
                kv_err_str(rc));
        srv_tls_ctx_free(srv.tls);
        return 1;
    }
    /* Each background job's period: its own flag, or --job-interval NAME=MS. */
    api_sched_set_period(srv.api, "ttl", cfg.ttl_interval_ms);
    api_sched_set_period(srv.api, "lifecycle", cfg.sweep_interval_ms);
    api_sched_set_period(srv.api, "s3-access-logs", cfg.access_log_flush_s * 1000u);
    for (size_t i = 0; i < cfg.n_job_intervals; i++)
        if (api_sched_set_period(srv.api, cfg.job_intervals[i].name, cfg.job_intervals[i].ms) < 0) {
            fprintf(stderr,
                    "stratusd: --job-interval: no background job is named %s (backfill, ttl, "
                    "stream-trim, lifecycle, esm, s3-events, async-invoke, log-retention, "
                    "s3-access-logs)\n",
                    cfg.job_intervals[i].name);
            api_close(srv.api);
            srv_tls_ctx_free(srv.tls);
            return 2;
        }
    char rt_err[512];
    const char *hidden[] = {cfg.secret_key_file, cfg.tls_key, cfg.tls_cert, cfg.master_key_file};
    srv_fn_sandbox_configure(cfg.insecure_no_sandbox, hidden, 4);
    if (srv_fn_runtimes_configure(cfg.node_sdk, cfg.runtime_maps, cfg.n_runtime_maps, cfg.data_dir,
                                  hidden, 1, rt_err, sizeof(rt_err)) < 0) {
        fprintf(stderr, "stratusd: %s\n", rt_err);
        api_close(srv.api);
        srv_tls_ctx_free(srv.tls);
        return 2;
    }
    if (srv_start(&srv) < 0) {
        fprintf(stderr, "stratusd: cannot listen on %s:%d\n", cfg.host, cfg.port);
        api_close(srv.api);
        srv_tls_ctx_free(srv.tls);
        return 1;
    }
    api_set_port(srv.api, srv.port, srv.tls != NULL);
    srv_fn_t *functions = srv_fn_start(srv.api, srv.port);
    if (functions == NULL)
        KV_LOG_WARN("functions cannot run: the function runner did not start");
    srv_services_t services = {0};
    if (srv_services_start(&services, srv.api) < 0) {
        srv_stop(&srv);
        srv_fn_stop(functions);
        api_close(srv.api);
        srv_tls_ctx_free(srv.tls);
        return 1;
    }
    if (cfg.port_file && write_port_file(cfg.port_file, srv.port) < 0)
        KV_LOG_ERROR("cannot write port file %s", cfg.port_file);
    const char *scheme = cfg.tls_cert ? "https" : "http";
    bool v6 = strchr(cfg.host, ':') != NULL;
    printf("Stratus %s is ready.\n"
           "  endpoint    %s://%s%s%s:%d\n"
           "  region      %s\n"
           "  access key  %s\n"
           "  secret key  %s\n"
           "  data dir    %s (fsync %s)\n"
           "  threads     %d\n",
           STRATUS_VERSION, scheme, v6 ? "[" : "", cfg.host, v6 ? "]" : "", srv.port, cfg.region,
           cfg.access_key,
           strcmp(cfg.secret_key, SRV_DEFAULT_SECRET_KEY) == 0 ? cfg.secret_key : "(as configured)",
           cfg.data_dir, cfg.fsync == 2 ? "always" : (cfg.fsync == 1 ? "batch" : "none"),
           cfg.threads);
    fflush(stdout);

    int sig = 0;
    sigwait(&set, &sig);
    KV_LOG_INFO("received %s; stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    api_quiesce(srv.api); /* held long polls are answered before the loops stop */
    srv_stop(&srv);
    srv_services_stop(&services);
    srv_fn_stop(functions);
    api_close(srv.api);
    srv_tls_ctx_free(srv.tls);
    KV_LOG_INFO("stopped cleanly");
    return 0;
}
