// SPDX-License-Identifier: Apache-2.0
// DynamoDB items through the AWS SDK for JavaScript v3 DocumentClient (node --test).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, existsSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, CreateTableCommand, DescribeTableCommand, UpdateTableCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient, PutCommand, GetCommand, UpdateCommand, DeleteCommand, QueryCommand,
  ScanCommand, BatchWriteCommand, BatchGetCommand, TransactWriteCommand, TransactGetCommand,
  ExecuteStatementCommand, BatchExecuteStatementCommand, ExecuteTransactionCommand,
} from "@aws-sdk/lib-dynamodb";
import { lambdaRole } from "./stratus.mjs";

const STRATUSD = process.env.STRATUSD ?? new URL("../../build/stratusd", import.meta.url).pathname;
let proc, dir, doc, client;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "stratus-js-items-"));
  const portFile = join(dir, "port");
  proc = spawn(STRATUSD, ["--listen", "127.0.0.1:0", "--data-dir", join(dir, "db"), "--port-file", portFile,
                          "--threads", "2", "--log-level", "warn"], { stdio: "ignore" });
  for (let i = 0; i < 500 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 20));
  const endpoint = `http://127.0.0.1:${readFileSync(portFile, "utf8").trim()}`;
  client = new DynamoDBClient({ endpoint, region: "us-east-1", maxAttempts: 1,
                                      credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  await client.send(new CreateTableCommand({
    TableName: "docs",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "S" }],
    BillingMode: "PAY_PER_REQUEST",
  }));
  doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
});

