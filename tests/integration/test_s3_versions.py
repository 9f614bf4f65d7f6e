# SPDX-License-Identifier: Apache-2.0
"""S3 versioning through boto3: bucket state, version ids, delete markers, reads and deletes by
version, ListObjectVersions paging, copies and tags of versions, restart."""
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server


def code(e):
    return e.exception.response["Error"]["Code"]


def status(e):
    return e.exception.response["ResponseMetadata"]["HTTPStatusCode"]


def headers(e):
    return e.exception.response["ResponseMetadata"]["HTTPHeaders"]


class S3Versions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def bucket(self, name, state="Enabled"):
        self.s3.create_bucket(Bucket=name)
        if state:
            self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": state})
        return name

    def versions(self, bucket, **kw):
        r = self.s3.list_object_versions(Bucket=bucket, **kw)
        return r.get("Versions", []), r.get("DeleteMarkers", [])

    def test_enable_put_get_delete_by_version(self):
        b = self.bucket("vers-basic", state=None)
        self.assertNotIn("Status", self.s3.get_bucket_versioning(Bucket=b))
        r = self.s3.put_object(Bucket=b, Key="a", Body=b"zero")
        self.assertNotIn("VersionId", r)  # never versioned: no version ids at all
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled")
        v1 = self.s3.put_object(Bucket=b, Key="a", Body=b"one")["VersionId"]
        v2 = self.s3.put_object(Bucket=b, Key="a", Body=b"two")["VersionId"]
        self.assertNotIn("null", (v1, v2))
        self.assertNotEqual(v1, v2)
        g = self.s3.get_object(Bucket=b, Key="a")
        self.assertEqual((g["Body"].read(), g["VersionId"]), (b"two", v2))
        for vid, body in ((v1, b"one"), ("null", b"zero"), (v2, b"two")):
            g = self.s3.get_object(Bucket=b, Key="a", VersionId=vid)
            self.assertEqual((g["Body"].read(), g["VersionId"]), (body, vid))
            self.assertEqual(self.s3.head_object(Bucket=b, Key="a", VersionId=vid)["ContentLength"], len(body))
        vs, dms = self.versions(b)
        self.assertEqual([(v["VersionId"], v["IsLatest"]) for v in vs], [(v2, True), (v1, False), ("null", False)])
        self.assertEqual(dms, [])
        self.assertEqual(vs[0]["ETag"], self.s3.head_object(Bucket=b, Key="a")["ETag"])
        # A delete adds a delete marker; the key reads as absent, its versions remain.
        d = self.s3.delete_object(Bucket=b, Key="a")
        self.assertTrue(d["DeleteMarker"])
        marker = d["VersionId"]
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=b, Key="a")
        self.assertEqual((code(e), status(e)), ("NoSuchKey", 404))
        self.assertEqual(headers(e).get("x-amz-delete-marker"), "true")
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket=b, Key="a")
        self.assertEqual(status(e), 404)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=b, Key="a", VersionId=marker)
        self.assertEqual((code(e), status(e)), ("MethodNotAllowed", 405))
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=b))
        self.assertEqual(self.s3.get_object(Bucket=b, Key="a", VersionId=v1)["Body"].read(), b"one")
        vs, dms = self.versions(b)
        self.assertEqual([(m["VersionId"], m["IsLatest"]) for m in dms], [(marker, True)])
        self.assertEqual([v["IsLatest"] for v in vs], [False, False, False])
        # Removing the marker by id brings the newest version back.
        d = self.s3.delete_object(Bucket=b, Key="a", VersionId=marker)
        self.assertTrue(d["DeleteMarker"])
        self.assertEqual(d["VersionId"], marker)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="a")["Body"].read(), b"two")
        # Deleting a version permanently removes it; the next newest becomes current.
        self.s3.delete_object(Bucket=b, Key="a", VersionId=v2)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="a")["Body"].read(), b"one")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=b, Key="a", VersionId=v2)
        self.assertEqual((code(e), status(e)), ("NoSuchVersion", 404))
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=b, Key="a", VersionId="not-a-version")
        self.assertEqual((code(e), status(e)), ("InvalidArgument", 400))
        # A bucket holding only old versions is not empty.
        self.s3.delete_object(Bucket=b, Key="a")
        with self.assertRaises(ClientError) as e:
            self.s3.delete_bucket(Bucket=b)
        self.assertEqual(code(e), "BucketNotEmpty")
        vs, dms = self.versions(b)
        for v in vs + dms:
            self.s3.delete_object(Bucket=b, Key=v["Key"], VersionId=v["VersionId"])
        self.assertEqual(self.versions(b), ([], []))
        self.s3.delete_bucket(Bucket=b)

    def test_suspended(self):
        b = self.bucket("vers-susp")
        v1 = self.s3.put_object(Bucket=b, Key="k", Body=b"kept")["VersionId"]
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b)["Status"], "Suspended")
        self.assertEqual(self.s3.put_object(Bucket=b, Key="k", Body=b"n1")["VersionId"], "null")
        self.assertEqual(self.s3.put_object(Bucket=b, Key="k", Body=b"n2")["VersionId"], "null")
        vs, _ = self.versions(b)
        self.assertEqual([(v["VersionId"], v["IsLatest"]) for v in vs], [("null", True), (v1, False)])
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"n2")
        # A suspended delete puts a null delete marker in place of the null version.
        d = self.s3.delete_object(Bucket=b, Key="k")
        self.assertEqual((d["DeleteMarker"], d["VersionId"]), (True, "null"))
        vs, dms = self.versions(b)
        self.assertEqual([v["VersionId"] for v in vs], [v1])
        self.assertEqual([m["VersionId"] for m in dms], ["null"])
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Off"})
        self.assertEqual(code(e), "MalformedXML")

    def test_delete_objects_with_versions(self):
        b = self.bucket("vers-multi")
        ids = [self.s3.put_object(Bucket=b, Key="m", Body=str(i).encode())["VersionId"] for i in range(3)]
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [
            {"Key": "m", "VersionId": ids[0]}, {"Key": "m", "VersionId": ids[1]}, {"Key": "other"}]})
        got = {(d["Key"], d.get("VersionId")): d for d in r["Deleted"]}
        self.assertIn(("m", ids[0]), got)
        self.assertIn(("m", ids[1]), got)
        self.assertTrue(got[("other", None)]["DeleteMarker"])
        self.assertIn("DeleteMarkerVersionId", got[("other", None)])
        vs, dms = self.versions(b)
        self.assertEqual([v["VersionId"] for v in vs], [ids[2]])
        self.assertEqual([m["Key"] for m in dms], ["other"])

    def test_list_versions_paging_prefix_delimiter(self):
        b = self.bucket("vers-list")
        want = []
        for key in ("a/1", "a/2", "b", "c"):
            ids = [self.s3.put_object(Bucket=b, Key=key, Body=b"x" * n)["VersionId"] for n in range(3)]
            want += [(key, i) for i in reversed(ids)]  # newest first within a key
        self.s3.delete_object(Bucket=b, Key="c")
        full_v, full_d = self.versions(b)
        self.assertEqual([(v["Key"], v["VersionId"]) for v in full_v], want)
        self.assertEqual(len(full_d), 1)
        # Page two at a time with the markers S3 hands back.
        seen, kw = [], {}
        for _ in range(20):
            r = self.s3.list_object_versions(Bucket=b, MaxKeys=2, **kw)
            page = r.get("Versions", []) + r.get("DeleteMarkers", [])
            self.assertLessEqual(len(page), 2)
            seen += [(v["Key"], v["VersionId"]) for v in page]
            if not r["IsTruncated"]:
                break
            kw = {"KeyMarker": r["NextKeyMarker"], "VersionIdMarker": r["NextVersionIdMarker"]}
        self.assertEqual(sorted(seen), sorted(want + [("c", full_d[0]["VersionId"])]))
        self.assertEqual(len(seen), len(set(seen)))
        r = self.s3.list_object_versions(Bucket=b, Delimiter="/")
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["a/"])
        self.assertEqual({v["Key"] for v in r["Versions"]}, {"b", "c"})
        r = self.s3.list_object_versions(Bucket=b, Prefix="a/", KeyMarker="a/1")
        self.assertEqual({v["Key"] for v in r["Versions"]}, {"a/2"})

    def test_copy_tags_attributes_of_versions(self):
        b = self.bucket("vers-copy")
        v1 = self.s3.put_object(Bucket=b, Key="doc", Body=b"first", Metadata={"n": "1"})["VersionId"]
        self.s3.put_object(Bucket=b, Key="doc", Body=b"second")
        # Restore an old version by copying it over the key: a new version, same bytes.
        c = self.s3.copy_object(Bucket=b, Key="doc", CopySource={"Bucket": b, "Key": "doc", "VersionId": v1})
        self.assertEqual(c["CopySourceVersionId"], v1)
        self.assertNotEqual(c["VersionId"], v1)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="doc")["Body"].read(), b"first")
        self.assertEqual(len(self.versions(b)[0]), 3)
        # Changing metadata in place also makes a version; the old one keeps its bytes.
        self.s3.copy_object(Bucket=b, Key="doc", CopySource={"Bucket": b, "Key": "doc"},
                            MetadataDirective="REPLACE", Metadata={"n": "2"})
        self.assertEqual(self.s3.get_object(Bucket=b, Key="doc", VersionId=c["VersionId"])["Body"].read(), b"first")
        self.assertEqual(self.s3.head_object(Bucket=b, Key="doc")["Metadata"], {"n": "2"})
        # Tags of one version, leaving the others alone.
        self.s3.put_object_tagging(Bucket=b, Key="doc", VersionId=v1, Tagging={"TagSet": [{"Key": "old", "Value": "yes"}]})
        t = self.s3.get_object_tagging(Bucket=b, Key="doc", VersionId=v1)
        self.assertEqual((t["TagSet"], t["VersionId"]), ([{"Key": "old", "Value": "yes"}], v1))
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="doc")["TagSet"], [])
        a = self.s3.get_object_attributes(Bucket=b, Key="doc", VersionId=v1, ObjectAttributes=["ObjectSize"])
        self.assertEqual(a["ObjectSize"], 5)
        # A marker cannot be a copy source by id.
        m = self.s3.delete_object(Bucket=b, Key="doc")["VersionId"]
        with self.assertRaises(ClientError) as e:
            self.s3.copy_object(Bucket=b, Key="x", CopySource={"Bucket": b, "Key": "doc", "VersionId": m})
        self.assertEqual(code(e), "InvalidRequest")
        with self.assertRaises(ClientError) as e:
            self.s3.copy_object(Bucket=b, Key="x", CopySource={"Bucket": b, "Key": "doc"})
        self.assertEqual(code(e), "NoSuchKey")

    def test_multipart_and_conditional_writes(self):
        b = self.bucket("vers-mpu")
        up = self.s3.create_multipart_upload(Bucket=b, Key="big")["UploadId"]
        e1 = self.s3.upload_part(Bucket=b, Key="big", UploadId=up, PartNumber=1, Body=b"p" * 100)["ETag"]
        r = self.s3.complete_multipart_upload(Bucket=b, Key="big", UploadId=up,
                                              MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
        self.assertNotEqual(r.get("VersionId", "null"), "null")
        # If-None-Match: * treats a key whose latest version is a delete marker as absent.
        self.s3.delete_object(Bucket=b, Key="big")
        self.s3.put_object(Bucket=b, Key="big", Body=b"again", IfNoneMatch="*")
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket=b, Key="big", Body=b"again", IfNoneMatch="*")
        self.assertEqual(code(e), "PreconditionFailed")
        self.assertEqual(len(self.versions(b)[0]), 2)

    def test_versions_survive_restart(self):
        b = self.bucket("vers-durable")
        v1 = self.s3.put_object(Bucket=b, Key="d", Body=b"v1")["VersionId"]
        self.s3.put_object(Bucket=b, Key="d", Body=b"v2")
        marker = self.s3.delete_object(Bucket=b, Key="d")["VersionId"]
        self.srv.kill9()
        self.srv.start()
        s3 = self.srv.client("s3", s3={"addressing_style": "path"})
        type(self).s3 = s3
        self.assertEqual(s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled")
        self.assertEqual(s3.get_object(Bucket=b, Key="d", VersionId=v1)["Body"].read(), b"v1")
        r = s3.list_object_versions(Bucket=b)
        self.assertEqual(r["DeleteMarkers"][0]["VersionId"], marker)
        self.assertEqual(len(r["Versions"]), 2)
        # Version numbers keep increasing after a restart.
        v3 = s3.put_object(Bucket=b, Key="d", Body=b"v3")["VersionId"]
        self.assertGreater(int(v3, 16), int(marker, 16))


if __name__ == "__main__":
    unittest.main()
