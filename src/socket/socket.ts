/**
 * A Socket: one client in one namespace. It sends events to its client,
 * dispatches the client's events to listeners, handles acknowledgements and
 * rooms, and builds broadcasts that leave itself out.
 *
 * @module
 */

import { type Packet, PacketType } from "../parser/socket_packet.ts";
import type {
  Adapter,
  AdapterConstructor,
  AdapterContext,
  AdapterSocket,
  BroadcastFlags,
  EncodedPacket,
  NativeFanout,
  PrivateSessionId,
  Room,
  Session,
  SocketId,
  WriteOptions,
} from "../adapter/adapter.ts";
import type { EngineServer } from "../engine/server.ts";
import type { EngineSocket } from "../engine/socket.ts";
import type { FetchApp, RequestContext } from "../engine/ports.ts";
import type { Clock } from "../util/clock.ts";
import { randomId } from "../util/id.ts";
import { createLogger } from "../util/logger.ts";
import { AckTable } from "./_acks.ts";
import { AnyListenersEmitter } from "./_any_listeners.ts";
import { buildHandshake, type Handshake } from "./_handshake.ts";
import { type Middleware, runMiddlewares } from "./_middleware.ts";
import type { ConnectionStateRecoveryOptions } from "./_settings.ts";
import { type Broadcaster, BroadcastOperator } from "./broadcast_operator.ts";
import type { Client } from "./client.ts";
import {
  assertNotReserved,
  type DisconnectReason,
  type ParentNspNameMatchFn,
  RECOVERABLE_DISCONNECT_REASONS,
  type SocketReservedEventsMap,
  type SocketState,
} from "./socket_types.ts";
import type {
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventNamesWithoutAck,
  EventParams,
  EventsMap,
  FirstNonErrorArg,
  Last,
  RemoveAcknowledgements,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
  StrictEventEmitter,
} from "./typed_events.ts";

/** An incoming event as `socket.use()` middlewares see it: `[name, ...args]`. */
// deno-lint-ignore no-explicit-any
export type Event = [string, ...any[]];

type State = "pending" | "connected" | "closed";

/** A session to take over: recovered from the adapter, or resumed by a host. */
type PreviousSession = Omit<Session, "pid"> & { pid: string | undefined; issued?: number };

type Broadcast<E extends EventsMap, D> = BroadcastOperator<
  DecorateAcknowledgementsWithMultipleResponses<E>,
  D
>;

const debug = createLogger("sio-edge:socket");

/** The flags of an emit with none set (shared; never written to). */
const NO_FLAGS: BroadcastFlags = Object.freeze({});

/** Lets an async adapter's failure be logged instead of becoming an unhandled rejection. */
function quietly(result: Promise<void> | void, what: string): void {
  if (result instanceof Promise) result.catch((err) => debug("%s failed: %s", what, err));
}

