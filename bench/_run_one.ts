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
  /** Memory: idle connections of the second sample (0: only the connect scenario's). */
  memory: { count: number };
  /**
   * Polling: sessions, and how long / how many round trips at most; `fetch` 1
   * makes the load use `fetch` instead of its own HTTP/1.1 client.
   */
  polling: { clients: number; durationMs: number; maxRoundTrips: number; fetch: number };
  /** Upper bound of any one scenario. */
  scenarioTimeoutMs: number;
  /** Traffic before measuring: connections opened (and closed), echo acks, polling time. */
  warmUp: { connections: number; acks: number; pollingMs: number };
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
  /** Server RSS growth per idle connection with `memory.count` (10,000) open, bytes. */
  memPerConn10k?: number;
  /** The JS heap part of it, bytes. */
  heapPerConn10k?: number;
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
  /** Share of its core the load process used during the connect scenario (0–1). */
  loadConnect?: number;
  /** … during the broadcast. */
  loadBcast?: number;
  /** … during echo. */
  loadEcho?: number;
  /** … during polling. */
  loadPoll?: number;
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
  const run = new _Turn(spec, cfg, server, load, out);
  const wants = (name: string) => !cfg.scenarios || cfg.scenarios.includes(name);
  if (wants("connect") || wants("memory") || wants("broadcast")) await run.connectAndMemory();
  if (wants("broadcast")) await run.broadcast();
  await run.warm({ op: "close" });
  await sleep(300);
  if (wants("echo")) await run.echo();
  if (spec.polling && wants("polling")) await run.polling();
}

/** One server's turn: the scenarios, each recording its metrics and server CPU time. */
class _Turn {
  readonly #cpu: Record<string, number> = {};
  readonly #load: Record<string, number> = {};

  constructor(
    readonly spec: ServerSpec,
    readonly cfg: Config,
    readonly server: ServerProcess,
    readonly load: LoadProcess,
    readonly out: RunResult,
  ) {}

  /** A command whose result is not measured (warm-up, cleanup). */
  warm(cmd: Record<string, unknown>): Promise<unknown> {
    const t = this.cfg.scenarioTimeoutMs;
    return this.load.request({ timeoutMs: t, ...cmd }, t + 5_000);
  }

  /**
   * A measured command: its result, the server CPU time it took, and the share
   * of its core the load process used meanwhile are recorded as `name`.
   */
  async #ask<T extends _Rates>(name: string, cmd: Record<string, unknown>): Promise<T> {
    const t = this.cfg.scenarioTimeoutMs;
    const cpu0 = this.server.cpuMs();
    const load0 = this.load.cpuMs();
    const wall0 = performance.now();
    const res = await this.load.request<T>({ ...cmd, timeoutMs: t }, t + 15_000);
    this.#cpu[name] = this.server.cpuMs() - cpu0;
    // over the whole command (setup included), so a little below the timed part's share
    const loadBusy = (this.load.cpuMs() - load0) / (performance.now() - wall0);
    this.#load[name] = loadBusy;
    this.out.details[name] = { ...res, serverCpuMs: this.#cpu[name], loadBusy };
    if (res.complete === false) {
      this.out.errors.push(`${name}: incomplete after ${Math.round(res.ms)} ms`);
    }
    if (res.failed || res.errors) {
      this.out.errors.push(`${name}: ${res.failed ?? res.errors} failed`);
    }
    return res;
  }

  /** Server CPU µs per operation of scenario `name`. */
  #cpuPer(name: string, operations: number): number {
    return 1000 * (this.#cpu[name] ?? NaN) / operations;
  }

