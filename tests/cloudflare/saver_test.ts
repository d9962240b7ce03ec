/**
 * How a hibernating object keeps each WebSocket session's record current:
 * written when tracked, rewritten only when its sockets or heartbeat changed,
 * oversized records moved to storage, and storage cleaned up when the
 * session ends. Sockets, server and storage are fakes.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SessionSaver } from "../../src/runtime/cloudflare/_saver.ts";
import {
  decodeAttachment,
  decodeBody,
  type SocketSnapshot,
  storageKey,
} from "../../src/runtime/cloudflare/_state.ts";
import type { CfStorage, CfWebSocket } from "../../src/runtime/cloudflare/_types.ts";
import type { EngineSocket } from "../../src/engine/socket.ts";
import type { Server } from "../../src/socket/server.ts";

/** Like workerd: structured clone, at most 16 KiB. */
class FakeWebSocket implements Partial<CfWebSocket> {
  attachment: unknown = null;
  writes = 0;
  serializeAttachment(value: unknown): void {
    const copy = structuredClone(value);
    if (JSON.stringify(copy).length > 16_384) {
      throw new Error("A WebSocket 'attachment' cannot be larger than 16384 bytes.");
    }
    this.attachment = copy;
    this.writes++;
  }
}

class FakeStorage {
  data = new Map<string, unknown>();
  puts = 0;
  put(key: string, value: unknown): Promise<void> {
    this.puts++;
    this.data.set(key, structuredClone(value));
    return Promise.resolve();
  }
  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.data.delete(key));
  }
}

function fakeSession(id: string): EngineSocket {
  return {
    id,
    readyState: "open",
    heartbeat: { phase: "ping", since: 1_000 },
    remoteAddress: "192.0.2.1",
    requestHead: {
      url: "http://h/socket.io/?EIO=4&transport=websocket",
      method: "GET",
      headers: ["x-a", "1"],
    },
  } as unknown as EngineSocket;
}

/** What the engine does on a ping or a pong. */
function beat(session: EngineSocket, heartbeat: { phase: "ping" | "pong"; since: number }): void {
  (session as { heartbeat: unknown }).heartbeat = heartbeat;
}

function setup() {
  const sockets: { conn: EngineSocket; _snapshot: () => SocketSnapshot }[] = [];
  const io = {
    _nsps: new Map([["/", { sockets: { values: () => sockets.values() } }]]),
  } as unknown as Server;
  const storage = new FakeStorage();
  const saver = new SessionSaver(storage as unknown as CfStorage, io);
  const session = fakeSession("SID");
  const ws = new FakeWebSocket();
  const snapshot: SocketSnapshot = {
    nsp: "/",
    id: "s1",
    rooms: [],
    data: { n: 1 },
    auth: {},
    issued: 5,
  };
  sockets.push({ conn: session, _snapshot: () => structuredClone(snapshot) });
  return { saver, session, ws, snapshot, storage, sockets };
}

describe("SessionSaver", () => {
  it("writes a record as soon as a session is tracked", () => {
    const { saver, session, ws } = setup();
    saver.track(session, ws as unknown as CfWebSocket);
    const decoded = decodeAttachment(ws.attachment)!;
    assert.equal(decoded.sid, "SID");
    assert.deepEqual(decoded.heartbeat, { phase: "ping", since: 1_000 });
    assert.equal(decoded.body!.address, "192.0.2.1");
    assert.deepEqual(decoded.body!.request.headers, ["x-a", "1"]);
  });

  it("rewrites the record when rooms or data changed, and only then", () => {
    const { saver, session, ws, snapshot } = setup();
    saver.track(session, ws as unknown as CfWebSocket);
    saver.saveAll();
    const writes = ws.writes;
    assert.deepEqual(decodeAttachment(ws.attachment)!.body!.sockets, [snapshot]);
    saver.saveAll();
    assert.equal(ws.writes, writes, "nothing changed: no write");
    snapshot.rooms.push("lobby");
    snapshot.data = { n: 2 };
    saver.saveAll();
    assert.equal(ws.writes, writes + 1);
    assert.deepEqual(decodeAttachment(ws.attachment)!.body!.sockets[0]!.rooms, ["lobby"]);
    assert.deepEqual(decodeAttachment(ws.attachment)!.body!.sockets[0]!.data, { n: 2 });
  });

  it("records each heartbeat step with its time", () => {
    const { saver, session, ws } = setup();
    saver.track(session, ws as unknown as CfWebSocket);
    const writes = ws.writes;
    beat(session, { phase: "pong", since: 26_000 });
    saver.saveAll();
    assert.deepEqual(decodeAttachment(ws.attachment)!.heartbeat, { phase: "pong", since: 26_000 });
    beat(session, { phase: "ping", since: 26_040 });
    saver.saveAll();
    assert.deepEqual(decodeAttachment(ws.attachment)!.heartbeat, { phase: "ping", since: 26_040 });
    saver.saveAll();
    assert.equal(ws.writes, writes + 2, "one write per step");
  });

  it("moves a record too large for the attachment to storage, and back when it shrinks", () => {
    const { saver, session, ws, snapshot, storage } = setup();
    saver.track(session, ws as unknown as CfWebSocket);
    snapshot.data = { blob: "x".repeat(20_000) };
    saver.saveAll();
    const stub = decodeAttachment(ws.attachment)!;
    assert.equal(stub.body, undefined);
    assert.deepEqual(
      decodeBody(storage.data.get(storageKey("SID")))!.sockets[0]!.data,
      snapshot.data,
    );
    const puts = storage.puts;
    beat(session, { phase: "pong", since: 2_000 });
    saver.saveAll();
    assert.equal(storage.puts, puts, "a heartbeat step rewrites only the stub");
    assert.deepEqual(decodeAttachment(ws.attachment), {
      sid: "SID",
      heartbeat: { phase: "pong", since: 2_000 },
      body: undefined,
    });
    snapshot.data = { small: true };
    saver.saveAll();
    assert.deepEqual(decodeAttachment(ws.attachment)!.body!.sockets[0]!.data, { small: true });
    assert.equal(storage.data.has(storageKey("SID")), false);
  });

  it("stores sockets without data when data cannot be cloned", () => {
    const { saver, session, ws, snapshot, storage, sockets } = setup();
    saver.track(session, ws as unknown as CfWebSocket);
    sockets[0]!._snapshot = () => ({ ...snapshot, data: { fn: () => {} } });
    saver.saveAll();
    assert.equal(decodeAttachment(ws.attachment)!.body, undefined);
    const body = decodeBody(storage.data.get(storageKey("SID")))!;
    assert.equal(body.sockets[0]!.id, "s1");
    assert.equal(body.sockets[0]!.data, null);
  });

  it("forgets the storage entry of a session that ends", async () => {
    const { saver, session, ws, snapshot, storage } = setup();
    const tracked = saver.track(session, ws as unknown as CfWebSocket);
    snapshot.data = { blob: "x".repeat(20_000) };
    saver.saveAll();
    assert.equal(storage.data.has(storageKey("SID")), true);
    saver.untrack(tracked);
    await Promise.resolve();
    assert.equal(storage.data.has(storageKey("SID")), false);
  });
});
