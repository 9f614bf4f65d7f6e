# SPDX-License-Identifier: Apache-2.0
"""Validation-table rows of issue 17's package V2: AWS's checks of request parameters, keys,
limits, signatures, tags and transactions (expressions and legacy conditions are V1's).

Sources: "API reference" is the DynamoDB API reference page of the operation; "recorded" means
DynamoDB's answer as recorded by others against the real service (dynalite's test suite, the
ack-api-quirks DynamoDB catalogue, Alternator's DynamoDB-compatibility tests, re:Post threads).
"""
import base64
import json
import re

from ddb_rows import Row

CT = "The provided starting key"
NUM = {"TableName": "v_hash"}


def _key(pk):
    return {"pk": {"S": pk}}


def _range_table_item(pk, sk):
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def _arn(ctx, table="v_hash"):
    if "arn_" + table not in ctx.vars:
        ctx.vars["arn_" + table] = ctx.ddb.describe_table(TableName=table)["Table"]["TableArn"]
    return ctx.vars["arn_" + table]


def _tag(**kw):
    return lambda ctx: dict(ResourceArn=_arn(ctx), **kw)


def _raw(target, body, **kw):
    def call(ctx):
        st, _, out = ctx.post("DynamoDB_20120810." + target, body, **kw)
        return (st,) + ctx.error_of(out)
    return call


def _signed_at(amz_date):
    def call(ctx):
        st, _, out = ctx.post("DynamoDB_20120810.ListTables", {}, amz_date=amz_date)
        return (st,) + ctx.error_of(out)
    return call


def _bad_signature(ctx):
    from botocore.credentials import Credentials
    real = ctx.creds
    ctx.creds = Credentials(real.access_key, real.secret_key + "x")
    try:
        st, _, out = ctx.post("DynamoDB_20120810.ListTables", {})
    finally:
        ctx.creds = real
    return (st,) + ctx.error_of(out)


def _unknown_key(ctx):
    from botocore.credentials import Credentials
    real = ctx.creds
    ctx.creds = Credentials("AKIDNOSUCHKEY0000000", real.secret_key)
    try:
        st, _, out = ctx.post("DynamoDB_20120810.ListTables", {})
    finally:
        ctx.creds = real
    return (st,) + ctx.error_of(out)


def _big_txn(ctx):
    """Eleven puts of ~390 KB each: over the 4 MB a transaction may write."""
    blob = "x" * (390 * 1024)
    return {"TransactItems": [{"Put": {"TableName": "v_hash", "Item": {"pk": {"S": f"big{i}"}, "b": {"S": blob}}}}
                              for i in range(11)]}


def _seed_range(ctx):
    if ctx.vars.get("v2_seeded"):
        return
    for i in range(3):
        ctx.ddb.put_item(TableName="v_range", Item=_range_table_item("p", i))
    ctx.ddb.put_item(TableName="v_hash", Item=_key("seed"))
    ctx.vars["v2_seeded"] = True


def _segment_start(ctx):
    """A parallel Scan started from a key of another segment: find one by scanning segment 0 of 2."""
    for i in range(40):
        ctx.ddb.put_item(TableName="v_hash", Item=_key(f"seg{i}"))
    got = ctx.ddb.scan(TableName="v_hash", Segment=0, TotalSegments=2)["Items"]
    return {"TableName": "v_hash", "Segment": 1, "TotalSegments": 2, "ExclusiveStartKey": {"pk": got[0]["pk"]}}


def _update_too_big(ctx):
    ctx.ddb.put_item(TableName="v_hash", Item={"pk": {"S": "grow"}, "a": {"S": "x" * (300 * 1024)}})
    return {"TransactItems": [
        {"Update": {"TableName": "v_hash", "Key": _key("grow"), "UpdateExpression": "SET b = :b",
                    "ExpressionAttributeValues": {":b": {"S": "y" * (200 * 1024)}}}},
        {"Put": {"TableName": "v_hash", "Item": _key("other")}}]}


def _txn_reasons(ctx):
    params = _update_too_big(ctx)
    from botocore.exceptions import ClientError
    try:
        ctx.ddb._make_api_call("TransactWriteItems", params)
    except ClientError as e:
        reasons = e.response.get("CancellationReasons") or []
        codes = [r.get("Code") for r in reasons]
        return e.response["Error"]["Code"], e.response["Error"]["Message"] + " " + json.dumps(codes)
    return None


