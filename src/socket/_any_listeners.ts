/**
 * The catch-all listeners of a socket (`onAny`, `onAnyOutgoing` and friends),
 * as a base class of `Socket`.
 *
 * @module
 */

import { reportListenerError } from "../util/emitter.ts";
import { type EventsMap, StrictEventEmitter } from "./typed_events.ts";

/** A catch-all listener: the event name, then its arguments. */
// deno-lint-ignore no-explicit-any
export type AnyListener = (event: string, ...args: any[]) => void;

/** An ordered list of catch-all listeners. */
class ListenerList {
  #list: AnyListener[] = [];

  add(fn: AnyListener): void {
    this.#list.push(fn);
  }

  prepend(fn: AnyListener): void {
    this.#list.unshift(fn);
  }

  remove(fn?: AnyListener): void {
    if (!fn) {
      this.#list = [];
      return;
    }
    const i = this.#list.indexOf(fn);
    if (i !== -1) this.#list.splice(i, 1);
  }

  /** The array itself: removing from it removes listeners, as the official API allows. */
  list(): AnyListener[] {
    return this.#list;
  }

  /** Calls every listener; a throwing one does not stop the others (its error is reported). */
  call(args: readonly unknown[]): void {
    if (this.#list.length === 0) return;
    for (const fn of this.#list.slice()) {
      try {
        fn(...(args as [string, ...unknown[]]));
      } catch (err) {
        reportListenerError(err);
      }
    }
  }
}

/** A strict emitter with catch-all listeners for incoming and outgoing events. */
export abstract class AnyListenersEmitter<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ReservedEvents extends EventsMap,
> extends StrictEventEmitter<ListenEvents, EmitEvents, ReservedEvents> {
  // made at the first use: most sockets have no catch-all listener
  #incomingList: ListenerList | undefined;
  #outgoingList: ListenerList | undefined;

  get #incoming(): ListenerList {
    return this.#incomingList ??= new ListenerList();
  }

  get #outgoing(): ListenerList {
    return this.#outgoingList ??= new ListenerList();
  }

  /** Whether any outgoing catch-all listener is registered. */
  protected hasAnyOutgoing(): boolean {
    return this.#outgoingList !== undefined && this.#outgoingList.list().length > 0;
  }

  /** Adds a listener called with `(event, ...args)` for every incoming event. */
  onAny(listener: AnyListener): this {
    this.#incoming.add(listener);
    return this;
  }

  /** Like `onAny`, but called first. */
  prependAny(listener: AnyListener): this {
    this.#incoming.prepend(listener);
    return this;
  }

  /** Removes a catch-all listener (every one without argument). */
  offAny(listener?: AnyListener): this {
    this.#incoming.remove(listener);
    return this;
  }

  /** The catch-all listeners of incoming events. */
  listenersAny(): AnyListener[] {
    return this.#incoming.list();
  }

  /** Adds a listener called with `(event, ...args)` for every outgoing event (not acks). */
  onAnyOutgoing(listener: AnyListener): this {
    this.#outgoing.add(listener);
    return this;
  }

  /** Like `onAnyOutgoing`, but called first. */
  prependAnyOutgoing(listener: AnyListener): this {
    this.#outgoing.prepend(listener);
    return this;
  }

  /** Removes an outgoing catch-all listener (every one without argument). */
  offAnyOutgoing(listener?: AnyListener): this {
    this.#outgoing.remove(listener);
    return this;
  }

  /** The catch-all listeners of outgoing events. */
  listenersAnyOutgoing(): AnyListener[] {
    return this.#outgoing.list();
  }

  /** Calls the incoming catch-all listeners with `[event, ...args]`. */
  protected notifyIncoming(args: readonly unknown[]): void {
    this.#incomingList?.call(args);
  }

  /** Calls the outgoing catch-all listeners with `[event, ...args]`. */
  protected notifyOutgoing(args: readonly unknown[]): void {
    this.#outgoingList?.call(args);
  }
}
