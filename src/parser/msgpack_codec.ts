/**
 * A MessagePack codec that writes the same bytes as `notepack.io` 3, the
 * codec of the official Redis adapter and emitter (and of
 * `socket.io-msgpack-parser`), on Web standards only: `Uint8Array` in,
 * `Uint8Array` out, no `Buffer`.
 *
 * Encoding follows notepack's choices, so a frame built here is byte for
 * byte the frame an official node would publish:
 * - integers in their smallest form, every non-integer (and NaN, ±Infinity) as float 64;
 * - `undefined` is nil inside arrays and omitted as a map value, as are functions;
 * - binary (`ArrayBuffer`, any `ArrayBufferView`) is `bin` of its bytes;
 * - `Date` is the timestamp extension (type −1); `toJSON()` is honoured, also for a BigInt.
 *
 * {@link encodeNotepack2} writes notepack.io 2's bytes instead (the codec of
 * `socket.io-msgpack-parser` 3, so of its clients): `undefined` as the
 * fixext `d4 00 00` wherever it is (map values too), `Date` as `d7 00` and
 * its milliseconds.
 *
 * Decoding reads what notepack and `@msgpack/msgpack` write: `bin` becomes a
 * copy of the input's type (a `Uint8Array`, or a `Buffer` of a `Buffer`), timestamps a `Date`, the legacy extensions of notepack 2
 * (`d4 00 00` undefined, ext 0 ArrayBuffer, `d7 00` date) are understood, and
 * other extensions become `[type, bytes]`. Truncated input, trailing bytes and
 * lengths beyond the input throw a {@link MsgpackError}.
 *
 * @example
 * ```ts
 * import { decode, encode } from "./msgpack_codec.ts";
 * const bytes = encode(["uid", { type: 2, data: ["hi", 1.5] }]);
 * const back = decode(bytes) as [string, { data: unknown[] }];
 * if (back[1].data[1] !== 1.5) throw new Error("round trip");
 * ```
 *
 * @module
 */

/** Thrown when bytes are not one complete MessagePack value, or a value cannot be encoded. */
export class MsgpackError extends Error {
  override name = "MsgpackError";
}

const TIMESTAMP32_MAX_SEC = 0xffffffff;
const TIMESTAMP64_MAX_SEC = 0x3ffffffff;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** A growable output buffer. */
class Writer {
  /** notepack 2's encodings of `undefined` and `Date`. */
  readonly notepack2: boolean;
  bytes = new Uint8Array(256);
  view = new DataView(this.bytes.buffer);
  length = 0;

  constructor(notepack2 = false) {
    this.notepack2 = notepack2;
  }

  ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  u8(value: number): void {
    this.ensure(1);
    this.bytes[this.length++] = value;
  }

  u8u8(a: number, b: number): void {
    this.ensure(2);
    this.bytes[this.length++] = a;
    this.bytes[this.length++] = b;
  }

  u16(prefix: number, value: number): void {
    this.ensure(3);
    this.bytes[this.length] = prefix;
    this.view.setUint16(this.length + 1, value);
    this.length += 3;
  }

  u32(prefix: number, value: number): void {
    this.ensure(5);
    this.bytes[this.length] = prefix;
    this.view.setUint32(this.length + 1, value);
    this.length += 5;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }
}

/** Encodes `value` as MessagePack, with notepack.io's choices (see the module doc). */
export function encode(value: unknown): Uint8Array {
  const out = new Writer();
  write(out, value);
  return out.bytes.slice(0, out.length);
}

/**
 * Encodes `value` as notepack.io 2.2 does (what `socket.io-msgpack-parser` 3
 * writes): as {@link encode}, but `undefined` is `d4 00 00` in arrays and map
 * values alike, and a `Date` is `d7 00` with its milliseconds as int 64.
 */
export function encodeNotepack2(value: unknown): Uint8Array {
  const out = new Writer(true);
  write(out, value);
  return out.bytes.slice(0, out.length);
}

