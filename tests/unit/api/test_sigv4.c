/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SigV4: AWS's published example signatures (the signature test suite's
 * get-vanilla, the S3 GET object, presigned URL and chunked upload examples),
 * canonicalisation details, aws-chunked decoding with every trailer checksum,
 * and the checksum algorithms' check values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/api_cksum.h"
#include "auth/sigv4.h"
#include "auth/sigv4_chunked.h"
#include "base/kv_arena.h"
#include "base/kv_b64.h"
#include "cli.h"

#define AK_S3  "AKIAIOSFODNN7EXAMPLE"
#define SK_S3  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define T_2013 1369353600 /* 20130524T000000Z */

static void sign(const char *secret, const char *date, const char *region, const char *service,
                 const char *method, const char *uri, const char *query, const char *signed_hdrs,
                 const sigv4_hdr_t *h, size_t n, const char *payload, const char *amz, char sig[65])
{
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_t cq, cr, sts;
    kv_buf_init(&cq, 4096);
    kv_buf_init(&cr, 8192);
    kv_buf_init(&sts, 4096);
    assert_true(sigv4_canonical_query(&cq, kv_slice_str(query), a));
    assert_true(sigv4_canonical_request(&cr, kv_slice_str(method), kv_slice_str(uri),
                                        kv_buf_slice(&cq), kv_slice_str(signed_hdrs), h, n,
                                        kv_slice_str(payload)));
    char scope[128];
    snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date, region, service);
    sigv4_string_to_sign(&sts, kv_slice_str(amz), kv_slice_str(scope), kv_buf_slice(&cr));
    uint8_t key[32];
    sigv4_signing_key(kv_slice_str(secret), kv_slice_str(date), kv_slice_str(region),
                      kv_slice_str(service), key);
    sigv4_hmac_hex(key, kv_buf_slice(&sts), sig);
    kv_buf_dispose(&cq);
    kv_buf_dispose(&cr);
    kv_buf_dispose(&sts);
    kv_arena_free(a);
}

