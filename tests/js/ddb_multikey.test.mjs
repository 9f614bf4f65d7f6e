// SPDX-License-Identifier: Apache-2.0
// Multi-attribute GSI keys (issue 17, package M) through the AWS SDK for JavaScript v3:
// CreateTable with two HASH and three RANGE attributes, items through lib-dynamodb, Query in
// every legal shape and both directions, pagination, a refused shape, DescribeTable (node --test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { DynamoDBClient, CreateTableCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { useServer } from "./stratus.mjs";

let client, doc;
const srv = useServer("ddb-multikey", (s) => {
  client = s.client(DynamoDBClient);
  doc = DynamoDBDocumentClient.from(client);
});

const KEYS = [
  { AttributeName: "tenantId", KeyType: "HASH" },
  { AttributeName: "areaId", KeyType: "HASH" },
  { AttributeName: "roundNo", KeyType: "RANGE" },
  { AttributeName: "points", KeyType: "RANGE" },
  { AttributeName: "playerId", KeyType: "RANGE" },
];
const items = [];

test("create a table with a 2 + 3 attribute GSI key and put items", async () => {
  assert.ok(srv.endpoint);
  await client.send(new CreateTableCommand({
    TableName: "matches",
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    AttributeDefinitions: [
      { AttributeName: "id", AttributeType: "S" }, { AttributeName: "tenantId", AttributeType: "S" },
      { AttributeName: "areaId", AttributeType: "S" }, { AttributeName: "roundNo", AttributeType: "N" },
      { AttributeName: "points", AttributeType: "N" }, { AttributeName: "playerId", AttributeType: "S" },
    ],
    GlobalSecondaryIndexes: [{ IndexName: "by_round", KeySchema: KEYS, Projection: { ProjectionType: "ALL" } }],
    BillingMode: "PAY_PER_REQUEST",
  }));
  const d = await client.send(new DescribeTableCommand({ TableName: "matches" }));
  assert.deepEqual(d.Table.GlobalSecondaryIndexes[0].KeySchema, KEYS);
  let n = 0;
  for (const areaId of ["eu", "us"])
    for (const roundNo of [1, 2, 3])
      for (const points of [-5, 0, 2.5, 10])
        for (const playerId of ["ann", "bob"]) {
          const it = { id: `m${++n}`, tenantId: "t1", areaId, roundNo, points, playerId };
          if (n % 11 === 0) delete it.playerId; // sparse: not in the index
          await doc.send(new PutCommand({ TableName: "matches", Item: it }));
          items.push(it);
        }
});

function expected(pred, forward = true) {
  const rows = items.filter((i) => i.tenantId === "t1" && i.areaId === "eu" && i.playerId !== undefined && pred(i));
  rows.sort((a, b) => a.roundNo - b.roundNo || a.points - b.points || (a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0));
  if (!forward) rows.reverse();
  return rows.map((i) => i.id);
}

async function query(kce, values, extra = {}) {
  const out = [];
  let start;
  for (let page = 0; page < 100; page++) {
    const r = await doc.send(new QueryCommand({
      TableName: "matches", IndexName: "by_round", KeyConditionExpression: kce,
      ExpressionAttributeValues: { ":t": "t1", ":r": "eu", ...values }, ExclusiveStartKey: start, ...extra,
    }));
    out.push(...r.Items.map((i) => i.id));
    start = r.LastEvaluatedKey;
    if (!start) return out;
    assert.deepEqual(Object.keys(start).sort(), ["areaId", "id", "playerId", "points", "roundNo", "tenantId"]);
  }
  throw new Error("query did not end");
}

test("query shapes in both directions", async () => {
  const base = "tenantId = :t AND areaId = :r";
  for (const forward of [true, false]) {
    const ScanIndexForward = forward;
    assert.deepEqual(await query(base, {}, { ScanIndexForward, Limit: 4 }), expected(() => true, forward));
    assert.deepEqual(await query(`${base} AND roundNo = :a`, { ":a": 2 }, { ScanIndexForward }),
      expected((i) => i.roundNo === 2, forward));
    assert.deepEqual(await query(`${base} AND roundNo >= :a`, { ":a": 2 }, { ScanIndexForward }),
      expected((i) => i.roundNo >= 2, forward));
    assert.deepEqual(await query(`${base} AND roundNo = :a AND points < :s`, { ":a": 3, ":s": 2.5 }, { ScanIndexForward }),
      expected((i) => i.roundNo === 3 && i.points < 2.5, forward));
    assert.deepEqual(await query(`${base} AND roundNo = :a AND points BETWEEN :lo AND :hi`,
      { ":a": 1, ":lo": -5, ":hi": 0 }, { ScanIndexForward }),
      expected((i) => i.roundNo === 1 && i.points >= -5 && i.points <= 0, forward));
    assert.deepEqual(await query(`${base} AND roundNo = :a AND points = :s AND begins_with(playerId, :p)`,
      { ":a": 1, ":s": 10, ":p": "b" }, { ScanIndexForward }),
      expected((i) => i.roundNo === 1 && i.points === 10 && i.playerId.startsWith("b"), forward));
  }
});

test("a range condition before the last attribute named is refused", async () => {
  await assert.rejects(query("tenantId = :t AND areaId = :r AND roundNo > :a AND points = :s", { ":a": 1, ":s": 0 }),
    (e) => e.name === "ValidationException" &&
      e.message === "RANGE key attributes roundNo must have equality conditions specified in the query because " +
        "a condition is present on key attribute points");
  await assert.rejects(query("tenantId = :t AND roundNo = :a", { ":a": 1 }, {
    ExpressionAttributeValues: { ":t": "t1", ":a": 1 } }),
  (e) => e.name === "ValidationException" && e.message === "Query condition missed key schema element: areaId");
});
