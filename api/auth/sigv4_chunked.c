/* SPDX-License-Identifier: Apache-2.0 */
/* aws-chunked body decoder with per-chunk signature and trailer checks. */
#include "sigv4_chunked.h"

#include <string.h>

#include "base/kv_b64.h"
#include "sigv4.h"

enum { ST_SIZE = 0, ST_DATA, ST_DATA_CR, ST_DATA_LF, ST_TRAILER, ST_FINAL, ST_DONE };

static void copy_str(char *dst, size_t cap, kv_slice_t s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = 0;
}

void sigv4_chunked_init(sigv4_chunked_t *c, sigv4_ch_mode_t mode, const uint8_t key[32],
                        kv_slice_t amz_date, kv_slice_t scope, kv_slice_t seed_sig,
                        api_ck_algo_t trailer_algo, int64_t expect_decoded)
{
    memset(c, 0, sizeof(*c));
    c->mode = mode;
    c->state = ST_SIZE;
    if (key)
        memcpy(c->key, key, 32);
    copy_str(c->amz_date, sizeof(c->amz_date), amz_date);
    copy_str(c->scope, sizeof(c->scope), scope);
    copy_str(c->prev_sig, sizeof(c->prev_sig), seed_sig);
    c->expect_decoded = expect_decoded;
    c->trailer_algo = trailer_algo;
    api_ck_init(&c->chunk_hash, API_CK_SHA256);
    api_ck_init(&c->trailer_ck, trailer_algo);
}

void sigv4_chunked_dispose(sigv4_chunked_t *c)
{
    api_ck_dispose(&c->chunk_hash);
    api_ck_dispose(&c->trailer_ck);
    memset(c->key, 0, sizeof(c->key));
}

static bool signed_mode(const sigv4_chunked_t *c)
{
    return c->mode != SIGV4_CH_UNSIGNED_TRAILER;
}

static bool has_trailer(const sigv4_chunked_t *c)
{
    return c->mode != SIGV4_CH_SIGNED;
}

/* Verify the signature of the chunk whose hash is in chunk_hash, then reset it. */
static sigv4_ch_err_t check_chunk_sig(sigv4_chunked_t *c)
{
    uint8_t d[API_CK_MAX];
    char hx[65], sig[65];
    api_ck_final(&c->chunk_hash, d);
    api_ck_dispose(&c->chunk_hash);
    api_ck_init(&c->chunk_hash, API_CK_SHA256);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hx[2 * i] = digits[d[i] >> 4];
        hx[2 * i + 1] = digits[d[i] & 15];
    }
    hx[64] = 0;
    sigv4_chunk_signature(c->key, kv_slice_str(c->amz_date), kv_slice_str(c->scope),
                          kv_slice_str(c->prev_sig), kv_slice(hx, 64), sig);
    if (!sigv4_sig_eq(kv_slice(sig, 64), kv_slice_str(c->want_sig)))
        return SIGV4_CH_E_SIGNATURE;
    memcpy(c->prev_sig, sig, 65);
    return SIGV4_CH_OK;
}

static sigv4_ch_err_t parse_size_line(sigv4_chunked_t *c, kv_slice_t line)
{
    uint64_t size = 0;
    size_t i = 0;
    for (; i < line.len; i++) {
        uint8_t ch = line.p[i];
        int v;
        if (ch >= '0' && ch <= '9')
            v = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            v = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F')
            v = ch - 'A' + 10;
        else
            break;
        if (i >= 15)
            return SIGV4_CH_E_FORMAT;
        size = size << 4 | (uint64_t)v;
    }
    if (i == 0)
        return SIGV4_CH_E_FORMAT;
    kv_slice_t ext = kv_slice(line.p + i, line.len - i);
    if (signed_mode(c)) {
        if (!kv_slice_starts_with(ext, ";chunk-signature=") || ext.len != 17 + 64)
            return SIGV4_CH_E_FORMAT;
        copy_str(c->want_sig, sizeof(c->want_sig), kv_slice(ext.p + 17, 64));
    } else if (ext.len && ext.p[0] != ';') {
        return SIGV4_CH_E_FORMAT;
    }
    c->remaining = size;
    if (size == 0) {
        if (signed_mode(c)) {
            sigv4_ch_err_t e = check_chunk_sig(c);
            if (e)
                return e;
        }
        c->state = has_trailer(c) ? ST_TRAILER : ST_FINAL;
    } else {
        c->state = ST_DATA;
    }
    return SIGV4_CH_OK;
}

