/**
 * The full client's Engine.IO socket: `_engine_core.ts` plus the transports
 * (polling and WebSocket, or constructors given in `transports`),
 * `tryAllTransports`, `rememberUpgrade`, the write buffer's transport side
 * (a polling payload under `maxPayload`, kept until the transport drains it),
 * and the upgrade from polling to WebSocket after the handshake (probe,
 * pause, flush; nothing lost or duplicated).
 *
 * @module
 */

import type { Packet } from "../parser/engine_packet.ts";
import { EngineCore, type Handshake } from "./_engine_core.ts";
import type { Transport, TransportCtor } from "./_transport.ts";
import { Polling } from "./polling.ts";
import { WebSocketTransport } from "./websocket_transport.ts";
import { probe } from "./_upgrade.ts";

export type { CoreTransport, EngineOptions, EngineState } from "./_engine_core.ts";

/** An Engine.IO v4 client connection (engine.io-client's `Socket`). */
export class EngineSocket extends EngineCore {
  /** Whether the last connection upgraded to WebSocket (for `rememberUpgrade`). */
  static priorWebsocketSuccess = false;
  /** The transports that `transports` may name. */
  static transports: Record<string, TransportCtor> = {
    polling: Polling,
    websocket: WebSocketTransport,
  };
  /** The current transport. */
  declare transport: Transport;
  /** Whether an upgrade is in progress. */
  upgrading = false;
  /** How many packets at the head of `writeBuffer` the transport is writing. */
  #prevBufferLen = 0;
  /** The handshake's `maxPayload` (polling payloads stay under it). */
  #maxPayload: number | undefined;

  /** The transports asked for that this client has, in order. */
  _ctors(): TransportCtor[] {
    // the default here: the WebSocket-only engine has no choice to make
    return (this.opts.transports ??= ["polling", "websocket"]).map((t) =>
      typeof t === "string" ? EngineSocket.transports[t]! : t
    )
      .filter(Boolean);
  }

  /** Makes a transport for this session (used by the upgrade probe too). */
  _createTransport(Ctor: TransportCtor): Transport {
    const name = Ctor.transportName;
    return new Ctor({
      ...this.opts,
      ...this.opts.transportOptions?.[name],
      query: this._query(name),
    });
  }

  protected _open(): void {
    const ctors = this._ctors();
    // WebSocket first if `rememberUpgrade` and the last connection upgraded to it
    const Ctor = (this.opts.rememberUpgrade && EngineSocket.priorWebsocketSuccess &&
      ctors.find((c) => c.transportName === "websocket")) || ctors[0];
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
      .on("drain", () => this._onDrain())
      .on("packet", (packet: Packet) => this._onPacket(packet))
      .on("error", (err: unknown) => this._onError(err))
      .on("close", (details: unknown) => this._onClose("transport close", details));
  }

  /**
   * Hands the transport what it can take (polling: one payload under
   * `maxPayload`); nothing while upgrading: the buffer goes to the new
   * transport once it is current.
   */
  protected _write(buffer: Packet[]): void {
    if (this.upgrading) return;
    const transport = this.transport;
    const packets = transport.pick?.(buffer, this.#maxPayload!) ?? buffer;
    transport.send(packets);
    this.#prevBufferLen = packets.length;
    this.emit("flush");
  }

  /** The current transport wrote what it was given. */
  _onDrain(): void {
    this.writeBuffer.splice(0, this.#prevBufferLen);
    this.#prevBufferLen = 0;
    if (this.writeBuffer.length === 0) this.emit("drain");
    else this.flush();
  }

  /** After an upgrade in progress, either way ("upgrade" is emitted while `upgrading` is still true). */
  protected override _closeWritten(): void {
    const close = () => super._closeWritten();
    if (this.upgrading) this.once("upgrade", close).once("upgradeError", close);
    else close();
  }

  /** Stops the transport's events reaching the engine, then closes it. */
  protected _closeTransport(): void {
    const transport = this.transport;
    transport?.removeAllListeners();
    transport?.close();
  }

  protected override _opened(handshake: Handshake): void {
    this.#maxPayload = handshake.maxPayload;
    EngineSocket.priorWebsocketSuccess = this.transport.name === "websocket";
    // not if an `open` listener has already closed the connection
    if (
      this.readyState === "open" && this.transport.name === "polling" &&
      this.opts.upgrade !== false
    ) {
      probe(this, handshake.upgrades ?? []);
    }
  }

  override _onError(err: unknown): void {
    EngineSocket.priorWebsocketSuccess = false;
    const transports = this.opts.transports!;
    if (this.opts.tryAllTransports && transports.length > 1 && this.readyState === "opening") {
      transports.shift();
      this._closeTransport();
      return this._open();
    }
    super._onError(err);
  }
}
