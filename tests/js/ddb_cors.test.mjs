// SPDX-License-Identifier: Apache-2.0
// CORS on the DynamoDB endpoint (issue 17, package H) through the AWS SDK for JavaScript v3:
// the requests a browser page's SDK makes carry an Origin; the browser first sends the
// preflight (unsigned OPTIONS naming the SDK's headers), then reads the answer only if it
// carries Access-Control-Allow-Origin and exposes x-amzn-RequestId. Here the SDK runs in Node,
// with a middleware adding the page's Origin and recording the response headers, and the
// preflight is sent with fetch exactly as a browser sends it for the SDK's PutItem.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand, DescribeTableCommand,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient, ListStreamsCommand } from "@aws-sdk/client-dynamodb-streams";
import { useServer } from "./stratus.mjs";

const srv = useServer("ddb-cors", () => {});
const ORIGIN = "http://127.0.0.1:8123";

// A client that sends ORIGIN and records each response's headers in seen.
function fromPage(Ctor, seen) {
  const c = srv.client(Ctor);
  c.middlewareStack.add((next) => async (args) => {
    args.request.headers.origin = ORIGIN;
    const out = await next(args);
    seen.push(out.response.headers);
    return out;
  }, { step: "finalizeRequest", name: "pageOrigin", priority: "low" });
  c.middlewareStack.add((next) => async (args) => {
    try {
      return await next(args);
    } catch (e) {
      if (e.$response) seen.push(e.$response.headers);
      throw e;
    }
  }, { step: "deserialize", name: "errorHeaders", priority: "high" });
  return c;
}

test("the preflight the SDK's PutItem needs is answered as DynamoDB answers it", async () => {
  const r = await fetch(srv.endpoint + "/", {
    method: "OPTIONS",
    headers: {
      origin: ORIGIN,
      "access-control-request-method": "POST",
      "access-control-request-headers":
        "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-content-sha256,x-amz-date,x-amz-target,x-amz-user-agent",
    },
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("access-control-allow-origin"), "*");
  assert.match(r.headers.get("access-control-allow-methods"), /POST/);
  const allowed = r.headers.get("access-control-allow-headers").toLowerCase();
  for (const h of ["authorization", "x-amz-target", "x-amz-date", "content-type", "amz-sdk-invocation-id"])
    assert.ok(allowed.includes(h), `${h} not in ${allowed}`);
  assert.equal(r.headers.get("access-control-max-age"), "172800");
  assert.equal((await r.text()).length, 0);
});

test("DynamoDB and Streams answers to a page's SDK carry the CORS headers, errors too", async () => {
  const seen = [];
  const c = fromPage(DynamoDBClient, seen);
  await c.send(new CreateTableCommand({
    TableName: "corsjs", BillingMode: "PAY_PER_REQUEST",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
  }));
  await c.send(new PutItemCommand({ TableName: "corsjs", Item: { pk: { S: "a" }, v: { N: "1" } } }));
  const g = await c.send(new GetItemCommand({ TableName: "corsjs", Key: { pk: { S: "a" } } }));
  assert.equal(g.Item.v.N, "1");
  await assert.rejects(c.send(new DescribeTableCommand({ TableName: "no-such-table" })),
                       (e) => e.name === "ResourceNotFoundException");
  const s = fromPage(DynamoDBStreamsClient, seen);
  const ls = await s.send(new ListStreamsCommand({ TableName: "corsjs" }));
  assert.equal(ls.Streams.length, 1);
  assert.equal(seen.length, 5);
  for (const h of seen) {
    assert.equal(h["access-control-allow-origin"], "*");
    const exposed = (h["access-control-expose-headers"] || "").toLowerCase();
    assert.ok(exposed.includes("x-amzn-requestid") && exposed.includes("x-amzn-errortype"), exposed);
  }
});

test("without an Origin the SDK's answers carry no CORS headers", async () => {
  const c = srv.client(DynamoDBClient);
  let headers;
  c.middlewareStack.add((next) => async (args) => {
    const out = await next(args);
    headers = out.response.headers;
    return out;
  }, { step: "finalizeRequest", name: "record", priority: "low" });
  await c.send(new GetItemCommand({ TableName: "corsjs", Key: { pk: { S: "a" } } }));
  assert.equal(headers["access-control-allow-origin"], undefined);
});
