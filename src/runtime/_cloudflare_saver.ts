/**
 * Keeps each WebSocket session's persisted record up to date: the heartbeat
 * on every ping and pong, the sockets (namespaces, ids, rooms, `data`) after
 * every event the object handles. A Durable Object has no "about to
 * hibernate" hook, so the record must be current whenever the object is
 * idle.
 *
 * @module
 */

import type { EngineSocket } from "../engine/socket.ts";
import type { Server } from "../socket/server.ts";
import {
  encodeAttachment,
  encodeBody,
  encodeStub,
  type HeartbeatState,
  type RequestSnapshot,
  type SessionBody,
  type SessionRecord,
  snapshotRequest,
  type SocketSnapshot,
  storageKey,
} from "./_cloudflare_state.ts";
import type { CfStorage, CfWebSocket } from "./_cloudflare_types.ts";

/** One WebSocket session whose record is kept. */
export interface Tracked {
  readonly session: EngineSocket;
  readonly ws: CfWebSocket;
  readonly request: RequestSnapshot;
  heartbeat: HeartbeatState;
  sockets: SocketSnapshot[];
  /** The encoded body last written, to skip writes that change nothing. */
  saved: string | undefined;
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

  /** Starts keeping the record of `session`; `resumed` when it was taken over from one. */
  track(
    session: EngineSocket,
    ws: CfWebSocket,
    heartbeat: HeartbeatState,
    resumed?: Resumed,
  ): Tracked {
    const tracked: Tracked = {
      session,
      ws,
      request: resumed?.record.request ?? snapshotRequest(session.request, session.remoteAddress),
      heartbeat,
      sockets: resumed?.record.sockets ?? [],
      saved: undefined,
      external: resumed?.external ?? false,
    };
    this.#tracked.add(tracked);
    if (resumed) tracked.saved = _encode(tracked);
    else this.#write(tracked);
    return tracked;
  }

  /** Stops keeping it (the session closed). */
  untrack(tracked: Tracked): void {
    this.#tracked.delete(tracked);
    if (tracked.external) this.#storage.delete(storageKey(tracked.session.id)).catch(() => {});
  }

  /** Records a heartbeat step: a ping went out ("pong" awaited), or a pong came in. */
  beat(tracked: Tracked, heartbeat: HeartbeatState): void {
    tracked.heartbeat = heartbeat;
    if (!this.#tracked.has(tracked)) return;
    if (tracked.external) this.#attach(tracked, encodeStub(tracked.session.id, tracked.heartbeat));
    else this.#attach(tracked, encodeAttachment(_record(tracked)));
  }

  /** Saves every changed record once the current event's work (microtasks included) is done. */
  schedule(): void {
    if (this.#pending !== undefined) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.saveAll();
    }, 0);
  }

  /** Saves every record whose sockets changed since it was last written. */
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
    const encoded = _encode(tracked);
    if (encoded !== undefined && encoded === tracked.saved) return;
    tracked.saved = encoded;
    if (this.#attach(tracked, encodeAttachment(_record(tracked)))) {
      if (tracked.external) this.#storage.delete(storageKey(tracked.session.id)).catch(() => {});
      tracked.external = false;
      return;
    }
    // too large for an attachment (16 KiB), or not clonable: storage holds the body
    let body: SessionBody = { request: tracked.request, sockets: tracked.sockets };
    if (!_clonable(body)) {
      body = { ...body, sockets: body.sockets.map((s) => ({ ...s, data: null })) };
    }
    try {
      this.#storage.put(storageKey(tracked.session.id), encodeBody(body)).catch(() => {});
      tracked.external = true;
      this.#attach(tracked, encodeStub(tracked.session.id, tracked.heartbeat));
    } catch {
      tracked.saved = undefined;
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

function _record(tracked: Tracked): SessionRecord {
  return {
    sid: tracked.session.id,
    heartbeat: tracked.heartbeat,
    request: tracked.request,
    sockets: tracked.sockets,
  };
}

/** The body as a comparable string; `undefined` when `data` is not JSON (always rewritten). */
function _encode(tracked: Tracked): string | undefined {
  try {
    return JSON.stringify(encodeBody({ request: tracked.request, sockets: tracked.sockets }));
  } catch {
    return undefined;
  }
}

function _clonable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
