/* SPDX-License-Identifier: Apache-2.0 */
/* In-process server for tests; see srv_harness.h. */
#include "srv_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/kv_log.h"
#include "srv_int.h"

static srv_t g_srv;
static srv_config_t g_cfg;
static int g_port;
static char g_dir[64];

/* The data directory goes when the test program ends. */
static void remove_dir(void)
{
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "srv_harness: cannot remove %s\n", g_dir);
}

int srv_harness_port(void)
{
    if (g_port)
        return g_port;
    char *dir = g_dir;
    snprintf(g_dir, sizeof(g_dir), "/tmp/stratus-srvh-XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        abort();
    atexit(remove_dir);
    char *argv[] = {"stratusd", "--listen",         "127.0.0.1:0", "--data-dir",
                    dir,        "--threads",        "1",           "--log-level",
                    "error",    "--header-timeout", "2000",        "--body-timeout",
                    "2000",     "--idle-timeout",   "2000",        NULL};
    if (srv_config_parse(15, argv, &g_cfg) != 0)
        abort();
    kv_log_set_level((kv_log_level_t)g_cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    api_global_init();
    g_srv.cfg = &g_cfg;
    api_cfg_t acfg = {.data_dir = g_cfg.data_dir,
                      .fsync = 1,
                      .region = g_cfg.region,
                      .access_key = g_cfg.access_key,
                      .secret_key = g_cfg.secret_key};
    if (api_open(&acfg, &g_srv.api) != 0 || srv_start(&g_srv) != 0)
        abort();
    g_port = g_srv.port;
    return g_port;
}

int srv_harness_exchange(const void *data, size_t len, kv_buf_t *out, int timeout_ms)
{
    int port = srv_harness_port();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, (const char *)data + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        char buf[65536];
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        if (r <= 0)
            break;
        if (out)
            kv_buf_append(out, buf, (size_t)r);
    }
    close(fd);
    return 0;
}
