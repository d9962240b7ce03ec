/**
 * The server the reliability suite attacks (`tests/reliability/`): a
 * Socket.IO server whose handlers do what applications do with client data.
 * `echo` acknowledges with its arguments, `bcast` broadcasts them to every
 * socket, `throw` throws from the handler, `stall` keeps the event loop busy, `stats` answers what the server
 * holds (sessions, sockets, heap). Limits come from the environment
 * (`SIO_PING_INTERVAL`, `SIO_PING_TIMEOUT`, `SIO_MAX_DEPTH`,
 * `SIO_MAX_BUFFERED`, `SIO_BODY_TIMEOUT`), so one app serves every scenario.
 *
 * The handlers live in `hostile_handlers.ts`; `tests/reliability/_official_hostile.ts`
 * serves them on the official socket.io server, for the reference figures.
 *
 * @module
 */

import process from "node:process";
import { Server, type ServerOptions } from "../../../src/socket/server.ts";
import { attachHostileHandlers } from "./hostile_handlers.ts";

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

export type { HostileStats } from "./hostile_handlers.ts";

/** Makes the server. */
export default function makeHostileApp(): Server {
  const io = new Server({ ...hostileOptions() } as ServerOptions);
  const reasons: Record<string, number> = {};
  io.on("connection", (socket) => attachHostileHandlers(io, socket, reasons, true));
  return io;
}
