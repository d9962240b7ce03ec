/**
 * The engine's options, with the official defaults.
 *
 * @module
 */

import { type Clock, systemClock } from "../util/clock.ts";
import type { SessionStore } from "../store/session_store.ts";
import type { CorsOptions } from "./cors.ts";
import type { TransportName } from "./transport.ts";
import type { EngineSocket } from "./socket.ts";

/**
 * Decides whether a handshake may proceed: call `callback(null, true)` to
 * accept, `callback("reason", false)` to refuse with 403 Forbidden — or return
 * (a promise of) a boolean instead of calling back.
 */
export type AllowRequest = (
  req: Request,
  callback: (err: string | null | undefined, success: boolean) => void,
) => void | boolean | Promise<boolean | void>;

/** Options of the session cookie sent with the handshake. */
export interface CookieOptions {
  /** @default "io" */
  name?: string;
  /** @default "/" */
  path?: string;
  /** @default true */
  httpOnly?: boolean;
  /** @default "lax" */
  sameSite?: "lax" | "strict" | "none";
  /** @default false */
  secure?: boolean;
  domain?: string;
  /** Lifetime in seconds. */
  maxAge?: number;
}

/** Options of {@link EngineServer}. */
export interface EngineOptions {
  /** The path the engine answers under. @default "/engine.io/" */
  path?: string;
  /** Milliseconds between server pings. @default 25000 */
  pingInterval?: number;
  /** Milliseconds to wait for a pong before closing with "ping timeout". @default 20000 */
  pingTimeout?: number;
  /** Milliseconds an upgrade may take before it is cancelled. @default 10000 */
  upgradeTimeout?: number;
  /** The largest polling payload or WebSocket message, in bytes. @default 1e6 */
  maxHttpBufferSize?: number;
  /**
   * Milliseconds a polling POST may take to deliver its body. A slower (or
   * stalled) body is cancelled, answered 408 and ends the session with
   * "transport error"; a body read is also cancelled when its session ends.
   * @default 20000
   */
  bodyTimeout?: number;
  /**
   * The most bytes that may wait for one client: packets queued for a
   * polling session between its GETs, and what the runtime has not yet
   * written to a WebSocket (its `bufferedAmount`). A client over the bound —
   * one that stops reading while the server keeps sending — is dropped with
   * "transport error" ("write buffer full"), and volatile packets are
   * skipped for it from half the bound on.
   * @default 10000000
   */
  maxBufferedBytes?: number;
  /** Checks each handshake; see {@link AllowRequest}. */
  allowRequest?: AllowRequest;
  /** The transports clients may use. @default ["polling", "websocket"] */
  transports?: TransportName[];
  /** Whether polling sessions may upgrade to WebSocket. @default true */
  allowUpgrades?: boolean;
  /**
   * Whether Engine.IO v3 clients (`EIO=3`: Socket.IO 2.x clients) are
   * served: the v3 payload format over polling, the client's pings.
   * @default false
   */
  allowEIO3?: boolean;
  /** Send the sid as a cookie on the handshake (`true` for the defaults). @default false */
  cookie?: boolean | CookieOptions;
  /** CORS, as the `cors` middleware takes it. No CORS headers without it. */
  cors?: CorsOptions;
  /** A message sent right after the open packet. */
  initialPacket?: string | Uint8Array;
  /** Makes the session id; the default is 15 random bytes, base64url. */
  generateId?: (req: Request) => string | Promise<string>;
  /** Whether `path` gets a trailing slash. @default true */
  addTrailingSlash?: boolean;
  /**
   * Compress polling answers of at least `threshold` bytes with gzip or
   * deflate, for clients that accept it; `false` turns it off.
   * @default { threshold: 1024 }
   */
  httpCompression?: boolean | { threshold?: number };
  /**
   * WebSocket compression (permessage-deflate) for clients that offer it,
   * where the runtime can (Node's `ws`, Bun; not Deno, whose WebSocket server
   * has no extensions; not Workers). Messages under `threshold` bytes, and
   * those sent with `socket.compress(false)`, go uncompressed; `true` means
   * `{ threshold: 1024 }`.
   * @default false
   */
  perMessageDeflate?: boolean | { threshold?: number };
  /** Timers and time; inject one in tests or on Durable Objects. @default systemClock */
  clock?: Clock;
  /**
   * The clock of the heartbeat alone (ping interval and pong timeout), so a
   * Durable Object can put the heartbeat on alarms while other timers stay
   * ordinary ones. @default clock
   */
  heartbeatClock?: Clock;
  /** Where sessions live. @default a MemorySessionStore */
  store?: SessionStore<EngineSocket>;
}

