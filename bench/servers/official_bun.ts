/**
 * The official server on Bun: socket.io 4.8 bound to `@socket.io/bun-engine`
 * (the official Bun engine), running the benchmark app.
 *
 * @module
 */

import { Server as Engine } from "@socket.io/bun-engine";
import { Server } from "socket.io";
import { bun, type BunServeOptions } from "./_bun.ts";
import { control, ROOM } from "./_control.ts";

const io = new Server({ serveClient: false });
const engine = new Engine({ path: "/socket.io/" });
io.bind(engine);

io.on("connection", (socket) => {
  socket.join(ROOM);
  socket.on("echo", (arg: unknown, ack: (arg: unknown) => void) => ack(arg));
  socket.on("bcast", (arg: unknown) => io.to(ROOM).emit("msg", arg));
});

// bun-engine's handler() is typed against bun-types' Server; the shapes agree at runtime
const handlers = engine.handler() as unknown as Pick<BunServeOptions, "fetch" | "websocket">;
const server = bun().serve({ port: 0, hostname: "127.0.0.1", ...handlers });
control(server.port ?? 0);
