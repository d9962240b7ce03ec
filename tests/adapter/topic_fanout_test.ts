import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import {
  Adapter,
  type AdapterNamespace,
  type AdapterSocket,
  type EncodedPacket,
  type NativeFanout,
  type WriteOptions,
} from "../../src/adapter/adapter.ts";
import { type Packet, PacketType } from "../../src/parser/socket_packet.ts";

/** A pub/sub like Bun's: a publish reaches every WebSocket of this hub subscribed to the group. */
class FakeHub implements NativeFanout<FakeWebSocket> {
  readonly subscribers = new Map<string, Set<FakeWebSocket>>();
  readonly published: string[] = [];

  accepts(ws: unknown): ws is FakeWebSocket {
    return ws instanceof FakeWebSocket && ws.hub === this;
  }

  subscribe(ws: FakeWebSocket, group: string): void {
    let set = this.subscribers.get(group);
    if (!set) this.subscribers.set(group, set = new Set());
    set.add(ws);
  }

  unsubscribe(ws: FakeWebSocket, group: string): void {
    this.subscribers.get(group)?.delete(ws);
  }

  publish(group: string, frame: string): void {
    this.published.push(group);
    for (const ws of this.subscribers.get(group) ?? []) ws.owner.received.push(frame);
  }
}

/** A runtime WebSocket of one hub. */
class FakeWebSocket {
  constructor(readonly hub: FakeHub, readonly owner: TopicSocket) {}

  groupCount(): number {
    let n = 0;
    for (const set of this.hub.subscribers.values()) if (set.has(this)) n++;
    return n;
  }
}

/** A socket that records every frame it receives, sent one by one or published. */
class TopicSocket implements AdapterSocket {
  readonly received: string[] = [];
  sent = 0;
  /** What the socket offers the fan-out: its WebSocket, or nothing (polling, listeners, ...). */
  ws: FakeWebSocket | undefined;

  constructor(readonly id: string, readonly adapter: () => Adapter, hub?: FakeHub) {
    if (hub) this.ws = new FakeWebSocket(hub, this);
  }

  join(rooms: string | string[]): void {
    this.adapter().addAll(this.id, new Set(Array.isArray(rooms) ? rooms : [rooms]));
  }
  leave(room: string): void {
    this.adapter().del(this.id, room);
  }
  disconnect(): void {
    this.adapter().delAll(this.id);
  }
  _sendEncoded(_packet: Packet, encoded: EncodedPacket, _opts: WriteOptions): void {
    this.sent++;
    this.received.push("4" + encoded[0]);
  }
  _expectAck(): void {}
  _forgetAck(): void {}
  _fanoutTarget(): unknown {
    return this.ws;
  }
}

/**
 * Sockets `ws*` have a WebSocket on `hub`; the others (polling) have none.
 * `fanout` is what the server handed the adapter (null: the runtime has no native fan-out).
 */
function setup(ids: string[], hub = new FakeHub(), fanout: NativeFanout | null = hub) {
  const sockets = new Map<string, TopicSocket>();
  const nsp: AdapterNamespace = {
    name: "/",
    sockets,
    _adapterContext: {
      clock: new FakeClock(),
      maxDisconnectionDuration: 0,
      nextAckId: () => 0,
      fanout: fanout ?? undefined,
    },
  };
  const adapter = new Adapter(nsp);
  for (const id of ids) {
    const socket = new TopicSocket(id, () => adapter, id.startsWith("ws") ? hub : undefined);
    sockets.set(id, socket);
    socket.join([id, "room"]);
  }
  return { adapter, hub, socket: (id: string) => sockets.get(id)! };
}

const event = (...data: unknown[]): Packet => ({ type: PacketType.EVENT, nsp: "/", data });
const FRAME = '42["m",1]';
const toRoom = (flags = {}) => ({ rooms: new Set(["room"]), except: new Set<string>(), flags });

