/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 Object Lock's parsers (api/s3/s3_lock.c, issue 16 package L): ISO 8601 dates with
 * fractions and offsets, the ObjectLockConfiguration body and its round trip through the stored
 * form, Retention and LegalHold bodies, and the default retention's date.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "s3/s3_int.h"

static int64_t date(const char *s)
{
    int64_t ms = -1;
    return s3_lock_date(kv_slice_str(s), &ms) ? ms : -1;
}

static void test_dates(void **state)
{
    (void)state;
    assert_true(date("1970-01-01T00:00:00Z") == 0);
    assert_true(date("2030-01-01T00:00:00Z") == 1893456000000LL);
    assert_true(date("2030-01-01T00:00:00.5Z") == 1893456000500LL);
    assert_true(date("2030-01-01T00:00:00.123456Z") == 1893456000123LL);
    assert_true(date("2030-01-01T01:00:00+01:00") == 1893456000000LL);
    assert_true(date("2029-12-31T23:00:00-0100") == 1893456000000LL);
    assert_true(date("2030-01-01") == 1893456000000LL);
    assert_true(date("2028-02-29T12:00:00Z") > 0); /* a leap day */
    assert_true(date(" 2030-01-01T00:00:00Z ") == 1893456000000LL);
    static const char *const bad[] = {"",
                                      "tomorrow",
                                      "2030-01-01T00:00:00", /* no zone */
                                      "2030-13-01T00:00:00Z",
                                      "2029-02-29T00:00:00Z",
                                      "2030-01-01T24:00:00Z",
                                      "2030-01-01T00:60:00Z",
                                      "2030-01-01T00:00:00.Z",
                                      "2030-01-01T00:00:00+25:00",
                                      "2030-01-01T00:00:00ZZ",
                                      "1969-12-31T23:59:59Z",
                                      "+030-01-01T00:00:00Z",
                                      "2030-1-01T00:00:00Z",
                                      NULL};
    for (size_t i = 0; bad[i]; i++)
        assert_true(date(bad[i]) == -1);
}

static api_err_t conf(kv_arena_t *a, const char *xml, s3_lock_conf_t *c)
{
    const char *msg;
    return s3_lock_conf_parse(a, kv_slice_str(xml), c, &msg);
}

