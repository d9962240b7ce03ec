/**
 * What the polling and WebSocket transports share: state, events, and the
 * orderly close.
 *
 * @module
 */

import { Emitter } from "../util/emitter.ts";
import type { Packet } from "../parser/engine_packet.ts";

/** The name of a transport. */
export type TransportName = "polling" | "websocket";

/** Events a transport gives its session. */
export type TransportEvents = {
  /** A decoded packet from the client. */
  packet: (packet: Packet) => void;
  /** A malformed packet arrived; the session closes with "parse error". */
  parseError: () => void;
  /** The transport can take packets now (a GET is waiting; the socket opened). */
  ready: () => void;
  /** Packets handed to `send` have been written. */
  drain: () => void;
  /** The transport is closed. */
  close: () => void;
  /** The transport failed; the session closes with "transport error". */
  error: (message: string, description?: unknown) => void;
};

/**
 * Where a transport reports to the session it serves: one object per session
 * (the session's own), set while the session is attached, instead of five
 * listeners and a closure to remove them. The {@link TransportEvents} still
 * fire, after the sink, for anyone else watching (an upgrade in progress).
 */
export interface TransportSink {
  /** A decoded packet from the client. */
  onPacket(packet: Packet): void;
  /** A malformed packet arrived. */
  onParseError(): void;
  /** The transport can take packets now. */
  onReady(): void;
  /** The transport failed. */
  onError(message: string, description?: unknown): void;
  /** The transport is closed. */
  onClose(): void;
}

/** The base of both transports. */
export abstract class Transport extends Emitter<TransportEvents> {
  /** The session this transport serves, while attached to it. */
  sink: TransportSink | undefined;
  /** "open" until `close()` starts, then "closing", then "closed". */
  readyState: "open" | "closing" | "closed" = "open";
  /** Whether `send()` would write now. */
  writable = false;
  /** Set when an upgrade replaced this transport. */
  discarded = false;
  /** The largest payload or message accepted, in bytes. */
  readonly maxPayload: number;
  /**
   * The most bytes the runtime may hold unwritten for this transport (the
   * session's `maxBufferedBytes`); over it the transport fails with
   * "write buffer full".
   */
  maxBuffered = Infinity;

  /** The transport's protocol name. */
  abstract readonly name: TransportName;

  constructor(maxPayload: number) {
    super();
    this.maxPayload = maxPayload;
  }

  /**
   * Whether the runtime holds more than half of {@link maxBuffered}
   * unwritten: volatile packets are skipped then.
   */
  get congested(): boolean {
    return false;
  }

  /** Writes packets; only called while `writable`. */
  abstract send(packets: Packet[]): void;

  /** Closes the transport, then calls `fn`. */
  close(fn?: () => void): void {
    if (this.readyState !== "open") return;
    this.readyState = "closing";
    this.doClose(fn ?? (() => {}));
  }

  /** Marks the transport as replaced by an upgrade. */
  discard(): void {
    this.discarded = true;
  }

  /** The session moved onto the transport that upgraded this one: {@link discard}, and more for polling. */
  replaced(): void {
    this.discard();
  }

  /** The transport-specific part of `close`. */
  protected abstract doClose(fn: () => void): void;

  /** Hands a decoded packet to the session. */
  protected onPacket(packet: Packet): void {
    this.sink?.onPacket(packet);
    this.emit("packet", packet);
  }

  /** Reports a malformed packet; the session closes with "parse error". */
  protected onParseError(): void {
    this.sink?.onParseError();
    this.emit("parseError");
  }

  /** Tells the session that the transport can take packets now. */
  protected onReady(): void {
    this.sink?.onReady();
    this.emit("ready");
  }

  /** Reports a failure; the session closes with "transport error". */
  protected onError(message: string, description?: unknown): void {
    this.sink?.onError(message, description);
    if (this.listenerCount("error")) this.emit("error", message, description);
  }

  /** Marks the transport closed and tells the session. */
  protected onClose(): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.writable = false;
    this.sink?.onClose();
    this.emit("close");
  }
}
