/**
 * A hibernatable WebSocket as the engine sees it, with one workerd
 * limitation designed around: a hibernatable WebSocket that the object
 * closes before its client has sent a single message gets its close frame,
 * and workerd even reports the client's answering close, but keeps the TCP
 * connection open until the object is evicted (workerd 2026-04-26;
 * `tests/cloudflare/close_before_message_test.ts` reproduces it without
 * sio-edge). A client waiting for the end of its connection (Node's `ws`
 * for 30 s, a browser's close event) hangs meanwhile.
 *
 * Once one message has arrived, a close ends the connection at once. So a
 * close before that first message, on a socket that carries an Engine.IO v4
 * session, is deferred: the client is sent a ping, which every v4 client
 * answers with a pong, and the close goes out when that answer (or any
 * message) arrives, or after `grace` ms (the server's `pingTimeout`) for a
 * client that says nothing. Engine.IO v3 clients are never pinged by the
 * server, and a socket that carries no session (a second WebSocket for a
 * session that has one) is no Engine.IO conversation: their close goes out
 * at once, and workerd keeps their connection.
 *
 * @module
 */

import type { WebSocketLike } from "../../engine/ports.ts";
import { encodePacket } from "../../parser/engine_packet.ts";
import type { CfWebSocket } from "./_types.ts";

/** The WebSocket `readyState` of a closing socket. */
const CLOSING = 2;

const PING = encodePacket({ type: "ping" }, true) as string;

/** The {@link WebSocketLike} of one accepted hibernatable WebSocket. */
export class ObjectSocket implements WebSocketLike {
  /** The runtime's socket. */
  readonly ws: CfWebSocket;
  /** Whether a message has arrived (then a close ends the connection for real). */
  #heard: boolean;
  #canPing = false;
  readonly #grace: number;
  /** A close waiting for the client's first message. */
  #deferred:
    | { code: number | undefined; reason: string | undefined; timer: ReturnType<typeof setTimeout> }
    | undefined;

  /**
   * `heard`: whether the client counts as having sent a message already (a
   * socket taken over after hibernation); `grace`: how long a deferred close
   * waits for the answer to its ping.
   */
  constructor(ws: CfWebSocket, options: { heard: boolean; grace: number }) {
    this.ws = ws;
    this.#heard = options.heard;
    this.#grace = options.grace;
  }

  /** The socket carries a session of Engine.IO `protocol` (a v4 client answers pings). */
  carries(protocol: number): void {
    this.#canPing = protocol >= 4;
  }

  get readyState(): number {
    return this.#deferred ? CLOSING : this.ws.readyState;
  }

  /** Whether a close waits for the client's answer. */
  get closing(): boolean {
    return this.#deferred !== undefined;
  }

  send(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  close(code?: number, reason?: string): void {
    if (this.#deferred) return;
    if (this.#heard || !this.#canPing || this.ws.readyState !== 1) {
      return closeSocket(this.ws, code, reason);
    }
    try {
      this.ws.send(PING);
    } catch {
      return closeSocket(this.ws, code, reason);
    }
    const timer = setTimeout(() => this.#closeNow(), this.#grace);
    this.#deferred = { code, reason, timer };
  }

  /**
   * A message arrived: returns whether it is the engine's to read (false:
   * the answer a deferred close waited for, which now goes out).
   */
  heard(): boolean {
    this.#heard = true;
    if (!this.#deferred) return true;
    this.#closeNow();
    return false;
  }

  /** The socket closed or failed: nothing left to defer. */
  ended(): void {
    if (this.#deferred) clearTimeout(this.#deferred.timer);
    this.#deferred = undefined;
  }

  #closeNow(): void {
    const deferred = this.#deferred;
    if (!deferred) return;
    clearTimeout(deferred.timer);
    this.#deferred = undefined;
    try {
      closeSocket(this.ws, deferred.code, deferred.reason);
    } catch {
      // already closed by the peer
    }
  }
}

/** `ws.close()` with only the arguments given (no code: the peer sees 1005, as elsewhere). */
function closeSocket(ws: CfWebSocket, code?: number, reason?: string): void {
  if (code === undefined) ws.close();
  else if (reason === undefined) ws.close(code);
  else ws.close(code, reason);
}
