/**
 * Turns a results file into the tables of BENCHMARKS.md: the targets with
 * their same-run ratios, every server's median and min–max, and the ratios
 * of sio-edge to the official server and to the raw limit per runtime.
 *
 * @module
 */

import { fmt, type Spread, spread } from "./_stats.ts";
import type { Config, Metrics, RunResult } from "./_run_one.ts";
import { SERVERS } from "./_servers.ts";

/** A results file (bench/results/*.json). */
export interface Results {
  /** When, where and how the run happened. */
  meta: Meta;
  /** The mode's sizes. */
  config: Config;
  /** One entry per server per repetition. */
  runs: RunResult[];
}

/** The circumstances of a run. */
export interface Meta {
  /** ISO start time. */
  date: string;
  /** Wall time of the run, s. */
  seconds: number;
  /** `git rev-parse --short HEAD` (plus "+dirty" when the tree had changes). */
  commit: string;
  /** CPU model and count. */
  cpu: string;
  /** Runtime versions. */
  versions: Record<string, string>;
  /** The cores server and load were pinned to, if any. */
  pinning: string;
  /** 1-minute load average at the start and the end. */
  loadavg: [number, number];
  /** Repetitions actually completed. */
  repsDone: number;
  /** Free text from `--note` (for instance: the machine was shared). */
  note?: string;
  /** Servers that could not run, with the reason (the official Deno port without its checkout). */
  leftOut?: string[];
}

type _Key = keyof Metrics;

/** Which way is better for a metric, and how to show it. */
const METRICS: Record<_Key, { title: string; unit: string; higher: boolean; scale?: number }> = {
  connectRate: { title: "connect", unit: "conn/s", higher: true },
  memPerConn: { title: "memory", unit: "KiB/conn", higher: false, scale: 1 / 1024 },
  heapPerConn: { title: "JS heap", unit: "KiB/conn", higher: false, scale: 1 / 1024 },
  memPerConn10k: { title: "memory @10k", unit: "KiB/conn", higher: false, scale: 1 / 1024 },
  heapPerConn10k: { title: "JS heap @10k", unit: "KiB/conn", higher: false, scale: 1 / 1024 },
  bcastRate: { title: "broadcast", unit: "deliveries/s", higher: true },
  bcastMs: { title: "broadcast done", unit: "ms", higher: false },
  echoRate: { title: "echo", unit: "acks/s", higher: true },
  echoP50: { title: "echo p50", unit: "ms", higher: false },
  echoP99: { title: "echo p99", unit: "ms", higher: false },
  pollRate: { title: "polling", unit: "round trips/s", higher: true },
  pollP50: { title: "polling p50", unit: "ms", higher: false },
  cpuConnect: { title: "CPU/connection", unit: "µs", higher: false },
  cpuBcast: { title: "CPU/delivery", unit: "µs", higher: false },
  cpuEcho: { title: "CPU/ack", unit: "µs", higher: false },
  cpuPoll: { title: "CPU/round trip", unit: "µs", higher: false },
  loadConnect: { title: "load busy: connect", unit: "%", higher: false, scale: 100 },
  loadBcast: { title: "load busy: broadcast", unit: "%", higher: false, scale: 100 },
  loadEcho: { title: "load busy: echo", unit: "%", higher: false, scale: 100 },
  loadPoll: { title: "load busy: polling", unit: "%", higher: false, scale: 100 },
};

/** The load-busy metric of the scenario a metric comes from (none for memory). */
const _LOAD_OF: Partial<Record<_Key, _Key>> = {
  connectRate: "loadConnect",
  cpuConnect: "loadConnect",
  bcastRate: "loadBcast",
  bcastMs: "loadBcast",
  cpuBcast: "loadBcast",
  echoRate: "loadEcho",
  echoP50: "loadEcho",
  echoP99: "loadEcho",
  cpuEcho: "loadEcho",
  pollRate: "loadPoll",
  pollP50: "loadPoll",
  cpuPoll: "loadPoll",
};

/**
 * A load process busier than this share of its core may be what limits the
 * rate: the cell is marked, and a ratio against it is a lower bound.
 */
export const LOAD_CEILING = 0.9;

const _THROUGHPUT: _Key[] = [
  "connectRate",
  "memPerConn",
  "heapPerConn",
  "memPerConn10k",
  "heapPerConn10k",
  "bcastRate",
  "bcastMs",
  "echoRate",
  "echoP50",
  "echoP99",
  "pollRate",
  "pollP50",
];
const _CPU: _Key[] = ["cpuConnect", "cpuBcast", "cpuEcho", "cpuPoll"];
const _LOAD: _Key[] = ["loadConnect", "loadBcast", "loadEcho", "loadPoll"];

