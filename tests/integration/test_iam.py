# SPDX-License-Identifier: Apache-2.0
"""IAM (issue 15, package I) through boto3: users, groups, roles, access keys, inline and
managed policies with their validation errors (codes and messages), pagination, the
DeleteConflict refusals, GetAccountAuthorizationDetails, the simulator's decisions, the state
surviving a restart; Debian's boto3 1.26 (/usr/bin/python3) and the AWS CLI for a subset."""
import json
import os
import shutil
import subprocess
import textwrap
import unittest
import urllib.error
import urllib.request

from botocore.exceptions import ClientError

import iam_base
from stratus_fixture import Server

ACCT = "000000000000"
AWS = os.environ.get("AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def err(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"], \
            e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("no error")


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.iam = cls.srv.client("iam")

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()


class TestUsers(Base):
    def test_user_lifecycle(self):
        u = self.iam.create_user(UserName="ul1", Path="/eng/", Tags=[{"Key": "team", "Value": "a"}])["User"]
        self.assertEqual(u["Arn"], f"arn:aws:iam::{ACCT}:user/eng/ul1")
        self.assertRegex(u["UserId"], r"^AIDA[A-Z0-9]{17}$")
        self.assertEqual(u["Path"], "/eng/")
        g = self.iam.get_user(UserName="ul1")["User"]
        self.assertEqual(g["UserId"], u["UserId"])
        self.assertEqual(g["Tags"], [{"Key": "team", "Value": "a"}])
        # names are unique without regard to case
        self.assertEqual(err(self.iam.create_user, UserName="UL1"),
                         ("EntityAlreadyExists", "User with name ul1 already exists.", 409))
        self.iam.tag_user(UserName="ul1", Tags=[{"Key": "env", "Value": "p"}, {"Key": "team", "Value": "b"}])
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in self.iam.list_user_tags(UserName="ul1")["Tags"]),
                         [("env", "p"), ("team", "b")])
        self.iam.untag_user(UserName="ul1", TagKeys=["team"])
        self.assertEqual(self.iam.list_user_tags(UserName="ul1")["Tags"], [{"Key": "env", "Value": "p"}])
        self.iam.update_user(UserName="ul1", NewUserName="ul1b", NewPath="/ops/")
        self.assertEqual(err(self.iam.get_user, UserName="ul1")[0], "NoSuchEntity")
        self.assertEqual(self.iam.get_user(UserName="ul1b")["User"]["Arn"], f"arn:aws:iam::{ACCT}:user/ops/ul1b")
        self.iam.delete_user(UserName="ul1b")
        self.assertEqual(err(self.iam.get_user, UserName="ul1b"),
                         ("NoSuchEntity", "The user with name ul1b cannot be found.", 404))

    def test_get_user_of_the_caller(self):
        u = self.iam.get_user()["User"]
        self.assertEqual(u["Arn"], f"arn:aws:iam::{ACCT}:root")
        self.assertEqual(u["UserId"], ACCT)

    def test_validation(self):
        c, m, s = err(self.iam.create_user, UserName="a b")
        self.assertEqual((c, s), ("ValidationError", 400))
        self.assertIn("Member must satisfy regular expression pattern: [\\w+=,.@-]+", m)
        c, m, s = err(self.iam.create_user, UserName="x" * 65)
        self.assertEqual((c, s), ("ValidationError", 400))
        self.assertIn("Member must have length less than or equal to 64", m)
        c, m, s = err(self.iam.create_user, UserName="okname", Path="nope")
        self.assertEqual((c, s), ("ValidationError", 400))
        self.assertIn("It must begin and end with /", m)
        c, m, _ = err(self.iam.create_user, UserName="okname", Path="/" + "a" * 511 + "/")
        self.assertEqual(c, "ValidationError")
        raw = self.srv.client("iam", parameter_validation=False)
        self.assertEqual(err(raw.list_users, MaxItems=0)[0], "ValidationError")
        self.assertEqual(err(raw.list_users, MaxItems=1001)[0], "ValidationError")
        self.assertEqual(err(raw.create_user)[:2], (
            "ValidationError", "1 validation error detected: Value null at 'userName' failed to satisfy "
            "constraint: Member must not be null"))
        self.assertEqual(err(self.iam.list_users, Marker="zz")[0], "ValidationError")
        # nothing was created by the refused calls
        self.assertEqual(err(self.iam.get_user, UserName="okname")[0], "NoSuchEntity")

    def test_pagination_and_path_prefix(self):
        for i in range(5):
            self.iam.create_user(UserName=f"pg{i}", Path="/pg/")
        self.iam.create_user(UserName="pgx", Path="/other/")
        names, marker, pages = [], None, 0
        while True:
            kw = {"PathPrefix": "/pg/", "MaxItems": 2}
            if marker:
                kw["Marker"] = marker
            r = self.iam.list_users(**kw)
            pages += 1
            names += [u["UserName"] for u in r["Users"]]
            self.assertLessEqual(len(r["Users"]), 2)
            if not r["IsTruncated"]:
                self.assertNotIn("Marker", r)
                break
            marker = r["Marker"]
        self.assertEqual(names, [f"pg{i}" for i in range(5)])
        self.assertEqual(pages, 3)
        self.assertEqual([u["UserName"] for u in self.iam.list_users(PathPrefix="/oth")["Users"]], ["pgx"])
        # the paginator follows the markers too
        got = [u["UserName"] for p in self.iam.get_paginator("list_users").paginate(
            PathPrefix="/pg/", PaginationConfig={"PageSize": 4}) for u in p["Users"]]
        self.assertEqual(got, [f"pg{i}" for i in range(5)])

    def test_access_keys(self):
        self.iam.create_user(UserName="ak1")
        k1 = self.iam.create_access_key(UserName="ak1")["AccessKey"]
        self.assertRegex(k1["AccessKeyId"], r"^AKIA[A-Z0-9]{16}$")
        self.assertEqual(len(k1["SecretAccessKey"]), 40)
        self.assertEqual(k1["Status"], "Active")
        k2 = self.iam.create_access_key(UserName="ak1")["AccessKey"]
        self.assertEqual(err(self.iam.create_access_key, UserName="ak1"),
                         ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409))
        ids = {k["AccessKeyId"]: k["Status"] for k in self.iam.list_access_keys(UserName="ak1")["AccessKeyMetadata"]}
        self.assertEqual(ids, {k1["AccessKeyId"]: "Active", k2["AccessKeyId"]: "Active"})
        self.iam.update_access_key(UserName="ak1", AccessKeyId=k1["AccessKeyId"], Status="Inactive")
        ids = {k["AccessKeyId"]: k["Status"] for k in self.iam.list_access_keys(UserName="ak1")["AccessKeyMetadata"]}
        self.assertEqual(ids[k1["AccessKeyId"]], "Inactive")
        self.assertEqual(err(self.iam.update_access_key, UserName="ak1", AccessKeyId=k1["AccessKeyId"],
                             Status="Sleeping")[0], "ValidationError")
        lu = self.iam.get_access_key_last_used(AccessKeyId=k2["AccessKeyId"])
        self.assertEqual(lu["UserName"], "ak1")
        self.assertEqual(lu["AccessKeyLastUsed"]["ServiceName"], "N/A")
        self.assertEqual(err(self.iam.delete_user, UserName="ak1"),
                         ("DeleteConflict", "Cannot delete entity, must delete access keys first.", 409))
        self.iam.delete_access_key(UserName="ak1", AccessKeyId=k1["AccessKeyId"])
        self.iam.delete_access_key(UserName="ak1", AccessKeyId=k2["AccessKeyId"])
        self.assertEqual(err(self.iam.delete_access_key, UserName="ak1", AccessKeyId=k2["AccessKeyId"])[0],
                         "NoSuchEntity")
        self.iam.delete_user(UserName="ak1")

    def test_delete_conflicts(self):
        self.iam.create_user(UserName="dc1")
        self.iam.put_user_policy(UserName="dc1", PolicyName="p", PolicyDocument=json.dumps(iam_base.allow("s3:*")))
        self.assertEqual(err(self.iam.delete_user, UserName="dc1")[1],
                         "Cannot delete entity, must delete policies first.")
        self.iam.delete_user_policy(UserName="dc1", PolicyName="p")
        self.iam.attach_user_policy(UserName="dc1", PolicyArn=ADMIN)
        self.assertEqual(err(self.iam.delete_user, UserName="dc1")[1],
                         "Cannot delete entity, must detach all policies first.")
        self.iam.detach_user_policy(UserName="dc1", PolicyArn=ADMIN)
        self.iam.create_group(GroupName="dcg")
        self.iam.add_user_to_group(GroupName="dcg", UserName="dc1")
        self.assertEqual(err(self.iam.delete_user, UserName="dc1")[0], "DeleteConflict")
        self.assertEqual(err(self.iam.delete_group, GroupName="dcg")[1],
                         "Cannot delete entity, must remove users from group first.")
        self.iam.remove_user_from_group(GroupName="dcg", UserName="dc1")
        self.iam.delete_user(UserName="dc1")
        self.iam.delete_group(GroupName="dcg")


