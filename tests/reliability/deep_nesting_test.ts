/**
 * Issue 15, finding 1: a packet nested thousands of levels deep must cost its
 * connection ("parse error"), never the process; walks over data are
 * iterative; an error thrown by an application's listener is reported, not
 * rethrown as an uncaught error.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { deconstruct, hasBinary, MAX_WALK_DEPTH } from "../../src/parser/_binary.ts";
import { Decoder, DEFAULT_MAX_DEPTH, ParseError } from "../../src/parser/socket_decoder.ts";
import {
  DEFAULT_MAX_ENCODE_DEPTH,
  encodePacket,
  PacketType,
} from "../../src/parser/socket_packet.ts";
import { Server, type ServerOptions } from "../../src/socket/server.ts";
import { Emitter } from "../../src/util/emitter.ts";
import { settle, WireClient } from "../_support/sio_wire.ts";

/** `[[[…]]]` with `depth` arrays, around `inner`. */
export function nestedArrays(depth: number, inner = ""): string {
  return "[".repeat(depth) + inner + "]".repeat(depth);
}

/** `{"a":{"a":…}}` with `depth` objects. */
export function nestedObjects(depth: number): string {
  return '{"a":'.repeat(depth - 1) + '{"a":1}' + "}".repeat(depth - 1);
}

function deepValue(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** The console.error calls made while `fn` runs (and the output they would have made). */
let errors: unknown[][] = [];
const originalError = console.error;
beforeEach(() => {
  errors = [];
  console.error = (...args: unknown[]) => errors.push(args);
});
afterEach(() => {
  console.error = originalError;
});

describe("walks over data are iterative", () => {
  it("hasBinary and deconstruct take 200,000 levels without a stack overflow", () => {
    const depth = 200_000 > MAX_WALK_DEPTH ? MAX_WALK_DEPTH - 10 : 200_000;
    const plain = deepValue(depth, 1);
    assert.equal(hasBinary(plain), false);
    const attachments: Uint8Array[] = [];
    assert.equal(deconstruct(plain, attachments), plain);
    const bytes = new Uint8Array([7]);
    const binary = deepValue(depth, { a: bytes });
    assert.equal(hasBinary(binary), true);
    const out = deconstruct(binary, attachments);
    assert.notEqual(out, binary);
    assert.deepEqual(attachments, [bytes]);
    let leaf = out;
    for (let i = 0; i < depth; i++) leaf = (leaf as unknown[])[0];
    assert.deepEqual(leaf, { a: { _placeholder: true, num: 0 } });
  });

  it("keeps copy-on-write, toJSON and attachment order", () => {
    const a = new Uint8Array([1]);
    const b = new Uint8Array([2]);
    const untouched = { x: [1, 2, { y: "z" }] };
    const data = ["ev", untouched, { p: a, q: [b, 3] }, { toJSON: () => ({ r: a }) }, {
      toJSON: () => "plain",
    }];
    const attachments: Uint8Array[] = [];
    const out = deconstruct(data, attachments) as unknown[];
    assert.deepEqual(attachments, [a, b, a]);
    assert.equal(out[1], untouched);
    assert.deepEqual(out[2], {
      p: { _placeholder: true, num: 0 },
      q: [{ _placeholder: true, num: 1 }, 3],
    });
    assert.deepEqual(out[3], { r: { _placeholder: true, num: 2 } });
    assert.equal(out[4], data[4]);
    assert.equal(data[2] !== out[2] && (data[2] as { p: unknown }).p, a);
  });

  it("refuses circular data with a RangeError instead of looping forever", () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    assert.throws(() => hasBinary(cycle), RangeError);
    assert.throws(() => deconstruct([cycle, new Uint8Array(1)], []), RangeError);
  });

  it("encodes a deep binary packet", () => {
    const [text, ...rest] = encodePacket({
      type: PacketType.EVENT,
      nsp: "/",
      data: ["echo", deepValue(3_000, new Uint8Array([9]))],
    });
    assert.ok(text.startsWith('51-["echo",[[['));
    assert.equal(rest.length, 1);
  });
});

