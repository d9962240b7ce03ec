/**
 * The Manager's codec, in-process over a fake engine (no server, no port):
 * the built-in Socket.IO codec by default, or the `parser` option's
 * Encoder/Decoder (here the official `socket.io-msgpack-parser`), both ways: the CONNECT written, the
 * server's CONNECT and an EVENT with an ack read back, the ACK written.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Emitter } from "../../src/client/_emitter.ts";
import type { EngineCore } from "../../src/client/_engine_core.ts";
import { Manager, type Parser } from "../../src/client/manager.ts";
import msgpackParser from "socket.io-msgpack-parser";
import type { Packet } from "../../src/parser/socket_packet.ts";

/** An engine that is open at once and records what it is given. */
class FakeEngine extends Emitter {
  static last: FakeEngine;
  binaryType = "arraybuffer";
  transport = { name: "fake", writable: true };
  written: unknown[] = [];
  constructor() {
    super();
    FakeEngine.last = this;
    queueMicrotask(() => this.emit("open"));
  }
  write(chunk: unknown): this {
    this.written.push(chunk);
    return this;
  }
  close(): this {
    return this;
  }
  _hasPingExpired(): boolean {
    return false;
  }
}

const Engine = FakeEngine as unknown as new () => EngineCore;
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Decodes what the fake engine was given with `decode`, one packet per chunk. */
async function run(
  parser: Parser | undefined,
  decode: (chunk: unknown) => Packet,
  connect: Packet,
) {
  const manager = new Manager("http://localhost", parser ? { parser } : {}, Engine);
  const socket = manager.socket("/");
  const connected = new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  await tick();
  const engine = FakeEngine.last;
  assert.deepEqual(decode(engine.written[0]), connect);
  const reply = (packet: Packet) => {
    const chunks = parser ? new parser.Encoder().encode(packet) : [encodeText(packet)];
    for (const chunk of chunks) engine.emit("data", chunk);
  };
  reply({ type: 0, nsp: "/", data: { sid: "abc" } });
  await connected;
  assert.equal(socket.id, "abc");
  const event = new Promise<unknown[]>((resolve) =>
    socket.once("hello", (...args: unknown[]) => resolve(args))
  );
  reply({ type: 2, nsp: "/", id: 7, data: ["hello", 1] });
  const [value, ack] = await event;
  assert.equal(value, 1);
  (ack as (answer: string) => void)("ok");
  assert.deepEqual(decode(engine.written[1]), { type: 3, nsp: "/", id: 7, data: ["ok"] });
  socket.disconnect();
}

/** The built-in codec's text for a packet without binary. */
function encodeText(packet: Packet): string {
  const nsp = packet.nsp === "/" ? "" : packet.nsp + ",";
  return packet.type + nsp + (packet.id ?? "") + JSON.stringify(packet.data);
}

describe("client Manager codec", () => {
  it(
    "the built-in codec: CONNECT out, CONNECT and EVENT in, ACK out",
    { timeout: 5_000 },
    async () => {
      await run(undefined, (chunk) => {
        const text = chunk as string;
        const m = /^(\d)(\d*)(.*)$/.exec(text)!;
        const packet: Packet = { type: +m[1]! as Packet["type"], nsp: "/" };
        if (m[2]) packet.id = +m[2];
        if (m[3]) packet.data = JSON.parse(m[3]);
        return packet;
      }, { type: 0, nsp: "/" });
    },
  );

  it(
    "the `parser` option: its Encoder writes and its Decoder reads",
    { timeout: 5_000 },
    async () => {
      const parser = msgpackParser as unknown as Parser;
      await run(parser, (chunk) => {
        assert.ok(chunk instanceof Uint8Array, "MessagePack bytes, not the built-in text");
        let packet: Packet | undefined;
        const decoder = new parser.Decoder();
        decoder.on("decoded", (p: Packet) => (packet = p));
        decoder.add(chunk);
        return { ...packet! };
        // as socket.io-client's: the CONNECT has a `data` key, undefined without auth
      }, { type: 0, data: undefined, nsp: "/" });
    },
  );
});
