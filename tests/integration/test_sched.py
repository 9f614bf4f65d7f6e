# SPDX-License-Identifier: Apache-2.0
"""The scheduler: one slow function holds only its own event source mapping (another table's
mapping and a bucket's notifications are delivered while it hangs), TTL deletes while a large
GSI backfill runs (paced with --job-interval), and --job-interval names only known jobs."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from collector import SEND, collect
from stratus_fixture import STRATUSD, Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
FN_ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


# Notes that it started, then sleeps far longer than the test waits for anything else.
SLEEPY = SEND + '''
import time
def handler(event, context):
    send("started\\n", "MARK")
    time.sleep(20)
'''

# Appends each table record's key, or each object key, to a file: a line per record.
QUICK = SEND + '''
def handler(event, context):
    send("".join((r["dynamodb"]["Keys"]["pk"]["S"] if "dynamodb" in r else r["s3"]["object"]["key"])
                 + "\\n" for r in event["Records"]))
'''


def lines(path):
    try:
        with open(path) as f:
            return f.read().split()
    except FileNotFoundError:
        return []


def wait_line(path, want, timeout):
    """Seconds until want is a line of path; None when it did not come within timeout."""
    start = time.time()
    while time.time() - start < timeout:
        if want in lines(path):
            return time.time() - start
        time.sleep(0.01)
    return None


class SlowFunction(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.lam, self.ddb, self.s3 = (self.srv.client(s) for s in ("lambda", "dynamodb", "s3"))
        self.tmp = tempfile.mkdtemp(prefix="stratus-sched-")

    def tearDown(self):
        self.srv.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def table(self, name):
        r = self.ddb.create_table(
            TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        return r["TableDescription"]["LatestStreamArn"]

    def function(self, name, source, timeout, **env):
        self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Timeout=timeout,
                                 Environment={"Variables": env},
                                 Code={"ZipFile": zip_of({"app.py": source})})

    def test_hung_mapping_holds_only_itself(self):
        mark, out = os.path.join(self.tmp, "mark"), os.path.join(self.tmp, "out")
        stream_a, stream_b = self.table("tab-a"), self.table("tab-b")
        self.function("sleepy", SLEEPY, 30, MARK=collect(mark))
        self.function("quick", QUICK, 10, OUT=collect(out))
        for stream, fn in ((stream_a, "sleepy"), (stream_b, "quick")):
            self.lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn,
                                                 StartingPosition="TRIM_HORIZON", BatchSize=10)
        self.s3.create_bucket(Bucket="evb")
        self.s3.put_bucket_notification_configuration(Bucket="evb", NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"Id": "q", "LambdaFunctionArn": FN_ARN + "quick",
                                              "Events": ["s3:ObjectCreated:*"]}]})
        # quick runs once first (its instance starts), then A's function hangs.
        self.ddb.put_item(TableName="tab-b", Item={"pk": {"S": "warm"}})
        self.assertIsNotNone(wait_line(out, "warm", 30), lines(out))
        self.ddb.put_item(TableName="tab-a", Item={"pk": {"S": "a1"}})
        self.assertIsNotNone(wait_line(mark, "started", 30), "the slow function did not start")
        # While it sleeps, B's records and the bucket's events still arrive promptly.
        for i in range(3):
            self.ddb.put_item(TableName="tab-b", Item={"pk": {"S": "b%d" % i}})
            took = wait_line(out, "b%d" % i, 10)
            self.assertIsNotNone(took, lines(out))
            self.assertLess(took, 2.0, "mapping B waited %.2f s behind the hung mapping A" % took)
        self.s3.put_object(Bucket="evb", Key="obj1", Body=b"x")
        took = wait_line(out, "obj1", 10)
        self.assertIsNotNone(took, lines(out))
        self.assertLess(took, 2.0, "the notification waited %.2f s behind mapping A" % took)
        self.assertEqual(lines(mark), ["started"])  # A is still on its first batch


class BackfillAndTtl(unittest.TestCase):
    N = 20000

    def setUp(self):
        # The backfill pauses 300 ms after each step of 1000 items: about 6 s in all.
        self.srv = Server("--ttl-interval", "100", "--job-interval", "backfill=300").start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.ddb = self.srv.client("dynamodb")

    def tearDown(self):
        self.srv.cleanup()

    def index_status(self):
        t = self.ddb.describe_table(TableName="big")["Table"]
        return t["GlobalSecondaryIndexes"][0]["IndexStatus"]

    def test_ttl_deletes_during_backfill(self):
        self.ddb.create_table(
            TableName="big", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST")
        self.ddb.update_time_to_live(TableName="big", TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "exp"})
        for i in range(0, self.N, 25):
            self.ddb.batch_write_item(RequestItems={"big": [
                {"PutRequest": {"Item": {"pk": {"S": "k%05d" % j}, "g": {"S": "g%d" % (j % 7)}}}}
                for j in range(i, i + 25)]})
        self.ddb.update_table(
            TableName="big", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[{"Create": {
                "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
        self.assertEqual(self.index_status(), "CREATING")
        self.ddb.put_item(TableName="big", Item={"pk": {"S": "gone"}, "exp": {"N": str(int(time.time()) - 60)}})
        deadline = time.time() + 10
        while time.time() < deadline and "Item" in self.ddb.get_item(TableName="big", Key={"pk": {"S": "gone"}}):
            time.sleep(0.05)
        self.assertNotIn("Item", self.ddb.get_item(TableName="big", Key={"pk": {"S": "gone"}}))
        self.assertEqual(self.index_status(), "CREATING", "TTL waited for the backfill")
        # The backfill, done in steps, indexed every item.
        deadline = time.time() + 60
        while time.time() < deadline and self.index_status() != "ACTIVE":
            time.sleep(0.2)
        self.assertEqual(self.index_status(), "ACTIVE")
        total = 0
        for g in range(7):
            kw = {}
            while True:
                r = self.ddb.query(TableName="big", IndexName="by-g", Select="COUNT",
                                   KeyConditionExpression="g = :g",
                                   ExpressionAttributeValues={":g": {"S": "g%d" % g}}, **kw)
                total += r["Count"]
                if "LastEvaluatedKey" not in r:
                    break
                kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]
        self.assertEqual(total, self.N)


class JobIntervalFlag(unittest.TestCase):
    def test_unknown_job_is_a_startup_error(self):
        d = tempfile.mkdtemp(prefix="stratus-sched-")
        try:
            p = subprocess.run([STRATUSD, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(d, "db"),
                                "--job-interval", "nosuchjob=100"], capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(b"nosuchjob", p.stderr)
            p = subprocess.run([STRATUSD, "--job-interval", "ttl"], capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 2, p.stderr)
            p = subprocess.run([STRATUSD, "--help"], capture_output=True, timeout=30)
            self.assertIn(b"--job-interval NAME=MS", p.stdout + p.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
