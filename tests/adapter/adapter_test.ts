import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import {
  Adapter,
  type AdapterNamespace,
  type AdapterSocket,
  type EncodedPacket,
  type WriteOptions,
} from "../../src/adapter/adapter.ts";
import { SessionAwareAdapter } from "../../src/adapter/session_aware_adapter.ts";
import { type Packet, PacketType } from "../../src/parser/socket_packet.ts";

/** A socket that records what the adapter does to it. */
class FakeSocket implements AdapterSocket {
  readonly writes: { packet: Packet; encoded: EncodedPacket; opts: WriteOptions }[] = [];
  readonly acks = new Map<number, (...args: unknown[]) => void>();
  disconnected: boolean | undefined;

  constructor(readonly id: string, readonly adapter: () => Adapter) {}

  join(rooms: string | string[]): void {
    this.adapter().addAll(this.id, new Set(Array.isArray(rooms) ? rooms : [rooms]));
  }
  leave(room: string): void {
    this.adapter().del(this.id, room);
  }
  disconnect(close = false): void {
    this.disconnected = close;
    this.adapter().delAll(this.id);
  }
  _sendEncoded(packet: Packet, encoded: EncodedPacket, opts: WriteOptions): void {
    this.writes.push({ packet, encoded, opts });
  }
  _expectAck(id: number, fn: (...args: unknown[]) => void): void {
    this.acks.set(id, fn);
  }
  _forgetAck(id: number): void {
    this.acks.delete(id);
  }
}

function setup<A extends Adapter>(
  make: (nsp: AdapterNamespace) => A,
  ids: string[],
  maxDisconnectionDuration = 60_000,
) {
  const clock = new FakeClock();
  let ackIds = 0;
  const sockets = new Map<string, FakeSocket>();
  const nsp: AdapterNamespace = {
    name: "/chat",
    sockets,
    _adapterContext: { clock, maxDisconnectionDuration, nextAckId: () => ackIds++ },
  };
  const adapter = make(nsp);
  for (const id of ids) {
    const socket = new FakeSocket(id, () => adapter);
    sockets.set(id, socket);
    socket.join(id);
  }
  const socket = (id: string) => sockets.get(id)!;
  return { adapter, clock, sockets, socket };
}

const event = (...data: unknown[]): Packet => ({ type: PacketType.EVENT, nsp: "/", data });

describe("Adapter rooms", () => {
  it("addAll, del and delAll keep rooms and sids in step, with room events", () => {
    const { adapter } = setup((nsp) => new Adapter(nsp), []);
    const events: string[] = [];
    adapter.on("create-room", (r) => events.push(`create ${r}`));
    adapter.on("join-room", (r, id) => events.push(`join ${r} ${id}`));
    adapter.on("leave-room", (r, id) => events.push(`leave ${r} ${id}`));
    adapter.on("delete-room", (r) => events.push(`delete ${r}`));
    adapter.addAll("s1", new Set(["a", "b"]));
    adapter.addAll("s2", new Set(["a"]));
    adapter.addAll("s2", new Set(["a"]));
    assert.deepEqual([...adapter.rooms.get("a")!], ["s1", "s2"]);
    assert.deepEqual([...adapter.socketRooms("s1")!], ["a", "b"]);
    adapter.del("s1", "a");
    adapter.delAll("s2");
    adapter.delAll("unknown");
    assert.deepEqual([...adapter.rooms.keys()], ["b"]);
    assert.equal(adapter.sids.has("s2"), false);
    assert.deepEqual(events, [
      "create a",
      "join a s1",
      "create b",
      "join b s1",
      "join a s2",
      "leave a s1",
      "leave a s2",
      "delete a",
    ]);
  });
});

