# SPDX-License-Identifier: Apache-2.0
"""STS and the authentication of every principal (issue 15, package T): GetCallerIdentity for
the root, IAM users, role sessions and GetSessionToken sessions; AssumeRole decided by the trust
policy (naming the caller itself suffices, naming the account needs an identity policy too),
with its validation (session name, durations, MaxSessionDuration, role chaining's hour), session
policies limiting the role's permissions, session tags and source identity in conditions;
GetSessionToken; session and IAM user credentials accepted by every protocol (header and
presigned URLs); unknown keys and altered tokens refused with each protocol's error; boto3 (pip
and Debian's), the AWS CLI."""
import json
import os
import subprocess
import unittest
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import iam_base
from stratus_fixture import Server

ACCOUNT = "000000000000"
ROOT_ARN = "arn:aws:iam::%s:root" % ACCOUNT


def trust_of(*aws, service=None, actions=("sts:AssumeRole",), condition=None):
    principal = {}
    if aws:
        principal["AWS"] = list(aws)
    if service:
        principal["Service"] = service
    st = {"Effect": "Allow", "Principal": principal, "Action": list(actions)}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


def code_of(e):
    return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]


class StsCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.sts = cls.srv.client("sts")
        cls.iam = cls.srv.client("iam")
        # A role everyone in the account may assume (when their identity policies allow), with
        # permissions over IAM's read operations.
        cls.reader = iam_base.role(cls.srv, "reader", policies=[
            iam_base.allow(["iam:ListRoles", "iam:ListUsers", "sts:GetAccessKeyInfo"])])

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def creds_client(self, creds, service, **cfg):
        return iam_base.client(self.srv, creds, service, **cfg)


class CallerIdentity(StsCase):
    def test_root(self):
        got = self.sts.get_caller_identity()
        self.assertEqual((got["UserId"], got["Account"], got["Arn"]), (ACCOUNT, ACCOUNT, ROOT_ARN))

    def test_user(self):
        u = iam_base.user(self.srv, "ci-who")
        got = self.creds_client(u, "sts").get_caller_identity()
        self.assertEqual(got["Arn"], u["arn"])
        self.assertEqual(got["UserId"], u["user_id"])
        self.assertTrue(got["UserId"].startswith("AIDA"))
        self.assertEqual(got["Account"], ACCOUNT)

    def test_role_session(self):
        s = iam_base.assume(self.srv, self.reader["arn"], session_name="who-sess")
        got = self.creds_client(s, "sts").get_caller_identity()
        self.assertEqual(got["Arn"], "arn:aws:sts::%s:assumed-role/reader/who-sess" % ACCOUNT)
        self.assertEqual(got["UserId"], self.reader["role_id"] + ":who-sess")
        self.assertEqual(s["arn"], got["Arn"])

    def test_get_session_token_sessions(self):
        u = iam_base.user(self.srv, "ci-gst")
        t = self.creds_client(u, "sts").get_session_token(DurationSeconds=900)["Credentials"]
        self.assertTrue(t["AccessKeyId"].startswith("ASIA"))
        sess = dict(access_key=t["AccessKeyId"], secret_key=t["SecretAccessKey"],
                    session_token=t["SessionToken"])
        got = self.creds_client(sess, "sts").get_caller_identity()
        self.assertEqual((got["Arn"], got["UserId"]), (u["arn"], u["user_id"]))
        # The root's: still the root, and capped at one hour.
        r = self.sts.get_session_token(DurationSeconds=7200)["Credentials"]
        left = r["Expiration"].timestamp() - __import__("time").time()
        self.assertTrue(3500 < left <= 3600, left)
        root_sess = dict(access_key=r["AccessKeyId"], secret_key=r["SecretAccessKey"],
                         session_token=r["SessionToken"])
        self.assertEqual(self.creds_client(root_sess, "sts").get_caller_identity()["Arn"], ROOT_ARN)
        # Session credentials cannot get another session token.
        with self.assertRaises(ClientError) as cm:
            self.creds_client(sess, "sts").get_session_token()
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "Cannot call GetSessionToken with session credentials")

    def test_unknown_key_and_bad_token(self):
        bad = dict(access_key="AKIAEXAMPLEEXAMPLE00", secret_key="x" * 40)
        with self.assertRaises(ClientError) as cm:
            self.creds_client(bad, "sts").get_caller_identity()
        self.assertEqual(code_of(cm.exception), ("InvalidClientTokenId", 403))
        with self.assertRaises(ClientError) as cm:
            self.creds_client(bad, "dynamodb").list_tables()
        self.assertEqual(cm.exception.response["Error"]["Code"], "UnrecognizedClientException")
        s = iam_base.assume(self.srv, self.reader["arn"])
        altered = dict(s, session_token=s["session_token"][:-8] + ("A" * 8 if s["session_token"][-8:] != "A" * 8 else "B" * 8))
        with self.assertRaises(ClientError) as cm:
            self.creds_client(altered, "sts").get_caller_identity()
        self.assertEqual(code_of(cm.exception), ("InvalidClientTokenId", 403))
        with self.assertRaises(ClientError) as cm:
            self.creds_client(altered, "s3").list_buckets()
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidToken")
        # A session's key without its token, and the configured key with a token.
        with self.assertRaises(ClientError) as cm:
            self.creds_client(dict(s, session_token=None), "sts").get_caller_identity()
        self.assertEqual(code_of(cm.exception), ("InvalidClientTokenId", 403))


