/**
 * Names shared by the socket layer: disconnect reasons, reserved events, the
 * parent-namespace match function and the snapshot a host keeps of a socket.
 *
 * @module
 */

import { RESERVED_EVENTS } from "../parser/socket_packet.ts";

export type { Handshake } from "./_handshake.ts";

/** Why a socket was disconnected (the official server's reasons). */
export type DisconnectReason =
  // Engine.IO close reasons
  | "transport error"
  | "transport close"
  | "forced close"
  | "ping timeout"
  | "parse error"
  // Socket.IO disconnect reasons
  | "server shutting down"
  | "forced server close"
  | "client namespace disconnect"
  | "server namespace disconnect";

/** Events a socket emits locally. */
export interface SocketReservedEventsMap {
  /** The socket left its namespace; `reason` says why. */
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
  /** The socket is about to leave its namespace (still in its rooms). */
  disconnecting: (reason: DisconnectReason, description?: unknown) => void;
  /** A protocol fault, or an error from a `socket.use()` middleware. */
  error: (err: Error) => void;
}

/** Event names a socket refuses to emit to its client (the protocol's reserved names). */
export { RESERVED_EVENTS };

/** The reasons after which a session is kept for connection state recovery. */
export const RECOVERABLE_DISCONNECT_REASONS: ReadonlySet<DisconnectReason> = new Set<
  DisconnectReason
>([
  "transport error",
  "transport close",
  "forced close",
  "ping timeout",
  "server shutting down",
  "forced server close",
]);

/** Throws the official error for a reserved event name. */
export function assertNotReserved(
  ev: string,
  reserved: ReadonlySet<string> = RESERVED_EVENTS,
): void {
  if (reserved.has(ev)) throw new TypeError(`"${ev}" is a reserved event name`);
}

/** Decides whether a dynamic namespace `name` may be created: `next(null, true)` to allow. */
export type ParentNspNameMatchFn = (
  name: string,
  auth: Record<string, unknown>,
  next: (err: Error | null, success: boolean) => void,
) => void;

/**
 * What a socket is, as a host that suspends its process (a hibernating
 * Durable Object) keeps it to take the socket over again later.
 */
export interface SocketState {
  /** The namespace name. */
  nsp: string;
  /** The socket id. */
  id: string;
  /** The private id for connection state recovery, if enabled. */
  pid?: string;
  /** The rooms, its own id excluded. */
  rooms: string[];
  /** `socket.data` (structured-clonable). */
  data: unknown;
  /** The CONNECT packet's `auth`. */
  auth: Record<string, unknown>;
  /** When the socket connected (ms since the epoch). */
  issued: number;
}
