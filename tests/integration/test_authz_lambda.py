# SPDX-License-Identifier: Apache-2.0
"""Lambda and CloudWatch Logs authorization (issue 15, package L1): every operation asks its IAM
action on its resource (a powerless user is refused each one, a user allowed lambda:* / logs:*
is refused none); function policies allow an IAM principal or an AWS service to invoke;
qualified and unqualified ARNs; iam:PassRole; function URLs (AWS_IAM and NONE); S3 bucket
notifications to functions; event source mappings and destinations checked against the
execution role; the AWS CLI; and no operation answered without a check."""

import json
import os
import re
import shutil
import subprocess
import time
import unittest
import urllib.parse
import urllib.request

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ParamValidationError

import iam_base
from lambda_grants import allow_s3, public_url
from stratus_fixture import Server, zip_of

ACCOUNT = "000000000000"
FN = "arn:aws:lambda:us-east-1:%s:function:" % ACCOUNT
APP = "import json\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n    return {'ok': True}\n"
CODE = zip_of({"app.py": APP})
CURL = shutil.which("curl") or "/usr/bin/curl"
AWS = shutil.which("aws")


def code(e):
    return e.exception.response["Error"]["Code"]


def unchecked(srv):
    with urllib.request.urlopen(srv.endpoint + "/metrics", timeout=10) as r:
        m = re.search(r"^stratus_authz_unchecked_total(?:\{[^}]*\})? (\d+)", r.read().decode(), re.M)
    return int(m.group(1)) if m else 0


def make_role(srv, name, actions):
    """A role Lambda may assume, allowed actions (a list) on everything."""
    return iam_base.role(srv, name, policies=[iam_base.allow(actions)] if actions else ())["arn"]


def make_fn(lam, name, role, **kw):
    return lam.create_function(FunctionName=name, Runtime="python3.11", Role=role,
                               Handler="app.handler", Timeout=20, Code={"ZipFile": CODE}, **kw)


def wait_log(srv, group, needle, timeout=60):
    """The function's log lines containing needle (bounded wait)."""
    logs, deadline = srv.client("logs"), time.time() + timeout
    while time.time() < deadline:
        try:
            ev = logs.filter_log_events(logGroupName=group)["events"]
        except ClientError:
            ev = []
        got = [e["message"] for e in ev if needle in e["message"]]
        if got:
            return got
        time.sleep(0.2)
    return []


# ---- every operation ----

def shape_value(shape, name, fill):
    if name in fill:
        return fill[name]
    t = shape.type_name
    if t == "structure":
        return {m: shape_value(shape.members[m], m, fill) for m in shape.required_members}
    if t == "list":
        return [shape_value(shape.member, name, fill)]
    if t == "map":
        return {"a": "b"}
    if t in ("integer", "long"):
        return max(1, int(shape.metadata.get("min", 1)))
    if t == "boolean":
        return False
    if t == "blob":
        return b"x"
    if t == "timestamp":
        return 0
    if shape.enum:
        return shape.enum[0]
    return "x" * max(1, int(shape.metadata.get("min", 1)))


def minimal_params(model, op, fill):
    inp = model.operation_model(op).input_shape
    if inp is None:
        return {}
    return {m: shape_value(inp.members[m], m, fill) for m in inp.required_members}


# The operations this server has (the others are refused as unknown, whoever asks).
LAMBDA_OPS = [
    "ListFunctions", "GetAccountSettings", "ListLayers", "GetFunction", "GetFunctionConfiguration",
    "Invoke", "GetPolicy", "ListVersionsByFunction", "ListAliases", "GetAlias", "ListTags",
    "GetFunctionConcurrency", "ListFunctionEventInvokeConfigs", "GetFunctionEventInvokeConfig",
    "ListFunctionUrlConfigs", "GetFunctionUrlConfig", "ListEventSourceMappings",
    "GetEventSourceMapping", "ListLayerVersions", "GetLayerVersion", "GetLayerVersionByArn",
    "GetLayerVersionPolicy", "CreateFunction", "UpdateFunctionConfiguration", "UpdateFunctionCode",
    "PublishVersion", "CreateAlias", "UpdateAlias", "AddPermission", "TagResource", "UntagResource",
    "PutFunctionConcurrency", "PutFunctionEventInvokeConfig", "UpdateFunctionEventInvokeConfig",
    "CreateFunctionUrlConfig", "UpdateFunctionUrlConfig", "CreateEventSourceMapping",
    "UpdateEventSourceMapping", "PublishLayerVersion", "AddLayerVersionPermission",
    "RemoveLayerVersionPermission", "RemovePermission", "DeleteFunctionUrlConfig",
    "DeleteFunctionEventInvokeConfig", "DeleteFunctionConcurrency", "DeleteAlias",
    "DeleteEventSourceMapping", "DeleteLayerVersion", "DeleteFunction"]
