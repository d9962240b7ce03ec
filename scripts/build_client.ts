/**
 * Builds the browser bundles of the official `socket.io-client` with esbuild
 * and writes them, with their source maps and ETags, into
 * `src/socket/_client_bundles.generated.ts`, so that the server serves
 * `/socket.io/socket.io.js` without reading a file at run time (Workers have
 * no file system).
 *
 * Usage (from the repository root):
 *
 * ```sh
 * node --import tsx scripts/build_client.ts          # write the module
 * node --import tsx scripts/build_client.ts --check  # exit 1 when it is stale
 * deno run -A scripts/build_client.ts                # the same, on Deno
 * ```
 *
 * The output depends only on the installed versions of esbuild and
 * socket.io-client (both pinned by package-lock.json): paths in the maps are
 * relative, nothing reads the clock, and the ETags are content hashes. The
 * bundles come from the package's `build/esm` (the debug-free build the
 * official `dist/` is made from), with the browser variants of engine.io-client.
 *
 * @module
 */

import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLIENT = `${ROOT}node_modules/socket.io-client/`;
const OUTPUT = `${ROOT}src/socket/_client_bundles.generated.ts`;
/** Where the maps pretend the bundles live, so their sources read `../node_modules/...`. */
const OUTDIR = `${ROOT}client-dist`;
/** Syntax the bundles may use: what every browser of the last years runs. */
const TARGET = ["es2018"];

type Bundle = {
  name: string;
  format: "umd" | "esm";
  minify: boolean;
  entry: string;
  /** Whose client: the official socket.io-client (default) or sio-edge's own. */
  own?: boolean;
};

/**
 * As in the official package: `socket.io.js` is the development build (its
 * `debug` logging on, enabled in a browser with `localStorage.debug = "*"`),
 * the minified ones leave debug out.
 */
const BUNDLES: Bundle[] = [
  { name: "socket.io.js", format: "umd", minify: false, entry: "esm-debug" },
  { name: "socket.io.min.js", format: "umd", minify: true, entry: "esm" },
  { name: "socket.io.esm.min.js", format: "esm", minify: true, entry: "esm" },
  // sio-edge's own client (`sio-edge/client`), beside the official one
  { name: "socket.io.sio-edge.min.js", format: "umd", minify: true, entry: "", own: true },
  { name: "socket.io.sio-edge.esm.min.js", format: "esm", minify: true, entry: "", own: true },
];

/** The classic-script entry of sio-edge's client: `io`, carrying `Manager`, `Socket`, `connect`, `protocol`. */
const _OWN_UMD_ENTRY = `const m = require("./src/client/client.ts");
module.exports = Object.assign(m.io, { io: m.io, connect: m.io, Manager: m.Manager, Socket: m.Socket, protocol: m.protocol });`;
/** The module entry of sio-edge's client. */
const _OWN_ESM_ENTRY =
  `export * from "./src/client/client.ts"; export { default } from "./src/client/client.ts";`;
/** The notice sio-edge's bundles start with. */
const _OWN_BANNER = "/*! sio-edge client | MIT License */";

/** The classic-script entry: the value of `io` is the `lookup` function. */
const _umdEntry = (build: string) =>
  `module.exports = require("./node_modules/socket.io-client/build/${build}/browser-entrypoint.js").default;`;
/** The module entry: the package's own exports (io, Manager, Socket, protocol, ...). */
const _esmEntry = (build: string) => {
  const from = JSON.stringify(`./node_modules/socket.io-client/build/${build}/index.js`);
  return `export * from ${from}; export { default } from ${from};`;
};

/**
 * The UMD wrapper of the official bundles: CommonJS, then AMD, else the
 * global `io`. esbuild has no UMD format, so its IIFE goes inside the factory.
 */
const UMD_OPEN = `(function (global, factory) {
  typeof exports === "object" && typeof module !== "undefined" ? module.exports = factory() :
  typeof define === "function" && define.amd ? define(factory) :
  (global = typeof globalThis !== "undefined" ? globalThis : global || self, global.io = factory());
})(this, function () {`;
const UMD_CLOSE = `return io;\n});`;

