// SPDX-License-Identifier: Apache-2.0
// Issue 17, package S through the AWS SDK for JavaScript v3 (node --test): DynamoDB Streams'
// ShardFilter CHILD_SHARDS and sequence-number refusals with @aws-sdk/client-dynamodb-streams,
// a removes-only UpdateItem on a missing item writing nothing, and the API shape infrastructure
// tools read (contributor insights, Kinesis destinations, global tables, continuous backups).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DynamoDBClient, CreateTableCommand, PutItemCommand, UpdateItemCommand, GetItemCommand,
  UpdateTableCommand, DescribeContinuousBackupsCommand, DescribeContributorInsightsCommand,
  UpdateContributorInsightsCommand, ListContributorInsightsCommand,
  DescribeKinesisStreamingDestinationCommand, EnableKinesisStreamingDestinationCommand,
  ListGlobalTablesCommand, DescribeGlobalTableCommand, DescribeGlobalTableSettingsCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DynamoDBStreamsClient, DescribeStreamCommand, GetShardIteratorCommand, GetRecordsCommand,
} from "@aws-sdk/client-dynamodb-streams";

const STRATUSD = process.env.STRATUSD ?? new URL("../../build/stratusd", import.meta.url).pathname;
let proc, dir, ddb, streams;
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "stratus-js-streams17-"));
  const portFile = join(dir, "port");
  // Shards roll over every second, so a stream soon has parents and children.
  proc = spawn(STRATUSD, ["--listen", "127.0.0.1:0", "--data-dir", join(dir, "db"), "--port-file", portFile,
                          "--threads", "2", "--log-level", "warn", "--stream-shard-seconds", "1"],
               { stdio: "ignore" });
  for (let i = 0; i < 500 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 20));
  const endpoint = `http://127.0.0.1:${readFileSync(portFile, "utf8").trim()}`;
  ddb = new DynamoDBClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
  streams = new DynamoDBStreamsClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
});

after(() => {
  proc.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function table(name, stream) {
  const r = await ddb.send(new CreateTableCommand({
    TableName: name, BillingMode: "PAY_PER_REQUEST",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream } } : {}),
  }));
  return r.TableDescription.LatestStreamArn;
}

