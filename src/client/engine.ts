/**
 * The client's Engine.IO socket: opens a transport, reads the handshake,
 * answers the server's pings and watches for their absence (pingInterval +
 * pingTimeout → "ping timeout"), batches writes under `maxPayload`, upgrades
 * polling to WebSocket (probe, pause, flush; nothing lost or duplicated), and
 * closes on the browser's `offline` and, if asked, `beforeunload` events.
 *
 * @module
 */

import type { Packet, PacketOptions } from "../parser/engine_packet.ts";
import { Emitter } from "./_emitter.ts";
import { later } from "./_timers.ts";
import { onHostEvent } from "./_globals.ts";
import { defaultBinaryType } from "./_node.ts";
import { isSecure, parseUri } from "./_uri.ts";
import {
  parserError,
  type Transport,
  type TransportCtor,
  type TransportOptions,
} from "./_transport.ts";

/** Options of the engine socket (the Engine.IO part of the client options). */
export interface EngineOptions {
  /** The server's host name. @default from the URI, else `location` */
  hostname?: string;
  /** Whether to use https/wss. @default from the URI */
  secure?: boolean;
  /** The server's port. @default from the URI */
  port?: string | number;
  /** The HTTP path of the server. @default "/engine.io" ("/socket.io" through the Manager) */
  path?: string;
  /** Whether to add a trailing slash to `path`. @default true */
  addTrailingSlash?: boolean;
  /** Query parameters sent on every request. */
  query?: string | Record<string, unknown>;
  /** The transports to try, by name or constructor. @default ["polling", "websocket"] */
  transports?: (string | TransportCtor)[];
  /** On an error while opening, try the next transport. @default false */
  tryAllTransports?: boolean;
  /** Whether to upgrade polling to a better transport. @default true */
  upgrade?: boolean;
  /** Start with WebSocket if the last connection upgraded to it. @default false */
  rememberUpgrade?: boolean;
  /** Add a cache-busting parameter (polling: unless false; WebSocket: only if true). */
  timestampRequests?: boolean;
  /** The name of that parameter. @default "t" */
  timestampParam?: string;
  /** Send binary as base64 text. @default false */
  forceBase64?: boolean;
  /** Send cookies cross-origin (`credentials: "include"`). @default false */
  withCredentials?: boolean;
  /** Headers of every HTTP request and, outside browsers, of the WebSocket handshake. */
  extraHeaders?: Record<string, string>;
  /** Close silently on the browser's `beforeunload`. @default false */
  closeOnBeforeunload?: boolean;
  /** WebSocket sub-protocols. */
  protocols?: string | string[];
  /** Per-transport option overrides, by transport name. @default {} */
  transportOptions?: Record<string, Record<string, unknown>>;
  /** Abort any HTTP request that takes longer (ms). @default none */
  requestTimeout?: number;
  /** The `fetch` to use (a Durable Object stub's, a service binding's…). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Node: do not keep the process alive for this connection's timers. @default false */
  autoUnref?: boolean;
  /** Use the timer functions of load time (immune to fake timers). @default false */
  useNativeTimers?: boolean;
}

/**
 * The transports a client entry brings, and with more than one the code
 * that chooses between them (`rememberUpgrade`, the upgrade probe), so that
 * the WebSocket-only entry carries none of it.
 */
export interface EngineKit {
  transports: Record<string, TransportCtor>;
  /** Picks the first transport among those asked for (default: the first). */
  choose?: (ctors: TransportCtor[], opts: EngineOptions) => TransportCtor | undefined;
  /** After the handshake: probes the upgrades the server offers. */
  probe?: (socket: EngineSocket, upgrades: string[]) => void;
}

/** The states of an engine socket. */
export type EngineState = "opening" | "open" | "closing" | "closed";

interface Handshake {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

/** An Engine.IO v4 client connection (engine.io-client's `Socket`). */
export class EngineSocket extends Emitter {
  /** Whether the last connection upgraded to WebSocket (for `rememberUpgrade`). */
  static priorWebsocketSuccess = false;
  /** The Engine.IO protocol revision. */
  static readonly protocol = 4;
  /** The session id, once open. */
  id: string | null = null;
  /** The current transport. */
  declare transport: Transport;
  /** The state of the connection. */
  readyState: EngineState = "opening";
  /**
   * How binary data is handed over: "arraybuffer", or "nodebuffer" (Node
   * `Buffer`s), the default where Node's API is, as in the official client.
   */
  binaryType: string = defaultBinaryType();
  /** Packets not yet handed to the transport. */
  writeBuffer: Packet[] = [];
  /** Whether an upgrade is in progress. */
  upgrading = false;
  /** When the next ping must have arrived (ms since the epoch), 0 before the handshake. */
  _pingTimeoutTime = 0;
  /** The options, completed. */
  declare readonly opts: TransportOptions & EngineOptions & {
    transports: (string | TransportCtor)[];
  };
  readonly #kit: EngineKit;
  #handshake: Partial<Handshake> = {};
  #prevBufferLen = 0;
  #pingTimer: (() => void) | undefined;
  #unhook: (() => void)[] = [];

