import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import { Server } from "../../src/socket/server.ts";
import type { Socket } from "../../src/socket/socket.ts";
import { RemoteSocket } from "../../src/socket/broadcast_operator.ts";
import type { DefaultEventsMap } from "../../src/socket/typed_events.ts";
import { WireClient } from "../_support/sio_wire.ts";

let servers: Server[] = [];

afterEach(async () => {
  for (const io of servers) await io.close();
  servers = [];
});

/** A server with `n` clients connected to "/", each socket in room "r<i>". */
async function crowd(n: number) {
  const clock = new FakeClock();
  const io = new Server({ clock });
  servers.push(io);
  const sockets: Socket[] = [];
  io.on("connection", (s) => sockets.push(s));
  const clients: WireClient[] = [];
  for (let i = 0; i < n; i++) {
    const client = await WireClient.connect(io);
    await client.connectNsp("/");
    client.take();
    clients.push(client);
  }
  for (const [i, s] of sockets.entries()) await s.join("r" + i);
  return { io, clock, sockets, clients };
}

function inboxes(clients: WireClient[]): string[][] {
  return clients.map((c) => c.takeText());
}

describe("broadcasting", () => {
  it("io.emit reaches every client with the same packet", async () => {
    const { io, clients } = await crowd(3);
    io.emit("news", "all", new Date(0));
    const expected = '2["news","all","1970-01-01T00:00:00.000Z"]';
    assert.deepEqual(inboxes(clients), [[expected], [expected], [expected]]);
  });

  it("to() and in() target rooms; a socket in several of them gets one packet", async () => {
    const { io, sockets, clients } = await crowd(3);
    await sockets[0]!.join("r1");
    io.to("r0").to("r1").emit("a");
    io.in(["r2"]).emit("b");
    assert.deepEqual(inboxes(clients), [['2["a"]'], ['2["a"]'], ['2["b"]']]);
  });

  it("except() leaves rooms out, chained or as an array", async () => {
    const { io, clients } = await crowd(4);
    io.except("r0").except(["r1", "r2"]).emit("x");
    io.to(["r0", "r1"]).except("r1").emit("y");
    assert.deepEqual(inboxes(clients), [['2["y"]'], [], [], ['2["x"]']]);
  });

  it("socket.broadcast and socket.to() leave the sender out", async () => {
    const { sockets, clients } = await crowd(3);
    await sockets[1]!.join("shared");
    await sockets[0]!.join("shared");
    sockets[0]!.broadcast.emit("hi");
    sockets[0]!.to("shared").emit("room");
    sockets[0]!.except("r2").emit("ex");
    assert.deepEqual(inboxes(clients), [[], ['2["hi"]', '2["room"]', '2["ex"]'], ['2["hi"]']]);
  });

  it("the operator is immutable: a derived one does not change its origin", async () => {
    const { io, clients } = await crowd(2);
    const base = io.to("r0");
    base.to("r1");
    base.except("r0");
    base.emit("only-r0");
    assert.deepEqual(inboxes(clients), [['2["only-r0"]'], []]);
  });

  it("volatile broadcasts are dropped for clients that cannot take them", async () => {
    const { io, clients } = await crowd(2);
    io.volatile.emit("lossy");
    io.local.compress(false).emit("kept");
    assert.deepEqual(inboxes(clients), [['2["kept"]'], ['2["kept"]']]);
  });

  it("broadcasts binary to every client", async () => {
    const { io, clients } = await crowd(2);
    io.emit("bin", new Uint8Array([1, 2]));
    for (const client of clients) {
      const [head, bytes] = client.take();
      assert.equal(head, '51-["bin",{"_placeholder":true,"num":0}]');
      assert.deepEqual([...(bytes as Uint8Array)], [1, 2]);
    }
  });

  it("refuses reserved event names", async () => {
    const { io } = await crowd(0);
    assert.throws(() => io.to("x").emit("connect"), /reserved event name/);
    assert.throws(() => io.emit("disconnect" as string), /reserved event name/);
  });

  it("a namespace broadcast stays in its namespace", async () => {
    const { io, clients } = await crowd(1);
    const admin = io.of("/admin");
    const other = await WireClient.connect(io);
    await other.connectNsp("/admin");
    other.take();
    admin.emit("for-admins");
    assert.deepEqual(other.takeText(), ['2/admin,["for-admins"]']);
    assert.deepEqual(inboxes(clients), [[]]);
  });
});

describe("broadcasting with acknowledgements", () => {
  function ackIds(clients: WireClient[]): string[] {
    return clients.map((c) => /^2(\d+)/.exec(c.takeText()[0]!)![1]!);
  }

  it("timeout().emit collects one response per client", async () => {
    const { io, clients } = await crowd(2);
    const calls: unknown[][] = [];
    io.timeout(1000).emit(
      "poll",
      (err: Error | null, responses: unknown[]) => calls.push([err, responses]),
    );
    const ids = ackIds(clients);
    assert.equal(ids[0], ids[1]);
    await clients[0]!.send(`3${ids[0]}["a"]`);
    assert.deepEqual(calls, []);
    await clients[1]!.send(`3${ids[1]}["b"]`);
    assert.deepEqual(calls, [[null, ["a", "b"]]]);
  });

  it("timeout().emit reports the error and the responses so far after the delay", async () => {
    const { io, clock, clients } = await crowd(2);
    const calls: unknown[][] = [];
    io.timeout(200).emit(
      "poll",
      (err: Error | null, responses: unknown[]) => calls.push([err, responses]),
    );
    const ids = ackIds(clients);
    await clients[0]!.send(`3${ids[0]}["a"]`);
    clock.tick(200);
    assert.equal(calls.length, 1);
    assert.equal((calls[0]![0] as Error).message, "operation has timed out");
    assert.deepEqual(calls[0]![1], ["a"]);
    // a late answer is ignored
    await clients[1]!.send(`3${ids[1]}["b"]`);
    assert.equal(calls.length, 1);
  });

  it("emitWithAck resolves with every response and rejects with err.responses", async () => {
    const { io, clock, clients } = await crowd(2);
    const all = io.timeout(100).emitWithAck("q");
    for (const [i, id] of ackIds(clients).entries()) await clients[i]!.send(`3${id}[${i}]`);
    assert.deepEqual(await all, [0, 1]);
    const partial = io.to("r0").timeout(100).emitWithAck("q");
    clock.tick(100);
    await assert.rejects(partial, (err: Error & { responses?: unknown }) => {
      assert.deepEqual(err.responses, []);
      return err.message === "operation has timed out";
    });
  });

  it("with no client reached, the callback gets an empty list at once", async () => {
    const { io } = await crowd(1);
    const responses = await io.to("nobody").timeout(1000).emitWithAck("q");
    assert.deepEqual(responses, []);
  });
});

