/**
 * The bytes a test expects the server to hand over, in the host's binary
 * type: a Node `Buffer` on Node and Bun, a plain `Uint8Array` on Deno (see
 * src/engine/_received.ts). Strict deep equality checks the type too.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** Whether the test runs on Node or Bun, where received binary is a `Buffer`. */
export const RECEIVES_BUFFERS = !("Deno" in globalThis);

/** `bytes` as received binary on this host. */
export function hostBytes(bytes: readonly number[]): Uint8Array {
  return RECEIVES_BUFFERS ? Buffer.from(bytes) : new Uint8Array(bytes);
}
