/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16, package R: the configuration ids, each kind's validation and canonical form, the
 * stored document's encoding (and its corruption checks), RFC 2047 metadata, Content-Encoding
 * as sent, the engine's conditional delete and compare-and-set of a bucket document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "s3/s3_int.h"

static bool contains(const kv_buf_t *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= b->len; i++)
        if (memcmp(b->p + i, s, n) == 0)
            return true;
    return false;
}

/* ---- ids ---- */

static void test_ids(void **state)
{
    (void)state;
    assert_true(s3_cfg_id_valid(kv_slice_str("a")));
    assert_true(s3_cfg_id_valid(kv_slice_str("Report_2026.v-1")));
    char id[66];
    memset(id, 'x', sizeof(id));
    assert_true(s3_cfg_id_valid(kv_slice(id, 64)));
    assert_false(s3_cfg_id_valid(kv_slice(id, 65)));
    assert_false(s3_cfg_id_valid(kv_slice_str("")));
    assert_false(s3_cfg_id_valid(kv_slice_str("with space")));
    assert_false(s3_cfg_id_valid(kv_slice_str("sl/ash")));
    assert_false(s3_cfg_id_valid(kv_slice_str("caf\xc3\xa9")));
}

/* ---- validation ---- */

static api_err_t check(s3_cfg_kind_t k, const char *id, const char *doc, kv_buf_t *out,
                       const char **msg)
{
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_reset(out);
    api_err_t e = s3_cfg_validate(a, k, kv_slice_str(id), kv_slice_str(doc), out, msg);
    kv_arena_free(a);
    return e;
}

#define TIER(days, tier)                                                                      \
    "<IntelligentTieringConfiguration><Id>t</Id><Status>Enabled</Status><Tiering><Days>" days \
    "</Days><AccessTier>" tier "</AccessTier></Tiering></IntelligentTieringConfiguration>"

