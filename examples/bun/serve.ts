/**
 * sio-edge as a `bun run` module: the default export holds what `Bun.serve`
 * takes (`fetch`, `websocket`, an `idleTimeout` that outlasts a held polling
 * request), and Bun starts the server itself.
 *
 * ```sh
 * bun run examples/bun/serve.ts                        # Bun reads PORT (default 3000)
 * HOST=127.0.0.1 PORT=8080 bun run examples/bun/serve.ts
 * ```
 *
 * In an application: `import { Server } from "sio-edge";` and
 * `import { createBunHandlers } from "sio-edge/bun";`.
 *
 * @module
 */

import process from "node:process";
import { Server } from "../../mod.ts";
import { createBunHandlers } from "../../src/runtime/bun.ts";

const io = new Server({ cors: { origin: "*" } });

io.on("connection", (socket) => {
  socket.emit("welcome", `hello ${socket.id}, from bun run`);
  socket.on("join", async (room: string, ack?: (rooms: string[]) => void) => {
    await socket.join(room);
    ack?.([...socket.rooms]);
  });
  socket.on("say", (room: string, text: string) => socket.to(room).emit("said", socket.id, text));
  socket.on("echo", (value: unknown, ack?: (value: unknown) => void) => ack?.(value));
});

export default {
  ...createBunHandlers(io),
  // every interface unless HOST names one
  ...(process.env.HOST ? { hostname: process.env.HOST } : {}),
};