static void test_configuration(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    s3_lock_conf_t c;
    assert_int_equal(conf(a,
                          "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
                          "</ObjectLockConfiguration>",
                          &c),
                     API_E_NONE);
    assert_false(c.has_rule);
    assert_int_equal(
        conf(a,
             "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
             "<DefaultRetention><Mode>COMPLIANCE</Mode><Years>2</Years></DefaultRetention></Rule>"
             "</ObjectLockConfiguration>",
             &c),
        API_E_NONE);
    assert_true(c.has_rule);
    assert_int_equal(c.mode, ENG_LOCK_COMPLIANCE);
    assert_int_equal(c.years, 2);
    assert_int_equal(c.days, 0);
    /* the stored form parses back to the same */
    kv_buf_t x;
    kv_buf_init(&x, 4096);
    s3_lock_conf_xml(&c, &x);
    s3_lock_conf_t back;
    const char *msg;
    assert_int_equal(s3_lock_conf_parse(a, kv_buf_slice(&x), &back, &msg), API_E_NONE);
    assert_memory_equal(&back, &c, sizeof(c));
    kv_buf_dispose(&x);
    assert_true(s3_lock_default_until(&c, 0) == 2 * 365 * S3_LOCK_DAY_MS);
    c = (s3_lock_conf_t){.has_rule = true, .mode = ENG_LOCK_GOVERNANCE, .days = 3};
    assert_true(s3_lock_default_until(&c, 7) == 7 + 3 * S3_LOCK_DAY_MS);
#define OLC(body)                                                                        \
    "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>" body \
    "</Rule></ObjectLockConfiguration>"
    static const struct {
        const char *xml;
        api_err_t want;
    } bad[] = {
        {"", API_E_S3_MALFORMED_XML},
        {"<ObjectLockConfiguration/>", API_E_S3_MALFORMED_XML},
        {"<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled>"
         "</ObjectLockConfiguration>",
         API_E_S3_MALFORMED_XML},
        {"<Other><ObjectLockEnabled>Enabled</ObjectLockEnabled></Other>", API_E_S3_MALFORMED_XML},
        {OLC(""), API_E_S3_MALFORMED_XML},
        {OLC("<DefaultRetention><Days>1</Days></DefaultRetention>"), API_E_S3_MALFORMED_XML},
        {OLC("<DefaultRetention><Mode>X</Mode><Days>1</Days></DefaultRetention>"),
         API_E_S3_MALFORMED_XML},
        {OLC("<DefaultRetention><Mode>GOVERNANCE</Mode></DefaultRetention>"),
         API_E_S3_MALFORMED_XML},
        {OLC("<DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>"
             "</DefaultRetention>"),
         API_E_S3_MALFORMED_XML},
        {OLC("<DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days></DefaultRetention>"),
         API_E_S3_INVALID_ARGUMENT},
        {OLC("<DefaultRetention><Mode>GOVERNANCE</Mode><Days>-1</Days></DefaultRetention>"),
         API_E_S3_INVALID_ARGUMENT},
        {OLC("<DefaultRetention><Mode>GOVERNANCE</Mode><Years>101</Years></DefaultRetention>"),
         API_E_S3_INVALID_ARGUMENT},
        {OLC("<DefaultRetention><Mode>GOVERNANCE</Mode><Days>99999999999999999999</Days>"
             "</DefaultRetention>"),
         API_E_S3_INVALID_ARGUMENT},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(conf(a, bad[i].xml, &c), bad[i].want);
    kv_arena_free(a);
}

static void test_retention_and_hold(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    eng_lock_mode_t m;
    int64_t until;
    const char *msg;
    bool on;
    assert_int_equal(s3_lock_retention_parse(a,
                                             KV_SLICE_LIT("<Retention><Mode>GOVERNANCE</Mode>"
                                                          "<RetainUntilDate>2030-01-01T00:00:00Z"
                                                          "</RetainUntilDate></Retention>"),
                                             &m, &until, &msg),
                     API_E_NONE);
    assert_int_equal(m, ENG_LOCK_GOVERNANCE);
    assert_true(until == 1893456000000LL);
    assert_int_equal(s3_lock_retention_parse(a, KV_SLICE_LIT("<Retention/>"), &m, &until, &msg),
                     API_E_NONE);
    assert_int_equal(m, ENG_LOCK_NONE);
    static const char *const bad[] = {
        "<Retention><Mode>GOVERNANCE</Mode></Retention>",
        "<Retention><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>",
        "<Retention><Mode>governance</Mode><RetainUntilDate>2030-01-01T00:00:00Z"
        "</RetainUntilDate></Retention>",
        "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>soon</RetainUntilDate></Retention>",
        "<LegalHold><Status>ON</Status></LegalHold>",
        "<Retention>",
        NULL};
    for (size_t i = 0; bad[i]; i++) {
        assert_int_equal(s3_lock_retention_parse(a, kv_slice_str(bad[i]), &m, &until, &msg),
                         API_E_S3_MALFORMED_XML);
        assert_int_equal(m, ENG_LOCK_NONE);
    }
    assert_int_equal(s3_lock_hold_parse(
                         a, KV_SLICE_LIT("<LegalHold><Status>ON</Status></LegalHold>"), &on, &msg),
                     API_E_NONE);
    assert_true(on);
    assert_int_equal(
        s3_lock_hold_parse(a, KV_SLICE_LIT("<LegalHold><Status> OFF </Status></LegalHold>"), &on,
                           &msg),
        API_E_NONE);
    assert_false(on);
    assert_int_equal(s3_lock_hold_parse(a, KV_SLICE_LIT("<LegalHold/>"), &on, &msg),
                     API_E_S3_MALFORMED_XML);
    assert_int_equal(s3_lock_hold_parse(
                         a, KV_SLICE_LIT("<LegalHold><Status>on</Status></LegalHold>"), &on, &msg),
                     API_E_S3_MALFORMED_XML);
    kv_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_configuration),
        cmocka_unit_test(test_retention_and_hold),
    };
    return cmocka_run_group_tests_name("s3_lock", tests, NULL, NULL);
}
