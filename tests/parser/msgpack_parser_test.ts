import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as official from "socket.io-msgpack-parser";
import { Decoder, Encoder, MAX_DEPTH } from "../../src/parser/msgpack_parser.ts";
import { ParseError } from "../../src/parser/parse_error.ts";
import type { Packet } from "../../src/parser/socket_packet.ts";

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37) & 0xff);

/** Packets as the official server builds them (its key order), with what they hold. */
const PACKETS: [string, Record<string, unknown>][] = [
  ["CONNECT answer", { type: 0, data: { sid: "abcdefghijklmnopqrst" }, nsp: "/" }],
  ["CONNECT_ERROR", { type: 4, data: { message: "not allowed", data: { code: 42 } }, nsp: "/" }],
  ["DISCONNECT", { type: 1, nsp: "/custom" }],
  ["EVENT", { type: 2, data: ["chat", "héllo ✓", 1, -1, 300, -70000, 2 ** 40, 1.5], nsp: "/" }],
  ["EVENT with ack id", { type: 2, data: ["ask", { a: [true, false, null] }], id: 7, nsp: "/x" }],
  ["EVENT with binary", { type: 2, data: ["file", bytes(3), { nested: bytes(300) }], nsp: "/" }],
  ["ACK", { id: 3, type: 3, data: ["ok", bytes(70000)], nsp: "/" }],
  ["EVENT with long strings", {
    type: 2,
    data: ["s", "x".repeat(40), "y".repeat(70000)],
    nsp: "/",
  }],
  ["EVENT with undefined and a Date", {
    type: 2,
    data: ["u", undefined, { gone: undefined, at: new Date(1700000000123) }],
    nsp: "/",
  }],
];

/** The official parser's encoding of `packet`, as plain bytes. */
function officialBytes(packet: Record<string, unknown>): Uint8Array {
  const [out] = new official.Encoder().encode(buffers(packet) as never) as unknown as [Uint8Array];
  return new Uint8Array(out);
}

function officialDecode(data: Uint8Array): Record<string, unknown> {
  const decoder = new official.Decoder();
  let packet: Record<string, unknown> | undefined;
  decoder.on("decoded", (p: Record<string, unknown>) => (packet = p));
  decoder.add(Buffer.from(data) as never);
  return packet!;
}

function ours(data: string | Uint8Array): Packet {
  let packet: Packet | undefined;
  const decoder = new Decoder();
  decoder.on("decoded", (p) => (packet = p));
  decoder.add(data);
  return packet!;
}

/** Uint8Arrays as Buffers: what binary is on the official server. */
function buffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(buffers);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, buffers(v)]));
  }
  return value;
}

