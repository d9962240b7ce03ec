/**
 * Event typing for the socket layer: the `ListenEvents` / `EmitEvents` /
 * `ServerSideEvents` maps of the official server, the helpers that derive ack
 * signatures from them, and a strict emitter base class.
 *
 * @module
 */

import { Emitter } from "../util/emitter.ts";

/**
 * A map from event name to listener signature. The `any` value is what lets a
 * user's `interface` (which has no index signature) satisfy the constraint.
 */
// deno-lint-ignore no-explicit-any
export type EventsMap = { [event: string]: any };

/** The events map used when none is given: any name, any arguments. */
// deno-lint-ignore no-explicit-any
export type DefaultEventsMap = { [event: string]: (...args: any[]) => void };

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/** The event names of a map. */
export type EventNames<Map extends EventsMap> = keyof Map & string;

/** The parameters of the listener of event `Ev`. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

type IsAny<T> = 0 extends 1 & T ? true : false;

/** The last element type of a tuple. */
export type Last<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L] ? L
  : T extends readonly (infer E)[] ? E
  : never;

/** A tuple without its last element. */
// deno-lint-ignore no-explicit-any
export type AllButLast<T extends any[]> = T extends [...infer Head, unknown] ? Head : any[];

/** The first argument of an ack callback that is not the timeout error. */
export type FirstNonErrorArg<T> = T extends (...args: infer P) => unknown
  ? (P[0] extends Error ? P[1] : P[0])
  // deno-lint-ignore no-explicit-any
  : any;

type LastParam<F> = F extends AnyFn ? Last<Parameters<F>> : never;

/** Names of events whose last parameter is an ack callback that receives data. */
export type EventNamesWithAck<Map extends EventsMap, K extends EventNames<Map> = EventNames<Map>> =
  IsAny<LastParam<Map[K]> | Map[K]> extends true ? K
    : K extends unknown
      ? (LastParam<Map[K]> extends AnyFn
        ? (FirstNonErrorArg<LastParam<Map[K]>> extends void ? never : K)
        : never)
    : never;

/** Names of events whose last parameter is not an ack callback. */
export type EventNamesWithoutAck<
  Map extends EventsMap,
  K extends EventNames<Map> = EventNames<Map>,
> = IsAny<LastParam<Map[K]> | Map[K]> extends true ? K
  : K extends unknown
    ? (Parameters<Map[K]> extends [] ? K : LastParam<Map[K]> extends AnyFn ? never : K)
  : never;

/** Names of events whose ack callback takes an `Error` first (after `timeout()`). */
export type EventNamesWithError<
  Map extends EventsMap,
  K extends EventNamesWithAck<Map> = EventNamesWithAck<Map>,
> = IsAny<LastParam<Map[K]> | Map[K]> extends true ? K
  : K extends unknown
    ? (LastParam<Map[K]> extends (err: infer E, ...rest: never[]) => unknown
      ? (E extends Error ? K : never)
      : never)
  : never;

/** The map without the events that expect an ack (what a broadcast may emit). */
export type RemoveAcknowledgements<E extends EventsMap> = { [K in EventNamesWithoutAck<E>]: E[K] };

type PrependTimeoutError<T extends unknown[]> = {
  [K in keyof T]: T[K] extends (...args: infer P) => infer R
    ? (P[0] extends Error ? T[K] : (err: Error, ...args: P) => R)
    : T[K];
};

type Multiply<T extends unknown[]> = { [K in keyof T]: T[K][] };

type ExpectMultipleResponses<T extends unknown[]> = {
  [K in keyof T]: T[K] extends (...args: infer P) => infer R ? (
      P extends [Error] ? (err: Error) => R
        : P extends [Error, infer First, ...unknown[]] ? (err: Error, responses: First[]) => R
        : P extends [] ? () => R
        : P extends [infer First, ...unknown[]] ? (responses: First[]) => R
        : (...args: Multiply<P>) => R
    )
    : T[K];
};

