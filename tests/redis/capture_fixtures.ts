/**
 * Produces `fixtures/*.json`: the bytes the official packages write, so the
 * codec and wire tests compare against real output, not against our reading
 * of the sources. Run it again after upgrading the official packages:
 *
 *   node --import tsx tests/redis/capture_fixtures.ts
 *
 * It starts its own redis-server, two official Socket.IO servers with the
 * official classic adapter, the official emitter, a sharded pair and a
 * streams pair, and records every frame a sniffer sees.
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { createClient as makeClient } from "redis";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createAdapter as createStreamsAdapter } from "@socket.io/redis-streams-adapter";
import { Emitter } from "@socket.io/redis-emitter";
// @ts-types="npm:notepack.io"
import * as notepack from "notepack.io";
import { encode as msgpackEncode } from "@msgpack/msgpack";
import { startRedis } from "../_support/redis_server.ts";
import { corpus, MSGPACK_CORPUS } from "./_corpus.ts";

const OUT = new URL("./fixtures/", import.meta.url);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
// every client gets an error listener: an unhandled "error" would end the process
const createClient = (opts: { url: string }) => {
  const client = makeClient(opts);
  client.on("error", () => {});
  return client;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function captureCodec(): void {
  const values = corpus();
  const notepackCases = Object.entries(values).map(([name, value]) => ({
    name,
    hex: hex(notepack.encode(value)),
  }));
  const msgpackCases = MSGPACK_CORPUS.map((name) => ({
    name,
    hex: hex(msgpackEncode(values[name])),
  }));
  writeFileSync(
    new URL("codec.json", OUT),
    JSON.stringify({ notepack: notepackCases, msgpack: msgpackCases }, null, 2) + "\n",
  );
}

interface Frame {
  op: string;
  channel: string;
  hex: string;
}

async function listen(io: Server): Promise<number> {
  const http = createServer();
  io.attach(http);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  return (http.address() as AddressInfo).port;
}

async function connect(port: number): Promise<ClientSocket> {
  const socket = ioc(`http://127.0.0.1:${port}`, { transports: ["websocket"] });
  await new Promise<void>((r) => socket.once("connect", () => r()));
  return socket;
}

async function captureClassic(url: string): Promise<void> {
  const frames: Frame[] = [];
  let op = "";
  const sniffer = createClient({ url });
  await sniffer.connect();
  await sniffer.pSubscribe("*", (message: Buffer, channel: Buffer) => {
    frames.push({ op, channel: channel.toString(), hex: message.toString("hex") });
  }, true);

  const clients = [];
  const servers: Server[] = [];
  const redis = [];
  for (let i = 0; i < 2; i++) {
    const pub = createClient({ url });
    const sub = pub.duplicate();
    sub.on("error", () => {});
    await Promise.all([pub.connect(), sub.connect()]);
    redis.push(pub, sub);
    const io = new Server({ adapter: createAdapter(pub, sub) });
    servers.push(io);
    const port = await listen(io);
    io.on("connection", (socket) => {
      socket.data = { n: i };
      socket.on("ack-me", () => {});
    });
    io.on("ping", (cb: (v: string) => void) => cb?.("pong-" + i));
    const client = await connect(port);
    client.on("ask", (cb: (v: string) => void) => cb("answer-" + i));
    clients.push(client);
  }
  await sleep(200);
  const [a] = servers as [Server, Server];
  const step = async (name: string, fn: () => unknown) => {
    op = name;
    if (process.env.CAPTURE_DEBUG) console.error(name);
    await fn();
    await sleep(150);
  };
  const rooms = servers[1]!.of("/").adapter as unknown as { rooms: Map<string, unknown> };
  void rooms;
  await step("emit", () => a.emit("e", 1, "two", { three: [1.5, null] }));
  await step("emit to one room", () => a.to("room1").emit("r", 1));
  await step("emit to rooms except", () => a.to(["room1", "room2"]).except("room3").emit("r", 2));
  await step("emit binary", () => a.emit("bin", Buffer.from([1, 2, 3])));
  await step("emit volatile compress", () => a.volatile.compress(false).emit("v", true));
  await step("socketsJoin", () => a.in("room1").socketsJoin(["room4", "room5"]));
  await step("socketsLeave", () => a.socketsLeave("room4"));
  await step("fetchSockets", () => a.in("room5").fetchSockets());
  await step(
    "allRooms",
    () => (a.of("/").adapter as unknown as { allRooms(): Promise<unknown> }).allRooms(),
  );
  await step("serverSideEmit", () => a.serverSideEmit("hello", "world", 1));
  await step("serverSideEmitWithAck", () => a.serverSideEmitWithAck("ping"));
  await step("emitWithAck", () => a.timeout(1000).emitWithAck("ask"));
  await step("disconnectSockets", () => a.in("nobody").disconnectSockets(true));

  const emitterClient = createClient({ url });
  await emitterClient.connect();
  const emitter = new Emitter(emitterClient);
  await step("emitter emit", () => emitter.emit("fromEmitter", 1));
  await step("emitter emit to room", () => emitter.to("room1").emit("fromEmitter", 2));
  await step(
    "emitter emit except volatile",
    () => emitter.except("room2").volatile.emit("fromEmitter", 3),
  );
  await step("emitter of nsp", () => emitter.of("custom").emit("fromEmitter", 4));
  await step("emitter socketsJoin", () => emitter.in("room1").socketsJoin("room6"));
  await step("emitter socketsLeave", () => emitter.socketsLeave("room6"));
  await step("emitter disconnectSockets", () => emitter.in("nobody").disconnectSockets());
  await step("emitter serverSideEmit", () => emitter.serverSideEmit("fromEmitter", 5));

  for (const c of clients) c.disconnect();
  for (const io of servers) await io.close();
  await sniffer.quit();
  await emitterClient.quit();
  for (const r of redis) await r.quit().catch(() => {});
  writeFileSync(new URL("classic.json", OUT), JSON.stringify(frames, null, 2) + "\n");
}

async function captureSharded(url: string): Promise<void> {
  const frames: Frame[] = [];
  let op = "";
  const servers: Server[] = [];
  const redis = [];
  const clients = [];
  for (let i = 0; i < 2; i++) {
    const pub = createClient({ url });
    const sub = pub.duplicate();
    sub.on("error", () => {});
    await Promise.all([pub.connect(), sub.connect()]);
    redis.push(pub, sub);
    const io = new Server({ adapter: createShardedAdapter(pub, sub) });
    servers.push(io);
    const port = await listen(io);
    io.on("connection", (socket) => socket.join("room1"));
    io.on("ping", (cb: (v: string) => void) => cb?.("pong-" + i));
    const client = await connect(port);
    client.on("ask", (cb: (v: string) => void) => cb("answer-" + i));
    clients.push(client);
  }
  await sleep(200);
  const uids = servers.map((io) => (io.of("/").adapter as unknown as { uid: string }).uid);
  // a sharded subscriber would count in SHARDNUMSUB: MONITOR sees the SPUBLISH commands instead
  const sniffer = createClient({ url });
  await sniffer.connect();
  await sniffer.monitor((line: string) => {
    const args = parseMonitorLine(line);
    if (args[0]?.toString().toLowerCase() !== "spublish") return;
    frames.push({ op, channel: args[1]!.toString(), hex: args[2]!.toString("hex") });
  });
  const [a] = servers as [Server, Server];
  const step = async (name: string, fn: () => unknown) => {
    op = name;
    if (process.env.CAPTURE_DEBUG) console.error(name);
    await fn();
    await sleep(150);
  };
  await step("emit", () => a.emit("e", 1, "two"));
  await step("emit to one room", () => a.to("room1").emit("r", 1));
  await step("emit binary", () => a.emit("bin", Buffer.from([1, 2, 3])));
  await step("socketsJoin", () => a.socketsJoin("room2"));
  await step("fetchSockets", () => a.fetchSockets());
  await step("serverSideEmitWithAck", () => a.serverSideEmitWithAck("ping"));
  await step("emitWithAck", () => a.timeout(1000).emitWithAck("ask"));
  for (const c of clients) c.disconnect();
  for (const io of servers) await io.close();
  sniffer.destroy();
  for (const r of redis) await r.quit().catch(() => {});
  writeFileSync(
    new URL("sharded.json", OUT),
    JSON.stringify({ uids, frames }, null, 2) + "\n",
  );
}

/** The arguments of a MONITOR line: `123.4 [0 127.0.0.1:5] "cmd" "arg" ...`, unescaped. */
function parseMonitorLine(line: string): Buffer[] {
  const args: Buffer[] = [];
  const start = line.indexOf('"');
  let i = start;
  while (i !== -1 && i < line.length) {
    if (line[i] !== '"') {
      i++;
      continue;
    }
    const bytes: number[] = [];
    i++;
    while (i < line.length && line[i] !== '"') {
      const c = line[i]!;
      if (c === "\\") {
        const n = line[i + 1]!;
        if (n === "x") {
          bytes.push(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        const map: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8 };
        bytes.push(map[n] ?? n.charCodeAt(0));
        i += 2;
        continue;
      }
      bytes.push(...Buffer.from(c, "utf8"));
      i++;
    }
    args.push(Buffer.from(bytes));
    i++;
  }
  return args;
}

async function captureStreams(url: string): Promise<void> {
  const frames: Frame[] = [];
  let op = "";
  const sniffer = createClient({ url });
  await sniffer.connect();
  await sniffer.pSubscribe("*", (message: Buffer, channel: Buffer) => {
    frames.push({ op, channel: channel.toString(), hex: message.toString("hex") });
  }, true);
  const servers: Server[] = [];
  const redis = [];
  const clients = [];
  for (let i = 0; i < 2; i++) {
    const client = createClient({ url });
    await client.connect();
    redis.push(client);
    const io = new Server({
      adapter: createStreamsAdapter(client),
      connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
    });
    servers.push(io);
    const port = await listen(io);
    io.on("connection", (socket) => socket.join("room1"));
    io.on("ping", (cb: (v: string) => void) => cb?.("pong-" + i));
    const c = await connect(port);
    c.on("ask", (cb: (v: string) => void) => cb("answer-" + i));
    clients.push(c);
  }
  await sleep(300);
  const [a] = servers as [Server, Server];
  const step = async (name: string, fn: () => unknown) => {
    op = name;
    if (process.env.CAPTURE_DEBUG) console.error(name);
    await fn();
    await sleep(150);
  };
  await step("emit", () => a.emit("e", 1, "two"));
  await step("emit to one room", () => a.to("room1").emit("r", 1));
  await step("emit binary", () => a.emit("bin", Buffer.from([1, 2, 3])));
  await step("socketsJoin", () => a.socketsJoin("room2"));
  await step("fetchSockets", () => a.fetchSockets());
  await step("serverSideEmitWithAck", () => a.serverSideEmitWithAck("ping"));
  await step("emitWithAck", () => a.timeout(1000).emitWithAck("ask"));
  const entries = await redis[0]!.xRange("socket.io", "-", "+");
  for (const c of clients) c.disconnect();
  for (const io of servers) await io.close();
  await sniffer.quit();
  for (const r of redis) await r.quit().catch(() => {});
  writeFileSync(
    new URL("streams.json", OUT),
    JSON.stringify(
      { frames, entries: entries.map((e) => ({ id: e.id, message: e.message })) },
      null,
      2,
    ) + "\n",
  );
}

captureCodec();
const redis = await startRedis();
try {
  await captureClassic(redis.url);
  await captureSharded(redis.url);
  await captureStreams(redis.url);
} finally {
  await redis.stop();
}
console.log("fixtures written to", OUT.pathname);
process.exit(0);
