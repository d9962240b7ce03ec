/**
 * Event typing of the client, with the same generics as the server
 * (`ListenEvents`, `EmitEvents`): a `Socket<ServerToClient, ClientToServer>`
 * on the client is the mirror of the server's `Server<ClientToServer,
 * ServerToClient>`.
 *
 * @module
 */

/** A map from event name to listener signature. */
// deno-lint-ignore no-explicit-any
export type EventsMap = { [event: string]: any };

/** The map used when none is given: any name, any arguments. */
// deno-lint-ignore no-explicit-any
export type DefaultEventsMap = { [event: string]: (...args: any[]) => void };

/** The event names of a map. */
export type EventNames<Map extends EventsMap> = keyof Map & string;

/** The parameters of the listener of `Ev`. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/** The listener type of `Ev`, or a loose one for names outside the map. */
export type EventListener<Map extends EventsMap, Ev> = Ev extends EventNames<Map> ? Map[Ev]
  // deno-lint-ignore no-explicit-any
  : (...args: any[]) => void;

/** A tuple without its last element. */
// deno-lint-ignore no-explicit-any
export type AllButLast<T extends any[]> = T extends [...infer Head, unknown] ? Head : any[];

/** The last element of a tuple. */
export type Last<T extends unknown[]> = T extends [...unknown[], infer L] ? L : never;

/** The first argument of an ack callback that is not the timeout error. */
export type FirstNonErrorArg<T> = T extends (...args: infer P) => unknown
  ? (P[0] extends Error ? P[1] : P[0])
  // deno-lint-ignore no-explicit-any
  : any;

type PrependTimeoutError<T extends unknown[]> = {
  [K in keyof T]: T[K] extends (...args: infer P) => infer R
    ? (P[0] extends Error ? T[K] : (err: Error, ...args: P) => R)
    : T[K];
};

/** Ack callbacks get a leading `Error` (what `timeout()` does to a signature). */
export type DecorateAcknowledgements<E> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R
    ? (...args: PrependTimeoutError<P>) => R
    : E[K];
};

/** The Socket's own events. */
export interface SocketReservedEvents {
  connect: () => void;
  connect_error: (err: Error & { data?: unknown }) => void;
  disconnect: (reason: DisconnectReason, description?: DisconnectDescription) => void;
}

/** The Manager's own events. */
export interface ManagerReservedEvents {
  open: () => void;
  error: (err: Error) => void;
  ping: () => void;
  packet: (packet: unknown) => void;
  close: (reason: string, description?: DisconnectDescription) => void;
  reconnect_failed: () => void;
  reconnect_attempt: (attempt: number) => void;
  reconnect_error: (err: Error) => void;
  reconnect: (attempt: number) => void;
}

/**
 * Why a socket disconnected. The first two do not reconnect; the others do.
 * `"forced close"` comes from closing the engine or the Manager directly
 * (the official type omits it).
 */
export type DisconnectReason =
  | "io server disconnect"
  | "io client disconnect"
  | "ping timeout"
  | "transport close"
  | "transport error"
  | "parse error"
  | "forced close";

/** The details of a disconnection: an `Error` or `{ description, context }`. */
export type DisconnectDescription = Error | { description: string; context?: unknown };
