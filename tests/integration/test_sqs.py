# SPDX-License-Identifier: Apache-2.0
"""SQS over the JSON 1.0 protocol with current boto3 (whose MD5 checks of bodies and attributes
run on every send and receive) and the AWS CLI: queues (create idempotence, names, attributes
and their ranges, list paging, tags, delete and the 60-second rule, purge), messages (send,
batch, attributes, delays, receive selection, visibility, delete with old receipts), long
polling woken by a send from another thread, dead-letter queues, and restart durability."""
import json
import threading
import time
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server



def code(e):
    return e.exception.response["Error"]["Code"]


def msg(e):
    return e.exception.response["Error"]["Message"]


class SqsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.c = cls.srv.client("sqs")

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def q(self, name, **attrs):
        return self.c.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attrs.items()})["QueueUrl"]

    # ---- queues ----

    def test_create_idempotent_and_conflict(self):
        u = self.q("idem", VisibilityTimeout=5)
        self.assertTrue(u.endswith("/000000000000/idem"))
        self.assertIn("127.0.0.1:%d" % self.srv.port, u)
        self.assertEqual(self.q("idem", VisibilityTimeout=5), u)
        self.assertEqual(self.c.create_queue(QueueName="idem")["QueueUrl"], u)
        with self.assertRaises(ClientError) as e:
            self.q("idem", VisibilityTimeout=6)
        self.assertEqual(code(e), "QueueAlreadyExists")
        self.assertEqual(self.c.get_queue_url(QueueName="idem")["QueueUrl"], u)

    def test_names(self):
        for bad in ["", "a" * 81, "has space", "dot.name", "x.fifo"]:
            with self.assertRaises(ClientError) as e:
                self.c.create_queue(QueueName=bad)
            self.assertIn(code(e), ("InvalidParameterValue", "MissingParameter"), bad)
        self.q("a" * 80)
        with self.assertRaises(ClientError) as e:
            self.q("nofifo", FifoQueue="true")
        self.assertEqual(code(e), "InvalidAttributeValue")

    def test_attribute_ranges(self):
        u = self.q("ranges")
        for name, bad, good in [("DelaySeconds", 901, 900), ("MaximumMessageSize", 1023, 1048576),
                                ("MaximumMessageSize", 1048577, 1024),
                                ("MessageRetentionPeriod", 59, 1209600),
                                ("ReceiveMessageWaitTimeSeconds", 21, 20),
                                ("VisibilityTimeout", 43201, 43200),
                                ("KmsDataKeyReusePeriodSeconds", 59, 86400)]:
            with self.assertRaises(ClientError) as e:
                self.c.set_queue_attributes(QueueUrl=u, Attributes={name: str(bad)})
            self.assertEqual(code(e), "InvalidAttributeValue", name)
            self.c.set_queue_attributes(QueueUrl=u, Attributes={name: str(good)})
            if name.startswith("Kms"):  # shown only with a KMS key
                continue
            got = self.c.get_queue_attributes(QueueUrl=u, AttributeNames=[name])["Attributes"]
            self.assertEqual(got, {name: str(good)})
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=u, Attributes={"Nope": "1"})
        self.assertEqual(code(e), "InvalidAttributeName")
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=u, Attributes={"FifoQueue": "true"})
        self.assertEqual(code(e), "InvalidAttributeName")
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=u, Attributes={"ContentBasedDeduplication": "true"})
        self.assertEqual(code(e), "InvalidAttributeName")
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=u, Attributes={"Policy": "{not json"})
        self.assertEqual(code(e), "InvalidAttributeValue")
        pol = json.dumps({"Version": "2012-10-17", "Statement": []})
        self.c.set_queue_attributes(QueueUrl=u, Attributes={"Policy": pol})
        self.assertEqual(self.c.get_queue_attributes(QueueUrl=u, AttributeNames=["Policy"])["Attributes"]["Policy"], pol)
        with self.assertRaises(ClientError) as e:
            self.c.get_queue_attributes(QueueUrl=u, AttributeNames=["Bogus"])
        self.assertEqual(code(e), "InvalidAttributeName")

    def test_get_all_attributes(self):
        u = self.q("allattrs", DelaySeconds=0)
        a = self.c.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"]
        self.assertEqual(a["QueueArn"], "arn:aws:sqs:us-east-1:000000000000:allattrs")
        self.assertEqual(a["MaximumMessageSize"], "1048576")
        self.assertEqual(a["MessageRetentionPeriod"], "345600")
        self.assertEqual(a["VisibilityTimeout"], "30")
        self.assertEqual(a["ApproximateNumberOfMessages"], "0")
        self.assertLessEqual(abs(int(a["CreatedTimestamp"]) - time.time()), 5)
        self.assertNotIn("FifoQueue", a)
        self.assertEqual(self.c.get_queue_attributes(QueueUrl=u).get("Attributes"), None)

    def test_list_paging_and_prefix(self):
        for i in range(5):
            self.q("page-%d" % i)
        r = self.c.list_queues(QueueNamePrefix="page-", MaxResults=2)
        self.assertEqual(len(r["QueueUrls"]), 2)
        seen = list(r["QueueUrls"])
        while "NextToken" in r:
            r = self.c.list_queues(QueueNamePrefix="page-", MaxResults=2, NextToken=r["NextToken"])
            seen += r["QueueUrls"]
        self.assertEqual([u.rsplit("/", 1)[1] for u in seen], ["page-%d" % i for i in range(5)])
        self.assertNotIn("QueueUrls", self.c.list_queues(QueueNamePrefix="zzz-none"))
        with self.assertRaises(ClientError) as e:
            self.c.list_queues(MaxResults=1001)
        self.assertEqual(code(e), "InvalidParameterValue")

    def test_tags(self):
        u = self.c.create_queue(QueueName="tagged", tags={"a": "1"})["QueueUrl"]
        self.assertEqual(self.c.list_queue_tags(QueueUrl=u)["Tags"], {"a": "1"})
        self.c.tag_queue(QueueUrl=u, Tags={"b": "2", "a": "3"})
        self.assertEqual(self.c.list_queue_tags(QueueUrl=u)["Tags"], {"a": "3", "b": "2"})
        self.c.untag_queue(QueueUrl=u, TagKeys=["a"])
        self.assertEqual(self.c.list_queue_tags(QueueUrl=u)["Tags"], {"b": "2"})
        with self.assertRaises(ClientError) as e:
            self.c.tag_queue(QueueUrl=u, Tags={"k%d" % i: "v" for i in range(50)})
        self.assertEqual(code(e), "InvalidParameterValue")

    def test_delete_and_recreate(self):
        u = self.q("gone")
        self.c.send_message(QueueUrl=u, MessageBody="x")
        self.c.delete_queue(QueueUrl=u)
        with self.assertRaises(ClientError) as e:
            self.c.get_queue_url(QueueName="gone")
        self.assertEqual(code(e), "AWS.SimpleQueueService.NonExistentQueue")
        self.assertEqual(e.exception.response["Error"]["QueryErrorCode"], "QueueDoesNotExist")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=u, MessageBody="x")
        self.assertEqual(code(e), "AWS.SimpleQueueService.NonExistentQueue")
        with self.assertRaises(ClientError) as e:
            self.c.create_queue(QueueName="gone")
        self.assertEqual(code(e), "AWS.SimpleQueueService.QueueDeletedRecently")

    def test_purge(self):
        u = self.q("purged")
        self.c.send_message_batch(QueueUrl=u, Entries=[{"Id": str(i), "MessageBody": "m"} for i in range(5)])
        self.c.purge_queue(QueueUrl=u)
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=u))
        with self.assertRaises(ClientError) as e:
            self.c.purge_queue(QueueUrl=u)
        self.assertEqual(code(e), "AWS.SimpleQueueService.PurgeQueueInProgress")

    def test_permissions(self):
        u = self.q("perm")
        self.c.add_permission(QueueUrl=u, Label="L1", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
        pol = json.loads(self.c.get_queue_attributes(QueueUrl=u, AttributeNames=["Policy"])["Attributes"]["Policy"])
        self.assertEqual(pol["Statement"][0]["Sid"], "L1")
        self.assertEqual(pol["Statement"][0]["Action"], ["SQS:SendMessage"])
        with self.assertRaises(ClientError) as e:
            self.c.add_permission(QueueUrl=u, Label="L1", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
        self.assertEqual(code(e), "InvalidParameterValue")
        self.c.remove_permission(QueueUrl=u, Label="L1")
        pol = json.loads(self.c.get_queue_attributes(QueueUrl=u, AttributeNames=["Policy"])["Attributes"]["Policy"])
        self.assertEqual(pol["Statement"], [])

    # ---- messages ----

    def test_send_receive_attributes(self):
        u = self.q("attrs")
        attrs = {"s": {"DataType": "String", "StringValue": "héllo"},
                 "n": {"DataType": "Number", "StringValue": "-1.5e3"},
                 "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
                 "c": {"DataType": "String.custom", "StringValue": "x"},
                 "pre.one": {"DataType": "String", "StringValue": "1"}}
        r = self.c.send_message(QueueUrl=u, MessageBody="body ✓", MessageAttributes=attrs,
                                MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}})
        self.assertIn("MD5OfMessageAttributes", r)
        self.assertIn("MD5OfMessageSystemAttributes", r)
        m = self.c.receive_message(QueueUrl=u, MessageAttributeNames=["s", "pre.*"],
                                   MessageSystemAttributeNames=["SentTimestamp", "AWSTraceHeader"])["Messages"][0]
        self.assertEqual(m["MessageId"], r["MessageId"])
        self.assertEqual(m["Body"], "body ✓")
        self.assertEqual(set(m["MessageAttributes"]), {"s", "pre.one"})
        self.assertEqual(set(m["Attributes"]), {"SentTimestamp", "AWSTraceHeader"})
        self.c.change_message_visibility(QueueUrl=u, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
        m = self.c.receive_message(QueueUrl=u, MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"][0]
        self.assertEqual(m["MessageAttributes"]["b"]["BinaryValue"], b"\x00\xff")
        self.assertEqual(m["Attributes"]["ApproximateReceiveCount"], "2")
        self.assertEqual(m["Attributes"]["SenderId"], "000000000000")

    def test_send_validation(self):
        u = self.q("valid", MaximumMessageSize=1024)
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=u, MessageBody="x" * 1025)
        self.assertEqual(code(e), "InvalidParameterValue")
        self.assertIn("shorter than 1024 bytes", msg(e))
        # attributes count toward the size
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=u, MessageBody="x" * 1000,
                                MessageAttributes={"a": {"DataType": "String", "StringValue": "y" * 30}})
        self.assertEqual(code(e), "InvalidParameterValue")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=u, MessageBody="bad \x01 char")
        self.assertEqual(code(e), "InvalidMessageContents")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=u, MessageBody="x", DelaySeconds=901)
        self.assertEqual(code(e), "InvalidParameterValue")
        for name, dt, val in [("AWS.x", "String", "v"), ("a..b", "String", "v"), ("n", "Number", "abc"),
                              ("t", "Strange", "v"), ("e", "String", "")]:
            with self.assertRaises(ClientError) as e:
                self.c.send_message(QueueUrl=u, MessageBody="x",
                                    MessageAttributes={name: {"DataType": dt, "StringValue": val}})
            self.assertEqual(code(e), "InvalidParameterValue", name)
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=u, MessageBody="x", MessageAttributes={
                "a%d" % i: {"DataType": "String", "StringValue": "v"} for i in range(11)})
        self.assertEqual(code(e), "InvalidParameterValue")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=u, MessageBody="x", MessageDeduplicationId="d")
        self.assertEqual(code(e), "InvalidParameterValue")

    def test_batch(self):
        u = self.q("batch")
        r = self.c.send_message_batch(QueueUrl=u, Entries=[
            {"Id": "a", "MessageBody": "one"},
            {"Id": "b", "MessageBody": "two", "DelaySeconds": 0},
            {"Id": "c", "MessageBody": "bad \x02"}])
        self.assertEqual(sorted(x["Id"] for x in r["Successful"]), ["a", "b"])
        self.assertEqual(r["Failed"][0]["Id"], "c")
        self.assertEqual(r["Failed"][0]["Code"], "InvalidMessageContents")
        self.assertTrue(r["Failed"][0]["SenderFault"])
        for entries, want in [([], "AWS.SimpleQueueService.EmptyBatchRequest"),
                              ([{"Id": str(i), "MessageBody": "x"} for i in range(11)],
                               "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
                              ([{"Id": "x", "MessageBody": "1"}, {"Id": "x", "MessageBody": "2"}],
                               "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
                              ([{"Id": "bad id!", "MessageBody": "1"}],
                               "AWS.SimpleQueueService.InvalidBatchEntryId")]:
            with self.assertRaises(ClientError) as e:
                self.c.send_message_batch(QueueUrl=u, Entries=entries)
            self.assertEqual(code(e), want)
        with self.assertRaises(ClientError) as e:
            self.c.send_message_batch(QueueUrl=u, Entries=[{"Id": str(i), "MessageBody": "x" * 200000} for i in range(6)])
        self.assertEqual(code(e), "AWS.SimpleQueueService.BatchRequestTooLong")
        got = self.c.receive_message(QueueUrl=u, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(sorted(m["Body"] for m in got), ["one", "two"])
        d = self.c.delete_message_batch(QueueUrl=u, Entries=[
            {"Id": "x%d" % i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)] +
            [{"Id": "bad", "ReceiptHandle": "garbage"}])
        self.assertEqual(len(d["Successful"]), 2)
        self.assertEqual(d["Failed"][0]["Code"], "ReceiptHandleIsInvalid")
        self.assertEqual(self.c.get_queue_attributes(QueueUrl=u, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])["Attributes"]["ApproximateNumberOfMessagesNotVisible"], "0")

    def test_receive_validation(self):
        u = self.q("recvval")
        for kw in [{"MaxNumberOfMessages": 11}, {"MaxNumberOfMessages": 0}, {"VisibilityTimeout": 43201},
                   {"WaitTimeSeconds": 21}]:
            with self.assertRaises(ClientError) as e:
                self.c.receive_message(QueueUrl=u, **kw)
            self.assertEqual(code(e), "InvalidParameterValue", kw)

    def test_visibility_and_counters(self):
        u = self.q("vis", VisibilityTimeout=1)
        self.c.send_message(QueueUrl=u, MessageBody="a")
        self.c.send_message(QueueUrl=u, MessageBody="delayed", DelaySeconds=30)
        a = self.c.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"]
        self.assertEqual((a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesDelayed"]), ("1", "1"))
        m = self.c.receive_message(QueueUrl=u)["Messages"][0]
        a = self.c.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"]
        self.assertEqual((a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"]), ("0", "1"))
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=u))
        # visible again after the queue's 1 s timeout, with a new receipt
        m2 = self.c.receive_message(QueueUrl=u, WaitTimeSeconds=5)["Messages"][0]
        self.assertEqual(m2["MessageId"], m["MessageId"])
        self.assertNotEqual(m2["ReceiptHandle"], m["ReceiptHandle"])
        # the old receipt: no visibility change; deleting with it leaves the message
        with self.assertRaises(ClientError) as e:
            self.c.change_message_visibility(QueueUrl=u, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=10)
        self.assertEqual(code(e), "AWS.SimpleQueueService.MessageNotInflight")
        self.c.change_message_visibility(QueueUrl=u, ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=60)
        self.c.delete_message(QueueUrl=u, ReceiptHandle=m["ReceiptHandle"])
        self.assertEqual(self.c.get_queue_attributes(QueueUrl=u, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])["Attributes"]["ApproximateNumberOfMessagesNotVisible"], "1")
        with self.assertRaises(ClientError) as e:
            self.c.change_message_visibility(QueueUrl=u, ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=43200)
        self.assertEqual(code(e), "InvalidParameterValue")
        self.c.delete_message(QueueUrl=u, ReceiptHandle=m2["ReceiptHandle"])
        self.c.delete_message(QueueUrl=u, ReceiptHandle=m2["ReceiptHandle"])  # again: accepted
        with self.assertRaises(ClientError) as e:
            self.c.change_message_visibility(QueueUrl=u, ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=1)
        self.assertEqual(code(e), "AWS.SimpleQueueService.MessageNotInflight")
        with self.assertRaises(ClientError) as e:
            self.c.delete_message(QueueUrl=u, ReceiptHandle="not-a-receipt")
        self.assertEqual(code(e), "ReceiptHandleIsInvalid")
        other = self.q("vis-other")
        with self.assertRaises(ClientError) as e:
            self.c.delete_message(QueueUrl=other, ReceiptHandle=m2["ReceiptHandle"])
        self.assertEqual(code(e), "ReceiptHandleIsInvalid")

    def test_long_poll_woken_by_send(self):
        u = self.q("longpoll")
        c2 = self.srv.client("sqs")
        sent = {}

        def later():
            time.sleep(0.3)
            sent["t"] = time.monotonic()
            c2.send_message(QueueUrl=u, MessageBody="wake")

        th = threading.Thread(target=later)
        t0 = time.monotonic()
        th.start()
        r = self.c.receive_message(QueueUrl=u, WaitTimeSeconds=20)
        done = time.monotonic()
        th.join()
        self.assertEqual(r["Messages"][0]["Body"], "wake")
        self.assertLess(done - sent["t"], 1.0)
        self.assertLess(done - t0, 5)
        # the wait ends empty at its time
        t0 = time.monotonic()
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=u, WaitTimeSeconds=1))
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        # the queue's ReceiveMessageWaitTimeSeconds applies; a delay's end answers too
        u2 = self.q("longpoll-q", ReceiveMessageWaitTimeSeconds=5)
        self.c.send_message(QueueUrl=u2, MessageBody="later", DelaySeconds=1)
        t0 = time.monotonic()
        r = self.c.receive_message(QueueUrl=u2)
        self.assertEqual(r["Messages"][0]["Body"], "later")
        self.assertLess(time.monotonic() - t0, 3)

    def test_long_poll_client_gone_loses_nothing(self):
        import boto3
        from botocore.config import Config
        u = self.q("lp-gone")
        short = self.srv.client("sqs", read_timeout=1)
        with self.assertRaises(Exception):
            short.receive_message(QueueUrl=u, WaitTimeSeconds=3)
        self.c.send_message(QueueUrl=u, MessageBody="kept")
        time.sleep(0.05)
        r = self.c.receive_message(QueueUrl=u, WaitTimeSeconds=5)
        self.assertEqual(r["Messages"][0]["Body"], "kept")

    def test_dead_letter(self):
        dlq = self.q("dlq")
        dlq_arn = self.c.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        src = self.q("src", VisibilityTimeout=0)
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn + "-missing", "maxReceiveCount": 2})})
        self.assertEqual(code(e), "InvalidAttributeValue")
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 0})})
        self.assertEqual(code(e), "InvalidAttributeValue")
        fifo_dlq = self.c.create_queue(QueueName="fdlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:fdlq.fifo", "maxReceiveCount": 2})})
        self.assertEqual(code(e), "InvalidAttributeValue")
        self.c.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})
        rp = json.loads(self.c.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])
        self.assertEqual(rp, {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
        self.assertEqual(self.c.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"], [src])
        sent = self.c.send_message(QueueUrl=src, MessageBody="poison",
                                   MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
        for _ in range(2):
            self.assertEqual(self.c.receive_message(QueueUrl=src)["Messages"][0]["Body"], "poison")
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=src))  # moved on this receive
        m = self.c.receive_message(QueueUrl=dlq, AttributeNames=["All"], MessageAttributeNames=["All"])["Messages"][0]
        self.assertEqual(m["MessageId"], sent["MessageId"])
        self.assertEqual(m["MessageAttributes"]["k"]["StringValue"], "v")
        self.assertEqual(m["Attributes"]["DeadLetterQueueSourceArn"], "arn:aws:sqs:us-east-1:000000000000:src")
        # RedriveAllowPolicy
        self.c.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})
        other = self.q("src2")
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=other, Attributes={"RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})
        self.assertEqual(code(e), "InvalidAttributeValue")
        for bad in [{"redrivePermission": "byQueue"}, {"redrivePermission": "maybe"},
                    {"redrivePermission": "byQueue", "sourceQueueArns": ["a"] * 11},
                    {"redrivePermission": "allowAll", "sourceQueueArns": ["a"]}]:
            with self.assertRaises(ClientError) as e:
                self.c.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps(bad)})
            self.assertEqual(code(e), "InvalidAttributeValue", bad)
        self.c.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps(
            {"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:us-east-1:000000000000:src2"]})})
        self.c.set_queue_attributes(QueueUrl=other, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})

    def test_message_move_task(self):
        dlq = self.q("mv-dlq")
        dlq_arn = "arn:aws:sqs:us-east-1:000000000000:mv-dlq"
        src = self.q("mv-src", VisibilityTimeout=0)
        self.c.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})
        for i in range(5):
            self.c.send_message(QueueUrl=src, MessageBody="m%d" % i)
        # each received once, then moved to the DLQ at the next receive
        for _ in range(20):
            if not self.c.receive_message(QueueUrl=src, MaxNumberOfMessages=10).get("Messages"):
                break
        self.assertEqual(self.c.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"], "5")
        with self.assertRaises(ClientError) as e:
            self.c.start_message_move_task(SourceArn="arn:aws:sqs:us-east-1:000000000000:mv-src")
        self.assertEqual(code(e), "InvalidParameterValue")  # not a dead-letter queue
        with self.assertRaises(ClientError) as e:
            self.c.start_message_move_task(SourceArn=dlq_arn + "-nope")
        self.assertEqual(code(e), "ResourceNotFoundException")
        h = self.c.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=100)["TaskHandle"]
        deadline = time.time() + 20
        while time.time() < deadline:
            t = self.c.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
            if t["Status"] != "RUNNING":
                break
            time.sleep(0.1)
        self.assertEqual(t["Status"], "COMPLETED")
        self.assertEqual((t["ApproximateNumberOfMessagesMoved"], t["ApproximateNumberOfMessagesToMove"]), (5, 5))
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=dlq))
        back = self.c.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=60)["Messages"]
        self.assertEqual(sorted(m["Body"] for m in back), ["m%d" % i for i in range(5)])
        with self.assertRaises(ClientError) as e:
            self.c.cancel_message_move_task(TaskHandle=h)  # no longer running
        self.assertEqual(code(e), "AWS.SimpleQueueService.UnsupportedOperation")
        # to an explicit destination, cancelled while it runs slowly
        for m in back:
            self.c.change_message_visibility(QueueUrl=src, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
        for _ in range(20):
            if not self.c.receive_message(QueueUrl=src, MaxNumberOfMessages=10).get("Messages"):
                break
        dest = self.q("mv-dest")
        h = self.c.start_message_move_task(SourceArn=dlq_arn, DestinationArn="arn:aws:sqs:us-east-1:000000000000:mv-dest",
                                           MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
        with self.assertRaises(ClientError) as e:
            self.c.start_message_move_task(SourceArn=dlq_arn)
        self.assertEqual(code(e), "AWS.SimpleQueueService.UnsupportedOperation")
        moved = self.c.cancel_message_move_task(TaskHandle=h)["ApproximateNumberOfMessagesMoved"]
        self.assertLess(moved, 5)
        t = self.c.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
        self.assertEqual([x["Status"] for x in t], ["CANCELLED", "COMPLETED"])

    def test_unknown_queue_and_action(self):
        with self.assertRaises(ClientError) as e:
            self.c.receive_message(QueueUrl="http://127.0.0.1/000000000000/none")
        self.assertEqual(code(e), "AWS.SimpleQueueService.NonExistentQueue")

    def aws(self, *args):
        p = self.srv.aws(*args, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout) if p.stdout.strip() else None

    def test_awscli(self):
        url = self.aws("sqs", "create-queue", "--queue-name", "cli-q")["QueueUrl"]
        self.aws("sqs", "send-message", "--queue-url", url, "--message-body", "from cli",
                 "--message-attributes", '{"k":{"DataType":"String","StringValue":"v"}}')
        got = self.aws("sqs", "receive-message", "--queue-url", url, "--message-attribute-names", "All")
        self.assertEqual(got["Messages"][0]["Body"], "from cli")
        self.assertEqual(got["Messages"][0]["MessageAttributes"]["k"]["StringValue"], "v")
        self.aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", got["Messages"][0]["ReceiptHandle"])
        self.assertEqual(self.aws("sqs", "list-queues", "--queue-name-prefix", "cli-")["QueueUrls"], [url])
        attrs = self.aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
        self.assertEqual(attrs["Attributes"]["ApproximateNumberOfMessages"], "0")


class SqsStopTest(unittest.TestCase):
    def test_stop_answers_held_receives(self):
        srv = Server().start()
        try:
            c = srv.client("sqs")
            u = c.create_queue(QueueName="stopping")["QueueUrl"]
            out = {}

            def rcv():
                try:
                    out["r"] = c.receive_message(QueueUrl=u, WaitTimeSeconds=20)
                except Exception as e:  # the connection may close as the server goes
                    out["e"] = e
                out["t"] = time.monotonic()

            th = threading.Thread(target=rcv)
            th.start()
            time.sleep(0.3)
            t0 = time.monotonic()
            rc = srv.stop()
            th.join(timeout=20)
            self.assertEqual(rc, 0, srv.read_log())
            self.assertLess(time.monotonic() - t0, 5)  # not the 20 s wait, nor the 10 s shutdown bound
            self.assertIn("t", out)
            if "r" in out:
                self.assertNotIn("Messages", out["r"])
        finally:
            srv.stop()
            srv.cleanup()


class SqsRestartTest(unittest.TestCase):
    def test_fsync_always(self):
        srv = Server("--fsync", "always").start()
        try:
            c = srv.client("sqs")
            u = c.create_queue(QueueName="synced")["QueueUrl"]
            for i in range(20):
                c.send_message(QueueUrl=u, MessageBody="s%d" % i)
            m = c.receive_message(QueueUrl=u, VisibilityTimeout=600)["Messages"][0]
            c.delete_message(QueueUrl=u, ReceiptHandle=m["ReceiptHandle"])
            srv.kill9()
            srv.start()
            c = srv.client("sqs")
            a = c.get_queue_attributes(QueueUrl=u, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
            self.assertEqual(a["ApproximateNumberOfMessages"], "19")
        finally:
            srv.stop()
            srv.cleanup()

    def test_messages_survive_restart(self):
        srv = Server().start()
        try:
            c = srv.client("sqs")
            u = c.create_queue(QueueName="durable", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
            f = c.create_queue(QueueName="durable.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
            c.tag_queue(QueueUrl=u, Tags={"t": "1"})
            for i in range(5):
                c.send_message(QueueUrl=u, MessageBody="m%d" % i)
            c.send_message(QueueUrl=f, MessageBody="f1", MessageGroupId="g")
            got = c.receive_message(QueueUrl=u, MaxNumberOfMessages=2)["Messages"]
            c.delete_message(QueueUrl=u, ReceiptHandle=got[0]["ReceiptHandle"])
            srv.kill9()
            srv.start()
            c = srv.client("sqs")
            a = c.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"]
            self.assertEqual(a["VisibilityTimeout"], "600")
            self.assertEqual((a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"]), ("3", "1"))
            self.assertEqual(c.list_queue_tags(QueueUrl=u)["Tags"], {"t": "1"})
            # a receipt from before the restart still names its message
            c.delete_message(QueueUrl=u, ReceiptHandle=got[1]["ReceiptHandle"])
            self.assertEqual(c.get_queue_attributes(QueueUrl=u, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])["Attributes"]["ApproximateNumberOfMessagesNotVisible"], "0")
            bodies = sorted(m["Body"] for m in c.receive_message(QueueUrl=u, MaxNumberOfMessages=10)["Messages"])
            self.assertEqual(len(bodies), 3)
            self.assertNotIn(got[0]["Body"], bodies)
            self.assertNotIn(got[1]["Body"], bodies)
            # deduplication survives: the same content is not delivered twice
            c.send_message(QueueUrl=f, MessageBody="f1", MessageGroupId="g")
            ms = c.receive_message(QueueUrl=f, MaxNumberOfMessages=10)["Messages"]
            self.assertEqual([m["Body"] for m in ms], ["f1"])
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
