/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request-body decompressor (api/codec/api_inflate.c, issue 17 package H): a gzip or
 * deflate body split at every byte boundary (and fed a byte at a time) decompresses the same;
 * gzip members may follow one another, a deflate stream may not; trailing bytes, a cut-short
 * stream, an empty body, a bad check value are errors; a bomb stops at the sink's limit; the
 * Content-Encoding values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "base/kv_alloc.h"
#include "base/kv_buf.h"
#include "codec/api_inflate.h"

/* A sink into a kv_buf with a limit: -1 past it. */
static int buf_sink(void *arg, const uint8_t *p, size_t n)
{
    kv_buf_t *b = arg;
    kv_buf_append(b, p, n);
    return kv_buf_failed(b) ? -1 : 0;
}

/* Compress src (gzip: a gzip member; else a zlib stream) into a new buffer. */
static uint8_t *compress_to(bool gzip, const uint8_t *src, size_t n, size_t *out_n)
{
    z_stream s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(
        deflateInit2(&s, 6, Z_DEFLATED, gzip ? 16 + MAX_WBITS : MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
        Z_OK);
    size_t cap = deflateBound(&s, (uLong)n) + 64;
    uint8_t *out = kv_malloc(cap);
    s.next_in = (Bytef *)(uintptr_t)src;
    s.avail_in = (uInt)n;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
    *out_n = cap - s.avail_out;
    deflateEnd(&s);
    return out;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Some JSON-like text, then random bytes: the output spans several 16 KiB runs. */
static uint8_t *sample(size_t n)
{
    uint8_t *p = kv_malloc(n);
    static const char text[] = "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"}}}";
    for (size_t i = 0; i < n; i++)
        p[i] = i < n / 2 ? (uint8_t)text[i % (sizeof(text) - 1)] : (uint8_t)next();
    return p;
}

/* Decompress enc split at cut (and at cut2 >= cut); returns the api_inflate_end code. */
static int run_split(api_coding_t c, const uint8_t *enc, size_t n, size_t cut, size_t cut2,
                     kv_buf_t *out)
{
    api_inflate_t *z = api_inflate_new(c);
    assert_non_null(z);
    int rc = api_inflate_feed(z, enc, cut, buf_sink, out);
    if (rc == 0)
        rc = api_inflate_feed(z, enc + cut, cut2 - cut, buf_sink, out);
    if (rc == 0)
        rc = api_inflate_feed(z, enc + cut2, n - cut2, buf_sink, out);
    if (rc == 0)
        rc = api_inflate_end(z);
    assert_int_equal(api_inflate_total(z), out->len);
    api_inflate_free(z);
    return rc;
}

static void every_split(api_coding_t c)
{
    size_t n = 20000, en;
    uint8_t *src = sample(n);
    uint8_t *enc = compress_to(c == API_CODING_GZIP, src, n, &en);
    kv_buf_t out;
    kv_buf_init(&out, 1u << 20);
    for (size_t cut = 0; cut <= en; cut++) {
        kv_buf_reset(&out);
        size_t cut2 = cut + (size_t)(next() % (en - cut + 1));
        assert_int_equal(run_split(c, enc, en, cut, cut2, &out), 0);
        assert_int_equal(out.len, n);
        assert_memory_equal(out.p, src, n);
    }
    /* a byte at a time */
    api_inflate_t *z = api_inflate_new(c);
    kv_buf_reset(&out);
    for (size_t i = 0; i < en; i++)
        assert_int_equal(api_inflate_feed(z, enc + i, 1, buf_sink, &out), 0);
    assert_int_equal(api_inflate_end(z), 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.p, src, n);
    api_inflate_free(z);
    /* every prefix is cut short */
    for (size_t cut = 0; cut < en; cut += 1 + cut / 64) {
        kv_buf_reset(&out);
        assert_int_equal(run_split(c, enc, cut, cut, cut, &out), API_INFLATE_E_DATA);
    }
    kv_buf_dispose(&out);
    kv_free(enc);
    kv_free(src);
}

