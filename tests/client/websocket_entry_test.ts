/**
 * `sio-edge/client/websocket`, the WebSocket-only entry, in the runtime
 * running this file against the official server and sio-edge: its engine is
 * one WebSocket (no polling, no upgrade, no transport classes, which its
 * import graph shows), and it keeps the client's behaviour: acks and
 * timeouts, binary both ways, an engine close recovered, a server restart
 * survived with the buffered emit sent once and `auth` called again.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type ClientOptions,
  io,
  type Socket,
  WebSocketEngine,
} from "../../src/client/websocket.ts";
import { io as ioFull } from "../../src/client/client.ts";
import { type RunningServer, targets } from "./_servers.ts";
import { fakeWorkersWebSocket, HANDSHAKE } from "./_fake_workers_ws.ts";

const CLIENT = fileURLToPath(new URL("../../src/client/", import.meta.url));

/** The client files `file` imports values from, transitively (type-only imports left out). */
function valueImports(file: string, seen = new Set<string>()): Set<string> {
  const text = readFileSync(CLIENT + file, "utf8");
  for (const m of text.matchAll(/^(?:import|export) (?!type\b)[^;]*?from "\.\/([\w.]+\.ts)"/gms)) {
    const dep = m[1]!;
    if (!seen.has(dep)) {
      seen.add(dep);
      valueImports(dep, seen);
    }
  }
  return seen;
}

