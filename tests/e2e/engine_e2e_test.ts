/**
 * The Engine.IO server on every runtime against the official
 * `engine.io-client` and raw HTTP: transports, payload sizes, heartbeat, and
 * the protocol's answers to bad input.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { after, before, describe, it } from "node:test";
import type { EngineEvent } from "../_support/apps/engine_echo.ts";
import { connectEngine, type TestEngineClient } from "../_support/eio_client.ts";
import { RUNTIMES, startServer, type TestServer } from "../_support/fixture.ts";
import { openWebSocket } from "../_support/ws_client.ts";

const MAX_HTTP_BUFFER_SIZE = 1_500_000; // 900 KB of binary is 1.2 MB in base64 over polling

/** 1 B, 64 KiB and 900 KB (UTF-8 size), as text (with multi-byte characters) and as bytes. */
function samples(): (string | Uint8Array)[] {
  const text = (n: number) => n < 5 ? "a".repeat(n) : "x".repeat(n - 5) + "é✓"; // 2 + 3 bytes
  const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);
  return [text(1), bytes(1), text(64 * 1024), bytes(64 * 1024), text(900_000), bytes(900_000)];
}

function assertSame(actual: string | Uint8Array, expected: string | Uint8Array, i: number): void {
  if (typeof expected === "string") {
    assert.equal(typeof actual, "string", `message ${i} should be text`);
    assert.ok(actual === expected, `message ${i}: text of ${expected.length} chars differs`);
  } else {
    assert.ok(actual instanceof Uint8Array, `message ${i} should be binary`);
    assert.equal(
      Buffer.compare(actual, expected),
      0,
      `message ${i}: ${expected.length} bytes differ`,
    );
  }
}

async function echoesInOrder(client: TestEngineClient): Promise<void> {
  const sent = samples();
  for (const message of sent) client.socket.send(message);
  for (let i = 0; i < sent.length; i++) assertSame(await client.nextMessage(), sent[i]!, i);
}

async function events(server: TestServer): Promise<EngineEvent[]> {
  return await (await fetch(`${server.url}/events`)).json();
}

/** Waits (bounded) for the server to report that session `sid` closed; returns the reason. */
async function closeReason(server: TestServer, sid: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const closed = (await events(server)).find((e) => e.sid === sid && e.event === "close");
    if (closed?.event === "close") return closed.reason;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`session ${sid} did not close`);
}

