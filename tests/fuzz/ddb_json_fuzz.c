/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB JSON decoders: the first byte picks the operation, the rest is
 * the (signed) request body, run through the api layer on a temporary engine.
 */
#include <stdint.h>
#include <stdlib.h>

#include "api_harness.h"

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
                                "UpdateTimeToLive"};
    static const size_t n_ops = sizeof(ops) / sizeof(ops[0]);
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
        ready = 1;
    }
    if (size < 1)
        return 0;
    int st = harness_ddb(&h, ops[data[0] % n_ops], kv_slice(data + 1, size - 1), NULL);
    if (st != 200 && st != 400 && st != 413)
        abort();
    return 0;
}
