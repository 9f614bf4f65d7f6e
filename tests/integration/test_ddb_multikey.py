# SPDX-License-Identifier: Apache-2.0
"""Multi-attribute keys of global secondary indexes (issue 17, package M) through boto3: up to
four HASH and four RANGE attributes, CreateTable/UpdateTable, DescribeTable's KeySchema, sparse
items, backfill, every legal Query shape in both directions (S, N with negatives and decimals,
B), pagination, index maintenance on updates and deletes, PartiQL, and a restart.
The refusals (KeySchema checks, query shapes) are rows of ddb_rows_m.py."""
import itertools
import time
import unittest
from decimal import Decimal

from botocore.exceptions import ClientError

from stratus_fixture import Server

S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": str(v)}  # noqa: E731
B = lambda v: {"B": v}  # noqa: E731


def kse(*spec):
    """kse("h1", "h2", "|", "r1") -> a KeySchema: HASH before the bar, RANGE after it."""
    out, kind = [], "HASH"
    for s in spec:
        if s == "|":
            kind = "RANGE"
        else:
            out.append({"AttributeName": s, "KeyType": kind})
    return out


def ad(**types):
    return [{"AttributeName": n, "AttributeType": t} for n, t in types.items()]


# Item attributes of the "mkt" table's index "g12": h (S) HASH; a (S), b (N) RANGE.
A_VALS = ["", "a", "ab", "b", "ba", "c"]  # "" leaves a out: the item is not in the index
B_VALS = ["-100", "-1.5", "-1", "0", "0.25", "1", "3", "1E+5"]


def py_key(item):
    return (item["a"], Decimal(item["b"]))


