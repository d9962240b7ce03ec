/**
 * The limit on Bun: a bare `Bun.serve` WebSocket server with the benchmark
 * app on plain frames. `e<rest>` is answered `a<rest>`; `b<rest>` is
 * published as `m<rest>` to every socket through Bun's native pub/sub. Raw
 * long-polling (`_raw_polling.ts`) on `/poll`.
 *
 * @module
 */

import { bun, type BunServer, type BunSocket } from "./_bun.ts";
import { control, ROOM } from "./_control.ts";
import { RawPolling, rawPollSid } from "./_raw_polling.ts";

const polling = new RawPolling();

async function _poll(req: Request, sid: string): Promise<Response> {
  if (req.method === "GET") return new Response(await polling.get(sid));
  polling.post(sid, await req.text());
  return new Response("ok");
}

const server: BunServer = bun().serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req, srv): Response | Promise<Response> | undefined {
    const sid = rawPollSid(req.url);
    if (sid !== undefined) return _poll(req, sid);
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
