/**
 * The server side of the official Socket.IO Admin UI
 * (`@socket.io/admin-ui`, hosted at https://admin.socket.io): `instrument(io,
 * options)` opens the UI's namespace (`/admin`) and speaks its protocol —
 * server stats every 2 s, every socket with its rooms, live connection, room
 * and event notices (development mode), and the UI's actions (emit, join,
 * leave, disconnect), unless `readonly`.
 *
 * Web standards only (no `node:`, no runtime globals): it runs on Deno, Bun,
 * Node and inside a Durable Object, and through a cluster adapter every
 * server reports to the admins of the fleet. Basic authentication checks a
 * bcrypt hash with a Web-standard bcrypt (`bcryptjs` needs Node's `crypto`).
 *
 * @example
 * ```ts ignore
 * import { Server } from "sio-edge";
 * import { instrument } from "sio-edge/admin-ui";
 *
 * const io = new Server({ cors: { origin: ["https://admin.socket.io"], credentials: true } });
 * instrument(io, {
 *   auth: { type: "basic", username: "admin", password: "$2b$10$..." }, // a bcrypt hash
 * });
 * ```
 *
 * @module
 */

import type { Namespace } from "../socket/namespace.ts";
import type { RemoteSocket } from "../socket/broadcast_operator.ts";
import type { Server } from "../socket/server.ts";
import type { Socket } from "../socket/socket.ts";
import type { EngineSocket } from "../engine/socket.ts";
import type { Packet } from "../parser/engine_packet.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { bcryptVerify, parseBcrypt } from "./_bcrypt.ts";

/** Basic authentication: the UI's username and password fields. */
export interface BasicAuthentication {
  readonly type: "basic";
  readonly username: string;
  /** A bcrypt hash (`$2a$`, `$2b$` or `$2y$`) of the password, never the password. */
  readonly password: string;
}

/** Where the sessions of logged-in admins are kept; the official `Store` has this shape. */
export interface AdminSessionStore {
  /** Whether `sessionId` was saved (and is still valid). */
  doesSessionExist(sessionId: string): Promise<boolean>;
  /** Records a new session. */
  saveSession(sessionId: string): void | Promise<void>;
}

/** The options of {@link instrument}. */
export interface InstrumentOptions {
  /** `false` (no authentication: anyone who reaches the server administers it) or basic. */
  readonly auth: false | BasicAuthentication;
  /** The UI's namespace. @default "/admin" */
  readonly namespaceName?: string;
  /** No actions from the UI (emit, join, leave, disconnect). @default false */
  readonly readonly?: boolean;
  /** The name this server has in the UI. @default "sio-edge-" and 8 random hex digits */
  readonly serverId?: string;
  /**
   * `"development"` also sends every socket, connection, room and event to the
   * UI; `"production"` sends only the stats and the aggregated counts.
   * @default "development"
   */
  readonly mode?: "development" | "production";
  /** Sessions of logged-in admins. @default an {@link InMemorySessionStore} */
  readonly store?: AdminSessionStore;
  /** Milliseconds between two stats reports; 0 sends them only when an admin connects. @default 2000 */
  readonly statsInterval?: number;
}

/** What {@link instrument} returns. */
export interface Instrumentation {
  /** The UI's namespace. */
  readonly namespace: Namespace;
  /** Stops the stats reports (the namespace stays). */
  close(): void;
}

/** Sessions in memory; the oldest is forgotten past `maxSessions`. */
export class InMemorySessionStore implements AdminSessionStore {
  readonly #sessions = new Set<string>();
  readonly #max: number;

  /** @param maxSessions sessions kept (default 1000). */
  constructor(maxSessions = 1000) {
    this.#max = maxSessions;
  }

  /** Whether `sessionId` is known. */
  doesSessionExist(sessionId: string): Promise<boolean> {
    return Promise.resolve(this.#sessions.has(sessionId));
  }

  /** Keeps `sessionId`, forgetting the oldest beyond the bound. */
  saveSession(sessionId: string): void {
    this.#sessions.add(sessionId);
    for (const oldest of this.#sessions) {
      if (this.#sessions.size <= this.#max) break;
      this.#sessions.delete(oldest);
    }
  }
}

/** A socket as the UI shows it. */
export interface SerializedSocket {
  id: string;
  clientId: string | undefined;
  transport: string | undefined;
  nsp: string;
  data: Record<string, unknown>;
  handshake: Record<string, unknown>;
  rooms: string[];
}

interface AggregatedEvent {
  timestamp: number;
  type: string;
  subType?: string | undefined;
  count: number;
}

/** What the UI's actions may ask for. */
const FEATURES = ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"];

/** Per-second counts of raw connections, packets and bytes, for the UI's charts. */
class EventBuffer {
  readonly #events = new Map<string, AggregatedEvent>();

  push(now: number, type: string, subType?: string, count = 1): void {
    const timestamp = now - (now % 1000);
    const key = `${timestamp};${type};${subType}`;
    const existing = this.#events.get(key);
    if (existing) existing.count += count;
    else this.#events.set(key, { timestamp, type, subType, count });
  }

  drain(): AggregatedEvent[] {
    const values = [...this.#events.values()];
    this.#events.clear();
    return values;
  }
}

/** UTF-8 length of a string, without encoding it. */
function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) length += code >= 0x800 && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
  }
  return length;
}