class MultiKey(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.ddb.create_table(
            TableName="mkt", KeySchema=kse("pk"),
            AttributeDefinitions=ad(pk="S", h="S", a="S", b="N", h1="S", h2="N", h3="B", h4="S",
                                    r1="S", r2="N", r3="B", r4="S"),
            GlobalSecondaryIndexes=[
                {"IndexName": "g12", "KeySchema": kse("h", "|", "a", "b"),
                 "Projection": {"ProjectionType": "KEYS_ONLY"}},
                {"IndexName": "g44", "KeySchema": kse("h1", "h2", "h3", "h4", "|", "r1", "r2", "r3", "r4"),
                 "Projection": {"ProjectionType": "ALL"}},
                {"IndexName": "g20", "KeySchema": kse("h", "a"),
                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}},
            ],
            BillingMode="PAY_PER_REQUEST")
        # g12's data: every (a, b) pair, in two partitions, plus sparse items.
        cls.items = []
        n = 0
        for h in ("x", "y"):
            for a, b in itertools.product(A_VALS, B_VALS):
                n += 1
                it = {"pk": S("p%03d" % n), "h": S(h), "note": S("n%d" % n)}
                if a:
                    it["a"] = S(a)
                it["b"] = N(b)
                if n % 7 == 0:
                    del it["b"]  # sparse too: no b
                cls.ddb.put_item(TableName="mkt", Item=it)
                cls.items.append(it)

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    # ---- helpers ----

    def expected(self, h, pred=lambda a, b: True, reverse=False):
        rows = [(it["a"]["S"], Decimal(it["b"]["N"]), it["pk"]["S"]) for it in self.items
                if it["h"]["S"] == h and "a" in it and "b" in it]
        rows = [r for r in rows if pred(r[0], r[1])]
        rows.sort()
        return [r[2] for r in (reversed(rows) if reverse else rows)]

    def query(self, index, kce, values, forward=True, **kw):
        out, start = [], None
        for _ in range(1000):
            args = dict(TableName="mkt", IndexName=index, KeyConditionExpression=kce,
                        ExpressionAttributeValues=values, ScanIndexForward=forward, **kw)
            if start:
                args["ExclusiveStartKey"] = start
            r = self.ddb.query(**args)
            out += r["Items"]
            start = r.get("LastEvaluatedKey")
            if not start:
                return out
        self.fail("query did not end")

    def pks(self, items):
        return [i["pk"]["S"] for i in items]

    def check(self, kce, values, pred, h="x"):
        for fwd in (True, False):
            got = self.pks(self.query("g12", kce, values, forward=fwd))
            self.assertEqual(got, self.expected(h, pred, reverse=not fwd), (kce, values, fwd))

    # ---- DescribeTable ----

    def test_describe_key_schema_as_given(self):
        t = self.ddb.describe_table(TableName="mkt")["Table"]
        by = {g["IndexName"]: g for g in t["GlobalSecondaryIndexes"]}
        self.assertEqual(by["g12"]["KeySchema"], kse("h", "|", "a", "b"))
        self.assertEqual(by["g44"]["KeySchema"],
                         kse("h1", "h2", "h3", "h4", "|", "r1", "r2", "r3", "r4"))
        self.assertEqual(by["g20"]["KeySchema"], kse("h", "a"))
        self.assertEqual(by["g12"]["IndexStatus"], "ACTIVE")
        names = sorted(a["AttributeName"] for a in t["AttributeDefinitions"])
        self.assertEqual(names, sorted(["pk", "h", "a", "b", "h1", "h2", "h3", "h4",
                                        "r1", "r2", "r3", "r4"]))

    # ---- Query shapes on g12 (h; a S, b N) ----

    def test_partition_only_sorted_by_a_then_b(self):
        self.check("h = :h", {":h": S("x")}, lambda a, b: True)
        self.check("h = :h", {":h": S("y")}, lambda a, b: True, h="y")

    def test_first_range_attribute_every_operator(self):
        for op, f in (("=", lambda a, v: a == v), ("<", lambda a, v: a < v),
                      ("<=", lambda a, v: a <= v), (">", lambda a, v: a > v),
                      (">=", lambda a, v: a >= v)):
            for v in ("a", "ab", "b", "bb", "0", "z"):
                self.check("h = :h AND a %s :a" % op, {":h": S("x"), ":a": S(v)},
                           lambda a, b, v=v, f=f: f(a, v))
        self.check("h = :h AND a BETWEEN :lo AND :hi", {":h": S("x"), ":lo": S("ab"), ":hi": S("b")},
                   lambda a, b: "ab" <= a <= "b")
        self.check("h = :h AND begins_with(a, :p)", {":h": S("x"), ":p": S("b")},
                   lambda a, b: a.startswith("b"))

    def test_second_range_attribute_numbers(self):
        ops = (("=", lambda b, v: b == v), ("<", lambda b, v: b < v), ("<=", lambda b, v: b <= v),
               (">", lambda b, v: b > v), (">=", lambda b, v: b >= v))
        for op, f in ops:
            for v in ("-1.5", "-1", "0", "0.25", "2", "100000", "-1000"):
                self.check("h = :h AND a = :a AND b %s :b" % op,
                           {":h": S("x"), ":a": S("ab"), ":b": N(v)},
                           lambda a, b, v=v, f=f: a == "ab" and f(b, Decimal(v)))
        self.check("h = :h AND a = :a AND b BETWEEN :lo AND :hi",
                   {":h": S("x"), ":a": S("b"), ":lo": N("-1.5"), ":hi": N("0.25")},
                   lambda a, b: a == "b" and Decimal("-1.5") <= b <= Decimal("0.25"))

    def test_clauses_in_any_order_and_with_names(self):
        got = self.pks(self.query("g12", "#b > :b AND a = :a AND h = :h",
                                  {":h": S("x"), ":a": S("c"), ":b": N(0)},
                                  ExpressionAttributeNames={"#b": "b"}))
        self.assertEqual(got, self.expected("x", lambda a, b: a == "c" and b > 0))

    def test_legacy_key_conditions(self):
        r = self.ddb.query(TableName="mkt", IndexName="g12", KeyConditions={
            "h": {"ComparisonOperator": "EQ", "AttributeValueList": [S("y")]},
            "a": {"ComparisonOperator": "EQ", "AttributeValueList": [S("ba")]},
            "b": {"ComparisonOperator": "GT", "AttributeValueList": [N("-1")]}})
        self.assertEqual(self.pks(r["Items"]),
                         self.expected("y", lambda a, b: a == "ba" and b > -1))

    def test_pagination_carries_every_key(self):
        want = self.expected("x")
        for fwd in (True, False):
            got, start, pages = [], None, 0
            while pages < 200:
                args = dict(TableName="mkt", IndexName="g12", KeyConditionExpression="h = :h",
                            ExpressionAttributeValues={":h": S("x")}, Limit=3,
                            ScanIndexForward=fwd)
                if start:
                    args["ExclusiveStartKey"] = start
                r = self.ddb.query(**args)
                pages += 1
                got += self.pks(r["Items"])
                start = r.get("LastEvaluatedKey")
                if not start:
                    break
                self.assertEqual(sorted(start), ["a", "b", "h", "pk"])
            self.assertEqual(got, want if fwd else want[::-1])
            self.assertGreater(pages, 5)

    def test_keys_only_projects_every_key_attribute(self):
        r = self.ddb.query(TableName="mkt", IndexName="g12", KeyConditionExpression="h = :h",
                           ExpressionAttributeValues={":h": S("y")}, Limit=1)
        self.assertEqual(sorted(r["Items"][0]), ["a", "b", "h", "pk"])

    def test_two_hash_attributes_and_include(self):
        # g20: HASH h and HASH a, no RANGE; INCLUDE note
        r = self.ddb.query(TableName="mkt", IndexName="g20",
                           KeyConditionExpression="a = :a AND h = :h",
                           ExpressionAttributeValues={":h": S("y"), ":a": S("ba")})
        want = sorted(it["pk"]["S"] for it in self.items
                      if it["h"]["S"] == "y" and it.get("a") == S("ba"))
        self.assertEqual(sorted(self.pks(r["Items"])), want)
        self.assertEqual(sorted(r["Items"][0]), ["a", "h", "note", "pk"])
        # one HASH attribute alone is not a query of this index
        with self.assertRaises(ClientError) as e:
            self.ddb.query(TableName="mkt", IndexName="g20", KeyConditionExpression="h = :h",
                           ExpressionAttributeValues={":h": S("y")})
        self.assertEqual(e.exception.response["Error"]["Message"],
                         "Query condition missed key schema element: a")

    def test_scan_of_the_index_is_sparse(self):
        got, start = [], None
        for _ in range(100):
            args = dict(TableName="mkt", IndexName="g12", Limit=10)
            if start:
                args["ExclusiveStartKey"] = start
            r = self.ddb.scan(**args)
            got += self.pks(r["Items"])
            start = r.get("LastEvaluatedKey")
            if not start:
                break
        self.assertEqual(sorted(got), sorted(self.expected("x") + self.expected("y")))

    def test_partiql_select_on_the_index(self):
        r = self.ddb.execute_statement(
            Statement='SELECT pk FROM "mkt"."g12" WHERE h = ? AND a = ? AND b >= ?',
            Parameters=[S("x"), S("ab"), N(0)])
        self.assertEqual(sorted(self.pks(r["Items"])),
                         sorted(self.expected("x", lambda a, b: a == "ab" and b >= 0)))

    # ---- four and four: types S, N, B mixed ----

    def test_four_by_four(self):
        rows = []
        bins = [b"\x00", b"\x00\x00", b"\x01", b"\x7f", b"\x80", b"\xff", b"\xff\x00"]
        i = 0
        for r1 in ("m", "n"):
            for r2 in ("-2", "0", "2.5"):
                for r3 in bins:
                    i += 1
                    it = {"pk": S("q%03d" % i), "h1": S("H"), "h2": N("7"), "h3": B(b"\x00k"),
                          "h4": S("four"), "r1": S(r1), "r2": N(r2), "r3": B(r3), "r4": S("z%d" % i)}
                    self.ddb.put_item(TableName="mkt", Item=it)
                    rows.append((r1, Decimal(r2), r3, "z%d" % i, "q%03d" % i))
        # another partition differing only in h3, and a sparse item missing h4
        self.ddb.put_item(TableName="mkt", Item={
            "pk": S("q900"), "h1": S("H"), "h2": N("7.0"), "h3": B(b"\x00l"), "h4": S("four"),
            "r1": S("m"), "r2": N(0), "r3": B(b"\x01"), "r4": S("a")})
        self.ddb.put_item(TableName="mkt", Item={
            "pk": S("q901"), "h1": S("H"), "h2": N(7), "h3": B(b"\x00k"),
            "r1": S("m"), "r2": N(0), "r3": B(b"\x01"), "r4": S("a")})
        rows.sort()
        vals = {":h1": S("H"), ":h2": N("7.00"), ":h3": B(b"\x00k"), ":h4": S("four")}
        hk = "h1 = :h1 AND h2 = :h2 AND h3 = :h3 AND h4 = :h4"
        q = lambda kce, extra, fwd=True: [i["pk"]["S"] for i in self.query(  # noqa: E731
            "g44", kce, dict(vals, **extra), forward=fwd)]
        self.assertEqual(q(hk, {}), [r[4] for r in rows])
        self.assertEqual(q(hk, {}, False), [r[4] for r in rows][::-1])
        self.assertEqual(q(hk + " AND r1 = :r1 AND r2 = :r2 AND r3 > :r3",
                           {":r1": S("n"), ":r2": N("0"), ":r3": B(b"\x7f")}),
                         [r[4] for r in rows if r[0] == "n" and r[1] == 0 and r[2] > b"\x7f"])
        self.assertEqual(q(hk + " AND r1 = :r1 AND r2 = :r2 AND begins_with(r3, :r3)",
                           {":r1": S("m"), ":r2": N("-2"), ":r3": B(b"\x00")}),
                         [r[4] for r in rows if r[0] == "m" and r[1] == -2 and r[2][:1] == b"\x00"])
        self.assertEqual(q(hk + " AND r1 = :r1 AND r2 = :r2 AND r3 = :r3 AND r4 = :r4",
                           {":r1": S("m"), ":r2": N("2.50"), ":r3": B(b"\xff"), ":r4": S("z%d" % 20)}),
                         [r[4] for r in rows if (r[0], r[1], r[2], r[3]) == ("m", Decimal("2.5"), b"\xff", "z20")])
        self.assertEqual(q(hk + " AND r1 = :r1 AND r2 BETWEEN :lo AND :hi",
                           {":r1": S("n"), ":lo": N("-2"), ":hi": N("0")}),
                         [r[4] for r in rows if r[0] == "n" and -2 <= r[1] <= 0])
        other = q("h1 = :h1 AND h2 = :h2 AND h3 = :h3 AND h4 = :h4", {":h3": B(b"\x00l")})
        self.assertEqual(other, ["q900"])
        # KeyConditions join with AND however many there are, whatever ConditionalOperator says
        # (it applies to QueryFilter)
        eq = lambda v: {"ComparisonOperator": "EQ", "AttributeValueList": [v]}  # noqa: E731
        r = self.ddb.query(TableName="mkt", IndexName="g44", ConditionalOperator="OR",
                           KeyConditions={"h1": eq(S("H")), "h2": eq(N(7)), "h3": eq(B(b"\x00k")),
                                          "h4": eq(S("four")), "r1": eq(S("m")),
                                          "r2": {"ComparisonOperator": "GT",
                                                 "AttributeValueList": [N(0)]}},
                           QueryFilter={"zz": {"ComparisonOperator": "NULL"}})
        self.assertEqual([i["pk"]["S"] for i in r["Items"]],
                         [r[4] for r in rows if r[0] == "m" and r[1] > 0])

    # ---- maintenance ----

    def test_updates_and_deletes_move_entries(self):
        key = {"pk": S("move1")}
        self.ddb.put_item(TableName="mkt", Item={"pk": S("move1"), "h": S("m"), "a": S("k"), "b": N(1)})
        q = lambda: self.pks(self.query("g12", "h = :h", {":h": S("m")}))  # noqa: E731
        qa = lambda a: self.pks(self.query("g12", "h = :h AND a = :a",  # noqa: E731
                                           {":h": S("m"), ":a": S(a)}))
        self.assertEqual(qa("k"), ["move1"])
        self.ddb.update_item(TableName="mkt", Key=key, UpdateExpression="SET a = :a",
                             ExpressionAttributeValues={":a": S("l")})
        self.assertEqual(qa("k"), [])
        self.assertEqual(qa("l"), ["move1"])
        self.ddb.update_item(TableName="mkt", Key=key, UpdateExpression="REMOVE b")
        self.assertEqual(q(), [])  # missing a RANGE attribute: out of the index
        self.ddb.update_item(TableName="mkt", Key=key, UpdateExpression="SET b = :b",
                             ExpressionAttributeValues={":b": N(2)})
        self.assertEqual(q(), ["move1"])
        self.ddb.delete_item(TableName="mkt", Key=key)
        self.assertEqual(q(), [])

    def test_wrong_type_for_a_key_attribute_is_refused(self):
        with self.assertRaises(ClientError) as e:
            self.ddb.put_item(TableName="mkt", Item={"pk": S("bad"), "h": S("x"), "a": S("a"),
                                                    "b": S("not a number")})
        self.assertEqual(e.exception.response["Error"]["Message"],
                         "One or more parameter values were invalid: Type mismatch for Index Key "
                         "b Expected: N Actual: S IndexName: g12")

    # ---- backups ----

    def test_backup_describes_and_restores_the_key(self):
        arn = self.ddb.create_backup(TableName="mkt", BackupName="mk-b")["BackupDetails"]["BackupArn"]
        d = self.ddb.describe_backup(BackupArn=arn)["BackupDescription"]
        by = {g["IndexName"]: g for g in d["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"]}
        self.assertEqual(by["g44"]["KeySchema"],
                         kse("h1", "h2", "h3", "h4", "|", "r1", "r2", "r3", "r4"))
        self.assertEqual(by["g12"]["Projection"], {"ProjectionType": "KEYS_ONLY"})
        self.ddb.restore_table_from_backup(TargetTableName="mk_restored", BackupArn=arn)
        deadline = time.time() + 60
        while time.time() < deadline:
            t = self.ddb.describe_table(TableName="mk_restored")["Table"]
            if all(g["IndexStatus"] == "ACTIVE" for g in t["GlobalSecondaryIndexes"]):
                break
            time.sleep(0.1)
        g12 = [g for g in t["GlobalSecondaryIndexes"] if g["IndexName"] == "g12"][0]
        self.assertEqual(g12["KeySchema"], kse("h", "|", "a", "b"))
        self.assertEqual(g12["IndexStatus"], "ACTIVE")
        r = self.ddb.query(TableName="mk_restored", IndexName="g12",
                           KeyConditionExpression="h = :h AND a = :a AND b < :b",
                           ExpressionAttributeValues={":h": S("y"), ":a": S("a"), ":b": N(1)})
        self.assertEqual(self.pks(r["Items"]), self.expected("y", lambda a, b: a == "a" and b < 1))

    # ---- UpdateTable: backfill; restart ----

    def test_backfill_and_restart(self):
        d = self.ddb
        d.create_table(TableName="bft", KeySchema=kse("pk"), AttributeDefinitions=ad(pk="S"),
                       BillingMode="PAY_PER_REQUEST")
        for i in range(150):
            it = {"pk": S("k%03d" % i), "u": S("u%d" % (i % 3)), "v": N(i % 5), "w": S("w%03d" % i)}
            if i % 10 == 0:
                del it["v"]
            d.put_item(TableName="bft", Item=it)
        d.update_table(TableName="bft", AttributeDefinitions=ad(pk="S", u="S", v="N", w="S"),
                       GlobalSecondaryIndexUpdates=[{"Create": {
                           "IndexName": "uv_idx", "KeySchema": kse("u", "v", "|", "w", "pk"),
                           "Projection": {"ProjectionType": "ALL"}}}])
        deadline = time.time() + 60
        while time.time() < deadline:
            g = d.describe_table(TableName="bft")["Table"]["GlobalSecondaryIndexes"][0]
            if g["IndexStatus"] == "ACTIVE":
                break
            time.sleep(0.1)
        self.assertEqual(g["IndexStatus"], "ACTIVE")
        self.assertEqual(g["KeySchema"], kse("u", "v", "|", "w", "pk"))

        def run():
            r = d.query(TableName="bft", IndexName="uv_idx",
                        KeyConditionExpression="u = :u AND v = :v AND w >= :w",
                        ExpressionAttributeValues={":u": S("u1"), ":v": N(2), ":w": S("w050")})
            return [i["pk"]["S"] for i in r["Items"]]
        want = ["k%03d" % i for i in range(50, 150) if i % 3 == 1 and i % 5 == 2 and i % 10]
        self.assertEqual(run(), want)
        # The index's definition and entries survive a restart.
        self.srv.stop()
        self.srv.start()
        d = type(self).ddb = self.srv.client("dynamodb")
        self.assertEqual(run(), want)
        g = d.describe_table(TableName="bft")["Table"]["GlobalSecondaryIndexes"][0]
        self.assertEqual(g["KeySchema"], kse("u", "v", "|", "w", "pk"))
        # Deleting the index drops its attribute definitions the table no longer uses.
        d.update_table(TableName="bft", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "uv_idx"}}])
        t = d.describe_table(TableName="bft")["Table"]
        self.assertEqual([a["AttributeName"] for a in t["AttributeDefinitions"]], ["pk"])


if __name__ == "__main__":
    unittest.main()
