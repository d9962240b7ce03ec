/**
 * The fleet benchmark: three servers on one Redis (the classic adapter),
 * clients spread over them, one server broadcasting. Measures deliveries per
 * second (every client receiving every message) and the latency of
 * `fetchSockets()` across the fleet, for an all-official fleet (socket.io 4.8
 * + @socket.io/redis-adapter on Node) and all-sio-edge fleets on Bun, Node
 * and Deno, in one run.
 *
 * Usage: `bun bench/fleet.ts [--quick] [--reps N] [--clients N] [--messages N] [--fetches N]
 * [--only a,b] [--client redis|ioredis] [--specific-response]`. Writes
 * bench/results/fleet-<time>.json and prints the tables for BENCHMARKS.md.
 * With `FLEET_PROFILE_DIR=<dir>`, every Node and Deno server writes a V8 CPU profile there
 * (`--cpu-prof`, a directory per server; read them with `bun bench/profile_summary.ts <file>`).
 * With `FLEET_TRACE_DIR=<dir>`, every server writes the timestamps of its fetchSockets traffic
 * there (node-redis only; `bun bench/fleet_trace.ts <dir>` lines them up).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import process from "node:process";
import { io as ioc, type Socket } from "socket.io-client";
import { hasRedisServer, startRedis } from "../tests/_support/redis_server.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const BIN = `${ROOT}node_modules/.bin/`;
const ENTRY = "bench/servers/fleet_node.ts";

type FleetKind = "official-node" | "edge-bun" | "edge-node" | "edge-deno";
const ALL_FLEETS: FleetKind[] = ["official-node", "edge-bun", "edge-node", "edge-deno"];

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const QUICK = args.includes("--quick");
const clientAt = args.indexOf("--client");
/** `--client ioredis`: every server of every fleet on ioredis 5 instead of node-redis 5. */
const CLIENT = clientAt === -1 ? "redis" : args[clientAt + 1]!;
if (CLIENT !== "redis" && CLIENT !== "ioredis") {
  throw new Error(`--client redis|ioredis, not ${CLIENT}`);
}
/** `--specific-response`: every adapter of every fleet with `publishOnSpecificResponseChannel: true`. */
const SPECIFIC = args.includes("--specific-response");
const onlyAt = args.indexOf("--only");
/** `--only edge-node,official-node` runs some fleets (the first one is the reference). */
const FLEETS: FleetKind[] = onlyAt === -1
  ? ALL_FLEETS
  : args[onlyAt + 1]!.split(",").filter((f): f is FleetKind => ALL_FLEETS.includes(f as FleetKind));
const CONFIG = {
  nodes: 3,
  clients: flag("--clients", QUICK ? 150 : 300),
  messages: flag("--messages", QUICK ? 500 : 2_000),
  size: 100,
  warmUp: 200,
  fetches: flag("--fetches", QUICK ? 100 : 300),
  reps: flag("--reps", QUICK ? 1 : 3),
  client: CLIENT,
  specificResponse: SPECIFIC,
  timeoutMs: 120_000,
};

interface Node {
  child: ChildProcess;
  port: number;
}

