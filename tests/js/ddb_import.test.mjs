// SPDX-License-Identifier: Apache-2.0
// ImportTable (issue 17, package I) through the AWS SDK for JavaScript v3: Ion input written by
// ion-js (an independent Ion implementation: every attribute type, sets annotated as DynamoDB's
// ION export writes them, compact and pretty-printed records) and gzip'd, DYNAMODB_JSON input
// compressed by the zstd CLI, CSV input, all put with client-s3; ImportTable, DescribeImport
// polled until the import ends, every item read back with lib-dynamodb and compared; a bad
// record's error read back with client-cloudwatch-logs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import ion from "ion-js";
import {
  DynamoDBClient, ImportTableCommand, DescribeImportCommand, ListImportsCommand, DescribeTableCommand,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand, QueryCommand, GetCommand } from "@aws-sdk/lib-dynamodb";
import { S3Client, CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CloudWatchLogsClient, GetLogEventsCommand, DescribeLogStreamsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { useServer } from "./stratus.mjs";

const srv = useServer("ddb-import", () => {});
const ddb = () => srv.client(DynamoDBClient);
const doc = () => DynamoDBDocumentClient.from(ddb(), { unmarshallOptions: { wrapNumbers: true } });
const s3 = () => srv.client(S3Client, { forcePathStyle: true });
let bucketMade = false;

async function put(key, body) {
  if (!bucketMade) {
    await s3().send(new CreateBucketCommand({ Bucket: "imports" }));
    bucketMade = true;
  }
  await s3().send(new PutObjectCommand({ Bucket: "imports", Key: key, Body: body }));
}

const KEYS = {
  KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
  AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "N" }],
  BillingMode: "PAY_PER_REQUEST",
};

// ImportTable, then DescribeImport until the import ends (bounded): [started, ended] descriptions.
async function runImport(table, prefix, InputFormat, InputCompressionType, params = KEYS, extra = {}) {
  const r = await ddb().send(new ImportTableCommand({
    S3BucketSource: { S3Bucket: "imports", S3KeyPrefix: prefix }, InputFormat, InputCompressionType,
    TableCreationParameters: { TableName: table, ...params }, ...extra,
  }));
  const started = r.ImportTableDescription;
  assert.equal(started.ImportStatus, "IN_PROGRESS");
  const deadline = Date.now() + 120000;
  for (let i = 0; i < 20000 && Date.now() < deadline; i++) {
    const d = (await ddb().send(new DescribeImportCommand({ ImportArn: started.ImportArn }))).ImportTableDescription;
    if (d.ImportStatus !== "IN_PROGRESS") return [started, d];
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`import ${started.ImportArn} did not end`);
}

async function scanAll(table, extra = {}) {
  const out = [];
  let ExclusiveStartKey;
  for (let i = 0; i < 1000; i++) {
    const r = await doc().send(new ScanCommand({ TableName: table, ExclusiveStartKey, ...extra }));
    out.push(...r.Items);
    ExclusiveStartKey = r.LastEvaluatedKey;
    if (!ExclusiveStartKey) return out;
  }
  throw new Error("scan did not end");
}

// A DynamoDB number as a canonical string (no leading/trailing zeros, exponent form), so that
// "-12.50", "-1.25d1" and "-12.5" compare equal.
function canon(n) {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eEdD]([+-]?\d+))?$/.exec(n);
  assert.ok(m, `not a number: ${n}`);
  let digits = (m[2] || "") + (m[3] || "");
  let exp = Number(m[4] || 0) - (m[3] || "").length;
  digits = digits.replace(/^0+/, "");
  if (!digits) return "0";
  const trail = digits.length - digits.replace(/0+$/, "").length;
  digits = digits.slice(0, digits.length - trail);
  exp += trail;
  return `${m[1] === "-" ? "-" : ""}${digits}e${exp}`;
}

const b64 = (u8) => Buffer.from(u8).toString("base64");

