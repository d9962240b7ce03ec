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
import type {
  ClientGoneWatcher,
  FetchApp,
  RequestContext,
  Upgrader,
  WebSocketEvents,
} from "../engine/ports.ts";
import { MESSAGE_TOO_BIG } from "../engine/websocket.ts";
import { exceedsPayload } from "../engine/payload_size.ts";
import {
  callApp,
  CLOSE_GRACE_MS,
  guardEvents,
  type Served,
  type ServeOptions,
  settleWithin,
} from "./glue.ts";
import { toUint8Array } from "../parser/socket_packet.ts";

export type { Served, ServeOptions } from "./glue.ts";

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
   * Seconds Deno waits for a WebSocket pong of its own pings before closing;
   * `0` disables them. Off by default: the engine's heartbeat already drops
   * dead clients, and Deno 2.9 keeps every socket cut without a close frame
   * (about 3–4 KB of heap each) while its idle timer runs (README, "Deno and
   * abrupt disconnects").
   * @default 0
   */
  idleTimeout?: number;
}

// Deno's API, typed structurally so this file type-checks without Deno's lib
// and runs (unused) under Bun and Node.
interface DenoSocket {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "error", fn: (event: Event) => void): void;
  addEventListener(type: "message", fn: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", fn: (event: { code: number; reason: string }) => void): void;
}

interface HttpServer {
  readonly addr: { readonly hostname: string; readonly port: number };
  /** Rejects when the accept loop fails (EMFILE: out of file descriptors). */
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}

interface DenoGlobal {
  addSignalListener(signal: string, handler: () => void): void;
  removeSignalListener(signal: string, handler: () => void): void;
  listen(options: { port: number; hostname: string }): { close(): void };
  upgradeWebSocket(
    req: Request,
    options?: { idleTimeout?: number },
  ): { socket: DenoSocket; response: Response };
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
  ): HttpServer;
}

/**
 * Turns on `DEBUG=sio-edge:*` logging from the environment, but only when env
 * access is already granted: reading it otherwise would prompt on a terminal.
 */
function setDebugFromEnv(deno: DenoGlobal): void {
  debugFromEnv((name) =>
    deno.permissions.querySync?.({ name: "env", variable: name }).state === "granted"
      ? deno.env.get(name)
      : undefined
  );
}

function denoGlobal(): DenoGlobal {
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
  if (!deno) throw new TypeError("sio-edge/deno needs the Deno runtime");
  return deno;
}

/**
 * An {@link Upgrader} backed by `Deno.upgradeWebSocket`; binary frames arrive
 * as `Uint8Array`.
 */
export function upgrader(options: DenoUpgraderOptions = {}): Upgrader {
  return makeUpgrader(options, new Set());
}

function makeUpgrader(options: DenoUpgraderOptions, open: Set<DenoSocket>): Upgrader {
  const maxPayload = options.maxPayload ?? Infinity;
  const upgradeOptions = { idleTimeout: options.idleTimeout ?? 0 };
  return (req, events) => {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return undefined;
    let upgrade;
    try {
      upgrade = denoGlobal().upgradeWebSocket(req, upgradeOptions);
    } catch {
      return undefined; // not a valid WebSocket handshake
    }
    const { socket } = upgrade;
    open.add(socket);
    socket.addEventListener("close", () => open.delete(socket));
    wire(socket, guardEvents(events), maxPayload);
    return upgrade.response;
  };
}

