/**
 * The WebSocket transport: one Engine.IO packet per frame, binary as binary
 * frames. The runtime's socket arrives through the {@link WebSocketEvents}
 * port; packets sent before it opens wait in the session's buffer.
 *
 * @module
 */

import { decodePacket, encodePacket, type Packet } from "../parser/engine_packet.ts";
import { decodePacketV3, encodePacketV3 } from "../parser/engine_packet_v3.ts";
import type { WebSocketEvents, WebSocketLike } from "./ports.ts";
import { Transport } from "./transport.ts";
import { exceedsPayload } from "./payload_size.ts";

/** WebSocket close code for a message over the size limit (RFC 6455 §7.4.1). */
export const MESSAGE_TOO_BIG = 1009;

const encoder = new TextEncoder();

/** The WebSocket transport. */
export class WebSocketTransport extends Transport {
  readonly name = "websocket" as const;
  #ws: WebSocketLike | undefined;
  /** Messages of at least this many bytes may be compressed; Infinity: never. */
  readonly #deflateThreshold: number;

  /** Engine.IO v3: a binary message is its type byte, then the bytes. */
  readonly v3: boolean;
  /**
   * The client asked for binary as base64 text (`b64=1`, engine.io-client's
   * `forceBase64`): as the official server, binary goes as a `b…` text frame.
   */
  readonly base64: boolean;

  /** `deflateThreshold`: the `perMessageDeflate` threshold, when compression is on. */
  constructor(maxPayload: number, deflateThreshold?: number, v3 = false, base64 = false) {
    super(maxPayload);
    this.#deflateThreshold = deflateThreshold ?? Infinity;
    this.v3 = v3;
    this.base64 = base64;
  }

  /** Whether a frame may be compressed: asked for, and over the threshold (as the official transport). */
  #compress(frame: string | Uint8Array, wanted: boolean | undefined): boolean {
    if (wanted === false || this.#deflateThreshold === Infinity) return false;
    const size = typeof frame === "string"
      ? (frame.length >= this.#deflateThreshold ? Infinity : encoder.encode(frame).byteLength)
      : frame.byteLength;
    return size >= this.#deflateThreshold;
  }

  /** The callbacks the runtime glue drives (one small object, no closures). */
  readonly events: WebSocketEvents = new Events(this);

  /** Internal: the runtime's socket opened. */
  _onOpen(ws: WebSocketLike): void {
    this.#ws = ws;
    if (this.readyState !== "open") {
      ws.close(1000);
      return;
    }
    this.writable = true;
    this.onReady();
  }

  /** Internal: the runtime's socket closed. */
  _onClosed(): void {
    this.onClose();
  }

  /** Internal: the runtime's socket failed. */
  _onFailed(err: unknown): void {
    this.onError("websocket error", err);
  }

  /** The runtime's socket once open. */
  get socket(): WebSocketLike | undefined {
    return this.#ws;
  }

  /** Internal: a frame from the runtime's socket. */
  _onMessage(data: string | Uint8Array): void {
    if (this.readyState === "closed") return;
    if (exceedsPayload(data, this.maxPayload)) {
      // a status without reason, as the official server's `ws` sends it
      this.#ws?.close(MESSAGE_TOO_BIG);
      this.onError("payload too large");
      return;
    }
    let packet: Packet;
    try {
      packet = this.v3 ? decodePacketV3(data) : decodePacket(data);
    } catch {
      this.onParseError();
      return;
    }
    this.onPacket(packet);
  }

  override get congested(): boolean {
    const buffered = this.#ws?.bufferedAmount;
    return buffered !== undefined && buffered * 2 > this.maxBuffered;
  }

  send(packets: Packet[]): void {
    const ws = this.#ws;
    if (!ws) return;
    for (const packet of packets) {
      try {
        const frame = this.v3
          ? encodePacketV3(packet, this.base64)
          : encodePacket(packet, !this.base64);
        ws.send(frame, this.#compress(frame, packet.options?.compress));
      } catch (err) {
        this.onError("write error", err);
        return;
      }
    }
    if (this.#overflowed(ws)) return;
    this.emit("drain");
  }

  /** Writes one encoded frame; only called while `writable`. */
  sendFrame(frame: string | Uint8Array, compress?: boolean): void {
    const ws = this.#ws;
    if (!ws) return;
    try {
      ws.send(frame, this.#compress(frame, compress));
    } catch (err) {
      this.onError("write error", err);
      return;
    }
    if (this.#overflowed(ws)) return;
    this.emit("drain");
  }

  /**
   * Drops a client that does not read: the runtime's unwritten bytes
   * (`bufferedAmount`, where it reports one) over the bound fail the transport.
   */
  #overflowed(ws: WebSocketLike): boolean {
    const buffered = ws.bufferedAmount;
    if (buffered === undefined || buffered <= this.maxBuffered) return false;
    this.writable = false;
    this.onError("write buffer full", { bufferedAmount: buffered, limit: this.maxBuffered });
    try {
      // the closing handshake would queue behind what the client never reads
      ws.terminate?.();
    } catch {
      // already gone
    }
    return true;
  }

  protected doClose(fn: () => void): void {
    // first: Bun runs the close handler inside ws.close(), which would report "transport close"
    fn();
    try {
      // no status code, like the official server (ws's `close()`): the client sees 1005
      this.#ws?.close();
    } catch {
      // already closing: the runtime reports the close through onClose
    }
    // a socket that never opened has nothing to wait for
    if (!this.#ws) this.onClose();
  }
}

/** The {@link WebSocketEvents} of one transport. */
class Events implements WebSocketEvents {
  readonly #transport: WebSocketTransport;

  constructor(transport: WebSocketTransport) {
    this.#transport = transport;
  }

  onOpen(ws: WebSocketLike): void {
    this.#transport._onOpen(ws);
  }

  onMessage(data: string | Uint8Array): void {
    this.#transport._onMessage(data);
  }

  onClose(): void {
    this.#transport._onClosed();
  }

  onError(err: unknown): void {
    this.#transport._onFailed(err);
  }
}
