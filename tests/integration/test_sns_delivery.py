# SPDX-License-Identifier: Apache-2.0
"""SNS deliveries: a Lambda subscription receives SNS's event shape, signed with the key whose
certificate SigningCertUrl serves; filter policies over message attributes and over the body;
a failing function is retried until it succeeds; deliveries committed before kill -9 arrive
after the restart; HTTP endpoints (the confirmation handshake, signed notifications, SNS's retry
policy and its DeliveryPolicy override, raw delivery); SQS subscriptions (the envelope, raw delivery, FIFO to FIFO in order, the
dead-letter queue of a subscription whose queue is gone)."""
import base64
import http.server
import json
import threading
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


def assert_other_topic_prompt(tc, queue):
    """For test case tc (its srv and sns): a message published to another topic, with an SQS
    subscription (to a new queue of that name), is in the queue within 3 seconds: a busy topic's
    backlog does not hold it up."""
    sqs = tc.srv.client("sqs")
    qurl = sqs.create_queue(QueueName=queue)["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    other = tc.sns.create_topic(Name="other")["TopicArn"]
    tc.sns.subscribe(TopicArn=other, Protocol="sqs", Endpoint=qarn)
    t0 = time.time()
    tc.sns.publish(TopicArn=other, Message="to the queue")
    got = None
    while time.time() - t0 < 10 and not got:
        got = sqs.receive_message(QueueUrl=qurl, WaitTimeSeconds=1).get("Messages")
    tc.assertTrue(got)
    tc.assertLess(time.time() - t0, 3)


class Delivery(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
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

    def test_signature_version_is_the_publish_time_one(self):
        # a message waits (the function is throttled) while its topic's SignatureVersion
        # changes: it is still signed as its topic said when it was published
        self.table("signed")
        self.function("held", OUT="signed")
        self.lam.put_function_concurrency(FunctionName="held", ReservedConcurrentExecutions=0)
        topic = self.sns.create_topic(Name="versions")["TopicArn"]
        self.subscribe(topic, "held")
        r1 = self.sns.publish(TopicArn=topic, Message="before")
        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
        r2 = self.sns.publish(TopicArn=topic, Message="after")
        self.lam.delete_function_concurrency(FunctionName="held")
        got = self.records("signed", 2)
        self.assertEqual(got[r1["MessageId"]]["Sns"]["SignatureVersion"], "1")
        self.assertEqual(got[r2["MessageId"]]["Sns"]["SignatureVersion"], "2")
        for rec in got.values():
            self.verify(rec["Sns"])

    def test_survives_kill9(self):
        self.table("kept")
        self.function("late", OUT="kept")
        # a reserved concurrency of 0 throttles the function: the deliveries wait, committed
        self.lam.put_function_concurrency(FunctionName="late", ReservedConcurrentExecutions=0)
        topic = self.sns.create_topic(Name="durable")["TopicArn"]
        self.subscribe(topic, "late")
        ids = {self.sns.publish(TopicArn=topic, Message="m%d" % i)["MessageId"] for i in range(5)}
        self.srv.kill9()
        self.srv.start()
        self.sns, self.lam, self.ddb = (self.srv.client(s) for s in ("sns", "lambda", "dynamodb"))
        self.lam.delete_function_concurrency(FunctionName="late")
        self.sns.publish(TopicArn=topic, Message="wake")  # a commit wakes the job at once
        got = self.records("kept", 6)
        self.assertTrue(ids <= set(got))

    def test_busy_function_delays_only_itself(self):
        # more records for a slow function than its subscription's flights (32): the rest are
        # put off, a queue subscription of another topic is served at once, and every record
        # reaches the function in the end
        self.table("slow")
        self.lam.create_function(FunctionName="slow", Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Timeout=20,
                                 Environment={"Variables": {"OUT": "slow"}},
                                 Code={"ZipFile": zip_of({"app.py": "import time\n" + RECORDER.replace(
                                     "    for r in", "    time.sleep(1)\n    for r in")})})
        topic = self.sns.create_topic(Name="busy")["TopicArn"]
        self.subscribe(topic, "slow")
        for i in range(0, 80, 10):
            self.sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
                {"Id": "m%d" % j, "Message": "x"} for j in range(10)])
        assert_other_topic_prompt(self, "quick")
        self.assertEqual(len(self.records("slow", 80, timeout=180)), 80)

    def test_missing_function_is_dropped(self):
        """A client-side error (the function does not exist) is not retried, as SNS does."""
        self.table("after")
        topic = self.sns.create_topic(Name="gone")["TopicArn"]
        self.subscribe(topic, "nobody")
        self.sns.publish(TopicArn=topic, Message="lost")
        self.function("nobody", OUT="after")
        mid = self.sns.publish(TopicArn=topic, Message="kept")["MessageId"]
        self.assertEqual(set(self.records("after", 1)), {mid})


