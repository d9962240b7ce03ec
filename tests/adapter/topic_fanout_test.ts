import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import {
  Adapter,
  type AdapterNamespace,
  type AdapterSocket,
  type AdapterTopicHub,
  type AdapterTopics,
  type EncodedPacket,
  type WriteOptions,
} from "../../src/adapter/adapter.ts";
import { type Packet, PacketType } from "../../src/parser/socket_packet.ts";

/** A pub/sub like Bun's: a publish reaches every socket subscribed to the topic. */
class FakeHub implements AdapterTopicHub {
  readonly subscribers = new Map<string, Set<FakeTopics>>();
  readonly published: string[] = [];

  publish(topic: string, data: string): void {
    this.published.push(topic);
    for (const topics of this.subscribers.get(topic) ?? []) topics.owner.received.push(data);
  }
}

/** One socket's subscriptions on a hub. */
class FakeTopics implements AdapterTopics {
  constructor(readonly hub: FakeHub, readonly owner: TopicSocket) {}

  subscribe(topic: string): void {
    let set = this.hub.subscribers.get(topic);
    if (!set) this.hub.subscribers.set(topic, set = new Set());
    set.add(this);
  }

  unsubscribe(topic: string): void {
    this.hub.subscribers.get(topic)?.delete(this);
  }

  topicCount(): number {
    let n = 0;
    for (const set of this.hub.subscribers.values()) if (set.has(this)) n++;
    return n;
  }
}

/** A socket that records every frame it receives, sent one by one or published. */
class TopicSocket implements AdapterSocket {
  readonly received: string[] = [];
  sent = 0;
  topics: FakeTopics | undefined;

  constructor(readonly id: string, readonly adapter: () => Adapter, hub?: FakeHub) {
    if (hub) this.topics = new FakeTopics(hub, this);
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
  _topics(): AdapterTopics | undefined {
    return this.topics;
  }
}

/** Sockets `ws*` have topics on one hub; the others (polling) have none. */
function setup(ids: string[], hub = new FakeHub()) {
  const sockets = new Map<string, TopicSocket>();
  const nsp: AdapterNamespace = {
    name: "/",
    sockets,
    _adapterContext: { clock: new FakeClock(), maxDisconnectionDuration: 0, nextAckId: () => 0 },
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

describe("Adapter broadcast through native topics", () => {
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
    assert.equal(socket("ws2").topics!.topicCount(), 0);
    assert.equal(socket("ws3").topics!.topicCount(), 0);
    // ws1 alone in the room: sent to directly, and still only once
    assert.deepEqual(socket("ws1").received, ['42["m",0]', FRAME]);
  });

  it("a socket that loses its topics is unsubscribed and sent to directly", () => {
    const { adapter, socket } = setup(["ws1", "ws2"]);
    adapter.broadcast(event("m", 0), toRoom());
    const old = socket("ws2").topics!;
    socket("ws2").topics = undefined; // e.g. closing, or an outgoing listener was added
    adapter.broadcast(event("m", 1), toRoom());
    assert.equal(old.topicCount(), 0);
    assert.deepEqual(socket("ws2").received, ['42["m",0]', FRAME]);
    assert.equal(socket("ws2").sent, 1);
  });

  it("a socket whose WebSocket changed moves its subscriptions to the new one", () => {
    const { adapter, hub, socket } = setup(["ws1", "ws2"]);
    adapter.broadcast(event("m", 0), toRoom());
    const old = socket("ws2").topics!;
    socket("ws2").topics = new FakeTopics(hub, socket("ws2"));
    adapter.broadcast(event("m", 1), toRoom());
    assert.equal(old.topicCount(), 0);
    assert.deepEqual(socket("ws2").received, ['42["m",0]', FRAME]);
  });

  it("sockets of another hub get the frame one by one", () => {
    const other = new FakeHub();
    const { adapter, hub, socket } = setup(["ws1", "ws2"]);
    socket("ws2").topics = new FakeTopics(other, socket("ws2"));
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
});
