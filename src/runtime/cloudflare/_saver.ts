/**
 * Keeps each WebSocket session's persisted record up to date after every
 * event the object handles: its heartbeat (a ping goes out on an alarm, a
 * pong comes in as a message) and its sockets (namespaces, ids, rooms,
 * `data`). A Durable Object has no "about to hibernate" hook, so the record
 * must be current whenever the object is idle.
 *
 * @module
 */

import type { RequestHead } from "../../engine/request_head.ts";
import type { EngineSocket } from "../../engine/socket.ts";
import type { Server } from "../../socket/server.ts";
import {
  encodeAttachment,
  encodeBody,
  encodeStub,
  type HeartbeatState,
  type SessionBody,
  type SessionRecord,
  type SocketSnapshot,
  storageKey,
} from "./_state.ts";
import type { CfStorage, CfWebSocket } from "./_types.ts";

/** One WebSocket session whose record is kept. */
export interface Tracked {
  readonly session: EngineSocket;
  readonly ws: CfWebSocket;
  readonly request: RequestHead;
  readonly address: string;
  sockets: SocketSnapshot[];
  /** The heartbeat last written. */
  heartbeat: HeartbeatState | undefined;
  /** The encoded body last written (`undefined`: rewrite it), to skip writes that change nothing. */
  body: string | undefined;
  /** Whether the body lives in storage (too large for the attachment). */
  external: boolean;
}

/** A session taken over from its record. */
export interface Resumed {
  readonly record: SessionRecord;
  /** Whether the record's body is in storage. */
  readonly external: boolean;
}

/** Writes the records of the tracked sessions. */
export class SessionSaver {
  #storage: CfStorage;
  #io: Server;
  #tracked = new Set<Tracked>();
  #pending: ReturnType<typeof setTimeout> | undefined;

  constructor(storage: CfStorage, io: Server) {
    this.#storage = storage;
    this.#io = io;
  }

  /** Starts keeping the record of `session` (written at once unless `resumed` from it). */
  track(session: EngineSocket, ws: CfWebSocket, resumed?: Resumed): Tracked {
    const record = resumed?.record;
    const tracked: Tracked = {
      session,
      ws,
      request: record?.request ?? session.requestHead,
      address: record?.address ?? session.remoteAddress,
      sockets: record?.sockets ?? [],
      heartbeat: record?.heartbeat,
      body: undefined,
      external: resumed?.external ?? false,
    };
    if (record) tracked.body = encodeTracked(tracked);
    this.#tracked.add(tracked);
    if (!record) this.#write(tracked);
    return tracked;
  }

  /** Stops keeping it (the session closed). */
  untrack(tracked: Tracked): void {
    this.#tracked.delete(tracked);
    if (tracked.external) this.#storage.delete(storageKey(tracked.session.id)).catch(() => {});
  }

  /** Saves every changed record once the current event's work (microtasks included) is done. */
  schedule(): void {
    if (this.#pending !== undefined) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.saveAll();
    }, 0);
  }

  /** Saves every record whose heartbeat or sockets changed since it was last written. */
  saveAll(): void {
    const snapshots = new Map<EngineSocket, SocketSnapshot[]>();
    for (const nsp of this.#io._nsps.values()) {
      for (const socket of nsp.sockets.values()) {
        const list = snapshots.get(socket.conn);
        const snapshot = socket._snapshot();
        if (list) list.push(snapshot);
        else snapshots.set(socket.conn, [snapshot]);
      }
    }
    for (const tracked of this.#tracked) {
      if (tracked.session.readyState !== "open") continue;
      tracked.sockets = snapshots.get(tracked.session) ?? [];
      this.#write(tracked);
    }
  }

  #write(tracked: Tracked): void {
    const heartbeat = tracked.session.heartbeat;
    const body = encodeTracked(tracked);
    const bodyChanged = body === undefined || body !== tracked.body;
    const beat = heartbeat.phase !== tracked.heartbeat?.phase ||
      heartbeat.since !== tracked.heartbeat.since;
    if (!bodyChanged && !beat) return;
    tracked.heartbeat = heartbeat;
    tracked.body = body;
    const sid = tracked.session.id;
    if (tracked.external && !bodyChanged) {
      this.#attach(tracked, encodeStub(sid, heartbeat));
      return;
    }
    const record: SessionRecord = {
      sid,
      heartbeat,
      request: tracked.request,
      address: tracked.address,
      sockets: tracked.sockets,
    };
    if (this.#attach(tracked, encodeAttachment(record))) {
      if (tracked.external) this.#storage.delete(storageKey(sid)).catch(() => {});
      tracked.external = false;
      return;
    }
    // too large for an attachment (16 KiB), or not clonable: storage holds the body
    let stored: SessionBody = {
      request: tracked.request,
      address: tracked.address,
      sockets: tracked.sockets,
    };
    if (!isClonable(stored)) {
      stored = { ...stored, sockets: stored.sockets.map((s) => ({ ...s, data: null })) };
    }
    try {
      this.#storage.put(storageKey(sid), encodeBody(stored)).catch(() => {});
      tracked.external = true;
      this.#attach(tracked, encodeStub(sid, heartbeat));
    } catch {
      tracked.body = undefined; // try again after the next event
    }
  }

  /** Writes the attachment; false when the runtime refuses it (too large, not clonable). */
  #attach(tracked: Tracked, value: unknown): boolean {
    try {
      tracked.ws.serializeAttachment(value);
      return true;
    } catch {
      return false;
    }
  }
}

/** The body as a comparable string; `undefined` when `data` is not JSON (always rewritten). */
function encodeTracked(tracked: Tracked): string | undefined {
  try {
    const { request, address, sockets } = tracked;
    return JSON.stringify(encodeBody({ request, address, sockets }));
  } catch {
    return undefined;
  }
}

function isClonable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
