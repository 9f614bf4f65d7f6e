// SPDX-License-Identifier: Apache-2.0
// S3 Object Lock with the AWS SDK for JavaScript v3 (issue 16, package L): a bucket created with
// Object Lock and a default retention, COMPLIANCE refusing the root's delete and any shortening,
// GOVERNANCE lifted by the bypass, legal holds, and lock headers on a multipart Upload
// (lib-storage) and on CopyObject.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, HeadObjectCommand, DeleteObjectCommand,
  PutObjectLockConfigurationCommand, GetObjectLockConfigurationCommand, PutObjectRetentionCommand,
  GetObjectRetentionCommand, PutObjectLegalHoldCommand, GetObjectLegalHoldCommand,
  CopyObjectCommand, GetBucketVersioningCommand, PutBucketVersioningCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { useServer } from "./stratus.mjs";

const srv = useServer("s3-lock");
const s3 = () => srv.client(S3Client, { forcePathStyle: true });
const later = (s) => new Date(Date.now() + s * 1000);
const LOCKED = "Access Denied because object protected by object lock.";
const locked = (e) => e.name === "AccessDenied" && e.message === LOCKED && e.$metadata.httpStatusCode === 403;

test("a bucket with Object Lock and a default retention", async () => {
  const c = s3();
  const Bucket = "js-lock";
  await c.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
  assert.equal((await c.send(new GetBucketVersioningCommand({ Bucket }))).Status, "Enabled");
  await assert.rejects(c.send(new PutBucketVersioningCommand({ Bucket,
    VersioningConfiguration: { Status: "Suspended" } })), (e) => e.name === "InvalidBucketState");
  const conf = { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 1 } } };
  await c.send(new PutObjectLockConfigurationCommand({ Bucket, ObjectLockConfiguration: conf }));
  assert.deepEqual((await c.send(new GetObjectLockConfigurationCommand({ Bucket }))).ObjectLockConfiguration, conf);
  const put = await c.send(new PutObjectCommand({ Bucket, Key: "k", Body: "hello" }));
  const head = await c.send(new HeadObjectCommand({ Bucket, Key: "k" }));
  assert.equal(head.ObjectLockMode, "GOVERNANCE");
  assert.ok(Math.abs(head.ObjectLockRetainUntilDate.getTime() - later(86400).getTime()) < 60000);
  await assert.rejects(c.send(new DeleteObjectCommand({ Bucket, Key: "k", VersionId: put.VersionId })), locked);
  await c.send(new DeleteObjectCommand({ Bucket, Key: "k", VersionId: put.VersionId,
    BypassGovernanceRetention: true }));
});

test("COMPLIANCE refuses the root's delete and any shortening", async () => {
  const c = s3();
  const Bucket = "js-comp";
  await c.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
  const until = later(3600);
  const { VersionId } = await c.send(new PutObjectCommand({ Bucket, Key: "k", Body: "x",
    ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: until }));
  await assert.rejects(c.send(new DeleteObjectCommand({ Bucket, Key: "k", VersionId,
    BypassGovernanceRetention: true })), locked);
  await assert.rejects(c.send(new PutObjectRetentionCommand({ Bucket, Key: "k", VersionId,
    BypassGovernanceRetention: true, Retention: { Mode: "COMPLIANCE", RetainUntilDate: later(60) } })), locked);
  await c.send(new PutObjectRetentionCommand({ Bucket, Key: "k", VersionId,
    Retention: { Mode: "COMPLIANCE", RetainUntilDate: later(7200) } }));
  const r = await c.send(new GetObjectRetentionCommand({ Bucket, Key: "k", VersionId }));
  assert.equal(r.Retention.Mode, "COMPLIANCE");
  assert.ok(r.Retention.RetainUntilDate.getTime() > until.getTime());
});

test("legal hold", async () => {
  const c = s3();
  const Bucket = "js-hold";
  await c.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
  const { VersionId } = await c.send(new PutObjectCommand({ Bucket, Key: "k", Body: "x" }));
  await c.send(new PutObjectLegalHoldCommand({ Bucket, Key: "k", LegalHold: { Status: "ON" } }));
  assert.equal((await c.send(new GetObjectLegalHoldCommand({ Bucket, Key: "k" }))).LegalHold.Status, "ON");
  await assert.rejects(c.send(new DeleteObjectCommand({ Bucket, Key: "k", VersionId })), locked);
  await c.send(new PutObjectLegalHoldCommand({ Bucket, Key: "k", LegalHold: { Status: "OFF" } }));
  await c.send(new DeleteObjectCommand({ Bucket, Key: "k", VersionId }));
});

test("lock headers on a multipart Upload and on CopyObject", async () => {
  const c = s3();
  const Bucket = "js-mpu";
  await c.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
  const until = new Date(Math.floor(later(3600).getTime() / 1000) * 1000);
  const up = new Upload({ client: c, partSize: 5 * 1024 * 1024, params: { Bucket, Key: "big",
    Body: Buffer.alloc(11 * 1024 * 1024, 7), ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: until,
    ObjectLockLegalHoldStatus: "ON" } });
  const done = await up.done();
  const head = await c.send(new HeadObjectCommand({ Bucket, Key: "big" }));
  assert.equal(head.ObjectLockMode, "GOVERNANCE");
  assert.equal(head.ObjectLockRetainUntilDate.getTime(), until.getTime());
  assert.equal(head.ObjectLockLegalHoldStatus, "ON");
  await assert.rejects(c.send(new DeleteObjectCommand({ Bucket, Key: "big", VersionId: done.VersionId,
    BypassGovernanceRetention: true })), locked); // the hold stays whatever the bypass
  const copy = await c.send(new CopyObjectCommand({ Bucket, Key: "copy", CopySource: `${Bucket}/big`,
    ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: later(600) }));
  const ch = await c.send(new HeadObjectCommand({ Bucket, Key: "copy" }));
  assert.equal(ch.ObjectLockMode, "COMPLIANCE");
  assert.equal(ch.ObjectLockLegalHoldStatus, undefined);
  await assert.rejects(c.send(new DeleteObjectCommand({ Bucket, Key: "copy", VersionId: copy.VersionId })), locked);
});