class Checked(StsCase):
    def test_every_sts_operation_authorizes(self):
        """No STS answer to a non-root caller goes out without an authorization check (the
        server logs and counts any: stratus_authz_unchecked_total)."""
        u = iam_base.user(self.srv, "checked", policies=[iam_base.allow(["sts:*"])])
        c = self.creds_client(u, "sts")
        c.get_caller_identity()
        c.get_access_key_info(AccessKeyId=u["access_key"])
        t = c.get_session_token(DurationSeconds=900)["Credentials"]
        s = iam_base.assume(self.srv, self.reader["arn"], creds=u, session_name="checked")
        self.creds_client(s, "sts").get_caller_identity()
        self.creds_client(dict(access_key=t["AccessKeyId"], secret_key=t["SecretAccessKey"],
                               session_token=t["SessionToken"]), "sts").get_caller_identity()
        with open(self.srv.log_path, errors="replace") as f:
            log = f.read()
        self.assertNotIn("authorization: sts ", log)


class AssumeRoleTrust(StsCase):
    def test_trust_naming_the_user_suffices(self):
        u = iam_base.user(self.srv, "direct")  # no identity policy at all
        iam_base.role(self.srv, "names-direct", trust=trust_of(u["arn"]))
        arn = "arn:aws:iam::%s:role/names-direct" % ACCOUNT
        s = iam_base.assume(self.srv, arn, creds=u, session_name="dd")
        self.assertEqual(s["arn"], "arn:aws:sts::%s:assumed-role/names-direct/dd" % ACCOUNT)
        # Another user, not named, is refused with AWS's message.
        other = iam_base.user(self.srv, "other", policies=[iam_base.allow("sts:AssumeRole")])
        with self.assertRaises(ClientError) as cm:
            self.creds_client(other, "sts").assume_role(RoleArn=arn, RoleSessionName="xx")
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "User: %s is not authorized to perform: sts:AssumeRole on resource: %s"
                         % (other["arn"], arn))

    def test_trust_naming_the_account_needs_an_identity_policy(self):
        arn = self.reader["arn"]  # trusts the account
        bare = iam_base.user(self.srv, "bare")
        with self.assertRaises(ClientError) as cm:
            self.creds_client(bare, "sts").assume_role(RoleArn=arn, RoleSessionName="xx")
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))
        allowed = iam_base.user(self.srv, "allowed", policies=[iam_base.allow("sts:AssumeRole", arn)])
        s = iam_base.assume(self.srv, arn, creds=allowed, session_name="ok")
        self.assertTrue(s["access_key"].startswith("ASIA"))
        # An explicit deny in the identity policy wins over the trust policy.
        denied = iam_base.user(self.srv, "denied", policies=[
            iam_base.allow("sts:AssumeRole", arn),
            iam_base.allow("sts:AssumeRole", arn, effect="Deny")])
        with self.assertRaises(ClientError) as cm:
            self.creds_client(denied, "sts").assume_role(RoleArn=arn, RoleSessionName="xx")
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))

    def test_identity_policy_alone_does_not_suffice(self):
        iam_base.role(self.srv, "lambda-only", trust=trust_of(service="lambda.amazonaws.com"))
        arn = "arn:aws:iam::%s:role/lambda-only" % ACCOUNT
        u = iam_base.user(self.srv, "wants", policies=[iam_base.allow("sts:AssumeRole")])
        with self.assertRaises(ClientError) as cm:
            self.creds_client(u, "sts").assume_role(RoleArn=arn, RoleSessionName="xx")
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))
        with self.assertRaises(ClientError) as cm:  # nor the root
            self.sts.assume_role(RoleArn=arn, RoleSessionName="xx")
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))

    def test_missing_role(self):
        arn = "arn:aws:iam::%s:role/nope" % ACCOUNT
        with self.assertRaises(ClientError) as cm:
            self.sts.assume_role(RoleArn=arn, RoleSessionName="xx")
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "User: %s is not authorized to perform: sts:AssumeRole on resource: %s"
                         % (ROOT_ARN, arn))

    def test_external_id_condition(self):
        iam_base.role(self.srv, "ext", trust=trust_of(ROOT_ARN, condition={
            "StringEquals": {"sts:ExternalId": "secret-123"}}))
        arn = "arn:aws:iam::%s:role/ext" % ACCOUNT
        with self.assertRaises(ClientError) as cm:
            self.sts.assume_role(RoleArn=arn, RoleSessionName="xx")
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))
        with self.assertRaises(ClientError) as cm:
            self.sts.assume_role(RoleArn=arn, RoleSessionName="xx", ExternalId="wrong-1")
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))
        got = self.sts.assume_role(RoleArn=arn, RoleSessionName="xx", ExternalId="secret-123")
        self.assertTrue(got["Credentials"]["AccessKeyId"].startswith("ASIA"))


