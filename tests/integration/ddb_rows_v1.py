# SPDX-License-Identifier: Apache-2.0
"""Validation-table rows of package V1: AWS's checks of expressions (condition, filter, key
condition, update, projection) and of the legacy parameters (Expected, QueryFilter,
ScanFilter, KeyConditions, AttributeUpdates).

Sources: "dynalite" is architect/dynalite's test suite (test/scan.js, query.js, putItem.js,
updateItem.js), which records the answers of real DynamoDB; "observed" are messages quoted
from DynamoDB in SDK tests, issues and posts (named per row)."""
import re

from ddb_rows import Row

DYN_SCAN = "DynamoDB behaviour recorded by dynalite's test/scan.js"
DYN_QUERY = "DynamoDB behaviour recorded by dynalite's test/query.js"
DYN_PUT = "DynamoDB behaviour recorded by dynalite's test/putItem.js"
DYN_UPDATE = "DynamoDB behaviour recorded by dynalite's test/updateItem.js"
API_REF = "DynamoDB API reference / developer guide (expressions)"

ROWS = []


def filt(expr, values=None, names=None, table="v_hash", **extra):
    p = {"TableName": table, "FilterExpression": expr}
    if values is not None:
        p["ExpressionAttributeValues"] = values
    if names is not None:
        p["ExpressionAttributeNames"] = names
    p.update(extra)
    return p


def upd(expr, values=None, names=None, table="v_hash", key=None, **extra):
    p = {"TableName": table, "Key": key or {"pk": {"S": "k"}}, "UpdateExpression": expr}
    if values is not None:
        p["ExpressionAttributeValues"] = values
    if names is not None:
        p["ExpressionAttributeNames"] = names
    p.update(extra)
    return p


def query(kce, values=None, names=None, table="v_range", **extra):
    p = {"TableName": table, "KeyConditionExpression": kce}
    if values is not None:
        p["ExpressionAttributeValues"] = values
    if names is not None:
        p["ExpressionAttributeNames"] = names
    p.update(extra)
    return p


def row(check, message, op, params, source, error="ValidationException"):
    rid = "V1-%03d" % (len(ROWS) + 1)
    ROWS.append(Row(rid, check, error, message, op=op, params=params, source=source))


IF = "Invalid FilterExpression: "
IC = "Invalid ConditionExpression: "
IU = "Invalid UpdateExpression: "
IK = "Invalid KeyConditionExpression: "
IP = "Invalid ProjectionExpression: "
OT = "Incorrect operand type for operator or function; operator or function: %s, operand type: %s"

# ---- 1. what the parser already checked (the rows prove the messages) ----
row("empty FilterExpression", IF + "The expression can not be empty;", "Scan", filt(""), DYN_SCAN)
row("empty ProjectionExpression", IP + "The expression can not be empty;", "GetItem",
    {"TableName": "v_hash", "Key": {"pk": {"S": "k"}}, "ProjectionExpression": ""}, DYN_SCAN)
row("empty UpdateExpression", IU + "The expression can not be empty;", "UpdateItem", upd(""),
    DYN_UPDATE)
row("syntax error names the token and its neighbours",
    IF + 'Syntax error; token: "4", near: "> 4"', "Scan", filt("a > 4"), DYN_SCAN)
row("syntax error at the last token", IF + 'Syntax error; token: "c", near: "b c"', "Scan",
    filt("a = b c"), DYN_SCAN)
row("reserved word as an attribute name",
    IF + "Attribute name is a reserved keyword; reserved keyword: abOrT", "Scan",
    filt(":a < abOrT", {":a": {"S": "x"}}), DYN_SCAN)
row("reserved word in an update", IU + "Attribute name is a reserved keyword; reserved keyword: Absolute",
    "UpdateItem", upd(" remove Absolute "), DYN_UPDATE)
row("undefined attribute name",
    IF + "An expression attribute name used in the document path is not defined; attribute name: #4g",
    "Scan", filt("#4g > a"), DYN_SCAN)
row("undefined attribute value",
    IF + "An expression attribute value used in expression is not defined; attribute value: :_",
    "Scan", filt(":_ > a"), DYN_SCAN)
row("unused attribute name",
    "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}", "Scan",
    filt("a = :a", {":a": {"S": "x"}}, {"#b": "b"}), DYN_UPDATE)
row("unused attribute value",
    "Value provided in ExpressionAttributeValues unused in expressions: keys: {:c}", "Scan",
    filt("a = :a", {":a": {"S": "x"}, ":c": {"S": "y"}}), DYN_UPDATE)


