/**
 * Workers item 3b: in a Durable Object, a polling GET and the WebSocket
 * messages its client sent before it (`2probe`, `5`) are separate events, and
 * workerd may deliver the GET first; it is then parked on the polling
 * transport when the upgrade packet arrives. It gets what the official
 * server answers a GET that comes after the upgrade — 400, code 3, "Bad
 * request" — and the session goes on over WebSocket with nothing lost.
 * (`tests/conformance/engine_conformance_test.ts` compares the in-order case
 * with the official server; the official server itself answers whatever
 * order its GET and frames arrive in, so the overtaking is checked here.)
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorker, type TestWorker } from "./_harness.ts";
import { Ids } from "../conformance/_ids.ts";
import { request } from "../conformance/_http.ts";
import { PollingConn, upTo, WsConn } from "../conformance/_wire.ts";

const ROUNDS = 12;

describe("a GET that overtakes the upgrade packet (workerd)", () => {
  let worker: TestWorker;

  before(async () => {
    worker = await startWorker("_worker_app.ts");
  }, { timeout: 60_000 });
  after(() => worker?.close());

  it(`is refused as after the upgrade, the session consistent (${ROUNDS} rounds)`, async () => {
    const base = `${worker.url}/socket.io/`;
    const answers = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const ids = new Ids();
      const polling = await PollingConn.open(ids, base);
      await polling.send("40");
      await polling.read(upTo("40"));
      const ws = await WsConn.open(ids, base, { sid: polling.sid });
      // what a hurried client sends: the probe and the upgrade at once, then a poll
      await ws.send("2probe", "5");
      const get = await request(polling.url);
      const seen = "error" in get ? "network error" : `${get.status} ${get.body}`;
      answers.set(seen, (answers.get(seen) ?? 0) + 1);
      // the session is on WebSocket: an ack comes back there, and only there
      await ws.send(`42${round}["echo","after ${round}"]`);
      const acked = await ws.read(upTo(`43${round}`));
      assert.equal(acked.at(-1), `43${round}["after ${round}"]`);
      assert.ok(!acked.includes("1"), `no close packet: ${acked}`);
      await ws.end();
    }
    // every GET came after the upgrade packet as the client sent them: refused, never held
    assert.deepEqual(Object.fromEntries(answers), {
      '400 {"code":3,"message":"Bad request"}': ROUNDS,
    });
  });
});