LOGS_OPS = ["DescribeLogGroups", "CreateLogGroup", "PutRetentionPolicy", "CreateLogStream",
            "DescribeLogStreams", "PutLogEvents", "GetLogEvents", "FilterLogEvents",
            "DeleteRetentionPolicy", "DeleteLogStream", "DeleteLogGroup"]


class EveryOperation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        srv = cls.srv
        cls.lam = srv.client("lambda")
        cls.role = make_role(srv, "ops-role", ["*"])
        make_fn(cls.lam, "ops-fn", cls.role)
        cls.lam.publish_version(FunctionName="ops-fn")
        cls.lam.create_alias(FunctionName="ops-fn", Name="live", FunctionVersion="1")
        sqs = srv.client("sqs")
        url = sqs.create_queue(QueueName="ops-q")["QueueUrl"]
        cls.queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        cls.uuid = cls.lam.create_event_source_mapping(EventSourceArn=cls.queue,
                                                       FunctionName="ops-fn")["UUID"]
        layer = cls.lam.publish_layer_version(LayerName="ops-layer", Content={"ZipFile": CODE})
        cls.layer_arn = layer["LayerVersionArn"]
        srv.client("logs").create_log_group(logGroupName="/ops/group")
        cls.fill = {
            "FunctionName": "ops-fn", "Role": cls.role, "Code": {"ZipFile": CODE},
            "Content": {"ZipFile": CODE}, "Name": "live", "FunctionVersion": "1",
            "StatementId": "s1", "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com",
            "Resource": FN + "ops-fn", "Tags": {"a": "b"}, "TagKeys": ["a"], "UUID": cls.uuid,
            "LayerName": "ops-layer", "VersionNumber": 1, "Arn": cls.layer_arn,
            "AuthType": "AWS_IAM", "ReservedConcurrentExecutions": 1, "EventSourceArn": cls.queue,
            "logGroupName": "/ops/group", "logStreamName": "s1", "retentionInDays": 1,
            "logEvents": [{"timestamp": int(time.time() * 1000), "message": "m"}],
        }

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def each(self, service, ops, creds, check):
        model = botocore.session.get_session().get_service_model(service)
        c = iam_base.client(self.srv, creds, service)
        ran = 0
        for op in ops:
            params = minimal_params(model, op, self.fill)
            method = getattr(c, botocore.xform_name(op))
            try:
                method(**params)
                check(op, None)
            except ClientError as e:
                check(op, e.response)
            except ParamValidationError as e:  # a parameter this table lacks: fix the table
                self.fail("%s: %s" % (op, e))
            ran += 1
        return ran

    def test_powerless_user_is_refused_everything(self):
        nobody = iam_base.user(self.srv, "nobody")
        refused = []

        def check(op, resp):
            self.assertIsNotNone(resp, "%s answered a user without permissions" % op)
            refused.append(op)
            self.assertIn(resp["Error"]["Code"], ("AccessDeniedException",), (op, resp["Error"]))
            self.assertIn(nobody["arn"], resp["Error"]["Message"])
        self.assertEqual(self.each("lambda", LAMBDA_OPS, nobody, check), len(LAMBDA_OPS))
        self.assertEqual(self.each("logs", LOGS_OPS, nobody, check), len(LOGS_OPS))
        # the operations this server lacks are refused as well, never answered
        model = botocore.session.get_session().get_service_model("lambda")
        others = [op for op in model.operation_names if op not in LAMBDA_OPS]

        def other(op, resp):
            self.assertIsNotNone(resp, "%s answered a user without permissions" % op)
        self.each("lambda", others, nobody, other)
        self.assertEqual(unchecked(self.srv), 0)

    def test_allowed_user_is_refused_nothing(self):
        admin = iam_base.user(self.srv, "fn-admin", policies=[
            iam_base.allow(["lambda:*", "logs:*"]),
            iam_base.allow("iam:PassRole", self.role,
                           condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})])

        def check(op, resp):
            if resp is not None:
                self.assertNotEqual(resp["Error"]["Code"], "AccessDeniedException", (op, resp["Error"]))
        self.each("logs", LOGS_OPS, admin, check)
        self.each("lambda", LAMBDA_OPS, admin, check)
        self.assertEqual(unchecked(self.srv), 0)


