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

import { Decoder } from "../parser/socket_decoder.ts";
import { encodePacket, type Packet } from "../parser/socket_packet.ts";
import { Emitter, type Listener } from "./_emitter.ts";
import { type EngineKit, type EngineOptions, EngineSocket } from "./engine.ts";
import { Socket, type SocketManager, type SocketOptions } from "./socket.ts";
import { timers } from "./_timers.ts";
import { nodeBuffer, onHostEvent } from "./_globals.ts";
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

/** The backoff: capped exponential, jitter after the cap, exponent clamped. */
class Backoff {
  attempts = 0;
  constructor(public ms: number, public max: number, public jitter: number) {}
  duration(): number {
    const ceiling = Math.min(this.max, this.ms * 2 ** Math.min(this.attempts++, 30));
    return Math.floor(ceiling * (1 - this.jitter * Math.random()));
  }
}

type Sub = () => void;

function _on(emitter: Emitter, event: string, fn: Listener): Sub {
  emitter.on(event, fn);
  return () => emitter.off(event, fn);
}

/** Turns received `Uint8Array`s into what `binaryType` asks for. */
function _binary(value: unknown, type: string): unknown {
  if (value instanceof Uint8Array) {
    if (type !== "arraybuffer") {
      const B = nodeBuffer();
      return type === "nodebuffer" && B
        ? B.from(value.buffer as ArrayBuffer, value.byteOffset, value.byteLength)
        : value;
    }
    return value.byteOffset === 0 && value.byteLength === value.buffer.byteLength
      ? value.buffer
      : value.slice().buffer;
  }
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key in record) record[key] = _binary(record[key], type);
  }
  return value;
}

/** One connection to a server, shared by the sockets of its namespaces. */
export class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter implements SocketManager {
  /** The Engine.IO connection (undefined until the first `open`). */
  engine!: EngineSocket;
  /** The options. */
  readonly opts: ManagerOptions;
  /** The sockets, by namespace. */
  readonly nsps: Record<string, Socket> = {};
  /** The backoff state. */
  readonly backoff: Backoff;
  /** "opening", "open" or "closed". */
  _readyState: "opening" | "open" | "closed" = "closed";
  /** Whether a reconnection is scheduled or running. */
  _reconnecting = false;
  /** Whether sockets connect on creation. */
  readonly _autoConnect: boolean;
  readonly #uri: string | undefined;
  readonly #kit: EngineKit;
  #subs: Sub[] = [];
  #skipReconnect = false;
  #reconnection = true;
  #attempts = Infinity;
  #timeout: number | false = 20000;
  #encode: (packet: Packet) => unknown[];
  #decoder: { add(chunk: unknown): void; destroy(): void };

  /** Makes a Manager for `uri` (and opens it unless `autoConnect` is false). */
  constructor(
    uri?: string | Partial<ManagerOptions>,
    opts?: Partial<ManagerOptions>,
    kit?: EngineKit,
  ) {
    super();
    if (typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    this.#kit = kit ?? (this.constructor as unknown as { kit: EngineKit }).kit;
    this.opts = opts = { ...opts, path: opts?.path ?? "/socket.io" };
    this.#uri = uri;
    this.reconnection(opts.reconnection !== false);
    this.reconnectionAttempts(opts.reconnectionAttempts || Infinity);
    this.backoff = new Backoff(
      opts.reconnectionDelay || 1000,
      opts.reconnectionDelayMax || 5000,
      opts.randomizationFactor ?? 0.5,
    );
    this.timeout(opts.timeout ?? 20000);
    const parser = opts.parser;
    const onPacket = (packet: Packet) => queueMicrotask(() => this.emitReserved("packet", packet));
    if (parser) {
      const encoder = new parser.Encoder();
      this.#encode = (packet) => encoder.encode(packet);
      const decoder = new parser.Decoder();
      decoder.on("decoded", onPacket);
      this.#decoder = decoder;
    } else {
      this.#encode = encodePacket;
      const decoder = new Decoder();
      let binary = false;
      this.#decoder = {
        add: (chunk) => {
          binary ||= typeof chunk !== "string";
          const packet = decoder.add(chunk as string);
          if (!packet) return;
          if (binary) _binary(packet.data, this.engine.binaryType);
          binary = false;
          onPacket(packet);
        },
        destroy: () => decoder.destroy(),
      };
    }
    this._autoConnect = opts.autoConnect !== false;
    if (this._autoConnect) this.open();
  }

  /** Gets or sets `reconnection`. */
  reconnection(): boolean;
  reconnection(v: boolean): this;
  reconnection(v?: boolean): this | boolean {
    if (v === undefined) return this.#reconnection;
    this.#reconnection = !!v;
    if (!v) this.#skipReconnect = true;
    return this;
  }

  /** Gets or sets `reconnectionAttempts`. */
  reconnectionAttempts(): number;
  reconnectionAttempts(v: number): this;
  reconnectionAttempts(v?: number): this | number {
    if (v === undefined) return this.#attempts;
    this.#attempts = v;
    return this;
  }

  /** Gets or sets `reconnectionDelay`. */
  reconnectionDelay(): number;
  reconnectionDelay(v: number): this;
  reconnectionDelay(v?: number): this | number {
    if (v === undefined) return this.backoff.ms;
    this.backoff.ms = v;
    return this;
  }

