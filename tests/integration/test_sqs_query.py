# SPDX-License-Identifier: Apache-2.0
"""SQS over the query protocol (XML responses), as Debian's boto3 1.26 (botocore 1.29, run with
/usr/bin/python3) and the AWS CLI 2.9 send it: every operation those clients have, message
attributes of every type with their MD5s checked as the SDKs that check them compute them
(botocore 1.29 itself checks none), batch partial failures, errors with SQS's legacy codes and
statuses, FIFO, long polling woken by a send, tags, dead-letter queues; and raw signed query
requests for what those clients cannot send (the message move tasks, a GET, a queue URL's path,
malformed forms)."""
import hashlib
import json
import os
import subprocess
import textwrap
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from stratus_fixture import Server

OLD_PY = "/usr/bin/python3"
OLD_AWS = "/usr/bin/aws"
NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"
ARN = "arn:aws:sqs:us-east-1:000000000000:"

# Run under Debian's python: a botocore 1.29 client `sqs` (query protocol), `err` (the error
# code, message and HTTP status of a call that must fail) and `check_md5` (SQS's MD5 of a body
# and of message attributes, compared with what the response says).
PRELUDE = textwrap.dedent('''
    import hashlib, json, struct, sys, threading, time
    import boto3, botocore
    from botocore.config import Config
    from botocore.exceptions import ClientError
    assert botocore.__version__.startswith("1.29"), botocore.__version__
    EP = sys.argv[1]
    def client(**cfg):
        return boto3.client("sqs", endpoint_url=EP, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1}, **cfg))
    sqs = client()
    def err(code, fn, status=400, msg=None, **kw):
        try:
            fn(**kw)
        except ClientError as e:
            r = e.response
            assert r["Error"]["Code"] == code, r
            assert r["ResponseMetadata"]["HTTPStatusCode"] == status, r
            if msg is not None:
                assert r["Error"]["Message"] == msg, r
            return r
        raise AssertionError("no error from %s %s" % (fn.__name__, repr(kw)[:300]))
    def md5_attrs(attrs):
        h = hashlib.md5()
        def put(b):
            h.update(struct.pack(">I", len(b)) + b)
        for name in sorted(attrs):
            a = attrs[name]
            put(name.encode())
            put(a["DataType"].encode())
            if "BinaryValue" in a:
                h.update(b"\\x02")
                put(a["BinaryValue"])
            else:
                h.update(b"\\x01")
                put(a["StringValue"].encode())
        return h.hexdigest()
    def check_send(r, body, attrs=None):
        assert r["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest(), r
        if attrs:
            assert r["MD5OfMessageAttributes"] == md5_attrs(attrs), r
        else:
            assert "MD5OfMessageAttributes" not in r, r
    def check_received(m):
        assert m["MD5OfBody"] == hashlib.md5(m["Body"].encode()).hexdigest(), m
        if m.get("MessageAttributes"):
            assert m["MD5OfMessageAttributes"] == md5_attrs(m["MessageAttributes"]), m
    def attrs(u, *names):
        return sqs.get_queue_attributes(QueueUrl=u, AttributeNames=list(names) or ["All"])["Attributes"]
''')


