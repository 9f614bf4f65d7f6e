# SPDX-License-Identifier: Apache-2.0
"""DynamoDB Streams through boto3: a record per change in the change's own batch (INSERT,
MODIFY, REMOVE exact; none for a failed condition or a no-op), the four view types, the
Streams API (ListStreams, DescribeStream, GetShardIterator, GetRecords), TTL deletes with the
service identity, kill -9, trimming; and RestoreTableToPointInTime built on the same log."""
import concurrent.futures
import re
import threading
import time
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server

S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": str(v)}  # noqa: E731


def code(e):
    return e.exception.response["Error"]["Code"]


def msg(e):
    return e.exception.response["Error"]["Message"]


class Streams(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--ttl-interval", "100").start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.st = cls.srv.client("dynamodbstreams")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def table(self, name, view="NEW_AND_OLD_IMAGES", **kw):
        r = self.ddb.create_table(
            TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": view}, **kw)
        return r["TableDescription"]["LatestStreamArn"]

    def iterator(self, arn, kind="TRIM_HORIZON", seq=None):
        shard = self.st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        kw = {"SequenceNumber": seq} if seq else {}
        return self.st.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind,
                                          **kw)["ShardIterator"]

    def records(self, arn, it=None, limit=None):
        if it is None:  # every shard in order (a shard may roll over while a test runs)
            out, nxt = [], None
            for sh in self.st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                it = self.st.get_shard_iterator(StreamArn=arn, ShardId=sh["ShardId"],
                                                ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                got, nxt = self.records(arn, it, limit)
                out += got
            return out, nxt
        out = []
        for _ in range(1000):
            kw = {"Limit": limit} if limit else {}
            r = self.st.get_records(ShardIterator=it, **kw)
            out += r["Records"]
            if not r["Records"] or "NextShardIterator" not in r:
                return out, r.get("NextShardIterator")
            it = r["NextShardIterator"]
        return out, it

    def test_every_change_once_and_exact(self):
        arn = self.table("events")
        t = "events"
        self.ddb.put_item(TableName=t, Item={"pk": S("a"), "v": N(1)})                     # INSERT
        self.ddb.put_item(TableName=t, Item={"pk": S("a"), "v": N(1)})                     # no-op
        self.ddb.update_item(TableName=t, Key={"pk": S("a")}, UpdateExpression="SET v = :v",
                             ExpressionAttributeValues={":v": N(2)})                       # MODIFY
        with self.assertRaises(ClientError):
            self.ddb.put_item(TableName=t, Item={"pk": S("a")}, ConditionExpression="v = :x",
                              ExpressionAttributeValues={":x": N(9)})                      # failed
        self.ddb.delete_item(TableName=t, Key={"pk": S("a")})                              # REMOVE
        self.ddb.delete_item(TableName=t, Key={"pk": S("a")})                              # absent
        self.ddb.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": {"pk": S("b")}}},
                                                   {"PutRequest": {"Item": {"pk": S("c")}}}]})
        self.ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": t, "Item": {"pk": S("d"), "x": S("y")}}},
            {"Delete": {"TableName": t, "Key": {"pk": S("b")}}}])
        self.ddb.execute_statement(Statement="UPDATE events SET n = 1 WHERE pk = 'c'")
        recs, nxt = self.records(arn)
        self.assertIsNotNone(nxt)  # an open shard always gives a next iterator
        got = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in recs]
        self.assertEqual(got, [("INSERT", "a"), ("MODIFY", "a"), ("REMOVE", "a"), ("INSERT", "b"),
                               ("INSERT", "c"), ("INSERT", "d"), ("REMOVE", "b"), ("MODIFY", "c")])
        m = recs[1]["dynamodb"]
        self.assertEqual(m["OldImage"], {"pk": S("a"), "v": N(1)})
        self.assertEqual(m["NewImage"], {"pk": S("a"), "v": N(2)})
        self.assertEqual(m["StreamViewType"], "NEW_AND_OLD_IMAGES")
        self.assertGreater(m["SizeBytes"], 0)
        self.assertNotIn("NewImage", recs[2]["dynamodb"])
        seqs = [r["dynamodb"]["SequenceNumber"] for r in recs]
        self.assertTrue(all(re.fullmatch(r"\d{21,40}", s) for s in seqs))
        self.assertEqual([int(s) for s in seqs], sorted(int(s) for s in seqs))
        self.assertEqual(len(set(seqs)), len(seqs))
        self.assertEqual(recs[0]["eventSource"], "aws:dynamodb")
        self.assertEqual(recs[0]["awsRegion"], "us-east-1")
        self.assertEqual(len({r["eventID"] for r in recs}), len(recs))
        # Iterator kinds.
        at = self.iterator(arn, "AT_SEQUENCE_NUMBER", seqs[3])
        self.assertEqual(self.records(arn, at)[0][0]["dynamodb"]["SequenceNumber"], seqs[3])
        after = self.iterator(arn, "AFTER_SEQUENCE_NUMBER", seqs[3])
        self.assertEqual(self.records(arn, after)[0][0]["dynamodb"]["SequenceNumber"], seqs[4])
        latest = self.iterator(arn, "LATEST")
        self.assertEqual(self.st.get_records(ShardIterator=latest)["Records"], [])
        self.ddb.put_item(TableName=t, Item={"pk": S("late")})
        r = self.st.get_records(ShardIterator=latest)["Records"]
        self.assertEqual([x["dynamodb"]["Keys"]["pk"]["S"] for x in r], ["late"])
        # Paging with Limit.
        paged, _ = self.records(arn, limit=3)
        self.assertEqual([r["eventID"] for r in paged], [r["eventID"] for r in recs] + [r[0]["eventID"]])

    def test_view_types(self):
        for view in ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE"]:
            name = "view_" + view.lower()
            arn = self.table(name, view)
            self.ddb.put_item(TableName=name, Item={"pk": S("k"), "v": N(1)})
            self.ddb.put_item(TableName=name, Item={"pk": S("k"), "v": N(2)})
            recs, _ = self.records(arn)
            d = recs[1]["dynamodb"]
            self.assertEqual(d["StreamViewType"], view)
            self.assertEqual(d["Keys"], {"pk": S("k")})
            self.assertEqual("NewImage" in d, view == "NEW_IMAGE", view)
            self.assertEqual("OldImage" in d, view == "OLD_IMAGE", view)

    def test_api_shapes_and_errors(self):
        arn = self.table("shapes")
        t = self.ddb.describe_table(TableName="shapes")["Table"]
        self.assertEqual(t["LatestStreamArn"], arn)
        self.assertTrue(arn.endswith("/stream/" + t["LatestStreamLabel"]))
        d = self.st.describe_stream(StreamArn=arn)["StreamDescription"]
        self.assertEqual(d["StreamStatus"], "ENABLED")
        self.assertEqual(d["TableName"], "shapes")
        self.assertEqual(d["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"}])
        self.assertRegex(d["Shards"][0]["ShardId"], r"^shardId-\d{20}-[0-9a-f]{8}$")
        self.table("shapes_too")
        streams = self.st.list_streams(TableName="shapes")["Streams"]
        self.assertEqual([s["StreamArn"] for s in streams], [arn])
        page = self.st.list_streams(Limit=1)
        self.assertEqual(len(page["Streams"]), 1)
        self.assertIn("LastEvaluatedStreamArn", page)
        nxt = self.st.list_streams(ExclusiveStartStreamArn=page["LastEvaluatedStreamArn"])["Streams"]
        self.assertNotIn(page["Streams"][0]["StreamArn"], [s["StreamArn"] for s in nxt])
        with self.assertRaises(ClientError) as e:
            self.st.get_records(ShardIterator="x" * 56)
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            self.st.describe_stream(StreamArn=arn.replace("shapes", "nope"))
        self.assertEqual(code(e), "ResourceNotFoundException")
        with self.assertRaises(ClientError) as e:
            self.st.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                                       ShardIteratorType="LATEST")
        self.assertEqual(code(e), "ResourceNotFoundException")
        # Switching the stream off closes it (still readable); on again is a new stream.
        self.ddb.put_item(TableName="shapes", Item={"pk": S("1")})
        it = self.iterator(arn)
        self.ddb.update_table(TableName="shapes", StreamSpecification={"StreamEnabled": False})
        self.ddb.put_item(TableName="shapes", Item={"pk": S("2")})
        d = self.st.describe_stream(StreamArn=arn)["StreamDescription"]
        self.assertEqual(d["StreamStatus"], "DISABLED")
        self.assertIn("EndingSequenceNumber", d["Shards"][0]["SequenceNumberRange"])
        recs, nxt = self.records(arn, it)
        self.assertEqual([r["dynamodb"]["Keys"]["pk"]["S"] for r in recs], ["1"])
        self.assertIsNone(nxt)  # the closed shard has been read to its end
        r = self.ddb.update_table(TableName="shapes", StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        arn2 = r["TableDescription"]["LatestStreamArn"]
        self.assertNotEqual(arn2, arn)
        self.ddb.put_item(TableName="shapes", Item={"pk": S("3")})
        self.assertEqual([r["dynamodb"]["Keys"]["pk"]["S"] for r in self.records(arn2)[0]], ["3"])

    def test_ttl_delete_has_service_identity(self):
        arn = self.table("ttl_stream")
        self.ddb.update_time_to_live(TableName="ttl_stream", TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "exp"})
        self.ddb.put_item(TableName="ttl_stream", Item={"pk": S("x"), "exp": N(int(time.time()) - 1)})
        self.ddb.delete_item(TableName="ttl_stream", Key={"pk": S("nothing")})
        deadline = time.time() + 10
        recs = []
        while time.time() < deadline and len(recs) < 2:
            recs, _ = self.records(arn)
            time.sleep(0.1)
        self.assertEqual([r["eventName"] for r in recs], ["INSERT", "REMOVE"])
        self.assertNotIn("userIdentity", recs[0])
        self.assertEqual(recs[1]["userIdentity"], {"PrincipalId": "dynamodb.amazonaws.com",
                                                   "Type": "Service"})

    def test_concurrent_writers_order_per_key(self):
        arn = self.table("concurrent")
        ddb = self.srv.client("dynamodb", max_pool_connections=8)

        def writer(k):
            for i in range(50):
                ddb.put_item(TableName="concurrent", Item={"pk": S("k%d" % k), "i": N(i)})
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            list(ex.map(writer, range(8)))
        recs, _ = self.records(arn)
        self.assertEqual(len(recs), 400)
        for k in range(8):
            mine = [int(r["dynamodb"]["NewImage"]["i"]["N"]) for r in recs
                    if r["dynamodb"]["Keys"]["pk"]["S"] == "k%d" % k]
            self.assertEqual(mine, list(range(50)))


