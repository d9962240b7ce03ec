/**
 * The client's event emitter, with the shape of `@socket.io/component-emitter`
 * that socket.io-client users know: `on`/`addEventListener`, `once`,
 * `off`/`removeListener`/`removeAllListeners`/`removeEventListener`, `emit`,
 * `listeners`, `hasListeners`, and `emitReserved` for classes whose `emit`
 * sends to the server instead.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
export type Listener = (...args: any[]) => void;

type Wrapped = Listener & { fn?: Listener };

/** A small event emitter. A listener that throws does not stop the others. */
export class Emitter {
  #map: Record<string, Wrapped[]> = {};

  /** Adds a listener (not called by an emit already in progress). */
  on(event: string, fn: Listener): this {
    // copy on write, as in off(): an emit in progress keeps its own snapshot
    this.#map[event] = [...this.#map[event] ?? [], fn];
    return this;
  }

  /** Adds a listener removed after its first call. */
  once(event: string, fn: Listener): this {
    const wrapper: Wrapped = (...args) => {
      this.off(event, wrapper);
      fn.apply(this, args);
    };
    wrapper.fn = fn;
    return this.on(event, wrapper);
  }

  /** Removes one listener of `event`, every listener of `event`, or every listener. */
  off(event?: string, fn?: Listener): this {
    const map = this.#map;
    if (event === undefined) this.#map = {};
    else if (fn) {
      const list = map[event] ?? [];
      const i = list.findIndex((l) => l === fn || l.fn === fn);
      map[event] = list.filter((_, j) => j !== i);
    } else delete map[event];
    return this;
  }

  /** Calls the listeners of `event`. */
  emit(event: string, ...args: unknown[]): this {
    return this.emitReserved(event, ...args);
  }

  /** Calls the listeners of `event` (never sent anywhere, even where `emit` is). */
  emitReserved(event: string, ...args: unknown[]): this {
    for (const fn of this.#map[event] ?? []) {
      try {
        fn.apply(this, args);
      } catch (err) {
        // like an uncaught exception in a timer: reported, protocol state intact
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    return this;
  }

  /** The listeners of `event`. */
  listeners(event: string): Listener[] {
    return (this.#map[event] ?? []).map((l) => l.fn ?? l);
  }

  /** Whether `event` has listeners. */
  hasListeners(event: string): boolean {
    return !!this.#map[event]?.length;
  }
}

/** The aliases of `@socket.io/component-emitter`. */
export interface Emitter {
  /** Adds a listener (alias of `on`). */
  addEventListener(event: string, fn: Listener): this;
  /** Removes listeners (alias of `off`). */
  removeListener(event?: string, fn?: Listener): this;
  /** Removes every listener of `event`, or of every event (alias of `off`). */
  removeAllListeners(event?: string): this;
  /** Removes a listener (alias of `off`). */
  removeEventListener(event?: string, fn?: Listener): this;
}

const proto = Emitter.prototype;
proto.addEventListener = proto.on;
proto.removeListener = proto.removeAllListeners = proto.removeEventListener = proto.off;

/** Listens to `event` on `emitter`; returns the function that stops it. */
export function subscribe(emitter: Emitter, event: string, fn: Listener): () => void {
  emitter.on(event, fn);
  return () => emitter.off(event, fn);
}
