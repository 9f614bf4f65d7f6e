// SPDX-License-Identifier: Apache-2.0
// Issue 16, package R, with the AWS SDK for JavaScript v3: RequestPayment and Requester Pays,
// Accelerate, the Intelligent-Tiering, Inventory, Analytics and Metrics configurations (put,
// get, list with pagination, delete, validation errors), and the smaller fixes: max-keys=0,
// non-ASCII metadata, If-Match on PutObject, conditional deletes, Content-Encoding as sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  DeleteObjectCommand, DeleteObjectsCommand, ListObjectsV2Command,
  PutBucketRequestPaymentCommand, GetBucketRequestPaymentCommand,
  PutBucketAccelerateConfigurationCommand, GetBucketAccelerateConfigurationCommand,
  PutBucketInventoryConfigurationCommand, GetBucketInventoryConfigurationCommand,
  ListBucketInventoryConfigurationsCommand, DeleteBucketInventoryConfigurationCommand,
  PutBucketIntelligentTieringConfigurationCommand, GetBucketIntelligentTieringConfigurationCommand,
  ListBucketIntelligentTieringConfigurationsCommand, DeleteBucketIntelligentTieringConfigurationCommand,
  PutBucketAnalyticsConfigurationCommand, GetBucketAnalyticsConfigurationCommand,
  ListBucketAnalyticsConfigurationsCommand, DeleteBucketAnalyticsConfigurationCommand,
  PutBucketMetricsConfigurationCommand, GetBucketMetricsConfigurationCommand,
  ListBucketMetricsConfigurationsCommand, DeleteBucketMetricsConfigurationCommand,
} from "@aws-sdk/client-s3";
import { useServer } from "./stratus.mjs";

const srv = useServer("s3-configs");
const s3 = () => srv.client(S3Client, { forcePathStyle: true });
const status = (e) => e.$metadata?.httpStatusCode;

test("RequestPayment and Requester Pays", async () => {
  const c = s3();
  const Bucket = "js-payer";
  await c.send(new CreateBucketCommand({ Bucket }));
  assert.equal((await c.send(new GetBucketRequestPaymentCommand({ Bucket }))).Payer, "BucketOwner");
  await c.send(new PutBucketRequestPaymentCommand({ Bucket, RequestPaymentConfiguration: { Payer: "Requester" } }));
  assert.equal((await c.send(new GetBucketRequestPaymentCommand({ Bucket }))).Payer, "Requester");
  const put = await c.send(new PutObjectCommand({ Bucket, Key: "k", Body: "v", RequestPayer: "requester" }));
  assert.equal(put.RequestCharged, "requester");
  const got = await c.send(new GetObjectCommand({ Bucket, Key: "k", RequestPayer: "requester" }));
  assert.equal(got.RequestCharged, "requester");
  assert.equal(await got.Body.transformToString(), "v");
  await assert.rejects(c.send(new PutBucketRequestPaymentCommand({ Bucket,
    RequestPaymentConfiguration: { Payer: "Everyone" } })), (e) => e.name === "MalformedXML" && status(e) === 400);
});

test("Accelerate: empty until set, Enabled and Suspended, refused for a dotted name", async () => {
  const c = s3();
  await c.send(new CreateBucketCommand({ Bucket: "js-accel" }));
  assert.equal((await c.send(new GetBucketAccelerateConfigurationCommand({ Bucket: "js-accel" }))).Status, undefined);
  await c.send(new PutBucketAccelerateConfigurationCommand({ Bucket: "js-accel",
    AccelerateConfiguration: { Status: "Suspended" } }));
  assert.equal((await c.send(new GetBucketAccelerateConfigurationCommand({ Bucket: "js-accel" }))).Status,
    "Suspended");
  await c.send(new CreateBucketCommand({ Bucket: "js.accel.dots" }));
  await assert.rejects(c.send(new PutBucketAccelerateConfigurationCommand({ Bucket: "js.accel.dots",
    AccelerateConfiguration: { Status: "Enabled" } })), (e) => e.name === "InvalidRequest" && status(e) === 400);
});

