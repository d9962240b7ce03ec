/**
 * Child-process entry of one fleet node:
 * `_fleet_node.ts <edge|official> <classic|sharded|streams> <redis|ioredis> <name>`
 * with `REDIS_URL` set. `official` is socket.io 4.8 with the official adapter
 * (on Node); `edge` is sio-edge on whichever runtime runs this file. Prints
 * `{"port":N}`; a `close` line on stdin closes the server and exits; end of
 * stdin exits at once.
 *
 * @module
 */

// deno-lint-ignore-file no-explicit-any
import process from "node:process";
import { installFleet } from "./_fleet_app.ts";

type Any = any;
const [impl, kind, clientLib, name] = process.argv.slice(2) as [string, string, string, string];
const url = process.env.REDIS_URL!;
const requestsTimeout = Number(process.env.REQUESTS_TIMEOUT ?? 2000);

async function redisClients(): Promise<[Any, Any]> {
  if (clientLib === "ioredis") {
    const { Redis } = await import("ioredis");
    const pub = new Redis(url, { maxRetriesPerRequest: null });
    const sub = pub.duplicate();
    for (const c of [pub, sub]) c.on("error", () => {});
    // ready before the adapter subscribes, as node-redis's connect() below: once, under bun, the
    // official adapter's subscriptions queued on a connecting ioredis never reached Redis
    await Promise.all([pub, sub].map((c) => new Promise((r) => c.once("ready", r))));
    return [pub, sub];
  }
  const { createClient } = await import("redis");
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  return [pub, sub];
}

async function officialAdapter(pub: Any, sub: Any): Promise<Any> {
  if (kind === "classic") {
    const { createAdapter } = await import("@socket.io/redis-adapter");
    return createAdapter(pub, sub, { requestsTimeout });
  }
  if (kind === "sharded") {
    const { createShardedAdapter } = await import("@socket.io/redis-adapter");
    return createShardedAdapter(pub, sub);
  }
  const { createAdapter } = await import("@socket.io/redis-streams-adapter");
  return createAdapter(pub);
}

async function edgeAdapter(pub: Any, sub: Any): Promise<Any> {
  const redis: Any = await import("../../src/adapter/redis/mod.ts");
  if (kind === "classic") return redis.createAdapter(pub, sub, { requestsTimeout });
  if (kind === "sharded") return redis.createShardedAdapter(pub, sub, { requestsTimeout });
  return redis.createStreamsAdapter(pub, { requestsTimeout });
}

const recovery = kind === "streams"
  ? { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } }
  : {};
const [pub, sub] = await redisClients();
let close: () => Promise<void>;
let port: number;

if (impl === "official") {
  const { createServer } = await import("node:http");
  const { Server } = await import("socket.io");
  const http = createServer();
  const io = new Server(http, { adapter: await officialAdapter(pub, sub), ...recovery });
  installFleet(io, name);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  port = (http.address() as { port: number }).port;
  close = () => new Promise<void>((r) => io.close(() => r()));
} else {
  const { Server } = await import("../../src/socket/server.ts");
  const io = new Server({ adapter: await edgeAdapter(pub, sub), ...recovery });
  installFleet(io, name);
  const runtime = typeof (globalThis as Any).Deno !== "undefined"
    ? "deno"
    : typeof (globalThis as Any).Bun !== "undefined"
    ? "bun"
    : "node";
  const { serve } = await import(`../../src/runtime/${runtime}.ts`);
  const served = await serve(io, { port: 0, hostname: "127.0.0.1" });
  port = served.port;
  close = () => served.close();
}

process.stdout.write(JSON.stringify({ port }) + "\n");
const onEnd = () => process.exit(0);
process.stdin.on("end", onEnd);
process.stdin.on("data", async (chunk: Uint8Array) => {
  if (!new TextDecoder().decode(chunk).includes("close")) return;
  process.stdin.off("end", onEnd);
  await close();
  await Promise.all([pub.quit?.(), sub.quit?.()].map((p) => Promise.resolve(p).catch(() => {})));
  process.stdout.write(JSON.stringify({ closed: true }) + "\n");
  process.exit(0);
});
