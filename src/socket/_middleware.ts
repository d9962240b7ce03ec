/**
 * Runs a chain of `(arg, next)` middlewares, as `io.use()` and `socket.use()`
 * do: in order, stopping at the first error.
 *
 * @module
 */

/** An error passed to `next()`; `data` reaches the client in CONNECT_ERROR. */
export interface ExtendedError extends Error {
  /** Extra details sent to the client with the message. */
  data?: unknown;
}

/** A middleware: calls `next()` to go on or `next(err)` to stop. May be async. */
export type Middleware<T> = (arg: T, next: (err?: ExtendedError) => void) => unknown;

/**
 * Calls each of `fns` with `arg`, then `done()` — or `done(err)` at the first
 * error. A middleware that throws or whose promise rejects counts as
 * `next(err)`; a second `next()` from the same middleware is ignored.
 */
export function runMiddlewares<T>(
  fns: readonly Middleware<T>[],
  arg: T,
  done: (err?: ExtendedError) => void,
): void {
  if (fns.length === 0) return done();
  const chain = fns.slice();
  const run = (i: number): void => {
    let called = false;
    const next = (err?: ExtendedError) => {
      if (called) return;
      called = true;
      if (err) return done(err);
      if (i + 1 >= chain.length) return done();
      run(i + 1);
    };
    try {
      const result = chain[i]!(arg, next);
      if (result instanceof Promise) result.catch((err) => next(toError(err)));
    } catch (err) {
      next(toError(err));
    }
  };
  run(0);
}

function toError(err: unknown): ExtendedError {
  return err instanceof Error ? err : new Error(String(err));
}