/** Buffers as plain Uint8Array, for comparison across runtimes. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

describe("msgpack parser (socket.io-msgpack-parser 3 compatible)", () => {
  for (const [what, packet] of PACKETS) {
    it(`${what}: the same bytes as the official encoder`, () => {
      const [mine] = new Encoder().encode(packet as unknown as Packet);
      assert.deepEqual(mine, officialBytes(packet));
    });
    it(`${what}: each side decodes the other's bytes`, () => {
      const [mine] = new Encoder().encode(packet as unknown as Packet);
      assert.deepEqual(plain(officialDecode(mine)), plain(packet));
      assert.deepEqual(plain(ours(officialBytes(packet))), plain(packet));
    });
  }

  it("writes keys in the official order whatever the packet object's order", () => {
    const shuffled = { nsp: "/", data: ["a"], type: 2, id: 1 } as Packet;
    const [mine] = new Encoder().encode(shuffled);
    assert.deepEqual(mine, officialBytes({ type: 2, data: ["a"], id: 1, nsp: "/" }));
    const ack = { nsp: "/", data: [], type: 3, id: 1 } as Packet;
    assert.deepEqual(
      new Encoder().encode(ack)[0],
      officialBytes({ id: 1, type: 3, data: [], nsp: "/" }),
    );
  });

  it("reads a browser client's ArrayBuffer (notepack 2's ext 0) as a Uint8Array", () => {
    const [bytes] = new official.Encoder().encode(
      { type: 2, data: ["b", new Uint8Array([1, 2, 3]).buffer], nsp: "/" } as never,
    ) as unknown as [Uint8Array];
    assert.deepEqual(ours(new Uint8Array(bytes)).data, ["b", new Uint8Array([1, 2, 3])]);
  });

  it("gives binary the type of the message: Buffer copies of a Buffer (as the engine hands on Node and Bun)", () => {
    const [encoded] = new official.Encoder().encode(
      {
        type: 2,
        data: ["b", new Uint8Array([1, 2, 3]).buffer, Buffer.from([4, 5])],
        nsp: "/",
      } as never,
    ) as unknown as [Uint8Array];
    // the message inside a larger Buffer, as a pooled or shared one would be
    const pool = Buffer.alloc(encoded.length + 8, 0xee);
    pool.set(encoded, 4);
    const message = pool.subarray(4, 4 + encoded.length);
    const data = ours(message).data as [string, Uint8Array, Uint8Array];
    assert.deepEqual(data, ["b", Buffer.from([1, 2, 3]), Buffer.from([4, 5])]);
    pool.fill(0);
    assert.deepEqual(data, ["b", Buffer.from([1, 2, 3]), Buffer.from([4, 5])], "copies");
  });

  it("destroy() keeps the decoded listeners, as socket.io-msgpack-parser's (a client's Manager calls it at every reconnect)", () => {
    for (const Impl of [Decoder, official.Decoder as unknown as typeof Decoder]) {
      const decoder = new Impl();
      const got: Packet[] = [];
      decoder.on("decoded", (p: Packet) => got.push(p));
      decoder.destroy();
      const [bytes] = new Encoder().encode({ type: 2, nsp: "/", data: ["again"] });
      decoder.add(Buffer.from(bytes as Uint8Array));
      assert.equal(got.length, 1, Impl.name);
      assert.deepEqual(got[0]!.data, ["again"]);
    }
  });

  it("sends a BINARY_EVENT/BINARY_ACK as EVENT/ACK (no attachments)", () => {
    const [mine] = new Encoder().encode({ type: 5, nsp: "/", data: ["b", bytes(2)] });
    assert.deepEqual(mine, officialBytes({ type: 2, data: ["b", bytes(2)], nsp: "/" }));
  });

  const BAD: [string, string | Uint8Array][] = [
    ["a text message", '2["x"]'],
    ["truncated msgpack", new Uint8Array([0x82, 0xa4])],
    ["trailing bytes", new Uint8Array([...officialBytes({ type: 1, nsp: "/" }), 0])],
    ["not a map", officialBytes([1, 2] as never)],
    ["an unknown type", officialBytes({ type: 9, data: [], nsp: "/" })],
    ["a type 5", officialBytes({ type: 5, data: ["x"], nsp: "/" })],
    ["no namespace", officialBytes({ type: 2, data: ["x"] })],
    ["an EVENT without array data", officialBytes({ type: 2, data: "x", nsp: "/" })],
    ["a CONNECT with array data", officialBytes({ type: 0, data: [1], nsp: "/" })],
    ["a DISCONNECT with data", officialBytes({ type: 1, data: 1, nsp: "/" })],
    ["a fractional ack id", officialBytes({ type: 2, data: ["x"], id: 1.5, nsp: "/" })],
    ["a reserved event name", officialBytes({ type: 2, data: ["disconnect"], nsp: "/" })],
  ];
  for (const [what, input] of BAD) {
    it(`refuses ${what} with a ParseError`, () => {
      assert.throws(() => ours(input), ParseError);
    });
  }

  it(`refuses data nested deeper than ${MAX_DEPTH} (and takes ${MAX_DEPTH})`, () => {
    const nest = (n: number) => {
      let v: unknown = 1;
      for (let i = 0; i < n; i++) v = [v];
      return v;
    };
    // ["x", nest] is 1 + n deep
    const ok = officialBytes({ type: 2, data: ["x", nest(MAX_DEPTH - 1)], nsp: "/" });
    assert.equal(ours(ok).type, 2);
    const deep = officialBytes({ type: 2, data: ["x", nest(MAX_DEPTH)], nsp: "/" });
    assert.throws(() => ours(deep), ParseError);
  });
});
