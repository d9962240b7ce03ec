// The client's own codec (src/client/_codec.ts) against the official
// socket.io-parser and the server's Engine.IO codec: the same wire output,
// each side reads what the other writes, and what the official decoder
// rejects is rejected.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodeEngine,
  decodeEngineText,
  decodePayload,
  decoder,
  encode,
  encodeEngine,
  encodeEngineText,
  encodePayload,
} from "../../src/client/_codec.ts";
import * as server from "../../src/parser/engine_packet.ts";
import { Decoder as OfficialDecoder } from "socket.io-parser";
import type { Packet } from "../../src/parser/socket_packet.ts";
import {
  interopCorpus,
  normalise,
  officialDecode,
  officialEncode,
} from "../_support/official_parser.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

const corpus: Packet[] = [
  ...interopCorpus,
  { type: 2, nsp: "/", data: [7, { when: new Date(0).toJSON() }] },
];

/** A decoder whose packets go to `out` (attachments as they are, unless `binary` says). */
function ourDecoder(out: Packet[] = [], binary = (b: Uint8Array): unknown => b) {
  return decoder(binary, (packet) => out.push(packet));
}

function ourDecode(parts: readonly (string | Uint8Array)[]): Packet | undefined {
  const out: Packet[] = [];
  const d = ourDecoder(out);
  for (const part of parts) {
    assert.equal(out.length, 0, "a packet before its last part");
    d.add(part);
  }
  assert.ok(out.length <= 1);
  return out[0];
}

describe("client codec: Socket.IO packets, against the official socket.io-parser", () => {
  corpus.forEach((packet, n) => {
    it(`packet #${n}: the official encoder's output, read back by both`, () => {
      const ours = encode(packet);
      assert.deepEqual(ours, officialEncode(packet));
      assert.deepEqual(ourDecode(officialEncode(packet)), packet);
      assert.deepEqual(normalise(officialDecode(ours)), packet);
    });
  });

  it("leaves the caller's data untouched and converts each attachment once", () => {
    const data = ["x", { a: bytes(1) }, [new Uint16Array([258]).buffer]];
    const [text, ...parts] = encode({ type: 2, nsp: "/", data });
    assert.equal(
      text,
      '52-["x",{"a":{"_placeholder":true,"num":0}},[{"_placeholder":true,"num":1}]]',
    );
    assert.deepEqual(parts, [bytes(1), bytes(2, 1)]);
    assert.ok(data[1] && (data[1] as { a: unknown }).a instanceof Uint8Array);
    const seen: Uint8Array[] = [];
    const out: Packet[] = [];
    const d = ourDecoder(out, (b) => (seen.push(b), b.byteLength));
    d.add(text);
    d.add(parts[0]!);
    assert.equal(out.length, 0);
    d.add(parts[1]!);
    assert.deepEqual(out, [{ type: 2, nsp: "/", data: ["x", { a: 1 }, [2]] }]);
    assert.equal(seen.length, 2);
  });

  const rejected = [
    "9",
    '50-["a"]',
    '511-["a"]',
    '5x-["a"]',
    '51["a"]',
    '2admin,["x"]',
    '2["a"',
    "2[]",
    "2[null]",
    '2["disconnect"]',
    "1{}",
    '0["a"]',
    '4["a"]',
    "3{}",
  ];
  for (const wire of rejected) {
    it(`rejects ${JSON.stringify(wire)} like the official decoder`, () => {
      assert.throws(() => new OfficialDecoder().add(wire));
      const out: Packet[] = [];
      assert.throws(() => ourDecoder(out).add(wire));
      assert.deepEqual(out, []);
    });
  }

  it("rejects a placeholder out of range, an attachment nobody waits for, and text while one is due", () => {
    const out: Packet[] = [];
    assert.throws(() => {
      const d = ourDecoder(out);
      d.add('51-["a",{"_placeholder":true,"num":1}]');
      d.add(bytes(1));
    });
    assert.throws(() => ourDecoder(out).add(bytes(1)));
    const d = ourDecoder(out);
    d.add('51-["a",{"_placeholder":true,"num":0}]');
    assert.throws(() => d.add('2["b"]'));
    d.destroy();
    d.add('2["b"]');
    assert.deepEqual(out, [{ type: 2, nsp: "/", data: ["b"] }]);
  });
});

describe("client codec: Engine.IO packets, against the server's codec", () => {
  const packets: server.Packet[] = [
    { type: "open", data: '{"sid":"a"}' },
    { type: "close" },
    { type: "ping", data: "probe" },
    { type: "pong" },
    { type: "message", data: "é😀\x1f" },
    { type: "message", data: bytes() },
    { type: "message", data: bytes(0, 255, 128, 7) },
    { type: "upgrade" },
    { type: "noop" },
  ];
  it("encodes packets and payloads as the server does, and reads the server's", () => {
    for (const p of packets) {
      assert.deepEqual(encodeEngine(p), server.encodePacket(p, true));
      assert.deepEqual(encodeEngineText(p), server.encodePacket(p, false));
      assert.deepEqual(
        decodeEngine(server.encodePacket(p, true)),
        server.decodePacket(server.encodePacket(p, true)),
      );
      assert.deepEqual(
        decodeEngineText(server.encodePacket(p, false)),
        server.decodePacket(server.encodePacket(p, false)),
      );
    }
    assert.equal(encodePayload(packets), server.encodePayload(packets));
    assert.deepEqual(
      decodePayload(server.encodePayload(packets)),
      server.decodePayload(server.encodePayload(packets)),
    );
  });

  it("base64 of 1 MiB both ways", () => {
    const big = new Uint8Array(1 << 20).map((_, i) => i * 7);
    const text = encodeEngineText({ type: "message", data: big });
    assert.equal(text, server.encodePacket({ type: "message", data: big }, false));
    assert.deepEqual(decodeEngineText(text).data, big);
  });

  for (const wire of ["", "7", "x", "b@@@"]) {
    it(`rejects ${JSON.stringify(wire)}`, () => {
      assert.throws(() => server.decodePacket(wire));
      assert.throws(() => decodeEngineText(wire));
      assert.throws(() => decodeEngine(wire));
    });
  }

  it("the WebSocket frame decoder reads no base64 (only the text one does)", () => {
    assert.deepEqual(decodeEngineText("bAQI=").data, new Uint8Array([1, 2]));
    assert.throws(() => decodeEngine("bAQI="), SyntaxError);
  });
});
