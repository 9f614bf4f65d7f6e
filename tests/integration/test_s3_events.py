# SPDX-License-Identifier: Apache-2.0
"""S3 event notifications run functions: S3's event record field for field (created, copied,
multipart, removed, delete markers, lifecycle expiry), prefix/suffix filters, delivery that
survives kill -9, each bucket's change log through the DynamoDB Streams API, and a pipeline:
a table stream's function writes a derived item and an object, whose notification runs a
second function that reads the object."""
import json
import os
import shutil
import subprocess
import time
import unittest

from stratus_fixture import Server, zip_of

AWS = os.environ.get("AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
FN_ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


# Records every S3 event it is given as an item (pk: sequencer and configuration).
RECORDER = '''import json, os, time
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    for r in event["Records"]:
        if os.environ.get("SLOW"):
            time.sleep(float(os.environ["SLOW"]))
        o = r["s3"]["object"]
        ddb.put_item(TableName=os.environ["OUT"], Item={
            "pk": {"S": o["sequencer"] + "/" + r["s3"]["configurationId"]},
            "key": {"S": o["key"]}, "event": {"S": r["eventName"]},
            "record": {"S": json.dumps(r)}})
'''

# Copies each new item's key into cli-out.
COPIER = '''import os
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    for r in event["Records"]:
        ddb.put_item(TableName="cli-out", Item={"pk": r["dynamodb"]["Keys"]["pk"]})
'''

# Pipeline stage 1: on a table stream; writes a derived item and an object.
STAGE1 = '''import os
import boto3
ep = os.environ["AWS_ENDPOINT_URL"]
ddb = boto3.client("dynamodb", endpoint_url=ep)
s3 = boto3.client("s3", endpoint_url=ep)
def handler(event, context):
    for r in event["Records"]:
        if r["eventName"] != "INSERT":
            continue
        img = r["dynamodb"]["NewImage"]
        order, qty = img["pk"]["S"], int(img["qty"]["N"])
        ddb.put_item(TableName="totals", Item={"pk": {"S": order}, "double": {"N": str(2 * qty)}})
        s3.put_object(Bucket="reports", Key="orders/%s.txt" % order, Body=("qty=%d" % qty).encode())
'''

# Pipeline stage 2: on the bucket's notification; reads the object it is told about.
STAGE2 = '''import os, urllib.parse
import boto3
ep = os.environ["AWS_ENDPOINT_URL"]
ddb = boto3.client("dynamodb", endpoint_url=ep)
s3 = boto3.client("s3", endpoint_url=ep)
def handler(event, context):
    for r in event["Records"]:
        key = urllib.parse.unquote_plus(r["s3"]["object"]["key"])
        body = s3.get_object(Bucket=r["s3"]["bucket"]["name"], Key=key)["Body"].read().decode()
        ddb.put_item(TableName="read", Item={"pk": {"S": key}, "body": {"S": body}})
'''


class Base(unittest.TestCase):
    extra = ()

    def setUp(self):
        self.srv = Server(*self.extra).start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.clients()

    def clients(self):
        self.lam, self.ddb, self.s3 = (self.srv.client(s) for s in ("lambda", "dynamodb", "s3"))

    def tearDown(self):
        self.srv.cleanup()

    def table(self, name, stream=False):
        kw = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}} if stream else {}
        r = self.ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                  BillingMode="PAY_PER_REQUEST", **kw)
        return r["TableDescription"].get("LatestStreamArn")

    def function(self, name, source, **env):
        self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Timeout=20,
                                 Environment={"Variables": env},
                                 Code={"ZipFile": zip_of({"app.py": source})})

    def items(self, table):
        out, kw = [], {}
        while True:
            r = self.ddb.scan(TableName=table, **kw)
            out += r["Items"]
            if "LastEvaluatedKey" not in r:
                return out
            kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]

    def wait_for(self, table, count, timeout=40):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.items(table)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        self.fail("%s has %d items, wanted %d" % (table, len(got), count))

    def records(self, table, count):
        got = self.wait_for(table, count)
        time.sleep(0.3)  # nothing more arrives
        got = self.items(table)
        self.assertEqual(len(got), count, [i["pk"]["S"] for i in got])
        return sorted((json.loads(i["record"]["S"]) for i in got),
                      key=lambda r: (r["s3"]["object"]["sequencer"], r["s3"]["configurationId"]))


