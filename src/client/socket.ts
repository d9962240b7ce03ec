/**
 * The client's Socket: one namespace over a Manager's connection, with
 * socket.io-client 4.8's API and behaviour: buffering while disconnected,
 * acknowledgements (with timeouts), `volatile`/`compress`/`timeout()`
 * flags, catch-all listeners, the `retries` at-least-once queue, and
 * connection state recovery (pid + offset).
 *
 * @module
 */

import type { Packet } from "../parser/socket_packet.ts";
import { RESERVED } from "./_codec.ts";
import { Emitter, type Listener, subscribe } from "./_emitter.ts";
import type { EngineCore } from "./_engine_core.ts";
import { later } from "./_timers.ts";
import type {
  AllButLast,
  DecorateAcknowledgements,
  DefaultEventsMap,
  DisconnectDescription,
  DisconnectReason,
  EventListener,
  EventNames,
  EventParams,
  EventsMap,
  FirstNonErrorArg,
  Last,
  SocketReservedEvents,
} from "./typed_events.ts";

/**
 * What a Socket sees of its Manager (the Manager class satisfies it; typed
 * here so that socket.ts and manager.ts do not import each other).
 */
export interface SocketManager extends Emitter {
  /** The Engine.IO connection. */
  readonly engine: EngineCore;
  /** The options (the timers read `useNativeTimers` and `autoUnref`). */
  readonly opts: { useNativeTimers?: boolean; autoUnref?: boolean };
  /** "opening", "open" or "closed". */
  readonly _readyState: string;
  /** Whether a reconnection is under way. */
  readonly _reconnecting: boolean;
  /** Whether sockets connect on creation. */
  readonly _autoConnect: boolean;
  /** Opens the connection. */
  open(fn?: (err?: Error) => void): this;
  /** Closes the connection for good. */
  _close(): void;
  /** Gets or sets `reconnection`. */
  reconnection(): boolean;
  reconnection(v: boolean): this;
  /** Encodes and writes a packet. */
  _packet(packet: Packet): void;
  /** Called by a socket that closed. */
  _destroy(socket: Socket): void;
}

/** Options of a Socket. */
export interface SocketOptions {
  /** Sent in the CONNECT packet; a function is called on every (re)connection. */
  auth?: Record<string, unknown> | ((cb: (data: Record<string, unknown>) => void) => void);
  /** The default ack timeout (ms) of every emit with an ack. @default none */
  ackTimeout?: number;
  /** Resend each emit until acknowledged, up to this many more times (one at a time, in order). */
  retries?: number;
  /**
   * The most packets kept while disconnected; older ones are dropped first
   * (their acks get an error). Not in socket.io-client, which keeps them all.
   * @default Infinity
   */
  maxBufferedPackets?: number;
}

interface Flags {
  compress?: boolean;
  volatile?: boolean;
  timeout?: number;
  fromQueue?: boolean;
}

type Ack = Listener & { withError?: boolean };

interface QueuedPacket {
  tryCount: number;
  pending: boolean;
  args: unknown[];
  flags: Flags;
}

/** A packet this socket writes (its namespace is set then, as in socket.io-client). */
type OutgoingPacket = Omit<Packet, "nsp"> & { nsp?: string; options?: { compress: boolean } };

type Sub = () => void;

/** Marks an ack as one that takes an error first (timeouts, `emitWithAck`). */
function errorFirst(fn: Ack): Ack {
  fn.withError = true;
  return fn;
}

