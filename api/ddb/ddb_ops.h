/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB operations, each listed once. The router maps X-Amz-Target to a row;
 * metrics and tests use the same table. Each row has ddb_decode_<op>,
 * ddb_exec_<op> and ddb_encode_<op>.
 */
#ifndef DDB_OPS_H
#define DDB_OPS_H

/* XX(WireName, c_name) */
#include "ddb_ops17.h" /* issue 17's operations, one block per package */

#define DDB_OP_MAP(XX)                                            \
    XX(CreateTable, create_table)                                 \
    XX(DeleteTable, delete_table)                                 \
    XX(DescribeTable, describe_table)                             \
    XX(ListTables, list_tables)                                   \
    XX(PutItem, put_item)                                         \
    XX(GetItem, get_item)                                         \
    XX(DeleteItem, delete_item)                                   \
    XX(UpdateItem, update_item)                                   \
    XX(Query, query)                                              \
    XX(Scan, scan)                                                \
    XX(BatchGetItem, batch_get_item)                              \
    XX(BatchWriteItem, batch_write_item)                          \
    XX(TagResource, tag_resource)                                 \
    XX(UntagResource, untag_resource)                             \
    XX(ListTagsOfResource, list_tags_of_resource)                 \
    XX(DescribeLimits, describe_limits)                           \
    XX(DescribeEndpoints, describe_endpoints)                     \
    XX(UpdateTable, update_table)                                 \
    XX(UpdateContinuousBackups, update_continuous_backups)        \
    XX(DescribeContinuousBackups, describe_continuous_backups)    \
    XX(TransactWriteItems, transact_write_items)                  \
    XX(TransactGetItems, transact_get_items)                      \
    XX(CreateBackup, create_backup)                               \
    XX(DescribeBackup, describe_backup)                           \
    XX(ListBackups, list_backups)                                 \
    XX(DeleteBackup, delete_backup)                               \
    XX(RestoreTableFromBackup, restore_table_from_backup)         \
    XX(RestoreTableToPointInTime, restore_table_to_point_in_time) \
    XX(UpdateTimeToLive, update_time_to_live)                     \
    XX(DescribeTimeToLive, describe_time_to_live)                 \
    XX(ExecuteStatement, execute_statement)                       \
    XX(BatchExecuteStatement, batch_execute_statement)            \
    XX(ExecuteTransaction, execute_transaction)                   \
    DDB_OP_MAP_17(XX)

/** ddb_op_t: an operation's index in the service's table (api_service_t.ops). */
typedef enum {
#define XX(Name, name) DDB_OP_##name,
    DDB_OP_MAP(XX)
#undef XX
        DDB_OP__COUNT
} ddb_op_t;

/* The DynamoDB Streams API (X-Amz-Target DynamoDBStreams_20120810.<op>). */
#define STREAMS_OP_MAP(XX)                   \
    XX(ListStreams, list_streams)            \
    XX(DescribeStream, describe_stream)      \
    XX(GetShardIterator, get_shard_iterator) \
    XX(GetRecords, get_records)

/** streams_op_t: an operation's index in the service's table (api_service_t.ops). */
typedef enum {
#define XX(Name, name) STREAMS_OP_##name,
    STREAMS_OP_MAP(XX)
#undef XX
        STREAMS_OP__COUNT
} streams_op_t;

#define DDB_TARGET_PREFIX  "DynamoDB_20120810."
#define DDB_STREAMS_PREFIX "DynamoDBStreams_20120810."

#endif
