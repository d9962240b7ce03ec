/**
 * The Socket.IO server on every runtime against the official
 * `socket.io-client` 4.8: namespaces and transports, every kind of value,
 * acknowledgements both ways, middlewares, rooms and broadcasts, the remote
 * socket operations, disconnect reasons and connection state recovery.
 */

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Socket } from "socket.io-client";
import type { DisconnectRecord } from "../_support/apps/sio_app.ts";
import { RUNTIMES, startServer, type TestServer } from "../_support/fixture.ts";
import {
  type ClientOptions,
  collect,
  connectClient,
  connectError,
  nextEvent,
  plain,
  request,
  requestAll,
  until,
} from "../_support/sio_client.ts";

const TRANSPORTS: [string, ClientOptions][] = [
  ["default transports", {}],
  ["websocket only", { transports: ["websocket"] }],
  ["polling only", { transports: ["polling"] }],
];

/** Every kind of value the protocol carries, and what the other side gets back. */
function values(): { sent: unknown[]; expected: unknown[] } {
  const date = new Date("2024-05-06T07:08:09.010Z");
  const bytes = new Uint8Array([0, 1, 254, 255]);
  const sent = [
    "héllo ✓ 🎉 日本",
    42,
    -1.5,
    { a: { b: [1, "x", null] } },
    date,
    false,
    null,
    bytes,
    {
      nested: [{ file: new Uint8Array([7, 8]) }],
    },
  ];
  const expected = [...sent.slice(0, 4), date.toISOString(), false, null, bytes, {
    nested: [{ file: new Uint8Array([7, 8]) }],
  }];
  return { sent, expected };
}

