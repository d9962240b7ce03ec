/**
 * The Socket.IO server of the end-to-end suite, served as is (a `Server` is a
 * `FetchApp`): namespaces `/` and `/admin` under `/socket.io/`. Its sibling
 * `sio_recovery.ts` serves the same handlers with connection state recovery
 * under `/recovery/`.
 *
 * Clients ask the server to act with events (every one acknowledged):
 * `echo` answers with its arguments, `echo-event` emits them back,
 * `server-ask` makes the server `emitWithAck("question")`, `handshake`,
 * `join`, `broadcast`, `fetch`, `sockets-join`, `disconnect-sockets`,
 * `disconnect-me`, `drop-transport`, `set-data`, `whoami`, and `disconnects`
 * (every server-side disconnect so far, with its reason).
 *
 * @module
 */

import { Server, type ServerOptions } from "../../../src/socket/server.ts";
import type { Socket } from "../../../src/socket/socket.ts";
import type { Namespace } from "../../../src/socket/namespace.ts";

/** What `disconnects` answers: one entry per server-side disconnect. */
export interface DisconnectRecord {
  nsp: string;
  id: string;
  reason: string;
}

/** How a `broadcast` request selects sockets. */
export interface BroadcastRequest {
  to?: string[];
  except?: string[];
  volatile?: boolean;
  /** Broadcast from the asking socket (it is left out). */
  fromSocket?: boolean;
  event: string;
  args: unknown[];
}

type Ack = (...args: unknown[]) => void;

function describeSocket(socket: { id: string; rooms: Set<string>; data: unknown }) {
  return { id: socket.id, rooms: [...socket.rooms].sort(), data: socket.data };
}

function reject(message: string, data: unknown): Error {
  return Object.assign(new Error(message), { data });
}

function serveSocket(nsp: Namespace, socket: Socket, log: DisconnectRecord[]): void {
  socket.on("disconnects", (ack: Ack) => ack(log));
  socket.on("echo", (...args: unknown[]) => {
    const ack = args.pop() as Ack;
    ack(...args);
  });
  socket.on("echo-event", (...args: unknown[]) => {
    const ack = args.pop() as Ack;
    socket.emit("echo-event", ...args);
    ack();
  });
  socket.on("silent", () => {}); // never acknowledges
  socket.on("server-ask", async (timeout: number | null, ack: Ack) => {
    try {
      const value = timeout === null
        ? await socket.emitWithAck("question", "why?")
        : await socket.timeout(timeout).emitWithAck("question", "why?");
      ack({ ok: true, value });
    } catch (err) {
      ack({ ok: false, message: (err as Error).message });
    }
  });
  socket.on("server-ask-callback", (ack: Ack) => {
    socket.emit("question", "how?", (answer: unknown) => ack(answer));
  });
  socket.on("join", async (rooms: string | string[], ack: Ack) => {
    await socket.join(rooms);
    ack([...socket.rooms].sort());
  });
  socket.on("set-data", (data: unknown, ack: Ack) => {
    socket.data = data;
    ack();
  });
  socket.on("handshake", (ack: Ack) => {
    const { headers, query, auth, url, xdomain, secure, address } = socket.handshake;
    ack({
      header: headers["x-test"] ?? null,
      query: { ...query },
      auth,
      url,
      xdomain,
      secure,
      address,
    });
  });
  socket.on(
    "whoami",
    (ack: Ack) => ack({ ...describeSocket(socket), recovered: socket.recovered }),
  );
  socket.on("broadcast", (req: BroadcastRequest, ack: Ack) => {
    let op = req.fromSocket ? socket.broadcast : nsp.to(req.to ?? []);
    if (req.fromSocket && req.to) op = op.to(req.to);
    if (req.except) op = op.except(req.except);
    if (req.volatile) op = op.volatile;
    op.emit(req.event, ...req.args);
    ack();
  });
  socket.on("fetch", async (room: string | null, ack: Ack) => {
    const sockets = room === null ? await nsp.fetchSockets() : await nsp.in(room).fetchSockets();
    ack(sockets.map(describeSocket).sort((a, b) => a.id.localeCompare(b.id)));
  });
  socket.on("sockets-join", (selector: string | null, room: string, ack: Ack) => {
    if (selector === null) nsp.socketsJoin(room);
    else nsp.in(selector).socketsJoin(room);
    ack();
  });
  socket.on("disconnect-sockets", (room: string, close: boolean, ack: Ack) => {
    ack();
    nsp.in(room).disconnectSockets(close);
  });
  socket.on("disconnect-me", (close: boolean) => socket.disconnect(close));
  socket.on("drop-transport", (after: { event: string; args: unknown[] }[] | null) => {
    // once the server knows the socket is gone, emit what the client will miss
    socket.once("disconnect", () => {
      for (const { event, args } of after ?? []) nsp.to("r").emit(event, ...args);
    });
    socket.conn.close();
  });
}

/** Makes a server with the suite's handlers and middlewares. */
export function makeServer(opts: ServerOptions): Server {
  const log: DisconnectRecord[] = [];
  const io = new Server({ pingInterval: 2_000, pingTimeout: 2_000, ...opts });
  const setup = (nsp: Namespace) => {
    nsp.on("connection", (socket) => {
      socket.on("disconnect", (reason) => log.push({ nsp: nsp.name, id: socket.id, reason }));
      serveSocket(nsp, socket, log);
    });
  };
  io.use((socket, next) => {
    const auth = socket.handshake.auth;
    if (auth.reject) return next(reject("forbidden", { code: 42, why: auth.reject }));
    next();
  });
  const admin = io.of("/admin");
  admin.use(async (socket, next) => {
    await Promise.resolve();
    next(socket.handshake.auth.token === "secret" ? undefined : reject("bad token", null));
  });
  setup(io.sockets);
  setup(admin);
  return io;
}

/** Makes the app: the server itself. */
export default function makeSioApp(): Server {
  return makeServer({});
}
