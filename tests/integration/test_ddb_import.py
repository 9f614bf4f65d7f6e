# SPDX-License-Identifier: Apache-2.0
"""ImportTable from a Stratus bucket (issue 17, package I) through boto3: every format and
compression, CSV with and without a header, bad records counted and logged to CloudWatch Logs,
GSIs populated and queryable, a 50 000-item import, kill -9 in the middle of one, DescribeImport
and ListImports, and a hand-written copy of what an AWS export writes."""
import base64
import gzip
import json
import subprocess
import time
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server

KEYS = dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "N"}],
            BillingMode="PAY_PER_REQUEST")


def jline(item):
    return json.dumps({"Item": item})


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE,
                          check=True, timeout=60).stdout


def wait(ddb, arn, timeout=120):
    deadline = time.time() + timeout
    while True:
        d = ddb.describe_import(ImportArn=arn)["ImportTableDescription"]
        if d["ImportStatus"] != "IN_PROGRESS":
            return d
        if time.time() > deadline:
            raise AssertionError("import still running: %r" % d)
        time.sleep(0.05)


def scan_all(ddb, table, **kw):
    items, start = [], None
    for _ in range(10000):
        r = ddb.scan(TableName=table, **kw, **({"ExclusiveStartKey": start} if start else {}))
        items += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            return items
    raise AssertionError("scan did not end")


