/**
 * The event handlers of the reliability suite's app, shared by the sio-edge
 * app (`hostile.ts`) and the official server's (`tests/reliability/_official_hostile.ts`),
 * so both answer the same scenarios the same way. Typed by what they use of
 * either server.
 *
 * @module
 */

import process from "node:process";

type Ack = (...args: unknown[]) => void;
type Listener = (...args: never[]) => void;

/** What the handlers use of a socket. */
export interface HostileSocket {
  on(event: string, listener: Listener): unknown;
  emit(event: string, ...args: unknown[]): unknown;
}

/** What the handlers use of the server. */
export interface HostileServer {
  emit(event: string, ...args: unknown[]): unknown;
  readonly engine: { readonly clientsCount: number };
  readonly sockets: { readonly sockets: { readonly size: number } };
}

/** What `stats` answers. */
export interface HostileStats {
  sessions: number;
  sockets: number;
  heapUsed: number;
  rss: number;
  /** How many sockets disconnected, by reason. */
  reasons: Record<string, number>;
}

/**
 * Attaches `echo`, `bcast`, `stall`, `throw` and `stats` to `socket`;
 * `reasons` counts disconnects. `echoBack`: an `echo` without ack is emitted
 * back (the sio-edge app; the official reference leaves it unanswered).
 */
export function attachHostileHandlers(
  io: HostileServer,
  socket: HostileSocket,
  reasons: Record<string, number>,
  echoBack = false,
): void {
  socket.on("disconnect", (reason: string) => (reasons[reason] = (reasons[reason] ?? 0) + 1));
  socket.on("echo", (...args: unknown[]) => {
    const ack = args.pop();
    if (typeof ack === "function") (ack as Ack)(...args);
    else if (echoBack) socket.emit("echo", ...args, ack);
  });
  socket.on("bcast", (...args: unknown[]) => {
    const ack = args.at(-1);
    if (typeof ack === "function") args.pop();
    io.emit("bcast", ...args);
    if (typeof ack === "function") (ack as Ack)();
  });
  socket.on("stall", (ms: number) => {
    // the event loop is busy for `ms` (a burst of work on a loaded machine)
    const end = Date.now() + Math.min(ms, 5_000);
    while (Date.now() < end) { /* busy */ }
  });
  socket.on("throw", () => {
    throw new Error("handler failure");
  });
  socket.on("stats", (ack: Ack) => {
    // a full collection where the runtime offers one (--expose-gc, Bun.gc)
    const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
    if (g.gc) g.gc();
    else g.Bun?.gc(true);
    const memory = process.memoryUsage();
    ack(
      {
        sessions: io.engine.clientsCount,
        sockets: io.sockets.sockets.size,
        heapUsed: memory.heapUsed,
        rss: memory.rss,
        reasons,
      } satisfies HostileStats,
    );
  });
}