  /** Connect rate, then memory per idle connection; the clients stay for the broadcast. */
  async connectAndMemory(): Promise<void> {
    const { proto } = this.spec;
    const { port } = this.server;
    const base = {
      op: "connect",
      proto,
      port,
      count: this.cfg.warmUp.connections,
      concurrency: 50,
    };
    // warm-up: the connection path (and a broadcast) runs before it is timed
    await this.warm(base);
    await this.warm({ op: "broadcast", messages: 20, size: 100 });
    await this.warm({ op: "close" });
    // memory is the growth over a base of idle connections: the base takes
    // the pages the warm-up freed, and one-off costs are paid before sampling
    await this.warm({ ...base, pool: "base" });
    await sleep(300);
    const heapBefore = await this.server.gc();
    const rssBefore = this.server.rss();
    const connect = await this.#ask<_Rates & { connected: number }>("connect", {
      op: "connect",
      proto,
      port,
      ...this.cfg.connect,
    });
    await sleep(500); // idle: no handshake still in flight
    const heapAfter = await this.server.gc();
    const rssAfter = this.server.rss();
    this.out.details.memory = { rssBefore, rssAfter, heapBefore, heapAfter };
    const n = connect.connected;
    Object.assign(this.out.metrics, {
      connectRate: connect.rate,
      loadConnect: this.#load.connect,
      ...(n && {
        cpuConnect: this.#cpuPer("connect", n),
        memPerConn: (rssAfter - rssBefore) / n,
        heapPerConn: (heapAfter.heapUsed - heapBefore.heapUsed) / n,
      }),
    });
    if (n && this.cfg.memory.count > n) await this.#memoryAt(rssBefore, heapBefore.heapUsed, n);
    // the broadcast reaches exactly the measured clients
    await this.warm({ op: "close", pool: "base" });
    await sleep(300);
  }

  /** The second memory sample: `memory.count` idle connections in all (the first `n` open). */
  async #memoryAt(rssBefore: number, heapBefore: number, n: number): Promise<void> {
    const more = this.cfg.memory.count - n;
    const t = Math.max(this.cfg.scenarioTimeoutMs, 60_000);
    const res = await this.load.request<{ connected: number; failed: number; firstError?: string }>(
      {
        op: "connect",
        proto: this.spec.proto,
        port: this.server.port,
        count: more,
        concurrency: 50,
        timeoutMs: t,
        pool: "memory",
      },
      t + 15_000,
    );
    await sleep(1_000); // idle: no handshake still in flight
    const heap = await this.server.gc();
    const rss = this.server.rss();
    const total = n + res.connected;
    this.out.details.memory10k = { ...res, rss, heap, total };
    if (res.connected < more) {
      this.out.errors.push(
        `memory: ${res.connected} of ${more} more connections opened` +
          (res.firstError ? ` (${res.firstError})` : ""),
      );
    } else {
      Object.assign(this.out.metrics, {
        memPerConn10k: (rss - rssBefore) / total,
        heapPerConn10k: (heap.heapUsed - heapBefore) / total,
      });
    }
    await this.load.request({ op: "close", pool: "memory", timeoutMs: t }, t + 15_000);
    await sleep(300);
  }

  /** Broadcast fan-out over the connected clients. */
  async broadcast(): Promise<void> {
    const res = await this.#ask<_Rates & { deliveries: number }>("broadcast", {
      op: "broadcast",
      ...this.cfg.broadcast,
    });
    Object.assign(this.out.metrics, {
      bcastRate: res.rate,
      loadBcast: this.#load.broadcast,
      cpuBcast: this.#cpuPer("broadcast", res.deliveries),
      ...(res.complete && { bcastMs: res.ms }),
    });
  }

  /** Echo with ack, after a warm-up of the same path. */
  async echo(): Promise<void> {
    const { proto } = this.spec;
    const { port } = this.server;
    await this.warm({
      op: "echo",
      proto,
      port,
      clients: 10,
      outstanding: 10,
      total: this.cfg.warmUp.acks,
    });
    const res = await this.#ask<_Rates & { acks: number; p50: number; p99: number }>("echo", {
      op: "echo",
      proto,
      port,
      ...this.cfg.echo,
    });
    Object.assign(this.out.metrics, {
      echoRate: res.rate,
      loadEcho: this.#load.echo,
      echoP50: res.p50,
      echoP99: res.p99,
      cpuEcho: this.#cpuPer("echo", res.acks),
    });
  }

  /** Long-polling echo, after seconds of the same traffic. */
  async polling(): Promise<void> {
    const { port } = this.server;
    const { proto } = this.spec;
    // Node's JIT needs seconds of polling traffic before a polling path is at speed
    const { clients, durationMs, maxRoundTrips, fetch } = this.cfg.polling;
    const client = fetch ? "fetch" : "http1";
    const warmMs = this.cfg.warmUp.pollingMs;
    const cmd = { op: "polling", proto, port, clients, client };
    await this.warm({ ...cmd, durationMs: warmMs, maxRoundTrips: 1e6 });
    const res = await this.#ask<_Rates & { roundTrips: number; p50: number }>("polling", {
      ...cmd,
      durationMs,
      maxRoundTrips,
    });
    Object.assign(this.out.metrics, {
      pollRate: res.rate,
      loadPoll: this.#load.polling,
      pollP50: res.p50,
      cpuPoll: this.#cpuPer("polling", res.roundTrips),
    });
  }
}
