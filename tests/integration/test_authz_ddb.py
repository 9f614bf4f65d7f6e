# SPDX-License-Identifier: Apache-2.0
"""DynamoDB and DynamoDB Streams authorization (issue 15, package D), through boto3, the AWS CLI
and iam_base's IAM users: every operation's action and resource ARN (tables, indexes, streams,
backups, "*"), fine-grained access (dynamodb:LeadingKeys with ${aws:userid}, dynamodb:Attributes,
dynamodb:Select, dynamodb:ReturnValues, dynamodb:FullTableScan) on every item path, the
per-item actions of transactions, table tags as aws:ResourceTag, and a powerless user refused
on every operation botocore knows. Each refusal is shown next to the same call allowed."""
import datetime
import os
import re
import shutil
import subprocess
import unittest
import urllib.request

import botocore.session
from botocore import xform_name
from botocore.exceptions import ClientError

import iam_base
from stratus_fixture import Server

AWS = os.environ.get("AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"
REGION, ACCOUNT = "us-east-1", "000000000000"
S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": str(v)}  # noqa: E731
ITEM_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
                "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                "dynamodb:ConditionCheckItem", "dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert",
                "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"]


def tarn(table):
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"


def refusal(who, action, resource, why=None):
    why = why or f"because no identity-based policy allows the {action} action"
    return f"User: {who} is not authorized to perform: {action} on resource: {resource} {why}"


