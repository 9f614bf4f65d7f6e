# SPDX-License-Identifier: Apache-2.0
"""Issue 15 security review: defects found in the merged identity and access work, each shown
failing before its fix (sessions outliving the principal they were issued for)."""
import io
import json
import time
import unittest
import zipfile

from botocore.exceptions import ClientError

import iam_base
from stratus_fixture import Server


def refused_code(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


class SessionsOfRecreatedPrincipals(unittest.TestCase):
    """A session belongs to the principal it was issued for, not to whoever holds the name
    later: AWS tells a user or role recreated under the same name by its new unique id."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.iam = cls.srv.client("iam")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_get_session_token_of_a_deleted_user_stays_dead(self):
        u = iam_base.user(self.srv, "gone", policies=[iam_base.allow("sqs:ListQueues")])
        c = iam_base.client(self.srv, u, "sts").get_session_token()["Credentials"]
        sess = {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"],
                "session_token": c["SessionToken"]}
        iam_base.client(self.srv, sess, "sqs").list_queues()
        self.iam.delete_user_policy(UserName="gone", PolicyName="inline0")
        self.iam.delete_access_key(UserName="gone", AccessKeyId=u["access_key"])
        self.iam.delete_user(UserName="gone")
        self.assertIsNotNone(refused_code(iam_base.client(self.srv, sess, "sqs").list_queues))
        # Someone else gets the name (and more permissions): the old session is not theirs.
        iam_base.user(self.srv, "gone", policies=[iam_base.allow("*")])
        code = refused_code(iam_base.client(self.srv, sess, "sqs").list_queues)
        self.assertIn(code, ("InvalidClientTokenId", "UnrecognizedClientException"))

    def test_role_session_of_a_deleted_role_gets_nothing_from_its_successor(self):
        r = iam_base.role(self.srv, "phoenix", policies=[iam_base.allow("sqs:ListQueues")])
        sess = iam_base.assume(self.srv, r["arn"])
        iam_base.client(self.srv, sess, "sqs").list_queues()
        self.iam.delete_role_policy(RoleName="phoenix", PolicyName="inline0")
        self.iam.delete_role(RoleName="phoenix")
        iam_base.role(self.srv, "phoenix", policies=[iam_base.allow("*")])
        iam_base.denied(iam_base.client(self.srv, sess, "sqs").list_queues)
        iam_base.denied(iam_base.client(self.srv, sess, "iam").create_user, UserName="takeover")
        # A session of the new role has the new role's permissions.
        fresh = iam_base.assume(self.srv, r["arn"], session_name="new")
        iam_base.client(self.srv, fresh, "sqs").list_queues()


class RootSessionToken(unittest.TestCase):
    """GetSessionToken credentials without MFA cannot call IAM, the root's included (AWS): a
    leaked root session token must not be able to mint long-term keys."""

    def test_root_session_cannot_call_iam(self):
        srv = Server().start()
        try:
            c = srv.client("sts").get_session_token()["Credentials"]
            sess = {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"],
                    "session_token": c["SessionToken"]}
            iam = iam_base.client(srv, sess, "iam")
            self.assertEqual(refused_code(iam.create_user, UserName="persist"), "AccessDenied")
            self.assertEqual(refused_code(iam.list_users), "AccessDenied")
            self.assertEqual(srv.client("iam").list_users()["Users"], [])
            # Everything else is still the root's.
            iam_base.client(srv, sess, "sqs").list_queues()
        finally:
            srv.cleanup()


class PutEventsBusArn(unittest.TestCase):
    """PutEvents read an entry's EventBusName ARN without checking its service while the
    authorization skipped such an entry as invalid: arn:aws:sqs:...:event-bus/<bus> put events
    on a bus the caller may not send to."""

    def test_foreign_service_arn_names_no_bus(self):
        srv = Server().start()
        try:
            ev, sqs = srv.client("events"), srv.client("sqs")
            ev.create_event_bus(Name="private")
            q = sqs.create_queue(QueueName="sink")["QueueUrl"]
            qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])[
                "Attributes"]["QueueArn"]
            sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage", "Resource": qarn}]})})
            ev.put_rule(Name="r", EventBusName="private", EventPattern='{"source":["evil"]}')
            ev.put_targets(Rule="r", EventBusName="private", Targets=[{"Id": "1", "Arn": qarn}])
            u = iam_base.user(srv, "pub", policies=[iam_base.allow(
                "events:PutEvents",
                f"arn:aws:events:us-east-1:{iam_base.ACCOUNT}:event-bus/default")])
            c = iam_base.client(srv, u, "events")
            entry = {"Source": "evil", "DetailType": "d", "Detail": "{}"}
            iam_base.denied(c.put_events, Entries=[{**entry, "EventBusName": "private"}])
            for svc in ("sqs", "lambda", "s3"):
                arn = f"arn:aws:{svc}:us-east-1:{iam_base.ACCOUNT}:event-bus/private"
                got = c.put_events(Entries=[{**entry, "EventBusName": arn}])
                self.assertEqual(got["FailedEntryCount"], 1, got)
                self.assertEqual(got["Entries"][0]["ErrorCode"], "InvalidArgument")
            c.put_events(Entries=[entry])  # the default bus: allowed
            time.sleep(1)
            got = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1).get("Messages", [])
            self.assertEqual(got, [], "nothing reached the private bus's rule")
        finally:
            srv.cleanup()


class LambdaFunctionArnForms(unittest.TestCase):
    """Lambda resolves a function from its name however the ARN around it is written; the
    authorization asked about the ARN as written: TagResource and ListTags with another
    region's or account's ARN, and CreateEventSourceMapping's lambda:FunctionArn of a partial
    ARN, escaped a Deny on the function (retagging defeats aws:ResourceTag policies)."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w") as z:
            z.writestr("index.py", "def handler(e, c):\n    return 1\n")
        cls.srv.client("lambda").create_function(
            FunctionName="victim", Runtime="python3.12", Role=cls.srv.lambda_role(),
            Handler="index.handler", Code={"ZipFile": b.getvalue()}, Tags={"owner": "admin"})
        sqs = cls.srv.client("sqs")
        q = sqs.create_queue(QueueName="src")["QueueUrl"]
        cls.qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        cls.arn = f"arn:aws:lambda:us-east-1:{iam_base.ACCOUNT}:function:victim"
        u = iam_base.user(cls.srv, "dev", policies=[{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "lambda:*", "Resource": [cls.arn, cls.arn + ":*"]},
            {"Effect": "Deny", "Action": "lambda:CreateEventSourceMapping", "Resource": "*",
             "Condition": {"ArnLike": {"lambda:FunctionArn": [cls.arn, cls.arn + ":*"]}}}]}])
        cls.lam = iam_base.client(cls.srv, u, "lambda")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_tags_of_another_regions_or_accounts_arn(self):
        for arn in (self.arn, self.arn.replace("us-east-1", "eu-west-1"),
                    self.arn.replace(iam_base.ACCOUNT, "111111111111")):
            iam_base.denied(self.lam.tag_resource, Resource=arn, Tags={"owner": "dev"})
            iam_base.denied(self.lam.untag_resource, Resource=arn, TagKeys=["owner"])
            iam_base.denied(self.lam.list_tags, Resource=arn)
        tags = self.srv.client("lambda").list_tags(Resource=self.arn)["Tags"]
        self.assertEqual(tags, {"owner": "admin"})

    def test_event_source_mapping_function_arn_forms(self):
        for fn in ("victim", f"{iam_base.ACCOUNT}:function:victim", "victim:$LATEST",
                   self.arn.replace("us-east-1", "eu-west-1")):
            iam_base.denied(self.lam.create_event_source_mapping, EventSourceArn=self.qarn,
                            FunctionName=fn)
        got = self.srv.client("lambda").list_event_source_mappings()["EventSourceMappings"]
        self.assertEqual(got, [])


    def test_layer_version_by_arn_of_another_region_or_account(self):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w") as z:
            z.writestr("python/secret.py", "KEY = 'x'\n")
        arn = self.srv.client("lambda").publish_layer_version(
            LayerName="secretlayer", Content={"ZipFile": b.getvalue()})["LayerVersionArn"]
        layer = arn.rsplit(":", 1)[0]
        u = iam_base.user(self.srv, "layers", policies=[{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "lambda:*", "Resource": [layer, layer + ":*"]}]}])
        lam = iam_base.client(self.srv, u, "lambda")
        for a in (arn, arn.replace("us-east-1", "eu-west-1"),
                  arn.replace(iam_base.ACCOUNT, "111111111111")):
            iam_base.denied(lam.get_layer_version_by_arn, Arn=a)


