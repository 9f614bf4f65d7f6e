# SPDX-License-Identifier: Apache-2.0
"""The runtimes' AWS SDKs reach Stratus unmodified (issue 13): pipelines whose functions are
plain SDK code with no endpoint argument — Python's boto3 (the runtime's, and Debian's 1.26
bundled in the zip), Node's @aws-sdk v3 (the runtime's, required and imported), aws-sdk v2 and
an @aws-sdk v3 from before AWS_ENDPOINT_URL bundled in the zip: a table's stream → function →
a second table, 300 records → 300 derived items; S3 notification → function → table; a kill -9
of stratusd mid-pipeline loses nothing acknowledged. Runtimes as named: --runtime NAME=PATH,
the nearest interpreter's warning in every START line, deprecated runtimes refused."""
import base64
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import zipfile

from botocore.exceptions import ClientError

from stratus_fixture import STRATUSD, Server

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLES = os.path.join(HERE, "lambda_bundles", "node_modules")
DEBIAN_PY = "/usr/lib/python3/dist-packages"
RUNTIME_SDK = os.path.join(HERE, "..", "..", "server", "runtime", "nodejs", "node_modules")
N = 300


def zip_files(files, trees=()):
    """A zip of {name: text} and of (source dir, name in zip, keep(relpath) -> bool) trees."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
        for src, dst, keep in trees:
            for dirpath, dirnames, filenames in os.walk(src):
                dirnames[:] = [d for d in dirnames if d != "__pycache__"]
                for fn in filenames:
                    full = os.path.join(dirpath, fn)
                    rel = os.path.relpath(full, src)
                    if keep(rel) and not os.path.islink(full):
                        z.write(full, os.path.join(dst, rel))
    return buf.getvalue()


# Each derives {id, v * 2, sdk} from a stream record's new image.
PY_DERIVE = """import os
import boto3, botocore
ddb = boto3.client("dynamodb")
WHERE = "task" if botocore.__file__.startswith(os.environ["LAMBDA_TASK_ROOT"]) else "runtime"
def handler(event, context):
    for r in event["Records"]:
        img = r["dynamodb"].get("NewImage")
        if img:
            ddb.put_item(TableName=os.environ["DST"], Item={
                "id": img["id"], "v": {"N": str(int(img["v"]["N"]) * 2)},
                "sdk": {"S": "boto3 %s %s" % (boto3.__version__, WHERE)}})
    return {"n": len(event["Records"])}
"""

NODE_V3_CJS = """const { DynamoDBClient, PutItemCommand } = require("@aws-sdk/client-dynamodb");
const ddb = new DynamoDBClient({});
const where = require.resolve("@aws-sdk/client-dynamodb").startsWith(process.env.LAMBDA_TASK_ROOT) ? "task" : "runtime";
let version = "?";
try { version = require("@aws-sdk/client-dynamodb/package.json").version; } catch (e) {}
exports.handler = async (event) => {
  for (const r of event.Records) {
    const img = r.dynamodb.NewImage;
    if (!img) continue;
    await ddb.send(new PutItemCommand({ TableName: process.env.DST, Item: {
      id: img.id, v: { N: String(Number(img.v.N) * 2) }, sdk: { S: "v3 " + version + " " + where } } }));
  }
  return { n: event.Records.length };
};
"""

NODE_V3_MJS = """import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = async (event) => {
  for (const r of event.Records) {
    const img = r.dynamodb.NewImage;
    if (!img) continue;
    await doc.send(new PutCommand({ TableName: process.env.DST,
      Item: { id: img.id.S, v: Number(img.v.N) * 2, sdk: "v3 lib-dynamodb mjs" } }));
  }
  return { n: event.Records.length };
};
"""

NODE_V2 = """const AWS = require("aws-sdk");
const ddb = new AWS.DynamoDB();
exports.handler = async (event) => {
  for (const r of event.Records) {
    const img = r.dynamodb.NewImage;
    if (!img) continue;
    await ddb.putItem({ TableName: process.env.DST, Item: {
      id: img.id, v: { N: String(Number(img.v.N) * 2) }, sdk: { S: "v2 " + AWS.VERSION } } }).promise();
  }
  return { n: event.Records.length };
};
"""

PY_S3 = """import os, urllib.parse
import boto3
s3 = boto3.client("s3")
ddb = boto3.resource("dynamodb").Table(os.environ["DST"])
def handler(event, context):
    for r in event["Records"]:
        b = r["s3"]["bucket"]["name"]
        k = urllib.parse.unquote_plus(r["s3"]["object"]["key"])
        body = s3.get_object(Bucket=b, Key=k)["Body"].read().decode()
        ddb.put_item(Item={"id": k, "v": len(body), "text": body})
