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
import tempfile
import time
import unittest
import urllib.request
import zipfile

from botocore.exceptions import ClientError

from collector import SEND, collect
from stratus_fixture import Server, zip_of

AWS = os.environ.get("AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"
ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def code(e):
    return e.exception.response["Error"]["Code"]


def msg(e):
    return e.exception.response["Error"]["Message"]


BOOTSTRAP = zip_of({"bootstrap": "#!/bin/sh\necho hi\n"})


def zip_modes(files):
    """A zip with Unix modes (a custom runtime's bootstrap must be executable)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            z.writestr(info, data)
    return buf.getvalue()


# AWS's documented shell-script custom runtime, as it is in the Lambda developer guide.
SHELL_BOOTSTRAP = """#!/bin/bash
set -euo pipefail

# Initialization - load function handler
source $LAMBDA_TASK_ROOT/"$(echo $_HANDLER | cut -d. -f1).sh"

# Processing
while true
do
  HEADERS="$(mktemp)"
  # Get an event. The HTTP request will block until one is received
  EVENT_DATA=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")

  # Extract request ID by scraping response headers received above
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)

  # Run the handler function from the script
  RESPONSE=$($(echo "$_HANDLER" | cut -d. -f2) "$EVENT_DATA")

  # Send the response
  curl "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response"  -d "$RESPONSE"
done
"""
SHELL_FUNCTION = """function handler () {
  EVENT_DATA=$1
  echo "$EVENT_DATA" 1>&2;
  COUNT=$(( $(cat $TMPDIR/count 2>/dev/null || echo 0) + 1 ))
  echo $COUNT > $TMPDIR/count
  RESPONSE="Echoing request: '$EVENT_DATA' $COUNT"

  echo $RESPONSE
}
"""
PY_APP = """import json, os, time
def handler(event, context):
    print("event", json.dumps(event))
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise ValueError("it failed: " + event["fail"])
    if event.get("put"):
        import boto3
        ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
        ddb.put_item(TableName=event["put"], Item={"pk": {"S": context.aws_request_id}})
    return {"got": event, "function": context.function_name, "env": os.environ.get("COLOR"),
            "region": os.environ["AWS_REGION"], "left": context.get_remaining_time_in_millis() > 0}
"""
SUCCESS = """import json, os
import boto3
def handler(event, context):
    ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    ddb.put_item(TableName="successes", Item={"pk": {"S": context.aws_request_id},
                                              "record": {"S": json.dumps(event)}})
