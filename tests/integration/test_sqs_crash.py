# SPDX-License-Identifier: Apache-2.0
"""kill -9 during 10 000 SQS sends and receives (batches, four producers, two consumers): after
the restart every acknowledged send is there or was deleted, and no message whose delete was
acknowledged comes again. Bounded in time."""
import threading
import time
import unittest

from stratus_fixture import Server

TOTAL = 10000


class SqsCrashTest(unittest.TestCase):
    def test_kill9_during_sends_and_receives(self):
        srv = Server().start()
        try:
            c = srv.client("sqs")
            u = c.create_queue(QueueName="crash", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
            sent, deleted, tried = set(), set(), set()
            lock = threading.Lock()
            stop = threading.Event()

            def producer(p):
                cl = srv.client("sqs")
                for b in range(TOTAL // 40):
                    if stop.is_set():
                        return
                    bodies = ["%d-%d-%d" % (p, b, i) for i in range(10)]
                    try:
                        r = cl.send_message_batch(QueueUrl=u, Entries=[
                            {"Id": str(i), "MessageBody": x} for i, x in enumerate(bodies)])
                    except Exception:
                        return
                    with lock:
                        for ok in r["Successful"]:
                            sent.add(bodies[int(ok["Id"])])

            def consumer():
                cl = srv.client("sqs")
                while not stop.is_set():
                    try:
                        ms = cl.receive_message(QueueUrl=u, MaxNumberOfMessages=10).get("Messages", [])
                        if not ms:
                            continue
                        with lock:
                            tried.update(m["Body"] for m in ms)
                        r = cl.delete_message_batch(QueueUrl=u, Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(ms)])
                    except Exception:
                        return
                    with lock:
                        for ok in r["Successful"]:
                            deleted.add(ms[int(ok["Id"])]["Body"])

            ths = [threading.Thread(target=producer, args=(p,)) for p in range(4)]
            ths += [threading.Thread(target=consumer) for _ in range(2)]
            for t in ths:
                t.start()
            deadline = time.time() + 60
            while time.time() < deadline:
                with lock:
                    if len(sent) >= TOTAL // 2:
                        break
                time.sleep(0.01)
            srv.kill9()
            stop.set()
            for t in ths:
                t.join(timeout=30)
            with lock:
                sent_n, deleted_s, tried_s = set(sent), set(deleted), set(tried)
            self.assertGreater(len(sent_n), 1000)
            srv.start()
            c = srv.client("sqs")
            left = []
            t_end = time.time() + 60
            empty = 0
            while time.time() < t_end and empty < 3:  # in-flight ones come back after 1 s
                ms = c.receive_message(QueueUrl=u, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", [])
                if not ms:
                    empty += 1
                    continue
                empty = 0
                left += [m["Body"] for m in ms]
                c.delete_message_batch(QueueUrl=u, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(ms)])
            left_s = set(left)
            self.assertEqual(len(left), len(left_s), "a message came twice after the restart")
            self.assertEqual(left_s & deleted_s, set(), "an acknowledged delete came back")
            # a delete cut by the kill may have committed without its answer
            lost = sent_n - left_s - deleted_s - tried_s
            self.assertEqual(lost, set(), "%d acknowledged sends lost" % len(lost))
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
