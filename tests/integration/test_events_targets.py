# SPDX-License-Identifier: Apache-2.0
"""EventBridge targets: a Lambda function receives the event field for field; Input, InputPath
and InputTransformer (with the reserved variables and the quoting rules); a rule on one bus
forwarding to another bus (api_events_put); a target that fails is retried with backoff and a
delivery survives kill -9 until it succeeds; a disabled rule or a non-matching event delivers
nothing."""
import json
import time
import unittest

from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
FN = "arn:aws:lambda:us-east-1:000000000000:function:"
BUS = "arn:aws:events:us-east-1:000000000000:event-bus/"
RULE = "arn:aws:events:us-east-1:000000000000:rule/"

# Records what it is given as an item (pk: a counter-free unique id: the request id).
RECORDER = '''import json, os
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    ddb.put_item(TableName=os.environ["OUT"], Item={
        "pk": {"S": context.aws_request_id}, "tag": {"S": os.environ.get("TAG", "")},
        "event": {"S": json.dumps(event)}})
'''


class Targets(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()
        self.clients()
        self.ddb.create_table(TableName="got", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")

    def clients(self):
        self.ev, self.lam, self.ddb = (self.srv.client(s) for s in ("events", "lambda", "dynamodb"))

    def tearDown(self):
        self.srv.cleanup()

    def function(self, name, tag=""):
        self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Timeout=20, Environment={"Variables": {"OUT": "got", "TAG": tag}},
                                 Code={"ZipFile": zip_of({"app.py": RECORDER})})

    def items(self):
        out, kw = [], {}
        while True:
            r = self.ddb.scan(TableName="got", ConsistentRead=True, **kw)
            out += r["Items"]
            if "LastEvaluatedKey" not in r:
                return out
            kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]

    def received(self, count, timeout=40):
        deadline = time.time() + timeout
        got = []
        while time.time() < deadline:
            got = self.items()
            if len(got) >= count:
                break
            time.sleep(0.05)
        self.assertGreaterEqual(len(got), count, got)
        return {i["tag"]["S"]: json.loads(i["event"]["S"]) for i in got}

    def put(self, detail, source="app", bus=None, **kw):
        e = {"Source": source, "DetailType": "order placed", "Detail": json.dumps(detail), **kw}
        if bus:
            e["EventBusName"] = bus
        r = self.ev.put_events(Entries=[e])
        self.assertEqual(r["FailedEntryCount"], 0, r)
        return r["Entries"][0]["EventId"]

    def test_lambda_receives_the_event(self):
        self.function("plain", "plain")
        self.ev.put_rule(Name="orders", EventPattern=json.dumps({"source": ["app"], "detail": {"n": [{"numeric": [">", 1]}]}}))
        self.ev.put_targets(Rule="orders", Targets=[{"Id": "p", "Arn": FN + "plain"}])
        self.put({"n": 1})  # does not match
        self.put({"n": 2}, source="other")  # does not match
        eid = self.put({"n": 5, "s": "x"}, Resources=["arn:aws:s3:::b"], Time=1700000000)
        got = self.received(1)["plain"]
        self.assertEqual(got, {"version": "0", "id": eid, "detail-type": "order placed", "source": "app",
                               "account": "000000000000", "time": "2023-11-14T22:13:20Z",
                               "region": "us-east-1", "resources": ["arn:aws:s3:::b"],
                               "detail": {"n": 5, "s": "x"}})
        time.sleep(0.5)
        self.assertEqual(len(self.items()), 1)
        # disabled: nothing more
        self.ev.disable_rule(Name="orders")
        self.put({"n": 9})
        time.sleep(0.5)
        self.assertEqual(len(self.items()), 1)

    def test_input_shapes(self):
        for t in ("const", "path", "tr", "trs"):
            self.function(t, t)
        self.ev.put_rule(Name="shapes", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="shapes", Targets=[
            {"Id": "c", "Arn": FN + "const", "Input": '{"fixed": true}'},
            {"Id": "p", "Arn": FN + "path", "InputPath": "$.detail.order"},
            {"Id": "t", "Arn": FN + "tr", "InputTransformer": {
                "InputPathsMap": {"id": "$.detail.order.id", "items": "$.detail.order.items",
                                  "first": "$.detail.order.items[0]", "src": "$.source"},
                "InputTemplate": '{"id": <id>, "items": <items>, "first": <first>, "text": "order <id> from <src>", '
                                 '"rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>", "whole": <aws.events.event.json>}'}},
            {"Id": "s", "Arn": FN + "trs", "InputTransformer": {
                "InputPathsMap": {"id": "$.detail.order.id"},
                "InputTemplate": '"order <id> arrived"'}},
        ])
        self.put({"order": {"id": "o-1", "items": [3, 4]}})
        got = self.received(4)
        self.assertEqual(got["const"], {"fixed": True})
        self.assertEqual(got["path"], {"id": "o-1", "items": [3, 4]})
        tr = got["tr"]
        self.assertEqual(tr["id"], "o-1")
        self.assertEqual(tr["items"], [3, 4])
        self.assertEqual(tr["first"], 3)
        self.assertEqual(tr["text"], "order o-1 from app")
        self.assertEqual(tr["rule"], "shapes")
        self.assertEqual(tr["arn"], RULE + "shapes")
        self.assertEqual(tr["whole"]["detail"], {"order": {"id": "o-1", "items": [3, 4]}})
        self.assertEqual(got["trs"], "order o-1 arrived")

    def test_another_bus(self):
        self.function("far", "far")
        self.ev.create_event_bus(Name="far-bus")
        self.ev.put_rule(Name="fwd", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="fwd", Targets=[{"Id": "b", "Arn": BUS + "far-bus"}])
        self.ev.put_rule(Name="land", EventPattern='{"detail-type": ["order placed"]}', EventBusName="far-bus")
        self.ev.put_targets(Rule="land", EventBusName="far-bus", Targets=[{"Id": "f", "Arn": FN + "far"}])
        eid = self.put({"k": 1})
        got = self.received(1)["far"]
        self.assertEqual(got["id"], eid)  # the same event, on the other bus
        self.assertEqual(got["detail"], {"k": 1})

    def test_retries_survive_kill9(self):
        # The target function does not exist yet: the delivery is retried (1 s, 2 s, 4 s, ...).
        self.ev.put_rule(Name="later", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="later", Targets=[{"Id": "l", "Arn": FN + "late",
                                                    "RetryPolicy": {"MaximumRetryAttempts": 20}}])
        self.put({"v": 1})
        time.sleep(1.5)
        self.srv.kill9()
        self.srv.start()
        self.clients()
        self.function("late", "late")
        got = self.received(1, timeout=60)["late"]
        self.assertEqual(got["detail"], {"v": 1})

    def test_gives_up_after_retries(self):
        self.ev.put_rule(Name="never", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="never", Targets=[{"Id": "n", "Arn": FN + "missing",
                                                    "RetryPolicy": {"MaximumRetryAttempts": 1}}])
        self.put({"v": 1})
        deadline = time.time() + 20
        while time.time() < deadline and "gave up on event delivery" not in self.srv.read_log():
            time.sleep(0.1)
        self.assertIn("gave up on event delivery", self.srv.read_log())
        self.function("missing", "missing")  # too late: the delivery is gone
        time.sleep(2.5)
        self.assertEqual(self.items(), [])


if __name__ == "__main__":
    unittest.main()
