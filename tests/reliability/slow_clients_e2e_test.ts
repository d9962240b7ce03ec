/**
 * Issue 15, findings 2–4, end to end on Deno, Bun and Node: a trickling
 * POST body is cut after `bodyTimeout` or when its session ends; idle
 * connections are closed where the runtime allows it; a client that stops
 * reading while the server broadcasts is dropped at `maxBufferedBytes`
 * without growing the server's memory.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Runtime, RUNTIMES, startServer, type TestServer } from "../_support/fixture.ts";
import { heldFor, rawWebSocket, stats, wsConnect } from "./_hostile.ts";

const MAX_BUFFERED = 2_000_000;

function stalledPost(port: number, sid: string): string {
  return `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\n` +
    `Host: 127.0.0.1:${port}\r\nContent-Type: text/plain;charset=UTF-8\r\n` +
    "Content-Length: 100\r\n\r\n";
}

async function handshake(url: string): Promise<string> {
  const body = await (await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).text();
  return (JSON.parse(body.slice(1)) as { sid: string }).sid;
}

for (const runtime of RUNTIMES) {
  describe(`slow and stalled clients on ${runtime}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(runtime, "hostile", {
        SIO_BODY_TIMEOUT: "1000",
        SIO_MAX_BUFFERED: String(MAX_BUFFERED),
        SIO_SERVE_OPTIONS: JSON.stringify({
          headersTimeout: 1000,
          keepAliveTimeout: 1000,
          idleTimeout: 2000,
        }),
      });
    });
    after(() => server?.close());

    it("a POST declaring 100 bytes and sending 10 is cut after bodyTimeout", async () => {
      const sid = await handshake(server.url);
      const held = await heldFor(server.port, stalledPost(server.port, sid), "4123456789", 10_000);
      assert.ok(held.ms < 4_000, `held ${held.ms} ms`);
      if (held.status !== undefined) assert.equal(held.status, 408);
    });

    const keepsStalled = runtime === "deno"
      ? "Deno.serve keeps a connection whose body is unread open (SECURITY.md)"
      : false;
    it("the 408 for a stalled POST also ends its TCP connection", {
      skip: keepsStalled,
    }, async () => {
      // the runtime's own timeouts at their defaults (Bun's idleTimeout 120 s, Node's
      // keepAliveTimeout 5 s), so only the answer's Connection: close can end it this soon
      const other = await startServer(runtime, "hostile", { SIO_BODY_TIMEOUT: "1000" });
      try {
        const sid = await handshake(other.url);
        const held = await heldFor(
          other.port,
          stalledPost(other.port, sid),
          "4123456789",
          10_000,
          true,
        );
        assert.equal(held.closed, true, `still open after ${held.ms} ms`);
        assert.ok(held.ms < 4_000, `held ${held.ms} ms`);
      } finally {
        await other.close();
      }
    });

    it("a stalled body read ends with its session", async () => {
      const other = await startServer(runtime, "hostile", {
        SIO_PING_INTERVAL: "300",
        SIO_PING_TIMEOUT: "300",
      });
      try {
        const sid = await handshake(other.url);
        const held = await heldFor(other.port, stalledPost(other.port, sid), "4123", 10_000);
        // the session misses its pong 600 ms in (no GET carries the ping)
        assert.ok(held.ms < 3_000, `held ${held.ms} ms`);
      } finally {
        await other.close();
      }
    });

    const idle: [string, string, Runtime[]][] = [
      ["a silent TCP connection", "", ["node"]],
      ["an unterminated request head", "GET / HTTP/1.1\r\nHost: x\r\n", ["node"]],
      ["an idle keep-alive connection", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", ["node", "bun"]],
    ];
    for (const [what, head, where] of idle) {
      const skip = where.includes(runtime)
        ? false
        : `${runtime}'s server has no such timeout (SECURITY.md)`;
      it(`${what} is closed`, { skip }, async () => {
        const held = await heldFor(server.port, head, "", 10_000, true);
        assert.equal(held.closed, true, `still open after ${held.ms} ms`);
        assert.ok(held.ms < 6_000, `held ${held.ms} ms`);
      });
    }

    it("a client that stops reading is dropped at maxBufferedBytes", async () => {
      const before = await stats(server.url);
      const paused = await rawWebSocket(server.port);
      const sender = await wsConnect(server.url);
      const chunk = "x".repeat(64 * 1024);
      let acks = 0;
      let sessions = Infinity;
      const started = Date.now();
      // 64 KiB broadcasts, one per acknowledgement, until the paused client is gone
      for (let i = 0; i < 2_000 && Date.now() - started < 15_000; i++) {
        sender.socket.send(`42${i}["bcast","${chunk}",1]`);
        for (;;) {
          const m = await sender.nextMessage(10_000);
          if (typeof m === "string" && m.startsWith(`43${i}`)) break;
        }
        acks++;
        if (i % 50 === 49) {
          sessions = (await stats(server.url)).sessions;
          if (sessions <= before.sessions + 1) break;
        }
      }
      const dropMs = Date.now() - started;
      const after = await stats(server.url);
      await sender.close();
      paused.socket.destroy();
      assert.ok(
        sessions <= before.sessions + 1,
        `the paused client was not dropped (${acks} sent)`,
      );
      // what one client may hold is bounded: the server grew by far less than it was sent
      const grown = after.rss - before.rss;
      assert.ok(acks * chunk.length > MAX_BUFFERED, `only ${acks} broadcasts needed`);
      assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown} bytes`);
      assert.ok(dropMs < 15_000, `dropped after ${dropMs} ms`);
    });
  });
}
