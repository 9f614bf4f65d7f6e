# SPDX-License-Identifier: Apache-2.0
"""Wiring between services (issue 14): S3 notification configurations with SQS queues, SNS topics
and EventBridge (validation, the s3:TestEvent message, S3's event message in a queue and through
a topic, EventBridge's "Object Created"/"Object Deleted" events on the default bus, delivery that
survives kill -9); Lambda asynchronous-invocation destinations on queues, topics and buses with
Lambda's invocation record; an event source mapping's on-failure destination on a queue."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

from botocore.exceptions import ClientError

from recorder_base import BUS, FN, RecorderCase
from stratus_fixture import Server

# Succeeds or fails as its payload says.
WORKER = '''def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"done": event.get("n")}
'''


class Base(RecorderCase):
    def clients(self):
        super().clients()
        self.s3, self.sqs, self.sns = (self.srv.client(s) for s in ("s3", "sqs", "sns"))

    def receive(self, url, count, timeout=40):
        """count messages (deleted as they come), waiting by long polls; then none more."""
        got, deadline = [], time.time() + timeout
        while len(got) < count and time.time() < deadline:
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in r.get("Messages", []):
                got.append(m)
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        self.assertEqual(len(got), count, "messages in %s" % url)
        more = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        self.assertEqual(more, [])
        return got

    def recorded(self, count, tag=None, timeout=60):
        deadline, got = time.time() + timeout, []
        while time.time() < deadline:
            got = [json.loads(i["event"]["S"]) for i in self.items() if tag is None or i["tag"]["S"] == tag]
            if len(got) >= count:
                break
            time.sleep(0.1)
        self.assertEqual(len(got), count)
        return got

    def notify(self, bucket, **conf):
        self.s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=conf)


class S3Config(Base):
    def test_validation(self):
        self.s3.create_bucket(Bucket="bkt")
        _, q = self.queue("q")
        _, fifo = self.queue("f.fifo", FifoQueue="true")
        topic = self.sns.create_topic(Name="t")["TopicArn"]
        bad = [
            {"QueueConfigurations": [{"QueueArn": q.replace(":q", ":nope"), "Events": ["s3:ObjectCreated:*"]}]},
            {"TopicConfigurations": [{"TopicArn": topic + "x", "Events": ["s3:ObjectCreated:*"]}]},
            {"QueueConfigurations": [{"QueueArn": fifo, "Events": ["s3:ObjectCreated:*"]}]},
            {"QueueConfigurations": [{"QueueArn": topic, "Events": ["s3:ObjectCreated:*"]}]},
        ]
        for conf in bad:
            with self.assertRaises(ClientError) as cm:
                self.notify("bkt", **conf)
            self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidArgument")
            self.assertIn("Unable to validate the following destination configurations",
                          cm.exception.response["Error"]["Message"])
        # the overlap rule spans queues, topics and functions
        with self.assertRaises(ClientError) as cm:
            self.notify("bkt", QueueConfigurations=[{"QueueArn": q, "Events": ["s3:ObjectCreated:*"]}],
                        TopicConfigurations=[{"TopicArn": topic, "Events": ["s3:ObjectCreated:Put"],
                                              "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/"}]}}}])
        self.assertIn("overlap", cm.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as cm:
            self.notify("bkt", QueueConfigurations=[{"QueueArn": q, "Events": ["s3:ObjectCreated:Nope"]}])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidArgument")
        # SkipDestinationValidation: stored unchecked; the missing queue is skipped at delivery
        # and no test message is sent
        url, q2 = self.queue("q2")
        self.s3.put_bucket_notification_configuration(
            Bucket="bkt", SkipDestinationValidation=True, NotificationConfiguration={
                "QueueConfigurations": [{"Id": "gone", "QueueArn": q.replace(":q", ":later"),
                                         "Events": ["s3:ObjectCreated:*"]},
                                        {"Id": "here", "QueueArn": q2, "Events": ["s3:ObjectRemoved:*"]}]})
        self.assertEqual([c["Id"] for c in self.s3.get_bucket_notification_configuration(Bucket="bkt")
                          ["QueueConfigurations"]], ["gone", "here"])
        self.s3.put_object(Bucket="bkt", Key="x", Body=b"x")
        self.s3.delete_object(Bucket="bkt", Key="x")
        msgs = [json.loads(m["Body"]) for m in self.receive(url, 1)]
        self.assertEqual(msgs[0]["Records"][0]["eventName"], "ObjectRemoved:Delete")
        self.s3.put_bucket_notification_configuration(Bucket="bkt", NotificationConfiguration={})
        # nothing was stored by the refused ones
        self.assertNotIn("QueueConfigurations", self.s3.get_bucket_notification_configuration(Bucket="bkt"))
        # a good one, shown back with its Ids
        self.notify("bkt", QueueConfigurations=[{"Id": "to-q", "QueueArn": q, "Events": ["s3:ObjectCreated:*"],
                                              "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".csv"}]}}}],
                    TopicConfigurations=[{"TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}],
                    EventBridgeConfiguration={})
        got = self.s3.get_bucket_notification_configuration(Bucket="bkt")
        self.assertEqual(got["QueueConfigurations"], [{
            "Id": "to-q", "QueueArn": q, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "Suffix", "Value": ".csv"}]}}}])
        self.assertEqual(len(got["TopicConfigurations"]), 1)
        self.assertEqual(got["TopicConfigurations"][0]["TopicArn"], topic)
        self.assertTrue(got["TopicConfigurations"][0]["Id"])
        self.assertEqual(got["EventBridgeConfiguration"], {})

    def test_queue_gets_test_event_and_records(self):
        url, q = self.queue("events")
        self.s3.create_bucket(Bucket="docs")
        self.notify("docs", QueueConfigurations=[
            {"Id": "created", "QueueArn": q, "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}},
            {"Id": "removed", "QueueArn": q, "Events": ["s3:ObjectRemoved:*"]}])
        test = json.loads(self.receive(url, 1)[0]["Body"])
        self.assertEqual(test["Service"], "Amazon S3")
        self.assertEqual(test["Event"], "s3:TestEvent")
        self.assertEqual(test["Bucket"], "docs")
        self.assertRegex(test["Time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertTrue(test["RequestId"] and test["HostId"])
        self.s3.put_object(Bucket="docs", Key="in/a b.txt", Body=b"hello")
        self.s3.put_object(Bucket="docs", Key="out/skip.txt", Body=b"x")  # filtered out
        self.s3.delete_object(Bucket="docs", Key="in/a b.txt")
        msgs = [json.loads(m["Body"]) for m in self.receive(url, 2)]
        recs = [m["Records"][0] for m in msgs]
        self.assertEqual([len(m["Records"]) for m in msgs], [1, 1])
        self.assertEqual(sorted(r["eventName"] for r in recs), ["ObjectCreated:Put", "ObjectRemoved:Delete"])
        put = next(r for r in recs if r["eventName"] == "ObjectCreated:Put")
        self.assertEqual(put["eventSource"], "aws:s3")
        self.assertEqual(put["eventVersion"], "2.1")
        self.assertEqual(put["s3"]["configurationId"], "created")
        self.assertEqual(put["s3"]["bucket"]["name"], "docs")
        self.assertEqual(put["s3"]["bucket"]["arn"], "arn:aws:s3:::docs")
        self.assertEqual(put["s3"]["object"]["key"], "in/a+b.txt")
        self.assertEqual(put["s3"]["object"]["size"], 5)
        self.assertEqual(put["s3"]["object"]["eTag"], "5d41402abc4b2a76b9719d911017c592")
        rem = next(r for r in recs if r["eventName"] == "ObjectRemoved:Delete")
        self.assertEqual(rem["s3"]["configurationId"], "removed")
        self.assertGreater(rem["s3"]["object"]["sequencer"], put["s3"]["object"]["sequencer"])

    def test_topic_delivers_s3_message(self):
        self.function("rec", tag="sns")
        topic = self.sns.create_topic(Name="uploads")["TopicArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=FN + "rec")
        self.s3.create_bucket(Bucket="upl")
        self.notify("upl", TopicConfigurations=[{"Id": "t", "TopicArn": topic, "Events": ["s3:ObjectCreated:Put"]}])
        self.s3.put_object(Bucket="upl", Key="k1", Body=b"abc")
        got = self.recorded(2, "sns")
        sns = [e["Records"][0]["Sns"] for e in got]
        self.assertEqual({s["Subject"] for s in sns}, {"Amazon S3 Notification"})
        bodies = [json.loads(s["Message"]) for s in sns]
        test = next(b for b in bodies if "Event" in b)
        self.assertEqual(test["Event"], "s3:TestEvent")
        rec = next(b for b in bodies if "Records" in b)["Records"][0]
        self.assertEqual(rec["eventName"], "ObjectCreated:Put")
        self.assertEqual(rec["s3"]["object"]["key"], "k1")
        self.assertEqual(rec["s3"]["configurationId"], "t")


class S3EventBridge(Base):
    def test_object_events_on_the_default_bus(self):
        self.function("rec", tag="eb")
        self.ev.put_rule(Name="s3", EventPattern=json.dumps({"source": ["aws.s3"]}))
        self.ev.put_targets(Rule="s3", Targets=[{"Id": "r", "Arn": FN + "rec"}])
        _, q = self.queue("only-csv")
        self.s3.create_bucket(Bucket="ebk")
        self.s3.put_bucket_versioning(Bucket="ebk", VersioningConfiguration={"Status": "Enabled"})
        # the bus gets every event, whatever the other configurations filter
        self.notify("ebk", EventBridgeConfiguration={},
                    QueueConfigurations=[{"QueueArn": q, "Events": ["s3:ObjectCreated:*"],
                                          "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".csv"}]}}}])
        v = self.s3.put_object(Bucket="ebk", Key="a/b c.txt", Body=b"hello")["VersionId"]
        self.s3.copy_object(Bucket="ebk", Key="copy.txt", CopySource={"Bucket": "ebk", "Key": "a/b c.txt"})
        up = self.s3.create_multipart_upload(Bucket="ebk", Key="multi")["UploadId"]
        etag = self.s3.upload_part(Bucket="ebk", Key="multi", UploadId=up, PartNumber=1, Body=b"m")["ETag"]
        self.s3.complete_multipart_upload(Bucket="ebk", Key="multi", UploadId=up,
                                          MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.s3.delete_object(Bucket="ebk", Key="a/b c.txt")                 # a delete marker
        self.s3.delete_object(Bucket="ebk", Key="a/b c.txt", VersionId=v)    # gone for good
        got = sorted(self.recorded(5, "eb"), key=lambda e: e["detail"]["object"]["sequencer"])
        put, copy, multi, marker, perm = got
        for e in got:
            self.assertEqual(e["version"], "0")
            self.assertEqual(e["source"], "aws.s3")
            self.assertEqual(e["account"], "000000000000")
            self.assertEqual(e["region"], "us-east-1")
            self.assertEqual(e["resources"], ["arn:aws:s3:::ebk"])
            self.assertRegex(e["id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$")
            self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            d = e["detail"]
            self.assertEqual(d["version"], "0")
            self.assertEqual(d["bucket"], {"name": "ebk"})
            self.assertEqual(d["requester"], "000000000000")
            self.assertEqual(d["source-ip-address"], "127.0.0.1")
            self.assertEqual(d["request-id"], d["object"]["sequencer"])
        self.assertEqual(put["detail-type"], "Object Created")
        self.assertEqual(put["detail"]["reason"], "PutObject")
        self.assertEqual(put["detail"]["object"]["key"], "a/b c.txt")
        self.assertEqual(put["detail"]["object"]["size"], 5)
        self.assertEqual(put["detail"]["object"]["etag"], "5d41402abc4b2a76b9719d911017c592")
        self.assertEqual(put["detail"]["object"]["version-id"], v)
        self.assertNotIn("deletion-type", put["detail"])
        self.assertEqual(copy["detail"]["reason"], "CopyObject")
        self.assertEqual(multi["detail"]["reason"], "CompleteMultipartUpload")
        self.assertEqual(marker["detail-type"], "Object Deleted")
        self.assertEqual(marker["detail"]["reason"], "DeleteObject")
        self.assertEqual(marker["detail"]["deletion-type"], "Delete Marker Created")
        self.assertEqual(perm["detail"]["deletion-type"], "Permanently Deleted")
        self.assertEqual(perm["detail"]["object"]["version-id"], v)
        self.assertNotIn("size", perm["detail"]["object"])
        self.assertEqual(len({e["id"] for e in got}), 5)


class S3Lifecycle(Base):
    extra = ("--sweep-interval", "200", "--lifecycle-day-seconds", "1")

    def test_expiration_to_queue_and_bus(self):
        self.function("rec", tag="eb")
        self.ev.put_rule(Name="exp", EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Deleted"]}))
        self.ev.put_targets(Rule="exp", Targets=[{"Id": "r", "Arn": FN + "rec"}])
        url, q = self.queue("expired")
        self.s3.create_bucket(Bucket="life")
        self.notify("life", EventBridgeConfiguration={},
                    QueueConfigurations=[{"QueueArn": q, "Events": ["s3:LifecycleExpiration:*"]}])
        self.receive(url, 1)  # the test event
        up = self.s3.create_multipart_upload(Bucket="life", Key="old")["UploadId"]
        etag = self.s3.upload_part(Bucket="life", Key="old", UploadId=up, PartNumber=1, Body=b"x")["ETag"]
        self.s3.complete_multipart_upload(Bucket="life", Key="old", UploadId=up,
                                          MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.s3.put_bucket_lifecycle_configuration(Bucket="life", LifecycleConfiguration={"Rules": [
            {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]})
        rec = json.loads(self.receive(url, 1)[0]["Body"])["Records"][0]
        self.assertEqual(rec["eventName"], "LifecycleExpiration:Delete")
        self.assertEqual(rec["s3"]["object"]["key"], "old")
        ev = self.recorded(1, "eb")[0]
        d = ev["detail"]
        self.assertEqual(ev["detail-type"], "Object Deleted")
        self.assertEqual(d["reason"], "Lifecycle Expiration")
        self.assertEqual(d["requester"], "s3.amazonaws.com")
        self.assertEqual(d["deletion-type"], "Permanently Deleted")
        self.assertNotIn("source-ip-address", d)
        self.assertEqual(d["object"]["key"], "old")


class S3Kill9(Base):
    def test_queue_deliveries_survive_kill9(self):
        """Events whose writes were acknowledged all reach the queue after kill -9, also those
        queued behind a slow function when the server died (at least once)."""
        self.function("slow", source='''import time
def handler(event, context):
    time.sleep(0.05)
''')
        url, q = self.queue("durable")
        # and the bus: a rule sends the queue's keys' events to a recorder
        self.function("rec", tag="eb")
        self.ev.put_rule(Name="kq", EventPattern=json.dumps(
            {"source": ["aws.s3"], "detail": {"object": {"key": [{"suffix": ".q"}]}}}))
        self.ev.put_targets(Rule="kq", Targets=[{"Id": "r", "Arn": FN + "rec"}])
        self.s3.create_bucket(Bucket="kbk")
        self.notify("kbk", EventBridgeConfiguration={},
                    QueueConfigurations=[{"QueueArn": q, "Events": ["s3:ObjectCreated:Put"],
                                                "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".q"}]}}}],
                    LambdaFunctionConfigurations=[{"LambdaFunctionArn": FN + "slow", "Events": ["s3:ObjectCreated:Put"],
                                                   "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".f"}]}}}])
        self.receive(url, 1)  # the test event
        n = 60
        for i in range(n):
            self.s3.put_object(Bucket="kbk", Key="k%03d.f" % i, Body=b"v")
            self.s3.put_object(Bucket="kbk", Key="k%03d.q" % i, Body=b"v")
        left = int(self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                   ["Attributes"]["ApproximateNumberOfMessages"])
        self.assertLess(left, n)  # a backlog is left when the server dies
        self.srv.kill9()
        self.srv.start()
        self.clients()
        keys, deadline = set(), time.time() + 120
        while len(keys) < n and time.time() < deadline:
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in r.get("Messages", []):
                keys.add(json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"])
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        self.assertEqual(sorted(keys), ["k%03d.q" % i for i in range(n)])
        # every event reached the bus too (a replayed one with the id it had)
        deadline, evs = time.time() + 120, []
        while time.time() < deadline:
            evs = [json.loads(i["event"]["S"]) for i in self.items() if i["tag"]["S"] == "eb"]
            if len({e["id"] for e in evs}) >= n:
                break
            time.sleep(0.2)
        self.assertEqual(sorted({e["detail"]["object"]["key"] for e in evs}), ["k%03d.q" % i for i in range(n)])
        self.assertEqual(len({e["id"] for e in evs}), n)


class LambdaDestinations(Base):
    def record_ok(self, rec, condition, payload, fn="worker"):
        self.assertEqual(rec["version"], "1.0")
        self.assertRegex(rec["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        ctx = rec["requestContext"]
        self.assertEqual(ctx["functionArn"], FN + fn + ":$LATEST")
        self.assertEqual(ctx["condition"], condition)
        self.assertEqual(ctx["approximateInvokeCount"], 1)
        self.assertTrue(ctx["requestId"])
        self.assertEqual(rec["requestPayload"], payload)
        self.assertEqual(rec["responseContext"]["statusCode"], 200)
        self.assertEqual(rec["responseContext"]["executedVersion"], "$LATEST")

    def test_validation(self):
        self.function("worker", WORKER)
        for dest in ("arn:aws:sqs:us-east-1:000000000000:none", "arn:aws:sns:us-east-1:000000000000:none",
                     BUS + "none"):
            for side in ("OnSuccess", "OnFailure"):
                with self.assertRaises(ClientError) as cm:
                    self.lam.put_function_event_invoke_config(
                        FunctionName="worker", DestinationConfig={side: {"Destination": dest}})
                self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValueException")
        _, q = self.queue("ok")
        topic = self.sns.create_topic(Name="ok")["TopicArn"]
        r = self.lam.put_function_event_invoke_config(
            FunctionName="worker", MaximumRetryAttempts=0,
            DestinationConfig={"OnSuccess": {"Destination": q}, "OnFailure": {"Destination": topic}})
        self.assertEqual(r["DestinationConfig"], {"OnSuccess": {"Destination": q}, "OnFailure": {"Destination": topic}})
        self.lam.update_function_event_invoke_config(
            FunctionName="worker", DestinationConfig={"OnFailure": {"Destination": BUS + "default"}})

    def test_queue_and_topic(self):
        self.function("worker", WORKER)
        self.function("rec", tag="sns")
        url, q = self.queue("success")
        topic = self.sns.create_topic(Name="failures")["TopicArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=FN + "rec")
        self.lam.put_function_event_invoke_config(
            FunctionName="worker", MaximumRetryAttempts=0,
            DestinationConfig={"OnSuccess": {"Destination": q}, "OnFailure": {"Destination": topic}})
        self.assertEqual(self.lam.invoke(FunctionName="worker", InvocationType="Event",
                                         Payload=json.dumps({"n": 1}))["StatusCode"], 202)
        self.lam.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"fail": True}))
        ok = json.loads(self.receive(url, 1)[0]["Body"])
        self.record_ok(ok, "Success", {"n": 1})
        self.assertEqual(ok["responsePayload"], {"done": 1})
        self.assertNotIn("functionError", ok["responseContext"])
        bad = json.loads(self.recorded(1, "sns")[0]["Records"][0]["Sns"]["Message"])
        self.record_ok(bad, "RetriesExhausted", {"fail": True})
        self.assertEqual(bad["responseContext"]["functionError"], "Unhandled")
        self.assertEqual(bad["responsePayload"]["errorMessage"], "asked to fail")

    def test_event_bus(self):
        self.function("worker", WORKER)
        self.function("rec", tag="eb")
        self.ev.create_event_bus(Name="results")
        self.ev.put_rule(Name="r", EventBusName="results", EventPattern=json.dumps({"source": ["lambda"]}))
        self.ev.put_targets(Rule="r", EventBusName="results", Targets=[{"Id": "t", "Arn": FN + "rec"}])
        self.lam.put_function_event_invoke_config(
            FunctionName="worker", MaximumRetryAttempts=0,
            DestinationConfig={"OnSuccess": {"Destination": BUS + "results"},
                               "OnFailure": {"Destination": BUS + "results"}})
        self.lam.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"n": 7}))
        self.lam.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"fail": 1}))
        got = {e["detail-type"]: e for e in self.recorded(2, "eb")}
        ok = got["Lambda Function Invocation Result - Success"]
        bad = got["Lambda Function Invocation Result - Failure"]
        for e in (ok, bad):
            self.assertEqual(e["source"], "lambda")
            self.assertEqual(e["version"], "0")
            self.assertEqual(e["account"], "000000000000")
            self.assertEqual(e["resources"], [FN + "worker:$LATEST"])
        self.record_ok(ok["detail"], "Success", {"n": 7})
        self.record_ok(bad["detail"], "RetriesExhausted", {"fail": 1})


class AwsCli(Base):
    def aws(self, *args):
        p = self.srv.aws(*args, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout) if p.stdout.strip() else None

    def test_configurations_through_the_cli(self):
        url, q = self.queue("cli-q")
        topic = self.sns.create_topic(Name="cli-t")["TopicArn"]
        self.s3.create_bucket(Bucket="cli-bucket")
        self.aws("s3api", "put-bucket-notification-configuration", "--bucket", "cli-bucket",
                 "--notification-configuration", json.dumps({
                     "QueueConfigurations": [{"Id": "q", "QueueArn": q, "Events": ["s3:ObjectCreated:*"]}],
                     "EventBridgeConfiguration": {}}))
        got = self.aws("s3api", "get-bucket-notification-configuration", "--bucket", "cli-bucket")
        self.assertEqual(got["QueueConfigurations"], [{"Id": "q", "QueueArn": q, "Events": ["s3:ObjectCreated:*"]}])
        self.assertEqual(got["EventBridgeConfiguration"], {})
        self.assertEqual(json.loads(self.receive(url, 1)[0]["Body"])["Event"], "s3:TestEvent")
        self.function("worker", WORKER)
        r = self.aws("lambda", "put-function-event-invoke-config", "--function-name", "worker",
                     "--destination-config", json.dumps({"OnSuccess": {"Destination": q},
                                                         "OnFailure": {"Destination": topic}}))
        self.assertEqual(r["DestinationConfig"]["OnFailure"]["Destination"], topic)


DEBIAN_SCRIPT = '''import json, sys
import boto3
ep, q, topic = sys.argv[1:4]
kw = dict(endpoint_url=ep, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
s3, lam = boto3.client("s3", **kw), boto3.client("lambda", **kw)
s3.put_bucket_notification_configuration(Bucket="deb-bucket", NotificationConfiguration={
    "TopicConfigurations": [{"Id": "t", "TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}],
    "QueueConfigurations": [{"Id": "q", "QueueArn": q, "Events": ["s3:ObjectCreated:*"]}]})
got = s3.get_bucket_notification_configuration(Bucket="deb-bucket")
r = lam.put_function_event_invoke_config(FunctionName="worker",
                                         DestinationConfig={"OnFailure": {"Destination": q}})
print(json.dumps({"boto3": boto3.__version__, "queues": got["QueueConfigurations"],
                  "topics": got["TopicConfigurations"], "dest": r["DestinationConfig"]}))
'''


class DebianBoto3(Base):
    @unittest.skipUnless(os.path.exists("/usr/lib/python3/dist-packages/boto3"), "Debian's python3-boto3 is not installed")
    def test_configurations_with_debian_boto3(self):
        url, q = self.queue("deb-q")
        topic = self.sns.create_topic(Name="deb-t")["TopicArn"]
        self.s3.create_bucket(Bucket="deb-bucket")
        self.function("worker", WORKER)
        p = subprocess.run(["/usr/bin/python3", "-c", DEBIAN_SCRIPT, self.srv.endpoint, q, topic],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                                    PYTHONPATH=""))
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertTrue(out["boto3"].startswith("1.26"), out["boto3"])
        self.assertEqual(out["queues"], [{"Id": "q", "QueueArn": q, "Events": ["s3:ObjectCreated:*"]}])
        self.assertEqual(out["topics"], [{"Id": "t", "TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}])
        self.assertEqual(out["dest"]["OnFailure"], {"Destination": q})
        self.assertEqual(json.loads(self.receive(url, 1)[0]["Body"])["Event"], "s3:TestEvent")


def can_mount():
    """Whether this process may mount a small tmpfs (root): the disk-low tests need one."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    d = tempfile.mkdtemp(prefix="stratus-mnt-")
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d], capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", d])
    os.rmdir(d)
    return ok


