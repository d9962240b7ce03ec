/**
 * A Worker without sio-edge, for `close_before_message_test.ts`: its
 * Durable Object accepts every WebSocket — with the hibernation API
 * (`?accept=hibernatable`) or with `accept()` (`?accept=plain`) — and closes
 * it (1000 "bye") `?after=<ms>` after accepting it, or as soon as the client
 * sends `close`.
 *
 * @module
 */

import type {
  CfObjectNamespace,
  CfObjectState,
  CfWebSocket,
} from "../../src/runtime/cloudflare.ts";

interface PlainWebSocket extends CfWebSocket {
  accept(): void;
  addEventListener(type: "message", fn: (event: { data: unknown }) => void): void;
}

/** The object (bound as `SOCKET_IO`). */
export class SocketIO {
  #ctx: CfObjectState;

  constructor(ctx: CfObjectState) {
    this.#ctx = ctx;
  }

  fetch(req: Request): Response {
    const query = new URL(req.url).searchParams;
    const ctor = (globalThis as { WebSocketPair?: new () => [PlainWebSocket, PlainWebSocket] })
      .WebSocketPair!;
    const [client, server] = new ctor();
    if (query.get("accept") === "plain") {
      server.accept();
      server.addEventListener(
        "message",
        ({ data }) => data === "close" && server.close(1000, "bye"),
      );
    } else {
      this.#ctx.acceptWebSocket(server);
    }
    const after = query.get("after");
    if (after !== null) setTimeout(() => server.close(1000, "bye"), Number(after));
    const headers = new Headers();
    const ext = query.get("ext");
    if (ext !== null) headers.set("sec-websocket-extensions", ext);
    if (query.has("hello")) server.send("x".repeat(300));
    return new Response(null, { status: 101, webSocket: client, headers } as ResponseInit);
  }

  webSocketMessage(ws: CfWebSocket, message: unknown): void {
    if (message === "close") ws.close(1000, "bye");
  }

  webSocketClose(): void {
    // workerd answers the client's close frame itself (web_socket_auto_reply_to_close)
  }
}

/** The Worker: every request to the one object. */
export default {
  fetch(req: Request, env: { SOCKET_IO: CfObjectNamespace }): Promise<Response> {
    return env.SOCKET_IO.get(env.SOCKET_IO.idFromName("one")).fetch(req);
  },
};
