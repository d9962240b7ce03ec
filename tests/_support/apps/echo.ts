/**
 * A hand-written `FetchApp` that exercises the runtime glue without the
 * engine: HTTP echo routes and a WebSocket echo, through the ports only.
 *
 * Routes: `GET /hello`, `POST /echo` (body back), `GET /info` (what the
 * request context held), `/throw` (the app throws), `/ws` (WebSocket echo;
 * first message `open <remoteAddress>`; with `?keep` the app's close() leaves
 * the socket to the runtime), `/ws-refused` (403 JSON instead of
 * an upgrade), `/ws-throw` (throws on an upgrade request), `GET /closed`
 * (close codes the app saw). Messages over {@link MAX_PAYLOAD} bytes must
 * never reach it.
 *
 * @module
 */

import type {
  FetchApp,
  RequestContext,
  WebSocketEvents,
  WebSocketLike,
} from "../../../src/engine/ports.ts";

/** The app's `maxPayload`. */
export const MAX_PAYLOAD = 1024;

/** Makes the echo app. */
export default function makeEchoApp(): FetchApp {
  const open = new Set<WebSocketLike>();
  const closed: { code: number; reason: string }[] = [];

  const socketEvents = (remoteAddress: string | undefined, keep: boolean): WebSocketEvents => {
    let socket: WebSocketLike | undefined;
    return {
      onOpen(ws) {
        socket = ws;
        if (!keep) open.add(ws);
        ws.send(`open ${remoteAddress}`);
      },
      onMessage(data) {
        if (typeof data !== "string" && !(data instanceof Uint8Array)) {
          socket?.send("error: binary message is not a Uint8Array");
        } else if (data === "throw") {
          throw new Error("listener failure"); // must not end the process
        } else socket?.send(data);
      },
      onClose(code, reason) {
        if (socket) open.delete(socket);
        closed.push({ code, reason });
      },
      onError() {},
    };
  };

  const handle = async (req: Request, ctx?: RequestContext): Promise<Response> => {
    const { pathname, searchParams } = new URL(req.url);
    switch (pathname) {
      case "/hello":
        return new Response(`hello ${req.method}`);
      case "/echo":
        return new Response(await req.arrayBuffer(), {
          headers: { "content-type": req.headers.get("content-type") ?? "" },
        });
      case "/info":
        return Response.json({
          remoteAddress: ctx?.remoteAddress ?? null,
          canUpgrade: typeof ctx?.upgrade === "function",
          url: req.url,
        });
      case "/closed":
        return Response.json(closed);
      case "/throw":
      case "/ws-throw":
        throw new Error("secret stack trace");
      case "/ws":
        return ctx?.upgrade?.(req, socketEvents(ctx.remoteAddress, searchParams.has("keep"))) ??
          new Response("cannot upgrade", { status: 426 });
      case "/ws-refused":
        return Response.json({ code: 4, message: "Forbidden" }, {
          status: 403,
          headers: { "x-refused": "yes" },
        });
      default:
        return new Response("not found", { status: 404 });
    }
  };

  return {
    maxPayload: MAX_PAYLOAD,
    handle,
    close() {
      for (const ws of open) ws.close(1000, "app closed");
    },
  };
}