class AssumeRoleValidation(StsCase):
    def refused(self, code, msg=None, **kw):
        args = dict(RoleArn=self.reader["arn"], RoleSessionName="ss")
        args.update(kw)
        raw = self.srv.client("sts", parameter_validation=False)  # the server's checks, not boto3's
        with self.assertRaises(ClientError) as cm:
            raw.assume_role(**args)
        self.assertEqual(cm.exception.response["Error"]["Code"], code)
        if msg:
            self.assertEqual(cm.exception.response["Error"]["Message"], msg)
        return cm.exception

    def test_session_name(self):
        self.refused("ValidationError", "1 validation error detected: Value 'a' at 'roleSessionName' "
                     "failed to satisfy constraint: Member must have length greater than or equal to 2",
                     RoleSessionName="a")
        self.refused("ValidationError", RoleSessionName="xx" * 65)
        self.refused("ValidationError", "1 validation error detected: Value 'bad name' at "
                     "'roleSessionName' failed to satisfy constraint: Member must satisfy regular "
                     "expression pattern: [\\w+=,.@-]*", RoleSessionName="bad name")
        got = self.sts.assume_role(RoleArn=self.reader["arn"], RoleSessionName="a+=,.@-_9")
        self.assertTrue(got["AssumedRoleUser"]["Arn"].endswith("/reader/a+=,.@-_9"))

    def test_durations(self):
        self.refused("ValidationError", "1 validation error detected: Value '899' at 'durationSeconds' "
                     "failed to satisfy constraint: Member must have value greater than or equal to 900",
                     DurationSeconds=899)
        self.refused("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration "
                     "set for this role.", DurationSeconds=3601)
        self.refused("ValidationError", DurationSeconds=43201)
        self.iam.update_role(RoleName="reader", MaxSessionDuration=7200)
        try:
            got = self.sts.assume_role(RoleArn=self.reader["arn"], RoleSessionName="long",
                                       DurationSeconds=7200)
            left = got["Credentials"]["Expiration"].timestamp() - __import__("time").time()
            self.assertTrue(7100 < left <= 7200, left)
            # Role chaining: one hour at most.
            s = iam_base.assume(self.srv, self.reader["arn"], session_name="first")
            with self.assertRaises(ClientError) as cm:
                self.creds_client(s, "sts").assume_role(RoleArn=self.reader["arn"],
                                                        RoleSessionName="second", DurationSeconds=7200)
            self.assertEqual(cm.exception.response["Error"]["Message"],
                             "The requested DurationSeconds exceeds the 1 hour session limit for "
                             "roles assumed by role chaining.")
        finally:
            self.iam.update_role(RoleName="reader", MaxSessionDuration=3600)

    def test_policy_validation(self):
        e = self.refused("MalformedPolicyDocument", Policy="{not json")
        self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.refused("ValidationError", Policy=json.dumps(iam_base.allow("s3:GetObject", "arn:aws:s3:::" + "b" * 2100)))
        self.refused("ValidationError", PolicyArns=[{"arn": "arn:aws:iam::aws:policy/P%d" % i} for i in range(11)])
        self.refused("ValidationError", Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(51)])
        self.refused("InvalidParameterValue", TransitiveTagKeys=["absent"], Tags=[{"Key": "k", "Value": "v"}])

    def test_packed_policy_too_large(self):
        iam_base.role(self.srv, "tagged", trust=trust_of(ROOT_ARN, actions=("sts:AssumeRole", "sts:TagSession")))
        arn = "arn:aws:iam::%s:role/tagged" % ACCOUNT
        pol = json.dumps(iam_base.allow(["s3:GetObject"], ["arn:aws:s3:::b/" + "k" * 1900]))
        tags = [{"Key": "key%02d" % i, "Value": "v" * 200} for i in range(20)]
        with self.assertRaises(ClientError) as cm:
            self.sts.assume_role(RoleArn=arn, RoleSessionName="ss", Policy=pol, Tags=tags)
        self.assertEqual(cm.exception.response["Error"]["Code"], "PackedPolicyTooLarge")
        self.assertRegex(cm.exception.response["Error"]["Message"],
                         r"^Packed policy consumes \d+% of allotted space, please use smaller policy\.$")
        got = self.sts.assume_role(RoleArn=arn, RoleSessionName="ss", Policy=pol, Tags=tags[:2])
        self.assertTrue(0 < got["PackedPolicySize"] <= 100)


