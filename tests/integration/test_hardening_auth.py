# SPDX-License-Identifier: Apache-2.0
"""Authentication hardening: unsigned headers are refused, unauthenticated bodies are bounded.

SignedHeaders must name host and every x-amz-* header sent (header authentication and presigned
URLs), or a captured request could be replayed with a copy source, a target or metadata added.
Bodies read before their signature is checked (no x-amz-content-sha256) have a memory budget per
client address and a deadline that trickling bytes do not extend.
"""
import datetime
import hashlib
import hmac
import http.client
import json
import socket
import time
import unittest
import urllib.request

from stratus_fixture import Server

AMZ_DATE_FMT = "%Y%m%dT%H%M%SZ"


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign(srv, service, method, path, signed, payload_hash, query=""):
    """SigV4 over exactly the headers in `signed` (a dict of lower-case names); returns the
    headers to send (signed ones plus Authorization). The path must need no encoding."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime(AMZ_DATE_FMT)
    date = amz_date[:8]
    hdrs = dict(signed)
    hdrs["x-amz-date"] = amz_date
    names = sorted(hdrs)
    creq = "\n".join([method, path, query,
                      "".join(f"{n}:{hdrs[n].strip()}\n" for n in names),
                      ";".join(names), payload_hash])
    scope = f"{date}/{srv.region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    key = _hmac(("AWS4" + srv.secret_key).encode(), date)
    for part in (srv.region, service, "aws4_request"):
        key = _hmac(key, part)
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    hdrs["authorization"] = (f"AWS4-HMAC-SHA256 Credential={srv.access_key}/{scope}, "
                             f"SignedHeaders={';'.join(names)}, Signature={sig}")
    return hdrs


def send(srv, method, path, headers, body=b"", query=""):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.putrequest(method, path + ("?" + query if query else ""), skip_host=True,
                        skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        if body or method in ("PUT", "POST"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()


class UnsignedHeaders(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.host = f"127.0.0.1:{cls.srv.port}"
        cls.s3 = cls.srv.client("s3")
        cls.s3.create_bucket(Bucket="secret-bucket")
        cls.s3.put_object(Bucket="secret-bucket", Key="secret", Body=b"top secret")
        cls.s3.create_bucket(Bucket="pub")
        cls.ddb = cls.srv.client("dynamodb")
        cls.ddb.create_table(
            TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def s3_put(self, key, body, extra, signed_extra=None):
        ph = hashlib.sha256(body).hexdigest()
        signed = {"host": self.host, "x-amz-content-sha256": ph}
        signed.update(signed_extra or {})
        hdrs = sign(self.srv, "s3", "PUT", f"/pub/{key}", signed, ph)
        hdrs.update(extra)
        return send(self.srv, "PUT", f"/pub/{key}", hdrs, body)

    def assert_not_stored(self, key):
        with self.assertRaises(self.s3.exceptions.ClientError):
            self.s3.head_object(Bucket="pub", Key=key)

    def test_signed_request_passes(self):
        st, body = self.s3_put("ok", b"hello", {}, {"x-amz-meta-a": "1"})
        self.assertEqual(st, 200, body)
        self.assertEqual(self.s3.head_object(Bucket="pub", Key="ok")["Metadata"], {"a": "1"})

    def test_unsigned_copy_source(self):
        st, body = self.s3_put("copy", b"", {"x-amz-copy-source": "/secret-bucket/secret"})
        self.assertEqual(st, 403, body)
        self.assertIn("<Code>AccessDenied</Code>", body)
        self.assertIn("There were headers present in the request which were not signed", body)
        self.assertIn("<HeadersNotSigned>x-amz-copy-source</HeadersNotSigned>", body)
        self.assert_not_stored("copy")

    def test_unsigned_metadata_and_tagging(self):
        st, body = self.s3_put("meta", b"data", {"X-Amz-Meta-Owner": "mallory",
                                                 "x-amz-tagging": "a=b"})
        self.assertEqual(st, 403, body)
        self.assertIn("<HeadersNotSigned>x-amz-meta-owner, x-amz-tagging</HeadersNotSigned>", body)
        self.assert_not_stored("meta")

    def test_s3_host_not_signed(self):
        ph = hashlib.sha256(b"").hexdigest()
        hdrs = sign(self.srv, "s3", "GET", "/secret-bucket/secret",
                    {"x-amz-content-sha256": ph}, ph)
        hdrs["Host"] = self.host
        st, body = send(self.srv, "GET", "/secret-bucket/secret", hdrs)
        self.assertEqual(st, 403, body)
        self.assertIn("<HeadersNotSigned>host</HeadersNotSigned>", body)
        self.assertNotIn("top secret", body)

    def test_presigned_unsigned_header(self):
        s3v4 = self.srv.client("s3", signature_version="s3v4")
        url = s3v4.generate_presigned_url(
            "put_object", Params={"Bucket": "pub", "Key": "pre"}, ExpiresIn=300)
        req = urllib.request.Request(url, data=b"x", method="PUT",
                                     headers={"x-amz-meta-evil": "1"})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=10)
        text = cm.exception.read()
        self.assertEqual(cm.exception.code, 403, text)
        self.assertIn(b"<HeadersNotSigned>x-amz-meta-evil</HeadersNotSigned>", text)
        self.assert_not_stored("pre")
        # The same URL without the header works (X-Amz-* query parameters are not headers).
        req = urllib.request.Request(url, data=b"x", method="PUT")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)

    def ddb_call(self, signed_target, sent_target, body, sign_host=True):
        ph = hashlib.sha256(body).hexdigest()
        signed = {"content-type": "application/x-amz-json-1.0"}
        if sign_host:
            signed["host"] = self.host
        if signed_target:
            signed["x-amz-target"] = "DynamoDB_20120810." + signed_target
        hdrs = sign(self.srv, "dynamodb", "POST", "/", signed, ph)
        hdrs.pop("x-amz-target", None)
        hdrs["Host"] = hdrs.pop("host", self.host)
        hdrs["X-Amz-Target"] = "DynamoDB_20120810." + sent_target
        st, text = send(self.srv, "POST", "/", hdrs, body)
        return st, json.loads(text) if text else {}

    def test_ddb_target_not_signed(self):
        self.ddb.put_item(TableName="tbl", Item={"pk": {"S": "keep"}})
        body = json.dumps({"TableName": "tbl", "Key": {"pk": {"S": "keep"}}}).encode()
        st, r = self.ddb_call("GetItem", "GetItem", body)
        self.assertEqual(st, 200, r)  # the builder signs correctly
        st, r = self.ddb_call(None, "DeleteItem", body)
        self.assertEqual(st, 400, r)
        self.assertTrue(r["__type"].endswith("#InvalidSignatureException"), r)
        self.assertEqual(r["message"],
                         "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.")
        self.assertIn("Item", self.ddb.get_item(TableName="tbl", Key={"pk": {"S": "keep"}}))

    def test_ddb_host_not_signed(self):
        body = json.dumps({"TableName": "tbl", "Key": {"pk": {"S": "keep"}}}).encode()
        st, r = self.ddb_call("GetItem", "GetItem", body, sign_host=False)
        self.assertEqual(st, 400, r)
        self.assertTrue(r["__type"].endswith("#InvalidSignatureException"), r)
        self.assertEqual(r["message"], "'Host' or ':authority' must be a 'SignedHeader' in the "
                                       "AWS Authorization.")


class RawDdb:
    """A server and raw DynamoDB requests on sockets, for bodies sent in pieces."""
    SERVER_ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(*cls.SERVER_ARGS).start()
        cls.host = f"127.0.0.1:{cls.srv.port}"

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def head(self, length, target="PutItem"):
        """Headers of a DynamoDB request without x-amz-content-sha256 (the signature covers the
        hash of a body of `length` spaces, which is what is sent when it is sent whole)."""
        ph = hashlib.sha256(b" " * length).hexdigest()
        hdrs = sign(self.srv, "dynamodb", "POST", "/",
                    {"host": self.host, "content-type": "application/x-amz-json-1.0",
                     "x-amz-target": "DynamoDB_20120810." + target}, ph)
        lines = "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        return f"POST / HTTP/1.1\r\n{lines}Content-Length: {length}\r\n\r\n".encode()

    def open(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 16)
        return s

    @staticmethod
    def send_until_answered(s, data):
        """Send data; stop early if the server answers. Returns the answer (b"" if none)."""
        s.setblocking(False)
        view = memoryview(data)
        got = b""
        deadline = time.monotonic() + 20
        while view and time.monotonic() < deadline:
            try:
                got += s.recv(65536)
                if got:
                    break
            except BlockingIOError:
                pass
            except OSError:
                break
            try:
                n = s.send(view[:1 << 16])
                view = view[n:]
            except BlockingIOError:
                time.sleep(0.002)
            except OSError:
                break
        s.settimeout(5)
        if not got:
            try:
                got = s.recv(65536)
            except (socket.timeout, OSError):
                pass
        return got



class UnauthenticatedBudget(RawDdb, unittest.TestCase):
    def test_per_address_budget(self):
        size = 10 << 20
        a = self.open()
        a.sendall(self.head(size))
        a.sendall(b" " * (9 << 20))  # all but 1 MiB: held, unverified
        time.sleep(0.5)
        b = self.open()
        got = self.send_until_answered(b, self.head(size) + b" " * (9 << 20))
        self.assertTrue(got.startswith(b"HTTP/1.1 503"), got[:200])
        self.assertIn(b"ThrottlingException", got)
        b.close()
        a.close()
        time.sleep(0.5)
        # What the dead connections held is free again: another held body and a whole one fit.
        a = self.open()
        a.sendall(self.head(size))
        a.sendall(b" " * (9 << 20))
        time.sleep(0.5)
        c = self.open()
        got = self.send_until_answered(c, self.head(6 << 20) + b" " * (6 << 20))
        # The body is not JSON: the request is decoded, so it was authenticated and admitted.
        self.assertTrue(got.startswith(b"HTTP/1.1 400"), got[:300])
        self.assertNotIn(b"Throttling", got)
        c.close()
        a.close()



class UnauthenticatedDeadline(RawDdb, unittest.TestCase):
    SERVER_ARGS = ("--body-timeout", "1500")

    def test_trickle_does_not_extend_deadline(self):
        s = self.open()
        s.sendall(self.head(1000))
        s.setblocking(False)
        t0 = time.monotonic()
        got = b""
        while time.monotonic() - t0 < 6 and not got:
            try:
                s.send(b" ")
            except OSError:
                break
            time.sleep(0.2)
            try:
                got = s.recv(65536)
                if not got:
                    break
            except BlockingIOError:
                pass
            except OSError:
                break
        elapsed = time.monotonic() - t0
        s.close()
        self.assertLess(elapsed, 4.0, "a trickled unauthenticated body kept its connection")
        if got:
            self.assertTrue(got.startswith(b"HTTP/1.1 408"), got[:200])

    def test_authenticated_body_keeps_sliding_timeout(self):
        # With x-amz-content-sha256 the signature is checked before the body: the usual
        # timeout between reads applies, so a slow but steady sender is not cut.
        body = b" " * 12
        ph = hashlib.sha256(body).hexdigest()
        hdrs = sign(self.srv, "dynamodb", "POST", "/",
                    {"host": self.host, "content-type": "application/x-amz-json-1.0",
                     "x-amz-content-sha256": ph, "x-amz-target": "DynamoDB_20120810.ListTables"},
                    ph)
        lines = "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        s = self.open()
        s.sendall(f"POST / HTTP/1.1\r\n{lines}Content-Length: {len(body)}\r\n\r\n".encode())
        for i in range(len(body)):
            s.sendall(body[i:i + 1])
            time.sleep(0.2)  # 2.4 s in all, more than the 1.5 s body timeout
        s.settimeout(5)
        got = s.recv(65536)
        s.close()
        self.assertTrue(got.startswith(b"HTTP/1.1 400"), got[:200])  # decoded (not JSON)


if __name__ == "__main__":
    unittest.main()
