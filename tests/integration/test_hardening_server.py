# SPDX-License-Identifier: Apache-2.0
"""Server hardening: descriptors and HTTP framing.

Descriptors: stratusd runs under a low descriptor limit (256) while a client holds more idle
connections than the limit. The connections must not take the descriptors storage needs: writes
and reads go on while they are held (before the fix, accept and RocksDB failed with "Too many
open files" and new connections were dropped), and everything works once they close. The soft
limit is raised to the hard one at start.

Framing: the request-smuggling forms a lenient HTTP/1.1 parser accepts are refused with 400 and
the connection closes, over a real socket to the real server.
"""
import os
import re
import shutil
import socket
import stat
import tempfile
import time
import unittest
import urllib.request
import uuid

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import stratus_fixture
from stratus_fixture import AK, SK, Server

IDLE = 300  # idle connections held, more than the limit


def limited_server(soft, hard, *extra):
    """A Server whose stratusd starts under the given RLIMIT_NOFILE (a wrapper script)."""
    wrap_dir = tempfile.mkdtemp(prefix="stratus-nofile-")
    wrapper = os.path.join(wrap_dir, "stratusd")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nulimit -Sn %d && ulimit -Hn %d || exit 99\nexec '%s' \"$@\"\n"
                % (soft, hard, os.path.abspath(stratus_fixture.STRATUSD)))
    os.chmod(wrapper, stat.S_IRWXU)
    saved = stratus_fixture.STRATUSD
    stratus_fixture.STRATUSD = wrapper
    try:
        srv = Server(*extra).start()
    finally:
        stratus_fixture.STRATUSD = saved
        shutil.rmtree(wrap_dir, ignore_errors=True)
    return srv


