/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_msg_deliver (issue 14, package W1): which ARNs it takes, a queue getting the body as its
 * message, its errors for a missing queue or bus and another service's ARN, and a bus refusing
 * a body that is not a JSON object.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api_harness.h"
#include "api_msg.h"
#include "base/kv_err.h"

static void test_targets(void **state)
{
    (void)state;
    assert_true(api_msg_is_target(KV_SLICE_LIT("arn:aws:sqs:us-east-1:000000000000:q")));
    assert_true(api_msg_is_target(KV_SLICE_LIT("arn:aws:sns:us-east-1:000000000000:t")));
    assert_true(
        api_msg_is_target(KV_SLICE_LIT("arn:aws:events:us-east-1:000000000000:event-bus/default")));
    /* a rule is not a bus; functions and buckets are the callers' own */
    assert_false(api_msg_is_target(KV_SLICE_LIT("arn:aws:events:us-east-1:000000000000:rule/r")));
    assert_false(
        api_msg_is_target(KV_SLICE_LIT("arn:aws:lambda:us-east-1:000000000000:function:f")));
    assert_false(api_msg_is_target(KV_SLICE_LIT("arn:aws:s3:::bucket")));
    assert_false(api_msg_is_target(KV_SLICE_LIT("sqs:q")));
    assert_false(api_msg_is_target(KV_SLICE_NULL));
}

static harness_t H;

static void test_deliver(void **state)
{
    (void)state;
    assert_int_equal(harness_open(&H, "us-east-1"), 0);
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    assert_int_equal(harness_json(&H, "sqs", "POST", "/", "", "AmazonSQS.CreateQueue",
                                  KV_SLICE_LIT("{\"QueueName\":\"wired\"}"), &out),
                     200);
    kv_slice_t q = KV_SLICE_LIT("arn:aws:sqs:us-east-1:000000000000:wired");
    kv_slice_t bus = KV_SLICE_LIT("arn:aws:events:us-east-1:000000000000:event-bus/default");
    assert_true(api_msg_exists(H.ctx, q));
    assert_true(api_msg_exists(H.ctx, bus));
    assert_false(api_msg_exists(H.ctx, KV_SLICE_LIT("arn:aws:sqs:us-east-1:000000000000:gone")));
    assert_false(api_msg_exists(
        H.ctx, KV_SLICE_LIT("arn:aws:events:us-east-1:000000000000:event-bus/gone")));
    assert_false(api_msg_exists(H.ctx, KV_SLICE_LIT("arn:aws:lambda:us-east-1:0:function:f")));

    const char *why = NULL;
    kv_slice_t body = KV_SLICE_LIT("{\"Records\":[{\"n\":1}]}");
    assert_int_equal(api_msg_deliver(H.ctx, q, body, NULL, NULL, KV_SLICE_NULL, &why), 0);
    assert_int_equal(api_msg_deliver(H.ctx, KV_SLICE_LIT("arn:aws:sqs:us-east-1:000000000000:gone"),
                                     body, NULL, NULL, KV_SLICE_NULL, &why),
                     KV_ENOTFOUND);
    why = NULL;
    assert_int_equal(api_msg_deliver(H.ctx, KV_SLICE_LIT("arn:aws:s3:::bucket"), body, NULL, NULL,
                                     KV_SLICE_NULL, &why),
                     KV_EINVAL);
    assert_non_null(why);
    /* a bus: the body is the event's detail, so it must be an object */
    why = NULL;
    assert_int_equal(api_msg_deliver(H.ctx, bus, KV_SLICE_LIT("[1]"), "lambda", "t",
                                     KV_SLICE_LIT("arn:aws:lambda:us-east-1:0:function:f"), &why),
                     KV_EINVAL);
    assert_non_null(why);
    assert_int_equal(api_msg_deliver(H.ctx, bus, body, "lambda", "t",
                                     KV_SLICE_LIT("arn:aws:lambda:us-east-1:0:function:f"), &why),
                     0);
    assert_int_equal(
        api_msg_deliver(H.ctx, KV_SLICE_LIT("arn:aws:events:us-east-1:000000000000:event-bus/gone"),
                        body, "lambda", "t", KV_SLICE_NULL, &why),
        KV_ENOTFOUND);

    /* the queue holds the body as it was given */
    assert_int_equal(harness_json(&H, "sqs", "POST", "/", "", "AmazonSQS.ReceiveMessage",
                                  KV_SLICE_LIT("{\"QueueUrl\":\"http://localhost/000000000000/"
                                               "wired\",\"MaxNumberOfMessages\":10}"),
                                  &out),
                     200);
    kv_buf_append_byte(&out, 0);
    const char *p = strstr((const char *)out.p, "\"Body\":\"{\\\"Records\\\":[{\\\"n\\\":1}]}\"");
    assert_non_null(p);
    assert_null(strstr(p + 1, "\"Body\"")); /* and only it */
    kv_buf_dispose(&out);
    harness_close(&H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_deliver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