class ToQueues(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.sns, self.sqs = self.srv.client("sns"), self.srv.client("sqs")

    def tearDown(self):
        self.srv.cleanup()

    def queue(self, name, **attrs):
        url = self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def receive(self, url, count, timeout=20):
        got, deadline = [], time.time() + timeout
        while len(got) < count and time.time() < deadline:
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         MessageAttributeNames=["All"])
            for m in r.get("Messages", []):
                got.append(m)
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        self.assertEqual(len(got), count, got)
        return got

    def test_envelope_and_raw(self):
        env_url, env_arn = self.queue("env")
        raw_url, raw_arn = self.queue("raw")
        topic = self.sns.create_topic(Name="fan")["TopicArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=env_arn)
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn,
                           Attributes={"RawMessageDelivery": "true"})
        mid = self.sns.publish(TopicArn=topic, Message="payload", Subject="subj", MessageAttributes={
            "k": {"DataType": "String", "StringValue": "v"},
            "n": {"DataType": "Number", "StringValue": "7"}})["MessageId"]
        env = json.loads(self.receive(env_url, 1)[0]["Body"])
        self.assertEqual((env["Type"], env["MessageId"], env["TopicArn"], env["Subject"], env["Message"]),
                         ("Notification", mid, topic, "subj", "payload"))
        self.assertEqual(env["MessageAttributes"], {"k": {"Type": "String", "Value": "v"},
                                                    "n": {"Type": "Number", "Value": "7"}})
        for k in ("Timestamp", "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL"):
            self.assertIn(k, env)
        Delivery.verify(self, env | {"SigningCertUrl": env["SigningCertURL"]})
        raw = self.receive(raw_url, 1)[0]
        self.assertEqual(raw["Body"], "payload")
        self.assertEqual(raw["MessageAttributes"]["k"], {"DataType": "String", "StringValue": "v"})
        self.assertEqual(raw["MessageAttributes"]["n"], {"DataType": "Number", "StringValue": "7"})

    def test_number_forms_in_filter_policies(self):
        # every Number form SNS takes ("+5", "007", "5.", ".5", "1e3" ...) reaches a policy on
        # another attribute, and a numeric policy compares it as the number it is
        color_url, color_arn = self.queue("color")
        num_url, num_arn = self.queue("num")
        topic = self.sns.create_topic(Name="numbers")["TopicArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=color_arn, Attributes={
            "RawMessageDelivery": "true", "FilterPolicy": json.dumps({"color": ["red"]})})
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=num_arn, Attributes={
            "RawMessageDelivery": "true",
            "FilterPolicy": json.dumps({"n": [{"numeric": ["=", 5]}, {"numeric": ["=", 1000]}]})})
        forms = ["5", "+5", "007", "005", "5.", "5.0", ".5", "0.5e1", "1e3", "1E+3", "+1000.000", "-0",
                 "0.", "-.25", "12345678901234567890", "1e-300"]
        for v in forms:
            self.sns.publish(TopicArn=topic, Message="n=" + v, MessageAttributes={
                "color": {"DataType": "String", "StringValue": "red"},
                "n": {"DataType": "Number", "StringValue": v},
                "arr": {"DataType": "String.Array", "StringValue": '["x", 1, 2.50, true, null]'}})
        got = sorted(m["Body"] for m in self.receive(color_url, len(forms)))
        self.assertEqual(got, sorted("n=" + v for v in forms))
        equal = ["5", "+5", "005", "5.", "5.0", "0.5e1", "1e3", "1E+3", "+1000.000"]
        got = sorted(m["Body"] for m in self.receive(num_url, len(equal)))
        self.assertEqual(got, sorted("n=" + v for v in equal))

    def test_every_subscription_is_reached(self):
        # a topic with more subscriptions than one page of them (1000): the publish reaches
        # every one
        topic = self.sns.create_topic(Name="wide")["TopicArn"]
        base = self.queue("q0")[1][:-len("q0")]
        for i in range(2400):
            self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=base + "missing-%d" % i)
        urls = []
        for i in range(8):
            url, arn = self.queue("real%d" % i)
            self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                               Attributes={"RawMessageDelivery": "true"})
            urls.append(url)
        self.sns.publish(TopicArn=topic, Message="to all")
        for url in urls:
            self.assertEqual(self.receive(url, 1, timeout=60)[0]["Body"], "to all")

    def test_large_message_to_many_subscriptions(self):
        # 256 KiB to 2000 subscriptions: the message is stored once, not once per delivery
        # (which made a 512 MB write batch)
        topic = self.sns.create_topic(Name="big")["TopicArn"]
        base = self.queue("q0")[1][:-len("q0")]
        for i in range(1999):
            self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=base + "missing-%d" % i)
        url, arn = self.queue("real")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                           Attributes={"RawMessageDelivery": "true"})

        def peak_mb():
            with open("/proc/%d/status" % self.srv.proc.pid) as f:
                return [int(l.split()[1]) for l in f if l.startswith("VmHWM:")][0] / 1024

        before = peak_mb()
        body = "x" * (256 * 1024 - 10)
        self.sns.publish(TopicArn=topic, Message=body)
        self.assertEqual(self.receive(url, 1, timeout=60)[0]["Body"], body)
        grew = peak_mb() - before
        self.assertLess(grew, 100, "the peak RSS grew by %d MB" % grew)

    def test_changed_filter_policy_applies_at_once(self):
        # compiled policies are kept by their text: a changed policy is the one applied next
        url, arn = self.queue("changing")
        topic = self.sns.create_topic(Name="changing")["TopicArn"]
        sub = self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True,
                                 Attributes={"RawMessageDelivery": "true",
                                             "FilterPolicy": json.dumps({"color": ["red"]})})["SubscriptionArn"]

        def publish(color):
            self.sns.publish(TopicArn=topic, Message=color, MessageAttributes={
                "color": {"DataType": "String", "StringValue": color}})

        publish("red")
        self.assertEqual(self.receive(url, 1)[0]["Body"], "red")
        self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                             AttributeValue=json.dumps({"color": ["blue"]}))
        publish("red")
        publish("blue")
        self.assertEqual([m["Body"] for m in self.receive(url, 1)], ["blue"])
        r = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
        self.assertEqual(r.get("Messages", []), [])

    def test_fifo_to_fifo_in_order(self):
        url, arn = self.queue("out.fifo", FifoQueue="true")
        topic = self.sns.create_topic(Name="in.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                           Attributes={"RawMessageDelivery": "true"})
        for i in range(20):
            self.sns.publish(TopicArn=topic, Message="m%02d" % i, MessageGroupId="g",
                             MessageDeduplicationId="d%d" % i)
        self.sns.publish(TopicArn=topic, Message="m00", MessageGroupId="g", MessageDeduplicationId="d0")
        got = []
        deadline = time.time() + 20
        while len(got) < 20 and time.time() < deadline:
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         AttributeNames=["All"])
            for m in r.get("Messages", []):
                self.assertEqual(m["Attributes"]["MessageGroupId"], "g")
                got.append(m["Body"])
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        self.assertEqual(got, ["m%02d" % i for i in range(20)])

    def test_dead_letter_queue(self):
        dlq_url, dlq_arn = self.queue("dlq")
        topic = self.sns.create_topic(Name="to-dlq")["TopicArn"]
        missing = dlq_arn[:-len("dlq")] + "never-made"
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=missing,
                           Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
        mid = self.sns.publish(TopicArn=topic, Message="undeliverable")["MessageId"]
        m = self.receive(dlq_url, 1)[0]
        self.assertEqual(json.loads(m["Body"])["MessageId"], mid)
        self.assertEqual(set(m["MessageAttributes"]), {"RequestID", "ErrorCode", "ErrorMessage"})


