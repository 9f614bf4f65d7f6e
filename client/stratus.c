/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `stratus`: a small command-line client for raw, signed requests. Useful to
 * poke a server by hand and in tests that need exact control over the wire
 * (aws-chunked bodies, presigned URLs, tampered signatures).
 *
 *   stratus [--endpoint URL] [--region R] [--access-key K] [--secret-key S]
 *           request METHOD PATH [--query Q] [--service S] [--header 'K: V']...
 *                   [--body TEXT | --body-file F] [--payload signed|none|unsigned|chunked|trailer]
 *                   [--chunk-size N] [--tamper-chunk] [--host HOST]
 *   stratus ... ddb OPERATION JSON
 *   stratus ... presign METHOD PATH [--expires SECONDS] [--service S] [--host HOST]
 *   stratus ... iam (create-user NAME [--allow ACTIONS --on ARNS]... [--policy-file F]...
 *                    [--attach ARN]... [--group G]... | delete-user NAME | whoami)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "cli.h"

static int usage(void)
{
    fprintf(stderr, "usage: stratus [--endpoint URL] [--region R] [--access-key K] "
                    "[--secret-key S] (request METHOD PATH [opts] | ddb OP JSON | presign METHOD "
                    "PATH [--expires N] | iam create-user NAME [--allow ACTIONS --on ARNS]... "
                    "[--policy-file F]... [--attach ARN]... [--group G]... | iam delete-user "
                    "NAME | iam whoami)\n");
    return 2;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    kv_buf_t b;
    kv_buf_init(&b, SIZE_MAX);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        kv_buf_append(&b, tmp, n);
    fclose(f);
    *len = b.len;
    kv_buf_append_byte(&b, 0);
    return (char *)b.p;
}