/** A socket for one namespace. */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter {
  /** The Manager. */
  declare readonly io: SocketManager;
  /** The session id on this namespace, once connected (≠ the engine's id). */
  declare id: string | undefined;
  /** Whether connected to the namespace. */
  connected = false;
  /** Whether the last connection recovered the previous session (state recovery). */
  recovered = false;
  /** The auth data or function. */
  declare auth: SocketOptions["auth"];
  /** Events received before the CONNECT. */
  receiveBuffer: unknown[][] = [];
  /** Packets emitted while disconnected. */
  sendBuffer: OutgoingPacket[] = [];
  /** The pending ack callbacks, by id. */
  acks: Record<number, Ack> = {};
  /** The `retries` queue. */
  _queue: QueuedPacket[] = [];
  /** The namespace. */
  declare readonly nsp: string;
  /** The flags of the next emit. */
  flags: Flags = {};
  /** The options. */
  readonly #opts: SocketOptions;
  #ids = 0;
  #subs: Sub[] | undefined;
  /** The catch-all listeners: incoming ("Any") and outgoing ("AnyOutgoing"). */
  readonly _any: Record<string, Listener[]> = { Any: [], AnyOutgoing: [] };
  #pid: string | undefined;
  #offset: string | undefined;

  /** Makes a socket (use `io()` or `manager.socket()`). */
  constructor(io: SocketManager, nsp: string, opts: SocketOptions = {}) {
    super();
    this.io = io;
    this.nsp = nsp;
    this.auth = opts.auth;
    this.#opts = { ...opts };
    if (io._autoConnect) this.open();
  }

  /** Whether disconnected. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /** Whether the socket will (re)connect: false after `disconnect()` or a refused CONNECT. */
  get active(): boolean {
    return !!this.#subs;
  }

  /** Connects (no-op when connected). */
  connect(): this {
    if (this.connected) return this;
    const io = this.io;
    this.#subs ??= [
      subscribe(io, "open", () => this.#onOpen()),
      subscribe(io, "packet", (packet: Packet) => this.onpacket(packet)),
      subscribe(io, "error", (err: Error) => {
        if (!this.connected) this.emitReserved("connect_error", err);
      }),
      subscribe(
        io,
        "close",
        (reason: DisconnectReason, description?: DisconnectDescription) =>
          this.#onClose(reason, description),
      ),
    ];
    if (!io._reconnecting) io.open();
    if (io._readyState === "open") this.#onOpen();
    return this;
  }

  /** Emits a `message` event. */
  send(...args: unknown[]): this {
    return this.emit(
      "message" as EventNames<EmitEvents>,
      ...args as EventParams<EmitEvents, EventNames<EmitEvents>>,
    );
  }

  /** Emits an event to the server; a last function argument is the ack callback. */
  override emit<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): this;
  override emit(ev: string, ...args: unknown[]): this {
    if (RESERVED.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    args.unshift(ev);
    const flags = this.flags;
    if (this.#opts.retries && !flags.fromQueue && !flags.volatile) {
      this.#addToQueue(args);
      return this;
    }
    // the namespace is set when it is written (as in socket.io-client)
    const packet: OutgoingPacket = {
      type: 2, /* EVENT */
      data: args,
      options: { compress: flags.compress !== false },
    };
    if (typeof args[args.length - 1] === "function") {
      const id = this.#ids++;
      this.#registerAck(id, args.pop() as Ack);
      packet.id = id;
    }
    const engine = this.io.engine;
    const writable = engine?.transport?.writable;
    const connected = this.connected && !engine?._hasPingExpired();
    if (flags.volatile && !writable) {
      // dropped: volatile packets are not buffered
    } else if (connected) this.#sendEvent(packet);
    else this.#buffer(packet);
    this.flags = {};
    return this;
  }

  #buffer(packet: OutgoingPacket): void {
    const buffer = this.sendBuffer;
    buffer.push(packet);
    const max = this.#opts.maxBufferedPackets ?? Infinity;
    while (buffer.length > max) this.#failAck(buffer.shift()!.id, "send buffer full");
  }

  /** Removes the ack of `id` (if any) and returns it. */
  #takeAck(id: number | undefined): Ack | undefined {
    const ack = this.acks[id!];
    delete this.acks[id!];
    return ack;
  }

  /** Removes the ack of `id`; one that takes an error gets `Error(message)`. */
  #failAck(id: number | undefined, message: string): void {
    const ack = this.#takeAck(id);
    if (ack?.withError) ack.call(this, new Error(message));
  }

  #registerAck(id: number, ack: Ack): void {
    const timeout = this.flags.timeout ?? this.#opts.ackTimeout;
    if (timeout === undefined) {
      this.acks[id] = ack;
      return;
    }
    const cancel = later(
      () => {
        this.sendBuffer = this.sendBuffer.filter((p) => p.id !== id);
        this.#failAck(id, "operation has timed out");
      },
      timeout,
      this.io.opts,
    );
    this.acks[id] = errorFirst((...args) => {
      cancel();
      ack.apply(this, args);
    });
  }

  /** Emits and resolves with the server's answer (rejects on timeout or disconnection). */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>>;
  emitWithAck(ev: string, ...args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      args.push(errorFirst((err, value) => err ? reject(err) : resolve(value)));
      (this.emit as (ev: string, ...args: unknown[]) => this)(ev, ...args);
    });
  }

  #addToQueue(args: unknown[]): void {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() as Ack : undefined;
    const packet: QueuedPacket = {
      tryCount: 0,
      pending: false,
      args,
      flags: { fromQueue: true, ...this.flags },
    };
    // the server's answers come error-first (null): an error is a timeout or a disconnection
    args.push((err: unknown, ...response: unknown[]) => {
      if (packet !== this._queue[0]) return; // already acknowledged
      if (err === null || packet.tryCount > this.#opts.retries!) {
        this._queue.shift();
        ack?.(err, ...response);
      }
      packet.pending = false;
      this.#drainQueue();
    });
    this._queue.push(packet);
    this.#drainQueue();
  }

  #drainQueue(force = false): void {
    const packet = this._queue[0];
    if (!this.connected || !packet || (packet.pending && !force)) return;
    packet.pending = true;
    packet.tryCount++;
    this.flags = packet.flags;
    (this.emit as (...args: unknown[]) => this)(...packet.args);
  }

  #packet(packet: OutgoingPacket): void {
    packet.nsp = this.nsp;
    this.io._packet(packet as Packet);
  }

  /** Sends the CONNECT: the auth data (a function's, called now), with pid and offset to recover. */
  #onOpen(): void {
    const auth = this.auth;
    const send = (data?: Record<string, unknown>) =>
      this.#packet({
        type: 0, /* CONNECT */
        // as socket.io-client: `data` is there even when undefined
        data: this.#pid ? { pid: this.#pid, offset: this.#offset, ...data } : data,
      });
    if (typeof auth === "function") auth(send);
    else send(auth);
  }

  #onClose(reason: DisconnectReason, description?: DisconnectDescription): void {
    this.connected = false;
    this.id = undefined;
    this.emitReserved("disconnect", reason, description);
    for (const key in this.acks) {
      const id = +key;
      // one not sent yet is kept for later
      if (!this.sendBuffer.some((p) => p.id === id)) {
        this.#failAck(id, "socket has been disconnected");
      }
    }
  }

  /** Handles one packet of the Manager (ignores other namespaces'). */
  onpacket(packet: Packet): void {
    if (packet.nsp !== this.nsp) return;
    const data = packet.data as { sid?: string; pid?: string; message?: string; data?: unknown };
    // an EVENT's or ACK's arguments
    const args = Array.isArray(data) ? data as unknown[] : [];
    switch (packet.type) {
      case 0 /* CONNECT */:
        if (typeof data?.sid === "string") this.#onConnect(data.sid, data.pid);
        else {
          this.emitReserved(
            "connect_error",
            new Error(
              "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not compatible (more information here: https://socket.io/docs/v3/migrating-from-2-x-to-3-0/)",
            ),
          );
        }
        break;
      case 2 /* EVENT */:
      case 5 /* BINARY_EVENT */: {
        if (packet.id != null) args.push(this.#ack(packet.id));
        if (this.connected) this.#emitEvent(args);
        else this.receiveBuffer.push(Object.freeze(args) as unknown[]);
        break;
      }
      case 3 /* ACK */:
      case 6 /* BINARY_ACK */: {
        const ack = this.#takeAck(packet.id);
        if (ack?.withError) args.unshift(null);
        ack?.apply(this, args);
        break;
      }
      case 1 /* DISCONNECT */:
        this.#destroy();
        this.#onClose("io server disconnect");
        break;
      case 4 /* CONNECT_ERROR */: {
        this.#destroy();
        const err = Object.assign(new Error(data?.message), { data: data?.data });
        this.emitReserved("connect_error", err);
        break;
      }
    }
  }

  #emitEvent(args: unknown[]): void {
    for (const fn of this._any.Any!.slice()) fn.apply(this, args);
    this.emitReserved(...(args as [string, ...unknown[]]));
    const last = args[args.length - 1];
    if (this.#pid && typeof last === "string") this.#offset = last;
  }

  #ack(id: number): Listener {
    let sent = false;
    return (...args) => {
      if (sent) return;
      sent = true;
      this.#packet({ type: 3, /* ACK */ id, data: args });
    };
  }

  #onConnect(id: string, pid: string | undefined): void {
    this.id = id;
    this.recovered = !!pid && this.#pid === pid;
    this.#pid = pid;
    this.connected = true;
    for (const args of this.receiveBuffer) this.#emitEvent(args);
    this.receiveBuffer = [];
    for (const packet of this.sendBuffer) this.#sendEvent(packet);
    this.sendBuffer = [];
    this.#drainQueue(true);
    this.emitReserved("connect");
  }

  #destroy(): void {
    if (this.#subs) {
      for (const sub of this.#subs) sub();
      this.#subs = undefined;
    }
    this.io._destroy(this as Socket);
  }

  /** Disconnects (reason "io client disconnect"); no reconnection follows. */
  disconnect(): this {
    const connected = this.connected;
    if (connected) this.#packet({ type: 1 /* DISCONNECT */ });
    this.#destroy();
    if (connected) this.#onClose("io client disconnect");
    return this;
  }

  /** Sets whether the next emit may be compressed. */
  compress(compress: boolean): this {
    this.flags.compress = compress;
    return this;
  }

  /** The next emit is dropped unless it can be written at once. */
  get volatile(): this {
    this.flags.volatile = true;
    return this;
  }

  /** The next emit's ack gets an `Error` first, after `timeout` ms without an answer. */
  timeout(timeout: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>> {
    this.flags.timeout = timeout;
    return this as unknown as Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>>;
  }

  /** Writes an EVENT, told first to the outgoing catch-all listeners. */
  #sendEvent(packet: OutgoingPacket): void {
    for (const fn of this._any.AnyOutgoing!.slice()) fn.apply(this, packet.data as unknown[]);
    this.#packet(packet);
  }
}

