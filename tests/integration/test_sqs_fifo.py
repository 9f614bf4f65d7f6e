# SPDX-License-Identifier: Apache-2.0
"""SQS FIFO queues: order per message group under 8 concurrent producers, exactly one in-flight
batch per group, 5-minute deduplication (explicit ids and content-based, scope queue or
message group), FifoThroughputLimit validation, ReceiveRequestAttemptId retries, SequenceNumber,
the refusals (no group, DelaySeconds per message), and dead-letter moves FIFO to FIFO."""
import json
import threading
import time
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server


def code(e):
    return e.exception.response["Error"]["Code"]


class SqsFifoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.c = cls.srv.client("sqs")

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def fifo(self, name, **attrs):
        a = {"FifoQueue": "true"}
        a.update({k: str(v) for k, v in attrs.items()})
        return self.c.create_queue(QueueName=name + ".fifo", Attributes=a)["QueueUrl"]

    def drain(self, u, limit=2000, **kw):
        out = []
        for _ in range(limit):
            r = self.c.receive_message(QueueUrl=u, MaxNumberOfMessages=10, **kw).get("Messages", [])
            if not r:
                break
            out += r
            self.c.delete_message_batch(QueueUrl=u, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(r)])
        return out

    def test_order_per_group_under_8_producers(self):
        u = self.fifo("order")
        per, groups = 40, 4

        def producer(p):
            c = self.srv.client("sqs")
            for i in range(per):
                c.send_message(QueueUrl=u, MessageBody="%d:%d" % (p, i), MessageGroupId="g%d" % (p % groups),
                               MessageDeduplicationId="%d-%d" % (p, i))

        ths = [threading.Thread(target=producer, args=(p,)) for p in range(8)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        got = self.drain(u, MessageSystemAttributeNames=["MessageGroupId", "SequenceNumber"])
        self.assertEqual(len(got), 8 * per)
        last = {}
        seqs = {}
        for m in got:
            p, i = map(int, m["Body"].split(":"))
            g = m["Attributes"]["MessageGroupId"]
            self.assertEqual(g, "g%d" % (p % groups))
            self.assertGreater(i, last.get(p, -1), "producer %d out of order" % p)
            last[p] = i
            sn = int(m["Attributes"]["SequenceNumber"])
            self.assertGreater(sn, seqs.get(g, 0))  # increasing within a group
            seqs[g] = sn

    def test_one_inflight_batch_per_group(self):
        u = self.fifo("inflight", VisibilityTimeout=30)
        for i in range(3):
            self.c.send_message(QueueUrl=u, MessageBody="a%d" % i, MessageGroupId="A", MessageDeduplicationId="a%d" % i)
            self.c.send_message(QueueUrl=u, MessageBody="b%d" % i, MessageGroupId="B", MessageDeduplicationId="b%d" % i)
        first = self.c.receive_message(QueueUrl=u, MaxNumberOfMessages=2)["Messages"]
        self.assertEqual([m["Body"] for m in first], ["a0", "a1"])
        # group A has messages in flight: only B's come
        second = self.c.receive_message(QueueUrl=u, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([m["Body"] for m in second], ["b0", "b1", "b2"])
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=u, MaxNumberOfMessages=10))
        # deleting one of A's two in-flight messages is not enough
        self.c.delete_message(QueueUrl=u, ReceiptHandle=first[0]["ReceiptHandle"])
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=u))
        # making the other visible again: it comes first, in order
        self.c.change_message_visibility(QueueUrl=u, ReceiptHandle=first[1]["ReceiptHandle"], VisibilityTimeout=0)
        again = self.c.receive_message(QueueUrl=u, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"])["Messages"]
        self.assertEqual([m["Body"] for m in again], ["a1", "a2"])
        self.assertEqual(again[0]["Attributes"]["ApproximateReceiveCount"], "2")

    def test_deduplication(self):
        u = self.fifo("dedup")
        a = self.c.send_message(QueueUrl=u, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
        b = self.c.send_message(QueueUrl=u, MessageBody="other", MessageGroupId="g2", MessageDeduplicationId="d1")
        self.assertEqual(a["MessageId"], b["MessageId"])
        self.assertEqual(a["SequenceNumber"], b["SequenceNumber"])
        self.assertEqual(len(self.drain(u)), 1)
        # still deduplicated after the message was deleted (5 minutes)
        c = self.c.send_message(QueueUrl=u, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
        self.assertEqual(c["MessageId"], a["MessageId"])
        self.assertEqual(self.drain(u), [])
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=u, MessageBody="x", MessageGroupId="g")
        self.assertEqual(code(e), "InvalidParameterValue")
        # content-based: the SHA-256 of the body
        cb = self.fifo("dedup-cb", ContentBasedDeduplication="true")
        r1 = self.c.send_message(QueueUrl=cb, MessageBody="same", MessageGroupId="g")
        r2 = self.c.send_message(QueueUrl=cb, MessageBody="same", MessageGroupId="g")
        r3 = self.c.send_message(QueueUrl=cb, MessageBody="diff", MessageGroupId="g")
        self.assertEqual(r1["MessageId"], r2["MessageId"])
        self.assertNotEqual(r1["MessageId"], r3["MessageId"])
        got = self.drain(cb, AttributeNames=["MessageDeduplicationId"])
        self.assertEqual([m["Body"] for m in got], ["same", "diff"])
        self.assertEqual(len(got[0]["Attributes"]["MessageDeduplicationId"]), 64)
        # scope messageGroup: the same id in two groups is two messages
        sg = self.fifo("dedup-group", DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
        x = self.c.send_message(QueueUrl=sg, MessageBody="1", MessageGroupId="g1", MessageDeduplicationId="d")
        y = self.c.send_message(QueueUrl=sg, MessageBody="2", MessageGroupId="g2", MessageDeduplicationId="d")
        z = self.c.send_message(QueueUrl=sg, MessageBody="3", MessageGroupId="g1", MessageDeduplicationId="d")
        self.assertNotEqual(x["MessageId"], y["MessageId"])
        self.assertEqual(x["MessageId"], z["MessageId"])
        # a batch with a duplicate inside it
        r = self.c.send_message_batch(QueueUrl=cb, Entries=[
            {"Id": "1", "MessageBody": "dup", "MessageGroupId": "g"},
            {"Id": "2", "MessageBody": "dup", "MessageGroupId": "g"}])
        self.assertEqual(r["Successful"][0]["MessageId"], r["Successful"][1]["MessageId"])

    def test_throughput_attributes(self):
        with self.assertRaises(ClientError) as e:
            self.fifo("tp-bad", DeduplicationScope="queue", FifoThroughputLimit="perMessageGroupId")
        self.assertEqual(code(e), "InvalidAttributeValue")
        with self.assertRaises(ClientError) as e:
            self.fifo("tp-bad2", DeduplicationScope="everything")
        self.assertEqual(code(e), "InvalidAttributeValue")
        u = self.fifo("tp")
        a = self.c.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"]
        self.assertEqual((a["FifoQueue"], a["DeduplicationScope"], a["FifoThroughputLimit"], a["ContentBasedDeduplication"]),
                         ("true", "queue", "perQueue", "false"))
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=u, Attributes={"FifoQueue": "false"})
        self.assertEqual(code(e), "InvalidAttributeName")
        self.c.set_queue_attributes(QueueUrl=u, Attributes={"DeduplicationScope": "messageGroup",
                                                            "FifoThroughputLimit": "perMessageGroupId"})

    def test_refusals(self):
        u = self.fifo("refuse")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=u, MessageBody="x", MessageDeduplicationId="d")
        self.assertEqual(code(e), "MissingParameter")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=u, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=1)
        self.assertEqual(code(e), "InvalidParameterValue")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=u, MessageBody="x", MessageGroupId="g" * 129, MessageDeduplicationId="d")
        self.assertEqual(code(e), "InvalidParameterValue")
        # the queue's DelaySeconds applies
        d = self.fifo("delayed", DelaySeconds=1)
        self.c.send_message(QueueUrl=d, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d")
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=d))
        self.assertEqual(self.c.receive_message(QueueUrl=d, WaitTimeSeconds=5)["Messages"][0]["Body"], "x")

    def test_receive_attempt_id(self):
        u = self.fifo("attempt", VisibilityTimeout=60)
        for i in range(3):
            self.c.send_message(QueueUrl=u, MessageBody=str(i), MessageGroupId="g", MessageDeduplicationId=str(i))
        r1 = self.c.receive_message(QueueUrl=u, MaxNumberOfMessages=2, ReceiveRequestAttemptId="att-1")["Messages"]
        r2 = self.c.receive_message(QueueUrl=u, MaxNumberOfMessages=2, ReceiveRequestAttemptId="att-1")["Messages"]
        self.assertEqual([(m["MessageId"], m["ReceiptHandle"]) for m in r1],
                         [(m["MessageId"], m["ReceiptHandle"]) for m in r2])
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=u, ReceiveRequestAttemptId="att-2"))
        # once deleted, the retry returns nothing of them
        self.c.delete_message(QueueUrl=u, ReceiptHandle=r1[0]["ReceiptHandle"])
        r3 = self.c.receive_message(QueueUrl=u, MaxNumberOfMessages=2, ReceiveRequestAttemptId="att-1")["Messages"]
        self.assertEqual([m["Body"] for m in r3], ["1"])

    def test_dead_letter_fifo(self):
        dlq = self.fifo("fdead")
        src = self.fifo("fsrc", VisibilityTimeout=0)
        with self.assertRaises(ClientError) as e:
            std = self.c.create_queue(QueueName="std-dlq")["QueueUrl"]
            self.c.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:std-dlq", "maxReceiveCount": 1})})
        self.assertEqual(code(e), "InvalidAttributeValue")
        self.c.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:fdead.fifo", "maxReceiveCount": 1})})
        a = self.c.send_message(QueueUrl=src, MessageBody="p1", MessageGroupId="g", MessageDeduplicationId="1")
        self.c.send_message(QueueUrl=src, MessageBody="p2", MessageGroupId="g", MessageDeduplicationId="2")
        self.assertEqual(self.c.receive_message(QueueUrl=src)["Messages"][0]["Body"], "p1")
        # p1 passed its count: moved; p2 comes
        self.assertEqual(self.c.receive_message(QueueUrl=src)["Messages"][0]["Body"], "p2")
        m = self.c.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"][0]
        self.assertEqual(m["MessageId"], a["MessageId"])
        self.assertEqual(m["Attributes"]["MessageGroupId"], "g")


if __name__ == "__main__":
    unittest.main()
