# SPDX-License-Identifier: Apache-2.0
"""Lambda event source mappings from SQS queues at work (api/lambda/lambda_esm_sqs.c; the
API's checks are in test_lambda_sqs.py): batches and Lambda's SQS event
field for field; the batching window and BatchSize over 10; filters (a filtered-out message is
deleted); ReportBatchItemFailures; failure, redelivery after the visibility timeout and the
queue's dead-letter queue; FIFO order per group; the MaximumConcurrency bound; kill -9 in the
middle of a batch; disabled and deleted mappings; and the send -> function-start latency."""
import hashlib
import json
import statistics
import time
import unittest

from lambda_sqs_base import LambdaSqsCase


class LambdaSqsDelivery(LambdaSqsCase, unittest.TestCase):
    def since_first_receive(self, call):
        """Seconds from a redelivered message's first receive to the start of the call."""
        r = call[2]["Records"][0]
        return call[0] - int(r["attributes"]["ApproximateFirstReceiveTimestamp"]) / 1000.0

    # ---- delivery ----

    def test_batch_and_event_shape(self):
        url, arn = self.queue("shape", VisibilityTimeout=30)
        sent = self.sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": "m%d" % i,
             "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v%d" % i}}} for i in range(3)])
        ids = sorted(s["MessageId"] for s in sent["Successful"])
        self.mapping(arn)
        calls = self.wait_calls(1)
        self.wait_empty(url)  # deleted after the function succeeded
        recs = [r for _, _, ev in calls for r in ev["Records"]]
        self.assertEqual(sorted(r["messageId"] for r in recs), ids)
        r = recs[0]
        for k in ("messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
                  "eventSource", "eventSourceARN", "awsRegion"):
            self.assertIn(k, r)
        self.assertEqual(r["eventSource"], "aws:sqs")
        self.assertEqual(r["eventSourceARN"], arn)
        self.assertEqual(r["awsRegion"], "us-east-1")
        self.assertEqual(r["md5OfBody"], hashlib.md5(r["body"].encode()).hexdigest())
        for k in ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"):
            self.assertIn(k, r["attributes"])
        self.assertEqual(r["attributes"]["ApproximateReceiveCount"], "1")
        self.assertEqual(r["messageAttributes"]["k"]["dataType"], "String")
        self.assertEqual(r["messageAttributes"]["k"]["stringValue"], "v" + r["body"][1:])
        time.sleep(0.5)
        self.assertEqual(len(self.calls()), 1)  # one batch, delivered once

    def test_batching_window_and_large_batch(self):
        url, arn = self.queue("window", VisibilityTimeout=30)
        self.mapping(arn, BatchSize=50, MaximumBatchingWindowInSeconds=2)
        t_send = time.time()
        for k in range(3):
            self.sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": "w%d" % (10 * k + i)} for i in range(10)])
        calls = self.wait_calls(1)
        self.wait_empty(url)
        time.sleep(0.3)
        calls = self.calls()
        self.assertEqual(len(calls), 1, "the window gathers one batch of 30")
        self.assertEqual(sorted(self.bodies(calls)), sorted("w%d" % i for i in range(30)))
        self.assertGreaterEqual(calls[0][0] - t_send, 1.5, "the batch waited for the window")

    def test_filters_delete_what_they_reject(self):
        url, arn = self.queue("filt", VisibilityTimeout=30)
        self.mapping(arn, FilterCriteria={"Filters": [{"Pattern": '{"body": {"kind": ["a"]}}'},
                                                      {"Pattern": '{"body": [{"prefix": "plain-"}]}'}]})
        for b in ['{"kind": "a", "n": 1}', '{"kind": "b"}', "plain-yes", "other", '{"kind": "a", "n": 2}']:
            self.sqs.send_message(QueueUrl=url, MessageBody=b)
        deadline = time.time() + 30
        while time.time() < deadline and len(self.bodies(self.calls())) < 3:
            time.sleep(0.05)
        self.wait_empty(url)  # the rejected ones are deleted too
        self.assertEqual(sorted(self.bodies(self.calls())),
                         sorted(['{"kind": "a", "n": 1}', '{"kind": "a", "n": 2}', "plain-yes"]))

    def test_report_batch_item_failures(self):
        url, arn = self.queue("partial", VisibilityTimeout=3)
        self.sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "1", "MessageBody": "ok-1"}, {"Id": "2", "MessageBody": "bad-1"}, {"Id": "3", "MessageBody": "ok-2"}])
        self.mapping(arn, FunctionResponseTypes=["ReportBatchItemFailures"])
        calls = self.wait_calls(1)
        self.assertEqual(sorted(self.bodies(calls[:1])), ["bad-1", "ok-1", "ok-2"])
        # the failed item alone comes back after the visibility timeout; the others were deleted
        calls = self.wait_calls(2, timeout=15)
        self.assertEqual(self.bodies(calls[1:2]), ["bad-1"])
        self.assertGreaterEqual(self.since_first_receive(calls[1]), 2.9)
        self.assertEqual(calls[1][2]["Records"][0]["attributes"]["ApproximateReceiveCount"], "2")

    def test_invalid_item_failures_fail_the_batch(self):
        url, arn = self.queue("invalid", VisibilityTimeout=3)
        self.sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "1", "MessageBody": "ok-1"}, {"Id": "2", "MessageBody": "invalid"}])
        self.mapping(arn, FunctionResponseTypes=["ReportBatchItemFailures"])
        calls = self.wait_calls(2, timeout=15)
        self.assertEqual(sorted(self.bodies(calls[1:2])), ["invalid", "ok-1"])  # the whole batch again

    def test_failure_redelivery_then_dlq(self):
        dlq_url, dlq_arn = self.queue("dlq")
        url, arn = self.queue("src", VisibilityTimeout=3, RedrivePolicy=json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}))
        self.sqs.send_message(QueueUrl=url, MessageBody="fail")
        self.mapping(arn)
        calls = self.wait_calls(2, timeout=20)
        self.assertGreaterEqual(self.since_first_receive(calls[1]), 2.9, "redelivered after the visibility timeout")
        deadline, got = time.time() + 20, []
        while time.time() < deadline and not got:
            got = self.sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", [])
        self.assertEqual([m["Body"] for m in got], ["fail"])
        self.assertEqual(len(self.calls()), 2)  # maxReceiveCount receives, no more

    def test_fifo_order_per_group(self):
        url, arn = self.queue("order.fifo", FifoQueue="true", ContentBasedDeduplication="true",
                              VisibilityTimeout=30)
        for i in range(12):
            for g in "abc":
                self.sqs.send_message(QueueUrl=url, MessageBody="%s-%02d" % (g, i), MessageGroupId=g)
        self.mapping(arn, BatchSize=4)
        deadline = time.time() + 40
        while time.time() < deadline and len(self.bodies(self.calls())) < 36:
            time.sleep(0.05)
        self.wait_empty(url)
        calls = self.calls()
        for g in "abc":
            seen = [b for b in self.bodies(calls) if b.startswith(g)]
            self.assertEqual(seen, ["%s-%02d" % (g, i) for i in range(12)], g)
            # a group's batches never overlap in time
            spans = [(t0, t1) for t0, t1, ev in calls if any(r["body"].startswith(g) for r in ev["Records"])]
            for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
                self.assertLessEqual(a1, b0 + 0.001, g)
        for _, _, ev in calls:
            self.assertIn("MessageGroupId", ev["Records"][0]["attributes"])
            self.assertIn("SequenceNumber", ev["Records"][0]["attributes"])

    def test_maximum_concurrency_bound(self):
        url, arn = self.queue("conc", VisibilityTimeout=30)
        self.lam.put_function_concurrency(FunctionName="rec", ReservedConcurrentExecutions=8)
        for k in range(2):
            self.sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": json.dumps({"sleep": 0.5, "i": 10 * k + i})} for i in range(6)])
        self.mapping(arn, BatchSize=1, ScalingConfig={"MaximumConcurrency": 3})
        calls = self.wait_calls(12, timeout=60)
        self.wait_empty(url)
        events = sorted([(t0, 1) for t0, _, _ in calls] + [(t1, -1) for _, t1, _ in calls])
        now = peak = 0
        for _, d in events:
            now += d
            peak = max(peak, now)
        self.assertLessEqual(peak, 3)
        self.assertGreaterEqual(peak, 2, "batches do run at once")

    def test_kill9_mid_batch_loses_nothing(self):
        url, arn = self.queue("crash", VisibilityTimeout=4)
        for k in range(4):
            self.sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": json.dumps({"sleep": 0.4, "i": 10 * k + i})} for i in range(10)])
        self.mapping(arn, BatchSize=5)
        self.wait_calls(1)
        self.srv.kill9()  # batches are in flight
        self.srv.start()
        self.lam, self.sqs, self.ddb = self.srv.client("lambda"), self.srv.client("sqs"), self.srv.client("dynamodb")
        want = sorted(range(40))
        deadline = time.time() + 60
        while time.time() < deadline:
            got = sorted({json.loads(b)["i"] for b in self.bodies(self.calls())})
            if got == want and self.counts(url) == (0, 0):
                break
            time.sleep(0.1)
        self.assertEqual(sorted({json.loads(b)["i"] for b in self.bodies(self.calls())}), want)
        self.wait_empty(url)

    def test_disabled_and_deleted_mappings(self):
        url, arn = self.queue("onoff", VisibilityTimeout=30)
        m = self.mapping(arn, Enabled=False)
        self.sqs.send_message(QueueUrl=url, MessageBody="one")
        time.sleep(1.5)  # nothing may happen: there is no event to wait for
        self.assertEqual(self.calls(), [])
        self.assertEqual(self.counts(url), (1, 0))
        self.lam.update_event_source_mapping(UUID=m["UUID"], Enabled=True)
        self.wait_calls(1)
        self.wait_empty(url)
        self.lam.delete_event_source_mapping(UUID=m["UUID"])
        self.sqs.send_message(QueueUrl=url, MessageBody="two")
        time.sleep(1.5)
        self.assertEqual(len(self.calls()), 1)
        self.assertEqual(self.counts(url), (1, 0))  # left in the queue

    def test_disabling_gives_back_a_gathering_batch(self):
        url, arn = self.queue("gather", VisibilityTimeout=30)
        m = self.mapping(arn, BatchSize=100, MaximumBatchingWindowInSeconds=10)
        self.sqs.send_message(QueueUrl=url, MessageBody="held")
        deadline = time.time() + 10
        while time.time() < deadline and self.counts(url) != (0, 1):
            time.sleep(0.05)
        self.assertEqual(self.counts(url), (0, 1))  # received, waiting for the window
        self.lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
        deadline = time.time() + 10
        while time.time() < deadline and self.counts(url) != (1, 0):
            time.sleep(0.05)
        self.assertEqual(self.counts(url), (1, 0))  # visible again at once, not after 30 s
        self.assertEqual(self.calls(), [])

    def test_send_to_start_latency(self):
        url, arn = self.queue("lat", VisibilityTimeout=30)
        self.mapping(arn, BatchSize=1)
        self.sqs.send_message(QueueUrl=url, MessageBody="warm")
        self.wait_calls(1)
        lat = []
        for i in range(15):
            t = time.time()
            self.sqs.send_message(QueueUrl=url, MessageBody="l%d" % i)
            calls = self.wait_calls(i + 2)
            lat.append(calls[-1][0] - t)
        p50 = statistics.median(lat) * 1000
        print("\nSQS -> function start latency: p50 %.1f ms, max %.1f ms (%d sends)" % (p50, max(lat) * 1000, len(lat)))
        self.assertLess(p50, 1000)


if __name__ == "__main__":
    unittest.main()
