/**
 * What sio-edge publishes, byte for byte against what the official adapter,
 * emitter and sharded adapter published for the same operations (captured in
 * fixtures/*.json by capture_fixtures.ts); only the random uids differ, and
 * they are swapped before comparing.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { createClient, type RedisClientType } from "redis";
import { Server } from "../../src/socket/server.ts";
import { createAdapter, createShardedAdapter, Emitter } from "../../src/adapter/redis/mod.ts";
import { peekRequestId } from "../../src/adapter/redis/classic_wire.ts";
import { hasRedisServer, type RedisServer, startRedis } from "../_support/redis_server.ts";

interface Frame {
  op: string;
  channel: string;
  hex: string;
}

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8"));
const toHex = (s: string) => Buffer.from(s).toString("hex");
const T = { timeout: 20_000 };

/** Swaps every occurrence of uid `from` for `to` (same length) in a hex frame. */
function swapUid(hex: string, from: string, to: string): string {
  return hex.split(toHex(from)).join(toHex(to));
}

describe("the frames sio-edge publishes", { skip: !hasRedisServer() && "no redis-server" }, () => {
  let redis: RedisServer;
  const clients: RedisClientType[] = [];
  const servers: Server[] = [];
  let frames: Frame[] = [];
  let op = "";

  const client = async () => {
    const c = createClient({ url: redis.url }) as RedisClientType;
    c.on("error", () => {});
    await c.connect();
    clients.push(c);
    return c;
  };
  const settle = () => new Promise((r) => setTimeout(r, 100));

  before(async () => {
    redis = await startRedis();
    const sniffer = await client();
    await sniffer.pSubscribe("*", (message: Buffer, channel: Buffer) => {
      frames.push({ op, channel: channel.toString(), hex: message.toString("hex") });
    }, true);
    for (const channel of ["socket.io#/#", "socket.io#/#room1#"]) {
      await sniffer.sSubscribe(channel, (message: Buffer, ch: Buffer) => {
        frames.push({ op, channel: ch.toString(), hex: message.toString("hex") });
      }, true);
    }
  }, T);

  after(async () => {
    for (const io of servers) await io.close();
    for (const c of clients) c.destroy();
    await redis?.stop();
  }, T);

  const run = async (name: string, fn: () => unknown) => {
    op = name;
    frames = [];
    await fn();
    await settle();
    return frames;
  };

  it(
    "classic adapter: broadcasts and requests as @socket.io/redis-adapter 8.3 writes them",
    T,
    async () => {
      const official = fixture<Frame[]>("classic");
      const io = new Server({ adapter: createAdapter(await client(), await client()) });
      servers.push(io);
      await io.of("/").adapter.init();
      const uid = (io.of("/").adapter as unknown as { uid: string }).uid;
      const theirUid = JSON.parse(
        Buffer.from(official.find((f) => f.op === "socketsJoin")!.hex, "hex").toString(),
      ).uid;
      const ops: [string, () => unknown][] = [
        ["emit", () => io.emit("e", 1, "two", { three: [1.5, null] })],
        ["emit to one room", () => io.to("room1").emit("r", 1)],
        ["emit to rooms except", () => io.to(["room1", "room2"]).except("room3").emit("r", 2)],
        ["emit binary", () => io.emit("bin", new Uint8Array([1, 2, 3]))],
        ["emit volatile compress", () => io.volatile.compress(false).emit("v", true)],
        ["socketsJoin", () => io.in("room1").socketsJoin(["room4", "room5"])],
        ["socketsLeave", () => io.socketsLeave("room4")],
        ["serverSideEmit", () => io.serverSideEmit("hello", "world", 1)],
        ["disconnectSockets", () => io.in("nobody").disconnectSockets(true)],
      ];
      for (const [name, fn] of ops) {
        const ours = await run(name, fn);
        const theirs = official.filter((f) => f.op === name);
        assert.deepEqual(
          ours.map((f) => ({ channel: f.channel, hex: swapUid(f.hex, uid, theirUid) })),
          theirs.map((f) => ({ channel: f.channel, hex: f.hex })),
          name,
        );
      }
    },
  );

  it("emitter: every frame as @socket.io/redis-emitter 5 writes it", T, async () => {
    const official = fixture<Frame[]>("classic").filter((f) => f.op.startsWith("emitter "));
    const emitter = new Emitter(await client());
    const ops: [string, () => unknown][] = [
      ["emitter emit", () => emitter.emit("fromEmitter", 1)],
      ["emitter emit to room", () => emitter.to("room1").emit("fromEmitter", 2)],
      [
        "emitter emit except volatile",
        () => emitter.except("room2").volatile.emit("fromEmitter", 3),
      ],
      ["emitter of nsp", () => emitter.of("custom").emit("fromEmitter", 4)],
      ["emitter socketsJoin", () => emitter.in("room1").socketsJoin("room6")],
      ["emitter socketsLeave", () => emitter.socketsLeave("room6")],
      ["emitter disconnectSockets", () => emitter.in("nobody").disconnectSockets()],
      ["emitter serverSideEmit", () => emitter.serverSideEmit("fromEmitter", 5)],
    ];
    for (const [name, fn] of ops) {
      const ours = await run(name, fn);
      assert.deepEqual(
        ours.map(({ channel, hex }) => ({ channel, hex })),
        official
          .filter((f) => f.op === name).map(({ channel, hex }) => ({ channel, hex })),
        name,
      );
    }
    assert.throws(
      () => emitter.serverSideEmit("x", () => {}),
      /Acknowledgements are not supported/,
    );
    assert.throws(() => emitter.emit("connect"), /reserved event name/);
  });

  it("sharded adapter: messages as createShardedAdapter writes them", T, async () => {
    const official = fixture<{ uids: string[]; frames: Frame[] }>("sharded");
    const io = new Server({ adapter: createShardedAdapter(await client(), await client()) });
    servers.push(io);
    await io.of("/").adapter.init();
    const uid = (io.of("/").adapter as unknown as { uid: string }).uid;
    const ops: [string, () => unknown][] = [
      ["emit", () => io.emit("e", 1, "two")],
      ["emit to one room", () => io.to("room1").emit("r", 1)],
      ["emit binary", () => io.emit("bin", new Uint8Array([1, 2, 3]))],
      ["socketsJoin", () => io.socketsJoin("room2")],
    ];
    for (const [name, fn] of ops) {
      const ours = await run(name, fn);
      assert.deepEqual(
        ours.map((f) => ({ channel: f.channel, hex: swapUid(f.hex, uid, official.uids[0]!) })),
        official.frames.filter((f) => f.op === name).map(({ channel, hex }) => ({ channel, hex })),
        name,
      );
    }
  });
});

