/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQS JSON operations through the api layer on a temporary engine with three queues (a
 * standard queue whose RedrivePolicy names a dead-letter queue, and a FIFO queue): message
 * attributes, base64 binary values, batch entries, attribute maps, RedrivePolicy and
 * RedriveAllowPolicy JSON, receipt handles. An input is up to 16 requests separated by a line
 * "%%", each "OperationName\n" and its JSON body (a first line that names no operation: the
 * first byte picks one from the service table, the rest is the body). In a body, $Q, $F and
 * $D stand for the standard, FIFO and dead-letter queues' URLs, $A for the dead-letter queue's
 * ARN and $R for the first receipt handle the last ReceiveMessage gave. Every request must be
 * answered (held receives are abandoned at once) with a status below 500; the scheduler's jobs
 * (held receives, retention, message moves) take a step after each input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "api_int.h"

#define URL(n)  "http://127.0.0.1:4566/000000000000/" n
#define DLQ_ARN "arn:aws:sqs:us-east-1:000000000000:fzd"

static harness_t h;
static const api_service_t *sqs;
static char receipt[512];

static int run(const char *op, kv_slice_t body, kv_buf_t *out)
{
    char target[96];
    snprintf(target, sizeof(target), "%s%s", sqs->target_prefix, op);
    return harness_json(&h, "sqs", "POST", "/", NULL, target, body, out);
}

static void setup(const char *op, const char *body)
{
    int st = run(op, kv_slice_str(body), NULL);
    if (st != 200) {
        fprintf(stderr, "%s: %d\n", op, st);
        abort();
    }
}

/* Expand the $ tokens of in into out (bounded: at most 64 expansions). */
static void expand(kv_slice_t in, kv_buf_t *out)
{
    int n = 0;
    for (size_t i = 0; i < in.len; i++) {
        const char *rep = NULL;
        if (in.p[i] == '$' && i + 1 < in.len && n < 64) {
            switch (in.p[i + 1]) {
            case 'Q':
                rep = URL("fz");
                break;
            case 'F':
                rep = URL("fz.fifo");
                break;
            case 'D':
                rep = URL("fzd");
                break;
            case 'A':
                rep = DLQ_ARN;
                break;
            case 'R':
                rep = receipt;
                break;
            default:
                break;
            }
        }
        if (rep) {
            kv_buf_append_str(out, rep);
            i++;
            n++;
        } else {
            kv_buf_append_byte(out, in.p[i]);
        }
    }
}

/* Remember the first receipt handle of a ReceiveMessage answer. */
static void keep_receipt(kv_slice_t body)
{
    static const char key[] = "\"ReceiptHandle\":\"";
    const uint8_t *p = memmem(body.p, body.len, key, sizeof(key) - 1);
    if (!p)
        return;
    p += sizeof(key) - 1;
    size_t left = body.len - (size_t)(p - body.p), n = 0;
    while (n < left && n < sizeof(receipt) - 1 && p[n] != '"')
        n++;
    memcpy(receipt, p, n);
    receipt[n] = 0;
}

static void one(kv_slice_t req)
{
    const api_op_desc_t *op = NULL;
    kv_slice_t body = req;
    const uint8_t *nl = memchr(req.p, '\n', req.len < 48 ? req.len : 48);
    if (nl)
        for (size_t i = 0; i < sqs->n_ops; i++)
            if (kv_slice_eq_str(kv_slice(req.p, (size_t)(nl - req.p)), sqs->ops[i].name)) {
                op = &sqs->ops[i];
                body = kv_slice(nl + 1, req.len - (size_t)(nl + 1 - req.p));
            }
    if (!op) {
        if (req.len == 0)
            return;
        op = &sqs->ops[req.p[0] % sqs->n_ops];
        body = kv_slice(req.p + 1, req.len - 1);
    }
    kv_buf_t b, out;
    kv_buf_init(&b, 64u << 20);
    kv_buf_init(&out, 64u << 20);
    expand(body, &b);
    int st = run(op->name, kv_buf_slice(&b), &out);
    if (st < 100 || st >= 500) {
        fprintf(stderr, "%s %.*s: %d\n", op->name, (int)(b.len > 300 ? 300 : b.len),
                (const char *)b.p, st);
        abort();
    }
    if (st == 200 && strcmp(op->name, "ReceiveMessage") == 0)
        keep_receipt(kv_buf_slice(&out));
    kv_buf_dispose(&b);
    kv_buf_dispose(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        for (size_t i = 0; i < api_n_services; i++)
            if (strcmp(api_services[i]->name, "sqs") == 0)
                sqs = api_services[i];
        if (sqs == NULL || sqs->n_ops == 0)
            abort();
        setup("CreateQueue", "{\"QueueName\":\"fzd\"}");
        setup("CreateQueue",
              "{\"QueueName\":\"fz\",\"Attributes\":{\"RedrivePolicy\":"
              "\"{\\\"deadLetterTargetArn\\\":\\\"" DLQ_ARN "\\\",\\\"maxReceiveCount\\\":2}\"}}");
        setup("CreateQueue", "{\"QueueName\":\"fz.fifo\",\"Attributes\":{\"FifoQueue\":\"true\"}}");
        ready = 1;
    }
    kv_slice_t in = kv_slice(data, size);
    for (int i = 0; i < 16 && in.len; i++) {
        const uint8_t *sep = memmem(in.p, in.len, "\n%%\n", 4);
        size_t n = sep ? (size_t)(sep - in.p) : in.len;
        one(kv_slice(in.p, n));
        in = sep ? kv_slice(sep + 4, in.len - n - 4) : kv_slice(in.p + in.len, 0);
    }
    api_sched_step(h.ctx);
    return 0;
}
