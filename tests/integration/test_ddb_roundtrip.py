# SPDX-License-Identifier: Apache-2.0
"""Issue 17 (packages E and I together): a table exported to S3 by ExportTableToPointInTime and
imported back by ImportTable from the export's data files equals the table item for item, in
DYNAMODB_JSON and in ION. Skipped where the server has no ImportTable (package E's branch
alone). RoundTripEveryTypeAndGsi (package I2): every attribute type and two GSIs, the tables
and their indexes compared item for item."""
import base64
import json
import time
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server
from test_ddb_export import ITEMS, norm_item

KEYS = dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST")


def scan_all(ddb, table):
    items, start = [], None
    for _ in range(10000):
        r = ddb.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        items += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            return items
    raise AssertionError("scan did not end")


def until(fn, what, limit=120):
    deadline = time.time() + limit
    while time.time() < deadline:
        d = fn()
        if d[what] != "IN_PROGRESS":
            return d
        time.sleep(0.1)
    raise AssertionError("still IN_PROGRESS")


class RoundTrip(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb, cls.s3 = cls.srv.client("dynamodb"), cls.srv.client("s3")
        try:
            cls.ddb.describe_import(
                ImportArn="arn:aws:dynamodb:us-east-1:000000000000:table/x/import/"
                          "01234567890123-0123abcd")
        except ClientError as e:
            if e.response["Error"]["Code"] == "UnknownOperationException":
                cls.srv.cleanup()
                raise unittest.SkipTest("this server has no ImportTable")
        cls.s3.create_bucket(Bucket="rt-bucket")
        cls.ddb.create_table(TableName="rt-src", **KEYS)
        for it in ITEMS:
            cls.ddb.put_item(TableName="rt-src", Item=it)
        for i in range(2500):  # several data files' worth
            cls.ddb.put_item(TableName="rt-src", Item={
                "pk": {"S": "g%05d" % i}, "n": {"N": str(i * 7 - 3000)}, "s": {"S": "é" * (i % 9)},
                "l": {"L": [{"N": "%d.25" % i}, {"BOOL": i % 2 == 0}]}})
        cls.ddb.update_continuous_backups(TableName="rt-src", PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        cls.arn = cls.ddb.describe_table(TableName="rt-src")["Table"]["TableArn"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def round_trip(self, fmt):
        e = self.ddb.export_table_to_point_in_time(TableArn=self.arn, S3Bucket="rt-bucket",
                                                   S3Prefix="rt-" + fmt, ExportFormat=fmt)
        d = until(lambda: self.ddb.describe_export(
            ExportArn=e["ExportDescription"]["ExportArn"])["ExportDescription"], "ExportStatus")
        self.assertEqual(d["ExportStatus"], "COMPLETED", d)
        data = d["ExportManifest"].rsplit("/", 1)[0] + "/data/"
        target = "rt-dst-" + fmt.lower().replace("_", "-")
        r = self.ddb.import_table(S3BucketSource={"S3Bucket": "rt-bucket", "S3KeyPrefix": data},
                                  InputFormat=fmt, InputCompressionType="GZIP",
                                  TableCreationParameters=dict(TableName=target, **KEYS))
        i = until(lambda: self.ddb.describe_import(
            ImportArn=r["ImportTableDescription"]["ImportArn"])["ImportTableDescription"],
            "ImportStatus")
        self.assertEqual(i["ImportStatus"], "COMPLETED", i)
        self.assertEqual(i["ImportedItemCount"], d["ItemCount"])
        self.assertEqual(i.get("ErrorCount", 0), 0)
        src = sorted(norm_item(x) for x in scan_all(self.ddb, "rt-src"))
        dst = sorted(norm_item(x) for x in scan_all(self.ddb, target))
        self.assertEqual(len(dst), len(src))
        self.assertEqual(dst, src)

    def test_dynamodb_json(self):
        self.round_trip("DYNAMODB_JSON")

    def test_ion(self):
        self.round_trip("ION")



TYPED_KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
         {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "gb", "AttributeType": "B"}]
GSIS = [{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                           {"AttributeName": "sk", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "ALL"}},
        {"IndexName": "bygb", "KeySchema": [{"AttributeName": "gb", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["s"]}}]

RICH = [
    {"pk": {"S": "every type"}, "sk": {"N": "1"}, "g": {"S": "g-rich"}, "gb": {"B": b"\x00idx"},
     "s": {"S": "quote \" backslash \\ newline \n tab \t cr \r nul-free ünïcödé € 🎉 'single' {{x}} $ion_1_0"},
     "empty": {"S": ""}, "emptyb": {"B": b""}, "slashes": {"B": b"\xff\xff\xfb\xef"},
     "text": {"S": "// not a comment /* nor this */ {{ AAE= }} [ ( ''' \\u0000 \u2028 \x00 nul"},
     "a//b /*{{": {"M": {"'q'": {"S": "}}"}, "k//ey{": {"BS": [b"\xff\xff", b"\xfb\xff"]}}},
     "n": {"N": "12.5"}, "neg": {"N": "-12.50"}, "int": {"N": "42"}, "zero": {"N": "0"},
     "big": {"N": "12345678901234567890123456789012345678"}, "bigneg": {"N": "-9.9999999999999999999999999999999999999E+125"},
     "huge": {"N": "9.9E+125"}, "tiny": {"N": "1E-130"}, "small": {"N": "-0.000123"},
     "exp": {"N": "1E+20"}, "frac": {"N": "0.05"}, "lead": {"N": "007"},
     "b": {"B": b"\x00\x01\x02\xfe\xff"}, "t": {"BOOL": True}, "f": {"BOOL": False}, "z": {"NULL": True},
     "m": {"M": {"weird key-1": {"S": "x"}, "it's": {"L": [{"N": "100"}, {"S": ""}, {"BOOL": False}]},
                 "null": {"N": "0.05"}, "ü €": {"NULL": True},
                 "nested": {"M": {"deeper": {"M": {"deepest": {"NS": ["1", "2"]}, "e": {"M": {}}}}}}}},
     "l": {"L": [{"N": "1"}, {"M": {}}, {"L": []}, {"L": [{"S": "in"}, {"NULL": True}, {"B": b"\xff"}]},
                 {"SS": ["q"]}, {"BS": [b"\x01"]}, {"NS": ["-1"]}]},
     "ss": {"SS": ["x", "y", "", "ü", "$dynamodb_SS"]}, "ns": {"NS": ["1", "2.5", "-300", "1E+100", "1E-100"]},
     "bs": {"BS": [b"1", b"22", b"\x00", b""]}},
    {"pk": {"S": "only keys"}, "sk": {"N": "-5.5"}},
    {"pk": {"S": "ü€🎉"}, "sk": {"N": "1E+30"}, "v": {"L": []}, "w": {"M": {}}, "g": {"S": "g-rich"}},
    {"pk": {"S": "\"quoted\" pk"}, "sk": {"N": "-1E-130"}, "gb": {"B": b"\x00idx"}, "s": {"S": "p"}},
]


def filler(i):
    """Generated items: enough for more than one data file (E writes at most 10 000 items per
    file), every type somewhere, sparse GSI keys."""
    it = {"pk": {"S": "p%03d" % (i % 211)}, "sk": {"N": "%d.%d" % (i, i % 10)},
          "n": {"N": str(i * 7 - 5000)}, "s": {"S": "v" * (i % 30)}}
    if i % 3 == 0:
        it["g"] = {"S": "g%d" % (i % 17)}
    if i % 5 == 0:
        it["gb"] = {"B": bytes([i % 256, (i * 7) % 256])}
    if i % 7 == 0:
        it["m"] = {"M": {"a": {"L": [{"N": str(i)}, {"S": str(i)}, {"BOOL": i % 2 == 0}]},
                         "ss": {"SS": ["a%d" % i, "b"]}}}
    if i % 11 == 0:
        it["z"] = {"NULL": True}
        it["bs"] = {"BS": [bytes([i % 256]), b"zz"]}
        it["ns"] = {"NS": [str(i), "0.%d" % (i + 1)]}
    return it


N_FILLER = 10500


def norm(v):
    """A low-level value with its sets sorted (DynamoDB keeps no set order); all else exact."""
    (t, x), = v.items()
    if t in ("SS", "NS", "BS"):
        return {t: sorted(x)}
    if t == "M":
        return {"M": {k: norm(e) for k, e in x.items()}}
    if t == "L":
        return {"L": [norm(e) for e in x]}
    return {t: x}


def key(it):
    return (it["pk"]["S"], it["sk"]["N"])


def as_text(items):
    """Items as comparable JSON text, sorted by key (bytes as base64)."""
    return [json.dumps({k: norm(v) for k, v in it.items()}, sort_keys=True,
                       default=lambda b: base64.b64encode(b).decode())
            for it in sorted(items, key=key)]


class RoundTripEveryTypeAndGsi(unittest.TestCase):
    """Every attribute type (Ion-looking text, NUL, blobs of / and +, numbers at DynamoDB's
    limits, empty strings and binaries, nested sets) and two GSIs (S+N and B keys), 10 504 items;
    both tables and both indexes compared item for item (sets sorted, all else exact)."""
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.s3 = cls.srv.client("s3")
        cls.s3.create_bucket(Bucket="round-trip")
        cls.ddb.create_table(TableName="source", KeySchema=TYPED_KEYS, AttributeDefinitions=ATTRS,
                             GlobalSecondaryIndexes=GSIS, BillingMode="PAY_PER_REQUEST")
        for it in RICH:
            cls.ddb.put_item(TableName="source", Item=it)
        batch = [filler(i) for i in range(N_FILLER)]
        for lo in range(0, len(batch), 25):
            req = {"source": [{"PutRequest": {"Item": it}} for it in batch[lo:lo + 25]]}
            for _ in range(50):
                req = cls.ddb.batch_write_item(RequestItems=req).get("UnprocessedItems")
                if not req:
                    break
            else:
                raise AssertionError("batch write did not finish")
        cls.ddb.update_continuous_backups(
            TableName="source", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        cls.arn = cls.ddb.describe_table(TableName="source")["Table"]["TableArn"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def until(self, what, arn, field, timeout=300):
        deadline = time.time() + timeout
        for _ in range(100000):
            if what == "export":
                d = self.ddb.describe_export(ExportArn=arn)["ExportDescription"]
            else:
                d = self.ddb.describe_import(ImportArn=arn)["ImportTableDescription"]
            if d[field] != "IN_PROGRESS":
                return d
            if time.time() > deadline:
                break
            time.sleep(0.1)
        self.fail("%s %s did not end" % (what, arn))

    def scan(self, table, index=None):
        out, start = [], None
        for _ in range(10000):
            kw = {"IndexName": index} if index else {}
            if start:
                kw["ExclusiveStartKey"] = start
            r = self.ddb.scan(TableName=table, **kw)
            out += r["Items"]
            start = r.get("LastEvaluatedKey")
            if not start:
                return out
        self.fail("scan did not end")

    def round_trip(self, fmt, prefix):
        e = self.ddb.export_table_to_point_in_time(TableArn=self.arn, S3Bucket="round-trip", S3Prefix=prefix,
                                                   ExportFormat=fmt, ExportType="FULL_EXPORT")
        ed = self.until("export", e["ExportDescription"]["ExportArn"], "ExportStatus")
        self.assertEqual(ed["ExportStatus"], "COMPLETED", ed)
        total = len(RICH) + N_FILLER
        self.assertEqual(ed["ItemCount"], total)
        export_id = ed["ExportArn"].split("/export/")[1]
        data = "%s/AWSDynamoDB/%s/data/" % (prefix, export_id)
        objs = self.s3.list_objects_v2(Bucket="round-trip", Prefix=data)["Contents"]
        self.assertGreaterEqual(len(objs), 2)  # more than one data file is read back
        ext = ".json.gz" if fmt == "DYNAMODB_JSON" else ".ion.gz"
        self.assertTrue(all(o["Key"].endswith(ext) for o in objs), objs)
        table = "copy-" + fmt.lower().replace("_", "-")
        i = self.ddb.import_table(
            S3BucketSource={"S3Bucket": "round-trip", "S3KeyPrefix": data}, InputFormat=fmt,
            InputCompressionType="GZIP",
            TableCreationParameters={"TableName": table, "KeySchema": TYPED_KEYS, "AttributeDefinitions": ATTRS,
                                     "GlobalSecondaryIndexes": GSIS, "BillingMode": "PAY_PER_REQUEST"})
        d = self.until("import", i["ImportTableDescription"]["ImportArn"], "ImportStatus")
        if d["ImportStatus"] != "COMPLETED":  # the logged errors say why
            events = self.srv.client("logs").get_log_events(
                logGroupName="/aws-dynamodb/imports",
                logStreamName=d["ImportArn"].rsplit("/", 1)[1])["events"]
            self.fail("%r\n%s" % (d, "\n".join(e["message"] for e in events)))
        self.assertEqual(d["ImportedItemCount"], total)
        self.assertEqual(d["ErrorCount"], 0)
        src, dst = self.scan("source"), self.scan(table)
        self.assertEqual(len(src), total)
        a, b = as_text(src), as_text(dst)
        self.assertEqual(len(a), len(b))
        for x, y in zip(a, b):
            self.assertEqual(x, y)
        # the rich items are there with every attribute (numbers as DynamoDB returns them)
        got = {it["pk"]["S"]: it for it in dst}
        for it in RICH:
            self.assertEqual(set(got[it["pk"]["S"]]), set(it))
        self.assertEqual(got["every type"]["s"], RICH[0]["s"])
        self.assertEqual(got["every type"]["bs"]["BS"].count(b""), 1)
        for index in ("byg", "bygb"):
            si, di = self.scan("source", index), self.scan(table, index)
            self.assertGreater(len(si), 0)
            self.assertEqual(as_text(si), as_text(di), index)
        q = self.ddb.query(TableName=table, IndexName="byg", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": "g-rich"}})
        self.assertEqual(sorted(it["pk"]["S"] for it in q["Items"]), ["every type", "ü€🎉"])
        desc = self.ddb.describe_table(TableName=table)["Table"]
        self.assertEqual(desc["TableStatus"], "ACTIVE")
        self.assertEqual(sorted(g["IndexName"] for g in desc["GlobalSecondaryIndexes"]), ["byg", "bygb"])

    def test_dynamodb_json_export_imports_back_equal(self):
        self.round_trip("DYNAMODB_JSON", "rt-json")

    def test_ion_export_imports_back_equal(self):
        self.round_trip("ION", "rt-ion")


if __name__ == "__main__":
    unittest.main()
