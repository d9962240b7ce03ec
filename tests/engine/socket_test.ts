import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Packet } from "../../src/parser/engine_packet.ts";
import type { EngineSocket } from "../../src/engine/socket.ts";
import {
  closes,
  finish,
  handshake,
  type Harness,
  poll,
  post,
  settle,
  setup,
  wsRequest,
} from "./_helpers.ts";

async function wsSession(h: Harness) {
  let socket: EngineSocket | undefined;
  h.engine.on("connection", (s) => (socket = s));
  await h.engine.handle(wsRequest(), h.upgrader.ctx);
  const ws = h.upgrader.open();
  ws.take();
  return { socket: socket!, ws, events: h.upgrader.events };
}

describe("closing a session", () => {
  it("socket.close() answers the parked GET with 1 and closes with forced close", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const get = poll(h, sid);
    await settle(); // the GET is parked
    socket.close();
    assert.equal(await get.text(), "1");
    assert.deepEqual(reasons.map(([r]) => r), ["forced close"]);
    assert.equal(socket.readyState, "closed");
    assert.equal(h.engine.clientsCount, 0);
    assert.equal(h.clock.pending, 0);
    finish(h);
  });

  it("socket.close() without a parked GET delivers 1 on the next GET", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    socket.close();
    assert.equal(socket.readyState, "closing");
    assert.equal(reasons.length, 0);
    assert.equal(await poll(h, sid).text(), "6\x1e1");
    assert.deepEqual(reasons.map(([r]) => r), ["forced close"]);
    assert.equal(h.clock.pending, 0);
    finish(h);
  });

  it("socket.close() writes queued packets first and refuses new ones", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    socket.send("last words");
    socket.close();
    socket.send("too late");
    assert.equal(await poll(h, sid).text(), "4last words");
    assert.equal(await poll(h, sid).text(), "6\x1e1");
    assert.deepEqual(reasons.map(([r]) => r), ["forced close"]);
    finish(h);
  });

  it("socket.close() gives up waiting for a GET after 30 s", async () => {
    const h = setup({ pingInterval: 60_000, pingTimeout: 60_000 });
    const { socket } = await handshake(h);
    const reasons = closes(socket);
    socket.close();
    h.clock.tick(29_999);
    assert.equal(reasons.length, 0);
    h.clock.tick(1);
    assert.deepEqual(reasons.map(([r]) => r), ["forced close"]);
    assert.equal(h.clock.pending, 0);
    finish(h);
  });

  it("socket.close() on WebSocket closes the socket without a status code and forced close", async () => {
    const h = setup();
    const { socket, ws, events } = await wsSession(h);
    const reasons = closes(socket);
    socket.close();
    assert.deepEqual(ws.closeCalls, [{ code: undefined, reason: undefined }]);
    assert.deepEqual(reasons.map(([r]) => r), ["forced close"]);
    events.onClose(1000, ""); // the runtime confirms later: nothing more happens
    assert.equal(reasons.length, 1);
    finish(h);
  });

  it("the WebSocket closing closes the session with transport close", async () => {
    const h = setup();
    const { socket, events } = await wsSession(h);
    const reasons = closes(socket);
    events.onClose(1001, "going away");
    assert.deepEqual(reasons.map(([r]) => r), ["transport close"]);
    assert.equal(h.engine.clientsCount, 0);
    finish(h);
  });

  it("a WebSocket error closes the session with transport error", async () => {
    const h = setup();
    const { socket, events } = await wsSession(h);
    const reasons = closes(socket);
    const cause = new Error("reset");
    events.onError(cause);
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    const description = reasons[0]![1] as Error & { type: string; description: unknown };
    assert.equal(description.message, "websocket error");
    assert.equal(description.type, "TransportError");
    assert.equal(description.description, cause);
    finish(h);
  });

  it("engine.close() closes every session with forced close, answers parked GETs and clears every timer", async () => {
    const h = setup();
    const a = await handshake(h);
    const b = await handshake(h);
    const { socket: c, ws } = await wsSession(h);
    assert.equal(h.engine.clientsCount, 3);
    const reasons = [closes(a.socket), closes(b.socket), closes(c)];
    const get = poll(h, a.sid);
    await settle();
    h.engine.close();
    assert.equal(await get.text(), "1");
    assert.deepEqual(reasons.map((r) => r.map(([x]) => x)), [["forced close"], ["forced close"], [
      "forced close",
    ]]);
    assert.equal(ws.closed, true);
    assert.equal(h.engine.clientsCount, 0);
    assert.equal(h.clock.pending, 0);
    finish(h);
  });

  it("engine.close() ends a session whose orderly close still waits for a GET", async () => {
    const h = setup();
    const { socket } = await handshake(h);
    const reasons = closes(socket);
    socket.close();
    assert.equal(socket.readyState, "closing");
    h.engine.close();
    assert.deepEqual(reasons.map(([r]) => r), ["forced close"]);
    assert.equal(h.clock.pending, 0, "the 30 s close timer is gone");
    finish(h);
  });

  it("a session closed by the client leaves no timer behind", async () => {
    const h = setup();
    const { sid } = await handshake(h);
    await post(h, sid, "1");
    assert.equal(h.engine.clientsCount, 0);
    assert.equal(h.clock.pending, 0);
    finish(h);
  });

  it("clientsCount follows sessions opening and closing", async () => {
    const h = setup();
    assert.equal(h.engine.clientsCount, 0);
    const a = await handshake(h);
    await handshake(h);
    assert.equal(h.engine.clientsCount, 2);
    assert.deepEqual([...h.engine.clients()].length, 2);
    a.socket.close();
    await poll(h, a.sid).promise;
    assert.equal(h.engine.clientsCount, 1);
    finish(h);
  });
});

