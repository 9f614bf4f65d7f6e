// SPDX-License-Identifier: Apache-2.0
// S3 encryption at rest with the AWS SDK for JavaScript v3 (issue 16, package E): SSE-S3 and
// SSE-C round trips with the headers echoed, SSE-C refused without its key or with another,
// lib-storage's multipart Upload under SSE-C, bucket default encryption, and SSE-KMS under a
// key disabled mid-test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  CopyObjectCommand, PutBucketEncryptionCommand, GetBucketEncryptionCommand,
  DeleteBucketEncryptionCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { KMSClient, CreateKeyCommand, DisableKeyCommand, EnableKeyCommand } from "@aws-sdk/client-kms";
import { useServer } from "./stratus.mjs";

const srv = useServer("sse");
const s3 = () => srv.client(S3Client, { forcePathStyle: true });
const Bucket = "js-sse";
const key1 = randomBytes(32), key2 = randomBytes(32);
const ssec = (k) => ({ SSECustomerAlgorithm: "AES256", SSECustomerKey: k.toString("base64"),
                       SSECustomerKeyMD5: createHash("md5").update(k).digest("base64") });
const bytes = async (out) => Buffer.from(await out.Body.transformToByteArray());

test("SSE-S3 and SSE-C round trips, headers echoed, SSE-C refused without its key", async () => {
  const c = s3();
  await c.send(new CreateBucketCommand({ Bucket }));
  const body = randomBytes(70000);
  const put = await c.send(new PutObjectCommand({ Bucket, Key: "s3", Body: body, ServerSideEncryption: "AES256" }));
  assert.equal(put.ServerSideEncryption, "AES256");
  const got = await c.send(new GetObjectCommand({ Bucket, Key: "s3" }));
  assert.equal(got.ServerSideEncryption, "AES256");
  assert.deepEqual(await bytes(got), body);

  const pc = await c.send(new PutObjectCommand({ Bucket, Key: "c", Body: body, ...ssec(key1) }));
  assert.equal(pc.SSECustomerAlgorithm, "AES256");
  assert.equal(pc.SSECustomerKeyMD5, ssec(key1).SSECustomerKeyMD5);
  assert.deepEqual(await bytes(await c.send(new GetObjectCommand({ Bucket, Key: "c", ...ssec(key1) }))), body);
  const part = await c.send(new GetObjectCommand({ Bucket, Key: "c", Range: "bytes=10-19", ...ssec(key1) }));
  assert.deepEqual(await bytes(part), body.subarray(10, 20));
  await assert.rejects(c.send(new GetObjectCommand({ Bucket, Key: "c" })),
    (e) => e.name === "InvalidRequest" && e.$metadata.httpStatusCode === 400);
  await assert.rejects(c.send(new GetObjectCommand({ Bucket, Key: "c", ...ssec(key2) })),
    (e) => e.$metadata.httpStatusCode === 403);
  await assert.rejects(c.send(new HeadObjectCommand({ Bucket, Key: "c" })),
    (e) => e.$metadata.httpStatusCode === 400);
  // SSE-C -> SSE-S3 copy with the source's key
  const cp = await c.send(new CopyObjectCommand({ Bucket, Key: "c2s", CopySource: `${Bucket}/c`,
    ServerSideEncryption: "AES256", CopySourceSSECustomerAlgorithm: "AES256",
    CopySourceSSECustomerKey: key1.toString("base64"),
    CopySourceSSECustomerKeyMD5: ssec(key1).SSECustomerKeyMD5 }));
  assert.equal(cp.ServerSideEncryption, "AES256");
  assert.deepEqual(await bytes(await c.send(new GetObjectCommand({ Bucket, Key: "c2s" }))), body);
});

test("lib-storage Upload (multipart) under SSE-C", async () => {
  const c = s3();
  const body = randomBytes(11 * 1024 * 1024 + 5);
  const up = new Upload({ client: c, params: { Bucket, Key: "mpu-c", Body: body, ...ssec(key1) },
                          partSize: 5 * 1024 * 1024, queueSize: 2 });
  await up.done();
  const head = await c.send(new HeadObjectCommand({ Bucket, Key: "mpu-c", ...ssec(key1) }));
  assert.equal(head.ContentLength, body.length);
  assert.equal(head.SSECustomerAlgorithm, "AES256");
  assert.deepEqual(await bytes(await c.send(new GetObjectCommand({ Bucket, Key: "mpu-c", ...ssec(key1) }))), body);
  await assert.rejects(c.send(new GetObjectCommand({ Bucket, Key: "mpu-c", ...ssec(key2) })),
    (e) => e.$metadata.httpStatusCode === 403);
});

test("bucket default encryption applies to writes that name none", async () => {
  const c = s3();
  const B = "js-sse-default";
  await c.send(new CreateBucketCommand({ Bucket: B }));
  await assert.rejects(c.send(new GetBucketEncryptionCommand({ Bucket: B })),
    (e) => e.name === "ServerSideEncryptionConfigurationNotFoundError");
  await c.send(new PutBucketEncryptionCommand({ Bucket: B, ServerSideEncryptionConfiguration: {
    Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] } }));
  const got = await c.send(new GetBucketEncryptionCommand({ Bucket: B }));
  assert.equal(got.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm,
    "AES256");
  const put = await c.send(new PutObjectCommand({ Bucket: B, Key: "d", Body: "default" }));
  assert.equal(put.ServerSideEncryption, "AES256");
  await c.send(new DeleteBucketEncryptionCommand({ Bucket: B }));
  const plain = await c.send(new PutObjectCommand({ Bucket: B, Key: "p", Body: "plain" }));
  assert.equal(plain.ServerSideEncryption, undefined);
});

test("SSE-KMS: a disabled key makes its objects unreadable until it is enabled again", async () => {
  const c = s3();
  const kms = srv.client(KMSClient);
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
  const put = await c.send(new PutObjectCommand({ Bucket, Key: "kms", Body: "secret",
    ServerSideEncryption: "aws:kms", SSEKMSKeyId: KeyMetadata.KeyId }));
  assert.equal(put.ServerSideEncryption, "aws:kms");
  assert.equal(put.SSEKMSKeyId, KeyMetadata.Arn);
  assert.equal((await bytes(await c.send(new GetObjectCommand({ Bucket, Key: "kms" })))).toString(), "secret");
  await kms.send(new DisableKeyCommand({ KeyId: KeyMetadata.KeyId }));
  await assert.rejects(c.send(new GetObjectCommand({ Bucket, Key: "kms" })),
    (e) => e.name === "KMS.DisabledException");
  await kms.send(new EnableKeyCommand({ KeyId: KeyMetadata.KeyId }));
  assert.equal((await bytes(await c.send(new GetObjectCommand({ Bucket, Key: "kms" })))).toString(), "secret");
});
