/**
 * Hono middleware that mounts a sio-edge server (a Socket.IO `Server` or an
 * `EngineServer`) on a Hono app: requests under the server's path go to it,
 * every other request goes on to the next handler. Hono's own middleware
 * (`cors()`, `logger()`, ...) runs around it as for any route.
 *
 * The same app code runs on each runtime; only the way the runtime is started
 * differs, because WebSocket upgrades are the runtime's business:
 *
 * - **Deno**: `Deno.serve(app.fetch)`. Upgrades use `Deno.upgradeWebSocket`.
 * - **Bun**: Bun needs a `websocket` handlers object next to `fetch`; take it
 *   from `sio-edge/bun`: `const { websocket, idleTimeout } = createBunHandlers(io)`,
 *   then `Bun.serve({ fetch: app.fetch, websocket, idleTimeout })` (or
 *   `export default { fetch: app.fetch, websocket, idleTimeout }`; `idleTimeout`
 *   outlasts a held polling request). Hono passes Bun's server as `c.env`,
 *   which is how the middleware reaches `server.upgrade()`.
 * - **Node**: `@hono/node-server` serves HTTP; Node delivers WebSocket
 *   handshakes on the server's `upgrade` event, which never reaches Hono, so
 *   add `server.on("upgrade", createNodeHandlers(io).upgrade)` from
 *   `sio-edge/node`.
 * - **Cloudflare Workers**: sessions live in Durable Objects, so the Worker
 *   mounts the `router()` of `sio-edge/cloudflare` instead of a `Server`:
 *   `app.use(socketIo(router({ binding: "SOCKET_IO" })))`; Hono's `c.env` and
 *   `c.executionCtx` are passed on to it.
 * - Anything else: pass {@link SocketIoOptions.context} to supply the
 *   runtime's upgrader.
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { cors } from "hono/cors";
 * import { Server } from "sio-edge";
 * import { socketIo } from "sio-edge/hono";
 *
 * const io = new Server();
 * io.on("connection", (socket) => socket.emit("hello"));
 * const app = new Hono();
 * app.use(cors());
 * app.use(socketIo(io));
 * app.get("/", (c) => c.text("hello"));
 * Deno.serve(app.fetch);
 * ```
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import type { FetchApp, RequestContext, Upgrader } from "../engine/ports.ts";
import type { NativeFanoutHost } from "../adapter/adapter.ts";
import { bunFanout, type BunServer, bunUpgrade } from "../runtime/bun.ts";
import { upgrader as denoUpgrader } from "../runtime/deno.ts";
import { callApp } from "../runtime/glue.ts";

/**
 * A server the middleware can mount: a fetch app that tells which URLs are
 * its own, by `matches(url)` (like `EngineServer`), through its `engine`, or
 * by `path()` (like the Socket.IO `Server`, whose path has no trailing slash).
 */
export interface MountableApp extends FetchApp, Partial<NativeFanoutHost> {
  /** Whether `url` is under the server's path (e.g. `/socket.io/`). */
  matches?(url: URL): boolean;
  /** The Engine.IO server underneath, whose `matches` is used when the app has none. */
  readonly engine?: { matches(url: URL): boolean };
  /** The path the server answers under, e.g. `"/socket.io"`. */
  path?(): string;
}

/**
 * A Worker-style handler that routes Socket.IO requests elsewhere, such as
 * the `router()` of `sio-edge/cloudflare` (which forwards to Durable Objects).
 */
export interface FetchWorker {
  /** Answers a request with the Worker's `env` and execution context. */
  fetch(request: Request, env: unknown, ctx?: unknown): Response | Promise<Response>;
}

/** Options of {@link socketIo}. */
export interface SocketIoOptions {
  /**
   * The path a {@link FetchWorker} answers under (a `Server` knows its own).
   * @default "/socket.io/"
   */
  path?: string;
  /**
   * Builds the request context (the WebSocket upgrader and the peer's
   * address) from Hono's context, for runtimes the middleware does not
   * recognise by themselves.
   * @default recognises Deno, Bun and `@hono/node-server` from `c.env`
   */
  context?: (c: Context) => RequestContext;
}

/**
 * Mounts `app` on a Hono app: requests under its path are answered by it
 * (including WebSocket upgrades where the runtime allows them), all others
 * fall through to `next()`.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { EngineServer } from "../engine/server.ts";
 * import { socketIo } from "./hono.ts";
 *
 * const engine = new EngineServer();
 * const app = new Hono();
 * app.use(socketIo(engine));
 * app.get("/", (c) => c.text("home"));
 * const res = await app.request("/engine.io/?EIO=4&transport=polling");
 * if (!(await res.text()).startsWith("0{")) throw new Error("no handshake");
 * await engine.close();
 * ```
 */
