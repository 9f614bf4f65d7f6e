# SPDX-License-Identifier: Apache-2.0
"""S3 Object Lock (issue 16, package L) through boto3, the AWS CLI v2 and raw HTTP: buckets
created with Object Lock, default retention, GOVERNANCE and COMPLIANCE retention (a root
delete refused), legal holds, lock headers on multipart uploads and copies, the lifecycle job
leaving locked versions alone (a one-second lifecycle day), IAM users and the bypass."""
import datetime
import http.client
import json
import os
import subprocess
import time
import unittest

from botocore.exceptions import ClientError

import iam_base
from stratus_fixture import Server

AWS_V2 = os.environ.get("AWS_CLI_V2") or "/usr/bin/aws"
LOCKED_MSG = "Access Denied because object protected by object lock."


def code(e):
    return e.exception.response["Error"]["Code"]


def status(e):
    return e.exception.response["ResponseMetadata"]["HTTPStatusCode"]


def message(e):
    return e.exception.response["Error"].get("Message")


def later(seconds):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)


def wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


class S3ObjectLock(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--sweep-interval", "100", "--lifecycle-day-seconds", "1").start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def lock_bucket(self, name, rule=None):
        self.s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
        if rule:
            self.s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": rule}})
        return name

    def put(self, bucket, key, body=b"data", **kw):
        return self.s3.put_object(Bucket=bucket, Key=key, Body=body, **kw)["VersionId"]

    # ---- buckets and configurations ----

    def test_create_bucket_with_lock(self):
        b = self.lock_bucket("lk-create")
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled")
        conf = self.s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
        self.assertEqual(conf, {"ObjectLockEnabled": "Enabled"})
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
        self.assertEqual((code(e), status(e)), ("InvalidBucketState", 409))
        self.assertIn("Object Lock configuration is present", message(e))
        # Enabled again is no change: allowed
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        self.s3.create_bucket(Bucket="lk-plain")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object_lock_configuration(Bucket="lk-plain")
        self.assertEqual((code(e), status(e)), ("ObjectLockConfigurationNotFoundError", 404))

    def test_put_configuration(self):
        self.s3.create_bucket(Bucket="lk-conf")
        conf = {"ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}}
        with self.assertRaises(ClientError) as e:  # versioning is not Enabled
            self.s3.put_object_lock_configuration(Bucket="lk-conf", ObjectLockConfiguration=conf)
        self.assertEqual((code(e), status(e)), ("InvalidBucketState", 409))
        self.s3.put_bucket_versioning(Bucket="lk-conf", VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_object_lock_configuration(Bucket="lk-conf", ObjectLockConfiguration=conf)
        got = self.s3.get_object_lock_configuration(Bucket="lk-conf")["ObjectLockConfiguration"]
        self.assertEqual(got, conf)
        bad = [({"Mode": "GOVERNANCE", "Days": 0}, "InvalidArgument"),
               ({"Mode": "GOVERNANCE", "Days": 36501}, "InvalidArgument"),
               ({"Mode": "GOVERNANCE", "Days": 1, "Years": 1}, "MalformedXML"),
               ({"Mode": "GOVERNANCE"}, "MalformedXML"),
               ({"Mode": "FOREVER", "Days": 1}, "MalformedXML")]
        for rule, want in bad:
            with self.assertRaises(ClientError) as e:
                self.s3.put_object_lock_configuration(Bucket="lk-conf", ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": rule}})
            self.assertEqual((code(e), status(e)), (want, 400), rule)
        # the stored configuration is unchanged by the refusals; suspending is refused
        got = self.s3.get_object_lock_configuration(Bucket="lk-conf")["ObjectLockConfiguration"]
        self.assertEqual(got, conf)
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_versioning(Bucket="lk-conf", VersioningConfiguration={"Status": "Suspended"})
        self.assertEqual(code(e), "InvalidBucketState")
        # Years; and a configuration without a rule drops the default
        conf = {"ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}}}
        self.s3.put_object_lock_configuration(Bucket="lk-conf", ObjectLockConfiguration=conf)
        self.assertEqual(self.s3.get_object_lock_configuration(Bucket="lk-conf")["ObjectLockConfiguration"], conf)
        self.s3.put_object_lock_configuration(Bucket="lk-conf",
                                              ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
        self.put("lk-conf", "k")
        h = self.s3.head_object(Bucket="lk-conf", Key="k")
        self.assertNotIn("ObjectLockMode", h)

    def test_default_retention(self):
        b = self.lock_bucket("lk-default", {"Mode": "GOVERNANCE", "Days": 1})
        before = datetime.datetime.now(datetime.timezone.utc)
        vid = self.put(b, "k")
        h = self.s3.head_object(Bucket=b, Key="k")
        self.assertEqual(h["ObjectLockMode"], "GOVERNANCE")
        until = h["ObjectLockRetainUntilDate"]
        self.assertLess(abs((until - before).total_seconds() - 86400), 60)
        r = self.s3.get_object_retention(Bucket=b, Key="k", VersionId=vid)["Retention"]
        self.assertEqual(r["Mode"], "GOVERNANCE")
        self.assertEqual(r["RetainUntilDate"], until)
        g = self.s3.get_object(Bucket=b, Key="k")
        self.assertEqual(g["ObjectLockMode"], "GOVERNANCE")
        g["Body"].read()
        # explicit headers win over the default
        self.put(b, "k2", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=later(120))
        self.assertEqual(self.s3.head_object(Bucket=b, Key="k2")["ObjectLockMode"], "COMPLIANCE")

    # ---- retention ----

    def test_governance(self):
        b = self.lock_bucket("lk-gov")
        vid = self.put(b, "k", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(3600))
        with self.assertRaises(ClientError) as e:
            self.s3.delete_object(Bucket=b, Key="k", VersionId=vid)
        self.assertEqual((code(e), status(e), message(e)), ("AccessDenied", 403, LOCKED_MSG))
        # a delete without a version adds a delete marker: allowed
        r = self.s3.delete_object(Bucket=b, Key="k")
        self.assertTrue(r["DeleteMarker"])
        # shortening needs the bypass; extending does not
        with self.assertRaises(ClientError) as e:
            self.s3.put_object_retention(Bucket=b, Key="k", VersionId=vid, Retention={
                "Mode": "GOVERNANCE", "RetainUntilDate": later(600)})
        self.assertEqual((code(e), status(e)), ("AccessDenied", 403))
        self.s3.put_object_retention(Bucket=b, Key="k", VersionId=vid, Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": later(7200)})
        self.s3.put_object_retention(Bucket=b, Key="k", VersionId=vid, BypassGovernanceRetention=True,
                                     Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(600)})
        r = self.s3.get_object_retention(Bucket=b, Key="k", VersionId=vid)["Retention"]
        self.assertLess(abs((r["RetainUntilDate"] - later(600)).total_seconds()), 60)
        # the owner with the bypass may delete the version
        self.s3.delete_object(Bucket=b, Key="k", VersionId=vid, BypassGovernanceRetention=True)
        vids = [v["VersionId"] for v in self.s3.list_object_versions(Bucket=b).get("Versions", [])]
        self.assertNotIn(vid, vids)
        # removing a GOVERNANCE retention: only with the bypass
        vid = self.put(b, "k3", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(3600))
        with self.assertRaises(ClientError) as e:
            self.s3.put_object_retention(Bucket=b, Key="k3", VersionId=vid, Retention={})
        self.assertEqual(code(e), "AccessDenied")
        self.s3.put_object_retention(Bucket=b, Key="k3", VersionId=vid, Retention={},
                                     BypassGovernanceRetention=True)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object_retention(Bucket=b, Key="k3", VersionId=vid)
        self.assertEqual(code(e), "NoSuchObjectLockConfiguration")
        self.s3.delete_object(Bucket=b, Key="k3", VersionId=vid)

    def test_compliance_refuses_root(self):
        b = self.lock_bucket("lk-comp")
        vid = self.put(b, "k", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=later(3600))
        for bypass in (False, True):
            with self.assertRaises(ClientError) as e:
                self.s3.delete_object(Bucket=b, Key="k", VersionId=vid, BypassGovernanceRetention=bypass)
            self.assertEqual((code(e), status(e), message(e)), ("AccessDenied", 403, LOCKED_MSG))
        # no shortening, no weaker mode, no removal: not even the root with the bypass
        for ret in ({"Mode": "COMPLIANCE", "RetainUntilDate": later(600)},
                    {"Mode": "GOVERNANCE", "RetainUntilDate": later(7200)}, {}):
            with self.assertRaises(ClientError) as e:
                self.s3.put_object_retention(Bucket=b, Key="k", VersionId=vid, Retention=ret,
                                             BypassGovernanceRetention=True)
            self.assertEqual((code(e), status(e)), ("AccessDenied", 403), ret)
        # extending is allowed
        self.s3.put_object_retention(Bucket=b, Key="k", VersionId=vid, Retention={
            "Mode": "COMPLIANCE", "RetainUntilDate": later(7200)})
        r = self.s3.get_object_retention(Bucket=b, Key="k", VersionId=vid)["Retention"]
        self.assertEqual(r["Mode"], "COMPLIANCE")
        # DeleteObjects reports the key; the bucket cannot be deleted while it holds versions
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k", "VersionId": vid}]},
                                   BypassGovernanceRetention=True)
        self.assertEqual([(x["Key"], x["Code"], x["Message"]) for x in r["Errors"]],
                         [("k", "AccessDenied", LOCKED_MSG)])
        with self.assertRaises(ClientError) as e:
            self.s3.delete_bucket(Bucket=b)
        self.assertEqual(code(e), "BucketNotEmpty")
        self.assertIn(vid, [v["VersionId"] for v in self.s3.list_object_versions(Bucket=b)["Versions"]])

    def test_short_retention_expires(self):
        b = self.lock_bucket("lk-expire")
        vid = self.put(b, "k", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=later(2))
        with self.assertRaises(ClientError) as e:
            self.s3.delete_object(Bucket=b, Key="k", VersionId=vid)
        self.assertEqual(code(e), "AccessDenied")

        def deleted():
            try:
                self.s3.delete_object(Bucket=b, Key="k", VersionId=vid)
                return True
            except ClientError:
                return False
        self.assertTrue(wait_for(deleted, timeout=15))

    def test_governance_to_compliance(self):
        b = self.lock_bucket("lk-g2c")
        vid = self.put(b, "k", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(3600))
        self.s3.put_object_retention(Bucket=b, Key="k", VersionId=vid, Retention={
            "Mode": "COMPLIANCE", "RetainUntilDate": later(3600)})
        with self.assertRaises(ClientError) as e:
            self.s3.delete_object(Bucket=b, Key="k", VersionId=vid, BypassGovernanceRetention=True)
        self.assertEqual(code(e), "AccessDenied")

    # ---- legal hold ----

    def test_legal_hold(self):
        b = self.lock_bucket("lk-hold")
        vid = self.put(b, "k")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object_legal_hold(Bucket=b, Key="k")
        self.assertEqual((code(e), status(e)), ("NoSuchObjectLockConfiguration", 404))
        self.s3.put_object_legal_hold(Bucket=b, Key="k", LegalHold={"Status": "ON"})
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=b, Key="k")["LegalHold"], {"Status": "ON"})
        self.assertEqual(self.s3.head_object(Bucket=b, Key="k")["ObjectLockLegalHoldStatus"], "ON")
        for bypass in (False, True):
            with self.assertRaises(ClientError) as e:
                self.s3.delete_object(Bucket=b, Key="k", VersionId=vid, BypassGovernanceRetention=bypass)
            self.assertEqual((code(e), message(e)), ("AccessDenied", LOCKED_MSG))
        self.s3.put_object_legal_hold(Bucket=b, Key="k", VersionId=vid, LegalHold={"Status": "OFF"})
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=b, Key="k")["LegalHold"], {"Status": "OFF"})
        self.assertEqual(self.s3.head_object(Bucket=b, Key="k")["ObjectLockLegalHoldStatus"], "OFF")
        self.s3.delete_object(Bucket=b, Key="k", VersionId=vid)
        # on PutObject
        vid = self.put(b, "h", ObjectLockLegalHoldStatus="ON")
        with self.assertRaises(ClientError) as e:
            self.s3.delete_object(Bucket=b, Key="h", VersionId=vid)
        self.assertEqual(code(e), "AccessDenied")
        with self.assertRaises(ClientError) as e:
            self.s3.put_object_legal_hold(Bucket=b, Key="missing", LegalHold={"Status": "ON"})
        self.assertEqual(code(e), "NoSuchKey")

    # ---- multipart and copy ----

    def test_multipart_and_copy(self):
        b = self.lock_bucket("lk-mpu", {"Mode": "GOVERNANCE", "Days": 1})
        until = later(5400).replace(microsecond=0)
        up = self.s3.create_multipart_upload(Bucket=b, Key="m", ObjectLockMode="COMPLIANCE",
                                             ObjectLockRetainUntilDate=until,
                                             ObjectLockLegalHoldStatus="ON")
        part = self.s3.upload_part(Bucket=b, Key="m", UploadId=up["UploadId"], PartNumber=1,
                                   Body=b"x" * 1024)
        r = self.s3.complete_multipart_upload(Bucket=b, Key="m", UploadId=up["UploadId"], MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        h = self.s3.head_object(Bucket=b, Key="m")
        self.assertEqual((h["ObjectLockMode"], h["ObjectLockRetainUntilDate"], h["ObjectLockLegalHoldStatus"]),
                         ("COMPLIANCE", until, "ON"))
        with self.assertRaises(ClientError) as e:
            self.s3.delete_object(Bucket=b, Key="m", VersionId=r["VersionId"])
        self.assertEqual(code(e), "AccessDenied")
        # an upload without headers gets the bucket's default at completion
        up = self.s3.create_multipart_upload(Bucket=b, Key="d")
        part = self.s3.upload_part(Bucket=b, Key="d", UploadId=up["UploadId"], PartNumber=1, Body=b"y")
        self.s3.complete_multipart_upload(Bucket=b, Key="d", UploadId=up["UploadId"], MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        self.assertEqual(self.s3.head_object(Bucket=b, Key="d")["ObjectLockMode"], "GOVERNANCE")
        # a copy takes its request's lock, not its source's
        r = self.s3.copy_object(Bucket=b, Key="c", CopySource={"Bucket": b, "Key": "m"},
                                ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(60))
        h = self.s3.head_object(Bucket=b, Key="c")
        self.assertEqual(h["ObjectLockMode"], "GOVERNANCE")
        self.assertNotIn("ObjectLockLegalHoldStatus", h)
        self.s3.delete_object(Bucket=b, Key="c", VersionId=r["VersionId"], BypassGovernanceRetention=True)
        # into a bucket without Object Lock: no lock at all
        self.s3.create_bucket(Bucket="lk-mpu-dst")
        self.s3.copy_object(Bucket="lk-mpu-dst", Key="c", CopySource={"Bucket": b, "Key": "m"})
        h = self.s3.head_object(Bucket="lk-mpu-dst", Key="c")
        self.assertNotIn("ObjectLockMode", h)
        self.assertNotIn("ObjectLockLegalHoldStatus", h)
        self.s3.delete_object(Bucket="lk-mpu-dst", Key="c")

    # ---- POST Object ----

    def post_form(self, b, key, fields):
        """A browser form upload signed by the root, with extra fields (each in the policy)."""
        import uuid
        c = self.srv.client("s3", signature_version="s3v4", s3={"addressing_style": "path"})
        post = c.generate_presigned_post(b, key, Fields=fields, Conditions=[{k: v} for k, v in fields.items()],
                                         ExpiresIn=300)
        bd = uuid.uuid4().hex
        body = b"".join(f'--{bd}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                        for k, v in post["fields"].items())
        body += (f'--{bd}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
                 f"Content-Type: text/plain\r\n\r\nform data\r\n--{bd}--\r\n").encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=15)
        conn.request("POST", f"/{b}", body=body, headers={"Content-Type": f"multipart/form-data; boundary={bd}"})
        r = conn.getresponse()
        out = r.status, r.read()
        conn.close()
        return out

    def test_post_object(self):
        b = self.lock_bucket("lk-post", {"Mode": "GOVERNANCE", "Days": 1})
        st, out = self.post_form(b, "default.txt", {})
        self.assertEqual(st, 204, out)
        self.assertEqual(self.s3.head_object(Bucket=b, Key="default.txt")["ObjectLockMode"], "GOVERNANCE")
        until = later(3600).strftime("%Y-%m-%dT%H:%M:%SZ")
        st, out = self.post_form(b, "fields.txt", {"x-amz-object-lock-mode": "COMPLIANCE",
                                                   "x-amz-object-lock-retain-until-date": until,
                                                   "x-amz-object-lock-legal-hold": "ON"})
        self.assertEqual(st, 204, out)
        h = self.s3.head_object(Bucket=b, Key="fields.txt")
        self.assertEqual((h["ObjectLockMode"], h["ObjectLockLegalHoldStatus"]), ("COMPLIANCE", "ON"))
        st, out = self.post_form(b, "bad.txt", {"x-amz-object-lock-mode": "COMPLIANCE"})
        self.assertEqual(st, 400, out)
        self.assertIn(b"InvalidArgument", out)

    # ---- errors ----

    def test_errors(self):
        self.s3.create_bucket(Bucket="lk-err-plain")
        with self.assertRaises(ClientError) as e:
            self.put("lk-err-plain", "k", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(60))
        self.assertEqual((code(e), status(e), message(e)),
                         ("InvalidRequest", 400, "Bucket is missing Object Lock Configuration"))
        self.s3.put_object(Bucket="lk-err-plain", Key="k", Body=b"x")
        for call in (lambda: self.s3.get_object_retention(Bucket="lk-err-plain", Key="k"),
                     lambda: self.s3.get_object_legal_hold(Bucket="lk-err-plain", Key="k"),
                     lambda: self.s3.put_object_legal_hold(Bucket="lk-err-plain", Key="k",
                                                           LegalHold={"Status": "ON"}),
                     lambda: self.s3.put_object_retention(Bucket="lk-err-plain", Key="k", Retention={
                         "Mode": "GOVERNANCE", "RetainUntilDate": later(60)})):
            with self.assertRaises(ClientError) as e:
                call()
            self.assertEqual((code(e), message(e)),
                             ("InvalidRequest", "Bucket is missing Object Lock Configuration"))
        b = self.lock_bucket("lk-err")
        cases = [({"ObjectLockMode": "GOVERNANCE"}, "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode"),
                 ({"ObjectLockRetainUntilDate": later(60)}, "must both be supplied"),
                 ({"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": later(-60)}, "in the future"),
                 ({"ObjectLockLegalHoldStatus": "MAYBE"}, "Legal Hold")]
        for kw, text in cases:
            with self.assertRaises(ClientError) as e:
                self.put(b, "k", **kw)
            self.assertEqual((code(e), status(e)), ("InvalidArgument", 400), kw)
            self.assertIn(text, message(e))
        vid = self.put(b, "k")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object_retention(Bucket=b, Key="k", VersionId=vid)
        self.assertEqual((code(e), status(e)), ("NoSuchObjectLockConfiguration", 404))
        with self.assertRaises(ClientError) as e:
            self.s3.put_object_retention(Bucket=b, Key="k", Retention={
                "Mode": "GOVERNANCE", "RetainUntilDate": later(-60)})
        self.assertEqual(code(e), "InvalidArgument")
        # a delete marker has no lock
        dm = self.s3.delete_object(Bucket=b, Key="k")["VersionId"]
        with self.assertRaises(ClientError) as e:
            self.s3.put_object_legal_hold(Bucket=b, Key="k", VersionId=dm, LegalHold={"Status": "ON"})
        self.assertEqual((code(e), status(e)), ("MethodNotAllowed", 405))
        # raw requests: no integrity check, and bodies that do not parse
        retention = (b'<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2099-01-01T00:00:00Z'
                     b'</RetainUntilDate></Retention>')
        st, body = self.raw_put(f"/{b}/k?retention&versionId={vid}", retention, md5=False)
        self.assertEqual(st, 400)
        self.assertIn(b"<Code>InvalidRequest</Code>", body)
        for doc in (b"<Retention><Mode>GOVERNANCE</Mode></Retention>",
                    b"<Retention><Mode>SOMETIMES</Mode><RetainUntilDate>2099-01-01T00:00:00Z</RetainUntilDate></Retention>",
                    b"<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>tomorrow</RetainUntilDate></Retention>",
                    b"<Retention><Mode>GOVERNANCE</Mode>", b"<LegalHold/>"):
            st, body = self.raw_put(f"/{b}/k?retention&versionId={vid}", doc)
            self.assertEqual(st, 400, doc)
            self.assertIn(b"<Code>MalformedXML</Code>", body)
        st, body = self.raw_put(f"/{b}/k?legal-hold&versionId={vid}", b"<LegalHold><Status>on</Status></LegalHold>")
        self.assertEqual(st, 400)
        self.assertIn(b"<Code>MalformedXML</Code>", body)
        self.assertNotIn("ObjectLockLegalHoldStatus", self.s3.head_object(Bucket=b, Key="k", VersionId=vid))
        # a hold set OFF on the write itself is reported OFF
        self.put(b, "off", ObjectLockLegalHoldStatus="OFF")
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=b, Key="off")["LegalHold"], {"Status": "OFF"})

    def raw_put(self, path, body, md5=True):
        """A signed PUT through botocore's signer, with or without Content-MD5."""
        import base64
        import hashlib
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        url = self.srv.endpoint + path
        headers = {"Content-Type": "application/xml"}
        if md5:
            headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
        req = AWSRequest(method="PUT", url=url, data=body, headers=headers)
        S3SigV4Auth(Credentials(self.srv.access_key, self.srv.secret_key), "s3", self.srv.region).add_auth(req)
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        c.request("PUT", path, body=body, headers=dict(req.headers))
        r = c.getresponse()
        out = r.read()
        c.close()
        return r.status, out

    # ---- IAM users ----

    def test_iam_user_bypass_and_headers(self):
        b = self.lock_bucket("lk-iam")
        basic = ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject",
                 "s3:DeleteObjectVersion", "s3:ListBucket", "s3:PutObjectRetention"]
        u = iam_base.user(self.srv, "lk-plain", policies=[iam_base.allow(basic)])
        w = iam_base.user(self.srv, "lk-admin", policies=[iam_base.allow(
            basic + ["s3:BypassGovernanceRetention", "s3:GetObjectRetention", "s3:GetObjectLegalHold"])])
        cu = self.srv.client("s3", access=u["access_key"], secret=u["secret_key"], s3={"addressing_style": "path"})
        cw = self.srv.client("s3", access=w["access_key"], secret=w["secret_key"], s3={"addressing_style": "path"})
        vid = cu.put_object(Bucket=b, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                            ObjectLockRetainUntilDate=later(3600))["VersionId"]
        # the lock headers are shown only to whom may read them
        self.assertNotIn("ObjectLockMode", cu.head_object(Bucket=b, Key="k"))
        self.assertEqual(cw.head_object(Bucket=b, Key="k")["ObjectLockMode"], "GOVERNANCE")
        with self.assertRaises(ClientError) as e:
            cu.get_object_retention(Bucket=b, Key="k")
        self.assertEqual(code(e), "AccessDenied")
        # the bypass header without s3:BypassGovernanceRetention bypasses nothing
        with self.assertRaises(ClientError) as e:
            cu.delete_object(Bucket=b, Key="k", VersionId=vid, BypassGovernanceRetention=True)
        self.assertEqual((code(e), message(e)), ("AccessDenied", LOCKED_MSG))
        with self.assertRaises(ClientError) as e:
            cu.put_object_legal_hold(Bucket=b, Key="k", LegalHold={"Status": "ON"})
        self.assertEqual(code(e), "AccessDenied")
        with self.assertRaises(ClientError) as e:  # s3:PutObjectLegalHold is needed for the header
            cu.put_object(Bucket=b, Key="k2", Body=b"x", ObjectLockLegalHoldStatus="ON")
        self.assertEqual(code(e), "AccessDenied")
        cw.delete_object(Bucket=b, Key="k", VersionId=vid, BypassGovernanceRetention=True)
        # a policy can bound the retention a user may set (s3:object-lock-remaining-retention-days)
        x = iam_base.user(self.srv, "lk-bounded", policies=[{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectRetention"], "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:PutObjectRetention", "Resource": "*",
             "Condition": {"NumericGreaterThan": {"s3:object-lock-remaining-retention-days": "10"}}}]}])
        cx = self.srv.client("s3", access=x["access_key"], secret=x["secret_key"], s3={"addressing_style": "path"})
        cx.put_object(Bucket=b, Key="b", Body=b"x", ObjectLockMode="GOVERNANCE",
                      ObjectLockRetainUntilDate=later(86400 * 5))
        with self.assertRaises(ClientError) as e:
            cx.put_object(Bucket=b, Key="b", Body=b"x", ObjectLockMode="GOVERNANCE",
                          ObjectLockRetainUntilDate=later(86400 * 30))
        self.assertEqual(code(e), "AccessDenied")

    # ---- lifecycle ----

    def test_lifecycle_keeps_locked_versions(self):
        b = self.lock_bucket("lk-lc")
        locked = self.put(b, "a", b"old", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(3600))
        held = self.put(b, "h", b"old", ObjectLockLegalHoldStatus="ON")
        free = self.put(b, "f", b"old")
        for k in ("a", "h", "f"):
            self.put(b, k, b"new")
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
            {"ID": "nc", "Filter": {}, "Status": "Enabled",
             "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})

        def noncurrent():
            vs = self.s3.list_object_versions(Bucket=b).get("Versions", [])
            return sorted(v["VersionId"] for v in vs if not v["IsLatest"])
        # the unlocked noncurrent version goes; the locked and held ones stay
        self.assertTrue(wait_for(lambda: free not in noncurrent(), timeout=15), noncurrent())
        time.sleep(1.5)  # more sweeps
        self.assertEqual(noncurrent(), sorted([locked, held]))

    # ---- the AWS CLI v2 ----

    def aws2(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.srv.access_key,
                   AWS_SECRET_ACCESS_KEY=self.srv.secret_key, AWS_DEFAULT_REGION=self.srv.region,
                   AWS_PAGER="", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        return subprocess.run([AWS_V2, "--endpoint-url", self.srv.endpoint, "--output", "json"] + list(args),
                              env=env, capture_output=True, text=True, timeout=120)

    @unittest.skipUnless(os.path.exists(AWS_V2), "no AWS CLI v2")
    def test_awscli_v2(self):
        r = self.aws2("--version")
        self.assertTrue(r.stdout.startswith("aws-cli/2") or r.stderr.startswith("aws-cli/2"), r.stdout + r.stderr)
        r = self.aws2("s3api", "create-bucket", "--bucket", "lk-cli", "--object-lock-enabled-for-bucket")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.aws2("s3api", "put-object-lock-configuration", "--bucket", "lk-cli",
                      "--object-lock-configuration",
                      json.dumps({"ObjectLockEnabled": "Enabled",
                                  "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3}}}))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.aws2("s3api", "get-object-lock-configuration", "--bucket", "lk-cli")
        self.assertEqual(json.loads(r.stdout)["ObjectLockConfiguration"]["Rule"]["DefaultRetention"],
                         {"Mode": "GOVERNANCE", "Days": 3})
        self.s3.put_object(Bucket="lk-cli", Key="k", Body=b"x")
        until = later(5 * 86400).strftime("%Y-%m-%dT%H:%M:%SZ")  # past the 3-day default
        r = self.aws2("s3api", "put-object-retention", "--bucket", "lk-cli", "--key", "k",
                      "--retention", json.dumps({"Mode": "COMPLIANCE", "RetainUntilDate": until}))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.aws2("s3api", "get-object-retention", "--bucket", "lk-cli", "--key", "k")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["Retention"]["Mode"], "COMPLIANCE")
        r = self.aws2("s3api", "put-object-legal-hold", "--bucket", "lk-cli", "--key", "k",
                      "--legal-hold", "Status=ON")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.aws2("s3api", "get-object-legal-hold", "--bucket", "lk-cli", "--key", "k")
        self.assertEqual(json.loads(r.stdout)["LegalHold"]["Status"], "ON")
        vid = self.s3.head_object(Bucket="lk-cli", Key="k")["VersionId"]
        r = self.aws2("s3api", "delete-object", "--bucket", "lk-cli", "--key", "k", "--version-id", vid,
                      "--bypass-governance-retention")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("AccessDenied", r.stderr)
        r = self.aws2("s3api", "put-object-retention", "--bucket", "lk-cli", "--key", "k",
                      "--bypass-governance-retention",
                      "--retention", json.dumps({"Mode": "GOVERNANCE", "RetainUntilDate": until}))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("AccessDenied", r.stderr)


if __name__ == "__main__":
    unittest.main()