describe("acting on remote sockets", () => {
  it("fetchSockets returns id, handshake, rooms and data of the selected sockets", async () => {
    const { io, sockets } = await crowd(3);
    sockets[1]!.data = { name: "b" };
    const all = await io.fetchSockets();
    assert.deepEqual(all.map((s) => s.id).sort(), sockets.map((s) => s.id).sort());
    const [one] = await io.in("r1").fetchSockets();
    assert.ok(one);
    assert.equal(one.id, sockets[1]!.id);
    assert.deepEqual(one.data, { name: "b" });
    assert.ok(one.rooms.has("r1"));
    assert.equal(typeof one.handshake.time, "string");
    assert.equal((await io.except("r0").fetchSockets()).length, 2);
  });

  it("a fetched socket can emit, join, leave and disconnect", async () => {
    const { io, sockets, clients } = await crowd(1);
    const [remote] = await io.fetchSockets();
    remote!.emit("direct", 1);
    assert.deepEqual(clients[0]!.takeText(), ['2["direct",1]']);
    remote!.join("extra");
    assert.ok(sockets[0]!.rooms.has("extra"));
    remote!.leave("extra");
    assert.ok(!sockets[0]!.rooms.has("extra"));
    remote!.disconnect();
    assert.equal(sockets[0]!.connected, false);
  });

  it("a RemoteSocket built from details emits through the adapter; its ack gets one response", async () => {
    const { io, clock, sockets, clients } = await crowd(1);
    const details = {
      id: sockets[0]!.id,
      handshake: sockets[0]!.handshake,
      rooms: ["r0"],
      data: { x: 1 },
    };
    const remote = new RemoteSocket<DefaultEventsMap, unknown>(io.sockets.adapter, details);
    assert.deepEqual([remote.id, [...remote.rooms], remote.data], [details.id, ["r0"], { x: 1 }]);
    const answers: unknown[][] = [];
    remote.timeout(100).emit("q", (err: unknown, answer: unknown) => answers.push([err, answer]));
    const id = /^2(\d+)/.exec(clients[0]!.takeText()[0]!)![1];
    await clients[0]!.send(`3${id}["single"]`);
    assert.deepEqual(answers.slice(), [[null, "single"]]);
    remote.timeout(100).emit("q", (err: unknown, answer: unknown) => answers.push([err, answer]));
    clock.tick(100);
    assert.equal((answers[1]![0] as Error).message, "operation has timed out");
    assert.equal(answers[1]![1], null);
  });

  it("socketsJoin and socketsLeave move the selected sockets", async () => {
    const { io, sockets } = await crowd(3);
    io.except("r2").socketsJoin(["x", "y"]);
    assert.deepEqual(sockets.map((s) => s.rooms.has("x") && s.rooms.has("y")), [true, true, false]);
    io.in("r0").socketsLeave("x");
    assert.deepEqual(sockets.map((s) => s.rooms.has("x")), [false, true, false]);
  });

  it("disconnectSockets disconnects the selected sockets, closing connections with true", async () => {
    const { io, sockets, clients } = await crowd(3);
    const reasons: string[] = [];
    for (const s of sockets) s.on("disconnect", (r) => reasons.push(r));
    io.in("r0").disconnectSockets();
    assert.deepEqual(clients[0]!.takeText(), ["1"]);
    assert.equal(clients[0]!.conn.readyState, "open");
    io.in("r1").disconnectSockets(true);
    assert.notEqual(clients[1]!.conn.readyState, "open");
    assert.deepEqual(reasons, ["server namespace disconnect", "server namespace disconnect"]);
    assert.equal(sockets[2]!.connected, true);
  });

  it("allSockets lists the ids of a room", async () => {
    const { io, sockets } = await crowd(2);
    assert.deepEqual([...await io.in("r1").allSockets()], [sockets[1]!.id]);
  });
});

describe("serverSideEmit on a single server", () => {
  it("delivers nothing locally and acknowledges with no responses", async () => {
    const { io } = await crowd(0);
    const got: unknown[] = [];
    io.on("sync", (...args: unknown[]) => got.push(args));
    assert.equal(io.serverSideEmit("sync", 1), true);
    assert.deepEqual(await io.serverSideEmitWithAck("sync"), []);
    const viaCallback = await new Promise((resolve) =>
      io.serverSideEmit("sync", (err: unknown, r: unknown) => resolve([err, r]))
    );
    assert.deepEqual(viaCallback, [null, []]);
    assert.deepEqual(got, []);
    assert.throws(() => io.serverSideEmit("connection"), /reserved event name/);
  });
});
