/**
 * Connection state recovery kept in Durable Object storage: packets get
 * sortable offsets, a reconnecting client gets exactly what it missed, and
 * everything expires — across adapter instances, as after an eviction.
 * Storage, namespace and time are fakes.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DurableObjectRecoveryLog } from "../../src/runtime/cloudflare/_recovery.ts";
import { makeOffset } from "../../src/adapter/recovery_log.ts";
import { SessionAwareAdapter } from "../../src/adapter/session_aware_adapter.ts";
import type { CfListOptions, CfStorage } from "../../src/runtime/cloudflare/_types.ts";
import type { AdapterNamespace, BroadcastOptions } from "../../src/adapter/adapter.ts";
import { type Packet, PacketType } from "../../src/parser/socket_packet.ts";

/** Sorted key-value storage with structured clone, like a Durable Object's. */
class FakeStorage {
  data = new Map<string, unknown>();
  get(key: string): Promise<unknown> {
    return Promise.resolve(structuredClone(this.data.get(key)));
  }
  put(key: string, value: unknown): Promise<void> {
    this.data.set(key, structuredClone(value));
    return Promise.resolve();
  }
  delete(keys: string | string[]): Promise<unknown> {
    const list = Array.isArray(keys) ? keys : [keys];
    return Promise.resolve(list.filter((k) => this.data.delete(k)).length);
  }
  list(options: CfListOptions = {}): Promise<Map<string, unknown>> {
    const keys = [...this.data.keys()].sort().filter((k) =>
      k.startsWith(options.prefix ?? "") && (options.start === undefined || k >= options.start) &&
      (options.end === undefined || k < options.end)
    );
    const limited = keys.slice(0, options.limit ?? keys.length);
    return Promise.resolve(new Map(limited.map((k) => [k, structuredClone(this.data.get(k))])));
  }
}

const MAX = 60_000;

function make(storage = new FakeStorage(), time = { t: 1_700_000_000_000 }) {
  const nsp = {
    name: "/",
    sockets: new Map(),
    _adapterContext: {
      clock: { now: () => time.t },
      maxDisconnectionDuration: MAX,
      nextAckId: () => 1,
    },
  } as unknown as AdapterNamespace;
  const log = new DurableObjectRecoveryLog(
    storage as unknown as CfStorage,
    nsp.name,
    nsp._adapterContext.clock,
  );
  const adapter = new SessionAwareAdapter(nsp, log);
  return { adapter, storage, time };
}

function event(...data: unknown[]): Packet {
  return { type: PacketType.EVENT, nsp: "/", data };
}

function to(
  rooms: string[],
  except: string[] = [],
  flags: BroadcastOptions["flags"] = {},
): BroadcastOptions {
  return { rooms: new Set(rooms), except: new Set(except), flags };
}

async function storedOffsets(storage: FakeStorage): Promise<string[]> {
  return [...(await storage.list({ prefix: "sio-edge:recovery:/:p:" })).keys()].map((k) =>
    k.split(":p:")[1]!
  );
}

describe("SessionAwareAdapter over DurableObjectRecoveryLog", () => {
  it("stamps each stored EVENT with an offset that sorts by time", async () => {
    const { adapter, storage, time } = make();
    adapter.broadcast(event("a", 1), to([]));
    time.t += 1;
    adapter.broadcast(event("b"), to(["r"]));
    adapter.broadcast(event("c"), to(["r"]));
    const offsets = await storedOffsets(storage);
    assert.equal(offsets.length, 3);
    assert.deepEqual([...offsets].sort(), offsets);
    const first = await storage.get("sio-edge:recovery:/:p:" + offsets[0]) as { data: unknown[] };
    assert.deepEqual(first.data, ["a", 1, offsets[0]]);
    assert.ok(makeOffset(10, 2) < makeOffset(10, 10) && makeOffset(10, 99) < makeOffset(11, 0));
  });

  it("a reconnecting client gets its session and exactly the packets it missed", async () => {
    const { adapter, storage, time } = make();
    adapter.broadcast(event("seen"), to(["r"]));
    const [seen] = await storedOffsets(storage);
    adapter.persistSession({ sid: "s1", pid: "p1", rooms: ["s1", "r"], data: { n: 1 } });
    time.t += 1_000;
    adapter.broadcast(event("for r", new Uint8Array([1])), to(["r"]));
    adapter.broadcast(event("for all"), to([]));
    adapter.broadcast(event("other room"), to(["x"]));
    adapter.broadcast(event("r but not s1"), to(["r"], ["s1"]));
    adapter.broadcast(event("volatile"), to([], [], { volatile: true }));
    adapter.broadcast({ ...event("with ack"), id: 3 }, to([]));
    const session = await adapter.restoreSession("p1", seen!);
    assert.ok(session);
    assert.deepEqual({
      sid: session.sid,
      pid: session.pid,
      rooms: session.rooms,
      data: session.data,
    }, {
      sid: "s1",
      pid: "p1",
      rooms: ["s1", "r"],
      data: { n: 1 },
    });
    assert.deepEqual(session.missedPackets.map((p) => p.slice(0, -1)), [[
      "for r",
      new Uint8Array([1]),
    ], ["for all"]]);
    assert.equal(await adapter.restoreSession("p1", seen!), null, "a session is restored once");
  });

  it("an unknown pid, an unknown or malformed offset get no session", async () => {
    const { adapter, storage } = make();
    adapter.broadcast(event("x"), to([]));
    const [offset] = await storedOffsets(storage);
    adapter.persistSession({ sid: "s1", pid: "p1", rooms: [], data: null });
    assert.equal(await adapter.restoreSession("nobody", offset!), null);
    assert.equal(await adapter.restoreSession("p1", makeOffset(1, 0)), null);
    assert.equal(await adapter.restoreSession("p1", "../../etc"), null);
    assert.ok(await adapter.restoreSession("p1", offset!));
  });

  it("survives a new adapter instance on the same storage (an eviction)", async () => {
    const first = make();
    first.adapter.broadcast(event("seen"), to([]));
    const [seen] = await storedOffsets(first.storage);
    first.adapter.persistSession({ sid: "s1", pid: "p1", rooms: [], data: "d" });
    first.adapter.broadcast(event("missed"), to([]));
    first.time.t += 12_000;
    const woken = make(first.storage, first.time);
    woken.adapter.broadcast(event("after wake"), to([]));
    const session = await woken.adapter.restoreSession("p1", seen!);
    assert.deepEqual(session?.missedPackets.map((p) => p[0]), ["missed", "after wake"]);
  });

  it("sessions and packets expire after maxDisconnectionDuration", async () => {
    const { adapter, storage, time } = make();
    adapter.broadcast(event("old"), to([]));
    const [old] = await storedOffsets(storage);
    adapter.persistSession({ sid: "s1", pid: "p1", rooms: [], data: null });
    time.t += MAX + 1;
    assert.equal(await adapter.restoreSession("p1", old!), null);
    adapter.broadcast(event("new"), to([])); // sweeps
    await new Promise((r) => setTimeout(r, 0));
    const offsets = await storedOffsets(storage);
    assert.equal(offsets.length, 1);
    assert.equal(storage.data.has("sio-edge:recovery:/:s:p1"), false);
  });
});
