# SPDX-License-Identifier: Apache-2.0
"""ExportTableToPointInTime (issue 17, package E) through boto3: the files an export writes into
a Stratus bucket, byte for byte against the shapes DynamoDB documents (manifest-summary.json,
manifest-files.json, their .md5 files, data/*.json.gz and .ion.gz, _started), ION checked with
ion-js, an export at an earlier ExportTime, an incremental export, ClientToken idempotency,
DescribeExport/ListExports, a missing bucket, and kill -9 during an export."""
import base64
import decimal
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import time
import unittest
import uuid

from botocore.exceptions import ClientError

from stratus_fixture import Server

HERE = os.path.dirname(os.path.abspath(__file__))
JS = os.path.join(HERE, "..", "js")

SUMMARY_KEYS = {"version", "exportArn", "startTime", "endTime", "tableArn", "tableId",
                "exportTime", "s3Bucket", "s3Prefix", "s3SseAlgorithm", "s3SseKmsKeyId",
                "manifestFilesS3Key", "billedSizeBytes", "itemCount", "outputFormat"}


def b64md5(b):
    return base64.b64encode(hashlib.md5(b).digest()).decode()


def norm(v):
    """A DynamoDB JSON value with sets sorted and numbers as Decimals (Ion text accepted)."""
    (t, x), = v.items()
    if isinstance(x, bytes):
        x = base64.b64encode(x).decode()
    if t == "BS":
        x = [base64.b64encode(e).decode() if isinstance(e, bytes) else e for e in x]
    if t == "N":
        return {"N": num(x)}
    if t == "NS":
        return {"NS": sorted(num(n) for n in x)}
    if t in ("SS", "BS"):
        return {t: sorted(x)}
    if t == "M":
        return {"M": {k: norm(e) for k, e in x.items()}}
    if t == "L":
        return {"L": [norm(e) for e in x]}
    return {t: x}


def num(s):
    s = s.replace("d", "e").replace("D", "e")
    if s.endswith("."):
        s = s[:-1]
    return decimal.Decimal(s).normalize()


def norm_item(it):
    return json.dumps({k: norm(v) for k, v in it.items()}, sort_keys=True, default=str)


ITEMS = [
    {"pk": {"S": "a"}, "s": {"S": "quote \" back \\ nl \n tab \t ünï €"}, "n": {"N": "12.5"},
     "b": {"B": b"\x00\x01\xff"}, "t": {"BOOL": True}, "z": {"NULL": True},
     "m": {"M": {"null": {"N": "0.05"}, "1abc": {"S": "x"}, "a-b": {"N": "-1E-10"},
                 "it's": {"L": [{"N": "100"}, {"S": ""}, {"BOOL": False}]}}},
     "l": {"L": [{"N": "1E+20"}, {"M": {}}, {"L": []}]},
     "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5", "-300"]}, "bs": {"BS": [b"1", b"22"]}},
    {"pk": {"S": "b"}, "n": {"N": "0"}, "big": {"N": "12345678901234567890123456789012345678"}},
    {"pk": {"S": "c"}, "n": {"N": "-0.000123"}, "tiny": {"N": "1E-129"}, "huge": {"N": "9.9E+125"}},
]