async function _build(bundle: Bundle, banner: string): Promise<Map<string, string>> {
  const umd = bundle.format === "umd";
  const result = await esbuild.build({
    stdin: {
      contents: bundle.own
        ? (umd ? _OWN_UMD_ENTRY : _OWN_ESM_ENTRY)
        : (umd ? _umdEntry(bundle.entry) : _esmEntry(bundle.entry)),
      resolveDir: ROOT,
      sourcefile: umd ? "socket.io.umd-entry.js" : "socket.io.esm-entry.js",
      loader: "js",
    },
    bundle: true,
    write: false,
    platform: "browser",
    format: umd ? "iife" : "esm",
    ...(umd ? { globalName: "io", footer: { js: UMD_CLOSE } } : {}),
    minify: bundle.minify,
    target: TARGET,
    sourcemap: "linked",
    sourcesContent: true,
    legalComments: "none",
    banner: { js: umd ? `${banner}\n${UMD_OPEN}` : banner },
    charset: "utf8",
    absWorkingDir: ROOT,
    outfile: `${OUTDIR}/${bundle.name}`,
    logLevel: "warning",
    // sio-edge's client reads import.meta only where no WebSocket exists (Node 20), never in a browser
    ...(bundle.own ? { logOverride: { "empty-import-meta": "silent" } } : {}),
  });
  const files = new Map<string, string>();
  for (const file of result.outputFiles) {
    const name = file.path.slice(OUTDIR.length + 1);
    files.set(name, name.endsWith(".map") ? _withFile(file.text, bundle.name) : file.text);
  }
  return files;
}

/** Adds the map's `file` field (esbuild leaves it out; the official maps have it). */
function _withFile(mapText: string, file: string): string {
  const { version, ...rest } = JSON.parse(mapText) as { version: number };
  return JSON.stringify({ version, file, ...rest });
}

async function _etag(text: string, version: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const hex = [...new Uint8Array(digest).slice(0, 8)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return `"${version}-${hex}"`;
}

/** The license notice the official bundles start with, taken from the package. */
async function _banner(version: string): Promise<string> {
  const official = await readFile(`${CLIENT}dist/socket.io.js`, "utf8");
  const match = /^\/\*![\s\S]*?\*\//.exec(official);
  if (!match || !match[0].includes(version)) {
    throw new Error(`socket.io-client ${version}: no license banner in dist/socket.io.js`);
  }
  return match[0];
}

function _module(
  version: string,
  esbuildVersion: string,
  files: [string, { etag: string; body: string }][],
): string {
  const entries = files.map(([name, { etag, body }]) =>
    `  ${JSON.stringify(name)}: {\n    etag: ${JSON.stringify(etag)},\n    body: ${
      JSON.stringify(body)
    },\n  },\n`
  ).join("");
  return `// Generated by scripts/build_client.ts from socket.io-client ${version} with esbuild ${esbuildVersion}.
// Do not edit: run \`node --import tsx scripts/build_client.ts\` instead.
// deno-fmt-ignore-file
/**
 * The browser bundles of the official socket.io-client, and of sio-edge's
 * own client beside them, embedded so that serving them reads no file at run
 * time.
 *
 * @module
 */

/** One client file: its text and a strong ETag (a hash of the text). */
export interface ClientFile {
  /** A quoted strong validator: "<client version>-<hash>". */
  readonly etag: string;
  /** The file's text. */
  readonly body: string;
}

/** The socket.io-client version the bundles were built from. */
export const CLIENT_VERSION = ${JSON.stringify(version)};

/** The client files by name, as served under the server's path. */
export const CLIENT_FILES: Readonly<Record<string, ClientFile>> = {
${entries}};
`;
}

async function main(): Promise<number> {
  const pkg = JSON.parse(await readFile(`${CLIENT}package.json`, "utf8")) as { version: string };
  const banner = await _banner(pkg.version);
  const files: [string, { etag: string; body: string }][] = [];
  for (const bundle of BUNDLES) {
    const built = await _build(bundle, bundle.own ? _OWN_BANNER : banner);
    for (const name of [bundle.name, `${bundle.name}.map`]) {
      const body = built.get(name);
      if (body === undefined) throw new Error(`esbuild produced no ${name}`);
      files.push([name, { etag: await _etag(body, pkg.version), body }]);
    }
  }
  const text = _module(pkg.version, esbuild.version, files);
  if (process.argv.includes("--check")) {
    const current = await readFile(OUTPUT, "utf8").catch(() => "");
    if (current === text) return 0;
    process.stderr.write(`${OUTPUT} is stale: run scripts/build_client.ts\n`);
    return 1;
  }
  await writeFile(OUTPUT, text);
  const sizes = files.map(([name, { body }]) => `${name} ${body.length}`).join(", ");
  process.stdout.write(`wrote ${OUTPUT} (${sizes})\n`);
  return 0;
}

process.exitCode = await main();
