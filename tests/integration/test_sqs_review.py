# SPDX-License-Identifier: Apache-2.0
"""SQS after the issue 14 review (findings 2 and 8): sequences are never given out again after a
kill -9 (a receipt from before the restart cannot delete a message sent after it; a FIFO
queue's SequenceNumber keeps increasing, also after a purge), a stale receipt of a message
that is visible again leaves it alone, the batch operations' EmptyBatchRequest messages name
their own entry type, concurrent SetQueueAttributes calls on different attributes all stay,
and receives that move messages to a dead-letter queue being deleted neither crash nor leave
records behind that come back."""
import threading
import time
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server


def code(e):
    return e.exception.response["Error"]["Code"]


class SqsSequenceTest(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()

    def tearDown(self):
        self.srv.stop()
        self.srv.cleanup()

    def test_stale_receipt_after_kill9_deletes_nothing(self):
        c = self.srv.client("sqs")
        u = c.create_queue(QueueName="reuse")["QueueUrl"]
        c.send_message(QueueUrl=u, MessageBody="A")
        rh_a = c.receive_message(QueueUrl=u)["Messages"][0]["ReceiptHandle"]
        c.delete_message(QueueUrl=u, ReceiptHandle=rh_a)
        self.srv.kill9()
        self.srv.start()
        c = self.srv.client("sqs")
        c.send_message(QueueUrl=u, MessageBody="B")
        # a retried DeleteMessage with A's receipt: accepted, and B stays
        c.delete_message(QueueUrl=u, ReceiptHandle=rh_a)
        got = c.receive_message(QueueUrl=u, VisibilityTimeout=0)["Messages"]
        self.assertEqual([m["Body"] for m in got], ["B"])
        self.assertNotEqual(got[0]["ReceiptHandle"], rh_a)
        # B received once (generation 1, like A's receipt): A's receipt still names nothing
        c.delete_message(QueueUrl=u, ReceiptHandle=rh_a)
        self.assertEqual([m["Body"] for m in c.receive_message(QueueUrl=u)["Messages"]], ["B"])

    def test_fifo_sequence_numbers_increase_across_restarts(self):
        c = self.srv.client("sqs")
        u = c.create_queue(QueueName="seq.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
        seqs = []
        for round_, restart in enumerate(["kill9", "stop", "purge"]):
            seqs.append(int(c.send_message(QueueUrl=u, MessageBody="m%d" % round_, MessageGroupId="g")["SequenceNumber"]))
            if restart == "purge":
                c.purge_queue(QueueUrl=u)
            else:
                m = c.receive_message(QueueUrl=u)["Messages"][0]
                c.delete_message(QueueUrl=u, ReceiptHandle=m["ReceiptHandle"])
            if restart == "stop":
                self.srv.stop()
            else:
                self.srv.kill9()
            self.srv.start()
            c = self.srv.client("sqs")
        seqs.append(int(c.send_message(QueueUrl=u, MessageBody="last", MessageGroupId="g")["SequenceNumber"]))
        for a, b in zip(seqs, seqs[1:]):
            self.assertGreater(b, a, seqs)

    def test_stale_receipt_of_visible_message_leaves_it(self):
        c = self.srv.client("sqs")
        u = c.create_queue(QueueName="stale")["QueueUrl"]
        c.send_message(QueueUrl=u, MessageBody="x")
        first = c.receive_message(QueueUrl=u)["Messages"][0]["ReceiptHandle"]
        c.change_message_visibility(QueueUrl=u, ReceiptHandle=first, VisibilityTimeout=0)
        second = c.receive_message(QueueUrl=u)["Messages"][0]["ReceiptHandle"]
        c.change_message_visibility(QueueUrl=u, ReceiptHandle=second, VisibilityTimeout=0)
        # visible again; the first receipt is not the latest: accepted, nothing deleted
        c.delete_message(QueueUrl=u, ReceiptHandle=first)
        a = c.get_queue_attributes(QueueUrl=u, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        self.assertEqual(a["ApproximateNumberOfMessages"], "1")
        # the latest one deletes it, also while it is visible again
        c.delete_message(QueueUrl=u, ReceiptHandle=second)
        a = c.get_queue_attributes(QueueUrl=u, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        self.assertEqual(a["ApproximateNumberOfMessages"], "0")


class SqsReviewTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.c = cls.srv.client("sqs")
        cls.raw = cls.srv.client("sqs", parameter_validation=False)

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def test_empty_batch_names_its_entry_type(self):
        u = self.c.create_queue(QueueName="empty-batch")["QueueUrl"]
        for op, kind in [(self.raw.send_message_batch, "SendMessageBatchRequestEntry"),
                         (self.raw.delete_message_batch, "DeleteMessageBatchRequestEntry"),
                         (self.raw.change_message_visibility_batch, "ChangeMessageVisibilityBatchRequestEntry")]:
            with self.assertRaises(ClientError) as e:
                op(QueueUrl=u, Entries=[])
            self.assertEqual(code(e), "AWS.SimpleQueueService.EmptyBatchRequest")
            self.assertEqual(e.exception.response["Error"]["Message"],
                             "There should be at least one %s in the request." % kind)

    def test_concurrent_set_attributes_keep_both(self):
        u = self.c.create_queue(QueueName="set-race")["QueueUrl"]
        # each round, four requests start together, each on its own attribute: all four stay
        names = ["VisibilityTimeout", "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod"]
        base = {"VisibilityTimeout": 100, "DelaySeconds": 100, "MaximumMessageSize": 2000,
                "MessageRetentionPeriod": 3600}
        clients = [self.srv.client("sqs") for _ in names]
        lost = []
        for r in range(40):
            bar = threading.Barrier(len(names))

            def setter(k):
                bar.wait(10)
                clients[k].set_queue_attributes(QueueUrl=u, Attributes={names[k]: str(base[names[k]] + r)})

            ts = [threading.Thread(target=setter, args=(k,)) for k in range(len(names))]
            for t in ts:
                t.start()
            for t in ts:
                t.join(30)
            a = self.c.get_queue_attributes(QueueUrl=u, AttributeNames=names)["Attributes"]
            lost += [(r, n) for n in names if a[n] != str(base[n] + r)]
        self.assertEqual(lost, [])

    def test_dlq_deleted_while_receives_move(self):
        dlq = self.c.create_queue(QueueName="race-dlq")["QueueUrl"]
        arn = self.c.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        src = self.c.create_queue(QueueName="race-src", Attributes={
            "RedrivePolicy": '{"deadLetterTargetArn":"%s","maxReceiveCount":"1"}' % arn})["QueueUrl"]
        self.c.send_message_batch(QueueUrl=src, Entries=[{"Id": str(i), "MessageBody": "m%d" % i} for i in range(10)])
        self.c.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=0)  # count 1
        errs = []

        def receiver():
            c = self.srv.client("sqs")
            try:
                for _ in range(20):
                    c.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=0)
            except ClientError as e:
                errs.append(e)

        ts = [threading.Thread(target=receiver) for _ in range(3)]
        for t in ts:
            t.start()
        self.c.delete_queue(QueueUrl=dlq)
        for t in ts:
            t.join(60)
        self.assertEqual(errs, [])
        # every message is in exactly one place: the source queue or moved before the delete
        a = self.c.get_queue_attributes(QueueUrl=src, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        self.assertLessEqual(int(a["ApproximateNumberOfMessages"]), 10)


class SqsWaitTest(unittest.TestCase):
    """The wait job (finding 7): held receives answered at their deadlines, in any order of
    arrival; the end of a message's visibility wakes a held receive of its queue at once, on
    every waited-on queue; a FIFO delete wakes a receive waiting for the group's next message."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.c = cls.srv.client("sqs")

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def poll(self, u, wait, out, key, **kw):
        c = self.srv.client("sqs", read_timeout=30)
        t0 = time.monotonic()
        r = c.receive_message(QueueUrl=u, WaitTimeSeconds=wait, **kw)
        out[key] = (time.monotonic() - t0, [m["Body"] for m in r.get("Messages", [])])

    def test_deadlines_in_any_order(self):
        u = self.c.create_queue(QueueName="deadlines")["QueueUrl"]
        out = {}
        waits = [3, 1, 2, 1, 3, 2] * 5
        ts = [threading.Thread(target=self.poll, args=(u, w, out, i)) for i, w in enumerate(waits)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        for i, w in enumerate(waits):
            took, bodies = out[i]
            self.assertEqual(bodies, [])
            self.assertGreaterEqual(took, w - 0.05, (i, w, took))
            self.assertLess(took, w + 1.5, (i, w, took))

    def test_visibility_end_wakes_held_receives(self):
        urls = [self.c.create_queue(QueueName="vis-wake-%d" % i)["QueueUrl"] for i in range(8)]
        for u in urls:
            self.c.send_message(QueueUrl=u, MessageBody=u[-1:])
            self.assertEqual(len(self.c.receive_message(QueueUrl=u, VisibilityTimeout=1)["Messages"]), 1)
        out = {}
        ts = [threading.Thread(target=self.poll, args=(u, 10, out, u)) for u in urls]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        for u in urls:
            took, bodies = out[u]
            self.assertEqual(bodies, [u[-1:]])
            self.assertLess(took, 3.0, (u, took))  # at the visibility's end, not the wait's

    def test_fifo_delete_wakes_next_of_group(self):
        u = self.c.create_queue(QueueName="wake.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
        self.c.send_message(QueueUrl=u, MessageBody="one", MessageGroupId="g")
        self.c.send_message(QueueUrl=u, MessageBody="two", MessageGroupId="g")
        rh = self.c.receive_message(QueueUrl=u, VisibilityTimeout=60)["Messages"][0]["ReceiptHandle"]
        out = {}
        t = threading.Thread(target=self.poll, args=(u, 10, out, "p"))
        t.start()
        time.sleep(0.3)  # not synchronisation: the delete also works before the poll is held
        self.c.delete_message(QueueUrl=u, ReceiptHandle=rh)
        t.join(30)
        took, bodies = out["p"]
        self.assertEqual(bodies, ["two"])
        self.assertLess(took, 3.0)


if __name__ == "__main__":
    unittest.main()
