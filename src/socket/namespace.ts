/**
 * A Namespace: a communication channel with its own sockets, rooms (through
 * its adapter), middlewares and event handlers, multiplexed over the shared
 * connections.
 *
 * @module
 */

import type {
  Adapter,
  AdapterContext,
  AdapterNamespace,
  NativeFanout,
  Room,
  SocketId,
} from "../adapter/adapter.ts";
import { type ExtendedError, type Middleware, runMiddlewares } from "./_middleware.ts";
import { BroadcastOperator, type RemoteSocket } from "./broadcast_operator.ts";
import type { Client } from "./client.ts";
import type { ConnectionStateRecoveryOptions } from "./_settings.ts";
import type { Clock } from "../util/clock.ts";
import type { PacketEncoder } from "../parser/parser.ts";
import {
  type NamespaceReservedEventsMap,
  type NamespaceServer,
  type ServerReservedEventsMap,
  Socket,
  type SocketNamespace,
} from "./socket.ts";
import { assertNotReserved, type SocketState } from "./socket_types.ts";
import {
  type AllButLast,
  type DecorateAcknowledgements,
  type DecorateAcknowledgementsWithMultipleResponses,
  type DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  type DefaultEventsMap,
  type EventNames,
  type EventNamesWithAck,
  type EventNamesWithoutAck,
  type EventParams,
  type EventsMap,
  type FirstNonErrorArg,
  type Last,
  type RemoveAcknowledgements,
  StrictEventEmitter,
} from "./typed_events.ts";

export type { ExtendedError, Middleware };

export type { NamespaceReservedEventsMap, ServerReservedEventsMap };

/** Names `serverSideEmit()` refuses. */
const NAMESPACE_RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connection",
  "new_namespace",
]);

type Multi<E extends EventsMap, D> = BroadcastOperator<
  DecorateAcknowledgementsWithMultipleResponses<E>,
  D
>;

/**
 * What a namespace needs from its server, built once by the `Server` (as
 * `ClientContext` is for clients). A namespace reads nothing else of the
 * server, so it can be made (and tested) without one.
 */
export interface NamespaceContext<
  L extends EventsMap,
  E extends EventsMap,
  S extends EventsMap,
  D,
> {
  /** The server, for `nsp.server` (official API); the namespace itself reads only the rest. */
  readonly server: NamespaceServer<L, E, S, D>;
  /** The clock of every timer (acks, offsets). */
  readonly clock: Clock;
  /** Connection state recovery settings; `undefined` when disabled. */
  readonly recovery: Required<ConnectionStateRecoveryOptions> | undefined;
  /** The server's encoder when it has a custom parser (the built-in JSON codec otherwise). */
  readonly encoder: PacketEncoder | undefined;
  /** Whether a child namespace is removed once its last socket left. */
  readonly cleanupEmptyChildren: boolean;
  /** The runtime's native fan-out: set by the server once the glue installs one, read at each broadcast. */
  fanout: NativeFanout | undefined;
  /** A new adapter for `nsp`, from the server's current adapter setting. */
  makeAdapter(nsp: AdapterNamespace): Adapter;
  /** Records a new (child) namespace and announces it (`new_namespace`). */
  register(nsp: Namespace<L, E, S, D>): void;
  /** Forgets an emptied child namespace. */
  remove(nsp: Namespace<L, E, S, D>): void;
}

/**
 * A namespace such as `"/"` or `"/admin"`.
 *
 * @example
 * ```ts ignore
 * const admin = io.of("/admin");
 * admin.use((socket, next) => (socket.handshake.auth.token ? next() : next(new Error("no token"))));
 * admin.on("connection", (socket) => admin.to("ops").emit("joined", socket.id));
 * ```
 */
export class Namespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends StrictEventEmitter<
  ServerSideEvents,
  RemoveAcknowledgements<EmitEvents>,
  NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
