/**
 * A chat on Cloudflare Workers: one Durable Object per room (`?room=` picks
 * it), each hosting a Socket.IO server. Idle rooms hibernate while their
 * clients stay connected.
 *
 * ```sh
 * npx wrangler dev        # then open http://localhost:8787/?room=lobby
 * npx wrangler deploy
 * ```
 *
 * @module
 */

// in an application: import { defineSocketIO, router } from "sio-edge/cloudflare";
import { defineSocketIO, router } from "../../src/runtime/cloudflare.ts";
import { PAGE } from "./page.ts";

interface Member {
  name: string;
}

/** The room object (bound as `SOCKET_IO` in wrangler.toml). */
export const SocketIO = defineSocketIO((io) => {
  io.on("connection", (socket) => {
    // after a hibernation the object announces every connected socket again,
    // with `recovered` set and id, rooms and data restored: skip the one-time work
    if (!socket.recovered) {
      const name = String(socket.handshake.auth.name ?? "anon").slice(0, 24);
      socket.data = { name } satisfies Member;
      io.emit("notice", `${name} joined`);
    }
    const me = socket.data as Member;
    socket.on("chat", (text: unknown) => {
      if (typeof text === "string" && text.trim()) {
        io.emit("chat", { from: me.name, text: text.slice(0, 500) });
      }
    });
    socket.on("disconnect", () => io.emit("notice", `${me.name} left`));
  });
});

/** The Worker: the page, and every Socket.IO request routed to its room's object. */
export default router({
  binding: "SOCKET_IO",
  // a new connection goes to its room's object; later requests follow their sid
  shard: (request) => new URL(request.url).searchParams.get("room") || "lobby",
  fallback: (request) =>
    new URL(request.url).pathname === "/"
      ? new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } })
      : new Response("Not Found", { status: 404 }),
});