static void test_tiering(void **state)
{
    (void)state;
    kv_buf_t b;
    kv_buf_init(&b, 1 << 20);
    const char *msg;
    assert_int_equal(check(S3_CFG_TIERING, "t", TIER("90", "ARCHIVE_ACCESS"), &b, &msg),
                     API_E_NONE);
    assert_memory_equal(b.p,
                        "<Id>t</Id><Status>Enabled</Status><Tiering><Days>90</Days><AccessTier>"
                        "ARCHIVE_ACCESS</AccessTier></Tiering>",
                        b.len);
    assert_int_equal(check(S3_CFG_TIERING, "t", TIER("730", "ARCHIVE_ACCESS"), &b, &msg),
                     API_E_NONE);
    assert_int_equal(check(S3_CFG_TIERING, "t", TIER("180", "DEEP_ARCHIVE_ACCESS"), &b, &msg),
                     API_E_NONE);
    assert_int_equal(check(S3_CFG_TIERING, "t", TIER("89", "ARCHIVE_ACCESS"), &b, &msg),
                     API_E_S3_INVALID_ARGUMENT);
    assert_non_null(msg);
    assert_int_equal(check(S3_CFG_TIERING, "t", TIER("731", "ARCHIVE_ACCESS"), &b, &msg),
                     API_E_S3_INVALID_ARGUMENT);
    assert_int_equal(check(S3_CFG_TIERING, "t", TIER("179", "DEEP_ARCHIVE_ACCESS"), &b, &msg),
                     API_E_S3_INVALID_ARGUMENT);
    assert_int_equal(check(S3_CFG_TIERING, "t", TIER("-1", "ARCHIVE_ACCESS"), &b, &msg),
                     API_E_S3_MALFORMED_XML);
    assert_int_equal(check(S3_CFG_TIERING, "t", TIER("100", "GLACIER"), &b, &msg),
                     API_E_S3_MALFORMED_XML);
    assert_int_equal(check(S3_CFG_TIERING, "other", TIER("100", "ARCHIVE_ACCESS"), &b, &msg),
                     API_E_S3_MALFORMED_XML);
    /* a filter names one thing */
    assert_int_equal(
        check(S3_CFG_TIERING, "t",
              "<IntelligentTieringConfiguration><Id>t</Id><Filter><Prefix>a</Prefix>"
              "<Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status>"
              "<Tiering><Days>90</Days><AccessTier>ARCHIVE_ACCESS</AccessTier>"
              "</Tiering></IntelligentTieringConfiguration>",
              &b, &msg),
        API_E_S3_MALFORMED_XML);
    assert_int_equal(check(S3_CFG_TIERING, "t",
                           "<IntelligentTieringConfiguration><Id>t</Id><Filter><And><Prefix>a</"
                           "Prefix><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>k2</Key><Value>"
                           "v</Value></Tag></And></Filter><Status>Enabled</Status>"
                           "<Tiering><Days>90</Days><AccessTier>ARCHIVE_ACCESS</AccessTier>"
                           "</Tiering></IntelligentTieringConfiguration>",
                           &b, &msg),
                     API_E_NONE);
    /* no Tiering, two of one tier, unknown elements, not XML */
    assert_int_equal(check(S3_CFG_TIERING, "t",
                           "<IntelligentTieringConfiguration><Id>t</Id><Status>Enabled</Status>"
                           "</IntelligentTieringConfiguration>",
                           &b, &msg),
                     API_E_S3_MALFORMED_XML);
    assert_int_equal(
        check(S3_CFG_TIERING, "t",
              "<IntelligentTieringConfiguration><Id>t</Id><Status>Enabled</Status>"
              "<Tiering><Days>90</Days><AccessTier>ARCHIVE_ACCESS</AccessTier></Tiering>"
              "<Tiering><Days>95</Days><AccessTier>ARCHIVE_ACCESS</AccessTier></Tiering>"
              "</IntelligentTieringConfiguration>",
              &b, &msg),
        API_E_S3_INVALID_ARGUMENT);
    assert_int_equal(check(S3_CFG_TIERING, "t",
                           "<IntelligentTieringConfiguration><Id>t</Id><Status>Enabled</Status>"
                           "<Colour>red</Colour></IntelligentTieringConfiguration>",
                           &b, &msg),
                     API_E_S3_MALFORMED_XML);
    assert_int_equal(check(S3_CFG_TIERING, "t", "not xml", &b, &msg), API_E_S3_MALFORMED_XML);
    assert_int_equal(check(S3_CFG_TIERING, "t", TIER("90", "ARCHIVE_ACCESS") "x", &b, &msg),
                     API_E_S3_MALFORMED_XML);
    assert_int_equal(check(S3_CFG_INVENTORY, "t", TIER("90", "ARCHIVE_ACCESS"), &b, &msg),
                     API_E_S3_MALFORMED_XML);
    kv_buf_dispose(&b);
}

#define INV(id, arn, fmt)                                                                       \
    "<InventoryConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Id>" id "</Id>" \
    "<IsEnabled>true</IsEnabled><Destination><S3BucketDestination><Bucket>" arn "</Bucket>"     \
    "<Format>" fmt "</Format><Encryption><SSE-KMS><KeyId>k</KeyId></SSE-KMS></Encryption>"      \
    "</S3BucketDestination></Destination><IncludedObjectVersions>All</IncludedObjectVersions>"  \
    "<Schedule><Frequency>Daily</Frequency></Schedule><OptionalFields><Field>Size</Field>"      \
    "<Field>ETag</Field></OptionalFields></InventoryConfiguration>"

