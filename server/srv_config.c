/* SPDX-License-Identifier: Apache-2.0 */
/* stratusd flags; every flag is documented in the README. */
#include "srv_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/kv_log.h"

void srv_config_usage(void)
{
    printf(
        "Usage: stratusd [options]\n"
        "\n"
        "Serves DynamoDB, DynamoDB Streams, S3, Lambda and CloudWatch Logs on one port.\n"
        "\n"
        "  --listen HOST:PORT     address to listen on (default 127.0.0.1:4566; port 0 picks one)\n"
        "  --data-dir DIR         where the RocksDB database lives (default ./data)\n"
        "  --port-file FILE       write the bound port to FILE once listening\n"
        "  --threads N            HTTP loop threads (default: number of cores)\n"
        "  --workers N            threads that run slow operations (CreateFunction, table\n"
        "                         restores, copies) off the loop threads (1..64, default 2)\n"
        "  --region REGION        region reported to clients (default us-east-1)\n"
        "  --access-key KEY       access key id (env STRATUS_ACCESS_KEY_ID; default test)\n"
        "  --secret-key-file FILE read the secret access key from FILE (its first line; env\n"
        "                         STRATUS_SECRET_ACCESS_KEY_FILE)\n"
        "  --secret-key SECRET    secret access key (env STRATUS_SECRET_ACCESS_KEY; default\n"
        "                         test). On the command line it is visible to other local\n"
        "                         users (ps, /proc): prefer --secret-key-file or the env.\n"
        "                         A listen address other than loopback needs both\n"
        "                         --access-key and --secret-key (or their file/env) set.\n"
        "  --fsync MODE           always | batch | none (default batch)\n"
        "  --tls-cert FILE        serve HTTPS with this PEM certificate chain\n"
        "  --tls-key FILE         ... and this PEM private key\n"
        "  --log-level LEVEL      error | warn | info | debug (default info)\n"
        "  --idle-timeout MS      close idle keep-alive connections after MS (default 60000)\n"
        "  --header-timeout MS    limit for receiving request headers (default 20000)\n"
        "  --body-timeout MS      limit between two body reads (default 60000)\n"
        "  --sweep-interval MS    how often the S3 lifecycle job runs (job \"lifecycle\")\n"
        "                         (default 60000)\n"
        "  --access-log-flush S   how often S3 server access logs are delivered to their\n"
        "                         target buckets (job \"s3-access-logs\", default 60)\n"
        "  --lifecycle-day-seconds N  length of a lifecycle rule's day (default 86400;\n"
        "                         shorten it to test expiration rules)\n"
        "  --ttl-interval MS      how often expired DynamoDB TTL items are deleted (job \"ttl\")\n"
        "                         (default 1000)\n"
        "  --job-interval NAME=MS the period of one background job (repeatable); NAME is one\n"
        "                         of backfill (GSI backfill: the pause between steps of 1000\n"
        "                         items, default 0), ttl (--ttl-interval), stream-trim (1000),\n"
        "                         lifecycle (--sweep-interval), esm, s3-events, async-invoke\n"
        "                         (their longest sleep, 1000; commits and completions wake them)\n"
        "                         log-retention (deletes events past a log group's retention,\n"
        "                         60000)\n"
        "  --stream-retention S   how long DynamoDB stream records are kept (86400)\n"
        "  --stream-shard-seconds S  how long a stream shard stays open before it rolls over "
        "(14400)\n"

        "  --disk-reserve SIZE    free space writes leave on the data directory's file system;\n"
        "                         under it only deletes are accepted, the others get each\n"
        "                         protocol's throttling error (e.g. 512M, 2G; default 2%% of the\n"
        "                         file system within 16M..1G; 0 turns the guard off)\n"
        "  --node-sdk DIR         the AWS SDK for JavaScript v3 that nodejs runtimes provide\n"
        "                         (a node_modules directory, or one holding it; default: the\n"
        "                         one `make deps` installs in the source tree)\n"
        "  --runtime NAME=PATH    run runtime NAME (python3.x, nodejs*.x) with the interpreter\n"
        "                         PATH (repeatable); unmapped runtimes run on the interpreter\n"
        "                         of their version found on the system, else the nearest one\n"
        "                         with a warning in every START line\n"
        "  --insecure-no-sandbox  where instances cannot have namespaces of their own, run\n"
        "                         functions without a sandbox (else they do not run)\n"
        "  --no-sigv2             refuse S3 requests signed with Signature Version 2 (the\n"
        "                         \"AWS key:signature\" header and AWSAccessKeyId/Signature\n"
        "                         presigned URLs); only AWS4-HMAC-SHA256 is accepted\n"
        "  --master-key-file PATH the 32-byte master key that seals every key kept at rest\n"
        "                         (mode 0600; default DIR/STRATUS-MASTER-KEY, created)\n"
        "  --encrypt-all          encrypt every new S3 object with SSE-S3 when neither the\n"
        "                         request nor the bucket's default encryption says otherwise\n"
        "  --help                 show this text\n"
        "  --version              show the version\n");
}

