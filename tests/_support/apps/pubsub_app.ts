/**
 * The Socket.IO server of the pub/sub suite: every socket joins room `all`.
 * Clients ask (every request acknowledged): `join` and `leave` a room,
 * `burst` (n direct emits interleaved with n broadcasts to `all`, all of
 * event `seq`), `bcast` (`{ to, except, args }` as event `news`), and
 * `watch-outgoing` (adds an `onAnyOutgoing` listener; `outgoing` answers how
 * many events it saw).
 *
 * @module
 */

import { Server } from "../../../src/socket/server.ts";

type Ack = (...args: unknown[]) => void;

/** Makes the app. */
export default function makePubSubApp(): Server {
  const io = new Server({ pingInterval: 2_000, pingTimeout: 2_000 });
  io.on("connection", (socket) => {
    socket.join("all");
    let outgoing = 0;
    socket.on("join", (room: string, ack: Ack) => ack(socket.join(room)));
    socket.on("leave", (room: string, ack: Ack) => ack(socket.leave(room)));
    socket.on("burst", (n: number, ack: Ack) => {
      for (let i = 0; i < n; i++) {
        socket.emit("seq", `d${i}`);
        io.to("all").emit("seq", `b${i}`);
      }
      ack();
    });
    socket.on("bcast", (req: { to: string[]; except?: string[]; args: unknown[] }, ack: Ack) => {
      io.to(req.to).except(req.except ?? []).emit("news", ...req.args);
      ack();
    });
    socket.on("watch-outgoing", (ack: Ack) => {
      socket.onAnyOutgoing(() => outgoing++);
      ack();
    });
    socket.on("outgoing", (ack: Ack) => ack(outgoing));
  });
  return io;
}
