/**
 * sio-edge on Bun: a Socket.IO server with rooms and acks.
 *
 * ```sh
 * bun run examples/bun/main.ts          # PORT=8080 to pick the port
 * ```
 *
 * To call `Bun.serve` yourself, spread the handlers into it:
 * `Bun.serve({ port: 3000, ...createBunHandlers(io) })` (`fetch`, `websocket`
 * and an `idleTimeout` that outlasts a held polling request).
 *
 * @module
 */

import process from "node:process";
import { Server } from "../../mod.ts";
import { debugFromEnv } from "../../src/util/logger.ts";
import { serve } from "../../src/runtime/bun.ts";

debugFromEnv((name) => process.env[name]); // DEBUG=sio-edge:* logs engine and socket events

const io = new Server({ cors: { origin: "*" } });

io.on("connection", (socket) => {
  socket.emit("welcome", `hello ${socket.id}, from Bun ${process.versions.bun}`);
  socket.on("join", async (room: string, ack?: (rooms: string[]) => void) => {
    await socket.join(room);
    ack?.([...socket.rooms]);
  });
  socket.on("say", (room: string, text: string) => socket.to(room).emit("said", socket.id, text));
  socket.on("echo", (value: unknown, ack?: (value: unknown) => void) => ack?.(value));
});

const server = await serve(io, { port: Number(process.env.PORT ?? 3000) });
console.log(`sio-edge on Bun: http://localhost:${server.port}/socket.io/`);

process.on("SIGINT", async () => {
  await server.close();
  process.exit(0);
});
