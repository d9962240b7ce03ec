/**
 * The servers under test: how to start each one, and which wire format and
 * transports it serves.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import type { Proto } from "./_wire.ts";

/** The project root (bench/..). */
export const ROOT: string = resolve(import.meta.dirname ?? ".", "..");

/** Paths of the runtimes the benchmark uses (the project's own, from npm). */
export const BIN = {
  bun: resolve(ROOT, "node_modules/.bin/bun"),
  deno: resolve(ROOT, "node_modules/.bin/deno"),
  node: "node",
} as const;

/** A runtime that runs servers. */
export type Runtime = keyof typeof BIN;

/** One server under test. */
export interface ServerSpec {
  /** Stable id, `<implementation>/<runtime>`. */
  id: string;
  /** What the report calls it. */
  label: string;
  /** The runtime it runs on. */
  runtime: Runtime;
  /** Which implementation it is. */
  impl: "sio-edge" | "official" | "raw";
  /** Why it cannot run here (then the run leaves it out and says so), if it cannot. */
  missing?: string;
  /** The wire format it speaks. */
  proto: Proto;
  /** Whether it serves long-polling (Engine.IO's, or the raw servers' bare GET/POST pair). */
  polling: boolean;
  /** The command line (runtime first), relative to the project root. */
  argv: string[];
}

function _argv(runtime: Runtime, file: string): string[] {
  const path = `bench/servers/${file}`;
  switch (runtime) {
    case "bun":
      return [BIN.bun, path];
    case "deno":
      // the official port's one remote import is mapped to a local stand-in
      return file === "official_deno.ts"
        ? [BIN.deno, "run", "-A", "--v8-flags=--expose-gc", `--import-map=${DENO_PORT_MAP}`, path]
        : [BIN.deno, "run", "-A", "--v8-flags=--expose-gc", path];
    case "node":
      // compiled by buildNodeServers(), sio-edge from the package build: tsx would compile
      // with esbuild's keepNames, whose __name() gives every closure an own "name" property
      // (~256 B each, ~19 per connection), which the published package does not carry
      return [BIN.node, "--expose-gc", `${BUILD_DIR}/${file.replace(/\.ts$/, ".mjs")}`];
  }
}

/** The import map the official Deno port runs with (its std logger → a local stand-in). */
const DENO_PORT_MAP = "bench/servers/deno_port/import_map.json";

/**
 * Where the official Deno port (socketio/socket.io-deno; not on npm, not in
 * this repository) is checked out: `SIO_DENO_PORT_DIR`, or why it is absent.
 */
export function denoPortMissing(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const dir = env.SIO_DENO_PORT_DIR;
  if (!dir) return "SIO_DENO_PORT_DIR is not set";
  const entry = resolve(dir, "packages/socket.io/mod.ts");
  return existsSync(entry) ? undefined : `${entry} does not exist`;
}

/** Where the Node servers are compiled to (under the git-ignored results folder). */
export const BUILD_DIR = "bench/results/build";

/** The compiled package (`npm run build`: tsc, file for file, target es2022). */
const DIST = "dist";