class Notifications(Base):
    def test_created_and_removed_events(self):
        self.table("seen")
        self.function("recorder", RECORDER, OUT="seen")
        self.s3.create_bucket(Bucket="evb")
        self.s3.put_bucket_notification_configuration(Bucket="evb", NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"Id": "created", "LambdaFunctionArn": FN_ARN + "recorder",
                 "Events": ["s3:ObjectCreated:*"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}},
                {"Id": "gone", "LambdaFunctionArn": FN_ARN + "recorder",
                 "Events": ["s3:ObjectRemoved:Delete"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".txt"}]}}}]})
        put = self.s3.put_object(Bucket="evb", Key="in/a b.txt", Body=b"hello")
        self.s3.put_object(Bucket="evb", Key="other/x.txt", Body=b"no prefix: not created")
        self.s3.copy_object(Bucket="evb", Key="in/copy.txt", CopySource={"Bucket": "evb", "Key": "in/a b.txt"})
        mpu = self.s3.create_multipart_upload(Bucket="evb", Key="in/big")
        part = self.s3.upload_part(Bucket="evb", Key="in/big", UploadId=mpu["UploadId"], PartNumber=1, Body=b"x" * 100)
        self.s3.complete_multipart_upload(Bucket="evb", Key="in/big", UploadId=mpu["UploadId"], MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        self.s3.delete_object(Bucket="evb", Key="in/a b.txt")
        self.s3.delete_object(Bucket="evb", Key="in/big")  # no .txt: not sent
        self.s3.delete_objects(Bucket="evb", Delete={"Objects": [{"Key": "other/x.txt"}]})
        self.s3.put_object(Bucket="evb", Key="in/refused", Body=b"1", IfNoneMatch="*")
        with self.assertRaises(Exception):  # a refused write sends nothing
            self.s3.put_object(Bucket="evb", Key="in/refused", Body=b"2", IfNoneMatch="*")
        recs = self.records("seen", 6)
        names = [(r["eventName"], r["s3"]["object"]["key"], r["s3"]["configurationId"]) for r in recs]
        self.assertEqual(names, [
            ("ObjectCreated:Put", "in/a+b.txt", "created"),
            ("ObjectCreated:Copy", "in/copy.txt", "created"),
            ("ObjectCreated:CompleteMultipartUpload", "in/big", "created"),
            ("ObjectRemoved:Delete", "in/a+b.txt", "gone"),
            ("ObjectRemoved:Delete", "other/x.txt", "gone"),
            ("ObjectCreated:Put", "in/refused", "created")])
        first = recs[0]
        self.assertEqual(first["eventVersion"], "2.1")
        self.assertEqual(first["eventSource"], "aws:s3")
        self.assertEqual(first["awsRegion"], "us-east-1")
        self.assertRegex(first["eventTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(first["s3"]["s3SchemaVersion"], "1.0")
        self.assertEqual(first["s3"]["bucket"]["name"], "evb")
        self.assertEqual(first["s3"]["bucket"]["arn"], "arn:aws:s3:::evb")
        obj = first["s3"]["object"]
        self.assertEqual(obj["size"], 5)
        self.assertEqual(obj["eTag"], put["ETag"].strip('"'))
        self.assertNotIn("versionId", obj)  # an unversioned bucket
        self.assertEqual(recs[2]["s3"]["object"]["size"], 100)
        self.assertTrue(recs[2]["s3"]["object"]["eTag"].endswith("-1"))
        self.assertNotIn("size", recs[3]["s3"]["object"])  # removals carry no size or ETag
        self.assertNotIn("eTag", recs[3]["s3"]["object"])
        seqs = [r["s3"]["object"]["sequencer"] for r in recs]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(len(set(seqs)), len(seqs))
        # Turning notifications off stops them; the bucket's log is closed.
        self.s3.put_bucket_notification_configuration(Bucket="evb", NotificationConfiguration={})
        self.s3.put_object(Bucket="evb", Key="in/later.txt", Body=b"z")
        time.sleep(0.5)
        self.assertEqual(len(self.items("seen")), 6)

    def test_versioned_bucket(self):
        self.table("vseen")
        self.function("recorder", RECORDER, OUT="vseen")
        self.s3.create_bucket(Bucket="vbucket")
        self.s3.put_bucket_versioning(Bucket="vbucket", VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_bucket_notification_configuration(Bucket="vbucket", NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"Id": "all", "LambdaFunctionArn": FN_ARN + "recorder",
                                              "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*",
                                                         "s3:LifecycleExpiration:*"]}]})
        v1 = self.s3.put_object(Bucket="vbucket", Key="k", Body=b"one")["VersionId"]
        marker = self.s3.delete_object(Bucket="vbucket", Key="k")["VersionId"]
        self.s3.delete_object(Bucket="vbucket", Key="k", VersionId=v1)
        recs = self.records("vseen", 3)
        self.assertEqual([(r["eventName"], r["s3"]["object"].get("versionId")) for r in recs], [
            ("ObjectCreated:Put", v1), ("ObjectRemoved:DeleteMarkerCreated", marker),
            ("ObjectRemoved:Delete", v1)])