static void test_gzip_every_split(void **state)
{
    (void)state;
    every_split(API_CODING_GZIP);
}

static void test_deflate_every_split(void **state)
{
    (void)state;
    every_split(API_CODING_DEFLATE);
}

/* Two encoded streams back to back (and junk after one). */
static int concat(api_coding_t c, const char *a, const char *b, const char *junk, kv_buf_t *out)
{
    size_t na, nb;
    uint8_t *ea = compress_to(c == API_CODING_GZIP, (const uint8_t *)a, strlen(a), &na);
    uint8_t *eb = b ? compress_to(c == API_CODING_GZIP, (const uint8_t *)b, strlen(b), &nb) : NULL;
    size_t nj = junk ? strlen(junk) : 0;
    size_t n = na + (b ? nb : 0) + nj;
    uint8_t *all = kv_malloc(n);
    memcpy(all, ea, na);
    if (b)
        memcpy(all + na, eb, nb);
    if (junk)
        memcpy(all + n - nj, junk, nj);
    int rc = 0;
    for (size_t cut = 0; cut <= n && rc == 0; cut++) {
        kv_buf_reset(out);
        rc = run_split(c, all, n, cut, cut, out);
    }
    kv_free(all);
    kv_free(ea);
    kv_free(eb);
    return rc;
}

static void test_members_and_trailing_bytes(void **state)
{
    (void)state;
    kv_buf_t out;
    kv_buf_init(&out, 1u << 20);
    /* gzip: members concatenate (RFC 1952) */
    assert_int_equal(concat(API_CODING_GZIP, "{\"TableNa", "me\":\"t\"}", NULL, &out), 0);
    assert_int_equal(out.len, strlen("{\"TableName\":\"t\"}"));
    assert_memory_equal(out.p, "{\"TableName\":\"t\"}", out.len);
    /* deflate: one zlib stream */
    assert_int_equal(concat(API_CODING_DEFLATE, "{\"a\":", "1}", NULL, &out), API_INFLATE_E_DATA);
    /* junk after the end */
    assert_int_equal(concat(API_CODING_GZIP, "{}", NULL, "junk", &out), API_INFLATE_E_DATA);
    assert_int_equal(concat(API_CODING_GZIP, "{}", NULL, "\x1f", &out), API_INFLATE_E_DATA);
    assert_int_equal(concat(API_CODING_GZIP, "{}", NULL, "\x1f\x8b\x08", &out), API_INFLATE_E_DATA);
    assert_int_equal(concat(API_CODING_DEFLATE, "{}", NULL, "x", &out), API_INFLATE_E_DATA);
    kv_buf_dispose(&out);
}

static void test_corrupt_and_empty(void **state)
{
    (void)state;
    kv_buf_t out;
    kv_buf_init(&out, 1u << 20);
    const char *text = "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"}}}";
    for (int gz = 0; gz < 2; gz++) {
        api_coding_t c = gz ? API_CODING_GZIP : API_CODING_DEFLATE;
        size_t n;
        uint8_t *enc = compress_to(gz, (const uint8_t *)text, strlen(text), &n);
        /* the check value (gzip: CRC-32 then ISIZE; zlib: Adler-32) */
        for (size_t k = 1; k <= 4; k++) {
            enc[n - (gz ? 8 : 0) - k] ^= 0x5a;
            kv_buf_reset(&out);
            assert_int_equal(run_split(c, enc, n, n / 2, n / 2, &out), API_INFLATE_E_DATA);
            enc[n - (gz ? 8 : 0) - k] ^= 0x5a;
        }
        /* the magic / header */
        enc[0] ^= 0xff;
        kv_buf_reset(&out);
        assert_int_equal(run_split(c, enc, n, 1, 1, &out), API_INFLATE_E_DATA);
        enc[0] ^= 0xff;
        /* plain text sent as if encoded */
        kv_buf_reset(&out);
        assert_int_equal(run_split(c, (const uint8_t *)text, strlen(text), 3, 9, &out),
                         API_INFLATE_E_DATA);
        /* every single-byte change either fails or (a header field) decodes the same */
        for (size_t i = 0; i < n; i++) {
            enc[i] ^= 0x01;
            kv_buf_reset(&out);
            int rc = run_split(c, enc, n, i, i, &out);
            if (rc == 0)
                assert_memory_equal(out.p, text, strlen(text));
            else
                assert_int_equal(rc, API_INFLATE_E_DATA);
            enc[i] ^= 0x01;
        }
        /* empty */
        api_inflate_t *z = api_inflate_new(c);
        assert_int_equal(api_inflate_feed(z, (const uint8_t *)"", 0, buf_sink, &out), 0);
        assert_int_equal(api_inflate_end(z), API_INFLATE_E_DATA);
        /* sticky */
        assert_int_equal(api_inflate_feed(z, enc, n, buf_sink, &out), API_INFLATE_E_DATA);
        api_inflate_free(z);
        kv_free(enc);
    }
    kv_buf_dispose(&out);
}

