# SPDX-License-Identifier: Apache-2.0
"""Function execution roles (issue 15, package T): CreateFunction and
UpdateFunctionConfiguration refuse a role that does not exist or does not trust
lambda.amazonaws.com; a function's instances run as a session of their role named after the
function, with the role's permissions only (a call the role allows succeeds from inside the
function, one it does not is refused with AccessDenied)."""
import json
import unittest

from botocore.exceptions import ClientError

import iam_base
from stratus_fixture import Server, zip_of

ACCOUNT = "000000000000"
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
EC2_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
CANNOT = "The role defined for the function cannot be assumed by Lambda."

PROBE_PY = """
import os, boto3
from botocore.exceptions import ClientError
def handler(event, context):
    ep = os.environ["AWS_ENDPOINT_URL"]
    out = {"arn": boto3.client("sts", endpoint_url=ep).get_caller_identity()["Arn"]}
    def attempt(name, fn):
        try:
            fn()
            out[name] = "ok"
        except ClientError as e:
            out[name] = e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"]
    iam = boto3.client("iam", endpoint_url=ep)
    ddb = boto3.client("dynamodb", endpoint_url=ep)
    attempt("list_roles", iam.list_roles)
    attempt("list_users", iam.list_users)
    attempt("put_allowed", lambda: ddb.put_item(TableName="allowed", Item={"pk": {"S": "x"}}))
    attempt("put_other", lambda: ddb.put_item(TableName="other", Item={"pk": {"S": "x"}}))
    return out
"""


class FunctionRoles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.lam = cls.srv.client("lambda")
        cls.iam = cls.srv.client("iam")
        ddb = cls.srv.client("dynamodb")
        for t in ("allowed", "other"):
            ddb.create_table(TableName=t, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def create(self, name, role):
        return self.lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                        Handler="app.handler", Timeout=30,
                                        Code={"ZipFile": zip_of({"app.py": PROBE_PY})})

    def refused(self, fn, *args, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kw)
        err = cm.exception.response["Error"]
        self.assertEqual((err["Code"], err["Message"]), ("InvalidParameterValueException", CANNOT))
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)

    def test_missing_and_untrusting_roles_are_refused(self):
        self.refused(self.create, "no-role", "arn:aws:iam::%s:role/does-not-exist" % ACCOUNT)
        ec2 = self.iam.create_role(RoleName="ec2-only", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
        self.refused(self.create, "ec2-role", ec2["Role"]["Arn"])
        ok = self.iam.create_role(RoleName="fn-ok", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
        got = self.create("good-role", ok["Role"]["Arn"])
        self.assertEqual(got["Role"], ok["Role"]["Arn"])
        self.refused(self.lam.update_function_configuration, FunctionName="good-role",
                     Role=ec2["Role"]["Arn"])
        self.refused(self.lam.update_function_configuration, FunctionName="good-role",
                     Role="arn:aws:iam::%s:role/gone" % ACCOUNT)
        other = self.iam.create_role(RoleName="fn-ok-2", Path="/service-role/",
                                     AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
        got = self.lam.update_function_configuration(FunctionName="good-role", Role=other["Role"]["Arn"])
        self.assertEqual(got["Role"], other["Role"]["Arn"])
        self.assertIn("/service-role/fn-ok-2", got["Role"])
        # Neither refusal left a function behind.
        names = {f["FunctionName"] for f in self.lam.list_functions()["Functions"]}
        self.assertNotIn("no-role", names)
        self.assertNotIn("ec2-role", names)

    def test_function_runs_with_its_roles_permissions(self):
        role = self.srv.lambda_role("put-one", policy={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:PutItem",
             "Resource": "arn:aws:dynamodb:us-east-1:%s:table/allowed" % ACCOUNT},
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})
        self.create("probe", role)
        r = self.lam.invoke(FunctionName="probe", Payload=b"{}")
        out = json.loads(r["Payload"].read())
        self.assertNotIn("FunctionError", r, out)
        # A session of its role, named after the function.
        self.assertEqual(out["arn"], "arn:aws:sts::%s:assumed-role/put-one/probe" % ACCOUNT)
        self.assertEqual(out["list_roles"], "ok")
        self.assertTrue(out["list_users"].startswith("AccessDenied: User: arn:aws:sts::%s:assumed-role/"
                                                     "put-one/probe is not authorized to perform: "
                                                     "iam:ListUsers" % ACCOUNT), out)
        self.assertEqual(out["put_allowed"], "ok")
        # The role allows one table: PutItem on another is refused inside the function.
        self.assertTrue(out["put_other"].startswith("AccessDeniedException: "), out)
        self.assertIn("dynamodb:PutItem", out["put_other"])

    def test_role_change_reaches_running_instances(self):
        role = self.srv.lambda_role("changing", policy=iam_base.allow("iam:ListRoles"))
        self.create("changing-fn", role)
        out = json.loads(self.lam.invoke(FunctionName="changing-fn", Payload=b"{}")["Payload"].read())
        self.assertEqual(out["list_roles"], "ok")
        self.assertTrue(out["list_users"].startswith("AccessDenied"), out)
        # The role's permissions change: the same warm instance's next calls see it.
        self.iam.put_role_policy(RoleName="changing", PolicyName="lambda-role",
                                 PolicyDocument=json.dumps(iam_base.allow(["iam:ListRoles", "iam:ListUsers"])))
        out = json.loads(self.lam.invoke(FunctionName="changing-fn", Payload=b"{}")["Payload"].read())
        self.assertEqual(out["list_users"], "ok")


if __name__ == "__main__":
    unittest.main()