  /** Gets or sets `reconnectionDelayMax`. */
  reconnectionDelayMax(): number;
  reconnectionDelayMax(v: number): this;
  reconnectionDelayMax(v?: number): this | number {
    if (v === undefined) return this.backoff.max;
    this.backoff.max = v;
    return this;
  }

  /** Gets or sets `randomizationFactor`. */
  randomizationFactor(): number;
  randomizationFactor(v: number): this;
  randomizationFactor(v?: number): this | number {
    if (v === undefined) return this.backoff.jitter;
    this.backoff.jitter = v;
    return this;
  }

  /** Gets or sets the connect `timeout`. */
  timeout(): number | false;
  timeout(v: number | false): this;
  timeout(v?: number | false): this | number | false {
    if (v === undefined) return this.#timeout;
    this.#timeout = v;
    return this;
  }

  /** Opens the connection; `fn` gets the error, if any (then no reconnection is scheduled). */
  open(fn?: (err?: Error) => void): this {
    if (this._readyState.includes("open")) return this;
    const engine = this.engine = new EngineSocket(this.#uri, this.opts, this.#kit);
    this._readyState = "opening";
    this.#skipReconnect = false;
    let openSub = _on(engine, "open", () => {
      this.#onOpen();
      fn?.();
    });
    const onError = (err: Error) => {
      this.#cleanup();
      this._readyState = "closed";
      this.emitReserved("error", err);
      if (fn) fn(err);
      else if (!this._reconnecting && this.#reconnection && this.backoff.attempts === 0) {
        this.#reconnect();
      }
    };
    const errorSub = _on(engine, "error", onError);
    const timeout = this.#timeout;
    if (timeout !== false) {
      if (timeout === 0) openSub();
      const [setTimeout, clearTimeout] = timers(this.opts.useNativeTimers);
      const timer = setTimeout(() => {
        openSub();
        onError(new Error("timeout"));
        engine.close();
      }, timeout);
      this.#unref(timer);
      const clear = openSub;
      openSub = () => {
        clear();
        clearTimeout(timer);
      };
    }
    this.#subs.push(openSub, errorSub);
    return this;
  }

  /** Opens the connection (alias of `open`). */
  connect(fn?: (err?: Error) => void): this {
    return this.open(fn);
  }

  #unref(timer: unknown): void {
    if (this.opts.autoUnref) (timer as { unref?: () => void }).unref?.();
  }

  #onOpen(): void {
    this.#cleanup();
    this._readyState = "open";
    this.emitReserved("open");
    const engine = this.engine;
    this.#subs.push(
      _on(engine, "ping", () => this.emitReserved("ping")),
      _on(engine, "data", (data: unknown) => {
        try {
          this.#decoder.add(data);
        } catch (err) {
          this.#onClose("parse error", err as Error);
        }
      }),
      _on(engine, "error", (err: Error) => this.emitReserved("error", err)),
      _on(
        engine,
        "close",
        (reason: string, description: unknown) => this.#onClose(reason, description),
      ),
    );
  }

  /** The socket of namespace `nsp`, made on first use. */
  socket(nsp: string, opts?: SocketOptions): Socket<ListenEvents, EmitEvents> {
    let socket = this.nsps[nsp];
    if (!socket) {
      socket = new Socket(this, nsp, opts);
      this.nsps[nsp] = socket;
    } else if (this._autoConnect && !socket.active) socket.connect();
    return socket as unknown as Socket<ListenEvents, EmitEvents>;
  }

  /** Called by a socket that closed: the connection closes with the last one. */
  _destroy(_socket: Socket): void {
    for (const nsp in this.nsps) if (this.nsps[nsp]!.active) return;
    this._close();
  }

  /** Encodes and writes one packet. */
  _packet(packet: Packet & { options?: { compress?: boolean } }): void {
    for (const chunk of this.#encode(packet)) {
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
    this.#skipReconnect = true;
    this._reconnecting = false;
    this.#onClose("forced close");
  }

  /** Closes the connection (alias of `_close`). */
  disconnect(): void {
    this._close();
  }

  #onClose(reason: string, description?: unknown): void {
    this.#cleanup();
    this.engine?.close();
    this.backoff.attempts = 0;
    this._readyState = "closed";
    this.emitReserved("close", reason, description);
    if (this.#reconnection && !this.#skipReconnect) this.#reconnect();
  }

  #reconnect(): void {
    if (this._reconnecting || this.#skipReconnect) return;
    if (this.backoff.attempts >= this.#attempts) {
      this.backoff.attempts = 0;
      this.emitReserved("reconnect_failed");
      this._reconnecting = false;
      return;
    }
    this._reconnecting = true;
    const attempt = () => {
      clear();
      if (this.#skipReconnect) return;
      this.emitReserved("reconnect_attempt", this.backoff.attempts);
      if (this.#skipReconnect) return;
      this.open((err) => {
        if (err) {
          this._reconnecting = false;
          this.#reconnect();
          this.emitReserved("reconnect_error", err);
        } else {
          const attempts = this.backoff.attempts;
          this._reconnecting = false;
          this.backoff.attempts = 0;
          this.emitReserved("reconnect", attempts);
        }
      });
    };
    const [setTimeout, clearTimeout] = timers(this.opts.useNativeTimers);
    const timer = setTimeout(attempt, this.backoff.duration());
    this.#unref(timer);
    // the browser says the network is back: no reason to wait for the timer
    const offOnline = onHostEvent("online", attempt);
    const clear = () => {
      clearTimeout(timer);
      offOnline();
    };
    this.#subs.push(clear);
  }
}
