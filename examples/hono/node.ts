/**
 * The Hono example on Node: `node --import tsx examples/hono/node.ts`.
 *
 * `@hono/node-server` serves HTTP. Node hands WebSocket handshakes to the
 * server's `upgrade` event, which never reaches Hono, so the `upgrade`
 * listener of `sio-edge/node` answers them (Hono middleware does not run for
 * them; WebSocket handshakes need no CORS headers).
 *
 * @module
 */

import process from "node:process";
import { serve } from "@hono/node-server";
import { debugFromEnv } from "../../src/util/logger.ts";
import { createNodeHandlers } from "../../src/runtime/node.ts";
import { app, io } from "./app.ts";

debugFromEnv((name) => process.env[name]);
const port = Number(process.env.PORT ?? 3000);
const server = serve({ fetch: app.fetch, port }, (info) => {
  console.log(`sio-edge + Hono on Node: http://localhost:${info.port}/`);
});
server.on("upgrade", createNodeHandlers(io).upgrade);
