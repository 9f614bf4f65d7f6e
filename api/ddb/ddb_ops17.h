/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 17's DynamoDB operations, one block per package: XX(WireName, c_name) rows as in
 * DDB_OP_MAP (ddb_ops.h), which ends with DDB_OP_MAP_17. Each row needs ddb_decode_<op>,
 * ddb_authz_<op>, ddb_exec_<op>, ddb_encode_<op> and the ddb_<op>_in_t/_out_t types.
 */
#ifndef DDB_OPS17_H
#define DDB_OPS17_H

/* issue 17, package E (export): ExportTableToPointInTime, DescribeExport, ListExports */
#define DDB_OP_MAP_17E(XX)

/* issue 17, package I (import): ImportTable, DescribeImport, ListImports */
#define DDB_OP_MAP_17I(XX)              \
    XX(ImportTable, import_table)       \
    XX(DescribeImport, describe_import) \
    XX(ListImports, list_imports)

/* issue 17, package S (API shape): global tables, contributor insights, Kinesis destinations */
#define DDB_OP_MAP_17S(XX)

#define DDB_OP_MAP_17(XX) DDB_OP_MAP_17E(XX) DDB_OP_MAP_17I(XX) DDB_OP_MAP_17S(XX)

#endif
