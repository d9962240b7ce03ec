/**
 * The Hono example on Deno: `deno run -A examples/hono/deno.ts`.
 *
 * `Deno.serve(app.fetch)` is all it takes: the middleware upgrades WebSocket
 * requests with `Deno.upgradeWebSocket`.
 *
 * @module
 */

import { debugFromEnv } from "../../src/util/logger.ts";
import { app } from "./app.ts";

debugFromEnv((name) => Deno.env.get(name));
const port = Number(Deno.env.get("PORT") ?? 3000);
Deno.serve({
  port,
  onListen: ({ port }) => console.log(`sio-edge + Hono on Deno: http://localhost:${port}/`),
}, app.fetch);
