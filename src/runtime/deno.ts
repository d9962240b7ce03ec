/**
 * Deno glue: `Deno.serve` for HTTP and `Deno.upgradeWebSocket` for the
 * WebSocket transport.
 *
 * @example
 * ```ts ignore
 * import { EngineServer } from "../engine/server.ts";
 * import { serve } from "./deno.ts";
 * const engine = new EngineServer();
 * engine.on("connection", (socket) => socket.on("message", (m) => socket.send(m)));
 * const server = await serve(engine, { port: 3000 });
 * ```
 *
 * @module
 */

import { debugFromEnv } from "../util/logger.ts";
import type { FetchApp, RequestContext, Upgrader, WebSocketEvents } from "../engine/ports.ts";
import {
  callApp,
  CLOSE_GRACE_MS,
  exceedsPayload,
  guardEvents,
  MESSAGE_TOO_BIG,
  type Served,
  type ServeOptions,
  settleWithin,
  toBytes,
} from "./_shared.ts";

export type { Served, ServeOptions } from "./_shared.ts";

/** The part of `Deno.ServeHandlerInfo` the glue reads. */
export interface DenoServeInfo {
  /** The peer; `hostname` is absent for Unix sockets. */
  readonly remoteAddr: { readonly hostname?: string };
}

/** Options of {@link upgrader}. */
export interface DenoUpgraderOptions {
  /**
   * Messages larger than this many bytes close the socket with code 1009.
   * @default Infinity (Deno's own limit only)
   */
  maxPayload?: number;
  /**
   * Seconds Deno waits for a WebSocket pong before closing; `0` disables.
   * @default Deno's default (30)
   */
  idleTimeout?: number;
}

// Deno's API, typed structurally so this file type-checks without Deno's lib
// and runs (unused) under Bun and Node.
interface _DenoSocket {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "error", fn: (event: Event) => void): void;
  addEventListener(type: "message", fn: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", fn: (event: { code: number; reason: string }) => void): void;
}

interface _HttpServer {
  readonly addr: { readonly hostname: string; readonly port: number };
  shutdown(): Promise<void>;
}

interface _Deno {
  upgradeWebSocket(
    req: Request,
    options?: { idleTimeout?: number },
  ): { socket: _DenoSocket; response: Response };
  readonly env: { get(name: string): string | undefined };
  readonly permissions: {
    querySync?(descriptor: { name: "env"; variable: string }): { state: string };
  };
  serve(
    options: {
      port: number;
      hostname?: string;
      onListen?: () => void;
      onError?: (error: unknown) => Response;
    },
    handler: (req: Request, info: DenoServeInfo) => Promise<Response>,
  ): _HttpServer;
}

/**
 * Turns on `DEBUG=sio-edge:*` logging from the environment, but only when env
 * access is already granted: reading it otherwise would prompt on a terminal.
 */
function _debugFromEnv(deno: _Deno): void {
  debugFromEnv((name) =>
    deno.permissions.querySync?.({ name: "env", variable: name }).state === "granted"
      ? deno.env.get(name)
      : undefined
  );
}

function _deno(): _Deno {
  const deno = (globalThis as { Deno?: _Deno }).Deno;
  if (!deno) throw new TypeError("sio-edge/deno needs the Deno runtime");
  return deno;
}

/**
 * An {@link Upgrader} backed by `Deno.upgradeWebSocket`; binary frames arrive
 * as `Uint8Array`.
 */
export function upgrader(options: DenoUpgraderOptions = {}): Upgrader {
  return _upgrader(options, new Set());
}

function _upgrader(options: DenoUpgraderOptions, open: Set<_DenoSocket>): Upgrader {
  const maxPayload = options.maxPayload ?? Infinity;
  const upgradeOptions = options.idleTimeout === undefined
    ? {}
    : { idleTimeout: options.idleTimeout };
  return (req, events) => {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return undefined;
    let upgrade;
    try {
      upgrade = _deno().upgradeWebSocket(req, upgradeOptions);
    } catch {
      return undefined; // not a valid WebSocket handshake
    }
    const { socket } = upgrade;
    open.add(socket);
    socket.addEventListener("close", () => open.delete(socket));
    _wire(socket, guardEvents(events), maxPayload);
    return upgrade.response;
  };
}

function _wire(socket: _DenoSocket, events: WebSocketEvents, maxPayload: number): void {
  socket.binaryType = "arraybuffer";
  socket.addEventListener("open", () => events.onOpen(socket));
  socket.addEventListener("message", ({ data }) => {
    const message = typeof data === "string" ? data : toBytes(data as ArrayBuffer);
    // Deno has no option for a size limit: refuse here, before the app
    if (exceedsPayload(message, maxPayload)) {
      socket.close(MESSAGE_TOO_BIG); // no reason, like the official server
      return;
    }
    events.onMessage(message);
  });
  socket.addEventListener(
    "error",
    (event) => events.onError((event as { error?: unknown }).error ?? event),
  );
  socket.addEventListener("close", ({ code, reason }) => events.onClose(code, reason));
}

/**
 * A `Deno.serve` handler for `app`: fills the request context (upgrader,
 * remote address) and answers 500 when the app throws.
 *
 * @example
 * ```ts ignore
 * Deno.serve({ port: 3000 }, handler(engine));
 * ```
 */
export function handler(
  app: FetchApp,
): (req: Request, info: DenoServeInfo) => Promise<Response> {
  return _handler(app, new Set());
}

function _handler(
  app: FetchApp,
  open: Set<_DenoSocket>,
): (req: Request, info: DenoServeInfo) => Promise<Response> {
  const upgrade = _upgrader({ maxPayload: app.maxPayload }, open);
  return (req, info) => {
    const ctx: RequestContext = { upgrade, remoteAddress: info.remoteAddr.hostname };
    return callApp(app, req, ctx);
  };
}

/**
 * Serves `app` with `Deno.serve`. Binds all interfaces ("0.0.0.0", Deno's
 * default) unless `hostname` says otherwise; prints nothing.
 */
export function serve(app: FetchApp, options: ServeOptions): Promise<Served> {
  const open = new Set<_DenoSocket>();
  try {
    // Deno binds synchronously: the address is known when serve() returns
    _debugFromEnv(_deno());
    const server = _deno().serve({
      port: options.port,
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
      onListen: () => {},
      onError: () => new Response(null, { status: 500 }),
    }, _handler(app, open));
    return Promise.resolve(_served(app, server, open));
  } catch (err) {
    return Promise.reject(err);
  }
}

function _served(app: FetchApp, server: _HttpServer, open: Set<_DenoSocket>): Served {
  let closing: Promise<void> | undefined;
  const close = async () => {
    try {
      // the app first: it answers held polls, which shutdown() would wait for
      await app.close();
    } finally {
      // shutdown() cuts sockets short with 1001: let those the app closed finish
      const closingSockets = [...open].filter((socket) => socket.readyState === 2);
      await settleWithin(closingSockets.map(_closed), CLOSE_GRACE_MS);
      await server.shutdown();
    }
  };
  return {
    port: server.addr.port,
    hostname: server.addr.hostname,
    close: () => closing ??= close(),
  };
}

function _closed(socket: _DenoSocket): Promise<void> {
  return new Promise((resolve) => socket.addEventListener("close", () => resolve()));
}