static void test_inventory_analytics_metrics(void **state)
{
    (void)state;
    kv_buf_t b;
    kv_buf_init(&b, 1 << 20);
    const char *msg;
    assert_int_equal(check(S3_CFG_INVENTORY, "i", INV("i", "arn:aws:s3:::dest", "ORC"), &b, &msg),
                     API_E_NONE);
    assert_false(contains(&b, "xmlns")); /* the canonical form has no attributes */
    assert_int_equal(check(S3_CFG_INVENTORY, "i", INV("i", "arn:aws:s3:::dest", "JSON"), &b, &msg),
                     API_E_S3_MALFORMED_XML);
    assert_int_equal(check(S3_CFG_INVENTORY, "i", INV("i", "dest", "CSV"), &b, &msg),
                     API_E_S3_INVALID_DESTINATION_BUCKET);
    assert_int_equal(check(S3_CFG_INVENTORY, "i", INV("i", "arn:aws:s3:::a", "CSV"), &b, &msg),
                     API_E_S3_INVALID_DESTINATION_BUCKET);
    assert_int_equal(check(S3_CFG_INVENTORY, "j", INV("i", "arn:aws:s3:::dest", "CSV"), &b, &msg),
                     API_E_S3_ID_MISMATCH);

    assert_int_equal(check(S3_CFG_ANALYTICS, "a",
                           "<AnalyticsConfiguration><Id>a</Id><StorageClassAnalysis/>"
                           "</AnalyticsConfiguration>",
                           &b, &msg),
                     API_E_NONE);
    assert_int_equal(check(S3_CFG_ANALYTICS, "a",
                           "<AnalyticsConfiguration><Id>a</Id></AnalyticsConfiguration>", &b, &msg),
                     API_E_S3_MALFORMED_XML);
    assert_int_equal(check(S3_CFG_ANALYTICS, "a",
                           "<AnalyticsConfiguration><Id>a</Id><StorageClassAnalysis><DataExport>"
                           "<OutputSchemaVersion>V_1</OutputSchemaVersion><Destination>"
                           "<S3BucketDestination><Format>CSV</Format><Bucket>nope</Bucket>"
                           "</S3BucketDestination></Destination></DataExport>"
                           "</StorageClassAnalysis></AnalyticsConfiguration>",
                           &b, &msg),
                     API_E_S3_INVALID_DESTINATION_BUCKET);

    assert_int_equal(check(S3_CFG_METRICS, "m",
                           "<MetricsConfiguration><Id>m</Id><Filter><AccessPointArn>arn</"
                           "AccessPointArn></Filter></MetricsConfiguration>",
                           &b, &msg),
                     API_E_NONE);
    assert_int_equal(
        check(S3_CFG_METRICS, "m",
              "<MetricsConfiguration><Id>m</Id><Filter></Filter></MetricsConfiguration>", &b, &msg),
        API_E_S3_MALFORMED_XML);
    assert_int_equal(check(S3_CFG_METRICS, "m",
                           "<MetricsConfiguration><Id>m</Id><Filter><And/></Filter>"
                           "</MetricsConfiguration>",
                           &b, &msg),
                     API_E_S3_MALFORMED_XML);
    /* free text is kept exactly, escaped */
    assert_int_equal(check(S3_CFG_METRICS, "m",
                           "<MetricsConfiguration><Id>m</Id><Filter><Prefix> a&amp;b </Prefix>"
                           "</Filter></MetricsConfiguration>",
                           &b, &msg),
                     API_E_NONE);
    assert_true(contains(&b, "<Prefix> a&amp;b </Prefix>"));
    assert_int_equal(check(S3_CFG_N_KINDS, "m", "<MetricsConfiguration/>", &b, &msg),
                     API_E_S3_MALFORMED_XML);
    /* a configuration over 64 KiB is refused, whatever its kind */
    kv_buf_t big;
    kv_buf_init(&big, 1 << 20);
    kv_buf_append_str(&big, "<MetricsConfiguration><Id>m</Id><Filter><Prefix>");
    for (int i = 0; i < 70 * 1024; i++)
        kv_buf_append_byte(&big, 'p');
    kv_buf_append_str(&big, "</Prefix></Filter></MetricsConfiguration>");
    kv_buf_append_byte(&big, 0);
    assert_int_equal(check(S3_CFG_METRICS, "m", (const char *)big.p, &b, &msg),
                     API_E_S3_INVALID_REQUEST);
    assert_non_null(msg);
    kv_buf_dispose(&big);
    kv_buf_dispose(&b);
}

/* ---- the stored document ---- */

