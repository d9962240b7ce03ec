/**
 * The WebSocket transport of the client. It uses the runtime's global
 * `WebSocket`; on Node 20, which has none, it loads the `ws` package lazily;
 * on Cloudflare Workers (and with a custom `fetch`, such as a Durable Object
 * stub or a service binding) it opens the socket with a `fetch` carrying
 * `Upgrade: websocket`, which also carries `extraHeaders`.
 *
 * @module
 */

import type { Packet } from "../parser/engine_packet.ts";
import { encodeEngine } from "./_codec.ts";
import { Transport } from "./_transport.ts";
import { globalWebSocket, hasDocument, isWorkers } from "./_globals.ts";
import { nodeWebSocket } from "./_node.ts";

/** What the transport needs of a WebSocket. */
interface WebSocketLike {
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  accept?(): void;
}

type WebSocketCtor = new (url: string, protocols?: unknown, options?: unknown) => WebSocketLike;

function _webSocketCtor(): WebSocketCtor {
  const ctor = (globalWebSocket() ?? nodeWebSocket()) as WebSocketCtor | undefined;
  if (!ctor) throw new TypeError("No WebSocket (nor `ws`)");
  return ctor;
}

/** The WebSocket transport. */
export class WebSocketTransport extends Transport {
  /** The name on the wire. */
  static readonly transportName = "websocket";
  /** The name on the wire. */
  readonly name = "websocket";
  #ws: WebSocketLike | undefined;

  protected doOpen(): void {
    this.#connect().catch((err) => {
      if (this.readyState === "opening") this.emit("error", err);
    });
  }

  async #connect(): Promise<void> {
    const o = this.opts;
    const uri = this.uri("ws", o.timestampRequests === true);
    let ws: WebSocketLike;
    let openNow = false;
    if (o.fetch || isWorkers()) {
      const res = await this.request(
        uri.replace(/^ws/, "http"),
        { headers: { upgrade: "websocket" } },
        new AbortController().signal,
      ) as Response & { webSocket?: WebSocketLike | null };
      ws = res.webSocket!;
      if (!ws) {
        await res.body?.cancel();
        return this.onError("websocket error", res.status, res);
      }
      ws.accept!();
      openNow = true;
    } else {
      const Ctor = _webSocketCtor();
      const headers = o.extraHeaders;
      // a browser cannot set headers; Deno, Bun, undici and `ws` take an options object
      ws = headers && !hasDocument()
        ? new Ctor(uri, o.protocols, { headers, protocols: o.protocols })
        : new Ctor(uri, o.protocols);
    }
    this.#ws = ws;
    if (this.readyState !== "opening") return this.doClose();
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      // Node's `ws`: let the process exit while connected (`autoUnref`)
      if (o.autoUnref) (ws as { _socket?: { unref?(): void } })._socket?.unref?.();
      this.onOpen();
    };
    ws.onclose = (event) =>
      this.onClose({ description: "websocket connection closed", context: event });
    ws.onmessage = (event) => {
      const data = event.data;
      this.onData(typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer));
    };
    ws.onerror = (event) => this.onError("websocket error", event);
    if (openNow) this.onOpen();
  }

  protected write(packets: Packet[]): void {
    this.writable = false;
    const binary = !this.opts.forceBase64;
    for (const packet of packets) {
      try {
        this.#ws!.send(encodeEngine(packet, binary));
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
    const ws = this.#ws;
    if (!ws) return;
    this.#ws = undefined;
    ws.onerror = () => {};
    ws.onclose = null;
    ws.close();
  }
}
