/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A native `provided` runtime for the benchmarks (as a Go or Rust function would be): it
 * echoes each event back through the Lambda Runtime API, keeping one connection open. With
 * OUT set, it first appends "<ns since the epoch> <event>" to that file for each event, or,
 * with OUT=tcp:<port>, sends it to that loopback port (a sandboxed instance cannot write the
 * host's files: the benchmark collects the lines).
 * Built by bench/run.sh with the system compiler.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

/* Read one response: headers into buf, then its body; returns the body's length. */
static long read_response(int fd, char **body, char *rid, size_t rid_cap)
{
    size_t n = 0;
    char *end = NULL;
    while (!end) {
        ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
        if (r <= 0)
            exit(0);
        n += (size_t)r;
        buf[n] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    long len = 0;
    rid[0] = 0;
    for (char *l = strstr(buf, "\r\n") + 2; l < end; l = strstr(l, "\r\n") + 2) {
        if (strncasecmp(l, "Content-Length:", 15) == 0)
            len = strtol(l + 15, NULL, 10);
        else if (strncasecmp(l, "Lambda-Runtime-Aws-Request-Id:", 30) == 0)
            sscanf(l + 30, " %63[^\r]", rid);
    }
    (void)rid_cap;
    size_t have = n - (size_t)(end + 4 - buf);
    while ((long)have < len) {
        ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
        if (r <= 0)
            exit(0);
        n += (size_t)r;
        have += (size_t)r;
    }
    *body = end + 4;
    return len;
}

int main(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    const char *colon = api ? strchr(api, ':') : NULL;
    if (!colon)
        return 1;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
        return 1;
    char req[512], rid[64], *body;
    const char *to = getenv("OUT");
    FILE *out = NULL;
    if (to && strncmp(to, "tcp:", 4) == 0) {
        struct sockaddr_in oa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)strtol(to + 4, NULL, 10)),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int ofd = socket(AF_INET, SOCK_STREAM, 0);
        if (ofd < 0 || connect(ofd, (struct sockaddr *)&oa, sizeof(oa)) < 0)
            return 1;
        out = fdopen(ofd, "w");
    } else if (to) {
        out = fopen(to, "a");
    }
    for (;;) {
        int k =
            snprintf(req, sizeof(req),
                     "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n", api);
        if (write(fd, req, (size_t)k) != k)
            return 1;
        long len = read_response(fd, &body, rid, sizeof(rid));
        if (out) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            fprintf(out, "%lld %.*s\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, (int)len,
                    body);
            fflush(out);
        }
        /* The response in one write: headers, then the event echoed. */
        static char out[(1 << 20) + 512];
        if (len > (long)(sizeof(out) - 512))
            len = (long)(sizeof(out) - 512);
        k = snprintf(out, 512,
                     "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\n"
                     "Content-Length: %ld\r\n\r\n",
                     rid, api, len);
        memmove(out + k, body, (size_t)len);
        if (write(fd, out, (size_t)(k + len)) != k + len)
            return 1;
        read_response(fd, &body, rid, sizeof(rid));
    }
}
