/**
 * The engine of `sio-edge/client/websocket`: `_engine_core.ts` over one
 * WebSocket, opened by `_ws.ts`, with no transport layer between them (no
 * polling, no upgrade, no transport classes or their events).
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
  protected _open(): void {
    const o = { ...this.opts, ...this.opts.transportOptions?.websocket };
    let ws: WebSocketLike | undefined;
    let live = true;
    const transport: CoreTransport = this.transport = {
      name: "websocket",
      writable: false,
      query: this._query("websocket"),
      send: (packets: Packet[]) => {
        transport.writable = false;
        for (const packet of packets) {
          try {
            ws!.send(encodeEngine(packet, !o.forceBase64));
          } catch {
            // the socket is closing: its close event follows
          }
        }
        // WebSocket has no write callback: the frames are queued, the pipe is free
        queueMicrotask(() => {
          if (!live) return;
          transport.writable = true;
          this._onDrain();
        });
      },
      close: () => {
        live = false;
        closeWebSocket(ws);
      },
    };
    openWebSocket(o, requestUri(o, transport.query, "ws", o.timestampRequests === true), {
      onOpen: () => (transport.writable = live),
      onData: (data) => {
        let packet: Packet;
        try {
          packet = decodeEngine(data);
        } catch {
          return this._onError(parserError());
        }
        this._onPacket(packet);
      },
      onClose: (details) => live && this._onClose("transport close", details),
      onError: (reason, description, context) =>
        live && this._onError(new TransportError(reason, description, context)),
    }, (socket) => (ws = socket, live)).catch((err) => live && this._onError(err));
  }
}
