/**
 * The Hono middleware with the Workers router of `sio-edge/cloudflare`: in
 * process with a fake router, then in workerd (through Miniflare), where a
 * Hono app mounts the Durable Object router with `socketIo()`, Hono's cors()
 * runs around it, and the official socket.io-client connects over every
 * transport.
 */

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Socket } from "socket.io-client";
import { Hono } from "hono";
import { socketIo } from "../../src/integrations/hono.ts";
import { startWorker, type TestWorker } from "../cloudflare/_harness.ts";
import { type ClientOptions, connectClient, request, within } from "../_support/sio_client.ts";

const TRANSPORTS: [string, ClientOptions, string][] = [
  ["polling only", { transports: ["polling"] }, "polling"],
  ["websocket only", { transports: ["websocket"] }, "websocket"],
  ["polling then websocket", {}, "websocket"],
];

describe("socketIo() with the Workers router, in workerd", () => {
  let worker: TestWorker;
  let clients: Socket[] = [];

  before(async () => {
    // the harness serves modules of tests/cloudflare/; this one lives next door
    worker = await startWorker("../integrations/_hono_worker.ts");
  });
  after(() => worker?.close());
  afterEach(() => {
    for (const client of clients) client.close();
    clients = [];
  });

  it("falls through to Hono's routes", async () => {
    const res = await fetch(`${worker.url}/`);
    assert.equal(await res.text(), "home");
    assert.equal(res.headers.get("x-through-hono"), "1");
  });

  it("answers a polling handshake from the object, with Hono's CORS headers", async () => {
    const res = await fetch(`${worker.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: "https://app.example" },
    });
    assert.equal(res.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(res.headers.get("x-through-hono"), "1");
    assert.match(await res.text(), /^0\{"sid"/);
  });

  for (const [mode, opts, transport] of TRANSPORTS) {
    it(`the official client connects over ${mode} and gets acks`, async () => {
      const socket = await connectClient(worker.url, opts);
      clients.push(socket);
      assert.deepEqual(await request(socket, "echo", { n: 1 }), { n: 1 });
      await within(
        (async () => {
          while (socket.io.engine.transport.name !== transport) {
            await new Promise((r) => setTimeout(r, 20));
          }
        })(),
        5_000,
        `the ${transport} transport`,
      );
    });
  }
});

describe("socketIo(): a Worker router (sio-edge/cloudflare)", () => {
  type Call = { url: string; env: unknown; ctx: unknown };
  const fakeRouter = (calls: Call[]) => ({
    fetch(request: Request, env: unknown, ctx?: unknown) {
      calls.push({ url: request.url, env, ctx });
      return Promise.resolve(new Response("from the object"));
    },
  });

  it("passes requests under the path with c.env and the execution context", async () => {
    const calls: Call[] = [];
    const app = new Hono().use(socketIo(fakeRouter(calls)));
    app.get("/", (c) => c.text("page"));
    const env = { SOCKET_IO: {} };
    const executionCtx = { waitUntil() {}, passThroughOnException() {}, props: {} };
    const res = await app.request("/socket.io/?EIO=4&transport=polling", {}, env, executionCtx);
    assert.equal(await res.text(), "from the object");
    assert.equal(calls[0]!.env, env);
    assert.equal(calls[0]!.ctx, executionCtx);
    assert.equal(await (await app.request("/")).text(), "page");
    assert.equal(calls.length, 1);
  });

  it("works without an execution context, and honours the path option", async () => {
    const calls: Call[] = [];
    const app = new Hono().use(socketIo(fakeRouter(calls), { path: "/rt" }));
    app.get("*", (c) => c.text("next"));
    assert.equal(await (await app.request("/rt/?EIO=4")).text(), "from the object");
    assert.equal(calls[0]!.ctx, undefined);
    assert.equal(await (await app.request("/socket.io/")).text(), "next");
  });

  it("answers 500 without details when the router throws", async () => {
    const app = new Hono().use(socketIo({ fetch: () => Promise.reject(new Error("secret")) }));
    const res = await app.request("/socket.io/");
    assert.equal(res.status, 500);
    assert.equal(await res.text(), "");
  });

  it("refuses something that is neither a server nor a router", () => {
    assert.throws(() => socketIo({} as never), TypeError);
  });
});
