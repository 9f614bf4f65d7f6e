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
  waitUntilTableExists, TagResourceCommand, UntagResourceCommand, ListTagsOfResourceCommand,
  DescribeLimitsCommand, UpdateTableCommand, UpdateTimeToLiveCommand, DescribeTimeToLiveCommand,
  PutItemCommand, GetItemCommand, ScanCommand, CreateBackupCommand, ListBackupsCommand,
  RestoreTableFromBackupCommand, DeleteBackupCommand, UpdateContinuousBackupsCommand,
  DescribeContinuousBackupsCommand, RestoreTableToPointInTimeCommand,
} from "@aws-sdk/client-dynamodb";
import {
  S3Client, CreateBucketCommand, HeadBucketCommand, ListBucketsCommand, DeleteBucketCommand,
  GetBucketLocationCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  DeleteObjectCommand, DeleteObjectsCommand, ListObjectsV2Command, CreateMultipartUploadCommand,
  UploadPartCommand, CompleteMultipartUploadCommand, CopyObjectCommand, PutBucketVersioningCommand,
  GetBucketVersioningCommand, ListObjectVersionsCommand, PutBucketCorsCommand, GetBucketCorsCommand,
  PutBucketPolicyCommand, GetBucketPolicyCommand, DeletePublicAccessBlockCommand, PutBucketLifecycleConfigurationCommand,
  GetBucketLifecycleConfigurationCommand, UploadPartCopyCommand, PutObjectTaggingCommand,
  GetObjectTaggingCommand,
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

test("DynamoDB tags and limits", async () => {
  const c = ddb();
  const t = await c.send(new CreateTableCommand({ TableName: "js-tags", BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }] }));
  const ResourceArn = t.TableDescription.TableArn;
  await c.send(new TagResourceCommand({ ResourceArn, Tags: [{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }] }));
  await c.send(new UntagResourceCommand({ ResourceArn, TagKeys: ["a"] }));
  assert.deepEqual((await c.send(new ListTagsOfResourceCommand({ ResourceArn }))).Tags, [{ Key: "b", Value: "2" }]);
  assert.equal((await c.send(new DescribeLimitsCommand({}))).TableMaxReadCapacityUnits, 40000);
  await c.send(new DeleteTableCommand({ TableName: "js-tags" }));
});

