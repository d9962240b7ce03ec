/**
 * The client's own codec: Engine.IO v4 packets and payloads, and Socket.IO v5
 * packets with binary attachments, written for size. The server's codec
 * (`src/parser/`) is built for throughput and for hostile clients; a client
 * trusts its server more, so this one checks what socket.io-parser's decoder
 * checks (type, attachment count, JSON, payload shape, reserved names,
 * placeholder indexes) and throws on anything else — the Manager closes with
 * "parse error", the transport with a "parser error" — and no more.
 *
 * @module
 */

import { type Packet as EnginePacket, PACKET_TYPES as TYPES } from "../parser/engine_packet.ts";
import { type Packet, RESERVED_EVENTS as RESERVED } from "../parser/socket_packet.ts";

export { RESERVED };

/** Encodes one Engine.IO packet for a WebSocket frame: binary stays bytes. */
export function encodeEngine(packet: EnginePacket): string | Uint8Array {
  const data = packet.data;
  return typeof data === "object" ? data : TYPES.indexOf(packet.type) + (data ?? "");
}

/** Encodes one Engine.IO packet as text: binary as `b` + base64 (polling, `forceBase64`). */
export function encodeEngineText(packet: EnginePacket): string {
  const data = packet.data;
  if (typeof data !== "object") return encodeEngine(packet) as string;
  let s = "";
  for (let i = 0; i < data.length; i += 32768) {
    s += String.fromCharCode(...data.subarray(i, i + 32768));
  }
  return "b" + btoa(s);
}

/**
 * Decodes one Engine.IO WebSocket frame (a binary frame is a message); throws
 * when malformed. Base64 (`b…`) is not read: the server sends it only to a
 * client that asked for it (`b64=1`).
 */
export function decodeEngine(data: string | Uint8Array): EnginePacket {
  if (typeof data !== "string") return { type: "message", data };
  const type = TYPES[data[0] as unknown as number];
  if (!type) throw new SyntaxError("bad packet");
  return data.length > 1 ? { type, data: data.slice(1) } : { type };
}

/** Decodes one Engine.IO packet, binary as `b` + base64 too (polling, `forceBase64`). */
export function decodeEngineText(data: string | Uint8Array): EnginePacket {
  // bytes have no "b" at [0]: numbers there
  return data[0] === "b"
    ? {
      type: "message",
      data: Uint8Array.from(atob(data.slice(1) as string), (c) => c.charCodeAt(0)),
    }
    : decodeEngine(data);
}

/** Encodes packets as one polling payload (joined by the record separator). */
export function encodePayload(packets: EnginePacket[]): string {
  return packets.map(encodeEngineText).join("\x1e");
}

/** Decodes a polling payload; throws when any packet is malformed. */
export function decodePayload(payload: string): EnginePacket[] {
  return payload.split("\x1e").map(decodeEngineText);
}

/** Replaces binary values by placeholders (copying only what holds binary). */
function deconstruct(value: unknown, out: Uint8Array[]): unknown {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const num = out.push(
      value instanceof ArrayBuffer
        ? new Uint8Array(value)
        : new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    ) - 1;
    return { _placeholder: true, num };
  }
  // a copy only if binary is inside (so a Date, say, stays as it is)
  if (value && typeof value === "object") {
    const n = out.length;
    const copy = Array.isArray(value)
      ? value.map((v) => deconstruct(v, out))
      : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deconstruct(v, out)]));
    if (out.length > n) return copy;
  }
  return value;
}

/**
 * Encodes a Socket.IO packet: the text, then one attachment per binary value
 * (an EVENT or ACK holding binary goes as BINARY_EVENT / BINARY_ACK).
 */
export function encode(packet: Packet): (string | Uint8Array)[] {
  const out: Uint8Array[] = [];
  let type: number = packet.type;
  let data = packet.data;
  if (type === 2 || type === 3) {
    data = deconstruct(data, out);
    if (out.length) type += 3;
  }
  const nsp = packet.nsp;
  const text = type + (out.length ? out.length + "-" : "") + (nsp && nsp !== "/" ? nsp + "," : "") +
    (packet.id ?? "") + (data != null ? JSON.stringify(data) ?? "" : "");
  return [text, ...out];
}

// of what JSON.parse makes, exactly what socket.io-parser's `[object Object]` test accepts
const isObject = (v: unknown) => typeof v === "object" && !!v && !Array.isArray(v);
const isEvent = (v: unknown) =>
  Array.isArray(v) &&
  (typeof v[0] === "number" || typeof v[0] === "string" && !RESERVED.has(v[0]));
/** socket.io-parser's payload rules, by packet type. */
const VALID: ((data: unknown) => boolean)[] = [
  isObject,
  (v) => v === undefined,
  isEvent,
  Array.isArray,
  (v) => typeof v === "string" || isObject(v),
  isEvent,
  Array.isArray,
];

function fail(): never {
  throw new SyntaxError("invalid packet");
}

/** Puts the attachments in place of their placeholders. */
function fill(value: unknown, parts: unknown[]): unknown {
  if (value && typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (v._placeholder === true) {
      return typeof v.num === "number" && v.num >= 0 && v.num < parts.length
        ? parts[v.num]
        : fail();
    }
    for (const k in v) if (k !== "__proto__") v[k] = fill(v[k], parts);
  }
  return value;
}

/**
 * A Socket.IO decoder for one connection: `add()` takes each Engine.IO
 * message and hands the packet to `onPacket` once complete (a binary packet
 * after its last attachment, each passed through `binary` first), `destroy()`
 * drops a partial one. `add()` throws on malformed input.
 */
export function decoder(
  binary: (bytes: Uint8Array) => unknown,
  onPacket: (packet: Packet) => void,
): {
  add(chunk: string | Uint8Array): void;
  destroy(): void;
} {
  let pending: Packet | undefined;
  let parts: unknown[] = [];
  let attachments = 0;
  return {
    add(chunk) {
      if (typeof chunk === "string") {
        if (pending) fail();
        const m = /^([0-6])(?:([1-9]\d*)-)?(?:(\/[^,]*),?)?(\d*)([^]*)$/.exec(chunk);
        if (!m || +m[1]! > 4 !== !!m[2] || +m[2]! > 10) fail();
        const type = +m[1]! as Packet["type"];
        pending = { type, nsp: m[3] ?? "/" };
        if (m[4]) pending.id = +m[4];
        if (m[5]) {
          const data: unknown = JSON.parse(m[5]);
          if (!VALID[type]!(data)) fail();
          pending.data = data;
        }
        // only BINARY_EVENT and BINARY_ACK have some (checked above)
        attachments = +m[2]! || 0;
        parts = [];
      } else if (pending) parts.push(binary(chunk));
      else fail();
      const packet = pending;
      if (parts.length < attachments) return;
      pending = undefined;
      if (attachments) {
        packet.data = fill(packet.data, parts);
        packet.type -= 3;
      }
      onPacket(packet);
    },
    destroy() {
      pending = undefined;
    },
  };
}