function once<T = unknown[]>(socket: Socket, event: string, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "${event}" in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

/** Records the engine's events, with their first argument where there is one. */
function record(engine: WebSocketEngine): unknown[] {
  const events: unknown[] = [];
  for (
    const name of [
      "packetCreate",
      "flush",
      "drain",
      "handshake",
      "open",
      "packet",
      "heartbeat",
      "ping",
      "pong",
      "message",
      "data",
      "close",
    ]
  ) {
    engine.on(name, (arg?: unknown) => {
      const detail = name === "packetCreate" || name === "packet"
        ? (arg as { type: string }).type
        : name === "handshake"
        ? (arg as { sid: string }).sid
        : arg;
      events.push(detail === undefined ? name : `${name}:${detail}`);
    });
  }
  return events;
}

function connect(url: string, opts: Partial<ClientOptions> = {}): Promise<Socket> {
  const socket = io(url, {
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    ...opts,
  });
  return once(socket, "connect").then(() => socket);
}

describe("sio-edge/client/websocket", () => {
  it("imports no polling, upgrade or transport-layer code", () => {
    const files = valueImports("websocket.ts");
    for (
      const file of [
        "polling.ts",
        "_upgrade.ts",
        "_transport.ts",
        "engine.ts",
        "websocket_transport.ts",
      ]
    ) {
      assert.ok(!files.has(file), `websocket.ts reaches ${file}`);
    }
    assert.ok(files.has("websocket_engine.ts") && files.has("_engine_core.ts"));
    // the full entry does reach them (the check above can fail)
    assert.ok(valueImports("client.ts").has("polling.ts"));
  });
});

describe("the WebSocket-only engine (a fake socket, no network)", () => {
  it("buffers until the handshake, then writes through: packetCreate, flush, drain, the callback", async () => {
    const server = fakeWorkersWebSocket();
    const engine = new WebSocketEngine("http://sio.test", { fetch: server.fetch });
    const events = record(engine);
    const calls: string[] = [];
    engine.send("early", undefined, () => calls.push("early"));
    assert.deepEqual(events, ["packetCreate:message"]);
    assert.equal(engine.writeBuffer.length, 1);
    await server.ready;
    assert.equal(engine.transport.writable, true);
    assert.deepEqual(server.sent, [], "nothing before the handshake");
    server.push(HANDSHAKE);
    assert.equal(engine.readyState, "open");
    assert.equal(engine.id, "sid1");
    assert.deepEqual(server.sent, ["4early"]);
    assert.deepEqual(calls, ["early"]);
    assert.equal(engine.writeBuffer.length, 0);
    assert.deepEqual(events.splice(0), [
      "packetCreate:message",
      "packet:open",
      "heartbeat",
      "handshake:sid1",
      "open",
      "flush",
      "drain",
    ]);
    // open: each packet goes to the socket at once, its callback with the flush
    engine.write("now", undefined, () => calls.push("now"));
    engine.send(new Uint8Array([1, 2]));
    assert.deepEqual(server.sent.slice(1), ["4now", new Uint8Array([1, 2])]);
    assert.deepEqual(calls, ["early", "now"]);
    assert.deepEqual(events.splice(0), [
      "packetCreate:message",
      "flush",
      "drain",
      "packetCreate:message",
      "flush",
      "drain",
    ]);
    // the server's ping is answered at once
    server.push("2");
    assert.equal(server.sent.at(-1), "3");
    assert.deepEqual(events.splice(0), [
      "packet:ping",
      "heartbeat",
      "packetCreate:pong",
      "flush",
      "drain",
      "ping",
      "pong",
    ]);
    server.push("4hello");
    server.push(new Uint8Array([7]).buffer);
    assert.deepEqual(events.splice(0), [
      "packet:message",
      "heartbeat",
      "data:hello",
      "message:hello",
      "packet:message",
      "heartbeat",
      `data:${new Uint8Array([7])}`,
      `message:${new Uint8Array([7])}`,
    ]);
    engine.close();
    assert.equal(engine.readyState, "closed");
    assert.equal(server.ws.closed, true);
    assert.deepEqual(events.splice(0), ["close:forced close"]);
    // a closed socket reports nothing more
    server.ws.onclose?.({});
    server.ws.onerror?.({});
    engine.send("late");
    assert.deepEqual(events, []);
    assert.equal(server.sent.length, 4);
  });

  it("close() before the handshake writes what was buffered, then closes", async () => {
    const server = fakeWorkersWebSocket();
    const engine = new WebSocketEngine("http://sio.test", { fetch: server.fetch });
    const events = record(engine);
    engine.send("bye");
    engine.close();
    assert.equal(engine.readyState, "closing");
    engine.send("dropped");
    await server.ready;
    server.push(HANDSHAKE);
    assert.deepEqual(server.sent, ["4bye"]);
    assert.equal(engine.readyState, "closed");
    assert.equal(server.ws.closed, true);
    assert.deepEqual(events.slice(-3), ["flush", "drain", "close:forced close"]);
  });

  it("forceBase64 and timestampRequests are the full client's: the WebSocket-only engine asks no b64 or t, sends binary frames", async () => {
    const full = fakeWorkersWebSocket();
    const socket = ioFull("http://sio.test", {
      forceNew: true,
      transports: ["websocket"],
      forceBase64: true,
      timestampRequests: true,
      fetch: full.fetch,
    });
    try {
      await full.ready;
      full.push(HANDSHAKE);
      socket.io.engine.write(new Uint8Array([1, 2]));
      // the full client's WebSocket transport writes a batch, then drains in a microtask
      await new Promise((resolve) => setTimeout(resolve));
      assert.match(full.urls[0]!, /[?&]b64=1&t=[0-9a-z]+$/);
      assert.ok(full.sent.includes("bAQI="), "base64 text frame");
    } finally {
      socket.disconnect();
    }

    const server = fakeWorkersWebSocket();
    const engine = new WebSocketEngine("http://sio.test", {
      fetch: server.fetch,
      forceBase64: true,
      timestampRequests: true,
    });
    await server.ready;
    server.push(HANDSHAKE);
    engine.send(new Uint8Array([1, 2]));
    assert.equal(server.urls[0], "http://sio.test/engine.io/?EIO=4&transport=websocket");
    assert.deepEqual(server.sent, [new Uint8Array([1, 2])]);
    // a base64 text frame is no packet here: the server sends one only when asked
    const closed = new Promise((resolve) => engine.once("close", resolve));
    server.push("bAQI=");
    assert.equal(await closed, "transport error");
  });

  it("closed while the socket is still being made: the socket is closed as it arrives", async () => {
    const server = fakeWorkersWebSocket();
    const engine = new WebSocketEngine("http://sio.test", { fetch: server.fetch });
    const events = record(engine);
    engine.close();
    assert.deepEqual(events, ["close:forced close"]);
    await server.ready;
    assert.equal(server.ws.closed, true);
    assert.equal(server.ws.onmessage, null);
    assert.equal(engine.transport.writable, false);
  });
});

for (const target of targets()) {
  describe(`sio-edge/client/websocket against ${target.name}`, () => {
    let server: RunningServer;
    before(async () => {
      server = await target.start();
    });
    after(() => server.close());

    it("emit with ack, emitWithAck with a timeout, binary both ways, over one WebSocket", async () => {
      const socket = await connect(server.url);
      try {
        assert.equal(socket.io.engine.transport.name, "websocket");
        const bytes = new Uint8Array([0, 1, 254, 255]);
        const answer = await new Promise<unknown[]>((resolve) =>
          socket.emit("echo", "héllo ✓", { b: bytes }, (...args: unknown[]) => resolve(args))
        );
        assert.equal(answer[0], "héllo ✓");
        const back = (answer[1] as { b: Buffer }).b;
        assert.ok(Buffer.isBuffer(back));
        assert.deepEqual(new Uint8Array(back), bytes);
        assert.equal(await socket.timeout(2_000).emitWithAck("echo", 42), 42);
        await assert.rejects(socket.timeout(50).emitWithAck("silent"), {
          message: "operation has timed out",
        });
        socket.io.engine.binaryType = "arraybuffer";
        const echoed = once<[ArrayBuffer]>(socket, "echo");
        socket.emit("emit-back", new Uint16Array([513]));
        const [buffer] = await echoed;
        assert.ok(buffer instanceof ArrayBuffer);
        assert.deepEqual([...new Uint8Array(buffer)], [1, 2]);
      } finally {
        socket.disconnect();
      }
    });

    it("an engine close: recovered === true, the same id, missed events delivered", async () => {
      const socket = await connect(server.url);
      try {
        const id = socket.id;
        await socket.emitWithAck("join", "r");
        const missed = once<unknown[]>(socket, "missed");
        const disconnected = once<[string]>(socket, "disconnect");
        socket.emit("drop");
        assert.equal((await disconnected)[0], "transport close");
        await once(socket, "connect");
        assert.equal(socket.recovered, true);
        assert.equal(socket.id, id);
        assert.equal((await missed)[0], 1);
      } finally {
        socket.disconnect();
      }
    });

    it("a server restart: reconnects, the buffered emit delivered once, auth called each time", async () => {
      let calls = 0;
      const socket = await connect(server.url, { auth: (cb) => cb({ n: ++calls }) });
      try {
        const port = server.port;
        const down = once<[string]>(socket, "disconnect");
        await server.close();
        assert.match((await down)[0], /^transport (close|error)$/);
        const received: unknown[] = [];
        socket.on("echo", (...args: unknown[]) => received.push(args[0]));
        socket.emit("emit-back", "buffered");
        assert.equal(socket.sendBuffer.length, 1);
        await new Promise((r) => setTimeout(r, 300));
        server = await target.start(port);
        await once(socket, "connect", 10_000);
        assert.equal(((await socket.emitWithAck("auth")) as { n: number }).n, calls);
        assert.ok(calls >= 2);
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(received, ["buffered"]);
      } finally {
        socket.disconnect();
      }
    });
  });
}
