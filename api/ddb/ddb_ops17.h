/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 17's DynamoDB operations, one block per package: XX(WireName, c_name) rows as in
 * DDB_OP_MAP (ddb_ops.h), which ends with DDB_OP_MAP_17. Each row needs ddb_decode_<op>,
 * ddb_authz_<op>, ddb_exec_<op>, ddb_encode_<op> and the ddb_<op>_in_t/_out_t types.
 */
#ifndef DDB_OPS17_H
#define DDB_OPS17_H

/* issue 17, package E (export): ExportTableToPointInTime, DescribeExport, ListExports */
#define DDB_OP_MAP_17E(XX)                                      \
    XX(ExportTableToPointInTime, export_table_to_point_in_time) \
    XX(DescribeExport, describe_export)                         \
    XX(ListExports, list_exports)
/* (their types, completed in package E's block of ddb_int.h, precede the prototypes) */
typedef struct ddb_export_in ddb_export_table_to_point_in_time_in_t;
typedef struct ddb_export_out ddb_export_table_to_point_in_time_out_t;
typedef struct ddb_describe_export_in ddb_describe_export_in_t;
typedef struct ddb_export_out ddb_describe_export_out_t;
typedef struct ddb_list_exports_in ddb_list_exports_in_t;
typedef struct ddb_list_exports_out ddb_list_exports_out_t;

/* issue 17, package I (import): ImportTable, DescribeImport, ListImports */
#define DDB_OP_MAP_17I(XX)              \
    XX(ImportTable, import_table)       \
    XX(DescribeImport, describe_import) \
    XX(ListImports, list_imports)

/* issue 17, package S (API shape): global tables, contributor insights, Kinesis destinations */
#define DDB_OP_MAP_17S(XX)                                                          \
    XX(CreateGlobalTable, create_global_table)                                      \
    XX(DescribeGlobalTable, describe_global_table)                                  \
    XX(DescribeGlobalTableSettings, describe_global_table_settings)                 \
    XX(UpdateGlobalTable, update_global_table)                                      \
    XX(UpdateGlobalTableSettings, update_global_table_settings)                     \
    XX(ListGlobalTables, list_global_tables)                                        \
    XX(DescribeTableReplicaAutoScaling, describe_table_replica_auto_scaling)        \
    XX(UpdateTableReplicaAutoScaling, update_table_replica_auto_scaling)            \
    XX(DescribeContributorInsights, describe_contributor_insights)                  \
    XX(ListContributorInsights, list_contributor_insights)                          \
    XX(UpdateContributorInsights, update_contributor_insights)                      \
    XX(DescribeKinesisStreamingDestination, describe_kinesis_streaming_destination) \
    XX(EnableKinesisStreamingDestination, enable_kinesis_streaming_destination)     \
    XX(DisableKinesisStreamingDestination, disable_kinesis_streaming_destination)   \
    XX(UpdateKinesisStreamingDestination, update_kinesis_streaming_destination)

#define DDB_OP_MAP_17(XX) DDB_OP_MAP_17E(XX) DDB_OP_MAP_17I(XX) DDB_OP_MAP_17S(XX)

#endif