/** Ack callbacks get a leading `Error` (what `timeout()` does to a signature). */
export type DecorateAcknowledgements<E> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R
    ? (...args: PrependTimeoutError<P>) => R
    : E[K];
};

/** Ack callbacks receive one response per client (what a broadcast does). */
export type DecorateAcknowledgementsWithMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R
    ? (...args: ExpectMultipleResponses<P>) => R
    : E[K];
};

/** Both: a leading `Error` and one response per client or server. */
export type DecorateAcknowledgementsWithTimeoutAndMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R
    ? (...args: ExpectMultipleResponses<PrependTimeoutError<P>>) => R
    : E[K];
};

/** Event names that are reserved or user-defined. */
export type ReservedOrUserEventNames<Reserved extends EventsMap, User extends EventsMap> =
  | EventNames<Reserved>
  | EventNames<User>;

/** The listener type of `Ev`: the reserved one wins, untyped when unknown. */
export type ReservedOrUserListener<
  Reserved extends EventsMap,
  User extends EventsMap,
  Ev extends ReservedOrUserEventNames<Reserved, User>,
> = FallbackToUntyped<
  Ev extends EventNames<Reserved> ? Reserved[Ev] : Ev extends EventNames<User> ? User[Ev] : never
>;

// deno-lint-ignore no-explicit-any
type FallbackToUntyped<T> = [T] extends [never] ? (...args: any[]) => void | Promise<void> : T;

/** Anything with a strictly typed `emit`. */
export interface TypedEventBroadcaster<EmitEvents extends EventsMap> {
  /** Emits `ev` with `args`. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
}

/**
 * A strictly typed emitter: `on`/`once`/`off` accept the listen and reserved
 * events; `emit` (left to subclasses) sends the emit events somewhere else.
 */
export abstract class StrictEventEmitter<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  // deno-lint-ignore ban-types
  ReservedEvents extends EventsMap = {},
> implements TypedEventBroadcaster<EmitEvents> {
  #emitter = new Emitter<DefaultEventsMap>();

  /** Adds `listener` for `ev`. */
  on<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#emitter.on(ev, listener);
    return this;
  }

  /** Alias of {@link StrictEventEmitter.on}. */
  addListener<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return this.on(ev, listener);
  }

  /** Adds a `listener` for `ev` that runs at most once. */
  once<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#emitter.once(ev, listener);
    return this;
  }

  /** Removes `listener` of `ev` (every listener of `ev` without one). */
  off<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener?: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#emitter.off(ev, listener);
    return this;
  }

  /** Alias of {@link StrictEventEmitter.off}. */
  removeListener<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener?: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return this.off(ev, listener);
  }

  /** Removes every listener of `ev`, or of every event. */
  removeAllListeners(ev?: ReservedOrUserEventNames<ReservedEvents, ListenEvents>): this {
    this.#emitter.removeAllListeners(ev);
    return this;
  }

  /** The listeners of `ev`, in call order. */
  listeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
  ): ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>[] {
    return this.#emitter.listeners(ev) as ReservedOrUserListener<
      ReservedEvents,
      ListenEvents,
      Ev
    >[];
  }

  /** How many listeners `ev` has. */
  listenerCount(ev: ReservedOrUserEventNames<ReservedEvents, ListenEvents>): number {
    return this.#emitter.listenerCount(ev);
  }

  /** Emits `ev` with `args` (to clients, or to other servers). */
  abstract emit<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean;

  /** Calls the local listeners of a reserved event. */
  protected emitReserved<Ev extends EventNames<ReservedEvents>>(
    ev: Ev,
    ...args: EventParams<ReservedEvents, Ev>
  ): boolean {
    return this.#emitter.emit(ev, ...args);
  }

  /** Calls the local listeners of any event, bypassing the typing. */
  protected emitUntyped(ev: string, ...args: unknown[]): boolean {
    return this.#emitter.emit(ev, ...args);
  }
}
