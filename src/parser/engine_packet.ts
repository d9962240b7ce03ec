/**
 * Engine.IO protocol v4 packets and payloads.
 *
 * A packet is a type digit followed by its data (`4hello`); binary data goes
 * as a raw WebSocket frame, or inside a polling payload as `b` + base64. A
 * polling payload joins packets with the record separator `\x1e`.
 * See https://github.com/socketio/engine.io-protocol (v4, "Packet encoding"
 * and "Payload").
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "./_base64.ts";

/** The packet types of Engine.IO v4, in wire order (`0` … `6`). */
export const PACKET_TYPES = [
  "open",
  "close",
  "ping",
  "pong",
  "message",
  "upgrade",
  "noop",
] as const;

/** An Engine.IO packet type name. */
export type PacketType = typeof PACKET_TYPES[number];

/**
 * Per-packet send options: the one options type of a message on its way down
 * (the engine's `SendOptions` and the adapter's `WriteOptions` are this type).
 */
export interface PacketOptions {
  /** Whether the transport may compress this packet. @default true */
  compress?: boolean | undefined;
  /**
   * The message already encoded as a WebSocket text frame ({@link messageFrame}),
   * shared by every recipient of a broadcast so nothing is encoded twice.
   */
  wsPreEncoded?: string | undefined;
}

/** One Engine.IO packet. */
export interface Packet {
  type: PacketType;
  data?: string | Uint8Array;
  options?: PacketOptions;
}

/** The record separator between packets of a polling payload. */
export const SEPARATOR = "\x1e";

const TYPE_DIGIT: Record<PacketType, string> = {
  open: "0",
  close: "1",
  ping: "2",
  pong: "3",
  message: "4",
  upgrade: "5",
  noop: "6",
};

/**
 * Encodes one packet. For WebSocket (`binaryFrames`), binary data stays as
 * bytes; for polling it becomes `b` + base64.
 *
 * @example
 * ```ts
 * import { encodePacket } from "./engine_packet.ts";
 * if (encodePacket({ type: "message", data: "hi" }, true) !== "4hi") throw new Error();
 * ```
 */
export function encodePacket(packet: Packet, binaryFrames: boolean): string | Uint8Array {
  const data = packet.data;
  if (data instanceof Uint8Array) return binaryFrames ? data : "b" + encodeBase64(data);
  if (packet.options?.wsPreEncoded !== undefined && packet.type === "message") {
    return packet.options.wsPreEncoded;
  }
  return data === undefined ? TYPE_DIGIT[packet.type] : TYPE_DIGIT[packet.type] + data;
}

/**
 * The WebSocket text frame of a message packet whose data is `text` (the
 * Engine.IO type digit, then the data): what a broadcast builds once and hands
 * every recipient as `wsPreEncoded`.
 *
 * @example
 * ```ts
 * import { messageFrame } from "./engine_packet.ts";
 * if (messageFrame('2["hi"]') !== '42["hi"]') throw new Error();
 * ```
 */
export function messageFrame(text: string): string {
  return TYPE_DIGIT.message + text;
}

/**
 * Decodes one packet from a WebSocket frame or a payload segment. A binary
 * frame is always a message.
 *
 * @throws {SyntaxError} on an empty packet, an unknown type or bad base64.
 */
export function decodePacket(encoded: string | Uint8Array): Packet {
  if (typeof encoded !== "string") return { type: "message", data: encoded };
  const code = encoded.charCodeAt(0);
  if (code === 98 /* b */) {
    const bytes = decodeBase64(encoded.slice(1));
    if (!bytes) throw new SyntaxError(`Cannot decode packet "${preview(encoded)}": invalid base64`);
    return { type: "message", data: bytes };
  }
  const type = PACKET_TYPES[code - 48];
  if (type === undefined || Number.isNaN(code)) {
    throw new SyntaxError(`Cannot decode packet "${preview(encoded)}": unknown type`);
  }
  return encoded.length > 1 ? { type, data: encoded.slice(1) } : { type };
}

/**
 * Encodes packets as one polling payload.
 *
 * @example
 * ```ts
 * import { encodePayload } from "./engine_packet.ts";
 * const payload = encodePayload([{ type: "message", data: "a" }, { type: "ping" }]);
 * if (payload !== "4a\x1e2") throw new Error();
 * ```
 */
export function encodePayload(packets: readonly Packet[]): string {
  if (packets.length === 1) return encodePacket(packets[0]!, false) as string;
  let out = "";
  for (let i = 0; i < packets.length; i++) {
    if (i > 0) out += SEPARATOR;
    out += encodePacket(packets[i]!, false) as string;
  }
  return out;
}

/**
 * Decodes a polling payload.
 *
 * @throws {SyntaxError} when any packet in it is malformed.
 */
export function decodePayload(payload: string): Packet[] {
  return payload.split(SEPARATOR).map(decodePacket);
}

function preview(text: string): string {
  return text.length > 32 ? text.slice(0, 32) + "…" : text;
}
