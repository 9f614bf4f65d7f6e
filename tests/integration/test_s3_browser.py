# SPDX-License-Identifier: Apache-2.0
"""Browser uploads: POST Object (HTML form upload with a signed policy) from raw HTTP, and
presigned PUT/GET plus POST Object from headless Chromium on a loopback page of another
origin, through the bucket's CORS rules."""
import hashlib
import http.client
import os
import unittest
import uuid

import browser
from stratus_fixture import Server

HERE = os.path.dirname(os.path.abspath(__file__))


def multipart(fields, filename, data, file_first=False):
    b = uuid.uuid4().hex
    parts = [f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    f = (f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
         f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    body = (f if file_first else b"") + b"".join(parts) + (b"" if file_first else f)
    return b, body + f"--{b}--\r\n".encode()


class S3Browser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"}, signature_version="s3v4")
        cls.s3.create_bucket(Bucket="forms")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def post(self, fields, data, filename="f.bin", **kw):
        b, body = multipart(fields, filename, data, **kw)
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
        c.request("POST", "/forms", body=body, headers={"Content-Type": f"multipart/form-data; boundary={b}"})
        r = c.getresponse()
        out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        c.close()
        return out

    def policy(self, key="uploads/${filename}", fields=None, conditions=None, expires=300):
        fields = dict(fields or {})
        conds = [["starts-with", "$key", "uploads/"]] + [{k: v} for k, v in fields.items()] + (conditions or [])
        return self.s3.generate_presigned_post("forms", key, Fields=fields, Conditions=conds,
                                               ExpiresIn=expires)["fields"]

    def test_post_object(self):
        f = self.policy(fields={"Content-Type": "text/plain", "success_action_status": "201",
                                "x-amz-meta-source": "form"},
                        conditions=[["content-length-range", 1, 20 * 1024 * 1024]])
        # A body that holds the delimiter's prefix, CRLFs and dashes must come back intact;
        # 12 MiB stream through the form reader into storage.
        data = os.urandom(12 * 1024 * 1024) + b"\r\n--\r\n-" + os.urandom(100)
        st, h, body = self.post(f, data, filename="big.bin")
        self.assertEqual(st, 201, body)
        self.assertIn(b"<Key>uploads/big.bin</Key>", body)
        self.assertEqual(h["etag"], '"%s"' % hashlib.md5(data).hexdigest())
        g = self.s3.get_object(Bucket="forms", Key="uploads/big.bin")
        self.assertEqual(hashlib.sha256(g["Body"].read()).digest(), hashlib.sha256(data).digest())
        self.assertEqual((g["ContentType"], g["Metadata"]), ("text/plain", {"source": "form"}))
        # The default answer is 204; a redirect is a 303 to it with bucket, key and ETag.
        st, _, _ = self.post(self.policy(), b"small")
        self.assertEqual(st, 204)
        f = self.policy(fields={"success_action_redirect": "http://127.0.0.1:9/done"})
        st, h, _ = self.post(f, b"r", filename="r.txt")
        self.assertEqual(st, 303)
        self.assertTrue(h["location"].startswith("http://127.0.0.1:9/done?bucket=forms&key=uploads%2Fr.txt&etag="))

    def test_post_object_refusals(self):
        ok = self.policy(conditions=[["content-length-range", 2, 10]])
        cases = [
            (dict(ok, key="elsewhere/x"), b"abc", 403, "AccessDenied"),                 # condition fails
            (dict(ok, **{"x-amz-signature": "0" * 64}), b"abc", 403, "SignatureDoesNotMatch"),
            (dict(ok, **{"x-amz-meta-extra": "1"}), b"abc", 403, "AccessDenied"),      # field not in policy
            (ok, b"x" * 11, 400, "EntityTooLarge"),
            (ok, b"x", 400, "EntityTooSmall"),
            (self.policy(expires=-60), b"abc", 403, "AccessDenied"),                    # expired
            ({"key": "uploads/anon"}, b"abc", 403, "AccessDenied"),                     # unsigned
        ]
        for fields, data, st, code in cases:
            with self.subTest(code=code, fields=sorted(fields)):
                got, _, body = self.post(fields, data)
                self.assertEqual(got, st, body)
                self.assertIn(f"<Code>{code}</Code>".encode(), body)
        # The file must come last: fields after it are ignored, so the key is missing.
        got, _, body = self.post(ok, b"abc", file_first=True)
        self.assertEqual(got, 403, body)
        # Not multipart at all.
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        c.request("POST", "/forms", body=b"--x\r\nnope", headers={"Content-Type": "multipart/form-data; boundary=x"})
        r = c.getresponse()
        self.assertEqual(r.status, 400)
        self.assertIn(b"MalformedPOSTRequest", r.read())
        c.close()
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket="forms", Prefix="elsewhere/"))

    def test_chromium_presigned_and_form_uploads(self):
        self.assertIsNotNone(browser.CHROMIUM, "chromium is installed by `make deps`")
        with open(os.path.join(HERE, "browser_page.html"), "rb") as f:
            page = f.read()
        with browser.page_server(page) as origin:
            self.s3.create_bucket(Bucket="browser")
            self.s3.put_bucket_cors(Bucket="browser", CORSConfiguration={"CORSRules": [{
                "AllowedOrigins": [origin], "AllowedMethods": ["GET", "PUT", "POST"],
                "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"]}]})
            post = self.s3.generate_presigned_post("browser", "forms/${filename}", Conditions=[
                ["starts-with", "$key", "forms/"]], ExpiresIn=300)
            cfg = {"put": self.s3.generate_presigned_url("put_object", Params={"Bucket": "browser", "Key": "put.txt"}),
                   "get": self.s3.generate_presigned_url("get_object", Params={"Bucket": "browser", "Key": "put.txt"}),
                   "post": post}
            res, out = browser.run_page(origin, cfg)
            self.assertIsNotNone(res, out)
            self.assertNotIn("error", res, res)
            self.assertEqual((res["put"], res["get"], res["getBody"]), (200, 200, "from the browser"))
            self.assertTrue(res["putEtag"], res)  # exposed through the CORS rule
            self.assertEqual(res["post"], 204, res)
            self.assertEqual(res["refused"], 403, res)
            self.assertIn("AccessDenied", res["refusedBody"])
            got = self.s3.get_object(Bucket="browser", Key="forms/note.txt")["Body"].read()
            self.assertEqual(got, b"form upload from the browser")


if __name__ == "__main__":
    unittest.main()