describe("Decoder maxDepth", () => {
  it("accepts maxDepth levels and refuses one more, for arrays and objects", () => {
    const decoder = new Decoder({ maxDepth: 5 });
    // the event array is level 1
    assert.ok(decoder.add(`2["e",${nestedArrays(4)}]`));
    assert.throws(() => decoder.add(`2["e",${nestedArrays(5)}]`), ParseError);
    assert.ok(decoder.add(`2["e",${nestedObjects(4)}]`));
    assert.throws(() => decoder.add(`2["e",${nestedObjects(5)}]`), /nested deeper than 5/);
    assert.throws(() => decoder.add(`21/x,7["e",${nestedArrays(5)}]`), ParseError);
    assert.throws(() => decoder.add(`0/x,${nestedObjects(6)}`), ParseError);
  });

  it("does not count brackets inside strings", () => {
    const decoder = new Decoder({ maxDepth: 2 });
    const packet = decoder.add(`2["e","${"[{".repeat(50)}\\"[[["]`);
    assert.equal((packet?.data as unknown[])[1], "[{".repeat(50) + '"[[[');
  });

  it("refuses the deep binary form before waiting for attachments", () => {
    const decoder = new Decoder();
    assert.equal(
      decoder.add(`51-["echo",${nestedArrays(900, '{"_placeholder":true,"num":0}')}]`),
      undefined,
    );
    assert.ok(decoder.add(new Uint8Array(1)));
    const text = `51-1["echo",${nestedArrays(15_000, '{"_placeholder":true,"num":0}')}]`;
    assert.throws(() => decoder.add(text), ParseError);
    assert.equal(decoder.pendingAttachments, 0);
  });

  it("defaults to 1000 and checks the option", () => {
    assert.equal(DEFAULT_MAX_DEPTH, 1000);
    const decoder = new Decoder();
    assert.ok(decoder.add(`2["e",${nestedArrays(999)}]`));
    assert.throws(() => decoder.add(`2["e",${nestedArrays(1000)}]`), ParseError);
    assert.throws(() => new Decoder({ maxDepth: 0 }), RangeError);
    assert.throws(() => new Server({ maxDepth: 1.5 }), RangeError);
  });
});

function setup(opts: ServerOptions = {}): Server {
  const io = new Server({ serveClient: false, ...opts });
  io.on("connection", (socket) => {
    socket.on("echo", (...args: unknown[]) => {
      const ack = args.pop() as (...a: unknown[]) => void;
      ack(...args);
    });
    socket.on("bcast", (...args: unknown[]) => io.emit("bcast", ...args));
    socket.on("throw", () => {
      throw new Error("handler failure");
    });
  });
  return io;
}

async function connected(io: Server): Promise<WireClient> {
  const client = await WireClient.connect(io);
  await client.connectNsp("/");
  return client;
}

describe("a deep packet closes its connection with parse error", () => {
  const packets: [string, string][] = [
    ["ack depth 3,094", `421["echo",${nestedArrays(3_094)}]`],
    ["ack depth 15,000", `421["echo",${nestedArrays(15_000)}]`],
    ["ack depth 32,188", `421["echo",${nestedArrays(32_188)}]`],
    ["objects depth 15,000", `421["echo",${nestedObjects(15_000)}]`],
    ["broadcast depth 15,000", `42["bcast",${nestedArrays(15_000)}]`],
  ];
  for (const [name, packet] of packets) {
    it(name, async () => {
      const io = setup();
      const other = await connected(io);
      const client = await connected(io);
      const disconnects: string[] = [];
      for (const s of io.sockets.sockets.values()) s.on("disconnect", (r) => disconnects.push(r));
      const res = await client.post(packet);
      assert.equal(res.status, 200);
      await settle();
      assert.notEqual(client.conn.readyState, "open");
      assert.deepEqual(disconnects, ["parse error"]);
      assert.equal(errors.length, 0);
      assert.equal(other.conn.readyState, "open");
      other.take();
      // the server still serves: a fresh client is answered
      const fresh = await connected(io);
      await fresh.post(`421["echo",${nestedArrays(998)}]`);
      assert.equal(fresh.takeText()[0], `31[${nestedArrays(998)}]`);
      await io.close();
    });
  }

  it("the binary form with its attachment", async () => {
    const io = setup();
    const client = await connected(io);
    const reasons: string[] = [];
    io.sockets.sockets.values().next().value!.on("disconnect", (r) => reasons.push(r));
    const text = `451-1["echo",${nestedArrays(15_000, '{"_placeholder":true,"num":0}')}]`;
    await client.post(`${text}\x1eb${btoa("\x01\x02\x03")}`);
    await settle();
    assert.notEqual(client.conn.readyState, "open");
    assert.deepEqual(reasons, ["parse error"]);
    await io.close();
  });

  it("maxDepth is the server's option", async () => {
    const io = setup({ maxDepth: 3 });
    const client = await connected(io);
    await client.send(`21["echo",[[1]]]`);
    assert.deepEqual(client.takeText(), ["31[[[1]]]"]);
    await client.send(`21["echo",[[[1]]]]`);
    assert.notEqual(client.conn.readyState, "open");
    await io.close();
  });

  it("an application that acks deep data of its own gets it encoded", async () => {
    const io = new Server({ serveClient: false });
    io.on("connection", (socket) => {
      socket.on("deep", (ack: (v: unknown) => void) => ack(deepValue(3_000, new Uint8Array(1))));
    });
    const client = await connected(io);
    await client.send(`21["deep"]`);
    const [text, attachment] = client.take();
    assert.ok(typeof text === "string" && text.startsWith("61-1[[[["));
    assert.deepEqual(attachment, new Uint8Array(1));
    await io.close();
  });
});

