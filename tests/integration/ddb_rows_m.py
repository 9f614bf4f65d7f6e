# SPDX-License-Identifier: Apache-2.0
"""Validation-table rows of package M: multi-attribute keys of global secondary indexes (up to
four HASH and four RANGE attributes): the KeySchema checks of CreateTable and UpdateTable, and
the shapes of a Query's key condition on such an index."""
from ddb_rows import Row

# m_multi: pk (S) HASH; GSI m_gsi: h (S), h2 (N) HASH; a (S), b (N), c (B) RANGE.
TABLES = [
    dict(TableName="m_multi", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in
                               (("pk", "S"), ("h", "S"), ("h2", "N"), ("a", "S"), ("b", "N"),
                                ("c", "B"))],
         GlobalSecondaryIndexes=[{
             "IndexName": "m_gsi",
             "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"},
                           {"AttributeName": "h2", "KeyType": "HASH"},
                           {"AttributeName": "a", "KeyType": "RANGE"},
                           {"AttributeName": "b", "KeyType": "RANGE"},
                           {"AttributeName": "c", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}}],
         BillingMode="PAY_PER_REQUEST"),
]

# Where the query-shape messages come from: a conformance suite's test verified against real
# DynamoDB (October 2026) records "RANGE key attributes b must have equality conditions specified
# in the query because a condition is present on key attribute c" for a gap and for a range
# condition before the last attribute named, and the same for skipping the first RANGE attribute;
# floci's PR #2471 records the same text from DynamoDB Local 3.3.1 for KeyConditions too.
OBSERVED = ("observed DynamoDB behaviour as recorded by a conformance suite verified against AWS "
            "(multi-attribute GSI Query tests) and by floci PR #2471 (DynamoDB Local 3.3.1)")
STRATUS = ("developer guide, GSI multi-attribute keys (up to 4 HASH and 4 RANGE attributes, HASH "
           "first); DynamoDB's exact wording is not recorded: Stratus's, in DynamoDB's style")


def q(kce, values, **kw):
    p = {"TableName": "m_multi", "IndexName": "m_gsi", "KeyConditionExpression": kce,
         "ExpressionAttributeValues": values}
    p.update(kw)
    return p


H = {":h": {"S": "x"}, ":h2": {"N": "1"}}


def vals(**kw):
    d = dict(H)
    d.update({":" + k: v for k, v in kw.items()})
    return d


def range_msg(prior, later):
    return ("RANGE key attributes %s must have equality conditions specified in the query because "
            "a condition is present on key attribute %s" % (prior, later))


def ks(*spec):
    out, kind = [], "HASH"
    for s in spec:
        if s == "|":
            kind = "RANGE"
        else:
            out.append({"AttributeName": s, "KeyType": kind})
    return out


def create(name, keys, defs=None):
    names = defs or sorted({k["AttributeName"] for k in keys} | {"pk"})
    return {"TableName": name, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in names],
            "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": keys,
                                        "Projection": {"ProjectionType": "ALL"}}],
            "BillingMode": "PAY_PER_REQUEST"}


