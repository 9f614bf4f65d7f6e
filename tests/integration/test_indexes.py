# SPDX-License-Identifier: Apache-2.0
"""Secondary indexes through boto3: GSIs and LSIs, projections, sparse indexes, Query and Scan
on indexes, index maintenance on every write path, UpdateTable backfill and delete."""
import concurrent.futures
import threading
import time
import unittest

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from stratus_fixture import Server


def code(e):
    return e.exception.response["Error"]["Code"]


def msg(e):
    return e.exception.response["Error"]["Message"]


S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": str(v)}  # noqa: E731


def ks(h, r=None):
    k = [{"AttributeName": h, "KeyType": "HASH"}]
    if r:
        k.append({"AttributeName": r, "KeyType": "RANGE"})
    return k


def ad(**types):
    return [{"AttributeName": n, "AttributeType": t} for n, t in types.items()]


class Indexes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--ttl-interval", "200").start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.res = cls.srv.resource("dynamodb")
        cls.ddb.create_table(
            TableName="orders", KeySchema=ks("pk", "sk"),
            AttributeDefinitions=ad(pk="S", sk="N", status="S", placed="N", email="S", total="N"),
            GlobalSecondaryIndexes=[
                {"IndexName": "by_status", "KeySchema": ks("status", "placed"),
                 "Projection": {"ProjectionType": "ALL"}},
                {"IndexName": "by_email", "KeySchema": ks("email"),
                 "Projection": {"ProjectionType": "KEYS_ONLY"}},
                {"IndexName": "by_status_inc", "KeySchema": ks("status", "total"),
                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}},
            ],
            LocalSecondaryIndexes=[
                {"IndexName": "by_total", "KeySchema": ks("pk", "total"),
                 "Projection": {"ProjectionType": "KEYS_ONLY"}},
            ],
            BillingMode="PAY_PER_REQUEST")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def put(self, pk, sk, **attrs):
        item = {"pk": S(pk), "sk": N(sk)}
        item.update(attrs)
        self.ddb.put_item(TableName="orders", Item=item)

    def q(self, index, cond, values, **kw):
        out, start = [], None
        while True:
            args = dict(TableName="orders", IndexName=index, KeyConditionExpression=cond,
                        ExpressionAttributeValues=values, **kw)
            if start:
                args["ExclusiveStartKey"] = start
            r = self.ddb.query(**args)
            out += r["Items"]
            start = r.get("LastEvaluatedKey")
            if not start:
                return out

    def test_describe_reports_indexes(self):
        t = self.ddb.describe_table(TableName="orders")["Table"]
        gsis = {g["IndexName"]: g for g in t["GlobalSecondaryIndexes"]}
        self.assertEqual(set(gsis), {"by_status", "by_email", "by_status_inc"})
        self.assertEqual(gsis["by_status"]["IndexStatus"], "ACTIVE")
        self.assertEqual(gsis["by_status"]["KeySchema"], ks("status", "placed"))
        self.assertEqual(gsis["by_status_inc"]["Projection"],
                         {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]})
        self.assertTrue(gsis["by_email"]["IndexArn"].endswith("/index/by_email"))
        lsi = t["LocalSecondaryIndexes"]
        self.assertEqual([i["IndexName"] for i in lsi], ["by_total"])
        self.assertEqual(len(t["AttributeDefinitions"]), 6)

    def test_projections_and_sparse_index(self):
        self.put("p1", 1, status=S("open"), placed=N(30), email=S("a@x"), total=N(5),
                 note=S("n1"), extra=S("e1"))
        self.put("p1", 2, status=S("open"), placed=N(10), total=N(7), extra=S("e2"))
        self.put("p2", 1, status=S("done"), placed=N(20), email=S("b@x"))
        self.put("p3", 1, extra=S("no index keys"))
        items = self.q("by_status", "#s = :s", {":s": S("open")},
                       ExpressionAttributeNames={"#s": "status"})
        self.assertEqual([i["placed"]["N"] for i in items], ["10", "30"])  # sorted by placed
        self.assertEqual(items[1]["extra"], S("e1"))  # ALL projects everything
        keys = self.q("by_email", "email = :e", {":e": S("a@x")})
        self.assertEqual(keys, [{"pk": S("p1"), "sk": N(1), "email": S("a@x")}])  # KEYS_ONLY
        inc = self.q("by_status_inc", "#s = :s", {":s": S("open")},
                     ExpressionAttributeNames={"#s": "status"})
        self.assertEqual(inc, [{"pk": S("p1"), "sk": N(1), "status": S("open"), "total": N(5),
                                "note": S("n1")},
                               {"pk": S("p1"), "sk": N(2), "status": S("open"), "total": N(7)}])
        # p3 carries no index key: in no index. An item without `placed` is not in by_status.
        self.put("p4", 1, status=S("open"))
        items = self.q("by_status", "#s = :s", {":s": S("open")},
                       ExpressionAttributeNames={"#s": "status"})
        self.assertNotIn("p4", [i["pk"]["S"] for i in items])
        scan = self.ddb.scan(TableName="orders", IndexName="by_email",
                             FilterExpression="pk IN (:a, :b, :c)",
                             ExpressionAttributeValues={":a": S("p1"), ":b": S("p2"), ":c": S("p3")})["Items"]
        self.assertEqual(sorted(i["pk"]["S"] for i in scan), ["p1", "p2"])

    def test_writes_keep_indexes_in_step(self):
        self.put("w", 1, email=S("old@x"))
        self.assertEqual(len(self.q("by_email", "email = :e", {":e": S("old@x")})), 1)
        # UpdateItem moves the item to another index key: the old entry goes.
        self.ddb.update_item(TableName="orders", Key={"pk": S("w"), "sk": N(1)},
                             UpdateExpression="SET email = :n", ExpressionAttributeValues={":n": S("new@x")})
        self.assertEqual(self.q("by_email", "email = :e", {":e": S("old@x")}), [])
        self.assertEqual(len(self.q("by_email", "email = :e", {":e": S("new@x")})), 1)
        # REMOVE takes it out of the (sparse) index.
        self.ddb.update_item(TableName="orders", Key={"pk": S("w"), "sk": N(1)},
                             UpdateExpression="REMOVE email")
        self.assertEqual(self.q("by_email", "email = :e", {":e": S("new@x")}), [])
        # Transactions, batches and deletes reach the index too.
        self.ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "orders", "Item": {"pk": S("tx"), "sk": N(1), "email": S("t@x")}}},
            {"Update": {"TableName": "orders", "Key": {"pk": S("w"), "sk": N(1)},
                        "UpdateExpression": "SET email = :e", "ExpressionAttributeValues": {":e": S("t@x")}}}])
        self.assertEqual(len(self.q("by_email", "email = :e", {":e": S("t@x")})), 2)
        self.ddb.batch_write_item(RequestItems={"orders": [
            {"DeleteRequest": {"Key": {"pk": S("tx"), "sk": N(1)}}},
            {"PutRequest": {"Item": {"pk": S("b"), "sk": N(1), "email": S("t@x")}}}]})
        got = sorted(i["pk"]["S"] for i in self.q("by_email", "email = :e", {":e": S("t@x")}))
        self.assertEqual(got, ["b", "w"])
        self.ddb.delete_item(TableName="orders", Key={"pk": S("w"), "sk": N(1)})
        self.ddb.put_item(TableName="orders", Item={"pk": S("b"), "sk": N(1)})  # replaced, no email
        self.assertEqual(self.q("by_email", "email = :e", {":e": S("t@x")}), [])

    def test_index_key_types_are_checked(self):
        with self.assertRaises(ClientError) as e:
            self.put("bad", 1, status=N(1))
        self.assertEqual(code(e), "ValidationException")
        self.assertEqual(msg(e), "One or more parameter values were invalid: Type mismatch for "
                                 "Index Key status Expected: S Actual: N IndexName: by_status")
        with self.assertRaises(ClientError) as e:
            self.put("bad", 1, email=S(""))
        self.assertIn("IndexName: by_email, IndexKey: email", msg(e))
        with self.assertRaises(ClientError) as e:
            self.ddb.update_item(TableName="orders", Key={"pk": S("bad"), "sk": N(1)},
                                 UpdateExpression="SET placed = :p", ExpressionAttributeValues={":p": S("x")})
        self.assertIn("Type mismatch for Index Key placed Expected: N Actual: S", msg(e))
        with self.assertRaises(ClientError) as e:
            self.ddb.batch_write_item(RequestItems={"orders": [
                {"PutRequest": {"Item": {"pk": S("bad"), "sk": N(1), "total": {"BOOL": True}}}}]})
        self.assertIn("Type mismatch for Index Key total Expected: N Actual: BOOL", msg(e))
        with self.assertRaises(ClientError) as e:
            self.put("bad", 1, email=S("x" * 2049))
        self.assertIn("maximum size limit of2048 bytes", msg(e))
        self.assertNotIn("Item", self.ddb.get_item(TableName="orders", Key={"pk": S("bad"), "sk": N(1)}))

    def test_query_paging_order_and_conditions(self):
        for i in range(40):
            self.put("pg", i, status=S("paging"), placed=N(i % 10), total=N(-i))
        cond, vals = "#s = :s", {":s": S("paging")}
        names = {"#s": "status"}
        all_ = self.q("by_status", cond, vals, ExpressionAttributeNames=names, Limit=7)
        self.assertEqual(len(all_), 40)
        self.assertEqual(len({(i["pk"]["S"], i["sk"]["N"]) for i in all_}), 40)
        self.assertEqual([int(i["placed"]["N"]) for i in all_], sorted(int(i["placed"]["N"]) for i in all_))
        rev = self.q("by_status", cond, vals, ExpressionAttributeNames=names, Limit=9, ScanIndexForward=False)
        self.assertEqual([(i["pk"]["S"], i["sk"]["N"]) for i in rev],
                         [(i["pk"]["S"], i["sk"]["N"]) for i in reversed(all_)])
        r = self.ddb.query(TableName="orders", IndexName="by_status", Limit=3,
                           KeyConditionExpression=cond, ExpressionAttributeValues=vals,
                           ExpressionAttributeNames=names)
        self.assertEqual(set(r["LastEvaluatedKey"]), {"pk", "sk", "status", "placed"})
        for op, v, want in [("=", 3, 4), ("<", 3, 12), ("<=", 3, 16), (">", 8, 4), (">=", 8, 8)]:
            got = self.q("by_status", f"#s = :s AND placed {op} :p", {":s": S("paging"), ":p": N(v)},
                         ExpressionAttributeNames=names)
            self.assertEqual(len(got), want, op)
        got = self.q("by_status", "#s = :s AND placed BETWEEN :a AND :b",
                     {":s": S("paging"), ":a": N(2), ":b": N(4)}, ExpressionAttributeNames=names)
        self.assertEqual(len(got), 12)
        got = self.ddb.query(TableName="orders", IndexName="by_status", KeyConditionExpression=cond,
                             FilterExpression="#t IN (:a, :b, :c, :d)",
                             ExpressionAttributeNames=dict(names, **{"#t": "total"}),
                             ExpressionAttributeValues={":s": S("paging"), ":a": N(0), ":b": N(-10),
                                                        ":c": N(-20), ":d": N(-30)})
        self.assertEqual((got["Count"], got["ScannedCount"]), (4, 40))
        # As DynamoDB, a Query's filter may not name the index's key (the key condition does).
        with self.assertRaises(ClientError) as e:
            self.ddb.query(TableName="orders", IndexName="by_status", KeyConditionExpression=cond,
                           FilterExpression="placed = :p", ExpressionAttributeNames=names,
                           ExpressionAttributeValues={":s": S("paging"), ":p": N(0)})
        self.assertEqual(e.exception.response["Error"]["Message"], "Filter Expression can only "
                         "contain non-primary key attributes: Primary key attribute: placed")
        # The LSI orders one partition by total (negative numbers first).
        lsi = self.q("by_total", "pk = :p", {":p": S("pg")})
        self.assertEqual([int(i["total"]["N"]) for i in lsi], sorted(-i for i in range(40)))
        self.assertEqual(set(lsi[0]), {"pk", "sk", "total"})  # KEYS_ONLY
        # ...and fetches what it does not project, as DynamoDB does for local indexes.
        full = self.q("by_total", "pk = :p AND #t > :t", {":p": S("pg"), ":t": N(-3)},
                      Select="ALL_ATTRIBUTES", ExpressionAttributeNames={"#t": "total"})
        self.assertEqual(len(full), 3)
        self.assertEqual(full[0]["status"], S("paging"))
        some = self.q("by_total", "pk = :p AND #t = :t", {":p": S("pg"), ":t": N(-5)},
                      ExpressionAttributeNames={"#t": "total"},
                      ProjectionExpression="placed")
        self.assertEqual(some, [{"placed": N(5)}])
        # Resource API: a Key condition on an index.
        t = self.res.Table("orders")
        r = t.query(IndexName="by_status", KeyConditionExpression=Key("status").eq("paging") & Key("placed").gte(9))
        self.assertEqual(r["Count"], 4)

    def test_parallel_scan_of_an_index(self):
        for i in range(200):
            self.put("ps%d" % i, 0, email=S("ps%d@x" % (i % 50)))
        seen = []
        for seg in range(4):
            start = None
            while True:
                kw = dict(TableName="orders", IndexName="by_email", Segment=seg, TotalSegments=4,
                          Limit=13, FilterExpression=Attr("pk").begins_with("ps"))
                if start:
                    kw["ExclusiveStartKey"] = start
                r = self.res.Table("orders").scan(**kw)
                seen += [i["pk"] for i in r["Items"]]
                start = r.get("LastEvaluatedKey")
                if not start:
                    break
        self.assertEqual(sorted(seen), sorted("ps%d" % i for i in range(200)))

    def test_read_refusals(self):
        base = dict(TableName="orders", KeyConditionExpression="email = :e",
                    ExpressionAttributeValues={":e": S("a@x")})
        with self.assertRaises(ClientError) as e:
            self.ddb.query(IndexName="nope", **base)
        self.assertEqual(msg(e), "The table does not have the specified index: nope")
        with self.assertRaises(ClientError) as e:
            self.ddb.query(IndexName="by_email", ConsistentRead=True, **base)
        self.assertEqual(msg(e), "Consistent reads are not supported on global secondary indexes")
        with self.assertRaises(ClientError) as e:
            self.ddb.query(IndexName="by_email", Select="ALL_ATTRIBUTES", **base)
        self.assertEqual(msg(e), "One or more parameter values were invalid: Select type "
                                 "ALL_ATTRIBUTES is not supported for global secondary index "
                                 "by_email because its projection type is not ALL")
        with self.assertRaises(ClientError) as e:
            self.ddb.query(IndexName="by_email", KeyConditionExpression="pk = :e",
                           TableName="orders", ExpressionAttributeValues={":e": S("a")})
        self.assertEqual(msg(e), "Query condition missed key schema element: email")
        with self.assertRaises(ClientError) as e:
            self.ddb.scan(TableName="orders", Select="ALL_PROJECTED_ATTRIBUTES")
        self.assertEqual(msg(e), "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
        with self.assertRaises(ClientError) as e:
            self.ddb.query(IndexName="by_email", ExclusiveStartKey={"pk": S("a"), "sk": N(1)}, **base)
        self.assertIn("The provided starting key is invalid", msg(e))
        r = self.ddb.query(IndexName="by_email", Select="ALL_PROJECTED_ATTRIBUTES", **base)
        self.assertIn("Count", r)

    def test_create_table_validation(self):
        def create(**kw):
            args = dict(TableName="vtab", KeySchema=ks("a", "b"), AttributeDefinitions=ad(a="S", b="S", c="S"),
                        BillingMode="PAY_PER_REQUEST")
            args.update(kw)
            with self.assertRaises(ClientError) as e:
                self.ddb.create_table(**args)
            self.assertEqual(code(e), "ValidationException")
            return msg(e)
        gsi = lambda name="gs1", keys=None, proj=None, **kw: dict(  # noqa: E731
            IndexName=name, KeySchema=keys or ks("c"), Projection=proj or {"ProjectionType": "ALL"}, **kw)
        self.assertEqual(create(GlobalSecondaryIndexes=[gsi(), gsi()]),
                         "One or more parameter values were invalid: Duplicate index name: gs1")
        self.assertEqual(create(GlobalSecondaryIndexes=[gsi(keys=ks("zz"))]),
                         "One or more parameter values were invalid: Some index key attributes are not "
                         "defined in AttributeDefinitions. Keys: [zz], AttributeDefinitions: [a, b, c]")
        self.assertEqual(create(GlobalSecondaryIndexes=[gsi("gs%d" % i) for i in range(21)]),
                         "One or more parameter values were invalid: GlobalSecondaryIndex count "
                         "exceeds the per-table limit of 20")
        self.assertEqual(create(GlobalSecondaryIndexes=[gsi(proj={"ProjectionType": "ALL", "NonKeyAttributes": ["x"]})]),
                         "One or more parameter values were invalid: ProjectionType is ALL, but "
                         "NonKeyAttributes is specified")
        self.assertEqual(create(AttributeDefinitions=ad(a="S", b="S", c="S", d="S"),
                                GlobalSecondaryIndexes=[gsi()]),
                         "One or more parameter values were invalid: Some AttributeDefinitions are not "
                         "used. AttributeDefinitions: [a, b, c, d], keys used: [a, b, c]")
        self.assertEqual(create(LocalSecondaryIndexes=[gsi(keys=ks("c", "b"))]),
                         "One or more parameter values were invalid: Index KeySchema does not have the "
                         "same leading hash key as table KeySchema for index: gs1. index hash key: c, "
                         "table hash key: a")
        self.assertEqual(create(KeySchema=ks("a"), AttributeDefinitions=ad(a="S", c="S"),
                                LocalSecondaryIndexes=[gsi(keys=ks("a", "c"))]),
                         "One or more parameter values were invalid: Table KeySchema does not have a "
                         "range key, which is required when specifying a LocalSecondaryIndex")
        self.assertEqual(create(BillingMode="PROVISIONED",
                                ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                                GlobalSecondaryIndexes=[gsi()]),
                         "One or more parameter values were invalid: ProvisionedThroughput is not "
                         "specified for index: gs1")
        raw = self.srv.client("dynamodb", parameter_validation=False)
        with self.assertRaises(ClientError) as e:
            raw.create_table(TableName="vtab", KeySchema=ks("a"), AttributeDefinitions=ad(a="S", c="S"),
                             BillingMode="PAY_PER_REQUEST", GlobalSecondaryIndexes=[gsi("ab")])
        self.assertEqual(msg(e), "1 validation error detected: Value 'ab' at "
                                 "'globalSecondaryIndexes.1.member.indexName' failed to satisfy "
                                 "constraint: Member must have length greater than or equal to 3")
        with self.assertRaises(ClientError):
            self.ddb.describe_table(TableName="vtab")

    def test_ttl_and_restart_keep_indexes(self):
        self.ddb.create_table(TableName="ttl_ix", KeySchema=ks("id"), AttributeDefinitions=ad(id="S", g="S"),
                              GlobalSecondaryIndexes=[{"IndexName": "gix", "KeySchema": ks("g"),
                                                       "Projection": {"ProjectionType": "ALL"}}],
                              BillingMode="PAY_PER_REQUEST")
        self.ddb.update_time_to_live(TableName="ttl_ix", TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "exp"})
        self.ddb.put_item(TableName="ttl_ix", Item={"id": S("a"), "g": S("x"), "exp": N(int(time.time()) - 5)})
        self.ddb.put_item(TableName="ttl_ix", Item={"id": S("b"), "g": S("x")})
        deadline = time.time() + 10
        while time.time() < deadline and "Item" in self.ddb.get_item(TableName="ttl_ix", Key={"id": S("a")}):
            time.sleep(0.1)
        r = self.ddb.query(TableName="ttl_ix", IndexName="gix", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": S("x")})
        self.assertEqual([i["id"]["S"] for i in r["Items"]], ["b"])


class Backfill(unittest.TestCase):
    """UpdateTable creates a GSI on a populated table while writes go on; deletes it."""

    def test_backfill_under_writes_equals_recomputation(self):
        srv = Server("--ttl-interval", "100").start()
        try:
            ddb = srv.client("dynamodb", max_pool_connections=16)
            ddb.create_table(TableName="big", KeySchema=ks("id"), AttributeDefinitions=ad(id="S"),
                             BillingMode="PAY_PER_REQUEST")
            total = 100000

            def load(lo):
                for b in range(lo, min(lo + 5000, total), 25):
                    ddb.batch_write_item(RequestItems={"big": [
                        {"PutRequest": {"Item": {"id": S("i%06d" % i), "grp": S("g%d" % (i % 97)),
                                                 "n": N(i)}}} for i in range(b, min(b + 25, total))]})
            with concurrent.futures.ThreadPoolExecutor(8) as ex:
                list(ex.map(load, range(0, total, 5000)))

            stop = threading.Event()
            written = {}

            def writer(w):
                i = 0
                while not stop.is_set() and i < 20000:
                    k = "i%06d" % ((w * 7919 + i * 31) % total)
                    g = "w%d" % (i % 13)
                    ddb.update_item(TableName="big", Key={"id": S(k)}, UpdateExpression="SET grp = :g",
                                    ExpressionAttributeValues={":g": S(g)})
                    if i % 5 == 0:
                        ddb.update_item(TableName="big", Key={"id": S(k)}, UpdateExpression="REMOVE grp")
                    i += 1
                written[w] = i
            threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
            for th in threads:
                th.start()
            time.sleep(0.3)
            r = ddb.update_table(TableName="big", AttributeDefinitions=ad(grp="S", n="N"),
                                 GlobalSecondaryIndexUpdates=[{"Create": {
                                     "IndexName": "by_grp", "KeySchema": ks("grp", "n"),
                                     "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["id"]}}}])
            g = r["TableDescription"]["GlobalSecondaryIndexes"][0]
            self.assertEqual((g["IndexStatus"], g["Backfilling"]), ("CREATING", True))
            with self.assertRaises(ClientError) as e:
                ddb.query(TableName="big", IndexName="by_grp", KeyConditionExpression="grp = :g",
                          ExpressionAttributeValues={":g": S("g1")})
            self.assertIn("backfilling", msg(e))
            deadline = time.time() + 120
            while time.time() < deadline:
                d = ddb.describe_table(TableName="big")["Table"]
                if d["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE":
                    break
                time.sleep(0.2)
            self.assertEqual(d["GlobalSecondaryIndexes"][0]["IndexStatus"], "ACTIVE")
            time.sleep(0.5)  # writes go on after the backfill too
            stop.set()
            for th in threads:
                th.join()
            self.assertTrue(all(n > 0 for n in written.values()))
            # Recompute from the table and compare with the index, entry for entry.
            want, start = {}, None
            while True:
                kw = {"TableName": "big"}
                if start:
                    kw["ExclusiveStartKey"] = start
                p = ddb.scan(**kw)
                for it in p["Items"]:
                    if "grp" in it:
                        want[it["id"]["S"]] = (it["grp"]["S"], it["n"]["N"])
                start = p.get("LastEvaluatedKey")
                if not start:
                    break
            got, start = {}, None
            while True:
                kw = {"TableName": "big", "IndexName": "by_grp"}
                if start:
                    kw["ExclusiveStartKey"] = start
                p = ddb.scan(**kw)
                for it in p["Items"]:
                    self.assertNotIn(it["id"]["S"], got)
                    self.assertEqual(set(it), {"id", "grp", "n"})
                    got[it["id"]["S"]] = (it["grp"]["S"], it["n"]["N"])
                start = p.get("LastEvaluatedKey")
                if not start:
                    break
            self.assertEqual(len(want), len(got))
            self.assertEqual(want, got)
            d = ddb.describe_table(TableName="big")["Table"]
            self.assertEqual(d["ItemCount"], total)
            self.assertEqual(d["GlobalSecondaryIndexes"][0]["ItemCount"], len(want))
            self.assertGreater(d["GlobalSecondaryIndexes"][0]["IndexSizeBytes"], 0)
            self.assertEqual({a["AttributeName"] for a in d["AttributeDefinitions"]}, {"id", "grp", "n"})

            # The index survives kill -9.
            srv.kill9()
            srv.start()
            ddb = srv.client("dynamodb")
            r = ddb.query(TableName="big", IndexName="by_grp", KeyConditionExpression="grp = :g",
                          ExpressionAttributeValues={":g": S("g5")}, Select="COUNT")
            self.assertEqual(r["Count"], sum(1 for v in want.values() if v[0] == "g5"))

            with self.assertRaises(ClientError) as e:
                ddb.update_table(TableName="big", AttributeDefinitions=ad(grp="S", n="N"),
                                 GlobalSecondaryIndexUpdates=[{"Create": {
                                     "IndexName": "by_grp", "KeySchema": ks("grp"),
                                     "Projection": {"ProjectionType": "ALL"}}}])
            self.assertEqual(msg(e), "Attempting to create an index which already exists")
            with self.assertRaises(ClientError) as e:
                ddb.update_table(TableName="big", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nope"}}])
            self.assertEqual(code(e), "ResourceNotFoundException")
            r = ddb.update_table(TableName="big", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_grp"}}])
            self.assertNotIn("GlobalSecondaryIndexes", r["TableDescription"])
            with self.assertRaises(ClientError) as e:
                ddb.query(TableName="big", IndexName="by_grp", KeyConditionExpression="grp = :g",
                          ExpressionAttributeValues={":g": S("g1")})
            self.assertEqual(msg(e), "The table does not have the specified index: by_grp")
            self.assertEqual([a["AttributeName"] for a in
                              ddb.describe_table(TableName="big")["Table"]["AttributeDefinitions"]], ["id"])
            ddb.put_item(TableName="big", Item={"id": S("after"), "grp": N(1)})  # no index: any type
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
