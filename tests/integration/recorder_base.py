# SPDX-License-Identifier: Apache-2.0
"""What test_events_targets.py and test_wiring.py share: ARN prefixes, a function that records
what it is given in the table "got", and a test case with a server, that table and helpers."""
import unittest

from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
FN = "arn:aws:lambda:us-east-1:000000000000:function:"
BUS = "arn:aws:events:us-east-1:000000000000:event-bus/"

# Records what it is given as an item (pk: a counter-free unique id: the request id), tagged.
RECORDER = '''import json, os
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    ddb.put_item(TableName=os.environ["OUT"], Item={
        "pk": {"S": context.aws_request_id}, "tag": {"S": os.environ.get("TAG", "")},
        "event": {"S": json.dumps(event)}})
'''


class RecorderCase(unittest.TestCase):
    """A server (started with the class's extra arguments) with the table "got"; clients() makes
    self.ev, self.lam and self.ddb (subclasses add theirs)."""
    extra = ()

    def setUp(self):
        self.srv = Server(*self.extra).start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.clients()
        self.ddb.create_table(TableName="got", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")

    def clients(self):
        self.ev, self.lam, self.ddb = (self.srv.client(s) for s in ("events", "lambda", "dynamodb"))

    def tearDown(self):
        self.srv.cleanup()

    def function(self, name, source=RECORDER, tag=""):
        self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Timeout=20, Environment={"Variables": {"OUT": "got", "TAG": tag}},
                                 Code={"ZipFile": zip_of({"app.py": source})})

    def items(self):
        out, kw = [], {}
        while True:
            r = self.ddb.scan(TableName="got", ConsistentRead=True, **kw)
            out += r["Items"]
            if "LastEvaluatedKey" not in r:
                return out
            kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]

    def queue(self, name, **attrs):
        url = self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn
