/**
 * The Engine.IO v4 server as a Web-standard fetch handler.
 *
 * @module
 */

import { Emitter } from "../util/emitter.ts";
import { randomId } from "../util/id.ts";
import { createLogger } from "../util/logger.ts";
import { MemorySessionStore, type SessionStore } from "../store/session_store.ts";
import { applyCors } from "./cors.ts";
import {
  type ConnectionError,
  ERROR_MESSAGES,
  ErrorCode,
  errorResponse,
  upgradeErrorResponse,
} from "./errors.ts";
import {
  type EngineOptions,
  type ResolvedEngineOptions,
  resolveOptions,
  serializeCookie,
} from "./options.ts";
import type { FetchApp, RequestContext, WebSocketEvents } from "./ports.ts";
import { Polling } from "./polling.ts";
import { Deadlines } from "./_deadlines.ts";
import { queryOf, type QueryParams } from "./_query.ts";
import { contextFromArgs } from "./_runtime_probe.ts";
import { type Refusal, sessionId, type Verifier, verifyRequest } from "./_verify.ts";
import { EngineSocket, type SessionSettings } from "./socket.ts";
import { receivedBytes } from "./_received.ts";
import type { HeartbeatState } from "./heartbeat.ts";
import type { Transport, TransportName } from "./transport.ts";
import { WebSocketTransport } from "./websocket.ts";
import { type RequestHead, requestHead } from "./request_head.ts";

const debug = createLogger("sio-edge:engine");

/** Events of {@link EngineServer}. */
export type EngineServerEvents = {
  /** A new session completed its handshake. */
  connection: (socket: EngineSocket) => void;
  /** A request was refused with one of the protocol's error codes. */
  connection_error: (error: ConnectionError) => void;
  /** The headers of a handshake answer, before it is sent; may be changed. */
  initial_headers: (headers: Headers, req: Request) => void;
  /** The headers of every polling answer and WebSocket upgrade, before it is sent; may be changed. */
  headers: (headers: Headers, req: Request) => void;
};

/** A live WebSocket session a host takes over: what it kept of the session. */
export interface AdoptedSession {
  /** The session id. */
  readonly sid: string;
  /** The handshake request, as the session kept it (`EngineSocket.requestHead`). */
  readonly request: RequestHead;
  /** The client's address (`EngineSocket.remoteAddress`). */
  readonly remoteAddress: string;
  /** Where the heartbeat stood (`EngineSocket.heartbeat`). */
  readonly heartbeat: HeartbeatState;
}

/**
 * An Engine.IO v4 server: handshakes, long-polling, WebSocket, upgrades,
 * heartbeats and the protocol's errors, answering `Request`s with `Response`s.
 *
 * @example
 * ```ts ignore
 * import { EngineServer } from "sio-edge";
 * const engine = new EngineServer();
 * engine.on("connection", (socket) => socket.on("message", (m) => socket.send(m)));
 * Deno.serve(engine.handler());
 * ```
 */
export class EngineServer extends Emitter<EngineServerEvents> implements FetchApp {
  /** The resolved options. */
  readonly opts: ResolvedEngineOptions;
  #store: SessionStore<EngineSocket>;
  /** The body timeout of every polling POST (`bodyTimeout`), one timer for all. */
  readonly #bodyDeadlines: Deadlines;
  #settings: SessionSettings;
  #verifier: Verifier;

  /** Whether a request path equal to `opts.path` is what the URL parser makes of it. */
  readonly #plainPath: boolean;
  /** What answers the other requests under the path (the browser client files). */
  #beside?: (req: Request) => Promise<Response | undefined>;

