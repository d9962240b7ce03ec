import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import { Server } from "../../src/socket/server.ts";
import type { ServerOptions } from "../../src/socket/_settings.ts";
import type { SocketNamespace } from "../../src/socket/socket.ts";
import { ParentNamespace } from "../../src/socket/parent_namespace.ts";
import {
  Adapter,
  type AdapterNamespace,
  type BroadcastOptions,
} from "../../src/adapter/adapter.ts";
import type { Packet } from "../../src/parser/socket_packet.ts";
import { WireClient } from "../_support/sio_wire.ts";

let servers: Server[] = [];

afterEach(async () => {
  for (const io of servers) await io.close();
  servers = [];
});

function setup(opts: ServerOptions = {}) {
  const io = new Server({ clock: new FakeClock(), ...opts });
  servers.push(io);
  return io;
}

describe("parent namespaces", () => {
  it("a RegExp creates matching child namespaces on connection", async () => {
    const io = setup();
    const parent = io.of(/^\/dyn-\d+$/);
    assert.ok(parent instanceof ParentNamespace);
    const seen: string[] = [];
    parent.on("connection", (socket) => seen.push(socket.nsp.name));
    const client = await WireClient.connect(io);
    assert.match(await client.connectNsp("/dyn-1"), /^0\/dyn-1,\{"sid"/);
    assert.equal(await client.connectNsp("/dyn-x"), '4/dyn-x,{"message":"Invalid namespace"}');
    assert.deepEqual(seen, ["/dyn-1"]);
    assert.ok(io._nsps.has("/dyn-1"));
  });

  it("a function decides, with the auth payload, whether a child may be created", async () => {
    const io = setup();
    io.of((name, auth, next) => next(null, name.startsWith("/team-") && auth.ok === true));
    const client = await WireClient.connect(io);
    assert.equal(
      await client.connectNsp("/team-a", { ok: false }),
      '4/team-a,{"message":"Invalid namespace"}',
    );
    assert.match(await client.connectNsp("/team-a", { ok: true }), /^0\/team-a,\{"sid"/);
  });

  it("children inherit the parent's middlewares; parent.emit reaches every child", async () => {
    const io = setup();
    const parent = io.of(/^\/room-\w+$/);
    parent.use((socket, next) => next(socket.handshake.auth.ok ? undefined : new Error("denied")));
    const a = await WireClient.connect(io);
    const b = await WireClient.connect(io);
    assert.equal(await a.connectNsp("/room-a"), '4/room-a,{"message":"denied"}');
    assert.match(await a.connectNsp("/room-a", { ok: 1 }), /^0\/room-a,/);
    assert.match(await b.connectNsp("/room-b", { ok: 1 }), /^0\/room-b,/);
    parent.emit("hello");
    parent.to("nowhere").emit("ignored");
    assert.deepEqual(a.takeText(), ['2/room-a,["hello"]']);
    assert.deepEqual(b.takeText(), ['2/room-b,["hello"]']);
    assert.throws(() => parent.fetchSockets(), /not supported on parent namespaces/);
  });

  it("io.of(name) of a name matching a RegExp parent creates the child", () => {
    const io = setup();
    const parent = io.of(/^\/x-\d$/) as ParentNamespace;
    const child = io.of("/x-1");
    assert.ok(parent.children.has(child));
  });

  it("cleanupEmptyChildNamespaces removes a child once its last socket left", async () => {
    const io = setup({ cleanupEmptyChildNamespaces: true });
    const parent = io.of(/^\/tmp-\d$/) as ParentNamespace;
    const client = await WireClient.connect(io);
    await client.connectNsp("/tmp-1");
    assert.ok(io._nsps.has("/tmp-1"));
    await client.send("1/tmp-1,");
    assert.ok(!io._nsps.has("/tmp-1"));
    assert.equal(parent.children.size, 0);
  });

  it("keeps empty children by default", async () => {
    const io = setup();
    io.of(/^\/keep-\d$/);
    const client = await WireClient.connect(io);
    await client.connectNsp("/keep-1");
    await client.send("1/keep-1,");
    assert.ok(io._nsps.has("/keep-1"));
  });
});

describe("the adapter option", () => {
  class RecordingAdapter extends Adapter {
    readonly broadcasts: unknown[] = [];
    override broadcast(packet: Packet, opts: BroadcastOptions): void {
      this.broadcasts.push(packet.data);
      super.broadcast(packet, opts);
    }
  }

  it("makes each namespace's adapter from the given class", () => {
    const io = setup({ adapter: RecordingAdapter });
    const admin = io.of("/admin");
    assert.ok(io.sockets.adapter instanceof RecordingAdapter);
    assert.ok(admin.adapter instanceof RecordingAdapter);
    io.emit("x", 1);
    assert.deepEqual((io.sockets.adapter as RecordingAdapter).broadcasts, [["x", 1]]);
  });

  it("accepts a factory, and io.adapter() replaces every namespace's adapter", () => {
    const io = setup();
    assert.equal(io.adapter(), Adapter);
    const made: string[] = [];
    io.adapter((nsp: AdapterNamespace) => {
      made.push(nsp.name);
      return new RecordingAdapter(nsp);
    });
    assert.ok(io.sockets.adapter instanceof RecordingAdapter);
    io.of("/later");
    assert.deepEqual(made, ["/", "/later"]);
  });

  it("the adapter reports room events", async () => {
    const io = setup();
    const events: string[] = [];
    const adapter = io.sockets.adapter;
    adapter.on("create-room", (room) => events.push("create:" + room));
    adapter.on("join-room", (room) => events.push("join:" + room));
    adapter.on("leave-room", (room) => events.push("leave:" + room));
    adapter.on("delete-room", (room) => events.push("delete:" + room));
    let nsp: SocketNamespace | undefined;
    io.on("connection", (socket) => {
      nsp = socket.nsp;
      void socket.join("lobby");
    });
    const client = await WireClient.connect(io);
    await client.connectNsp("/");
    await client.close();
    assert.ok(nsp);
    const named = events.filter((e) => e.endsWith("lobby"));
    assert.deepEqual(named, ["create:lobby", "join:lobby", "leave:lobby", "delete:lobby"]);
  });
});

describe("options", () => {
  it("rejects a non-positive connectTimeout", () => {
    assert.throws(() => new Server({ connectTimeout: 0 }), RangeError);
  });

  it("serves the browser client by default, through handle() and handler()", async () => {
    const io = setup();
    assert.equal(io.serveClient(), true);
    for (const answer of [io.handle.bind(io), io.handler()]) {
      const res = await answer(new Request("http://localhost/socket.io/socket.io.min.js"));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/javascript; charset=utf-8");
      assert.ok((await res.text()).length > 10_000);
    }
  });

  it("serveClient: false leaves client file requests to the engine", async () => {
    const io = setup({ serveClient: false });
    const res = await io.handle(new Request("http://localhost/socket.io/socket.io.min.js"));
    assert.notEqual(res.status, 200);
    await res.body?.cancel();
    assert.equal(io.serveClient(true).serveClient(), true);
  });

  it("passes engine options through", async () => {
    const io = setup({ pingInterval: 1234, pingTimeout: 567, maxHttpBufferSize: 89 });
    const res = await io.handle(new Request("http://localhost/socket.io/?EIO=4&transport=polling"));
    const open = JSON.parse((await res.text()).slice(1)) as Record<string, unknown>;
    assert.equal(open.pingInterval, 1234);
    assert.equal(open.pingTimeout, 567);
    assert.equal(open.maxPayload, 89);
  });
});