describe("sending", () => {
  it("sends strings, Uint8Array and ArrayBuffer and calls each callback once written", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const done: string[] = [];
    socket.send("text", {}, () => done.push("text"));
    socket.send(new Uint8Array([1, 2]), undefined, () => done.push("bytes"));
    socket.write(new Uint8Array([3]).buffer, { compress: false }, () => done.push("buffer"));
    assert.deepEqual(done, [], "nothing is written before a GET");
    assert.equal(await poll(h, sid).text(), "4text\x1ebAQI=\x1ebAw==");
    assert.deepEqual(done, ["text", "bytes", "buffer"]);
    finish(h);
  });

  it("sends binary as binary frames over WebSocket", async () => {
    const h = setup();
    const { socket, ws } = await wsSession(h);
    let called = 0;
    socket.send(new Uint8Array([7, 8]).buffer, {}, () => called++);
    socket.send("t");
    const frames = ws.take();
    assert.ok(frames[0] instanceof Uint8Array);
    assert.deepEqual(frames, [new Uint8Array([7, 8]), "4t"]);
    assert.equal(called, 1);
    finish(h);
  });

  it("emits packetCreate, flush and drain in order for outgoing packets", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const log: string[] = [];
    socket.on("packetCreate", (p: Packet) => log.push(`create:${p.type}:${String(p.data)}`));
    socket.on("flush", (ps: Packet[]) => log.push(`flush:${ps.length}`));
    socket.on("drain", () => log.push("drain"));
    socket.send("a");
    socket.send("b");
    assert.deepEqual(log, ["create:message:a", "create:message:b"]);
    await poll(h, sid).promise;
    assert.deepEqual(log, ["create:message:a", "create:message:b", "flush:2", "drain"]);
    finish(h);
  });

  it("emits packet for every incoming packet, message only for messages", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const packets: string[] = [];
    const msgs: unknown[] = [];
    socket.on("packet", (p: Packet) => packets.push(p.type));
    socket.on("message", (m) => msgs.push(m));
    await post(h, sid, "6\x1e4x\x1e3");
    assert.deepEqual(packets, ["noop", "message", "pong"]);
    assert.deepEqual(msgs, ["x"]);
    finish(h);
  });

  it("ignores sends after the session closed", async () => {
    const h = setup();
    const { socket } = await handshake(h);
    let created = 0;
    socket.on("packetCreate", () => created++);
    socket.close(true);
    await settle();
    let called = false;
    socket.send("nobody listens", {}, () => (called = true));
    assert.equal(created, 0);
    assert.equal(called, false);
    finish(h);
  });
});
