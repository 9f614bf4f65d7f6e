/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compressed request bodies (issue 17, package H). The first byte picks the Content-Encoding
 * (gzip, deflate, x-gzip, identity, an unsupported one), the second where the stream is split;
 * the rest is the encoded body. It is decompressed directly (split there, and a byte at a time
 * for short inputs, with a small output limit) and then sent as a signed PutItem, Query or
 * BatchWriteItem through the api layer, whose answer must be a status DynamoDB gives.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "api_int.h"
#include "codec/api_inflate.h"

static int sink(void *arg, const uint8_t *p, size_t n)
{
    (void)p;
    uint64_t *left = arg;
    if (n > *left)
        return -1;
    *left -= n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static harness_t h;
    static int ready;
    static const char *const codings[] = {"gzip", "deflate", "x-gzip", "identity", "br"};
    static const char *const ops[] = {"PutItem", "Query", "BatchWriteItem"};
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        harness_ddb(&h, "CreateTable",
                    KV_SLICE_LIT("{\"TableName\":\"fz\",\"KeySchema\":[{\"AttributeName\":\"pk\","
                                 "\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
                                 "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
                                 "\"BillingMode\":\"PAY_PER_REQUEST\"}"),
                    NULL);
        ready = 1;
    }
    if (size < 2)
        return 0;
    const char *coding = codings[data[0] % 5];
    const char *op = ops[(data[0] / 5) % 3];
    const uint8_t *body = data + 2;
    size_t n = size - 2, cut = n ? data[1] % (n + 1) : 0;

    api_coding_t c = api_coding_of(kv_slice_str(coding));
    api_inflate_t *z = api_inflate_new(c);
    if (z) {
        uint64_t left = 1u << 20;
        int rc = api_inflate_feed(z, body, cut, sink, &left);
        if (rc == 0)
            rc = api_inflate_feed(z, body + cut, n - cut, sink, &left);
        if (rc == 0)
            rc = api_inflate_end(z);
        if (rc != 0 && rc != API_INFLATE_E_DATA && rc != -1)
            abort();
        api_inflate_free(z);
        if (n <= 4096) { /* a byte at a time decodes the same way */
            api_inflate_t *z1 = api_inflate_new(c);
            uint64_t left1 = 1u << 20;
            int rc1 = 0;
            for (size_t i = 0; i < n && rc1 == 0; i++)
                rc1 = api_inflate_feed(z1, body + i, 1, sink, &left1);
            if (rc1 == 0)
                rc1 = api_inflate_end(z1);
            if (rc1 != rc || (rc == 0 && left1 != left))
                abort();
            api_inflate_free(z1);
        }
    }

    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/";
    r.host = "127.0.0.1:4566";
    r.service = "dynamodb";
    r.payload = CLI_PAYLOAD_NONE;
    r.body = kv_slice(body, n);
    char target[64];
    snprintf(target, sizeof(target), "DynamoDB_20120810.%s", op);
    cli_req_header(&r, "X-Amz-Target", target);
    cli_req_header(&r, "Content-Type", "application/x-amz-json-1.0");
    cli_req_header(&r, "Content-Encoding", coding);
    kv_buf_t raw;
    kv_buf_init(&raw, 64u << 20);
    if (cli_build(&h.creds, &r, &raw) == 0) {
        int st = harness_run(&h, kv_buf_slice(&raw), NULL);
        if (st != 200 && st != 400 && st != 413 && st != 500)
            abort();
    }
    kv_buf_dispose(&raw);
    return 0;
}
