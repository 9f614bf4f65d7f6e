# SPDX-License-Identifier: Apache-2.0
"""Issue 16, package E: S3 encryption at rest through boto3, the AWS CLI v2 and raw HTTP.
SSE-S3, SSE-C and SSE-KMS round trips with the headers S3 echoes, SSE-C refusals (missing,
wrong, malformed keys), multipart uploads under each mode, the copy matrix (CopyObject and
UploadPartCopy), bucket default encryption, POST Object's encryption field, --encrypt-all, a
KMS key disabled mid-test, and the bytes at rest: a plaintext marker is found in the data
directory only for the unencrypted object."""
import base64
import hashlib
import http.client
import os
import shutil
import subprocess
import tempfile
import unittest
import uuid

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from stratus_fixture import Server, zip_of

AWS_V2 = os.environ.get("AWS_CLI_V2") or "/usr/bin/aws"
MiB = 1 << 20


def code(e):
    return e.exception.response["Error"]["Code"]


def status(e):
    return e.exception.response["ResponseMetadata"]["HTTPStatusCode"]


def ssec(key):
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def copy_ssec(key):
    return {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key}


def aws_v2():
    try:
        out = subprocess.run([AWS_V2, "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return False
    return out.stdout.startswith("aws-cli/2")


def signed(srv, method, path, body=b"", headers=None):
    """A SigV4-signed request of our own (every header signed); (status, headers, body)."""
    hdrs = dict(headers or {})
    hdrs["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    req = AWSRequest(method=method, url=f"{srv.endpoint}{path}", data=body, headers=hdrs)
    SigV4Auth(Credentials(srv.access_key, srv.secret_key), "s3", srv.region).add_auth(req)
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=15)
    c.request(method, path, body=body, headers=dict(req.headers.items()))
    r = c.getresponse()
    out = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    c.close()
    return out


class S3Sse(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})
        cls.kms = cls.srv.client("kms")
        cls.s3.create_bucket(Bucket="sse")
        cls.v4 = cls.srv.client("s3", signature_version="s3v4", s3={"addressing_style": "path"})
        cls.k1 = uuid.uuid4().hex  # 32 bytes (boto3 takes the key as text)
        cls.k2 = uuid.uuid4().hex

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def test_sse_s3_round_trip(self):
        body = os.urandom(3 * MiB + 17)
        r = self.s3.put_object(Bucket="sse", Key="s3.bin", Body=body, ServerSideEncryption="AES256")
        self.assertEqual(r["ServerSideEncryption"], "AES256")
        g = self.s3.get_object(Bucket="sse", Key="s3.bin")
        self.assertEqual(g["ServerSideEncryption"], "AES256")
        self.assertEqual(g["Body"].read(), body)
        h = self.s3.head_object(Bucket="sse", Key="s3.bin")
        self.assertEqual((h["ServerSideEncryption"], h["ContentLength"]), ("AES256", len(body)))
        g = self.s3.get_object(Bucket="sse", Key="s3.bin", Range=f"bytes={MiB - 5}-{MiB + 4}")
        self.assertEqual(g["Body"].read(), body[MiB - 5:MiB + 5])
        g = self.s3.get_object(Bucket="sse", Key="s3.bin", Range="bytes=-3")
        self.assertEqual(g["Body"].read(), body[-3:])
        # A small object (read inline) and an empty one.
        self.s3.put_object(Bucket="sse", Key="small", Body=b"tiny", ServerSideEncryption="AES256")
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="small")["Body"].read(), b"tiny")
        self.s3.put_object(Bucket="sse", Key="empty", Body=b"", ServerSideEncryption="AES256")
        g = self.s3.get_object(Bucket="sse", Key="empty")
        self.assertEqual((g["Body"].read(), g["ServerSideEncryption"]), (b"", "AES256"))
        # A plain object reports no encryption; a GET may not name one.
        self.s3.put_object(Bucket="sse", Key="plain", Body=b"plain")
        self.assertNotIn("ServerSideEncryption", self.s3.head_object(Bucket="sse", Key="plain"))
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="sse", Key="bad", Body=b"x", ServerSideEncryption="AES128")
        self.assertEqual((code(e), status(e)), ("InvalidArgument", 400))

    def test_sse_s3_multipart(self):
        parts = [os.urandom(5 * MiB), os.urandom(MiB + 3)]
        up = self.s3.create_multipart_upload(Bucket="sse", Key="mpu-s3", ServerSideEncryption="AES256")
        self.assertEqual(up["ServerSideEncryption"], "AES256")
        etags = []
        for i, p in enumerate(parts):
            r = self.s3.upload_part(Bucket="sse", Key="mpu-s3", UploadId=up["UploadId"], PartNumber=i + 1, Body=p)
            self.assertEqual(r["ServerSideEncryption"], "AES256")
            etags.append(r["ETag"])
        r = self.s3.complete_multipart_upload(
            Bucket="sse", Key="mpu-s3", UploadId=up["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": t} for i, t in enumerate(etags)]})
        self.assertEqual(r["ServerSideEncryption"], "AES256")
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="mpu-s3")["Body"].read(), b"".join(parts))
        g = self.s3.get_object(Bucket="sse", Key="mpu-s3", PartNumber=2)
        self.assertEqual((g["Body"].read(), g["ServerSideEncryption"]), (parts[1], "AES256"))

    def test_sse_c(self):
        body = os.urandom(MiB + 100)
        r = self.s3.put_object(Bucket="sse", Key="c.bin", Body=body, **ssec(self.k1))
        md5 = base64.b64encode(hashlib.md5(self.k1.encode()).digest()).decode()
        self.assertEqual((r["SSECustomerAlgorithm"], r["SSECustomerKeyMD5"]), ("AES256", md5))
        self.assertNotIn("ServerSideEncryption", r)
        g = self.s3.get_object(Bucket="sse", Key="c.bin", **ssec(self.k1))
        self.assertEqual(g["Body"].read(), body)
        self.assertEqual(g["SSECustomerKeyMD5"], md5)
        g = self.s3.get_object(Bucket="sse", Key="c.bin", Range="bytes=1048570-1048580", **ssec(self.k1))
        self.assertEqual(g["Body"].read(), body[1048570:1048581])
        self.assertEqual(self.s3.head_object(Bucket="sse", Key="c.bin", **ssec(self.k1))["ContentLength"], len(body))
        # Without the key: 400; with another key: 403; never the bytes.
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="sse", Key="c.bin")
        self.assertEqual((code(e), status(e)), ("InvalidRequest", 400))
        self.assertIn("Server Side Encryption", e.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket="sse", Key="c.bin")
        self.assertEqual(status(e), 400)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="sse", Key="c.bin", **ssec(self.k2))
        self.assertEqual((code(e), status(e)), ("AccessDenied", 403))
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket="sse", Key="c.bin", **ssec(self.k2))
        self.assertEqual(status(e), 403)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object_attributes(Bucket="sse", Key="c.bin", ObjectAttributes=["ObjectSize"])
        self.assertEqual(status(e), 400)
        a = self.s3.get_object_attributes(  # botocore sends this operation's key as given
            Bucket="sse", Key="c.bin", ObjectAttributes=["ObjectSize"], SSECustomerAlgorithm="AES256",
            SSECustomerKey=base64.b64encode(self.k1.encode()).decode(), SSECustomerKeyMD5=md5)
        self.assertEqual(a["ObjectSize"], len(body))
        # A plain object refuses customer keys.
        self.s3.put_object(Bucket="sse", Key="c-plain", Body=b"p")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="sse", Key="c-plain", **ssec(self.k1))
        self.assertEqual((code(e), status(e)), ("InvalidRequest", 400))

    def test_etag_is_no_plaintext_md5(self):
        """S3: an SSE-C or SSE-KMS object's ETag is not the MD5 of its data. Whoever may list the
        bucket, without the key, must not learn it (PutObject, copies, parts, POST)."""
        s3 = self.s3
        body = b"guessable content"
        md5 = '"%s"' % hashlib.md5(body).hexdigest()
        got = {}
        got["put-c"] = s3.put_object(Bucket="sse", Key="et-c", Body=body, **ssec(self.k1))["ETag"]
        got["put-kms"] = s3.put_object(Bucket="sse", Key="et-kms", Body=body, ServerSideEncryption="aws:kms")["ETag"]
        s3.put_object(Bucket="sse", Key="et-plain", Body=body)
        got["copy-c"] = s3.copy_object(Bucket="sse", Key="et-copy-c", CopySource={"Bucket": "sse", "Key": "et-plain"},
                                       **ssec(self.k2))["CopyObjectResult"]["ETag"]
        up = s3.create_multipart_upload(Bucket="sse", Key="et-mpu", **ssec(self.k1))
        got["part"] = s3.upload_part(Bucket="sse", Key="et-mpu", UploadId=up["UploadId"], PartNumber=1, Body=body,
                                     **ssec(self.k1))["ETag"]
        got["part-copy"] = s3.upload_part_copy(Bucket="sse", Key="et-mpu", UploadId=up["UploadId"], PartNumber=2,
                                               CopySource={"Bucket": "sse", "Key": "et-plain"},
                                               **ssec(self.k1))["CopyPartResult"]["ETag"]
        s3.abort_multipart_upload(Bucket="sse", Key="et-mpu", UploadId=up["UploadId"])
        for k, v in got.items():
            self.assertNotEqual(v, md5, k)
        listed = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket="sse", Prefix="et-")["Contents"]}
        self.assertEqual(listed["et-plain"], md5)
        for k in ("et-c", "et-kms", "et-copy-c"):
            self.assertNotEqual(listed[k], md5, k)
        # The ETag still names the object: If-Match with it reads it.
        g = s3.get_object(Bucket="sse", Key="et-c", IfMatch=got["put-c"], **ssec(self.k1))
        self.assertEqual(g["Body"].read(), body)
        # A copy back to a plain object has the MD5 again.
        r = s3.copy_object(Bucket="sse", Key="et-back", CopySource={"Bucket": "sse", "Key": "et-c"}, **copy_ssec(self.k1))
        self.assertEqual(r["CopyObjectResult"]["ETag"], md5)

    def test_sse_c_malformed(self):
        bad_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        cases = [
            (dict(SSECustomerAlgorithm="AES256", SSECustomerKey=self.k1, SSECustomerKeyMD5=bad_md5),
             "InvalidArgument"),
            (dict(SSECustomerAlgorithm="AES256", SSECustomerKey="short"), "InvalidArgument"),
            (dict(SSECustomerAlgorithm="AES128", SSECustomerKey=self.k1), "InvalidEncryptionAlgorithmError"),
            (dict(SSECustomerAlgorithm="AES256", SSECustomerKey=self.k1, ServerSideEncryption="AES256"),
             "InvalidArgument"),
        ]
        for args, want in cases:
            with self.assertRaises(ClientError) as e:
                self.s3.put_object(Bucket="sse", Key="malformed", Body=b"x", **args)
            self.assertEqual((code(e), status(e)), (want, 400), args)
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket="sse", Key="malformed")  # nothing was stored

    def test_sse_c_raw_headers(self):
        """Headers as a client library might send them: a key without its MD5, without its
        algorithm, an MD5 alone."""
        self.s3.put_object(Bucket="sse", Key="raw-c", Body=b"raw", **ssec(self.k1))
        k = base64.b64encode(self.k1.encode()).decode()
        md5 = base64.b64encode(hashlib.md5(self.k1.encode()).digest()).decode()
        alg = ("x-amz-server-side-encryption-customer-algorithm", "AES256")
        key = ("x-amz-server-side-encryption-customer-key", k)
        kmd5 = ("x-amz-server-side-encryption-customer-key-MD5", md5)
        for hdrs, want in [([], 400), ([alg, key], 400), ([key, kmd5], 400), ([kmd5], 400),
                           ([alg, key, kmd5], 200)]:
            st, h, out = signed(self.srv, "GET", "/sse/raw-c", headers=dict(hdrs))
            self.assertEqual(st, want, (hdrs, out))
            if want == 200:
                self.assertEqual(out, b"raw")
                self.assertEqual(h["x-amz-server-side-encryption-customer-key-md5"], md5)
            else:
                self.assertIn(b"<Code>Invalid", out)

    def test_sse_c_multipart(self):
        parts = [os.urandom(5 * MiB), b"tail"]
        up = self.s3.create_multipart_upload(Bucket="sse", Key="mpu-c", **ssec(self.k1))
        self.assertEqual(up["SSECustomerAlgorithm"], "AES256")
        uid = up["UploadId"]
        with self.assertRaises(ClientError) as e:
            self.s3.upload_part(Bucket="sse", Key="mpu-c", UploadId=uid, PartNumber=1, Body=parts[0])
        self.assertEqual(status(e), 400)
        with self.assertRaises(ClientError) as e:
            self.s3.upload_part(Bucket="sse", Key="mpu-c", UploadId=uid, PartNumber=1, Body=parts[0],
                                **ssec(self.k2))
        self.assertEqual(status(e), 403)
        etags = []
        for i, p in enumerate(parts):
            r = self.s3.upload_part(Bucket="sse", Key="mpu-c", UploadId=uid, PartNumber=i + 1, Body=p,
                                    **ssec(self.k1))
            self.assertEqual(r["SSECustomerAlgorithm"], "AES256")
            etags.append(r["ETag"])
        self.s3.complete_multipart_upload(
            Bucket="sse", Key="mpu-c", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": t} for i, t in enumerate(etags)]})
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="mpu-c", **ssec(self.k1))["Body"].read(),
                         b"".join(parts))
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="sse", Key="mpu-c", PartNumber=2)
        self.assertEqual(status(e), 400)

    def test_copy_matrix(self):
        body = os.urandom(2 * MiB + 5)
        self.s3.put_object(Bucket="sse", Key="src-plain", Body=body)
        # plain -> SSE-S3
        r = self.s3.copy_object(Bucket="sse", Key="p2s", CopySource="sse/src-plain", ServerSideEncryption="AES256")
        self.assertEqual(r["ServerSideEncryption"], "AES256")
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="p2s")["Body"].read(), body)
        # SSE-S3 -> SSE-S3 (bytes shared), then the source deleted: the copy still reads
        self.s3.put_object(Bucket="sse", Key="s3src", Body=body, ServerSideEncryption="AES256")
        r = self.s3.copy_object(Bucket="sse", Key="s2s", CopySource="sse/s3src", ServerSideEncryption="AES256")
        self.assertEqual(r["ServerSideEncryption"], "AES256")
        self.s3.delete_object(Bucket="sse", Key="s3src")
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="s2s")["Body"].read(), body)
        # SSE-S3 -> SSE-C
        r = self.s3.copy_object(Bucket="sse", Key="s2c", CopySource="sse/p2s", **ssec(self.k1))
        self.assertEqual(r["SSECustomerAlgorithm"], "AES256")
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="s2c", **ssec(self.k1))["Body"].read(), body)
        with self.assertRaises(ClientError):
            self.s3.get_object(Bucket="sse", Key="s2c")
        # SSE-C -> plain needs the source's key
        with self.assertRaises(ClientError) as e:
            self.s3.copy_object(Bucket="sse", Key="c2p", CopySource="sse/s2c")
        self.assertEqual(status(e), 400)
        with self.assertRaises(ClientError) as e:
            self.s3.copy_object(Bucket="sse", Key="c2p", CopySource="sse/s2c", **copy_ssec(self.k2))
        self.assertEqual(status(e), 403)
        r = self.s3.copy_object(Bucket="sse", Key="c2p", CopySource="sse/s2c", **copy_ssec(self.k1))
        self.assertNotIn("ServerSideEncryption", r)
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="c2p")["Body"].read(), body)
        # SSE-C -> SSE-C under another key
        self.s3.copy_object(Bucket="sse", Key="c2c", CopySource="sse/s2c", **copy_ssec(self.k1), **ssec(self.k2))
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="c2c", **ssec(self.k2))["Body"].read(), body)
        # In place: a plain object encrypted by copying it onto itself
        self.s3.put_object(Bucket="sse", Key="inplace", Body=b"in place")
        self.s3.copy_object(Bucket="sse", Key="inplace", CopySource="sse/inplace", ServerSideEncryption="AES256")
        g = self.s3.get_object(Bucket="sse", Key="inplace")
        self.assertEqual((g["Body"].read(), g["ServerSideEncryption"]), (b"in place", "AES256"))
        # UploadPartCopy from an SSE-C source into an SSE-S3 upload
        up = self.s3.create_multipart_upload(Bucket="sse", Key="upc", ServerSideEncryption="AES256")
        r = self.s3.upload_part_copy(Bucket="sse", Key="upc", UploadId=up["UploadId"], PartNumber=1,
                                     CopySource="sse/s2c", CopySourceRange="bytes=0-1048575", **copy_ssec(self.k1))
        self.assertEqual(r["ServerSideEncryption"], "AES256")
        self.s3.complete_multipart_upload(Bucket="sse", Key="upc", UploadId=up["UploadId"], MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": r["CopyPartResult"]["ETag"]}]})
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="upc")["Body"].read(), body[:MiB])

    def test_bucket_default_encryption(self):
        self.s3.create_bucket(Bucket="sse-default")
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_encryption(Bucket="sse-default")
        self.assertEqual((code(e), status(e)), ("ServerSideEncryptionConfigurationNotFoundError", 404))
        self.s3.put_bucket_encryption(Bucket="sse-default", ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]})
        rules = self.s3.get_bucket_encryption(Bucket="sse-default")["ServerSideEncryptionConfiguration"]["Rules"]
        self.assertEqual(rules, [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                  "BucketKeyEnabled": True}])
        r = self.s3.put_object(Bucket="sse-default", Key="d", Body=b"default")
        self.assertEqual((r["ServerSideEncryption"], r["BucketKeyEnabled"]), ("AES256", True))
        g = self.s3.get_object(Bucket="sse-default", Key="d")
        self.assertEqual((g["Body"].read(), g["ServerSideEncryption"]), (b"default", "AES256"))
        # A request's own choice wins over the default.
        r = self.s3.put_object(Bucket="sse-default", Key="c", Body=b"c", **ssec(self.k1))
        self.assertNotIn("ServerSideEncryption", r)
        # Invalid configurations change nothing.
        for cfg, want in [({"Rules": [{"ApplyServerSideEncryptionByDefault": {
                               "SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]}, "InvalidArgument")]:
            with self.assertRaises(ClientError) as e:
                self.s3.put_bucket_encryption(Bucket="sse-default", ServerSideEncryptionConfiguration=cfg)
            self.assertEqual(code(e), want)
        for xml in [b"<ServerSideEncryptionConfiguration/>", b"<nope/>",
                    b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
                    b"<SSEAlgorithm>DES</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
                    b"</ServerSideEncryptionConfiguration>"]:
            st, out = self.raw_put("/sse-default?encryption", xml)
            self.assertEqual(st, 400, out)
            self.assertIn(b"MalformedXML", out)
        self.assertEqual(len(self.s3.get_bucket_encryption(Bucket="sse-default")
                             ["ServerSideEncryptionConfiguration"]["Rules"]), 1)
        self.s3.delete_bucket_encryption(Bucket="sse-default")
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_encryption(Bucket="sse-default")
        self.assertEqual(status(e), 404)
        self.assertNotIn("ServerSideEncryption", self.s3.put_object(Bucket="sse-default", Key="p", Body=b"p"))
        # The objects written under the default still read.
        self.assertEqual(self.s3.get_object(Bucket="sse-default", Key="d")["Body"].read(), b"default")

    def raw_put(self, path, body):
        st, _, out = signed(self.srv, "PUT", path, body)
        return st, out

    def test_sse_kms(self):
        key = self.kms.create_key()["KeyMetadata"]
        arn = key["Arn"]
        body = os.urandom(MiB + 9)
        r = self.s3.put_object(Bucket="sse", Key="kms", Body=body, ServerSideEncryption="aws:kms",
                               SSEKMSKeyId=key["KeyId"])
        self.assertEqual((r["ServerSideEncryption"], r["SSEKMSKeyId"]), ("aws:kms", arn))
        g = self.s3.get_object(Bucket="sse", Key="kms")
        self.assertEqual((g["Body"].read(), g["SSEKMSKeyId"]), (body, arn))
        # The AWS managed key when none is named; a context of the writer's.
        r = self.s3.put_object(Bucket="sse", Key="kms-managed", Body=b"m", ServerSideEncryption="aws:kms",
                               SSEKMSEncryptionContext=base64.b64encode(b'{"team":"a"}').decode())
        self.assertEqual(r["ServerSideEncryption"], "aws:kms")
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="kms-managed")["Body"].read(), b"m")
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="sse", Key="kms-x", Body=b"x", ServerSideEncryption="AES256",
                               SSEKMSKeyId=key["KeyId"])
        self.assertEqual(code(e), "InvalidArgument")
        # Multipart and KMS -> SSE-S3 copy
        up = self.s3.create_multipart_upload(Bucket="sse", Key="kms-mpu", ServerSideEncryption="aws:kms",
                                             SSEKMSKeyId=arn)
        p = self.s3.upload_part(Bucket="sse", Key="kms-mpu", UploadId=up["UploadId"], PartNumber=1, Body=b"part")
        self.assertEqual(p["SSEKMSKeyId"], arn)
        self.s3.complete_multipart_upload(Bucket="sse", Key="kms-mpu", UploadId=up["UploadId"], MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]})
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="kms-mpu")["Body"].read(), b"part")
        r = self.s3.copy_object(Bucket="sse", Key="k2s", CopySource="sse/kms", ServerSideEncryption="AES256")
        self.assertEqual(r["ServerSideEncryption"], "AES256")
        # A disabled key stops the reads (and the writes), its re-enabling restores them.
        self.kms.disable_key(KeyId=arn)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="sse", Key="kms")
        self.assertEqual(code(e), "KMS.DisabledException")
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="sse", Key="kms2", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=arn)
        self.assertEqual(code(e), "KMS.DisabledException")
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="k2s")["Body"].read(), body)  # re-encrypted
        self.kms.enable_key(KeyId=arn)
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="kms")["Body"].read(), body)
        # A bucket whose default is the KMS key.
        self.s3.create_bucket(Bucket="sse-kms-default")
        self.s3.put_bucket_encryption(Bucket="sse-kms-default", ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn}}]})
        r = self.s3.put_object(Bucket="sse-kms-default", Key="d", Body=b"kd")
        self.assertEqual((r["ServerSideEncryption"], r["SSEKMSKeyId"]), ("aws:kms", arn))
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_encryption(Bucket="sse-kms-default", ServerSideEncryptionConfiguration={"Rules": [{
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                       "KMSMasterKeyID": "alias/does-not-exist"}}]})
        self.assertEqual(status(e), 400)

    def test_post_object_field(self):
        post = self.v4.generate_presigned_post("sse", "form.txt", Fields={"x-amz-server-side-encryption": "AES256"},
                                               Conditions=[{"x-amz-server-side-encryption": "AES256"}], ExpiresIn=300)
        bd = uuid.uuid4().hex
        body = b"".join(f'--{bd}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                        for k, v in post["fields"].items())
        body += (f'--{bd}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
                 f"Content-Type: text/plain\r\n\r\nform data\r\n--{bd}--\r\n").encode()
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=15)
        c.request("POST", "/sse", body=body, headers={"Content-Type": f"multipart/form-data; boundary={bd}"})
        r = c.getresponse()
        out = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        self.assertEqual(r.status, 204, out)
        self.assertEqual(hdrs.get("x-amz-server-side-encryption"), "AES256")
        g = self.s3.get_object(Bucket="sse", Key="form.txt")
        self.assertEqual((g["Body"].read(), g["ServerSideEncryption"]), (b"form data", "AES256"))

    @unittest.skipUnless(aws_v2(), "no AWS CLI v2")
    def test_aws_cli_v2(self):
        d = tempfile.mkdtemp(prefix="sse-cli-")
        try:
            src = os.path.join(d, "in.bin")
            with open(src, "wb") as f:
                f.write(os.urandom(9 * MiB + 1))  # a multipart upload for the CLI
            keyf = os.path.join(d, "key")
            with open(keyf, "wb") as f:
                f.write(self.k1.encode())
            env = dict(os.environ, AWS_ACCESS_KEY_ID=self.srv.access_key,
                       AWS_SECRET_ACCESS_KEY=self.srv.secret_key, AWS_DEFAULT_REGION=self.srv.region,
                       AWS_PAGER="", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")

            def aws(*args, ok=True):
                p = subprocess.run([AWS_V2, "--endpoint-url", self.srv.endpoint, "--output", "json"] + list(args),
                                   env=env, capture_output=True, text=True, timeout=180)
                if ok:
                    self.assertEqual(p.returncode, 0, p.stderr)
                return p
            aws("s3", "cp", src, "s3://sse/cli-s3.bin", "--sse", "AES256")
            self.assertIn('"AES256"', aws("s3api", "head-object", "--bucket", "sse", "--key", "cli-s3.bin").stdout)
            aws("s3", "cp", src, "s3://sse/cli-c.bin", "--sse-c", "AES256", "--sse-c-key", "fileb://" + keyf)
            self.assertNotEqual(aws("s3", "cp", "s3://sse/cli-c.bin", os.path.join(d, "no"), ok=False).returncode, 0)
            out = os.path.join(d, "out.bin")
            aws("s3", "cp", "s3://sse/cli-c.bin", out, "--sse-c", "AES256", "--sse-c-key", "fileb://" + keyf)
            with open(src, "rb") as a, open(out, "rb") as b:
                self.assertEqual(a.read(), b.read())
            aws("s3api", "put-bucket-encryption", "--bucket", "sse", "--server-side-encryption-configuration",
                '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}')
            self.assertIn('"AES256"', aws("s3api", "get-bucket-encryption", "--bucket", "sse").stdout)
            aws("s3api", "delete-bucket-encryption", "--bucket", "sse")
        finally:
            shutil.rmtree(d, ignore_errors=True)


class S3SseAtRest(unittest.TestCase):
    """The bytes on disk: a marker is found only in the unencrypted object's."""

    def test_marker_only_in_plain_object(self):
        srv = Server("--encrypt-all").start()
        try:
            s3 = srv.client("s3", s3={"addressing_style": "path"})
            kms = srv.client("kms")
            s3.create_bucket(Bucket="rest")
            # --encrypt-all: the bucket reports AWS's default, objects without headers are SSE-S3.
            rules = s3.get_bucket_encryption(Bucket="rest")["ServerSideEncryptionConfiguration"]["Rules"]
            self.assertEqual(rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")
            markers = {m: ("STRATUS-AT-REST-%s-%s" % (m, uuid.uuid4().hex)).encode()
                       for m in ("default", "sse-s3", "sse-c", "kms", "mpu")}
            filler = os.urandom(4096)

            def body(m):
                return filler + markers[m] + filler
            r = s3.put_object(Bucket="rest", Key="default", Body=body("default"))
            self.assertEqual(r["ServerSideEncryption"], "AES256")
            s3.put_object(Bucket="rest", Key="sse-s3", Body=body("sse-s3"), ServerSideEncryption="AES256")
            s3.put_object(Bucket="rest", Key="sse-c", Body=body("sse-c"), **ssec(uuid.uuid4().hex))
            kid = kms.create_key()["KeyMetadata"]["KeyId"]
            s3.put_object(Bucket="rest", Key="kms", Body=body("kms"), ServerSideEncryption="aws:kms", SSEKMSKeyId=kid)
            up = s3.create_multipart_upload(Bucket="rest", Key="mpu")
            p = s3.upload_part(Bucket="rest", Key="mpu", UploadId=up["UploadId"], PartNumber=1, Body=body("mpu"))
            s3.complete_multipart_upload(Bucket="rest", Key="mpu", UploadId=up["UploadId"], MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]})
            # A plain object needs an explicit bucket default of none: a second server without the
            # flag, on the same data (the encrypted objects still read).
            self.assertEqual(srv.stop(), 0)
            srv.extra = []
            srv.start()
            s3 = srv.client("s3", s3={"addressing_style": "path"})
            markers["plain"] = ("STRATUS-AT-REST-plain-%s" % uuid.uuid4().hex).encode()
            r = s3.put_object(Bucket="rest", Key="plain", Body=body("plain"))
            self.assertNotIn("ServerSideEncryption", r)
            self.assertEqual(s3.get_object(Bucket="rest", Key="sse-s3")["Body"].read(), body("sse-s3"))
            self.assertEqual(s3.get_object(Bucket="rest", Key="mpu")["Body"].read(), body("mpu"))
            self.assertEqual(srv.stop(), 0)
            found = {m: False for m in markers}
            n = 0
            for root, _, files in os.walk(srv.data_dir):
                for fn in files:
                    with open(os.path.join(root, fn), "rb") as f:
                        data = f.read()
                    n += 1
                    for m, v in markers.items():
                        found[m] |= v in data
            self.assertGreater(n, 3)
            self.assertEqual(found, {m: m == "plain" for m in markers})
        finally:
            srv.cleanup()


