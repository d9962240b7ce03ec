/**
 * Preloaded by `bun test` (see `bunfig.toml`): the environment that
 * `scripts/test.sh` exports, so that `bun test` alone starts the same child
 * processes — the runtimes from `node_modules/.bin` first on `PATH`, and Deno
 * children that neither look for updates nor prompt for permissions.
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
