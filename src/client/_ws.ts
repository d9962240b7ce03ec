/**
 * Opening a WebSocket to the server, shared by the WebSocket transport (full
 * entry) and the WebSocket-only engine: the runtime's global `WebSocket`; on
 * Node the `ws` package, loaded lazily; on Cloudflare
 * Workers (and with a custom `fetch`, such as a Durable Object stub or a
 * service binding) a `fetch` carrying `Upgrade: websocket`, which also
 * carries `extraHeaders`.
 *
 * @module
 */

import { globalWebSocket, hasDocument, isWorkers } from "../util/host.ts";
import { nodeWebSocket } from "./_node.ts";
import { request, type TransportOptions } from "./_request.ts";

/** What the client needs of a WebSocket. */
export interface WebSocketLike {
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

/** What happens on the socket, as the caller wants it reported (a transport's own methods). */
export interface WebSocketEvents {
  /** The socket is open. */
  onOpen(): void;
  /** A text or binary frame. */
  onData(data: string | Uint8Array): void;
  /** The socket closed (its close event as the context). */
  onClose(details: { description: string; context: unknown }): void;
  /** The connection failed: the reason, the event or status, and the response. */
  onError(reason: string, description: unknown, context?: unknown): void;
}

/**
 * Opens a WebSocket to `uri` ("ws(s)://…") with the options' protocols,
 * headers and `autoUnref`, and reports on `on`. `use` gets the socket as soon
 * as it exists and says whether it is still wanted; if not, it is closed at
 * once. Rejects if there is no WebSocket at all.
 */
export async function openWebSocket(
  o: TransportOptions,
  uri: string,
  on: WebSocketEvents,
  use: (ws: WebSocketLike) => boolean,
): Promise<void> {
  let ws: WebSocketLike | null | undefined;
  let openNow = false;
  if (o.fetch || isWorkers()) {
    const res = await request(o, uri.replace(/^ws/, "http"), {
      headers: { upgrade: "websocket" },
    }) as Response & { webSocket?: WebSocketLike | null };
    ws = res.webSocket;
    if (!ws) {
      await res.body?.cancel();
      on.onError("websocket error", res.status, res);
      return;
    }
    ws.accept!();
    openNow = true;
  } else {
    // on Node `ws` first, as the official client (see _node.ts)
    const Ctor = (nodeWebSocket() ?? globalWebSocket()) as WebSocketCtor | undefined;
    if (!Ctor) throw new TypeError("No WebSocket (nor `ws`)");
    const headers = o.extraHeaders;
    // a browser cannot set headers; Deno, Bun, undici and `ws` take an options object
    ws = headers && !hasDocument()
      ? new Ctor(uri, o.protocols, { headers, protocols: o.protocols })
      : new Ctor(uri, o.protocols);
  }
  if (!use(ws)) return closeWebSocket(ws);
  const socket = ws;
  socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    // Node's `ws`: let the process exit while connected (`autoUnref`)
    if (o.autoUnref) (socket as { _socket?: { unref?(): void } })._socket?.unref?.();
    on.onOpen();
  };
  socket.onclose = (event) =>
    on.onClose({ description: "websocket connection closed", context: event });
  socket.onmessage = (event) => {
    const data = event.data;
    on.onData(typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer));
  };
  socket.onerror = (event) => on.onError("websocket error", event);
  if (openNow) on.onOpen();
}

/** Closes a socket without reporting anything more. */
export function closeWebSocket(ws: WebSocketLike | undefined): void {
  if (!ws) return;
  ws.onerror = () => {};
  ws.onclose = null;
  ws.close();
}
