/**
 * The wire of the classic Redis adapter (`@socket.io/redis-adapter` 8.3) that
 * the adapter and the emitter share: the channel names, the request types, the
 * codec port, and how a request or an answer is read.
 *
 * @module
 */

import { decode as msgpackDecode, encode as msgpackEncode } from "../../parser/msgpack_codec.ts";

/** Encodes and decodes broadcasts and ack traffic; notepack.io's format by default. */
export interface RedisParser {
  /** Encodes a message. */
  encode(value: unknown): Uint8Array | string;
  /** Decodes a message. */
  decode(message: Uint8Array): unknown;
}

/** The channels of namespace `nsp` under `key`. */
export interface ClassicChannels {
  /** `<key>#<nsp>#`: broadcasts to the namespace or to several rooms. */
  broadcast: string;
  /** `<key>-request#<nsp>#`: requests to every server. */
  request: string;
  /** `<key>-response#<nsp>#`: answers, when not on the requester's own channel. */
  response: string;
}

/** The channel names of namespace `nsp` under `key`. */
export function classicChannels(key: string, nsp: string): ClassicChannels {
  return {
    broadcast: `${key}#${nsp}#`,
    request: `${key}-request#${nsp}#`,
    response: `${key}-response#${nsp}#`,
  };
}

/** Where a broadcast goes: `<key>#<nsp>#<room>#` for exactly one room, else the namespace's channel. */
export function broadcastChannel(channels: ClassicChannels, rooms: ReadonlySet<string>): string {
  return rooms.size === 1
    ? channels.broadcast + rooms.values().next().value + "#"
    : channels.broadcast;
}

/** The requester's own answer channel, `<key>-response#<nsp>#<uid>#` (`publishOnSpecificResponseChannel`). */
export function specificResponseChannel(channels: ClassicChannels, uid: string): string {
  return `${channels.response}${uid}#`;
}

/** The request types of the classic protocol (not the ClusterAdapter's numbering). */
export const RequestType = {
  SOCKETS: 0,
  ALL_ROOMS: 1,
  REMOTE_JOIN: 2,
  REMOTE_LEAVE: 3,
  REMOTE_DISCONNECT: 4,
  REMOTE_FETCH: 5,
  SERVER_SIDE_EMIT: 6,
  BROADCAST: 7,
  BROADCAST_CLIENT_COUNT: 8,
  BROADCAST_ACK: 9,
} as const;

/** `{"requestId":"…"` or `{"type":N,"requestId":"…"` at the start: how every JSON answer begins. */
const ANSWER_HEAD = /^\{(?:"type":\d{1,2},)?"requestId":"([A-Za-z0-9_-]{1,64})"[,}]/;

/**
 * The request id of a JSON answer, read from its first bytes when it starts
 * the way the official adapter and this one write answers; undefined
 * otherwise (the answer is then decoded whole).
 */
export function peekRequestId(message: Uint8Array): string | undefined {
  if (message[0] !== 0x7b) return undefined;
  let head = "";
  const end = Math.min(message.length, 96);
  for (let i = 0; i < end; i++) head += String.fromCharCode(message[i]!);
  return ANSWER_HEAD.exec(head)?.[1];
}

const utf8 = new TextDecoder();

/**
 * A request or an answer: JSON when it starts with `{`, else `parser`'s
 * (both are accepted on both channels, as the official adapter does);
 * undefined when malformed or not an object.
 */
export function decodeRequest(
  message: Uint8Array,
  parser: RedisParser,
): Record<string, unknown> | undefined {
  try {
    const value = message[0] === 0x7b ? JSON.parse(utf8.decode(message)) : parser.decode(message);
    return value && typeof value === "object" ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** notepack.io's format, the official default. */
export const defaultParser: RedisParser = { encode: msgpackEncode, decode: msgpackDecode };
