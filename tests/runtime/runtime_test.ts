/**
 * The runtime glue (deno.ts, bun.ts, node.ts) against a hand-written app that
 * uses only the ports: every runtime must behave the same.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MAX_PAYLOAD } from "../_support/apps/echo.ts";
import { RUNTIMES, startServer, type TestServer } from "../_support/fixture.ts";
import { rawRequest } from "../_support/raw_http.ts";
import { openWebSocket } from "../_support/ws_client.ts";

const HANDSHAKE_HEADERS = [
  "Host: 127.0.0.1",
  "Connection: Upgrade",
  "Upgrade: websocket",
  "Sec-WebSocket-Version: 13",
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
].join("\r\n");

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 50; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const runtime of RUNTIMES) {
  describe(`runtime glue on ${runtime}`, () => {
    let server: TestServer;
    let wsUrl: string;

    before(async () => {
      server = await startServer(runtime, "echo");
      wsUrl = `ws://127.0.0.1:${server.port}/ws`;
    });
    after(() => server?.close());

    it("serves HTTP requests through the app", async () => {
      const hello = await fetch(`${server.url}/hello`);
      assert.equal(hello.status, 200);
      assert.equal(await hello.text(), "hello GET");
      const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
      const echo = await fetch(`${server.url}/echo`, {
        method: "POST",
        body: bytes,
        headers: { "content-type": "application/octet-stream" },
      });
      assert.equal(echo.headers.get("content-type"), "application/octet-stream");
      assert.deepEqual(new Uint8Array(await echo.arrayBuffer()), bytes);
    });

    it("fills the request context with the peer address and an upgrader", async () => {
      const info = await (await fetch(`${server.url}/info?x=1`)).json();
      assert.deepEqual(info, {
        remoteAddress: "127.0.0.1",
        canUpgrade: true,
        url: `${server.url}/info?x=1`,
      });
    });

    it("answers 500 with an empty body when the app throws", async () => {
      const res = await fetch(`${server.url}/throw`);
      assert.equal(res.status, 500);
      assert.equal(await res.text(), "");
    });

    it("upgrades a WebSocket and carries text and binary both ways", async () => {
      const ws = await openWebSocket(wsUrl);
      try {
        assert.equal(await ws.nextMessage(), "open 127.0.0.1");
        ws.socket.send("héllo ✓");
        assert.equal(await ws.nextMessage(), "héllo ✓");
        const bytes = new Uint8Array([0, 1, 2, 128, 255]);
        ws.socket.send(bytes);
        assert.deepEqual(await ws.nextMessage(), bytes);
        ws.socket.send(new Uint8Array(0));
        assert.deepEqual(await ws.nextMessage(), new Uint8Array(0));
      } finally {
        await ws.close(4000, "bye");
      }
      const seen = await waitFor(async () => {
        const closed = await (await fetch(`${server.url}/closed`)).json() as { reason: string }[];
        return closed.find((c) => c.reason === "bye") ? closed : undefined;
      }, "the app to see the close");
      assert.equal(seen.filter((c) => c.reason === "bye").length, 1);
      assert.deepEqual(seen.find((c) => c.reason === "bye"), { code: 4000, reason: "bye" });
    });

    it("accepts a message of exactly maxPayload bytes", async () => {
      const ws = await openWebSocket(wsUrl);
      try {
        await ws.nextMessage();
        const text = "é".repeat(MAX_PAYLOAD / 2); // 2 UTF-8 bytes each
        ws.socket.send(text);
        assert.equal(await ws.nextMessage(), text);
        ws.socket.send(new Uint8Array(MAX_PAYLOAD));
        assert.equal((await ws.nextMessage() as Uint8Array).byteLength, MAX_PAYLOAD);
      } finally {
        await ws.close();
      }
    });

    it("closes with 1009 on a binary message over maxPayload, before the app sees it", async () => {
      const ws = await openWebSocket(wsUrl);
      await ws.nextMessage();
      ws.socket.send(new Uint8Array(MAX_PAYLOAD + 1));
      const event = await ws.next();
      assert.equal(event.type, "close");
      assert.equal(event.type === "close" && event.code, 1009);
    });

    it("closes with 1009 on a text message whose UTF-8 size is over maxPayload", async () => {
      const ws = await openWebSocket(wsUrl);
      await ws.nextMessage();
      ws.socket.send("é".repeat(MAX_PAYLOAD / 2 + 1)); // fewer chars than bytes
      const event = await ws.next();
      assert.equal(event.type === "close" && event.code, 1009);
    });

    it("keeps serving when a socket listener throws", async () => {
      const ws = await openWebSocket(wsUrl);
      try {
        await ws.nextMessage();
        ws.socket.send("throw");
        ws.socket.send("still here");
        assert.equal(await ws.nextMessage(), "still here");
        assert.equal((await fetch(`${server.url}/hello`)).status, 200);
      } finally {
        await ws.close();
      }
    });

    it("answers a handshake with the app's error response instead of upgrading", async () => {
      const res = await rawRequest(
        server.port,
        `GET /ws-refused HTTP/1.1\r\n${HANDSHAKE_HEADERS}\r\n\r\n`,
      );
      assert.equal(res.status, 403);
      assert.equal(res.headers["x-refused"], "yes");
      assert.deepEqual(JSON.parse(res.body), { code: 4, message: "Forbidden" });
    });

    it("answers 500 to a handshake when the app throws", async () => {
      const res = await rawRequest(
        server.port,
        `GET /ws-throw HTTP/1.1\r\n${HANDSHAKE_HEADERS}\r\n\r\n`,
      );
      assert.equal(res.status, 500);
      assert.equal(res.body, "");
    });

    it("close() lets the app close its sockets, ends the rest with 1001, and the process exits", async () => {
      const ws = await openWebSocket(wsUrl);
      const kept = await openWebSocket(`${wsUrl}?keep`);
      await ws.nextMessage();
      await kept.nextMessage();
      const exit = await server.shutdown();
      assert.deepEqual(await ws.next(), { type: "close", code: 1000, reason: "app closed" });
      const event = await kept.next();
      assert.equal(event.type === "close" && event.code, 1001);
      assert.equal(exit, 0);
      await assert.rejects(fetch(`${server.url}/hello`));
    });
  });
}