function byteLength(data: Packet["data"]): number {
  return data === undefined ? 0 : typeof data === "string" ? utf8Length(data) : data.byteLength;
}

function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface AdminData {
  clientId: string;
  transport: string;
}

function adminData(data: unknown): AdminData | undefined {
  return typeof data === "object" && data !== null
    ? (data as { _admin?: AdminData })._admin
    : undefined;
}

/** `socket.data` without the UI's own `_admin` field. */
function serializeData(data: unknown): Record<string, unknown> {
  if (typeof data !== "object" || data === null) return {};
  const { _admin: _, ...rest } = data as Record<string, unknown>;
  return rest;
}

function serialize(
  // deno-lint-ignore no-explicit-any
  socket: Socket<any, any, any, any> | RemoteSocket<any, any>,
  nsp: string,
): SerializedSocket {
  const admin = adminData(socket.data);
  const { headers } = socket.handshake;
  return {
    id: socket.id,
    clientId: admin?.clientId,
    transport: admin?.transport,
    nsp,
    data: serializeData(socket.data),
    handshake: {
      address: headers["cf-connecting-ip"] || headers["x-forwarded-for"] ||
        socket.handshake.address,
      headers,
      query: socket.handshake.query,
      issued: socket.handshake.issued,
      secure: socket.handshake.secure,
      time: socket.handshake.time,
      url: socket.handshake.url,
      xdomain: socket.handshake.xdomain,
    },
    rooms: [...socket.rooms],
  };
}

const isString = (value: unknown): value is string => typeof value === "string";

/**
 * Opens the Admin UI's namespace on `io` and starts reporting to it.
 * Throws when `auth` is missing or its `password` is not a bcrypt hash.
 */
export function instrument(
  // deno-lint-ignore no-explicit-any
  io: Server<any, any, any, any>,
  options: InstrumentOptions,
): Instrumentation {
  const auth = (options as { auth?: unknown }).auth;
  if (auth === undefined) {
    throw new Error("the `auth` option must be specified or explicitly set to `false`");
  }
  if (auth !== false) {
    const basic = auth as Partial<BasicAuthentication>;
    if (basic.type !== "basic" || !isString(basic.username) || !isString(basic.password)) {
      throw new Error("invalid `auth` option, please check the documentation");
    }
    if (!parseBcrypt(basic.password)) {
      throw new Error("the `password` field must be a valid bcrypt hash");
    }
  }
  const store = options.store ?? new InMemorySessionStore();
  const development = (options.mode ?? "development") === "development";
  const statsInterval = options.statsInterval ?? 2000;
  const serverId = options.serverId ?? `sio-edge-${randomHex(4)}`;
  const clock: Clock = (io as { _settings?: { clock?: Clock } })._settings?.clock ?? systemClock;
  const started = clock.now();
  const admin = io.of(options.namespaceName ?? "/admin");
  const newSessions = new WeakMap<object, string>();

  if (auth !== false) {
    const { username, password } = auth as BasicAuthentication;
    admin.use(async (socket, next) => {
      const given = socket.handshake.auth;
      if (isString(given.sessionId) && await store.doesSessionExist(given.sessionId)) {
        return next();
      }
      if (
        given.username === username && isString(given.password) &&
        bcryptVerify(given.password, password)
      ) {
        const sessionId = randomHex(8);
        await store.saveSession(sessionId);
        newSessions.set(socket, sessionId);
        return next();
      }
      next(new Error("invalid credentials"));
    });
  }

  const features = options.readonly ? [] : [...FEATURES];
  features.push("AGGREGATED_EVENTS");
  if (development) features.push("ALL_EVENTS");

  admin.on("connection", async (socket) => {
    const sessionId = newSessions.get(socket);
    if (sessionId) socket.emit("session", sessionId);
    if (!options.readonly) registerActions(io, socket);
    socket.emit("config", { supportedFeatures: features });
    if (statsInterval === 0) emitStats();
    if (development) socket.emit("all_sockets", await fetchAllSockets(io));
  });

  // aggregated counts, from the engine
  const events = new EventBuffer();
  let pollingClients = 0;
  io.engine.on("connection", (conn: EngineSocket) => {
    events.push(clock.now(), "rawConnection");
    if (conn.transport.name === "polling") {
      pollingClients++;
      let counted = true;
      const uncount = () => {
        if (counted) pollingClients--;
        counted = false;
      };
      conn.once("upgrade", uncount);
      conn.once("close", uncount);
    }
    conn.on("packetCreate", ({ data }: Packet) => {
      if (data === undefined) return;
      events.push(clock.now(), "packetsOut");
      events.push(clock.now(), "bytesOut", undefined, byteLength(data));
    });
    conn.on("packet", ({ data }: Packet) => {
      if (data === undefined) return;
      events.push(clock.now(), "packetsIn");
      events.push(clock.now(), "bytesIn", undefined, byteLength(data));
    });
    conn.on("close", (reason: string) => events.push(clock.now(), "rawDisconnection", reason));
  });

  if (development) {
    for (const nsp of io._nsps.values()) watchNamespace(admin, nsp);
    io.on("new_namespace", (nsp: Namespace) => watchNamespace(admin, nsp));
  }

  function emitStats(): void {
    admin.emit("server_stats", {
      serverId,
      hostname: serverId,
      pid: 0,
      uptime: (clock.now() - started) / 1000,
      clientsCount: io.engine.clientsCount,
      pollingClientsCount: pollingClients,
      aggregatedEvents: events.drain(),
      namespaces: [...io._nsps.values()].map((nsp) => ({
        name: nsp.name,
        socketsCount: nsp.sockets.size,
      })),
    });
  }

  let timer: unknown;
  let closed = false;
  const tick = () => {
    if (closed) return;
    emitStats();
    timer = clock.setTimeout(tick, statsInterval);
  };
  if (statsInterval > 0) tick();

  return {
    namespace: admin,
    close() {
      closed = true;
      clock.clearTimeout(timer);
    },
  };
}