def _empty_names(ctx):
    st, _, body = ctx.post("DynamoDB_20120810.Scan", filt("a = b", names={}))
    return (st,) + ctx.error_of(body)


ROWS.append(Row("V1-%03d" % (len(ROWS) + 1), "empty ExpressionAttributeNames",
                "ValidationException", "ExpressionAttributeNames must not be empty",
                call=_empty_names, source=DYN_SCAN))
row("ExpressionAttributeNames key without #",
    'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"', "Scan",
    filt("a = b", names={"a": "a"}), DYN_SCAN)
row("ExpressionAttributeValues key without :",
    'ExpressionAttributeValues contains invalid key: Syntax error; key: "a"', "Scan",
    filt("a = b", {"a": {"S": "b"}}), DYN_SCAN)
row("unknown function", IF + "Invalid function name; function: whatever", "Scan",
    filt("a=b and whatever((:things)) > a"), DYN_SCAN)
row("function names are case-sensitive", IF + "Invalid function name; function: attRIbute_exIsts",
    "Scan", filt("attRIbute_exIsts((views), #a)"), DYN_SCAN)
row("expression longer than 4 KB",
    IF + "Expression size has exceeded the maximum allowed size; expression size: 4097", "Scan",
    filt("a" * 4097), API_REF + ": an expression is at most 4 KB")
row("IN with more than 100 operands",
    IF + "The IN operator is provided with too many operands; number of operands: 101", "Scan",
    filt("a IN (" + ", ".join([":v"] * 101) + ")", {":v": {"S": "x"}}),
    API_REF + ": IN takes at most 100 values")
row("attribute_type with an unknown type name",
    re.compile(re.escape(IF) + r"Invalid attribute type name found; type: 1, valid types: "
               r"\{((B|NULL|SS|BOOL|L|BS|N|NS|S|M),?){10}\}"),
    "Scan", filt("attribute_type(a, :a)", {":a": {"S": "1"}}), DYN_SCAN)

# ---- 2. operand types that can never match ----
for fn_expr, fn, val in [
        ("size(:a) > a", "size", {"BOOL": True}),
        ("size(:a) > a", "size", {"NULL": True}),
        ("size(size(a)) > :a", "size", {"N": "1"}),
        ("attribute_type(a, :a)", "attribute_type", {"N": "1"}),
        ("attribute_type(a, :a)", "attribute_type", {"L": []}),
        ("begins_with(a, :a)", "begins_with", {"N": "1"}),
        ("begins_with(a, :a)", "begins_with", {"SS": ["1"]}),
        ("begins_with(:a, a)", "begins_with", {"BOOL": True}),
        ("begins_with(a, size(a)) and a=:a", "begins_with", {"N": "1"})]:
    t = list(val)[0] if "size(size" not in fn_expr and "size(a))" not in fn_expr else "N"
    row("%s refuses a constant operand of type %s (%s)" % (fn, t, fn_expr), IF + OT % (fn, t),
        "Scan", filt(fn_expr, {":a": val}), DYN_SCAN)
row("ordering comparison with a BOOL constant", IC + OT % ("<", "BOOL"), "PutItem",
    {"TableName": "v_hash", "Item": {"pk": {"S": "k"}}, "ConditionExpression": "a < :v",
     "ExpressionAttributeValues": {":v": {"BOOL": True}}},
    "observed DynamoDB: ordering is defined on S, N and B only")
row("BETWEEN bounds of a list type", IF + OT % ("BETWEEN", "L"), "Scan",
    filt("a BETWEEN :l AND :h", {":l": {"L": []}, ":h": {"L": []}}),
    "observed DynamoDB: ordering is defined on S, N and B only")
row("BETWEEN bounds in the wrong order",
    IC + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
    "lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}",
    "PutItem", {"TableName": "v_hash", "Item": {"pk": {"S": "k"}},
                "ConditionExpression": "a between :a and :b",
                "ExpressionAttributeValues": {":a": {"N": "2"}, ":b": {"N": "1"}}},
    "DynamoDB behaviour recorded by dynalite's test/deleteItem.js and putItem.js")
row("BETWEEN bounds of two types",
    IC + "The BETWEEN operator requires same data type for lower and upper bounds; "
    "lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}",
    "PutItem", {"TableName": "v_hash", "Item": {"pk": {"S": "k"}},
                "ConditionExpression": "a between :b and :a",
                "ExpressionAttributeValues": {":a": {"S": "a"}, ":b": {"N": "1"}}},
    "DynamoDB behaviour recorded by dynalite's test/deleteItem.js and putItem.js")
