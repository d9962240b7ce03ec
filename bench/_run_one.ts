/**
 * One server's turn in one repetition: start it and a fresh load generator,
 * warm up, then measure connect rate, memory per idle connection, broadcast
 * fan-out, echo with ack and long-polling, and end both processes.
 *
 * @module
 */

import { setTimeout as sleep } from "node:timers/promises";
import { LoadProcess, ServerProcess } from "./_proc.ts";
import type { ServerSpec } from "./_servers.ts";

/** The sizes and limits of one benchmark mode. */
export interface Config {
  /** "full" or "quick". */
  mode: string;
  /** Repetitions (each runs every server once). */
  reps: number;
  /** The whole run stops starting repetitions after this many ms. */
  budgetMs: number;
  /** Connect rate: clients opened, and how many at once. */
  connect: { count: number; concurrency: number };
  /** Broadcast: messages sent to every connected client, and their size in bytes. */
  broadcast: { messages: number; size: number };
  /** Echo: clients, calls in flight per client, acks in total. */
  echo: { clients: number; outstanding: number; total: number };
  /** Polling: sessions, and how long / how many round trips at most. */
  polling: { clients: number; durationMs: number; maxRoundTrips: number };
  /** Upper bound of any one scenario. */
  scenarioTimeoutMs: number;
  /** Only these scenarios (connect, memory, broadcast, echo, polling); all when absent. */
  scenarios?: string[];
}

/** The measured values; lower is better for memory, times and latencies. */
export interface Metrics {
  /** Connections per second (connect scenario). */
  connectRate?: number;
  /** Server RSS growth per idle connection, bytes. */
  memPerConn?: number;
  /** The part of it in the JS heap (live objects after a full collection), bytes. */
  heapPerConn?: number;
  /** Broadcast deliveries per second. */
  bcastRate?: number;
  /** Ms until the last client had the last broadcast message. */
  bcastMs?: number;
  /** Acks per second. */
  echoRate?: number;
  /** Echo latency median, ms. */
  echoP50?: number;
  /** Echo latency 99th percentile, ms. */
  echoP99?: number;
  /** Long-polling echo round trips per second. */
  pollRate?: number;
  /** Long-polling round-trip median, ms. */
  pollP50?: number;
  /** Server CPU time per connection opened, µs (10 ms resolution over the whole scenario). */
  cpuConnect?: number;
  /** Server CPU time per broadcast delivery, µs. */
  cpuBcast?: number;
  /** Server CPU time per ack, µs (includes opening the echo clients). */
  cpuEcho?: number;
  /** Server CPU time per polling round trip, µs. */
  cpuPoll?: number;
}

/** One server's measurements in one repetition. */
export interface RunResult {
  /** The repetition (0-based). */
  rep: number;
  /** The server id. */
  server: string;
  /** The measured values. */
  metrics: Metrics;
  /** What the load reported, per scenario. */
  details: Record<string, unknown>;
  /** Anything that went wrong (incomplete scenarios, failures). */
  errors: string[];
}

type _Rates = { rate: number; ms: number; complete?: boolean; failed?: number; errors?: number };

/** Runs every scenario against `spec`; failures are recorded, never thrown. */
export async function runOne(
  spec: ServerSpec,
  cfg: Config,
  rep: number,
  pin: { server: number; load: number } | undefined,
): Promise<RunResult> {
  const result: RunResult = { rep, server: spec.id, metrics: {}, details: {}, errors: [] };
  let server: ServerProcess | undefined;
  let load: LoadProcess | undefined;
  try {
    server = await ServerProcess.start(spec.argv, pin?.server);
    load = LoadProcess.start(pin?.load);
    await _scenarios(spec, cfg, server, load, result);
  } catch (err) {
    result.errors.push(String((err as Error).message ?? err).slice(0, 500));
  } finally {
    await load?.stop();
    await server?.stop();
  }
  return result;
}

