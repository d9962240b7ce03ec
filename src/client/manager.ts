/**
 * The client's Manager: one Engine.IO connection shared by the namespaces'
 * sockets, the Socket.IO codec, and automatic reconnection.
 *
 * The backoff differs from socket.io-client on purpose: the jitter is applied
 * after the cap and the exponent is clamped, so a fleet cut off by one outage
 * does not reconnect in lock-step every `reconnectionDelayMax` ms, and no
 * delay collapses to 0 after many attempts. The browser's `online` event
 * starts a pending reconnection at once.
 *
 * @module
 */

import type { Packet } from "../parser/socket_packet.ts";
import { decoder, encode } from "./_codec.ts";
import { Emitter, subscribe } from "./_emitter.ts";
import type { EngineCore, EngineOptions } from "./_engine_core.ts";
import { Socket, type SocketManager, type SocketOptions } from "./socket.ts";
import { later } from "./_timers.ts";
import { onHostEvent } from "../util/host.ts";
import { toBuffer } from "./_node.ts";
import type { DefaultEventsMap, EventsMap } from "./typed_events.ts";

/** A Socket.IO codec with the official `socket.io-parser` shape (e.g. socket.io-msgpack-parser). */
export interface Parser {
  Encoder: new () => { encode(packet: Packet): unknown[] };
  Decoder: new () => {
    add(chunk: unknown): void;
    destroy(): void;
    on(event: "decoded", fn: (packet: Packet) => void): unknown;
  };
}

/** Options of the Manager (the engine's options, plus reconnection and the codec). */
export interface ManagerOptions extends EngineOptions {
  /** Make a new Manager instead of sharing one per server. @default false */
  forceNew?: boolean;
  /** Share one Manager per server (false = `forceNew`). @default true */
  multiplex?: boolean;
  /** Reconnect automatically. @default true */
  reconnection?: boolean;
  /** Attempts before giving up ("reconnect_failed"). @default Infinity */
  reconnectionAttempts?: number;
  /** The first delay between attempts (ms). @default 1000 */
  reconnectionDelay?: number;
  /** The longest delay between attempts (ms). @default 5000 */
  reconnectionDelayMax?: number;
  /** Up to this fraction of each delay is random. @default 0.5 */
  randomizationFactor?: number;
  /** The connect timeout (ms), `false` for none. @default 20000 */
  timeout?: number | false;
  /** Connect on creation. @default true */
  autoConnect?: boolean;
  /** Use the timer functions of load time (immune to fake timers). @default false */
  useNativeTimers?: boolean;
  /** The Socket.IO codec. @default the built-in JSON parser */
  parser?: Parser;
}

type Sub = () => void;

/** What the Manager uses of a decoder. */
interface Decoder {
  add(chunk: unknown): void;
  destroy(): void;
}

/** An engine class: the full one (`EngineSocket`) or the WebSocket-only one. */
export type EngineCtor = new (uri: string | URL | undefined, opts: EngineOptions) => EngineCore;

/** An attachment as `binaryType` asks for it: ArrayBuffer, Node Buffer or Uint8Array. */
function asBinaryType(value: Uint8Array, type: string): unknown {
  return type === "arraybuffer"
    ? value.buffer.byteLength === value.byteLength ? value.buffer : value.slice().buffer
    : type === "nodebuffer"
    ? toBuffer(value)
    : value;
}

/** One connection to a server, shared by the sockets of its namespaces. */
export class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter implements SocketManager {
  /** The Engine.IO connection (undefined until the first `open`). */
  declare engine: EngineCore;
  /** The options. */
  declare readonly opts: ManagerOptions;
  /** The sockets, by namespace. */
  readonly nsps: Record<string, Socket> = {};
  /** The reconnection attempts made since the last success. */
  #attempts = 0;
  /** The settings behind `reconnection()`, `timeout()`, … */
  readonly _set: Record<string, unknown> = {};
  /** "opening", "open" or "closed". */
  _readyState: "opening" | "open" | "closed" = "closed";
  /** Whether a reconnection is scheduled or running. */
  _reconnecting = false;
  /** Whether sockets connect on creation. */
  declare readonly _autoConnect: boolean;
  readonly #uri: string | URL | undefined;
  readonly #Engine: EngineCtor;
  #subs: Sub[] = [];
  _skipReconnect = false;
  /** The encoder: a `parser`'s, else the built-in codec's `encode`. */
  #encoder: { encode(packet: Packet): unknown[] };
  /** The decoder, which hands each packet to `onPacket` (a `parser`'s through its "decoded" event). */
  #decoder: Decoder;

