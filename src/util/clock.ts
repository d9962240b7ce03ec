/**
 * The clock port: timers for heartbeats, upgrades and ack timeouts. Injectable
 * so tests can move time, and so a Durable Object can turn timers into alarms.
 *
 * @module
 */

/** An opaque timer handle. */
export type TimerHandle = unknown;

/** Timers and the current time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer made by {@link Clock.setTimeout}; ignores `undefined`. */
  clearTimeout(handle: TimerHandle | undefined): void;
}

/**
 * The clock backed by the runtime's global timers. It looks the globals up on
 * every call, so `mock.timers` from `node:test` takes effect in tests.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => {
    if (handle !== undefined) {
      globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
    }
  },
};