@unittest.skipUnless(can_mount(), "needs root and tmpfs mounts to make a small file system")
class DiskLow(Base):
    """A queue that cannot take a message (the disk is low: plain writes are refused) gets it
    later, once space returns: an S3 event (a delete is accepted on a low disk, and logs its
    event) and a Lambda destination's record."""

    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="stratus-wire-")
        subprocess.check_call(["mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", self.mnt])
        self.srv = Server("--disk-reserve", "32M", data_dir=self.mnt).start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.clients()
        self.ddb.create_table(TableName="got", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")

    def tearDown(self):
        self.srv.stop()
        subprocess.run(["umount", "-l", self.mnt])
        os.rmdir(self.mnt)

    def disk(self):
        with urllib.request.urlopen(self.srv.endpoint + "/health", timeout=5) as r:
            return json.loads(r.read())["disk"]

    def fill(self):
        """Settle the room writes have (free space less memtables and compaction headroom) at
        about 16 MB: under the 32 MB reserve, far over its floor (deletes still go), with a
        margin for the memtables and headroom to move."""
        self.filler = os.path.join(self.mnt, "filler")
        open(self.filler, "wb").close()
        deadline = time.time() + 20
        while time.time() < deadline:
            d = self.disk()
            left = d["free_bytes"] - d["memtable_bytes"] - d["compaction_headroom_bytes"]
            if d["state"] == "low" and 10 << 20 < left < 22 << 20:
                return
            size = max(0, os.path.getsize(self.filler) + left - (16 << 20))
            if size < os.path.getsize(self.filler):
                os.truncate(self.filler, size)
            else:  # never past what the file system has now
                st = os.statvfs(self.mnt)
                grow = min(size - os.path.getsize(self.filler), st.f_bavail * st.f_frsize - (4 << 20))
                with open(self.filler, "ab") as f:
                    f.write(b"\0" * max(0, grow))
            seen = d["free_bytes"]
            while self.disk()["free_bytes"] == seen and time.time() < deadline:
                time.sleep(0.05)  # the guard looks at the disk every 200 ms
        self.fail("the disk did not settle low: %s" % self.disk())

    def busy_then_free(self, url, line, count):
        deadline = time.time() + 30
        while line not in self.srv.read_log() and time.time() < deadline:
            time.sleep(0.05)
        self.assertIn(line, self.srv.read_log())
        os.unlink(self.filler)
        return [json.loads(m["Body"]) for m in self.receive(url, count)]

    def test_s3_event_waits_for_space(self):
        url, q = self.queue("later")
        self.s3.create_bucket(Bucket="low")
        self.s3.put_object(Bucket="low", Key="victim", Body=b"v")
        self.notify("low", QueueConfigurations=[{"QueueArn": q, "Events": ["s3:ObjectRemoved:*"]}])
        self.receive(url, 1)  # the test event
        self.fill()
        self.s3.delete_object(Bucket="low", Key="victim")
        got = self.busy_then_free(url, "busy (KV_ENOSPACE), event", 1)
        self.assertEqual(got[0]["Records"][0]["eventName"], "ObjectRemoved:Delete")
        self.assertEqual(got[0]["Records"][0]["s3"]["object"]["key"], "victim")

    def test_destination_waits_for_space(self):
        self.function("worker", WORKER)
        url, q = self.queue("records")
        self.lam.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=0,
                                                  DestinationConfig={"OnSuccess": {"Destination": q}})
        self.fill()
        self.lam.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"n": 3}))
        got = self.busy_then_free(url, "busy (KV_ENOSPACE), sent again later", 1)
        self.assertEqual(got[0]["requestContext"]["condition"], "Success")
        self.assertEqual(got[0]["responsePayload"], {"done": 3})


