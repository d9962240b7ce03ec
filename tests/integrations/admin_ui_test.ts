/**
 * `sio-edge/admin-ui` without a browser: the Web-standard bcrypt against
 * bcryptjs's hashes, the options `instrument()` refuses, and the protocol
 * seen by an official client on the admin namespace (session, config,
 * all_sockets, server_stats, readonly, production mode, namespaceName).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { io as connect, type Socket } from "socket.io-client";
import { bcryptHash, bcryptVerify } from "../../src/integrations/_bcrypt.ts";
import { InMemorySessionStore, instrument } from "../../src/integrations/admin_ui.ts";
import { Server } from "../../src/socket/server.ts";
import { serve } from "../../src/runtime/node.ts";

const HASH = bcrypt.hashSync("changeit", 4);

describe("bcrypt (Web standards)", () => {
  it("computes bcryptjs's hashes, for $2a$, $2b$ and $2y$", () => {
    const passwords = ["", "secret", "ünïcödé ✓", "x".repeat(71), "y".repeat(72), "z".repeat(80)];
    for (const password of passwords) {
      const hash = bcrypt.hashSync(password, 4);
      assert.equal(bcryptHash(password, hash), hash);
      for (const prefix of ["$2a$", "$2y$"]) {
        assert.equal(bcryptVerify(password, hash.replace("$2b$", prefix)), true);
      }
      assert.equal(bcryptVerify(password + "!", hash), password.length >= 72);
    }
  });

  it("refuses what is not a bcrypt hash", () => {
    for (
      const bad of [
        "",
        "changeit",
        "$2b$10$short",
        "$2b$03$" + "a".repeat(53),
        "$3b$" + HASH.slice(4),
      ]
    ) {
      assert.equal(bcryptVerify("changeit", bad), false);
    }
  });
});

describe("instrument() options", () => {
  it("needs auth, and a bcrypt hash as the password", () => {
    const io = new Server();
    // @ts-expect-error: auth is required
    assert.throws(() => instrument(io, {}), /`auth` option must be specified/);
    assert.throws(
      () => instrument(io, { auth: { type: "basic", username: "a", password: "changeit" } }),
      /valid bcrypt hash/,
    );
  });

  it("the in-memory session store forgets the oldest past its bound", async () => {
    const store = new InMemorySessionStore(2);
    store.saveSession("a");
    store.saveSession("b");
    store.saveSession("c");
    assert.equal(await store.doesSessionExist("a"), false);
    assert.equal(await store.doesSessionExist("c"), true);
  });
});

function once<T extends unknown[]>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event}`)), 5_000);
    socket.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

describe("the admin namespace, seen by an official client", () => {
  it("logs in with basic auth, then a session id; config, all_sockets and stats", async () => {
    const io = new Server();
    io.on("connection", (socket) => socket.join("red"));
    const admin = instrument(io, {
      auth: { type: "basic", username: "admin", password: HASH },
      serverId: "edge-test",
      statsInterval: 50,
    });
    const served = await serve(io, { port: 0, hostname: "127.0.0.1" });
    const url = `http://127.0.0.1:${served.port}`;
    const opened: Socket[] = [];
    const open = (nsp: string, auth: Record<string, unknown>) => {
      const socket = connect(url + nsp, { forceNew: true, reconnection: false, auth });
      opened.push(socket);
      return socket;
    };
    try {
      const user = open("/", {});
      await once(user, "connect");

      const refused = open("/admin", { username: "admin", password: "nope" });
      const [err] = await once<[Error]>(refused, "connect_error");
      assert.equal(err.message, "invalid credentials");

      const ui = open("/admin", { username: "admin", password: "changeit" });
      const session = once<[string]>(ui, "session");
      const config = once<[{ supportedFeatures: string[] }]>(ui, "config");
      const all = once<[{ id: string; nsp: string; rooms: string[]; transport: string }[]]>(
        ui,
        "all_sockets",
      );
      const [sessionId] = await session;
      assert.match(sessionId, /^[0-9a-f]{16}$/);
      assert.deepEqual((await config)[0].supportedFeatures, [
        "EMIT",
        "JOIN",
        "LEAVE",
        "DISCONNECT",
        "MJOIN",
        "MLEAVE",
        "MDISCONNECT",
        "AGGREGATED_EVENTS",
        "ALL_EVENTS",
      ]);
      const [sockets] = await all;
      const seen = sockets.find((s) => s.id === user.id)!;
      assert.equal(seen.nsp, "/");
      assert.deepEqual(seen.rooms.sort(), [user.id!, "red"].sort());
      assert.ok(["polling", "websocket"].includes(seen.transport));

      const [stats] = await once<[Record<string, unknown>]>(ui, "server_stats");
      assert.equal(stats.serverId, "edge-test");
      assert.equal(stats.clientsCount, 2);
      assert.deepEqual(stats.namespaces, [
        { name: "/", socketsCount: 1 },
        { name: "/admin", socketsCount: 1 },
      ]);

      // the session id alone logs in again
      const again = open("/admin", { sessionId });
      await once(again, "connect");

      // an action: make everyone in "red" join "blue"
      const joined = once<[string, string, string, string]>(ui, "room_joined");
      ui.emit("join", "/", "blue", "red");
      const [nsp, room, id, timestamp] = await joined;
      assert.deepEqual([nsp, room, id], ["/", "blue", user.id]);
      assert.ok(!Number.isNaN(Date.parse(timestamp)));
      // an action on a namespace that does not exist creates none
      ui.emit("join", "/nowhere", "blue");
      ui.emit("_disconnect", "/", false, "blue");
      const [reason] = await once<[string]>(user, "disconnect");
      assert.equal(reason, "io server disconnect");
      assert.equal(io._nsps.has("/nowhere"), false);
    } finally {
      for (const socket of opened) socket.disconnect();
      admin.close();
      await served.close();
    }
  });

  it("readonly and production: no actions, no ALL_EVENTS, no all_sockets; another namespace name", async () => {
    const io = new Server();
    const admin = instrument(io, {
      auth: false,
      readonly: true,
      mode: "production",
      namespaceName: "/ops",
      statsInterval: 0,
    });
    const served = await serve(io, { port: 0, hostname: "127.0.0.1" });
    const ui = connect(`http://127.0.0.1:${served.port}/ops`, {
      forceNew: true,
      reconnection: false,
    });
    try {
      const all = new Promise((resolve) => ui.once("all_sockets", resolve));
      const configured = once<[{ supportedFeatures: string[] }]>(ui, "config");
      const reported = once<[{ namespaces: { name: string }[] }]>(ui, "server_stats");
      const [config] = await configured;
      assert.deepEqual(config.supportedFeatures, ["AGGREGATED_EVENTS"]);
      const [stats] = await reported;
      assert.deepEqual(stats.namespaces.map((n) => n.name), ["/", "/ops"]);
      const raced = await Promise.race([all, new Promise((r) => setTimeout(() => r("none"), 200))]);
      assert.equal(raced, "none");
    } finally {
      ui.disconnect();
      admin.close();
      await served.close();
    }
  });
});
