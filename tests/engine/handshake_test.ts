import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { EngineSocket } from "../../src/engine/socket.ts";
import {
  engineUrl,
  errorBody,
  finish,
  handshake,
  poll,
  post,
  settle,
  setup,
  wsRequest,
} from "./_helpers.ts";

describe("handshake over polling", () => {
  it("answers the open packet with sid, upgrades, pingInterval, pingTimeout and maxPayload", async () => {
    const h = setup();
    const { sid, body, response } = await handshake(h);
    assert.match(sid, /^[A-Za-z0-9_-]{20}$/);
    assert.equal(
      body,
      `0{"sid":"${sid}","upgrades":["websocket"],"pingInterval":25000,` +
        `"pingTimeout":20000,"maxPayload":1000000}`,
    );
    assert.equal(response.headers.get("content-type"), "text/plain; charset=UTF-8");
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(h.engine.clientsCount, 1);
    finish(h);
  });

  it("advertises the configured timings and limit", async () => {
    const h = setup({ pingInterval: 300, pingTimeout: 200, maxHttpBufferSize: 1234 });
    const { open } = await handshake(h);
    assert.deepEqual(
      [open.pingInterval, open.pingTimeout, open.maxPayload],
      [300, 200, 1234],
    );
    finish(h);
  });

  it("advertises no upgrades when allowUpgrades is false", async () => {
    const h = setup({ allowUpgrades: false });
    assert.deepEqual((await handshake(h)).open.upgrades, []);
    finish(h);
  });

  it("advertises no upgrades when websocket is not an allowed transport", async () => {
    const h = setup({ transports: ["polling"] });
    assert.deepEqual((await handshake(h)).open.upgrades, []);
    finish(h);
  });

  it("sends a text initialPacket right after the open packet", async () => {
    const h = setup({ initialPacket: "welcome" });
    const { body } = await handshake(h);
    assert.ok(body.startsWith('0{"sid"'));
    assert.deepEqual(body.split("\x1e").slice(1), ["4welcome"]);
    finish(h);
  });

  it("sends a binary initialPacket as b + base64", async () => {
    const h = setup({ initialPacket: new Uint8Array([1, 2, 3]) });
    const { body } = await handshake(h);
    assert.ok(body.startsWith('0{"sid"'));
    assert.deepEqual(body.split("\x1e").slice(1), ["bAQID"]);
    finish(h);
  });

  it("uses a synchronous generateId", async () => {
    const seen: Request[] = [];
    const h = setup({ generateId: (req) => (seen.push(req), "custom-id") });
    const { sid, socket } = await handshake(h);
    assert.equal(sid, "custom-id");
    assert.equal(socket.id, "custom-id");
    assert.equal(seen.length, 1);
    finish(h);
  });

  it("uses an asynchronous generateId", async () => {
    const h = setup({ generateId: () => Promise.resolve("async-id") });
    assert.equal((await handshake(h)).sid, "async-id");
    finish(h);
  });

  for (
    const [name, generateId] of [
      ["throwing", (): string => {
        throw new Error("boom");
      }],
      ["rejecting", () => Promise.reject(new Error("boom"))],
    ] as const
  ) {
    it(`answers 400 code 3 when generateId fails (${name})`, async () => {
      const h = setup({ generateId });
      const res = await h.engine.handle(new Request(engineUrl({ EIO: "4", transport: "polling" })));
      assert.equal(res.status, 400);
      assert.deepEqual(await errorBody(res), { code: 3, message: "Bad request" });
      assert.equal(h.errors.length, 1);
      assert.equal(h.errors[0]!.context.name, "ID_GENERATION_ERROR");
      assert.equal((h.errors[0]!.context.error as Error).message, "boom");
      assert.equal(h.engine.clientsCount, 0);
      finish(h);
    });
  }

  it("sends no cookie by default", async () => {
    const h = setup();
    assert.equal((await handshake(h)).response.headers.get("set-cookie"), null);
    finish(h);
  });

  it("sends the sid cookie with the official defaults when cookie is true", async () => {
    const h = setup({ cookie: true });
    const { sid, response } = await handshake(h);
    assert.equal(response.headers.get("set-cookie"), `io=${sid}; Path=/; HttpOnly; SameSite=Lax`);
    // only the handshake sets it
    const next = poll(h, sid);
    h.engine.clients().next().value!.send("x");
    assert.equal((await next.promise).headers.get("set-cookie"), null);
    finish(h);
  });

  it("serializes custom cookie options", async () => {
    const h = setup({
      cookie: {
        name: "sticky",
        path: "/app",
        httpOnly: false,
        sameSite: "strict",
        secure: true,
        maxAge: 60,
        domain: "example.com",
      },
      generateId: () => "a b",
    });
    const { response } = await handshake(h);
    assert.equal(
      response.headers.get("set-cookie"),
      "sticky=a%20b; Max-Age=60; Domain=example.com; Path=/app; Secure; SameSite=Strict",
    );
    finish(h);
  });

  it("emits initial_headers for the handshake only and headers for every polling answer", async () => {
    const h = setup();
    const initial: string[] = [];
    const every: string[] = [];
    h.engine.on("initial_headers", (headers, req) => {
      initial.push(new URL(req.url).searchParams.get("sid") ?? "handshake");
      headers.set("x-initial", "1");
    });
    h.engine.on("headers", (headers, req) => {
      every.push(req.method);
      headers.set("x-every", "1");
    });
    const { sid, response } = await handshake(h);
    assert.equal(response.headers.get("x-initial"), "1");
    assert.equal(response.headers.get("x-every"), "1");
    const res = await post(h, sid, "4hi");
    assert.equal(res.headers.get("x-every"), "1");
    assert.equal(res.headers.get("x-initial"), null);
    assert.deepEqual(initial, ["handshake"]);
    assert.deepEqual(every, ["GET", "POST"]);
    finish(h);
  });

  it("emits connection once with the session's id, request, remote address and protocol", async () => {
    const h = setup();
    const sockets: EngineSocket[] = [];
    h.engine.on("connection", (s) => sockets.push(s));
    const { sid, socket } = await handshake(h);
    assert.deepEqual(sockets, [socket]);
    assert.equal(socket.id, sid);
    assert.equal(socket.protocol, 4);
    assert.equal(socket.remoteAddress, "127.0.0.1");
    assert.equal(socket.readyState, "open");
    assert.equal(socket.transport.name, "polling");
    assert.equal(new URL(socket.request.url).searchParams.get("transport"), "polling");
    finish(h);
  });

  it("treats an empty sid as a handshake, as the official server does", async () => {
    const h = setup();
    const { sid } = await handshake(h, { sid: "" });
    assert.equal(sid.length, 20);
    finish(h);
  });
});

