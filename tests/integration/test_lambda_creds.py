# SPDX-License-Identifier: Apache-2.0
"""Functions' temporary credentials (ASIA keys with a session token, minted per instance, never
the server's secret) accepted by every protocol and refused with AWS's errors when forged,
altered, of another key, missing or expired; init's own 10 s limit and Runtime.ExitError."""
import base64
import json
import os
import re
import time
import unittest
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
import boto3

from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/creds-role"
SERVER_AK = "STRATUSSERVERKEY0001"
SERVER_SK = "Srv+Secret/Key-not-for/functions-0123456789"

CREDS_PY = """
import glob, os
def handler(event, context):
    seen = []  # processes whose environment or command line holds the probed text
    probe = event.get("probe", "").encode()
    for p in glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline") if probe else []:
        try:
            with open(p, "rb") as f:
                if probe in f.read():
                    seen.append(p)
        except OSError:
            pass
    return {"env": dict(os.environ), "seen": seen}
"""

DDB_PY = """
import os, boto3
def handler(event, context):
    ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    ddb.put_item(TableName=event["table"], Item={"pk": {"S": event["key"]}})
    got = ddb.get_item(TableName=event["table"], Key={"pk": {"S": event["key"]}})
    return {"item": got["Item"]["pk"]["S"], "boto3": boto3.__version__}
"""

EXIT_PY = """
import ctypes, os
def handler(event, context):
    if event.get("crash"):  # a fault: fatal even to a PID namespace's first process
        ctypes.string_at(0)
    os._exit(event.get("code", 1))
"""

INIT_EXIT_PY = """
import os
os._exit(3)
def handler(event, context):
    return "never"
"""

SLOW_INIT_PY = """
import time
time.sleep(12)
def handler(event, context):
    return {"ok": True, "left_ms": context.get_remaining_time_in_millis()}
"""


def form_post(url, fields, data):
    """POST a multipart/form-data upload (fields, then the file)."""
    b = "----stratus-creds-form"
    parts = [("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (b, k, v)).encode()
             for k, v in fields.items()]
    parts.append(("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n"
                  "Content-Type: application/octet-stream\r\n\r\n" % b).encode() + data +
                 ("\r\n--%s--\r\n" % b).encode())
    req = urllib.request.Request(url, data=b"".join(parts), method="POST",
                                 headers={"Content-Type": "multipart/form-data; boundary=" + b})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def err(e):
    r = e.exception.response
    return r["Error"]["Code"], r["Error"].get("Message"), r["ResponseMetadata"]["HTTPStatusCode"]


def b64(b):
    return base64.b64encode(b).decode()


def retoken(token, offset, new_bytes):
    """The token with bytes at offset (of its decoded form) replaced."""
    raw = bytearray(base64.b64decode(token))
    raw[offset:offset + len(new_bytes)] = new_bytes
    return b64(bytes(raw))


class CredsBase(unittest.TestCase):
    lifetime = None

    @classmethod
    def setUpClass(cls):
        old = os.environ.get("STRATUS_FN_CREDENTIAL_SECONDS")
        if cls.lifetime:
            os.environ["STRATUS_FN_CREDENTIAL_SECONDS"] = str(cls.lifetime)
        try:
            cls.srv = Server(access_key=SERVER_AK, secret_key=SERVER_SK).start()
            cls.srv.lambda_role("creds-role")  # issue 15: functions need a role Lambda can assume
        finally:
            if cls.lifetime:
                if old is None:
                    del os.environ["STRATUS_FN_CREDENTIAL_SECONDS"]
                else:
                    os.environ["STRATUS_FN_CREDENTIAL_SECONDS"] = old
        cls.lam = cls.srv.client("lambda", read_timeout=90)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def create(self, name, source, timeout=10, handler="app.handler"):
        self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                                 Handler=handler, Timeout=timeout,
                                 Code={"ZipFile": zip_of({"app.py": source})})

    def invoke(self, name, event=None, **kw):
        r = self.lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), **kw)
        return r, json.loads(r["Payload"].read() or b"null")

    def env_of(self, name):
        r, out = self.invoke(name)
        self.assertNotIn("FunctionError", r, out)
        return out["env"]

    def session_client(self, service, env, token=None, **cfg):
        return boto3.client(
            service, endpoint_url=self.srv.endpoint, region_name="us-east-1",
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=env["AWS_SESSION_TOKEN"] if token is None else token,
            config=Config(retries={"max_attempts": 1}, **cfg))


