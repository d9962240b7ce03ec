import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  encodePacket,
  type Packet,
  PacketType,
  toUint8Array,
} from "../../src/parser/socket_packet.ts";
import { hasBinary } from "../../src/parser/_binary.ts";

const { CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR } = PacketType;

function text(packet: Packet): string {
  const encoded = encodePacket(packet);
  assert.equal(encoded.length, 1, "expected a text-only packet");
  return encoded[0];
}

describe("encodePacket: exact wire strings", () => {
  const cases: [string, Packet][] = [
    ['2["hello",1]', { type: EVENT, nsp: "/", data: ["hello", 1] }],
    ['2/admin,["x"]', { type: EVENT, nsp: "/admin", data: ["x"] }],
    ['21["a"]', { type: EVENT, nsp: "/", data: ["a"], id: 1 }],
    ['2/admin,0["a"]', { type: EVENT, nsp: "/admin", data: ["a"], id: 0 }],
    ["3/admin,4[]", { type: ACK, nsp: "/admin", data: [], id: 4 }],
    ['312[null,false,0,""]', {
      type: ACK,
      nsp: "/",
      data: [null, false, 0, ""],
      id: 12,
    }],
    ['0{"token":"x"}', { type: CONNECT, nsp: "/", data: { token: "x" } }],
    ["0", { type: CONNECT, nsp: "/" }],
    ["0/admin,", { type: CONNECT, nsp: "/admin" }],
    ['0/admin,{"sid":"abc"}', {
      type: CONNECT,
      nsp: "/admin",
      data: { sid: "abc" },
    }],
    ["1", { type: DISCONNECT, nsp: "/" }],
    ["1/admin,", { type: DISCONNECT, nsp: "/admin" }],
    ['4{"message":"Invalid namespace"}', {
      type: CONNECT_ERROR,
      nsp: "/",
      data: { message: "Invalid namespace" },
    }],
    ['4/admin,"not authorized"', {
      type: CONNECT_ERROR,
      nsp: "/admin",
      data: "not authorized",
    }],
    ['2["é😀",{"k":"日本"}]', {
      type: EVENT,
      nsp: "/",
      data: ["é😀", { k: "日本" }],
    }],
  ];
  for (const [wire, packet] of cases) {
    it(`encodes ${wire}`, () => assert.equal(text(packet), wire));
  }

  it("treats an empty namespace as the main namespace", () => {
    assert.equal(text({ type: EVENT, nsp: "", data: ["a"] }), '2["a"]');
  });

  it("omits null and undefined data", () => {
    assert.equal(text({ type: CONNECT, nsp: "/", data: null }), "0");
    assert.equal(text({ type: EVENT, nsp: "/", data: undefined }), "2");
  });

  it("turns a Date into its ISO string", () => {
    const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
    assert.equal(
      text({ type: EVENT, nsp: "/", data: ["d", date] }),
      '2["d","2024-01-02T03:04:05.006Z"]',
    );
  });
});