describe("Adapter broadcast through a native fan-out", () => {
  it("publishes once for the WebSocket members and sends to the others one by one", () => {
    const { adapter, hub, socket } = setup(["ws1", "ws2", "p1"]);
    adapter.broadcast(event("m", 1), toRoom());
    adapter.broadcast(event("m", 2), toRoom());
    assert.equal(hub.published.length, 2);
    for (const id of ["ws1", "ws2", "p1"]) {
      assert.deepEqual(socket(id).received, [FRAME, '42["m",2]'], id);
    }
    assert.equal(socket("ws1").sent, 0);
    assert.equal(socket("p1").sent, 2);
  });

  it("leaves out the except sockets and keeps them subscribed afterwards", () => {
    const { adapter, socket } = setup(["ws1", "ws2", "ws3"]);
    adapter.broadcast(event("m", 0), toRoom());
    adapter.broadcast(event("m", 1), { ...toRoom(), except: new Set(["ws2"]) });
    adapter.broadcast(event("m", 2), toRoom());
    assert.deepEqual(socket("ws1").received, ['42["m",0]', FRAME, '42["m",2]']);
    assert.deepEqual(socket("ws2").received, ['42["m",0]', '42["m",2]']);
    assert.equal(socket("ws2").sent, 0);
  });

  it("a socket that left the room or disconnected is unsubscribed", () => {
    const { adapter, socket } = setup(["ws1", "ws2", "ws3"]);
    adapter.broadcast(event("m", 0), toRoom());
    socket("ws2").leave("room");
    socket("ws3").disconnect();
    adapter.broadcast(event("m", 1), toRoom());
    assert.equal(socket("ws2").received.length, 1);
    assert.equal(socket("ws3").received.length, 1);
    assert.equal(socket("ws2").ws!.groupCount(), 0);
    assert.equal(socket("ws3").ws!.groupCount(), 0);
    // ws1 alone in the room: sent to directly, and still only once
    assert.deepEqual(socket("ws1").received, ['42["m",0]', FRAME]);
  });

  it("a socket that no longer offers its WebSocket is unsubscribed and sent to directly", () => {
    const { adapter, socket } = setup(["ws1", "ws2"]);
    adapter.broadcast(event("m", 0), toRoom());
    const old = socket("ws2").ws!;
    socket("ws2").ws = undefined; // e.g. closing, or an outgoing listener was added
    adapter.broadcast(event("m", 1), toRoom());
    assert.equal(old.groupCount(), 0);
    assert.deepEqual(socket("ws2").received, ['42["m",0]', FRAME]);
    assert.equal(socket("ws2").sent, 1);
  });

  it("a socket whose WebSocket changed moves its subscriptions to the new one", () => {
    const { adapter, hub, socket } = setup(["ws1", "ws2"]);
    adapter.broadcast(event("m", 0), toRoom());
    const old = socket("ws2").ws!;
    socket("ws2").ws = new FakeWebSocket(hub, socket("ws2"));
    adapter.broadcast(event("m", 1), toRoom());
    assert.equal(old.groupCount(), 0);
    assert.deepEqual(socket("ws2").received, ['42["m",0]', FRAME]);
  });

  it("sockets of another hub get the frame one by one", () => {
    const other = new FakeHub();
    const { adapter, hub, socket } = setup(["ws1", "ws2"]);
    socket("ws2").ws = new FakeWebSocket(other, socket("ws2"));
    adapter.broadcast(event("m", 1), toRoom());
    assert.deepEqual(hub.published.length, 1);
    assert.deepEqual(other.published, []);
    assert.deepEqual(socket("ws2").received, [FRAME]);
    assert.equal(socket("ws2").sent, 1);
  });

  it("volatile, binary and several-room broadcasts take the one-by-one path", () => {
    const { adapter, hub, socket } = setup(["ws1", "ws2"]);
    adapter.broadcast(event("m", 1), toRoom({ volatile: true }));
    adapter.broadcast(event("m", new Uint8Array([1])), toRoom());
    adapter.broadcast(event("m", 1), { rooms: new Set(["room", "ws1"]) });
    assert.deepEqual(hub.published, []);
    assert.equal(socket("ws1").sent, 3);
  });

  it("a namespace-wide broadcast uses its own topic, distinct per adapter", () => {
    const a = setup(["ws1", "ws2"]);
    const b = setup(["ws1", "ws2"], a.hub);
    a.adapter.broadcast(event("m", 1), { rooms: new Set() });
    b.adapter.broadcast(event("m", 1), { rooms: new Set() });
    assert.equal(new Set(a.hub.published).size, 2);
    assert.deepEqual(a.socket("ws1").received, [FRAME]);
    assert.deepEqual(b.socket("ws2").received, [FRAME]);
  });

  it("without a fan-out from the runtime, every member is sent to one by one", () => {
    const { adapter, hub, socket } = setup(["ws1", "ws2", "p1"], new FakeHub(), null);
    adapter.broadcast(event("m", 1), toRoom());
    assert.deepEqual(hub.published, []);
    for (const id of ["ws1", "ws2", "p1"]) {
      assert.deepEqual(socket(id).received, [FRAME], id);
      assert.equal(socket(id).sent, 1, id);
    }
  });

  it("a group with nobody the fan-out accepts publishes nothing", () => {
    const { adapter, hub, socket } = setup(["p1", "p2"]);
    adapter.broadcast(event("m", 1), toRoom());
    assert.deepEqual(hub.published, []);
    assert.deepEqual(socket("p1").received, [FRAME]);
  });
});