  /**
   * Opens a connection to `uri` (or to the host in `opts`); `io()` hands
   * over the URL it has parsed, so it is not parsed again.
   */
  constructor(uri: string | URL | undefined, opts: EngineOptions, kit: EngineKit) {
    super();
    this.#kit = kit;
    const url = typeof uri === "object" ? uri : parseUri(uri);
    const secure = opts.secure ?? isSecure(url);
    const hostname = opts.hostname ?? url.hostname.replace(/^\[|\]$/g, "");
    // as engine.io-client: the URI's query, else the option's
    let query = (uri && url.search.slice(1)) || opts.query || {};
    // as parseqs: "+" stays "+" (URLSearchParams alone would make it a space)
    if (typeof query === "string") {
      query = Object.fromEntries(new URLSearchParams(query.replace(/\+/g, "%2B")));
    }
    let path = (opts.path ?? "/engine.io").replace(/\/$/, "");
    if (opts.addTrailingSlash !== false) path += "/";
    this.opts = {
      timestampParam: "t",
      ...opts,
      hostname,
      secure,
      port: String(opts.port ?? (url.port || (secure ? "443" : "80"))),
      path,
      query: query as Record<string, string>,
      transports: opts.transports ?? Object.keys(kit.transports),
    };
    if (opts.closeOnBeforeunload) {
      this.#unhook.push(onHostEvent("beforeunload", () => {
        this.transport?.removeAllListeners();
        this.transport?.close();
      }));
    }
    if (hostname !== "localhost") {
      this.#unhook.push(
        onHostEvent(
          "offline",
          () => this.#onClose("transport close", { description: "network connection lost" }),
        ),
      );
    }
    this.#open();
  }

  /** The transports asked for that this entry has, in order. */
  _ctors(): TransportCtor[] {
    return this.opts.transports.map((t) => typeof t === "string" ? this.#kit.transports[t]! : t)
      .filter(Boolean);
  }

  /** Makes a transport for this session (used by the upgrade probe too). */
  _createTransport(Ctor: TransportCtor): Transport {
    const name = Ctor.transportName;
    const query: Record<string, string> = {
      ...this.opts.query as Record<string, string>,
      EIO: "4",
      transport: name,
    };
    if (this.id) query.sid = this.id;
    return new Ctor({ ...this.opts, ...this.opts.transportOptions?.[name], query });
  }

  #open(): void {
    const ctors = this._ctors();
    const Ctor = this.#kit.choose ? this.#kit.choose(ctors, this.opts) : ctors[0];
    if (!Ctor) return void queueMicrotask(() => this.emit("error", "No transports available"));
    this.readyState = "opening";
    const transport = this._createTransport(Ctor);
    transport.open();
    this._setTransport(transport);
  }

  /** Makes `transport` the current one. */
  _setTransport(transport: Transport): void {
    this.transport?.removeAllListeners();
    this.transport = transport;
    transport
      .on("drain", () => this.#onDrain())
      .on("packet", (packet: Packet) => this.#onPacket(packet))
      .on("error", (err: unknown) => this.#onError(err))
      .on("close", (details: unknown) => this.#onClose("transport close", details));
  }

  #onPacket(packet: Packet): void {
    if (this.readyState === "closed") return;
    this.emit("packet", packet);
    this.emit("heartbeat");
    switch (packet.type) {
      case "open":
        try {
          this.#onHandshake(JSON.parse(packet.data as string));
        } catch {
          this.#onError(parserError());
        }
        break;
      case "ping":
        this.#resetPingTimeout();
        this.sendPacket("pong");
        this.emit("ping");
        this.emit("pong");
        break;
      case "message":
        this.emit("data", packet.data);
        this.emit("message", packet.data);
        break;
    }
  }

  #onHandshake(data: Handshake): void {
    if (typeof data?.sid !== "string") throw new TypeError("bad handshake");
    this.emit("handshake", data);
    this.#handshake = data;
    this.id = this.transport.query.sid = data.sid;
    this.readyState = "open";
    EngineSocket.priorWebsocketSuccess = this.transport.name === "websocket";
    this.emit("open");
    this.flush();
    if (this.transport.name === "polling" && this.opts.upgrade !== false) {
      this.#kit.probe?.(this, data.upgrades ?? []);
    }
    // an `open` listener may have closed the connection
    if ((this.readyState as EngineState) !== "closed") this.#resetPingTimeout();
  }

  #resetPingTimeout(): void {
    this.#pingTimer?.();
    const delay = this.#handshake.pingInterval! + this.#handshake.pingTimeout!;
    this._pingTimeoutTime = Date.now() + delay;
    this.#pingTimer = later(() => this.#onClose("ping timeout"), delay, this.opts);
  }

  /**
   * Whether the server's ping is overdue even though the timer has not fired
   * (a throttled background tab, a sleeping laptop); closes the connection
   * if so.
   */
  _hasPingExpired(): boolean {
    if (!this._pingTimeoutTime) return true;
    const expired = Date.now() > this._pingTimeoutTime;
    if (expired) {
      this._pingTimeoutTime = 0;
      queueMicrotask(() => this.#onClose("ping timeout"));
    }
    return expired;
  }

  #onDrain(): void {
    this.writeBuffer.splice(0, this.#prevBufferLen);
    this.#prevBufferLen = 0;
    if (this.writeBuffer.length === 0) this.emit("drain");
    else this.flush();
  }

  /** Hands the buffered packets to the transport if it can take them. */
  flush(): void {
    const transport = this.transport;
    if (
      this.readyState !== "closed" && transport.writable && !this.upgrading &&
      this.writeBuffer.length
    ) {
      // polling: what fits one payload under maxPayload; WebSocket: everything
      const packets = transport.pick?.(this.writeBuffer, this.#handshake.maxPayload!) ??
        this.writeBuffer;
      transport.send(packets);
      this.#prevBufferLen = packets.length;
      this.emit("flush");
    }
  }

  /** Sends a message. */
  send(data: string | Uint8Array, options?: PacketOptions, fn?: () => void): this {
    this.sendPacket("message", data, options, fn);
    return this;
  }

  /** Sends a message (alias of `send`). */
  write(data: string | Uint8Array, options?: PacketOptions, fn?: () => void): this {
    return this.send(data, options, fn);
  }

  /** Queues one packet and flushes. */
  sendPacket(
    type: Packet["type"],
    data?: string | Uint8Array,
    options?: PacketOptions,
    fn?: () => void,
  ): void {
    if (this.readyState === "closing" || this.readyState === "closed") return;
    const packet: Packet = { type, options: { compress: options?.compress !== false } };
    if (data !== undefined) packet.data = data;
    this.emit("packetCreate", packet);
    this.writeBuffer.push(packet);
    if (fn) this.once("flush", fn);
    this.flush();
  }

  /** Closes the connection once the buffer has been written (reason "forced close"). */
  close(): this {
    const close = () => {
      this.#onClose("forced close");
      this.transport.close();
    };
    const after = () =>
      this.upgrading ? this.once("upgrade", close).once("upgradeError", close) : close();
    if (this.readyState === "opening" || this.readyState === "open") {
      this.readyState = "closing";
      if (this.writeBuffer.length) this.once("drain", after);
      else after();
    }
    return this;
  }

  #onError(err: unknown): void {
    EngineSocket.priorWebsocketSuccess = false;
    const transports = this.opts.transports;
    if (this.opts.tryAllTransports && transports.length > 1 && this.readyState === "opening") {
      transports.shift();
      this.transport.removeAllListeners();
      this.transport.close();
      return this.#open();
    }
    this.emit("error", err);
    this.#onClose("transport error", err);
  }

  #onClose(reason: string, description?: unknown): void {
    if (this.readyState === "closed") return;
    this.#pingTimer?.();
    const transport = this.transport;
    if (transport) {
      transport.off("close");
      transport.close();
      transport.removeAllListeners();
    }
    for (const unhook of this.#unhook) unhook();
    this.#unhook = [];
    this.readyState = "closed";
    this.id = null;
    this.emit("close", reason, description);
    this.writeBuffer = [];
    this.#prevBufferLen = 0;
  }
}
