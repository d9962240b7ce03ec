/**
 * The reliability suite's app on the official socket.io 4.8 server (Node), for
 * the reference figures: the same handlers as `tests/_support/apps/hostile.ts`
 * (`echo`, `bcast`, `throw`, `stats`) with the official defaults. Prints
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

type Ack = (...args: unknown[]) => void;

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
io.on("connection", (socket) => {
  socket.on("disconnect", (reason) => (reasons[reason] = (reasons[reason] ?? 0) + 1));
  socket.on("echo", (...args: unknown[]) => {
    const ack = args.pop();
    if (typeof ack === "function") (ack as Ack)(...args);
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
    (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    ack({
      sessions: io.engine.clientsCount,
      sockets: io.sockets.sockets.size,
      heapUsed: memory.heapUsed,
      rss: memory.rss,
      reasons,
    });
  });
});
http.listen(0, "127.0.0.1", () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
