/**
 * Issue 15, finding 2: idle connections that use up the file descriptors
 * (`ulimit -n 256`, 400 connections) must not end the server — on Deno,
 * `Deno.serve`'s accept loop fails with EMFILE and its unhandled rejection
 * used to end the process. The server must survive, keep its open sessions,
 * and serve new clients once descriptors are free again; on Deno, which has
 * no idle timeout, connections that stay are shed after `shedAfter`.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RUNTIMES } from "../_support/fixture.ts";
import { flood, serves, startLimited, wsConnect } from "./_hostile.ts";

for (const runtime of RUNTIMES) {
  describe(`file descriptors exhausted on ${runtime}`, () => {
    it("the server survives, keeps its sessions and serves again", async () => {
      const server = await startLimited(runtime, 256);
      try {
        const kept = await wsConnect(server.url);
        const idle = await flood(server.port, 400);
        await new Promise((r) => setTimeout(r, 1_500));
        assert.ok(server.alive(), `the server died: ${server.stderr()}`);
        idle.destroy();
        // back to normal within 15 s (Node and Bun refuse while their backlog drains)
        let ok = false;
        const started = Date.now();
        while (!ok && Date.now() - started < 15_000) {
          ok = await serves(server.url, undefined, 2_000);
        }
        assert.ok(ok, `no fresh client served within 15 s: ${server.stderr()}`);
        kept.socket.send('421["echo","kept"]');
        let m: string | Uint8Array;
        do m = await kept.nextMessage(5_000); while (m !== '431["kept"]');
        await kept.close();
        assert.ok(server.alive());
      } finally {
        await server.close();
      }
    });

    it("idle connections that stay are shed (Deno: shedAfter), then it serves", {
      skip: runtime === "deno" ? false : "Node and Bun wait for their own timeouts",
    }, async () => {
      const server = await startLimited(runtime, 256, {
        SIO_SERVE_OPTIONS: JSON.stringify({ shedAfter: 1_000 }),
      });
      const idle = await flood(server.port, 400);
      try {
        let ok = false;
        const started = Date.now();
        while (!ok && Date.now() - started < 10_000) {
          ok = await serves(server.url, undefined, 2_000);
        }
        assert.ok(ok, `no fresh client served within 10 s while the flood stays`);
        assert.ok(server.alive());
      } finally {
        idle.destroy();
        await server.close();
      }
    });
  });
}
