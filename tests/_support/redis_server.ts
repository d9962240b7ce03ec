/**
 * A real Redis for tests: Debian's `redis-server`, started on 127.0.0.1 on a
 * free port without persistence, stopped by its PID. Works under Deno, Bun
 * and Node.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** A running redis-server. */
export interface RedisServer {
  /** The port on 127.0.0.1. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's process id. */
  readonly pid: number;
  /** Kills the server (SIGKILL) and starts a new, empty one on the same port. */
  restart(downMs?: number): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

/** Whether `redis-server` is on the PATH. */
export function hasRedisServer(): boolean {
  const paths = (process.env.PATH ?? "/usr/bin").split(":");
  return paths.some((dir) => existsSync(join(dir, "redis-server")));
}

/** A free TCP port on 127.0.0.1 (bound and released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server on a free port; resolves once it answers PING. */
export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "sio-edge-redis-"));
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir);
    } catch (err) {
      if (attempt === 4) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  let current = child!;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return current.pid!;
    },
    async restart(downMs = 0) {
      await kill(current);
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      current = await launch(port, dir);
    },
    async stop() {
      await kill(current);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launch(port: number, dir: string, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
    "--dir",
    dir,
    "--loglevel",
    "warning",
    ...extra,
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => (stderr = (stderr + s).slice(-4096)));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await ping(port)) return child;
    await new Promise((r) => setTimeout(r, 25));
  }
  await kill(child);
  throw new Error(`redis-server did not start on port ${port}: ${stderr}`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (chunk) => done(String(chunk).startsWith("+PONG")));
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

/** A running Redis Cluster of three masters (no replicas). */
export interface RedisCluster {
  /** The masters' ports on 127.0.0.1. */
  readonly ports: number[];
  /** Stops every node and removes their directories. */
  stop(): Promise<void>;
}

/** A free port whose cluster bus port (+10000) is free too. */
async function freeClusterPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port + 10_000 > 65_535) continue;
    const bus = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port + 10_000, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (bus) return port;
  }
  throw new Error("no free port pair for a cluster node");
}

/** Starts three cluster-enabled redis-servers and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), "sio-edge-redis-cluster-"));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(children.map(kill));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freeClusterPort();
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      children.push(
        await launch(port, nodeDir, [
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          "nodes.conf",
        ]),
      );
      ports.push(port);
    }
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (const port of ports) {
      while (
        !(await run("redis-cli", ["-p", String(port), "cluster", "info"])).includes(
          "cluster_state:ok",
        )
      ) {
        if (Date.now() > deadline) throw new Error("the cluster did not become ready");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, stop };
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd}: ${out}`))));
  });
}