describe("handshake over WebSocket", () => {
  it("answers with the upgrader's response and sends the open packet as the first frame", async () => {
    const h = setup();
    const sockets: EngineSocket[] = [];
    h.engine.on("connection", (s) => sockets.push(s));
    const res = await h.engine.handle(wsRequest(), h.upgrader.ctx);
    assert.equal(res, h.upgrader.calls[0]!.response);
    assert.equal(sockets.length, 1);
    assert.equal(h.engine.clientsCount, 1);
    const socket = sockets[0]!;
    socket.send("early");
    const ws = h.upgrader.open();
    const frames = ws.take();
    assert.equal(
      frames[0],
      `0{"sid":"${socket.id}","upgrades":[],"pingInterval":25000,` +
        `"pingTimeout":20000,"maxPayload":1000000}`,
    );
    assert.deepEqual(frames.slice(1), ["4early"]);
    assert.equal(socket.transport.name, "websocket");
    finish(h);
    assert.deepEqual(ws.closeCalls, [{ code: undefined, reason: undefined }]);
  });

  it("sends the initialPacket as the second frame", async () => {
    const h = setup({ initialPacket: new Uint8Array([9]) });
    await h.engine.handle(wsRequest(), h.upgrader.ctx);
    const ws = h.upgrader.open();
    const frames = ws.take();
    assert.equal(frames.length, 2);
    assert.deepEqual(frames[1], new Uint8Array([9]));
    finish(h);
  });

  it("emits initial_headers and headers and puts them on the upgrade response", async () => {
    const h = setup();
    const events: string[] = [];
    h.engine.on("initial_headers", (headers) => {
      events.push("initial_headers");
      headers.set("x-initial", "1");
    });
    h.engine.on("headers", (headers) => {
      events.push("headers");
      headers.set("x-every", "1");
    });
    const res = await h.engine.handle(wsRequest(), h.upgrader.ctx);
    assert.deepEqual(events, ["initial_headers", "headers"]);
    assert.equal(res.headers.get("x-initial"), "1");
    assert.equal(res.headers.get("x-every"), "1");
    finish(h);
  });

  it("refuses with a plain 400 when the runtime cannot upgrade", async () => {
    const h = setup();
    const res = await h.engine.handle(wsRequest(), {});
    assert.equal(res.status, 400);
    assert.equal(await res.text(), "Bad request");
    assert.equal(h.errors[0]?.code, 3);
    assert.equal(h.engine.clientsCount, 0);
    finish(h);
  });

  it("refuses with a plain 400 when the upgrader answers something other than a Response", async () => {
    const h = setup();
    // Bun's server.upgrade() answers a boolean
    const upgrade = (() => true) as unknown as () => Response;
    const res = await h.engine.handle(wsRequest(), { upgrade });
    assert.equal(res.status, 400);
    assert.equal(await res.text(), "Bad request");
    assert.equal(h.engine.clientsCount, 0);
    finish(h);
  });

  it("closes a session whose WebSocket never opens at the ping timeout", async () => {
    const h = setup({ pingInterval: 100, pingTimeout: 50 });
    const sockets: EngineSocket[] = [];
    h.engine.on("connection", (s) => sockets.push(s));
    await h.engine.handle(wsRequest(), h.upgrader.ctx);
    const reasons: string[] = [];
    sockets[0]!.on("close", (r) => reasons.push(r));
    h.clock.tick(150);
    await settle();
    assert.deepEqual(reasons, ["ping timeout"]);
    assert.equal(h.engine.clientsCount, 0);
    // the runtime opens it late: it is closed at once
    const ws = h.upgrader.open();
    assert.deepEqual(ws.sent, []);
    assert.equal(ws.closed, true);
    finish(h);
  });
});
