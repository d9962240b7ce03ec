/**
 * The servers a conformance test plays its scenarios against: the official
 * socket.io 4.8 server (Node) and sio-edge on each runtime — Node, Deno, Bun,
 * and workerd (the app's servers as Durable Objects behind a Worker,
 * `tests/cloudflare/_worker_conformance.ts`, served by Miniflare) — all
 * serving the app of `conf_handlers.ts` on 127.0.0.1.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Runtime, startServer } from "../_support/fixture.ts";
import { startWorker } from "../cloudflare/_harness.ts";
import { CONF_OBJECTS } from "../cloudflare/_worker_conformance.ts";

/** A place sio-edge runs: a runtime of `serve()`, or workerd (a Worker and Durable Objects). */
export type EdgeTarget = Runtime | "workerd";

/** The official server, or sio-edge on a runtime. */
export type TargetName = "official" | EdgeTarget;

/** A running server of the app. */
export interface Target {
  readonly name: TargetName;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const START_TIMEOUT_MS = 20_000;

/**
 * The sio-edge runtimes to compare, from `CONF_RUNTIMES` (comma-separated)
 * or all four.
 */
export function edgeRuntimes(): EdgeTarget[] {
  const all: EdgeTarget[] = ["node", "deno", "bun", "workerd"];
  const wanted = process.env.CONF_RUNTIMES?.split(",").map((s) => s.trim());
  return wanted ? all.filter((r) => wanted.includes(r)) : all;
}

/** Starts every target at once; closes those that started if one fails. */
export async function startTargets(names: readonly TargetName[]): Promise<Map<TargetName, Target>> {
  const started = await Promise.allSettled(names.map((name) => _start(name)));
  const targets = new Map<TargetName, Target>();
  const failures: string[] = [];
  started.forEach((result, i) => {
    if (result.status === "fulfilled") targets.set(names[i]!, result.value);
    else failures.push(String((result.reason as Error)?.message ?? result.reason));
  });
  if (failures.length) {
    await closeTargets(targets);
    throw new Error(failures.join("\n"));
  }
  return targets;
}

/** Closes every target. */
export async function closeTargets(targets: Map<TargetName, Target> | undefined): Promise<void> {
  await Promise.allSettled([...(targets?.values() ?? [])].map((t) => t.close()));
}

async function _start(name: TargetName): Promise<Target> {
  if (name === "workerd") {
    const worker = await startWorker("_worker_conformance.ts", {}, CONF_OBJECTS);
    return { name, url: worker.url, port: worker.port, close: () => worker.close() };
  }
  if (name !== "official") {
    const server = await startServer(name, "conf_app");
    return { name, url: server.url, port: server.port, close: () => server.close() };
  }
  return await _startOfficial();
}

function _startOfficial(): Promise<Target> {
  const child = spawn("node", ["--import", "tsx", "tests/conformance/_official_server.ts"], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await exited;
  };
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s: string) => (stderr = (stderr + s).slice(-4096)));
  return new Promise((resolve, reject) => {
    let out = "";
    let listening = false;
    const fail = (why: string) => {
      clearTimeout(timer);
      void close().then(() => reject(new Error(`official server: ${why}\n${stderr}`)));
    };
    const timer = setTimeout(() => fail("no port within 20 s"), START_TIMEOUT_MS);
    child.once("exit", () => listening || fail("exited before listening"));
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (s: string) => {
      out += s;
      const match = /\{"port":(\d+)\}/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      listening = true;
      const port = Number(match[1]);
      resolve({ name: "official", url: `http://127.0.0.1:${port}`, port, close });
    });
  });
}
