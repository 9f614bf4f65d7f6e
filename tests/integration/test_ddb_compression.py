# SPDX-License-Identifier: Apache-2.0
"""Compressed DynamoDB requests (issue 17, package H): boto3 with a botocore hook that gzips (or
deflates) every request body before it is signed, so the signature covers the bytes as sent;
PutItem, GetItem, Query, BatchWriteItem and Streams compressed; a gzip bomb refused with 413
without the server's memory growing past the request limit; S3 keeps Content-Encoding as
object metadata."""
import gzip
import http.client
import json
import os
import threading
import time
import unittest
import zlib

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from stratus_fixture import Server


def compressing(client, coding, seen):
    """Register on client a before-sign hook that compresses each request body with coding and
    records (Content-Encoding, first bytes, raw length) of what was sent into seen."""
    def hook(request, **kw):
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        if not body:
            return
        packed = gzip.compress(body) if coding == "gzip" else zlib.compress(body)
        request.data = packed
        request.headers["Content-Encoding"] = coding
        request.headers["Content-Length"] = str(len(packed))
        seen.append((coding, packed[:2], len(body), len(packed)))
    client.meta.events.register("before-sign.*.*", hook)
    return client


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class Compression(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.ddb.create_table(
            TableName="ztab", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "N"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def post(self, body, headers, target="DynamoDB_20120810.PutItem", sha_header=False):
        """A raw signed POST; returns (status, headers, body)."""
        h = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target}
        h.update(headers)
        req = AWSRequest(method="POST", url=self.srv.endpoint + "/", data=body, headers=h)
        if sha_header:
            import hashlib
            req.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
        SigV4Auth(Credentials(self.srv.access_key, self.srv.secret_key), "dynamodb", self.srv.region).add_auth(req)
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=60)
        try:
            c.request("POST", "/", body=body, headers=dict(req.prepare().headers))
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def test_boto3_gzip_and_deflate(self):
        for coding in ("gzip", "deflate"):
            with self.subTest(coding=coding):
                seen = []
                c = compressing(self.srv.client("dynamodb"), coding, seen)
                big = "y" * 300_000  # compresses to almost nothing; decompresses past 16 KiB runs
                c.put_item(TableName="ztab", Item={"pk": {"S": coding}, "sk": {"N": "1"}, "big": {"S": big}})
                c.batch_write_item(RequestItems={"ztab": [
                    {"PutRequest": {"Item": {"pk": {"S": coding}, "sk": {"N": str(i)}, "v": {"S": os.urandom(50).hex()}}}}
                    for i in range(2, 27)]})
                got = c.get_item(TableName="ztab", Key={"pk": {"S": coding}, "sk": {"N": "1"}}, ConsistentRead=True)
                self.assertEqual(got["Item"]["big"]["S"], big)
                q = c.query(TableName="ztab", KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                            ExpressionAttributeValues={":p": {"S": coding}, ":a": {"N": "1"}, ":b": {"N": "100"}})
                self.assertEqual(q["Count"], 26)
                # every request really went compressed, and the server took it
                self.assertGreaterEqual(len(seen), 4)
                magic = b"\x1f\x8b" if coding == "gzip" else b"\x78"
                self.assertTrue(all(s[0] == coding and s[1].startswith(magic) for s in seen), seen)
                self.assertLess(seen[0][3], seen[0][2] // 100)  # the PutItem: 300 KB sent as ~1 KB
                # the plain client reads the same items
                self.assertEqual(self.ddb.query(TableName="ztab", KeyConditionExpression="pk = :p",
                                                ExpressionAttributeValues={":p": {"S": coding}})["Count"], 26)

    def test_streams_compressed(self):
        seen = []
        s = compressing(self.srv.client("dynamodbstreams"), "gzip", seen)
        arn = self.ddb.describe_table(TableName="ztab")["Table"]["LatestStreamArn"]
        shards = s.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        it = s.get_shard_iterator(StreamArn=arn, ShardId=shards[0]["ShardId"],
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.assertIsInstance(s.get_records(ShardIterator=it)["Records"], list)
        self.assertEqual(len(seen), 3)

    def test_signature_covers_the_compressed_bytes(self):
        raw = json.dumps({"TableName": "ztab", "Item": {"pk": {"S": "sig"}, "sk": {"N": "1"}}}).encode()
        packed = gzip.compress(raw)
        # signed over the compressed bytes, with and without x-amz-content-sha256: accepted
        for sha in (False, True):
            st, _, body = self.post(packed, {"Content-Encoding": "gzip"}, sha_header=sha)
            self.assertEqual(st, 200, body)
        # signed over other bytes (the uncompressed body) but sent compressed: refused
        req = AWSRequest(method="POST", url=self.srv.endpoint + "/", data=raw, headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.PutItem",
            "Content-Encoding": "gzip"})
        SigV4Auth(Credentials(self.srv.access_key, self.srv.secret_key), "dynamodb", self.srv.region).add_auth(req)
        h = dict(req.prepare().headers)
        h["Content-Length"] = str(len(packed))
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
        c.request("POST", "/", body=packed, headers=h)
        r = c.getresponse()
        self.assertEqual(r.status, 400)
        self.assertIn(b"InvalidSignatureException", r.read())
        c.close()
        # a coding we do not have, unsigned: the missing signature is what is answered
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
        c.request("POST", "/", body=b"{}", headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                                   "Content-Encoding": "br",
                                                   "Content-Type": "application/x-amz-json-1.0"})
        r = c.getresponse()
        self.assertEqual(r.status, 400)
        self.assertIn(b"MissingAuthenticationTokenException", r.read())
        c.close()

    def test_errors_carry_no_write(self):
        # H-rows check the answers; here: a broken stream leaves the table as it was, and the
        # connection goes on serving (keep-alive) after the 500.
        raw = json.dumps({"TableName": "ztab", "Item": {"pk": {"S": "broken"}, "sk": {"N": "1"}}}).encode()
        st, h, body = self.post(gzip.compress(raw)[:-4], {"Content-Encoding": "gzip"})
        self.assertEqual(st, 500, body)
        self.assertIn(b"InternalServerError", body)
        self.assertIn("x-amz-crc32", h)
        self.assertNotIn("Item", self.ddb.get_item(TableName="ztab", Key={"pk": {"S": "broken"}, "sk": {"N": "1"}}))
        # identity is no coding at all
        st, _, body = self.post(raw, {"Content-Encoding": "identity"})
        self.assertEqual(st, 200, body)
        # gzip members may follow one another
        st, _, body = self.post(gzip.compress(raw[:7]) + gzip.compress(raw[7:]), {"Content-Encoding": "GZIP"})
        self.assertEqual(st, 200, body)

    def test_bomb_is_refused_without_growing(self):
        # 1 GiB of blanks inside a PutItem compresses to about 1 MiB; the server stops
        # decompressing at the 16 MB limit. Four at once, twice (with and without
        # x-amz-content-sha256), while RSS is sampled.
        head = json.dumps({"TableName": "ztab", "Item": {"pk": {"S": "bomb"}, "sk": {"N": "1"}}}).encode()
        z = zlib.compressobj(9, zlib.DEFLATED, 16 + 15)
        parts = [z.compress(head[:-1])]
        blanks = b" " * (1 << 20)
        for _ in range(1024):
            parts.append(z.compress(blanks))
        parts.append(z.compress(head[-1:]))
        parts.append(z.flush())
        bomb = b"".join(parts)
        self.assertLess(len(bomb), 2 << 20)
        pid = self.srv.proc.pid
        before = rss_kb(pid)
        results = []

        def send(sha):
            try:
                results.append(self.post(bomb, {"Content-Encoding": "gzip"}, sha_header=sha)[:3:2])
            except (ConnectionError, OSError) as e:  # the server may close before all is sent
                results.append(("closed", repr(e)))

        peak = before
        for sha in (False, True):
            ts = [threading.Thread(target=send, args=(sha,)) for _ in range(4)]
            for t in ts:
                t.start()
            deadline = time.time() + 60
            while any(t.is_alive() for t in ts) and time.time() < deadline:
                peak = max(peak, rss_kb(pid))
                time.sleep(0.01)
            for t in ts:
                t.join(timeout=max(0.1, deadline - time.time()))
        self.assertEqual(len(results), 8, results)
        for r in results:
            if r[0] != "closed":
                # 413 for the limit; 503 when the unauthenticated-bytes budget is spent first
                self.assertIn(r[0], (413, 503), r)
                self.assertTrue(b"RequestEntityTooLarge" in r[1] or b"ThrottlingException" in r[1], r)
        self.assertTrue(any(r[0] == 413 for r in results), results)
        grew_mb = (max(peak, rss_kb(pid)) - before) / 1024
        # Decompressed whole, the eight bodies would be 8 GiB. Four at a time hold at most 4 x 16 MB
        # (about 50 MB was measured); the bound leaves room for ASan's 256 MB quarantine.
        self.assertLess(grew_mb, 4 * 32 + 256, f"RSS grew {grew_mb:.0f} MB")
        self.assertNotIn("Item", self.ddb.get_item(TableName="ztab", Key={"pk": {"S": "bomb"}, "sk": {"N": "1"}}))
        # and the server still answers
        self.assertIn("ztab", self.ddb.list_tables()["TableNames"])

    def test_s3_content_encoding_is_metadata(self):
        s3 = self.srv.client("s3", s3={"addressing_style": "path"})
        s3.create_bucket(Bucket="zbucket")
        packed = gzip.compress(b"stored as sent")
        s3.put_object(Bucket="zbucket", Key="k.gz", Body=packed, ContentEncoding="gzip")
        got = s3.get_object(Bucket="zbucket", Key="k.gz")
        self.assertEqual(got["ContentEncoding"], "gzip")
        self.assertEqual(got["Body"].read(), packed)


if __name__ == "__main__":
    unittest.main()
