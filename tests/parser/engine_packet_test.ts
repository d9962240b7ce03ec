import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodePacket,
  decodePayload,
  encodePacket,
  encodePayload,
  type Packet,
} from "../../src/parser/engine_packet.ts";
import { decodeBase64, encodeBase64 } from "../../src/parser/_base64.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

/** The reference base64 of the platform, to compare against. */
function referenceBase64(data: Uint8Array): string {
  let binary = "";
  for (const b of data) binary += String.fromCharCode(b);
  return btoa(binary);
}

describe("encodePacket: exact wire strings", () => {
  const cases: [string, Packet][] = [
    ['0{"sid":"abc"}', { type: "open", data: '{"sid":"abc"}' }],
    ["1", { type: "close" }],
    ["2", { type: "ping" }],
    ["2probe", { type: "ping", data: "probe" }],
    ["3", { type: "pong" }],
    ["3probe", { type: "pong", data: "probe" }],
    ["4hello", { type: "message", data: "hello" }],
    ["4", { type: "message", data: "" }],
    ["5", { type: "upgrade" }],
    ["6", { type: "noop" }],
    ["4é😀日本", { type: "message", data: "é😀日本" }],
  ];
  for (const [wire, packet] of cases) {
    it(`encodes ${JSON.stringify(wire)} for both transports`, () => {
      assert.equal(encodePacket(packet, true), wire);
      assert.equal(encodePacket(packet, false), wire);
    });
  }

  it("keeps binary data as the same bytes for WebSocket frames", () => {
    const data = bytes(1, 2, 3);
    assert.equal(encodePacket({ type: "message", data }, true), data);
  });

  it("encodes binary data as b + base64 for polling", () => {
    assert.equal(encodePacket({ type: "message", data: bytes(1, 2, 3) }, false), "bAQID");
    assert.equal(encodePacket({ type: "message", data: bytes() }, false), "b");
  });

  it("sends a message's wsPreEncoded frame instead of encoding it again", () => {
    const packet: Packet = { type: "message", data: "x", options: { wsPreEncoded: "4shared" } };
    assert.equal(encodePacket(packet, true), "4shared");
  });
});

describe("decodePacket", () => {
  const cases: [string, Packet][] = [
    ['0{"sid":"abc"}', { type: "open", data: '{"sid":"abc"}' }],
    ["1", { type: "close" }],
    ["2", { type: "ping" }],
    ["2probe", { type: "ping", data: "probe" }],
    ["3probe", { type: "pong", data: "probe" }],
    ["4hello", { type: "message", data: "hello" }],
    ["5", { type: "upgrade" }],
    ["6", { type: "noop" }],
    ["4é😀日本", { type: "message", data: "é😀日本" }],
  ];
  for (const [wire, packet] of cases) {
    it(`decodes ${JSON.stringify(wire)}`, () => assert.deepEqual(decodePacket(wire), packet));
  }

  it("decodes an empty packet without a data property", () => {
    assert.equal("data" in decodePacket("2"), false);
    assert.equal("data" in decodePacket("6"), false);
  });

  it("decodes a binary frame as a message with the same bytes", () => {
    const frame = bytes(0, 255, 10);
    const packet = decodePacket(frame);
    assert.equal(packet.type, "message");
    assert.equal(packet.data, frame);
  });

  it("decodes b + base64 as a binary message", () => {
    assert.deepEqual(decodePacket("bAQID"), { type: "message", data: bytes(1, 2, 3) });
    assert.deepEqual(decodePacket("b"), { type: "message", data: bytes() });
  });
});

describe("payloads", () => {
  it("joins packets with the record separator, binary as b + base64", () => {
    const packets: Packet[] = [
      { type: "message", data: "a" },
      { type: "message", data: bytes(1, 2) },
      { type: "ping" },
      { type: "message", data: "é😀" },
      { type: "noop" },
    ];
    const wire = "4a\x1ebAQI=\x1e2\x1e4é😀\x1e6";
    assert.equal(encodePayload(packets), wire);
    assert.deepEqual(decodePayload(wire), packets);
  });

  it("encodes a one-packet payload without a separator", () => {
    assert.equal(encodePayload([{ type: "message", data: "x" }]), "4x");
    assert.deepEqual(decodePayload("4x"), [{ type: "message", data: "x" }]);
  });

  it("keeps a record separator inside no packet: every \\x1e splits", () => {
    assert.deepEqual(decodePayload("4a\x1e4b"), [
      { type: "message", data: "a" },
      { type: "message", data: "b" },
    ]);
  });
});

describe("base64", () => {
  const cases: [number[], string][] = [
    [[], ""],
    [[0], "AA=="],
    [[0, 0], "AAA="],
    [[0, 0, 0], "AAAA"],
    [[255], "/w=="],
    [[255, 254], "//4="],
    [[255, 254, 253], "//79"],
    [[77, 97, 110, 77], "TWFuTQ=="],
  ];
  for (const [input, wire] of cases) {
    it(`encodes and decodes ${input.length} bytes [${input}] as "${wire}"`, () => {
      assert.equal(encodeBase64(new Uint8Array(input)), wire);
      assert.deepEqual(decodeBase64(wire), new Uint8Array(input));
    });
  }

  it("round-trips every byte value, matching btoa", () => {
    const all = new Uint8Array(256).map((_, i) => i);
    for (let n = 0; n <= 256; n += 1) {
      const slice = all.subarray(256 - n);
      const wire = encodeBase64(slice);
      assert.equal(wire, referenceBase64(slice));
      assert.deepEqual(decodeBase64(wire), slice);
    }
  });

  it("decodes without padding", () => {
    assert.deepEqual(decodeBase64("AQ"), bytes(1));
    assert.deepEqual(decodeBase64("AQI"), bytes(1, 2));
  });

  it("encodes a large buffer the same as btoa", () => {
    const big = new Uint8Array(100_003).map((_, i) => (i * 7) & 255);
    assert.equal(encodeBase64(big), referenceBase64(big));
  });

  const bad = ["A", "AAAAA", "!!!!", "AA=A", "AA===", "é===", "AQ-_", " AQ="];
  for (const text of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => assert.equal(decodeBase64(text), undefined));
  }
});

describe("malformed input raises SyntaxError", () => {
  const packets: [string, string][] = [
    ["an empty string", ""],
    ["an unknown type digit", "7"],
    ["an unknown type digit with data", "9hello"],
    ["a non-digit type", "xhello"],
    ["a type below 0", "/"],
    ["bad base64 characters", "b!!!!"],
    ["base64 of an impossible length", "bAAAAA"],
    ["padding in the middle", "bAA=A"],
  ];
  for (const [name, wire] of packets) {
    it(`decodePacket refuses ${name} (${JSON.stringify(wire)})`, () => {
      assert.throws(() => decodePacket(wire), SyntaxError);
    });
  }

  const payloads: [string, string][] = [
    ["an empty payload", ""],
    ["an empty segment", "4a\x1e\x1e4b"],
    ["a trailing separator", "4a\x1e"],
    ["a leading separator", "\x1e4a"],
    ["a malformed packet after good ones", "4a\x1e4b\x1e9"],
    ["bad base64 in a segment", "4a\x1eb!!"],
  ];
  for (const [name, wire] of payloads) {
    it(`decodePayload refuses ${name}`, () => {
      assert.throws(() => decodePayload(wire), SyntaxError);
    });
  }
});
