/**
 * One Hono app with a Socket.IO server mounted on it, shared by the entry
 * points of each runtime (`deno.ts`, `bun.ts`, `node.ts`): Hono's `logger()`
 * and `cors()` run around the Socket.IO routes, and every other path falls
 * through to Hono's own routes.
 *
 * @module
 */

import { Hono } from "hono";
import { cors } from "hono/cors";
import { logger } from "hono/logger";
import { Server } from "../../mod.ts";
// in an application: import { socketIo } from "sio-edge/hono";
import { socketIo } from "../../src/integrations/hono.ts";

/** The Socket.IO server. */
export const io = new Server();

io.on("connection", (socket) => {
  socket.emit("welcome", `hello ${socket.id}`);
  socket.on("echo", (value: unknown, ack?: (value: unknown) => void) => ack?.(value));
  socket.on("shout", (text: string) => io.emit("shouted", socket.id, String(text).toUpperCase()));
});

/** The Hono app: `/socket.io/*` is Socket.IO, the rest is plain Hono. */
export const app = new Hono();
app.use(logger());
app.use(cors({ origin: "*" }));
app.use(socketIo(io));
app.get("/", (c) =>
  c.html(`<!doctype html><title>sio-edge + Hono</title>
<p id="out">connecting…</p>
<script src="/socket.io/socket.io.js"></script>
<script>
  const socket = io();
  socket.on("welcome", (text) => (document.getElementById("out").textContent = text));
</script>`));
app.get("/health", (c) => c.json({ ok: true, clients: io.engine.clientsCount }));
