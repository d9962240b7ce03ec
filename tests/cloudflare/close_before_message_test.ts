/**
 * Workers item 3a: a hibernatable WebSocket that the object closes before
 * its client sent any message gets its close frame, but workerd keeps the
 * TCP connection open (until the object is evicted). First the workerd
 * behaviour itself, on a Worker without sio-edge (`_close_worker.ts`) — these
 * cases fail, as they should, once workerd changes — then sio-edge's design
 * around it (`src/runtime/cloudflare/_socket.ts`): such a close waits for the
 * answer to a ping, so a live client's connection ends at once.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorker, type TestWorker } from "./_harness.ts";
import { until } from "../_support/sio_client.ts";
import { openRawWs, type RawWsLog } from "./_raw_ws.ts";

/** How long a connection may take to end after the close frame, on a loaded machine. */
const PROMPT = 1_500;
/** How long a connection that workerd keeps is watched (the object is evicted ~10 s after). */
const KEPT = 3_000;

describe("a hibernatable WebSocket closed before its first message (workerd)", () => {
  let raw: TestWorker;
  let edge: TestWorker;
  const CONNECT_TIMEOUT = 300;
  const PING_TIMEOUT = 800;

  before(async () => {
    [raw, edge] = await Promise.all([
      startWorker("_close_worker.ts"),
      startWorker("_worker_app.ts", {
        CONNECT_TIMEOUT: String(CONNECT_TIMEOUT),
        PING_TIMEOUT: String(PING_TIMEOUT),
      }),
    ]);
  }, { timeout: 60_000 });
  after(() => Promise.all([raw?.close(), edge?.close()]));

  describe("workerd alone", () => {
    it("closed before any message: the close frame arrives, the TCP connection stays", async () => {
      const ws = await openRawWs(raw.port, "/?accept=hibernatable&after=100", false);
      try {
        const log = await ws.ended(KEPT);
        assert.equal(log.closeFrame?.code, 1000, "the close frame came");
        assert.equal(log.tcpEnd, undefined, `workerd ended the connection at ${log.tcpEnd} ms`);
      } finally {
        ws.destroy();
      }
    });

    it("closed after the client's first message: the TCP connection ends at once", async () => {
      const ws = await openRawWs(raw.port, "/?accept=hibernatable&after=300", false);
      ws.send("hello");
      try {
        const log = await ws.ended(KEPT);
        assertEndedPromptly(log);
      } finally {
        ws.destroy();
      }
    });

    it("accepted without hibernation, closed before any message: it ends at once", async () => {
      const ws = await openRawWs(raw.port, "/?accept=plain&after=100", false);
      try {
        const log = await ws.ended(KEPT);
        assertEndedPromptly(log);
      } finally {
        ws.destroy();
      }
    });
  });

  describe("sio-edge", () => {
    const path = "/socket.io/?EIO=4&transport=websocket";

    it("no CONNECT within connectTimeout: a ping, its pong, then the close ends the connection", async () => {
      const ws = await openRawWs(edge.port, path, true);
      try {
        const log = await ws.ended(CONNECT_TIMEOUT + KEPT);
        assert.deepEqual(log.texts.map((t) => t.slice(0, 1)), ["0", "2"], "open, then a ping");
        assertEndedPromptly(log);
        assert.ok(log.closeFrame.at >= CONNECT_TIMEOUT - 50, `closed early: ${log.closeFrame.at}`);
        assert.ok(
          log.closeFrame.at < CONNECT_TIMEOUT + PROMPT,
          `closed late: ${log.closeFrame.at}`,
        );
      } finally {
        ws.destroy();
      }
    });

    it("a client that answers nothing gets the close frame after pingTimeout more (workerd keeps its TCP)", async () => {
      const ws = await openRawWs(edge.port, path, false);
      try {
        const log = await ws.ended(CONNECT_TIMEOUT + PING_TIMEOUT + KEPT);
        assert.deepEqual(log.texts.map((t) => t.slice(0, 1)), ["0", "2"], "open, then a ping");
        assert.ok(log.closeFrame, "the close frame came");
        const wait = CONNECT_TIMEOUT + PING_TIMEOUT;
        assert.ok(log.closeFrame.at >= wait - 50, `closed early: ${log.closeFrame.at}`);
        assert.ok(log.closeFrame.at < wait + PROMPT, `closed late: ${log.closeFrame.at}`);
        assert.equal(log.tcpEnd, undefined, `workerd ended the connection at ${log.tcpEnd} ms`);
      } finally {
        ws.destroy();
      }
    });

    it("a client that sent its CONNECT is closed at once, its connection ended", async () => {
      const ws = await openRawWs(edge.port, path, true);
      ws.send("40");
      try {
        await until(
          () => ws.log.texts.some((t) => t.startsWith("40")),
          5_000,
          "the CONNECT answer",
        );
        ws.send('42["disconnect-me"]');
        const log = await ws.ended(KEPT);
        assertEndedPromptly(log);
        assert.ok(!log.texts.includes("2"), "no ping before the close");
      } finally {
        ws.destroy();
      }
    });
  });
});

/** The server's close frame came, and the TCP connection ended within {@link PROMPT} of it. */
function assertEndedPromptly(
  log: RawWsLog,
): asserts log is RawWsLog & { closeFrame: { at: number }; tcpEnd: number } {
  assert.ok(log.closeFrame && log.tcpEnd !== undefined, JSON.stringify(log));
  assert.ok(log.tcpEnd - log.closeFrame.at < PROMPT, JSON.stringify(log));
}
