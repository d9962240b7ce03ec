/**
 * The application of the differential conformance suite, written once for
 * both servers: `conf_app.ts` runs it on sio-edge, and
 * `tests/conformance/_official_server.ts` on the official socket.io 4.8. It
 * only touches the API the two share, typed structurally here.
 *
 * Servers on one port: {@link MAIN_PATH} (CORS for `http://a.test` with
 * credentials, an `allowRequest` that refuses `?forbidden=1|2`) with the
 * namespaces `/` (a middleware refusing `auth.reject`), `/custom` (open) and
 * `/private` (an async middleware wanting `auth.token === "secret"`);
 * {@link COOKIE_PATH} with the session cookie and `initial_headers`/`headers`
 * listeners adding `x-initial: 1` and `x-every: 2`; and {@link RECOVERY_PATH}
 * with connection state recovery; {@link MSGPACK_PATH} serves `/` and
 * `/custom` with the msgpack parser; {@link DEFLATE_PATH} with
 * `perMessageDeflate: { threshold: 64 }`. `emit-plain` emits `echo` with
 * `socket.compress(false)`; {@link EIO3_PATH} is the main server's app with
 * `allowEIO3: true`.
 *
 * Events every socket answers: `echo` (acks its arguments), `emit-back`
 * (emits `echo` with them), `ask` (emits `question` with an ack, then emits
 * `answer` with the client's answer), `disconnect-me` (`socket.disconnect(close)`),
 * `volatile` (a volatile `v`, then `after`), `volatile-burst` (`before`, a
 * volatile `v`, `after`), `handshake`, `join`, `to-room`,
 * `whoami`, and `report` (what the server saw of socket `id`: its disconnect
 * reason and its `error` events).
 *
 * @module
 */

/** The main server's path. */
export const MAIN_PATH = "/socket.io";
/** The path of the server with connection state recovery. */
export const RECOVERY_PATH = "/recovery";
/** The path of the server with the session cookie and header listeners. */
export const COOKIE_PATH = "/cookie";
/** The path of the server with the msgpack parser. */
export const MSGPACK_PATH = "/msgpack";
/** The path of the server with WebSocket compression (threshold 64 bytes). */
export const DEFLATE_PATH = "/deflate";
/** The path of the server that also serves Engine.IO v3 (Socket.IO 2.x) clients. */
export const EIO3_PATH = "/eio3";
/** The one origin the main server allows. */
export const ALLOWED_ORIGIN = "http://a.test";

type Ack = (...args: unknown[]) => void;
type Next = (err?: Error) => void;

/** The part of a socket (of either server) the app uses. */
export interface ConfSocket {
  readonly id: string;
  readonly nsp: { readonly name: string };
  readonly handshake: { readonly auth: Record<string, unknown> };
  readonly recovered: boolean;
  readonly rooms: Set<string>;
  readonly volatile: { emit(ev: string, ...args: unknown[]): unknown };
  compress(on: boolean): { emit(ev: string, ...args: unknown[]): unknown };
  on(ev: string, fn: (...args: never[]) => void): unknown;
  emit(ev: string, ...args: unknown[]): unknown;
  disconnect(close?: boolean): unknown;
  join(room: string): unknown;
}

/** The part of a namespace (of either server) the app uses. */
export interface ConfNamespace {
  use(fn: (socket: ConfSocket, next: Next) => void): unknown;
  on(ev: "connection", fn: (socket: ConfSocket) => void): unknown;
  to(room: string): { emit(ev: string, ...args: unknown[]): unknown };
}

/** Response headers as either engine hands them to listeners (a `Headers`, or a plain object). */
export type ConfHeaders = Headers | Record<string, unknown>;

/** The part of a server (of either kind) the app uses. */
export interface ConfServer {
  of(name: string): ConfNamespace;
  readonly engine: {
    on(ev: "initial_headers" | "headers", fn: (headers: ConfHeaders) => void): unknown;
  };
}

/** Sets a response header in either engine's headers form. */
function _setHeader(headers: ConfHeaders, name: string, value: string): void {
  if (headers instanceof Headers) headers.set(name, value);
  else headers[name] = value;
}

/** One server of the app: its path, its options, and how to set it up. */
export interface ConfServerSpec {
  readonly path: string;
  /** Options both servers understand (cast to each server's own options type). */
  readonly options: Record<string, unknown>;
  /** The parser each server adds from its own side (socket.io-msgpack-parser, sio-edge/msgpack). */
  readonly parser?: "msgpack";
  readonly setup: (io: ConfServer) => void;
}

/** What `report` answers about one socket. */
export interface SocketReport {
  reason: string | null;
  errors: string[];
}

