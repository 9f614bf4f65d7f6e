# SPDX-License-Identifier: Apache-2.0
"""S3 ACLs and Object Ownership (issue 15, package A): ownership controls (a new bucket's
BucketOwnerEnforced, Put/Get/DeleteBucketOwnershipControls, CreateBucket's
x-amz-object-ownership), ACLs refused while disabled with AWS's errors, canned ACLs, grant
headers and AccessControlPolicy bodies stored on buckets, objects, copies, multipart uploads and
versions and answered by Get*Acl (boto3, the AWS CLI, s3cmd), what the grants allow (anonymous
readers of a public-read object, AuthenticatedUsers for IAM users, a public-read-write bucket),
and Block Public Access's BlockPublicAcls and IgnorePublicAcls."""
import http.client
import json
import os
import re
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request
import uuid

from botocore.exceptions import ClientError

import iam_base
from stratus_fixture import Server

ALL = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG = "http://acs.amazonaws.com/groups/s3/LogDelivery"


def err(e):
    r = e.exception.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def grants(acl):
    """Get*Acl's grants as a set of (grantee, permission)."""
    out = set()
    for g in acl["Grants"]:
        who = g["Grantee"].get("URI") or ("owner" if g["Grantee"]["ID"] == acl["Owner"]["ID"]
                                          else g["Grantee"]["ID"])
        out.add((who, g["Permission"]))
    return out


OWNER_FULL = {("owner", "FULL_CONTROL")}


def anon_get(srv, path):
    """An unsigned GET (urllib, no credentials at all): (status, body)."""
    try:
        with urllib.request.urlopen(srv.endpoint + path, timeout=15) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def metric(srv, name):
    with urllib.request.urlopen(srv.endpoint + "/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(rf"^{name}(?:{{[^}}]*}})? (\d+)", text, re.M)
    return int(m.group(1)) if m else 0


class AclBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})
        cls.owner = cls.s3.get_bucket_acl(Bucket=cls._bucket(cls.s3))["Owner"]["ID"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    @staticmethod
    def _bucket(s3, **kw):
        b = "acl-" + uuid.uuid4().hex[:12]
        s3.create_bucket(Bucket=b, **kw)
        return b

    def bucket(self, ownership=None, open_acls=False, **kw):
        """A bucket; ownership set with PutBucketOwnershipControls; open_acls: Block Public
        Access removed."""
        b = self._bucket(self.s3, **kw)
        if ownership:
            self.s3.put_bucket_ownership_controls(
                Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})
        if open_acls:
            self.s3.delete_public_access_block(Bucket=b)
        return b


