/**
 * Bun glue: `Bun.serve` for HTTP, and its `websocket` handlers object with
 * `server.upgrade()` for the WebSocket transport.
 *
 * @example
 * ```ts ignore
 * import { EngineServer } from "../engine/server.ts";
 * import { serve } from "./bun.ts";
 * const engine = new EngineServer();
 * engine.on("connection", (socket) => socket.on("message", (m) => socket.send(m)));
 * const server = await serve(engine, { port: 3000 });
 * ```
 *
 * @module
 */

import { debugFromEnv } from "../util/logger.ts";
import type { FetchApp, RequestContext, WebSocketEvents, WebSocketLike } from "../engine/ports.ts";
import { callApp, guardEvents, type Served, type ServeOptions, toBytes } from "./_shared.ts";

export type { Served, ServeOptions } from "./_shared.ts";

/**
 * Seconds an HTTP connection may stay silent. Bun's default (10 s) would cut
 * polling GETs, which the engine holds until its next ping (25 s by default).
 */
const HTTP_IDLE_TIMEOUT = 120;

/** What a Bun WebSocket carries in `ws.data`. */
export interface BunSocketData {
  /** The app's callbacks for this socket. */
  readonly events: WebSocketEvents;
}

/** The part of Bun's `ServerWebSocket` the glue uses. */
export interface BunWebSocket {
  /** Set by `server.upgrade(req, { data })`. */
  readonly data: BunSocketData;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Sends a frame; returns bytes sent, -1 (queued under backpressure) or 0 (dropped). */
  send(data: string | Uint8Array): number;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet written. */
  getBufferedAmount(): number;
}

/** The part of Bun's `Server` the glue uses. */
export interface BunServer {
  /** Upgrades `req`; `false` when it is not a valid WebSocket handshake. */
  upgrade(req: Request, options: { data: BunSocketData }): boolean;
  /** The peer of `req`, or `null` once it is gone. */
  requestIP(req: Request): { readonly address: string } | null;
}

/** The `websocket` option of `Bun.serve`. */
export interface BunWebSocketHandlers {
  /** Larger messages close the socket with 1009 before the app sees them. */
  readonly maxPayloadLength: number;
  /** A socket whose send buffer overflows is closed instead of dropping messages. */
  readonly closeOnBackpressureLimit: boolean;
  /** Called once the socket is open. */
  open(ws: BunWebSocket): void;
  /** Called for each message: text as string, binary as a Buffer. */
  message(ws: BunWebSocket, message: string | Uint8Array): void;
  /** Called once the socket is closed. */
  close(ws: BunWebSocket, code: number, reason: string): void;
}

/** What to spread into `Bun.serve()` to serve an app. */
export interface BunHandlers {
  /** The `fetch` option: answers `undefined` after a successful upgrade, as Bun requires. */
  fetch(req: Request, server: BunServer): Promise<Response | undefined>;
  /** The `websocket` option. */
  websocket: BunWebSocketHandlers;
  /** Seconds before Bun closes a silent HTTP connection; outlasts a held poll. */
  idleTimeout: number;
}

interface _BunListener extends BunServer {
  readonly port: number;
  readonly hostname?: string | undefined;
  stop(closeActiveConnections?: boolean): Promise<void>;
}

interface _Bun {
  readonly env: Record<string, string | undefined>;
  serve(
    options: BunHandlers & {
      port: number;
      hostname?: string;
      error: () => Response;
    },
  ): _BunListener;
}

function _bun(): _Bun {
  const bun = (globalThis as { Bun?: _Bun }).Bun;
  if (!bun) throw new TypeError("sio-edge/bun needs the Bun runtime");
  return bun;
}

/** The app's view of a Bun socket. */
function _adapter(ws: BunWebSocket): WebSocketLike {
  return {
    // with closeOnBackpressureLimit, a send Bun would drop closes the socket
    // instead, so the app sees "transport close" rather than a silent gap
    send: (data) => void ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    get readyState() {
      return ws.readyState;
    },
    get bufferedAmount() {
      return ws.getBufferedAmount();
    },
  };
}

/**
 * The `fetch`, `websocket` and `idleTimeout` options that serve `app` with
 * `Bun.serve`, for users who call it themselves.
 *
 * @example
 * ```ts ignore
 * Bun.serve({ port: 3000, ...createBunHandlers(engine) });
 * ```
 */
export function createBunHandlers(app: FetchApp): BunHandlers {
  return {
    fetch: async (req, server) => {
      let upgraded = false;
      const ctx: RequestContext = {
        remoteAddress: server.requestIP(req)?.address,
        upgrade: (request, events) => {
          if (upgraded) return undefined;
          upgraded = server.upgrade(request, { data: { events: guardEvents(events) } });
          // Bun writes the 101 itself; this response is only a placeholder
          return upgraded ? new Response(null) : undefined;
        },
      };
      const res = await callApp(app, req, ctx);
      return upgraded ? undefined : res;
    },
    websocket: {
      maxPayloadLength: app.maxPayload,
      closeOnBackpressureLimit: true,
      open: (ws) => ws.data.events.onOpen(_adapter(ws)),
      message: (ws, message) =>
        ws.data.events.onMessage(typeof message === "string" ? message : toBytes(message)),
      close: (ws, code, reason) => ws.data.events.onClose(code, reason),
    },
    idleTimeout: HTTP_IDLE_TIMEOUT,
  };
}

/**
 * Serves `app` with `Bun.serve`. Binds all interfaces ("0.0.0.0", Bun's
 * default) unless `hostname` says otherwise.
 */
export function serve(app: FetchApp, options: ServeOptions): Promise<Served> {
  try {
    debugFromEnv((name) => _bun().env[name]);
    const server = _bun().serve({
      ...createBunHandlers(app),
      port: options.port,
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
      error: () => new Response(null, { status: 500 }),
    });
    let closing: Promise<void> | undefined;
    return Promise.resolve({
      port: server.port,
      hostname: server.hostname ?? "0.0.0.0",
      // the app first (it ends its sessions cleanly), then whatever is left
      close: () =>
        closing ??= (async () => {
          try {
            await app.close();
          } finally {
            await server.stop(true);
          }
        })(),
    });
  } catch (err) {
    return Promise.reject(err);
  }
}
