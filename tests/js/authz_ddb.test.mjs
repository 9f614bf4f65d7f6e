// SPDX-License-Identifier: Apache-2.0
// DynamoDB authorization through the AWS SDK for JavaScript v3 DocumentClient (issue 15,
// package D): an IAM user (made by tests/integration/iam_base.py) limited to its own partition
// with dynamodb:LeadingKeys = ${aws:userid} reads and writes its items and is refused another
// user's, with DynamoDB's AccessDeniedException and AWS's message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DynamoDBClient, CreateTableCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient, PutCommand, GetCommand, UpdateCommand, DeleteCommand, QueryCommand,
  ScanCommand, BatchWriteCommand, TransactWriteCommand, ExecuteStatementCommand,
} from "@aws-sdk/lib-dynamodb";
import { useServer } from "./stratus.mjs";

const IT = fileURLToPath(new URL("../integration/", import.meta.url));
const TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/jsgames";
const ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                 "dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:PartiQLSelect"];

// The IAM user, made by the Python helper every integration test uses.
function makeUser(endpoint) {
  const port = new URL(endpoint).port;
  const script = `
import json, sys, tempfile
sys.path.insert(0, ${JSON.stringify(IT)})
import iam_base
from stratus_fixture import Server
srv = Server(data_dir=tempfile.gettempdir())
srv.port = int(sys.argv[1])
pol = iam_base.allow(${JSON.stringify(ACTIONS)}, ${JSON.stringify(TABLE)}, condition={
    "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["\${aws:userid}"]}})
print(json.dumps(iam_base.user(srv, "jsuser", policies=[pol])))
`;
  const r = spawnSync(process.env.KV_PYTHON3 ?? "python3", ["-c", script, port],
                      { encoding: "utf8", timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

const srv = useServer("authz-ddb");

test("an IAM user reads and writes only its own partition", async () => {
    const root = srv.client(DynamoDBClient);
    await root.send(new CreateTableCommand({
      TableName: "jsgames", BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "UserId", KeyType: "HASH" }, { AttributeName: "GameTitle", KeyType: "RANGE" }],
      AttributeDefinitions: [{ AttributeName: "UserId", AttributeType: "S" },
                             { AttributeName: "GameTitle", AttributeType: "S" }],
    }));
    const rootDoc = DynamoDBDocumentClient.from(root);
    await rootDoc.send(new PutCommand({ TableName: "jsgames", Item: { UserId: "other", GameTitle: "g", Wins: 1 } }));
    const u = makeUser(srv.endpoint);
    const doc = DynamoDBDocumentClient.from(srv.client(DynamoDBClient, {
      credentials: { accessKeyId: u.access_key, secretAccessKey: u.secret_key } }));
    const refused = async (action, cmd) => {
      await assert.rejects(doc.send(cmd), (e) => {
        assert.equal(e.name, "AccessDeniedException");
        assert.equal(e.$metadata.httpStatusCode, 400);
        assert.equal(e.message, `User: ${u.arn} is not authorized to perform: ${action} on resource: ` +
                                `${TABLE} because no identity-based policy allows the ${action} action`);
        return true;
      });
    };
    const me = u.user_id;
    await doc.send(new PutCommand({ TableName: "jsgames", Item: { UserId: me, GameTitle: "g", Wins: 2 } }));
    await refused("dynamodb:PutItem",
                  new PutCommand({ TableName: "jsgames", Item: { UserId: "other", GameTitle: "g", Wins: 9 } }));
    const got = await doc.send(new GetCommand({ TableName: "jsgames", Key: { UserId: me, GameTitle: "g" } }));
    assert.equal(got.Item.Wins, 2);
    await refused("dynamodb:GetItem", new GetCommand({ TableName: "jsgames", Key: { UserId: "other", GameTitle: "g" } }));
    await doc.send(new UpdateCommand({ TableName: "jsgames", Key: { UserId: me, GameTitle: "g" },
                                       UpdateExpression: "SET Wins = :w", ExpressionAttributeValues: { ":w": 3 } }));
    await refused("dynamodb:UpdateItem", new UpdateCommand({
      TableName: "jsgames", Key: { UserId: "other", GameTitle: "g" }, UpdateExpression: "SET Wins = :w",
      ExpressionAttributeValues: { ":w": 0 } }));
    const q = await doc.send(new QueryCommand({ TableName: "jsgames", KeyConditionExpression: "UserId = :u",
                                                ExpressionAttributeValues: { ":u": me } }));
    assert.equal(q.Items.length, 1);
    await refused("dynamodb:Query", new QueryCommand({ TableName: "jsgames", KeyConditionExpression: "UserId = :u",
                                                       ExpressionAttributeValues: { ":u": "other" } }));
    await refused("dynamodb:Scan", new ScanCommand({ TableName: "jsgames" }));
    await refused("dynamodb:BatchWriteItem", new BatchWriteCommand({ RequestItems: { jsgames: [
      { PutRequest: { Item: { UserId: me, GameTitle: "b" } } },
      { PutRequest: { Item: { UserId: "other", GameTitle: "b" } } }] } }));
    await refused("dynamodb:PutItem", new TransactWriteCommand({ TransactItems: [
      { Put: { TableName: "jsgames", Item: { UserId: "other", GameTitle: "t" } } }] }));
    const s = await doc.send(new ExecuteStatementCommand({
      Statement: 'SELECT * FROM "jsgames" WHERE UserId = ?', Parameters: [me] }));
    assert.equal(s.Items.length, 1);
    await refused("dynamodb:PartiQLSelect", new ExecuteStatementCommand({
      Statement: "SELECT * FROM \"jsgames\" WHERE UserId = 'other'" }));
    await doc.send(new DeleteCommand({ TableName: "jsgames", Key: { UserId: me, GameTitle: "g" } }));
    await refused("dynamodb:DeleteItem", new DeleteCommand({ TableName: "jsgames", Key: { UserId: "other", GameTitle: "g" } }));
    const theirs = await rootDoc.send(new GetCommand({ TableName: "jsgames", Key: { UserId: "other", GameTitle: "g" },
                                                       ConsistentRead: true }));
    assert.equal(theirs.Item.Wins, 1);
  });
