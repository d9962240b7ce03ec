/**
 * `sio-edge/node` in-process, as a Node user runs it: `serve()` and
 * `createNodeHandlers()` on a user's own `http.Server`, with `ws` as client
 * (Node 20 has no global WebSocket). The same file runs under Deno and Bun
 * through their Node compatibility.
 */

import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { WebSocket } from "ws";
import makeEchoApp from "../_support/apps/echo.ts";
import { createNodeHandlers, serve } from "../../src/runtime/node.ts";

type Received = { data: string | Uint8Array } | { code: number };

/** Opens a `ws` client and returns a function that awaits the next event. */
async function connect(url: string): Promise<{ ws: WebSocket; next(): Promise<Received> }> {
  const ws = new WebSocket(url);
  const queue: Received[] = [];
  let wake: (() => void) | undefined;
  const push = (r: Received) => {
    queue.push(r);
    wake?.();
  };
  ws.on(
    "message",
    (data: Uint8Array, isBinary: boolean) =>
      push({ data: isBinary ? new Uint8Array(data) : new TextDecoder().decode(data) }),
  );
  ws.on("close", (code: number) => push({ code }));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return {
    ws,
    async next() {
      const deadline = Date.now() + 5_000;
      while (!queue.length) {
        if (Date.now() > deadline) throw new Error("nothing received within 5 s");
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return queue.shift()!;
    },
  };
}

describe("sio-edge/node in-process", () => {
  it("serve() listens on the given host, echoes over WebSocket, and close() releases everything", async () => {
    const served = await serve(makeEchoApp(), { port: 0, hostname: "127.0.0.1" });
    assert.equal(served.hostname, "127.0.0.1");
    assert.ok(served.port > 0);
    const base = `http://127.0.0.1:${served.port}`;
    try {
      assert.equal(await (await fetch(`${base}/hello`)).text(), "hello GET");
      const client = await connect(`ws://127.0.0.1:${served.port}/ws`);
      assert.deepEqual(await client.next(), { data: "open 127.0.0.1" });
      client.ws.send(new Uint8Array([9, 8, 7]));
      assert.deepEqual(await client.next(), { data: new Uint8Array([9, 8, 7]) });
      const closing = served.close();
      assert.deepEqual(await client.next(), { code: 1000 });
      await closing;
    } finally {
      await served.close();
    }
    await assert.rejects(fetch(`${base}/hello`));
  });

  it("a text sent again right after itself (a broadcast's shared frame) arrives intact", async () => {
    const served = await serve(makeEchoApp(), { port: 0, hostname: "127.0.0.1" });
    try {
      const client = await connect(`ws://127.0.0.1:${served.port}/ws`);
      await client.next();
      // 125 and 126 bytes straddle the 7-bit and 16-bit length forms; "é" is 2 bytes in UTF-8
      const texts = ["short", "x".repeat(125), "é".repeat(63), "y".repeat(1000)];
      for (const text of texts) {
        for (let i = 0; i < 3; i++) client.ws.send(text);
      }
      for (const text of texts) {
        for (let i = 0; i < 3; i++) assert.deepEqual(await client.next(), { data: text });
      }
    } finally {
      await served.close();
    }
  });

  it("close() is idempotent", async () => {
    const served = await serve(makeEchoApp(), { port: 0, hostname: "127.0.0.1" });
    await Promise.all([served.close(), served.close()]);
    await served.close();
  });

  it("createNodeHandlers() serves an app on the user's own http.Server", async () => {
    const handlers = createNodeHandlers(makeEchoApp());
    const server = createServer(handlers.request);
    server.on("upgrade", handlers.upgrade);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const info = await (await fetch(`http://127.0.0.1:${port}/info`)).json();
      assert.equal(info.remoteAddress, "127.0.0.1");
      const client = await connect(`ws://127.0.0.1:${port}/ws`);
      assert.deepEqual(await client.next(), { data: "open 127.0.0.1" });
      client.ws.send("text");
      assert.deepEqual(await client.next(), { data: "text" });
      await handlers.closeWebSockets();
      assert.deepEqual(await client.next(), { code: 1001 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
