# SPDX-License-Identifier: Apache-2.0
"""Issue 17, package S through boto3 and the AWS CLI: DynamoDB Streams' details (ShardFilter
CHILD_SHARDS, ExclusiveStartShardId that names no shard, sequence numbers outside a shard, a
removes-only UpdateItem on a missing item writing nothing, stream on/off refusals),
DescribeContinuousBackups of a table that never had them, and the API shape infrastructure
tools call: global tables, replica auto scaling, contributor insights (stored, surviving a
restart), Kinesis streaming destinations, and terraform's aws_dynamodb_table read sequence."""
import re
import time
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server

S = lambda v: {"S": v}  # noqa: E731


def err(e):
    return e.exception.response["Error"]["Code"], e.exception.response["Error"]["Message"]


def make_table(ddb, name, stream=None, gsi=False):
    kw = {}
    if stream:
        kw["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if gsi:
        attrs.append({"AttributeName": "gk", "AttributeType": "S"})
        kw["GlobalSecondaryIndexes"] = [{
            "IndexName": "byG", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}]
    r = ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST", **kw)
    return r["TableDescription"].get("LatestStreamArn")


def read_all(st, arn):
    """Every record of the stream, shard by shard (bounded)."""
    out = []
    for sh in st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = st.get_shard_iterator(StreamArn=arn, ShardId=sh["ShardId"],
                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for _ in range(20):
            r = st.get_records(ShardIterator=it)
            out += r["Records"]
            if not r["Records"] or "NextShardIterator" not in r:
                break
            it = r["NextShardIterator"]
    return out


class Streams17(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.st = cls.srv.client("dynamodbstreams")

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def test_removes_only_update_on_missing_item_writes_nothing(self):
        arn = make_table(self.ddb, "noop", stream="NEW_AND_OLD_IMAGES")
        # REMOVE, DELETE from a set, and the legacy AttributeUpdates DELETE: no item, no record.
        r = self.ddb.update_item(TableName="noop", Key={"pk": S("a")}, UpdateExpression="REMOVE x, y",
                                 ReturnValues="ALL_NEW")
        self.assertNotIn("Attributes", r)
        self.ddb.update_item(TableName="noop", Key={"pk": S("b")}, UpdateExpression="DELETE s :v",
                             ExpressionAttributeValues={":v": {"SS": ["q"]}})
        self.ddb.update_item(TableName="noop", Key={"pk": S("c")},
                             AttributeUpdates={"x": {"Action": "DELETE"}})
        # In a transaction too.
        self.ddb.transact_write_items(TransactItems=[{"Update": {
            "TableName": "noop", "Key": {"pk": S("t")}, "UpdateExpression": "REMOVE x"}}])
        for k in "abct":
            self.assertNotIn("Item", self.ddb.get_item(TableName="noop", Key={"pk": S(k)},
                                                       ConsistentRead=True))
        self.assertEqual(read_all(self.st, arn), [])
        self.assertEqual(self.ddb.scan(TableName="noop")["Count"], 0)
        # An update without any action creates the key-only item (an INSERT), as DynamoDB does;
        # SET and ADD create as ever; REMOVE on an existing item is a MODIFY.
        self.ddb.update_item(TableName="noop", Key={"pk": S("d")})
        self.ddb.update_item(TableName="noop", Key={"pk": S("e")}, UpdateExpression="ADD n :one",
                             ExpressionAttributeValues={":one": {"N": "1"}})
        self.ddb.update_item(TableName="noop", Key={"pk": S("e")}, UpdateExpression="REMOVE n")
        recs = read_all(self.st, arn)
        self.assertEqual([(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in recs],
                         [("INSERT", "d"), ("INSERT", "e"), ("MODIFY", "e")])
        self.assertEqual(self.ddb.get_item(TableName="noop", Key={"pk": S("d")})["Item"],
                         {"pk": S("d")})
        # A condition still decides first: attribute_exists on the missing item fails.
        with self.assertRaises(ClientError) as e:
            self.ddb.update_item(TableName="noop", Key={"pk": S("f")}, UpdateExpression="REMOVE x",
                                 ConditionExpression="attribute_exists(pk)")
        self.assertEqual(err(e)[0], "ConditionalCheckFailedException")

    def test_stream_on_off_refusals(self):
        make_table(self.ddb, "toggle")
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="toggle", StreamSpecification={"StreamEnabled": False})
        self.assertEqual(err(e), ("ValidationException",
                                  "Table has no stream to disable: TableName: toggle"))
        self.ddb.update_table(TableName="toggle", StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="toggle", StreamSpecification={
                "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        self.assertEqual(err(e), ("ValidationException",
                                  "Table already has an enabled stream: TableName: toggle"))
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="toggle", StreamSpecification={
                "StreamEnabled": False, "StreamViewType": "KEYS_ONLY"})
        self.assertEqual(err(e)[1], "One or more parameter values were invalid: If stream is "
                                    "being disabled, then UpdateViewType must not be specified")
        self.ddb.update_table(TableName="toggle", StreamSpecification={"StreamEnabled": False})
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="toggle", StreamSpecification={"StreamEnabled": False})
        self.assertEqual(err(e)[1], "Table has no stream to disable: TableName: toggle")
        with self.assertRaises(ClientError) as e:
            self.ddb.create_table(
                TableName="toggle2", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"})
        self.assertEqual(err(e)[1], "One or more parameter values were invalid: Table is being "
                                    "created with a stream disabled, UpdateViewType should not "
                                    "be specified")

    def test_sequence_numbers_outside_the_shard(self):
        arn = make_table(self.ddb, "seqs", stream="KEYS_ONLY")
        for k in "abc":
            self.ddb.put_item(TableName="seqs", Item={"pk": S(k)})
        shard = self.st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]["ShardId"]
        recs = read_all(self.st, arn)
        seqs = [r["dynamodb"]["SequenceNumber"] for r in recs]
        self.assertEqual(len(seqs), 3)
        # AT/AFTER the real numbers work; AFTER the last is an empty read of an open shard.
        it = self.st.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                        SequenceNumber=seqs[0])["ShardIterator"]
        self.assertEqual([r["dynamodb"]["SequenceNumber"] for r in self.st.get_records(ShardIterator=it)["Records"]],
                         seqs[1:])
        it = self.st.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                        SequenceNumber=seqs[-1])["ShardIterator"]
        self.assertEqual(self.st.get_records(ShardIterator=it)["Records"], [])
        beyond = "%021d" % (int(seqs[-1]) + 5)
        with self.assertRaises(ClientError) as e:
            self.st.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                       SequenceNumber=beyond)
        self.assertEqual(err(e)[0], "ValidationException")
        self.assertRegex(err(e)[1], "^StartingSequenceNumber %s used in GetShardIterator on shard %s "
                         "in stream %s under account 000000000000 is invalid because it did not "
                         "come from this stream\\.$" % (beyond, shard, re.escape(arn)))
        raw = self.srv.client("dynamodbstreams", parameter_validation=False)
        for bad, why in (("12", "greater than or equal to 21"), ("1" * 41, "less than or equal to 40")):
            with self.assertRaises(ClientError) as e:
                raw.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                           ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=bad)
            self.assertEqual(err(e)[1], "1 validation error detected: Value '%s' at 'sequenceNumber' "
                             "failed to satisfy constraint: Member must have length %s" % (bad, why))
        with self.assertRaises(ClientError) as e:
            self.st.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                       ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber="x" * 21)
        self.assertEqual(err(e), ("ValidationException", "Invalid SequenceNumber"))
        with self.assertRaises(ClientError) as e:
            self.st.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                                       ShardIteratorType="TRIM_HORIZON")
        self.assertEqual(err(e), ("ResourceNotFoundException",
                                  "Requested resource not found: Shard does not exist"))

    def test_exclusive_start_shard_id_naming_no_shard(self):
        arn = make_table(self.ddb, "pages", stream="KEYS_ONLY")
        shards = self.st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        ids = [s["ShardId"] for s in shards]
        # Before every shard: all of them; after every shard: none (no error, as DynamoDB).
        page = self.st.describe_stream(StreamArn=arn, ExclusiveStartShardId="shardId-" + "0" * 20 + "-00000000")
        self.assertEqual([s["ShardId"] for s in page["StreamDescription"]["Shards"]], ids)
        page = self.st.describe_stream(StreamArn=arn, ExclusiveStartShardId="shardId-" + "9" * 20 + "-ffffffff")
        self.assertEqual(page["StreamDescription"]["Shards"], [])
        self.assertNotIn("LastEvaluatedShardId", page["StreamDescription"])
        page = self.st.describe_stream(StreamArn=arn, ExclusiveStartShardId=ids[-1])
        self.assertEqual(page["StreamDescription"]["Shards"], [])

    def test_records_stay_readable_after_the_table_is_deleted(self):
        arn = make_table(self.ddb, "gone", stream="KEYS_ONLY")
        self.ddb.put_item(TableName="gone", Item={"pk": S("a")})
        shard = self.st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = self.st.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.ddb.delete_table(TableName="gone")
        # DynamoDB keeps a deleted table's stream readable (24 hours): the iterator still reads.
        r = self.st.get_records(ShardIterator=it)
        self.assertEqual([x["dynamodb"]["Keys"]["pk"]["S"] for x in r["Records"]], ["a"])
        d = self.st.describe_stream(StreamArn=arn)["StreamDescription"]
        self.assertEqual(d["StreamStatus"], "DISABLED")

    def test_latest_on_a_closed_shard_reads_nothing_and_ends(self):
        arn = make_table(self.ddb, "closed", stream="KEYS_ONLY")
        self.ddb.put_item(TableName="closed", Item={"pk": S("a")})
        self.ddb.update_table(TableName="closed", StreamSpecification={"StreamEnabled": False})
        sh = self.st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]
        self.assertIn("EndingSequenceNumber", sh["SequenceNumberRange"])
        it = self.st.get_shard_iterator(StreamArn=arn, ShardId=sh["ShardId"],
                                        ShardIteratorType="LATEST")["ShardIterator"]
        r = self.st.get_records(ShardIterator=it)
        self.assertEqual(r["Records"], [])
        self.assertNotIn("NextShardIterator", r)
        # TRIM_HORIZON still reads the closed shard's record.
        it = self.st.get_shard_iterator(StreamArn=arn, ShardId=sh["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.assertEqual(len(self.st.get_records(ShardIterator=it)["Records"]), 1)

    def test_an_iterator_of_another_server_is_refused(self):
        with self.assertRaises(ClientError) as e:
            self.st.get_records(ShardIterator="0" * 72)
        self.assertEqual(err(e), ("ValidationException", "Invalid ShardIterator"))

    def test_continuous_backups_of_a_table_that_never_had_them(self):
        make_table(self.ddb, "nopitr")
        d = self.ddb.describe_continuous_backups(TableName="nopitr")["ContinuousBackupsDescription"]
        self.assertEqual(d, {"ContinuousBackupsStatus": "ENABLED",
                             "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}})


class RecoveryPeriod(unittest.TestCase):
    def test_recovery_period_is_stored_and_survives_a_restart(self):
        srv = Server().start()
        try:
            ddb = srv.client("dynamodb")
            make_table(ddb, "rpt")

            def desc():
                return ddb.describe_continuous_backups(TableName="rpt")["ContinuousBackupsDescription"][
                    "PointInTimeRecoveryDescription"]
            r = ddb.update_continuous_backups(TableName="rpt", PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True})
            self.assertEqual(r["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
                "RecoveryPeriodInDays"], 35)
            r = ddb.update_continuous_backups(TableName="rpt", PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7})
            self.assertEqual(r["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
                "RecoveryPeriodInDays"], 7)
            self.assertEqual(desc()["RecoveryPeriodInDays"], 7)
            self.assertEqual(desc()["PointInTimeRecoveryStatus"], "ENABLED")
            srv.stop()
            srv.start()
            ddb = srv.client("dynamodb")
            self.assertEqual(desc()["RecoveryPeriodInDays"], 7)
            with self.assertRaises(ClientError) as e:
                ddb.update_continuous_backups(TableName="rpt", PointInTimeRecoverySpecification={
                    "PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 3})
            self.assertEqual(err(e)[0], "ValidationException")
            self.assertEqual(desc()["RecoveryPeriodInDays"], 7)
            # Off, then on again without a period: the default 35 days.
            ddb.update_continuous_backups(TableName="rpt", PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": False})
            self.assertEqual(desc(), {"PointInTimeRecoveryStatus": "DISABLED"})
            ddb.update_continuous_backups(TableName="rpt", PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True})
            self.assertEqual(desc()["RecoveryPeriodInDays"], 35)
            # A restore to now still works with the shorter period.
            ddb.update_continuous_backups(TableName="rpt", PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 1})
            ddb.put_item(TableName="rpt", Item={"pk": S("x")})
            ddb.restore_table_to_point_in_time(SourceTableName="rpt", TargetTableName="rpt2",
                                               UseLatestRestorableTime=True)
            self.assertEqual(ddb.scan(TableName="rpt2")["Count"], 1)
        finally:
            srv.finish()


class ShardFilter(unittest.TestCase):
    """Shards roll over every second here: CHILD_SHARDS names each shard's one child."""

    def test_child_shards(self):
        srv = Server("--stream-shard-seconds", "1").start()
        try:
            ddb, st = srv.client("dynamodb"), srv.client("dynamodbstreams")
            arn = make_table(ddb, "kids", stream="KEYS_ONLY")
            shards = []
            deadline = time.time() + 20
            i = 0
            while len(shards) < 3 and time.time() < deadline:
                ddb.put_item(TableName="kids", Item={"pk": S(str(i))})
                i += 1
                time.sleep(0.3)
                shards = st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            self.assertGreaterEqual(len(shards), 3)
            for parent, child in zip(shards, shards[1:]):
                kids = st.describe_stream(StreamArn=arn, ShardFilter={
                    "Type": "CHILD_SHARDS", "ShardId": parent["ShardId"]})["StreamDescription"]["Shards"]
                self.assertEqual([k["ShardId"] for k in kids], [child["ShardId"]])
                self.assertEqual(kids[0]["ParentShardId"], parent["ShardId"])
                self.assertEqual(kids[0]["SequenceNumberRange"]["StartingSequenceNumber"],
                                 child["SequenceNumberRange"]["StartingSequenceNumber"])
            # A shard id that names no shard has no children.
            none = st.describe_stream(StreamArn=arn, ShardFilter={
                "Type": "CHILD_SHARDS", "ShardId": "shardId-" + "9" * 20 + "-ffffffff"})
            self.assertEqual(none["StreamDescription"]["Shards"], [])
            with self.assertRaises(ClientError) as e:
                srv.client("dynamodbstreams", parameter_validation=False).describe_stream(
                    StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS"})
            self.assertEqual(err(e)[1], "1 validation error detected: Value null at "
                             "'shardFilter.shardId' failed to satisfy constraint: Member must not be null")
        finally:
            srv.finish()


class ApiShape(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")
        make_table(cls.ddb, "shape", gsi=True)

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def test_global_tables_none_here(self):
        self.assertEqual(self.ddb.list_global_tables()["GlobalTables"], [])
        self.assertEqual(self.ddb.list_global_tables(RegionName="us-east-1", Limit=5)["GlobalTables"], [])
        for call in (lambda: self.ddb.describe_global_table(GlobalTableName="shape"),
                     lambda: self.ddb.describe_global_table_settings(GlobalTableName="shape"),
                     lambda: self.ddb.update_global_table(GlobalTableName="shape", ReplicaUpdates=[
                         {"Create": {"RegionName": "eu-west-1"}}]),
                     lambda: self.ddb.update_global_table_settings(GlobalTableName="shape",
                                                                   GlobalTableBillingMode="PAY_PER_REQUEST")):
            with self.assertRaises(ClientError) as e:
                call()
            self.assertEqual(err(e), ("GlobalTableNotFoundException",
                                      "Global table not found: Global table with name: 'shape' does not exist."))
        with self.assertRaises(ClientError) as e:
            self.ddb.create_global_table(GlobalTableName="shape",
                                         ReplicationGroup=[{"RegionName": "us-east-1"}, {"RegionName": "ap-south-1"}])
        self.assertEqual(err(e), ("TableNotFoundException",
                                  "Table not found: Table: 'shape' not found in region: 'ap-south-1'."))
        with self.assertRaises(ClientError) as e:
            self.ddb.create_global_table(GlobalTableName="absent", ReplicationGroup=[{"RegionName": "us-east-1"}])
        self.assertEqual(err(e), ("TableNotFoundException",
                                  "Table not found: Table: 'absent' not found in region: 'us-east-1'."))
        with self.assertRaises(ClientError) as e:
            self.ddb.create_global_table(GlobalTableName="shape", ReplicationGroup=[{"RegionName": "us-east-1"}])
        self.assertEqual(err(e)[0], "ValidationException")

    def test_replica_updates_refused(self):
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="shape", ReplicaUpdates=[{"Create": {"RegionName": "us-east-1"}}])
        self.assertEqual(err(e), ("ValidationException",
                                  "Cannot add, delete, or update the local region through ReplicaUpdates. "
                                  "Use CreateTable, DeleteTable, or UpdateTable as required."))
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="shape", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
        self.assertEqual(err(e)[0], "ValidationException")
        self.assertIn("eu-west-1", err(e)[1])
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table(TableName="shape", ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
        self.assertEqual(err(e)[0], "ValidationException")
        # The table is unchanged (no replicas, no GlobalTableVersion).
        t = self.ddb.describe_table(TableName="shape")["Table"]
        self.assertNotIn("Replicas", t)
        self.assertNotIn("GlobalTableVersion", t)
        d = self.ddb.describe_table_replica_auto_scaling(TableName="shape")["TableAutoScalingDescription"]
        self.assertEqual(d, {"TableName": "shape", "TableStatus": "ACTIVE", "Replicas": []})
        with self.assertRaises(ClientError) as e:
            self.ddb.describe_table_replica_auto_scaling(TableName="absent")
        self.assertEqual(err(e), ("ResourceNotFoundException", "Requested resource not found: Table: absent not found"))
        with self.assertRaises(ClientError) as e:
            self.ddb.update_table_replica_auto_scaling(TableName="shape", ReplicaUpdates=[
                {"RegionName": "eu-west-1", "ReplicaGlobalSecondaryIndexUpdates": []}])
        self.assertEqual(err(e)[0], "ResourceNotFoundException")

    def test_kinesis_destinations_none(self):
        d = self.ddb.describe_kinesis_streaming_destination(TableName="shape")
        self.assertEqual(d["TableName"], "shape")
        self.assertEqual(d["KinesisDataStreamDestinations"], [])
        karn = "arn:aws:kinesis:us-east-1:000000000000:stream/orders"
        for call in (self.ddb.enable_kinesis_streaming_destination,
                     self.ddb.disable_kinesis_streaming_destination,
                     self.ddb.update_kinesis_streaming_destination):
            with self.assertRaises(ClientError) as e:
                call(TableName="shape", StreamArn=karn)
            self.assertEqual(err(e), ("ResourceNotFoundException",
                                      "Requested resource not found: Kinesis stream: %s not found" % karn))
        with self.assertRaises(ClientError) as e:
            self.ddb.enable_kinesis_streaming_destination(TableName="absent", StreamArn=karn)
        self.assertEqual(err(e)[1], "Requested resource not found: Table: absent not found")

    def test_terraform_read_sequence(self):
        """What terraform's aws_dynamodb_table read does after each plan's DescribeTable."""
        t = self.ddb.describe_table(TableName="shape")["Table"]
        self.assertEqual(self.ddb.describe_continuous_backups(TableName="shape")[
            "ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"], "DISABLED")
        self.assertEqual(self.ddb.describe_time_to_live(TableName="shape")[
            "TimeToLiveDescription"]["TimeToLiveStatus"], "DISABLED")
        self.assertEqual(self.ddb.list_tags_of_resource(ResourceArn=t["TableArn"])["Tags"], [])
        self.assertEqual(self.ddb.describe_kinesis_streaming_destination(TableName="shape")[
            "KinesisDataStreamDestinations"], [])
        ci = self.ddb.describe_contributor_insights(TableName="shape")
        self.assertEqual(ci["ContributorInsightsStatus"], "DISABLED")
        # The AWS CLI (v1) reads the same.
        out = self.srv.aws("dynamodb", "describe-contributor-insights", "--table-name", "shape")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('"DISABLED"', out.stdout)


class ContributorInsights(unittest.TestCase):
    def test_setting_is_stored_and_survives_a_restart(self):
        srv = Server().start()
        try:
            ddb = srv.client("dynamodb")
            make_table(ddb, "cit", gsi=True)
            make_table(ddb, "cit2")
            d = ddb.describe_contributor_insights(TableName="cit")
            d.pop("ResponseMetadata")
            self.assertEqual(d, {"TableName": "cit", "ContributorInsightsStatus": "DISABLED"})
            r = ddb.update_contributor_insights(TableName="cit", ContributorInsightsAction="ENABLE")
            self.assertEqual((r["TableName"], r["ContributorInsightsStatus"]), ("cit", "ENABLING"))
            r = ddb.update_contributor_insights(TableName="cit", IndexName="byG", ContributorInsightsAction="ENABLE",
                                                ContributorInsightsMode="THROTTLED_KEYS")
            self.assertEqual((r["IndexName"], r["ContributorInsightsMode"]), ("byG", "THROTTLED_KEYS"))
            with self.assertRaises(ClientError) as e:
                ddb.update_contributor_insights(TableName="cit", IndexName="nope", ContributorInsightsAction="ENABLE")
            self.assertEqual(err(e), ("ResourceNotFoundException", "Requested resource not found: Index: nope not found"))

            def check():
                d = ddb.describe_contributor_insights(TableName="cit")
                self.assertEqual(d["ContributorInsightsStatus"], "ENABLED")
                self.assertEqual(d["ContributorInsightsMode"], "ACCESSED_AND_THROTTLED_KEYS")
                self.assertEqual(len(d["ContributorInsightsRuleList"]), 4)
                self.assertIn("LastUpdateDateTime", d)
                d = ddb.describe_contributor_insights(TableName="cit", IndexName="byG")
                self.assertEqual((d["IndexName"], d["ContributorInsightsStatus"], d["ContributorInsightsMode"]),
                                 ("byG", "ENABLED", "THROTTLED_KEYS"))
                self.assertEqual(ddb.describe_contributor_insights(TableName="cit2")["ContributorInsightsStatus"],
                                 "DISABLED")
                s = ddb.list_contributor_insights()["ContributorInsightsSummaries"]
                self.assertEqual([(x["TableName"], x.get("IndexName"), x["ContributorInsightsStatus"]) for x in s],
                                 [("cit", None, "ENABLED"), ("cit", "byG", "ENABLED")])
                s = ddb.list_contributor_insights(TableName="cit2")["ContributorInsightsSummaries"]
                self.assertEqual(s, [{"TableName": "cit2", "ContributorInsightsStatus": "DISABLED"}])
            check()
            srv.stop()
            srv.start()
            ddb = srv.client("dynamodb")
            check()
            # Paging: one summary a page, the token leading on.
            p1 = ddb.list_contributor_insights(MaxResults=1)
            self.assertEqual(len(p1["ContributorInsightsSummaries"]), 1)
            p2 = ddb.list_contributor_insights(MaxResults=1, NextToken=p1["NextToken"])
            self.assertEqual(p2["ContributorInsightsSummaries"][0].get("IndexName"), "byG")
            self.assertNotIn("NextToken", p2)
            with self.assertRaises(ClientError) as e:
                ddb.list_contributor_insights(NextToken="zz")
            self.assertEqual(err(e), ("ValidationException", "Invalid NextToken"))
            # Disabled again; a table deleted and made anew starts DISABLED.
            r = ddb.update_contributor_insights(TableName="cit", ContributorInsightsAction="DISABLE")
            self.assertEqual(r["ContributorInsightsStatus"], "DISABLING")
            self.assertEqual(ddb.describe_contributor_insights(TableName="cit")["ContributorInsightsStatus"], "DISABLED")
            ddb.delete_table(TableName="cit")
            make_table(ddb, "cit", gsi=True)
            d = ddb.describe_contributor_insights(TableName="cit", IndexName="byG")
            self.assertEqual(d["ContributorInsightsStatus"], "DISABLED")
            self.assertEqual(ddb.list_contributor_insights()["ContributorInsightsSummaries"], [])
        finally:
            srv.finish()


if __name__ == "__main__":
    unittest.main()