row("BETWEEN on the sort key with bounds in the wrong order",
    IK + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
    "lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}",
    "Query", query("pk = :p AND sk BETWEEN :a AND :b",
                   {":p": {"S": "x"}, ":a": {"N": "5"}, ":b": {"N": "1"}}), DYN_QUERY)
row("a path compared with itself",
    IF + "The first operand must be distinct from the remaining operands for this operator or "
    "function; operator: =, first operand: [a]", "Scan",
    filt("a = a AND #a = b AND :views > a", {":views": {"S": "x"}}, {"#a": "a"}), DYN_SCAN)
row("<> with the same path through a name",
    IF + "The first operand must be distinct from the remaining operands for this operator or "
    "function; operator: <>, first operand: [a]", "Scan", filt("#a <> a", names={"#a": "a"}),
    DYN_SCAN)
row("contains with the same path twice",
    IF + "The first operand must be distinct from the remaining operands for this operator or "
    "function; operator: contains, first operand: [ab, bc, [1], a]", "Scan",
    filt("contains(ab.bc[1].a, ab.bc[1].#a)", names={"#a": "a"}), DYN_SCAN)
row("function that needs a path given a value",
    IF + "Operator or function requires a document path; operator or function: attribute_exists",
    "Scan", filt("attribute_exists(:a) and a=b", {":a": {"S": "1"}}), DYN_SCAN)
row("attribute_not_exists of size(:a)",
    IF + "Operator or function requires a document path; operator or function: attribute_not_exists",
    "Scan", filt("attribute_not_exists(size(:a))", {":a": {"S": "1"}}), DYN_SCAN)
for expr, fn, n in [("attribute_exists(things, a) and a=b", "attribute_exists", 2),
                    ("attribute_type(things)", "attribute_type", 1),
                    ("begins_with(things, size(a), b)", "begins_with", 3),
                    ("size(things, a) > b", "size", 2)]:
    row("%s with %d operand(s)" % (fn, n),
        IF + "Incorrect number of operands for operator or function; operator or function: "
        "%s, number of operands: %d" % (fn, n), "Scan", filt(expr), DYN_SCAN)
for expr, fn in [("attribute_not_exists(things) > b", "attribute_not_exists"),
                 ("size(things)", "size"),
                 ("a between b and attribute_exists(things)", "attribute_exists")]:
    row("%s used as a value" % fn,
        IF + "The function is not allowed to be used this way in an expression; function: " + fn,
        "Scan", filt(expr), DYN_SCAN)
# Updates
row("SET with a string added",
    IU + OT % ("+", "S"), "UpdateItem", upd("SET a = a + :a", {":a": {"S": "x"}}), DYN_UPDATE)
row("SET with two constants subtracted, the first a binary",
    IU + OT % ("-", "B"), "UpdateItem",
    upd("SET a = :c - :b", {":c": {"B": b"a"}, ":b": {"N": "1"}}), DYN_UPDATE)
row("list_append with a string constant", IU + OT % ("list_append", "S"), "UpdateItem",
    upd("SET a = list_append(:a, a)", {":a": {"S": "x"}}), DYN_UPDATE)
row("list_append with a map constant", IU + OT % ("list_append", "M"), "UpdateItem",
    upd("SET a = list_append(a, :i)", {":i": {"M": {}}}), DYN_UPDATE)
for op, val, name in [("ADD", {"S": "x"}, "STRING"), ("ADD", {"L": [{"N": "1"}]}, "LIST"),
                      ("ADD", {"BOOL": True}, "BOOLEAN"), ("DELETE", {"N": "1"}, "NUMBER"),
                      ("DELETE", {"M": {}}, "MAP")]:
    row("%s with a %s" % (op, name),
        IU + "Incorrect operand type for operator or function; operator: %s, operand type: %s, "
        "typeSet: ALLOWED_FOR_%s_OPERAND" % (op, name, op), "UpdateItem",
        upd("%s a.b :a" % op, {":a": val}),
        "observed DynamoDB (aws-sdk-ruby and Java SDK users' tests quote it; dynalite's older "
        "recording lacks the typeSet part)")
row("if_not_exists with a value first",
    IU + "Operator or function requires a document path; operator or function: if_not_exists",
    "UpdateItem", upd("set a = if_not_exists(:a, c)", {":a": {"S": "a"}}), DYN_UPDATE)
