# SPDX-License-Identifier: Apache-2.0
"""Issue 17 (packages E and I together): a table exported to S3 by ExportTableToPointInTime and
imported back by ImportTable from the export's data files equals the table item for item, in
DYNAMODB_JSON and in ION. Skipped where the server has no ImportTable (package E's branch
alone)."""
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


if __name__ == "__main__":
    unittest.main()
