/**
 * Bad input from a server, in process (no ports): the client's `fetch`
 * option plays a scripted Engine.IO server over polling. A server that never
 * answers the handshake, a malformed handshake, a malformed Engine.IO packet
 * and a malformed Socket.IO packet each end with the official error or
 * reason; every pending request is aborted, and `deno test`'s sanitizers
 * check that no timer is left.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { io, type Socket } from "../../src/client/client.ts";
import { io as ioWebSocket } from "../../src/client/websocket.ts";
import { EngineSocket } from "../../src/client/engine.ts";
import { fakeWorkersWebSocket, HANDSHAKE } from "./_fake_workers_ws.ts";

/**
 * A polling server: GETs get the `replies` in order (then wait), POSTs get
 * "ok". Records every request's abort signal.
 */
function scripted(replies: string[]) {
  const posts: string[] = [];
  const urls: string[] = [];
  const state = { hanging: 0, requests: 0 };
  const fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const signal = init?.signal ?? undefined;
    state.requests++;
    urls.push(String(input));
    if (init?.method === "POST") {
      posts.push(String(init.body));
      return Promise.resolve(new Response("ok"));
    }
    void input;
    const next = replies.shift();
    if (next !== undefined) return Promise.resolve(new Response(next));
    // a GET that waits until its request is aborted
    state.hanging++;
    return new Promise((_, reject) => {
      signal?.addEventListener("abort", () => {
        state.hanging--;
        reject(new DOMException("aborted", "AbortError"));
      });
    });
  };
  return { fetch: fetch as typeof globalThis.fetch, state, posts, urls };
}

function next<T extends unknown[]>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, (...args: unknown[]) => resolve(args as T)));
}

const BASE = { forceNew: true, reconnection: false, transports: ["polling"] };