test("Inventory: put, get, paginated list, delete, validation", async () => {
  const c = s3();
  const Bucket = "js-inv";
  await c.send(new CreateBucketCommand({ Bucket }));
  const inv = (Id, extra = {}) => ({ Id, IsEnabled: true, IncludedObjectVersions: "All",
    Destination: { S3BucketDestination: { Bucket: "arn:aws:s3:::js-dest", Format: "Parquet", Prefix: "r" } },
    Schedule: { Frequency: "Weekly" }, OptionalFields: ["Size", "StorageClass"], ...extra });
  for (let i = 0; i < 103; i++) {
    const Id = `id-${String(i).padStart(3, "0")}`;
    await c.send(new PutBucketInventoryConfigurationCommand({ Bucket, Id, InventoryConfiguration: inv(Id) }));
  }
  const one = await c.send(new GetBucketInventoryConfigurationCommand({ Bucket, Id: "id-042" }));
  assert.deepEqual(one.InventoryConfiguration, inv("id-042"));
  const p1 = await c.send(new ListBucketInventoryConfigurationsCommand({ Bucket }));
  assert.equal(p1.IsTruncated, true);
  assert.equal(p1.InventoryConfigurationList.length, 100);
  const p2 = await c.send(new ListBucketInventoryConfigurationsCommand({ Bucket,
    ContinuationToken: p1.NextContinuationToken }));
  assert.equal(p2.IsTruncated, false);
  assert.deepEqual(p2.InventoryConfigurationList.map((x) => x.Id), ["id-100", "id-101", "id-102"]);
  await c.send(new DeleteBucketInventoryConfigurationCommand({ Bucket, Id: "id-101" }));
  await assert.rejects(c.send(new GetBucketInventoryConfigurationCommand({ Bucket, Id: "id-101" })),
    (e) => e.name === "NoSuchConfiguration" && status(e) === 404);
  await assert.rejects(c.send(new PutBucketInventoryConfigurationCommand({ Bucket, Id: "x",
    InventoryConfiguration: inv("x", { Schedule: { Frequency: "Monthly" } }) })),
    (e) => e.name === "MalformedXML" && status(e) === 400);
  await assert.rejects(c.send(new PutBucketInventoryConfigurationCommand({ Bucket, Id: "x",
    InventoryConfiguration: inv("x", { Destination: { S3BucketDestination: { Bucket: "js-dest", Format: "CSV" } } }) })),
    (e) => e.name === "InvalidS3DestinationBucket" && status(e) === 400);
  await assert.rejects(c.send(new PutBucketInventoryConfigurationCommand({ Bucket, Id: "x",
    InventoryConfiguration: inv("y") })), (e) => e.name === "IdMismatch" && status(e) === 400);
});

test("Intelligent-Tiering, Analytics and Metrics", async () => {
  const c = s3();
  const Bucket = "js-kinds";
  await c.send(new CreateBucketCommand({ Bucket }));
  const tier = { Id: "t1", Status: "Enabled", Filter: { Prefix: "cold/" },
    Tierings: [{ Days: 120, AccessTier: "ARCHIVE_ACCESS" }] };
  await c.send(new PutBucketIntelligentTieringConfigurationCommand({ Bucket, Id: "t1",
    IntelligentTieringConfiguration: tier }));
  assert.deepEqual((await c.send(new GetBucketIntelligentTieringConfigurationCommand({ Bucket, Id: "t1" })))
    .IntelligentTieringConfiguration, tier);
  assert.deepEqual((await c.send(new ListBucketIntelligentTieringConfigurationsCommand({ Bucket })))
    .IntelligentTieringConfigurationList.map((x) => x.Id), ["t1"]);
  await assert.rejects(c.send(new PutBucketIntelligentTieringConfigurationCommand({ Bucket, Id: "t2",
    IntelligentTieringConfiguration: { Id: "t2", Status: "Enabled",
      Tierings: [{ Days: 30, AccessTier: "ARCHIVE_ACCESS" }] } })),
  (e) => e.name === "InvalidArgument" && status(e) === 400);
  await c.send(new DeleteBucketIntelligentTieringConfigurationCommand({ Bucket, Id: "t1" }));

  const an = { Id: "a1", Filter: { Tag: { Key: "k", Value: "v" } }, StorageClassAnalysis: { DataExport: {
    OutputSchemaVersion: "V_1", Destination: { S3BucketDestination: { Format: "CSV", Bucket: "arn:aws:s3:::js-dest" } } } } };
  await c.send(new PutBucketAnalyticsConfigurationCommand({ Bucket, Id: "a1", AnalyticsConfiguration: an }));
  assert.deepEqual((await c.send(new GetBucketAnalyticsConfigurationCommand({ Bucket, Id: "a1" })))
    .AnalyticsConfiguration, an);
  assert.equal((await c.send(new ListBucketAnalyticsConfigurationsCommand({ Bucket })))
    .AnalyticsConfigurationList.length, 1);
  await c.send(new DeleteBucketAnalyticsConfigurationCommand({ Bucket, Id: "a1" }));
  await assert.rejects(c.send(new DeleteBucketAnalyticsConfigurationCommand({ Bucket, Id: "a1" })),
    (e) => e.name === "NoSuchConfiguration" && status(e) === 404);

  const m = { Id: "m1", Filter: { And: { Prefix: "p/", Tags: [{ Key: "a", Value: "b" }, { Key: "c", Value: "d" }] } } };
  await c.send(new PutBucketMetricsConfigurationCommand({ Bucket, Id: "m1", MetricsConfiguration: m }));
  assert.deepEqual((await c.send(new GetBucketMetricsConfigurationCommand({ Bucket, Id: "m1" })))
    .MetricsConfiguration, m);
  assert.deepEqual((await c.send(new ListBucketMetricsConfigurationsCommand({ Bucket })))
    .MetricsConfigurationList, [m]);
  await c.send(new DeleteBucketMetricsConfigurationCommand({ Bucket, Id: "m1" }));
  await assert.rejects(c.send(new PutBucketMetricsConfigurationCommand({ Bucket, Id: "bad id",
    MetricsConfiguration: { Id: "bad id" } })), (e) => e.name === "InvalidConfigurationId" && status(e) === 400);
});

