/**
 * The engine of `sio-edge/client/websocket`: `_engine_core.ts` over one
 * WebSocket, opened by `_ws.ts`, with no transport layer between them (no
 * polling, no upgrade, no transport classes or their events). WebSocket has
 * no write callback, so a packet is written through: once the socket is open
 * it goes to `ws.send` at once ("flush", then "drain"); only before that does
 * it wait in the buffer.
 *
 * @module
 */

import type { Packet } from "../parser/engine_packet.ts";
import { decodeEngine, encodeEngine } from "./_codec.ts";
import { type CoreTransport, EngineCore } from "./_engine_core.ts";
import { parserError, requestUri, TransportError } from "./_request.ts";
import { closeWebSocket, openWebSocket, type WebSocketLike } from "./_ws.ts";

/** An Engine.IO v4 client connection over WebSocket only. */
export class WebSocketEngine extends EngineCore {
  // declared, not initialised: _open() runs in the core's constructor, before
  // this class's fields would be
  /** The socket, once made. */
  declare _ws: WebSocketLike | undefined;
  /** Whether the socket was closed from here (it reports nothing more). */
  declare _closed?: boolean;

  protected _open(): void {
    const o = { ...this.opts, ...this.opts.transportOptions?.websocket };
    const transport: CoreTransport = this.transport = {
      name: "websocket",
      writable: false,
      query: this._query("websocket"),
    };
    openWebSocket(o, requestUri(o, transport.query, "ws"), {
      onOpen: () => (transport.writable = !this._closed),
      onData: (data) => {
        let packet: Packet;
        try {
          packet = decodeEngine(data);
        } catch {
          return this._onError(parserError());
        }
        this._onPacket(packet);
      },
      onClose: (details) => !this._closed && this._onClose("transport close", details),
      onError: (reason, description, context) =>
        !this._closed && this._onError(new TransportError(reason, description, context)),
    }, (socket) => (this._ws = socket, !this._closed)).catch((err) =>
      !this._closed && this._onError(err)
    );
  }

  protected _write(buffer: Packet[]): void {
    for (const packet of buffer) {
      try {
        this._ws!.send(encodeEngine(packet));
      } catch {
        // the socket is closing: its close event follows
      }
    }
    this.writeBuffer = [];
    this.emit("flush");
    this.emit("drain");
  }

  protected _closeTransport(): void {
    this._closed = true;
    closeWebSocket(this._ws);
  }
}
