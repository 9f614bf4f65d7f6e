# SPDX-License-Identifier: Apache-2.0
"""`stratus iam` (client/cli_iam.c): a least-privilege key in one command, used by boto3 and the
AWS CLI, then removed (issue 15)."""
import json
import os
import subprocess
import tempfile
import unittest

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from stratus_fixture import AWS_CLI, STRATUS_CLI, Server

TABLE_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/orders"


class IamCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        ddb = cls.srv.client("dynamodb")
        for name in ("orders", "payroll"):
            ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def keys(self, out):
        env = {}
        for line in out.splitlines():
            self.assertTrue(line.startswith("export "), line)
            k, v = line[len("export "):].split("=", 1)
            env[k] = v
        self.assertTrue(env["AWS_ACCESS_KEY_ID"].startswith("AKIA"))
        self.assertEqual(len(env["AWS_SECRET_ACCESS_KEY"]), 40)
        return env

    def ddb_as(self, env):
        return boto3.client("dynamodb", endpoint_url=self.srv.endpoint, region_name="us-east-1",
                            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                            config=Config(retries={"max_attempts": 1}))

    def test_create_user_with_allow_pairs_then_delete(self):
        r = self.srv.cli("iam", "create-user", "app",
                         "--allow", "dynamodb:PutItem,dynamodb:GetItem", "--on", TABLE_ARN)
        self.assertEqual(r.returncode, 0, r.stderr)
        env = self.keys(r.stdout)
        ddb = self.ddb_as(env)
        ddb.put_item(TableName="orders", Item={"pk": {"S": "1"}})
        self.assertIn("Item", ddb.get_item(TableName="orders", Key={"pk": {"S": "1"}}))
        with self.assertRaises(ClientError) as e:
            ddb.put_item(TableName="payroll", Item={"pk": {"S": "1"}})
        self.assertEqual(e.exception.response["Error"]["Code"], "AccessDeniedException")
        self.assertIn("user/app is not authorized to perform: dynamodb:PutItem on resource: "
                      "arn:aws:dynamodb:us-east-1:000000000000:table/payroll",
                      e.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError):
            ddb.delete_item(TableName="orders", Key={"pk": {"S": "1"}})

        # whoami answers as the key's user; the AWS CLI uses the same key.
        who = subprocess.run([STRATUS_CLI, "--endpoint", self.srv.endpoint, "iam", "whoami"],
                             capture_output=True, text=True, timeout=30,
                             env=dict(os.environ, AWS_ACCESS_KEY_ID=env["AWS_ACCESS_KEY_ID"],
                                      AWS_SECRET_ACCESS_KEY=env["AWS_SECRET_ACCESS_KEY"]))
        self.assertEqual(who.stdout.strip(), "arn:aws:iam::000000000000:user/app", who.stderr)
        cli = subprocess.run([AWS_CLI, "--endpoint-url", self.srv.endpoint, "--region", "us-east-1",
                              "dynamodb", "get-item", "--table-name", "orders", "--key",
                              '{"pk":{"S":"1"}}'], capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, AWS_ACCESS_KEY_ID=env["AWS_ACCESS_KEY_ID"],
                                      AWS_SECRET_ACCESS_KEY=env["AWS_SECRET_ACCESS_KEY"]))
        self.assertEqual(cli.returncode, 0, cli.stderr)
        self.assertEqual(json.loads(cli.stdout)["Item"]["pk"]["S"], "1")

        r = self.srv.cli("iam", "delete-user", "app")
        self.assertEqual(r.returncode, 0, r.stderr)
        with self.assertRaises(ClientError) as e:
            ddb.get_item(TableName="orders", Key={"pk": {"S": "1"}})
        self.assertEqual(e.exception.response["Error"]["Code"], "UnrecognizedClientException")
        with self.assertRaises(ClientError) as e:
            self.srv.client("iam").get_user(UserName="app")
        self.assertEqual(e.exception.response["Error"]["Code"], "NoSuchEntity")

    def test_policy_file_managed_policy_and_group(self):
        iam = self.srv.client("iam")
        iam.create_group(GroupName="readers")
        doc = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": TABLE_ARN}]}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(doc, f)
        try:
            r = self.srv.cli("iam", "create-user", "ci", "--policy-file", f.name,
                             "--attach", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
                             "--group", "readers")
        finally:
            os.unlink(f.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        env = self.keys(r.stdout)
        name = os.path.basename(f.name)[:-len(".json")]
        self.assertEqual(iam.list_user_policies(UserName="ci")["PolicyNames"], [name])
        self.assertEqual([p["PolicyArn"] for p in
                          iam.list_attached_user_policies(UserName="ci")["AttachedPolicies"]],
                         ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"])
        self.assertEqual([g["GroupName"] for g in iam.list_groups_for_user(UserName="ci")["Groups"]],
                         ["readers"])
        ddb = self.ddb_as(env)
        ddb.scan(TableName="orders")
        with self.assertRaises(ClientError):
            ddb.scan(TableName="payroll")
        r = self.srv.cli("iam", "delete-user", "ci")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(iam.get_group(GroupName="readers")["Users"], [])

    def test_bad_usage_and_errors(self):
        r = self.srv.cli("iam", "create-user", "x", "--allow", "dynamodb:GetItem")
        self.assertEqual(r.returncode, 2)
        self.assertIn("needs --on", r.stderr)
        r = self.srv.cli("iam", "create-user", "x", "--on", TABLE_ARN)
        self.assertEqual(r.returncode, 2)
        with self.assertRaises(ClientError):
            self.srv.client("iam").get_user(UserName="x")  # nothing was created
        r = self.srv.cli("iam", "create-user", "bad name!")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ValidationError", r.stderr)
        r = self.srv.cli("iam", "create-user", "y", "--allow", "notavendor", "--on", "*")
        self.assertEqual(r.returncode, 1)
        self.assertIn("MalformedPolicyDocument", r.stderr)
        r = self.srv.cli("iam", "delete-user", "nobody")
        self.assertEqual(r.returncode, 1)
        self.assertIn("NoSuchEntity", r.stderr)


if __name__ == "__main__":
    unittest.main()