// A low-level attribute value with numbers canonical, binaries base64 and sets sorted.
function normAV(v) {
  const [[t, x]] = Object.entries(v);
  switch (t) {
    case "N": return { N: canon(x) };
    case "B": return { B: typeof x === "string" ? x : b64(x) };
    case "NS": return { NS: x.map(canon).sort() };
    case "SS": return { SS: [...x].sort() };
    case "BS": return { BS: x.map((e) => (typeof e === "string" ? e : b64(e))).sort() };
    case "M": return { M: Object.fromEntries(Object.entries(x).map(([k, e]) => [k, normAV(e)])) };
    case "L": return { L: x.map(normAV) };
    default: return { [t]: x };
  }
}
const normItem = (it) => Object.fromEntries(Object.entries(it).map(([k, v]) => [k, normAV(v)]).sort());

// What lib-dynamodb hands back (wrapNumbers: NumberValue; sets: Set) as a low-level value.
function fromNative(v) {
  if (v === null) return { NULL: true };
  if (typeof v === "boolean") return { BOOL: v };
  if (typeof v === "string") return { S: v };
  if (v instanceof Uint8Array) return { B: b64(v) };
  if (v instanceof Set) {
    const el = [...v];
    if (typeof el[0] === "string") return { SS: el };
    if (el[0] instanceof Uint8Array) return { BS: el.map(b64) };
    return { NS: el.map((e) => e.value) };
  }
  if (Array.isArray(v)) return { L: v.map(fromNative) };
  if (v && v.constructor && v.constructor.name === "NumberValue") return { N: v.value };
  return { M: Object.fromEntries(Object.entries(v).map(([k, e]) => [k, fromNative(e)])) };
}

// One attribute value into an Ion writer as DynamoDB's ION export writes it: N as a decimal
// (Ion's exponent letter is d), B as a blob, sets as lists annotated $dynamodb_SS/NS/BS.
function writeAV(w, v) {
  const [[t, x]] = Object.entries(v);
  const dec = (n) => ion.Decimal.parse(n.replace(/[eE]/, "d"));
  switch (t) {
    case "S": w.writeString(x); break;
    case "N": w.writeDecimal(dec(x)); break;
    case "B": w.writeBlob(Buffer.from(x, "base64")); break;
    case "BOOL": w.writeBoolean(x); break;
    case "NULL": w.writeNull(ion.IonTypes.NULL); break;
    case "M":
      w.stepIn(ion.IonTypes.STRUCT);
      for (const [k, e] of Object.entries(x)) {
        w.writeFieldName(k);
        writeAV(w, e);
      }
      w.stepOut();
      break;
    case "L":
      w.stepIn(ion.IonTypes.LIST);
      for (const e of x) writeAV(w, e);
      w.stepOut();
      break;
    case "SS": case "NS": case "BS":
      w.setAnnotations([`$dynamodb_${t}`]);
      w.stepIn(ion.IonTypes.LIST);
      for (const e of x) writeAV(w, { [t[0]]: e });
      w.stepOut();
      break;
    default: throw new Error(`no Ion for ${t}`);
  }
}

// Items as `$ion_1_0 {Item:{...}}` records, one a line (pretty: ion-js's pretty writer, so a
// record spans lines).
function ionRecords(items, pretty = false) {
  return items.map((it) => {
    const w = pretty ? ion.makePrettyWriter() : ion.makeTextWriter();
    w.stepIn(ion.IonTypes.STRUCT);
    w.writeFieldName("Item");
    writeAV(w, { M: it });
    w.stepOut();
    w.close();
    return "$ion_1_0 " + new TextDecoder().decode(w.getBytes());
  }).join("\n") + "\n";
}

