/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The outbound HTTP(S) client of SNS deliveries: a few worker threads of their own post each
 * request (HTTP/1.1, Connection: close; TLS with the system's trust store and the host name
 * checked) with bounded connect and I/O timeouts, and report the status through the request's
 * done callback, so the services thread never blocks on an endpoint.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/kv_alloc.h"
#include "sns_http.h"

#define HTTP_THREADS    4
#define HTTP_TIMEOUT_MS 15000 /* connect, and each read or write */

struct sns_http {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    sns_http_req_t *head, *tail;
    bool stop;
    pthread_t threads[HTTP_THREADS];
    int n_threads;
    SSL_CTX *tls;
};

/* Split url into scheme, host, port and the path with its query. */
static bool split_url(const char *url, bool *tls, char *host, size_t hcap, char *port,
                      const char **path)
{
    const char *p;
    if (strncmp(url, "http://", 7) == 0) {
        *tls = false;
        p = url + 7;
    } else if (strncmp(url, "https://", 8) == 0) {
        *tls = true;
        p = url + 8;
    } else {
        return false;
    }
    const char *end = p + strcspn(p, "/?#");
    *path = *end ? end : "/";
    const char *h = p, *hend = end, *colon = NULL;
    if (*h == '[') { /* an IPv6 literal */
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (rb == NULL)
            return false;
        h++;
        hend = rb;
        colon = rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        if (colon)
            hend = colon;
    }
    size_t hl = (size_t)(hend - h);
    if (hl == 0 || hl >= hcap)
        return false;
    memcpy(host, h, hl);
    host[hl] = 0;
    if (colon) {
        size_t pl = (size_t)(end - colon - 1);
        if (pl == 0 || pl > 5)
            return false;
        memcpy(port, colon + 1, pl);
        port[pl] = 0;
    } else {
        snprintf(port, 8, "%s", *tls ? "443" : "80");
    }
    return true;
}

static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc < 0 && errno == EINPROGRESS) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            int err = 0;
            socklen_t el = sizeof(err);
            rc = poll(&pf, 1, HTTP_TIMEOUT_MS) == 1 &&
                         getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0
                     ? 0
                     : -1;
        }
        if (rc < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd >= 0) { /* blocking from here, each read and write bounded */
        struct timeval tv = {HTTP_TIMEOUT_MS / 1000, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* Send all of p; read the response's status line. @return the status or -1. */
static int exchange(int fd, SSL *ssl, const char *p, size_t n)
{
    while (n) {
        ssize_t w = ssl ? SSL_write(ssl, p, (int)(n > 1u << 30 ? 1u << 30 : n))
                        : send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    char buf[256];
    size_t got = 0;
    while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
        ssize_t r = ssl ? SSL_read(ssl, buf + got, (int)(sizeof(buf) - 1 - got))
                        : recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = 0;
    int status;
    if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1)
        return -1;
    return status;
}

static int post(struct sns_http *h, sns_http_req_t *r)
{
    bool tls;
    char host[256], port[8];
    const char *path;
    if (!split_url(r->url, &tls, host, sizeof(host), port, &path))
        return -1;
    if (tls && h->tls == NULL)
        return -1;
    int fd = connect_to(host, port);
    if (fd < 0)
        return -1;
    kv_buf_t msg;
    kv_buf_init(&msg, r->body.len + r->headers.len + 4096);
    kv_buf_printf(&msg,
                  "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Length: %zu\r\nConnection: close\r\n"
                  "User-Agent: Amazon Simple Notification Service Agent\r\n",
                  path, host, port, r->body.len);
    kv_buf_append_slice(&msg, kv_buf_slice(&r->headers));
    kv_buf_append_str(&msg, "\r\n");
    kv_buf_append_slice(&msg, kv_buf_slice(&r->body));
    SSL *ssl = NULL;
    int status = -1;
    if (tls) {
        ssl = SSL_new(h->tls);
        if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_set_tlsext_host_name(ssl, host) != 1 ||
            SSL_set1_host(ssl, host) != 1 || SSL_connect(ssl) != 1)
            goto out;
    }
    if (!kv_buf_failed(&msg))
        status = exchange(fd, ssl, (const char *)msg.p, msg.len);
out:
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    close(fd);
    kv_buf_dispose(&msg);
    return status;
}

static void *worker(void *arg)
{
    struct sns_http *h = arg;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        while (!h->stop && h->head == NULL)
            pthread_cond_wait(&h->cond, &h->lock);
        if (h->head == NULL)
            break; /* stopping, and nothing queued */
        sns_http_req_t *r = h->head;
        h->head = r->next;
        if (h->head == NULL)
            h->tail = NULL;
        pthread_mutex_unlock(&h->lock);
        r->status = h->stop ? -1 : post(h, r);
        r->done(r);
        pthread_mutex_lock(&h->lock);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

sns_http_t *sns_http_new(void)
{
    struct sns_http *h = kv_calloc(1, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    h->tls = SSL_CTX_new(TLS_client_method());
    if (h->tls) {
        SSL_CTX_set_verify(h->tls, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_default_verify_paths(h->tls);
    }
    return h;
}

int sns_http_post(sns_http_t *h, sns_http_req_t *r)
{
    pthread_mutex_lock(&h->lock);
    if (h->stop) {
        pthread_mutex_unlock(&h->lock);
        return -1;
    }
    /* threads start with the first request: a server without HTTP subscriptions has none */
    if (h->n_threads < HTTP_THREADS &&
        pthread_create(&h->threads[h->n_threads], NULL, worker, h) == 0)
        h->n_threads++;
    if (h->n_threads == 0) {
        pthread_mutex_unlock(&h->lock);
        return -1;
    }
    r->next = NULL;
    if (h->tail)
        h->tail->next = r;
    else
        h->head = r;
    h->tail = r;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->lock);
    return 0;
}

void sns_http_free(sns_http_t *h)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->lock);
    h->stop = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    for (int i = 0; i < h->n_threads; i++)
        pthread_join(h->threads[i], NULL);
    SSL_CTX_free(h->tls);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    kv_free(h);
}
