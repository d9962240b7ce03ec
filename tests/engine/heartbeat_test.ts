import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { EngineSocket } from "../../src/engine/socket.ts";
import { closes, finish, handshake, poll, post, settle, setup, wsRequest } from "./_helpers.ts";

const timings = { pingInterval: 1000, pingTimeout: 500 };

describe("heartbeat", () => {
  it("pings every pingInterval over polling", async () => {
    const h = setup(timings);
    const { sid } = await handshake(h);
    const get = poll(h, sid);
    h.clock.tick(999);
    await settle();
    assert.equal(get.settled, false, "no ping before pingInterval");
    h.clock.tick(1);
    assert.equal(await get.text(), "2");
    await post(h, sid, "3");
    const next = poll(h, sid);
    h.clock.tick(999);
    await settle();
    assert.equal(next.settled, false);
    h.clock.tick(1);
    assert.equal(await next.text(), "2");
    finish(h);
  });

  it("a pong resets the interval from the moment it arrives", async () => {
    const h = setup(timings);
    const { sid } = await handshake(h);
    h.clock.tick(1000); // ping queued
    h.clock.tick(400);
    await post(h, sid, "3");
    const get = poll(h, sid);
    assert.equal(await get.text(), "2", "the queued ping");
    const next = poll(h, sid);
    h.clock.tick(999);
    await settle();
    assert.equal(next.settled, false, "the next ping is pingInterval after the pong");
    h.clock.tick(1);
    assert.equal(await next.text(), "2");
    finish(h);
  });

  it("emits heartbeat for each pong", async () => {
    const h = setup(timings);
    const { sid, socket } = await handshake(h);
    let beats = 0;
    socket.on("heartbeat", () => beats++);
    h.clock.tick(1000);
    await post(h, sid, "3");
    h.clock.tick(1000);
    await post(h, sid, "3");
    assert.equal(beats, 2);
    finish(h);
  });

  it("closes the session with ping timeout when no pong comes within pingTimeout", async () => {
    const h = setup(timings);
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const get = poll(h, sid);
    h.clock.tick(1000);
    assert.equal(await get.text(), "2");
    h.clock.tick(499);
    assert.equal(reasons.length, 0);
    h.clock.tick(1);
    assert.deepEqual(reasons.map(([r]) => r), ["ping timeout"]);
    assert.equal(h.engine.clientsCount, 0);
    assert.equal(h.clock.pending, 0, "a closed session leaves no timer behind");
    finish(h);
  });

  it("any packet during the ping timeout postpones it, as the official server does", async () => {
    const h = setup(timings);
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    h.clock.tick(1000); // ping
    h.clock.tick(300);
    await post(h, sid, "4still here");
    h.clock.tick(200); // timeout fires, but a packet came 200 ms ago
    assert.equal(reasons.length, 0);
    h.clock.tick(299);
    assert.equal(reasons.length, 0);
    h.clock.tick(1);
    assert.deepEqual(reasons.map(([r]) => r), ["ping timeout"]);
    finish(h);
  });

  it("a ping from the client (v4) closes the session with transport error", async () => {
    const h = setup(timings);
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    await post(h, sid, "2");
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    assert.equal((reasons[0]![1] as Error).message, "invalid heartbeat direction");
    finish(h);
  });

  it("pings over WebSocket as a 2 frame and takes a 3 frame as the pong", async () => {
    const h = setup(timings);
    let socket: EngineSocket | undefined;
    h.engine.on("connection", (s) => (socket = s));
    await h.engine.handle(wsRequest(), h.upgrader.ctx);
    const ws = h.upgrader.open();
    ws.take();
    const reasons = closes(socket!);
    h.clock.tick(1000);
    assert.deepEqual(ws.take(), ["2"]);
    h.clock.tick(400);
    h.upgrader.events.onMessage("3");
    h.clock.tick(999);
    assert.deepEqual(ws.take(), []);
    h.clock.tick(1);
    assert.deepEqual(ws.take(), ["2"]);
    h.clock.tick(500);
    assert.deepEqual(reasons.map(([r]) => r), ["ping timeout"]);
    assert.equal(ws.closed, true);
    finish(h);
  });
  it("every session's deadlines share one timer, each falling due at its own time", async () => {
    const h = setup(timings);
    const sessions: { ws: ReturnType<typeof h.upgrader.open>; socket: EngineSocket }[] = [];
    for (let i = 0; i < 3; i++) {
      let socket: EngineSocket | undefined;
      h.engine.on("connection", (s) => (socket ??= s));
      await h.engine.handle(wsRequest(), h.upgrader.ctx);
      const ws = h.upgrader.open();
      ws.take();
      sessions.push({ ws, socket: socket! });
      h.clock.tick(100); // opened at 0, 100 and 200
    }
    assert.equal(h.clock.pending, 1, "one timer for the three next pings");
    const [a, b, c] = sessions;
    const reasons = closes(c!.socket);
    h.clock.tick(699); // t = 999
    assert.deepEqual(sessions.map((s) => s.ws.take()), [[], [], []]);
    h.clock.tick(1); // t = 1000: a's ping only
    assert.deepEqual(sessions.map((s) => s.ws.take()), [["2"], [], []]);
    h.clock.tick(100); // t = 1100: b's
    assert.deepEqual(sessions.map((s) => s.ws.take()), [[], ["2"], []]);
    h.clock.tick(100); // t = 1200: c's
    assert.deepEqual(sessions.map((s) => s.ws.take()), [[], [], ["2"]]);
    assert.equal(h.clock.pending, 1, "one timer for the three pong deadlines");
    h.upgrader.calls[0]!.events.onMessage("3"); // a answers at 1200
    h.upgrader.calls[1]!.events.onMessage("3"); // b too; c stays silent
    assert.equal(h.clock.pending, 2, "the pong deadlines' timer and the pings' timer");
    h.clock.tick(499); // t = 1699
    assert.equal(reasons.length, 0);
    h.clock.tick(1); // t = 1700: c's pong deadline
    assert.deepEqual(reasons.map(([r]) => r), ["ping timeout"]);
    assert.equal(a!.socket.readyState, "open");
    assert.equal(b!.socket.readyState, "open");
    assert.equal(h.clock.pending, 1, "the empty lane's timer is gone; the pings' stays");
    h.clock.tick(500); // t = 2200: a's and b's next pings, pingInterval after their pongs
    assert.deepEqual([a!.ws.take(), b!.ws.take()], [["2"], ["2"]]);
    a!.socket.close();
    b!.socket.close();
    assert.equal(h.clock.pending, 0, "no session left, no timer left");
    finish(h);
  });
});