function wire(socket: DenoSocket, events: WebSocketEvents, maxPayload: number): void {
  socket.binaryType = "arraybuffer";
  socket.addEventListener("open", () => events.onOpen(socket));
  socket.addEventListener("message", ({ data }) => {
    const message = typeof data === "string" ? data : toUint8Array(data as ArrayBuffer);
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
  return makeHandler(app, new Set());
}

function makeHandler(
  app: FetchApp,
  open: Set<DenoSocket>,
): (req: Request, info: DenoServeInfo) => Promise<Response> {
  const upgrade = makeUpgrader({ maxPayload: app.maxPayload }, open);
  return (req, info) => callApp(app, req, new Context(upgrade, info));
}

/**
 * The request context of one `Deno.serve` request. The peer's address is
 * looked up only when read (a handshake: an op per request otherwise), and
 * before an upgrade, after which Deno no longer has it. Its members live on
 * the prototype: read it as `ctx.x`, not spread.
 */
class Context implements RequestContext {
  readonly _upgrader: Upgrader;
  readonly _info: DenoServeInfo;
  _address: string | undefined | null = null;

  constructor(upgrader: Upgrader, info: DenoServeInfo) {
    this._upgrader = upgrader;
    this._info = info;
  }

  get remoteAddress(): string | undefined {
    if (this._address === null) this._address = this._info.remoteAddr.hostname;
    return this._address;
  }

  upgrade(...args: Parameters<Upgrader>): Response | undefined {
    void this.remoteAddress;
    return this._upgrader(...args);
  }

  get watchClientGone(): ClientGoneWatcher {
    return watchClientGone;
  }
}

/** The part of `Deno.serve`'s inner request that tells of a cancelled request. */
interface InnerRequest {
  onCancel?(callback: () => void): void;
}

/** The own symbol under which Deno's `Request` keeps its inner request, once found. */
let innerKey: symbol | undefined;

/**
 * The inner request of a `Deno.serve` request: what its `signal` getter asks
 * to be told of a cancelled request. `undefined` for any other `Request`.
 */
function innerRequest(req: Request): InnerRequest | undefined {
  const key = innerKey ??
    Object.getOwnPropertySymbols(req).find((s) => s.description === "request");
  if (key === undefined) return undefined;
  const inner = (req as unknown as Record<symbol, unknown>)[key] as InnerRequest | undefined;
  if (typeof inner?.onCancel !== "function") return undefined;
  innerKey = key;
  return inner;
}

/**
 * The `watchClientGone` of `Deno.serve` requests. Reading `req.signal` (the
 * engine's fallback) makes Deno build an `AbortSignal`, registered with a
 * `FinalizationRegistry`, for each held GET: most of what a polling round
 * trip cost over the official port. This asks the request's inner request
 * directly (`onCancel`, which is what the `signal` getter calls). The handler
 * info's `completed` cannot serve: it settles only after the answer is
 * written, also for a client that went away before. Where that inner request
 * is not found (a `Request` the app made, or another Deno), `undefined`
 * makes the engine listen to `req.signal` as before.
 *
 * Deno also calls back once a request completed normally (its legacy abort
 * behaviour); the engine stops the watch before it answers, so that call is
 * ignored.
 */
export const watchClientGone: ClientGoneWatcher = (req, gone) => {
  const inner = innerRequest(req);
  if (inner === undefined) return undefined;
  let watching = true;
  let armed = false;
  inner.onCancel!(() => {
    if (!watching) return;
    watching = false;
    // a request already closed calls back at once: tell the engine after the watch is set up
    if (armed) gone();
    else queueMicrotask(gone);
  });
  armed = true;
  return () => void (watching = false);
};

/** The first and the longest wait before listening again after the accept loop failed (ms). */
const RELISTEN_MIN_MS = 50;
const RELISTEN_MAX_MS = 1_000;
/**
 * How many descriptors must be free before `Deno.serve` is called again: it
 * registers a signal handler, and Deno 2.9 panics (ending the process) when
 * that finds no descriptor.
 */
const PROBE_FDS = 8;

/** The default of {@link DenoServeOptions.shedAfter}. */
export const DEFAULT_SHED_AFTER = 10_000;

/** Options of the Deno {@link serve}. */
export interface DenoServeOptions extends ServeOptions {
  /**
   * Milliseconds the server waits, once its accept loop failed for want of
   * file descriptors (EMFILE), for descriptors to come back before it closes
   * every connection of the failed loop to free them — idle connections
   * (which `Deno.serve` never times out) and open sessions alike; Socket.IO
   * clients reconnect.
   * @default 10000
   */
  shedAfter?: number;
}

/**
 * Serves `app` with `Deno.serve`. Binds all interfaces ("0.0.0.0", Deno's
 * default) unless `hostname` says otherwise; prints nothing.
 *
 * `Deno.serve` ends its accept loop for good when it runs out of file
 * descriptors (EMFILE), rejecting `finished` — unhandled, that rejection
 * ends the process. Here it is caught and the server listens again on the
 * same port, retrying with back-off until descriptors are free: new
 * connections are refused meanwhile, open ones (WebSockets, held polls)
 * carry on. `Deno.serve` has no header or idle timeout (SECURITY.md).
 */
export function serve(app: FetchApp, options: DenoServeOptions): Promise<Served> {
  const open = new Set<DenoSocket>();
  try {
    const deno = denoGlobal();
    setDebugFromEnv(deno);
    primeSignals(deno);
    const handle = makeHandler(app, open);
    const shedAfter = options.shedAfter ?? DEFAULT_SHED_AFTER;
    const listener = new Listener(deno, shedAfter, (port) =>
      deno.serve({
        port,
        ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
        onListen: () => {},
        onError: () => new Response(null, { status: 500 }),
      }, handle));
    // Deno binds synchronously: the address is known when serve() returns
    listener.listen(options.port);
    return Promise.resolve(served(app, listener, open));
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Makes Deno set up its signal handling now. It does so at the first signal
 * listener (of the app, of `Deno.serve`, of node:process) and needs file
 * descriptors for it; set up while descriptors are exhausted, Deno 2.9
 * panics and the process ends (ext/signals, `Too many open files`).
 */
function primeSignals(deno: DenoGlobal): void {
  const noop = () => {};
  try {
    deno.addSignalListener("SIGWINCH", noop);
    deno.removeSignalListener("SIGWINCH", noop);
  } catch {
    // no SIGWINCH (Windows): nothing to prime
  }
}

/** A `Deno.serve` server that listens again when its accept loop fails. */
class Listener {
  readonly #deno: DenoGlobal;
  readonly #shedAfter: number;
  readonly #start: (port: number) => HttpServer;
  /** When the accept loop failed, while descriptors are still short. */
  #failedAt: number | undefined;
  #server: HttpServer | undefined;
  /** Servers whose accept loop failed: their open connections still run. */
  #failed: HttpServer[] = [];
  #port = 0;
  #hostname = "";
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #delay = RELISTEN_MIN_MS;
  /** How many times the accept loop failed and the server listened again. */
  relistens = 0;

  constructor(deno: DenoGlobal, shedAfter: number, start: (port: number) => HttpServer) {
    this.#deno = deno;
    this.#shedAfter = shedAfter;
    this.#start = start;
  }

  get port(): number {
    return this.#port;
  }

  get hostname(): string {
    return this.#hostname;
  }

  listen(port: number): void {
    const server = this.#start(port);
    this.#server = server;
    this.#port = server.addr.port;
    this.#hostname = server.addr.hostname;
    this.#delay = RELISTEN_MIN_MS;
    server.finished.catch(() => {
      if (this.#stopped || this.#server !== server) return;
      this.#server = undefined;
      this.#failed.push(server);
      this.#failedAt = Date.now();
      this.#retry();
    });
  }

  #retry(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      if (!this.#descriptorsFree()) {
        if (Date.now() - this.#failedAt! >= this.#shedAfter) this.#shed();
        this.#delay = Math.min(this.#delay * 2, RELISTEN_MAX_MS);
        this.#retry();
        return;
      }
      try {
        this.listen(this.#port);
        this.relistens++;
        this.#failedAt = undefined;
      } catch {
        // still out of descriptors (or the port is taken): wait longer
        this.#delay = Math.min(this.#delay * 2, RELISTEN_MAX_MS);
        this.#retry();
      }
    }, this.#delay);
  }

  /** Whether a few descriptors can be had (opened and closed again at once). */
  #descriptorsFree(): boolean {
    const probes: { close(): void }[] = [];
    try {
      for (let i = 0; i < PROBE_FDS; i++) {
        probes.push(this.#deno.listen({ port: 0, hostname: "127.0.0.1" }));
      }
      return true;
    } catch {
      return false;
    } finally {
      for (const probe of probes) probe.close();
    }
  }

  /** Closes every connection of the failed accept loops, to get descriptors back. */
  #shed(): void {
    const failed = this.#failed;
    this.#failed = [];
    for (const server of failed) server.shutdown().catch(() => {});
  }

  async shutdown(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const servers = this.#server ? [this.#server, ...this.#failed] : this.#failed;
    await Promise.all(servers.map((s) => s.shutdown().catch(() => {})));
  }
}

function served(app: FetchApp, server: Listener, open: Set<DenoSocket>): Served {
  let closing: Promise<void> | undefined;
  const close = async () => {
    try {
      // the app first: it answers held polls, which shutdown() would wait for
      await app.close();
    } finally {
      // shutdown() cuts sockets short with 1001: let those the app closed finish
      const closingSockets = [...open].filter((socket) => socket.readyState === 2);
      await settleWithin(closingSockets.map(whenClosed), CLOSE_GRACE_MS);
      await server.shutdown();
    }
  };
  return {
    port: server.port,
    hostname: server.hostname,
    close: () => closing ??= close(),
  };
}

function whenClosed(socket: DenoSocket): Promise<void> {
  return new Promise((resolve) => socket.addEventListener("close", () => resolve()));
}