describe("Adapter broadcast", () => {
  it("encodes the packet once and hands every recipient the same encoding and frame", () => {
    const { adapter, socket } = setup((nsp) => new Adapter(nsp), ["s1", "s2", "s3"]);
    adapter.broadcast(event("hi", 1), { rooms: new Set(), except: new Set(["s3"]) });
    const [w1] = socket("s1").writes;
    const [w2] = socket("s2").writes;
    assert.ok(w1 && w2);
    assert.equal(w1.encoded, w2.encoded, "the same encoded array");
    assert.deepEqual(w1.encoded, ['2/chat,["hi",1]']);
    assert.equal(w1.opts.wsPreEncoded, '42/chat,["hi",1]');
    assert.equal(w1.opts, w2.opts);
    assert.equal(socket("s3").writes.length, 0);
  });

  it("binary packets keep their attachments and get no precomputed frame", () => {
    const { adapter, socket } = setup((nsp) => new Adapter(nsp), ["s1"]);
    adapter.broadcast(event("bin", new Uint8Array([5])), { rooms: new Set() });
    const [w] = socket("s1").writes;
    assert.equal(w!.encoded.length, 2);
    assert.equal(w!.opts.wsPreEncoded, undefined);
  });

  it("reaches a socket in several target rooms once, and honours except", () => {
    const { adapter, socket } = setup((nsp) => new Adapter(nsp), ["s1", "s2", "s3"]);
    adapter.addAll("s1", new Set(["a", "b"]));
    adapter.addAll("s2", new Set(["b", "c"]));
    adapter.addAll("s3", new Set(["a"]));
    adapter.broadcast(event("x"), { rooms: new Set(["a", "b"]), except: new Set(["c"]) });
    assert.deepEqual(["s1", "s2", "s3"].map((id) => socket(id).writes.length), [1, 0, 1]);
  });

  it("passes the volatile and compress flags to the write", () => {
    const { adapter, socket } = setup((nsp) => new Adapter(nsp), ["s1"]);
    adapter.broadcast(event("x"), { rooms: new Set(), flags: { volatile: true, compress: false } });
    assert.equal(socket("s1").writes[0]!.opts.volatile, true);
    assert.equal(socket("s1").writes[0]!.opts.compress, false);
  });

  it("broadcastWithAck stamps one ack id, registers it on each recipient and counts them", () => {
    const { adapter, socket } = setup((nsp) => new Adapter(nsp), ["s1", "s2"]);
    const responses: unknown[] = [];
    let count = -1;
    const packet = event("q");
    adapter.broadcastWithAck(
      packet,
      { rooms: new Set() },
      (n) => (count = n),
      (r) => responses.push(r),
    );
    assert.equal(count, 2);
    assert.equal(packet.id, 0);
    assert.deepEqual(socket("s1").writes[0]!.encoded, ['2/chat,0["q"]']);
    socket("s1").acks.get(0)!("r1");
    socket("s2").acks.get(0)!("r2");
    assert.deepEqual(responses, ["r1", "r2"]);
    adapter.removeAcks(0, { rooms: new Set() });
    assert.equal(socket("s1").acks.size, 0);
  });
});

describe("Adapter socket operations", () => {
  it("sockets, fetchSockets, addSockets, delSockets, disconnectSockets act on the selection", async () => {
    const { adapter, socket } = setup((nsp) => new Adapter(nsp), ["s1", "s2", "s3"]);
    adapter.addAll("s1", new Set(["a"]));
    adapter.addAll("s2", new Set(["a"]));
    assert.deepEqual([...await adapter.sockets(new Set(["a"]))], ["s1", "s2"]);
    assert.deepEqual([...await adapter.sockets(new Set())], ["s1", "s2", "s3"]);
    const fetched = await adapter.fetchSockets({ rooms: new Set(["a"]), except: new Set(["s2"]) });
    assert.deepEqual(fetched.map((s) => s.id), ["s1"]);
    adapter.addSockets({ rooms: new Set(["a"]) }, ["b", "c"]);
    assert.deepEqual([...adapter.rooms.get("c")!], ["s1", "s2"]);
    adapter.delSockets({ rooms: new Set(["s1"]) }, ["b", "c"]);
    assert.deepEqual([...adapter.rooms.get("c")!], ["s2"]);
    adapter.disconnectSockets({ rooms: new Set(), except: new Set(["s3"]) }, true);
    assert.equal(socket("s1").disconnected, true);
    assert.equal(socket("s2").disconnected, true);
    assert.equal(socket("s3").disconnected, undefined);
  });

  it("is a single server: serverCount 1, serverSideEmit acks with no responses, no sessions", async () => {
    const { adapter } = setup((nsp) => new Adapter(nsp), []);
    assert.equal(await adapter.serverCount(), 1);
    const ack = await new Promise((resolve) =>
      adapter.serverSideEmit(["ev", (e: unknown, r: unknown) => resolve([e, r])])
    );
    assert.deepEqual(ack, [null, []]);
    adapter.persistSession({ sid: "s", pid: "p", rooms: [], data: {} });
    assert.equal(await adapter.restoreSession("p", "o"), null);
  });
});

