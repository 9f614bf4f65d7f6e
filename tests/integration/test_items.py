# SPDX-License-Identifier: Apache-2.0
"""DynamoDB data plane through boto3: items, expressions, Query/Scan, batches, concurrency."""
import concurrent.futures
import unittest
from decimal import Decimal

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from stratus_fixture import Server


def code(e):
    return e.exception.response["Error"]["Code"]


def msg(e):
    return e.exception.response["Error"]["Message"]


class Items(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.res = cls.srv.resource("dynamodb")
        cls.ddb.create_table(
            TableName="items", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "N"}],
            BillingMode="PAY_PER_REQUEST")
        cls.ddb.create_table(
            TableName="simple", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST")
        cls.t = cls.res.Table("items")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def put(self, item, **kw):
        return self.ddb.put_item(TableName="simple", Item=item, **kw)

    def get(self, id_, **kw):
        return self.ddb.get_item(TableName="simple", Key={"id": {"S": id_}}, **kw).get("Item")

    def test_every_type_round_trips(self):
        item = {"id": {"S": "types"}, "s": {"S": "héllo"}, "n": {"N": "-12.50"}, "b": {"B": b"\x00\x01"},
                "t": {"BOOL": True}, "f": {"BOOL": False}, "z": {"NULL": True}, "empty": {"S": ""},
                "m": {"M": {"a": {"L": [{"N": "1"}, {"M": {}}, {"L": []}]}}},
                "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"a", b"b"]}}
        self.put(item)
        got = self.get("types")
        self.assertEqual(got["n"], {"N": "-12.5"})  # canonical form
        for k in ["s", "b", "t", "f", "z", "m", "empty"]:
            self.assertEqual(got[k], item[k], k)
        self.assertEqual(sorted(got["ss"]["SS"]), ["x", "y"])
        self.assertEqual(sorted(got["ns"]["NS"]), ["1", "2.5"])
        deep = {"S": "leaf"}
        for _ in range(31):
            deep = {"M": {"d": deep}}
        self.put({"id": {"S": "deep"}, "d": deep})
        for _ in range(2):
            deep = {"L": [deep]}
        with self.assertRaises(ClientError) as e:
            self.put({"id": {"S": "too-deep"}, "d": deep})
        self.assertIn("Nesting Levels have exceeded supported limits", msg(e))

    def test_numbers_are_keys_by_value(self):
        for spelling in ["1", "1.0", "10E-1", "0.1e1"]:
            self.ddb.put_item(TableName="items", Item={"pk": {"S": "num"}, "sk": {"N": spelling}, "v": {"S": spelling}})
        r = self.ddb.query(TableName="items", KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": "num"}})
        self.assertEqual(r["Count"], 1)
        self.assertEqual(r["Items"][0]["sk"], {"N": "1"})
        self.assertEqual(r["Items"][0]["v"], {"S": "0.1e1"})
        cases = [("1e126", "Number overflow"), ("1e-131", "Number underflow"),
                 ("1" * 39, "more than 38 significant digits"), ("abc", "cannot be converted to a numeric value")]
        for value, want in cases:
            with self.assertRaises(ClientError) as e:
                self.put({"id": {"S": "n"}, "n": {"N": value}})
            self.assertIn(want, msg(e))

    def test_validation_of_items(self):
        cases = [({"id": {"N": "1"}}, "Type mismatch for key id expected: S actual: N"),
                 ({"other": {"S": "x"}}, "Missing the key id in the item"),
                 ({"id": {"S": ""}}, "The AttributeValue for a key attribute cannot contain an empty string value. Key: id"),
                 ({"id": {"S": "x"}, "s": {"SS": []}}, "An string set  may not be empty"),
                 ({"id": {"S": "x"}, "s": {"NS": ["1", "1.0"]}}, "contains duplicates"),
                 ({"id": {"S": "x"}, "z": {"NULL": False}}, "Null attribute value types must have the value of true"),
                 ({"id": {"S": "x"}, "big": {"S": "a" * 409600}}, "Item size has exceeded the maximum allowed size"),
                 ({"id": {"S": "k" * 2049}}, "Size of hashkey has exceeded the maximum size limit of2048 bytes")]
        for item, want in cases:
            with self.subTest(want=want):
                with self.assertRaises(ClientError) as e:
                    self.put(item)
                self.assertEqual(code(e), "ValidationException")
                self.assertIn(want, msg(e))
        with self.assertRaises(ClientError) as e:
            self.ddb.get_item(TableName="simple", Key={"id": {"S": "x"}, "extra": {"S": "y"}})
        self.assertEqual(msg(e), "The provided key element does not match the schema")
        with self.assertRaises(ClientError) as e:
            self.ddb.get_item(TableName="missing-table", Key={"id": {"S": "x"}})
        self.assertEqual(code(e), "ResourceNotFoundException")
        r = self.srv.cli("ddb", "PutItem", '{"TableName": "simple", "Item": {"id": {"S": "a", "N": "1"}}}')
        self.assertIn("more than one datatypes set", r.stdout)
        r = self.srv.cli("ddb", "PutItem", '{"TableName": "simple", "Item": {"id": {}}}')
        self.assertIn("Supplied AttributeValue is empty", r.stdout)
        r = self.srv.cli("ddb", "PutItem", '{"TableName": "simple", "Item": {"id": {"S": "x"}}, "ReturnValues": "ALL_NEW"}')
        self.assertIn("ReturnValues can only be ALL_OLD or NONE", r.stdout)

    def test_conditions(self):
        self.put({"id": {"S": "c1"}, "n": {"N": "5"}, "s": {"S": "hello"}, "l": {"L": [{"S": "a"}]},
                  "tags": {"SS": ["red", "blue"]}})
        ok = [
            "attribute_exists(id)", "attribute_not_exists(nope)", "n = :five", "n <> :six", "n < :six",
            "n BETWEEN :four AND :six", "n IN (:four, :five)", "begins_with(s, :he)", "contains(s, :ll)",
            "contains(tags, :red)", "size(s) = :five", "attribute_type(n, :N)",
            "NOT n = :six", "n = :six OR n = :five AND s = :hello", "(n = :five OR n = :six) AND s = :hello",
            "size(l) < :four", "contains(l, :a)",
        ]
        vals = {":five": {"N": "5"}, ":six": {"N": "6"}, ":four": {"N": "4"}, ":he": {"S": "he"},
                ":ll": {"S": "ll"}, ":red": {"S": "red"}, ":N": {"S": "N"}, ":hello": {"S": "hello"}, ":a": {"S": "a"}}
        import re
        for cond in ok:
            with self.subTest(cond=cond):
                used = {k: v for k, v in vals.items() if re.search(re.escape(k) + r"\b", cond)}
                self.ddb.put_item(TableName="simple", Item={"id": {"S": "c1"}, "n": {"N": "5"}, "s": {"S": "hello"},
                                                           "l": {"L": [{"S": "a"}]}, "tags": {"SS": ["red", "blue"]}},
                                  ConditionExpression=cond, **({"ExpressionAttributeValues": used} if used else {}))
        fail = ["n = :six", "attribute_exists(nope)", "n > :five", "NOT (n = :five)", "(n = :six OR n = :five) AND s = :six",
                "n = :six OR n = :five AND s = :six"]
        for cond in fail:
            with self.subTest(cond=cond):
                used = {k: v for k, v in vals.items() if re.search(re.escape(k) + r"\b", cond)}
                with self.assertRaises(ClientError) as e:
                    self.put({"id": {"S": "c1"}}, ConditionExpression=cond,
                             **({"ExpressionAttributeValues": used} if used else {}))
                self.assertEqual(code(e), "ConditionalCheckFailedException")
        self.assertEqual(self.get("c1")["n"], {"N": "5"})  # a failed condition changes nothing
        with self.assertRaises(ClientError) as e:
            self.put({"id": {"S": "c1"}}, ConditionExpression="n = :six", ExpressionAttributeValues={":six": {"N": "6"}},
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
        self.assertEqual(e.exception.response["Item"]["n"], {"N": "5"})

    def test_expression_errors(self):
        cases = [
            (dict(ConditionExpression="a = :v"), "An expression attribute value used in expression is not defined; attribute value: :v"),
            (dict(ConditionExpression="#a = :v", ExpressionAttributeValues={":v": {"S": "x"}}),
             "An expression attribute name used in the document path is not defined; attribute name: #a"),
            (dict(ConditionExpression="a = :v", ExpressionAttributeValues={":v": {"S": "x"}, ":w": {"S": "y"}}),
             "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"),
            (dict(ConditionExpression="a = :v", ExpressionAttributeValues={":v": {"S": "x"}},
                  ExpressionAttributeNames={"#n": "x"}),
             "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}"),
            (dict(ConditionExpression="a = = :v", ExpressionAttributeValues={":v": {"S": "x"}}),
             'Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"'),
            (dict(ConditionExpression=""), "Invalid ConditionExpression: The expression can not be empty;"),
            (dict(ConditionExpression="nofunc(a)"), "Invalid ConditionExpression: Invalid function name; function: nofunc"),
            (dict(ConditionExpression="attribute_type(a, :t)", ExpressionAttributeValues={":t": {"S": "X"}}),
             "Invalid attribute type name found; type: X"),
            (dict(ConditionExpression="a = :v", ExpressionAttributeValues={}), "ExpressionAttributeValues must not be empty"),
        ]
        for kw, want in cases:
            with self.subTest(want=want[:40]):
                with self.assertRaises(ClientError) as e:
                    self.put({"id": {"S": "e"}}, **kw)
                self.assertEqual(code(e), "ValidationException")
                self.assertIn(want, msg(e))

    def test_update_expressions(self):
        u = lambda expr, vals=None, names=None, rv="ALL_NEW", **kw: self.ddb.update_item(
            TableName="simple", Key={"id": {"S": "u"}}, UpdateExpression=expr,
            **({"ExpressionAttributeValues": vals} if vals else {}),
            **({"ExpressionAttributeNames": names} if names else {}), ReturnValues=rv, **kw).get("Attributes")
        one, two = {"N": "1"}, {"N": "2"}
        a = u("SET n = if_not_exists(n, :z) + :one, l = :l, m = :m", {":z": {"N": "0"}, ":one": one,
              ":l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}, ":m": {"M": {"x": {"N": "1"}}}})
        self.assertEqual(a["n"], one)
        u("SET l = list_append(l, :more)", {":more": {"L": [{"S": "d"}]}})
        a = u("SET n = n + :two, m.y = :one, l[1] = :z", {":two": two, ":one": one, ":z": {"S": "B"}})
        self.assertEqual(a["n"], {"N": "3"})
        self.assertEqual(a["l"]["L"], [{"S": "a"}, {"S": "B"}, {"S": "c"}, {"S": "d"}])
        self.assertEqual(a["m"]["M"], {"x": one, "y": one})
        a = u("REMOVE l[0], l[2], m.x", rv="ALL_NEW")
        self.assertEqual(a["l"]["L"], [{"S": "B"}, {"S": "d"}])
        self.assertEqual(a["m"]["M"], {"y": one})
        a = u("ADD n :two, tags :t", {":two": two, ":t": {"SS": ["x", "y"]}})
        self.assertEqual(a["n"], {"N": "5"})
        a = u("DELETE tags :t", {":t": {"SS": ["x"]}})
        self.assertEqual(a["tags"], {"SS": ["y"]})
        a = u("DELETE tags :t", {":t": {"SS": ["y"]}})
        self.assertNotIn("tags", a)  # an emptied set disappears
        a = u("SET n = n - :big", {":big": {"N": "0.5"}}, rv="UPDATED_NEW")
        self.assertEqual(a, {"n": {"N": "4.5"}})
        a = u("SET n = :one", {":one": one}, rv="UPDATED_OLD")
        self.assertEqual(a, {"n": {"N": "4.5"}})
        a = u("SET #s = :v", {":v": {"S": "x"}}, {"#s": "status"}, rv="ALL_OLD")
        self.assertEqual(a["n"], one)
        # SET evaluates every value against the item as it was: a swap.
        u("SET p = :one, q = :two", {":one": one, ":two": two})
        a = u("SET p = q, q = p")
        self.assertEqual((a["p"], a["q"]), (two, one))
        errors = [
            ("SET id = :v", {":v": {"S": "x"}}, "Cannot update attribute id. This attribute is part of the key"),
            ("SET a = :v, a.b = :v", {":v": {"S": "x"}}, "Two document paths overlap with each other"),
            ("SET s2 = s + :one", {":one": one}, "An operand in the update expression has an incorrect data type"),
            ("SET x.y.z = :one", {":one": one}, "The document path provided in the update expression is invalid for update"),
            ("SET a = :one SET b = :one", {":one": one}, 'The "SET" section can only be used once in an update expression;'),
            ("ADD n :s", {":s": {"S": "x"}}, "Incorrect operand type for operator or function; operator: ADD"),
        ]
        u("SET s = :s", {":s": {"S": "str"}})
        for expr, vals, want in errors:
            with self.subTest(expr=expr):
                with self.assertRaises(ClientError) as e:
                    u(expr, vals)
                self.assertIn(want, msg(e))
        # UpdateItem on a missing item creates it; a condition guards it.
        self.ddb.update_item(TableName="simple", Key={"id": {"S": "fresh"}})
        self.assertEqual(self.get("fresh"), {"id": {"S": "fresh"}})
        with self.assertRaises(ClientError) as e:
            self.ddb.update_item(TableName="simple", Key={"id": {"S": "ghost"}}, UpdateExpression="SET a = :one",
                                 ConditionExpression="attribute_exists(id)", ExpressionAttributeValues={":one": one})
        self.assertEqual(code(e), "ConditionalCheckFailedException")
        self.assertIsNone(self.get("ghost"))

    def test_projection(self):
        self.put({"id": {"S": "p"}, "a": {"M": {"b": {"N": "1"}, "c": {"N": "2"}}}, "l": {"L": [{"S": "x"}, {"S": "y"}, {"S": "z"}]},
                  "o": {"S": "other"}})
        got = self.get("p", ProjectionExpression="a.b, l[2], #o", ExpressionAttributeNames={"#o": "o"})
        self.assertEqual(got, {"a": {"M": {"b": {"N": "1"}}}, "l": {"L": [{"S": "z"}]}, "o": {"S": "other"}})
        got = self.get("p", AttributesToGet=["o", "missing"])
        self.assertEqual(got, {"o": {"S": "other"}})

    def test_delete_and_return_values(self):
        self.put({"id": {"S": "d"}, "v": {"N": "1"}})
        r = self.put({"id": {"S": "d"}, "v": {"N": "2"}}, ReturnValues="ALL_OLD", ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["Attributes"]["v"], {"N": "1"})
        self.assertEqual(r["ConsumedCapacity"], {"TableName": "simple", "CapacityUnits": 1.0})
        r = self.ddb.delete_item(TableName="simple", Key={"id": {"S": "d"}}, ReturnValues="ALL_OLD")
        self.assertEqual(r["Attributes"]["v"], {"N": "2"})
        self.assertIsNone(self.get("d"))
        r = self.ddb.get_item(TableName="simple", Key={"id": {"S": "d"}}, ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["ConsumedCapacity"]["CapacityUnits"], 0.5)
        r = self.ddb.get_item(TableName="simple", Key={"id": {"S": "d"}}, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["ConsumedCapacity"]["CapacityUnits"], 1.0)
        self.put({"id": {"S": "big"}, "v": {"S": "x" * 5000}})
        r = self.put({"id": {"S": "big"}}, ReturnConsumedCapacity="INDEXES")
        self.assertEqual(r["ConsumedCapacity"]["CapacityUnits"], 5.0)  # max(old, new) in 1 KB units
        self.assertEqual(r["ConsumedCapacity"]["Table"]["CapacityUnits"], 5.0)

    def test_query(self):
        with self.t.batch_writer() as bw:
            for i in range(50):
                bw.put_item(Item={"pk": "q", "sk": i, "kind": "even" if i % 2 == 0 else "odd", "name": f"n{i:02d}"})
            for i in range(5):
                bw.put_item(Item={"pk": "other", "sk": i})
        sks = lambda r: [int(i["sk"]) for i in r["Items"]]
        self.assertEqual(sks(self.t.query(KeyConditionExpression=Key("pk").eq("q") & Key("sk").between(10, 13))), [10, 11, 12, 13])
        self.assertEqual(sks(self.t.query(KeyConditionExpression=Key("pk").eq("q") & Key("sk").lt(3))), [0, 1, 2])
        self.assertEqual(sks(self.t.query(KeyConditionExpression=Key("pk").eq("q") & Key("sk").lte(2))), [0, 1, 2])
        self.assertEqual(sks(self.t.query(KeyConditionExpression=Key("pk").eq("q") & Key("sk").gt(47))), [48, 49])
        self.assertEqual(sks(self.t.query(KeyConditionExpression=Key("pk").eq("q") & Key("sk").gte(48))), [48, 49])
        self.assertEqual(sks(self.t.query(KeyConditionExpression=Key("pk").eq("q") & Key("sk").eq(7))), [7])
        self.assertEqual(sks(self.t.query(KeyConditionExpression=Key("pk").eq("q"), ScanIndexForward=False, Limit=3)), [49, 48, 47])
        r = self.t.query(KeyConditionExpression=Key("pk").eq("q"), FilterExpression=Attr("kind").eq("odd"), Limit=10)
        self.assertEqual((r["Count"], r["ScannedCount"]), (5, 10))
        self.assertEqual(int(r["LastEvaluatedKey"]["sk"]), 9)
        # Paging with LastEvaluatedKey visits everything once.
        seen, start = [], None
        while True:
            kw = {"ExclusiveStartKey": start} if start else {}
            r = self.t.query(KeyConditionExpression=Key("pk").eq("q"), Limit=7, **kw)
            seen += sks(r)
            start = r.get("LastEvaluatedKey")
            if not start:
                break
        self.assertEqual(seen, list(range(50)))
        r = self.t.query(KeyConditionExpression=Key("pk").eq("q"), Select="COUNT")
        self.assertEqual(r["Count"], 50)
        self.assertNotIn("Items", r)
        r = self.t.query(KeyConditionExpression=Key("pk").eq("q") & Key("sk").eq(3), ProjectionExpression="#n",
                         ExpressionAttributeNames={"#n": "name"})
        self.assertEqual(r["Items"], [{"name": "n03"}])
        # begins_with on a string sort key.
        self.ddb.create_table(TableName="strsort", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                    {"AttributeName": "sk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        ts = self.res.Table("strsort")
        for s in ["a", "ab", "abc", "abd", "b", "a\x00z"]:
            ts.put_item(Item={"pk": "x", "sk": s})
        r = ts.query(KeyConditionExpression=Key("pk").eq("x") & Key("sk").begins_with("ab"))
        self.assertEqual([i["sk"] for i in r["Items"]], ["ab", "abc", "abd"])
        r = ts.query(KeyConditionExpression=Key("pk").eq("x"))
        self.assertEqual([i["sk"] for i in r["Items"]], ["a", "a\x00z", "ab", "abc", "abd", "b"])
        errors = [("sk = :v", "Query condition missed key schema element: pk"),
                  ("pk = :p OR sk = :v", "Invalid operator used in KeyConditionExpression: OR"),
                  ("pk > :p", "Query key condition not supported")]
        for expr, want in errors:
            with self.subTest(expr=expr):
                vals = {k: v for k, v in {":p": {"S": "q"}, ":v": {"N": "1"}}.items() if k in expr}
                with self.assertRaises(ClientError) as e:
                    self.ddb.query(TableName="items", KeyConditionExpression=expr, ExpressionAttributeValues=vals)
                self.assertIn(want, msg(e))

    def test_scan_parallel_and_paging(self):
        self.ddb.create_table(TableName="scanme", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}], BillingMode="PAY_PER_REQUEST")
        t = self.res.Table("scanme")
        with t.batch_writer() as bw:
            for i in range(300):
                bw.put_item(Item={"id": i, "even": i % 2 == 0})
        union = []
        for seg in range(4):
            start = None
            while True:
                kw = {"ExclusiveStartKey": start} if start else {}
                r = t.scan(Segment=seg, TotalSegments=4, Limit=25, **kw)
                union += [int(i["id"]) for i in r["Items"]]
                start = r.get("LastEvaluatedKey")
                if not start:
                    break
        self.assertEqual(sorted(union), list(range(300)))  # the whole table, nothing twice
        r = t.scan(FilterExpression=Attr("even").eq(True), Select="COUNT")
        self.assertEqual((r["Count"], r["ScannedCount"]), (150, 300))
        with self.assertRaises(ClientError) as e:
            t.scan(Segment=4, TotalSegments=4)
        self.assertIn("The Segment parameter is zero-based and must be less than parameter TotalSegments", msg(e))

    def test_page_limit_is_one_megabyte(self):
        self.ddb.create_table(TableName="bigitems", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}], BillingMode="PAY_PER_REQUEST")
        t = self.res.Table("bigitems")
        for i in range(25):
            t.put_item(Item={"id": i, "blob": "x" * 100_000})
        r = t.scan(ProjectionExpression="id", FilterExpression=Attr("id").lt(0))
        # Measured before the filter: 11 items of ~100 KB reach 1 MB even though none match.
        self.assertEqual(r["Count"], 0)
        self.assertEqual(r["ScannedCount"], 11)
        self.assertIn("LastEvaluatedKey", r)

    def test_batches(self):
        r = self.ddb.batch_write_item(RequestItems={"simple": [{"PutRequest": {"Item": {"id": {"S": f"bw{i}"}}}} for i in range(25)]})
        self.assertEqual(r["UnprocessedItems"], {})
        with self.assertRaises(ClientError) as e:
            self.ddb.batch_write_item(RequestItems={"simple": [{"PutRequest": {"Item": {"id": {"S": f"x{i}"}}}} for i in range(26)]})
        self.assertIn("Member must have length less than or equal to 25", msg(e))
        with self.assertRaises(ClientError) as e:
            self.ddb.batch_write_item(RequestItems={"simple": [{"PutRequest": {"Item": {"id": {"S": "dup"}}}},
                                                               {"DeleteRequest": {"Key": {"id": {"S": "dup"}}}}]})
        self.assertIn("Provided list of item keys contains duplicates", msg(e))
        r = self.ddb.batch_get_item(RequestItems={"simple": {"Keys": [{"id": {"S": "bw1"}}, {"id": {"S": "bw2"}}, {"id": {"S": "nope"}}],
                                                             "ProjectionExpression": "id"}},
                                    ReturnConsumedCapacity="TOTAL")
        self.assertEqual(sorted(i["id"]["S"] for i in r["Responses"]["simple"]), ["bw1", "bw2"])
        self.assertEqual(r["UnprocessedKeys"], {})
        with self.assertRaises(ClientError) as e:
            self.ddb.batch_get_item(RequestItems={"simple": {"Keys": [{"id": {"S": f"k{i}"}} for i in range(101)]}})
        self.assertIn("Too many items requested for the BatchGetItem call", msg(e))
        r = self.ddb.batch_write_item(RequestItems={"simple": [{"DeleteRequest": {"Key": {"id": {"S": f"bw{i}"}}}} for i in range(25)]})
        self.assertIsNone(self.get("bw3"))

    def test_batch_get_16mb_unprocessed_keys(self):
        self.ddb.create_table(TableName="bigbatch", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}], BillingMode="PAY_PER_REQUEST")
        t = self.res.Table("bigbatch")
        with t.batch_writer() as bw:
            for i in range(50):
                bw.put_item(Item={"id": i, "blob": "x" * 390_000})
        keys = [{"id": {"N": str(i)}} for i in range(50)]
        r = self.ddb.batch_get_item(RequestItems={"bigbatch": {"Keys": keys, "ConsistentRead": True}})
        got = [int(i["id"]["N"]) for i in r["Responses"]["bigbatch"]]
        left = [int(k["id"]["N"]) for k in r["UnprocessedKeys"]["bigbatch"]["Keys"]]
        self.assertEqual(len(got), 43)  # 43 items of ~390 KB fit in 16 MB, a 44th would not
        self.assertEqual(sorted(got + left), list(range(50)))
        self.assertTrue(r["UnprocessedKeys"]["bigbatch"]["ConsistentRead"])
        r = self.ddb.batch_get_item(RequestItems=r["UnprocessedKeys"])
        self.assertEqual(len(r["Responses"]["bigbatch"]), 7)
        self.assertEqual(r["UnprocessedKeys"], {})
        r = self.ddb.put_item(TableName="simple", Item={"id": {"S": "ricm"}}, ReturnItemCollectionMetrics="SIZE")
        self.assertNotIn("ItemCollectionMetrics", r)  # only tables with local secondary indexes have them

    def test_legacy_parameters(self):
        d = self.ddb
        for i in range(6):
            d.put_item(TableName="items", Item={"pk": {"S": "legacy"}, "sk": {"N": str(i)}, "v": {"N": str(i * 10)}})
        d.put_item(TableName="items", Item={"pk": {"S": "legacy"}, "sk": {"N": "1"}, "v": {"N": "11"}},
                   Expected={"v": {"Value": {"N": "10"}}})
        with self.assertRaises(ClientError) as e:
            d.put_item(TableName="items", Item={"pk": {"S": "legacy"}, "sk": {"N": "2"}}, Expected={"v": {"Exists": False}})
        self.assertEqual(code(e), "ConditionalCheckFailedException")
        r = d.update_item(TableName="items", Key={"pk": {"S": "legacy"}, "sk": {"N": "3"}},
                          AttributeUpdates={"v": {"Action": "ADD", "Value": {"N": "5"}}, "w": {"Action": "PUT", "Value": {"S": "x"}}},
                          ReturnValues="ALL_NEW")
        self.assertEqual((r["Attributes"]["v"], r["Attributes"]["w"]), ({"N": "35"}, {"S": "x"}))
        r = d.query(TableName="items", KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "legacy"}]},
                                                      "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "4"}]}},
                    QueryFilter={"v": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "20"}]}},
                    AttributesToGet=["sk"])
        self.assertEqual([i["sk"]["N"] for i in r["Items"]], ["2", "3", "4"])
        self.assertEqual(r["Items"][0], {"sk": {"N": "2"}})
        r = d.scan(TableName="items", ScanFilter={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "legacy"}]},
                                                  "w": {"ComparisonOperator": "NOT_NULL"}}, ConditionalOperator="AND")
        self.assertEqual(r["Count"], 1)
        with self.assertRaises(ClientError) as e:
            d.put_item(TableName="items", Item={"pk": {"S": "legacy"}, "sk": {"N": "1"}}, Expected={"v": {"Value": {"N": "1"}}},
                       ConditionExpression="attribute_exists(pk)")
        self.assertIn("Can not use both expression and non-expression parameters in the same request", msg(e))
        with self.assertRaises(ClientError) as e:
            d.query(TableName="items", KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": []}})
        self.assertIn("Invalid number of argument(s) for the EQ ComparisonOperator", msg(e))

    def test_atomic_counter_64_clients(self):
        self.put({"id": {"S": "counter"}, "n": {"N": "0"}})

        def bump(_):
            c = self.srv.client("dynamodb")
            for _ in range(20):
                c.update_item(TableName="simple", Key={"id": {"S": "counter"}}, UpdateExpression="SET n = n + :one",
                              ExpressionAttributeValues={":one": {"N": "1"}})
        with concurrent.futures.ThreadPoolExecutor(64) as ex:
            list(ex.map(bump, range(64)))
        self.assertEqual(self.get("counter")["n"], {"N": str(64 * 20)})

    def test_one_winner_among_concurrent_conditional_puts(self):
        def claim(i):
            c = self.srv.client("dynamodb")
            try:
                c.put_item(TableName="simple", Item={"id": {"S": "lock"}, "owner": {"N": str(i)}},
                           ConditionExpression="attribute_not_exists(id)")
                return i
            except ClientError as e:
                assert e.response["Error"]["Code"] == "ConditionalCheckFailedException"
                return None
        with concurrent.futures.ThreadPoolExecutor(32) as ex:
            winners = [w for w in ex.map(claim, range(64)) if w is not None]
        self.assertEqual(len(winners), 1)
        self.assertEqual(self.get("lock")["owner"], {"N": str(winners[0])})

    def test_transact_write_and_get(self):
        S = lambda v: {"S": v}
        N = lambda v: {"N": str(v)}
        self.put({"id": S("tx-b"), "n": N(1)})
        self.put({"id": S("tx-c"), "n": N(1)})
        self.put({"id": S("tx-d"), "n": N(1)})
        self.ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "simple", "Item": {"id": S("tx-a"), "n": N(10)},
                     "ConditionExpression": "attribute_not_exists(id)"}},
            {"Update": {"TableName": "simple", "Key": {"id": S("tx-b")}, "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": N(1)}}},
            {"Delete": {"TableName": "simple", "Key": {"id": S("tx-c")}}},
            {"ConditionCheck": {"TableName": "simple", "Key": {"id": S("tx-d")},
                                "ConditionExpression": "n = :v", "ExpressionAttributeValues": {":v": N(1)}}}])
        self.assertEqual(self.get("tx-a")["n"], N(10))
        self.assertEqual(self.get("tx-b")["n"], N(2))
        self.assertIsNone(self.get("tx-c"))
        # One failed condition cancels every action; reasons come in request order.
        with self.assertRaises(ClientError) as e:
            self.ddb.transact_write_items(TransactItems=[
                {"Update": {"TableName": "simple", "Key": {"id": S("tx-b")}, "UpdateExpression": "ADD n :one",
                            "ExpressionAttributeValues": {":one": N(1)}}},
                {"ConditionCheck": {"TableName": "simple", "Key": {"id": S("tx-d")},
                                    "ConditionExpression": "n = :v", "ExpressionAttributeValues": {":v": N(5)},
                                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
        self.assertEqual(code(e), "TransactionCanceledException")
        reasons = e.exception.response["CancellationReasons"]
        self.assertEqual([r["Code"] for r in reasons], ["None", "ConditionalCheckFailed"])
        self.assertEqual(reasons[1]["Item"]["n"], N(1))
        self.assertIn("[None, ConditionalCheckFailed]", msg(e))
        self.assertEqual(self.get("tx-b")["n"], N(2))
        # Two actions on one item, too many actions, a ConditionCheck without a condition.
        with self.assertRaises(ClientError) as e:
            self.ddb.transact_write_items(TransactItems=[
                {"Delete": {"TableName": "simple", "Key": {"id": S("tx-a")}}},
                {"Put": {"TableName": "simple", "Item": {"id": S("tx-a")}}}])
        self.assertIn("multiple operations on one item", msg(e))
        with self.assertRaises(ClientError) as e:
            self.ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": "simple", "Item": {"id": S(f"many-{i}")}}} for i in range(101)])
        self.assertEqual(code(e), "ValidationException")
        # ClientRequestToken: a retry is answered without a second write; another request
        # with the same token is refused.
        inc = [{"Update": {"TableName": "simple", "Key": {"id": S("tx-b")}, "UpdateExpression": "ADD n :one",
                           "ExpressionAttributeValues": {":one": N(1)}}}]
        for _ in range(3):
            w = self.ddb.transact_write_items(TransactItems=inc, ClientRequestToken="token-1",
                                              ReturnConsumedCapacity="TOTAL")
        self.assertEqual(self.get("tx-b")["n"], N(3))
        w = self.ddb.transact_write_items(TransactItems=inc, ReturnConsumedCapacity="TOTAL")
        self.assertEqual(w["ConsumedCapacity"], [{"TableName": "simple", "CapacityUnits": 2.0}])
        self.assertEqual(self.get("tx-b")["n"], N(4))
        with self.assertRaises(ClientError) as e:
            self.ddb.transact_write_items(TransactItems=inc + [{"Delete": {"TableName": "simple",
                                                                           "Key": {"id": S("tx-d")}}}],
                                          ClientRequestToken="token-1")
        self.assertEqual(code(e), "IdempotentParameterMismatchException")
        # TransactGetItems: one snapshot, items in request order, {} for a missing one.
        full = self.ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": "simple", "Key": {"id": S("tx-a")}, "ProjectionExpression": "n"}},
            {"Get": {"TableName": "simple", "Key": {"id": S("tx-c")}}},
            {"Get": {"TableName": "simple", "Key": {"id": S("tx-b")}}}], ReturnConsumedCapacity="TOTAL")
        r = full["Responses"]
        self.assertEqual(full["ConsumedCapacity"], [{"TableName": "simple", "CapacityUnits": 6.0}])  # 2 per item read
        self.assertEqual(r[0]["Item"], {"n": N(10)})
        self.assertEqual(r[1], {})
        self.assertEqual(r[2]["Item"]["n"], N(4))
        with self.assertRaises(ClientError) as e:
            self.ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "nope", "Key": {"id": S("x")}}}])
        self.assertEqual(code(e), "ResourceNotFoundException")

    def test_transactions_conserve_a_total(self):
        # Two groups of clients move value between accounts in overlapping transactions; each
        # is committed whole or cancelled whole, so the total never changes.
        accounts = [f"acct-{i}" for i in range(6)]
        for a in accounts:
            self.put({"id": {"S": a}, "bal": {"N": "100"}})

        def transfer(seed):
            import random
            rnd = random.Random(seed)
            done = cancelled = 0
            for _ in range(40):
                src, dst = rnd.sample(accounts, 2)
                amt = str(rnd.randint(1, 30))
                try:
                    self.ddb.transact_write_items(TransactItems=[
                        {"Update": {"TableName": "simple", "Key": {"id": {"S": src}},
                                    "UpdateExpression": "SET bal = bal - :a", "ConditionExpression": "bal >= :a",
                                    "ExpressionAttributeValues": {":a": {"N": amt}}}},
                        {"Update": {"TableName": "simple", "Key": {"id": {"S": dst}},
                                    "UpdateExpression": "SET bal = bal + :a",
                                    "ExpressionAttributeValues": {":a": {"N": amt}}}}])
                    done += 1
                except ClientError as e:
                    self.assertEqual(e.response["Error"]["Code"], "TransactionCanceledException")
                    cancelled += 1
            return done, cancelled

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            results = list(ex.map(transfer, range(8)))
        self.assertGreater(sum(r[0] for r in results), 0)
        total = sum(int(self.get(a)["bal"]["N"]) for a in accounts)
        self.assertEqual(total, 600)
        self.assertTrue(all(int(self.get(a)["bal"]["N"]) >= 0 for a in accounts))

    def test_time_to_live_deletes(self):
        import time
        self.ddb.create_table(TableName="ttl", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        now = int(time.time())
        S = lambda v: {"S": v}
        N = lambda v: {"N": str(v)}
        # Written before TTL is on: the backfill indexes them.
        self.ddb.put_item(TableName="ttl", Item={"id": S("old-expired"), "exp": N(now - 10)})
        self.ddb.put_item(TableName="ttl", Item={"id": S("future"), "exp": N(now + 3600)})
        self.ddb.put_item(TableName="ttl", Item={"id": S("no-attr")})
        self.ddb.put_item(TableName="ttl", Item={"id": S("not-a-number"), "exp": S("soon")})
        self.ddb.put_item(TableName="ttl", Item={"id": S("ancient"), "exp": N(now - 6 * 365 * 86400)})
        d = self.ddb.describe_time_to_live(TableName="ttl")["TimeToLiveDescription"]
        self.assertEqual(d["TimeToLiveStatus"], "DISABLED")
        r = self.ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        self.assertEqual(r["TimeToLiveSpecification"], {"Enabled": True, "AttributeName": "exp"})
        d = self.ddb.describe_time_to_live(TableName="ttl")["TimeToLiveDescription"]
        self.assertEqual((d["TimeToLiveStatus"], d["AttributeName"]), ("ENABLED", "exp"))
        with self.assertRaises(ClientError) as e:
            self.ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        self.assertEqual(code(e), "ValidationException")
        # Written after: by every write path.
        self.ddb.put_item(TableName="ttl", Item={"id": S("soon"), "exp": N(now + 2)}, ReturnValues="ALL_OLD")
        self.ddb.put_item(TableName="ttl", Item={"id": S("saved"), "exp": N(now + 2)})
        self.ddb.update_item(TableName="ttl", Key={"id": S("saved")}, UpdateExpression="SET exp = :f",
                             ExpressionAttributeValues={":f": N(now + 3600)})
        self.ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "ttl", "Item": {"id": S("tx"), "exp": N(now - 1)}}}])
        self.ddb.batch_write_item(RequestItems={"ttl": [{"PutRequest": {"Item": {"id": S("batch"), "exp": N(now - 1)}}}]})

        def ids():
            return sorted(i["id"]["S"] for i in self.ddb.scan(TableName="ttl")["Items"])
        deadline = time.time() + 15
        want = ["ancient", "future", "no-attr", "not-a-number", "saved"]
        while time.time() < deadline and ids() != want:
            time.sleep(0.2)
        self.assertEqual(ids(), want)
        with self.assertRaises(ClientError) as e:
            self.ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": False, "AttributeName": "other"})
        self.assertIn("different AttributeName", msg(e))
        self.ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
        self.assertEqual(self.ddb.describe_time_to_live(TableName="ttl")["TimeToLiveDescription"]["TimeToLiveStatus"], "DISABLED")
        # Off: nothing more is deleted.
        self.ddb.put_item(TableName="ttl", Item={"id": S("kept"), "exp": N(now - 100)})
        time.sleep(2.5)
        self.assertIn("kept", ids())
        self.ddb.delete_table(TableName="ttl")

    def test_backups_and_restore(self):
        self.ddb.create_table(TableName="bk-src", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        for i in range(300):
            self.ddb.put_item(TableName="bk-src", Item={"id": {"S": f"k{i:03d}"}, "v": {"N": str(i)}})
        b = self.ddb.create_backup(TableName="bk-src", BackupName="before")["BackupDetails"]
        self.assertEqual(b["BackupStatus"], "AVAILABLE")
        self.assertRegex(b["BackupArn"], r"^arn:aws:dynamodb:us-east-1:\d{12}:table/bk-src/backup/\d{13}-[0-9a-f]{8}$")
        # Changes after the backup are not in it.
        self.ddb.delete_item(TableName="bk-src", Key={"id": {"S": "k000"}})
        self.ddb.put_item(TableName="bk-src", Item={"id": {"S": "after"}})
        d = self.ddb.describe_backup(BackupArn=b["BackupArn"])["BackupDescription"]
        self.assertEqual(d["BackupDetails"]["BackupName"], "before")
        self.assertEqual(d["SourceTableDetails"]["TableName"], "bk-src")
        r = self.ddb.restore_table_from_backup(TargetTableName="bk-restored", BackupArn=b["BackupArn"])
        self.assertEqual(r["TableDescription"]["TableName"], "bk-restored")
        items = self.ddb.scan(TableName="bk-restored")["Items"]
        self.assertEqual(len(items), 300)
        self.assertIn({"id": {"S": "k000"}, "v": {"N": "0"}}, items)
        self.assertEqual(len(self.ddb.scan(TableName="bk-src")["Items"]), 300)  # k000 gone, "after" added
        self.ddb.put_item(TableName="bk-restored", Item={"id": {"S": "new"}})  # a table like any other
        with self.assertRaises(ClientError) as e:
            self.ddb.restore_table_from_backup(TargetTableName="bk-restored", BackupArn=b["BackupArn"])
        self.assertEqual(code(e), "TableAlreadyExistsException")
        b2 = self.ddb.create_backup(TableName="bk-src", BackupName="second")["BackupDetails"]
        names = [x["BackupName"] for x in self.ddb.list_backups(TableName="bk-src")["BackupSummaries"]]
        self.assertEqual(names, ["before", "second"])
        page = self.ddb.list_backups(TableName="bk-src", Limit=1)
        self.assertEqual(len(page["BackupSummaries"]), 1)
        self.assertIn("LastEvaluatedBackupArn", page)
        with self.assertRaises(ClientError) as e:
            self.ddb.create_backup(TableName="no-such-table", BackupName="x-backup")
        self.assertEqual(code(e), "TableNotFoundException")
        self.ddb.delete_backup(BackupArn=b["BackupArn"])
        with self.assertRaises(ClientError) as e:
            self.ddb.describe_backup(BackupArn=b["BackupArn"])
        self.assertEqual(code(e), "BackupNotFoundException")
        self.ddb.delete_backup(BackupArn=b2["BackupArn"])
        self.assertEqual(self.ddb.list_backups(TableName="bk-src")["BackupSummaries"], [])
        self.ddb.delete_table(TableName="bk-restored")
        self.ddb.delete_table(TableName="bk-src")

    def test_survives_restart(self):
        self.put({"id": {"S": "persist"}, "v": {"S": "kept"}})
        srv = self.srv
        srv.stop()
        srv.start()
        self.__class__.ddb = srv.client("dynamodb")
        self.__class__.res = srv.resource("dynamodb")
        self.__class__.t = self.res.Table("items")
        self.assertEqual(self.get("persist")["v"], {"S": "kept"})

    def test_transactions_and_backups_survive_kill9(self):
        # Acknowledged transactions and backups are there after kill -9 and a restart.
        self.ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "simple", "Item": {"id": {"S": f"k9-{i}"}, "v": {"N": str(i)}}}}
            for i in range(10)])
        arn = self.ddb.create_backup(TableName="simple", BackupName="k9-backup")["BackupDetails"]["BackupArn"]
        srv = self.srv
        srv.kill9()
        srv.start()
        self.__class__.ddb = srv.client("dynamodb")
        self.__class__.res = srv.resource("dynamodb")
        self.__class__.t = self.res.Table("items")
        got = self.ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": "simple", "Key": {"id": {"S": f"k9-{i}"}}}} for i in range(10)])["Responses"]
        self.assertEqual([r["Item"]["v"]["N"] for r in got], [str(i) for i in range(10)])
        self.ddb.restore_table_from_backup(TargetTableName="k9-restored", BackupArn=arn)
        r = self.ddb.get_item(TableName="k9-restored", Key={"id": {"S": "k9-3"}})
        self.assertEqual(r["Item"]["v"], {"N": "3"})
        self.ddb.delete_backup(BackupArn=arn)
        self.ddb.delete_table(TableName="k9-restored")


if __name__ == "__main__":
    unittest.main()
