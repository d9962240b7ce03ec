/**
 * Preloaded by `bun test` (see `bunfig.toml`), so that `bun test` alone runs
 * the suite as `scripts/test.sh` does:
 *
 * - a 60 s limit per test and per hook. Bun's default (5 s) is shorter than
 *   starting workerd or Chromium on a loaded machine, and `bunfig.toml` cannot
 *   set it (Bun does not read `[test] timeout` from it: oven-sh/bun#7789);
 *   `deno test` and `node --test` have no default limit;
 * - the environment the test command exports: the runtimes from
 *   `node_modules/.bin` first on `PATH`, and Deno children that neither look
 *   for updates nor prompt for permissions.
 *
 * @module
 */

import process from "node:process";
import { fileURLToPath } from "node:url";

/** Milliseconds a test or hook may take. */
export const TEST_TIMEOUT_MS = 60_000;

const BIN = fileURLToPath(new URL("../../node_modules/.bin", import.meta.url));

if (!(process.env.PATH ?? "").split(":").includes(BIN)) {
  process.env.PATH = `${BIN}:${process.env.PATH ?? ""}`;
}
process.env.DENO_NO_UPDATE_CHECK ??= "1";
process.env.DENO_NO_PROMPT ??= "1";

// a computed specifier: only Bun resolves `bun:test`, and deno check must not try
const specifier = ["bun", "test"].join(":");
const { setDefaultTimeout } = await import(specifier) as {
  setDefaultTimeout(ms: number): void;
};
setDefaultTimeout(TEST_TIMEOUT_MS);