  /** Makes a Manager for `uri` (and opens it unless `autoConnect` is false). */
  constructor(
    uri?: string | URL | Partial<ManagerOptions>,
    opts?: Partial<ManagerOptions>,
    Engine?: EngineCtor,
  ) {
    super();
    if (typeof uri === "object" && !(uri instanceof URL)) {
      opts = uri;
      uri = undefined;
    }
    this.#Engine = Engine ?? (this.constructor as unknown as { Engine: EngineCtor }).Engine;
    this.opts = opts = { ...opts, path: opts?.path ?? "/socket.io" };
    this.#uri = uri;
    this.reconnection(opts.reconnection !== false)
      .reconnectionAttempts(opts.reconnectionAttempts || Infinity)
      .reconnectionDelay(opts.reconnectionDelay || 1000)
      .reconnectionDelayMax(opts.reconnectionDelayMax || 5000)
      .randomizationFactor(opts.randomizationFactor ?? 0.5)
      .timeout(opts.timeout ?? 20000);
    const parser = opts.parser;
    const onPacket = (packet: Packet) => queueMicrotask(() => this.emit("packet", packet));
    if (parser) {
      this.#encoder = new parser.Encoder();
      const decoder = this.#decoder = new parser.Decoder();
      decoder.on("decoded", onPacket);
    } else {
      this.#encoder = { encode };
      this.#decoder = decoder(
        (bytes) => asBinaryType(bytes, this.engine.binaryType),
        onPacket,
      ) as Decoder;
    }
    this._autoConnect = opts.autoConnect !== false;
    if (this._autoConnect) this.open();
  }

  /** Opens the connection; `fn` gets the error, if any (then no reconnection is scheduled). */
  open(fn?: (err?: Error) => void): this {
    if (this._readyState.includes("open")) return this;
    const engine = this.engine = new this.#Engine(this.#uri, this.opts);
    this._readyState = "opening";
    this._skipReconnect = false;
    const openSub = subscribe(engine, "open", () => {
      this.#onOpen();
      fn?.();
    });
    const onError = (err: Error) => {
      this.#cleanup();
      this._readyState = "closed";
      this.emit("error", err);
      if (fn) fn(err);
      else if (this.#attempts === 0) this.#reconnect();
    };
    this.#subs.push(openSub, subscribe(engine, "error", onError));
    const timeout = this._set.timeout as number | false;
    if (timeout !== false) {
      if (timeout === 0) openSub(); // as socket.io-client: it can only time out
      // cancelled with the subscriptions, by the open or an error (whose cleanup ends them all)
      this.#subs.push(later(
        () => {
          onError(new Error("timeout"));
          engine.close();
        },
        timeout,
        this.opts,
      ));
    }
    return this;
  }

  #onOpen(): void {
    this.#cleanup();
    this._readyState = "open";
    this.emit("open");
    const engine = this.engine;
    this.#subs.push(
      subscribe(engine, "ping", () => this.emit("ping")),
      subscribe(engine, "data", (data: unknown) => {
        try {
          this.#decoder.add(data);
        } catch (err) {
          this.#onClose("parse error", err as Error);
        }
      }),
      subscribe(engine, "error", (err: Error) => this.emit("error", err)),
      subscribe(
        engine,
        "close",
        (reason: string, description: unknown) => this.#onClose(reason, description),
      ),
    );
  }

  /** The socket of namespace `nsp`, made on first use. */
  socket(nsp: string, opts?: SocketOptions): Socket<ListenEvents, EmitEvents> {
    let socket = this.nsps[nsp];
    if (!socket) socket = this.nsps[nsp] = new Socket(this, nsp, opts);
    else if (this._autoConnect && !socket.active) socket.connect();
    return socket as unknown as Socket<ListenEvents, EmitEvents>;
  }

  /** Called by a socket that closed: the connection closes with the last one. */
  _destroy(_socket: Socket): void {
    if (!Object.values(this.nsps).some((socket) => socket.active)) this._close();
  }

  /** Encodes and writes one packet. */
  _packet(packet: Packet & { options?: { compress?: boolean } }): void {
    for (const chunk of this.#encoder.encode(packet)) {
      this.engine.write(chunk as string, packet.options);
    }
  }

  #cleanup(): void {
    for (const sub of this.#subs) sub();
    this.#subs.length = 0;
    this.#decoder.destroy();
  }

  /** Closes the connection for good (reason "forced close"). */
  _close(): void {
    this._skipReconnect = true;
    this._reconnecting = false;
    this.#onClose("forced close");
  }

  #onClose(reason: string, description?: unknown): void {
    this.#cleanup();
    this.engine?.close();
    this.#attempts = 0;
    this._readyState = "closed";
    this.emit("close", reason, description);
    this.#reconnect();
  }

  /** Schedules the next attempt, unless reconnection is off or stopped, or one is under way. */
  #reconnect(): void {
    if (this._reconnecting || this._skipReconnect || !this._set.reconnection) return;
    if (this.#attempts >= (this._set.reconnectionAttempts as number)) {
      this.#attempts = 0;
      this.emit("reconnect_failed");
      return;
    }
    this._reconnecting = true;
    const attempt = () => {
      clear();
      if (this._skipReconnect) return;
      this.emit("reconnect_attempt", this.#attempts);
      if (this._skipReconnect) return;
      this.open((err) => {
        this._reconnecting = false;
        if (err) {
          this.#reconnect();
          this.emit("reconnect_error", err);
        } else {
          const attempts = this.#attempts;
          this.#attempts = 0;
          this.emit("reconnect", attempts);
        }
      });
    };
    // capped exponential, the jitter after the cap, the exponent clamped
    const set = this._set as Record<string, number>;
    const ceiling = Math.min(
      set.reconnectionDelayMax!,
      set.reconnectionDelay! * 2 ** Math.min(this.#attempts++, 30),
    );
    const cancel = later(
      attempt,
      Math.floor(ceiling * (1 - set.randomizationFactor! * Math.random())),
      this.opts,
    );
    // the browser says the network is back: no reason to wait for the timer
    const offOnline = onHostEvent("online", attempt);
    const clear = () => {
      cancel();
      offOnline();
    };
    this.#subs.push(clear);
  }
}

