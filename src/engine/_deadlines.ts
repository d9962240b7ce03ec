/**
 * Deadlines of one length on one clock, served by a single timer: the body
 * timeout of every polling POST of one server. A timer per POST (armed, then
 * cleared a few microseconds later when the body arrives) was about a tenth
 * of a polling round trip's JavaScript time on Deno, whose global timers are
 * Node-style `Timeout` objects.
 *
 * All deadlines have the same length, so they fall due in the order they were
 * added: a list in that order, one timer for its head. A deadline that ends
 * early (the body arrived) is unlinked at once; the timer is not cleared, and
 * when it fires for a deadline no longer there it is armed again for the
 * next one, so a steady stream of POSTs costs about one timer per deadline
 * length instead of one per POST. With nothing pending it is not armed again,
 * and it is cleared once no polling transport is left (`release()`).
 *
 * @module
 */

import type { Clock, TimerHandle } from "../util/clock.ts";

/** One pending deadline. */
export interface Deadline {
  /** Ends it: its callback will not be called. Idempotent. */
  cancel(): void;
}

class Entry implements Deadline {
  prev: Entry | undefined;
  next: Entry | undefined;
  constructor(
    readonly owner: Deadlines,
    readonly at: number,
    public fn: (() => void) | undefined,
  ) {}

  cancel(): void {
    this.owner._unlink(this);
  }
}

/** Deadlines `ms` after they were added, on `clock`, one timer for all. */
export class Deadlines {
  readonly ms: number;
  readonly #clock: Clock;
  #head: Entry | undefined;
  #tail: Entry | undefined;
  #timer: TimerHandle | undefined;
  /** The deadline the running timer was armed for. */
  #armedAt = 0;
  /** How many users may still add deadlines ({@link retain}). */
  #users = 0;

  constructor(clock: Clock, ms: number) {
    this.#clock = clock;
    this.ms = ms;
  }

  /** Calls `fn` once `ms` milliseconds have passed, unless cancelled first. */
  add(fn: () => void): Deadline {
    const entry = new Entry(this, this.#clock.now() + this.ms, fn);
    const tail = this.#tail;
    if (tail) {
      tail.next = entry;
      entry.prev = tail;
    } else {
      this.#head = entry;
    }
    this.#tail = entry;
    if (this.#timer === undefined) this.#arm(entry.at, this.ms);
    return entry;
  }

  /** Clears the timer and drops every pending deadline (the server closed). */
  stop(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (let e = this.#head; e; e = e.next) e.fn = undefined;
    this.#head = this.#tail = undefined;
  }

  /** One more user (a polling transport) that may add deadlines. */
  retain(): void {
    this.#users++;
  }

  /**
   * A user is gone; with none left and nothing pending, the timer is cleared
   * (a Durable Object with a timer pending cannot hibernate).
   */
  release(): void {
    if (--this.#users > 0 || this.#head !== undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** @internal */
  _unlink(entry: Entry): void {
    if (entry.fn === undefined) return;
    entry.fn = undefined;
    const { prev, next } = entry;
    if (prev) prev.next = next;
    else this.#head = next;
    if (next) next.prev = prev;
    else this.#tail = prev;
    entry.prev = entry.next = undefined;
  }

  #arm(at: number, delay: number): void {
    this.#armedAt = at;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), delay);
  }

  #fire(): void {
    this.#timer = undefined;
    // what was due when the timer was armed is due now, whatever the clock says
    const due = Math.max(this.#armedAt, this.#clock.now());
    let head = this.#head;
    while (head && head.at <= due) {
      const fn = head.fn!;
      this._unlink(head);
      fn();
      head = this.#head;
    }
    if (head && this.#timer === undefined) {
      this.#arm(head.at, Math.max(0, head.at - this.#clock.now()));
    }
  }
}
