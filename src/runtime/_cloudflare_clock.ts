/**
 * A {@link Clock} backed by Durable Object alarms. A pending `setTimeout`
 * keeps a Durable Object in memory, so a heartbeat on ordinary timers would
 * forbid hibernation; an alarm does not, and wakes the object when due.
 *
 * An object has one alarm: this clock keeps its timers in memory and points
 * the alarm at the earliest. The callbacks live only in memory; after an
 * eviction the alarm still fires, and the woken object re-creates the timers
 * it can (the heartbeat) from its persisted state.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../util/clock.ts";
import type { CfStorage } from "./_cloudflare_types.ts";

/** Options of {@link AlarmClock}. */
export interface AlarmClockOptions {
  /**
   * Timers shorter than this many ms run on ordinary timers: they end soon,
   * and their callbacks cannot survive an eviction anyway.
   * @default 0 (every timer is an alarm)
   */
  minDelay?: number;
  /** The clock for short timers and the time. @default the global timers */
  fallback?: Clock;
}

interface AlarmTimer {
  readonly at: number;
  readonly fn: () => void;
}

/** A short timer, delegated to the fallback clock. */
class ShortTimer {
  constructor(readonly handle: TimerHandle) {}
}

const systemTimers: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
};

/**
 * Timers on the object's alarm. The Durable Object's `alarm()` handler must
 * call {@link AlarmClock.fire}.
 */
export class AlarmClock implements Clock {
  #storage: CfStorage;
  #minDelay: number;
  #fallback: Clock;
  #timers = new Map<number, AlarmTimer>();
  #nextId = 1;
  /** When the storage alarm is set for, as far as this instance knows. */
  #armedAt: number | undefined;

  constructor(storage: CfStorage, options: AlarmClockOptions = {}) {
    this.#storage = storage;
    this.#minDelay = options.minDelay ?? 0;
    this.#fallback = options.fallback ?? systemTimers;
  }

  /** How many alarm timers are pending. */
  get pending(): number {
    return this.#timers.size;
  }

  now(): number {
    return this.#fallback.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    if (ms < this.#minDelay) return new ShortTimer(this.#fallback.setTimeout(fn, ms));
    const id = this.#nextId++;
    const at = this.now() + Math.max(0, ms);
    this.#timers.set(id, { at, fn });
    if (this.#armedAt === undefined || at < this.#armedAt) this.#arm(at);
    return id;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle instanceof ShortTimer) this.#fallback.clearTimeout(handle.handle);
    else if (typeof handle === "number") this.#timers.delete(handle);
    // the alarm stays: firing early with nothing due costs one wake-up, not a storage write now
  }

  /** Runs every due timer (earliest first), then points the alarm at the next one. */
  fire(): void {
    this.#armedAt = undefined;
    const now = this.now();
    const due = [...this.#timers].filter(([, t]) => t.at <= now).sort(([, a], [, b]) =>
      a.at - b.at
    );
    for (const [id, timer] of due) {
      // a callback may have cleared a later one of the due timers
      if (!this.#timers.delete(id)) continue;
      try {
        timer.fn();
      } catch {
        // one failing callback must not starve the others (the engine's own never throw)
      }
    }
    this.#rearm();
  }

  #rearm(): void {
    let earliest: number | undefined;
    for (const { at } of this.#timers.values()) {
      if (earliest === undefined || at < earliest) earliest = at;
    }
    if (earliest !== undefined && earliest !== this.#armedAt) this.#arm(earliest);
  }

  #arm(at: number): void {
    this.#armedAt = at;
    // output gates make the write durable before the object's next answer goes out
    this.#storage.setAlarm(at).catch(() => {
      this.#armedAt = undefined;
    });
  }
}