class IamConditionKeys(unittest.TestCase):
    """IAM gave no iam:PolicyARN or iam:PermissionsBoundary: AWS's guardrail "deny attaching
    AdministratorAccess" never matched (a user allowed to attach policies to itself became an
    administrator), and delegating CreateUser on condition of a boundary was impossible."""

    def test_policy_arn_and_permissions_boundary(self):
        srv = Server().start()
        try:
            adm = "arn:aws:iam::aws:policy/AdministratorAccess"
            bnd = iam_base.policy(srv, "bnd", iam_base.allow("s3:GetObject"))
            u = iam_base.user(srv, "selfsvc", policies=[{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["iam:AttachUserPolicy", "iam:DetachUserPolicy",
                                               "iam:CreateUser", "iam:PutUserPermissionsBoundary"],
                 "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:AttachUserPolicy", "Resource": "*",
                 "Condition": {"ArnEquals": {"iam:PolicyARN": adm}}},
                {"Effect": "Deny", "Action": ["iam:CreateUser", "iam:PutUserPermissionsBoundary"],
                 "Resource": "*",
                 "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": bnd}}}]}])
            iam = iam_base.client(srv, u, "iam")
            iam_base.denied(iam.attach_user_policy, UserName="selfsvc", PolicyArn=adm)
            iam_base.denied(iam_base.client(srv, u, "sqs").list_queues)
            ro = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
            iam.attach_user_policy(UserName="selfsvc", PolicyArn=ro)
            iam.detach_user_policy(UserName="selfsvc", PolicyArn=ro)
            iam.create_user(UserName="bounded", PermissionsBoundary=bnd)
            iam_base.denied(iam.create_user, UserName="unbounded")
            other = iam_base.policy(srv, "wide", iam_base.allow("*"))
            iam_base.denied(iam.put_user_permissions_boundary, UserName="bounded",
                            PermissionsBoundary=other)
            iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=bnd)
        finally:
            srv.cleanup()


    def test_tags_of_users_and_roles(self):
        """aws:ResourceTag, aws:RequestTag and aws:TagKeys on IAM's own users and roles: a Deny
        protecting what is tagged protected=true never matched (its trust policy could be
        rewritten and the role assumed, keys made for its users)."""
        srv = Server().start()
        try:
            iam_base.role(srv, "breakglass", policies=[iam_base.allow("*")],
                          tags={"protected": "true"})
            iam_base.user(srv, "boss", tags={"protected": "true"})
            iam_base.user(srv, "plain", tags={"team": "ops"})
            u = iam_base.user(srv, "ops", policies=[{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:ResourceTag/protected": "true"}}},
                {"Effect": "Deny", "Action": ["iam:TagRole", "iam:TagUser", "iam:CreateRole",
                                              "iam:CreateUser"], "Resource": "*",
                 "Condition": {"StringEquals": {"aws:RequestTag/protected": "true"}}},
                {"Effect": "Deny", "Action": ["iam:UntagRole", "iam:UntagUser"], "Resource": "*",
                 "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["protected"]}}}]}])
            iam = iam_base.client(srv, u, "iam")
            iam_base.denied(iam.update_assume_role_policy, RoleName="breakglass",
                            PolicyDocument=json.dumps(iam_base.DEFAULT_TRUST))
            iam_base.denied(iam.create_access_key, UserName="boss")
            iam_base.denied(iam.untag_user, UserName="plain", TagKeys=["protected"])
            iam_base.denied(iam.tag_user, UserName="plain",
                            Tags=[{"Key": "protected", "Value": "true"}])
            iam_base.denied(iam.create_role, RoleName="x1",
                            AssumeRolePolicyDocument=json.dumps(iam_base.DEFAULT_TRUST),
                            Tags=[{"Key": "protected", "Value": "true"}])
            # what is not protected stays manageable
            iam.create_access_key(UserName="plain")
            iam.tag_user(UserName="plain", Tags=[{"Key": "team", "Value": "dev"}])
            iam.untag_user(UserName="plain", TagKeys=["team"])
            iam.create_role(RoleName="x2", AssumeRolePolicyDocument=json.dumps(
                iam_base.DEFAULT_TRUST), Tags=[{"Key": "team", "Value": "ops"}])
            # sts:AssumeRole sees the role's tags too
            assumer = iam_base.user(srv, "assumer", policies=[{"Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
                    {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*",
                     "Condition": {"StringEquals": {"aws:ResourceTag/protected": "true"}}}]}])
            role_arn = f"arn:aws:iam::{iam_base.ACCOUNT}:role/"
            self.assertEqual(refused_code(iam_base.assume, srv, role_arn + "breakglass",
                                          assumer), "AccessDenied")
            iam_base.assume(srv, role_arn + "x2", assumer)
        finally:
            srv.cleanup()


class KeyLastUsed(unittest.TestCase):
    """GetAccessKeyLastUsed recorded a key as used before its signature was checked: anyone
    knowing a key id (it is in logs, URLs, error messages) made an idle key look in use."""

    def test_a_forged_signature_is_no_use(self):
        srv = Server().start()
        try:
            import boto3
            u = iam_base.user(srv, "idle", policies=[iam_base.allow("sqs:ListQueues")])
            iam = srv.client("iam")
            forged = boto3.client("sqs", endpoint_url=srv.endpoint, region_name="us-east-1",
                                  aws_access_key_id=u["access_key"],
                                  aws_secret_access_key="not-the-secret")
            self.assertIsNotNone(refused_code(forged.list_queues))
            forged_s3 = boto3.client("s3", endpoint_url=srv.endpoint, region_name="us-east-1",
                                     aws_access_key_id=u["access_key"],
                                     aws_secret_access_key="not-the-secret")
            self.assertIsNotNone(refused_code(forged_s3.list_buckets))
            got = iam.get_access_key_last_used(AccessKeyId=u["access_key"])["AccessKeyLastUsed"]
            self.assertNotIn("LastUsedDate", got)
            iam_base.client(srv, u, "sqs").list_queues()
            got = iam.get_access_key_last_used(AccessKeyId=u["access_key"])["AccessKeyLastUsed"]
            self.assertIn("LastUsedDate", got)
            self.assertEqual(got["ServiceName"], "sqs")
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
