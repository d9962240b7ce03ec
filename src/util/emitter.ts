/**
 * A small typed event emitter, used instead of Node's `EventEmitter` so the
 * core stays free of `node:` modules.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
type AnyListener = (...args: any[]) => void;

function listenerIndex(list: AnyListener[], listener: AnyListener): number {
  for (let i = 0; i < list.length; i++) {
    const l = list[i]!;
    if (l === listener || (l as { listener?: AnyListener }).listener === listener) return i;
  }
  return -1;
}

/** An emitter's listeners by event name (a null-prototype object). */
type ListenerTable = { [event: string]: AnyListener[] | undefined };

/** A map from event name to listener signature. */
export type EventsMap = { [event: string]: AnyListener };

/** The names of the events of an {@link EventsMap}. */
export type EventNames<Map extends EventsMap> = keyof Map & string;

/**
 * Typed event emitter: `on`, `once`, `off`, `emit`, `listeners`,
 * `removeAllListeners`. A listener that throws does not stop the others; the
 * error is reported through the `onListenerError` hook (by default
 * {@link reportListenerError}: logged, never rethrown).
 *
 * @example
 * ```ts
 * import { Emitter } from "./emitter.ts";
 * const e = new Emitter<{ ping: (n: number) => void }>();
 * let got = 0;
 * e.on("ping", (n) => (got = n));
 * e.emit("ping", 3);
 * if (got !== 3) throw new Error("listener not called");
 * ```
 */
export class Emitter<Map extends EventsMap> {
  // made on the first `on`: most emitters of an idle connection never get one.
  // A null-prototype object, not a Map: a JSC Map keeps a hash table of about
  // 0.2–0.9 KiB per emitter, an object with a few keys about a tenth of that.
  // An event without listeners is set to undefined, never deleted (a delete
  // would turn the object into a slow dictionary).
  #listeners: ListenerTable | undefined;

  /** Adds a listener for `event`. */
  on<E extends EventNames<Map>>(event: E, listener: Map[E]): this {
    const listeners = this.#listeners ??= Object.create(null) as ListenerTable;
    const list = listeners[event];
    if (list) list.push(listener);
    else listeners[event] = [listener];
    return this;
  }

  /** Adds a listener that is removed after its first call. */
  once<E extends EventNames<Map>>(event: E, listener: Map[E]): this {
    const wrapper = (...args: unknown[]) => {
      this.off(event, wrapper as Map[E]);
      listener(...args);
    };
    (wrapper as { listener?: AnyListener }).listener = listener;
    return this.on(event, wrapper as Map[E]);
  }

  /** Removes one listener (or, without `listener`, every listener) of `event`. */
  off<E extends EventNames<Map>>(event: E, listener?: Map[E]): this {
    const listeners = this.#listeners;
    if (!listeners) return this;
    if (!listener) {
      listeners[event] = undefined;
      return this;
    }
    const list = listeners[event];
    if (!list) return this;
    const i = listenerIndex(list, listener);
    if (i === -1) return this;
    if (list.length === 1) {
      listeners[event] = undefined;
      return this;
    }
    // copy on write: an emit in progress keeps iterating its own snapshot
    const next = list.slice();
    next.splice(i, 1);
    listeners[event] = next;
    return this;
  }

  /** Removes every listener of `event`, or of every event. */
  removeAllListeners(event?: EventNames<Map>): this {
    if (event === undefined) this.#listeners = undefined;
    else if (this.#listeners) this.#listeners[event] = undefined;
    return this;
  }

  /** Calls every listener of `event`; returns whether there was any. */
  emit<E extends EventNames<Map>>(event: E, ...args: Parameters<Map[E]>): boolean {
    const list = this.#listeners?.[event];
    if (!list) return false;
    if (list.length === 1) {
      this.#call(list[0]!, args);
      return true;
    }
    for (const listener of list) this.#call(listener, args);
    return true;
  }

  /** The listeners of `event`, in call order. */
  listeners<E extends EventNames<Map>>(event: E): Map[E][] {
    const list = this.#listeners?.[event] ?? [];
    return list.map((l) => ((l as { listener?: AnyListener }).listener ?? l) as Map[E]);
  }

  /** How many listeners `event` has. */
  listenerCount(event: EventNames<Map>): number {
    return this.#listeners?.[event]?.length ?? 0;
  }

  #call(listener: AnyListener, args: unknown[]): void {
    try {
      listener(...args);
    } catch (err) {
      this.onListenerError(err);
    }
  }

  /**
   * Called when a listener throws, after the emit that called it has carried
   * on with the other listeners, so a faulty application handler cannot leave
   * protocol state half updated. The default is {@link reportListenerError}.
   */
  protected onListenerError(err: unknown): void {
    reportListenerError(err);
  }
}

/**
 * What happens to an error thrown by a listener (of an emitter, a catch-all
 * listener, an ack callback): it is logged with `console.error` and goes no
 * further. It is never rethrown as an uncaught error: on Deno and Node that
 * ends the process, and a handler's fault — or data from a client that makes
 * a handler fail — must cost one event, not every connection of the server.
 */
export function reportListenerError(err: unknown): void {
  console.error("sio-edge: a listener threw (the error is logged, not rethrown):", err);
}
