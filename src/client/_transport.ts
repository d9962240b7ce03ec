/**
 * The base of the client's Engine.IO transports: state, URI building, and the
 * events the engine socket listens to (`open`, `packet`, `drain`, `error`,
 * `close`, plus `pollComplete` from polling).
 *
 * @module
 */

import type { Packet } from "../parser/engine_packet.ts";
import { decodeEngine } from "./_codec.ts";
import { Emitter } from "./_emitter.ts";

/** The engine options a transport reads (see `EngineOptions` in engine.ts). */
export interface TransportOptions {
  hostname: string;
  secure: boolean;
  port: string;
  path: string;
  query: Record<string, string>;
  timestampRequests?: boolean;
  timestampParam: string;
  forceBase64?: boolean;
  withCredentials?: boolean;
  extraHeaders?: Record<string, string>;
  protocols?: string | string[];
  requestTimeout?: number;
  fetch?: typeof fetch;
  [option: string]: unknown;
}

/** The details of a transport error, as in engine.io-client's `TransportError`. */
export class TransportError extends Error {
  /** Always `"TransportError"`. */
  readonly type = "TransportError";
  /** What failed: an HTTP status, an event or an error. */
  declare readonly description: unknown;
  /** The failed response or socket, when there is one. */
  declare readonly context?: unknown;
  /** Makes the error. */
  constructor(reason: string, description: unknown, context?: unknown) {
    super(reason);
    this.description = description;
    this.context = context;
  }
}

/**
 * What a malformed packet from the server becomes: engine.io-client's
 * `Error("server error")` with `code: "parser error"`.
 */
export function parserError(): Error {
  return Object.assign(new Error("server error"), { code: "parser error" });
}

/** The states of a transport. */
export type TransportState = "opening" | "open" | "closed" | "pausing" | "paused";

/** A transport constructor, as accepted in the `transports` option. */
export interface TransportCtor {
  new (opts: TransportOptions): Transport;
  /** The transport's name on the wire. */
  readonly transportName: string;
}

/** The state every transport shares; subclasses add `doOpen`, `doClose`, `write`. */
export abstract class Transport extends Emitter {
  /** The name on the wire: "polling" or "websocket". */
  abstract readonly name: string;
  /** Whether a write may start now. */
  writable = false;
  /** The current state. */
  readyState: TransportState | "" = "";
  /** The options (and the `query`, which gets the `sid` once known). */
  declare readonly opts: TransportOptions;
  /** The query sent on every request (EIO, transport, sid, …). */
  declare readonly query: Record<string, string>;

  /** Makes a closed transport. */
  constructor(opts: TransportOptions) {
    super();
    this.opts = opts;
    this.query = opts.query;
  }

  /** Opens the transport. */
  open(): this {
    this.readyState = "opening";
    this.doOpen();
    return this;
  }

  /** Closes the transport (sending the close packet where the transport has one). */
  close(): this {
    if (this.readyState === "opening" || this.readyState === "open") {
      this.doClose();
      this.onClose();
    }
    return this;
  }

  /** Sends packets if open. */
  send(packets: Packet[]): void {
    if (this.readyState === "open") this.write(packets);
  }

  /** The packets of `buffer` to write now (polling: one payload under `maxPayload`; default all). */
  pick?(buffer: Packet[], maxPayload: number): Packet[];

  /** Waits until nothing is in flight, then calls `onPause` (polling, before an upgrade). */
  pause?(onPause: () => void): void;

  protected abstract doOpen(): void;
  protected abstract doClose(): void;
  protected abstract write(packets: Packet[]): void;

  protected onOpen(): void {
    this.readyState = "open";
    this.writable = true;
    this.emit("open");
  }

  protected onData(data: string | Uint8Array): void {
    let packet: Packet;
    try {
      packet = decodeEngine(data);
    } catch {
      return void this.emit("error", parserError());
    }
    this.onPacket(packet);
  }

  protected onPacket(packet: Packet): void {
    this.emit("packet", packet);
  }

  protected onError(reason: string, description: unknown, context?: unknown): void {
    this.emit("error", new TransportError(reason, description, context));
  }

  protected onClose(details?: unknown): void {
    this.readyState = "closed";
    this.emit("close", details);
  }

  /** The request URI for `schema` ("http(s)" or "ws(s)"), with the query (never empty: EIO, transport). */
  protected uri(schema: string, timestamps: boolean): string {
    const o = this.opts;
    const query = new URLSearchParams(this.query);
    if (timestamps) query.set(o.timestampParam, Math.random().toString(36).slice(2, 10));
    if (o.forceBase64) query.set("b64", "1");
    const host = o.hostname.includes(":") ? "[" + o.hostname + "]" : o.hostname;
    const port = o.port && o.port !== (o.secure ? "443" : "80") ? ":" + o.port : "";
    return schema + (o.secure ? "s" : "") + "://" + host + port + o.path + "?" + query;
  }

  /** `fetch` (or `using`) with the extra headers, credentials mode and abort signal. */
  protected request(
    uri: string,
    init: RequestInit,
    signal: AbortSignal,
    using: typeof fetch | undefined = this.opts.fetch,
  ): Promise<Response> {
    const o = this.opts;
    const headers = { ...o.extraHeaders, ...(init.headers as Record<string, string>) };
    return (using ?? fetch)(uri, {
      ...init,
      headers,
      signal,
      credentials: o.withCredentials ? "include" : "omit",
    });
  }
}
