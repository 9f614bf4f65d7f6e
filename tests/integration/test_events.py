# SPDX-License-Identifier: Apache-2.0
"""EventBridge through boto3 and the AWS CLI: event buses (the default one always there),
rules, targets, PutEvents' per-entry errors and limits, TestEventPattern, tags, EventBridge's
errors and messages (pattern refusals among them), and scheduled rules (rate and cron) whose
fires survive kill -9 without being lost or repeated."""
import json
import os
import subprocess
import time
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
FN = "arn:aws:lambda:us-east-1:000000000000:function:"
BUS = "arn:aws:events:us-east-1:000000000000:event-bus/"
RULE = "arn:aws:events:us-east-1:000000000000:rule/"

# Records each event it is given as an item (pk: the event id).
RECORDER = '''import json, os
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    ddb.put_item(TableName=os.environ["OUT"], Item={
        "pk": {"S": event.get("id", context.aws_request_id) if isinstance(event, dict) else context.aws_request_id},
        "event": {"S": json.dumps(event)}})
'''


def event(**kw):
    e = {"id": "1", "account": "000000000000", "source": "app", "time": "2024-01-01T00:00:00Z",
         "region": "us-east-1", "detail-type": "t", "resources": [], "detail": {}}
    e.update(kw)
    return json.dumps(e)