function write(out: Writer, value: unknown): void {
  switch (typeof value) {
    case "string":
      return writeString(out, value);
    case "number":
      return writeNumber(out, value);
    case "boolean":
      return out.u8(value ? 0xc3 : 0xc2);
    case "undefined":
      if (!out.notepack2) return out.u8(0xc0);
      out.u8u8(0xd4, 0);
      return out.u8(0);
    case "object":
      if (value === null) return out.u8(0xc0);
      return writeObject(out, value);
    default: {
      // a BigInt (or a function in an array) goes through toJSON(), as notepack does
      const toJSON = (value as { toJSON?: unknown } | null)?.toJSON;
      if (typeof toJSON === "function") return write(out, toJSON.call(value));
      throw new MsgpackError(`Cannot encode a value of type ${typeof value}`);
    }
  }
}

function writeString(out: Writer, value: string): void {
  // ASCII is the common case: one byte per character, no TextEncoder call
  let ascii = value.length < 64;
  if (ascii) {
    for (let i = 0; i < value.length; i++) {
      if (value.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
  }
  if (ascii) {
    const length = value.length;
    writeStringHeader(out, length);
    out.ensure(length);
    for (let i = 0; i < length; i++) out.bytes[out.length + i] = value.charCodeAt(i);
    out.length += length;
    return;
  }
  const bytes = textEncoder.encode(value);
  writeStringHeader(out, bytes.length);
  out.raw(bytes);
}

function writeStringHeader(out: Writer, length: number): void {
  if (length < 0x20) out.u8(0xa0 | length);
  else if (length < 0x100) out.u8u8(0xd9, length);
  else if (length < 0x10000) out.u16(0xda, length);
  else out.u32(0xdb, length);
}

function writeNumber(out: Writer, value: number): void {
  if (!Number.isInteger(value)) {
    out.ensure(9);
    out.bytes[out.length] = 0xcb;
    out.view.setFloat64(out.length + 1, value);
    out.length += 9;
    return;
  }
  if (value >= 0) {
    if (value < 0x80) return out.u8(value);
    if (value < 0x100) return out.u8u8(0xcc, value);
    if (value < 0x10000) return out.u16(0xcd, value);
    if (value < 0x100000000) return out.u32(0xce, value);
    return writeInt64(out, 0xcf, value);
  }
  if (value >= -0x20) return out.u8(value & 0xff);
  if (value >= -0x80) return out.u8u8(0xd0, value & 0xff);
  if (value >= -0x8000) return out.u16(0xd1, value & 0xffff);
  if (value >= -0x80000000) return out.u32(0xd2, value >>> 0);
  return writeInt64(out, 0xd3, value);
}

function writeInt64(out: Writer, prefix: number, value: number): void {
  // the high word as notepack computes it (beyond 2^53 the number is already rounded)
  const hi = Math.floor(value / 0x100000000);
  const lo = value >>> 0;
  out.ensure(9);
  out.bytes[out.length] = prefix;
  out.view.setUint32(out.length + 1, hi >>> 0);
  out.view.setUint32(out.length + 5, lo);
  out.length += 9;
}

function writeObject(out: Writer, value: object): void {
  if (Array.isArray(value)) {
    writeLength(out, value.length, 0x90, 0xdc, 0xdd);
    for (let i = 0; i < value.length; i++) write(out, value[i]);
    return;
  }
  if (value instanceof Uint8Array) return writeBinary(out, value);
  if (value instanceof ArrayBuffer) return writeBinary(out, new Uint8Array(value));
  if (ArrayBuffer.isView(value)) {
    return writeBinary(out, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  if (value instanceof Date) return writeDate(out, value);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return write(out, toJSON.call(value));
  const record = value as Record<string, unknown>;
  const keys: string[] = [];
  for (const key of Object.keys(record)) {
    const v = record[key];
    if ((v !== undefined || out.notepack2) && typeof v !== "function") keys.push(key);
  }
  writeLength(out, keys.length, 0x80, 0xde, 0xdf);
  for (const key of keys) {
    writeString(out, key);
    write(out, record[key]);
  }
}

function writeLength(out: Writer, length: number, fix: number, p16: number, p32: number): void {
  if (length < 0x10) out.u8(fix | length);
  else if (length < 0x10000) out.u16(p16, length);
  else out.u32(p32, length);
}

function writeBinary(out: Writer, bytes: Uint8Array): void {
  const length = bytes.length;
  if (length < 0x100) out.u8u8(0xc4, length);
  else if (length < 0x10000) out.u16(0xc5, length);
  else out.u32(0xc6, length);
  out.raw(bytes);
}

function writeDate(out: Writer, date: Date): void {
  const ms = date.getTime();
  if (out.notepack2) {
    out.ensure(10);
    out.bytes[out.length] = 0xd7;
    out.bytes[out.length + 1] = 0;
    out.view.setInt32(out.length + 2, Math.floor(ms / 0x100000000));
    out.view.setUint32(out.length + 6, ms >>> 0);
    out.length += 10;
    return;
  }
  const s = Math.floor(ms / 1e3);
  const ns = (ms - s * 1e3) * 1e6;
  if (s >= 0 && ns >= 0 && s <= TIMESTAMP64_MAX_SEC) {
    if (ns === 0 && s <= TIMESTAMP32_MAX_SEC) {
      out.ensure(6);
      out.bytes[out.length] = 0xd6;
      out.bytes[out.length + 1] = 0xff;
      out.view.setUint32(out.length + 2, s);
      out.length += 6;
      return;
    }
    // timestamp 64: 30 bits of nanoseconds, 34 bits of seconds
    out.ensure(10);
    out.bytes[out.length] = 0xd7;
    out.bytes[out.length + 1] = 0xff;
    out.view.setUint32(out.length + 2, ns * 4 + Math.floor(s / 0x100000000));
    out.view.setUint32(out.length + 6, s >>> 0);
    out.length += 10;
    return;
  }
  out.ensure(15);
  out.bytes[out.length] = 0xc7;
  out.bytes[out.length + 1] = 0x0c;
  out.bytes[out.length + 2] = 0xff;
  out.view.setUint32(out.length + 3, ns);
  out.view.setInt32(out.length + 7, Math.floor(s / 0x100000000));
  out.view.setUint32(out.length + 11, s >>> 0);
  out.length += 15;
}

/** Options of {@link decode}. */
export interface DecodeOptions {
  /**
   * Gives notepack 2's ArrayBuffer extension (ext 0, what a
   * `socket.io-msgpack-parser` client writes for an `ArrayBuffer` or a typed
   * array) as bytes, like `bin`: a copy of the input's type (a `Buffer` of a
   * `Buffer`), so a packet's binary has one type whichever way it was written.
   * @default {false} (an `ArrayBuffer`, as notepack decodes it)
   */
  arrayBufferAsBytes?: boolean;
}

/** Decodes one MessagePack value that fills `bytes` exactly. */
export function decode(bytes: Uint8Array, options?: DecodeOptions): unknown {
  const reader = new Reader(bytes, options?.arrayBufferAsBytes === true);
  const value = reader.value();
  if (reader.offset !== bytes.length) {
    throw new MsgpackError(`Cannot decode msgpack: ${bytes.length - reader.offset} trailing bytes`);
  }
  return value;
}

const sliceCopy = Uint8Array.prototype.slice;

class Reader {
  offset = 0;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly arrayBufferAsBytes: boolean;

  constructor(bytes: Uint8Array, arrayBufferAsBytes: boolean) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.arrayBufferAsBytes = arrayBufferAsBytes;
  }

  need(n: number): number {
    const at = this.offset;
    if (at + n > this.bytes.length) throw new MsgpackError("Cannot decode msgpack: truncated");
    this.offset = at + n;
    return at;
  }

  value(): unknown {
    const prefix = this.bytes[this.need(1)]!;
    if (prefix < 0x80) return prefix;
    if (prefix < 0x90) return this.map(prefix & 0x0f);
    if (prefix < 0xa0) return this.array(prefix & 0x0f);
    if (prefix < 0xc0) return this.str(prefix & 0x1f);
    if (prefix > 0xdf) return prefix - 0x100;
    const view = this.view;
    switch (prefix) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bin(view.getUint8(this.need(1)));
      case 0xc5:
        return this.bin(view.getUint16(this.need(2)));
      case 0xc6:
        return this.bin(view.getUint32(this.need(4)));
      case 0xc7:
        return this.ext(view.getUint8(this.need(1)));
      case 0xc8:
        return this.ext(view.getUint16(this.need(2)));
      case 0xc9:
        return this.ext(view.getUint32(this.need(4)));
      case 0xca:
        return view.getFloat32(this.need(4));
      case 0xcb:
        return view.getFloat64(this.need(8));
      case 0xcc:
        return view.getUint8(this.need(1));
      case 0xcd:
        return view.getUint16(this.need(2));
      case 0xce:
        return view.getUint32(this.need(4));
      case 0xcf: {
        const at = this.need(8);
        return view.getUint32(at) * 0x100000000 + view.getUint32(at + 4);
      }
      case 0xd0:
        return view.getInt8(this.need(1));
      case 0xd1:
        return view.getInt16(this.need(2));
      case 0xd2:
        return view.getInt32(this.need(4));
      case 0xd3: {
        const at = this.need(8);
        return view.getInt32(at) * 0x100000000 + view.getUint32(at + 4);
      }
      case 0xd4:
        return this.ext(1, true);
      case 0xd5:
        return this.ext(2, true);
      case 0xd6:
        return this.ext(4, true);
      case 0xd7:
        return this.ext(8, true);
      case 0xd8:
        return this.ext(16, true);
      case 0xd9:
        return this.str(view.getUint8(this.need(1)));
      case 0xda:
        return this.str(view.getUint16(this.need(2)));
      case 0xdb:
        return this.str(view.getUint32(this.need(4)));
      case 0xdc:
        return this.array(view.getUint16(this.need(2)));
      case 0xdd:
        return this.array(view.getUint32(this.need(4)));
      case 0xde:
        return this.map(view.getUint16(this.need(2)));
      case 0xdf:
        return this.map(view.getUint32(this.need(4)));
    }
    throw new MsgpackError(`Cannot decode msgpack: unknown prefix 0x${prefix.toString(16)}`);
  }

  str(length: number): string {
    const at = this.need(length);
    const bytes = this.bytes;
    if (length < 32) {
      let ascii = "";
      for (let i = at; i < at + length; i++) {
        const c = bytes[i]!;
        if (c > 0x7f) return textDecoder.decode(bytes.subarray(at, at + length));
        ascii += String.fromCharCode(c);
      }
      return ascii;
    }
    return textDecoder.decode(bytes.subarray(at, at + length));
  }

  bin(length: number): Uint8Array {
    const at = this.need(length);
    // a copy: the input may be a pooled buffer of the Redis client. The
    // typed-array slice, because `Buffer#slice` is a view; it keeps the
    // input's type (a Buffer copy of a Buffer, as the engine hands on Node).
    return sliceCopy.call(this.bytes, at, at + length);
  }

  array(length: number): unknown[] {
    // every element takes at least one byte: a forged length cannot allocate more than the input
    if (length > this.bytes.length - this.offset) {
      throw new MsgpackError("Cannot decode msgpack: truncated");
    }
    const value = new Array<unknown>(length);
    for (let i = 0; i < length; i++) value[i] = this.value();
    return value;
  }

  map(length: number): Record<string, unknown> {
    if (length * 2 > this.bytes.length - this.offset) {
      throw new MsgpackError("Cannot decode msgpack: truncated");
    }
    const value: Record<string, unknown> = {};
    for (let i = 0; i < length; i++) {
      const key = String(this.value());
      const item = this.value();
      if (key === "__proto__") {
        Object.defineProperty(value, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else value[key] = item;
    }
    return value;
  }

  /** An extension; `fixed` for the fixext forms (d4–d8). */
  ext(length: number, fixed = false): unknown {
    const type = this.view.getInt8(this.need(1));
    const at = this.need(length);
    const view = this.view;
    if (type === -1) {
      if (length === 4) return new Date(view.getUint32(at) * 1e3);
      if (length === 8) {
        const hi = view.getUint32(at);
        const s = (hi & 0x3) * 0x100000000 + view.getUint32(at + 4);
        return new Date(s * 1e3 + (hi >>> 2) / 1e6);
      }
      if (length === 12) {
        const s = view.getInt32(at + 4) * 0x100000000 + view.getUint32(at + 8);
        return new Date(s * 1e3 + view.getUint32(at) / 1e6);
      }
    }
    if (type === 0) {
      // notepack 2's own encodings, which notepack 3 still decodes
      if (!fixed) {
        if (this.arrayBufferAsBytes) return sliceCopy.call(this.bytes, at, at + length);
        // a fresh ArrayBuffer of just these bytes (`.slice()` of a Buffer is a view of its pool)
        return new Uint8Array(this.bytes.subarray(at, at + length)).buffer;
      }
      if (length === 1) return undefined;
      if (length === 8) return new Date(view.getInt32(at) * 0x100000000 + view.getUint32(at + 4));
    }
    return [type, sliceCopy.call(this.bytes, at, at + length)];
  }
}
