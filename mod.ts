/**
 * sio-edge: Socket.IO (Engine.IO v4 and Socket.IO v5) on Web standards. The
 * server is one fetch handler that runs on Deno, Bun, Cloudflare Workers and
 * Node.
 *
 * @module
 */

export { EngineServer, type EngineServerEvents } from "./src/engine/server.ts";
export {
  EngineSocket,
  type EngineSocketEvents,
  type ReadyState,
  type SendOptions,
} from "./src/engine/socket.ts";
export type { AllowRequest, CookieOptions, EngineOptions } from "./src/engine/options.ts";
export type { CorsOptions, CorsOrigin } from "./src/engine/cors.ts";
export { type ConnectionError, ERROR_MESSAGES, ErrorCode } from "./src/engine/errors.ts";
export type {
  FetchApp,
  RequestContext,
  Upgrader,
  WebSocketEvents,
  WebSocketLike,
} from "./src/engine/ports.ts";
export type { TransportName } from "./src/engine/transport.ts";
export { MemorySessionStore, type SessionStore } from "./src/store/session_store.ts";
export { type Clock, systemClock } from "./src/util/clock.ts";
