/**
 * The official server on Node: socket.io 4.8 on `node:http` with its default
 * options, running the benchmark app.
 *
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { control, ROOM } from "./_control.ts";

const http = createServer();
const io = new Server(http, { serveClient: false });

io.on("connection", (socket) => {
  socket.join(ROOM);
  socket.on("echo", (arg: unknown, ack: (arg: unknown) => void) => ack(arg));
  socket.on("bcast", (arg: unknown) => io.to(ROOM).emit("msg", arg));
});

http.listen(0, "127.0.0.1", () => control((http.address() as AddressInfo).port));
