/**
 * One node of the fleet benchmark: `fleet_node.ts <edge|official>` with
 * `REDIS_URL`. `official` is socket.io 4.8 with @socket.io/redis-adapter 8.3
 * on Node; `edge` is sio-edge with `sio-edge/redis` on whichever runtime runs
 * this file. Both use node-redis. Prints `listening <port>`.
 *
 * Control, over the "/control" namespace (acknowledged):
 * `broadcast(count, size)` emits `count` messages of `size` bytes to every
 * socket of the fleet as fast as it can; `fetch(times)` runs `fetchSockets()`
 * `times` times in a row and answers each latency (ms) and the socket count.
 *
 * @module
 */

// deno-lint-ignore-file no-explicit-any
import process from "node:process";
import { createClient } from "redis";

type Any = any;
const impl = process.argv[2];
const url = process.env.REDIS_URL!;

const pub = createClient({ url });
const sub = pub.duplicate();
for (const c of [pub, sub]) c.on("error", () => {});
await Promise.all([pub.connect(), sub.connect()]);

function install(io: Any): void {
  io.of("/control").on("connection", (socket: Any) => {
    socket.on("broadcast", (count: number, size: number, ack: () => void) => {
      const payload = "x".repeat(size);
      for (let i = 0; i < count; i++) io.emit("m", payload);
      ack();
    });
    socket.on("fetch", async (times: number, ack: (r: unknown) => void) => {
      const latencies: number[] = [];
      let sockets = 0;
      for (let i = 0; i < times; i++) {
        const start = performance.now();
        sockets = (await io.fetchSockets()).length;
        latencies.push(performance.now() - start);
      }
      ack({ latencies, sockets });
    });
  });
}

let port: number;
if (impl === "official") {
  const { createServer } = await import("node:http");
  const { Server } = await import("socket.io");
  const { createAdapter } = await import("@socket.io/redis-adapter");
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub), transports: ["websocket"] });
  install(io);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  port = (http.address() as { port: number }).port;
} else {
  const { Server } = await import("../../src/socket/server.ts");
  const { createAdapter } = await import("../../src/adapter/redis/mod.ts");
  const io = new Server({ adapter: createAdapter(pub, sub), transports: ["websocket"] });
  install(io);
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  const runtime = g.Bun ? "bun" : g.Deno ? "deno" : "node";
  const { serve } = await import(`../../src/runtime/${runtime}.ts`);
  port = (await serve(io, { port: 0, hostname: "127.0.0.1" })).port;
}
process.stdout.write(`listening ${port}\n`);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
