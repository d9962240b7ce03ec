/**
 * `sio-edge/client/websocket`: the same client over WebSocket only (an
 * engine with one WebSocket: no polling, no upgrade, no transport layer), for
 * smaller bundles where WebSocket is known to work.
 *
 * @example
 * ```ts ignore
 * import { io } from "sio-edge/client/websocket";
 * const socket = io("wss://example.com");
 * ```
 *
 * @module
 */

import { type Lookup, lookupWith } from "./_lookup.ts";
import { type EngineCtor, Manager as BaseManager } from "./manager.ts";
import type { DefaultEventsMap, EventsMap } from "./typed_events.ts";
import { WebSocketEngine } from "./websocket_engine.ts";

/** A connection to a server over WebSocket only. */
export class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends BaseManager<ListenEvents, EmitEvents> {
  /** The engine of this entry. */
  static Engine: EngineCtor = WebSocketEngine;
}

/** Connects to a server over WebSocket and returns the socket of the URI's namespace. */
export const io: Lookup = lookupWith(WebSocketEngine);

export { protocol } from "../parser/socket_packet.ts";
export { Socket, type SocketOptions } from "./socket.ts";
export type { ClientOptions, Lookup } from "./_lookup.ts";
export type { ManagerOptions, Parser } from "./manager.ts";
export { WebSocketEngine } from "./websocket_engine.ts";
export type * from "./typed_events.ts";
export { io as connect };
export default io;