class S3SseLambdaCode(unittest.TestCase):
    """Lambda reads function code from an SSE-S3 object (--encrypt-all), refuses an SSE-C one."""

    def test_code_from_encrypted_objects(self):
        srv = Server("--encrypt-all").start()
        try:
            s3 = srv.client("s3", s3={"addressing_style": "path"})
            lam = srv.client("lambda")
            role = srv.lambda_role()
            code = zip_of({"app.py": "def handler(e, c):\n    return e\n"})
            s3.create_bucket(Bucket="code")
            self.assertEqual(s3.put_object(Bucket="code", Key="fn.zip", Body=code)["ServerSideEncryption"], "AES256")
            s3.put_object(Bucket="code", Key="c.zip", Body=code, **ssec(uuid.uuid4().hex))
            r = lam.create_function(FunctionName="enc", Runtime="python3.12", Role=role, Handler="app.handler",
                                    Code={"S3Bucket": "code", "S3Key": "fn.zip"})
            self.assertEqual(r["CodeSize"], len(code))
            self.assertEqual(r["CodeSha256"], base64.b64encode(hashlib.sha256(code).digest()).decode())
            with self.assertRaises(ClientError) as e:
                lam.create_function(FunctionName="enc-c", Runtime="python3.12", Role=role, Handler="app.handler",
                                    Code={"S3Bucket": "code", "S3Key": "c.zip"})
            self.assertEqual(code_of(e), "InvalidParameterValueException")
        finally:
            srv.cleanup()


def code_of(e):
    return e.exception.response["Error"]["Code"]


if __name__ == "__main__":
    unittest.main()