class Export(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.s3 = cls.srv.client("s3")
        cls.s3.create_bucket(Bucket="exports")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def table(self, name, items=(), pitr=True):
        self.ddb.create_table(TableName=name,
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        for it in items:
            self.ddb.put_item(TableName=name, Item=it)
        if pitr:
            self.ddb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        return self.ddb.describe_table(TableName=name)["Table"]["TableArn"]

    def wait(self, arn, ddb=None, limit=60):
        ddb = ddb or self.ddb
        deadline = time.time() + limit
        while time.time() < deadline:
            d = ddb.describe_export(ExportArn=arn)["ExportDescription"]
            if d["ExportStatus"] != "IN_PROGRESS":
                return d
            time.sleep(0.1)
        self.fail("export did not end")

    def scan(self, name):
        return [it for it in self.ddb.scan(TableName=name)["Items"]]

    def files(self, prefix, s3=None):
        s3 = s3 or self.s3
        out = {}
        for o in s3.list_objects_v2(Bucket="exports", Prefix=prefix).get("Contents", []):
            r = s3.get_object(Bucket="exports", Key=o["Key"])
            out[o["Key"]] = (r["Body"].read(), r["ETag"].strip('"'))
        return out

    def check_layout(self, d, fmt, prefix):
        """The objects of export d: exactly the documented set, checksums and counts right.
        @return the data files' decompressed bytes."""
        eid = d["ExportArn"].split("/export/")[1]
        base = (prefix + "/" if prefix else "") + "AWSDynamoDB/" + eid + "/"
        files = self.files(base)
        names = {k[len(base):] for k in files}
        data = sorted(n for n in names if n.startswith("data/"))
        self.assertEqual(names - set(data), {"_started", "manifest-files.json",
                                             "manifest-files.md5", "manifest-summary.json",
                                             "manifest-summary.md5"})
        ext = ".json.gz" if fmt == "DYNAMODB_JSON" else ".ion.gz"
        for n in data:
            self.assertRegex(n, r"^data/[a-z2-7]{26}" + ext.replace(".", r"\.") + "$")
        self.assertEqual(files[base + "_started"][0], b"")
        for m in ("manifest-files", "manifest-summary"):
            self.assertEqual(files[base + m + ".md5"][0].decode(), b64md5(files[base + m + ".json"][0]))
        summary = json.loads(files[base + "manifest-summary.json"][0])
        self.assertEqual(set(summary), SUMMARY_KEYS)
        self.assertEqual(summary["version"], "2020-06-30")
        self.assertEqual(summary["exportArn"], d["ExportArn"])
        self.assertEqual(summary["tableArn"], d["TableArn"])
        self.assertEqual(summary["tableId"], d["TableId"])
        self.assertEqual(summary["s3Bucket"], "exports")
        self.assertEqual(summary["s3Prefix"], prefix)
        self.assertEqual(summary["outputFormat"], fmt)
        self.assertEqual(summary["manifestFilesS3Key"], base + "manifest-files.json")
        self.assertEqual(summary["itemCount"], d["ItemCount"])
        self.assertEqual(summary["billedSizeBytes"], d["BilledSizeBytes"])
        for k in ("startTime", "endTime", "exportTime"):
            self.assertRegex(summary[k], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(d["ExportManifest"], base + "manifest-summary.json")
        lines = files[base + "manifest-files.json"][0].decode().splitlines()
        self.assertEqual(len(lines), len(data))
        total, out = 0, []
        for ln in lines:
            e = json.loads(ln)
            self.assertEqual(list(e), ["itemCount", "md5Checksum", "etag", "dataFileS3Key"])
            body, etag = files[e["dataFileS3Key"]]
            self.assertEqual(e["md5Checksum"], b64md5(body))
            self.assertEqual(e["etag"], etag)
            raw = gzip.decompress(body)
            self.assertEqual(raw.count(b"\n"), e["itemCount"])
            total += e["itemCount"]
            out.append((base + e["dataFileS3Key"][len(base):], raw, body))
        self.assertEqual(total, summary["itemCount"])
        return out

    def export(self, arn, **kw):
        r = self.ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", **kw)
        return self.wait(r["ExportDescription"]["ExportArn"])

    def test_full_export_dynamodb_json(self):
        arn = self.table("exp-json", ITEMS)
        d = self.export(arn, S3Prefix="some/prefix")
        self.assertEqual(d["ExportStatus"], "COMPLETED")
        self.assertEqual(d["ExportFormat"], "DYNAMODB_JSON")
        self.assertNotIn("ExportType", d)  # as DynamoDB: not echoed when not given
        self.assertEqual(d["ItemCount"], len(ITEMS))
        files = self.check_layout(d, "DYNAMODB_JSON", "some/prefix")
        got = []
        for _, raw, _ in files:
            for ln in raw.decode().splitlines():
                obj = json.loads(ln)
                self.assertEqual(list(obj), ["Item"])
                got.append(norm_item(obj["Item"]))
        self.assertEqual(sorted(got), sorted(norm_item(it) for it in self.scan("exp-json")))

    def ion_items(self, files):
        node = shutil.which("node")
        if not node:
            self.skipTest("node is not installed")
        tmp = []
        for i, (_, _, body) in enumerate(files):
            p = os.path.join(self.srv.data_dir if hasattr(self.srv, "data_dir") else "/tmp",
                             "ion-%s-%d.gz" % (uuid.uuid4().hex, i))
            with open(p, "wb") as f:
                f.write(body)
            tmp.append(p)
        try:
            out = subprocess.run([node, "ddb_ion_check.mjs", *tmp], cwd=JS, capture_output=True,
                                 text=True, timeout=60)
        finally:
            for p in tmp:
                os.unlink(p)
        self.assertEqual(out.returncode, 0, out.stderr)
        return [json.loads(ln) for ln in out.stdout.splitlines()]

    def test_full_export_ion_read_by_ion_js(self):
        arn = self.table("exp-ion", ITEMS)
        d = self.export(arn, ExportFormat="ION", ExportType="FULL_EXPORT")
        self.assertEqual(d["ExportStatus"], "COMPLETED")
        self.assertEqual(d["ExportType"], "FULL_EXPORT")
        files = self.check_layout(d, "ION", None)
        for _, raw, _ in files:
            for ln in raw.decode().splitlines():
                self.assertTrue(ln.startswith("$ion_1_0 {Item:{"), ln)
        got = [norm_item(v["Item"]) for v in self.ion_items(files)]
        self.assertEqual(sorted(got), sorted(norm_item(it) for it in self.scan("exp-ion")))

    def test_ion_text_as_dynamodb_writes_it(self):
        arn = self.table("exp-iontext", [
            {"pk": {"S": "k"}, "a": {"N": "103"}, "b": {"N": "600"}, "c": {"N": "2000"},
             "d": {"N": "12.5"}, "e": {"N": "0.05"}, "f": {"N": "1E-10"}, "g": {"N": "0"},
             "h": {"N": "-7"}, "ss": {"SS": ["x"]}, "bb": {"B": b"hi"}}])
        d = self.export(arn, ExportFormat="ION")
        raw = self.check_layout(d, "ION", None)[0][1].decode()
        self.assertEqual(raw, '$ion_1_0 {Item:{pk:"k",a:103.,b:6d2,c:2d3,d:12.5,e:0.05,'
                              'f:1d-10,g:0.,h:-7.,ss:$dynamodb_SS::["x"],bb:{{aGk=}}}}\n')

    def test_export_time_shows_the_table_as_it_was(self):
        arn = self.table("exp-time", [{"pk": {"S": "k%d" % i}, "v": {"N": str(i)}} for i in range(5)])
        time.sleep(1.2)
        then = time.time()
        time.sleep(1.2)
        self.ddb.put_item(TableName="exp-time", Item={"pk": {"S": "k0"}, "v": {"N": "100"}})
        self.ddb.delete_item(TableName="exp-time", Key={"pk": {"S": "k1"}})
        self.ddb.put_item(TableName="exp-time", Item={"pk": {"S": "new"}, "v": {"N": "7"}})
        d = self.export(arn, ExportTime=then)
        self.assertEqual(d["ExportStatus"], "COMPLETED")
        self.assertAlmostEqual(d["ExportTime"].timestamp(), then, delta=1)  # boto3 sends seconds
        got = []
        for _, raw, _ in self.check_layout(d, "DYNAMODB_JSON", None):
            got += [json.loads(ln)["Item"] for ln in raw.decode().splitlines()]
        self.assertEqual(sorted((it["pk"]["S"], it["v"]["N"]) for it in got),
                         [("k%d" % i, str(i)) for i in range(5)])

    def test_client_token_idempotency(self):
        arn = self.table("exp-token", ITEMS[:1])
        tok = str(uuid.uuid4())
        r1 = self.ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports",
                                                    ClientToken=tok)["ExportDescription"]
        r2 = self.ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports",
                                                    ClientToken=tok)["ExportDescription"]
        self.assertEqual(r1["ExportArn"], r2["ExportArn"])
        self.assertEqual(r1["ClientToken"], tok)
        with self.assertRaises(ClientError) as cm:
            self.ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports",
                                                   ClientToken=tok, ExportFormat="ION")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ExportConflictException")
        self.assertIn("Duplicate request detected", cm.exception.response["Error"]["Message"])
        r3 = self.ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports")
        self.assertNotEqual(r3["ExportDescription"]["ExportArn"], r1["ExportArn"])
        self.assertRegex(r3["ExportDescription"]["ClientToken"], r"^[0-9a-f-]{36}$")
        self.wait(r1["ExportArn"])
        self.wait(r3["ExportDescription"]["ExportArn"])

    def test_sse_aes256_and_kms(self):
        arn = self.table("exp-sse", ITEMS[:2])
        d = self.export(arn, S3SseAlgorithm="AES256", S3Prefix="aes")
        self.assertEqual(d["S3SseAlgorithm"], "AES256")
        files = self.check_layout(d, "DYNAMODB_JSON", "aes")
        for key, _, _ in files:
            self.assertEqual(self.s3.head_object(Bucket="exports", Key=key)["ServerSideEncryption"],
                             "AES256")
        kms = self.srv.client("kms")
        kid = kms.create_key()["KeyMetadata"]["Arn"]
        d = self.export(arn, S3SseAlgorithm="KMS", S3SseKmsKeyId=kid, S3Prefix="kms")
        self.assertEqual(d["ExportStatus"], "COMPLETED", d)
        self.assertEqual(d["S3SseKmsKeyId"], kid)
        files = self.check_layout(d, "DYNAMODB_JSON", "kms")  # GetObject decrypts them
        for key, _, _ in files:
            h = self.s3.head_object(Bucket="exports", Key=key)
            self.assertEqual(h["ServerSideEncryption"], "aws:kms")
            self.assertEqual(h["SSEKMSKeyId"], kid)
            self.assertTrue(h["BucketKeyEnabled"])

    def test_caller_without_s3_put_object_gets_a_failed_export(self):
        import iam_base
        arn = self.table("exp-denied", ITEMS[:1])
        u = iam_base.user(self.srv, "ddb-only", policies=[iam_base.allow("dynamodb:*")])
        ddb = iam_base.client(self.srv, u, "dynamodb")
        r = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports")
        d = self.wait(r["ExportDescription"]["ExportArn"])
        self.assertEqual((d["ExportStatus"], d["FailureCode"]), ("FAILED", "S3AccessDenied"))
        u2 = iam_base.user(self.srv, "ddb-s3", policies=[
            iam_base.allow("dynamodb:*"), iam_base.allow("s3:PutObject", "arn:aws:s3:::exports/*")])
        ddb2 = iam_base.client(self.srv, u2, "dynamodb")
        r = ddb2.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports")
        self.assertEqual(self.wait(r["ExportDescription"]["ExportArn"])["ExportStatus"], "COMPLETED")

    def test_s3_put_object_checked_on_the_objects_written(self):
        # The export writes <prefix>/AWSDynamoDB/<id>/...: s3:PutObject is asked for those
        # objects, not for an object named like the prefix.
        import iam_base
        arn = self.table("exp-prefix", ITEMS[:1])
        u = iam_base.user(self.srv, "ddb-s3-pre", policies=[
            iam_base.allow("dynamodb:*"), iam_base.allow("s3:PutObject", "arn:aws:s3:::exports/pre/*")])
        ddb = iam_base.client(self.srv, u, "dynamodb")
        r = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", S3Prefix="pre")
        self.assertEqual(self.wait(r["ExportDescription"]["ExportArn"])["ExportStatus"], "COMPLETED")
        u2 = iam_base.user(self.srv, "ddb-s3-exact", policies=[
            iam_base.allow("dynamodb:*"), iam_base.allow("s3:PutObject", "arn:aws:s3:::exports/pre")])
        ddb2 = iam_base.client(self.srv, u2, "dynamodb")
        r = ddb2.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", S3Prefix="pre")
        d = self.wait(r["ExportDescription"]["ExportArn"])
        self.assertEqual((d["ExportStatus"], d["FailureCode"]), ("FAILED", "S3AccessDenied"))

    def test_missing_bucket_fails(self):
        arn = self.table("exp-nobucket", ITEMS[:1])
        r = self.ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="no-such-bucket-e")
        d = self.wait(r["ExportDescription"]["ExportArn"])
        self.assertEqual(d["ExportStatus"], "FAILED")
        self.assertEqual(d["FailureCode"], "S3NoSuchBucket")
        self.assertIn("bucket does not exist", d["FailureMessage"])

    def test_describe_and_list(self):
        arn = self.table("exp-list", ITEMS[:1])
        arns = [self.export(arn)["ExportArn"] for _ in range(3)]
        got, tok = [], None
        for _ in range(10):
            kw = {"TableArn": arn, "MaxResults": 2}
            if tok:
                kw["NextToken"] = tok
            r = self.ddb.list_exports(**kw)
            self.assertLessEqual(len(r["ExportSummaries"]), 2)
            got += r["ExportSummaries"]
            tok = r.get("NextToken")
            if not tok:
                break
        self.assertEqual([s["ExportArn"] for s in got], sorted(arns))
        for s in got:
            self.assertEqual(s["ExportStatus"], "COMPLETED")
            self.assertEqual(s["ExportType"], "FULL_EXPORT")
        other = self.table("exp-list2", ITEMS[:1])
        self.assertEqual(self.ddb.list_exports(TableArn=other)["ExportSummaries"], [])
        allx = [s["ExportArn"] for s in self.ddb.list_exports(MaxResults=25)["ExportSummaries"]]
        self.assertEqual(allx, sorted(allx))
        with self.assertRaises(ClientError) as cm:
            self.ddb.describe_export(ExportArn=arn + "/export/01234567890123-0123abcd")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ExportNotFoundException")

    def test_incremental_export(self):
        # The 15-minute minimum window is shortened by --ddb-export-min-window-ms on the
        # second server below; here the default refuses a short window.
        arn = self.table("exp-incr-short", ITEMS[:1])
        now = time.time()
        with self.assertRaises(ClientError) as cm:
            self.ddb.export_table_to_point_in_time(
                TableArn=arn, S3Bucket="exports", ExportType="INCREMENTAL_EXPORT",
                IncrementalExportSpecification={"ExportFromTime": now - 2, "ExportToTime": now,
                                                "ExportViewType": "NEW_IMAGE"})
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidExportTimeException")
        self.assertIn("Difference between export period", cm.exception.response["Error"]["Message"])


