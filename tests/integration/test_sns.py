# SPDX-License-Identifier: Apache-2.0
"""SNS over the query protocol: current boto3 through every operation and its errors, Debian's
boto3 1.26 (/usr/bin/python3) and the AWS CLI for a few, and raw query requests (GET,
malformed forms)."""
import json
import os
import shutil
import subprocess
import textwrap
import unittest
import urllib.error
import urllib.request

from botocore.exceptions import ClientError

from stratus_fixture import Server

AWS = os.environ.get("AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"
ARN = "arn:aws:sns:us-east-1:000000000000:"
FN = "arn:aws:lambda:us-east-1:000000000000:function:f"
Q = "arn:aws:sqs:us-east-1:000000000000:q"


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.sns = cls.srv.client("sns")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def err(self, code, fn, *args, msg=None, status=None, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kw)
        e = cm.exception.response
        self.assertEqual(e["Error"]["Code"], code, e)
        if msg is not None:
            self.assertEqual(e["Error"]["Message"], msg)
        if status is not None:
            self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], status)
        return e


class Topics(Base):
    def test_create_idempotent_list_delete(self):
        s = self.sns
        arn = s.create_topic(Name="t-one", Attributes={"DisplayName": "One"},
                             Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
        self.assertEqual(arn, ARN + "t-one")
        self.assertEqual(s.create_topic(Name="t-one")["TopicArn"], arn)
        self.assertEqual(s.create_topic(Name="t-one", Attributes={"DisplayName": "One"})["TopicArn"], arn)
        self.err("InvalidParameter", s.create_topic, Name="t-one", Attributes={"DisplayName": "Two"},
                 msg="Invalid parameter: Attributes Reason: Topic already exists with different attributes")
        self.err("InvalidParameter", s.create_topic, Name="t-one", Tags=[{"Key": "k", "Value": "x"}],
                 msg="Invalid parameter: Tags Reason: Topic already exists with different tags")
        for bad in ("", "a b", "x" * 257, "a:b"):
            self.err("InvalidParameter", s.create_topic, Name=bad, msg="Invalid parameter: Topic Name")
        names = ["page-%03d" % i for i in range(120)]
        for n in names:
            s.create_topic(Name=n)
        listed, token = [], None
        while True:
            r = s.list_topics(**({"NextToken": token} if token else {}))
            self.assertLessEqual(len(r["Topics"]), 100)
            listed += [t["TopicArn"] for t in r["Topics"]]
            token = r.get("NextToken")
            if not token:
                break
        self.assertTrue({ARN + n for n in names} <= set(listed))
        self.assertEqual(len(listed), len(set(listed)))
        s.delete_topic(TopicArn=arn)
        s.delete_topic(TopicArn=arn)  # deleting a deleted topic succeeds
        self.err("NotFound", s.get_topic_attributes, TopicArn=arn, msg="Topic does not exist", status=404)

    def test_fifo(self):
        s = self.sns
        self.err("InvalidParameter", s.create_topic, Name="f1.fifo",
                 msg="Invalid parameter: Fifo Topic names must end with .fifo and Standard Topic names must not")
        self.err("InvalidParameter", s.create_topic, Name="f1", Attributes={"FifoTopic": "true"})
        arn = s.create_topic(Name="f1.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        a = s.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual((a["FifoTopic"], a["ContentBasedDeduplication"]), ("true", "false"))
        self.err("InvalidParameter", s.publish, TopicArn=arn, Message="m",
                 msg="Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        self.err("InvalidParameter", s.publish, TopicArn=arn, Message="m", MessageGroupId="g",
                 msg="Invalid parameter: The topic should either have ContentBasedDeduplication "
                     "enabled or MessageDeduplicationId provided explicitly")
        r1 = s.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="d1")
        r2 = s.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="d1")
        self.assertEqual(r1["MessageId"], r2["MessageId"])
        self.assertEqual(r1["SequenceNumber"], r2["SequenceNumber"])
        r3 = s.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="d2")
        self.assertNotEqual(r3["MessageId"], r1["MessageId"])
        self.assertGreater(int(r3["SequenceNumber"]), int(r1["SequenceNumber"]))
        s.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
        c1 = s.publish(TopicArn=arn, Message="same", MessageGroupId="g")
        c2 = s.publish(TopicArn=arn, Message="same", MessageGroupId="g")
        self.assertEqual(c1["MessageId"], c2["MessageId"])
        self.err("InvalidParameter", s.set_topic_attributes, TopicArn=arn, AttributeName="FifoTopic",
                 AttributeValue="false")
        std = s.create_topic(Name="std")["TopicArn"]
        self.err("InvalidParameter", s.set_topic_attributes, TopicArn=std,
                 AttributeName="ContentBasedDeduplication", AttributeValue="true")
        self.err("InvalidParameter", s.publish, TopicArn=std, Message="m", MessageDeduplicationId="x")
        self.err("InvalidParameter", s.subscribe, TopicArn=arn, Protocol="lambda", Endpoint=FN,
                 msg="Invalid parameter: Invalid protocol type: lambda")

    def test_attributes(self):
        s = self.sns
        arn = s.create_topic(Name="attrs")["TopicArn"]
        a = s.get_topic_attributes(TopicArn=arn)["Attributes"]
        for k in ("Policy", "Owner", "TopicArn", "SubscriptionsConfirmed", "SubscriptionsPending",
                  "SubscriptionsDeleted", "EffectiveDeliveryPolicy", "DisplayName"):
            self.assertIn(k, a)
        self.assertEqual(a["TopicArn"], arn)
        self.assertEqual(json.loads(a["Policy"])["Statement"][0]["Resource"], arn)
        pol = json.dumps({"Version": "2012-10-17", "Statement": []})
        for name, value in (("DisplayName", "Shown"), ("Policy", pol), ("SignatureVersion", "2"),
                            ("TracingConfig", "Active"), ("KmsMasterKeyId", "alias/aws/sns"),
                            ("DeliveryPolicy", json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 5}}}))):
            s.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value)
            self.assertEqual(s.get_topic_attributes(TopicArn=arn)["Attributes"][name], value)
        a = s.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual(json.loads(a["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"], 5)
        for name, value in (("Policy", "{not json"), ("SignatureVersion", "3"), ("TracingConfig", "On"),
                            ("Bogus", "x")):
            self.err("InvalidParameter", s.set_topic_attributes, TopicArn=arn, AttributeName=name,
                     AttributeValue=value)
        self.err("NotFound", s.set_topic_attributes, TopicArn=ARN + "nope", AttributeName="DisplayName",
                 AttributeValue="x")

    def test_tags(self):
        s = self.sns
        arn = s.create_topic(Name="tagged", Tags=[{"Key": "a", "Value": "1"}])["TopicArn"]
        s.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
        tags = {t["Key"]: t["Value"] for t in s.list_tags_for_resource(ResourceArn=arn)["Tags"]}
        self.assertEqual(tags, {"a": "3", "b": "2"})
        s.untag_resource(ResourceArn=arn, TagKeys=["a"])
        self.assertEqual(s.list_tags_for_resource(ResourceArn=arn)["Tags"], [{"Key": "b", "Value": "2"}])
        self.err("TagLimitExceeded", s.tag_resource, ResourceArn=arn,
                 Tags=[{"Key": "k%d" % i, "Value": ""} for i in range(50)])
        self.err("ResourceNotFound", s.list_tags_for_resource, ResourceArn=ARN + "none", status=404)


class Subscriptions(Base):
    def test_subscribe_and_attributes(self):
        s = self.sns
        arn = s.create_topic(Name="subs")["TopicArn"]
        sub = s.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=FN)["SubscriptionArn"]
        self.assertTrue(sub.startswith(arn + ":"))
        self.assertEqual(s.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=FN)["SubscriptionArn"], sub)
        q = s.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=Q,
                        Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
        self.err("InvalidParameter", s.subscribe, TopicArn=arn, Protocol="sqs", Endpoint=Q,
                 Attributes={"RawMessageDelivery": "false"},
                 msg="Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
        a = s.get_subscription_attributes(SubscriptionArn=q)["Attributes"]
        self.assertEqual((a["Protocol"], a["Endpoint"], a["RawMessageDelivery"], a["TopicArn"],
                          a["PendingConfirmation"]), ("sqs", Q, "true", arn, "false"))
        h = s.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://127.0.0.1:9/x")
        self.assertEqual(h["SubscriptionArn"], "pending confirmation")
        listed = s.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        self.assertEqual(sorted(x["Protocol"] for x in listed), ["http", "lambda", "sqs"])
        self.assertIn("PendingConfirmation", [x["SubscriptionArn"] for x in listed])
        ta = s.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual((ta["SubscriptionsConfirmed"], ta["SubscriptionsPending"]), ("2", "1"))
        # attributes
        s.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                      AttributeValue=json.dumps({"a": ["b"]}))
        a = s.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        self.assertEqual((json.loads(a["FilterPolicy"]), a["FilterPolicyScope"]), ({"a": ["b"]}, "MessageAttributes"))
        self.err("InvalidParameter", s.set_subscription_attributes, SubscriptionArn=sub,
                 AttributeName="RawMessageDelivery", AttributeValue="true",
                 msg="Invalid parameter: Attributes Reason: Delivery protocol [lambda] does not support raw message delivery.")
        self.err("InvalidParameter", s.set_subscription_attributes, SubscriptionArn=sub,
                 AttributeName="FilterPolicy", AttributeValue=json.dumps({"a": {"b": ["c"]}}),
                 msg="Invalid parameter: FilterPolicy: Filter policy scope MessageAttributes does not support nested filter policy")
        s.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope",
                                      AttributeValue="MessageBody")
        s.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                      AttributeValue=json.dumps({"a": {"b": ["c"]}}))
        self.err("InvalidParameter", s.set_subscription_attributes, SubscriptionArn=sub,
                 AttributeName="FilterPolicy",
                 AttributeValue=json.dumps({"k%d" % i: ["v"] for i in range(6)}),
                 msg="Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys")
        self.err("InvalidParameter", s.set_subscription_attributes, SubscriptionArn=sub,
                 AttributeName="FilterPolicy",
                 AttributeValue=json.dumps({"a": list(range(20)), "b": list(range(10))}),
                 msg="Invalid parameter: FilterPolicy: Filter policy is too complex")
        self.err("InvalidParameter", s.set_subscription_attributes, SubscriptionArn=sub,
                 AttributeName="FilterPolicyScope", AttributeValue="Everything")
        s.set_subscription_attributes(SubscriptionArn=q, AttributeName="RedrivePolicy",
                                      AttributeValue=json.dumps({"deadLetterTargetArn": Q + "-dlq"}))
        self.err("InvalidParameter", s.set_subscription_attributes, SubscriptionArn=q,
                 AttributeName="RedrivePolicy", AttributeValue=json.dumps({"deadLetterTargetArn": "nope"}))
        self.err("InvalidParameter", s.set_subscription_attributes, SubscriptionArn=q,
                 AttributeName="Bogus", AttributeValue="1")
        # protocols and endpoints
        self.err("InvalidParameter", s.subscribe, TopicArn=arn, Protocol="carrier-pigeon", Endpoint="x",
                 msg="Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon")
        self.err("InvalidParameter", s.subscribe, TopicArn=arn, Protocol="email", Endpoint="a@b.c")
        self.err("InvalidParameter", s.subscribe, TopicArn=arn, Protocol="sqs", Endpoint="not-an-arn",
                 msg="Invalid parameter: SQS endpoint ARN")
        self.err("InvalidParameter", s.subscribe, TopicArn=arn, Protocol="https", Endpoint="http://x")
        self.err("NotFound", s.subscribe, TopicArn=ARN + "missing", Protocol="lambda", Endpoint=FN)
        # unsubscribe
        s.unsubscribe(SubscriptionArn=sub)
        self.err("NotFound", s.get_subscription_attributes, SubscriptionArn=sub, status=404)
        self.err("NotFound", s.unsubscribe, SubscriptionArn=sub)
        self.err("InvalidParameter", s.unsubscribe, SubscriptionArn="garbage")
        # ListSubscriptions pages of 100
        many = s.create_topic(Name="many")["TopicArn"]
        for i in range(105):
            s.subscribe(TopicArn=many, Protocol="lambda", Endpoint=FN + "%d" % i)
        r = s.list_subscriptions_by_topic(TopicArn=many)
        self.assertEqual(len(r["Subscriptions"]), 100)
        r2 = s.list_subscriptions_by_topic(TopicArn=many, NextToken=r["NextToken"])
        self.assertEqual(len(r2["Subscriptions"]), 5)
        self.assertNotIn("NextToken", r2)
        every = s.get_paginator("list_subscriptions").paginate().build_full_result()["Subscriptions"]
        self.assertGreaterEqual(len(every), 107)
        # deleting the topic deletes its subscriptions
        s.delete_topic(TopicArn=many)
        self.assertFalse([x for x in s.list_subscriptions()["Subscriptions"] if x["TopicArn"] == many])

    def test_confirm(self):
        s = self.sns
        arn = s.create_topic(Name="confirm")["TopicArn"]
        r = s.subscribe(TopicArn=arn, Protocol="https", Endpoint="https://127.0.0.1:9/h",
                        ReturnSubscriptionArn=True)
        self.assertTrue(r["SubscriptionArn"].startswith(arn + ":"))
        self.assertEqual(s.get_subscription_attributes(SubscriptionArn=r["SubscriptionArn"])
                         ["Attributes"]["PendingConfirmation"], "true")
        self.err("InvalidParameter", s.confirm_subscription, TopicArn=arn, Token="0" * 64,
                 msg="Invalid parameter: Token")


