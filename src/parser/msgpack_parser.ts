/**
 * `sio-edge/msgpack`: a Socket.IO parser that writes every packet as one
 * MessagePack binary message, byte for byte as `socket.io-msgpack-parser` 3
 * does (its codec is notepack.io 2.2; `msgpack_codec.ts` writes the same
 * bytes with `encodeNotepack2`). Binary stays binary inside the packet: no
 * attachments; it arrives with the type of the received message (so a
 * `Buffer` on Node and Bun, a `Uint8Array` elsewhere: the engine chooses),
 * a client's ArrayBuffer extension too.
 *
 * The packet's keys are written in the order the official server builds them
 * (`type`, `data`, `id`, `nsp`; an ACK starts with `id`), so a frame from
 * sio-edge is the official server's frame. The decoder checks what the
 * official one checks (type 0–4, a string namespace, the data each type
 * allows, an integer ack id) and, stricter, refuses the reserved event names
 * (`disconnect`, `connect`, …) and data nested deeper than
 * {@link MAX_DEPTH}: a client cannot fire the server's own listeners.
 *
 * @example
 * ```ts
 * import { Decoder, Encoder } from "./msgpack_parser.ts";
 * const [bytes] = new Encoder().encode({ type: 2, nsp: "/", data: ["hi", 1] });
 * const decoder = new Decoder();
 * decoder.on("decoded", (packet) => {
 *   if (packet.type !== 2) throw new Error("round trip");
 * });
 * decoder.add(bytes as Uint8Array);
 * ```
 *
 * @module
 */

import { decode, encodeNotepack2 } from "./msgpack_codec.ts";
import { ParseError } from "./parse_error.ts";
import type { PacketDecoder, PacketEncoder } from "./parser.ts";
import { type Packet, PacketType, RESERVED_EVENTS } from "./socket_packet.ts";

/** The Socket.IO protocol revision. */
export const protocol = 5;

export { PacketType } from "./socket_packet.ts";

/** The deepest nesting a decoded packet's data may have (the JSON decoder's default). */
export const MAX_DEPTH = 1000;

/** Encodes packets as single MessagePack messages. */
export class Encoder implements PacketEncoder {
  encode(packet: Packet): [Uint8Array] {
    return [encodeNotepack2(officialOrder(packet))];
  }
}

/**
 * The packet as the official server's object: keys in its order, and only
 * those it sets (notepack 2 writes an `undefined` value, so absent must stay
 * absent).
 */
function officialOrder(packet: Packet): Record<string, unknown> {
  // a BINARY_* type never goes out: the msgpack parser carries binary in EVENT/ACK
  const type = packet.type === PacketType.BINARY_EVENT
    ? PacketType.EVENT
    : packet.type === PacketType.BINARY_ACK
    ? PacketType.ACK
    : packet.type;
  const out: Record<string, unknown> = type === PacketType.ACK ? { id: packet.id, type } : { type };
  if (packet.data !== undefined) out.data = packet.data;
  if (type !== PacketType.ACK && packet.id !== undefined) out.id = packet.id;
  out.nsp = packet.nsp;
  return out;
}

const BYTES = { arrayBufferAsBytes: true };

/** Decodes MessagePack messages into packets, emitting `decoded` for each. */
export class Decoder implements PacketDecoder {
  #listeners: ((packet: Packet) => void)[] = [];

  on(event: "decoded", fn: (packet: Packet) => void): this {
    if (event === "decoded") this.#listeners.push(fn);
    return this;
  }

  off(event: "decoded", fn: (packet: Packet) => void): this {
    if (event === "decoded") this.#listeners = this.#listeners.filter((l) => l !== fn);
    return this;
  }

  /** @throws {ParseError} on anything but a valid packet as one binary message */
  add(chunk: string | Uint8Array): void {
    if (typeof chunk === "string") throw new ParseError("invalid payload: text message");
    let value: unknown;
    try {
      value = decode(chunk, BYTES);
    } catch (err) {
      throw new ParseError((err as Error).message);
    }
    const packet = checkPacket(value);
    for (const fn of this.#listeners) fn(packet);
  }

  /**
   * Nothing to release: every message is one whole packet. The listeners
   * stay, as with socket.io-msgpack-parser, whose users (the client's Manager
   * at every reconnect) call `destroy()` and go on reading.
   */
  destroy(): void {}
}

/** The decoded value as a packet, or a {@link ParseError} saying what is wrong with it. */
export function checkPacket(value: unknown): Packet {
  if (!isObject(value)) throw new ParseError("invalid packet");
  const { type, nsp, data, id } = value;
  if (!Number.isInteger(type) || (type as number) < 0 || (type as number) > 4) {
    throw new ParseError("invalid packet type");
  }
  if (typeof nsp !== "string") throw new ParseError("invalid namespace");
  if (!dataFits(type as number, data)) throw new ParseError("invalid payload");
  if (id !== undefined && !Number.isInteger(id)) throw new ParseError("invalid packet id");
  if (type === PacketType.EVENT && RESERVED_EVENTS.has((data as unknown[])[0] as string)) {
    throw new ParseError(`reserved event name "${(data as unknown[])[0]}"`);
  }
  if (deeperThan(data, MAX_DEPTH)) throw new ParseError("data nested too deep");
  const packet: Packet = { type: type as PacketType, nsp };
  if (data !== undefined) packet.data = data;
  if (id !== undefined) packet.id = id as number;
  return packet;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === "[object Object]";
}

function dataFits(type: number, data: unknown): boolean {
  switch (type) {
    case PacketType.CONNECT:
      return data === undefined || isObject(data);
    case PacketType.DISCONNECT:
      return data === undefined;
    case PacketType.CONNECT_ERROR:
      return typeof data === "string" || isObject(data);
    default:
      return Array.isArray(data);
  }
}

/** Whether arrays and plain objects in `value` nest deeper than `max` (an iterative walk). */
function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object" || node instanceof Uint8Array) continue;
    if (depth + 1 > max) return true;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      stack.push([record[key], depth + 1]);
    }
  }
  return false;
}
