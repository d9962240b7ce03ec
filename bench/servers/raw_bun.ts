/**
 * The limit on Bun: a bare `Bun.serve` WebSocket server with the benchmark
 * app on plain frames. `e<rest>` is answered `a<rest>`; `b<rest>` is
 * published as `m<rest>` to every socket through Bun's native pub/sub.
 *
 * @module
 */

import { bun, type BunServer, type BunSocket } from "./_bun.ts";
import { control, ROOM } from "./_control.ts";

const server: BunServer = bun().serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req, srv): Response | undefined {
    if (srv.upgrade(req)) return undefined;
    return new Response("raw bun", { status: 200 });
  },
  websocket: {
    open(ws: BunSocket) {
      ws.subscribe(ROOM);
    },
    message(ws: BunSocket, message: string | Uint8Array) {
      const text = typeof message === "string" ? message : new TextDecoder().decode(message);
      if (text[0] === "e") ws.send("a" + text.slice(1));
      else if (text[0] === "b") server.publish(ROOM, "m" + text.slice(1));
    },
  },
});

control(server.port ?? 0);
