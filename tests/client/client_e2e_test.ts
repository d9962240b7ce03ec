/**
 * `sio-edge/client` in the runtime running this file (Deno, Bun or Node)
 * against the official socket.io server and against sio-edge's server:
 * transports, acks and timeouts, binary both ways, rooms, a server restart,
 * connection state recovery, `retries` and `auth` as a function.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { after, before, describe, it } from "node:test";
import { type ClientOptions, io, type Socket } from "../../src/client/client.ts";
import { type RunningServer, targets } from "./_servers.ts";

const TRANSPORTS: [string, Partial<ClientOptions>][] = [
  ["default transports", {}],
  ["websocket only", { transports: ["websocket"] }],
  // binary as base64 text frames both ways (the official server honours b64=1 on WebSocket)
  ["websocket only, forceBase64", { transports: ["websocket"], forceBase64: true }],
  ["polling only", { transports: ["polling"] }],
];

function once<T = unknown[]>(socket: Socket, event: string, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "${event}" within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

function connect(url: string, opts: Partial<ClientOptions> = {}): Promise<Socket> {
  const socket = io(url, {
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    ...opts,
  });
  return once(socket, "connect").then(() => socket);
}

async function upgraded(socket: Socket): Promise<void> {
  for (let i = 0; i < 100 && socket.io.engine.transport.name !== "websocket"; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(socket.io.engine.transport.name, "websocket");
}

for (const target of targets()) {
  describe(`client against ${target.name}`, () => {
    let server: RunningServer;
    before(async () => {
      server = await target.start();
    });
    after(() => server.close());

    for (const [name, opts] of TRANSPORTS) {
      it(`${name}: emit with ack, emitWithAck, binary both ways`, async () => {
        const socket = await connect(server.url, opts);
        try {
          const bytes = new Uint8Array([0, 1, 254, 255]);
          const answer = await new Promise<unknown[]>((resolve) =>
            socket.emit(
              "echo",
              "héllo ✓",
              { n: 1, b: bytes },
              (...args: unknown[]) => resolve(args),
            )
          );
          assert.equal(answer[0], "héllo ✓");
          const back = answer[1] as { n: number; b: Buffer };
          assert.equal(back.n, 1);
          // where Node's API is (Deno, Bun, Node), binary is a Buffer, as with the official client
          assert.ok(Buffer.isBuffer(back.b));
          assert.deepEqual(new Uint8Array(back.b), bytes);
          assert.equal(await socket.timeout(2_000).emitWithAck("echo", 42), 42);
          await assert.rejects(socket.timeout(50).emitWithAck("silent"), {
            message: "operation has timed out",
          });
          const echoed = once<[ArrayBuffer]>(socket, "echo");
          socket.io.engine.binaryType = "arraybuffer";
          socket.emit("emit-back", new Uint16Array([513]));
          const [buffer] = await echoed;
          assert.ok(buffer instanceof ArrayBuffer);
          assert.deepEqual([...new Uint8Array(buffer)], [1, 2]);
          if (opts.transports === undefined) await upgraded(socket);
          assert.equal(socket.io.engine.transport.name, opts.transports?.[0] ?? "websocket");
        } finally {
          socket.disconnect();
        }
      });
    }

    it("rooms: only the room's sockets get its events", async () => {
      const a = await connect(server.url);
      const b = await connect(server.url, { transports: ["polling"] });
      try {
        await a.emitWithAck("join", "blue");
        let bGot = false;
        b.on("news", () => (bGot = true));
        const got = once<[string]>(a, "news");
        b.emit("to-room", "blue", "news", "hi");
        // with connection state recovery on, the server appends the offset (the client keeps it, as the official one does)
        assert.equal((await got)[0], "hi");
        assert.equal(bGot, false);
      } finally {
        a.disconnect();
        b.disconnect();
      }
    });

    it("server disconnect gives 'io server disconnect' and no reconnection", async () => {
      const socket = await connect(server.url);
      const closed = once<[string]>(socket, "disconnect");
      socket.emit("bye");
      assert.equal((await closed)[0], "io server disconnect");
      assert.equal(socket.active, false);
      socket.disconnect();
    });

    it("an engine close: recovered === true, the same id, missed events delivered", async () => {
      const socket = await connect(server.url);
      try {
        const id = socket.id;
        await socket.emitWithAck("join", "r");
        const missed = once<unknown[]>(socket, "missed");
        const disconnected = once<[string]>(socket, "disconnect");
        socket.emit("drop");
        assert.equal((await disconnected)[0], "transport close");
        await once(socket, "connect");
        assert.equal(socket.recovered, true);
        assert.equal(socket.id, id);
        const args = await missed;
        assert.equal(args[0], 1);
        assert.deepEqual(new Uint8Array(args[1] as ArrayBuffer), new Uint8Array([7]));
      } finally {
        socket.disconnect();
      }
    });

    it("retries: a dropped first ack is retried and answered once", async () => {
      const socket = await connect(server.url, { retries: 2, ackTimeout: 200 });
      try {
        const key = crypto.randomUUID();
        const answer = await new Promise<unknown[]>((resolve) =>
          socket.emit("drop-first-ack", key, (...args: unknown[]) => resolve(args))
        );
        assert.deepEqual(answer, [null, 2]);
        assert.equal(socket._queue.length, 0);
      } finally {
        socket.disconnect();
      }
    });

    it("a server restart: reconnects with backoff, buffered emits delivered once, auth called each time", async () => {
      let calls = 0;
      const socket = await connect(server.url, {
        auth: (cb) => cb({ n: ++calls }),
      });
      try {
        assert.deepEqual(await socket.emitWithAck("auth"), { n: 1 });
        await upgraded(socket);
        const port = server.port;
        const attempts: number[] = [];
        socket.io.on("reconnect_attempt", (n: number) => attempts.push(n));
        const down = once<[string]>(socket, "disconnect");
        await server.close();
        // Deno's WebSocket (like browsers') fires "error" before "close" on an abrupt end
        assert.match((await down)[0], /^transport (close|error)$/);
        const received: unknown[] = [];
        socket.on("echo", (...args: unknown[]) => received.push(args));
        socket.emit("emit-back", "buffered");
        assert.equal(socket.sendBuffer.length, 1);
        await new Promise((r) => setTimeout(r, 300));
        server = await target.start(port);
        await once(socket, "connect", 10_000);
        assert.ok(attempts.length >= 1);
        const auth = await socket.emitWithAck("auth") as { n: number };
        assert.equal(auth.n, calls);
        assert.ok(calls >= 2);
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(received.map((args) => (args as unknown[])[0]), ["buffered"]);
        assert.equal(socket.sendBuffer.length, 0);
      } finally {
        socket.disconnect();
      }
    });
  });
}