/** The server-side disconnect reason of socket `id`, asked through `observer` (waits, bounded). */
async function serverReason(observer: Socket, id: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const log = await request(observer, "disconnects") as DisconnectRecord[];
    const found = log.find((e) => e.id === id);
    if (found) return found.reason;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the server never reported ${id} disconnected`);
}

for (const runtime of RUNTIMES) {
  describe(`socket.io end to end on ${runtime}`, () => {
    let server: TestServer;
    let recovery: TestServer;
    let clients: Socket[] = [];

    before(async () => {
      [server, recovery] = await Promise.all([
        startServer(runtime, "sio_app"),
        startServer(runtime, "sio_recovery"),
      ]);
    });
    after(() => Promise.all([server?.close(), recovery?.close()]));
    afterEach(() => {
      for (const c of clients) c.close();
      clients = [];
    });

    async function connect(nsp = "/", opts: ClientOptions = {}, base = server): Promise<Socket> {
      const socket = await connectClient(base.url + nsp, opts);
      clients.push(socket);
      return socket;
    }

    for (const [mode, opts] of TRANSPORTS) {
      it(`main and custom namespaces over ${mode}: values, binary and acks both ways`, async () => {
        const main = await connect("/", {
          ...opts,
          query: { room: "x" },
          extraHeaders: { "X-Test": "yes" },
        });
        const admin = await connect("/admin", { ...opts, auth: { token: "secret" } });
        const hs = await request(main, "handshake") as Record<string, unknown>;
        assert.equal(hs.header, "yes");
        assert.deepEqual([(hs.query as Record<string, string>).room, hs.auth], ["x", {}]);
        assert.match(hs.url as string, /^\/socket\.io\/\?/);
        assert.equal(hs.address, "127.0.0.1");
        const { sent, expected } = values();
        for (const socket of [main, admin]) {
          assert.deepEqual(plain(await requestAll(socket, "echo", ...sent)), expected);
          const event = nextEvent(socket, "echo-event");
          await request(socket, "echo-event", ...sent);
          assert.deepEqual(plain(await event), expected);
          socket.once("question", (q: string, ack: (a: string) => void) => ack(`because (${q})`));
          assert.equal(await request(socket, "server-ask-callback"), "because (how?)");
        }
        if (mode === "default transports") {
          await until(() => main.io.engine.transport.name === "websocket", 3_000, "the upgrade");
        } else {
          assert.equal(main.io.engine.transport.name, opts.transports![0]);
        }
      });
    }

    it("emitWithAck and timeout() both ways, answered and timing out", async () => {
      const socket = await connect();
      assert.equal(await socket.timeout(2_000).emitWithAck("echo", "pong"), "pong");
      await assert.rejects(socket.timeout(100).emitWithAck("silent"), /operation has timed out/);

      socket.on("question", (_q: string, ack: (a: string) => void) => ack("answer"));
      assert.deepEqual(await request(socket, "server-ask", 2_000), { ok: true, value: "answer" });
      assert.deepEqual(await request(socket, "server-ask", null), { ok: true, value: "answer" });
      socket.off("question");
      socket.on("question", () => {}); // never answers
      assert.deepEqual(await request(socket, "server-ask", 100), {
        ok: false,
        message: "operation has timed out",
      });
    });

    it("middleware rejections reach the client as connect_error with message and data", async () => {
      const refused = await connectError(server.url, { auth: { reject: "banned" } }) as Error & {
        data?: unknown;
      };
      assert.equal(refused.message, "forbidden");
      assert.deepEqual(refused.data, { code: 42, why: "banned" });
      const badToken = await connectError(server.url + "/admin", { auth: { token: "wrong" } });
      assert.equal(badToken.message, "bad token");
      const unknown = await connectError(server.url + "/unknown");
      assert.equal(unknown.message, "Invalid namespace");
    });

    it("rooms and broadcasts reach several clients, with except, volatile and socket.broadcast", async () => {
      // WebSocket only: a volatile packet is dropped while a polling client has no GET parked
      const ws = { transports: ["websocket"] };
      const [a, b, c] = [await connect("/", ws), await connect("/", ws), await connect("/", ws)];
      await request(a, "join", ["group", "a"]);
      await request(b, "join", ["group", "b"]);
      await request(c, "join", "c");
      const got = [a, b, c].map((s) => collect(s, "news"));
      const settled = async (counts: number[]) =>
        await until(
          () => got.every((g, i) => g.length === counts[i]),
          3_000,
          `news counts ${counts}`,
        );

      await request(a, "broadcast", { to: ["group"], event: "news", args: ["group"] });
      await settled([1, 1, 0]);
      await request(a, "broadcast", {
        to: ["group", "c"],
        except: ["b"],
        event: "news",
        args: ["except"],
      });
      await settled([2, 1, 1]);
      await request(a, "broadcast", { fromSocket: true, event: "news", args: ["others"] });
      await settled([2, 2, 2]);
      await request(c, "broadcast", {
        volatile: true,
        to: ["a", "b", "c"],
        event: "news",
        args: ["volatile"],
      });
      await settled([3, 3, 3]);
      assert.deepEqual(got.map((g) => g.map((args) => args[0])), [
        ["group", "except", "volatile"],
        ["group", "others", "volatile"],
        ["except", "others", "volatile"],
      ]);
    });

    it("fetchSockets, socketsJoin and disconnectSockets act on the selected clients", async () => {
      const [a, b] = [await connect(), await connect()];
      await request(a, "join", "team");
      await request(a, "set-data", { name: "ann" });
      const team = await request(b, "fetch", "team") as {
        id: string;
        rooms: string[];
        data: unknown;
      }[];
      assert.deepEqual(team, [{ id: a.id, rooms: [a.id!, "team"].sort(), data: { name: "ann" } }]);

      await request(a, "sockets-join", "team", "vip");
      const vip = await request(b, "fetch", "vip") as { id: string }[];
      assert.deepEqual(vip.map((s) => s.id), [a.id]);

      const aId = a.id!;
      const reason = nextEvent(a, "disconnect");
      await request(b, "disconnect-sockets", "vip", false);
      assert.equal((await reason)[0], "io server disconnect");
      assert.equal(await serverReason(b, aId), "server namespace disconnect");
      assert.equal(b.connected, true);
    });

    it("reports disconnect reasons on both sides", async () => {
      const observer = await connect();
      const byClient = await connect();
      const clientId = byClient.id!;
      byClient.disconnect();
      assert.equal(await serverReason(observer, clientId), "client namespace disconnect");

      const byServer = await connect();
      const serverId = byServer.id!;
      const seen = nextEvent(byServer, "disconnect");
      byServer.emit("disconnect-me", false);
      assert.equal((await seen)[0], "io server disconnect");
      assert.equal(await serverReason(observer, serverId), "server namespace disconnect");

      const dropped = await connect();
      const droppedId = dropped.id!;
      const transportClosed = nextEvent(dropped, "disconnect");
      dropped.emit("drop-transport", null);
      assert.equal((await transportClosed)[0], "transport close");
      assert.equal(await serverReason(observer, droppedId), "forced close");

      const engineClosed = await connect();
      const engineClosedId = engineClosed.id!;
      engineClosed.io.engine.close();
      assert.equal(await serverReason(observer, engineClosedId), "transport close");
    });

    for (const [mode, opts] of TRANSPORTS.slice(0, 2)) {
      it(`recovers the connection state after the server drops the transport (${mode})`, async () => {
        const socket = await connect("/", {
          ...opts,
          path: "/recovery/",
          reconnection: true,
          reconnectionDelay: 50,
          reconnectionDelayMax: 100,
        }, recovery);
        const firstId = socket.id;
        const ticks = collect(socket, "tick");
        await request(socket, "join", "r");
        await request(socket, "set-data", { score: 7 });
        await request(socket, "broadcast", { to: ["r"], event: "tick", args: [1] });
        await until(() => ticks.length === 1, 3_000, "tick 1");
        assert.equal(socket.recovered, false);

        const reconnected = nextEvent(socket, "connect", 5_000);
        socket.emit("drop-transport", [
          { event: "tick", args: [2] },
          { event: "tick", args: [3, { bin: new Uint8Array([3]) }] },
        ]);
        await reconnected;
        assert.equal(socket.recovered, true);
        assert.equal(socket.id, firstId);
        await until(() => ticks.length >= 3, 3_000, "the missed ticks");
        await request(socket, "broadcast", { to: ["r"], event: "tick", args: [4] });
        await until(() => ticks.length >= 4, 3_000, "tick 4");
        assert.deepEqual(ticks.map((args) => args[0]), [1, 2, 3, 4]);
        assert.deepEqual(plain(ticks[2]![1]), { bin: new Uint8Array([3]) });
        const me = await request(socket, "whoami") as {
          id: string;
          rooms: string[];
          data: unknown;
          recovered: boolean;
        };
        assert.deepEqual(me, {
          id: firstId,
          rooms: [firstId!, "r"].sort(),
          data: { score: 7 },
          recovered: true,
        });
      });
    }
  });
}
