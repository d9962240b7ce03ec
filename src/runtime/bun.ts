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
import type { NativeFanout, NativeFanoutHost } from "../adapter/adapter.ts";
import { callApp, GuardedEvents, SERVE_DEFAULTS, type Served, type ServeOptions } from "./glue.ts";

export type { Served, ServeOptions } from "./glue.ts";

/**
 * Seconds an HTTP connection may stay silent. Bun's default (10 s) would cut
 * polling GETs, which the engine holds until its next ping (25 s by default).
 */
const HTTP_IDLE_TIMEOUT = SERVE_DEFAULTS.idleTimeout / 1000;

/** What a Bun WebSocket carries in `ws.data`. */
export interface BunSocketData {
  /** The app's callbacks for this socket. */
  readonly events: WebSocketEvents;
  /** The server's pub/sub, for broadcasts published once to a room's topic. */
  readonly fanout?: NativeFanout<BunSocket> | undefined;
}

/** The part of Bun's `ServerWebSocket` the glue uses. */
export interface BunWebSocket {
  /** Set by `server.upgrade(req, { data })`. */
  readonly data: BunSocketData;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Sends a frame (compressed if asked and negotiated); returns bytes sent, -1 (queued) or 0 (dropped). */
  send(data: string | Uint8Array, compress?: boolean): number;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Drops the connection without a closing handshake. */
  terminate(): void;
  /** Bytes queued but not yet written. */
  getBufferedAmount(): number;
  /** Subscribes to a pub/sub topic. */
  subscribe(topic: string): void;
  /** Unsubscribes from a pub/sub topic. */
  unsubscribe(topic: string): void;
}

/** The part of Bun's `Server` the glue uses. */
export interface BunServer {
  /** Upgrades `req`; `false` when it is not a valid WebSocket handshake. */
  upgrade(req: Request, options: { data: BunSocketData; headers?: Headers }): boolean;
  /** The peer of `req`, or `null` once it is gone. */
  requestIP(req: Request): { readonly address: string } | null;
  /** Sends a frame to every WebSocket subscribed to `topic`. */
  publish(topic: string, data: string): number;
}

/** The `websocket` option of `Bun.serve`. */
export interface BunWebSocketHandlers {
  /** Larger messages close the socket with 1009 before the app sees them. */
  readonly maxPayloadLength: number;
  /** A socket whose send buffer overflows is closed instead of dropping messages. */
  readonly closeOnBackpressureLimit: boolean;
  /** Negotiates permessage-deflate with clients that offer it (the engine's `perMessageDeflate`). */
  readonly perMessageDeflate: boolean;
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

interface BunListener extends BunServer {
  readonly port: number;
  readonly hostname?: string | undefined;
  stop(closeActiveConnections?: boolean): Promise<void>;
}

interface BunGlobal {
  readonly env: Record<string, string | undefined>;
  serve(
    options: BunHandlers & {
      port: number;
      hostname?: string;
      error: () => Response;
    },
  ): BunListener;
}

function bunGlobal(): BunGlobal {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (!bun) throw new TypeError("sio-edge/bun needs the Bun runtime");
  return bun;
}

/**
 * A Bun server's pub/sub as the adapter's native fan-out: a group is a topic,
 * and only the sockets this server upgraded (through {@link bunUpgrade}) are
 * accepted. uWS writes a published frame into the same per-socket queue as
 * `send`, after what the socket sent before, so both reach the peer in call
 * order.
 */
class BunFanout implements NativeFanout<BunSocket> {
  readonly #server: BunServer;

  constructor(server: BunServer) {
    this.#server = server;
  }

  accepts(ws: unknown): ws is BunSocket {
    return ws instanceof BunSocket && ws.fanout === this && ws.readyState === 1;
  }

  subscribe(ws: BunSocket, topic: string): void {
    ws.subscribe(topic);
  }

  unsubscribe(ws: BunSocket, topic: string): void {
    ws.unsubscribe(topic);
  }

  publish(topic: string, frame: string): void {
    this.#server.publish(topic, frame);
  }
}

const fanouts = new WeakMap<BunServer, BunFanout>();

/** The pub/sub of a Bun server as a native fan-out, one per server. */
export function bunFanout(server: BunServer): NativeFanout {
  return fanoutOf(server);
}

function fanoutOf(server: BunServer): BunFanout {
  let fanout = fanouts.get(server);
  if (!fanout) fanouts.set(server, fanout = new BunFanout(server));
  return fanout;
}

/**
 * Upgrades `req` through Bun's server with the `data` the `websocket`
 * handlers of {@link createBunHandlers} expect (the app's guarded events, and
 * the server's pub/sub hub for broadcasts), and `headers` on the 101 when
 * given; `false` when Bun refuses.
 */
export function bunUpgrade(
  server: BunServer,
  req: Request,
  events: WebSocketEvents,
  headers?: Headers,
): boolean {
  const data = new BunSocket(events, fanoutOf(server));
  return server.upgrade(req, headers ? { data, headers } : { data });
}

/**
 * One object per upgraded socket, methods on the prototype: its `ws.data`
 * (the app's events, guarded by {@link GuardedEvents}, and the server's
 * fan-out) and, once open, the app's view of the Bun socket: one object
 * where a data record, the guard and the view were three.
 */
class BunSocket extends GuardedEvents implements WebSocketLike, BunSocketData {
  #ws!: BunWebSocket;
  /** The fan-out of the server that upgraded this socket. */
  readonly fanout: NativeFanout<BunSocket> | undefined;

