/**
 * The Socket.IO server inside a Durable Object, in workerd (Miniflare), with
 * the official `socket.io-client`: every transport, rooms and broadcasts,
 * acks both ways, binary both ways, namespaces and middlewares, the real
 * handshake, and the router's answer to sids it
 * cannot place.
 */

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Socket } from "socket.io-client";
import { startWorker, type TestWorker } from "./_harness.ts";
import {
  type ClientOptions,
  connectClient,
  connectError,
  nextEvent,
  plain,
  request,
  requestAll,
  within,
} from "../_support/sio_client.ts";

const TRANSPORTS: [string, ClientOptions][] = [
  ["polling only", { transports: ["polling"] }],
  ["websocket only", { transports: ["websocket"] }],
  ["polling then websocket (upgrade)", {}],
];

async function upgraded(socket: Socket): Promise<void> {
  await within(
    (async () => {
      while (socket.io.engine.transport.name !== "websocket") {
        await new Promise((r) => setTimeout(r, 20));
      }
    })(),
    5_000,
    "the upgrade to websocket",
  );
}

describe("Socket.IO in a Durable Object (workerd)", () => {
  let worker: TestWorker;
  let clients: Socket[] = [];

  before(async () => {
    worker = await startWorker("_worker_app.ts");
  });
  after(() => worker?.close());
  afterEach(() => {
    for (const c of clients) c.close();
    clients = [];
  });

  async function connect(nsp = "/", opts: ClientOptions = {}): Promise<Socket> {
    const socket = await connectClient(worker.url + nsp, opts);
    clients.push(socket);
    return socket;
  }

  for (const [mode, opts] of TRANSPORTS) {
    it(`connects over ${mode}; acks and binary go both ways`, async () => {
      const socket = await connect("/", opts);
      const bytes = new Uint8Array([0, 1, 254, 255]);
      const echoed = await requestAll(
        socket,
        "echo",
        "héllo ✓",
        42,
        { nested: [{ file: bytes }] },
        bytes,
      );
      assert.deepEqual(plain(echoed), ["héllo ✓", 42, { nested: [{ file: bytes }] }, bytes]);
      socket.once("question", (text: string, data: unknown, ack: (v: unknown) => void) => {
        ack({ text, data: plain(data), back: new Uint8Array([9, 8]) });
      });
      const asked = await request(socket, "server-ask");
      assert.deepEqual(plain(asked), {
        ok: true,
        value: { text: "why?", data: new Uint8Array([6, 7]), back: new Uint8Array([9, 8]) },
      });
      if (opts.transports === undefined) {
        await within(
          (async () => {
            while (socket.io.engine.transport.name !== "websocket") {
              await new Promise((r) => setTimeout(r, 20));
            }
          })(),
          5_000,
          "the upgrade",
        );
        assert.deepEqual(await requestAll(socket, "echo", "after upgrade"), ["after upgrade"]);
      } else {
        assert.equal(socket.io.engine.transport.name, opts.transports[0]);
      }
    });
  }

  it("two clients in a room exchange broadcasts, the sender is left out", async () => {
    const [a, b, c] = await Promise.all([
      connect("/", { transports: ["websocket"] }),
      connect("/", { transports: ["polling"] }),
      connect("/"),
    ]);
    await request(a, "join", "room1");
    await request(b, "join", "room1");
    let cGot = false;
    c.on("shout", () => (cGot = true));
    let aGot = false;
    a.on("shout", () => (aGot = true));
    const atB = nextEvent(b, "shout");
    await request(a, "shout", "room1", ["hi", new Uint8Array([1])]);
    assert.deepEqual(plain(await atB), ["hi", new Uint8Array([1])]);
    const atA = nextEvent(a, "shout");
    await request(b, "shout", "room1", ["back"]);
    assert.deepEqual(await atA, ["back"]);
    const all = [a, b, c].map((s) => nextEvent(s, "everyone"));
    await request(c, "everyone", ["all"]);
    assert.deepEqual(await Promise.all(all), [["all"], ["all"], ["all"]]);
    assert.equal(cGot, false);
    assert.equal(aGot, true);
  });

  it("namespaces run their own middlewares; a refusal reaches the client with its data", async () => {
    const err = await connectError(worker.url + "/admin", { auth: { token: "nope" } });
    assert.equal(err.message, "bad token");
    const refused = await connectError(worker.url + "/", { auth: { reject: true } }) as Error & {
      data?: unknown;
    };
    assert.equal(refused.message, "forbidden");
    assert.deepEqual(refused.data, { code: 42 });
    const admin = await connect("/admin", { auth: { token: "secret", name: "root" } });
    const me = await request(admin, "whoami") as { nsp: string; data: unknown };
    assert.equal(me.nsp, "/admin");
    assert.deepEqual(me.data, { name: "root" });
  });

  it("the application sees the real handshake: headers, query, address and auth", async () => {
    const socket = await connect("/", {
      transports: ["websocket"],
      query: { room: "blue" },
      auth: { name: "ann" },
      extraHeaders: { "x-custom": "yes" },
    });
    const h = await request(socket, "handshake") as {
      headers: Record<string, string>;
      query: Record<string, string>;
      address: string;
      auth: unknown;
      url: string;
    };
    assert.equal(h.headers["x-custom"], "yes");
    assert.equal(h.query.room, "blue");
    assert.equal(h.query.EIO, "4");
    assert.equal(h.address, "127.0.0.1");
    assert.deepEqual(h.auth, { name: "ann" });
    assert.match(h.url, /^\/socket\.io\/\?/);
  });

  it("a forged or stale sid gets 400 Session ID unknown, whatever object it names", async () => {
    const client = await connect("/", { transports: ["polling"] });
    const live = client.io.engine.id!;
    const gone = await connect("/", { transports: ["polling"] });
    const stale = gone.io.engine.id!;
    gone.close();
    await new Promise((r) => setTimeout(r, 100));
    const sids = [
      "x", // too short to name an object
      "A".repeat(43) + "abc", // a well-formed id no namespace issued
      "not-base64!".padEnd(60, "?"),
      live.slice(0, 43) + "unknown", // the right object, a session it never had
      stale, // a closed session
    ];
    for (const sid of sids) {
      const requests: [string, RequestInit][] = [
        ["polling", {}],
        ["polling", { method: "POST", body: "4hello" }],
        ["websocket", {}],
      ];
      for (const [transport, init] of requests) {
        const res = await fetch(
          `${worker.url}/socket.io/?EIO=4&transport=${transport}&sid=${encodeURIComponent(sid)}`,
          init,
        );
        assert.equal(res.status, 400, `${sid} over ${transport} ${init.method ?? "GET"}`);
        assert.deepEqual(await res.json(), { code: 1, message: "Session ID unknown" });
      }
    }
    assert.deepEqual(await requestAll(client, "echo", "still here"), ["still here"]);
  });

  it("shard() spreads sessions over objects, and every later request finds its own", async () => {
    const a = await connect("/", { transports: ["polling"], query: { shard: "a" } });
    const b = await connect("/", { query: { shard: "b" } });
    const main = await connect("/", { transports: ["polling"] });
    await upgraded(b);
    const [idA, idB, idMain] = [a, b, main].map((s) => s.io.engine.id!.slice(0, 43));
    assert.equal(new Set([idA, idB, idMain]).size, 3, "three objects");
    const whoA = await request(a, "whoami") as { sockets: number };
    assert.equal(whoA.sockets, 1, "alone in its object");
    let bGot = false;
    b.on("everyone", () => (bGot = true));
    const atA = nextEvent(a, "everyone");
    await request(a, "everyone", ["only a's object"]);
    assert.deepEqual(await atA, ["only a's object"]);
    assert.deepEqual(await requestAll(b, "echo", "b over websocket"), ["b over websocket"]);
    assert.equal(bGot, false);
  });

  it("serves the client bundle from inside the object, with ETag and 304", async () => {
    const res = await fetch(`${worker.url}/socket.io/socket.io.min.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/javascript/);
    const etag = res.headers.get("etag");
    assert.ok(etag);
    assert.match(await res.text(), /Socket\.IO v4\.8/);
    const again = await fetch(`${worker.url}/socket.io/socket.io.min.js`, {
      headers: { "if-none-match": etag },
    });
    assert.equal(again.status, 304);
    await again.body?.cancel();
  });

  it("a request outside the server's path is not routed to an object", async () => {
    const res = await fetch(`${worker.url}/elsewhere`);
    assert.equal(res.status, 404);
    await res.body?.cancel();
  });
});