"""
PYTHON = zip_of({"app.py": "def handler(event, context):\n    return {'ok': True}\n"})


class Lambda(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
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
        self.lam.create_function(FunctionName="cli-py", Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Code={"ZipFile": zip_of({"app.py": PY_APP})})
        out = os.path.join(self.srv.data_dir, "cli-out.json")
        p = subprocess.run([AWS, "--endpoint-url", self.srv.endpoint, "--output", "json", "lambda",
                            "invoke", "--function-name", "cli-py", "--payload", '{"via": "cli"}', out],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["StatusCode"], 200)
        with open(out) as f:
            self.assertEqual(json.load(f)["got"], {"via": "cli"})


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


    def invoke(self, name, event, **kw):
        r = self.lam.invoke(FunctionName=name, Payload=json.dumps(event), **kw)
        return r, r["Payload"].read()

    def test_invoke_shell_custom_runtime(self):
        self.lam.create_function(
            FunctionName="sh-echo", Runtime="provided.al2023", Role=ROLE, Handler="function.handler",
            Code={"ZipFile": zip_modes({"bootstrap": (SHELL_BOOTSTRAP, 0o755),
                                        "function.sh": (SHELL_FUNCTION, 0o644)})})
        r, out = self.invoke("sh-echo", {"a": 1}, LogType="Tail")
        self.assertEqual(r["StatusCode"], 200)
        self.assertNotIn("FunctionError", r)
        self.assertEqual(out, b"Echoing request: '{\"a\": 1}' 1")
        self.assertIn(b'{"a": 1}', base64.b64decode(r["LogResult"]))
        r, out = self.invoke("sh-echo", {"b": 2})
        self.assertEqual(out, b"Echoing request: '{\"b\": 2}' 2")  # the warm instance again

    def test_invoke_python(self):
        self.lam.create_function(
            FunctionName="py-app", Runtime="python3.11", Role=ROLE, Handler="app.handler", Timeout=2,
            Environment={"Variables": {"COLOR": "blue"}}, Code={"ZipFile": zip_of({"app.py": PY_APP})})
        r, out = self.invoke("py-app", {"x": 1})
        self.assertEqual(json.loads(out), {"got": {"x": 1}, "function": "py-app", "env": "blue",
                                           "region": "us-east-1", "left": True})
        self.assertEqual(r["ExecutedVersion"], "$LATEST")
        r, out = self.invoke("py-app", {"fail": "badly"}, LogType="Tail")
        self.assertEqual(r["FunctionError"], "Unhandled")
        err = json.loads(out)
        self.assertEqual((err["errorType"], err["errorMessage"]), ("ValueError", "it failed: badly"))
        tail = base64.b64decode(r["LogResult"]).decode()
        self.assertIn("event", tail)
        # The tail is the log's, with the runtime's lines as Lambda writes them.
        lines = tail.splitlines()
        rid = r["ResponseMetadata"]["RequestId"]  # Lambda answers under the invocation's id
        self.assertEqual(lines[0], "START RequestId: %s Version: $LATEST" % rid, tail)
        self.assertIn("END RequestId: %s" % rid, lines)
        self.assertTrue(lines[-1].startswith("REPORT RequestId: %s\tDuration: " % rid), tail)
        # Timeout: the instance is killed and the invocation says so.
        t = time.time()
        r, out = self.invoke("py-app", {"sleep": 10})
        self.assertLess(time.time() - t, 6)
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertIn("Task timed out after 2.00 seconds", json.loads(out)["errorMessage"])
        r, out = self.invoke("py-app", {"y": 2})  # a fresh instance takes over
        self.assertEqual(json.loads(out)["got"], {"y": 2})
        # The function's SDK reaches Stratus (AWS_ENDPOINT_URL), asynchronously too.
        ddb = self.srv.client("dynamodb")
        ddb.create_table(TableName="from-fn", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        r = self.lam.invoke(FunctionName="py-app", InvocationType="Event", Payload=json.dumps({"put": "from-fn"}))
        self.assertEqual(r["StatusCode"], 202)
        deadline = time.time() + 20
        while time.time() < deadline and ddb.scan(TableName="from-fn")["Count"] == 0:
            time.sleep(0.1)
        self.assertEqual(ddb.scan(TableName="from-fn")["Count"], 1)
        self.assertEqual(self.lam.invoke(FunctionName="py-app", InvocationType="DryRun")["StatusCode"], 204)
        with self.assertRaises(ClientError) as e:
            self.lam.invoke(FunctionName="py-app", InvocationType="Event", Payload=b"x" * 300000)
        self.assertEqual(code(e), "RequestTooLargeException")

    def test_client_context(self):
        """Invoke's ClientContext (base64 JSON) reaches the function's context on synchronous
        invocations; anything else is refused."""
        py = ("def handler(e, c):\n    cc = c.client_context\n"
              "    return None if cc is None else {'custom': cc.custom, 'client': cc.client, 'identity': c.identity}\n")
        self.lam.create_function(FunctionName="cc-py", Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Code={"ZipFile": zip_of({"app.py": py})})
        doc = {"custom": {"foo": "bar"}, "client": {"app_title": "t"}, "env": {"locale": "en"}}
        text = json.dumps(doc, indent=2)  # newlines outside the strings travel too
        cc = base64.b64encode(text.encode()).decode()
        r, out = self.invoke("cc-py", {}, ClientContext=cc)
        self.assertEqual(json.loads(out), {"custom": {"foo": "bar"}, "client": {"app_title": "t"},
                                           "identity": None})
        r, out = self.invoke("cc-py", {})
        self.assertIsNone(json.loads(out))
        if shutil.which("node"):
            js = "exports.handler = async (e, c) => [c.clientContext, c.callbackWaitsForEmptyEventLoop];\n"
            self.lam.create_function(FunctionName="cc-js", Runtime="nodejs20.x", Role=ROLE,
                                     Handler="index.handler", Code={"ZipFile": zip_of({"index.js": js})})
            r, out = self.invoke("cc-js", {}, ClientContext=cc)
            self.assertEqual(json.loads(out), [doc, True])
        for bad in ("not base64!", base64.b64encode(b"[1, 2]").decode(),
                    base64.b64encode(b"{\"a\": ").decode(), "A" * 3584):
            with self.assertRaises(ClientError) as e:
                self.lam.invoke(FunctionName="cc-py", ClientContext=bad, Payload=b"{}")
            self.assertEqual(code(e), "InvalidRequestContentException", bad[:20])

    def test_invoke_failures(self):
        self.lam.create_function(FunctionName="no-module", Runtime="python3.12", Role=ROLE,
                                 Handler="missing.handler", Code={"ZipFile": zip_of({"app.py": PY_APP})})
        r, out = self.invoke("no-module", {})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(out)["errorType"], "Runtime.ImportModuleError")
        self.assertEqual(json.loads(out)["errorMessage"],
                         "Unable to import module 'missing': No module named 'missing'")
        # Python's other init errors and an unserialisable result, as Lambda's runtime names them.
        cases = [
            ("py-no-handler", "app.nothere", {"app.py": PY_APP}, "Runtime.HandlerNotFound",
             "Handler 'nothere' missing on module 'app'"),
            ("py-syntax", "app.handler", {"app.py": "def handler(:\n"}, "Runtime.UserCodeSyntaxError",
             "Syntax error in module 'app': "),
            ("py-marshal", "app.handler", {"app.py": "def handler(e, c):\n    return {1, 2}\n"},
             "Runtime.MarshalError", "Unable to marshal response: Object of type set is not JSON serializable"),
        ]
        for name, handler, files, kind, message in cases:
            self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                                     Handler=handler, Code={"ZipFile": zip_of(files)})
            r, out = self.invoke(name, {})
            self.assertEqual(r["FunctionError"], "Unhandled")
            doc = json.loads(out)
            self.assertEqual(doc["errorType"], kind, out)
            self.assertTrue(doc["errorMessage"].startswith(message), out)
        self.lam.create_function(FunctionName="no-bootstrap", Runtime="provided.al2", Role=ROLE,
                                 Handler="x", Code={"ZipFile": zip_of({"readme.txt": "no bootstrap"})})
        r, out = self.invoke("no-bootstrap", {})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(out)["errorType"], "Runtime.InvalidEntrypoint")
        self.lam.create_function(FunctionName="crash", Runtime="provided", Role=ROLE, Handler="x",
                                 Code={"ZipFile": zip_modes({"bootstrap": ("#!/bin/sh\nexit 3\n", 0o755)})})
        r, out = self.invoke("crash", {})
        self.assertEqual(json.loads(out)["errorType"], "Runtime.ExitError")
        self.lam.put_function_concurrency(FunctionName="crash", ReservedConcurrentExecutions=0)
        with self.assertRaises(ClientError) as e:
            self.lam.invoke(FunctionName="crash", Payload=b"{}")
        self.assertEqual(code(e), "TooManyRequestsException")
        with self.assertRaises(ClientError) as e:
            self.lam.invoke(FunctionName="nobody", Payload=b"{}")
        self.assertEqual(code(e), "ResourceNotFoundException")

    def test_logs_through_cloudwatch_logs(self):
        """Each instance's output is a log stream of /aws/lambda/<name>, with Lambda's START,
        END and REPORT lines, readable with the CloudWatch Logs API."""
        logs = self.srv.client("logs")
        self.lam.create_function(FunctionName="talker", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zip_of({"app.py": PY_APP})})
        ids = [self.lam.invoke(FunctionName="talker", Payload=json.dumps({"n": i}))["ResponseMetadata"]
               ["HTTPHeaders"]["x-amzn-requestid"] for i in range(3)]
        self.assertEqual(len(ids), 3)
        groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/talk")["logGroups"]
        self.assertEqual([g["logGroupName"] for g in groups], ["/aws/lambda/talker"])
        self.assertTrue(groups[0]["arn"].startswith("arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/talker"))
        streams = logs.describe_log_streams(logGroupName="/aws/lambda/talker", orderBy="LastEventTime",
                                            descending=True)["logStreams"]
        self.assertEqual(len(streams), 1)  # one warm instance served all three
        name = streams[0]["logStreamName"]
        self.assertRegex(name, r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$")
        deadline = time.time() + 10
        while time.time() < deadline:
            ev = logs.get_log_events(logGroupName="/aws/lambda/talker", logStreamName=name,
                                     startFromHead=True)["events"]
            if sum(e["message"].startswith("REPORT") for e in ev) == 3:
                break
            time.sleep(0.1)
        msgs = [e["message"] for e in ev]
        self.assertTrue(msgs[0].startswith("START RequestId: "), msgs)
        self.assertIn('event {"n": 0}', msgs)
        self.assertEqual(sum(m.startswith("END RequestId: ") for m in msgs), 3)
        reports = [m for m in msgs if m.startswith("REPORT")]
        report = reports[0]
        self.assertRegex(report, r"Duration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB")
        # Two decimals; the cold start's init is reported on the instance's first invocation only.
        self.assertRegex(report, r"\tDuration: \d+\.\d\d ms\t.*\tInit Duration: \d+\.\d\d ms$")
        for later in reports[1:]:
            self.assertRegex(later, r"\tDuration: \d+\.\d\d ms\t")
            self.assertNotIn("Init Duration", later)
        # Paging forward two events at a time reaches the same events, then the token repeats.
        got, token = [], None
        for _ in range(100):
            kw = {"nextToken": token} if token else {"startFromHead": True}
            r = logs.get_log_events(logGroupName="/aws/lambda/talker", logStreamName=name, limit=2, **kw)
            got += [e["message"] for e in r["events"]]
            if r["nextForwardToken"] == token:
                break
            token = r["nextForwardToken"]
        self.assertEqual(got, msgs)
        # Without startFromHead: the latest events.
        tail = logs.get_log_events(logGroupName="/aws/lambda/talker", logStreamName=name, limit=2)["events"]
        self.assertEqual([e["message"] for e in tail], msgs[-2:])
        # FilterLogEvents: terms, a quoted phrase, exclusion.
        hits = logs.filter_log_events(logGroupName="/aws/lambda/talker", filterPattern='"event {\\"n\\": 2}"')["events"]
        self.assertEqual([h["message"] for h in hits], ['event {"n": 2}'])
        hits = logs.filter_log_events(logGroupName="/aws/lambda/talker", filterPattern="RequestId -START -END")["events"]
        self.assertEqual(len(hits), 3)
        self.assertTrue(all(h["logStreamName"] == name for h in hits))
        paged = logs.get_paginator("filter_log_events").paginate(
            logGroupName="/aws/lambda/talker", PaginationConfig={"PageSize": 2})
        self.assertEqual(sum(len(p["events"]) for p in paged), len(msgs))
        with self.assertRaises(ClientError) as e:
            logs.get_log_events(logGroupName="/aws/lambda/nobody", logStreamName=name)
        self.assertEqual(code(e), "ResourceNotFoundException")
        with self.assertRaises(ClientError) as e:
            logs.get_log_events(logGroupName="/aws/lambda/../../etc", logStreamName=name)
        self.assertEqual(code(e), "ResourceNotFoundException")
        # The AWS CLI reads them too.
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        p = subprocess.run([AWS, "--endpoint-url", self.srv.endpoint, "--output", "json", "logs",
                            "filter-log-events", "--log-group-name", "/aws/lambda/talker",
                            "--filter-pattern", "REPORT"], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(json.loads(p.stdout)["events"]), 3)
        logs.delete_log_group(logGroupName="/aws/lambda/talker")
        self.assertEqual(logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/talker")["logGroups"], [])

    def test_log_stream_name_is_the_instances_stream(self):
        """AWS_LAMBDA_LOG_STREAM_NAME (and context.log_stream_name / logStreamName) is the name
        under which the Logs API shows the instance's output."""
        logs = self.srv.client("logs")
        app = ("import os\ndef handler(event, context):\n"
               "    print('hello from the stream')\n"
               "    return [os.environ['AWS_LAMBDA_LOG_STREAM_NAME'], context.log_stream_name]\n")
        self.lam.create_function(FunctionName="named-stream", Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Code={"ZipFile": zip_of({"app.py": app})})
        r, out = self.invoke("named-stream", {})
        env_name, ctx_name = json.loads(out)
        self.assertEqual(env_name, ctx_name)
        self.assertRegex(env_name, r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$")
        streams = logs.describe_log_streams(logGroupName="/aws/lambda/named-stream")["logStreams"]
        self.assertEqual([x["logStreamName"] for x in streams], [env_name])
        deadline = time.time() + 10
        msgs = []
        while time.time() < deadline and "hello from the stream" not in msgs:
            msgs = [e["message"] for e in logs.get_log_events(
                logGroupName="/aws/lambda/named-stream", logStreamName=env_name, startFromHead=True)["events"]]
            time.sleep(0.1)
        self.assertIn("hello from the stream", msgs)
        if shutil.which("node"):
            js = "exports.handler = async (e, c) => [process.env.AWS_LAMBDA_LOG_STREAM_NAME, c.logStreamName];\n"
            self.lam.create_function(FunctionName="named-stream-js", Runtime="nodejs20.x", Role=ROLE,
                                     Handler="index.handler", Code={"ZipFile": zip_of({"index.js": js})})
            r, out = self.invoke("named-stream-js", {})
            env_name, ctx_name = json.loads(out)
            self.assertEqual(env_name, ctx_name)
            streams = logs.describe_log_streams(logGroupName="/aws/lambda/named-stream-js")["logStreams"]
            self.assertEqual([x["logStreamName"] for x in streams], [env_name])

    def test_memory_size_limits_the_instance(self):
        app = "def handler(event, context):\n    b = bytearray(event['mb'] << 20)\n    return len(b) >> 20\n"
        self.lam.create_function(FunctionName="hungry", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 MemorySize=128, Timeout=30,  # 256 MB takes a while on a busy machine
                                 Code={"ZipFile": zip_of({"app.py": app})})
        r, out = self.invoke("hungry", {"mb": 32})
        self.assertEqual(json.loads(out), 32)
        r, out = self.invoke("hungry", {"mb": 256})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(out)["errorType"], "MemoryError")
        self.lam.update_function_configuration(FunctionName="hungry", MemorySize=512)
        r, out = self.invoke("hungry", {"mb": 256})
        self.assertEqual(json.loads(out), 256)

    def test_async_settings_and_destinations(self):
        """PutFunctionEventInvokeConfig: retries, then the invocation record goes to the
        on-failure bucket or the on-success function."""
        s3, ddb = self.srv.client("s3"), self.srv.client("dynamodb")
        s3.create_bucket(Bucket="async-failures")
        ddb.create_table(TableName="successes", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        self.lam.create_function(FunctionName="flaky", Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Code={"ZipFile": zip_of({"app.py": PY_APP})})
        self.lam.create_function(FunctionName="on-success", Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Code={"ZipFile": zip_of({"app.py": SUCCESS})})
        with self.assertRaises(ClientError) as e:
            self.lam.get_function_event_invoke_config(FunctionName="flaky")
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.assertIn("doesn't have an EventInvokeConfig", msg(e))
        fail_arn = "arn:aws:s3:::async-failures"
        ok_arn = "arn:aws:lambda:us-east-1:000000000000:function:on-success"
        r = self.lam.put_function_event_invoke_config(
            FunctionName="flaky", MaximumRetryAttempts=1, MaximumEventAgeInSeconds=600,
            DestinationConfig={"OnSuccess": {"Destination": ok_arn}, "OnFailure": {"Destination": fail_arn}})
        self.assertEqual(r["FunctionArn"], "arn:aws:lambda:us-east-1:000000000000:function:flaky:$LATEST")
        self.assertEqual((r["MaximumRetryAttempts"], r["MaximumEventAgeInSeconds"]), (1, 600))
        self.assertEqual(r["DestinationConfig"]["OnFailure"]["Destination"], fail_arn)
        g = self.lam.get_function_event_invoke_config(FunctionName="flaky")
        self.assertEqual(g["DestinationConfig"]["OnSuccess"]["Destination"], ok_arn)
        u = self.lam.update_function_event_invoke_config(FunctionName="flaky", MaximumEventAgeInSeconds=700)
        self.assertEqual((u["MaximumRetryAttempts"], u["MaximumEventAgeInSeconds"]), (1, 700))
        self.assertEqual(len(self.lam.list_function_event_invoke_configs(FunctionName="flaky")
                             ["FunctionEventInvokeConfigs"]), 1)
        for bad, want in [({"MaximumRetryAttempts": 3}, "ValidationException"),
                          ({"MaximumEventAgeInSeconds": 30000}, "ValidationException"),
                          ({"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:q"}}},
                           "InvalidParameterValueException"),
                          ({"DestinationConfig": {"OnSuccess": {"Destination": fail_arn}}},
                           "InvalidParameterValueException")]:
            with self.assertRaises(ClientError) as e:
                self.lam.put_function_event_invoke_config(FunctionName="flaky", **bad)
            self.assertEqual(code(e), want, bad)
        # A failing event: run twice (one retry), then its record lands in the bucket.
        self.lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=json.dumps({"fail": "always"}))
        deadline, keys = time.time() + 30, []
        while time.time() < deadline and not keys:
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="async-failures").get("Contents", [])]
            time.sleep(0.1)
        self.assertEqual(len(keys), 1)
        self.assertRegex(keys[0], r"^aws/lambda/async/flaky/\d{4}/\d\d/\d\d/\d{4}-\d\d-\d\dT\d\d\.\d\d\.\d\d-")
        rec = json.loads(s3.get_object(Bucket="async-failures", Key=keys[0])["Body"].read())
        self.assertEqual(rec["requestContext"]["condition"], "RetriesExhausted")
        self.assertEqual(rec["requestContext"]["approximateInvokeCount"], 2)
        self.assertEqual(rec["requestPayload"], {"fail": "always"})
        self.assertEqual(rec["responseContext"]["functionError"], "Unhandled")
        self.assertEqual(rec["responsePayload"]["errorType"], "ValueError")
        # A good event: its record runs the on-success function.
        self.lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=json.dumps({"n": 7}))
        deadline = time.time() + 30
        while time.time() < deadline and ddb.scan(TableName="successes")["Count"] == 0:
            time.sleep(0.1)
        item = ddb.scan(TableName="successes")["Items"][0]
        rec = json.loads(item["record"]["S"])
        self.assertEqual(rec["requestContext"]["condition"], "Success")
        self.assertEqual(rec["requestPayload"], {"n": 7})
        self.assertEqual(rec["responsePayload"]["got"], {"n": 7})
        self.lam.delete_function_event_invoke_config(FunctionName="flaky")
        with self.assertRaises(ClientError) as e:
            self.lam.get_function_event_invoke_config(FunctionName="flaky")
        self.assertEqual(code(e), "ResourceNotFoundException")

    @unittest.skipUnless(shutil.which("node"), "node is not installed")
    def test_invoke_node(self):
        app = "exports.handler = async (event, context) => ({ doubled: event.n * 2, fn: context.functionName });\n"
        self.lam.create_function(FunctionName="node-app", Runtime="nodejs20.x", Role=ROLE,
                                 Handler="index.handler", Code={"ZipFile": zip_of({"index.js": app})})
        r, out = self.invoke("node-app", {"n": 21})
        self.assertEqual(json.loads(out), {"doubled": 42, "fn": "node-app"})
        app = "exports.handler = (event, context, cb) => cb(new Error('nope'));\n"
        self.lam.update_function_code(FunctionName="node-app", ZipFile=zip_of({"index.js": app}))
        r, out = self.invoke("node-app", {})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(out)["errorMessage"], "nope")

    @unittest.skipUnless(shutil.which("node"), "node is not installed")
    def test_node_handler_resolution(self):
        """index.mjs (an ES module with top-level await), a .js ES module under a package.json
        of type module, a .cjs in a folder, and Lambda's error types for what cannot load."""
        esm = ("const base = await Promise.resolve(40);\n"
               "export const handler = async (event) => ({ v: base + event.n, kind: 'mjs' });\n")
        cases = [
            ("mjs-app", "index.handler", {"index.mjs": esm}, {"v": 42, "kind": "mjs"}),
            ("esm-js-app", "index.handler",
             {"index.js": esm.replace("'mjs'", "'js'"), "package.json": '{"type": "module"}'},
             {"v": 42, "kind": "js"}),
            ("cjs-app", "src/app.nested.run",
             {"src/app.cjs": "exports.nested = { run: async (e) => ({ v: e.n * 2 }) };\n"},
             {"v": 4}),
        ]
        for name, handler, files, want in cases:
            self.lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE,
                                     Handler=handler, Code={"ZipFile": zip_of(files)})
            r, out = self.invoke(name, {"n": 2})
            self.assertNotIn("FunctionError", r, out)
            self.assertEqual(json.loads(out), want)
        failures = [
            ("node-missing", "nothere.handler", {"index.mjs": esm}, "Runtime.ImportModuleError"),
            ("node-no-fn", "index.other", {"index.mjs": esm}, "Runtime.HandlerNotFound"),
            ("node-syntax", "index.handler", {"index.js": "exports.handler = (;\n"},
             "Runtime.UserCodeSyntaxError"),
        ]
        for name, handler, files, want in failures:
            self.lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE,
                                     Handler=handler, Code={"ZipFile": zip_of(files)})
            r, out = self.invoke(name, {})
            self.assertEqual(r["FunctionError"], "Unhandled")
            self.assertEqual(json.loads(out)["errorType"], want, out)


