/**
 * What every benchmark server shares with the orchestrator: it reports its
 * port on stdout, runs a full garbage collection when asked (so RSS samples
 * are comparable), and exits when its stdin ends (the orchestrator is gone).
 *
 * Protocol, one line each: the server prints `listening <port>`; the
 * orchestrator writes `gc`, the server collects garbage and answers
 * `gc-done {"heapUsed":…,"external":…}` (bytes, after the collection).
 *
 * @module
 */

import process from "node:process";

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
        process.stdout.write(`gc-done ${JSON.stringify({ heapUsed, external })}\n`);
      }
    }
  });
  process.stdin.on("end", () => process.exit(0));
}