"""

PY_VERSION = """import sys
def handler(event, context):
    return {"version": "%d.%d" % sys.version_info[:2]}
"""


def keep_python_sdk(rel):
    return rel.split(os.sep)[0] in ("boto3", "botocore", "s3transfer", "jmespath")


def keep_aws_sdk_v2(rel):
    """aws-sdk v2 as a bundler would keep it: its code and DynamoDB's model."""
    parts = rel.split(os.sep)
    if rel.endswith((".d.ts", ".map", ".md")) or parts[0].startswith("@"):
        return False
    if parts[0] == "aws-sdk" and len(parts) > 1:
        if parts[1] in ("dist", "dist-tools", "scripts", "Crashpad"):
            return False
        if parts[1] == "apis" and not parts[-1].startswith(("metadata", "dynamodb", "sts", "cognito-identity-")):
            return False
    return True


def keep_aws_sdk_v3(rel):
    parts = rel.split(os.sep)
    return parts[0] != "aws-sdk" and "dist-es" not in parts and "dist-types" not in parts and \
        not rel.endswith((".d.ts", ".map", ".md"))


class SdkPipelines(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        cls.ddb = cls.srv.client("dynamodb")
        cls.lam = cls.srv.client("lambda")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def pipeline(self, name, runtime, handler, code, n=N, timeout=120):
        """src table (stream) → mapping → function → dst table; returns the dst items."""
        src, dst = name + "-src", name + "-dst"
        for t, stream in ((src, True), (dst, False)):
            kw = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}} if stream else {}
            self.ddb.create_table(TableName=t, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                  BillingMode="PAY_PER_REQUEST", **kw)
        arn = self.ddb.describe_table(TableName=src)["Table"]["LatestStreamArn"]
        self.lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                                 Timeout=30, MemorySize=256, Code={"ZipFile": code},
                                 Environment={"Variables": {"DST": dst}})
        self.lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                             StartingPosition="TRIM_HORIZON", BatchSize=100)
        for start in range(0, n, 25):
            self.ddb.batch_write_item(RequestItems={src: [
                {"PutRequest": {"Item": {"id": {"S": "k%03d" % i}, "v": {"N": str(i)}}}}
                for i in range(start, min(n, start + 25))]})
        items = self.wait_items(dst, n, timeout, name)
        self.assertEqual(sorted(i["id"]["S"] for i in items), ["k%03d" % i for i in range(n)])
        for it in items:
            self.assertEqual(int(it["v"]["N"]), 2 * int(it["id"]["S"][1:]))
        return items

    def wait_items(self, table, n, timeout, name):
        deadline = time.time() + timeout
        items = []
        while time.time() < deadline:
            items = self.scan(table)
            if len(items) >= n:
                return items
            time.sleep(0.3)
        self.fail("%s: %d of %d derived items after %ds; log: %s" % (
            name, len(items), n, timeout, self.last_log(name)))

    def scan(self, table):
        items, kw = [], {}
        for _ in range(100):
            r = self.ddb.scan(TableName=table, **kw)
            items += r["Items"]
            if "LastEvaluatedKey" not in r:
                break
            kw = {"ExclusiveStartKey": r["LastEvaluatedKey"]}
        return items

    def last_log(self, name):
        try:
            logs = self.srv.client("logs")
            ev = logs.filter_log_events(logGroupName="/aws/lambda/" + name, limit=40)["events"]
            return "\n".join(e["message"] for e in ev)[-3000:]
        except ClientError as e:
            return str(e)

    def sdk_of(self, items):
        return {i["sdk"]["S"] for i in items}

    def test_python_runtime_boto3(self):
        items = self.pipeline("py-rt", "python3.11", "app.handler", zip_files({"app.py": PY_DERIVE}))
        (sdk,) = self.sdk_of(items)
        self.assertTrue(sdk.startswith("boto3 ") and sdk.endswith(" runtime"), sdk)

    @unittest.skipUnless(os.path.isdir(os.path.join(DEBIAN_PY, "botocore")), "Debian's python3-boto3 is not installed")
    def test_python_bundled_debian_boto3(self):
        """Debian's boto3 1.26 (botocore 1.29, before AWS_ENDPOINT_URL) in the zip: the
        runtime's site hook gives its clients the endpoint."""
        code = zip_files({"app.py": PY_DERIVE}, [(DEBIAN_PY, "", keep_python_sdk)])
        items = self.pipeline("py-bundled", "python3.11", "app.handler", code)
        (sdk,) = self.sdk_of(items)
        self.assertTrue(sdk.startswith("boto3 1.26") and sdk.endswith(" task"), sdk)

    def test_node_runtime_v3_require(self):
        items = self.pipeline("node-cjs", "nodejs20.x", "index.handler", zip_files({"index.js": NODE_V3_CJS}))
        (sdk,) = self.sdk_of(items)
        self.assertTrue(sdk.startswith("v3 3.") and sdk.endswith(" runtime"), sdk)

    def test_node_runtime_v3_import_mjs(self):
        items = self.pipeline("node-mjs", "nodejs20.x", "index.handler", zip_files({"index.mjs": NODE_V3_MJS}))
        self.assertEqual(self.sdk_of(items), {"v3 lib-dynamodb mjs"})

    @unittest.skipUnless(os.path.isdir(os.path.join(BUNDLES, "aws-sdk")), "make js-deps installs the bundles")
    def test_node_bundled_v2(self):
        code = zip_files({"index.js": NODE_V2}, [(BUNDLES, "node_modules", keep_aws_sdk_v2)])
        items = self.pipeline("node-v2", "nodejs20.x", "index.handler", code)
        (sdk,) = self.sdk_of(items)
        self.assertTrue(sdk.startswith("v2 2."), sdk)

    @unittest.skipUnless(os.path.isdir(os.path.join(BUNDLES, "@aws-sdk")), "make js-deps installs the bundles")
    def test_node_bundled_old_v3(self):
        """@aws-sdk/client-dynamodb 3.300 (before AWS_ENDPOINT_URL) in the zip: the runtime's
        preload gives its clients the endpoint."""
        code = zip_files({"index.js": NODE_V3_CJS}, [(BUNDLES, "node_modules", keep_aws_sdk_v3)])
        items = self.pipeline("node-old-v3", "nodejs20.x", "index.handler", code, n=100)
        self.assertEqual(self.sdk_of(items), {"v3 3.300.0 task"})

    @unittest.skipUnless(shutil.which("node") and os.path.isdir(RUNTIME_SDK), "make deps installs the runtime's SDK")
    def test_esm_resolve_hook(self):
        """The runtime's ES module hook (used when NODE_PATH holds a node_modules that the code's
        own resolution does not reach, as the sandbox's /var/runtime/node_modules): an import
        of the SDK from elsewhere fails without it and resolves through NODE_PATH with it."""
        hook = os.path.join(self.srv.data_dir, "db", "functions", "runtimes", "esm_resolve.mjs")
        work = tempfile.mkdtemp(prefix="stratus-esm-")
        try:
            with open(os.path.join(work, "a.mjs"), "w") as f:
                f.write('import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\n'
                        'console.log(typeof DynamoDBClient);\n')
            env = dict(os.environ, NODE_PATH="/opt/nodejs/node_modules:%s:%s" % (RUNTIME_SDK, work))
            plain = subprocess.run(["node", os.path.join(work, "a.mjs")], env=env, capture_output=True,
                                   text=True, timeout=60)
            self.assertIn("ERR_MODULE_NOT_FOUND", plain.stderr)
            hooked = subprocess.run(["node", "-e", "require('module').register(%s); import(%s)" % (
                json.dumps("file://" + hook), json.dumps("file://" + os.path.join(work, "a.mjs")))],
                env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(hooked.stdout.strip(), "function", hooked.stderr)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def test_s3_notification_pipeline(self):
        s3 = self.srv.client("s3")
        s3.create_bucket(Bucket="sdk-notify")
        self.ddb.create_table(TableName="s3-derived", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        fn = self.lam.create_function(FunctionName="s3-reader", Runtime="python3.11", Role=ROLE,
                                      Handler="app.handler", Timeout=30, Code={"ZipFile": zip_files({"app.py": PY_S3})},
                                      Environment={"Variables": {"DST": "s3-derived"}})
        s3.put_bucket_notification_configuration(Bucket="sdk-notify", NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"Id": "new", "LambdaFunctionArn": fn["FunctionArn"],
                                              "Events": ["s3:ObjectCreated:*"]}]})
        for i in range(30):
            s3.put_object(Bucket="sdk-notify", Key="in/o %02d.txt" % i, Body=b"x" * i)
        items = self.wait_items("s3-derived", 30, 90, "s3-reader")
        self.assertEqual(sorted((i["id"]["S"], int(i["v"]["N"])) for i in items),
                         [("in/o %02d.txt" % i, i) for i in range(30)])