describe("maxEncodeDepth: the bound of the walk over data to encode", () => {
  it("defaults to 100,000 levels and is checked", () => {
    assert.equal(MAX_WALK_DEPTH, 100_000);
    assert.equal(DEFAULT_MAX_ENCODE_DEPTH, MAX_WALK_DEPTH);
    for (const bad of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => new Server({ serveClient: false, maxEncodeDepth: bad }), RangeError);
    }
    const packet = {
      type: PacketType.EVENT,
      nsp: "/",
      data: ["e", deepValue(60, new Uint8Array(1))],
    };
    assert.equal(encodePacket(packet).length, 2);
    assert.throws(() => encodePacket(packet, 50), /deeper than 50 levels/);
    assert.throws(() => hasBinary(deepValue(60, 1), false, 50), /deeper than 50 levels/);
    assert.equal(hasBinary(deepValue(40, 1), false, 50), false);
  });

  it("bounds a socket's emit and ack and a broadcast, as the server's option", async () => {
    const io = new Server({ serveClient: false, maxEncodeDepth: 50 });
    const outcomes: string[] = [];
    io.on("connection", (socket) => {
      socket.on("deep", (n: number, ack: (v: unknown) => void) => {
        for (
          const send of [
            () => socket.emit("d", deepValue(n, 1)),
            () => io.emit("d", deepValue(n, 1)),
          ]
        ) {
          try {
            send();
            outcomes.push("sent");
          } catch (err) {
            outcomes.push((err as Error).message);
          }
        }
        ack(deepValue(40, 1));
      });
    });
    const client = await connected(io);
    await client.send(`21["deep",40]`);
    await client.send(`22["deep",60]`);
    const tooDeep = "Cannot encode packet: data nested deeper than 50 levels (circular?)";
    assert.deepEqual(outcomes, ["sent", "sent", tooDeep, tooDeep]);
    const texts = client.takeText();
    assert.equal(texts.filter((t) => t.startsWith('2["d",')).length, 2);
    assert.equal(texts.filter((t) => t.startsWith("3")).length, 2);
    assert.equal(client.conn.readyState, "open");
    await io.close();
  });
});

describe("errors thrown by listeners", () => {
  it("are logged, not rethrown, and the session carries on", async () => {
    const io = setup();
    const client = await connected(io);
    await client.send(`2["throw"]`);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]![1]), /handler failure/);
    await client.send(`21["echo","still here"]`);
    assert.deepEqual(client.takeText(), ['31["still here"]']);
    await io.close();
  });

  it("in an ack callback and an onAny listener", async () => {
    const io = new Server({ serveClient: false });
    io.on("connection", (socket) => {
      socket.onAny(() => {
        throw new Error("any failure");
      });
      socket.emit("ask", () => {
        throw new Error("ack failure");
      });
    });
    const client = await connected(io);
    await client.send(`30[]`);
    await client.send(`2["x"]`);
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(errors.map((e) => String(e[1])), [
      "Error: ack failure",
      "Error: any failure",
    ]);
    assert.equal(client.conn.readyState, "open");
    await io.close();
  });

  it("Emitter reports through onListenerError", async () => {
    const e = new Emitter<{ x: () => void }>();
    let after = false;
    e.on("x", () => {
      throw new Error("boom");
    });
    e.on("x", () => (after = true));
    e.emit("x");
    await new Promise((r) => setTimeout(r, 1));
    assert.equal(after, true);
    assert.equal(errors.length, 1);
  });
});
