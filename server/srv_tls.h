/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS over memory BIOs: ciphertext from the libuv read callback goes in,
 * plaintext comes out to a callback, and ciphertext to send is appended to a
 * buffer the caller writes with uv_write. The only file that includes
 * <openssl/ssl.h> in server/.
 */
#ifndef SRV_TLS_H
#define SRV_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "base/kv_buf.h"

typedef struct srv_tls_ctx srv_tls_ctx_t;
typedef struct srv_tls srv_tls_t;

/** Load a certificate chain and key. @return NULL (message logged) on failure. */
srv_tls_ctx_t *srv_tls_ctx_new(const char *cert_file, const char *key_file);
void srv_tls_ctx_free(srv_tls_ctx_t *c);

/** New server-side session. Free with srv_tls_free(). */
srv_tls_t *srv_tls_new(srv_tls_ctx_t *c);
void srv_tls_free(srv_tls_t *t);

typedef int (*srv_tls_plain_cb)(void *arg, const uint8_t *p, size_t n);
/**
 * Feed received ciphertext. Plaintext is passed to cb (which returns 0 to go
 * on); handshake bytes to send are appended to out. @return 0, or -1 on a
 * TLS error or when cb returned non-zero.
 */
int srv_tls_feed(srv_tls_t *t, const uint8_t *p, size_t n, srv_tls_plain_cb cb, void *arg,
                 kv_buf_t *out);
/** Encrypt plaintext, appending ciphertext to out. @return 0 or -1. */
int srv_tls_write(srv_tls_t *t, const uint8_t *p, size_t n, kv_buf_t *out);

#endif
