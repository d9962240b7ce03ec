/**
 * The Hono middleware, in-process with `app.request()`: routing, fall-through,
 * Hono's own middleware around it, and the request context it builds from
 * each runtime's `c.env`.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { logger } from "hono/logger";
import { EngineServer } from "../../src/engine/server.ts";
import type { RequestContext, WebSocketEvents, WebSocketLike } from "../../src/engine/ports.ts";
import { type MountableApp, socketIo } from "../../src/integrations/hono.ts";
import { Server } from "../../src/socket/server.ts";

const HANDSHAKE = "/engine.io/?EIO=4&transport=polling";
const WS_HEADERS = {
  connection: "Upgrade",
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};

const engines: EngineServer[] = [];

function newEngine(): EngineServer {
  const engine = new EngineServer();
  engines.push(engine);
  return engine;
}

afterEach(() => {
  for (const engine of engines.splice(0)) engine.close();
});

/** A mountable app that records the request context it was given. */
function recorder(): MountableApp & { seen: RequestContext[] } {
  const seen: RequestContext[] = [];
  return {
    seen,
    maxPayload: 1000,
    matches: (url) => url.pathname.startsWith("/rec/"),
    handle: (_req, ctx = {}) => {
      seen.push(ctx);
      return Promise.resolve(new Response("recorded"));
    },
    close: () => {},
  };
}

