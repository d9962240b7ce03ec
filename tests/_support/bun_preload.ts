/**
 * Preloaded by `bun test` (see `bunfig.toml`): the environment that
 * `scripts/test.sh` exports, so that `bun test` alone starts the same child
 * processes — the runtimes from `node_modules/.bin` first on `PATH`, and Deno
 * children that neither look for updates nor prompt for permissions.
 *
 * The time limit cannot be set here: Bun 1.4 reads no `[test] timeout` from
 * `bunfig.toml`, and `setDefaultTimeout()` in a preload holds for the first
 * test file only. The test command passes `--timeout` (see `bunfig.toml`).
 *
 * @module
 */

import process from "node:process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../node_modules/.bin", import.meta.url));

if (!(process.env.PATH ?? "").split(":").includes(BIN)) {
  process.env.PATH = `${BIN}:${process.env.PATH ?? ""}`;
}
process.env.DENO_NO_UPDATE_CHECK ??= "1";
process.env.DENO_NO_PROMPT ??= "1";
