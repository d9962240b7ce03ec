/**
 * The size of `sio-edge/client` for browsers, as a benchmark (not a test):
 * each entry bundled by esbuild (ESM, minified, browser platform), then
 * gzip -9, next to the official socket.io-client ESM bundle.
 *
 * Usage: `node --import tsx bench/client_size.ts` (or `bun bench/client_size.ts`);
 * `--modules` adds, for each of sio-edge's entries, every module's minified
 * bytes (esbuild's metafile) and its gzip contribution (the bundle's gzip size
 * minus that of the bundle without the module's bytes).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

const modules: string[] = [];

/** Bundles `code` (an entry's source) and returns [raw, gzip] bytes. */
async function measure(code: string): Promise<[number, number]> {
  const result = await build({
    metafile: true,
    stdin: { contents: code, resolveDir: ROOT, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
  });
  const bytes = result.outputFiles[0]!.contents;
  const gzip = gzipSync(bytes, { level: 9 }).byteLength;
  // the metafile lists the inputs in output order, with their bytes there
  const inputs = Object.values(result.metafile.outputs)[0]!.inputs;
  const rows: [string, number, number][] = [];
  let offset = 0;
  for (const [name, { bytesInOutput }] of Object.entries(inputs)) {
    if (!bytesInOutput) continue;
    const without = new Uint8Array(bytes.byteLength - bytesInOutput);
    without.set(bytes.subarray(0, offset));
    without.set(bytes.subarray(offset + bytesInOutput), offset);
    rows.push([name, bytesInOutput, gzip - gzipSync(without, { level: 9 }).byteLength]);
    offset += bytesInOutput;
  }
  rows.sort((a, b) => b[2] - a[2]);
  modules.push(
    `\n${code}\n\n| module | min | gzip contribution |\n|---|---:|---:|\n` +
      rows.map(([name, min, gz]) => `| ${name} | ${min} B | ${gz} B |`).join("\n"),
  );
  return [bytes.byteLength, gzip];
}

const rows: [string, number, number][] = [];
rows.push([
  "sio-edge/client (io, Manager, Socket)",
  ...await measure(`export { io, Manager, Socket } from "./src/client/client.ts";`),
]);
rows.push([
  "sio-edge/client/websocket (io)",
  ...await measure(`export { io } from "./src/client/websocket.ts";`),
]);
const official = readFileSync(ROOT + "node_modules/socket.io-client/dist/socket.io.esm.min.js");
rows.push([
  "socket.io-client 4.8 dist/socket.io.esm.min.js",
  official.byteLength,
  gzipSync(official, { level: 9 }).byteLength,
]);
rows.push([
  "socket.io-client 4.8 esbuild of { io }",
  ...await measure(`export { io } from "socket.io-client";`),
]);

console.log("| bundle | min | min+gzip |\n|---|---:|---:|");
for (const [name, raw, gz] of rows) console.log(`| ${name} | ${raw} B | ${gz} B |`);
// the first two are sio-edge's entries (the others are the official client's modules)
if (process.argv.includes("--modules")) console.log(modules.slice(0, 2).join("\n"));
