/**
 * Hibernation, in workerd: clients stay connected while the idle Durable
 * Object is evicted (about 10 s after its last event; WebSockets accepted
 * with the hibernation API stay open). The object that wakes up still knows
 * every socket's id, namespaces, rooms and `data`; broadcasts reach everyone,
 * acks work both ways, and the heartbeat carries on from the alarm: a client
 * that went mute before the eviction is dropped in time by the woken object,
 * and a client that dropped before the eviction recovers its session and
 * the packets it missed from the woken object (recovery data is in storage).
 *
 * The eviction wait is inherent: this file takes about 20 s.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Socket } from "socket.io-client";
import { EVICTION_WAIT_MS, startWorker, type TestWorker } from "./_harness.ts";
import type { DisconnectRecord } from "./_worker_app.ts";
import {
  connectClient,
  nextEvent,
  plain,
  request,
  requestAll,
  until,
  within,
} from "../_support/sio_client.ts";
import { openWebSocket, type TestWebSocket } from "../_support/ws_client.ts";

/** Longer than the eviction wait, so no heartbeat wakes the object before the test does. */
const PING_INTERVAL = 14_000;
const PING_TIMEOUT = 3_000;
const SLACK = 2_000;

interface Me {
  id: string;
  nsp: string;
  rooms: string[];
  data: unknown;
  recovered: boolean;
  boots: number;
  sockets: number;
}

/** The event's arguments without the recovery offset the server appends (a string). */
function withoutOffset(args: unknown[]): unknown[] {
  return typeof args.at(-1) === "string" && /^[0-9a-z]+-[0-9a-z]+$/.test(args.at(-1) as string)
    ? args.slice(0, -1)
    : args;
}

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

