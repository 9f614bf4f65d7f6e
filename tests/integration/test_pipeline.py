# SPDX-License-Identifier: Apache-2.0
"""The fan-out pipeline of issue 14: an upload to a bucket goes (1) to an SNS topic that fans it
out to two SQS queues, one with raw message delivery and one with SNS's envelope, and to a
function subscribed to the topic; and (2) through EventBridge (the bucket's
EventBridgeConfiguration, a rule on the default bus) to a function that reads the object.

Both queues feed one function through SQS event source mappings."""
import json
import os
import time
import unittest

from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
FN = "arn:aws:lambda:us-east-1:000000000000:function:"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


# From the bus: reads the object the event names and records it.
READER = '''import json, os
import boto3
ep = os.environ["AWS_ENDPOINT_URL"]
s3 = boto3.client("s3", endpoint_url=ep)
ddb = boto3.client("dynamodb", endpoint_url=ep)
def handler(event, context):
    d = event["detail"]
    body = s3.get_object(Bucket=d["bucket"]["name"], Key=d["object"]["key"])["Body"].read().decode()
    ddb.put_item(TableName="out", Item={"pk": {"S": "eb/" + d["object"]["key"]}, "body": {"S": body},
                                        "event": {"S": json.dumps(event)}})
'''

# From the topic: records the S3 records of each SNS message.
FROM_TOPIC = '''import json, os, urllib.parse
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    for r in event["Records"]:
        msg = json.loads(r["Sns"]["Message"])
        for s3r in msg.get("Records", []):
            key = urllib.parse.unquote_plus(s3r["s3"]["object"]["key"])
            ddb.put_item(TableName="out", Item={"pk": {"S": "sns/" + key}, "event": {"S": json.dumps(r)}})
'''


# From the queues: records each message (raw: S3's message; enveloped: SNS's envelope around it).
FROM_QUEUE = '''import json, os
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    for r in event["Records"]:
        queue = r["eventSourceARN"].rsplit(":", 1)[1]
        ddb.put_item(TableName="out", Item={"pk": {"S": "q/" + queue + "/" + r["messageId"]},
                                            "body": {"S": r["body"]}})
'''


class Pipeline(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.s3, self.sqs, self.sns, self.ev, self.lam, self.ddb = (
            self.srv.client(s) for s in ("s3", "sqs", "sns", "events", "lambda", "dynamodb"))
        self.ddb.create_table(TableName="out", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        self.s3.create_bucket(Bucket="uploads")
        self.topic = self.sns.create_topic(Name="uploaded")["TopicArn"]

    def tearDown(self):
        self.srv.cleanup()

    def function(self, name, source):
        self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Timeout=20, Code={"ZipFile": zip_of({"app.py": source})})

    def queue(self, name):
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        return url, self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def out(self, prefix, count, timeout=60):
        deadline, got = time.time() + timeout, []
        while time.time() < deadline:
            got = [i for i in self.ddb.scan(TableName="out", ConsistentRead=True)["Items"]
                   if i["pk"]["S"].startswith(prefix)]
            if len(got) >= count:
                break
            time.sleep(0.1)
        self.assertEqual(len(got), count)
        return {i["pk"]["S"]: i for i in got}

    def upload(self, keys):
        self.s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
            "TopicConfigurations": [{"Id": "fan-out", "TopicArn": self.topic, "Events": ["s3:ObjectCreated:*"]}],
            "EventBridgeConfiguration": {}})
        for k in keys:
            self.s3.put_object(Bucket="uploads", Key=k, Body=("body of " + k).encode())

    def test_s3_to_topic_to_function_and_bus_to_function(self):
        self.function("from-topic", FROM_TOPIC)
        self.sns.subscribe(TopicArn=self.topic, Protocol="lambda", Endpoint=FN + "from-topic")
        self.function("reader", READER)
        self.ev.put_rule(Name="uploads", EventPattern=json.dumps(
            {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": ["uploads"]}}}))
        self.ev.put_targets(Rule="uploads", Targets=[{"Id": "reader", "Arn": FN + "reader"}])
        keys = ["a.txt", "dir/b c.txt", "z.bin"]
        self.upload(keys)
        via_topic = self.out("sns/", len(keys))
        self.assertEqual(sorted(via_topic), ["sns/" + k for k in keys])
        for item in via_topic.values():
            self.assertEqual(json.loads(item["event"]["S"])["Sns"]["Subject"], "Amazon S3 Notification")
        via_bus = self.out("eb/", len(keys))
        self.assertEqual({k: v["body"]["S"] for k, v in via_bus.items()},
                         {"eb/" + k: "body of " + k for k in keys})
        ev = json.loads(via_bus["eb/a.txt"]["event"]["S"])
        self.assertEqual(ev["detail-type"], "Object Created")
        self.assertEqual(ev["detail"]["reason"], "PutObject")

    def test_s3_to_topic_to_two_queues_to_function(self):
        raw_url, raw = self.queue("raw")
        env_url, env = self.queue("enveloped")
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=raw,
                           Attributes={"RawMessageDelivery": "true"})
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=env)
        self.function("from-queue", FROM_QUEUE)
        for arn in (raw, env):
            self.lam.create_event_source_mapping(FunctionName="from-queue", EventSourceArn=arn, BatchSize=10)
        keys = ["one.csv", "two.csv"]
        self.upload(keys)
        # each queue: the s3:TestEvent message, then one message per upload, all to the function
        got = self.out("q/", 2 * (1 + len(keys)))
        raw_msgs = [json.loads(v["body"]["S"]) for k, v in got.items() if k.startswith("q/raw/")]
        env_msgs = [json.loads(v["body"]["S"]) for k, v in got.items() if k.startswith("q/enveloped/")]
        self.assertEqual([m["Event"] for m in raw_msgs if "Event" in m], ["s3:TestEvent"])
        self.assertEqual(sorted(m["Records"][0]["s3"]["object"]["key"] for m in raw_msgs if "Records" in m), keys)
        for m in env_msgs:
            self.assertEqual(m["Type"], "Notification")
            self.assertEqual(m["TopicArn"], self.topic)
            self.assertEqual(m["Subject"], "Amazon S3 Notification")
            self.assertIn("Signature", m)
        inner = [json.loads(m["Message"]) for m in env_msgs]
        self.assertEqual([m["Event"] for m in inner if "Event" in m], ["s3:TestEvent"])
        self.assertEqual(sorted(m["Records"][0]["s3"]["object"]["key"] for m in inner if "Records" in m), keys)
        # the mappings delete what the function took: both queues empty out
        for url in (raw_url, env_url):
            deadline, left = time.time() + 20, None
            while time.time() < deadline:
                attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                left = (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"])
                if left == ("0", "0"):
                    break
                time.sleep(0.1)
            self.assertEqual(left, ("0", "0"))


if __name__ == "__main__":
    unittest.main()
