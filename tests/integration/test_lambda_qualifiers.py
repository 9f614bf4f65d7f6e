# SPDX-License-Identifier: Apache-2.0
"""Qualifiers everywhere (issue 13, package H): function URLs on aliases (weights per request),
event source mappings and asynchronous invocations of a version or an alias, event invoke
configs per qualifier, one reserved-concurrency pool per function, and the 250 MB unzipped limit
with layers (and the unpacked layer sets' cleanup)."""
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

from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
CURL = shutil.which("curl") or "/usr/bin/curl"
LIMIT = 262144000


def code(e):
    return e.exception.response["Error"]["Code"]


def message(e):
    return e.exception.response["Error"]["Message"]


def py(tag, body=""):
    """A Python handler answering with its tag, version and invoked ARN (and printing them)."""
    return zip_of({"app.py": (
        "import os, time\n"
        "def handler(event, context):\n"
        f"    {body or 'pass'}\n"
        "    v = os.environ['AWS_LAMBDA_FUNCTION_VERSION']\n"
        f"    print('RAN', {tag!r}, v, context.invoked_function_arn)\n"
        f"    return {{'tag': {tag!r}, 'env': v, 'arn': context.invoked_function_arn}}\n")})


def curl(url):
    r = subprocess.run([CURL, "-sS", "--max-time", "30", "-o", "-", "-w", "\n%{http_code}", url],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    body, _, status = r.stdout.rpartition(b"\n")
    return int(status), body


def wait_for(fn, timeout=60, step=0.2):
    """fn() until it returns something true, within timeout seconds."""
    end = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(step)


class Qualifiers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        cls.lam = cls.srv.client("lambda")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()

    def create(self, name, zipb, **kw):
        return self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                                        Handler="app.handler", Code={"ZipFile": zipb}, Timeout=10,
                                        **kw)

    def two_versions(self, name, first=py("one"), second=py("two")):
        """name with version 1 (first) and version 2 (second, also $LATEST)."""
        self.create(name, first)
        self.assertEqual(self.lam.publish_version(FunctionName=name)["Version"], "1")
        self.lam.update_function_code(FunctionName=name, ZipFile=second, Publish=True)
        self.assertEqual(self.lam.get_function(FunctionName=name, Qualifier="2")
                         ["Configuration"]["Version"], "2")

    def ran(self, group, want, timeout=60):
        """The 'RAN' lines of a function's log group, once want(lines) holds."""
        logs = self.srv.client("logs")

        def lines():
            try:
                ev = logs.filter_log_events(logGroupName=group)["events"]
            except ClientError:
                return []
            return [e["message"].split() for e in ev if e["message"].startswith("RAN ")]
        got = wait_for(lambda: want(lines()) and lines(), timeout)
        return got or lines()

    # ---- function URLs on an alias ----

    def test_url_on_alias(self):
        lam = self.lam
        self.two_versions("qurl")
        lam.create_alias(FunctionName="qurl", Name="live", FunctionVersion="1")
        lam.create_alias(FunctionName="qurl", Name="other", FunctionVersion="2")
        # a version number is refused by the qualifier's pattern, a missing alias is not found
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="qurl", Qualifier="1", AuthType="NONE")
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="qurl", Qualifier="nope", AuthType="NONE")
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.assertIn(":function:qurl:nope", message(e))
        c = lam.create_function_url_config(FunctionName="qurl", Qualifier="live", AuthType="NONE")
        self.assertTrue(c["FunctionArn"].endswith(":function:qurl:live"), c["FunctionArn"])
        plain = lam.create_function_url_config(FunctionName="qurl", AuthType="NONE")
        self.assertNotEqual(plain["FunctionUrl"], c["FunctionUrl"])
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="qurl", Qualifier="live", AuthType="NONE")
        self.assertEqual(code(e), "ResourceConflictException")
        g = lam.get_function_url_config(FunctionName="qurl", Qualifier="live")
        self.assertEqual(g["FunctionUrl"], c["FunctionUrl"])
        listed = lam.list_function_url_configs(FunctionName="qurl")["FunctionUrlConfigs"]
        self.assertEqual(sorted(x["FunctionArn"].rsplit(":", 1)[1] for x in listed),
                         ["live", "qurl"])
        # the alias's URL runs its version, its context showing the alias's ARN
        st, body = curl(c["FunctionUrl"])
        self.assertEqual(st, 200, body)
        out = json.loads(body)
        self.assertEqual((out["tag"], out["env"]), ("one", "1"))
        self.assertTrue(out["arn"].endswith(":function:qurl:live"), out["arn"])
        st, body = curl(plain["FunctionUrl"])
        self.assertEqual(json.loads(body)["env"], "$LATEST")
        self.assertTrue(json.loads(body)["arn"].endswith(":function:qurl"))
        # the alias moved: the URL follows at once; weights pick per request
        lam.update_alias(FunctionName="qurl", Name="live", FunctionVersion="2")
        self.assertEqual(json.loads(curl(c["FunctionUrl"])[1])["tag"], "two")
        lam.update_alias(FunctionName="qurl", Name="live", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
        seen = {}
        for _ in range(40):
            st, body = curl(c["FunctionUrl"])
            self.assertEqual(st, 200, body)
            v = json.loads(body)["env"]
            seen[v] = seen.get(v, 0) + 1
        self.assertEqual(set(seen), {"1", "2"}, seen)  # all one way: 2 in 2**40
        # deleting the alias deletes its URL configuration (the function's stays)
        lam.delete_alias(FunctionName="qurl", Name="live")
        with self.assertRaises(ClientError) as e:
            lam.get_function_url_config(FunctionName="qurl", Qualifier="live")
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.assertEqual(curl(c["FunctionUrl"])[0], 403)
        self.assertEqual(curl(plain["FunctionUrl"])[0], 200)
        self.assertEqual(len(lam.list_function_url_configs(FunctionName="qurl")
                             ["FunctionUrlConfigs"]), 1)
        # an alias made again under the same name has no URL until one is created
        lam.create_alias(FunctionName="qurl", Name="live", FunctionVersion="2")
        self.assertEqual(curl(c["FunctionUrl"])[0], 403)
        again = lam.create_function_url_config(FunctionName="qurl", Qualifier="live",
                                               AuthType="NONE")
        self.assertEqual(json.loads(curl(again["FunctionUrl"])[1])["env"], "2")

    # ---- asynchronous invocations and their settings per qualifier ----

    def test_event_invoke_config_per_qualifier(self):
        lam, s3 = self.lam, self.srv.client("s3")
        failing = "raise RuntimeError('boom')"
        self.two_versions("qasync", py("one", failing), py("two", failing))
        lam.create_alias(FunctionName="qasync", Name="live", FunctionVersion="1")
        for b in ("dlq-latest", "dlq-live", "dlq-v2"):
            s3.create_bucket(Bucket=b)
        dest = lambda b: {"OnFailure": {"Destination": f"arn:aws:s3:::{b}"}}
        p = lam.put_function_event_invoke_config(FunctionName="qasync", Qualifier="live",
                                                 MaximumRetryAttempts=0,
                                                 DestinationConfig=dest("dlq-live"))
        self.assertTrue(p["FunctionArn"].endswith(":function:qasync:live"), p["FunctionArn"])
        lam.put_function_event_invoke_config(FunctionName="qasync", MaximumRetryAttempts=0,
                                             DestinationConfig=dest("dlq-latest"))
        lam.put_function_event_invoke_config(FunctionName="qasync:2", MaximumRetryAttempts=1,
                                             MaximumEventAgeInSeconds=600,
                                             DestinationConfig=dest("dlq-v2"))
        g = lam.get_function_event_invoke_config(FunctionName="qasync", Qualifier="live")
        self.assertEqual(g["DestinationConfig"]["OnFailure"]["Destination"],
                         "arn:aws:s3:::dlq-live")
        g = lam.get_function_event_invoke_config(FunctionName="qasync", Qualifier="2")
        self.assertEqual((g["MaximumRetryAttempts"], g["MaximumEventAgeInSeconds"]), (1, 600))
        self.assertTrue(g["FunctionArn"].endswith(":function:qasync:2"))
        g = lam.get_function_event_invoke_config(FunctionName="qasync")
        self.assertTrue(g["FunctionArn"].endswith(":function:qasync:$LATEST"))
        self.assertEqual(g["DestinationConfig"]["OnFailure"]["Destination"],
                         "arn:aws:s3:::dlq-latest")
        # a qualifier without settings, and one that does not exist
        with self.assertRaises(ClientError) as e:
            lam.get_function_event_invoke_config(FunctionName="qasync", Qualifier="1")
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.assertIn("doesn't have an EventInvokeConfig", message(e))
        with self.assertRaises(ClientError) as e:
            lam.put_function_event_invoke_config(FunctionName="qasync", Qualifier="9",
                                                 MaximumRetryAttempts=0)
        self.assertEqual(code(e), "ResourceNotFoundException")
        with self.assertRaises(ClientError) as e:
            lam.put_function_event_invoke_config(FunctionName="qasync", Qualifier="gone",
                                                 MaximumRetryAttempts=0)
        self.assertEqual(code(e), "ResourceNotFoundException")
        listed = lam.list_function_event_invoke_configs(FunctionName="qasync")
        arns = sorted(x["FunctionArn"].rsplit(":", 1)[1]
                      for x in listed["FunctionEventInvokeConfigs"])
        self.assertEqual(arns, ["$LATEST", "2", "live"])
        u = lam.update_function_event_invoke_config(FunctionName="qasync", Qualifier="2",
                                                    MaximumRetryAttempts=0)
        self.assertEqual((u["MaximumRetryAttempts"], u["MaximumEventAgeInSeconds"]), (0, 600))

        # each Event invocation runs the qualifier's version with the qualifier's settings
        for q in ("live", None, "2"):
            kw = {"Qualifier": q} if q else {}
            r = lam.invoke(FunctionName="qasync", InvocationType="Event", Payload=b'{"q": 1}',
                           **kw)
            self.assertEqual(r["StatusCode"], 202)

        def records(bucket):
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
            return [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]
        for bucket, version in (("dlq-live", "1"), ("dlq-latest", "$LATEST"), ("dlq-v2", "2")):
            recs = wait_for(lambda: records(bucket), 60)
            self.assertEqual(len(recs), 1, bucket)
            rec = recs[0]
            self.assertEqual(rec["responseContext"]["executedVersion"], version, bucket)
            self.assertEqual(rec["requestContext"]["condition"], "RetriesExhausted")
            self.assertEqual(rec["requestContext"]["approximateInvokeCount"], 1)
        # deleting one qualifier's settings leaves the others'
        lam.delete_function_event_invoke_config(FunctionName="qasync", Qualifier="live")
        with self.assertRaises(ClientError) as e:
            lam.delete_function_event_invoke_config(FunctionName="qasync", Qualifier="live")
        self.assertEqual(code(e), "ResourceNotFoundException")
        listed = lam.list_function_event_invoke_configs(FunctionName="qasync")
        self.assertEqual(len(listed["FunctionEventInvokeConfigs"]), 2)
        lam.get_function_event_invoke_config(FunctionName="qasync")
        # a deleted alias or version takes its settings along
        lam.create_alias(FunctionName="qasync", Name="tmp", FunctionVersion="1")
        lam.put_function_event_invoke_config(FunctionName="qasync", Qualifier="tmp",
                                             MaximumRetryAttempts=1)
        lam.delete_alias(FunctionName="qasync", Name="tmp")
        lam.create_alias(FunctionName="qasync", Name="tmp", FunctionVersion="1")
        with self.assertRaises(ClientError) as e:
            lam.get_function_event_invoke_config(FunctionName="qasync", Qualifier="tmp")
        self.assertEqual(code(e), "ResourceNotFoundException")
        lam.delete_function(FunctionName="qasync", Qualifier="2")
        listed = lam.list_function_event_invoke_configs(FunctionName="qasync")
        self.assertEqual([x["FunctionArn"].rsplit(":", 1)[1]
                          for x in listed["FunctionEventInvokeConfigs"]], ["$LATEST"])

    def test_async_invoke_of_alias_runs_its_version(self):
        lam = self.lam
        self.two_versions("qev")
        lam.create_alias(FunctionName="qev", Name="blue", FunctionVersion="1")
        lam.invoke(FunctionName="qev", Qualifier="blue", InvocationType="Event", Payload=b"{}")
        lam.invoke(FunctionName="qev:2", InvocationType="Event", Payload=b"{}")
        lines = self.ran("/aws/lambda/qev", lambda ls: len(ls) >= 2)
        got = sorted((l[1], l[2], l[3].rsplit(":", 1)[1]) for l in lines)
        self.assertEqual(got, [("one", "1", "blue"), ("two", "2", "2")])

    # ---- event source mappings ----

    def test_mapping_to_alias_and_version(self):
        lam, ddb = self.lam, self.srv.client("dynamodb")
        stream = ddb.create_table(
            TableName="qfeed", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )["TableDescription"]["LatestStreamArn"]
        self.two_versions("qmap")
        fn_arn = lam.get_function(FunctionName="qmap")["Configuration"]["FunctionArn"]
        lam.create_alias(FunctionName="qmap", Name="prod", FunctionVersion="1")
        with self.assertRaises(ClientError) as e:
            lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="qmap:nope",
                                            StartingPosition="TRIM_HORIZON")
        self.assertEqual(code(e), "ResourceNotFoundException")
        m1 = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="qmap:prod",
                                             StartingPosition="TRIM_HORIZON", BatchSize=10)
        self.assertEqual(m1["FunctionArn"], fn_arn + ":prod")
        m2 = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn_arn + ":2",
                                             StartingPosition="TRIM_HORIZON", BatchSize=10)
        self.assertEqual(m2["FunctionArn"], fn_arn + ":2")
        self.assertEqual(lam.get_event_source_mapping(UUID=m1["UUID"])["FunctionArn"],
                         fn_arn + ":prod")
        self.assertEqual(len(lam.list_event_source_mappings(FunctionName="qmap")
                             ["EventSourceMappings"]), 2)
        only = lam.list_event_source_mappings(FunctionName="qmap:prod")["EventSourceMappings"]
        self.assertEqual([x["UUID"] for x in only], [m1["UUID"]])
        ddb.put_item(TableName="qfeed", Item={"pk": {"S": "a"}})
        lines = self.ran("/aws/lambda/qmap", lambda ls: len(ls) >= 2)
        got = sorted((l[2], l[3][len(fn_arn) + 1:]) for l in lines)
        self.assertEqual(got, [("1", "prod"), ("2", "2")])
        for m in (m1, m2):
            lam.delete_event_source_mapping(UUID=m["UUID"])

    def test_bucket_notification_to_alias(self):
        lam, s3 = self.lam, self.srv.client("s3")
        self.two_versions("qs3")
        fn_arn = lam.get_function(FunctionName="qs3")["Configuration"]["FunctionArn"]
        lam.create_alias(FunctionName="qs3", Name="green", FunctionVersion="1")
        s3.create_bucket(Bucket="qs3-bucket")
        s3.put_bucket_notification_configuration(
            Bucket="qs3-bucket", NotificationConfiguration={"LambdaFunctionConfigurations": [
                {"Id": "alias", "LambdaFunctionArn": fn_arn + ":green",
                 "Events": ["s3:ObjectCreated:*"]}]})
        s3.put_object(Bucket="qs3-bucket", Key="k", Body=b"x")
        lines = self.ran("/aws/lambda/qs3", lambda ls: len(ls) >= 1)
        self.assertEqual([(l[1], l[2], l[3]) for l in lines], [("one", "1", fn_arn + ":green")])

    # ---- one concurrency pool per function ----

    def test_reserved_concurrency_spans_versions(self):
        lam = self.lam
        slow = "time.sleep(event.get('sleep', 0))"
        self.two_versions("qconc", py("one", slow), py("two", slow))
        lam.put_function_concurrency(FunctionName="qconc", ReservedConcurrentExecutions=1)
        # a version of a function with 0 reserved is throttled like $LATEST
        lam.put_function_concurrency(FunctionName="qconc", ReservedConcurrentExecutions=0)
        with self.assertRaises(ClientError) as e:
            lam.invoke(FunctionName="qconc", Qualifier="1", Payload=b"{}")
        self.assertEqual(code(e), "TooManyRequestsException")
        lam.put_function_concurrency(FunctionName="qconc", ReservedConcurrentExecutions=1)
        # one pool of 1 for versions 1 and 2: an invocation of 2 waits for the one of 1
        lam.invoke(FunctionName="qconc", Qualifier="1", InvocationType="Event",
                   Payload=b'{"sleep": 3}')
        time.sleep(1.0)
        t0 = time.time()
        r = lam.invoke(FunctionName="qconc", Qualifier="2", Payload=b'{"sleep": 0}')
        waited = time.time() - t0
        self.assertEqual(json.loads(r["Payload"].read())["env"], "2")
        self.assertGreater(waited, 1.2, "version 2 ran beside version 1 with a pool of 1")
        # and with the pool full of idle instances of another version, the next one gets room
        t0 = time.time()
        r = lam.invoke(FunctionName="qconc", Qualifier="1", Payload=b"{}")
        self.assertEqual(json.loads(r["Payload"].read())["env"], "1")
        self.assertLess(time.time() - t0, 20)

    # ---- the unzipped limit with layers ----

    def test_unzipped_limit_with_layers(self):
        lam = self.lam
        # zips of large runs of zeros: small to send, large unzipped
        def big(name, size):
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
                with z.open(name, "w", force_zip64=True) as f:
                    chunk = bytes(1 << 20)
                    left = size
                    while left:
                        n = min(left, len(chunk))
                        f.write(chunk[:n])
                        left -= n
            return buf.getvalue()
        layer_size = 100_000_000
        lz = big("python/blob.bin", layer_size)
        l1 = lam.publish_layer_version(LayerName="qbig1", Content={"ZipFile": lz})["LayerVersionArn"]
        l2 = lam.publish_layer_version(LayerName="qbig2", Content={"ZipFile": lz})["LayerVersionArn"]
        code_size = 70_000_000
        fz = zip_of({"app.py": "def handler(e, c):\n    return 1\n"})
        fz_big = big("data.bin", code_size)
        # code + two layers: 270 MB > 250 MB
        with self.assertRaises(ClientError) as e:
            self.create("qbig", fz_big, Layers=[l1, l2])
        self.assertEqual(code(e), "InvalidParameterValueException")
        self.assertIn("exceeds the maximum allowed size of 262144000 bytes", message(e))
        self.assertIn(f"The actual size is {code_size + 2 * layer_size} bytes", message(e))
        with self.assertRaises(ClientError):
            lam.get_function(FunctionName="qbig")
        # small code with both layers fits; then code that makes it too large is refused
        self.create("qbig", fz, Layers=[l1, l2])
        with self.assertRaises(ClientError) as e:
            lam.update_function_code(FunctionName="qbig", ZipFile=fz_big)
        self.assertEqual(code(e), "InvalidParameterValueException")
        self.assertIn("262144000", message(e))
        # with one layer the big code fits; adding the second through the configuration does not
        lam.update_function_configuration(FunctionName="qbig", Layers=[l1])
        lam.update_function_code(FunctionName="qbig", ZipFile=fz_big)
        with self.assertRaises(ClientError) as e:
            lam.update_function_configuration(FunctionName="qbig", Layers=[l1, l2])
        self.assertEqual(code(e), "InvalidParameterValueException")
        self.assertIn(f"The actual size is {code_size + 2 * layer_size} bytes", message(e))

    def test_unused_layer_sets_removed(self):
        lam = self.lam
        la = lam.publish_layer_version(LayerName="qset-a", Content={"ZipFile": zip_of(
            {"python/qa.py": "X = 'a'\n"})})["LayerVersionArn"]
        lb = lam.publish_layer_version(LayerName="qset-b", Content={"ZipFile": zip_of(
            {"python/qb.py": "X = 'b'\n"})})["LayerVersionArn"]
        src = zip_of({"app.py": "def handler(e, c):\n"
                                "    out = ''\n"
                                "    for m in ('qa', 'qb'):\n"
                                "        try:\n"
                                "            out += __import__(m).X\n"
                                "        except ImportError:\n"
                                "            pass\n"
                                "    return out\n"})
        run = os.path.join(self.srv.data_dir, "db", "functions", "run")

        def sets():
            return {d for d in os.listdir(run) if d.startswith("opt-") and "." not in d} \
                if os.path.isdir(run) else set()

        def call(name, qual=None):
            kw = {"Qualifier": qual} if qual else {}
            return json.loads(lam.invoke(FunctionName=name, Payload=b"{}", **kw)["Payload"].read())

        def bump(n):
            """A new configuration of qset, invoked: its idle instance goes (a sweep runs)."""
            lam.update_function_configuration(FunctionName="qset", Description=f"bump {n}")
            call("qset")
            time.sleep(1.5)

        # qset runs with [a]; qset2 names [a] too but never runs
        self.create("qset", src, Layers=[la])
        self.create("qset2", src, Layers=[la])
        before = sets()
        self.assertEqual(call("qset"), "a")
        one = sets() - before
        self.assertEqual(len(one), 1, sets())
        # qset moves to [a, b]: its old instance goes, the set [a] stays (qset2 names it)
        lam.update_function_configuration(FunctionName="qset", Layers=[la, lb])
        self.assertEqual(call("qset"), "ab")
        time.sleep(1.5)
        both = sets() - before - one
        self.assertEqual(len(both), 1, sets())
        self.assertTrue(one <= sets(), sets())
        # qset2 moves too: at the next sweep, [a] (named by nothing now) goes
        lam.update_function_configuration(FunctionName="qset2", Layers=[la, lb])
        bump(1)
        self.assertTrue(wait_for(lambda: not (one & sets()), 30), sets())
        self.assertTrue(both <= sets())
        # a published version keeps its set when $LATEST lets it go
        v = lam.publish_version(FunctionName="qset2")["Version"]
        lam.update_function_configuration(FunctionName="qset2", Layers=[])
        lam.update_function_configuration(FunctionName="qset", Layers=[])
        self.assertEqual(call("qset"), "")
        bump(2)
        self.assertTrue(both <= sets(), sets())
        self.assertEqual(call("qset2", v), "ab")
        self.assertEqual(call("qset2"), "")

if __name__ == "__main__":
    unittest.main()
