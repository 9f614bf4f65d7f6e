/* SPDX-License-Identifier: Apache-2.0 */
/* ARNs written and split by api_arn.c; UUIDs from kv_uuid4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api_arn.h"
#include "base/kv_hash.h"

static void test_write(void **state)
{
    (void)state;
    char out[128];
    int n = api_arn_write(out, sizeof(out), "dynamodb", "eu-west-1", "table/%s", "orders");
    assert_string_equal(out, "arn:aws:dynamodb:eu-west-1:000000000000:table/orders");
    assert_int_equal(n, (int)strlen(out));
    api_arn_write(out, sizeof(out), "s3", NULL, "%s", "my-bucket");
    assert_string_equal(out, "arn:aws:s3:::my-bucket");
    /* Truncated to fit, and the length the whole ARN needs. */
    char small[12];
    n = api_arn_write(small, sizeof(small), "lambda", "us-east-1", "function:%s", "f");
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_int_equal(n, (int)strlen("arn:aws:lambda:us-east-1:000000000000:function:f"));
    kv_arena_t *a = kv_arena_new(256);
    assert_string_equal(api_arn_new(a, "logs", "us-east-1", "log-group:%s:*", "/aws/lambda/f"),
                        "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/f:*");
    kv_arena_free(a);
}

static void test_parse(void **state)
{
    (void)state;
    api_arn_t arn;
    kv_slice_t name;
    assert_true(api_arn_parse(
        kv_slice_str("arn:aws:dynamodb:us-east-1:000000000000:table/t1/stream/2026-01-01"), &arn));
    assert_true(kv_slice_eq_str(arn.service, "dynamodb"));
    assert_true(kv_slice_eq_str(arn.region, "us-east-1"));
    assert_true(kv_slice_eq_str(arn.account, "000000000000"));
    assert_true(api_arn_name(&arn, "table/", &name));
    assert_true(kv_slice_eq_str(name, "t1"));
    assert_false(api_arn_name(&arn, "function:", &name));

    assert_true(api_arn_parse(kv_slice_str("arn:aws:lambda:us-east-1:0:function:f:live"), &arn));
    assert_true(api_arn_name(&arn, "function:", &name));
    assert_true(kv_slice_eq_str(name, "f"));

    assert_true(api_arn_parse(kv_slice_str("arn:aws:s3:::bucket/stream/x"), &arn));
    assert_int_equal(arn.region.len, 0);
    assert_true(kv_slice_eq_str(arn.resource, "bucket/stream/x"));

    /* Not ARNs: another partition, missing fields, an empty service or resource. */
    static const char *const bad[] = {"",
                                      "arn",
                                      "arn:aws",
                                      "arn:aws:s3",
                                      "arn:aws:s3::",
                                      "arn:aws:s3:::",
                                      "arn:aws::us-east-1:0:table/t",
                                      "arn:aws-cn:dynamodb:r:0:table/t",
                                      "urn:aws:dynamodb:r:0:table/t",
                                      "arn:aws:dynamodb:r:0:table"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (api_arn_parse(kv_slice_str(bad[i]), &arn))
            assert_false(api_arn_name(&arn, "table/", &name));
    assert_false(api_arn_parse(kv_slice_str("arn:aws:s3:::"), &arn));
    assert_false(api_arn_parse(kv_slice_str("arn:aws-cn:dynamodb:r:0:table/t"), &arn));
    assert_true(api_arn_parse(kv_slice_str("arn:aws:dynamodb:r:0:table/"), &arn));
    assert_false(api_arn_name(&arn, "table/", &name));
    assert_false(api_arn_after(&arn, "table/", &name));
}

static void test_after(void **state)
{
    (void)state;
    api_arn_t arn;
    kv_slice_t rest;
    assert_true(api_arn_parse(
        kv_slice_str("arn:aws:dynamodb:us-east-1:000000000000:table/t1/backup/01-ab"), &arn));
    assert_true(api_arn_after(&arn, "table/", &rest));
    assert_true(kv_slice_eq_str(rest, "t1/backup/01-ab"));
    assert_false(api_arn_after(&arn, "function:", &rest));
    /* The rest keeps its ':' (a qualified function). */
    assert_true(api_arn_parse(kv_slice_str("arn:aws:lambda:us-east-1:0:function:f:live"), &arn));
    assert_true(api_arn_after(&arn, "function:", &rest));
    assert_true(kv_slice_eq_str(rest, "f:live"));
    assert_true(api_arn_parse(kv_slice_str("arn:aws:lambda:us-east-1:0:function:"), &arn));
    assert_false(api_arn_after(&arn, "function:", &rest));
}

static void test_uuid(void **state)
{
    (void)state;
    char a[37], b[37];
    kv_uuid4(a);
    kv_uuid4(b);
    assert_int_equal(strlen(a), 36);
    assert_string_not_equal(a, b);
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(a[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", a[i]));
    }
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_after),
        cmocka_unit_test(test_uuid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
