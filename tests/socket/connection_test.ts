import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import { Server } from "../../src/socket/server.ts";
import type { ServerOptions } from "../../src/socket/_settings.ts";
import type { Socket } from "../../src/socket/socket.ts";
import { settle, sidOf, WireClient } from "../_support/sio_wire.ts";

let servers: Server[] = [];

function setup(opts: ServerOptions = {}) {
  const clock = new FakeClock();
  const io = new Server({ clock, ...opts });
  servers.push(io);
  return { io, clock };
}

afterEach(async () => {
  for (const io of servers) await io.close();
  servers = [];
});

describe("connecting", () => {
  it("answers CONNECT on the main namespace with a socket id that is not the engine id", async () => {
    const { io } = setup();
    let connected: Socket | undefined;
    io.on("connection", (socket) => (connected = socket));
    const client = await WireClient.connect(io);
    const answer = await client.connectNsp("/");
    assert.match(answer, /^0\{"sid":"[\w-]{20}"\}$/);
    assert.ok(connected);
    assert.equal(sidOf(answer), connected.id);
    assert.notEqual(connected.id, client.sid);
    assert.equal(connected.connected, true);
    assert.equal(connected.disconnected, false);
    assert.equal(connected.recovered, false);
    assert.deepEqual([...connected.rooms], [connected.id]);
    assert.equal(io.sockets.sockets.get(connected.id), connected);
  });

  it("fills the handshake like the Node server: lower-cased headers, query, auth, url, time", async () => {
    const { io, clock } = setup();
    let socket: Socket | undefined;
    io.on("connection", (s) => (socket = s));
    const client = await WireClient.connect(io, {
      query: { token: "abc" },
      headers: { "X-Custom": "yes", Origin: "http://example.com" },
    });
    await client.connectNsp("/", { user: "ann" });
    assert.ok(socket);
    const hs = socket.handshake;
    assert.equal(hs.headers["x-custom"], "yes");
    assert.equal(hs.headers["origin"], "http://example.com");
    assert.equal(hs.query.token, "abc");
    assert.equal(hs.query.EIO, "4");
    assert.deepEqual(hs.auth, { user: "ann" });
    assert.equal(hs.xdomain, true);
    assert.equal(hs.secure, false);
    assert.equal(hs.issued, clock.now());
    assert.equal(hs.time, String(new Date(clock.now())));
    assert.ok(hs.url.startsWith("/socket.io/?EIO=4&transport=polling"), hs.url);
    assert.equal(typeof hs.address, "string");
  });

  it("the handshake is the socket's creation's, however late it is first read, and always the same object", async () => {
    const { io, clock } = setup();
    const sockets: Socket[] = [];
    io.on("connection", (s) => sockets.push(s));
    io.of("/admin").on("connection", (s) => sockets.push(s));
    const client = await WireClient.connect(io, { headers: { "X-Custom": "yes" } });
    await client.connectNsp("/", { user: "ann" });
    const created = clock.now();
    clock.tick(5_000);
    await client.connectNsp("/admin");
    clock.tick(5_000);
    const [main, admin] = sockets;
    const hs = main!.handshake;
    assert.equal(hs.issued, created);
    assert.equal(hs.time, String(new Date(created)));
    assert.deepEqual(hs.auth, { user: "ann" });
    assert.equal(main!.handshake, hs, "the same object on every read");
    hs.query.extra = "kept";
    assert.equal(main!.handshake.query.extra, "kept");
    assert.equal(admin!.handshake.issued, created + 5_000);
    assert.equal(admin!.handshake.headers, hs.headers, "one headers object for the connection");
    assert.equal(admin!.handshake.headers["x-custom"], "yes");
  });

  it('answers an unknown namespace with CONNECT_ERROR "Invalid namespace"', async () => {
    const { io } = setup();
    const client = await WireClient.connect(io);
    const answer = await client.connectNsp("/nope");
    assert.equal(answer, '4/nope,{"message":"Invalid namespace"}');
    assert.equal(client.conn.readyState, "open");
  });

  it("connects to a custom namespace over the same session as the main one", async () => {
    const { io } = setup();
    const seen: string[] = [];
    io.of("/admin").on("connection", (socket) => seen.push(socket.nsp.name));
    io.on("connection", (socket) => seen.push(socket.nsp.name));
    const client = await WireClient.connect(io);
    assert.match(await client.connectNsp("/"), /^0\{"sid"/);
    assert.match(await client.connectNsp("/admin"), /^0\/admin,\{"sid"/);
    assert.deepEqual(seen, ["/", "/admin"]);
  });

  it("routes each namespace of one session to its socket as sockets join, leave and rejoin", async () => {
    const { io } = setup();
    const events: string[] = [];
    const listen = (socket: Socket) => {
      const label = `${socket.nsp.name}#${socket.id.slice(0, 4)}`;
      socket.on("ping", () => events.push(`${socket.nsp.name} ping`));
      socket.on("disconnect", (reason) => events.push(`${label} ${reason}`));
      return label;
    };
    const sockets: string[] = [];
    io.on("connection", (socket) => sockets.push(listen(socket)));
    io.of("/admin").on("connection", (socket) => sockets.push(listen(socket)));
    const client = await WireClient.connect(io);
    // one namespace: leave it and join it again
    await client.connectNsp("/");
    await client.send("1");
    await client.connectNsp("/");
    await client.send('2["ping"]');
    await settle();
    assert.deepEqual(events, [`${sockets[0]} client namespace disconnect`, "/ ping"]);
    // a second namespace on the same session, then the first one leaves and comes back
    assert.match(await client.connectNsp("/admin"), /^0\/admin,\{"sid"/);
    await client.send('2/admin,["ping"]', '2["ping"]');
    await client.send("1");
    await client.send('2/admin,["ping"]');
    await client.connectNsp("/");
    await client.send('2["ping"]');
    await settle();
    assert.deepEqual(events.slice(2), [
      "/admin ping",
      "/ ping",
      `${sockets[1]} client namespace disconnect`,
      "/admin ping",
      "/ ping",
    ]);
    assert.equal(io.sockets.sockets.size, 1);
    assert.equal(io.of("/admin").sockets.size, 1);
    // the session's end reaches every socket it still has, in the order they joined
    await client.close();
    assert.deepEqual(events.slice(7), [
      `${sockets[2]} transport close`,
      `${sockets[3]} transport close`,
    ]);
    assert.equal(client.conn.readyState, "closed");
  });

  it("emits new_namespace when a namespace is created", () => {
    const { io } = setup();
    const names: string[] = [];
    io.on("new_namespace", (nsp) => names.push(nsp.name));
    io.of("/a");
    io.of("b");
    io.of("/a");
    assert.deepEqual(names, ["/a", "/b"]);
  });
});

describe("connection middlewares", () => {
  it("refuses with CONNECT_ERROR carrying the error message and data", async () => {
    const { io } = setup();
    io.use((_socket, next) => {
      const err = new Error("not authorized") as Error & { data?: unknown };
      err.data = { reason: "token expired" };
      next(err);
    });
    let connections = 0;
    io.on("connection", () => connections++);
    const client = await WireClient.connect(io);
    const answer = await client.connectNsp("/");
    assert.equal(answer, '4{"message":"not authorized","data":{"reason":"token expired"}}');
    assert.equal(connections, 0);
    assert.equal(io.sockets.sockets.size, 0);
  });

  it("runs async middlewares in order, with socket.connected false, before admitting", async () => {
    const { io } = setup();
    const order: string[] = [];
    io.use(async (socket, next) => {
      order.push("a:" + socket.connected);
      await Promise.resolve();
      socket.data = { user: socket.handshake.auth.user };
      next();
    });
    io.use((_socket, next) => {
      order.push("b");
      next();
    });
    io.on("connection", (socket) => order.push("connection:" + socket.data.user));
    const client = await WireClient.connect(io);
    assert.match(await client.connectNsp("/", { user: "bob" }), /^0\{"sid"/);
    assert.deepEqual(order, ["a:false", "b", "connection:bob"]);
  });

  it("treats a rejected async middleware as next(err)", async () => {
    const { io } = setup();
    io.of("/secure").use(async () => {
      await Promise.resolve();
      throw new Error("boom");
    });
    const client = await WireClient.connect(io);
    assert.equal(await client.connectNsp("/secure"), '4/secure,{"message":"boom"}');
  });

  it("applies a namespace's middlewares only to that namespace", async () => {
    const { io } = setup();
    io.of("/private").use((_s, next) => next(new Error("private")));
    const client = await WireClient.connect(io);
    assert.match(await client.connectNsp("/"), /^0\{"sid"/);
    assert.equal(await client.connectNsp("/private"), '4/private,{"message":"private"}');
  });
});

describe("connectTimeout", () => {
  it("closes a session that never connects to a namespace", async () => {
    const { io, clock } = setup({ connectTimeout: 1000 });
    const client = await WireClient.connect(io);
    clock.tick(999);
    assert.equal(client.conn.readyState, "open");
    clock.tick(1);
    await settle();
    assert.notEqual(client.conn.readyState, "open");
  });

  it("leaves a session that joined a namespace alone", async () => {
    const { io, clock } = setup({ connectTimeout: 1000 });
    const client = await WireClient.connect(io);
    await client.connectNsp("/");
    clock.tick(1000);
    assert.equal(client.conn.readyState, "open");
  });

  it("defaults to 45 seconds", async () => {
    const { io, clock } = setup();
    assert.equal(io.connectTimeout(), 45_000);
    const client = await WireClient.connect(io);
    clock.tick(44_999);
    assert.equal(client.conn.readyState, "open");
    clock.tick(1);
    assert.notEqual(client.conn.readyState, "open");
  });
});

describe("disconnect reasons", () => {
  async function connected(io: Server) {
    const reasons: string[] = [];
    let socket: Socket | undefined;
    io.on("connection", (s) => {
      socket = s;
      s.on(
        "disconnecting",
        (reason) => reasons.push("disconnecting:" + reason + ":" + s.rooms.size),
      );
      s.on("disconnect", (reason) => reasons.push(reason));
    });
    const client = await WireClient.connect(io);
    await client.connectNsp("/");
    assert.ok(socket);
    return { client, socket, reasons };
  }

  it('a DISCONNECT from the client is "client namespace disconnect"', async () => {
    const { io } = setup();
    const { client, socket, reasons } = await connected(io);
    await client.send("1");
    assert.deepEqual(reasons, [
      "disconnecting:client namespace disconnect:1",
      "client namespace disconnect",
    ]);
    assert.equal(socket.connected, false);
    assert.equal(socket.rooms.size, 0);
    assert.equal(io.sockets.sockets.size, 0);
    assert.equal(client.conn.readyState, "open");
  });

  it('socket.disconnect() sends DISCONNECT and is "server namespace disconnect"', async () => {
    const { io } = setup();
    const { client, socket, reasons } = await connected(io);
    client.take();
    socket.disconnect();
    assert.deepEqual(client.take(), ["1"]);
    assert.deepEqual(reasons.at(-1), "server namespace disconnect");
    assert.equal(client.conn.readyState, "open");
  });

  it("socket.disconnect(true) also closes the connection", async () => {
    const { io } = setup();
    const { client, socket, reasons } = await connected(io);
    client.take();
    socket.disconnect(true);
    await settle();
    assert.deepEqual(client.take(), ["1"]);
    assert.equal(reasons.at(-1), "server namespace disconnect");
    assert.notEqual(client.conn.readyState, "open");
  });

  it('an Engine.IO close from the client is "transport close"', async () => {
    const { io } = setup();
    const { client, reasons } = await connected(io);
    await client.close();
    assert.equal(reasons.at(-1), "transport close");
  });

  it('a heartbeat that is never answered is "ping timeout"', async () => {
    const { io, clock } = setup({ pingInterval: 100, pingTimeout: 50 });
    const { reasons } = await connected(io);
    clock.tick(100);
    clock.tick(50);
    assert.equal(reasons.at(-1), "ping timeout");
  });

  it('a malformed packet is "parse error", reported to the socket\'s error listeners', async () => {
    const { io } = setup();
    const { client, socket, reasons } = await connected(io);
    const errors: Error[] = [];
    socket.on("error", (err) => errors.push(err));
    const res = await client.send('2["unterminated"');
    assert.equal(res.status, 200);
    assert.equal(reasons.at(-1), "parse error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.name, "ParseError");
    assert.notEqual(client.conn.readyState, "open");
  });

  it("a packet for a namespace the client did not join closes the connection", async () => {
    const { io } = setup();
    const { client, reasons } = await connected(io);
    await client.send('2/other,["x"]');
    assert.equal(reasons.at(-1), "forced server close");
    assert.notEqual(client.conn.readyState, "open");
  });

  it('io.close() disconnects everyone with "server shutting down" and closes the sessions', async () => {
    const { io } = setup();
    const { client, reasons } = await connected(io);
    const other = await WireClient.connect(io);
    let called = false;
    await io.close(() => (called = true));
    await settle();
    assert.equal(reasons.at(-1), "server shutting down");
    assert.equal(called, true);
    assert.notEqual(client.conn.readyState, "open");
    assert.notEqual(other.conn.readyState, "open");
    assert.equal(io.engine.clientsCount, 0);
  });
});

describe("the server as a fetch app", () => {
  it("answers through handle() and handler(), and exposes maxPayload", async () => {
    const { io } = setup({ maxHttpBufferSize: 1234 });
    assert.equal(io.maxPayload, 1234);
    const res = await io.handler()(
      new Request("http://localhost/socket.io/?EIO=4&transport=polling"),
    );
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^0\{"sid"/);
    const other = await io.handle(new Request("http://localhost/elsewhere"));
    assert.equal(other.status, 404);
    await other.body?.cancel();
  });

  it("handler() reads the peer address from Deno.serve's info argument", async () => {
    const { io } = setup();
    let address: string | undefined;
    io.on("connection", (socket) => (address = socket.handshake.address));
    const handler = io.handler();
    const info = { remoteAddr: { hostname: "203.0.113.7" } };
    const base = "http://localhost/socket.io/?EIO=4&transport=polling";
    const open = await (await handler(new Request(base), info)).text();
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    const post = await handler(
      new Request(`${base}&sid=${sid}`, { method: "POST", body: "40" }),
      info,
    );
    assert.equal(await post.text(), "ok");
    await settle();
    assert.equal(address, "203.0.113.7");
  });

  it("serves under a custom path", async () => {
    const { io } = setup({ path: "/custom" });
    assert.equal(io.path(), "/custom");
    const client = await WireClient.connect(io, { path: "/custom/" });
    assert.match(await client.connectNsp("/"), /^0\{"sid"/);
  });
});