const PROFILE_DIR = process.env.FLEET_PROFILE_DIR;
const TRACE_DIR = process.env.FLEET_TRACE_DIR;
let traced = 0;
/** `<dir>/<fleet>-<run>-<node>.jsonl`; node 0 is the one that broadcasts and fetches. */
const traceFile = (kind: FleetKind) => {
  const n = traced++;
  return `${TRACE_DIR}/${kind}-${Math.floor(n / CONFIG.nodes)}-${n % CONFIG.nodes}.jsonl`;
};
let profiled = 0;
const prof = (kind: FleetKind) =>
  PROFILE_DIR
    // one directory per server: Node's tsx loader thread writes a profile of its own
    ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}/${kind}-${profiled++}`]
    : [];

function command(kind: FleetKind): [string, string[]] {
  if (kind === "official-node") {
    return ["node", [...prof(kind), "--import", "tsx", ENTRY, "official"]];
  }
  if (kind === "edge-bun") return [`${BIN}bun`, ["run", ENTRY, "edge"]];
  if (kind === "edge-deno") {
    return [`${BIN}deno`, ["run", "-A", "--quiet", ...prof(kind), ENTRY, "edge"]];
  }
  return ["node", [...prof(kind), "--import", "tsx", ENTRY, "edge"]];
}

/** Ends a node: stdin closed (it exits and writes its profile), SIGKILL after 3 s. */
async function stopNode(node: Node): Promise<void> {
  if (node.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => node.child.once("exit", () => r()));
  node.child.stdin!.end();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([exited, new Promise<void>((r) => timer = setTimeout(r, 3_000))]);
  clearTimeout(timer);
  if (node.child.exitCode === null) node.child.kill("SIGKILL");
}

async function startNode(kind: FleetKind, redisUrl: string): Promise<Node> {
  const [cmd, argv] = command(kind);
  const child = spawn(cmd, argv, {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      FLEET_REDIS_CLIENT: CLIENT,
      FLEET_SPECIFIC_RESPONSE: SPECIFIC ? "1" : "0",
      ...(TRACE_DIR ? { FLEET_TRACE: traceFile(kind) } : {}),
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (s: string) => {
      out += s;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", () => reject(new Error(`${kind} node exited`)));
  });
  return { child, port };
}

/** A bare Socket.IO client on the runtime's WebSocket: counts the "m" events. */
class LoadClient {
  received = 0;
  ready: Promise<void>;
  #ws: WebSocket;

  constructor(port: number) {
    this.#ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    this.ready = new Promise((resolve, reject) => {
      this.#ws.onerror = () => reject(new Error("client error"));
      this.#ws.onmessage = (event) => {
        const data = String(event.data);
        if (data.startsWith('42["m"')) this.received++;
        else if (data === "2") this.#ws.send("3");
        else if (data.startsWith("0{")) this.#ws.send("40");
        else if (data.startsWith("40")) resolve();
      };
    });
  }

  close(): void {
    this.#ws.close();
  }
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

/** CPU time (user + system, ms) of a process so far, from /proc (Linux's 100 ticks/s). */
function cpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

interface Run {
  deliveriesPerSec: number;
  broadcastMs: number;
  /** CPU of the three servers per delivery during the measured broadcast (µs). */
  serverCpuPerDeliveryUs: number;
  /** CPU of the three servers per fetchSockets() (ms). */
  serverCpuPerFetchMs: number;
  fetchMedianMs: number;
  fetchP95Ms: number;
}

async function runFleet(kind: FleetKind): Promise<Run> {
  const redis = await startRedis();
  const nodes: Node[] = [];
  const clients: LoadClient[] = [];
  let control: Socket | undefined;
  try {
    for (let i = 0; i < CONFIG.nodes; i++) nodes.push(await startNode(kind, redis.url));
    for (let i = 0; i < CONFIG.clients; i++) {
      clients.push(new LoadClient(nodes[i % nodes.length]!.port));
    }
    await Promise.all(clients.map((c) => c.ready));
    control = ioc(`http://127.0.0.1:${nodes[0]!.port}/control`, { transports: ["websocket"] });
    await new Promise<void>((r) => control!.once("connect", () => r()));
    const broadcast = async (count: number) => {
      const target = clients[0]!.received + count;
      const base = clients.map((c) => c.received);
      const start = performance.now();
      await control!.emitWithAck("broadcast", count, CONFIG.size);
      await waitFor(
        () => clients.every((c, i) => c.received - base[i]! >= count),
        CONFIG.timeoutMs,
        `${count} broadcasts`,
      );
      void target;
      return performance.now() - start;
    };
    const nodesCpu = () => nodes.reduce((sum, n) => sum + cpuMs(n.child.pid), 0);
    await broadcast(CONFIG.warmUp);
    const cpu0 = nodesCpu();
    const broadcastMs = await broadcast(CONFIG.messages);
    const cpu1 = nodesCpu();
    const fetched = await control.timeout(CONFIG.timeoutMs).emitWithAck(
      "fetch",
      CONFIG.fetches,
    ) as {
      latencies: number[];
      sockets: number;
    };
    if (fetched.sockets !== CONFIG.clients) {
      throw new Error(`fetchSockets found ${fetched.sockets} sockets, not ${CONFIG.clients}`);
    }
    const cpu2 = nodesCpu();
    // the first calls warm the path up
    const latencies = fetched.latencies.slice(Math.floor(CONFIG.fetches / 10));
    return {
      deliveriesPerSec: (CONFIG.clients * CONFIG.messages) / (broadcastMs / 1000),
      broadcastMs,
      serverCpuPerDeliveryUs: ((cpu1 - cpu0) * 1000) / (CONFIG.clients * CONFIG.messages),
      serverCpuPerFetchMs: (cpu2 - cpu1) / CONFIG.fetches,
      fetchMedianMs: median(latencies),
      fetchP95Ms: percentile(latencies, 0.95),
    };
  } finally {
    control?.disconnect();
    for (const c of clients) c.close();
    await Promise.all(nodes.map(stopNode));
    await redis.stop();
  }
}

