/**
 * A Hono app as a Cloudflare Worker: Hono's cors() and a middleware of its
 * own around the `router()` of `sio-edge/cloudflare`, mounted with
 * `socketIo()`, and the Durable Object `SocketIO` (bound as `SOCKET_IO`)
 * hosting the server. Served by workerd through tests/cloudflare/_harness.ts.
 *
 * (No logger() here: its colour check does `import("cloudflare:workers")`
 * with a computed specifier, which the harness's Miniflare refuses to load;
 * wrangler bundles it fine.)
 *
 * @module
 */

import { Hono } from "hono";
import { cors } from "hono/cors";
import { socketIo } from "../../src/integrations/hono.ts";
import { defineSocketIO, router } from "../../src/runtime/cloudflare.ts";

/** The Durable Object hosting the Socket.IO server. */
export const SocketIO = defineSocketIO((io) => {
  io.on("connection", (socket) => {
    socket.on("echo", (value: unknown, ack: (value: unknown) => void) => ack(value));
  });
});

const app = new Hono();
app.use(async (c, next) => {
  await next();
  // a middleware that runs around every answer except the WebSocket 101
  if (c.res.status !== 101) c.header("x-through-hono", "1");
});
app.use(cors({ origin: "https://app.example" }));
app.use(socketIo(router({ binding: "SOCKET_IO" })));
app.get("/", (c) => c.text("home"));

/** The Worker. */
export default app;
