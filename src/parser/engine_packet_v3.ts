/**
 * Engine.IO protocol v3 packets and payloads, for the `allowEIO3` option
 * (Socket.IO 2.x clients). Packets are those of v4 except binary: over
 * WebSocket a binary message is a frame whose first byte is the type (4);
 * over polling a payload is either text — each packet as `<length>:<packet>`,
 * the length in UTF-16 units, binary as `b4` + base64 — or, for a client
 * that supports binary and when a packet is binary, the binary payload
 * format: per packet a 0 (text) or 1 (binary) byte, the length's decimal
 * digits as bytes, 255, then the packet (text as UTF-8).
 * See https://github.com/socketio/engine.io-protocol/tree/v3.
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "./_base64.ts";
import { decodePacket, type Packet, PACKET_TYPES } from "./engine_packet.ts";

const TYPE_DIGIT = "0123456";
const MESSAGE = 4;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A packet as a v3 text packet (binary as `b4` + base64). */
function textPacket(packet: Packet): string {
  const digit = TYPE_DIGIT[PACKET_TYPES.indexOf(packet.type)]!;
  const data = packet.data;
  if (data instanceof Uint8Array) return "b" + digit + encodeBase64(data);
  return data === undefined ? digit : digit + data;
}

/**
 * Encodes one packet for a v3 WebSocket: binary as its type byte, then the
 * bytes, or with `base64` (the client's `b64=1`) as the `b4` + base64 text packet.
 */
export function encodePacketV3(packet: Packet, base64 = false): string | Uint8Array {
  const data = packet.data;
  if (base64 || !(data instanceof Uint8Array)) return textPacket(packet);
  const out = new Uint8Array(data.byteLength + 1);
  out[0] = PACKET_TYPES.indexOf(packet.type);
  out.set(data, 1);
  return out;
}

/**
 * Decodes one v3 WebSocket frame (or payload packet).
 *
 * @throws {SyntaxError} on an empty or unknown packet, or bad base64
 */
export function decodePacketV3(encoded: string | Uint8Array): Packet {
  if (typeof encoded !== "string") {
    const type = PACKET_TYPES[encoded[0] ?? -1];
    if (type === undefined) throw new SyntaxError("Cannot decode v3 binary packet: unknown type");
    return { type, data: encoded.subarray(1) };
  }
  if (encoded.charCodeAt(0) === 98 /* b */) {
    const type = PACKET_TYPES[encoded.charCodeAt(1) - 48];
    const bytes = decodeBase64(encoded.slice(2));
    if (type === undefined || !bytes) throw new SyntaxError("Cannot decode v3 base64 packet");
    return { type, data: bytes };
  }
  return decodePacket(encoded);
}

/**
 * Encodes packets as one v3 polling payload: the binary format when the
 * client supports binary and one packet is binary, text otherwise.
 */
export function encodePayloadV3(
  packets: readonly Packet[],
  supportsBinary: boolean,
): string | Uint8Array {
  if (supportsBinary && packets.some((p) => p.data instanceof Uint8Array)) {
    const parts: Uint8Array[] = [];
    for (const packet of packets) {
      const data = packet.data;
      const body = data instanceof Uint8Array
        ? encodePacketV3(packet) as Uint8Array
        : utf8.encode(textPacket(packet));
      const digits = String(body.byteLength);
      const head = new Uint8Array(digits.length + 2);
      head[0] = data instanceof Uint8Array ? 1 : 0;
      for (let i = 0; i < digits.length; i++) head[i + 1] = digits.charCodeAt(i) - 48;
      head[head.length - 1] = 255;
      parts.push(head, body);
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }
  if (!packets.length) return "0:";
  let out = "";
  for (const packet of packets) {
    const text = textPacket(packet);
    out += text.length + ":" + text;
  }
  return out;
}

/**
 * Decodes a v3 polling payload (text, or the binary format).
 *
 * @throws {SyntaxError} on a malformed payload (the official parser drops it whole)
 */
export function decodePayloadV3(payload: string | Uint8Array): Packet[] {
  const packets: Packet[] = [];
  if (typeof payload !== "string") {
    let at = 0;
    while (at < payload.length) {
      const isText = payload[at] === 0;
      if (!isText && payload[at] !== 1) throw new SyntaxError("Cannot decode v3 binary payload");
      let length = 0;
      let digits = 0;
      for (at++; payload[at] !== 255; at++) {
        const digit = payload[at];
        if (digit === undefined || digit > 9 || ++digits > 9) {
          throw new SyntaxError("Cannot decode v3 binary payload: bad length");
        }
        length = length * 10 + digit;
      }
      at++;
      if (digits === 0 || at + length > payload.length) {
        throw new SyntaxError("Cannot decode v3 binary payload: bad length");
      }
      const body = payload.subarray(at, at + length);
      at += length;
      if (!isText) packets.push(decodePacketV3(body));
      else {
        let text: string;
        try {
          text = fromUtf8.decode(body);
        } catch {
          throw new SyntaxError("Cannot decode v3 binary payload: bad UTF-8");
        }
        packets.push(decodePacketV3(text));
      }
    }
    return packets;
  }
  let at = 0;
  while (at < payload.length) {
    const colon = payload.indexOf(":", at);
    const digits = payload.slice(at, colon);
    if (colon === -1 || !/^\d{1,9}$/.test(digits)) {
      throw new SyntaxError("Cannot decode v3 payload: bad length");
    }
    const length = Number(digits);
    const text = payload.slice(colon + 1, colon + 1 + length);
    if (text.length !== length) throw new SyntaxError("Cannot decode v3 payload: cut packet");
    if (length) packets.push(decodePacketV3(text));
    at = colon + 1 + length;
  }
  if (!packets.length) throw new SyntaxError("Cannot decode v3 payload: empty");
  return packets;
}

export { MESSAGE as MESSAGE_TYPE };