static void test_get_vanilla(void **state)
{
    (void)state;
    sigv4_hdr_t h[] = {{KV_SLICE_LIT("Host"), KV_SLICE_LIT("example.amazonaws.com")},
                       {KV_SLICE_LIT("X-Amz-Date"), KV_SLICE_LIT("20150830T123600Z")}};
    char sig[65];
    sign("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "service", "GET", "/",
         "", "host;x-amz-date", h, 2, SIGV4_EMPTY_SHA256, "20150830T123600Z", sig);
    assert_string_equal(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

static void test_s3_get_object_example(void **state)
{
    (void)state;
    sigv4_hdr_t h[] = {
        {KV_SLICE_LIT("Host"), KV_SLICE_LIT("examplebucket.s3.amazonaws.com")},
        {KV_SLICE_LIT("Range"), KV_SLICE_LIT("bytes=0-9")},
        {KV_SLICE_LIT("x-amz-content-sha256"), KV_SLICE_LIT(SIGV4_EMPTY_SHA256)},
        {KV_SLICE_LIT("x-amz-date"), KV_SLICE_LIT("20130524T000000Z")},
    };
    char sig[65];
    sign(SK_S3, "20130524", "us-east-1", "s3", "GET", "/test.txt", "",
         "host;range;x-amz-content-sha256;x-amz-date", h, 4, SIGV4_EMPTY_SHA256, "20130524T000000Z",
         sig);
    assert_string_equal(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void test_presigned_example(void **state)
{
    (void)state;
    cli_creds_t c = {AK_S3, SK_S3, "us-east-1"};
    kv_buf_t out;
    kv_buf_init(&out, 4096);
    assert_int_equal(cli_presign(&c, "GET", "examplebucket.s3.amazonaws.com", "/test.txt", "s3",
                                 86400, T_2013, &out),
                     0);
    kv_buf_append_byte(&out, 0);
    assert_non_null(strstr((char *)out.p, "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995"
                                          "330da4c265957d157751f604d404"));
    /* The server-side parser reads it back. */
    kv_arena_t *a = kv_arena_new(4096);
    const char *q = strchr((char *)out.p, '?') + 1;
    sigv4_auth_t au;
    assert_true(sigv4_is_presigned(kv_slice_str(q)));
    assert_int_equal(sigv4_parse_query(kv_slice_str(q), a, &au), SIGV4_OK);
    assert_true(kv_slice_eq_str(au.access_key, AK_S3));
    assert_true(kv_slice_eq_str(au.service, "s3"));
    assert_true(kv_slice_eq_str(au.expires, "86400"));
    assert_true(kv_slice_eq_str(au.scope, "20130524/us-east-1/s3/aws4_request"));
    kv_arena_free(a);
    kv_buf_dispose(&out);
}

static void test_parse_header(void **state)
{
    (void)state;
    sigv4_auth_t a;
    const char *ok = "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, "
                     "SignedHeaders=host;x-amz-date, Signature="
                     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
    assert_int_equal(sigv4_parse_header(kv_slice_str(ok), &a), SIGV4_OK);
    assert_true(kv_slice_eq_str(a.region, "us-east-1"));
    assert_true(kv_slice_eq_str(a.signed_headers, "host;x-amz-date"));
    /* No spaces after commas is accepted too. */
    const char *tight = "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,"
                        "SignedHeaders=host,Signature="
                        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
    assert_int_equal(sigv4_parse_header(kv_slice_str(tight), &a), SIGV4_OK);
    assert_int_equal(sigv4_parse_header(KV_SLICE_LIT("AWS abc:def"), &a), SIGV4_E_ALGORITHM);
    assert_int_equal(sigv4_parse_header(KV_SLICE_LIT("AWS4-HMAC-SHA256 SignedHeaders=host"), &a),
                     SIGV4_E_CREDENTIAL);
    assert_int_equal(
        sigv4_parse_header(KV_SLICE_LIT("AWS4-HMAC-SHA256 Credential=AK/2013/us/s3/aws4_request, "
                                        "SignedHeaders=host, Signature=00"),
                           &a),
        SIGV4_E_CREDENTIAL);
    assert_int_equal(
        sigv4_parse_header(KV_SLICE_LIT("AWS4-HMAC-SHA256 Credential=AK/20130524/us/s3/"
                                        "aws4_request, Signature=00"),
                           &a),
        SIGV4_E_SIGNED_HDRS);
    assert_int_equal(
        sigv4_parse_header(KV_SLICE_LIT("AWS4-HMAC-SHA256 Credential=AK/20130524/us/s3/"
                                        "aws4_request, SignedHeaders=host, Signature=zz"),
                           &a),
        SIGV4_E_SIGNATURE);
}

static void test_canonical_pieces(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_t b;
    kv_buf_init(&b, 4096);
    assert_true(sigv4_canonical_query(&b, KV_SLICE_LIT("b=2&a=1&a=0&c&X-Amz-Signature=x&"), a));
    kv_buf_append_byte(&b, 0);
    assert_string_equal((char *)b.p, "a=0&a=1&b=2&c=");
    kv_buf_reset(&b);
    assert_true(sigv4_canonical_query(&b, KV_SLICE_LIT("k=a%20b+c&%7e=%7E&x=%2f"), a));
    kv_buf_append_byte(&b, 0);
    assert_string_equal((char *)b.p, "k=a%20b%2Bc&x=%2F&~=~");
    kv_buf_reset(&b);
    assert_false(sigv4_canonical_query(&b, KV_SLICE_LIT("a=%zz"), a));
    kv_buf_reset(&b);
    sigv4_canonical_uri(&b, KV_SLICE_LIT("/a/./b/../c//d%20e"), false);
    kv_buf_append_byte(&b, 0);
    assert_string_equal((char *)b.p, "/a/c/d%2520e");
    kv_buf_reset(&b);
    sigv4_canonical_uri(&b, KV_SLICE_LIT("/a/./b/../c//d%20e"), true);
    kv_buf_append_byte(&b, 0);
    assert_string_equal((char *)b.p, "/a/./b/../c//d%20e");
    kv_buf_reset(&b);
    sigv4_hdr_t h[] = {{KV_SLICE_LIT("My-Header"), KV_SLICE_LIT("  a   b  c ")},
                       {KV_SLICE_LIT("my-header"), KV_SLICE_LIT("d")},
                       {KV_SLICE_LIT("Host"), KV_SLICE_LIT("h")}};
    assert_true(sigv4_canonical_headers(&b, KV_SLICE_LIT("host;my-header"), h, 3));
    kv_buf_append_byte(&b, 0);
    assert_string_equal((char *)b.p, "host:h\nmy-header:a b c,d\n");
    kv_buf_reset(&b);
    assert_false(sigv4_canonical_headers(&b, KV_SLICE_LIT("host;missing"), h, 3));
    kv_buf_dispose(&b);
    kv_arena_free(a);
}

static void test_checksums(void **state)
{
    (void)state;
    assert_int_equal(api_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_true(api_crc64nvme(0, "123456789", 9) == 0xAE8B14860A799888ull);
    static const api_ck_algo_t algos[] = {API_CK_CRC32, API_CK_CRC32C, API_CK_CRC64NVME,
                                          API_CK_SHA1,  API_CK_SHA256, API_CK_MD5};
    static const char *b64[] = {"y/Q5Jg==",
                                "4waSgw==",
                                "rosUhgp5mIg=",
                                "98O8HYCOBHMq32eZZczDTKeuNEE=",
                                "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
                                "JfnnlDI7RTiF9RgfG2JNCw=="};
    for (size_t i = 0; i < 6; i++) {
        api_ck_t c;
        api_ck_init(&c, algos[i]);
        api_ck_update(&c, "1234", 4);
        api_ck_update(&c, "56789", 5);
        uint8_t d[API_CK_MAX];
        size_t n = api_ck_final(&c, d);
        api_ck_dispose(&c);
        kv_buf_t b;
        kv_buf_init(&b, 128);
        kv_b64_encode(&b, d, n);
        kv_buf_append_byte(&b, 0);
        assert_string_equal((char *)b.p, b64[i]);
        kv_buf_dispose(&b);
    }
    assert_int_equal(api_ck_from_header(KV_SLICE_LIT("X-Amz-Checksum-CRC64NVME")),
                     API_CK_CRC64NVME);
    assert_int_equal(api_ck_from_header(KV_SLICE_LIT("x-amz-checksum-md5")), API_CK_NONE);
}

/* ---- aws-chunked ---- */

static int sink(void *arg, const uint8_t *p, size_t n)
{
    kv_buf_append(arg, p, n);
    return 0;
}

static void example_key(uint8_t key[32])
{
    sigv4_signing_key(KV_SLICE_LIT(SK_S3), KV_SLICE_LIT("20130524"), KV_SLICE_LIT("us-east-1"),
                      KV_SLICE_LIT("s3"), key);
}

static void build_example_body(kv_buf_t *b)
{
    static uint8_t a[65536];
    memset(a, 'a', sizeof(a));
    kv_buf_append_str(b, "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0"
                         "ade35a65485a288648\r\n");
    kv_buf_append(b, a, 65536);
    kv_buf_append_str(b, "\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b"
                         "7d234b86a503ef5497\r\n");
    kv_buf_append(b, a, 1024);
    kv_buf_append_str(b, "\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81"
                         "ceb9323e279d449df9\r\n\r\n");
}

static sigv4_ch_err_t decode_example(const kv_buf_t *body, size_t piece, kv_buf_t *out)
{
    uint8_t key[32];
    example_key(key);
    sigv4_chunked_t c;
    sigv4_chunked_init(&c, SIGV4_CH_SIGNED, key, KV_SLICE_LIT("20130524T000000Z"),
                       KV_SLICE_LIT("20130524/us-east-1/s3/aws4_request"),
                       KV_SLICE_LIT("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0"
                                    "a9"),
                       API_CK_NONE, 66560);
    sigv4_ch_err_t e = SIGV4_CH_OK;
    for (size_t i = 0; i < body->len && e == SIGV4_CH_OK; i += piece) {
        size_t n = body->len - i < piece ? body->len - i : piece;
        e = sigv4_chunked_feed(&c, body->p + i, n, sink, out);
    }
    if (e == SIGV4_CH_OK)
        e = sigv4_chunked_finish(&c);
    sigv4_chunked_dispose(&c);
    return e;
}

static void test_chunked_example(void **state)
{
    (void)state;
    /* The seed signature of AWS's example request. */
    sigv4_hdr_t h[] = {
        {KV_SLICE_LIT("content-encoding"), KV_SLICE_LIT("aws-chunked")},
        {KV_SLICE_LIT("content-length"), KV_SLICE_LIT("66824")},
        {KV_SLICE_LIT("host"), KV_SLICE_LIT("s3.amazonaws.com")},
        {KV_SLICE_LIT("x-amz-content-sha256"), KV_SLICE_LIT("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")},
        {KV_SLICE_LIT("x-amz-date"), KV_SLICE_LIT("20130524T000000Z")},
        {KV_SLICE_LIT("x-amz-decoded-content-length"), KV_SLICE_LIT("66560")},
        {KV_SLICE_LIT("x-amz-storage-class"), KV_SLICE_LIT("REDUCED_REDUNDANCY")},
    };
    char sig[65];
    sign(SK_S3, "20130524", "us-east-1", "s3", "PUT", "/examplebucket/chunkObject.txt", "",
         "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
         "x-amz-decoded-content-length;x-amz-storage-class",
         h, 7, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "20130524T000000Z", sig);
    assert_string_equal(sig, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");

    kv_buf_t body, out;
    kv_buf_init(&body, 1 << 20);
    kv_buf_init(&out, 1 << 20);
    build_example_body(&body);
    assert_int_equal(body.len, 66824);
    static const size_t pieces[] = {1, 7, 777, 4096, 66824};
    for (size_t i = 0; i < 5; i++) {
        kv_buf_reset(&out);
        assert_int_equal(decode_example(&body, pieces[i], &out), SIGV4_CH_OK);
        assert_int_equal(out.len, 66560);
        assert_int_equal(out.p[0], 'a');
        assert_int_equal(out.p[66559], 'a');
    }
    /* A changed data byte breaks that chunk's signature. */
    body.p[200] = 'b';
    kv_buf_reset(&out);
    assert_int_equal(decode_example(&body, 4096, &out), SIGV4_CH_E_SIGNATURE);
    body.p[200] = 'a';
    /* A truncated body is incomplete. */
    size_t full = body.len;
    body.len = full - 100;
    kv_buf_reset(&out);
    assert_int_equal(decode_example(&body, 4096, &out), SIGV4_CH_E_INCOMPLETE);
    body.len = full;
    /* Bytes after the end are a format error; a missing final CRLF is tolerated. */
    kv_buf_append_str(&body, "junk");
    assert_int_equal(decode_example(&body, 4096, &out), SIGV4_CH_E_FORMAT);
    body.len = full - 2;
    kv_buf_reset(&out);
    assert_int_equal(decode_example(&body, 4096, &out), SIGV4_CH_OK);
    kv_buf_dispose(&body);
    kv_buf_dispose(&out);
}

static void test_trailer_signature_vector(void **state)
{
    (void)state;
    /* AWS's trailing-header example: previous signature and trailer chunk. */
    uint8_t key[32];
    example_key(key);
    char h[65], sig[65];
    sigv4_sha256_hex(KV_SLICE_LIT("x-amz-checksum-crc32c:wdBDMA==\n"), h);
    sigv4_trailer_signature(key, KV_SLICE_LIT("20130524T000000Z"),
                            KV_SLICE_LIT("20130524/us-east-1/s3/aws4_request"),
                            KV_SLICE_LIT("e05ab64fe1dfdbf0b5870abbaabdb063c371d4e96f2767e6934d9052"
                                         "9c5ae850"),
                            kv_slice(h, 64), sig);
    assert_memory_equal(sig, "41e14ac611e27a8bb3d66c3bad6856f209297767d5dd4", 45);
}

static sigv4_ch_err_t run_trailer(api_ck_algo_t algo, const char *name, const char *value,
                                  const char *data, size_t piece)
{
    kv_buf_t body, out;
    kv_buf_init(&body, 1 << 20);
    kv_buf_init(&out, 1 << 20);
    size_t n = strlen(data);
    size_t half = n / 2;
    kv_buf_printf(&body, "%zx\r\n", half);
    kv_buf_append(&body, data, half);
    kv_buf_printf(&body, "\r\n%zx;ext=1\r\n", n - half);
    kv_buf_append(&body, data + half, n - half);
    kv_buf_printf(&body, "\r\n0\r\n");
    if (name)
        kv_buf_printf(&body, "%s:%s\r\n", name, value);
    kv_buf_append_str(&body, "\r\n");
    sigv4_chunked_t c;
    sigv4_chunked_init(&c, SIGV4_CH_UNSIGNED_TRAILER, NULL, KV_SLICE_NULL, KV_SLICE_NULL,
                       KV_SLICE_NULL, algo, (int64_t)n);
    sigv4_ch_err_t e = SIGV4_CH_OK;
    for (size_t i = 0; i < body.len && e == SIGV4_CH_OK; i += piece)
        e = sigv4_chunked_feed(&c, body.p + i, body.len - i < piece ? body.len - i : piece, sink,
                               &out);
    if (e == SIGV4_CH_OK)
        e = sigv4_chunked_finish(&c);
    if (e == SIGV4_CH_OK)
        assert_memory_equal(out.p, data, n);
    sigv4_chunked_dispose(&c);
    kv_buf_dispose(&body);
    kv_buf_dispose(&out);
    return e;
}

static void test_unsigned_trailers(void **state)
{
    (void)state;
    const char *data = "123456789";
    assert_int_equal(run_trailer(API_CK_CRC32, "x-amz-checksum-crc32", "y/Q5Jg==", data, 3), 0);
    assert_int_equal(run_trailer(API_CK_CRC32C, "x-amz-checksum-crc32c", "4waSgw==", data, 1), 0);
    assert_int_equal(
        run_trailer(API_CK_CRC64NVME, "x-amz-checksum-crc64nvme", "rosUhgp5mIg=", data, 5), 0);
    assert_int_equal(
        run_trailer(API_CK_SHA1, "x-amz-checksum-sha1", "98O8HYCOBHMq32eZZczDTKeuNEE=", data, 64),
        0);
    assert_int_equal(run_trailer(API_CK_SHA256, "x-amz-checksum-sha256",
                                 "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=", data, 2),
                     0);
    assert_int_equal(run_trailer(API_CK_CRC32, "x-amz-checksum-crc32", "AAAAAA==", data, 3),
                     SIGV4_CH_E_CHECKSUM);
    assert_int_equal(run_trailer(API_CK_CRC32, NULL, NULL, data, 3), SIGV4_CH_E_TRAILER);
    assert_int_equal(run_trailer(API_CK_CRC32, "x-amz-checksum-sha1", "x", data, 3),
                     SIGV4_CH_E_TRAILER);
}

static void test_signed_trailer_roundtrip(void **state)
{
    (void)state;
    /* Build a signed-with-trailer body with our own signer functions, then decode it. */
    uint8_t key[32];
    example_key(key);
    kv_slice_t date = KV_SLICE_LIT("20130524T000000Z"),
               scope = KV_SLICE_LIT("20130524/us-east-1/s3/aws4_request");
    char prev[65] = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    kv_buf_t body;
    kv_buf_init(&body, 1 << 20);
    const char *chunks[] = {"hello ", "world", ""};
    for (int i = 0; i < 3; i++) {
        char h[65], sig[65];
        sigv4_sha256_hex(kv_slice_str(chunks[i]), h);
        sigv4_chunk_signature(key, date, scope, kv_slice(prev, 64), kv_slice(h, 64), sig);
        kv_buf_printf(&body, "%zx;chunk-signature=%s\r\n", strlen(chunks[i]), sig);
        if (chunks[i][0])
            kv_buf_printf(&body, "%s\r\n", chunks[i]);
        memcpy(prev, sig, 65);
    }
    api_ck_t ck;
    api_ck_init(&ck, API_CK_CRC32);
    api_ck_update(&ck, "hello world", 11);
    uint8_t d[API_CK_MAX];
    size_t dn = api_ck_final(&ck, d);
    api_ck_dispose(&ck);
    kv_buf_t v;
    kv_buf_init(&v, 64);
    kv_b64_encode(&v, d, dn);
    char trailer[128];
    snprintf(trailer, sizeof(trailer), "x-amz-checksum-crc32:%.*s", (int)v.len, (char *)v.p);
    char th[65], tsig[65];
    char canon[140];
    snprintf(canon, sizeof(canon), "%s\n", trailer);
    sigv4_sha256_hex(kv_slice_str(canon), th);
    sigv4_trailer_signature(key, date, scope, kv_slice(prev, 64), kv_slice(th, 64), tsig);
    kv_buf_printf(&body, "%s\r\nx-amz-trailer-signature:%s\r\n\r\n", trailer, tsig);
    for (int tamper = 0; tamper < 2; tamper++) {
        if (tamper) {
            char *p = strstr((char *)body.p, "x-amz-trailer-signature:") + 24;
            *p = *p == 'a' ? 'b' : 'a';
        }
        sigv4_chunked_t c;
        kv_buf_t out;
        kv_buf_init(&out, 1024);
        sigv4_chunked_init(&c, SIGV4_CH_SIGNED_TRAILER, key, date, scope,
                           KV_SLICE_LIT("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9f"
                                        "a80a0a9"),
                           API_CK_CRC32, 11);
        sigv4_ch_err_t e = sigv4_chunked_feed(&c, body.p, body.len, sink, &out);
        if (e == SIGV4_CH_OK)
            e = sigv4_chunked_finish(&c);
        assert_int_equal(e, tamper ? SIGV4_CH_E_SIGNATURE : SIGV4_CH_OK);
        sigv4_chunked_dispose(&c);
        kv_buf_dispose(&out);
    }
    kv_buf_dispose(&v);
    kv_buf_dispose(&body);
}

static void test_chunked_limits(void **state)
{
    (void)state;
    sigv4_chunked_t c;
    char line[SIGV4_CH_LINE_MAX + 10];
    memset(line, 'a', sizeof(line));
    sigv4_chunked_init(&c, SIGV4_CH_UNSIGNED_TRAILER, NULL, KV_SLICE_NULL, KV_SLICE_NULL,
                       KV_SLICE_NULL, API_CK_CRC32, -1);
    assert_int_equal(sigv4_chunked_feed(&c, (uint8_t *)line, sizeof(line), NULL, NULL),
                     SIGV4_CH_E_FORMAT);
    sigv4_chunked_dispose(&c);
    /* A chunk size of 16+ hex digits is refused rather than overflowing. */
    sigv4_chunked_init(&c, SIGV4_CH_UNSIGNED_TRAILER, NULL, KV_SLICE_NULL, KV_SLICE_NULL,
                       KV_SLICE_NULL, API_CK_CRC32, -1);
    assert_int_equal(
        sigv4_chunked_feed(&c, (const uint8_t *)"ffffffffffffffffff\r\n", 20, NULL, NULL),
        SIGV4_CH_E_FORMAT);
    sigv4_chunked_dispose(&c);
    /* More decoded bytes than announced. */
    sigv4_chunked_init(&c, SIGV4_CH_UNSIGNED_TRAILER, NULL, KV_SLICE_NULL, KV_SLICE_NULL,
                       KV_SLICE_NULL, API_CK_CRC32, 2);
    assert_int_equal(sigv4_chunked_feed(&c, (const uint8_t *)"5\r\nhello\r\n", 10, NULL, NULL),
                     SIGV4_CH_E_INCOMPLETE);
    sigv4_chunked_dispose(&c);
}

/* host and every x-amz-* header must be signed; the names come back lower-cased, once each. */
static void test_unsigned_headers(void **state)
{
    (void)state;
    sigv4_hdr_t h[] = {
        {KV_SLICE_LIT("Host"), KV_SLICE_LIT("b.example")},
        {KV_SLICE_LIT("X-Amz-Date"), KV_SLICE_LIT("20130524T000000Z")},
        {KV_SLICE_LIT("x-amz-content-sha256"), KV_SLICE_LIT("UNSIGNED-PAYLOAD")},
        {KV_SLICE_LIT("X-Amz-Copy-Source"), KV_SLICE_LIT("/other/secret")},
        {KV_SLICE_LIT("x-amz-meta-a"), KV_SLICE_LIT("1")},
        {KV_SLICE_LIT("x-amz-meta-a"), KV_SLICE_LIT("2")},
        {KV_SLICE_LIT("X-Amzn-Trace-Id"), KV_SLICE_LIT("Root=1")},
        {KV_SLICE_LIT("Content-Type"), KV_SLICE_LIT("text/plain")},
        {KV_SLICE_LIT("User-Agent"), KV_SLICE_LIT("ua")},
    };
    size_t n = sizeof(h) / sizeof(h[0]);
    kv_slice_t all = KV_SLICE_LIT("host;x-amz-content-sha256;x-amz-copy-source;x-amz-date;"
                                  "x-amz-meta-a");
    assert_true(sigv4_is_signed(all, KV_SLICE_LIT("X-AMZ-DATE")));
    assert_true(sigv4_is_signed(all, KV_SLICE_LIT("x-amz-meta-a")));
    assert_false(sigv4_is_signed(all, KV_SLICE_LIT("x-amz-meta")));
    assert_false(sigv4_is_signed(all, KV_SLICE_LIT("x-amz-meta-ab")));
    assert_false(sigv4_is_signed(KV_SLICE_LIT("host;;x"), KV_SLICE_LIT("")));
    assert_int_equal(sigv4_unsigned_headers(all, h, n, NULL, NULL), 0);

    kv_buf_t out;
    kv_buf_init(&out, 4096);
    kv_slice_t few = KV_SLICE_LIT("host;x-amz-content-sha256;x-amz-date");
    assert_int_equal(sigv4_unsigned_headers(few, h, n, NULL, &out), 2);
    kv_buf_append_byte(&out, 0);
    assert_string_equal((char *)out.p, "x-amz-copy-source, x-amz-meta-a");

    /* host is required even when it is not sent; skip exempts one header. */
    kv_buf_reset(&out);
    assert_int_equal(
        sigv4_unsigned_headers(KV_SLICE_LIT("x-amz-date"), h, n, "x-amz-content-sha256", &out), 3);
    kv_buf_append_byte(&out, 0);
    assert_string_equal((char *)out.p, "host, x-amz-copy-source, x-amz-meta-a");
    kv_buf_reset(&out);
    assert_int_equal(sigv4_unsigned_headers(KV_SLICE_LIT("x-amz-date"), NULL, 0, NULL, &out), 1);
    kv_buf_append_byte(&out, 0);
    assert_string_equal((char *)out.p, "host");
    kv_buf_dispose(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_vanilla),       cmocka_unit_test(test_s3_get_object_example),
        cmocka_unit_test(test_presigned_example), cmocka_unit_test(test_parse_header),
        cmocka_unit_test(test_canonical_pieces),  cmocka_unit_test(test_checksums),
        cmocka_unit_test(test_chunked_example),   cmocka_unit_test(test_trailer_signature_vector),
        cmocka_unit_test(test_unsigned_trailers), cmocka_unit_test(test_signed_trailer_roundtrip),
        cmocka_unit_test(test_chunked_limits),    cmocka_unit_test(test_unsigned_headers),
    };
    return cmocka_run_group_tests_name("sigv4", tests, NULL, NULL);
}