VAL = "ValidationException"
ONE = "1 validation error detected: "

ROWS = [
    # ---- 1. what the decoders checked already (the inventory) ----
    Row("V2-001", "a missing TableName", VAL,
        ONE + "Value null at 'tableName' failed to satisfy constraint: Member must not be null",
        op="DescribeTable", params={}, source="API reference, DescribeTable (TableName required); recorded"),
    Row("V2-002", "a table name shorter than 3", VAL,
        ONE + "Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
        op="DescribeTable", params={"TableName": "ab"}, source="API reference, TableName constraints; recorded"),
    Row("V2-003", "a table name with a character outside [a-zA-Z0-9_.-]", VAL,
        ONE + "Value 'a b c' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        op="DescribeTable", params={"TableName": "a b c"}, source="API reference, TableName pattern; recorded"),
    Row("V2-004", "an empty table name: two violations, length then pattern", VAL,
        "2 validation errors detected: Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; "
        "Value '' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        op="DescribeTable", params={"TableName": ""}, source="recorded (ack-api-quirks DDB-TABLE-457, describe_table_empty_name)"),
    Row("V2-005", "a table name longer than 255", VAL,
        ONE + "Value '" + "a" * 256 + "' at 'tableName' failed to satisfy constraint: Member must have length less than or equal to 255",
        op="DescribeTable", params={"TableName": "a" * 256}, source="API reference, TableName constraints"),
    Row("V2-006", "ListTables Limit 0", VAL,
        ONE + "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        op="ListTables", params={"Limit": 0}, source="recorded (ack-api-quirks DDB-TABLE-457, list_tables_limit0)"),
    Row("V2-007", "ListTables Limit over 100", VAL,
        ONE + "Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
        op="ListTables", params={"Limit": 101}, source="API reference, ListTables Limit 1-100"),
    Row("V2-008", "a wrong JSON type for a string member", "SerializationException",
        "NUMBER_VALUE cannot be converted to String",
        call=_raw("DescribeTable", {"TableName": 5}), source="observed DynamoDB behaviour (Coral's JSON reader)"),
    Row("V2-009", "CreateTable with an empty KeySchema entry: two violations", VAL,
        "2 validation errors detected: Value null at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must not be null; "
        "Value null at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must not be null",
        op="CreateTable", params={"TableName": "v2_ct", "KeySchema": [{}], "BillingMode": "PAY_PER_REQUEST",
                                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]},
        source="recorded (ack-api-quirks DDB-TABLE-457, ct_keyschema_empty_entry)"),
    Row("V2-010", "CreateTable with an unknown BillingMode", VAL,
        ONE + "Value '' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
        op="CreateTable", params={"TableName": "v2_ct", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": ""},
        source="recorded (ack-api-quirks DDB-TABLE-457, ct_billing_empty)"),
    Row("V2-011", "CreateTable whose first key is not HASH", VAL,
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        op="CreateTable", params={"TableName": "v2_ct", "KeySchema": [{"AttributeName": "pk", "KeyType": "RANGE"}],
                                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                  "BillingMode": "PAY_PER_REQUEST"},
        source="recorded (ack-api-quirks message catalogue)"),
    Row("V2-012", "CreateTable with one attribute name for both keys", VAL,
        "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        op="CreateTable", params={"TableName": "v2_ct", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                     {"AttributeName": "pk", "KeyType": "RANGE"}],
                                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                  "BillingMode": "PAY_PER_REQUEST"},
        source="recorded (ack-api-quirks message catalogue; dynalite tests)"),
    Row("V2-013", "CreateTable with more definitions than keys", VAL,
        "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        op="CreateTable", params={"TableName": "v2_ct", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                                           {"AttributeName": "x", "AttributeType": "S"}],
                                  "BillingMode": "PAY_PER_REQUEST"},
        source="recorded (ack-api-quirks message catalogue)"),
    Row("V2-014", "CreateTable PAY_PER_REQUEST with ProvisionedThroughput", VAL,
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        op="CreateTable", params={"TableName": "v2_ct", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                  "BillingMode": "PAY_PER_REQUEST",
                                  "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
        source="DynamoDB developer guide, read/write capacity mode; recorded"),
    Row("V2-015", "ProvisionedThroughput of 0", VAL,
        ONE + "Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1",
        op="CreateTable", params={"TableName": "v2_ct", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                  "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 1}},
        source="API reference, ProvisionedThroughput (minimum 1)"),
    Row("V2-016", "a StreamViewType outside the enum", VAL,
        re.compile(re.escape(ONE + "Value 'ALL' at 'streamSpecification.streamViewType' failed to satisfy constraint: "
                             "Member must satisfy enum value set: [") + ".*\\]"),
        op="UpdateTable", params={"TableName": "v_hash", "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "ALL"}},
        source="recorded (ack-api-quirks DDB-TABLE-457, ut_stream_viewtype_empty; the set's order varies)"),
    Row("V2-017", "UpdateTable with an empty GlobalSecondaryIndexUpdates", VAL,
        "One or more parameter values were invalid: List of GlobalSecondaryIndexUpdates is empty",
        op="UpdateTable", params={"TableName": "v_hash", "GlobalSecondaryIndexUpdates": []},
        source="recorded (ack-api-quirks message catalogue)"),
    Row("V2-018", "an unknown ReturnConsumedCapacity", VAL,
        ONE + "Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
        op="GetItem", params={"TableName": "v_hash", "Key": _key("a"), "ReturnConsumedCapacity": "ALL"},
        source="API reference, ReturnConsumedCapacity; dynalite tests"),
    Row("V2-019", "an unknown ReturnItemCollectionMetrics", VAL,
        ONE + "Value 'ALL' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]",
        op="PutItem", params={"TableName": "v_hash", "Item": _key("a"), "ReturnItemCollectionMetrics": "ALL"},
        source="API reference, ReturnItemCollectionMetrics; dynalite tests"),
    Row("V2-020", "an unknown ReturnValues", VAL,
        ONE + "Value 'SOME' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
        op="PutItem", params={"TableName": "v_hash", "Item": _key("a"), "ReturnValues": "SOME"},
        source="API reference, ReturnValues; dynalite tests"),
    Row("V2-021", "PutItem ReturnValues other than NONE or ALL_OLD", VAL,
        "ReturnValues can only be ALL_OLD or NONE",
        op="PutItem", params={"TableName": "v_hash", "Item": _key("a"), "ReturnValues": "ALL_NEW"},
        source="API reference, PutItem ReturnValues; dynalite tests"),
    Row("V2-022", "DeleteItem ReturnValues other than NONE or ALL_OLD", VAL,
        "ReturnValues can only be ALL_OLD or NONE",
        op="DeleteItem", params={"TableName": "v_hash", "Key": _key("a"), "ReturnValues": "UPDATED_NEW"},
        source="API reference, DeleteItem ReturnValues; dynalite tests"),
    Row("V2-023", "PutItem without Item", VAL,
        ONE + "Value null at 'item' failed to satisfy constraint: Member must not be null",
        op="PutItem", params={"TableName": "v_hash"}, source="API reference, PutItem (Item required)"),
    Row("V2-024", "GetItem without Key", VAL,
        ONE + "Value null at 'key' failed to satisfy constraint: Member must not be null",
        op="GetItem", params={"TableName": "v_hash"}, source="API reference, GetItem (Key required)"),
    Row("V2-025", "ListTables with an empty ExclusiveStartTableName: pattern, then length", VAL,
        "2 validation errors detected: Value '' at 'exclusiveStartTableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
        "Value '' at 'exclusiveStartTableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
        op="ListTables", params={"ExclusiveStartTableName": ""},
        source="recorded (ack-api-quirks DDB-TABLE-457, list_tables_start_empty)"),
    Row("V2-026", "Query Limit 0", VAL,
        ONE + "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        op="Query", params={"TableName": "v_hash", "KeyConditionExpression": "pk = :p", "Limit": 0,
                            "ExpressionAttributeValues": {":p": {"S": "a"}}},
        source="API reference, Query Limit (minimum 1)"),
    Row("V2-027", "Scan Limit below 0", VAL,
        ONE + "Value '-1' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        op="Scan", params={"TableName": "v_hash", "Limit": -1}, source="API reference, Scan Limit (minimum 1)"),
    Row("V2-028", "TotalSegments over 1000000", VAL,
        ONE + "Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000",
        op="Scan", params={"TableName": "v_hash", "Segment": 0, "TotalSegments": 1000001},
        source="API reference, Scan TotalSegments (1-1000000)"),
    Row("V2-029", "Segment not below TotalSegments", VAL,
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 2 is not less than TotalSegments: 2",
        op="Scan", params={"TableName": "v_hash", "Segment": 2, "TotalSegments": 2},
        source="recorded (dynalite tests)"),
    Row("V2-030", "Segment without TotalSegments", VAL,
        "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        op="Scan", params={"TableName": "v_hash", "Segment": 0}, source="recorded (dynalite tests)"),
    Row("V2-031", "TotalSegments without Segment", VAL,
        "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        op="Scan", params={"TableName": "v_hash", "TotalSegments": 2}, source="recorded (dynalite tests)"),
    Row("V2-032", "a Select outside the enum", VAL,
        ONE + "Value 'SOME' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
        op="Scan", params={"TableName": "v_hash", "Select": "SOME"}, source="API reference, Scan Select; dynalite tests"),
    Row("V2-033", "an index name shorter than 3", VAL,
        ONE + "Value 'ab' at 'indexName' failed to satisfy constraint: Member must have length greater than or equal to 3",
        op="Scan", params={"TableName": "v_range", "IndexName": "ab"}, source="API reference, IndexName constraints"),
    Row("V2-034", "an index the table does not have", VAL,
        "The table does not have the specified index: nope",
        op="Scan", params={"TableName": "v_range", "IndexName": "nope"}, source="recorded (dynalite tests)"),
    Row("V2-035", "ConsistentRead on a global secondary index", VAL,
        "Consistent reads are not supported on global secondary indexes",
        op="Scan", params={"TableName": "v_range", "IndexName": "gsi", "ConsistentRead": True},
        source="DynamoDB developer guide, GSI read consistency; dynalite tests"),

    # ---- 2. AttributesToGet ----
    Row("V2-036", "GetItem AttributesToGet naming one attribute twice", VAL,
        "One or more parameter values were invalid: Duplicate value in attribute name: a",
        op="GetItem", params={"TableName": "v_hash", "Key": _key("a"), "AttributesToGet": ["a", "b", "a"]},
        source="recorded (dynalite tests of GetItem)"),
    Row("V2-037", "Scan AttributesToGet naming one attribute twice", VAL,
        "One or more parameter values were invalid: Duplicate value in attribute name: a",
        op="Scan", params={"TableName": "v_hash", "AttributesToGet": ["a", "a"]}, source="recorded (dynalite tests of Scan)"),
    Row("V2-038", "Query AttributesToGet naming one attribute twice", VAL,
        "One or more parameter values were invalid: Duplicate value in attribute name: x",
        op="Query", params={"TableName": "v_hash", "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
                            "AttributesToGet": ["x", "y", "x"]},
        source="recorded (dynalite tests of Query)"),
    Row("V2-039", "BatchGetItem AttributesToGet naming one attribute twice", VAL,
        "One or more parameter values were invalid: Duplicate value in attribute name: a",
        op="BatchGetItem", params={"RequestItems": {"v_hash": {"Keys": [_key("a")], "AttributesToGet": ["a", "a"]}}},
        source="recorded (dynalite tests of BatchGetItem)"),
    Row("V2-040", "AttributesToGet of 20 names with one repeated (the sorted path)", VAL,
        "One or more parameter values were invalid: Duplicate value in attribute name: n7",
        op="GetItem", params={"TableName": "v_hash", "Key": _key("a"),
                              "AttributesToGet": [f"n{i}" for i in range(19)] + ["n7"]},
        source="recorded (dynalite tests; the same check on a longer list)"),
    Row("V2-041", "an empty AttributesToGet", VAL,
        ONE + "Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
        op="GetItem", params={"TableName": "v_hash", "Key": _key("a"), "AttributesToGet": []},
        source="API reference, AttributesToGet (minimum 1 item)"),

    # ---- 3. Select with projections ----
    Row("V2-042", "Select SPECIFIC_ATTRIBUTES without a projection", VAL,
        ONE + "Value null at 'projectionExpression' failed to satisfy constraint: Member must not be null when Select is SPECIFIC_ATTRIBUTES",
        op="Scan", params={"TableName": "v_hash", "Select": "SPECIFIC_ATTRIBUTES"}, source="observed DynamoDB behaviour"),
    Row("V2-043", "Select ALL_ATTRIBUTES with AttributesToGet (Scan)", VAL,
        "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES",
        op="Scan", params={"TableName": "v_hash", "Select": "ALL_ATTRIBUTES", "AttributesToGet": ["a"]},
        source="recorded (dynalite tests of Scan)"),
    Row("V2-044", "Select COUNT with AttributesToGet (Scan)", VAL,
        "Cannot specify the AttributesToGet when choosing to get only the Count",
        op="Scan", params={"TableName": "v_hash", "Select": "COUNT", "AttributesToGet": ["a"]},
        source="recorded (dynalite tests of Scan)"),
    Row("V2-045", "Select ALL_ATTRIBUTES with a ProjectionExpression (Query)", VAL,
        ONE + "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES",
        op="Query", params={"TableName": "v_hash", "KeyConditionExpression": "pk = :p", "Select": "ALL_ATTRIBUTES",
                            "ProjectionExpression": "a", "ExpressionAttributeValues": {":p": {"S": "a"}}},
        source="observed DynamoDB behaviour (Query prefixes the count)"),
    Row("V2-046", "Select ALL_PROJECTED_ATTRIBUTES without an index (Scan)", VAL,
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        op="Scan", params={"TableName": "v_hash", "Select": "ALL_PROJECTED_ATTRIBUTES"}, source="recorded (dynalite tests of Scan)"),
    Row("V2-047", "Select ALL_ATTRIBUTES on a GSI that does not project all", VAL,
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index gsi because its projection type is not ALL",
        op="Query", params={"TableName": "v_range", "IndexName": "gsi", "Select": "ALL_ATTRIBUTES",
                            "KeyConditionExpression": "gk = :g", "ExpressionAttributeValues": {":g": {"S": "a"}}},
        source="recorded (dynalite tests of Query)"),

    # ---- 4. ExclusiveStartKey ----
    Row("V2-048", "a Scan start key missing a key attribute", VAL,
        CT + " is invalid: The provided key element does not match the schema",
        op="Scan", params={"TableName": "v_range", "ExclusiveStartKey": {"pk": {"S": "a"}}},
        source="recorded (dynalite tests of Scan)"),
    Row("V2-049", "a start key of the wrong type", VAL,
        CT + " is invalid: The provided key element does not match the schema",
        op="Scan", params={"TableName": "v_hash", "ExclusiveStartKey": {"pk": {"N": "1"}}},
        source="recorded (dynalite tests of Scan)"),
    Row("V2-050", "a Query start key from another partition", VAL,
        CT + " is outside query boundaries based on provided conditions", setup=_seed_range,
        op="Query", params={"TableName": "v_range", "KeyConditionExpression": "pk = :p",
                            "ExpressionAttributeValues": {":p": {"S": "p"}},
                            "ExclusiveStartKey": _range_table_item("q", 1)},
        source="recorded (dynalite tests: ExclusiveStartKey with out-of-bounds hash key)"),
    Row("V2-051", "a Query start key outside the sort-key condition", VAL,
        CT + " does not match the range key predicate", setup=_seed_range,
        op="Query", params={"TableName": "v_range", "KeyConditionExpression": "pk = :p AND sk > :s",
                            "ExpressionAttributeValues": {":p": {"S": "p"}, ":s": {"N": "5"}},
                            "ExclusiveStartKey": _range_table_item("p", 1)},
        source="recorded (dynalite tests: ExclusiveStartKey with non-matching range key)"),
    Row("V2-052", "a Query start key matching the sort condition from another partition", VAL,
        "The query can return at most one row and cannot be restarted", setup=_seed_range,
        op="Query", params={"TableName": "v_range", "KeyConditionExpression": "pk = :p AND sk < :s",
                            "ExpressionAttributeValues": {":p": {"S": "p"}, ":s": {"N": "5"}},
                            "ExclusiveStartKey": _range_table_item("q", 1)},
        source="recorded (dynalite tests: matching range but non-matching hash key)"),
    Row("V2-053", "a GSI Query start key from another index partition", VAL,
        CT + " is outside query boundaries based on provided conditions",
        op="Query", params={"TableName": "v_range", "IndexName": "gsi", "KeyConditionExpression": "gk = :g",
                            "ExpressionAttributeValues": {":g": {"S": "g1"}},
                            "ExclusiveStartKey": {"pk": {"S": "p"}, "sk": {"N": "1"}, "gk": {"S": "g2"}, "gs": {"N": "1"}}},
        source="recorded (dynalite tests: global hash in ExclusiveStartKey but outside range)"),
    Row("V2-054", "an index start key missing the index's keys", VAL,
        CT + " is invalid",
        op="Query", params={"TableName": "v_range", "IndexName": "gsi", "KeyConditionExpression": "gk = :g",
                            "ExpressionAttributeValues": {":g": {"S": "g1"}},
                            "ExclusiveStartKey": {"pk": {"S": "p"}, "sk": {"N": "1"}}},
        source="recorded (dynalite's Query: a start key missing a key of the table or index)"),
    Row("V2-055", "a parallel Scan start key of another segment", VAL,
        "The provided Exclusive start key does not map to the provided Segment and TotalSegments values.",
        op="Scan", params=_segment_start, source="observed DynamoDB behaviour as recorded by other emulators"),
    Row("V2-056", "a start key value that is not a number", VAL,
        "The parameter cannot be converted to a numeric value: x",
        op="Scan", params={"TableName": "v_range", "ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"N": "x"}}},
        source="recorded (dynalite tests: number errors carry no start-key prefix)"),

    # ---- 5. numbers, sets, keys, sizes, batches, transactions ----
    Row("V2-057", "a number of 39 significant digits", VAL,
        "Attempting to store more than 38 significant digits in a Number",
        op="PutItem", params={"TableName": "v_hash", "Item": {"pk": {"S": "n"}, "n": {"N": "1" * 39}}},
        source="DynamoDB developer guide, Number data type; recorded"),
    Row("V2-058", "a number too large", VAL,
        "Number overflow. Attempting to store a number with magnitude larger than supported range",
        op="PutItem", params={"TableName": "v_hash", "Item": {"pk": {"S": "n"}, "n": {"N": "1e126"}}},
        source="DynamoDB developer guide, Number data type; recorded"),
    Row("V2-059", "a number too small", VAL,
        "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        op="PutItem", params={"TableName": "v_hash", "Item": {"pk": {"S": "n"}, "n": {"N": "1e-131"}}},
        source="DynamoDB developer guide, Number data type; recorded"),
    Row("V2-060", "a number that is not one", VAL,
        "The parameter cannot be converted to a numeric value: 1a",
        op="PutItem", params={"TableName": "v_hash", "Item": {"pk": {"S": "n"}, "n": {"N": "1a"}}},
        source="recorded (dynalite tests)"),
    Row("V2-061", "an empty string key", VAL,
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
        op="PutItem", params={"TableName": "v_hash", "Item": {"pk": {"S": ""}}},
        source="DynamoDB developer guide, empty string and binary values (2020); recorded"),
    Row("V2-062", "an empty binary key", VAL,
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk",
        op="PutItem", params={"TableName": "v_bin", "Item": {"pk": {"B": b""}}},
        source="DynamoDB developer guide, empty string and binary values (2020); recorded"),
    Row("V2-063", "an empty string set", VAL,
        "One or more parameter values were invalid: An string set  may not be empty",
        op="PutItem", params={"TableName": "v_hash", "Item": {"pk": {"S": "s"}, "ss": {"SS": []}}},
        source="recorded (DynamoDB's wording, double space included)"),
    Row("V2-064", "a string set with duplicates", VAL,
        "One or more parameter values were invalid: Input collection [a, a] contains duplicates.",
        op="PutItem", params={"TableName": "v_hash", "Item": {"pk": {"S": "s"}, "ss": {"SS": ["a", "a"]}}},
        source="recorded (dynalite tests)"),
    Row("V2-065", "a partition key over 2048 bytes", VAL,
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
        op="PutItem", params={"TableName": "v_hash", "Item": {"pk": {"S": "k" * 2049}}},
        source="recorded (DynamoDB's wording, missing space included)"),
    Row("V2-066", "a sort key over 1024 bytes", VAL,
        "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
        op="PutItem", params={"TableName": "v_range", "Item": {"pk": {"S": "p"}, "sk": {"N": "1"}, "lsk": {"S": "l" * 1025}}},
        source="recorded (an LSI sort key counts as a range key)"),
    Row("V2-067", "an item over 400 KB", VAL,
        "Item size has exceeded the maximum allowed size",
        op="PutItem", params={"TableName": "v_hash", "Item": {"pk": {"S": "big"}, "a": {"S": "x" * (400 * 1024 + 1)}}},
        source="DynamoDB developer guide, item size limit; recorded"),
    Row("V2-068", "a key with an attribute too many", VAL,
        "The provided key element does not match the schema",
        op="GetItem", params={"TableName": "v_hash", "Key": {"pk": {"S": "a"}, "x": {"S": "b"}}},
        source="recorded (dynalite tests)"),
    Row("V2-069", "BatchGetItem with one key twice", VAL,
        "Provided list of item keys contains duplicates",
        op="BatchGetItem", params={"RequestItems": {"v_hash": {"Keys": [_key("a"), _key("a")]}}},
        source="recorded (dynalite tests of BatchGetItem)"),
    Row("V2-070", "BatchGetItem of 101 keys", VAL,
        "Too many items requested for the BatchGetItem call",
        op="BatchGetItem", params={"RequestItems": {"v_hash": {"Keys": [_key(f"k{i}") for i in range(101)]}}},
        source="API reference, BatchGetItem (100 items)"),
    Row("V2-071", "BatchWriteItem with one key twice", VAL,
        "Provided list of item keys contains duplicates",
        op="BatchWriteItem", params={"RequestItems": {"v_hash": [{"PutRequest": {"Item": _key("a")}},
                                                                 {"DeleteRequest": {"Key": _key("a")}}]}},
        source="recorded (dynalite tests of BatchWriteItem)"),
    Row("V2-072", "BatchWriteItem of 26 requests", VAL,
        ONE + "Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: "
        "[Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
        op="BatchWriteItem", params={"RequestItems": {"v_hash": [{"PutRequest": {"Item": _key(f"k{i}")}} for i in range(26)]}},
        source="recorded (dynalite tests of BatchWriteItem)"),
    Row("V2-073", "BatchWriteItem without RequestItems", VAL,
        ONE + "Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
        call=_raw("BatchWriteItem", {}), source="API reference, BatchWriteItem (RequestItems required)"),
    Row("V2-074", "TransactWriteItems of 101 actions", VAL,
        ONE + "Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100",
        op="TransactWriteItems", params={"TransactItems": [{"ConditionCheck": {"TableName": "v_hash", "Key": _key(f"k{i}"),
                                                                               "ConditionExpression": "attribute_exists(pk)"}}
                                                           for i in range(101)]},
        source="API reference, TransactWriteItems (100 actions)"),
    Row("V2-075", "TransactGetItems without TransactItems", VAL,
        ONE + "Value null at 'transactItems' failed to satisfy constraint: Member must not be null",
        op="TransactGetItems", params={}, source="API reference, TransactGetItems (TransactItems required)"),
    Row("V2-076", "two actions on one item", VAL,
        "Transaction request cannot include multiple operations on one item",
        op="TransactWriteItems", params={"TransactItems": [{"Put": {"TableName": "v_hash", "Item": _key("t")}},
                                                           {"Delete": {"TableName": "v_hash", "Key": _key("t")}}]},
        source="DynamoDB developer guide, transactions; recorded"),
    Row("V2-077", "a transaction over 4 MB", VAL,
        "Transaction request cannot be larger than 4 MB",
        op="TransactWriteItems", params=_big_txn, source="DynamoDB developer guide, transactions (4 MB); recorded"),
    Row("V2-078", "an update that makes an item too big: a cancellation with a ValidationError reason",
        "TransactionCanceledException",
        "Transaction cancelled, please refer cancellation reasons for specific reasons [ValidationError, None] "
        '["ValidationError", "None"]',
        call=_txn_reasons, source="API reference, TransactWriteItems (TransactionCanceledException, ValidationError)"),
    Row("V2-079", "a transaction action on a table that does not exist", "ResourceNotFoundException",
        "Requested resource not found",
        op="TransactWriteItems", params={"TransactItems": [{"Put": {"TableName": "v_nope", "Item": _key("t")}}]},
        source="API reference, TransactWriteItems errors"),

    # ---- 6. signatures ----
    Row("V2-080", "a request signed long ago", "InvalidSignatureException",
        re.compile(r"Signature expired: 20200101T000000Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)"),
        call=_signed_at("20200101T000000Z"), source="re:Post knowledge center, 'Signature expired' (the message's form)"),
    Row("V2-081", "a request signed in the future", "InvalidSignatureException",
        re.compile(r"Signature not yet current: 20991231T000000Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)"),
        call=_signed_at("20991231T000000Z"), source="AWS SigV4 documentation (5 minutes); the message's form as AWS answers"),
    Row("V2-082", "a wrong signature", "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key "
        "and signing method. Consult the service documentation for details.",
        call=_bad_signature, source="recorded (DynamoDB's answer quoted by SDK users)"),
    Row("V2-083", "no Authorization", "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
        call=_raw("ListTables", {}, sign=False), source="recorded"),
    Row("V2-084", "an access key that does not exist", "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        call=_unknown_key, source="recorded"),

    # ---- 7. tags ----
    Row("V2-085", "TagResource with no tags", VAL, "Atleast one Tag needs to be provided as Input.",
        op="TagResource", params=_tag(Tags=[]), source="recorded (ack-api-quirks message catalogue; 'Atleast' is DynamoDB's)"),
    Row("V2-086", "UntagResource with no keys", VAL, "Atleast one Tag Key needs to be provided as Input.",
        op="UntagResource", params=_tag(TagKeys=[]), source="recorded (ack-api-quirks DDB-TABLE-457, untag_empty_list)"),
    Row("V2-087", "a tag without a key", VAL, "The Tag Key provided is invalid, Key: null",
        op="TagResource", params=_tag(Tags=[{"Value": "v"}]), source="recorded (ack-api-quirks DDB-TABLE-457, tag_value_only)"),
    Row("V2-088", "a tag without a value", VAL, "The Tag Value provided is invalid, Value: null",
        op="TagResource", params=_tag(Tags=[{"Key": "k"}]), source="recorded (ack-api-quirks DDB-TABLE-457, tag_key_only)"),
    Row("V2-089", "a tag key of 129 characters", VAL, "The Tag Key provided is invalid, Key: " + "k" * 129,
        op="TagResource", params=_tag(Tags=[{"Key": "k" * 129, "Value": "v"}]), source="recorded (ack-api-quirks catalogue)"),
    Row("V2-090", "a tag value of 257 characters", VAL, "The Tag Value provided is invalid, Value: " + "v" * 257,
        op="TagResource", params=_tag(Tags=[{"Key": "k", "Value": "v" * 257}]), source="recorded (ack-api-quirks catalogue)"),
    Row("V2-091", "a tag key of 128 two-byte characters is fine; 129 is not (characters, not bytes)", VAL,
        "The Tag Key provided is invalid, Key: " + "é" * 129,
        op="TagResource", params=_tag(Tags=[{"Key": "é" * 128, "Value": "v"}, {"Key": "é" * 129, "Value": "v"}]),
        source="API reference, Tag (128 Unicode characters); recorded (Latin-1 letters are allowed)"),
    Row("V2-092", "a tag value with a character outside the allowed set", VAL, "The Tag Value provided is invalid, Value: 100%",
        op="TagResource", params=_tag(Tags=[{"Key": "k", "Value": "100%"}]), source="recorded (ack-api-quirks DDB-TABLE-372)"),
    Row("V2-093", "a tag key with an emoji", VAL, "The Tag Key provided is invalid, Key: key\U0001F511",
        op="TagResource", params=_tag(Tags=[{"Key": "key\U0001F511", "Value": "v"}]), source="recorded (ack-api-quirks DDB-TABLE-372)"),
    Row("V2-094", "a tag key with the reserved aws: prefix", VAL, "Tag Key cannot be prefixed with aws:, Key: aws:foo",
        op="TagResource", params=_tag(Tags=[{"Key": "aws:foo", "Value": "v"}]), source="recorded (ack-api-quirks catalogue)"),
    Row("V2-095", "CreateTable with an aws: tag", VAL, "Tag Key cannot be prefixed with aws:, Key: aws:foo",
        op="CreateTable", params={"TableName": "v2_tagged", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                  "BillingMode": "PAY_PER_REQUEST", "Tags": [{"Key": "aws:foo", "Value": "v"}]},
        source="recorded (ack-api-quirks: CreateTable Tags=[{aws:foo}])"),
    Row("V2-096", "one tag key twice in a request", VAL, "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup",
        op="TagResource", params=_tag(Tags=[{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}]),
        source="recorded (ack-api-quirks catalogue)"),
    Row("V2-097", "51 tags", VAL, "Number of Tags exceed the current limit for the provided ResourceArn",
        op="TagResource", params=_tag(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]),
        source="recorded (ack-api-quirks: the 50-tag limit is a ValidationException)"),
    Row("V2-098", "UntagResource with an empty key", VAL, "The Tag Key provided is invalid, Key: ",
        op="UntagResource", params=_tag(TagKeys=[""]), source="recorded (ack-api-quirks DDB-TABLE-457, untag_empty_key)"),
    Row("V2-099", "an empty tag key in TagResource", VAL,
        ONE + "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
        op="TagResource", params=_tag(Tags=[{"Key": "", "Value": "v"}]), source="recorded (Alternator issue 16904 quoting DynamoDB)"),
]