class TestCredentials(CredsBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lam.create_function(FunctionName="creds", Runtime="python3.11", Role=ROLE,
                                Handler="app.handler", Timeout=10,
                                Code={"ZipFile": zip_of({"app.py": CREDS_PY})})
        ddb = cls.srv.client("dynamodb")
        ddb.create_table(TableName="creds-t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")

    def test_environment_holds_minted_credentials_only(self):
        env = self.env_of("creds")
        self.assertRegex(env["AWS_ACCESS_KEY_ID"], r"^ASIA[A-Z2-7]{16}$")
        self.assertRegex(env["AWS_SECRET_ACCESS_KEY"], r"^[A-Za-z0-9+/]{40}$")
        self.assertGreater(len(env["AWS_SESSION_TOKEN"]), 60)
        for k, v in env.items():
            self.assertNotIn(SERVER_SK, v, k)
            self.assertNotIn(SERVER_AK, v, k)
        # Nor does any process the instance can see hold the server's secret.
        r, out = self.invoke("creds", {"probe": SERVER_SK})
        self.assertEqual(out["seen"], [])
        r, out = self.invoke("creds", {"probe": env["AWS_SESSION_TOKEN"]})
        self.assertNotEqual(out["seen"], [])  # the probe itself works: its own environment
        # The same warm instance keeps its credentials; every instance gets its own.
        self.assertEqual(self.env_of("creds")["AWS_SESSION_TOKEN"], env["AWS_SESSION_TOKEN"])

    def test_function_calls_dynamodb_with_its_credentials(self):
        self.create("creds-ddb", DDB_PY)
        r, out = self.invoke("creds-ddb", {"table": "creds-t", "key": "from-fn"})
        self.assertNotIn("FunctionError", r, out)
        self.assertEqual(out["item"], "from-fn")

    def test_every_protocol_accepts_them(self):
        env = self.env_of("creds")
        ddb = self.session_client("dynamodb", env)
        self.assertIn("creds-t", ddb.list_tables()["TableNames"])
        ddb.put_item(TableName="creds-t", Item={"pk": {"S": "sdk"}})
        self.assertEqual(ddb.get_item(TableName="creds-t", Key={"pk": {"S": "sdk"}})["Item"]["pk"]["S"], "sdk")
        s3 = self.session_client("s3", env, s3={"addressing_style": "path"}, signature_version="s3v4")
        s3.create_bucket(Bucket="creds-b")
        s3.put_object(Bucket="creds-b", Key="k", Body=b"hello")
        self.assertEqual(s3.get_object(Bucket="creds-b", Key="k")["Body"].read(), b"hello")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "creds-b", "Key": "k"}, ExpiresIn=60)
        self.assertIn("X-Amz-Security-Token=", url)
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(r.read(), b"hello")
        # A presigned URL whose token is altered is refused.
        bad = url.replace("X-Amz-Security-Token=", "X-Amz-Security-Token=A", 1)
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(bad, timeout=10)
        self.assertEqual(e.exception.code, 400)
        self.assertIn(b"<Code>InvalidToken</Code>", e.exception.read())
        # A browser form (POST Object) signed with them.
        post = s3.generate_presigned_post("creds-b", "form.txt", ExpiresIn=60)
        self.assertIn("x-amz-security-token", post["fields"])
        st, text = form_post(post["url"], post["fields"], b"posted")
        self.assertEqual(st, 204, text)
        self.assertEqual(s3.get_object(Bucket="creds-b", Key="form.txt")["Body"].read(), b"posted")
        fields = dict(post["fields"], **{"x-amz-security-token": "A" + post["fields"]["x-amz-security-token"]})
        st, text = form_post(post["url"], fields, b"x")
        self.assertEqual(st, 400, text)
        self.assertIn("<Code>InvalidToken</Code>", text)
        lam = self.session_client("lambda", env)
        self.assertIn("creds", [f["FunctionName"] for f in lam.list_functions()["Functions"]])
        logs = self.session_client("logs", env)
        self.assertIn("/aws/lambda/creds", [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]])

    def assert_ddb_refused(self, env, token, code, message):
        c = self.session_client("dynamodb", env, token=token)
        with self.assertRaises(ClientError) as e:
            c.list_tables()
        self.assertEqual(err(e), (code, message, 400))
        lam = self.session_client("lambda", env, token=token)
        with self.assertRaises(ClientError) as e:
            lam.list_functions()
        self.assertEqual(err(e), (code, message, 403))  # Lambda's status for credentials
        logs = self.session_client("logs", env, token=token)
        with self.assertRaises(ClientError) as e:
            logs.describe_log_groups()
        self.assertEqual(err(e), (code, message, 400))

    def assert_s3_refused(self, env, token, code, message):
        s3 = self.session_client("s3", env, token=token, s3={"addressing_style": "path"})
        with self.assertRaises(ClientError) as e:
            s3.list_buckets()
        self.assertEqual(err(e)[:2], (code, message))
        return e.exception.response

    def test_forged_altered_and_missing_tokens_are_refused(self):
        env = self.env_of("creds")
        tok = env["AWS_SESSION_TOKEN"]
        invalid = ("UnrecognizedClientException", "The security token included in the request is invalid.")
        s3_invalid = ("InvalidToken", "The provided token is malformed or otherwise invalid.")
        raw = base64.b64decode(tok)
        forged = retoken(tok, len(raw) // 2, bytes([raw[len(raw) // 2] ^ 1]))  # one byte changed
        later = retoken(tok, 5, (int.from_bytes(raw[5:13], "big") + 3600).to_bytes(8, "big"))
        other_key = retoken(tok, 1, bytes(b ^ 0xFF for b in raw[1:5]))
        for t in (forged, later, other_key, tok[:-4], "not a token", "A" * 5000):
            self.assert_ddb_refused(env, t, *invalid)
            resp = self.assert_s3_refused(env, t, *s3_invalid)
            self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 400)
        # A session key without its token.
        plain = boto3.client("dynamodb", endpoint_url=self.srv.endpoint, region_name="us-east-1",
                             aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                             aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                             config=Config(retries={"max_attempts": 1}))
        with self.assertRaises(ClientError) as e:
            plain.list_tables()
        self.assertEqual(err(e), invalid + (400,))
        s3 = boto3.client("s3", endpoint_url=self.srv.endpoint, region_name="us-east-1",
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                          config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))
        with self.assertRaises(ClientError) as e:
            s3.list_buckets()
        self.assertEqual(err(e)[0], "InvalidAccessKeyId")
        # The right token with a wrong secret: the signature does not match.
        wrong = dict(env)
        wrong["AWS_SECRET_ACCESS_KEY"] = "A" * 40
        with self.assertRaises(ClientError) as e:
            self.session_client("dynamodb", wrong).list_tables()
        self.assertEqual(err(e)[0], "InvalidSignatureException")
        # The server's own key with a session token: refused as AWS refuses a token it did not mint.
        srv_env = {"AWS_ACCESS_KEY_ID": SERVER_AK, "AWS_SECRET_ACCESS_KEY": SERVER_SK}
        self.assert_ddb_refused(srv_env, tok, *invalid)
        self.assert_s3_refused(srv_env, tok, *s3_invalid)
        # The token header must be among the signed headers.
        req = AWSRequest(method="POST", url=self.srv.endpoint + "/", data=b"{}",
                         headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                  "Content-Type": "application/x-amz-json-1.0"})
        SigV4Auth(Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]),
                  "dynamodb", "us-east-1").add_auth(req)
        req.headers["X-Amz-Security-Token"] = tok
        p = req.prepare()
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(urllib.request.Request(p.url, data=p.body, headers=dict(p.headers),
                                                          method="POST"), timeout=10)
        body = json.loads(e.exception.read())
        self.assertEqual(body["__type"].split("#")[-1], "InvalidSignatureException")
        self.assertIn("'x-amz-security-token' must be a 'signedheader'", body["message"].lower())


