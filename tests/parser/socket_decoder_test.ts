import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Decoder, decodeText, ParseError } from "../../src/parser/socket_decoder.ts";
import { encodePacket, type Packet, PacketType } from "../../src/parser/socket_packet.ts";

const { CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR } = PacketType;

function decodeAll(parts: readonly (string | Uint8Array)[], maxDepth?: number): Packet {
  const decoder = new Decoder(maxDepth === undefined ? {} : { maxDepth });
  let packet: Packet | undefined;
  parts.forEach((part, i) => {
    packet = decoder.add(part);
    if (i < parts.length - 1) assert.equal(packet, undefined);
  });
  assert.ok(packet, "the last part completes the packet");
  assert.equal(decoder.pendingAttachments, 0);
  return packet;
}

function assertParseError(fn: () => unknown, reason: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ParseError, `not a ParseError: ${err}`);
    assert.ok(err instanceof SyntaxError);
    assert.equal(err.name, "ParseError");
    assert.match(err.message, /^Cannot decode /);
    assert.ok(err.message.includes(reason), err.message);
    return true;
  });
}

function rejects(wire: string, reason: string, maxAttachments = 10): void {
  assertParseError(() => new Decoder({ maxAttachments }).add(wire), reason);
}

describe("Decoder: exact wire strings", () => {
  const cases: [string, Packet][] = [
    ['2["hello",1]', { type: EVENT, nsp: "/", data: ["hello", 1] }],
    ['2/admin,["x"]', { type: EVENT, nsp: "/admin", data: ["x"] }],
    ['21["a"]', { type: EVENT, nsp: "/", data: ["a"], id: 1 }],
    ['2[7,"numeric name"]', {
      type: EVENT,
      nsp: "/",
      data: [7, "numeric name"],
    }],
    ["3/admin,4[]", { type: ACK, nsp: "/admin", data: [], id: 4 }],
    ["39007199254740991[]", {
      type: ACK,
      nsp: "/",
      data: [],
      id: Number.MAX_SAFE_INTEGER,
    }],
    ['0{"token":"x"}', { type: CONNECT, nsp: "/", data: { token: "x" } }],
    ["0", { type: CONNECT, nsp: "/" }],
    ["0/admin,", { type: CONNECT, nsp: "/admin" }],
    ["0/admin", { type: CONNECT, nsp: "/admin" }],
    ["1/admin,", { type: DISCONNECT, nsp: "/admin" }],
    ['4{"message":"Invalid namespace"}', {
      type: CONNECT_ERROR,
      nsp: "/",
      data: { message: "Invalid namespace" },
    }],
    ['4"denied"', { type: CONNECT_ERROR, nsp: "/", data: "denied" }],
    ['2["é😀",{"日本":"語"}]', {
      type: EVENT,
      nsp: "/",
      data: ["é😀", { "日本": "語" }],
    }],
  ];
  for (const [wire, packet] of cases) {
    it(`decodes ${wire}`, () => assert.deepEqual(decodeAll([wire]), packet));
  }

  it("decodeText keeps BINARY_EVENT, its count and placeholders", () => {
    assert.deepEqual(
      decodeText('51-/a,2["b",{"_placeholder":true,"num":0}]', 10),
      {
        type: PacketType.BINARY_EVENT,
        nsp: "/a",
        id: 2,
        attachments: 1,
        data: ["b", { _placeholder: true, num: 0 }],
      },
    );
  });
});