/** The settings, each read with `m.name()` and written with `m.name(value)`. */
export interface Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> {
  /** Gets or sets `reconnection` (false also stops a scheduled reconnection). */
  reconnection(): boolean;
  reconnection(v: boolean): this;
  /** Gets or sets `reconnectionAttempts`. */
  reconnectionAttempts(): number;
  reconnectionAttempts(v: number): this;
  /** Gets or sets `reconnectionDelay` (ms). */
  reconnectionDelay(): number;
  reconnectionDelay(v: number): this;
  /** Gets or sets `reconnectionDelayMax` (ms). */
  reconnectionDelayMax(): number;
  reconnectionDelayMax(v: number): this;
  /** Gets or sets `randomizationFactor`. */
  randomizationFactor(): number;
  randomizationFactor(v: number): this;
  /** Gets or sets the connect `timeout` (ms, or false). */
  timeout(): number | false;
  timeout(v: number | false): this;
  /** Opens the connection (alias of `open`). */
  connect(fn?: (err?: Error) => void): this;
  /** Closes the connection (alias of `_close`). */
  disconnect(): void;
}

const proto = Manager.prototype as unknown as Record<string, unknown>;
proto.connect = proto.open;
proto.disconnect = proto._close;

for (
  const name of [
    "reconnection",
    "reconnectionAttempts",
    "reconnectionDelay",
    "reconnectionDelayMax",
    "randomizationFactor",
    "timeout",
  ]
) {
  proto[name] = function (
    this: Manager,
    v?: unknown,
  ) {
    if (v === undefined) return this._set[name];
    this._set[name] = v;
    if (v === false && name === "reconnection") this._skipReconnect = true;
    return this;
  };
}
