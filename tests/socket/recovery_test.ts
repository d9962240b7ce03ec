import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import { Server } from "../../src/socket/server.ts";
import type { ConnectionStateRecoveryOptions } from "../../src/socket/_settings.ts";
import type { Socket } from "../../src/socket/socket.ts";
import { SessionAwareAdapter } from "../../src/adapter/session_aware_adapter.ts";
import { WireClient } from "../_support/sio_wire.ts";

let servers: Server[] = [];

afterEach(async () => {
  for (const io of servers) await io.close();
  servers = [];
});

function setup(recovery: ConnectionStateRecoveryOptions = {}) {
  const clock = new FakeClock();
  const io = new Server({ clock, connectionStateRecovery: recovery });
  servers.push(io);
  const sockets: Socket[] = [];
  let middlewareRuns = 0;
  io.use((_socket, next) => {
    middlewareRuns++;
    next();
  });
  io.on("connection", (s) => sockets.push(s));
  return { io, clock, sockets, middlewareRuns: () => middlewareRuns };
}

/** Connects with optional recovery auth; returns every text packet received and the CONNECT data. */
async function connect(io: Server, auth?: Record<string, unknown>) {
  const client = await WireClient.connect(io);
  await client.send("0" + (auth ? JSON.stringify(auth) : ""));
  const packets = client.takeText();
  const connect = packets.find((p) => p.startsWith("0"));
  assert.ok(connect, "no CONNECT answer in " + JSON.stringify(packets));
  const data = JSON.parse(connect.slice(1)) as { sid: string; pid?: string };
  return { client, packets, data };
}

function offsetOf(packet: string): string {
  const args = JSON.parse(packet.slice(packet.indexOf("["))) as unknown[];
  return args.at(-1) as string;
}

describe("connection state recovery", () => {
  it("uses the session-aware adapter and answers CONNECT with sid and pid", async () => {
    const { io } = setup();
    assert.ok(io.sockets.adapter instanceof SessionAwareAdapter);
    const { data } = await connect(io);
    assert.match(data.sid, /^[\w-]{20}$/);
    assert.match(data.pid!, /^[\w-]{20}$/);
  });

  it("appends an offset to broadcast and emitted EVENTs, but not to those with an ack", async () => {
    const { io, sockets } = setup();
    const { client } = await connect(io);
    io.emit("a", 1);
    sockets[0]!.emit("b");
    sockets[0]!.emit("c", () => {});
    const [a, b, c] = client.takeText();
    assert.match(a!, /^2\["a",1,"[^"]+"\]$/);
    assert.match(b!, /^2\["b","[^"]+"\]$/);
    assert.notEqual(offsetOf(a!), offsetOf(b!));
    assert.match(c!, /^2\d+\["c"\]$/);
  });

  it("restores id, rooms and data, and replays the missed packets in order, once", async () => {
    const { io, sockets, middlewareRuns } = setup();
    const first = await connect(io);
    const socket = sockets[0]!;
    await socket.join("room");
    socket.data = { score: 3 };
    io.emit("seen");
    const offset = offsetOf(first.client.takeText()[0]!);
    const reasons: string[] = [];
    socket.on("disconnect", (r) => reasons.push(r));
    await first.client.close();
    assert.deepEqual(reasons, ["transport close"]);

    io.emit("m1");
    io.to("room").emit("m2");
    io.to("elsewhere").emit("not-for-me");
    io.except("room").emit("excluded");
    io.volatile.emit("volatile");
    io.to(socket.id).emit("m3", { n: 1 });

    const second = await connect(io, { pid: first.data.pid, offset });
    const events = second.packets.filter((p) => p.startsWith("2")).map((p) =>
      JSON.parse(p.slice(1))[0]
    );
    assert.deepEqual(events, ["m1", "m2", "m3"]);
    assert.ok(second.packets.indexOf(second.packets.find((p) => p.startsWith("0"))!) > 0);
    assert.equal(second.data.sid, first.data.sid);
    assert.equal(second.data.pid, first.data.pid);
    const restored = sockets[1]!;
    assert.equal(restored.id, socket.id);
    assert.equal(restored.recovered, true);
    assert.ok(restored.rooms.has("room"));
    assert.deepEqual(restored.data, { score: 3 });
    assert.equal(middlewareRuns(), 1, "middlewares are skipped on recovery");

    // the session was consumed: the same credentials do not recover twice
    const third = await connect(io, { pid: first.data.pid, offset });
    assert.notEqual(third.data.sid, first.data.sid);
  });

  it("runs the middlewares on recovery when skipMiddlewares is false", async () => {
    const { io, middlewareRuns } = setup({ skipMiddlewares: false });
    const first = await connect(io);
    io.emit("x");
    const offset = offsetOf(first.client.takeText()[0]!);
    await first.client.close();
    const second = await connect(io, { pid: first.data.pid, offset });
    assert.equal(second.data.sid, first.data.sid);
    assert.equal(middlewareRuns(), 2);
  });

  it("gives a fresh session after maxDisconnectionDuration", async () => {
    const { io, clock, sockets } = setup({ maxDisconnectionDuration: 1000 });
    const first = await connect(io);
    io.emit("x");
    const offset = offsetOf(first.client.takeText()[0]!);
    await first.client.close();
    clock.tick(1001);
    const second = await connect(io, { pid: first.data.pid, offset });
    assert.notEqual(second.data.sid, first.data.sid);
    assert.equal(sockets[1]!.recovered, false);
  });

  it("gives a fresh session for an unknown offset or pid", async () => {
    const { io } = setup();
    const first = await connect(io);
    io.emit("x");
    const offset = offsetOf(first.client.takeText()[0]!);
    await first.client.close();
    const wrongOffset = await connect(io, { pid: first.data.pid, offset: "nope" });
    assert.notEqual(wrongOffset.data.sid, first.data.sid);
    const wrongPid = await connect(io, { pid: "nope", offset });
    assert.notEqual(wrongPid.data.sid, first.data.sid);
  });

  it("does not keep a session the server ended on purpose", async () => {
    const { io, sockets } = setup();
    const first = await connect(io);
    io.emit("x");
    const offset = offsetOf(first.client.takeText()[0]!);
    sockets[0]!.disconnect();
    const second = await connect(io, { pid: first.data.pid, offset });
    assert.notEqual(second.data.sid, first.data.sid);
  });

  it("keeps the session when the server shuts down", async () => {
    const { io, sockets } = setup();
    const first = await connect(io);
    io.emit("x");
    const offset = offsetOf(first.client.takeText()[0]!);
    const reasons: string[] = [];
    sockets[0]!.on("disconnect", (r) => reasons.push(r));
    await io.close();
    assert.deepEqual(reasons, ["server shutting down"]);
    const session = await io.sockets.adapter.restoreSession(first.data.pid!, offset);
    assert.equal(session?.sid, first.data.sid);
  });
});