class AwsCli(Base):
    def aws(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        p = subprocess.run([AWS, "--endpoint-url", self.srv.endpoint, "--output", "json"] + list(args),
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_cli_configures_and_writes(self):
        self.table("cseen")
        self.function("recorder", RECORDER, OUT="cseen")
        self.aws("s3api", "create-bucket", "--bucket", "clibucket")
        self.aws("s3api", "put-bucket-notification-configuration", "--bucket", "clibucket",
                 "--notification-configuration", json.dumps({"LambdaFunctionConfigurations": [
                     {"Id": "cli", "LambdaFunctionArn": FN_ARN + "recorder", "Events": ["s3:ObjectCreated:*"]}]}))
        conf = json.loads(self.aws("s3api", "get-bucket-notification-configuration", "--bucket", "clibucket"))
        self.assertEqual(conf["LambdaFunctionConfigurations"][0]["Events"], ["s3:ObjectCreated:*"])
        path = os.path.join(self.srv.data_dir, "up.txt")
        with open(path, "wb") as f:
            f.write(b"x" * 1000)
        self.aws("s3", "cp", path, "s3://clibucket/dir/up.txt")
        recs = self.records("cseen", 1)
        self.assertEqual((recs[0]["eventName"], recs[0]["s3"]["object"]["key"], recs[0]["s3"]["object"]["size"]),
                         ("ObjectCreated:Put", "dir/up.txt", 1000))

    def test_cli_streams_and_mappings(self):
        """The AWS CLI reads a table's stream and creates, lists and updates a mapping."""
        arn = self.table("cli-src", stream=True)
        self.table("cli-out")
        self.function("copier", COPIER)
        self.ddb.put_item(TableName="cli-src", Item={"pk": {"S": "one"}})
        streams = json.loads(self.aws("dynamodbstreams", "list-streams", "--table-name", "cli-src"))["Streams"]
        self.assertEqual(streams[0]["StreamArn"], arn)
        desc = json.loads(self.aws("dynamodbstreams", "describe-stream", "--stream-arn", arn))["StreamDescription"]
        shard = desc["Shards"][0]["ShardId"]
        it = json.loads(self.aws("dynamodbstreams", "get-shard-iterator", "--stream-arn", arn, "--shard-id", shard,
                                 "--shard-iterator-type", "TRIM_HORIZON"))["ShardIterator"]
        recs = json.loads(self.aws("dynamodbstreams", "get-records", "--shard-iterator", it))["Records"]
        self.assertEqual([r["eventName"] for r in recs], ["INSERT"])
        m = json.loads(self.aws("lambda", "create-event-source-mapping", "--function-name", "copier",
                                "--event-source-arn", arn, "--starting-position", "TRIM_HORIZON",
                                "--batch-size", "10"))
        self.assertIn(m["State"], ("Creating", "Enabled"))
        got = self.wait_for("cli-out", 1)
        self.assertEqual(got[0]["pk"]["S"], "one")
        listed = json.loads(self.aws("lambda", "list-event-source-mappings", "--function-name", "copier"))
        self.assertEqual([x["UUID"] for x in listed["EventSourceMappings"]], [m["UUID"]])
        upd = json.loads(self.aws("lambda", "update-event-source-mapping", "--uuid", m["UUID"], "--no-enabled"))
        self.assertIn(upd["State"], ("Updating", "Disabling", "Disabled"))
        got = json.loads(self.aws("lambda", "get-event-source-mapping", "--uuid", m["UUID"]))
        self.assertEqual(got["State"], "Disabled")


class Lifecycle(Base):
    extra = ("--sweep-interval", "200", "--lifecycle-day-seconds", "1")

    def test_lifecycle_expiration(self):
        self.table("lseen")
        self.function("recorder", RECORDER, OUT="lseen")
        self.s3.create_bucket(Bucket="lbucket")
        self.s3.put_bucket_notification_configuration(Bucket="lbucket", NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"Id": "exp", "LambdaFunctionArn": FN_ARN + "recorder",
                                              "Events": ["s3:LifecycleExpiration:*"]}]})
        self.s3.put_object(Bucket="lbucket", Key="old", Body=b"x")
        self.s3.put_bucket_lifecycle_configuration(Bucket="lbucket", LifecycleConfiguration={"Rules": [
            {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]})
        recs = self.records("lseen", 1)
        self.assertEqual(recs[0]["eventName"], "LifecycleExpiration:Delete")
        self.assertEqual(recs[0]["s3"]["object"]["key"], "old")


class ChangeFeed(Base):
    def test_bucket_log_through_streams_api(self):
        self.function("noop", "def handler(e, c):\n    return 1\n")
        self.s3.create_bucket(Bucket="feed")
        self.s3.put_bucket_notification_configuration(Bucket="feed", NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": FN_ARN + "noop",
                                              "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}]})
        self.s3.put_object(Bucket="feed", Key="a", Body=b"12345")
        self.s3.delete_object(Bucket="feed", Key="a")
        st = self.srv.client("dynamodbstreams")
        streams = st.list_streams(TableName="feed")["Streams"]
        self.assertEqual(len(streams), 1)
        arn = streams[0]["StreamArn"]
        self.assertTrue(arn.startswith("arn:aws:s3:::feed/stream/"), arn)
        d = st.describe_stream(StreamArn=arn)["StreamDescription"]
        self.assertEqual(d["TableName"], "feed")
        shard = d["Shards"][0]["ShardId"]
        it = st.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        recs = st.get_records(ShardIterator=it)["Records"]
        got = [(r["dynamodb"]["NewImage"]["eventName"]["S"], r["dynamodb"]["Keys"]["key"]["S"]) for r in recs]
        self.assertEqual(got, [("ObjectCreated:Put", "a"), ("ObjectRemoved:Delete", "a")])
        self.assertEqual(recs[0]["dynamodb"]["NewImage"]["size"]["N"], "5")
        # Replay from any point: the feed is kept (24 hours by default), not consumed.
        it = st.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                   SequenceNumber=recs[1]["dynamodb"]["SequenceNumber"])["ShardIterator"]
        self.assertEqual(len(st.get_records(ShardIterator=it)["Records"]), 1)


class Durability(Base):
    def test_events_survive_kill9(self):
        """Events whose writes were acknowledged are all delivered after kill -9, even those
        queued behind a slow function."""
        self.table("dseen")
        self.function("recorder", RECORDER, OUT="dseen", SLOW="0.02")
        self.s3.create_bucket(Bucket="dbucket")
        self.s3.put_bucket_notification_configuration(Bucket="dbucket", NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"Id": "c", "LambdaFunctionArn": FN_ARN + "recorder",
                                              "Events": ["s3:ObjectCreated:Put"]}]})
        n = 150
        for i in range(n):
            self.s3.put_object(Bucket="dbucket", Key="k%03d" % i, Body=b"v")
        self.assertLess(len(self.items("dseen")), n)  # a backlog is left when the server dies
        self.srv.kill9()
        self.srv.start()
        self.clients()
        got = self.wait_for("dseen", n, timeout=90)
        self.assertEqual(sorted({i["key"]["S"] for i in got}), ["k%03d" % i for i in range(n)])