class TestExpiry(CredsBase):
    lifetime = 5

    def test_expired_credentials_and_instance_retirement(self):
        self.create("short", CREDS_PY, timeout=1)
        env = self.env_of("short")
        self.assertEqual(self.session_client("dynamodb", env).list_tables()["TableNames"], [])
        time.sleep(5.5)
        self.assert_expired(env)
        # The instance retired before its credentials could expire: a new one has new ones.
        env2 = self.env_of("short")
        self.assertNotEqual(env2["AWS_ACCESS_KEY_ID"], env["AWS_ACCESS_KEY_ID"])
        self.assertEqual(self.session_client("dynamodb", env2).list_tables()["TableNames"], [])

    def assert_expired(self, env):
        with self.assertRaises(ClientError) as e:
            self.session_client("dynamodb", env).list_tables()
        self.assertEqual(err(e), ("ExpiredTokenException",
                                  "The security token included in the request is expired", 400))
        with self.assertRaises(ClientError) as e:
            self.session_client("logs", env).describe_log_groups()
        self.assertEqual(err(e)[0], "ExpiredTokenException")
        with self.assertRaises(ClientError) as e:
            self.session_client("lambda", env).list_functions()
        self.assertEqual(err(e), ("ExpiredTokenException",
                                  "The security token included in the request is expired", 403))
        with self.assertRaises(ClientError) as e:
            self.session_client("s3", env, s3={"addressing_style": "path"}).list_buckets()
        self.assertEqual(err(e), ("ExpiredToken", "The provided token has expired.", 400))


