/**
 * The limit on Deno: a bare `Deno.serve` + `Deno.upgradeWebSocket` server
 * with the benchmark app on plain frames. `e<rest>` is answered `a<rest>`;
 * `b<rest>` is sent as `m<rest>` to every open socket in a loop. Raw
 * long-polling (`_raw_polling.ts`) on `/poll`.
 *
 * @module
 */

import { control } from "./_control.ts";
import { RawPolling, rawPollSid } from "./_raw_polling.ts";

const room = new Set<WebSocket>();
const polling = new RawPolling();

async function _poll(req: Request, sid: string): Promise<Response> {
  if (req.method === "GET") return new Response(await polling.get(sid));
  polling.post(sid, await req.text());
  return new Response("ok");
}

const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
  const sid = rawPollSid(req.url);
  if (sid !== undefined) return _poll(req, sid);
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("raw deno", { status: 200 });
  }
  const { socket, response } = Deno.upgradeWebSocket(req);
  socket.onopen = () => room.add(socket);
  socket.onclose = () => room.delete(socket);
  socket.onmessage = ({ data }) => {
    const text = String(data);
    if (text[0] === "e") socket.send("a" + text.slice(1));
    else if (text[0] === "b") {
      const frame = "m" + text.slice(1);
      for (const peer of room) peer.send(frame);
    }
  };
  return response;
});

control(server.addr.port);