describe("SessionAwareAdapter", () => {
  function recovering(ids: string[], max = 60_000) {
    return setup((nsp) => new SessionAwareAdapter(nsp), ids, max);
  }

  function lastOffset(socket: FakeSocket): string {
    const data = socket.writes.at(-1)!.packet.data as unknown[];
    return data.at(-1) as string;
  }

  it("appends a unique offset to stored EVENTs only", () => {
    const { adapter, socket } = recovering(["s1"]);
    adapter.broadcast(event("a"), { rooms: new Set(), except: new Set() });
    adapter.broadcast(event("b"), { rooms: new Set(), except: new Set() });
    adapter.broadcast(event("v"), {
      rooms: new Set(),
      except: new Set(),
      flags: { volatile: true },
    });
    adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["ack"], id: 3 }, {
      rooms: new Set(),
    });
    const [a, b, v, ack] = socket("s1").writes.map((w) => w.packet.data as unknown[]);
    assert.equal(a!.length, 2);
    assert.notEqual(a![1], b![1]);
    assert.deepEqual(v, ["v"]);
    assert.deepEqual(ack, ["ack"]);
  });

  it("does not change the caller's packet data", () => {
    const { adapter } = recovering(["s1"]);
    const packet = event("a");
    adapter.broadcast(packet, { rooms: new Set() });
    assert.deepEqual(packet.data, ["a"]);
  });

  it("restores a session with the packets after the offset that would have reached it", async () => {
    const { adapter, socket } = recovering(["s1", "s2"]);
    adapter.addAll("s1", new Set(["room"]));
    adapter.broadcast(event("before"), { rooms: new Set(), except: new Set() });
    const offset = lastOffset(socket("s1"));
    adapter.persistSession({ sid: "s1", pid: "p1", rooms: ["s1", "room"], data: { n: 1 } });
    adapter.delAll("s1");
    adapter.broadcast(event("all"), { rooms: new Set(), except: new Set() });
    adapter.broadcast(event("room"), { rooms: new Set(["room"]), except: new Set() });
    adapter.broadcast(event("other"), { rooms: new Set(["other"]), except: new Set() });
    adapter.broadcast(event("not-room"), { rooms: new Set(), except: new Set(["room"]) });
    adapter.broadcast(event("direct"), { rooms: new Set(["s1"]), except: new Set() });
    const session = await adapter.restoreSession("p1", offset);
    assert.ok(session);
    assert.equal(session.sid, "s1");
    assert.deepEqual(session.rooms, ["s1", "room"]);
    assert.deepEqual(session.data, { n: 1 });
    assert.deepEqual(session.missedPackets.map((d) => d[0]), ["all", "room", "direct"]);
    assert.ok(session.missedPackets.every((d) => typeof d.at(-1) === "string"));
  });

  it("forgets sessions and packets older than maxDisconnectionDuration", async () => {
    const { adapter, clock, socket } = recovering(["s1"], 1000);
    adapter.broadcast(event("a"), { rooms: new Set() });
    const offset = lastOffset(socket("s1"));
    adapter.persistSession({ sid: "s1", pid: "p1", rooms: [], data: null });
    clock.tick(1000);
    assert.ok(await adapter.restoreSession("p1", offset), "still within the delay");
    adapter.persistSession({ sid: "s1", pid: "p1", rooms: [], data: null });
    clock.tick(1001);
    assert.equal(await adapter.restoreSession("p1", offset), null);
  });

  it("refuses an offset it does not know", async () => {
    const { adapter } = recovering(["s1"]);
    adapter.persistSession({ sid: "s1", pid: "p1", rooms: [], data: null });
    assert.equal(await adapter.restoreSession("p1", "unknown"), null);
  });
});