class SdkPipelineCrash(unittest.TestCase):
    def test_kill9_mid_pipeline_loses_nothing(self):
        """stratusd is killed (SIGKILL) while the function is deriving items; after a restart on
        the same data every acknowledged source write ends up derived (at least once)."""
        srv = Server().start()
        srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        data_dir = srv.data_dir
        try:
            ddb, lam = srv.client("dynamodb"), srv.client("lambda")
            for t, stream in (("csrc", True), ("cdst", False)):
                kw = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}} if stream else {}
                ddb.create_table(TableName=t, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                 BillingMode="PAY_PER_REQUEST", **kw)
            arn = ddb.describe_table(TableName="csrc")["Table"]["LatestStreamArn"]
            lam.create_function(FunctionName="crashy", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                Timeout=30, Code={"ZipFile": zip_files({"app.py": PY_DERIVE})},
                                Environment={"Variables": {"DST": "cdst"}})
            lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="crashy",
                                            StartingPosition="TRIM_HORIZON", BatchSize=10)
            acked = []
            for i in range(200):
                ddb.put_item(TableName="csrc", Item={"id": {"S": "c%03d" % i}, "v": {"N": str(i)}})
                acked.append("c%03d" % i)
            deadline = time.time() + 60
            while time.time() < deadline and ddb.scan(TableName="cdst", Select="COUNT")["Count"] < 20:
                time.sleep(0.05)
            derived_before = ddb.scan(TableName="cdst", Select="COUNT")["Count"]
            srv.kill9()
            srv = Server(data_dir=data_dir).start()
            srv.lambda_role()  # issue 15: functions need a role Lambda can assume
            ddb = srv.client("dynamodb")
            for i in range(200, 300):
                ddb.put_item(TableName="csrc", Item={"id": {"S": "c%03d" % i}, "v": {"N": str(i)}})
                acked.append("c%03d" % i)
            deadline = time.time() + 120
            got = set()
            while time.time() < deadline:
                got = set()
                kw = {}
                for _ in range(100):
                    r = ddb.scan(TableName="cdst", **kw)
                    got |= {it["id"]["S"] for it in r["Items"]}
                    if "LastEvaluatedKey" not in r:
                        break
                    kw = {"ExclusiveStartKey": r["LastEvaluatedKey"]}
                if got >= set(acked):
                    break
                time.sleep(0.3)
            missing = sorted(set(acked) - got)
            self.assertEqual(missing, [], "derived before the kill: %d; log: %s" % (derived_before, srv.read_log()))
            self.assertGreater(derived_before, 0)
        finally:
            srv.cleanup()
            shutil.rmtree(data_dir, ignore_errors=True)


