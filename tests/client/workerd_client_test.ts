/**
 * `sio-edge/client` inside workerd (a Worker and a Durable Object, through
 * Miniflare) against the official socket.io server and sio-edge: default
 * transports (polling, then the upgrade), WebSocket only (through `fetch`
 * with `Upgrade: websocket`) and polling only.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorker, type TestWorker } from "../cloudflare/_harness.ts";
import { type RunningServer, targets } from "./_servers.ts";

const CASES: [string, string][] = [["default transports", ""], ["websocket only", "websocket"], [
  "polling only",
  "polling",
]];

describe("client inside workerd", () => {
  let worker: TestWorker;
  const servers: RunningServer[] = [];
  before(async () => {
    worker = await startWorker("_client_worker.ts", {}, { CLIENT_PROBE: "ClientProbe" });
  });
  after(async () => {
    await worker?.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  for (const target of targets().slice(0, 2)) {
    for (const where of ["worker", "object"]) {
      for (const [name, transports] of CASES) {
        it(`in the ${where}, against ${target.name}: ${name}`, async () => {
          const server = servers.find((s) => (s as { name?: string }).name === target.name) ??
            Object.assign(await target.start(), { name: target.name });
          if (!servers.includes(server)) servers.push(server);
          const query = new URLSearchParams({ target: server.url, transports, in: where });
          const res = await fetch(`${worker.url}/run?${query}`);
          const result = await res.json() as Record<string, unknown>;
          assert.equal(result.ok, true, JSON.stringify(result));
          assert.equal(result.transport, transports || "websocket");
          assert.equal(result.text, "héllo");
          assert.deepEqual(result.bytes, [1, 2, 255]);
          assert.equal(result.timedOut, "operation has timed out");
          assert.deepEqual(result.auth, { where });
        });
      }
    }
  }
});
