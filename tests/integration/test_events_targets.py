# SPDX-License-Identifier: Apache-2.0
"""EventBridge targets: a Lambda function receives the event field for field; Input, InputPath
and InputTransformer (with the reserved variables and the quoting rules); a rule on one bus
forwarding to another bus (api_events_put); a target that fails is retried with backoff and a
delivery survives kill -9 until it succeeds; a disabled rule or a non-matching event delivers
nothing; SQS targets (FIFO with SqsParameters.MessageGroupId) and SNS targets; a target that
gives up sends the event to its dead-letter queue with EventBridge's message attributes; a slow
function fills only its own lane (other targets, other functions go on); a function's own
asynchronous-invocation settings (retries, destinations) apply to its errors; a target input
that can never be made goes to the dead-letter queue at once; rule changes are seen by the next
event (the compiled rules are cached per bus)."""
import json
import time
import unittest

import msg_grant
from recorder_base import BUS, FN, RECORDER, ROLE, RecorderCase
from lambda_grants import allow_events
from stratus_fixture import zip_of

RULE = "arn:aws:events:us-east-1:000000000000:rule/"


class Base(RecorderCase):

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

class Targets(Base):
    def test_lambda_receives_the_event(self):
        self.function("plain", tag="plain")
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
            self.function(t, tag=t)
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
        self.function("far", tag="far")
        self.ev.create_event_bus(Name="far-bus")
        msg_grant.allow_bus(self.ev, "far-bus", RULE + "fwd")  # issue 15: the bus's policy lets the rule send
        self.ev.put_rule(Name="fwd", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="fwd", Targets=[{"Id": "b", "Arn": BUS + "far-bus"},
                                                 # not an event: the other bus refuses it, for good
                                                 {"Id": "x", "Arn": BUS + "far-bus", "Input": '{"x": 1}',
                                                  "RetryPolicy": {"MaximumRetryAttempts": 0}}])
        self.ev.put_rule(Name="land", EventPattern='{"detail-type": ["order placed"]}', EventBusName="far-bus")
        self.ev.put_targets(Rule="land", EventBusName="far-bus", Targets=[{"Id": "f", "Arn": FN + "far"}])
        eid = self.put({"k": 1})
        got = self.received(1)["far"]
        time.sleep(0.5)
        self.assertEqual(len(self.items()), 1)
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
        self.function("late", tag="late")
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
        self.function("missing", tag="missing")  # too late: the delivery is gone
        time.sleep(2.5)
        self.assertEqual(self.items(), [])

# Records what it is given, then fails (a function error).
FAILER = RECORDER + '''
def failing(event, context):
    handler(event, context)
    raise RuntimeError("no")
'''

SLEEPER = '''import time
def handler(event, context):
    time.sleep(6)
'''


