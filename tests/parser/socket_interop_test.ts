// Cross-checks the codec against the official socket.io-parser (installed as
// a dependency of socket.io-client): same wire output, and each side decodes
// what the other encodes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Decoder as OfficialDecoder,
  Encoder as OfficialEncoder,
  type Packet as OfficialPacket,
} from "socket.io-parser";
import { Decoder, ParseError } from "../../src/parser/socket_decoder.ts";
import { encodePacket, type Packet } from "../../src/parser/socket_packet.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

const corpus: Packet[] = [
  { type: 0, nsp: "/" },
  { type: 0, nsp: "/admin", data: { token: "abc", n: 1 } },
  { type: 0, nsp: "/", data: { sid: "xyz", pid: "p" } },
  { type: 1, nsp: "/admin" },
  { type: 2, nsp: "/", data: ["hello", 1, "é😀"] },
  { type: 2, nsp: "/admin", id: 13, data: ["q", { a: [null, false] }] },
  { type: 2, nsp: "/", data: ["bin", bytes(1, 2, 3), { deep: [bytes(4)] }] },
  { type: 2, nsp: "/x", id: 0, data: ["two", bytes(), bytes(255)] },
  { type: 3, nsp: "/", id: 1, data: [] },
  { type: 3, nsp: "/admin", id: 99, data: [{ file: bytes(9, 8) }] },
  { type: 4, nsp: "/", data: { message: "Invalid namespace" } },
  { type: 4, nsp: "/admin", data: { message: "nope", data: { code: 1 } } },
];

function officialEncode(packet: Packet): (string | Uint8Array)[] {
  const copy = structuredClone(packet) as OfficialPacket;
  return new OfficialEncoder().encode(copy) as (string | Uint8Array)[];
}

function officialDecode(parts: readonly (string | Uint8Array)[]): unknown {
  const decoder = new OfficialDecoder();
  let result: unknown;
  decoder.on("decoded", (packet: unknown) => (result = packet));
  for (const part of parts) decoder.add(part);
  return result;
}

function ourDecode(
  parts: readonly (string | Uint8Array)[],
): Packet | undefined {
  const decoder = new Decoder();
  let result: Packet | undefined;
  for (const part of parts) result = decoder.add(part);
  return result;
}

/** The official decoder leaves `nsp` and optional fields in a fixed shape. */
function normalise(packet: unknown): unknown {
  const p = packet as Record<string, unknown>;
  const out: Record<string, unknown> = { type: p.type, nsp: p.nsp };
  if (p.id !== undefined) out.id = p.id;
  if (p.data !== undefined) out.data = p.data;
  return out;
}

describe("interop with the official socket.io-parser", () => {
  corpus.forEach((packet, n) => {
    it(`encodes packet #${n} exactly like the official encoder`, () => {
      assert.deepEqual(encodePacket(packet), officialEncode(packet));
    });

    it(`decodes packet #${n} from the official encoder`, () => {
      const ours = ourDecode(officialEncode(packet));
      assert.deepEqual(ours, normalise(officialDecode(officialEncode(packet))));
      assert.deepEqual(ours, packet);
    });

    it(`encodes packet #${n} so the official decoder reads it back`, () => {
      assert.deepEqual(normalise(officialDecode(encodePacket(packet))), packet);
    });
  });

  const officiallyRejected = [
    "9",
    '50-["a"]',
    '511-["a"]',
    '5x-["a"]',
    '51["a"]',
    '2admin,["x"]',
    '2["a"',
    "2[]",
    "2[null]",
    "1{}",
    '0["a"]',
    '4["a"]',
    "3{}",
  ];
  for (const wire of officiallyRejected) {
    it(`rejects ${wire} like the official decoder`, () => {
      assert.throws(() => new OfficialDecoder().add(wire));
      assert.throws(() => new Decoder().add(wire), ParseError);
    });
  }
});
