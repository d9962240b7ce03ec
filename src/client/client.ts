/**
 * `sio-edge/client`: the Socket.IO client on `fetch` and WebSocket, for
 * browsers, Deno, Bun, Node ≥ 20 and Cloudflare Workers / Durable Objects,
 * with the API of socket.io-client 4.8.
 *
 * @example
 * ```ts ignore
 * import { io } from "sio-edge/client";
 * const socket = io("https://example.com");
 * socket.on("connect", () => socket.emit("hello", "world"));
 * ```
 *
 * @module
 */

import { EngineSocket } from "./engine.ts";
import { type Lookup, lookupWith } from "./_lookup.ts";
import { type EngineCtor, Manager as BaseManager } from "./manager.ts";
import type { DefaultEventsMap, EventsMap } from "./typed_events.ts";

/** A connection to a server, with polling, WebSocket and the upgrade between them. */
export class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends BaseManager<ListenEvents, EmitEvents> {
  /** The engine of this entry. */
  static Engine: EngineCtor = EngineSocket;
}

/** Connects to a server and returns the socket of the URI's namespace. */
export const io: Lookup = lookupWith(EngineSocket);

export { protocol } from "../parser/socket_packet.ts";
export { Socket, type SocketOptions } from "./socket.ts";
export type { ClientOptions, Lookup } from "./_lookup.ts";
export type { ManagerOptions, Parser } from "./manager.ts";
export { type EngineOptions, EngineSocket } from "./engine.ts";
export { Polling } from "./polling.ts";
export { WebSocketTransport } from "./websocket_transport.ts";
export { TransportError } from "./_transport.ts";
export type * from "./typed_events.ts";
export { io as connect };
export default io;
