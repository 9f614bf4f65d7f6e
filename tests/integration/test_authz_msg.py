# SPDX-License-Identifier: Apache-2.0
"""SQS, SNS and EventBridge authorization (issue 15, package L2).

Service principals: SNS delivers to a queue, EventBridge to a queue, a topic or another bus, and
S3 to a queue or a topic only when the target's resource policy allows that service for that
source (aws:SourceArn); refused deliveries are not made, are counted in
stratus_msg_denied_total and, for EventBridge, go to the target's dead-letter queue (NO_PERMISSIONS)
— whose own policy must allow EventBridge too. PutBucketNotificationConfiguration refuses a queue
or topic whose policy does not allow S3 (400 InvalidArgument, ArgumentName/ArgumentValue).
Resource policies are validated by the policy language (SQS InvalidAttributeValue, SNS
InvalidParameter "Policy Error", EventBridge ValidationException); a topic starts with AWS's
default topic policy; EventBridge's PutPermission/RemovePermission write the bus policy that
DescribeEventBus shows.

IAM principals (iam_base): every SQS (JSON and query protocols), SNS and EventBridge operation is
refused for a user without permissions and allowed once an identity policy allows it; a queue
policy alone grants another user SendMessage, a topic policy Publish, a bus policy PutEvents;
condition keys (events:source, aws:ResourceTag); the AWS CLI and Debian's boto3 (the SQS query
protocol); stratus_authz_unchecked_total stays 0."""
import base64
import json
import os
import subprocess
import time
import unittest
import urllib.request

from botocore.exceptions import ClientError

import msg_grant
from stratus_fixture import AWS_CLI, Server

ACCT = "000000000000"
QARN = "arn:aws:sqs:us-east-1:%s:" % ACCT
TARN = "arn:aws:sns:us-east-1:%s:" % ACCT
RULE = "arn:aws:events:us-east-1:%s:rule/" % ACCT
BUS = "arn:aws:events:us-east-1:%s:event-bus/" % ACCT


