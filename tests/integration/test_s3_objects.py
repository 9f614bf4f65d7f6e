# SPDX-License-Identifier: Apache-2.0
"""S3 objects through boto3 and the AWS CLI: put/get/head/delete, ranges, conditions, listing."""
import base64
import datetime
import hashlib
import os
import subprocess
import tempfile
import time
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server


def code(e):
    return e.exception.response["Error"]["Code"]


def status(e):
    return e.exception.response["ResponseMetadata"]["HTTPStatusCode"]


class S3Objects(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})
        cls.s3.create_bucket(Bucket="objs")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_many_metadata_headers(self):
        # Regression: response headers past the 24th were silently dropped, taking
        # user metadata and x-amz-request-id with them; 80 keys were refused as
        # SignatureDoesNotMatch (a limit of 64 signed headers) or 431 (100 headers).
        for n in (30, 45, 80):  # (Python's http.client reads at most 100 response headers)
            meta = {f"{chr(97 + i % 26)}{i // 26 if i >= 26 else ''}": str(i % 10) for i in range(n)}
            self.assertEqual(len(meta), n)
            self.assertLessEqual(sum(len(k) + len(v) for k, v in meta.items()), 2048)
            key = f"meta-{n}"
            self.s3.put_object(Bucket="objs", Key=key, Body=b"x", Metadata=meta)
            for r in (self.s3.head_object(Bucket="objs", Key=key),
                      self.s3.get_object(Bucket="objs", Key=key)):
                self.assertEqual(r["Metadata"], meta)
                hdrs = r["ResponseMetadata"]["HTTPHeaders"]
                self.assertIn("x-amz-request-id", hdrs)
                self.assertIn("etag", hdrs)
                self.assertIn("last-modified", hdrs)

    def test_put_get_head_delete(self):
        body = b"hello, stratus\n"
        r = self.s3.put_object(Bucket="objs", Key="greeting.txt", Body=body, ContentType="text/plain",
                               Metadata={"colour": "blue"}, CacheControl="max-age=60")
        md5 = hashlib.md5(body).hexdigest()
        self.assertEqual(r["ETag"], f'"{md5}"')
        g = self.s3.get_object(Bucket="objs", Key="greeting.txt")
        self.assertEqual(g["Body"].read(), body)
        self.assertEqual(g["ContentType"], "text/plain")
        self.assertEqual(g["ContentLength"], len(body))
        self.assertEqual(g["Metadata"], {"colour": "blue"})
        self.assertEqual(g["CacheControl"], "max-age=60")
        self.assertEqual(g["ETag"], f'"{md5}"')
        self.assertIsInstance(g["LastModified"], datetime.datetime)
        h = self.s3.head_object(Bucket="objs", Key="greeting.txt")
        self.assertEqual(h["ContentLength"], len(body))
        self.assertEqual(h["Metadata"], {"colour": "blue"})
        # Overwrite replaces data and metadata.
        self.s3.put_object(Bucket="objs", Key="greeting.txt", Body=b"v2")
        g = self.s3.get_object(Bucket="objs", Key="greeting.txt")
        self.assertEqual(g["Body"].read(), b"v2")
        self.assertEqual(g["Metadata"], {})
        r = self.s3.delete_object(Bucket="objs", Key="greeting.txt")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="objs", Key="greeting.txt")
        self.assertEqual(code(e), "NoSuchKey")
        self.assertEqual(status(e), 404)
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket="objs", Key="greeting.txt")
        self.assertEqual(status(e), 404)
        # Deleting a missing key is not an error in S3.
        r = self.s3.delete_object(Bucket="objs", Key="greeting.txt")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="no-such-bucket-here", Key="k")
        self.assertEqual(code(e), "NoSuchBucket")

    def test_empty_and_large_objects(self):
        # An empty PUT, then another on the same connection: botocore sends Expect:
        # 100-continue for both and misreads the second response unless the first got a
        # 100 Continue too (it then waits out its read timeout).
        quick = self.srv.client("s3", s3={"addressing_style": "path"}, read_timeout=5)
        start = time.monotonic()
        for body in (b"", b"x", b"xy"):
            quick.put_object(Bucket="objs", Key="empty", Body=body)
        self.assertLess(time.monotonic() - start, 3)
        self.s3.put_object(Bucket="objs", Key="empty", Body=b"")
        g = self.s3.get_object(Bucket="objs", Key="empty")
        self.assertEqual(g["Body"].read(), b"")
        self.assertEqual(g["ETag"], '"d41d8cd98f00b204e9800998ecf8427e"')
        # Several engine chunks (1 MiB each), not a multiple of the chunk size.
        big = os.urandom(3 * 1024 * 1024 + 12345)
        r = self.s3.put_object(Bucket="objs", Key="dir/big.bin", Body=big)
        self.assertEqual(r["ETag"], '"%s"' % hashlib.md5(big).hexdigest())
        g = self.s3.get_object(Bucket="objs", Key="dir/big.bin")
        self.assertEqual(hashlib.sha256(g["Body"].read()).digest(), hashlib.sha256(big).digest())
        # A range spanning a chunk boundary.
        lo, hi = 1024 * 1024 - 10, 1024 * 1024 + 9
        g = self.s3.get_object(Bucket="objs", Key="dir/big.bin", Range=f"bytes={lo}-{hi}")
        self.assertEqual(g["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(g["ContentRange"], f"bytes {lo}-{hi}/{len(big)}")
        self.assertEqual(g["Body"].read(), big[lo:hi + 1])
        self.s3.delete_object(Bucket="objs", Key="dir/big.bin")

    def test_ranges(self):
        data = bytes(range(100))
        self.s3.put_object(Bucket="objs", Key="r", Body=data)
        for rng, want in [("bytes=0-9", data[0:10]), ("bytes=90-", data[90:]), ("bytes=-5", data[95:]),
                          ("bytes=95-1000", data[95:])]:
            with self.subTest(rng=rng):
                g = self.s3.get_object(Bucket="objs", Key="r", Range=rng)
                self.assertEqual(g["Body"].read(), want)
                self.assertEqual(g["ContentLength"], len(want))
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="objs", Key="r", Range="bytes=100-200")
        self.assertEqual(code(e), "InvalidRange")
        self.assertEqual(status(e), 416)
        # A syntactically invalid range is ignored: the whole object, 200.
        g = self.s3.get_object(Bucket="objs", Key="r", Range="lines=1-2")
        self.assertEqual(g["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(g["Body"].read(), data)

    def test_conditional_requests(self):
        r = self.s3.put_object(Bucket="objs", Key="cond", Body=b"abc")
        etag = r["ETag"]
        g = self.s3.get_object(Bucket="objs", Key="cond", IfMatch=etag)
        self.assertEqual(g["Body"].read(), b"abc")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="objs", Key="cond", IfMatch='"0000"')
        self.assertEqual(status(e), 412)
        self.assertEqual(code(e), "PreconditionFailed")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="objs", Key="cond", IfNoneMatch=etag)
        self.assertEqual(status(e), 304)
        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
        past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="objs", Key="cond", IfModifiedSince=future)
        self.assertEqual(status(e), 304)
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="cond", IfModifiedSince=past)["Body"].read(), b"abc")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="objs", Key="cond", IfUnmodifiedSince=past)
        self.assertEqual(status(e), 412)
        # Conditional writes: If-None-Match: * refuses to overwrite.
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="objs", Key="cond", Body=b"new", IfNoneMatch="*")
        self.assertEqual(status(e), 412)
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="cond")["Body"].read(), b"abc")
        self.s3.put_object(Bucket="objs", Key="cond-fresh", Body=b"x", IfNoneMatch="*")

    def test_concurrent_create_only_puts(self):
        import concurrent.futures
        clients = [self.srv.client("s3", s3={"addressing_style": "path"}) for _ in range(16)]

        def put(i):
            try:
                clients[i].put_object(Bucket="objs", Key="race", Body=b"writer-%d" % i, IfNoneMatch="*")
                return i
            except ClientError as e:
                self.assertEqual(e.response["Error"]["Code"], "PreconditionFailed")
                return None
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            winners = [w for w in ex.map(put, range(16)) if w is not None]
        self.assertEqual(len(winners), 1)
        body = self.s3.get_object(Bucket="objs", Key="race")["Body"].read()
        self.assertEqual(body, b"writer-%d" % winners[0])
        # If-Match: only the writer holding the current ETag wins.
        etag = self.s3.head_object(Bucket="objs", Key="race")["ETag"]
        self.s3.put_object(Bucket="objs", Key="race", Body=b"next", IfMatch=etag)
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="objs", Key="race", Body=b"stale", IfMatch=etag)
        self.assertEqual(status(e), 412)
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="objs", Key="absent-key", Body=b"x", IfMatch=etag)
        self.assertEqual(code(e), "NoSuchKey")
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="race")["Body"].read(), b"next")

    def test_response_overrides_and_checksums(self):
        self.s3.put_object(Bucket="objs", Key="over", Body=b"{}", ContentType="application/json")
        g = self.s3.get_object(Bucket="objs", Key="over", ResponseContentType="text/plain",
                               ResponseContentDisposition="attachment; filename=x.json")
        self.assertEqual(g["ContentType"], "text/plain")
        self.assertEqual(g["ContentDisposition"], "attachment; filename=x.json")
        # A declared checksum is verified, stored, and returned when asked for.
        data = b"checksummed body" * 100
        for algo in ["SHA256", "CRC32", "SHA1"]:  # CRC32C needs botocore[crt]
            with self.subTest(algo=algo):
                r = self.s3.put_object(Bucket="objs", Key="ck-" + algo, Body=data, ChecksumAlgorithm=algo)
                want = r["Checksum" + algo]
                g = self.s3.get_object(Bucket="objs", Key="ck-" + algo, ChecksumMode="ENABLED")
                self.assertEqual(g["Checksum" + algo], want)
                self.assertEqual(g["Body"].read(), data)
                h = self.s3.head_object(Bucket="objs", Key="ck-" + algo)
                self.assertNotIn("Checksum" + algo, h)
        self.assertEqual(base64.b64decode(self.s3.get_object(Bucket="objs", Key="ck-SHA256", ChecksumMode="ENABLED")
                                          ["ChecksumSHA256"]), hashlib.sha256(data).digest())
        # A wrong Content-MD5 is refused and stores nothing.
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="objs", Key="bad-md5", Body=b"data",
                               ContentMD5=base64.b64encode(hashlib.md5(b"other").digest()).decode())
        self.assertEqual(code(e), "BadDigest")
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket="objs", Key="bad-md5")
        self.assertEqual(status(e), 404)

    def test_key_limits(self):
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="objs", Key="k" * 1025, Body=b"x")
        self.assertEqual(code(e), "KeyTooLongError")
        key = "ключ/with spaces+plus&amp?.txt"
        self.s3.put_object(Bucket="objs", Key=key, Body=b"unicode")
        self.assertEqual(self.s3.get_object(Bucket="objs", Key=key)["Body"].read(), b"unicode")
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket="objs", Prefix="ключ/")["Contents"]]
        self.assertEqual(keys, [key])

    def test_bucket_not_empty(self):
        self.s3.create_bucket(Bucket="full-bucket")
        self.s3.put_object(Bucket="full-bucket", Key="a", Body=b"1")
        with self.assertRaises(ClientError) as e:
            self.s3.delete_bucket(Bucket="full-bucket")
        self.assertEqual(code(e), "BucketNotEmpty")
        self.assertEqual(status(e), 409)
        self.s3.delete_object(Bucket="full-bucket", Key="a")
        self.s3.delete_bucket(Bucket="full-bucket")

    def test_listing(self):
        self.s3.create_bucket(Bucket="listing")
        keys = ["a.txt", "b/1", "b/2", "b/c/3", "c", "d/4"]
        for k in keys:
            self.s3.put_object(Bucket="listing", Key=k, Body=k.encode())
        r = self.s3.list_objects_v2(Bucket="listing")
        self.assertEqual([o["Key"] for o in r["Contents"]], keys)
        self.assertEqual(r["KeyCount"], 6)
        self.assertFalse(r["IsTruncated"])
        self.assertEqual(r["Contents"][0]["Size"], 5)
        self.assertEqual(r["Contents"][0]["ETag"], '"%s"' % hashlib.md5(b"a.txt").hexdigest())
        r = self.s3.list_objects_v2(Bucket="listing", Delimiter="/")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["a.txt", "c"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["b/", "d/"])
        r = self.s3.list_objects_v2(Bucket="listing", Prefix="b/", Delimiter="/")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["b/1", "b/2"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["b/c/"])
        r = self.s3.list_objects_v2(Bucket="listing", StartAfter="b/2")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["b/c/3", "c", "d/4"])
        # Pagination: continuation tokens, every key exactly once.
        seen, token, pages = [], None, 0
        while pages < 10:
            kw = {"ContinuationToken": token} if token else {}
            r = self.s3.list_objects_v2(Bucket="listing", MaxKeys=2, **kw)
            seen += [o["Key"] for o in r.get("Contents", [])]
            pages += 1
            if not r["IsTruncated"]:
                break
            token = r["NextContinuationToken"]
        self.assertEqual(seen, keys)
        self.assertEqual(pages, 3)
        # The paginator in boto3, and the v1 API with markers.
        pg = self.s3.get_paginator("list_objects_v2")
        got = [o["Key"] for p in pg.paginate(Bucket="listing", PaginationConfig={"PageSize": 4}) for o in p["Contents"]]
        self.assertEqual(got, keys)
        r = self.s3.list_objects(Bucket="listing", MaxKeys=3)
        self.assertTrue(r["IsTruncated"])
        self.assertEqual([o["Key"] for o in r["Contents"]], keys[:3])
        r = self.s3.list_objects(Bucket="listing", Marker="b/c/3", Delimiter="/")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["c"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["d/"])
        with self.assertRaises(ClientError) as e:
            self.s3.list_objects_v2(Bucket="listing", ContinuationToken="not-a-token!")
        self.assertEqual(code(e), "InvalidArgument")
        with self.assertRaises(ClientError) as e:
            self.s3.list_objects_v2(Bucket="missing-listing")
        self.assertEqual(code(e), "NoSuchBucket")

    def test_delete_objects(self):
        self.s3.create_bucket(Bucket="multi-delete")
        keys = [f"k/{i:04d} with space" for i in range(1000)]
        for k in keys[:20]:
            self.s3.put_object(Bucket="multi-delete", Key=k, Body=b"x")
        r = self.s3.delete_objects(Bucket="multi-delete", Delete={"Objects": [{"Key": k} for k in keys[:10]]})
        self.assertEqual(sorted(d["Key"] for d in r["Deleted"]), keys[:10])
        self.assertNotIn("Errors", r)
        # Quiet mode reports only errors; absent keys count as deleted; 1000 keys at once.
        r = self.s3.delete_objects(Bucket="multi-delete",
                                   Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
        self.assertNotIn("Deleted", r)
        self.assertNotIn("Errors", r)
        self.assertEqual(self.s3.list_objects_v2(Bucket="multi-delete")["KeyCount"], 0)
        r = self.s3.delete_objects(Bucket="multi-delete", Delete={"Objects": [{"Key": "a" * 1025}]})
        self.assertEqual(r["Errors"][0]["Code"], "KeyTooLongError")
        with self.assertRaises(ClientError) as e:
            self.s3.delete_objects(Bucket="multi-delete",
                                   Delete={"Objects": [{"Key": f"{i}"} for i in range(1001)]})
        self.assertEqual(code(e), "MalformedXML")
        with self.assertRaises(ClientError) as e:
            self.s3.delete_objects(Bucket="no-such-multi", Delete={"Objects": [{"Key": "a"}]})
        self.assertEqual(code(e), "NoSuchBucket")
        # S3 requires Content-MD5 or a checksum on this request.
        body = "<Delete><Object><Key>a</Key></Object></Delete>"
        r = self.srv.cli("request", "POST", "/multi-delete", "--query", "delete", "--body", body)
        self.assertIn("<Code>InvalidRequest</Code>", r.stdout)
        md5 = base64.b64encode(hashlib.md5(body.encode()).digest()).decode()
        r = self.srv.cli("request", "POST", "/multi-delete", "--query", "delete", "--body", body,
                         "--header", f"Content-MD5: {md5}")
        self.assertTrue(r.stdout.startswith("200"), r.stdout)
        self.assertIn("<Deleted><Key>a</Key></Deleted>", r.stdout)

    def test_multipart_lifecycle(self):
        mib = 1024 * 1024
        parts_data = [os.urandom(5 * mib), os.urandom(5 * mib + 7), os.urandom(1234)]
        r = self.s3.create_multipart_upload(Bucket="objs", Key="mp/big.bin", ContentType="video/mp4",
                                            Metadata={"by": "test"})
        uid = r["UploadId"]
        etags = []
        for i, d in enumerate(parts_data, 1):
            p = self.s3.upload_part(Bucket="objs", Key="mp/big.bin", UploadId=uid, PartNumber=i, Body=d)
            self.assertEqual(p["ETag"], '"%s"' % hashlib.md5(d).hexdigest())
            etags.append(p["ETag"])
        # Re-uploading a part replaces it.
        parts_data[2] = b"last part, replaced"
        etags[2] = self.s3.upload_part(Bucket="objs", Key="mp/big.bin", UploadId=uid, PartNumber=3,
                                       Body=parts_data[2])["ETag"]
        lp = self.s3.list_parts(Bucket="objs", Key="mp/big.bin", UploadId=uid)
        self.assertEqual([(p["PartNumber"], p["ETag"], p["Size"]) for p in lp["Parts"]],
                         [(i + 1, etags[i], len(parts_data[i])) for i in range(3)])
        lp = self.s3.list_parts(Bucket="objs", Key="mp/big.bin", UploadId=uid, MaxParts=1, PartNumberMarker=1)
        self.assertEqual([p["PartNumber"] for p in lp["Parts"]], [2])
        self.assertTrue(lp["IsTruncated"])
        # Not visible until completed.
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket="objs", Key="mp/big.bin")
        self.assertEqual(status(e), 404)
        mpu = {"Parts": [{"PartNumber": i + 1, "ETag": etags[i]} for i in range(3)]}
        with self.assertRaises(ClientError) as e:
            self.s3.complete_multipart_upload(Bucket="objs", Key="mp/big.bin", UploadId=uid,
                                              MultipartUpload={"Parts": list(reversed(mpu["Parts"]))})
        self.assertEqual(code(e), "InvalidPartOrder")
        with self.assertRaises(ClientError) as e:
            self.s3.complete_multipart_upload(Bucket="objs", Key="mp/big.bin", UploadId=uid,
                                              MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etags[1]}]})
        self.assertEqual(code(e), "InvalidPart")
        with self.assertRaises(ClientError) as e:
            self.s3.complete_multipart_upload(Bucket="objs", Key="mp/big.bin", UploadId=uid,
                                              MultipartUpload={"Parts": [{"PartNumber": 3, "ETag": etags[2]},
                                                                         {"PartNumber": 4, "ETag": etags[2]}]})
        self.assertEqual(code(e), "InvalidPart")
        r = self.s3.complete_multipart_upload(Bucket="objs", Key="mp/big.bin", UploadId=uid, MultipartUpload=mpu)
        digest = hashlib.md5(b"".join(bytes.fromhex(e.strip('"')) for e in etags)).hexdigest()
        self.assertEqual(r["ETag"], f'"{digest}-3"')
        whole = b"".join(parts_data)
        g = self.s3.get_object(Bucket="objs", Key="mp/big.bin")
        self.assertEqual(g["ContentLength"], len(whole))
        self.assertEqual(g["ContentType"], "video/mp4")
        self.assertEqual(g["Metadata"], {"by": "test"})
        self.assertEqual(g["ETag"], f'"{digest}-3"')
        self.assertEqual(hashlib.sha256(g["Body"].read()).digest(), hashlib.sha256(whole).digest())
        # Ranges across part boundaries.
        lo, hi = 5 * mib - 3, 10 * mib + 10
        g = self.s3.get_object(Bucket="objs", Key="mp/big.bin", Range=f"bytes={lo}-{hi}")
        self.assertEqual(g["Body"].read(), whole[lo:hi + 1])
        # partNumber reads one part (as uploaded), with the parts count.
        for n in (1, 2, 3):
            g = self.s3.get_object(Bucket="objs", Key="mp/big.bin", PartNumber=n)
            self.assertEqual(g["ResponseMetadata"]["HTTPStatusCode"], 206)
            self.assertEqual(g["PartsCount"], 3)
            self.assertEqual(g["Body"].read(), parts_data[n - 1])
        h = self.s3.head_object(Bucket="objs", Key="mp/big.bin", PartNumber=2)
        self.assertEqual(h["ContentLength"], len(parts_data[1]))
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="objs", Key="mp/big.bin", PartNumber=4)
        self.assertEqual(code(e), "InvalidPartNumber")
        self.assertEqual(status(e), 416)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="objs", Key="mp/big.bin", PartNumber=1, Range="bytes=0-1")
        self.assertEqual(code(e), "InvalidRequest")
        # The upload is gone.
        with self.assertRaises(ClientError) as e:
            self.s3.list_parts(Bucket="objs", Key="mp/big.bin", UploadId=uid)
        self.assertEqual(code(e), "NoSuchUpload")
        with self.assertRaises(ClientError) as e:
            self.s3.upload_part(Bucket="objs", Key="mp/big.bin", UploadId=uid, PartNumber=1, Body=b"x")
        self.assertEqual(code(e), "NoSuchUpload")

    def test_multipart_limits_and_abort(self):
        uid = self.s3.create_multipart_upload(Bucket="objs", Key="mp/small")["UploadId"]
        e1 = self.s3.upload_part(Bucket="objs", Key="mp/small", UploadId=uid, PartNumber=1, Body=b"a" * 100)["ETag"]
        e2 = self.s3.upload_part(Bucket="objs", Key="mp/small", UploadId=uid, PartNumber=2, Body=b"b")["ETag"]
        with self.assertRaises(ClientError) as e:
            self.s3.complete_multipart_upload(Bucket="objs", Key="mp/small", UploadId=uid,
                                              MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                                                         {"PartNumber": 2, "ETag": e2}]})
        self.assertEqual(code(e), "EntityTooSmall")
        for n in (0, 10001):
            with self.assertRaises(ClientError) as e:
                self.s3.upload_part(Bucket="objs", Key="mp/small", UploadId=uid, PartNumber=n, Body=b"x")
            self.assertEqual(code(e), "InvalidArgument")
        # A single part may be small; the upload id is bound to its key.
        with self.assertRaises(ClientError) as e:
            self.s3.upload_part(Bucket="objs", Key="mp/other", UploadId=uid, PartNumber=1, Body=b"x")
        self.assertEqual(code(e), "NoSuchUpload")
        self.assertEqual(self.s3.abort_multipart_upload(Bucket="objs", Key="mp/small", UploadId=uid)
                         ["ResponseMetadata"]["HTTPStatusCode"], 204)
        with self.assertRaises(ClientError) as e:
            self.s3.abort_multipart_upload(Bucket="objs", Key="mp/small", UploadId=uid)
        self.assertEqual(code(e), "NoSuchUpload")
        with self.assertRaises(ClientError) as e:
            self.s3.abort_multipart_upload(Bucket="objs", Key="mp/small", UploadId="not-an-upload")
        self.assertEqual(code(e), "NoSuchUpload")
        uid = self.s3.create_multipart_upload(Bucket="objs", Key="mp/one")["UploadId"]
        e1 = self.s3.upload_part(Bucket="objs", Key="mp/one", UploadId=uid, PartNumber=7, Body=b"tiny")["ETag"]
        self.s3.complete_multipart_upload(Bucket="objs", Key="mp/one", UploadId=uid,
                                          MultipartUpload={"Parts": [{"PartNumber": 7, "ETag": e1}]})
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="mp/one")["Body"].read(), b"tiny")
        # Part numbers are the uploaded ones (7 here), not positions.
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="mp/one", PartNumber=7)["Body"].read(), b"tiny")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="objs", Key="mp/one", PartNumber=1)
        self.assertEqual(code(e), "InvalidPartNumber")
        # A single-PUT object is part 1.
        self.s3.put_object(Bucket="objs", Key="mp/single", Body=b"whole")
        g = self.s3.get_object(Bucket="objs", Key="mp/single", PartNumber=1)
        self.assertEqual((g["Body"].read(), g["PartsCount"]), (b"whole", 1))

    def test_list_multipart_uploads(self):
        self.s3.create_bucket(Bucket="uploads")
        keys = ["a/1", "a/2", "b", "b", "c/x/y"]
        ids = [self.s3.create_multipart_upload(Bucket="uploads", Key=k)["UploadId"] for k in keys]
        r = self.s3.list_multipart_uploads(Bucket="uploads")
        self.assertEqual([u["Key"] for u in r["Uploads"]], sorted(keys))
        self.assertEqual(sorted(u["UploadId"] for u in r["Uploads"]), sorted(ids))
        self.assertFalse(r["IsTruncated"])
        self.assertIn("Initiated", r["Uploads"][0])
        r = self.s3.list_multipart_uploads(Bucket="uploads", Delimiter="/")
        self.assertEqual([u["Key"] for u in r["Uploads"]], ["b", "b"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["a/", "c/"])
        r = self.s3.list_multipart_uploads(Bucket="uploads", Prefix="a/")
        self.assertEqual([u["Key"] for u in r["Uploads"]], ["a/1", "a/2"])
        # Paging with key and upload-id markers visits every upload once.
        seen, kw = [], {}
        for _ in range(10):
            r = self.s3.list_multipart_uploads(Bucket="uploads", MaxUploads=2, **kw)
            seen += [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
            if not r["IsTruncated"]:
                break
            kw = {"KeyMarker": r["NextKeyMarker"], "UploadIdMarker": r["NextUploadIdMarker"]}
        self.assertEqual(sorted(seen), sorted(zip(keys, ids)))
        self.assertEqual(len(seen), 5)
        r = self.s3.list_multipart_uploads(Bucket="uploads", KeyMarker="b")
        self.assertEqual([u["Key"] for u in r["Uploads"]], ["c/x/y"])
        # Completing or aborting removes an upload from the list.
        self.s3.abort_multipart_upload(Bucket="uploads", Key="a/1", UploadId=ids[0])
        r = self.s3.list_multipart_uploads(Bucket="uploads")
        self.assertNotIn(ids[0], [u["UploadId"] for u in r["Uploads"]])
        # As in S3, a bucket with uploads in progress (and no objects) can be deleted.
        e1 = self.s3.upload_part(Bucket="uploads", Key="b", UploadId=ids[2], PartNumber=1, Body=b"x")
        self.assertIn("ETag", e1)
        self.s3.delete_bucket(Bucket="uploads")
        self.s3.create_bucket(Bucket="uploads")
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket="uploads"))
        with self.assertRaises(ClientError) as e:
            self.s3.list_parts(Bucket="uploads", Key="b", UploadId=ids[2])
        self.assertEqual(code(e), "NoSuchUpload")

    def test_transfer_manager_and_cli_multipart(self):
        from boto3.s3.transfer import TransferConfig
        import io
        data = os.urandom(100 * 1024 * 1024)
        cfg = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024,
                             max_concurrency=4)
        self.s3.upload_fileobj(io.BytesIO(data), "objs", "mp/transfer.bin", Config=cfg)
        h = self.s3.head_object(Bucket="objs", Key="mp/transfer.bin")
        self.assertEqual(h["ContentLength"], len(data))
        self.assertTrue(h["ETag"].endswith('-13"'), h["ETag"])
        out = io.BytesIO()
        self.s3.download_fileobj("objs", "mp/transfer.bin", out, Config=cfg)
        self.assertEqual(hashlib.sha256(out.getvalue()).digest(), hashlib.sha256(data).digest())
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "big.bin")
            with open(src, "wb") as f:
                f.write(data)
            base = ["aws", "--endpoint-url", self.srv.endpoint, "s3"]
            subprocess.run(base + ["cp", src, "s3://objs/mp/cli-big.bin"], env=env, check=True,
                           capture_output=True, timeout=300)
            h = self.s3.head_object(Bucket="objs", Key="mp/cli-big.bin")
            self.assertRegex(h["ETag"], r'-\d+"$')  # it went multipart
            dst = os.path.join(d, "back.bin")
            subprocess.run(base + ["cp", "s3://objs/mp/cli-big.bin", dst], env=env, check=True,
                           capture_output=True, timeout=300)
            with open(dst, "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).digest(), hashlib.sha256(data).digest())
            # A bucket-to-bucket copy of a large object goes multipart: UploadPartCopy.
            subprocess.run(base + ["cp", "s3://objs/mp/cli-big.bin", "s3://objs/mp/cli-copy.bin"],
                           env=env, check=True, capture_output=True, timeout=300)
        h = self.s3.head_object(Bucket="objs", Key="mp/cli-copy.bin")
        self.assertRegex(h["ETag"], r'-\d+"$')
        got = self.s3.get_object(Bucket="objs", Key="mp/cli-copy.bin")["Body"].read()
        self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(data).digest())
        self.s3.delete_objects(Bucket="objs", Delete={"Objects": [{"Key": "mp/transfer.bin"},
                                                                  {"Key": "mp/cli-big.bin"},
                                                                  {"Key": "mp/cli-copy.bin"}]})

    def test_copies_share_bytes(self):
        # Copies to other keys and buckets name the source's bytes (no byte is copied); every
        # copy outlives the source and the others.
        data = os.urandom(3 * 1024 * 1024 + 7)
        self.s3.create_bucket(Bucket="objs-copies")
        self.s3.put_object(Bucket="objs", Key="share/src", Body=data, Metadata={"m": "1"})
        self.s3.copy_object(Bucket="objs", Key="share/a", CopySource="objs/share/src")
        self.s3.copy_object(Bucket="objs-copies", Key="b", CopySource="objs/share/a",
                            MetadataDirective="REPLACE", Metadata={"m": "2"})
        self.s3.delete_object(Bucket="objs", Key="share/src")
        self.s3.put_object(Bucket="objs", Key="share/a", Body=b"overwritten")
        g = self.s3.get_object(Bucket="objs-copies", Key="b")
        self.assertEqual((g["Body"].read(), g["Metadata"]), (data, {"m": "2"}))
        self.assertEqual(g["ETag"], '"%s"' % hashlib.md5(data).hexdigest())
        r = self.s3.get_object(Bucket="objs-copies", Key="b", Range="bytes=1048570-1048580")
        self.assertEqual(r["Body"].read(), data[1048570:1048581])
        self.s3.delete_object(Bucket="objs-copies", Key="b")
        self.s3.delete_object(Bucket="objs", Key="share/a")
        self.s3.delete_bucket(Bucket="objs-copies")

    def test_upload_part_copy(self):
        src = os.urandom(6 * 1024 * 1024 + 100)
        self.s3.put_object(Bucket="objs", Key="upc/src", Body=src)
        up = self.s3.create_multipart_upload(Bucket="objs", Key="upc/dst")["UploadId"]
        cut = 5 * 1024 * 1024
        p1 = self.s3.upload_part_copy(Bucket="objs", Key="upc/dst", UploadId=up, PartNumber=1,
                                      CopySource={"Bucket": "objs", "Key": "upc/src"},
                                      CopySourceRange=f"bytes=0-{cut - 1}")
        self.assertEqual(p1["CopyPartResult"]["ETag"], '"%s"' % hashlib.md5(src[:cut]).hexdigest())
        # A part copied whole, and a part uploaded the usual way, mixed in one upload.
        p2 = self.s3.upload_part_copy(Bucket="objs", Key="upc/dst", UploadId=up, PartNumber=2,
                                      CopySource="objs/upc/src")
        p3 = self.s3.upload_part(Bucket="objs", Key="upc/dst", UploadId=up, PartNumber=3, Body=b"tail")
        parts = self.s3.list_parts(Bucket="objs", Key="upc/dst", UploadId=up)["Parts"]
        self.assertEqual([p["Size"] for p in parts], [cut, len(src), 4])
        self.s3.complete_multipart_upload(Bucket="objs", Key="upc/dst", UploadId=up, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]},
            {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]},
            {"PartNumber": 3, "ETag": p3["ETag"]}]})
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="upc/dst")["Body"].read(), src[:cut] + src + b"tail")
        # Errors: a range past the end, a malformed range, a missing source, a missing upload,
        # a failed copy-source condition.
        up2 = self.s3.create_multipart_upload(Bucket="objs", Key="upc/dst2")["UploadId"]
        cases = [({"CopySource": "objs/upc/src", "CopySourceRange": f"bytes=0-{len(src)}"}, "InvalidArgument"),
                 ({"CopySource": "objs/upc/src", "CopySourceRange": "bytes=5-"}, "InvalidArgument"),
                 ({"CopySource": "objs/upc/nope"}, "NoSuchKey"),
                 ({"CopySource": "objs/upc/src", "CopySourceIfMatch": '"0000"'}, "PreconditionFailed")]
        for kw, want in cases:
            with self.subTest(kw=kw), self.assertRaises(ClientError) as e:
                self.s3.upload_part_copy(Bucket="objs", Key="upc/dst2", UploadId=up2, PartNumber=1, **kw)
            self.assertEqual(code(e), want)
        with self.assertRaises(ClientError) as e:
            self.s3.upload_part_copy(Bucket="objs", Key="upc/dst2", UploadId="0123456789abcdef", PartNumber=1,
                                     CopySource="objs/upc/src")
        self.assertEqual(code(e), "NoSuchUpload")
        self.s3.abort_multipart_upload(Bucket="objs", Key="upc/dst2", UploadId=up2)
        self.s3.delete_objects(Bucket="objs", Delete={"Objects": [{"Key": "upc/src"}, {"Key": "upc/dst"}]})

    def test_malformed_percent_escapes(self):
        """A bad %-escape in x-amz-copy-source: InvalidArgument, as S3 answers."""
        s3 = self.srv.client("s3", s3={"addressing_style": "path"})

        def rewrite(request, **kw):  # botocore escapes '%': send the bad escape as it is
            if "x-amz-copy-source" in request.headers:
                request.headers.replace_header("x-amz-copy-source", "objs/bad%zz")
        s3.meta.events.register("before-sign.s3", rewrite)
        self.s3.put_object(Bucket="objs", Key="pct/a", Body=b"one")
        with self.assertRaises(ClientError) as e:
            s3.copy_object(Bucket="objs", Key="pct/copy", CopySource="objs/pct/a")
        self.assertEqual((status(e), code(e)), (400, "InvalidArgument"))
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="pct/a")["Body"].read(), b"one")

    def test_copy_object(self):
        self.s3.create_bucket(Bucket="copy-dst")
        data = os.urandom(2 * 1024 * 1024 + 5)
        src = self.s3.put_object(Bucket="objs", Key="copy/src", Body=data, ContentType="image/png",
                                 Metadata={"a": "1"})
        # COPY (the default): bytes, headers and metadata come along; the ETag is the source's.
        r = self.s3.copy_object(Bucket="copy-dst", Key="dst key+1", CopySource={"Bucket": "objs", "Key": "copy/src"})
        self.assertEqual(r["CopyObjectResult"]["ETag"], src["ETag"])
        g = self.s3.get_object(Bucket="copy-dst", Key="dst key+1")
        self.assertEqual(g["Body"].read(), data)
        self.assertEqual(g["ContentType"], "image/png")
        self.assertEqual(g["Metadata"], {"a": "1"})
        # REPLACE takes the request's headers.
        self.s3.copy_object(Bucket="copy-dst", Key="replaced", CopySource="objs/copy/src",
                            MetadataDirective="REPLACE", ContentType="text/plain", Metadata={"b": "2"})
        h = self.s3.head_object(Bucket="copy-dst", Key="replaced")
        self.assertEqual((h["ContentType"], h["Metadata"]), ("text/plain", {"b": "2"}))
        # Same key: only metadata changes, which requires REPLACE (or a storage class).
        with self.assertRaises(ClientError) as e:
            self.s3.copy_object(Bucket="objs", Key="copy/src", CopySource="objs/copy/src")
        self.assertEqual(code(e), "InvalidRequest")
        self.s3.copy_object(Bucket="objs", Key="copy/src", CopySource="objs/copy/src",
                            MetadataDirective="REPLACE", Metadata={"c": "3"})
        g = self.s3.get_object(Bucket="objs", Key="copy/src")
        self.assertEqual(g["Metadata"], {"c": "3"})
        self.assertEqual(g["Body"].read(), data)
        # Deleting the source leaves the copy whole.
        self.s3.delete_object(Bucket="objs", Key="copy/src")
        self.assertEqual(self.s3.get_object(Bucket="copy-dst", Key="dst key+1")["Body"].read(), data)
        # Copy-source conditions answer 412; a missing source is NoSuchKey.
        with self.assertRaises(ClientError) as e:
            self.s3.copy_object(Bucket="copy-dst", Key="x", CopySource="copy-dst/replaced",
                                CopySourceIfMatch='"0000"')
        self.assertEqual(status(e), 412)
        with self.assertRaises(ClientError) as e:
            self.s3.copy_object(Bucket="copy-dst", Key="x", CopySource="copy-dst/replaced",
                                CopySourceIfNoneMatch=h["ETag"])
        self.assertEqual(status(e), 412)
        with self.assertRaises(ClientError) as e:
            self.s3.copy_object(Bucket="copy-dst", Key="x", CopySource="objs/copy/src")
        self.assertEqual(code(e), "NoSuchKey")
        with self.assertRaises(ClientError) as e:
            self.s3.copy_object(Bucket="copy-dst", Key="x", CopySource="no-such-src-bucket/k")
        self.assertEqual(code(e), "NoSuchBucket")
        # A multipart source becomes a single-part copy with the MD5 of its bytes.
        uid = self.s3.create_multipart_upload(Bucket="objs", Key="copy/mp")["UploadId"]
        parts = [os.urandom(5 * 1024 * 1024), b"end"]
        etags = [self.s3.upload_part(Bucket="objs", Key="copy/mp", UploadId=uid, PartNumber=i + 1,
                                     Body=p)["ETag"] for i, p in enumerate(parts)]
        self.s3.complete_multipart_upload(Bucket="objs", Key="copy/mp", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]})
        r = self.s3.copy_object(Bucket="copy-dst", Key="from-mp", CopySource="objs/copy/mp")
        self.assertEqual(r["CopyObjectResult"]["ETag"], '"%s"' % hashlib.md5(b"".join(parts)).hexdigest())
        self.assertEqual(self.s3.get_object(Bucket="copy-dst", Key="from-mp")["Body"].read(), b"".join(parts))
        # The AWS CLI: s3 cp between buckets and s3 mv.
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        base = ["aws", "--endpoint-url", self.srv.endpoint, "s3"]
        subprocess.run(base + ["cp", "s3://copy-dst/replaced", "s3://objs/copy/cli"], env=env, check=True,
                       capture_output=True, timeout=60)
        subprocess.run(base + ["mv", "s3://objs/copy/cli", "s3://objs/copy/moved"], env=env, check=True,
                       capture_output=True, timeout=60)
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="copy/moved")["Body"].read(), data)
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket="objs", Key="copy/cli")

    def test_acl_versioning_object_lock_answers(self):
        self.s3.put_object(Bucket="objs", Key="acl-obj", Body=b"x")
        owner = self.s3.list_buckets()["Owner"]["ID"]
        for acl in (self.s3.get_bucket_acl(Bucket="objs"), self.s3.get_object_acl(Bucket="objs", Key="acl-obj")):
            self.assertEqual(acl["Owner"]["ID"], owner)
            self.assertEqual([(g["Grantee"]["ID"], g["Grantee"]["Type"], g["Permission"]) for g in acl["Grants"]],
                             [(owner, "CanonicalUser", "FULL_CONTROL")])
        # ACLs are disabled (bucket owner enforced): only the owner's full control is accepted.
        self.s3.put_bucket_acl(Bucket="objs", ACL="private")
        self.s3.put_object_acl(Bucket="objs", Key="acl-obj", ACL="bucket-owner-full-control")
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_acl(Bucket="objs", ACL="public-read")
        self.assertEqual(code(e), "AccessControlListNotSupported")
        with self.assertRaises(ClientError) as e:
            self.s3.put_object_acl(Bucket="objs", Key="acl-obj", GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"')
        self.assertEqual(code(e), "AccessControlListNotSupported")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object_acl(Bucket="objs", Key="no-such-acl-obj")
        self.assertEqual(code(e), "NoSuchKey")
        v = self.s3.get_bucket_versioning(Bucket="objs")
        self.assertNotIn("Status", v)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object_lock_configuration(Bucket="objs")
        self.assertEqual(code(e), "ObjectLockConfigurationNotFoundError")
        self.assertEqual(status(e), 404)
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_acl(Bucket="no-such-acl-bucket")
        self.assertEqual(code(e), "NoSuchBucket")

    def test_object_tagging(self):
        r = self.s3.put_object(Bucket="objs", Key="tagged", Body=b"t", Tagging="team=data&note=a%20b+c")
        tags = {t["Key"]: t["Value"] for t in self.s3.get_object_tagging(Bucket="objs", Key="tagged")["TagSet"]}
        self.assertEqual(tags, {"team": "data", "note": "a b c"})
        g = self.s3.get_object(Bucket="objs", Key="tagged")
        self.assertEqual(g["TagCount"], 2)
        before = self.s3.head_object(Bucket="objs", Key="tagged")["LastModified"]
        self.s3.put_object_tagging(Bucket="objs", Key="tagged",
                                   Tagging={"TagSet": [{"Key": "k%d" % i, "Value": "v"} for i in range(10)]})
        h = self.s3.head_object(Bucket="objs", Key="tagged")
        self.assertEqual(h["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"], "10")
        self.assertEqual((h["LastModified"], h["ETag"]), (before, r["ETag"]))  # bytes untouched
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="tagged")["Body"].read(), b"t")
        with self.assertRaises(ClientError) as e:
            self.s3.put_object_tagging(Bucket="objs", Key="tagged",
                                       Tagging={"TagSet": [{"Key": "k%d" % i, "Value": "v"} for i in range(11)]})
        self.assertEqual(code(e), "BadRequest")
        for bad in ([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}], [{"Key": "aws:x", "Value": "1"}],
                    [{"Key": "k" * 129, "Value": "1"}], [{"Key": "k", "Value": "v" * 257}]):
            with self.assertRaises(ClientError) as e:
                self.s3.put_object_tagging(Bucket="objs", Key="tagged", Tagging={"TagSet": bad})
            self.assertEqual(code(e), "InvalidTag")
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="objs", Key="tagged2", Body=b"x", Tagging="a=1&a=2")
        self.assertEqual(code(e), "InvalidTag")
        # Copies keep tags (COPY) or take the request's (REPLACE).
        self.s3.copy_object(Bucket="objs", Key="tagged-copy", CopySource="objs/tagged")
        self.assertEqual(len(self.s3.get_object_tagging(Bucket="objs", Key="tagged-copy")["TagSet"]), 10)
        self.s3.copy_object(Bucket="objs", Key="tagged-copy", CopySource="objs/tagged",
                            TaggingDirective="REPLACE", Tagging="only=one")
        self.assertEqual(self.s3.get_object_tagging(Bucket="objs", Key="tagged-copy")["TagSet"],
                         [{"Key": "only", "Value": "one"}])
        r = self.s3.delete_object_tagging(Bucket="objs", Key="tagged")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertEqual(self.s3.get_object_tagging(Bucket="objs", Key="tagged")["TagSet"], [])
        self.assertNotIn("TagCount", self.s3.get_object(Bucket="objs", Key="tagged"))
        with self.assertRaises(ClientError) as e:
            self.s3.get_object_tagging(Bucket="objs", Key="never-tagged")
        self.assertEqual(code(e), "NoSuchKey")
        # Multipart uploads carry x-amz-tagging to the completed object.
        uid = self.s3.create_multipart_upload(Bucket="objs", Key="tagged-mp", Tagging="mp=yes")["UploadId"]
        e1 = self.s3.upload_part(Bucket="objs", Key="tagged-mp", UploadId=uid, PartNumber=1, Body=b"z")["ETag"]
        self.s3.complete_multipart_upload(Bucket="objs", Key="tagged-mp", UploadId=uid,
                                          MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
        self.assertEqual(self.s3.get_object_tagging(Bucket="objs", Key="tagged-mp")["TagSet"],
                         [{"Key": "mp", "Value": "yes"}])

    def test_bucket_tagging(self):
        self.s3.create_bucket(Bucket="tagged-bucket")
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_tagging(Bucket="tagged-bucket")
        self.assertEqual(code(e), "NoSuchTagSet")
        self.assertEqual(status(e), 404)
        tags = [{"Key": "k%02d" % i, "Value": "v%d" % i} for i in range(50)]
        self.s3.put_bucket_tagging(Bucket="tagged-bucket", Tagging={"TagSet": tags})
        self.assertEqual(self.s3.get_bucket_tagging(Bucket="tagged-bucket")["TagSet"], tags)
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_tagging(Bucket="tagged-bucket", Tagging={"TagSet": tags + [{"Key": "x", "Value": "y"}]})
        self.assertEqual(code(e), "InvalidTag")
        self.assertEqual(len(self.s3.get_bucket_tagging(Bucket="tagged-bucket")["TagSet"]), 50)
        # The bucket record keeps working for everything else.
        self.s3.head_bucket(Bucket="tagged-bucket")
        self.s3.put_object(Bucket="tagged-bucket", Key="k", Body=b"v")
        self.s3.delete_bucket_tagging(Bucket="tagged-bucket")
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_tagging(Bucket="tagged-bucket")
        self.assertEqual(code(e), "NoSuchTagSet")
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_tagging(Bucket="no-such-tag-bucket", Tagging={"TagSet": []})
        self.assertEqual(code(e), "NoSuchBucket")

    def test_get_object_attributes(self):
        data = b"attributes" * 1000
        r = self.s3.put_object(Bucket="objs", Key="attrs", Body=data, ChecksumAlgorithm="SHA256",
                               StorageClass="STANDARD_IA")
        a = self.s3.get_object_attributes(Bucket="objs", Key="attrs",
                                          ObjectAttributes=["ETag", "Checksum", "ObjectSize", "StorageClass",
                                                            "ObjectParts"])
        self.assertEqual(a["ETag"], r["ETag"].strip('"'))
        self.assertEqual(a["Checksum"]["ChecksumSHA256"], r["ChecksumSHA256"])
        self.assertEqual(a["ObjectSize"], len(data))
        self.assertEqual(a["StorageClass"], "STANDARD_IA")
        self.assertNotIn("ObjectParts", a)
        self.assertIn("LastModified", a)
        uid = self.s3.create_multipart_upload(Bucket="objs", Key="attrs-mp")["UploadId"]
        e1 = self.s3.upload_part(Bucket="objs", Key="attrs-mp", UploadId=uid, PartNumber=1,
                                 Body=b"p" * (5 * 1024 * 1024))["ETag"]
        e2 = self.s3.upload_part(Bucket="objs", Key="attrs-mp", UploadId=uid, PartNumber=2, Body=b"q")["ETag"]
        self.s3.complete_multipart_upload(Bucket="objs", Key="attrs-mp", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        a = self.s3.get_object_attributes(Bucket="objs", Key="attrs-mp", ObjectAttributes=["ObjectParts", "ObjectSize"])
        self.assertEqual(a["ObjectParts"]["TotalPartsCount"], 2)
        self.assertEqual(a["ObjectSize"], 5 * 1024 * 1024 + 1)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object_attributes(Bucket="objs", Key="no-attrs", ObjectAttributes=["ETag"])
        self.assertEqual(code(e), "NoSuchKey")
        r = self.srv.cli("request", "GET", "/objs/attrs", "--query", "attributes",
                         "--header", "x-amz-object-attributes: Colour")
        self.assertIn("<Code>InvalidArgument</Code>", r.stdout)

    def test_survives_restart(self):
        data = os.urandom(200000)
        self.s3.put_object(Bucket="objs", Key="durable", Body=data)
        self.srv.kill9()
        self.srv.start()
        s3 = self.srv.client("s3", s3={"addressing_style": "path"})
        self.assertEqual(s3.get_object(Bucket="objs", Key="durable")["Body"].read(), data)
        type(self).s3 = s3

    def test_aws_cli_cp_and_ls(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "src.bin")
            data = os.urandom(70000)
            with open(src, "wb") as f:
                f.write(data)
            base = ["aws", "--endpoint-url", self.srv.endpoint, "s3"]
            subprocess.run(base + ["cp", src, "s3://objs/cli/src.bin"], env=env, check=True,
                           capture_output=True, timeout=60)
            out = subprocess.run(base + ["ls", "s3://objs/cli/"], env=env, check=True,
                                 capture_output=True, text=True, timeout=60).stdout
            self.assertIn("src.bin", out)
            self.assertIn("70000", out)
            dst = os.path.join(d, "dst.bin")
            subprocess.run(base + ["cp", "s3://objs/cli/src.bin", dst], env=env, check=True,
                           capture_output=True, timeout=60)
            with open(dst, "rb") as f:
                self.assertEqual(f.read(), data)
            subprocess.run(base + ["rm", "s3://objs/cli/src.bin"], env=env, check=True,
                           capture_output=True, timeout=60)
            # sync of a tree, ls --recursive, rm --recursive (DeleteObjects).
            tree = os.path.join(d, "tree")
            for sub in ["", "a", "a/b", "c d"]:
                os.makedirs(os.path.join(tree, sub), exist_ok=True)
                for i in range(3):
                    with open(os.path.join(tree, sub, f"f{i}.txt"), "w") as f:
                        f.write(f"{sub}/{i}\n")
            subprocess.run(base + ["sync", tree, "s3://objs/tree/"], env=env, check=True,
                           capture_output=True, timeout=120)
            out = subprocess.run(base + ["ls", "--recursive", "s3://objs/tree/"], env=env, check=True,
                                 capture_output=True, text=True, timeout=60).stdout
            listed = sorted(line.split(None, 3)[3] for line in out.splitlines() if line.strip())
            want = sorted("tree/" + os.path.relpath(os.path.join(r, f), tree)
                          for r, _, fs in os.walk(tree) for f in fs)
            self.assertEqual(listed, want)
            # A second sync uploads nothing.
            again = subprocess.run(base + ["sync", tree, "s3://objs/tree/"], env=env, check=True,
                                   capture_output=True, text=True, timeout=120).stdout
            self.assertEqual(again.strip(), "")
            back = os.path.join(d, "back")
            subprocess.run(base + ["sync", "s3://objs/tree/", back], env=env, check=True,
                           capture_output=True, timeout=120)
            with open(os.path.join(back, "c d", "f2.txt")) as f:
                self.assertEqual(f.read(), "c d/2\n")
            subprocess.run(base + ["rm", "--recursive", "s3://objs/tree/"], env=env, check=True,
                           capture_output=True, timeout=120)
            self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket="objs", Prefix="tree/"))


if __name__ == "__main__":
    unittest.main()