class SessionPermissions(StsCase):
    def test_session_policy_intersection(self):
        s = iam_base.assume(self.srv, self.reader["arn"], session_name="narrow",
                            policy=iam_base.allow("iam:ListRoles"))
        c = self.creds_client(s, "iam")
        c.list_roles()  # the role and the session policy allow it
        with self.assertRaises(ClientError) as cm:
            c.list_users()  # the role allows it, the session policy does not
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "AccessDenied")
        self.assertIn("because no session policy allows the iam:ListUsers action", err["Message"])
        # Without a session policy the session has the role's permissions.
        full = iam_base.assume(self.srv, self.reader["arn"], session_name="full")
        self.creds_client(full, "iam").list_users()
        # A permission the role lacks is not given by a session policy.
        wide = iam_base.assume(self.srv, self.reader["arn"], session_name="wide",
                               policy=iam_base.allow("iam:*"))
        with self.assertRaises(ClientError) as cm:
            self.creds_client(wide, "iam").list_groups()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")

    def test_policy_arns_limit_the_session(self):
        parn = iam_base.policy(self.srv, "only-list-roles", iam_base.allow("iam:ListRoles"))
        s = iam_base.assume(self.srv, self.reader["arn"], session_name="arns", policy_arns=[parn])
        c = self.creds_client(s, "iam")
        c.list_roles()
        with self.assertRaises(ClientError) as cm:
            c.list_users()
        self.assertIn("no session policy allows", cm.exception.response["Error"]["Message"])

    def test_session_tags_in_conditions(self):
        iam_base.role(self.srv, "team-role",
                      trust=trust_of(ROOT_ARN, actions=("sts:AssumeRole", "sts:TagSession",
                                                        "sts:SetSourceIdentity")),
                      policies=[iam_base.allow("iam:ListRoles", condition={
                          "StringEquals": {"aws:PrincipalTag/team": "blue"}}),
                          iam_base.allow("iam:ListUsers", condition={
                              "StringEquals": {"aws:SourceIdentity": "alice"}})])
        arn = "arn:aws:iam::%s:role/team-role" % ACCOUNT
        blue = iam_base.assume(self.srv, arn, session_name="bb", tags={"team": "blue"},
                               source_identity="alice")
        red = iam_base.assume(self.srv, arn, session_name="rr", tags={"team": "red"},
                              source_identity="bob")
        self.creds_client(blue, "iam").list_roles()
        self.creds_client(blue, "iam").list_users()
        for call in ("list_roles", "list_users"):
            with self.assertRaises(ClientError) as cm:
                getattr(self.creds_client(red, "iam"), call)()
            self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")

    def test_tag_session_needs_permission(self):
        with self.assertRaises(ClientError) as cm:  # reader's trust allows no sts:TagSession
            self.sts.assume_role(RoleArn=self.reader["arn"], RoleSessionName="tt",
                                 Tags=[{"Key": "team", "Value": "blue"}])
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))
        self.assertIn("sts:TagSession", cm.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as cm:
            self.sts.assume_role(RoleArn=self.reader["arn"], RoleSessionName="tt", SourceIdentity="alice")
        self.assertIn("sts:SetSourceIdentity", cm.exception.response["Error"]["Message"])

    def test_transitive_tags_carry_over_a_chain(self):
        iam_base.role(self.srv, "chain-a", trust=trust_of(ROOT_ARN, actions=("sts:AssumeRole", "sts:TagSession")),
                      policies=[iam_base.allow("sts:AssumeRole")])
        iam_base.role(self.srv, "chain-b", trust=trust_of(ROOT_ARN, actions=("sts:AssumeRole", "sts:TagSession")),
                      policies=[iam_base.allow("iam:ListRoles", condition={
                          "StringEquals": {"aws:PrincipalTag/project": "x"}})])
        a = self.sts.assume_role(RoleArn="arn:aws:iam::%s:role/chain-a" % ACCOUNT, RoleSessionName="aa",
                                 Tags=[{"Key": "project", "Value": "x"}, {"Key": "other", "Value": "y"}],
                                 TransitiveTagKeys=["project"])["Credentials"]
        ac = dict(access_key=a["AccessKeyId"], secret_key=a["SecretAccessKey"], session_token=a["SessionToken"])
        b = self.creds_client(ac, "sts").assume_role(RoleArn="arn:aws:iam::%s:role/chain-b" % ACCOUNT,
                                                     RoleSessionName="bb")["Credentials"]
        bc = dict(access_key=b["AccessKeyId"], secret_key=b["SecretAccessKey"], session_token=b["SessionToken"])
        self.creds_client(bc, "iam").list_roles()  # the transitive tag came along
        # Without the transitive key, the second session has no such tag.
        a2 = self.sts.assume_role(RoleArn="arn:aws:iam::%s:role/chain-a" % ACCOUNT, RoleSessionName="a2",
                                  Tags=[{"Key": "project", "Value": "x"}])["Credentials"]
        a2c = dict(access_key=a2["AccessKeyId"], secret_key=a2["SecretAccessKey"], session_token=a2["SessionToken"])
        b2 = self.creds_client(a2c, "sts").assume_role(RoleArn="arn:aws:iam::%s:role/chain-b" % ACCOUNT,
                                                       RoleSessionName="b2")["Credentials"]
        b2c = dict(access_key=b2["AccessKeyId"], secret_key=b2["SecretAccessKey"], session_token=b2["SessionToken"])
        with self.assertRaises(ClientError):
            self.creds_client(b2c, "iam").list_roles()

    def test_role_changes_reach_its_sessions(self):
        iam_base.role(self.srv, "short-lived", policies=[iam_base.allow("iam:ListRoles")])
        arn = "arn:aws:iam::%s:role/short-lived" % ACCOUNT
        s = iam_base.assume(self.srv, arn, session_name="ss")
        self.creds_client(s, "iam").list_roles()
        for name in self.iam.list_role_policies(RoleName="short-lived")["PolicyNames"]:
            self.iam.delete_role_policy(RoleName="short-lived", PolicyName=name)
        with self.assertRaises(ClientError) as cm:  # the change takes effect on the next request
            self.creds_client(s, "iam").list_roles()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
        # A deleted role leaves its sessions authenticated, with no permissions.
        self.iam.delete_role(RoleName="short-lived")
        self.assertEqual(self.creds_client(s, "sts").get_caller_identity()["Arn"],
                         "arn:aws:sts::%s:assumed-role/short-lived/ss" % ACCOUNT)
        with self.assertRaises(ClientError) as cm:
            self.creds_client(s, "iam").list_roles()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")

    def test_user_key_signs_with_its_policies(self):
        u = iam_base.user(self.srv, "lister", policies=[iam_base.allow("iam:ListRoles")])
        c = self.creds_client(u, "iam")
        c.list_roles()
        with self.assertRaises(ClientError) as cm:
            c.list_users()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
        self.assertIn("User: %s is not authorized to perform: iam:ListUsers" % u["arn"],
                      cm.exception.response["Error"]["Message"])
        # GetAccessKeyInfo needs sts:GetAccessKeyInfo.
        with self.assertRaises(ClientError) as cm:
            self.creds_client(u, "sts").get_access_key_info(AccessKeyId=u["access_key"])
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))
        self.assertEqual(self.sts.get_access_key_info(AccessKeyId=u["access_key"])["Account"], ACCOUNT)
        # A deactivated key stops signing on the next request.
        self.creds_client(u, "sts").get_caller_identity()
        self.iam.update_access_key(UserName="lister", AccessKeyId=u["access_key"], Status="Inactive")
        with self.assertRaises(ClientError) as cm:
            self.creds_client(u, "sts").get_caller_identity()
        self.assertEqual(code_of(cm.exception), ("InvalidClientTokenId", 403))


