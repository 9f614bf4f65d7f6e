// SPDX-License-Identifier: Apache-2.0
// DynamoDB exports to S3 with the AWS SDK for JavaScript v3 (issue 17, package E): a full export
// in DYNAMODB_JSON and in ION, DescribeExport polled until COMPLETED, ListExports, and the files
// read back with client-s3: the manifests' checksums, each data file's MD5, and every item
// (DYNAMODB_JSON through unmarshall, ION through ion-js) equal to the table's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import {
  DynamoDBClient, CreateTableCommand, PutItemCommand, ScanCommand, DescribeTableCommand,
  UpdateContinuousBackupsCommand, ExportTableToPointInTimeCommand, DescribeExportCommand,
  ListExportsCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { S3Client, CreateBucketCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import ion from "ion-js";
import { useServer } from "./stratus.mjs";

const srv = useServer("ddb_export");
const ddb = () => srv.client(DynamoDBClient);
const s3 = () => srv.client(S3Client, { forcePathStyle: true });
const Bucket = "js-exports";
const TableName = "js-export";
const md5 = (b) => createHash("md5").update(b).digest("base64");
const bytes = async (out) => Buffer.from(await out.Body.transformToByteArray());

async function setup() {
  const d = ddb();
  await s3().send(new CreateBucketCommand({ Bucket }));
  await d.send(new CreateTableCommand({
    TableName, BillingMode: "PAY_PER_REQUEST",
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "N" }],
  }));
  for (let i = 0; i < 30; i++) {
    await d.send(new PutItemCommand({ TableName, Item: marshall({
      id: i, name: `item "${i}"\n`, price: i * 100 + 0.25, tags: new Set([`t${i}`, "all"]),
      nested: { list: [i, "x", true, null], blob: Buffer.from([i, 255]) },
    }) }));
  }
  await d.send(new UpdateContinuousBackupsCommand({
    TableName, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
  return (await d.send(new DescribeTableCommand({ TableName }))).Table.TableArn;
}

async function exportAndRead(TableArn, ExportFormat) {
  const d = ddb();
  const { ExportDescription: start } = await d.send(new ExportTableToPointInTimeCommand({
    TableArn, S3Bucket: Bucket, S3Prefix: `js/${ExportFormat}`, ExportFormat }));
  assert.equal(start.ExportFormat, ExportFormat);
  let desc;
  for (let i = 0; i < 300; i++) {
    desc = (await d.send(new DescribeExportCommand({ ExportArn: start.ExportArn }))).ExportDescription;
    if (desc.ExportStatus !== "IN_PROGRESS") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(desc.ExportStatus, "COMPLETED");
  assert.equal(desc.ItemCount, 30);
  const c = s3();
  const base = desc.ExportManifest.replace(/manifest-summary\.json$/, "");
  const get = async (Key) => bytes(await c.send(new GetObjectCommand({ Bucket, Key })));
  const summaryBytes = await get(desc.ExportManifest);
  assert.equal((await get(base + "manifest-summary.md5")).toString(), md5(summaryBytes));
  const summary = JSON.parse(summaryBytes);
  assert.equal(summary.exportArn, start.ExportArn);
  assert.equal(summary.outputFormat, ExportFormat);
  assert.equal(summary.itemCount, 30);
  const filesBytes = await get(summary.manifestFilesS3Key);
  assert.equal((await get(base + "manifest-files.md5")).toString(), md5(filesBytes));
  const items = [];
  for (const line of filesBytes.toString().split("\n").filter(Boolean)) {
    const f = JSON.parse(line);
    const body = await get(f.dataFileS3Key);
    assert.equal(f.md5Checksum, md5(body));
    const text = gunzipSync(body).toString();
    const lines = text.split("\n").filter(Boolean);
    assert.equal(lines.length, f.itemCount);
    for (const l of lines) items.push(l);
  }
  return { desc, items };
}

const norm = (o) => JSON.stringify(o, (k, v) => {
  if (v instanceof Set) return [...v].sort();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (v && typeof v === "object" && !Array.isArray(v))
    return Object.fromEntries(Object.keys(v).sort().map((x) => [x, v[x]]));
  return v;
});

test("export a table in DYNAMODB_JSON and ION and read it back with client-s3", async () => {
  const TableArn = await setup();
  const table = (await ddb().send(new ScanCommand({ TableName }))).Items.map((i) => norm(unmarshall(i)));
  table.sort();

  const json = await exportAndRead(TableArn, "DYNAMODB_JSON");
  const fromJson = json.items.map((l) => norm(unmarshall(JSON.parse(l).Item))).sort();
  assert.deepEqual(fromJson, table);

  const ionx = await exportAndRead(TableArn, "ION");
  const fromIon = ionx.items.map((l) => {
    assert.ok(l.startsWith("$ion_1_0 {Item:{"), l);
    const item = ion.load(l).get("Item");
    const conv = (v) => {
      const t = v.getType(), ann = v.getAnnotations();
      if (v.isNull()) return null;
      if (t === ion.IonTypes.STRING) return v.stringValue();
      if (t === ion.IonTypes.BOOL) return v.booleanValue();
      if (t === ion.IonTypes.DECIMAL) return Number(v.decimalValue().toString().replace("d", "e"));
      if (t === ion.IonTypes.BLOB) return new Uint8Array(v.uInt8ArrayValue());
      if (t === ion.IonTypes.STRUCT) return Object.fromEntries([...v.fields()].map(([k, e]) => [k, conv(e)]));
      if (ann.includes("$dynamodb_SS")) return new Set([...v].map(conv));
      return [...v].map(conv);
    };
    return norm(conv(item));
  }).sort();
  assert.deepEqual(fromIon, table);

  const list = await ddb().send(new ListExportsCommand({ TableArn }));
  assert.deepEqual(list.ExportSummaries.map((s) => s.ExportArn).sort(),
                   [json.desc.ExportArn, ionx.desc.ExportArn].sort());
  for (const s of list.ExportSummaries) {
    assert.equal(s.ExportStatus, "COMPLETED");
    assert.equal(s.ExportType, "FULL_EXPORT");
  }
});
