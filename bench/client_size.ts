/**
 * The size of `sio-edge/client` for browsers, as a benchmark (not a test):
 * each entry bundled by esbuild (ESM, minified, browser platform), then
 * gzip -9, next to the official socket.io-client ESM bundle.
 *
 * Usage: `node --import tsx bench/client_size.ts` (or `bun bench/client_size.ts`)
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Bundles `code` (an entry's source) and returns [raw, gzip] bytes. */
async function measure(code: string): Promise<[number, number]> {
  const result = await build({
    stdin: { contents: code, resolveDir: ROOT, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
  });
  const bytes = result.outputFiles[0]!.contents;
  return [bytes.byteLength, gzipSync(bytes, { level: 9 }).byteLength];
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
