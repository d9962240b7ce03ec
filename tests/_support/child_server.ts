/**
 * A test server in a child process: spawned with its output captured, ready
 * once it prints `{"port":N}` on stdout, and killed only while it runs. Shared
 * by the Redis fleet suite and the hostile-client suite.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";

/** A started server child. */
export interface ChildServer {
  /** The process (stdin is a pipe, for servers that read commands). */
  readonly child: ChildProcess;
  /** The port it printed. */
  readonly port: number;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  /** The last 8 KB it wrote to stderr. */
  stderr(): string;
  /** Whether the process still runs. */
  alive(): boolean;
  /** Sends `signal` if the process still runs. */
  kill(signal?: NodeJS.Signals): void;
}

/** How to start one. */
export interface ChildServerOptions {
  /** Working directory; the repository root when absent. */
  cwd?: string;
  /** Added to the parent's environment (with `NO_COLOR=1`). */
  env?: Record<string, string | undefined>;
  /** How long the child may take to print its port (ms). @default 30000 */
  timeoutMs?: number;
  /** Named in the errors. @default the command */
  name?: string;
}

const ROOT = new URL("../../", import.meta.url).pathname;

/** Spawns `command args` and waits for its `{"port":N}` line. */
export async function startChildServer(
  command: string,
  args: readonly string[],
  opts: ChildServerOptions = {},
): Promise<ChildServer> {
  const name = opts.name ?? command;
  const child = spawn(command, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => (stderr = (stderr + s).slice(-8_192)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start: ${stderr}`)),
      opts.timeoutMs ?? 30_000,
    );
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (s: string) => {
      out += s;
      const match = /\{"port":(\d+)\}/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once("exit", () => {
      clearTimeout(timer);
      reject(new Error(`${name} exited: ${stderr}`));
    });
  }).catch((err) => {
    if (alive()) child.kill("SIGKILL");
    throw err;
  });
  return {
    child,
    port,
    exited,
    stderr: () => stderr,
    alive,
    kill(signal = "SIGKILL") {
      if (alive()) child.kill(signal);
    },
  };
}