describe("socketIo(): routing", () => {
  it("answers requests under the server's path", async () => {
    const app = new Hono().use(socketIo(newEngine()));
    const res = await app.request(HANDSHAKE);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^0\{"sid":"[^"]+"/);
  });

  it("falls through to next() for other paths", async () => {
    const app = new Hono().use(socketIo(newEngine()));
    app.get("/", (c) => c.text("home"));
    app.get("/engine.io.txt", (c) => c.text("not the engine"));
    assert.equal(await (await app.request("/")).text(), "home");
    assert.equal(await (await app.request("/engine.io.txt")).text(), "not the engine");
    assert.equal((await app.request("/missing")).status, 404);
  });

  it("shadows routes registered under its path", async () => {
    const app = new Hono().use(socketIo(newEngine()));
    app.get("/engine.io/*", (c) => c.text("shadowed"));
    const res = await app.request("/engine.io/?transport=nope");
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { code: 0, message: "Transport unknown" });
  });

  it("works mounted on a route pattern and behind app.route()", async () => {
    const engine = newEngine();
    const app = new Hono();
    app.use("/engine.io/*", socketIo(engine));
    app.route("/api", new Hono().get("/x", (c) => c.text("api")));
    assert.match(await (await app.request(HANDSHAKE)).text(), /^0\{/);
    assert.equal(await (await app.request("/api/x")).text(), "api");
  });

  it("keeps a session across requests (handshake, then a polling POST and GET)", async () => {
    const engine = newEngine();
    engine.on("connection", (socket) => socket.on("message", (m) => socket.send(`echo ${m}`)));
    const app = new Hono().use(socketIo(engine));
    const open = await (await app.request(HANDSHAKE)).text();
    const { sid } = JSON.parse(open.slice(1));
    const url = `${HANDSHAKE}&sid=${sid}`;
    const post = await app.request(url, { method: "POST", body: "4hi" });
    assert.equal(await post.text(), "ok");
    assert.equal(await (await app.request(url)).text(), "4echo hi");
  });

  it("mounts a Socket.IO Server under its path", async () => {
    const io = new Server();
    try {
      const app = new Hono().use(socketIo(io));
      app.get("/", (c) => c.text("home"));
      assert.match(await (await app.request("/socket.io/?EIO=4&transport=polling")).text(), /^0\{/);
      assert.equal(await (await app.request("/")).text(), "home");
      // serveClient: the client bundle comes through the middleware too
      const client = await app.request("/socket.io/socket.io.min.js", {
        headers: { "accept-encoding": "gzip" },
      });
      assert.equal(client.status, 200);
      assert.equal(client.headers.get("content-type"), "application/javascript; charset=utf-8");
      assert.equal(client.headers.get("content-encoding"), "gzip");
      assert.match(client.headers.get("etag") ?? "", /^"4\.\d+\.\d+-[0-9a-f]{16}-gzip"$/);
      await client.body?.cancel();
    } finally {
      await io.close();
    }
  });

  it("finds the app's URLs by matches(), its engine, or path()", async () => {
    const answer = () => Promise.resolve(new Response("app"));
    const base = { maxPayload: 1, handle: answer, close: () => {} };
    const byPath = new Hono().use(socketIo({ ...base, path: () => "/rt" }));
    byPath.get("*", (c) => c.text("next"));
    assert.equal(await (await byPath.request("/rt")).text(), "app");
    assert.equal(await (await byPath.request("/rt/x")).text(), "app");
    assert.equal(await (await byPath.request("/rtx")).text(), "next");
    const byEngine = new Hono().use(socketIo({ ...base, engine: newEngine() }));
    byEngine.get("*", (c) => c.text("next"));
    assert.equal(await (await byEngine.request("/engine.io/")).text(), "app");
    assert.equal(await (await byEngine.request("/other")).text(), "next");
    assert.throws(() => socketIo(base), TypeError);
  });

  it("answers 500 without details when the mounted app throws", async () => {
    const app = new Hono().use(socketIo({
      ...recorder(),
      handle: () => Promise.reject(new Error("secret")),
    }));
    const res = await app.request("/rec/x");
    assert.equal(res.status, 500);
    assert.equal(await res.text(), "");
  });
});

describe("socketIo(): Hono's middleware around it", () => {
  it("cors() adds its headers to the engine's answers and answers preflights", async () => {
    const app = new Hono();
    app.use(cors({ origin: "https://app.example", credentials: true }));
    app.use(socketIo(newEngine()));
    const res = await app.request(HANDSHAKE, { headers: { origin: "https://app.example" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    assert.match(await res.text(), /^0\{/);
    const preflight = await app.request(HANDSHAKE, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example");
  });

  it("logger() logs the engine's requests like any other", async () => {
    const lines: string[] = [];
    const app = new Hono();
    app.use(logger((line) => lines.push(line)));
    app.use(socketIo(newEngine()));
    app.get("/", (c) => c.text("home"));
    await (await app.request(HANDSHAKE)).text();
    await (await app.request("/")).text();
    const done = lines.filter((line) => line.startsWith("-->"));
    assert.equal(done.length, 2);
    assert.match(done[0]!, /--> GET \/engine\.io\/\S* .*200/);
    assert.match(done[1]!, /--> GET \/ .*200/);
  });

  it("middleware registered after it does not run for the engine's paths", async () => {
    let ran = 0;
    const app = new Hono().use(socketIo(newEngine()));
    app.use(async (_c, next) => {
      ran++;
      await next();
    });
    app.get("/", (c) => c.text("home"));
    await (await app.request(HANDSHAKE)).text();
    assert.equal(ran, 0);
    await (await app.request("/")).text();
    assert.equal(ran, 1);
  });
});

describe("socketIo(): the request context from c.env", () => {
  it("without a runtime, a WebSocket handshake gets the engine's 400 Bad request", async () => {
    const app = new Hono().use(socketIo(newEngine()));
    const res = await app.request("/engine.io/?EIO=4&transport=websocket", {
      headers: WS_HEADERS,
    });
    assert.equal(res.status, 400);
    assert.equal(await res.text(), "Bad request");
  });

  it("Bun: upgrades through c.env's server with the data sio-edge/bun expects", async () => {
    const rec = recorder();
    const upgrades: { data: { events: WebSocketEvents } }[] = [];
    const server = {
      upgrade: (_req: Request, options: { data: { events: WebSocketEvents } }) => {
        upgrades.push(options);
        return true;
      },
      requestIP: () => ({ address: "10.0.0.7" }),
    };
    const app = new Hono().use(socketIo(rec));
    await app.request("/rec/x", {}, server);
    const ctx = rec.seen[0]!;
    assert.equal(ctx.remoteAddress, "10.0.0.7");
    const opened: WebSocketLike[] = [];
    const events: WebSocketEvents = {
      onOpen: (ws) => opened.push(ws),
      onMessage: () => {},
      onClose: () => {},
      onError: () => {},
    };
    const res = ctx.upgrade!(new Request("http://x/rec/x"), events);
    assert.equal(res?.status, 200); // a placeholder: Bun writes the 101
    assert.equal(upgrades.length, 1);
    assert.equal(typeof upgrades[0]!.data.events.onOpen, "function");
    // a second upgrade of the same request is refused
    assert.equal(ctx.upgrade!(new Request("http://x/rec/x"), events), undefined);
  });

  it("Bun: reads the server from c.env.server as well", async () => {
    const rec = recorder();
    const server = { upgrade: () => false, requestIP: () => ({ address: "::1" }) };
    await new Hono().use(socketIo(rec)).request("/rec/x", {}, { server });
    assert.equal(rec.seen[0]!.remoteAddress, "::1");
    assert.equal(rec.seen[0]!.upgrade!(new Request("http://x/"), {} as WebSocketEvents), undefined);
  });

  it("Deno: takes the peer from the serve info and offers an upgrader", async () => {
    const rec = recorder();
    const info = { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 5000 } };
    await new Hono().use(socketIo(rec)).request("/rec/x", {}, info);
    assert.equal(rec.seen[0]!.remoteAddress, "192.0.2.1");
    assert.equal(typeof rec.seen[0]!.upgrade, "function");
  });

  it("@hono/node-server: takes the peer from the incoming message, no upgrader", async () => {
    const rec = recorder();
    const env = { incoming: { socket: { remoteAddress: "198.51.100.2" } }, outgoing: {} };
    await new Hono().use(socketIo(rec)).request("/rec/x", {}, env);
    assert.deepEqual(rec.seen[0], { remoteAddress: "198.51.100.2" });
  });

  it("other bindings (e.g. a Worker's env) give an empty context", async () => {
    const rec = recorder();
    await new Hono().use(socketIo(rec)).request("/rec/x", {}, { MY_KV: {}, DEBUG: "x" });
    assert.deepEqual(rec.seen[0], {});
  });

  it("the context option replaces the detection, e.g. to upgrade on Workers", async () => {
    const engine = newEngine();
    const sent: (string | Uint8Array)[] = [];
    const fakeSocket: WebSocketLike = { send: (d) => sent.push(d), close: () => {}, readyState: 1 };
    const app = new Hono<{ Bindings: { tag: string } }>().use(socketIo(engine, {
      context: (c) => ({
        remoteAddress: c.env.tag,
        upgrade: (_req, events) => {
          events.onOpen(fakeSocket);
          return new Response("upgraded");
        },
      }),
    }));
    const res = await app.request("/engine.io/?EIO=4&transport=websocket", {
      headers: WS_HEADERS,
    }, { tag: "203.0.113.9" });
    assert.equal(await res.text(), "upgraded");
    assert.match(String(sent[0]), /^0\{"sid":/);
    assert.equal([...engine.clients()][0]?.remoteAddress, "203.0.113.9");
  });
});