class Endpoint(http.server.BaseHTTPRequestHandler):
    """Records each POST; answers 500 to the first `fail` notifications."""
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        srv = self.server
        with srv.lock:
            kind = self.headers.get("x-amz-sns-message-type")
            fail = kind == "Notification" and srv.fail > 0
            if fail:
                srv.fail -= 1
            srv.got.append((dict(self.headers), body.decode(), 500 if fail else 200))
            srv.cond.notify_all()
        self.send_response(500 if fail else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class ToHttp(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.sns = self.srv.client("sns")
        self.web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
        self.web.lock = threading.Lock()
        self.web.cond = threading.Condition(self.web.lock)
        self.web.got, self.web.fail = [], 0
        threading.Thread(target=self.web.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/hook" % self.web.server_address[1]

    def tearDown(self):
        self.web.shutdown()
        self.web.server_close()
        self.srv.cleanup()

    def wait_posts(self, count, timeout=30):
        with self.web.cond:
            self.assertTrue(self.web.cond.wait_for(lambda: len(self.web.got) >= count, timeout),
                            self.web.got)
            return list(self.web.got)

    def test_confirm_notify_retry(self):
        topic = self.sns.create_topic(Name="web")["TopicArn"]
        r = self.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=self.url, Attributes={
            "DeliveryPolicy": json.dumps({"healthyRetryPolicy": {
                "minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 3}})})
        self.assertEqual(r["SubscriptionArn"], "pending confirmation")
        headers, body, _ = self.wait_posts(1)[0]
        self.assertEqual(headers["x-amz-sns-message-type"], "SubscriptionConfirmation")
        self.assertEqual(headers["x-amz-sns-topic-arn"], topic)
        conf = json.loads(body)
        self.assertEqual((conf["Type"], conf["TopicArn"]), ("SubscriptionConfirmation", topic))
        # the signature covers SNS's canonical string of a confirmation
        pem = urllib.request.urlopen(conf["SigningCertURL"], timeout=5).read()
        cert = x509.load_pem_x509_certificate(pem)
        canon = "".join("%s\n%s\n" % (k, conf[k]) for k in
                        ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"))
        cert.public_key().verify(base64.b64decode(conf["Signature"]), canon.encode(), padding.PKCS1v15(),
                                 hashes.SHA1())
        # nothing is delivered while pending
        self.sns.publish(TopicArn=topic, Message="too early")
        # the SubscribeURL confirms, without credentials
        answer = urllib.request.urlopen(conf["SubscribeURL"], timeout=5).read().decode()
        self.assertIn("<ConfirmSubscriptionResult><SubscriptionArn>" + topic + ":", answer)
        subs = self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertTrue(subs[0]["SubscriptionArn"].startswith(topic + ":"))
        # a notification failing twice, then taken
        self.web.fail = 2
        mid = self.sns.publish(TopicArn=topic, Message="hello web", Subject="s")["MessageId"]
        posts = self.wait_posts(4)
        time.sleep(0.3)  # and nothing more arrives
        posts = self.web.got[1:]
        self.assertEqual([p[2] for p in posts], [500, 500, 200])
        headers, body, _ = posts[-1]
        self.assertEqual(headers["x-amz-sns-message-type"], "Notification")
        self.assertEqual(headers["x-amz-sns-message-id"], mid)
        self.assertEqual(headers["x-amz-sns-subscription-arn"], subs[0]["SubscriptionArn"])
        note = json.loads(body)
        self.assertEqual((note["Message"], note["Subject"], note["MessageId"]), ("hello web", "s", mid))
        Delivery.verify(self, note | {"SigningCertUrl": note["SigningCertURL"]})

    def test_raw_and_given_up(self):
        topic = self.sns.create_topic(Name="web-raw")["TopicArn"]
        arn = self.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=self.url,
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
        conf = json.loads(self.wait_posts(1)[0][1])
        self.sns.confirm_subscription(TopicArn=topic, Token=conf["Token"])
        self.sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="RawMessageDelivery",
                                             AttributeValue="true")
        self.sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="DeliveryPolicy",
                                             AttributeValue=json.dumps({"healthyRetryPolicy": {
                                                 "minDelayTarget": 0, "maxDelayTarget": 0, "numRetries": 1}}))
        self.web.fail = 5  # more failures than the policy's one retry: given up after two
        self.sns.publish(TopicArn=topic, Message="lost")
        self.wait_posts(3)
        time.sleep(0.5)  # no third attempt
        self.assertEqual([(p[1], p[2]) for p in self.web.got[1:]], [("lost", 500), ("lost", 500)])
        self.web.fail = 0
        self.sns.publish(TopicArn=topic, Message="raw body")
        posts = self.wait_posts(4)
        self.assertEqual((posts[-1][1], posts[-1][2]), ("raw body", 200))
        self.assertEqual(posts[-1][0]["x-amz-sns-rawdelivery"], "true")


class Trickle(unittest.TestCase):
    """An endpoint that answers a notification one byte a second and never ends its status
    line: each attempt ends at SNS's 15 s deadline for the whole exchange, and SIGTERM does not
    wait for it."""

    def serve(self):
        while True:
            try:
                c, _ = self.lsn.accept()
            except OSError:
                return
            threading.Thread(target=self.conn, args=(c,), daemon=True).start()

    def conn(self, c):
        data = b""
        with c:
            try:
                while b"\r\n\r\n" not in data:
                    data += c.recv(65536)
                head, body = data.split(b"\r\n\r\n", 1)
                length = int([l.split(b":")[1] for l in head.split(b"\r\n")
                              if l.lower().startswith(b"content-length:")][0])
                while len(body) < length:
                    body += c.recv(65536)
                with self.cond:
                    self.posts.append((time.time(), body))
                    self.cond.notify_all()
                if b"SubscriptionConfirmation" in head:
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    return
                for ch in b"HTTP/1.1 200 OK":
                    c.sendall(bytes([ch]))
                    time.sleep(1)
                time.sleep(600)
            except OSError:
                pass

    def setUp(self):
        import socket
        self.srv = Server().start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.sns = self.srv.client("sns")
        self.lsn = socket.socket()
        self.lsn.bind(("127.0.0.1", 0))
        self.lsn.listen(16)
        self.posts, self.cond = [], threading.Condition()
        threading.Thread(target=self.serve, daemon=True).start()

    def tearDown(self):
        self.lsn.close()
        self.srv.cleanup()

    def wait_posts(self, count, timeout):
        with self.cond:
            self.assertTrue(self.cond.wait_for(lambda: len(self.posts) >= count, timeout), self.posts)
            return list(self.posts)

    def test_dead_endpoints_delay_only_their_own_subscriptions(self):
        # 300 records for an endpoint that went away and for a function that may not run
        # (reserved concurrency 0) wait for their retries; a message to another topic is
        # delivered at once all the same
        topic = self.sns.create_topic(Name="dead")["TopicArn"]
        url = "http://127.0.0.1:%d/hook" % self.lsn.getsockname()[1]
        self.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url, Attributes={
            "DeliveryPolicy": json.dumps({"healthyRetryPolicy": {
                "minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 50}})})
        conf = json.loads(self.wait_posts(1, 20)[0][1])
        self.sns.confirm_subscription(TopicArn=topic, Token=conf["Token"])
        self.lsn.close()  # connections are refused from here on
        lam = self.srv.client("lambda")
        lam.create_function(FunctionName="never", Runtime="python3.11", Role=ROLE,
                            Handler="app.handler", Code={"ZipFile": zip_of({"app.py": RECORDER})})
        lam.put_function_concurrency(FunctionName="never", ReservedConcurrentExecutions=0)
        self.sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=FN_ARN + "never")
        for i in range(0, 300, 10):
            self.sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
                {"Id": "m%d" % j, "Message": "x"} for j in range(10)])
        time.sleep(1)  # the records have had their first attempts
        assert_other_topic_prompt(self, "fast")

    def test_deadline_covers_the_whole_exchange(self):
        topic = self.sns.create_topic(Name="slow")["TopicArn"]
        url = "http://127.0.0.1:%d/hook" % self.lsn.getsockname()[1]
        self.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url, Attributes={
            "DeliveryPolicy": json.dumps({"healthyRetryPolicy": {
                "minDelayTarget": 0, "maxDelayTarget": 0, "numRetries": 3}})})
        conf = json.loads(self.wait_posts(1, 20)[0][1])
        self.sns.confirm_subscription(TopicArn=topic, Token=conf["Token"])
        self.sns.publish(TopicArn=topic, Message="slowly")
        posts = self.wait_posts(3, 40)
        gap = posts[2][0] - posts[1][0]
        self.assertGreater(gap, 14, posts)
        self.assertLess(gap, 19, posts)
        # the second attempt is trickling: SIGTERM ends it rather than waiting
        t0 = time.time()
        self.assertEqual(self.srv.stop(), 0)
        self.assertLess(time.time() - t0, 8)


if __name__ == "__main__":
    unittest.main()
