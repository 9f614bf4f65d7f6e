# SPDX-License-Identifier: Apache-2.0
"""Validation-table rows the existing code already answered (the lead's examples)."""
from ddb_rows import Row

ROWS = [
    Row("L-001", "a table that does not exist", "ResourceNotFoundException",
        "Requested resource not found", op="GetItem",
        params={"TableName": "v_missing", "Key": {"pk": {"S": "a"}}},
        source="DynamoDB API reference, GetItem errors; observed"),
    Row("L-002", "a key attribute of the wrong type", "ValidationException",
        "The provided key element does not match the schema", op="GetItem",
        params={"TableName": "v_hash", "Key": {"pk": {"N": "1"}}},
        source="DynamoDB developer guide, error handling; observed"),
]


def _old_signature(ctx):
    st, _, body = ctx.post("DynamoDB_20120810.ListTables", {}, amz_date="20200101T000000Z")
    return (st,) + ctx.error_of(body)


ROWS.append(Row("L-003", "a signature dated long ago (the row the raw-request helper is checked by)",
                "InvalidSignatureException", None, call=_old_signature,
                source="AWS SigV4 documentation: requests are valid for 5 minutes"))