class EveryProtocol(StsCase):
    """Session and IAM user credentials are accepted by every protocol, headers and presigned."""

    def check_all(self, creds):
        c = lambda svc, **cfg: self.creds_client(creds, svc, **cfg)  # noqa: E731
        c("dynamodb").list_tables()
        s3 = c("s3", signature_version="s3v4")
        s3.list_buckets()
        self.srv.client("s3").create_bucket(Bucket="every")
        self.srv.client("s3").put_object(Bucket="every", Key="k", Body=b"hello")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "every", "Key": "k"}, ExpiresIn=300)
        if creds.get("session_token"):
            self.assertIn("X-Amz-Security-Token=", url)
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(r.read(), b"hello")
        c("lambda").list_functions()
        c("sqs").list_queues()
        c("sns").list_topics()
        c("events").list_event_buses()
        c("logs").describe_log_groups()
        c("dynamodbstreams").list_streams()

    def test_role_session(self):
        iam_base.role(self.srv, "everything", policies=[iam_base.allow("*")])
        s = iam_base.assume(self.srv, "arn:aws:iam::%s:role/everything" % ACCOUNT, session_name="all")
        self.check_all(s)

    def test_user_key(self):
        self.check_all(iam_base.user(self.srv, "everything", policies=[iam_base.allow("*")]))