const EVERY_TYPE = [
  {
    pk: { S: "every type" }, sk: { N: "1" },
    s: { S: "quote \" backslash \\ newline \n tab \t ünïcödé € 🎉 'single' ${x}" },
    empty: { S: "" },
    n: { N: "-12.50" }, big: { N: "12345678901234567890123456789012345678" }, huge: { N: "9.9E+125" },
    tiny: { N: "1E-130" }, small: { N: "-0.000123" }, zero: { N: "0" }, exp: { N: "1E+20" },
    b: { B: b64(new Uint8Array([0, 1, 2, 254, 255])) }, slashes: { B: b64(new Uint8Array([255, 255, 251, 239])) }, t: { BOOL: true }, f: { BOOL: false }, z: { NULL: true },
    m: { M: { "weird key-1": { S: "x" }, "it's": { L: [{ N: "100" }, { S: "" }, { BOOL: false }] },
              nested: { M: { deeper: { M: { deepest: { NS: ["1", "2"] } } } } }, null: { N: "0.05" } } },
    l: { L: [{ N: "1" }, { M: {} }, { L: [] }, { L: [{ S: "in" }, { NULL: true }] }, { SS: ["q"] },
             { B: b64(Buffer.from("bin")) }] },
    ss: { SS: ["x", "y", "", "ü"] }, ns: { NS: ["1", "2.5", "-300", "1E+100"] },
    bs: { BS: [b64(Buffer.from("1")), b64(Buffer.from("22")), b64(new Uint8Array([0])), b64(new Uint8Array([255, 255]))] },
  },
  { pk: { S: "only keys" }, sk: { N: "-5.5" } },
  { pk: { S: "ü€🎉" }, sk: { N: "1E+30" }, v: { L: [] }, w: { M: {} } },
];

test("ION written by ion-js, gzip'd: every attribute type imports and reads back equal", async () => {
  const pretty = [];
  for (let i = 0; i < 40; i++) {
    pretty.push({ pk: { S: `p${i % 4}` }, sk: { N: `${i}.25` }, i: { N: String(i * 1000) },
                  g: { S: `g${i % 3}` }, tags: { SS: [`t${i}`, "all"] } });
  }
  await put("ion/data/aaaa.ion.gz", gzipSync(ionRecords(EVERY_TYPE)));
  await put("ion/data/bbbb.ion.gz", gzipSync(ionRecords(pretty, true)));
  // ion-js's own writer output is read by ion-js (the records are valid Ion)
  assert.equal(ion.loadAll(ionRecords(pretty, true)).length, 40);
  const params = {
    ...KEYS,
    AttributeDefinitions: [...KEYS.AttributeDefinitions, { AttributeName: "g", AttributeType: "S" }],
    GlobalSecondaryIndexes: [{ IndexName: "byg", KeySchema: [{ AttributeName: "g", KeyType: "HASH" },
                                                             { AttributeName: "sk", KeyType: "RANGE" }],
                               Projection: { ProjectionType: "ALL" } }],
  };
  const [started, d] = await runImport("ionjs", "ion/data/", "ION", "GZIP", params, { ClientToken: "ion-js-1" });
  assert.equal(d.ImportStatus, "COMPLETED", JSON.stringify(d));
  assert.equal(d.InputFormat, "ION");
  assert.equal(d.InputCompressionType, "GZIP");
  assert.equal(d.ImportedItemCount, 43);
  assert.equal(d.ProcessedItemCount, 43);
  assert.equal(d.ErrorCount, 0);
  assert.equal(d.TableArn, started.TableArn);
  assert.ok(d.EndTime instanceof Date && d.EndTime >= d.StartTime);
  const expected = [...EVERY_TYPE, ...pretty].map(normItem);
  const got = (await scanAll("ionjs")).map((it) => normItem(fromNative(it).M));
  const key = (it) => `${it.pk.S}\u0000${it.sk.N}`;
  assert.equal(got.length, expected.length);
  const want = new Map(expected.map((it) => [key(it), it]));
  for (const it of got) assert.deepEqual(it, want.get(key(it)), key(it));
  // one item by key through lib-dynamodb: native values (strings, a Set, Uint8Array, null)
  const one = (await doc().send(new GetCommand({ TableName: "ionjs", Key: { pk: "every type", sk: 1 },
                                                 ConsistentRead: true }))).Item;
  assert.equal(one.s, EVERY_TYPE[0].s.S);
  assert.equal(one.empty, "");
  assert.equal(one.z, null);
  assert.deepEqual([...one.b], [0, 1, 2, 254, 255]);
  assert.deepEqual([...one.slashes], [255, 255, 251, 239]); // base64 "///77w==": no Ion comment
  assert.ok(one.ss instanceof Set && one.ss.has("ü") && one.ss.has(""));
  assert.equal(one.big.value, "12345678901234567890123456789012345678");
  // the GSI was filled by the import
  const q = await doc().send(new QueryCommand({ TableName: "ionjs", IndexName: "byg",
                                                KeyConditionExpression: "g = :g", ExpressionAttributeValues: { ":g": "g1" } }));
  assert.equal(q.Count, 13);
  assert.deepEqual(q.Items.map((i) => i.i.value), Array.from({ length: 13 }, (_, k) => String((3 * k + 1) * 1000)));
  const t = (await ddb().send(new DescribeTableCommand({ TableName: "ionjs" }))).Table;
  assert.equal(t.TableStatus, "ACTIVE");
  assert.equal(t.GlobalSecondaryIndexes[0].IndexStatus, "ACTIVE");
});