class Publishing(Base):
    def test_publish_checks(self):
        s = self.sns
        arn = s.create_topic(Name="pub")["TopicArn"]
        self.assertTrue(s.publish(TopicArn=arn, Message="m")["MessageId"])
        self.err("InvalidParameter", s.publish, TopicArn=arn, Message="", msg="Invalid parameter: Empty message")
        self.err("InvalidParameter", s.publish, TopicArn=arn, Message="x" * 262145,
                 msg="Invalid parameter: Message too long")
        s.publish(TopicArn=arn, Message="x" * 262100, MessageAttributes={"a": {"DataType": "String", "StringValue": "v"}})
        self.err("InvalidParameter", s.publish, TopicArn=arn, Message="x" * 262140,
                 MessageAttributes={"a": {"DataType": "String", "StringValue": "vvvvvvvvvv"}},
                 msg="Invalid parameter: Message too long")
        for subj in ("", "x" * 101, "line\nbreak", " lead"):
            self.err("InvalidParameter", s.publish, TopicArn=arn, Message="m", Subject=subj,
                     msg="Invalid parameter: Subject")
        self.err("InvalidParameter", s.publish, TopicArn=arn, Message="m", MessageStructure="xml",
                 msg="Invalid parameter: MessageStructure")
        self.err("InvalidParameter", s.publish, TopicArn=arn, Message="{}", MessageStructure="json",
                 msg="Invalid parameter: Message Structure - No default entry in JSON message body")
        self.err("InvalidParameter", s.publish, TopicArn=arn, Message="{", MessageStructure="json",
                 msg="Invalid parameter: Message Structure - JSON message body failed to parse")
        s.publish(TopicArn=arn, Message=json.dumps({"default": "d", "lambda": "l"}), MessageStructure="json")
        for attrs, frag in (({"a": {"DataType": "Number", "StringValue": "abc"}}, "Could not cast"),
                            ({"a": {"DataType": "Fancy", "StringValue": "x"}}, "invalid message attribute type"),
                            ({"a": {"DataType": "String", "StringValue": ""}}, "non-empty"),
                            ({"a": {"DataType": "String.Array", "StringValue": "[1,"}}, "String.Array"),
                            ({"AWS.x": {"DataType": "String", "StringValue": "v"}}, "name")):
            e = self.err("ParameterValueInvalid", s.publish, TopicArn=arn, Message="m", MessageAttributes=attrs)
            self.assertIn(frag, e["Error"]["Message"])
        s.publish(TopicArn=arn, Message="m", MessageAttributes={
            "n": {"DataType": "Number", "StringValue": "-1.5e3"},
            "arr": {"DataType": "String.Array", "StringValue": '["a", 1, true, null]'},
            "b": {"DataType": "Binary", "BinaryValue": b"\xff"},
            "custom": {"DataType": "String.label", "StringValue": "v"}})
        self.err("NotFound", s.publish, TopicArn=ARN + "gone", Message="m")
        self.err("InvalidParameter", s.publish, Message="m",
                 msg="Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
        self.err("InvalidParameter", s.publish, PhoneNumber="+15555550100", Message="m")

    def test_publish_batch(self):
        s = self.sns
        arn = s.create_topic(Name="batch")["TopicArn"]
        r = s.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
            {"Id": "ok-1", "Message": "a"}, {"Id": "bad", "Message": "b", "Subject": ""},
            {"Id": "ok_2", "Message": "c", "MessageAttributes": {"x": {"DataType": "String", "StringValue": "y"}}}])
        self.assertEqual(sorted(x["Id"] for x in r["Successful"]), ["ok-1", "ok_2"])
        self.assertEqual(r["Failed"], [{"Id": "bad", "Code": "InvalidParameter",
                                        "Message": "Invalid parameter: Subject", "SenderFault": True}])
        self.err("EmptyBatchRequest", s.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[])
        self.err("TooManyEntriesInBatchRequest", s.publish_batch, TopicArn=arn,
                 PublishBatchRequestEntries=[{"Id": str(i), "Message": "m"} for i in range(11)])
        self.err("BatchEntryIdsNotDistinct", s.publish_batch, TopicArn=arn,
                 PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "n"}])
        self.err("InvalidBatchEntryId", s.publish_batch, TopicArn=arn,
                 PublishBatchRequestEntries=[{"Id": "no spaces", "Message": "m"}])
        self.err("BatchRequestTooLong", s.publish_batch, TopicArn=arn,
                 PublishBatchRequestEntries=[{"Id": str(i), "Message": "x" * 30000} for i in range(10)])
        f = s.create_topic(Name="batch.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        r = s.publish_batch(TopicArn=f, PublishBatchRequestEntries=[
            {"Id": str(i), "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d%d" % i}
            for i in range(3)])
        seqs = [int(x["SequenceNumber"]) for x in r["Successful"]]
        self.assertEqual(seqs, sorted(seqs))


