import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodePacketV3,
  decodePayloadV3,
  encodePacketV3,
  encodePayloadV3,
} from "../../src/parser/engine_packet_v3.ts";
import type { Packet } from "../../src/parser/engine_packet.ts";

const bin = (...bytes: number[]) => new Uint8Array(bytes);

describe("Engine.IO v3 packets and payloads", () => {
  it("text payloads are length-prefixed in UTF-16 units, binary as b4 + base64", () => {
    const packets: Packet[] = [
      { type: "open", data: '{"sid":"x"}' },
      { type: "message", data: "40" },
      { type: "message", data: "é✓" },
      { type: "message", data: bin(1, 2, 3) },
      { type: "pong" },
    ];
    const payload = encodePayloadV3(packets, false);
    assert.equal(payload, '12:0{"sid":"x"}3:4403:4é✓6:b4AQID1:3');
    assert.deepEqual(decodePayloadV3(payload), packets);
    assert.equal(encodePayloadV3([], false), "0:");
  });

  it("binary payloads: 0/1, the length's digits, 255, then the packet (text as UTF-8)", () => {
    const packets: Packet[] = [{ type: "message", data: "é" }, {
      type: "message",
      data: bin(9, 8),
    }];
    const payload = encodePayloadV3(packets, true);
    assert.deepEqual(payload, bin(0, 3, 255, 0x34, 0xc3, 0xa9, 1, 3, 255, 4, 9, 8));
    assert.deepEqual(decodePayloadV3(payload), packets);
    // without binary, a client that supports it still gets text
    assert.equal(encodePayloadV3([{ type: "message", data: "a" }], true), "2:4a");
  });

  it("a binary WebSocket message is its type byte, then the bytes", () => {
    assert.deepEqual(encodePacketV3({ type: "message", data: bin(7) }), bin(4, 7));
    assert.deepEqual(decodePacketV3(bin(4, 7)), { type: "message", data: bin(7) });
    assert.equal(encodePacketV3({ type: "ping", data: "probe" }), "2probe");
  });

  for (
    const [what, bad] of [
      ["a length that is no number", "x:4a"],
      ["a cut packet", "5:4a"],
      ["an unknown type", "1:9"],
      ["an empty payload", ""],
      ["bad base64", "4:b4!!"],
      ["a binary payload with a bad marker", bin(2, 1, 255, 4)],
      ["a binary payload cut short", bin(1, 9, 255, 4)],
      ["a binary payload with invalid UTF-8", bin(0, 2, 255, 0x34, 0xff)],
    ] as const
  ) {
    it(`refuses ${what}`, () => {
      assert.throws(() => decodePayloadV3(bad as string | Uint8Array), SyntaxError);
    });
  }
});
