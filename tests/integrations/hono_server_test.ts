/**
 * The Hono middleware on a real server, started the way a user starts Hono:
 * `Deno.serve(app.fetch)` under `deno test`, `Bun.serve({ fetch, websocket })`
 * under `bun test`. Covers HTTP fall-through, Hono's cors() and logger()
 * around the engine, a WebSocket-only session and a polling → WebSocket
 * upgrade. (Node upgrades bypass Hono; see src/integrations/hono.ts.)
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { logger } from "hono/logger";
import { EngineServer } from "../../src/engine/server.ts";
import { socketIo } from "../../src/integrations/hono.ts";
import { type BunWebSocketHandlers, createBunHandlers } from "../../src/runtime/bun.ts";
import { openWebSocket, type TestWebSocket } from "../_support/ws_client.ts";

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>;
type Listening = { runtime: string; port: number; stop(): Promise<void> };

interface _Runtimes {
  Bun?: {
    serve(options: {
      port: number;
      hostname: string;
      fetch: Fetch;
      websocket: BunWebSocketHandlers;
    }): { port: number; stop(closeActive?: boolean): Promise<void> };
  };
  Deno?: {
    serve(
      options: { port: number; hostname: string; onListen(): void },
      handler: Fetch,
    ): { addr: { port: number }; shutdown(): Promise<void> };
  };
}

/** Serves a Hono app as its documentation says for the current runtime. */
function listen(fetch: Fetch, engine: EngineServer): Listening | undefined {
  const { Bun, Deno } = globalThis as _Runtimes;
  if (Bun) {
    const { websocket } = createBunHandlers(engine);
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch, websocket });
    return { runtime: "bun", port: server.port, stop: () => server.stop(true) };
  }
  if (Deno) {
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, fetch);
    return { runtime: "deno", port: server.addr.port, stop: () => server.shutdown() };
  }
  return undefined;
}

async function handshake(base: string): Promise<string> {
  const res = await fetch(`${base}/engine.io/?EIO=4&transport=polling`);
  const text = await res.text();
  assert.match(text, /^0\{/);
  return JSON.parse(text.slice(1)).sid;
}

const RUNTIME = (globalThis as _Runtimes).Bun
  ? "bun"
  : (globalThis as _Runtimes).Deno
  ? "deno"
  : "";

describe(`socketIo() on a real ${RUNTIME || "(skipped: no Deno or Bun)"} server`, () => {
  if (!RUNTIME) return;
  const logLines: string[] = [];
  const engine = new EngineServer();
  engine.on("connection", (socket) => socket.on("message", (m) => socket.send(`echo ${m}`)));
  const app = new Hono();
  app.use(logger((line) => logLines.push(line)));
  app.use(cors({ origin: "https://app.example" }));
  app.use(socketIo(engine));
  app.get("/", (c) => c.text("home"));

  let server: Listening;
  let base: string;
  const sockets: TestWebSocket[] = [];

  before(() => {
    server = listen(app.fetch, engine)!;
    base = `http://127.0.0.1:${server.port}`;
  });

  after(async () => {
    await Promise.all(sockets.map((ws) => ws.close()));
    engine.close();
    await server.stop();
  });

  it("falls through to Hono's routes", async () => {
    const res = await fetch(`${base}/`);
    assert.equal(await res.text(), "home");
  });

  it("answers a polling handshake with Hono's CORS headers on it", async () => {
    const res = await fetch(`${base}/engine.io/?EIO=4&transport=polling`, {
      headers: { origin: "https://app.example" },
    });
    assert.equal(res.headers.get("access-control-allow-origin"), "https://app.example");
    assert.match(await res.text(), /^0\{"sid"/);
  });

  it("opens a WebSocket-only session through the runtime's upgrade", async () => {
    const ws = await openWebSocket(
      `ws://127.0.0.1:${server.port}/engine.io/?EIO=4&transport=websocket`,
    );
    sockets.push(ws);
    const open = String(await ws.nextMessage());
    assert.match(open, /^0\{"sid"/);
    ws.socket.send("4hello");
    assert.equal(await ws.nextMessage(), "4echo hello");
    const sid = JSON.parse(open.slice(1)).sid;
    const session = [...engine.clients()].find((s) => s.id === sid);
    assert.equal(session?.remoteAddress, "127.0.0.1");
  });

  it("upgrades a polling session to WebSocket", async () => {
    const sid = await handshake(base);
    const ws = await openWebSocket(
      `ws://127.0.0.1:${server.port}/engine.io/?EIO=4&transport=websocket&sid=${sid}`,
    );
    sockets.push(ws);
    ws.socket.send("2probe");
    assert.equal(await ws.nextMessage(), "3probe");
    ws.socket.send("5");
    ws.socket.send("4after upgrade");
    assert.equal(await ws.nextMessage(), "4echo after upgrade");
    const session = [...engine.clients()].find((s) => s.id === sid);
    assert.equal(session?.transport.name, "websocket");
  });

  it("logger() saw the engine's requests, the WebSocket ones included", () => {
    const done = logLines.filter((line) => line.startsWith("-->"));
    assert.ok(done.some((line) => /GET \/engine\.io\/\?EIO=4&transport=polling /.test(line)));
    assert.ok(done.some((line) => /GET \/engine\.io\/\?EIO=4&transport=websocket/.test(line)));
  });
});