CONSUMER = '''import json, os
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    out = os.environ["OUT"]
    for r in event["Records"]:
        key = r["dynamodb"]["Keys"]["pk"]["S"]
        if r["dynamodb"].get("NewImage", {}).get("bad"):
            raise ValueError("bad record " + key)
        ddb.update_item(TableName=out, Key={"pk": {"S": key}},
                        UpdateExpression="ADD seen :one SET events = list_append(if_not_exists(events, :e), :n)",
                        ExpressionAttributeValues={":one": {"N": "1"}, ":e": {"L": []},
                                                   ":n": {"L": [{"S": r["eventName"] + ":" + r["dynamodb"]["SequenceNumber"]}]}})
    return {}
'''
PARALLEL = '''import json, os, time
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    start = time.time()
    time.sleep(0.3)
    recs = [[r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["SequenceNumber"]] for r in event["Records"]]
    ddb.put_item(TableName="lanes", Item={"pk": {"S": context.aws_request_id},
                                          "start": {"N": repr(start)}, "end": {"N": repr(time.time())},
                                          "recs": {"S": json.dumps(recs)}})
'''
APPENDER = SEND + '''
def handler(event, context):
    lines = "".join("%s %s %s\\n" % (r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["NewImage"]["i"]["N"],
                                     r["dynamodb"]["SequenceNumber"]) for r in event["Records"])
    send(lines)
'''
FAILURES = '''import json, os
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    info = event["DDBStreamBatchInfo"]
    ddb.put_item(TableName="failures", Item={"pk": {"S": info["startSequenceNumber"]},
                                             "size": {"N": str(info["batchSize"])}})
'''


