/**
 * The Hono example on Bun: `bun run examples/hono/bun.ts`.
 *
 * Bun upgrades WebSockets through its server, which needs the `websocket`
 * handlers next to `fetch`: take them from `sio-edge/bun`. Hono hands Bun's
 * server to the middleware as `c.env`. `idleTimeout` (seconds) must outlast a
 * held polling request (25 s by default; Bun's own default is 10 s).
 *
 * @module
 */

import process from "node:process";
import { debugFromEnv } from "../../src/util/logger.ts";
import { createBunHandlers } from "../../src/runtime/bun.ts";
import { app, io } from "./app.ts";

debugFromEnv((name) => process.env[name]);
const { websocket, idleTimeout } = createBunHandlers(io);
const port = Number(process.env.PORT ?? 3000);
console.log(`sio-edge + Hono on Bun: http://localhost:${port}/`);

// Bun serves the default export of the entry file
export default { port, fetch: app.fetch, websocket, idleTimeout };
