/**
 * What each idle connection keeps on Bun, from two JSC heap snapshots of one
 * server (`SIO_BENCH_HEAP_SNAPSHOT=<dir>` writes one per memory sample):
 * `bun bench/heap_diff.ts <before.json> <after.json> <connections> [top]`.
 * Objects are grouped by class and by shape (class and property names; for
 * an object without properties, the class and property it is held by), and
 * the counts and bytes of `after` minus `before` are divided by the
 * connections opened between the two.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";

/** A JSC heap snapshot (Bun's `generateHeapSnapshot()`, format version 2 or 3). */
interface _Snapshot {
  /** `[id, size, classIndex, flags]` per node (version 3 may add labels: see `nodeFieldCount`). */
  nodes: number[];
  nodeClassNames: string[];
  /** `[fromId, toId, typeIndex, nameOrIndex]` per edge. */
  edges: number[];
  edgeTypes: string[];
  edgeNames: string[];
}

/** Count and bytes per group. */
type _Tally = Map<string, { count: number; bytes: number }>;

function _add(tally: _Tally, key: string, bytes: number): void {
  const row = tally.get(key);
  if (row) {
    row.count++;
    row.bytes += bytes;
  } else tally.set(key, { count: 1, bytes });
}

/** Tallies a snapshot by class and by shape. */
export function tally(snapshot: _Snapshot): { byClass: _Tally; byShape: _Tally } {
  const { nodes, edges, nodeClassNames, edgeTypes, edgeNames } = snapshot;
  const size = new Map<number, number>();
  const cls = new Map<number, string>();
  for (let i = 0; i + 3 < nodes.length; i += 4) {
    size.set(nodes[i]!, nodes[i + 1]!);
    cls.set(nodes[i]!, nodeClassNames[nodes[i + 2]!] ?? "?");
  }
  const props = new Map<number, Set<string>>();
  const holders = new Map<number, Set<string>>();
  for (let i = 0; i + 3 < edges.length; i += 4) {
    const from = edges[i]!, to = edges[i + 1]!, type = edgeTypes[edges[i + 2]!];
    const named = type === "Property" || type === "Variable";
    const name = named ? edgeNames[edges[i + 3]!]! : type === "Index" ? "[]" : type!;
    if (named) {
      let set = props.get(from);
      if (!set) props.set(from, set = new Set());
      set.add(name);
    }
    let set = holders.get(to);
    if (!set) holders.set(to, set = new Set());
    if (set.size < 4) set.add(`${cls.get(from) ?? "?"}.${name}`);
  }
  const byClass: _Tally = new Map(), byShape: _Tally = new Map();
  for (const [id, bytes] of size) {
    const c = cls.get(id)!;
    _add(byClass, c, bytes);
    const own = props.get(id);
    const shape = own
      ? `${c} {${[...own].sort().join(",").slice(0, 140)}}`
      : `${c} <- ${[...(holders.get(id) ?? [])].sort().slice(0, 2).join(" | ")}`;
    _add(byShape, shape, bytes);
  }
  return { byClass, byShape };
}

/** `after` minus `before`, per connection, largest bytes first (tiny rows left out). */
export function diff(
  before: _Tally,
  after: _Tally,
  connections: number,
): { key: string; count: number; bytes: number }[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  const rows = [...keys].map((key) => ({
    key,
    count: ((after.get(key)?.count ?? 0) - (before.get(key)?.count ?? 0)) / connections,
    bytes: ((after.get(key)?.bytes ?? 0) - (before.get(key)?.bytes ?? 0)) / connections,
  }));
  return rows.filter((r) => Math.abs(r.count) >= 0.1 || Math.abs(r.bytes) >= 4)
    .sort((a, b) => b.bytes - a.bytes);
}

if (import.meta.main) {
  const [beforeFile, afterFile, n, top] = process.argv.slice(2);
  const connections = Number(n);
  if (!beforeFile || !afterFile || !(connections > 0)) {
    process.stderr.write("usage: heap_diff.ts <before.json> <after.json> <connections> [top]\n");
    process.exit(2);
  }
  const read = (f: string) => tally(JSON.parse(readFileSync(f, "utf8")) as _Snapshot);
  const a = read(beforeFile), b = read(afterFile);
  for (
    const [label, rows] of [
      ["class", diff(a.byClass, b.byClass, connections)],
      ["shape", diff(a.byShape, b.byShape, connections)],
    ] as const
  ) {
    const objects = rows.reduce((s, r) => s + r.count, 0);
    const bytes = rows.reduce((s, r) => s + r.bytes, 0);
    console.log(
      `by ${label}, per connection: ${objects.toFixed(1)} objects, ${bytes.toFixed(0)} B`,
    );
    for (const r of rows.slice(0, Number(top ?? 40))) {
      console.log(
        `${r.count.toFixed(2).padStart(7)} ${r.bytes.toFixed(1).padStart(8)} B  ${r.key}`,
      );
    }
  }
}