int main(int argc, char **argv)
{
    const char *endpoint = getenv("STRATUS_ENDPOINT");
    cli_creds_t cr = {getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"),
                      getenv("AWS_DEFAULT_REGION")};
    if (endpoint == NULL)
        endpoint = "http://127.0.0.1:4566";
    if (cr.access_key == NULL)
        cr.access_key = "test";
    if (cr.secret_key == NULL)
        cr.secret_key = "test";
    if (cr.region == NULL)
        cr.region = "us-east-1";
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--endpoint") == 0)
            endpoint = argv[i + 1];
        else if (strcmp(argv[i], "--region") == 0)
            cr.region = argv[i + 1];
        else if (strcmp(argv[i], "--access-key") == 0)
            cr.access_key = argv[i + 1];
        else if (strcmp(argv[i], "--secret-key") == 0)
            cr.secret_key = argv[i + 1];
        else
            return usage();
    }
    if (i >= argc)
        return usage();
    if (strncmp(endpoint, "http://", 7) != 0) {
        fprintf(stderr, "stratus: only http:// endpoints are supported by this tool\n");
        return 2;
    }
    char hostport[256];
    snprintf(hostport, sizeof(hostport), "%s", endpoint + 7);
    char *slash = strchr(hostport, '/');
    if (slash)
        *slash = 0;
    char host[256];
    snprintf(host, sizeof(host), "%s", hostport);
    int port = 80;
    char *colon = strrchr(host, ':');
    if (colon) {
        *colon = 0;
        port = (int)strtol(colon + 1, NULL, 10);
    }
    const char *cmd = argv[i++];
    if (strcmp(cmd, "iam") == 0) {
        int rc = cli_iam_main(&cr, host, port, hostport, argc - i, argv + i);
        return rc == 2 ? usage() : rc;
    }
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.host = hostport;
    r.service = "s3";
    size_t body_len = 0;
    char *body_alloc = NULL;
    unsigned expires = 3600;
    char *owned[CLI_MAX_HDRS];
    size_t n_owned = 0;
    if (strcmp(cmd, "ddb") == 0) {
        if (i + 2 > argc)
            return usage();
        static char target[256];
        snprintf(target, sizeof(target), "DynamoDB_20120810.%s", argv[i]);
        r.method = "POST";
        r.path = "/";
        r.service = "dynamodb";
        r.payload = CLI_PAYLOAD_NONE;
        cli_req_header(&r, "X-Amz-Target", target);
        cli_req_header(&r, "Content-Type", "application/x-amz-json-1.0");
        r.body = kv_slice_str(argv[i + 1]);
        i += 2;
    } else if (strcmp(cmd, "request") == 0 || strcmp(cmd, "presign") == 0) {
        if (i + 2 > argc)
            return usage();
        r.method = argv[i];
        r.path = argv[i + 1];
        i += 2;
        for (; i < argc; i++) {
            const char *o = argv[i];
            const char *v = i + 1 < argc ? argv[i + 1] : NULL;
            if (strcmp(o, "--tamper-chunk") == 0) {
                r.tamper_chunk = true;
                continue;
            }
            if (v == NULL)
                return usage();
            i++;
            if (strcmp(o, "--query") == 0)
                r.query = v;
            else if (strcmp(o, "--service") == 0)
                r.service = v;
            else if (strcmp(o, "--host") == 0)
                r.host = v;
            else if (strcmp(o, "--header") == 0) {
                if (n_owned >= sizeof(owned) / sizeof(*owned))
                    return usage();
                char *h = owned[n_owned++] = kv_strdup(v);
                char *c = strchr(h, ':');
                if (c == NULL)
                    return usage();
                *c = 0;
                c++;
                while (*c == ' ')
                    c++;
                cli_req_header(&r, h, c);
            } else if (strcmp(o, "--body") == 0)
                r.body = kv_slice_str(v);
            else if (strcmp(o, "--body-file") == 0) {
                body_alloc = read_file(v, &body_len);
                if (body_alloc == NULL) {
                    perror(v);
                    return 2;
                }
                r.body = kv_slice(body_alloc, body_len);
            } else if (strcmp(o, "--payload") == 0) {
                if (strcmp(v, "signed") == 0)
                    r.payload = CLI_PAYLOAD_SIGNED;
                else if (strcmp(v, "none") == 0)
                    r.payload = CLI_PAYLOAD_NONE;
                else if (strcmp(v, "unsigned") == 0)
                    r.payload = CLI_PAYLOAD_UNSIGNED;
                else if (strcmp(v, "chunked") == 0)
                    r.payload = CLI_PAYLOAD_CHUNKED;
                else if (strcmp(v, "trailer") == 0)
                    r.payload = CLI_PAYLOAD_TRAILER;
                else
                    return usage();
            } else if (strcmp(o, "--chunk-size") == 0)
                r.chunk_size = (size_t)atol(v);
            else if (strcmp(o, "--expires") == 0)
                expires = (unsigned)atol(v);
            else
                return usage();
        }
        if (strcmp(cmd, "presign") == 0) {
            kv_buf_t out;
            kv_buf_init(&out, 1 << 20);
            if (cli_presign(&cr, r.method, r.host, r.path, r.service, expires, 0, &out) < 0)
                return 1;
            printf("http://%s%.*s\n", hostport, (int)out.len, (const char *)out.p);
            kv_buf_dispose(&out);
            return 0;
        }
    } else {
        return usage();
    }
    kv_buf_t req, raw;
    kv_buf_init(&req, SIZE_MAX);
    kv_buf_init(&raw, SIZE_MAX);
    if (cli_build(&cr, &r, &req) < 0) {
        fprintf(stderr, "stratus: cannot build the request\n");
        return 2;
    }
    int fd = cli_connect(host, port);
    if (fd < 0) {
        fprintf(stderr, "stratus: cannot connect to %s\n", endpoint);
        return 2;
    }
    cli_resp_t resp;
    bool head = strcmp(r.method, "HEAD") == 0;
    if (cli_roundtrip(fd, kv_buf_slice(&req), head, &raw, &resp) < 0) {
        fprintf(stderr, "stratus: no valid response\n");
        close(fd);
        return 2;
    }
    close(fd);
    printf("%d\n", resp.status);
    for (size_t k = 0; k < resp.n_hdrs; k++)
        printf("%.*s: %.*s\n", (int)resp.hdrs[k].name.len, (const char *)resp.hdrs[k].name.p,
               (int)resp.hdrs[k].value.len, (const char *)resp.hdrs[k].value.p);
    printf("\n");
    if (resp.body.len)
        fwrite(resp.body.p, 1, resp.body.len, stdout);
    printf("\n");
    kv_buf_dispose(&req);
    kv_buf_dispose(&raw);
    kv_free(body_alloc);
    for (size_t k = 0; k < n_owned; k++)
        kv_free(owned[k]);
    fflush(stdout);
    return resp.status >= 200 && resp.status < 300 ? 0 : 1;
}