for (const runtime of RUNTIMES) {
  describe(`engine end to end on ${runtime}`, () => {
    let server: TestServer;
    let base: string;

    before(async () => {
      server = await startServer(runtime, "engine_echo", {
        SIO_MAX_HTTP_BUFFER_SIZE: String(MAX_HTTP_BUFFER_SIZE),
      });
      base = `${server.url}/engine.io/`;
    });
    after(() => server?.close());

    it("connects with default options over polling, then upgrades to websocket", async () => {
      const client = await connectEngine(server.url);
      try {
        assert.equal(client.openedOn, "polling");
        await client.transportBecomes("websocket");
        const sid = client.socket.id!;
        const opened = (await events(server)).find((e) => e.sid === sid);
        assert.deepEqual(opened, {
          engine: "main",
          sid,
          event: "connection",
          transport: "polling",
          remoteAddress: "127.0.0.1",
        });
        await echoesInOrder(client);
      } finally {
        client.close();
      }
    });

    it("echoes 1 B, 64 KiB and 900 KB text and binary in order over websocket only", async () => {
      const client = await connectEngine(server.url, { transports: ["websocket"] });
      try {
        assert.equal(client.openedOn, "websocket");
        await echoesInOrder(client);
      } finally {
        client.close();
      }
    });

    it("echoes 1 B, 64 KiB and 900 KB text and binary in order over polling only", async () => {
      const client = await connectEngine(server.url, { transports: ["polling"] });
      try {
        await echoesInOrder(client);
        assert.equal(client.socket.transport.name, "polling");
      } finally {
        client.close();
      }
    });

    it("drops a WebSocket client that stops answering pings, with reason ping timeout", async () => {
      const ws = await openWebSocket(
        `ws://127.0.0.1:${server.port}/fast/?EIO=4&transport=websocket`,
      );
      const open = await ws.nextMessage() as string;
      assert.match(open, /^0\{/);
      const { sid, pingInterval, pingTimeout } = JSON.parse(open.slice(1));
      assert.deepEqual([pingInterval, pingTimeout], [300, 200]);
      const start = Date.now();
      assert.equal(await ws.nextMessage(), "2"); // the ping, never answered
      const closed = await ws.next(3_000);
      assert.equal(closed.type, "close");
      const elapsed = Date.now() - start;
      assert.ok(elapsed >= 400 && elapsed < 1_500, `dropped after ${elapsed} ms`);
      assert.equal(await closeReason(server, sid), "ping timeout");
    });

    it("drops a polling client that stops answering pings, with reason ping timeout", async () => {
      const res = await fetch(`${server.url}/fast/?EIO=4&transport=polling`);
      const { sid } = JSON.parse((await res.text()).slice(1));
      assert.equal(await closeReason(server, sid), "ping timeout");
    });

    it("keeps a client that answers pings past several ping periods", async () => {
      const client = await connectEngine(`${server.url}`, { path: "/fast/" });
      try {
        await new Promise((r) => setTimeout(r, 1_200)); // over two pingInterval + pingTimeout
        client.socket.send("alive");
        assert.equal(await client.nextMessage(), "alive");
        const sid = client.socket.id!;
        assert.ok(!(await events(server)).some((e) => e.sid === sid && e.event === "close"));
      } finally {
        client.close();
      }
    });

    describe("bad input", () => {
      let healthy: TestEngineClient;

      before(async () => {
        healthy = await connectEngine(server.url, { transports: ["websocket"] });
      });
      after(() => healthy?.close());

      async function stillWorks(): Promise<void> {
        healthy.socket.send("still here");
        assert.equal(await healthy.nextMessage(), "still here");
      }

      async function handshake(): Promise<string> {
        const text = await (await fetch(`${base}?EIO=4&transport=polling`)).text();
        return JSON.parse(text.slice(1)).sid;
      }

      async function expectError(
        url: string,
        init: RequestInit,
        status: number,
        body: string,
      ): Promise<void> {
        const res = await fetch(url, init);
        assert.equal(res.status, status);
        assert.equal(await res.text(), body);
      }

      it("answers 400 code 0 to an unknown transport", async () => {
        await expectError(
          `${base}?EIO=4&transport=tobi`,
          {},
          400,
          `{"code":0,"message":"Transport unknown"}`,
        );
        await stillWorks();
      });

      it("answers 400 code 5 to a missing EIO and to EIO=3", async () => {
        const body = `{"code":5,"message":"Unsupported protocol version"}`;
        await expectError(`${base}?transport=polling`, {}, 400, body);
        await expectError(`${base}?EIO=3&transport=polling`, {}, 400, body);
        await stillWorks();
      });

      it("answers 400 code 1 to an unknown sid", async () => {
        const url = `${base}?EIO=4&transport=polling&sid=nope`;
        await expectError(url, {}, 400, `{"code":1,"message":"Session ID unknown"}`);
        await stillWorks();
      });

      it("answers 400 code 2 to a handshake that is not a GET", async () => {
        const url = `${base}?EIO=4&transport=polling`;
        await expectError(
          url,
          { method: "POST", body: "x" },
          400,
          `{"code":2,"message":"Bad handshake method"}`,
        );
        await stillWorks();
      });

      it("answers 400 code 3 to a websocket handshake without an upgrade", async () => {
        await expectError(
          `${base}?EIO=4&transport=websocket`,
          {},
          400,
          `{"code":3,"message":"Bad request"}`,
        );
        await stillWorks();
      });

      it("answers 500 with an empty body to a PUT with a valid sid", async () => {
        const sid = await handshake();
        await expectError(
          `${base}?EIO=4&transport=polling&sid=${sid}`,
          { method: "PUT", body: "x" },
          500,
          "",
        );
        await stillWorks();
      });

      it("answers 413 to a POST over maxHttpBufferSize", async () => {
        const sid = await handshake();
        const res = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, {
          method: "POST",
          body: "4" + "x".repeat(MAX_HTTP_BUFFER_SIZE + 1),
        });
        assert.equal(res.status, 413);
        await res.body?.cancel();
        await stillWorks();
      });

      it("closes the session with reason parse error on a malformed payload", async () => {
        const sid = await handshake();
        const res = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, {
          method: "POST",
          body: "4hello\x1e!!",
        });
        assert.equal(res.status, 200);
        assert.equal(await res.text(), "ok");
        assert.equal(await closeReason(server, sid), "parse error");
        await stillWorks();
      });

      it("closes the session on a binary (octet-stream) POST body", async () => {
        const sid = await handshake();
        const res = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, {
          method: "POST",
          body: new Uint8Array([4, 1, 2, 3]),
          headers: { "content-type": "application/octet-stream" },
        });
        assert.equal(res.status, 400);
        await res.body?.cancel();
        assert.equal(await closeReason(server, sid), "transport error");
        await stillWorks();
      });

      it("answers 400 to an overlapping GET and closes the session", async () => {
        const sid = await handshake();
        const url = `${base}?EIO=4&transport=polling&sid=${sid}`;
        const parked = fetch(url).then((res) => res.text());
        await new Promise((r) => setTimeout(r, 100)); // let the first GET park
        const second = await fetch(url);
        assert.equal(second.status, 400);
        await second.body?.cancel();
        assert.equal(await closeReason(server, sid), "transport error");
        await parked; // answered, not left hanging
        await stillWorks();
      });

      it("closes the session with transport error when the client abandons a parked GET", async () => {
        const sid = await handshake();
        const controller = new AbortController();
        const parked = fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, {
          signal: controller.signal,
        }).catch(() => "aborted");
        await new Promise((r) => setTimeout(r, 100)); // let the GET park
        controller.abort();
        assert.equal(await parked, "aborted");
        assert.equal(await closeReason(server, sid), "transport error");
        await stillWorks();
      });
    });
  });
}
