/**
 * `src/runtime/deno.ts` in the process, under Deno only: a held polling GET
 * is watched through `Deno.serve`'s inner request (no `req.signal`), and a
 * client that goes away still ends its session.
 */

import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { EngineServer } from "../../src/engine/server.ts";
import type { EngineSocket } from "../../src/engine/socket.ts";
import type { FetchApp, RequestContext } from "../../src/engine/ports.ts";
import { serve, watchClientGone } from "../../src/runtime/deno.ts";

const ON_DENO = "Deno" in globalThis;

async function until(probe: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Opens a polling session and parks a GET of it on a raw TCP connection. */
async function parkedGet(
  port: number,
  engine: EngineServer,
): Promise<{ socket: EngineSocket; client: Socket; reasons: [string, unknown][] }> {
  let socket: EngineSocket | undefined;
  engine.once("connection", (s: EngineSocket) => (socket = s));
  const base = `http://127.0.0.1:${port}/engine.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
  const reasons: [string, unknown][] = [];
  socket!.on("close", (reason, description) => reasons.push([reason, description]));
  const client = connect(port, "127.0.0.1", () => {
    client.write(`GET /engine.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nhost: x\r\n\r\n`);
  });
  client.on("error", () => {});
  await until(
    () => (socket!.transport as unknown as { writable: boolean }).writable,
    "the GET was never held",
  );
  return { socket: socket!, client, reasons };
}

describe("Deno.serve glue (in process)", { skip: !ON_DENO }, () => {
  it("watches a held GET without reading req.signal", async () => {
    const engine = new EngineServer();
    const watched: boolean[] = [];
    let signalRead = 0;
    // the app sees what the engine would: record whether the glue's watch set up
    const app: FetchApp = {
      maxPayload: engine.maxPayload,
      close: () => engine.close(),
      handle(req: Request, ctx?: RequestContext) {
        const watch = ctx?.watchClientGone;
        assert.equal(watch, watchClientGone, "the glue hands its watch to the app");
        const spy = new Proxy(req, {
          get(target, key) {
            if (key === "signal") signalRead++;
            const value = Reflect.get(target, key, target);
            return typeof value === "function" ? value.bind(target) : value;
          },
        });
        // the glue's context keeps its members on the prototype: derive, do not spread
        const spied: RequestContext = Object.create(ctx!, {
          watchClientGone: {
            value: (_r: Request, gone: () => void) => {
              const stop = watch!(req, gone);
              watched.push(stop !== undefined);
              return stop;
            },
          },
        });
        return engine.handle(spy, spied);
      },
    };
    const served = await serve(app, { port: 0, hostname: "127.0.0.1" });
    try {
      const { socket, client, reasons } = await parkedGet(served.port, engine);
      assert.deepEqual(watched, [true, true], "the handshake GET and the held one: both watched");
      assert.equal(signalRead, 0, "req.signal is not read");
      socket.send("x");
      client.destroy();
      assert.equal(reasons.length, 0);
      await socket.close();
    } finally {
      await served.close();
    }
  });

  it("a held polling GET whose client goes away ends the session", async () => {
    const engine = new EngineServer();
    const served = await serve(engine, { port: 0, hostname: "127.0.0.1" });
    try {
      const { client, reasons } = await parkedGet(served.port, engine);
      assert.equal(reasons.length, 0);
      client.destroy();
      await until(() => reasons.length > 0, "the session did not notice the client going away");
      assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
      assert.equal((reasons[0]![1] as Error).message, "poll connection closed prematurely");
      assert.equal(engine.clientsCount, 0);
    } finally {
      await served.close();
    }
  });

  it("an answered GET is not reported gone when Deno completes it", async () => {
    const engine = new EngineServer();
    const served = await serve(engine, { port: 0, hostname: "127.0.0.1" });
    try {
      const { socket, client, reasons } = await parkedGet(served.port, engine);
      let answer = "";
      client.setEncoding("latin1");
      client.on("data", (chunk: string) => (answer += chunk));
      socket.send("hello");
      await until(() => answer.endsWith("4hello"), "the held GET was not answered");
      // Deno's legacy abort calls the inner request's cancel callback on completion too
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(reasons.length, 0, "the session stays open");
      assert.equal(socket.readyState, "open");
      client.destroy();
      socket.close();
    } finally {
      await served.close();
    }
  });

  it("a Request the app made itself falls back to its signal", () => {
    const req = new Request("http://x/engine.io/");
    assert.equal(watchClientGone!(req, () => {}), undefined);
  });
});
