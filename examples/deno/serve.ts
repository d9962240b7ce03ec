/**
 * sio-edge as a `deno serve` module: the default export is the server's
 * fetch handler, and Deno starts the HTTP server (WebSocket upgrades
 * included: the handler upgrades with `Deno.upgradeWebSocket`).
 *
 * ```sh
 * deno serve -A examples/deno/serve.ts                 # http://0.0.0.0:8000/
 * deno serve -A --host 127.0.0.1 --port 3000 examples/deno/serve.ts
 * ```
 *
 * Not with `--parallel`: sessions live in one process's memory.
 *
 * In an application the import is the package's (`"sio-edge"`, or
 * `"npm:sio-edge"` without a package.json) instead of `../../mod.ts`.
 *
 * @module
 */

import { Server } from "../../mod.ts";

const io = new Server({ cors: { origin: "*" } });

io.on("connection", (socket) => {
  socket.emit("welcome", `hello ${socket.id}, from deno serve`);
  socket.on("join", async (room: string, ack?: (rooms: string[]) => void) => {
    await socket.join(room);
    ack?.([...socket.rooms]);
  });
  socket.on("say", (room: string, text: string) => socket.to(room).emit("said", socket.id, text));
  socket.on("echo", (value: unknown, ack?: (value: unknown) => void) => ack?.(value));
});

export default { fetch: io.handler() } satisfies Deno.ServeDefaultExport;