class TestInitAndExit(CredsBase):
    def log_text(self, name):
        logs = self.srv.client("logs")
        ev = logs.filter_log_events(logGroupName="/aws/lambda/" + name)["events"]
        return "\n".join(e["message"] for e in ev)

    def assert_init_report(self, text, phase, ms):
        m = re.search(r"INIT_REPORT Init Duration: (\d+\.\d\d) ms\tPhase: %s\tStatus: timeout" % phase, text)
        self.assertIsNotNone(m, text)
        self.assertTrue(ms - 100 < float(m.group(1)) < ms + 1500, text)

    def test_runtime_exit_during_invocation(self):
        self.create("exits", EXIT_PY)
        r, out = self.invoke("exits", {"code": 1}, LogType="Tail")
        rid = r["ResponseMetadata"]["RequestId"]
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(out, {"errorType": "Runtime.ExitError",
                               "errorMessage": "RequestId: %s Error: Runtime exited with error: exit status 1" % rid})
        tail = base64.b64decode(r["LogResult"]).decode()
        self.assertIn("Runtime.ExitError", tail)
        self.assertIn("REPORT RequestId: " + rid, tail)
        r, out = self.invoke("exits", {"crash": True})
        rid = r["ResponseMetadata"]["RequestId"]
        self.assertEqual(out, {"errorType": "Runtime.ExitError",
                               "errorMessage": "RequestId: %s Error: Runtime exited with error: "
                                               "signal: segmentation fault" % rid})

    def test_runtime_exit_during_init(self):
        self.create("init-exits", INIT_EXIT_PY)
        r, out = self.invoke("init-exits")
        rid = r["ResponseMetadata"]["RequestId"]
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(out, {"errorType": "Runtime.ExitError",
                               "errorMessage": "RequestId: %s Error: Runtime exited with error: exit status 3" % rid})
        self.assertRegex(self.log_text("init-exits"),
                         r"INIT_REPORT Init Duration: [0-9.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError")

    def test_init_over_10s_is_retried_within_the_invocation(self):
        self.create("slow-init", SLOW_INIT_PY, timeout=20)
        t = time.time()
        r, out = self.invoke("slow-init")
        took = time.time() - t
        self.assertNotIn("FunctionError", r, out)
        self.assertTrue(out["ok"])
        # 10 s of a first init, then 12 s of the retried one: its time counts in the timeout.
        self.assertGreater(took, 21.5)
        self.assertLess(took, 30)
        self.assertLess(out["left_ms"], 8500)
        self.assert_init_report(self.log_text("slow-init"), "init", 10000)
        # The instance is warm now: no init again.
        t = time.time()
        r, out = self.invoke("slow-init")
        self.assertTrue(out["ok"])
        self.assertLess(time.time() - t, 3)

    def test_init_longer_than_the_timeout(self):
        self.create("slow-init-short", SLOW_INIT_PY, timeout=3)
        t = time.time()
        r, out = self.invoke("slow-init-short")
        took = time.time() - t
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertIn("Task timed out after 3.00 seconds", out["errorMessage"])
        self.assertGreater(took, 12.5)
        self.assertLess(took, 20)
        text = self.log_text("slow-init-short")
        self.assert_init_report(text, "init", 10000)
        self.assert_init_report(text, "invoke", 3000)


if __name__ == "__main__":
    unittest.main()