> implements
  AdapterNamespace,
  SocketNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  /** The name, starting with "/". */
  readonly name: string;
  /** The connected sockets, by id. */
  readonly sockets: Map<SocketId, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> =
    new Map();
  /** The server. */
  readonly server: NamespaceServer<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The rooms and fan-out of this namespace. */
  adapter!: Adapter;
  /** Internal: what the adapter needs from the server. */
  readonly _adapterContext: AdapterContext;
  /** Internal: what the namespace (and its sockets) need from the server. */
  readonly _context: NamespaceContext<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** Internal: called when the last socket leaves (set for removable child namespaces). */
  _onEmpty: (() => void) | undefined;
  /** The connection middlewares. */
  protected _fns: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>[] = [];
  #ids = 0;

  /** Made by `io.of()`; not for applications. */
  constructor(
    context: NamespaceContext<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    name: string,
  ) {
    super();
    this.server = context.server;
    this._context = context;
    this.name = name;
    this._adapterContext = {
      clock: context.clock,
      maxDisconnectionDuration: context.recovery?.maxDisconnectionDuration ?? 0,
      encoder: context.encoder,
      nextAckId: () => this.#ids++,
      get fanout() {
        return context.fanout;
      },
    };
    this._initAdapter();
  }

  /** Internal: (re)creates the adapter from the server's adapter setting. */
  _initAdapter(): void {
    this.adapter = this._context.makeAdapter(this);
    void this.adapter.init();
  }

  /** Adds a connection middleware: `next()` admits the socket, `next(err)` refuses it. */
  use(fn: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this {
    this._fns.push(fn);
    return this;
  }

  /** A new broadcast over this namespace's adapter. */
  #operator(): Multi<EmitEvents, SocketData> {
    return new BroadcastOperator<
      DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
      SocketData
    >(this.adapter);
  }

  /** A broadcast to `room` (or rooms). */
  to(room: Room | Room[]): Multi<EmitEvents, SocketData> {
    return this.#operator().to(room);
  }

  /** Alias of {@link Namespace.to}. */
  in(room: Room | Room[]): Multi<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** A broadcast to every socket but those in `room` (or rooms). */
  except(room: Room | Room[]): Multi<EmitEvents, SocketData> {
    return this.#operator().except(room);
  }

  /** A broadcast with the compress flag set. */
  compress(compress: boolean): Multi<EmitEvents, SocketData> {
    return this.#operator().compress(compress);
  }

  /** A broadcast whose packets may be dropped for busy clients. */
  get volatile(): Multi<EmitEvents, SocketData> {
    return this.#operator().volatile;
  }

  /** A broadcast to this server's sockets only. */
  get local(): Multi<EmitEvents, SocketData> {
    return this.#operator().local;
  }

  /** A broadcast whose ack callback gets an error after `timeout` ms. */
  timeout(
    timeout: number,
  ): BroadcastOperator<
    DecorateAcknowledgements<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>>,
    SocketData
  > {
    return this.#operator().timeout(timeout);
  }

  /** Emits to every socket of the namespace. */
  emit<Ev extends EventNamesWithoutAck<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    return new BroadcastOperator<EmitEvents, SocketData>(this.adapter).emit(ev, ...args);
  }

  /** Sends a `message` event to every socket. */
  send(...args: EventParams<EmitEvents, "message">): this {
    new BroadcastOperator<EmitEvents, SocketData>(this.adapter).emit("message", ...args);
    return this;
  }

  /** Alias of {@link Namespace.send}. */
  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  /**
   * Sends an event to the other servers of the cluster. On a single server
   * there are none: nothing is delivered and an ack callback gets `(null, [])`.
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<
      DecorateAcknowledgementsWithTimeoutAndMultipleResponses<ServerSideEvents>,
      Ev
    >
  ): boolean {
    assertNotReserved(ev, NAMESPACE_RESERVED_EVENTS);
    this.adapter.serverSideEmit([ev, ...args]);
    return true;
  }

  /** Like {@link Namespace.serverSideEmit}, resolving with one response per other server. */
  serverSideEmitWithAck<Ev extends EventNamesWithAck<ServerSideEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<ServerSideEvents, Ev>>>[]> {
    return new Promise((resolve, reject) => {
      const ack = (err: (Error & { responses?: unknown }) | null, responses: unknown) => {
        if (err) {
          err.responses = responses;
          return reject(err);
        }
        resolve(responses as FirstNonErrorArg<Last<EventParams<ServerSideEvents, Ev>>>[]);
      };
      assertNotReserved(ev, NAMESPACE_RESERVED_EVENTS);
      this.adapter.serverSideEmit([ev, ...args, ack]);
    });
  }

  /** Internal: an event from another server (called by cluster adapters). */
  _onServerSideEmit(args: [string, ...unknown[]]): void {
    this.emitUntyped(...args);
  }

  /** Internal: announces a new namespace to `new_namespace` listeners of the main namespace. */
  _emitNewNamespace(nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    this.emitUntyped("new_namespace", nsp);
  }

  /** The ids of every socket. @deprecated use {@link Namespace.fetchSockets} */
  allSockets(): Promise<Set<SocketId>> {
    return new BroadcastOperator<EmitEvents, SocketData>(this.adapter).allSockets();
  }

  /** Every socket of the namespace. */
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return new BroadcastOperator<EmitEvents, SocketData>(this.adapter).fetchSockets();
  }

  /** Makes every socket join `room` (or rooms). */
  socketsJoin(room: Room | Room[]): void {
    new BroadcastOperator<EmitEvents, SocketData>(this.adapter).socketsJoin(room);
  }

  /** Makes every socket leave `room` (or rooms). */
  socketsLeave(room: Room | Room[]): void {
    new BroadcastOperator<EmitEvents, SocketData>(this.adapter).socketsLeave(room);
  }

  /** Disconnects every socket (closing the connections when `close`). */
  disconnectSockets(close = false): void {
    new BroadcastOperator<EmitEvents, SocketData>(this.adapter).disconnectSockets(close);
  }

  /** Internal: a client asked to connect; runs the middlewares, then `fn(socket)`. */
  async _add(
    client: Client<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    auth: Record<string, unknown>,
    fn: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Promise<void> {
    const socket = await this.#createSocket(client, auth);
    const recovery = this._context.recovery;
    if (recovery?.skipMiddlewares && socket.recovered && client.conn.readyState === "open") {
      return this.#doConnect(socket, fn);
    }
    runMiddlewares(this._fns, socket, (err) => {
      queueMicrotask(() => {
        if (client.conn.readyState !== "open") return socket._cleanup();
        if (err) {
          socket._cleanup();
          // a v2 client gets the error's data, or its message, alone
          if (client.conn.protocol === 3) return socket._error(err.data ?? err.message);
          return socket._error({ message: err.message, data: err.data });
        }
        this.#doConnect(socket, fn);
      });
    });
  }

  /**
   * Internal: takes over a socket that a host kept while its process was
   * suspended: no middleware and no CONNECT (the client is connected), then
   * `connection` with `socket.recovered` true so listeners are attached again.
   */
  _resume(
    client: Client<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    state: SocketState,
    fn: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): void {
    const session = { ...state, sid: state.id, pid: state.pid, missedPackets: [] };
    this.#doConnect(new Socket(this, client, state.auth, session), fn, false);
  }

  async #createSocket(
    client: Client<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    auth: Record<string, unknown>,
  ): Promise<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
    const { pid, offset } = auth;
    if (
      this._context.recovery && typeof pid === "string" &&
      typeof offset === "string"
    ) {
      try {
        const session = await this.adapter.restoreSession(pid, offset);
        if (session) return new Socket(this, client, auth, session);
      } catch {
        // a failing store means a fresh session, not a refused client
      }
    }
    return new Socket(this, client, auth);
  }

  #doConnect(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    fn: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
    announce = true,
  ): void {
    this.sockets.set(socket.id, socket);
    // the internal state comes first, so a handler that disconnects finds a consistent socket
    socket._onconnect(announce);
    fn(socket);
    this.emitReserved("connect", socket);
    this.emitReserved("connection", socket);
  }

  /** Internal: forgets a socket that left. */
  _remove(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (this.sockets.get(socket.id) !== socket) return;
    this.sockets.delete(socket.id);
    if (this.sockets.size === 0) this._onEmpty?.();
  }
}