export function socketIo(
  app: MountableApp | FetchWorker,
  options: SocketIoOptions = {},
): MiddlewareHandler {
  if (!isFetchApp(app)) return workerMiddleware(app, options.path ?? "/socket.io/");
  const context = options.context ?? runtimeContext(app);
  const matches = matcher(app);
  return async (c, next) => {
    if (!matches(new URL(c.req.url))) {
      await next();
      return;
    }
    return await callApp(app, c.req.raw, context(c));
  };
}

function isFetchApp(app: MountableApp | FetchWorker): app is MountableApp {
  return typeof (app as Partial<MountableApp>).handle === "function";
}

function workerMiddleware(worker: FetchWorker, path: string): MiddlewareHandler {
  if (typeof worker?.fetch !== "function") {
    throw new TypeError("socketIo() needs a Server (handle) or a Worker router (fetch)");
  }
  const matches = pathMatcher(path);
  return async (c, next) => {
    if (!matches(new URL(c.req.url))) {
      await next();
      return;
    }
    let executionCtx: unknown;
    try {
      executionCtx = c.executionCtx;
    } catch {
      // Hono throws when the runtime gave no execution context (outside Workers)
    }
    try {
      return await worker.fetch(c.req.raw, c.env, executionCtx);
    } catch {
      return new Response(null, { status: 500 }); // no stack trace reaches a client
    }
  };
}

function matcher(app: MountableApp): (url: URL) => boolean {
  if (typeof app.matches === "function") return (url) => app.matches!(url);
  const engine = app.engine;
  if (typeof engine?.matches === "function") return (url) => engine.matches(url);
  if (typeof app.path === "function") return pathMatcher(app.path());
  throw new TypeError("socketIo() needs a server with matches(url), an engine, or path()");
}

/** `/socket.io` and `/socket.io/` both match `/socket.io`, `/socket.io/…` but not `/socket.iox`. */
function pathMatcher(path: string): (url: URL) => boolean {
  const base = path.replace(/\/$/, "");
  return ({ pathname }) => pathname === base || pathname.startsWith(`${base}/`);
}

/** The request context, read from what each runtime passes Hono as `c.env`. */
function runtimeContext(app: MountableApp): (c: Context) => RequestContext {
  const deno = denoUpgrader({ maxPayload: app.maxPayload });
  let handed: BunServer | undefined;
  return (c) => {
    const env: unknown = c.env;
    if (!env || typeof env !== "object") return {};
    const bun = bunServer(env);
    if (bun) {
      // Bun's pub/sub goes down to a Socket.IO server's adapters once
      if (handed !== bun) app.useNativeFanout?.(bunFanout(handed = bun));
      return { upgrade: bunUpgrader(bun), remoteAddress: bun.requestIP(c.req.raw)?.address };
    }
    if (isDenoInfo(env)) {
      return { upgrade: deno, remoteAddress: env.remoteAddr.hostname };
    }
    if (isNodeBindings(env)) return { remoteAddress: env.incoming.socket?.remoteAddress };
    return {};
  };
}

/** Bun passes its server as `env` (or, with some setups, as `env.server`). */
function bunServer(env: object): BunServer | undefined {
  const candidate = "server" in env ? (env as { server: unknown }).server : env;
  const server = candidate as Partial<BunServer> | null | undefined;
  return typeof server?.upgrade === "function" && typeof server.requestIP === "function"
    ? server as BunServer
    : undefined;
}

/**
 * Upgrades through Bun's server. The socket's `data` has the shape the
 * `websocket` handlers of `sio-edge/bun` expect, which is why those handlers
 * must be passed to `Bun.serve`.
 */
function bunUpgrader(server: BunServer): Upgrader {
  let upgraded = false;
  return (req, events) => {
    if (upgraded) return undefined;
    // the same socket data as sio-edge/bun (broadcasts go out through Bun's pub/sub)
    upgraded = bunUpgrade(server, req, events);
    // Bun writes the 101 itself and ignores what the handler returns
    return upgraded ? new Response(null) : undefined;
  };
}

function isDenoInfo(
  env: object,
): env is { remoteAddr: { hostname?: string } } {
  const addr = (env as { remoteAddr?: unknown }).remoteAddr;
  return typeof addr === "object" && addr !== null;
}

function isNodeBindings(
  env: object,
): env is { incoming: { socket?: { remoteAddress?: string } } } {
  const incoming = (env as { incoming?: unknown }).incoming;
  return typeof incoming === "object" && incoming !== null;
}