class LambdaSettings(Base):
    def tagged(self, tag):
        return [json.loads(i["event"]["S"]) for i in self.items() if i["tag"]["S"] == tag]

    def wait_tagged(self, tag, count, timeout=40):
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.tagged(tag)) < count:
            time.sleep(0.05)
        got = self.tagged(tag)
        self.assertGreaterEqual(len(got), count, self.items())
        return got

    def test_function_async_settings_apply(self):
        # A function error: the function's MaximumRetryAttempts (0 here, 2 by default) and its
        # OnFailure destination apply, not EventBridge's retries; a success goes to OnSuccess.
        self.function("dest", tag="dest")
        self.lam.create_function(FunctionName="fails", Runtime="python3.11", Role=ROLE,
                                 Handler="app.failing", Timeout=20,
                                 Environment={"Variables": {"OUT": "got", "TAG": "fails"}},
                                 Code={"ZipFile": zip_of({"app.py": FAILER})})
        allow_events(self.lam, "fails")
        self.function("works", tag="works")
        self.lam.put_function_event_invoke_config(
            FunctionName="fails", MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": FN + "dest"}})
        self.lam.put_function_event_invoke_config(
            FunctionName="works", DestinationConfig={"OnSuccess": {"Destination": FN + "dest"}})
        self.ev.put_rule(Name="both", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="both", Targets=[{"Id": "f", "Arn": FN + "fails"},
                                                  {"Id": "w", "Arn": FN + "works"}])
        eid = self.put({"k": 1})
        recs = self.wait_tagged("dest", 2)
        by = {r["requestContext"]["condition"]: r for r in recs}
        self.assertEqual(set(by), {"RetriesExhausted", "Success"}, recs)
        self.assertEqual(by["RetriesExhausted"]["requestPayload"]["id"], eid)
        self.assertEqual(by["RetriesExhausted"]["requestContext"]["functionArn"], FN + "fails:$LATEST")
        self.assertEqual(by["RetriesExhausted"]["responseContext"]["functionError"], "Unhandled")
        self.assertEqual(by["Success"]["requestPayload"]["id"], eid)
        time.sleep(2.5)  # past a first retry's backoff: there is none
        self.assertEqual(len(self.tagged("fails")), 1)
        self.assertEqual(len(self.tagged("dest")), 2)


class MessagingTargets(Base):
    """SQS and SNS as targets and dead-letter queues (api_sqs_send, api_sns_publish)."""

    def clients(self):
        super().clients()
        self.sqs, self.sns = self.srv.client("sqs"), self.srv.client("sns")

    def queue(self, name, **attrs):
        url, arn = super().queue(name, **attrs)
        # issue 15: the queue's policy lets EventBridge send for this account's rules
        msg_grant.allow_queue(self.sqs, url, "events.amazonaws.com", RULE + "*")
        return url, arn

    def receive(self, url, count, timeout=20, **kw):
        got, deadline = [], time.time() + timeout
        while len(got) < count and time.time() < deadline:
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         MessageAttributeNames=["All"], **kw)
            for m in r.get("Messages", []):
                got.append(m)
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        self.assertEqual(len(got), count, got)
        return got

    def test_sqs_targets(self):
        url, arn = self.queue("ev-q")
        furl, farn = self.queue("ev-q.fifo", FifoQueue="true")
        self.ev.put_rule(Name="toq", EventPattern='{"source": ["app"]}')
        with self.assertRaises(Exception):  # a FIFO queue needs a group
            self.ev.put_targets(Rule="toq", Targets=[{"Id": "f", "Arn": farn}])
        self.ev.put_targets(Rule="toq", Targets=[
            {"Id": "q", "Arn": arn, "InputPath": "$.detail"},
            {"Id": "f", "Arn": farn, "SqsParameters": {"MessageGroupId": "g1"}}])
        ids = [self.put({"n": i}) for i in range(3)]
        got = self.receive(url, 3)
        self.assertEqual(sorted(json.loads(m["Body"])["n"] for m in got), [0, 1, 2])
        fifo = self.receive(furl, 3, AttributeNames=["All"])
        self.assertEqual([json.loads(m["Body"])["id"] for m in fifo], ids)  # in order
        self.assertEqual({m["Attributes"]["MessageGroupId"] for m in fifo}, {"g1"})

    def test_constant_input_is_any_json_text(self):
        url, arn = self.queue("ev-const")
        self.ev.put_rule(Name="const", EventPattern='{"source": ["app"]}')
        for bad in ("1,2", "{", "text"):
            with self.assertRaises(Exception, msg=bad):
                self.ev.put_targets(Rule="const", Targets=[{"Id": "c", "Arn": arn, "Input": bad}])
        for i, text in enumerate(('"a string"', "5", "null", '[1, {"b": 2}]')):
            self.ev.put_targets(Rule="const", Targets=[{"Id": "c", "Arn": arn, "Input": text}])
            self.put({"n": i})
            self.assertEqual(self.receive(url, 1)[0]["Body"], text)

    def test_sns_target(self):
        self.function("snsrec", tag="sns")
        topic = self.sns.create_topic(Name="ev-topic")["TopicArn"]
        msg_grant.allow_topic(self.sns, topic, "events.amazonaws.com", RULE + "tot")  # issue 15
        self.sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=FN + "snsrec")
        self.ev.put_rule(Name="tot", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="tot", Targets=[{"Id": "t", "Arn": topic}])
        eid = self.put({"via": "sns"})
        rec = self.received(1)["sns"]["Records"][0]["Sns"]
        self.assertEqual(rec["TopicArn"], topic)
        self.assertEqual(json.loads(rec["Message"])["id"], eid)

    def test_dead_letter_queue(self):
        dlq_url, dlq = self.queue("ev-dlq")
        self.ev.put_rule(Name="dead", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="dead", Targets=[{"Id": "gone", "Arn": FN + "nowhere",
                                                   "RetryPolicy": {"MaximumRetryAttempts": 1},
                                                   "DeadLetterConfig": {"Arn": dlq}}])
        eid = self.put({"lost": True})
        m = self.receive(dlq_url, 1)[0]
        self.assertEqual(json.loads(m["Body"])["id"], eid)
        a = {k: v.get("StringValue") for k, v in m["MessageAttributes"].items()}
        self.assertEqual(a["RULE_ARN"], RULE + "dead")
        self.assertEqual(a["TARGET_ARN"], FN + "nowhere")
        self.assertEqual(a["ERROR_CODE"], "ResourceNotFoundException")
        self.assertIn("ERROR_MESSAGE", a)
        self.assertEqual(a["EXHAUSTED_RETRY_CONDITION"], "MaximumRetryAttempts")
        self.assertEqual(a["RETRY_ATTEMPTS"], "1")

    def test_input_that_cannot_be_made_is_not_retried(self):
        # Seven copies of a 200 KB value make more than the 1 MiB a target input can be: it can
        # never succeed, so it goes to the dead-letter queue at once (not 185 retries over 24 h).
        dlq_url, dlq = self.queue("big-dlq")
        self.ev.put_rule(Name="big", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="big", Targets=[{"Id": "b", "Arn": FN + "nowhere",
                                                  "DeadLetterConfig": {"Arn": dlq},
                                                  "InputTransformer": {
                                                      "InputPathsMap": {"s": "$.detail.s"},
                                                      "InputTemplate": "[" + ",".join(["<s>"] * 7) + "]"}}])
        eid = self.put({"s": "x" * 200000})
        m = self.receive(dlq_url, 1, timeout=10)[0]
        self.assertEqual(json.loads(m["Body"])["id"], eid)
        a = {k: v.get("StringValue") for k, v in m["MessageAttributes"].items()}
        self.assertEqual(a["ERROR_CODE"], "InvalidInput")
        self.assertEqual(a["RETRY_ATTEMPTS"], "0")

    def test_slow_function_holds_only_its_lane(self):
        # 40 deliveries to a function that takes 6 s each, one at a time (reserved concurrency
        # 1): they fill its lane, not every slot; an SQS target and another function behind
        # them are delivered at once.
        self.lam.create_function(FunctionName="slow", Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Timeout=20,
                                 Code={"ZipFile": zip_of({"app.py": SLEEPER})})
        allow_events(self.lam, "slow")
        self.lam.put_function_concurrency(FunctionName="slow", ReservedConcurrentExecutions=1)
        self.function("quick", tag="quick")
        url, arn = self.queue("fast-q")
        self.ev.put_rule(Name="slow", EventPattern='{"detail-type": ["slow"]}')
        self.ev.put_targets(Rule="slow", Targets=[{"Id": "s", "Arn": FN + "slow"}])
        self.ev.put_rule(Name="fast", EventPattern='{"detail-type": ["fast"]}')
        self.ev.put_targets(Rule="fast", Targets=[{"Id": "q", "Arn": arn}, {"Id": "l", "Arn": FN + "quick"}])
        for _ in range(4):
            r = self.ev.put_events(Entries=[{"Source": "app", "DetailType": "slow", "Detail": "{}"}] * 10)
            self.assertEqual(r["FailedEntryCount"], 0)
        time.sleep(0.5)  # the slow deliveries are in flight (or waiting for their lane)
        t0 = time.time()
        eid = self.put({"n": 1}, DetailType="fast")
        m = self.receive(url, 1, timeout=15)[0]
        self.assertEqual(json.loads(m["Body"])["id"], eid)
        self.assertEqual(self.received(1, timeout=15)["quick"]["id"], eid)
        self.assertLess(time.time() - t0, 15)

    def test_rule_changes_are_seen(self):
        # Each bus's compiled rules are cached: PutRule, PutTargets, RemoveTargets, DisableRule,
        # EnableRule and DeleteEventBus are seen by the next event.
        url, arn = self.queue("chg-q")
        self.ev.create_event_bus(Name="chg")
        self.ev.put_rule(Name="r", EventBusName="chg", EventPattern='{"source": ["a"]}')
        self.ev.put_targets(Rule="r", EventBusName="chg", Targets=[{"Id": "q", "Arn": arn}])
        self.put({"n": 1}, source="a", bus="chg")
        self.assertEqual(json.loads(self.receive(url, 1)[0]["Body"])["detail"], {"n": 1})
        self.ev.put_rule(Name="r", EventBusName="chg", EventPattern='{"source": ["b"]}')
        self.put({"n": 2}, source="a", bus="chg")  # no longer matches
        self.put({"n": 3}, source="b", bus="chg")
        self.assertEqual(json.loads(self.receive(url, 1)[0]["Body"])["detail"], {"n": 3})
        self.ev.put_targets(Rule="r", EventBusName="chg", Targets=[{"Id": "q", "Arn": arn, "Input": '{"c": 1}'}])
        self.put({"n": 4}, source="b", bus="chg")
        self.assertEqual(json.loads(self.receive(url, 1)[0]["Body"]), {"c": 1})
        self.ev.disable_rule(Name="r", EventBusName="chg")
        self.put({"n": 5}, source="b", bus="chg")
        self.ev.enable_rule(Name="r", EventBusName="chg")
        self.put({"n": 6}, source="b", bus="chg")
        self.assertEqual(len(self.receive(url, 1)), 1)  # the one after enable_rule only
        self.ev.remove_targets(Rule="r", EventBusName="chg", Ids=["q"])
        self.put({"n": 7}, source="b", bus="chg")
        self.ev.delete_rule(Name="r", EventBusName="chg")
        self.ev.delete_event_bus(Name="chg")
        r = self.ev.put_events(Entries=[{"Source": "b", "DetailType": "x", "Detail": "{}", "EventBusName": "chg"}])
        self.assertEqual(r["FailedEntryCount"], 1, r)
        time.sleep(1)
        self.assertEqual(self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []), [])


if __name__ == "__main__":
    unittest.main()
