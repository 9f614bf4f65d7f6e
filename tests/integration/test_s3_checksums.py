# SPDX-License-Identifier: Apache-2.0
"""Issue 16, package C: multipart checksums end to end (COMPOSITE and FULL_OBJECT, checked at
CompleteMultipartUpload, returned by HeadObject/GetObject with ChecksumMode, ListParts and
GetObjectAttributes, kept through CopyObject), idempotent completion, conditional completion and
partNumber errors, with boto3 and the AWS CLI."""
import base64
import hashlib
import os
import subprocess
import tempfile
import unittest
import zlib

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from stratus_fixture import AWS_CLI, Server

MIB = 1 << 20
PART = 5 * MIB  # the smallest part but the last


def code(e):
    return e.exception.response["Error"]["Code"]


def status(e):
    return e.exception.response["ResponseMetadata"]["HTTPStatusCode"]


def _table(poly):
    tab = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        tab.append(c)
    return tab


_T32C = _table(0x82F63B78)
_T64 = _table(0x9A6C9329AC4BC9B5)


def _crc(tab, mask, data):
    c = mask
    for b in data:
        c = tab[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ mask


def b64(raw):
    return base64.b64encode(raw).decode()


def crc32(data):
    return b64(zlib.crc32(data).to_bytes(4, "big"))


def crc32c(data):
    return b64(_crc(_T32C, 0xFFFFFFFF, data).to_bytes(4, "big"))


def crc64nvme(data):
    return b64(_crc(_T64, 0xFFFFFFFFFFFFFFFF, data).to_bytes(8, "big"))


def sha256(data):
    return b64(hashlib.sha256(data).digest())


def composite(fn, parts, raw_hash):
    """S3's composite checksum: the checksum of the concatenated raw part checksums, "-N"."""
    raw = b"".join(base64.b64decode(fn(p)) for p in parts)
    return b64(raw_hash(raw)) + f"-{len(parts)}"


class S3Checksums(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})
        # A client that sends no checksum it is not asked for (botocore's default sends CRC32).
        cls.bare = cls.srv.client("s3", s3={"addressing_style": "path"},
                                  request_checksum_calculation="when_required",
                                  response_checksum_validation="when_required")
        cls.s3.create_bucket(Bucket="cks")
        cls.s3.create_bucket(Bucket="ck-ver")
        cls.s3.put_bucket_versioning(Bucket="ck-ver", VersioningConfiguration={"Status": "Enabled"})
        cls.p1 = os.urandom(PART)
        cls.p2 = os.urandom(1000)

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def upload(self, key, bucket="cks", client=None, complete=True, **create):
        """A two-part upload; the CompleteMultipartUpload response (or the upload id)."""
        s3 = client or self.s3
        up = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)
        algo = create.get("ChecksumAlgorithm")
        parts = []
        for n, body in ((1, self.p1), (2, self.p2)):
            kw = {"ChecksumAlgorithm": algo} if algo in ("CRC32", "SHA256", "SHA1") else {}
            if algo == "CRC32C":
                kw = {"ChecksumCRC32C": crc32c(body)}
            if algo == "CRC64NVME":
                kw = {"ChecksumCRC64NVME": crc64nvme(body)}
            r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=n,
                               Body=body, **kw)
            part = {"PartNumber": n, "ETag": r["ETag"]}
            for f in ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA256"):
                if f in r and algo and create.get("ChecksumType") != "FULL_OBJECT":
                    part[f] = r[f]
            parts.append(part)
        if not complete:
            return up["UploadId"], parts
        return s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                            MultipartUpload={"Parts": parts})

    # ---- composite ----

    def test_composite_crc32(self):
        up = self.s3.create_multipart_upload(Bucket="cks", Key="comp", ChecksumAlgorithm="CRC32")
        self.assertEqual(up["ChecksumAlgorithm"], "CRC32")
        self.assertEqual(up["ChecksumType"], "COMPOSITE")  # S3's default for CRC32
        uid, parts = None, []
        uid = up["UploadId"]
        for n, body in ((1, self.p1), (2, self.p2)):
            r = self.s3.upload_part(Bucket="cks", Key="comp", UploadId=uid, PartNumber=n, Body=body,
                                    ChecksumAlgorithm="CRC32")
            self.assertEqual(r["ChecksumCRC32"], crc32(body))
            parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
        lp = self.s3.list_parts(Bucket="cks", Key="comp", UploadId=uid)
        self.assertEqual(lp["ChecksumAlgorithm"], "CRC32")
        self.assertEqual(lp["ChecksumType"], "COMPOSITE")
        self.assertEqual([p["ChecksumCRC32"] for p in lp["Parts"]], [crc32(self.p1), crc32(self.p2)])
        ups = self.s3.list_multipart_uploads(Bucket="cks", Prefix="comp")["Uploads"]
        self.assertEqual((ups[0]["ChecksumAlgorithm"], ups[0]["ChecksumType"]), ("CRC32", "COMPOSITE"))
        r = self.s3.complete_multipart_upload(Bucket="cks", Key="comp", UploadId=uid,
                                              MultipartUpload={"Parts": parts})
        want = composite(crc32, [self.p1, self.p2], lambda raw: zlib.crc32(raw).to_bytes(4, "big"))
        self.assertEqual(r["ChecksumCRC32"], want)
        self.assertEqual(r["ChecksumType"], "COMPOSITE")
        h = self.s3.head_object(Bucket="cks", Key="comp", ChecksumMode="ENABLED")
        self.assertEqual((h["ChecksumCRC32"], h["ChecksumType"]), (want, "COMPOSITE"))
        self.assertNotIn("ChecksumCRC32", self.s3.head_object(Bucket="cks", Key="comp"))
        # A part: that part's own checksum, which botocore validates against the bytes.
        g = self.s3.get_object(Bucket="cks", Key="comp", PartNumber=2, ChecksumMode="ENABLED")
        self.assertEqual(g["ChecksumCRC32"], crc32(self.p2))
        self.assertEqual(g["Body"].read(), self.p2)
        self.assertEqual(g["PartsCount"], 2)
        # A range has no checksum of its own.
        g = self.s3.get_object(Bucket="cks", Key="comp", Range="bytes=0-9", ChecksumMode="ENABLED")
        self.assertNotIn("ChecksumCRC32", g)
        self.assertEqual(g["Body"].read(), self.p1[:10])
        # The whole object: the composite value (SDKs skip validating "-N" values).
        g = self.s3.get_object(Bucket="cks", Key="comp", ChecksumMode="ENABLED")
        self.assertEqual(g["ChecksumCRC32"], want)
        self.assertEqual(g["Body"].read(), self.p1 + self.p2)

    def test_get_object_attributes_parts(self):
        self.upload("attrs", ChecksumAlgorithm="SHA256")
        want = composite(sha256, [self.p1, self.p2], lambda raw: hashlib.sha256(raw).digest())
        a = self.s3.get_object_attributes(Bucket="cks", Key="attrs",
                                          ObjectAttributes=["Checksum", "ObjectParts", "ETag"])
        self.assertEqual(a["Checksum"]["ChecksumSHA256"], want.split("-")[0])
        self.assertEqual(a["Checksum"]["ChecksumType"], "COMPOSITE")
        op = a["ObjectParts"]
        self.assertEqual(op["TotalPartsCount"], 2)
        self.assertFalse(op["IsTruncated"])
        self.assertEqual([(p["PartNumber"], p["Size"], p["ChecksumSHA256"]) for p in op["Parts"]],
                         [(1, PART, sha256(self.p1)), (2, 1000, sha256(self.p2))])
        # A page of one part, then the next.
        a = self.s3.get_object_attributes(Bucket="cks", Key="attrs", ObjectAttributes=["ObjectParts"],
                                          MaxParts=1)
        op = a["ObjectParts"]
        self.assertTrue(op["IsTruncated"])
        self.assertEqual((op["MaxParts"], str(op["NextPartNumberMarker"])), (1, "1"))
        self.assertEqual([p["PartNumber"] for p in op["Parts"]], [1])
        a = self.s3.get_object_attributes(Bucket="cks", Key="attrs", ObjectAttributes=["ObjectParts"],
                                          MaxParts=1, PartNumberMarker=1)
        op = a["ObjectParts"]
        self.assertFalse(op["IsTruncated"])
        self.assertEqual(str(op["PartNumberMarker"]), "1")
        self.assertEqual([p["PartNumber"] for p in op["Parts"]], [2])
        # A single PUT: a full-object checksum and no parts.
        self.s3.put_object(Bucket="cks", Key="one", Body=b"abc", ChecksumAlgorithm="SHA256")
        a = self.s3.get_object_attributes(Bucket="cks", Key="one", ObjectAttributes=["Checksum", "ObjectParts"])
        self.assertEqual(a["Checksum"], {"ChecksumSHA256": sha256(b"abc"), "ChecksumType": "FULL_OBJECT"})
        self.assertNotIn("ObjectParts", a)
        h = self.s3.head_object(Bucket="cks", Key="one", ChecksumMode="ENABLED")
        self.assertEqual((h["ChecksumSHA256"], h["ChecksumType"]), (sha256(b"abc"), "FULL_OBJECT"))

    # ---- full object ----

    def test_full_object_crc64nvme_and_crc32c(self):
        whole = self.p1 + self.p2
        for algo, fn, field in (("CRC64NVME", crc64nvme, "ChecksumCRC64NVME"),
                                ("CRC32C", crc32c, "ChecksumCRC32C")):
            with self.subTest(algo=algo):
                key = f"full-{algo}"
                up = self.s3.create_multipart_upload(Bucket="cks", Key=key, ChecksumAlgorithm=algo,
                                                     ChecksumType="FULL_OBJECT")
                self.assertEqual(up["ChecksumType"], "FULL_OBJECT")
                uid, parts = up["UploadId"], []
                for n, body in ((1, self.p1), (2, self.p2)):
                    r = self.s3.upload_part(Bucket="cks", Key=key, UploadId=uid, PartNumber=n, Body=body,
                                            **{field: fn(body)})
                    parts.append({"PartNumber": n, "ETag": r["ETag"], field: r[field]})
                want = fn(whole)
                # The whole object's checksum the client computed is checked; a wrong one refused.
                with self.assertRaises(ClientError) as e:
                    self.s3.complete_multipart_upload(Bucket="cks", Key=key, UploadId=uid,
                                                      MultipartUpload={"Parts": parts},
                                                      ChecksumType="FULL_OBJECT", **{field: fn(b"x")})
                self.assertEqual(code(e), "BadDigest")
                r = self.s3.complete_multipart_upload(Bucket="cks", Key=key, UploadId=uid,
                                                      MultipartUpload={"Parts": parts},
                                                      ChecksumType="FULL_OBJECT", **{field: want})
                self.assertEqual((r[field], r["ChecksumType"]), (want, "FULL_OBJECT"))
                h = self.s3.head_object(Bucket="cks", Key=key, ChecksumMode="ENABLED")
                self.assertEqual((h[field], h["ChecksumType"]), (want, "FULL_OBJECT"))

    def test_full_object_parts_without_checksums(self):
        # A FULL_OBJECT upload's parts sent without a checksum get theirs computed by the server.
        r = self.upload("full-bare", client=self.bare, ChecksumAlgorithm="CRC32",
                        ChecksumType="FULL_OBJECT")
        self.assertEqual(r["ChecksumCRC32"], crc32(self.p1 + self.p2))
        g = self.s3.get_object(Bucket="cks", Key="full-bare", ChecksumMode="ENABLED")
        self.assertEqual(g["ChecksumCRC32"], crc32(self.p1 + self.p2))
        self.assertEqual(g["Body"].read(), self.p1 + self.p2)  # botocore validated it

    def test_types_and_algorithms(self):
        with self.assertRaises(ClientError) as e:  # CRC64NVME is FULL_OBJECT only
            self.s3.create_multipart_upload(Bucket="cks", Key="t", ChecksumAlgorithm="CRC64NVME",
                                            ChecksumType="COMPOSITE")
        self.assertEqual(code(e), "InvalidRequest")
        with self.assertRaises(ClientError) as e:  # SHA256 is COMPOSITE only
            self.s3.create_multipart_upload(Bucket="cks", Key="t", ChecksumAlgorithm="SHA256",
                                            ChecksumType="FULL_OBJECT")
        self.assertEqual(code(e), "InvalidRequest")
        up = self.s3.create_multipart_upload(Bucket="cks", Key="t", ChecksumAlgorithm="CRC64NVME")
        self.assertEqual(up["ChecksumType"], "FULL_OBJECT")
        self.s3.abort_multipart_upload(Bucket="cks", Key="t", UploadId=up["UploadId"])

    # ---- refusals ----

    def test_part_checksum_refusals(self):
        up = self.s3.create_multipart_upload(Bucket="cks", Key="ref", ChecksumAlgorithm="SHA256")
        uid = up["UploadId"]
        with self.assertRaises(ClientError) as e:  # a COMPOSITE upload's part needs its checksum
            self.bare.upload_part(Bucket="cks", Key="ref", UploadId=uid, PartNumber=1, Body=b"x")
        self.assertEqual(code(e), "InvalidRequest")
        self.assertIn("expected checksum Type: sha256, actual checksum Type: null",
                      e.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as e:  # ... of the upload's algorithm
            self.s3.upload_part(Bucket="cks", Key="ref", UploadId=uid, PartNumber=1, Body=b"x",
                                ChecksumAlgorithm="CRC32")
        self.assertEqual(code(e), "InvalidRequest")
        with self.assertRaises(ClientError) as e:  # ... that matches the body
            self.bare.upload_part(Bucket="cks", Key="ref", UploadId=uid, PartNumber=1, Body=b"x",
                                  ChecksumSHA256=sha256(b"y"))
        self.assertEqual(code(e), "BadDigest")
        parts = []
        for n, body in ((1, self.p1), (2, self.p2)):
            r = self.s3.upload_part(Bucket="cks", Key="ref", UploadId=uid, PartNumber=n, Body=body,
                                    ChecksumAlgorithm="SHA256")
            parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
        bad = [dict(parts[0]), parts[1]]
        bad[0]["ChecksumSHA256"] = sha256(b"wrong")
        with self.assertRaises(ClientError) as e:  # a wrong part checksum at completion
            self.s3.complete_multipart_upload(Bucket="cks", Key="ref", UploadId=uid,
                                              MultipartUpload={"Parts": bad})
        self.assertEqual(code(e), "InvalidPart")
        missing = [{"PartNumber": 1, "ETag": parts[0]["ETag"]}, parts[1]]
        with self.assertRaises(ClientError) as e:  # COMPOSITE: every part's checksum is required
            self.s3.complete_multipart_upload(Bucket="cks", Key="ref", UploadId=uid,
                                              MultipartUpload={"Parts": missing})
        self.assertEqual(code(e), "InvalidRequest")
        self.assertIn("missing for part 1", e.exception.response["Error"]["Message"])
        r = self.s3.complete_multipart_upload(Bucket="cks", Key="ref", UploadId=uid,
                                              MultipartUpload={"Parts": parts})
        self.assertTrue(r["ChecksumSHA256"].endswith("-2"))

    # ---- idempotent completion ----

    def test_repeated_completion(self):
        uid, parts = self.upload("again", ChecksumAlgorithm="CRC32", complete=False)
        first = self.s3.complete_multipart_upload(Bucket="cks", Key="again", UploadId=uid,
                                                  MultipartUpload={"Parts": parts})
        again = self.s3.complete_multipart_upload(Bucket="cks", Key="again", UploadId=uid,
                                                  MultipartUpload={"Parts": parts})
        for f in ("Location", "Bucket", "Key", "ETag", "ChecksumCRC32", "ChecksumType"):
            self.assertEqual(first[f], again[f], f)
        with self.assertRaises(ClientError) as e:  # another part list is not the same request
            self.s3.complete_multipart_upload(Bucket="cks", Key="again", UploadId=uid,
                                              MultipartUpload={"Parts": parts[:1]})
        self.assertEqual(code(e), "NoSuchUpload")
        self.s3.put_object(Bucket="cks", Key="again", Body=b"newer")
        with self.assertRaises(ClientError) as e:  # the result no longer stands
            self.s3.complete_multipart_upload(Bucket="cks", Key="again", UploadId=uid,
                                              MultipartUpload={"Parts": parts})
        self.assertEqual(code(e), "NoSuchUpload")

    def test_concurrent_completions(self):
        # An SDK retrying while its first request is still running: both answer the same.
        from concurrent.futures import ThreadPoolExecutor
        uid, parts = self.upload("race", ChecksumAlgorithm="CRC32", complete=False)
        clients = [self.srv.client("s3", s3={"addressing_style": "path"}) for _ in range(4)]

        def complete(c):
            return c.complete_multipart_upload(Bucket="cks", Key="race", UploadId=uid,
                                               MultipartUpload={"Parts": parts})
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(complete, clients, timeout=60))
        self.assertEqual(len({(r["ETag"], r["ChecksumCRC32"]) for r in results}), 1)

    def test_repeated_completion_versioned(self):
        uid, parts = self.upload("again", bucket="ck-ver", ChecksumAlgorithm="CRC32", complete=False)
        first = self.s3.complete_multipart_upload(Bucket="ck-ver", Key="again", UploadId=uid,
                                                  MultipartUpload={"Parts": parts})
        self.s3.put_object(Bucket="ck-ver", Key="again", Body=b"newer")
        again = self.s3.complete_multipart_upload(Bucket="ck-ver", Key="again", UploadId=uid,
                                                  MultipartUpload={"Parts": parts})
        self.assertEqual((again["VersionId"], again["ETag"]), (first["VersionId"], first["ETag"]))
        self.s3.delete_object(Bucket="ck-ver", Key="again", VersionId=first["VersionId"])
        with self.assertRaises(ClientError) as e:
            self.s3.complete_multipart_upload(Bucket="ck-ver", Key="again", UploadId=uid,
                                              MultipartUpload={"Parts": parts})
        self.assertEqual(code(e), "NoSuchUpload")

    # ---- conditional completion ----

    def test_conditional_completion(self):
        self.s3.put_object(Bucket="cks", Key="cond", Body=b"old")
        etag = self.s3.head_object(Bucket="cks", Key="cond")["ETag"]
        uid, parts = self.upload("cond", complete=False)
        mp = {"Parts": parts}
        with self.assertRaises(ClientError) as e:
            self.s3.complete_multipart_upload(Bucket="cks", Key="cond", UploadId=uid, MultipartUpload=mp,
                                              IfNoneMatch="*")
        self.assertEqual((status(e), code(e)), (412, "PreconditionFailed"))
        with self.assertRaises(ClientError) as e:
            self.s3.complete_multipart_upload(Bucket="cks", Key="cond", UploadId=uid, MultipartUpload=mp,
                                              IfMatch='"0123456789abcdef0123456789abcdef"')
        self.assertEqual((status(e), code(e)), (412, "PreconditionFailed"))
        r = self.s3.complete_multipart_upload(Bucket="cks", Key="cond", UploadId=uid, MultipartUpload=mp,
                                              IfMatch=etag)
        self.assertTrue(r["ETag"].endswith('-2"'))
        uid, parts = self.upload("cond-absent", complete=False)
        with self.assertRaises(ClientError) as e:
            self.s3.complete_multipart_upload(Bucket="cks", Key="cond-absent", UploadId=uid,
                                              MultipartUpload={"Parts": parts}, IfMatch=etag)
        self.assertEqual((status(e), code(e)), (404, "NoSuchKey"))
        r = self.s3.complete_multipart_upload(Bucket="cks", Key="cond-absent", UploadId=uid,
                                              MultipartUpload={"Parts": parts}, IfNoneMatch="*")
        self.assertTrue(r["ETag"].endswith('-2"'))

    def test_conditional_completion_conflict(self):
        # The key deleted while the upload was in progress: 409 ConditionalRequestConflict.
        self.s3.put_object(Bucket="ck-ver", Key="c409", Body=b"old")
        etag = self.s3.head_object(Bucket="ck-ver", Key="c409")["ETag"]
        uid, parts = self.upload("c409", bucket="ck-ver", complete=False)
        self.s3.delete_object(Bucket="ck-ver", Key="c409")
        with self.assertRaises(ClientError) as e:
            self.s3.complete_multipart_upload(Bucket="ck-ver", Key="c409", UploadId=uid,
                                              MultipartUpload={"Parts": parts}, IfMatch=etag)
        self.assertEqual((status(e), code(e)), (409, "ConditionalRequestConflict"))
        r = self.s3.complete_multipart_upload(Bucket="ck-ver", Key="c409", UploadId=uid,
                                              MultipartUpload={"Parts": parts}, IfNoneMatch="*")
        self.assertTrue(r["ETag"].endswith('-2"'))

    # ---- partNumber ----

    def test_part_number_errors(self):
        self.upload("pn")
        for bad in ("0", "10001", "x", "-1"):
            with self.subTest(partNumber=bad):
                r = self.srv_get("/cks/pn", {"partNumber": bad})
                self.assertEqual(r.status_code, 400)
                self.assertIn(b"<Code>InvalidArgument</Code>", r.content)
                self.assertIn(b"<ArgumentName>partNumber</ArgumentName>", r.content)
        r = self.srv_get("/cks/pn", {"partNumber": "3"})
        self.assertEqual(r.status_code, 416)
        self.assertIn(b"<Code>InvalidPartNumber</Code>", r.content)
        self.assertIn(b"<ActualPartCount>2</ActualPartCount>", r.content)
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket="cks", Key="pn", PartNumber=3)
        self.assertEqual(status(e), 416)
        self.assertEqual(self.s3.head_object(Bucket="cks", Key="pn", PartNumber=2)["ContentLength"], 1000)

    def srv_get(self, path, params):
        """A signed GET through botocore's own signer (requests is not assumed)."""
        import urllib.parse
        import urllib.request

        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        url = self.srv.endpoint + path + "?" + urllib.parse.urlencode(params)
        req = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
        creds = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test").get_credentials()
        S3SigV4Auth(creds, "s3", "us-east-1").add_auth(req)
        r = urllib.request.Request(url, headers=dict(req.headers.items()), method="GET")

        class R:
            pass
        out = R()
        try:
            with urllib.request.urlopen(r, timeout=10) as resp:
                out.status_code, out.content = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            out.status_code, out.content = e.code, e.read()
        return out

    # ---- copies ----

    def test_copy_checksums(self):
        self.s3.put_object(Bucket="cks", Key="src1", Body=b"copy me", ChecksumAlgorithm="CRC32")
        self.s3.copy_object(Bucket="cks", Key="dst1", CopySource={"Bucket": "cks", "Key": "src1"})
        h = self.s3.head_object(Bucket="cks", Key="dst1", ChecksumMode="ENABLED")
        self.assertEqual(h["ChecksumCRC32"], crc32(b"copy me"))
        r = self.s3.copy_object(Bucket="cks", Key="dst2", CopySource={"Bucket": "cks", "Key": "src1"},
                                ChecksumAlgorithm="SHA256")
        self.assertEqual(r["CopyObjectResult"]["ChecksumSHA256"], sha256(b"copy me"))
        self.assertEqual(r["CopyObjectResult"]["ChecksumType"], "FULL_OBJECT")
        lst = self.s3.list_objects_v2(Bucket="cks", Prefix="dst2")["Contents"]
        self.assertEqual((lst[0]["ChecksumAlgorithm"], lst[0]["ChecksumType"]), (["SHA256"], "FULL_OBJECT"))
        h = self.s3.head_object(Bucket="cks", Key="dst2", ChecksumMode="ENABLED")
        self.assertEqual((h["ChecksumSHA256"], h["ChecksumType"]), (sha256(b"copy me"), "FULL_OBJECT"))
        # A composite multipart source: its copy is one part with a whole-object checksum.
        self.upload("src2", ChecksumAlgorithm="CRC32")
        self.s3.copy_object(Bucket="cks", Key="dst3", CopySource={"Bucket": "cks", "Key": "src2"})
        h = self.s3.head_object(Bucket="cks", Key="dst3", ChecksumMode="ENABLED")
        self.assertEqual((h["ChecksumCRC32"], h["ChecksumType"]), (crc32(self.p1 + self.p2), "FULL_OBJECT"))
        # UploadPartCopy gives the part a checksum of the upload's algorithm.
        up = self.s3.create_multipart_upload(Bucket="cks", Key="dst4", ChecksumAlgorithm="CRC32")
        r = self.s3.upload_part_copy(Bucket="cks", Key="dst4", UploadId=up["UploadId"], PartNumber=1,
                                     CopySource={"Bucket": "cks", "Key": "src1"})
        self.assertEqual(r["CopyPartResult"]["ChecksumCRC32"], crc32(b"copy me"))
        r = self.s3.complete_multipart_upload(
            Bucket="cks", Key="dst4", UploadId=up["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["CopyPartResult"]["ETag"],
                                        "ChecksumCRC32": crc32(b"copy me")}]})
        self.assertTrue(r["ChecksumCRC32"].endswith("-1"))

    # ---- real clients' defaults ----

    def test_boto3_transfer_defaults(self):
        # s3transfer's multipart upload with botocore 1.43's defaults, then a validated download.
        from boto3.s3.transfer import TransferConfig
        import io
        cfg = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART)
        body = self.p1 + self.p2
        self.s3.upload_fileobj(io.BytesIO(body), "cks", "xfer", Config=cfg)
        h = self.s3.head_object(Bucket="cks", Key="xfer", ChecksumMode="ENABLED")
        self.assertEqual(h["ETag"].count("-"), 1)
        self.assertIn("ChecksumCRC32", h)  # botocore names CRC32 by default
        if h["ChecksumType"] == "FULL_OBJECT":
            self.assertEqual(h["ChecksumCRC32"], crc32(body))
        else:
            self.assertEqual(h["ChecksumCRC32"],
                             composite(crc32, [self.p1, self.p2], lambda raw: zlib.crc32(raw).to_bytes(4, "big")))
        out = io.BytesIO()
        self.s3.download_fileobj("cks", "xfer", out)
        self.assertEqual(out.getvalue(), body)

    def test_awscli_sha256(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "big.bin")
            with open(path, "wb") as f:
                f.write(self.p1 + self.p2)
            cfg = os.path.join(d, "config")
            with open(cfg, "w") as f:
                f.write("[default]\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n")
            env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                       AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE=cfg,
                       AWS_SHARED_CREDENTIALS_FILE="/dev/null")

            def aws(*args):
                p = subprocess.run([AWS_CLI, "--endpoint-url", self.srv.endpoint] + list(args),
                                   env=env, capture_output=True, text=True, timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr)
                return p
            aws("s3", "cp", path, "s3://cks/cli.bin", "--checksum-algorithm", "SHA256")
            h = self.s3.head_object(Bucket="cks", Key="cli.bin", ChecksumMode="ENABLED")
            want = composite(sha256, [self.p1, self.p2], lambda raw: hashlib.sha256(raw).digest())
            self.assertEqual((h["ChecksumSHA256"], h["ChecksumType"]), (want, "COMPOSITE"))
            back = os.path.join(d, "back.bin")
            aws("s3", "cp", "s3://cks/cli.bin", back, "--checksum-mode", "ENABLED")
            with open(back, "rb") as f:
                self.assertEqual(f.read(), self.p1 + self.p2)


if __name__ == "__main__":
    unittest.main()
