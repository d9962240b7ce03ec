/**
 * The Socket.IO server of the pub/sub suite: every socket joins room `all`.
 * Clients ask (every request acknowledged): `join` and `leave` a room,
 * `burst` (n direct emits interleaved with n broadcasts to `all`, all of
 * event `seq`), `bcast` (`{ to, except, args }` as event `news`), and
 * `watch-outgoing` (adds an `onAnyOutgoing` listener; `outgoing` answers how
 * many events it saw), and `publishes` (how many frames went out through the
 * runtime's native fan-out since the last ask, which the glue handed to
 * `io.useNativeFanout`).
 *
 * @module
 */

import type { NativeFanout } from "../../../src/adapter/adapter.ts";
import { Server } from "../../../src/socket/server.ts";

type Ack = (...args: unknown[]) => void;

/** Makes the app. */
export default function makePubSubApp(): Server {
  const io = new Server({ pingInterval: 2_000, pingTimeout: 2_000 });
  let publishes = 0;
  const install = io.useNativeFanout.bind(io);
  io.useNativeFanout = (fanout: NativeFanout) =>
    install({
      accepts: (ws): ws is unknown => fanout.accepts(ws),
      subscribe: (ws, group) => fanout.subscribe(ws, group),
      unsubscribe: (ws, group) => fanout.unsubscribe(ws, group),
      publish: (group, frame) => (publishes++, fanout.publish(group, frame)),
    });
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
    socket.on("publishes", (ack: Ack) => ack(publishes, publishes = 0));
  });
  return io;
}