def unchecked(srv):
    with urllib.request.urlopen(srv.endpoint + "/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(r"^stratus_authz_unchecked_total (\d+)$", text, re.M)
    assert m, "stratus_authz_unchecked_total is missing from /metrics"
    return int(m.group(1))


def make_games(ddb, stream=False):
    kw = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} \
        if stream else {}
    ddb.create_table(
        TableName="games",
        KeySchema=[{"AttributeName": "UserId", "KeyType": "HASH"},
                   {"AttributeName": "GameTitle", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "UserId", "AttributeType": "S"},
                              {"AttributeName": "GameTitle", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "byTitle",
                                 "KeySchema": [{"AttributeName": "GameTitle", "KeyType": "HASH"},
                                               {"AttributeName": "UserId", "KeyType": "RANGE"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        BillingMode="PAY_PER_REQUEST", Tags=[{"Key": "team", "Value": "blue"}], **kw)
    ddb.create_table(TableName="other", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", Tags=[{"Key": "team", "Value": "red"}])


class OwnPartition(unittest.TestCase):
    """A user limited to one table and its own partition (ForAllValues:StringEquals
    dynamodb:LeadingKeys ${aws:userid}, as AWS's example), through every item API and PartiQL."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.root = cls.srv.client("dynamodb")
        make_games(cls.root)
        own = iam_base.allow(ITEM_ACTIONS, tarn("games"), condition={
            "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:userid}"]}})
        # PartiQL's SELECT without a key equality is a scan, which names no partition: denied
        # by dynamodb:FullTableScan, as AWS's guide recommends.
        no_scan = iam_base.allow("dynamodb:PartiQLSelect", tarn("games"), effect="Deny",
                                 condition={"Bool": {"dynamodb:FullTableScan": "true"}})
        cls.alice = iam_base.user(cls.srv, "alice", policies=[own, no_scan])
        cls.uid = cls.alice["user_id"]
        cls.ddb = iam_base.client(cls.srv, cls.alice, "dynamodb")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def key(self, user, title="g1"):
        return {"UserId": S(user), "GameTitle": S(title)}

    def refused(self, action, fn, *args, resource=None, **kw):
        r = iam_base.denied(fn, *args, **kw)
        self.assertEqual(r["Error"]["Code"], "AccessDeniedException")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(r["Error"]["Message"],
                         refusal(self.alice["arn"], action, resource or tarn("games")))
        return r

    def root_get(self, key):
        return self.root.get_item(TableName="games", Key=key, ConsistentRead=True).get("Item")

    def test_single_item_operations(self):
        mine, theirs = self.key(self.uid), self.key("bob")
        self.root.put_item(TableName="games", Item={**theirs, "Wins": N(1)})
        self.ddb.put_item(TableName="games", Item={**mine, "Wins": N(5)})
        self.refused("dynamodb:PutItem", self.ddb.put_item, TableName="games",
                     Item={**theirs, "Wins": N(9)})
        self.assertEqual(self.root_get(theirs)["Wins"], N(1))
        self.assertEqual(self.ddb.get_item(TableName="games", Key=mine)["Item"]["Wins"], N(5))
        self.refused("dynamodb:GetItem", self.ddb.get_item, TableName="games", Key=theirs)
        self.ddb.update_item(TableName="games", Key=mine, UpdateExpression="SET Wins = :w",
                             ExpressionAttributeValues={":w": N(6)})
        self.refused("dynamodb:UpdateItem", self.ddb.update_item, TableName="games", Key=theirs,
                     UpdateExpression="SET Wins = :w", ExpressionAttributeValues={":w": N(7)})
        self.assertEqual(self.root_get(mine)["Wins"], N(6))
        self.assertEqual(self.root_get(theirs)["Wins"], N(1))
        self.refused("dynamodb:DeleteItem", self.ddb.delete_item, TableName="games", Key=theirs)
        self.assertIsNotNone(self.root_get(theirs))
        self.ddb.delete_item(TableName="games", Key=mine)
        self.assertIsNone(self.root_get(mine))

    def test_batches(self):
        a, b, theirs = self.key(self.uid, "b1"), self.key(self.uid, "b2"), self.key("carl", "b1")
        self.ddb.batch_write_item(RequestItems={"games": [{"PutRequest": {"Item": a}},
                                                          {"PutRequest": {"Item": b}}]})
        self.refused("dynamodb:BatchWriteItem", self.ddb.batch_write_item, RequestItems={
            "games": [{"PutRequest": {"Item": {**a, "x": S("y")}}}, {"PutRequest": {"Item": theirs}}]})
        self.assertIsNone(self.root_get(theirs))
        self.assertNotIn("x", self.root_get(a))
        got = self.ddb.batch_get_item(RequestItems={"games": {"Keys": [a, b]}})
        self.assertEqual(len(got["Responses"]["games"]), 2)
        self.refused("dynamodb:BatchGetItem", self.ddb.batch_get_item,
                     RequestItems={"games": {"Keys": [a, theirs]}})
        # a table the policy does not name at all
        self.root.put_item(TableName="other", Item={"pk": S(self.uid)})
        self.refused("dynamodb:BatchGetItem", self.ddb.batch_get_item, resource=tarn("other"),
                     RequestItems={"games": {"Keys": [a]}, "other": {"Keys": [{"pk": S(self.uid)}]}})

    def test_transactions(self):
        a, theirs = self.key(self.uid, "t1"), self.key("dora", "t1")
        self.root.put_item(TableName="games", Item=theirs)
        self.ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "games", "Item": a}},
            {"ConditionCheck": {"TableName": "games", "Key": self.key(self.uid, "t0"),
                                "ConditionExpression": "attribute_not_exists(UserId)"}}])
        self.assertIsNotNone(self.root_get(a))
        b = self.key(self.uid, "t2")
        self.refused("dynamodb:ConditionCheckItem", self.ddb.transact_write_items, TransactItems=[
            {"Put": {"TableName": "games", "Item": b}},
            {"ConditionCheck": {"TableName": "games", "Key": theirs,
                                "ConditionExpression": "attribute_exists(UserId)"}}])
        self.assertIsNone(self.root_get(b), "nothing of a refused transaction is written")
        got = self.ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "games", "Key": a}}])
        self.assertEqual(got["Responses"][0]["Item"]["GameTitle"], S("t1"))
        self.refused("dynamodb:GetItem", self.ddb.transact_get_items, TransactItems=[
            {"Get": {"TableName": "games", "Key": a}}, {"Get": {"TableName": "games", "Key": theirs}}])

    def test_query_scan_and_index(self):
        self.ddb.put_item(TableName="games", Item=self.key(self.uid, "q1"))
        self.root.put_item(TableName="games", Item=self.key("erik", "q1"))
        got = self.ddb.query(TableName="games", KeyConditionExpression="UserId = :u",
                             ExpressionAttributeValues={":u": S(self.uid)})
        self.assertGreaterEqual(got["Count"], 1)
        self.refused("dynamodb:Query", self.ddb.query, TableName="games",
                     KeyConditionExpression="UserId = :u",
                     ExpressionAttributeValues={":u": S("erik")})
        # The legacy KeyConditions say the same.
        self.refused("dynamodb:Query", self.ddb.query, TableName="games", KeyConditions={
            "UserId": {"ComparisonOperator": "EQ", "AttributeValueList": [S("erik")]}})
        # The index is another resource (table/games/index/byTitle), which the policy does not name.
        self.refused("dynamodb:Query", self.ddb.query, TableName="games", IndexName="byTitle",
                     KeyConditionExpression="GameTitle = :g",
                     ExpressionAttributeValues={":g": S("q1")},
                     resource=tarn("games") + "/index/byTitle")
        self.refused("dynamodb:Scan", self.ddb.scan, TableName="games")

    def test_partiql(self):
        t = '"games"'
        me = S(self.uid)
        self.ddb.execute_statement(
            Statement=f"INSERT INTO {t} VALUE {{'UserId': ?, 'GameTitle': 'p1', 'Wins': 1}}",
            Parameters=[me])
        self.refused("dynamodb:PartiQLInsert", self.ddb.execute_statement,
                     Statement=f"INSERT INTO {t} VALUE {{'UserId': 'fred', 'GameTitle': 'p1'}}")
        self.assertIsNone(self.root_get(self.key("fred", "p1")))
        got = self.ddb.execute_statement(Statement=f"SELECT * FROM {t} WHERE UserId = ?",
                                         Parameters=[me])
        self.assertIn(N(1), [i.get("Wins") for i in got["Items"] if i["GameTitle"] == S("p1")])
        self.root.put_item(TableName="games", Item={**self.key("fred", "p1"), "Wins": N(3)})
        self.refused("dynamodb:PartiQLSelect", self.ddb.execute_statement,
                     Statement=f"SELECT * FROM {t} WHERE UserId = 'fred'")
        r = iam_base.denied(self.ddb.execute_statement, Statement=f"SELECT * FROM {t}")
        self.assertEqual(r["Error"]["Message"], refusal(
            self.alice["arn"], "dynamodb:PartiQLSelect", tarn("games"),
            "with an explicit deny in an identity-based policy"))
        self.ddb.execute_statement(
            Statement=f"UPDATE {t} SET Wins = 2 WHERE UserId = ? AND GameTitle = 'p1'",
            Parameters=[me])
        self.refused("dynamodb:PartiQLUpdate", self.ddb.execute_statement,
                     Statement=f"UPDATE {t} SET Wins = 0 WHERE UserId = 'fred' AND GameTitle = 'p1'")
        self.assertEqual(self.root_get(self.key("fred", "p1"))["Wins"], N(3))
        self.refused("dynamodb:PartiQLDelete", self.ddb.execute_statement,
                     Statement=f"DELETE FROM {t} WHERE UserId = 'fred' AND GameTitle = 'p1'")
        # A batch answers a refused statement as its own AccessDenied error; the others run.
        got = self.ddb.batch_execute_statement(Statements=[
            {"Statement": f"SELECT * FROM {t} WHERE UserId = ? AND GameTitle = 'p1'",
             "Parameters": [me]},
            {"Statement": f"SELECT * FROM {t} WHERE UserId = 'fred' AND GameTitle = 'p1'"}])
        self.assertEqual(got["Responses"][0]["Item"]["Wins"], N(2))
        self.assertEqual(got["Responses"][1]["Error"]["Code"], "AccessDenied")
        self.assertNotIn("Item", got["Responses"][1])
        # A transaction with one foreign statement writes nothing.
        self.refused("dynamodb:PartiQLInsert", self.ddb.execute_transaction, TransactStatements=[
            {"Statement": f"INSERT INTO {t} VALUE {{'UserId': ?, 'GameTitle': 'p2'}}",
             "Parameters": [me]},
            {"Statement": f"INSERT INTO {t} VALUE {{'UserId': 'fred', 'GameTitle': 'p2'}}"}])
        self.assertIsNone(self.root_get(self.key(self.uid, "p2")))
        self.ddb.execute_statement(
            Statement=f"DELETE FROM {t} WHERE UserId = ? AND GameTitle = 'p1'", Parameters=[me])
        self.assertIsNone(self.root_get(self.key(self.uid, "p1")))

    def test_role_session(self):
        """A role session's aws:userid is "<role id>:<session name>", as AWS documents."""
        r = iam_base.role(self.srv, "player", policies=[iam_base.allow(
            ["dynamodb:PutItem", "dynamodb:GetItem"], tarn("games"), condition={
                "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:userid}"]}})])
        sess = iam_base.assume(self.srv, r["arn"], session_name="s1")
        ddb = iam_base.client(self.srv, sess, "dynamodb")
        me = {"UserId": S(f"{r['role_id']}:s1"), "GameTitle": S("r")}
        ddb.put_item(TableName="games", Item=me)
        self.assertIsNotNone(ddb.get_item(TableName="games", Key=me).get("Item"))
        resp = iam_base.denied(ddb.put_item, TableName="games",
                               Item={"UserId": S(r["role_id"]), "GameTitle": S("r")})
        self.assertEqual(resp["Error"]["Message"],
                         refusal(sess["arn"], "dynamodb:PutItem", tarn("games")))

    def test_aws_cli(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.alice["access_key"],
                   AWS_SECRET_ACCESS_KEY=self.alice["secret_key"], AWS_DEFAULT_REGION=REGION,
                   AWS_PAGER="", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")

        def aws(*args):
            return subprocess.run([AWS, "--endpoint-url", self.srv.endpoint, "--output", "json",
                                   "dynamodb"] + list(args), env=env, capture_output=True,
                                  text=True, timeout=120)
        mine = f'{{"UserId":{{"S":"{self.uid}"}},"GameTitle":{{"S":"cli"}}}}'
        theirs = '{"UserId":{"S":"gina"},"GameTitle":{"S":"cli"}}'
        r = aws("put-item", "--table-name", "games", "--item", mine)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = aws("get-item", "--table-name", "games", "--key", mine)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"cli"', r.stdout)
        r = aws("put-item", "--table-name", "games", "--item", theirs)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("AccessDeniedException", r.stderr)
        self.assertIn("is not authorized to perform: dynamodb:PutItem", r.stderr)
        r = aws("scan", "--table-name", "games")
        self.assertIn("AccessDeniedException", r.stderr)

    def test_zz_nothing_unchecked(self):
        self.assertEqual(unchecked(self.srv), 0)


class FineGrained(unittest.TestCase):
    """dynamodb:Attributes with dynamodb:Select and dynamodb:ReturnValues (AWS's example), an
    index ARN, a transaction with one action the policy lacks, tags, backups and streams."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.root = cls.srv.client("dynamodb")
        make_games(cls.root, stream=True)
        cls.root.put_item(TableName="games", Item={"UserId": S("u1"), "GameTitle": S("g"),
                                                   "Wins": N(4), "Secret": S("s")})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def client(self, name, *policies):
        u = iam_base.user(self.srv, name, policies=list(policies))
        return u, iam_base.client(self.srv, u, "dynamodb")

    def denied(self, who, action, resource, fn, *args, **kw):
        r = iam_base.denied(fn, *args, **kw)
        self.assertEqual(r["Error"]["Code"], "AccessDeniedException")
        self.assertEqual(r["Error"]["Message"], refusal(who["arn"], action, resource))

    def test_attributes_select_and_return_values(self):
        pol = iam_base.allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                              "dynamodb:Query"], tarn("games"), condition={
            "ForAllValues:StringEquals": {"dynamodb:Attributes": ["UserId", "GameTitle", "Wins"]},
            "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES",
                                     "dynamodb:ReturnValues": ["NONE", "UPDATED_OLD",
                                                               "UPDATED_NEW"]}})
        u, ddb = self.client("carol", pol)
        key = {"UserId": S("u1"), "GameTitle": S("g")}
        got = ddb.get_item(TableName="games", Key=key, ProjectionExpression="Wins")
        self.assertEqual(got["Item"], {"Wins": N(4)})
        got = ddb.get_item(TableName="games", Key=key, AttributesToGet=["Wins", "UserId"])
        self.assertEqual(set(got["Item"]), {"Wins", "UserId"})
        g, t = "dynamodb:GetItem", tarn("games")
        self.denied(u, g, t, ddb.get_item, TableName="games", Key=key,
                    ProjectionExpression="Wins, Secret")
        self.denied(u, g, t, ddb.get_item, TableName="games", Key=key,
                    ProjectionExpression="#s", ExpressionAttributeNames={"#s": "Secret"})
        # Without a projection a read asks for every attribute (dynamodb:Select ALL_ATTRIBUTES).
        self.denied(u, g, t, ddb.get_item, TableName="games", Key=key)
        ddb.put_item(TableName="games", Item={"UserId": S("u2"), "GameTitle": S("g"),
                                              "Wins": N(1)})
        self.denied(u, "dynamodb:PutItem", t, ddb.put_item, TableName="games",
                    Item={"UserId": S("u3"), "GameTitle": S("g"), "Secret": S("x")})
        ddb.update_item(TableName="games", Key=key, UpdateExpression="SET Wins = Wins + :one",
                        ExpressionAttributeValues={":one": N(1)}, ReturnValues="UPDATED_NEW")
        self.denied(u, "dynamodb:UpdateItem", t, ddb.update_item, TableName="games", Key=key,
                    UpdateExpression="SET Secret = :v", ExpressionAttributeValues={":v": S("y")})
        self.denied(u, "dynamodb:UpdateItem", t, ddb.update_item, TableName="games", Key=key,
                    UpdateExpression="SET Wins = :v", ExpressionAttributeValues={":v": N(0)},
                    ReturnValues="ALL_NEW")
        self.denied(u, "dynamodb:UpdateItem", t, ddb.update_item, TableName="games", Key=key,
                    UpdateExpression="SET Wins = :v", ConditionExpression="Secret = :s",
                    ExpressionAttributeValues={":v": N(0), ":s": S("s")})
        item = self.root.get_item(TableName="games", Key=key, ConsistentRead=True)["Item"]
        self.assertEqual(item["Wins"], N(5))
        self.assertEqual(item["Secret"], S("s"))
        got = ddb.query(TableName="games", KeyConditionExpression="UserId = :u",
                        ExpressionAttributeValues={":u": S("u1")}, Select="SPECIFIC_ATTRIBUTES",
                        ProjectionExpression="UserId, Wins")
        self.assertEqual(got["Items"], [{"UserId": S("u1"), "Wins": N(5)}])
        self.denied(u, "dynamodb:Query", t, ddb.query, TableName="games",
                    KeyConditionExpression="UserId = :u", ExpressionAttributeValues={":u": S("u1")})

    def test_index_arn(self):
        idx = tarn("games") + "/index/byTitle"
        u, ddb = self.client("dave", iam_base.allow("dynamodb:Query", idx))
        got = ddb.query(TableName="games", IndexName="byTitle",
                        KeyConditionExpression="GameTitle = :g",
                        ExpressionAttributeValues={":g": S("g")})
        self.assertGreaterEqual(got["Count"], 1)
        self.denied(u, "dynamodb:Query", tarn("games"), ddb.query, TableName="games",
                    KeyConditionExpression="UserId = :u", ExpressionAttributeValues={":u": S("u1")})
        self.denied(u, "dynamodb:Scan", idx, ddb.scan, TableName="games", IndexName="byTitle")

    def test_transaction_with_one_action_not_allowed(self):
        u, ddb = self.client("erin", iam_base.allow(["dynamodb:PutItem",
                                                     "dynamodb:ConditionCheckItem"], tarn("games")))
        self.root.put_item(TableName="games", Item={"UserId": S("e"), "GameTitle": S("y")})
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "games", "Item": {"UserId": S("e"), "GameTitle": S("x")}}},
            {"ConditionCheck": {"TableName": "games", "Key": {"UserId": S("e"), "GameTitle": S("y")},
                                "ConditionExpression": "attribute_exists(UserId)"}}])
        self.denied(u, "dynamodb:DeleteItem", tarn("games"), ddb.transact_write_items,
                    TransactItems=[
                        {"Put": {"TableName": "games",
                                 "Item": {"UserId": S("e"), "GameTitle": S("z")}}},
                        {"Delete": {"TableName": "games",
                                    "Key": {"UserId": S("e"), "GameTitle": S("y")}}}])
        get = lambda t: self.root.get_item(TableName="games", ConsistentRead=True,  # noqa: E731
                                           Key={"UserId": S("e"), "GameTitle": S(t)}).get("Item")
        self.assertIsNotNone(get("x"))
        self.assertIsNone(get("z"), "nothing of a refused transaction is written")
        self.assertIsNotNone(get("y"))

    def test_resource_and_request_tags(self):
        u, ddb = self.client("tina", iam_base.allow(
            "dynamodb:DescribeTable", "*", condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}),
            iam_base.allow("dynamodb:CreateTable", "*", condition={
                "StringEquals": {"aws:RequestTag/team": "blue"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}))
        self.assertEqual(ddb.describe_table(TableName="games")["Table"]["TableName"], "games")
        self.denied(u, "dynamodb:DescribeTable", tarn("other"), ddb.describe_table,
                    TableName="other")
        spec = dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST")
        ddb.create_table(TableName="tagged", Tags=[{"Key": "team", "Value": "blue"}], **spec)
        self.denied(u, "dynamodb:CreateTable", tarn("untagged"), ddb.create_table,
                    TableName="untagged", **spec)
        self.denied(u, "dynamodb:CreateTable", tarn("red"), ddb.create_table, TableName="red",
                    Tags=[{"Key": "team", "Value": "red"}], **spec)

    def test_backups_and_restore(self):
        bk_arns = tarn("games") + "/backup/*"
        writes = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                  "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchWriteItem"]
        u, ddb = self.client("bert", iam_base.allow(["dynamodb:CreateBackup"], tarn("games")),
                             iam_base.allow(["dynamodb:DescribeBackup",
                                             "dynamodb:RestoreTableFromBackup"], bk_arns),
                             iam_base.allow(writes, tarn("restored-*")))
        arn = ddb.create_backup(TableName="games", BackupName="bk-1")["BackupDetails"]["BackupArn"]
        self.denied(u, "dynamodb:CreateBackup", tarn("other"), ddb.create_backup,
                    TableName="other", BackupName="bk-2")
        self.assertEqual(ddb.describe_backup(BackupArn=arn)["BackupDescription"]
                         ["BackupDetails"]["BackupArn"], arn)
        self.denied(u, "dynamodb:DeleteBackup", arn, ddb.delete_backup, BackupArn=arn)
        self.denied(u, "dynamodb:ListBackups", "*", ddb.list_backups)
        # The restore's writes on its target are asked too.
        self.denied(u, "dynamodb:PutItem", tarn("elsewhere"), ddb.restore_table_from_backup,
                    BackupArn=arn, TargetTableName="elsewhere")
        ddb.restore_table_from_backup(BackupArn=arn, TargetTableName="restored-1")
        self.assertIn("restored-1", self.root.list_tables()["TableNames"])
        # An ARN naming another table does not borrow its permissions: the backup's own table
        # is asked about.
        other = self.root.create_backup(TableName="other", BackupName="other-backup")["BackupDetails"]["BackupArn"]
        forged = tarn("games") + "/backup/" + other.rsplit("/", 1)[1]
        self.denied(u, "dynamodb:DescribeBackup", other, ddb.describe_backup, BackupArn=forged)

    def test_streams(self):
        root_s = self.srv.client("dynamodbstreams")
        sarn = root_s.list_streams(TableName="games")["Streams"][0]["StreamArn"]
        u, _ = self.client("sam", iam_base.allow(["dynamodb:DescribeStream",
                                                   "dynamodb:GetShardIterator",
                                                   "dynamodb:GetRecords"],
                                                  tarn("games") + "/stream/*"))
        st = iam_base.client(self.srv, u, "dynamodbstreams")
        d = st.describe_stream(StreamArn=sarn)["StreamDescription"]
        shard = d["Shards"][0]["ShardId"]
        it = st.get_shard_iterator(StreamArn=sarn, ShardId=shard,
                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.assertIn("Records", st.get_records(ShardIterator=it))
        self.denied(u, "dynamodb:ListStreams", "*", st.list_streams)
        # A user allowed the table but not its stream.
        v, _ = self.client("vic", iam_base.allow("dynamodb:*", tarn("games")))
        vs = iam_base.client(self.srv, v, "dynamodbstreams")
        self.denied(v, "dynamodb:DescribeStream", sarn, vs.describe_stream, StreamArn=sarn)
        self.denied(v, "dynamodb:GetShardIterator", sarn, vs.get_shard_iterator, StreamArn=sarn,
                    ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        self.denied(v, "dynamodb:GetRecords", sarn, vs.get_records, ShardIterator=it)

    def test_zz_nothing_unchecked(self):
        self.assertEqual(unchecked(self.srv), 0)


# ---- every operation botocore knows, for a powerless user and for one allowed everything ----

def _minimal(model, shape, name, depth=0):
    """A value botocore accepts for shape: required members only, minimal sizes."""
    t = shape.type_name
    if t == "structure":
        return {m: _minimal(model, shape.members[m], m, depth + 1)
                for m in shape.required_members}
    if t == "list":
        return [_minimal(model, shape.member, name, depth + 1)]
    if t == "map":
        return {"k": _minimal(model, shape.value, name, depth + 1)}
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        if name.endswith("Arn"):
            return tarn("games")
        return "games" + "x" * max(0, shape.metadata.get("min", 0) - 5)
    if t in ("integer", "long"):
        return max(1, shape.metadata.get("min", 1))
    if t == "boolean":
        return False
    if t == "timestamp":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    if t == "blob":
        return b"x"
    return 1


def operation_params(ctx):
    k = {"UserId": S("u"), "GameTitle": S("g")}
    return {
        "BatchExecuteStatement": {"Statements": [
            {"Statement": "SELECT * FROM \"games\" WHERE UserId = 'u' AND GameTitle = 'g'"}]},
        "BatchGetItem": {"RequestItems": {"games": {"Keys": [k]}}},
        "BatchWriteItem": {"RequestItems": {"games": [{"PutRequest": {"Item": k}}]}},
        "CreateBackup": {"TableName": "games", "BackupName": "bk2"},
        "CreateTable": {"TableName": "newt", "BillingMode": "PAY_PER_REQUEST",
                        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]},
        "DeleteBackup": {"BackupArn": ctx["backup"]},
        "DeleteItem": {"TableName": "games", "Key": k},
        "DeleteTable": {"TableName": "games"},
        "DescribeBackup": {"BackupArn": ctx["backup"]},
        "DescribeContinuousBackups": {"TableName": "games"},
        "DescribeEndpoints": {},
        "DescribeLimits": {},
        "DescribeTable": {"TableName": "games"},
        "DescribeTimeToLive": {"TableName": "games"},
        "ExportTableToPointInTime": {"TableArn": tarn("games"), "S3Bucket": "exports"},
        "DescribeExport": {"ExportArn": tarn("games") + "/export/01234567890123-0123abcd"},
        "ExecuteStatement": {"Statement": "SELECT * FROM \"games\""},
        "ExecuteTransaction": {"TransactStatements": [
            {"Statement": "INSERT INTO \"games\" VALUE {'UserId': 'u', 'GameTitle': 'g'}"}]},
        "GetItem": {"TableName": "games", "Key": k},
        "ListBackups": {},
        "ListTables": {},
        "ListTagsOfResource": {"ResourceArn": tarn("games")},
        "PutItem": {"TableName": "games", "Item": k},
        "Query": {"TableName": "games", "KeyConditionExpression": "UserId = :u",
                  "ExpressionAttributeValues": {":u": S("u")}},
        "RestoreTableFromBackup": {"TargetTableName": "restored", "BackupArn": ctx["backup"]},
        "RestoreTableToPointInTime": {"TargetTableName": "restored2", "SourceTableName": "games",
                                      "UseLatestRestorableTime": True},
        "Scan": {"TableName": "games"},
        "TagResource": {"ResourceArn": tarn("games"), "Tags": [{"Key": "a", "Value": "b"}]},
        "TransactGetItems": {"TransactItems": [{"Get": {"TableName": "games", "Key": k}}]},
        "TransactWriteItems": {"TransactItems": [{"Put": {"TableName": "games", "Item": k}}]},
        "UntagResource": {"ResourceArn": tarn("games"), "TagKeys": ["a"]},
        "UpdateContinuousBackups": {"TableName": "games", "PointInTimeRecoverySpecification": {
            "PointInTimeRecoveryEnabled": True}},
        "UpdateItem": {"TableName": "games", "Key": k, "UpdateExpression": "SET Wins = :w",
                       "ExpressionAttributeValues": {":w": N(1)}},
        "UpdateTable": {"TableName": "games", "BillingMode": "PAY_PER_REQUEST"},
        "UpdateTimeToLive": {"TableName": "games", "TimeToLiveSpecification": {
            "Enabled": True, "AttributeName": "ttl"}},
        "DescribeStream": {"StreamArn": ctx["stream"]},
        "GetShardIterator": {"StreamArn": ctx["stream"], "ShardId": ctx["shard"],
                             "ShardIteratorType": "TRIM_HORIZON"},
        "GetRecords": {"ShardIterator": ctx["iterator"]},
        "ListStreams": {},
        # issue 17, package I
        "ImportTable": {"S3BucketSource": {"S3Bucket": "src"}, "InputFormat": "DYNAMODB_JSON",
                        "TableCreationParameters": {
                            "TableName": "impt", "BillingMode": "PAY_PER_REQUEST",
                            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}},
        "DescribeImport": {"ImportArn": tarn("games") + "/import/01234567890123-0badf00d"},
        "ListImports": {},
    }


def expected(op, ctx):
    """The action and resource a refusal of op names (None: an operation this server does not
    have, refused as dynamodb:<op> on "*")."""
    t = tarn("games")
    table_ops = {"CreateBackup", "DeleteItem", "DeleteTable", "DescribeContinuousBackups",
                 "DescribeTable", "DescribeTimeToLive", "GetItem", "ListTagsOfResource",
                 "PutItem", "Query", "Scan", "TagResource", "UntagResource",
                 "UpdateContinuousBackups", "UpdateItem", "UpdateTable", "UpdateTimeToLive",
                 "BatchGetItem", "BatchWriteItem", "RestoreTableToPointInTime",
                 # issue 17, package S
                 "DescribeContributorInsights", "UpdateContributorInsights",
                 "DescribeKinesisStreamingDestination", "EnableKinesisStreamingDestination",
                 "DisableKinesisStreamingDestination", "UpdateKinesisStreamingDestination",
                 "DescribeTableReplicaAutoScaling", "UpdateTableReplicaAutoScaling",
                 # issue 17, package E
                 "ExportTableToPointInTime"}
    if op in table_ops:
        return f"dynamodb:{op}", t
    if op in {"CreateGlobalTable", "DescribeGlobalTable", "DescribeGlobalTableSettings",
              "UpdateGlobalTable", "UpdateGlobalTableSettings"}:  # issue 17, package S
        return f"dynamodb:{op}", "arn:aws:dynamodb::000000000000:global-table/games"
    return {
        "CreateTable": ("dynamodb:CreateTable", tarn("newt")),
        "DeleteBackup": ("dynamodb:DeleteBackup", ctx["backup"]),
        "DescribeBackup": ("dynamodb:DescribeBackup", ctx["backup"]),
        "DescribeExport": ("dynamodb:DescribeExport", t + "/export/01234567890123-0123abcd"),
        "RestoreTableFromBackup": ("dynamodb:RestoreTableFromBackup", ctx["backup"]),
        "ExecuteStatement": ("dynamodb:PartiQLSelect", t),
        "ExecuteTransaction": ("dynamodb:PartiQLInsert", t),
        "TransactGetItems": ("dynamodb:GetItem", t),
        "TransactWriteItems": ("dynamodb:PutItem", t),
        "DescribeStream": ("dynamodb:DescribeStream", ctx["stream"]),
        "GetShardIterator": ("dynamodb:GetShardIterator", ctx["stream"]),
        "GetRecords": ("dynamodb:GetRecords", ctx["stream"]),
        "ListStreams": ("dynamodb:ListStreams", "*"),
        "ListTables": ("dynamodb:ListTables", "*"),
        "ListBackups": ("dynamodb:ListBackups", "*"),
        "DescribeLimits": ("dynamodb:DescribeLimits", "*"),
        "DescribeEndpoints": ("dynamodb:DescribeEndpoints", "*"),
        "ImportTable": ("dynamodb:ImportTable", tarn("impt")),  # issue 17, package I
        "DescribeImport": ("dynamodb:DescribeImport", tarn("games") + "/import/01234567890123-0badf00d"),
    }.get(op, (f"dynamodb:{op}", "*"))


# Deleting ones run last in the allowed pass, so the others find their table.
LAST = ["DeleteItem", "DeleteBackup", "DeleteTable"]


class EveryOperation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        root = cls.srv.client("dynamodb")
        make_games(root, stream=True)
        rs = cls.srv.client("dynamodbstreams")
        sarn = rs.list_streams(TableName="games")["Streams"][0]["StreamArn"]
        shard = rs.describe_stream(StreamArn=sarn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = rs.get_shard_iterator(StreamArn=sarn, ShardId=shard,
                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        bk = root.create_backup(TableName="games", BackupName="bk1")["BackupDetails"]["BackupArn"]
        cls.ctx = {"stream": sarn, "shard": shard, "iterator": it, "backup": bk}
        session = botocore.session.get_session()
        cls.models = {svc: session.get_service_model(svc) for svc in ("dynamodb", "dynamodbstreams")}

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def calls(self):
        params = operation_params(self.ctx)
        ops = []
        for svc, model in self.models.items():
            for op in model.operation_names:
                if op in params:
                    p = params[op]
                else:
                    shape = model.operation_model(op).input_shape
                    p = _minimal(model, shape, op) if shape else {}
                ops.append((svc, op, p))
        ops.sort(key=lambda c: (c[1] in LAST, LAST.index(c[1]) if c[1] in LAST else 0))
        return ops

    def call(self, clients, svc, op, p):
        return getattr(clients[svc], xform_name(op))(**p)

    def test_powerless_user_is_refused_everything(self):
        u = iam_base.user(self.srv, "nobody")
        clients = {svc: iam_base.client(self.srv, u, svc) for svc in self.models}
        for svc, op, p in self.calls():
            with self.subTest(op=op):
                if op == "BatchExecuteStatement":
                    # Each statement's refusal is its own error, as DynamoDB answers a batch.
                    r = self.call(clients, svc, op, p)
                    self.assertTrue(all(x["Error"]["Code"] == "AccessDenied"
                                        for x in r["Responses"]), r)
                    continue
                try:
                    self.call(clients, svc, op, p)
                    self.fail(f"{op} succeeded for a powerless user")
                except ClientError as e:
                    err = e.response["Error"]
                    self.assertEqual(err["Code"], "AccessDeniedException", (op, err))
                    action, res = expected(op, self.ctx)
                    self.assertEqual(err["Message"], refusal(u["arn"], action, res))
        self.assertEqual(unchecked(self.srv), 0)

    def test_zz_user_allowed_everything_is_not_refused(self):
        u = iam_base.user(self.srv, "everyone", policies=[iam_base.allow("dynamodb:*")])
        clients = {svc: iam_base.client(self.srv, u, svc) for svc in self.models}
        for svc, op, p in self.calls():
            with self.subTest(op=op):
                try:
                    r = self.call(clients, svc, op, p)
                    if op == "BatchExecuteStatement":
                        self.assertFalse(any(x.get("Error", {}).get("Code") == "AccessDenied"
                                             for x in r["Responses"]), r)
                except ClientError as e:
                    self.assertNotEqual(e.response["Error"]["Code"], "AccessDeniedException",
                                        (op, e.response["Error"]))
        self.assertEqual(unchecked(self.srv), 0)


if __name__ == "__main__":
    unittest.main()