def metric(srv, name):
    with urllib.request.urlopen(srv.endpoint + "/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(r"^" + re.escape(name) + r" (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


class DescriptorLimit(unittest.TestCase):
    def tearDown(self):
        for s in getattr(self, "socks", []):
            s.close()
        if getattr(self, "srv", None):
            self.srv.cleanup()

    def hold_idle(self, n):
        self.socks = []
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=5)
            self.socks.append(s)
        time.sleep(0.5)  # let the server accept them all

    def writes_and_reads(self, tag, n=20, size=4096):
        """Writes and reads on new connections (fresh clients)."""
        ddb, s3 = self.srv.client("dynamodb"), self.srv.client("s3")
        for i in range(n):
            key = f"{tag}-{i}"
            ddb.put_item(TableName="held", Item={"pk": {"S": key}, "v": {"N": str(i)}})
            s3.put_object(Bucket="held-bucket", Key=key, Body=os.urandom(size))
            got = ddb.get_item(TableName="held", Key={"pk": {"S": key}}, ConsistentRead=True)
            self.assertEqual(got["Item"]["v"]["N"], str(i))
            body = s3.get_object(Bucket="held-bucket", Key=key)["Body"].read()
            self.assertEqual(len(body), size)

    def test_idle_connections_do_not_starve_storage(self):
        self.srv = limited_server(256, 256)
        ddb, s3 = self.srv.client("dynamodb"), self.srv.client("s3")
        ddb.create_table(TableName="held", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        s3.create_bucket(Bucket="held-bucket")
        limit = metric(self.srv, "stratus_connections_limit")
        self.assertEqual(limit, 128)  # 256 less the reserve (half, as the limit is small)

        self.hold_idle(IDLE)
        # 80 MiB of objects: more than a memtable, so RocksDB opens new files meanwhile.
        self.writes_and_reads("held", n=20, size=4 << 20)
        self.assertLessEqual(metric(self.srv, "stratus_connections"), limit)
        with urllib.request.urlopen(self.srv.endpoint + "/metrics", timeout=10) as r:
            text = r.read().decode()
        closed = re.search(r'stratus_connections_shed_total\{action="closed_idle"\} (\d+)', text)
        self.assertGreaterEqual(int(closed.group(1)), IDLE - limit)
        # The longest idle connections were closed by the server; the newest are still open.
        newest = self.socks[-1]
        newest.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(newest.recv(65536).startswith(b"HTTP/1.1 200"))

        for s in self.socks:
            s.close()
        self.socks = []
        time.sleep(0.3)
        self.writes_and_reads("after")
        # A second wave is handled the same way.
        self.hold_idle(IDLE)
        self.writes_and_reads("again", n=5)
        self.assertNotIn("Too many open files", self.srv.read_log())

    def test_soft_limit_raised_to_hard(self):
        self.srv = limited_server(256, 2048)
        # The cap comes from the raised limit: 2048 less a quarter kept for storage.
        self.assertEqual(metric(self.srv, "stratus_connections_limit"), 1536)
        self.hold_idle(IDLE)  # over the soft limit it started with
        self.assertEqual(metric(self.srv, "stratus_connections"), IDLE + 1)


class Framing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def signed_chunked(self, frames):
        """A signed ListTables whose body {} is framed as given, then a pipelined GET."""
        req = AWSRequest(method="POST", url=self.srv.endpoint + "/", data=b"{}",
                         headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                  "Content-Type": "application/x-amz-json-1.0"})
        SigV4Auth(Credentials(AK, SK), "dynamodb", "us-east-1").add_auth(req)
        head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % self.srv.port
        for k, v in req.headers.items():
            if k.lower() not in ("host", "content-length"):
                head += k.encode() + b": " + v.encode() + b"\r\n"
        return (head + b"Transfer-Encoding: chunked\r\n\r\n" + frames
                + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")

    def refused(self, data):
        out = self.srv.raw(data)
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out[:200])
        self.assertIn(b"Connection: close", out)
        self.assertEqual(out.count(b"HTTP/1.1 "), 1, out)  # nothing after it was served

    def test_smuggling_forms_refused(self):
        health = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        cases = [
            # two bytes other than CRLF after chunk data
            b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"0\r\nXY" + health,
            self.signed_chunked(b"2\r\n{}XY0\r\n\r\n"),
            self.signed_chunked(b"2\r\n{}\n\n0\r\n\r\n"),
            # obsolete line folding
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n",
            b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
            b"0\r\n\r\n" + health,
            # no HTTP version
            b"GET /health\r\n\r\n",
            b"GET /health\r\nHost: x\r\n\r\n",
            # a megabyte of chunk extension
            self.signed_chunked(b"2;x=" + b"e" * 20000 + b"\r\n{}\r\n0\r\n\r\n"),
        ]
        for data in cases:
            with self.subTest(data=data[:80]):
                self.refused(data)

    def test_long_chunk_extension_cut_early(self):
        """A megabyte of extension is refused after the first few KiB, not read to its end."""
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;x=")
        out = b""
        try:
            for _ in range(256):  # up to 1 MiB, stopping once the server answers
                s.sendall(b"e" * 4096)
                s.settimeout(0.01)
                try:
                    out += s.recv(65536)
                except socket.timeout:
                    continue
                if out:
                    break
            s.settimeout(5)
            while not out.endswith(b"\r\n\r\n"):
                b = s.recv(65536)
                if not b:
                    break
                out += b
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.close()
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out[:200])

    def test_early_answer_on_chunked_body_closes(self):
        """Refused at its headers while a chunked body is coming: answered and closed at once."""
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        s.sendall(b"PUT /b/" + uuid.uuid4().hex.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        t0 = time.monotonic()
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
        s.close()
        self.assertLess(time.monotonic() - t0, 3)  # the header timeout is 10 s or more
        self.assertTrue(out.startswith(b"HTTP/1.1 4"), out[:200])
        self.assertIn(b"Connection: close", out)

    def test_well_formed_still_served(self):
        out = self.srv.raw(self.signed_chunked(b"1;a=b\r\n{\r\n1\r\n}\r\n0\r\n\r\n"))
        self.assertEqual(out.count(b"HTTP/1.1 200"), 2, out)
        self.assertIn(b"TableNames", out)
        out = self.srv.raw(b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"0;name=value\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(out.count(b"HTTP/1.1 200"), 2, out)

    def test_empty_header_values_are_not_folds(self):
        # An empty value (boto3 sends `x-amz-tagging:` for Tagging="") is not a folded line.
        for hdr in (b"X-Empty:\r\n", b"X-Empty: \r\n", b"X-Empty:\t\r\n"):
            out = self.srv.raw(b"GET /health HTTP/1.1\r\nHost: x\r\n" + hdr + b"X-B: 1\r\n\r\n")
            self.assertTrue(out.startswith(b"HTTP/1.1 200"), (hdr, out))
        out = self.srv.raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n fold\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out)


if __name__ == "__main__":
    unittest.main()
