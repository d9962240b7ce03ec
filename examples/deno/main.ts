/**
 * sio-edge on Deno: a Socket.IO server with rooms and acks.
 *
 * ```sh
 * deno run -A examples/deno/main.ts     # PORT=8080 to pick the port
 * ```
 *
 * The same server also works as a bare handler: `Deno.serve(io.handler())`.
 *
 * @module
 */

import { Server } from "../../mod.ts";
import { debugFromEnv } from "../../src/util/logger.ts";
import { serve } from "../../src/runtime/deno.ts";

debugFromEnv((name) => Deno.env.get(name)); // DEBUG=sio-edge:* logs engine and socket events

const io = new Server({ cors: { origin: "*" } });

io.on("connection", (socket) => {
  socket.emit("welcome", `hello ${socket.id}, from Deno ${Deno.version.deno}`);
  socket.on("join", async (room: string, ack?: (rooms: string[]) => void) => {
    await socket.join(room);
    ack?.([...socket.rooms]);
  });
  socket.on("say", (room: string, text: string) => socket.to(room).emit("said", socket.id, text));
  socket.on("echo", (value: unknown, ack?: (value: unknown) => void) => ack?.(value));
});

const server = await serve(io, { port: Number(Deno.env.get("PORT") ?? 3000) });
console.log(`sio-edge on Deno: http://localhost:${server.port}/socket.io/`);

Deno.addSignalListener("SIGINT", async () => {
  await server.close();
  Deno.exit(0);
});
