/**
 * `sio-edge/client/websocket`: the same client with the WebSocket transport
 * only (no polling, no upgrade code), for smaller bundles where WebSocket is
 * known to work.
 *
 * @example
 * ```ts ignore
 * import { io } from "sio-edge/client/websocket";
 * const socket = io("wss://example.com");
 * ```
 *
 * @module
 */

import type { EngineKit } from "./engine.ts";
import { type Lookup, lookupWith } from "./_lookup.ts";
import { Manager as BaseManager } from "./manager.ts";
import type { DefaultEventsMap, EventsMap } from "./typed_events.ts";
import { WebSocketTransport } from "./websocket_transport.ts";

const kit: EngineKit = { transports: { websocket: WebSocketTransport } };

/** A connection to a server over WebSocket only. */
export class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends BaseManager<ListenEvents, EmitEvents> {
  /** The transports of this entry. */
  static kit: EngineKit = kit;
}

/** Connects to a server over WebSocket and returns the socket of the URI's namespace. */
export const io: Lookup = lookupWith(kit);

export { protocol } from "../parser/socket_packet.ts";
export { Socket, type SocketOptions } from "./socket.ts";
export type { ClientOptions, Lookup } from "./_lookup.ts";
export type { ManagerOptions, Parser } from "./manager.ts";
export type * from "./typed_events.ts";
export { io as connect };
export default io;