function _newest(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = resolve(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? _newest(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds `dist/` with the package's own build when it is missing or older than `src/`. */
function _buildPackage(): void {
  const marker = resolve(ROOT, DIST, "src/socket/server.js");
  if (existsSync(marker) && statSync(marker).mtimeMs >= _newest(resolve(ROOT, "src"))) return;
  const result = spawnSync(BIN.node, ["--import", "tsx", "scripts/build_package.ts"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`npm run build: ${result.stderr || result.error}`);
}

/**
 * Compiles the Node servers to plain ES modules with esbuild. Dependencies
 * stay external, and so does sio-edge itself: its imports (`../../src/….ts`)
 * are pointed at the published build in `dist/` (`…/dist/src/….js`, what
 * `import "sio-edge/node"` runs from the tarball), built first when stale.
 * Throws on failure.
 */
export function buildNodeServers(specs: readonly ServerSpec[]): void {
  const files = [...new Set(specs.filter((s) => s.runtime === "node").map((s) => s.argv.at(-1)!))];
  // SIO_BENCH_NODE_FROM=src: bundle sio-edge from src/ instead (to compare the two builds)
  const fromSrc = process.env.SIO_BENCH_NODE_FROM === "src";
  if (files.length && !fromSrc) _buildPackage();
  for (const out of files) {
    const entry = out.replace(BUILD_DIR, "bench/servers").replace(/\.mjs$/, ".ts");
    const args = [entry, "--bundle", "--platform=node", "--format=esm", "--target=node20"];
    args.push("--packages=external", "--log-level=warning");
    if (!fromSrc) args.push("--external:../../src/*");
    args.push(`--outfile=${out}`);
    const result = spawnSync(resolve(ROOT, "node_modules/.bin/esbuild"), args, {
      cwd: ROOT,
      encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(`esbuild ${entry}: ${result.stderr || result.error}`);
    // BUILD_DIR is three levels below the root
    const js = readFileSync(resolve(ROOT, out), "utf8").replace(
      /(["'])\.\.\/\.\.\/src\/([^"']+)\.ts\1/g,
      (_m, q: string, path: string) => `${q}../../../${DIST}/src/${path}.js${q}`,
    );
    writeFileSync(resolve(ROOT, out), js);
  }
}

function _spec(
  impl: ServerSpec["impl"],
  runtime: Runtime,
  file: string,
  label: string,
): ServerSpec {
  const proto: Proto = impl === "raw" ? "raw" : "sio";
  const missing = file === "official_deno.ts" ? denoPortMissing() : undefined;
  return {
    id: `${impl}/${runtime}`,
    label,
    runtime,
    impl,
    ...(missing && { missing }),
    proto,
    polling: true,
    argv: _argv(runtime, file),
  };
}

/** Every server, in report order. */
export const SERVERS: readonly ServerSpec[] = [
  _spec("sio-edge", "bun", "sio_edge.ts", "sio-edge on Bun"),
  _spec("official", "bun", "official_bun.ts", "socket.io 4.8 + @socket.io/bun-engine on Bun"),
  _spec("raw", "bun", "raw_bun.ts", "raw Bun.serve WebSocket"),
  _spec("sio-edge", "deno", "sio_edge.ts", "sio-edge on Deno"),
  _spec("official", "deno", "official_deno.ts", "the official Deno port, socket.io-deno 0.2"),
  _spec("raw", "deno", "raw_deno.ts", "raw Deno.upgradeWebSocket"),
  _spec("sio-edge", "node", "sio_edge.ts", "sio-edge on Node"),
  _spec("official", "node", "official_node.ts", "socket.io 4.8 on Node"),
  _spec("raw", "node", "raw_node.ts", "raw ws on Node"),
];

/**
 * `spec`'s command line with a CPU profiler on, writing into `dir`: Bun and
 * Node write `.cpuprofile` files (Bun also a markdown summary; Node one per
 * thread, in a folder named after the server), Deno one `.cpuprofile`
 * (`deno run --cpu-prof`, written when the server exits).
 * `SIO_BENCH_PROFILE_INTERVAL=<µs>` sets Bun's and Node's sampling interval
 * (default 1000 µs on Bun: a few hundred samples in a short scenario).
 */
export function profiledArgv(spec: ServerSpec, dir: string, name: string): string[] {
  const [runtime, ...rest] = spec.argv;
  const us = Number(process.env.SIO_BENCH_PROFILE_INTERVAL);
  const interval = Number.isInteger(us) && us > 0 ? [`--cpu-prof-interval=${us}`] : [];
  switch (spec.runtime) {
    case "bun":
      // Bun appends the extensions itself
      return [
        runtime!,
        "--cpu-prof",
        "--cpu-prof-md",
        `--cpu-prof-dir=${dir}`,
        `--cpu-prof-name=${name}`,
        ...interval,
        ...rest,
      ];
    case "node":
      // tsx's loader thread writes a profile too: a folder per server keeps both
      return [runtime!, "--cpu-prof", `--cpu-prof-dir=${dir}/${name}`, ...interval, ...rest];
    case "deno": {
      // after `run`: Deno's own profiler, written when the server exits (stdin ends)
      const [run, ...args] = rest;
      return [
        runtime!,
        run!,
        "--cpu-prof",
        `--cpu-prof-dir=${dir}`,
        `--cpu-prof-name=${name}.cpuprofile`,
        ...args,
      ];
    }
  }
}