class Pipeline(Base):
    def test_table_to_function_to_bucket_to_function(self):
        orders = self.table("orders", stream=True)
        self.table("totals")
        self.table("read")
        self.s3.create_bucket(Bucket="reports")
        self.function("stage1", STAGE1)
        self.function("stage2", STAGE2)
        self.s3.put_bucket_notification_configuration(Bucket="reports", NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": FN_ARN + "stage2",
                                              "Events": ["s3:ObjectCreated:*"],
                                              "Filter": {"Key": {"FilterRules": [
                                                  {"Name": "prefix", "Value": "orders/"},
                                                  {"Name": "suffix", "Value": ".txt"}]}}}]})
        self.lam.create_event_source_mapping(EventSourceArn=orders, FunctionName="stage1",
                                             StartingPosition="TRIM_HORIZON", BatchSize=5)
        for i in range(12):
            self.ddb.put_item(TableName="orders", Item={"pk": {"S": "o%02d" % i}, "qty": {"N": str(i)}})
        read = {i["pk"]["S"]: i["body"]["S"] for i in self.wait_for("read", 12, timeout=60)}
        self.assertEqual(read, {"orders/o%02d.txt" % i: "qty=%d" % i for i in range(12)})
        totals = {i["pk"]["S"]: i["double"]["N"] for i in self.items("totals")}
        self.assertEqual(totals, {"o%02d" % i: str(2 * i) for i in range(12)})


if __name__ == "__main__":
    unittest.main()