if (!hasRedisServer()) {
  console.error("redis-server is not on the PATH (scripts/ensure_system_tools.sh installs it)");
  process.exit(1);
}
const started = Date.now();
const results: Record<string, Run[]> = {};
for (let rep = 0; rep < CONFIG.reps; rep++) {
  // the order rotates, so no fleet always runs first
  const order = FLEETS.map((_, i) => FLEETS[(i + rep) % FLEETS.length]!);
  for (const kind of order) {
    const run = await runFleet(kind);
    (results[kind] ??= []).push(run);
    console.error(
      `${kind}: ${Math.round(run.deliveriesPerSec)} deliveries/s (${
        run.serverCpuPerDeliveryUs.toFixed(2)
      } µs CPU each), fetchSockets ${run.fetchMedianMs.toFixed(2)} ms (${
        run.serverCpuPerFetchMs.toFixed(2)
      } ms CPU each)`,
    );
  }
}

const summary = Object.fromEntries(FLEETS.map((kind) => {
  const runs = results[kind]!;
  return [kind, {
    deliveriesPerSec: median(runs.map((r) => r.deliveriesPerSec)),
    serverCpuPerDeliveryUs: median(runs.map((r) => r.serverCpuPerDeliveryUs)),
    serverCpuPerFetchMs: median(runs.map((r) => r.serverCpuPerFetchMs)),
    fetchMedianMs: median(runs.map((r) => r.fetchMedianMs)),
    fetchP95Ms: median(runs.map((r) => r.fetchP95Ms)),
  }];
}));
const official = summary["official-node"] ?? summary[FLEETS[0]!]!;
const lines = [
  `Fleet: ${CONFIG.nodes} nodes, ${CONFIG.clients} clients, ${CONFIG.messages} broadcasts of ${CONFIG.size} B from one node, ${CONFIG.fetches} fetchSockets, ${CONFIG.client}${
    SPECIFIC ? ", publishOnSpecificResponseChannel" : ""
  }; median of ${CONFIG.reps} (${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}, ${
    Math.round((Date.now() - started) / 1000)
  } s)`,
  "",
  "| fleet | deliveries/s | × official | CPU/delivery (µs) | fetchSockets median (ms) | p95 (ms) | × official (latency, lower is better) | CPU/fetch (ms) |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ...FLEETS.map((kind) => {
    const s = summary[kind]!;
    return `| ${kind} | ${Math.round(s.deliveriesPerSec)} | ${
      (s.deliveriesPerSec / official.deliveriesPerSec).toFixed(2)
    }× | ${s.serverCpuPerDeliveryUs.toFixed(2)} | ${s.fetchMedianMs.toFixed(2)} | ${
      s.fetchP95Ms.toFixed(2)
    } | ${(s.fetchMedianMs / official.fetchMedianMs).toFixed(2)}× | ${
      s.serverCpuPerFetchMs.toFixed(2)
    } |`;
  }),
];
mkdirSync(`${ROOT}bench/results`, { recursive: true });
const file = `${ROOT}bench/results/fleet-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
writeFileSync(file, JSON.stringify({ config: CONFIG, results, summary }, null, 2) + "\n");
console.log(lines.join("\n"));
console.error(`written to ${file}`);
process.exit(0);
