# SPDX-License-Identifier: Apache-2.0
"""S3 access control (issue 15, package S): bucket policies enforced for anonymous callers and
IAM principals, S3's own policy checks (MalformedPolicy), GetBucketPolicyStatus, Block Public
Access for a bucket and for the account (S3 Control), the action every S3 operation asks
(a powerless user is refused on each, a permitted one is not), prefix-limited users through
boto3 and the AWS CLI, CopyObject's two permissions, presigned URLs and POST policies signed by
IAM users, 403 instead of 404 without s3:ListBucket, and no operation answered unchecked."""
import http.client
import json
import os
import re
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
from botocore.exceptions import ClientError

import iam_base
from stratus_fixture import AWS_CLI, Server

ACCOUNT = "000000000000"
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
          "RestrictPublicBuckets": True}


def code(e):
    return e.exception.response["Error"]["Code"]


def public_read(bucket, prefix="public/"):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/{prefix}*"}]})


def unsigned(srv, method, path, body=None, headers=None):
    """A request without any signature (what a browser or curl sends)."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=15)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    out = r.status, r.read()
    c.close()
    return out


def control(srv, creds=None):
    """An S3 Control client. The SDK puts the account id in front of the endpoint's host
    (000000000000.127.0.0.1), which no resolver knows: the request goes to the loopback
    address with that Host header, as signed."""
    kw = dict(aws_access_key_id=creds["access_key"], aws_secret_access_key=creds["secret_key"]) \
        if creds else dict(aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key)
    c = boto3.client("s3control", endpoint_url=srv.endpoint, region_name="us-east-1", **kw)

    def loopback(request, **_):
        u = urllib.parse.urlsplit(request.url)
        if u.hostname != "127.0.0.1":
            request.headers["Host"] = u.netloc
            request.url = u._replace(netloc=f"127.0.0.1:{u.port}").geturl()
    c.meta.events.register("before-send.s3-control.*", loopback)
    return c


def metric(srv, name):
    with urllib.request.urlopen(srv.endpoint + "/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(rf"^{name}(?:{{[^}}]*}})? (\d+)", text, re.M)
    return int(m.group(1)) if m else 0


class S3PublicAccess(unittest.TestCase):
    """Bucket policies, Block Public Access and anonymous requests."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def bucket(self):
        b = "acc-" + uuid.uuid4().hex[:12]
        self.s3.create_bucket(Bucket=b)
        return b

    def test_new_bucket_blocks_public_access(self):
        b = self.bucket()
        self.assertEqual(self.s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"], ALL_ON)
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
        got = self.s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"]
        self.assertEqual(got, {"BlockPublicAcls": False, "IgnorePublicAcls": False,
                               "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
        self.s3.delete_public_access_block(Bucket=b)
        with self.assertRaises(ClientError) as e:
            self.s3.get_public_access_block(Bucket=b)
        self.assertEqual(code(e), "NoSuchPublicAccessBlockConfiguration")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        with self.assertRaises(ClientError) as e:
            self.s3.get_public_access_block(Bucket="no-such-acc-bucket")
        self.assertEqual(code(e), "NoSuchBucket")

    def test_public_access_block_malformed(self):
        b = self.bucket()
        for body in (b"<Nope/>", b"not xml",
                     b"<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>"
                     b"</PublicAccessBlockConfiguration>",
                     b"<PublicAccessBlockConfiguration><Other>true</Other></PublicAccessBlockConfiguration>"):
            with self.subTest(body=body):
                def swap(request, **_):
                    request.data = body
                    for h in list(request.headers.keys()):
                        if h.lower() == "content-md5" or h.lower().startswith("x-amz-checksum") or \
                                h.lower() == "x-amz-sdk-checksum-algorithm":
                            del request.headers[h]
                ev = "before-sign.s3.PutPublicAccessBlock"
                self.s3.meta.events.register(ev, swap)
                try:
                    with self.assertRaises(ClientError) as e:
                        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={})
                finally:
                    self.s3.meta.events.unregister(ev, swap)
                self.assertEqual(code(e), "MalformedXML")
        # Unchanged by the refusals.
        self.assertEqual(self.s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"], ALL_ON)

    def test_account_public_access_block(self):
        c = control(self.srv)
        with self.assertRaises(ClientError) as e:
            c.get_public_access_block(AccountId=ACCOUNT)
        self.assertEqual(code(e), "NoSuchPublicAccessBlockConfiguration")
        c.put_public_access_block(AccountId=ACCOUNT,
                                  PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
        self.assertEqual(c.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"],
                         {"BlockPublicAcls": False, "IgnorePublicAcls": False,
                          "BlockPublicPolicy": True, "RestrictPublicBuckets": False})
        # The account's setting applies to a bucket whose own settings are off.
        b = self.bucket()
        self.s3.delete_public_access_block(Bucket=b)
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
        self.assertEqual(code(e), "AccessDenied")
        self.assertIn("BlockPublicPolicy", e.exception.response["Error"]["Message"])
        c.delete_public_access_block(AccountId=ACCOUNT)
        with self.assertRaises(ClientError) as e:
            c.get_public_access_block(AccountId=ACCOUNT)
        self.assertEqual(code(e), "NoSuchPublicAccessBlockConfiguration")
        self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))  # allowed now
        # Another account's id is not this one's.
        with self.assertRaises(ClientError) as e:
            c.get_public_access_block(AccountId="111111111111")
        self.assertEqual(code(e), "AccessDenied")

    def test_account_setting_survives_restart(self):
        srv = Server().start()
        try:
            control(srv).put_public_access_block(
                AccountId=ACCOUNT, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
            srv.stop()
            srv.start()
            got = control(srv).get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]
            self.assertTrue(got["RestrictPublicBuckets"])
            self.assertFalse(got["BlockPublicPolicy"])
        finally:
            srv.cleanup()

    def test_anonymous_reads_only_what_the_policy_makes_public(self):
        b = self.bucket()
        for k in ("public/a.txt", "private/b.txt"):
            self.s3.put_object(Bucket=b, Key=k, Body=k.encode())
        # Without a policy nothing is public.
        self.assertEqual(unsigned(self.srv, "GET", f"/{b}/public/a.txt")[0], 403)
        # Block Public Access (on for a new bucket) refuses a public policy.
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
        self.assertEqual(code(e), "AccessDenied")
        self.s3.delete_public_access_block(Bucket=b)
        self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
        st, body = unsigned(self.srv, "GET", f"/{b}/public/a.txt")
        self.assertEqual((st, body), (200, b"public/a.txt"))
        self.assertEqual(unsigned(self.srv, "HEAD", f"/{b}/public/a.txt")[0], 200)
        st, body = unsigned(self.srv, "GET", f"/{b}/private/b.txt")
        self.assertEqual(st, 403)
        self.assertIn(b"<Code>AccessDenied</Code><Message>Access Denied</Message>", body)
        self.assertEqual(unsigned(self.srv, "GET", f"/{b}")[0], 403)            # listing
        self.assertEqual(unsigned(self.srv, "GET", "/")[0], 403)                # ListBuckets
        self.assertEqual(unsigned(self.srv, "PUT", f"/{b}/public/new", body=b"x")[0], 403)
        self.assertEqual(unsigned(self.srv, "DELETE", f"/{b}/public/a.txt")[0], 403)
        self.assertEqual(unsigned(self.srv, "GET", f"/{b}?policy")[0], 403)
        # A missing key under the public prefix: 403 too, without s3:ListBucket.
        self.assertEqual(unsigned(self.srv, "GET", f"/{b}/public/none")[0], 403)
        # RestrictPublicBuckets at the bucket level ignores the public policy...
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
        self.assertEqual(unsigned(self.srv, "GET", f"/{b}/public/a.txt")[0], 403)
        self.s3.delete_public_access_block(Bucket=b)
        self.assertEqual(unsigned(self.srv, "GET", f"/{b}/public/a.txt")[0], 200)
        # ... and at the account level.
        c = control(self.srv)
        c.put_public_access_block(AccountId=ACCOUNT,
                                  PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
        try:
            self.assertEqual(unsigned(self.srv, "GET", f"/{b}/public/a.txt")[0], 403)
        finally:
            c.delete_public_access_block(AccountId=ACCOUNT)
        self.assertEqual(unsigned(self.srv, "GET", f"/{b}/public/a.txt")[0], 200)
        # The root still does everything.
        self.assertEqual(self.s3.get_object(Bucket=b, Key="private/b.txt")["Body"].read(), b"private/b.txt")

    def test_anonymous_write_and_list_when_public(self):
        b = self.bucket()
        self.s3.delete_public_access_block(Bucket=b)
        self.assertEqual(unsigned(self.srv, "PUT", f"/{b}/drop/x", body=b"hello")[0], 403)
        self.assertEqual(unsigned(self.srv, "GET", f"/{b}?list-type=2")[0], 403)
        self.s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{b}/drop/*"},
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:ListBucket",
             "Resource": f"arn:aws:s3:::{b}", "Condition": {"StringEquals": {"s3:prefix": "drop/"}}}]}))
        self.assertEqual(unsigned(self.srv, "PUT", f"/{b}/drop/x", body=b"hello")[0], 200)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="drop/x")["Body"].read(), b"hello")
        self.assertEqual(unsigned(self.srv, "PUT", f"/{b}/other/x", body=b"hello")[0], 403)
        st, body = unsigned(self.srv, "GET", f"/{b}?list-type=2&prefix=drop/")
        self.assertEqual(st, 200)
        self.assertIn(b"<Key>drop/x</Key>", body)
        self.assertEqual(unsigned(self.srv, "GET", f"/{b}?list-type=2")[0], 403)      # no prefix
        self.assertEqual(unsigned(self.srv, "GET", f"/{b}?list-type=2&prefix=other/")[0], 403)

    def test_policy_status(self):
        b = self.bucket()
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_policy_status(Bucket=b)
        self.assertEqual(code(e), "NoSuchBucketPolicy")
        private = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}]})
        self.s3.put_bucket_policy(Bucket=b, Policy=private)  # not public: BPA lets it in
        self.assertFalse(self.s3.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"])
        self.s3.delete_public_access_block(Bucket=b)
        self.s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
        self.assertTrue(self.s3.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"])
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_policy_status(Bucket="no-such-acc-bucket")
        self.assertEqual(code(e), "NoSuchBucket")

    def test_malformed_policies(self):
        b = self.bucket()
        self.s3.delete_public_access_block(Bucket=b)

        def doc(**st):
            s = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}
            s.update(st)
            return json.dumps({"Version": "2012-10-17", "Statement": [{k: v for k, v in s.items() if v is not None}]})
        cases = [
            (doc(Resource="arn:aws:s3:::some-other-bucket/*"), "Policy has invalid resource"),
            (doc(Resource="arn:aws:sqs:us-east-1:000000000000:q"), "Policy has invalid resource"),
            (doc(Action="sqs:SendMessage"), "Policy has invalid action"),
            (doc(Resource=f"arn:aws:s3:::{b}"), "Action does not apply to any resource(s) in statement"),
            (doc(Action="s3:ListBucket"), "Action does not apply to any resource(s) in statement"),
            (doc(Principal={"AWS": "not-an-arn"}), "Invalid principal in policy"),
            (doc(Action=None), "Missing required field Action"),
        ]
        for text, msg in cases:
            with self.subTest(msg=msg, text=text):
                with self.assertRaises(ClientError) as e:
                    self.s3.put_bucket_policy(Bucket=b, Policy=text)
                self.assertEqual(code(e), "MalformedPolicy")
                self.assertEqual(e.exception.response["Error"]["Message"], msg)
        # The same statements, made right, are accepted.
        self.s3.put_bucket_policy(Bucket=b, Policy=doc(Action=["s3:GetObject", "s3:ListBucket"],
                                                       Resource=[f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"]))

    def test_no_answer_unchecked(self):
        b = self.bucket()
        unsigned(self.srv, "GET", f"/{b}/x")
        unsigned(self.srv, "GET", "/")
        self.assertEqual(metric(self.srv, "stratus_authz_unchecked_total"), 0)


def refused(fn, **kw):
    """iam_base.denied, where a HEAD's refusal (no body) is its bare 403."""
    if fn.__name__ in ("head_object", "head_bucket"):
        with unittest.TestCase().assertRaises(ClientError) as e:
            fn(**kw)
        assert e.exception.response["Error"]["Code"] == "403", e.exception.response
        return e.exception.response
    return iam_base.denied(fn, **kw)


def denied_code(fn, *a, **kw):
    """The error code of a refused call, or None when the call was not refused for access."""
    try:
        fn(*a, **kw)
    except ClientError as e:
        c = e.response["Error"]["Code"]
        return c if c in ("AccessDenied", "403") else None
    return None


class S3IamAccess(unittest.TestCase):
    """IAM users and roles against S3: identity policies, bucket policies, every operation."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})
        cls.b = "iam-acc-bucket"
        cls.s3.create_bucket(Bucket=cls.b)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def client(self, creds, **cfg):
        return iam_base.client(self.srv, creds, "s3", s3={"addressing_style": "path"}, **cfg)

    def user(self, *docs, **kw):
        name = "u" + uuid.uuid4().hex[:10]
        return iam_base.user(self.srv, name, policies=docs, **kw)

    def test_denial_message(self):
        u = self.user()
        e = iam_base.denied(self.client(u).get_object, Bucket=self.b, Key="k")
        self.assertEqual(e["Error"]["Message"],
                         f"User: {u['arn']} is not authorized to perform: s3:GetObject on resource: "
                         f"\"arn:aws:s3:::{self.b}/k\" because no identity-based policy allows the "
                         f"s3:GetObject action")
        self.s3.put_object(Bucket=self.b, Key="k", Body=b"v")
        ok = self.user(iam_base.allow("s3:GetObject", f"arn:aws:s3:::{self.b}/*"))
        self.assertEqual(self.client(ok).get_object(Bucket=self.b, Key="k")["Body"].read(), b"v")

    def test_home_prefix_user(self):
        doc = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{self.b}",
             "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": f"arn:aws:s3:::{self.b}/home/${{aws:username}}/*"}]}
        u = self.user(doc)
        me, c = u["name"], self.client(u)
        self.s3.put_object(Bucket=self.b, Key="home/other/secret", Body=b"s")
        c.put_object(Bucket=self.b, Key=f"home/{me}/a.txt", Body=b"mine")
        self.assertEqual(c.get_object(Bucket=self.b, Key=f"home/{me}/a.txt")["Body"].read(), b"mine")
        keys = [o["Key"] for o in c.list_objects_v2(Bucket=self.b, Prefix=f"home/{me}/").get("Contents", [])]
        self.assertEqual(keys, [f"home/{me}/a.txt"])
        c.list_objects_v2(Bucket=self.b, Prefix="home/", Delimiter="/")
        iam_base.denied(c.list_objects_v2, Bucket=self.b, Prefix="home/other/")
        iam_base.denied(c.put_object, Bucket=self.b, Key="home/other/x", Body=b"x")
        iam_base.denied(c.get_object, Bucket=self.b, Key="home/other/secret")
        iam_base.denied(c.delete_object, Bucket=self.b, Key="home/other/secret")
        # The AWS CLI with the user's key: copies into the home prefix, not elsewhere.
        env = dict(os.environ, AWS_ACCESS_KEY_ID=u["access_key"], AWS_SECRET_ACCESS_KEY=u["secret_key"],
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        env.pop("AWS_SESSION_TOKEN", None)
        fd, src = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(fd, "w") as f:
            f.write("from the cli")
        try:
            def aws(*args):
                return subprocess.run([AWS_CLI, "--endpoint-url", self.srv.endpoint] + list(args),
                                      env=env, capture_output=True, text=True, timeout=120)
            r = aws("s3", "cp", src, f"s3://{self.b}/home/{me}/cli.txt")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = aws("s3", "cp", src, f"s3://{self.b}/home/other/cli.txt")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("AccessDenied", r.stderr)
            r = aws("s3", "ls", f"s3://{self.b}/home/{me}/")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("cli.txt", r.stdout)
        finally:
            os.unlink(src)

    def test_copy_needs_both_permissions(self):
        self.s3.put_object(Bucket=self.b, Key="src/a", Body=b"copy me")
        read = iam_base.allow("s3:GetObject", f"arn:aws:s3:::{self.b}/src/*")
        write = iam_base.allow("s3:PutObject", f"arn:aws:s3:::{self.b}/dst/*")
        for docs in ((read,), (write,)):
            u = self.user(*docs)
            iam_base.denied(self.client(u).copy_object, Bucket=self.b, Key="dst/a",
                            CopySource={"Bucket": self.b, "Key": "src/a"})
        u = self.user(read, write)
        self.client(u).copy_object(Bucket=self.b, Key="dst/a", CopySource={"Bucket": self.b, "Key": "src/a"})
        self.assertEqual(self.s3.get_object(Bucket=self.b, Key="dst/a")["Body"].read(), b"copy me")

    def test_presigned_urls_carry_their_signer(self):
        self.s3.put_object(Bucket=self.b, Key="ps/a", Body=b"presigned")
        for docs, want in (((), 403), ((iam_base.allow("s3:GetObject", f"arn:aws:s3:::{self.b}/ps/*"),), 200)):
            u = self.user(*docs)
            url = self.client(u, signature_version="s3v4").generate_presigned_url(
                "get_object", Params={"Bucket": self.b, "Key": "ps/a"}, ExpiresIn=300)
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    got, body = r.status, r.read()
            except urllib.error.HTTPError as e:
                got, body = e.code, e.read()
            self.assertEqual(got, want, body)
            if want == 200:
                self.assertEqual(body, b"presigned")
            else:
                self.assertIn(b"AccessDenied", body)

    def test_post_policy_of_a_limited_user(self):
        u = self.user(iam_base.allow("s3:PutObject", f"arn:aws:s3:::{self.b}/forms/*"))
        c = self.client(u, signature_version="s3v4")
        for key, want in (("forms/ok.txt", 204), ("other/no.txt", 403)):
            post = c.generate_presigned_post(self.b, key, ExpiresIn=300)
            b = uuid.uuid4().hex
            parts = [f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                     for k, v in post["fields"].items()]
            body = b"".join(parts) + (f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
                                      f"Content-Type: text/plain\r\n\r\nform data\r\n--{b}--\r\n").encode()
            st, out = unsigned(self.srv, "POST", f"/{self.b}", body=body,
                               headers={"Content-Type": f"multipart/form-data; boundary={b}"})
            self.assertEqual(st, want, out)
        self.assertEqual(self.s3.get_object(Bucket=self.b, Key="forms/ok.txt")["Body"].read(), b"form data")
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket=self.b, Key="other/no.txt")

    def test_missing_key_is_403_without_list_permission(self):
        get = iam_base.allow("s3:GetObject", f"arn:aws:s3:::{self.b}/*")
        u = self.user(get)
        iam_base.denied(self.client(u).get_object, Bucket=self.b, Key="nothing-here")
        u = self.user(get, iam_base.allow("s3:ListBucket", f"arn:aws:s3:::{self.b}"))
        with self.assertRaises(ClientError) as e:
            self.client(u).get_object(Bucket=self.b, Key="nothing-here")
        self.assertEqual(code(e), "NoSuchKey")

    def test_bucket_policy_grants_a_user(self):
        b = "iam-acc-granted"
        self.s3.create_bucket(Bucket=b)
        self.s3.put_object(Bucket=b, Key="x", Body=b"x")
        u = self.user()
        iam_base.denied(self.client(u).get_object, Bucket=b, Key="x")
        self.s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": u["arn"]}, "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{b}/*"}]}))
        self.assertEqual(self.client(u).get_object(Bucket=b, Key="x")["Body"].read(), b"x")
        # An explicit deny in the bucket policy wins over the identity policy.
        admin = self.user(iam_base.allow("s3:*"))
        self.client(admin).get_object(Bucket=b, Key="x")
        self.s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}]}))
        e = iam_base.denied(self.client(admin).get_object, Bucket=b, Key="x")
        self.assertIn("explicit deny in a resource-based policy", e["Error"]["Message"])

    def test_delete_objects_checks_each_key(self):
        for k in ("del/a", "keep/b"):
            self.s3.put_object(Bucket=self.b, Key=k, Body=b"x")
        u = self.user(iam_base.allow("s3:DeleteObject", f"arn:aws:s3:::{self.b}/del/*"))
        out = self.client(u).delete_objects(Bucket=self.b, Delete={"Objects": [{"Key": "del/a"}, {"Key": "keep/b"}]})
        self.assertEqual([d["Key"] for d in out.get("Deleted", [])], ["del/a"])
        self.assertEqual([(e["Key"], e["Code"]) for e in out.get("Errors", [])], [("keep/b", "AccessDenied")])
        self.s3.head_object(Bucket=self.b, Key="keep/b")

    def test_every_operation_refused_to_a_powerless_user(self):
        b = "iam-acc-every"  # its own bucket: the permitted calls change its configuration
        self.s3.create_bucket(Bucket=b)
        self.s3.put_object(Bucket=b, Key="every/k", Body=b"x")
        up = self.s3.create_multipart_upload(Bucket=b, Key="every/mpu")["UploadId"]
        ops = [
            ("list_buckets", {}),
            ("create_bucket", {"Bucket": "iam-acc-new"}),
            ("head_bucket", {"Bucket": b}),
            ("get_bucket_location", {"Bucket": b}),
            ("list_objects", {"Bucket": b}),
            ("list_objects_v2", {"Bucket": b}),
            ("list_object_versions", {"Bucket": b}),
            ("put_object", {"Bucket": b, "Key": "every/new", "Body": b"x"}),
            ("get_object", {"Bucket": b, "Key": "every/k"}),
            ("head_object", {"Bucket": b, "Key": "every/k"}),
            ("delete_object", {"Bucket": b, "Key": "every/k"}),
            ("copy_object", {"Bucket": b, "Key": "every/c", "CopySource": {"Bucket": b, "Key": "every/k"}}),
            ("get_object_tagging", {"Bucket": b, "Key": "every/k"}),
            ("put_object_tagging", {"Bucket": b, "Key": "every/k", "Tagging": {"TagSet": [{"Key": "a", "Value": "b"}]}}),
            ("delete_object_tagging", {"Bucket": b, "Key": "every/k"}),
            ("get_object_attributes", {"Bucket": b, "Key": "every/k", "ObjectAttributes": ["ETag"]}),
            ("get_object_acl", {"Bucket": b, "Key": "every/k"}),
            ("put_object_acl", {"Bucket": b, "Key": "every/k", "ACL": "private"}),
            ("get_bucket_acl", {"Bucket": b}),
            ("put_bucket_acl", {"Bucket": b, "ACL": "private"}),
            ("get_bucket_tagging", {"Bucket": b}),
            ("put_bucket_tagging", {"Bucket": b, "Tagging": {"TagSet": [{"Key": "a", "Value": "b"}]}}),
            ("delete_bucket_tagging", {"Bucket": b}),
            ("get_bucket_versioning", {"Bucket": b}),
            ("put_bucket_versioning", {"Bucket": b, "VersioningConfiguration": {"Status": "Suspended"}}),
            ("get_object_lock_configuration", {"Bucket": b}),
            ("create_multipart_upload", {"Bucket": b, "Key": "every/m2"}),
            ("upload_part", {"Bucket": b, "Key": "every/mpu", "UploadId": up, "PartNumber": 1, "Body": b"p"}),
            ("upload_part_copy", {"Bucket": b, "Key": "every/mpu", "UploadId": up, "PartNumber": 2,
                                  "CopySource": {"Bucket": b, "Key": "every/k"}}),
            ("list_parts", {"Bucket": b, "Key": "every/mpu", "UploadId": up}),
            ("list_multipart_uploads", {"Bucket": b}),
            ("complete_multipart_upload", {"Bucket": b, "Key": "every/mpu", "UploadId": up,
                                           "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": "x"}]}}),
            ("abort_multipart_upload", {"Bucket": b, "Key": "every/mpu", "UploadId": up}),
            ("get_bucket_policy", {"Bucket": b}),
            ("get_bucket_policy_status", {"Bucket": b}),
            ("put_bucket_policy", {"Bucket": b, "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/nothing"}]})}),
            ("delete_bucket_policy", {"Bucket": b}),
            ("get_bucket_cors", {"Bucket": b}),
            ("put_bucket_cors", {"Bucket": b, "CORSConfiguration": {"CORSRules": [
                {"AllowedOrigins": ["http://127.0.0.1"], "AllowedMethods": ["GET"]}]}}),
            ("delete_bucket_cors", {"Bucket": b}),
            ("get_bucket_lifecycle_configuration", {"Bucket": b}),
            ("put_bucket_lifecycle_configuration", {"Bucket": b, "LifecycleConfiguration": {"Rules": [
                {"ID": "r", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 3}}]}}),
            ("delete_bucket_lifecycle", {"Bucket": b}),
            ("get_bucket_notification_configuration", {"Bucket": b}),
            ("put_bucket_notification_configuration", {"Bucket": b, "NotificationConfiguration": {}}),
            ("get_public_access_block", {"Bucket": b}),
            ("put_public_access_block", {"Bucket": b, "PublicAccessBlockConfiguration": ALL_ON}),
            ("delete_public_access_block", {"Bucket": b}),
            ("delete_objects", None),
            ("delete_bucket", {"Bucket": "iam-acc-new"}),
        ]
        nobody = self.client(self.user())
        admin = self.client(self.user(iam_base.allow("s3:*")))
        for name, kw in ops:
            with self.subTest(op=name):
                if kw is None:  # per key: a refusal inside a 200
                    out = nobody.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "every/k"}]})
                    self.assertEqual(out["Errors"][0]["Code"], "AccessDenied")
                    out = admin.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "every/zz"}]})
                    self.assertNotIn("Errors", out)
                    continue
                refused(getattr(nobody, name), **kw)
                self.assertIsNone(denied_code(getattr(admin, name), **kw), name)
        c = control(self.srv, self.user())
        iam_base.denied(c.get_public_access_block, AccountId=ACCOUNT)
        iam_base.denied(c.put_public_access_block, AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_ON)
        c = control(self.srv, self.user(iam_base.allow("s3:*")))
        c.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
        c.delete_public_access_block(AccountId=ACCOUNT)
        self.assertEqual(metric(self.srv, "stratus_authz_unchecked_total"), 0)


if __name__ == "__main__":
    unittest.main()
