/**
 * The heartbeat of the Socket.IO Durable Object runs on alarms: a client that
 * stops answering pings is dropped within pingInterval + pingTimeout with
 * reason "ping timeout", and the clients that answer are unaffected.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorker, type TestWorker } from "./_harness.ts";
import type { DisconnectRecord } from "./_worker_app.ts";
import { connectClient, request, requestAll } from "../_support/sio_client.ts";
import { openWebSocket } from "../_support/ws_client.ts";

const PING_INTERVAL = 1_000;
const PING_TIMEOUT = 800;
/** Alarms and the event loop add some latency on a busy machine. */
const SLACK = 1_500;

describe("heartbeat on alarms (workerd)", () => {
  let worker: TestWorker;

  before(async () => {
    worker = await startWorker("_worker_app.ts", {
      PING_INTERVAL: String(PING_INTERVAL),
      PING_TIMEOUT: String(PING_TIMEOUT),
    });
  });
  after(() => worker?.close());

  it("a client that stops answering pings is dropped in time; the others stay", async () => {
    const healthy = await connectClient(worker.url, { transports: ["websocket"] });
    const healthyPolling = await connectClient(worker.url, { transports: ["polling"] });
    let healthyDisconnects = 0;
    for (const c of [healthy, healthyPolling]) c.on("disconnect", () => healthyDisconnects++);

    // a raw client: it connects to "/" and then ignores every ping
    const mute = await openWebSocket(
      `${worker.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`,
    );
    const open = JSON.parse(String(await mute.nextMessage()).slice(1)) as {
      pingInterval: number;
      pingTimeout: number;
    };
    assert.deepEqual([open.pingInterval, open.pingTimeout], [PING_INTERVAL, PING_TIMEOUT]);
    const connectedAt = Date.now();
    mute.socket.send("40");
    const connect = String(await mute.nextMessage());
    const id = (JSON.parse(connect.slice(2)) as { sid: string }).sid;
    try {
      let pings = 0;
      let closedAfter = -1;
      while (closedAfter < 0) {
        const event = await mute.next(PING_INTERVAL + PING_TIMEOUT + SLACK);
        if (event.type === "close") closedAfter = Date.now() - connectedAt;
        else if (event.data === "2") pings++;
      }
      assert.equal(pings, 1, "one unanswered ping, then the end");
      assert.ok(
        closedAfter >= PING_INTERVAL + PING_TIMEOUT - 100,
        `closed too early: ${closedAfter} ms`,
      );
      assert.ok(
        closedAfter <= PING_INTERVAL + PING_TIMEOUT + SLACK,
        `closed too late: ${closedAfter} ms`,
      );

      const log = await request(healthy, "disconnects") as DisconnectRecord[];
      assert.deepEqual(log.filter((r) => r.id === id), [{ nsp: "/", id, reason: "ping timeout" }]);
      // the answering clients went through several heartbeats meanwhile
      assert.deepEqual(await requestAll(healthy, "echo", "alive"), ["alive"]);
      assert.deepEqual(await requestAll(healthyPolling, "echo", "alive"), ["alive"]);
      assert.equal(healthyDisconnects, 0);
      assert.equal(healthy.connected && healthyPolling.connected, true);
    } finally {
      await mute.close();
      healthy.close();
      healthyPolling.close();
    }
  });
});
