# SPDX-License-Identifier: Apache-2.0
"""KMS (issue 16, package K) with real clients: boto3 and the AWS CLI against a running
stratusd. Key lifecycle and states, aliases (AWS managed ones made on first use), Encrypt /
Decrypt / ReEncrypt / data keys with encryption contexts bound to the ciphertext, rotation,
key policies, grants and IAM users (KMS's rule: the key policy must allow, or delegate to the
account for IAM policies to count), scheduled deletion, and DynamoDB's SSESpecification."""
import base64
import json
import os
import tempfile
import time
import unittest
import urllib.request

from botocore.exceptions import ClientError

import iam_base
from stratus_fixture import Server

ARN_PREFIX = "arn:aws:kms:us-east-1:000000000000:"


def code(fn, *args, **kw):
    """Call fn, which must fail: its error code and message."""
    try:
        fn(*args, **kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    raise AssertionError(f"{fn.__name__} succeeded")


class Case(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.kms = cls.srv.client("kms")
        # botocore checks some bounds itself: this one lets the server answer them
        cls.unchecked = cls.srv.client("kms", parameter_validation=False)

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def key(self, **kw):
        return self.kms.create_key(**kw)["KeyMetadata"]


class Lifecycle(Case):
    def test_create_describe_list(self):
        m = self.key(Description="orders", Tags=[{"TagKey": "team", "TagValue": "a"}])
        self.assertEqual(m["KeyState"], "Enabled")
        self.assertTrue(m["Enabled"])
        self.assertEqual(m["KeyManager"], "CUSTOMER")
        self.assertEqual(m["KeySpec"], "SYMMETRIC_DEFAULT")
        self.assertEqual(m["KeyUsage"], "ENCRYPT_DECRYPT")
        self.assertEqual(m["EncryptionAlgorithms"], ["SYMMETRIC_DEFAULT"])
        self.assertFalse(m["MultiRegion"])
        self.assertEqual(m["Arn"], ARN_PREFIX + "key/" + m["KeyId"])
        for kid in (m["KeyId"], m["Arn"]):
            self.assertEqual(self.kms.describe_key(KeyId=kid)["KeyMetadata"]["Description"], "orders")
        self.kms.update_key_description(KeyId=m["KeyId"], Description="orders v2")
        self.assertEqual(self.kms.describe_key(KeyId=m["KeyId"])["KeyMetadata"]["Description"],
                         "orders v2")
        self.assertEqual(self.kms.list_resource_tags(KeyId=m["KeyId"])["Tags"],
                         [{"TagKey": "team", "TagValue": "a"}])
        # ListKeys pages with Limit and Marker and finds every key once
        ids = {self.key()["KeyId"] for _ in range(3)} | {m["KeyId"]}
        seen, marker = [], None
        for _ in range(50):
            kw = {"Limit": 2}
            if marker:
                kw["Marker"] = marker
            page = self.kms.list_keys(**kw)
            self.assertLessEqual(len(page["Keys"]), 2)
            seen += [k["KeyId"] for k in page["Keys"]]
            if not page["Truncated"]:
                break
            marker = page["NextMarker"]
        self.assertEqual(len(seen), len(set(seen)))
        self.assertTrue(ids <= set(seen))

    def test_unsupported_and_invalid(self):
        self.assertEqual(code(self.kms.create_key, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")[0],
                         "UnsupportedOperationException")
        self.assertEqual(code(self.kms.create_key, MultiRegion=True)[0], "UnsupportedOperationException")
        c, msg = code(self.kms.describe_key, KeyId="1b4e28ba-2fa1-4d2b-883f-0016d3cca427")
        self.assertEqual(c, "NotFoundException")
        self.assertIn("does not exist", msg)
        self.assertEqual(code(self.kms.describe_key, KeyId="alias/missing")[0], "NotFoundException")
        self.assertEqual(code(self.kms.create_key, Policy="not a policy")[0],
                         "MalformedPolicyDocumentException")
        self.assertEqual(code(self.kms.create_key, Tags=[{"TagKey": "aws:x", "TagValue": ""}])[0],
                         "TagException")

    def test_disable_enable_and_states(self):
        kid = self.key()["KeyId"]
        blob = self.kms.encrypt(KeyId=kid, Plaintext=b"p")["CiphertextBlob"]
        self.kms.disable_key(KeyId=kid)
        m = self.kms.describe_key(KeyId=kid)["KeyMetadata"]
        self.assertEqual((m["KeyState"], m["Enabled"]), ("Disabled", False))
        c, msg = code(self.kms.encrypt, KeyId=kid, Plaintext=b"p")
        self.assertEqual(c, "DisabledException")
        self.assertIn(kid, msg)
        self.assertEqual(code(self.kms.decrypt, CiphertextBlob=blob)[0], "DisabledException")
        self.assertEqual(code(self.kms.generate_data_key, KeyId=kid, KeySpec="AES_256")[0],
                         "DisabledException")
        self.kms.enable_key(KeyId=kid)
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"p")

    def test_schedule_and_cancel_deletion(self):
        kid = self.key()["KeyId"]
        blob = self.kms.encrypt(KeyId=kid, Plaintext=b"p")["CiphertextBlob"]
        c, msg = code(self.unchecked.schedule_key_deletion, KeyId=kid, PendingWindowInDays=6)
        self.assertEqual(c, "ValidationException")
        self.assertIn("pendingWindowInDays", msg)
        self.assertEqual(code(self.unchecked.schedule_key_deletion, KeyId=kid, PendingWindowInDays=31)[0],
                         "ValidationException")
        before = time.time()
        r = self.kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
        self.assertEqual(r["KeyState"], "PendingDeletion")
        self.assertEqual(r["PendingWindowInDays"], 7)
        self.assertAlmostEqual(r["DeletionDate"].timestamp(), before + 7 * 86400, delta=120)
        m = self.kms.describe_key(KeyId=kid)["KeyMetadata"]
        self.assertEqual(m["KeyState"], "PendingDeletion")
        self.assertEqual(m["PendingDeletionWindowInDays"], 7)
        for fn, kw in ((self.kms.decrypt, {"CiphertextBlob": blob}),
                       (self.kms.encrypt, {"KeyId": kid, "Plaintext": b"p"}),
                       (self.kms.enable_key, {"KeyId": kid}),
                       (self.kms.schedule_key_deletion, {"KeyId": kid})):
            c, msg = code(fn, **kw)
            self.assertEqual(c, "KMSInvalidStateException", fn.__name__)
            self.assertIn("pending deletion", msg)
        self.assertEqual(self.kms.cancel_key_deletion(KeyId=kid)["KeyId"], ARN_PREFIX + "key/" + kid)
        self.assertEqual(self.kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"], "Disabled")
        self.assertEqual(code(self.kms.cancel_key_deletion, KeyId=kid)[0], "KMSInvalidStateException")
        self.kms.enable_key(KeyId=kid)
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"p")


class Aliases(Case):
    def test_alias_lifecycle(self):
        a, b = self.key()["KeyId"], self.key()["KeyId"]
        self.kms.create_alias(AliasName="alias/app", TargetKeyId=a)
        self.assertEqual(self.kms.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"], a)
        self.assertEqual(self.kms.describe_key(KeyId=ARN_PREFIX + "alias/app")["KeyMetadata"]["KeyId"], a)
        c, msg = code(self.kms.create_alias, AliasName="alias/app", TargetKeyId=b)
        self.assertEqual(c, "AlreadyExistsException")
        self.assertIn(ARN_PREFIX + "alias/app", msg)
        self.assertEqual(code(self.kms.create_alias, AliasName="app", TargetKeyId=b)[0], "ValidationException")
        self.assertEqual(code(self.kms.create_alias, AliasName="alias/aws/mine", TargetKeyId=b)[0],
                         "NotAuthorizedException")
        self.assertEqual(code(self.kms.create_alias, AliasName="alias/x", TargetKeyId="alias/app")[0],
                         "ValidationException")
        blob = self.kms.encrypt(KeyId="alias/app", Plaintext=b"v1")["CiphertextBlob"]
        self.kms.update_alias(AliasName="alias/app", TargetKeyId=b)
        self.assertEqual(self.kms.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"], b)
        # the blob names its key: it still decrypts under a (the alias moved)
        d = self.kms.decrypt(CiphertextBlob=blob)
        self.assertEqual((d["Plaintext"], d["KeyId"]), (b"v1", ARN_PREFIX + "key/" + a))
        self.assertEqual([x["AliasName"] for x in self.kms.list_aliases(KeyId=b)["Aliases"]], ["alias/app"])
        self.assertEqual(self.kms.list_aliases(KeyId=a)["Aliases"], [])
        self.kms.delete_alias(AliasName="alias/app")
        self.assertEqual(code(self.kms.describe_key, KeyId="alias/app")[0], "NotFoundException")
        self.assertEqual(code(self.kms.delete_alias, AliasName="alias/app")[0], "NotFoundException")

    def test_aws_managed_aliases(self):
        names = [x["AliasName"] for x in self.kms.list_aliases()["Aliases"]]
        self.assertIn("alias/aws/s3", names)
        self.assertIn("alias/aws/dynamodb", names)
        m = self.kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]  # made on first use
        self.assertEqual(m["KeyManager"], "AWS")
        self.assertEqual(self.kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"], m["KeyId"])
        s3 = [x for x in self.kms.list_aliases()["Aliases"] if x["AliasName"] == "alias/aws/s3"]
        self.assertEqual(s3[0]["TargetKeyId"], m["KeyId"])
        self.assertEqual(code(self.kms.disable_key, KeyId=m["KeyId"])[0], "UnsupportedOperationException")
        self.assertEqual(code(self.kms.delete_alias, AliasName="alias/aws/s3")[0], "NotAuthorizedException")
        self.assertTrue(self.kms.get_key_rotation_status(KeyId=m["KeyId"])["KeyRotationEnabled"])


class Crypto(Case):
    def test_encrypt_decrypt_context(self):
        kid = self.key()["KeyId"]
        ctx = {"tenant": "a", "purpose": "test"}
        e = self.kms.encrypt(KeyId=kid, Plaintext=b"\x00secret\xff", EncryptionContext=ctx)
        self.assertEqual(e["KeyId"], ARN_PREFIX + "key/" + kid)
        self.assertEqual(e["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT")
        self.assertNotIn(b"secret", e["CiphertextBlob"])
        d = self.kms.decrypt(CiphertextBlob=e["CiphertextBlob"], EncryptionContext=dict(reversed(ctx.items())))
        self.assertEqual(d["Plaintext"], b"\x00secret\xff")
        for bad in ({}, {"tenant": "b", "purpose": "test"}, {"tenant": "a"}, dict(ctx, x="y")):
            self.assertEqual(code(self.kms.decrypt, CiphertextBlob=e["CiphertextBlob"], EncryptionContext=bad)[0],
                             "InvalidCiphertextException")
        # tampered: every byte flip refused
        blob = bytearray(e["CiphertextBlob"])
        for i in range(0, len(blob), 7):
            blob[i] ^= 1
            self.assertIn(code(self.kms.decrypt, CiphertextBlob=bytes(blob), EncryptionContext=ctx)[0],
                          ("InvalidCiphertextException", "NotFoundException"))
            blob[i] ^= 1
        # another KeyId than the blob's
        other = self.key()["KeyId"]
        self.assertEqual(code(self.kms.decrypt, CiphertextBlob=e["CiphertextBlob"], EncryptionContext=ctx,
                              KeyId=other)[0], "IncorrectKeyException")
        self.assertEqual(self.kms.decrypt(CiphertextBlob=e["CiphertextBlob"], EncryptionContext=ctx,
                                          KeyId=kid)["Plaintext"], b"\x00secret\xff")
        self.assertEqual(code(self.unchecked.encrypt, KeyId=kid, Plaintext=b"x" * 4097)[0], "ValidationException")

    def test_re_encrypt(self):
        a, b = self.key()["KeyId"], self.key()["KeyId"]
        e = self.kms.encrypt(KeyId=a, Plaintext=b"move me", EncryptionContext={"k": "1"})
        r = self.kms.re_encrypt(CiphertextBlob=e["CiphertextBlob"], SourceEncryptionContext={"k": "1"},
                                DestinationKeyId=b, DestinationEncryptionContext={"k": "2"})
        self.assertEqual(r["SourceKeyId"], ARN_PREFIX + "key/" + a)
        self.assertEqual(r["KeyId"], ARN_PREFIX + "key/" + b)
        d = self.kms.decrypt(CiphertextBlob=r["CiphertextBlob"], EncryptionContext={"k": "2"})
        self.assertEqual((d["Plaintext"], d["KeyId"]), (b"move me", ARN_PREFIX + "key/" + b))
        self.assertEqual(code(self.kms.re_encrypt, CiphertextBlob=e["CiphertextBlob"], DestinationKeyId=b)[0],
                         "InvalidCiphertextException")

    def test_data_keys_and_random(self):
        kid = self.key()["KeyId"]
        g = self.kms.generate_data_key(KeyId=kid, KeySpec="AES_256", EncryptionContext={"a": "b"})
        self.assertEqual(len(g["Plaintext"]), 32)
        d = self.kms.decrypt(CiphertextBlob=g["CiphertextBlob"], EncryptionContext={"a": "b"})
        self.assertEqual(d["Plaintext"], g["Plaintext"])
        self.assertEqual(len(self.kms.generate_data_key(KeyId=kid, KeySpec="AES_128")["Plaintext"]), 16)
        self.assertEqual(len(self.kms.generate_data_key(KeyId=kid, NumberOfBytes=7)["Plaintext"]), 7)
        self.assertEqual(code(self.kms.generate_data_key, KeyId=kid)[0], "ValidationException")
        self.assertEqual(code(self.unchecked.generate_data_key, KeyId=kid, NumberOfBytes=1025)[0], "ValidationException")
        w = self.kms.generate_data_key_without_plaintext(KeyId=kid, KeySpec="AES_256")
        self.assertNotIn("Plaintext", w)
        self.assertEqual(len(self.kms.decrypt(CiphertextBlob=w["CiphertextBlob"])["Plaintext"]), 32)
        r1 = self.kms.generate_random(NumberOfBytes=1024)["Plaintext"]
        r2 = self.kms.generate_random(NumberOfBytes=1024)["Plaintext"]
        self.assertEqual(len(r1), 1024)
        self.assertNotEqual(r1, r2)
        self.assertEqual(code(self.unchecked.generate_random, NumberOfBytes=0)[0], "ValidationException")
        self.assertEqual(code(self.unchecked.generate_random, NumberOfBytes=1025)[0], "ValidationException")


class Rotation(Case):
    def test_rotation(self):
        kid = self.key()["KeyId"]
        self.assertFalse(self.kms.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"])
        self.kms.enable_key_rotation(KeyId=kid, RotationPeriodInDays=90)
        st = self.kms.get_key_rotation_status(KeyId=kid)
        self.assertTrue(st["KeyRotationEnabled"])
        self.assertEqual(st["RotationPeriodInDays"], 90)
        self.assertAlmostEqual(st["NextRotationDate"].timestamp(), time.time() + 90 * 86400, delta=120)
        self.assertEqual(code(self.unchecked.enable_key_rotation, KeyId=kid, RotationPeriodInDays=89)[0],
                         "ValidationException")
        old = self.kms.encrypt(KeyId=kid, Plaintext=b"before")["CiphertextBlob"]
        self.kms.rotate_key_on_demand(KeyId=kid)
        new = self.kms.encrypt(KeyId=kid, Plaintext=b"after")["CiphertextBlob"]
        self.assertEqual(self.kms.decrypt(CiphertextBlob=old)["Plaintext"], b"before")
        self.assertEqual(self.kms.decrypt(CiphertextBlob=new)["Plaintext"], b"after")
        rot = self.kms.list_key_rotations(KeyId=kid)["Rotations"]
        self.assertEqual([r["RotationType"] for r in rot], ["ON_DEMAND"])
        self.kms.disable_key_rotation(KeyId=kid)
        self.assertFalse(self.kms.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"])


class Policies(Case):
    def test_default_and_custom_policy(self):
        kid = self.key()["KeyId"]
        self.assertEqual(self.kms.list_key_policies(KeyId=kid)["PolicyNames"], ["default"])
        doc = json.loads(self.kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])
        st = doc["Statement"][0]
        self.assertEqual(st["Sid"], "Enable IAM User Permissions")
        self.assertEqual(st["Principal"], {"AWS": "arn:aws:iam::000000000000:root"})
        self.assertEqual(st["Action"], "kms:*")
        self.assertEqual(code(self.kms.get_key_policy, KeyId=kid, PolicyName="other")[0], "NotFoundException")
        self.assertEqual(code(self.kms.put_key_policy, KeyId=kid, PolicyName="default", Policy="{")[0],
                         "MalformedPolicyDocumentException")
        doc["Statement"][0]["Sid"] = "Changed"
        self.kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(doc))
        self.assertEqual(json.loads(self.kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"]),
                         doc)

    def test_tags(self):
        kid = self.key()["KeyId"]
        self.kms.tag_resource(KeyId=kid, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
        self.kms.tag_resource(KeyId=kid, Tags=[{"TagKey": "a", "TagValue": "3"}])
        self.kms.untag_resource(KeyId=kid, TagKeys=["b"])
        self.assertEqual(self.kms.list_resource_tags(KeyId=kid)["Tags"], [{"TagKey": "a", "TagValue": "3"}])
        many = [{"TagKey": f"k{i}", "TagValue": ""} for i in range(51)]
        self.assertIn(code(self.kms.tag_resource, KeyId=kid, Tags=many)[0], ("TagException", "LimitExceededException"))


class WithIam(Case):
    """KMS's authorization rule for IAM users: the key policy decides, IAM policies count only
    when it delegates to the account, grants add permissions, an explicit deny wins."""

    def user(self, name, *policies):
        u = iam_base.user(self.srv, name, policies=policies)
        return u, iam_base.client(self.srv, u, "kms")

    def test_iam_policy_counts_through_the_default_policy(self):
        kid = self.key()["KeyId"]
        _, allowed = self.user("kms-ok", iam_base.allow(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]))
        _, nothing = self.user("kms-none")
        blob = allowed.encrypt(KeyId=kid, Plaintext=b"x")["CiphertextBlob"]
        self.assertEqual(allowed.decrypt(CiphertextBlob=blob)["Plaintext"], b"x")
        r = iam_base.denied(nothing.encrypt, KeyId=kid, Plaintext=b"x")
        self.assertIn("kms:Encrypt", r["Error"]["Message"])
        iam_base.denied(allowed.disable_key, KeyId=kid)  # not in its IAM policy
        iam_base.denied(nothing.create_key)

    def test_key_policy_without_the_account_blocks_iam(self):
        u, allowed = self.user("kms-iam-only", iam_base.allow("kms:*"))
        direct, direct_c = self.user("kms-direct")
        kid = self.key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": direct["arn"]}, "Action": ["kms:Encrypt", "kms:Decrypt"],
             "Resource": "*"}]}))["KeyId"]
        r = iam_base.denied(allowed.encrypt, KeyId=kid, Plaintext=b"x")
        self.assertIn("no resource-based policy allows", r["Error"]["Message"])
        # the key policy naming the user is enough alone
        blob = direct_c.encrypt(KeyId=kid, Plaintext=b"x")["CiphertextBlob"]
        self.assertEqual(direct_c.decrypt(CiphertextBlob=blob)["Plaintext"], b"x")
        iam_base.denied(direct_c.describe_key, KeyId=kid)
        # the root still manages its own keys
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"x")

    def test_explicit_deny_in_the_key_policy(self):
        u, c = self.user("kms-denied", iam_base.allow("kms:*"))
        kid = self.key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": u["arn"]}, "Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringEquals": {"kms:EncryptionContext:tier": "gold"}}}]}))["KeyId"]
        gold = c.encrypt(KeyId=kid, Plaintext=b"g", EncryptionContext={"tier": "gold"})["CiphertextBlob"]
        silver = c.encrypt(KeyId=kid, Plaintext=b"s", EncryptionContext={"tier": "silver"})["CiphertextBlob"]
        iam_base.denied(c.decrypt, CiphertextBlob=gold, EncryptionContext={"tier": "gold"})
        self.assertEqual(c.decrypt(CiphertextBlob=silver, EncryptionContext={"tier": "silver"})["Plaintext"], b"s")

    def test_grants(self):
        kid = self.key()["KeyId"]
        u, c = self.user("kms-grantee")
        iam_base.denied(c.encrypt, KeyId=kid, Plaintext=b"x")
        g = self.kms.create_grant(KeyId=kid, GranteePrincipal=u["arn"], Operations=["Encrypt", "Decrypt"],
                                  RetiringPrincipal=u["arn"], Name="app",
                                  Constraints={"EncryptionContextSubset": {"app": "billing"}})
        self.assertEqual(len(g["GrantId"]), 64)
        again = self.kms.create_grant(KeyId=kid, GranteePrincipal=u["arn"], Operations=["Encrypt", "Decrypt"],
                                      RetiringPrincipal=u["arn"], Name="app",
                                      Constraints={"EncryptionContextSubset": {"app": "billing"}})
        self.assertEqual(again["GrantId"], g["GrantId"])
        ctx = {"app": "billing", "extra": "1"}
        blob = c.encrypt(KeyId=kid, Plaintext=b"x", EncryptionContext=ctx, GrantTokens=[g["GrantToken"]])[
            "CiphertextBlob"]
        self.assertEqual(c.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"], b"x")
        iam_base.denied(c.encrypt, KeyId=kid, Plaintext=b"x", EncryptionContext={"app": "other"})
        iam_base.denied(c.generate_data_key, KeyId=kid, KeySpec="AES_256", EncryptionContext=ctx)
        grants = self.kms.list_grants(KeyId=kid)["Grants"]
        self.assertEqual(len(grants), 1)
        self.assertEqual(grants[0]["GranteePrincipal"], u["arn"])
        self.assertEqual(sorted(grants[0]["Operations"]), ["Decrypt", "Encrypt"])
        self.assertEqual(grants[0]["Constraints"], {"EncryptionContextSubset": {"app": "billing"}})
        ret = self.kms.list_retirable_grants(RetiringPrincipal=u["arn"])["Grants"]
        self.assertEqual([x["GrantId"] for x in ret], [g["GrantId"]])
        # a grantee cannot retire another principal's grant of the same key
        other = self.kms.create_grant(KeyId=kid, GranteePrincipal="arn:aws:iam::000000000000:user/else",
                                      Operations=["Decrypt"])
        iam_base.denied(c.retire_grant, KeyId=kid, GrantId=other["GrantId"])
        self.kms.revoke_grant(KeyId=kid, GrantId=other["GrantId"])
        # the retiring principal retires it; then the user is refused again
        c.retire_grant(KeyId=kid, GrantId=g["GrantId"])
        self.assertEqual(self.kms.list_grants(KeyId=kid)["Grants"], [])
        iam_base.denied(c.encrypt, KeyId=kid, Plaintext=b"x", EncryptionContext=ctx)
        g2 = self.kms.create_grant(KeyId=kid, GranteePrincipal=u["arn"], Operations=["DescribeKey"])
        self.assertEqual(c.describe_key(KeyId=kid)["KeyMetadata"]["KeyId"], kid)
        self.kms.revoke_grant(KeyId=kid, GrantId=g2["GrantId"])
        iam_base.denied(c.describe_key, KeyId=kid)
        self.assertEqual(code(self.kms.revoke_grant, KeyId=kid, GrantId=g2["GrantId"])[0], "NotFoundException")
        self.assertEqual(code(self.kms.create_grant, KeyId=kid, GranteePrincipal=u["arn"], Operations=["Nope"])[0],
                         "ValidationException")


    def test_grant_made_by_grant_is_no_wider(self):
        """A grantee allowed only CreateGrant (by its grant) makes grants of at most its grant's
        operations and constraints: it cannot give itself Decrypt."""
        kid = self.key()["KeyId"]
        u, c = self.user("kms-subgrantor")
        self.kms.create_grant(KeyId=kid, GranteePrincipal=u["arn"], Operations=["CreateGrant", "Encrypt"],
                              Constraints={"EncryptionContextSubset": {"app": "a"}})
        iam_base.denied(c.create_grant, KeyId=kid, GranteePrincipal=u["arn"], Operations=["Decrypt"])
        iam_base.denied(c.create_grant, KeyId=kid, GranteePrincipal=u["arn"], Operations=["Encrypt"])
        iam_base.denied(c.create_grant, KeyId=kid, GranteePrincipal=u["arn"], Operations=["Encrypt"],
                        Constraints={"EncryptionContextSubset": {"app": "b"}})
        blob = self.kms.encrypt(KeyId=kid, Plaintext=b"secret")["CiphertextBlob"]
        iam_base.denied(c.decrypt, CiphertextBlob=blob)
        # Within its own: allowed.
        c.create_grant(KeyId=kid, GranteePrincipal="arn:aws:iam::000000000000:user/else", Operations=["Encrypt"],
                       Constraints={"EncryptionContextSubset": {"app": "a", "x": "y"}})

    def test_every_operation_is_authorized(self):
        """Every operation as an IAM user allowed everything succeeds and is checked (the
        server's count of requests answered without an authorization check stays 0)."""
        u, k = self.user("kms-all", iam_base.allow("*"))
        kid = k.create_key()["KeyMetadata"]["KeyId"]
        kid2 = k.create_key()["KeyMetadata"]["KeyId"]
        k.describe_key(KeyId=kid)
        k.list_keys()
        k.update_key_description(KeyId=kid, Description="x")
        k.create_alias(AliasName="alias/all", TargetKeyId=kid)
        k.list_aliases()
        k.list_aliases(KeyId=kid)
        k.update_alias(AliasName="alias/all", TargetKeyId=kid2)
        k.delete_alias(AliasName="alias/all")
        b = k.encrypt(KeyId=kid, Plaintext=b"x")["CiphertextBlob"]
        k.decrypt(CiphertextBlob=b)
        k.re_encrypt(CiphertextBlob=b, DestinationKeyId=kid2)
        k.generate_data_key(KeyId=kid, KeySpec="AES_256")
        k.generate_data_key_without_plaintext(KeyId=kid, NumberOfBytes=8)
        k.generate_random(NumberOfBytes=8)
        k.enable_key_rotation(KeyId=kid)
        k.get_key_rotation_status(KeyId=kid)
        k.rotate_key_on_demand(KeyId=kid)
        k.list_key_rotations(KeyId=kid)
        k.disable_key_rotation(KeyId=kid)
        p = k.get_key_policy(KeyId=kid, PolicyName="default")["Policy"]
        k.put_key_policy(KeyId=kid, PolicyName="default", Policy=p)
        k.list_key_policies(KeyId=kid)
        g = k.create_grant(KeyId=kid, GranteePrincipal=u["arn"], Operations=["Decrypt"], RetiringPrincipal=u["arn"])
        k.list_grants(KeyId=kid)
        k.list_retirable_grants(RetiringPrincipal=u["arn"])
        k.retire_grant(GrantToken=g["GrantToken"])
        g = k.create_grant(KeyId=kid, GranteePrincipal=u["arn"], Operations=["Decrypt"])
        k.revoke_grant(KeyId=kid, GrantId=g["GrantId"])
        k.tag_resource(KeyId=kid, Tags=[{"TagKey": "a", "TagValue": "b"}])
        k.untag_resource(KeyId=kid, TagKeys=["a"])
        k.list_resource_tags(KeyId=kid)
        k.disable_key(KeyId=kid)
        k.enable_key(KeyId=kid)
        k.schedule_key_deletion(KeyId=kid)
        k.cancel_key_deletion(KeyId=kid)
        k.describe_key(KeyId="alias/aws/s3")
        metrics = urllib.request.urlopen(self.srv.endpoint + "/metrics", timeout=10).read().decode()
        self.assertIn("stratus_authz_unchecked_total 0", metrics.splitlines())


class Deletion(unittest.TestCase):
    """A key goes when its deletion date passes (a KMS day shortened for the test), with its
    aliases and grants; its ciphertexts are unreadable."""

    @classmethod
    def setUpClass(cls):
        os.environ["STRATUS_KMS_DAY_MS"] = "100"
        try:
            cls.srv = Server("--job-interval", "kms=50").start()
        finally:
            del os.environ["STRATUS_KMS_DAY_MS"]
        cls.kms = cls.srv.client("kms")

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def test_deleted_when_due(self):
        kid = self.kms.create_key()["KeyMetadata"]["KeyId"]
        self.kms.create_alias(AliasName="alias/doomed", TargetKeyId=kid)
        blob = self.kms.encrypt(KeyId=kid, Plaintext=b"p")["CiphertextBlob"]
        self.kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)  # 0.7 s here
        deadline = time.time() + 10
        while time.time() < deadline:
            if kid not in [k["KeyId"] for k in self.kms.list_keys(Limit=1000)["Keys"]]:
                break
            time.sleep(0.1)
        self.assertNotIn(kid, [k["KeyId"] for k in self.kms.list_keys(Limit=1000)["Keys"]])
        self.assertEqual(code(self.kms.describe_key, KeyId=kid)[0], "NotFoundException")
        self.assertEqual(code(self.kms.decrypt, CiphertextBlob=blob)[0], "NotFoundException")
        self.assertNotIn("alias/doomed", [a["AliasName"] for a in self.kms.list_aliases()["Aliases"]])


