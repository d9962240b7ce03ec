/**
 * Starts a test Worker in workerd (through Miniflare in a Node child process)
 * on 127.0.0.1, port 0, for the Cloudflare suites. Works under `deno test`
 * and `bun test` alike: the test runner only spawns a process and reads a
 * line.
 *
 * Measured with workerd 2026-04-26: an object whose only ties are hibernatable
 * WebSockets is evicted 10–10.5 s after its last event; a pending
 * `setTimeout` keeps it in memory, a pending alarm does not (the alarm then
 * wakes a fresh instance). {@link EVICTION_WAIT_MS} waits past that.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** How long to stay idle so that workerd surely evicts a hibernatable object. */
export const EVICTION_WAIT_MS = 11_500;

/** A Worker served by workerd. */
export interface TestWorker {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  /** The port. */
  readonly port: number;
  /** Stops workerd and waits for the child to exit. */
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHILD = "tests/cloudflare/_miniflare_child.ts";
const START_TIMEOUT_MS = 30_000;
const STDERR_KEEP = 8_192;

/**
 * Serves `tests/cloudflare/<worker>` (a module whose default export is the
 * Worker). `bindings` become string vars of the Worker's `env`; `objects`
 * binds Durable Object classes exported by the module (binding → class name).
 */
export async function startWorker(
  worker: string,
  bindings: Record<string, string> = {},
  objects: Record<string, string> = { SOCKET_IO: "SocketIO" },
): Promise<TestWorker> {
  const child = spawn("node", ["--import", "tsx", CHILD, `tests/cloudflare/${worker}`], {
    cwd: ROOT,
    env: {
      ...process.env,
      NO_COLOR: "1",
      SIO_CF_BINDINGS: JSON.stringify(bindings),
      SIO_CF_OBJECTS: JSON.stringify(objects),
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => {
    stderr = (stderr + s).slice(-STDERR_KEEP);
    if (process.env.SIO_CF_DEBUG) process.stderr.write(s);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let url: string;
  try {
    url = await _readUrl(child, START_TIMEOUT_MS);
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    throw new Error(`workerd for "${worker}" did not start: ${(err as Error).message}\n${stderr}`);
  }
  const port = Number(new URL(url).port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => _kill(child, exited),
  };
}

function _readUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => done(new Error(`no URL within ${timeoutMs} ms`)), timeoutMs);
    const onData = (s: string) => {
      buffer += s;
      for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const value = JSON.parse(line) as { url?: unknown };
          if (typeof value.url === "string") return done(undefined, value.url);
        } catch { /* not ours */ }
      }
    };
    const onExit = () => done(new Error("exited before reporting its URL"));
    const done = (err: Error | undefined, url?: string) => {
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve(url!);
    };
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
  });
}

async function _kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
}