describe("encodePacket: binary attachments", () => {
  it("makes an EVENT with a Uint8Array a BINARY_EVENT", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const [head, ...attachments] = encodePacket({
      type: EVENT,
      nsp: "/",
      data: ["b", bytes],
    });
    assert.equal(head, '51-["b",{"_placeholder":true,"num":0}]');
    assert.equal(attachments.length, 1);
    assert.equal(attachments[0], bytes);
  });

  it("makes an ACK with binary a BINARY_ACK with namespace and id", () => {
    const encoded = encodePacket({
      type: ACK,
      nsp: "/admin",
      id: 3,
      data: [new Uint8Array([9])],
    });
    assert.equal(encoded[0], '61-/admin,3[{"_placeholder":true,"num":0}]');
    assert.deepEqual(encoded.slice(1), [new Uint8Array([9])]);
  });

  it("numbers nested attachments depth first, in arrays and objects", () => {
    const a = new Uint8Array([1]);
    const b = new Uint8Array([2]);
    const c = new Uint8Array([3]);
    const encoded = encodePacket({
      type: EVENT,
      nsp: "/",
      data: ["e", { x: a, list: [1, { y: b }] }, [c]],
    });
    assert.equal(
      encoded[0],
      '53-["e",{"x":{"_placeholder":true,"num":0},"list":[1,{"y":' +
        '{"_placeholder":true,"num":1}}]},[{"_placeholder":true,"num":2}]]',
    );
    assert.deepEqual(encoded.slice(1), [a, b, c]);
  });

  it("sends an ArrayBuffer as a Uint8Array over the same memory", () => {
    const buffer = new Uint8Array([4, 5, 6]).buffer;
    const [, attachment] = encodePacket({
      type: EVENT,
      nsp: "/",
      data: ["b", buffer],
    });
    assert.ok(attachment instanceof Uint8Array);
    assert.equal(attachment.buffer, buffer);
    assert.deepEqual([...attachment], [4, 5, 6]);
  });

  it("toUint8Array: a plain Uint8Array as it is, a Buffer as a plain view of the same bytes", () => {
    const plain = new Uint8Array([1, 2]);
    assert.equal(toUint8Array(plain), plain);
    const buf = Buffer.from([7, 8, 9, 10]).subarray(1, 3);
    const view = toUint8Array(buf);
    assert.equal(Object.getPrototypeOf(view), Uint8Array.prototype);
    assert.equal(view.buffer, buf.buffer);
    assert.equal(view.byteOffset, buf.byteOffset);
    assert.deepEqual(view, new Uint8Array([8, 9]));
  });

  it("sends other views as a Uint8Array of exactly their bytes", () => {
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer;
    const words = new Uint16Array(backing, 2, 2);
    const view = new DataView(backing, 5, 2);
    const [, first, second] = encodePacket({
      type: EVENT,
      nsp: "/",
      data: ["v", words, view],
    });
    assert.equal(first?.buffer, backing);
    assert.deepEqual([...first!], [2, 3, 4, 5]);
    assert.deepEqual([...second!], [5, 6]);
  });

  it("follows toJSON() to find binary, like the official hasBinary", () => {
    const bytes = new Uint8Array([7]);
    const wrapper = { toJSON: () => ({ payload: bytes }) };
    const encoded = encodePacket({
      type: EVENT,
      nsp: "/",
      data: ["t", wrapper],
    });
    assert.equal(
      encoded[0],
      '51-["t",{"payload":{"_placeholder":true,"num":0}}]',
    );
    assert.equal(encoded[1], bytes);
  });

  it("sends a BINARY_EVENT without binary as a plain EVENT", () => {
    const packet = { type: PacketType.BINARY_EVENT, nsp: "/", data: ["a"] };
    assert.deepEqual(encodePacket(packet), ['2["a"]']);
  });

  it("does not change the caller's data", () => {
    const bytes = new Uint8Array([1]);
    const inner = { bin: bytes, keep: [1, 2] };
    const data = ["e", inner, [bytes]];
    const packet: Packet = { type: EVENT, nsp: "/", data, id: 5 };
    encodePacket(packet);
    assert.deepEqual(packet, { type: EVENT, nsp: "/", data, id: 5 });
    assert.equal(data[1], inner);
    assert.equal(inner.bin, bytes);
    assert.deepEqual(data[2], [bytes]);
    assert.equal(Object.hasOwn(packet, "attachments"), false);
  });

  it("keeps an own __proto__ key a plain property when copying", () => {
    const data = JSON.parse('["e",{"__proto__":{"a":1},"b":0}]');
    data[1].b = new Uint8Array([1]);
    const [head] = encodePacket({ type: EVENT, nsp: "/", data });
    assert.equal(
      head,
      '51-["e",{"__proto__":{"a":1},"b":{"_placeholder":true,"num":0}}]',
    );
  });
});

describe("encodePacket: misuse", () => {
  it("throws a TypeError on an unknown type", () => {
    const packet = { type: 7, nsp: "/" } as unknown as Packet;
    assert.throws(() => encodePacket(packet), TypeError);
  });

  it("throws a TypeError on a namespace without a leading slash", () => {
    const packet: Packet = { type: EVENT, nsp: "admin", data: ["a"] };
    assert.throws(() => encodePacket(packet), TypeError);
  });

  it("throws a TypeError on a namespace holding a comma", () => {
    const packet: Packet = { type: EVENT, nsp: "/a,b", data: ["a"] };
    assert.throws(() => encodePacket(packet), TypeError);
  });
});

describe("hasBinary", () => {
  it("finds binary nested in arrays and objects", () => {
    assert.equal(hasBinary([1, { a: [{ b: new ArrayBuffer(1) }] }]), true);
    assert.equal(hasBinary({ a: new DataView(new ArrayBuffer(1)) }), true);
  });

  it("finds no binary in plain JSON values and Dates", () => {
    assert.equal(hasBinary(["a", { b: [1, null, false] }, new Date()]), false);
    assert.equal(hasBinary("bytes"), false);
    assert.equal(hasBinary(null), false);
  });

  it("follows toJSON() one level", () => {
    const bytes = new Uint8Array(1);
    assert.equal(hasBinary([{ toJSON: () => [bytes] }]), true);
    assert.equal(hasBinary([{ toJSON: () => "x", raw: bytes }]), false);
  });
});
