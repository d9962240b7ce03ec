/**
 * A native fan-out handed to the server (as `sio-edge/bun` does with Bun's
 * pub/sub), in process with the real Server, Socket and EngineSocket over fake
 * WebSockets: a room broadcast is one publish for the members the fan-out may
 * write to, and the one-by-one path for a socket with outgoing listeners or a
 * session someone watches; `except` and leaving are honoured.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import { FakeUpgrader, FakeWebSocket } from "../_support/fake_websocket.ts";
import type { NativeFanout } from "../../src/adapter/adapter.ts";
import { Server } from "../../src/socket/server.ts";
import type { Socket } from "../../src/socket/socket.ts";

/** Bun's pub/sub in miniature: a publish is a send on every subscribed socket. */
class FakeFanout implements NativeFanout<FakeWebSocket> {
  readonly groups = new Map<string, Set<FakeWebSocket>>();
  publishes = 0;

  accepts(ws: unknown): ws is FakeWebSocket {
    return ws instanceof FakeWebSocket && ws.readyState === 1;
  }
  subscribe(ws: FakeWebSocket, group: string): void {
    let set = this.groups.get(group);
    if (!set) this.groups.set(group, set = new Set());
    set.add(ws);
  }
  unsubscribe(ws: FakeWebSocket, group: string): void {
    this.groups.get(group)?.delete(ws);
  }
  publish(group: string, frame: string): void {
    this.publishes++;
    for (const ws of this.groups.get(group) ?? []) ws.send(frame);
  }
}

let servers: Server[] = [];
afterEach(async () => {
  for (const io of servers) await io.close();
  servers = [];
});

const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** A server with the fan-out installed and `n` WebSocket clients in room "all". */
async function wsCrowd(n: number) {
  const io = new Server({ clock: new FakeClock() });
  servers.push(io);
  const fanout = new FakeFanout();
  io.useNativeFanout(fanout);
  const sockets: Socket[] = [];
  io.on("connection", (s) => void (sockets.push(s), s.join("all")));
  const wss: FakeWebSocket[] = [];
  for (let i = 0; i < n; i++) {
    const upgrader = new FakeUpgrader();
    const url = "http://localhost/socket.io/?EIO=4&transport=websocket";
    const headers = { upgrade: "websocket", connection: "Upgrade" };
    await io.handle(new Request(url, { headers }), upgrader.ctx);
    const ws = upgrader.open();
    upgrader.events.onMessage("40");
    await settle();
    ws.take();
    wss.push(ws);
  }
  assert.equal(sockets.length, n);
  return { io, fanout, sockets, wss };
}

const texts = (wss: FakeWebSocket[]) => wss.map((ws) => ws.take());

describe("a native fan-out handed to the server", () => {
  it("a room broadcast is one publish, and every member gets the frame once", async () => {
    const { io, fanout, wss } = await wsCrowd(3);
    io.to("all").emit("m", 1);
    io.emit("m", 2);
    assert.equal(fanout.publishes, 2);
    for (const got of texts(wss)) assert.deepEqual(got, ['42["m",1]', '42["m",2]']);
  });

  it("only the first fan-out stays", async () => {
    const { io, fanout, wss } = await wsCrowd(2);
    const other = new FakeFanout();
    io.useNativeFanout(other);
    io.of("/late");
    io.emit("m", 1);
    assert.equal(fanout.publishes, 1);
    assert.equal(other.publishes, 0);
    assert.equal(io.of("/late")._adapterContext.fanout, fanout);
    assert.deepEqual(texts(wss), [['42["m",1]'], ['42["m",1]']]);
  });

  it("a socket with an outgoing listener, or whose session is watched, is sent to one by one", async () => {
    const { io, fanout, sockets, wss } = await wsCrowd(3);
    io.emit("m", 0);
    const seen: unknown[][] = [];
    sockets[1]!.onAnyOutgoing((...args) => seen.push(args));
    sockets[2]!.client.conn.on("packetCreate", () => {});
    io.emit("m", 1);
    assert.equal(fanout.publishes, 2);
    // off the group: a later publish would reach them twice otherwise
    assert.deepEqual([...fanout.groups.values()].map((set) => set.size), [1]);
    for (const got of texts(wss)) assert.deepEqual(got, ['42["m",0]', '42["m",1]']);
    assert.deepEqual(seen, [["m", 1]]);
  });

  it("honours except and leave, and a socket back from except is still reached", async () => {
    const { io, sockets, wss } = await wsCrowd(3);
    await sockets[1]!.join("x");
    io.emit("m", 0);
    io.except("x").emit("m", 1);
    await sockets[2]!.leave("all");
    io.to("all").emit("m", 2);
    assert.deepEqual(texts(wss), [
      ['42["m",0]', '42["m",1]', '42["m",2]'],
      ['42["m",0]', '42["m",2]'],
      ['42["m",0]', '42["m",1]'],
    ]);
  });
});