bool srv_config_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

static int parse_listen(const char *s, srv_config_t *cfg)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL)
        return -1;
    size_t hl = (size_t)(colon - s);
    const char *h = s;
    if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
        h = s + 1;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof(cfg->host))
        return -1;
    memcpy(cfg->host, h, hl);
    cfg->host[hl] = 0;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535)
        return -1;
    cfg->port = (int)p;
    return 0;
}

#define SECRET_FILE_MAX 4096 /* a secret file larger than this is not a key */

/* Read the secret from the first line of path into out (cap bytes). @return 0, or -1 with a
 * message printed. */
static int read_secret_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        fprintf(stderr, "stratusd: cannot read the secret key file %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        fprintf(stderr,
                "stratusd: warning: the secret key file %s is readable by other users "
                "(mode %04o); chmod 600 it\n",
                path, (unsigned)(st.st_mode & 07777));
    char buf[SECRET_FILE_MAX + 1];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    buf[strcspn(buf, "\r\n")] = 0; /* the first line, without its end */
    size_t len = strlen(buf);
    if (len == 0 || len >= cap) {
        fprintf(stderr, "stratusd: the secret key file %s must hold a key of 1..%zu characters\n",
                path, cap - 1);
        return -1;
    }
    memcpy(out, buf, len + 1);
    memset(buf, 0, sizeof(buf));
    return 0;
}

/* A non-empty environment variable, or NULL. */
static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == 0 || *end || v > max || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

