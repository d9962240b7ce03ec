/**
 * Child processes of the orchestrator: a server under test and the load
 * generator, each optionally pinned to one core with `taskset`, spoken to
 * by lines on stdin/stdout, and ended by PID.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import process from "node:process";
import { BIN, ROOT } from "./_servers.ts";

/** Linux's USER_HZ: the unit of the CPU times in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

/** The cores to pin server and load to, or `undefined` without `taskset` or a second core. */
export function pinning(): { server: number; load: number } | undefined {
  if (availableParallelism() < 2) return undefined;
  const probe = spawnSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
  return probe.status === 0 ? { server: 0, load: 1 } : undefined;
}

/** A child process that talks in lines. */
class _LineProcess {
  readonly child: ChildProcess;
  readonly stderr: string[] = [];
  #pending = "";
  #lines: string[] = [];
  #waiter: (() => void) | undefined;
  #exited: Promise<void>;

  constructor(argv: string[], cpu: number | undefined) {
    const [cmd, ...args] = cpu === undefined ? argv : ["taskset", "-c", String(cpu), ...argv];
    // taskset execs the command: the child's PID is the measured process
    const env = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
    this.child = spawn(cmd!, args, { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    this.#exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (chunk: string) => this.#onData(chunk));
    this.child.stderr!.setEncoding("utf8");
    this.child.stderr!.on("data", (chunk: string) => {
      if (this.stderr.length < 50) this.stderr.push(chunk);
    });
    this.child.once("exit", () => this.#waiter?.());
  }

  #onData(chunk: string): void {
    this.#pending += chunk;
    let newline: number;
    while ((newline = this.#pending.indexOf("\n")) >= 0) {
      this.#lines.push(this.#pending.slice(0, newline));
      this.#pending = this.#pending.slice(newline + 1);
    }
    if (this.#lines.length) this.#waiter?.();
  }

  /** The next stdout line matching `test`, skipping others; rejects after `timeoutMs`. */
  async nextLine(test: (line: string) => boolean, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const line = this.#lines.shift();
      if (line !== undefined) {
        if (test(line)) return line;
        continue;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(
          `process exited (${this.child.exitCode ?? this.child.signalCode}): ${
            this.stderr.join("")
          }`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${timeoutMs} ms: ${this.stderr.join("")}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#waiter = undefined;
    }
  }

  /** CPU time (user + system, all threads) the process has used, in ms, from /proc (NaN where unavailable). */
  cpuMs(): number {
    try {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
      // fields after the parenthesised command name; utime and stime are the 12th and 13th
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS);
    } catch {
      return NaN;
    }
  }

  /** Writes one line to stdin. */
  writeLine(line: string): void {
    this.child.stdin!.write(line + "\n");
  }

  /** Ends stdin, then SIGTERM and finally SIGKILL by PID; resolves once exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin!.end();
    const pid = this.child.pid;
    const waitExit = (ms: number) =>
      Promise.race([
        this.#exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
      ]);
    // a profiled process writes its profile as it exits: seconds for a long one
    const profiled = this.child.spawnargs.some((a) => a.startsWith("--cpu-prof"));
    if (await waitExit(profiled ? 15_000 : 500)) return;
    if (pid !== undefined) process.kill(pid, "SIGTERM");
    if (await waitExit(2_000)) return;
    if (pid !== undefined) process.kill(pid, "SIGKILL");
    await waitExit(2_000);
  }
}

/** A server under test. */
export class ServerProcess extends _LineProcess {
  /** The port it listens on (after {@link ServerProcess.start}). */
  port = 0;

  /** Starts `argv` and waits for its `listening <port>` line. */
  static async start(argv: string[], cpu: number | undefined): Promise<ServerProcess> {
    const server = new ServerProcess(argv, cpu);
    try {
      const line = await server.nextLine((l) => l.startsWith("listening "), 30_000);
      server.port = Number(line.slice("listening ".length));
      return server;
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  /** Asks the server for a full garbage collection; resolves to its JS heap use afterwards. */
  async gc(): Promise<{ heapUsed: number; external: number }> {
    this.writeLine("gc");
    const line = await this.nextLine((l) => l.startsWith("gc-done"), 10_000);
    try {
      return JSON.parse(line.slice("gc-done".length)) as { heapUsed: number; external: number };
    } catch {
      return { heapUsed: NaN, external: NaN };
    }
  }

  /** The server's resident set size in bytes, from /proc (NaN where unavailable). */
  rss(): number {
    try {
      const status = readFileSync(`/proc/${this.child.pid}/status`, "utf8");
      const kib = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
      return kib === undefined ? NaN : Number(kib) * 1024;
    } catch {
      return NaN;
    }
  }
}

/** The load generator (bench/load.ts on Bun). */
export class LoadProcess extends _LineProcess {
  /** Starts the load generator. */
  static start(cpu: number | undefined): LoadProcess {
    return new LoadProcess([BIN.bun, "bench/load.ts"], cpu);
  }

  /** Sends one command and returns its result; throws on failure or after `timeoutMs`. */
  async request<T>(command: Record<string, unknown>, timeoutMs: number): Promise<T> {
    this.writeLine(JSON.stringify(command));
    const line = await this.nextLine((l) => l.startsWith("{"), timeoutMs);
    const answer = JSON.parse(line) as { ok: boolean; result?: T; error?: string };
    if (!answer.ok) throw new Error(`load ${String(command.op)}: ${answer.error}`);
    return answer.result as T;
  }
}
