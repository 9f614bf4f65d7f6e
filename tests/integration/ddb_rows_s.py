# SPDX-License-Identifier: Apache-2.0
"""Validation-table rows of issue 17, package S: DynamoDB Streams' details, UpdateTable's stream
and replica settings, and the operations a single-region server answers as a region without them
(global tables, contributor insights, Kinesis streaming destinations)."""
import re

from ddb_rows import Row

SHARD_NONE = "shardId-00000000000000000000-00000000"  # a well-formed id that names no shard


def _stream_arn(ctx):
    if "s_arn" not in ctx.vars:
        ctx.vars["s_arn"] = ctx.streams.list_streams(TableName="v_stream")["Streams"][0]["StreamArn"]
    return ctx.vars["s_arn"]


def _shard(ctx):
    d = ctx.streams.describe_stream(StreamArn=_stream_arn(ctx))["StreamDescription"]
    return d["Shards"][-1]["ShardId"]


def _after_last(ctx):
    """An AT_SEQUENCE_NUMBER iterator for a number beyond the shard's last record."""
    ctx.ddb.put_item(TableName="v_stream", Item={"pk": {"S": "s-row"}})
    arn, shard = _stream_arn(ctx), _shard(ctx)
    it = ctx.streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    recs = ctx.streams.get_records(ShardIterator=it)["Records"]
    last = int(recs[-1]["dynamodb"]["SequenceNumber"])
    return {"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "AT_SEQUENCE_NUMBER",
            "SequenceNumber": "%021d" % (last + 1000)}


KINESIS_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/nowhere"