class OperationNames(unittest.TestCase):
    """Every Lambda and CloudWatch Logs request is counted and logged under its AWS
    operation name (LAMBDA_OP_MAP, LOGS_OP_MAP), errors included: never op=Unknown."""

    def test_metrics_and_access_log_name_each_operation(self):
        srv = Server("--log-level", "info").start()
        srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        try:
            lam, logs = srv.client("lambda"), srv.client("logs")
            lam.create_function(FunctionName="named", Runtime="provided.al2023", Role=ROLE,
                                Handler="bootstrap", Code={"ZipFile": BOOTSTRAP})
            lam.get_function(FunctionName="named")
            lam.get_function_configuration(FunctionName="named")
            lam.list_functions()
            lam.update_function_configuration(FunctionName="named", Timeout=10)
            lam.update_function_code(FunctionName="named", ZipFile=BOOTSTRAP)
            lam.put_function_concurrency(FunctionName="named", ReservedConcurrentExecutions=2)
            lam.get_function_concurrency(FunctionName="named")
            lam.delete_function_concurrency(FunctionName="named")
            lam.put_function_event_invoke_config(FunctionName="named", MaximumRetryAttempts=1)
            lam.update_function_event_invoke_config(FunctionName="named", MaximumRetryAttempts=0)
            lam.get_function_event_invoke_config(FunctionName="named")
            lam.list_function_event_invoke_configs(FunctionName="named")
            lam.delete_function_event_invoke_config(FunctionName="named")
            lam.invoke(FunctionName="named", InvocationType="DryRun")
            lam.list_event_source_mappings()
            with self.assertRaises(ClientError):
                lam.get_event_source_mapping(UUID="00000000-0000-0000-0000-000000000000")
            logs.describe_log_groups()
            for call in (lambda: logs.describe_log_streams(logGroupName="/aws/lambda/nobody"),
                         lambda: logs.get_log_events(logGroupName="/aws/lambda/nobody", logStreamName="s"),
                         lambda: logs.filter_log_events(logGroupName="/aws/lambda/nobody"),
                         lambda: logs.delete_log_group(logGroupName="/aws/lambda/nobody")):
                with self.assertRaises(ClientError):
                    call()
            lam.delete_function(FunctionName="named")
            # A request is counted once its response is written: the client may see the
            # answer a moment before.
            for _ in range(50):
                m = urllib.request.urlopen(srv.endpoint + "/metrics").read().decode()
                if 'operation="DeleteFunction"' in m:
                    break
                time.sleep(0.1)
            lambda_ops = ["CreateFunction", "GetFunction", "GetFunctionConfiguration", "ListFunctions",
                          "UpdateFunctionConfiguration", "UpdateFunctionCode", "PutFunctionConcurrency",
                          "GetFunctionConcurrency", "DeleteFunctionConcurrency",
                          "PutFunctionEventInvokeConfig", "UpdateFunctionEventInvokeConfig",
                          "GetFunctionEventInvokeConfig", "ListFunctionEventInvokeConfigs",
                          "DeleteFunctionEventInvokeConfig", "Invoke", "ListEventSourceMappings",
                          "GetEventSourceMapping", "DeleteFunction"]
            logs_ops = ["DescribeLogGroups", "DescribeLogStreams", "GetLogEvents", "FilterLogEvents",
                        "DeleteLogGroup"]
            for api, ops in (("lambda", lambda_ops), ("logs", logs_ops)):
                for op in ops:
                    self.assertRegex(m, r'stratus_requests_total\{api="%s",operation="%s",status="[^"]+"\} 1\n'
                                     % (api, op))
            self.assertRegex(m, r'api="lambda",operation="GetEventSourceMapping",status="404"')
            self.assertNotIn('operation="Unknown"', m)
            time.sleep(0.1)
            with open(srv.log_path, errors="replace") as f:
                log = f.read()
            self.assertRegex(log, r'access 127\.0\.0\.1:\d+ "POST /2015-03-31/functions" 201 .*op=CreateFunction ')
            self.assertRegex(log, r'access 127\.0\.0\.1:\d+ "POST /" 200 .*op=DescribeLogGroups ')
            self.assertNotIn("op=Unknown", log)
        finally:
            srv.cleanup()


