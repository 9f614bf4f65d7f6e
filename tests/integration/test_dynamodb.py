# SPDX-License-Identifier: Apache-2.0
"""DynamoDB control plane through boto3 (client and resource APIs)."""
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server


def code(e):
    return e.exception.response["Error"]["Code"]


def msg(e):
    return e.exception.response["Error"]["Message"]


class DynamoDBControlPlane(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def create(self, name, **kw):
        args = dict(TableName=name,
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                               {"AttributeName": "sk", "KeyType": "RANGE"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                          {"AttributeName": "sk", "AttributeType": "N"}],
                    BillingMode="PAY_PER_REQUEST")
        args.update(kw)
        return self.ddb.create_table(**args)

    def test_create_describe_delete(self):
        r = self.create("orders", Tags=[{"Key": "team", "Value": "data"}],
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        d = r["TableDescription"]
        self.assertEqual(d["TableName"], "orders")
        self.assertEqual(d["TableStatus"], "ACTIVE")
        self.assertEqual(d["TableArn"], "arn:aws:dynamodb:us-east-1:000000000000:table/orders")
        self.assertEqual(len(d["TableId"]), 36)
        self.assertEqual(d["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual(d["ItemCount"], 0)
        self.assertEqual(d["TableSizeBytes"], 0)
        self.assertEqual(d["StreamSpecification"], {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        self.assertTrue(d["LatestStreamArn"].startswith(d["TableArn"] + "/stream/"))
        self.ddb.get_waiter("table_exists").wait(TableName="orders")
        t = self.ddb.describe_table(TableName="orders")["Table"]
        self.assertEqual(t["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "sk", "KeyType": "RANGE"}])
        self.assertEqual(t["AttributeDefinitions"][1], {"AttributeName": "sk", "AttributeType": "N"})
        self.assertEqual(t["ProvisionedThroughput"]["ReadCapacityUnits"], 0)
        self.assertEqual(t["CreationDateTime"], d["CreationDateTime"])
        # The table ARN is accepted wherever a table name is.
        t2 = self.ddb.describe_table(TableName=d["TableArn"])["Table"]
        self.assertEqual(t2["TableId"], d["TableId"])
        with self.assertRaises(ClientError) as e:
            self.create("orders")
        self.assertEqual(code(e), "ResourceInUseException")
        self.assertEqual(msg(e), "Table already exists: orders")
        r = self.ddb.delete_table(TableName="orders")
        self.assertEqual(r["TableDescription"]["TableStatus"], "DELETING")
        self.ddb.get_waiter("table_not_exists").wait(TableName="orders")
        with self.assertRaises(ClientError) as e:
            self.ddb.describe_table(TableName="orders")
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        with self.assertRaises(ClientError) as e:
            self.ddb.delete_table(TableName="orders")
        self.assertEqual(code(e), "ResourceNotFoundException")

    def test_provisioned(self):
        r = self.create("prov-table", BillingMode="PROVISIONED",
                        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7})
        pt = r["TableDescription"]["ProvisionedThroughput"]
        self.assertEqual((pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]), (5, 7))
        self.assertEqual(r["TableDescription"]["BillingModeSummary"]["BillingMode"], "PROVISIONED")
        # Hash-only, provisioned by default when BillingMode is absent.
        r = self.ddb.create_table(TableName="hash-only", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "B"}],
                                  ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
        self.assertEqual(len(r["TableDescription"]["KeySchema"]), 1)

    def test_list_tables_pagination(self):
        names = [f"page-{i:02d}" for i in range(7)]
        for n in names:
            self.create(n)
        r = self.ddb.list_tables(Limit=3, ExclusiveStartTableName="page")
        self.assertEqual(r["TableNames"], names[:3])
        self.assertEqual(r["LastEvaluatedTableName"], "page-02")
        r = self.ddb.list_tables(Limit=3, ExclusiveStartTableName="page-02")
        self.assertEqual(r["TableNames"], names[3:6])
        seen = []
        for page in self.ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}):
            seen += page["TableNames"]
        for n in names:
            self.assertIn(n, seen)
        self.assertEqual(seen, sorted(seen))
        # boto3 refuses Limit=0 itself; send it raw.
        r = self.srv.cli("ddb", "ListTables", '{"Limit": 0}')
        self.assertIn("ValidationException", r.stdout)
        self.assertIn("Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", r.stdout)
        with self.assertRaises(ClientError) as e:
            self.ddb.list_tables(Limit=101)
        self.assertIn("less than or equal to 100", msg(e))

    def test_validation_errors(self):
        cases = [
            (dict(TableName="bad name!"), "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
            (dict(TableName="x" * 256), "Member must have length less than or equal to 255"),
            (dict(TableName="keys-mismatch", AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}]),
             "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [pk, sk], AttributeDefinitions: [other]"),
            (dict(TableName="extra-attrs", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                                 {"AttributeName": "sk", "AttributeType": "N"},
                                                                 {"AttributeName": "x", "AttributeType": "S"}]),
             "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"),
            (dict(TableName="first-range", KeySchema=[{"AttributeName": "sk", "KeyType": "RANGE"},
                                                      {"AttributeName": "pk", "KeyType": "HASH"}]),
             "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
            (dict(TableName="same-name", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                    {"AttributeName": "pk", "KeyType": "RANGE"}]),
             "Both the Hash Key and the Range Key element in the KeySchema have the same name"),
            (dict(TableName="ppr-with-pt", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
             "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"),
            (dict(TableName="prov-no-pt", BillingMode="PROVISIONED"),
             "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"),
            (dict(TableName="stream-noview", StreamSpecification={"StreamEnabled": True}),
             "StreamViewType"),
        ]
        for kw, want in cases:
            with self.subTest(kw=kw["TableName"][:20]):
                kw = dict(kw)
                with self.assertRaises(ClientError) as e:
                    self.create(kw.pop("TableName"), **kw)
                self.assertEqual(code(e), "ValidationException")
                self.assertIn(want, msg(e))
        # Older botocore refuses short names itself, so these go raw. Several constraint
        # violations are reported together.
        body = '{"TableName": "%s", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], ' \
               '"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], ' \
               '"BillingMode": "PAY_PER_REQUEST"}'
        r = self.srv.cli("ddb", "CreateTable", body % "ab")
        self.assertIn("1 validation error detected: Value 'ab' at 'tableName' failed to satisfy "
                      "constraint: Member must have length greater than or equal to 3", r.stdout)
        r = self.srv.cli("ddb", "CreateTable", body % "a!")
        self.assertIn('"message":"2 validation errors detected: ', r.stdout)
        # Nothing was created by any of them.
        self.assertFalse([t for t in self.ddb.list_tables()["TableNames"] if t in
                          ("keys-mismatch", "extra-attrs", "first-range", "same-name")])

    def test_bad_enum_values(self):
        import json, urllib.request
        # Bypass boto3's client-side validation with the C client to send raw JSON.
        body = json.dumps({"TableName": "enum-test", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASHY"}],
                           "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "Q"}]})
        r = self.srv.cli("ddb", "CreateTable", body)
        self.assertIn("ValidationException", r.stdout)
        self.assertIn("2 validation errors detected", r.stdout)
        self.assertIn("Member must satisfy enum value set: [B, N, S]", r.stdout)
        self.assertIn("Member must satisfy enum value set: [HASH, RANGE]", r.stdout)
        r = self.srv.cli("ddb", "CreateTable", json.dumps({
            "TableName": "zero-rcu", "BillingMode": "PROVISIONED",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 1}}))
        self.assertIn("Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1", r.stdout)
        r = self.srv.cli("ddb", "CreateTable", '{"TableName": 5}')
        self.assertIn("SerializationException", r.stdout)
        r = self.srv.cli("ddb", "ListTables", "{not json")
        self.assertIn("SerializationException", r.stdout)
        r = self.srv.cli("ddb", "NoSuchOperation", "{}")
        self.assertIn("UnknownOperationException", r.stdout)
        r = self.srv.cli("ddb", "DescribeTable", "{}")
        self.assertIn("Value null at 'tableName' failed to satisfy constraint: Member must not be null", r.stdout)

    def test_tags_limits_endpoints(self):
        arn = self.create("tagged", Tags=[{"Key": "team", "Value": "data"}])["TableDescription"]["TableArn"]
        self.assertEqual(self.ddb.list_tags_of_resource(ResourceArn=arn)["Tags"], [{"Key": "team", "Value": "data"}])
        self.ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "infra"}, {"Key": "env", "Value": ""}])
        tags = {t["Key"]: t["Value"] for t in self.ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
        self.assertEqual(tags, {"team": "infra", "env": ""})
        self.ddb.untag_resource(ResourceArn=arn, TagKeys=["team", "never-there"])
        self.assertEqual(self.ddb.list_tags_of_resource(ResourceArn=arn)["Tags"], [{"Key": "env", "Value": ""}])
        # Tags survive other table reads (the table cache is refreshed) and are bounded.
        self.assertEqual(self.ddb.describe_table(TableName="tagged")["Table"]["TableArn"], arn)
        with self.assertRaises(ClientError) as e:
            self.ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
        # DynamoDB answers the 50-tag limit with a ValidationException (issue 17, package V2)
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            self.ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "aws:x", "Value": "v"}])
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            self.ddb.list_tags_of_resource(ResourceArn=arn.replace("tagged", "no-such-table"))
        self.assertEqual(code(e), "ResourceNotFoundException")
        with self.assertRaises(ClientError) as e:
            self.ddb.list_tags_of_resource(ResourceArn="not-an-arn")
        self.assertEqual(code(e), "ValidationException")
        limits = self.ddb.describe_limits()
        self.assertEqual(limits["TableMaxWriteCapacityUnits"], 40000)
        self.assertEqual(limits["AccountMaxReadCapacityUnits"], 80000)
        ep = self.ddb.describe_endpoints()["Endpoints"]
        self.assertEqual(ep[0]["Address"], f"127.0.0.1:{self.srv.port}")
        self.assertEqual(ep[0]["CachePeriodInMinutes"], 1440)
        self.ddb.delete_table(TableName="tagged")

    def test_update_table_and_continuous_backups(self):
        self.create("upd")
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="upd")
        self.assertEqual(code(e), "ValidationException")
        d = self.ddb.update_table(TableName="upd", BillingMode="PROVISIONED",
                                  ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3})
        self.assertEqual(d["TableDescription"]["ProvisionedThroughput"]["ReadCapacityUnits"], 7)
        self.assertEqual(self.ddb.describe_table(TableName="upd")["Table"]["ProvisionedThroughput"]["WriteCapacityUnits"], 3)
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="upd", ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3})
        self.assertIn("will not change", msg(e))
        self.ddb.update_table(TableName="upd", BillingMode="PAY_PER_REQUEST")
        t = self.ddb.describe_table(TableName="upd")["Table"]
        self.assertEqual(t["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="upd", BillingMode="PROVISIONED")
        self.assertIn("ProvisionedThroughput must be specified", msg(e))
        # Streams on and off; a second enable is refused.
        d = self.ddb.update_table(TableName="upd", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        self.assertIn("LatestStreamArn", d["TableDescription"])
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="upd", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        self.assertIn("already has an enabled stream", msg(e))
        self.ddb.update_table(TableName="upd", StreamSpecification={"StreamEnabled": False})
        self.assertNotIn("StreamSpecification", self.ddb.describe_table(TableName="upd")["Table"])
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="no-such-upd", BillingMode="PAY_PER_REQUEST")
        self.assertEqual(code(e), "ResourceNotFoundException")
        # Continuous backups (point-in-time recovery flag).
        b = self.ddb.describe_continuous_backups(TableName="upd")["ContinuousBackupsDescription"]
        self.assertEqual(b["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"], "DISABLED")
        b = self.ddb.update_continuous_backups(TableName="upd", PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})["ContinuousBackupsDescription"]
        self.assertEqual(b["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"], "ENABLED")
        self.assertIn("EarliestRestorableDateTime", b["PointInTimeRecoveryDescription"])
        b = self.ddb.describe_continuous_backups(TableName="upd")["ContinuousBackupsDescription"]
        self.assertEqual(b["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"], "ENABLED")
        with self.assertRaises(ClientError) as e:
            self.ddb.describe_continuous_backups(TableName="no-such-upd")
        self.assertEqual(code(e), "TableNotFoundException")
        self.ddb.delete_table(TableName="upd")

    def test_resource_api(self):
        ddb = self.srv.resource("dynamodb")
        t = ddb.create_table(TableName="resource-table",
                             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
        t.wait_until_exists()
        self.assertEqual(t.table_status, "ACTIVE")
        self.assertEqual(t.key_schema[0]["AttributeName"], "id")
        self.assertIn("resource-table", [x.name for x in ddb.tables.all()])
        t.delete()

    def test_response_headers(self):
        r = self.ddb.list_tables()
        h = r["ResponseMetadata"]["HTTPHeaders"]
        self.assertEqual(h["content-type"], "application/x-amz-json-1.0")
        self.assertEqual(len(h["x-amzn-requestid"]), 32)
        self.assertIn("x-amz-crc32", h)  # botocore verifies it against the body
        self.assertIn("date", h)
        self.assertTrue(h["server"].startswith("Stratus"))


if __name__ == "__main__":
    unittest.main()
