# SPDX-License-Identifier: Apache-2.0
"""Logs as Lambda writes them: LoggingConfig (LogFormat Text/JSON, ApplicationLogLevel,
SystemLogLevel, LogGroup) validated, shown and applied (JSON platform records, the runtimes'
JSON application logs filtered by level, a custom log group); what an init failure leaves in
the stream; the CloudWatch Logs API for the user's own logs (CreateLogGroup/Stream,
PutLogEvents and its rejections, DeleteLogStream, retention and its expiry job)."""
import io
import json
import re
import time
import unittest
import urllib.request
import zipfile

from botocore.exceptions import ClientError

from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
DAY = 24 * 3600 * 1000


def code(e):
    return e.exception.response["Error"]["Code"]


def msg(e):
    return e.exception.response["Error"]["Message"]


PY_LOGGING = """import logging
log = logging.getLogger()
def handler(event, context):
    print("plain print")
    log.debug("debug line")
    log.info("info line %d", 7)
    log.warning("warn line")
    log.error("error line")
    return {"group": context.log_group_name, "stream": context.log_stream_name}
"""

NODE_CONSOLE = """exports.handler = async (event, context) => {
  console.debug('debug line');
  console.log('log line', 1);
  console.info('info line');
  console.warn('warn line');
  console.error('error line');
  console.info({ k: [1, 2] });
  return { group: context.logGroupName, env: process.env.AWS_LAMBDA_LOG_GROUP_NAME };
};
"""


class LogsBase(unittest.TestCase):
    extra = ()

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(*cls.extra).start()
        cls.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        cls.lam = cls.srv.client("lambda")
        cls.logs = cls.srv.client("logs")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def events(self, group, want, timeout=10):
        """Every event of every stream of group, once want(messages) holds (bounded wait)."""
        deadline = time.time() + timeout
        msgs = []
        while time.time() < deadline:
            try:
                ev = self.logs.filter_log_events(logGroupName=group)["events"]
            except ClientError:
                ev = []
            msgs = [e["message"] for e in ev]
            if want(msgs):
                return msgs
            time.sleep(0.1)
        self.fail("not in %s: %r" % (group, msgs))