class IncrementalExport(unittest.TestCase):
    """An incremental export of a window with puts, updates and deletes (DynamoDB's minute
    shortened to 100 ms, so the 15-minute minimum window is 1.5 s)."""

    @classmethod
    def setUpClass(cls):
        os.environ["STRATUS_DDB_EXPORT_MINUTE_MS"] = "100"
        try:
            cls.srv = Server().start()
        finally:
            del os.environ["STRATUS_DDB_EXPORT_MINUTE_MS"]
        cls.ddb, cls.s3 = cls.srv.client("dynamodb"), cls.srv.client("s3")
        cls.s3.create_bucket(Bucket="exports")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    @staticmethod
    def sleep_past(t):
        while time.time() < t + 0.05:
            time.sleep(0.02)

    def run_window(self, name, view, fmt="DYNAMODB_JSON"):
        ddb = self.ddb
        ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        for k in ("k1", "k2", "k3"):
            ddb.put_item(TableName=name, Item={"pk": {"S": k}, "v": {"N": "1"}})
        frm = int(time.time()) + 1  # boto3 sends whole seconds
        self.sleep_past(frm)
        ddb.put_item(TableName=name, Item={"pk": {"S": "k1"}, "v": {"N": "2"}})
        ddb.update_item(TableName=name, Key={"pk": {"S": "k1"}}, UpdateExpression="SET v = :v",
                        ExpressionAttributeValues={":v": {"N": "3"}})
        ddb.delete_item(TableName=name, Key={"pk": {"S": "k2"}})
        ddb.put_item(TableName=name, Item={"pk": {"S": "k4"}, "v": {"N": "4"}})
        to = frm + 2
        self.sleep_past(to)
        ddb.put_item(TableName=name, Item={"pk": {"S": "k3"}, "v": {"N": "9"}})  # after: not in it
        arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
        r = ddb.export_table_to_point_in_time(
            TableArn=arn, S3Bucket="exports", ExportType="INCREMENTAL_EXPORT", ExportFormat=fmt,
            IncrementalExportSpecification={"ExportFromTime": frm, "ExportToTime": to,
                                            "ExportViewType": view})["ExportDescription"]
        self.assertEqual(r["ExportType"], "INCREMENTAL_EXPORT")
        self.assertEqual(r["IncrementalExportSpecification"]["ExportViewType"], view)
        deadline = time.time() + 30
        while time.time() < deadline:
            d = ddb.describe_export(ExportArn=r["ExportArn"])["ExportDescription"]
            if d["ExportStatus"] != "IN_PROGRESS":
                break
            time.sleep(0.1)
        self.assertEqual(d["ExportStatus"], "COMPLETED")
        base = d["ExportManifest"].rsplit("/", 1)[0] + "/"
        man = self.s3.get_object(Bucket="exports", Key=base + "manifest-files.json")["Body"].read()
        lines = []
        for ln in man.decode().splitlines():
            body = self.s3.get_object(Bucket="exports",
                                      Key=json.loads(ln)["dataFileS3Key"])["Body"].read()
            lines += gzip.decompress(body).decode().splitlines()
        return frm, to, d, lines

    def test_new_and_old_images(self):
        frm, to, d, lines = self.run_window("incr-both", "NEW_AND_OLD_IMAGES")
        self.assertEqual(d["ItemCount"], 3)
        got = {}
        for ln in lines:
            o = json.loads(ln)
            self.assertEqual(list(o)[:2], ["Metadata", "Keys"])
            us = o["Metadata"]["WriteTimeMicros"]
            self.assertTrue(frm * 10**6 <= us < to * 10**6, (us, frm, to))
            got[o["Keys"]["pk"]["S"]] = (o.get("NewImage", {}).get("v", {}).get("N"),
                                         o.get("OldImage", {}).get("v", {}).get("N"))
        self.assertEqual(got, {"k1": ("3", "1"), "k2": (None, "1"), "k4": ("4", None)})

    def test_new_image_only_in_ion(self):
        frm, to, d, lines = self.run_window("incr-new", "NEW_IMAGE", fmt="ION")
        for ln in lines:
            self.assertTrue(ln.startswith("$ion_1_0 {Metadata:{WriteTimeMicros:"), ln)
            self.assertNotIn("OldImage", ln)
        self.assertEqual(len(lines), 3)
        self.assertTrue(any('Keys:{pk:"k2"}}' in ln for ln in lines), lines)
        self.assertTrue(any('NewImage:{pk:"k1",v:3.}' in ln for ln in lines), lines)

    def test_window_limits(self):
        self.ddb.create_table(TableName="incr-lim",
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        self.ddb.update_continuous_backups(TableName="incr-lim", PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        arn = self.ddb.describe_table(TableName="incr-lim")["Table"]["TableArn"]
        now = int(time.time())
        for frm, to, msg in ((now - 1, now, "at least 15 minutes"),
                             (now - 200, now, "should not exceed 24 hours")):
            with self.assertRaises(ClientError) as cm:
                self.ddb.export_table_to_point_in_time(
                    TableArn=arn, S3Bucket="exports", ExportType="INCREMENTAL_EXPORT",
                    IncrementalExportSpecification={"ExportFromTime": frm, "ExportToTime": to})
            self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidExportTimeException")
            self.assertIn(msg, cm.exception.response["Error"]["Message"])


class ExportRestart(unittest.TestCase):
    def test_kill9_during_an_export_then_it_completes_exactly(self):
        srv = Server("--job-interval", "ddb-export=400")
        srv.start()
        try:
            ddb, s3 = srv.client("dynamodb"), srv.client("s3")
            s3.create_bucket(Bucket="exports")
            ddb.create_table(TableName="exp-kill",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
            n = 6000
            for i in range(0, n, 25):
                ddb.batch_write_item(RequestItems={"exp-kill": [
                    {"PutRequest": {"Item": {"pk": {"S": "k%05d" % j}, "v": {"N": str(j)}}}}
                    for j in range(i, i + 25)]})
            ddb.update_continuous_backups(
                TableName="exp-kill",
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
            arn = ddb.describe_table(TableName="exp-kill")["Table"]["TableArn"]
            earn = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports")[
                "ExportDescription"]["ExportArn"]
            deadline = time.time() + 30
            while time.time() < deadline:  # the first data file is written
                keys = [o["Key"] for o in
                        s3.list_objects_v2(Bucket="exports").get("Contents", [])]
                if any("/data/" in k for k in keys):
                    break
                time.sleep(0.05)
            self.assertEqual(ddb.describe_export(ExportArn=earn)["ExportDescription"]["ExportStatus"],
                             "IN_PROGRESS")
            srv.kill9()
            srv.start()
            ddb, s3 = srv.client("dynamodb"), srv.client("s3")
            deadline = time.time() + 60
            while time.time() < deadline:
                d = ddb.describe_export(ExportArn=earn)["ExportDescription"]
                if d["ExportStatus"] != "IN_PROGRESS":
                    break
                time.sleep(0.2)
            self.assertEqual(d["ExportStatus"], "COMPLETED")
            self.assertEqual(d["ItemCount"], n)
            base = d["ExportManifest"].rsplit("/", 1)[0] + "/"
            man = s3.get_object(Bucket="exports", Key=base + "manifest-files.json")["Body"].read()
            got = []
            for ln in man.decode().splitlines():
                e = json.loads(ln)
                body = s3.get_object(Bucket="exports", Key=e["dataFileS3Key"])["Body"].read()
                got += [json.loads(x)["Item"]["pk"]["S"] for x in
                        gzip.decompress(body).decode().splitlines()]
            self.assertEqual(sorted(got), ["k%05d" % j for j in range(n)])
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
