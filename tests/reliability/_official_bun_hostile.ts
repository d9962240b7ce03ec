/**
 * The reliability suite's app on the official socket.io 4.8 server bound to
 * `@socket.io/bun-engine` (the official Bun engine), for the reference figures
 * on Bun: the handlers of `tests/_support/apps/hostile_handlers.ts` with the
 * official defaults. Prints `{"port":N}` once listening on 127.0.0.1; exits
 * when stdin ends.
 *
 * Usage: `bun run tests/reliability/_official_bun_hostile.ts`
 *
 * @module
 */

import process from "node:process";
import { Server as Engine } from "@socket.io/bun-engine";
import { Server, type ServerOptions } from "socket.io";
import { attachHostileHandlers } from "../_support/apps/hostile_handlers.ts";

const options: Partial<ServerOptions> = { serveClient: false };
const engineOptions: Record<string, unknown> = { path: "/socket.io/" };
if (process.env.SIO_PING_INTERVAL) {
  engineOptions.pingInterval = Number(process.env.SIO_PING_INTERVAL);
}
if (process.env.SIO_PING_TIMEOUT) engineOptions.pingTimeout = Number(process.env.SIO_PING_TIMEOUT);
const io = new Server(options);
const engine = new Engine(engineOptions);
io.bind(engine as never);
const reasons: Record<string, number> = {};
// bun-engine keeps its sessions in `clients` (a Map) and has no `clientsCount`
const view = {
  emit: (event: string, ...args: unknown[]) => io.emit(event, ...args),
  engine: {
    get clientsCount() {
      return (engine as unknown as { clients: Map<string, unknown> }).clients.size;
    },
  },
  sockets: io.sockets,
};
io.on("connection", (socket) => attachHostileHandlers(view, socket, reasons));

interface _Bun {
  serve(options: Record<string, unknown>): { port: number };
}
const bun = (globalThis as { Bun?: _Bun }).Bun;
if (!bun) throw new TypeError("run this under Bun");
// bun-engine's handler() is typed against bun-types' Server; the shapes agree at runtime
const server = bun.serve({ port: 0, hostname: "127.0.0.1", ...(engine.handler() as object) });
process.stdout.write(JSON.stringify({ port: server.port }) + "\n");
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
