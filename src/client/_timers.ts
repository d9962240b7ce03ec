/**
 * The timer functions as they were when the client was loaded, for
 * `useNativeTimers` (so fake timers installed later do not apply).
 *
 * @module
 */

const nativeSetTimeout: typeof setTimeout = globalThis.setTimeout;
const nativeClearTimeout: typeof clearTimeout = globalThis.clearTimeout;

/**
 * Calls `fn` after `ms` ms, with the load-time timer functions if `native`
 * (`useNativeTimers`), else the current globals; `unref` lets Node exit
 * meanwhile (`autoUnref`). Returns the cancel function. The timer functions
 * are called as plain functions: workerd throws "Illegal invocation" when one
 * is called with a `this` other than the global object.
 */
export function later(
  fn: () => void,
  ms: number,
  opts: { useNativeTimers?: boolean; autoUnref?: boolean },
): () => void {
  const set = opts.useNativeTimers ? nativeSetTimeout : globalThis.setTimeout;
  const clear = opts.useNativeTimers ? nativeClearTimeout : globalThis.clearTimeout;
  const timer = set(fn, ms);
  if (opts.autoUnref) (timer as { unref?: () => void }).unref?.();
  return () => clear(timer);
}
