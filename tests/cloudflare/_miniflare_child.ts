/**
 * Child-process entry of the Cloudflare harness (run by Node: Miniflare is a
 * Node library). Bundles a test Worker with esbuild, serves it with Miniflare
 * (the real workerd) on 127.0.0.1, port 0, and prints `{"url":"http://…/"}`.
 *
 * Usage: `node --import tsx _miniflare_child.ts <worker.ts>`; the env var
 * `SIO_CF_BINDINGS` may hold a JSON object of string bindings, and
 * `SIO_CF_OBJECTS` one of Durable Object bindings to class names (default
 * `{"SOCKET_IO":"SocketIO"}`). Nothing
 * reaches for the network: the `cf` object is the built-in fallback, storage
 * is in memory, and Miniflare has no telemetry. SIGTERM or the end of stdin
 * disposes of workerd and exits.
 *
 * @module
 */

import process from "node:process";
import type { Readable } from "node:stream";
import { build } from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";

/** The newest date the installed workerd (2026-04-26) accepts. */
export const COMPATIBILITY_DATE = "2026-04-26";

const entry = process.argv[2];
if (!entry) {
  process.stderr.write("usage: _miniflare_child.ts <worker.ts>\n");
  process.exit(2);
}

const bundle = await build({
  entryPoints: [entry],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["workerd", "worker", "browser"],
  write: false,
  logLevel: "silent",
});

const mf = new Miniflare({
  modules: true,
  script: bundle.outputFiles[0]!.text,
  compatibilityDate: COMPATIBILITY_DATE,
  durableObjects: JSON.parse(process.env.SIO_CF_OBJECTS ?? '{"SOCKET_IO":"SocketIO"}'),
  bindings: JSON.parse(process.env.SIO_CF_BINDINGS ?? "{}"),
  host: "127.0.0.1",
  port: 0,
  cf: false,
  log: new Log(LogLevel.WARN),
  // workerd's console goes to stderr: stdout carries only the JSON lines
  handleRuntimeStdio(stdout: Readable, stderr: Readable) {
    stdout.pipe(process.stderr);
    stderr.pipe(process.stderr);
  },
});
const url = await mf.ready;
process.stdout.write(JSON.stringify({ url: url.href }) + "\n");

let disposing = false;
async function stop(): Promise<void> {
  if (disposing) return;
  disposing = true;
  try {
    await mf.dispose();
  } finally {
    process.exit(0);
  }
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
