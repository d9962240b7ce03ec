/**
 * The catch-all listeners of a socket (`onAny`, `onAnyOutgoing` and friends).
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
export type AnyListener = (event: string, ...args: any[]) => void;

/** An ordered list of catch-all listeners. */
export class AnyListeners {
  #list: AnyListener[] = [];

  /** Appends `fn`. */
  add(fn: AnyListener): void {
    this.#list.push(fn);
  }

  /** Puts `fn` first. */
  prepend(fn: AnyListener): void {
    this.#list.unshift(fn);
  }

  /** Removes `fn`, or every listener without it. */
  remove(fn?: AnyListener): void {
    if (!fn) {
      this.#list = [];
      return;
    }
    const i = this.#list.indexOf(fn);
    if (i !== -1) this.#list.splice(i, 1);
  }

  /** The listeners, in call order. The array can be changed to remove listeners. */
  list(): AnyListener[] {
    return this.#list;
  }

  /** Calls every listener with `[event, ...args]`; a throwing listener does not stop the others. */
  call(args: readonly unknown[]): void {
    if (this.#list.length === 0) return;
    for (const fn of this.#list.slice()) {
      try {
        fn(...(args as [string, ...unknown[]]));
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