/** The aliases, and the catch-all listeners (incoming, then outgoing, which skip acks). */
export interface Socket<ListenEvents extends EventsMap, EmitEvents extends EventsMap> {
  /** Connects (alias of `connect`). */
  open(): this;
  /** Disconnects (alias of `disconnect`). */
  close(): this;
  /** Adds a listener called for every incoming event. */
  onAny(fn: Listener): this;
  /** Adds a catch-all listener first in line. */
  prependAny(fn: Listener): this;
  /** Removes one catch-all listener, or all of them. */
  offAny(fn?: Listener): this;
  /** The catch-all listeners. */
  listenersAny(): Listener[];
  /** Adds a listener called for every outgoing event (not for acks). */
  onAnyOutgoing(fn: Listener): this;
  /** Adds an outgoing catch-all listener first in line. */
  prependAnyOutgoing(fn: Listener): this;
  /** Removes one outgoing catch-all listener, or all of them. */
  offAnyOutgoing(fn?: Listener): this;
  /** The outgoing catch-all listeners. */
  listenersAnyOutgoing(): Listener[];
}

const proto = Socket.prototype as unknown as Record<string, unknown>;
proto.open = proto.connect;
proto.close = proto.disconnect;
for (const kind of ["Any", "AnyOutgoing"]) {
  type Self = Socket<EventsMap, EventsMap>;
  proto["on" + kind] = function (this: Self, fn: Listener) {
    this._any[kind]!.push(fn);
    return this;
  };
  proto["prepend" + kind] = function (this: Self, fn: Listener) {
    this._any[kind]!.unshift(fn);
    return this;
  };
  proto["off" + kind] = function (this: Self, fn?: Listener) {
    this._any[kind] = fn ? this._any[kind]!.filter((l) => l !== fn) : [];
    return this;
  };
  proto["listeners" + kind] = function (this: Self) {
    return this._any[kind]!.slice();
  };
}

/** Typed listeners: the server's events plus the socket's own. */
export interface Socket<ListenEvents extends EventsMap, EmitEvents extends EventsMap> {
  on<Ev extends EventNames<ListenEvents> | keyof SocketReservedEvents>(
    ev: Ev,
    listener: Ev extends keyof SocketReservedEvents ? SocketReservedEvents[Ev]
      : EventListener<ListenEvents, Ev>,
  ): this;
  once<Ev extends EventNames<ListenEvents> | keyof SocketReservedEvents>(
    ev: Ev,
    listener: Ev extends keyof SocketReservedEvents ? SocketReservedEvents[Ev]
      : EventListener<ListenEvents, Ev>,
  ): this;
}
