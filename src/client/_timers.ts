/**
 * The timer functions as they were when the client was loaded, for
 * `useNativeTimers` (so fake timers installed later do not apply).
 *
 * @module
 */

/** `setTimeout` at load time. */
export const nativeSetTimeout: typeof setTimeout = globalThis.setTimeout;
/** `clearTimeout` at load time. */
export const nativeClearTimeout: typeof clearTimeout = globalThis.clearTimeout;

/**
 * The timer pair to use: the load-time one, or the current globals. Call
 * them as plain functions (`const [set, clear] = timers(…)`), never as
 * `timers(…)[1](…)`: workerd throws "Illegal invocation" when a timer
 * function is called with a `this` other than the global object.
 */
export function timers(native: boolean | undefined): [typeof setTimeout, typeof clearTimeout] {
  return native
    ? [nativeSetTimeout, nativeClearTimeout]
    : [globalThis.setTimeout, globalThis.clearTimeout];
}