static void test_encoding(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    s3_cfg_entry_t in[3] = {{kv_slice_str("a"), kv_slice_str("<Id>a</Id>")},
                            {kv_slice_str("b"), KV_SLICE_NULL},
                            {kv_slice_str("c.d"), kv_slice_str("<Id>c.d</Id>")}};
    kv_buf_t b;
    kv_buf_init(&b, 1 << 20);
    s3_cfg_encode(&b, in, 3);
    s3_cfg_entry_t *out;
    size_t n;
    assert_int_equal(s3_cfg_decode(a, kv_buf_slice(&b), &out, &n), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_true(kv_slice_eq(out[i].id, in[i].id));
        assert_true(kv_slice_eq(out[i].xml, in[i].xml));
    }
    /* every truncation is refused, and nothing reads past the end */
    for (size_t cut = 1; cut < b.len; cut++) {
        int rc = s3_cfg_decode(a, kv_slice(b.p, cut), &out, &n);
        if (rc == 0) /* a cut exactly between entries is a shorter document */
            assert_true(n < 3);
    }
    assert_int_equal(s3_cfg_decode(a, KV_SLICE_NULL, &out, &n), 0);
    assert_int_equal(n, 0);
    /* out of order: corrupt */
    s3_cfg_entry_t rev[2] = {in[2], in[0]};
    kv_buf_reset(&b);
    s3_cfg_encode(&b, rev, 2);
    assert_int_equal(s3_cfg_decode(a, kv_buf_slice(&b), &out, &n), -1);
    /* a zero-length id: corrupt */
    const uint8_t zero[] = {0, 0, 0, 0, 0};
    assert_int_equal(s3_cfg_decode(a, kv_slice(zero, sizeof(zero)), &out, &n), -1);
    kv_buf_dispose(&b);
    kv_arena_free(a);
}

/* ---- metadata and Content-Encoding ---- */

static void test_meta_out(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    assert_string_equal(s3_meta_out(a, "plain"), "plain");
    assert_string_equal(s3_meta_out(a, "=?UTF-8?B?w6k=?="), "=?UTF-8?B?w6k=?=");
    assert_string_equal(s3_meta_out(a, "caf\xc3\xa9"), "=?UTF-8?B?Y2Fmw6k=?=");
    assert_string_equal(s3_meta_out(a, "caf\xe9"), "=?UTF-8?B?Y2Fmw6k=?="); /* ISO-8859-1 */
    assert_string_equal(s3_meta_out(a, "\xe2\x9c\x93"), "=?UTF-8?B?4pyT?=");
    assert_string_equal(s3_meta_out(a, "\xc0\x80"), "=?UTF-8?B?w4DCgA==?="); /* overlong */
    assert_string_equal(s3_meta_out(a, "\xe2\x9c"), "=?UTF-8?B?w6LCnA==?="); /* truncated */
    assert_string_equal(s3_meta_out(a, ""), "");
    kv_arena_free(a);
}

