/**
 * The engine hooks a hibernating host relies on, in process with fake
 * clocks and sockets: `EngineSocket.resume()` takes a session over without an
 * open packet and carries the heartbeat on from its recorded phase,
 * `EngineSocket.heartbeat` tells that phase, and the `heartbeatClock` option
 * keeps the heartbeat apart from every other timer.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, it } from "node:test";
import { FakeClock } from "../_support/fake_clock.ts";
import { FakeWebSocket } from "../_support/fake_websocket.ts";
import { EngineSocket, type SessionSettings } from "../../src/engine/socket.ts";
import { EngineServer } from "../../src/engine/server.ts";
import { WebSocketTransport } from "../../src/engine/websocket.ts";

const PING_INTERVAL = 25_000;
const PING_TIMEOUT = 20_000;

function resumed(phase: "ping" | "pong", sinceAgo: number) {
  const clock = new FakeClock();
  const heartbeatClock = new FakeClock(clock.now());
  const settings: SessionSettings = {
    pingInterval: PING_INTERVAL,
    pingTimeout: PING_TIMEOUT,
    upgradeTimeout: 10_000,
    maxPayload: 1e6,
    upgrades: [],
    initialPacket: "never again",
    clock,
    heartbeatClock,
  };
  const ws = new FakeWebSocket();
  const transport = new WebSocketTransport(1e6);
  transport.events.onOpen(ws);
  const session = new EngineSocket("sid", new Request("http://h/"), "", transport, settings);
  const closes: string[] = [];
  session.on("close", (reason) => closes.push(reason));
  session.resume({ phase, since: heartbeatClock.now() - sinceAgo });
  return { session, ws, clock, heartbeatClock, closes, transport };
}

describe("EngineSocket.resume", () => {
  it("opens the session without an open packet (nor the initial packet)", () => {
    const { session, ws } = resumed("ping", 0);
    assert.equal(session.readyState, "open");
    assert.deepEqual(ws.sent, []);
    session.send("after");
    assert.deepEqual(ws.take(), ["4after"]);
  });

  it('phase "ping": the next ping goes out pingInterval after `since`, on the heartbeat clock', () => {
    const { ws, clock, heartbeatClock } = resumed("ping", 10_000);
    assert.equal(clock.pending, 0, "no heartbeat timer on the ordinary clock");
    heartbeatClock.tick(PING_INTERVAL - 10_000 - 1);
    assert.deepEqual(ws.take(), []);
    heartbeatClock.tick(1);
    assert.deepEqual(ws.take(), ["2"]);
  });

  it('phase "pong": without a pong the session closes pingTimeout after `since`', () => {
    const { ws, heartbeatClock, closes } = resumed("pong", 15_000);
    heartbeatClock.tick(PING_TIMEOUT - 15_000 - 1);
    assert.deepEqual(closes, []);
    heartbeatClock.tick(1);
    assert.deepEqual(closes, ["ping timeout"]);
    assert.deepEqual(ws.sent, [], "no second ping");
  });

  it('phase "pong": the pong to the ping sent before the wake-up keeps the session', () => {
    const { ws, heartbeatClock, closes, transport } = resumed("pong", 15_000);
    transport.events.onMessage("3");
    heartbeatClock.tick(PING_TIMEOUT);
    assert.deepEqual(closes, []);
    heartbeatClock.tick(PING_INTERVAL - PING_TIMEOUT);
    assert.deepEqual(ws.take(), ["2"]);
  });

  it("an overdue heartbeat acts at once", () => {
    const late = resumed("ping", PING_INTERVAL + 5_000);
    late.heartbeatClock.tick(0);
    assert.deepEqual(late.ws.take(), ["2"]);
    const dead = resumed("pong", PING_TIMEOUT + 5_000);
    dead.heartbeatClock.tick(0);
    assert.deepEqual(dead.closes, ["ping timeout"]);
  });

  it("a session that was opened cannot be resumed (TypeError)", () => {
    const { session } = resumed("ping", 0);
    assert.throws(() => session.resume({ phase: "ping", since: 0 }), TypeError);
  });
});

describe("EngineSocket.heartbeat", () => {
  it("follows each step: pong awaited from the ping, next ping due from the pong", () => {
    const { session, heartbeatClock, transport } = resumed("ping", 0);
    const start = heartbeatClock.now();
    assert.deepEqual(session.heartbeat, { phase: "ping", since: start });
    heartbeatClock.tick(PING_INTERVAL);
    assert.deepEqual(session.heartbeat, { phase: "pong", since: start + PING_INTERVAL });
    heartbeatClock.tick(40);
    transport.events.onMessage("3");
    assert.deepEqual(session.heartbeat, { phase: "ping", since: start + PING_INTERVAL + 40 });
  });
});

describe("EngineServer.adopt", () => {
  for (const [query, binary] of [["&b64=1", "bAQID"], ["", "010203"]] as const) {
    it(`keeps the session's ${query ? "b64=1 (binary as base64 text)" : "binary frames"}`, () => {
      const engine = new EngineServer({ pingInterval: 60_000, pingTimeout: 60_000 });
      const ws = new FakeWebSocket();
      const session = engine.adopt(
        {
          sid: "sid",
          request: {
            url: `http://h/engine.io/?EIO=4&transport=websocket${query}`,
            method: "GET",
            headers: [],
          },
          remoteAddress: "",
          heartbeat: { phase: "ping", since: Date.now() },
        },
        (events) => events.onOpen(ws),
      );
      session.send(new Uint8Array([1, 2, 3]));
      const frame = ws.sent.at(-1);
      assert.equal(
        typeof frame === "string" ? frame : Buffer.from(frame!).toString("hex"),
        binary,
      );
      engine.close();
    });
  }
});

describe("heartbeatClock option", () => {
  it("the heartbeat runs on it; the ordinary clock keeps the other timers", async () => {
    const clock = new FakeClock();
    const heartbeatClock = new FakeClock(clock.now());
    const engine = new EngineServer({
      clock,
      heartbeatClock,
      pingInterval: 1_000,
      pingTimeout: 500,
    });
    const res = await engine.handle(new Request("http://h/engine.io/?EIO=4&transport=polling"));
    assert.equal(res.status, 200);
    await res.text();
    assert.deepEqual(heartbeatClock.delays, [1_000]);
    assert.deepEqual(clock.delays, []);
    const [session] = [...engine.clients()];
    const closes: string[] = [];
    session!.on("close", (reason) => closes.push(reason));
    heartbeatClock.tick(1_000 + 500);
    assert.deepEqual(closes, ["ping timeout"]);
    engine.close();
  });
});