row("if_not_exists with one operand",
    IU + "Incorrect number of operands for operator or function; operator or function: "
    "if_not_exists, number of operands: 1", "UpdateItem", upd("set a = if_not_exists(c)"),
    DYN_UPDATE)
row("list_append with one operand",
    IU + "Incorrect number of operands for operator or function; operator or function: "
    "list_append, number of operands: 1", "UpdateItem", upd("set a = list_append(c)"), DYN_UPDATE)
row("unknown function in an update", IU + "Invalid function name; function: if_not_exist",
    "UpdateItem", upd("set c = if_not_exist(:c)"), DYN_UPDATE)

# ---- 4. parentheses ----
for expr in ["a=a and a > ((views))", "a=a AND ((a=b AND a=c)) AND a=d", "(a)between(((b.c)).d)and(c)"]:
    row("redundant parentheses: " + expr, IF + "The expression has redundant parentheses;", "Scan",
        filt(expr), DYN_SCAN)
row("parentheses around an operand are fine, a path compared with itself is not",
    IF + "The first operand must be distinct from the remaining operands for this operator or "
    "function; operator: =, first operand: [a]", "Scan", filt("((a=a) OR (a=b))"), DYN_SCAN)
row("too many operators",
    IF + "The expression contains too many operators; operator count: 301", "Scan",
    filt(" AND ".join(["a%d = b" % i for i in range(151)])), API_REF + ": 300 operators")

# ---- 7. updates ----
row("SET twice", IU + 'The "SET" section can only be used once in an update expression;',
    "UpdateItem", upd("set a = b set c = d"), DYN_UPDATE)
row("REMOVE twice", IU + 'The "REMOVE" section can only be used once in an update expression;',
    "UpdateItem", upd("remove d set a = b remove e"), DYN_UPDATE)
row("empty SET clause", IU + 'Syntax error; token: "<EOF>", near: "SET"', "UpdateItem",
    upd("SET"), DYN_UPDATE)
row("one path in SET and REMOVE",
    IU + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
    "path one: [a], path two: [a]", "UpdateItem", upd("SET a = :v REMOVE a", {":v": {"S": "x"}}),
    DYN_UPDATE)
row("nested path under a SET path",
    IU + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
    "path one: [c, [1], a], path two: [c]", "UpdateItem",
    upd("set c[1].a = a, #c = if_not_exists(a, b)", names={"#c": "c"}), DYN_UPDATE)
row("map member and list element of one attribute",
    IU + "Two document paths conflict with each other; must remove or rewrite one of these "
    "paths; path one: [a, c], path two: [a, [1]]", "UpdateItem",
    upd("remove a.#c set a[1] = #d", names={"#c": "c", "#d": "d"}), DYN_UPDATE)
row("updating the partition key",
    "One or more parameter values were invalid: Cannot update attribute pk. This attribute is "
    "part of the key", "UpdateItem", upd("SET pk = :v", {":v": {"S": "x"}}),
    "DynamoDB UpdateItem API reference; observed")
row("removing the sort key",
    "One or more parameter values were invalid: Cannot update attribute sk. This attribute is "
    "part of the key", "UpdateItem",
    upd("REMOVE sk", table="v_range", key={"pk": {"S": "k"}, "sk": {"N": "1"}}),
    "DynamoDB UpdateItem API reference; observed")

# ---- 6. projections ----
row("projection of one path twice",
    IP + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
    "path one: [a], path two: [a]", "GetItem",
    {"TableName": "v_hash", "Key": {"pk": {"S": "k"}}, "ProjectionExpression": "a, a"},
    "observed DynamoDB (ScyllaDB alternator's tests record it)")
row("projection of a path and a path under it",
    IP + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
    "path one: [a], path two: [a, b]", "Scan",
    {"TableName": "v_hash", "ProjectionExpression": "a, a.b"},
    "observed DynamoDB (ScyllaDB alternator's tests record it)")
row("projection of a map member and a list element",
    IP + "Two document paths conflict with each other; must remove or rewrite one of these paths; "
    "path one: [a, b], path two: [a, [1]]", "GetItem",
    {"TableName": "v_hash", "Key": {"pk": {"S": "k"}}, "ProjectionExpression": "a.b, a[1]"},
    "observed DynamoDB (ScyllaDB alternator's test_projection_expression_path_conflict)")