  constructor(options: EngineOptions = {}) {
    super();
    this.opts = resolveOptions(options);
    // a path the URL parser leaves as it is (no escapes, no dot segments)
    this.#plainPath = /^[\w\-~/]*$/.test(this.opts.path.replace(/\./g, "_")) &&
      !/(^|\/)\.\.?(\/|$)/.test(this.opts.path);
    this.#store = options.store ?? new MemorySessionStore<EngineSocket>();
    const o = this.opts;
    this.#bodyDeadlines = new Deadlines(o.clock, o.bodyTimeout);
    this.#settings = {
      pingInterval: o.pingInterval,
      pingTimeout: o.pingTimeout,
      upgradeTimeout: o.upgradeTimeout,
      maxPayload: o.maxHttpBufferSize,
      maxBufferedBytes: o.maxBufferedBytes,
      upgrades: o.allowUpgrades && o.transports.includes("websocket") ? ["websocket"] : [],
      initialPacket: o.initialPacket,
      receivedBytes: receivedBytes(),
      clock: o.clock,
      heartbeatClock: o.heartbeatClock,
      // the store forgets a session as it closes
      closed: (session) => this.#store.delete(session.id),
    };
    this.#verifier = {
      transports: o.transports,
      allowRequest: o.allowRequest,
      allowEIO3: o.allowEIO3,
    };
  }

  /** How many sessions are open. */
  get clientsCount(): number {
    return this.#store.size;
  }

  /** The largest message a client may send, in bytes. */
  get maxPayload(): number {
    return this.opts.maxHttpBufferSize;
  }

  /** Whether WebSockets negotiate permessage-deflate (the `perMessageDeflate` option). */
  get perMessageDeflate(): boolean {
    return this.opts.perMessageDeflate !== undefined;
  }

  /** The open sessions. */
  clients(): IterableIterator<EngineSocket> {
    return this.#store.values();
  }

  /**
   * Lets `answer` take the requests under the engine's path that are not
   * exactly it (the browser client files, `/socket.io/socket.io.js`): asked
   * before the engine treats one as its own, never for the engine's own
   * requests, which cost nothing more; `undefined` leaves it to the engine.
   */
  serveBeside(answer: (req: Request) => Promise<Response | undefined>): void {
    this.#beside = answer;
  }

  /** Whether `url` is under the engine's path. */
  matches(url: URL): boolean {
    return url.pathname.startsWith(this.opts.path);
  }

  /**
   * A fetch handler: `Deno.serve(engine.handler())` works as is. Extra
   * arguments are read structurally (Deno's serve info, or a RequestContext).
   */
  handler(): (req: Request, ...runtimeArgs: unknown[]) => Promise<Response> {
    return (req, ...args) => this.handle(req, contextFromArgs(req, args));
  }

  /** Answers one request. Never throws: faults become the protocol's answers. */
  handle(req: Request, ctx: RequestContext = {}): Promise<Response> {
    // a bug of ours must not leak a stack trace to the client (#handle is
    // async: whatever it throws arrives as a rejection)
    return this.#handle(req, ctx).catch(internalError);
  }

  /**
   * The query of `url` when its path is exactly the engine's (how every
   * client asks), read without a URL parse; `undefined` for anything else.
   */
  #exactQuery(url: string): QueryParams | undefined {
    if (!this.#plainPath) return undefined;
    const path = this.opts.path;
    const scheme = url.indexOf("://");
    const start = scheme < 0 ? -1 : url.indexOf("/", scheme + 3);
    if (start < 0 || !url.startsWith(path, start)) return undefined;
    const end = start + path.length;
    if (url.length === end) return new URLSearchParams();
    if (url.charCodeAt(end) === 63 /* ? */ && !url.includes("#", end)) return queryOf(url, end + 1);
    return undefined;
  }

  /** The query of any other request under the path, from the parsed URL; `undefined` if not under it. */
  #parsedQuery(url: string): QueryParams | undefined {
    const parsed = new URL(url);
    return this.matches(parsed) ? parsed.searchParams : undefined;
  }

  async #handle(req: Request, ctx: RequestContext): Promise<Response> {
    const url = req.url;
    let query = this.#exactQuery(url);
    if (query === undefined) {
      const beside = this.#beside && await this.#beside(req);
      if (beside) return beside;
      query = this.#parsedQuery(url);
      if (!query) return new Response("Not Found", { status: 404 });
    }
    const headers = new Headers();
    const isUpgrade = req.headers.get("upgrade")?.toLowerCase() === "websocket";
    if (this.opts.cors) {
      const cors = await applyCors(req, this.opts.cors);
      if (cors.error !== undefined) {
        // the official server runs `cors` as a middleware, whose failure is code 3
        const context = { name: "MIDDLEWARE_FAILURE", error: cors.error };
        return this.#refuse(req, { code: ErrorCode.BAD_REQUEST, context }, isUpgrade, headers);
      }
      if (cors.preflight) return cors.preflight;
      for (const [k, v] of cors.headers) headers.append(k, v);
    }
    const sid = sessionId(query);
    // the one lookup: only a handshake awaits its checks, so the session is still live below
    const session = sid === undefined ? undefined : this.#store.get(sid);
    const facts = { isUpgrade, sid, sessionTransport: session?.transport.name };
    const verdict = verifyRequest(req, query, facts, this.#verifier);
    const refusal = verdict instanceof Promise ? await verdict : verdict;
    if (refusal) return this.#refuse(req, refusal, isUpgrade, headers);

    const transport = query.get("transport") as TransportName;
    if (session === undefined) return this.#handshake(req, query, transport, ctx, headers);
    if (transport === "websocket") return this.#upgrade(req, query, session, ctx, headers);
    return (session.transport as Polling).onRequest(
      req,
      headers,
      (h) => this.#pollingHeaders(req, h),
      ctx.plainResponse,
      ctx.boundsStalledBodies === true,
      ctx.watchClientGone,
    );
  }

  #refuse(req: Request, refusal: Refusal, isUpgrade: boolean, headers: Headers): Response {
    const { code, context } = refusal;
    debug("refused %s %s: code %d %j", req.method, req.url, code, context);
    this.emit("connection_error", { req, code, message: ERROR_MESSAGES[code], context });
    return isUpgrade ? upgradeErrorResponse(code, context) : errorResponse(code, context, headers);
  }

  async #handshake(
    req: Request,
    query: QueryParams,
    name: TransportName,
    ctx: RequestContext,
    headers: Headers,
  ): Promise<Response> {
    let id: string;
    try {
      id = this.opts.generateId ? await this.opts.generateId(req) : randomId();
      if (typeof id !== "string" || id === "" || this.#store.get(id)) throw new Error("invalid id");
    } catch (error) {
      return this.#refuse(
        req,
        {
          code: ErrorCode.BAD_REQUEST,
          context: { name: "ID_GENERATION_ERROR", error },
        },
        false,
        headers,
      );
    }
    const protocol = query.get("EIO") === "4" ? 4 : 3;
    const jsonp = query.get("j");
    const transport: Transport = name === "polling"
      ? new Polling(
        this.opts.maxHttpBufferSize,
        this.opts.clock,
        this.opts.httpCompression?.threshold,
        this.#bodyDeadlines,
        {
          // a JSONP answer is a script around a string: its binary always goes as base64
          v3: protocol === 3 ? { supportsBinary: !asksBase64(query) && jsonp === null } : undefined,
          jsonp: jsonp ?? undefined,
        },
      )
      : new WebSocketTransport(
        this.opts.maxHttpBufferSize,
        this.opts.perMessageDeflate?.threshold,
        protocol === 3,
        asksBase64(query),
      );
    let response: Response | undefined;
    // read before the upgrade: Deno forgets the headers of an upgraded request
    const handshakeRequest = requestHead(req);
    if (transport instanceof WebSocketTransport) {
      // the 101 carries what the listeners add (the official server sends no
      // cookie there: it sets it only on a polling transport's headers)
      this.emit("initial_headers", headers, req);
      this.emit("headers", headers, req);
      response = upgradeWith(ctx, req, transport.events, headers, this.perMessageDeflate);
      if (!response) {
        return this.#refuse(
          req,
          {
            code: ErrorCode.BAD_REQUEST,
            context: { name: "TRANSPORT_HANDSHAKE_ERROR", error: "websocket upgrade unavailable" },
          },
          true,
          headers,
        );
      }
    }
    const socket = new EngineSocket(
      id,
      handshakeRequest,
      ctx.remoteAddress ?? "",
      transport,
      this.#settings,
      protocol,
    );
    this.#track(id, socket);
    socket.open();
    if (transport instanceof Polling) {
      if (this.opts.cookie) headers.append("set-cookie", serializeCookie(this.opts.cookie, id));
      this.emit("initial_headers", headers, req);
      const decorate = (h: Headers) => this.#pollingHeaders(req, h);
      response = await transport.onRequest(
        req,
        headers,
        decorate,
        ctx.plainResponse,
        false,
        ctx.watchClientGone,
      );
    } else {
      copyHeaders(headers, response!);
    }
    debug("handshake %s over %s", id, transport.name);
    this.emit("connection", socket);
    return response!;
  }

  /** Stores the session until it closes (the settings' `closed` deletes it). */
  #track(id: string, socket: EngineSocket): void {
    this.#store.set(id, socket);
  }

  #upgrade(
    req: Request,
    query: QueryParams,
    session: EngineSocket,
    ctx: RequestContext,
    headers: Headers,
  ): Response {
    const refuse = (error: string) =>
      this.#refuse(
        req,
        {
          code: ErrorCode.BAD_REQUEST,
          context: { name: "TRANSPORT_HANDSHAKE_ERROR", error },
        },
        true,
        headers,
      );
    if (!this.opts.allowUpgrades) return refuse("upgrades are disabled");
    this.emit("headers", headers, req);
    if (session.upgrading || session.upgraded || session.transport.name !== "polling") {
      // the official server completes this handshake, then closes the socket at once
      debug("second websocket for %s: accepted, then closed", session.id);
      const response = upgradeWith(ctx, req, CLOSE_AT_ONCE, headers, this.perMessageDeflate);
      if (!response) return refuse("websocket upgrade unavailable");
      copyHeaders(headers, response);
      return response;
    }
    const transport = new WebSocketTransport(
      this.opts.maxHttpBufferSize,
      this.opts.perMessageDeflate?.threshold,
      session.protocol === 3,
      asksBase64(query),
    );
    const response = upgradeWith(ctx, req, transport.events, headers, this.perMessageDeflate);
    if (!response) return refuse("websocket upgrade unavailable");
    debug("upgrade of %s to websocket started", session.id);
    session.maybeUpgrade(transport);
    copyHeaders(headers, response);
    return response;
  }

  #pollingHeaders(req: Request, headers: Headers): void {
    const ua = req.headers.get("user-agent");
    // old Internet Explorer flags polling answers as XSS without this
    if (ua && (ua.includes(";MSIE") || ua.includes("Trident/"))) {
      headers.set("x-xss-protection", "0");
    }
    headers.set("cache-control", "no-store");
    this.emit("headers", headers, req);
  }

  /**
   * The one door for taking over a live WebSocket session after the process
   * that served it went away (a Durable Object woken from hibernation). The
   * engine builds the transport and hands its events to `connect`, which wires
   * them to the runtime's socket (and calls `onOpen` with it, as an upgrader
   * does); then the session, with the server's own settings, is registered and
   * its heartbeat carried on from `session.heartbeat`. Nothing is sent (no open
   * packet) and no `connection` event fires: the caller hands the session on.
   *
   * @throws {TypeError} when a session with this sid is open already
   */
  adopt(session: AdoptedSession, connect: (events: WebSocketEvents) => void): EngineSocket {
    const { sid } = session;
    if (this.#store.get(sid)) throw new TypeError(`session ${sid} is open already`);
    const transport = new WebSocketTransport(
      this.opts.maxHttpBufferSize,
      this.opts.perMessageDeflate?.threshold,
      false,
      // the client's `b64=1` is in the query of every request of its session
      asksBase64(new URL(session.request.url).searchParams),
    );
    connect(transport.events);
    const socket = new EngineSocket(
      sid,
      session.request,
      session.remoteAddress,
      transport,
      this.#settings,
    );
    this.#track(sid, socket);
    socket.resume(session.heartbeat);
    debug("adopted %s", sid);
    return socket;
  }

  /** Closes every session ("forced close") and stops every timer. */
  close(): void {
    for (const socket of [...this.#store.values()]) socket.close(true);
    this.#bodyDeadlines.stop();
  }
}

/**
 * Whether the client asks for binary as base64 text (`b64=1`: engine.io-client's
 * `forceBase64`, clients without binary support); any non-empty value, as the
 * official server reads it.
 */
function asksBase64(query: QueryParams): boolean {
  return Boolean(query.get("b64"));
}

/** Runs the runtime's upgrader; anything but a Response means it could not upgrade. */
function upgradeWith(
  ctx: RequestContext,
  req: Request,
  events: WebSocketEvents,
  headers: Headers,
  deflate: boolean,
): Response | undefined {
  const response: unknown = ctx.upgrade?.(req, events, headers, deflate);
  return response instanceof Response ? response : undefined;
}

/** The events of a WebSocket that is accepted only to be closed (no status, as `ws` sends it). */
const CLOSE_AT_ONCE: WebSocketEvents = {
  onOpen: (ws) => ws.close(),
  onMessage: () => {},
  onClose: () => {},
  onError: () => {},
};

function copyHeaders(from: Headers, to: Response): void {
  try {
    from.forEach((value, key) => to.headers.append(key, value));
  } catch {
    // some runtimes hand out upgrade responses with immutable headers
  }
}

function internalError(): Response {
  return new Response(null, { status: 500 });
}
