/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB JSON decoders: the first byte picks the operation, the rest is
 * the (signed) request body, run through the api layer on a temporary engine. A first byte
 * below 128 picks from the list below (the corpus's seeds); from 128 on, from every row of the
 * service table's DynamoDB and Streams operations, by name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static harness_t h;
    static int ready;
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
                                "ListContributorInsights",
                                "UpdateContributorInsights",
                                "DescribeContributorInsights",
                                "ExportTableToPointInTime", /* issue 17, E */
                                "DescribeExport",
                                "ListExports"};
    static const size_t n_ops = sizeof(ops) / sizeof(ops[0]);
    static char rows[128][96]; /* "PutItem", "DynamoDBStreams_20120810.GetRecords", ... */
    static size_t n_rows;
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        /* The table the item seeds use (pk S, sk N), with a GSI on g (S) and an LSI on n (N), so
         * every item write also maintains index entries. */
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
                         "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}}"),
            NULL);
        harness_ddb(&h, "UpdateContinuousBackups",
                    KV_SLICE_LIT("{\"TableName\":\"fz\",\"PointInTimeRecoverySpecification\":"
                                 "{\"PointInTimeRecoveryEnabled\":true}}"),
                    NULL);
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
    if (size < 1)
        return 0;
    const char *op = data[0] < 128 ? ops[data[0] % n_ops] : rows[(data[0] - 128u) % n_rows];
    int st = harness_ddb(&h, op, kv_slice(data + 1, size - 1), NULL);
    if (st != 200 && st != 400 && st != 413)
        abort();
    return 0;
}
