/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB authorization (issue 15, package D): DynamoDB and Streams requests run as an IAM
 * user, so the condition keys are built from every decoded input shape. The first byte picks
 * the user's policies (none; a partition limited by dynamodb:LeadingKeys; attributes limited by
 * dynamodb:Attributes, Select and ReturnValues; everything allowed under tag and
 * EnclosingOperation conditions); the rest is ddb_json_fuzz's input (an operation byte, then the
 * body). Every answer must be a status the protocol gives, and no request of the user may be
 * answered without an authorization.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness_as.h"
#include "api_int.h"
#include "authz/pol.h"

#define TABLE "arn:aws:dynamodb:us-east-1:000000000000:table/fz"

static const char *const policies[] = {
    NULL,
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"dynamodb:*\","
    "\"Resource\":[\"" TABLE "\",\"" TABLE "/*\"],\"Condition\":{\"ForAllValues:StringEquals\":{"
    "\"dynamodb:LeadingKeys\":[\"${aws:userid}\",\"a\"]}}},{\"Effect\":\"Deny\",\"Action\":"
    "\"dynamodb:PartiQLSelect\",\"Resource\":\"*\",\"Condition\":{\"Bool\":{"
    "\"dynamodb:FullTableScan\":\"true\"}}}]}",
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"dynamodb:*\","
    "\"Resource\":\"*\",\"Condition\":{\"ForAllValues:StringEquals\":{\"dynamodb:Attributes\":["
    "\"pk\",\"sk\",\"g\",\"n\",\"x\"]},\"StringEqualsIfExists\":{\"dynamodb:Select\":"
    "\"SPECIFIC_ATTRIBUTES\",\"dynamodb:ReturnValues\":[\"NONE\",\"UPDATED_NEW\"]}}}]}",
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
    "\"Resource\":"
    "\"*\"},{\"Effect\":\"Deny\",\"Action\":\"dynamodb:*\",\"Resource\":\"*\",\"Condition\":{"
    "\"StringEquals\":{\"aws:ResourceTag/lock\":\"yes\",\"dynamodb:EnclosingOperation\":"
    "\"ExecuteTransaction\"},\"ForAnyValue:StringLike\":{\"aws:TagKeys\":[\"lock*\"]}}}]}",
};
#define N_POLICIES (sizeof(policies) / sizeof(policies[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static harness_t h;
    static int ready;
    static api_principal_t users[N_POLICIES];
    /* ddb_json_fuzz's list, so its corpus's operation bytes mean the same here. */
    static const char *ops[] = {"CreateTable",
                                "DescribeTable",
                                "ListTables",
                                "DeleteTable",
                                "PutItem",
                                "GetItem",
                                "DeleteItem",
                                "UpdateItem",
                                "Query",
                                "Scan",
                                "BatchGetItem",
                                "BatchWriteItem",
                                "TagResource",
                                "UntagResource",
                                "ListTagsOfResource",
                                "DescribeLimits",
                                "DescribeEndpoints",
                                "UpdateTable",
                                "UpdateContinuousBackups",
                                "DescribeContinuousBackups",
                                "TransactWriteItems",
                                "TransactGetItems",
                                "ExecuteStatement",
                                "BatchExecuteStatement",
                                "ExecuteTransaction",
                                "DynamoDBStreams_20120810.ListStreams",
                                "DynamoDBStreams_20120810.DescribeStream",
                                "DynamoDBStreams_20120810.GetShardIterator",
                                "DynamoDBStreams_20120810.GetRecords",
                                "RestoreTableToPointInTime",
                                "UpdateTimeToLive",
                                "ExportTableToPointInTime", /* issue 17, E */
                                "DescribeExport",
                                "ListExports"};
    static const size_t n_ops = sizeof(ops) / sizeof(ops[0]);
    static char rows[128][96];
    static size_t n_rows;
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        harness_ddb(
            &h, "CreateTable",
            KV_SLICE_LIT("{\"TableName\":\"fz\",\"KeySchema\":[{\"AttributeName\":\"pk\","
                         "\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":"
                         "\"RANGE\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
                         "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\","
                         "\"AttributeType\":\"N\"},{\"AttributeName\":\"g\",\"AttributeType\":"
                         "\"S\"},{\"AttributeName\":\"n\",\"AttributeType\":\"N\"}],"
                         "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"gsi\",\"KeySchema\":"
                         "[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],\"Projection\":"
                         "{\"ProjectionType\":\"KEYS_ONLY\"}}],\"LocalSecondaryIndexes\":"
                         "[{\"IndexName\":\"lsi\",\"KeySchema\":[{\"AttributeName\":\"pk\","
                         "\"KeyType\":\"HASH\"},{\"AttributeName\":\"n\",\"KeyType\":"
                         "\"RANGE\"}],\"Projection\":{\"ProjectionType\":\"INCLUDE\","
                         "\"NonKeyAttributes\":[\"x\"]}}],\"BillingMode\":"
                         "\"PAY_PER_REQUEST\",\"StreamSpecification\":{\"StreamEnabled\":true,"
                         "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"},\"Tags\":[{\"Key\":\"team\","
                         "\"Value\":\"blue\"}]}"),
            NULL);
        kv_arena_t *a = kv_arena_new(4096);
        for (size_t i = 0; i < N_POLICIES; i++) {
            users[i].kind = API_PR_USER;
            users[i].arn = KV_SLICE_LIT("arn:aws:iam::000000000000:user/fz");
            users[i].id = KV_SLICE_LIT("AIDAFUZZFUZZFUZZFUZZ");
            users[i].name = KV_SLICE_LIT("fz");
            pol_set_t *set = pol_set_new(1);
            const char *err = NULL;
            pol_t *p =
                policies[i] ? pol_parse(kv_slice_str(policies[i]), POL_IDENTITY, a, &err) : NULL;
            if (policies[i] && (p == NULL || !pol_set_add(set, p)))
                abort();
            users[i].identity = set; /* kept for the process's life */
        }
        kv_arena_free(a);
        for (size_t i = 0; i < api_n_services; i++) {
            const api_service_t *svc = api_services[i];
            bool ddb = strcmp(svc->name, "dynamodb") == 0;
            if (!ddb && strcmp(svc->name, "dynamodbstreams") != 0)
                continue;
            for (size_t o = 0; o < svc->n_ops && n_rows < 128; o++)
                snprintf(rows[n_rows++], sizeof(rows[0]), "%s%s", ddb ? "" : svc->target_prefix,
                         svc->ops[o].name);
        }
        if (n_rows == 0)
            abort();
        ready = 1;
    }
    if (size < 2)
        return 0;
    const api_principal_t *as = &users[data[0] % N_POLICIES];
    const char *op = data[1] < 128 ? ops[data[1] % n_ops] : rows[(data[1] - 128u) % n_rows];
    int st = harness_ddb_as(&h, op, kv_slice(data + 2, size - 2), as, NULL);
    if (st != 200 && st != 400 && st != 413)
        abort();
    if (atomic_load(&h.ctx->m.authz_unchecked) != 0)
        abort(); /* a request of the user answered without an authorization */
    return 0;
}
