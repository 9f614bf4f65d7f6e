// SPDX-License-Identifier: Apache-2.0
// AWS SDK for JavaScript v3 against a real stratusd (node --test).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DynamoDBClient, CreateTableCommand, DescribeTableCommand, ListTablesCommand, DeleteTableCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  S3Client, CreateBucketCommand, HeadBucketCommand, ListBucketsCommand, DeleteBucketCommand,
  GetBucketLocationCommand,
} from "@aws-sdk/client-s3";

const STRATUSD = process.env.STRATUSD ?? new URL("../../build/stratusd", import.meta.url).pathname;
let proc, dir, endpoint;
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "stratus-js-"));
  const portFile = join(dir, "port");
  proc = spawn(STRATUSD, ["--listen", "127.0.0.1:0", "--data-dir", join(dir, "db"), "--port-file", portFile,
                          "--threads", "2", "--log-level", "warn"], { stdio: "ignore" });
  for (let i = 0; i < 500 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 20));
  endpoint = `http://127.0.0.1:${readFileSync(portFile, "utf8").trim()}`;
});

after(() => {
  proc.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

const ddb = () => new DynamoDBClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
const s3 = (extra = {}) => new S3Client({ endpoint, region: "us-east-1", credentials, forcePathStyle: true, maxAttempts: 1, ...extra });

test("DynamoDB tables", async () => {
  const c = ddb();
  const r = await c.send(new CreateTableCommand({
    TableName: "js-table",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "N" }],
    BillingMode: "PAY_PER_REQUEST",
  }));
  assert.equal(r.TableDescription.TableStatus, "ACTIVE");
  assert.ok(r.TableDescription.CreationDateTime instanceof Date);
  await waitUntilTableExists({ client: c, maxWaitTime: 60 }, { TableName: "js-table" });
  const d = await c.send(new DescribeTableCommand({ TableName: "js-table" }));
  assert.equal(d.Table.TableArn, "arn:aws:dynamodb:us-east-1:000000000000:table/js-table");
  assert.equal(d.Table.KeySchema[1].KeyType, "RANGE");
  const l = await c.send(new ListTablesCommand({}));
  assert.deepEqual(l.TableNames, ["js-table"]);
  await assert.rejects(c.send(new CreateTableCommand({
    TableName: "js-table",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    BillingMode: "PAY_PER_REQUEST",
  })), (e) => e.name === "ResourceInUseException");
  await c.send(new DeleteTableCommand({ TableName: "js-table" }));
  await assert.rejects(c.send(new DescribeTableCommand({ TableName: "js-table" })),
    (e) => e.name === "ResourceNotFoundException" && e.$metadata.httpStatusCode === 400);
});

test("S3 buckets", async () => {
  const c = s3();
  await c.send(new CreateBucketCommand({ Bucket: "js-bucket" }));
  const h = await c.send(new HeadBucketCommand({ Bucket: "js-bucket" }));
  assert.equal(h.BucketRegion, "us-east-1");
  const l = await c.send(new ListBucketsCommand({}));
  assert.ok(l.Buckets.some((b) => b.Name === "js-bucket"));
  await c.send(new CreateBucketCommand({ Bucket: "js-eu", CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
  const loc = await c.send(new GetBucketLocationCommand({ Bucket: "js-eu" }));
  assert.equal(loc.LocationConstraint, "eu-west-1");
  await c.send(new DeleteBucketCommand({ Bucket: "js-bucket" }));
  await assert.rejects(c.send(new DeleteBucketCommand({ Bucket: "js-bucket" })), (e) => e.name === "NoSuchBucket");
  await assert.rejects(c.send(new CreateBucketCommand({ Bucket: "Bad_Name" })), (e) => e.name === "InvalidBucketName");
});

test("wrong secret is rejected", async () => {
  const bad = { accessKeyId: "test", secretAccessKey: "wrong" };
  await assert.rejects(new DynamoDBClient({ endpoint, region: "us-east-1", credentials: bad, maxAttempts: 1 })
    .send(new ListTablesCommand({})), (e) => e.name === "InvalidSignatureException");
  await assert.rejects(s3({ credentials: bad }).send(new ListBucketsCommand({})),
    (e) => e.name === "SignatureDoesNotMatch");
  await assert.rejects(new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "nobody", secretAccessKey: "x" }, maxAttempts: 1 })
    .send(new ListTablesCommand({})), (e) => e.name === "UnrecognizedClientException");
});
