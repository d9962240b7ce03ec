// Cross-checks the codec against the official socket.io-parser (installed as
// a dependency of socket.io-client): same wire output, and each side decodes
// what the other encodes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Decoder, ParseError } from "../../src/parser/socket_decoder.ts";
import { Decoder as OfficialDecoder } from "socket.io-parser";
import { encodePacket, type Packet } from "../../src/parser/socket_packet.ts";
import {
  interopCorpus as corpus,
  normalise,
  officialDecode,
  officialEncode,
} from "../_support/official_parser.ts";

function ourDecode(
  parts: readonly (string | Uint8Array)[],
): Packet | undefined {
  const decoder = new Decoder();
  let result: Packet | undefined;
  for (const part of parts) result = decoder.add(part);
  return result;
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