test("DYNAMODB_JSON compressed by the zstd CLI, in two objects, with a GSI", async () => {
  const item = (i) => ({ pk: { S: `u${i % 10}` }, sk: { N: String(i) }, v: { S: "v".repeat(i % 50) },
                         ...(i % 5 ? { g: { S: `g${i % 7}` } } : {}), l: { L: [{ N: String(-i) }] },
                         ...(i % 9 ? {} : { b: { B: b64(Buffer.from([i % 256, 255, 255])) }, ns: { NS: [String(i), "0.5"] } }) });
  const lines = (lo, hi) => Array.from({ length: hi - lo }, (_, k) => JSON.stringify({ Item: item(lo + k) })).join("\n") + "\n";
  const zstd = (s) => {
    const r = spawnSync("zstd", ["-q", "-c"], { input: Buffer.from(s), timeout: 60000 });
    assert.equal(r.status, 0, String(r.stderr));
    assert.deepEqual([...r.stdout.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]); // zstd's magic
    return r.stdout;
  };
  const a = lines(0, 1500);
  const b = lines(1500, 3000);
  await put("zstd/part-1.json.zst", zstd(a));
  await put("zstd/part-2.json.zst", zstd(b));
  const params = {
    ...KEYS,
    AttributeDefinitions: [...KEYS.AttributeDefinitions, { AttributeName: "g", AttributeType: "S" }],
    GlobalSecondaryIndexes: [{ IndexName: "gidx", KeySchema: [{ AttributeName: "g", KeyType: "HASH" }],
                               Projection: { ProjectionType: "KEYS_ONLY" } }],
  };
  const [started, d] = await runImport("zjson", "zstd/", "DYNAMODB_JSON", "ZSTD", params);
  assert.equal(d.ImportStatus, "COMPLETED", JSON.stringify(d));
  assert.equal(d.ImportedItemCount, 3000);
  assert.equal(d.ErrorCount, 0);
  assert.equal(d.ProcessedSizeBytes, Buffer.byteLength(a) + Buffer.byteLength(b)); // uncompressed
  const items = await scanAll("zjson");
  assert.equal(items.length, 3000);
  // every item equal to its source line
  const seen = new Set();
  for (const it of items) {
    const i = Number(it.sk.value);
    seen.add(i);
    assert.deepEqual(normItem(fromNative(it).M), normItem(item(i)), `item ${i}`);
  }
  assert.equal(seen.size, 3000);
  let count = 0;
  for (let g = 0; g < 7; g++) {
    let ExclusiveStartKey;
    for (let p = 0; p < 100; p++) {
      const q = await doc().send(new QueryCommand({ TableName: "zjson", IndexName: "gidx", ExclusiveStartKey,
        KeyConditionExpression: "g = :g", ExpressionAttributeValues: { ":g": `g${g}` } }));
      count += q.Count;
      ExclusiveStartKey = q.LastEvaluatedKey;
      if (!ExclusiveStartKey) break;
    }
  }
  assert.equal(count, 2400); // items without g are not in the sparse index
  const listed = (await ddb().send(new ListImportsCommand({ TableArn: started.TableArn }))).ImportSummaryList;
  assert.deepEqual(listed.map((s) => [s.ImportArn, s.ImportStatus, s.InputFormat]),
                   [[started.ImportArn, "COMPLETED", "DYNAMODB_JSON"]]);
});