class Policies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.lam = cls.srv.client("lambda")
        cls.role = make_role(cls.srv, "pol-role", ["*"])
        make_fn(cls.lam, "pol-fn", cls.role)
        cls.lam.publish_version(FunctionName="pol-fn")
        cls.lam.create_alias(FunctionName="pol-fn", Name="live", FunctionVersion="1")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def tearDown(self):
        self.assertEqual(unchecked(self.srv), 0)

    def test_function_policy_alone_allows_invoke(self):
        u = iam_base.user(self.srv, "invoker")
        lam = iam_base.client(self.srv, u, "lambda")
        e = iam_base.denied(lam.invoke, FunctionName="pol-fn", Payload=b"{}")
        self.assertIn("lambda:InvokeFunction", e["Error"]["Message"])
        self.assertIn(FN + "pol-fn", e["Error"]["Message"])
        self.lam.add_permission(FunctionName="pol-fn", StatementId="user", Principal=u["arn"],
                                Action="lambda:InvokeFunction")
        r = lam.invoke(FunctionName="pol-fn", Payload=b"{}")
        self.assertEqual((r["StatusCode"], json.loads(r["Payload"].read())), (200, {"ok": True}))
        # the statement names one action only
        iam_base.denied(lam.get_function, FunctionName="pol-fn")
        # an alias has a policy of its own
        iam_base.denied(lam.invoke, FunctionName="pol-fn", Qualifier="live", Payload=b"{}")
        self.lam.add_permission(FunctionName="pol-fn", Qualifier="live", StatementId="user",
                                Principal=u["arn"], Action="lambda:InvokeFunction")
        self.assertEqual(lam.invoke(FunctionName="pol-fn", Qualifier="live")["StatusCode"], 200)
        self.lam.remove_permission(FunctionName="pol-fn", StatementId="user")
        iam_base.denied(lam.invoke, FunctionName="pol-fn", Payload=b"{}")

    def test_qualified_and_unqualified_arns(self):
        only = iam_base.user(self.srv, "unqualified", policies=[
            iam_base.allow("lambda:InvokeFunction", FN + "pol-fn")])
        lam = iam_base.client(self.srv, only, "lambda")
        self.assertEqual(lam.invoke(FunctionName="pol-fn")["StatusCode"], 200)
        iam_base.denied(lam.invoke, FunctionName="pol-fn", Qualifier="live")
        iam_base.denied(lam.invoke, FunctionName=FN + "pol-fn:1")
        any_q = iam_base.user(self.srv, "qualified", policies=[
            iam_base.allow("lambda:InvokeFunction", FN + "pol-fn:*")])
        lam = iam_base.client(self.srv, any_q, "lambda")
        self.assertEqual(lam.invoke(FunctionName="pol-fn", Qualifier="live")["StatusCode"], 200)
        self.assertEqual(lam.invoke(FunctionName=FN + "pol-fn:1")["StatusCode"], 200)
        iam_base.denied(lam.invoke, FunctionName="pol-fn")

    def test_pass_role(self):
        no_pass = iam_base.user(self.srv, "no-pass", policies=[iam_base.allow("lambda:*")])
        lam = iam_base.client(self.srv, no_pass, "lambda")
        e = iam_base.denied(make_fn, lam, "passed-fn", self.role)
        self.assertIn("iam:PassRole", e["Error"]["Message"])
        self.assertIn(self.role, e["Error"]["Message"])
        with self.assertRaises(ClientError):
            self.lam.get_function(FunctionName="passed-fn")  # nothing was created
        can_pass = iam_base.user(self.srv, "can-pass", policies=[
            iam_base.allow("lambda:*"),
            iam_base.allow("iam:PassRole", self.role,
                           condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})])
        lam = iam_base.client(self.srv, can_pass, "lambda")
        make_fn(lam, "passed-fn", self.role)
        # UpdateFunctionConfiguration passes it again; without a Role it passes nothing
        lam.update_function_configuration(FunctionName="passed-fn", Role=self.role)
        lam2 = iam_base.client(self.srv, no_pass, "lambda")
        lam2.update_function_configuration(FunctionName="passed-fn", Description="d")
        iam_base.denied(lam2.update_function_configuration, FunctionName="passed-fn", Role=self.role)

    def test_tags_and_resource_tags(self):
        make_fn(self.lam, "tagged-fn", self.role, Tags={"team": "red"})
        u = iam_base.user(self.srv, "red-team", policies=[iam_base.allow(
            "lambda:GetFunction", "*", condition={"StringEquals": {"aws:ResourceTag/team": "red"}})])
        lam = iam_base.client(self.srv, u, "lambda")
        self.assertEqual(lam.get_function(FunctionName="tagged-fn")["Configuration"]["FunctionName"],
                         "tagged-fn")
        iam_base.denied(lam.get_function, FunctionName="pol-fn")  # no team tag
        tagger = iam_base.user(self.srv, "tagger", policies=[iam_base.allow(
            "lambda:TagResource", "*", condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}})])
        lam = iam_base.client(self.srv, tagger, "lambda")
        lam.tag_resource(Resource=FN + "tagged-fn", Tags={"env": "prod"})
        iam_base.denied(lam.tag_resource, Resource=FN + "tagged-fn", Tags={"owner": "x"})

    def test_add_permission_validation(self):
        for kw, want in (({"Principal": "not a principal!"}, "ValidationException"),
                         ({"Principal": "nobody"}, "InvalidParameterValueException"),
                         ({"Principal": "*", "SourceAccount": "12"}, "ValidationException"),
                         ({"Principal": "*", "SourceArn": "bucket"}, "ValidationException"),
                         ({"Principal": "*", "PrincipalOrgID": "org-not-an-id"}, "ValidationException"),
                         ({"Principal": "*", "FunctionUrlAuthType": "OPEN"}, "ValidationException")):
            with self.assertRaises(ClientError) as e:
                self.lam.add_permission(FunctionName="pol-fn", StatementId="v",
                                        Action="lambda:InvokeFunction", **kw)
            self.assertEqual(code(e), want, kw)
        self.lam.add_permission(FunctionName="pol-fn", StatementId="v", Action="lambda:InvokeFunction",
                                Principal="*", PrincipalOrgID="o-abcdefghij")
        self.lam.remove_permission(FunctionName="pol-fn", StatementId="v")

    @unittest.skipUnless(AWS, "the AWS CLI is not installed")
    def test_aws_cli(self):
        u = iam_base.user(self.srv, "cli-user")
        env = dict(os.environ, AWS_ACCESS_KEY_ID=u["access_key"], AWS_SECRET_ACCESS_KEY=u["secret_key"],
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        cmd = [AWS, "--endpoint-url", self.srv.endpoint, "--output", "json", "lambda",
               "get-function-configuration", "--function-name", "pol-fn"]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("AccessDeniedException", p.stderr)
        r = self.srv.aws("lambda", "add-permission", "--function-name", "pol-fn", "--statement-id",
                         "cli", "--action", "lambda:GetFunctionConfiguration", "--principal", u["arn"])
        self.assertEqual(r.returncode, 0, r.stderr)
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["FunctionName"], "pol-fn")
        self.lam.remove_permission(FunctionName="pol-fn", StatementId="cli")