class EventSourceMappings(unittest.TestCase):
    """Table streams drive functions: every record reaches the function, in order, checkpoints
    survive kill -9, filters drop records, a bad record is bisected out to the on-failure
    function."""

    def setUp(self):
        self.srv = Server().start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.lam, self.ddb = self.srv.client("lambda"), self.srv.client("dynamodb")

    def tearDown(self):
        self.srv.cleanup()

    def table(self, name, stream=True):
        kw = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
        r = self.ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                  BillingMode="PAY_PER_REQUEST", **kw)
        return r["TableDescription"].get("LatestStreamArn")

    def consumer(self, name, out):
        self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Timeout=10, Environment={"Variables": {"OUT": out}},
                                 Code={"ZipFile": zip_of({"app.py": CONSUMER})})

    def wait_for(self, table, count, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            items = self.ddb.scan(TableName=table)["Items"]
            if len(items) >= count:
                return {i["pk"]["S"]: i for i in items}
            time.sleep(0.1)
        self.fail("%s has %d items, wanted %d" % (table, len(items), count))

    def test_records_reach_the_function_in_order_and_survive_kill9(self):
        arn = self.table("src")
        self.table("out", stream=False)
        self.consumer("copy", "out")
        self.ddb.put_item(TableName="src", Item={"pk": {"S": "before"}})
        m = self.lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="copy",
                                                 StartingPosition="TRIM_HORIZON", BatchSize=7)
        for i in range(20):
            self.ddb.put_item(TableName="src", Item={"pk": {"S": "k%d" % (i % 5)}, "i": {"N": str(i)}})
        got = self.wait_for("out", 6)
        deadline = time.time() + 30
        while time.time() < deadline and sum(int(v["seen"]["N"]) for v in got.values()) < 21:
            time.sleep(0.1)
            got = {i["pk"]["S"]: i for i in self.ddb.scan(TableName="out")["Items"]}
        self.assertEqual(got["before"]["seen"]["N"], "1")
        for k in range(5):
            events = [e["S"] for e in got["k%d" % k]["events"]["L"]]
            self.assertEqual(events[0].split(":")[0], "INSERT")
            self.assertTrue(all(e.startswith("MODIFY") for e in events[1:]))
            seqs = [int(e.split(":")[1]) for e in events]
            self.assertEqual(seqs, sorted(seqs))  # in order per key
            self.assertEqual(len(seqs), 4)
        # The checkpoint survives kill -9: nothing is delivered twice, new records flow.
        self.srv.kill9()
        self.srv.start()
        self.lam, self.ddb = self.srv.client("lambda"), self.srv.client("dynamodb")
        self.ddb.put_item(TableName="src", Item={"pk": {"S": "after"}})
        got = self.wait_for("out", 7)
        self.assertEqual(got["after"]["seen"]["N"], "1")
        time.sleep(0.5)
        got = {i["pk"]["S"]: i for i in self.ddb.scan(TableName="out")["Items"]}
        self.assertEqual(sum(int(v["seen"]["N"]) for v in got.values()), 22)
        self.assertEqual(self.lam.get_event_source_mapping(UUID=m["UUID"])["State"], "Enabled")

    def test_filters_latest_and_bisect_to_on_failure(self):
        arn = self.table("src2")
        self.table("out2", stream=False)
        self.table("failures", stream=False)
        self.consumer("picky", "out2")
        self.lam.create_function(FunctionName="on-failure", Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Code={"ZipFile": zip_of({"app.py": FAILURES})})
        self.ddb.put_item(TableName="src2", Item={"pk": {"S": "old"}})  # before LATEST: not seen
        self.lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="picky", StartingPosition="LATEST", BatchSize=10,
            BisectBatchOnFunctionError=True, MaximumRetryAttempts=0,
            FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
            DestinationConfig={"OnFailure": {"Destination":
                               "arn:aws:lambda:us-east-1:000000000000:function:on-failure"}})
        items = [{"pk": {"S": "g%d" % i}} for i in range(8)]
        items[5]["bad"] = {"BOOL": True}
        self.ddb.batch_write_item(RequestItems={"src2": [{"PutRequest": {"Item": it}} for it in items]})
        self.ddb.put_item(TableName="src2", Item={"pk": {"S": "g0"}, "changed": {"S": "y"}})  # MODIFY: filtered
        got = self.wait_for("out2", 7)
        self.assertEqual(sorted(got), ["g%d" % i for i in range(8) if i != 5])
        # (At least once: a failed batch's records before the bad one ran before the retry.)
        self.assertTrue(all(int(v["seen"]["N"]) >= 1 for v in got.values()))
        fails = self.wait_for("failures", 1)
        self.assertEqual([v["size"]["N"] for v in fails.values()], ["1"])  # bisected to the one
        self.assertNotIn("old", got)


    def test_parallelization_factor_keeps_order_per_key(self):
        arn = self.table("src4")
        self.table("lanes", stream=False)
        self.lam.create_function(FunctionName="parallel", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Timeout=10, Code={"ZipFile": zip_of({"app.py": PARALLEL})})
        for i in range(40):
            self.ddb.put_item(TableName="src4", Item={"pk": {"S": "p%d" % (i % 8)}, "i": {"N": str(i)}})
        self.lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="parallel", BatchSize=3,
                                             StartingPosition="TRIM_HORIZON", ParallelizationFactor=4)
        deadline = time.time() + 60
        while time.time() < deadline:
            runs = self.ddb.scan(TableName="lanes")["Items"]
            if sum(len(json.loads(r["recs"]["S"])) for r in runs) >= 40:
                break
            time.sleep(0.2)
        runs.sort(key=lambda r: float(r["start"]["N"]))
        per_key = {}
        for r in runs:
            self.assertLessEqual(len(json.loads(r["recs"]["S"])), 3)  # BatchSize per lane
            for k, seq in json.loads(r["recs"]["S"]):
                per_key.setdefault(k, []).append(int(seq))
        self.assertEqual(sum(len(v) for v in per_key.values()), 40)
        for k, seqs in per_key.items():
            self.assertEqual(seqs, sorted(seqs), k)  # in order per key
        # Lanes ran at once: some invocations overlap in time.
        overlap = any(float(b["start"]["N"]) < float(a["end"]["N"]) for a, b in zip(runs, runs[1:]))
        self.assertTrue(overlap)

    def test_on_failure_bucket(self):
        arn = self.table("src3")
        s3 = self.srv.client("s3")
        s3.create_bucket(Bucket="esm-failures")
        self.lam.create_function(FunctionName="broken", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zip_of({"app.py": "def handler(e, c):\n    raise RuntimeError('no')\n"})})
        m = self.lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="broken", StartingPosition="TRIM_HORIZON", BatchSize=10,
            MaximumBatchingWindowInSeconds=1, MaximumRetryAttempts=1,
            DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::esm-failures"}})
        self.ddb.batch_write_item(RequestItems={"src3": [{"PutRequest": {"Item": {"pk": {"S": "x%d" % i}}}}
                                                         for i in range(3)]})
        deadline, keys = time.time() + 30, []
        while time.time() < deadline and not keys:
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="esm-failures").get("Contents", [])]
            time.sleep(0.1)
        self.assertEqual(len(keys), 1)
        self.assertTrue(keys[0].startswith("aws/lambda/%s/shardId-" % m["UUID"]), keys[0])
        rec = json.loads(s3.get_object(Bucket="esm-failures", Key=keys[0])["Body"].read())
        info = rec["DDBStreamBatchInfo"]
        self.assertEqual((info["batchSize"], info["streamArn"]), (3, arn))
        self.assertLess(int(info["startSequenceNumber"]), int(info["endSequenceNumber"]))
        self.assertEqual(rec["requestContext"]["condition"], "RetryAttemptsExhausted")
        self.assertEqual(rec["requestContext"]["approximateInvokeCount"], 2)


    def sizes_function(self, name, out):
        app = SEND + ("def handler(event, context):\n"
                      "    send('%d\\n' % len(event['Records']))\n")
        self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Timeout=10, Environment={"Variables": {"OUT": collect(out)}},
                                 Code={"ZipFile": zip_of({"app.py": app})})

    def mapping_results(self):
        out, marker = {}, None
        while True:
            kw = {"Marker": marker} if marker else {}
            r = self.lam.list_event_source_mappings(**kw)
            out.update((m["UUID"], m["LastProcessingResult"]) for m in r["EventSourceMappings"])
            marker = r.get("NextMarker")
            if not marker:
                return out

    def test_last_processing_result(self):
        arn = self.table("lpr")
        out = os.path.join(tempfile.mkdtemp(), "lpr-sizes")
        self.sizes_function("lpr-ok", out)
        m = self.lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="lpr-ok",
                                                 StartingPosition="TRIM_HORIZON", BatchSize=10)
        self.assertEqual(m["LastProcessingResult"], "No records processed")
        time.sleep(0.3)
        g = self.lam.get_event_source_mapping(UUID=m["UUID"])
        self.assertEqual(g["LastProcessingResult"], "No records processed")
        self.ddb.put_item(TableName="lpr", Item={"pk": {"S": "a"}})
        deadline = time.time() + 30
        while time.time() < deadline and not os.path.exists(out):
            time.sleep(0.1)
        time.sleep(0.2)
        self.assertEqual(self.lam.get_event_source_mapping(UUID=m["UUID"])["LastProcessingResult"], "OK")
        self.assertEqual(self.mapping_results()[m["UUID"]], "OK")
        # A function error: the mapping says so (and keeps saying so while it retries).
        self.lam.create_function(FunctionName="lpr-bad", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zip_of({"app.py": "def handler(e, c):\n    raise RuntimeError('no')\n"})})
        bad = self.lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="lpr-bad",
                                                   StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=10000)
        deadline, res = time.time() + 30, None
        while time.time() < deadline and res != "PROBLEM: Function call failed":
            res = self.lam.get_event_source_mapping(UUID=bad["UUID"])["LastProcessingResult"]
            time.sleep(0.1)
        self.assertEqual(res, "PROBLEM: Function call failed")
        self.assertEqual(self.lam.get_event_source_mapping(UUID=m["UUID"])["LastProcessingResult"], "OK")

    def test_deleted_mappings_free_their_state(self):
        """More mappings than the consumer once had slots for, each bisected down to one record
        by a failing function, then deleted: a new mapping starts with state of its own (a full
        first batch), not a dead mapping's."""
        self.lam.create_function(FunctionName="fails", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zip_of({"app.py": "def handler(e, c):\n    raise RuntimeError('no')\n"})})
        uuids = []
        for i in range(300):
            arn = self.table("many%d" % i)
            self.ddb.batch_write_item(RequestItems={"many%d" % i: [{"PutRequest": {"Item": {"pk": {"S": k}}}}
                                                                  for k in ("a", "b")]})
            uuids.append(self.lam.create_event_source_mapping(
                EventSourceArn=arn, FunctionName="fails", StartingPosition="TRIM_HORIZON", BatchSize=2,
                BisectBatchOnFunctionError=True, MaximumRetryAttempts=10000)["UUID"])
        deadline = time.time() + 120
        while time.time() < deadline:
            res = self.mapping_results()
            if all(res[u] == "PROBLEM: Function call failed" for u in uuids):
                break
            time.sleep(0.5)
        for u in uuids:
            self.lam.delete_event_source_mapping(UUID=u)
        time.sleep(0.5)
        arn = self.table("fresh")
        out = os.path.join(tempfile.mkdtemp(), "sizes")
        self.sizes_function("sizes", out)
        m = self.lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="sizes", BatchSize=10,
                                                 StartingPosition="TRIM_HORIZON", MaximumBatchingWindowInSeconds=2)
        self.assertEqual(self.lam.get_event_source_mapping(UUID=m["UUID"])["LastProcessingResult"],
                         "No records processed")
        self.ddb.batch_write_item(RequestItems={"fresh": [{"PutRequest": {"Item": {"pk": {"S": "f%d" % i}}}}
                                                          for i in range(10)]})
        deadline, sizes = time.time() + 30, []
        while time.time() < deadline and sum(sizes) < 10:
            time.sleep(0.1)
            if os.path.exists(out):
                with open(out) as f:
                    sizes = [int(x) for x in f.read().split()]
        self.assertEqual(sizes, [10])
        time.sleep(0.2)
        self.assertEqual(self.lam.get_event_source_mapping(UUID=m["UUID"])["LastProcessingResult"], "OK")


