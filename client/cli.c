/* SPDX-License-Identifier: Apache-2.0 */
/* Request signing and serialisation, response parsing, blocking I/O. */
#include "cli.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "auth/api_cksum.h"
#include "base/kv_alloc.h"
#include "base/kv_arena.h"
#include "base/kv_b64.h"
#include "base/kv_time.h"

void cli_req_header(cli_req_t *r, const char *name, const char *value)
{
    if (r->n_hdrs >= CLI_MAX_HDRS)
        return;
    r->hdrs[r->n_hdrs].name = kv_slice_str(name);
    r->hdrs[r->n_hdrs].value = kv_slice_str(value);
    r->n_hdrs++;
}

static int hdr_cmp(const void *a, const void *b)
{
    const sigv4_hdr_t *x = a, *y = b;
    size_t n = x->name.len < y->name.len ? x->name.len : y->name.len;
    for (size_t i = 0; i < n; i++) {
        int cx = x->name.p[i] | 0x20, cy = y->name.p[i] | 0x20;
        if (cx != cy)
            return cx - cy;
    }
    return (int)x->name.len - (int)y->name.len;
}

/* Append a chunk in aws-chunked form (signed or not). */
static void put_chunk(kv_buf_t *out, const uint8_t *key, kv_slice_t date, kv_slice_t scope,
                      char prev[65], const uint8_t *p, size_t n, bool sign, bool tamper)
{
    kv_buf_printf(out, "%zx", n);
    if (sign) {
        char h[65], sig[65];
        sigv4_sha256_hex(kv_slice(p, n), h);
        sigv4_chunk_signature(key, date, scope, kv_slice(prev, 64), kv_slice(h, 64), sig);
        if (tamper)
            sig[0] = sig[0] == 'a' ? 'b' : 'a';
        kv_buf_printf(out, ";chunk-signature=%s", sig);
        memcpy(prev, sig, 65);
    }
    kv_buf_append(out, "\r\n", 2);
    kv_buf_append(out, p, n);
    if (n || sign)
        kv_buf_append(out, "\r\n", 2);
}

