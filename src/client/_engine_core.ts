/**
 * What every Engine.IO client connection does, whatever its transports:
 * the options, the handshake, answering the server's pings and watching for
 * their absence (pingInterval + pingTimeout → "ping timeout"), the write
 * buffer, closing, and the browser's `offline` and (if asked) `beforeunload`
 * events. Writing and closing the transport are the engine's own
 * (`_write`, `_closeTransport`): the full engine (`engine.ts`) adds the
 * transports, payloads under `maxPayload` and the upgrade; the WebSocket-only
 * one (`websocket_engine.ts`) one WebSocket, written through.
 *
 * @module
 */

import type { Packet, PacketOptions } from "../parser/engine_packet.ts";
import { Emitter } from "./_emitter.ts";
import { later } from "./_timers.ts";
import { onHostEvent } from "../util/host.ts";
import { defaultBinaryType } from "./_node.ts";
import { isSecure, parseUri } from "./_uri.ts";
import { parserError, type TransportOptions } from "./_request.ts";
import type { TransportCtor } from "./_transport.ts";

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
  /**
   * Add a cache-busting parameter (polling: unless false; WebSocket: only if
   * true; the WebSocket-only entry: never).
   */
  timestampRequests?: boolean;
  /** The name of that parameter. @default "t" */
  timestampParam?: string;
  /**
   * Send and receive binary as base64 text (the full client only: the
   * WebSocket-only entry always uses binary frames). @default false
   */
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

/** The states of an engine socket. */
export type EngineState = "opening" | "open" | "closing" | "closed";

/** The handshake's data (the open packet). */
export interface Handshake {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

/** What the engine and its users read of the current transport. */
export interface CoreTransport {
  /** The name on the wire. */
  readonly name: string;
  /** Whether a write may start now. */
  writable: boolean;
  /** The query of its requests (the sid is added once known). */
  readonly query: Record<string, string>;
}

/** The options of an engine, completed. */
export type CompletedOptions = TransportOptions & EngineOptions;

/** An Engine.IO v4 client connection, without its transports (see the module doc). */
export abstract class EngineCore extends Emitter {
  /** The Engine.IO protocol revision. */
  static readonly protocol = 4;
  /** The session id, once open. */
  id: string | null = null;
  /** The current transport. */
  declare transport: CoreTransport;
  /** The state of the connection. */
  readyState: EngineState = "opening";
  /**
   * How binary data is handed over: "arraybuffer", or "nodebuffer" (Node
   * `Buffer`s), the default where Node's API is, as in the official client.
   */
  binaryType: string = defaultBinaryType();
  /** Packets not yet written (the full engine: or written and not yet drained). */
  writeBuffer: Packet[] = [];
  /** When the next ping must have arrived (ms since the epoch), 0 before the handshake. */
  _pingTimeoutTime = 0;
  /** The options, completed. */
  declare readonly opts: CompletedOptions;
  #handshake: Partial<Handshake> = {};
  #pingTimer: (() => void) | undefined;
  #unhook: (() => void)[] = [];

