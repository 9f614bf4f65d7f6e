/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The query protocol's codec (api_query.c): bodies as botocore's query serializer writes them
 * (SNS, and SQS as Debian's botocore 1.26 still sends it) decode into the JSON document the
 * JSON protocol would carry; malformed and oversized input is refused; the XML envelope and
 * error document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_err.h"
#include "codec/api_json_r.h"
#include "codec/api_query.h"

/* ---- shapes as SNS and SQS declare them ---- */

static const api_qshape_t tag_fields[] = {{.name = "Key"}, {.name = "Value"}};
static const api_qshape_t tag = {.kind = API_Q_STRUCT, .fields = tag_fields, .n_fields = 2};
static const api_qshape_t mav_fields[] = {
    {.name = "DataType"}, {.name = "StringValue"}, {.name = "BinaryValue"}};
static const api_qshape_t mav = {.kind = API_Q_STRUCT, .fields = mav_fields, .n_fields = 3};

static const api_qshape_t create_topic_f[] = {
    {.name = "Name"},
    {.name = "Attributes", .kind = API_Q_MAP},
    {.name = "Tags", .kind = API_Q_LIST, .elem = &tag},
};
static const api_qshape_t create_topic = {
    .kind = API_Q_STRUCT, .fields = create_topic_f, .n_fields = 3};

#define SNS_MSG_ATTRS                                                                   \
    {                                                                                   \
        .name = "MessageAttributes", .kind = API_Q_MAP, .item = "Name", .val = "Value", \
        .elem = &mav                                                                    \
    }
static const api_qshape_t entry_f[] = {{.name = "Id"}, {.name = "Message"}, SNS_MSG_ATTRS};
static const api_qshape_t entry = {.kind = API_Q_STRUCT, .fields = entry_f, .n_fields = 3};
static const api_qshape_t publish_f[] = {
    {.name = "TopicArn"},
    {.name = "Message"},
    {.name = "Subject"},
    SNS_MSG_ATTRS,
    {.name = "PublishBatchRequestEntries", .kind = API_Q_LIST, .elem = &entry},
    {.name = "TagKeys", .kind = API_Q_LIST},
};
static const api_qshape_t publish = {.kind = API_Q_STRUCT, .fields = publish_f, .n_fields = 6};

static const api_qshape_t sqs_send_f[] = {
    {.name = "QueueUrl"},
    {.name = "MessageBody"},
    {.name = "DelaySeconds", .kind = API_Q_INT},
    {.name = "MessageAttributes",
     .wire = "MessageAttribute",
     .kind = API_Q_MAP,
     .flat = true,
     .elem = &mav},
    {.name = "Attributes", .wire = "Attribute", .kind = API_Q_MAP, .flat = true},
    {.name = "tags", .wire = "Tag", .kind = API_Q_MAP, .flat = true, .item = "Key"},
    {.name = "AttributeNames", .wire = "AttributeName", .kind = API_Q_LIST, .flat = true},
    {.name = "MaxNumberOfMessages", .kind = API_Q_INT},
    {.name = "Flag", .kind = API_Q_BOOL},
};
static const api_qshape_t sqs_send = {.kind = API_Q_STRUCT, .fields = sqs_send_f, .n_fields = 9};

/* ---- a canonical dump of a document (keys in their order) ---- */

static void dump(const api_json_t *v, char *out, size_t cap, size_t *n)
{
#define PUT(...) *n += (size_t)snprintf(out + *n, *n < cap ? cap - *n : 0, __VA_ARGS__)
    switch (api_json_type(v)) {
    case API_J_STR: {
        kv_slice_t s = api_json_str(v);
        PUT("\"%.*s\"", (int)s.len, (const char *)s.p);
        break;
    }
    case API_J_INT: {
        int64_t i;
        api_json_int(v, &i);
        PUT("%lld", (long long)i);
        break;
    }
    case API_J_BOOL:
        PUT("%s", api_json_bool(v) ? "true" : "false");
        break;
    case API_J_ARR:
        PUT("[");
        for (size_t i = 0; i < api_json_len(v); i++) {
            if (i)
                PUT(",");
            dump(api_json_at(v, i), out, cap, n);
        }
        PUT("]");
        break;
    case API_J_OBJ: {
        PUT("{");
        void *it = NULL;
        const char *k;
        api_json_t *c;
        bool first = true;
        while (api_json_next(v, &it, &k, &c)) {
            PUT("%s\"%s\":", first ? "" : ",", k);
            first = false;
            dump(c, out, cap, n);
        }
        PUT("}");
        break;
    }
    default:
        PUT("?");
    }
#undef PUT
}

/* Decode form by shape; the dump of the document, or "ERR <code>: <message>". */
static const char *run(const char *form, const api_qshape_t *shape, char *action)
{
    static char out[4096];
    kv_arena_t *a = kv_arena_new(4096);
    api_query_t q;
    const char *err = NULL;
    api_json_t *doc;
    int rc = api_query_parse(a, kv_slice_str(form), &q, &err);
    if (rc == 0 && action)
        snprintf(action, 64, "%.*s/%.*s", (int)q.action.len, (const char *)q.action.p,
                 (int)q.version.len, (const char *)q.version.p);
    if (rc == 0)
        rc = api_query_decode(a, &q, shape, &doc, &err);
    if (rc) {
        snprintf(out, sizeof(out), "ERR %s: %s", kv_err_name(rc), err ? err : "");
    } else {
        size_t n = 0;
        dump(doc, out, sizeof(out), &n);
    }
    kv_arena_free(a);
    return out;
}

static void test_sns_bodies(void **state)
{
    (void)state;
    char action[64];
    assert_string_equal(
        run("Action=CreateTopic&Version=2010-03-31&Name=t.fifo&Attributes.entry.1.key=FifoTopic&"
            "Attributes.entry.1.value=true&Attributes.entry.2.key=DisplayName&Attributes.entry.2."
            "value=a+b&Tags.member.1.Key=k&Tags.member.1.Value=v",
            &create_topic, action),
        "{\"Name\":\"t.fifo\",\"Attributes\":{\"FifoTopic\":\"true\",\"DisplayName\":\"a b\"},"
        "\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}");
    assert_string_equal(action, "CreateTopic/2010-03-31");
    assert_string_equal(
        run("Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%"
            "3A000000000000%3At&Message=hi%26%3D%25%2B%C3%BC&Subject=s&MessageAttributes.entry.1."
            "Name=a&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1."
            "Value.StringValue=x&MessageAttributes.entry.2.Name=b&MessageAttributes.entry.2.Value."
            "DataType=Binary&MessageAttributes.entry.2.Value.BinaryValue=AAE%3D",
            &publish, action),
        "{\"TopicArn\":\"arn:aws:sns:us-east-1:000000000000:t\",\"Message\":\"hi&=%+\xc3\xbc\","
        "\"Subject\":\"s\",\"MessageAttributes\":{\"a\":{\"DataType\":\"String\",\"StringValue\":"
        "\"x\"},\"b\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AAE=\"}}}");
    assert_string_equal(action, "Publish/2010-03-31");
    assert_string_equal(
        run("Action=PublishBatch&Version=2010-03-31&TopicArn=arn&PublishBatchRequestEntries."
            "member.1.Id=1&PublishBatchRequestEntries.member.1.Message=m&"
            "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name=a&"
            "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType=Number&"
            "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue=1&"
            "PublishBatchRequestEntries.member.2.Id=2&PublishBatchRequestEntries.member.2."
            "Message=n",
            &publish, NULL),
        "{\"TopicArn\":\"arn\",\"PublishBatchRequestEntries\":[{\"Id\":\"1\",\"Message\":\"m\","
        "\"MessageAttributes\":{\"a\":{\"DataType\":\"Number\",\"StringValue\":\"1\"}}},{\"Id\":"
        "\"2\",\"Message\":\"n\"}]}");
    assert_string_equal(
        run("Action=UntagResource&Version=2010-03-31&ResourceArn=arn&TagKeys.member.1=a&TagKeys."
            "member.2=b",
            &publish, NULL),
        "{\"TagKeys\":[\"a\",\"b\"]}");
}

static void test_sqs_bodies(void **state)
{
    (void)state;
    assert_string_equal(
        run("Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Fq&MessageBody=b&"
            "DelaySeconds=5&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&"
            "MessageAttribute.1.Value.StringValue=x&MessageSystemAttribute.1.Name=AWSTraceHeader&"
            "MessageSystemAttribute.1.Value.DataType=String&MessageSystemAttribute.1.Value."
            "StringValue=t",
            &sqs_send, NULL),
        "{\"QueueUrl\":\"http://q\",\"MessageBody\":\"b\",\"DelaySeconds\":5,"
        "\"MessageAttributes\":{\"a\":{\"DataType\":\"String\",\"StringValue\":\"x\"}}}");
    assert_string_equal(
        run("Action=CreateQueue&Version=2012-11-05&QueueName=q&Attribute.1.Name=DelaySeconds&"
            "Attribute.1.Value=1&Attribute.2.Name=FifoQueue&Attribute.2.Value=true&Tag.1.Key=a&"
            "Tag.1.Value=b",
            &sqs_send, NULL),
        "{\"Attributes\":{\"DelaySeconds\":\"1\",\"FifoQueue\":\"true\"},\"tags\":{\"a\":\"b\"}}");
    assert_string_equal(
        run("Action=ReceiveMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Fq&AttributeName.1="
            "All&MessageAttributeName.1=x&MessageAttributeName.2=y&MaxNumberOfMessages=10&"
            "WaitTimeSeconds=2&Flag=TRUE",
            &sqs_send, NULL),
        "{\"QueueUrl\":\"http://q\",\"AttributeNames\":[\"All\"],\"MaxNumberOfMessages\":10,"
        "\"Flag\":true}");
}

/* Indices come in numeric order whatever their order in the body; 10 after 9. */
static void test_order(void **state)
{
    (void)state;
    char form[2048] = "Action=UntagResource";
    for (int i = 12; i >= 1; i--)
        snprintf(form + strlen(form), sizeof(form) - strlen(form), "&TagKeys.member.%d=k%d", i, i);
    assert_string_equal(run(form, &publish, NULL),
                        "{\"TagKeys\":[\"k1\",\"k2\",\"k3\",\"k4\",\"k5\",\"k6\",\"k7\",\"k8\","
                        "\"k9\",\"k10\",\"k11\",\"k12\"]}");
    /* unknown names are ignored, as AWS does; a GET's empty value too */
    assert_string_equal(run("Bogus=1&Name=&Tags.other.1=x&Name.x=y", &create_topic, NULL),
                        "{\"Name\":\"\"}");
}

static void test_refused(void **state)
{
    (void)state;
    assert_string_equal(run("Name=%zz", &create_topic, NULL),
                        "ERR KV_EINVAL: Malformed percent-encoding in the query string");
    assert_string_equal(run("Name=%4", &create_topic, NULL),
                        "ERR KV_EINVAL: Malformed percent-encoding in the query string");
    assert_string_equal(run("Name=%C3", &create_topic, NULL),
                        "ERR KV_EINVAL: Invalid UTF-8 in the query string");
    assert_string_equal(run("Name=%ED%A0%80", &create_topic, NULL),
                        "ERR KV_EINVAL: Invalid UTF-8 in the query string");
    assert_string_equal(run("Name=a&Name=b", &create_topic, NULL),
                        "ERR KV_EINVAL: A parameter is given more than once");
    assert_string_equal(run("Tags.member.0.Key=a", &create_topic, NULL),
                        "ERR KV_EINVAL: Invalid list index in a parameter name");
    assert_string_equal(run("Tags.member.01.Key=a", &create_topic, NULL),
                        "ERR KV_EINVAL: Invalid list index in a parameter name");
    assert_string_equal(run("Tags.member.1001.Key=a", &create_topic, NULL),
                        "ERR KV_EINVAL: Invalid list index in a parameter name");
    assert_string_equal(run("Tags.member.x.Key=a", &create_topic, NULL),
                        "ERR KV_EINVAL: Invalid list index in a parameter name");
    assert_string_equal(run("Attributes.entry.1.value=a", &create_topic, NULL),
                        "ERR KV_EINVAL: A map entry of Attributes has no key");
    assert_string_equal(run("DelaySeconds=5x", &sqs_send, NULL),
                        "ERR KV_EINVAL: Invalid value for the parameter DelaySeconds");
    assert_string_equal(run("Flag=yes", &sqs_send, NULL),
                        "ERR KV_EINVAL: Invalid value for the parameter Flag");
    char name[600];
    memset(name, 'a', sizeof(name));
    name[sizeof(name) - 3] = '=';
    name[sizeof(name) - 2] = '1';
    name[sizeof(name) - 1] = 0;
    assert_string_equal(run(name, &sqs_send, NULL), "ERR KV_ETOOBIG: A parameter name is too long");
    static char many[5000 * 4];
    size_t n = 0;
    for (int i = 0; i < 5000; i++)
        many[n++] = 'x', many[n++] = '=', many[n++] = '&';
    many[n] = 0;
    assert_string_equal(run(many, &sqs_send, NULL), "ERR KV_ETOOBIG: Too many parameters");
}

static void test_xml(void **state)
{
    (void)state;
    kv_buf_t b;
    kv_buf_init(&b, 1 << 16);
    api_xw_t w;
    const char *ns = "http://sns.amazonaws.com/doc/2010-03-31/";
    api_query_resp_begin(&w, &b, "CreateTopic", ns, true);
    api_xw_elem_str(&w, "TopicArn", "arn:a<b");
    api_query_resp_end(&w, "CreateTopic", true, kv_slice_str("rid"));
    kv_buf_append_byte(&b, 0);
    assert_string_equal(
        (const char *)b.p,
        "<?xml version=\"1.0\"?>\n<CreateTopicResponse xmlns=\"http://sns.amazonaws."
        "com/doc/2010-03-31/\"><CreateTopicResult><TopicArn>arn:a&lt;b</TopicArn>"
        "</CreateTopicResult><ResponseMetadata><RequestId>rid</RequestId>"
        "</ResponseMetadata></CreateTopicResponse>");
    api_query_error(&b, ns, 404, kv_slice_str("NotFound"), "Topic does not exist",
                    kv_slice_str("rid"));
    kv_buf_append_byte(&b, 0);
    assert_string_equal((const char *)b.p,
                        "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"http://sns.amazonaws.com/"
                        "doc/2010-03-31/\"><Error><Type>Sender</Type><Code>NotFound</Code>"
                        "<Message>Topic does not exist</Message></Error><RequestId>rid</RequestId>"
                        "</ErrorResponse>");
    kv_buf_dispose(&b);
}

int main(void)
{
    api_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sns_bodies), cmocka_unit_test(test_sqs_bodies),
        cmocka_unit_test(test_order),      cmocka_unit_test(test_refused),
        cmocka_unit_test(test_xml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
