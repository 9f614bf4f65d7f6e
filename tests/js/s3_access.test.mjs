// SPDX-License-Identifier: Apache-2.0
// S3 access control with the AWS SDK for JavaScript v3 (issue 15, package S): Block Public
// Access on a new bucket, its Put/Get/Delete, BlockPublicPolicy refusing a public policy,
// GetBucketPolicyStatus, and unsigned requests (fetch) allowed exactly where the policy says.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, PutBucketPolicyCommand,
  GetBucketPolicyStatusCommand, GetPublicAccessBlockCommand, PutPublicAccessBlockCommand,
  DeletePublicAccessBlockCommand,
} from "@aws-sdk/client-s3";
import { useServer } from "./stratus.mjs";

const srv = useServer("s3-access");
const s3 = () => srv.client(S3Client, { forcePathStyle: true });

const publicRead = (Bucket) => JSON.stringify({ Version: "2012-10-17", Statement: [{
  Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${Bucket}/public/*` }] });

test("a new bucket blocks public access; its configuration is put, read and deleted", async () => {
  const c = s3();
  const Bucket = "js-pab";
  await c.send(new CreateBucketCommand({ Bucket }));
  const got = await c.send(new GetPublicAccessBlockCommand({ Bucket }));
  assert.deepEqual(got.PublicAccessBlockConfiguration, { BlockPublicAcls: true, IgnorePublicAcls: true,
    BlockPublicPolicy: true, RestrictPublicBuckets: true });
  await assert.rejects(c.send(new PutBucketPolicyCommand({ Bucket, Policy: publicRead(Bucket) })),
    (e) => e.name === "AccessDenied" && /BlockPublicPolicy/.test(e.message));
  await c.send(new PutPublicAccessBlockCommand({ Bucket,
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: false } }));
  const now = await c.send(new GetPublicAccessBlockCommand({ Bucket }));
  assert.equal(now.PublicAccessBlockConfiguration.BlockPublicPolicy, false);
  assert.equal(now.PublicAccessBlockConfiguration.BlockPublicAcls, true);
  await c.send(new DeletePublicAccessBlockCommand({ Bucket }));
  await assert.rejects(c.send(new GetPublicAccessBlockCommand({ Bucket })),
    (e) => e.name === "NoSuchPublicAccessBlockConfiguration" && e.$metadata.httpStatusCode === 404);
});

test("a public policy: its status, and unsigned reads of the public prefix only", async () => {
  const c = s3();
  const Bucket = "js-public";
  await c.send(new CreateBucketCommand({ Bucket }));
  await c.send(new PutObjectCommand({ Bucket, Key: "public/a.txt", Body: "shared" }));
  await c.send(new PutObjectCommand({ Bucket, Key: "private/b.txt", Body: "secret" }));
  assert.equal((await fetch(`${srv.endpoint}/${Bucket}/public/a.txt`)).status, 403);
  await c.send(new DeletePublicAccessBlockCommand({ Bucket }));
  await c.send(new PutBucketPolicyCommand({ Bucket, Policy: publicRead(Bucket) }));
  const st = await c.send(new GetBucketPolicyStatusCommand({ Bucket }));
  assert.equal(st.PolicyStatus.IsPublic, true);
  const pub = await fetch(`${srv.endpoint}/${Bucket}/public/a.txt`);
  assert.equal(pub.status, 200);
  assert.equal(await pub.text(), "shared");
  const priv = await fetch(`${srv.endpoint}/${Bucket}/private/b.txt`);
  assert.equal(priv.status, 403);
  assert.match(await priv.text(), /<Code>AccessDenied<\/Code><Message>Access Denied<\/Message>/);
  // RestrictPublicBuckets ignores the public policy for anonymous callers.
  await c.send(new PutPublicAccessBlockCommand({ Bucket,
    PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } }));
  assert.equal((await fetch(`${srv.endpoint}/${Bucket}/public/a.txt`)).status, 403);
});
