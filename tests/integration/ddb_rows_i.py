# SPDX-License-Identifier: Apache-2.0
"""Validation-table rows of ImportTable, DescribeImport and ListImports (issue 17, package I)."""
import re

from ddb_rows import Row

API = "DynamoDB API reference, ImportTable/DescribeImport/ListImports (member constraints)"
OBS = "observed DynamoDB behaviour as recorded by ScyllaDB's test/alternator/test_import.py"


def _imp(**over):
    p = {"ClientToken": "tok", "S3BucketSource": {"S3Bucket": "src-bucket", "S3KeyPrefix": "p/"},
         "InputFormat": "DYNAMODB_JSON",
         "TableCreationParameters": {
             "TableName": "i_rows", "BillingMode": "PAY_PER_REQUEST",
             "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}}
    for k, v in over.items():
        if v is None:
            p.pop(k, None)
        elif isinstance(v, dict) and isinstance(p.get(k), dict):
            p[k] = {**p[k], **v}
        else:
            p[k] = v
    return p


ROWS = [
    Row("I-001", "ImportTable without a ClientToken (boto3 invents one; DynamoDB requires it)",
        "ValidationException",
        "1 validation error detected: Value null at 'clientToken' failed to satisfy constraint: "
        "Member must not be null",
        call=lambda ctx: ctx.error_of(ctx.post("DynamoDB_20120810.ImportTable",
                                               _imp(ClientToken=None))[2]),
        source=OBS),
    Row("I-002", "a ClientToken with a '$'", "ValidationException",
        "1 validation error detected: Value 'a$b' at 'clientToken' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[^\\$]+$",
        op="ImportTable", params=lambda ctx: _imp(ClientToken="a$b"), source=API),
    Row("I-003", "an InputFormat outside the enum", "ValidationException",
        "1 validation error detected: Value 'XML' at 'inputFormat' failed to satisfy constraint: "
        "Member must satisfy enum value set: [DYNAMODB_JSON, ION, CSV]",
        op="ImportTable", params=lambda ctx: _imp(InputFormat="XML"), source=API),
    Row("I-004", "an InputCompressionType outside the enum", "ValidationException",
        "1 validation error detected: Value 'BZIP2' at 'inputCompressionType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [GZIP, ZSTD, NONE]",
        op="ImportTable", params=lambda ctx: _imp(InputCompressionType="BZIP2"), source=API),
    Row("I-005", "an S3Bucket over 255 characters", "ValidationException",
        re.compile(r"1 validation error detected: Value 'x+' at 's3BucketSource\.s3Bucket' failed "
                   r"to satisfy constraint: Member must have length less than or equal to 255"),
        op="ImportTable", params=lambda ctx: _imp(S3BucketSource={"S3Bucket": "x" * 256}),
        source=API),
    Row("I-006", "an S3Bucket with characters outside its pattern", "ValidationException",
        "1 validation error detected: Value '-nope!' at 's3BucketSource.s3Bucket' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
        "^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$",
        op="ImportTable", params=lambda ctx: _imp(S3BucketSource={"S3Bucket": "-nope!"}),
        source=API),
    Row("I-007", "an S3KeyPrefix over 1024 characters", "ValidationException",
        re.compile(r"1 validation error detected: Value 'p+' at 's3BucketSource\.s3KeyPrefix' "
                   r"failed to satisfy constraint: Member must have length less than or equal to "
                   r"1024"),
        op="ImportTable", params=lambda ctx: _imp(S3BucketSource={"S3KeyPrefix": "p" * 1025}),
        source=API),
    Row("I-008", "an S3BucketOwner that is not 12 digits", "ValidationException",
        "1 validation error detected: Value '12ab' at 's3BucketSource.s3BucketOwner' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [0-9]{12}",
        op="ImportTable", params=lambda ctx: _imp(S3BucketSource={"S3BucketOwner": "12ab"}),
        source=API),
    Row("I-009", "a table name too long, under tableCreationParameters", "ValidationException",
        re.compile(r"1 validation error detected: Value 'n+' at 'tableCreationParameters\.tableName' "
                   r"failed to satisfy constraint: Member must have length less than or equal to 255"),
        op="ImportTable",
        params=lambda ctx: _imp(TableCreationParameters={"TableName": "n" * 256}), source=OBS),
    Row("I-010", "CSV options with another InputFormat", "ValidationException",
        "One or more parameter values were invalid: InputFormatOptions is only supported for the "
        "CSV InputFormat",
        op="ImportTable", params=lambda ctx: _imp(InputFormatOptions={"Csv": {"Delimiter": ","}}),
        source=OBS + " (the wording is Stratus's: the record names only the member)"),
    Row("I-011", "a CSV delimiter outside its pattern", "ValidationException",
        "1 validation error detected: Value '#' at 'inputFormatOptions.csv.delimiter' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [,;:|\\t ]",
        op="ImportTable",
        params=lambda ctx: _imp(InputFormat="CSV", InputFormatOptions={"Csv": {"Delimiter": "#"}}),
        source=API),
    Row("I-012", "key attributes not in AttributeDefinitions", "ValidationException",
        "One or more parameter values were invalid: Some index key attributes are not defined in "
        "AttributeDefinitions. Keys: [pk], AttributeDefinitions: [other]",
        op="ImportTable", params=lambda ctx: _imp(TableCreationParameters={
            "AttributeDefinitions": [{"AttributeName": "other", "AttributeType": "S"}]}),
        source="CreateTable's message (ImportTable validates TableCreationParameters as CreateTable)"),
    Row("I-013", "ImportTable into an existing table", "ResourceInUseException",
        "Table already exists: v_hash", op="ImportTable",
        params=lambda ctx: _imp(TableCreationParameters={"TableName": "v_hash"}), source=OBS),
    Row("I-014", "DescribeImport of an import that does not exist", "ImportNotFoundException",
        re.compile(r"Import not found: .*"), op="DescribeImport",
        params={"ImportArn": "arn:aws:dynamodb:us-east-1:000000000000:table/v_hash/import/"
                             "01234567890123-0badf00d"}, source=OBS),
    Row("I-015", "DescribeImport of a malformed import ARN", "ValidationException",
        "Invalid Import ARN", op="DescribeImport",
        params={"ImportArn": "arn:aws:dynamodb:us-east-1:000000000000:table/x/import/"
                             "01658528578619-c4d4e311"}, source=OBS),
    Row("I-016", "ListImports PageSize over 25", "ValidationException",
        "1 validation error detected: Value '26' at 'pageSize' failed to satisfy constraint: "
        "Member must have value less than or equal to 25",
        op="ListImports", params={"PageSize": 26}, source=API + "; " + OBS),
    Row("I-017", "ListImports with a NextToken it never gave", "ValidationException",
        "Invalid NextToken", op="ListImports", params={"NextToken": "0" * 112}, source=OBS),
]