test("the smaller fixes: max-keys=0, metadata, If-Match, conditional deletes, Content-Encoding", async () => {
  const c = s3();
  const Bucket = "js-minor";
  await c.send(new CreateBucketCommand({ Bucket }));
  await c.send(new PutObjectCommand({ Bucket, Key: "a", Body: "1" }));
  const l = await c.send(new ListObjectsV2Command({ Bucket, MaxKeys: 0 }));
  assert.equal(l.KeyCount, 0);
  assert.equal(l.IsTruncated, false);
  assert.equal(l.Contents, undefined);

  // Node sends header strings as ISO-8859-1 bytes: S3 answers them RFC 2047 encoded (UTF-8).
  await c.send(new PutObjectCommand({ Bucket, Key: "meta", Body: "m", Metadata: { word: "café", enc: "=?UTF-8?B?w6k=?=" } }));
  const h = await c.send(new HeadObjectCommand({ Bucket, Key: "meta" }));
  assert.equal(h.Metadata.word, "=?UTF-8?B?Y2Fmw6k=?=");
  assert.equal(Buffer.from("Y2Fmw6k=", "base64").toString("utf8"), "café");
  assert.equal(h.Metadata.enc, "=?UTF-8?B?w6k=?=");

  const { ETag } = await c.send(new PutObjectCommand({ Bucket, Key: "c", Body: "v1" }));
  await assert.rejects(c.send(new PutObjectCommand({ Bucket, Key: "c", Body: "v2", IfMatch: '"0000"' })),
    (e) => status(e) === 412);
  const { ETag: e2 } = await c.send(new PutObjectCommand({ Bucket, Key: "c", Body: "v2", IfMatch: ETag }));
  await assert.rejects(c.send(new DeleteObjectCommand({ Bucket, Key: "c", IfMatch: ETag })), (e) => status(e) === 412);
  await assert.rejects(c.send(new DeleteObjectCommand({ Bucket, Key: "c", IfMatchSize: 3 })), (e) => status(e) === 412);
  await c.send(new DeleteObjectCommand({ Bucket, Key: "c", IfMatch: e2, IfMatchSize: 2 }));
  await assert.rejects(c.send(new DeleteObjectCommand({ Bucket, Key: "c", IfMatch: "*" })),
    (e) => e.name === "NoSuchKey" && status(e) === 404);
  await c.send(new PutObjectCommand({ Bucket, Key: "d1", Body: "x" }));
  const r = await c.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [
    { Key: "d1", Size: 1 }, { Key: "a", ETag: '"ffff"' }] } }));
  assert.deepEqual(r.Deleted.map((x) => x.Key), ["d1"]);
  assert.deepEqual(r.Errors.map((x) => [x.Key, x.Code]), [["a", "PreconditionFailed"]]);

  await c.send(new PutObjectCommand({ Bucket, Key: "ce", Body: "z", ContentEncoding: "gzip, br" }));
  assert.equal((await c.send(new HeadObjectCommand({ Bucket, Key: "ce" }))).ContentEncoding, "gzip, br");
});
