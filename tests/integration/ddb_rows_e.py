# SPDX-License-Identifier: Apache-2.0
"""Validation-table rows of package E (issue 17): ExportTableToPointInTime, DescribeExport,
ListExports. Constraint messages follow the API reference's members, lengths, patterns and enum
values in DynamoDB's "1 validation error detected" form; the others are recorded below."""
import re

from ddb_rows import Row

V1 = "1 validation error detected: "
REF = "DynamoDB API reference, ExportTableToPointInTime (member constraints)"


def tarn(ctx, name="v_hash"):
    return f"arn:aws:dynamodb:{ctx.region}:000000000000:table/{name}"


def export(**kw):
    return lambda ctx: dict({"TableArn": tarn(ctx), "S3Bucket": "exports-e"}, **kw)


ROWS = [
    Row("E-001", "TableArn is required", "ValidationException",
        V1 + "Value null at 'tableArn' failed to satisfy constraint: Member must not be null",
        op="ExportTableToPointInTime", params={"S3Bucket": "exports-e"}, source=REF),
    Row("E-002", "S3Bucket is required", "ValidationException",
        V1 + "Value null at 's3Bucket' failed to satisfy constraint: Member must not be null",
        op="ExportTableToPointInTime", params=lambda ctx: {"TableArn": tarn(ctx)}, source=REF),
    Row("E-003", "S3Bucket matches ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$", "ValidationException",
        V1 + "Value '' at 's3Bucket' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$",
        op="ExportTableToPointInTime", params=export(S3Bucket=""),
        source=REF + "; an empty S3Bucket fails on 's3Bucket' (AWS-verified alternator test)"),
    Row("E-004", "ExportFormat is DYNAMODB_JSON or ION", "ValidationException",
        V1 + "Value 'QWERTY' at 'exportFormat' failed to satisfy constraint: Member must "
        "satisfy enum value set: [DYNAMODB_JSON, ION]",
        op="ExportTableToPointInTime", params=export(ExportFormat="QWERTY"),
        source=REF + "; observed (AWS-verified alternator test: ValidationException on "
        "exportFormat)"),
    Row("E-005", "an empty ExportFormat is not in the enum", "ValidationException",
        V1 + "Value '' at 'exportFormat' failed to satisfy constraint: Member must "
        "satisfy enum value set: [DYNAMODB_JSON, ION]",
        op="ExportTableToPointInTime", params=export(ExportFormat=""), source=REF),
    Row("E-006", "ExportType is FULL_EXPORT or INCREMENTAL_EXPORT", "ValidationException",
        V1 + "Value 'PARTIAL' at 'exportType' failed to satisfy constraint: Member must "
        "satisfy enum value set: [FULL_EXPORT, INCREMENTAL_EXPORT]",
        op="ExportTableToPointInTime", params=export(ExportType="PARTIAL"), source=REF),
    Row("E-007", "S3SseAlgorithm is AES256 or KMS", "ValidationException",
        V1 + "Value 'DES' at 's3SseAlgorithm' failed to satisfy constraint: Member must "
        "satisfy enum value set: [AES256, KMS]",
        op="ExportTableToPointInTime", params=export(S3SseAlgorithm="DES"), source=REF),
    Row("E-008", "S3BucketOwner is 12 digits", "ValidationException",
        V1 + "Value 'me' at 's3BucketOwner' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: [0-9]{12}",
        op="ExportTableToPointInTime", params=export(S3BucketOwner="me"), source=REF),
    Row("E-009", "ClientToken has no '$'", "ValidationException",
        V1 + "Value 'a$b' at 'clientToken' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: ^[^\\$]+$",
        op="ExportTableToPointInTime", params=export(ClientToken="a$b"), source=REF),
    Row("E-010", "ExportViewType is NEW_AND_OLD_IMAGES or NEW_IMAGE", "ValidationException",
        V1 + "Value 'OLD' at 'incrementalExportSpecification.exportViewType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [NEW_AND_OLD_IMAGES, NEW_IMAGE]",
        op="ExportTableToPointInTime",
        params=export(ExportType="INCREMENTAL_EXPORT",
                      IncrementalExportSpecification={"ExportFromTime": 1, "ExportViewType": "OLD"}),
        source="DynamoDB API reference, IncrementalExportSpecification"),
    Row("E-011", "two violations are reported together", "ValidationException",
        "2 validation errors detected: Value null at 'tableArn' failed to satisfy constraint: "
        "Member must not be null; Value 'x' at 'exportFormat' failed to satisfy constraint: "
        "Member must satisfy enum value set: [DYNAMODB_JSON, ION]",
        op="ExportTableToPointInTime", params={"S3Bucket": "exports-e", "ExportFormat": "x"},
        source="DynamoDB's validation error form (several constraints in one message)"),
    Row("E-012", "the table must exist", "TableNotFoundException",
        "Table not found: v_missing_e", op="ExportTableToPointInTime",
        params=lambda ctx: {"TableArn": tarn(ctx, "v_missing_e"), "S3Bucket": "exports-e"},
        source="DynamoDB API reference, ExportTableToPointInTime errors; observed (AWS-verified "
        "alternator test: 'TableNotFoundException.*Table not found')"),
    Row("E-013", "the table must have point-in-time recovery on",
        "PointInTimeRecoveryUnavailableException",
        "Point in time recovery is not enabled for table 'v_hash'",
        op="ExportTableToPointInTime", params=export(),
        source="DynamoDB API reference, ExportTableToPointInTime errors "
        "(PointInTimeRecoveryUnavailableException); worded as RestoreTableToPointInTime's"),
    Row("E-014", "ExportArn is required", "ValidationException",
        V1 + "Value null at 'exportArn' failed to satisfy constraint: Member must not be null",
        op="DescribeExport", params={}, source="DynamoDB API reference, DescribeExport"),
    Row("E-015", "ExportArn is at least 37 characters", "ValidationException",
        V1 + "Value 'arn:aws:dynamodb' at 'exportArn' failed to satisfy constraint: Member must "
        "have length between 37 and 1024",
        op="DescribeExport", params={"ExportArn": "arn:aws:dynamodb"},
        source="DynamoDB API reference, DescribeExport (ExportArn: length 37 to 1024)"),
    Row("E-016", "an ARN that names no export", "ValidationException",
        re.compile(r"Invalid Export ARN: arn:aws:dynamodb:[a-z0-9-]+:000000000000:table/"
                   r"nonexistent_table_xyz"), op="DescribeExport",
        params=lambda ctx: {"ExportArn": tarn(ctx, "nonexistent_table_xyz")},
        source="observed (AWS-verified alternator test: 'ValidationException.*Invalid Export ARN')"),
    Row("E-017", "an export that does not exist", "ExportNotFoundException",
        re.compile(r"Export not found: arn:aws:dynamodb:[a-z0-9-]+:000000000000:table/v_hash/"
                   r"export/01234567890123-0123abcd"), op="DescribeExport",
        params=lambda ctx: {"ExportArn": tarn(ctx) + "/export/01234567890123-0123abcd"},
        source="DynamoDB API reference, DescribeExport errors (ExportNotFoundException)"),
    Row("E-018", "MaxResults is at least 1", "ValidationException",
        V1 + "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value "
        "greater than or equal to 1",
        op="ListExports", params={"MaxResults": 0}, source="DynamoDB API reference, ListExports"),
    Row("E-019", "MaxResults is at most 25", "ValidationException",
        V1 + "Value '26' at 'maxResults' failed to satisfy constraint: Member must have value "
        "less than or equal to 25",
        op="ListExports", params={"MaxResults": 26}, source="DynamoDB API reference, ListExports"),
    Row("E-020", "an incremental window shorter than 15 minutes", "InvalidExportTimeException",
        "Difference between export period from time and export period to time should be at least "
        "15 minutes", op="ExportTableToPointInTime",
        params=lambda ctx: {"TableArn": tarn(ctx, "v_pitr_e"), "S3Bucket": "exports-e",
                            "ExportType": "INCREMENTAL_EXPORT",
                            "IncrementalExportSpecification": {"ExportFromTime": 1700000000,
                                                               "ExportToTime": 1700000002}},
        setup=lambda ctx: ctx.ddb.update_continuous_backups(
            TableName="v_pitr_e",
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}),
        source="DynamoDB developer guide, incremental export (15 minutes to 24 hours); observed "
        "(AWS-verified alternator test: 'InvalidExportTimeException.*Difference between export "
        "period')"),
]

TABLES = [
    dict(TableName="v_pitr_e", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
         BillingMode="PAY_PER_REQUEST"),
]