row("projection with a list index that is not a number",
    IP + 'Syntax error; token: "x", near: "[x]"', "GetItem",
    {"TableName": "v_hash", "Key": {"pk": {"S": "k"}}, "ProjectionExpression": "a[x]"},
    DYN_SCAN)
row("projection with AttributesToGet",
    "Can not use both expression and non-expression parameters in the same request: "
    "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
    "GetItem", {"TableName": "v_hash", "Key": {"pk": {"S": "k"}}, "ProjectionExpression": "a",
                "AttributesToGet": ["a"]}, DYN_SCAN)

# ---- 5. key conditions and filters on keys ----
row("Query filter on the sort key",
    "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
    "Query", query("pk = :p", {":p": {"S": "x"}, ":s": {"N": "1"}}, FilterExpression="sk > :s"),
    "observed DynamoDB (quoted in many posts, e.g. re:Post and Stack Overflow)")
row("Query filter on the partition key inside a function",
    "Filter Expression can only contain non-primary key attributes: Primary key attribute: pk",
    "Query", query("pk = :p", {":p": {"S": "x"}}, FilterExpression="attribute_exists(pk.b)"),
    DYN_QUERY)
row("Query of an index with a filter on the index's sort key",
    "Filter Expression can only contain non-primary key attributes: Primary key attribute: gs",
    "Query", query("gk = :p", {":p": {"S": "x"}, ":s": {"N": "1"}}, IndexName="gsi",
                   FilterExpression="gs <> :s"), "observed DynamoDB (filters on an index's key)")
row("QueryFilter on the partition key",
    "QueryFilter can only contain non-primary key attributes: Primary key attribute: pk", "Query",
    {"TableName": "v_range",
     "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
     "QueryFilter": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}}},
    DYN_QUERY)
row("key condition without the partition key", "Query condition missed key schema element: pk",
    "Query", query("sk = :s", {":s": {"N": "1"}}), DYN_QUERY)
row("key condition on a non-key attribute", "Query condition missed key schema element: sk",
    "Query", query("pk = :p AND x = :s", {":p": {"S": "a"}, ":s": {"N": "1"}}), DYN_QUERY)
row("range condition on a hash-only table's key", "Query key condition not supported", "Query",
    query("pk > :a", {":a": {"S": "1"}}, table="v_hash"), DYN_QUERY)
row("OR in a key condition", "Invalid operator used in KeyConditionExpression: OR", "Query",
    query("pk = :p OR sk = :s", {":p": {"S": "a"}, ":s": {"N": "1"}}), DYN_QUERY)
row("begins_with on a number sort key",
    IK + OT % ("begins_with", "N"), "Query",
    query("pk = :p AND begins_with(sk, :s)", {":p": {"S": "a"}, ":s": {"N": "1"}}), DYN_QUERY)
row("key value of the wrong type",
    "One or more parameter values were invalid: Condition parameter type does not match schema type",
    "Query", query("pk = :p", {":p": {"N": "1"}}), DYN_QUERY)