class Clients(StsCase):
    def test_aws_cli(self):
        p = self.srv.aws("sts", "get-caller-identity")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["Arn"], ROOT_ARN)
        p = self.srv.aws("sts", "assume-role", "--role-arn", self.reader["arn"], "--role-session-name", "cli",
                         "--duration-seconds", "900")
        self.assertEqual(p.returncode, 0, p.stderr)
        got = json.loads(p.stdout)
        self.assertEqual(got["AssumedRoleUser"]["Arn"], "arn:aws:sts::%s:assumed-role/reader/cli" % ACCOUNT)
        self.assertTrue(got["Credentials"]["AccessKeyId"].startswith("ASIA"))
        p = self.srv.aws("sts", "assume-role", "--role-arn", self.reader["arn"], "--role-session-name", "xx")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.srv.aws("sts", "assume-role", "--role-arn", "arn:aws:iam::%s:role/absent" % ACCOUNT,
                         "--role-session-name", "xx")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("AccessDenied", p.stderr)

    def test_debian_boto3(self):
        if not os.path.exists("/usr/bin/python3"):
            self.skipTest("no /usr/bin/python3")
        script = """
import sys, boto3
from botocore.config import Config
ep, role = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=ep, region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
sts = boto3.client("sts", aws_access_key_id="test", aws_secret_access_key="test", **kw)
c = sts.assume_role(RoleArn=role, RoleSessionName="deb", DurationSeconds=900)["Credentials"]
s = boto3.client("sts", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                 aws_session_token=c["SessionToken"], **kw)
print(s.get_caller_identity()["Arn"])
print(boto3.__version__)
"""
        p = subprocess.run(["/usr/bin/python3", "-c", script, self.srv.endpoint, self.reader["arn"]],
                           capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=""))
        if "No module named 'boto3'" in p.stderr:
            self.skipTest("Debian's boto3 is not installed")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split("\n")[0], "arn:aws:sts::%s:assumed-role/reader/deb" % ACCOUNT)

    def test_query_errors(self):
        # An unknown action and version, with STS's error document.
        sts = self.srv.client("sts")
        sts = self.srv.client("sts", parameter_validation=False)
        with self.assertRaises(ClientError) as cm:
            sts.assume_role(RoleArn="short", RoleSessionName="ss")
        self.assertEqual(code_of(cm.exception), ("ValidationError", 400))


if __name__ == "__main__":
    unittest.main()