  /**
   * Opens a connection to `uri` (or to the host in `opts`); `io()` hands over
   * the URL it has parsed, so it is not parsed again.
   */
  constructor(uri?: string | URL, opts: EngineOptions = {}) {
    super();
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
      ...opts,
      hostname,
      secure,
      port: String(opts.port ?? (url.port || (secure ? "443" : "80"))),
      path,
      query: query as Record<string, string>,
    };
    if (opts.closeOnBeforeunload) {
      this.#unhook.push(onHostEvent("beforeunload", () => this._closeTransport()));
    }
    if (hostname !== "localhost") {
      this.#unhook.push(
        onHostEvent(
          "offline",
          () => this._onClose("transport close", { description: "network connection lost" }),
        ),
      );
    }
    this._open();
  }

  /** Opens the first transport. */
  protected abstract _open(): void;

  /**
   * Writes the buffered packets (called when the transport is writable and
   * the buffer not empty), emits "flush", and "drain" once the buffer is empty.
   */
  protected abstract _write(buffer: Packet[]): void;

  /** Closes the current transport, which must report nothing more. */
  protected abstract _closeTransport(): void;

  /** After the handshake: `maxPayload` and the upgrade, where there are (the full engine). */
  protected _opened?(handshake: Handshake): void;

  /** The query of a transport of this session. */
  _query(name: string): Record<string, string> {
    const query: Record<string, string> = {
      ...this.opts.query as Record<string, string>,
      EIO: "4",
      transport: name,
    };
    if (this.id) query.sid = this.id;
    return query;
  }

  /** A packet from the current transport. */
  _onPacket(packet: Packet): void {
    if (this.readyState === "closed") return;
    this.emit("packet", packet);
    this.emit("heartbeat");
    switch (packet.type) {
      case "open":
        try {
          this.#onHandshake(JSON.parse(packet.data as string));
        } catch {
          this._onError(parserError());
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
    this.emit("open");
    this.flush();
    this._opened?.(data);
    // an `open` listener may have closed the connection
    if ((this.readyState as EngineState) !== "closed") this.#resetPingTimeout();
  }

  #resetPingTimeout(): void {
    this.#pingTimer?.();
    const delay = this.#handshake.pingInterval! + this.#handshake.pingTimeout!;
    this._pingTimeoutTime = Date.now() + delay;
    this.#pingTimer = later(() => this._onClose("ping timeout"), delay, this.opts);
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
      queueMicrotask(() => this._onClose("ping timeout"));
    }
    return expired;
  }

  /** Writes the buffered packets if the transport can take them. */
  flush(): void {
    if (this.readyState !== "closed" && this.transport.writable && this.writeBuffer.length) {
      this._write(this.writeBuffer);
    }
  }

  /** Sends a message. */
  send(data: string | Uint8Array, options?: PacketOptions, fn?: () => void): this {
    this.sendPacket("message", data, options, fn);
    return this;
  }

  /** Queues one packet and flushes. */
  sendPacket(
    type: Packet["type"],
    data?: string | Uint8Array,
    options?: PacketOptions,
    fn?: () => void,
  ): void {
    if (this.readyState.startsWith("clos")) return; // "closing" or "closed"
    // as engine.io-client: a `data` key even when undefined
    const packet = { type, data, options: { compress: options?.compress !== false } } as Packet;
    this.emit("packetCreate", packet);
    this.writeBuffer.push(packet);
    if (fn) this.once("flush", fn);
    this.flush();
  }

  /** Closes the connection once the buffer has been written (reason "forced close"). */
  close(): this {
    if (this.readyState.startsWith("open")) { // "opening" or "open"
      this.readyState = "closing";
      if (this.writeBuffer.length) this.once("drain", () => this._closeWritten());
      else this._closeWritten();
    }
    return this;
  }

  /** `close()` once the buffer is written (the full engine waits for an upgrade in progress). */
  protected _closeWritten(): void {
    // _onClose closes the transport too
    this._onClose("forced close");
  }

  /** The current transport failed. */
  _onError(err: unknown): void {
    this.emit("error", err);
    this._onClose("transport error", err);
  }

  /** The connection is over: `reason` as in engine.io-client, with its details. */
  _onClose(reason: string, description?: unknown): void {
    if (this.readyState === "closed") return;
    this.#pingTimer?.();
    this._closeTransport();
    for (const unhook of this.#unhook) unhook();
    this.#unhook = [];
    this.readyState = "closed";
    this.id = null;
    this.emit("close", reason, description);
    this.writeBuffer = [];
  }
}

/** The alias of engine.io-client. */
export interface EngineCore {
  /** Sends a message (alias of `send`). */
  write(data: string | Uint8Array, options?: PacketOptions, fn?: () => void): this;
}

(EngineCore.prototype as { write: unknown }).write = EngineCore.prototype.send;