describe("client: bad input from a server", () => {
  it("a server that never answers the handshake: connect_error 'timeout', the request aborted", async () => {
    const server = scripted([]);
    const socket = io("http://sio.test", { ...BASE, fetch: server.fetch, timeout: 50 });
    const [err] = await next<[Error]>(socket, "connect_error");
    assert.equal(err.message, "timeout");
    assert.equal(server.state.requests, 1);
    assert.equal(server.state.hanging, 0);
    socket.disconnect();
  });

  it("a malformed handshake: connect_error 'server error' (code 'parser error')", async () => {
    const server = scripted(["0{not json"]);
    const socket = io("http://sio.test", { ...BASE, fetch: server.fetch });
    const [err] = await next<[Error & { code?: string }]>(socket, "connect_error");
    assert.equal(err.message, "server error");
    assert.equal(err.code, "parser error");
    assert.equal(server.state.hanging, 0);
    socket.disconnect();
  });

  it("an HTTP error on the handshake: connect_error 'fetch read error' with the status", async () => {
    const failing = (() => Promise.resolve(new Response("nope", { status: 503 }))) as typeof fetch;
    const socket = io("http://sio.test", { ...BASE, fetch: failing });
    const [err] = await next<[Error & { type?: string; description?: unknown }]>(
      socket,
      "connect_error",
    );
    assert.equal(err.message, "fetch read error");
    assert.equal(err.type, "TransportError");
    assert.equal(err.description, 503);
    socket.disconnect();
  });

  it("a malformed Engine.IO packet once connected: disconnect 'transport error'", async () => {
    const server = scripted([HANDSHAKE, '40{"sid":"a"}', "9garbage"]);
    const socket = io("http://sio.test", { ...BASE, fetch: server.fetch });
    await next(socket, "connect");
    assert.equal(socket.id, "a");
    const [reason, details] = await next<[string, Error]>(socket, "disconnect");
    assert.equal(reason, "transport error");
    assert.equal(details.message, "server error");
    assert.equal(server.state.hanging, 0);
    socket.disconnect();
  });

  it("a malformed Socket.IO packet once connected: disconnect 'parse error'", async () => {
    const server = scripted([HANDSHAKE, '40{"sid":"a"}', '42["ok"', "41"]);
    const socket = io("http://sio.test", { ...BASE, fetch: server.fetch });
    await next(socket, "connect");
    const [reason] = await next<[string]>(socket, "disconnect");
    assert.equal(reason, "parse error");
    assert.equal(server.state.hanging, 0);
    socket.disconnect();
  });

  it("a batch larger than maxPayload is split over several POSTs, in order", async () => {
    const small = "0" + JSON.stringify({
      sid: "s",
      upgrades: [],
      pingInterval: 10_000,
      pingTimeout: 5_000,
      maxPayload: 100,
    });
    const server = scripted([small, '40{"sid":"a"}']);
    const socket = io("http://sio.test", { ...BASE, fetch: server.fetch });
    await next(socket, "connect");
    socket.emit("a", "x".repeat(40));
    socket.emit("b", "y".repeat(40));
    socket.emit("c", "z".repeat(40));
    socket.emit("d", 1);
    for (let i = 0; i < 50 && server.posts.join("").split("42").length < 5; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const events = server.posts.slice(1);
    assert.ok(events.length >= 3, `one POST per oversize pair: ${JSON.stringify(events)}`);
    for (const body of events) assert.ok(body.length <= 100 || !body.includes("\x1e"));
    assert.deepEqual(
      events.join("\x1e").split("\x1e").map((p) => p.slice(2, 5)),
      ['["a', '["b', '["c', '["d'],
    );
    socket.disconnect();
  });

  it("the upgrade is not attempted when the server offers none; no timer is left after disconnect", async () => {
    const server = scripted([HANDSHAKE, '40{"sid":"a"}']);
    const socket = io("http://sio.test", {
      ...BASE,
      transports: ["polling", "websocket"],
      fetch: server.fetch,
    });
    await next(socket, "connect");
    assert.equal(socket.io.engine.transport.name, "polling");
    const engine = socket.io.engine;
    const closed = new Promise((resolve) => engine.once("close", resolve));
    socket.disconnect();
    // the engine closes once the DISCONNECT packet is written, as the official one does
    assert.equal(engine.readyState, "closing");
    await closed;
    assert.equal(server.state.hanging, 0);
    assert.deepEqual(server.posts.slice(-2), ["41", "1"]);
  });
  it("an `open` listener that closes the engine: no upgrade probe starts, nothing is left", async () => {
    const offering = "0" + JSON.stringify({
      sid: "sid1",
      upgrades: ["websocket"],
      pingInterval: 10_000,
      pingTimeout: 5_000,
      maxPayload: 1_000_000,
    });
    const server = scripted([offering]);
    const engine = new EngineSocket("http://sio.test", {
      transports: ["polling", "websocket"],
      fetch: server.fetch,
    });
    const events: string[] = [];
    for (const event of ["upgrading", "upgrade", "upgradeError"]) {
      engine.on(event, () => events.push(event));
    }
    const closed = new Promise((resolve) => engine.once("close", resolve));
    engine.once("open", () => engine.close());
    await closed;
    // a probe would have asked for transport=websocket (through `fetch`, as on Workers)
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(server.urls.filter((url) => url.includes("transport=websocket")), []);
    assert.deepEqual(events, []);
    assert.equal(engine.readyState, "closed");
    assert.equal(server.state.hanging, 0);
  });
});

describe("client/websocket: bad input from a server", () => {
  const OPTS = { forceNew: true, reconnection: false };

  it("a server that never answers the handshake: connect_error 'timeout', the socket closed", async () => {
    const server = fakeWorkersWebSocket([]);
    const socket = ioWebSocket("http://sio.test", { ...OPTS, fetch: server.fetch, timeout: 50 });
    const [err] = await next<[Error]>(socket, "connect_error");
    assert.equal(err.message, "timeout");
    assert.equal(server.ws.closed, true);
    socket.disconnect();
  });

  it("a malformed handshake: connect_error 'server error' (code 'parser error')", async () => {
    const server = fakeWorkersWebSocket(["0{not json"]);
    const socket = ioWebSocket("http://sio.test", { ...OPTS, fetch: server.fetch });
    const [err] = await next<[Error & { code?: string }]>(socket, "connect_error");
    assert.equal(err.message, "server error");
    assert.equal(err.code, "parser error");
    assert.equal(server.ws.closed, true);
    socket.disconnect();
  });

  it("no WebSocket in the answer: connect_error 'websocket error' with the status", async () => {
    const refusing = (() => Promise.resolve(new Response("no", { status: 400 }))) as typeof fetch;
    const socket = ioWebSocket("http://sio.test", { ...OPTS, fetch: refusing });
    const [err] = await next<[Error & { type?: string; description?: unknown }]>(
      socket,
      "connect_error",
    );
    assert.equal(err.message, "websocket error");
    assert.equal(err.type, "TransportError");
    assert.equal(err.description, 400);
    socket.disconnect();
  });

  it("malformed packets once connected: 'transport error' (Engine.IO), 'parse error' (Socket.IO)", async () => {
    for (const [bad, reason] of [["9garbage", "transport error"], ['42["ok"', "parse error"]]) {
      const server = fakeWorkersWebSocket([HANDSHAKE, '40{"sid":"a"}']);
      const socket = ioWebSocket("http://sio.test", { ...OPTS, fetch: server.fetch });
      await next(socket, "connect");
      assert.equal(socket.id, "a");
      assert.equal(socket.io.engine.transport.name, "websocket");
      assert.deepEqual(server.sent, ["40"]);
      const closed = next<[string]>(socket, "disconnect");
      server.push(bad!);
      assert.equal((await closed)[0], reason);
      assert.equal(server.ws.closed, true);
      socket.disconnect();
    }
  });
});
