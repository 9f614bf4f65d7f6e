# SPDX-License-Identifier: Apache-2.0
"""SNS deliveries: a Lambda subscription receives SNS's event shape, signed with the key whose
certificate SigningCertUrl serves; filter policies over message attributes and over the body;
a failing function is retried until it succeeds; deliveries committed before kill -9 arrive
after the restart."""
import base64
import json
import time
import unittest
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
FN_ARN = "arn:aws:lambda:us-east-1:000000000000:function:"

# Records each SNS record it is given as an item (pk: the message id); with FAIL_ONCE, the
# first call for a message fails after leaving a marker.
RECORDER = '''import json, os
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    for r in event["Records"]:
        mid = r["Sns"]["MessageId"]
        if os.environ.get("FAIL_ONCE"):
            try:
                ddb.put_item(TableName=os.environ["OUT"], Item={"pk": {"S": "try-" + mid}},
                             ConditionExpression="attribute_not_exists(pk)")
                raise RuntimeError("first attempt fails")
            except ddb.exceptions.ConditionalCheckFailedException:
                pass
        ddb.put_item(TableName=os.environ["OUT"], Item={
            "pk": {"S": mid}, "record": {"S": json.dumps(r)}, "n": {"N": str(len(event["Records"]))}})
'''


class Delivery(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()
        self.sns, self.lam, self.ddb = (self.srv.client(s) for s in ("sns", "lambda", "dynamodb"))

    def tearDown(self):
        self.srv.cleanup()

    def table(self, name):
        self.ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")

    def function(self, name, **env):
        self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Timeout=20, Environment={"Variables": env},
                                 Code={"ZipFile": zip_of({"app.py": RECORDER})})

    def records(self, table, count, timeout=40):
        deadline = time.time() + timeout
        got = []
        while time.time() < deadline:
            got = [i for i in self.ddb.scan(TableName=table)["Items"] if "record" in i]
            if len(got) >= count:
                time.sleep(0.3)  # and nothing more arrives
                got = [i for i in self.ddb.scan(TableName=table)["Items"] if "record" in i]
                self.assertEqual(len(got), count)
                return {i["pk"]["S"]: json.loads(i["record"]["S"]) for i in got}
            time.sleep(0.1)
        self.fail("%s has %d records, wanted %d" % (table, len(got), count))

    def subscribe(self, topic, fn, **attrs):
        return self.sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=FN_ARN + fn,
                                  Attributes=attrs, ReturnSubscriptionArn=True)["SubscriptionArn"]

    def verify(self, sns):
        """Check the notification's signature with the certificate its URL serves."""
        pem = urllib.request.urlopen(sns["SigningCertUrl"], timeout=5).read()
        cert = x509.load_pem_x509_certificate(pem)
        canon = "Message\n%s\nMessageId\n%s\n" % (sns["Message"], sns["MessageId"])
        if sns["Subject"] is not None:
            canon += "Subject\n%s\n" % sns["Subject"]
        canon += "Timestamp\n%s\nTopicArn\n%s\nType\n%s\n" % (sns["Timestamp"], sns["TopicArn"], sns["Type"])
        algo = hashes.SHA256() if sns["SignatureVersion"] == "2" else hashes.SHA1()
        cert.public_key().verify(base64.b64decode(sns["Signature"]), canon.encode(),
                                 padding.PKCS1v15(), algo)

    def test_lambda_event_shape_and_signature(self):
        self.table("seen")
        self.function("rec", OUT="seen")
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        sub = self.subscribe(topic, "rec")
        r1 = self.sns.publish(TopicArn=topic, Message="hello", Subject="greeting", MessageAttributes={
            "color": {"DataType": "String", "StringValue": "red"},
            "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
        r2 = self.sns.publish(TargetArn=topic, Message='{"a": 1}')
        got = self.records("seen", 2)
        rec = got[r1["MessageId"]]
        self.assertEqual(rec["EventSource"], "aws:sns")
        self.assertEqual(rec["EventVersion"], "1.0")
        self.assertEqual(rec["EventSubscriptionArn"], sub)
        s = rec["Sns"]
        self.assertEqual(s["Type"], "Notification")
        self.assertEqual(s["TopicArn"], topic)
        self.assertEqual(s["Subject"], "greeting")
        self.assertEqual(s["Message"], "hello")
        self.assertEqual(s["SignatureVersion"], "1")
        self.assertRegex(s["Timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(s["MessageAttributes"], {"color": {"Type": "String", "Value": "red"},
                                                   "bin": {"Type": "Binary", "Value": "AAE="}})
        self.assertIn("Action=Unsubscribe", s["UnsubscribeUrl"])
        self.verify(s)
        s2 = got[r2["MessageId"]]["Sns"]
        self.assertIsNone(s2["Subject"])
        self.assertEqual(s2["SignatureVersion"], "2")
        self.verify(s2)
        # the UnsubscribeUrl works without credentials
        urllib.request.urlopen(s["UnsubscribeUrl"], timeout=5).read()
        self.assertEqual(self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"], [])

    def test_filter_policies(self):
        self.table("attrs")
        self.table("body")
        self.function("by-attrs", OUT="attrs")
        self.function("by-body", OUT="body")
        topic = self.sns.create_topic(Name="filtered")["TopicArn"]
        self.subscribe(topic, "by-attrs", FilterPolicy=json.dumps(
            {"store": ["eu", "us"], "price": [{"numeric": [">", 100]}], "tags": [{"prefix": "sal"}]}))
        self.subscribe(topic, "by-body", FilterPolicyScope="MessageBody", FilterPolicy=json.dumps(
            {"order": {"kind": ["book"]}}))

        def pub(body, **attrs):
            ma = {}
            for k, (t, v) in attrs.items():
                ma[k] = {"DataType": t, "StringValue": v}
            return self.sns.publish(TopicArn=topic, Message=body, MessageAttributes=ma)["MessageId"]
        yes = pub("x", store=("String", "eu"), price=("Number", "150.5"), tags=("String.Array", '["new","sale"]'))
        pub("x", store=("String", "asia"), price=("Number", "150"), tags=("String.Array", '["sale"]'))
        pub("x", store=("String", "eu"), price=("Number", "50"), tags=("String.Array", '["sale"]'))
        pub("x", store=("String", "eu"), price=("String", "150"), tags=("String.Array", '["sale"]'))
        book = pub(json.dumps({"order": {"kind": "book", "n": 1}}))
        pub(json.dumps({"order": {"kind": "pen"}}))
        pub("not json")
        self.assertEqual(set(self.records("attrs", 1)), {yes})
        self.assertEqual(set(self.records("body", 1)), {book})

    def test_retried_until_it_succeeds(self):
        self.table("flaky")
        self.function("flaky", OUT="flaky", FAIL_ONCE="1")
        topic = self.sns.create_topic(Name="retry")["TopicArn"]
        self.subscribe(topic, "flaky")
        mid = self.sns.publish(TopicArn=topic, Message="m")["MessageId"]
        got = self.records("flaky", 1)
        self.assertEqual(set(got), {mid})

    def test_survives_kill9(self):
        self.table("kept")
        topic = self.sns.create_topic(Name="durable")["TopicArn"]
        # the function does not exist yet: the deliveries wait, committed, for it
        self.subscribe(topic, "late")
        ids = {self.sns.publish(TopicArn=topic, Message="m%d" % i)["MessageId"] for i in range(5)}
        self.srv.kill9()
        self.srv.start()
        self.sns, self.lam, self.ddb = (self.srv.client(s) for s in ("sns", "lambda", "dynamodb"))
        self.function("late", OUT="kept")
        self.sns.publish(TopicArn=topic, Message="wake")  # a commit wakes the job at once
        got = self.records("kept", 6)
        self.assertTrue(ids <= set(got))


if __name__ == "__main__":
    unittest.main()