int cli_build(const cli_creds_t *c, const cli_req_t *r, kv_buf_t *out)
{
    time_t now = r->now ? r->now : time(NULL);
    char amz[17], date[9], scope[160], ph[65], dl[32], clen[32];
    kv_time_fmt_amz(now, amz);
    memcpy(date, amz, 8);
    date[8] = 0;
    snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date, c->region, r->service);

    sigv4_hdr_t h[CLI_MAX_HDRS + 8];
    size_t n = 0;
    h[n].name = KV_SLICE_LIT("Host");
    h[n++].value = kv_slice_str(r->host);
    h[n].name = KV_SLICE_LIT("X-Amz-Date");
    h[n++].value = kv_slice(amz, 16);
    const char *payload = NULL;
    switch (r->payload) {
    case CLI_PAYLOAD_SIGNED:
    case CLI_PAYLOAD_NONE:
        sigv4_sha256_hex(r->body, ph);
        payload = ph;
        break;
    case CLI_PAYLOAD_UNSIGNED:
        payload = "UNSIGNED-PAYLOAD";
        break;
    case CLI_PAYLOAD_CHUNKED:
        payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
        break;
    case CLI_PAYLOAD_TRAILER:
        payload = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
        break;
    }
    if (r->payload != CLI_PAYLOAD_NONE) {
        h[n].name = KV_SLICE_LIT("X-Amz-Content-Sha256");
        h[n++].value = kv_slice_str(payload);
    }
    bool chunked = r->payload == CLI_PAYLOAD_CHUNKED || r->payload == CLI_PAYLOAD_TRAILER;
    if (chunked) {
        snprintf(dl, sizeof(dl), "%zu", r->body.len);
        h[n].name = KV_SLICE_LIT("Content-Encoding");
        h[n++].value = KV_SLICE_LIT("aws-chunked");
        h[n].name = KV_SLICE_LIT("X-Amz-Decoded-Content-Length");
        h[n++].value = kv_slice_str(dl);
        if (r->payload == CLI_PAYLOAD_TRAILER) {
            h[n].name = KV_SLICE_LIT("X-Amz-Trailer");
            h[n++].value = KV_SLICE_LIT("x-amz-checksum-crc32");
        }
    }
    for (size_t i = 0; i < r->n_hdrs; i++)
        h[n++] = r->hdrs[i];
    qsort(h, n, sizeof(*h), hdr_cmp);

    /* SignedHeaders: every header we send except Content-Length. */
    kv_buf_t sh, cq, creq, sts, uri;
    kv_buf_init(&sh, 4096);
    kv_buf_init(&cq, 1 << 20);
    kv_buf_init(&creq, 1 << 20);
    kv_buf_init(&sts, 4096);
    kv_buf_init(&uri, 1 << 20);
    for (size_t i = 0; i < n; i++) {
        if (i)
            kv_buf_append_byte(&sh, ';');
        for (size_t j = 0; j < h[i].name.len; j++)
            kv_buf_append_byte(
                &sh, (uint8_t)(h[i].name.p[j] |
                               (h[i].name.p[j] >= 'A' && h[i].name.p[j] <= 'Z' ? 0x20 : 0)));
    }
    kv_arena_t *a = kv_arena_new(4096);
    kv_slice_t query = kv_slice_str(r->query);
    bool s3 = strcmp(r->service, "s3") == 0;
    sigv4_canonical_uri(&uri, kv_slice_str(r->path), s3);
    int rc = -1;
    if (!sigv4_canonical_query(&cq, query, a) ||
        !sigv4_canonical_request(&creq, kv_slice_str(r->method), kv_buf_slice(&uri),
                                 kv_buf_slice(&cq), kv_buf_slice(&sh), h, n, kv_slice_str(payload)))
        goto out;
    sigv4_string_to_sign(&sts, kv_slice(amz, 16), kv_slice_str(scope), kv_buf_slice(&creq));
    uint8_t key[32];
    char sig[65];
    sigv4_signing_key(kv_slice_str(c->secret_key), kv_slice(date, 8), kv_slice_str(c->region),
                      kv_slice_str(r->service), key);
    sigv4_hmac_hex(key, kv_buf_slice(&sts), sig);

    /* The encoded body, for the chunked modes. */
    kv_buf_t body;
    kv_buf_init(&body, SIZE_MAX);
    if (chunked) {
        size_t cs = r->chunk_size ? r->chunk_size : 65536;
        char prev[65];
        memcpy(prev, sig, 65);
        bool sign = r->payload == CLI_PAYLOAD_CHUNKED;
        size_t k = 0;
        int idx = 0;
        while (k < r->body.len) {
            size_t m = r->body.len - k < cs ? r->body.len - k : cs;
            put_chunk(&body, key, kv_slice(amz, 16), kv_slice_str(scope), prev, r->body.p + k, m,
                      sign, r->tamper_chunk && idx == 1);
            k += m;
            idx++;
        }
        put_chunk(&body, key, kv_slice(amz, 16), kv_slice_str(scope), prev, NULL, 0, sign, false);
        if (!sign) {
            uint32_t crc = (uint32_t)crc32(0, r->body.p, (uInt)r->body.len);
            uint8_t be[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8),
                             (uint8_t)crc};
            kv_buf_append_str(&body, "x-amz-checksum-crc32:");
            kv_b64_encode(&body, be, 4);
            kv_buf_append(&body, "\r\n\r\n", 4);
        }
    } else {
        kv_buf_append_slice(&body, r->body);
    }
    snprintf(clen, sizeof(clen), "%zu", body.len);

    kv_buf_printf(out, "%s %s%s%s HTTP/1.1\r\n", r->method, r->path, r->query ? "?" : "",
                  r->query ? r->query : "");
    for (size_t i = 0; i < n; i++) {
        kv_buf_append_slice(out, h[i].name);
        kv_buf_append(out, ": ", 2);
        kv_buf_append_slice(out, h[i].value);
        kv_buf_append(out, "\r\n", 2);
    }
    kv_buf_printf(out,
                  "Authorization: " SIGV4_ALGO " Credential=%s/%s, SignedHeaders=%.*s, "
                  "Signature=%s\r\n",
                  c->access_key, scope, (int)sh.len, (const char *)sh.p, sig);
    if (body.len || strcmp(r->method, "PUT") == 0 || strcmp(r->method, "POST") == 0)
        kv_buf_printf(out, "Content-Length: %s\r\n", clen);
    kv_buf_append(out, "\r\n", 2);
    kv_buf_append_slice(out, kv_buf_slice(&body));
    kv_buf_dispose(&body);
    rc = kv_buf_failed(out) ? -1 : 0;
out:
    kv_arena_free(a);
    kv_buf_dispose(&sh);
    kv_buf_dispose(&cq);
    kv_buf_dispose(&creq);
    kv_buf_dispose(&sts);
    kv_buf_dispose(&uri);
    return rc;
}

