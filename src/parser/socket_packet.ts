/**
 * Socket.IO protocol v5 packets and their encoder.
 *
 * A packet is encoded as one string, followed by one `Uint8Array` per binary
 * attachment (socket.io-protocol, "Packet encoding"):
 *
 * ```
 * <type>[<attachments>-][<namespace>,][<ack id>][JSON data]
 * ```
 *
 * @module
 */

import { deconstruct, MAX_WALK_DEPTH } from "./_binary.ts";

/**
 * What Socket.IO calls binary, its bytes as a plain `Uint8Array` (no copy),
 * and whether data holds any (the bounded walk).
 */
export { type BinaryValue, hasBinary, isBinary, toUint8Array } from "./_binary.ts";

/** The default bound of the walk over data to encode (the Server option `maxEncodeDepth`). */
export const DEFAULT_MAX_ENCODE_DEPTH: number = MAX_WALK_DEPTH;

/** The Socket.IO protocol revision this codec speaks. */
export const protocol = 5;

/** The Socket.IO packet types and their wire digits. */
export const PacketType = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
} as const;

/** One of the {@link PacketType} values. */
export type PacketType = typeof PacketType[keyof typeof PacketType];

/** A Socket.IO packet. */
export interface Packet {
  /** The packet type. */
  type: PacketType;
  /** The namespace, `"/"` for the main one. */
  nsp: string;
  /** The payload: JSON-serialisable, binary values allowed in EVENT/ACK. */
  data?: unknown;
  /** The ack id, on EVENTs that want an answer and on their ACKs. */
  id?: number;
  /** The number of binary attachments (BINARY_EVENT, BINARY_ACK). */
  attachments?: number;
}

/** The encoded form: the text part, then each binary attachment in order. */
export type EncodedPacket = [string, ...Uint8Array[]];

/**
 * Encodes a packet. An EVENT or ACK whose data holds binary anywhere becomes a
 * BINARY_EVENT or BINARY_ACK whose binary values are replaced by placeholders
 * and sent as attachments; the caller's data is left untouched. A
 * BINARY_EVENT/BINARY_ACK without binary is sent as a plain EVENT/ACK.
 *
 * `maxDepth` bounds the walk over the data (circular data): deeper data
 * throws a `RangeError`; the server's option `maxEncodeDepth` sets it.
 *
 * @throws {TypeError} on an unknown type or a namespace that does not start
 * with "/" or that holds a ",".
 * @throws {RangeError} on data nested deeper than `maxDepth`.
 *
 * @example
 * ```ts
 * import { encodePacket, PacketType } from "./socket_packet.ts";
 * const [text] = encodePacket({
 *   type: PacketType.EVENT,
 *   nsp: "/admin",
 *   data: ["hello", 1],
 *   id: 4,
 * });
 * if (text !== '2/admin,4["hello",1]') throw new Error(text);
 * ```
 */
export function encodePacket(
  packet: Packet,
  maxDepth: number = DEFAULT_MAX_ENCODE_DEPTH,
): EncodedPacket {
  const type = packet.type;
  if (
    type === PacketType.EVENT || type === PacketType.ACK ||
    type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK
  ) {
    const attachments: Uint8Array[] = [];
    const data = deconstruct(packet.data, attachments, false, maxDepth);
    const isEvent = type === PacketType.EVENT ||
      type === PacketType.BINARY_EVENT;
    if (attachments.length === 0) {
      const plain = isEvent ? PacketType.EVENT : PacketType.ACK;
      return [encodeText(plain, packet, data, "")];
    }
    const binary = isEvent ? PacketType.BINARY_EVENT : PacketType.BINARY_ACK;
    const head = attachments.length + "-";
    return [encodeText(binary, packet, data, head), ...attachments];
  }
  if (
    type === PacketType.CONNECT || type === PacketType.DISCONNECT ||
    type === PacketType.CONNECT_ERROR
  ) {
    return [encodeText(type, packet, packet.data, "")];
  }
  throw new TypeError(`Cannot encode packet: unknown type ${type}`);
}

function encodeText(
  type: PacketType,
  packet: Packet,
  data: unknown,
  attachmentsHead: string,
): string {
  let text = type + attachmentsHead;
  const nsp = packet.nsp;
  if (nsp !== "/" && nsp !== "") {
    // 47 is "/"; a "," would end the namespace early on the other side.
    if (nsp.charCodeAt(0) !== 47 || nsp.includes(",")) {
      throw new TypeError(`Cannot encode packet: invalid namespace "${nsp}"`);
    }
    text += nsp + ",";
  }
  if (packet.id != null) text += packet.id;
  if (data != null) {
    // JSON.stringify gives undefined for functions and symbols: send no data.
    const json: string | undefined = JSON.stringify(data);
    if (json !== undefined) text += json;
  }
  return text;
}

/**
 * Event names that belong to the protocol and the emitters, not to
 * applications: a client may not send them (the decoder refuses them, so no
 * client can fire the server's own `disconnect` or `newListener` listeners)
 * and a socket refuses to emit them.
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);