  constructor(events: WebSocketEvents | undefined, fanout: NativeFanout<BunSocket> | undefined) {
    super(events);
    this.fanout = fanout;
  }

  /** Bun's `open` handler: the socket behind `ws.data`. */
  static open(ws: BunWebSocket): void {
    const data = ws.data;
    if (data instanceof BunSocket) {
      data.#ws = ws;
      data.onOpen(data);
      return;
    }
    // data another upgrade made: its events get their own view of the socket
    const socket = new BunSocket(undefined, data.fanout);
    socket.#ws = ws;
    data.events.onOpen(socket);
  }

  /** As `ws.data`: the (guarded) events are this object's own. */
  get events(): WebSocketEvents {
    return this;
  }

  send(data: string | Uint8Array, compress?: boolean): void {
    // with closeOnBackpressureLimit, a send Bun would drop closes the socket
    // instead, so the app sees "transport close" rather than a silent gap
    this.#ws.send(data, compress === true);
  }

  close(code?: number, reason?: string): void {
    // without a code Bun would send 1000; 1005 ("no status") makes it send an
    // empty close frame, as the official server (ws) does
    if (code === undefined) this.#ws.close(1005);
    else this.#ws.close(code, reason);
  }

  terminate(): void {
    this.#ws.terminate();
  }

  get readyState(): number {
    return this.#ws.readyState;
  }

  get bufferedAmount(): number {
    return this.#ws.getBufferedAmount();
  }

  subscribe(topic: string): void {
    this.#ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    try {
      this.#ws.unsubscribe(topic);
    } catch {
      // a closed socket has no subscriptions left
    }
  }
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
export function createBunHandlers(app: FetchApp & Partial<NativeFanoutHost>): BunHandlers {
  let handed: BunServer | undefined;
  return {
    fetch: async (req, server) => {
      let upgraded = false;
      let address: string | undefined | null = null;
      const ctx: RequestContext = {
        // idleTimeout ends a connection whose request body stalls
        boundsStalledBodies: true,
        // looked up only when read (a handshake): requestIP costs on every request
        get remoteAddress() {
          if (address === null) address = server.requestIP(req)?.address;
          return address;
        },
        upgrade: (request, events, headers) => {
          if (upgraded) return undefined;
          // an upgraded request has no peer any more: remember it first
          if (address === null) address = server.requestIP(req)?.address;
          // the server's pub/sub goes down to the adapters once, before its first socket
          if (handed !== server) app.useNativeFanout?.(bunFanout(handed = server));
          upgraded = bunUpgrade(server, request, events, headers);
          // Bun writes the 101 itself; this response is only a placeholder
          return upgraded ? new Response(null) : undefined;
        },
      };
      const res = await callApp(app, req, ctx);
      if (upgraded) return undefined;
      // Bun keeps the connection open unless told: a client that asked to
      // close it (node-fetch, a keep-alive agent) would reuse a dying socket
      if (wantsClose(req)) closeConnection(res);
      return res;
    },
    websocket: {
      maxPayloadLength: app.maxPayload,
      closeOnBackpressureLimit: true,
      perMessageDeflate: app.perMessageDeflate === true,
      open: (ws) => BunSocket.open(ws),
      // a Buffer as is: the engine gives received binary its one type (engine/_received.ts)
      message: (ws, message) => ws.data.events.onMessage(message),
      close: (ws, code, reason) => ws.data.events.onClose(code, reason),
    },
    idleTimeout: HTTP_IDLE_TIMEOUT,
  };
}

/** Whether the request carries `Connection: close`. */
function wantsClose(req: Request): boolean {
  const connection = req.headers.get("connection");
  return connection !== null && /(?:^|,)\s*close\s*(?:,|$)/i.test(connection);
}

/** Answers `Connection: close` (a response with immutable headers is left as it is). */
function closeConnection(res: Response): void {
  try {
    res.headers.set("connection", "close");
  } catch {
    // immutable headers: Bun's own default applies
  }
}

/**
 * Serves `app` with `Bun.serve`. Binds all interfaces ("0.0.0.0", Bun's
 * default) unless `hostname` says otherwise.
 */
export function serve(app: FetchApp, options: ServeOptions): Promise<Served> {
  try {
    debugFromEnv((name) => bunGlobal().env[name]);
    const idle = options.idleTimeout ?? SERVE_DEFAULTS.idleTimeout;
    const server = bunGlobal().serve({
      ...createBunHandlers(app),
      // whole seconds, 255 at most (Bun's range)
      idleTimeout: Math.min(255, Math.max(1, Math.ceil(idle / 1000))),
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
