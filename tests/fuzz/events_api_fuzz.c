/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EventBridge's JSON operations (api/events): the first byte picks an operation of the service
 * table (PutEvents, PutRule with patterns and schedules, PutTargets with InputTransformer,
 * TestEventPattern, ...), the rest is its body, run through the api layer on a temporary engine
 * with a bus, a rule and targets (an SQS queue, another bus) already there; after each request
 * the scheduler takes a step, so the deliver job makes the target inputs of what was put.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "api_int.h"

#define QARN "arn:aws:sqs:us-east-1:000000000000:fzq"
#define BARN "arn:aws:events:us-east-1:000000000000:event-bus/fzb"

static const char *const setup[][2] = {
    {"CreateEventBus", "{\"Name\":\"fzb\"}"},
    {"PutRule",
     "{\"Name\":\"r\",\"EventPattern\":\"{\\\"source\\\":[{\\\"prefix\\\":\\\"\\\"}]}\"}"},
    {"PutTargets",
     "{\"Rule\":\"r\",\"Targets\":[{\"Id\":\"q\",\"Arn\":\"" QARN "\",\"InputTransformer\":{"
     "\"InputPathsMap\":{\"a\":\"$.detail.a\",\"b\":\"$.detail.b[0]\",\"s\":\"$.source\"},"
     "\"InputTemplate\":\"{\\\"a\\\": <a>, \\\"t\\\": \\\"<s> <b>\\\", \\\"e\\\": "
     "<aws.events.event.json>}\"}},{\"Id\":\"b\",\"Arn\":\"" BARN "\"},"
     "{\"Id\":\"p\",\"Arn\":\"" QARN "\",\"InputPath\":\"$.detail['a']\"}]}"},
    {"PutRule", "{\"Name\":\"r\",\"EventBusName\":\"fzb\",\"EventPattern\":\"{\\\"detail\\\":"
                "{\\\"a\\\":[{\\\"exists\\\":true}]}}\"}"},
    {"PutTargets",
     "{\"Rule\":\"r\",\"EventBusName\":\"fzb\",\"Targets\":[{\"Id\":\"q\",\"Arn\":\"" QARN
     "\",\"Input\":\"{\\\"c\\\":1}\"}]}"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static harness_t h;
    static const api_service_t *ev;
    static int ready;
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        for (size_t i = 0; i < api_n_services; i++)
            if (strcmp(api_services[i]->name, "events") == 0)
                ev = api_services[i];
        if (ev == NULL || ev->n_ops == 0)
            abort();
        int st = harness_json(&h, "sqs", "POST", "/", NULL, "AmazonSQS.CreateQueue",
                              KV_SLICE_LIT("{\"QueueName\":\"fzq\"}"), NULL);
        if (st != 200) {
            fprintf(stderr, "CreateQueue: %d\n", st);
            abort();
        }
        for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
            char target[96];
            snprintf(target, sizeof(target), "AWSEvents.%s", setup[i][0]);
            st = harness_json(&h, "events", "POST", "/", NULL, target, kv_slice_str(setup[i][1]),
                              NULL);
            if (st != 200) {
                fprintf(stderr, "%s: %d\n", setup[i][0], st);
                abort();
            }
        }
        ready = 1;
    }
    if (size < 1)
        return 0;
    char target[96];
    snprintf(target, sizeof(target), "%s%s", ev->target_prefix, ev->ops[data[0] % ev->n_ops].name);
    int st =
        harness_json(&h, "events", "POST", "/", NULL, target, kv_slice(data + 1, size - 1), NULL);
    if (st >= 500) {
        fprintf(stderr, "%s: %d\n", target, st);
        abort();
    }
    for (int i = 0; i < 4; i++) /* the deliver job makes the inputs and delivers them */
        api_sched_step(h.ctx);
    return 0;
}