int cli_presign(const cli_creds_t *c, const char *method, const char *host, const char *path,
                const char *service, unsigned expires, time_t now, kv_buf_t *out)
{
    char amz[17], date[9], scope[160];
    if (now == 0)
        now = time(NULL);
    kv_time_fmt_amz(now, amz);
    memcpy(date, amz, 8);
    date[8] = 0;
    snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date, c->region, service);
    kv_buf_t q, cq, creq, sts, uri, enc;
    kv_buf_init(&q, 1 << 16);
    kv_buf_init(&cq, 1 << 16);
    kv_buf_init(&creq, 1 << 20);
    kv_buf_init(&sts, 4096);
    kv_buf_init(&uri, 1 << 20);
    kv_buf_init(&enc, 4096);
    sigv4_uri_encode(&enc, kv_slice_str(c->access_key), true);
    kv_buf_printf(&q,
                  "X-Amz-Algorithm=" SIGV4_ALGO
                  "&X-Amz-Credential=%.*s%%2F%s%%2F%s%%2F%s%%2Faws4_request"
                  "&X-Amz-Date=%s&X-Amz-Expires=%u&X-Amz-SignedHeaders=host",
                  (int)enc.len, (const char *)enc.p, date, c->region, service, amz, expires);
    sigv4_hdr_t h = {KV_SLICE_LIT("host"), kv_slice_str(host)};
    kv_arena_t *a = kv_arena_new(4096);
    int rc = -1;
    sigv4_canonical_uri(&uri, kv_slice_str(path), strcmp(service, "s3") == 0);
    if (sigv4_canonical_query(&cq, kv_buf_slice(&q), a) &&
        sigv4_canonical_request(&creq, kv_slice_str(method), kv_buf_slice(&uri), kv_buf_slice(&cq),
                                KV_SLICE_LIT("host"), &h, 1, KV_SLICE_LIT("UNSIGNED-PAYLOAD"))) {
        uint8_t key[32];
        char sig[65];
        sigv4_string_to_sign(&sts, kv_slice(amz, 16), kv_slice_str(scope), kv_buf_slice(&creq));
        sigv4_signing_key(kv_slice_str(c->secret_key), kv_slice(date, 8), kv_slice_str(c->region),
                          kv_slice_str(service), key);
        sigv4_hmac_hex(key, kv_buf_slice(&sts), sig);
        kv_buf_printf(out, "%s?%.*s&X-Amz-Signature=%s", path, (int)q.len, (const char *)q.p, sig);
        rc = 0;
    }
    kv_arena_free(a);
    kv_buf_dispose(&q);
    kv_buf_dispose(&cq);
    kv_buf_dispose(&creq);
    kv_buf_dispose(&sts);
    kv_buf_dispose(&uri);
    kv_buf_dispose(&enc);
    return rc;
}

kv_slice_t cli_resp_header(const cli_resp_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_hdrs; i++)
        if (kv_slice_eq_nocase(r->hdrs[i].name, name))
            return r->hdrs[i].value;
    return KV_SLICE_NULL;
}

int cli_resp_parse(kv_slice_t d, bool head_request, cli_resp_t *out)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *end = NULL;
    for (size_t i = 3; i < d.len; i++)
        if (d.p[i] == '\n' && d.p[i - 1] == '\r' && d.p[i - 2] == '\n' && d.p[i - 3] == '\r') {
            end = d.p + i + 1;
            break;
        }
    if (end == NULL)
        return d.len > (1u << 20) ? -1 : 0;
    if (d.len < 12 || memcmp(d.p, "HTTP/1.", 7) != 0)
        return -1;
    out->status = (d.p[9] - '0') * 100 + (d.p[10] - '0') * 10 + (d.p[11] - '0');
    const uint8_t *p = (const uint8_t *)memchr(d.p, 0x0a, (size_t)(end - d.p)) + 1;
    int64_t clen = -1;
    bool chunked = false;
    while (p < end - 2) {
        const uint8_t *eol = memchr(p, '\r', (size_t)(end - p));
        const uint8_t *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon == NULL)
            return -1;
        sigv4_hdr_t h = {kv_slice(p, (size_t)(colon - p)),
                         kv_slice_trim(kv_slice(colon + 1, (size_t)(eol - colon - 1)))};
        if (out->n_hdrs < CLI_MAX_HDRS)
            out->hdrs[out->n_hdrs++] = h;
        uint64_t v;
        if (kv_slice_eq_nocase(h.name, "content-length") && kv_slice_to_u64(h.value, &v))
            clen = (int64_t)v;
        if (kv_slice_eq_nocase(h.name, "transfer-encoding") &&
            kv_slice_eq_nocase(h.value, "chunked"))
            chunked = true;
        p = eol + 2;
    }
    size_t hlen = (size_t)(end - d.p);
    if (head_request || out->status == 204 || out->status == 304 ||
        (out->status >= 100 && out->status < 200)) {
        out->consumed = hlen;
        return 1;
    }
    if (chunked)
        return -1; /* stratusd always sends Content-Length */
    if (clen < 0)
        clen = 0;
    if (d.len - hlen < (size_t)clen)
        return 0;
    out->body = kv_slice(end, (size_t)clen);
    out->consumed = hlen + (size_t)clen;
    return 1;
}

int cli_connect(const char *host, int port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    if (getaddrinfo(host, ps, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

int cli_roundtrip(int fd, kv_slice_t req, bool head_request, kv_buf_t *raw, cli_resp_t *out)
{
    size_t off = 0;
    while (off < req.len) {
        ssize_t w = send(fd, req.p + off, req.len - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break; /* the server may answer early and close; read what it said */
        }
        off += (size_t)w;
    }
    kv_buf_reset(raw);
    for (;;) {
        int rc = cli_resp_parse(kv_buf_slice(raw), head_request, out);
        if (rc != 0) {
            if (rc == 1 && out->status == 100) {
                /* Skip an interim 100 Continue. */
                size_t rest = raw->len - out->consumed;
                memmove(raw->p, raw->p + out->consumed, rest);
                raw->len = rest;
                continue;
            }
            return rc == 1 ? 0 : -1;
        }
        if (!kv_buf_reserve(raw, 65536))
            return -1;
        ssize_t r = recv(fd, raw->p + raw->len, 65536, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        raw->len += (size_t)r;
    }
}