static sigv4_ch_err_t parse_trailer_line(sigv4_chunked_t *c, kv_slice_t line)
{
    if (line.len == 0) {
        c->state = ST_DONE;
        return SIGV4_CH_OK;
    }
    const uint8_t *colon = memchr(line.p, ':', line.len);
    if (colon == NULL)
        return SIGV4_CH_E_FORMAT;
    kv_slice_t name = kv_slice(line.p, (size_t)(colon - line.p));
    kv_slice_t val = kv_slice_trim(kv_slice(colon + 1, line.len - name.len - 1));
    if (kv_slice_eq_nocase(name, "x-amz-trailer-signature")) {
        if (val.len != 64)
            return SIGV4_CH_E_FORMAT;
        copy_str(c->trailer_sig, sizeof(c->trailer_sig), val);
        return SIGV4_CH_OK;
    }
    api_ck_algo_t algo = api_ck_from_header(name);
    if (algo == API_CK_NONE || algo != c->trailer_algo || c->have_trailer)
        return SIGV4_CH_E_TRAILER;
    copy_str(c->trailer_value, sizeof(c->trailer_value), val);
    c->have_trailer = true;
    /* Canonical trailer for the trailer signature: "name:value\n", name lowercase. */
    size_t need = name.len + val.len + 2;
    if (need < sizeof(c->trailer_canon)) {
        for (size_t i = 0; i < name.len; i++) {
            uint8_t ch = name.p[i];
            c->trailer_canon[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        c->trailer_canon[name.len] = ':';
        memcpy(c->trailer_canon + name.len + 1, val.p, val.len);
        c->trailer_canon[need - 1] = '\n';
        c->trailer_canon_len = need;
    }
    return SIGV4_CH_OK;
}

sigv4_ch_err_t sigv4_chunked_feed(sigv4_chunked_t *c, const uint8_t *p, size_t n,
                                  sigv4_ch_sink_cb sink, void *arg)
{
    size_t i = 0;
    if (c->err)
        return c->err;
    while (i < n && c->err == SIGV4_CH_OK) {
        switch (c->state) {
        case ST_DATA: {
            size_t k = n - i;
            if (k > c->remaining)
                k = (size_t)c->remaining;
            if (signed_mode(c))
                api_ck_update(&c->chunk_hash, p + i, k);
            if (c->trailer_algo)
                api_ck_update(&c->trailer_ck, p + i, k);
            c->decoded += k;
            if (c->expect_decoded >= 0 && c->decoded > (uint64_t)c->expect_decoded) {
                c->err = SIGV4_CH_E_INCOMPLETE;
                break;
            }
            if (sink && sink(arg, p + i, k) != 0) {
                c->err = SIGV4_CH_E_SINK;
                break;
            }
            i += k;
            c->remaining -= k;
            if (c->remaining == 0)
                c->state = ST_DATA_CR;
            break;
        }
        case ST_DATA_CR:
            if (p[i++] != '\r')
                c->err = SIGV4_CH_E_FORMAT;
            else
                c->state = ST_DATA_LF;
            break;
        case ST_DATA_LF:
            if (p[i++] != '\n') {
                c->err = SIGV4_CH_E_FORMAT;
                break;
            }
            c->state = ST_SIZE;
            if (signed_mode(c))
                c->err = check_chunk_sig(c);
            break;
        case ST_SIZE:
        case ST_TRAILER:
        case ST_FINAL: {
            uint8_t ch = p[i++];
            if (ch != '\n') {
                if (c->line_len >= SIGV4_CH_LINE_MAX) {
                    c->err = SIGV4_CH_E_FORMAT;
                    break;
                }
                c->line[c->line_len++] = ch;
                break;
            }
            if (c->line_len == 0 || c->line[c->line_len - 1] != '\r') {
                c->err = SIGV4_CH_E_FORMAT;
                break;
            }
            kv_slice_t line = kv_slice(c->line, c->line_len - 1);
            c->line_len = 0;
            if (c->state == ST_SIZE)
                c->err = parse_size_line(c, line);
            else if (c->state == ST_TRAILER)
                c->err = parse_trailer_line(c, line);
            else if (line.len == 0)
                c->state = ST_DONE;
            else
                c->err = SIGV4_CH_E_FORMAT;
            break;
        }
        case ST_DONE:
        default:
            c->err = SIGV4_CH_E_FORMAT; /* bytes after the end */
            break;
        }
    }
    return c->err;
}

sigv4_ch_err_t sigv4_chunked_finish(sigv4_chunked_t *c)
{
    if (c->err)
        return c->err;
    /* Some clients end the last chunk without the closing blank line. */
    if (c->state == ST_FINAL && c->line_len == 0)
        c->state = ST_DONE;
    if (c->state != ST_DONE)
        return c->err = SIGV4_CH_E_INCOMPLETE;
    if (c->expect_decoded >= 0 && c->decoded != (uint64_t)c->expect_decoded)
        return c->err = SIGV4_CH_E_INCOMPLETE;
    if (c->trailer_algo) {
        if (!c->have_trailer)
            return c->err = SIGV4_CH_E_TRAILER;
        if (c->mode == SIGV4_CH_SIGNED_TRAILER) {
            char hx[65], sig[65];
            sigv4_sha256_hex(kv_slice(c->trailer_canon, c->trailer_canon_len), hx);
            sigv4_trailer_signature(c->key, kv_slice_str(c->amz_date), kv_slice_str(c->scope),
                                    kv_slice_str(c->prev_sig), kv_slice(hx, 64), sig);
            if (!sigv4_sig_eq(kv_slice(sig, 64), kv_slice_str(c->trailer_sig)))
                return c->err = SIGV4_CH_E_SIGNATURE;
        }
        uint8_t d[API_CK_MAX];
        size_t dn = api_ck_final(&c->trailer_ck, d);
        uint8_t tmp[64];
        kv_buf_t b = {tmp, 0, sizeof(tmp), sizeof(tmp), false, true};
        kv_b64_encode(&b, d, dn);
        if (!kv_slice_eq(kv_buf_slice(&b), kv_slice_str(c->trailer_value)))
            return c->err = SIGV4_CH_E_CHECKSUM;
    }
    return SIGV4_CH_OK;
}

const char *sigv4_chunked_trailer_value(const sigv4_chunked_t *c)
{
    return c->have_trailer ? c->trailer_value : NULL;
}
