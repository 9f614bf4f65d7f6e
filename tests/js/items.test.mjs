// SPDX-License-Identifier: Apache-2.0
// DynamoDB items through the AWS SDK for JavaScript v3 DocumentClient (node --test).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, CreateTableCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient, PutCommand, GetCommand, UpdateCommand, DeleteCommand, QueryCommand,
  ScanCommand, BatchWriteCommand, BatchGetCommand, TransactWriteCommand, TransactGetCommand,
} from "@aws-sdk/lib-dynamodb";

const STRATUSD = process.env.STRATUSD ?? new URL("../../build/stratusd", import.meta.url).pathname;
let proc, dir, doc;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "stratus-js-items-"));
  const portFile = join(dir, "port");
  proc = spawn(STRATUSD, ["--listen", "127.0.0.1:0", "--data-dir", join(dir, "db"), "--port-file", portFile,
                          "--threads", "2", "--log-level", "warn"], { stdio: "ignore" });
  for (let i = 0; i < 500 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 20));
  const endpoint = `http://127.0.0.1:${readFileSync(portFile, "utf8").trim()}`;
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", maxAttempts: 1,
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
