import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import { Server } from "../../src/socket/server.ts";
import type { Namespace } from "../../src/socket/namespace.ts";
import type { NamespaceServer, SocketNamespace } from "../../src/socket/socket.ts";
import { WireClient } from "../_support/sio_wire.ts";

interface ClientToServerEvents {
  chat: (text: string) => void;
  add: (a: number, b: number, ack: (sum: number) => void) => void;
}

interface ServerToClientEvents {
  news: (title: string, at: Date) => void;
  ask: (question: string, ack: (answer: string) => void) => void;
}

interface InterServerEvents {
  ping: (n: number) => void;
}

interface SocketData {
  user: string;
}

/** The public members of `T` that `U` lacks (internal `_` members aside). */
type Missing<T, U> = Exclude<Exclude<keyof T, `_${string}`>, keyof U>;

let io:
  | Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>
  | undefined;

afterEach(async () => {
  await io?.close();
  io = undefined;
});

describe("typed events", () => {
  it("types listeners, emits, acks and socket.data from the four generics", async () => {
    const server = new Server<
      ClientToServerEvents,
      ServerToClientEvents,
      InterServerEvents,
      SocketData
    >({
      clock: new FakeClock(),
    });
    io = server;
    const sums: number[] = [];
    server.on("connection", (socket) => {
      socket.data.user = "ann";
      socket.on("chat", (text) => {
        const upper: string = text.toUpperCase();
        server.emit("news", upper, new Date(0));
      });
      socket.on("add", (a, b, ack) => ack(a + b));
      socket.emit("ask", "why?", (answer) => void answer.length);
      socket.timeout(10).emit("ask", "why?", (err, answer) => void [err?.message, answer]);
      // @ts-expect-error wrong argument type
      socket.emit("news", 1, new Date());
      // @ts-expect-error unknown event
      socket.emit("unknown");
      // @ts-expect-error a broadcast may not expect a single ack
      server.emit("ask", "q", () => {});
      server.timeout(10).emit("ask", "q", (err, answers) => void [err, answers.length]);
      void server.serverSideEmit("ping", 1);
      // @ts-expect-error wrong argument type for a server-side event
      void server.serverSideEmit("ping", "1");
      server.on("ping", (n) => sums.push(n));
      // socket.nsp and nsp.server keep the four generics
      const name: string = socket.nsp.name;
      socket.nsp.to("room").emit("news", name, new Date(0));
      // @ts-expect-error wrong argument type through socket.nsp
      socket.nsp.emit("news", 1, new Date());
      const user: string | undefined = socket.nsp.sockets.get(socket.id)?.data.user;
      socket.nsp.server.of("/typed").emit("news", String(user), new Date(0));
      // @ts-expect-error wrong argument type through nsp.server
      socket.nsp.server.emit("news", 1, new Date());
      // @ts-expect-error wrong argument type for a server-side event through nsp.server
      void socket.nsp.server.serverSideEmit("ping", "1");
      socket.nsp.server.on("ping", (n) => sums.push(n));
      socket.nsp.server.on("new_namespace", (nsp) => void nsp.name.length);
    });
    const client = await WireClient.connect(server);
    await client.connectNsp("/");
    await client.send('25["add",2,3]');
    assert.ok(client.takeText().includes("35[5]"));
    const [socket] = await server.fetchSockets();
    assert.equal(socket?.data.user, "ann");
  });

  it("socket.nsp and nsp.server have every public member of Namespace and Server", async () => {
    // compile-time: a public member added to a class but not to its interface fails `deno check`
    const nsp: [Missing<Namespace, SocketNamespace>] extends [never] ? true : never = true;
    const server: [Missing<Server, NamespaceServer>] extends [never] ? true : never = true;
    assert.ok(nsp && server);
    // and at run time they are the classes' own objects
    const s = new Server({ clock: new FakeClock() });
    try {
      let seen: SocketNamespace | undefined;
      s.on("connection", (socket) => (seen = socket.nsp));
      const client = await WireClient.connect(s);
      await client.connectNsp("/");
      assert.equal(seen, s.of("/"));
      assert.equal(seen?.server, s);
    } finally {
      await s.close();
    }
  });
});
