/* SPDX-License-Identifier: Apache-2.0 */
/* Command-line configuration of stratusd. */
#ifndef SRV_CONFIG_H
#define SRV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SRV_DEFAULT_ACCESS_KEY "test"
#define SRV_DEFAULT_SECRET_KEY "test"
#define SRV_KEY_MAX            128 /* the longest access key id or secret key */

#define SRV_JOB_INTERVALS_MAX  32
#define SRV_RUNTIME_MAPS_MAX   16

typedef struct srv_config {
    char host[256];
    int port;
    const char *data_dir;
    const char *port_file;
    int threads;
    int workers; /* threads that run slow operations off the loops */
    const char *region;
    const char *access_key;
    const char *secret_key;
    bool access_key_set; /* chosen by flag or environment, not the default */
    bool secret_key_set; /* chosen by flag, file or environment, not the default */
    int fsync;           /* 0 none, 1 batch, 2 always */
    const char *tls_cert;
    const char *tls_key;
    int log_level;
    unsigned idle_timeout_ms;
    unsigned header_timeout_ms;
    unsigned body_timeout_ms;
    size_t max_header_bytes;
    size_t max_headers;
    unsigned batch_sync_ms;
    unsigned sweep_interval_ms;  /* how often the background sweepers run */
    unsigned access_log_flush_s; /* issue 16, package G: S3 access-log delivery period */
    unsigned lifecycle_day_s;    /* the length of an S3 lifecycle "day" (tests shorten it) */
    unsigned ttl_interval_ms;    /* how often expired DynamoDB items are swept */
    unsigned stream_retention_s; /* how long stream records are kept */
    unsigned stream_shard_s;     /* how long a stream shard stays open */
    int64_t disk_reserve;        /* free bytes writes leave; 0 = automatic, -1 = no guard */
    struct srv_job_interval {    /* --job-interval NAME=MS, checked against the jobs at start */
        char name[32];
        unsigned ms;
    } job_intervals[SRV_JOB_INTERVALS_MAX];
    size_t n_job_intervals;
    const char *node_sdk;                           /* --node-sdk (NULL: the default) */
    const char *runtime_maps[SRV_RUNTIME_MAPS_MAX]; /* --runtime NAME=PATH, checked at start */
    size_t n_runtime_maps;
    /* Package F: the sandbox */
    bool insecure_no_sandbox;    /* --insecure-no-sandbox */
    const char *secret_key_file; /* --secret-key-file (or its environment variable), or NULL */
    bool no_sigv2;               /* issue 15, package V: --no-sigv2 refuses S3's SigV2 */
    const char *master_key_file; /* issue 16: --master-key-file (NULL: in the data dir) */
    bool encrypt_all;            /* issue 16, package E: --encrypt-all */
} srv_config_t;

/**
 * Parse argv (and the STRATUS_* environment) into cfg.
 * @return 0 to run, 1 to exit successfully (--help, --version), -1 on a usage error
 * (a message has been printed).
 */
int srv_config_parse(int argc, char **argv, srv_config_t *cfg);
/** True when the configured host is a loopback address (127.0.0.0/8, ::1, localhost). */
bool srv_config_is_loopback(const char *host);
/** Print the usage text to stdout. */
void srv_config_usage(void);

#endif