/** A ratio goal from the issue: `a / b` on `metric` must be ≥ (or ≤) `goal`. */
interface Target {
  name: string;
  a: string;
  b: string;
  metric: _Key;
  goal: number;
}

function _targets(): Target[] {
  const t = (name: string, a: string, b: string, metric: _Key, goal: number) => ({
    name,
    a,
    b,
    metric,
    goal,
  });
  const bun = ["sio-edge/bun", "official/bun"] as const;
  const port = ["sio-edge/deno", "official/deno"] as const;
  const raw = ["sio-edge/deno", "raw/deno"] as const;
  const node = ["sio-edge/node", "official/node"] as const;
  const set = (
    name: string,
    pair: readonly [string, string],
    goals: Partial<Record<_Key, number>>,
  ) =>
    Object.entries(goals).map(([m, goal]) =>
      t(`${name}: ${METRICS[m as _Key].title}`, ...pair, m as _Key, goal!)
    );
  // the goals of issue 13
  return [
    ...set("Bun vs official+bun-engine", bun, {
      connectRate: 1.5,
      memPerConn: 0.6,
      memPerConn10k: 0.6,
      bcastRate: 5,
      echoRate: 1.3,
      pollRate: 1.3,
    }),
    ...set("Deno vs official Deno port", port, {
      connectRate: 1.3,
      memPerConn: 0.7,
      memPerConn10k: 0.7,
      bcastRate: 1.3,
      echoRate: 1.3,
      pollRate: 1.3,
    }),
    ...set("Deno vs raw Deno", raw, { bcastRate: 1.0, echoRate: 0.9 }),
    ...set("Node vs official", node, {
      connectRate: 1.2,
      memPerConn: 0.8,
      memPerConn10k: 0.8,
      bcastRate: 3,
      echoRate: 1.5,
      pollRate: 1.2,
    }),
  ];
}

/** Whether `server`'s load process was at its ceiling in `rep` for `metric`'s scenario. */
function _loadBound(runs: RunResult[], server: string, rep: number, metric: _Key): boolean {
  const key = _LOAD_OF[metric];
  if (!key) return false;
  const busy = runs.find((r) => r.rep === rep && r.server === server)?.metrics[key];
  return busy !== undefined && busy >= LOAD_CEILING;
}

/** How many repetitions of `a / b` had a load process at its ceiling. */
function _loadBoundReps(runs: RunResult[], a: string, b: string, metric: _Key): number {
  const reps = [...new Set(runs.map((r) => r.rep))];
  return reps.filter((rep) => _loadBound(runs, a, rep, metric) || _loadBound(runs, b, rep, metric))
    .length;
}

/** `a / b` per repetition where both ran. */
function _ratios(runs: RunResult[], a: string, b: string, metric: _Key): number[] {
  const reps = [...new Set(runs.map((r) => r.rep))];
  return reps.map((rep) => {
    const va = runs.find((r) => r.rep === rep && r.server === a)?.metrics[metric];
    const vb = runs.find((r) => r.rep === rep && r.server === b)?.metrics[metric];
    return va === undefined || vb === undefined ? NaN : va / vb;
  }).filter(Number.isFinite);
}

function _range(s: Spread, scale = 1): string {
  if (!s.n) return "–";
  return s.n === 1
    ? fmt(s.median * scale)
    : `${fmt(s.median * scale)} (${fmt(s.min * scale)}–${fmt(s.max * scale)})`;
}

function _targetTable(runs: RunResult[]): string {
  const rows = _targets().map((t) => {
    const s = spread(_ratios(runs, t.a, t.b, t.metric));
    const higher = METRICS[t.metric].higher;
    const met = !s.n
      ? "no data"
      : (higher ? s.median >= t.goal : s.median <= t.goal)
      ? "✅ met"
      : "❌ missed";
    const bound = _loadBoundReps(runs, t.a, t.b, t.metric);
    const note = bound ? ` (load at its ceiling in ${bound} rep.)` : "";
    return `| ${t.name} | ${higher ? "≥" : "≤"} ${t.goal}× | ${_range(s)}× | ${met}${note} |`;
  });
  return [
    "| target | goal | same-run ratio, median (min–max) | status |",
    "|---|---|---|---|",
    ...rows,
  ].join(
    "\n",
  );
}

