/**
 * Cloudflare Workers glue: a Durable Object class that hosts a Socket.IO
 * `Server`, and the Worker-side router that sends each request to the object
 * owning its session.
 *
 * A handshake (no `sid`) goes to the object that `shard(request)` names (one
 * object for the whole application by default); the object issues a sid that
 * carries its own id, so every later request — polling, WebSocket, upgrade —
 * reaches the same object. Inside it, WebSockets are accepted with the
 * hibernation API and the heartbeat runs on alarms: an idle object may be
 * evicted while its clients stay connected, and the object that wakes up
 * takes every session over with its sockets' ids, namespaces, rooms and
 * `data`.
 *
 * @example
 * ```ts ignore
 * import { defineSocketIO, router } from "sio-edge/cloudflare";
 *
 * export const SocketIO = defineSocketIO((io) => {
 *   io.on("connection", (socket) => {
 *     if (!socket.recovered) socket.join("lobby"); // re-run after a wake-up
 *     socket.on("chat", (text: string) => io.to("lobby").emit("chat", text));
 *   });
 * });
 *
 * export default router({ binding: "SOCKET_IO" });
 * ```
 *
 * @module
 */

import type { Server, ServerOptions } from "../../socket/server.ts";
import { ObjectHost } from "./_host.ts";
import { objectIdOfSid } from "./_sid.ts";
import type { CfObjectId, CfObjectNamespace, CfObjectState, CfWebSocket } from "./_types.ts";

export type {
  CfObjectId,
  CfObjectNamespace,
  CfObjectState,
  CfObjectStub,
  CfStorage,
  CfWebSocket,
} from "./_types.ts";

/** What the setup function of {@link defineSocketIO} gets besides the server. */
export interface SocketIOObjectContext<Env> {
  /** The Worker's bindings. */
  readonly env: Env;
  /** The Durable Object's state (`this.ctx`). */
  readonly ctx: CfObjectState;
}

/** Configures the server of one Durable Object instance: listeners, namespaces, middleware. */
export type SocketIOSetup<Env> = (io: Server, context: SocketIOObjectContext<Env>) => void;

/** The Durable Object that {@link defineSocketIO} makes. */
export interface SocketIODurableObject {
  /** The server, configured by the setup function. */
  readonly io: Server;
  /** Answers a request the router forwarded. */
  fetch(request: Request): Promise<Response>;
  /** Hibernation API: a frame arrived. */
  webSocketMessage(ws: CfWebSocket, message: string | ArrayBuffer): void;
  /** Hibernation API: a socket closed. */
  webSocketClose(ws: CfWebSocket, code: number, reason: string, wasClean: boolean): void;
  /** Hibernation API: a socket failed. */
  webSocketError(ws: CfWebSocket, error: unknown): void;
  /** The object's alarm (the heartbeat). */
  alarm(): void;
}

/** The class {@link defineSocketIO} returns; export it under the binding's `class_name`. */
export type SocketIODurableObjectClass<Env> = new (
  ctx: CfObjectState,
  env: Env,
) => SocketIODurableObject;

/**
 * Makes a Durable Object class that hosts a Socket.IO server. `setup` runs in
 * every new instance, including one woken from hibernation: there it is
 * followed by a `connection` event for every socket that stayed connected,
 * with `socket.recovered === true` and its id, rooms and `data` restored (the
 * official recovery contract), so listeners are attached again while
 * one-time work can be skipped.
 *
 * `options` are the server's (a function of `env` when they depend on it).
 * `clock` and `store` are the object's own; `generateId`, if given, makes the
 * part of the sid after the object's id.
 */
