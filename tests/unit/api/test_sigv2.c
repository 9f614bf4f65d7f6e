/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SigV2 for S3 (issue 15, package V): the worked examples of AWS's "Signing and authenticating
 * REST requests" (object GET and PUT, list, ACL fetch, delete with x-amz-date, upload with
 * folded and repeated x-amz-meta-* headers on a CNAME bucket, list all buckets, Unicode keys,
 * query string authentication) with its example keys, sub-resource selection and order,
 * virtual-hosted against path-style, and the parsers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/sigv2.h"
#include "base/kv_arena.h"

#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

#define H(n, v)                          \
    {                                    \
        KV_SLICE_LIT(n), KV_SLICE_LIT(v) \
    }

/* The string to sign of a request (vhost: the bucket a virtual host names, or NULL), checked
 * against want, and its signature against sig (NULL: not checked). */
static void check(const char *method, const char *vhost, const char *path, const char *query,
                  const sigv4_hdr_t *h, size_t n, const char *expires, const char *want,
                  const char *sig)
{
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_t sts;
    kv_buf_init(&sts, 1 << 16);
    sigv2_req_t r = {
        .method = kv_slice_str(method),
        .raw_path = kv_slice_str(path),
        .raw_query = kv_slice_str(query),
        .hdrs = h,
        .n_hdrs = n,
        .vhost_bucket = vhost ? kv_slice_str(vhost) : KV_SLICE_NULL,
        .query_auth = expires != NULL,
        .expires = expires ? kv_slice_str(expires) : KV_SLICE_NULL,
    };
    assert_true(sigv2_string_to_sign(&sts, &r, a));
    kv_buf_append_byte(&sts, 0);
    assert_string_equal((char *)sts.p, want);
    if (sig) {
        char got[SIGV2_SIG_LEN + 1];
        sigv2_sign(KV_SLICE_LIT(SK), kv_slice(sts.p, sts.len - 1), got);
        assert_string_equal(got, sig);
        assert_true(
            sigv2_verify(KV_SLICE_LIT(SK), kv_slice(sts.p, sts.len - 1), kv_slice_str(sig)));
        assert_false(sigv2_verify(KV_SLICE_LIT("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEz"),
                                  kv_slice(sts.p, sts.len - 1), kv_slice_str(sig)));
    }
    kv_buf_dispose(&sts);
    kv_arena_free(a);
}

