/**
 * The WebSocket transport of the full client (`_ws.ts` opens the socket).
 *
 * @module
 */

import type { Packet } from "../parser/engine_packet.ts";
import { encodeEngine, encodeEngineText } from "./_codec.ts";
import { Transport } from "./_transport.ts";
import { closeWebSocket, openWebSocket, type WebSocketLike } from "./_ws.ts";

/** The WebSocket transport. */
export class WebSocketTransport extends Transport {
  /** The name on the wire. */
  static readonly transportName = "websocket";
  /** The name on the wire. */
  readonly name = "websocket";
  #ws: WebSocketLike | undefined;

  protected doOpen(): void {
    openWebSocket(this.opts, this.uri("ws", this.opts.timestampRequests === true), this, (ws) => {
      this.#ws = ws;
      return this.readyState === "opening";
    }).catch((err) => {
      if (this.readyState === "opening") this.emit("error", err);
    });
  }

  protected write(packets: Packet[]): void {
    this.writable = false;
    const encode = this.opts.forceBase64 ? encodeEngineText : encodeEngine;
    for (const packet of packets) {
      try {
        this.#ws!.send(encode(packet));
      } catch {
        // the socket is closing: its close event follows
      }
    }
    // WebSocket has no write callback: the frames are queued, the pipe is free
    queueMicrotask(() => {
      this.writable = true;
      this.emit("drain");
    });
  }

  protected doClose(): void {
    closeWebSocket(this.#ws);
    this.#ws = undefined;
  }
}
