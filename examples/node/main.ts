/**
 * sio-edge on Node (≥ 20): a Socket.IO server with rooms and acks.
 *
 * ```sh
 * node --import tsx examples/node/main.ts     # PORT=8080 to pick the port
 * ```
 *
 * To attach to your own `http.Server`, use the listeners:
 * `const { request, upgrade } = createNodeHandlers(io);`
 * `http.createServer(request).on("upgrade", upgrade)`.
 *
 * @module
 */

import process from "node:process";
import { Server } from "../../mod.ts";
import { debugFromEnv } from "../../src/util/logger.ts";
import { serve } from "../../src/runtime/node.ts";

debugFromEnv((name) => process.env[name]); // DEBUG=sio-edge:* logs engine and socket events

const io = new Server({ cors: { origin: "*" } });

io.on("connection", (socket) => {
  socket.emit("welcome", `hello ${socket.id}, from Node ${process.version}`);
  socket.on("join", async (room: string, ack?: (rooms: string[]) => void) => {
    await socket.join(room);
    ack?.([...socket.rooms]);
  });
  socket.on("say", (room: string, text: string) => socket.to(room).emit("said", socket.id, text));
  socket.on("echo", (value: unknown, ack?: (value: unknown) => void) => ack?.(value));
});

const server = await serve(io, { port: Number(process.env.PORT ?? 3000) });
console.log(`sio-edge on Node: http://localhost:${server.port}/socket.io/`);

process.on("SIGINT", async () => {
  await server.close();
  process.exit(0);
});