class TestGroups(Base):
    def test_groups(self):
        g = self.iam.create_group(GroupName="devs", Path="/t/")["Group"]
        self.assertRegex(g["GroupId"], r"^AGPA[A-Z0-9]{17}$")
        self.assertEqual(g["Arn"], f"arn:aws:iam::{ACCT}:group/t/devs")
        self.assertEqual(err(self.iam.create_group, GroupName="DEVS")[0], "EntityAlreadyExists")
        for n in ("gu1", "gu2"):
            self.iam.create_user(UserName=n)
            self.iam.add_user_to_group(GroupName="devs", UserName=n)
        r = self.iam.get_group(GroupName="devs")
        self.assertEqual(sorted(u["UserName"] for u in r["Users"]), ["gu1", "gu2"])
        self.assertEqual([x["GroupName"] for x in self.iam.list_groups_for_user(UserName="gu1")["Groups"]], ["devs"])
        self.assertEqual(err(self.iam.add_user_to_group, GroupName="devs", UserName="nobody")[0], "NoSuchEntity")
        self.iam.put_group_policy(GroupName="devs", PolicyName="gp", PolicyDocument=json.dumps(iam_base.allow("sqs:*")))
        self.assertEqual(self.iam.list_group_policies(GroupName="devs")["PolicyNames"], ["gp"])
        self.assertEqual(self.iam.get_group_policy(GroupName="devs", PolicyName="gp")["PolicyDocument"],
                         iam_base.allow("sqs:*"))
        # a rename moves the memberships with it
        self.iam.update_group(GroupName="devs", NewGroupName="devs2")
        self.assertEqual([x["GroupName"] for x in self.iam.list_groups_for_user(UserName="gu2")["Groups"]], ["devs2"])
        self.assertEqual(self.iam.list_group_policies(GroupName="devs2")["PolicyNames"], ["gp"])
        self.assertIn("devs2", [x["GroupName"] for x in self.iam.list_groups(PathPrefix="/t/")["Groups"]])


