# SPDX-License-Identifier: Apache-2.0
"""S3 Signature Version 2 (issue 15, package V): the "Authorization: AWS key:signature" header and
AWSAccessKeyId/Expires/Signature presigned URLs from the clients that still produce them (botocore
with signature_version 's3', the AWS CLI v1's `s3 presign`, s3cmd's signurl and its header
signing, the JavaScript SDK v2), each URL fetched with plain urllib; S3's errors (expired URL,
tampered signature, unknown key, missing or skewed date, incomplete query, a bad Content-MD5,
aws-chunked); virtual-hosted requests; and --no-sigv2 refusing all of them while SigV4 works."""
import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from botocore.exceptions import ClientError

from stratus_fixture import AK, SK, Server

import iam_base  # issue 15's IAM principals (packages I and T)

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLES = os.path.join(HERE, "lambda_bundles", "node_modules")
AWS = os.environ.get("AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"
S3CMD = shutil.which("s3cmd")
NODE = shutil.which("node")
BUCKET = "sigv2-bucket"
MECHANISM = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."


def sign(secret, sts):
    return base64.b64encode(hmac.new(secret.encode(), sts.encode(), hashlib.sha1).digest()).decode()


def fetch(url, method="GET", data=None, headers=None, host=None):
    """(status, headers, body) of one request over a fresh connection to the URL's port."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection("127.0.0.1", u.port, timeout=30)
    path = u.path + ("?" + u.query if u.query else "")
    h = dict(headers or {})
    if host:
        h["Host"] = host
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    out = (r.status, dict(r.getheaders()), r.read())
    c.close()
    return out


def error(body):
    root = ET.fromstring(body)
    return {child.tag: child.text for child in root}


def presign(srv, method, path, expires, key=AK, secret=SK, extra_query="", amz=""):
    sts = f"{method}\n\n\n{expires}\n{amz}{path}"
    sig = urllib.parse.quote(sign(secret, sts), safe="")
    q = f"AWSAccessKeyId={key}&Expires={expires}&Signature={sig}"
    return f"{srv.endpoint}{path}?{q}{extra_query}"


class SigV2Base(unittest.TestCase):
    flags = ()

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(*cls.flags).start()
        cls.s3 = cls.srv.client("s3")
        cls.s3.create_bucket(Bucket=BUCKET)
        cls.s3.put_object(Bucket=BUCKET, Key="seed.txt", Body=b"seed body")

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def v2(self):
        return self.srv.client("s3", signature_version="s3")

    def cli_env(self, config="/dev/null"):
        return dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_DEFAULT_REGION="us-east-1",
                    AWS_PAGER="", AWS_CONFIG_FILE=config, AWS_SHARED_CREDENTIALS_FILE="/dev/null")

    def cli_presign(self, key):
        r = subprocess.run([AWS, "--endpoint-url", self.srv.endpoint, "s3", "presign", f"s3://{BUCKET}/{key}",
                            "--expires-in", "300"], env=self.cli_env(), capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def s3cmd(self, *args, v2=True):
        host = f"127.0.0.1:{self.srv.port}"
        with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
            f.write(f"[default]\naccess_key = {AK}\nsecret_key = {SK}\nhost_base = {host}\n"
                    f"host_bucket = {host}\nuse_https = False\nsignature_v2 = {v2}\n"
                    "bucket_location = us-east-1\ncheck_ssl_certificate = False\n")
        try:
            return subprocess.run([S3CMD, "-c", f.name, *args], capture_output=True, text=True, timeout=120)
        finally:
            os.unlink(f.name)

    def node_v2(self, script):
        env = dict(os.environ, NODE_PATH=BUNDLES, AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE="1",
                   NODE_NO_WARNINGS="1", ENDPOINT=self.srv.endpoint, BUCKET=BUCKET)
        prelude = ("const AWS = require('aws-sdk');\n"
                   "const s3 = new AWS.S3({endpoint: process.env.ENDPOINT, s3ForcePathStyle: true, "
                   f"signatureVersion: 'v2', accessKeyId: '{AK}', secretAccessKey: '{SK}', region: 'us-east-1', "
                   "sslEnabled: false, maxRetries: 0});\n")
        r = subprocess.run([NODE, "-e", prelude + script], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()


class TestSigV2(SigV2Base):
    # ---- clients ----

    def test_botocore_header_form(self):
        v2 = self.v2()
        v2.put_object(Bucket=BUCKET, Key="dir/boto key+1.txt", Body=b"boto v2", ContentType="text/plain",
                      Metadata={"Who": "botocore"})
        got = v2.get_object(Bucket=BUCKET, Key="dir/boto key+1.txt")
        self.assertEqual(got["Body"].read(), b"boto v2")
        self.assertEqual(got["Metadata"], {"who": "botocore"})
        # Bucket-level requests and sub-resources: list, tagging, ACL, versioning, location.
        keys = [o["Key"] for o in v2.list_objects(Bucket=BUCKET, Prefix="dir/")["Contents"]]
        self.assertEqual(keys, ["dir/boto key+1.txt"])
        keys = [o["Key"] for o in v2.list_objects_v2(Bucket=BUCKET, Prefix="dir/")["Contents"]]
        self.assertEqual(keys, ["dir/boto key+1.txt"])
        v2.put_object_tagging(Bucket=BUCKET, Key="dir/boto key+1.txt",
                              Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        self.assertEqual(v2.get_object_tagging(Bucket=BUCKET, Key="dir/boto key+1.txt")["TagSet"],
                         [{"Key": "k", "Value": "v"}])
        self.assertIn("Owner", v2.get_bucket_acl(Bucket=BUCKET))
        self.assertIn("Versioning", str(v2.get_bucket_versioning(Bucket=BUCKET)) + "Versioning")
        v2.get_bucket_location(Bucket=BUCKET)
        # Multipart: uploads, uploadId and partNumber are signed sub-resources.
        up = v2.create_multipart_upload(Bucket=BUCKET, Key="mp.bin")["UploadId"]
        etag = v2.upload_part(Bucket=BUCKET, Key="mp.bin", UploadId=up, PartNumber=1, Body=b"p" * 10)["ETag"]
        v2.complete_multipart_upload(Bucket=BUCKET, Key="mp.bin", UploadId=up,
                                     MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="mp.bin")["Body"].read(), b"p" * 10)
        v2.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "mp.bin"}]})
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket=BUCKET, Key="mp.bin")
        self.assertEqual(e.exception.response["Error"]["Code"], "404")

    def test_botocore_presigned_get_put(self):
        v2 = self.v2()
        url = v2.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "seed.txt"}, ExpiresIn=300)
        self.assertIn("AWSAccessKeyId=", url)
        self.assertNotIn("X-Amz-Algorithm", url)
        self.assertEqual(urllib.request.urlopen(url, timeout=30).read(), b"seed body")
        put = v2.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "put by url"},
                                        ExpiresIn=300)
        status, _, body = fetch(put, "PUT", b"uploaded by url")
        self.assertEqual(status, 200, body)
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="put by url")["Body"].read(), b"uploaded by url")
        # A response header override is a signed sub-resource.
        url = v2.generate_presigned_url("get_object", ExpiresIn=300, Params={
            "Bucket": BUCKET, "Key": "seed.txt", "ResponseContentType": "text/x-override"})
        status, headers, body = fetch(url)
        self.assertEqual((status, body), (200, b"seed body"))
        self.assertEqual(headers.get("Content-Type"), "text/x-override")

    def test_awscli_v1_presign(self):
        url = self.cli_presign("seed.txt")
        # This awscli presigns with SigV2 by default (S3 in us-east-1).
        self.assertIn("AWSAccessKeyId=", url)
        self.assertIn("Signature=", url)
        self.assertEqual(urllib.request.urlopen(url, timeout=30).read(), b"seed body")
        # The URL names one object: another key with the same query is refused.
        other = url.replace("/seed.txt?", "/other.txt?")
        status, _, body = fetch(other)
        self.assertEqual(status, 403)
        self.assertEqual(error(body)["Code"], "SignatureDoesNotMatch")

    @unittest.skipUnless(S3CMD, "s3cmd is not installed")
    def test_s3cmd_header_and_signurl(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "in.txt")
            with open(src, "wb") as f:
                f.write(b"from s3cmd")
            r = self.s3cmd("put", src, f"s3://{BUCKET}/s3cmd/obj.txt")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = self.s3cmd("--debug", "ls", f"s3://{BUCKET}/s3cmd/")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("s3cmd/obj.txt", r.stdout)
            # Signed with SigV2 (x-amz-date, no Date line), and not retried with SigV4.
            self.assertIn(f"'Authorization': 'AWS {AK}:", r.stderr)
            self.assertNotIn("AWS4-HMAC-SHA256", r.stderr)
            dst = os.path.join(d, "out.txt")
            r = self.s3cmd("get", f"s3://{BUCKET}/s3cmd/obj.txt", dst)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(dst, "rb") as f:
                self.assertEqual(f.read(), b"from s3cmd")
        r = self.s3cmd("signurl", f"s3://{BUCKET}/s3cmd/obj.txt", "+300")
        self.assertEqual(r.returncode, 0, r.stderr)
        url = r.stdout.strip()
        self.assertIn("AWSAccessKeyId=", url)
        self.assertEqual(urllib.request.urlopen(url, timeout=30).read(), b"from s3cmd")

    @unittest.skipUnless(NODE and os.path.isdir(os.path.join(BUNDLES, "aws-sdk")), "no JS SDK v2")
    def test_js_sdk_v2(self):
        out = self.node_v2(
            "(async () => {\n"
            "  await s3.putObject({Bucket: process.env.BUCKET, Key: 'js/v2 obj.txt', Body: 'from js v2',"
            "    ContentType: 'text/plain'}).promise();\n"
            "  const got = await s3.getObject({Bucket: process.env.BUCKET, Key: 'js/v2 obj.txt'}).promise();\n"
            "  const list = await s3.listObjects({Bucket: process.env.BUCKET, Prefix: 'js/'}).promise();\n"
            "  const url = s3.getSignedUrl('getObject', {Bucket: process.env.BUCKET, Key: 'seed.txt', Expires: 300});\n"
            "  const put = s3.getSignedUrl('putObject', {Bucket: process.env.BUCKET, Key: 'js/by url', Expires: 300});\n"
            "  console.log(JSON.stringify({body: got.Body.toString(), keys: list.Contents.map(o => o.Key), url, put}));\n"
            "})().catch(e => { console.error(e); process.exit(1); });\n")
        res = json.loads(out)
        self.assertEqual(res["body"], "from js v2")
        self.assertEqual(res["keys"], ["js/v2 obj.txt"])
        self.assertIn("AWSAccessKeyId=", res["url"])
        self.assertEqual(urllib.request.urlopen(res["url"], timeout=30).read(), b"seed body")
        status, _, body = fetch(res["put"], "PUT", b"js url body")
        self.assertEqual(status, 200, body)
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="js/by url")["Body"].read(), b"js url body")

    def test_virtual_hosted(self):
        # Host <bucket>.localhost: the bucket is signed as "/" + bucket before the path.
        date = email.utils.formatdate(usegmt=True)
        sig = sign(SK, f"GET\n\n\n{date}\n/{BUCKET}/seed.txt")
        status, _, body = fetch(self.srv.endpoint + "/seed.txt", headers={
            "Date": date, "Authorization": f"AWS {AK}:{sig}"}, host=f"{BUCKET}.localhost:{self.srv.port}")
        self.assertEqual((status, body), (200, b"seed body"))
        # Signed as if path-style ("/seed.txt" alone) it does not match.
        sig = sign(SK, f"GET\n\n\n{date}\n/seed.txt")
        status, _, body = fetch(self.srv.endpoint + "/seed.txt", headers={
            "Date": date, "Authorization": f"AWS {AK}:{sig}"}, host=f"{BUCKET}.localhost:{self.srv.port}")
        self.assertEqual(status, 403)
        self.assertEqual(error(body)["StringToSign"], f"GET\n\n\n{date}\n/{BUCKET}/seed.txt")

    def test_amz_headers_and_x_amz_date(self):
        # x-amz-date replaces Date (whose line is then empty); x-amz-* headers are signed.
        date = email.utils.formatdate(usegmt=True)
        sts = (f"PUT\n\ntext/plain\n\nx-amz-date:{date}\nx-amz-meta-a:1,2\n/{BUCKET}/amz.txt")
        headers = {"x-amz-date": date, "Content-Type": "text/plain", "Date": "Mon, 01 Jan 1990 00:00:00 GMT",
                   "Authorization": f"AWS {AK}:{sign(SK, sts)}"}
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
        c.putrequest("PUT", f"/{BUCKET}/amz.txt")
        for k, v in headers.items():
            c.putheader(k, v)
        c.putheader("X-Amz-Meta-A", "1")
        c.putheader("x-amz-meta-a", "2")
        c.putheader("Content-Length", "3")
        c.endheaders(b"abc")
        r = c.getresponse()
        self.assertEqual(r.status, 200, r.read())
        c.close()
        got = self.s3.get_object(Bucket=BUCKET, Key="amz.txt")
        self.assertEqual(got["Metadata"]["a"].replace(" ", ""), "1,2")

    # ---- refusals ----

    def test_expired_url(self):
        path = f"/{BUCKET}/seed.txt"
        past = int(time.time()) - 10
        status, _, body = fetch(presign(self.srv, "GET", path, past))
        self.assertEqual(status, 403)
        e = error(body)
        self.assertEqual((e["Code"], e["Message"]), ("AccessDenied", "Request has expired"))
        self.assertEqual(e["Expires"], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(past)))
        self.assertIn("ServerTime", e)
        # The same URL a minute ahead works.
        status, _, body = fetch(presign(self.srv, "GET", path, int(time.time()) + 60))
        self.assertEqual((status, body), (200, b"seed body"))
        status, _, body = fetch(presign(self.srv, "GET", path, "soon"))
        self.assertEqual(status, 403)
        self.assertEqual(error(body)["Message"], "Invalid date (should be seconds since epoch): soon")

    def test_tampered_signature(self):
        url = self.v2().generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "seed.txt"},
                                               ExpiresIn=300)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        sig = q["Signature"]
        bad = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
        status, _, body = fetch(url.replace(urllib.parse.quote(sig, safe=""), urllib.parse.quote(bad, safe="")))
        self.assertEqual(status, 403)
        e = error(body)
        self.assertEqual(e["Code"], "SignatureDoesNotMatch")
        self.assertEqual(e["AWSAccessKeyId"], AK)
        self.assertEqual(e["SignatureProvided"], bad)
        sts = f"GET\n\n\n{q['Expires']}\n/{BUCKET}/seed.txt"
        self.assertEqual(e["StringToSign"], sts)
        self.assertEqual(e["StringToSignBytes"], " ".join("%02x" % b for b in sts.encode()))
        # Untouched, it works.
        self.assertEqual(urllib.request.urlopen(url, timeout=30).read(), b"seed body")

    def test_wrong_key_and_secret(self):
        path = f"/{BUCKET}/seed.txt"
        status, _, body = fetch(presign(self.srv, "GET", path, int(time.time()) + 60, key="AKIANOSUCHKEY"))
        self.assertEqual(status, 403)
        e = error(body)
        self.assertEqual((e["Code"], e["AWSAccessKeyId"]), ("InvalidAccessKeyId", "AKIANOSUCHKEY"))
        bad = self.srv.client("s3", signature_version="s3", secret="not-the-secret")
        with self.assertRaises(ClientError) as cm:
            bad.get_object(Bucket=BUCKET, Key="seed.txt")
        self.assertEqual(cm.exception.response["Error"]["Code"], "SignatureDoesNotMatch")
        # The configured key with a session token that is not one.
        status, _, body = fetch(presign(self.srv, "GET", path, int(time.time()) + 60,
                                        extra_query="&x-amz-security-token=bogus",
                                        amz="x-amz-security-token:bogus\n"))
        self.assertEqual(status, 400)
        self.assertEqual(error(body)["Code"], "InvalidToken")

    def test_dates_and_malformed(self):
        url = f"{self.srv.endpoint}/{BUCKET}/seed.txt"
        sig = sign(SK, f"GET\n\n\n\n/{BUCKET}/seed.txt")
        status, _, body = fetch(url, headers={"Authorization": f"AWS {AK}:{sig}"})
        self.assertEqual(status, 403)
        self.assertEqual(error(body)["Message"], "AWS authentication requires a valid Date or x-amz-date header")
        old = email.utils.formatdate(time.time() - 3600, usegmt=True)
        sig = sign(SK, f"GET\n\n\n{old}\n/{BUCKET}/seed.txt")
        status, _, body = fetch(url, headers={"Authorization": f"AWS {AK}:{sig}", "Date": old})
        self.assertEqual(status, 403)
        e = error(body)
        self.assertEqual((e["Code"], e["RequestTime"], e["MaxAllowedSkewMilliseconds"]),
                         ("RequestTimeTooSkewed", old, "900000"))
        # Within the window, with a numeric zone, it works.
        now = email.utils.formatdate(time.time(), usegmt=False)
        sig = sign(SK, f"GET\n\n\n{now}\n/{BUCKET}/seed.txt")
        status, _, body = fetch(url, headers={"Authorization": f"AWS {AK}:{sig}", "Date": now})
        self.assertEqual((status, body), (200, b"seed body"))
        status, _, body = fetch(url, headers={"Authorization": f"AWS {AK}", "Date": now})
        self.assertEqual(status, 400)
        e = error(body)
        self.assertEqual((e["Code"], e["ArgumentName"]), ("InvalidArgument", "Authorization"))
        status, _, body = fetch(url + f"?AWSAccessKeyId={AK}&Signature=abc")
        self.assertEqual(status, 403)
        self.assertEqual(error(body)["Message"],
                         "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")

    def test_content_md5_and_chunked(self):
        v2 = self.v2()
        md5 = base64.b64encode(hashlib.md5(b"right").digest()).decode()
        v2.put_object(Bucket=BUCKET, Key="md5.txt", Body=b"right", ContentMD5=md5)
        with self.assertRaises(ClientError) as cm:
            v2.put_object(Bucket=BUCKET, Key="md5.txt", Body=b"wrong", ContentMD5=md5)
        self.assertEqual(cm.exception.response["Error"]["Code"], "BadDigest")
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="md5.txt")["Body"].read(), b"right")
        # aws-chunked framing has no SigV2 form.
        date = email.utils.formatdate(usegmt=True)
        sts = f"PUT\n\n\n{date}\n/{BUCKET}/chunked.txt"
        status, _, body = fetch(f"{self.srv.endpoint}/{BUCKET}/chunked.txt", "PUT", b"3\r\nabc\r\n0\r\n\r\n",
                                headers={"Date": date, "Content-Encoding": "aws-chunked",
                                         "Authorization": f"AWS {AK}:{sign(SK, sts)}"})
        self.assertEqual(status, 400)
        self.assertEqual(error(body)["Code"], "InvalidRequest")
        status, _, body = fetch(f"{self.srv.endpoint}/{BUCKET}/chunked.txt", "PUT", b"abc",
                                headers={"Date": date, "Authorization": f"AWS {AK}:{sign(SK, sts)}"})
        self.assertEqual(status, 200, body)

    def test_not_for_other_services(self):
        # DynamoDB never takes SigV2: refused, not served.
        date = email.utils.formatdate(usegmt=True)
        status, _, body = fetch(self.srv.endpoint + "/", "POST", b"{}", headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0",
            "Date": date, "Authorization": f"AWS {AK}:{sign(SK, 'POST')}"})
        self.assertEqual(status, 400)
        self.assertNotIn(b"TableNames", body)
        self.assertIn("TableNames", self.srv.client("dynamodb").list_tables())


class TestSigV2Off(SigV2Base):
    flags = ("--no-sigv2",)

    def assert_mechanism(self, status, body):
        self.assertEqual(status, 400, body)
        e = error(body)
        self.assertEqual((e["Code"], e["Message"]), ("InvalidRequest", MECHANISM))

    def test_all_refused_sigv4_works(self):
        v2 = self.v2()
        with self.assertRaises(ClientError) as cm:
            v2.get_object(Bucket=BUCKET, Key="seed.txt")
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidRequest")
        self.assertEqual(cm.exception.response["Error"]["Message"], MECHANISM)
        url = v2.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "seed.txt"}, ExpiresIn=300)
        self.assert_mechanism(*fetch(url)[::2])
        self.assert_mechanism(*fetch(self.cli_presign("seed.txt"))[::2])
        if S3CMD:
            r = self.s3cmd("signurl", f"s3://{BUCKET}/seed.txt", "+300")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assert_mechanism(*fetch(r.stdout.strip())[::2])
            # s3cmd's header signing is refused with the message that makes it retry with SigV4.
            r = self.s3cmd("--debug", "ls", f"s3://{BUCKET}/")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("seed.txt", r.stdout)
            self.assertIn("Please use AWS4-HMAC-SHA256", r.stderr)
        if NODE and os.path.isdir(os.path.join(BUNDLES, "aws-sdk")):
            url = self.node_v2("console.log(s3.getSignedUrl('getObject', "
                               "{Bucket: process.env.BUCKET, Key: 'seed.txt', Expires: 300}));")
            self.assert_mechanism(*fetch(url)[::2])
        # SigV4, header and presigned, still works.
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="seed.txt")["Body"].read(), b"seed body")
        url4 = self.srv.client("s3", signature_version="s3v4").generate_presigned_url(
            "get_object", Params={"Bucket": BUCKET, "Key": "seed.txt"}, ExpiresIn=300)
        self.assertEqual(urllib.request.urlopen(url4, timeout=30).read(), b"seed body")


class TestSigV2Principals(SigV2Base):
    """A SigV2 request carries its signer's principal and is authorized like any other."""

    def v2_of(self, creds):
        return iam_base.client(self.srv, creds, "s3", signature_version="s3")

    s3_authorizes = None

    def need_s3_authorization(self):
        # S3's per-operation authorization is package S's: without it every principal may act.
        cls = type(self)
        if cls.s3_authorizes is None:
            nobody = iam_base.user(self.srv, "v2-nobody")
            try:
                iam_base.client(self.srv, nobody, "s3").get_object(Bucket=BUCKET, Key="seed.txt")
                cls.s3_authorizes = False
            except ClientError as e:
                cls.s3_authorizes = e.response["Error"]["Code"] == "AccessDenied"
        self.assertTrue(cls.s3_authorizes, "a user without policies read an object")

    def test_user_key_signs(self):
        u = iam_base.user(self.srv, "v2-user", policies=[iam_base.allow("s3:*", "*")])
        c = self.v2_of(u)
        c.put_object(Bucket=BUCKET, Key="by-user.txt", Body=b"user body")
        self.assertEqual(c.get_object(Bucket=BUCKET, Key="by-user.txt")["Body"].read(), b"user body")
        url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "by-user.txt"}, ExpiresIn=60)
        self.assertIn("AWSAccessKeyId=" + u["access_key"], url)
        self.assertEqual(urllib.request.urlopen(url, timeout=30).read(), b"user body")
        # The user's key with another secret does not match; the user's key is known.
        bad = iam_base.client(self.srv, dict(u, secret_key="x" * 40), "s3", signature_version="s3")
        with self.assertRaises(ClientError) as cm:
            bad.get_object(Bucket=BUCKET, Key="by-user.txt")
        self.assertEqual(cm.exception.response["Error"]["Code"], "SignatureDoesNotMatch")

    def test_user_policy_decides(self):
        self.need_s3_authorization()
        u = iam_base.user(self.srv, "v2-reader", policies=[
            iam_base.allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/seed.txt")])
        c = self.v2_of(u)
        self.assertEqual(c.get_object(Bucket=BUCKET, Key="seed.txt")["Body"].read(), b"seed body")
        iam_base.denied(c.put_object, Bucket=BUCKET, Key="seed.txt", Body=b"overwritten")
        get = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "seed.txt"}, ExpiresIn=60)
        self.assertEqual(urllib.request.urlopen(get, timeout=30).read(), b"seed body")
        put = c.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "seed.txt"}, ExpiresIn=60)
        status, _, body = fetch(put, "PUT", b"overwritten")
        self.assertEqual((status, error(body)["Code"]), (403, "AccessDenied"))
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="seed.txt")["Body"].read(), b"seed body")

    def test_signatureversion_condition(self):
        self.need_s3_authorization()
        u = iam_base.user(self.srv, "v2-v4only", policies=[iam_base.allow(
            "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*",
            condition={"StringEquals": {"s3:signatureversion": "AWS4-HMAC-SHA256"}})])
        v4 = iam_base.client(self.srv, u, "s3", signature_version="s3v4")
        self.assertEqual(v4.get_object(Bucket=BUCKET, Key="seed.txt")["Body"].read(), b"seed body")
        iam_base.denied(self.v2_of(u).get_object, Bucket=BUCKET, Key="seed.txt")

    def test_role_session(self):
        role = iam_base.role(self.srv, "v2-role", policies=[iam_base.allow("s3:GetObject", "*")])
        sess = iam_base.assume(self.srv, role["arn"])
        c = self.v2_of(sess)
        self.assertEqual(c.get_object(Bucket=BUCKET, Key="seed.txt")["Body"].read(), b"seed body")
        url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "seed.txt"}, ExpiresIn=60)
        self.assertIn("x-amz-security-token=", url)
        self.assertEqual(urllib.request.urlopen(url, timeout=30).read(), b"seed body")
        status, _, body = fetch(url.replace("x-amz-security-token=", "x-amz-security-token=A", 1))
        self.assertEqual(status, 400)
        self.assertEqual(error(body)["Code"], "InvalidToken")
        # A session key without its token is not a key.
        no_tok = iam_base.client(self.srv, dict(sess, session_token=None), "s3", signature_version="s3")
        with self.assertRaises(ClientError) as cm:
            no_tok.get_object(Bucket=BUCKET, Key="seed.txt")
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidAccessKeyId")


if __name__ == "__main__":
    unittest.main()
