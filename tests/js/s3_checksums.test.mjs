// SPDX-License-Identifier: Apache-2.0
// Multipart checksums with the AWS SDK for JavaScript v3 (issue 16, package C): lib-storage's
// Upload of 200 MiB with CRC32 (FULL_OBJECT) whose checksum the SDK validates on download (a
// corrupted checksum header makes the same download fail, so a validation really happened), and
// a COMPOSITE Upload: its "-N" value, its type, and a part read back with its own checksum.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import {
  S3Client, CreateBucketCommand, GetObjectCommand, HeadObjectCommand, GetObjectAttributesCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { useServer } from "./stratus.mjs";

const srv = useServer("s3-checksums");
const s3 = () => srv.client(S3Client, { forcePathStyle: true });
const Bucket = "js-checksums";
const MIB = 1 << 20;
const b64crc32 = (buf) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(buf) >>> 0);
  return b.toString("base64");
};

async function readAll(stream) {
  const hash = createHash("sha256");
  let n = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    n += chunk.length;
  }
  return { n, sha: hash.digest("hex") };
}

// A middleware placed just inside the SDK's response-checksum validation: it rewrites the
// x-amz-checksum-crc32 header the server sent before the SDK checks the body against it.
function corruptChecksum(client) {
  client.middlewareStack.addRelativeTo((next) => async (args) => {
    const out = await next(args);
    if (out.response?.headers?.["x-amz-checksum-crc32"]) out.response.headers["x-amz-checksum-crc32"] = "AAAAAA==";
    return out;
  }, { name: "corruptChecksum", relation: "after", toMiddleware: "flexibleChecksumsResponseMiddleware" });
  return client;
}

test("a 200 MiB Upload with CRC32 FULL_OBJECT: the SDK validates the checksum on download", { timeout: 240000 }, async () => {
  const c = s3();
  await c.send(new CreateBucketCommand({ Bucket }));
  const body = randomBytes(200 * MIB);
  const want = b64crc32(body);
  const sha = createHash("sha256").update(body).digest("hex");
  const up = new Upload({ client: c, partSize: 8 * MIB, queueSize: 4,
    params: { Bucket, Key: "big", Body: body, ChecksumAlgorithm: "CRC32", ChecksumType: "FULL_OBJECT" } });
  const done = await up.done();
  assert.equal(done.ChecksumCRC32, want);
  assert.equal(done.ChecksumType, "FULL_OBJECT");
  assert.match(done.ETag, /-25"$/);

  const h = await c.send(new HeadObjectCommand({ Bucket, Key: "big", ChecksumMode: "ENABLED" }));
  assert.equal(h.ChecksumCRC32, want);
  assert.equal(h.ChecksumType, "FULL_OBJECT");

  const g = await c.send(new GetObjectCommand({ Bucket, Key: "big", ChecksumMode: "ENABLED" }));
  assert.equal(g.ChecksumCRC32, want);
  const got = await readAll(g.Body);
  assert.deepEqual(got, { n: body.length, sha });

  // The same download with the checksum header corrupted fails in the SDK's validation.
  const bad = corruptChecksum(s3());
  const g2 = await bad.send(new GetObjectCommand({ Bucket, Key: "big", ChecksumMode: "ENABLED" }));
  await assert.rejects(readAll(g2.Body), /Checksum mismatch/);
});

test("a COMPOSITE Upload: the checksum of part checksums, and a part validated alone", { timeout: 120000 }, async () => {
  const c = s3();
  const body = randomBytes(12 * MIB);
  const up = new Upload({ client: c, partSize: 5 * MIB,
    params: { Bucket, Key: "comp", Body: body, ChecksumAlgorithm: "CRC32" } });
  const done = await up.done();
  const parts = [body.subarray(0, 5 * MIB), body.subarray(5 * MIB, 10 * MIB), body.subarray(10 * MIB)];
  const raw = Buffer.concat(parts.map((p) => Buffer.from(b64crc32(p), "base64")));
  const want = `${b64crc32(raw)}-3`;
  assert.equal(done.ChecksumCRC32, want);
  assert.equal(done.ChecksumType, "COMPOSITE");
  const h = await c.send(new HeadObjectCommand({ Bucket, Key: "comp", ChecksumMode: "ENABLED" }));
  assert.equal(h.ChecksumCRC32, want);
  assert.equal(h.ChecksumType, "COMPOSITE");
  const g = await c.send(new GetObjectCommand({ Bucket, Key: "comp", PartNumber: 3, ChecksumMode: "ENABLED" }));
  assert.equal(g.ChecksumCRC32, b64crc32(parts[2]));
  assert.equal(g.PartsCount, 3);
  assert.equal((await readAll(g.Body)).n, parts[2].length);
  const bad = corruptChecksum(s3());
  const g2 = await bad.send(new GetObjectCommand({ Bucket, Key: "comp", PartNumber: 3, ChecksumMode: "ENABLED" }));
  await assert.rejects(readAll(g2.Body), /Checksum mismatch/);
  const a = await c.send(new GetObjectAttributesCommand({ Bucket, Key: "comp",
    ObjectAttributes: ["Checksum", "ObjectParts"], MaxParts: 2 }));
  assert.equal(a.ObjectParts.TotalPartsCount, 3);
  assert.equal(a.ObjectParts.IsTruncated, true);
  assert.deepEqual(a.ObjectParts.Parts.map((p) => p.ChecksumCRC32), parts.slice(0, 2).map(b64crc32));
});