/* 64 MiB of zeros compress to about 64 KiB: the sink's 1 MiB limit stops it at once. */
static void test_bomb_stops_at_the_limit(void **state)
{
    (void)state;
    size_t n = 64u << 20, en;
    uint8_t *zeros = kv_calloc(1, n);
    uint8_t *enc = compress_to(true, zeros, n, &en);
    kv_free(zeros);
    assert_true(en < (256u << 10));
    kv_buf_t out;
    kv_buf_init(&out, 1u << 20);
    api_inflate_t *z = api_inflate_new(API_CODING_GZIP);
    int rc = 0;
    size_t fed = 0;
    while (fed < en && rc == 0) {
        size_t take = en - fed < 4096 ? en - fed : 4096;
        rc = api_inflate_feed(z, enc + fed, take, buf_sink, &out);
        fed += take;
    }
    assert_int_equal(rc, -1);
    assert_true(api_inflate_total(z) <= (1u << 20) + (16u << 10));
    assert_true(out.len <= 1u << 20);
    assert_true(fed < en); /* stopped early, not after reading everything */
    assert_int_equal(api_inflate_feed(z, enc, 10, buf_sink, &out), -1); /* sticky */
    assert_int_equal(api_inflate_end(z), -1);
    api_inflate_free(z);
    kv_buf_dispose(&out);
    kv_free(enc);
}

static void test_coding_names(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        api_coding_t c;
    } cases[] = {
        {"", API_CODING_IDENTITY},
        {"identity", API_CODING_IDENTITY},
        {"gzip", API_CODING_GZIP},
        {" GZip ", API_CODING_GZIP},
        {"x-gzip", API_CODING_GZIP},
        {"deflate", API_CODING_DEFLATE},
        {"DEFLATE", API_CODING_DEFLATE},
        {"br", API_CODING_UNSUPPORTED},
        {"zstd", API_CODING_UNSUPPORTED},
        {"compress", API_CODING_UNSUPPORTED},
        {"gzip, br", API_CODING_UNSUPPORTED},
        {"gzip,gzip", API_CODING_UNSUPPORTED},
        {"gzip;q=1", API_CODING_UNSUPPORTED},
        {"garbage", API_CODING_UNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(api_coding_of(kv_slice_str(cases[i].v)), cases[i].c);
    assert_null(api_inflate_new(API_CODING_IDENTITY));
    assert_null(api_inflate_new(API_CODING_UNSUPPORTED));
    api_inflate_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip_every_split),
        cmocka_unit_test(test_deflate_every_split),
        cmocka_unit_test(test_members_and_trailing_bytes),
        cmocka_unit_test(test_corrupt_and_empty),
        cmocka_unit_test(test_bomb_stops_at_the_limit),
        cmocka_unit_test(test_coding_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