def metric(srv, name):
    with urllib.request.urlopen(srv.endpoint + "/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError("no metric " + name)


def code(fn, *args, **kw):
    """The error code of a call that must fail."""
    try:
        fn(*args, **kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("%s succeeded" % getattr(fn, "__name__", fn))


class Case(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()
        self.sqs, self.sns, self.ev, self.s3 = (self.srv.client(s) for s in ("sqs", "sns", "events", "s3"))

    def tearDown(self):
        self.srv.cleanup()

    def queue(self, name, **attrs):
        url = self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        return url, msg_grant.queue_arn(self.sqs, url)

    def receive(self, url, count, timeout=20):
        got, deadline = [], time.time() + timeout
        while len(got) < count and time.time() < deadline:
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         MessageAttributeNames=["All"])
            for m in r.get("Messages", []):
                got.append(m)
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        self.assertEqual(len(got), count, got)
        return got

    def wait_metric(self, name, at_least, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if metric(self.srv, name) >= at_least:
                return
            time.sleep(0.1)
        self.assertGreaterEqual(metric(self.srv, name), at_least)


class ResourcePolicies(Case):
    def test_queue_policy_is_validated(self):
        url, arn = self.queue("pq")
        for bad in ('{"Statement": []', '{"Statement": [{"Effect": "Allow", "Action": "sqs:*"}]}',
                    '{"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "sqs:*", "Resource": "*"}]}'):
            self.assertEqual(code(self.sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": bad}),
                             "InvalidAttributeValue", bad)
        good = json.dumps({"Version": "2012-10-17", "Statement": [msg_grant.statement(
            "sns.amazonaws.com", "sqs:SendMessage", arn, TARN + "t")]})
        self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": good})
        got = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
        self.assertEqual(json.loads(got), json.loads(good))

    def test_topic_default_policy_and_validation(self):
        arn = self.sns.create_topic(Name="pt")["TopicArn"]
        pol = json.loads(self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
        self.assertEqual(pol["Id"], "__default_policy_ID")
        st = pol["Statement"][0]
        self.assertEqual(st["Principal"], {"AWS": "*"})
        self.assertIn("SNS:Publish", st["Action"])
        self.assertEqual(st["Condition"], {"StringEquals": {"AWS:SourceOwner": ACCT}})
        with self.assertRaises(ClientError) as e:
            self.sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy",
                                          AttributeValue='{"Statement": [{"Effect": "Allow"}]}')
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameter")
        self.assertIn("Invalid parameter: Policy Error", e.exception.response["Error"]["Message"])
        msg_grant.allow_topic(self.sns, arn, "s3.amazonaws.com", "arn:aws:s3:::b")
        pol = json.loads(self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
        self.assertEqual(len(pol["Statement"]), 2)

    def test_bus_permissions(self):
        self.assertNotIn("Policy", self.ev.describe_event_bus())
        self.ev.put_permission(Action="events:PutEvents", Principal="111122223333", StatementId="acct")
        self.ev.put_permission(Action="events:PutEvents", Principal="*", StatementId="org",
                               Condition={"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-abc"})
        pol = json.loads(self.ev.describe_event_bus()["Policy"])
        by = {s["Sid"]: s for s in pol["Statement"]}
        self.assertEqual(by["acct"]["Principal"], {"AWS": "arn:aws:iam::111122223333:root"})
        self.assertEqual(by["acct"]["Action"], "events:PutEvents")
        self.assertEqual(by["acct"]["Resource"], BUS + "default")
        self.assertEqual(by["org"]["Principal"], "*")
        self.assertEqual(by["org"]["Condition"], {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})
        self.assertEqual(code(self.ev.put_permission, Action="events:PutEvents", Principal="111122223333",
                              StatementId="acct"), "ResourceAlreadyExistsException")
        self.assertEqual(code(self.ev.put_permission, Action="events:PutEvents", Principal="someone",
                              StatementId="x"), "ValidationException")
        self.assertEqual(code(self.ev.put_permission, Policy='{"Statement": [{"Effect": "Allow"}]}'),
                         "ValidationException")
        self.assertEqual(code(self.ev.put_permission, Policy=json.dumps({"Statement": [
            {"Sid": "s%d" % i, "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
             "Resource": BUS + "default"} for i in range(200)]})), "PolicyLengthExceededException")
        self.assertEqual(code(self.ev.put_permission, EventBusName="nope", Action="events:PutEvents",
                              Principal="*", StatementId="x"), "ResourceNotFoundException")
        self.ev.remove_permission(StatementId="acct")
        self.assertEqual([s["Sid"] for s in json.loads(self.ev.describe_event_bus()["Policy"])["Statement"]],
                         ["org"])
        self.assertEqual(code(self.ev.remove_permission, StatementId="acct"), "ResourceNotFoundException")
        self.ev.remove_permission(RemoveAllPermissions=True)
        self.assertNotIn("Policy", self.ev.describe_event_bus())
        # a whole document on a bus of its own
        self.ev.create_event_bus(Name="mine")
        msg_grant.allow_bus(self.ev, "mine", RULE + "r")
        self.assertEqual(json.loads(self.ev.describe_event_bus(Name="mine")["Policy"])["Statement"][0]["Principal"],
                         {"Service": "events.amazonaws.com"})


class ServicePrincipals(Case):
    def test_sns_to_sqs_needs_the_queue_policy(self):
        url, arn = self.queue("from-sns")
        topic = self.sns.create_topic(Name="news")["TopicArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        before = metric(self.srv, "stratus_msg_denied_total")
        self.sns.publish(TopicArn=topic, Message="refused")
        self.wait_metric("stratus_msg_denied_total", before + 1)
        self.assertEqual(self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []), [])
        # a policy for another topic does not let this one send
        msg_grant.allow_queue(self.sqs, url, "sns.amazonaws.com", TARN + "other")
        self.sns.publish(TopicArn=topic, Message="still refused")
        self.wait_metric("stratus_msg_denied_total", before + 2)
        msg_grant.allow_queue(self.sqs, url, "sns.amazonaws.com", topic)
        self.sns.publish(TopicArn=topic, Message="delivered")
        self.assertEqual([m["Body"] for m in self.receive(url, 1)], ["delivered"])

    def test_eventbridge_to_sqs_needs_the_queue_policy(self):
        url, arn = self.queue("from-ev")
        dlq_url, dlq = self.queue("ev-dlq")
        self.ev.put_rule(Name="r", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn, "DeadLetterConfig": {"Arn": dlq}}])
        before = metric(self.srv, "stratus_msg_denied_total")
        put = lambda n: self.ev.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": json.dumps({"n": n})}])
        put(1)  # neither queue lets EventBridge send: not delivered, not even to the dead-letter queue
        self.wait_metric("stratus_msg_denied_total", before + 2)
        self.assertEqual(self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []), [])
        self.assertEqual(self.sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", []), [])
        msg_grant.allow_queue(self.sqs, dlq_url, "events.amazonaws.com", RULE + "r")
        put(2)  # the target still refuses: at once (not retried) to the dead-letter queue
        m = self.receive(dlq_url, 1)[0]
        self.assertEqual(json.loads(m["Body"])["detail"], {"n": 2})
        attrs = {k: v.get("StringValue") for k, v in m["MessageAttributes"].items()}
        self.assertEqual(attrs["ERROR_CODE"], "NO_PERMISSIONS")
        self.assertEqual(attrs["RETRY_ATTEMPTS"], "0")
        msg_grant.allow_queue(self.sqs, url, "events.amazonaws.com", RULE + "r")
        put(3)
        self.assertEqual(json.loads(self.receive(url, 1)[0]["Body"])["detail"], {"n": 3})

    def test_eventbridge_to_topic_and_bus(self):
        url, arn = self.queue("sink")
        topic = self.sns.create_topic(Name="ev-topic")["TopicArn"]
        msg_grant.allow_queue(self.sqs, url, "sns.amazonaws.com", topic)
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        self.ev.create_event_bus(Name="far")
        self.ev.put_rule(Name="land", EventBusName="far", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="land", EventBusName="far", Targets=[{"Id": "t", "Arn": topic, "InputPath": "$.detail"}])
        self.ev.put_rule(Name="fwd", EventPattern='{"source": ["app"]}')
        self.ev.put_targets(Rule="fwd", Targets=[{"Id": "b", "Arn": BUS + "far"}])
        before = metric(self.srv, "stratus_msg_denied_total")
        self.ev.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": '{"n": 1}'}])
        self.wait_metric("stratus_msg_denied_total", before + 1)  # the far bus refuses the rule
        msg_grant.allow_bus(self.ev, "far", RULE + "fwd")
        self.ev.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": '{"n": 2}'}])
        self.wait_metric("stratus_msg_denied_total", before + 2)  # the topic refuses the far rule
        msg_grant.allow_topic(self.sns, topic, "events.amazonaws.com", RULE + "far/land")
        self.ev.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": '{"n": 3}'}])
        self.assertEqual([json.loads(m["Body"]) for m in self.receive(url, 1)], [{"n": 3}])

    def test_s3_notification_needs_the_destination_policy(self):
        url, arn = self.queue("uploads")
        topic = self.sns.create_topic(Name="uploads")["TopicArn"]
        self.s3.create_bucket(Bucket="bkt")
        for conf, dest, what in (
                ({"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]}, arn, "queue"),
                ({"TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]}, topic, "topic")):
            with self.assertRaises(ClientError) as e:
                self.s3.put_bucket_notification_configuration(Bucket="bkt", NotificationConfiguration=conf)
            err = e.exception.response["Error"]
            self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
            self.assertEqual(err["Code"], "InvalidArgument")
            self.assertEqual(err["Message"], "Unable to validate the following destination configurations")
            self.assertEqual(err["ArgumentName"], dest)
            self.assertEqual(err["ArgumentValue"], "Permissions on the destination %s do not allow S3 to "
                                                   "publish notifications from this bucket" % what)
        msg_grant.allow_queue(self.sqs, url, "s3.amazonaws.com", "arn:aws:s3:::other-bucket")
        self.assertEqual(code(self.s3.put_bucket_notification_configuration, Bucket="bkt", NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]}), "InvalidArgument")
        msg_grant.allow_queue(self.sqs, url, "s3.amazonaws.com", "arn:aws:s3:::bkt")
        msg_grant.allow_topic(self.sns, topic, "s3.amazonaws.com", "arn:aws:s3:::bkt")
        self.s3.put_bucket_notification_configuration(Bucket="bkt", NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}],
            "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}]})
        self.assertEqual(json.loads(self.receive(url, 1)[0]["Body"])["Event"], "s3:TestEvent")
        self.s3.put_object(Bucket="bkt", Key="a", Body=b"1")
        rec = json.loads(self.receive(url, 1)[0]["Body"])["Records"][0]
        self.assertEqual(rec["s3"]["object"]["key"], "a")
        # the policy changes afterwards: S3's later events are dropped, and counted
        self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
        before = metric(self.srv, "stratus_msg_denied_total")
        self.s3.put_object(Bucket="bkt", Key="b", Body=b"2")
        self.wait_metric("stratus_msg_denied_total", before + 1)
        self.assertEqual(self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []), [])


# ---- IAM principals (iam_base: users, their keys and policies) ----

def sqs_calls(url, gone_url, arn):
    """Every SQS operation with minimal parameters (DeleteQueue on a queue of its own)."""
    return [
        ("CreateQueue", {"QueueName": "made"}),
        ("GetQueueUrl", {"QueueName": "q"}),
        ("ListQueues", {}),
        ("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]}),
        ("SetQueueAttributes", {"QueueUrl": url, "Attributes": {"DelaySeconds": "0"}}),
        ("TagQueue", {"QueueUrl": url, "Tags": {"k": "v"}}),
        ("UntagQueue", {"QueueUrl": url, "TagKeys": ["k"]}),
        ("ListQueueTags", {"QueueUrl": url}),
        ("SendMessage", {"QueueUrl": url, "MessageBody": "m"}),
        ("SendMessageBatch", {"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "m"}]}),
        ("ReceiveMessage", {"QueueUrl": url}),
        ("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": "x"}),
        ("DeleteMessageBatch", {"QueueUrl": url, "Entries": [{"Id": "a", "ReceiptHandle": "x"}]}),
        ("ChangeMessageVisibility", {"QueueUrl": url, "ReceiptHandle": "x", "VisibilityTimeout": 1}),
        ("ChangeMessageVisibilityBatch", {"QueueUrl": url, "Entries": [
            {"Id": "a", "ReceiptHandle": "x", "VisibilityTimeout": 1}]}),
        ("ListDeadLetterSourceQueues", {"QueueUrl": url}),
        ("AddPermission", {"QueueUrl": url, "Label": "l", "AWSAccountIds": [ACCT], "Actions": ["SendMessage"]}),
        ("RemovePermission", {"QueueUrl": url, "Label": "l"}),
        ("StartMessageMoveTask", {"SourceArn": arn}),
        ("ListMessageMoveTasks", {"SourceArn": arn}),
        ("CancelMessageMoveTask", {"TaskHandle": base64.b64encode(json.dumps(
            {"taskId": "t", "sourceArn": arn}).encode()).decode()}),
        ("PurgeQueue", {"QueueUrl": url}),
        ("DeleteQueue", {"QueueUrl": gone_url}),
    ]


def sns_calls(topic, gone_topic, sub, qarn):
    return [
        ("CreateTopic", {"Name": "made"}),
        ("ListTopics", {}),
        ("GetTopicAttributes", {"TopicArn": topic}),
        ("SetTopicAttributes", {"TopicArn": topic, "AttributeName": "DisplayName", "AttributeValue": "d"}),
        ("Subscribe", {"TopicArn": topic, "Protocol": "sqs", "Endpoint": qarn}),
        ("ConfirmSubscription", {"TopicArn": topic, "Token": "x" * 16}),
        ("ListSubscriptions", {}),
        ("ListSubscriptionsByTopic", {"TopicArn": topic}),
        ("GetSubscriptionAttributes", {"SubscriptionArn": sub}),
        ("SetSubscriptionAttributes", {"SubscriptionArn": sub, "AttributeName": "RawMessageDelivery",
                                       "AttributeValue": "true"}),
        ("Publish", {"TopicArn": topic, "Message": "m"}),
        ("PublishBatch", {"TopicArn": topic, "PublishBatchRequestEntries": [{"Id": "a", "Message": "m"}]}),
        ("TagResource", {"ResourceArn": topic, "Tags": [{"Key": "k", "Value": "v"}]}),
        ("UntagResource", {"ResourceArn": topic, "TagKeys": ["k"]}),
        ("ListTagsForResource", {"ResourceArn": topic}),
        ("Unsubscribe", {"SubscriptionArn": sub}),
        ("DeleteTopic", {"TopicArn": gone_topic}),
    ]


def events_calls():
    return [
        ("CreateEventBus", {"Name": "made"}),
        ("DescribeEventBus", {"Name": "bus"}),
        ("ListEventBuses", {}),
        ("PutEvents", {"Entries": [{"Source": "app", "DetailType": "t", "Detail": "{}", "EventBusName": "bus"}]}),
        ("PutRule", {"Name": "r", "EventBusName": "bus", "EventPattern": '{"source": ["app"]}'}),
        ("DescribeRule", {"Name": "r", "EventBusName": "bus"}),
        ("ListRules", {"EventBusName": "bus"}),
        ("EnableRule", {"Name": "r", "EventBusName": "bus"}),
        ("DisableRule", {"Name": "r", "EventBusName": "bus"}),
        ("ListRuleNamesByTarget", {"TargetArn": QARN + "q"}),
        ("TestEventPattern", {"EventPattern": '{"source": ["app"]}', "Event": json.dumps({
            "id": "1", "source": "app", "detail-type": "t", "account": ACCT, "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1", "resources": [], "detail": {}})}),
        ("PutTargets", {"Rule": "r", "EventBusName": "bus", "Targets": [{"Id": "q", "Arn": QARN + "q"}]}),
        ("ListTargetsByRule", {"Rule": "r", "EventBusName": "bus"}),
        ("RemoveTargets", {"Rule": "r", "EventBusName": "bus", "Ids": ["q"]}),
        ("TagResource", {"ResourceARN": BUS + "bus", "Tags": [{"Key": "k", "Value": "v"}]}),
        ("UntagResource", {"ResourceARN": BUS + "bus", "TagKeys": ["k"]}),
        ("ListTagsForResource", {"ResourceARN": RULE + "bus/r"}),
        ("PutPermission", {"EventBusName": "bus", "Action": "events:PutEvents", "Principal": ACCT,
                           "StatementId": "s"}),
        ("RemovePermission", {"EventBusName": "bus", "StatementId": "s"}),
        ("DeleteRule", {"Name": "r", "EventBusName": "bus"}),
        ("DeleteEventBus", {"Name": "gone"}),
    ]


def snake(name):
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out += "_"
        out += ch.lower()
    return out


DENIED = {"sqs": {"AccessDenied", "AccessDeniedException"}, "sns": {"AuthorizationError"},
          "events": {"AccessDeniedException"}}


class WithIam(Case):
    def setUp(self):
        super().setUp()
        import iam_base
        self.iam = iam_base

    def user(self, name, *actions, resources="*", condition=None):
        policies = [self.iam.allow(list(actions), resources, condition)] if actions else []
        return self.iam.user(self.srv, name, policies=policies)

    def check_every_operation(self, service, calls, creds_none, creds_all, prefix):
        """Each call is refused for creds_none with the service's access-denied error and a
        message naming its action; creds_all gets past authorization (success, or another error)."""
        none = self.iam.client(self.srv, creds_none, service)
        every = self.iam.client(self.srv, creds_all, service)
        names = {op for op, _ in calls}
        implemented = set(none.meta.service_model.operation_names) & names
        self.assertEqual(implemented, names)  # botocore knows every call made here
        for op, params in calls:
            fn = getattr(none, snake(op))
            with self.assertRaises(ClientError, msg=op) as e:
                fn(**params)
            err = e.exception.response["Error"]
            self.assertIn(err["Code"], DENIED[service], (op, err))
            action = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                      "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
                      "PublishBatch": "Publish"}.get(op, op)
            self.assertIn("not authorized to perform: %s:%s" % (prefix, action), err["Message"], op)
            try:
                getattr(every, snake(op))(**params)
            except ClientError as e2:
                self.assertNotIn(e2.response["Error"]["Code"], DENIED[service], (op, e2.response["Error"]))

    def test_every_sqs_operation(self):
        url, arn = self.queue("q")
        gone, _ = self.queue("gone")
        none, every = self.user("nobody"), self.user("everything", "sqs:*")
        self.check_every_operation("sqs", sqs_calls(url, gone, arn), none, every, "sqs")
        self.assertEqual(metric(self.srv, "stratus_authz_unchecked_total"), 0)

    def test_every_sns_operation(self):
        _, qarn = self.queue("q")
        topic = self.sns.create_topic(Name="t")["TopicArn"]
        gone = self.sns.create_topic(Name="gone")["TopicArn"]
        sub = self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
        none, every = self.user("nobody"), self.user("everything", "sns:*")
        self.check_every_operation("sns", sns_calls(topic, gone, sub, qarn), none, every, "sns")
        self.assertEqual(metric(self.srv, "stratus_authz_unchecked_total"), 0)

    def test_every_events_operation(self):
        self.ev.create_event_bus(Name="bus")
        self.ev.create_event_bus(Name="gone")
        self.ev.put_rule(Name="r", EventBusName="bus", EventPattern='{"source": ["app"]}')
        none, every = self.user("nobody"), self.user("everything", "events:*")
        self.check_every_operation("events", events_calls(), none, every, "events")
        self.assertEqual(metric(self.srv, "stratus_authz_unchecked_total"), 0)

    def test_resources_and_batches(self):
        url, arn = self.queue("mine")
        other, _ = self.queue("theirs")
        u = self.user("sender", "sqs:SendMessage", resources=arn)
        c = self.iam.client(self.srv, u, "sqs")
        c.send_message(QueueUrl=url, MessageBody="1")
        c.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "2"}])
        self.iam.denied(c.send_message, QueueUrl=other, MessageBody="x")
        self.iam.denied(c.receive_message, QueueUrl=url)
        self.iam.denied(c.list_queues)

    def test_queue_policy_alone_grants_another_user(self):
        url, arn = self.queue("shared")
        u = self.user("friend")
        c = self.iam.client(self.srv, u, "sqs")
        self.iam.denied(c.send_message, QueueUrl=url, MessageBody="x")
        self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": u["arn"]},
                                                     "Action": "sqs:SendMessage", "Resource": arn}]})})
        c.send_message(QueueUrl=url, MessageBody="granted")
        self.iam.denied(c.receive_message, QueueUrl=url)
        # an explicit deny in the queue's policy wins over the user's own allow
        v = self.user("vetoed", "sqs:*")
        self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": v["arn"]},
                                                     "Action": "sqs:*", "Resource": arn}]})})
        self.iam.denied(self.iam.client(self.srv, v, "sqs").send_message, QueueUrl=url, MessageBody="x")

    def test_topic_policy_grants_publish(self):
        topic = self.sns.create_topic(Name="shared")["TopicArn"]
        u = self.user("publisher")
        c = self.iam.client(self.srv, u, "sns")
        self.iam.denied(c.publish, TopicArn=topic, Message="x")  # the default policy grants no user
        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": u["arn"]},
                                                     "Action": "sns:Publish", "Resource": topic}]}))
        c.publish(TopicArn=topic, Message="granted")
        self.iam.denied(c.delete_topic, TopicArn=topic)

    def test_bus_policy_grants_put_events(self):
        self.ev.create_event_bus(Name="shared")
        u = self.user("producer")
        c = self.iam.client(self.srv, u, "events")
        entry = {"Source": "app", "DetailType": "t", "Detail": "{}", "EventBusName": "shared"}
        self.iam.denied(c.put_events, Entries=[entry])
        self.ev.put_permission(EventBusName="shared", Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Sid": "p", "Effect": "Allow", "Principal": {"AWS": u["arn"]},
                                                     "Action": "events:PutEvents", "Resource": BUS + "shared",
                                                     "Condition": {"StringEquals": {"events:source": "app"}}}]}))
        self.assertEqual(c.put_events(Entries=[entry])["FailedEntryCount"], 0)
        self.iam.denied(c.put_events, Entries=[dict(entry, Source="other")])  # events:source

    def test_tag_condition_keys(self):
        url, arn = self.queue("tagged", )
        self.sqs.tag_queue(QueueUrl=url, Tags={"team": "a"})
        u = self.user("team-a", "sqs:SendMessage", condition={"StringEquals": {"aws:ResourceTag/team": "a"}})
        c = self.iam.client(self.srv, u, "sqs")
        c.send_message(QueueUrl=url, MessageBody="ok")
        self.sqs.tag_queue(QueueUrl=url, Tags={"team": "b"})
        self.iam.denied(c.send_message, QueueUrl=url, MessageBody="x")
        t = self.user("tagger", "sqs:CreateQueue", "sqs:TagQueue",
                      condition={"StringEquals": {"aws:RequestTag/env": "dev"}})
        tc = self.iam.client(self.srv, t, "sqs")
        tc.create_queue(QueueName="dev-q", tags={"env": "dev"})
        self.iam.denied(tc.create_queue, QueueName="prod-q", tags={"env": "prod"})

    def test_aws_cli_and_debian_boto3_query_protocol(self):
        url, arn = self.queue("cli")
        none, ok = self.user("cli-none"), self.user("cli-ok", "sqs:SendMessage", "sqs:ListQueues")
        env = lambda u: dict(os.environ, AWS_ACCESS_KEY_ID=u["access_key"], AWS_SECRET_ACCESS_KEY=u["secret_key"],
                             AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                             AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        run = lambda u, *a: subprocess.run([AWS_CLI, "--endpoint-url", self.srv.endpoint, "--output", "json"] + list(a),
                                           env=env(u), capture_output=True, text=True, timeout=120)
        r = run(none, "sqs", "send-message", "--queue-url", url, "--message-body", "x")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("AccessDenied", r.stderr)
        r = run(ok, "sqs", "send-message", "--queue-url", url, "--message-body", "x")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run(none, "events", "put-events", "--entries", '[{"Source":"a","DetailType":"t","Detail":"{}"}]')
        self.assertIn("AccessDeniedException", r.stderr)
        if not os.path.exists("/usr/bin/python3"):
            return
        script = """import boto3, sys
from botocore.exceptions import ClientError
c = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=sys.argv[2],
                 aws_secret_access_key=sys.argv[3])
try:
    c.send_message(QueueUrl=sys.argv[4], MessageBody="q")
    print("sent")
except ClientError as e:
    print(e.response["Error"]["Code"])
"""
        for u, want in ((none, "AccessDenied"), (ok, "sent")):
            r = subprocess.run(["/usr/bin/python3", "-c", script, self.srv.endpoint, u["access_key"],
                                u["secret_key"], url], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.stdout.strip(), want, r.stderr)


if __name__ == "__main__":
    unittest.main()