class Api(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        cls.ev = cls.srv.client("events", parameter_validation=False)  # the server validates

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def err(self, code, fn, *a, **kw):
        with self.assertRaises(ClientError) as c:
            fn(*a, **kw)
        self.assertEqual(c.exception.response["Error"]["Code"], code, c.exception.response)
        return c.exception.response["Error"]["Message"]

    def test_buses(self):
        ev = self.ev
        names = [b["Name"] for b in ev.list_event_buses()["EventBuses"]]
        self.assertIn("default", names)
        d = ev.describe_event_bus()
        self.assertEqual(d["Name"], "default")
        self.assertEqual(d["Arn"], BUS + "default")
        r = ev.create_event_bus(Name="orders", Description="the orders",
                                Tags=[{"Key": "team", "Value": "a"}])
        self.assertEqual(r["EventBusArn"], BUS + "orders")
        self.assertEqual(r["Description"], "the orders")
        d = ev.describe_event_bus(Name=BUS + "orders")  # a name or an ARN
        self.assertEqual((d["Name"], d["Description"]), ("orders", "the orders"))
        self.assertIn("CreationTime", d)
        self.assertEqual(self.err("ResourceAlreadyExistsException", ev.create_event_bus, Name="orders"),
                         "Event bus orders already exists.")
        self.err("ResourceAlreadyExistsException", ev.create_event_bus, Name="default")
        self.err("ValidationException", ev.create_event_bus, Name="bad name")
        self.err("ValidationException", ev.create_event_bus, Name="x" * 257)
        self.assertEqual(self.err("ResourceNotFoundException", ev.describe_event_bus, Name="nope"),
                         "Event bus nope does not exist.")
        self.assertEqual(self.err("ValidationException", ev.delete_event_bus, Name="default"),
                         "Cannot delete event bus default.")
        for i in range(5):
            ev.create_event_bus(Name="page-%d" % i)
        got, kw = [], {"NamePrefix": "page-", "Limit": 2}
        for _ in range(10):
            r = ev.list_event_buses(**kw)
            self.assertLessEqual(len(r["EventBuses"]), 2)
            got += [b["Name"] for b in r["EventBuses"]]
            if "NextToken" not in r:
                break
            kw["NextToken"] = r["NextToken"]
        self.assertEqual(got, ["page-%d" % i for i in range(5)])
        # tags on a bus
        arn = BUS + "orders"
        ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "b"}])
        tags = {t["Key"]: t["Value"] for t in ev.list_tags_for_resource(ResourceARN=arn)["Tags"]}
        self.assertEqual(tags, {"team": "b", "env": "dev"})
        ev.untag_resource(ResourceARN=arn, TagKeys=["team"])
        self.assertEqual(ev.list_tags_for_resource(ResourceARN=arn)["Tags"], [{"Key": "env", "Value": "dev"}])
        self.err("ResourceNotFoundException", ev.list_tags_for_resource, ResourceARN=BUS + "nope")
        # a bus with rules is not deleted (as on AWS)
        ev.put_rule(Name="r", EventBusName="orders", EventPattern='{"source": ["a"]}')
        self.assertEqual(self.err("ValidationException", ev.delete_event_bus, Name="orders"),
                         "EventBus can't be deleted since it has rules.")
        ev.delete_rule(Name="r", EventBusName="orders")
        ev.delete_event_bus(Name="orders")
        self.err("ResourceNotFoundException", ev.describe_event_bus, Name="orders")
        ev.create_event_bus(Name="orders")
        self.assertEqual(ev.list_rules(EventBusName="orders")["Rules"], [])
        ev.delete_event_bus(Name="orders")
        ev.delete_event_bus(Name="orders")  # a missing bus: no error

    def test_rules(self):
        ev = self.ev
        ev.create_event_bus(Name="rules-bus")
        r = ev.put_rule(Name="r1", EventPattern=json.dumps({"source": ["app"]}), Description="one",
                        RoleArn=ROLE, EventBusName="rules-bus", Tags=[{"Key": "k", "Value": "v"}])
        self.assertEqual(r["RuleArn"], RULE + "rules-bus/r1")
        d = ev.describe_rule(Name="r1", EventBusName="rules-bus")
        self.assertEqual((d["Name"], d["State"], d["Description"], d["RoleArn"], d["EventBusName"]),
                         ("r1", "ENABLED", "one", ROLE, "rules-bus"))
        self.assertEqual(json.loads(d["EventPattern"]), {"source": ["app"]})
        self.assertEqual(ev.list_tags_for_resource(ResourceARN=r["RuleArn"])["Tags"],
                         [{"Key": "k", "Value": "v"}])
        ev.disable_rule(Name="r1", EventBusName="rules-bus")
        self.assertEqual(ev.describe_rule(Name="r1", EventBusName="rules-bus")["State"], "DISABLED")
        ev.enable_rule(Name="r1", EventBusName="rules-bus")
        self.assertEqual(ev.describe_rule(Name="r1", EventBusName="rules-bus")["State"], "ENABLED")
        ev.put_rule(Name="r2", EventPattern='{"source": ["b"]}', EventBusName="rules-bus",
                    State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
        self.assertEqual(ev.describe_rule(Name="r2", EventBusName="rules-bus")["State"],
                         "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
        self.err("ValidationException", ev.put_rule, Name="r3", EventPattern='{"source": ["b"]}', State="ON")
        # listing: prefix and paging
        for i in range(5):
            ev.put_rule(Name="p-%d" % i, EventPattern='{"source": ["x"]}', EventBusName="rules-bus")
        got, kw = [], {"EventBusName": "rules-bus", "NamePrefix": "p-", "Limit": 2}
        for _ in range(10):
            page = ev.list_rules(**kw)
            got += [x["Name"] for x in page["Rules"]]
            if "NextToken" not in page:
                break
            kw["NextToken"] = page["NextToken"]
        self.assertEqual(got, ["p-%d" % i for i in range(5)])
        self.err("ResourceNotFoundException", ev.list_rules, EventBusName="no-bus")
        # errors
        self.assertEqual(self.err("ResourceNotFoundException", ev.describe_rule, Name="zz"),
                         "Rule zz does not exist on EventBus default.")
        self.assertEqual(self.err("ValidationException", ev.put_rule, Name="n"),
                         "Parameter(s) EventPattern or ScheduleExpression must be specified.")
        self.assertEqual(self.err("ValidationException", ev.put_rule, Name="s",
                                  ScheduleExpression="rate(5 minutes)", EventBusName="rules-bus"),
                         "ScheduleExpression is supported only on the default event bus.")
        self.err("ValidationException", ev.put_rule, Name="bad name", EventPattern="{}")
        self.err("ValidationException", ev.put_rule, Name="x" * 65, EventPattern='{"a": [1]}')
        self.err("ResourceNotFoundException", ev.put_rule, Name="q", EventPattern='{"a": [1]}',
                 EventBusName="no-bus")
        self.err("ResourceNotFoundException", ev.enable_rule, Name="zz")
        # targets
        arn = FN + "f1"
        r = ev.put_targets(Rule="r1", EventBusName="rules-bus", Targets=[
            {"Id": "t1", "Arn": arn},
            {"Id": "t2", "Arn": arn, "Input": '{"a": 1}',
             "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 60}}])
        self.assertEqual((r["FailedEntryCount"], r["FailedEntries"]), (0, []))
        ts = ev.list_targets_by_rule(Rule="r1", EventBusName="rules-bus")["Targets"]
        self.assertEqual([t["Id"] for t in ts], ["t1", "t2"])
        self.assertEqual(ts[1]["RetryPolicy"], {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 60})
        page = ev.list_targets_by_rule(Rule="r1", EventBusName="rules-bus", Limit=1)
        self.assertEqual(len(page["Targets"]), 1)
        page = ev.list_targets_by_rule(Rule="r1", EventBusName="rules-bus", Limit=1, NextToken=page["NextToken"])
        self.assertEqual([t["Id"] for t in page["Targets"]], ["t2"])
        self.assertEqual(ev.list_rule_names_by_target(TargetArn=arn, EventBusName="rules-bus")["RuleNames"], ["r1"])
        self.assertEqual(self.err("ValidationException", ev.delete_rule, Name="r1", EventBusName="rules-bus"),
                         "Rule can't be deleted since it has targets.")
        ev.put_targets(Rule="r1", EventBusName="rules-bus", Targets=[{"Id": "t1", "Arn": arn, "Input": "{}"}])
        ts = ev.list_targets_by_rule(Rule="r1", EventBusName="rules-bus")["Targets"]
        self.assertEqual(len(ts), 2)  # replaced by Id
        self.err("LimitExceededException", ev.put_targets, Rule="r1", EventBusName="rules-bus",
                 Targets=[{"Id": "x%d" % i, "Arn": arn} for i in range(4)])
        self.err("ValidationException", ev.put_targets, Rule="r1", EventBusName="rules-bus",
                 Targets=[{"Id": "bad id", "Arn": arn}])
        self.err("ValidationException", ev.put_targets, Rule="r1", EventBusName="rules-bus",
                 Targets=[{"Id": "x", "Arn": arn, "Input": "{}", "InputPath": "$.detail"}])
        self.err("ValidationException", ev.put_targets, Rule="r1", EventBusName="rules-bus",
                 Targets=[{"Id": "x", "Arn": arn, "Input": "not json"}])
        self.err("ValidationException", ev.put_targets, Rule="r1", EventBusName="rules-bus",
                 Targets=[{"Id": "x", "Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": 186}}])
        self.err("ValidationException", ev.put_targets, Rule="r1", EventBusName="rules-bus",
                 Targets=[{"Id": "x", "Arn": arn, "RetryPolicy": {"MaximumEventAgeInSeconds": 59}}])
        msg = self.err("ValidationException", ev.put_targets, Rule="r1", EventBusName="rules-bus",
                       Targets=[{"Id": "x", "Arn": arn, "InputTransformer": {
                           "InputPathsMap": {"a": "$.detail.a"}, "InputTemplate": '{"v": <b>}'}}])
        self.assertIn("invalid placeholder b", msg)
        self.err("ValidationException", ev.put_targets, Rule="r1", EventBusName="rules-bus",
                 Targets=[{"Id": "x", "Arn": arn, "InputTransformer": {
                     "InputPathsMap": {"k%d" % i: "$.detail" for i in range(101)}, "InputTemplate": "<k1>"}}])
        self.err("ResourceNotFoundException", ev.put_targets, Rule="zz", Targets=[{"Id": "x", "Arn": arn}])
        ev.remove_targets(Rule="r1", EventBusName="rules-bus", Ids=["t1", "t2"])
        self.assertEqual(ev.list_targets_by_rule(Rule="r1", EventBusName="rules-bus")["Targets"], [])
        ev.delete_rule(Name="r1", EventBusName="rules-bus")
        self.err("ResourceNotFoundException", ev.describe_rule, Name="r1", EventBusName="rules-bus")
        ev.delete_rule(Name="r1", EventBusName="rules-bus")  # a missing rule: no error

    def test_schedule_expressions(self):
        ev = self.ev
        good = ["rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(2 hours)", "rate(1 day)",
                "rate(7 days)", "cron(0 12 * * ? *)", "cron(15 10 ? * 6L 2022-2030)",
                "cron(0/15 * * * ? *)", "cron(0 8 1 * ? *)", "cron(0 18 ? * MON-FRI *)",
                "cron(0 10 ? * 2#1 *)", "cron(5,35 14 * JAN,FEB ? *)", "cron(0 0 L * ? *)",
                "cron(0 0 15W * ? *)", "cron(0 0 ? * L *)", "cron(*/5 1-3 * * ? *)"]
        for i, s in enumerate(good):
            ev.put_rule(Name="g%d" % i, ScheduleExpression=s, State="DISABLED")
            self.assertEqual(ev.describe_rule(Name="g%d" % i)["ScheduleExpression"], s)
        bad = ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(-1 minutes)",
               "rate(1 week)", "rate(minutes)", "cron(0 12 * * * *)", "cron(0 12 ? * ? *)",
               "cron(0 12 * *)", "cron(60 12 * * ? *)", "cron(0 24 * * ? *)", "cron(0 0 32 * ? *)",
               "cron(0 0 ? * 8 *)", "cron(0 0 ? 13 MON *)", "cron(0 0 * * ? 1969)", "every day", ""]
        for s in bad:
            if s == "":
                self.err("ValidationException", ev.put_rule, Name="b", ScheduleExpression=s)
                continue
            self.assertEqual(self.err("ValidationException", ev.put_rule, Name="b", ScheduleExpression=s),
                             "Parameter ScheduleExpression is not valid.", s)

    def test_pattern_refusals(self):
        ev = self.ev
        cases = {
            '{"a": "b"}': 'Event pattern is not valid. Reason: "a" must be an object or an array',
            '{"source": ["aws.health"], "detail": {}}': "Event pattern is not valid. Reason: Empty objects are not allowed",
            '{"a": []}': "Event pattern is not valid. Reason: Empty arrays are not allowed",
            '{"a": [{"prefix": 1}]}': "Event pattern is not valid. Reason: prefix match pattern must be a string",
            '{"a": [{"suffix": ["x"]}]}': "Event pattern is not valid. Reason: suffix match pattern must be a string",
            '{"a": [{"exists": "yes"}]}': "Event pattern is not valid. Reason: exists match pattern must be either true or false.",
            '{"a": [{"numeric": [">", "x"]}]}': "Event pattern is not valid. Reason: Value of > must be numeric",
            '{"a": [{"bogus": 1}]}': "Event pattern is not valid. Reason: Unrecognized match type bogus",
            '{"$or": [{"a": [1]}]}': "Event pattern is not valid. Reason: There must have at least 2 Objects in $or relationship.",
            '{"a": [{"anything-but": ["x", 1]}]}': "Event pattern is not valid. Reason: Inside anything but list, "
                                                   "either all values are number or string, mixed type is not supported",
            '{"a": [{"numeric": [">", 1, ">", 2]}]}': "Event pattern is not valid. Reason: Bad numeric range operator: >",
            '{"a": [{"cidr": 1}]}': "Event pattern is not valid. Reason: prefix match pattern must be a string",
        }
        for pattern, message in cases.items():
            got = self.err("InvalidEventPatternException", ev.put_rule, Name="bad", EventPattern=pattern)
            self.assertTrue(got.startswith(message), (pattern, got))
            got = self.err("InvalidEventPatternException", ev.test_event_pattern, EventPattern=pattern, Event=event())
            self.assertTrue(got.startswith(message), (pattern, got))

    def test_test_event_pattern(self):
        ev = self.ev
        ok = ev.test_event_pattern(EventPattern='{"source": ["app"], "detail": {"n": [{"numeric": [">", 5]}]}}',
                                   Event=event(detail={"n": 7}))
        self.assertTrue(ok["Result"])
        no = ev.test_event_pattern(EventPattern='{"source": [{"prefix": "aws."}]}', Event=event())
        self.assertFalse(no["Result"])
        self.err("ValidationException", ev.test_event_pattern, EventPattern='{"source": ["app"]}',
                 Event='{"source": "app"}')
        self.err("ValidationException", ev.test_event_pattern, EventPattern='{"source": ["app"]}', Event="nope")

    def test_put_events(self):
        ev = self.ev
        r = ev.put_events(Entries=[
            {"Source": "app", "DetailType": "t", "Detail": '{"a": 1}'},
            {"DetailType": "t", "Detail": "{}"},
            {"Source": "app", "Detail": "{}"},
            {"Source": "app", "DetailType": "t"},
            {"Source": "app", "DetailType": "t", "Detail": "[1, 2]"},
            {"Source": "app", "DetailType": "t", "Detail": "{}", "EventBusName": "no-such-bus"},
            {"Source": "app", "DetailType": "t", "Detail": "{}", "Resources": ["arn:x"],
             "Time": 1700000000, "TraceHeader": "Root=1", "EventBusName": BUS + "default"},
        ])
        e = r["Entries"]
        self.assertEqual(r["FailedEntryCount"], 5)
        self.assertEqual(len(e), 7)
        self.assertRegex(e[0]["EventId"], r"^[0-9a-f-]{36}$")
        self.assertEqual(e[1], {"ErrorCode": "InvalidArgument",
                                "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument."})
        self.assertEqual(e[2]["ErrorMessage"], "Parameter DetailType is not valid. Reason: DetailType is a required argument.")
        self.assertEqual(e[3]["ErrorMessage"], "Parameter Detail is not valid. Reason: Detail is a required argument.")
        self.assertEqual(e[4], {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."})
        self.assertEqual(e[5]["ErrorCode"], "ResourceNotFoundException")
        self.assertIn("EventId", e[6])
        self.err("ValidationException", ev.put_events,
                 Entries=[{"Source": "a", "DetailType": "t", "Detail": "{}"}] * 11)
        self.err("ValidationException", ev.put_events,
                 Entries=[{"Source": "a", "DetailType": "t", "Detail": "{}", "TraceHeader": "x" * 501}])
        # 256 KB in all, counted as AWS counts an entry
        big = json.dumps({"x": "y" * (200 * 1024)})
        self.err("ValidationException", ev.put_events,
                 Entries=[{"Source": "a", "DetailType": "t", "Detail": big}] * 2)
        r = ev.put_events(Entries=[{"Source": "a", "DetailType": "t", "Detail": big}])
        self.assertEqual(r["FailedEntryCount"], 0)


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.lambda_role()  # issue 15: functions need a role Lambda can assume

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def aws(self, *args, ok=True):
        p = self.srv.aws(*args)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def test_cli(self):
        p = self.aws("events", "create-event-bus", "--name", "cli-bus")
        self.assertEqual(json.loads(p.stdout)["EventBusArn"], BUS + "cli-bus")
        p = self.aws("events", "list-event-buses")
        self.assertIn("cli-bus", [b["Name"] for b in json.loads(p.stdout)["EventBuses"]])
        self.aws("events", "put-rule", "--name", "cr", "--event-bus-name", "cli-bus",
                 "--event-pattern", '{"source": ["cli"]}')
        p = self.aws("events", "describe-rule", "--name", "cr", "--event-bus-name", "cli-bus")
        self.assertEqual(json.loads(p.stdout)["State"], "ENABLED")
        self.aws("events", "put-targets", "--rule", "cr", "--event-bus-name", "cli-bus", "--targets",
                 "Id=1,Arn=" + FN + "nothing")
        p = self.aws("events", "list-targets-by-rule", "--rule", "cr", "--event-bus-name", "cli-bus")
        self.assertEqual(json.loads(p.stdout)["Targets"][0]["Id"], "1")
        p = self.aws("events", "delete-rule", "--name", "cr", "--event-bus-name", "cli-bus", ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Rule can't be deleted since it has targets.", p.stderr)
        self.aws("events", "remove-targets", "--rule", "cr", "--event-bus-name", "cli-bus", "--ids", "1")
        self.aws("events", "delete-rule", "--name", "cr", "--event-bus-name", "cli-bus")
        p = self.aws("events", "put-events", "--entries",
                     json.dumps([{"Source": "cli", "DetailType": "t", "Detail": "{}", "EventBusName": "cli-bus"}]))
        self.assertEqual(json.loads(p.stdout)["FailedEntryCount"], 0)
        p = self.aws("events", "test-event-pattern", "--event-pattern", '{"source": ["app"]}',
                     "--event", event())
        self.assertTrue(json.loads(p.stdout)["Result"])
        p = self.aws("events", "put-rule", "--name", "s", "--schedule-expression", "rate(1 minutes)", ok=False)
        self.assertIn("Parameter ScheduleExpression is not valid.", p.stderr)
        self.aws("events", "delete-event-bus", "--name", "cli-bus")
        p = self.aws("events", "describe-event-bus", "--name", "cli-bus", ok=False)
        self.assertIn("ResourceNotFoundException", p.stderr)


OLD_BOTO = """
import json, sys, boto3
from botocore.exceptions import ClientError
ev = boto3.client("events", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
ev.create_event_bus(Name="old-bus")
ev.put_rule(Name="old", EventBusName="old-bus", EventPattern=json.dumps({"source": ["old"]}))
ev.put_targets(Rule="old", EventBusName="old-bus", Targets=[{"Id": "1", "Arn": sys.argv[2]}])
r = ev.put_events(Entries=[{"Source": "old", "DetailType": "t", "Detail": "{}", "EventBusName": "old-bus"}])
try:
    ev.describe_rule(Name="none")
    code = None
except ClientError as e:
    code = e.response["Error"]["Code"]
print(json.dumps({"failed": r["FailedEntryCount"], "rules": [x["Name"] for x in ev.list_rules(EventBusName="old-bus")["Rules"]],
                  "error": code, "version": boto3.__version__}))
"""


class DebianBoto3(unittest.TestCase):
    """Debian's boto3 (/usr/bin/python3) speaks the same JSON 1.1 protocol."""

    def test_old_boto3(self):
        if not os.path.exists("/usr/bin/python3"):
            self.skipTest("no /usr/bin/python3")
        srv = Server().start()
        srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        try:
            p = subprocess.run(["/usr/bin/python3", "-c", OLD_BOTO, srv.endpoint, FN + "f"],
                               capture_output=True, text=True, timeout=60, cwd="/")
            self.assertEqual(p.returncode, 0, p.stderr)
            got = json.loads(p.stdout)
            self.assertEqual((got["failed"], got["rules"], got["error"]), (0, ["old"], "ResourceNotFoundException"))
        finally:
            srv.cleanup()


class Schedules(unittest.TestCase):
    """Scheduled rules fire with a short minute (STRATUS_EVENTS_MINUTE_MS) and survive kill -9."""
    minute_ms = 300

    def setUp(self):
        self.old = os.environ.get("STRATUS_EVENTS_MINUTE_MS")
        os.environ["STRATUS_EVENTS_MINUTE_MS"] = str(self.minute_ms)
        self.srv = Server().start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.clients()

    def clients(self):
        self.ev, self.lam, self.ddb = (self.srv.client(s) for s in ("events", "lambda", "dynamodb"))

    def tearDown(self):
        self.srv.cleanup()
        if self.old is None:
            del os.environ["STRATUS_EVENTS_MINUTE_MS"]
        else:
            os.environ["STRATUS_EVENTS_MINUTE_MS"] = self.old

    def items(self, table):
        out, kw = [], {}
        while True:
            r = self.ddb.scan(TableName=table, ConsistentRead=True, **kw)
            out += r["Items"]
            if "LastEvaluatedKey" not in r:
                return out
            kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]

    def wait_for(self, table, count, timeout=40):
        deadline = time.time() + timeout
        got = []
        while time.time() < deadline:
            got = self.items(table)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        self.fail("%s has %d items, wanted %d" % (table, len(got), count))

    def test_rate_fires_scheduled_events(self):
        self.ddb.create_table(TableName="ticks", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        self.lam.create_function(FunctionName="tick", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Timeout=20, Environment={"Variables": {"OUT": "ticks"}},
                                 Code={"ZipFile": zip_of({"app.py": RECORDER})})
        arn = self.ev.put_rule(Name="every", ScheduleExpression="rate(1 minute)")["RuleArn"]
        self.ev.put_targets(Rule="every", Targets=[{"Id": "f", "Arn": FN + "tick"}])
        got = self.wait_for("ticks", 3)
        e = json.loads(got[0]["event"]["S"])
        self.assertEqual(e["source"], "aws.events")
        self.assertEqual(e["detail-type"], "Scheduled Event")
        self.assertEqual(e["detail"], {})
        self.assertEqual(e["resources"], [arn])
        self.assertEqual(e["version"], "0")
        self.assertEqual(e["account"], "000000000000")
        self.assertEqual(e["region"], "us-east-1")
        self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # disabled: no more fires
        self.ev.disable_rule(Name="every")
        time.sleep(self.minute_ms * 2 / 1000.0)
        n = len(self.items("ticks"))
        time.sleep(self.minute_ms * 4 / 1000.0)
        self.assertLessEqual(len(self.items("ticks")), n + 1)  # one already written may land
        # kill -9 and restart: the schedule carries on from its stored next fire time
        self.ev.enable_rule(Name="every")
        self.wait_for("ticks", n + 2)
        self.srv.kill9()
        self.srv.start()
        self.clients()
        before = len(self.items("ticks"))
        self.wait_for("ticks", before + 2)


if __name__ == "__main__":
    unittest.main()