class Import(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.s3 = cls.srv.client("s3")
        cls.logs = cls.srv.client("logs")
        cls.s3.create_bucket(Bucket="src")
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def put(self, key, body):
        self.s3.put_object(Bucket="src", Key=key, Body=body)

    def start(self, prefix, fmt="DYNAMODB_JSON", comp="NONE", table=None, keys=KEYS, **kw):
        Import.n += 1
        table = table or "imp%d" % Import.n
        r = self.ddb.import_table(
            S3BucketSource={"S3Bucket": kw.pop("bucket", "src"), "S3KeyPrefix": prefix},
            InputFormat=fmt, InputCompressionType=comp,
            TableCreationParameters=dict(TableName=table, **keys), **kw)
        return table, r["ImportTableDescription"]

    def run_import(self, prefix, **kw):
        table, d = self.start(prefix, **kw)
        self.assertEqual(d["ImportStatus"], "IN_PROGRESS")
        return table, wait(self.ddb, d["ImportArn"])

    def items(self, n, base="p"):
        return [{"pk": {"S": "%s%d" % (base, i % 7)}, "sk": {"N": str(i)}, "v": {"S": "x" * (i % 5)},
                 "n": {"N": "%d.5" % i}} for i in range(n)]

    def test_json_every_compression(self):
        items = self.items(300)
        body = ("\n".join(jline(i) for i in items) + "\n").encode()
        for comp, data in (("NONE", body), ("GZIP", gzip.compress(body)), ("ZSTD", zstd(body))):
            with self.subTest(comp=comp):
                prefix = "json-%s/" % comp
                self.put(prefix + "a.json", data[: len(data)] if comp != "NONE" else body[:0] + body)
                table, d = self.run_import(prefix, comp=comp)
                self.assertEqual(d["ImportStatus"], "COMPLETED", d)
                self.assertEqual(d["ProcessedItemCount"], 300)
                self.assertEqual(d["ImportedItemCount"], 300)
                self.assertEqual(d["ErrorCount"], 0)
                self.assertEqual(d["ProcessedSizeBytes"], len(body))  # uncompressed bytes
                got = scan_all(self.ddb, table)
                self.assertEqual(len(got), 300)
                self.assertEqual(self.ddb.describe_table(TableName=table)["Table"]["TableStatus"],
                                 "ACTIVE")

    def test_several_objects_blank_lines_and_duplicates(self):
        a = [{"pk": {"S": "a"}, "sk": {"N": "1"}, "w": {"S": "first"}}]
        b = [{"pk": {"S": "a"}, "sk": {"N": "1"}, "w": {"S": "second"}},
             {"pk": {"S": "b"}, "sk": {"N": "2"}}]
        self.put("multi/1.json", ("\n".join(jline(i) for i in a) + "\n\n   \n").encode())
        self.put("multi/2.json", ("\n".join(jline(i) for i in b)).encode())  # no final newline
        self.put("multi/empty.json", b"")
        table, d = self.run_import("multi/")
        self.assertEqual(d["ImportStatus"], "COMPLETED", d)
        self.assertEqual(d["ProcessedItemCount"], 3)
        self.assertEqual(d["ImportedItemCount"], 3)  # writes, not surviving rows
        got = scan_all(self.ddb, table)
        self.assertEqual(len(got), 2)
        self.assertEqual([i["w"]["S"] for i in got if i["pk"]["S"] == "a"], ["second"])

    def test_bad_records_counted_and_logged(self):
        good = self.items(2, base="good")
        self.put("bad/00-good.json", "\n".join(jline(i) for i in good).encode())
        bad = ['{"NotAnItem": {"pk": {"S": "x"}, "sk": {"N": "1"}}}',
               '{"Item": {"sk": {"N": "1"}}}',
               '{"Item": {"pk": {"S": "x"}, "sk": {"S": "1"}}}',
               '{"Item": ']
        for i, line in enumerate(bad):
            # the first bad record abandons the rest of its object: the second line is never read
            self.put("bad/%02d-bad.json" % (i + 1), (line + "\n" + jline(good[0])).encode())
        table, d = self.run_import("bad/")
        self.assertEqual(d["ImportStatus"], "FAILED")
        self.assertEqual(d["FailureCode"], "ItemValidationError")
        self.assertEqual(d["ErrorCount"], 4)
        self.assertEqual(d["ImportedItemCount"], 2)
        self.assertEqual(d["ProcessedItemCount"], 6)
        self.assertEqual(len(scan_all(self.ddb, table)), 2)  # the table is kept
        self.assertTrue(d["CloudWatchLogGroupArn"].endswith(":log-group:/aws-dynamodb/imports:*"))
        import_id = d["ImportArn"].rsplit("/", 1)[1]
        events = self.logs.get_log_events(logGroupName="/aws-dynamodb/imports",
                                          logStreamName=import_id)["events"]
        self.assertEqual(len(events), 4)
        msgs = [json.loads(e["message"]) for e in events]
        self.assertEqual({m["itemS3Pointer"]["key"] for m in msgs},
                         {"bad/%02d-bad.json" % (i + 1) for i in range(4)})
        self.assertIn("Missing the key pk", " ".join(" ".join(m["errorMessages"]) for m in msgs))

    def test_csv_with_and_without_header(self):
        keys = dict(KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"},
                                          {"AttributeName": "g", "AttributeType": "S"}],
                    GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [
                        {"AttributeName": "g", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"}}],
                    BillingMode="PAY_PER_REQUEST")
        self.put("csv1/a.csv", b'id,g,note\n1,red,"said ""hi"", twice"\n2,blue,"two\nlines"\r\n3,red,\n')
        table, d = self.run_import("csv1/", fmt="CSV", keys=keys)
        self.assertEqual(d["ImportStatus"], "COMPLETED", d)
        got = {int(i["id"]["N"]): i for i in scan_all(self.ddb, table)}
        self.assertEqual(got[1]["note"], {"S": 'said "hi", twice'})
        self.assertEqual(got[2]["note"], {"S": "two\nlines"})
        self.assertNotIn("note", got[3])  # an empty cell makes no attribute
        q = self.ddb.query(TableName=table, IndexName="byg", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": "red"}})
        self.assertEqual(sorted(int(i["id"]["N"]) for i in q["Items"]), [1, 3])
        # HeaderList: the first line is data; another delimiter
        self.put("csv2/a.csv", b"7;blue;x\n8;green;y\n")
        table, d = self.run_import("csv2/", fmt="CSV", keys=keys, InputFormatOptions={
            "Csv": {"Delimiter": ";", "HeaderList": ["id", "g", "note"]}})
        self.assertEqual(d["ImportStatus"], "COMPLETED", d)
        self.assertEqual(d["InputFormatOptions"]["Csv"]["HeaderList"], ["id", "g", "note"])
        got = {int(i["id"]["N"]): i for i in scan_all(self.ddb, table)}
        self.assertEqual(set(got), {7, 8})
        self.assertEqual(got[8]["note"], {"S": "y"})

    def test_ion_as_aws_exports_it(self):
        # What an ION export's data file holds (the developer guide's example shape).
        ion = (b'$ion_1_0 {Item:{pk:"a",sk:1.,n:-12.50d0,b:{{AAE=}},t:true,z:null,'
               b'ss:$dynamodb_SS::["x","y"],ns:$dynamodb_NS::[1.,2.5],bs:$dynamodb_BS::[{{YQ==}}],'
               b'm:{"k":[1.,{}, []]},s:\'\'\'long \'\'\' \'\'\'string\'\'\'}}\n'
               b'// a comment\n$ion_1_0 {Item:{pk:"b",\n sk:2.}}\n')
        self.put("ion/data/x.ion.gz", gzip.compress(ion))
        table, d = self.run_import("ion/data/", fmt="ION", comp="GZIP")
        self.assertEqual(d["ImportStatus"], "COMPLETED", d)
        self.assertEqual(d["ImportedItemCount"], 2)
        a = self.ddb.get_item(TableName=table, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})["Item"]
        self.assertEqual(a["n"], {"N": "-12.5"})
        self.assertEqual(a["b"], {"B": b"\x00\x01"})
        self.assertEqual(a["z"], {"NULL": True})
        self.assertEqual(sorted(a["ss"]["SS"]), ["x", "y"])
        self.assertEqual(sorted(a["ns"]["NS"]), ["1", "2.5"])
        self.assertEqual(a["bs"], {"BS": [b"a"]})
        self.assertEqual(a["m"], {"M": {"k": {"L": [{"N": "1"}, {"M": {}}, {"L": []}]}}})
        self.assertEqual(a["s"], {"S": "long string"})

    def test_dynamodb_json_as_aws_exports_it(self):
        # A DYNAMODB_JSON export's data file: one {"Item":...} per line, gzip, under data/.
        lines = [
            '{"Item":{"pk":{"S":"333-3333333333"},"sk":{"N":"103"},"Authors":{"SS":["Author1","Author2"]},'
            '"Dimensions":{"S":"8.5 x 11.0 x 1.5"},"InPublication":{"BOOL":false},"PageCount":{"N":"600"},'
            '"Price":{"N":"2000"},"ProductCategory":{"S":"Book"},"Title":{"S":"Book 103 Title"},'
            '"Pic":{"B":"' + base64.b64encode(b"\x89PNG").decode() + '"}}}']
        self.put("AWSDynamoDB/01234567890123-abcdefgh/data/abc.json.gz",
                 gzip.compress(("\n".join(lines) + "\n").encode()))
        table, d = self.run_import("AWSDynamoDB/01234567890123-abcdefgh/data/", comp="GZIP")
        self.assertEqual(d["ImportStatus"], "COMPLETED", d)
        got = scan_all(self.ddb, table)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["Pic"], {"B": b"\x89PNG"})

    def test_gsi_populated(self):
        keys = dict(KEYS, AttributeDefinitions=KEYS["AttributeDefinitions"] + [
            {"AttributeName": "g", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{"IndexName": "gidx", "KeySchema": [
                {"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}])
        items = [{"pk": {"S": "p"}, "sk": {"N": str(i)}, **({"g": {"S": "g%d" % (i % 3)}} if i % 4 else {})}
                 for i in range(100)]
        items.append({"pk": {"S": "p"}, "sk": {"N": "1"}, "g": {"S": "moved"}})  # duplicate: last wins
        self.put("gsi/a.json", "\n".join(jline(i) for i in items).encode())
        table, d = self.run_import("gsi/", keys=keys)
        self.assertEqual(d["ImportStatus"], "COMPLETED", d)
        total = 0
        for g in ("g0", "g1", "g2", "moved"):
            q = self.ddb.query(TableName=table, IndexName="gidx", KeyConditionExpression="g = :g",
                               ExpressionAttributeValues={":g": {"S": g}})
            total += q["Count"]
        self.assertEqual(total, 75)
        q = self.ddb.query(TableName=table, IndexName="gidx", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": "moved"}})
        self.assertEqual(q["Count"], 1)

    def test_caller_without_s3_read_gets_a_failed_import(self):
        # AWS reads the source with the caller's permissions (s3:ListBucket, s3:GetObject):
        # a caller allowed only DynamoDB may not copy a bucket it cannot read into a table.
        import iam_base
        self.put("secret/a.json", (jline(self.items(1)[0]) + "\n").encode())
        u = iam_base.user(self.srv, "imp-ddb-only", policies=[iam_base.allow("dynamodb:*")])
        ddb = iam_base.client(self.srv, u, "dynamodb")
        Import.n += 1
        table = "imp%d" % Import.n
        r = ddb.import_table(S3BucketSource={"S3Bucket": "src", "S3KeyPrefix": "secret/"},
                             InputFormat="DYNAMODB_JSON",
                             TableCreationParameters=dict(TableName=table, **KEYS))
        d = wait(self.ddb, r["ImportTableDescription"]["ImportArn"])
        self.assertEqual((d["ImportStatus"], d["FailureCode"]), ("FAILED", "S3AccessDenied"))
        self.assertNotIn("ImportedItemCount", {k: v for k, v in d.items() if v})
        with self.assertRaises(ClientError):
            self.ddb.describe_table(TableName=table)
        u2 = iam_base.user(self.srv, "imp-ddb-s3", policies=[
            iam_base.allow("dynamodb:*"), iam_base.allow("s3:ListBucket", "arn:aws:s3:::src"),
            iam_base.allow("s3:GetObject", "arn:aws:s3:::src/secret/*")])
        ddb2 = iam_base.client(self.srv, u2, "dynamodb")
        r = ddb2.import_table(S3BucketSource={"S3Bucket": "src", "S3KeyPrefix": "secret/"},
                              InputFormat="DYNAMODB_JSON",
                              TableCreationParameters=dict(TableName=table + "b", **KEYS))
        d = wait(self.ddb, r["ImportTableDescription"]["ImportArn"])
        self.assertEqual((d["ImportStatus"], d["ImportedItemCount"]), ("COMPLETED", 1))

    def test_csv_and_ion_not_utf8_refused(self):
        # S values are UTF-8: a CSV or Ion record that is not is a bad record, never stored.
        self.put("utf8/a.csv", b"pk,sk,v\nok,1,\xc3\xa9\nbad,2,\xff\xfe\n")
        table, d = self.run_import("utf8/", fmt="CSV")
        self.assertEqual((d["ImportStatus"], d["ErrorCount"]), ("FAILED", 1), d)
        got = scan_all(self.ddb, table)
        self.assertEqual([i["pk"]["S"] for i in got], ["ok"])
        self.assertEqual(got[0]["v"]["S"], "\u00e9")
        self.put("utf8i/a.ion", b'$ion_1_0 {Item:{pk:"a",sk:1.}}\n$ion_1_0 {Item:{pk:"\xff",sk:2.}}\n')
        table, d = self.run_import("utf8i/", fmt="ION")
        self.assertEqual((d["ImportStatus"], d["ErrorCount"], d["ImportedItemCount"]),
                         ("FAILED", 1, 1), d)

    def test_describe_import_under_another_tables_arn(self):
        # DescribeImport is authorized on the ARN given: another table's import id under the
        # name of a table the caller may describe is not found, never described.
        import iam_base
        self.put("other/a.json", (jline(self.items(1)[0]) + "\n").encode())
        _, d = self.run_import("other/")
        arn = d["ImportArn"]
        forged = arn.split(":table/")[0] + ":table/mine/import/" + arn.rsplit("/", 1)[1]
        u = iam_base.user(self.srv, "imp-mine", policies=[
            iam_base.allow("dynamodb:DescribeImport", arn.split(":table/")[0] + ":table/mine/*")])
        ddb = iam_base.client(self.srv, u, "dynamodb")
        with self.assertRaises(ClientError) as e:
            ddb.describe_import(ImportArn=forged)
        self.assertEqual(e.exception.response["Error"]["Code"], "ImportNotFoundException")
        with self.assertRaises(ClientError) as e:
            ddb.describe_import(ImportArn=arn)
        self.assertEqual(e.exception.response["Error"]["Code"], "AccessDeniedException")
        self.assertEqual(self.ddb.describe_import(ImportArn=arn)["ImportTableDescription"]["ImportArn"],
                         arn)

    def test_missing_bucket_and_empty_prefix(self):
        table, d = self.run_import("x/", bucket="no-such-bucket")
        self.assertEqual(d["ImportStatus"], "FAILED")
        self.assertEqual(d["FailureCode"], "S3NoSuchBucket")
        with self.assertRaises(ClientError) as e:
            self.ddb.describe_table(TableName=table)
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")
        table, d = self.run_import("nothing-here/")
        self.assertEqual(d["ImportStatus"], "COMPLETED")
        self.assertNotIn("ProcessedSizeBytes", d)
        self.assertEqual(self.ddb.describe_table(TableName=table)["Table"]["TableStatus"], "ACTIVE")

    def test_existing_table_token_describe_and_list(self):
        self.put("tok/a.json", jline(self.items(1)[0]).encode())
        table, d = self.start("tok/", ClientToken="tok-1")
        self.assertTrue(d["ImportArn"].startswith(d["TableArn"] + "/import/"))
        for m in ("TableId", "StartTime", "TableCreationParameters", "S3BucketSource"):
            self.assertIn(m, d)
        self.assertNotIn("EndTime", d)
        try:  # replayed while it runs: the same import; once it ended: the table exists
            again = self.ddb.import_table(
                S3BucketSource={"S3Bucket": "src", "S3KeyPrefix": "tok/"},
                InputFormat="DYNAMODB_JSON", ClientToken="tok-1",
                TableCreationParameters=dict(TableName=table, **KEYS))
            self.assertEqual(again["ImportTableDescription"]["ImportArn"], d["ImportArn"])
        except ClientError as e:
            self.assertEqual(e.response["Error"]["Code"], "ResourceInUseException")
        final = wait(self.ddb, d["ImportArn"])
        self.assertEqual(final["ImportStatus"], "COMPLETED")
        self.assertEqual(final["TableId"], d["TableId"])
        with self.assertRaises(ClientError) as e:
            self.start("tok/", table=table)
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceInUseException")
        self.assertEqual(e.exception.response["Error"]["Message"], "Table already exists: %s" % table)
        listed = self.ddb.list_imports(TableArn=d["TableArn"])["ImportSummaryList"]
        self.assertEqual([s["ImportArn"] for s in listed], [d["ImportArn"]])
        self.assertLessEqual(set(listed[0]), {"ImportArn", "ImportStatus", "TableArn", "S3BucketSource",
                                              "InputFormat", "StartTime", "EndTime",
                                              "CloudWatchLogGroupArn"})
        seen, token = [], None
        for _ in range(100):
            r = self.ddb.list_imports(PageSize=1, **({"NextToken": token} if token else {}))
            seen += [s["ImportArn"] for s in r["ImportSummaryList"]]
            token = r.get("NextToken")
            if not token:
                break
        self.assertEqual(len(seen), len(set(seen)))
        self.assertIn(d["ImportArn"], seen)
        with self.assertRaises(ClientError) as e:
            self.ddb.describe_import(ImportArn=d["TableArn"] + "/import/01234567890123-0badf00d")
        self.assertEqual(e.exception.response["Error"]["Code"], "ImportNotFoundException")

    def test_large_import_refuses_access_while_creating(self):
        n = 50000
        body = "\n".join(jline({"pk": {"S": "k%06d" % i}, "sk": {"N": str(i)}, "pad": {"S": "y" * 40}})
                         for i in range(n)).encode()
        self.put("big/a.json.gz", gzip.compress(body))
        table, d = self.start("big/", comp="GZIP")
        busy = self.ddb.describe_import(ImportArn=d["ImportArn"])["ImportTableDescription"]
        if busy["ImportStatus"] == "IN_PROGRESS":
            self.assertEqual(busy["ProcessedItemCount"], 0)  # counters appear at the end
            t = self.ddb.describe_table(TableName=table)["Table"]
            if self.ddb.describe_import(ImportArn=d["ImportArn"])["ImportTableDescription"][
                    "ImportStatus"] == "IN_PROGRESS":
                self.assertIn(t["TableStatus"], ("CREATING", "ACTIVE"))
        final = wait(self.ddb, d["ImportArn"], timeout=300)
        self.assertEqual(final["ImportStatus"], "COMPLETED", final)
        self.assertEqual(final["ImportedItemCount"], n)
        count = 0
        start = None
        for _ in range(1000):
            r = self.ddb.scan(TableName=table, Select="COUNT",
                              **({"ExclusiveStartKey": start} if start else {}))
            count += r["Count"]
            start = r.get("LastEvaluatedKey")
            if not start:
                break
        self.assertEqual(count, n)


class ImportCrash(unittest.TestCase):
    """kill -9 in the middle of an import: after the restart it resumes and ends with exactly
    the source's items (none lost, none twice: a GSI counts them)."""

    def test_kill9_resumes(self):
        srv = Server().start()
        try:
            ddb, s3 = srv.client("dynamodb"), srv.client("s3")
            s3.create_bucket(Bucket="src")
            n = 120000
            for part in range(2):
                lo, hi = part * n // 2, (part + 1) * n // 2
                body = "\n".join(jline({"pk": {"S": "k%07d" % i}, "g": {"S": "all"}, "i": {"N": str(i)}})
                                 for i in range(lo, hi)).encode()
                s3.put_object(Bucket="src", Key="crash/%d.json.zst" % part, Body=zstd(body))
            keys = dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "g", "AttributeType": "S"}],
                        GlobalSecondaryIndexes=[{"IndexName": "gidx", "KeySchema": [
                            {"AttributeName": "g", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "KEYS_ONLY"}}],
                        BillingMode="PAY_PER_REQUEST")
            d = ddb.import_table(S3BucketSource={"S3Bucket": "src", "S3KeyPrefix": "crash/"},
                                 InputFormat="DYNAMODB_JSON", InputCompressionType="ZSTD",
                                 TableCreationParameters=dict(TableName="crash", **keys))
            arn = d["ImportTableDescription"]["ImportArn"]
            time.sleep(0.4)
            srv.kill9()
            srv.start()
            ddb = srv.client("dynamodb")
            final = wait(ddb, arn, timeout=300)
            self.assertEqual(final["ImportStatus"], "COMPLETED", final)
            self.assertEqual(final["ImportedItemCount"], n)
            for index in (None, "gidx"):
                count, start = 0, None
                for _ in range(1000):
                    kw = {"IndexName": index} if index else {}
                    r = ddb.scan(TableName="crash", Select="COUNT", **kw,
                                 **({"ExclusiveStartKey": start} if start else {}))
                    count += r["Count"]
                    start = r.get("LastEvaluatedKey")
                    if not start:
                        break
                self.assertEqual(count, n, index)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
