/**
 * Binary the server receives has the host's type: a Node `Buffer` on Node and
 * Bun (as the official server gives it, so `Buffer.isBuffer(data)` and
 * `data.toString("hex")` work in ported code), a plain `Uint8Array` on Deno.
 * Checked over every way in: the host's own glue (sio-edge/deno, /bun,
 * /node), sio-edge/node on each runtime, and the bare fetch handler; over
 * WebSocket frames and polling (base64); as the default parser's attachments,
 * in the msgpack parser's packets and in the engine's `message` event.
 *
 * Named `*node*` so that `node --test` runs it too: the same file is the
 * Node, the Bun and the Deno test.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { after, describe, it } from "node:test";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import * as msgpackClientParser from "socket.io-msgpack-parser";
import { Server, type ServerOptions } from "../../src/socket/server.ts";
import * as msgpackParser from "../../src/parser/msgpack_parser.ts";
import type { FetchApp } from "../../src/engine/ports.ts";
import type { Served, ServeOptions } from "../../src/runtime/glue.ts";
import { serve as serveNode } from "../../src/runtime/node.ts";
import { WireClient } from "../_support/sio_wire.ts";
import { within } from "../_support/sio_client.ts";
import { receivedBytes } from "../../src/engine/_received.ts";

type Host = "deno" | "bun" | "node";
const HOST: Host = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
/** What each runtime must hand the application. */
const EXPECTED = { deno: "Uint8Array", bun: "Buffer", node: "Buffer" }[HOST];

type ServeFn = (app: FetchApp, options: ServeOptions) => Promise<Served>;

/** The host's own glue. */
async function hostServe(): Promise<ServeFn> {
  switch (HOST) {
    case "deno":
      return (await import("../../src/runtime/deno.ts")).serve;
    case "bun":
      return (await import("../../src/runtime/bun.ts")).serve;
    case "node":
      return serveNode;
  }
}

/** `Buffer`, a plain `Uint8Array`, or what else the value is. */
function kind(value: unknown): string {
  if (Buffer.isBuffer(value)) return "Buffer";
  if (value instanceof Uint8Array && value.constructor === Uint8Array) return "Uint8Array";
  return Object.prototype.toString.call(value);
}

/** The hex of some bytes, read as the application would on its host. */
function hex(value: Uint8Array): string {
  return Buffer.isBuffer(value)
    ? value.toString("hex")
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
}

interface Report {
  kinds: string[];
  hex: string[];
  engine: string[];
}

/** A server whose `bin` event reports what its binary arguments are. */
function binaryServer(opts: Partial<ServerOptions> = {}): Server {
  const io = new Server(opts);
  // what each session's engine-level `message` event saw of binary
  const engineKinds = new WeakMap<object, string[]>();
  io.engine.on("connection", (conn) => {
    const seen: string[] = [];
    engineKinds.set(conn, seen);
    conn.on("message", (data) => {
      if (typeof data !== "string") seen.push(kind(data));
    });
  });
  io.on("connection", (socket) => {
    socket.on("bin", (top: Uint8Array, nested: { file: Uint8Array }, ack: (r: Report) => void) => {
      ack({
        kinds: [kind(top), kind(nested.file)],
        hex: [hex(top), hex(nested.file)],
        engine: [...engineKinds.get(socket.conn) ?? []],
      });
    });
  });
  return io;
}

async function ask(url: string, opts: Record<string, unknown>): Promise<Report> {
  const client: ClientSocket = ioc(url, { forceNew: true, reconnection: false, ...opts });
  try {
    return await within(
      client.emitWithAck("bin", new Uint8Array([1, 2, 255]), { file: new Uint8Array([7, 8]) }),
      5_000,
      "the bin ack",
    ) as Report;
  } finally {
    client.close();
  }
}

const WAYS: { name: string; serve: () => Promise<ServeFn> }[] = [
  { name: `the host's own glue (${HOST})`, serve: hostServe },
  { name: "sio-edge/node", serve: () => Promise.resolve(serveNode) },
];

describe(`received binary on ${HOST} is a ${EXPECTED}`, () => {
  for (const way of WAYS) {
    describe(way.name, () => {
      const served: Served[] = [];
      after(async () => {
        for (const s of served) await s.close();
      });

      async function start(opts: Partial<ServerOptions> = {}): Promise<string> {
        const serve = await way.serve();
        const s = await serve(binaryServer(opts), { port: 0, hostname: "127.0.0.1" });
        served.push(s);
        return `http://127.0.0.1:${s.port}`;
      }

      for (const transport of ["websocket", "polling"]) {
        it(`attachments over ${transport}`, async () => {
          const url = await start();
          const report = await ask(url, { transports: [transport] });
          assert.deepEqual(report.kinds, [EXPECTED, EXPECTED]);
          assert.deepEqual(report.hex, ["0102ff", "0708"]);
          // the engine's message event sees the same objects' type
          assert.deepEqual(report.engine, [EXPECTED, EXPECTED]);
        });
      }

      it("inside msgpack packets over websocket", async () => {
        const url = await start({ parser: msgpackParser });
        const report = await ask(url, { transports: ["websocket"], parser: msgpackClientParser });
        assert.deepEqual(report.kinds, [EXPECTED, EXPECTED]);
        assert.deepEqual(report.hex, ["0102ff", "0708"]);
      });
    });
  }

  it("through the bare fetch handler (polling, base64)", async () => {
    const io = binaryServer();
    try {
      const client = await WireClient.connect(io);
      await client.connectNsp();
      await client.send(
        '52-0["bin",{"_placeholder":true,"num":0},{"file":{"_placeholder":true,"num":1}}]',
        new Uint8Array([1, 2, 255]),
        new Uint8Array([7, 8]),
      );
      const answer = client.takeText().find((m) => m.startsWith("30"));
      assert.ok(answer, "no ack");
      const [report] = JSON.parse(answer.slice(2)) as [Report];
      assert.deepEqual(report.kinds, [EXPECTED, EXPECTED]);
      assert.deepEqual(report.hex, ["0102ff", "0708"]);
      assert.deepEqual(report.engine, [EXPECTED, EXPECTED]);
    } finally {
      await io.close();
    }
  });

  it("is a view on the received bytes, not a copy, and a frame of that type passes as is", () => {
    const toHost = receivedBytes();
    const memory = new Uint8Array([0, 1, 2, 3, 4]);
    const part = memory.subarray(1, 4);
    const received = toHost(part);
    assert.equal(kind(received), EXPECTED);
    assert.equal(received.buffer, memory.buffer);
    assert.equal(received.byteOffset, 1);
    assert.equal(received.byteLength, 3);
    memory[1] = 9;
    assert.equal(received[0], 9);
    assert.equal(toHost(received), received);
    // the other type (a Buffer from `ws` on Deno, a plain view on Node) changes type, not memory
    const other = EXPECTED === "Buffer" ? part : Buffer.from(memory.buffer, 1, 3);
    const again = toHost(other);
    assert.equal(kind(again), EXPECTED);
    assert.equal(again.buffer, memory.buffer);
  });
});
