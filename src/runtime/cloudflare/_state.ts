/**
 * What a hibernating Durable Object keeps of each WebSocket session, and its
 * encoding. The record rides in the WebSocket's attachment (kept in memory by
 * the runtime across hibernation, at most 16 KiB); a record too large for it
 * goes to `ctx.storage` and the attachment keeps a stub pointing there.
 *
 * Everything is validated when read back: a record written by another
 * version of this code, or damaged, is refused rather than trusted.
 *
 * @module
 */

import type { RequestHead } from "../../engine/request_head.ts";
import type { HeartbeatState } from "../../engine/heartbeat.ts";
import type { SocketState } from "../../socket/socket_types.ts";

/** The format version; records of any other version are refused. */
export const STATE_VERSION = 1;

/** Where the body of an oversized record is kept in `ctx.storage`. */
export function storageKey(sid: string): string {
  return `sio-edge:session:${sid}`;
}

/** Where a session's heartbeat stands (see `EngineSocket.heartbeat`). */
export type { HeartbeatState };

/** A Socket.IO socket of the session, as it was after the last event. */
export type SocketSnapshot = SocketState;

/** The part of a record that changes rarely: handshake and sockets. */
export interface SessionBody {
  /** The Engine.IO handshake request, as the session keeps it. */
  request: RequestHead;
  /** The client's address. */
  address: string;
  sockets: SocketSnapshot[];
}

/** Everything a woken object needs to take a session over again. */
export interface SessionRecord extends SessionBody {
  sid: string;
  heartbeat: HeartbeatState;
}

/** A decoded attachment: the body is absent when it lives in storage. */
export interface DecodedAttachment {
  sid: string;
  heartbeat: HeartbeatState;
  body: SessionBody | undefined;
}

/** The attachment holding the whole record. */
export function encodeAttachment(record: SessionRecord): unknown {
  return {
    v: STATE_VERSION,
    sid: record.sid,
    hb: [record.heartbeat.phase, record.heartbeat.since],
    body: encodeBody(record),
  };
}

/** The attachment for a record whose body is in storage under {@link storageKey}. */
export function encodeStub(sid: string, heartbeat: HeartbeatState): unknown {
  return { v: STATE_VERSION, sid, hb: [heartbeat.phase, heartbeat.since], ext: true };
}

/** The body as it is stored (in the attachment or in storage). */
export function encodeBody(body: SessionBody): unknown {
  return {
    v: STATE_VERSION,
    req: [body.request.url, toPairs(body.request.headers), body.address],
    sockets: body.sockets.map((
      s,
    ) => [s.nsp, s.id, s.pid ?? null, s.rooms, s.data, s.auth, s.issued]),
  };
}

/** Reads an attachment back; `undefined` if it is not one of ours. */
export function decodeAttachment(value: unknown): DecodedAttachment | undefined {
  if (!isRecord(value) || value.v !== STATE_VERSION || typeof value.sid !== "string") {
    return undefined;
  }
  const heartbeat = decodeHeartbeat(value.hb);
  if (!heartbeat || value.sid === "") return undefined;
  if (value.ext === true) return { sid: value.sid, heartbeat, body: undefined };
  const body = decodeBody(value.body);
  return body ? { sid: value.sid, heartbeat, body } : undefined;
}

/** Reads a body back; `undefined` if malformed. */
export function decodeBody(value: unknown): SessionBody | undefined {
  if (!isRecord(value) || value.v !== STATE_VERSION) return undefined;
  const decoded = decodeRequest(value.req);
  if (!decoded || !Array.isArray(value.sockets)) return undefined;
  const sockets: SocketSnapshot[] = [];
  for (const item of value.sockets) {
    const socket = decodeSocket(item);
    if (!socket) return undefined;
    sockets.push(socket);
  }
  return { request: decoded.request, address: decoded.address, sockets };
}

/** The headers as `[name, value]` pairs: the stored form (headers in order, duplicates kept). */
function toPairs(list: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < list.length; i += 2) pairs.push([list[i]!, list[i + 1]!]);
  return pairs;
}

function decodeHeartbeat(value: unknown): HeartbeatState | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [phase, since] = value as unknown[];
  if ((phase !== "ping" && phase !== "pong") || !Number.isFinite(since)) return undefined;
  return { phase, since: since as number };
}

function decodeRequest(
  value: unknown,
): { request: RequestHead; address: string } | undefined {
  if (!Array.isArray(value) || value.length !== 3) return undefined;
  const [url, headers, address] = value as unknown[];
  if (typeof url !== "string" || typeof address !== "string" || !Array.isArray(headers)) {
    return undefined;
  }
  if (!URL.canParse(url)) return undefined;
  const list: string[] = [];
  for (const pair of headers) {
    if (!Array.isArray(pair) || pair.length !== 2) return undefined;
    const [name, text] = pair as unknown[];
    if (typeof name !== "string" || typeof text !== "string") return undefined;
    list.push(name, text);
  }
  // an Engine.IO handshake is always a GET (any other method is refused with code 2)
  return { request: { url, method: "GET", headers: list }, address };
}

function decodeSocket(value: unknown): SocketSnapshot | undefined {
  if (!Array.isArray(value) || value.length !== 7) return undefined;
  const [nsp, id, pid, rooms, data, auth, issued] = value as unknown[];
  if (typeof nsp !== "string" || !nsp.startsWith("/") || typeof id !== "string" || id === "") {
    return undefined;
  }
  if (pid !== null && typeof pid !== "string") return undefined;
  if (!Array.isArray(rooms) || !rooms.every((r) => typeof r === "string")) return undefined;
  if (!isRecord(auth) || !Number.isFinite(issued)) return undefined;
  const socket: SocketSnapshot = {
    nsp,
    id,
    rooms: rooms as string[],
    data,
    auth,
    issued: issued as number,
  };
  if (typeof pid === "string") socket.pid = pid;
  return socket;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
