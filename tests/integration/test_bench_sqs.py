# SPDX-License-Identifier: Apache-2.0
"""The messaging benchmark's load generator against a real stratusd (no timing asserted): the
stratus-bench SQS workloads do what they claim — sqssend's messages are in the queue, sqsrecvdel
receives each one and deletes it with its own receipt handle (the queue ends empty, nothing in
flight), and sqslongpoll completes its rounds with every long poll woken by a send."""
import os
import subprocess
import unittest

from stratus_fixture import STRATUSD, Server

BENCH = os.path.join(os.path.dirname(STRATUSD), "stratus-bench")


def fields(line):
    return {k: v for k, v in (t.split("=", 1) for t in line.split()[1:] if "=" in t)}


class BenchSqsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.sqs = cls.srv.client("sqs")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def bench(self, *args):
        r = subprocess.run([BENCH, "--port", str(self.srv.port), "--duration", "120"] + list(args),
                           capture_output=True, text=True, timeout=180)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return fields(r.stdout.strip())

    def counts(self, url):
        a = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                          "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])

    def test_send_then_receive_delete(self):
        f = self.bench("--workload", "sqssend", "--queue", "it-bench", "--connections", "8",
                       "--requests", "300")
        self.assertEqual((f["requests"], f["errors"]), ("300", "0"))
        url = self.sqs.get_queue_url(QueueName="it-bench")["QueueUrl"]
        self.assertEqual(self.counts(url), (300, 0))
        # One connection, so the 600 requests are exactly 300 receive+delete pairs.
        f = self.bench("--workload", "sqsrecvdel", "--queue", "it-bench", "--connections", "1",
                       "--requests", "600")
        self.assertEqual((f["requests"], f["errors"], f["pairs"], f["empty_receives"]),
                         ("600", "0", "300", "0"))
        self.assertEqual(self.counts(url), (0, 0))
        # On the empty queue every receive answers without a message: none is deleted.
        f = self.bench("--workload", "sqsrecvdel", "--queue", "it-bench", "--connections", "2",
                       "--requests", "10")
        self.assertEqual((f["errors"], f["pairs"], f["empty_receives"]), ("0", "0", "10"))

    def test_long_poll_rounds(self):
        f = self.bench("--workload", "sqslongpoll", "--queue", "it-longpoll", "--rounds", "3")
        self.assertEqual((f["rounds"], f["errors"], f["early"]), ("3", "0", "0"))
        url = self.sqs.get_queue_url(QueueName="it-longpoll")["QueueUrl"]
        self.assertEqual(self.counts(url), (0, 0))  # each round's message was deleted


if __name__ == "__main__":
    unittest.main()
