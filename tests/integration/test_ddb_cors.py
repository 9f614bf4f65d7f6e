# SPDX-License-Identifier: Apache-2.0
"""CORS on the DynamoDB endpoint (issue 17, package H): the browser's preflight (curl, as
DynamoDB's endpoint answers it: any origin, the method and headers asked for echoed, the exposed
headers, a two-day Max-Age), Access-Control-* on every response to a request with an Origin
(errors and Streams too), nothing without one; S3's answers unchanged; and a real browser
(headless Chromium on another loopback origin) calling PutItem/GetItem with fetch, one request
gzipped in the page."""
import os
import socket
import subprocess
import time
import unittest

import browser
from stratus_fixture import Server

HERE = os.path.dirname(os.path.abspath(__file__))
SDK_HEADERS = ("Content-Type,X-Amz-Target,user-agent,content-length,host,Authorization,"
               "amz-sdk-invocation-id,amz-sdk-request,x-amz-security-token")
EXPOSE = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"


def curl(*args):
    r = subprocess.run(["curl", "-s", "-i", "--max-time", "20", *args], capture_output=True, timeout=30)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, body


def with_origin(client, origin):
    def hook(request, **kw):
        request.headers["Origin"] = origin
    client.meta.events.register("before-sign.*.*", hook)
    return client


def metric(srv, name):
    _, _, body = curl(srv.endpoint + "/metrics")
    total = 0.0
    for line in body.decode().splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


