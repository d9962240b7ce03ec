import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import { Server } from "../../src/socket/server.ts";
import type { ServerOptions } from "../../src/socket/_settings.ts";
import type { Socket } from "../../src/socket/socket.ts";
import { settle, WireClient } from "../_support/sio_wire.ts";

let servers: Server[] = [];

afterEach(async () => {
  for (const io of servers) await io.close();
  servers = [];
});

async function connectedPair(opts: ServerOptions = {}) {
  const clock = new FakeClock();
  const io = new Server({ clock, ...opts });
  servers.push(io);
  let socket: Socket | undefined;
  io.on("connection", (s) => (socket = s));
  const client = await WireClient.connect(io);
  await client.connectNsp("/");
  assert.ok(socket);
  client.take();
  return { io, clock, client, socket };
}

describe("events from the client", () => {
  it("dispatches an EVENT with its arguments to the listener", async () => {
    const { client, socket } = await connectedPair();
    const got: unknown[][] = [];
    socket.on("msg", (...args: unknown[]) => got.push(args));
    await client.send('2["msg","héllo ✓",42,{"a":[1,null]},false,null]');
    assert.deepEqual(got, [["héllo ✓", 42, { a: [1, null] }, false, null]]);
  });

  it("passes an ack function that answers with an ACK packet, once", async () => {
    const { client, socket } = await connectedPair();
    socket.on("sum", (a: number, b: number, ack: (n: number) => void) => {
      ack(a + b);
      ack(0);
    });
    await client.send('27["sum",2,3]');
    assert.deepEqual(client.take(), ["37[5]"]);
  });

  it("rebuilds binary arguments, at top level and nested", async () => {
    const { client, socket } = await connectedPair();
    const got: unknown[][] = [];
    socket.on("upload", (...args: unknown[]) => got.push(args));
    await client.send(
      '52-["upload",{"_placeholder":true,"num":0},{"nested":{"_placeholder":true,"num":1}}]',
      new Uint8Array([1, 2, 3]),
      new Uint8Array([4]),
    );
    assert.equal(got.length, 1);
    const [top, wrapper] = got[0]! as [Uint8Array, { nested: Uint8Array }];
    assert.deepEqual([...top], [1, 2, 3]);
    assert.deepEqual([...wrapper.nested], [4]);
  });

  it("calls onAny listeners (prepended first) before the event listener", async () => {
    const { client, socket } = await connectedPair();
    const calls: string[] = [];
    const any = (event: string, arg: unknown) => calls.push(`any:${event}:${arg}`);
    socket.onAny(any);
    socket.prependAny((event) => calls.push("first:" + event));
    socket.on("ping", () => calls.push("ping"));
    await client.send('2["ping",1]');
    assert.deepEqual(calls, ["first:ping", "any:ping:1", "ping"]);
    assert.equal(socket.listenersAny().length, 2);
    socket.offAny(any);
    assert.equal(socket.listenersAny().length, 1);
    socket.offAny();
    assert.equal(socket.listenersAny().length, 0);
  });

  it("runs socket.use() middlewares; next(err) drops the event and emits error", async () => {
    const { client, socket } = await connectedPair();
    const got: string[] = [];
    socket.use(([event], next) =>
      event === "forbidden" ? next(new Error("unauthorized event")) : next()
    );
    socket.on("allowed", () => got.push("allowed"));
    socket.on("forbidden", () => got.push("forbidden"));
    socket.on("error", (err) => got.push("error:" + err.message));
    await client.send('2["allowed"]', '2["forbidden"]');
    assert.deepEqual(got, ["allowed", "error:unauthorized event"]);
  });

  it("ignores an ACK with an unknown id", async () => {
    const { client, socket } = await connectedPair();
    await client.send("399[1]");
    assert.equal(socket.connected, true);
  });
});