/** The default of {@link EngineOptions.bodyTimeout}. */
export const DEFAULT_BODY_TIMEOUT = 20_000;
/** The default of {@link EngineOptions.maxBufferedBytes}. */
export const DEFAULT_MAX_BUFFERED_BYTES = 10_000_000;

/** Options with every default applied. */
export interface ResolvedEngineOptions {
  path: string;
  pingInterval: number;
  pingTimeout: number;
  upgradeTimeout: number;
  maxHttpBufferSize: number;
  bodyTimeout: number;
  maxBufferedBytes: number;
  allowRequest: AllowRequest | undefined;
  transports: TransportName[];
  allowUpgrades: boolean;
  allowEIO3: boolean;
  cookie:
    | Required<Pick<CookieOptions, "name" | "path" | "httpOnly" | "sameSite">> & CookieOptions
    | undefined;
  cors: CorsOptions | undefined;
  initialPacket: string | Uint8Array | undefined;
  generateId: ((req: Request) => string | Promise<string>) | undefined;
  addTrailingSlash: boolean;
  httpCompression: { threshold: number } | undefined;
  perMessageDeflate: { threshold: number } | undefined;
  clock: Clock;
  heartbeatClock: Clock | undefined;
}

/** Applies the defaults and checks the values. */
export function resolveOptions(opts: EngineOptions): ResolvedEngineOptions {
  const addTrailingSlash = opts.addTrailingSlash !== false;
  let path = (opts.path ?? "/engine.io").replace(/\/$/, "");
  if (addTrailingSlash) path += "/";
  const cookie = opts.cookie
    ? {
      name: "io",
      path: "/",
      httpOnly: true,
      sameSite: "lax" as const,
      ...(opts.cookie === true ? {} : opts.cookie),
    }
    : undefined;
  const resolved: ResolvedEngineOptions = {
    path,
    pingInterval: opts.pingInterval ?? 25_000,
    pingTimeout: opts.pingTimeout ?? 20_000,
    upgradeTimeout: opts.upgradeTimeout ?? 10_000,
    maxHttpBufferSize: opts.maxHttpBufferSize ?? 1e6,
    bodyTimeout: opts.bodyTimeout ?? DEFAULT_BODY_TIMEOUT,
    maxBufferedBytes: opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    allowRequest: opts.allowRequest,
    transports: opts.transports ?? ["polling", "websocket"],
    allowUpgrades: opts.allowUpgrades !== false,
    allowEIO3: opts.allowEIO3 === true,
    cookie,
    cors: opts.cors,
    initialPacket: opts.initialPacket,
    generateId: opts.generateId,
    addTrailingSlash,
    httpCompression: opts.httpCompression === false ? undefined : {
      threshold:
        (typeof opts.httpCompression === "object" ? opts.httpCompression.threshold : undefined) ??
          1024,
    },
    perMessageDeflate: opts.perMessageDeflate
      ? {
        threshold: (typeof opts.perMessageDeflate === "object"
          ? opts.perMessageDeflate.threshold
          : undefined) ?? 1024,
      }
      : undefined,
    clock: opts.clock ?? systemClock,
    heartbeatClock: opts.heartbeatClock,
  };
  for (
    const key of [
      "pingInterval",
      "pingTimeout",
      "upgradeTimeout",
      "maxHttpBufferSize",
      "bodyTimeout",
      "maxBufferedBytes",
    ] as const
  ) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`Option "${key}" must be a positive number, got ${value}`);
    }
  }
  for (const t of resolved.transports) {
    if (t !== "polling" && t !== "websocket") throw new TypeError(`Unknown transport "${t}"`);
  }
  return resolved;
}

/** `name=value; Path=/; HttpOnly; SameSite=Lax` for the session cookie. */
export function serializeCookie(
  cookie: NonNullable<ResolvedEngineOptions["cookie"]>,
  sid: string,
): string {
  let out = `${cookie.name}=${encodeURIComponent(sid)}`;
  if (cookie.maxAge !== undefined) out += `; Max-Age=${Math.floor(cookie.maxAge)}`;
  if (cookie.domain) out += `; Domain=${cookie.domain}`;
  if (cookie.path) out += `; Path=${cookie.path}`;
  if (cookie.httpOnly) out += "; HttpOnly";
  if (cookie.secure) out += "; Secure";
  if (cookie.sameSite) {
    out += `; SameSite=${cookie.sameSite[0]!.toUpperCase()}${cookie.sameSite.slice(1)}`;
  }
  return out;
}
