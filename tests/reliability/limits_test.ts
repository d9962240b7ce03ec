/**
 * Issue 15, findings 3 and 4, in process (fake clock): a polling POST whose
 * body stalls is cancelled after `bodyTimeout` (408) or as soon as its
 * session ends; what waits for one client is bounded by `maxBufferedBytes`
 * on polling and on WebSocket (the runtime's `bufferedAmount`), and volatile
 * packets are skipped for a congested client.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  closes,
  finish,
  handshake,
  poll,
  pollingRequest,
  settle,
  setup,
  wsRequest,
} from "../engine/_helpers.ts";
import { resolveOptions } from "../../src/engine/options.ts";
import { Server } from "../../src/socket/server.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { FakeUpgrader } from "../_support/fake_websocket.ts";

const encoder = new TextEncoder();

/** A POST body that sends `first` and then nothing, like a client that stalls. */
function stalledBody(first: string) {
  const state = { cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(first));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

function stalledPost(h: ReturnType<typeof setup>, sid: string, body: ReadableStream<Uint8Array>) {
  let settled = false;
  const req = pollingRequest(sid, {
    method: "POST",
    body,
    headers: { "content-length": "100" },
    duplex: "half",
  } as RequestInit);
  const promise = h.engine.handle(req, h.upgrader.ctx);
  promise.then(() => (settled = true), () => {});
  return {
    promise,
    get settled() {
      return settled;
    },
  };
}

describe("bodyTimeout", () => {
  it("defaults to 20 s and maxBufferedBytes to 10 MB; both are checked", () => {
    const o = resolveOptions({});
    assert.equal(o.bodyTimeout, 20_000);
    assert.equal(o.maxBufferedBytes, 10_000_000);
    assert.throws(() => resolveOptions({ bodyTimeout: 0 }), RangeError);
    assert.throws(() => resolveOptions({ maxBufferedBytes: -1 }), RangeError);
  });

  it("a POST that declares 100 bytes and sends 10 is cancelled with 408", async () => {
    const h = setup({ bodyTimeout: 1_000, pingInterval: 60_000, pingTimeout: 60_000 });
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const { stream, state } = stalledBody("4" + "x".repeat(9));
    const pending = stalledPost(h, sid, stream);
    await settle();
    h.clock.tick(999);
    await settle();
    assert.equal(pending.settled, false);
    h.clock.tick(1);
    await settle();
    assert.equal((await pending.promise).status, 408);
    assert.equal(state.cancelled, true, "the body read was not cancelled");
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    assert.equal((reasons[0]![1] as Error).message, "data request timed out");
    finish(h);
  });

  it("a stalled body read ends as soon as its session ends (ping timeout)", async () => {
    const h = setup({ pingInterval: 300, pingTimeout: 200 });
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const get = poll(h, sid);
    await settle();
    const { stream, state } = stalledBody("4abc");
    const pending = stalledPost(h, sid, stream);
    await settle();
    h.clock.tick(300); // the ping goes out on the parked GET
    await settle();
    await get.promise;
    h.clock.tick(200); // no pong: the session ends
    await settle();
    assert.deepEqual(reasons.map(([r]) => r), ["ping timeout"]);
    assert.equal((await pending.promise).status, 400);
    assert.equal(state.cancelled, true);
    finish(h);
  });
});

describe("maxBufferedBytes", () => {
  it("drops a polling client that stops polling while the server sends", async () => {
    const h = setup({ maxBufferedBytes: 10_000 });
    const { socket } = await handshake(h);
    const reasons = closes(socket);
    for (let i = 0; i < 9; i++) socket.send("x".repeat(1_000));
    assert.equal(socket.readyState, "open");
    socket.send("x".repeat(1_001));
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    assert.equal((reasons[0]![1] as Error).message, "write buffer full");
    finish(h);
  });

  it("a polling client that polls is never dropped", async () => {
    const h = setup({ maxBufferedBytes: 10_000 });
    const { sid, socket } = await handshake(h);
    for (let round = 0; round < 5; round++) {
      const get = poll(h, sid);
      await settle();
      for (let i = 0; i < 9; i++) socket.send("x".repeat(1_000));
      await get.promise;
    }
    assert.equal(socket.readyState, "open");
    finish(h);
  });

  it("drops a WebSocket client whose runtime buffer is over the bound", async () => {
    const h = setup({ maxBufferedBytes: 10_000 });
    let socket!: Parameters<Parameters<typeof h.engine.on<"connection">>[1]>[0];
    h.engine.on("connection", (s) => (socket = s));
    await h.engine.handle(wsRequest(), h.upgrader.ctx);
    const ws = h.upgrader.open();
    const reasons = closes(socket);
    let terminated = 0;
    (ws as unknown as { terminate(): void }).terminate = () => terminated++;
    ws.bufferedAmount = 9_000;
    socket.send("a");
    assert.equal(socket.readyState, "open");
    ws.bufferedAmount = 10_001;
    socket.send("b");
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    assert.equal((reasons[0]![1] as Error).message, "write buffer full");
    assert.equal(terminated, 1);
    finish(h);
  });

  it("skips volatile packets for a congested WebSocket client", async () => {
    const clock = new FakeClock();
    const io = new Server({ clock, maxBufferedBytes: 10_000, serveClient: false });
    const upgrader = new FakeUpgrader();
    const url = "http://localhost/socket.io/?EIO=4&transport=websocket";
    await io.handle(
      new Request(url, { headers: { upgrade: "websocket", connection: "Upgrade" } }),
      upgrader.ctx,
    );
    const ws = upgrader.open();
    upgrader.events.onMessage("40");
    await settle(50);
    ws.take();
    io.volatile.emit("tick", 1);
    ws.bufferedAmount = 6_000;
    io.volatile.emit("tick", 2);
    io.emit("tick", 3);
    assert.deepEqual(ws.take(), ['42["tick",1]', '42["tick",3]']);
    await io.close();
    assert.equal(clock.pending, 0);
  });
});
