/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQS: the MD5 of message attributes as SQS computes it (sorted names, length-prefixed name,
 * type, transport byte and value), and the in-process interface of api_msg.h (api_sqs_send,
 * api_sqs_exists) against a queue made and read through the JSON protocol.
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

void sqs_md5_attrs(const api_msg_attr_t *a, size_t n, char out[33]);

#define A(n, t, v)                                        \
    {                                                     \
        KV_SLICE_LIT(n), KV_SLICE_LIT(t), KV_SLICE_LIT(v) \
    }

static void test_md5_attrs(void **state)
{
    (void)state;
    char md5[33];
    /* unsorted input: the hash sorts by name; Binary uses transport byte 2 */
    api_msg_attr_t a[] = {
        A("n", "Number.int", "12"),
        A("a", "String", "x"),
        {KV_SLICE_LIT("b"), KV_SLICE_LIT("Binary"), {(const uint8_t *)"\0\1", 2}}};
    sqs_md5_attrs(a, 3, md5);
    assert_string_equal(md5, "95b660b4f3e207b71f70de869cd4ce26");
    api_msg_attr_t b[] = {A("zip", "Number", "12345"), A("city", "String", "Any City")};
    sqs_md5_attrs(b, 2, md5);
    assert_string_equal(md5, "70e9b6cb0055a899820b735bf3d47f63");
    /* the system attribute AWSTraceHeader (MD5OfMessageSystemAttributes) */
    api_msg_attr_t t[] = {A("AWSTraceHeader", "String", "Root=1-abc")};
    sqs_md5_attrs(t, 1, md5);
    assert_string_equal(md5, "4777fe4e8f0ac8a9a8da35539c6fb198");
    /* UTF-8 names and values count in bytes; a custom type label is part of the type */
    api_msg_attr_t u[] = {A("\xc3\xa9", "String.custom", "\xc3\xbc")};
    sqs_md5_attrs(u, 1, md5);
    assert_string_equal(md5, "0bc5907fcabf636af820e49bc7e515e7");
}

static harness_t H;

static int sqs(const char *op, const char *json, kv_buf_t *out)
{
    char target[64];
    snprintf(target, sizeof(target), "AmazonSQS.%s", op);
    kv_buf_reset(out);
    return harness_json(&H, "sqs", "POST", "/", "", target, kv_slice_str(json), out);
}

static void test_api_sqs_send(void **state)
{
    (void)state;
    assert_int_equal(harness_open(&H, "us-east-1"), 0);
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    assert_int_equal(sqs("CreateQueue", "{\"QueueName\":\"inproc\"}", &out), 200);
    assert_int_equal(sqs("CreateQueue",
                         "{\"QueueName\":\"inproc.fifo\",\"Attributes\":{\"FifoQueue\":\"true\"}}",
                         &out),
                     200);
    kv_slice_t arn = KV_SLICE_LIT("arn:aws:sqs:us-east-1:000000000000:inproc");
    kv_slice_t farn = KV_SLICE_LIT("arn:aws:sqs:us-east-1:000000000000:inproc.fifo");
    assert_true(api_sqs_exists(H.ctx, arn));
    assert_true(api_sqs_exists(H.ctx, farn));
    assert_false(api_sqs_exists(H.ctx, KV_SLICE_LIT("arn:aws:sqs:us-east-1:000000000000:nope")));
    assert_false(api_sqs_exists(H.ctx, KV_SLICE_LIT("arn:aws:sqs:eu-west-1:000000000000:inproc")));

    api_msg_attr_t at[] = {A("k", "String", "v")};
    api_msg_t m = {0};
    m.body = KV_SLICE_LIT("from S3");
    m.attrs = at;
    m.n_attrs = 1;
    kv_buf_t id;
    kv_buf_init(&id, 64);
    const char *why = NULL;
    assert_int_equal(api_sqs_send(H.ctx, arn, &m, &id, &why), 0);
    assert_int_equal(id.len, 36);
    /* refused for good: no group id on a FIFO queue; gone: an unknown queue */
    assert_int_equal(api_sqs_send(H.ctx, farn, &m, NULL, &why), KV_EINVAL);
    assert_non_null(why);
    assert_int_equal(
        api_sqs_send(H.ctx, KV_SLICE_LIT("arn:aws:sqs:us-east-1:000000000000:x"), &m, NULL, &why),
        KV_ENOTFOUND);
    /* with a group and content-based deduplication off: an explicit id is needed */
    m.group_id = KV_SLICE_LIT("g");
    assert_int_equal(api_sqs_send(H.ctx, farn, &m, NULL, &why), KV_EINVAL);
    m.dedup_id = KV_SLICE_LIT("d1");
    assert_int_equal(api_sqs_send(H.ctx, farn, &m, NULL, &why), 0);

    assert_int_equal(sqs("ReceiveMessage",
                         "{\"QueueUrl\":\"http://localhost/000000000000/inproc\","
                         "\"MessageAttributeNames\":[\"All\"]}",
                         &out),
                     200);
    kv_buf_append_byte(&out, 0);
    assert_non_null(strstr((const char *)out.p, "\"Body\":\"from S3\""));
    assert_non_null(strstr((const char *)out.p, (const char *)id.p));
    assert_int_equal(
        sqs("ReceiveMessage", "{\"QueueUrl\":\"http://localhost/000000000000/inproc.fifo\"}", &out),
        200);
    kv_buf_append_byte(&out, 0);
    assert_non_null(strstr((const char *)out.p, "\"Body\":\"from S3\""));
    kv_buf_dispose(&id);
    kv_buf_dispose(&out);
    harness_close(&H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_attrs),
        cmocka_unit_test(test_api_sqs_send),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