int srv_config_parse(int argc, char **argv, srv_config_t *cfg)
{
    enum {
        O_LISTEN = 256,
        O_DATA,
        O_PORTFILE,
        O_THREADS,
        O_WORKERS,
        O_REGION,
        O_AK,
        O_SK,
        O_SKFILE,
        O_FSYNC,
        O_CERT,
        O_KEY,
        O_LOG,
        O_IDLE,
        O_HDR,
        O_BODY,
        O_SWEEP,
        O_LCDAY,
        O_TTL,
        O_STREAM_KEEP,
        O_STREAM_SHARD,
        O_DISK_RESERVE,
        O_JOB_INTERVAL,
        O_NODE_SDK,
        O_RUNTIME,
        O_INSECURE,
        O_HELP,
        O_VERSION,
        O_NO_SIGV2,   /* issue 15, package V */
        O_MASTER_KEY, /* issue 16 */
        O_ALOG_FLUSH, /* issue 16, package G */
        O_ENCRYPT_ALL /* issue 16, package E */
    };
    static const struct option opts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"data-dir", required_argument, NULL, O_DATA},
        {"port-file", required_argument, NULL, O_PORTFILE},
        {"threads", required_argument, NULL, O_THREADS},
        {"workers", required_argument, NULL, O_WORKERS},
        {"region", required_argument, NULL, O_REGION},
        {"access-key", required_argument, NULL, O_AK},
        {"secret-key", required_argument, NULL, O_SK},
        {"secret-key-file", required_argument, NULL, O_SKFILE},
        {"fsync", required_argument, NULL, O_FSYNC},
        {"tls-cert", required_argument, NULL, O_CERT},
        {"tls-key", required_argument, NULL, O_KEY},
        {"log-level", required_argument, NULL, O_LOG},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"header-timeout", required_argument, NULL, O_HDR},
        {"body-timeout", required_argument, NULL, O_BODY},
        {"sweep-interval", required_argument, NULL, O_SWEEP},
        {"lifecycle-day-seconds", required_argument, NULL, O_LCDAY},
        {"ttl-interval", required_argument, NULL, O_TTL},
        {"stream-retention", required_argument, NULL, O_STREAM_KEEP},
        {"stream-shard-seconds", required_argument, NULL, O_STREAM_SHARD},
        {"disk-reserve", required_argument, NULL, O_DISK_RESERVE},
        {"job-interval", required_argument, NULL, O_JOB_INTERVAL},
        {"node-sdk", required_argument, NULL, O_NODE_SDK},
        {"runtime", required_argument, NULL, O_RUNTIME},
        {"insecure-no-sandbox", no_argument, NULL, O_INSECURE},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {"no-sigv2", no_argument, NULL, O_NO_SIGV2},
        {"master-key-file", required_argument, NULL, O_MASTER_KEY},
        {"access-log-flush", required_argument, NULL, O_ALOG_FLUSH},
        {"encrypt-all", no_argument, NULL, O_ENCRYPT_ALL},
        {NULL, 0, NULL, 0},
    };
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->host, sizeof(cfg->host), "%s", "127.0.0.1");
    cfg->port = 4566;
    cfg->data_dir = "./data";
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->threads = ncpu > 0 ? (int)ncpu : 1;
    cfg->workers = 2;
    cfg->region = "us-east-1";
    /* Keys: a flag, else the environment, else the default pair (loopback only). */
    static char secret_buf[SRV_KEY_MAX + 1];
    const char *sk_arg = NULL, *sk_file = NULL;
    char *sk_flag = NULL; /* --secret-key's bytes in argv */
    cfg->access_key = env_nonempty("STRATUS_ACCESS_KEY_ID");
    cfg->access_key_set = cfg->access_key != NULL;
    cfg->fsync = 1;
    cfg->log_level = KV_LOG_INFO;
    cfg->idle_timeout_ms = 60000;
    cfg->header_timeout_ms = 20000;
    cfg->body_timeout_ms = 60000;
    cfg->max_header_bytes = 32 * 1024;
    cfg->max_headers = 200; /* S3 metadata can be many small x-amz-meta-* headers */
    cfg->sweep_interval_ms = 60000;
    cfg->access_log_flush_s = 60;
    cfg->lifecycle_day_s = 86400;
    cfg->ttl_interval_ms = 1000;
    cfg->stream_retention_s = 86400;
    cfg->stream_shard_s = 14400;

    optind = 1;
    int c;
    unsigned long v;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN:
            if (parse_listen(optarg, cfg) < 0) {
                fprintf(stderr, "stratusd: --listen expects HOST:PORT, got '%s'\n", optarg);
                return -1;
            }
            break;
        case O_DATA:
            cfg->data_dir = optarg;
            break;
        case O_PORTFILE:
            cfg->port_file = optarg;
            break;
        case O_THREADS:
            if (parse_uint(optarg, 256, &v) < 0 || v == 0) {
                fprintf(stderr, "stratusd: --threads expects 1..256\n");
                return -1;
            }
            cfg->threads = (int)v;
            break;
        case O_WORKERS:
            if (parse_uint(optarg, 64, &v) < 0 || v == 0) {
                fprintf(stderr, "stratusd: --workers expects 1..64\n");
                return -1;
            }
            cfg->workers = (int)v;
            break;
        case O_REGION:
            if (optarg[0] == 0 || strlen(optarg) > 31) {
                fprintf(stderr, "stratusd: --region expects a region name\n");
                return -1;
            }
            cfg->region = optarg;
            break;
        case O_AK:
            cfg->access_key = optarg;
            cfg->access_key_set = true;
            break;
        case O_SK:
            sk_arg = sk_flag = optarg;
            break;
        case O_SKFILE:
            sk_file = optarg;
            break;
        case O_FSYNC:
            if (strcmp(optarg, "none") == 0)
                cfg->fsync = 0;
            else if (strcmp(optarg, "batch") == 0)
                cfg->fsync = 1;
            else if (strcmp(optarg, "always") == 0)
                cfg->fsync = 2;
            else {
                fprintf(stderr, "stratusd: --fsync expects always, batch or none\n");
                return -1;
            }
            break;
        case O_CERT:
            cfg->tls_cert = optarg;
            break;
        case O_KEY:
            cfg->tls_key = optarg;
            break;
        case O_LOG:
            cfg->log_level = kv_log_parse_level(optarg);
            if (cfg->log_level < 0) {
                fprintf(stderr, "stratusd: --log-level expects error, warn, info or debug\n");
                return -1;
            }
            break;
        case O_IDLE:
        case O_HDR:
        case O_BODY:
            if (parse_uint(optarg, 3600000, &v) < 0 || v == 0) {
                fprintf(stderr, "stratusd: timeouts expect 1..3600000 milliseconds\n");
                return -1;
            }
            if (c == O_IDLE)
                cfg->idle_timeout_ms = (unsigned)v;
            else if (c == O_HDR)
                cfg->header_timeout_ms = (unsigned)v;
            else
                cfg->body_timeout_ms = (unsigned)v;
            break;
        case O_SWEEP:
            if (parse_uint(optarg, 86400000, &v) < 0 || v < 10) {
                fprintf(stderr, "stratusd: --sweep-interval expects 10..86400000 milliseconds\n");
                return -1;
            }
            cfg->sweep_interval_ms = (unsigned)v;
            break;
        case O_LCDAY:
            if (parse_uint(optarg, 86400, &v) < 0 || v == 0) {
                fprintf(stderr, "stratusd: --lifecycle-day-seconds expects 1..86400\n");
                return -1;
            }
            cfg->lifecycle_day_s = (unsigned)v;
            break;
        case O_TTL:
            if (parse_uint(optarg, 3600000, &v) < 0 || v < 10) {
                fprintf(stderr, "stratusd: --ttl-interval expects 10..3600000 milliseconds\n");
                return -1;
            }
            cfg->ttl_interval_ms = (unsigned)v;
            break;
        case O_STREAM_KEEP:
            if (parse_uint(optarg, 31 * 86400, &v) < 0 || v == 0) {
                fprintf(stderr, "stratusd: --stream-retention expects 1..2678400 seconds\n");
                return -1;
            }
            cfg->stream_retention_s = (unsigned)v;
            break;
        case O_STREAM_SHARD:
            if (parse_uint(optarg, 86400, &v) < 0 || v == 0) {
                fprintf(stderr, "stratusd: --stream-shard-seconds expects 1..86400 seconds\n");
                return -1;
            }
            cfg->stream_shard_s = (unsigned)v;
            break;
        case O_JOB_INTERVAL: {
            const char *eq = strchr(optarg, '=');
            struct srv_job_interval *ji = &cfg->job_intervals[cfg->n_job_intervals];
            if (eq == NULL || eq == optarg || (size_t)(eq - optarg) >= sizeof(ji->name) ||
                parse_uint(eq + 1, 86400000, &v) < 0) {
                fprintf(stderr, "stratusd: --job-interval expects NAME=MS (MS 0..86400000), e.g. "
                                "backfill=200\n");
                return -1;
            }
            if (cfg->n_job_intervals == SRV_JOB_INTERVALS_MAX) {
                fprintf(stderr, "stratusd: too many --job-interval flags\n");
                return -1;
            }
            snprintf(ji->name, sizeof(ji->name), "%.*s", (int)(eq - optarg), optarg);
            ji->ms = (unsigned)v;
            cfg->n_job_intervals++;
            break;
        }
        case O_NODE_SDK:
            cfg->node_sdk = optarg;
            break;
        case O_RUNTIME:
            if (cfg->n_runtime_maps == SRV_RUNTIME_MAPS_MAX) {
                fprintf(stderr, "stratusd: too many --runtime flags\n");
                return -1;
            }
            cfg->runtime_maps[cfg->n_runtime_maps++] = optarg;
            break;
        case O_INSECURE:
            cfg->insecure_no_sandbox = true;
            break;
        case O_NO_SIGV2:
            cfg->no_sigv2 = true;
            break;
        case O_MASTER_KEY:
            cfg->master_key_file = optarg;
            break;
        case O_ALOG_FLUSH:
            if (parse_uint(optarg, 86400, &v) < 0 || v == 0) {
                fprintf(stderr, "stratusd: --access-log-flush expects 1..86400 seconds\n");
                return -1;
            }
            cfg->access_log_flush_s = (unsigned)v;
            break;
        case O_ENCRYPT_ALL:
            cfg->encrypt_all = true;
            break;
        case O_DISK_RESERVE: {
            char *end;
            unsigned long long n = strtoull(optarg, &end, 10);
            unsigned shift = *end == 'K' || *end == 'k'   ? 10
                             : *end == 'M' || *end == 'm' ? 20
                             : *end == 'G' || *end == 'g' ? 30
                                                          : 0;
            if (shift)
                end++;
            if (optarg[0] < '0' || optarg[0] > '9' || *end || n > (1ull << 50) >> shift) {
                fprintf(stderr, "stratusd: --disk-reserve expects a size such as 512M or 2G\n");
                return -1;
            }
            cfg->disk_reserve = n ? (int64_t)(n << shift) : -1;
            break;
        }
        case O_HELP:
            srv_config_usage();
            return 1;
        case O_VERSION:
            printf("stratusd %s\n", STRATUS_VERSION);
            return 1;
        default:
            fprintf(stderr, "Try 'stratusd --help'.\n");
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "stratusd: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (sk_arg && sk_file) {
        fprintf(stderr, "stratusd: --secret-key and --secret-key-file exclude each other\n");
        return -1;
    }
    if (sk_arg == NULL && sk_file == NULL) {
        sk_arg = env_nonempty("STRATUS_SECRET_ACCESS_KEY");
        if (sk_arg == NULL)
            sk_file = env_nonempty("STRATUS_SECRET_ACCESS_KEY_FILE");
    }
    cfg->secret_key_file = sk_file;
    if (sk_file) {
        if (read_secret_file(sk_file, secret_buf, sizeof(secret_buf)) < 0)
            return -1;
        cfg->secret_key = secret_buf;
    } else if (sk_arg) {
        snprintf(secret_buf, sizeof(secret_buf), "%s", sk_arg);
        cfg->secret_key = secret_buf;
        if (strlen(sk_arg) >= sizeof(secret_buf))
            secret_buf[0] = 0; /* too long: refused below */
    } else {
        cfg->secret_key = SRV_DEFAULT_SECRET_KEY;
    }
    cfg->secret_key_set = sk_arg || sk_file;
    /* Blank the flag's bytes in argv (copied above): later readers of /proc/PID/cmdline no
     * longer see the secret (earlier ones could, hence the advice in --help). */
    if (sk_flag)
        memset(sk_flag, 'x', strlen(sk_flag));
    if (cfg->access_key == NULL)
        cfg->access_key = SRV_DEFAULT_ACCESS_KEY;
    if (cfg->access_key[0] == 0 || cfg->secret_key[0] == 0 ||
        strlen(cfg->access_key) > SRV_KEY_MAX || strlen(cfg->secret_key) > SRV_KEY_MAX) {
        fprintf(stderr, "stratusd: access and secret keys must be 1..128 characters\n");
        return -1;
    }
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
        fprintf(stderr, "stratusd: --tls-cert and --tls-key go together\n");
        return -1;
    }
    /* The default pair is documented, so anyone could use it: loopback only. Both halves must
     * be chosen, and the secret must not be the documented one. */
    if (!srv_config_is_loopback(cfg->host) &&
        (!cfg->access_key_set || !cfg->secret_key_set ||
         strcmp(cfg->secret_key, SRV_DEFAULT_SECRET_KEY) == 0)) {
        fprintf(stderr,
                "stratusd: refusing to listen on non-loopback address %s with %s; set both "
                "--access-key and --secret-key (or --secret-key-file; environment "
                "STRATUS_ACCESS_KEY_ID and STRATUS_SECRET_ACCESS_KEY)\n",
                cfg->host,
                !cfg->access_key_set && !cfg->secret_key_set ? "the default key pair test/test"
                : !cfg->secret_key_set                       ? "the default secret key"
                : !cfg->access_key_set                       ? "the default access key"
                                                             : "the documented default secret key");
        return -1;
    }
    return 0;
}