class AwsCli(Case):
    def test_cli_round_trip(self):
        r = self.srv.aws("kms", "create-key", "--description", "cli key")
        self.assertEqual(r.returncode, 0, r.stderr)
        kid = json.loads(r.stdout)["KeyMetadata"]["KeyId"]
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "plain.bin")
            with open(src, "wb") as f:
                f.write(b"\x00\x01cli secret\xfe")
            r = self.srv.aws("kms", "encrypt", "--key-id", kid, "--plaintext", "fileb://" + src,
                             "--encryption-context", "purpose=cli", "--query", "CiphertextBlob", "--output", "text")
            self.assertEqual(r.returncode, 0, r.stderr)
            blob = os.path.join(d, "blob.bin")
            with open(blob, "wb") as f:
                f.write(base64.b64decode(r.stdout.strip()))
            r = self.srv.aws("kms", "decrypt", "--ciphertext-blob", "fileb://" + blob,
                             "--encryption-context", "purpose=cli", "--query", "Plaintext", "--output", "text")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(base64.b64decode(r.stdout.strip()), b"\x00\x01cli secret\xfe")
            r = self.srv.aws("kms", "decrypt", "--ciphertext-blob", "fileb://" + blob)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("InvalidCiphertextException", r.stderr)
        r = self.srv.aws("kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", kid)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.srv.aws("kms", "list-aliases", "--key-id", kid)
        self.assertEqual([a["AliasName"] for a in json.loads(r.stdout)["Aliases"]], ["alias/cli"])
        r = self.srv.aws("kms", "disable-key", "--key-id", kid)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.srv.aws("kms", "generate-data-key", "--key-id", "alias/cli", "--key-spec", "AES_256")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("DisabledException", r.stderr)


