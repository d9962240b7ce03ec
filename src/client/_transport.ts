/**
 * The base of the client's Engine.IO transports: state, URI building, and the
 * events the engine socket listens to (`open`, `packet`, `drain`, `error`,
 * `close`, plus `pollComplete` from polling).
 *
 * @module
 */

import type { Packet } from "../parser/engine_packet.ts";
import { decodeEngineText } from "./_codec.ts";
import { Emitter } from "./_emitter.ts";
import { parserError, requestUri, TransportError, type TransportOptions } from "./_request.ts";

export { parserError, TransportError, type TransportOptions } from "./_request.ts";

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
    // the server sends binary as base64 text to a client that asks so
    if (opts.forceBase64) this.query.b64 = "1";
  }

  /** Opens the transport. */
  open(): this {
    this.readyState = "opening";
    this.doOpen();
    return this;
  }

  /** Closes the transport (sending the close packet where the transport has one). */
  close(): this {
    if (this.readyState.startsWith("open")) { // "opening" or "open"
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

  /** Reported by the transport itself (and `_ws.ts`). */
  onOpen(): void {
    this.readyState = "open";
    this.writable = true;
    this.emit("open");
  }

  /** Reported by the transport itself (and `_ws.ts`). */
  onData(data: string | Uint8Array): void {
    let packet: Packet;
    try {
      // base64 (`b…`) only with forceBase64: decodeEngineText reads it either way
      packet = decodeEngineText(data);
    } catch {
      return void this.emit("error", parserError());
    }
    this.emit("packet", packet);
  }

  /** Reported by the transport itself (and `_ws.ts`). */
  onError(reason: string, description: unknown, context?: unknown): void {
    this.emit("error", new TransportError(reason, description, context));
  }

  /** Reported by the transport itself (and `_ws.ts`). */
  onClose(details?: unknown): void {
    this.readyState = "closed";
    this.emit("close", details);
  }

  /** The request URI for `schema` ("http(s)" or "ws(s)"), with the query and, if `timestamps`, a cache-buster. */
  protected uri(schema: string, timestamps: boolean): string {
    const query = timestamps
      ? {
        ...this.query,
        [this.opts.timestampParam ?? "t"]: Math.random().toString(36).slice(2, 10),
      }
      : this.query;
    return requestUri(this.opts, query, schema);
  }
}
