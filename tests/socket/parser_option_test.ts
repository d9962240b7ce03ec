import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import { Server } from "../../src/socket/server.ts";
import { Decoder as JsonDecoder } from "../../src/parser/socket_decoder.ts";
import { encodePacket, type Packet } from "../../src/parser/socket_packet.ts";
import * as msgpack from "../../src/parser/msgpack_parser.ts";
import { decode } from "../../src/parser/msgpack_codec.ts";
import { WireClient } from "../_support/sio_wire.ts";

let servers: Server[] = [];

afterEach(async () => {
  for (const io of servers) await io.close();
  servers = [];
});

/** What the custom parsers below saw. */
const seen = { encoded: 0, decoders: 0, destroyed: 0 };

/** An application's own parser in the official shape: JSON text, counted. */
const countingParser = {
  Encoder: class {
    encode(packet: Packet) {
      seen.encoded++;
      return encodePacket(packet);
    }
  },
  Decoder: class {
    #inner = new JsonDecoder();
    #listeners: ((packet: Packet) => void)[] = [];
    constructor() {
      seen.decoders++;
    }
    on(_event: "decoded", fn: (packet: Packet) => void) {
      this.#listeners.push(fn);
      return this;
    }
    add(chunk: string | Uint8Array) {
      if (chunk === "2boom") throw new Error("the parser says no");
      const packet = this.#inner.add(chunk);
      if (packet) { for (const fn of this.#listeners) fn(packet); }
    }
    destroy() {
      seen.destroyed++;
    }
  },
};

async function crowd(n: number, parser: ConstructorParameters<typeof Server>[0] = {}) {
  const io = new Server({ clock: new FakeClock(), ...parser });
  servers.push(io);
  const clients: WireClient[] = [];
  for (let i = 0; i < n; i++) {
    const client = await WireClient.connect(io);
    clients.push(client);
  }
  return { io, clients };
}

describe("the parser option", () => {
  it("takes any object with the official Encoder/Decoder shape", async () => {
    Object.assign(seen, { encoded: 0, decoders: 0, destroyed: 0 });
    const { io, clients } = await crowd(2, { parser: countingParser });
    const events: unknown[] = [];
    io.on("connection", (socket) => socket.on("hi", (...args) => events.push(args)));
    for (const c of clients) await c.connectNsp("/");
    assert.equal(seen.decoders, 2, "one decoder per connection");
    await clients[0]!.send('2["hi",1]');
    assert.deepEqual(events, [[1]]);
    await clients[1]!.post("1");
    assert.equal(seen.destroyed, 1, "the decoder is destroyed with its connection");
  });

  it("encodes a broadcast once, whatever the number of recipients", async () => {
    Object.assign(seen, { encoded: 0, decoders: 0, destroyed: 0 });
    const { io, clients } = await crowd(4, { parser: countingParser });
    for (const c of clients) await c.connectNsp("/");
    for (const c of clients) c.take();
    const before = seen.encoded;
    io.emit("news", "all");
    assert.equal(seen.encoded - before, 1);
    for (const c of clients) assert.deepEqual(c.takeText(), ['2["news","all"]']);
  });

  it("a decoder's throw closes the connection with parse error", async () => {
    const { io, clients } = await crowd(1, { parser: countingParser });
    const reasons: string[] = [];
    io.on("connection", (socket) => socket.on("disconnect", (reason) => reasons.push(reason)));
    await clients[0]!.connectNsp("/");
    await clients[0]!.send("2boom");
    assert.deepEqual(reasons, ["parse error"]);
  });

  it("with sio-edge/msgpack a broadcast is one binary message, encoded once", async () => {
    let count = 0;
    const parser = {
      Encoder: class extends msgpack.Encoder {
        override encode(packet: Packet): [Uint8Array] {
          count++;
          return super.encode(packet);
        }
      },
      Decoder: msgpack.Decoder,
    };
    const { io, clients } = await crowd(3, { parser });
    for (const c of clients) {
      await c.send(new msgpack.Encoder().encode({ type: 0, nsp: "/" })[0]);
      c.take();
    }
    const before = count;
    io.emit("bin", new Uint8Array([1, 2]));
    assert.equal(count - before, 1);
    for (const c of clients) {
      const [frame] = c.take();
      assert.ok(frame instanceof Uint8Array);
      assert.deepEqual(decode(frame), { type: 2, data: ["bin", new Uint8Array([1, 2])], nsp: "/" });
    }
  });
});