def curl(url, *args):
    r = subprocess.run([CURL, "-s", "-i", "--max-time", "60", *args, url], capture_output=True, timeout=90)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


class FunctionUrls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.lam = cls.srv.client("lambda")
        role = make_role(cls.srv, "url-role", ["*"])
        make_fn(cls.lam, "open-fn", role)
        make_fn(cls.lam, "iam-fn", role)
        cls.open_url = cls.lam.create_function_url_config(FunctionName="open-fn", AuthType="NONE")["FunctionUrl"]
        cls.iam_url = cls.lam.create_function_url_config(FunctionName="iam-fn", AuthType="AWS_IAM")["FunctionUrl"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def signed(self, creds, url):
        req = AWSRequest(method="GET", url=url)
        SigV4Auth(Credentials(creds["access_key"], creds["secret_key"], creds.get("session_token")),
                  "lambda", "us-east-1").add_auth(req)
        return curl(url, *sum((["-H", "%s: %s" % kv] for kv in req.headers.items()), []))

    def test_none_needs_a_public_permission(self):
        st, body = curl(self.open_url)
        self.assertEqual((st, json.loads(body)), (403, {"Message": "Forbidden"}))
        # a statement for another action or without the auth type does not open it
        self.lam.add_permission(FunctionName="open-fn", StatementId="inv", Principal="*",
                                Action="lambda:InvokeFunction")
        self.assertEqual(curl(self.open_url)[0], 403)
        public_url(self.lam, "open-fn")
        st, body = curl(self.open_url)
        self.assertEqual((st, json.loads(body)), (200, {"ok": True}))

    def test_aws_iam_signed_by_identity_or_function_policy(self):
        self.assertEqual(curl(self.iam_url)[0], 403)  # unsigned
        u = iam_base.user(self.srv, "url-caller")
        self.assertEqual(self.signed(u, self.iam_url)[0], 403)
        ok = iam_base.user(self.srv, "url-ok", policies=[iam_base.allow(
            "lambda:InvokeFunctionUrl", FN + "iam-fn",
            condition={"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}})])
        st, body = self.signed(ok, self.iam_url)
        self.assertEqual((st, json.loads(body)), (200, {"ok": True}))
        # the function policy alone, for the first user
        self.lam.add_permission(FunctionName="iam-fn", StatementId="caller", Principal=u["arn"],
                                Action="lambda:InvokeFunctionUrl", FunctionUrlAuthType="AWS_IAM")
        self.assertEqual(self.signed(u, self.iam_url)[0], 200)
        self.assertEqual(unchecked(self.srv), 0)


class ServicesAndRoles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.lam = cls.srv.client("lambda")
        cls.iam = cls.srv.client("iam")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def tearDown(self):
        self.assertEqual(unchecked(self.srv), 0)

    def test_s3_notification_needs_the_function_policy(self):
        s3 = self.srv.client("s3")
        make_fn(self.lam, "s3-fn", make_role(self.srv, "s3-fn-role", ["*"]))
        s3.create_bucket(Bucket="az-notify")
        conf = {"LambdaFunctionConfigurations": [{"Id": "f", "LambdaFunctionArn": FN + "s3-fn",
                                                  "Events": ["s3:ObjectCreated:*"]}]}
        with self.assertRaises(ClientError) as e:
            s3.put_bucket_notification_configuration(Bucket="az-notify", NotificationConfiguration=conf)
        self.assertEqual(code(e), "InvalidArgument")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(e.exception.response["Error"]["Message"],
                         "Unable to validate the following destination configurations")
        self.assertEqual(e.exception.response["Error"].get("ArgumentName1"), FN + "s3-fn")
        self.assertIn("Not authorized to invoke function", e.exception.response["Error"].get("ArgumentValue1", ""))
        # a permission for another bucket does not do
        allow_s3(self.lam, "s3-fn", "other-bucket")
        with self.assertRaises(ClientError):
            s3.put_bucket_notification_configuration(Bucket="az-notify", NotificationConfiguration=conf)
        allow_s3(self.lam, "s3-fn", "az-notify")
        s3.put_bucket_notification_configuration(Bucket="az-notify", NotificationConfiguration=conf)
        s3.put_object(Bucket="az-notify", Key="first-key", Body=b"x")
        self.assertTrue(wait_log(self.srv, "/aws/lambda/s3-fn", "first-key"))

    def test_mapping_needs_a_role_that_reads_the_source(self):
        sqs = self.srv.client("sqs")
        url = sqs.create_queue(QueueName="az-src")["QueueUrl"]
        q = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        make_role(self.srv, "blind-role", ["logs:*"])
        make_fn(self.lam, "esm-fn", "arn:aws:iam::%s:role/blind-role" % ACCOUNT)
        with self.assertRaises(ClientError) as e:
            self.lam.create_event_source_mapping(EventSourceArn=q, FunctionName="esm-fn")
        self.assertEqual(code(e), "InvalidParameterValueException")
        self.assertEqual(e.exception.response["Error"]["Message"],
                         "The provided execution role does not have permissions to call "
                         "ReceiveMessage on SQS")
        self.assertEqual(self.lam.list_event_source_mappings(FunctionName="esm-fn")["EventSourceMappings"], [])
        self.iam.put_role_policy(RoleName="blind-role", PolicyName="read", PolicyDocument=json.dumps(
            iam_base.allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], q)))
        m = self.lam.create_event_source_mapping(EventSourceArn=q, FunctionName="esm-fn")
        self.lam.delete_event_source_mapping(UUID=m["UUID"])
        # a table stream: the four stream actions
        ddb = self.srv.client("dynamodb")
        stream = ddb.create_table(
            TableName="az-t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]["LatestStreamArn"]
        with self.assertRaises(ClientError) as e:
            self.lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="esm-fn",
                                                 StartingPosition="LATEST")
        self.assertEqual(code(e), "InvalidParameterValueException")
        self.assertIn("Cannot access stream %s. Please ensure the role can perform the GetRecords, "
                      "GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."
                      % stream, e.exception.response["Error"]["Message"])
        self.iam.put_role_policy(RoleName="blind-role", PolicyName="stream", PolicyDocument=json.dumps(
            iam_base.allow(["dynamodb:GetRecords", "dynamodb:GetShardIterator",
                            "dynamodb:DescribeStream", "dynamodb:ListStreams"], stream)))
        self.lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="esm-fn",
                                             StartingPosition="LATEST")

    def test_destination_needs_the_role(self):
        sqs = self.srv.client("sqs")
        url = sqs.create_queue(QueueName="az-dest")["QueueUrl"]
        q = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        make_role(self.srv, "mute-role", ["logs:*"])
        make_fn(self.lam, "dest-fn", "arn:aws:iam::%s:role/mute-role" % ACCOUNT)
        with self.assertRaises(ClientError) as e:
            self.lam.put_function_event_invoke_config(
                FunctionName="dest-fn", DestinationConfig={"OnSuccess": {"Destination": q}})
        self.assertEqual(code(e), "InvalidParameterValueException")
        self.assertEqual(e.exception.response["Error"]["Message"],
                         "The provided execution role does not have permissions to call SendMessage on SQS")
        self.iam.put_role_policy(RoleName="mute-role", PolicyName="send", PolicyDocument=json.dumps(
            iam_base.allow("sqs:SendMessage", q)))
        self.lam.put_function_event_invoke_config(FunctionName="dest-fn",
                                                  DestinationConfig={"OnSuccess": {"Destination": q}})
        # delivered as the role: the record reaches the queue
        self.lam.invoke(FunctionName="dest-fn", InvocationType="Event", Payload=b'{"k": 1}')
        deadline, got = time.time() + 60, []
        while not got and time.time() < deadline:
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        self.assertTrue(got)
        self.assertEqual(json.loads(got[0]["Body"])["requestPayload"], {"k": 1})


if __name__ == "__main__":
    unittest.main()
