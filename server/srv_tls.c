/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL on memory BIOs (the h2o approach), kept out of the rest of server/. */
#include "srv_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/kv_alloc.h"
#include "base/kv_log.h"

struct srv_tls_ctx {
    SSL_CTX *ctx;
};

struct srv_tls {
    SSL *ssl;
    BIO *rbio; /* network -> SSL */
    BIO *wbio; /* SSL -> network */
};

static void log_ssl(const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    KV_LOG_ERROR("tls: %s: %s", what, buf);
}

srv_tls_ctx_t *srv_tls_ctx_new(const char *cert_file, const char *key_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        log_ssl("SSL_CTX_new");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        log_ssl(cert_file);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        log_ssl(key_file);
        SSL_CTX_free(ctx);
        return NULL;
    }
    srv_tls_ctx_t *c = kv_malloc(sizeof(*c));
    c->ctx = ctx;
    return c;
}

void srv_tls_ctx_free(srv_tls_ctx_t *c)
{
    if (c == NULL)
        return;
    SSL_CTX_free(c->ctx);
    kv_free(c);
}

srv_tls_t *srv_tls_new(srv_tls_ctx_t *c)
{
    srv_tls_t *t = kv_calloc(1, sizeof(*t));
    t->ssl = SSL_new(c->ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (t->ssl == NULL || t->rbio == NULL || t->wbio == NULL)
        abort();
    SSL_set_bio(t->ssl, t->rbio, t->wbio); /* the SSL owns both BIOs now */
    SSL_set_accept_state(t->ssl);
    return t;
}

void srv_tls_free(srv_tls_t *t)
{
    if (t == NULL)
        return;
    SSL_free(t->ssl);
    kv_free(t);
}

static void drain(srv_tls_t *t, kv_buf_t *out)
{
    char buf[16384];
    int n;
    while ((n = BIO_read(t->wbio, buf, sizeof(buf))) > 0)
        kv_buf_append(out, buf, (size_t)n);
}

int srv_tls_feed(srv_tls_t *t, const uint8_t *p, size_t n, srv_tls_plain_cb cb, void *arg,
                 kv_buf_t *out)
{
    while (n > 0) {
        int w = BIO_write(t->rbio, p, (int)(n > 65536 ? 65536 : n));
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
        for (;;) {
            uint8_t buf[16384];
            int r = SSL_read(t->ssl, buf, sizeof(buf));
            if (r > 0) {
                if (cb(arg, buf, (size_t)r) != 0) {
                    drain(t, out);
                    return -1;
                }
                continue;
            }
            int e = SSL_get_error(t->ssl, r);
            drain(t, out);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                break;
            if (e != SSL_ERROR_ZERO_RETURN)
                ERR_clear_error();
            return -1;
        }
    }
    return 0;
}

int srv_tls_write(srv_tls_t *t, const uint8_t *p, size_t n, kv_buf_t *out)
{
    while (n > 0) {
        int w = SSL_write(t->ssl, p, (int)(n > (1u << 20) ? (1u << 20) : n));
        if (w <= 0) {
            ERR_clear_error();
            return -1;
        }
        p += w;
        n -= (size_t)w;
        drain(t, out);
    }
    drain(t, out);
    return 0;
}