@unittest.skipUnless(os.path.exists(OLD_PY), "no Debian python (boto3 1.26)")
class QueryProtocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def old(self, body, timeout=90):
        """Run body after PRELUDE under Debian's python; its stdout's last line as JSON."""
        p = subprocess.run([OLD_PY, "-c", PRELUDE + textwrap.dedent(body), self.srv.endpoint],
                           capture_output=True, text=True, timeout=timeout)
        self.assertEqual(p.returncode, 0, p.stderr[-4000:])
        out = p.stdout.strip().splitlines()
        return json.loads(out[-1]) if out else None

    def raw(self, form, path="/", method="POST", secret="test"):
        """A query request signed for sqs (no X-Amz-Target): (status, XML root, text)."""
        body = urllib.parse.urlencode(form) if isinstance(form, dict) else form
        url = self.srv.endpoint + path
        if method == "GET":
            url, data = url + "?" + body, None
        else:
            data = body.encode()
        req = AWSRequest(method=method, url=url, data=data,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
                         if data is not None else {})
        SigV4Auth(Credentials("test", secret), "sqs", "us-east-1").add_auth(req)
        r = urllib.request.Request(url, data=data, method=method, headers=dict(req.headers.items()))
        try:
            with urllib.request.urlopen(r, timeout=30) as resp:
                st, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            st, text = e.code, e.read().decode()
        return st, ET.fromstring(text), text

    # ---- queues ----

    def test_queues(self):
        r = self.old('''
            u = sqs.create_queue(QueueName="qq-one", Attributes={"VisibilityTimeout": "7", "DelaySeconds": "0"},
                                 tags={"team": "a", "env": "dev"})["QueueUrl"]
            assert u.endswith("/000000000000/qq-one"), u
            assert sqs.create_queue(QueueName="qq-one", Attributes={"VisibilityTimeout": "7"})["QueueUrl"] == u
            err("QueueAlreadyExists", sqs.create_queue, QueueName="qq-one", Attributes={"VisibilityTimeout": "8"})
            err("InvalidParameterValue", sqs.create_queue, QueueName="bad name")
            err("InvalidAttributeName", sqs.create_queue, QueueName="qq-x", Attributes={"Nope": "1"})
            err("InvalidAttributeValue", sqs.create_queue, QueueName="qq-x", Attributes={"VisibilityTimeout": "99999"})
            assert sqs.get_queue_url(QueueName="qq-one")["QueueUrl"] == u
            err("AWS.SimpleQueueService.NonExistentQueue", sqs.get_queue_url, QueueName="qq-none",
                msg="The specified queue does not exist.")
            a = attrs(u)
            assert a["VisibilityTimeout"] == "7" and a["QueueArn"].endswith(":qq-one"), a
            assert set(attrs(u, "QueueArn", "DelaySeconds")) == {"QueueArn", "DelaySeconds"}
            sqs.set_queue_attributes(QueueUrl=u, Attributes={"VisibilityTimeout": "9", "MaximumMessageSize": "2048"})
            assert attrs(u, "VisibilityTimeout")["VisibilityTimeout"] == "9"
            err("InvalidAttributeValue", sqs.set_queue_attributes, QueueUrl=u, Attributes={"MaximumMessageSize": "10"})
            # tags
            assert sqs.list_queue_tags(QueueUrl=u)["Tags"] == {"team": "a", "env": "dev"}
            sqs.tag_queue(QueueUrl=u, Tags={"team": "b", "x": "y"})
            sqs.untag_queue(QueueUrl=u, TagKeys=["env"])
            assert sqs.list_queue_tags(QueueUrl=u)["Tags"] == {"team": "b", "x": "y"}
            sqs.untag_queue(QueueUrl=u, TagKeys=["team", "x"])
            assert "Tags" not in sqs.list_queue_tags(QueueUrl=u)
            # listing: prefix and pages
            for i in range(7):
                sqs.create_queue(QueueName="qq-page-%d" % i)
            assert len(sqs.list_queues(QueueNamePrefix="qq-page-")["QueueUrls"]) == 7
            assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="zz-none")
            seen, tok = [], None
            while True:
                r = sqs.list_queues(QueueNamePrefix="qq-page-", MaxResults=3, **({"NextToken": tok} if tok else {}))
                assert len(r["QueueUrls"]) <= 3
                seen += r["QueueUrls"]
                tok = r.get("NextToken")
                if not tok:
                    break
            assert sorted(x.rsplit("/", 1)[1] for x in seen) == ["qq-page-%d" % i for i in range(7)], seen
            err("InvalidParameterValue", sqs.list_queues, MaxResults=1001)
            # permissions
            sqs.add_permission(QueueUrl=u, Label="p1", AWSAccountIds=["111122223333"], Actions=["SendMessage", "ReceiveMessage"])
            pol = json.loads(attrs(u, "Policy")["Policy"])
            assert pol["Statement"][0]["Sid"] == "p1", pol
            sqs.remove_permission(QueueUrl=u, Label="p1")
            # purge, delete
            sqs.send_message(QueueUrl=u, MessageBody="x")
            sqs.purge_queue(QueueUrl=u)
            err("AWS.SimpleQueueService.PurgeQueueInProgress", sqs.purge_queue, status=403, QueueUrl=u)
            assert attrs(u, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "0"
            sqs.delete_queue(QueueUrl=u)
            err("AWS.SimpleQueueService.NonExistentQueue", sqs.get_queue_attributes, QueueUrl=u)
            err("AWS.SimpleQueueService.QueueDeletedRecently", sqs.create_queue, QueueName="qq-one")
            print(json.dumps("ok"))
        ''')
        self.assertEqual(r, "ok")

    # ---- messages ----

    def test_messages_attributes_md5(self):
        r = self.old('''
            u = sqs.create_queue(QueueName="qm")["QueueUrl"]
            ma = {
                "s": {"DataType": "String", "StringValue": "v\\u00e9 <&> \\r\\n"},
                "n": {"DataType": "Number", "StringValue": "-1.5e3"},
                "b": {"DataType": "Binary", "BinaryValue": bytes(range(256))},
                "s.custom": {"DataType": "String.custom", "StringValue": "c"},
                "n.int": {"DataType": "Number.int", "StringValue": "12"},
                "b.png": {"DataType": "Binary.png", "BinaryValue": b"\\x89PNG"},
            }
            body = "body \\u2603 <x>&amp; \\r\\n\\t end"
            r = sqs.send_message(QueueUrl=u, MessageBody=body, MessageAttributes=ma, DelaySeconds=0)
            check_send(r, body, ma)
            plain = sqs.send_message(QueueUrl=u, MessageBody="plain")
            check_send(plain, "plain")
            got = sqs.receive_message(QueueUrl=u, MaxNumberOfMessages=10, AttributeNames=["All"],
                                      MessageAttributeNames=["All"], VisibilityTimeout=30)["Messages"]
            assert len(got) == 2, got
            for m in got:
                check_received(m)
            m = [x for x in got if x["MessageId"] == r["MessageId"]][0]
            assert m["Body"] == body and m["MessageAttributes"] == ma, m
            a = m["Attributes"]
            assert a["ApproximateReceiveCount"] == "1" and a["SenderId"] and int(a["SentTimestamp"]) > 0, a
            # selection by name and prefix; system attributes by name
            sqs.change_message_visibility(QueueUrl=u, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            m2 = sqs.receive_message(QueueUrl=u, AttributeNames=["ApproximateReceiveCount"],
                                     MessageAttributeNames=["s.*", "n"])["Messages"][0]
            check_received(m2)
            assert set(m2["MessageAttributes"]) == {"s.custom", "n"}, m2
            assert m2["Attributes"] == {"ApproximateReceiveCount": "2"}, m2
            sqs.delete_message(QueueUrl=u, ReceiptHandle=m2["ReceiptHandle"])
            err("ReceiptHandleIsInvalid", sqs.delete_message, QueueUrl=u, ReceiptHandle="garbage")
            err("ReceiptHandleIsInvalid", sqs.change_message_visibility, QueueUrl=u, ReceiptHandle="garbage",
                VisibilityTimeout=1)
            # validation
            err("InvalidParameterValue", sqs.send_message, QueueUrl=u, MessageBody="x", DelaySeconds=901)
            err("InvalidParameterValue", sqs.send_message, QueueUrl=u, MessageBody="x",
                MessageAttributes={"a": {"DataType": "Number", "StringValue": "abc"}})
            err("MissingParameter", sqs.send_message, QueueUrl=u, MessageBody="")
            err("InvalidMessageContents", sqs.send_message, QueueUrl=u, MessageBody="bad \\u0001")
            err("InvalidParameterValue", sqs.receive_message, QueueUrl=u, MaxNumberOfMessages=11)
            err("AWS.SimpleQueueService.NonExistentQueue", sqs.send_message,
                QueueUrl=u.rsplit("/", 1)[0] + "/none", MessageBody="x")
            print(json.dumps("ok"))
        ''')
        self.assertEqual(r, "ok")

    def test_batches_partial_failures(self):
        r = self.old('''
            u = sqs.create_queue(QueueName="qb")["QueueUrl"]
            ents = [{"Id": "a", "MessageBody": "one", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "1"}}},
                    {"Id": "b", "MessageBody": "two", "DelaySeconds": 1000},
                    {"Id": "c", "MessageBody": "three", "DelaySeconds": 0}]
            r = sqs.send_message_batch(QueueUrl=u, Entries=ents)
            ok = {e["Id"]: e for e in r["Successful"]}
            assert set(ok) == {"a", "c"}, r
            check_send(ok["a"], "one", ents[0]["MessageAttributes"])
            check_send(ok["c"], "three")
            f = r["Failed"]
            assert len(f) == 1 and f[0]["Id"] == "b" and f[0]["SenderFault"] is True and f[0]["Code"] == "InvalidParameterValue", f
            err("AWS.SimpleQueueService.EmptyBatchRequest", sqs.send_message_batch, QueueUrl=u, Entries=[])
            err("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", sqs.send_message_batch, QueueUrl=u,
                Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)])
            err("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", sqs.send_message_batch, QueueUrl=u,
                Entries=[{"Id": "x", "MessageBody": "x"}, {"Id": "x", "MessageBody": "y"}])
            err("AWS.SimpleQueueService.InvalidBatchEntryId", sqs.send_message_batch, QueueUrl=u,
                Entries=[{"Id": "bad id!", "MessageBody": "x"}])
            got = sqs.receive_message(QueueUrl=u, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
            assert sorted(m["Body"] for m in got) == ["one", "three"], got
            for m in got:
                check_received(m)
            hs = [{"Id": "m%d" % i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
            r = sqs.change_message_visibility_batch(QueueUrl=u, Entries=[dict(h, VisibilityTimeout=60) for h in hs] +
                                                    [{"Id": "bad", "ReceiptHandle": "nope", "VisibilityTimeout": 1}])
            assert sorted(e["Id"] for e in r["Successful"]) == ["m0", "m1"], r
            assert [(e["Id"], e["Code"]) for e in r["Failed"]] == [("bad", "ReceiptHandleIsInvalid")], r
            r = sqs.delete_message_batch(QueueUrl=u, Entries=hs + [{"Id": "bad", "ReceiptHandle": "nope"}])
            assert sorted(e["Id"] for e in r["Successful"]) == ["m0", "m1"], r
            assert [(e["Id"], e["Code"], e["SenderFault"]) for e in r["Failed"]] == [("bad", "ReceiptHandleIsInvalid", True)], r
            assert attrs(u, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible") == \\
                {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
            # the largest message and batch (1 MiB), percent-encoded three bytes a byte, and over it
            big = "\\u00e9" * (1048576 // 2 - 4) + "<&> \\r\\n!!"  # 1 MiB exactly
            check_send(sqs.send_message(QueueUrl=u, MessageBody=big), big)
            part = "&" * (1048576 // 10)
            r = sqs.send_message_batch(QueueUrl=u, Entries=[{"Id": str(i), "MessageBody": part} for i in range(10)])
            assert len(r["Successful"]) == 10, r["Failed"]
            err("AWS.SimpleQueueService.BatchRequestTooLong", sqs.send_message_batch, QueueUrl=u,
                Entries=[{"Id": str(i), "MessageBody": part + "x"} for i in range(10)])
            err("InvalidParameterValue", sqs.send_message, QueueUrl=u, MessageBody=big + "x")
            got = []
            for _ in range(5):
                got += sqs.receive_message(QueueUrl=u, MaxNumberOfMessages=10).get("Messages", [])
                if len(got) == 11:
                    break
            assert sorted(len(m["Body"]) for m in got) == [len(part)] * 10 + [len(big)], len(got)
            for m in got:
                check_received(m)
            print(json.dumps("ok"))
        ''')
        self.assertEqual(r, "ok")

    def test_fifo(self):
        r = self.old('''
            u = sqs.create_queue(QueueName="qf.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
            err("InvalidAttributeValue", sqs.create_queue, QueueName="qf2", Attributes={"FifoQueue": "true"})
            err("MissingParameter", sqs.send_message, QueueUrl=u, MessageBody="x")
            seqs = []
            for i in range(4):
                r = sqs.send_message(QueueUrl=u, MessageBody="g1-%d" % i, MessageGroupId="g1")
                check_send(r, "g1-%d" % i)
                seqs.append(int(r["SequenceNumber"]))
            assert seqs == sorted(seqs) and len(set(seqs)) == 4, seqs
            dup = sqs.send_message(QueueUrl=u, MessageBody="g1-0", MessageGroupId="g1")  # content dedup
            r = sqs.send_message_batch(QueueUrl=u, Entries=[
                {"Id": "1", "MessageBody": "g2-0", "MessageGroupId": "g2", "MessageDeduplicationId": "d1"},
                {"Id": "2", "MessageBody": "g2-1", "MessageGroupId": "g2", "MessageDeduplicationId": "d2"}])
            assert len(r["Successful"]) == 2 and all(e["SequenceNumber"] for e in r["Successful"]), r
            got = sqs.receive_message(QueueUrl=u, MaxNumberOfMessages=10, AttributeNames=["All"],
                                      ReceiveRequestAttemptId="att-1")["Messages"]
            bodies = [m["Body"] for m in got]
            assert bodies == ["g1-0", "g1-1", "g1-2", "g1-3", "g2-0", "g2-1"], bodies
            assert got[0]["Attributes"]["MessageGroupId"] == "g1" and got[0]["Attributes"]["SequenceNumber"], got[0]
            again = sqs.receive_message(QueueUrl=u, MaxNumberOfMessages=10, ReceiveRequestAttemptId="att-1")["Messages"]
            assert [m["MessageId"] for m in again] == [m["MessageId"] for m in got]
            assert "Messages" not in sqs.receive_message(QueueUrl=u, MaxNumberOfMessages=10)  # groups in flight
            for m in got:
                sqs.delete_message(QueueUrl=u, ReceiptHandle=m["ReceiptHandle"])
            print(json.dumps(dup["MessageId"] == [m for m in got if m["Body"] == "g1-0"][0]["MessageId"]))
        ''')
        self.assertTrue(r)

    def test_long_poll_woken_by_send(self):
        r = self.old('''
            u = sqs.create_queue(QueueName="qlp")["QueueUrl"]
            other = client()
            sent = {}
            def later():
                time.sleep(0.4)
                sent["t"] = time.monotonic()
                other.send_message(QueueUrl=u, MessageBody="wake")
            th = threading.Thread(target=later)
            t0 = time.monotonic()
            th.start()
            m = sqs.receive_message(QueueUrl=u, WaitTimeSeconds=20)["Messages"][0]
            done = time.monotonic()
            th.join()
            check_received(m)
            assert m["Body"] == "wake"
            assert done - sent["t"] < 1.0 and done - t0 < 5, (done - sent["t"], done - t0)
            t0 = time.monotonic()
            assert "Messages" not in sqs.receive_message(QueueUrl=u, WaitTimeSeconds=1)
            waited = time.monotonic() - t0
            assert 0.9 <= waited < 5, waited
            err("InvalidParameterValue", sqs.receive_message, QueueUrl=u, WaitTimeSeconds=21)
            print(json.dumps("ok"))
        ''')
        self.assertEqual(r, "ok")

    def test_dead_letter_redrive(self):
        r = self.old('''
            dlq = sqs.create_queue(QueueName="qd-dlq")["QueueUrl"]
            dlq_arn = attrs(dlq, "QueueArn")["QueueArn"]
            src = sqs.create_queue(QueueName="qd-src", Attributes={"VisibilityTimeout": "0",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})["QueueUrl"]
            err("InvalidAttributeValue", sqs.set_queue_attributes, QueueUrl=src, Attributes={"RedrivePolicy":
                json.dumps({"deadLetterTargetArn": dlq_arn + "-none", "maxReceiveCount": 2})})
            assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
            ma = {"k": {"DataType": "String", "StringValue": "v"}}
            sent = sqs.send_message(QueueUrl=src, MessageBody="poison", MessageAttributes=ma)
            for _ in range(2):
                assert sqs.receive_message(QueueUrl=src)["Messages"][0]["Body"] == "poison"
            assert "Messages" not in sqs.receive_message(QueueUrl=src)
            m = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"], MessageAttributeNames=["All"])["Messages"][0]
            check_received(m)
            assert m["MessageId"] == sent["MessageId"] and m["MessageAttributes"] == ma, m
            assert m["Attributes"]["DeadLetterQueueSourceArn"].endswith(":qd-src"), m
            sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})
            other = sqs.create_queue(QueueName="qd-other")["QueueUrl"]
            err("InvalidAttributeValue", sqs.set_queue_attributes, QueueUrl=other, Attributes={"RedrivePolicy":
                json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})
            print(json.dumps("ok"))
        ''')
        self.assertEqual(r, "ok")

    # ---- raw query requests ----

    def test_raw_requests(self):
        st, x, _ = self.raw({"Action": "CreateQueue", "Version": "2012-11-05", "QueueName": "qr",
                             "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "0",
                             "Tag.1.Key": "k", "Tag.1.Value": "v"})
        self.assertEqual(st, 200)
        self.assertEqual(x.tag, NS + "CreateQueueResponse")
        url = x.find(NS + "CreateQueueResult/" + NS + "QueueUrl").text
        self.assertTrue(x.find(NS + "ResponseMetadata/" + NS + "RequestId").text)
        path = urllib.parse.urlparse(url).path
        self.assertEqual(path, "/000000000000/qr")
        # at the queue URL's path, the path names the queue; a GET carries the form in its query
        st, x, _ = self.raw({"Action": "SendMessage", "MessageBody": "by path",
                             "MessageAttribute.1.Name": "a", "MessageAttribute.1.Value.DataType": "String",
                             "MessageAttribute.1.Value.StringValue": "b"}, path=path)
        self.assertEqual(st, 200)
        self.assertEqual(x.find(NS + "SendMessageResult/" + NS + "MD5OfMessageBody").text,
                         hashlib.md5(b"by path").hexdigest())
        st, x, text = self.raw({"Action": "ReceiveMessage", "AttributeName.1": "All",
                                "MessageAttributeName.1": "All", "VisibilityTimeout": "60"},
                               path=path, method="GET")
        self.assertEqual(st, 200, text)
        m = x.find(NS + "ReceiveMessageResult/" + NS + "Message")
        self.assertEqual(m.find(NS + "Body").text, "by path")
        attrs = {a.find(NS + "Name").text: a.find(NS + "Value").text for a in m.findall(NS + "Attribute")}
        self.assertEqual(attrs["ApproximateReceiveCount"], "1")
        ma = m.find(NS + "MessageAttribute")
        self.assertEqual((ma.find(NS + "Name").text, ma.find(NS + "Value/" + NS + "StringValue").text,
                          ma.find(NS + "Value/" + NS + "DataType").text), ("a", "b", "String"))
        # an operation without a result: the bare response element
        st, x, _ = self.raw({"Action": "DeleteMessage", "QueueUrl": url,
                             "ReceiptHandle": m.find(NS + "ReceiptHandle").text})
        self.assertEqual((st, x.tag, len(x)), (200, NS + "DeleteMessageResponse", 1))
        # errors: the ErrorResponse document with the legacy code and the status
        st, x, _ = self.raw({"Action": "GetQueueUrl", "QueueName": "none"})
        self.assertEqual(st, 400)
        self.assertEqual(x.tag, NS + "ErrorResponse")
        self.assertEqual(x.find(NS + "Error/" + NS + "Code").text, "AWS.SimpleQueueService.NonExistentQueue")
        self.assertEqual(x.find(NS + "Error/" + NS + "Type").text, "Sender")
        self.assertTrue(x.find(NS + "RequestId").text)
        for form, code in [({"Action": "Nope"}, "InvalidAction"),
                           ({"QueueName": "x"}, "MissingParameter"),
                           ({"Action": "ListQueues", "Version": "2008-01-01"}, "InvalidParameterValue"),
                           ("Action=ListQueues&MaxResults=abc", "InvalidParameterValue"),
                           ("Action=ListQueues&X=%zz", "InvalidParameterValue"),
                           ("Action=DeleteMessageBatch&QueueUrl=%s&DeleteMessageBatchRequestEntry.0.Id=a" % url,
                            "InvalidParameterValue"),
                           ({"Action": "DeleteQueue"}, "MissingParameter")]:
            st, x, text = self.raw(form)
            self.assertEqual((st, x.find(NS + "Error/" + NS + "Code").text), (400, code), (form, text))
        # a bad signature: refused in the same document
        st, x, text = self.raw({"Action": "ListQueues"}, secret="wrong")
        self.assertEqual((st, x.tag), (403, NS + "ErrorResponse"), text)
        self.assertEqual(x.find(NS + "Error/" + NS + "Code").text, "SignatureDoesNotMatch")
        r = self.old('''
            bad = boto3.client("sqs", endpoint_url=EP, region_name="us-east-1",
                               aws_access_key_id="nobody", aws_secret_access_key="x")
            print(json.dumps(err("InvalidClientTokenId", bad.list_queues, status=403)["Error"]["Message"]))
        ''')
        self.assertEqual(r, "The security token included in the request is invalid.")

    def test_raw_message_move_tasks(self):
        """Debian's botocore has no move-task operations: their query shapes, raw."""
        q = lambda **f: self.raw(dict(f))
        st, x, _ = q(Action="CreateQueue", QueueName="qmv-dlq")
        dlq = x.find(NS + "CreateQueueResult/" + NS + "QueueUrl").text
        st, x, _ = q(Action="CreateQueue", QueueName="qmv-src", **{
            "Attribute.1.Name": "RedrivePolicy", "Attribute.1.Value": json.dumps(
                {"deadLetterTargetArn": ARN + "qmv-dlq", "maxReceiveCount": 1}),
            "Attribute.2.Name": "VisibilityTimeout", "Attribute.2.Value": "0"})
        self.assertEqual(st, 200)
        src = x.find(NS + "CreateQueueResult/" + NS + "QueueUrl").text
        form = {"Action": "SendMessageBatch", "QueueUrl": src}
        for i in range(3):
            form["SendMessageBatchRequestEntry.%d.Id" % (i + 1)] = "e%d" % i
            form["SendMessageBatchRequestEntry.%d.MessageBody" % (i + 1)] = "m%d" % i
        st, x, _ = self.raw(form)
        self.assertEqual(len(x.findall(NS + "SendMessageBatchResult/" + NS + "SendMessageBatchResultEntry")), 3)
        for _ in range(10):  # received once each, then moved to the DLQ
            st, x, _ = q(Action="ReceiveMessage", QueueUrl=src, MaxNumberOfMessages="10")
            if not x.findall(NS + "ReceiveMessageResult/" + NS + "Message"):
                break
        st, x, _ = q(Action="GetQueueAttributes", QueueUrl=dlq, **{"AttributeName.1": "ApproximateNumberOfMessages"})
        a = x.find(NS + "GetQueueAttributesResult/" + NS + "Attribute")
        self.assertEqual((a.find(NS + "Name").text, a.find(NS + "Value").text), ("ApproximateNumberOfMessages", "3"))
        st, x, text = q(Action="StartMessageMoveTask", SourceArn=ARN + "qmv-dlq", MaxNumberOfMessagesPerSecond="50")
        self.assertEqual(st, 200, text)
        handle = x.find(NS + "StartMessageMoveTaskResult/" + NS + "TaskHandle").text
        self.assertTrue(handle)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            st, x, text = q(Action="ListMessageMoveTasks", SourceArn=ARN + "qmv-dlq", MaxResults="10")
            e = x.find(NS + "ListMessageMoveTasksResult/" + NS + "ListMessageMoveTasksResultEntry")
            if e.find(NS + "Status").text != "RUNNING":
                break
            time.sleep(0.1)
        self.assertEqual(e.find(NS + "Status").text, "COMPLETED", text)
        self.assertEqual(e.find(NS + "ApproximateNumberOfMessagesMoved").text, "3")
        st, x, _ = q(Action="CancelMessageMoveTask", TaskHandle=handle)
        self.assertEqual((st, x.find(NS + "Error/" + NS + "Code").text),
                         (400, "AWS.SimpleQueueService.UnsupportedOperation"))

    # ---- the AWS CLI 2.9 ----

    @unittest.skipUnless(os.path.exists(OLD_AWS), "no Debian AWS CLI")
    def test_aws_cli(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")

        def aws(*args, ok=True):
            p = subprocess.run([OLD_AWS, "--endpoint-url", self.srv.endpoint, "--output", "json", "sqs"] + list(args),
                               env=env, capture_output=True, text=True, timeout=120)
            if not ok:
                self.assertNotEqual(p.returncode, 0)
                return p.stderr
            self.assertEqual(p.returncode, 0, p.stderr)
            return json.loads(p.stdout) if p.stdout.strip() else None
        u = aws("create-queue", "--queue-name", "qcli", "--attributes", "DelaySeconds=0,VisibilityTimeout=30")["QueueUrl"]
        self.assertTrue(u.endswith("/000000000000/qcli"))
        self.assertIn(u, aws("list-queues", "--queue-name-prefix", "qcli")["QueueUrls"])
        r = aws("send-message", "--queue-url", u, "--message-body", "from cli", "--message-attributes",
                '{"a": {"DataType": "Number", "StringValue": "7"}}')
        self.assertTrue(r["MessageId"] and r["MD5OfMessageAttributes"])
        m = aws("receive-message", "--queue-url", u, "--message-attribute-names", "All",
                "--attribute-names", "All")["Messages"][0]
        self.assertEqual((m["Body"], m["MessageAttributes"]["a"]["StringValue"]), ("from cli", "7"))
        aws("delete-message", "--queue-url", u, "--receipt-handle", m["ReceiptHandle"])
        self.assertEqual(aws("get-queue-attributes", "--queue-url", u, "--attribute-names",
                             "ApproximateNumberOfMessages")["Attributes"]["ApproximateNumberOfMessages"], "0")
        self.assertIn("AWS.SimpleQueueService.NonExistentQueue",
                      aws("get-queue-url", "--queue-name", "qcli-none", ok=False))
        aws("delete-queue", "--queue-url", u)


if __name__ == "__main__":
    unittest.main()