class Ownership(AclBase):
    """Object Ownership and ACLs disabled."""

    def test_new_bucket_is_owner_enforced(self):
        b = self.bucket()
        got = self.s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]
        self.assertEqual(got, {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket=b)), OWNER_FULL)
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key="k")), OWNER_FULL)

    def test_acls_refused_while_disabled(self):
        b = self.bucket()
        refused = [
            lambda: self.s3.put_bucket_acl(Bucket=b, ACL="public-read"),
            lambda: self.s3.put_bucket_acl(Bucket=b, GrantRead=f'uri="{AUTH}"'),
            lambda: self.s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="public-read"),
            lambda: self.s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="authenticated-read"),
            lambda: self.s3.put_object(Bucket=b, Key="k", Body=b"x", GrantRead=f'uri="{ALL}"'),
            lambda: self.s3.create_multipart_upload(Bucket=b, Key="m", ACL="public-read"),
        ]
        for fn in refused:
            with self.assertRaises(ClientError) as e:
                fn()
            self.assertEqual(err(e), ("AccessControlListNotSupported", 400))
            self.assertEqual(e.exception.response["Error"]["Message"], "The bucket does not allow ACLs")
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=b))
        # The owner's full control (or an equivalent) is accepted.
        self.s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="bucket-owner-full-control")
        self.s3.put_object(Bucket=b, Key="k2", Body=b"x", ACL="private")
        self.s3.put_object(Bucket=b, Key="k3", Body=b"x", GrantFullControl=f'id="{self.owner}"')
        self.s3.put_object_acl(Bucket=b, Key="k", ACL="private")
        self.s3.put_bucket_acl(Bucket=b, ACL="private")
        with self.assertRaises(ClientError) as e:
            self.s3.put_object_acl(Bucket=b, Key="k", ACL="public-read")
        self.assertEqual(err(e), ("AccessControlListNotSupported", 400))
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key="k")), OWNER_FULL)

    def test_create_bucket_acl_and_ownership(self):
        b = "acl-" + uuid.uuid4().hex[:12]
        with self.assertRaises(ClientError) as e:
            self.s3.create_bucket(Bucket=b, ACL="public-read")
        self.assertEqual(err(e), ("InvalidBucketAclWithObjectOwnership", 400))
        with self.assertRaises(ClientError) as e:
            self.s3.create_bucket(Bucket=b, GrantRead=f'uri="{LOG}"')
        self.assertEqual(err(e), ("InvalidBucketAclWithObjectOwnership", 400))
        with self.assertRaises(ClientError) as e:
            self.s3.create_bucket(Bucket=b, ObjectOwnership="ObjectWriter", ACL="public-read")
        self.assertEqual(err(e), ("InvalidBucketAclWithBlockPublicAccessError", 400))
        with self.assertRaises(ClientError) as e:
            self.s3.create_bucket(Bucket=b, ObjectOwnership="Mine")
        self.assertEqual(err(e)[0], "InvalidArgument")
        with self.assertRaises(ClientError) as e:
            self.s3.head_bucket(Bucket=b)  # none of the refusals created it
        # The same requests with ACLs enabled, or a private ACL, are accepted.
        self.s3.create_bucket(Bucket=b, ObjectOwnership="ObjectWriter", GrantRead=f'uri="{LOG}"',
                              GrantFullControl=f'id="{self.owner}"')
        got = self.s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"]
        self.assertEqual(got, [{"ObjectOwnership": "ObjectWriter"}])
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket=b)),
                         {("owner", "FULL_CONTROL"), (LOG, "READ")})
        b2 = self.bucket(ACL="private")
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket=b2)), OWNER_FULL)

    def test_ownership_controls_round_trip(self):
        b = self.bucket()
        for own in ("ObjectWriter", "BucketOwnerPreferred", "BucketOwnerEnforced"):
            self.s3.put_bucket_ownership_controls(
                Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": own}]})
            got = self.s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"]
            self.assertEqual(got, [{"ObjectOwnership": own}])
        self.s3.delete_bucket_ownership_controls(Bucket=b)
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_ownership_controls(Bucket=b)
        self.assertEqual(err(e), ("OwnershipControlsNotFoundError", 404))
        # Without controls the bucket behaves as ObjectWriter: ACLs apply.
        self.s3.put_bucket_acl(Bucket=b, GrantRead=f'uri="{LOG}"')
        self.assertIn((LOG, "READ"), grants(self.s3.get_bucket_acl(Bucket=b)))
        for bad in ("Mine", "bucketownerenforced"):
            with self.assertRaises(ClientError) as e:
                self.s3.put_bucket_ownership_controls(
                    Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": bad}]})
            self.assertEqual(err(e), ("MalformedXML", 400))
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_ownership_controls(Bucket="acl-no-such-bucket")
        self.assertEqual(err(e), ("NoSuchBucket", 404))

    def test_ownership_controls_are_authorized(self):
        b = self.bucket()
        u = iam_base.user(self.srv, "acl-own-" + uuid.uuid4().hex[:6])
        s3u = iam_base.client(self.srv, u, "s3", s3={"addressing_style": "path"})
        rules = {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
        iam_base.denied(s3u.get_bucket_ownership_controls, Bucket=b)
        iam_base.denied(s3u.put_bucket_ownership_controls, Bucket=b, OwnershipControls=rules)
        iam_base.denied(s3u.delete_bucket_ownership_controls, Bucket=b)
        iam_base.denied(s3u.create_bucket, Bucket="acl-" + uuid.uuid4().hex[:12], ObjectOwnership="ObjectWriter")
        arn = f"arn:aws:s3:::{b}"
        self.srv.client("iam").put_user_policy(
            UserName=u["name"], PolicyName="own", PolicyDocument=json.dumps(iam_base.allow(
                ["s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls"], arn)))
        s3u.put_bucket_ownership_controls(Bucket=b, OwnershipControls=rules)
        self.assertEqual(s3u.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"], rules)
        s3u.delete_bucket_ownership_controls(Bucket=b)
        self.assertEqual(metric(self.srv, "stratus_authz_unchecked_total"), 0)

    def test_disabling_acls_needs_an_owner_only_bucket_acl(self):
        b = self.bucket("ObjectWriter", open_acls=True)
        self.s3.put_bucket_acl(Bucket=b, ACL="public-read")
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_ownership_controls(
                Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        self.assertEqual(err(e), ("InvalidBucketAclWithObjectOwnership", 400))
        self.s3.put_bucket_acl(Bucket=b, ACL="private")
        self.s3.put_bucket_ownership_controls(
            Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})


class Acls(AclBase):
    """ACLs enabled: stored, answered and enforced."""

    def test_canned_acls_on_objects(self):
        b = self.bucket("BucketOwnerPreferred", open_acls=True)
        want = {
            "private": OWNER_FULL,
            "bucket-owner-full-control": OWNER_FULL,
            "public-read": OWNER_FULL | {(ALL, "READ")},
            "public-read-write": OWNER_FULL | {(ALL, "READ"), (ALL, "WRITE")},
            "authenticated-read": OWNER_FULL | {(AUTH, "READ")},
        }
        for canned, g in want.items():
            with self.subTest(canned=canned):
                self.s3.put_object(Bucket=b, Key=canned, Body=b"x", ACL=canned)
                self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key=canned)), g)
                self.s3.put_object_acl(Bucket=b, Key=canned, ACL="private")
                self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key=canned)), OWNER_FULL)
                self.s3.put_object_acl(Bucket=b, Key=canned, ACL=canned)
                self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key=canned)), g)
        self.s3.put_bucket_acl(Bucket=b, ACL="log-delivery-write")
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket=b)),
                         OWNER_FULL | {(LOG, "WRITE"), (LOG, "READ_ACP")})

    def test_grant_headers(self):
        b = self.bucket("ObjectWriter", open_acls=True)
        self.s3.put_object(Bucket=b, Key="k", Body=b"x", GrantRead=f'uri="{ALL}", uri="{AUTH}"',
                           GrantReadACP=f'id="{self.owner}"', GrantWriteACP=f'uri="{LOG}"')
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key="k")),
                         {(ALL, "READ"), (AUTH, "READ"), ("owner", "READ_ACP"), (LOG, "WRITE_ACP")})
        self.s3.put_bucket_acl(Bucket=b, GrantFullControl=f'id="{self.owner}"', GrantWrite=f'uri="{LOG}"')
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket=b)), OWNER_FULL | {(LOG, "WRITE")})
        cases = [
            (dict(GrantRead='emailAddress="someone@example.com"'), "UnresolvableGrantByEmailAddress"),
            (dict(GrantRead='id="0123456789abcdef"'), "InvalidArgument"),
            (dict(GrantRead='uri="http://acs.amazonaws.com/groups/global/Everyone"'), "InvalidArgument"),
            (dict(GrantRead='name="x"'), "InvalidArgument"),
            (dict(ACL="public-read", GrantRead=f'uri="{ALL}"'), "InvalidRequest"),
            (dict(ACL="world-readable"), "InvalidArgument"),
        ]
        for kw, code in cases:
            with self.subTest(kw=kw):
                with self.assertRaises(ClientError) as e:
                    self.s3.put_object_acl(Bucket=b, Key="k", **kw)
                self.assertEqual(err(e), (code, 400))
        # Unchanged by the refusals.
        self.assertIn((ALL, "READ"), grants(self.s3.get_object_acl(Bucket=b, Key="k")))

    def test_access_control_policy_body(self):
        b = self.bucket("ObjectWriter", open_acls=True)
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")
        owner = {"ID": self.owner}
        acp = {"Owner": owner, "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": self.owner}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "Group", "URI": ALL}, "Permission": "READ"},
            {"Grantee": {"Type": "Group", "URI": LOG}, "Permission": "READ_ACP"}]}
        self.s3.put_object_acl(Bucket=b, Key="k", AccessControlPolicy=acp)
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key="k")),
                         OWNER_FULL | {(ALL, "READ"), (LOG, "READ_ACP")})
        self.s3.put_bucket_acl(Bucket=b, AccessControlPolicy=acp)
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket=b)),
                         OWNER_FULL | {(ALL, "READ"), (LOG, "READ_ACP")})
        bad = [
            ({"Owner": owner, "Grants": [{"Grantee": {"Type": "Group", "URI": ALL},
                                           "Permission": "EVERYTHING"}]}, "MalformedACLError"),
            ({"Owner": owner, "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "other"},
                                           "Permission": "READ"}]}, "InvalidArgument"),
            ({"Owner": owner, "Grants": [{"Grantee": {"Type": "AmazonCustomerByEmail",
                                                      "EmailAddress": "a@example.com"},
                                           "Permission": "READ"}]}, "UnresolvableGrantByEmailAddress"),
            ({"Grants": []}, "MalformedACLError"),
        ]
        for doc, code in bad:
            with self.subTest(code=code):
                with self.assertRaises(ClientError) as e:
                    self.s3.put_object_acl(Bucket=b, Key="k", AccessControlPolicy=doc)
                self.assertEqual(err(e), (code, 400))
        with self.assertRaises(ClientError) as e:
            self.s3.put_object_acl(Bucket=b, Key="k", AccessControlPolicy=acp, ACL="private")
        self.assertEqual(err(e), ("UnexpectedContent", 400))
        with self.assertRaises(ClientError) as e:
            self.s3.put_object_acl(Bucket=b, Key="nope", ACL="private")
        self.assertEqual(err(e), ("NoSuchKey", 404))

    def test_public_read_object_is_read_anonymously(self):
        b = self.bucket("BucketOwnerPreferred", open_acls=True)
        self.s3.put_object(Bucket=b, Key="doc.txt", Body=b"hello")
        self.assertEqual(anon_get(self.srv, f"/{b}/doc.txt")[0], 403)
        self.s3.put_object_acl(Bucket=b, Key="doc.txt", ACL="public-read")
        self.assertEqual(anon_get(self.srv, f"/{b}/doc.txt"), (200, b"hello"))
        # READ on the object gives neither its ACL nor the bucket's listing.
        self.assertEqual(anon_get(self.srv, f"/{b}/doc.txt?acl")[0], 403)
        self.assertEqual(anon_get(self.srv, f"/{b}")[0], 403)
        self.s3.put_object_acl(Bucket=b, Key="doc.txt", ACL="private")
        self.assertEqual(anon_get(self.srv, f"/{b}/doc.txt")[0], 403)
        # BucketOwnerEnforced turns every ACL off, and back on when re-enabled.
        self.s3.put_object_acl(Bucket=b, Key="doc.txt", ACL="public-read")
        self.s3.put_bucket_ownership_controls(
            Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        self.assertEqual(anon_get(self.srv, f"/{b}/doc.txt")[0], 403)
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key="doc.txt")), OWNER_FULL)
        self.s3.put_bucket_ownership_controls(
            Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
        self.assertEqual(anon_get(self.srv, f"/{b}/doc.txt"), (200, b"hello"))

    def test_public_bucket_acls(self):
        b = self.bucket("ObjectWriter", open_acls=True)
        self.s3.put_object(Bucket=b, Key="listed", Body=b"x")
        anon = iam_base.anon(self.srv, "s3", s3={"addressing_style": "path"})
        iam_base.denied(anon.list_objects_v2, Bucket=b)
        iam_base.denied(anon.put_object, Bucket=b, Key="w", Body=b"anon")
        self.s3.put_bucket_acl(Bucket=b, ACL="public-read")
        keys = [o["Key"] for o in anon.list_objects_v2(Bucket=b)["Contents"]]
        self.assertEqual(keys, ["listed"])
        iam_base.denied(anon.put_object, Bucket=b, Key="w", Body=b"anon")
        iam_base.denied(anon.get_bucket_acl, Bucket=b)
        self.s3.put_bucket_acl(Bucket=b, ACL="public-read-write")
        anon.put_object(Bucket=b, Key="w", Body=b"anon")
        self.assertEqual(self.s3.get_object(Bucket=b, Key="w")["Body"].read(), b"anon")
        anon.delete_object(Bucket=b, Key="w")
        iam_base.denied(anon.put_bucket_acl, Bucket=b, ACL="private")
        self.s3.put_bucket_acl(Bucket=b, ACL="private")
        iam_base.denied(anon.list_objects_v2, Bucket=b)

    def test_authenticated_users(self):
        b = self.bucket("ObjectWriter", open_acls=True)
        self.s3.put_object(Bucket=b, Key="k", Body=b"members")
        u = iam_base.user(self.srv, "acl-nobody-" + uuid.uuid4().hex[:6])  # no policy at all
        s3u = iam_base.client(self.srv, u, "s3", s3={"addressing_style": "path"})
        iam_base.denied(s3u.get_object, Bucket=b, Key="k")
        # The owner's FULL_CONTROL is the account's: it gives an IAM user nothing by itself.
        self.s3.put_object_acl(Bucket=b, Key="k", GrantFullControl=f'id="{self.owner}"')
        iam_base.denied(s3u.get_object, Bucket=b, Key="k")
        self.s3.put_object_acl(Bucket=b, Key="k", ACL="authenticated-read")
        self.assertEqual(s3u.get_object(Bucket=b, Key="k")["Body"].read(), b"members")
        self.assertEqual(anon_get(self.srv, f"/{b}/k")[0], 403)  # signed callers only
        iam_base.denied(s3u.put_object, Bucket=b, Key="k", Body=b"no")
        # An explicit deny in the user's policy still wins over the grant.
        denier = iam_base.user(self.srv, "acl-denied-" + uuid.uuid4().hex[:6],
                               policies=[iam_base.allow("s3:GetObject", effect="Deny")])
        iam_base.denied(iam_base.client(self.srv, denier, "s3", s3={"addressing_style": "path"}).get_object,
                        Bucket=b, Key="k")
        self.s3.put_object_acl(Bucket=b, Key="k", ACL="private")
        iam_base.denied(s3u.get_object, Bucket=b, Key="k")
        self.assertEqual(metric(self.srv, "stratus_authz_unchecked_total"), 0)

    def test_versions_have_their_own_acls(self):
        b = self.bucket("ObjectWriter", open_acls=True)
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        v1 = self.s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
        v2 = self.s3.put_object(Bucket=b, Key="k", Body=b"two", ACL="authenticated-read")["VersionId"]
        self.s3.put_object_acl(Bucket=b, Key="k", VersionId=v1, ACL="public-read")
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key="k", VersionId=v1)),
                         OWNER_FULL | {(ALL, "READ")})
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key="k", VersionId=v2)),
                         OWNER_FULL | {(AUTH, "READ")})
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key="k")), OWNER_FULL | {(AUTH, "READ")})
        self.assertEqual(anon_get(self.srv, f"/{b}/k?versionId={v1}"), (200, b"one"))
        self.assertEqual(anon_get(self.srv, f"/{b}/k")[0], 403)
        with self.assertRaises(ClientError) as e:
            self.s3.put_object_acl(Bucket=b, Key="k", VersionId="0000000000000001", ACL="private")
        self.assertEqual(err(e), ("NoSuchVersion", 404))

    def test_copy_and_multipart_acls(self):
        b = self.bucket("ObjectWriter", open_acls=True)
        self.s3.put_object(Bucket=b, Key="src", Body=b"data", ACL="public-read")
        # A copy gets its request's ACL, not its source's.
        self.s3.copy_object(Bucket=b, Key="plain", CopySource={"Bucket": b, "Key": "src"})
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key="plain")), OWNER_FULL)
        self.s3.copy_object(Bucket=b, Key="auth", CopySource={"Bucket": b, "Key": "src"},
                            ACL="authenticated-read")
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key="auth")), OWNER_FULL | {(AUTH, "READ")})
        up = self.s3.create_multipart_upload(Bucket=b, Key="mp", ACL="public-read")["UploadId"]
        etag = self.s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1, Body=b"part")["ETag"]
        self.s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertEqual(grants(self.s3.get_object_acl(Bucket=b, Key="mp")), OWNER_FULL | {(ALL, "READ")})
        self.assertEqual(anon_get(self.srv, f"/{b}/mp"), (200, b"part"))

    def post_form(self, b, key, acl):
        """A browser form upload (POST Object) signed by the root, with an acl field."""
        c = self.srv.client("s3", signature_version="s3v4", s3={"addressing_style": "path"})
        post = c.generate_presigned_post(b, key, Fields={"acl": acl}, Conditions=[{"acl": acl}],
                                         ExpiresIn=300)
        bd = uuid.uuid4().hex
        body = b"".join(f'--{bd}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                        for k, v in post["fields"].items())
        body += (f'--{bd}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
                 f"Content-Type: text/plain\r\n\r\nform data\r\n--{bd}--\r\n").encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=15)
        conn.request("POST", f"/{b}", body=body,
                     headers={"Content-Type": f"multipart/form-data; boundary={bd}"})
        r = conn.getresponse()
        out = r.status, r.read()
        conn.close()
        return out

    def test_post_object_acl_field(self):
        b = self.bucket("ObjectWriter", open_acls=True)
        st, out = self.post_form(b, "form.txt", "public-read")
        self.assertEqual(st, 204, out)
        self.assertIn((ALL, "READ"), grants(self.s3.get_object_acl(Bucket=b, Key="form.txt")))
        self.assertEqual(anon_get(self.srv, f"/{b}/form.txt"), (200, b"form data"))
        st, out = self.post_form(b, "bad.txt", "everyone")
        self.assertEqual(st, 400, out)
        self.assertIn(b"InvalidArgument", out)
        enforced = self.bucket()
        st, out = self.post_form(enforced, "form.txt", "public-read")
        self.assertEqual(st, 400, out)
        self.assertIn(b"AccessControlListNotSupported", out)
        self.assertEqual(self.post_form(enforced, "ok.txt", "private")[0], 204)

    def test_aws_cli_and_s3cmd(self):
        b = self.bucket("ObjectWriter", open_acls=True)
        self.s3.put_object(Bucket=b, Key="cli", Body=b"by cli")
        self.s3.put_object(Bucket=b, Key="s3cmd", Body=b"by s3cmd")
        r = self.srv.aws("s3api", "put-object-acl", "--bucket", b, "--key", "cli", "--acl", "public-read")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(anon_get(self.srv, f"/{b}/cli"), (200, b"by cli"))
        r = self.srv.aws("s3api", "get-object-acl", "--bucket", b, "--key", "cli")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(ALL, r.stdout)
        self.assertEqual(anon_get(self.srv, f"/{b}/s3cmd")[0], 403)
        with tempfile.NamedTemporaryFile("w", suffix=".s3cfg", delete=False) as f:
            host = f"127.0.0.1:{self.srv.port}"
            f.write(f"[default]\naccess_key = {self.srv.access_key}\nsecret_key = {self.srv.secret_key}\n"
                    f"host_base = {host}\nhost_bucket = {host}\nuse_https = False\n"
                    "signature_v2 = False\nbucket_location = us-east-1\n")
        try:
            r = subprocess.run(["s3cmd", "-c", f.name, "setacl", "--acl-public", f"s3://{b}/s3cmd"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(anon_get(self.srv, f"/{b}/s3cmd"), (200, b"by s3cmd"))
            self.assertIn((ALL, "READ"), grants(self.s3.get_object_acl(Bucket=b, Key="s3cmd")))
            r = subprocess.run(["s3cmd", "-c", f.name, "setacl", "--acl-private", f"s3://{b}/s3cmd"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(anon_get(self.srv, f"/{b}/s3cmd")[0], 403)
        finally:
            os.unlink(f.name)


class BlockPublicAcls(AclBase):
    """Block Public Access over ACLs."""

    def test_block_public_acls_refuses_public_acls(self):
        b = self.bucket("ObjectWriter")  # Block Public Access on, as for every new bucket
        self.s3.put_object(Bucket=b, Key="src", Body=b"x")
        refused = [
            lambda: self.s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="public-read"),
            lambda: self.s3.put_object(Bucket=b, Key="k", Body=b"x", GrantRead=f'uri="{AUTH}"'),
            lambda: self.s3.put_object_acl(Bucket=b, Key="src", ACL="public-read"),
            lambda: self.s3.put_bucket_acl(Bucket=b, ACL="public-read-write"),
            lambda: self.s3.copy_object(Bucket=b, Key="c", CopySource={"Bucket": b, "Key": "src"},
                                        ACL="public-read"),
            lambda: self.s3.create_multipart_upload(Bucket=b, Key="m", ACL="authenticated-read"),
        ]
        for fn in refused:
            with self.assertRaises(ClientError) as e:
                fn()
            self.assertEqual(err(e), ("AccessDenied", 403))
        self.assertEqual([o["Key"] for o in self.s3.list_objects_v2(Bucket=b)["Contents"]], ["src"])
        # ACLs that are not public pass; with BlockPublicAcls off the public ones too.
        self.s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="private")
        self.s3.put_object_acl(Bucket=b, Key="k", GrantRead=f'uri="{LOG}"')
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={"BlockPublicAcls": False})
        self.s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="public-read")
        self.s3.put_bucket_acl(Bucket=b, ACL="public-read-write")

    def test_ignore_public_acls(self):
        b = self.bucket("ObjectWriter", open_acls=True)
        self.s3.put_object(Bucket=b, Key="k", Body=b"seen", ACL="public-read")
        self.assertEqual(anon_get(self.srv, f"/{b}/k"), (200, b"seen"))
        self.s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
        self.assertEqual(anon_get(self.srv, f"/{b}/k")[0], 403)
        # Stored, not applied: the ACL still reads back, and applies again once lifted.
        self.assertIn((ALL, "READ"), grants(self.s3.get_object_acl(Bucket=b, Key="k")))
        self.s3.delete_public_access_block(Bucket=b)
        self.assertEqual(anon_get(self.srv, f"/{b}/k"), (200, b"seen"))


if __name__ == "__main__":
    unittest.main()
