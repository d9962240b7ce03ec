/**
 * Starts a test app in a child process on one runtime (Deno, Bun or Node),
 * for end-to-end tests. Works under `deno test` and `bun test` alike.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** A runtime the glue supports. */
export type Runtime = "deno" | "bun" | "node";

/** Every runtime, in the order the suites run them. */
export const RUNTIMES: Runtime[] = ["deno", "bun", "node"];

/** A test app served by a child process. */
export interface TestServer {
  /** The port on 127.0.0.1. */
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The child's process id. */
  readonly pid: number;
  /** Kills the child and waits for it to exit. */
  close(): Promise<void>;
  /**
   * Asks the child to close its server gracefully; resolves with the exit
   * code once the process has ended by itself, or rejects after `timeoutMs`.
   */
  shutdown(timeoutMs?: number): Promise<number | null>;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURE = "tests/_support/serve_fixture.ts";
const START_TIMEOUT_MS = 20_000;
const STDERR_KEEP = 8_192;

function _command(runtime: Runtime): [string, string[]] {
  switch (runtime) {
    case "deno":
      return [`${ROOT}node_modules/.bin/deno`, ["run", "-A", "--quiet", FIXTURE]];
    case "bun":
      return [`${ROOT}node_modules/.bin/bun`, ["run", FIXTURE]];
    case "node":
      return ["node", ["--import", "tsx", FIXTURE]];
  }
}

/**
 * Serves `tests/_support/apps/<app>.ts` with `runtime` on 127.0.0.1, port 0.
 * `env` is added to the child's environment (e.g. `SIO_PING_INTERVAL`).
 */
export async function startServer(
  runtime: Runtime,
  app: string,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const [cmd, args] = _command(runtime);
  const child = spawn(cmd, [...args, app, runtime], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => (stderr = (stderr + s).slice(-STDERR_KEEP)));
  const lines = _lines(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code))
  );
  let port: number;
  try {
    port = await _waitFor(lines, "port", START_TIMEOUT_MS) as number;
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    throw new Error(
      `${runtime} server for "${app}" did not start: ${(err as Error).message}\n${stderr}`,
    );
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    close: () => _kill(child, exited),
    shutdown: async (timeoutMs = 5_000) => {
      child.stdin!.write("close\n");
      await _waitFor(lines, "closed", timeoutMs).catch((err: Error) => {
        throw new Error(`${err.message}\n${stderr}`);
      });
      const code = await _within(exited, timeoutMs, "the process did not exit by itself");
      return code;
    },
  };
}

type _Lines = { next(): Promise<Record<string, unknown> | undefined> };

/** The child's stdout as a queue of parsed JSON lines (other lines skipped). */
function _lines(child: ChildProcess): _Lines {
  const queue: Record<string, unknown>[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let buffer = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (s: string) => {
    buffer += s;
    let nl;
    while ((nl = buffer.indexOf("\n")) !== -1) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      try {
        const value = JSON.parse(line);
        if (value && typeof value === "object") queue.push(value);
      } catch { /* not ours */ }
    }
    wake?.();
  });
  child.stdout!.on("end", () => {
    ended = true;
    wake?.();
  });
  return {
    async next() {
      while (!queue.length && !ended) await new Promise<void>((r) => (wake = r));
      return queue.shift();
    },
  };
}

async function _waitFor(lines: _Lines, key: string, timeoutMs: number): Promise<unknown> {
  // stdout ends when the child exits, so an early exit ends the loop too
  const found = (async () => {
    for (let line = await lines.next(); line; line = await lines.next()) {
      if (key in line) return line[key];
    }
    throw new Error(`exited before reporting "${key}"`);
  })();
  return await _within(found, timeoutMs, `no "${key}" within ${timeoutMs} ms`);
}

async function _within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function _kill(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
