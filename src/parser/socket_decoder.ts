/**
 * The Socket.IO protocol v5 packet decoder.
 *
 * @module
 */

import { fillPlaceholders, findPlaceholders, type PlaceholderSite } from "./_binary.ts";
import { ParseError } from "./parse_error.ts";
import { type Packet, PacketType, RESERVED_EVENTS } from "./socket_packet.ts";

export { ParseError } from "./parse_error.ts";

/** Options of {@link Decoder}. */
export interface DecoderOptions {
  /**
   * The most binary attachments one packet may announce; the official
   * decoder's limit.
   * @default {10}
   */
  maxAttachments?: number;
  /**
   * The deepest nesting of arrays and objects a packet's data may have
   * (`["ev",[1]]` is 2 deep). A deeper packet is a {@link ParseError}, so no
   * walk over decoded data (the application's, or the encoder's when the
   * data is sent back) meets a structure deep enough to overflow a stack.
   * @default {1000}
   */
  maxDepth?: number;
}

/** The default of {@link DecoderOptions.maxDepth}. */
export const DEFAULT_MAX_DEPTH = 1000;

/** The longest ack id: 16 digits covers every safe integer. */
const MAX_ID_DIGITS = 16;
/** Longer attachment counts are rejected before they can overflow. */
const MAX_COUNT_DIGITS = 9;
/**
 * Decodes the parts of Socket.IO packets, one `add()` per Engine.IO message.
 * `add()` returns the packet once it is complete: at once for a text-only
 * packet, after the last attachment for a BINARY_EVENT/BINARY_ACK (returned
 * as EVENT/ACK with the attachments in place of their placeholders, like the
 * official decoder). While attachments are pending it returns `undefined`.
 *
 * Malformed input throws a {@link ParseError} and clears any pending packet;
 * the caller is expected to close the connection. Attachments are not
 * copied.
 *
 * @example
 * ```ts
 * import { Decoder } from "./socket_decoder.ts";
 * const decoder = new Decoder();
 * const first = decoder.add('51-["file",{"_placeholder":true,"num":0}]');
 * const packet = decoder.add(new Uint8Array([1, 2]));
 * if (first !== undefined || packet?.type !== 2) throw new Error();
 * ```
 */
export class Decoder {
  #maxAttachments: number;
  #maxDepth: number;
  #pending: Packet | undefined;
  #sites: PlaceholderSite[] | undefined;
  #expected = 0;
  // made for a binary packet only: most connections never send one
  #received: Uint8Array[] | undefined;

  /** Creates a decoder; throws a `RangeError` on a bad `maxAttachments` or `maxDepth`. */
  constructor(options: DecoderOptions = {}) {
    const max = options.maxAttachments ?? 10;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new RangeError(`Invalid maxAttachments: ${max}`);
    }
    const depth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (!Number.isSafeInteger(depth) || depth < 1) {
      throw new RangeError(`Invalid maxDepth: ${depth}`);
    }
    this.#maxAttachments = max;
    this.#maxDepth = depth;
  }

  /** How many attachments the pending packet still waits for (0 if none). */
  get pendingAttachments(): number {
    return this.#pending === undefined ? 0 : this.#expected - (this.#received?.length ?? 0);
  }

  /**
   * Adds one Engine.IO message: a packet's text part or one attachment.
   * Returns the packet when complete, `undefined` while attachments are
   * pending.
   *
   * @throws {ParseError} on malformed input.
   * @throws {TypeError} when `chunk` is neither a string nor a `Uint8Array`.
   */
  add(chunk: string | Uint8Array): Packet | undefined {
    if (typeof chunk === "string") return this.#addText(chunk);
    if (chunk instanceof Uint8Array) return this.#addAttachment(chunk);
    throw new TypeError("Decoder.add() takes a string or a Uint8Array");
  }

  /** Drops a partly received packet, if any. */
  destroy(): void {
    this.#pending = undefined;
    this.#sites = undefined;
    this.#expected = 0;
    this.#received = undefined;
  }

  #addText(text: string): Packet | undefined {
    if (this.#pending !== undefined) {
      const missing = this.pendingAttachments;
      this.destroy();
      fail(text, `${missing} binary attachment(s) still expected`);
    }
    const packet = decodeText(text, this.#maxAttachments, this.#maxDepth);
    const count = packet.attachments;
    if (count === undefined) return packet;
    const sites = findPlaceholders(packet.data as object, count);
    if (sites === undefined) fail(text, "invalid attachment placeholder");
    delete packet.attachments;
    packet.type = packet.type === PacketType.BINARY_EVENT ? PacketType.EVENT : PacketType.ACK;
    this.#pending = packet;
    this.#sites = sites;
    this.#expected = count;
    return undefined;
  }

  #addAttachment(bytes: Uint8Array): Packet | undefined {
    const packet = this.#pending;
    if (packet === undefined) {
      throw new ParseError(
        `Cannot decode attachment of ${bytes.byteLength} bytes: ` +
          "no binary packet is waiting for one",
      );
    }
    const received = this.#received ??= [];
    received.push(bytes);
    if (received.length < this.#expected) return undefined;
    fillPlaceholders(this.#sites!, received);
    this.destroy();
    return packet;
  }
}

