# SPDX-License-Identifier: Apache-2.0
"""Lambda FilterCriteria as EventBridge event patterns (api/codec/api_pattern.c): what
CreateEventSourceMapping refuses, and which DynamoDB stream records reach the function."""
import json
import time
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
RECORDER = '''import os
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    for r in event["Records"]:
        ddb.put_item(TableName="seen", Item={"pk": {"S": r["dynamodb"]["Keys"]["pk"]["S"]}})
'''


class LambdaFilters(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()
        self.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        self.lam, self.ddb = self.srv.client("lambda"), self.srv.client("dynamodb")
        self.ddb.create_table(TableName="seen", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        self.stream = self.ddb.create_table(
            TableName="src", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )["TableDescription"]["LatestStreamArn"]
        self.lam.create_function(FunctionName="rec", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Timeout=10, Code={"ZipFile": zip_of({"app.py": RECORDER})})

    def tearDown(self):
        self.srv.cleanup()

    def map(self, *patterns):
        return self.lam.create_event_source_mapping(
            EventSourceArn=self.stream, FunctionName="rec", StartingPosition="TRIM_HORIZON", BatchSize=10,
            FilterCriteria={"Filters": [{"Pattern": p if isinstance(p, str) else json.dumps(p)} for p in patterns]})

    def test_invalid_patterns_are_refused(self):
        for bad in ['{"a": "x"}', '{"a": []}', '{"a": [{"prefixx": "x"}]}', '{"a": [{"wildcard": "a**b"}]}',
                    '{"a": [{"numeric": [">", 5, "<", 1]}]}', '{"a": [{"cidr": "10.0.0.0/40"}]}',
                    '{"$or": [{"a": ["1"]}]}', '{"a": [{"exists": "yes"}]}', '{"a": [' + '1,' * 1100 + '2]}']:
            with self.assertRaises(ClientError, msg=bad[:60]) as e:
                self.map(bad)
            self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameterValueException")
            self.assertEqual(e.exception.response["Error"]["Message"], "Invalid filter pattern definition.")

    def test_records_filtered_by_pattern(self):
        # Kept: a name starting with "ord" ignoring case whose n is in (10, 20], or any item with a
        # tags list holding "vip".
        self.map({"eventName": ["INSERT"], "dynamodb": {"NewImage": {
            "$or": [{"name": {"S": [{"prefix": {"equals-ignore-case": "ORD"}}]},
                     "n": {"N": [{"numeric": [">", 10, "<=", 20]}]}},
                    {"tags": {"SS": ["vip"]}}]}}})
        items = {"k1": {"name": {"S": "order-1"}, "n": {"N": "15"}},
                 "k2": {"name": {"S": "Order-2"}, "n": {"N": "20"}},
                 "k3": {"name": {"S": "order-3"}, "n": {"N": "21"}},
                 "k4": {"name": {"S": "invoice"}, "n": {"N": "15"}},
                 "k5": {"tags": {"SS": ["a", "vip"]}},
                 "k6": {"tags": {"SS": ["a", "b"]}}}
        for k, v in items.items():
            self.ddb.put_item(TableName="src", Item=dict(pk={"S": k}, **v))
        deadline, got = time.time() + 30, []
        while time.time() < deadline:
            got = sorted(i["pk"]["S"] for i in self.ddb.scan(TableName="seen")["Items"])
            if len(got) >= 3:
                break
            time.sleep(0.1)
        time.sleep(1)  # records filtered out stay out
        got = sorted(i["pk"]["S"] for i in self.ddb.scan(TableName="seen")["Items"])
        self.assertEqual(got, ["k1", "k2", "k5"])


if __name__ == "__main__":
    unittest.main()