/** Every socket of every namespace, across the fleet. */
// deno-lint-ignore no-explicit-any
async function fetchAllSockets(io: Server<any, any, any, any>): Promise<SerializedSocket[]> {
  const lists = await Promise.all(
    [...io._nsps.values()].map(async (nsp) =>
      (await nsp.fetchSockets()).map((socket) => serialize(socket, nsp.name))
    ),
  );
  return lists.flat();
}

/** The UI's actions; they act on existing namespaces only. */
// deno-lint-ignore no-explicit-any
function registerActions(io: Server<any, any, any, any>, socket: Socket): void {
  const target = (nsp: unknown, filter: unknown) => {
    const namespace = isString(nsp) ? io._nsps.get(nsp) : undefined;
    if (!namespace) return undefined;
    return isString(filter) && filter ? namespace.in(filter) : namespace;
  };
  socket.on("emit", (nsp: unknown, filter: unknown, ev: unknown, ...args: unknown[]) => {
    if (isString(ev)) target(nsp, filter)?.emit(ev, ...args);
  });
  socket.on("join", (nsp: unknown, room: unknown, filter?: unknown) => {
    if (isString(room)) target(nsp, filter)?.socketsJoin(room);
  });
  socket.on("leave", (nsp: unknown, room: unknown, filter?: unknown) => {
    if (isString(room)) target(nsp, filter)?.socketsLeave(room);
  });
  socket.on("_disconnect", (nsp: unknown, close: unknown, filter?: unknown) => {
    target(nsp, filter)?.disconnectSockets(close === true);
  });
}

/** Development mode: every connection, room change and event of `nsp`, as it happens. */
function watchNamespace(admin: Namespace, nsp: Namespace): void {
  nsp.on("connection", (socket: Socket) => {
    const info: AdminData = {
      clientId: socket.client.id.slice(0, 12), // the rest would let the UI's viewers hijack it
      transport: socket.conn.transport.name,
    };
    if (typeof socket.data === "object" && socket.data !== null) {
      (socket.data as { _admin?: AdminData })._admin = info;
    } else if (socket.data === undefined) {
      socket.data = { _admin: info };
    }
    admin.emit("socket_connected", serialize(socket, nsp.name), new Date());
    socket.conn.on("upgrade", (transport) => {
      info.transport = transport.name;
      admin.emit("socket_updated", { id: socket.id, nsp: nsp.name, transport: transport.name });
    });
    if (nsp !== admin) {
      socket.onAny((...args: unknown[]) => {
        if (typeof args[args.length - 1] === "function") args = args.slice(0, -1);
        admin.emit("event_received", nsp.name, socket.id, args, new Date());
      });
      socket.onAnyOutgoing((...args: unknown[]) => {
        admin.emit("event_sent", nsp.name, socket.id, args, new Date());
      });
    }
    socket.on("disconnect", (reason: string) => {
      admin.emit("socket_disconnected", nsp.name, socket.id, reason, new Date());
    });
  });
  nsp.adapter.on("join-room", (room: string, id: string) => {
    admin.emit("room_joined", nsp.name, room, id, new Date());
  });
  nsp.adapter.on("leave-room", (room: string, id: string) => {
    // after the disconnect notice, as the UI expects
    queueMicrotask(() => admin.emit("room_left", nsp.name, room, id, new Date()));
  });
}
