// SPDX-License-Identifier: Apache-2.0
// S3 server access logging with the AWS SDK for JavaScript v3 (issue 16, package G): Put and
// GetBucketLogging with a partitioned key format, and the records of the SDK's requests
// appearing as objects of the target bucket within the flush interval (a server of its own,
// started with --access-log-flush 1).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, PutBucketLoggingCommand,
  GetBucketLoggingCommand, ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import { credentials } from "./stratus.mjs";

const STRATUSD = process.env.STRATUSD ?? new URL("../../build/stratusd", import.meta.url).pathname;
let proc, dir, endpoint;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "stratus-js-s3-logging-"));
  const portFile = join(dir, "port");
  proc = spawn(STRATUSD, ["--listen", "127.0.0.1:0", "--data-dir", join(dir, "db"), "--port-file", portFile,
                          "--threads", "2", "--log-level", "warn", "--access-log-flush", "1"], { stdio: "ignore" });
  for (let i = 0; i < 500 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 20));
  endpoint = `http://127.0.0.1:${readFileSync(portFile, "utf8").trim()}`;
});
after(() => {
  proc.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

const s3 = () => new S3Client({ endpoint, region: "us-east-1", credentials, maxAttempts: 1, forcePathStyle: true });

test("records of the SDK's requests arrive as log objects under partitioned keys", async () => {
  const c = s3();
  await c.send(new CreateBucketCommand({ Bucket: "js-src" }));
  await c.send(new CreateBucketCommand({ Bucket: "js-logs" }));
  const TargetObjectKeyFormat = { PartitionedPrefix: { PartitionDateSource: "DeliveryTime" } };
  await c.send(new PutBucketLoggingCommand({ Bucket: "js-src", BucketLoggingStatus: { LoggingEnabled: {
    TargetBucket: "js-logs", TargetPrefix: "js/", TargetObjectKeyFormat } } }));
  const got = await c.send(new GetBucketLoggingCommand({ Bucket: "js-src" }));
  assert.equal(got.LoggingEnabled.TargetBucket, "js-logs");
  assert.equal(got.LoggingEnabled.TargetPrefix, "js/");
  assert.deepEqual(got.LoggingEnabled.TargetObjectKeyFormat, TargetObjectKeyFormat);
  const put = await c.send(new PutObjectCommand({ Bucket: "js-src", Key: "hello.txt", Body: "hello" }));
  const rid = put.$metadata.requestId;
  let text = "";
  for (let i = 0; i < 75 && !text.includes(rid); i++) {
    await new Promise((r) => setTimeout(r, 200));
    const list = await c.send(new ListObjectsV2Command({ Bucket: "js-logs", Prefix: "js/" }));
    text = "";
    for (const o of list.Contents ?? []) {
      assert.match(o.Key, /^js\/000000000000\/us-east-1\/js-src\/\d{4}\/\d\d\/\d\d\/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}$/);
      const obj = await c.send(new GetObjectCommand({ Bucket: "js-logs", Key: o.Key }));
      text += await obj.Body.transformToString();
    }
  }
  const line = text.split("\n").find((l) => l.includes(` ${rid} `));
  assert.ok(line, "the PutObject record was delivered");
  assert.match(line, /^[0-9a-f]{64} js-src \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] 127\.0\.0\.1 arn:aws:iam::000000000000:root [0-9A-F]{16} REST\.PUT\.OBJECT hello\.txt "PUT \/js-src\/hello\.txt(\?[^ ]*)? HTTP\/1\.1" 200 - - 5 \d+ \d+ "-" "[^"]*aws-sdk-js[^"]*" /);
});
