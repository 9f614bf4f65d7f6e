// SPDX-License-Identifier: Apache-2.0
// Compressed DynamoDB requests (issue 17, package H) through the AWS SDK for JavaScript v3: a
// middleware at the build step gzips (or deflates) each request body, so the SigV4 signature
// (finalizeRequest step) covers the bytes as sent. PutItem, Query, BatchWriteItem and
// GetItem, and a broken stream answered with DynamoDB's InternalServerError.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync, deflateSync } from "node:zlib";
import {
  DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand, QueryCommand, BatchWriteItemCommand,
} from "@aws-sdk/client-dynamodb";
import { useServer } from "./stratus.mjs";

const srv = useServer("ddb-compress", () => {});

// A client whose request bodies go out compressed with coding; sent records what went.
function compressing(coding, sent, corrupt = false) {
  const c = srv.client(DynamoDBClient);
  c.middlewareStack.add((next) => async (args) => {
    const body = args.request.body;
    if (body) {
      // The SDK's body is a Uint8Array (or a string): its bytes, without a string conversion.
      const raw = typeof body === "string" ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      let packed = coding === "gzip" ? gzipSync(raw) : deflateSync(raw);
      if (corrupt) packed = packed.subarray(0, packed.length - 3);
      args.request.body = packed;
      args.request.headers["content-encoding"] = coding;
      args.request.headers["content-length"] = String(packed.length);
      sent.push({ coding, plain: raw.length, packed: packed.length, magic: packed[0] });
    }
    return next(args);
  }, { step: "build", name: "compressBody", priority: "low" });
  return c;
}

test("PutItem, Query, BatchWriteItem and GetItem sent compressed", async () => {
  await srv.client(DynamoDBClient).send(new CreateTableCommand({
    TableName: "zjs", BillingMode: "PAY_PER_REQUEST",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "N" }],
  }));
  for (const coding of ["gzip", "deflate"]) {
    const sent = [];
    const c = compressing(coding, sent);
    const big = "z".repeat(200000);
    await c.send(new PutItemCommand({ TableName: "zjs", Item: { pk: { S: coding }, sk: { N: "0" }, big: { S: big } } }));
    await c.send(new BatchWriteItemCommand({ RequestItems: { zjs: Array.from({ length: 25 }, (_, i) => (
      { PutRequest: { Item: { pk: { S: coding }, sk: { N: String(i + 1) }, v: { S: `item ${i}` } } } })) } }));
    const q = await c.send(new QueryCommand({ TableName: "zjs", KeyConditionExpression: "pk = :p AND sk > :z",
                                              ExpressionAttributeValues: { ":p": { S: coding }, ":z": { N: "0" } } }));
    assert.equal(q.Count, 25);
    assert.equal(q.Items[24].v.S, "item 24");
    const g = await c.send(new GetItemCommand({ TableName: "zjs", Key: { pk: { S: coding }, sk: { N: "0" } },
                                                ConsistentRead: true }));
    assert.equal(g.Item.big.S, big);
    assert.equal(sent.length, 4);
    assert.ok(sent.every((s) => s.coding === coding && s.magic === (coding === "gzip" ? 0x1f : 0x78)), JSON.stringify(sent));
    assert.ok(sent[0].packed * 100 < sent[0].plain, JSON.stringify(sent[0]));
  }
});

test("a broken gzip stream is DynamoDB's InternalServerError, and nothing is written", async () => {
  const c = compressing("gzip", [], true);
  await assert.rejects(
    c.send(new PutItemCommand({ TableName: "zjs", Item: { pk: { S: "broken" }, sk: { N: "1" } } })),
    (e) => e.name === "InternalServerError" && e.$metadata.httpStatusCode === 500);
  const g = await srv.client(DynamoDBClient).send(new GetItemCommand({ TableName: "zjs",
    Key: { pk: { S: "broken" }, sk: { N: "1" } }, ConsistentRead: true }));
  assert.equal(g.Item, undefined);
});
