/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SNS's query-protocol operations through the api layer (issue 14): the first byte picks an
 * operation, the rest is appended to its form (after the topic or subscription it names), so
 * Publish attributes (String.Array, Number, Binary), MessageStructure, PublishBatch entries,
 * FilterPolicy and DeliveryPolicy attributes go through the query decoder, SNS's checks and
 * the delivery job (one step after each request) on a temporary engine with a standard topic
 * (an SQS subscription with a MessageAttributes filter policy, one with a MessageBody one) and
 * a FIFO topic. A first byte from 240 on instead builds message attributes from the bytes and
 * asserts that the filter document sns_filter_attrs_doc makes of them always parses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "api_int.h"
#include "codec/api_json_r.h"
#include "sns/sns_int.h"

#define ARN   "arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3A"
#define QARN  "arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3A"
#define V     "&Version=2010-03-31"
#define ATTRS "&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value="

static const char *const forms[] = {
    "Action=Publish" V "&TopicArn=" ARN "fz&",
    "Action=Publish" V "&TopicArn=" ARN "fz&MessageStructure=json&",
    "Action=Publish" V "&TopicArn=" ARN "fz.fifo&MessageGroupId=g&",
    "Action=PublishBatch" V "&TopicArn=" ARN "fz&",
    "Action=Subscribe" V "&TopicArn=" ARN "fz&Protocol=sqs&Endpoint=" QARN "fzq&",
    "Action=SetSubscriptionAttributes" V "&AttributeName=FilterPolicy&SubscriptionArn=",
    "Action=SetSubscriptionAttributes" V "&AttributeName=DeliveryPolicy&SubscriptionArn=",
    "Action=SetSubscriptionAttributes" V "&AttributeName=FilterPolicyScope&SubscriptionArn=",
    "Action=SetTopicAttributes" V "&TopicArn=" ARN "fz&AttributeName=DeliveryPolicy&",
    "Action=CreateTopic" V "&",
    "Action=ConfirmSubscription" V "&TopicArn=" ARN "fz&",
    "Action=ListSubscriptionsByTopic" V "&TopicArn=" ARN "fz&",
};

static harness_t h;
static char sub_arn[256]; /* the filtered subscription's ARN, URL-encoded */

/* The SubscriptionArn of a Subscribe response, URL-encoded into sub_arn. */
static void keep_sub(const kv_buf_t *out)
{
    const char *p = memmem(out->p, out->len, "<SubscriptionArn>", 17);
    const char *e = p ? memmem(p, out->len - (size_t)(p - (const char *)out->p), "</", 2) : NULL;
    if (p == NULL || e == NULL)
        abort();
    p += 17;
    size_t o = 0;
    for (; p < e && o + 4 < sizeof(sub_arn); p++)
        o += (size_t)snprintf(sub_arn + o, sizeof(sub_arn) - o, *p == ':' ? "%%3A" : "%c", *p);
}

static int form(const char *s, kv_buf_t *out)
{
    return harness_form(&h, "sns", kv_slice_str(s), out);
}

static void setup(void)
{
    if (harness_open(&h, "us-east-1") != 0)
        abort();
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    int q = harness_json(&h, "sqs", "POST", "/", NULL, "AmazonSQS.CreateQueue",
                         KV_SLICE_LIT("{\"QueueName\":\"fzq\"}"), NULL);
    int t1 = form("Action=CreateTopic" V "&Name=fz", NULL);
    int t2 = form("Action=CreateTopic" V "&Name=fz.fifo&Attributes.entry.1.key=FifoTopic&"
                  "Attributes.entry.1.value=true&Attributes.entry.2.key=ContentBasedDeduplication&"
                  "Attributes.entry.2.value=true",
                  NULL);
    int s1 = form("Action=Subscribe" V "&TopicArn=" ARN "fz&Protocol=sqs&Endpoint=" QARN "fzq" ATTRS
                  "%7B%22color%22%3A%5B%22red%22%5D%2C%22n%22%3A%5B%7B%22numeric%22%3A"
                  "%5B%22%3E%22%2C0%5D%7D%5D%7D&ReturnSubscriptionArn=true",
                  &out);
    keep_sub(&out);
    int s2 = form("Action=Subscribe" V "&TopicArn=" ARN "fz&Protocol=sqs&Endpoint=" QARN
                  "fzq2" ATTRS "%7B%22a%22%3A%7B%22b%22%3A%5B1%5D%7D%7D&Attributes.entry.2.key="
                  "FilterPolicyScope&Attributes.entry.2.value=MessageBody",
                  NULL);
    kv_buf_dispose(&out);
    if (q != 200 || t1 != 200 || t2 != 200 || s1 != 200 || s2 != 200) {
        fprintf(stderr, "setup: %d %d %d %d %d\n", q, t1, t2, s1, s2);
        abort();
    }
}

/* Attributes from the bytes: records of type byte, name, 0, value, 0. */
static void attrs_doc(const uint8_t *p, size_t n)
{
    static const char *const types[] = {"String", "Number",       "String.Array",
                                        "Binary", "Number.float", "String.x"};
    kv_arena_t *a = kv_arena_new(1 << 16);
    eng_sns_attr_t at[16];
    size_t k = 0;
    while (n > 1 && k < 16) {
        at[k].type = types[p[0] % 6];
        p++, n--;
        const uint8_t *z = memchr(p, 0, n);
        size_t nl = z ? (size_t)(z - p) : n;
        at[k].name = kv_arena_strndup(a, p, nl);
        p += nl, n -= nl;
        if (n)
            p++, n--;
        z = memchr(p, 0, n);
        size_t vl = z ? (size_t)(z - p) : n;
        at[k].value = kv_slice(p, vl);
        p += vl, n -= vl;
        if (n)
            p++, n--;
        k++;
    }
    kv_buf_t b;
    kv_buf_init(&b, 1 << 20);
    sns_filter_attrs_doc(&b, a, at, k);
    api_json_t *doc;
    const char *err = NULL;
    if (kv_buf_failed(&b) || api_json_parse(a, kv_buf_slice(&b), &doc, &err) < 0 ||
        api_json_type(doc) != API_J_OBJ) {
        fprintf(stderr, "the attribute document does not parse (%s): %.*s\n", err ? err : "",
                (int)b.len, (const char *)b.p);
        abort();
    }
    kv_buf_dispose(&b);
    kv_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 1)
        return 0;
    if (data[0] >= 240) {
        attrs_doc(data + 1, size - 1);
        return 0;
    }
    size_t nf = sizeof(forms) / sizeof(forms[0]);
    const char *f = forms[data[0] % nf];
    kv_buf_t body;
    kv_buf_init(&body, size + 1024);
    kv_buf_append_str(&body, f);
    if (strstr(f, "SubscriptionArn=")) {
        kv_buf_append_str(&body, sub_arn);
        kv_buf_append_str(&body, "&AttributeValue=");
    }
    kv_buf_append(&body, data + 1, size - 1);
    int st = harness_form(&h, "sns", kv_buf_slice(&body), NULL);
    kv_buf_dispose(&body);
    if (st >= 500) {
        fprintf(stderr, "%s: %d\n", f, st);
        abort();
    }
    api_sched_step(h.ctx);
    return 0;
}
