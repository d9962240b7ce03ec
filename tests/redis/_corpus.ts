/**
 * The values of the codec fixtures: what an official node holds before it
 * encodes (shared by the capture script and the codec tests).
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** The values of the codec corpus: name → value (JS, as the official side holds them). */
export function corpus(): Record<string, unknown> {
  return {
    "positive fixint": 7,
    "uint8": 200,
    "uint16": 60000,
    "uint32": 4000000000,
    "uint64": 2 ** 40,
    "negative fixint": -5,
    "int8": -100,
    "int16": -30000,
    "int32": -2000000000,
    "int64": -(2 ** 40),
    "float": 1.5,
    "negative float": -0.25,
    "NaN": NaN,
    "Infinity": Infinity,
    "negative zero": -0,
    "true": true,
    "false": false,
    "null": null,
    "undefined alone": undefined,
    "undefined in array": [1, undefined, 2],
    "undefined in map": { a: 1, b: undefined, c: 3 },
    "function in map": { a: 1, f: () => 0 },
    "empty string": "",
    "fixstr": "hello",
    "str8": "x".repeat(40),
    "str16": "y".repeat(300),
    "utf8": "héllo ✓ 😀",
    "empty array": [],
    "array16": Array.from({ length: 20 }, (_, i) => i),
    "empty map": {},
    "map16": Object.fromEntries(Array.from({ length: 17 }, (_, i) => ["k" + i, i])),
    "nested": { a: [1, { b: "c" }], d: { e: null } },
    "Buffer": Buffer.from([1, 2, 3]),
    "Uint8Array": new Uint8Array([4, 5, 6]),
    "ArrayBuffer": new Uint8Array([7, 8]).buffer,
    "bin16": Buffer.alloc(300, 9),
    "Date seconds": new Date(1_700_000_000_000),
    "Date milliseconds": new Date(1_700_000_000_123),
    "Date before 1970": new Date(-1_000),
    "toJSON": { toJSON: () => ({ via: "toJSON" }) },
    "BigInt with toJSON": Object.assign(Object(BigInt(5)), { toJSON: () => "5" }),
  };
}

/** Which corpus values @msgpack/msgpack writes, to prove we read its bytes too. */
export const MSGPACK_CORPUS = [
  "uint64",
  "int64",
  "float",
  "utf8",
  "nested",
  "Uint8Array",
  "Date seconds",
  "Date milliseconds",
  "undefined in map",
  "map16",
];