def installed_pythons():
    found = set()
    for minor in range(6, 21):
        for d in ("/usr/local/bin", "/usr/bin", "/bin"):
            if os.access(os.path.join(d, "python3.%d" % minor), os.X_OK):
                found.add(minor)
    return found


class RuntimesAsNamed(unittest.TestCase):
    def invoke_tail(self, lam, name):
        r = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
        return json.loads(r["Payload"].read()), base64.b64decode(r["LogResult"]).decode()

    def test_nearest_version_warns_and_flag_maps(self):
        have = installed_pythons()
        self.assertTrue(have, "no python3.x on this machine")
        missing = [m for m in (14, 13, 12, 10, 9) if m not in have]
        if not missing:
            self.skipTest("every python3.x runtime has its interpreter here")
        m = missing[0]
        runtime = "python3.%d" % m
        nearest = sorted(have, key=lambda v: (abs(v - m), v < m))[0]
        host = "/usr/bin/python3.%d" % nearest if os.path.exists("/usr/bin/python3.%d" % nearest) \
            else "/usr/local/bin/python3.%d" % nearest
        code = zip_files({"app.py": PY_VERSION})
        # Unmapped: the nearest interpreter, with the warning in every START line.
        srv = Server().start()
        srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        try:
            lam = srv.client("lambda")
            lam.create_function(FunctionName="ver", Runtime=runtime, Role=ROLE, Handler="app.handler",
                                Code={"ZipFile": code})
            for _ in range(2):
                out, tail = self.invoke_tail(lam, "ver")
                self.assertEqual(out, {"version": "3.%d" % nearest})
                start = tail.splitlines()[0]
                self.assertRegex(start, r"^START RequestId: \S+ Version: \$LATEST WARNING: %s runs on "
                                 r"Python 3\.%d\.\d+ here; map one with --runtime %s=PATH$"
                                 % (runtime.replace(".", r"\."), nearest, runtime.replace(".", r"\.")))
            # Node likewise: a nodejs*.x of another major than the system's node.
            node = shutil.which("node", path="/usr/local/bin:/usr/bin:/bin")
            if node:
                major = int(subprocess.run([node, "--version"], capture_output=True, text=True,
                                           timeout=30).stdout.strip().lstrip("v").split(".")[0])
                other = next(v for v in (24, 22, 20, 18) if v != major)
                lam.create_function(FunctionName="nver", Runtime="nodejs%d.x" % other, Role=ROLE,
                                    Handler="index.handler", Code={"ZipFile": zip_files({
                                        "index.js": "exports.handler = async () => process.versions.node;"})})
                out, tail = self.invoke_tail(lam, "nver")
                self.assertEqual(out.split(".")[0], str(major))
                self.assertIn(" Version: $LATEST WARNING: nodejs%d.x runs on Node.js %s here; map one with "
                              "--runtime nodejs%d.x=PATH" % (other, out, other), tail.splitlines()[0])
            # Lambda's deprecated runtimes are refused with Lambda's message.
            with self.assertRaises(ClientError) as e:
                lam.create_function(FunctionName="old", Runtime="nodejs16.x", Role=ROLE, Handler="a.b",
                                    Code={"ZipFile": code})
            self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameterValueException")
            self.assertIn("The runtime parameter of nodejs16.x is no longer supported for creating or "
                          "updating AWS Lambda functions", e.exception.response["Error"]["Message"])
        finally:
            srv.cleanup()
        # Mapped with --runtime: that interpreter, no warning.
        srv = Server("--runtime", "%s=%s" % (runtime, host)).start()
        srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        try:
            lam = srv.client("lambda")
            lam.create_function(FunctionName="ver", Runtime=runtime, Role=ROLE, Handler="app.handler",
                                Code={"ZipFile": code})
            out, tail = self.invoke_tail(lam, "ver")
            self.assertEqual(out, {"version": "3.%d" % nearest})
            self.assertRegex(tail.splitlines()[0], r"^START RequestId: \S+ Version: \$LATEST$")
        finally:
            srv.cleanup()

    @unittest.skipUnless(shutil.which("node"), "no node")
    def test_node_without_sdk(self):
        """--node-sdk naming no SDK: the start says so, and Node functions run without one
        (requiring it is Lambda's Runtime.ImportModuleError)."""
        srv = Server("--node-sdk", "/nonexistent-sdk").start()
        srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        try:
            lam = srv.client("lambda")
            lam.create_function(FunctionName="nosdk", Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                                Code={"ZipFile": zip_files({"index.js": NODE_V3_CJS})})
            r = lam.invoke(FunctionName="nosdk", Payload=b"{}")
            err = json.loads(r["Payload"].read())
            self.assertEqual(err["errorType"], "Runtime.ImportModuleError", err)
            self.assertIn("@aws-sdk/client-dynamodb", err["errorMessage"])
            self.assertIn("no AWS SDK for JavaScript v3 in /nonexistent-sdk", srv.read_log())
        finally:
            srv.cleanup()

    def test_bad_runtime_flags_refused(self):
        data = tempfile.mkdtemp(prefix="stratus-it-")
        try:
            for flag in ("python3.12=/nonexistent/python", "ruby3.3=/bin/sh", "python3.12"):
                p = subprocess.run([STRATUSD, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(data, "db"),
                                    "--runtime", flag], capture_output=True, text=True, timeout=20)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--runtime", p.stderr)
        finally:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
