/**
 * Prints the functions with the most self time in a V8 `.cpuprofile`
 * (`--cpu-prof` of Node, Bun and Deno), with each one's inclusive share:
 * `bun bench/profile_summary.ts <file> [top] [--match text] [--segment N]`.
 * Shares are of the busy time (V8's `(idle)` and `(program)` samples left
 * out); `--match` lists only functions whose name or file contains `text`.
 * A profile covers the server's whole life; the orchestrator's pauses (over
 * 100 ms without work) cut it into segments, which are listed first, and
 * `--segment N` summarises only the N-th (0-based): the connect scenario's
 * connections, say, without the warm-up and the closing.
 *
 * Bun's profiler takes no samples while the process waits, so the time
 * delta of the first sample after a wait spans the whole wait (the
 * orchestrator's pauses between commands: hundreds of ms, landing on
 * whatever ran next, often `gc` after the `gc` command). Each sample
 * therefore counts for at most {@link MAX_SAMPLE_FACTOR} times the median
 * interval; V8's profiles (Node, Deno) sample idle time and are unaffected.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";

interface _Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface _Profile {
  nodes: _Node[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** A sample counts for at most this many median sampling intervals. */
export const MAX_SAMPLE_FACTOR = 3;

/** Not work of the process: left out of the busy time. */
const _IDLE = new Set(["(idle)", "(program)"]);

/** One function's time (ms): its own samples, and the samples it was on the stack of. */
export interface FunctionTime {
  /** `name file:line`. */
  name: string;
  /** Self time, ms. */
  ms: number;
  /** Inclusive time (itself and its callees), ms. */
  totalMs: number;
}

function _frameName(frame: _Node["callFrame"]): string {
  const file = frame.url.replace(/^file:\/\//, "").replace(process.cwd() + "/", "");
  return `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
}

/** The weight (µs) of each sample: its delta, capped at a few median intervals. */
function _weights(deltas: readonly number[]): number[] {
  const sorted = deltas.filter((d) => d > 0).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const cap = median > 0 ? median * MAX_SAMPLE_FACTOR : Infinity;
  return deltas.map((d) => Math.min(Math.max(d, 0), cap));
}

/** A pause this long (µs, idle or unsampled) ends a segment. */
const _SEGMENT_GAP = 100_000;

/** The busy samples' indices, cut into segments at pauses of {@link _SEGMENT_GAP}. */
export function segments(profile: _Profile): number[][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const deltas = profile.timeDeltas ?? [];
  const out: number[][] = [[]];
  let idle = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const d = deltas[i] ?? 0;
    if ((d > _SEGMENT_GAP || idle > _SEGMENT_GAP) && out.at(-1)!.length) out.push([]);
    if (_IDLE.has(byId.get(id)?.callFrame.functionName ?? "")) {
      idle += d;
      return;
    }
    idle = 0;
    out.at(-1)!.push(i);
  });
  return out.filter((s) => s.length);
}

/**
 * Self and inclusive time per function (ms), largest self time first; idle
 * left out; only the samples at `only` (indices) when given.
 */
export function selfTimes(profile: _Profile, only?: readonly number[]): FunctionTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = profile.samples ?? [];
  const weights = _weights(profile.timeDeltas ?? []);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const pick = only ? new Set(only) : undefined;
  samples.forEach((id, i) => {
    if (pick && !pick.has(i)) return;
    const frame = byId.get(id)?.callFrame;
    const us = weights[i] ?? 0;
    if (!frame || _IDLE.has(frame.functionName)) return;
    const name = _frameName(frame);
    self.set(name, (self.get(name) ?? 0) + us / 1000);
    // every function on the stack once, however often it recurs
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const f = byId.get(n)?.callFrame;
      if (!f || f.functionName === "(root)") continue;
      seen.add(_frameName(f));
    }
    for (const s of seen) total.set(s, (total.get(s) ?? 0) + us / 1000);
  });
  return [...total].map(([name, totalMs]) => ({ name, ms: self.get(name) ?? 0, totalMs }))
    .sort((a, b) => b.ms - a.ms || b.totalMs - a.totalMs);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const m = args.indexOf("--match");
  const match = m >= 0 ? args.splice(m, 2)[1] : undefined;
  const g = args.indexOf("--segment");
  const segment = g >= 0 ? Number(args.splice(g, 2)[1]) : undefined;
  const [file, top] = args;
  if (!file) {
    process.stderr.write(
      "usage: profile_summary.ts <file.cpuprofile> [top] [--match text] [--segment N]\n",
    );
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as _Profile;
  const parts = segments(profile);
  const weights = _weights(profile.timeDeltas ?? []);
  parts.forEach((part, i) => {
    const ms = part.reduce((sum, s) => sum + (weights[s] ?? 0), 0) / 1000;
    console.log(`segment ${i}: ${part.length} samples, busy ${ms.toFixed(1)} ms`);
  });
  const rows = selfTimes(profile, segment === undefined ? undefined : parts[segment] ?? []);
  const busy = rows.reduce((sum, r) => sum + r.ms, 0);
  console.log(`busy ${busy.toFixed(1)} ms (self %, inclusive %, of it)`);
  const shown = match ? rows.filter((r) => r.name.includes(match)) : rows;
  if (match) shown.sort((a, b) => b.totalMs - a.totalMs);
  for (const row of shown.slice(0, Number(top ?? 30))) {
    console.log(
      `${row.ms.toFixed(1).padStart(8)} ms ${(100 * row.ms / busy).toFixed(1).padStart(5)}% ${
        (100 * row.totalMs / busy).toFixed(1).padStart(5)
      }%  ${row.name}`,
    );
  }
}
