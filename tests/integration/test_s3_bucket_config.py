# SPDX-License-Identifier: Apache-2.0
"""S3 bucket configuration through boto3 and raw HTTP: bucket policy, CORS (stored and
enforced on preflight and on responses), lifecycle rules applied by the background sweeper
(with a one-second lifecycle day)."""
import http.client
import json
import time
import unittest
import urllib.parse

from botocore.exceptions import ClientError

from stratus_fixture import Server


def code(e):
    return e.exception.response["Error"]["Code"]


def status(e):
    return e.exception.response["ResponseMetadata"]["HTTPStatusCode"]


def wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


class S3BucketConfig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--sweep-interval", "100", "--lifecycle-day-seconds", "1").start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def raw(self, method, path, headers):
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        c.request(method, path, headers=headers)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body

    def test_bucket_policy(self):
        self.s3.create_bucket(Bucket="pol")
        # The policy below is public: Block Public Access (on for a new bucket) must go first.
        self.s3.delete_public_access_block(Bucket="pol")
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_policy(Bucket="pol")
        self.assertEqual((code(e), status(e)), ("NoSuchBucketPolicy", 404))
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pol/*"}]})
        self.s3.put_bucket_policy(Bucket="pol", Policy=policy)
        self.assertEqual(json.loads(self.s3.get_bucket_policy(Bucket="pol")["Policy"]), json.loads(policy))
        for bad in ("not json", "[1]", json.dumps({"Version": "2012-10-17"})):
            with self.subTest(bad=bad), self.assertRaises(ClientError) as e:
                self.s3.put_bucket_policy(Bucket="pol", Policy=bad)
            self.assertEqual(code(e), "MalformedPolicy")
        self.s3.delete_bucket_policy(Bucket="pol")
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_policy(Bucket="pol")
        self.assertEqual(code(e), "NoSuchBucketPolicy")
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_policy(Bucket="no-such-pol-bucket", Policy=policy)
        self.assertEqual(code(e), "NoSuchBucket")

    def test_cors_stored_and_enforced(self):
        self.s3.create_bucket(Bucket="cors")
        self.s3.put_object(Bucket="cors", Key="page.txt", Body=b"hi")
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_cors(Bucket="cors")
        self.assertEqual((code(e), status(e)), ("NoSuchCORSConfiguration", 404))
        # Without a configuration a preflight is refused.
        st, h, body = self.raw("OPTIONS", "/cors/page.txt", {"Origin": "http://127.0.0.1:8000",
                                                             "Access-Control-Request-Method": "GET"})
        self.assertEqual(st, 403)
        self.assertIn(b"<Code>AccessForbidden</Code>", body)
        rules = [{"AllowedOrigins": ["http://127.0.0.1:*"], "AllowedMethods": ["GET", "PUT"],
                  "AllowedHeaders": ["content-type", "x-amz-*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600},
                 {"AllowedOrigins": ["*"], "AllowedMethods": ["HEAD"]}]
        self.s3.put_bucket_cors(Bucket="cors", CORSConfiguration={"CORSRules": rules})
        got = self.s3.get_bucket_cors(Bucket="cors")["CORSRules"]
        self.assertEqual(got[0]["AllowedOrigins"], ["http://127.0.0.1:*"])
        self.assertEqual(got[1]["AllowedMethods"], ["HEAD"])
        # Preflight: no signature needed; the first matching rule answers.
        st, h, _ = self.raw("OPTIONS", "/cors/page.txt", {
            "Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "Content-Type, X-Amz-Date"})
        self.assertEqual(st, 200)
        self.assertEqual(h["access-control-allow-origin"], "http://127.0.0.1:8000")
        self.assertEqual(h["access-control-allow-methods"], "GET, PUT")
        self.assertEqual(h["access-control-allow-headers"], "content-type, x-amz-date")
        self.assertEqual(h["access-control-max-age"], "600")
        self.assertEqual(h["access-control-expose-headers"], "ETag")
        # A header, a method or an origin no rule allows: refused.
        for hdrs in ({"Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "PUT",
                      "Access-Control-Request-Headers": "x-secret"},
                     {"Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "DELETE"},
                     {"Origin": "http://example.invalid", "Access-Control-Request-Method": "GET"}):
            with self.subTest(hdrs=hdrs):
                self.assertEqual(self.raw("OPTIONS", "/cors/page.txt", hdrs)[0], 403)
        st, h, _ = self.raw("OPTIONS", "/cors", {"Origin": "http://example.invalid",
                                                 "Access-Control-Request-Method": "HEAD"})
        self.assertEqual((st, h["access-control-allow-origin"]), (200, "*"))
        self.assertEqual(self.raw("OPTIONS", "/cors/page.txt", {"Access-Control-Request-Method": "GET"})[0], 400)
        # An actual (presigned) request with an Origin gets the rule's headers too.
        v4 = self.srv.client("s3", s3={"addressing_style": "path"}, signature_version="s3v4")
        url = v4.generate_presigned_url("get_object", Params={"Bucket": "cors", "Key": "page.txt"})
        u = urllib.parse.urlsplit(url)
        st, h, body = self.raw("GET", f"{u.path}?{u.query}", {"Origin": "http://127.0.0.1:9000"})
        self.assertEqual((st, body), (200, b"hi"))
        self.assertEqual(h["access-control-allow-origin"], "http://127.0.0.1:9000")
        self.assertEqual(h["access-control-expose-headers"], "ETag")
        st, h, _ = self.raw("GET", f"{u.path}?{u.query}", {"Origin": "http://example.invalid"})
        self.assertNotIn("access-control-allow-origin", h)
        # Validation and removal.
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_cors(Bucket="cors", CORSConfiguration={"CORSRules": [
                {"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]})
        self.assertEqual(code(e), "InvalidRequest")
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_cors(Bucket="cors", CORSConfiguration={"CORSRules": [
                {"AllowedOrigins": ["http://*.*"], "AllowedMethods": ["GET"]}]})
        self.assertEqual(code(e), "InvalidRequest")
        self.s3.delete_bucket_cors(Bucket="cors")
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_cors(Bucket="cors")
        self.assertEqual(code(e), "NoSuchCORSConfiguration")

    def test_lifecycle_configuration_roundtrip_and_validation(self):
        self.s3.create_bucket(Bucket="lc-conf")
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_lifecycle_configuration(Bucket="lc-conf")
        self.assertEqual((code(e), status(e)), ("NoSuchLifecycleConfiguration", 404))
        rules = [{"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30}},
                 {"ID": "mpu", "Filter": {}, "Status": "Disabled",
                  "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]
        self.s3.put_bucket_lifecycle_configuration(Bucket="lc-conf", LifecycleConfiguration={"Rules": rules})
        got = self.s3.get_bucket_lifecycle_configuration(Bucket="lc-conf")["Rules"]
        self.assertEqual([(r["ID"], r["Status"]) for r in got], [("logs", "Enabled"), ("mpu", "Disabled")])
        self.assertEqual(got[0]["Expiration"]["Days"], 30)
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_lifecycle_configuration(Bucket="lc-conf", LifecycleConfiguration={"Rules": [
                {"ID": "bad", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 0}}]})
        self.assertEqual(code(e), "InvalidArgument")
        self.s3.delete_bucket_lifecycle(Bucket="lc-conf")
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_lifecycle_configuration(Bucket="lc-conf")
        self.assertEqual(code(e), "NoSuchLifecycleConfiguration")

    def keys(self, bucket):
        return sorted(o["Key"] for o in self.s3.list_objects_v2(Bucket=bucket).get("Contents", []))

    def test_lifecycle_expiration_by_days_prefix_and_tags(self):
        b = "lc-exp"
        self.s3.create_bucket(Bucket=b)
        for k in ("tmp/a", "tmp/b", "keep/c", "tag/x", "tag/y"):
            self.s3.put_object(Bucket=b, Key=k, Body=b"x", Tagging="k=v" if k == "tag/x" else "")
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
            {"ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 1}},
            {"ID": "tag", "Filter": {"And": {"Prefix": "tag/", "Tags": [{"Key": "k", "Value": "v"}]}},
             "Status": "Enabled", "Expiration": {"Days": 1}},
            {"ID": "off", "Filter": {"Prefix": "keep/"}, "Status": "Disabled", "Expiration": {"Days": 1}}]})
        self.assertTrue(wait_for(lambda: self.keys(b) == ["keep/c", "tag/y"]), self.keys(b))
        time.sleep(1.5)  # nothing else is due: the rest stays
        self.assertEqual(self.keys(b), ["keep/c", "tag/y"])

    def test_lifecycle_date_versions_markers_and_uploads(self):
        b = "lc-ver"
        self.s3.create_bucket(Bucket=b)
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        v1 = self.s3.put_object(Bucket=b, Key="doc", Body=b"1")["VersionId"]
        v2 = self.s3.put_object(Bucket=b, Key="doc", Body=b"2")["VersionId"]
        self.s3.put_object(Bucket=b, Key="gone", Body=b"g")
        self.s3.delete_object(Bucket=b, Key="gone")  # leaves a version and a marker
        up = self.s3.create_multipart_upload(Bucket=b, Key="big")["UploadId"]
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
            {"ID": "nc", "Filter": {}, "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
             "Expiration": {"ExpiredObjectDeleteMarker": True},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})

        def state():
            r = self.s3.list_object_versions(Bucket=b)
            return ([(v["Key"], v["VersionId"]) for v in r.get("Versions", [])],
                    [m["Key"] for m in r.get("DeleteMarkers", [])])
        # The noncurrent versions go, then the marker left alone goes; the current one stays.
        self.assertTrue(wait_for(lambda: state() == ([("doc", v2)], [])), state())
        self.assertNotIn(v1, str(state()))
        self.assertTrue(wait_for(lambda: not self.s3.list_multipart_uploads(Bucket=b).get("Uploads")))
        with self.assertRaises(ClientError) as e:
            self.s3.list_parts(Bucket=b, Key="big", UploadId=up)
        self.assertEqual(code(e), "NoSuchUpload")
        # A date in the past expires the current version: a delete marker in this bucket.
        self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
            {"ID": "date", "Filter": {"Prefix": "doc"}, "Status": "Enabled",
             "Expiration": {"Date": "2020-01-01T00:00:00Z"}}]})
        self.assertTrue(wait_for(lambda: state()[1] == ["doc"]), state())
        self.assertEqual(state()[0], [("doc", v2)])


if __name__ == "__main__":
    unittest.main()