/**
 * Decodes the text part of one packet. BINARY_EVENT/BINARY_ACK come back as
 * such, with `attachments` set and placeholders still in `data`.
 *
 * @throws {ParseError} on malformed input.
 *
 * @example
 * ```ts
 * import { decodeText } from "./socket_decoder.ts";
 * const packet = decodeText('2/admin,7["hi"]', 10);
 * if (packet.nsp !== "/admin" || packet.id !== 7) throw new Error();
 * ```
 */
export function decodeText(
  text: string,
  maxAttachments: number,
  maxDepth: number = DEFAULT_MAX_DEPTH,
): Packet {
  const fast = decodeEventOrAck(text, maxDepth);
  if (fast !== undefined) return fast;
  const length = text.length;
  if (length === 0) fail(text, "empty packet");
  const type = text.charCodeAt(0) - 48;
  if (!(type >= 0 && type <= 6)) fail(text, "unknown type");
  const packet: Packet = { type: type as PacketType, nsp: "/" };
  let i = 1;
  if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) {
    i = readAttachments(text, packet, maxAttachments);
  }
  let hasNsp = false;
  if (text.charCodeAt(i) === 47) { // "/"
    hasNsp = true;
    const comma = text.indexOf(",", i);
    const end = comma === -1 ? length : comma;
    packet.nsp = text.slice(i, end);
    i = comma === -1 ? length : comma + 1;
  }
  const idStart = i;
  let id = 0;
  for (; i < length && isDigit(text.charCodeAt(i)); i++) {
    id = id * 10 + (text.charCodeAt(i) - 48);
  }
  if (i > idStart) {
    if (i - idStart > MAX_ID_DIGITS || !Number.isSafeInteger(id)) {
      fail(text, "invalid ack id");
    }
    packet.id = id;
  }
  if (i < length) packet.data = readJson(text, i, i > idStart, hasNsp, maxDepth);
  const problem = payloadProblem(packet);
  if (problem !== undefined) fail(text, problem);
  return packet;
}

/**
 * The common case in one pass: a text EVENT or ACK on the main namespace,
 * `2[…]`, `2<id>[…]` or `3<id>[…]`, whose payload is valid. Anything else
 * (including every malformed packet) returns `undefined` and takes the
 * general path, which reports the fault.
 */
