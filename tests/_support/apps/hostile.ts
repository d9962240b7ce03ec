/**
 * The server the reliability suite attacks (`tests/reliability/`): a
 * Socket.IO server whose handlers do what applications do with client data.
 * `echo` acknowledges with its arguments, `bcast` broadcasts them to every
 * socket, `throw` throws from the handler, `stall` keeps the event loop busy, `stats` answers what the server
 * holds (sessions, sockets, heap). Limits come from the environment
 * (`SIO_PING_INTERVAL`, `SIO_PING_TIMEOUT`, `SIO_MAX_DEPTH`,
 * `SIO_MAX_BUFFERED`, `SIO_BODY_TIMEOUT`), so one app serves every scenario.
 *
 * `tests/reliability/_official_hostile.ts` serves the same handlers on the
 * official socket.io server, for the reference figures.
 *
 * @module
 */

import process from "node:process";
import { Server, type ServerOptions } from "../../../src/socket/server.ts";

type Ack = (...args: unknown[]) => void;

/** The number in environment variable `name`, if set. */
function envNumber(name: string): number | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : Number(value);
}

/** The options the environment asks for. */
export function hostileOptions(): Partial<ServerOptions> {
  const opts: Record<string, number> = {};
  const map: [string, string][] = [
    ["SIO_PING_INTERVAL", "pingInterval"],
    ["SIO_PING_TIMEOUT", "pingTimeout"],
    ["SIO_MAX_DEPTH", "maxDepth"],
    ["SIO_MAX_BUFFERED", "maxBufferedBytes"],
    ["SIO_BODY_TIMEOUT", "bodyTimeout"],
  ];
  for (const [env, option] of map) {
    const value = envNumber(env);
    if (value !== undefined) opts[option] = value;
  }
  return opts as Partial<ServerOptions>;
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

/** Makes the server. */
export default function makeHostileApp(): Server {
  const io = new Server({ ...hostileOptions() } as ServerOptions);
  const reasons: Record<string, number> = {};
  io.on("connection", (socket) => {
    socket.on("disconnect", (reason) => (reasons[reason] = (reasons[reason] ?? 0) + 1));
    socket.on("echo", (...args: unknown[]) => {
      const ack = args.pop();
      if (typeof ack === "function") (ack as Ack)(...args);
      else socket.emit("echo", ...args, ack);
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
  });
  return io;
}
