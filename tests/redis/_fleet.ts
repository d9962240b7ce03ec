/**
 * Starts fleet nodes (`_fleet_node.ts`) as child processes, connects the
 * official socket.io-client to them, and runs operations on a node through
 * its "/control" namespace.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { io as ioc, type Socket } from "socket.io-client";
import type { OpRequest } from "./_fleet_app.ts";
import { startChildServer } from "../_support/child_server.ts";

/** Who runs a node. */
export type NodeKind = "official" | "deno" | "bun" | "node";
/** Which adapter. */
export type AdapterKind = "classic" | "sharded" | "streams";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = "tests/redis/_fleet_node.ts";

/** A running node of the fleet. */
export interface FleetNode {
  readonly name: string;
  readonly kind: NodeKind;
  readonly url: string;
  readonly pid: number;
  /** Runs one operation on this node; resolves with its result or rejects with its error. */
  op(name: string, req?: OpRequest): Promise<unknown>;
  /** A connected client of "/" on this node. */
  client(opts?: Record<string, unknown>): Promise<Socket>;
  /** What the node wrote on stderr (the last 8 KiB). */
  logs(): string;
  /** SIGKILLs the node. */
  kill(): Promise<void>;
  /** Closes the node gracefully (its adapters unsubscribe). */
  close(): Promise<void>;
}

function command(kind: NodeKind): [string, string[]] {
  switch (kind) {
    case "deno":
      return [`${ROOT}node_modules/.bin/deno`, ["run", "-A", "--quiet", ENTRY]];
    case "bun":
      return [`${ROOT}node_modules/.bin/bun`, ["run", ENTRY]];
    default:
      return ["node", ["--import", "tsx", ENTRY]];
  }
}

/** Starts one node. */
export async function startNode(
  kind: NodeKind,
  adapter: AdapterKind,
  redisUrl: string,
  name: string,
  opts: { client?: "redis" | "ioredis"; env?: Record<string, string> } = {},
): Promise<FleetNode> {
  const [cmd, args] = command(kind);
  const impl = kind === "official" ? "official" : "edge";
  const server = await startChildServer(
    cmd,
    [...args, impl, adapter, opts.client ?? "redis", name],
    {
      cwd: ROOT,
      env: { REDIS_URL: redisUrl, ...opts.env },
      name,
    },
  );
  const { child, port, exited } = server;
  const url = `http://127.0.0.1:${port}`;
  const sockets: Socket[] = [];
  const control = ioc(url + "/control", { transports: ["websocket"], reconnection: false });
  sockets.push(control);
  await new Promise<void>((resolve, reject) => {
    control.once("connect", () => resolve());
    control.once("connect_error", reject);
  });
  const disconnectAll = () => {
    for (const s of sockets) s.disconnect();
  };
  return {
    name,
    kind,
    url,
    pid: child.pid!,
    logs: () => server.stderr(),
    async op(opName, req = {}) {
      const answer = await control.timeout(10_000).emitWithAck("op", opName, req) as {
        ok?: unknown;
        error?: string;
      };
      if (answer.error !== undefined) throw new Error(answer.error);
      return answer.ok;
    },
    async client(clientOpts = {}) {
      const socket = ioc(url, { transports: ["websocket"], forceNew: true, ...clientOpts });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("connect_error", reject);
      });
      return socket;
    },
    async kill() {
      disconnectAll();
      server.kill("SIGKILL");
      await exited;
    },
    async close() {
      disconnectAll();
      if (!server.alive()) return;
      child.stdin!.write("close\n");
      const timer = setTimeout(() => server.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Collects the events `event` a client receives. */
export function inbox(socket: Socket, event: string): unknown[][] {
  const got: unknown[][] = [];
  socket.on(event, (...args: unknown[]) => {
    // with connection state recovery, a stream entry id (the offset) ends every broadcast
    const last = args[args.length - 1];
    if (typeof last === "string" && /^\d+-\d+$/.test(last)) args.pop();
    got.push(args);
  });
  return got;
}

/** Waits until `check()` holds (polling every 20 ms), at most `ms`. */
export async function until(check: () => boolean, ms = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
