# SPDX-License-Identifier: Apache-2.0
"""Lambda function management through boto3 and the AWS CLI: CreateFunction (a zip, or code
from Stratus's own S3), Get/List/Update/Delete, reserved concurrency, Lambda's errors; the
code survives kill -9."""
import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import unittest
import zipfile

from botocore.exceptions import ClientError

from stratus_fixture import Server

AWS = os.environ.get("AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"
ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def code(e):
    return e.exception.response["Error"]["Code"]


def msg(e):
    return e.exception.response["Error"]["Message"]


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


BOOTSTRAP = zip_of({"bootstrap": "#!/bin/sh\necho hi\n"})
PYTHON = zip_of({"app.py": "def handler(event, context):\n    return {'ok': True}\n"})


class Lambda(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.lam = cls.srv.client("lambda")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def create(self, name, **kw):
        args = dict(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="bootstrap",
                    Code={"ZipFile": BOOTSTRAP})
        args.update(kw)
        return self.lam.create_function(**args)

    def test_create_get_list_update_delete(self):
        r = self.create("fn-one", Description="first", Timeout=30, MemorySize=256,
                        Environment={"Variables": {"GREETING": "hello", "N": "1"}})
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertEqual(r["FunctionArn"], "arn:aws:lambda:us-east-1:000000000000:function:fn-one")
        self.assertEqual(r["CodeSize"], len(BOOTSTRAP))
        self.assertEqual(r["CodeSha256"], base64.b64encode(hashlib.sha256(BOOTSTRAP).digest()).decode())
        self.assertEqual((r["Timeout"], r["MemorySize"], r["State"]), (30, 256, "Active"))
        self.assertEqual(r["Environment"]["Variables"], {"GREETING": "hello", "N": "1"})
        g = self.lam.get_function(FunctionName="fn-one")
        self.assertEqual(g["Configuration"]["Description"], "first")
        self.assertEqual(g["Code"]["RepositoryType"], "S3")
        c = self.lam.get_function_configuration(FunctionName=r["FunctionArn"])
        self.assertEqual(c["RevisionId"], r["RevisionId"])
        u = self.lam.update_function_configuration(FunctionName="fn-one", Timeout=60,
                                                   Environment={"Variables": {"X": "y"}})
        self.assertEqual((u["Timeout"], u["MemorySize"]), (60, 256))
        self.assertEqual(u["Environment"]["Variables"], {"X": "y"})
        self.assertNotEqual(u["RevisionId"], r["RevisionId"])
        self.assertEqual(u["CodeSha256"], r["CodeSha256"])
        with self.assertRaises(ClientError) as e:
            self.lam.update_function_configuration(FunctionName="fn-one", Timeout=5,
                                                   RevisionId=r["RevisionId"])
        self.assertEqual(code(e), "PreconditionFailedException")
        v = self.lam.update_function_code(FunctionName="fn-one", ZipFile=PYTHON)
        self.assertEqual(v["CodeSha256"], base64.b64encode(hashlib.sha256(PYTHON).digest()).decode())
        self.assertEqual(v["Timeout"], 60)
        names = [f["FunctionName"] for f in self.lam.list_functions()["Functions"]]
        self.assertIn("fn-one", names)
        self.lam.delete_function(FunctionName="fn-one")
        with self.assertRaises(ClientError) as e:
            self.lam.get_function(FunctionName="fn-one")
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.assertEqual(msg(e), "Function not found: arn:aws:lambda:us-east-1:000000000000:function:fn-one")
        with self.assertRaises(ClientError) as e:
            self.lam.delete_function(FunctionName="fn-one")
        self.assertEqual(code(e), "ResourceNotFoundException")

    def test_list_paging(self):
        for i in range(5):
            self.create("page-%d" % i)
        seen, marker = [], None
        while True:
            kw = {"MaxItems": 2}
            if marker:
                kw["Marker"] = marker
            r = self.lam.list_functions(**kw)
            seen += [f["FunctionName"] for f in r["Functions"]]
            marker = r.get("NextMarker")
            if not marker:
                break
        self.assertEqual([s for s in seen if s.startswith("page-")], ["page-%d" % i for i in range(5)])
        paginated = [f["FunctionName"] for p in self.lam.get_paginator("list_functions").paginate()
                     for f in p["Functions"]]
        self.assertEqual(sorted(paginated), sorted(seen))

    def test_code_from_s3_and_refusals(self):
        s3 = self.srv.client("s3")
        s3.create_bucket(Bucket="code")
        s3.put_object(Bucket="code", Key="fn.zip", Body=PYTHON)
        r = self.create("from-s3", Runtime="python3.12", Handler="app.handler",
                        Code={"S3Bucket": "code", "S3Key": "fn.zip"})
        self.assertEqual(r["CodeSize"], len(PYTHON))
        with self.assertRaises(ClientError) as e:
            self.create("from-s3")
        self.assertEqual(code(e), "ResourceConflictException")
        self.assertEqual(msg(e), "Function already exist: from-s3")
        with self.assertRaises(ClientError) as e:
            self.create("bad-zip", Code={"ZipFile": b"not a zip"})
        self.assertEqual(code(e), "InvalidParameterValueException")
        self.assertIn("Could not unzip uploaded file", msg(e))
        with self.assertRaises(ClientError) as e:
            self.create("no-key", Code={"S3Bucket": "code", "S3Key": "missing.zip"})
        self.assertEqual(code(e), "InvalidParameterValueException")
        with self.assertRaises(ClientError) as e:
            self.create("old-runtime", Runtime="python2.7")
        self.assertEqual(code(e), "InvalidParameterValueException")
        with self.assertRaises(ClientError) as e:
            self.create("bad name!")
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            self.lam.update_function_configuration(FunctionName="from-s3", Timeout=901)
        self.assertIn(code(e), ("ValidationException", "ParamValidationError"))
        with self.assertRaises(ClientError) as e:
            self.lam.get_function(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:from-s3:7")
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.assertEqual(self.lam.get_function(
            FunctionName="arn:aws:lambda:us-east-1:000000000000:function:from-s3:$LATEST")
            ["Configuration"]["FunctionName"], "from-s3")

    def test_concurrency(self):
        self.create("conc")
        r = self.lam.put_function_concurrency(FunctionName="conc", ReservedConcurrentExecutions=5)
        self.assertEqual(r["ReservedConcurrentExecutions"], 5)
        self.assertEqual(self.lam.get_function_concurrency(FunctionName="conc")["ReservedConcurrentExecutions"], 5)
        self.assertEqual(self.lam.get_function(FunctionName="conc")["Concurrency"]["ReservedConcurrentExecutions"], 5)
        self.lam.delete_function_concurrency(FunctionName="conc")
        self.assertNotIn("ReservedConcurrentExecutions", self.lam.get_function_concurrency(FunctionName="conc"))

    def test_aws_cli(self):
        path = os.path.join(self.srv.data_dir, "cli.zip")
        with open(path, "wb") as f:
            f.write(BOOTSTRAP)
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        p = subprocess.run([AWS, "--endpoint-url", self.srv.endpoint, "--output", "json", "lambda",
                            "create-function", "--function-name", "cli-fn", "--runtime", "provided.al2",
                            "--role", ROLE, "--handler", "bootstrap", "--zip-file", "fileb://" + path],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["FunctionName"], "cli-fn")


    def test_bucket_notification_configuration(self):
        s3 = self.srv.client("s3")
        s3.create_bucket(Bucket="notify")
        arn = self.create("on-upload")["FunctionArn"]
        self.assertEqual(s3.get_bucket_notification_configuration(Bucket="notify").get(
            "LambdaFunctionConfigurations", []), [])
        cfg = {"LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                                {"Name": "suffix", "Value": ".jpg"}]}}},
            {"Id": "removals", "LambdaFunctionArn": arn,
             "Events": ["s3:ObjectRemoved:Delete", "s3:LifecycleExpiration:*"]}]}
        s3.put_bucket_notification_configuration(Bucket="notify", NotificationConfiguration=cfg)
        got = s3.get_bucket_notification_configuration(Bucket="notify")["LambdaFunctionConfigurations"]
        self.assertEqual(len(got), 2)
        self.assertTrue(got[0]["Id"])  # given one when the request had none
        self.assertEqual(got[0]["Events"], ["s3:ObjectCreated:*"])
        self.assertEqual(sorted((r["Name"].lower(), r["Value"]) for r in got[0]["Filter"]["Key"]["FilterRules"]),
                         [("prefix", "in/"), ("suffix", ".jpg")])
        self.assertEqual(got[1]["Id"], "removals")
        self.assertEqual(got[1]["LambdaFunctionArn"], arn)

        def refused(c):
            with self.assertRaises(ClientError) as e:
                s3.put_bucket_notification_configuration(Bucket="notify", NotificationConfiguration=c)
            return e
        e = refused({"LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": arn.replace("on-upload", "missing"), "Events": ["s3:ObjectCreated:Put"]}]})
        self.assertEqual(code(e), "InvalidArgument")
        self.assertIn("Unable to validate the following destination configurations", msg(e))
        e = refused({"LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:Put"]},
            {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        self.assertIn("Configurations overlap", msg(e))
        e = refused({"LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:Nope"]}]})
        self.assertEqual(code(e), "InvalidArgument")
        e = refused({"QueueConfigurations": [{"QueueArn": "arn:aws:sqs:us-east-1:000000000000:q",
                                              "Events": ["s3:ObjectCreated:*"]}]})
        self.assertEqual(code(e), "InvalidArgument")
        # Disjoint prefixes do not overlap; an empty configuration switches notifications off.
        s3.put_bucket_notification_configuration(Bucket="notify", NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/"}]}}},
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "b/"}]}}}]})
        s3.put_bucket_notification_configuration(Bucket="notify", NotificationConfiguration={})
        self.assertNotIn("LambdaFunctionConfigurations",
                         s3.get_bucket_notification_configuration(Bucket="notify"))


    def test_event_source_mappings(self):
        ddb = self.srv.client("dynamodb")
        stream = ddb.create_table(
            TableName="feed", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )["TableDescription"]["LatestStreamArn"]
        arn = self.create("consumer")["FunctionArn"]
        m = self.lam.create_event_source_mapping(
            EventSourceArn=stream, FunctionName="consumer", StartingPosition="TRIM_HORIZON",
            BatchSize=50, MaximumBatchingWindowInSeconds=1, ParallelizationFactor=2,
            MaximumRetryAttempts=3, MaximumRecordAgeInSeconds=3600, BisectBatchOnFunctionError=True,
            FunctionResponseTypes=["ReportBatchItemFailures"],
            FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
            DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::dead-letters"}})
        self.assertEqual(m["ResponseMetadata"]["HTTPStatusCode"], 202)
        self.assertEqual(m["State"], "Creating")
        self.assertEqual((m["FunctionArn"], m["EventSourceArn"]), (arn, stream))
        self.assertEqual((m["BatchSize"], m["ParallelizationFactor"], m["MaximumRetryAttempts"]), (50, 2, 3))
        self.assertEqual(m["FunctionResponseTypes"], ["ReportBatchItemFailures"])
        self.assertEqual(m["DestinationConfig"]["OnFailure"]["Destination"], "arn:aws:s3:::dead-letters")
        uuid = m["UUID"]
        g = self.lam.get_event_source_mapping(UUID=uuid)
        self.assertEqual(g["State"], "Enabled")
        self.assertEqual(g["StartingPosition"], "TRIM_HORIZON")
        self.assertEqual(json.loads(g["FilterCriteria"]["Filters"][0]["Pattern"]), {"eventName": ["INSERT"]})
        u = self.lam.update_event_source_mapping(UUID=uuid, Enabled=False, BatchSize=10)
        self.assertEqual((u["State"], u["BatchSize"]), ("Updating", 10))
        self.assertEqual(self.lam.get_event_source_mapping(UUID=uuid)["State"], "Disabled")
        listed = self.lam.list_event_source_mappings(FunctionName="consumer")["EventSourceMappings"]
        self.assertEqual([x["UUID"] for x in listed], [uuid])
        self.assertEqual(self.lam.list_event_source_mappings(EventSourceArn=stream + "x")["EventSourceMappings"], [])
        with self.assertRaises(ClientError) as e:
            self.lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="consumer",
                                                 StartingPosition="LATEST")
        self.assertEqual(code(e), "ResourceConflictException")
        with self.assertRaises(ClientError) as e:
            self.lam.create_event_source_mapping(EventSourceArn=stream.replace("feed", "nofeed"),
                                                 FunctionName="consumer", StartingPosition="LATEST")
        self.assertEqual(code(e), "InvalidParameterValueException")
        with self.assertRaises(ClientError) as e:
            self.lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="nobody",
                                                 StartingPosition="LATEST")
        self.assertEqual(code(e), "ResourceNotFoundException")
        d = self.lam.delete_event_source_mapping(UUID=uuid)
        self.assertEqual(d["State"], "Deleting")
        with self.assertRaises(ClientError) as e:
            self.lam.get_event_source_mapping(UUID=uuid)
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.create("consumer2")
        with self.assertRaises(ClientError) as e:
            self.lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="consumer2",
                                                 StartingPosition="LATEST",
                                                 FilterCriteria={"Filters": [{"Pattern": "{not json"}]})
        self.assertEqual(code(e), "InvalidParameterValueException")
        self.assertEqual(msg(e), "Invalid filter pattern definition.")


class LambdaDurability(unittest.TestCase):
    def test_kill9(self):
        srv = Server().start()
        try:
            lam = srv.client("lambda")
            lam.create_function(FunctionName="durable", Runtime="provided", Role=ROLE,
                                Handler="x", Code={"ZipFile": BOOTSTRAP})
            srv.kill9()
            srv.start()
            lam = srv.client("lambda")
            c = lam.get_function_configuration(FunctionName="durable")
            self.assertEqual(c["CodeSize"], len(BOOTSTRAP))
            zips = os.listdir(os.path.join(srv.data_dir, "db", "functions"))
            self.assertEqual(len(zips), 1)
            lam.update_function_code(FunctionName="durable", ZipFile=PYTHON)
            lam.delete_function(FunctionName="durable")
            self.assertEqual(os.listdir(os.path.join(srv.data_dir, "db", "functions")), [])
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