class DynamoDbSse(Case):
    BASE = dict(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")

    def test_sse_specification(self):
        ddb = self.srv.client("dynamodb")
        kid = self.key()["KeyId"]
        t = ddb.create_table(TableName="sse-default", SSESpecification={"Enabled": True}, **self.BASE)
        sse = t["TableDescription"]["SSEDescription"]
        aws_key = self.kms.describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]
        self.assertEqual(sse, {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": aws_key["Arn"]})
        self.assertEqual(aws_key["KeyManager"], "AWS")
        ddb.create_table(TableName="sse-cmk",
                         SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kid}, **self.BASE)
        self.assertEqual(ddb.describe_table(TableName="sse-cmk")["Table"]["SSEDescription"]["KMSMasterKeyArn"],
                         ARN_PREFIX + "key/" + kid)
        c, msg = code(ddb.create_table, TableName="sse-bad",
                      SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/nope"},
                      **self.BASE)
        self.assertEqual(c, "ValidationException")
        self.assertIn("NotFoundException", msg)
        self.assertEqual(code(ddb.describe_table, TableName="sse-bad")[0], "ResourceNotFoundException")
        t = ddb.create_table(TableName="sse-owned", SSESpecification={"Enabled": False}, **self.BASE)
        self.assertNotIn("SSEDescription", t["TableDescription"])
        ddb.update_table(TableName="sse-owned", SSESpecification={"Enabled": True, "SSEType": "KMS",
                                                                   "KMSMasterKeyId": kid})
        self.assertEqual(ddb.describe_table(TableName="sse-owned")["Table"]["SSEDescription"]["KMSMasterKeyArn"],
                         ARN_PREFIX + "key/" + kid)
        ddb.update_table(TableName="sse-owned", SSESpecification={"Enabled": False})
        self.assertNotIn("SSEDescription", ddb.describe_table(TableName="sse-owned")["Table"])
        # the table keeps working
        ddb.put_item(TableName="sse-cmk", Item={"pk": {"S": "a"}})
        self.assertEqual(ddb.get_item(TableName="sse-cmk", Key={"pk": {"S": "a"}})["Item"], {"pk": {"S": "a"}})


if __name__ == "__main__":
    unittest.main()
