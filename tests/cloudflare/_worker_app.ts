/**
 * The test Worker: the router, and the Durable Object `SocketIO` hosting a
 * Socket.IO server with namespaces `/` and `/admin`, middlewares and
 * connection state recovery. Clients drive it with events (each one
 * acknowledged): `echo`, `server-ask`, `join`, `shout`, `set-data`,
 * `whoami`, `handshake`, `disconnects` (this instance's log of server-side
 * disconnects and their reasons), `disconnect-me`, `drop-transport`.
 *
 * `whoami` also reports `boots`: how many instances of the object have been
 * constructed (kept in storage), which is how a test sees an eviction.
 *
 * Bindings (strings): `PING_INTERVAL`, `PING_TIMEOUT`, `CONNECT_TIMEOUT` (ms); `RECOVERY` ("1" enables
 * connection state recovery, whose offsets the client then sees as a last
 * event argument, as with the official server).
 *
 * @module
 */

import { defineSocketIO, router } from "../../src/runtime/cloudflare.ts";
import type { Namespace } from "../../src/socket/namespace.ts";
import type { Socket } from "../../src/socket/socket.ts";

interface Env {
  PING_INTERVAL?: string;
  PING_TIMEOUT?: string;
  CONNECT_TIMEOUT?: string;
  RECOVERY?: string;
}

type Ack = (...args: unknown[]) => void;

/** A server-side disconnect, as `disconnects` lists it. */
export interface DisconnectRecord {
  nsp: string;
  id: string;
  reason: string;
}

interface Shared {
  boots(): number;
  log: DisconnectRecord[];
}

function serveSocket(nsp: Namespace, socket: Socket, shared: Shared): void {
  socket.on("echo", (...args: unknown[]) => {
    const ack = args.pop() as Ack;
    ack(...args);
  });
  socket.on("server-ask", async (ack: Ack) => {
    try {
      ack({
        ok: true,
        value: await socket.timeout(4_000).emitWithAck("question", "why?", new Uint8Array([6, 7])),
      });
    } catch (err) {
      ack({ ok: false, message: (err as Error).message });
    }
  });
  socket.on("join", async (room: string, ack: Ack) => {
    await socket.join(room);
    ack([...socket.rooms].sort());
  });
  socket.on("shout", (room: string, args: unknown[], ack: Ack) => {
    socket.to(room).emit("shout", ...args);
    ack();
  });
  socket.on("everyone", (args: unknown[], ack: Ack) => {
    nsp.emit("everyone", ...args);
    ack();
  });
  socket.on("set-data", (data: unknown, ack: Ack) => {
    socket.data = data;
    ack();
  });
  socket.on("whoami", (ack: Ack) =>
    ack({
      id: socket.id,
      nsp: nsp.name,
      rooms: [...socket.rooms].sort(),
      data: socket.data,
      recovered: socket.recovered,
      boots: shared.boots(),
      sockets: nsp.sockets.size,
    }));
  socket.on("handshake", (ack: Ack) => {
    const h = socket.handshake;
    ack({ headers: h.headers, query: h.query, address: h.address, auth: h.auth, url: h.url });
  });
  socket.on("disconnects", (ack: Ack) => ack(shared.log));
  socket.on("disconnect", (reason) => shared.log.push({ nsp: nsp.name, id: socket.id, reason }));
  socket.on("disconnect-me", () => socket.disconnect(true));
  socket.on("drop-transport", () => socket.conn.close());
}

/** The Durable Object class (bound as `SOCKET_IO`). */
export const SocketIO = defineSocketIO<Env>((io, { ctx }) => {
  let boots = 0;
  const shared: Shared = { boots: () => boots, log: [] };
  void ctx.blockConcurrencyWhile(async () => {
    boots = ((await ctx.storage.get<number>("boots")) ?? 0) + 1;
    await ctx.storage.put("boots", boots);
  });
  const setup = (nsp: Namespace) => {
    nsp.on("connection", (socket) => {
      if (!socket.recovered) socket.data = { name: socket.handshake.auth.name ?? null };
      serveSocket(nsp, socket, shared);
    });
  };
  io.use((socket, next) => {
    if (socket.handshake.auth.reject) {
      return next(Object.assign(new Error("forbidden"), { data: { code: 42 } }));
    }
    next();
  });
  const admin = io.of("/admin");
  admin.use(async (socket, next) => {
    await Promise.resolve();
    next(socket.handshake.auth.token === "secret" ? undefined : new Error("bad token"));
  });
  setup(io.sockets);
  setup(admin);
}, (env) => ({
  pingInterval: Number(env.PING_INTERVAL ?? 25_000),
  pingTimeout: Number(env.PING_TIMEOUT ?? 20_000),
  connectTimeout: Number(env.CONNECT_TIMEOUT ?? 45_000),
  ...(env.RECOVERY === "1" ? { connectionStateRecovery: {} } : {}),
}));

/** The Worker: a new session goes to the object named by its `shard` query parameter. */
export default router<Env>({
  shard: (req) => new URL(req.url).searchParams.get("shard") ?? "default",
});