/** Both engines call it with their own request; `url` holds the query either way. */
function _allowRequest(
  req: { url?: string },
  callback: (err: string | null, success: boolean) => void,
): void {
  const url = String(req.url);
  if (url.includes("forbidden=1")) callback(null, false);
  else if (url.includes("forbidden=2")) callback("Not today", false);
  else callback(null, true);
}

function _refusal(message: string, data?: unknown): Error {
  return data === undefined ? new Error(message) : Object.assign(new Error(message), { data });
}

function _serveSocket(nsp: ConfNamespace, socket: ConfSocket, log: Map<string, SocketReport>) {
  const report: SocketReport = { reason: null, errors: [] };
  log.set(socket.id, report);
  const on = (ev: string, fn: (...args: unknown[]) => void) => socket.on(ev, fn);
  const split = (args: unknown[]): [unknown[], Ack] => [args.slice(0, -1), args.at(-1) as Ack];
  on("disconnect", (reason) => (report.reason = String(reason)));
  on("error", (err) => report.errors.push((err as Error).message));
  on("echo", (...args) => {
    const [rest, ack] = split(args);
    ack(...rest);
  });
  on("emit-back", (...args) => socket.emit("echo", ...args));
  on("emit-plain", (...args) => socket.compress(false).emit("echo", ...args));
  on("ask", (...args) => {
    socket.emit("question", ...args, (...answer: unknown[]) => socket.emit("answer", ...answer));
  });
  on("disconnect-me", (close) => socket.disconnect(close === true));
  on("volatile", () => {
    socket.volatile.emit("v", 1);
    socket.emit("after", 2);
  });
  on("volatile-burst", () => {
    socket.emit("before", 0);
    socket.volatile.emit("v", 1);
    socket.emit("after", 2);
  });
  on("handshake", (ack) => (ack as Ack)({ nsp: socket.nsp.name, auth: socket.handshake.auth }));
  on("join", async (room, ack) => {
    await socket.join(room as string);
    (ack as Ack)();
  });
  on("to-room", (...args) => {
    const [[room, ev, ...rest], ack] = split(args);
    nsp.to(room as string).emit(ev as string, ...rest);
    ack();
  });
  on("whoami", (ack) => {
    const rooms = [...socket.rooms].filter((room) => room !== socket.id).sort();
    const own = socket.rooms.has(socket.id);
    (ack as Ack)({ id: socket.id, recovered: socket.recovered, rooms, inOwnRoom: own });
  });
  on("report", (id, ack) => (ack as Ack)(log.get(id as string) ?? null));
}

function _setup(io: ConfServer, names: readonly string[]): Map<string, SocketReport> {
  const log = new Map<string, SocketReport>();
  for (const name of names) {
    const nsp = io.of(name);
    nsp.on("connection", (socket) => _serveSocket(nsp, socket, log));
  }
  return log;
}

function _setupMain(io: ConfServer): void {
  _setup(io, ["/", "/custom", "/private"]);
  io.of("/").use((socket, next) => {
    const { reject, plain } = socket.handshake.auth;
    if (reject !== undefined) return next(_refusal("not allowed", { code: 42, reject }));
    if (plain !== undefined) return next(_refusal("plain refusal"));
    next();
  });
  io.of("/private").use((socket, next) => {
    setTimeout(() => {
      if (socket.handshake.auth.token === "secret") next();
      else next(_refusal("unauthorized", { retry: false }));
    }, 5);
  });
}

/** The servers of the app, in routing order. */
export const CONF_SERVERS: readonly ConfServerSpec[] = [
  {
    path: MAIN_PATH,
    options: {
      cors: { origin: ALLOWED_ORIGIN, credentials: true },
      allowRequest: _allowRequest,
    },
    setup: _setupMain,
  },
  {
    path: COOKIE_PATH,
    options: { cookie: true },
    setup: (io) => {
      _setup(io, ["/"]);
      io.engine.on("initial_headers", (headers) => _setHeader(headers, "x-initial", "1"));
      io.engine.on("headers", (headers) => _setHeader(headers, "x-every", "2"));
    },
  },
  {
    path: MSGPACK_PATH,
    options: {},
    parser: "msgpack",
    setup: (io) => void _setup(io, ["/", "/custom"]),
  },
  {
    path: EIO3_PATH,
    options: { allowEIO3: true },
    setup: _setupMain,
  },
  {
    path: DEFLATE_PATH,
    options: { perMessageDeflate: { threshold: 64 } },
    setup: (io) => void _setup(io, ["/"]),
  },
  {
    path: RECOVERY_PATH,
    options: { connectionStateRecovery: {} },
    setup: (io) => void _setup(io, ["/"]),
  },
];