function decodeEventOrAck(text: string, maxDepth: number): Packet | undefined {
  const type = text.charCodeAt(0) - 48;
  if (type !== PacketType.EVENT && type !== PacketType.ACK) return undefined;
  let i = 1;
  let id = 0;
  for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
    id = id * 10 + (c - 48);
  }
  if (text.charCodeAt(i) !== 91 || i > MAX_ID_DIGITS) return undefined; // "["
  if (tooDeep(text, i, maxDepth)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(i === 1 ? text.slice(1) : text.slice(i));
  } catch {
    return undefined;
  }
  if (!Array.isArray(data)) return undefined;
  if (type === PacketType.EVENT) {
    const name: unknown = data[0];
    if (typeof name === "string" ? RESERVED_EVENTS.has(name) : typeof name !== "number") {
      return undefined;
    }
  }
  return i === 1
    ? { type: type as PacketType, nsp: "/", data }
    : { type: type as PacketType, nsp: "/", id, data };
}

function readAttachments(
  text: string,
  packet: Packet,
  maxAttachments: number,
): number {
  let i = 1;
  let count = 0;
  for (; i < text.length && isDigit(text.charCodeAt(i)); i++) {
    count = count * 10 + (text.charCodeAt(i) - 48);
  }
  const digits = i - 1;
  if (digits === 0 || digits > MAX_COUNT_DIGITS) {
    fail(text, "invalid attachment count");
  }
  if (text.charCodeAt(i) !== 45) { // "-"
    fail(text, 'missing "-" after the attachment count');
  }
  if (count < 1) fail(text, "invalid attachment count");
  if (count > maxAttachments) fail(text, "too many attachments");
  packet.attachments = count;
  return i + 1;
}

function readJson(
  text: string,
  start: number,
  afterId: boolean,
  afterNsp: boolean,
  maxDepth: number,
): unknown {
  const c = text.charCodeAt(start);
  // Every valid payload is an array, an object or a string.
  if (c !== 91 && c !== 123 && c !== 34) { // "[", "{", '"'
    if (afterId) fail(text, "invalid ack id");
    if (!afterNsp && text.includes(",", start)) {
      fail(text, 'namespace must start with "/"');
    }
    fail(text, "invalid payload");
  }
  if (tooDeep(text, start, maxDepth)) fail(text, `data nested deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(text.slice(start));
  } catch {
    fail(text, "invalid JSON");
  }
}

function payloadProblem(packet: Packet): string | undefined {
  const data = packet.data;
  switch (packet.type) {
    case PacketType.CONNECT:
      return data === undefined || isObject(data) ? undefined : "CONNECT payload must be an object";
    case PacketType.DISCONNECT:
      return data === undefined ? undefined : "DISCONNECT takes no payload";
    case PacketType.CONNECT_ERROR:
      return typeof data === "string" || isObject(data)
        ? undefined
        : "CONNECT_ERROR payload must be an object or a string";
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT: {
      // Like the official decoder, a number is also an event name.
      const name: unknown = Array.isArray(data) ? data[0] : undefined;
      if (typeof name === "string" && RESERVED_EVENTS.has(name)) {
        return `"${name}" is a reserved event name`;
      }
      return typeof name === "string" || typeof name === "number"
        ? undefined
        : "EVENT payload must be an array starting with the event name";
    }
    default: // ACK, BINARY_ACK
      return Array.isArray(data) ? undefined : "ACK payload must be an array";
  }
}

/**
 * Whether the JSON text from `start` nests arrays and objects deeper than
 * `max`. One pass over the text, skipping strings; text too short to nest
 * that deep (each opener needs its closer) is not even looked at.
 */
function tooDeep(text: string, start: number, max: number): boolean {
  const length = text.length;
  if (length - start <= 2 * max) return false;
  let depth = 0;
  for (let i = start; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) { // '"': jump to the closing quote, past escaped ones
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return false; // unterminated: JSON.parse reports it
      i = end;
    } else if (c === 91 || c === 123) { // "[", "{"
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) { // "]", "}"
      depth--;
    }
  }
  return false;
}

/** Whether the quote at `at` follows an odd number of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let n = 0;
  while (text.charCodeAt(at - 1 - n) === 92) n++;
  return n % 2 === 1;
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function fail(text: string, reason: string): never {
  const shown = text.length > 40 ? text.slice(0, 40) + "…" : text;
  throw new ParseError(
    `Cannot decode packet ${JSON.stringify(shown)}: ${reason}`,
  );
}
