/**
 * The Socket.IO server: namespaces over an Engine.IO server, as one fetch
 * handler. Namespace-level methods on the server (`on`, `use`, `emit`, `to`,
 * ...) act on the main namespace `"/"`.
 *
 * @module
 */

import {
  Adapter,
  type AdapterConstructor,
  type AdapterNamespace,
  type NativeFanout,
  type NativeFanoutHost,
  type Room,
  type SocketId,
} from "../adapter/adapter.ts";
import { SessionAwareAdapter } from "../adapter/session_aware_adapter.ts";
import { EngineServer } from "../engine/server.ts";
import type { FetchApp, RequestContext } from "../engine/ports.ts";
import type { EngineSocket } from "../engine/socket.ts";
import type { ParentNspNameMatchFn, SocketState } from "./socket_types.ts";
import {
  type ConnectionStateRecoveryOptions,
  resolveSettings,
  type ServerOptions,
  type ServerSettings,
} from "./_settings.ts";
import type { Middleware } from "./_middleware.ts";
import type { BroadcastOperator, RemoteSocket } from "./broadcast_operator.ts";
import { Client, type ClientContext } from "./client.ts";
import type { Namespace, NamespaceContext } from "./namespace.ts";
import { NamespaceRegistry } from "./_namespace_registry.ts";
import type { NamespaceServer, ServerReservedEventsMap, Socket } from "./socket.ts";
import type {
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventNamesWithoutAck,
  EventParams,
  EventsMap,
  FirstNonErrorArg,
  Last,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from "./typed_events.ts";

export type { ConnectionStateRecoveryOptions, ServerOptions };

export type { ParentNspNameMatchFn };

type Multi<E extends EventsMap, D> = BroadcastOperator<
  DecorateAcknowledgementsWithMultipleResponses<E>,
  D
>;
type Reserved<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> =
  ServerReservedEventsMap<L, E, S, D>;
type ServerEventNames<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> =
  ReservedOrUserEventNames<
    Reserved<L, E, S, D>,
    S
  >;
type ServerListener<
  L extends EventsMap,
  E extends EventsMap,
  S extends EventsMap,
  D,
  Ev extends ServerEventNames<L, E, S, D>,
> = ReservedOrUserListener<Reserved<L, E, S, D>, S, Ev>;
type AnyNamespace = Namespace<EventsMap, EventsMap, EventsMap, unknown>;

/**
 * A Socket.IO server. It is a fetch app: `Deno.serve(io.handler())`, or
 * `serve(io, { port })` from `sio-edge/deno|bun|node`.
 *
 * @example In process: a handshake answered by `handle()`
 * ```ts
 * import { Server } from "./server.ts";
 * const io = new Server();
 * const res = await io.handle(new Request("http://localhost/socket.io/?EIO=4&transport=polling"));
 * const open = await res.text();
 * if (!open.startsWith('0{"sid":')) throw new Error(open);
 * await io.close();
 * ```
 *
 * @example Served by Deno
 * ```ts ignore
 * const io = new Server({ cors: { origin: "*" } });
 * io.on("connection", (socket) => {
 *   socket.on("chat", (text: string) => io.emit("chat", text));
 * });
 * Deno.serve(io.handler());
 * ```
 */
export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> implements
  FetchApp,
  NativeFanoutHost,
  NamespaceServer<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  /** The main namespace `"/"`. */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The Engine.IO server underneath. */
  readonly engine: EngineServer;
  #settings: ServerSettings;
  #adapter: AdapterConstructor;
  #connectTimeout: number;
  #serveClient: boolean;
  #registry: NamespaceRegistry<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  #clientContext: ClientContext<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  #namespaceContext: NamespaceContext<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;

  /** Makes a server; every Engine.IO option is passed to the engine. */
  constructor(opts: ServerOptions = {}) {
    const {
      connectTimeout: _t,
      connectionStateRecovery: _r,
      cleanupEmptyChildNamespaces: _c,
      maxDepth: _d,
      maxEncodeDepth: _e,
      parser: _p,
      serveClient,
      adapter,
      ...rest
    } = opts;
    this.#serveClient = serveClient !== false;
    this.#settings = resolveSettings(opts);
    this.#connectTimeout = this.#settings.connectTimeout;
    this.#adapter = adapter ??
      (this.#settings.connectionStateRecovery ? SessionAwareAdapter : Adapter);
    this.engine = new EngineServer({
      ...rest,
      path: this.#settings.path,
      clock: this.#settings.clock,
    });
    this.engine.serveBeside((req) => this.#clientFile(req));
    this.#clientContext = {
      clock: this.#settings.clock,
      connectTimeout: () => this.#connectTimeout,
      maxDepth: this.#settings.maxDepth,
      parser: this.#settings.parser,
      encoder: this.#settings.encoder,
      lookupNamespace: (name, auth, fn) => this.#registry.lookup(name, auth, fn),
    };
    const namespaceContext: NamespaceContext<
      ListenEvents,
      EmitEvents,
      ServerSideEvents,
      SocketData
    > = this.#namespaceContext = {
      server: this,
      clock: this.#settings.clock,
      recovery: this.#settings.connectionStateRecovery,
      encoder: this.#settings.encoder,
      cleanupEmptyChildren: this.#settings.cleanupEmptyChildNamespaces,
      fanout: undefined,
      makeAdapter: (nsp) => makeAdapter(this.#adapter, nsp),
      register: (nsp) => this.#registry.register(nsp),
      remove: (nsp) => this.#registry.remove(nsp),
    };
    this.#registry = new NamespaceRegistry(
      namespaceContext,
      (nsp) => this.sockets._emitNewNamespace(nsp),
    );
    this.engine.on("connection", (conn) => void new Client(this.#clientContext, conn));
    this.sockets = this.of("/");
  }

  /** The path the server answers under (without trailing slash, like the official getter). */
  path(): string {
    return this.#settings.path;
  }

  /** Gets, or sets, how long a connection may stay without namespace (ms). */
  connectTimeout(): number;
  connectTimeout(v: number): this;
  connectTimeout(v?: number): number | this {
    if (v === undefined) return this.#connectTimeout;
    this.#connectTimeout = v;
    return this;
  }

  /** Gets, or sets (re-creating every namespace's adapter), the adapter. */
  adapter(): AdapterConstructor;
  adapter(v: AdapterConstructor): this;
  adapter(v?: AdapterConstructor): AdapterConstructor | this {
    if (v === undefined) return this.#adapter;
    this.#adapter = v;
    for (const nsp of this._nsps.values()) nsp._initAdapter();
    return this;
  }

  /** Gets, or sets, whether the official browser client is served under the path. */
  serveClient(): boolean;
  serveClient(v: boolean): this;
  serveClient(v?: boolean): boolean | this {
    if (v === undefined) return this.#serveClient;
    this.#serveClient = v;
    return this;
  }

  /** Answers one request (the FetchApp contract). Never throws. */
  handle(req: Request, ctx?: RequestContext): Promise<Response> {
    // the browser client files are the engine's `serveBeside` (asked only off its exact path)
    return this.engine.handle(req, ctx);
  }

  /** A fetch handler: `Deno.serve(io.handler())`. */
  handler(): (req: Request, ...runtimeArgs: unknown[]) => Promise<Response> {
    return this.engine.handler();
  }

  /** The browser client file `req` asks for, if any; the bundles load on first use. */
  async #clientFile(req: Request): Promise<Response | undefined> {
    if (!this.#serveClient || !req.url.includes(this.#settings.path + "/socket.io.")) {
      return undefined;
    }
    try {
      const { serveClientFile } = await import("./client_assets.ts");
      return await serveClientFile(req, this.#settings.path, this.engine.opts.cors);
    } catch {
      return undefined;
    }
  }

  /** Whether WebSocket compression (permessage-deflate) is negotiated: the engine's option. */
  get perMessageDeflate(): boolean {
    return this.engine.perMessageDeflate;
  }

  /** The largest WebSocket message a client may send, in bytes. */
  get maxPayload(): number {
    return this.engine.maxPayload;
  }

  /**
   * The namespace `name`, created if needed; with a RegExp or a function, a
   * parent namespace whose children are created when clients connect.
   */
  of(
    name: string | RegExp | ParentNspNameMatchFn,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    return this.#registry.of(name, fn);
  }

  /** The namespaces by name (an official internal, read by tools such as the Admin UI). */
  get _nsps(): Map<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
    return this.#registry.nsps;
  }

  /**
   * The host hook for taking over a live session and its sockets after the
   * process was suspended (a hibernating Durable Object): `conn` comes from
   * `engine.adopt(...)`, `sockets` from what the host kept of
   * each socket's
   * `_snapshot()`. Each socket gets a `connection` event with
   * `socket.recovered === true`; nothing is sent, except a DISCONNECT for a
   * namespace that no longer exists.
   */
  adopt(conn: EngineSocket, sockets: readonly SocketState[]): void {
    const client = new Client(this.#clientContext, conn);
    for (const state of sockets) client._resume(state);
  }

  /**
   * The runtime hook for native fan-out: the glue (`sio-edge/bun`) hands its
   * listener's pub/sub here once, and every namespace's adapter then writes a
   * room broadcast once for the WebSocket members that fan-out accepts. The
   * first fan-out stays (sockets of another listener are reached one by one).
   */
  useNativeFanout(fanout: NativeFanout): void {
    this.#namespaceContext.fanout ??= fanout;
  }

  /**
   * Disconnects every socket ("server shutting down"), closes the adapters and
   * the engine (every connection closes). `fn` is called at the end.
   */
  async close(fn?: (err?: Error) => void): Promise<void> {
    await Promise.allSettled([...this._nsps.values()].map(async (nsp) => {
      for (const socket of [...nsp.sockets.values()]) socket._onclose("server shutting down");
      await nsp.adapter.close();
    }));
    this.engine.close();
    fn?.();
  }

  /** Adds a listener on the main namespace (`connection`, or an event of another server). */
  on<Ev extends ServerEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    ev: Ev,
    listener: ServerListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    this.#main.on(ev, listener as never);
    return this;
  }

  /** Adds a one-time listener on the main namespace. */
  once<Ev extends ServerEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    ev: Ev,
    listener: ServerListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    this.#main.once(ev, listener as never);
    return this;
  }

  /** Removes a listener from the main namespace. */
  off<Ev extends ServerEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    ev: Ev,
    listener?: ServerListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    this.#main.off(ev, listener as never);
    return this;
  }

  /** Removes every listener of `ev` (or of every event) from the main namespace. */
  removeAllListeners(
    ev?: ServerEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  ): this {
    this.#main.removeAllListeners(ev);
    return this;
  }

  /** The listeners of `ev` on the main namespace. */
  listeners<Ev extends ServerEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    ev: Ev,
  ): ServerListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>[] {
    return this.#main.listeners(ev) as ServerListener<
      ListenEvents,
      EmitEvents,
      ServerSideEvents,
      SocketData,
      Ev
    >[];
  }

  /** The main namespace, typed with the server's reserved events. */
  get #main(): AnyNamespace {
    return this.sockets as unknown as AnyNamespace;
  }

  /** Adds a connection middleware to the main namespace. */
  use(fn: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this {
    this.sockets.use(fn);
    return this;
  }

  /** A broadcast to `room` (or rooms) of the main namespace. */
  to(room: Room | Room[]): Multi<EmitEvents, SocketData> {
    return this.sockets.to(room);
  }

  /** Alias of {@link Server.to}. */
  in(room: Room | Room[]): Multi<EmitEvents, SocketData> {
    return this.sockets.in(room);
  }

  /** A broadcast to every socket but those in `room` (or rooms). */
  except(room: Room | Room[]): Multi<EmitEvents, SocketData> {
    return this.sockets.except(room);
  }

  /** Emits to every socket of the main namespace. */
  emit<Ev extends EventNamesWithoutAck<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    return this.sockets.emit(ev, ...args);
  }

  /** Sends a `message` event to every socket of the main namespace. */
  send(...args: EventParams<EmitEvents, "message">): this {
    this.sockets.send(...args);
    return this;
  }

  /** Alias of {@link Server.send}. */
  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  /** Sends an event to the other servers (none on a single server; an ack gets `(null, [])`). */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<
      DecorateAcknowledgementsWithTimeoutAndMultipleResponses<ServerSideEvents>,
      Ev
    >
  ): boolean {
    return this.sockets.serverSideEmit(ev, ...args);
  }

  /** Like {@link Server.serverSideEmit}, resolving with one response per other server. */
  serverSideEmitWithAck<Ev extends EventNamesWithAck<ServerSideEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<ServerSideEvents, Ev>>>[]> {
    return this.sockets.serverSideEmitWithAck(ev, ...args);
  }

  /** The ids of every socket of the main namespace. @deprecated use {@link Server.fetchSockets} */
  allSockets(): Promise<Set<SocketId>> {
    return this.sockets.allSockets();
  }

  /** A broadcast with the compress flag set. */
  compress(compress: boolean): Multi<EmitEvents, SocketData> {
    return this.sockets.compress(compress);
  }

  /** A broadcast whose packets may be dropped for busy clients. */
  get volatile(): Multi<EmitEvents, SocketData> {
    return this.sockets.volatile;
  }

  /** A broadcast to this server's sockets only. */
  get local(): Multi<EmitEvents, SocketData> {
    return this.sockets.local;
  }

  /** A broadcast whose ack callback gets an error after `timeout` ms. */
  timeout(
    timeout: number,
  ): BroadcastOperator<
    DecorateAcknowledgements<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>>,
    SocketData
  > {
    return this.sockets.timeout(timeout);
  }

  /** Every socket of the main namespace. */
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.sockets.fetchSockets();
  }

  /** Makes every socket of the main namespace join `room` (or rooms). */
  socketsJoin(room: Room | Room[]): void {
    this.sockets.socketsJoin(room);
  }

  /** Makes every socket of the main namespace leave `room` (or rooms). */
  socketsLeave(room: Room | Room[]): void {
    this.sockets.socketsLeave(room);
  }

  /** Disconnects every socket of the main namespace (closing connections when `close`). */
  disconnectSockets(close = false): void {
    this.sockets.disconnectSockets(close);
  }
}

/** The adapter of `nsp` from an adapter setting: a class, or a factory function. */
function makeAdapter(ctor: AdapterConstructor, nsp: AdapterNamespace): Adapter {
  const isClass = ctor === Adapter ||
    (ctor as { prototype?: unknown }).prototype instanceof Adapter;
  return isClass
    ? new (ctor as new (nsp: AdapterNamespace) => Adapter)(nsp)
    : (ctor as (nsp: AdapterNamespace) => Adapter)(nsp);
}
