# SPDX-License-Identifier: Apache-2.0
"""IAM users calling IAM (issue 15, package I): each IAM operation is authorized as iam:<Op> on
the resource the Service Authorization Reference gives it (user/..., role/..., group/...,
policy/..., "*" for listings); a policy change counts on the very next request (the per-thread
caches follow the generation); an Inactive key stops authenticating and works again once
Active; a user with iam permissions manages IAM; GetSessionToken sessions cannot call IAM; no
IAM operation answers a non-root caller without a check."""
import json
import re
import unittest
import urllib.request

from botocore.exceptions import ClientError

import iam_base
from stratus_fixture import Server

ACCT = "000000000000"


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.iam = cls.srv.client("iam")

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def unchecked(self):
        with urllib.request.urlopen(self.srv.endpoint + "/metrics", timeout=10) as f:
            m = re.search(rb"^stratus_authz_unchecked_total (\d+)", f.read(), re.M)
        return int(m.group(1))


class TestUsersCallingIam(Base):
    def test_refused_then_allowed(self):
        u = iam_base.user(self.srv, "caller1")
        c = iam_base.client(self.srv, u, "iam")
        r = iam_base.denied(c.create_user, UserName="made1")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertIn(f"User: arn:aws:iam::{ACCT}:user/caller1 is not authorized to perform: iam:CreateUser "
                      f"on resource: arn:aws:iam::{ACCT}:user/made1", r["Error"]["Message"])
        iam_base.denied(c.list_users)
        # the change counts on the next request
        self.iam.put_user_policy(UserName="caller1", PolicyName="iam",
                                 PolicyDocument=json.dumps(iam_base.allow(["iam:CreateUser", "iam:ListUsers"])))
        self.assertEqual(c.create_user(UserName="made1")["User"]["UserName"], "made1")
        self.assertIn("made1", [x["UserName"] for x in c.list_users()["Users"]])
        iam_base.denied(c.delete_user, UserName="made1")
        # and taking it away too
        self.iam.delete_user_policy(UserName="caller1", PolicyName="iam")
        iam_base.denied(c.list_users)
        self.assertEqual(self.unchecked(), 0)

    def test_resource_arns(self):
        # allowed on one path only: the resource is the user's ARN with its path
        u = iam_base.user(self.srv, "caller2", policies=[iam_base.allow(
            ["iam:GetUser", "iam:TagUser"], f"arn:aws:iam::{ACCT}:user/team/*")])
        c = iam_base.client(self.srv, u, "iam")
        self.iam.create_user(UserName="inteam", Path="/team/")
        self.iam.create_user(UserName="outside")
        self.assertEqual(c.get_user(UserName="inteam")["User"]["Path"], "/team/")
        c.tag_user(UserName="inteam", Tags=[{"Key": "a", "Value": "b"}])
        iam_base.denied(c.get_user, UserName="outside")
        # existence is not revealed to a caller without the permission
        r = iam_base.denied(c.get_user, UserName="nosuchuser")
        self.assertIn(f"arn:aws:iam::{ACCT}:user/nosuchuser", r["Error"]["Message"])
        # roles and policies by their own ARNs
        iam_base.role(self.srv, "rr1")
        arn = iam_base.policy(self.srv, "pp1", iam_base.allow("s3:*"))
        u3 = iam_base.user(self.srv, "caller3", policies=[
            iam_base.allow("iam:GetRole", f"arn:aws:iam::{ACCT}:role/rr1"),
            iam_base.allow("iam:GetPolicy", arn)])
        c3 = iam_base.client(self.srv, u3, "iam")
        self.assertEqual(c3.get_role(RoleName="rr1")["Role"]["RoleName"], "rr1")
        self.assertEqual(c3.get_policy(PolicyArn=arn)["Policy"]["PolicyName"], "pp1")
        iam_base.denied(c3.get_role, RoleName="caller3")
        iam_base.denied(c3.get_policy_version, PolicyArn=arn, VersionId="v1")
        self.assertEqual(self.unchecked(), 0)

    def test_managed_and_group_policies(self):
        arn = iam_base.policy(self.srv, "listall", iam_base.allow(["iam:List*", "iam:Get*"]))
        u = iam_base.user(self.srv, "caller4", groups=["readers4"])
        c = iam_base.client(self.srv, u, "iam")
        iam_base.denied(c.list_roles)
        self.iam.attach_group_policy(GroupName="readers4", PolicyArn=arn)
        c.list_roles()
        self.iam.detach_group_policy(GroupName="readers4", PolicyArn=arn)
        iam_base.denied(c.list_roles)
        self.iam.attach_user_policy(UserName="caller4", PolicyArn=arn)
        c.list_roles()
        # a new default version takes effect at once
        self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(iam_base.allow("iam:GetUser")),
                                       SetAsDefault=True)
        iam_base.denied(c.list_roles)
        # a boundary limits it
        self.iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
        c.list_roles()
        b = iam_base.policy(self.srv, "bound4", iam_base.allow("iam:GetUser"))
        self.iam.put_user_permissions_boundary(UserName="caller4", PermissionsBoundary=b)
        r = iam_base.denied(c.list_roles)
        self.assertIn("because no permissions boundary allows the iam:ListRoles action", r["Error"]["Message"])
        self.assertEqual(c.get_user()["User"]["UserName"], "caller4")  # the caller, by its own key

    def test_a_user_manages_iam(self):
        admin = iam_base.user(self.srv, "iamadmin", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
        c = iam_base.client(self.srv, admin, "iam")
        c.create_user(UserName="byadmin")
        k = c.create_access_key(UserName="byadmin")["AccessKey"]
        c.put_user_policy(UserName="byadmin", PolicyName="p",
                          PolicyDocument=json.dumps(iam_base.allow("iam:ListAccessKeys")))
        made = {"access_key": k["AccessKeyId"], "secret_key": k["SecretAccessKey"]}
        mc = iam_base.client(self.srv, made, "iam")
        # with no UserName: the caller's own keys
        self.assertEqual([x["AccessKeyId"] for x in mc.list_access_keys()["AccessKeyMetadata"]], [k["AccessKeyId"]])
        # an Inactive key does not authenticate; Active again, it does
        c.update_access_key(UserName="byadmin", AccessKeyId=k["AccessKeyId"], Status="Inactive")
        with self.assertRaises(ClientError) as cm:
            mc.list_access_keys()
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidClientTokenId")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "The security token included in the request is invalid.")
        c.update_access_key(UserName="byadmin", AccessKeyId=k["AccessKeyId"], Status="Active")
        mc.list_access_keys()
        # deleted, it is gone
        c.delete_access_key(UserName="byadmin", AccessKeyId=k["AccessKeyId"])
        with self.assertRaises(ClientError):
            mc.list_access_keys()
        self.assertEqual(self.unchecked(), 0)

    def test_session_token_sessions_cannot_call_iam(self):
        u = iam_base.user(self.srv, "caller5", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
        sts = iam_base.client(self.srv, u, "sts")
        cr = sts.get_session_token(DurationSeconds=900)["Credentials"]
        s = iam_base.client(self.srv, {"access_key": cr["AccessKeyId"], "secret_key": cr["SecretAccessKey"],
                                       "session_token": cr["SessionToken"]}, "iam")
        r = iam_base.denied(s.list_users)
        self.assertIn("GetSessionToken", r["Error"]["Message"])
        # the same user's own key may
        iam_base.client(self.srv, u, "iam").list_users()

    def test_last_used(self):
        u = iam_base.user(self.srv, "caller6", policies=[iam_base.allow("iam:GetAccessKeyLastUsed")])
        c = iam_base.client(self.srv, u, "iam")
        c.get_access_key_last_used(AccessKeyId=u["access_key"])
        # the call before used the key: noted (in memory until the iam-keys job writes it)
        r = c.get_access_key_last_used(AccessKeyId=u["access_key"])
        self.assertEqual(r["UserName"], "caller6")
        self.assertEqual(r["AccessKeyLastUsed"]["ServiceName"], "iam")
        self.assertEqual(r["AccessKeyLastUsed"]["Region"], "us-east-1")


if __name__ == "__main__":
    unittest.main()