function _serverTable(runs: RunResult[], keys: _Key[]): string {
  const head = `| server | ${
    keys.map((k) => `${METRICS[k].title} (${METRICS[k].unit})`).join(" | ")
  } |`;
  const rows = SERVERS.filter((s) => runs.some((r) => r.server === s.id)).map((s) => {
    const mine = runs.filter((r) => r.server === s.id);
    const cells = keys.map((k) =>
      _range(spread(mine.map((r) => r.metrics[k] ?? NaN)), METRICS[k].scale)
    );
    return `| ${s.id} | ${cells.join(" | ")} |`;
  });
  return [head, `|---|${keys.map(() => "---").join("|")}|`, ...rows].join("\n");
}

function _pairTable(runs: RunResult[]): string {
  const keys: _Key[] = [
    "connectRate",
    "memPerConn",
    "memPerConn10k",
    "bcastRate",
    "echoRate",
    "echoP99",
    "pollRate",
    ..._CPU,
  ];
  const pairs = [
    ["sio-edge/bun", "official/bun"],
    ["sio-edge/bun", "raw/bun"],
    ["official/bun", "raw/bun"],
    ["sio-edge/deno", "official/deno"],
    ["sio-edge/deno", "raw/deno"],
    ["official/deno", "raw/deno"],
    ["sio-edge/node", "official/node"],
    ["sio-edge/node", "raw/node"],
    ["official/node", "raw/node"],
  ];
  const present = (id: string) => runs.some((r) => r.server === id);
  const rows = pairs.filter(([a, b]) => present(a!) && present(b!)).map(([a, b]) =>
    `| ${a} ÷ ${b} | ${
      keys.map((k) => `${_range(spread(_ratios(runs, a!, b!, k)))}×`).join(" | ")
    } |`
  );
  const head = `| ratio | ${keys.map((k) => METRICS[k].title).join(" | ")} |`;
  return [head, `|---|${keys.map(() => "---").join("|")}|`, ...rows].join("\n");
}

function _problems(runs: RunResult[]): string {
  const lines = runs.filter((r) => r.errors.length).map((r) =>
    `- rep ${r.rep + 1}, ${r.server}: ${r.errors.join("; ")}`
  );
  return lines.length
    ? `Problems during the run:\n\n${lines.join("\n")}\n`
    : "No scenario failed or timed out.\n";
}

/** The generated part of BENCHMARKS.md for `results`. */
export function renderResults({ meta, config: c, runs }: Results): string {
  return `## Latest results

- **${c.mode} mode**, ${meta.repsDone} repetition(s) interleaved across servers, ${meta.date}, ` +
    `commit \`${meta.commit}\`, ${Math.round(meta.seconds)} s in all.
- ${meta.cpu}; server and load ${meta.pinning}.
- ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(", ")}.
- ${meta.leftOut?.length ? `Left out: ${meta.leftOut.join("; ")}.` : "Every server ran."}
- Load average (1 min) at start / end: ${meta.loadavg.map((l) => l.toFixed(2)).join(" / ")} ` +
    `(a run keeps about 1–1.5 cores busy itself).${meta.note ? ` **${meta.note}**` : ""}
- Sizes: connect ${c.connect.count} clients, ${c.connect.concurrency} at once; memory at ` +
    `${c.connect.count} and ${c.memory?.count || "–"} idle connections; broadcast ` +
    `${c.broadcast.messages} × ${c.broadcast.size} B to every connected client; echo ${c.echo.clients} clients × ` +
    `${c.echo.outstanding} outstanding, ${c.echo.total} acks; polling ${c.polling.clients} sessions for ` +
    `${c.polling.durationMs / 1000} s.

### Targets

${_targetTable(runs)}

### Every server: median (min–max)

${_serverTable(runs, _THROUGHPUT)}

### Server CPU time per operation: median (min–max)

Less sensitive to a busy machine than throughput: what the server process (all its threads)
spent, from /proc, per connection opened, per broadcast delivery, per ack (opening the 100 echo
clients included) and per polling round trip.

${_serverTable(runs, _CPU)}

### Load generator: share of its core used per scenario, median (min–max)

At ${
      Math.round(LOAD_CEILING * 100)
    }% or more the load process, not the server, may set the rate: the targets
say in how many repetitions that happened, and a ratio against such a cell is a lower bound.

${_serverTable(runs, _LOAD)}

### Same-run ratios: median (min–max)

${_pairTable(runs)}

${_problems(runs)}`;
}
