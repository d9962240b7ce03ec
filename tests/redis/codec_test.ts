/**
 * The msgpack codec against the exact bytes notepack.io (the official Redis
 * adapter's codec) and @msgpack/msgpack (the streams adapter's) wrote for
 * the same values, captured in fixtures/codec.json: we write the same bytes,
 * and read theirs to the same values.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import * as notepack from "notepack.io";
import { decode as msgpackDecode } from "@msgpack/msgpack";
import { decode, encode, MsgpackError } from "../../src/parser/msgpack_codec.ts";
import { corpus } from "./_corpus.ts";

interface Case {
  name: string;
  hex: string;
}
const fixtures = JSON.parse(
  readFileSync(new URL("./fixtures/codec.json", import.meta.url), "utf8"),
) as { notepack: Case[]; msgpack: Case[] };
const values = corpus();
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Node Buffers and ArrayBuffers as plain Uint8Arrays, so values compare across codecs. */
function plain(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

describe("msgpack codec against notepack.io", () => {
  it("has a fixture for every corpus value", () => {
    assert.deepEqual(fixtures.notepack.map((c) => c.name).sort(), Object.keys(values).sort());
  });
  for (const { name, hex: expected } of fixtures.notepack) {
    it(`encodes ${name} to notepack's bytes`, () => {
      assert.equal(hex(encode(values[name])), expected);
    });
    it(`decodes notepack's ${name} as notepack does`, () => {
      const ours = decode(bytes(expected));
      const theirs = notepack.decode(Buffer.from(expected, "hex"));
      assert.deepEqual(plain(ours), plain(theirs));
    });
  }
});

describe("msgpack codec against @msgpack/msgpack", () => {
  for (const { name, hex: written } of fixtures.msgpack) {
    it(`decodes @msgpack/msgpack's ${name}`, () => {
      assert.deepEqual(plain(decode(bytes(written))), plain(msgpackDecode(bytes(written))));
    });
  }
  it("our bytes decode with @msgpack/msgpack", () => {
    const value = { a: [1, -1, 1.5, "é", new Uint8Array([1, 2])], b: { c: null, d: true } };
    assert.deepEqual(plain(msgpackDecode(encode(value))), plain(value));
  });
});

describe("msgpack codec on bad input", () => {
  const bad: [string, number[]][] = [
    ["an empty input", []],
    ["a truncated str", [0xa5, 0x61]],
    ["a truncated uint32", [0xce, 0, 0]],
    ["trailing bytes", [0x01, 0x02]],
    ["an array longer than its input", [0xdd, 0xff, 0xff, 0xff, 0xff]],
    ["a map longer than its input", [0xdf, 0x7f, 0xff, 0xff, 0xff, 0x01]],
    ["a bin longer than its input", [0xc6, 0x7f, 0xff, 0xff, 0xff]],
    ["the reserved prefix 0xc1", [0xc1]],
  ];
  for (const [what, input] of bad) {
    it(`rejects ${what} with a MsgpackError`, () => {
      assert.throws(() => decode(new Uint8Array(input)), MsgpackError);
    });
  }
  it("keeps a __proto__ key as data, never as a prototype", () => {
    const value = decode(bytes("81a95f5f70726f746f5f5f81a178c3")) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ["__proto__"]);
    assert.equal((value as { x?: unknown }).x, undefined);
  });
  it("refuses a symbol", () => {
    assert.throws(() => encode(Symbol("s")), MsgpackError);
  });
});

describe("msgpack codec on a Buffer input", () => {
  it("copies bin out of a Buffer input (a Redis client's pooled buffer), keeping its type", () => {
    const pool = Buffer.alloc(16, 0xee);
    pool.set([0xc4, 0x03, 1, 2, 3], 4); // bin 8 of [1, 2, 3]
    const value = decode(pool.subarray(4, 9)) as Uint8Array;
    assert.ok(Buffer.isBuffer(value));
    pool.fill(0);
    assert.deepEqual([...value], [1, 2, 3]);
    const plainValue = decode(new Uint8Array([0xc4, 0x01, 7])) as Uint8Array;
    assert.equal(plainValue.constructor, Uint8Array);
  });

  it("reads notepack 2's ext 0 out of a Buffer view as an ArrayBuffer of just its bytes", () => {
    const pool = Buffer.alloc(16, 0xee);
    pool.set([0xc7, 0x02, 0x00, 8, 9], 4); // ext 8, type 0, [8, 9]
    const value = decode(pool.subarray(4, 9));
    assert.ok(value instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(value)], [8, 9]);
  });
});
