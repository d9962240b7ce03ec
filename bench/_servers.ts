/**
 * The servers under test: how to start each one, and which wire format and
 * transports it serves.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
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
  /** The wire format it speaks. */
  proto: Proto;
  /** Whether it serves Engine.IO long-polling. */
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
      return [BIN.deno, "run", "-A", "--v8-flags=--expose-gc", path];
    case "node":
      // compiled by buildNodeServers(): tsx would compile with esbuild's keepNames, whose
      // __name() gives every closure an own "name" property (~256 B each, ~19 per connection)
      return [BIN.node, "--expose-gc", `${BUILD_DIR}/${file.replace(/\.ts$/, ".mjs")}`];
  }
}

/** Where the Node servers are compiled to (under the git-ignored results folder). */
export const BUILD_DIR = "bench/results/build";

/**
 * Compiles the Node servers to plain ES modules with esbuild (dependencies
 * stay external), as a Node user would ship TypeScript. Throws on failure.
 */
export function buildNodeServers(specs: readonly ServerSpec[]): void {
  const files = [...new Set(specs.filter((s) => s.runtime === "node").map((s) => s.argv.at(-1)!))];
  for (const out of files) {
    const entry = out.replace(BUILD_DIR, "bench/servers").replace(/\.mjs$/, ".ts");
    const args = [entry, "--bundle", "--platform=node", "--format=esm", "--target=node20"];
    args.push("--packages=external", "--log-level=warning", `--outfile=${out}`);
    const result = spawnSync(resolve(ROOT, "node_modules/.bin/esbuild"), args, {
      cwd: ROOT,
      encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(`esbuild ${entry}: ${result.stderr || result.error}`);
  }
}

function _spec(
  impl: ServerSpec["impl"],
  runtime: Runtime,
  file: string,
  label: string,
): ServerSpec {
  const proto: Proto = impl === "raw" ? "raw" : "sio";
  return {
    id: `${impl}/${runtime}`,
    label,
    runtime,
    impl,
    proto,
    polling: proto === "sio",
    argv: _argv(runtime, file),
  };
}

/** Every server, in report order. */
export const SERVERS: readonly ServerSpec[] = [
  _spec("sio-edge", "bun", "sio_edge.ts", "sio-edge on Bun"),
  _spec("official", "bun", "official_bun.ts", "socket.io 4.8 + @socket.io/bun-engine on Bun"),
  _spec("raw", "bun", "raw_bun.ts", "raw Bun.serve WebSocket"),
  _spec("sio-edge", "deno", "sio_edge.ts", "sio-edge on Deno"),
  _spec("raw", "deno", "raw_deno.ts", "raw Deno.upgradeWebSocket"),
  _spec("sio-edge", "node", "sio_edge.ts", "sio-edge on Node"),
  _spec("official", "node", "official_node.ts", "socket.io 4.8 on Node"),
  _spec("raw", "node", "raw_node.ts", "raw ws on Node"),
];

/**
 * `spec`'s command line with a CPU profiler on, writing into `dir`: Bun and
 * Node write `.cpuprofile` files (Bun also a markdown summary; Node one per
 * thread, in a folder named after the server), Deno a V8
 * tick log (`node --prof-process` reads it).
 */
export function profiledArgv(spec: ServerSpec, dir: string, name: string): string[] {
  const [runtime, ...rest] = spec.argv;
  switch (spec.runtime) {
    case "bun":
      // Bun appends the extensions itself
      return [
        runtime!,
        "--cpu-prof",
        "--cpu-prof-md",
        `--cpu-prof-dir=${dir}`,
        `--cpu-prof-name=${name}`,
        ...rest,
      ];
    case "node":
      // tsx's loader thread writes a profile too: a folder per server keeps both
      return [runtime!, "--cpu-prof", `--cpu-prof-dir=${dir}/${name}`, ...rest];
    case "deno": {
      const flags =
        `--v8-flags=--expose-gc,--prof,--no-logfile-per-isolate,--logfile=${dir}/${name}.v8.log`;
      return [runtime!, ...rest.map((arg) => arg.startsWith("--v8-flags=") ? flags : arg)];
    }
  }
}