async function _scenarios(
  spec: ServerSpec,
  cfg: Config,
  server: ServerProcess,
  load: LoadProcess,
  out: RunResult,
): Promise<void> {
  const t = cfg.scenarioTimeoutMs;
  const ask = async <T extends _Rates>(name: string, cmd: Record<string, unknown>) => {
    const cpu0 = server.cpuMs();
    const res = await load.request<T>({ ...cmd, timeoutMs: t }, t + 15_000);
    const serverCpuMs = server.cpuMs() - cpu0;
    out.details[name] = { ...res, serverCpuMs };
    cpu[name] = serverCpuMs;
    if (res.complete === false) {
      out.errors.push(`${name}: incomplete after ${Math.round(res.ms)} ms`);
    }
    if (res.failed || res.errors) out.errors.push(`${name}: ${res.failed ?? res.errors} failed`);
    return res;
  };
  const cpu: Record<string, number> = {};
  const wants = (name: string) => !cfg.scenarios || cfg.scenarios.includes(name);
  const { proto } = spec;
  const port = server.port;
  await _warmUp(spec, port, load, t);

  if (wants("connect") || wants("memory") || wants("broadcast")) {
    const heapBefore = await server.gc();
    const rssBefore = server.rss();
    const connect = await ask<_Rates & { connected: number }>("connect", {
      op: "connect",
      proto,
      port,
      ...cfg.connect,
    });
    out.metrics.connectRate = connect.rate;
    if (connect.connected) out.metrics.cpuConnect = 1000 * cpu.connect! / connect.connected;
    await sleep(500); // idle: no handshake still in flight
    const heapAfter = await server.gc();
    const rssAfter = server.rss();
    if (connect.connected) out.metrics.memPerConn = (rssAfter - rssBefore) / connect.connected;
    out.details.memory = { rssBefore, rssAfter, heapBefore, heapAfter };
    if (connect.connected) {
      out.metrics.heapPerConn = (heapAfter.heapUsed - heapBefore.heapUsed) / connect.connected;
    }
  }
  if (wants("broadcast")) {
    const bcast = await ask<_Rates & { deliveries: number }>("broadcast", {
      op: "broadcast",
      ...cfg.broadcast,
    });
    out.metrics.bcastRate = bcast.rate;
    out.metrics.cpuBcast = 1000 * cpu.broadcast! / bcast.deliveries;
    if (bcast.complete) out.metrics.bcastMs = bcast.ms;
  }
  await load.request({ op: "close", timeoutMs: 10_000 }, 15_000);
  await sleep(300);

  if (wants("echo")) {
    const echo = await ask<_Rates & { acks: number; p50: number; p99: number }>("echo", {
      op: "echo",
      proto,
      port,
      ...cfg.echo,
    });
    Object.assign(out.metrics, { echoRate: echo.rate, echoP50: echo.p50, echoP99: echo.p99 });
    out.metrics.cpuEcho = 1000 * cpu.echo! / echo.acks;
  }
  if (spec.polling && wants("polling")) {
    const poll = await ask<_Rates & { roundTrips: number; p50: number }>("polling", {
      op: "polling",
      port,
      ...cfg.polling,
    });
    Object.assign(out.metrics, { pollRate: poll.rate, pollP50: poll.p50 });
    out.metrics.cpuPoll = 1000 * cpu.polling! / poll.roundTrips;
  }
}

/** Every path runs once before anything is measured, so the JIT has seen it. */
async function _warmUp(
  spec: ServerSpec,
  port: number,
  load: LoadProcess,
  t: number,
): Promise<void> {
  const { proto } = spec;
  const limit = t + 5_000;
  await load.request(
    { op: "connect", proto, port, count: 20, concurrency: 10, timeoutMs: t },
    limit,
  );
  await load.request({ op: "broadcast", messages: 20, size: 100, timeoutMs: t }, limit);
  await load.request({ op: "close", timeoutMs: 5_000 }, limit);
  const echo = { op: "echo", proto, port, clients: 10, outstanding: 5, total: 2_000, timeoutMs: t };
  await load.request(echo, limit);
  if (spec.polling) {
    await load.request(
      { op: "polling", port, clients: 2, durationMs: 200, maxRoundTrips: 500 },
      limit,
    );
  }
  await sleep(300);
}
