/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The outbound HTTP(S) client of SNS deliveries: a few worker threads of their own post each
 * request (HTTP/1.1, Connection: close; TLS with the system's trust store and the host name
 * checked) within one overall deadline (HTTP_TIMEOUT_MS for connect, TLS handshake, request and
 * the response's status line together), and report the status through the request's done
 * callback, so the services thread never blocks on an endpoint. Every wait polls a wake pipe
 * too: sns_http_free ends the exchanges in flight at once instead of waiting for them.
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
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/kv_alloc.h"
#include "base/kv_time.h"
#include "sns_http.h"

#define HTTP_THREADS    16    /* started as needed; a subscription uses at most 4 (sns_deliver.c) */
#define HTTP_TIMEOUT_MS 15000 /* the whole exchange: connect to the status line */

struct sns_http {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    sns_http_req_t *head, *tail;
    bool stop;
    pthread_t threads[HTTP_THREADS];
    int n_threads;
    SSL_CTX *tls;
    int wake[2]; /* readable once stopping: ends every wait of the workers */
};

/* Wait until fd is ready for events, the deadline passes or the client stops. true: ready. */
static bool wait_fd(struct sns_http *h, int fd, short events, int64_t deadline)
{
    for (int i = 0; i < 1000; i++) { /* EINTR only repeats; bounded all the same */
        int64_t left = deadline - kv_now_ms();
        if (left <= 0)
            return false;
        struct pollfd pf[2] = {{.fd = fd, .events = events}, {.fd = h->wake[0], .events = POLLIN}};
        int n = poll(pf, h->wake[0] >= 0 ? 2 : 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (pf[1].revents & POLLIN))
            return false;
        return true;
    }
    return false;
}

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

static int connect_to(struct sns_http *h, const char *host, const char *port, int64_t deadline)
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
            int err = 0;
            socklen_t el = sizeof(err);
            rc = wait_fd(h, fd, POLLOUT, deadline) &&
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
    return fd; /* non-blocking: every read and write waits in wait_fd */
}

/* Wait for what an SSL call that returned r asks for. false: failed, late or stopping. */
static bool ssl_wait(struct sns_http *h, SSL *ssl, int fd, int r, int64_t deadline)
{
    int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ)
        return wait_fd(h, fd, POLLIN, deadline);
    if (e == SSL_ERROR_WANT_WRITE)
        return wait_fd(h, fd, POLLOUT, deadline);
    return false;
}

/* Send all of p; read the response's status line, all before the deadline. @return the status
 * or -1. */
static int exchange(struct sns_http *h, int fd, SSL *ssl, const char *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t w;
        if (ssl) {
            int r = SSL_write(ssl, p, (int)(n > 1u << 30 ? 1u << 30 : n));
            if (r <= 0) {
                if (!ssl_wait(h, ssl, fd, r, deadline))
                    return -1;
                continue;
            }
            w = r;
        } else {
            w = send(fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                if (!wait_fd(h, fd, POLLOUT, deadline))
                    return -1;
                continue;
            }
            if (w <= 0)
                return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    char buf[256];
    size_t got = 0;
    while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
        ssize_t r;
        if (ssl) {
            int sr = SSL_read(ssl, buf + got, (int)(sizeof(buf) - 1 - got));
            if (sr <= 0) {
                if (!ssl_wait(h, ssl, fd, sr, deadline))
                    break;
                continue;
            }
            r = sr;
        } else {
            r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                if (!wait_fd(h, fd, POLLIN, deadline))
                    break;
                continue;
            }
            if (r <= 0)
                break;
        }
        got += (size_t)r;
    }
    buf[got] = 0;
    int status;
    if (!memchr(buf, '\n', got) || sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1)
        return -1;
    return status;
}

static int post(struct sns_http *h, sns_http_req_t *r)
{
    int64_t deadline = kv_now_ms() + HTTP_TIMEOUT_MS;
    bool tls;
    char host[256], port[8];
    const char *path;
    if (!split_url(r->url, &tls, host, sizeof(host), port, &path))
        return -1;
    if (tls && h->tls == NULL)
        return -1;
    int fd = connect_to(h, host, port, deadline);
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
            SSL_set1_host(ssl, host) != 1)
            goto out;
        int cr;
        while ((cr = SSL_connect(ssl)) != 1)
            if (!ssl_wait(h, ssl, fd, cr, deadline))
                goto out;
    }
    if (!kv_buf_failed(&msg))
        status = exchange(h, fd, ssl, (const char *)msg.p, msg.len, deadline);
out:
    if (ssl) {
        if (status >= 0)
            SSL_shutdown(ssl); /* non-blocking: one try, no wait */
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
    if (pipe2(h->wake, O_CLOEXEC | O_NONBLOCK) < 0)
        h->wake[0] = h->wake[1] = -1;
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
    if (h->wake[1] >= 0) { /* the exchanges in flight end now */
        ssize_t w = write(h->wake[1], "x", 1);
        (void)w;
    }
    for (int i = 0; i < h->n_threads; i++)
        pthread_join(h->threads[i], NULL);
    SSL_CTX_free(h->tls);
    if (h->wake[0] >= 0) {
        close(h->wake[0]);
        close(h->wake[1]);
    }
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    kv_free(h);
}