class Protocol(Base):
    def raw(self, body, method="POST", path="/"):
        """A request signed by botocore's signer, sent as is."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        url = self.srv.endpoint + path
        req = AWSRequest(method=method, url=url, data=body if method == "POST" else None,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        SigV4Auth(Credentials("test", "test"), "sns", "us-east-1").add_auth(req)
        p = req.prepare()
        data = p.body.encode() if isinstance(p.body, str) else p.body
        r = urllib.request.Request(p.url, data=data, headers=dict(p.headers), method=method)
        try:
            with urllib.request.urlopen(r, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def test_get_and_malformed(self):
        st, body = self.raw(None, "GET", "/?Action=CreateTopic&Version=2010-03-31&Name=by-get")
        self.assertEqual(st, 200, body)
        self.assertIn("<TopicArn>%sby-get</TopicArn>" % ARN, body)
        self.assertIn('<CreateTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">', body)
        st, body = self.raw("Action=Nonsense&Version=2010-03-31")
        self.assertEqual(st, 400)
        self.assertIn("<Code>InvalidAction</Code>", body)
        self.assertIn("<Type>Sender</Type>", body)
        st, body = self.raw("Action=CreateTopic&Name=%zz")
        self.assertEqual(st, 400)
        self.assertIn("<Code>MalformedQueryString</Code>", body)
        st, body = self.raw("Action=CreateTopic&Name=a&Name=b")
        self.assertEqual(st, 400)
        st, body = self.raw("Action=ListTopics&" + "&".join("x%d=1" % i for i in range(5000)))
        self.assertEqual(st, 400)
        st, body = self.raw("Action=UntagResource&ResourceArn=%sby-get&TagKeys.member.0=a" % ARN)
        self.assertEqual(st, 400)
        self.assertIn("Invalid list index", body)
        # unsigned requests other than the endpoint links are refused
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(self.srv.endpoint + "/sns/?Action=ListTopics", timeout=5)
        self.assertEqual(cm.exception.code, 403)


class OtherClients(Base):
    def test_debian_boto3(self):
        script = textwrap.dedent('''
            import json, sys, boto3
            s = boto3.client("sns", endpoint_url=sys.argv[1], region_name="us-east-1",
                             aws_access_key_id="test", aws_secret_access_key="test")
            t = s.create_topic(Name="deb", Attributes={"DisplayName": "D"}, Tags=[{"Key": "a", "Value": "b"}])["TopicArn"]
            sub = s.subscribe(TopicArn=t, Protocol="lambda", Endpoint=sys.argv[2], ReturnSubscriptionArn=True)["SubscriptionArn"]
            m = s.publish(TopicArn=t, Message="hi", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})["MessageId"]
            b = s.publish_batch(TopicArn=t, PublishBatchRequestEntries=[{"Id": "1", "Message": "x"}])
            a = s.get_topic_attributes(TopicArn=t)["Attributes"]
            print(json.dumps([t, sub, bool(m), len(b["Successful"]), a["DisplayName"],
                              len(s.list_subscriptions_by_topic(TopicArn=t)["Subscriptions"])]))
        ''')
        p = subprocess.run(["/usr/bin/python3", "-c", script, self.srv.endpoint, FN],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        t, sub, m, nb, dn, ns = json.loads(p.stdout)
        self.assertEqual((t, m, nb, dn, ns), (ARN + "deb", True, 1, "D", 1))
        self.assertTrue(sub.startswith(t + ":"))

    @unittest.skipUnless(os.path.exists(AWS), "the AWS CLI is not installed")
    def test_aws_cli(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")

        def aws(*args):
            p = subprocess.run([AWS, "--endpoint-url", self.srv.endpoint, "--output", "json", "sns"] + list(args),
                               env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            return json.loads(p.stdout) if p.stdout.strip() else None
        t = aws("create-topic", "--name", "cli")["TopicArn"]
        self.assertEqual(t, ARN + "cli")
        self.assertIn(t, [x["TopicArn"] for x in aws("list-topics")["Topics"]])
        self.assertTrue(aws("publish", "--topic-arn", t, "--message", "hello", "--subject", "s")["MessageId"])
        aws("set-topic-attributes", "--topic-arn", t, "--attribute-name", "DisplayName", "--attribute-value", "C")
        self.assertEqual(aws("get-topic-attributes", "--topic-arn", t)["Attributes"]["DisplayName"], "C")
        aws("delete-topic", "--topic-arn", t)


if __name__ == "__main__":
    unittest.main()
