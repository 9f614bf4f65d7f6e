/* SPDX-License-Identifier: Apache-2.0 */
/* EventBridge schedules and target input (api/events): rate() and cron() parsing and their next
 * fire times (UTC), JSONPath checks, and the InputTransformer's quoting rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "events/events_int.h"

static int64_t at(int y, int mo, int d, int h, int mi)
{
    struct tm t = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&t) * 1000;
}

/* The next fire time of expr after the given moment (-2: refused). */
static int64_t next(const char *expr, int64_t after)
{
    kv_arena_t *a = kv_arena_new(1024);
    events_sched_t *s;
    int64_t r =
        events_sched_parse(a, kv_slice_str(expr), &s) < 0 ? -2 : events_sched_next(s, after);
    kv_arena_free(a);
    return r;
}

static void test_rate(void **state)
{
    (void)state;
    unsetenv("STRATUS_EVENTS_MINUTE_MS");
    assert_int_equal(next("rate(1 minute)", 1000), 61000);
    assert_int_equal(next("rate(5 minutes)", 0), 300000);
    assert_int_equal(next("rate(2 hours)", 0), 7200000);
    assert_int_equal(next("rate(1 day)", 0), 86400000);
    static const char *const bad[] = {"rate(1 minutes)", "rate(2 minute)",  "rate(0 minutes)",
                                      "rate(1 hours)",   "rate(x minutes)", "rate(1  minute)",
                                      "rate(1 week)",    "rate()",          "rate(1 minute"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(next(bad[i], 0), -2);
}

static void test_cron(void **state)
{
    (void)state;
    int64_t t0 = at(2024, 1, 1, 10, 30); /* a Monday */
    assert_int_equal(next("cron(0 12 * * ? *)", t0), at(2024, 1, 1, 12, 0));
    assert_int_equal(next("cron(0/15 * * * ? *)", t0), at(2024, 1, 1, 10, 45));
    assert_int_equal(next("cron(30 10 * * ? *)", t0), at(2024, 1, 2, 10, 30)); /* strictly after */
    assert_int_equal(next("cron(0 8 1 * ? *)", t0), at(2024, 2, 1, 8, 0));
    assert_int_equal(next("cron(0 18 ? * MON-FRI *)", at(2024, 1, 5, 19, 0)),
                     at(2024, 1, 8, 18, 0));
    assert_int_equal(next("cron(0 0 ? * 1 *)", t0), at(2024, 1, 7, 0, 0)); /* 1 is Sunday */
    assert_int_equal(next("cron(0 0 L * ? *)", at(2024, 2, 3, 0, 0)), at(2024, 2, 29, 0, 0));
    assert_int_equal(next("cron(0 10 ? * 2#1 *)", t0), at(2024, 2, 5, 10, 0)); /* 1st Monday */
    assert_int_equal(next("cron(0 10 ? * 6L *)", t0), at(2024, 1, 26, 10, 0)); /* last Friday */
    assert_int_equal(next("cron(0 9 15W * ? *)", at(2024, 6, 1, 0, 0)), at(2024, 6, 14, 9, 0));
    assert_int_equal(next("cron(5,35 14 * JAN,FEB ? *)", t0), at(2024, 1, 1, 14, 5));
    assert_int_equal(next("cron(0 0 1 1 ? 2030)", t0), at(2030, 1, 1, 0, 0));
    assert_int_equal(next("cron(0 0 1 1 ? 2020)", t0), -1); /* its years are over */
    static const char *const bad[] = {
        "cron(0 12 * * * *)",  "cron(0 12 ? * ? *)",   "cron(0 12 * *)",
        "cron(60 12 * * ? *)", "cron(0 24 * * ? *)",   "cron(0 0 32 * ? *)",
        "cron(0 0 ? * 8 *)",   "cron(0 0 ? 13 MON *)", "cron(0 0 * * ? 1969)",
        "cron(0 0 ? * 2#6 *)", "cron(5-1 * * * ? *)",  "cron(0 0 0 * ? *)",
        "cron(a b c d e f)",   "cron(0 0 * * ? * *)"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(next(bad[i], 0), -2);
}

static void test_paths(void **state)
{
    (void)state;
    static const char *const good[] = {"$",      "$.detail", "$.detail.a-b",
                                       "$.a[0]", "$['a b']", "$.detail.items[10].x"};
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        assert_true(events_path_valid(kv_slice_str(good[i])));
    static const char *const bad[] = {"", "detail", "$.", "$..a", "$[x]", "$['a", "$.a[0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_false(events_path_valid(kv_slice_str(bad[i])));
    /* a key longer than path_eval's key buffer is refused, never cut short and looked up */
    char long_path[400];
    memset(long_path, 'k', sizeof(long_path) - 1);
    long_path[sizeof(long_path) - 1] = 0;
    long_path[0] = '$';
    long_path[1] = '.';
    assert_false(events_path_valid(kv_slice_str(long_path)));
    char quoted[400];
    snprintf(quoted, sizeof(quoted), "$['%s']", long_path + 2 + 10);
    assert_false(events_path_valid(kv_slice_str(quoted)));
    long_path[2 + 255] = 0; /* 255 bytes fit */
    assert_true(events_path_valid(kv_slice_str(long_path)));
}

/* The target input for a target (JSON) and an event. */
static char *input(kv_arena_t *a, const char *target, const char *event)
{
    api_json_t *t, *e;
    const char *err;
    assert_int_equal(api_json_parse(a, kv_slice_str(target), &t, &err), 0);
    assert_int_equal(api_json_parse(a, kv_slice_str(event), &e, &err), 0);
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    assert_int_equal(events_transform(a, t, kv_slice_str(event), e, "arn:r", "r", 0, &out), 0);
    char *s = kv_arena_strndup(a, out.p, out.len);
    kv_buf_dispose(&out);
    return s;
}

static void test_transform(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    const char *ev = "{\"source\":\"app\",\"detail\":{\"s\":\"a\\\"b\",\"n\":2,\"o\":{\"k\":[1]}}}";
    assert_string_equal(input(a, "{\"Id\":\"x\"}", ev), ev);
    assert_string_equal(input(a, "{\"Input\":\"{\\\"c\\\":1}\"}", ev), "{\"c\":1}");
    assert_string_equal(input(a, "{\"InputPath\":\"$.detail.o\"}", ev), "{\"k\":[1]}");
    assert_string_equal(input(a, "{\"InputPath\":\"$.nope\"}", ev), "null");
    assert_string_equal(input(a, "{\"InputPath\":\"$.detail.o.k[5][0]\"}", ev), "null");
    assert_string_equal(input(a, "{\"InputPath\":\"$.detail.o.k[0].x\"}", ev), "null");
    const char *tr =
        "{\"InputTransformer\":{\"InputPathsMap\":{\"s\":\"$.detail.s\",\"n\":"
        "\"$.detail.n\",\"o\":\"$.detail.o\",\"m\":\"$.missing\"},\"InputTemplate\":"
        "\"{\\\"s\\\": <s>, \\\"q\\\": \\\"<s>-<n>\\\", \\\"o\\\": <o>, \\\"m\\\": <m>, "
        "\\\"r\\\": <aws.events.rule-name>, \\\"t\\\": \\\"<o>\\\"}\"}}";
    assert_string_equal(input(a, tr, ev),
                        "{\"s\": \"a\\\"b\", \"q\": \"a\\\"b-2\", \"o\": {\"k\":[1]}, \"m\": null, "
                        "\"r\": \"r\", \"t\": \"{\\\"k\\\":[1]}\"}");
    kv_arena_free(a);
}

/* An input over the output buffer fails (the delivery then gives up at once, not retried). */
static void test_transform_overflow(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_t ev;
    kv_buf_init(&ev, 1 << 20);
    kv_buf_append_str(&ev, "{\"source\":\"app\",\"detail\":{\"s\":\"");
    for (int i = 0; i < 200000; i++)
        kv_buf_append_byte(&ev, 'x');
    kv_buf_append_str(&ev, "\"}}");
    const char *target = "{\"InputTransformer\":{\"InputPathsMap\":{\"s\":\"$.detail.s\"},"
                         "\"InputTemplate\":\"[<s>,<s>,<s>,<s>,<s>,<s>,<s>]\"}}";
    api_json_t *t, *e;
    const char *err;
    assert_int_equal(api_json_parse(a, kv_slice_str(target), &t, &err), 0);
    assert_int_equal(api_json_parse(a, kv_buf_slice(&ev), &e, &err), 0);
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    assert_int_equal(events_transform(a, t, kv_buf_slice(&ev), e, "arn:r", "r", 0, &out), -1);
    kv_buf_dispose(&out);
    kv_buf_dispose(&ev);
    kv_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_cron),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_transform),
        cmocka_unit_test(test_transform_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
