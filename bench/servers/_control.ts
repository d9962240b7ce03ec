/**
 * What every benchmark server shares with the orchestrator: it reports its
 * port on stdout, runs a full garbage collection when asked (so RSS samples
 * are comparable), and exits when its stdin ends (the orchestrator is gone).
 *
 * Protocol, one line each: the server prints `listening <port>`; the
 * orchestrator writes `gc`, the server collects garbage and answers
 * `gc-done {"heapUsed":…,"external":…}` (bytes, after the collection). With
 * `SIO_BENCH_HEAP_STATS=1` on Bun the answer also carries `bun:jsc`'s
 * `heapStats()` (`heapCapacity`, `objectCount`, `objectTypeCounts`, …), so
 * two samples give the objects each idle connection keeps, per type.
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import process from "node:process";

/**
 * Where each sample's heap snapshot goes (SIO_BENCH_HEAP_SNAPSHOT=<dir>, Bun
 * only: `<pid>-<n>.json`, JSC's format, read by bench/heap_diff.ts).
 */
const snapshotDir = process.env.SIO_BENCH_HEAP_SNAPSHOT;
let snapshots = 0;

/** `bun:jsc`'s heapStats() when asked for (SIO_BENCH_HEAP_STATS=1, Bun only). */
let heapStats: (() => Record<string, unknown>) | undefined;
if (process.env.SIO_BENCH_HEAP_STATS === "1" && "Bun" in globalThis) {
  // a variable specifier: Deno and Node never resolve Bun's built-in module
  const jsc = "bun:jsc";
  heapStats = ((await import(jsc)) as { heapStats(): Record<string, unknown> }).heapStats;
}

/** The room every connection joins. */
export const ROOM = "all";

/** Runs a full, synchronous garbage collection where the runtime allows it. */
export function fullGc(): void {
  const g = globalThis as { Bun?: { gc(force: boolean): void }; gc?: () => void };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.(); // Node --expose-gc, Deno --v8-flags=--expose-gc
}

/** Announces `port` and serves the control lines until stdin ends. */
export function control(port: number): void {
  process.stdout.write(`listening ${port}\n`);
  let pending = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line === "gc") {
        fullGc();
        fullGc();
        // the JS heap after collection: RSS minus this is the runtime's native share
        const { heapUsed, external } = process.memoryUsage();
        const stats = heapStats?.();
        const g = globalThis as { Bun?: { generateHeapSnapshot?(): unknown } };
        if (snapshotDir && g.Bun?.generateHeapSnapshot) {
          const file = `${snapshotDir}/${process.pid}-${snapshots++}.json`;
          writeFileSync(file, JSON.stringify(g.Bun.generateHeapSnapshot()));
        }
        process.stdout.write(`gc-done ${JSON.stringify({ heapUsed, external, stats })}\n`);
      }
    }
  });
  process.stdin.on("end", () => process.exit(0));
}