ROWS = [
    # ---- Query key-condition shapes ----
    Row("M-001", "a condition on a later RANGE attribute skips the first", "ValidationException",
        range_msg("a", "b"), op="Query",
        params=q("h = :h AND h2 = :h2 AND b = :b", vals(b={"N": "1"})), source=OBSERVED),
    Row("M-002", "a gap in the RANGE attributes", "ValidationException", range_msg("b", "c"),
        op="Query", params=q("h = :h AND h2 = :h2 AND a = :a AND c = :c",
                             vals(a={"S": "a"}, c={"B": b"\x01"})), source=OBSERVED),
    Row("M-003", "a range condition before the last RANGE attribute named",
        "ValidationException", range_msg("a", "b"), op="Query",
        params=q("h = :h AND h2 = :h2 AND a > :a AND b = :b", vals(a={"S": "a"}, b={"N": "1"})),
        source=OBSERVED),
    Row("M-004", "begins_with before the last RANGE attribute named", "ValidationException",
        range_msg("b", "c"), op="Query",
        params=q("h = :h AND h2 = :h2 AND a = :a AND b BETWEEN :lo AND :hi AND c = :c",
                 vals(a={"S": "a"}, lo={"N": "1"}, hi={"N": "2"}, c={"B": b"\x01"})),
        source=OBSERVED),
    Row("M-005", "KeyConditions (legacy) skipping a RANGE attribute", "ValidationException",
        range_msg("a", "b"), op="Query",
        params={"TableName": "m_multi", "IndexName": "m_gsi", "KeyConditions": {
            "h": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]},
            "h2": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]},
            "b": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]}}},
        source=OBSERVED),
    Row("M-006", "a HASH attribute of the index without a condition", "ValidationException",
        "Query condition missed key schema element: h2", op="Query",
        params=q("h = :h AND a = :a", {":h": {"S": "x"}, ":a": {"S": "a"}}),
        source="observed DynamoDB message for a missing partition key (DynamoDB Local 3.3.1 as "
               "recorded by floci PR #2471 names the first HASH attribute missing)"),
    Row("M-007", "a HASH attribute with another operator than =", "ValidationException",
        "Query key condition not supported", op="Query",
        params=q("h = :h AND h2 > :h2", H), source="observed DynamoDB behaviour (partition keys "
                                                    "take only equality)"),
    Row("M-008", "two conditions on one key attribute", "ValidationException",
        "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition "
        "per key", op="Query",
        params=q("h = :h AND h2 = :h2 AND a > :a AND a < :z", vals(a={"S": "a"}, z={"S": "z"})),
        source="observed DynamoDB message (quoted in aws-amplify/amplify-category-api PR #3531)"),
    Row("M-009", "a value of another type than the RANGE attribute's", "ValidationException",
        "One or more parameter values were invalid: Condition parameter type does not match "
        "schema type", op="Query",
        params=q("h = :h AND h2 = :h2 AND a = :a AND b = :b", vals(a={"S": "a"}, b={"S": "1"})),
        source="observed DynamoDB message (DynamoDB Local 3.3.1, floci issue #2467)"),
    Row("M-010", "a value of another type than a HASH attribute's", "ValidationException",
        "One or more parameter values were invalid: Condition parameter type does not match "
        "schema type", op="Query",
        params=q("h = :h AND h2 = :h2", {":h": {"S": "x"}, ":h2": {"S": "1"}}),
        source="observed DynamoDB message (DynamoDB Local 3.3.1, floci issue #2467)"),
    Row("M-011", "begins_with on a number RANGE attribute", "ValidationException",
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
        "operator or function: begins_with, operand type: N", op="Query",
        params=q("h = :h AND h2 = :h2 AND a = :a AND begins_with(b, :b)",
                 vals(a={"S": "a"}, b={"N": "1"})),
        source="observed DynamoDB message for begins_with on a number sort key"),
    Row("M-012", "BETWEEN with its bounds reversed on the last RANGE attribute",
        "ValidationException",
        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater "
        "than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound "
        "operand: AttributeValue: {N:-5}", op="Query",
        params=q("h = :h AND h2 = :h2 AND a = :a AND b BETWEEN :lo AND :hi",
                 vals(a={"S": "a"}, lo={"N": "5"}, hi={"N": "-5"})),
        source="observed DynamoDB message for a reversed BETWEEN on a sort key"),
    Row("M-013", "a condition on an attribute that is not a key of the index",
        "ValidationException", "Query key condition not supported", op="Query",
        params=q("h = :h AND h2 = :h2 AND pk = :p", vals(p={"S": "p"})),
        source="observed DynamoDB behaviour (DynamoDB Local 3.3.1 as recorded by floci PR #2471)"),
    Row("M-014", "OR in the key condition", "ValidationException",
        "Invalid operator used in KeyConditionExpression: OR", op="Query",
        params=q("h = :h AND (h2 = :h2 OR h2 = :h2)", H),
        source="observed DynamoDB message for OR in a KeyConditionExpression"),
    Row("M-015", "ExclusiveStartKey without one of the index's key attributes",
        "ValidationException",
        "The provided starting key is invalid: The provided key element does not match the schema",
        op="Query", params=q("h = :h AND h2 = :h2", H, ExclusiveStartKey={
            "pk": {"S": "p"}, "h": {"S": "x"}, "h2": {"N": "1"}, "a": {"S": "a"}, "b": {"N": "1"}}),
        source="observed DynamoDB message for a starting key that is not the index's"),

    # ---- KeySchema checks ----
    Row("M-020", "more than four HASH attributes", "ValidationException",
        "One or more parameter values were invalid: Index KeySchema has more than 4 HASH key "
        "attributes for index: gsi", op="CreateTable",
        params=create("m_ct20", ks("h1", "h2", "h3", "h4", "h5")), source=STRATUS),
    Row("M-021", "more than four RANGE attributes", "ValidationException",
        "One or more parameter values were invalid: Index KeySchema has more than 4 RANGE key "
        "attributes for index: gsi", op="CreateTable",
        params=create("m_ct21", ks("h", "|", "r1", "r2", "r3", "r4", "r5")), source=STRATUS),
    Row("M-022", "a HASH attribute after a RANGE one", "ValidationException",
        "Invalid KeySchema: A HASH KeySchemaElement follows a RANGE KeySchemaElement",
        op="CreateTable", params=create("m_ct22", [
            {"AttributeName": "h", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"},
            {"AttributeName": "h2", "KeyType": "HASH"}]), source=STRATUS),
    Row("M-023", "one attribute twice in a KeySchema", "ValidationException",
        "Invalid KeySchema: Some KeySchemaElements have the same attribute name: a",
        op="CreateTable", params=create("m_ct23", ks("h", "|", "a", "b", "a")), source=STRATUS),
    Row("M-024", "a multi-attribute KeySchema starting with RANGE", "ValidationException",
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type", op="CreateTable",
        params=create("m_ct24", [
            {"AttributeName": "r", "KeyType": "RANGE"}, {"AttributeName": "h", "KeyType": "HASH"},
            {"AttributeName": "h2", "KeyType": "HASH"}]),
        source="observed DynamoDB message for a KeySchema not starting with HASH"),
    Row("M-025", "a multi-attribute key attribute without an AttributeDefinition",
        "ValidationException",
        "One or more parameter values were invalid: Some index key attributes are not defined in "
        "AttributeDefinitions. Keys: [h, h2, zz], AttributeDefinitions: [h, h2, pk]",
        op="CreateTable", params=create("m_ct25", ks("h", "h2", "|", "zz"), defs=["h", "h2", "pk"]),
        source="observed DynamoDB message for an undefined index key attribute"),
    Row("M-026", "an AttributeDefinition no key uses, beside a multi-attribute key",
        "ValidationException",
        "One or more parameter values were invalid: Some AttributeDefinitions are not used. "
        "AttributeDefinitions: [h, h2, pk, unused], keys used: [h, h2, pk]",
        op="CreateTable", params=create("m_ct26", ks("h", "h2"), defs=["h", "h2", "pk", "unused"]),
        source="observed DynamoDB message for an unused AttributeDefinition"),
    Row("M-027", "a local secondary index keeps one RANGE attribute", "ValidationException",
        "1 validation error detected: Value '[...]' at 'localSecondaryIndexes.1.member.keySchema' "
        "failed to satisfy constraint: Member must have length less than or equal to 2",
        op="CreateTable", params={
            "TableName": "m_ct27",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"}
                                     for n in ("pk", "sk", "a", "b")],
            "LocalSecondaryIndexes": [{"IndexName": "lsi", "KeySchema": ks("pk", "|", "a", "b"),
                                       "Projection": {"ProjectionType": "ALL"}}],
            "BillingMode": "PAY_PER_REQUEST"},
        source="API reference, LocalSecondaryIndex (a local index's sort key is one attribute); "
               "message in the form of DynamoDB's constraint violations"),
    Row("M-028", "UpdateTable Create with more than four RANGE attributes", "ValidationException",
        "One or more parameter values were invalid: Index KeySchema has more than 4 RANGE key "
        "attributes for index: m_new", op="UpdateTable", params={
            "TableName": "m_multi",
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"}
                                     for n in ("h", "r1", "r2", "r3", "r4", "r5")],
            "GlobalSecondaryIndexUpdates": [{"Create": {
                "IndexName": "m_new", "KeySchema": ks("h", "|", "r1", "r2", "r3", "r4", "r5"),
                "Projection": {"ProjectionType": "ALL"}}}]}, source=STRATUS),
    Row("M-029", "an item whose second HASH attribute has the wrong type", "ValidationException",
        "One or more parameter values were invalid: Type mismatch for Index Key h2 Expected: N "
        "Actual: S IndexName: m_gsi", op="PutItem",
        params={"TableName": "m_multi", "Item": {"pk": {"S": "p"}, "h": {"S": "x"},
                                                 "h2": {"S": "1"}}},
        source="observed DynamoDB message for an index key of the wrong type"),
    Row("M-030", "an empty string in a RANGE attribute of the index", "ValidationException",
        "One or more parameter values are not valid. A value specified for a secondary index key "
        "is not supported. The AttributeValue for a key attribute cannot contain an empty string "
        "value. IndexName: m_gsi, IndexKey: a", op="PutItem",
        params={"TableName": "m_multi", "Item": {"pk": {"S": "p"}, "a": {"S": ""}}},
        source="observed DynamoDB message for an empty index key value"),
]