describe("emitting to the client", () => {
  it("encodes any number of arguments, Dates as ISO strings", async () => {
    const { client, socket } = await connectedPair();
    const date = new Date("2024-01-02T03:04:05.000Z");
    socket.emit("hello", "wörld", 1, { d: date }, null, false);
    assert.deepEqual(client.take(), [
      '2["hello","wörld",1,{"d":"2024-01-02T03:04:05.000Z"},null,false]',
    ]);
  });

  it("sends binary as attachments", async () => {
    const { client, socket } = await connectedPair();
    socket.emit("file", new Uint8Array([9, 8]), { inner: new Uint8Array([7]).buffer });
    const [head, a, b] = client.take();
    assert.equal(
      head,
      '52-["file",{"_placeholder":true,"num":0},{"inner":{"_placeholder":true,"num":1}}]',
    );
    assert.deepEqual([...(a as Uint8Array)], [9, 8]);
    assert.deepEqual([...(b as Uint8Array)], [7]);
  });

  it("calls a trailing ack callback with the client's answer", async () => {
    const { client, socket } = await connectedPair();
    const answers: unknown[][] = [];
    socket.emit("question", 1, (...args: unknown[]) => answers.push(args));
    const [packet] = client.takeText();
    assert.match(packet!, /^2(\d+)\["question",1\]$/);
    const id = /^2(\d+)/.exec(packet!)![1];
    await client.send(`3${id}["yes",2]`);
    assert.deepEqual(answers, [["yes", 2]]);
  });

  it("emitWithAck resolves with the first argument of the answer", async () => {
    const { client, socket } = await connectedPair();
    const pending = socket.emitWithAck("question");
    const id = /^2(\d+)/.exec(client.takeText()[0]!)![1];
    await client.send(`3${id}["answer"]`);
    assert.equal(await pending, "answer");
  });

  it("timeout(ms) gives the callback (null, ...args) when answered in time", async () => {
    const { client, clock, socket } = await connectedPair();
    const calls: unknown[][] = [];
    socket.timeout(1000).emit("q", (...args: unknown[]) => calls.push(args));
    const id = /^2(\d+)/.exec(client.takeText()[0]!)![1];
    clock.tick(999);
    await client.send(`3${id}["ok"]`);
    clock.tick(10);
    assert.deepEqual(calls, [[null, "ok"]]);
  });

  it("timeout(ms) gives the callback an error when the client stays silent", async () => {
    const { clock, socket } = await connectedPair();
    const calls: unknown[][] = [];
    socket.timeout(500).emit("q", (...args: unknown[]) => calls.push(args));
    clock.tick(500);
    assert.equal(calls.length, 1);
    assert.ok(calls[0]![0] instanceof Error);
    assert.equal((calls[0]![0] as Error).message, "operation has timed out");
  });

  it("timeout(ms).emitWithAck rejects after the delay and resolves when answered", async () => {
    const { client, clock, socket } = await connectedPair();
    const late = socket.timeout(100).emitWithAck("q");
    clock.tick(100);
    await assert.rejects(late, /operation has timed out/);
    client.take();
    const answered = socket.timeout(100).emitWithAck("q2");
    const id = /^2(\d+)/.exec(client.takeText()[0]!)![1];
    await client.send(`3${id}[7]`);
    assert.equal(await answered, 7);
  });

  it("the timeout flag applies to one emit only", async () => {
    const { clock, socket } = await connectedPair();
    const calls: unknown[][] = [];
    socket.timeout(100).emit("a", () => {});
    socket.emit("b", (...args: unknown[]) => calls.push(args));
    clock.tick(1000);
    assert.deepEqual(calls, []);
  });

  it("refuses reserved event names", async () => {
    const { socket } = await connectedPair();
    for (
      const name of [
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
      ]
    ) {
      assert.throws(() => socket.emit(name), { message: `"${name}" is a reserved event name` });
    }
  });

  it("send() and write() emit a message event", async () => {
    const { client, socket } = await connectedPair();
    socket.send("a").write("b");
    assert.deepEqual(client.take(), ['2["message","a"]', '2["message","b"]']);
  });

  it("calls onAnyOutgoing listeners with each emitted event", async () => {
    const { socket } = await connectedPair();
    const out: unknown[][] = [];
    const listener = (...args: unknown[]) => out.push(args);
    socket.onAnyOutgoing(listener);
    socket.prependAnyOutgoing(() => out.push(["first"]));
    socket.emit("x", 1);
    assert.deepEqual(out, [["first"], ["x", 1]]);
    assert.equal(socket.listenersAnyOutgoing().length, 2);
    socket.offAnyOutgoing(listener);
    socket.offAnyOutgoing();
    assert.equal(socket.listenersAnyOutgoing().length, 0);
  });

  it("passes compress(false) to the engine for one emit only", async () => {
    const { client, socket } = await connectedPair();
    const flags: unknown[] = [];
    client.conn.on("packetCreate", (packet) => flags.push(packet.options?.compress));
    socket.compress(false).emit("raw");
    socket.emit("default");
    assert.deepEqual(flags, [false, true]);
  });

  it("drops a volatile emit while the transport cannot write, and sends a normal one", async () => {
    const { client, socket } = await connectedPair();
    // no GET is parked: the polling transport is not writable
    socket.volatile.emit("lossy");
    socket.emit("kept");
    assert.deepEqual(client.take(), ['2["kept"]']);
  });

  it("stops sending once the socket left its namespace", async () => {
    const { client, socket } = await connectedPair();
    socket.disconnect();
    client.take();
    socket.emit("late");
    assert.deepEqual(client.take(), []);
    await socket.join("room");
    assert.equal(socket.rooms.size, 0);
  });
});

describe("rooms of a socket", () => {
  it("joins and leaves rooms, one or several", async () => {
    const { socket } = await connectedPair();
    await socket.join("a");
    await socket.join(["b", "c"]);
    assert.deepEqual([...socket.rooms].sort(), [socket.id, "a", "b", "c"].sort());
    await socket.leave("b");
    assert.deepEqual([...socket.rooms].sort(), [socket.id, "a", "c"].sort());
  });

  it("leaves every room on disconnect, after the disconnecting event", async () => {
    const { io, client, socket } = await connectedPair();
    await socket.join("a");
    let roomsWhileDisconnecting = 0;
    socket.on("disconnecting", () => (roomsWhileDisconnecting = socket.rooms.size));
    await client.close();
    await settle();
    assert.equal(roomsWhileDisconnecting, 2);
    assert.equal(io.sockets.adapter.rooms.size, 0);
  });
});
