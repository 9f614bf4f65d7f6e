// SPDX-License-Identifier: Apache-2.0
// The JS tests' server: stratusd (STRATUSD, else build/stratusd) on 127.0.0.1 port 0 with a
// temporary data directory, started before a test file's tests and stopped after them.
import { before, after } from "node:test";
import { spawn } from "node:child_process";
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
  after(() => {
    proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });
  return srv;
}
