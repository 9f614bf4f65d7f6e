# SPDX-License-Identifier: Apache-2.0
"""The AWS CLI against stratusd: aws dynamodb, aws s3, aws s3api."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from stratus_fixture import Server

AWS = os.environ.get("AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"


class AwsCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                       AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                       AWS_SHARED_CREDENTIALS_FILE="/dev/null")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def aws(self, *args, ok=True):
        p = subprocess.run([AWS, "--endpoint-url", self.srv.endpoint] + list(args), env=self.env,
                           capture_output=True, text=True, timeout=120)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def test_dynamodb(self):
        p = self.aws("dynamodb", "create-table", "--table-name", "cli-table",
                     "--attribute-definitions", "AttributeName=id,AttributeType=S",
                     "--key-schema", "AttributeName=id,KeyType=HASH",
                     "--billing-mode", "PAY_PER_REQUEST", "--output", "json")
        self.assertEqual(json.loads(p.stdout)["TableDescription"]["TableStatus"], "ACTIVE")
        self.aws("dynamodb", "wait", "table-exists", "--table-name", "cli-table")
        p = self.aws("dynamodb", "list-tables", "--output", "json")
        self.assertIn("cli-table", json.loads(p.stdout)["TableNames"])
        p = self.aws("dynamodb", "describe-table", "--table-name", "cli-table", "--output", "json")
        self.assertEqual(json.loads(p.stdout)["Table"]["KeySchema"][0]["AttributeName"], "id")
        p = self.aws("dynamodb", "describe-table", "--table-name", "no-such-table", ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ResourceNotFoundException", p.stderr)
        self.aws("dynamodb", "delete-table", "--table-name", "cli-table")

    def test_s3(self):
        p = self.aws("s3", "mb", "s3://cli-bucket")
        self.assertIn("make_bucket: cli-bucket", p.stdout)
        p = self.aws("s3", "ls")
        self.assertIn("cli-bucket", p.stdout)
        p = self.aws("s3api", "head-bucket", "--bucket", "cli-bucket", "--output", "json")
        p = self.aws("s3api", "get-bucket-location", "--bucket", "cli-bucket", "--output", "json")
        self.assertIsNone(json.loads(p.stdout)["LocationConstraint"])
        p = self.aws("s3api", "create-bucket", "--bucket", "Bad_Name", ok=False)
        self.assertIn("InvalidBucketName", p.stderr)
        p = self.aws("s3", "rb", "s3://cli-bucket")
        self.assertIn("remove_bucket: cli-bucket", p.stdout)
        p = self.aws("s3", "ls")
        self.assertNotIn("cli-bucket", p.stdout)

    def test_s3api_versioning_and_bucket_config(self):
        self.aws("s3api", "create-bucket", "--bucket", "cli-versions")
        self.aws("s3api", "put-bucket-versioning", "--bucket", "cli-versions",
                 "--versioning-configuration", "Status=Enabled")
        p = self.aws("s3api", "get-bucket-versioning", "--bucket", "cli-versions", "--output", "json")
        self.assertEqual(json.loads(p.stdout)["Status"], "Enabled")
        ids = []
        for body in ("one", "two"):
            with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
                f.write(body)
                f.flush()
                p = self.aws("s3api", "put-object", "--bucket", "cli-versions", "--key", "k", "--body", f.name,
                             "--metadata", f"v={body}", "--output", "json")
            ids.append(json.loads(p.stdout)["VersionId"])
        p = self.aws("s3api", "list-object-versions", "--bucket", "cli-versions", "--output", "json")
        self.assertEqual([v["VersionId"] for v in json.loads(p.stdout)["Versions"]], ids[::-1])
        p = self.aws("s3api", "head-object", "--bucket", "cli-versions", "--key", "k", "--version-id", ids[0],
                     "--output", "json")
        self.assertEqual(json.loads(p.stdout)["Metadata"], {"v": "one"})
        cors = json.dumps({"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})
        self.aws("s3api", "put-bucket-cors", "--bucket", "cli-versions", "--cors-configuration", cors)
        p = self.aws("s3api", "get-bucket-cors", "--bucket", "cli-versions", "--output", "json")
        self.assertEqual(json.loads(p.stdout)["CORSRules"][0]["AllowedMethods"], ["GET"])
        lc = json.dumps({"Rules": [{"ID": "old", "Filter": {"Prefix": ""}, "Status": "Enabled",
                                    "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})
        self.aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", "cli-versions",
                 "--lifecycle-configuration", lc)
        p = self.aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", "cli-versions", "--output", "json")
        self.assertEqual(json.loads(p.stdout)["Rules"][0]["NoncurrentVersionExpiration"]["NoncurrentDays"], 30)
        p = self.aws("s3api", "get-bucket-policy", "--bucket", "cli-versions", ok=False)
        self.assertIn("NoSuchBucketPolicy", p.stderr)

    def test_wrong_secret(self):
        env = dict(self.env, AWS_SECRET_ACCESS_KEY="nope")
        p = subprocess.run([AWS, "--endpoint-url", self.srv.endpoint, "dynamodb", "list-tables"],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("InvalidSignatureException", p.stderr)


if __name__ == "__main__":
    unittest.main()