test("CSV with a header: key attributes typed by AttributeDefinitions, every other column S", async () => {
  const csv = 'id,name,price,note\r\n' +
    '1,Widget,9.99,"comma, inside"\r\n' +
    '2,"Gadget ""Pro""",100,"two\nlines"\r\n' +
    '3,Ünïcode €,0,\r\n' +
    '-4.5,neg,-1,x\r\n';
  await put("csv/items.csv", csv);
  const params = {
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "N" }],
    BillingMode: "PAY_PER_REQUEST",
  };
  const [, d] = await runImport("csvjs", "csv/", "CSV", "NONE", params);
  assert.equal(d.ImportStatus, "COMPLETED", JSON.stringify(d));
  assert.equal(d.ImportedItemCount, 4);
  const get = async (id) => (await doc().send(new GetCommand({ TableName: "csvjs", Key: { id }, ConsistentRead: true }))).Item;
  const one = await get(1);
  assert.equal(one.id.value, "1");
  assert.equal(one.price, "9.99"); // not a key: a string
  assert.equal(one.note, "comma, inside");
  const two = await get(2);
  assert.equal(two.name, 'Gadget "Pro"');
  assert.equal(two.note, "two\nlines");
  const three = await get(3);
  assert.equal(three.name, "Ünïcode €");
  assert.equal(three.price, "0");
  assert.equal("note" in three, false); // an empty cell is no attribute
  const four = await get(-4.5);
  assert.deepEqual(fromNative(four), { M: { id: { N: "-4.5" }, name: { S: "neg" }, price: { S: "-1" }, note: { S: "x" } } });
});

test("bad records: counted, the import FAILED, each error read back through CloudWatch Logs", async () => {
  const good = (i) => JSON.stringify({ Item: { pk: { S: "ok" }, sk: { N: String(i) } } });
  await put("bad/1-good.json", `${good(1)}\n${good(2)}\n`);
  await put("bad/2-nokey.json", `{"Item":{"pk":{"S":"ok"}}}\n${good(3)}\n`);
  await put("bad/3-notjson.json", `{"Item": {\n`);
  const [started, d] = await runImport("badjs", "bad/", "DYNAMODB_JSON", "NONE");
  assert.equal(d.ImportStatus, "FAILED");
  assert.equal(d.FailureCode, "ItemValidationError");
  assert.equal(d.ErrorCount, 2);
  assert.equal(d.ImportedItemCount, 2);
  assert.equal(d.ProcessedItemCount, 4);
  assert.equal((await scanAll("badjs")).length, 2); // the good items are kept
  assert.equal(d.CloudWatchLogGroupArn, "arn:aws:logs:us-east-1:000000000000:log-group:/aws-dynamodb/imports:*");
  const logs = srv.client(CloudWatchLogsClient);
  const importId = started.ImportArn.split("/import/")[1];
  const streams = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: "/aws-dynamodb/imports" }))).logStreams;
  assert.ok(streams.some((s) => s.logStreamName === importId), JSON.stringify(streams));
  const events = (await logs.send(new GetLogEventsCommand({ logGroupName: "/aws-dynamodb/imports",
                                                            logStreamName: importId, startFromHead: true }))).events;
  assert.equal(events.length, 2);
  const msgs = events.map((e) => JSON.parse(e.message));
  assert.deepEqual(msgs.map((m) => m.itemS3Pointer.key).sort(), ["bad/2-nokey.json", "bad/3-notjson.json"]);
  for (const m of msgs) {
    assert.equal(m.itemS3Pointer.bucket, "imports");
    assert.equal(m.importArn, started.ImportArn);
    assert.ok(m.errorMessages.length >= 1 && m.errorMessages.every((s) => typeof s === "string" && s));
  }
  assert.match(msgs.find((m) => m.itemS3Pointer.key === "bad/2-nokey.json").errorMessages.join(" "), /sk/);
});
