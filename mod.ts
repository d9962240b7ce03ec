/**
 * sio-edge: Socket.IO (Engine.IO v4 and Socket.IO v5) on Web standards. The
 * server is one fetch handler that runs on Deno, Bun, Cloudflare Workers and
 * Node.
 *
 * @module
 */

export {
  type ConnectionStateRecoveryOptions,
  type ParentNspNameMatchFn,
  Server,
  type ServerOptions,
} from "./src/socket/server.ts";
export {
  type ExtendedError,
  type Middleware,
  Namespace,
  type NamespaceReservedEventsMap,
  type ServerReservedEventsMap,
} from "./src/socket/namespace.ts";
export { ParentNamespace } from "./src/socket/parent_namespace.ts";
export {
  type Event,
  type NamespaceServer,
  Socket,
  type SocketNamespace,
} from "./src/socket/socket.ts";
export type { Client } from "./src/socket/client.ts";
export {
  type Broadcaster,
  BroadcastOperator,
  RemoteSocket,
} from "./src/socket/broadcast_operator.ts";
export type {
  DisconnectReason,
  Handshake,
  SocketReservedEventsMap,
  SocketState,
} from "./src/socket/socket_types.ts";
export type {
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventNamesWithError,
  EventNamesWithoutAck,
  EventParams,
  EventsMap,
  FirstNonErrorArg,
  Last,
  RemoveAcknowledgements,
  TypedEventBroadcaster,
} from "./src/socket/typed_events.ts";
export {
  Adapter,
  type AdapterConstructor,
  type AdapterContext,
  type AdapterEvents,
  type AdapterNamespace,
  type AdapterSocket,
  type BroadcastFlags,
  type BroadcastOptions,
  type NativeFanout,
  type NativeFanoutHost,
  type PrivateSessionId,
  type Room,
  type Session,
  type SessionToPersist,
  type SocketDetails,
  type SocketId,
  type WriteOptions,
} from "./src/adapter/adapter.ts";
export { SessionAwareAdapter } from "./src/adapter/session_aware_adapter.ts";

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
export {
  createLogger,
  debugFromEnv,
  isDebugEnabled,
  type Logger,
  type LoggerOptions,
  type LogSink,
  setDebug,
  setLogSink,
} from "./src/util/logger.ts";
