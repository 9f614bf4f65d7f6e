// SPDX-License-Identifier: Apache-2.0
// The JS tests' server: stratusd (STRATUSD, else build/stratusd) on 127.0.0.1 port 0 with a
// temporary data directory, started before a test file's tests and stopped after them.
import { before, after } from "node:test";
import { spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const STRATUSD = process.env.STRATUSD ?? new URL("../../build/stratusd", import.meta.url).pathname;
export const credentials = { accessKeyId: "test", secretAccessKey: "test" };

// Registers the before/after hooks of the calling file (name goes in the temporary directory's
// name); started(srv), if given, runs in the before hook once the server listens. Returns srv:
// { endpoint } (set then) and client(Ctor, extra): an SDK client of that server (us-east-1, no
// retries).
export function useServer(name, started) {
  let proc, dir;
  const srv = {
    endpoint: undefined,
    client: (Ctor, extra = {}) =>
      new Ctor({ endpoint: srv.endpoint, region: "us-east-1", credentials, maxAttempts: 1, ...extra }),
  };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), `stratus-js-${name}-`));
    const portFile = join(dir, "port");
    proc = spawn(STRATUSD, ["--listen", "127.0.0.1:0", "--data-dir", join(dir, "db"), "--port-file", portFile,
                            "--threads", "2", "--log-level", "warn"], { stdio: "ignore" });
    for (let i = 0; i < 500 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 20));
    srv.endpoint = `http://127.0.0.1:${readFileSync(portFile, "utf8").trim()}`;
    if (started) started(srv);
  });
  after(async () => {
    // The directory goes once the server has exited: it may still be writing its files
    // (RocksDB's close) after SIGTERM. Bounded: SIGKILL after 10 s.
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return srv;
}

// A query-protocol request (IAM, STS) signed with SigV4 by hand (issue 15: the tests need no
// IAM client to create a function's role): the response's text; throws on an error status.
export async function queryCall(endpoint, service, params, creds = credentials) {
  const body = new URLSearchParams(params).toString();
  const now = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  const date = now.slice(0, 8);
  const host = new URL(endpoint).host;
  const sha = (s) => createHash("sha256").update(s).digest("hex");
  const hmac = (k, s) => createHmac("sha256", k).update(s).digest();
  const headers = { "content-type": "application/x-www-form-urlencoded; charset=utf-8", host, "x-amz-date": now };
  if (creds.sessionToken) headers["x-amz-security-token"] = creds.sessionToken;
  const names = Object.keys(headers).sort();
  const canonical = ["POST", "/", "", ...names.map((n) => `${n}:${headers[n]}`), "", names.join(";"), sha(body)].join("\n");
  const scope = `${date}/us-east-1/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", now, scope, sha(canonical)].join("\n");
  let k = hmac("AWS4" + creds.secretAccessKey, date);
  for (const part of ["us-east-1", service, "aws4_request"]) k = hmac(k, part);
  const sig = createHmac("sha256", k).update(toSign).digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${sig}`;
  delete headers.host;
  const r = await fetch(endpoint + "/", { method: "POST", headers, body });
  const text = await r.text();
  if (!r.ok) throw Object.assign(new Error(text), { status: r.status, body: text });
  return text;
}

// Create (idempotently) the IAM role name trusting lambda.amazonaws.com with an inline policy
// allowing everything (issue 15: a function's role must exist and trust Lambda); its ARN.
export async function lambdaRole(endpoint, name = "lambda-role") {
  const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole",
                                                      Principal: { Service: "lambda.amazonaws.com" } }] };
  try {
    await queryCall(endpoint, "iam", { Action: "CreateRole", Version: "2010-05-08", RoleName: name,
                                       AssumeRolePolicyDocument: JSON.stringify(trust) });
  } catch (e) {
    if (!/EntityAlreadyExists/.test(e.body ?? "")) throw e;
  }
  const all = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
  await queryCall(endpoint, "iam", { Action: "PutRolePolicy", Version: "2010-05-08", RoleName: name,
                                     PolicyName: "lambda-role", PolicyDocument: JSON.stringify(all) });
  return `arn:aws:iam::000000000000:role/${name}`;
}