async function records(arn) {
  const out = [];
  const d = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
  for (const sh of d.StreamDescription.Shards) {
    let it = (await streams.send(new GetShardIteratorCommand({
      StreamArn: arn, ShardId: sh.ShardId, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
    for (let i = 0; i < 20 && it; i++) {
      const r = await streams.send(new GetRecordsCommand({ ShardIterator: it }));
      out.push(...r.Records);
      if (r.Records.length === 0) break;
      it = r.NextShardIterator;
    }
  }
  return out;
}

test("ShardFilter CHILD_SHARDS names each shard's child", async () => {
  const arn = await table("js-kids", "KEYS_ONLY");
  let shards = [];
  const deadline = Date.now() + 20000;
  for (let i = 0; shards.length < 3 && Date.now() < deadline; i++) {
    await ddb.send(new PutItemCommand({ TableName: "js-kids", Item: { pk: { S: `k${i}` } } }));
    await sleep(300);
    shards = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription.Shards;
  }
  assert.ok(shards.length >= 3, `only ${shards.length} shards`);
  for (let i = 0; i + 1 < shards.length; i++) {
    const d = await streams.send(new DescribeStreamCommand({
      StreamArn: arn, ShardFilter: { Type: "CHILD_SHARDS", ShardId: shards[i].ShardId } }));
    assert.deepEqual(d.StreamDescription.Shards.map((s) => s.ShardId), [shards[i + 1].ShardId]);
    assert.equal(d.StreamDescription.Shards[0].ParentShardId, shards[i].ShardId);
  }
  await assert.rejects(streams.send(new DescribeStreamCommand({
    StreamArn: arn, ShardFilter: { Type: "SIBLINGS", ShardId: shards[0].ShardId } })),
  (e) => e.name === "ValidationException" && /shardFilter\.type/.test(e.message));
  // A sequence number beyond a shard's records is refused for it.
  const last = shards[shards.length - 2];
  const end = BigInt(last.SequenceNumberRange.EndingSequenceNumber);
  await assert.rejects(streams.send(new GetShardIteratorCommand({
    StreamArn: arn, ShardId: last.ShardId, ShardIteratorType: "AT_SEQUENCE_NUMBER",
    SequenceNumber: (end + 1000n).toString().padStart(21, "0") })),
  (e) => e.name === "ValidationException" && /did not come from this stream/.test(e.message));
});

test("an UpdateItem that only removes creates nothing on a missing item", async () => {
  const arn = await table("js-noop", "NEW_AND_OLD_IMAGES");
  await ddb.send(new UpdateItemCommand({ TableName: "js-noop", Key: { pk: { S: "a" } }, UpdateExpression: "REMOVE x" }));
  const g = await ddb.send(new GetItemCommand({ TableName: "js-noop", Key: { pk: { S: "a" } }, ConsistentRead: true }));
  assert.equal(g.Item, undefined);
  await ddb.send(new UpdateItemCommand({ TableName: "js-noop", Key: { pk: { S: "b" } },
    UpdateExpression: "SET x = :v", ExpressionAttributeValues: { ":v": { S: "1" } } }));
  const recs = await records(arn);
  assert.deepEqual(recs.map((r) => [r.eventName, r.dynamodb.Keys.pk.S]), [["INSERT", "b"]]);
});

test("the API shape terraform and the CDK read", async () => {
  await table("js-shape");
  const cb = await ddb.send(new DescribeContinuousBackupsCommand({ TableName: "js-shape" }));
  assert.equal(cb.ContinuousBackupsDescription.ContinuousBackupsStatus, "ENABLED");
  assert.equal(cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus, "DISABLED");
  const k = await ddb.send(new DescribeKinesisStreamingDestinationCommand({ TableName: "js-shape" }));
  assert.deepEqual(k.KinesisDataStreamDestinations, []);
  await assert.rejects(ddb.send(new EnableKinesisStreamingDestinationCommand({
    TableName: "js-shape", StreamArn: "arn:aws:kinesis:us-east-1:000000000000:stream/none" })),
  (e) => e.name === "ResourceNotFoundException");
  assert.equal((await ddb.send(new DescribeContributorInsightsCommand({ TableName: "js-shape" })))
    .ContributorInsightsStatus, "DISABLED");
  const u = await ddb.send(new UpdateContributorInsightsCommand({ TableName: "js-shape", ContributorInsightsAction: "ENABLE" }));
  assert.equal(u.ContributorInsightsStatus, "ENABLING");
  const d = await ddb.send(new DescribeContributorInsightsCommand({ TableName: "js-shape" }));
  assert.equal(d.ContributorInsightsStatus, "ENABLED");
  assert.ok(d.LastUpdateDateTime instanceof Date);
  const l = await ddb.send(new ListContributorInsightsCommand({}));
  assert.deepEqual(l.ContributorInsightsSummaries.map((s) => [s.TableName, s.ContributorInsightsStatus]),
    [["js-shape", "ENABLED"]]);
  assert.deepEqual((await ddb.send(new ListGlobalTablesCommand({}))).GlobalTables, []);
  for (const C of [DescribeGlobalTableCommand, DescribeGlobalTableSettingsCommand]) {
    await assert.rejects(ddb.send(new C({ GlobalTableName: "js-shape" })),
      (e) => e.name === "GlobalTableNotFoundException" &&
             e.message === "Global table not found: Global table with name: 'js-shape' does not exist.");
  }
  await assert.rejects(ddb.send(new UpdateTableCommand({ TableName: "js-shape",
    ReplicaUpdates: [{ Create: { RegionName: "us-east-1" } }] })),
  (e) => e.name === "ValidationException" && /local region through ReplicaUpdates/.test(e.message));
});
