/**
 * A {@link Clock} backed by Durable Object alarms. A pending `setTimeout`
 * keeps a Durable Object in memory, so a heartbeat on ordinary timers would
 * forbid hibernation; an alarm does not, and wakes the object when due.
 *
 * An object has one alarm: this clock keeps its timers in memory and points
 * the alarm at the earliest. The callbacks live only in memory; after an
 * eviction the alarm still fires, and the woken object re-creates the timers
 * it can from its persisted state. That is why only the heartbeat runs on
 * this clock (the engine's `heartbeatClock`): other timers hold callbacks no
 * woken object could rebuild, so they stay ordinary timers and keep the
 * object in memory until they are due.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../../util/clock.ts";
import type { CfStorage } from "./_types.ts";

interface AlarmTimer {
  readonly at: number;
  readonly fn: () => void;
}

/**
 * Timers on the object's alarm. The Durable Object's `alarm()` handler must
 * call {@link AlarmClock.fire}.
 */
export class AlarmClock implements Clock {
  #storage: CfStorage;
  #now: () => number;
  #timers = new Map<number, AlarmTimer>();
  #nextId = 1;
  /** When the storage alarm is set for, as far as this instance knows. */
  #armedAt: number | undefined;

  /** `now` reads the time (injectable for tests). */
  constructor(storage: CfStorage, now: () => number = Date.now) {
    this.#storage = storage;
    this.#now = now;
  }

  /** How many alarm timers are pending. */
  get pending(): number {
    return this.#timers.size;
  }

  now(): number {
    return this.#now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    const at = this.now() + Math.max(0, ms);
    this.#timers.set(id, { at, fn });
    if (this.#armedAt === undefined || at < this.#armedAt) this.#arm(at);
    return id;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (typeof handle === "number") this.#timers.delete(handle);
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
