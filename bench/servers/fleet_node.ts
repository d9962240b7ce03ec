/**
 * One node of the fleet benchmark: `fleet_node.ts <edge|official>` with
 * `REDIS_URL`. `official` is socket.io 4.8 with @socket.io/redis-adapter 8.3
 * on Node; `edge` is sio-edge with `sio-edge/redis` on whichever runtime runs
 * this file. Both use node-redis (ioredis with `FLEET_REDIS_CLIENT=ioredis`).
 * Prints `listening <port>`.
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

/** `FLEET_REDIS_CLIENT=ioredis`: ioredis 5 instead of node-redis 5, for both kinds of node. */
const IOREDIS = process.env.FLEET_REDIS_CLIENT === "ioredis";
let pub: Any;
let sub: Any;
if (IOREDIS) {
  const { Redis } = await import("ioredis");
  pub = new Redis(url);
  sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", () => {});
  await Promise.all(
    [pub, sub].map((c: Any) =>
      new Promise((r) => c.status === "ready" ? r(0) : c.once("ready", r))
    ),
  );
} else {
  pub = createClient({ url });
  sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", () => {});
  await Promise.all([pub.connect(), sub.connect()]);
}

/** `FLEET_SPECIFIC_RESPONSE=1`: `publishOnSpecificResponseChannel: true` on every node. */
const OPTIONS = { publishOnSpecificResponseChannel: process.env.FLEET_SPECIFIC_RESPONSE === "1" };

/**
 * `FLEET_TRACE=<file>`: timestamps (ms since the epoch, sub-ms) of every
 * fetchSockets call, PUBLISH, PUBSUB command and received message, written on
 * exit as JSON lines, for `bench/fleet_trace.ts` to line up across the nodes
 * (node-redis only: the hooks are its methods).
 */
const TRACE = IOREDIS ? undefined : process.env.FLEET_TRACE;
const trace: [number, string, string, number][] = [];
const now = () => performance.timeOrigin + performance.now();
if (TRACE) {
  const c = pub as Any;
  const publish = c.publish.bind(c);
  c.publish = (channel: string, message: { length: number }) => {
    trace.push([now(), "pub", channel, message.length]);
    return publish(channel, message);
  };
  const send = c.sendCommand.bind(c);
  c.sendCommand = (args: string[], ...rest: unknown[]) => {
    trace.push([now(), "cmd", args.join(" "), 0]);
    const reply = send(args, ...rest);
    reply.then(() => trace.push([now(), "reply", args.join(" "), 0]));
    return reply;
  };
  const s = sub as Any;
  for (const name of ["subscribe", "pSubscribe"]) {
    const original = s[name].bind(s);
    s[name] = (channels: unknown, listener: Any, buffers: unknown) =>
      original(channels, (message: { length: number }, channel: string) => {
        trace.push([now(), "recv", String(channel), message.length]);
        listener(message, channel);
        trace.push([now(), "handled", String(channel), 0]);
      }, buffers);
  }
}

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
        if (TRACE) trace.push([now(), "fetch", "", i]);
        sockets = (await io.fetchSockets()).length;
        if (TRACE) trace.push([now(), "fetched", "", i]);
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
  const io = new Server(http, {
    adapter: createAdapter(pub, sub, OPTIONS),
    transports: ["websocket"],
  });
  install(io);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  port = (http.address() as { port: number }).port;
} else {
  const { Server } = await import("../../src/socket/server.ts");
  const { createAdapter } = await import("../../src/adapter/redis/mod.ts");
  const io = new Server({ adapter: createAdapter(pub, sub, OPTIONS), transports: ["websocket"] });
  install(io);
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  const runtime = g.Bun ? "bun" : g.Deno ? "deno" : "node";
  const { serve } = await import(`../../src/runtime/${runtime}.ts`);
  port = (await serve(io, { port: 0, hostname: "127.0.0.1" })).port;
}
process.stdout.write(`listening ${port}\n`);
process.stdin.on("end", async () => {
  if (TRACE) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(TRACE, trace.map((t) => JSON.stringify(t)).join("\n") + "\n");
  }
  process.exit(0);
});
process.stdin.resume();
