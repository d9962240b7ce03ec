/**
 * The load generator, run with Bun (its WebSocket client and fetch) in its
 * own process, pinned to another core than the server. It speaks the wire
 * protocols directly and takes one JSON command per stdin line, answering
 * one JSON line on stdout per command, in order:
 *
 * - `{"op":"connect","proto","port","count","concurrency","timeoutMs","pool"?}`
 *   opens clients into a named pool ("main" by default; the connect-rate
 *   scenario);
 * - `{"op":"broadcast","messages","size","timeoutMs","pool"?}` fans out over a
 *   pool (its first client sends);
 * - `{"op":"close","timeoutMs","pool"?}` closes a pool;
 * - `{"op":"echo","proto","port","clients","outstanding","total","timeoutMs"}`
 *   opens its own clients, runs echo with ack, closes them;
 * - `{"op":"polling","proto","port","clients","durationMs","maxRoundTrips","client"?}`
 *   (`client`: "http1", the load's own HTTP client, by default, or "fetch").
 *
 * The process exits when stdin ends.
 *
 * @module
 */

import process from "node:process";
import { type HttpClient, pollingEcho } from "./_polling.ts";
import { type Client, closeAll, openMany } from "./_ws_clients.ts";
import { broadcast, echo } from "./_ws_scenarios.ts";
import type { Proto } from "./_wire.ts";

/** A command line, as the orchestrator writes it. */
export type Command =
  | {
    op: "connect";
    proto: Proto;
    port: number;
    count: number;
    concurrency: number;
    timeoutMs: number;
    pool?: string;
  }
  | { op: "broadcast"; messages: number; size: number; timeoutMs: number; pool?: string }
  | { op: "close"; timeoutMs: number; pool?: string }
  | {
    op: "echo";
    proto: Proto;
    port: number;
    clients: number;
    outstanding: number;
    total: number;
    timeoutMs: number;
  }
  | {
    op: "polling";
    proto: Proto;
    port: number;
    clients: number;
    durationMs: number;
    maxRoundTrips: number;
    client?: HttpClient;
  };

/** Open clients by pool name ("main" unless a command names another). */
const pools = new Map<string, Client[]>();

async function _run(cmd: Command): Promise<unknown> {
  switch (cmd.op) {
    case "connect": {
      const deadline = performance.now() + cmd.timeoutMs;
      const opened = await openMany(cmd.proto, cmd.port, cmd.count, cmd.concurrency, deadline);
      const name = cmd.pool ?? "main";
      pools.set(name, (pools.get(name) ?? []).concat(opened.clients));
      const { clients, ...rest } = opened;
      return { ...rest, connected: clients.length, rate: clients.length / (opened.ms / 1000) };
    }
    case "broadcast": {
      const clients = (pools.get(cmd.pool ?? "main") ?? []).filter((c) => !c.closed);
      return await broadcast(clients, cmd.messages, cmd.size, cmd.timeoutMs);
    }
    case "close": {
      const name = cmd.pool ?? "main";
      const clients = pools.get(name) ?? [];
      pools.delete(name);
      const open = clients.filter((c) => !c.closed).length;
      await closeAll(clients, cmd.timeoutMs);
      return { closed: open };
    }
    case "echo": {
      const deadline = performance.now() + cmd.timeoutMs;
      const opened = await openMany(cmd.proto, cmd.port, cmd.clients, 50, deadline);
      try {
        const left = Math.max(0, deadline - performance.now());
        const result = await echo(opened.clients, cmd.outstanding, cmd.total, left);
        return { ...result, clients: opened.clients.length };
      } finally {
        await closeAll(opened.clients, 5_000);
      }
    }
    case "polling":
      return await pollingEcho(
        cmd.proto,
        cmd.port,
        cmd.clients,
        cmd.durationMs,
        cmd.maxRoundTrips,
        cmd.client,
      );
  }
}

let queue = Promise.resolve();
let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  pending += chunk;
  let newline: number;
  while ((newline = pending.indexOf("\n")) >= 0) {
    const line = pending.slice(0, newline).trim();
    pending = pending.slice(newline + 1);
    if (!line) continue;
    queue = queue.then(async () => {
      let answer: unknown;
      try {
        answer = { ok: true, result: await _run(JSON.parse(line) as Command) };
      } catch (err) {
        answer = { ok: false, error: String((err as Error).stack ?? err) };
      }
      process.stdout.write(JSON.stringify(answer) + "\n");
    });
  }
});
process.stdin.on("end", () => void queue.then(() => process.exit(0)));
