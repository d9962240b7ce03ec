/**
 * The full client's Engine.IO socket: `_engine_core.ts` plus the transports
 * (polling and WebSocket, or constructors given in `transports`),
 * `tryAllTransports`, `rememberUpgrade`, and the upgrade from polling to
 * WebSocket after the handshake (probe, pause, flush; nothing lost or
 * duplicated).
 *
 * @module
 */

import type { Packet } from "../parser/engine_packet.ts";
import { EngineCore } from "./_engine_core.ts";
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

  protected override _opened(upgrades: string[]): void {
    EngineSocket.priorWebsocketSuccess = this.transport.name === "websocket";
    if (this.transport.name === "polling" && this.opts.upgrade !== false) probe(this, upgrades);
  }

  override _onError(err: unknown): void {
    EngineSocket.priorWebsocketSuccess = false;
    const transports = this.opts.transports!;
    if (this.opts.tryAllTransports && transports.length > 1 && this.readyState === "opening") {
      transports.shift();
      this.transport.removeAllListeners();
      this.transport.close();
      return this._open();
    }
    super._onError(err);
  }
}