test("DynamoDB UpdateTable, TTL, backups and point-in-time restore", async () => {
  const c = ddb();
  await c.send(new CreateTableCommand({ TableName: "js-ops", BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }] }));
  const u = await c.send(new UpdateTableCommand({ TableName: "js-ops", BillingMode: "PROVISIONED",
    ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } }));
  assert.equal(u.TableDescription.ProvisionedThroughput.WriteCapacityUnits, 4);
  await c.send(new UpdateTimeToLiveCommand({ TableName: "js-ops",
    TimeToLiveSpecification: { Enabled: true, AttributeName: "exp" } }));
  assert.equal((await c.send(new DescribeTimeToLiveCommand({ TableName: "js-ops" }))).TimeToLiveDescription
    .TimeToLiveStatus, "ENABLED");
  await c.send(new PutItemCommand({ TableName: "js-ops", Item: { id: { S: "gone" }, exp: { N: String(Math.floor(Date.now() / 1000) - 5) } } }));
  await c.send(new PutItemCommand({ TableName: "js-ops", Item: { id: { S: "kept" } } }));
  let left;
  for (let i = 0; i < 100; i++) {
    left = (await c.send(new ScanCommand({ TableName: "js-ops" }))).Items.map((x) => x.id.S);
    if (left.length === 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(left, ["kept"]);
  const b = await c.send(new CreateBackupCommand({ TableName: "js-ops", BackupName: "backup-one" }));
  assert.equal((await c.send(new ListBackupsCommand({ TableName: "js-ops" }))).BackupSummaries.length, 1);
  await c.send(new RestoreTableFromBackupCommand({ BackupArn: b.BackupDetails.BackupArn, TargetTableName: "js-ops-copy" }));
  assert.ok((await c.send(new GetItemCommand({ TableName: "js-ops-copy", Key: { id: { S: "kept" } } }))).Item);
  await c.send(new DeleteBackupCommand({ BackupArn: b.BackupDetails.BackupArn }));
  await c.send(new UpdateContinuousBackupsCommand({ TableName: "js-ops",
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
  const cb = await c.send(new DescribeContinuousBackupsCommand({ TableName: "js-ops" }));
  assert.equal(cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus, "ENABLED");
  await c.send(new PutItemCommand({ TableName: "js-ops", Item: { id: { S: "later" } } }));
  const r = await c.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "js-ops",
    TargetTableName: "js-ops-pitr", UseLatestRestorableTime: true }));
  assert.equal(r.TableDescription.TableName, "js-ops-pitr");
  const items = (await c.send(new ScanCommand({ TableName: "js-ops-pitr" }))).Items.map((x) => x.id.S).sort();
  assert.deepEqual(items, ["kept", "later"]);
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

test("S3 objects", async () => {
  const c = s3();
  await c.send(new CreateBucketCommand({ Bucket: "js-objects" }));
  // The v3 SDK sends a CRC32 checksum (aws-chunked with a trailer when streaming).
  const body = "x".repeat(100000) + "end";
  const p = await c.send(new PutObjectCommand({ Bucket: "js-objects", Key: "dir/a.txt", Body: body,
    ContentType: "text/plain", Metadata: { owner: "js" } }));
  assert.match(p.ETag, /^"[0-9a-f]{32}"$/);
  const g = await c.send(new GetObjectCommand({ Bucket: "js-objects", Key: "dir/a.txt" }));
  assert.equal(await g.Body.transformToString(), body);
  assert.equal(g.ContentType, "text/plain");
  assert.deepEqual(g.Metadata, { owner: "js" });
  const r = await c.send(new GetObjectCommand({ Bucket: "js-objects", Key: "dir/a.txt", Range: "bytes=100000-" }));
  assert.equal(await r.Body.transformToString(), "end");
  const h = await c.send(new HeadObjectCommand({ Bucket: "js-objects", Key: "dir/a.txt" }));
  assert.equal(h.ContentLength, body.length);
  await c.send(new PutObjectCommand({ Bucket: "js-objects", Key: "dir/b.txt", Body: "b" }));
  const l = await c.send(new ListObjectsV2Command({ Bucket: "js-objects", Prefix: "dir/", MaxKeys: 1 }));
  assert.deepEqual(l.Contents.map((o) => o.Key), ["dir/a.txt"]);
  assert.equal(l.IsTruncated, true);
  const l2 = await c.send(new ListObjectsV2Command({ Bucket: "js-objects", ContinuationToken: l.NextContinuationToken }));
  assert.deepEqual(l2.Contents.map((o) => o.Key), ["dir/b.txt"]);
  await c.send(new DeleteObjectCommand({ Bucket: "js-objects", Key: "dir/a.txt" }));
  await assert.rejects(c.send(new GetObjectCommand({ Bucket: "js-objects", Key: "dir/a.txt" })),
    (e) => e.name === "NoSuchKey");
  await assert.rejects(c.send(new DeleteBucketCommand({ Bucket: "js-objects" })), (e) => e.name === "BucketNotEmpty");
  // DeleteObjects carries the SDK's default checksum, which S3 requires.
  const d = await c.send(new DeleteObjectsCommand({ Bucket: "js-objects",
    Delete: { Objects: [{ Key: "dir/b.txt" }, { Key: "never-existed" }] } }));
  assert.deepEqual(d.Deleted.map((o) => o.Key).sort(), ["dir/b.txt", "never-existed"]);
  // Multipart: a 5 MiB part and a small last part, each with the SDK's default checksum.
  const up = await c.send(new CreateMultipartUploadCommand({ Bucket: "js-objects", Key: "mp" }));
  const p1 = Buffer.alloc(5 * 1024 * 1024, 7), p2 = Buffer.from("tail");
  const e1 = await c.send(new UploadPartCommand({ Bucket: "js-objects", Key: "mp", UploadId: up.UploadId, PartNumber: 1, Body: p1 }));
  const e2 = await c.send(new UploadPartCommand({ Bucket: "js-objects", Key: "mp", UploadId: up.UploadId, PartNumber: 2, Body: p2 }));
  const done = await c.send(new CompleteMultipartUploadCommand({ Bucket: "js-objects", Key: "mp", UploadId: up.UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] } }));
  assert.match(done.ETag, /-2"$/);
  const mp = await c.send(new GetObjectCommand({ Bucket: "js-objects", Key: "mp" }));
  const got = Buffer.from(await mp.Body.transformToByteArray());
  assert.ok(got.equals(Buffer.concat([p1, p2])));
  const cp = await c.send(new CopyObjectCommand({ Bucket: "js-objects", Key: "mp-copy", CopySource: "js-objects/mp" }));
  assert.match(cp.CopyObjectResult.ETag, /^"[0-9a-f]{32}"$/);
  const cg = await c.send(new GetObjectCommand({ Bucket: "js-objects", Key: "mp-copy" }));
  assert.ok(Buffer.from(await cg.Body.transformToByteArray()).equals(Buffer.concat([p1, p2])));
  await c.send(new DeleteObjectCommand({ Bucket: "js-objects", Key: "mp-copy" }));
  await c.send(new DeleteObjectCommand({ Bucket: "js-objects", Key: "mp" }));
  await c.send(new DeleteBucketCommand({ Bucket: "js-objects" }));
});

test("S3 versioning", async () => {
  const c = s3();
  const Bucket = "js-versions";
  await c.send(new CreateBucketCommand({ Bucket }));
  await c.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
  assert.equal((await c.send(new GetBucketVersioningCommand({ Bucket }))).Status, "Enabled");
  const v1 = (await c.send(new PutObjectCommand({ Bucket, Key: "k", Body: "one" }))).VersionId;
  const v2 = (await c.send(new PutObjectCommand({ Bucket, Key: "k", Body: "two" }))).VersionId;
  assert.notEqual(v1, v2);
  const old = await c.send(new GetObjectCommand({ Bucket, Key: "k", VersionId: v1 }));
  assert.equal(await old.Body.transformToString(), "one");
  assert.equal(old.VersionId, v1);
  const del = await c.send(new DeleteObjectCommand({ Bucket, Key: "k" }));
  assert.equal(del.DeleteMarker, true);
  await assert.rejects(c.send(new GetObjectCommand({ Bucket, Key: "k" })), (e) => e.name === "NoSuchKey");
  const l = await c.send(new ListObjectVersionsCommand({ Bucket }));
  assert.deepEqual(l.Versions.map((v) => [v.VersionId, v.IsLatest]), [[v2, false], [v1, false]]);
  assert.deepEqual(l.DeleteMarkers.map((m) => [m.VersionId, m.IsLatest]), [[del.VersionId, true]]);
  // Delete every version (the SDK's default checksum on DeleteObjects), then the bucket.
  const all = [...l.Versions, ...l.DeleteMarkers].map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
  await c.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: all } }));
  await c.send(new DeleteBucketCommand({ Bucket }));
});

