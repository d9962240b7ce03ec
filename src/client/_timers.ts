/**
 * The timer functions as they were when the client was loaded, for
 * `useNativeTimers` (so fake timers installed later do not apply).
 *
 * @module
 */

const NATIVE: [typeof setTimeout, typeof clearTimeout] = [setTimeout, clearTimeout];

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
  // the globals as they are now, unless the load-time ones are asked for
  const [set, clear] = opts.useNativeTimers ? NATIVE : [setTimeout, clearTimeout];
  const timer = set(fn, ms);
  if (opts.autoUnref) (timer as { unref?: () => void }).unref?.();
  return () => clear(timer);
}