class LoggingConfig(LogsBase):
    def create(self, name, files, handler="app.handler", runtime="python3.11", **kw):
        return self.lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                                        Code={"ZipFile": zip_of(files)}, **kw)

    def test_validation_and_shape(self):
        c = self.create("lc-default", {"app.py": PY_LOGGING})
        self.assertEqual(c["LoggingConfig"], {"LogFormat": "Text", "LogGroup": "/aws/lambda/lc-default"})
        # Levels only with JSON: Lambda's message.
        with self.assertRaises(ClientError) as e:
            self.lam.update_function_configuration(FunctionName="lc-default",
                                                   LoggingConfig={"ApplicationLogLevel": "DEBUG"})
        self.assertEqual(code(e), "InvalidParameterValueException")
        self.assertIn('LogLevel is not supported when LogFormat is set to "Text"', msg(e))
        with self.assertRaises(ClientError) as e:
            self.create("lc-bad", {"app.py": PY_LOGGING}, LoggingConfig={"LogFormat": "XML"})
        self.assertEqual(code(e), "ValidationException")
        self.assertIn("[JSON, Text]", msg(e))
        with self.assertRaises(ClientError) as e:
            self.lam.update_function_configuration(
                FunctionName="lc-default", LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "ERROR"})
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            self.lam.update_function_configuration(FunctionName="lc-default",
                                                   LoggingConfig={"LogGroup": "bad group name!"})
        self.assertEqual(code(e), "ValidationException")
        # JSON: the levels shown, INFO by default.
        u = self.lam.update_function_configuration(FunctionName="lc-default", LoggingConfig={"LogFormat": "JSON"})
        self.assertEqual(u["LoggingConfig"], {"LogFormat": "JSON", "ApplicationLogLevel": "INFO",
                                              "SystemLogLevel": "INFO", "LogGroup": "/aws/lambda/lc-default"})
        u = self.lam.update_function_configuration(
            FunctionName="lc-default", LoggingConfig={"ApplicationLogLevel": "ERROR", "SystemLogLevel": "WARN",
                                                      "LogGroup": "my/app-logs"})
        self.assertEqual(u["LoggingConfig"], {"LogFormat": "JSON", "ApplicationLogLevel": "ERROR",
                                              "SystemLogLevel": "WARN", "LogGroup": "my/app-logs"})
        g = self.lam.get_function_configuration(FunctionName="lc-default")
        self.assertEqual(g["LoggingConfig"], u["LoggingConfig"])
        # Back to Text: the levels go.
        u = self.lam.update_function_configuration(FunctionName="lc-default", LoggingConfig={"LogFormat": "Text"})
        self.assertEqual(u["LoggingConfig"], {"LogFormat": "Text", "LogGroup": "my/app-logs"})

    def test_text(self):
        """Text: Lambda's lines, and the runtimes' own text formats (Python's logging handler at
        its default WARNING level, Node's console with time, request id and level)."""
        self.create("lc-text", {"app.py": PY_LOGGING})
        r = self.lam.invoke(FunctionName="lc-text", Payload=b"{}")
        rid = r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        msgs = self.events("/aws/lambda/lc-text", lambda m: any(x.startswith("REPORT") for x in m))
        self.assertTrue(msgs[0].startswith("START RequestId: "), msgs)
        self.assertIn("plain print", msgs)
        self.assertTrue(any(x.startswith("END RequestId: ") for x in msgs))
        self.assertFalse(any(x.startswith("{") for x in msgs), msgs)
        logged = [x for x in msgs if x.startswith("[")]
        self.assertEqual(len(logged), 2, msgs)
        self.assertRegex(logged[0], r"^\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t" + rid + r"\twarn line$")
        self.assertTrue(logged[1].startswith("[ERROR]\t") and logged[1].endswith("\t" + rid + "\terror line"))
        self.create("lc-text-node", {"index.js": NODE_CONSOLE}, handler="index.handler", runtime="nodejs20.x")
        r = self.lam.invoke(FunctionName="lc-text-node", Payload=b"{}")
        rid = r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        msgs = self.events("/aws/lambda/lc-text-node", lambda m: any(x.startswith("REPORT") for x in m))
        lines = [x.split("\t") for x in msgs if re.match(r"^\d{4}-\d\d-\d\dT", x)]
        self.assertEqual([(l[1], l[2], l[3]) for l in lines],
                         [(rid, "DEBUG", "debug line"), (rid, "INFO", "log line 1"), (rid, "INFO", "info line"),
                          (rid, "WARN", "warn line"), (rid, "ERROR", "error line"), (rid, "INFO", "{ k: [ 1, 2 ] }")])

    def test_json_python(self):
        self.create("lc-json-py", {"app.py": PY_LOGGING},
                    LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"})
        r = self.lam.invoke(FunctionName="lc-json-py", Payload=b"{}")
        rid = r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        out = json.loads(r["Payload"].read())
        self.assertEqual(out["group"], "/aws/lambda/lc-json-py")
        msgs = self.events("/aws/lambda/lc-json-py", lambda m: any("platform.report" in x for x in m))
        self.assertIn("plain print", msgs)  # print() stays plain text
        recs = [json.loads(x) for x in msgs if x.startswith("{")]
        types = [r.get("type") for r in recs if "type" in r]
        # CloudWatch's JSON system records: no END or runtimeDone between start and report.
        self.assertEqual(types, ["platform.initStart", "platform.start", "platform.report"])
        init = recs[0]["record"]
        self.assertEqual((init["initializationType"], init["phase"], init["functionName"], init["functionVersion"]),
                         ("on-demand", "init", "lc-json-py", "$LATEST"))
        self.assertRegex(init["instanceId"], r"^\d{4}/\d\d/\d\d/lc-json-py\[\$LATEST\][0-9a-f]{32}$")
        self.assertEqual(init["instanceMaxMemory"], 128 << 20)
        start = [r for r in recs if r.get("type") == "platform.start"][0]
        self.assertRegex(start["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(start["record"], {"requestId": rid, "version": "$LATEST",
                                           "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:lc-json-py"})
        report = [r for r in recs if r.get("type") == "platform.report"][0]["record"]
        self.assertEqual(report["status"], "success")
        m = report["metrics"]
        self.assertEqual(m["memorySizeMB"], 128)
        self.assertGreaterEqual(m["billedDurationMs"], 1)
        self.assertIn("initDurationMs", m)  # a cold start
        for k in ("durationMs", "maxMemoryUsedMB"):
            self.assertIn(k, m)
        # Application logs: JSON records at WARN and above only.
        app = [r for r in recs if "level" in r]
        # (Python's level names, as Lambda's Python runtime writes them.)
        self.assertEqual([(a["level"], a["message"]) for a in app], [("WARNING", "warn line"), ("ERROR", "error line")])
        for a in app:
            self.assertEqual(a["requestId"], rid)
            self.assertEqual(a["logger"], "root")
            self.assertRegex(a["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        # The Tail holds the same records.
        r = self.lam.invoke(FunctionName="lc-json-py", Payload=b"{}", LogType="Tail")
        import base64
        tail = base64.b64decode(r["LogResult"]).decode()
        self.assertIn('"type":"platform.start"', tail)
        self.assertIn('"type":"platform.report"', tail)
        self.assertNotIn("Init", tail.split('"type":"platform.report"')[1])  # warm: no init

    def test_json_node_and_custom_group(self):
        self.create("lc-json-node", {"index.js": NODE_CONSOLE}, handler="index.handler", runtime="nodejs20.x",
                    LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG", "LogGroup": "/custom/node-app"})
        r = self.lam.invoke(FunctionName="lc-json-node", Payload=b"{}")
        rid = r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        out = json.loads(r["Payload"].read())
        self.assertEqual(out, {"group": "/custom/node-app", "env": "/custom/node-app"})
        msgs = self.events("/custom/node-app", lambda m: any("platform.report" in x for x in m))
        recs = [json.loads(x) for x in msgs]
        app = [(a["level"], a["message"]) for a in recs if "level" in a]
        self.assertEqual(app, [("DEBUG", "debug line"), ("INFO", "log line 1"), ("INFO", "info line"),
                               ("WARN", "warn line"), ("ERROR", "error line"), ("INFO", {"k": [1, 2]})])
        self.assertTrue(all(a["requestId"] == rid for a in recs if "level" in a))
        # One value: the message is that value (an object stays an object).
        objs = [a["message"] for a in recs if a.get("level") == "INFO" and isinstance(a["message"], dict)]
        self.assertEqual(objs, [{"k": [1, 2]}])
        self.assertTrue(all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", a["timestamp"])
                            for a in recs if "level" in a))
        # The group is an ordinary log group; the function's default group was never made.
        names = [g["logGroupName"] for g in self.logs.describe_log_groups(logGroupNamePrefix="/custom/")["logGroups"]]
        self.assertEqual(names, ["/custom/node-app"])
        self.assertEqual(self.logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/lc-json-node")["logGroups"], [])
        streams = self.logs.describe_log_streams(logGroupName="/custom/node-app")["logStreams"]
        self.assertEqual(len(streams), 1)
        self.assertRegex(streams[0]["logStreamName"], r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$")

    def test_system_level_warn_drops_platform_records(self):
        self.create("lc-sys-warn", {"app.py": PY_LOGGING},
                    LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "WARN"})
        self.lam.invoke(FunctionName="lc-sys-warn", Payload=b"{}")
        msgs = self.events("/aws/lambda/lc-sys-warn", lambda m: any('"error line"' in x for x in m))
        time.sleep(0.3)
        msgs = [e["message"] for e in self.logs.filter_log_events(logGroupName="/aws/lambda/lc-sys-warn")["events"]]
        self.assertFalse(any('"platform.' in x for x in msgs), msgs)
        levels = [json.loads(x)["level"] for x in msgs if x.startswith("{")]
        self.assertEqual(levels, ["INFO", "WARNING", "ERROR"])  # ApplicationLogLevel INFO (default)


class InitFailure(LogsBase):
    def test_python_import_error_in_stream(self):
        self.lam.create_function(FunctionName="init-py", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zip_of({"app.py": "import no_such_module\n"})})
        r = self.lam.invoke(FunctionName="init-py", Payload=b"{}")
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(r["Payload"].read())["errorType"], "Runtime.ImportModuleError")
        msgs = self.events("/aws/lambda/init-py", lambda m: any(x.startswith("INIT_REPORT") for x in m))
        err = [x for x in msgs if x.startswith("[ERROR]")]
        self.assertEqual(len(err), 1, msgs)
        self.assertTrue(err[0].startswith("[ERROR] Runtime.ImportModuleError: Unable to import module 'app': "
                                          "No module named 'no_such_module'\rTraceback (most recent call last):"),
                        err[0])
        rep = [x for x in msgs if x.startswith("INIT_REPORT")][0]
        self.assertRegex(rep, r"^INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\t"
                              r"Error Type: Runtime\.ImportModuleError$")
        self.assertLess(msgs.index(err[0]), msgs.index(rep))

    def test_node_import_error_in_stream_json(self):
        self.lam.create_function(FunctionName="init-node", Runtime="nodejs20.x", Role=ROLE, Handler="missing.handler",
                                 Code={"ZipFile": zip_of({"index.js": "exports.handler = async () => 1;\n"})},
                                 LoggingConfig={"LogFormat": "JSON"})
        r = self.lam.invoke(FunctionName="init-node", Payload=b"{}")
        self.assertEqual(json.loads(r["Payload"].read())["errorType"], "Runtime.ImportModuleError")
        msgs = self.events("/aws/lambda/init-node", lambda m: any("platform.initReport" in x for x in m))
        recs = [json.loads(x) for x in msgs]
        err = [x for x in recs if x.get("level") == "ERROR"]
        self.assertEqual(len(err), 1, msgs)
        # As Lambda's Node runtime logs an uncaught error under JSON: the error is the message.
        self.assertEqual(err[0]["message"]["errorType"], "Runtime.ImportModuleError")
        self.assertIn("Cannot find module", err[0]["message"]["errorMessage"])
        self.assertIsInstance(err[0]["message"]["stackTrace"], list)
        rep = [x for x in recs if x.get("type") == "platform.initReport"][0]["record"]
        self.assertEqual((rep["phase"], rep["status"], rep["errorType"]), ("init", "error", "Runtime.ImportModuleError"))
        self.assertIn("durationMs", rep["metrics"])

    def test_bootstrap_exit_in_stream(self):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o100755 << 16
            z.writestr(info, "#!/bin/sh\necho booting\nexit 3\n")
        self.lam.create_function(FunctionName="init-exit", Runtime="provided.al2023", Role=ROLE,
                                 Handler="x", Code={"ZipFile": buf.getvalue()})
        r = self.lam.invoke(FunctionName="init-exit", Payload=b"{}")
        self.assertEqual(json.loads(r["Payload"].read())["errorType"], "Runtime.ExitError")
        msgs = self.events("/aws/lambda/init-exit", lambda m: any(x.startswith("INIT_REPORT") for x in m))
        self.assertEqual(msgs[0], "booting")
        self.assertRegex(msgs[1], r"^INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\t"
                                  r"Error Type: Runtime\.ExitError$")

    def test_handler_error_printed(self):
        self.lam.create_function(FunctionName="err-py", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zip_of({"app.py": "def handler(e, c):\n    return 1 / 0\n"})})
        self.lam.invoke(FunctionName="err-py", Payload=b"{}")
        msgs = self.events("/aws/lambda/err-py", lambda m: any(x.startswith("REPORT") for x in m))
        err = [x for x in msgs if x.startswith("[ERROR]")]
        self.assertEqual(len(err), 1, msgs)
        self.assertTrue(err[0].startswith("[ERROR] ZeroDivisionError: division by zero\rTraceback"), err[0])
        self.assertIn("\r\u00a0\u00a0File ", err[0])  # indentation as no-break spaces, as Lambda's


class UserLogs(LogsBase):
    extra = ("--job-interval", "log-retention=200")

    def test_groups_and_streams(self):
        L = self.logs
        L.create_log_group(logGroupName="/my/app", kmsKeyId="arn:aws:kms:us-east-1:000000000000:key/k1",
                           tags={"team": "a"})
        with self.assertRaises(ClientError) as e:
            L.create_log_group(logGroupName="/my/app")
        self.assertEqual(code(e), "ResourceAlreadyExistsException")
        for bad in ("has space", "x" * 513, "colon:name", "aws/reserved"):
            with self.assertRaises(ClientError) as e:
                L.create_log_group(logGroupName=bad)
            self.assertEqual(code(e), "InvalidParameterException", bad)
        g = L.describe_log_groups(logGroupNamePrefix="/my/")["logGroups"]
        self.assertEqual(len(g), 1)
        self.assertEqual(g[0]["logGroupName"], "/my/app")
        self.assertEqual(g[0]["kmsKeyId"], "arn:aws:kms:us-east-1:000000000000:key/k1")
        self.assertEqual(g[0]["arn"], "arn:aws:logs:us-east-1:000000000000:log-group:/my/app:*")
        self.assertNotIn("retentionInDays", g[0])
        self.assertLess(abs(g[0]["creationTime"] - time.time() * 1000), 60000)
        L.create_log_stream(logGroupName="/my/app", logStreamName="web/1 [a]")
        L.create_log_stream(logGroupName="/my/app", logStreamName="alpha")
        with self.assertRaises(ClientError) as e:
            L.create_log_stream(logGroupName="/my/app", logStreamName="alpha")
        self.assertEqual(code(e), "ResourceAlreadyExistsException")
        with self.assertRaises(ClientError) as e:
            L.create_log_stream(logGroupName="/my/app", logStreamName="a:b")
        self.assertEqual(code(e), "InvalidParameterException")
        with self.assertRaises(ClientError) as e:
            L.create_log_stream(logGroupName="/my/none", logStreamName="x")
        self.assertEqual(code(e), "ResourceNotFoundException")
        s = L.describe_log_streams(logGroupName="/my/app")["logStreams"]
        self.assertEqual([x["logStreamName"] for x in s], ["alpha", "web/1 [a]"])
        now = int(time.time() * 1000)
        r = L.put_log_events(logGroupName="/my/app", logStreamName="web/1 [a]", logEvents=[
            {"timestamp": now - 2000, "message": "first"},
            {"timestamp": now - 1000, "message": "two\nlines \\ and a backslash"},
            {"timestamp": now, "message": "third"}])
        self.assertNotIn("rejectedLogEventsInfo", r)
        ev = L.get_log_events(logGroupName="/my/app", logStreamName="web/1 [a]", startFromHead=True)["events"]
        self.assertEqual([(e["timestamp"], e["message"]) for e in ev],
                         [(now - 2000, "first"), (now - 1000, "two\nlines \\ and a backslash"), (now, "third")])
        hits = L.filter_log_events(logGroupName="/my/app", filterPattern="third")["events"]
        self.assertEqual([(h["logStreamName"], h["message"]) for h in hits], [("web/1 [a]", "third")])
        s = L.describe_log_streams(logGroupName="/my/app", orderBy="LastEventTime", descending=True)["logStreams"]
        self.assertEqual(s[0]["logStreamName"], "web/1 [a]")
        self.assertEqual((s[0]["firstEventTimestamp"], s[0]["lastEventTimestamp"]), (now - 2000, now))
        # The AWS SDK's own paginator and the stream's deletion.
        L.delete_log_stream(logGroupName="/my/app", logStreamName="alpha")
        with self.assertRaises(ClientError) as e:
            L.delete_log_stream(logGroupName="/my/app", logStreamName="alpha")
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.assertEqual([x["logStreamName"] for x in L.describe_log_streams(logGroupName="/my/app")["logStreams"]],
                         ["web/1 [a]"])
        L.delete_log_group(logGroupName="/my/app")
        self.assertEqual(L.describe_log_groups(logGroupNamePrefix="/my/")["logGroups"], [])
        # Each new operation is counted under its own name.
        deadline = time.time() + 5
        while time.time() < deadline:
            m = urllib.request.urlopen(self.srv.endpoint + "/metrics").read().decode()
            if 'operation="DeleteLogStream"' in m:
                break
            time.sleep(0.05)
        for op in ("CreateLogGroup", "CreateLogStream", "PutLogEvents", "DeleteLogStream"):
            self.assertRegex(m, r'stratus_requests_total\{api="logs",operation="%s",status="200"\}' % op)

    def test_put_rejections(self):
        L = self.logs
        L.create_log_group(logGroupName="rej")
        L.create_log_stream(logGroupName="rej", logStreamName="s")
        now = int(time.time() * 1000)
        with self.assertRaises(ClientError) as e:
            L.put_log_events(logGroupName="rej", logStreamName="s",
                             logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}])
        self.assertEqual(code(e), "InvalidParameterException")
        self.assertIn("chronological order", msg(e))
        with self.assertRaises(ClientError) as e:
            L.put_log_events(logGroupName="rej", logStreamName="s", logEvents=[
                {"timestamp": now - 25 * 3600 * 1000, "message": "a"}, {"timestamp": now, "message": "b"}])
        self.assertEqual(code(e), "InvalidParameterException")
        self.assertIn("24 hours", msg(e))
        # 1 048 576 bytes counting 26 per event: 2 events of 524 262 fit, one byte more does not.
        big = "x" * (524288 - 26)
        L.put_log_events(logGroupName="rej", logStreamName="s",
                         logEvents=[{"timestamp": now, "message": big}, {"timestamp": now, "message": big}])
        with self.assertRaises(ClientError) as e:
            L.put_log_events(logGroupName="rej", logStreamName="s",
                             logEvents=[{"timestamp": now, "message": big}, {"timestamp": now, "message": big + "x"}])
        self.assertEqual(code(e), "InvalidParameterException")
        self.assertIn("Upload too large: 1048577 bytes exceeds limit of 1048576", msg(e))
        with self.assertRaises(ClientError) as e:
            L.put_log_events(logGroupName="rej", logStreamName="s",
                             logEvents=[{"timestamp": now, "message": "m"}] * 10001)
        self.assertEqual(code(e), "InvalidParameterException")
        with self.assertRaises(ClientError) as e:
            L.put_log_events(logGroupName="rej", logStreamName="nope", logEvents=[{"timestamp": now, "message": "m"}])
        self.assertEqual(code(e), "ResourceNotFoundException")
        # Too old (over 14 days) and too new (over 2 hours ahead) are reported; the rest is kept.
        r = L.put_log_events(logGroupName="rej", logStreamName="s", logEvents=[
            {"timestamp": now - 15 * DAY, "message": "old"},
            {"timestamp": now - 1000, "message": "kept"},
            {"timestamp": now + 3 * 3600 * 1000, "message": "new"}])
        self.assertEqual(r["rejectedLogEventsInfo"], {"tooOldLogEventEndIndex": 0, "tooNewLogEventStartIndex": 2})
        ev = L.get_log_events(logGroupName="rej", logStreamName="s", startFromHead=True)["events"]
        self.assertEqual([e["message"] for e in ev][-1], "kept")
        self.assertNotIn("old", [e["message"] for e in ev])
        # Past the group's retention: expired.
        L.put_retention_policy(logGroupName="rej", retentionInDays=1)
        r = L.put_log_events(logGroupName="rej", logStreamName="s", logEvents=[
            {"timestamp": now - 2 * DAY, "message": "expired"}, {"timestamp": now, "message": "fresh"}])
        self.assertEqual(r["rejectedLogEventsInfo"], {"expiredLogEventEndIndex": 0})

    def test_parallel_puts(self):
        """Parallel PutLogEvents on one stream (sequence tokens are ignored): every event kept,
        none torn."""
        import threading
        L = self.logs
        L.create_log_group(logGroupName="par")
        L.create_log_stream(logGroupName="par", logStreamName="s")
        now = int(time.time() * 1000)
        errors = []

        def writer(w):
            try:
                c = self.srv.client("logs")
                for b in range(20):
                    c.put_log_events(logGroupName="par", logStreamName="s", sequenceToken="ignored",
                                     logEvents=[{"timestamp": now, "message": "w%d b%d e%d %s" % (w, b, e, "x" * 200)}
                                                for e in range(10)])
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        ev = L.get_log_events(logGroupName="par", logStreamName="s", startFromHead=True, limit=10000)["events"]
        self.assertEqual(len(ev), 1600)
        self.assertEqual(len({e["message"] for e in ev}), 1600)
        self.assertTrue(all(re.match(r"^w\d b\d+ e\d x{200}$", e["message"]) for e in ev))

    def test_retention_policy_and_expiry(self):
        L = self.logs
        L.create_log_group(logGroupName="ret")
        L.create_log_stream(logGroupName="ret", logStreamName="s")
        with self.assertRaises(ClientError) as e:
            L.put_retention_policy(logGroupName="ret", retentionInDays=2)
        self.assertEqual(code(e), "InvalidParameterException")
        self.assertIn("[1, 3, 5, 7, 14, 30", msg(e))
        with self.assertRaises(ClientError) as e:
            L.put_retention_policy(logGroupName="ret-none", retentionInDays=1)
        self.assertEqual(code(e), "ResourceNotFoundException")
        now = int(time.time() * 1000)
        L.put_log_events(logGroupName="ret", logStreamName="s", logEvents=[
            {"timestamp": now - 13 * DAY, "message": "thirteen days"},
            {"timestamp": now - 13 * DAY + 1, "message": "also old"}])
        L.put_log_events(logGroupName="ret", logStreamName="s", logEvents=[{"timestamp": now, "message": "now"}])
        # Nothing expires without a policy.
        time.sleep(0.5)
        ev = L.get_log_events(logGroupName="ret", logStreamName="s", startFromHead=True)["events"]
        self.assertEqual(len(ev), 3)
        L.put_retention_policy(logGroupName="ret", retentionInDays=7)
        g = L.describe_log_groups(logGroupNamePrefix="ret")["logGroups"][0]
        self.assertEqual(g["retentionInDays"], 7)
        deadline = time.time() + 10
        while time.time() < deadline:
            ev = L.get_log_events(logGroupName="ret", logStreamName="s", startFromHead=True)["events"]
            if len(ev) == 1:
                break
            time.sleep(0.1)
        self.assertEqual([e["message"] for e in ev], ["now"])
        L.delete_retention_policy(logGroupName="ret")
        self.assertNotIn("retentionInDays", L.describe_log_groups(logGroupNamePrefix="ret")["logGroups"][0])

    def test_function_group_created_first(self):
        """A function's group made with CreateLogGroup beforehand (as deploy tools do) keeps its
        retention and receives the function's streams."""
        L = self.logs
        L.create_log_group(logGroupName="/aws/lambda/pre-made")
        L.put_retention_policy(logGroupName="/aws/lambda/pre-made", retentionInDays=14)
        with self.assertRaises(ClientError) as e:
            L.create_log_group(logGroupName="/aws/lambda/pre-made")
        self.assertEqual(code(e), "ResourceAlreadyExistsException")
        self.lam.create_function(FunctionName="pre-made", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zip_of({"app.py": "def handler(e, c):\n    print('hello')\n"})})
        self.lam.invoke(FunctionName="pre-made", Payload=b"{}")
        msgs = self.events("/aws/lambda/pre-made", lambda m: "hello" in m)
        self.assertIn("hello", msgs)
        g = L.describe_log_groups(logGroupNamePrefix="/aws/lambda/pre-made")["logGroups"]
        self.assertEqual([(x["logGroupName"], x["retentionInDays"]) for x in g], [("/aws/lambda/pre-made", 14)])


if __name__ == "__main__":
    unittest.main()
