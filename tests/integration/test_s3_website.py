# SPDX-License-Identifier: Apache-2.0
"""Static website hosting (issue 16, package W): Put/Get/DeleteBucketWebsite with boto3 and the
AWS CLI v2, x-amz-website-redirect-location on every object write, and the website endpoint
(<bucket>.s3-website.localhost:<port> and /_website/<bucket>/...) fetched with curl and headless
Chromium: index documents, directory redirects, S3's HTML errors, the custom error document,
RedirectAllRequestsTo, routing rules, object redirects, HEAD, Range, conditional GETs, 405, and
only what the anonymous principal may read."""
import html
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import uuid

import botocore.exceptions

from stratus_fixture import Server

INDEX = b"""<!doctype html>
<html><head><title>Stratus site</title><link rel="stylesheet" href="style.css"></head>
<body><h1 id="title">Home page</h1><p id="out">before</p><script src="app.js"></script></body></html>
"""
CSS = b"#title { color: rgb(1, 2, 3); }\n"
JS = b"""document.getElementById('out').textContent =
  'js ran, title color ' + getComputedStyle(document.getElementById('title')).color;
"""
ERROR_DOC = b"<!doctype html><html><body><h1 id='err'>Custom error page</h1><p>" + b"x" * 600 + \
    b"</p></body></html>\n"


def code(e):
    return e.response["Error"]["Code"]


def aws_v2():
    """The AWS CLI v2 (Debian's /usr/bin/aws when the PATH's aws is v1), or None."""
    for c in (os.environ.get("AWS_CLI2"), "/usr/bin/aws", shutil.which("aws")):
        if c and os.path.exists(c):
            r = subprocess.run([c, "--version"], capture_output=True, text=True, timeout=60)
            if (r.stdout + r.stderr).startswith("aws-cli/2"):
                return c
    return None


