/**
 * The reliability suite's app on the official socket.io 4.8 server (Node), for
 * the reference figures: the handlers of `tests/_support/apps/hostile_handlers.ts`
 * (`echo`, `bcast`, `stall`, `throw`, `stats`) with the official defaults. Prints
 * `{"port":N}` once listening on 127.0.0.1; exits when stdin ends.
 *
 * Usage: `node --expose-gc --import tsx tests/reliability/_official_hostile.ts`
 *
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { Server, type ServerOptions } from "socket.io";
import { attachHostileHandlers } from "../_support/apps/hostile_handlers.ts";

// what no server claims gets a 404 (the official engine hands other paths to this listener)
const http = createServer((_req, res) => {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("Not Found");
});
const options: Partial<ServerOptions> = { serveClient: false };
if (process.env.SIO_PING_INTERVAL) options.pingInterval = Number(process.env.SIO_PING_INTERVAL);
if (process.env.SIO_PING_TIMEOUT) options.pingTimeout = Number(process.env.SIO_PING_TIMEOUT);
const io = new Server(http, options);
const reasons: Record<string, number> = {};
io.on("connection", (socket) => attachHostileHandlers(io, socket, reasons));
http.listen(0, "127.0.0.1", () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