export function defineSocketIO<Env = unknown>(
  setup: SocketIOSetup<Env>,
  options: ServerOptions | ((env: Env) => ServerOptions) = {},
): SocketIODurableObjectClass<Env> {
  return class SocketIOObject implements SocketIODurableObject {
    #host: ObjectHost;

    constructor(ctx: CfObjectState, env: Env) {
      this.#host = new ObjectHost(ctx, typeof options === "function" ? options(env) : options);
      setup(this.#host.io, { env, ctx });
      // no event reaches the object before its sessions are taken over
      void ctx.blockConcurrencyWhile(() => this.#host.resumeAll());
    }

    get io(): Server {
      return this.#host.io;
    }

    fetch(request: Request): Promise<Response> {
      return this.#host.fetch(request);
    }

    webSocketMessage(ws: CfWebSocket, message: string | ArrayBuffer): void {
      this.#host.onMessage(ws, message);
    }

    webSocketClose(ws: CfWebSocket, code: number, reason: string, _wasClean: boolean): void {
      this.#host.onClose(ws, code, reason);
    }

    webSocketError(ws: CfWebSocket, error: unknown): void {
      this.#host.onError(ws, error);
    }

    alarm(): void {
      this.#host.onAlarm();
    }
  };
}

/** Options of {@link router}. */
export interface RouterOptions<Env> {
  /** The name of the Durable Object binding in `env`. @default "SOCKET_IO" */
  binding?: string;
  /** The server's path (its `path` option). @default "/socket.io/" */
  path?: string;
  /**
   * The name of the object a new session goes to.
   * @default every session goes to the object named "default"
   */
  shard?: (request: Request, env: Env) => string | Promise<string>;
  /** Answers requests outside `path`. @default 404 Not Found */
  fallback?: (request: Request, env: Env, ctx: unknown) => Response | Promise<Response>;
}

/** A Worker's module export: `export default router(...)`. */
export interface SocketIOWorker<Env> {
  /** The Worker's fetch handler. */
  fetch(request: Request, env: Env, ctx?: unknown): Promise<Response>;
}

/** The default shard: one object for the whole application. */
export const DEFAULT_SHARD = "default";

/**
 * The Worker that routes Socket.IO requests to their Durable Objects: a
 * handshake to the object `shard(request)` names, every other request to the
 * object named in its sid. A sid that names no object of this namespace goes
 * to the handshake's object, which answers 400 "Session ID unknown" with the
 * application's CORS headers.
 */
export function router<Env = Record<string, unknown>>(
  options: RouterOptions<Env> = {},
): SocketIOWorker<Env> {
  const binding = options.binding ?? "SOCKET_IO";
  const base = (options.path ?? "/socket.io").replace(/\/$/, "");
  // with or without the trailing slash (the server's `addTrailingSlash` option)
  const matches = (pathname: string) => pathname === base || pathname.startsWith(base + "/");
  const shard = options.shard ?? (() => DEFAULT_SHARD);
  return {
    async fetch(request, env, ctx) {
      if (!matches(new URL(request.url).pathname)) {
        return options.fallback
          ? options.fallback(request, env, ctx)
          : new Response("Not Found", { status: 404 });
      }
      const namespace = (env as Record<string, unknown>)[binding] as CfObjectNamespace | undefined;
      if (!namespace || typeof namespace.idFromName !== "function") {
        throw new TypeError(`No Durable Object binding "${binding}" in env`);
      }
      try {
        const id = await objectFor(request, namespace, (req) => shard(req, env));
        return await namespace.get(id).fetch(request);
      } catch {
        // a failing shard function, or an object that cannot be reached: never a stack trace
        return new Response(null, { status: 500 });
      }
    },
  };
}

/**
 * The id of the object that must answer `request`: the one named in its sid,
 * or — for a handshake, or a sid of no object of `namespace` — the one
 * `shard` names.
 */
export async function objectFor(
  request: Request,
  namespace: CfObjectNamespace,
  shard: (request: Request) => string | Promise<string>,
): Promise<CfObjectId> {
  const sid = new URL(request.url).searchParams.get("sid");
  const hex = sid === null ? undefined : objectIdOfSid(sid);
  if (hex !== undefined) {
    try {
      return namespace.idFromString(hex);
    } catch {
      // made up, or issued by another namespace: not ours to trust
    }
  }
  return namespace.idFromName(await shard(request));
}