row("KeyConditions with NE", "Attempted conditional constraint is not an indexable operation",
    "Query", {"TableName": "v_hash",
              "KeyConditions": {"pk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "a"}]}}},
    DYN_QUERY)
row("KeyConditions with NULL on the sort key",
    "Attempted conditional constraint is not an indexable operation", "Query",
    {"TableName": "v_range",
     "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
                       "sk": {"ComparisonOperator": "NULL"}}}, DYN_QUERY)
row("neither KeyConditions nor KeyConditionExpression",
    "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
    "Query", {"TableName": "v_range"}, DYN_QUERY)

# ---- 3. legacy parameters ----
row("EQ with no value",
    "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator",
    "Scan", {"TableName": "v_hash", "ScanFilter": {"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}}},
    DYN_SCAN)
row("BETWEEN with three values",
    "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator",
    "Scan", {"TableName": "v_hash", "ScanFilter": {"a": {"ComparisonOperator": "BETWEEN",
             "AttributeValueList": [{"S": "a"}, {"S": "a"}, {"S": "a"}]}}}, DYN_SCAN)
row("NULL with a value",
    "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator",
    "PutItem", {"TableName": "v_hash", "Item": {"pk": {"S": "k"}},
                "Expected": {"a": {"ComparisonOperator": "NULL", "Value": {"S": "a"}}}}, DYN_PUT)
for op, val in [("LT", {"BOOL": True}), ("GE", {"M": {}}), ("IN", {"SS": ["a"]}),
                ("CONTAINS", {"L": []}), ("BEGINS_WITH", {"N": "1"})]:
    t = list(val)[0]
    row("%s on a %s value" % (op, t),
        "One or more parameter values were invalid: ComparisonOperator %s is not valid for %s "
        "AttributeValue type" % (op, t), "Scan",
        {"TableName": "v_hash", "ScanFilter": {"a": {"ComparisonOperator": op, "AttributeValueList": [val]}}},
        DYN_SCAN)
row("BETWEEN on NULL values",
    "One or more parameter values were invalid: ComparisonOperator BETWEEN is not valid for NULL "
    "AttributeValue type", "Query",
    {"TableName": "v_range",
     "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
     "QueryFilter": {"x": {"ComparisonOperator": "BETWEEN",
                           "AttributeValueList": [{"NULL": True}, {"NULL": True}]}}}, DYN_SCAN)
row("Expected with Value and AttributeValueList",
    "One or more parameter values were invalid: Value and AttributeValueList cannot be used "
    "together for Attribute: a", "PutItem",
    {"TableName": "v_hash", "Item": {"pk": {"S": "k"}},
     "Expected": {"a": {"AttributeValueList": [{"S": "a"}], "Value": {"S": "a"}, "ComparisonOperator": "LT"}}},
    DYN_PUT)
row("Expected with Exists and ComparisonOperator",
    "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used "
    "together for Attribute: a", "DeleteItem",
    {"TableName": "v_hash", "Key": {"pk": {"S": "k"}},
     "Expected": {"a": {"Exists": True, "ComparisonOperator": "LT"}}}, DYN_PUT)
row("Expected with a ComparisonOperator and no value",
    "One or more parameter values were invalid: Value or AttributeValueList must be used with "
    "ComparisonOperator: LT for Attribute: a", "PutItem",
    {"TableName": "v_hash", "Item": {"pk": {"S": "k"}}, "Expected": {"a": {"ComparisonOperator": "LT"}}},
    DYN_PUT)
row("Expected with AttributeValueList and no ComparisonOperator",
    "One or more parameter values were invalid: AttributeValueList can only be used with a "
    "ComparisonOperator for Attribute: a", "PutItem",
    {"TableName": "v_hash", "Item": {"pk": {"S": "k"}},
     "Expected": {"a": {"Exists": True, "AttributeValueList": [{"S": "a"}]}}}, DYN_PUT)
row("Expected with Exists false and a Value",
    "One or more parameter values were invalid: Value cannot be used when Exists is false for "
    "Attribute: a", "PutItem",
    {"TableName": "v_hash", "Item": {"pk": {"S": "k"}},
     "Expected": {"a": {"Exists": False, "Value": {"S": "a"}}}}, DYN_PUT)
row("Expected with neither Value nor Exists",
    "One or more parameter values were invalid: Value must be provided when Exists is null for "
    "Attribute: a", "PutItem",
    {"TableName": "v_hash", "Item": {"pk": {"S": "k"}}, "Expected": {"a": {}}}, DYN_PUT)
row("Expected and ConditionExpression together",
    "Can not use both expression and non-expression parameters in the same request: "
    "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
    "PutItem", {"TableName": "v_hash", "Item": {"pk": {"S": "k"}}, "ConditionExpression": "a = b",
                "Expected": {"a": {"Exists": False}}}, DYN_PUT)
row("ScanFilter and FilterExpression together",
    "Can not use both expression and non-expression parameters in the same request: "
    "Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}",
    "Scan", {"TableName": "v_hash", "FilterExpression": "a = b",
             "ScanFilter": {"a": {"ComparisonOperator": "NULL"}}}, DYN_SCAN)
row("AttributeUpdates and UpdateExpression together",
    "Can not use both expression and non-expression parameters in the same request: "
    "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
    "UpdateItem", upd("SET a = b", AttributeUpdates={"a": {"Action": "DELETE"}}), DYN_UPDATE)
row("ConditionalOperator without conditions",
    "ConditionalOperator can only be used when Filter or Expected has been specified.", "Scan",
    {"TableName": "v_hash", "ConditionalOperator": "OR"}, DYN_SCAN)
row("AttributeUpdates PUT without a value",
    "One or more parameter values were invalid: Only DELETE action is allowed when no attribute "
    "value is specified", "UpdateItem",
    {"TableName": "v_hash", "Key": {"pk": {"S": "k"}}, "AttributeUpdates": {"a": {"Action": "PUT"}}},
    DYN_UPDATE)
