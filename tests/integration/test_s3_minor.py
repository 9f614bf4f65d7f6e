# SPDX-License-Identifier: Apache-2.0
"""Issue 16, package R: the smaller S3 fixes, through boto3, the AWS CLI v2 and curl:
max-keys=0 listings, non-ASCII user metadata (RFC 2047), If-Match on PutObject, conditional
DeleteObject and DeleteObjects, POST Object's tagging and checksum fields, and a comma-list
Content-Encoding kept as sent."""
import base64
import datetime
import email.header
import hashlib
import http.client
import json
import os
import subprocess
import unittest
import uuid

from botocore.exceptions import ClientError

from stratus_fixture import Server

AWS_V2 = "/usr/bin/aws"


def err(e):
    r = e.exception.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def rfc2047(v):
    """The text of an RFC 2047 encoded value."""
    return str(email.header.make_header(email.header.decode_header(v)))


class S3Minor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})
        cls.s3.create_bucket(Bucket="minor")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def cli(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.srv.access_key,
                   AWS_SECRET_ACCESS_KEY=self.srv.secret_key, AWS_DEFAULT_REGION=self.srv.region,
                   AWS_PAGER="", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        r = subprocess.run([AWS_V2, "--endpoint-url", self.srv.endpoint, "--output", "json"] + list(args),
                           capture_output=True, text=True, env=env, timeout=120)
        return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr

    def curl(self, *args):
        return subprocess.run(["curl", "-sS", "--max-time", "20", "--aws-sigv4", "aws:amz:us-east-1:s3",
                               "--user", "test:test", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"] + list(args), capture_output=True, timeout=60)

    # ---- max-keys=0 ----

    def test_max_keys_zero(self):
        s3 = self.s3
        s3.create_bucket(Bucket="mk0")
        for k in ("a", "b/c", "d"):
            s3.put_object(Bucket="mk0", Key=k, Body=b"x")
        r = s3.list_objects_v2(Bucket="mk0", MaxKeys=0)
        self.assertEqual((r["KeyCount"], r["MaxKeys"], r["IsTruncated"]), (0, 0, False))
        self.assertNotIn("Contents", r)
        self.assertNotIn("NextContinuationToken", r)
        r = s3.list_objects(Bucket="mk0", MaxKeys=0, Delimiter="/")
        self.assertEqual((r["MaxKeys"], r["IsTruncated"]), (0, False))
        self.assertNotIn("Contents", r)
        self.assertNotIn("CommonPrefixes", r)
        s3.put_bucket_versioning(Bucket="mk0", VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="mk0", Key="a", Body=b"y")
        r = s3.list_object_versions(Bucket="mk0", MaxKeys=0)
        self.assertEqual((r["MaxKeys"], r["IsTruncated"]), (0, False))
        self.assertNotIn("Versions", r)
        # One key still pages as before.
        r = s3.list_objects_v2(Bucket="mk0", MaxKeys=1)
        self.assertEqual((r["KeyCount"], r["IsTruncated"]), (1, True))
        rc, out, errs = self.cli("s3api", "list-objects-v2", "--bucket", "mk0", "--max-keys", "0",
                                 "--no-paginate")
        self.assertEqual(rc, 0, errs)
        self.assertEqual((out["KeyCount"], out["IsTruncated"]), (0, False))

    # ---- non-ASCII user metadata ----

    def test_metadata_rfc2047(self):
        s3 = self.s3
        # What the SDKs can send (they refuse raw non-ASCII): an encoded value comes back as sent.
        for sent in ("=?UTF-8?B?Y2Fmw6kg4pyT?=", "=?utf-8?q?caf=C3=A9?=", "plain ascii"):
            s3.put_object(Bucket="minor", Key="meta", Body=b"m", Metadata={"note": sent})
            self.assertEqual(s3.head_object(Bucket="minor", Key="meta")["Metadata"]["note"], sent)
            self.assertEqual(s3.get_object(Bucket="minor", Key="meta")["Metadata"]["note"], sent)
        # Raw UTF-8 bytes (curl): S3 answers them RFC 2047 encoded.
        r = self.curl("-X", "PUT", "--data-binary", "raw", "-H", "x-amz-meta-city: Zürich ✓".encode(),
                      f"{self.srv.endpoint}/minor/raw-utf8")
        self.assertEqual(r.returncode, 0, r.stderr)
        v = s3.head_object(Bucket="minor", Key="raw-utf8")["Metadata"]["city"]
        self.assertTrue(v.startswith("=?UTF-8?B?"), v)
        self.assertEqual(rfc2047(v), "Zürich ✓")
        # Bytes that are not UTF-8 are ISO-8859-1, as HTTP header bytes are (what Node sends).
        r = self.curl("-X", "PUT", "--data-binary", "raw", "-H", b"x-amz-meta-word: caf\xe9",
                      f"{self.srv.endpoint}/minor/raw-latin1")
        self.assertEqual(r.returncode, 0, r.stderr)
        v = s3.get_object(Bucket="minor", Key="raw-latin1")["Metadata"]["word"]
        self.assertEqual((v, rfc2047(v)), ("=?UTF-8?B?Y2Fmw6k=?=", "café"))
        # The AWS CLI v2 round trip.
        rc, _, errs = self.cli("s3api", "put-object", "--bucket", "minor", "--key", "cli-meta",
                               "--metadata", json.dumps({"note": "=?UTF-8?B?w6k=?="}))
        self.assertEqual(rc, 0, errs)
        rc, out, errs = self.cli("s3api", "head-object", "--bucket", "minor", "--key", "cli-meta")
        self.assertEqual((rc, out["Metadata"]), (0, {"note": "=?UTF-8?B?w6k=?="}), errs)

    # ---- conditional writes and deletes ----

    def test_put_if_match(self):
        s3 = self.s3
        etag = s3.put_object(Bucket="minor", Key="cond", Body=b"v1")["ETag"]
        with self.assertRaises(ClientError) as e:
            s3.put_object(Bucket="minor", Key="cond", Body=b"v2", IfMatch='"0123456789abcdef0123456789abcdef"')
        self.assertEqual(err(e), ("PreconditionFailed", 412))
        self.assertEqual(s3.get_object(Bucket="minor", Key="cond")["Body"].read(), b"v1")
        etag2 = s3.put_object(Bucket="minor", Key="cond", Body=b"v2", IfMatch=etag)["ETag"]
        self.assertEqual(s3.get_object(Bucket="minor", Key="cond")["Body"].read(), b"v2")
        with self.assertRaises(ClientError) as e:
            s3.put_object(Bucket="minor", Key="never-there", Body=b"x", IfMatch=etag2)
        self.assertEqual(err(e), ("NoSuchKey", 404))
        with self.assertRaises(ClientError) as e:
            s3.put_object(Bucket="minor", Key="cond", Body=b"v3", IfNoneMatch="*")
        self.assertEqual(err(e), ("PreconditionFailed", 412))

    def test_conditional_delete_object(self):
        s3 = self.s3
        etag = s3.put_object(Bucket="minor", Key="del", Body=b"12345")["ETag"]
        head = s3.head_object(Bucket="minor", Key="del")
        for kw in ({"IfMatch": '"00000000000000000000000000000000"'}, {"IfMatchSize": 4},
                   {"IfMatchLastModifiedTime": head["LastModified"] - datetime.timedelta(seconds=5)},
                   {"IfMatch": etag, "IfMatchSize": 6}):
            with self.subTest(kw=kw):
                with self.assertRaises(ClientError) as e:
                    s3.delete_object(Bucket="minor", Key="del", **kw)
                self.assertEqual(err(e), ("PreconditionFailed", 412))
        self.assertEqual(s3.get_object(Bucket="minor", Key="del")["Body"].read(), b"12345")
        s3.delete_object(Bucket="minor", Key="del", IfMatch=etag, IfMatchSize=5,
                         IfMatchLastModifiedTime=head["LastModified"])
        with self.assertRaises(ClientError) as e:
            s3.head_object(Bucket="minor", Key="del")
        self.assertEqual(err(e), ("404", 404))
        # If-Match on a key that is not there: NoSuchKey; a size condition alone: 204.
        with self.assertRaises(ClientError) as e:
            s3.delete_object(Bucket="minor", Key="del", IfMatch="*")
        self.assertEqual(err(e), ("NoSuchKey", 404))
        self.assertEqual(s3.delete_object(Bucket="minor", Key="del", IfMatchSize=1)[
            "ResponseMetadata"]["HTTPStatusCode"], 204)
        s3.put_object(Bucket="minor", Key="star", Body=b"s")
        s3.delete_object(Bucket="minor", Key="star", IfMatch="*")
        with self.assertRaises(ClientError) as e:
            s3.get_object(Bucket="minor", Key="star")
        self.assertEqual(err(e), ("NoSuchKey", 404))
        # Versioned: a matching delete adds a marker; then If-Match finds no object.
        s3.create_bucket(Bucket="minor-v")
        s3.put_bucket_versioning(Bucket="minor-v", VersioningConfiguration={"Status": "Enabled"})
        etag = s3.put_object(Bucket="minor-v", Key="k", Body=b"v")["ETag"]
        r = s3.delete_object(Bucket="minor-v", Key="k", IfMatch=etag)
        self.assertTrue(r["DeleteMarker"])
        with self.assertRaises(ClientError) as e:
            s3.delete_object(Bucket="minor-v", Key="k", IfMatch=etag)
        self.assertEqual(err(e), ("NoSuchKey", 404))
        with self.assertRaises(ClientError) as e:
            s3.delete_object(Bucket="minor", Key="x", IfMatchSize=-1)
        self.assertEqual(err(e)[1], 400)

    def test_conditional_delete_objects(self):
        s3 = self.s3
        e1 = s3.put_object(Bucket="minor", Key="m1", Body=b"one")["ETag"]
        s3.put_object(Bucket="minor", Key="m2", Body=b"two")
        s3.put_object(Bucket="minor", Key="m3", Body=b"three")
        lm3 = s3.head_object(Bucket="minor", Key="m3")["LastModified"]
        r = s3.delete_objects(Bucket="minor", Delete={"Objects": [
            {"Key": "m1", "ETag": e1},
            {"Key": "m2", "ETag": '"ffffffffffffffffffffffffffffffff"'},
            {"Key": "m3", "Size": 5, "LastModifiedTime": lm3},
            {"Key": "gone", "ETag": e1},
        ]})
        self.assertEqual(sorted(d["Key"] for d in r["Deleted"]), ["m1", "m3"])
        errors = {x["Key"]: x["Code"] for x in r["Errors"]}
        self.assertEqual(errors, {"m2": "PreconditionFailed", "gone": "NoSuchKey"})
        self.assertEqual(s3.get_object(Bucket="minor", Key="m2")["Body"].read(), b"two")
        r = s3.delete_objects(Bucket="minor", Delete={"Objects": [{"Key": "m2", "Size": 2}]})
        self.assertEqual([x["Code"] for x in r["Errors"]], ["PreconditionFailed"])

    def test_conditional_delete_needs_get_object(self):
        """A delete conditional on an ETag reads the object: it needs s3:GetObject as well as
        s3:DeleteObject (If-Match: * and size conditions need only s3:DeleteObject)."""
        import iam_base
        s3 = self.s3
        etag = s3.put_object(Bucket="minor", Key="authz", Body=b"a")["ETag"]
        s3.put_object(Bucket="minor", Key="authz2", Body=b"b")
        only_delete = iam_base.user(self.srv, "u" + uuid.uuid4().hex[:10],
                                    policies=[iam_base.allow("s3:DeleteObject", "arn:aws:s3:::minor/*")])
        c = iam_base.client(self.srv, only_delete, "s3", s3={"addressing_style": "path"})
        e = iam_base.denied(c.delete_object, Bucket="minor", Key="authz", IfMatch=etag)
        self.assertEqual(e["Error"]["Code"], "AccessDenied")
        r = c.delete_objects(Bucket="minor", Delete={"Objects": [{"Key": "authz", "ETag": etag},
                                                                 {"Key": "authz2", "Size": 1}]})
        self.assertEqual([(x["Key"], x["Code"]) for x in r["Errors"]], [("authz", "AccessDenied")])
        self.assertEqual([x["Key"] for x in r["Deleted"]], ["authz2"])
        c.delete_object(Bucket="minor", Key="authz", IfMatch="*")
        etag = s3.put_object(Bucket="minor", Key="authz", Body=b"a")["ETag"]
        both = iam_base.user(self.srv, "u" + uuid.uuid4().hex[:10], policies=[
            iam_base.allow(["s3:DeleteObject", "s3:GetObject"], "arn:aws:s3:::minor/*")])
        c = iam_base.client(self.srv, both, "s3", s3={"addressing_style": "path"})
        c.delete_object(Bucket="minor", Key="authz", IfMatch=etag)
        with self.assertRaises(ClientError) as e:
            s3.head_object(Bucket="minor", Key="authz")
        self.assertEqual(err(e)[1], 404)

    # ---- POST Object: tagging and checksum fields ----

    def post(self, key, extra_fields, conditions, data=b"form data"):
        c = self.srv.client("s3", signature_version="s3v4", s3={"addressing_style": "path"})
        post = c.generate_presigned_post("minor", key, Fields=dict(extra_fields), Conditions=conditions,
                                         ExpiresIn=300)
        fields = dict(post["fields"])
        bd = uuid.uuid4().hex
        body = b"".join(f'--{bd}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                        for k, v in fields.items())
        body += (f'--{bd}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
                 f"Content-Type: text/plain\r\n\r\n").encode() + data + f"\r\n--{bd}--\r\n".encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=15)
        conn.request("POST", "/minor", body=body, headers={"Content-Type": f"multipart/form-data; boundary={bd}"})
        r = conn.getresponse()
        out = r.status, r.read()
        conn.close()
        return out

    def test_post_tagging_and_checksum(self):
        tagging = ("<Tagging><TagSet><Tag><Key>project</Key><Value>blue</Value></Tag>"
                   "<Tag><Key>tier</Key><Value>gold</Value></Tag></TagSet></Tagging>")
        sha = base64.b64encode(hashlib.sha256(b"form data").digest()).decode()
        st, out = self.post("tagged.txt", {"tagging": tagging, "x-amz-checksum-sha256": sha},
                            [{"tagging": tagging}])
        self.assertEqual(st, 204, out)
        tags = self.s3.get_object_tagging(Bucket="minor", Key="tagged.txt")["TagSet"]
        self.assertEqual({t["Key"]: t["Value"] for t in tags}, {"project": "blue", "tier": "gold"})
        h = self.s3.head_object(Bucket="minor", Key="tagged.txt", ChecksumMode="ENABLED")
        self.assertEqual(h["ChecksumSHA256"], sha)
        # A checksum the file does not have: BadDigest, nothing stored.
        st, out = self.post("bad-sum.txt", {"x-amz-checksum-crc32": "AAAAAA=="}, [])
        self.assertEqual(st, 400, out)
        self.assertIn(b"BadDigest", out)
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket="minor", Key="bad-sum.txt")
        self.assertEqual(err(e)[1], 404)
        # x-amz-checksum-algorithm alone: S3 computes and keeps that checksum.
        st, out = self.post("algo.txt", {"x-amz-checksum-algorithm": "CRC32"}, [])
        self.assertEqual(st, 204, out)
        h = self.s3.head_object(Bucket="minor", Key="algo.txt", ChecksumMode="ENABLED")
        self.assertIn("ChecksumCRC32", h)
        # The tagging field, like any field, must be in the policy; a bad document is refused.
        st, out = self.post("untagged.txt", {"tagging": tagging}, [])
        self.assertEqual(st, 403, out)
        st, out = self.post("badtag.txt", {"tagging": "<Tagging>"}, [{"tagging": "<Tagging>"}])
        self.assertEqual(st, 400, out)
        self.assertIn(b"MalformedXML", out)

    def test_post_fields_never_split_headers(self):
        """A form field that becomes a response header (metadata, Content-Type, Cache-Control...)
        holding a line break is refused: a GET (or the public website endpoint) would otherwise
        answer with headers of the uploader's choosing."""
        for name in ("x-amz-meta-a", "Content-Type", "Cache-Control", "Content-Disposition"):
            with self.subTest(name=name):
                key = "split-" + name.lower()
                v = "v\r\nX-Injected: 1"
                st, out = self.post(key, {name: v}, [{name: v}])
                self.assertEqual(st, 400, out)
                self.assertIn(b"InvalidArgument", out)
                with self.assertRaises(ClientError) as e:
                    self.s3.head_object(Bucket="minor", Key=key)
                self.assertEqual(err(e)[1], 404)
        # A tab is a header's own character: kept.
        st, out = self.post("tab-meta", {"x-amz-meta-a": "x\ty"}, [{"x-amz-meta-a": "x\ty"}])
        self.assertEqual(st, 204, out)
        self.assertEqual(self.s3.head_object(Bucket="minor", Key="tab-meta")["Metadata"], {"a": "x\ty"})

    # ---- Content-Encoding ----

    def test_content_encoding_as_sent(self):
        s3 = self.s3
        for ce in ("gzip, br", "gzip,br", "gzip,  identity", "br"):
            with self.subTest(ce=ce):
                s3.put_object(Bucket="minor", Key="ce", Body=b"z", ContentEncoding=ce)
                self.assertEqual(s3.head_object(Bucket="minor", Key="ce")["ContentEncoding"], ce)
                self.assertEqual(s3.get_object(Bucket="minor", Key="ce")["ContentEncoding"], ce)
        # aws-chunked (the SigV4 streaming transport coding) is taken out, the rest kept.
        r = self.curl("-X", "PUT", "--data-binary", "z", "-H", "Content-Encoding: aws-chunked, gzip, br",
                      f"{self.srv.endpoint}/minor/ce2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(s3.head_object(Bucket="minor", Key="ce2")["ContentEncoding"], "gzip, br")
        rc, _, errs = self.cli("s3api", "put-object", "--bucket", "minor", "--key", "ce3",
                               "--content-encoding", "gzip, br")
        self.assertEqual(rc, 0, errs)
        rc, out, errs = self.cli("s3api", "head-object", "--bucket", "minor", "--key", "ce3")
        self.assertEqual((rc, out["ContentEncoding"]), (0, "gzip, br"), errs)


if __name__ == "__main__":
    unittest.main()