class CrashUnderLoad(unittest.TestCase):
    def test_10000_writes_with_kill9_in_the_middle(self):
        """kill -9 of stratusd halfway through 10 000 writes from 8 writers: after the restart
        every acknowledged write reaches the function at least once, in order per key."""
        import threading
        srv = Server().start()
        srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        try:
            out = os.path.join(srv.data_dir, "seen.txt")
            lam, ddb = srv.client("lambda"), srv.client("dynamodb")
            arn = ddb.create_table(TableName="load", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                   BillingMode="PAY_PER_REQUEST",
                                   StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
                                   )["TableDescription"]["LatestStreamArn"]
            lam.create_function(FunctionName="append", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                Environment={"Variables": {"OUT": collect(out)}},
                                Code={"ZipFile": zip_of({"app.py": APPENDER})})
            lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="append", BatchSize=100,
                                            StartingPosition="TRIM_HORIZON")
            total, writers, keys_per = 10000, 8, 25
            acked = {}  # key -> the values acknowledged, in order
            lock = threading.Lock()
            state = {"srv": srv}

            def writer(w, lo, hi):
                client = state["srv"].client("dynamodb")
                for n in range(lo, hi):
                    key = "w%d-k%d" % (w, n % keys_per)
                    deadline = time.time() + 60
                    while time.time() < deadline:
                        try:
                            client.put_item(TableName="load", Item={"pk": {"S": key}, "i": {"N": str(n)}})
                            break
                        except Exception:  # the server is down: wait for it, then this value again
                            time.sleep(0.05)
                            client = state["srv"].client("dynamodb")
                    else:
                        return
                    with lock:
                        acked.setdefault(key, []).append(n)

            per = total // writers
            threads = [threading.Thread(target=writer, args=(w, w * per, (w + 1) * per)) for w in range(writers)]
            for t in threads:
                t.start()
            deadline = time.time() + 120
            while time.time() < deadline and sum(map(len, acked.values())) < total // 2:
                time.sleep(0.01)
            srv.kill9()
            srv.start()
            state["srv"] = srv
            for t in threads:
                t.join(180)
            self.assertEqual(sum(map(len, acked.values())), total)
            deadline = time.time() + 120
            seen = {}
            while time.time() < deadline:
                seen = {}
                with open(out) as f:
                    for line in f:
                        k, i, _ = line.split()
                        seen.setdefault(k, []).append(int(i))
                if all(set(v) <= set(seen.get(k, [])) for k, v in acked.items()):
                    break
                time.sleep(0.2)
            for k, values in acked.items():
                got = seen.get(k, [])
                self.assertTrue(set(values) <= set(got), k)  # at least once
                first = []
                for i in got:  # a replay after the crash repeats; first sightings stay in order
                    if i not in first:
                        first.append(i)
                self.assertEqual(first, sorted(first), k)
        finally:
            srv.cleanup()


class LambdaDurability(unittest.TestCase):
    def test_kill9(self):
        srv = Server().start()
        srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        try:
            lam = srv.client("lambda")
            lam.create_function(FunctionName="durable", Runtime="provided", Role=ROLE,
                                Handler="x", Code={"ZipFile": BOOTSTRAP})
            srv.kill9()
            srv.start()
            lam = srv.client("lambda")
            c = lam.get_function_configuration(FunctionName="durable")
            self.assertEqual(c["CodeSize"], len(BOOTSTRAP))
            def zips():
                return [n for n in os.listdir(os.path.join(srv.data_dir, "db", "functions"))
                        if n.endswith(".zip")]
            self.assertEqual(len(zips()), 1)
            lam.update_function_code(FunctionName="durable", ZipFile=PYTHON)
            self.assertEqual(len(zips()), 1)
            lam.delete_function(FunctionName="durable")
            self.assertEqual(zips(), [])
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