class TestRoles(Base):
    def test_roles(self):
        r = iam_base.role(self.srv, "svc", tags={"k": "v"})
        self.assertRegex(r["role_id"], r"^AROA[A-Z0-9]{17}$")
        got = self.iam.get_role(RoleName="svc")["Role"]
        self.assertEqual(got["AssumeRolePolicyDocument"], iam_base.DEFAULT_TRUST)
        self.assertEqual(got["MaxSessionDuration"], 3600)
        self.assertEqual(got["Tags"], [{"Key": "k", "Value": "v"}])
        self.iam.update_role(RoleName="svc", MaxSessionDuration=7200, Description="d1")
        got = self.iam.get_role(RoleName="svc")["Role"]
        self.assertEqual((got["MaxSessionDuration"], got["Description"]), (7200, "d1"))
        self.assertEqual(self.iam.update_role_description(RoleName="svc", Description="d2")["Role"]["Description"], "d2")
        raw = self.srv.client("iam", parameter_validation=False)
        c, m, _ = err(raw.update_role, RoleName="svc", MaxSessionDuration=100)
        self.assertEqual(c, "ValidationError")
        self.assertIn("greater than or equal to 3600", m)
        self.assertEqual(err(self.iam.create_role, RoleName="r2", AssumeRolePolicyDocument="{}",
                             MaxSessionDuration=43201)[0], "ValidationError")
        trust = iam_base.allow("sts:AssumeRole")
        trust["Statement"][0].pop("Resource")
        trust["Statement"][0]["Principal"] = {"Service": "lambda.amazonaws.com"}
        self.iam.update_assume_role_policy(RoleName="svc", PolicyDocument=json.dumps(trust))
        self.assertEqual(self.iam.get_role(RoleName="svc")["Role"]["AssumeRolePolicyDocument"], trust)
        self.iam.tag_role(RoleName="svc", Tags=[{"Key": "a", "Value": "b"}])
        self.iam.untag_role(RoleName="svc", TagKeys=["k"])
        self.assertEqual(self.iam.list_role_tags(RoleName="svc")["Tags"], [{"Key": "a", "Value": "b"}])
        self.assertIn("svc", [x["RoleName"] for x in self.iam.list_roles()["Roles"]])
        self.iam.put_role_policy(RoleName="svc", PolicyName="rp", PolicyDocument=json.dumps(iam_base.allow("s3:*")))
        self.assertEqual(err(self.iam.delete_role, RoleName="svc")[0], "DeleteConflict")
        self.iam.delete_role_policy(RoleName="svc", PolicyName="rp")
        self.iam.delete_role(RoleName="svc")
        self.assertEqual(err(self.iam.get_role, RoleName="svc"),
                         ("NoSuchEntity", "The role with name svc cannot be found.", 404))

    def test_trust_policy_checked(self):
        c, _, s = err(self.iam.create_role, RoleName="bad", AssumeRolePolicyDocument="{not json")
        self.assertEqual((c, s), ("MalformedPolicyDocument", 400))
        self.assertEqual(err(self.iam.get_role, RoleName="bad")[0], "NoSuchEntity")

    def test_boundaries(self):
        self.iam.create_user(UserName="bu")
        self.assertEqual(err(self.iam.put_user_permissions_boundary, UserName="bu",
                             PermissionsBoundary=f"arn:aws:iam::{ACCT}:policy/none")[0], "NoSuchEntity")
        self.iam.put_user_permissions_boundary(UserName="bu", PermissionsBoundary=ADMIN)
        self.assertEqual(self.iam.get_user(UserName="bu")["User"]["PermissionsBoundary"],
                         {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": ADMIN})
        self.iam.delete_user_permissions_boundary(UserName="bu")
        self.assertNotIn("PermissionsBoundary", self.iam.get_user(UserName="bu")["User"])
        iam_base.role(self.srv, "br", boundary=ADMIN)
        self.assertEqual(self.iam.get_role(RoleName="br")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"], ADMIN)
        self.iam.delete_role_permissions_boundary(RoleName="br")
        self.assertNotIn("PermissionsBoundary", self.iam.get_role(RoleName="br")["Role"])


class TestPolicies(Base):
    def test_inline_policies(self):
        self.iam.create_user(UserName="ip")
        doc = iam_base.allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::b/*")
        self.iam.put_user_policy(UserName="ip", PolicyName="one", PolicyDocument=json.dumps(doc))
        self.assertEqual(self.iam.get_user_policy(UserName="ip", PolicyName="one")["PolicyDocument"], doc)
        self.assertEqual(self.iam.list_user_policies(UserName="ip")["PolicyNames"], ["one"])
        # the document is percent-encoded on the wire, as IAM sends it
        body = self.raw("GetUserPolicy", UserName="ip", PolicyName="one")
        self.assertIn("<PolicyDocument>%7B%22Version%22", body)
        c, _, s = err(self.iam.put_user_policy, UserName="ip", PolicyName="bad", PolicyDocument="{")
        self.assertEqual((c, s), ("MalformedPolicyDocument", 400))
        # a user's inline policies together: 2048 characters, whitespace not counted
        big = iam_base.allow(["s3:GetObject"] * 1, ["arn:aws:s3:::" + "x" * 60 + str(i) for i in range(30)])
        c, m, s = err(self.iam.put_user_policy, UserName="ip", PolicyName="big", PolicyDocument=json.dumps(big))
        self.assertEqual((c, s), ("LimitExceeded", 409))
        self.assertIn("Maximum policy size of 2048 bytes exceeded for user ip", m)
        # a role takes it (10240)
        iam_base.role(self.srv, "iprole")
        self.iam.put_role_policy(RoleName="iprole", PolicyName="big", PolicyDocument=json.dumps(big))
        self.assertEqual(err(self.iam.get_user_policy, UserName="ip", PolicyName="big")[0], "NoSuchEntity")
        self.iam.delete_user_policy(UserName="ip", PolicyName="one")
        self.assertEqual(self.iam.list_user_policies(UserName="ip")["PolicyNames"], [])

    def raw(self, action, **params):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        import urllib.parse
        body = urllib.parse.urlencode(dict(Action=action, Version="2010-05-08", **params))
        req = AWSRequest("POST", self.srv.endpoint + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(Credentials("test", "test"), "iam", "us-east-1").add_auth(req)
        r = urllib.request.Request(req.url, data=body.encode(), headers=dict(req.headers), method="POST")
        with urllib.request.urlopen(r, timeout=10) as f:
            return f.read().decode()

    def test_managed_policies_and_versions(self):
        arn = iam_base.policy(self.srv, "mp1", iam_base.allow("sqs:*"))
        self.assertEqual(arn, f"arn:aws:iam::{ACCT}:policy/mp1")
        p = self.iam.get_policy(PolicyArn=arn)["Policy"]
        self.assertRegex(p["PolicyId"], r"^ANPA[A-Z0-9]{17}$")
        self.assertEqual((p["DefaultVersionId"], p["AttachmentCount"]), ("v1", 0))
        self.assertEqual(err(self.iam.create_policy, PolicyName="mp1", PolicyDocument=json.dumps(iam_base.allow("s3:*"))),
                         ("EntityAlreadyExists", "A policy called mp1 already exists. Duplicate names are not allowed.", 409))
        for i in range(2, 6):
            v = self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(iam_base.allow(f"sns:Op{i}")),
                                               SetAsDefault=(i == 3))["PolicyVersion"]
            self.assertEqual(v["VersionId"], f"v{i}")
        c, m, _ = err(self.iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(iam_base.allow("s3:*")))
        self.assertEqual(c, "LimitExceeded")
        self.assertIn("up to 5 versions", m)
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v3")
        v = self.iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
        self.assertEqual(v["Document"], iam_base.allow("sns:Op3"))
        self.assertTrue(v["IsDefaultVersion"])
        vs = self.iam.list_policy_versions(PolicyArn=arn)["Versions"]
        self.assertEqual([x["VersionId"] for x in vs], ["v1", "v2", "v3", "v4", "v5"])
        self.assertEqual(err(self.iam.delete_policy_version, PolicyArn=arn, VersionId="v3"),
                         ("DeleteConflict", "Cannot delete the default version of a policy.", 409))
        self.iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
        self.iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
        self.assertEqual(err(self.iam.get_policy_version, PolicyArn=arn, VersionId="v3")[0], "NoSuchEntity")
        self.assertEqual(err(self.iam.get_policy_version, PolicyArn=arn, VersionId="3")[0], "ValidationError")
        c, m, _ = err(self.iam.delete_policy, PolicyArn=arn)
        self.assertEqual(c, "DeleteConflict")
        self.assertIn("more than one version", m)
        for v in ("v1", "v2", "v4"):
            self.iam.delete_policy_version(PolicyArn=arn, VersionId=v)
        self.iam.delete_policy(PolicyArn=arn)
        self.assertEqual(err(self.iam.get_policy, PolicyArn=arn)[0], "NoSuchEntity")

    def test_attachments(self):
        arn = iam_base.policy(self.srv, "att", iam_base.allow("s3:*"))
        self.iam.create_user(UserName="atu")
        iam_base.role(self.srv, "atr")
        self.iam.create_group(GroupName="atg")
        self.iam.attach_user_policy(UserName="atu", PolicyArn=arn)
        self.iam.attach_user_policy(UserName="atu", PolicyArn=arn)  # again: no change
        self.iam.attach_role_policy(RoleName="atr", PolicyArn=arn)
        self.iam.attach_group_policy(GroupName="atg", PolicyArn=arn)
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"], 3)
        e = self.iam.list_entities_for_policy(PolicyArn=arn)
        self.assertEqual([x["UserName"] for x in e["PolicyUsers"]], ["atu"])
        self.assertEqual([x["RoleName"] for x in e["PolicyRoles"]], ["atr"])
        self.assertEqual([x["GroupName"] for x in e["PolicyGroups"]], ["atg"])
        e = self.iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
        self.assertEqual((len(e["PolicyUsers"]), len(e["PolicyRoles"])), (0, 1))
        self.assertEqual(self.iam.list_attached_user_policies(UserName="atu")["AttachedPolicies"],
                         [{"PolicyName": "att", "PolicyArn": arn}])
        self.assertIn("att", [p["PolicyName"] for p in self.iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]])
        self.assertEqual(err(self.iam.delete_policy, PolicyArn=arn),
                         ("DeleteConflict", "Cannot delete a policy attached to entities.", 409))
        self.assertEqual(err(self.iam.attach_user_policy, UserName="atu", PolicyArn=f"arn:aws:iam::{ACCT}:policy/none"),
                         ("NoSuchEntity", f"Policy arn:aws:iam::{ACCT}:policy/none does not exist or is not attachable.", 404))
        self.assertEqual(err(self.iam.detach_role_policy, RoleName="atr", PolicyArn=ADMIN)[0], "NoSuchEntity")
        # ten managed policies per principal
        more = [iam_base.policy(self.srv, f"lim{i}", iam_base.allow("s3:GetObject")) for i in range(10)]
        for a in more[:9]:
            self.iam.attach_role_policy(RoleName="atr", PolicyArn=a)
        self.assertEqual(err(self.iam.attach_role_policy, RoleName="atr", PolicyArn=more[9]),
                         ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10", 409))
        for a in more[:9]:
            self.iam.detach_role_policy(RoleName="atr", PolicyArn=a)
        for fn, kw in ((self.iam.detach_user_policy, {"UserName": "atu"}),
                       (self.iam.detach_role_policy, {"RoleName": "atr"}),
                       (self.iam.detach_group_policy, {"GroupName": "atg"})):
            fn(PolicyArn=arn, **kw)
        self.iam.delete_policy(PolicyArn=arn)

    def test_aws_managed(self):
        names = {p["PolicyName"]: p["Arn"] for p in self.iam.list_policies(Scope="AWS")["Policies"]}
        for n in ("AdministratorAccess", "AmazonDynamoDBFullAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess",
                  "AmazonSQSFullAccess", "AmazonSNSFullAccess", "AWSLambda_FullAccess", "AWSLambdaBasicExecutionRole"):
            self.assertIn(n, names)
        self.assertEqual(names["AWSLambdaBasicExecutionRole"],
                         "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
        v = self.iam.get_policy_version(PolicyArn=ADMIN, VersionId="v1")["PolicyVersion"]
        self.assertEqual(v["Document"]["Statement"][0]["Action"], "*")
        self.assertEqual(err(self.iam.delete_policy, PolicyArn=ADMIN)[0], "UnmodifiableEntity")
        self.assertEqual(self.iam.list_policies(Scope="Local", MaxItems=1000)["Policies"],
                         [p for p in self.iam.list_policies(Scope="Local")["Policies"]])
        # pagination across the AWS and local parts
        iam_base.policy(self.srv, "pgpol", iam_base.allow("s3:*"))
        allp = [p["PolicyName"] for p in self.iam.list_policies()["Policies"]]
        paged = [p["PolicyName"] for pg in self.iam.get_paginator("list_policies").paginate(
            PaginationConfig={"PageSize": 3}) for p in pg["Policies"]]
        self.assertEqual(paged, allp)
        self.assertIn("pgpol", paged)

    def test_tags_on_policies(self):
        arn = self.iam.create_policy(PolicyName="tp", PolicyDocument=json.dumps(iam_base.allow("s3:*")),
                                     Tags=[{"Key": "a", "Value": "1"}], Description="desc")["Policy"]["Arn"]
        self.iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "b", "Value": "2"}])
        self.iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
        self.assertEqual(self.iam.list_policy_tags(PolicyArn=arn)["Tags"], [{"Key": "b", "Value": "2"}])
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["Description"], "desc")


class TestAccount(Base):
    def test_authorization_details(self):
        iam_base.user(self.srv, "ad_u", policies=[iam_base.allow("s3:*")], managed=[ADMIN], groups=["ad_g"])
        iam_base.role(self.srv, "ad_r", policies=[iam_base.allow("sqs:*")])
        arn = iam_base.policy(self.srv, "ad_p", iam_base.allow("sns:*"))
        d = self.iam.get_account_authorization_details()
        users = {u["UserName"]: u for u in d["UserDetailList"]}
        u = users["ad_u"]
        self.assertEqual(u["UserPolicyList"][0]["PolicyDocument"], iam_base.allow("s3:*"))
        self.assertEqual(u["GroupList"], ["ad_g"])
        self.assertEqual(u["AttachedManagedPolicies"], [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}])
        r = {x["RoleName"]: x for x in d["RoleDetailList"]}["ad_r"]
        self.assertEqual(r["RolePolicyList"][0]["PolicyName"], "inline0")
        self.assertEqual(r["AssumeRolePolicyDocument"], iam_base.DEFAULT_TRUST)
        self.assertIn("ad_g", [g["GroupName"] for g in d["GroupDetailList"]])
        p = {x["PolicyName"]: x for x in d["Policies"]}["ad_p"]
        self.assertEqual(p["Arn"], arn)
        self.assertEqual(p["PolicyVersionList"][0]["Document"], iam_base.allow("sns:*"))
        f = self.iam.get_account_authorization_details(Filter=["Role"])
        self.assertEqual((len(f["UserDetailList"]), len(f["Policies"])), (0, 0))
        self.assertIn("ad_r", [x["RoleName"] for x in f["RoleDetailList"]])
        # paged one entity at a time, the same entities
        seen, marker = [], None
        for _ in range(100):
            kw = {"MaxItems": 1}
            if marker:
                kw["Marker"] = marker
            pg = self.iam.get_account_authorization_details(**kw)
            items = pg["UserDetailList"] + pg["GroupDetailList"] + pg["RoleDetailList"] + pg["Policies"]
            self.assertLessEqual(len(items), 1)
            seen += [x.get("UserName") or x.get("GroupName") or x.get("RoleName") or x.get("PolicyName") for x in items]
            if not pg["IsTruncated"]:
                break
            marker = pg["Marker"]
        full = [x.get("UserName") or x.get("GroupName") or x.get("RoleName") or x.get("PolicyName")
                for k in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies") for x in d[k]]
        self.assertEqual(seen, full)

    def test_summary(self):
        before = self.iam.get_account_summary()["SummaryMap"]
        self.iam.create_user(UserName="sum1")
        after = self.iam.get_account_summary()["SummaryMap"]
        self.assertEqual(after["Users"], before["Users"] + 1)
        self.assertEqual(after["AccessKeysPerUserQuota"], 2)

    def test_unknown_action(self):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        data = "Action=GetMagic&Version=2010-05-08"
        req = AWSRequest("POST", self.srv.endpoint + "/", data=data,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        SigV4Auth(Credentials("test", "test"), "iam", "us-east-1").add_auth(req)
        r = urllib.request.Request(req.url, data=data.encode(), headers=dict(req.headers), method="POST")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(r, timeout=10)
        self.assertEqual(cm.exception.code, 400)
        self.assertIn(b"<Code>InvalidAction</Code>", cm.exception.read())


class TestSimulate(Base):
    def sim(self, user, actions, resources=None, **kw):
        args = {"PolicySourceArn": f"arn:aws:iam::{ACCT}:user/{user}", "ActionNames": actions}
        if resources:
            args["ResourceArns"] = resources
        args.update(kw)
        return {(r["EvalActionName"], r["EvalResourceName"]): r
                for r in self.iam.simulate_principal_policy(**args)["EvaluationResults"]}

    def test_decisions(self):
        iam_base.user(self.srv, "sim1", policies=[
            iam_base.allow("s3:*", "arn:aws:s3:::b/*", sid="AllowB"),
            iam_base.allow("s3:DeleteObject", "*", effect="Deny", sid="NoDelete")])
        r = self.sim("sim1", ["s3:GetObject", "s3:DeleteObject", "sqs:SendMessage"], ["arn:aws:s3:::b/k"])
        self.assertEqual(r[("s3:GetObject", "arn:aws:s3:::b/k")]["EvalDecision"], "allowed")
        self.assertEqual(r[("s3:DeleteObject", "arn:aws:s3:::b/k")]["EvalDecision"], "explicitDeny")
        self.assertEqual(r[("sqs:SendMessage", "arn:aws:s3:::b/k")]["EvalDecision"], "implicitDeny")
        self.assertTrue(r[("s3:GetObject", "arn:aws:s3:::b/k")]["MatchedStatements"])
        # the policies of the user's groups count
        self.iam.create_group(GroupName="simg")
        self.iam.put_group_policy(GroupName="simg", PolicyName="q", PolicyDocument=json.dumps(iam_base.allow("sqs:*")))
        self.iam.add_user_to_group(GroupName="simg", UserName="sim1")
        r = self.sim("sim1", ["sqs:SendMessage"])
        self.assertEqual(r[("sqs:SendMessage", "*")]["EvalDecision"], "allowed")

    def test_boundary(self):
        b = iam_base.policy(self.srv, "simb", iam_base.allow("s3:*"))
        iam_base.user(self.srv, "sim2", managed=[ADMIN], boundary=b)
        r = self.sim("sim2", ["s3:GetObject", "sqs:SendMessage"])
        self.assertEqual(r[("s3:GetObject", "*")]["EvalDecision"], "allowed")
        self.assertEqual(r[("sqs:SendMessage", "*")]["EvalDecision"], "implicitDeny")
        self.assertFalse(r[("sqs:SendMessage", "*")]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"])
        self.iam.delete_user_permissions_boundary(UserName="sim2")
        r = self.sim("sim2", ["sqs:SendMessage"])
        self.assertEqual(r[("sqs:SendMessage", "*")]["EvalDecision"], "allowed")

    def test_missing_context_and_custom(self):
        doc = iam_base.allow("s3:GetObject", "*", condition={"StringEquals": {"aws:PrincipalTag/team": "a"}})
        r = self.iam.simulate_custom_policy(PolicyInputList=[json.dumps(doc)], ActionNames=["s3:GetObject"])
        res = r["EvaluationResults"][0]
        self.assertEqual(res["EvalDecision"], "implicitDeny")
        self.assertEqual([k.lower() for k in res["MissingContextValues"]], ["aws:principaltag/team"])
        r = self.iam.simulate_custom_policy(
            PolicyInputList=[json.dumps(doc)], ActionNames=["s3:GetObject"],
            ContextEntries=[{"ContextKeyName": "aws:PrincipalTag/team", "ContextKeyValues": ["a"],
                             "ContextKeyType": "string"}])
        res = r["EvaluationResults"][0]
        self.assertEqual(res["EvalDecision"], "allowed")
        self.assertEqual(res["MissingContextValues"], [])
        self.assertEqual(err(self.iam.simulate_custom_policy, PolicyInputList=["{"], ActionNames=["s3:GetObject"])[0],
                         "MalformedPolicyDocument")

    def test_a_change_counts_on_the_next_call(self):
        iam_base.user(self.srv, "sim3", policies=[iam_base.allow("s3:GetObject")])
        self.assertEqual(self.sim("sim3", ["s3:GetObject"])[("s3:GetObject", "*")]["EvalDecision"], "allowed")
        self.iam.put_user_policy(UserName="sim3", PolicyName="inline0",
                                 PolicyDocument=json.dumps(iam_base.allow("s3:PutObject")))
        self.assertEqual(self.sim("sim3", ["s3:GetObject"])[("s3:GetObject", "*")]["EvalDecision"], "implicitDeny")


class TestRestart(unittest.TestCase):
    def test_state_survives_a_restart(self):
        srv = Server().start()
        try:
            u = iam_base.user(srv, "keep", policies=[iam_base.allow("s3:*")], managed=[ADMIN], groups=["kg"])
            iam_base.role(srv, "keepr")
            arn = iam_base.policy(srv, "keepp", iam_base.allow("sqs:*"))
            srv.client("iam").create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(iam_base.allow("sns:*")),
                                                    SetAsDefault=True)
            srv.stop()
            srv.start()
            iam = srv.client("iam")
            self.assertEqual(iam.get_user(UserName="keep")["User"]["UserId"], u["user_id"])
            self.assertEqual([k["AccessKeyId"] for k in iam.list_access_keys(UserName="keep")["AccessKeyMetadata"]],
                             [u["access_key"]])
            self.assertEqual(iam.list_user_policies(UserName="keep")["PolicyNames"], ["inline0"])
            self.assertEqual(iam.list_groups_for_user(UserName="keep")["Groups"][0]["GroupName"], "kg")
            self.assertEqual(iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v2")
            self.assertEqual(iam.get_role(RoleName="keepr")["Role"]["RoleName"], "keepr")
        finally:
            srv.finish()


class TestClients(Base):
    def test_debian_boto3(self):
        if not os.path.exists("/usr/bin/python3"):
            self.skipTest("no /usr/bin/python3")
        script = textwrap.dedent('''
            import json, sys, boto3
            from botocore.exceptions import ClientError
            iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                               aws_access_key_id="test", aws_secret_access_key="test")
            u = iam.create_user(UserName="deb", Path="/d/")["User"]
            k = iam.create_access_key(UserName="deb")["AccessKey"]
            doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
            iam.put_user_policy(UserName="deb", PolicyName="p", PolicyDocument=doc)
            arn = iam.create_policy(PolicyName="debp", PolicyDocument=doc)["Policy"]["Arn"]
            iam.attach_user_policy(UserName="deb", PolicyArn=arn)
            try:
                iam.get_user(UserName="nobody")
                code = None
            except ClientError as e:
                code = e.response["Error"]["Code"]
            print(json.dumps([u["Arn"], len(k["SecretAccessKey"]),
                              iam.get_user_policy(UserName="deb", PolicyName="p")["PolicyDocument"]["Statement"][0]["Action"],
                              [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="deb")["AttachedPolicies"]],
                              code]))
        ''')
        p = subprocess.run(["/usr/bin/python3", "-c", script, self.srv.endpoint], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        arn, n, action, attached, code = json.loads(p.stdout)
        self.assertEqual((arn, n, action, code), (f"arn:aws:iam::{ACCT}:user/d/deb", 40, "s3:*", "NoSuchEntity"))
        self.assertEqual(attached, [f"arn:aws:iam::{ACCT}:policy/debp"])

    @unittest.skipUnless(os.path.exists(AWS), "the AWS CLI is not installed")
    def test_aws_cli(self):
        def aws(*args, ok=True):
            p = self.srv.aws("iam", *args)
            if ok:
                self.assertEqual(p.returncode, 0, p.stderr)
                return json.loads(p.stdout) if p.stdout.strip() else None
            return p
        u = aws("create-user", "--user-name", "cli")["User"]
        self.assertEqual(u["Arn"], f"arn:aws:iam::{ACCT}:user/cli")
        aws("put-user-policy", "--user-name", "cli", "--policy-name", "p",
            "--policy-document", json.dumps(iam_base.allow("s3:*")))
        self.assertEqual(aws("list-user-policies", "--user-name", "cli")["PolicyNames"], ["p"])
        self.assertIn("cli", [x["UserName"] for x in aws("list-users")["Users"]])
        p = aws("delete-user", "--user-name", "cli", ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("DeleteConflict", p.stderr)
        aws("delete-user-policy", "--user-name", "cli", "--policy-name", "p")
        aws("delete-user", "--user-name", "cli")


if __name__ == "__main__":
    unittest.main()
