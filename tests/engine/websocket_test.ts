import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { EngineSocket } from "../../src/engine/socket.ts";
import type { EngineOptions } from "../../src/engine/options.ts";
import { closes, finish, handshake, probe, setup, wsRequest } from "./_helpers.ts";
import { hostBytes } from "../_support/host_bytes.ts";

async function wsSession(options: EngineOptions = {}) {
  const h = setup(options);
  let socket: EngineSocket | undefined;
  h.engine.on("connection", (s) => (socket = s));
  await h.engine.handle(wsRequest(), h.upgrader.ctx);
  const ws = h.upgrader.open();
  ws.take();
  const reasons = closes(socket!);
  const messages: (string | Uint8Array)[] = [];
  socket!.on("message", (m) => messages.push(m));
  return { h, socket: socket!, ws, events: h.upgrader.events, reasons, messages };
}

describe("WebSocket transport", () => {
  it("delivers text frames as strings and binary frames as messages of the host's binary type", async () => {
    const { h, events, messages } = await wsSession();
    events.onMessage("4hello");
    events.onMessage("4é😀");
    events.onMessage(new Uint8Array([0, 1, 255]));
    events.onMessage("4");
    assert.deepEqual(messages, ["hello", "é😀", hostBytes([0, 1, 255]), ""]);
    assert.ok(messages[2] instanceof Uint8Array);
    finish(h);
  });

  it("sends one frame per packet, binary as binary (never base64)", async () => {
    const { h, socket, ws } = await wsSession();
    socket.send("a");
    socket.send(new Uint8Array([1, 2, 3]));
    assert.deepEqual(ws.take(), ["4a", new Uint8Array([1, 2, 3])]);
    finish(h);
  });

  it("sends a pre-encoded frame as is", async () => {
    const { h, socket, ws } = await wsSession();
    socket.send("ignored", { wsPreEncoded: "4shared" });
    assert.deepEqual(ws.take(), ["4shared"]);
    finish(h);
  });

  it("a text message over maxHttpBufferSize closes the socket with 1009 and the session with transport error", async () => {
    const { h, events, ws, reasons, messages } = await wsSession({ maxHttpBufferSize: 10 });
    events.onMessage("4" + "x".repeat(9)); // exactly 10 bytes: fine
    events.onMessage("4" + "é".repeat(5)); // 11 bytes
    assert.deepEqual(messages, ["x".repeat(9)]);
    assert.equal(ws.closeCalls[0]?.code, 1009);
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    assert.equal(h.engine.clientsCount, 0);
    finish(h);
  });

  it("a binary message over maxHttpBufferSize closes the socket with 1009", async () => {
    const { h, events, ws, reasons, messages } = await wsSession({ maxHttpBufferSize: 4 });
    events.onMessage(new Uint8Array(5));
    assert.equal(messages.length, 0);
    assert.equal(ws.closeCalls[0]?.code, 1009);
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    finish(h);
  });

  for (const frame of ["", "9", "x", "b!!"]) {
    it(`the malformed text frame ${JSON.stringify(frame)} closes the session with parse error`, async () => {
      const { h, events, reasons, messages } = await wsSession();
      events.onMessage(frame);
      assert.deepEqual(reasons.map(([r]) => r), ["parse error"]);
      assert.equal(messages.length, 0);
      finish(h);
    });
  }

  it("a client close packet is ignored until the socket itself closes, as the official server does", async () => {
    const { h, events, reasons } = await wsSession();
    events.onMessage("1");
    assert.equal(reasons.length, 0);
    events.onClose(1000, "");
    assert.deepEqual(reasons.map(([r]) => r), ["transport close"]);
    finish(h);
  });

  it("a failing send closes the session with transport error", async () => {
    const { h, socket, ws, reasons } = await wsSession();
    ws.failSends = new Error("broken pipe");
    socket.send("x");
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    assert.equal((reasons[0]![1] as Error).message, "write error");
    finish(h);
  });

  it("frames after the session closed are ignored", async () => {
    const { h, events, socket, reasons, messages } = await wsSession();
    socket.close();
    events.onMessage("4late");
    assert.equal(messages.length, 0);
    assert.deepEqual(reasons.map(([r]) => r), ["forced close"]);
    finish(h);
  });
});

describe("directWebSocket: what a native fan-out may write past the session", () => {
  it("is the open session's WebSocket, until someone watches packetCreate", async () => {
    const { h, socket } = await wsSession();
    assert.ok(socket.directWebSocket !== undefined);
    assert.equal(socket.directWebSocket, socket.webSocket);
    socket.on("packetCreate", () => {});
    assert.equal(socket.directWebSocket, undefined);
    finish(h);
  });

  for (const event of ["flush", "drain"] as const) {
    it(`is undefined once someone watches ${event}`, async () => {
      const { h, socket } = await wsSession();
      socket.on(event, () => {});
      assert.equal(socket.directWebSocket, undefined);
      finish(h);
    });
  }

  it("is undefined on polling, while upgrading, and once closed; the upgraded session's own after 5", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    assert.equal(socket.directWebSocket, undefined);
    await probe(h, sid);
    assert.equal(socket.directWebSocket, undefined, "upgrading");
    h.upgrader.events.onMessage("5");
    assert.ok(socket.directWebSocket !== undefined, "upgraded");
    socket.close();
    assert.equal(socket.directWebSocket, undefined, "closed");
    finish(h);
  });
});
