# SPDX-License-Identifier: Apache-2.0
"""What test_lambda_sqs.py and test_lambda_sqs_delivery.py share: the recording function, a
server with it and its table, and helpers for queues, mappings and the invocations seen."""
import json
import time

from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
# Records what it got (in the table "seen"), then fails as the bodies ask: "fail" raises, a body
# starting with "bad" is reported in batchItemFailures, "invalid" makes the response invalid;
# {"sleep": s} sleeps first.
RECORDER = '''import json, os, time
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    t0 = time.time()
    bodies = [r["body"] for r in event["Records"]]
    for b in bodies:
        if b.startswith("{") and "sleep" in b:
            time.sleep(json.loads(b)["sleep"])
    ddb.put_item(TableName="seen", Item={"id": {"S": context.aws_request_id},
                 "t0": {"N": repr(t0)}, "t1": {"N": repr(time.time())},
                 "ev": {"S": json.dumps(event)}})
    if "fail" in bodies:
        raise Exception("asked to fail")
    if "invalid" in bodies:
        return {"batchItemFailures": [{"itemIdentifier": ""}]}
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                  for r in event["Records"] if r["body"].startswith("bad")]}
'''


def code(e):
    return e.exception.response["Error"]["Code"]


def msg(e):
    return e.exception.response["Error"]["Message"]


class LambdaSqsCase:
    """setUp/tearDown (a server, the table "seen", the function "rec") and the helpers; mixed into
    unittest.TestCase subclasses."""
    def setUp(self):
        self.srv = Server().start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.lam, self.sqs, self.ddb = self.srv.client("lambda"), self.srv.client("sqs"), self.srv.client("dynamodb")
        self.ddb.create_table(TableName="seen", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        self.lam.create_function(FunctionName="rec", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Timeout=3, Code={"ZipFile": zip_of({"app.py": RECORDER})})

    def tearDown(self):
        self.srv.cleanup()

    # ---- helpers ----

    def queue(self, name, **attrs):
        url = self.sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attrs.items()})["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def mapping(self, arn, **kw):
        return self.lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", **kw)

    def calls(self):
        """The invocations recorded: (t0, t1, event), by start time."""
        items = []
        for page in self.ddb.get_paginator("scan").paginate(TableName="seen"):
            items += page["Items"]
        return sorted((float(i["t0"]["N"]), float(i["t1"]["N"]), json.loads(i["ev"]["S"])) for i in items)

    def wait_calls(self, n, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.calls()
            if len(got) >= n:
                return got
            time.sleep(0.05)
        self.fail("%d invocations expected, %d seen: %s" % (n, len(self.calls()), self.srv.read_log()[-1500:]))

    def counts(self, url):
        a = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])

    def wait_empty(self, url, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.counts(url) == (0, 0):
                return
            time.sleep(0.05)
        self.fail("queue not empty: %s" % (self.counts(url),))

    def bodies(self, calls):
        return [r["body"] for _, _, ev in calls for r in ev["Records"]]
