/**
 * Broadcasts through Bun's pub/sub, end to end with the official client: a
 * broadcast reaches WebSocket, polling and upgraded members exactly once, in
 * order with the direct emits around it, and `except`, `leave`, disconnects
 * and outgoing listeners are honoured.
 */

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Socket } from "socket.io-client";
import { startServer, type TestServer } from "../_support/fixture.ts";
import {
  type ClientOptions,
  collect,
  connectClient,
  request,
  until,
} from "../_support/sio_client.ts";

const WS: ClientOptions = { transports: ["websocket"] };
const POLLING: ClientOptions = { transports: ["polling"] };

describe("broadcasts through Bun's pub/sub", () => {
  let server: TestServer;
  let clients: Socket[] = [];

  before(async () => {
    server = await startServer("bun", "pubsub_app");
  });
  after(() => server?.close());
  afterEach(() => {
    for (const c of clients) c.close();
    clients = [];
  });

  async function connect(opts: ClientOptions = {}): Promise<Socket> {
    const socket = await connectClient(server.url, opts);
    clients.push(socket);
    return socket;
  }

  const firsts = (got: unknown[][]) => got.map((args) => args[0]);

  it("reaches WebSocket, polling and upgraded members once each, in order with direct emits", async () => {
    const [w1, w2, p1, up] = [
      await connect(WS),
      await connect(WS),
      await connect(POLLING),
      await connect(),
    ];
    await until(() => up.io.engine.transport.name === "websocket", 3_000, "the upgrade");
    const got = [w1, w2, p1, up].map((s) => collect(s, "seq"));
    // twice: the first broadcast subscribes the members, the later ones publish
    await request(w1, "publishes");
    await request(w1, "burst", 5);
    await request(w1, "burst", 5);
    // each broadcast went out as one publish (the glue handed Bun's pub/sub down)
    assert.equal(await request(w1, "publishes"), 10);
    const broadcasts = [0, 1, 2, 3, 4].map((i) => `b${i}`);
    const mine = [0, 1, 2, 3, 4].flatMap((i) => [`d${i}`, `b${i}`]);
    await until(() => got.every((g, i) => g.length === (i === 0 ? 20 : 10)), 3_000, "all seq");
    assert.deepEqual(firsts(got[0]!), [...mine, ...mine]);
    for (const g of got.slice(1)) assert.deepEqual(firsts(g), [...broadcasts, ...broadcasts]);
  });

  it("honours except, leave and disconnect", async () => {
    const [a, b, c, d] = [await connect(WS), await connect(WS), await connect(WS), await connect()];
    await request(b, "join", "x");
    const got = [a, b, c, d].map((s) => collect(s, "news"));
    const settled = (counts: number[]) =>
      until(() => got.every((g, i) => g.length === counts[i]), 3_000, `news counts ${counts}`);
    await request(a, "bcast", { to: ["all"], args: [1] });
    await settled([1, 1, 1, 1]);
    await request(a, "bcast", { to: ["all"], except: ["x"], args: [2] });
    await settled([2, 1, 2, 2]);
    await request(b, "leave", "all");
    await request(a, "bcast", { to: ["all"], args: [3] });
    await settled([3, 1, 3, 3]);
    c.close();
    await request(a, "bcast", { to: ["all"], args: [4] });
    // b is back in the topic's audience after the except, but not after leaving
    await request(b, "join", "all");
    await request(a, "bcast", { to: ["all"], except: ["x"], args: [5] });
    await request(a, "bcast", { to: ["all"], args: [6] });
    await settled([6, 2, 3, 6]);
    assert.deepEqual(firsts(got[0]!), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(firsts(got[1]!), [1, 6]);
    assert.deepEqual(firsts(got[3]!), [1, 2, 3, 4, 5, 6]);
  });

  it("a socket with an outgoing listener still gets every broadcast once, and the listener sees it", async () => {
    const [a, b] = [await connect(WS), await connect(WS)];
    const got = [a, b].map((s) => collect(s, "news"));
    await request(a, "bcast", { to: ["all"], args: [1] });
    await request(b, "watch-outgoing");
    await request(a, "bcast", { to: ["all"], args: [2] });
    await request(a, "bcast", { to: ["all"], args: [3] });
    await until(() => got.every((g) => g.length === 3), 3_000, "three news each");
    assert.deepEqual(got.map(firsts), [[1, 2, 3], [1, 2, 3]]);
    assert.equal(await request(b, "outgoing"), 2);
  });
});
