/**
 * JSONP polling with a real JSONP client: socket.io-client 2.x with
 * `forceJSONP` in Debian's Chromium (its JSONP transport needs a document: a
 * `<script>` per poll, a hidden form and iframe per POST), against the
 * official server with `allowEIO3` and against sio-edge's (the conformance
 * app on Node). An event with a newline and a U+2028 is acknowledged with
 * the same arguments by both.
 *
 * Needs `/usr/bin/chromium` (`bash scripts/ensure_system_tools.sh`;
 * `CHROMIUM_PATH` points elsewhere). Runs under `deno test -A`, `bun test`
 * and `node --import tsx --test` alike.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { EIO3_PATH } from "../_support/apps/conf_handlers.ts";
import {
  closeTargets,
  startTargets,
  type Target,
  type TargetName,
} from "../conformance/_targets.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"];
const CLIENT_V2 = readFileSync(
  `${ROOT}node_modules/socket.io-client-v2/dist/socket.io.js`,
  "utf8",
);
const STEP_TIMEOUT_MS = 10_000;

describe("JSONP polling with socket.io-client 2.x in Chromium", () => {
  let browser: Browser | undefined;
  let targets: Map<TargetName, Target> | undefined;

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: run \`bash scripts/ensure_system_tools.sh\``);
    }
    targets = await startTargets(["official", "node"]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await closeTargets(targets);
  });

  for (const name of ["official", "node"] as const) {
    it(`connects over JSONP and gets its ack (${name === "node" ? "sio-edge" : name})`, async () => {
      const target = targets!.get(name)!;
      const page = await browser!.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      try {
        // a page of the server's origin, so that the client's forms and scripts reach it
        await page.goto(`${target.url}/`);
        await page.setContent("<!doctype html><title>jsonp</title><body></body>");
        await page.addScriptTag({ content: CLIENT_V2 });
        const result = await page.evaluate(
          ({ url, path, timeout }) =>
            new Promise((resolve, reject) => {
              // deno-lint-ignore no-explicit-any
              const io = (globalThis as any).io;
              const socket = io(url, {
                path,
                forceJSONP: true,
                transports: ["polling"],
                forceNew: true,
                reconnection: false,
              });
              const timer = setTimeout(() => reject(new Error("no ack")), timeout);
              socket.on("connect_error", (err: Error) => reject(err));
              socket.on("connect", () => {
                socket.emit("echo", "a\nb", "c\u2028d", (...args: unknown[]) => {
                  clearTimeout(timer);
                  const transport = socket.io.engine.transport;
                  // the JSONP transport numbers its callbacks; the XHR one has no index
                  resolve({ args, jsonp: typeof transport.index === "number" });
                  socket.close();
                });
              });
            }),
          { url: target.url, path: `${EIO3_PATH}/`, timeout: STEP_TIMEOUT_MS - 1_000 },
        );
        assert.deepEqual(result, { args: ["a\nb", "c\u2028d"], jsonp: true });
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    });
  }
});
