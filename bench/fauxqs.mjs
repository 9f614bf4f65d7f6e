// SPDX-License-Identifier: Apache-2.0
// Starts fauxqs (the SQS/SNS emulator from npm, bench/node_modules) for bench/messaging.py:
// in memory (no dataDir: its SQLite persistence is never opened), without its request log, on
// 127.0.0.1 only.
//
//   node bench/fauxqs.mjs PORT
//
// Two adjustments, neither touching how it serves a request:
// - fauxqs 2.x imports node:sqlite (Node >= 22.5) at load time for its optional persistence.
//   On an older Node the import is resolved to a module whose DatabaseSync throws, so an
//   in-memory server starts and a persistent one could not;
// - startFauxqs() listens on 0.0.0.0; the benchmark listens on loopback only, so a listen on
//   0.0.0.0 is turned into one on 127.0.0.1.
import net from "node:net";
import { register } from "node:module";

const port = parseInt(process.argv[2] ?? "", 10);
if (!(port > 0 && port < 65536)) {
  console.error("usage: node bench/fauxqs.mjs PORT");
  process.exit(2);
}

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 5)) {
  const stub =
    "export class DatabaseSync { constructor() { throw new Error(" +
    "'node:sqlite needs Node >= 22.5: fauxqs runs in memory only here'); } }";
  const hooks =
    "export async function resolve(spec, ctx, next) {" +
    "  if (spec === 'node:sqlite') return { url: " +
    JSON.stringify("data:text/javascript," + encodeURIComponent(stub)) +
    ", shortCircuit: true };" +
    "  return next(spec, ctx); }";
  register("data:text/javascript," + encodeURIComponent(hooks), import.meta.url);
}

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args[0] && typeof args[0] === "object" && (args[0].host === "0.0.0.0" || args[0].host === "::"))
    args[0] = { ...args[0], host: "127.0.0.1" };
  return listen.apply(this, args);
};

const { startFauxqs } = await import("fauxqs");
const server = await startFauxqs({ port, host: "127.0.0.1", logger: false });
console.log(`fauxqs listening on ${server.address}`);
const stop = () => server.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
