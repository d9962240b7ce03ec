import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Transport } from "../../src/engine/transport.ts";
import type { Frame } from "../_support/fake_websocket.ts";
import {
  closes,
  errorBody,
  finish,
  handshake,
  poll,
  pollingRequest,
  post,
  probe,
  settle,
  setup,
  wsRequest,
} from "./_helpers.ts";
import { hostBytes } from "../_support/host_bytes.ts";

/** The messages (type 4) of a polling payload, in order. */
const payloadMessages = (payload: string) =>
  payload.split("\x1e").filter((p) => p.startsWith("4")).map((p) => p.slice(1));

/** The messages (type 4) among WebSocket frames, in order. */
const frameMessages = (frames: Frame[]) =>
  frames.filter((f): f is string => typeof f === "string" && f.startsWith("4")).map((f) =>
    f.slice(1)
  );

describe("upgrade from polling to WebSocket", () => {
  it("answers 2probe with 3probe, nudges the parked GET with a noop, and switches on 5", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const events: string[] = [];
    socket.on("upgrading", (t: Transport) => events.push(`upgrading:${t.name}`));
    socket.on("upgrade", (t: Transport) => events.push(`upgrade:${t.name}`));
    const get = poll(h, sid);
    const ws = await probe(h, sid);
    assert.deepEqual(events, ["upgrading:websocket"]);
    assert.equal(socket.upgrading, true);
    assert.equal(socket.transport.name, "polling");
    await settle();
    assert.equal(get.settled, false, "no noop before the first 100 ms nudge");
    h.clock.tick(100);
    assert.equal(await get.text(), "6");
    h.upgrader.events.onMessage("5");
    assert.deepEqual(events, ["upgrading:websocket", "upgrade:websocket"]);
    assert.equal(socket.transport.name, "websocket");
    assert.equal(socket.upgrading, false);
    assert.equal(socket.upgraded, true);
    socket.send("over ws");
    assert.deepEqual(ws.take(), ["4over ws"]);
    finish(h);
    assert.equal(ws.closed, true);
  });

  it("loses and duplicates nothing across the switch", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const polled: string[] = [];
    socket.send("m1"); // queued before any GET
    polled.push(...payloadMessages(await poll(h, sid).text()));
    const parked = poll(h, sid);
    socket.send("m2"); // answers the parked GET
    polled.push(...payloadMessages(await parked.text()));

    const res = await h.engine.handle(wsRequest(sid), h.upgrader.ctx);
    assert.equal(res.status, 200);
    socket.send("m3"); // upgrade requested, socket not open yet: polling still carries it
    const third = poll(h, sid);
    polled.push(...payloadMessages(await third.text()));
    const ws = h.upgrader.open();
    const lastPoll = poll(h, sid);
    h.upgrader.events.onMessage("2probe");
    assert.deepEqual(ws.take(), ["3probe"]);
    socket.send("m4"); // probing: the parked GET carries it
    polled.push(...payloadMessages(await lastPoll.text()));
    // the client pauses polling now; these wait in the buffer
    socket.send("m5");
    h.clock.tick(250);
    socket.send(new Uint8Array([6]));
    socket.send("m7");
    assert.deepEqual(ws.take(), [], "nothing goes over the WebSocket before 5");
    h.upgrader.events.onMessage("5");
    socket.send("m8");
    const frames = ws.take();
    assert.deepEqual(frames[1], new Uint8Array([6]), "binary stays binary on the WebSocket");
    assert.deepEqual(polled, ["m1", "m2", "m3", "m4"]);
    assert.deepEqual(frameMessages(frames), ["m5", "m7", "m8"]);
    assert.equal(frames.length, 4);
    finish(h);
  });

  it("delivers client messages from both transports during the upgrade, in order", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const seen: unknown[] = [];
    socket.on("message", (m) => seen.push(m));
    await post(h, sid, "4c1");
    await probe(h, sid);
    await post(h, sid, "4c2"); // a POST still in flight during the probe
    h.upgrader.events.onMessage("5");
    h.upgrader.events.onMessage("4c3");
    h.upgrader.events.onMessage(new Uint8Array([1]));
    assert.deepEqual(seen, ["c1", "c2", "c3", hostBytes([1])]);
    finish(h);
  });

  it("emits headers (not initial_headers) for the upgrade request and puts them on its response", async () => {
    const h = setup();
    const { sid } = await handshake(h);
    const seen: string[] = [];
    h.engine.on("initial_headers", () => seen.push("initial_headers"));
    h.engine.on("headers", (headers, req) => {
      seen.push(`headers:${new URL(req.url).searchParams.get("transport")}`);
      headers.set("x-sticky", "1");
    });
    const res = await h.engine.handle(wsRequest(sid), h.upgrader.ctx);
    assert.deepEqual(seen, ["headers:websocket"]);
    assert.equal(res.headers.get("x-sticky"), "1");
    finish(h);
  });

  it("after the switch a polling request answers 400 code 3", async () => {
    const h = setup();
    const { sid } = await handshake(h);
    await probe(h, sid);
    h.upgrader.events.onMessage("5");
    const res = await h.engine.handle(pollingRequest(sid));
    assert.deepEqual(await errorBody(res), { code: 3, message: "Bad request" });
    finish(h);
  });

  it("a GET still parked when 5 arrives (it overtook 5) answers 400 code 3, as one after the switch", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const closed = closes(socket);
    const get = poll(h, sid);
    await probe(h, sid);
    await settle();
    h.upgrader.events.onMessage("5");
    const res = await get.promise;
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("cache-control"), null, "an error answer, not a payload");
    assert.deepEqual(await errorBody(res), { code: 3, message: "Bad request" });
    assert.equal(socket.transport.name, "websocket");
    assert.deepEqual(closed, []);
    finish(h);
  });

  it("upgradeTimeout cancels an upgrade that never completes; the session stays on polling", async () => {
    const h = setup({ upgradeTimeout: 1000 });
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const ws = await probe(h, sid);
    h.clock.tick(999);
    assert.equal(ws.closed, false);
    h.clock.tick(1);
    assert.deepEqual(ws.closeCalls, [{ code: undefined, reason: undefined }]);
    assert.equal(socket.upgrading, false);
    assert.equal(socket.upgraded, false);
    assert.equal(socket.transport.name, "polling");
    assert.equal(reasons.length, 0);
    // a late 5 changes nothing
    h.upgrader.events.onMessage("5");
    assert.equal(socket.transport.name, "polling");
    // polling still works both ways
    const seen: unknown[] = [];
    socket.on("message", (m) => seen.push(m));
    assert.equal(await (await post(h, sid, "4still")).text(), "ok");
    const get = poll(h, sid);
    socket.send("here");
    assert.equal(await get.text(), "4here");
    assert.deepEqual(seen, ["still"]);
    // only the heartbeat timer is left, and the server's one body-deadline
    // timer (armed by the POST; it ends when it fires with no POST pending)
    assert.equal(h.clock.pending, 2);
    h.clock.tick(h.engine.opts.bodyTimeout);
    assert.equal(h.clock.pending, 1);
    finish(h);
  });

  it("a second WebSocket while one is probing is accepted, then closed", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const first = await probe(h, sid);
    const res = await h.engine.handle(wsRequest(sid), h.upgrader.ctx);
    assert.equal(res.status, 200, "the runtime's upgrade answer, as the official server's 101");
    assert.equal(h.upgrader.calls.length, 2);
    const second = h.upgrader.open();
    assert.deepEqual(second.closeCalls, [{ code: undefined, reason: undefined }]);
    assert.deepEqual(second.sent, []);
    assert.equal(first.closed, false, "the probing socket carries on");
    assert.equal(socket.upgrading, true);
    finish(h);
  });

  it("a second WebSocket after the switch is accepted, then closed", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    await probe(h, sid);
    h.upgrader.events.onMessage("5");
    const res = await h.engine.handle(wsRequest(sid), h.upgrader.ctx);
    assert.equal(res.status, 200);
    const second = h.upgrader.open();
    assert.equal(second.closed, true);
    assert.equal(socket.readyState, "open");
    assert.equal(socket.transport.name, "websocket");
    finish(h);
  });

  it("refuses upgrades when allowUpgrades is false", async () => {
    const h = setup({ allowUpgrades: false });
    const { sid } = await handshake(h);
    const res = await h.engine.handle(wsRequest(sid), h.upgrader.ctx);
    assert.equal(res.status, 400);
    assert.equal(h.upgrader.calls.length, 0);
    finish(h);
  });

  it("any other packet on the probing socket cancels the upgrade", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const ws = await probe(h, sid);
    h.upgrader.events.onMessage("4too early");
    assert.equal(ws.closed, true);
    assert.equal(socket.upgrading, false);
    assert.equal(socket.transport.name, "polling");
    assert.equal(socket.readyState, "open");
    assert.equal(h.clock.pending, 1, "upgrade and nudge timers are gone");
    finish(h);
  });

  it("the probing socket closing cancels the upgrade and a new one may follow", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    await probe(h, sid);
    h.upgrader.events.onClose(1006, "");
    assert.equal(socket.upgrading, false);
    assert.equal(socket.readyState, "open");
    await probe(h, sid);
    h.upgrader.events.onMessage("5");
    assert.equal(socket.transport.name, "websocket");
    finish(h);
  });

  it("closing the session during the upgrade closes the probing socket and every timer", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const ws = await probe(h, sid);
    socket.close();
    await settle();
    assert.equal(socket.readyState, "closing", "the orderly close waits for the next GET");
    assert.equal(await poll(h, sid).text(), "6\x1e1");
    assert.equal(socket.readyState, "closed");
    assert.equal(ws.closed, true);
    assert.equal(h.clock.pending, 0);
    finish(h);
  });

  it("an upgrade packet for a closing session ends it with forced close and closes the socket", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    // open the WebSocket without probing, then ask for an orderly close
    await h.engine.handle(wsRequest(sid), h.upgrader.ctx);
    const ws = h.upgrader.open();
    socket.send("queued");
    socket.close();
    h.upgrader.events.onMessage("5");
    assert.deepEqual(reasons.map(([r]) => r), ["forced close"]);
    assert.equal(ws.closed, true);
    assert.equal(h.clock.pending, 0);
    finish(h);
  });
});
