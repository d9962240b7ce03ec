import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import { FakeWebSocket } from "../_support/fake_websocket.ts";
import { settle, WireClient } from "../_support/sio_wire.ts";
import { Server } from "../../src/socket/server.ts";
import type { ServerOptions } from "../../src/socket/_settings.ts";
import type { Socket } from "../../src/socket/socket.ts";
import type { SocketState } from "../../src/socket/socket_types.ts";
import { EngineSocket } from "../../src/engine/socket.ts";
import { WebSocketTransport } from "../../src/engine/websocket.ts";

let servers: Server[] = [];

afterEach(async () => {
  for (const io of servers) await io.close();
  servers = [];
});

/** A server whose connection handler is the application's: joins "room", counts, answers "ping". */
function app(clock: FakeClock, opts: ServerOptions = {}) {
  const io = new Server({ clock, ...opts });
  servers.push(io);
  const connections: Socket[] = [];
  io.on("connection", (socket) => {
    connections.push(socket);
    if (!socket.recovered) {
      void socket.join("room");
      socket.data = { user: socket.handshake.auth.user };
    }
    socket.on("ping", (ack: (v: string) => void) => ack("pong"));
  });
  return { io, connections };
}

/** An Engine.IO session on a fake WebSocket, as a host rebuilds it after hibernation. */
function rebuiltSession(clock: FakeClock, sid: string) {
  const ws = new FakeWebSocket();
  const transport = new WebSocketTransport(1e6);
  transport.events.onOpen(ws);
  const request = new Request("http://localhost/socket.io/?EIO=4&transport=websocket", {
    headers: { "x-app": "1" },
  });
  const conn = new EngineSocket(sid, request, "10.0.0.1", transport, {
    pingInterval: 100_000, // beyond connectTimeout: no heartbeat in these tests
    pingTimeout: 20_000,
    upgradeTimeout: 10_000,
    maxPayload: 1e6,
    upgrades: [],
    initialPacket: undefined,
    clock,
  });
  conn.open();
  ws.take(); // the open packet
  return { conn, ws, transport };
}

describe("suspending and resuming sockets (hibernation hosts)", () => {
  it("_snapshot() keeps namespace, id, pid, rooms without its own id, data, auth and issued", async () => {
    const clock = new FakeClock();
    const { io, connections } = app(clock, { connectionStateRecovery: {} });
    const client = await WireClient.connect(io);
    const answer = await client.connectNsp("/", { user: "ann" });
    const { pid } = JSON.parse(answer.slice(1)) as { pid: string };
    const state = connections[0]!._snapshot();
    assert.deepEqual(state, {
      nsp: "/",
      id: connections[0]!.id,
      pid,
      rooms: ["room"],
      data: { user: "ann" },
      auth: { user: "ann" },
      issued: clock.now(),
    });
  });

  it("has no pid without connection state recovery", async () => {
    const clock = new FakeClock();
    const { io, connections } = app(clock);
    const client = await WireClient.connect(io);
    await client.connectNsp("/");
    assert.equal("pid" in connections[0]!._snapshot(), false);
  });

  it("adopt() gives each socket back with a recovered connection event and sends nothing", async () => {
    const clock = new FakeClock();
    const state: SocketState = {
      nsp: "/",
      id: "resumed-socket-id-01",
      rooms: ["room"],
      data: { user: "ann" },
      auth: { user: "ann" },
      issued: 42,
    };
    const { io, connections } = app(clock);
    const { conn, ws, transport } = rebuiltSession(clock, "sid-1");
    io.adopt(conn, [state]);
    await settle();
    assert.equal(connections.length, 1);
    const socket = connections[0]!;
    assert.equal(socket.recovered, true);
    assert.equal(socket.connected, true);
    assert.equal(socket.id, state.id);
    assert.deepEqual([...socket.rooms].sort(), [state.id, "room"].sort());
    assert.deepEqual(socket.data, { user: "ann" });
    assert.deepEqual(socket.handshake.auth, { user: "ann" });
    assert.equal(socket.handshake.issued, 42);
    assert.equal(socket.handshake.headers["x-app"], "1");
    assert.deepEqual(ws.take(), [], "no CONNECT is sent again");

    transport.events.onMessage('421["ping"]');
    await settle();
    assert.deepEqual(ws.take(), ['431["pong"]']);
    io.to("room").emit("news");
    assert.deepEqual(ws.take(), ['42["news"]']);
    clock.tick(45_000);
    assert.equal(conn.readyState, "open", "a resumed session is not closed by connectTimeout");
  });

  it("tells the client about a namespace that no longer exists", async () => {
    const clock = new FakeClock();
    const { io } = app(clock);
    const { conn, ws } = rebuiltSession(clock, "sid-2");
    const gone: SocketState = { nsp: "/gone", id: "x", rooms: [], data: null, auth: {}, issued: 1 };
    io.adopt(conn, [gone]);
    await settle();
    assert.deepEqual(ws.take(), ["41/gone,"]);
  });
});