ROWS = [
    # ---- UpdateTable's StreamSpecification ----
    Row("S-001", "disabling a stream on a table that has none", "ValidationException",
        "Table has no stream to disable: TableName: v_hash", op="UpdateTable",
        params={"TableName": "v_hash", "StreamSpecification": {"StreamEnabled": False}},
        source="observed DynamoDB answer quoted in aws-controllers-k8s/community#2782"),
    Row("S-002", "enabling a stream on a table whose stream is enabled", "ValidationException",
        "Table already has an enabled stream: TableName: v_stream", op="UpdateTable",
        params={"TableName": "v_stream", "StreamSpecification": {
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}},
        source="observed DynamoDB answer quoted in scylladb/scylladb#6939 (Alternator's "
               "test_streams_change_type, run against DynamoDB)"),
    Row("S-003", "UpdateTable ReplicaUpdates naming the table's own region", "ValidationException",
        "Cannot add, delete, or update the local region through ReplicaUpdates. Use CreateTable, "
        "DeleteTable, or UpdateTable as required.", op="UpdateTable",
        params={"TableName": "v_hash", "ReplicaUpdates": [{"Create": {"RegionName": "us-east-1"}}]},
        source="observed DynamoDB answer quoted in aws/aws-cli#4906 and aws/aws-cdk#6287"),
    Row("S-023", "UpdateTable disabling a stream with a StreamViewType", "ValidationException",
        "One or more parameter values were invalid: If stream is being disabled, then "
        "UpdateViewType must not be specified", op="UpdateTable",
        params={"TableName": "v_stream", "StreamSpecification": {
            "StreamEnabled": False, "StreamViewType": "NEW_AND_OLD_IMAGES"}},
        source="observed DynamoDB answer quoted in hashicorp/terraform-provider-aws#1134"),
    Row("S-024", "CreateTable with a disabled stream and a StreamViewType", "ValidationException",
        "One or more parameter values were invalid: Table is being created with a stream "
        "disabled, UpdateViewType should not be specified", op="CreateTable",
        params={"TableName": "v_s024", "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "StreamSpecification": {"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}},
        source="observed DynamoDB answer (eu-west-2) quoted in nubo-db/dynoxide#115 from the "
               "Parity Suite's conformance tests"),
    # ---- DynamoDB Streams ----
    Row("S-004", "DescribeStream ShardFilter of an unknown type", "ValidationException",
        "1 validation error detected: Value 'PARENT_SHARDS' at 'shardFilter.type' failed to "
        "satisfy constraint: Member must satisfy enum value set: [CHILD_SHARDS]",
        op="DescribeStream", service="dynamodbstreams",
        params=lambda ctx: {"StreamArn": _stream_arn(ctx),
                            "ShardFilter": {"Type": "PARENT_SHARDS", "ShardId": SHARD_NONE}},
        source="Streams API reference: ShardFilterType enum [CHILD_SHARDS]; DynamoDB's "
               "constraint-violation format"),
    Row("S-005", "DescribeStream ShardFilter ShardId shorter than 28", "ValidationException",
        "1 validation error detected: Value 'shardId-1' at 'shardFilter.shardId' failed to "
        "satisfy constraint: Member must have length greater than or equal to 28",
        op="DescribeStream", service="dynamodbstreams",
        params=lambda ctx: {"StreamArn": _stream_arn(ctx),
                            "ShardFilter": {"Type": "CHILD_SHARDS", "ShardId": "shardId-1"}},
        source="Streams API reference: ShardId length 28-65"),
    Row("S-006", "GetShardIterator SequenceNumber shorter than 21 digits", "ValidationException",
        "1 validation error detected: Value '123' at 'sequenceNumber' failed to satisfy "
        "constraint: Member must have length greater than or equal to 21",
        op="GetShardIterator", service="dynamodbstreams",
        params=lambda ctx: {"StreamArn": _stream_arn(ctx), "ShardId": _shard(ctx),
                            "ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": "123"},
        source="Streams API reference: SequenceNumber length 21-40"),
    Row("S-007", "GetShardIterator on a shard that does not exist", "ResourceNotFoundException",
        "Requested resource not found: Shard does not exist", op="GetShardIterator",
        service="dynamodbstreams",
        params=lambda ctx: {"StreamArn": _stream_arn(ctx), "ShardId": SHARD_NONE,
                            "ShardIteratorType": "LATEST"},
        source="Streams API reference (ResourceNotFoundException); observed type recorded by "
               "Alternator's test_get_shard_iterator_for_nonexistent_shard"),
    Row("S-008", "GetShardIterator with a sequence number beyond the shard's last record",
        "ValidationException",
        re.compile(r"StartingSequenceNumber \d{21} used in GetShardIterator on shard "
                   r"shardId-\d{20}-[0-9a-f]{8} in stream arn:aws:dynamodb:us-east-1:000000000000:"
                   r"table/v_stream/stream/\S+ under account 000000000000 is invalid because it "
                   r"did not come from this stream\."),
        op="GetShardIterator", service="dynamodbstreams", params=_after_last,
        source="Kinesis's wording for the same shard-model check (DynamoDB Streams shares it); "
               "DynamoDB's own text not found recorded"),
    Row("S-009", "GetRecords Limit above 1000", "ValidationException",
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000", op="GetRecords",
        service="dynamodbstreams", params={"ShardIterator": "x" * 72, "Limit": 1001},
        source="Streams API reference (Limit 1-1000); Alternator's "
               "test_get_records_too_high_limit, run against DynamoDB"),
    Row("S-010", "GetRecords Limit 0", "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1", op="GetRecords",
        service="dynamodbstreams", params={"ShardIterator": "x" * 72, "Limit": 0},
        source="Streams API reference (Limit 1-1000)"),
    # ---- global tables (version 2017.11.29) ----
    Row("S-011", "DescribeGlobalTable of a global table that does not exist",
        "GlobalTableNotFoundException",
        "Global table not found: Global table with name: 'v_hash' does not exist.",
        op="DescribeGlobalTable", params={"GlobalTableName": "v_hash"},
        source="API reference: DescribeGlobalTable errors (GlobalTableNotFoundException); "
               "message wording as observed from DynamoDB, not found verbatim in the references"),
    Row("S-012", "DescribeGlobalTableSettings of a global table that does not exist",
        "GlobalTableNotFoundException",
        "Global table not found: Global table with name: 'v_hash' does not exist.",
        op="DescribeGlobalTableSettings", params={"GlobalTableName": "v_hash"},
        source="API reference: DescribeGlobalTableSettings errors"),
    Row("S-013", "UpdateGlobalTable of a global table that does not exist",
        "GlobalTableNotFoundException",
        "Global table not found: Global table with name: 'v_hash' does not exist.",
        op="UpdateGlobalTable",
        params={"GlobalTableName": "v_hash",
                "ReplicaUpdates": [{"Create": {"RegionName": "eu-west-1"}}]},
        source="API reference: UpdateGlobalTable errors"),
    Row("S-014", "CreateGlobalTable with a replica in a region without the table",
        "TableNotFoundException",
        "Table not found: Table: 'v_hash' not found in region: 'eu-west-1'.",
        op="CreateGlobalTable",
        params={"GlobalTableName": "v_hash",
                "ReplicationGroup": [{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}]},
        source="observed DynamoDB answer quoted in aws-controllers-k8s/community#1034"),
    Row("S-015", "a GlobalTableName shorter than 3", "ValidationException",
        "1 validation error detected: Value 'ab' at 'globalTableName' failed to satisfy "
        "constraint: Member must have length greater than or equal to 3",
        op="DescribeGlobalTable", params={"GlobalTableName": "ab"},
        source="API reference: GlobalTableName length 3-255"),
    Row("S-016", "ListGlobalTables Limit 0", "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
        op="ListGlobalTables", params={"Limit": 0},
        source="API reference: ListGlobalTables Limit minimum 1"),
    # ---- contributor insights ----
    Row("S-017", "DescribeContributorInsights of a table that does not exist",
        "ResourceNotFoundException", "Requested resource not found: Table: v_missing not found",
        op="DescribeContributorInsights", params={"TableName": "v_missing"},
        source="API reference: DescribeContributorInsights errors; DynamoDB's table-not-found "
               "wording"),
    Row("S-018", "UpdateContributorInsights with an unknown action", "ValidationException",
        "1 validation error detected: Value 'START' at 'contributorInsightsAction' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ENABLE, DISABLE]",
        op="UpdateContributorInsights",
        params={"TableName": "v_hash", "ContributorInsightsAction": "START"},
        source="API reference: ContributorInsightsAction enum"),
    Row("S-019", "ListContributorInsights MaxResults above 100", "ValidationException",
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 100",
        op="ListContributorInsights", params={"MaxResults": 101},
        source="API reference: ListContributorInsights MaxResults maximum 100"),
    # ---- Kinesis streaming destinations ----
    Row("S-020", "EnableKinesisStreamingDestination StreamArn shorter than 37",
        "ValidationException",
        "1 validation error detected: Value 'arn:aws:kinesis' at 'streamArn' failed to satisfy "
        "constraint: Member must have length greater than or equal to 37",
        op="EnableKinesisStreamingDestination",
        params={"TableName": "v_hash", "StreamArn": "arn:aws:kinesis"},
        source="API reference: StreamArn length 37-1024"),
    Row("S-021", "EnableKinesisStreamingDestination for a Kinesis stream that does not exist",
        "ResourceNotFoundException",
        "Requested resource not found: Kinesis stream: " + KINESIS_ARN + " not found",
        op="EnableKinesisStreamingDestination",
        params={"TableName": "v_hash", "StreamArn": KINESIS_ARN},
        source="API reference: EnableKinesisStreamingDestination errors "
               "(ResourceNotFoundException); Stratus's wording (there is no Kinesis here)"),
    Row("S-022", "DescribeKinesisStreamingDestination of a table that does not exist",
        "ResourceNotFoundException", "Requested resource not found: Table: v_missing not found",
        op="DescribeKinesisStreamingDestination", params={"TableName": "v_missing"},
        source="API reference: DescribeKinesisStreamingDestination errors"),
    # ---- continuous backups ----
    Row("S-025", "UpdateContinuousBackups RecoveryPeriodInDays above 35", "ValidationException",
        "1 validation error detected: Value '36' at "
        "'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: "
        "Member must have value less than or equal to 35", op="UpdateContinuousBackups",
        params={"TableName": "v_hash", "PointInTimeRecoverySpecification": {
            "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 36}},
        source="API reference: PointInTimeRecoverySpecification.RecoveryPeriodInDays 1-35"),
    Row("S-026", "UpdateContinuousBackups RecoveryPeriodInDays 0", "ValidationException",
        "1 validation error detected: Value '0' at "
        "'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1", op="UpdateContinuousBackups",
        params={"TableName": "v_hash", "PointInTimeRecoverySpecification": {
            "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 0}},
        source="API reference: PointInTimeRecoverySpecification.RecoveryPeriodInDays 1-35"),
]