class Cors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.ddb.create_table(
            TableName="cors_t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def preflight(self, *headers):
        args = ["-X", "OPTIONS", self.srv.endpoint + "/"]
        for h in headers:
            args += ["-H", h]
        return curl(*args)

    def test_preflight_as_dynamodb_answers_it(self):
        st, h, body = self.preflight("Origin: https://foo.example", "Access-Control-Request-Method: POST",
                                     "Access-Control-Request-Headers: " + SDK_HEADERS)
        self.assertEqual(st, 200)
        self.assertEqual(body, b"")
        self.assertEqual(h["access-control-allow-origin"], "*")
        self.assertEqual(h["access-control-allow-headers"], SDK_HEADERS)
        self.assertEqual(h["access-control-allow-methods"], "POST")
        self.assertEqual(h["access-control-expose-headers"], EXPOSE)
        self.assertEqual(h["access-control-max-age"], "172800")
        self.assertEqual(h["content-length"], "0")
        self.assertRegex(h["x-amzn-requestid"], r"^[0-9A-Z]{32}$")
        self.assertNotIn("content-type", h)
        self.assertNotIn("x-amz-request-id", h)  # not S3's answer
        # The method and headers asked for are echoed, whatever they are (as DynamoDB does).
        st, h, _ = self.preflight("Origin: http://127.0.0.1:9", "Access-Control-Request-Method: d",
                                  "Access-Control-Request-Headers: a, b, x-amz-target")
        self.assertEqual((st, h["access-control-allow-methods"], h["access-control-allow-headers"]),
                         (200, "d", "a, b, x-amz-target"))
        # No method asked for: none allowed.
        st, h, _ = self.preflight("Origin: http://x", "Access-Control-Request-Headers: x-amz-target")
        self.assertEqual(st, 200)
        self.assertNotIn("access-control-allow-methods", h)
        # Not a CORS request (no Origin): DynamoDB's 404.
        st, h, body = self.preflight("Access-Control-Request-Headers: x-amz-target")
        self.assertEqual((st, body), (404, b"<UnknownOperationException/>\n"))
        self.assertNotIn("access-control-allow-origin", h)

    def test_preflight_is_unauthenticated_and_inert(self):
        before = metric(self.srv, "stratus_authz_unchecked_total")
        # With garbage credentials it is still the preflight's answer: nothing is verified,
        # read or written.
        st, h, body = self.preflight("Origin: http://evil.example", "Access-Control-Request-Method: POST",
                                     "Access-Control-Request-Headers: x-amz-target,content-type",
                                     "Authorization: AWS4-HMAC-SHA256 Credential=nobody/x, SignedHeaders=host, Signature=0",
                                     "X-Amz-Target: DynamoDB_20120810.DeleteTable")
        self.assertEqual((st, body), (200, b""))
        self.assertEqual(self.ddb.describe_table(TableName="cors_t")["Table"]["TableStatus"], "ACTIVE")
        # The preflight's row cannot be reached by naming it: an unsigned POST is refused.
        st, _, body = curl("-X", "POST", self.srv.endpoint + "/", "-H", "X-Amz-Target: DynamoDB_20120810.Preflight",
                           "-H", "Content-Type: application/x-amz-json-1.0", "-d", "{}")
        self.assertEqual(st, 400)
        self.assertIn(b"MissingAuthenticationTokenException", body)
        self.assertEqual(metric(self.srv, "stratus_authz_unchecked_total"), before)
        # counted as DynamoDB's preflight
        self.assertGreater(metric(self.srv, 'stratus_requests_total{api="dynamodb",operation="Preflight"'), 0)

    def test_preflight_body_is_not_held(self):
        # The preflight is answered before any signature: a body sent with it must not be held
        # in memory outside the unauthenticated budget (16 MB per connection, uncharged). A
        # browser sends none; one declared or streamed is refused as too large. Raw sockets:
        # the server answers 413 and closes without reading the body, so a client still
        # uploading (curl) may see the reset before the answer; this one reads the answer.
        host, port = "127.0.0.1", int(self.srv.endpoint.rsplit(":", 1)[1])
        head = ("OPTIONS / HTTP/1.1\r\nHost: {h}:{p}\r\nOrigin: http://x\r\n"
                "Access-Control-Request-Headers: x-amz-target\r\n").format(h=host, p=port)
        # Only a few body bytes are sent, all of which the server reads: a close with unread
        # data would be a reset, which can discard the answer before it is read.
        for framing, first in (("Content-Length: %d\r\n\r\n" % (8 << 20), b""),
                               ("Transfer-Encoding: chunked\r\n\r\n",
                                b"%x\r\n" % (8 << 20) + b"x" * 16)):
            with socket.create_connection((host, port), timeout=10) as s:
                s.sendall((head + framing).encode())
                try:
                    s.sendall(first)
                except OSError:
                    pass  # the server may already have answered and closed
                got = b""
                deadline = time.monotonic() + 10
                while b"\r\n" not in got and time.monotonic() < deadline:
                    try:
                        chunk = s.recv(4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    got += chunk
            self.assertTrue(got.startswith(b"HTTP/1.1 413"), (framing, got[:200]))
        st, _, _ = self.preflight("Origin: http://x", "Access-Control-Request-Headers: x-amz-target")
        self.assertEqual(st, 200)

    def test_responses_carry_cors_headers_with_an_origin(self):
        c = with_origin(self.srv.client("dynamodb"), "http://127.0.0.1:1234")
        r = c.list_tables()
        h = r["ResponseMetadata"]["HTTPHeaders"]
        self.assertEqual(h["access-control-allow-origin"], "*")
        self.assertEqual(h["access-control-expose-headers"], EXPOSE)
        self.assertIn("x-amz-crc32", h)  # the SDK's check still works
        # errors too
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as e:
            c.get_item(TableName="missing_t", Key={"pk": {"S": "a"}})
        h = e.exception.response["ResponseMetadata"]["HTTPHeaders"]
        self.assertEqual((h["access-control-allow-origin"], h["access-control-expose-headers"]), ("*", EXPOSE))
        # unsigned, refused before any operation: still readable by the page
        st, h, body = curl("-X", "POST", self.srv.endpoint + "/", "-H", "Origin: http://x",
                           "-H", "X-Amz-Target: DynamoDB_20120810.ListTables",
                           "-H", "Content-Type: application/x-amz-json-1.0", "-d", "{}")
        self.assertEqual((st, h["access-control-allow-origin"]), (400, "*"))
        # Streams
        s = with_origin(self.srv.client("dynamodbstreams"), "http://x")
        h = s.list_streams()["ResponseMetadata"]["HTTPHeaders"]
        self.assertEqual(h["access-control-allow-origin"], "*")
        # no Origin, no CORS headers
        h = self.ddb.list_tables()["ResponseMetadata"]["HTTPHeaders"]
        self.assertFalse([k for k in h if k.startswith("access-control-")], h)

    def test_s3_keeps_its_own_cors(self):
        # A preflight that names no X-Amz-Target is S3's (the service root, a bucket).
        st, h, _ = self.preflight("Origin: http://x", "Access-Control-Request-Method: GET")
        self.assertEqual(st, 200)
        self.assertIn("x-amz-request-id", h)
        s3 = self.srv.client("s3", s3={"addressing_style": "path"})
        s3.create_bucket(Bucket="cors-b")
        st, _, body = curl("-X", "OPTIONS", self.srv.endpoint + "/cors-b/k", "-H", "Origin: http://x",
                           "-H", "Access-Control-Request-Method: PUT",
                           "-H", "Access-Control-Request-Headers: x-amz-target")
        self.assertEqual(st, 403)
        self.assertIn(b"CORS is not enabled for this bucket", body)

    def test_chromium_calls_dynamodb(self):
        if browser.CHROMIUM is None:
            self.skipTest("chromium is not installed")
        with open(os.path.join(HERE, "ddb_browser_page.html"), "rb") as f:
            page = f.read()
        with browser.page_server(page) as origin:
            cfg = {"endpoint": self.srv.endpoint, "region": self.srv.region, "accessKey": self.srv.access_key,
                   "secretKey": self.srv.secret_key, "table": "cors_t"}
            res, out = browser.run_page(origin, cfg)
            self.assertIsNotNone(res, out)
            self.assertNotIn("error", res, res)
            self.assertEqual((res["put"], res["get"]), (200, 200), res)
            self.assertEqual(res["getItem"], {"pk": {"S": "browser"}, "v": {"S": "from the page"}})
            self.assertRegex(res["putRequestId"], r"^[0-9A-Z]{32}$")  # exposed
            self.assertIsNone(res["putCrc32"])  # not exposed, as from DynamoDB
            self.assertEqual((res["zput"], res["zgetLength"]), (200, 50000), res)
            self.assertEqual(res["missing"], 400)
            self.assertTrue(res["missingType"].endswith("ResourceNotFoundException"), res)
            self.assertTrue(res["missingRequestId"], res)
            got = self.ddb.get_item(TableName="cors_t", Key={"pk": {"S": "gzipped"}}, ConsistentRead=True)
            self.assertEqual(len(got["Item"]["v"]["S"]), 50000)


if __name__ == "__main__":
    unittest.main()
