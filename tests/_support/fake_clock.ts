/**
 * A manual {@link Clock} for tests: time moves only through `tick(ms)`, which
 * runs every timer that falls due, in order of due time (then creation).
 *
 * @module
 */

import type { Clock, TimerHandle } from "../../src/util/clock.ts";

interface _Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock whose time stands still until the test moves it.
 *
 * @example
 * ```ts
 * import { FakeClock } from "./fake_clock.ts";
 * const clock = new FakeClock();
 * const log: string[] = [];
 * clock.setTimeout(() => log.push("fired"), 100);
 * clock.tick(99);
 * if (log.join() !== "") throw new Error("too early");
 * clock.tick(1);
 * if (log.join() !== "fired" || clock.pending > 0) throw new Error("not run");
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers = new Map<number, _Timer>();

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  /** The current fake time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at `now() + ms`; returns a numeric handle. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  /** Cancels a timer; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle | undefined): void {
    if (typeof handle === "number") this.#timers.delete(handle);
  }

  /** How many timers are scheduled and not yet run or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** The delays (from now) of the pending timers, soonest first. */
  get delays(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  /**
   * Moves time forward by `ms`, running each timer that falls due in order;
   * timers scheduled by those timers run too if they fall within the window.
   */
  tick(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const next = this.#earliest();
      if (!next || next.at > end) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.fn();
    }
    this.#now = end;
  }

  #earliest(): _Timer | undefined {
    let best: _Timer | undefined;
    for (const t of this.#timers.values()) {
      if (!best || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    }
    return best;
  }
}