class S3Website(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.port = cls.srv.port
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"}, signature_version="s3v4")
        s3 = cls.s3
        s3.create_bucket(Bucket="site")
        # New buckets block public policies (issue 15): this one is meant to be public.
        s3.delete_public_access_block(Bucket="site")
        s3.put_bucket_policy(Bucket="site", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::site"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::site/private/*"}]}))
        put = lambda k, b, t, **kw: s3.put_object(Bucket="site", Key=k, Body=b, ContentType=t, **kw)
        put("index.html", INDEX, "text/html")
        put("style.css", CSS, "text/css")
        put("app.js", JS, "application/javascript")
        put("docs/index.html", b"<p>docs index</p>", "text/html")
        put("docs/a.html", b"<p>doc a</p>", "text/html")
        put("error.html", ERROR_DOC, "text/html")
        put("private/secret.txt", b"secret", "text/plain")
        put("abc.txt", b"abcdefghij", "text/plain")
        put("moved.html", b"", "text/html", WebsiteRedirectLocation="/docs/")
        put("away.html", b"", "text/html", WebsiteRedirectLocation="https://example.com/away")
        s3.put_bucket_website(Bucket="site", WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "ErrorDocument": {"Key": "error.html"},
            "RoutingRules": [
                {"Condition": {"KeyPrefixEquals": "old/"}, "Redirect": {"ReplaceKeyPrefixWith": "docs/"}},
                {"Condition": {"KeyPrefixEquals": "lost/", "HttpErrorCodeReturnedEquals": "404"},
                 "Redirect": {"HostName": "example.com", "Protocol": "https", "HttpRedirectCode": "302",
                              "ReplaceKeyWith": "found.html"}}]})
        # A public site without an error document: S3's own HTML pages.
        s3.create_bucket(Bucket="bare")
        s3.delete_public_access_block(Bucket="bare")
        s3.put_bucket_policy(Bucket="bare", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bare/pub/*"}]}))
        s3.put_object(Bucket="bare", Key="pub/index.html", Body=b"bare", ContentType="text/html")
        s3.put_object(Bucket="bare", Key="hidden.txt", Body=b"hidden")
        s3.put_bucket_website(Bucket="bare", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})

    @classmethod
    def tearDownClass(cls):
        try:
            # Every answered request was authorized (the website's reads as the anonymous
            # principal's): no check was missed.
            c = http.client.HTTPConnection("127.0.0.1", cls.port, timeout=10)
            c.request("GET", "/metrics")
            m = re.search(r"^stratus_authz_unchecked_total(?:\{[^}]*\})? (\d+)", c.getresponse().read().decode(),
                          re.M)
            c.close()
            assert m and m.group(1) == "0", m and m.group(0)
        finally:
            cls.srv.cleanup()

    # ---- helpers ----

    def host(self, bucket="site", form=""):
        return f"{bucket}.s3-website{form}.localhost"

    def curl(self, path, bucket="site", form="", method=None, headers=(), path_form=False, head=False):
        """One request with curl (never following redirects): status, headers, body."""
        if path_form:
            url = f"http://127.0.0.1:{self.port}/_website/{bucket}{path}"
            resolve = []
        else:
            h = self.host(bucket, form)
            url = f"http://{h}:{self.port}{path}"
            resolve = ["--resolve", f"{h}:{self.port}:127.0.0.1"]
        with tempfile.NamedTemporaryFile() as hdr:
            cmd = ["curl", "-s", "-S", "--max-time", "20", "-D", hdr.name, "-o", "-"] + resolve
            if method:
                cmd += ["-X", method]
            if head:
                cmd += ["-I"]
            for k, v in headers:
                cmd += ["-H", f"{k}: {v}"]
            r = subprocess.run(cmd + [url], capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(hdr.name, "rb") as f:
                raw = f.read().decode("latin-1")
        lines = raw.split("\r\n")
        status = int(lines[0].split()[1])
        hs = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                hs[k.strip().lower()] = v.strip()
        return status, hs, b"" if head else r.stdout  # -I writes the headers where a body goes

    def assertPage(self, got, status, code, *items):
        st, h, body = got
        self.assertEqual(st, status, body)
        self.assertEqual(h.get("content-type"), "text/html; charset=utf-8")
        self.assertEqual(h.get("x-amz-error-code"), code)
        text = body.decode()
        self.assertTrue(text.startswith(f"<html>\n<head><title>{status} "), text)
        self.assertIn(f"<li>Code: {code}</li>", text)
        self.assertIn("<li>RequestId: ", text)
        for i in items:
            self.assertIn(i, text)

    # ---- configuration ----

    def test_configuration(self):
        s3 = self.s3
        s3.create_bucket(Bucket="cfg")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            s3.get_bucket_website(Bucket="cfg")
        self.assertEqual(code(e.exception), "NoSuchWebsiteConfiguration")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        rules = [{"Condition": {"HttpErrorCodeReturnedEquals": "404", "KeyPrefixEquals": "a/"},
                  "Redirect": {"HostName": "example.com", "HttpRedirectCode": "307", "Protocol": "https",
                               "ReplaceKeyPrefixWith": "b/"}},
                 {"Redirect": {"ReplaceKeyWith": "x.html"}}]
        s3.put_bucket_website(Bucket="cfg", WebsiteConfiguration={
            "IndexDocument": {"Suffix": "home.htm"}, "ErrorDocument": {"Key": "oops.htm"}, "RoutingRules": rules})
        got = s3.get_bucket_website(Bucket="cfg")
        self.assertEqual(got["IndexDocument"], {"Suffix": "home.htm"})
        self.assertEqual(got["ErrorDocument"], {"Key": "oops.htm"})
        self.assertEqual(got["RoutingRules"], rules)
        s3.put_bucket_website(Bucket="cfg", WebsiteConfiguration={
            "RedirectAllRequestsTo": {"HostName": "example.org", "Protocol": "https"}})
        got = s3.get_bucket_website(Bucket="cfg")
        self.assertEqual(got["RedirectAllRequestsTo"], {"HostName": "example.org", "Protocol": "https"})
        self.assertNotIn("IndexDocument", got)
        bad = [
            ({"IndexDocument": {"Suffix": "a/index.html"}}, "InvalidArgument", "The IndexDocument Suffix is not well formed"),
            ({"ErrorDocument": {"Key": "e.html"}}, "InvalidArgument",
             "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty"),
            ({"RedirectAllRequestsTo": {"HostName": "x.com"}, "IndexDocument": {"Suffix": "i.html"}},
             "InvalidArgument", "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules."),
            ({"IndexDocument": {"Suffix": "i.html"}, "RoutingRules": [
                {"Redirect": {"ReplaceKeyWith": "a", "ReplaceKeyPrefixWith": "b"}}]},
             "InvalidRequest", "You can only define ReplaceKeyPrefix or ReplaceKey but not both."),
            ({"IndexDocument": {"Suffix": "i.html"}, "RoutingRules": [
                {"Condition": {"HttpErrorCodeReturnedEquals": "200"}, "Redirect": {"HostName": "x"}}]},
             "InvalidRequest", "The provided HTTP error code (200) is not valid. Valid codes are 4XX or 5XX."),
            ({"IndexDocument": {"Suffix": "i.html"}, "RoutingRules": [
                {"Redirect": {"HttpRedirectCode": "300"}}]},
             "InvalidRequest", "The provided HTTP redirect code (300) is not valid. Valid codes are 3XX except 300."),
            ({"IndexDocument": {"Suffix": "i.html"}, "RoutingRules": [
                {"Condition": {"KeyPrefixEquals": f"p{i}"}, "Redirect": {"HostName": "h"}} for i in range(51)]},
             "InvalidRequest",
             "51 routing rules provided, the number of routing rules in a website configuration is limited to 50."),
        ]
        for cfg, c, msg in bad:
            with self.subTest(code=c, msg=msg):
                with self.assertRaises(botocore.exceptions.ClientError) as e:
                    s3.put_bucket_website(Bucket="cfg", WebsiteConfiguration=cfg)
                self.assertEqual((code(e.exception), e.exception.response["Error"]["Message"]), (c, msg))
                self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        # Refusals changed nothing.
        self.assertIn("RedirectAllRequestsTo", s3.get_bucket_website(Bucket="cfg"))
        # Raw XML S3's schema refuses.
        for body in (b"<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument><Other/>"
                     b"</WebsiteConfiguration>", b"not xml", b""):
            r = self.srv.cli("request", "PUT", "/cfg", "--query", "website", "--body", body.decode())
            self.assertTrue(r.stdout.startswith("400"), r.stdout)
            self.assertIn("<Code>MalformedXML</Code>", r.stdout)
        s3.delete_bucket_website(Bucket="cfg")
        s3.delete_bucket_website(Bucket="cfg")  # already gone: still 204
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            s3.get_bucket_website(Bucket="cfg")
        self.assertEqual(code(e.exception), "NoSuchWebsiteConfiguration")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            s3.get_bucket_website(Bucket="no-such-bucket-here")
        self.assertEqual(code(e.exception), "NoSuchBucket")

    def test_configuration_permissions(self):
        """Put/Get/DeleteBucketWebsite need s3:PutBucketWebsite, s3:GetBucketWebsite and
        s3:DeleteBucketWebsite; an IAM user with only the read one can read it."""
        iam = self.srv.client("iam")
        user = "web-reader-" + uuid.uuid4().hex[:6]
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetBucketWebsite", "Resource": "arn:aws:s3:::site"}]}))
        k = iam.create_access_key(UserName=user)["AccessKey"]
        s3u = self.srv.client("s3", access=k["AccessKeyId"], secret=k["SecretAccessKey"],
                              s3={"addressing_style": "path"}, signature_version="s3v4")
        self.assertEqual(s3u.get_bucket_website(Bucket="site")["IndexDocument"], {"Suffix": "index.html"})
        for call in (lambda: s3u.put_bucket_website(Bucket="site", WebsiteConfiguration={
                         "IndexDocument": {"Suffix": "x.html"}}),
                     lambda: s3u.delete_bucket_website(Bucket="site")):
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                call()
            self.assertEqual(code(e.exception), "AccessDenied")
        self.assertEqual(self.s3.get_bucket_website(Bucket="site")["IndexDocument"], {"Suffix": "index.html"})

    def test_aws_cli_v2(self):
        cli = aws_v2()
        if cli is None:
            self.skipTest("the AWS CLI v2 is not installed")
        self.s3.create_bucket(Bucket="cli-site")
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.srv.access_key, AWS_SECRET_ACCESS_KEY=self.srv.secret_key,
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        base = [cli, "--endpoint-url", self.srv.endpoint]
        r = subprocess.run(base + ["s3", "website", "s3://cli-site", "--index-document", "index.html",
                                   "--error-document", "err.html"], env=env, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run(base + ["--output", "json", "s3api", "get-bucket-website", "--bucket", "cli-site"],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        self.assertEqual((got["IndexDocument"], got["ErrorDocument"]), ({"Suffix": "index.html"}, {"Key": "err.html"}))
        r = subprocess.run(base + ["s3api", "delete-bucket-website", "--bucket", "cli-site"], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)

    # ---- x-amz-website-redirect-location on object writes ----

    def test_redirect_location_on_writes(self):
        s3 = self.s3
        h = s3.head_object(Bucket="site", Key="moved.html")
        self.assertEqual(h["WebsiteRedirectLocation"], "/docs/")
        g = s3.get_object(Bucket="site", Key="away.html")
        self.assertEqual(g["WebsiteRedirectLocation"], "https://example.com/away")
        self.assertNotIn("WebsiteRedirectLocation", s3.head_object(Bucket="site", Key="index.html"))
        for bad in ("docs/", "ftp://example.com", "HTTP://example.com"):
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                s3.put_object(Bucket="site", Key="w/bad", Body=b"", WebsiteRedirectLocation=bad)
            self.assertEqual(code(e.exception), "InvalidRedirectLocation")
            self.assertEqual(e.exception.response["Error"]["Message"],
                             "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.")
        # CopyObject: the source's redirect is not copied; the request's is set (also on the
        # same key, where it is the change that makes the copy legal).
        s3.copy_object(Bucket="site", Key="w/copy", CopySource={"Bucket": "site", "Key": "moved.html"})
        self.assertNotIn("WebsiteRedirectLocation", s3.head_object(Bucket="site", Key="w/copy"))
        s3.copy_object(Bucket="site", Key="w/copy", CopySource={"Bucket": "site", "Key": "w/copy"},
                       WebsiteRedirectLocation="/abc.txt")
        self.assertEqual(s3.head_object(Bucket="site", Key="w/copy")["WebsiteRedirectLocation"], "/abc.txt")
        s3.copy_object(Bucket="site", Key="w/copy2", CopySource={"Bucket": "site", "Key": "abc.txt"},
                       MetadataDirective="REPLACE", ContentType="text/plain", WebsiteRedirectLocation="/x")
        self.assertEqual(s3.head_object(Bucket="site", Key="w/copy2")["WebsiteRedirectLocation"], "/x")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            s3.copy_object(Bucket="site", Key="w/copy3", CopySource={"Bucket": "site", "Key": "abc.txt"},
                           WebsiteRedirectLocation="nope")
        self.assertEqual(code(e.exception), "InvalidRedirectLocation")
        # CreateMultipartUpload: the completed object keeps it.
        up = s3.create_multipart_upload(Bucket="site", Key="w/mpu", WebsiteRedirectLocation="http://example.com/m")
        p = s3.upload_part(Bucket="site", Key="w/mpu", UploadId=up["UploadId"], PartNumber=1, Body=b"m" * 100)
        s3.complete_multipart_upload(Bucket="site", Key="w/mpu", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]})
        self.assertEqual(s3.head_object(Bucket="site", Key="w/mpu")["WebsiteRedirectLocation"], "http://example.com/m")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            s3.create_multipart_upload(Bucket="site", Key="w/mpu2", WebsiteRedirectLocation="x")
        self.assertEqual(code(e.exception), "InvalidRedirectLocation")
        # POST Object: the form field.
        post = s3.generate_presigned_post("site", "w/posted", Fields={"x-amz-website-redirect-location": "/docs/a.html"},
                                          Conditions=[{"x-amz-website-redirect-location": "/docs/a.html"}])
        b = uuid.uuid4().hex
        body = b"".join(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                        for k, v in post["fields"].items())
        body += (f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n').encode() + \
            b"posted\r\n" + f"--{b}--\r\n".encode()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("POST", "/site", body=body, headers={"Content-Type": f"multipart/form-data; boundary={b}"})
        r = c.getresponse()
        self.assertEqual(r.status, 204, r.read())
        c.close()
        self.assertEqual(s3.head_object(Bucket="site", Key="w/posted")["WebsiteRedirectLocation"], "/docs/a.html")
        # On the site: the posted object redirects.
        st, h, _ = self.curl("/w/posted")
        self.assertEqual((st, h["location"]), (301, "/docs/a.html"))

    # ---- the endpoint ----

    def test_index_documents(self):
        for form in ("", "-us-east-1", ".us-east-1"):
            with self.subTest(form=form):
                st, h, body = self.curl("/", form=form)
                self.assertEqual((st, body), (200, INDEX))
                self.assertEqual(h["content-type"], "text/html")
                self.assertEqual(h["etag"], self.s3.head_object(Bucket="site", Key="index.html")["ETag"])
        st, _, body = self.curl("/", path_form=True)
        self.assertEqual((st, body), (200, INDEX))
        st, _, body = self.curl("", path_form=True)  # /_website/site: the root too
        self.assertEqual((st, body), (200, INDEX))
        st, _, body = self.curl("/docs/")
        self.assertEqual((st, body), (200, b"<p>docs index</p>"))
        st, h, body = self.curl("/style.css")
        self.assertEqual((st, h["content-type"], body), (200, "text/css", CSS))
        # A directory without its slash: 302 to it.
        st, h, _ = self.curl("/docs")
        self.assertEqual((st, h["location"]), (302, "/docs/"))
        st, h, _ = self.curl("/docs", path_form=True)
        self.assertEqual((st, h["location"]), (302, "/_website/site/docs/"))

    def test_errors(self):
        # A missing page: the custom error document with the 404; S3's page without one.
        st, h, body = self.curl("/nothing.html")
        self.assertEqual((st, body), (404, ERROR_DOC))
        self.assertEqual((h["content-type"], h["x-amz-error-code"]), ("text/html", "NoSuchKey"))
        self.assertEqual(h["x-amz-error-detail-key"], "nothing.html")
        # A private object (denied to everyone but the owner): 403 with the error document.
        st, h, body = self.curl("/private/secret.txt")
        self.assertEqual((st, body, h["x-amz-error-code"]), (403, ERROR_DOC, "AccessDenied"))
        self.assertPage(self.curl("/pub/missing.html", bucket="bare"), 403, "AccessDenied",
                        "<li>Message: Access Denied</li>")  # no s3:ListBucket: 403, as S3 answers
        self.assertPage(self.curl("/hidden.txt", bucket="bare"), 403, "AccessDenied")
        # The bucket's owner signs nothing here: a signature makes no difference.
        st, _, body = self.curl("/hidden.txt", bucket="bare", headers=[
            ("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, "
                              "SignedHeaders=host, Signature=" + "0" * 64)])
        self.assertEqual(st, 403)
        self.assertNotIn(b"hidden", body)
        # With s3:ListBucket a missing key is a 404 page (the error document of "site" aside).
        self.s3.create_bucket(Bucket="listed")
        self.s3.delete_public_access_block(Bucket="listed")
        self.s3.put_bucket_policy(Bucket="listed", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::listed", "arn:aws:s3:::listed/*"]}]}))
        self.s3.put_bucket_website(Bucket="listed", WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "missing-error.html"}})
        got = self.curl("/gone.html", bucket="listed")
        self.assertPage(got, 404, "NoSuchKey", "<li>Key: gone.html</li>",
                        "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>",
                        "<li>Key: missing-error.html</li>")
        self.assertEqual(got[1]["x-amz-error-message"], "The specified key does not exist.")
        # A key holding a line break is no header's value.
        st, h, body = self.curl("/a%0D%0AX-Injected:%201")
        self.assertEqual((st, body), (404, ERROR_DOC))
        self.assertNotIn("x-injected", h)
        self.assertNotIn("x-amz-error-detail-key", h)
        # A bucket that is no website, one that does not exist.
        self.s3.create_bucket(Bucket="plain")
        self.assertPage(self.curl("/", bucket="plain"), 404, "NoSuchWebsiteConfiguration",
                        "<li>BucketName: plain</li>",
                        "<li>Message: The specified bucket does not have a website configuration</li>")
        self.assertPage(self.curl("/", bucket="nope-nope"), 404, "NoSuchBucket", "<li>BucketName: nope-nope</li>")
        # Only GET and HEAD.
        for m in ("PUT", "POST", "DELETE"):
            got = self.curl("/index.html", method=m)
            self.assertPage(got, 405, "MethodNotAllowed", f"<li>Method: {m}</li>", "<li>ResourceType: OBJECT</li>")
        self.assertEqual(self.s3.get_object(Bucket="site", Key="index.html")["Body"].read(), INDEX)

    def test_encrypted_error_document(self):
        """An SSE-S3 object is served by the website endpoint as GetObject serves it, the error
        document too (every object is SSE-S3 under --encrypt-all); an SSE-C error document
        cannot be read without its key: S3's page, never its bytes."""
        s3 = self.s3
        s3.create_bucket(Bucket="encsite")
        s3.delete_public_access_block(Bucket="encsite")
        s3.put_bucket_policy(Bucket="encsite", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::encsite", "arn:aws:s3:::encsite/*"]}]}))
        s3.put_object(Bucket="encsite", Key="index.html", Body=INDEX, ContentType="text/html",
                      ServerSideEncryption="AES256")
        s3.put_object(Bucket="encsite", Key="err.html", Body=ERROR_DOC, ContentType="text/html",
                      ServerSideEncryption="AES256")
        key = uuid.uuid4().hex
        s3.put_object(Bucket="encsite", Key="err-c.html", Body=ERROR_DOC, ContentType="text/html",
                      SSECustomerAlgorithm="AES256", SSECustomerKey=key)
        s3.put_bucket_website(Bucket="encsite", WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "err.html"}})
        self.assertEqual(self.curl("/", bucket="encsite")[::2], (200, INDEX))
        st, h, body = self.curl("/missing.html", bucket="encsite")
        self.assertEqual((st, body, h["x-amz-error-code"]), (404, ERROR_DOC, "NoSuchKey"))
        s3.put_bucket_website(Bucket="encsite", WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "err-c.html"}})
        got = self.curl("/missing.html", bucket="encsite")
        self.assertPage(got, 404, "NoSuchKey", "<li>Key: missing.html</li>",
                        "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>")
        self.assertNotIn(b"Custom error page", got[2])

    def test_response_overrides_split_nothing(self):
        """response-* query parameters: refused for anonymous REST GETs (as S3 refuses them),
        ignored by the website endpoint, and never a line break in a header (a presigned URL
        could otherwise hand a victim a response with headers of its maker's choosing)."""
        bad = "text/html%0D%0AX-Injected:%201"
        rest = f"http://127.0.0.1:{self.port}/site/index.html?response-content-type={bad}"
        r = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", rest], capture_output=True, timeout=30)
        head = r.stdout.decode("latin-1")
        self.assertTrue(head.startswith("HTTP/1.1 400"), head)
        self.assertNotIn("X-Injected", head)
        st, h, body = self.curl(f"/index.html?response-content-type={bad}")
        self.assertEqual((st, body, h["content-type"]), (200, INDEX, "text/html"))
        self.assertNotIn("x-injected", h)
        st, h, _ = self.curl(f"/index.html?response-content-disposition=attachment")
        self.assertNotIn("content-disposition", h)
        url = self.s3.generate_presigned_url("get_object", Params={
            "Bucket": "site", "Key": "index.html", "ResponseContentType": "text/html\r\nX-Injected: 1"})
        r = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", url], capture_output=True, timeout=30)
        head = r.stdout.decode("latin-1")
        self.assertTrue(head.startswith("HTTP/1.1 400"), head)
        self.assertNotIn("X-Injected", head)
        url = self.s3.generate_presigned_url("get_object", Params={
            "Bucket": "site", "Key": "index.html", "ResponseContentType": "text/csv"})
        r = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", url], capture_output=True, timeout=30)
        head = r.stdout.decode("latin-1")
        self.assertTrue(head.startswith("HTTP/1.1 200"), head)
        self.assertIn("Content-Type: text/csv\r\n", head)

    def test_version_read_judged_on_its_own_tags(self):
        """?versionId= on the website endpoint: the named version's tags decide a policy's
        s3:ExistingObjectTag condition, not the current version's."""
        s3 = self.s3
        s3.create_bucket(Bucket="tagsite")
        s3.delete_public_access_block(Bucket="tagsite")
        s3.put_bucket_versioning(Bucket="tagsite", VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_policy(Bucket="tagsite", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
             "Resource": "arn:aws:s3:::tagsite/*",
             "Condition": {"StringEquals": {"s3:ExistingObjectTag/public": "yes"}}}]}))
        old = s3.put_object(Bucket="tagsite", Key="v.txt", Body=b"old-secret", Tagging="public=no")["VersionId"]
        s3.put_object(Bucket="tagsite", Key="v.txt", Body=b"new", Tagging="public=yes")
        s3.put_bucket_website(Bucket="tagsite", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
        self.assertEqual(self.curl("/v.txt", bucket="tagsite")[::2], (200, b"new"))
        st, _, body = self.curl(f"/v.txt?versionId={old}", bucket="tagsite")
        self.assertEqual(st, 403, body)
        self.assertNotIn(b"old-secret", body)
        # The error document is read current, whatever version the request named.
        s3.put_object(Bucket="tagsite", Key="err.html", Body=ERROR_DOC, Tagging="public=yes")
        s3.put_bucket_website(Bucket="tagsite", WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "err.html"}})
        st, _, body = self.curl(f"/v.txt?versionId={old}", bucket="tagsite")
        self.assertEqual((st, body), (403, ERROR_DOC))

    def test_public_by_acl(self):
        """Public through ACLs (issue 15) instead of a policy; Block Public Access decides."""
        s3 = self.s3
        s3.create_bucket(Bucket="acl-site")
        s3.put_bucket_ownership_controls(Bucket="acl-site", OwnershipControls={
            "Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
        s3.delete_public_access_block(Bucket="acl-site")
        s3.put_bucket_website(Bucket="acl-site", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
        s3.put_object(Bucket="acl-site", Key="index.html", Body=b"public by acl", ACL="public-read")
        s3.put_object(Bucket="acl-site", Key="mine.html", Body=b"mine")
        st, _, body = self.curl("/", bucket="acl-site")
        self.assertEqual((st, body), (200, b"public by acl"))
        self.assertPage(self.curl("/mine.html", bucket="acl-site"), 403, "AccessDenied")
        # IgnorePublicAcls: the public grant counts for nothing.
        s3.put_public_access_block(Bucket="acl-site", PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
        self.assertPage(self.curl("/", bucket="acl-site"), 403, "AccessDenied")
        # A new bucket blocks public access: a website on it serves nothing.
        s3.create_bucket(Bucket="blocked-site")
        s3.put_bucket_website(Bucket="blocked-site", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
        s3.put_object(Bucket="blocked-site", Key="index.html", Body=b"never")
        self.assertPage(self.curl("/", bucket="blocked-site"), 403, "AccessDenied")

    def test_redirects(self):
        # Routing rules: a key prefix (before any read), an error code (after it).
        st, h, _ = self.curl("/old/a.html")
        self.assertEqual((st, h["location"]), (301, f"http://site.s3-website.localhost:{self.port}/docs/a.html"))
        st, h, _ = self.curl("/old/a.html", path_form=True)
        self.assertEqual((st, h["location"]), (301, f"http://127.0.0.1:{self.port}/_website/site/docs/a.html"))
        st, h, _ = self.curl("/lost/thing")
        self.assertEqual((st, h["location"]), (302, "https://example.com/found.html"))
        st, h, _ = self.curl("/lost/")  # lost/index.html is missing too: the same rule
        self.assertEqual(st, 302)
        # Objects with x-amz-website-redirect-location.
        st, h, body = self.curl("/moved.html")
        self.assertEqual((st, h["location"], body), (301, "/docs/", b""))
        st, h, _ = self.curl("/moved.html", path_form=True)
        self.assertEqual((st, h["location"]), (301, "/_website/site/docs/"))
        st, h, _ = self.curl("/away.html", head=True)
        self.assertEqual((st, h["location"]), (301, "https://example.com/away"))
        # The REST endpoint returns the object itself.
        self.assertEqual(self.s3.get_object(Bucket="site", Key="moved.html")["Body"].read(), b"")
        # RedirectAllRequestsTo: every request, its path kept.
        self.s3.create_bucket(Bucket="redir")
        self.s3.put_bucket_website(Bucket="redir", WebsiteConfiguration={
            "RedirectAllRequestsTo": {"HostName": "example.net", "Protocol": "https"}})
        st, h, _ = self.curl("/some/page%20x.html?q=1", bucket="redir")
        self.assertEqual((st, h["location"]), (301, "https://example.net/some/page%20x.html"))
        self.s3.put_bucket_website(Bucket="redir", WebsiteConfiguration={
            "RedirectAllRequestsTo": {"HostName": "example.net"}})
        st, h, _ = self.curl("/", bucket="redir")
        self.assertEqual((st, h["location"]), (301, "http://example.net/"))

    def test_reads_as_get_object(self):
        st, h, body = self.curl("/abc.txt", headers=[("Range", "bytes=2-5")])
        self.assertEqual((st, body, h["content-range"]), (206, b"cdef", "bytes 2-5/10"))
        etag = self.s3.head_object(Bucket="site", Key="abc.txt")["ETag"]
        st, _, body = self.curl("/abc.txt", headers=[("If-None-Match", etag)])
        self.assertEqual((st, body), (304, b""))
        st, _, _ = self.curl("/abc.txt", headers=[("If-Match", '"0000"')])
        self.assertEqual(st, 412)
        st, h, body = self.curl("/abc.txt", head=True)
        self.assertEqual((st, h["content-length"], body), (200, "10", b""))
        st, h, _ = self.curl("/nothing", head=True)
        self.assertEqual((st, h["x-amz-error-code"]), (404, "NoSuchKey"))
        st, _, _ = self.curl("/abc.txt", headers=[("Range", "bytes=50-60")])
        self.assertEqual(st, 416)

    def test_chromium(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        self.assertIsNotNone(chromium, "chromium is installed by `make deps`")
        base = f"http://site.s3-website.localhost:{self.port}"

        def dump(url):
            with tempfile.TemporaryDirectory() as profile:
                r = subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                    f"--user-data-dir={profile}", "--host-resolver-rules=MAP *.localhost 127.0.0.1",
                                    "--virtual-time-budget=10000", "--dump-dom", url],
                                   capture_output=True, timeout=120)
            return r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

        out, err = dump(base + "/")
        m = re.search(r'<p id="out">(.*?)</p>', out, re.S)
        self.assertIsNotNone(m, out[-2000:] + err[-2000:])
        # The script ran and saw the stylesheet applied.
        self.assertEqual(html.unescape(m.group(1)), "js ran, title color rgb(1, 2, 3)")
        out, err = dump(base + "/no/such/page.html")
        self.assertIn("Custom error page", out, out[-2000:] + err[-2000:])
        out, err = dump(f"http://127.0.0.1:{self.port}/_website/site/docs")  # follows the 302
        self.assertIn("docs index", out, out[-2000:] + err[-2000:])


if __name__ == "__main__":
    unittest.main()