test("S3 bucket configuration, tagging and UploadPartCopy", async () => {
  const c = s3();
  const Bucket = "js-config";
  await c.send(new CreateBucketCommand({ Bucket }));
  // CORS, policy and lifecycle documents round-trip (the SDK adds its checksums).
  await c.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: [
    { AllowedOrigins: ["http://127.0.0.1:*"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["*"], MaxAgeSeconds: 60 }] } }));
  const cors = await c.send(new GetBucketCorsCommand({ Bucket }));
  assert.deepEqual(cors.CORSRules[0].AllowedMethods, ["GET", "PUT"]);
  const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*",
    Action: "s3:GetObject", Resource: `arn:aws:s3:::${Bucket}/*` }] });
  // A public policy: Block Public Access (on for a new bucket) goes first.
  await c.send(new DeletePublicAccessBlockCommand({ Bucket }));
  await c.send(new PutBucketPolicyCommand({ Bucket, Policy: policy }));
  assert.deepEqual(JSON.parse((await c.send(new GetBucketPolicyCommand({ Bucket }))).Policy), JSON.parse(policy));
  await c.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules: [
    { ID: "tmp", Filter: { Prefix: "tmp/" }, Status: "Enabled", Expiration: { Days: 7 } }] } }));
  const lc = await c.send(new GetBucketLifecycleConfigurationCommand({ Bucket }));
  assert.equal(lc.Rules[0].Expiration.Days, 7);
  // Object tags.
  await c.send(new PutObjectCommand({ Bucket, Key: "src", Body: Buffer.alloc(5 * 1024 * 1024 + 10, 3) }));
  await c.send(new PutObjectTaggingCommand({ Bucket, Key: "src", Tagging: { TagSet: [{ Key: "k", Value: "v" }] } }));
  assert.deepEqual((await c.send(new GetObjectTaggingCommand({ Bucket, Key: "src" }))).TagSet, [{ Key: "k", Value: "v" }]);
  // UploadPartCopy with a range, then the rest, completed into a copy.
  const up = await c.send(new CreateMultipartUploadCommand({ Bucket, Key: "dst" }));
  const first = await c.send(new UploadPartCopyCommand({ Bucket, Key: "dst", UploadId: up.UploadId, PartNumber: 1,
    CopySource: `${Bucket}/src`, CopySourceRange: `bytes=0-${5 * 1024 * 1024 - 1}` }));
  const rest = await c.send(new UploadPartCopyCommand({ Bucket, Key: "dst", UploadId: up.UploadId, PartNumber: 2,
    CopySource: `${Bucket}/src`, CopySourceRange: `bytes=${5 * 1024 * 1024}-${5 * 1024 * 1024 + 9}` }));
  await c.send(new CompleteMultipartUploadCommand({ Bucket, Key: "dst", UploadId: up.UploadId, MultipartUpload: { Parts: [
    { PartNumber: 1, ETag: first.CopyPartResult.ETag }, { PartNumber: 2, ETag: rest.CopyPartResult.ETag }] } }));
  const got = Buffer.from(await (await c.send(new GetObjectCommand({ Bucket, Key: "dst" }))).Body.transformToByteArray());
  assert.ok(got.equals(Buffer.alloc(5 * 1024 * 1024 + 10, 3)));
  await c.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: "src" }, { Key: "dst" }] } }));
  await c.send(new DeleteBucketCommand({ Bucket }));
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