/**
 * One client in one namespace.
 *
 * @example
 * ```ts ignore
 * io.on("connection", (socket) => {
 *   socket.join("room1");
 *   socket.emit("hello", "world", (answer: string) => console.log(answer));
 *   socket.on("disconnect", (reason) => console.log(reason));
 * });
 * ```
 */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends AnyListenersEmitter<ListenEvents, EmitEvents, SocketReservedEventsMap>
  implements AdapterSocket {
  /** The socket id (random; not the Engine.IO session id). */
  readonly id: SocketId;
  /** Whether this socket resumed a previous one (connection state recovery). */
  readonly recovered: boolean;
  /** Free-form data, included in `fetchSockets()` and kept on recovery. */
  data: SocketData = {} as SocketData;
  /** The namespace of the socket (a `Namespace`). */
  readonly nsp: SocketNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The connection the socket runs on (shared with its other namespaces). */
  readonly client: Client<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;

  #state: State = "pending";
  #pid: PrivateSessionId | undefined;
  // made at the first use: most sockets never wait for an ack, have no
  // middleware, never set a flag and are never asked for their handshake
  #acks: AckTable | undefined;
  #fns: Middleware<Event>[] | undefined;
  #flags: BroadcastFlags | undefined;
  #handshake: Handshake | undefined;
  /** The CONNECT packet's `auth`, and when the socket was created: what the handshake adds. */
  readonly #auth: Record<string, unknown>;
  readonly #issued: number;

  /** Made by the namespace when a client connects; not for applications. */
  constructor(
    nsp: SocketNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: Client<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    auth: Record<string, unknown>,
    previousSession?: PreviousSession,
  ) {
    super();
    this.nsp = nsp;
    this.client = client;
    let issued = nsp._context.clock.now();
    if (previousSession) {
      this.id = previousSession.sid;
      this.#pid = previousSession.pid;
      quietly(this.join(previousSession.rooms), "restoring rooms");
      this.data = previousSession.data as SocketData;
      // sent before CONNECT: the official client buffers them until it is connected
      for (const data of previousSession.missedPackets) {
        this.#packet({ type: PacketType.EVENT, nsp: nsp.name, data });
      }
      this.recovered = true;
      issued = previousSession.issued ?? issued;
    } else {
      // never the Engine.IO id: that one is a secret of the connection — except for a
      // Socket.IO v2 client (Engine.IO v3), whose ids are derived from it, as officially
      this.id = client.conn.protocol !== 3
        ? randomId()
        : nsp.name === "/"
        ? client.id
        : `${nsp.name}#${client.id}`;
      if (nsp._context.recovery) this.#pid = randomId();
      this.recovered = false;
    }
    this.#auth = auth;
    this.#issued = issued;
  }

  /**
   * The details of the connection's handshake request, made at the first
   * read from what the socket was created with (always the same object).
   */
  get handshake(): Handshake {
    return this.#handshake ??= buildHandshake(
      this.client._handshakeRequest,
      this.client.conn.remoteAddress,
      this.#auth,
      this.#issued,
    );
  }

  /** The socket's ack table, made at its first use. */
  get #ackTable(): AckTable {
    return this.#acks ??= new AckTable(this.nsp._context.clock);
  }

  get #adapter(): Adapter {
    return this.nsp.adapter;
  }

  /** Whether the socket is connected to its namespace. */
  get connected(): boolean {
    return this.#state === "connected";
  }

  /** Whether the socket is not (yet, or any more) connected. */
  get disconnected(): boolean {
    return this.#state !== "connected";
  }

  /** The request that opened the connection. */
  get request(): Request {
    return this.client.request;
  }

  /** The Engine.IO session under the socket. */
  get conn(): EngineSocket {
    return this.client.conn;
  }

  /** The rooms the socket is in (its own id included). */
  get rooms(): Set<Room> {
    return this.#adapter.socketRooms(this.id) ?? new Set();
  }

  /**
   * Sends an event to the client; a trailing function gets the client's
   * acknowledgement. Reserved names (`connect`, `disconnect`, ...) throw.
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    assertNotReserved(ev);
    const data: unknown[] = [ev, ...args];
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp.name, data };
    const flags = this.#flags ?? NO_FLAGS;
    this.#flags = undefined;
    const last = data[data.length - 1];
    if (typeof last === "function") {
      data.pop();
      packet.id = this.nsp._adapterContext.nextAckId();
      this.#ackTable.register(packet.id, last as (...args: unknown[]) => void, flags.timeout);
    }
    if (this.nsp._context.recovery) {
      // through the adapter, so the packet gets an offset and is kept for a recovery
      this.#adapter.broadcast(packet, { rooms: new Set([this.id]), except: new Set(), flags });
      return true;
    }
    if (this.#state === "closed") return true;
    this.notifyOutgoing(data);
    this.#packet(packet, flags);
    return true;
  }

  /** Sends an event and resolves with the client's acknowledgement (rejects on `timeout()`). */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>> {
    const withError = this.#flags?.timeout !== undefined;
    return new Promise((resolve, reject) => {
      args.push((first: unknown, second: unknown) => {
        if (!withError) {
          return resolve(first as FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>);
        }
        if (first) return reject(first);
        resolve(second as FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>);
      });
      this.emit(ev, ...(args as unknown as EventParams<EmitEvents, Ev>));
    });
  }

  /** Sends a `message` event. */
  send(...args: EventParams<EmitEvents, "message">): this {
    this.emit("message", ...args);
    return this;
  }

  /** Alias of {@link Socket.send}. */
  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  /** Gives the next emit's ack callback an error after `timeout` ms without answer. */
  timeout(
    timeout: number,
  ): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>, ServerSideEvents, SocketData> {
    (this.#flags ??= {}).timeout = timeout;
    return this as unknown as Socket<
      ListenEvents,
      DecorateAcknowledgements<EmitEvents>,
      ServerSideEvents,
      SocketData
    >;
  }

  /** Sets whether the next emit may be compressed. */
  compress(compress: boolean): this {
    (this.#flags ??= {}).compress = compress;
    return this;
  }

  /** The next emit may be dropped if the client cannot take it right now. */
  get volatile(): this {
    (this.#flags ??= {}).volatile = true;
    return this;
  }

  /** A broadcast to every socket of the namespace but this one. */
  get broadcast(): Broadcast<EmitEvents, SocketData> {
    return this.#operator();
  }

  /** A broadcast limited to this server (like `broadcast` on a single server). */
  get local(): Broadcast<EmitEvents, SocketData> {
    return this.#operator().local;
  }

  /** A broadcast to `room` (or rooms), leaving this socket out. */
  to(
    room: Room | Room[],
  ): Broadcast<EmitEvents, SocketData> {
    return this.#operator().to(room);
  }

  /** Alias of {@link Socket.to}. */
  in(
    room: Room | Room[],
  ): Broadcast<EmitEvents, SocketData> {
    return this.#operator().in(room);
  }

  /** A broadcast to every socket but those in `room` (and this one). */
  except(
    room: Room | Room[],
  ): Broadcast<EmitEvents, SocketData> {
    return this.#operator().except(room);
  }

  #operator(): Broadcast<EmitEvents, SocketData> {
    const flags = this.#flags ?? {};
    this.#flags = undefined;
    return new BroadcastOperator(this.#adapter, new Set(), new Set([this.id]), flags);
  }

  /** Joins a room or several. Does nothing once the socket has left its namespace. */
  join(rooms: Room | Room[]): Promise<void> | void {
    if (this.#state === "closed") return;
    return this.#adapter.addAll(this.id, new Set(Array.isArray(rooms) ? rooms : [rooms]));
  }

  /** Leaves a room. */
  leave(room: Room): Promise<void> | void {
    return this.#adapter.del(this.id, room);
  }

  /** Leaves the namespace (with `close`, the whole connection). */
  disconnect(close = false): this {
    if (this.#state !== "connected") return this;
    if (close) {
      this.client._disconnect();
    } else {
      this.#packet({ type: PacketType.DISCONNECT, nsp: this.nsp.name });
      this._onclose("server namespace disconnect");
    }
    return this;
  }

  /** Adds a middleware for incoming events; `next(err)` drops the event and emits `error`. */
  use(fn: Middleware<Event>): this {
    (this.#fns ??= []).push(fn);
    return this;
  }

  #packet(packet: Packet, flags: BroadcastFlags = NO_FLAGS): void {
    this.client._packet(packet, { compress: flags.compress !== false, volatile: flags.volatile });
  }

  /** Internal: writes a packet the adapter encoded once for every recipient. */
  _sendEncoded(packet: Packet, encoded: EncodedPacket, opts: WriteOptions): void {
    this.notifyOutgoing(packet.data as unknown[]);
    this.client._writeEncoded(encoded, opts);
  }

  /**
   * Internal: the connection's WebSocket while a frame written past this
   * socket (the adapter's native fan-out) may stand in for `_sendEncoded`:
   * connected, no outgoing listeners, and the session lets it by.
   */
  _fanoutTarget(): unknown {
    if (this.#state !== "connected" || this.hasAnyOutgoing()) return undefined;
    return this.client.conn.directWebSocket;
  }

  /** Internal: waits for ACK `id` of a broadcast. */
  _expectAck(id: number, fn: (...args: unknown[]) => void): void {
    this.#ackTable.set(id, fn);
  }

  /** Internal: stops waiting for ACK `id`. */
  _forgetAck(id: number): void {
    this.#acks?.delete(id);
  }

  /**
   * Internal: the middlewares passed; joins its own room and answers CONNECT
   * (unless `announce` is false: a resumed socket's client is connected already).
   */
  _onconnect(announce = true): void {
    this.#state = "connected";
    quietly(this.join(this.id), "joining its own room");
    if (!announce) return;
    // a Socket.IO v2 client (Engine.IO v3) gets its CONNECT without data
    if (this.client.conn.protocol === 3) {
      this.#packet({ type: PacketType.CONNECT, nsp: this.nsp.name });
      return;
    }
    const data = this.#pid === undefined ? { sid: this.id } : { sid: this.id, pid: this.#pid };
    this.#packet({ type: PacketType.CONNECT, nsp: this.nsp.name, data });
  }

  /** Internal: a packet from the client for this namespace. */
  _onpacket(packet: Packet): void {
    switch (packet.type) {
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        return this.#onEvent(packet);
      case PacketType.ACK:
      case PacketType.BINARY_ACK:
        if (packet.id !== undefined) this.#acks?.resolve(packet.id, packet.data as unknown[]);
        return;
      case PacketType.DISCONNECT:
        this._onclose("client namespace disconnect");
    }
  }

  #onEvent(packet: Packet): void {
    // the decoded array is this event's own: it becomes the handler's arguments
    const args = packet.data as Event;
    // the official client accepts numeric event names; listeners are keyed by string
    if (typeof args[0] !== "string") args[0] = String(args[0]);
    if (packet.id !== undefined) args.push(this.#ackFn(packet.id));
    this.notifyIncoming(args);
    const fns = this.#fns;
    if (fns === undefined || fns.length === 0) {
      // what runMiddlewares does with no middleware, without its closures
      queueMicrotask(() => {
        if (this.#state === "connected") this.emitUntyped(...args);
      });
      return;
    }
    runMiddlewares(fns, args, (err) => {
      queueMicrotask(() => {
        if (err) return this._onerror(err);
        if (this.#state === "connected") this.emitUntyped(...args);
      });
    });
  }

  /** The callback an event handler calls to answer the client; only the first call counts. */
  #ackFn(id: number): (...args: unknown[]) => void {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent) return;
      sent = true;
      this.#packet({ type: PacketType.ACK, nsp: this.nsp.name, id, data: args });
    };
  }

  /** Internal: reports an error to the `error` listeners. */
  _onerror(err: Error): void {
    this.emitReserved("error", err);
  }

  /** Internal: the socket leaves its namespace for `reason`. */
  _onclose(reason: DisconnectReason, description?: unknown): void {
    if (this.#state !== "connected") return;
    this.emitReserved("disconnecting", reason, description);
    const recovery = this.nsp._context.recovery;
    if (recovery && this.#pid !== undefined && RECOVERABLE_DISCONNECT_REASONS.has(reason)) {
      const session = { sid: this.id, pid: this.#pid, rooms: [...this.rooms], data: this.data };
      quietly(this.#adapter.persistSession(session), "persisting the session");
    }
    this._cleanup();
    this.client._remove(this);
    this.#acks?.clear();
    this.emitReserved("disconnect", reason, description);
  }

  /** Internal: leaves every room and the namespace; no room can be joined after. */
  _cleanup(): void {
    this.#adapter.delAll(this.id);
    this.nsp._remove(this);
    this.#state = "closed";
  }

  /** Internal: what a host that suspends its process keeps of the socket. */
  _snapshot(): SocketState {
    const state: SocketState = {
      nsp: this.nsp.name,
      id: this.id,
      rooms: [...this.rooms].filter((room) => room !== this.id),
      data: this.data,
      auth: this.#handshake?.auth ?? this.#auth,
      issued: this.#handshake?.issued ?? this.#issued,
    };
    if (this.#pid !== undefined) state.pid = this.#pid;
    return state;
  }

  /** Internal: refuses the connection with a CONNECT_ERROR packet. */
  _error(data: unknown): void {
    this.#packet({ type: PacketType.CONNECT_ERROR, nsp: this.nsp.name, data });
  }
}

/** Events a namespace emits locally. */
export interface NamespaceReservedEventsMap<
  L extends EventsMap,
  E extends EventsMap,
  S extends EventsMap,
  D,
> {
  /** A client connected (passed the middlewares). */
  connect: (socket: Socket<L, E, S, D>) => void;
  /** Alias of `connect`. */
  connection: (socket: Socket<L, E, S, D>) => void;
}

/** Events the main namespace, and so the server, emits locally. */
export interface ServerReservedEventsMap<
  L extends EventsMap,
  E extends EventsMap,
  S extends EventsMap,
  D,
> extends NamespaceReservedEventsMap<L, E, S, D> {
  /**
   * A namespace was created (a `Namespace`; a method, so that a listener may
   * declare its parameter as `Namespace`).
   */
  new_namespace(namespace: SocketNamespace<L, E, S, D>): void;
}

/*
 * `socket.nsp` and `nsp.server` are typed by the two interfaces below, which
 * `Namespace` and `Server` implement (so they cannot drift). They are not the
 * classes themselves because namespace.ts makes the sockets and server.ts the
 * namespaces: naming those classes here would close an import cycle
 * (ARCHITECTURE.md, rule 5). Where the class type is needed,
 * `io.of(socket.nsp.name)` is the same object, typed as `Namespace`.
 */

/**
 * `socket.nsp`: the socket's namespace, with every public member of
 * `Namespace` and the same four generics.
 */
export interface SocketNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends
  StrictEventEmitter<
    ServerSideEvents,
    RemoveAcknowledgements<EmitEvents>,
    NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >,
  Broadcaster<EmitEvents, ServerSideEvents, SocketData> {
  /** The name, starting with "/". */
  readonly name: string;
  /** The connected sockets, by id. */
  readonly sockets: Map<SocketId, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>;
  /** The server. */
  readonly server: NamespaceServer<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The rooms and fan-out of this namespace. */
  readonly adapter: Adapter;
  /** Adds a connection middleware: `next()` admits the socket, `next(err)` refuses it. */
  use(fn: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this;
  /** Emits to every socket of the namespace. */
  emit<Ev extends EventNamesWithoutAck<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean;
  /** Internal: what the adapter needs from the server. */
  readonly _adapterContext: AdapterContext;
  /** Internal: the settings its sockets read. */
  readonly _context: {
    readonly clock: Clock;
    readonly recovery: Required<ConnectionStateRecoveryOptions> | undefined;
  };
  /** Internal: forgets a socket that left. */
  _remove(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void;
}

type ServerEvents<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> =
  ServerReservedEventsMap<L, E, S, D>;

/**
 * `nsp.server`: the server of a namespace, with every public member of
 * `Server` and the same four generics.
 */
export interface NamespaceServer<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends FetchApp, Broadcaster<EmitEvents, ServerSideEvents, SocketData> {
  /** The main namespace `"/"`. */
  readonly sockets: SocketNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The Engine.IO server underneath. */
  readonly engine: EngineServer;
  /** The path the server answers under. */
  path(): string;
  /** Gets how long a connection may stay without namespace (ms). */
  connectTimeout(): number;
  /** Sets how long a connection may stay without namespace (ms). */
  connectTimeout(v: number): this;
  /** Gets the adapter. */
  adapter(): AdapterConstructor;
  /** Sets the adapter (re-creating every namespace's adapter). */
  adapter(v: AdapterConstructor): this;
  /** Gets whether the official browser client is served under the path. */
  serveClient(): boolean;
  /** Sets whether the official browser client is served under the path. */
  serveClient(v: boolean): this;
  /** Answers one request. Never throws. */
  handle(req: Request, ctx?: RequestContext): Promise<Response>;
  /** A fetch handler: `Deno.serve(io.handler())`. */
  handler(): (req: Request, ...runtimeArgs: unknown[]) => Promise<Response>;
  /** Whether WebSocket compression is on. */
  readonly perMessageDeflate: boolean;
  /** The namespace `name`, created if needed (a parent namespace for a RegExp or a function). */
  of(
    name: string | RegExp | ParentNspNameMatchFn,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): SocketNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The namespaces by name (an official internal, read by tools such as the Admin UI). */
  readonly _nsps: Map<
    string,
    SocketNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >;
  /** The host hook for taking over a live session and its sockets. */
  adopt(conn: EngineSocket, sockets: readonly SocketState[]): void;
  /** The runtime hook for native fan-out. */
  useNativeFanout(fanout: NativeFanout): void;
  /** Disconnects every socket, closes the adapters and the engine; `fn` is called at the end. */
  close(fn?: (err?: Error) => void): Promise<void>;
  /** Adds a listener on the main namespace. */
  on<
    Ev extends ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener: ReservedOrUserListener<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this;
  /** Adds a one-time listener on the main namespace. */
  once<
    Ev extends ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener: ReservedOrUserListener<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this;
  /** Removes a listener from the main namespace. */
  off<
    Ev extends ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener?: ReservedOrUserListener<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this;
  /** Removes every listener of `ev` (or of every event) from the main namespace. */
  removeAllListeners(
    ev?: ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  ): this;
  /** The listeners of `ev` on the main namespace. */
  listeners<
    Ev extends ReservedOrUserEventNames<
      ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
  ): ReservedOrUserListener<
    ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    ServerSideEvents,
    Ev
  >[];
  /** Adds a connection middleware to the main namespace. */
  use(fn: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this;
}