static void test_content_encoding(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    static const char *const cases[][2] = {
        {"gzip, br", "gzip, br"},
        {"gzip,br", "gzip,br"},
        {"  gzip ,  br  ", "gzip ,  br"},
        {"aws-chunked", NULL},
        {"aws-chunked, gzip", "gzip"},
        {"gzip, aws-chunked", "gzip"},
        {"gzip, AWS-CHUNKED,br", "gzip, br"},
        {"gzip,,br", "gzip,br"}, /* an empty coding is dropped */
        {"", NULL},
        {",", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const char *got = s3_content_encoding_in(a, kv_slice_str(cases[i][0]));
        if (cases[i][1] == NULL)
            assert_null(got);
        else
            assert_string_equal(got, cases[i][1]);
    }
    kv_arena_free(a);
}

/* ---- the engine: conditional deletes, a bucket document's compare-and-set ---- */

static char dir[256];

static void test_engine(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/stratus-cfg-XXXXXX");
    assert_non_null(mkdtemp(dir));
    eng_opts_t opts = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
    eng_t *e = NULL;
    assert_int_equal(eng_open(&opts, &e), 0);
    eng_bucket_t bk = {.name = "cond"};
    assert_int_equal(eng_bucket_create(e, &bk), 0);

    kv_slice_t name = kv_slice_str("cond");
    assert_int_equal(
        eng_bucket_swap_doc(e, name, ENG_BDOC_METRICS, KV_SLICE_NULL, kv_slice_str("one")), 0);
    assert_int_equal(
        eng_bucket_swap_doc(e, name, ENG_BDOC_METRICS, KV_SLICE_NULL, kv_slice_str("two")),
        KV_ECONDFAIL);
    assert_int_equal(
        eng_bucket_swap_doc(e, name, ENG_BDOC_METRICS, kv_slice_str("one"), kv_slice_str("two")),
        0);
    assert_int_equal(eng_bucket_swap_doc(e, kv_slice_str("nope"), ENG_BDOC_METRICS, KV_SLICE_NULL,
                                         kv_slice_str("x")),
                     KV_ENOTFOUND);
    kv_arena_t *a = kv_arena_new(4096);
    eng_bucket_t *got;
    assert_int_equal(eng_bucket_get(e, name, a, &got), 0);
    assert_true(kv_slice_eq_str(got->docs[ENG_BDOC_METRICS], "two"));

    eng_object_t o = {.key = kv_slice_str("k"), .etag = "abc", .size = 0, .mtime_ms = 5000};
    eng_obj_cond_t pc = {.versioning = ENG_VERSIONING_OFF};
    assert_int_equal(eng_object_put(e, bk.id, &o, &pc), 0);
    eng_del_cond_t bad_etag = {.if_match = "abd"}, bad_size = {.has_size = true, .size = 1};
    eng_del_cond_t bad_time = {.has_mtime = true, .mtime_s = 4};
    eng_del_cond_t good = {
        .if_match = "abc", .has_size = true, .size = 0, .has_mtime = true, .mtime_s = 5};
    eng_del_cond_t star = {.if_match = "*"}, size_only = {.has_size = true, .size = 0};
    eng_del_result_t res;
    assert_int_equal(
        eng_object_delete_if(e, bk.id, o.key, ENG_VERSIONING_OFF, NULL, &bad_etag, &res, 0, NULL),
        KV_ECONDFAIL);
    assert_int_equal(
        eng_object_delete_if(e, bk.id, o.key, ENG_VERSIONING_OFF, NULL, &bad_size, &res, 0, NULL),
        KV_ECONDFAIL);
    assert_int_equal(
        eng_object_delete_if(e, bk.id, o.key, ENG_VERSIONING_OFF, NULL, &bad_time, &res, 0, NULL),
        KV_ECONDFAIL);
    eng_object_t *m;
    assert_int_equal(eng_object_open(e, bk.id, o.key, NULL, a, &m, NULL), 0);
    assert_int_equal(
        eng_object_delete_if(e, bk.id, o.key, ENG_VERSIONING_OFF, NULL, &good, &res, 0, NULL), 0);
    assert_true(res.found);
    assert_int_equal(eng_object_open(e, bk.id, o.key, NULL, a, &m, NULL), KV_ENOTFOUND);
    assert_int_equal(
        eng_object_delete_if(e, bk.id, o.key, ENG_VERSIONING_OFF, NULL, &star, &res, 0, NULL),
        KV_ENOTFOUND);
    assert_int_equal(
        eng_object_delete_if(e, bk.id, o.key, ENG_VERSIONING_OFF, NULL, &size_only, &res, 0, NULL),
        0);
    assert_false(res.found);
    /* versioned: the marker is the current version; If-Match then finds nothing */
    eng_object_t v = {.key = kv_slice_str("v"), .etag = "e1", .mtime_ms = 1000};
    pc.versioning = ENG_VERSIONING_ENABLED;
    assert_int_equal(eng_object_put(e, bk.id, &v, &pc), 0);
    eng_del_cond_t e1 = {.if_match = "e1"};
    assert_int_equal(
        eng_object_delete_if(e, bk.id, v.key, ENG_VERSIONING_ENABLED, NULL, &e1, &res, 0, NULL), 0);
    assert_true(res.delete_marker);
    assert_int_equal(
        eng_object_delete_if(e, bk.id, v.key, ENG_VERSIONING_ENABLED, NULL, &e1, &res, 0, NULL),
        KV_ENOTFOUND);
    assert_false(res.found);
    kv_arena_free(a);
    eng_close(e);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_tiering),
        cmocka_unit_test(test_inventory_analytics_metrics),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_meta_out),
        cmocka_unit_test(test_content_encoding),
        cmocka_unit_test(test_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