describe("peekRequestId: the request id read off an answer's first bytes", () => {
  const enc = (s: string) => new TextEncoder().encode(s);

  it("reads it from every JSON answer the official adapter published", () => {
    const answers = fixture<Frame[]>("classic").filter((f) => f.channel.includes("-response#"));
    const json = answers.filter((f) => f.hex.startsWith("7b"));
    assert.ok(json.length >= 4, "the fixture holds the JSON answers");
    for (const frame of json) {
      const bytes = Buffer.from(frame.hex, "hex");
      const parsed = JSON.parse(bytes.toString("utf8"));
      assert.equal(peekRequestId(new Uint8Array(bytes)), parsed.requestId, frame.op);
    }
    // msgpack answers are decoded whole
    for (const frame of answers.filter((f) => !f.hex.startsWith("7b"))) {
      assert.equal(peekRequestId(new Uint8Array(Buffer.from(frame.hex, "hex"))), undefined);
    }
  });

  it("gives up (the answer is then decoded whole) unless the id leads at the top level", () => {
    assert.equal(peekRequestId(enc('{"requestId":"Ab_-9z","sockets":[]}')), "Ab_-9z");
    assert.equal(peekRequestId(enc('{"type":8,"requestId":"x1","clientCount":0}')), "x1");
    assert.equal(peekRequestId(enc('{"requestId":"x1"}')), "x1");
    assert.equal(peekRequestId(enc('{"sockets":[],"requestId":"x1"}')), undefined);
    assert.equal(peekRequestId(enc('{"data":{"requestId":"x1"},"requestId":"y"}')), undefined);
    assert.equal(peekRequestId(enc('{"requestId":"a\\"b","sockets":[]}')), undefined);
    assert.equal(peekRequestId(enc('{"requestId":"ab"x}')), undefined);
    assert.equal(peekRequestId(enc('{"requestId":7}')), undefined);
    assert.equal(peekRequestId(enc(' {"requestId":"x1"}')), undefined);
    assert.equal(peekRequestId(new Uint8Array()), undefined);
  });
});
