/**
 * `sio-edge/client` inside workerd (a Worker and a Durable Object, through
 * Miniflare) against the official socket.io server and sio-edge: default
 * transports (polling, then the upgrade), WebSocket only (through `fetch`
 * with `Upgrade: websocket`) and polling only; an engine close recovered
 * (`recovered`, the same id, the missed broadcast) in the Worker and in the
 * object; a server restart with the client kept in the object across
 * requests (reconnection with backoff, the emit buffered while down
 * delivered once, `auth` called on every connection).
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorker, type TestWorker } from "../cloudflare/_harness.ts";
import { type RunningServer, type Target, targets } from "./_servers.ts";

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
  /** The running server of `target`, started on first use. */
  const serverOf = async (target: Target): Promise<RunningServer> => {
    const found = servers.find((s) => (s as { name?: string }).name === target.name);
    if (found) return found;
    const server = Object.assign(await target.start(), { name: target.name });
    servers.push(server);
    return server;
  };
  after(async () => {
    await worker?.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  for (const target of targets().slice(0, 2)) {
    for (const where of ["worker", "object"]) {
      for (const [name, transports] of CASES) {
        it(`in the ${where}, against ${target.name}: ${name}`, async () => {
          const server = await serverOf(target);
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
      for (const transports of ["", "websocket"]) {
        it(`in the ${where}, against ${target.name}: an engine close is recovered (${transports || "default transports"})`, async () => {
          const server = await serverOf(target);
          const query = new URLSearchParams({ target: server.url, transports, in: where });
          const result = await (await fetch(`${worker.url}/recovery?${query}`)).json();
          assert.deepEqual(result, {
            ok: true,
            reason: "transport close",
            recovered: true,
            sameId: true,
            missed: [1, [7]],
          });
        });
      }
    }
    it(`in the object, against ${target.name}: a server restart (backoff, buffered emit delivered once, auth each time)`, async () => {
      let server = await serverOf(target);
      const step = async (name: string) => {
        const query = new URLSearchParams({ target: server.url });
        const result = await (await fetch(`${worker.url}/restart/${name}?${query}`)).json();
        assert.equal(result.ok, true, JSON.stringify(result));
        return result as Record<string, unknown>;
      };
      assert.deepEqual((await step("start")).auth, { n: 1 });
      const port = server.port;
      await server.close();
      servers.splice(servers.indexOf(server), 1);
      const buffered = await step("buffer");
      assert.match(buffered.reason as string, /^transport (close|error)$/);
      assert.equal(buffered.buffered, 1);
      await new Promise((r) => setTimeout(r, 300));
      server = Object.assign(await target.start(port), { name: target.name });
      servers.push(server);
      const done = await step("finish");
      assert.ok((done.attempts as number) >= 1, JSON.stringify(done));
      assert.ok((done.calls as number) >= 2, JSON.stringify(done));
      assert.equal((done.auth as { n: number }).n, done.calls);
      assert.deepEqual(done.received, ["buffered"]);
      assert.equal(done.buffered, 0);
    });
  }
});