static void test_object_get(void **state)
{
    (void)state;
    sigv4_hdr_t h[] = {H("Host", "johnsmith.s3.amazonaws.com"),
                       H("Date", "Tue, 27 Mar 2007 19:36:42 +0000")};
    check("GET", "johnsmith", "/photos/puppy.jpg", "", h, 2, NULL,
          "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
          "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
    /* The same request path-style names the bucket in its path: the same string. */
    sigv4_hdr_t p[] = {H("Host", "s3.amazonaws.com"), H("Date", "Tue, 27 Mar 2007 19:36:42 +0000")};
    check("GET", NULL, "/johnsmith/photos/puppy.jpg", "", p, 2, NULL,
          "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
          "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
}

static void test_object_put(void **state)
{
    (void)state;
    sigv4_hdr_t h[] = {H("Content-Type", "image/jpeg"), H("Content-Length", "94328"),
                       H("Host", "johnsmith.s3.amazonaws.com"),
                       H("Date", "Tue, 27 Mar 2007 21:15:45 +0000")};
    check("PUT", "johnsmith", "/photos/puppy.jpg", "", h, 4, NULL,
          "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
          "MyyxeRY7whkBe+bq8fHCL/2kKUg=");
}

static void test_list(void **state)
{
    (void)state;
    /* prefix, max-keys and marker are not sub-resources. */
    sigv4_hdr_t h[] = {H("User-Agent", "Mozilla/5.0"), H("Host", "johnsmith.s3.amazonaws.com"),
                       H("Date", "Tue, 27 Mar 2007 19:42:41 +0000")};
    check("GET", "johnsmith", "/", "prefix=photos&max-keys=50&marker=puppy", h, 3, NULL,
          "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/", "htDYFYduRNen8P9ZfE/s9SuKy0U=");
}

static void test_fetch_acl(void **state)
{
    (void)state;
    sigv4_hdr_t h[] = {H("Host", "johnsmith.s3.amazonaws.com"),
                       H("Date", "Tue, 27 Mar 2007 19:44:46 +0000")};
    check("GET", "johnsmith", "/", "acl", h, 2, NULL,
          "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
          "c2WLPFtWHVgbEmeEG93a4cG37dM=");
}

static void test_delete_amz_date(void **state)
{
    (void)state;
    /* With x-amz-date the Date line is empty and x-amz-date is signed as a header. */
    sigv4_hdr_t h[] = {H("User-Agent", "dotnet"), H("Host", "s3.amazonaws.com"),
                       H("Date", "Tue, 27 Mar 2007 21:20:27 +0000"),
                       H("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000")};
    check("DELETE", NULL, "/johnsmith/photos/puppy.jpg", "", h, 4, NULL,
          "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg",
          "R4dJ53KECjStyBO5iTBJZ4XVOaI=");
}

static void test_upload(void **state)
{
    (void)state;
    /* A CNAME bucket, names in any case, a repeated header joined with commas, a value with
     * surrounding spaces; Content-Disposition and Content-Encoding are not signed. */
    sigv4_hdr_t h[] = {
        H("User-Agent", "curl/7.15.5"),
        H("Host", "static.johnsmith.net:8080"),
        H("Date", "Tue, 27 Mar 2007 21:06:08 +0000"),
        H("x-amz-acl", "public-read"),
        H("content-type", "application/x-download"),
        H("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
        H("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"),
        H("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
        H("X-Amz-Meta-FileChecksum", "0x02661779"),
        H("X-Amz-Meta-ChecksumAlgorithm", "  crc32 "),
        H("Content-Disposition", "attachment; filename=database.dat"),
        H("Content-Encoding", "gzip"),
        H("Content-Length", "5913339"),
    };
    check("PUT", "static.johnsmith.net", "/db-backup.dat.gz", "", h, 13, NULL,
          "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
          "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\n"
          "x-amz-meta-filechecksum:0x02661779\n"
          "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
          "/static.johnsmith.net/db-backup.dat.gz",
          "ilyl83RwaSoYIEdixDQcA4OnAnc=");
}

static void test_list_buckets_and_unicode(void **state)
{
    (void)state;
    sigv4_hdr_t h[] = {H("Host", "s3.amazonaws.com"), H("Date", "Wed, 28 Mar 2007 01:29:59 +0000")};
    check("GET", NULL, "/", "", h, 2, NULL, "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
          "qGdzdERIC03wnaRNKh6OqZehG9s=");
    /* The path is signed as sent: its escapes are not normalised. */
    sigv4_hdr_t u[] = {H("Host", "s3.amazonaws.com"), H("Date", "Wed, 28 Mar 2007 01:49:49 +0000")};
    check("GET", NULL, "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", "", u, 2, NULL,
          "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
          "DNEZGsoieTZ92F3bUfSPQcbGmlM=");
}

static void test_query_auth(void **state)
{
    (void)state;
    const char *q = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature="
                    "NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D";
    sigv4_hdr_t h[] = {H("Host", "johnsmith.s3.amazonaws.com")};
    check("GET", "johnsmith", "/photos/puppy.jpg", q, h, 1, "1175139620",
          "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg", "NpgCjnDzrM+WFzoENXmpNDUsSn8=");
    kv_arena_t *a = kv_arena_new(1024);
    sigv2_auth_t au;
    assert_true(sigv2_is_query(kv_slice_str(q)));
    assert_int_equal(sigv2_parse_query(kv_slice_str(q), a, &au), SIGV2_OK);
    assert_true(kv_slice_eq_str(au.access_key, "AKIAIOSFODNN7EXAMPLE"));
    assert_true(kv_slice_eq_str(au.signature, "NpgCjnDzrM+WFzoENXmpNDUsSn8="));
    assert_true(kv_slice_eq_str(au.expires, "1175139620"));
    assert_true(au.query && au.token.len == 0);
    /* All three are required. */
    assert_int_equal(sigv2_parse_query(KV_SLICE_LIT("AWSAccessKeyId=A&Signature=s"), a, &au),
                     SIGV2_E_QUERY);
    assert_int_equal(sigv2_parse_query(KV_SLICE_LIT("Expires=1&Signature=s"), a, &au),
                     SIGV2_E_QUERY);
    assert_false(sigv2_is_query(KV_SLICE_LIT("Expires=1&prefix=a")));
    /* A session token travels as a parameter, and x-amz-* parameters are signed as headers;
     * the Date header of a presigned request is not. */
    const char *tq = "AWSAccessKeyId=ASIA&Expires=1175139620&Signature=x&x-amz-security-token="
                     "tok%2Ben&X-Amz-Acl=public-read";
    assert_int_equal(sigv2_parse_query(kv_slice_str(tq), a, &au), SIGV2_OK);
    assert_true(kv_slice_eq_str(au.token, "tok+en"));
    sigv4_hdr_t d[] = {H("Date", "Tue, 27 Mar 2007 19:36:42 +0000")};
    check("PUT", NULL, "/b/k", tq, d, 1, "1175139620",
          "PUT\n\n\n1175139620\nx-amz-acl:public-read\nx-amz-security-token:tok+en\n/b/k", NULL);
    kv_arena_free(a);
}

static void test_subresources(void **state)
{
    (void)state;
    sigv4_hdr_t h[] = {H("Date", "Tue, 27 Mar 2007 19:36:42 +0000")};
    /* Sorted by name, values decoded, other parameters left out, "k" and "k=" kept apart. */
    check(
        "GET", NULL, "/b/k",
        "versionId=3%2F4&response-content-type=text%2Fplain&prefix=x&acl&uploadId=&x-id=GetObject",
        h, 1, NULL,
        "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n"
        "/b/k?acl&response-content-type=text/plain&uploadId=&versionId=3/4",
        NULL);
    /* Names are case-sensitive: "ACL" is not a sub-resource. */
    check("GET", NULL, "/b", "ACL&tagging&publicAccessBlock&object-lock", h, 1, NULL,
          "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/b?object-lock&publicAccessBlock&tagging",
          NULL);
    /* A virtual-hosted bucket root (an empty path is "/"). */
    check("GET", "bucket", "", "versioning", h, 1, NULL,
          "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/bucket/?versioning", NULL);
    check("GET", "bucket", "/", "location", h, 1, NULL,
          "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/bucket/?location", NULL);
    const char *list[] = {"acl",
                          "cors",
                          "delete",
                          "lifecycle",
                          "location",
                          "logging",
                          "notification",
                          "partNumber",
                          "policy",
                          "policyStatus",
                          "restore",
                          "tagging",
                          "torrent",
                          "uploadId",
                          "uploads",
                          "versionId",
                          "versioning",
                          "versions",
                          "website",
                          "retention",
                          "legal-hold",
                          "ownershipControls",
                          "response-expires",
                          "requestPayment"};
    for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
        assert_true(sigv2_is_subresource(kv_slice_str(list[i])));
    assert_false(sigv2_is_subresource(KV_SLICE_LIT("prefix")));
    assert_false(sigv2_is_subresource(KV_SLICE_LIT("acls")));
    assert_false(sigv2_is_subresource(KV_SLICE_LIT("")));
}

static void test_amz_headers(void **state)
{
    (void)state;
    /* Folded lines unfold into one space; values are trimmed; names sort after lower-casing. */
    sigv4_hdr_t h[] = {H("X-AMZ-Meta-B", " two\r\n   lines "),
                       H("x-amz-meta-a", "1"),
                       H("x-amz-meta-A", "2"),
                       H("X-Amz-Date", "Tue, 27 Mar 2007 19:36:42 GMT"),
                       H("Date", "ignored"),
                       H("x-amz-", "not a name")};
    check("POST", NULL, "/b", "delete", h, 6, NULL,
          "POST\n\n\n\nx-amz-date:Tue, 27 Mar 2007 19:36:42 GMT\nx-amz-meta-a:1,2\n"
          "x-amz-meta-b:two lines\n/b?delete",
          NULL);
}

static void test_parse_header(void **state)
{
    (void)state;
    sigv2_auth_t a;
    assert_true(sigv2_is_header(KV_SLICE_LIT("AWS AKIAIOSFODNN7EXAMPLE:sig=")));
    assert_false(sigv2_is_header(KV_SLICE_LIT("AWS4-HMAC-SHA256 Credential=x")));
    assert_int_equal(sigv2_parse_header(KV_SLICE_LIT("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//"
                                                     "yllqDzg="),
                                        &a),
                     SIGV2_OK);
    assert_true(kv_slice_eq_str(a.access_key, "AKIAIOSFODNN7EXAMPLE"));
    assert_true(kv_slice_eq_str(a.signature, "frJIUN8DYpKDtOLCwo//yllqDzg="));
    assert_false(a.query);
    assert_int_equal(sigv2_parse_header(KV_SLICE_LIT("AWS AKIAIOSFODNN7EXAMPLE"), &a),
                     SIGV2_E_HEADER);
    assert_int_equal(sigv2_parse_header(KV_SLICE_LIT("AWS :sig"), &a), SIGV2_E_HEADER);
    assert_int_equal(sigv2_parse_header(KV_SLICE_LIT("AWS key:"), &a), SIGV2_E_HEADER);
    assert_int_equal(sigv2_parse_header(KV_SLICE_LIT("AWS "), &a), SIGV2_E_HEADER);
}

static void test_dates(void **state)
{
    (void)state;
    time_t t;
    assert_true(sigv2_parse_date(KV_SLICE_LIT("Tue, 27 Mar 2007 19:36:42 +0000"), &t));
    assert_int_equal((int64_t)t, 1175024202);
    assert_true(sigv2_parse_date(KV_SLICE_LIT("Tue, 27 Mar 2007 19:36:42 GMT"), &t));
    assert_int_equal((int64_t)t, 1175024202);
    assert_true(sigv2_parse_date(KV_SLICE_LIT("27 Mar 2007 21:36:42 +0200"), &t));
    assert_int_equal((int64_t)t, 1175024202);
    assert_true(sigv2_parse_date(KV_SLICE_LIT("Tue, 7 Mar 2007 19:36:42 UTC"), &t));
    assert_int_equal((int64_t)t, 1173296202);
    assert_true(sigv2_parse_date(KV_SLICE_LIT("20070327T193642Z"), &t));
    assert_int_equal((int64_t)t, 1175024202);
    assert_false(sigv2_parse_date(KV_SLICE_LIT("Tue, 27 Mar 2007 19:36:42"), &t));
    assert_false(sigv2_parse_date(KV_SLICE_LIT("Tue, 27 Foo 2007 19:36:42 GMT"), &t));
    assert_false(sigv2_parse_date(KV_SLICE_LIT("Tue, 27 Mar 2007 25:36:42 GMT"), &t));
    assert_false(sigv2_parse_date(KV_SLICE_LIT("Tue, 27 Mar 2007 19:36:42 +9999"), &t));
    assert_false(sigv2_parse_date(KV_SLICE_LIT(""), &t));
}

static void test_sts_bytes(void **state)
{
    (void)state;
    kv_buf_t b;
    kv_buf_init(&b, 64);
    sigv2_sts_bytes(&b, KV_SLICE_LIT("GET\n/"));
    kv_buf_append_byte(&b, 0);
    assert_string_equal((char *)b.p, "47 45 54 0a 2f");
    kv_buf_dispose(&b);
}

static void test_limits(void **state)
{
    (void)state;
    /* More sub-resources than the bound: refused, not allocated. */
    kv_buf_t q;
    kv_buf_init(&q, 1 << 20);
    for (int i = 0; i <= SIGV2_MAX_SUBRES; i++)
        kv_buf_append_str(&q, "acl&");
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_t sts;
    kv_buf_init(&sts, 1 << 20);
    sigv2_req_t r = {.method = KV_SLICE_LIT("GET"),
                     .raw_path = KV_SLICE_LIT("/b"),
                     .raw_query = kv_buf_slice(&q)};
    assert_false(sigv2_string_to_sign(&sts, &r, a));
    kv_buf_dispose(&sts);
    kv_buf_dispose(&q);
    kv_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_get),
        cmocka_unit_test(test_object_put),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_fetch_acl),
        cmocka_unit_test(test_delete_amz_date),
        cmocka_unit_test(test_upload),
        cmocka_unit_test(test_list_buckets_and_unicode),
        cmocka_unit_test(test_query_auth),
        cmocka_unit_test(test_subresources),
        cmocka_unit_test(test_amz_headers),
        cmocka_unit_test(test_parse_header),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_sts_bytes),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests_name("sigv2", tests, NULL, NULL);
}
