/**
 * Runs the `allowRequest` option in any of its three forms: the official
 * callback, a returned boolean, or a returned promise.
 *
 * @module
 */

import type { AllowRequest } from "./options.ts";

/**
 * `true` when the handshake may proceed; otherwise the refusal's message
 * (`undefined` for the default "Forbidden"). A check that throws or rejects
 * refuses with the default message: its error is a server bug whose text must
 * not reach the client.
 */
export function runAllowRequest(
  allow: AllowRequest,
  req: Request,
): Promise<true | string | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (err: string | null | undefined, success: boolean) => {
      if (settled) return;
      settled = true;
      // like the official server, an empty message means the default one
      resolve(success ? true : typeof err === "string" && err !== "" ? err : undefined);
    };
    const fail = () => done(undefined, false);
    try {
      const result = allow(req, done);
      if (typeof result === "boolean") done(null, result);
      else if (isThenable(result)) {
        result.then((ok) => typeof ok === "boolean" && done(null, ok), fail);
      }
    } catch {
      fail();
    }
  });
}

function isThenable(value: unknown): value is PromiseLike<boolean | void> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
