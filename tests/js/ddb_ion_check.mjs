// SPDX-License-Identifier: Apache-2.0
// Issue 17, package E: read DynamoDB ION export data files (gzip'd Ion text, paths in argv)
// with ion-js, an independent Ion implementation, and print each top-level value as DynamoDB
// JSON (one JSON line per value). Numbers come out as Ion's decimal text ("4d2", "12.5"), which
// the caller compares by value. Exits 1 if a file is not valid Ion.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import ion from 'ion-js';

function av(v) {
  const t = v.getType();
  const ann = v.getAnnotations();
  if (t === ion.IonTypes.NULL || v.isNull()) return { NULL: true };
  if (t === ion.IonTypes.STRING) return { S: v.stringValue() };
  if (t === ion.IonTypes.BOOL) return { BOOL: v.booleanValue() };
  if (t === ion.IonTypes.DECIMAL) return { N: v.decimalValue().toString() };
  if (t === ion.IonTypes.INT) return { N: String(v.bigIntValue()) };
  if (t === ion.IonTypes.BLOB) return { B: Buffer.from(v.uInt8ArrayValue()).toString('base64') };
  if (t === ion.IonTypes.STRUCT) return { M: struct(v) };
  if (t === ion.IonTypes.LIST) {
    const el = [...v];
    if (ann.includes('$dynamodb_SS')) return { SS: el.map((e) => e.stringValue()) };
    if (ann.includes('$dynamodb_NS')) return { NS: el.map((e) => e.decimalValue().toString()) };
    if (ann.includes('$dynamodb_BS'))
      return { BS: el.map((e) => Buffer.from(e.uInt8ArrayValue()).toString('base64')) };
    return { L: el.map(av) };
  }
  throw new Error(`unexpected Ion type ${t.name}`);
}

function struct(v) {
  const out = {};
  for (const [k, e] of v.fields()) out[k] = av(e);
  return out;
}

for (const path of process.argv.slice(2)) {
  const text = gunzipSync(readFileSync(path)).toString('utf8');
  for (const line of text.split('\n')) {
    if (!line) continue;
    const vals = ion.loadAll(line);
    if (vals.length !== 1) throw new Error(`line holds ${vals.length} values: ${line}`);
    const top = vals[0];
    const out = {};
    for (const [k, e] of top.fields()) {
      if (k === 'Metadata') out[k] = { WriteTimeMicros: String(e.get('WriteTimeMicros')) };
      else out[k] = struct(e);
    }
    console.log(JSON.stringify(out));
  }
}