describe("hibernation (workerd)", () => {
  let worker: TestWorker;
  const clients: Socket[] = [];
  let mute: TestWebSocket | undefined;

  before(async () => {
    worker = await startWorker("_worker_app.ts", {
      PING_INTERVAL: String(PING_INTERVAL),
      PING_TIMEOUT: String(PING_TIMEOUT),
      RECOVERY: "1",
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    await mute?.close();
    await worker?.close();
  });

  it(
    "after an eviction, sockets keep ids, namespaces, rooms and data; broadcasts, acks and the heartbeat work",
    {
      timeout: 40_000,
    },
    async () => {
      // ann: WebSocket, "/" and "/admin" on one connection; bob: polling upgraded to WebSocket
      const ann = await connectClient(worker.url, {
        transports: ["websocket"],
        auth: { name: "ann" },
      });
      // the manager's sockets connect by themselves (a second connect() would send a second CONNECT)
      const annAdmin = ann.io.socket("/admin", { auth: { token: "secret", name: "ann-admin" } });
      const adminConnected = new Promise((r) => annAdmin.once("connect", () => r(undefined)));
      const bob = await connectClient(worker.url, { auth: { name: "bob" } });
      const carl = await connectClient(worker.url + "/admin", {
        transports: ["websocket"],
        auth: { token: "secret" },
      });
      clients.push(ann, bob, carl);
      await within(adminConnected, 5_000, "/admin on ann's connection");
      await upgraded(bob);
      await request(ann, "join", "room1");
      await request(bob, "join", "room1");
      await request(annAdmin, "join", "ops");
      await request(ann, "set-data", { score: 7, tags: ["a", "b"] });
      const disconnects: string[] = [];
      for (const s of [ann, annAdmin, bob, carl]) {
        s.on("disconnect", (reason) => disconnects.push(reason));
      }
      const sids = [ann.io.engine.id, bob.io.engine.id, carl.io.engine.id];

      const before = await Promise.all(
        [ann, annAdmin, bob, carl].map((s) => request(s, "whoami") as Promise<Me>),
      );
      assert.deepEqual(before.map((m) => m.boots), [1, 1, 1, 1]);

      // dan learns an offset from a first broadcast, drops, and misses a second one
      const dan = await connectClient(worker.url, {
        transports: ["websocket"],
        auth: { name: "dan" },
      });
      clients.push(dan);
      await request(dan, "join", "room1");
      await request(dan, "set-data", { role: "away" });
      const danWas = await request(dan, "whoami") as Me;
      const first = nextEvent(dan, "shout");
      await request(ann, "shout", "room1", ["first"]);
      assert.deepEqual(withoutOffset(await first), ["first"]);
      dan.io.engine.close();
      await until(() => !dan.connected, 2_000, "dan's disconnection");
      await request(ann, "shout", "room1", ["while dan is away"]);

      // a raw client that connects, then never answers a ping
      mute = await openWebSocket(
        `${worker.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`,
      );
      await mute.nextMessage();
      const muteSince = Date.now();
      mute.socket.send("40");
      const muteId = (JSON.parse(String(await mute.nextMessage()).slice(2)) as { sid: string }).sid;

      await new Promise((r) => setTimeout(r, EVICTION_WAIT_MS));

      const after = await Promise.all(
        [ann, annAdmin, bob, carl].map((s) => request(s, "whoami") as Promise<Me>),
      );
      assert.deepEqual(
        after.map((m) => m.boots),
        [2, 2, 2, 2],
        "the object was evicted and woke up once",
      );
      for (const [i, was] of before.entries()) {
        const now = after[i]!;
        assert.deepEqual(
          { id: now.id, nsp: now.nsp, rooms: now.rooms, data: now.data },
          { id: was.id, nsp: was.nsp, rooms: was.rooms, data: was.data },
        );
        assert.equal(
          now.recovered,
          true,
          "the woken server announced the socket again as recovered",
        );
      }
      assert.deepEqual(
        after.map((m) => m.sockets),
        [3, 2, 3, 2],
        "ann, bob and mute on /; ann and carl on /admin",
      );
      assert.deepEqual([ann.io.engine.id, bob.io.engine.id, carl.io.engine.id], sids);

      // dan comes back to the woken object: the recovery data was in storage
      const missed = nextEvent(dan, "shout");
      dan.connect();
      assert.deepEqual(withoutOffset(await missed), ["while dan is away"]);
      assert.equal(dan.recovered, true);
      const danNow = await request(dan, "whoami") as Me;
      assert.deepEqual(
        { id: danNow.id, rooms: danNow.rooms, data: danNow.data },
        { id: danWas.id, rooms: danWas.rooms, data: danWas.data },
      );

      // broadcasts: to a room (the sender left out), and to a whole namespace
      const atBob = nextEvent(bob, "shout");
      let carlShouted = false;
      carl.on("shout", () => (carlShouted = true));
      await request(ann, "shout", "room1", ["after the nap", new Uint8Array([1, 2])]);
      assert.deepEqual(plain(withoutOffset(await atBob)), [
        "after the nap",
        new Uint8Array([1, 2]),
      ]);
      const everyone = [ann, bob].map((s) => nextEvent(s, "everyone"));
      await request(bob, "everyone", ["all of /"]);
      assert.deepEqual((await Promise.all(everyone)).map(withoutOffset), [["all of /"], [
        "all of /",
      ]]);
      const admins = [annAdmin, carl].map((s) => nextEvent(s, "everyone"));
      await request(carl, "everyone", ["all of /admin"]);
      assert.deepEqual((await Promise.all(admins)).map(withoutOffset), [["all of /admin"], [
        "all of /admin",
      ]]);
      assert.equal(carlShouted, false);

      // acks both ways, with binary
      assert.deepEqual(plain(await requestAll(bob, "echo", new Uint8Array([3]), "x")), [
        new Uint8Array([3]),
        "x",
      ]);
      bob.once(
        "question",
        (_text: string, data: unknown, ack: (v: unknown) => void) => ack(plain(data)),
      );
      assert.deepEqual(plain(await request(bob, "server-ask")), {
        ok: true,
        value: new Uint8Array([6, 7]),
      });

      // the woken object pings on its alarm: the mute client is dropped, nobody else
      let closedAfter = -1;
      while (closedAfter < 0) {
        const event = await mute.next(PING_INTERVAL + PING_TIMEOUT + SLACK);
        if (event.type === "close") closedAfter = Date.now() - muteSince;
      }
      assert.ok(
        closedAfter >= PING_INTERVAL + PING_TIMEOUT - 200,
        `dropped too early: ${closedAfter} ms`,
      );
      assert.ok(
        closedAfter <= PING_INTERVAL + PING_TIMEOUT + SLACK,
        `dropped too late: ${closedAfter} ms`,
      );
      const log = await request(ann, "disconnects") as DisconnectRecord[];
      assert.deepEqual(log, [{ nsp: "/", id: muteId, reason: "ping timeout" }]);
      assert.deepEqual(disconnects, []);
      assert.deepEqual(await requestAll(carl, "echo", "still here"), ["still here"]);
    },
  );

  it(
    "a dropped client recovers its id, rooms, data and the packets it missed",
    { timeout: 15_000 },
    async () => {
      const socket = await connectClient(worker.url, {
        transports: ["websocket"],
        reconnection: true,
      });
      const other = await connectClient(worker.url, { transports: ["websocket"] });
      clients.push(socket, other);
      await request(socket, "join", "r");
      await request(socket, "set-data", { score: 9 });
      const got = nextEvent(socket, "shout"); // the client learns an offset from a first broadcast
      await request(other, "shout", "r", ["first"]);
      assert.deepEqual(withoutOffset(await got), ["first"]);
      const was = await request(socket, "whoami") as Me;

      const reconnected = new Promise<void>((resolve) =>
        socket.io.once("reconnect", () => resolve())
      );
      socket.io.engine.close(); // the connection drops; the client reconnects by itself
      await new Promise((r) => setTimeout(r, 50));
      await request(other, "shout", "r", ["while away"]);
      const missed = nextEvent(socket, "shout");
      await within(reconnected, 8_000, "the reconnection");
      assert.deepEqual(withoutOffset(await missed), ["while away"]);
      assert.equal(socket.recovered, true);
      const now = await request(socket, "whoami") as Me;
      assert.deepEqual({ id: now.id, rooms: now.rooms, data: now.data }, {
        id: was.id,
        rooms: was.rooms,
        data: was.data,
      });
    },
  );
});