class ShardRollover(unittest.TestCase):
    """Shards roll over (here every second): each closed shard ends where its child begins,
    children name their parents, and reading the shards in order gives every record once."""

    def test_shards_roll_over(self):
        srv = Server("--stream-shard-seconds", "1").start()
        try:
            ddb, st = srv.client("dynamodb"), srv.client("dynamodbstreams")
            arn = ddb.create_table(
                TableName="rolling", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
            )["TableDescription"]["LatestStreamArn"]
            written = []
            deadline = time.time() + 3.5
            i = 0
            while time.time() < deadline:
                ddb.put_item(TableName="rolling", Item={"pk": S("k%d" % i)})
                written.append("k%d" % i)
                i += 1
                time.sleep(0.02)
            shards = st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            self.assertGreaterEqual(len(shards), 3)
            for parent, child in zip(shards, shards[1:]):
                self.assertEqual(child["ParentShardId"], parent["ShardId"])
                self.assertIn("EndingSequenceNumber", parent["SequenceNumberRange"])
                self.assertLess(int(parent["SequenceNumberRange"]["EndingSequenceNumber"]),
                                int(child["SequenceNumberRange"]["StartingSequenceNumber"]))
            self.assertNotIn("ParentShardId", shards[0])
            self.assertNotIn("EndingSequenceNumber", shards[-1]["SequenceNumberRange"])
            for sh in shards:
                self.assertRegex(sh["ShardId"], r"^shardId-\d{20}-[0-9a-f]{8}$")
            # Paging DescribeStream.
            page = st.describe_stream(StreamArn=arn, Limit=1)["StreamDescription"]
            self.assertEqual(page["LastEvaluatedShardId"], shards[0]["ShardId"])
            page = st.describe_stream(StreamArn=arn, ExclusiveStartShardId=shards[0]["ShardId"])
            # (A period may have ended since: the list then goes on, its last shard closed.)
            ids = [sh["ShardId"] for sh in page["StreamDescription"]["Shards"]]
            self.assertEqual(ids[:len(shards) - 1], [sh["ShardId"] for sh in shards[1:]])
            # Each shard read to its end: closed ones end without a next iterator.
            seen = []
            for sh in shards:
                it = st.get_shard_iterator(StreamArn=arn, ShardId=sh["ShardId"],
                                           ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                for _ in range(100):
                    r = st.get_records(ShardIterator=it, Limit=7)
                    for rec in r["Records"]:
                        seq = int(rec["dynamodb"]["SequenceNumber"])
                        self.assertGreaterEqual(seq, int(sh["SequenceNumberRange"]["StartingSequenceNumber"]))
                        if "EndingSequenceNumber" in sh["SequenceNumberRange"]:
                            self.assertLessEqual(seq, int(sh["SequenceNumberRange"]["EndingSequenceNumber"]))
                        seen.append(rec["dynamodb"]["Keys"]["pk"]["S"])
                    if "NextShardIterator" not in r:
                        if "EndingSequenceNumber" not in sh["SequenceNumberRange"]:
                            # The open shard's period passed while it was read (a slow
                            # machine): it is closed now, as DescribeStream must say.
                            now = st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
                            now = {x["ShardId"]: x["SequenceNumberRange"] for x in now}
                            self.assertIn("EndingSequenceNumber", now[sh["ShardId"]])
                        break
                    if not r["Records"] and "EndingSequenceNumber" not in sh["SequenceNumberRange"]:
                        break  # the open shard, read up to now
                    it = r["NextShardIterator"]
            self.assertEqual(seen, written)
            # A sequence number outside a shard is refused for it.
            first_seq = shards[0]["SequenceNumberRange"]["StartingSequenceNumber"]
            with self.assertRaises(ClientError) as e:
                st.get_shard_iterator(StreamArn=arn, ShardId=shards[1]["ShardId"],
                                      ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=first_seq)
            self.assertEqual(code(e), "ValidationException")
            # After a quiet period, the next write opens a new shard whose parent is the last.
            time.sleep(1.1)
            shards2 = st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            self.assertIn("EndingSequenceNumber", shards2[len(shards) - 1]["SequenceNumberRange"])
            ddb.put_item(TableName="rolling", Item={"pk": S("late")})
            # It is in a shard after those listed before (the last of them, unless a slow
            # machine let that period end too before the write).
            later = st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][len(shards):]
            got = []
            for sh in later:
                it = st.get_shard_iterator(StreamArn=arn, ShardId=sh["ShardId"],
                                           ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                got += [r["dynamodb"]["Keys"]["pk"]["S"] for r in st.get_records(ShardIterator=it)["Records"]]
            self.assertEqual(got, ["late"])
        finally:
            srv.cleanup()


    def test_listed_shard_stays(self):
        """A shard DescribeStream listed stays in the list after its period ends, closed (with
        an EndingSequenceNumber before its child's first number) even though no record came
        in it; its reader is told it has ended. (The shard opened for a new period before its
        first record used to vanish from the next listing.)"""
        srv = Server("--stream-shard-seconds", "1").start()
        try:
            ddb, st = srv.client("dynamodb"), srv.client("dynamodbstreams")
            arn = ddb.create_table(
                TableName="idle", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
            )["TableDescription"]["LatestStreamArn"]
            ddb.put_item(TableName="idle", Item={"pk": S("a")})
            time.sleep(1.2)  # the period of "a" has ended: a new, empty shard is open
            before = st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            self.assertGreaterEqual(len(before), 2)
            idle = before[-1]
            self.assertNotIn("EndingSequenceNumber", idle["SequenceNumberRange"])
            it = st.get_shard_iterator(StreamArn=arn, ShardId=idle["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            time.sleep(1.2)  # its period ends with no record in it
            after = st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            self.assertEqual([sh["ShardId"] for sh in after[:len(before)]],
                             [sh["ShardId"] for sh in before])
            rng = after[len(before) - 1]["SequenceNumberRange"]
            self.assertIn("EndingSequenceNumber", rng)
            self.assertEqual(rng["StartingSequenceNumber"], idle["SequenceNumberRange"]["StartingSequenceNumber"])
            self.assertGreater(len(after), len(before))
            for parent, child in zip(after, after[1:]):
                self.assertEqual(child["ParentShardId"], parent["ShardId"])
                self.assertLess(int(parent["SequenceNumberRange"]["EndingSequenceNumber"]),
                                int(child["SequenceNumberRange"]["StartingSequenceNumber"]))
            r = st.get_records(ShardIterator=it)
            self.assertEqual(r["Records"], [])
            self.assertNotIn("NextShardIterator", r)
            # The next record goes to a shard after it.
            ddb.put_item(TableName="idle", Item={"pk": S("b")})
            got = []
            for sh in st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][len(before):]:
                it = st.get_shard_iterator(StreamArn=arn, ShardId=sh["ShardId"],
                                           ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                got += [x["dynamodb"]["Keys"]["pk"]["S"] for x in st.get_records(ShardIterator=it)["Records"]]
            self.assertEqual(got, ["b"])
        finally:
            srv.cleanup()


class StreamsDurability(unittest.TestCase):
    def test_kill9_and_trim(self):
        srv = Server("--stream-retention", "2").start()
        try:
            ddb, st = srv.client("dynamodb"), srv.client("dynamodbstreams")
            arn = ddb.create_table(
                TableName="dur", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
            )["TableDescription"]["LatestStreamArn"]
            for i in range(20):
                ddb.put_item(TableName="dur", Item={"pk": S("p%d" % i)})
            srv.kill9()
            srv.start()
            ddb, st = srv.client("dynamodb"), srv.client("dynamodbstreams")
            ddb.put_item(TableName="dur", Item={"pk": S("after")})
            shard = st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
            it = st.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            recs = st.get_records(ShardIterator=it)["Records"]
            self.assertEqual([r["dynamodb"]["Keys"]["pk"]["S"] for r in recs],
                             ["p%d" % i for i in range(20)] + ["after"])
            seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in recs]
            self.assertEqual(seqs, sorted(seqs))
            first = recs[0]["dynamodb"]["SequenceNumber"]
            # Records older than the retention are trimmed; an iterator into them is refused.
            deadline = time.time() + 15
            while time.time() < deadline:
                try:
                    st.get_records(ShardIterator=it)
                except ClientError as e:
                    self.assertEqual(e.response["Error"]["Code"], "TrimmedDataAccessException")
                    break
                time.sleep(0.25)
            else:
                self.fail("records were not trimmed")
            with self.assertRaises(ClientError) as e:
                st.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                      ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=first)
            self.assertEqual(code(e), "TrimmedDataAccessException")
            deadline = time.time() + 15
            while time.time() < deadline:
                it = st.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                           ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                try:
                    if st.get_records(ShardIterator=it)["Records"] == []:
                        break
                except ClientError as e:  # trimmed between the two calls: ask again
                    self.assertEqual(e.response["Error"]["Code"], "TrimmedDataAccessException")
                time.sleep(0.25)
            else:
                self.fail("the last record was not trimmed")
        finally:
            srv.cleanup()


class StreamsCrash(unittest.TestCase):
    def test_kill9_under_load_loses_no_record(self):
        """Writers race a kill -9: afterwards the table and its stream agree item for record,
        and every acknowledged write is in both."""
        srv = Server().start()
        try:
            ddb = srv.client("dynamodb", max_pool_connections=8)
            arn = ddb.create_table(
                TableName="crash", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
            )["TableDescription"]["LatestStreamArn"]
            acked, lock = set(), threading.Lock()

            def writer(w):
                for i in range(3000):
                    try:
                        ddb.put_item(TableName="crash", Item={"pk": S("w%d-%d" % (w, i))})
                    except Exception:  # the server is gone
                        return
                    with lock:
                        acked.add("w%d-%d" % (w, i))
            threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
            for t in threads:
                t.start()
            deadline = time.time() + 10
            while time.time() < deadline and len(acked) < 300:
                time.sleep(0.02)
            srv.kill9()
            for t in threads:
                t.join()
            srv.start()
            ddb, st = srv.client("dynamodb"), srv.client("dynamodbstreams")
            items, start = set(), None
            while True:
                kw = {"TableName": "crash"}
                if start:
                    kw["ExclusiveStartKey"] = start
                p = ddb.scan(**kw)
                items |= {i["pk"]["S"] for i in p["Items"]}
                start = p.get("LastEvaluatedKey")
                if not start:
                    break
            shard = st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
            it = st.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            recs = []
            while True:
                r = st.get_records(ShardIterator=it)
                recs += [x["dynamodb"]["Keys"]["pk"]["S"] for x in r["Records"]]
                if not r["Records"]:
                    break
                it = r["NextShardIterator"]
            self.assertGreaterEqual(len(acked), 300)
            self.assertEqual(len(recs), len(set(recs)))  # none twice
            self.assertEqual(set(recs), items)           # a record for every item, no other
            self.assertTrue(acked <= items)              # nothing acknowledged was lost
        finally:
            srv.cleanup()


class PointInTime(unittest.TestCase):
    def test_restore_to_a_point_in_time(self):
        srv = Server().start()
        try:
            ddb = srv.client("dynamodb")
            ddb.create_table(
                TableName="src", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "g", "AttributeType": "S"}],
                GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                         "Projection": {"ProjectionType": "ALL"}}],
                BillingMode="PAY_PER_REQUEST")
            with self.assertRaises(ClientError) as e:
                ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="dst",
                                                   UseLatestRestorableTime=True)
            self.assertEqual(code(e), "PointInTimeRecoveryUnavailableException")
            ddb.update_continuous_backups(TableName="src", PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True})
            time.sleep(1.1)  # SDKs send RestoreDateTime in whole seconds
            for i in range(10):
                ddb.put_item(TableName="src", Item={"pk": S("k%d" % i), "v": N(i), "g": S("a")})
            time.sleep(1.05 - time.time() % 1)
            t = int(time.time())
            want = {i["pk"]["S"]: i for i in ddb.scan(TableName="src")["Items"]}
            time.sleep(1.05)
            ddb.delete_item(TableName="src", Key={"pk": S("k1")})
            ddb.update_item(TableName="src", Key={"pk": S("k2")}, UpdateExpression="SET v = :v, g = :g",
                            ExpressionAttributeValues={":v": N(99), ":g": S("b")})
            ddb.put_item(TableName="src", Item={"pk": S("new"), "g": S("a")})
            ddb.update_item(TableName="src", Key={"pk": S("k2")}, UpdateExpression="SET v = :v",
                            ExpressionAttributeValues={":v": N(100)})
            r = ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="dst",
                                                   RestoreDateTime=t)
            self.assertEqual(r["TableDescription"]["TableName"], "dst")
            self.assertFalse(r["TableDescription"]["RestoreSummary"]["RestoreInProgress"])
            got = {i["pk"]["S"]: i for i in ddb.scan(TableName="dst")["Items"]}
            self.assertEqual(got, want)
            # The index is rebuilt from the restored items.
            deadline = time.time() + 20
            while time.time() < deadline:
                g = ddb.describe_table(TableName="dst")["Table"]["GlobalSecondaryIndexes"][0]
                if g["IndexStatus"] == "ACTIVE":
                    break
                time.sleep(0.1)
            r = ddb.query(TableName="dst", IndexName="by_g", KeyConditionExpression="g = :g",
                          ExpressionAttributeValues={":g": S("a")})
            self.assertEqual(r["Count"], 10)
            # The latest restorable time: everything.
            ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="dst2",
                                               UseLatestRestorableTime=True)
            self.assertEqual(len(ddb.scan(TableName="dst2")["Items"]), 10)
            with self.assertRaises(ClientError) as e:
                ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="dst",
                                                   UseLatestRestorableTime=True)
            self.assertEqual(code(e), "TableAlreadyExistsException")
            with self.assertRaises(ClientError) as e:
                ddb.restore_table_to_point_in_time(SourceTableName="src", TargetTableName="dst3",
                                                   RestoreDateTime=t - 3600)
            self.assertEqual(code(e), "InvalidRestoreTimeException")
            with self.assertRaises(ClientError) as e:
                ddb.restore_table_to_point_in_time(SourceTableName="nope", TargetTableName="dst3",
                                                   UseLatestRestorableTime=True)
            self.assertEqual(code(e), "TableNotFoundException")
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
