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
}

type _Key = keyof Metrics;

/** Which way is better for a metric, and how to show it. */
const METRICS: Record<_Key, { title: string; unit: string; higher: boolean; scale?: number }> = {
  connectRate: { title: "connect", unit: "conn/s", higher: true },
  memPerConn: { title: "memory", unit: "KiB/conn", higher: false, scale: 1 / 1024 },
  heapPerConn: { title: "JS heap", unit: "KiB/conn", higher: false, scale: 1 / 1024 },
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
};

const _THROUGHPUT: _Key[] = [
  "connectRate",
  "memPerConn",
  "heapPerConn",
  "bcastRate",
  "bcastMs",
  "echoRate",
  "echoP50",
  "echoP99",
  "pollRate",
  "pollP50",
];
const _CPU: _Key[] = ["cpuConnect", "cpuBcast", "cpuEcho", "cpuPoll"];

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
  const deno = ["sio-edge/deno", "raw/deno"] as const;
  const node = ["sio-edge/node", "official/node"] as const;
  return [
    t("Bun vs official+bun-engine: broadcast", ...bun, "bcastRate", 4),
    t("Bun vs official+bun-engine: echo", ...bun, "echoRate", 1.3),
    t("Bun vs official+bun-engine: connect", ...bun, "connectRate", 1.5),
    t("Bun vs official+bun-engine: memory/conn", ...bun, "memPerConn", 0.4),
    t("Bun vs official+bun-engine: polling", ...bun, "pollRate", 1.3),
    t("Deno vs raw Deno: broadcast", ...deno, "bcastRate", 1.0),
    t("Deno vs raw Deno: echo", ...deno, "echoRate", 0.9),
    t("Deno vs raw Deno: memory/conn", ...deno, "memPerConn", 1.0),
    ...([
      "connectRate",
      "memPerConn",
      "bcastRate",
      "echoRate",
      "echoP50",
      "echoP99",
      "pollRate",
    ] as const)
      .map((m) => t(`Node vs official: ${METRICS[m].title}`, ...node, m, 1.0)),
  ];
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
    return `| ${t.name} | ${higher ? "≥" : "≤"} ${t.goal}× | ${_range(s)}× | ${met} |`;
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
    ["sio-edge/deno", "raw/deno"],
    ["sio-edge/node", "official/node"],
    ["sio-edge/node", "raw/node"],
    ["official/node", "raw/node"],
  ];
  const rows = pairs.map(([a, b]) =>
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
- Load average (1 min) at start / end: ${meta.loadavg.map((l) => l.toFixed(2)).join(" / ")} ` +
    `(a run keeps about 1–1.5 cores busy itself).${meta.note ? ` **${meta.note}**` : ""}
- Sizes: connect ${c.connect.count} clients, ${c.connect.concurrency} at once; broadcast ` +
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

### Same-run ratios: median (min–max)

${_pairTable(runs)}

${_problems(runs)}`;
}
