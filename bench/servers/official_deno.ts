/**
 * The official Deno port (socketio/socket.io-deno, 0.2) on `Deno.serve`,
 * running the benchmark app. The port is not on npm and is not part of this
 * repository: `SIO_DENO_PORT_DIR` names a checkout of it (its root, with
 * `packages/socket.io/mod.ts`), and the orchestrator leaves this server out
 * when the variable is unset. Its one remote import (std's logger) is mapped
 * to a local stand-in by `deno_port/import_map.json`, and the handler gets
 * the client's address read before the upgrade (see below).
 *
 * @module
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { control, ROOM } from "./_control.ts";

/** The part of the port's API the benchmark app uses. */
interface PortSocket {
  join(room: string): void;
  on(event: string, listener: (...args: never[]) => void): void;
}
interface PortServer {
  on(event: "connection", listener: (socket: PortSocket) => void): void;
  to(room: string): { emit(event: string, ...args: unknown[]): void };
  handler(): (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;
}

const dir = Deno.env.get("SIO_DENO_PORT_DIR");
if (!dir) throw new Error("SIO_DENO_PORT_DIR is not set");
const entry = pathToFileURL(resolve(dir, "packages/socket.io/mod.ts")).href;
const { Server } = (await import(entry)) as { Server: new () => PortServer };

const io = new Server();
io.on("connection", (socket) => {
  socket.join(ROOM);
  socket.on("echo", (arg: unknown, ack: (arg: unknown) => void) => ack(arg));
  socket.on("bcast", (arg: unknown) => io.to(ROOM).emit("msg", arg));
});

// The port reads `connInfo.remoteAddr` while making the client of a WebSocket
// handshake, after `Deno.upgradeWebSocket`: Deno 2 throws "Request closed"
// there, and the connection fails. The address is read before the port sees
// the request instead (one getter per request; the port itself is unchanged).
const handler = io.handler();
const server = Deno.serve(
  { port: 0, hostname: "127.0.0.1", onListen() {} },
  (req, info) => handler(req, { remoteAddr: info.remoteAddr, completed: info.completed }),
);
control(server.addr.port);
