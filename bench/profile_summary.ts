/**
 * Prints the functions with the most self time in a V8 `.cpuprofile`
 * (`--cpu-prof` of Node, Bun and Deno): `bun bench/profile_summary.ts
 * <file> [top]`. Idle and GC are listed like any function.
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

/** Self time per function (ms), largest first. */
export function selfTimes(profile: _Profile): { name: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => hits.set(id, (hits.get(id) ?? 0) + (deltas[i] ?? 0)));
  const totals = new Map<string, number>();
  for (const [id, us] of hits) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const file = frame.url.replace(/^file:\/\//, "").replace(process.cwd() + "/", "");
    const name = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
    totals.set(name, (totals.get(name) ?? 0) + us / 1000);
  }
  return [...totals].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
}

if (import.meta.main) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: profile_summary.ts <file.cpuprofile> [top]\n");
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as _Profile;
  const rows = selfTimes(profile);
  const total = rows.reduce((sum, r) => sum + r.ms, 0);
  for (const row of rows.slice(0, Number(top ?? 30))) {
    console.log(
      `${row.ms.toFixed(1).padStart(8)} ms ${
        (100 * row.ms / total).toFixed(1).padStart(5)
      }%  ${row.name}`,
    );
  }
}
