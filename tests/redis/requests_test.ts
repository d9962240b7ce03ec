/**
 * The request bookkeeping every cluster adapter shares (cluster_wire.ts):
 * `PendingRequests.ask` publishing with the server count or after it, and
 * the binary check of fetchSockets answers. No Redis: the count and the
 * publishes are the test's.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Ask,
  PendingRequests,
  responsesTimeoutError,
  socketsHaveBinary,
  stringify,
} from "../../src/adapter/cluster_wire.ts";
import type { SocketDetails } from "../../src/adapter/adapter.ts";
import { FakeClock } from "../_support/fake_clock.ts";

/** A count the test settles by hand, and what was published, in order. */
function harness() {
  const clock = new FakeClock();
  const requests = new PendingRequests(clock);
  const log: string[] = [];
  let ids = 0;
  let settle: { resolve(n: number): void; reject(err: Error): void } | undefined;
  const spec = (results: string[] = ["local"]): Ask<string> => ({
    kind: "fetch",
    newId: () => `r${++ids}`,
    results,
    timeoutMs: 1000,
    timeoutError: responsesTimeoutError,
    serverCount: () => {
      log.push("count");
      return new Promise<number>((resolve, reject) => settle = { resolve, reject });
    },
    publish: (id) => log.push(`publish ${id}`),
  });
  const ask = (results?: string[]) => {
    const outcome: { err?: Error | null; results?: string[] } = {};
    requests.ask(spec(results), (err, found) => {
      outcome.err = err;
      outcome.results = found;
    });
    return outcome;
  };
  const count = async (n: number) => {
    settle!.resolve(n);
    await Promise.resolve();
    await Promise.resolve();
  };
  return { clock, requests, log, ask, count, fail: () => settle!.reject(new Error("down")) };
}

describe("PendingRequests.ask", () => {
  it("first counts, then publishes: nothing goes out when the server is alone", async () => {
    const h = harness();
    const alone = h.ask();
    assert.deepEqual(h.log, ["count"]);
    await h.count(1);
    assert.deepEqual(alone, { err: null, results: ["local"] });
    assert.deepEqual(h.log, ["count"], "no request published");
  });

  it("after a count that saw others, publishes with the count, not after its reply", async () => {
    const h = harness();
    const first = h.ask();
    await h.count(3);
    assert.deepEqual(h.log, ["count", "publish r1"]);
    h.requests.answer("r1", ["a"]);
    h.requests.answer("r1", ["b"]);
    assert.deepEqual(first.results, ["local", "a", "b"]);

    h.log.length = 0;
    const second = h.ask();
    assert.deepEqual(h.log, ["count", "publish r2"], "published before the count replied");
    // both answers come in before the count: kept, and the request waits for the count
    h.requests.answer("r2", ["c"]);
    h.requests.answer("r2", ["d"]);
    assert.equal(second.err, undefined, "not settled without the count");
    await h.count(3);
    assert.deepEqual(second, { err: null, results: ["local", "c", "d"] });
  });

  it("settles at the last answer once the count is known, and drops later ones", async () => {
    const h = harness();
    h.ask();
    await h.count(3);
    h.requests.answer("r1", []);
    h.requests.answer("r1", []);
    const pending = h.ask();
    h.requests.answer("r2", ["x"]);
    await h.count(3);
    assert.equal(pending.err, undefined, "one of two answers");
    h.requests.answer("r2", ["y"]);
    assert.deepEqual(pending.results, ["local", "x", "y"]);
    h.requests.answer("r2", ["late"]);
    assert.deepEqual(pending.results, ["local", "x", "y"]);
    assert.equal(h.requests.has("r2"), false);
  });

  it("a published request whose count says alone ends with the local results", async () => {
    const h = harness();
    h.ask();
    await h.count(2);
    h.requests.answer("r1", []);
    const now = h.ask();
    assert.deepEqual(h.log, ["count", "publish r1", "count", "publish r2"]);
    await h.count(1);
    assert.deepEqual(now, { err: null, results: ["local"] });
    assert.equal(h.requests.has("r2"), false);
    // and the next one counts first again
    h.log.length = 0;
    h.ask();
    assert.deepEqual(h.log, ["count"]);
  });

  it("times out with the answers so far, the count known or not", async () => {
    const h = harness();
    h.ask();
    await h.count(3);
    h.requests.answer("r1", []);
    h.requests.answer("r1", []);
    const known = h.ask();
    await h.count(3);
    h.requests.answer("r2", ["only"]);
    h.clock.tick(1000);
    assert.match(String(known.err), /only 1 responses received out of 2/);
    assert.deepEqual(known.results, ["local", "only"]);

    const unknown = h.ask();
    h.clock.tick(1000);
    assert.match(String(unknown.err), /only 0 responses received out of an unknown number/);
  });

  it("a failed count fails the request, published or not", async () => {
    const h = harness();
    const before = h.ask();
    h.fail();
    await Promise.resolve();
    assert.match(String(before.err), /down/);

    h.ask();
    await h.count(3);
    h.requests.answer("r1", []);
    h.requests.answer("r1", []);
    const published = h.ask();
    h.fail();
    await Promise.resolve();
    await Promise.resolve();
    assert.match(String(published.err), /down/);
    assert.equal(h.requests.has("r2"), false);
  });
});

describe("the binary check of fetchSockets answers", () => {
  const socket = (data: unknown, auth: unknown = {}): SocketDetails => ({
    id: "id",
    handshake: { headers: { host: "h" }, query: { EIO: "4" }, auth },
    rooms: ["id"],
    data,
  });

  it("finds binary in data and in the handshake's auth, at any depth", () => {
    assert.equal(socketsHaveBinary([socket({ a: 1 }), socket(undefined)]), false);
    assert.equal(
      socketsHaveBinary([socket({}), socket({ deep: [{ b: new Uint8Array(1) }] })]),
      true,
    );
    assert.equal(socketsHaveBinary([socket(null, { token: new ArrayBuffer(2) })]), true);
  });

  it("the answer's JSON writes binary as a Buffer's JSON", () => {
    const sockets = [socket({ b: new Uint8Array([1, 2]) })];
    const json = JSON.parse(stringify({ requestId: "r", sockets }, socketsHaveBinary(sockets)));
    assert.deepEqual(json.sockets[0].data, { b: { type: "Buffer", data: [1, 2] } });
  });

  it("circular data is refused by the bounded walk, not followed forever", () => {
    const data: Record<string, unknown> = {};
    data.self = data;
    assert.throws(() => socketsHaveBinary([socket(data)]), RangeError);
  });
});