after(() => {
  proc.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

test("put, get, update, delete with native values", async () => {
  const item = { pk: "user#1", sk: "profile", name: "Ada", age: 36, tags: new Set(["a", "b"]),
                 address: { city: "London", zip: null }, things: [1, "two", true] };
  await doc.send(new PutCommand({ TableName: "docs", Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
  const got = await doc.send(new GetCommand({ TableName: "docs", Key: { pk: "user#1", sk: "profile" } }));
  assert.equal(got.Item.name, "Ada");
  assert.equal(got.Item.age, 36);
  assert.deepEqual([...got.Item.tags].sort(), ["a", "b"]);
  assert.deepEqual(got.Item.address, { city: "London", zip: null });
  assert.deepEqual(got.Item.things, [1, "two", true]);
  await assert.rejects(doc.send(new PutCommand({ TableName: "docs", Item: item, ConditionExpression: "attribute_not_exists(pk)" })),
    (e) => e.name === "ConditionalCheckFailedException");
  const upd = await doc.send(new UpdateCommand({
    TableName: "docs", Key: { pk: "user#1", sk: "profile" },
    UpdateExpression: "SET age = age + :one, address.city = :c REMOVE things[0] ADD tags :t",
    ExpressionAttributeValues: { ":one": 1, ":c": "Paris", ":t": new Set(["c"]) }, ReturnValues: "ALL_NEW",
  }));
  assert.equal(upd.Attributes.age, 37);
  assert.equal(upd.Attributes.address.city, "Paris");
  assert.deepEqual(upd.Attributes.things, ["two", true]);
  assert.equal(upd.Attributes.tags.size, 3);
  const del = await doc.send(new DeleteCommand({ TableName: "docs", Key: { pk: "user#1", sk: "profile" }, ReturnValues: "ALL_OLD" }));
  assert.equal(del.Attributes.age, 37);
  const gone = await doc.send(new GetCommand({ TableName: "docs", Key: { pk: "user#1", sk: "profile" } }));
  assert.equal(gone.Item, undefined);
});

test("batch write, query with begins_with and paging, scan, batch get", async () => {
  const puts = [];
  for (let i = 0; i < 20; i++) puts.push({ PutRequest: { Item: { pk: "orders", sk: `2024-01-${String(i + 1).padStart(2, "0")}`, total: i } } });
  await doc.send(new BatchWriteCommand({ RequestItems: { docs: puts.slice(0, 10) } }));
  await doc.send(new BatchWriteCommand({ RequestItems: { docs: puts.slice(10) } }));
  const q = await doc.send(new QueryCommand({
    TableName: "docs", KeyConditionExpression: "pk = :p AND begins_with(sk, :prefix)",
    ExpressionAttributeValues: { ":p": "orders", ":prefix": "2024-01-1" },
  }));
  assert.deepEqual(q.Items.map((i) => i.sk), ["2024-01-10", "2024-01-11", "2024-01-12", "2024-01-13", "2024-01-14",
    "2024-01-15", "2024-01-16", "2024-01-17", "2024-01-18", "2024-01-19"]);
  let seen = [], start;
  do {
    const r = await doc.send(new QueryCommand({ TableName: "docs", KeyConditionExpression: "pk = :p",
      ExpressionAttributeValues: { ":p": "orders" }, Limit: 6, ScanIndexForward: false, ExclusiveStartKey: start }));
    seen.push(...r.Items.map((i) => i.total));
    start = r.LastEvaluatedKey;
  } while (start);
  assert.deepEqual(seen, [...Array(20).keys()].reverse());
  const s = await doc.send(new ScanCommand({ TableName: "docs", FilterExpression: "#t >= :min",
    ExpressionAttributeNames: { "#t": "total" }, ExpressionAttributeValues: { ":min": 15 } }));
  assert.equal(s.Count, 5);
  assert.equal(s.ScannedCount, 20);
  const bg = await doc.send(new BatchGetCommand({ RequestItems: { docs: { Keys: [{ pk: "orders", sk: "2024-01-01" }, { pk: "orders", sk: "none" }] } } }));
  assert.equal(bg.Responses.docs.length, 1);
  assert.equal(bg.Responses.docs[0].total, 0);
});

test("transactions: all or nothing, reasons in order", async () => {
  await doc.send(new TransactWriteCommand({ TransactItems: [
    { Put: { TableName: "docs", Item: { pk: "tx", sk: "a", bal: 50 } } },
    { Put: { TableName: "docs", Item: { pk: "tx", sk: "b", bal: 0 } } }] }));
  const move = (amt) => doc.send(new TransactWriteCommand({ TransactItems: [
    { Update: { TableName: "docs", Key: { pk: "tx", sk: "a" }, UpdateExpression: "SET bal = bal - :x",
                ConditionExpression: "bal >= :x", ExpressionAttributeValues: { ":x": amt } } },
    { Update: { TableName: "docs", Key: { pk: "tx", sk: "b" }, UpdateExpression: "SET bal = bal + :x",
                ExpressionAttributeValues: { ":x": amt } } }] }));
  await move(20);
  await assert.rejects(move(40), (e) => e.name === "TransactionCanceledException" &&
    e.CancellationReasons.map((r) => r.Code).join() === "ConditionalCheckFailed,None");
  const got = await doc.send(new TransactGetCommand({ TransactItems: [
    { Get: { TableName: "docs", Key: { pk: "tx", sk: "a" } } },
    { Get: { TableName: "docs", Key: { pk: "tx", sk: "b" } } }] }));
  assert.deepEqual(got.Responses.map((r) => r.Item.bal), [30, 20]);
});

test("validation errors reach the SDK with DynamoDB's names", async () => {
  await assert.rejects(doc.send(new PutCommand({ TableName: "docs", Item: { pk: "x" } })),
    (e) => e.name === "ValidationException" && /Missing the key sk in the item/.test(e.message));
  await assert.rejects(doc.send(new QueryCommand({ TableName: "docs", KeyConditionExpression: "sk = :s",
    ExpressionAttributeValues: { ":s": "x" } })),
    (e) => e.name === "ValidationException" && /Query condition missed key schema element: pk/.test(e.message));
  await assert.rejects(doc.send(new GetCommand({ TableName: "nope", Key: { pk: "x", sk: "y" } })),
    (e) => e.name === "ResourceNotFoundException");
});

test("secondary indexes: GSI and LSI queries, a GSI added by UpdateTable", async () => {
  await client.send(new CreateTableCommand({
    TableName: "ixt",
    KeySchema: [{ AttributeName: "user", KeyType: "HASH" }, { AttributeName: "ts", KeyType: "RANGE" }],
    AttributeDefinitions: [{ AttributeName: "user", AttributeType: "S" }, { AttributeName: "ts", AttributeType: "N" },
                           { AttributeName: "kind", AttributeType: "S" }, { AttributeName: "size", AttributeType: "N" }],
    GlobalSecondaryIndexes: [{ IndexName: "by_kind", KeySchema: [{ AttributeName: "kind", KeyType: "HASH" },
                                                                { AttributeName: "ts", KeyType: "RANGE" }],
                               Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["title"] } }],
    LocalSecondaryIndexes: [{ IndexName: "by_size", KeySchema: [{ AttributeName: "user", KeyType: "HASH" },
                                                               { AttributeName: "size", KeyType: "RANGE" }],
                              Projection: { ProjectionType: "ALL" } }],
    BillingMode: "PAY_PER_REQUEST",
  }));
  for (let i = 0; i < 12; i++)
    await doc.send(new PutCommand({ TableName: "ixt", Item: { user: `u${i % 3}`, ts: i, kind: i % 2 ? "photo" : "note",
                                                             size: 100 - i, title: `t${i}`, body: "x".repeat(i) } }));
  const photos = await doc.send(new QueryCommand({ TableName: "ixt", IndexName: "by_kind",
    KeyConditionExpression: "kind = :k AND ts > :t", ExpressionAttributeValues: { ":k": "photo", ":t": 4 } }));
  assert.deepEqual(photos.Items.map((i) => i.ts), [5, 7, 9, 11]);
  assert.deepEqual(Object.keys(photos.Items[0]).sort(), ["kind", "title", "ts", "user"]);
  const small = await doc.send(new QueryCommand({ TableName: "ixt", IndexName: "by_size", Limit: 2,
    KeyConditionExpression: "#u = :u", ExpressionAttributeNames: { "#u": "user" }, ExpressionAttributeValues: { ":u": "u0" } }));
  assert.deepEqual(small.Items.map((i) => i.size), [91, 94]);
  assert.deepEqual(Object.keys(small.LastEvaluatedKey).sort(), ["size", "ts", "user"]);
  await client.send(new UpdateTableCommand({ TableName: "ixt",
    AttributeDefinitions: [{ AttributeName: "title", AttributeType: "S" }],
    GlobalSecondaryIndexUpdates: [{ Create: { IndexName: "by_title", KeySchema: [{ AttributeName: "title", KeyType: "HASH" }],
                                              Projection: { ProjectionType: "KEYS_ONLY" } } }] }));
  let status;
  for (let i = 0; i < 200; i++) {
    const d = await client.send(new DescribeTableCommand({ TableName: "ixt" }));
    status = d.Table.GlobalSecondaryIndexes.find((g) => g.IndexName === "by_title").IndexStatus;
    if (status === "ACTIVE") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(status, "ACTIVE");
  const t7 = await doc.send(new QueryCommand({ TableName: "ixt", IndexName: "by_title",
    KeyConditionExpression: "title = :t", ExpressionAttributeValues: { ":t": "t7" } }));
  assert.deepEqual(t7.Items, [{ user: "u1", ts: 7, title: "t7" }]);
  await client.send(new UpdateTableCommand({ TableName: "ixt",
    GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: "by_title" } }] }));
  await assert.rejects(doc.send(new QueryCommand({ TableName: "ixt", IndexName: "by_title",
    KeyConditionExpression: "title = :t", ExpressionAttributeValues: { ":t": "t7" } })),
    (e) => e.name === "ValidationException" && /does not have the specified index: by_title/.test(e.message));
});

test("PartiQL: statements, batches and transactions with native parameters", async () => {
  await doc.send(new ExecuteStatementCommand({ Statement: "INSERT INTO docs VALUE {'pk': ?, 'sk': ?, 'n': ?, 'tags': ?}",
                                               Parameters: ["pq", "1", 7, new Set(["a", "b"])] }));
  await assert.rejects(doc.send(new ExecuteStatementCommand({ Statement: "INSERT INTO docs VALUE {'pk': 'pq', 'sk': '1'}" })),
    (e) => e.name === "DuplicateItemException");
  const up = await doc.send(new ExecuteStatementCommand({
    Statement: "UPDATE docs SET n = n * 2 WHERE pk = 'pq' AND sk = '1'" })).catch((e) => e);
  assert.equal(up.name, "ValidationException");
  const r = await doc.send(new ExecuteStatementCommand({
    Statement: "UPDATE docs SET n = n + ? WHERE pk = 'pq' AND sk = '1' RETURNING ALL NEW *", Parameters: [3] }));
  assert.equal(r.Items[0].n, 10);
  assert.deepEqual([...r.Items[0].tags].sort(), ["a", "b"]);
  const b = await doc.send(new BatchExecuteStatementCommand({ Statements: [
    { Statement: "INSERT INTO docs VALUE {'pk': 'pq', 'sk': '2'}" },
    { Statement: "INSERT INTO docs VALUE {'pk': 'pq', 'sk': '1'}" }] }));
  assert.equal(b.Responses[0].Error, undefined);
  assert.equal(b.Responses[1].Error.Code, "DuplicateItem");
  await doc.send(new ExecuteTransactionCommand({ TransactStatements: [
    { Statement: "DELETE FROM docs WHERE pk = 'pq' AND sk = '2'" },
    { Statement: "UPDATE docs SET done = ? WHERE pk = 'pq' AND sk = '1'", Parameters: [true] }] }));
  const sel = await doc.send(new ExecuteStatementCommand({ Statement: "SELECT sk, done FROM docs WHERE pk = ?", Parameters: ["pq"] }));
  assert.deepEqual(sel.Items, [{ sk: "1", done: true }]);
});

test("DynamoDB Streams: records of every change through the JS SDK", async () => {
  const { DynamoDBStreamsClient, DescribeStreamCommand, GetShardIteratorCommand, GetRecordsCommand, ListStreamsCommand } =
    await import("@aws-sdk/client-dynamodb-streams");
  const t = await client.send(new CreateTableCommand({
    TableName: "streamed", KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }], BillingMode: "PAY_PER_REQUEST",
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" } }));
  const arn = t.TableDescription.LatestStreamArn;
  await doc.send(new PutCommand({ TableName: "streamed", Item: { pk: "x", n: 1 } }));
  await doc.send(new UpdateCommand({ TableName: "streamed", Key: { pk: "x" }, UpdateExpression: "SET n = :n",
                                     ExpressionAttributeValues: { ":n": 2 } }));
  await doc.send(new DeleteCommand({ TableName: "streamed", Key: { pk: "x" } }));
  const st = new DynamoDBStreamsClient({ endpoint: await client.config.endpoint().then((e) => `${e.protocol}//${e.hostname}:${e.port}`),
                                         region: "us-east-1", maxAttempts: 1,
                                         credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const list = await st.send(new ListStreamsCommand({ TableName: "streamed" }));
  assert.equal(list.Streams[0].StreamArn, arn);
  const d = await st.send(new DescribeStreamCommand({ StreamArn: arn }));
  const it = await st.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: d.StreamDescription.Shards[0].ShardId,
                                                         ShardIteratorType: "TRIM_HORIZON" }));
  const r = await st.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
  assert.deepEqual(r.Records.map((x) => x.eventName), ["INSERT", "MODIFY", "REMOVE"]);
  assert.deepEqual(r.Records[1].dynamodb.OldImage, { pk: { S: "x" }, n: { N: "1" } });
  assert.ok(r.NextShardIterator);
});

test("Lambda: a Python function invoked directly, fed by a table stream and by S3 notifications", async () => {
  const { LambdaClient, CreateFunctionCommand, InvokeCommand, CreateEventSourceMappingCommand,
          GetEventSourceMappingCommand } = await import("@aws-sdk/client-lambda");
  const endpoint = await client.config.endpoint().then((e) => `${e.protocol}//${e.hostname}:${e.port}`);
  const lam = new LambdaClient({ endpoint, region: "us-east-1", maxAttempts: 1,
                                 credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  // A one-file zip made by hand (stored, no compression): app.py.
  const src = Buffer.from(
    "import json, os, socket, urllib.request\n" +
    "def handler(event, context):\n" +
    "    if 'Records' in event:\n" +
    "        with socket.create_connection(('127.0.0.1', int(os.environ['OUT'][4:]))) as f:\n" +
    "            for r in event['Records']:\n" +
    "                key = r['s3']['object']['key'] if 's3' in r else r['dynamodb']['Keys']['pk']['S']\n" +
    "                f.sendall((r['eventName'] + ' ' + key + '\\n').encode())\n" +
    "        return {}\n" +
    "    return {'sum': event['a'] + event['b']}\n");
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const name = Buffer.from("app.py");
  const local = Buffer.alloc(30); local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc(src), 14); local.writeUInt32LE(src.length, 18); local.writeUInt32LE(src.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46); central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6); central.writeUInt32LE(crc(src), 16); central.writeUInt32LE(src.length, 20);
  central.writeUInt32LE(src.length, 24); central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22); end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + name.length, 12); end.writeUInt32LE(30 + name.length + src.length, 16);
  const zip = Buffer.concat([local, name, src, central, name, end]);
  const out = join(dir, "stream-events.txt");
  // The function (in its sandbox, which cannot write the host's files) sends its lines to a
  // loopback listener here, which appends each connection's bytes to out.
  const collector = createServer((c) => {
    const parts = [];
    c.on("data", (d) => parts.push(d));
    c.on("end", () => appendFileSync(out, Buffer.concat(parts)));
  });
  collector.unref();
  await new Promise((res) => collector.listen(0, "127.0.0.1", res));
  const role = await lambdaRole(endpoint, "js"); // issue 15: the role must exist and trust Lambda
  await lam.send(new CreateFunctionCommand({ FunctionName: "js-fn", Runtime: "python3.11", Handler: "app.handler",
    Role: role, Code: { ZipFile: zip },
    Environment: { Variables: { OUT: `tcp:${collector.address().port}` } } }));
  const r = await lam.send(new InvokeCommand({ FunctionName: "js-fn", Payload: Buffer.from(JSON.stringify({ a: 2, b: 3 })) }));
  assert.equal(r.StatusCode, 200);
  assert.deepEqual(JSON.parse(Buffer.from(r.Payload).toString()), { sum: 5 });
  const t = await client.send(new CreateTableCommand({
    TableName: "fed", KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }], BillingMode: "PAY_PER_REQUEST",
    StreamSpecification: { StreamEnabled: true, StreamViewType: "KEYS_ONLY" } }));
  const m = await lam.send(new CreateEventSourceMappingCommand({ FunctionName: "js-fn",
    EventSourceArn: t.TableDescription.LatestStreamArn, StartingPosition: "TRIM_HORIZON", BatchSize: 5 }));
  await doc.send(new PutCommand({ TableName: "fed", Item: { pk: "one" } }));
  await doc.send(new DeleteCommand({ TableName: "fed", Key: { pk: "one" } }));
  let lines = [];
  for (let i = 0; i < 100 && lines.length < 2; i++) {
    await new Promise((res) => setTimeout(res, 100));
    if (existsSync(out)) lines = readFileSync(out, "utf8").trim().split("\n");
  }
  assert.deepEqual(lines, ["INSERT one", "REMOVE one"]);
  assert.equal((await lam.send(new GetEventSourceMappingCommand({ UUID: m.UUID }))).State, "Enabled");
  // S3 event notifications: the same function runs on a bucket's writes.
  const { S3Client, CreateBucketCommand, PutBucketNotificationConfigurationCommand,
          GetBucketNotificationConfigurationCommand, PutObjectCommand, DeleteObjectCommand } =
    await import("@aws-sdk/client-s3");
  const s3 = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, maxAttempts: 1,
                            credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  await s3.send(new CreateBucketCommand({ Bucket: "js-events" }));
  await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: "js-events",
    NotificationConfiguration: { LambdaFunctionConfigurations: [{ Id: "all",
      LambdaFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:js-fn",
      Events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
      Filter: { Key: { FilterRules: [{ Name: "suffix", Value: ".json" }] } } }] } }));
  const conf = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: "js-events" }));
  assert.equal(conf.LambdaFunctionConfigurations[0].Id, "all");
  await s3.send(new PutObjectCommand({ Bucket: "js-events", Key: "skip.txt", Body: "no" }));
  await s3.send(new PutObjectCommand({ Bucket: "js-events", Key: "a/b c.json", Body: "{}" }));
  await s3.send(new DeleteObjectCommand({ Bucket: "js-events", Key: "a/b c.json" }));
  for (let i = 0; i < 100 && lines.length < 4; i++) {
    await new Promise((res) => setTimeout(res, 100));
    lines = readFileSync(out, "utf8").trim().split("\n");
  }
  assert.deepEqual(lines.slice(2), ["ObjectCreated:Put a/b+c.json", "ObjectRemoved:Delete a/b+c.json"]);

  // Asynchronous settings: a failed Event invocation's record lands in a bucket.
  const { PutFunctionEventInvokeConfigCommand, GetFunctionEventInvokeConfigCommand } =
    await import("@aws-sdk/client-lambda");
  const { ListObjectsV2Command, GetObjectCommand } = await import("@aws-sdk/client-s3");
  await s3.send(new CreateBucketCommand({ Bucket: "js-failures" }));
  await lam.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "js-fn", MaximumRetryAttempts: 0,
    DestinationConfig: { OnFailure: { Destination: "arn:aws:s3:::js-failures" } } }));
  const cfg = await lam.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "js-fn" }));
  assert.equal(cfg.MaximumRetryAttempts, 0);
  assert.equal(cfg.DestinationConfig.OnFailure.Destination, "arn:aws:s3:::js-failures");
  await lam.send(new InvokeCommand({ FunctionName: "js-fn", InvocationType: "Event",
                                     Payload: Buffer.from(JSON.stringify({ a: "no numbers" })) }));
  let keys = [];
  for (let i = 0; i < 100 && keys.length === 0; i++) {
    await new Promise((res) => setTimeout(res, 100));
    keys = ((await s3.send(new ListObjectsV2Command({ Bucket: "js-failures" }))).Contents ?? []).map((o) => o.Key);
  }
  assert.equal(keys.length, 1);
  assert.match(keys[0], /^aws\/lambda\/async\/js-fn\//);
  const rec = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: "js-failures", Key: keys[0] })))
    .Body.transformToString());
  assert.equal(rec.requestContext.condition, "RetriesExhausted");
  assert.deepEqual(rec.requestPayload, { a: "no numbers" });

  // The function's output through CloudWatch Logs.
  const { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } =
    await import("@aws-sdk/client-cloudwatch-logs");
  const logs = new CloudWatchLogsClient({ endpoint, region: "us-east-1", maxAttempts: 1,
                                          credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const streams = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: "/aws/lambda/js-fn" }))).logStreams;
  assert.ok(streams.length >= 1);
  const events = (await logs.send(new GetLogEventsCommand({ logGroupName: "/aws/lambda/js-fn",
    logStreamName: streams[0].logStreamName, startFromHead: true }))).events;
  assert.match(events[0].message, /^START RequestId: /);
  assert.ok(events.some((e) => e.message.startsWith("REPORT RequestId: ")));
});
