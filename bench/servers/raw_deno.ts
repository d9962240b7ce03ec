/**
 * The limit on Deno: a bare `Deno.serve` + `Deno.upgradeWebSocket` server
 * with the benchmark app on plain frames. `e<rest>` is answered `a<rest>`;
 * `b<rest>` is sent as `m<rest>` to every open socket in a loop.
 *
 * @module
 */

import { control } from "./_control.ts";

const room = new Set<WebSocket>();

const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
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