describe("Decoder: binary attachments", () => {
  it("waits for every attachment, then puts each in its placeholder", () => {
    const a = new Uint8Array([1, 2]);
    const b = new Uint8Array([3]);
    const packet = decodeAll([
      '52-/admin,9["up",{"x":[{"_placeholder":true,"num":1}]},' +
      '{"_placeholder":true,"num":0}]',
      a,
      b,
    ]);
    assert.deepEqual(packet, {
      type: EVENT,
      nsp: "/admin",
      id: 9,
      data: ["up", { x: [b] }, a],
    });
    const data = packet.data as [string, { x: Uint8Array[] }, Uint8Array];
    assert.equal(data[2], a, "attachments are not copied");
    assert.equal(data[1].x[0], b);
  });

  it("returns a BINARY_ACK as an ACK", () => {
    const bytes = new Uint8Array([0xff]);
    const packet = decodeAll(['61-3[{"_placeholder":true,"num":0}]', bytes]);
    assert.deepEqual(packet, { type: ACK, nsp: "/", id: 3, data: [bytes] });
  });

  it("reports how many attachments are still pending", () => {
    const decoder = new Decoder();
    assert.equal(decoder.pendingAttachments, 0);
    decoder.add('52-["a",{"_placeholder":true,"num":0}]');
    assert.equal(decoder.pendingAttachments, 2);
    decoder.add(new Uint8Array(1));
    assert.equal(decoder.pendingAttachments, 1);
  });

  it("destroy() drops a partly received packet", () => {
    const decoder = new Decoder();
    decoder.add('51-["a",{"_placeholder":true,"num":0}]');
    decoder.destroy();
    assert.equal(decoder.pendingAttachments, 0);
    assert.deepEqual(decoder.add('2["next"]'), {
      type: EVENT,
      nsp: "/",
      data: ["next"],
    });
  });

  it("decodes packets one after another", () => {
    const decoder = new Decoder();
    decoder.add('51-["a",{"_placeholder":true,"num":0}]');
    assert.ok(decoder.add(new Uint8Array([1])));
    assert.deepEqual(decoder.add("30[]"), {
      type: ACK,
      nsp: "/",
      id: 0,
      data: [],
    });
  });

  it("allows up to maxAttachments attachments", () => {
    const decoder = new Decoder({ maxAttachments: 2 });
    assert.equal(decoder.add('52-["a"]'), undefined);
  });

  it("is left empty after a ParseError", () => {
    const decoder = new Decoder();
    decoder.add('51-["a",{"_placeholder":true,"num":0}]');
    assert.throws(() => decoder.add('2["b"]'), ParseError);
    assert.equal(decoder.pendingAttachments, 0);
    assert.deepEqual(decoder.add('2["c"]'), {
      type: EVENT,
      nsp: "/",
      data: ["c"],
    });
  });

  it("leaves placeholders of a plain EVENT alone", () => {
    const wire = '2["a",{"_placeholder":true,"num":0}]';
    assert.deepEqual(decodeAll([wire]).data, ["a", {
      _placeholder: true,
      num: 0,
    }]);
  });

  it("does not follow __proto__ when filling placeholders", () => {
    const bytes = new Uint8Array([1]);
    const packet = decodeAll([
      '51-["a",{"__proto__":{"_placeholder":true,"num":0}},' +
      '{"_placeholder":true,"num":0}]',
      bytes,
    ]);
    const data = packet.data as [string, Record<string, unknown>, Uint8Array];
    assert.equal(Object.getPrototypeOf(data[1]), Object.prototype);
    assert.deepEqual(
      Object.getOwnPropertyDescriptor(data[1], "__proto__")?.value,
      {
        _placeholder: true,
        num: 0,
      },
    );
    assert.equal(data[2], bytes);
    assert.equal(({} as Record<string, unknown>)._placeholder, undefined);
  });

  it("does not pollute Object.prototype through a __proto__ key", () => {
    const packet = decodeAll(['2["a",{"__proto__":{"polluted":true}}]']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const data = packet.data as [string, object];
    assert.equal(Object.getPrototypeOf(data[1]), Object.prototype);
  });

  it("walks deeply nested data without overflowing the stack (when maxDepth allows it)", () => {
    const depth = 100_000;
    const wire = '51-["a",' + "[".repeat(depth) +
      '{"_placeholder":true,"num":0}' +
      "]".repeat(depth) + "]";
    const bytes = new Uint8Array([1]);
    let node = decodeAll([wire, bytes], depth + 2).data as unknown[];
    node = node[1] as unknown[];
    for (let i = 1; i < depth; i++) node = node[0] as unknown[];
    assert.equal(node[0], bytes);
  });
});

describe("Decoder: misuse", () => {
  it("throws a RangeError on a negative maxAttachments", () => {
    assert.throws(() => new Decoder({ maxAttachments: -1 }), RangeError);
  });

  it("throws a TypeError on a chunk that is neither string nor Uint8Array", () => {
    const chunk = new ArrayBuffer(1) as unknown as Uint8Array;
    assert.throws(() => new Decoder().add(chunk), TypeError);
  });
});

describe("Decoder: malformed packets throw ParseError", () => {
  it("unknown type", () => rejects("9", 'Cannot decode packet "9": unknown type'));
  it("unknown non-digit type", () => rejects('x["a"]', "unknown type"));
  it("empty packet", () => rejects("", "empty packet"));
  it("non-numeric attachment count", () => {
    rejects(
      '5x-["a",{"_placeholder":true,"num":0}]',
      "invalid attachment count",
    );
  });
  it("missing attachment count", () => rejects('5-["a"]', "invalid attachment count"));
  it("overflowing attachment count", () => {
    rejects('51234567890123-["a"]', "invalid attachment count");
  });
  it("zero attachments", () => rejects('50-["a"]', "invalid attachment count"));
  it("missing - after the attachment count", () => {
    rejects('51["a",{"_placeholder":true,"num":0}]', 'missing "-"');
  });
  it("attachment count over the default limit of 10", () => {
    rejects('511-["a"]', "too many attachments");
  });
  it("attachment count over a configured limit", () => {
    rejects('53-["a"]', "too many attachments", 2);
  });
  it("binary chunk when no attachment is expected", () => {
    assertParseError(
      () => new Decoder().add(new Uint8Array([1])),
      "no binary packet is waiting",
    );
  });
  it("binary chunk after the last expected attachment", () => {
    const decoder = new Decoder();
    decoder.add('51-["a"]');
    assert.ok(decoder.add(new Uint8Array([1])));
    assertParseError(
      () => decoder.add(new Uint8Array([2])),
      "no binary packet",
    );
  });
  it("placeholder num out of range", () => {
    rejects(
      '51-["a",{"_placeholder":true,"num":1}]',
      "invalid attachment placeholder",
    );
  });
  it("negative placeholder num", () => {
    rejects(
      '51-["a",{"_placeholder":true,"num":-1}]',
      "invalid attachment placeholder",
    );
  });
  it("placeholder num not an integer", () => {
    rejects(
      '52-["a",{"_placeholder":true,"num":0.5}]',
      "invalid attachment placeholder",
    );
  });
  it("placeholder num not a number", () => {
    rejects(
      '51-["a",{"_placeholder":true,"num":"0"}]',
      "invalid attachment placeholder",
    );
  });
  it("text packet while attachments are pending", () => {
    const decoder = new Decoder();
    decoder.add('52-["a",{"_placeholder":true,"num":0}]');
    decoder.add(new Uint8Array([1]));
    assertParseError(
      () => decoder.add('2["b"]'),
      "1 binary attachment(s) still expected",
    );
  });
  it("namespace without a leading /", () => {
    rejects('2admin,["x"]', 'namespace must start with "/"');
  });
  it("ack id followed by non-digits", () => rejects('21a["x"]', "invalid ack id"));
  it("ack id too long", () => rejects('212345678901234567["x"]', "invalid ack id"));
  it("ack id beyond the safe integers", () => {
    rejects('29007199254740992["x"]', "invalid ack id");
  });
  it("invalid JSON", () => rejects('2["a"', "invalid JSON"));
  it("payload that is not JSON at all", () => rejects("2 hello", "invalid payload"));
  it("CONNECT payload that is not an object", () => {
    rejects('0["a"]', "CONNECT payload must be an object");
  });
  it("CONNECT payload that is a string", () => {
    rejects('0"a"', "CONNECT payload must be an object");
  });
  it("data in a DISCONNECT", () => rejects("1/admin,{}", "DISCONNECT takes no payload"));
  it("CONNECT_ERROR payload that is an array", () => {
    rejects('4["a"]', "CONNECT_ERROR payload must be an object or a string");
  });
  it("CONNECT_ERROR without payload", () => {
    rejects("4", "CONNECT_ERROR payload must be an object or a string");
  });
  it("EVENT with an empty array", () => rejects("2[]", "EVENT payload must be an array"));
  it("EVENT whose first element is not a name", () => {
    rejects('2[{"a":1},"x"]', "EVENT payload must be an array");
  });
  it("EVENT whose first element is null", () => {
    rejects("2[null]", "EVENT payload must be an array");
  });
  it("EVENT with a reserved name, as the official decoder refuses it", () => {
    for (const name of ["connect", "connect_error", "disconnect", "disconnecting"]) {
      rejects(`2${JSON.stringify([name, "forged"])}`, `"${name}" is a reserved event name`);
    }
    rejects('2/admin,1["newListener"]', '"newListener" is a reserved event name');
    rejects('51-["removeListener",{"_placeholder":true,"num":0}]', "reserved event name");
  });
  it("EVENT with an object payload", () => {
    rejects('2{"0":"a"}', "EVENT payload must be an array");
  });
  it("EVENT without payload", () => rejects("2/admin,", "EVENT payload must be an array"));
  it("BINARY_EVENT with an invalid payload", () => {
    rejects(
      '51-{"_placeholder":true,"num":0}',
      "EVENT payload must be an array",
    );
  });
  it("ACK with an object payload", () => rejects("30{}", "ACK payload must be an array"));
  it("ACK without payload", () => rejects("30", "ACK payload must be an array"));
  it("BINARY_ACK with a string payload", () => {
    rejects('61-0"a"', "ACK payload must be an array");
  });
  it("long input is cut short in the message", () => {
    assertParseError(
      () => new Decoder().add("9" + "x".repeat(1000)),
      '…": unknown type',
    );
  });
});

describe("round trips through encodePacket and Decoder", () => {
  function roundTrip(packet: Packet): Packet {
    return decodeAll(encodePacket(packet));
  }

  it("keeps mixed nested binary and its positions", () => {
    const a = new Uint8Array([0, 255, 128]);
    const b = new Uint8Array(0);
    const packet: Packet = {
      type: EVENT,
      nsp: "/chat",
      id: 42,
      data: ["upload", { files: [{ name: "é", body: a }, { body: b }] }, a],
    };
    assert.deepEqual(roundTrip(packet), packet);
  });

  it("turns ArrayBuffers and other views into Uint8Arrays", () => {
    const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
    const packet: Packet = {
      type: ACK,
      nsp: "/",
      id: 1,
      data: [buffer, new Uint16Array(buffer, 2, 1)],
    };
    assert.deepEqual(roundTrip(packet).data, [
      new Uint8Array([1, 2, 3, 4]),
      new Uint8Array([3, 4]),
    ]);
  });

  it("keeps multi-byte UTF-8 text, false, null, numbers and empty values", () => {
    const packet: Packet = {
      type: EVENT,
      nsp: "/ünï",
      data: ["😀 日本語", false, null, 0, -1.5, 1e21, [], {}, { a: [] }, ""],
    };
    assert.deepEqual(roundTrip(packet), packet);
  });

  it("turns Dates into ISO strings", () => {
    const date = new Date(0);
    const packet: Packet = { type: EVENT, nsp: "/", data: ["t", { at: date }] };
    assert.deepEqual(roundTrip(packet).data, [
      "t",
      { at: "1970-01-01T00:00:00.000Z" },
    ]);
  });

  it("keeps acks with ids and namespaces of every packet type", () => {
    const packets: Packet[] = [
      { type: CONNECT, nsp: "/admin", data: { token: "t" } },
      { type: CONNECT, nsp: "/" },
      { type: DISCONNECT, nsp: "/admin" },
      { type: CONNECT_ERROR, nsp: "/admin", data: { message: "no", data: {} } },
      { type: ACK, nsp: "/admin", id: 0, data: [] },
      { type: ACK, nsp: "/", id: 123456, data: ["ok", { n: 1 }] },
      { type: EVENT, nsp: "/admin", id: 7, data: ["e", null] },
    ];
    for (const packet of packets) assert.deepEqual(roundTrip(packet), packet);
  });
});

describe("Decoder: the common EVENT/ACK shapes", () => {
  const cases: [string, Packet][] = [
    ['2["a",1]', { type: EVENT, nsp: "/", data: ["a", 1] }],
    ['27["a"]', { type: EVENT, nsp: "/", id: 7, data: ["a"] }],
    ["2[42]", { type: EVENT, nsp: "/", data: [42] }],
    ['3123456789012345["x"]', { type: ACK, nsp: "/", id: 123456789012345, data: ["x"] }],
    ["30[]", { type: ACK, nsp: "/", id: 0, data: [] }],
    ["3[]", { type: ACK, nsp: "/", data: [] }],
    ['21234567890123456["x"]', { type: EVENT, nsp: "/", id: 1234567890123456, data: ["x"] }],
  ];
  for (const [wire, packet] of cases) {
    it(`decodes ${wire} with exactly the expected fields`, () => {
      const got = decodeText(wire, 10);
      assert.deepEqual(got, packet);
      assert.deepEqual(Object.keys(got).sort(), Object.keys(packet).sort());
    });
  }
  it("still refuses reserved names, bad names and non-array payloads", () => {
    rejects('2["disconnect"]', '"disconnect" is a reserved event name');
    rejects("2[null]", "EVENT payload must be an array starting with the event name");
    rejects("2[]", "EVENT payload must be an array starting with the event name");
    rejects('3{"a":1}', "ACK payload must be an array");
    rejects('25["a"]x', "invalid JSON");
  });
});
