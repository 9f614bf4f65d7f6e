// SPDX-License-Identifier: Apache-2.0
// Lambda and CloudWatch Logs authorization through the AWS SDK for JavaScript v3 (issue 15,
// package L1): an IAM user (made with IAM's query API, signed here) is refused what no policy
// allows, a function policy alone lets it invoke, and a function URL with AuthType NONE answers
// only once its policy allows everyone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import {
  LambdaClient, CreateFunctionCommand, GetFunctionCommand, InvokeCommand, AddPermissionCommand,
  CreateFunctionUrlConfigCommand,
} from "@aws-sdk/client-lambda";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { useServer, credentials } from "./stratus.mjs";

const srv = useServer("authz-lambda");

class Sha256 {
  constructor(secret) { this.h = secret ? createHmac("sha256", secret) : createHash("sha256"); }
  update(d) { this.h.update(d); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

// One IAM query call as the root; the response's XML text.
async function iam(params) {
  const url = new URL(srv.endpoint);
  const body = new URLSearchParams({ ...params, Version: "2010-05-08" }).toString();
  const signer = new SignatureV4({ credentials, region: "us-east-1", service: "iam", sha256: Sha256 });
  const req = await signer.sign({ method: "POST", protocol: "http:", hostname: url.hostname, port: Number(url.port),
    path: "/", headers: { host: url.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body });
  const [status, text] = await new Promise((resolve, reject) => {
    const r = http.request({ host: "127.0.0.1", port: url.port, path: "/", method: "POST", headers: req.headers }, (res) => {
      let b = "";
      res.on("data", (d) => { b += d; });
      res.on("end", () => resolve([res.statusCode, b]));
    });
    r.on("error", reject);
    r.end(body);
  });
  assert.equal(status, 200, text);
  return text;
}
const tag = (xml, name) => xml.match(new RegExp(`<${name}>([^<]*)</${name}>`))[1];

// A one-file zip (stored): app.py.
function zipOf(source) {
  const src = Buffer.from(source);
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const x of src) c = table[(c ^ x) & 0xff] ^ (c >>> 8);
  const crc = (c ^ 0xffffffff) >>> 0;
  const name = Buffer.from("app.py");
  const local = Buffer.alloc(30); local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14); local.writeUInt32LE(src.length, 18); local.writeUInt32LE(src.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46); central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6); central.writeUInt32LE(crc, 16); central.writeUInt32LE(src.length, 20);
  central.writeUInt32LE(src.length, 24); central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22); end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + name.length, 12); end.writeUInt32LE(30 + name.length + src.length, 16);
  return Buffer.concat([local, name, src, central, name, end]);
}

// GET a function URL (<url-id>.lambda-url.<region>.localhost: sent to 127.0.0.1 with its Host).
function get(url) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port: u.port, path: u.pathname, headers: { host: u.host } }, (r) => {
      let body = "";
      r.on("data", (d) => { body += d; });
      r.on("end", () => resolve({ status: r.statusCode, json: JSON.parse(body) }));
    }).on("error", reject);
  });
}

const denied = (e) => e.name === "AccessDeniedException" && e.$metadata.httpStatusCode === 403;

test("Lambda: refused without a policy, invoked by a function policy, a public URL", async () => {
  const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow",
    Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
  const role = tag(await iam({ Action: "CreateRole", RoleName: "js-authz-role", AssumeRolePolicyDocument: trust }), "Arn");
  await iam({ Action: "PutRolePolicy", RoleName: "js-authz-role", PolicyName: "all",
    PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) });
  const userArn = tag(await iam({ Action: "CreateUser", UserName: "js-authz-user" }), "Arn");
  const key = await iam({ Action: "CreateAccessKey", UserName: "js-authz-user" });
  const user = { accessKeyId: tag(key, "AccessKeyId"), secretAccessKey: tag(key, "SecretAccessKey") };

  const root = srv.client(LambdaClient);
  const lam = srv.client(LambdaClient, { credentials: user });
  await root.send(new CreateFunctionCommand({ FunctionName: "js-authz", Runtime: "python3.11", Handler: "app.handler",
    Role: role, Code: { ZipFile: zipOf("def handler(event, context):\n    return {'hi': 1}\n") } }));

  await assert.rejects(lam.send(new GetFunctionCommand({ FunctionName: "js-authz" })), denied);
  await assert.rejects(lam.send(new InvokeCommand({ FunctionName: "js-authz" })), (e) =>
    denied(e) && e.message.includes("lambda:InvokeFunction") && e.message.includes(userArn));
  await root.send(new AddPermissionCommand({ FunctionName: "js-authz", StatementId: "user",
    Action: "lambda:InvokeFunction", Principal: userArn }));
  const r = await lam.send(new InvokeCommand({ FunctionName: "js-authz" }));
  assert.deepEqual(JSON.parse(Buffer.from(r.Payload).toString()), { hi: 1 });
  await assert.rejects(lam.send(new GetFunctionCommand({ FunctionName: "js-authz" })), denied);

  await assert.rejects(srv.client(CloudWatchLogsClient, { credentials: user }).send(new DescribeLogGroupsCommand({})),
                       (e) => e.name === "AccessDeniedException");

  const { FunctionUrl } = await root.send(new CreateFunctionUrlConfigCommand({ FunctionName: "js-authz", AuthType: "NONE" }));
  assert.deepEqual(await get(FunctionUrl), { status: 403, json: { Message: "Forbidden" } });
  await root.send(new AddPermissionCommand({ FunctionName: "js-authz", StatementId: "url",
    Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE" }));
  assert.deepEqual(await get(FunctionUrl), { status: 200, json: { hi: 1 } });
});
