/**
 * Runs the official socket.io-client test suite (the Node tests of
 * `packages/socket.io-client/test` in socketio/socket.io) with
 * `sio-edge/client` in place of `socket.io-client`, against the official
 * server (`--server official`, the suite's own fixture) or against
 * sio-edge's server (`--server sio-edge`: the same fixture, with its
 * `socket.io` import swapped for `sio_edge_server.ts`).
 *
 * The tests are not in the npm package and are never committed: point
 * `SIO_CLIENT_TESTS` at a copy of that `test/` folder. Without it the script
 * says so and exits 0 (as in CI). The copy is made in a temporary directory,
 * with a `package.json` whose `"."` is the sio-edge client, and removed
 * afterwards.
 *
 * Usage: `SIO_CLIENT_TESTS=/path/to/test node scripts/... --server official|sio-edge [mocha args]`
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const source = process.env.SIO_CLIENT_TESTS;
if (!source) {
  console.log("SIO_CLIENT_TESTS is not set: skipping the official socket.io-client suite");
  process.exit(0);
}
const args = process.argv.slice(2);
const serverIndex = args.indexOf("--server");
const server = serverIndex >= 0 ? args.splice(serverIndex, 2)[1] : "official";
if (server !== "official" && server !== "sio-edge") {
  console.error(`unknown --server ${server}`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "sio-client-suite-"));
const cleanup = () => rmSync(work, { recursive: true, force: true });
process.on("exit", cleanup);

// the package the tests import as ".." and "../.."
cpSync(source, join(work, "test"), { recursive: true });
writeFileSync(
  join(work, "package.json"),
  JSON.stringify({ name: "socket.io-client", type: "module", exports: { ".": "./index.ts" } }),
);
writeFileSync(join(work, "test", "package.json"), JSON.stringify({ type: "commonjs" }));
writeFileSync(
  join(work, "index.ts"),
  `export * from ${JSON.stringify(join(ROOT, "src/client/client.ts"))};\n`,
);
// url.ts tests the official internal `build/cjs/url` helper: give it ours
mkdirSync(join(work, "build/cjs"), { recursive: true });
writeFileSync(
  join(work, "build/cjs/url.ts"),
  `export { url } from ${JSON.stringify(join(ROOT, "tests/client/official/url_shim.ts"))};\n`,
);

if (server === "sio-edge") {
  const file = join(work, "test/support/server.ts");
  const text = readFileSync(file, "utf8").replace(
    /from "socket.io"/,
    `from ${JSON.stringify(join(ROOT, "tests/client/official/sio_edge_server.ts"))}`,
  );
  writeFileSync(file, text);
}

// node_modules: the repository's, plus the suite's two test-only packages
const modules = join(work, "node_modules");
mkdirSync(modules);
for (const name of readdirSync(join(ROOT, "node_modules"))) {
  if (name === "socket.io-client" || name === ".bin") continue;
  symlinkSync(join(ROOT, "node_modules", name), join(modules, name));
}
const extra = join(tmpdir(), "sio-client-suite-deps");
if (
  spawnSync("node", [
    "-e",
    `require.resolve("@sinonjs/fake-timers",{paths:[${JSON.stringify(extra)}]})`,
  ]).status !== 0
) {
  mkdirSync(extra, { recursive: true });
  const npm = spawnSync("npm", [
    "install",
    "--prefix",
    extra,
    "--no-save",
    "--no-audit",
    "--no-fund",
    "@sinonjs/fake-timers@^11",
    "text-blob-builder@0.0.1",
  ], { stdio: "inherit" });
  if (npm.status !== 0) process.exit(1);
}
for (const name of ["@sinonjs", "text-blob-builder"]) {
  rmSync(join(modules, name), { force: true, recursive: true });
  symlinkSync(join(extra, "node_modules", name), join(modules, name));
}

// The two "reconnect timeout" tests install fake timers, connect to
// localhost:80 (closed here) and expect no reconnection before the fake clock
// or the real one reaches it. A failing fake-timer test never uninstalls its
// clock, which would fail every later test, so they run apart
// (`--only-fake-timers`). "should use native setTimeout with
// useNativeSetTimers" passes with the official client only through its XHR
// transport: xmlhttprequest-ssl 2 dispatches `readystatechange` of a finished
// request with the global `setTimeout` (faked here, `useNativeTimers` or
// not), and the refusal from port 80 arrives just after the test's first
// `tickAsync(500)`, so it waits on the fake clock. The manager then learns of
// the failure only from its own (native) 500 ms connect timeout, error
// "timeout", and reconnects 100 ms later, after the test's check. With the
// official client's own fetch transport (engine.io-client's `Fetch`) the
// refusal is reported at once, "fetch read error", the reconnection comes at
// about 110 ms and the test fails as it does with sio-edge's client. Without
// fake timers both clients report the refusal at once and reconnect at about
// 110 ms: no difference a user can see.
const onlyFake = args.indexOf("--only-fake-timers");
const selection = onlyFake >= 0
  ? (args.splice(onlyFake, 1), ["--grep", "reconnect timeout"])
  : args.includes("--grep")
  ? []
  : ["--grep", "reconnect timeout", "--invert"];

// mocha's 2 s per test is too short for the node.ts fixtures (each a fresh
// process compiling TypeScript) on a loaded 2-core machine
const timeout = args.includes("--timeout") ? [] : ["--timeout", "10000"];

const tsx = join(ROOT, "node_modules/tsx/dist/loader.mjs");
const mocha = join(ROOT, "node_modules/mocha/bin/mocha.js");
const child = spawn(
  "node",
  [
    mocha,
    `--import=${tsx}`,
    "--require",
    "test/support/hooks.ts",
    "--exit",
    ...timeout,
    ...selection,
    ...args,
    "test/index.ts",
  ],
  {
    cwd: work,
    stdio: "inherit",
    // the node.ts fixtures are spawned with plain `node`: they need tsx too
    env: { ...process.env, NODE_OPTIONS: `--import=${tsx}` },
  },
);
child.on("exit", (code) => {
  // "should not stop with autoUnref set to false" kills only the shell around
  // its fixture: reap the orphan, by the pid that pgrep finds for this run's path
  const orphans = spawnSync("pgrep", ["-f", join(work, "test/fixtures")]).stdout.toString().trim();
  for (const pid of orphans.split("\n").filter(Boolean)) {
    try {
      process.kill(Number(pid));
    } catch {
      // already gone
    }
  }
  process.exit(code ?? 1);
});