class MappingOnFailure(Base):
    def test_stream_batch_to_queue(self):
        self.function("worker", '''def handler(event, context):
    raise RuntimeError("no")
''')
        stream = self.ddb.create_table(
            TableName="src", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]["LatestStreamArn"]
        url, q = self.queue("dlq")
        with self.assertRaises(ClientError) as cm:
            self.lam.create_event_source_mapping(
                EventSourceArn=stream, FunctionName="worker", StartingPosition="TRIM_HORIZON",
                DestinationConfig={"OnFailure": {"Destination": q + "-missing"}})
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValueException")
        m = self.lam.create_event_source_mapping(
            EventSourceArn=stream, FunctionName="worker", StartingPosition="TRIM_HORIZON",
            MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": q}})
        self.assertEqual(m["DestinationConfig"]["OnFailure"]["Destination"], q)
        self.ddb.put_item(TableName="src", Item={"pk": {"S": "x"}})
        rec = json.loads(self.receive(url, 1, timeout=60)[0]["Body"])
        self.assertEqual(rec["requestContext"]["condition"], "RetryAttemptsExhausted")
        self.assertEqual(rec["requestContext"]["requestId"], m["UUID"])
        self.assertEqual(rec["requestContext"]["functionArn"], FN + "worker")
        info = rec["DDBStreamBatchInfo"]
        self.assertEqual(info["streamArn"], stream)
        self.assertEqual(info["batchSize"], 1)
        self.assertEqual(rec["responseContext"]["functionError"], "Unhandled")


if __name__ == "__main__":
    unittest.main()
