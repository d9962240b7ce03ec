/**
 * The limit on Bun: a bare `Bun.serve` WebSocket server with the benchmark
 * app on plain frames. `e<rest>` is answered `a<rest>`; `b<rest>` is
 * published as `m<rest>` to every socket through Bun's native pub/sub.
 *
 * @module
 */

import { control, ROOM } from "./_control.ts";

interface _Ws {
  subscribe(topic: string): void;
  send(data: string): number;
}

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req, srv) {
    if (srv.upgrade(req)) return undefined;
    return new Response("raw bun", { status: 200 });
  },
  websocket: {
    open(ws: _Ws) {
      ws.subscribe(ROOM);
    },
    message(ws: _Ws, message: string | Uint8Array) {
      const text = typeof message === "string" ? message : new TextDecoder().decode(message);
      if (text[0] === "e") ws.send("a" + text.slice(1));
      else if (text[0] === "b") server.publish(ROOM, "m" + text.slice(1));
    },
  },
});

control(server.port ?? 0);
